"""The edition-wide register model: entries wherever TEI keeps them, merged by id, with mentions."""

from __future__ import annotations

import dataclasses
import gc
import shutil
import weakref
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tei_edition import loader
from tei_edition.edition import Edition
from tei_edition.loader import TEI_NS, XML_ID
from tei_edition.registers import (BAD_GEO, CONFLICT, MENTION_TAGS, NO_ID, Point, authority_uri, collect,
                                   parse_geo)
from tei_edition.resources import edition_dir

DATA = Path(__file__).parent / "data" / "registers"
EDITION = DATA / "edition"
SURIANO = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "suriano"
T = f"{{{TEI_NS}}}"


@pytest.fixture(scope="module")
def registers():
    return collect(EDITION)


def _line_col(path: Path, needle: str, occurrence: int = 1) -> tuple[int, int]:
    """Where the n-th occurrence of ``needle`` starts in a file (1-based), found in its text."""
    text = path.read_text(encoding="utf-8")
    at = -1
    for _ in range(occurrence):
        at = text.index(needle, at + 1)
    line = text.count("\n", 0, at) + 1
    return line, at - (text.rfind("\n", 0, at) + 1) + 1


# --- where entries are found -------------------------------------------------

def test_entries_come_from_back_header_registers_and_standoff(registers):
    found = {e.id: e for e in registers}
    assert found["goethe"].kind == "person"                     # a letter's back
    assert found["schiller"].kind == "person"                   # particDesc/listPerson
    assert found["jena"].kind == "place"                        # settingDesc, no list
    assert found["austria"].kind == found["vienna"].kind == "place"  # a place in a place
    assert found["danube"].subkind == "rivers"                  # a nested listPlace's @type
    assert found["austria"].subkind == "countries"
    assert found["vienna"].subkind == "city"                    # the entry's own @type wins
    assert found["weimar-court"].kind == "org"                  # standOff
    assert found["congress-vienna"].kind == "event"
    assert found["faust"].kind == "bibl"
    # the listBibl of a sourceDesc names sources, not register entries
    assert "source-a" not in found


def test_names_by_language_are_inherited_and_persons_keep_their_parts(registers):
    goethe = registers.get("goethe")
    by_lang = goethe.names_by_lang()
    assert by_lang["en"] == ("Johann Wolfgang von Goethe",)     # listPerson/@xml:lang, written "Goethe, …"
    assert by_lang["de"] == ("Johann Wolfgang Goethe",)         # the TEI root's xml:lang in letter-b
    inverted = next(n for n in goethe.names if n.lang == "en")
    assert (inverted.text, inverted.forename, inverted.surname) == (
        "Goethe, Johann Wolfgang von", "Johann Wolfgang von", "Goethe")
    assert registers.get("vienna").names_by_lang() == {"en": ("Vienna",), "de": ("Wien",)}
    # a title in the bibl's note names another work
    assert registers.get("faust").names_by_lang() == {"de": ("Faust. Eine Tragödie",), "en": ("Faust",)}
    assert registers.get("faust").notes == ("Not Urfaust, an earlier version.",)


def test_dates_authorities_notes(registers):
    goethe = registers.get("goethe")
    assert [(d.role, d.label) for d in goethe.dates] == [("birth", "1749-08-28"), ("death", "1832-03-22")]
    uris = {a.uri for a in goethe.authorities}
    assert {"https://d-nb.info/gnd/118540238", "http://www.wikidata.org/entity/Q5879",
            "https://viaf.org/viaf/24602065", "http://d-nb.info/gnd/118540238"} <= uris
    assert goethe.notes == ("Poet.",)  # a note's own notes are not its text
    congress = registers.get("congress-vienna")
    assert [(d.role, d.from_, d.to, d.label) for d in congress.dates] == [
        ("event", "1814-09-18", "1815-06-09", "1814-09-18/1815-06-09")]
    court = registers.get("weimar-court").authorities
    assert [(a.type, a.value, a.uri) for a in court] == [("wikidata", "not-a-q-id", None)]


