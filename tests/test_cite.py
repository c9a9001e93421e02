"""Citations, checked by the software that consumes them: bibtexparser 2, pybtex, rispy,
jsonschema with the CSL data schema, and citeproc-py."""

from __future__ import annotations

import json
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
from click.testing import CliRunner
from pybtex.database import parse_string as pybtex_parse

from tei_edition.citations import format_citation
from tei_edition.cli import main
from tei_edition.resources import edition_dir
from tei_edition.transform import transform

EDITION = edition_dir()
SAMPLES = Path(__file__).parent / "samples"
SCHEMAS = Path(__file__).resolve().parents[1].parent / "shared" / "schemas"
BASE = "https://example.org/sino-soviet/"
DOCS = ["communique", "announcement", "note-zhou", "reply-vyshinsky"]
ALL = DOCS + ["edition"]
EXPECTED_TYPES = {  # document -> (biblatex, bibtex, RIS, CSL)
    "note-zhou": ("letter", "misc", "PCOMM", "personal_communication"),
    "reply-vyshinsky": ("letter", "misc", "PCOMM", "personal_communication"),
    "communique": ("article", "article", "NEWS", "article-newspaper"),
    "announcement": ("misc", "misc", "GOVDOC", "document"),
    "edition": ("collection", "book", "EDBOOK", "book"),
}


def cite(name: str, fmt: str, folder: Path = EDITION) -> str:
    return transform(folder / f"{name}.xml", fmt, {"base-url": BASE})


@pytest.fixture(scope="module")
def csl_schema():
    return json.loads((SCHEMAS / "csl-data.json").read_text(encoding="utf-8"))


# --- BibTeX and biblatex ------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["bibtex", "biblatex"])
@pytest.mark.parametrize("name", ALL)
def test_bibtex_parses_in_bibtexparser_and_pybtex(fmt, name):
    text = cite(name, fmt)
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    assert len(library.entries) == 1
    entry = library.entries[0]
    assert entry.key == name
    expected = EXPECTED_TYPES[name][0 if fmt == "biblatex" else 1]
    assert entry.entry_type == expected
    assert pybtex_parse(text, "bibtex").entries[name].type == expected


def test_bibtex_names_family_first():
    zhou = pybtex_parse(cite("note-zhou", "bibtex"), "bibtex").entries["note-zhou"].persons["author"][0]
    assert zhou.last_names == ["Zhou"] and zhou.first_names == ["Enlai"]
    vy = pybtex_parse(cite("reply-vyshinsky", "biblatex"), "bibtex").entries["reply-vyshinsky"].persons["author"][0]
    assert vy.last_names == ["Vyshinsky"] and " ".join(vy.first_names + vy.middle_names) == "Andrei Y."
    governments = pybtex_parse(cite("communique", "bibtex"), "bibtex").entries["communique"].persons["author"]
    # Institutions are one brace-protected unit, not split into given and family names.
    assert len(governments) == 2 and all(not p.first_names for p in governments)
    assert "People's Republic of China" in str(governments[0])


def test_biblatex_letter_carries_edition_language_and_date():
    fields = bibtexparser.parse_string(cite("note-zhou", "biblatex")).entries[0].fields_dict
    assert fields["date"].value == "1952-09-15"
    assert fields["origlanguage"].value == "chinese" and fields["language"].value == "english"
    assert fields["url"].value == BASE + "note-zhou.html"
    assert "The Sino-Soviet Agreements of September 1952" in fields["howpublished"].value
    assert fields["editor"].value == "{tei-edition editorial team}"
    assert "Vyshinsky" in fields["titleaddon"].value


def test_bibtex_escapes_special_characters(tmp_path):
    doc = tmp_path / "odd.xml"
    doc.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="odd"><teiHeader><fileDesc><titleStmt>'
                   '<title>50% of {A &amp; B} cost $5 #1 a_b ~ ^ \\end</title><author>Doe, Jane</author></titleStmt>'
                   '<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>'
                   '<text><body><p>x</p></body></text></TEI>')
    for fmt in ("bibtex", "biblatex"):
        text = transform(doc, fmt)
        library = bibtexparser.parse_string(text)
        assert library.failed_blocks == [] and len(library.entries) == 1
        entry = pybtex_parse(text, "bibtex").entries["odd"]
        assert entry.persons["author"][0].last_names == ["Doe"]


# --- RIS --------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_ris_parses_in_rispy_with_one_record(name):
    text = cite(name, "ris")
    records = rispy.loads(text)
    assert len(records) == 1 == text.count("\nER  - ")  # rispy drops a record without ER silently
    record = records[0]
    assert record["type_of_reference"] == EXPECTED_TYPES[name][2]
    assert record["language"] == "English"
    assert record["urls"][0].startswith(BASE)


