"""The static site built from the bundled edition: structure, metadata, registers, safety.

Expectations are read from the TEI files themselves (headers and registers), never
copied from the builder's output.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import html5lib
import pytest
from click.testing import CliRunner

from tei_edition import loader
from tei_edition.cli import main
from tei_edition.resources import edition_dir
from tei_edition.site import CSP, build
from editions import copy_edition

TEI = {"tei": "http://www.tei-c.org/ns/1.0"}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
H = "{http://www.w3.org/1999/xhtml}"


# --- helpers: the edition as TEI, the site as parsed HTML ------------------------------------

def tei_files():
    out = {}
    for path in sorted(edition_dir().glob("*.xml")):
        out[path.name] = loader.load(path)
    return out


def is_document(doc) -> bool:
    text = doc.root.find("tei:text", TEI)
    if text is None or text.get("type") in ("edition", "register"):
        return False
    body = text.find("tei:body", TEI)
    lists = {f"{{{TEI['tei']}}}{n}" for n in ("listPerson", "listPlace", "listOrg", "listBibl", "listEvent")}
    return not (body is not None and len(body) and all(c.tag in lists for c in body if isinstance(c.tag, str)))


def documents():
    return {name: d for name, d in tei_files().items() if is_document(d)}


def parse(path: Path):
    return html5lib.parse(path.read_text(encoding="utf-8"), treebuilder="lxml", namespaceHTMLElements=False).getroot()


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def metas(page, name: str) -> list[str]:
    return [m.get("content") for m in page.iter("meta") if m.get("name") == name]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    # force: these tests look at the pages; whether the edition validates is tested below
    out = tmp_path_factory.mktemp("site") / "site"
    result = build(None, out, force=True)
    assert result.built
    return out


def test_the_bundled_edition_validates_and_builds_without_a_banner(tmp_path):
    result = build(None, tmp_path / "site")
    assert result.built and result.report.ok, [str(p) for p in result.report.problems][:10]
    assert parse(tmp_path / "site" / "index.html").find(".//div[@class='banner']") is None


# --- pages ---------------------------------------------------------------------------------

def test_every_page_exists_and_documents_are_named_by_their_xml_id(site):
    for name in ("index.html", "persons.html", "places.html", "organisations.html", "treaties.html",
                 "chronology.html", "search.html", "assets/site.css", "assets/site.js", "assets/print.css"):
        assert (site / name).is_file(), name
    for name, doc in documents().items():
        assert (site / f"{doc.id}.html").is_file(), f"no page for {name}"


def test_home_page_lists_documents_in_reading_order_with_edition_facts(site):
    ed = tei_files()["edition.xml"]
    page = parse(site / "index.html")
    text = norm("".join(page.itertext()))
    title = norm("".join(ed.root.find(".//tei:titleStmt/tei:title", TEI).itertext()))
    assert title in text
    version = ed.root.find(".//tei:editionStmt/tei:edition", TEI).get("n")
    assert version and version in text
    for editor in ed.root.findall(".//tei:titleStmt/tei:editor", TEI):
        assert norm("".join(editor.itertext())) in text
    assert norm("".join(ed.root.find(".//tei:licence", TEI).itertext())) in text
    intro = ed.root.find(".//tei:div[@type='introduction']/tei:p", TEI)
    assert norm("".join(intro.itertext()))[:60] in text
    expected = [Path(r.get("target").split("#")[0]).stem
                for r in ed.root.findall(".//tei:list[@type='documents']/tei:item/tei:ref", TEI)]
    links = [a.get("href") for a in page.findall(".//ol[@class='documents']/li/h3/a")]
    assert links == [f"{i}.html" for i in expected]


def test_document_page_has_reading_text_metadata_cite_box_and_pager(site):
    docs = documents()
    ed = tei_files()["edition.xml"]
    order = [Path(r.get("target").split("#")[0]).stem
             for r in ed.root.findall(".//tei:list[@type='documents']/tei:item/tei:ref", TEI)]
    for name, doc in docs.items():
        page = parse(site / f"{doc.id}.html")
        text = norm("".join(page.itertext()))
        first_p = doc.root.find(".//tei:text//tei:p", TEI)
        assert norm("".join(first_p.itertext()))[:50] in text
        assert page.find(".//section[@class='metadata']") is not None
        cite = page.find(".//section[@class='cite']")
        assert cite is not None and len(cite.findall(".//p[@class='citation-text']")) == 2, name
        assert [h.text for h in cite.findall(".//h3")][:2] == ["Chicago", "MLA"]
        assert cite.findall(".//button[@class='copy']")
        downloads = {a.get("href") for a in cite.findall(".//ul[@class='downloads']//a")}
        for ext in ("bib", "ris", "json", "txt", "xml"):
            assert f"{doc.id}.{ext}" in downloads, (name, ext)
            assert (site / f"{doc.id}.{ext}").is_file(), (name, ext)
        pager = page.find(".//nav[@class='pager']")
        i = order.index(doc.id)
        rels = {a.get("rel"): a.get("href") for a in pager.iter("a")}
        assert rels.get("prev") == (f"{order[i - 1]}.html" if i > 0 else None)
        assert rels.get("next") == (f"{order[i + 1]}.html" if i + 1 < len(order) else None)


def test_the_xml_download_is_the_tei_source_byte_for_byte(site):
    for name, doc in documents().items():
        assert (site / f"{doc.id}.xml").read_bytes() == (edition_dir() / name).read_bytes()


def test_downloads_parse_in_their_own_tools(site):
    rispy = pytest.importorskip("rispy")
    for doc in documents().values():
        records = rispy.loads((site / f"{doc.id}.ris").read_text(encoding="utf-8"))
        assert len(records) == 1
        items = json.loads((site / f"{doc.id}.json").read_text(encoding="utf-8"))
        assert isinstance(items, list) and len(items) == 1 and items[0].get("title")
        assert (site / f"{doc.id}.bib").read_text(encoding="utf-8").lstrip().startswith("@")


# --- Zotero: what its Embedded Metadata translator would read ------------------------------

def zotero_creators(values: list[str]) -> list[tuple[str, str]]:
    """Zotero's processHighwireCreators(): split at ';', and with a single node at ',' only
    when both sides hold a space; then cleanAuthor() splits 'Family, Given' at the comma
    (or a bare name at its last space). Returns (lastName, firstName)."""
    out = []
    for value in values:
        parts = re.split(r"\s*;\s*", value)
        if len(parts) == 1 and len(values) == 1:
            by_comma = re.split(r"\s*,\s*", parts[0])
            if len(by_comma) > 1 and " " in by_comma[0] and " " in by_comma[1]:
                parts = by_comma
        for p in parts:
            p = p.strip()
            use_comma = "," in p  # processHighwireCreators: cleanAuthor(creator, role, creator.includes(","))
            p = re.sub(r"[\s.,/\[\]:]+$", "", re.sub(r"^[\s.,/\[\]:]+", "", p))  # cleanAuthor's trimming
            if use_comma:
                names = re.split(r", ?", p)
                last, first = (names[0], names[1]) if len(names) > 1 else (p, "")
            else:
                first, _, last = p.rpartition(" ")
            out.append((last, first))
    return out


def expected_type(doc) -> str:
    header = doc.root.find("tei:teiHeader", TEI)
    if header.find(".//tei:correspDesc", TEI) is not None:
        return "letter"
    # a newspaper article when the text first appeared in a periodical on its own date;
    # a document dated earlier and printed later in a newspaper stays a document
    found = header.xpath(".//tei:sourceDesc//tei:bibl[tei:title[@level='j']]", namespaces=TEI)
    periodical = found[0] if found else None
    if periodical is not None:
        issue = periodical.find("tei:date", TEI)
        own = header.find(".//tei:creation/tei:date", TEI)
        if own is None or issue is None or own.get("when") == issue.get("when"):
            return "newspaperArticle"
    return "document"


def expected_authors(doc, persons) -> list[tuple[str, str]]:
    """The creators: a letter's sender(s), otherwise the titleStmt authors; a person as
    (family, given) from the register, an institution by its name."""
    out = []
    sent = doc.root.find(".//tei:correspDesc/tei:correspAction[@type='sent']", TEI)
    agents = ([a for a in sent if a.tag in (f"{{{TEI['tei']}}}persName", f"{{{TEI['tei']}}}orgName")]
              if sent is not None else doc.root.findall(".//tei:titleStmt/tei:author", TEI))
    for author in agents:
        pers = author if author.tag.endswith("}persName") else author.find(".//tei:persName", TEI)
        if pers is not None:
            ident = (pers.get("ref") or "").split("#")[-1]
            entry = persons.get(ident)
            name = entry.find("tei:persName", TEI) if entry is not None else pers
            sur, fore = name.find(".//tei:surname", TEI), name.find(".//tei:forename", TEI)
            assert sur is not None, f"no surname for {ident} in the register"
            out.append((norm(sur.text), norm(fore.text) if fore is not None else ""))
        else:
            out.append(("", norm("".join(author.itertext()))))
    return out


def test_every_document_page_yields_the_expected_zotero_type_and_names(site):
    persons = {p.get(XML_ID): p for p in tei_files()["persons.xml"].root.iter("{%s}person" % TEI["tei"])}
    for name, doc in documents().items():
        page = parse(site / f"{doc.id}.html")
        assert metas(page, "DC.type") == [expected_type(doc)], name
        title = doc.root.find(".//tei:titleStmt/tei:title", TEI)
        assert metas(page, "citation_title") == [norm("".join(title.itertext()))]
        authors = metas(page, "citation_author")
        creators = zotero_creators(authors)
        want = expected_authors(doc, persons)
        assert len(creators) == len(want), (name, authors)
        for (last, first), (family, given) in zip(creators, want):
            if family:  # a person: Zotero splits at the comma into family and given name
                # (cleanAuthor drops a final period: "Andrei Y." is saved as "Andrei Y")
                assert (last, first) == (family, given.rstrip(".")), (name, authors)
            else:       # an institution: its full name as the one name Zotero keeps, never split
                assert (last, first) == (given, ""), (name, authors)
        date = doc.root.find(".//tei:correspAction[@type='sent']/tei:date", TEI)
        if date is None:
            date = doc.root.find(".//tei:creation/tei:date", TEI)
        assert metas(page, "citation_date") == [date.get("when")]
        assert metas(page, "DC.language") and metas(page, "DC.language")[0]
        # never the fields that make Zotero pick another item type
        assert not metas(page, "citation_journal_title") and not metas(page, "citation_book_title")
        assert not [m for m in page.iter("meta") if m.get("property") == "og:type"]
        alt = [link for link in page.iter("link") if link.get("rel") == "alternate"
               and link.get("type") == "application/x-research-info-systems"]
        assert len(alt) == 1 and (site / alt[0].get("href")).is_file()


# --- registers ---------------------------------------------------------------------------

def register_entries():
    files = tei_files()
    spec = {"persons.html": ("persons.xml", "tei:person", "persName"),
            "places.html": ("places.xml", "tei:place", "placeName"),
            "organisations.html": ("organisations.xml", "tei:org", "orgName"),
            "treaties.html": ("treaties.xml", "tei:bibl[@type='treaty']", "title")}  # other bibls are sources
    for page, (file, path, name) in spec.items():
        for el in files[file].root.xpath(f"tei:text//{path}[@xml:id]", namespaces=TEI):
            yield page, el, name


def mentions_in_documents():
    """(entry id, document id) for every mention in the documents' text."""
    out = set()
    for doc in documents().values():
        for el in doc.root.find("tei:text", TEI).iter():
            for token in (el.get("ref") or "").split() if isinstance(el.tag, str) else ():
                if "#" in token:
                    out.add((token.split("#")[1], doc.id))
    return out