def test_coordinates_with_a_decimal_comma(registers):
    assert registers.get("vienna").coordinates == (Point(48.208333, 16.373056),)
    assert registers.get("jena").coordinates == (Point(50.927222, 11.586111),)


# --- merging and its warnings ---------------------------------------------------

def test_the_same_id_in_several_letters_is_one_entry(registers):
    assert [e.id for e in registers].count("goethe") == 1
    goethe = registers.get("goethe")
    assert [Path(f).name for f, _ in goethe.sources] == ["letter-a.xml", "letter-b.xml", "letter-c.xml"]


def test_a_conflicting_date_is_reported_once_where_it_is_written(registers):
    conflicts = [p for p in registers.problems if p.rule == CONFLICT and "birth" in p.message]
    assert len(conflicts) == 1  # letter-b and letter-c say the same other date: one warning
    (problem,) = conflicts
    assert problem.severity == "warning"
    assert Path(problem.file).name == "letter-b.xml"
    assert (problem.line, problem.col) == _line_col(EDITION / "letter-b.xml", "<birth")  # a tag over two lines
    assert "1749-08-29" in problem.message and "1749-08-28" in problem.message
    assert "1 more" in problem.message
    assert registers.get("goethe").dates[0].when == "1749-08-28"  # the first read is kept


def test_conflicting_coordinates_are_reported(registers):
    (problem,) = [p for p in registers.problems if p.rule == CONFLICT and "'weimar'" in p.message]
    assert Path(problem.file).name == "letter-c.xml"
    assert (problem.line, problem.col) == _line_col(EDITION / "letter-c.xml", "<geo>")
    assert registers.get("weimar").coordinates == (Point(50.979444, 11.329722),)


def test_entries_without_id(registers):
    problems = [p for p in registers.problems if p.rule == NO_ID]
    assert [(Path(p.file).name, p.line, p.col) for p in problems] == [
        ("letter-b.xml", *_line_col(EDITION / "letter-b.xml", "<person>", 1)),
        ("letter-b.xml", *_line_col(EDITION / "letter-b.xml", "<person>", 2))]
    kept = [e for e in registers if ":" in e.id]
    assert [(e.id, e.label) for e in kept] == [(f"letter-b.xml:{problems[0].line}", "Ein Diener")]


def test_unreadable_coordinates_are_a_warning(registers):
    (problem,) = [p for p in registers.problems if p.rule == BAD_GEO]
    assert (Path(problem.file).name, problem.line, problem.col) == (
        "places.xml", *_line_col(EDITION / "registers" / "places.xml", "<geo>48°"))
    assert registers.get("danube").coordinates == ()
    assert all(p.severity == "warning" for p in registers.problems)


# --- mentions -------------------------------------------------------------------

def test_mentions_resolve_local_relative_and_authority_pointers(registers):
    counts = {e.id: e.mentions for e in registers}
    # letter-a: correspAction, body, "#goethe #schiller"; letter-b: #goethe and its Wikidata URI
    # (../outside.xml#goethe leads out of the edition); letter-c: letter-b.xml#goethe
    assert counts["goethe"] == 6
    assert counts["schiller"] == 3   # correspAction, @corresp, the shared element
    assert counts["weimar"] == 3     # #weimar in a and c, letter-a.xml#weimar in b
    assert counts["vienna"] == 1     # the event's own desc is a cross-reference, not a mention
    assert counts["faust"] == 1      # registers/works.xml#faust
    assert counts["austria"] == counts["danube"] == 0


def _oracle_counts(paths, ids: set[str]) -> dict[str, int]:
    """Mentions counted the slow way: every pointer followed by Edition.resolver to its element."""
    edition = Edition.load(paths)
    entry_tags = {T + t for t in ("person", "personGrp", "place", "org", "bibl", "event")}

    def is_entry(el) -> bool:
        return el.tag in entry_tags and el.get(XML_ID) in ids
    counts: dict[str, int] = {}
    for doc in edition:
        resolve = edition.resolver(doc)
        for el in doc.root.iter(*MENTION_TAGS):
            if any(is_entry(a) for a in el.iterancestors()):
                continue
            named = set()
            for attr in ("ref", "corresp"):
                for token in (el.get(attr) or "").split():
                    target = resolve(token)
                    if target is not None and is_entry(target):
                        named.add(target.get(XML_ID))
            for ident in named:
                counts[ident] = counts.get(ident, 0) + 1
    return counts


