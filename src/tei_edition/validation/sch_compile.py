"""An expanded Schematron (:mod:`.sch_expand`) -> the text of an XSLT 3.0 stylesheet.

The shape is SchXslt's: all rules in one mode, one template each, with priorities
in rule order. A template does its rule's checks and then ``xsl:next-match``, so
every pattern sees every node; a parameter carries the patterns whose rule has
already fired on the node, and a later rule of the same pattern passes it on
without checking: within a pattern a node fires only its first matching rule
(``sch:group`` rules all fire). One walk of the document serves all patterns.

The result is deliberately small: ``<r>`` with one ``<f a="N" p="PATH">message<d>…</d></f>``
per failed assert or successful report, N the index into :attr:`Stylesheet.assertions`
(rule id, severity, flag are known here and need not travel), PATH the XPath 3.1
``path()`` of the node the finding is about.

Each generated line that comes from the Schematron is recorded in
:attr:`Stylesheet.origins`, so a Saxon error on line L can be reported at the
``file:line:col`` of the rule, assert or let it came from.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from lxml import etree

from ..problems import ERROR, WARNING
from .sch_expand import ORIGIN, S, SCH_NS, XSL_NS, Expanded, SchemaError, problem

INTERNAL = "urn:x-tei-edition:schematron"
_INTEGERS = "Q{http://www.w3.org/2001/XMLSchema}integer*"
SEVERITIES = {"error": ERROR, "fatal": ERROR, "warning": WARNING, "warn": WARNING, "nonfatal": WARNING,
              "info": WARNING, "information": WARNING}
#: foreign XSLT a schema may carry at its top level (copied as they are)
FOREIGN = {"function", "key", "param", "variable"}
_NCNAME = re.compile(r"[A-Za-z_][\w.\-]*\Z")
# Functions that read the environment (or call a function chosen at run time, or run
# another stylesheet, which could): refused, so no setting of the machine reaches a report.
_ENVIRONMENT = re.compile(r"(?<![\w.\-:}])(?:fn:|Q\{http://www\.w3\.org/2005/xpath-functions\})?"
                          r"(environment-variable|available-environment-variables|function-lookup"
                          r"|load-xquery-module|transform)\s*(?:\(|#)")


@dataclass(frozen=True)
class Assertion:
    """What a finding of one assert or report becomes."""

    rule: str
    severity: str
    flag: str | None  # an attribute of the context element to point at
    source: etree._Element = field(compare=False, repr=False)


@dataclass
class Stylesheet:
    text: str
    assertions: tuple[Assertion, ...]
    origins: list  # per generated line: (element, attribute, lines below its start) or None


class _Writer:
    def __init__(self):
        self.lines: list[str] = []
        self.origins: list = []

    def __call__(self, text: str, el=None, attribute: str | None = None, below: int = 0) -> None:
        self.lines.append(text)
        self.origins.append((el, attribute, below) if el is not None else None)


def attr(value: str) -> str:
    """An XML attribute value in double quotes; newlines kept as references so a
    generated instruction stays on one line."""
    return '"' + (value.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
                  .replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")) + '"'


def text(value: str) -> str:
    return "<xsl:text>" + attr(value)[1:-1] + "</xsl:text>"


def compile_xslt(schema: Expanded) -> Stylesheet:
    """The stylesheet text for ``schema`` (XSLT 3.0; 1.0 in backwards-compatible mode for
    queryBinding xslt); raises SchemaError for what cannot be compiled."""
    w = _Writer()
    sources, root = schema.sources, schema.root
    _refuse_environment(schema)
    namespaces = _namespaces(schema)
    decl = " ".join(f"xmlns:{p}={attr(u)}" for p, u in namespaces.items())
    # XPath 1.0 rules (queryBinding xslt) run in XSLT's backwards-compatible mode
    version = "1.0" if schema.binding in ("xslt", "xslt1", "exslt") else "3.0"
    w(f'<xsl:stylesheet version="{version}" xmlns:xsl="{XSL_NS}" xmlns:_te="{INTERNAL}" {decl} '
      'exclude-result-prefixes="#all">')
    w('<xsl:output method="xml" omit-xml-declaration="yes" indent="no"/>')
    for el in root:
        if isinstance(el.tag, str) and etree.QName(el).namespace == XSL_NS:
            _foreign(w, el, schema)
    lets = list(root.findall(f"{S}let")) + (schema.phase.findall(f"{S}let") if schema.phase is not None else [])
    for let in lets:
        _let(w, let, let.get("name"), schema)
    aliases: dict[int, list[tuple[str, str]]] = {}
    for k, pattern in enumerate(schema.patterns):
        if pattern.get("documents"):
            raise problem(sources, pattern, "pattern/@documents (rules checked in other documents) is not "
                                            "supported: a Schematron reads no document but the one checked",
                          "documents", rule="schematron-unsupported")
        for let in pattern.findall(f"{S}let"):
            name = f"_te:p{k}-{let.get('name', '').replace(':', '.')}"
            if let.get("value") is not None:  # it may use the pattern's earlier lets
                let = copy.copy(let)
                let.set("value", _global(let.get("value"), aliases.get(k, ())))
            _let(w, let, name, schema)
            aliases.setdefault(k, []).append((let.get("name"), name))
    w('<xsl:template match="/"><r><xsl:apply-templates select="." mode="_te:m"/></r></xsl:template>')
    rules = [(k, p, r) for k, p in enumerate(schema.patterns) for r in p.findall(f"{S}rule")]
    many = any(len(p.findall(f"{S}rule")) > 1 and p.tag == f"{S}pattern" for p in schema.patterns)
    assertions: list[Assertion] = []
    for n, (k, pattern, rule) in enumerate(rules):
        siblings = pattern.findall(f"{S}rule") if pattern.tag == f"{S}pattern" else [rule]
        _rule(w, schema, rule, pattern, k, len(rules) - n, siblings, many, aliases.get(k, ()), assertions)
    # the walk; not the built-in rule of on-no-match="shallow-skip", which would hand
    # the patterns already fired on a node down to its children and attributes
    w('<xsl:template match="document-node()|node()|@*" mode="_te:m" priority="-1">'
      '<xsl:apply-templates select="@*|node()" mode="_te:m"/></xsl:template>')
    w("</xsl:stylesheet>")
    return Stylesheet("\n".join(w.lines), tuple(assertions), w.origins)


def _namespaces(schema: Expanded) -> dict[str, str]:
    found: dict[str, str] = {}
    for ns in schema.root.iter(f"{S}ns"):
        prefix, uri = ns.get("prefix") or "", ns.get("uri")
        if not _NCNAME.match(prefix) or prefix.lower().startswith("xml") or prefix in ("xsl", "_te") \
                or uri is None:
            if prefix == "xsl" and uri == XSL_NS:
                continue
            raise problem(schema.sources, ns, f"sch:ns prefix={prefix!r} uri={uri!r} cannot be declared",
                          "prefix")
        if found.get(prefix, uri) != uri:
            raise problem(schema.sources, ns, f"the prefix {prefix!r} is bound to two namespaces: "
                                              f"{found[prefix]} and {uri}", "uri")
        found[prefix] = uri
    return found


def _foreign(w: _Writer, el: etree._Element, schema: Expanded) -> None:
    name = etree.QName(el).localname
    if name not in FOREIGN:
        raise problem(schema.sources, el, f"xsl:{name} at the top of a Schematron is not supported "
                                          f"(only xsl:{', xsl:'.join(sorted(FOREIGN))}; nothing is read "
                                          "from other files)", rule="schematron-unsupported")
    _refuse_writes(el, schema)
    _block(w, etree.tostring(_clean(el), encoding="unicode", with_tail=False), el)


def _clean(el: etree._Element) -> etree._Element:
    """A copy without the source marks."""
    clean = copy.deepcopy(el)
    etree.strip_attributes(clean, ORIGIN)
    etree.cleanup_namespaces(clean)
    return clean


def _block(w: _Writer, markup: str, el: etree._Element) -> None:
    """Markup copied from the schema, each line traced to its line there."""
    for below, line in enumerate(markup.split("\n")):
        w(line, el, None, below)


def _refuse_writes(el: etree._Element, schema: Expanded) -> None:
    found = next(el.iter(f"{{{XSL_NS}}}result-document"), None)
    if found is not None:
        raise problem(schema.sources, found, "xsl:result-document: a Schematron writes nothing",
                      rule="schematron-unsupported")


def _refuse_environment(schema: Expanded) -> None:
    for el in schema.root.iter(f"{S}*", f"{{{XSL_NS}}}*"):
        if el.tag == f"{{{XSL_NS}}}evaluate":
            raise problem(schema.sources, el, "xsl:evaluate is not supported in a Schematron",
                          rule="schematron-unsupported")
        for name, value in el.attrib.items():
            found = _ENVIRONMENT.search(value)
            if found:
                raise problem(schema.sources, el, f"{found.group(1)}() is not allowed in a Schematron: it reads "
                                                  "nothing but the document checked", name,
                              rule="schematron-unsupported")


def _let(w: _Writer, let: etree._Element, name: str | None, schema: Expanded) -> None:
    if not name:
        raise problem(schema.sources, let, "sch:let needs @name")
    typed = f" as={attr(let.get('as'))}" if let.get("as") else ""
    if let.get("value") is not None:
        w(f"<xsl:variable name={attr(name)}{typed} select={attr(let.get('value'))}/>", let, "value")
        return
    _refuse_writes(let, schema)
    content = _clean(let)
    inner = (attr(content.text or "")[1:-1] if content.text else "") + "".join(
        etree.tostring(c, encoding="unicode") for c in content)
    _block(w, f"<xsl:variable name={attr(name)}{typed}>{inner}</xsl:variable>", let)


def _rule(w: _Writer, schema: Expanded, rule, pattern, k: int, priority: int, siblings: list, many: bool,
          aliases, assertions: list[Assertion]) -> None:
    context = rule.get("context")
    if not context:
        raise problem(schema.sources, rule, "sch:rule needs @context")
    context = _global(context, aliases)
    first, last = rule is siblings[0], rule is siblings[-1]
    w(f'<xsl:template match={attr(context)} mode="_te:m" priority="{priority}">', rule, "context")
    if many:
        w(f'<xsl:param name="_te:done" as="{_INTEGERS}" select="()"/>')
    if not first:
        w(f'<xsl:choose><xsl:when test="{k} = $_te:done"><xsl:next-match>'
          '<xsl:with-param name="_te:done" select="$_te:done"/></xsl:next-match></xsl:when><xsl:otherwise>')
    for short, long in aliases:
        w(f"<xsl:variable name={attr(short)} select={attr('$' + long)}/>")
    for let in rule.findall(f"{S}let"):
        _let(w, let, let.get("name"), schema)
    for check in rule:
        if check.tag in (f"{S}assert", f"{S}report"):
            _check(w, schema, check, rule, pattern, assertions)
    done = "$_te:done" if last else f"($_te:done, {k})"
    w(f'<xsl:next-match><xsl:with-param name="_te:done" select="{done}"/></xsl:next-match>' if many
      else "<xsl:next-match/>")
    if not first:
        w("</xsl:otherwise></xsl:choose>")
    w("</xsl:template>")


def _global(expression: str, aliases) -> str:
    """A pattern's lets are global variables under other names: where no local alias
    is in scope (a match pattern, another of the pattern's lets) the names are replaced."""
    for short, long in aliases:
        expression = re.sub(rf"\${re.escape(short)}(?![\w.\-])", f"${long}", expression)
    return expression


def _severity(*words: str | None) -> str:
    for word in words:
        if word and word.strip().lower() in SEVERITIES:
            return SEVERITIES[word.strip().lower()]
    return ERROR


def _check(w: _Writer, schema: Expanded, check, rule, pattern, assertions: list[Assertion]) -> None:
    test = check.get("test")
    if not test:
        raise problem(schema.sources, check, f"sch:{etree.QName(check).localname} needs @test")
    flag = check.get("flag")
    assertions.append(Assertion(
        check.get("id") or pattern.get("id") or "schematron",
        _severity(check.get("role"), flag, rule.get("role"), rule.get("flag")),
        flag.strip() if flag and flag.strip().lower() not in SEVERITIES else None, check))
    condition = f"not(({test}))" if check.tag == f"{S}assert" else test
    w(f"<xsl:if test={attr(condition)}>", check, "test")
    subject = check.get("subject") or rule.get("subject")
    where = f"(({subject})[. instance of node()], .)[1]" if subject else "."
    w(f'<f a="{len(assertions) - 1}"><xsl:attribute name="p" select={attr(f"path({where})")}/>',
      check if check.get("subject") else rule, "subject" if subject else None)
    _content(w, check, schema)
    for ref in (check.get("diagnostics") or "").split():
        w("<d>")
        _content(w, _diagnostic(schema, check, ref), schema)
        w("</d>")
    w("</f></xsl:if>")


def _diagnostic(schema: Expanded, check, ref: str) -> etree._Element:
    for diagnostic in schema.root.iter(f"{S}diagnostic"):
        if diagnostic.get("id") == ref:
            return diagnostic
    raise problem(schema.sources, check, f"the diagnostic {ref!r} does not exist", "diagnostics")


def _content(w: _Writer, el: etree._Element, schema: Expanded) -> None:
    """An assertion's or diagnostic's text: its words, value-of and name evaluated;
    emph, dir, span and foreign markup read as their text."""
    if el.text:
        w(text(el.text))
    for child in el:
        if isinstance(child.tag, str):
            if child.tag == f"{S}value-of":
                if not child.get("select"):
                    raise problem(schema.sources, child, "sch:value-of needs @select")
                w(f"<xsl:value-of select={attr(child.get('select'))}/>", child, "select")
            elif child.tag == f"{S}name":
                path = child.get("path")
                w(f"<xsl:value-of select={attr(f'name({path})' if path else 'name()')}/>", child, "path")
            elif etree.QName(child).namespace == XSL_NS:
                raise problem(schema.sources, child, "XSLT inside an assertion's text is not supported",
                              rule="schematron-unsupported")
            else:
                _content(w, child, schema)
        if child.tail:
            w(text(child.tail))


__all__ = ["Assertion", "Stylesheet", "compile_xslt", "SEVERITIES", "SCH_NS", "SchemaError"]
