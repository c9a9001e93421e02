"""ISO Schematron through the ``lxml.isoschematron`` skeleton (XSLT 1.0), compiled once per process.

The skeleton's steps (include, expand, compile to XSLT) run here rather than
inside ``isoschematron.Schematron`` so that the validating XSLT can be compiled
with an access control that denies every read and write: a contributed
Schematron calling ``document()`` (a local file or a URL) reads nothing and is
reported as a problem (rule ``schematron-document``). ``sch:include`` is served
from the schema's own folder only, by the schema's parser (see ``schemafile``).

Each failed assert or successful report becomes a Problem located at the node
the SVRL ``location`` XPath names; an assert's ``@flag`` names the attribute it
is about, so the problem points at that attribute. The rule id is the assert's
``@id`` up to the first dot (``date-real.when`` -> ``date-real``).

For the project's own .sch, :mod:`.quickcheck` first tells which documents no
rule can fire on; those skip the XSLT (``FAST = False`` runs it on every one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lxml import etree, isoschematron

from ..loader import Document
from ..problems import ERROR, WARNING, Problem
from . import quickcheck
from .schemafile import cache_key, explain, load_schema
from .locate import Locator, simple_path

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


_COMPILED: dict[tuple[str, float], Compiled | Problem] = {}


def compiled(path: str | os.PathLike) -> Compiled | Problem:
    key = cache_key(path)
    path = Path(key[0])
    if key not in _COMPILED:
        _COMPILED[key] = _compile(path)
    return _COMPILED[key]


def _compile(path: Path) -> Compiled | Problem:
    doc = load_schema(path)
    if isinstance(doc, Problem):
        return Problem(doc.file, doc.line, doc.col, ERROR, "schema-unreadable",
                       f"the Schematron cannot be read: {doc.message}")
    if doc.root.tag != f"{{{isoschematron.SCHEMATRON_NS}}}schema":
        return Problem(str(path), 1, 1, ERROR, "schema-invalid",
                       "the Schematron cannot be compiled: the root element is not an ISO Schematron <schema>")
    try:
        schema = isoschematron.iso_dsdl_include(doc.tree)
        schema = isoschematron.iso_abstract_expand(schema)
        if isoschematron.schematron_schema_valid_supported and not isoschematron.schematron_schema_valid(schema):
            raise etree.SchematronParseError(
                f"invalid schematron schema: {isoschematron.schematron_schema_valid.error_log}")
        xslt = etree.XSLT(isoschematron.iso_svrl_for_xslt1(schema), access_control=DENY_ALL)
        return Compiled(xslt, quickcheck.digest(schema) == quickcheck.MIRRORED_SCH)
    except etree.LxmlError as exc:  # a refused include ends as an empty document: say so
        return Problem(str(path), 1, 1, ERROR, "schema-invalid",
                       explain(doc, f"the Schematron cannot be compiled: {exc}"))


def check(doc: Document, schema_path: str | os.PathLike, locator: Locator | None = None, *,
          schema: Compiled | Problem | None = None, attributes=None) -> list[Problem]:
    """Problems the Schematron finds in one document. ``schema``: ``compiled(schema_path)``
    when the caller has it; ``attributes``: the document's ``edition.scan``, if known."""
    schema = schema or compiled(schema_path)
    if isinstance(schema, Problem):
        return [Problem(str(doc.path), 1, 1, ERROR, schema.rule, f"{schema.message} ({schema.file})")]
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
