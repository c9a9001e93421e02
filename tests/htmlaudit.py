"""An allow-list audit for generated HTML.

``audit_html(text) -> list[str]`` returns one line per violation (empty = safe).
The test suite runs it over every .html file it produces (see conftest.py);
other tests import it directly for HTML they hold in memory.

The rules, parsed the way a browser parses (html5lib):
- only the elements and attributes listed below;
- URL attributes are relative, http:, https: or mailto: (after stripping what
  browsers strip: surrounding spaces and control characters, tabs and newlines);
- no ``on*`` event handler attributes and no ``style`` attributes;
- ``<script>`` only with a relative ``src`` (the site's own assets) or as an
  inert data block (``type="application/json"``) whose text is valid JSON
  with ``<`` escaped, so nothing can close the element early;
- no ``<base>``, no ``<meta http-equiv="refresh">``, no duplicate ``id``s
  (an ``xml:id`` from the input must not capture the page's own anchors).
"""

from __future__ import annotations

import json
import re

import html5lib

HTML = "http://www.w3.org/1999/xhtml"
SVG = "http://www.w3.org/2000/svg"
XLINK = "http://www.w3.org/1999/xlink"

ELEMENTS = set("""
html head body title meta link style script noscript
header footer nav main article section aside h1 h2 h3 h4 h5 h6 hgroup search
p div span a em strong i b u s small sub sup mark abbr cite q blockquote code pre kbd samp var
br wbr hr ul ol li dl dt dd menu
table caption thead tbody tfoot tr th td col colgroup
figure figcaption img picture source time address details summary dialog
ruby rt rp bdi bdo del ins dfn data
form input label button select option optgroup textarea output fieldset legend datalist progress meter
""".split())

SVG_ELEMENTS = set("svg g path circle ellipse rect line polyline polygon title desc defs symbol use".split())

ATTRIBUTES = set("""
id class lang title dir role tabindex hidden translate accesskey
href src alt width height colspan rowspan scope headers abbr span datetime cite rel type name content charset
media sizes srcset loading decoding hreflang download target
for value placeholder autocomplete method action label disabled readonly required checked selected
multiple max min step maxlength minlength pattern size spellcheck inputmode enterkeyhint autofocus list
form start reversed open async defer crossorigin integrity referrerpolicy nonce
property itemprop itemscope itemtype itemid http-equiv
xmlns xmlns:xlink xml:lang
""".split())

SVG_ATTRIBUTES = set("""
viewBox viewbox fill stroke stroke-width stroke-linecap stroke-linejoin fill-rule clip-rule d points
cx cy r rx ry x y x1 x2 y1 y2 transform focusable version preserveAspectRatio preserveaspectratio
""".split())

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "cite", "poster", "data", "background",
                  "longdesc", "usemap", "manifest", "ping", "itemtype", "itemid", f"{{{XLINK}}}href"}
SAFE_SCHEMES = {"http", "https", "mailto"}
INERT_SCRIPT_TYPES = {"application/json", "application/ld+json"}
META_HTTP_EQUIV = {"content-type", "content-security-policy", "x-ua-compatible", "content-language"}
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_STRIP = "".join(chr(c) for c in range(0x21))


def url_scheme(value: str) -> str | None:
    """The scheme a browser would see in ``value`` (lower case), or None for a relative URL."""
    cleaned = re.sub(r"[\t\n\r]", "", value.strip(_STRIP))
    m = _SCHEME.match(cleaned)
    return m.group(1).lower() if m else None


def url_ok(value: str) -> bool:
    scheme = url_scheme(value)
    return scheme is None or scheme in SAFE_SCHEMES


