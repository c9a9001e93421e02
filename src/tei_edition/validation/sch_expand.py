"""ISO Schematron, made ready to compile: includes, abstract rules and patterns, phases.

The steps are those of ISO Schematron 2016 as SchXslt and oXygen run them:

1. ``sch:include`` is replaced by the element it names (a whole file, or
   ``file#id``); ``sch:extends/@href`` by the content of the element it names.
   Files are read through the hardened loader and only from the schema's own
   folder (and below it); anything else is refused and reported.
2. ``sch:extends/@rule`` is replaced by the content of the abstract rule it
   names; abstract rules are then dropped.
3. A pattern with ``@is-a`` becomes a copy of the abstract pattern it names, each
   ``$param`` in its queries replaced by the ``sch:param`` value; abstract
   patterns are then dropped.
4. A phase chooses the active patterns (default ``@defaultPhase``, else ``#ALL``).

Every Schematron (and foreign XSLT) element of every file read is marked with the
index of its original in :class:`Sources`, an attribute that survives copying, so
an error found later in the generated XSLT can be traced to ``file:line:col``.

Schematron embedded in RELAX NG (ODD output such as ``tei_all.rng``) is gathered
into one Schematron by :func:`from_rng`.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from .. import loader
from ..loader import Document
from ..problems import ERROR, Problem
from .locate import Locator
from .schemafile import load_schema

SCH_NS = "http://purl.oclc.org/dsdl/schematron"
XSL_NS = "http://www.w3.org/1999/XSL/Transform"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
#: the attribute that carries an element's index in Sources (stripped before output)
ORIGIN = "{urn:x-tei-edition:schematron-source}o"
S = f"{{{SCH_NS}}}"
MAX_INCLUDES = 200  # files and depth together: a loop of includes ends here


class SchemaError(Exception):
    """A Schematron that cannot be expanded; carries its located Problem."""

    def __init__(self, problem: Problem):
        super().__init__(problem.message)
        self.problem = problem


@dataclass
class Sources:
    """The original elements behind the expanded schema, for locating errors."""

    origins: list[tuple[Document, etree._Element]] = field(default_factory=list)
    _locators: dict[int, Locator] = field(default_factory=dict)

    def mark(self, doc: Document, root: etree._Element) -> None:
        """Number the Schematron and XSLT elements of one file read."""
        for el in root.iter(f"{S}*", f"{{{XSL_NS}}}*"):
            el.set(ORIGIN, str(len(self.origins)))
            self.origins.append((doc, el))

    def where(self, el: etree._Element | None, attribute: str | None = None,
              lines_below: int = 0) -> tuple[str, int, int]:
        """``(file, line, col)`` of the original of ``el`` (or of its nearest marked ancestor)."""
        while el is not None and el.get(ORIGIN) is None:
            el = el.getparent()
        if el is None:
            return (str(self.origins[0][0].path) if self.origins else "<schematron>"), 1, 1
        doc, original = self.origins[int(el.get(ORIGIN))]
        locator = self._locators.get(id(doc))
        if locator is None:
            locator = self._locators[id(doc)] = Locator(doc)
        if lines_below:
            line, col = locator.element(original)
            return str(doc.path), line + lines_below, 1
        line, col = locator.attribute(original, attribute) if attribute else locator.element(original)
        return str(doc.path), line, col


@dataclass
class Expanded:
    """A Schematron with includes, abstract rules and abstract patterns resolved, one phase chosen."""

    root: etree._Element           # the expanded sch:schema
    patterns: list[etree._Element]  # the active patterns (and groups), in document order
    phase: etree._Element | None    # the phase chosen, None for #ALL
    sources: Sources
    binding: str                    # queryBinding, lower case ("xslt" when absent)


def query_binding(root: etree._Element) -> str:
    return (root.get("queryBinding") or "xslt").strip().lower()


def problem(sources: Sources, el, message: str, attribute: str | None = None,
            rule: str = "schema-invalid") -> SchemaError:
    file, line, col = sources.where(el, attribute)
    return SchemaError(Problem(file, line, col, ERROR, rule, message))


def expand(root: etree._Element, sources: Sources, path: str | os.PathLike,
           phase: str | None = None) -> Expanded:
    """Steps 1-4 above on ``root`` (changed in place), for the schema at ``path``; raises SchemaError."""
    folder = Path(os.path.abspath(path)).parent
    _includes(root, sources, folder.resolve(), folder, [0])
    _abstract_rules(root, sources)
    _abstract_patterns(root, sources)
    chosen, patterns = _phase(root, sources, phase)
    return Expanded(root, patterns, chosen, sources, query_binding(root))


# -- 1. includes ----------------------------------------------------------------------------

def _includes(el: etree._Element, sources: Sources, folder: Path, here: Path, count: list[int]) -> None:
    for inc in list(el.iter(f"{S}include", f"{S}extends")):
        if inc.tag == f"{S}extends" and inc.get("href") is None:
            continue  # extends/@rule: step 2
        target, base = _fetch(inc, sources, folder, here, count)
        target = copy.deepcopy(target)
        _includes(target, sources, folder, base, count)  # the included file's own includes
        parent = inc.getparent()
        if inc.tag == f"{S}extends" or target.tag == f"{S}schema":
            _replace(inc, [c for c in target if isinstance(c.tag, str)])
        else:
            target.tail = inc.tail
            parent.replace(inc, target)


def _fetch(inc, sources: Sources, folder: Path, here: Path, count: list[int]) -> tuple[etree._Element, Path]:
    href = inc.get("href") or ""
    count[0] += 1
    if count[0] > MAX_INCLUDES:
        raise problem(sources, inc, f"more than {MAX_INCLUDES} includes (do they include each other?)", "href")
    parts = urlsplit(href)
    if parts.scheme not in ("", "file") or parts.netloc:
        raise problem(sources, inc, f"the Schematron includes {href}, which is never fetched "
                                    "(only files in the schema's own folder are read)", "href")
    if parts.path:
        path = Path(unquote(parts.path))
        path = (path if path.is_absolute() else here / path).resolve()
        if not path.is_relative_to(folder):
            raise problem(sources, inc, f"the Schematron includes {href}, outside the schema's own folder; "
                                        "only files in that folder are read", "href")
        doc = loader.try_load(path, require_tei=False)
        if isinstance(doc, Problem):
            raise problem(sources, inc, f"the included file {href} cannot be read: {doc.message} "
                                        f"({doc.file}:{doc.line}:{doc.col})", "href")
        sources.mark(doc, doc.root)
        found, base = doc.root, path.parent
    else:  # "#id": an element of this same schema
        found, base = inc.getroottree().getroot(), here
    if parts.fragment:
        hits = [e for e in found.iter() if e.get("id") == parts.fragment
                or e.get(f"{{{loader.XML_NS}}}id") == parts.fragment]
        if not hits:
            raise problem(sources, inc, f"the Schematron includes {href}, but no element has the id "
                                        f"{parts.fragment!r}", "href")
        found = hits[0]
    return found, base


def _replace(old: etree._Element, new: list) -> None:
    """Put copies of ``new`` where ``old`` was (its tail kept)."""
    parent = old.getparent()
    at = parent.index(old)
    tail = old.tail
    parent.remove(old)
    for offset, child in enumerate(new):
        parent.insert(at + offset, copy.deepcopy(child))
    if new:
        last = parent[at + len(new) - 1]
        last.tail = (last.tail or "") + (tail or "")


# -- 2. abstract rules ----------------------------------------------------------------------

def _abstract_rules(root: etree._Element, sources: Sources) -> None:
    def lookup(extends) -> etree._Element:
        name = extends.get("rule")
        pattern = next(extends.iterancestors(f"{S}pattern", f"{S}group"), None)
        for scope in (pattern, root):  # the same pattern first, as ISO says; then anywhere
            if scope is None:
                continue
            for rule in scope.iter(f"{S}rule"):
                if rule.get("abstract") == "true" and rule.get("id") == name:
                    return rule
        raise problem(sources, extends, f"sch:extends names the abstract rule {name!r}, which does not exist",
                      "rule")

    for _ in range(MAX_INCLUDES):  # an abstract rule may extend another: repeat until none left
        pending = [e for e in root.iter(f"{S}extends") if e.get("rule") is not None]
        if not pending:
            break
        for extends in pending:
            rule = lookup(extends)
            if any(a is rule for a in extends.iterancestors()):
                raise problem(sources, extends, f"the abstract rule {rule.get('id')!r} extends itself", "rule")
            _replace(extends, [c for c in rule if isinstance(c.tag, str)])
    else:
        raise problem(sources, root, "abstract rules extend each other without end")
    for rule in list(root.iter(f"{S}rule")):
        if rule.get("abstract") == "true":
            rule.getparent().remove(rule)


# -- 3. abstract patterns -------------------------------------------------------------------

def _abstract_patterns(root: etree._Element, sources: Sources) -> None:
    abstract = {p.get("id"): p for p in root.iter(f"{S}pattern") if p.get("abstract") == "true"}
    for instance in list(root.iter(f"{S}pattern")):
        name = instance.get("is-a")
        if name is None:
            continue
        model = abstract.get(name)
        if model is None:
            raise problem(sources, instance, f"the pattern is-a {name!r}, but no abstract pattern has that id",
                          "is-a")
        params = {p.get("name"): p.get("value") for p in instance.findall(f"{S}param")}
        new = copy.deepcopy(model)
        for key in ("abstract", "id"):
            new.attrib.pop(key, None)
        for key, value in instance.attrib.items():
            if key != "is-a":
                new.set(key, value)
        new.set(ORIGIN, instance.get(ORIGIN, new.get(ORIGIN, "0")))
        _substitute(new, params)
        new.tail = instance.tail
        instance.getparent().replace(instance, new)
    for pattern in abstract.values():
        if pattern.getparent() is not None:
            pattern.getparent().remove(pattern)


def _substitute(el: etree._Element, params: dict[str, str]) -> None:
    """``$name`` -> the parameter's value, in every attribute below ``el`` (longest names first)."""
    if not params:
        return
    names = sorted(params, key=len, reverse=True)
    pattern = re.compile(r"\$(" + "|".join(re.escape(n) for n in names) + r")(?![\w.\-])")
    for node in el.iter():
        if not isinstance(node.tag, str):
            continue
        for key, value in node.attrib.items():
            if "$" in value and key != ORIGIN:
                node.set(key, pattern.sub(lambda m: params[m.group(1)] or "", value))