def test_register_entries_show_every_name_form_with_its_language(site):
    pages = {}
    for page, el, name_tag in register_entries():
        tree = pages.setdefault(page, parse(site / page))
        entry = tree.find(f".//*[@id='{el.get(XML_ID)}']")
        assert entry is not None, (page, el.get(XML_ID))
        for n in el.findall(f"tei:{name_tag}", TEI):
            text = norm("".join(n.itertext()))
            lang = n.get(XML_LANG)
            if lang:
                spans = [s for s in entry.iter("span") if s.get("lang") == lang and norm("".join(s.itertext())) == text]
                assert spans, (el.get(XML_ID), lang, text)
            else:
                assert text in norm("".join(entry.itertext()))


def test_every_mention_has_a_working_backlink(site):
    pages = {p: parse(site / p) for p in ("persons.html", "places.html", "organisations.html", "treaties.html")}
    entries = {}
    for name, tree in pages.items():
        for art in tree.iter("article"):
            if "entry" in (art.get("class") or ""):
                entries[art.get("id")] = (name, art)
    checked = 0
    targets = {}
    for ident, doc_id in sorted(mentions_in_documents()):
        if ident not in entries:
            continue  # a pointer to a document, not to a register entry
        _, art = entries[ident]
        hrefs = [a.get("href") for a in art.iter("a") if (a.get("href") or "").startswith(f"{doc_id}.html#")]
        assert hrefs, f"{ident} is mentioned in {doc_id} but has no backlink there"
        for href in hrefs:
            page, anchor = href.split("#")
            tree = targets.setdefault(page, parse(site / page))
            target = tree.find(f".//*[@id='{anchor}']")
            assert target is not None, href
            ref_here = [e for e in target.iter() if ident in (e.get("data-refs") or "").split()]
            assert ref_here, f"{href} does not hold a mention of {ident}"
            checked += 1
    assert checked > 20
    counts = {}
    for page, _el, _n in register_entries():
        counts[page] = counts.get(page, 0) + 1
    for page, n in counts.items():  # nothing else is listed as an entry
        assert len([a for a in pages[page].iter("article") if "entry" in (a.get("class") or "")]) == n, page


