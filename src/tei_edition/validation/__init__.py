"""``validate(paths, schemas) -> Report``: every check, every file, all problems.

Per file, in order: the loader (well-formedness, encoding, a TEI root), then each
schema that applies (XSD, RELAX NG, Schematron), then the checks across files
(pointers resolve, ``xml:id`` unique across the edition). A file that fails one
step still goes through the others, and a broken file never stops the rest.

Which schemas apply to a file:

1. ``schemas`` given (``--schema``): exactly those, for every file; its
   ``<?xml-model?>`` instructions are ignored.
2. otherwise, with ``xml_model=True``, the local schemas its ``<?xml-model?>``
   instructions name (relative to the file). A remote one is reported as a
   warning and never fetched.
3. otherwise (no usable instruction, or ``xml_model=False``) the project
   schema: ``schema/tei-edition.xsd`` and ``schema/tei-edition.sch``.
"""

from __future__ import annotations

import gc
import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence
from urllib.parse import unquote, urlsplit

from .. import loader
from ..edition import Edition, discover_roots
from ..loader import Document
from ..problems import ERROR, WARNING, Problem, Report
from .locate import Locator

__all__ = ["validate", "project_schemas", "schemas_for", "SchemaRef"]

XSD_NS = "http://www.w3.org/2001/XMLSchema"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
SCH_NS = {"http://purl.oclc.org/dsdl/schematron", "http://www.ascc.net/xml/schematron"}
KINDS = {".xsd": "xsd", ".rng": "rng", ".sch": "sch"}

_PSEUDO = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


class SchemaRef(tuple):
    """``(kind, path)`` with kind ``xsd``/``rng``/``sch``."""

    def __new__(cls, kind: str, path: Path):
        return super().__new__(cls, (kind, Path(os.path.abspath(path))))

    kind = property(lambda self: self[0])
    path = property(lambda self: self[1])


def project_schemas() -> list[SchemaRef]:
    from ..resources import schema_dir

    folder = schema_dir()
    return [SchemaRef("xsd", folder / "tei-edition.xsd"), SchemaRef("sch", folder / "tei-edition.sch")]


def schema_kind(path: str | os.PathLike, schematypens: str | None = None) -> str | None:
    if schematypens == XSD_NS:
        return "xsd"
    if schematypens == RNG_NS:
        return "rng"
    if schematypens in SCH_NS:
        return "sch"
    return KINDS.get(Path(str(path)).suffix.lower())


def schemas_for(doc: Document, locator: Locator | None = None,
                cache: dict | None = None) -> tuple[list[SchemaRef], list[Problem]]:
    """The local schemas a document's ``<?xml-model?>`` instructions name, and problems with them.
    ``cache``: a dict shared by the calls of one validation (files beside each other
    name the same schemas)."""
    found: list[SchemaRef] = []
    problems: list[Problem] = []
    folder = os.path.dirname(os.path.abspath(doc.path))
    cache = {} if cache is None else cache
    for pi in doc.processing_instructions():
        if pi.target != "xml-model":
            continue
        key = (folder, pi.text)
        outcome = cache.get(key)
        if outcome is None:
            outcome = cache[key] = _xml_model(folder, pi.text or "")
        if isinstance(outcome, SchemaRef):
            found.append(outcome)
        else:
            # the position is looked up only for a problem (it reads the file's text)
            locator = locator or Locator(doc)
            line, col = locator.processing_instruction(pi)
            problems.append(Problem(str(doc.path), line, col, *outcome))
    return found, problems


def _xml_model(folder: str, text: str) -> SchemaRef | tuple[str, str, str]:
    """What one ``<?xml-model?>`` names: a schema, or (severity, rule, message)."""
    attrs = {m.group(1): (m.group(2) if m.group(2) is not None else m.group(3))
             for m in _PSEUDO.finditer(text)}
    href = attrs.get("href", "")
    parts = urlsplit(href)
    if not href:
        return WARNING, "xml-model", "<?xml-model?> without href is ignored"
    if parts.scheme and parts.scheme != "file" or parts.netloc:
        return (WARNING, "xml-model-remote",
                f"schema {href} is not available offline; not fetched (use --schema FILE with a local copy)")
    target = Path(folder, unquote(parts.path))  # an absolute path stays itself
    kind = schema_kind(target, attrs.get("schematypens"))
    if kind is None:
        return (WARNING, "xml-model",
                f"schema {href}: unknown kind (expected .xsd, .rng or .sch, or a schematypens naming one); ignored")
    try:
        present = target.is_file()
    except (OSError, ValueError):  # a name too long, or with NUL
        present = False
    if not present:
        return (ERROR, "xml-model-missing",
                f"<?xml-model?> names {href}, which does not exist ({Path(os.path.abspath(target))})")
    return SchemaRef(kind, target)


