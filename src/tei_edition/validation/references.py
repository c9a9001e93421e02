"""Checks across files, which a schema seeing one file at a time cannot make:
every pointer resolves, and every ``xml:id`` is unique across the edition.

Pointers are the values of ``@ref``, ``@corresp``, ``@target``, ``@source`` and
``@who`` (space-separated lists); external URIs (``https:``, ``mailto:`` …) are
links, never opened and not checked. A pointer into a file that was not among
the paths checked is still followed (the edition loads that file on demand),
but only inside the input folder: a pointer leading out of it (``../``, an
absolute path, a symlink leading out) or a ``file:`` URL is a
``pointer-outside`` error, and that file is never opened.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable, Iterable

from ..edition import OUTSIDE, Edition, is_file_url, split_pointer
from ..loader import Document
from ..problems import ERROR, Problem
from .locate import Locator, simple_path


def check(edition: Edition, docs: Iterable[Document] | None = None,
          locator_for: Callable[[Document], Locator] | None = None) -> list[Problem]:
    docs = list(edition if docs is None else docs)
    locator_for = locator_for or (lambda d: Locator(d))
    problems: list[Problem] = []
    for doc in docs:
        problems.extend(_pointers(edition, doc, locator_for))
    problems.extend(_duplicate_ids(edition, set(map(id, docs)), locator_for))
    return problems


def _pointers(edition: Edition, doc: Document, locator_for) -> list[Problem]:
    problems = []
    resolve = edition.resolver(doc)
    for el, attr, value in edition.attributes(doc).pointers:
        for pointer in value.split():
            if resolve(pointer) is not None:
                continue
            parts = split_pointer(pointer)
            if parts is None and not is_file_url(pointer):
                continue  # an external URI: not ours to check, never fetched
            line, col = locator_for(doc).attribute(el, attr)
            rule, message = _why(edition, doc, pointer, parts, attr)
            problems.append(Problem(str(doc.path), line, col, ERROR, rule, message, f"{simple_path(el)}/@{attr}"))
    return problems


def _why(edition: Edition, doc: Document, pointer: str, parts, attr: str) -> tuple[str, str]:
    if parts is None:
        return OUTSIDE, (f"@{attr}=\"{pointer}\" is a file: URL, which is never opened; "
                         "point to a file of the edition by a path relative to this file")
    file_part, fragment = parts
    if not file_part:
        return "pointer-resolves", (f"@{attr}=\"{pointer}\" points to no element in this file: "
                                    f"there is no xml:id=\"{fragment}\"")
    target = edition.document_for(pointer, doc)
    if isinstance(target, Problem) and target.rule == OUTSIDE:
        return OUTSIDE, (f"@{attr}=\"{pointer}\" {target.message}; it is not followed "
                         "(only files inside the folder checked are read)")
    return "pointer-resolves", _why_unresolved(pointer, file_part, fragment, attr, target)


def _why_unresolved(pointer: str, file_part: str, fragment, attr: str, target) -> str:
    if isinstance(target, Problem):
        if target.message == "no such file":
            return f"@{attr}=\"{pointer}\" points to {file_part}, which does not exist"
        return f"@{attr}=\"{pointer}\" points to {file_part}, which cannot be read ({target.rule})"
    return f"@{attr}=\"{pointer}\" points to nothing: {file_part} has no xml:id=\"{fragment}\""


def _duplicate_ids(edition: Edition, checked: set[int], locator_for) -> list[Problem]:
    problems = []
    for value, places in edition.duplicate_ids().items():
        first_doc, first_el = places[0]
        for doc, el in places[1:]:
            if id(doc) not in checked:
                continue
            line, col = locator_for(doc).attribute(el, "xml:id")
            fline, fcol = locator_for(first_doc).attribute(first_el, "xml:id")
            where = "earlier in this file" if doc is first_doc else _rel(first_doc.path, doc.path)
            problems.append(Problem(str(doc.path), line, col, ERROR, "id-unique",
                                    f"xml:id \"{value}\" is already used {('at ' + where) if doc is not first_doc else where}"
                                    f" (line {fline}); every xml:id must be unique across the edition",
                                    f"{simple_path(el)}/@xml:id"))
    return problems


def _rel(target: Path, start: Path) -> str:
    try:
        return os.path.relpath(target, Path(start).parent)
    except ValueError:
        return str(target)