def test_places_with_coordinates_are_on_the_map(site):
    page = parse(site / "places.html")
    svg = page.find(".//figure[@class='map']")
    assert svg is not None
    labels = {a.get("href") for a in svg.iter("a")}
    places = [p for p in tei_files()["places.xml"].root.iter(f"{{{TEI['tei']}}}place")
              if p.find("tei:location/tei:geo", TEI) is not None]
    assert places
    for p in places:
        assert f"#{p.get(XML_ID)}" in labels
    css = (site / "assets" / "map.css").read_text()
    assert all(f"#te-map-{p.get(XML_ID)}" in css for p in places)


def test_chronology_holds_every_date_of_the_texts_in_order(site):
    page = parse(site / "chronology.html")
    keys = [t.get("datetime") for t in page.iter("time")]
    assert keys == sorted(keys)
    for doc in documents().values():
        for d in doc.root.find("tei:text", TEI).iter(f"{{{TEI['tei']}}}date"):
            key = d.get("when") or d.get("notAfter") or d.get("notBefore") or d.get("from")
            if key:
                assert key in keys, (doc.id, key)
    links = [a.get("href") for a in page.iter("a")]
    assert any(h.startswith("communique.html") for h in links)


# --- safety ------------------------------------------------------------------------------

def test_every_page_carries_the_csp_and_no_inline_script(site):
    for path in site.glob("*.html"):
        page = parse(path)
        csp = [m.get("content") for m in page.iter("meta") if (m.get("http-equiv") or "").lower()
               == "content-security-policy"]
        assert csp == [CSP]
        for s in page.iter("script"):
            assert s.get("src", "").startswith("assets/") or s.get("type") == "application/json", path
        for el in page.iter():
            if isinstance(el.tag, str):
                assert not [a for a in el.attrib if a.lower().startswith("on") or a.lower() == "style"], path
        for attr in ("href", "src"):
            for el in page.iter():
                url = el.get(attr) if isinstance(el.tag, str) else None
                if url and urlsplit(url).scheme not in ("", "http", "https", "mailto"):
                    pytest.fail(f"{path.name}: {attr}={url!r}")
                if url and el.tag in ("script", "link") and urlsplit(url).scheme:
                    pytest.fail(f"{path.name}: loads {url} from the network")