# -- 4. phases ------------------------------------------------------------------------------

def _phase(root: etree._Element, sources: Sources, phase: str | None):
    patterns = [p for p in root.iter(f"{S}pattern", f"{S}group")]
    name = phase
    if name in (None, "#DEFAULT"):
        name = root.get("defaultPhase") or "#ALL"
    if name == "#ALL":
        return None, patterns
    phases = {p.get("id"): p for p in root.iter(f"{S}phase")}
    chosen = phases.get(name)
    if chosen is None:
        known = ", ".join(sorted(filter(None, phases))) or "none"
        where = "defaultPhase" if phase in (None, "#DEFAULT") else None
        raise problem(sources, root, f"no phase {name!r} in the Schematron (its phases: {known})", where)
    active = {a.get("pattern") for a in chosen.iter(f"{S}active")}
    ids = {p.get("id") for p in patterns}
    for a in chosen.iter(f"{S}active"):
        if a.get("pattern") not in ids:
            raise problem(sources, a, f"the phase {name!r} activates {a.get('pattern')!r}, which is not a "
                                      "pattern of the Schematron", "pattern")
    return chosen, [p for p in patterns if p.get("id") in active]


# -- embedded in RELAX NG -------------------------------------------------------------------

#: what a RELAX NG schema may carry for Schematron, wherever it stands
_EMBEDDED = {f"{S}ns", f"{S}let", f"{S}pattern", f"{S}phase", f"{S}diagnostics"}