def test_ris_letter_recipient_and_names():
    record = rispy.loads(cite("note-zhou", "ris"))[0]
    assert record["authors"] == ["Zhou, Enlai"]
    assert record["secondary_authors"] == ["Vyshinsky, Andrei Y."]
    # The edition holding the letter is its secondary title, the editors ED (A2 is the recipient).
    assert record["secondary_title"] == "The Sino-Soviet Agreements of September 1952"
    assert record["unknown_tag"]["ED"] == ["tei-edition editorial team"]  # no comma: an institution
    assert record["date"] == "1952/09/15"
    assert any("Chinese" in n for n in record["notes"])
    news = rispy.loads(cite("communique", "ris"))[0]
    assert news["secondary_title"] == "People's Daily"
    assert all("," not in a for a in news["authors"])


def test_ris_of_many_documents_concatenated_counts_all():
    text = "".join(cite(n, "ris") for n in ALL)
    assert len(rispy.loads(text)) == len(ALL)


# --- CSL-JSON -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_csl_json_is_valid_and_renders_in_chicago(name, csl_schema):
    text = cite(name, "csl-json")
    assert "\\/" not in text  # no escaped solidus
    items = json.loads(text)
    jsonschema.validate(items, csl_schema)  # additionalProperties: false, so no unknown keys
    assert len(items) == 1
    item = items[0]
    assert item["type"] == EXPECTED_TYPES[name][3]
    assert item["language"] == "en"
    assert item["URL"] == (BASE if name == "edition" else BASE + f"{name}.html")
    assert item["issued"]["date-parts"][0][0] in (1952, 2026)
    rendered = format_citation(items, "chicago")
    assert item["title"][:30] in rendered


def test_csl_json_names_container_editors_and_languages():
    note = json.loads(cite("note-zhou", "csl-json"))[0]
    assert note["author"][0]["family"] == "Zhou" and note["author"][0]["given"] == "Enlai"
    assert note["author"][0].get("static-ordering") is True  # written family name first
    assert note["recipient"] == [{"family": "Vyshinsky", "given": "Andrei Y."}]
    assert note["container-title"] == "The Sino-Soviet Agreements of September 1952"
    assert note["editor"] == [{"literal": "tei-edition editorial team"}]
    assert note["issued"] == {"date-parts": [[1952, 9, 15]]}
    assert note["custom"]["original-language"] == "zh" and "original-language: zh" in note["note"]
    news = json.loads(cite("communique", "csl-json"))[0]
    assert news["container-title"] == "People's Daily"
    assert news["collection-title"] == "The Sino-Soviet Agreements of September 1952"
    assert news["collection-editor"] == [{"literal": "tei-edition editorial team"}]
    assert news["issued"] == {"date-parts": [[1952, 9, 16]]}
    assert all("literal" in a for a in news["author"])
    doc = json.loads(cite("announcement", "csl-json"))[0]
    assert doc["issued"] == {"date-parts": [[1952, 9, 15]]}


def test_csl_json_without_base_url_has_no_url():
    item = json.loads(transform(EDITION / "note-zhou.xml", "csl-json"))[0]
    assert "URL" not in item


def test_sample_names_particles_and_register_lookup(csl_schema):
    item = json.loads(cite("brief-de", "csl-json", SAMPLES))[0]
    jsonschema.validate([item], csl_schema)
    assert item["author"] == [{"family": "Humboldt", "given": "Wilhelm", "non-dropping-particle": "von"}]
    assert item["recipient"] == [{"family": "Schiller", "given": "Friedrich"}]
    assert item["issued"] == {"date-parts": [[1795, 3, 1]]}
    assert item["language"] == "de"
    assert item["container-title"] == "Sample Letters: A Test Edition"


# --- formatted styles (citeproc-py) -------------------------------------------------

@pytest.mark.parametrize("style", ["chicago", "chicago-author-date", "mla"])
def test_formatted_styles_keep_full_given_names(style):
    items = json.loads(cite("reply-vyshinsky", "csl-json"))
    text = format_citation(items, style)
    assert text.startswith("Vyshinsky, Andrei Y.")
    assert "Reply from the Soviet Government" in text


def test_letter_recipient_in_chicago_keeps_chinese_name_order():
    text = format_citation(json.loads(cite("reply-vyshinsky", "csl-json")), "chicago")
    assert "Letter to Zhou Enlai" in text


def test_several_items_one_line_each():
    items = [json.loads(cite(n, "csl-json"))[0] for n in ALL]
    lines = format_citation(items, "mla").strip().splitlines()
    assert len(lines) == len(ALL)


