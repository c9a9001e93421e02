"""ISO Schematron, compiled once per process and run on each document.

Two routes, chosen by the schema's ``queryBinding``:

- ``xslt`` (XSLT 1.0, also when absent): the ``lxml.isoschematron`` skeleton. Its
  steps (include, expand, compile to XSLT) run here rather than inside
  ``isoschematron.Schematron`` so that the validating XSLT can be compiled with an
  access control that denies every read and write: a contributed Schematron
  calling ``document()`` reads nothing and is reported (rule ``schematron-document``).
  ``sch:include`` is served from the schema's own folder only (see ``schemafile``).
  Each failed assert or successful report becomes a Problem located at the node the
  SVRL ``location`` names; an assert's ``@flag`` names the attribute it is about.
  The rule id is the assert's ``@id`` up to the first dot (``date-real.when`` ->
  ``date-real``). For the project's own .sch, :mod:`.quickcheck` first tells which
  documents no rule can fire on; those skip the XSLT (``FAST = False`` runs it on every one).
- ``xslt2``, ``xslt3``, ``xpath2``, ``xpath3``, ``xpath31``: compiled to XSLT 3.0 by
  :mod:`.sch_expand` and :mod:`.sch_compile`, run by :mod:`.sch_run` on the hardened
  saxonche engine, as oXygen runs them (SchXslt's semantics). The rule id is the
  assert's ``@id``, else its pattern's, else ``schematron``.

:func:`embedded` gathers the Schematron a RELAX NG schema carries (ODD output such
as ``tei_all.rng``) and compiles it the same way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lxml import etree, isoschematron

from ..loader import Document
from ..problems import ERROR, WARNING, Problem
from . import quickcheck, sch_run
from .sch_expand import SchemaError, Sources, expand, from_rng, query_binding
from .schemafile import cache_key, explain, load_schema
from .locate import Locator, simple_path
from .sch_run import SaxonSchematron

SVRL = "http://purl.oclc.org/dsdl/svrl"
_FINDINGS = etree.XPath("//svrl:failed-assert | //svrl:successful-report", namespaces={"svrl": SVRL})
#: the validating XSLT may read and write nothing (document() of a file or a URL is refused)
DENY_ALL = etree.XSLTAccessControl(read_file=False, write_file=False, create_dir=False,
                                   read_network=False, write_network=False)
#: let quickcheck clear documents of the project .sch (tests turn it off to compare both routes)
FAST = True


@dataclass(frozen=True)
class Compiled:
    """A Schematron ready to run, and whether quickcheck mirrors its rules."""

    xslt: etree.XSLT
    mirrored: bool


_COMPILED: dict[tuple, "Compiled | SaxonSchematron | Problem | None"] = {}
#: query bindings the lxml route runs
XSLT1 = {"xslt", "xslt1", "exslt"}


def compiled(path: str | os.PathLike, phase: str | None = None) -> Compiled | SaxonSchematron | Problem:
    """The Schematron at ``path``, ready to run, or one located Problem; compiled once per
    process (until the file changes). ``phase``: a phase id, ``#ALL`` or ``#DEFAULT``
    (the default: ``@defaultPhase``, else every pattern)."""
    key = (*cache_key(path), phase)
    if key not in _COMPILED or _stale(_COMPILED[key]):
        _COMPILED[key] = _compile(Path(key[0]), phase)
    return _COMPILED[key]


def embedded(rng_path: str | os.PathLike, phase: str | None = None) -> SaxonSchematron | Problem | None:
    """The Schematron embedded in a RELAX NG schema, compiled once per process; None when
    the schema embeds none."""
    key = (*cache_key(rng_path), phase, "embedded")
    if key not in _COMPILED or _stale(_COMPILED[key]):
        try:
            found = from_rng(key[0])
            _COMPILED[key] = None if found is None else _compile_tree(*found, Path(key[0]), phase, embedded=True)
        except SchemaError as exc:
            _COMPILED[key] = exc.problem
    return _COMPILED[key]


def _stale(entry) -> bool:
    return isinstance(entry, SaxonSchematron) and entry.stale


def _compile(path: Path, phase: str | None) -> Compiled | SaxonSchematron | Problem:
    doc = load_schema(path)
    if isinstance(doc, Problem):
        return Problem(doc.file, doc.line, doc.col, ERROR, "schema-unreadable",
                       f"the Schematron cannot be read: {doc.message}")
    if doc.root.tag != f"{{{isoschematron.SCHEMATRON_NS}}}schema":
        return Problem(str(path), 1, 1, ERROR, "schema-invalid",
                       "the Schematron cannot be compiled: the root element is not an ISO Schematron <schema>")
    if query_binding(doc.root) in XSLT1:
        return _compile_xslt1(doc, phase)
    sources = Sources()
    sources.mark(doc, doc.root)
    return _compile_tree(doc.root, sources, path, phase)


def _compile_tree(root, sources: Sources, path: Path, phase: str | None,
                  embedded: bool = False) -> SaxonSchematron | Problem:
    binding = query_binding(root)
    if binding not in sch_run.BINDINGS | XSLT1:  # xslt here: rules embedded in RELAX NG, XPath 1 run as 3.1
        file, line, col = sources.where(root, "queryBinding")
        return Problem(file, line, col, ERROR, "schema-invalid",
                       f"queryBinding {binding!r} is not supported (xslt, xslt2, xslt3, xpath2, xpath3, xpath31 are)")
    try:
        schema = expand(root, sources, path, phase)
    except SchemaError as exc:
        return exc.problem
    return sch_run.compile_schema(schema, str(path), phase, embedded)


def _compile_xslt1(doc: Document, phase: str | None) -> Compiled | Problem:
    path = doc.path
    try:
        schema = isoschematron.iso_dsdl_include(doc.tree)
        schema = isoschematron.iso_abstract_expand(schema)
        if isoschematron.schematron_schema_valid_supported and not isoschematron.schematron_schema_valid(schema):
            raise etree.SchematronParseError(
                f"invalid schematron schema: {isoschematron.schematron_schema_valid.error_log}")
        params = {"phase": etree.XSLT.strparam(phase)} if phase else {}
        xslt = etree.XSLT(isoschematron.iso_svrl_for_xslt1(schema, **params), access_control=DENY_ALL)
        return Compiled(xslt, quickcheck.digest(schema) == quickcheck.MIRRORED_SCH and not phase)
    except etree.LxmlError as exc:  # a refused include ends as an empty document: say so
        return Problem(str(path), 1, 1, ERROR, "schema-invalid",
                       explain(doc, f"the Schematron cannot be compiled: {exc}"))


def check(doc: Document, schema_path: str | os.PathLike, locator: Locator | None = None, *,
          schema: Compiled | SaxonSchematron | Problem | None = None, attributes=None) -> list[Problem]:
    """Problems the Schematron finds in one document, on either route. ``schema``:
    ``compiled(schema_path)`` or ``embedded(rng_path)`` when the caller has it (else the
    file at ``schema_path`` is compiled); ``attributes``: the document's ``edition.scan``, if known."""
    schema = schema or compiled(schema_path)
    if isinstance(schema, Problem):
        where = f"{schema.file}:{schema.line}:{schema.col}" if schema.line else schema.file
        return [Problem(str(doc.path), 1, 1, ERROR, schema.rule, f"{schema.message} ({where})")]
    if isinstance(schema, SaxonSchematron):
        if schema.stale:  # compiled before this process was forked: compile it here
            schema = (embedded if schema.embedded else compiled)(schema.path, schema.phase)
            if isinstance(schema, Problem):
                return check(doc, schema_path, locator, schema=schema)
        return sch_run.check(schema, doc, locator)
    if FAST and schema.mirrored:
        from ..edition import scan

        if quickcheck.clear(doc, attributes or scan(doc)):
            return []
    try:
        report = schema.xslt(doc.tree)
    except etree.XSLTApplyError as exc:
        refused = "read rights" in str(exc) or "refused" in str(schema.xslt.error_log)
        return [Problem(str(doc.path), 1, 1, ERROR, "schematron-document" if refused else "schematron-run",
                        ("the Schematron reads another document (document()), which is never allowed; "
                         f"nothing was read ({Path(schema_path).name})") if refused else
                        f"the Schematron failed while checking this file: {exc} ({Path(schema_path).name})")]
    findings = _FINDINGS(report)
    if not findings:
        return []
    locator = locator or Locator(doc)
    return [_problem(doc, node, locator) for node in findings]


def _problem(doc: Document, node, locator: Locator) -> Problem:
    text = node.find(f"{{{SVRL}}}text")
    message = " ".join("".join(text.itertext()).split()) if text is not None else "Schematron rule failed"
    rule = (node.get("id") or "schematron").split(".", 1)[0]
    role = (node.get("role") or "error").lower()
    severity = WARNING if role in {"warning", "warn", "info", "information"} else ERROR
    target = None
    location = node.get("location")
    if location:
        try:
            found = doc.tree.xpath(location)
        except etree.XPathError:
            found = []
        if found:
            target = found[0]
            if isinstance(target, str) and hasattr(target, "getparent"):  # an attribute result
                target = target.getparent()
    flag = node.get("flag")
    if isinstance(target, etree._Element):
        xpath = simple_path(target)
        if flag:
            line, col = locator.attribute(target, flag)
            xpath += f"/@{flag}"
        else:
            line, col = locator.element(target)
    else:
        line, col, xpath = 1, 1, location
    return Problem(str(doc.path), line, col, severity, rule, message, xpath)
