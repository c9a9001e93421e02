"""The engine, the text output and the HTML output, checked on the edition and on tests/samples."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import unicodedata
from pathlib import Path

import html5lib
import pytest

from tei_edition import xslt
from tei_edition.loader import load
from tei_edition.resources import edition_dir
from tei_edition.transform import Skipped, TransformError, skip_reason, transform, transform_path

SAMPLES = Path(__file__).parent / "samples"
SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "sources" / "sino-soviet-communique-1952-09-16.txt"
EDITION = edition_dir()
READING_ORDER = ["communique", "announcement", "note-zhou", "reply-vyshinsky"]
SRC = str(Path(__file__).resolve().parents[1] / "src")


def _words(text: str) -> str:
    """Whitespace-normalised text with typographic quotes folded to the source's straight ones."""
    text = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    return " ".join(text.split())


def _run_isolated(code: str) -> subprocess.CompletedProcess:
    """Run engine code in a fresh process (its own processor, so hardening can be tested alone)."""
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          env={"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}, timeout=120)


# --- engine hardening -------------------------------------------------------------

HOSTILE_XSL = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:param name="how" select="'doc'"/>
  <xsl:output method="text"/>
  <xsl:template match="/">
    <xsl:choose>
      <xsl:when test="$how = 'doc'"><xsl:value-of select="count(doc('file:///etc/passwd')//*)"/></xsl:when>
      <xsl:when test="$how = 'text'"><xsl:value-of select="unparsed-text('file:///etc/passwd')"/></xsl:when>
      <xsl:when test="$how = 'http'"><xsl:value-of select="unparsed-text('http://127.0.0.1:9/x')"/></xsl:when>
      <xsl:when test="$how = 'fail'"><xsl:message terminate="yes">the stylesheet gave up</xsl:message></xsl:when>
      <xsl:otherwise>ok <xsl:value-of select="name(*)"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>"""


def test_a_process_warmed_for_one_format_compiles_only_that_stylesheet():
    # what a pool worker does: it serves one task and starts sooner with one stylesheet
    result = _run_isolated("""
        import importlib
        from tei_edition import xslt
        t = importlib.import_module("tei_edition.transform")  # the package exports a function of that name
        from tei_edition.resources import edition_dir
        print(xslt.warm(["text"]))
        print(len(t.transform(edition_dir() / "communique.xml", "text")) > 1000)
        try:
            t.transform(edition_dir() / "communique.xml", "html")
        except t.TransformError as exc:
            print("REFUSED", exc.problem)
    """)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "['text']" and lines[1] == "True"
    assert lines[2].startswith("REFUSED") and "communique.xml" in lines[2]
    assert "'html' was not compiled in this process" in lines[2]


@pytest.mark.parametrize("how", ["doc", "text", "http"])
def test_hardened_engine_refuses_files_and_network(tmp_path, how):
    (tmp_path / "hostile.xsl").write_text(HOSTILE_XSL)
    result = _run_isolated(f"""
        from pathlib import Path
        from tei_edition import xslt
        eng = xslt._Engine()
        eng.compile_all(Path({str(tmp_path)!r}))
        print(xslt._engine is None)
        xslt._engine = eng
        print(xslt.run("hostile", "<r/>", {{"how": "plain"}}))
        try:
            out = xslt.run("hostile", "<r/>", {{"how": {how!r}}}, file="in.xml")
            print("LEAK", out[:40])
        except xslt.XsltError as exc:
            print("REFUSED", exc.problem)
    """)
    assert result.returncode == 0, result.stderr
    assert "ok r" in result.stdout
    assert "REFUSED" in result.stdout and "LEAK" not in result.stdout
    assert "root:" not in result.stdout
    if how != "http":
        assert "prohibited" in result.stdout


def test_unhardened_processor_would_read_files(tmp_path):
    """The control: without the hardening step the same stylesheet does read the file."""
    (tmp_path / "hostile.xsl").write_text(HOSTILE_XSL)
    result = _run_isolated(f"""
        from saxonche import PySaxonProcessor
        proc = PySaxonProcessor(license=False)
        ex = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file={str(tmp_path / 'hostile.xsl')!r})
        job = ex.clone()
        job.set_parameter("how", proc.make_string_value("text"))
        print(job.transform_to_string(xdm_node=proc.parse_xml(xml_text="<r/>"))[:5])
    """)
    assert result.stdout.startswith("root:")


def test_no_stylesheet_can_be_compiled_after_hardening(tmp_path):
    (tmp_path / "late.xsl").write_text(HOSTILE_XSL)
    result = _run_isolated(f"""
        from pathlib import Path
        from tei_edition import xslt
        xslt.warm()
        try:
            xslt.engine()._compile(Path({str(tmp_path / 'late.xsl')!r}))
            print("COMPILED")
        except xslt.XsltError as exc:
            print("REFUSED", exc.problem.message)
    """)
    assert "REFUSED" in result.stdout and "prohibited" in result.stdout, result.stdout + result.stderr


def test_saxon_errors_become_clean_problems(tmp_path):
    (tmp_path / "hostile.xsl").write_text(HOSTILE_XSL)
    result = _run_isolated(f"""
        from pathlib import Path
        from tei_edition import xslt
        eng = xslt._Engine(); eng.compile_all(Path({str(tmp_path)!r})); xslt._engine = eng
        try:
            xslt.run("hostile", "<r/>", {{"how": "fail"}}, file="letters/a.xml")
        except xslt.XsltError as exc:
            print("PROBLEM", exc.problem)
    """)
    assert result.returncode == 0
    line = [l for l in result.stdout.splitlines() if l.startswith("PROBLEM")][0]
    assert line.startswith("PROBLEM letters/a.xml:")
    assert "the stylesheet gave up" in line and "hostile.xsl:" in line
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr == ""  # Saxon's native stderr was captured, not leaked


def test_syntax_error_in_a_stylesheet_is_located(tmp_path):
    (tmp_path / "broken.xsl").write_text(
        '<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">\n'
        '<xsl:template match="/"><xsl:value-of select="1 +"/></xsl:template>\n</xsl:stylesheet>\n')
    result = _run_isolated(f"""
        from pathlib import Path
        from tei_edition import xslt
        try:
            xslt._Engine().compile_all(Path({str(tmp_path)!r}))
        except xslt.XsltError as exc:
            print("PROBLEM", exc.problem)
    """)
    assert re.search(r"PROBLEM \S*broken\.xsl:2:\d+: error: ", result.stdout), result.stdout + result.stderr


def test_external_entity_never_reaches_saxon(tmp_path):
    evil = tmp_path / "evil.xml"
    evil.write_text('<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
                    '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>&x;</p></body></text></TEI>\n')
    with pytest.raises(TransformError) as info:
        transform(evil, "text")
    assert info.value.problem.rule == "external-entity"
    outcome = transform_path(evil, "html")
    assert getattr(outcome, "rule", None) == "external-entity"


def test_internal_dtd_is_not_passed_on(tmp_path):
    f = tmp_path / "dtd.xml"
    f.write_text('<!DOCTYPE TEI [<!ENTITY who "the editors">]>\n'
                 '<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>Made by &who;.</p></body></text></TEI>\n')
    assert "Made by the editors." in transform(f, "text")


def test_warm_compiles_every_stylesheet():
    names = xslt.warm()
    assert {"text", "html", "bibtex", "biblatex", "ris", "csl-json"} <= set(names)
    assert xslt.engine().hardened


def test_unknown_format_is_a_problem():
    with pytest.raises(TransformError) as info:
        transform(SAMPLES / "letter-en.xml", "docx")
    assert "known formats" in info.value.problem.message


def test_registers_are_skipped_with_a_note():
    assert skip_reason(load(EDITION / "persons.xml"))
    assert skip_reason(load(EDITION / "note-zhou.xml")) is None
    outcome = transform_path(EDITION / "places.xml", "html")
    assert isinstance(outcome, Skipped) and "register" in outcome.reason
    with pytest.raises(TransformError) as info:
        transform(EDITION / "treaties.xml", "text")
    assert info.value.problem.severity == "warning"


# --- text -------------------------------------------------------------------------

def test_every_source_paragraph_appears_word_for_word():
    out = _words(" ".join(transform(EDITION / f"{d}.xml", "text") for d in READING_ORDER))
    paragraphs = [p for p in SOURCE.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    assert len(paragraphs) > 20
    missing = [p for p in paragraphs if _words(p) not in out]
    assert not missing, missing


def test_text_blocks_quotes_and_nfc():
    text = transform(EDITION / "reply-vyshinsky.xml", "text")
    assert text == unicodedata.normalize("NFC", text)
    blocks = text.strip().split("\n\n")
    assert "Respectfully," in blocks
    assert "Dear Comrade Premier and Minister," in blocks
    quoted = [b for b in blocks if b.startswith("“")]
    assert quoted and quoted[0].startswith("“Since Japan refused")
    closing = [b for b in blocks if b.endswith("”")]
    assert closing and closing[0].endswith("and Japan.”")
    # The signature keeps its line break between name and office.
    assert any(b.startswith("Andrei Y. Vyshinsky\nMinister of Foreign Affairs") for b in blocks)


def test_text_sample_choice_lb_notes_and_unknown_elements():
    text = transform(SAMPLES / "brief-de.xml", "text")
    assert "erhalten" in text and "erhalen" not in text           # corr over sic by default
    assert "stehen und fallen" in text and " u. " not in text      # expan over abbr
    assert "gelesen" in text and "ge-" not in text                 # hyphen + lb joins the word
    assert "geheimer Text" in text and "rätsel haft" in text       # unknown elements keep their text
    assert "belles lettres" in text
    assert re.search(r"zusammen\.\[1\]", text)
    assert text.rstrip().endswith("[1] Vgl. den Archivvermerk.")
    orig = transform(SAMPLES / "brief-de.xml", "text", {"choice": "orig"})
    assert "erhalen" in orig and "stehen u. fallen" in orig
    letter = transform(SAMPLES / "letter-en.xml", "text")
    assert "comprehensive" in letter and "exchanges" in letter     # trailing hyphen and break="no"


def test_text_width_wraps_lines():
    text = transform(EDITION / "communique.xml", "text", {"width": "60"})
    assert max(len(line) for line in text.splitlines()) <= 60
    assert _words(text) == _words(transform(EDITION / "communique.xml", "text"))


# --- HTML -------------------------------------------------------------------------

ALLOWED_ELEMENTS = {"html", "head", "meta", "title", "link", "body", "main", "article", "header", "footer",
                    "section", "div", "p", "span", "a", "h1", "h2", "h3", "h4", "h5", "h6", "dl", "dt", "dd",
                    "time", "i", "b", "em", "strong", "sup", "sub", "u", "q", "blockquote", "cite", "ol", "ul",
                    "li", "br", "table", "caption", "tbody", "tr", "td"}
ALLOWED_ATTRIBUTES = {"class", "id", "lang", "href", "datetime", "cite", "role", "aria-label", "value",
                      "charset", "name", "content", "rel"}
URL_ATTRIBUTES = {"href", "cite"}


def url_allowed(url: str) -> bool:
    cleaned = re.sub(r"[\s\x00-\x1f\x7f]", "", url).lower()
    scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", cleaned)
    return scheme is None or scheme.group(1) in ("http", "https", "mailto")


def parse_html(page: str):
    """Parse strictly (any HTML5 parse error fails) and return the tree."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    return parser.parse(page)


