"""ISO Schematron through ``lxml.isoschematron`` (XSLT 1.0), compiled once per process.

Each failed assert or successful report becomes a Problem located at the node
the SVRL ``location`` XPath names; an assert's ``@flag`` names the attribute it
is about, so the problem points at that attribute. The rule id is the assert's
``@id`` up to the first dot (``date-real.when`` -> ``date-real``).
"""

from __future__ import annotations

import os
from pathlib import Path

from lxml import etree, isoschematron

from .. import loader
from ..loader import Document
from ..problems import ERROR, WARNING, Problem
from .schemafile import load_schema
from .locate import Locator, simple_path

SVRL = "http://purl.oclc.org/dsdl/svrl"
_COMPILED: dict[tuple[str, float], isoschematron.Schematron | Problem] = {}


def compiled(path: str | os.PathLike) -> isoschematron.Schematron | Problem:
    path = Path(os.path.abspath(path))
    try:
        key = (str(path), path.stat().st_mtime)
    except OSError:
        key = (str(path), 0.0)
    if key not in _COMPILED:
        _COMPILED[key] = _compile(path)
    return _COMPILED[key]


def _compile(path: Path) -> isoschematron.Schematron | Problem:
    doc = load_schema(path)
    if isinstance(doc, Problem):
        return Problem(doc.file, doc.line, doc.col, ERROR, "schema-unreadable",
                       f"the Schematron cannot be read: {doc.message}")
    try:
        return isoschematron.Schematron(doc.tree, store_report=True)
    except (etree.SchematronParseError, etree.XSLTParseError, etree.XSLTApplyError) as exc:
        return Problem(str(path), 1, 1, ERROR, "schema-invalid", f"the Schematron cannot be compiled: {exc}")


def check(doc: Document, schema_path: str | os.PathLike, locator: Locator | None = None) -> list[Problem]:
    schema = compiled(schema_path)
    if isinstance(schema, Problem):
        return [Problem(str(doc.path), 1, 1, ERROR, schema.rule, f"{schema.message} ({schema.file})")]
    if schema.validate(doc.tree):
        return []
    locator = locator or Locator(doc)
    report = schema.validation_report
    problems = []
    for node in report.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        problems.append(_problem(doc, node, locator))
    return problems


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
