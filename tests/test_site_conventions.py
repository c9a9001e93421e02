"""The site of editions encoded in other conventions than the bundled one: registers in
each letter's back, in standOff, in a register file reached by prefixDef; a play with a
cast list; a novel; letters in numbered folders. Expectations are read from the TEI
fixtures (tests/data/site/) with lxml, never copied from the builder's output."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import html5lib
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from tei_edition.cli import main
from tei_edition.site import build
from tei_edition.site.documents import own_title

DATA = Path(__file__).parent / "data" / "site"
TEI_NS = "http://www.tei-c.org/ns/1.0"
TEI = {"tei": TEI_NS}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def parse(path: Path):
    return html5lib.parse(path.read_text(encoding="utf-8"), treebuilder="lxml", namespaceHTMLElements=False).getroot()


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def tei(path: Path):
    return etree.parse(str(path)).getroot()


def own_title_of(path: Path) -> str:
    titles = tei(path).xpath("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title", namespaces=TEI)
    main_ = [t for t in titles if t.get("type") == "main" or t.get("level") == "a"]
    rest = [t for t in titles if t.get("level") not in ("s", "m", "j")]
    return norm("".join((main_ or rest)[0].itertext()))


def config_title(folder: Path) -> str | None:
    file = folder / "tei-edition.toml"
    if not file.is_file():
        return None
    m = re.search(r'^title = "(.*)"$', file.read_text(encoding="utf-8"), re.M)
    return m.group(1) if m else None


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    out = tmp_path_factory.mktemp("conventions")
    built = {}
    for name in ("back", "prefixed", "standoff", "play", "novel"):
        result = build([DATA / name], out / name, jobs=0, quiet=True, base_url="https://example.org/ed")
        assert result.built, result.notes
        built[name] = (out / name, result)
    return built


@pytest.mark.parametrize("name", ["back", "prefixed", "standoff", "play", "novel"])
def test_each_page_and_the_home_list_use_the_documents_own_title(sites, name):
    site, _ = sites[name]
    home = parse(site / "index.html")
    listed = [norm("".join(a.itertext())) for a in home.iterfind(".//ol[@class='documents']//h3/a")]
    for src in sorted((DATA / name).glob("*.xml")):
        root = tei(src)
        if root.find(f"{{{TEI_NS}}}text[@type='register']") is not None:
            continue
        page = site / f"{root.get(XML_ID) or src.stem}.html"
        title = own_title_of(src)
        assert norm("".join(parse(page).find(".//h1").itertext())) == title
        assert title in listed
        expected = config_title(DATA / name)
        if expected:  # the edition's title from its project file, after the document's
            assert norm(parse(page).findtext(".//title")) == f"{title} — {expected}"
            assert norm(home.findtext(".//h1")) == expected


def test_registers_in_each_letters_back_are_merged_and_their_conflict_reported(sites):
    site, result = sites["back"]
    letters = [tei(p) for p in sorted((DATA / "back").glob("*.xml"))]
    persons = parse(site / "persons.html")
    entries = persons.findall(".//article[@class='entry']")
    ids = {e.get("id") for e in entries}
    expected = {p.get(XML_ID) for r in letters for p in r.iterfind(".//tei:back//tei:person", namespaces=TEI)}
    assert ids == expected  # merged: one entry per id, however many letters repeat it
    anna = next(e for e in entries if e.get("id") == "anna")
    shown = {(s.get("lang"), norm(s.text)) for s in anna.iterfind(".//ul[@class='names']/li/span[@lang]")}
    for r in letters:
        for n in r.xpath(".//tei:person[@xml:id='anna']/tei:persName[@xml:lang]", namespaces=TEI):
            assert (n.get("{http://www.w3.org/XML/1998/namespace}lang"), norm(n.text)) in shown
    # the two letters disagree on Anna's birth: one warning, located, naming both files
    conflicts = [n for n in result.notes if n.rule == "register-conflict"]
    assert len(conflicts) == 1 and conflicts[0].file.endswith("letter-b.xml") and conflicts[0].line > 0
    assert "letter-a.xml" in conflicts[0].message
    # every mention links to its entry, and the entry links back to the paragraph
    page = parse(site / "letter-a.html")
    links = {a.get("href") for a in page.iterfind(".//section[@class='reading']//a[@class='entity']")}
    assert {"persons.html#bruno", "places.html#ghent", "persons.html#anna"} <= links
    back = [a.get("href") for a in anna.iterfind(".//ul[@class='mentions']//a")]
    assert back and all(h.split("#")[0] in ("letter-a.html", "letter-b.html") for h in back)
    for href in back:
        target = parse(site / href.split("#")[0])
        assert target.find(f".//*[@id='{href.split('#')[1]}']") is not None


def test_only_the_register_kinds_an_edition_has_get_a_page_and_a_tab(sites):
    kinds = {"person": "persons.html", "place": "places.html", "org": "organisations.html"}
    for name in ("back", "standoff", "novel"):
        site, _ = sites[name]
        roots = [tei(p) for p in (DATA / name).glob("*.xml")]
        nav = {a.get("href") for a in parse(site / "index.html").iterfind(".//nav[@aria-label='Edition']//a")}
        for kind, page in kinds.items():
            has = any(r.xpath(f"//tei:{kind}[@xml:id]", namespaces=TEI) for r in roots)
            assert (site / page).exists() == has, (name, page)
            assert (page in nav) == has, (name, page)


def test_entries_in_standoff_are_register_entries_with_coordinates(sites):
    site, _ = sites["standoff"]
    root = tei(DATA / "standoff" / "entry.xml")
    place = root.find(".//tei:standOff//tei:place", namespaces=TEI)
    lat, lon = (float(x) for x in place.findtext(".//tei:geo", namespaces=TEI).split())
    entry = parse(site / "places.html").find(f".//article[@id='{place.get(XML_ID)}']")
    assert entry is not None
    assert f"{lat:.3f}° N, {lon:.3f}° E" in norm("".join(entry.itertext()))
    names = {norm(s.text) for s in entry.iterfind(".//ul[@class='names']//span[@lang]")}
    assert names == {norm(n.text) for n in place.iterfind("tei:placeName", namespaces=TEI)}


def test_a_document_without_xml_id_is_cited_by_its_page_name(sites):
    site, _ = sites["prefixed"]
    item = json.loads((site / "letter.json").read_text(encoding="utf-8"))[0]
    assert item["id"] == "letter"
    assert item["URL"] == "https://example.org/ed/letter.html"
    assert item["container-title"] == config_title(DATA / "prefixed")


def test_the_play_and_the_novel_build_with_their_own_titles_and_no_register_pages(sites):
    for name in ("play", "novel"):
        site, result = sites[name]
        assert not [n for n in result.notes if n.severity == "error"], result.notes
        assert not list(site.glob("persons.html"))


# --- titles: the rule, as metadata.xsl has it --------------------------------------------

title_el = st.fixed_dictionaries({"type": st.sampled_from([None, "main", "sub", "short"]),
                                  "level": st.sampled_from([None, "a", "m", "s", "j"]),
                                  "text": st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True)})


@settings(max_examples=80, deadline=None)
@given(st.lists(title_el, min_size=1, max_size=5))
def test_own_title_is_main_or_article_level_else_the_first_not_series_monograph_or_journal(titles):
    els = []
    for t in titles:
        el = etree.Element(f"{{{TEI_NS}}}title", {k: v for k, v in t.items() if k != "text" and v})
        el.text = t["text"]
        els.append(el)
    chosen = own_title(els)
    main_ = [t for t in titles if t["type"] == "main" or t["level"] == "a"]
    rest = [t for t in titles if t["level"] not in ("s", "m", "j")]
    expected = (main_ or rest or [None])[0]
    assert (chosen.text if chosen is not None else None) == (expected["text"] if expected else None)


# --- page names across folders -------------------------------------------------------------

def test_files_of_the_same_name_in_two_folders_get_two_pages_named_by_their_path(tmp_path):
    edition = tmp_path / "letters"
    for folder in ("02", "03"):
        (edition / folder).mkdir(parents=True)
        text = (DATA / "prefixed" / "letter.xml").read_text(encoding="utf-8")
        text = text.replace("A note about Clara", f"Letter {folder}.001")
        (edition / folder / "001.xml").write_text(text, encoding="utf-8")
    shutil.copy(DATA / "prefixed" / "persons.xml", edition / "02" / "persons.xml")
    shutil.copy(DATA / "prefixed" / "persons.xml", edition / "03" / "persons.xml")
    result = build([edition], tmp_path / "site", jobs=0, quiet=True)
    assert result.built
    for folder in ("02", "03"):
        page = parse(tmp_path / "site" / f"{folder}-001.html")
        assert norm(page.findtext(".//h1")) == f"Letter {folder}.001"
    # export cmif names the same pages
    from tei_edition.edition import Edition
    from tei_edition.site import page_names_of

    names = page_names_of(Edition.load([edition]))
    assert {n + ".html" for n in names.values()} == {
        p.name for p in (tmp_path / "site").glob("*.html")} - {"index.html", "chronology.html", "search.html",
                                                               "persons.html", "correspondents.html"}


# --- validation in the build -----------------------------------------------------------------

def test_an_invalid_document_gets_its_page_with_a_note_and_only_it(tmp_path):
    edition = tmp_path / "back"
    shutil.copytree(DATA / "back", edition)
    broken = edition / "letter-b.xml"
    broken.write_text(broken.read_text(encoding="utf-8").replace('ref="#anna">Anna</persName>, thank',
                                                                'ref="#annie">Anna</persName>, thank'),
                      encoding="utf-8")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", str(edition), "-o", str(out), "-j", "0"])
    assert result.exit_code == 0, result.output
    assert "1 with errors" in result.output
    notes = {p.name: parse(p).find(".//p[@class='invalid-note']") for p in out.glob("*.html")}
    assert notes.pop("letter-b.html") is not None
    assert all(n is None for n in notes.values()), [k for k, v in notes.items() if v is not None]
    report = json.loads((tmp_path / "site.validation.json").read_text(encoding="utf-8"))
    assert {Path(p["file"]).name for p in report["problems"] if p["severity"] == "error"} == {"letter-b.xml"}
    strict = CliRunner().invoke(main, ["build", str(edition), "-o", str(tmp_path / "strict"), "--strict"])
    assert strict.exit_code == 1 and not (tmp_path / "strict").exists()


def test_an_xml_file_that_is_not_tei_is_left_out_and_named(tmp_path):
    edition = tmp_path / "ed"
    shutil.copytree(DATA / "novel", edition)
    (edition / "catalogue.xml").write_text("<catalogue><item/></catalogue>", encoding="utf-8")
    result = build([edition], tmp_path / "site", jobs=0, quiet=True)
    assert result.built
    left = [n for n in result.notes if "left out of the site" in n.message]
    assert [Path(n.file).name for n in left] == ["catalogue.xml"] and "catalogue" in left[0].message
    assert left[0].severity == "error"
    assert not (tmp_path / "site" / "catalogue.html").exists()


# --- pointers, as validation reads them ------------------------------------------------------

def test_prefixed_pointers_link_to_their_entry_and_a_missing_one_warns_once(sites):
    site, result = sites["prefixed"]
    letter = tei(DATA / "prefixed" / "letter.xml")
    rules = {d.get("ident"): (d.get("matchPattern"), d.get("replacementPattern"))
             for d in letter.iterfind(".//tei:prefixDef", namespaces=TEI)}
    ids = {p.get(XML_ID) for p in tei(DATA / "prefixed" / "persons.xml").iter(f"{{{TEI_NS}}}person")}
    wanted: dict[str, int] = {}
    for el in letter.iterfind(".//tei:body//tei:persName", namespaces=TEI):
        prefix, _, value = el.get("ref").partition(":")
        target = re.sub(rules[prefix][0], rules[prefix][1].replace("$", "\\"), value) if prefix in rules else el.get("ref")
        wanted[target.split("#")[1]] = wanted.get(target.split("#")[1], 0) + 1
    page = parse(site / "letter.html")
    linked = {a.get("href") for a in page.iterfind(".//section[@class='reading']//a[@class='entity']")}
    assert linked == {f"persons.html#{i}" for i in wanted if i in ids}
    plain = page.findall(".//section[@class='reading']//span[@class='entity-unknown']")
    assert len(plain) == sum(n for i, n in wanted.items() if i not in ids)
    warned = [n for n in result.notes if n.rule == "site-no-entry"]
    assert sorted(re.match(r"'([^']+)'", n.message).group(1) for n in warned) == sorted(i for i in wanted if i not in ids)
    for n in warned:  # once per id, however many mentions, at the first of them
        ident = re.match(r"'([^']+)'", n.message).group(1)
        assert f"its {wanted[ident]} mention(s)" in n.message and n.line > 1 and n.col > 1


# --- letters ---------------------------------------------------------------------------------

def _page_of(target: str) -> str:
    return tei(DATA / "back" / target.split("#")[0]).get(XML_ID) + ".html"


def test_letters_show_their_correspondents_linked_and_follow_correspcontext(sites):
    site, _ = sites["back"]
    for src in sorted((DATA / "back").glob("*.xml")):
        root = tei(src)
        page = parse(site / f"{root.get(XML_ID)}.html")
        meta = {norm(dt.text): dd for dt, dd in zip(page.iterfind(".//section[@class='metadata']//dt"),
                                                     page.iterfind(".//section[@class='metadata']//dd"))}
        for kind, label in (("sent", "Sender"), ("received", "Addressee")):
            for who in root.xpath(f"//tei:correspAction[@type='{kind}']/tei:persName", namespaces=TEI):
                links = {(norm(a.text), a.get("href")) for a in meta[label].iter("a")}
                assert (norm(who.text), "persons.html" + who.get("ref")) in links
        for kind, rel in (("prev", "prev"), ("next", "next")):
            given = root.xpath(f"//tei:correspContext/tei:ref[@type='{kind}']/@target", namespaces=TEI)
            link = page.find(f".//nav[@class='pager']//a[@rel='{rel}']")
            if given:
                assert link is not None and link.get("href") == _page_of(given[0])


def test_the_correspondents_page_groups_every_letter_under_each_correspondent(sites):
    site, _ = sites["back"]
    expected: dict[str, set[str]] = {}
    for src in (DATA / "back").glob("*.xml"):
        root = tei(src)
        for ref in root.xpath("//tei:correspAction/tei:persName/@ref", namespaces=TEI):
            expected.setdefault("persons.html" + ref, set()).add(f"{root.get(XML_ID)}.html")
    page = parse(site / "correspondents.html")
    shown = {}
    for section in page.iterfind(".//section[@class='correspondent']"):
        head = section.find(".//h2/a").get("href")
        shown[head] = {a.get("href") for a in section.iterfind(".//ul[@class='letters']//a")}
    assert shown == expected
    nav = {a.get("href") for a in parse(site / "index.html").iterfind(".//nav[@aria-label='Edition']//a")}
    assert "correspondents.html" in nav
    for name in ("novel", "play", "standoff"):  # no correspDesc, no such page
        other, _ = sites[name]
        assert not (other / "correspondents.html").exists()
        assert "correspondents.html" not in {a.get("href") for a in parse(other / "index.html").iter("a")}


# --- the language of the original --------------------------------------------------------------

def test_the_original_language_is_the_citation_items_not_langusage(sites):
    for name in ("play", "novel", "back"):
        site, _ = sites[name]
        for src in (DATA / name).glob("*.xml"):
            root = tei(src)
            ident = root.get(XML_ID)
            item = json.loads((site / f"{ident}.json").read_text(encoding="utf-8"))[0]
            code = (item.get("custom") or {}).get("original-language")
            page = parse(site / f"{ident}.html")
            labels = [norm(dt.text) for dt in page.iterfind(".//section[@class='metadata']//dt")]
            # a play that says in langUsage it is French is not translated from French
            assert ("Language of the original" in labels) == bool(code), (name, ident)
    site, _ = sites["play"]
    assert tei(DATA / "play" / "play.xml").xpath("//tei:langUsage/tei:language", namespaces=TEI)


def test_a_register_file_the_project_file_names_gets_no_page_of_its_own(tmp_path):
    from tei_edition.config import load
    from tei_edition.site import collect

    edition = tmp_path / "ed"
    shutil.copytree(DATA / "prefixed", edition)
    persons = edition / "persons.xml"  # by its content a document: a paragraph besides its list
    persons.write_text(persons.read_text(encoding="utf-8").replace('<text type="register">', "<text>")
                       .replace("<listPerson>", "<p>Who is who.</p><listPerson>"), encoding="utf-8")
    named = {p.name for p in load(edition / "tei-edition.toml").register_files()}
    data = collect([edition], jobs=0, quiet=True)
    assert {Path(d.source).name for d in data.documents} == {p.name for p in edition.glob("*.xml")} - named
    assert {e.id for e in data.entries} >= {p.get(XML_ID) for p in tei(persons).iter(f"{{{TEI_NS}}}person")}
