"""XSD validation: lxml (libxml2) on the fast path, xmlschema to explain failures
and for XSD 1.1.

A file that passes ``lxml.etree.XMLSchema`` costs nothing more. For a file that
fails, xmlschema (about 40 times slower) reads the same tree and the schema to
add each problem's XPath and the list of elements allowed where one was not,
and to report what libxml2 skips after a content error.

libxml2 knows only XSD 1.0. A schema that declares 1.1 (``vc:minVersion="1.1"``
on its root), uses a construct only 1.1 has (``xs:assert``, ``xs:alternative``,
``xs:openContent``, ``xs:override``), or that libxml2 refuses but xmlschema's
``XMLSchema11`` compiles (``xs:all`` with ``maxOccurs="unbounded"``) is validated
by ``XMLSchema11`` alone. xmlschema reads the schema's parts through the loader,
from the schema's own folder only.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from lxml import etree

from .. import loader
from ..loader import Document
from ..problems import ERROR, Problem
from . import xsd11
from .schemafile import cache_key, explain, load_schema
from .locate import Locator, simple_path, xml_name

declares_xsd11 = xsd11.declares_xsd11  # part of this module's interface
_COMPILED: dict[tuple[str, float], object] = {}  # etree.XMLSchema, xmlschema.XMLSchema11 or Problem
_DIAGNOSTIC: dict[tuple[str, float], object] = {}

_NS = re.compile(r"\{[^}]*\}")
_HEAD = re.compile(r"^Element '([^']+)'(?:, attribute '([^']+)')?: ")


def compiled(path: str | os.PathLike):
    """The compiled schema (once per process and file version): an ``etree.XMLSchema``
    for XSD 1.0, an ``xmlschema.XMLSchema11`` for XSD 1.1, or the Problem that stopped it."""
    key = cache_key(path)
    if key not in _COMPILED:
        _COMPILED[key] = _compile(Path(key[0]))
    return _COMPILED[key]


def _compile(path: Path):
    doc = load_schema(path)
    if isinstance(doc, Problem):
        return Problem(doc.file, doc.line, doc.col, ERROR, "schema-unreadable",
                       f"the schema cannot be read: {doc.message}")
    if xsd11.declares_xsd11(doc.root):
        return xsd11.compile_xsd11(doc)
    try:
        return etree.XMLSchema(doc.tree)
    except etree.XMLSchemaParseError as exc:
        entry = exc.error_log.last_error if exc.error_log else None
        where = getattr(entry, "filename", None) or str(path)  # an included file's error is in that file
        refused = Problem(where, max(getattr(entry, "line", 1) or 1, 1), 1, ERROR, "schema-invalid",
                          explain(doc, f"the XSD schema cannot be compiled: {_NS.sub('', str(exc))}"))
    # libxml2 knows XSD 1.0 only: a schema it refuses may be 1.1 without saying so
    # (xs:all with maxOccurs="unbounded", a 1.1 construct in an included file)
    return xsd11.only_xsd11(doc) or refused


def is_xsd11(schema) -> bool:
    """Is this compiled schema (from :func:`compiled`) validated as XSD 1.1?"""
    return schema is not None and not isinstance(schema, (etree.XMLSchema, Problem))


def _diagnostic_schema(path: Path):
    key = cache_key(path)
    if key not in _DIAGNOSTIC:
        import xmlschema  # slow to import; only needed when a file fails

        doc = load_schema(path)
        try:
            _DIAGNOSTIC[key] = None if isinstance(doc, Problem) else xsd11.load(xmlschema.XMLSchema, doc)[0]
        except Exception:  # a schema libxml2 accepts but xmlschema cannot read: no diagnostics
            _DIAGNOSTIC[key] = None
    return _DIAGNOSTIC[key]


def check(doc: Document, schema_path: str | os.PathLike, locator: Locator | None = None, *,
          schema=None) -> list[Problem]:
    """Validate one document against one XSD (1.0 or 1.1); return its problems (none when valid).
    ``schema``: ``compiled(schema_path)``, when the caller has it."""
    schema = schema if schema is not None else compiled(schema_path)
    if isinstance(schema, Problem):
        return [Problem(str(doc.path), 1, 1, ERROR, schema.rule, f"{schema.message} ({schema.file})")]
    if is_xsd11(schema):
        return _check_xsd11(doc, schema, locator or Locator(doc))
    if schema.validate(doc.tree):
        return []
    locator = locator or Locator(doc)
    log = list(schema.error_log)
    diagnostics = _diagnose(doc, Path(schema_path))
    problems: list[Problem] = []
    covered: set[int] = set()
    for entry in log:
        el = _element_at(doc, entry.path)
        attr = _attribute_of(entry.message)
        info = diagnostics.get(id(el)) if el is not None else None
        problems.append(_from_lxml(doc, entry, el, attr, info, locator))
        if el is not None:
            covered.add(id(el))
            parent = el.getparent()
            if parent is not None and "not expected" in entry.message:
                covered.add(id(parent))
    # what libxml2 did not report (it stops looking inside an element after a content error)
    for err in diagnostics.get("uncovered", []):
        child = getattr(err, "invalid_child", None)
        el = child if child is not None else err.elem
        if id(err.elem) in covered or (el is not None and id(el) in covered):
            continue
        covered.add(id(err.elem))
        problems.append(_from_xmlschema(doc, err, locator))
    return problems


def _check_xsd11(doc: Document, schema, locator: Locator) -> list[Problem]:
    import xmlschema

    try:
        # the tree is already in memory, with its line numbers: xmlschema may open nothing for it
        errors = list(schema.iter_errors(xmlschema.XMLResource(doc.tree, allow="none")))
    except Exception as exc:  # xmlschema failing on a contributed document: its problem, not a crash
        return [Problem(str(doc.path), 1, 1, ERROR, "xsd", f"the XSD 1.1 validator failed: {exc}")]
    return [_from_xmlschema(doc, err, locator) for err in errors]


def _element_at(doc: Document, path: str | None):
    if not path:
        return None
    try:
        found = doc.tree.xpath(path)
    except etree.XPathError:
        return None
    return found[0] if found and isinstance(found[0], etree._Element) else None


def _attribute_of(message: str) -> str | None:
    m = _HEAD.match(message)
    return xml_name(m.group(2)) if m and m.group(2) else None


def _from_lxml(doc, entry, el, attr, info, locator: Locator) -> Problem:
    message = entry.message.strip()
    head = _HEAD.match(message)
    body = _NS.sub("", message[head.end():] if head else message).strip()
    name = etree.QName(el).localname if el is not None else (_NS.sub("", head.group(1)) if head else "?")
    xpath = (info["path"] if info else None) or (simple_path(el) if el is not None else None)
    line, col = (locator.attribute(el, attr) if attr else locator.element(el)) if el is not None else (entry.line or 1, 1)
    rule, text = _explain(name, attr, body, el, doc, info)
    if attr:
        xpath = f"{xpath}/@{attr}" if xpath else None
    return Problem(str(doc.path), line, col, ERROR, rule, text, xpath)


def _explain(name: str, attr: str | None, body: str, el, doc: Document, info) -> tuple[str, str]:
    if "This element is not expected" in body or "is not expected" in body:
        parent = el.getparent() if el is not None else None
        pname = etree.QName(parent).localname if parent is not None else "document"
        allowed = info.get("allowed") if info else None
        known = info.get("known", True) if info else True
        if not known:
            return "xsd-unknown-element", (f"<{name}> is not an element of this schema"
                                           + (f"; allowed in <{pname}>: {allowed}" if allowed else ""))
        return "xsd-not-allowed", (f"<{name}> is not allowed here in <{pname}>"
                                   + (f"; allowed at this point: {allowed}" if allowed else ""))
    m = re.search(r"The attribute '([^']+)' is required but missing", body)
    if m:
        what = xml_name(m.group(1))
        hint = (": a name in the text must point to its register entry, e.g. ref=\"persons.xml#…\""
                if what == "ref" and name in {"persName", "placeName", "orgName", "name", "rs"} else "")
        return "xsd-missing-attribute", f"<{name}> needs @{what}{hint}"
    if "attribute is not allowed" in body or "is not allowed" in body and attr:
        return "xsd-attribute-not-allowed", f"@{attr} is not allowed on <{name}>"
    if attr and "not a valid value" in body:
        value = doc_value(el, attr)
        if "temporal" in body:
            return "xsd-invalid-value", (f"@{attr}=\"{value}\" is not a valid date: write YYYY, YYYY-MM or "
                                         "YYYY-MM-DD (a real calendar date)")
        if "xs:ID" in body or "ID" in body.split()[-1]:
            return "xsd-invalid-value", f"@{attr}=\"{value}\" is not a valid or unique xml:id"
        return "xsd-invalid-value", f"@{attr}=\"{value}\" is not a valid value: {body}"
    if "Missing child element" in body:
        expected = re.search(r"Expected is(?: one of)? \((.*)\)", body)
        return "xsd-incomplete", (f"<{name}> is incomplete: it needs "
                                  + (expected.group(1).strip() if expected else "more content"))
    if "Character content" in body or "text content" in body.lower():
        return "xsd-text-not-allowed", f"<{name}> may not contain text here"
    if "No matching global declaration" in body:
        return "xsd-unknown-element", f"<{name}> is not an element of this schema (no global declaration)"
    return "xsd", f"<{name}>{' @' + attr if attr else ''}: {body}"


def doc_value(el, attr: str) -> str:
    if el is None:
        return ""
    if attr.startswith("xml:"):
        return el.get(f"{{{loader.XML_NS}}}{attr[4:]}", "")
    return el.get(attr, "")


def _diagnose(doc: Document, schema_path: Path) -> dict:
    """xmlschema's reading of the failures: element -> path, allowed children, known-ness."""
    schema = _diagnostic_schema(schema_path)
    result: dict = {"uncovered": []}
    if schema is None:
        return result
    declared = _declared_names(schema)
    try:
        import xmlschema

        # the tree is already in memory: xmlschema may open nothing for it
        errors = list(schema.iter_errors(xmlschema.XMLResource(doc.tree, allow="none")))
    except Exception:  # diagnostics are a bonus; never let them hide the real problems
        return result
    for err in errors:
        elem = getattr(err, "elem", None)
        if elem is None or not isinstance(getattr(elem, "tag", None), str):
            continue
        path = _clean_path(getattr(err, "path", None)) or simple_path(elem)
        child = getattr(err, "invalid_child", None)
        if child is not None and isinstance(child.tag, str):
            allowed = _allowed(err)
            result[id(child)] = {
                "path": f"{path}/{etree.QName(child).localname}"
                        + _position(child),
                "allowed": allowed,
                "known": child.tag in declared,
            }
            result.setdefault("_keep", []).append(child)
        result.setdefault(id(elem), {"path": path})
        result.setdefault("_keep", []).append(elem)
        result["uncovered"].append(err)
    return result