def audit_html(page: str):
    tree = parse_html(page)
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        assert el.tag in ALLOWED_ELEMENTS, el.tag
        for name, value in el.attrib.items():
            assert name in ALLOWED_ATTRIBUTES or re.fullmatch(r"data-[a-z][a-z0-9-]*", name), name
            assert not name.startswith("on") and name != "style"
            if name in URL_ATTRIBUTES:
                assert url_allowed(value), (name, value)
    return tree


@pytest.mark.parametrize("name", READING_ORDER + ["edition"])
def test_edition_html_inside_the_allow_list(name):
    audit_html(transform(EDITION / f"{name}.xml", "html"))


@pytest.mark.parametrize("name", ["letter-en", "reply-en", "article", "brief-de"])
def test_sample_html_inside_the_allow_list(name):
    audit_html(transform(SAMPLES / f"{name}.xml", "html"))


def test_html_entities_dates_langs_and_links():
    tree = parse_html(transform(SAMPLES / "brief-de.xml", "html"))
    assert tree.get("lang") == "de"
    article = tree.find(".//main/article")
    assert article.get("id") == "tei-brief-de" and article.get("data-doc") == "brief-de"
    entities = tree.findall(".//a[@class='entity']")
    humboldt = [a for a in entities if a.get("data-ref") == "persons.xml#humboldt"]
    assert humboldt and humboldt[0].get("href") == "persons.html#humboldt"
    assert humboldt[0].get("data-type") == "person"
    times = {t.get("datetime") for t in tree.iter("time")}
    assert "1795-03" in times
    foreign = {(i.get("lang"), i.text) for i in tree.iter("i") if "tei-foreign" in i.get("class", "")}
    assert ("fr", "belles lettres") in foreign and ("la", "res publica") in foreign
    page = transform(SAMPLES / "brief-de.xml", "html")
    assert "onclick" not in page and "color:red" not in page and "gesperrt" in page
    assert "erhalten" in page and "erhalen" not in page


