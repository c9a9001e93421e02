"""validate_incremental gives validate_bounded's Report, and validates again only what changed."""

from __future__ import annotations

import importlib.util
import json
import random
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tei_edition.validation import incremental
from tei_edition.validation.bounded import validate_bounded
from tei_edition.validation.incremental import INDEX, validate_incremental

REPO = Path(__file__).resolve().parents[1]
SURIANO = Path("/work/shared/corpora/suriano")


def _bench():
    spec = importlib.util.spec_from_file_location("bench_schemas", REPO / "bench" / "bench_schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def make(root: Path, letters: int = 6, persons: int = 12, validate: str = 'fallback = "none"') -> Path:
    """The benchmark's edition in small: letters declaring an XSD and an xslt2 Schematron,
    psn: pointers that a prefixDef expands into registers/persons.xml, a project file."""
    _bench().make_edition(root, letters, persons=persons)
    if validate:
        with open(root / "tei-edition.toml", "a", encoding="utf-8") as fh:
            fh.write(f"\n[validate]\n{validate}\n")
    return root


@pytest.fixture
def counted(monkeypatch):
    """The files each run hands to the validator."""
    seen: list[str] = []
    original = incremental._FactsTask.run_chunk

    def run_chunk(self, items):
        seen.extend(Path(p).name for p, _ in items)
        return original(self, items)

    monkeypatch.setattr(incremental._FactsTask, "run_chunk", run_chunk)
    return seen


def same(root: Path, cache: Path, **options):
    """Both reports, compared as text and files; the incremental one is returned."""
    fresh = validate_bounded([root], **options)
    got = validate_incremental([root], cache, jobs=0, **options)
    assert [str(p) for p in got.problems] == [str(p) for p in fresh.problems]
    assert got.files == fresh.files
    return got


def pointed_ids(letter: Path) -> list[str]:
    return re.findall(r'ref="psn:(p\d+)"', letter.read_text(encoding="utf-8"))


def test_cold_then_nothing_changed_validates_nothing(tmp_path, counted):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    first = same(root, cache)
    assert len(counted) == len(first.files) == 7
    assert (cache / INDEX).is_file()
    counted.clear()
    same(root, cache)
    assert counted == []


def test_a_letter_made_invalid_and_back(tmp_path, counted):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    same(root, cache)
    letter = root / "letters" / "letter-00002.xml"
    good = letter.read_text(encoding="utf-8")
    letter.write_text(good.replace("<body>", "<body><bogus/>", 1).replace('type="sent"', 'type="x"'),
                      encoding="utf-8")
    counted.clear()
    bad = same(root, cache)
    assert counted == ["letter-00002.xml"]
    assert {Path(p.file).name for p in bad.problems} == {"letter-00002.xml"} and bad.errors >= 2
    letter.write_text(good, encoding="utf-8")
    counted.clear()
    assert same(root, cache).problems == ()
    assert counted == ["letter-00002.xml"]


def test_a_register_losing_entries_breaks_the_pointers_into_it(tmp_path, counted):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    same(root, cache)
    register = root / "registers" / "persons.xml"
    gone = pointed_ids(root / "letters" / "letter-00000.xml")[0]
    text = register.read_text(encoding="utf-8")
    register.write_text(re.sub(rf'<person xml:id="{gone}">.*?</person>', "", text), encoding="utf-8")
    counted.clear()
    report = same(root, cache)
    broken = [p for p in report.problems if p.rule == "pointer-resolves"]
    assert broken and all(gone in p.message for p in broken)
    # the letters pointing to the entry are validated again, the others are not
    pointing = {f.name for f in (root / "letters").glob("*.xml") if gone in pointed_ids(f)}
    assert set(counted) == pointing | {"persons.xml"}
    register.write_text(text, encoding="utf-8")
    assert same(root, cache).problems == ()


def test_a_register_entry_renamed_leaves_letters_that_do_not_use_it(tmp_path, counted):
    root, cache = make(tmp_path / "ed", persons=40), tmp_path / "cache"
    same(root, cache)
    used = {i for f in (root / "letters").glob("*.xml") for i in pointed_ids(f)}
    unused = next(f"p{n:04d}" for n in range(40) if f"p{n:04d}" not in used)
    register = root / "registers" / "persons.xml"
    register.write_text(register.read_text(encoding="utf-8").replace(f'"{unused}"', '"renamed"'), encoding="utf-8")
    counted.clear()
    same(root, cache)
    assert counted == ["persons.xml"]


def test_a_pointed_to_file_removed(tmp_path):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    same(root, cache)
    (root / "registers" / "persons.xml").unlink()
    report = same(root, cache)
    assert any("does not exist" in p.message for p in report.problems)
    kept = json.loads((cache / INDEX).read_text())["files"]
    assert not any(name.endswith("persons.xml") for name in kept)  # its entry is dropped


def test_a_schema_file_changed(tmp_path, counted):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    same(root, cache)
    sch = root / "schema" / "letters.sch"
    sch.write_text(sch.read_text(encoding="utf-8").replace(
        "matches(@when, $iso-date)", "matches(@when, '^1700')"), encoding="utf-8")
    counted.clear()
    report = same(root, cache)
    assert report.errors >= 6 and {p.rule for p in report.problems} == {"sent-date"}
    assert len(counted) == 6  # the letters that declare it


def test_the_project_file_changed(tmp_path):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    same(root, cache)
    project = root / "tei-edition.toml"
    project.write_text(project.read_text(encoding="utf-8") + 'unique-ids = "edition"\n', encoding="utf-8")
    across = same(root, cache)
    assert any("across the edition" in p.message for p in across.problems)
    project.write_text(project.read_text(encoding="utf-8").replace('unique-ids = "edition"\n', ""),
                       encoding="utf-8")
    assert same(root, cache).problems == ()


def test_a_duplicate_id_across_two_files(tmp_path, counted):
    root, cache = make(tmp_path / "ed", validate='fallback = "none"\nunique-ids = "edition"'), tmp_path / "cache"
    before = same(root, cache)
    letter = root / "letters" / "letter-00004.xml"
    text = letter.read_text(encoding="utf-8")
    letter.write_text(text.replace("<body>", '<body><p xml:id="tn1">again</p>', 1), encoding="utf-8")
    counted.clear()
    after = same(root, cache)
    assert counted == ["letter-00004.xml"]
    assert len(after.problems) > len(before.problems)
    letter.write_text(text, encoding="utf-8")
    assert [str(p) for p in same(root, cache).problems] == [str(p) for p in before.problems]


@pytest.mark.parametrize("damage", ["garbage", "entry", "empty"])
def test_a_corrupt_cache_only_costs_time(tmp_path, damage):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    letter = root / "letters" / "letter-00001.xml"
    letter.write_text(letter.read_text(encoding="utf-8").replace('type="sent"', 'type="x"'), encoding="utf-8")
    same(root, cache)
    index = cache / INDEX
    if damage == "garbage":
        index.write_bytes(b"\x00{not json")
    elif damage == "empty":
        index.write_bytes(b"")
    else:
        data = json.loads(index.read_text())
        entry = data["files"][str(letter)]
        entry["problems"] = [["only", "three", "fields"]]
        entry["targets"] = "nonsense"
        index.write_text(json.dumps(data))
    same(root, cache)
    same(root, cache)


def test_files_added_and_removed(tmp_path):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    same(root, cache)
    shutil.copy(root / "letters" / "letter-00000.xml", root / "letters" / "letter-00099.xml")
    (root / "letters" / "letter-00003.xml").unlink()
    same(root, cache)
    kept = json.loads((cache / INDEX).read_text())["files"]
    assert sorted(Path(f).name for f in kept) == sorted(f.name for f in root.rglob("*.xml"))


@pytest.mark.skipif(not SURIANO.is_dir(), reason="the Suriano letters are not on this machine")
def test_twenty_suriano_letters(tmp_path, counted):
    folder = tmp_path / "suriano"
    folder.mkdir()
    for source in sorted(SURIANO.rglob("*.xml"))[:20]:
        shutil.copy(source, folder / source.name)
    cache = tmp_path / "cache"
    cold = same(folder, cache)
    assert cold.errors >= 20  # tei_all's one error a letter, at least
    counted.clear()
    same(folder, cache)
    assert counted == []
    first = sorted(folder.glob("*.xml"))[0]
    first.write_text(first.read_text(encoding="utf-8").replace("</body>", "<bogus/></body>", 1), encoding="utf-8")
    counted.clear()
    same(folder, cache)
    assert counted == [first.name]


# --- random edit sequences ------------------------------------------------------

EDITS = st.sampled_from(["break-letter", "mend-letter", "drop-entry", "restore-register", "duplicate-id",
                         "remove-letter", "break-schema", "mend-schema", "bare-pointer"])


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(EDITS, st.integers(0, 3)), min_size=1, max_size=4),
       across=st.booleans())
