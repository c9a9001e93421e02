"""TEI's rules for ids and pointers, which a schema seeing one file at a time
cannot check: every pointer resolves, and every ``xml:id`` is unique in its
document (across the whole edition when the project file says
``unique-ids = "edition"``).

A pointer is ``#id`` (this file), ``file.xml#id`` (relative to this file),
``prefix:value`` expanded through a ``prefixDef``, or an absolute URI. A bare
word where TEI expects a URI (``corresp="brief"``) is reported as the project
file's ``bare-pointers`` says: a warning by default, an error, or nothing.

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

from ..edition import OUTSIDE, Edition, is_bare_word, is_file_url, split_pointer
from ..loader import Document
from ..problems import ERROR, WARNING, Problem
from .locate import Locator, simple_path


def check(edition: Edition, docs: Iterable[Document] | None = None,
          locator_for: Callable[[Document], Locator] | None = None, *,
          across: bool = False, bare: str = WARNING) -> list[Problem]:
    """Pointer and id problems of ``docs``. ``across``: an xml:id must be unique in the
    whole edition, not only in its document; ``bare``: the severity of a bare-word
    pointer (``error``, ``warning`` or ``off``)."""
    docs = list(edition if docs is None else docs)
    locator_for = locator_for or (lambda d: Locator(d))
    problems: list[Problem] = []
    for doc in docs:
        problems.extend(_pointers(edition, doc, locator_for, bare))
    problems.extend(_duplicate_ids(edition, docs, locator_for, across))
    return problems


def _pointers(edition: Edition, doc: Document, locator_for, bare: str) -> list[Problem]:
    problems = []
    resolve = edition.resolver(doc)
    for el, attr, value in edition.attributes(doc).pointers:
        words: list[str] = []
        for pointer in value.split():
            if resolve(pointer) is not None:
                continue
            parts = split_pointer(pointer)
            if parts is None and not is_file_url(pointer):
                if not edition.is_declared_prefix(pointer, doc):
                    continue  # an external URI: not ours to check, never fetched
                rule, message = _why_prefixed(edition, doc, pointer, attr)
            elif parts is not None and parts[1] is None and is_bare_word(pointer):
                words.append(pointer)
                continue
            else:
                rule, message = _why(edition, doc, pointer, parts, attr)
            line, col = locator_for(doc).attribute(el, attr)
            problems.append(Problem(str(doc.path), line, col, ERROR, rule, message, f"{simple_path(el)}/@{attr}"))
        if words and bare != "off":  # one problem for the attribute, however many words it holds
            line, col = locator_for(doc).attribute(el, attr)
            problems.append(Problem(str(doc.path), line, col, bare, "pointer-bare", _why_bare(attr, value, words),
                                    f"{simple_path(el)}/@{attr}"))
    return problems


def _why_bare(attr: str, value: str, words: list[str]) -> str:
    shown = " ".join(value.split())
    what = f"\"{words[0]}\" is a bare word" if len(words) == 1 else f"{len(words)} of its words are bare words"
    return (f"@{attr}=\"{shown}\": {what}, where TEI expects pointers (URIs): \"#{words[0]}\" for an element "
            f"of this file, \"file.xml#{words[0]}\" for one in another file, or \"prefix:value\" declared by "
            "a prefixDef")


def _why_prefixed(edition: Edition, doc: Document, pointer: str, attr: str) -> tuple[str, str]:
    expanded = edition.expand(pointer, doc)
    if not expanded:
        return "pointer-resolves", (f"@{attr}=\"{pointer}\": its prefix is declared by a prefixDef, "
                                    "but no matchPattern of it matches the rest")
    parts = split_pointer(expanded)
    if parts is None:
        return "pointer-resolves", (f"@{attr}=\"{pointer}\" expands to {expanded}, "
                                    "which is not a pointer into the edition")
    rule, message = _why(edition, doc, expanded, parts, attr)
    return rule, f"@{attr}=\"{pointer}\" expands to \"{expanded}\" (prefixDef), and {message}"


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


def _duplicate_ids(edition: Edition, docs: list[Document], locator_for, across: bool) -> list[Problem]:
    checked = set(map(id, docs))
    problems = []
    repeated = edition.duplicate_ids().items() if across else [
        pair for doc in docs for pair in _repeated_in(edition, doc).items()]
    for value, places in repeated:
        first_doc, first_el = places[0]
        for doc, el in places[1:]:
            if id(doc) not in checked:
                continue
            line, col = locator_for(doc).attribute(el, "xml:id")
            fline, fcol = locator_for(first_doc).attribute(first_el, "xml:id")
            where = "earlier in this file" if doc is first_doc else _rel(first_doc.path, doc.path)
            problems.append(Problem(str(doc.path), line, col, ERROR, "id-unique",
                                    f"xml:id \"{value}\" is already used {('at ' + where) if doc is not first_doc else where}"
                                    f" (line {fline}); every xml:id must be unique "
                                    + ("across the edition" if across else "within its document"),
                                    f"{simple_path(el)}/@xml:id"))
    return problems


def _repeated_in(edition: Edition, doc: Document) -> dict[str, list[tuple[Document, object]]]:
    seen: dict[str, list] = {}
    for value, el in edition.attributes(doc).ids:
        seen.setdefault(value, []).append((doc, el))
    return {value: places for value, places in seen.items() if len(places) > 1}


def _rel(target: Path, start: Path) -> str:
    try:
        return os.path.relpath(target, Path(start).parent)
    except ValueError:
        return str(target)