def test_bundled_edition_mentions_agree_with_the_edition_resolver():
    registers = collect(None)
    oracle = _oracle_counts(None, {e.id for e in registers})
    assert len(registers) >= 25
    assert {e.id: e.mentions for e in registers if e.mentions} == oracle
    assert registers.problems == ()


def test_bundled_edition_has_every_register_entry():
    registers = collect(edition_dir())
    ids = {e.id for e in registers}
    for name, tag in (("persons", "person"), ("places", "place"), ("organisations", "org")):
        doc = loader.load(edition_dir() / f"{name}.xml")
        assert {el.get(XML_ID) for el in doc.root.iter(T + tag) if el.get(XML_ID)} <= ids
    moscow = registers.get("moscow")
    assert moscow.coordinates and -90 <= moscow.coordinates[0].lat <= 90
    assert "http://www.wikidata.org/entity/Q649" in {a.uri for a in moscow.authorities}


def test_suriano_letters_point_at_a_register_that_is_not_there():
    letters = sorted((SURIANO / "02").glob("*.xml"))[:20]
    if not letters:
        pytest.skip("the suriano corpus is not on this machine")
    registers = collect(letters)
    assert len(registers.files) == len(letters)
    assert registers.entries == () and registers.problems == ()  # bio.xml is missing: nothing to count


# --- sources --------------------------------------------------------------------

def test_an_edition_documents_and_paths_give_the_same_registers(registers):
    from_edition = collect(Edition.load([EDITION]))
    assert from_edition.entries == registers.entries
    docs = [loader.load(p) for p in sorted(EDITION.rglob("*.xml"))]
    from_docs = collect(docs)
    # loaded documents are their own roots: registers/works.xml#faust from a letter still resolves
    assert {e.id: e.names for e in from_docs} == {e.id: e.names for e in registers}


def test_no_tree_is_kept(monkeypatch):
    """Files are read one at a time and let go: a 5,000-letter edition must not stay in memory."""
    alive: list[weakref.ref] = []
    real = loader.try_load

    def watched(path, **options):
        result = real(path, **options)
        alive.append(weakref.ref(result))
        return result
    monkeypatch.setattr(loader, "try_load", watched)
    registers = collect(EDITION)
    gc.collect()
    assert len(alive) == 5 and len(registers) > 5
    assert [r for r in alive if r() is not None] == []

    def plain(value) -> bool:  # the model holds values only, never an element
        if dataclasses.is_dataclass(value):
            return all(plain(getattr(value, f.name)) for f in dataclasses.fields(value))
        if isinstance(value, tuple):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, int, float))
    assert all(plain(e) for e in registers)


def test_an_unreadable_file_is_an_error_and_the_rest_is_read(tmp_path):
    shutil.copytree(EDITION, tmp_path / "ed")
    (tmp_path / "ed" / "broken.xml").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><unclosed>")
    registers = collect(tmp_path / "ed")
    errors = [p for p in registers.problems if p.severity == "error"]
    assert [Path(p.file).name for p in errors] == ["broken.xml"]
    assert registers.get("goethe") is not None


