"""CMIF out: every file checked by the SIG's own schema (jing) and Schematron (Saxon)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import xmlschema
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import tei_edition
from tei_edition.cli import main
from tei_edition.cmif import INCOMPLETE, LEFT_OUT, UNRESOLVED, export, w3c_date, write
from tei_edition.loader import TEI_NS, XML_ID
from tei_edition.registers import collect
from tei_edition.resources import edition_dir

CMIF = Path("/work/shared/schemas/cmif")
RNG, SCH = CMIF / "cmi-customization.rng", CMIF / "cmif.sch"
LETTERS = Path(__file__).parent / "data" / "cmif" / "letters"
SURIANO = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "suriano"
BASE = "https://letters.example.org/weimar"
NS = {"t": TEI_NS}

needs_schemas = pytest.mark.skipif(not RNG.is_file(), reason="the CMIF schemas are not on this machine")


def problems_of(path: Path) -> list[str]:
    """What cmi-customization.rng (jing) and cmif.sch (xslt2 on Saxon) say about a file, warnings too."""
    report = tei_edition.validate([path], [RNG, SCH], config=None)
    return [str(p) for p in report.problems]


def written(result, tmp_path: Path, name: str = "cmif.xml") -> Path:
    out = tmp_path / name
    assert write(result, out) is None
    return out


def letters(path: Path) -> dict[str, etree._Element]:
    root = etree.parse(str(path)).getroot()
    return {d.get("ref").rsplit("/", 1)[1]: d for d in root.iterfind(".//t:profileDesc/t:correspDesc", NS)}


def action(desc, kind: str):
    return desc.find(f"t:correspAction[@type='{kind}']", NS)


# --- the bundled edition -------------------------------------------------------------

@needs_schemas
def test_bundled_edition_is_valid_cmif(tmp_path):
    result = export(None, base_url="https://example.org/sino-soviet/")
    out = written(result, tmp_path)
    assert problems_of(out) == []
    assert result.problems == () and result.left_out == 0
    found = letters(out)
    # the letters with a correspDesc, each at its page: the site names a page by the document's xml:id
    with_desc = sorted(p for p in edition_dir().glob("*.xml") if b"<correspDesc" in p.read_bytes())
    ids = [etree.parse(str(p)).getroot().get(XML_ID) for p in with_desc]
    assert sorted(found) == sorted(f"{i}.html" for i in ids) and len(ids) == 2
    moscow = collect(None).get("moscow")
    uris = {a.uri for a in moscow.authorities if a.uri}
    for desc in found.values():
        assert desc.get("ref").startswith("https://example.org/sino-soviet/")
        places = desc.findall(".//t:placeName", NS)
        assert places and all(p.get("ref") in uris and p.text == moscow.label for p in places)
        assert all(p.get("cert") is None for p in places)  # cert="medium" cannot be CMIF


# --- a letter edition with authority ids, prefixDef pointers and gaps --------------------

@pytest.fixture(scope="module")
def weimar():
    return export([LETTERS], base_url=BASE)


@needs_schemas
def test_letter_edition_is_valid_cmif(weimar, tmp_path):
    assert problems_of(written(weimar, tmp_path)) == []


def test_authority_uris_come_from_the_register_entries(weimar, tmp_path):
    found = letters(written(weimar, tmp_path))
    first = found["goethe-schiller-1794.html"]
    sent, received = action(first, "sent"), action(first, "received")
    # psn:goethe and plc:weimar expand through the edition file's prefixDefs
    assert sent.find("t:persName", NS).get("ref") == "https://d-nb.info/gnd/118540238"
    assert sent.find("t:persName", NS).text == "Johann Wolfgang von Goethe"
    assert sent.find("t:placeName", NS).get("ref") == "https://www.geonames.org/2812482"  # GeoNames before Wikidata
    assert received.find("t:persName", NS).get("ref") == "https://d-nb.info/gnd/118607626"  # GND before VIAF
    assert [a.get("type") for a in first.iterfind("t:correspAction", NS)] == ["sent", "received"]
    # an entry in the letter's own <back>, by #id; a settlement becomes a placeName without @ref
    undated = action(found["humboldt-undated.html"], "sent")
    assert undated.find("t:persName", NS).get("ref") == "https://viaf.org/viaf/27062954"
    assert undated.find("t:placeName", NS).text == "Jena" and undated.find("t:placeName", NS).get("ref") is None
    court = found["court-1795.html"]
    assert action(court, "sent").find("t:orgName", NS).get("ref") == "https://d-nb.info/gnd/4079048-2"
    names = action(court, "received").findall("t:persName", NS)
    assert [(n.text, n.get("ref")) for n in names] == [("Herder", None), ("J. G. Herder", "https://d-nb.info/gnd/118549553")]


def test_dates_are_kept_as_written_and_cert_only_low(weimar, tmp_path):
    found = letters(written(weimar, tmp_path))
    dates = {name: [dict(d.attrib) for d in desc.iterfind(".//t:date", NS)] for name, desc in found.items()}
    assert dates["goethe-schiller-1794.html"] == [{"when": "1794-06-13"}]
    assert dates["court-1795.html"] == [{"notBefore": "1795-01-01", "notAfter": "1795-03-31"},
                                        {"from": "1795-04", "to": "1795-05", "cert": "low"}]
    assert dates["bad-date.html"] == [{"when": "1795-03-02"}]  # 30 February is no date
    assert dates["humboldt-undated.html"] == []


def test_gaps_are_one_warning_each_and_the_left_out_letter_is_absent(weimar, tmp_path):
    said = {(Path(p.file).name, p.rule) for p in weimar.problems}
    assert said == {("bad-date.xml", INCOMPLETE), ("humboldt-undated.xml", INCOMPLETE),
                    ("court-1795.xml", UNRESOLVED), ("draft.xml", LEFT_OUT)}
    assert all(p.severity == "warning" for p in weimar.problems)
    undated = next(p for p in weimar.problems if p.file.endswith("humboldt-undated.xml"))
    assert "date of sending" in undated.message and (undated.line, undated.col) == (10, 7)  # at its correspDesc
    assert weimar.letters == 4 and weimar.left_out == 1
    assert "draft.html" not in letters(written(weimar, tmp_path))


def test_the_same_edition_gives_the_same_bytes(tmp_path):
    first = export([LETTERS], base_url=BASE).text
    assert export([LETTERS], base_url=BASE + "/").text == first
    assert '<date when="2025-03-14"/>' in first  # the newest change/@when, not today
    bibl = etree.fromstring(first.encode()).find(".//t:sourceDesc/t:bibl", NS)
    assert bibl.get(XML_ID)[0].isalpha() and export([LETTERS], base_url=BASE + "/other").text != first


# --- dates: the check against XML Schema's own types, and jing on the edge cases ------------

_XS = xmlschema.XMLSchema10('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>').maps.types
_TYPES = [_XS[f"{{http://www.w3.org/2001/XMLSchema}}{t}"]
          for t in ("date", "gYear", "gYearMonth", "gMonth", "gDay", "gMonthDay", "time", "dateTime")]
_DATEISH = st.from_regex(r"\A-{0,3}[0-9]{1,5}(-[0-9]{1,2}){0,2}(T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9])?)?"
                         r"(Z|[+-][0-9]{2}:[0-9]{2})?\Z")


@given(_DATEISH)
@settings(max_examples=400, deadline=None)
def test_w3c_date_agrees_with_xml_schema(value):
    # hour 24 is XML Schema 1.0's, but jing (which the test below runs) refuses it
    assert w3c_date(value) == (any(t.is_valid(value) for t in _TYPES) and "T24:" not in value)


EDGES = ["1952", "1952-09", "1952-09-15", "1952-02-29", "1900-02-29", "2000-02-29", "0000", "-0044-03-15",
         "12345-01-01", "01952", "--09", "--02-29", "--02-30", "---31", "---32", "1952-13", "1952-00-10",
         "1952-09-15T10:30:00", "1952-09-15T24:00:00", "1952-09-15T10:30:00Z", "1952-09-15+14:00",
         "1952-09-15+14:30", "10:30:00.5", "25:00:00", "1952-9-15", "15.09.1952", "1952-09-15/1952-09-16"]


@needs_schemas
def test_jing_accepts_every_date_kept(tmp_path):
    edition = tmp_path / "edges"
    edition.mkdir()
    dates = "\n".join(f'<date when="{v}"/>' for v in EDGES)
    (edition / "letter.xml").write_text(
        f'<TEI xmlns="{TEI_NS}" xml:id="letter"><teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>'
        "<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc><profileDesc>"
        "<correspDesc><correspAction type='sent'><persName>A</persName>" + dates + "</correspAction>"
        "<correspAction type='received'><persName>B</persName></correspAction></correspDesc></profileDesc>"
        "</teiHeader><text><body><p>x</p></body></text></TEI>", encoding="utf-8")
    result = export([edition], base_url=BASE, editors=["E"])
    out = written(result, tmp_path)
    assert problems_of(out) == []
    kept = [d.get("when") for d in etree.parse(str(out)).iterfind(".//t:date[@when]", NS)][1:]  # after the file's own
    assert kept == [v for v in EDGES if w3c_date(v)] and 0 < len(kept) < len(EDGES)


@given(st.lists(st.sampled_from(["when", "from", "to", "notBefore", "notAfter"]), min_size=1, max_size=5, unique=True),
       st.dates(), st.sampled_from([10, 7, 4]))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_date_is_exported_exactly_as_given(tmp_path, names, day, width):
    value = day.isoformat()[:width]
    folder = tmp_path / f"{'-'.join(names)}-{value}"
    folder.mkdir(exist_ok=True)
    attrs = " ".join(f'{n}="{value}"' for n in names)
    (folder / "l.xml").write_text(
        f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>t</title></titleStmt><publicationStmt><p/>'
        f"</publicationStmt><sourceDesc><p/></sourceDesc></fileDesc><profileDesc><correspDesc>"
        f"<correspAction type='sent'><date {attrs}>{value}</date></correspAction>"
        f"<correspAction type='received'><placeName>Rome</placeName></correspAction></correspDesc>"
        f"</profileDesc></teiHeader><text><body><p>x</p></body></text></TEI>", encoding="utf-8")
    result = export([folder], base_url=BASE, editors=["E"], date="2025-01-01")
    date = etree.fromstring(result.text.encode()).find(".//t:correspAction/t:date", NS)
    assert dict(date.attrib) == {n: value for n in names}
    assert [p.rule for p in result.problems] == [INCOMPLETE]  # no sender, said once
    assert "a sender" in result.problems[0].message


# --- the 725 Suriano letters --------------------------------------------------------------

@needs_schemas
@pytest.mark.skipif(not SURIANO.is_dir(), reason="the Suriano corpus is not on this machine")
def test_suriano_letters_export_by_name_with_one_warning(tmp_path):
    result = export([SURIANO], base_url="https://example.org/suriano")
    assert result.letters == 725 and result.left_out == 0
    assert [p.rule for p in result.problems] == [UNRESOLVED]  # bio.xml is absent: one warning, not 725
    assert "bio.xml#cs" in result.problems[0].message and "724 more letter(s)" in result.problems[0].message
    out = written(result, tmp_path)
    assert problems_of(out) == []
    found = letters(out)
    assert len(found) == 725  # every letter at its own page, although 11 folders repeat 001.xml ...
    names = {n.text for d in found.values() for n in action(d, "sent").iter(f"{{{TEI_NS}}}name")}
    assert names == {"Christofforo Suriano"}
    assert all(n.get("ref") is None for d in found.values() for n in d.iter(f"{{{TEI_NS}}}name"))


# --- the command ---------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(main, ["export", "cmif", *map(str, args)])


def test_cli_takes_the_base_url_from_the_project_file(tmp_path):
    out = tmp_path / "cmif.xml"
    result = run(LETTERS, "-o", out)
    assert result.exit_code == 0, result.output
    root = etree.parse(str(out)).getroot()
    assert all(d.get("ref").startswith(BASE + "/") for d in root.iterfind(".//t:correspDesc", NS))
    assert root.findtext(".//t:publicationStmt/t:idno", namespaces=NS) == f"{BASE}/cmif.xml"
    assert "[cmif-left-out]" in result.output and "4 letter(s) written" in result.output


def test_cli_needs_a_base_url(tmp_path):
    shutil.copy(LETTERS / "goethe-schiller-1794.xml", tmp_path)
    result = run(tmp_path / "goethe-schiller-1794.xml", "-o", tmp_path / "cmif.xml")
    assert result.exit_code == 2 and "--base-url" in result.output
    assert not (tmp_path / "cmif.xml").exists()
    assert run(tmp_path, "--base-url", "ftp://x.org", "-o", tmp_path / "c.xml").exit_code == 2
    assert run(tmp_path, "--base-url", BASE, "--date", "2025-02-30").exit_code == 2


def test_cli_never_writes_over_an_input(tmp_path):
    edition = tmp_path / "letters"
    shutil.copytree(LETTERS, edition)
    target = edition / "goethe-schiller-1794.xml"
    before = target.read_bytes()
    result = run(edition, "-o", target)
    assert result.exit_code == 2 and "one of the files read" in result.output
    assert target.read_bytes() == before
    assert not [p for p in os.listdir(edition) if p.startswith(".tei-edition-tmp")]


def test_cli_without_letters_writes_nothing(tmp_path):
    shutil.copy(LETTERS / "draft.xml", tmp_path)
    result = run(tmp_path, "--base-url", BASE, "-o", tmp_path / "out" / "cmif.xml")
    assert result.exit_code == 1 and "no letter to export" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_options_reach_the_header(tmp_path):
    result = run(LETTERS, "--title", "Weimar letters", "--editor", "C. Third", "--date", "2025-06-01",
                 "--url", "https://data.example.org/weimar.xml")
    assert result.exit_code == 0
    header = etree.fromstring(result.stdout.encode()).find("t:teiHeader", NS)
    assert header.findtext("t:fileDesc/t:titleStmt/t:title", namespaces=NS) == "Weimar letters"
    assert [e.text for e in header.iterfind("t:fileDesc/t:titleStmt/t:editor", NS)] == ["C. Third"]
    assert header.find(".//t:publicationStmt/t:date", NS).get("when") == "2025-06-01"
    assert header.findtext(".//t:publicationStmt/t:idno", namespaces=NS) == "https://data.example.org/weimar.xml"