def test_any_edit_sequence_gives_a_fresh_report(tmp_path_factory, edits, across):
    root = make(tmp_path_factory.mktemp("ed") / "ed", letters=4, persons=8,
                validate='fallback = "none"' + ('\nunique-ids = "edition"' if across else ""))
    cache = root.parent / "cache"
    letters = sorted((root / "letters").glob("*.xml"))
    originals = {f: f.read_text(encoding="utf-8") for f in [*letters, root / "registers" / "persons.xml",
                                                             root / "schema" / "letters.sch"]}
    same(root, cache)
    rng = random.Random(len(edits))
    for edit, n in edits:
        letter = letters[n]
        if edit == "break-letter" and letter.exists():
            letter.write_text(letter.read_text(encoding="utf-8").replace("<body>", "<body><x/>", 1), encoding="utf-8")
        elif edit == "mend-letter":
            letter.write_text(originals[letter], encoding="utf-8")
        elif edit == "drop-entry":
            register = root / "registers" / "persons.xml"
            register.write_text(re.sub(rf'<person xml:id="p{rng.randrange(8):04d}">.*?</person>', "",
                                       register.read_text(encoding="utf-8")), encoding="utf-8")
        elif edit == "restore-register":
            (root / "registers" / "persons.xml").write_text(originals[root / "registers" / "persons.xml"],
                                                            encoding="utf-8")
        elif edit == "duplicate-id" and letter.exists():
            letter.write_text(letter.read_text(encoding="utf-8").replace(
                "<body>", '<body><p xml:id="p0001">x</p>', 1), encoding="utf-8")
        elif edit == "remove-letter" and letter.exists():
            letter.unlink()
        elif edit == "break-schema":
            (root / "schema" / "letters.sch").write_text(originals[root / "schema" / "letters.sch"].replace(
                "matches(@when, $iso-date)", "false()"), encoding="utf-8")
        elif edit == "mend-schema":
            (root / "schema" / "letters.sch").write_text(originals[root / "schema" / "letters.sch"], encoding="utf-8")
        elif edit == "bare-pointer" and letter.exists():
            letter.write_text(letter.read_text(encoding="utf-8").replace(
                "<body>", '<body><p><ref target="nowhere">x</ref></p>', 1), encoding="utf-8")
        same(root, cache)