def test_prefixed_pointers_expand_by_the_documents_and_the_edition_files_prefixdefs(tmp_path):
    if not hasattr(Edition, "expand"):
        pytest.skip("this edition.py has no prefixDef expansion")
    shutil.copytree(EDITION, tmp_path / "ed")
    prefix = ('<listPrefixDef><prefixDef ident="{0}" matchPattern="([a-z]+)" replacementPattern="{1}"/>'
              '</listPrefixDef>')
    letter = (tmp_path / "ed" / "letter-d.xml")
    letter.write_text(f"""<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>D</title></titleStmt>
<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc>
<encodingDesc>{prefix.format("own", "letter-a.xml#$1")}</encodingDesc></teiHeader>
<text><body><p><persName ref="own:goethe">G</persName> <persName ref="ed:schiller">S</persName>
<persName ref="undeclared:goethe">U</persName></p></body></text></TEI>""")
    (tmp_path / "ed" / "zz-edition.xml").write_text(f"""<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc>
<titleStmt><title>E</title></titleStmt><publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc>
</fileDesc><encodingDesc>{prefix.format("ed", "letter-a.xml#$1")}</encodingDesc></teiHeader>
<text type="edition"><body><p/></body></text></TEI>""")
    before = collect(EDITION)
    for registers in (collect(tmp_path / "ed"), collect(Edition.load([tmp_path / "ed"]))):
        # the edition file is read after the letter: its prefixDef still applies
        assert registers.get("goethe").mentions == before.get("goethe").mentions + 1
        assert registers.get("schiller").mentions == before.get("schiller").mentions + 1


# --- values ---------------------------------------------------------------------

def test_authority_uris():
    assert authority_uri("wikidata", "Q42") == "http://www.wikidata.org/entity/Q42"
    assert authority_uri("GND", "4066009-6") == "https://d-nb.info/gnd/4066009-6"
    assert authority_uri("GeoNames", "2761369") == "https://www.geonames.org/2761369"
    assert authority_uri("viaf", "24602065") == "https://viaf.org/viaf/24602065"
    assert authority_uri("URI", "https://example.org/p/1") == "https://example.org/p/1"
    assert authority_uri("wikidata", "Goethe") is None
    assert authority_uri("isbn", "978-3-16-148410-0") is None  # kept as value and type only


latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)


@given(latitudes, longitudes, st.sampled_from(["{} {}", "{}  {}", "{}, {}", "{},{}", "{};{}", "\n {}\t{} "]),
       st.booleans())
def test_parse_geo_reads_the_ways_editions_write_coordinates(lat, long, layout, decimal_comma):
    a, b = f"{lat:.6f}", f"{long:.6f}"
    if decimal_comma:
        if "," in layout.replace("{}", ""):  # "48,2,16,3" is ambiguous: editions with a comma use a space
            layout = "{} {}"
        a, b = a.replace(".", ","), b.replace(".", ",")
    point = parse_geo(layout.format(a, b))
    assert point == Point(float(f"{lat:.6f}"), float(f"{long:.6f}"))


@pytest.mark.parametrize("text", ["", "48.2", "48.2 16.3 200", "48°12′N 16°22′E", "91 10", "10 181",
                                  "48,2,16,3", "nan nan", "1e400 0", "lat long"])
def test_parse_geo_refuses_what_it_cannot_read(text):
    assert isinstance(parse_geo(text), str)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["1801-02-03", "1802", "1803-04"]),
                          st.sampled_from(["1851", "1852-06-07"])), min_size=1, max_size=5))
def test_merge_keeps_the_first_and_warns_once_per_different_value(tmp_path_factory, lives):
    folder = tmp_path_factory.mktemp("merge")
    for n, (born, died) in enumerate(lives):
        (folder / f"l{n:02}.xml").write_text(
            f'<TEI xmlns="{TEI_NS}"><text><back><listPerson><person xml:id="p"><persName>P</persName>'
            f'<birth when="{born}"/><death when="{died}"/></person></listPerson></back></text></TEI>')
    registers = collect(folder)
    (entry,) = registers.entries
    assert [(d.role, d.when) for d in entry.dates] == [("birth", lives[0][0]), ("death", lives[0][1])]
    expected = {("birth", b) for b, _ in lives if b != lives[0][0]} | {("death", d) for _, d in lives if d != lives[0][1]}
    assert len(registers.problems) == len(expected)
    assert all(p.rule == CONFLICT for p in registers.problems)
    assert len(entry.sources) == len(lives)