def hostile_copy(tmp_path: Path) -> Path:
    src = tmp_path / "tei"
    copy_edition(src)
    note = src / "note-zhou.xml"
    text = note.read_text(encoding="utf-8")
    text = text.replace(
        "<salute>Dear Comrade Minister,</salute>",
        '<salute>Dear <persName ref="persons.xml#zhou-enlai">&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;</persName>'
        ' <ref target="javascript:alert(1)">click</ref> <hi rend="x" style="color:red">Minister</hi>,</salute>', 1)
    note.write_text(text, encoding="utf-8")
    persons = src / "persons.xml"
    text = persons.read_text(encoding="utf-8")
    text = re.sub(r'(<person xml:id="zhou-enlai"[^>]*>)', r'\1<persName xml:lang="en" type="alias">'
                  r'&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;</persName>', text, count=1)
    persons.write_text(text, encoding="utf-8")
    return src


def test_hostile_text_cannot_break_out_of_script_blocks_or_add_handlers(tmp_path):
    src = hostile_copy(tmp_path)
    out = tmp_path / "site"
    result = build([src], out, force=True)
    assert result.built
    for path in out.glob("*.html"):
        raw = path.read_text(encoding="utf-8")
        assert "javascript:" not in raw.lower()
        for block in re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', raw, re.S):
            assert "<" not in block
            json.loads(block)
        page = parse(path)
        for el in page.iter():
            if isinstance(el.tag, str):
                assert el.tag != "img" and not [a for a in el.attrib if a.lower().startswith("on")]
    # the hostile name is shown as text
    assert "&lt;/script&gt;" in (out / "persons.html").read_text(encoding="utf-8")