def _position(el) -> str:
    parent = el.getparent()
    if parent is None:
        return ""
    same = [s for s in parent if s.tag == el.tag]
    return f"[{same.index(el) + 1}]" if len(same) > 1 else ""


def _clean_path(path: str | None) -> str | None:
    if not path:
        return None
    return re.sub(r"(?<=/)[A-Za-z_][\w.-]*:", "", path)


def _allowed(err) -> str | None:
    try:
        names = sorted({e.local_name for e in err.validator.iter_elements() if e.local_name}, key=str.lower)
    except Exception:
        return None
    if not names:
        return None
    shown = ", ".join(names[:25])
    return shown + (f", … ({len(names) - 25} more)" if len(names) > 25 else "")


_DECLARED: dict[int, set[str]] = {}


def _declared_names(schema) -> set[str]:
    """Every element name the schema declares, globally or locally."""
    if id(schema) not in _DECLARED:
        import xmlschema

        names = set()
        for component in schema.iter_components(xmlschema.XsdElement):
            if component.name:
                names.add(component.name)
        _DECLARED[id(schema)] = names
    return _DECLARED[id(schema)]


def _from_xmlschema(doc: Document, err, locator: Locator) -> Problem:
    """One of xmlschema's errors (an XSD 1.1 error, or one libxml2 did not report),
    in the words of libxml2's problems above."""
    elem = err.elem
    child = getattr(err, "invalid_child", None)
    target = child if child is not None and isinstance(child.tag, str) else elem
    name = etree.QName(target).localname
    reason = _NS.sub("", str(err.reason or "invalid"))
    path = _clean_path(getattr(err, "path", None)) or simple_path(elem)
    if child is not None and target is child:
        line, col = locator.element(child)
        path = f"{path}/{name}{_position(child)}"
        allowed = _allowed(err)
        rule = "xsd-not-allowed" if child.tag in _declared_names(err.validator.schema) else "xsd-unknown-element"
        text = (f"<{name}> is not allowed here in <{etree.QName(elem).localname}>"
                if rule == "xsd-not-allowed" else f"<{name}> is not an element of this schema")
        return Problem(str(doc.path), line, col, ERROR, rule,
                       text + (f"; allowed at this point: {allowed}" if allowed else ""), path)
    value = re.match(r"attribute (\S+?)='.*?': (.*)", reason, re.S)
    unknown = re.match(r"'(\S+?)' attribute not allowed", reason)
    if value or unknown:
        attr = xml_name((value or unknown).group(1))
        line, col = locator.attribute(elem, attr)
        if unknown:
            rule, text = "xsd-attribute-not-allowed", f"@{attr} is not allowed on <{name}>"
        else:
            rule, text = _invalid_value(f"@{attr}=\"{doc_value(elem, attr)}\"", attr, err, value.group(2))
        return Problem(str(doc.path), line, col, ERROR, rule, text, f"{path}/@{attr}")
    line, col = locator.element(elem)
    kind = type(err.validator).__name__
    if "missing required attribute" in reason:
        what = re.search(r"'([^']+)'", reason)
        rule, text = _explain(name, None, f"The attribute '{what.group(1) if what else '?'}' is required but missing", elem, doc, None)
    elif kind in ("XsdAssert", "XsdAssertionFacet"):
        rule, text = "xsd-assert", f"<{name}> does not meet the schema's assertion {err.validator.path}"
    elif type(err).__name__ == "XMLSchemaChildrenValidationError":  # it stopped before a required child
        expected = ", ".join(dict.fromkeys(t.rpartition(":")[2] for t in err.expected_tags))
        rule, text = "xsd-incomplete", f"<{name}> is incomplete: it needs {expected or 'more content'}"
    elif hasattr(err, "obj") and isinstance(err.obj, str) and len(elem) == 0:  # the element's own text
        rule, text = _invalid_value(f"<{name}> \"{err.obj}\"", None, err, reason)
    else:
        rule, text = "xsd", f"<{name}>: {reason}"
    return Problem(str(doc.path), line, col, ERROR, rule, text, path)


_TEMPORAL = re.compile(r"date|gYear|time|temporal", re.I)
_TEI_TEMPORAL = {"when", "notBefore", "notAfter", "from", "to"}


def _invalid_value(what: str, attr: str | None, err, detail: str) -> tuple[str, str]:
    """``@when="2020-13"`` or ``<date> "x"`` that its type refuses."""
    kind = _type_name(err.validator)
    if attr in _TEI_TEMPORAL or _TEMPORAL.search(kind or "") or _TEMPORAL.search(str(err.validator)):
        return "xsd-invalid-value", f"{what} is not a valid date: write YYYY, YYYY-MM or YYYY-MM-DD (a real calendar date)"
    if type(err).__name__ == "XMLSchemaDecodeError" and kind:  # its detail speaks Python
        return "xsd-invalid-value", f"{what} is not a valid value of {kind}"
    return "xsd-invalid-value", f"{what} is not a valid value: {_NS.sub('', detail).strip()}"


def _type_name(validator) -> str | None:
    """The nearest named type a value was checked against, e.g. ``xs:int``."""
    for _ in range(8):  # an anonymous restriction names its base
        name = getattr(validator, "prefixed_name", None)
        if name or validator is None:
            return name
        validator = getattr(validator, "base_type", None)
    return None
