"""Schematron with queryBinding xslt2/xslt3 (and xpath2/3/31) on the hardened saxonche engine.

The stylesheet :mod:`.sch_compile` writes is compiled from text by the process's one
Saxon engine (:mod:`tei_edition.xslt`), after that engine is hardened: at run time
``doc()``, ``document()``, ``unparsed-text()`` and ``collection()`` read nothing, and
each document reaches Saxon as text re-serialised by the loader (no DTD). The
result documents of ``xsl:result-document`` (refused in the schema already) are
captured in memory, never written.

Saxon reports an error's line in the generated stylesheet; it is traced back to
the ``file:line:col`` of the Schematron element it came from.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .. import loader, xslt
from ..loader import Document
from ..problems import ERROR, Problem
from .locate import Locator, simple_path, xml_name
from .sch_compile import Assertion, Stylesheet, compile_xslt
from .sch_expand import Expanded, SchemaError, Sources

#: query bindings run here; "xslt" (XSLT 1.0) stays on lxml
BINDINGS = {"xslt2", "xslt3", "xpath2", "xpath3", "xpath31"}

_LINE = re.compile(r"on line (\d+) column (\d+)")
_CODE = re.compile(r"\b([A-Z]{4}\d{4})\s+(.+)")
_EXPRESSION = re.compile(r"Error in \{(.*?)\} at char")
_REFUSED = ("has been prohibited", "has been disallowed")  # Saxon, under allowedProtocols=""


@dataclass(frozen=True)
class SaxonSchematron:
    """A Schematron compiled for saxonche; ``path`` is the schema file (or the RELAX NG)."""

    executable: object
    assertions: tuple[Assertion, ...]
    path: str
    sheet: Stylesheet
    sources: Sources
    phase: str | None = None
    embedded: bool = False  # path is a RELAX NG schema carrying the rules
    pid: int = field(default_factory=os.getpid)  # Saxon's objects do not survive a fork

    mirrored = False  # quickcheck mirrors the project's XSLT 1.0 .sch only

    @property
    def stale(self) -> bool:
        """True in a process forked after compiling: it must compile its own."""
        return self.pid != os.getpid()


def compile_schema(schema: Expanded, path: str, phase: str | None = None,
                   embedded: bool = False) -> SaxonSchematron | Problem:
    """Compile an expanded Schematron; one located Problem if it does not compile."""
    try:
        sheet = compile_xslt(schema)
    except SchemaError as exc:
        return exc.problem
    try:
        eng = xslt.engine()  # hardened before anything of ours is compiled
    except xslt.XsltError as exc:  # the project's own stylesheets, compiled first, do not compile
        return exc.problem
    with xslt._lock:
        try:
            with xslt._NativeStderr() as err:
                executable = eng.proc.new_xslt30_processor().compile_stylesheet(stylesheet_text=sheet.text)
        except Exception as exc:  # saxonche raises PySaxonApiError
            file, line, col, message = _traced(str(exc), err.text, sheet, schema.sources)
            return Problem(file, line, col, ERROR, "schema-invalid",
                           f"the Schematron does not compile: {message}")
        executable.set_capture_result_documents(True)  # never written to a file
    return SaxonSchematron(executable, sheet.assertions, str(path), sheet, schema.sources, phase, embedded)


def _traced(error: str, native: str, sheet: Stylesheet, sources: Sources) -> tuple[str, int, int, str]:
    """Saxon's error -> (schema file, line, col, message), the line traced back to the schema."""
    both = f"{error}\n{native}"
    code = _CODE.search(both)
    message = " ".join((code.group(2) if code else error).split()) or "unknown error"
    if code:
        message += f" [{code.group(1)}]"
    found = _LINE.search(both)
    origin = None
    if found:
        at = int(found.group(1)) - 1
        while 0 <= at < len(sheet.origins) and sheet.origins[at] is None:
            at -= 1  # a generated line of our own: the nearest line of the schema's above it
        origin = sheet.origins[at] if 0 <= at < len(sheet.origins) else None
    expression = _EXPRESSION.search(both)
    if origin is None:
        file, line, col = sources.where(None)
        return file, 0, 0, message + (f" in {expression.group(1)!r}" if expression else "")
    el, attribute, below = origin
    if attribute and el.get(attribute) is not None:
        message += f" in {attribute}={el.get(attribute)!r}"  # the schema's words, not the generated XSLT's
    elif expression:
        message += f" in {expression.group(1)!r}"
    file, line, col = sources.where(el, attribute, below)
    return file, line, col, message


