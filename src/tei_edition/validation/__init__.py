"""``validate(paths, schemas) -> Report``: every check, every file, all problems.

Per file, in order: the loader (well-formedness, encoding, a TEI root), then each
schema that applies (XSD 1.0/1.1, RELAX NG, Schematron, Schematron embedded in
RELAX NG), then TEI's rules for ids and pointers (an ``xml:id`` unique in its
document, pointers that resolve, ``prefixDef`` expanded). A file that fails one
step still goes through the others, and a broken file never stops the rest.

Which schemas apply to a file is chosen by :mod:`.choose`: ``--schema``, then
the project file (:mod:`tei_edition.config`), then the file's own declarations,
then TEI P5 ``tei_all``. The project file also says which of the optional rules
apply (ids unique across the edition, how bare-word pointers are reported, rule
ids to ignore).
"""

from __future__ import annotations

import gc
import os
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

from .. import loader
from ..config import DEFAULT, Config, discover
from ..edition import Edition, discover_roots
from ..loader import Document
from ..problems import ERROR, Problem, Report
from .choose import EMBEDDED, Chooser, SchemaRef, explicit, schema_kind, tei_all
from .locate import Locator

__all__ = ["validate", "SchemaRef", "schema_kind", "tei_all"]

#: a config argument meaning: find the project file from the paths
AUTO = "auto"


def validate(paths: Iterable[str | os.PathLike] | str | os.PathLike | None = None,
             schemas: Sequence[str | os.PathLike] | None = None, *,
             xml_model: bool = True, engine: str = "auto",
             progress: Callable[[str], None] | None = None,
             roots: Sequence[str | os.PathLike] | None = None,
             ids: dict[str, tuple[tuple[str, int], ...]] | None = None,
             config: Config | str | None = AUTO, fetch: bool | None = None) -> Report:
    """Validate TEI files or folders (default: the bundled edition); return a sorted Report.

    ``schemas``: .xsd/.rng/.sch files that replace every other source of schemas.
    ``xml_model=False`` ignores the schemas the files declare. ``config``: the
    project :class:`~tei_edition.config.Config`; ``"auto"`` finds the
    ``tei-edition.toml`` governing the paths, ``None`` uses TEI's defaults.
    ``fetch``: download remote declared schemas into the user cache (default:
    the project file's ``fetch-schemas``). ``engine``: ``auto``/``jing``/``lxml``
    for RELAX NG schemas. ``progress``: called with a message before slow steps.
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
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = None if paths is None else list(paths)
    if config == AUTO:
        config = discover(paths)
    config = config or DEFAULT
    collecting = gc.isenabled()
    gc.disable()  # many small values and no cycles: the collector's passes were 5-9 % of the time
    try:
        report = _validate(paths, schemas, xml_model=xml_model, engine=engine, progress=progress,
                           roots=roots, ids=ids, config=config, fetch=fetch)
    finally:
        if collecting:
            gc.enable()
    if config.ignore:
        ignored = set(config.ignore)
        report = Report.of([p for p in report.problems if p.rule not in ignored], report.files)
    return report


def _validate(paths, schemas, *, xml_model, engine, progress, roots, ids, config: Config, fetch) -> Report:
    from . import references, rng, schematron, xsd

    given = [explicit(s) for s in schemas] if schemas else []
    bad = [p for p in given if isinstance(p, Problem)]
    if bad:
        return Report.of(bad, [])

    found = discover_roots(paths)
    files = [path for path, _root in found]
    # the folder of the project file is the edition's: its pointers may lead anywhere below it
    wider = [str(config.root)] if config.root else []
    wider += sorted((os.path.abspath(r) for r in roots or ()), key=len, reverse=True)
    edition = Edition(register_paths=set(map(str, config.register_files())))
    for path, root in found:
        edition.add(path, loader.try_load(path), _widest(path, root, wider))
    problems: list[Problem] = list(edition.problems)
    docs = list(edition)

    locators: dict[int, Locator] = {}

    def locator_for(doc: Document) -> Locator:
        if id(doc) not in locators:
            locators[id(doc)] = Locator(doc)
        return locators[id(doc)]

    chooser = Chooser(config, given, declared=xml_model, fetch=fetch)
    plan: dict[SchemaRef, list[Document]] = {}
    for doc in docs:
        for ref in chooser.choose(doc, lambda doc=doc: locator_for(doc)):
            plan.setdefault(ref, []).append(doc)
    problems.extend(chooser.declaration_problems())

    order = {"xsd": 0, "rng": 1, "sch": 2, EMBEDDED: 3}
    grammar: list[Problem] = []
    rules: list[Problem] = []
    for ref in sorted(plan, key=lambda r: (order[r.kind], str(r.path), r.phase or "")):
        group = plan[ref]
        if ref.kind == "rng":
            checked = rng.check_many(group, ref.path, engine=engine, progress=progress,
                                     locators={d.path: locator_for(d) for d in group})
            mine = {str(d.path) for d in group}
            broken = [p for p in checked if p.file not in mine]  # the schema's own errors
            grammar.extend(p for p in checked if p.file in mine)
            problems.extend(_unusable(p, group) for p in broken[:1])
            continue
        compiled = (xsd.compiled(ref.path) if ref.kind == "xsd"  # once per call, not a stat per document
                    else schematron.embedded(ref.path) if ref.kind == EMBEDDED
                    else schematron.compiled(ref.path, phase=ref.phase))
        if compiled is None:
            continue  # a RELAX NG schema with no embedded rules
        if isinstance(compiled, Problem):
            problems.append(_unusable(compiled, group))
            continue
        for doc in group:
            if ref.kind == "xsd":
                grammar.extend(xsd.check(doc, ref.path, locator_for(doc), schema=compiled))
            else:
                rules.extend(schematron.check(doc, ref.path, locator_for(doc), schema=compiled,
                                              attributes=edition.attributes(doc)))
    cross = references.check(edition, docs, locator_for, across=config.unique_ids == "edition",
                             bare=config.bare_pointers)
    if ids is not None:
        for key, doc in edition.files.items():
            ids[str(key)] = tuple((value, el.sourceline or 0) for value, el in edition.attributes(doc).ids)
    problems.extend(_merge(grammar, rules, cross))
    return Report.of(problems, [str(p) for p in files])


def _unusable(problem: Problem, group: list[Document]) -> Problem:
    """A schema that cannot be compiled: one error, located in the schema, naming the
    files it could not check (they still meet their other schemas and TEI's rules)."""
    names = ", ".join(d.path.name for d in group[:3]) + (f" and {len(group) - 3} more" if len(group) > 3 else "")
    return replace(problem, severity=ERROR, message=f"{problem.message}; {len(group)} file(s) not checked "
                   f"against it ({names}), only by their other schemas and TEI's rules")


def _widest(path: Path, root: Path, roots: list[str]) -> Path:
    """The first of ``roots`` holding ``path`` (its own root when none does)."""
    here = os.path.abspath(path)
    for folder in roots:
        if here.startswith(folder.rstrip(os.sep) + os.sep):
            return Path(folder)
    return root


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
