"""TEI's own rules for ids and pointers, as the default for any edition: an xml:id is
unique within its document, #id / file.xml#id / prefix:value (prefixDef) pointers
resolve, a bare word is a warning; cross-file uniqueness is a project-file choice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

import tei_edition
from tei_edition.config import Config
from tei_edition.edition import Edition, is_bare_word
from tei_edition.loader import load

EDITIONS = Path(__file__).parent / "data" / "editions"
LETTERS = EDITIONS / "letters-ids"
PREFIXED = EDITIONS / "prefixdef"
NO_SCHEMA = Config(fallback="none")  # TEI's id and pointer rules alone


def position(path: Path, marker: str, occurrence: int = 1) -> tuple[int, int]:
    text = path.read_text(encoding="utf-8")
    offset = -1
    for _ in range(occurrence):
        offset = text.index(marker, offset + 1)
    return text.count("\n", 0, offset) + 1, offset - (text.rfind("\n", 0, offset) + 1) + 1


def by_rule(report, rule):
    return [p for p in report.problems if p.rule == rule]


def test_ids_repeated_across_letters_are_not_an_error_by_default():
    report = tei_edition.validate([LETTERS], config=NO_SCHEMA)
    dupes = by_rule(report, "id-unique")
    # only the id used twice inside letter-2 itself
    assert [(Path(p.file).name, p.line, p.col) for p in dupes] == [
        ("letter-2.xml", *position(LETTERS / "letter-2.xml", 'xml:id="tn2"', 2))]
    assert "within its document" in dupes[0].message


def test_cross_file_uniqueness_is_a_rule_an_edition_turns_on():
    report = tei_edition.validate([LETTERS], config=Config(fallback="none", unique_ids="edition"))
    values = sorted(p.message.split('"')[1] for p in by_rule(report, "id-unique"))
    # tn1, tn2 (twice: across files and within letter-2) and p1 repeat
    assert values == ["p1", "tn1", "tn2", "tn2"]


def test_dangling_pointers_are_errors_at_their_attribute():
    report = tei_edition.validate([LETTERS], config=NO_SCHEMA)
    dangling = {(Path(p.file).name, p.line, p.col) for p in by_rule(report, "pointer-resolves")}
    letter2 = LETTERS / "letter-2.xml"
    assert dangling == {
        ("letter-2.xml", *position(letter2, 'target="#tn3"')),
        ("letter-2.xml", *position(letter2, 'target="letter-1.xml#nowhere"')),
    }
    assert all(p.severity == "error" for p in by_rule(report, "pointer-resolves"))


def test_bare_words_are_warnings_that_say_what_tei_expects():
    report = tei_edition.validate([LETTERS], config=NO_SCHEMA)
    bare = by_rule(report, "pointer-bare")
    assert {(Path(p.file).name, p.line, p.col) for p in bare} == {
        ("letter-1.xml", *position(LETTERS / "letter-1.xml", 'corresp="brief"')),
        ("letter-2.xml", *position(LETTERS / "letter-2.xml", 'source="459r-465v"')),
    }
    assert all(p.severity == "warning" for p in bare)
    assert '"#brief"' in next(p.message for p in bare if "brief" in p.message)


@pytest.mark.parametrize("setting, expected", [("error", {"error"}), ("off", set())])
def test_bare_words_follow_the_project_file(setting, expected):
    report = tei_edition.validate([LETTERS], config=Config(fallback="none", bare_pointers=setting))
    assert {p.severity for p in by_rule(report, "pointer-bare")} == expected


def test_a_bare_word_that_names_a_file_resolves(tmp_path):
    shutil.copy(LETTERS / "letter-1.xml", tmp_path / "letter-1.xml")
    (tmp_path / "brief").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'/>", encoding="utf-8")
    report = tei_edition.validate([tmp_path / "letter-1.xml"], config=NO_SCHEMA)
    assert by_rule(report, "pointer-bare") == []


def test_prefixdef_pointers_expand_and_resolve():
    report = tei_edition.validate([PREFIXED], config=NO_SCHEMA)
    problems = [(p.rule, p.line, p.col) for p in report.problems if Path(p.file).name == "letter.xml"]
    letter = PREFIXED / "letter.xml"
    # psn:schnitzler, psn:bahr and self:p-1 resolve; the web link and the undeclared prefix are external
    assert problems == [("pointer-resolves", *position(letter, 'ref="psn:nobody"'))]
    message = by_rule(report, "pointer-resolves")[0].message
    assert "persons.xml#nobody" in message


def test_prefix_expansion_follows_xpath_replace():
    doc = load(PREFIXED / "letter.xml")
    edition = Edition()
    edition.add(doc.path, doc)
    assert edition.expand("psn:bahr", doc) == "persons.xml#bahr"
    assert edition.expand("self:p-1", doc) == "#p-1"
    assert edition.expand("psn:NOPE", doc) == ""  # declared, no pattern matches
    assert edition.expand("other:x", doc) is None
    assert edition.resolve("psn:bahr", doc).get("{http://www.w3.org/XML/1998/namespace}id") == "bahr"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=12))
def test_a_bare_word_is_one_with_no_uri_syntax(word):
    assert is_bare_word(word) and is_bare_word(f"{word}.")  # "c." (carta) is an abbreviation
    for pointer in (f"#{word}", f"{word}.xml", f"{word}.xml#{word}", f"x:{word}", f"a/{word}", f"{word}.tei"):
        assert not is_bare_word(pointer)


def test_the_bundled_edition_keeps_its_own_stricter_rules():
    """Its project file turns on cross-file uniqueness and makes bare words errors."""
    from tei_edition.config import discover

    config = discover(None)
    assert config.unique_ids == "edition" and config.bare_pointers == "error"
    assert [s.path.name for s in config.schemas] == ["tei-edition.xsd", "tei-edition.sch"]
    assert tei_edition.validate().ok


def test_pointers_reach_the_whole_edition_below_its_project_file(tmp_path):
    (tmp_path / "registers").mkdir()
    (tmp_path / "letters").mkdir()
    shutil.copy(PREFIXED / "persons.xml", tmp_path / "registers" / "persons.xml")
    text = (PREFIXED / "letter.xml").read_text(encoding="utf-8")
    text = text.replace('replacementPattern="persons.xml#$1"', 'replacementPattern="../registers/persons.xml#$1"')
    text = text.replace('<persName ref="psn:nobody">someone</persName>', "someone")
    (tmp_path / "letters" / "letter.xml").write_text(text, encoding="utf-8")
    outside = tei_edition.validate([tmp_path / "letters"], config=NO_SCHEMA)
    assert {p.rule for p in outside.problems} == {"pointer-outside"}  # no project file: the folder given
    (tmp_path / "tei-edition.toml").write_text('[validate]\nfallback = "none"\n', encoding="utf-8")
    assert tei_edition.validate([tmp_path / "letters"]).problems == ()


def test_a_repeated_id_is_one_problem_even_when_tei_all_sees_it_too():
    report = tei_edition.validate([LETTERS / "letter-2.xml"], config=Config())  # tei_all through jing or lxml
    at_second = position(LETTERS / "letter-2.xml", 'xml:id="tn2"', 2)
    assert [p.rule for p in report.problems if p.line in (at_second[0], at_second[0] - 1)] == ["id-unique"]