EDITION_FILE = """<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>E</title></titleStmt>
<publicationStmt><p>x</p></publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc>
<encodingDesc><listPrefixDef><prefixDef ident="per" matchPattern="(.+)" replacementPattern="{target}#$1"/>
</listPrefixDef></encodingDesc></teiHeader><text type="edition"><body><p>About</p></body></text></TEI>"""


def test_the_edition_files_prefixdefs_reach_every_letter(tmp_path, counted):
    """Letters whose per: pointers only the edition file's prefixDef expands, validated in a run
    that does not hold the edition file; then the prefixDef changes under them."""
    root = make(tmp_path / "ed")
    for letter in (root / "letters").glob("*.xml"):
        letter.write_text(letter.read_text(encoding="utf-8").replace('ref="psn:', 'ref="per:'), encoding="utf-8")
    edition = root / "edition.xml"
    edition.write_text(EDITION_FILE.format(target="../registers/persons.xml"), encoding="utf-8")
    cache = tmp_path / "cache"
    assert not [p for p in same(root, cache).problems if p.rule.startswith("pointer")]
    letter = root / "letters" / "letter-00003.xml"
    letter.write_text(letter.read_text(encoding="utf-8").replace("<body>", "<body><p>more</p>", 1), encoding="utf-8")
    counted.clear()
    same(root, cache)
    assert counted == ["letter-00003.xml"]
    edition.write_text(EDITION_FILE.format(target="../registers/nobody.xml"), encoding="utf-8")
    broken = same(root, cache)
    assert any("nobody.xml" in p.message for p in broken.problems)


def test_a_schema_that_does_not_compile_and_then_does(tmp_path, counted):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    xsd = root / "schema" / "letters.xsd"
    good = xsd.read_text(encoding="utf-8")
    xsd.write_text(good.replace("<xs:element", "<xs:elephant", 1), encoding="utf-8")
    broken = same(root, cache)
    assert any("not checked against it" in p.message for p in broken.problems)
    same(root, cache)  # named once, with every file it could not check, run after run
    xsd.write_text(good, encoding="utf-8")
    counted.clear()
    assert same(root, cache).problems == ()
    counted.clear()
    same(root, cache)
    assert counted == []


def test_explicit_schemas_and_a_missing_one(tmp_path, counted):
    root, cache = make(tmp_path / "ed"), tmp_path / "cache"
    schema = root / "schema" / "letters.xsd"
    with_xsd = same(root, cache, schemas=[schema])
    assert {Path(p.file).name for p in with_xsd.problems} == {"persons.xml"}  # the register is no letter
    counted.clear()
    same(root, cache, schemas=[schema])
    assert counted == []
    assert same(root, cache, schemas=[root / "schema" / "missing.xsd"]).files == ()