def check(schema: SaxonSchematron, doc: Document, locator: Locator | None = None) -> list[Problem]:
    """The problems ``schema`` finds in ``doc``."""
    eng = xslt.engine()
    text = doc.xml_text()
    with xslt._lock:
        try:
            with xslt._NativeStderr() as err:
                node = eng.proc.parse_xml(xml_text=text)
                result = schema.executable.transform_to_string(xdm_node=node)
        except Exception as exc:
            return [_failed(schema, doc, str(exc), err.text)]
    if not result or result.endswith("<r/>"):
        return []
    report = loader.parse_bytes(result.encode("utf-8"), "<schematron result>", require_tei=False)
    if isinstance(report, Problem):
        return [Problem(str(doc.path), 1, 1, ERROR, "schematron-run",
                        f"the Schematron's result could not be read: {report.message}")]
    locator = locator or Locator(doc)
    return [_problem(schema, doc, finding, locator) for finding in report.root]


def _failed(schema: SaxonSchematron, doc: Document, error: str, native: str) -> Problem:
    file, line, col, message = _traced(error, native, schema.sheet, schema.sources)
    where = f"{Path(file).name}:{line}:{col}" if line else Path(schema.path).name
    if any(word in f"{error}\n{native}" for word in _REFUSED):
        return Problem(str(doc.path), 1, 1, ERROR, "schematron-document",
                       "the Schematron reads another document (doc(), document(), unparsed-text() or "
                       f"collection()), which is never allowed; nothing was read ({where})")
    return Problem(str(doc.path), 1, 1, ERROR, "schematron-run",
                   f"the Schematron failed while checking this file: {message} ({where})")


def _problem(schema: SaxonSchematron, doc: Document, finding: etree._Element, locator: Locator) -> Problem:
    assertion = schema.assertions[int(finding.get("a"))]
    message = " ".join(((finding.text or "") + "".join(d.tail or "" for d in finding)).split())
    diagnostics = [" ".join("".join(d.itertext()).split()) for d in finding]
    diagnostics = [d for d in diagnostics if d]
    if not message:
        kind = etree.QName(assertion.source).localname
        message = f"{kind} failed: {assertion.source.get('test')}"
    if diagnostics:
        message += f" ({'; '.join(diagnostics)})"
    target, attribute = node_at(doc, finding.get("p") or "")
    if target is None:
        return Problem(str(doc.path), 1, 1, assertion.severity, assertion.rule, message, finding.get("p"))
    xpath = simple_path(target)
    if attribute is None and assertion.flag and _attribute(assertion.flag) in target.attrib:
        attribute = _attribute(assertion.flag)
    if attribute is not None:
        name = xml_name(attribute)
        line, col = locator.attribute(target, name)
        xpath += f"/@{name}"
    else:
        line, col = locator.element(target)
    return Problem(str(doc.path), line, col, assertion.severity, assertion.rule, message, xpath)


def _attribute(name: str) -> str:
    """``xml:id`` -> Clark notation; a plain name stays."""
    return f"{{{loader.XML_NS}}}{name[4:]}" if name.startswith("xml:") else name


_STEP = re.compile(r"/(?:Q\{(?P<ns>[^}]*)\}(?P<local>[^/\[{]+)\[(?P<n>\d+)\]"
                   r"|@(?:Q\{(?P<ans>[^}]*)\})?(?P<attr>[^/\[{]+)"
                   r"|(?P<other>[^/]*))")


def node_at(doc: Document, path: str) -> tuple[etree._Element | None, str | None]:
    """The element an XPath 3.1 ``path()`` leads to in the lxml tree, and the attribute
    (Clark notation) when it ends on one; a text, comment or PI step stops at its parent."""
    if not path.startswith("/"):
        return None, None
    el = None
    for m in _STEP.finditer(path):
        if m.group("local") is not None:
            tag = f"{{{m.group('ns')}}}{m.group('local')}" if m.group("ns") else m.group("local")
            if el is None:
                if doc.root.tag != tag:
                    return None, None
                el = doc.root
                continue
            same = [c for c in el if c.tag == tag]
            index = int(m.group("n")) - 1
            if index >= len(same):
                return el, None
            el = same[index]
        elif m.group("attr") is not None:
            ns = m.group("ans")
            return el, (f"{{{ns}}}{m.group('attr')}" if ns else m.group("attr"))
        else:
            break
    return (el if el is not None else doc.root), None
