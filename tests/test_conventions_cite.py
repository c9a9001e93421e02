"""Citations of documents encoded in other projects' conventions (tests/data/conventions/ and the
Suriano letters), read back by the programs that consume them: bibtexparser and pybtex, rispy
(counting records: one without ER loads as nothing), jsonschema with the CSL data schema, and
citeproc-py. Names are checked by property tests over generated headers."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree
from pybtex.database import parse_string as pybtex_parse

from tei_edition.citations import format_citation
from tei_edition.loader import TEI_NS, parse_bytes
from tei_edition.transform import transform
from test_transform import audit_html
from test_xslt_properties import document  # also loads the project's hypothesis profile

DATA = Path(__file__).parent / "data" / "conventions"
SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "schemas"
SURIANO = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "suriano"
BASE = "https://example.org/briefe/"
FORMATS = ["bibtex", "biblatex", "ris", "csl-json"]
T = f"{{{TEI_NS}}}"
FOLDER = Path(tempfile.mkdtemp(prefix="tei-conventions-cite-"))


@pytest.fixture(scope="module")
def csl_schema():
    return json.loads((SCHEMAS / "csl-data.json").read_text(encoding="utf-8"))


def read_all(source, params=None, schema=None) -> dict:
    """Every citation format of a document, each read back by its consumer."""
    params = {"base-url": BASE} if params is None else params
    out = {fmt: transform(source, fmt, params) for fmt in FORMATS}
    records = rispy.loads(out["ris"])
    assert len(records) == 1 == out["ris"].count("\nER  - ")
    read = {"ris": records[0], "ris-text": out["ris"], "csl": json.loads(out["csl-json"])[0]}
    if schema is not None:
        jsonschema.validate([read["csl"]], schema)
    for fmt in ("bibtex", "biblatex"):
        library = bibtexparser.parse_string(out[fmt])
        assert library.failed_blocks == [] and len(library.entries) == 1
        read[fmt] = {k: f.value for k, f in library.entries[0].fields_dict.items()}
        read[fmt + "-persons"] = next(iter(pybtex_parse(out[fmt], "bibtex").entries.values())).persons
    return read


def person(p) -> tuple[str, str]:
    """A pybtex person as (family, given)."""
    return " ".join(p.prelast_names + p.last_names), " ".join(p.first_names + p.middle_names)


# --- titles and dates of a real foreign edition ------------------------------------

@pytest.mark.skipif(not SURIANO.is_dir(), reason="the Suriano letters are not on this machine")
def test_suriano_letter_title_and_sent_date_in_every_format(csl_schema):
    read = read_all(SURIANO / "02" / "001.xml", schema=csl_schema)
    title = "Letter 02.001 date 1616-07-09"
    assert read["csl"]["title"] == read["ris"]["title"] == read["bibtex"]["title"] == read["biblatex"]["title"] == title
    assert read["csl"]["issued"] == {"date-parts": [[1616, 7, 9]]}
    assert read["ris"]["date"] == "1616/07/09" and read["biblatex"]["date"] == "1616-07-09"
    assert read["csl"]["editor"] == [{"literal": "Nina Lamal"}]  # no comma, no name parts: kept whole
    assert read["csl"]["author"] == [{"literal": "Christofforo Suriano"}]
    page = audit_html(transform(SURIANO / "02" / "001.xml", "html"))
    assert page.find(".//h1").text == title
    assert page.find(".//dd[@class='tei-date']/time").get("datetime") == "1616-07-09"


@pytest.mark.skipif(not SURIANO.is_dir(), reason="the Suriano letters are not on this machine")
def test_suriano_letters_cite_their_own_title_and_date():
    ns = {"t": TEI_NS}
    for path in sorted(SURIANO.glob("*/*.xml"))[::29]:
        header = etree.parse(str(path)).getroot().find("t:teiHeader", ns)
        title = " ".join("".join(header.find("t:fileDesc/t:titleStmt/t:title", ns).itertext()).split())
        when = header.find("t:profileDesc/t:correspDesc/t:correspAction[@type='sent']/t:date", ns).get("when")
        item = json.loads(transform(path, "csl-json"))[0]
        assert item["title"] == title, path
        assert item["issued"]["date-parts"][0] == [int(p) for p in when.split("-")], path


# --- the fixtures ----------------------------------------------------------------------

def test_letter_article_title_series_container_editors_and_sent_date(csl_schema):
    read = read_all(DATA / "letter-registers.xml", schema=csl_schema)
    csl, ris, bib, blx = read["csl"], read["ris"], read["bibtex"], read["biblatex"]
    title = "Theodor Fontane an Emilie Fontane, Berlin, 14. März 1857"  # level a, never the series
    series = "Briefe aus Berlin. Digitale Edition"
    publisher = "Berlin-Brandenburgische Akademie der Wissenschaften"
    assert csl["title"] == ris["title"] == bib["title"] == blx["title"] == title
    assert csl["issued"] == {"date-parts": [[1857, 3, 14]]}  # sent, not the draft's creation date
    assert csl["author"] == [{"family": "Fontane", "given": "Theodor"}]
    assert csl["recipient"] == [{"family": "Fontane", "given": "Emilie"}]
    # editors of the title and of a respStmt for editing, each once; the transcriber is none
    assert csl["editor"] == [{"family": "Grimm", "given": "Jacob"}, {"family": "Grimm", "given": "Wilhelm"}]
    assert csl["container-title"] == series and csl["publisher"] == publisher
    assert csl["URL"] == BASE + "letter-registers.html"
    assert ris["secondary_title"] == series and ris["unknown_tag"]["ED"] == ["Grimm, Jacob", "Grimm, Wilhelm"]
    assert ris["publisher"] == publisher and ris["urls"] == [BASE + "letter-registers.html"]
    assert ris["authors"] == ["Fontane, Theodor"] and ris["secondary_authors"] == ["Fontane, Emilie"]
    assert bib["booktitle"] == series and bib["publisher"] == publisher and series in bib["howpublished"]
    assert [person(p) for p in read["bibtex-persons"]["editor"]] == [("Grimm", "Jacob"), ("Grimm", "Wilhelm")]
    assert [person(p) for p in read["biblatex-persons"]["editor"]] == [("Grimm", "Jacob"), ("Grimm", "Wilhelm")]
    assert "Grimm" not in blx["howpublished"]  # the editor field names them already
    chicago = format_citation([csl], "chicago")
    assert chicago.startswith("Fontane, Theodor.") and title in chicago


def test_own_uri_is_the_url_without_base_url():
    item = json.loads(transform(DATA / "letter-registers.xml", "csl-json"))[0]
    assert item["URL"] == "https://example.org/briefe/letter-registers"


def test_report_authors_persons_split_institutions_whole(csl_schema):
    read = read_all(DATA / "report-authors.xml", schema=csl_schema)
    csl, ris = read["csl"], read["ris"]
    assert csl["author"] == [{"family": "Beuth", "given": "Peter Christian Wilhelm"},
                             {"family": "Schinkel", "given": "Karl Friedrich"},
                             {"literal": "Technische Deputation für Gewerbe"},
                             {"literal": "Königlich Preußisches Ministerium des Innern"}]
    # Zotero splits an RIS name at its comma and keeps one without a comma whole
    assert ris["authors"] == ["Beuth, Peter Christian Wilhelm", "Schinkel, Karl Friedrich",
                              "Technische Deputation für Gewerbe", "Königlich Preußisches Ministerium des Innern"]
    for fmt in ("bibtex", "biblatex"):
        authors = read[fmt + "-persons"]["author"]
        assert [person(p) for p in authors[:2]] == [("Beuth", "Peter Christian Wilhelm"), ("Schinkel", "Karl Friedrich")]
        assert [(str(p), p.first_names) for p in authors[2:]] == [
            ("{Technische Deputation für Gewerbe}", []), ("{Königlich Preußisches Ministerium des Innern}", [])]
    # the date in the title comes before the later print in sourceDesc
    assert csl["title"] == "Gutachten über die Anlage einer Eisenbahn nach Potsdam, 2. Mai 1835"
    assert csl["issued"] == {"date-parts": [[1835, 5, 2]]}
    # seriesStmt: the container, its editor ("<surname/>, <forename/>" is no family-first name) and a respStmt
    assert csl["container-title"] == "Quellen zur Geschichte der preußischen Eisenbahnen"
    assert csl["editor"] == [{"family": "Grimm", "given": "Wilhelm"}, {"family": "Grimm", "given": "Jacob"}]
    assert csl["publisher"] == "Preußische Staatsbibliothek, Digitale Sammlungen"  # authority
    assert "edited by Wilhelm Grimm and Jacob Grimm" in format_citation([csl], "chicago")


def test_telegram_range_date_and_organisation_sender(csl_schema):
    read = read_all(DATA / "telegram.xml", schema=csl_schema)
    assert read["csl"]["issued"] == {"date-parts": [[1895, 3, 12]]}  # notBefore of the sent date
    assert read["csl"]["author"] == [{"literal": "Kaiserliches Telegraphenamt Lemnadt"}]
    assert read["ris"]["authors"] == ["Kaiserliches Telegraphenamt Lemnadt"]
    assert read["bibtex"]["author"] == "{Kaiserliches Telegraphenamt Lemnadt}"
    assert read["csl"]["recipient"] == [{"family": "Fontane", "given": "Emilie"}]


def test_title_is_read_as_words_without_its_notes(tmp_path):
    source = (DATA / "telegram.xml").read_text(encoding="utf-8").replace(
        '<title type="main">Telegramm an Emilie Fontane</title>',
        '<title level="s">Telegramme</title><title type="main"><choice><abbr>Tel.</abbr><expan>Telegramm</expan></choice>'
        ' an<lb/>Emilie<note>Die Ehefrau.</note> Fon<lb break="no"/>tane</title>')
    path = tmp_path / "telegram.xml"
    path.write_text(source, encoding="utf-8")
    read = read_all(path)
    assert read["csl"]["title"] == read["ris"]["title"] == read["bibtex"]["title"] == "Telegramm an Emilie Fontane"
    assert audit_html(transform(path, "html")).find(".//h1").text == "Telegramm an Emilie Fontane"


def test_novel_date_of_writing_before_the_print():
    item = json.loads(transform(DATA / "novel.xml", "csl-json"))[0]
    assert item["title"] == "Effi Briest"
    assert item["issued"] == {"date-parts": [[1890]]}
    assert item["author"] == [{"family": "Fontane", "given": "Theodor"}]


def test_play_states_no_original_language(csl_schema):
    read = read_all(DATA / "play.xml", schema=csl_schema)
    assert read["csl"]["language"] == "fr" and "custom" not in read["csl"] and "note" not in read["csl"]
    assert "origlanguage" not in read["biblatex"] and "note" not in read["bibtex"]
    assert "riginal" not in read["ris-text"]
    assert read["csl"]["title"] == "Le Misanthrope"


def test_edition_title_parameter_names_the_container():
    params = {"base-url": BASE, "edition-title": "Deutsche Romane digital"}
    read = read_all(DATA / "novel.xml", params)
    assert read["csl"]["container-title"] == read["bibtex"]["booktitle"] == read["ris"]["secondary_title"] \
        == "Deutsche Romane digital"
    assert "container-title" not in read_all(DATA / "novel.xml")["csl"]


EDITION = """<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="edition"><teiHeader><fileDesc><titleStmt>
  <title type="main">Fontane digital</title><title type="sub">Briefe und Romane</title>
  <respStmt><resp>Herausgeberin</resp><persName><forename>Bettina</forename> <surname>von Arnim</surname></persName></respStmt>
  </titleStmt><publicationStmt><publisher>Fontane-Archiv</publisher><date when="2024-02-01"/></publicationStmt>
  <sourceDesc><p/></sourceDesc></fileDesc></teiHeader><text type="edition"><body><p>Über die Edition.</p></body></text></TEI>"""


def test_edition_file_beside_gives_container_editors_and_publisher(tmp_path, csl_schema):
    (tmp_path / "edition.xml").write_text(EDITION, encoding="utf-8")
    for name in ("novel", "letter-registers"):
        shutil.copy(DATA / f"{name}.xml", tmp_path / f"{name}.xml")
    novel = read_all(tmp_path / "novel.xml", schema=csl_schema)
    assert novel["csl"]["container-title"] == "Fontane digital"
    assert novel["csl"]["editor"] == [{"family": "von Arnim", "given": "Bettina"}]
    assert novel["csl"]["publisher"] == "Fontane-Archiv"
    assert novel["bibtex"]["howpublished"].endswith("Fontane-Archiv, 2024")
    # a document that names its series keeps it as its container
    letter = read_all(tmp_path / "letter-registers.xml")
    assert letter["csl"]["container-title"] == "Briefe aus Berlin. Digitale Edition"


# --- property test: names of any header, read back by every consumer --------------------

capital_words = st.builds(lambda first, rest: first + rest, st.sampled_from("ABCDEFGHIKLMNOPRSTUVWZÄÖÜÉ"),
                          st.text(alphabet="abcdefghiklmnoprstuvwzäöüéß", min_size=1, max_size=7))
word_groups = lambda n: st.lists(capital_words, min_size=1, max_size=n).map(" ".join)
names = st.one_of(
    st.tuples(st.just("comma"), word_groups(2), word_groups(3)),        # <author>Family, Given</author>
    st.tuples(st.just("parts"), word_groups(2), word_groups(3)),        # persName with forename/surname
    st.tuples(st.just("sorted"), word_groups(2), word_groups(3)),       # <surname/>, <forename/>: the same
    st.tuples(st.just("family-first"), word_groups(1), word_groups(2)), # <surname/> <forename/>, as written
    st.tuples(st.just("org"), word_groups(5), st.just("")),             # orgName
    st.tuples(st.just("plain"), word_groups(5), st.just("")))           # no comma, no parts: an institution


def author_element(kind: str, a: str, b: str):
    author = etree.Element(T + "author")
    if kind == "comma":
        author.text = f"{a}, {b}"
    elif kind == "parts":
        pers = etree.SubElement(author, T + "persName")
        fore = etree.SubElement(pers, T + "forename")
        fore.text, fore.tail = b, " "
        etree.SubElement(pers, T + "surname").text = a
    elif kind in ("sorted", "family-first"):
        pers = etree.SubElement(author, T + "persName")
        sur = etree.SubElement(pers, T + "surname")
        sur.text, sur.tail = a, ", " if kind == "sorted" else " "
        etree.SubElement(pers, T + "forename").text = b
    elif kind == "org":
        etree.SubElement(author, T + "orgName").text = a
    else:
        author.text = a
    return author


@given(st.lists(names, min_size=1, max_size=4))
def test_names_read_back_family_given_or_whole(authors):
    tei = etree.fromstring(document([("e", "p", {}, [("t", "Text.")])]))
    title_stmt = tei.find(f"{T}teiHeader/{T}fileDesc/{T}titleStmt")
    for kind, a, b in authors:
        title_stmt.append(author_element(kind, a, b))
    doc = parse_bytes(etree.tostring(tei), FOLDER / "names.xml")
    out = {fmt: transform(doc, fmt, skip_empty=False) for fmt in FORMATS}
    persons = [kind not in ("org", "plain") for kind, _a, _b in authors]
    csl = json.loads(out["csl-json"])[0]["author"]
    # a name written family name first keeps that order; "Family, Given" never does
    assert csl == [({"family": a, "given": b} | ({"static-ordering": True} if k == "family-first" else {}))
                   if p else {"literal": a} for (k, a, b), p in zip(authors, persons)]
    records = rispy.loads(out["ris"])
    assert len(records) == 1
    assert records[0]["authors"] == [f"{a}, {b}" if p else a for (_k, a, b), p in zip(authors, persons)]
    for fmt in ("bibtex", "biblatex"):
        assert bibtexparser.parse_string(out[fmt]).failed_blocks == []
        read = next(iter(pybtex_parse(out[fmt], "bibtex").entries.values())).persons["author"]
        assert [person(r) if p else (str(r), " ".join(r.first_names)) for r, p in zip(read, persons)] == [
            (a, b) if p else ("{" + a + "}", "") for (_k, a, b), p in zip(authors, persons)]