# --- the CLI ----------------------------------------------------------------------

def test_cli_cite_by_id_path_and_edition():
    runner = CliRunner()
    by_id = runner.invoke(main, ["cite", "note-zhou", "--format", "ris"])
    assert by_id.exit_code == 0 and len(rispy.loads(by_id.output)) == 1
    by_path = runner.invoke(main, ["cite", str(EDITION / "communique.xml"), "--format", "csl-json",
                                   "--param", f"base-url={BASE}"])
    assert by_path.exit_code == 0 and json.loads(by_path.output)[0]["URL"] == BASE + "communique.html"
    edition = runner.invoke(main, ["cite", "--format", "bibtex"])
    assert edition.exit_code == 0 and edition.output.startswith("@book{edition,")
    chicago = runner.invoke(main, ["cite", "reply-vyshinsky", "--format", "chicago"])
    assert chicago.exit_code == 0 and chicago.output.startswith("Vyshinsky, Andrei Y.")


def test_cli_cite_unknown_document_is_a_clean_error():
    result = CliRunner().invoke(main, ["cite", "no-such-doc"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_cli_transform_stdout_and_mirrored_tree(tmp_path):
    runner = CliRunner()
    one = runner.invoke(main, ["transform", "--to", "text", str(EDITION / "note-zhou.xml"), "--param", "width=50"])
    assert one.exit_code == 0 and "Dear Comrade Minister," in one.output
    assert max(len(l) for l in one.output.splitlines()) <= 50
    src = tmp_path / "in"
    (src / "letters").mkdir(parents=True)
    for name in ("letter-en", "reply-en", "persons", "edition"):
        (src / "letters" / f"{name}.xml").write_bytes((SAMPLES / f"{name}.xml").read_bytes())
    (src / "article.xml").write_bytes((SAMPLES / "article.xml").read_bytes())
    out = tmp_path / "out"
    result = runner.invoke(main, ["transform", "--to", "biblatex", str(src), "-o", str(out)])
    assert result.exit_code == 0, result.output
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*")
                     if p.is_file() and not p.name.startswith("."))  # the batch journal is hidden
    assert written == ["article.bib", "letters/edition.bib", "letters/letter-en.bib", "letters/reply-en.bib"]
    assert "persons.xml" in result.output and "skipped" in result.output  # the register, noted
    entry = bibtexparser.parse_string((out / "letters" / "letter-en.bib").read_text()).entries[0]
    assert entry.entry_type == "letter"


def test_cli_transform_rejects_unknown_format_and_bad_param():
    runner = CliRunner()
    assert runner.invoke(main, ["transform", "--to", "pdf", str(EDITION / "note-zhou.xml")]).exit_code == 2
    assert runner.invoke(main, ["transform", "--to", "text", "--param", "width",
                                str(EDITION / "note-zhou.xml")]).exit_code == 2


BIB_WITHOUT_LETTERS = """<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>Letters cited in the text only</title><id>test-letters-in-text</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <citation><layout prefix="(" suffix=")" delimiter="; ">
    <names variable="author"><name form="short"/></names><text value=", personal communication"/>
  </layout></citation>
  <bibliography><layout>
    <choose><if type="personal_communication" match="none">
      <names variable="author"><name name-as-sort-order="first"/></names><text variable="title" prefix=". "/>
    </if></choose>
  </layout></bibliography>
</style>
"""


def test_a_style_that_leaves_letters_out_of_the_bibliography_gives_the_citation(tmp_path):
    style = tmp_path / "letters-in-text.csl"
    style.write_text(BIB_WITHOUT_LETTERS, encoding="utf-8")
    letter = format_citation(json.loads(cite("note-zhou", "csl-json")), str(style))
    assert letter.strip() == "(Zhou, personal communication)"
    document = format_citation(json.loads(cite("announcement", "csl-json")), str(style))
    assert "Joint Announcement" in document


@pytest.mark.parametrize("style", ["chicago", "mla", "chicago-author-date"])
def test_remembered_macros_format_as_citeproc_does_alone(monkeypatch, style):
    import contextlib

    from citeproc.model import CitationStylesElement

    from tei_edition import citations

    items = [json.loads(transform(edition_dir() / f"{n}.xml", "csl-json"))[0] for n in DOCS]
    search = CitationStylesElement.get_macro
    ours = format_citation(items, style, output="html")
    assert CitationStylesElement.get_macro is search  # put back for other callers
    monkeypatch.setattr(citations, "_style_facts_remembered", contextlib.nullcontext)
    assert format_citation(items, style, output="html") == ours
    assert len(ours.splitlines()) == len(DOCS)