def from_rng(path: str | os.PathLike) -> tuple[etree._Element, Sources] | None:
    """One Schematron gathered from a RELAX NG schema's embedded rules, or None when it
    has none; raises SchemaError when the RELAX NG cannot be read.

    queryBinding is xslt2, as oXygen assumes for the rules ODDs embed, unless an embedded
    ``sch:schema`` or the grammar itself (``@queryBinding`` in any namespace) says otherwise.
    """
    doc = load_schema(path)
    if isinstance(doc, Problem):
        raise SchemaError(Problem(doc.file, doc.line, doc.col, ERROR, "schema-unreadable",
                                  f"the RELAX NG schema cannot be read: {doc.message}"))
    grammar = doc.root
    found = [el for el in grammar.iter(*_EMBEDDED)
             if not any(a.tag in _EMBEDDED or a.tag == f"{S}schema" for a in el.iterancestors())]
    inner = list(grammar.iter(f"{S}schema"))
    for schema in inner:
        found += [c for c in schema if c.tag in _EMBEDDED]
    if not any(el.tag == f"{S}pattern" for el in found):
        return None
    binding = next((s.get("queryBinding") for s in inner if s.get("queryBinding")), None)
    binding = binding or next((v for k, v in grammar.attrib.items() if etree.QName(k).localname == "queryBinding"),
                              "xslt2")
    sources = Sources()
    sources.mark(doc, grammar)
    root = etree.Element(f"{S}schema", nsmap={"sch": SCH_NS}, queryBinding=binding)
    root.set(ORIGIN, "0")
    order = {f"{S}ns": 0, f"{S}let": 1, f"{S}phase": 2, f"{S}pattern": 3, f"{S}diagnostics": 4}
    for el in sorted(found, key=lambda e: order[e.tag]):  # stable: document order within a kind
        root.append(copy.deepcopy(el))
    root.extend(copy.deepcopy(el) for el in grammar if el.tag in (f"{{{XSL_NS}}}function", f"{{{XSL_NS}}}key"))
    return root, sources
