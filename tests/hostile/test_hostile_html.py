"""Script injection: no TEI input can put running script into the HTML we generate.

Every page is checked with the allow-list audit (tests/htmlaudit.py); the suite's
own hook also audits every .html file left in any temporary folder."""

import html
import re
import shutil
from pathlib import Path

import pytest
from lxml import etree

from hostile_util import REPO, tei
from htmlaudit import audit_file, audit_html, url_scheme

INPUTS = Path(__file__).parent / "inputs"
HOSTILE = INPUTS / "script-injection.xml"
SCRIPTY_NS = {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg", "http://www.w3.org/1998/Math/MathML"}


def transform_html(path, **params):
    from tei_edition.transform import transform

    return transform(path, "html", params or None)


@pytest.fixture(scope="module")
def hostile_edition(tmp_path_factory):
    """The bundled edition plus the hostile document, in a temporary folder."""
    folder = tmp_path_factory.mktemp("hostile-edition")
    for f in (REPO / "tei").glob("*.xml"):
        shutil.copy(f, folder / f.name)
    shutil.copy(HOSTILE, folder / HOSTILE.name)
    return folder


@pytest.mark.parametrize("fragment", [False, True])
def test_transform_html_passes_the_audit(hostile_edition, fragment):
    out = transform_html(hostile_edition / HOSTILE.name, **({"fragment": "yes"} if fragment else {}))
    assert audit_html(out) == []
    # The would-be markup is still there, as text a reader can see.
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in out


def test_no_url_attribute_keeps_a_dangerous_scheme(hostile_edition):
    out = transform_html(hostile_edition / HOSTILE.name)
    for value in re.findall(r'\s(?:href|src|action|xlink:href)="([^"]*)"', out):
        assert url_scheme(html.unescape(value)) in (None, "http", "https", "mailto"), value


def test_foreign_elements_are_not_copied_as_markup(hostile_edition):
    import html5lib

    out = transform_html(hostile_edition / HOSTILE.name)
    tree = html5lib.parse(out, treebuilder="lxml")
    for el in tree.iter():
        if isinstance(el.tag, str):
            name = el.tag.split("}")[-1]
            assert name not in {"iframe", "object", "embed", "img", "svg", "math"}, name
            assert name != "script" or el.get("src"), "inline script"
            assert not any(a.lower().startswith("on") for a in el.attrib), el.attrib


def page_ids(text: str) -> set[str]:
    return set(re.findall(r'\sid="([^"]+)"', text))


def test_xml_ids_cannot_collide_with_the_page_own_ids(tmp_path):
    """Give a document every id the page itself uses (with and without prefixes):
    each id must still occur once, so anchors and scripts find the page's element."""
    plain = tmp_path / "plain.xml"
    plain.write_text(tei("<div><head>H</head><p>a<note>n</note></p></div>"), encoding="utf-8")
    own = page_ids(transform_html(plain))
    candidates = set()
    for value in own | {"main", "content", "top", "notes", "note-1", "noteref-1", "search", "title"}:
        for variant in (value, value.removeprefix("tei-"), value.removeprefix("te-")):
            if re.match(r"^[A-Za-z_][\w.-]*$", variant):
                candidates.add(variant)
    body = "".join(f'<p xml:id="{c}">{c}</p>' for c in sorted(candidates)) + "<p>x<note>n</note></p>"
    hostile = tmp_path / "ids.xml"
    hostile.write_text(tei(body, root_attrs=' xml:id="main"'), encoding="utf-8")
    out = transform_html(hostile)
    problems = [p for p in audit_html(out) if "occurs" in p]
    assert problems == []


@pytest.fixture(scope="module")
def hostile_site(hostile_edition, tmp_path_factory):
    from tei_edition import site

    out = tmp_path_factory.mktemp("hostile-site")
    result = site.build([hostile_edition], out, force=True)
    assert result.built
    return out


def test_every_site_page_passes_the_audit(hostile_site):
    pages = sorted(hostile_site.rglob("*.html"))
    assert len(pages) > 5
    problems = [p for page in pages for p in audit_file(page)]
    assert problems == []


def test_site_json_blocks_are_inert(hostile_site):
    for page in hostile_site.rglob("*.html"):
        for block in re.findall(r"<script type=\"application/json\"[^>]*>(.*?)</script>", page.read_text(), re.S):
            assert "<" not in block, page


def test_published_source_xml_carries_no_script(hostile_site):
    """The site offers each document's TEI for download. A browser opening that .xml
    runs XHTML/SVG script inside it on the site's origin, so what is published must
    hold no XHTML/SVG/MathML elements, no on* attributes and no xml-stylesheet PI."""
    published = [p for p in hostile_site.rglob("*.xml")]
    assert published
    found = []
    for path in published:
        root = etree.fromstring(path.read_bytes(), etree.XMLParser(resolve_entities=False, no_network=True,
                                                                   load_dtd=False))
        for el in root.iter():
            if not isinstance(el.tag, str):
                if isinstance(el, etree._ProcessingInstruction) and el.target == "xml-stylesheet":
                    found.append(f"{path.name}: <?xml-stylesheet?>")
                continue
            if etree.QName(el).namespace in SCRIPTY_NS:
                found.append(f"{path.name}: <{etree.QName(el).localname}> in {etree.QName(el).namespace}")
            found += [f"{path.name}: @{a}" for a in el.attrib if etree.QName(a).localname.lower().startswith("on")]
        for sib in root.itersiblings(preceding=True):
            if isinstance(sib, etree._ProcessingInstruction) and sib.target == "xml-stylesheet":
                found.append(f"{path.name}: <?xml-stylesheet?>")
    assert found == []


@pytest.mark.browser
def test_published_source_xml_runs_no_script_in_a_browser(hostile_site):
    """The same, proven in headless Chromium: opening every published file raises no dialog."""
    playwright = pytest.importorskip("playwright.sync_api")
    dialogs = []
    with playwright.sync_playwright() as p:
        exe = shutil.which("chromium") or shutil.which("chromium-browser")
        browser = p.chromium.launch(executable_path=exe) if exe else p.chromium.launch()
        try:
            page = browser.new_page()
            page.on("dialog", lambda d: (dialogs.append(f"{page.url}: {d.message}"), d.dismiss()))
            for path in sorted(hostile_site.rglob("*")):
                if path.suffix in {".html", ".xml", ".svg"}:
                    page.goto(path.as_uri())
                    page.wait_for_timeout(100)
        finally:
            browser.close()
    assert dialogs == []