# --- the command -------------------------------------------------------------------------

def test_build_leaves_out_a_broken_file_reports_beside_the_site_and_strict_refuses(tmp_path):
    # was: refused unless --force, then a banner on every page; now the edition is built
    # without the file that is not well-formed, the report goes beside the site, and
    # --strict is what refuses
    src = tmp_path / "tei"
    copy_edition(src)
    (src / "announcement.xml").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><teiHeader>", encoding="utf-8")
    out = tmp_path / "site"
    runner = CliRunner()
    result = runner.invoke(main, ["build", str(src), "-o", str(out), "--strict"])
    assert result.exit_code == 1
    assert "announcement.xml" in result.output and "--strict" in result.output
    assert not out.exists() and not (tmp_path / "site.validation.txt").exists()
    result = runner.invoke(main, ["build", str(src), "-o", str(out)])
    assert result.exit_code == 1, result.output  # built, but not the whole edition
    assert re.search(r"announcement\.xml:\d+:\d+: error: .*left out of the site", result.output)
    assert (out / "index.html").exists()
    for path in out.glob("*.html"):
        assert parse(path).find(".//div[@class='banner']") is None, path.name
    assert not list(out.glob("announcement.*"))
    report = json.loads((tmp_path / "site.validation.json").read_text(encoding="utf-8"))
    assert not report["valid"] and any(p["file"].endswith("announcement.xml") for p in report["problems"])
    assert "announcement.xml" in (tmp_path / "site.validation.txt").read_text(encoding="utf-8")
    assert not list(out.rglob("*.validation.*"))