def validate(paths: Iterable[str | os.PathLike] | str | os.PathLike | None = None,
             schemas: Sequence[str | os.PathLike] | None = None, *,
             xml_model: bool = True, engine: str = "auto",
             progress: Callable[[str], None] | None = None,
             roots: Sequence[str | os.PathLike] | None = None,
             ids: dict[str, tuple[tuple[str, int], ...]] | None = None) -> Report:
    """Validate TEI files or folders (default: the bundled edition); return a sorted Report.

    ``schemas``: .xsd/.rng/.sch files that replace the schemas named by
    ``<?xml-model?>`` and the project schema. ``xml_model=False`` ignores the
    instructions. ``engine``: ``auto``/``jing``/``lxml`` for RELAX NG schemas.
    ``progress``: called with a message before slow steps (compiling a big RNG).
    ``roots``: folders that pointers may lead into, for files given one by one
    (a batch runner's chunks); by default a file's root is the folder it was
    found under, or its own folder when given directly. A pointer leading out
    of it is a ``pointer-outside`` error and its file is never opened.
    ``ids``: a dict to fill with each loaded file's ``(xml:id, line)`` pairs, keyed
    by its absolute path (a batch runner finds duplicates across chunks with them,
    without reading the files again).
    """
    from . import rng

    if engine not in rng.ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose one of {', '.join(rng.ENGINES)}")
    collecting = gc.isenabled()
    gc.disable()  # many small values and no cycles: the collector's passes were 5-9 % of the time
    try:
        return _validate(paths, schemas, xml_model=xml_model, engine=engine, progress=progress, roots=roots,
                         ids=ids)
    finally:
        if collecting:
            gc.enable()


def _validate(paths, schemas, *, xml_model, engine, progress, roots, ids) -> Report:
    from . import references, rng, schematron, xsd

    explicit = [_explicit(s) for s in schemas] if schemas else None
    problems: list[Problem] = []
    if explicit:
        for ref in explicit:
            if isinstance(ref, Problem):
                problems.append(ref)
        if any(isinstance(r, Problem) for r in explicit):
            return Report.of(problems, [])

    found = discover_roots(paths)
    files = [path for path, _root in found]
    wider = sorted((os.path.abspath(r) for r in roots or ()), key=len, reverse=True)
    edition = Edition()
    for path, root in found:
        edition.add(path, loader.try_load(path), _widest(path, root, wider))
    problems.extend(edition.problems)
    docs = list(edition)

    locators: dict[int, Locator] = {}

    def locator_for(doc: Document) -> Locator:
        if id(doc) not in locators:
            locators[id(doc)] = Locator(doc)
        return locators[id(doc)]

    plan: dict[SchemaRef, list[Document]] = {}
    models: dict = {}  # <?xml-model?> instructions already read, by folder
    project = None
    for doc in docs:
        if explicit:
            chosen = list(explicit)
        else:
            chosen = []
            if xml_model:
                chosen, pi_problems = schemas_for(doc, locator_for(doc), models)
                if not chosen:
                    pi_problems = [replace(p, message=p.message + "; the project schema is used instead")
                                   if p.rule.startswith("xml-model") else p for p in pi_problems]
                problems.extend(pi_problems)
            if not chosen:
                chosen = project = project or project_schemas()
        for ref in dict.fromkeys(chosen):
            plan.setdefault(ref, []).append(doc)

    order = {"xsd": 0, "rng": 1, "sch": 2}
    grammar: list[Problem] = []
    rules: list[Problem] = []
    for ref in sorted(plan, key=lambda r: (order[r.kind], str(r.path))):
        group = plan[ref]
        if ref.kind == "xsd":
            compiled = xsd.compiled(ref.path)  # once per call, not a stat per document
            for doc in group:
                grammar.extend(xsd.check(doc, ref.path, locator_for(doc), schema=compiled))
        elif ref.kind == "rng":
            grammar.extend(rng.check_many(group, ref.path, engine=engine, progress=progress,
                                          locators={d.path: locator_for(d) for d in group}))
        else:
            compiled = schematron.compiled(ref.path)
            for doc in group:
                rules.extend(schematron.check(doc, ref.path, locator_for(doc), schema=compiled,
                                              attributes=edition.attributes(doc)))
    cross = references.check(edition, docs, locator_for)
    if ids is not None:
        for key, doc in edition.files.items():
            ids[str(key)] = tuple((value, el.sourceline or 0) for value, el in edition.attributes(doc).ids)
    problems.extend(_merge(grammar, rules, cross))
    return Report.of(problems, [str(p) for p in files])


def _widest(path: Path, root: Path, roots: list[str]) -> Path:
    """The longest of ``roots`` holding ``path`` (its own root when none does)."""
    here = os.path.abspath(path)
    for folder in roots:
        if here.startswith(folder.rstrip(os.sep) + os.sep):
            return Path(folder)
    return root


def _explicit(schema: str | os.PathLike) -> SchemaRef | Problem:
    path = Path(schema)
    kind = schema_kind(path)
    if kind is None:
        return Problem(str(path), 1, 1, ERROR, "schema-kind",
                       "unknown schema kind: give a .xsd, .rng (XML syntax) or .sch file")
    if not path.is_file():
        return Problem(str(path), 1, 1, ERROR, "schema-missing", "the schema file does not exist")
    return SchemaRef(kind, path)


def _merge(grammar: list[Problem], rules: list[Problem], cross: list[Problem]) -> list[Problem]:
    """One problem per finding. The same attribute flagged by several steps
    (an impossible date, a duplicate id) is reported once, by the most specific
    step: cross-file checks, then Schematron, then the grammar."""
    kept: list[Problem] = []
    seen: set[tuple] = set()
    seen_attr: set[tuple] = set()
    for step, found in enumerate((cross, rules, grammar)):
        for p in found:
            key = (p.file, p.line, p.col, p.rule)
            at_attribute = bool(p.xpath and "/@" in p.xpath)
            if key in seen or (step == 2 and at_attribute and (p.file, p.line, p.col) in seen_attr):
                continue
            seen.add(key)
            if at_attribute:
                seen_attr.add((p.file, p.line, p.col))
            kept.append(p)
    return kept