def test_html_unsafe_urls_are_dropped():
    tree = parse_html(transform(SAMPLES / "article.xml", "html"))
    hrefs = [a.get("href") for a in tree.iter("a") if a.get("href")]
    assert "https://example.org/a?b=1&c=2" in hrefs
    assert all(url_allowed(h) for h in hrefs)
    assert not any("javascript" in h.lower() for h in hrefs)


def test_html_notes_are_linked_both_ways():
    tree = parse_html(transform(SAMPLES / "letter-en.xml", "html"))
    ids = {el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
    refs = tree.findall(".//a[@class='tei-noteref']")
    backs = tree.findall(".//a[@class='tei-backlink']")
    assert refs and len(refs) == len(backs)
    for a in refs + backs:
        assert a.get("href").startswith("#") and a.get("href")[1:] in ids
    assert {a.get("id") for a in refs} == {b.get("href")[1:] for b in backs}


def test_html_quotation_is_a_blockquote_citing_its_source():
    tree = parse_html(transform(EDITION / "reply-vyshinsky.xml", "html"))
    quotes = list(tree.iter("blockquote"))
    assert len(quotes) == 1
    assert quotes[0].get("cite") == "note-zhou.html"
    assert quotes[0].get("data-source") == "note-zhou.xml#note-zhou"
    assert "Since Japan refused" in "".join(quotes[0].itertext())


def test_html_ids_are_prefixed_and_unique_and_paragraphs_anchored():
    page = transform(EDITION / "communique.xml", "html")
    tree = parse_html(page)
    ids = [el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")]
    assert len(ids) == len(set(ids))
    assert all(i.startswith(("tei-", "tei_")) for i in ids)
    paragraphs = [p for p in tree.iter() if isinstance(p.tag, str) and "tei-p" in (p.get("class") or "").split()]
    assert paragraphs and all(p.get("id") for p in paragraphs)


def test_html_fragment_param_gives_the_article_only():
    fragment = transform(EDITION / "note-zhou.xml", "html", {"fragment": "yes"})
    assert fragment.lstrip().startswith("<article") and "<html" not in fragment
    assert 'class="tei-text"' in fragment
    custom = transform(EDITION / "note-zhou.xml", "html", {"register-url": "registers/{file}/{id}.html"})
    assert 'href="registers/persons/zhou-enlai.html"' in custom


def test_html_of_document_from_another_project_without_edition(tmp_path):
    f = tmp_path / "other.xml"
    f.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:lang="it"><teiHeader><fileDesc>'
                 '<titleStmt><title>Lettera</title></titleStmt><publicationStmt><p/></publicationStmt>'
                 '<sourceDesc><p/></sourceDesc></fileDesc></teiHeader><text><body><p>Caro <persName>amico</persName>,'
                 ' <wibble>strano</wibble>.</p></body></text></TEI>')
    page = transform(f, "html")
    audit_html(page)
    assert "strano" in page and "Lettera" in page and 'lang="it"' in page


def test_html_mention_of_a_document_links_to_its_page_not_a_register():
    tree = parse_html(transform(EDITION / "reply-vyshinsky.xml", "html"))
    links = {a.get("data-ref"): a.get("href") for a in tree.iter("a") if a.get("class") == "entity"}
    assert links["note-zhou.xml#note-zhou"] == "note-zhou.html"
    assert links["persons.xml#zhou-enlai"] == "persons.html#zhou-enlai"
    assert any(ref.startswith("treaties.xml#") and href.startswith("treaties.html#") for ref, href in links.items())
