"""Property-based fuzzing of the loader, validate and transform with hostile
building blocks: no uncaught exception, every problem located, no HTML outside
the allow-list, no secret read, no network hit.

A few hundred examples by default; ``HYPOTHESIS_PROFILE=fuzz`` runs thousands."""

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import LoopbackTrap, PlantedSecret
from hostile_util import TEI_NS
from htmlaudit import audit_html
from tei_edition.loader import Document, parse_bytes
from tei_edition.problems import Problem, Report

settings.register_profile("hostile-ci", max_examples=300, deadline=None, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("fuzz", max_examples=3000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "hostile-ci")
                               if os.environ.get("HYPOTHESIS_PROFILE") in ("fuzz", "hostile-ci") else "hostile-ci")

_WORK = Path(tempfile.mkdtemp(prefix="tei-edition-fuzz-"))
SECRET = PlantedSecret(_WORK / "secret")
TRAP = LoopbackTrap()


@pytest.fixture(scope="module", autouse=True)
def _no_leaks():
    yield
    TRAP.close()
    opened = SECRET.opened()
    SECRET.watch.close()
    shutil.rmtree(_WORK, ignore_errors=True)
    assert TRAP.hits == [], f"the network was reached: {TRAP.hits}"
    assert opened == [], f"the planted secret was opened: {opened}"


URLS = [SECRET.url, SECRET.dtd_url, f"{TRAP.url}/x.xml", "  JaVaScRiPt&#x9;:alert(1)", "java&#10;script:x",
        "vbscript:msgbox(1)", "data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;", "#main", "#tei-main",
        "persons.xml#zhou-enlai", "../../etc/passwd", "/etc/hostname", "mailto:a@b", "https://example.org/",
        "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;", "#x\" onmouseover=\"alert(1)", ""]
IDS = ["main", "tei-main", "tei_main", "content", "top", "search", "note-1", "p-1", "index", "CON", "x",
       "a.b", "_1", "te-search-index"]
TEXTS = ["plain", "</script><script>alert(1)</script>", "&lt;img src=x onerror=alert(1)&gt;", "]]&gt;",
         "&#x202E;rtl", "\u5468\u6069\u6765", "&amp;", "&ed;", "<!-- c -->", "<![CDATA[<script>x</script>]]>",
         "<?pi x?>", "\u0000".replace("\u0000", "&#xFFFD;")]

urls = st.sampled_from(URLS)
ids = st.sampled_from(IDS)
texts = st.sampled_from(TEXTS)
ATTRS = st.sampled_from(["target", "ref", "url", "facs", "source", "corresp", "rend", "style", "onclick",
                         "n", "xml:id", "xml:lang", "when"])


@st.composite
def attributes(draw):
    out = []
    for name in draw(st.lists(ATTRS, max_size=3, unique=True)):
        value = draw(ids) if name == "xml:id" else draw(urls | texts.filter(lambda t: "<" not in t))
        out.append(f' {name}="{value.replace(chr(34), "&quot;")}"')
    return "".join(out)


ELEMENTS = ["p", "ref", "ptr", "note", "hi", "persName", "placeName", "orgName", "rs", "date", "graphic", "pb",
            "lb", "quote", "list", "item", "div", "head", "choice", "sic", "corr", "foreign", "q", "seg",
            "h:script", "h:a", "h:img", "svg:svg", "svg:script", "h:iframe", "math:math", "xi:include"]


def elements(depth=3):
    leaf = texts
    if depth == 0:
        return leaf
    child = elements(depth - 1)

    @st.composite
    def element(draw):
        name = draw(st.sampled_from(ELEMENTS))
        body = "".join(draw(st.lists(child, max_size=3)))
        return f"<{name}{draw(attributes())}>{body}</{name}>"

    return st.one_of(leaf, element())


PROLOGS = st.sampled_from([
    "", '<?xml version="1.0" encoding="UTF-8"?>\n', '<!DOCTYPE TEI [<!ENTITY ed "Editorial Board">]>',
    f'<!DOCTYPE TEI [<!ENTITY ed SYSTEM "{SECRET.url}">]>', f'<!DOCTYPE TEI SYSTEM "{SECRET.dtd_url}">',
    f'<!DOCTYPE TEI [<!ENTITY % p SYSTEM "{TRAP.url}/p.dtd"> %p;]>',
    f'<?xml-model href="{TRAP.url}/tei.rng" schematypens="http://relaxng.org/ns/structure/1.0"?>',
    f'<?xml-stylesheet type="text/xsl" href="{TRAP.url}/x.xsl"?>',
    '<!DOCTYPE TEI [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY ed "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>',
])
NS = (f'xmlns="{TEI_NS}" xmlns:h="http://www.w3.org/1999/xhtml" xmlns:svg="http://www.w3.org/2000/svg" '
      'xmlns:math="http://www.w3.org/1998/Math/MathML" xmlns:xi="http://www.w3.org/2001/XInclude"')


@st.composite
def documents(draw) -> bytes:
    title = draw(texts)
    body = "".join(draw(st.lists(elements(), min_size=1, max_size=4)))
    text = (f'{draw(PROLOGS)}<TEI {NS}{draw(attributes())}><teiHeader><fileDesc><titleStmt><title>{title}</title>'
            "</titleStmt><publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc></fileDesc>"
            f"</teiHeader><text><body>{body}</body></text></TEI>")
    data = text.encode(draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-16", "latin-1"])), errors="replace")
    mutation = draw(st.sampled_from(["none", "none", "truncate", "flip", "insert"]))
    if mutation != "none" and data:
        at = draw(st.integers(0, len(data) - 1))
        if mutation == "truncate":
            data = data[:at]
        elif mutation == "flip":
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1:]
        else:
            data = data[:at] + draw(st.binary(max_size=8)) + data[at:]
    return data


def check_problem(p: Problem, path: str):
    assert isinstance(p, Problem)
    assert p.line >= 0 and p.col >= 0 and p.severity in ("error", "warning")
    assert re.match(r"^.+:\d+:\d+: (error|warning): ", str(p)), str(p)
    SECRET.assert_absent(str(p))
    assert TRAP.marker not in str(p)


@PROFILE
@given(documents())
def test_loader_never_raises(data):
    result = parse_bytes(data, "fuzz.xml")
    if isinstance(result, Problem):
        check_problem(result, "fuzz.xml")
        assert result.severity == "error" and result.line >= 1 and result.col >= 1
    else:
        assert isinstance(result, Document)
        text = result.xml_text()
        assert "<!DOCTYPE" not in text
        SECRET.assert_absent(text)


def _write(data: bytes) -> Path:
    folder = Path(tempfile.mkdtemp(dir=_WORK))
    path = folder / "fuzz.xml"
    path.write_bytes(data)
    return path


@settings(PROFILE, max_examples=max(PROFILE.max_examples // 3, 30))
@given(documents())
def test_validate_never_raises(data):
    from tei_edition.validation import validate

    report = validate([str(_write(data))])
    assert isinstance(report, Report)
    for p in report.problems:
        check_problem(p, "fuzz.xml")


@settings(PROFILE, max_examples=max(PROFILE.max_examples // 2, 50))
@given(documents(), st.sampled_from(["html", "text"]))
def test_transform_never_raises_and_html_passes_the_audit(data, fmt):
    from tei_edition.transform import TransformError, transform

    path = _write(data)
    try:
        out = transform(path, fmt)
    except TransformError as exc:
        check_problem(exc.problem, str(path))
        return
    SECRET.assert_absent(out)
    assert TRAP.marker not in out
    if fmt == "html":
        assert audit_html(out) == []
