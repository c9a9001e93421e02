"""The project file: found by walking up, every key checked with file:line:col,
and `tei-edition init` writing a starter that reads back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from tei_edition.cli import main
from tei_edition.config import FILENAME, Config, ConfigError, discover, find, load

HERE = Path(__file__).parent
SURIANO = HERE.parent.parent / "shared" / "corpora" / "suriano"
LETTERS = HERE / "data" / "editions" / "letters-ids"


def write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / FILENAME
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path):
    with pytest.raises(ConfigError) as caught:
        load(path)
    return caught.value.problem


def test_found_by_walking_up_from_the_first_path(tmp_path):
    project = write(tmp_path, "[validate]\nunique-ids = \"edition\"\n")
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    (deep / "x.xml").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'/>", encoding="utf-8")
    assert find([deep / "x.xml"]) == project
    assert find([deep]) == project
    assert discover([deep]).unique_ids == "edition"


def test_no_file_means_tei_defaults(tmp_path):
    config = discover([tmp_path])
    assert config == Config() and config.fallback == "tei_all" and config.unique_ids == "document"


def test_the_bundled_edition_has_its_own_file():
    config = discover(None)
    assert config.path.name == FILENAME and config.title
    assert {p.name for p in config.register_files()} == {
        "persons.xml", "places.xml", "organisations.xml", "treaties.xml"}


def test_an_unknown_key_is_located(tmp_path):
    path = write(tmp_path, "[edition]\ntitle = \"x\"\n\n[validate]\n  unique-id = \"edition\"\n")
    problem = error_of(path)
    assert (problem.line, problem.col) == (5, 3)
    assert "unknown key 'unique-id'" in problem.message and "unique-ids" in problem.message
    assert str(problem).startswith(f"{path}:5:3: error:")


def test_an_unknown_table_is_located(tmp_path):
    problem = error_of(write(tmp_path, "# comment\n[theme]\ncolour = 1\n"))
    assert (problem.line, problem.col) == (2, 1) and "[theme]" in problem.message


def test_the_site_keys_name_files_inside_the_edition(tmp_path):
    (tmp_path / "site" / "templates").mkdir(parents=True)
    (tmp_path / "site" / "custom.css").write_text("body {}", encoding="utf-8")
    config = load(write(tmp_path, '[site]\ncss = "site/custom.css"\ntemplates = "site/templates/"\n'))
    assert config.site_css == (tmp_path / "site" / "custom.css").resolve()
    assert config.site_templates == (tmp_path / "site" / "templates").resolve()
    problem = error_of(write(tmp_path, '[site]\n\n  theme = "dark"\n'))
    assert (problem.line, problem.col) == (3, 3) and "unknown key 'theme'" in problem.message
    assert "css" in problem.message and "templates" in problem.message




@pytest.mark.parametrize("text, line, words", [
    ("[validate]\nfallback = \"jing\"\n", 2, "must be one of"),
    ("[validate]\nfetch-schemas = \"yes\"\n", 2, "true or false"),
    ("[edition]\nbase-url = \"ftp://x\"\n", 2, "http://"),
    ("[validate]\nschemas = [\"missing.rng\"]\n", 2, "does not exist"),
    ("[validate]\nschemas = [\"notes.txt\"]\n", 2, ".xsd, .rng"),
    ("[registers]\nfiles = \"persons.xml\"\n", 2, "list of strings"),
    ("[validate]\nunique-ids = \n", 2, "not valid TOML"),
    ('[site]\ncss = "missing.css"\n', 2, "is not a file"),
    ('[site]\ncss = "site"\n', 2, "is not a file"),
    ('[site]\ntemplates = "site/custom.css"\n', 2, "is not a folder"),
    ('[site]\n# outside\ncss = "../secret.css"\n', 3, "outside the edition"),
    ('[site]\ncss = 3\n', 2, "must be a path"),
])
def test_bad_values_are_located(tmp_path, text, line, words):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "custom.css").write_text("body {}", encoding="utf-8")
    (tmp_path.parent / "secret.css").write_text("x", encoding="utf-8")  # a file outside the edition
    problem = error_of(write(tmp_path, text))
    assert problem.line == line and words in problem.message


def test_schemas_are_relative_to_the_file_and_take_phases(tmp_path):
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "rules.sch").write_text("<schema/>", encoding="utf-8")
    (tmp_path / "schema" / "grammar.rng").write_text("<grammar/>", encoding="utf-8")
    config = load(write(tmp_path, '[validate]\nschemas = ["schema/grammar.rng", '
                                  '{ path = "schema/rules.sch", phase = "strict" }]\n'))
    assert [(s.path, s.kind, s.phase) for s in config.schemas] == [
        (tmp_path / "schema" / "grammar.rng", "rng", None), (tmp_path / "schema" / "rules.sch", "sch", "strict")]
    problem = error_of(write(tmp_path, '[validate]\nschemas = [{ path = "schema/grammar.rng", phase = "x" }]\n'))
    assert "only a Schematron" in problem.message


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=40).filter(lambda t: t.strip() and "\x00" not in t))
def test_any_title_survives_the_starter_file(tmp_path_factory, title):
    from tei_edition.config import starter

    folder = tmp_path_factory.mktemp("starter")
    path = folder / FILENAME
    path.write_text(starter(folder, {"title": title}), encoding="utf-8")
    assert load(path).title == title


def test_a_bad_project_file_stops_validate_with_exit_2(tmp_path):
    shutil.copy(LETTERS / "letter-1.xml", tmp_path)
    write(tmp_path, "[validate]\nbogus = 1\n")
    result = CliRunner().invoke(main, ["validate", str(tmp_path)])
    assert result.exit_code == 2
    assert f"{FILENAME}:2:1: error: unknown key 'bogus'" in result.output


def test_init_writes_a_starter_that_validate_then_uses(tmp_path):
    for name in ("letter-1.xml", "letter-2.xml"):
        shutil.copy(LETTERS / name, tmp_path)
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    config = load(tmp_path / FILENAME)
    assert config.unique_ids == "document" and config.fallback == "tei_all"
    again = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert again.exit_code == 2 and "--force" in again.output  # never replaced silently


@pytest.mark.skipif(not SURIANO.is_dir(), reason="the shared corpus is not beside the repository")
def test_init_on_a_real_letter_edition_names_its_remote_schema():
    result = CliRunner().invoke(main, ["init", str(SURIANO / "02"), "--stdout"])
    assert result.exit_code == 0, result.output
    assert "https://xmlschema.huygens.knaw.nl/suriano.rng" in result.output
    assert "fetch-schemas = false" in result.output
    n = len(list((SURIANO / "02").glob("*.xml")))
    assert f"# {n} of {n} files are letters" in result.output
    assert not (SURIANO / "02" / FILENAME).exists()


def test_the_base_url_of_the_project_file_reaches_the_citations(tmp_path):
    import json

    shutil.copy(LETTERS / "letter-1.xml", tmp_path)
    write(tmp_path, '[edition]\nbase-url = "https://example.org/letters/"\n')
    result = CliRunner().invoke(main, ["transform", "--to", "csl-json", str(tmp_path / "letter-1.xml")])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.output)
    assert item["URL"].startswith("https://example.org/letters/")
    given = CliRunner().invoke(main, ["transform", "--to", "csl-json", str(tmp_path / "letter-1.xml"),
                                      "--param", "base-url=https://other.example/"])
    assert json.loads(given.output)[0]["URL"].startswith("https://other.example/")  # --param wins


def test_the_project_title_is_the_container_and_a_file_without_id_is_named_by_its_file(tmp_path):
    import json

    shutil.copy(LETTERS / "letter-1.xml", tmp_path / "brief-0042.xml")  # no xml:id, no series title
    write(tmp_path, '[edition]\ntitle = "Briefe an Anna"\n')
    result = CliRunner().invoke(main, ["transform", "--to", "csl-json", str(tmp_path / "brief-0042.xml")])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.output)
    assert item["id"] == "brief-0042"
    assert item["container-title"] == "Briefe an Anna"
