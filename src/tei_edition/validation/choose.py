"""Which schemas judge each document, in this order:

1. ``--schema`` files, for every document;
2. the project file's ``[validate] schemas``, for every document;
3. the document's own declarations: local ``<?xml-model?>`` instructions and
   ``xsi:schemaLocation`` / ``xsi:noNamespaceSchemaLocation``, relative to the
   document. A remote one is used from the user cache when it was fetched
   before, fetched first with ``fetch-schemas``, and otherwise never opened;
4. TEI P5 ``tei_all`` (bundled), unless the project file says ``fallback = "none"``.

A declared schema that cannot be had is reported once, not once per file, and
its documents go on to the next source in the order.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import unquote, urlsplit

from ..config import DEFAULT, Config
from ..loader import Document
from ..problems import ERROR, WARNING, Problem
from .locate import Locator

XSD_NS = "http://www.w3.org/2001/XMLSchema"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
SCH_NS = {"http://purl.oclc.org/dsdl/schematron", "http://www.ascc.net/xml/schematron"}
KINDS = {".xsd": "xsd", ".rng": "rng", ".sch": "sch"}
#: a Schematron embedded in a RELAX NG schema (an ODD's constraints)
EMBEDDED = "rng-sch"

_PSEUDO = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


@dataclass(frozen=True, order=True)
class SchemaRef:
    """A schema to run: ``kind`` is ``xsd``, ``rng``, ``sch`` or ``rng-sch``; ``phase`` a Schematron phase."""

    kind: str
    path: Path
    phase: str | None = None

    def __post_init__(self):
        object.__setattr__(self, "path", Path(os.path.abspath(self.path)))


def tei_all() -> SchemaRef:
    """The bundled TEI P5 ``tei_all.rng``."""
    from ..resources import schema_dir

    return SchemaRef("rng", schema_dir() / "tei_all.rng")


def schema_kind(path: str | os.PathLike, schematypens: str | None = None) -> str | None:
    suffix = KINDS.get(Path(str(path)).suffix.lower())
    if schematypens == XSD_NS:
        return "xsd"
    if schematypens == RNG_NS:
        return "rng"
    if schematypens in SCH_NS:
        return EMBEDDED if suffix == "rng" else "sch"
    return suffix


def explicit(schema: str | os.PathLike, phase: str | None = None) -> SchemaRef | Problem:
    """A schema named on the command line or in the project file."""
    path = Path(schema)
    kind = schema_kind(path)
    if kind is None:
        return Problem(str(path), 1, 1, ERROR, "schema-kind",
                       "unknown schema kind: give a .xsd, .rng (XML syntax) or .sch file")
    if not path.is_file():
        return Problem(str(path), 1, 1, ERROR, "schema-missing", "the schema file does not exist")
    return SchemaRef(kind, path, phase)


@dataclass(frozen=True)
class Declared:
    """One schema a document declares: where it stands in the document, and its href."""

    href: str
    kind: str | None
    line_of: Callable[[], tuple[int, int]]


def declarations(doc: Document, locator: Callable[[], Locator]) -> list[Declared]:
    """The schemas a document declares, in document order: ``<?xml-model?>``, then xsi."""
    found: list[Declared] = []
    for pi in doc.processing_instructions():
        if pi.target != "xml-model":
            continue
        attrs = {m.group(1): (m.group(2) if m.group(2) is not None else m.group(3))
                 for m in _PSEUDO.finditer(pi.text or "")}
        href = attrs.get("href", "")
        found.append(Declared(href, schema_kind(urlsplit(href).path, attrs.get("schematypens")),
                              lambda pi=pi: locator().processing_instruction(pi)))
    from .declared import declared_xsd

    for href in declared_xsd(doc):
        found.append(Declared(href, "xsd", lambda: locator().element(doc.root)))
    return found


class Chooser:
    """Chooses each document's schemas for one validation run, and gathers the
    problems of the declarations (each unusable schema once)."""

    def __init__(self, config: Config = DEFAULT, schemas: Sequence[SchemaRef] | None = None, *,
                 declared: bool = True, fetch: bool | None = None):
        self.config = config
        self.explicit = list(schemas or ())
        self.configured = [SchemaRef(s.kind, s.path, s.phase) for s in config.schemas]
        self.declared = declared and config.declared_schemas
        self.fetch = config.fetch_schemas if fetch is None else fetch
        self._outcomes: dict[tuple[str, str, str | None], SchemaRef | tuple[str, str, str]] = {}
        self._unusable: dict[tuple[str, str, str], tuple[Problem, set[str]]] = {}
        self.problems: list[Problem] = []

    def choose(self, doc: Document, locator: Callable[[], Locator]) -> list[SchemaRef]:
        if self.explicit:
            return self.explicit
        if self.configured:
            return self.configured
        chosen: list[SchemaRef] = []
        if self.declared:
            folder = os.path.dirname(os.path.abspath(doc.path))
            for declared in declarations(doc, locator):
                key = (folder, declared.href, declared.kind)
                outcome = self._outcomes.get(key)
                if outcome is None:
                    outcome = self._outcomes[key] = self._resolve(folder, declared)
                if isinstance(outcome, SchemaRef):
                    chosen.append(outcome)
                else:
                    self._unusable_once(doc, declared, outcome)
        if not chosen and self.config.fallback == "tei_all":
            # TEI's own constraints too, the Schematron its ODD embeds (as oXygen runs them)
            chosen = [tei_all(), SchemaRef(EMBEDDED, tei_all().path)]
        return list(dict.fromkeys(chosen))

    def _unusable_once(self, doc: Document, declared: Declared, outcome: tuple[str, str, str]) -> None:
        severity, rule, message = outcome
        key = (rule, declared.href, message)
        if key in self._unusable:
            self._unusable[key][1].add(str(doc.path))
            return
        line, col = declared.line_of()
        self._unusable[key] = (Problem(str(doc.path), line, col, severity, rule, message), {str(doc.path)})

    def declaration_problems(self) -> list[Problem]:
        """One problem per unusable declared schema, saying how many files declare it."""
        from dataclasses import replace

        then = ("checked against TEI P5 (tei_all) instead" if self.config.fallback == "tei_all"
                else "checked only by TEI's rules for ids and pointers")
        problems = []
        for problem, declaring in self._unusable.values():
            count = len(declaring)
            files = "this file" if count == 1 else f"this file and {count - 1} more"
            problems.append(replace(problem, message=f"{problem.message}; declared by {files}, {then}"
                                    if problem.rule != "xml-model" else problem.message))
        return problems

    def _resolve(self, folder: str, declared: Declared) -> SchemaRef | tuple[str, str, str]:
        href = declared.href
        if not href:
            return WARNING, "xml-model", "<?xml-model?> without href is ignored"
        if declared.kind is None:
            return (WARNING, "xml-model",
                    f"schema {href}: unknown kind (expected .xsd, .rng or .sch, or a schematypens naming one); ignored")
        parts = urlsplit(href)
        if parts.scheme.lower() in ("http", "https"):
            return self._remote(href, declared.kind)
        if parts.scheme and parts.scheme.lower() != "file" or parts.netloc:
            return WARNING, "schema-unavailable", f"schema {href}: only local files and http(s) URLs are read"
        target = Path(folder, unquote(parts.path))  # an absolute path stays itself
        try:
            present = target.is_file()
        except (OSError, ValueError):  # a name too long, or with NUL
            present = False
        if not present:
            return (WARNING, "schema-missing",
                    f"the declared schema {href} does not exist ({Path(os.path.abspath(target))})")
        return SchemaRef(declared.kind, target)

    def _remote(self, href: str, kind: str) -> SchemaRef | tuple[str, str, str]:
        from . import fetch

        cached = fetch.cached(href)
        if cached is not None:
            return SchemaRef(kind, cached)
        if not self.fetch:
            return (WARNING, "xml-model-remote",
                    f"schema {href} is remote and is not fetched (use --fetch-schemas to download it once "
                    "into the user cache, or --schema FILE with a local copy)")
        got = fetch.fetch(href)
        if isinstance(got, Problem):
            return WARNING, "schema-fetch", f"schema {href} could not be fetched: {got.message}"
        return SchemaRef(kind, got)