def _local(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, name = tag[1:].partition("}")
        return ns, name
    return HTML, tag


def _attr_name(name: str) -> str:
    if name.startswith("{"):
        ns, _, local = name[1:].partition("}")
        if ns == XLINK:
            return name
        if ns == "http://www.w3.org/XML/1998/namespace":
            return "xml:" + local
        if ns == "http://www.w3.org/2000/xmlns/":
            return "xmlns:" + local if local != "xmlns" else "xmlns"
        return name
    return name


def audit_html(text: str) -> list[str]:
    """Every violation of the allow-list in one HTML document, as readable lines."""
    problems: list[str] = []
    doc = html5lib.parse(text, treebuilder="etree", namespaceHTMLElements=True)
    ids: dict[str, int] = {}
    for el in doc.iter():
        if not isinstance(el.tag, str):
            continue
        ns, name = _local(el.tag)
        where = f"<{name}>"
        if ns == HTML:
            if name not in ELEMENTS:
                problems.append(f"element {where} is not allowed")
        elif ns == SVG:
            if name not in SVG_ELEMENTS:
                problems.append(f"svg element {where} is not allowed")
        else:
            problems.append(f"element {where} in namespace {ns} is not allowed")
        for raw, value in el.attrib.items():
            attr = _attr_name(raw)
            low = attr.lower()
            if low.startswith("on"):
                problems.append(f"{where} has an event handler attribute {attr}={value!r}")
                continue
            if low == "style":
                problems.append(f"{where} has a style attribute {value!r}")
                continue
            allowed = (attr in ATTRIBUTES or low.startswith("data-") or low.startswith("aria-")
                       or (ns == SVG and (attr in SVG_ATTRIBUTES or attr == f"{{{XLINK}}}href")))
            if not allowed:
                problems.append(f"{where} has attribute {attr}={value!r}, not in the allow-list")
            if attr in URL_ATTRIBUTES and not url_ok(value):
                problems.append(f"{where} {attr}={value!r}: URL scheme {url_scheme(value)!r} is not allowed")
            if low == "srcset":
                for part in value.split(","):
                    candidate = part.strip().split(" ")[0]
                    if candidate and not url_ok(candidate):
                        problems.append(f"{where} srcset candidate {candidate!r} is not allowed")
            if low == "id":
                ids[value] = ids.get(value, 0) + 1
        if ns == HTML and name == "base":
            problems.append("<base> is not allowed (it would redirect every relative URL)")
        if ns == HTML and name == "meta":
            equiv = (el.get("http-equiv") or "").strip().lower()
            if equiv and equiv not in META_HTTP_EQUIV:
                problems.append(f"<meta http-equiv={equiv!r}> is not allowed")
        if ns == HTML and name == "script":
            problems += _audit_script(el)
        if ns == HTML and name == "style":
            css = "".join(el.itertext())
            if re.search(r"expression\s*\(|javascript:|@import|behaviou?r\s*:|-moz-binding", css, re.I):
                problems.append("<style> contains expression(), javascript:, @import or a binding")
            for url in re.findall(r"url\(\s*['\"]?([^'\")]*)", css, re.I):
                if not url_ok(url):
                    problems.append(f"<style> url({url!r}) is not allowed")
    for value, count in ids.items():
        if count > 1:
            problems.append(f"id={value!r} occurs {count} times (an input id collides with the page's own)")
    return problems


def _audit_script(el) -> list[str]:
    src = el.get("src")
    body = "".join(el.itertext())
    kind = (el.get("type") or "").strip().lower()
    if src is not None:
        if body.strip():
            return ["<script src> also carries inline text"]
        if url_scheme(src) is not None or src.strip().startswith(("//", "\\\\", "/\\", "\\/")):
            return [f"<script src={src!r}> does not point at the site's own assets"]
        return []
    if kind in INERT_SCRIPT_TYPES:
        if "<" in body:
            return [f"<script type={kind!r}> holds an unescaped '<' (could close the element)"]
        try:
            json.loads(body)
        except ValueError as exc:
            return [f"<script type={kind!r}> is not valid JSON: {exc}"]
        return []
    return [f"inline <script> (type={kind or 'text/javascript'!r}) is not allowed: {body[:60]!r}"]


def audit_file(path) -> list[str]:
    from pathlib import Path

    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    return [f"{path}: {p}" for p in audit_html(text)]


REGISTERED: list = []


def register_output(folder) -> None:
    """Ask the suite to audit every HTML file under ``folder`` at the end of the run
    (for outputs written outside pytest's temporary folders)."""
    REGISTERED.append(folder)