def test_build_is_stable_and_leaves_no_temporary_files(tmp_path):
    runner = CliRunner()
    out = tmp_path / "site"
    first = runner.invoke(main, ["build", "-o", str(out), "--force", "--base-url", "https://example.org/edition"])
    assert first.exit_code == 0, first.output
    # Pagefind orders filter values by hash, so its chunk names vary between identical builds
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if not p.relative_to(out).parts[0].startswith("pagefind"))
    pages = {p: p.read_bytes() for p in out.glob("*.html")}
    second = runner.invoke(main, ["build", "-o", str(out), "--force", "--base-url", "https://example.org/edition"])
    assert second.exit_code == 0
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                  if not p.relative_to(out).parts[0].startswith("pagefind")) == names
    assert {p: p.read_bytes() for p in out.glob("*.html")} == pages
    assert not [n for n in names if ".tei-edition-tmp-" in n]
    page = parse(out / "note-zhou.html")
    assert metas(page, "citation_public_url") == ["https://example.org/edition/note-zhou.html"]
    assert "\033[K" not in first.output and "validating" not in first.output  # progress only on a terminal


def test_document_ids_never_take_a_site_page_name(tmp_path):
    src = tmp_path / "tei"
    copy_edition(src)
    text = (src / "announcement.xml").read_text(encoding="utf-8")
    (src / "announcement.xml").write_text(text.replace('xml:id="announcement"', 'xml:id="index"', 1), encoding="utf-8")
    out = tmp_path / "site"
    assert build([src], out, force=True).built
    home = parse(out / "index.html")
    assert home.find(".//ol[@class='documents']") is not None  # still the home page
    assert "doc-index.html" in [a.get("href") for a in home.iter("a")]
    assert (out / "doc-index.html").is_file()


def test_a_removed_document_leaves_no_stale_page(tmp_path):
    src = tmp_path / "tei"
    copy_edition(src)
    out = tmp_path / "site"
    (out).mkdir()
    (out / "notes-of-mine.txt").write_text("kept", encoding="utf-8")
    assert build([src], out, force=True).built
    assert (out / "reply-vyshinsky.html").is_file()
    (src / "reply-vyshinsky.xml").unlink()
    assert build([src], out, force=True).built
    assert not (out / "reply-vyshinsky.html").exists() and not (out / "reply-vyshinsky.ris").exists()
    assert (out / "notes-of-mine.txt").read_text(encoding="utf-8") == "kept"


def test_browser_tests_fail_in_ci_when_the_browser_is_missing(monkeypatch):
    """A missing browser skips the browser tests on a workstation but fails them in CI."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "site_browser_tests", Path(__file__).parent / "browser" / "test_site_browser.py")
    guard = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(guard)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception):
        guard._missing("Chromium")
    monkeypatch.setenv("CI", "false")
    with pytest.raises(pytest.skip.Exception):
        guard._missing("Chromium")


def test_building_into_the_edition_folder_never_overwrites_a_source(tmp_path):
    src = tmp_path / "tei"
    copy_edition(src)
    before = {p.name: p.read_bytes() for p in src.glob("*.xml")}
    result = CliRunner().invoke(main, ["build", str(src), "-o", str(src), "--force"])
    assert result.exit_code == 1 and "input file" in result.output
    assert {p.name: p.read_bytes() for p in src.glob("*.xml")} == before
    assert sorted(p.name for p in src.iterdir()) == sorted([*before, "tei-edition.toml"])  # nothing written at all
    assert "Traceback" not in result.output


def test_the_language_of_the_original_is_the_one_the_citation_item_names(site):
    from tei_edition.site.documents import LANG_NAMES

    shown = 0
    for item_file in site.glob("*.json"):
        items = json.loads(item_file.read_text(encoding="utf-8"))
        if not (isinstance(items, list) and items and isinstance(items[0], dict) and "type" in items[0]):
            continue
        code = (items[0].get("custom") or {}).get("original-language")
        page = parse(item_file.with_suffix(".html"))
        rows = {norm(dt.text): norm("".join(dd.itertext())) for dt, dd in
                zip(page.iterfind(".//section[@class='metadata']//dt"), page.iterfind(".//section[@class='metadata']//dd"))}
        assert rows.get("Language of the original") == (LANG_NAMES.get(code.split("-")[0], code) if code else None)
        shown += bool(code)
    assert shown  # the bundled edition is translated: some pages say from what
