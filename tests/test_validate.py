"""tei-edition validate: every class of problem at its file:line:col with its rule id,
the JSON report, the exit codes, other schemas, and the installed console script.

Expected positions are computed from the fixture text (the first character of a
marker), never copied from the validator's output.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import tei_edition
from tei_edition.cli import main
from tei_edition.config import FILENAME, load as load_config
from tei_edition.resources import edition_dir, schema_dir

HERE = Path(__file__).parent
INVALID = HERE / "data" / "invalid"
REPO = HERE.parent
TEI_ALL = REPO.parent / "shared" / "schemas" / "tei_all.rng"
EDITION_FILES = ("edition.xml", "communique.xml", "announcement.xml", "note-zhou.xml",
                 "reply-vyshinsky.xml", "persons.xml", "places.xml", "organisations.xml", "treaties.xml")


def position(path: Path, marker: str, occurrence: int = 1, *, encoding: str = "utf-8") -> tuple[int, int]:
    """1-based line and column of the first character of the n-th ``marker`` in the file."""
    text = path.read_bytes().decode(encoding, errors="replace")
    offset = -1
    for _ in range(occurrence):
        offset = text.index(marker, offset + 1)
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def problems_of(report, name: str, rule: str | None = None):
    return [p for p in report.problems
            if Path(p.file).name == name and (rule is None or p.rule == rule)]


def the_problem(paths, name, rule):
    report = tei_edition.validate([INVALID / p for p in paths])
    found = problems_of(report, name, rule)
    assert len(found) == 1, [str(p) for p in report.problems]
    return found[0], report


# --- each class of problem -------------------------------------------------------

def test_malformed_xml_is_reported_at_the_mismatched_end_tag():
    problem, report = the_problem(["malformed.xml"], "malformed.xml", "well-formed")
    line, col = position(INVALID / "malformed.xml", "closed.</p>")
    col += len("closed.")
    assert problem.line == line
    assert col <= problem.col <= col + len("</p>")
    assert problem.severity == "error"
    assert "hi" in problem.message
    assert len(report.problems) == 1  # nothing else is checked in a file that cannot be parsed


def test_a_false_encoding_declaration_points_at_the_first_bad_byte():
    problem, _ = the_problem(["wrong-encoding.xml"], "wrong-encoding.xml", "encoding")
    line, col = position(INVALID / "wrong-encoding.xml", "Caf", encoding="latin-1")
    assert problem.line == line
    assert problem.col == col + len("Caf")


def test_unknown_element_is_named_with_its_place_its_path_and_what_is_allowed():
    problem, _ = the_problem(["unknown-element.xml"], "unknown-element.xml", "xsd-unknown-element")
    assert (problem.line, problem.col) == position(INVALID / "unknown-element.xml", "<foo>")
    assert "<foo>" in problem.message
    assert problem.xpath == "/TEI/text/body/p/foo"
    # the list of allowed children is read from the schema
    allowed = problem.message.split("allowed in <p>:", 1)[1]
    assert "hi" in allowed and "date" in allowed


def test_a_name_in_the_text_without_ref_is_an_error():
    problem, _ = the_problem(["missing-ref.xml"], "missing-ref.xml", "xsd-missing-attribute")
    assert (problem.line, problem.col) == position(INVALID / "missing-ref.xml", "<persName>")
    assert "@ref" in problem.message
    assert problem.xpath == "/TEI/text/body/p/persName"


def test_dangling_pointers_within_the_file_and_across_files():
    report = tei_edition.validate([INVALID / "dangling-ref.xml"])
    found = {(p.line, p.col): p for p in problems_of(report, "dangling-ref.xml", "pointer-resolves")}
    path = INVALID / "dangling-ref.xml"
    same_file = position(path, 'target="#nowhere"')
    other_file = position(path, 'ref="ok-register.xml#nobody"')
    missing_file = position(path, 'ref="no-such-file.xml#someone"')
    assert set(found) == {same_file, other_file, missing_file}
    assert "nowhere" in found[same_file].message
    assert "ok-register.xml" in found[other_file].message and "nobody" in found[other_file].message
    assert "does not exist" in found[missing_file].message
    assert len(report.problems) == 3  # the in-file pointer is reported once, not by two steps


def test_a_pointer_into_a_file_not_given_is_still_followed():
    # ok-document.xml points into ok-register.xml, which is not among the paths
    report = tei_edition.validate([INVALID / "ok-document.xml"])
    assert report.ok and not report.problems, [str(p) for p in report.problems]


def test_duplicate_id_across_files():
    problem, report = the_problem(["duplicate-id-a.xml", "duplicate-id-b.xml"], "duplicate-id-b.xml", "id-unique")
    assert (problem.line, problem.col) == position(INVALID / "duplicate-id-b.xml", 'xml:id="shared-id"')
    assert "duplicate-id-a.xml" in problem.message and "shared-id" in problem.message
    assert not problems_of(report, "duplicate-id-a.xml")  # the first use is not an error
    # each file alone is fine
    assert tei_edition.validate([INVALID / "duplicate-id-a.xml"]).ok


def test_impossible_date_is_reported_once_at_the_attribute():
    report = tei_edition.validate([INVALID / "impossible-date.xml"])
    expected = position(INVALID / "impossible-date.xml", 'when="1952-02-30"')
    assert [(p.line, p.col, p.rule) for p in report.problems] == [(*expected, "date-real")]
    assert "1952-02-30" in report.problems[0].message


def test_a_range_running_backwards():
    problem, _ = the_problem(["from-after-to.xml"], "from-after-to.xml", "date-range-order")
    assert (problem.line, problem.col) == position(INVALID / "from-after-to.xml", 'from="1952-09-16"')


def test_documents_need_a_dated_dateline_and_letters_a_correspdesc():
    no_dateline, _ = the_problem(["no-dateline.xml"], "no-dateline.xml", "document-dateline")
    assert (no_dateline.line, no_dateline.col) == position(INVALID / "no-dateline.xml", "<TEI")
    letter, _ = the_problem(["letter-without-correspdesc.xml"], "letter-without-correspdesc.xml",
                            "letter-correspdesc")
    assert (letter.line, letter.col) == position(INVALID / "letter-without-correspdesc.xml", "<TEI")


def test_a_remote_schema_is_a_warning_and_never_fetched():
    # judged by TEI's defaults (no project file): the file's own declarations count
    report = tei_edition.validate([INVALID / "remote-model.xml"], config=None)
    (warning,) = report.problems
    assert warning.severity == "warning" and warning.rule == "xml-model-remote"
    assert "is remote and is not fetched" in warning.message and "tei_all" in warning.message
    assert (warning.line, warning.col) == position(INVALID / "remote-model.xml", "<?xml-model")
    assert report.ok  # a warning does not make the file invalid; tei_all found nothing either


def test_one_broken_file_does_not_stop_the_others():
    report = tei_edition.validate([INVALID])
    names = {Path(p.file).name for p in report.problems}
    assert {"malformed.xml", "wrong-encoding.xml", "unknown-element.xml", "missing-ref.xml",
            "dangling-ref.xml", "duplicate-id-b.xml", "impossible-date.xml", "from-after-to.xml"} <= names
    assert len(report.files) == len(list(INVALID.glob("*.xml")))
    keys = [p.sort_key() for p in report.problems]
    assert keys == sorted(keys)


# --- the bundled edition --------------------------------------------------------

def _edition_complete() -> bool:
    return all((edition_dir() / name).is_file() for name in EDITION_FILES)


@pytest.mark.skipif(not _edition_complete(), reason="the edition in tei/ is not complete yet")
def test_the_bundled_edition_is_valid():
    report = tei_edition.validate()
    assert report.problems == (), "\n".join(map(str, report.problems))
    assert len(report.files) == len(EDITION_FILES)


def test_the_project_schema_rejects_what_it_should_when_applied_to_edition_text(tmp_path):
    # a name without @ref inside the edition's own text is an error there too
    source = (edition_dir() / "note-zhou.xml").read_text(encoding="utf-8")
    assert 'ref="persons.xml#zhou-enlai"' in source
    broken = source.replace('<salute>', '<salute><persName>Zhou Enlai</persName> ', 1)
    assert broken != source
    for name in os.listdir(edition_dir()):
        shutil.copy(edition_dir() / name, tmp_path / name)
    (tmp_path / "note-zhou.xml").write_text(broken, encoding="utf-8")
    report = tei_edition.validate([tmp_path / "note-zhou.xml"], xml_model=False,
                                  config=load_config(edition_dir() / FILENAME))
    assert [p.rule for p in report.problems] == ["xsd-missing-attribute"]


# --- the command line -----------------------------------------------------------

def run_cli(*args):
    return CliRunner().invoke(main, ["validate", *map(str, args)], catch_exceptions=False)


def test_cli_text_output_lines_and_summary():
    result = run_cli(INVALID / "unknown-element.xml", INVALID / "impossible-date.xml")
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    line, col = position(INVALID / "impossible-date.xml", 'when="1952-02-30"')
    assert any(l.endswith("[date-real]") and f"impossible-date.xml:{line}:{col}: error: " in l for l in lines)
    assert lines[-1].startswith("2 file(s) checked, 2 with errors")


def test_cli_paths_are_relative_to_the_working_directory(monkeypatch):
    monkeypatch.chdir(INVALID)
    result = run_cli("missing-ref.xml")
    assert result.output.startswith("missing-ref.xml:")


def test_cli_json_report():
    # TEI's defaults (no project file), so that the remote declaration is read
    result = run_cli("--no-config", "--format", "json", INVALID / "dangling-ref.xml", INVALID / "remote-model.xml")
    assert result.exit_code == 1
    data = json.loads(result.output)
    assert data["counts"]["errors"] == 3 and data["counts"]["warnings"] == 1
    assert data["counts"]["files"] == 2 and data["counts"]["files_with_errors"] == 1
    assert data["valid"] is False
    first = data["problems"][0]
    assert set(first) >= {"file", "line", "col", "severity", "rule", "message"}
    assert {p["rule"] for p in data["problems"]} == {"pointer-resolves", "xml-model-remote"}


def test_cli_exit_codes(tmp_path):
    assert run_cli(INVALID / "ok-document.xml", INVALID / "ok-register.xml").exit_code == 0
    assert run_cli(INVALID / "remote-model.xml").exit_code == 0  # warnings only
    assert run_cli(INVALID / "malformed.xml").exit_code == 1
    assert run_cli(tmp_path / "does-not-exist.xml").exit_code == 2
    assert run_cli("--format", "yaml").exit_code == 2
    assert run_cli("--schema", tmp_path / "missing.xsd").exit_code == 2


def test_cli_help_teaches_by_example():
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "Examples:" in result.output and "--schema" in result.output and "xml-model" in result.output


def test_explicit_schema_replaces_the_project_schema(tmp_path):
    # an XSD that allows anything: with it, the unknown element is no longer an error,
    # but the cross-file checks still run
    lax = tmp_path / "lax.xsd"
    lax.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" '
                   'targetNamespace="http://www.tei-c.org/ns/1.0" elementFormDefault="qualified">'
                   '<xs:element name="TEI"><xs:complexType><xs:sequence>'
                   '<xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/>'
                   '</xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>'
                   '</xs:schema>', encoding="utf-8")
    assert tei_edition.validate([INVALID / "unknown-element.xml"], [lax]).ok
    report = tei_edition.validate([INVALID / "dangling-ref.xml"], [lax])
    assert {p.rule for p in report.problems} == {"pointer-resolves"}


def test_schematron_given_explicitly(tmp_path):
    report = tei_edition.validate([INVALID / "from-after-to.xml"], [schema_dir() / "tei-edition.sch"])
    assert [p.rule for p in report.problems] == ["date-range-order"]


# --- other schemas: tei_all ------------------------------------------------------

needs_tei_all = pytest.mark.skipif(not TEI_ALL.is_file(), reason=f"{TEI_ALL} is not there")


@needs_tei_all
@pytest.mark.skipif(not _edition_complete(), reason="the edition in tei/ is not complete yet")
def test_the_edition_is_valid_against_tei_all_too():
    result = run_cli("--schema", TEI_ALL, edition_dir())
    assert result.exit_code == 0, result.output


def test_the_kitchen_sink_is_valid_against_the_project_schema():
    # one file using most of what the XSD allows, in the places it allows it
    report = tei_edition.validate([INVALID / "ok-kitchen-sink.xml"])
    assert report.problems == (), "\n".join(map(str, report.problems))


@needs_tei_all
def test_the_project_schema_is_a_subset_of_tei_all():
    # what the project schema accepts, tei_all accepts too
    valid = [INVALID / n for n in ("ok-kitchen-sink.xml", "ok-document.xml", "ok-register.xml")]
    assert tei_edition.validate(valid).ok
    result = run_cli("--schema", TEI_ALL, *valid)
    assert result.exit_code == 0, result.output


@needs_tei_all
def test_tei_all_reports_an_unknown_element_on_its_line():
    result = run_cli("--schema", TEI_ALL, INVALID / "unknown-element.xml", INVALID / "ok-document.xml",
                     INVALID / "ok-register.xml")
    assert result.exit_code == 1
    line, _ = position(INVALID / "unknown-element.xml", "<foo>")
    rng = [l for l in result.output.splitlines() if l.endswith("[rng]")]
    assert rng and all(f"unknown-element.xml:{line}:" in l for l in rng), result.output


@needs_tei_all
@pytest.mark.slow
def test_tei_all_with_the_lxml_engine_shows_progress():
    messages = []
    report = tei_edition.validate([INVALID / "ok-document.xml", INVALID / "unknown-element.xml"], [TEI_ALL],
                                  engine="lxml", progress=messages.append)
    assert any("compiling tei_all.rng" in m for m in messages)
    assert {Path(p.file).name for p in report.problems} == {"unknown-element.xml"}
    line, _ = position(INVALID / "unknown-element.xml", "<foo>")
    assert all(p.line == line for p in report.problems)


@pytest.mark.skipif(shutil.which("xmllint") is None, reason="xmllint is not installed")
def test_the_xsd_is_plain_xsd_1_0_for_xmllint():
    files = [str(INVALID / "ok-document.xml"), str(INVALID / "ok-register.xml")]
    run = subprocess.run(["xmllint", "--noout", "--schema", str(schema_dir() / "tei-edition.xsd"), *files],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


# --- the installed console script -----------------------------------------------

def console_script() -> Path:
    return Path(sys.executable).parent / "tei-edition"


@pytest.mark.skipif(not console_script().exists(), reason="the package is not installed in this environment")
def test_the_console_script(tmp_path):
    script = str(console_script())
    bad = subprocess.run([script, "validate", str(INVALID / "missing-ref.xml")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert bad.returncode == 1
    line, col = position(INVALID / "missing-ref.xml", "<persName>")
    assert f"missing-ref.xml:{line}:{col}: error:" in bad.stdout
    assert "Traceback" not in bad.stderr
    usage = subprocess.run([script, "validate", "--bogus"], capture_output=True, text=True, cwd=tmp_path)
    assert usage.returncode == 2
    if _edition_complete():
        ok = subprocess.run([script, "validate"], capture_output=True, text=True, cwd=tmp_path)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "0 error(s)" in ok.stdout


# --- the Schematron on its own, as oXygen runs it ---------------------------------

@pytest.mark.parametrize("name, marker, rule", [
    ("impossible-date.xml", 'when="1952-02-30"', "date-real"),
    ("from-after-to.xml", 'from="1952-09-16"', "date-range-order"),
    ("dangling-ref.xml", 'target="#nowhere"', "pointer-resolves"),
    ("no-dateline.xml", "<TEI", "document-dateline"),
    ("letter-without-correspdesc.xml", "<TEI", "letter-correspdesc"),
])
def test_each_schematron_rule_alone(name, marker, rule):
    from tei_edition.validation import schematron

    doc = tei_edition.load(INVALID / name)
    found = schematron.check(doc, schema_dir() / "tei-edition.sch")
    assert [(p.line, p.col, p.rule) for p in found] == [(*position(INVALID / name, marker), rule)]


def test_schematron_finds_an_id_used_twice_in_one_file(tmp_path):
    from tei_edition.validation import schematron

    text = (INVALID / "ok-document.xml").read_text(encoding="utf-8")
    text = text.replace("<p>A mention", '<p xml:id="twice">One.</p><p xml:id="twice">A mention', 1)
    path = tmp_path / "twice.xml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(INVALID / "ok-register.xml", tmp_path)  # the register it points into
    found = schematron.check(tei_edition.load(path), schema_dir() / "tei-edition.sch")
    assert [(p.line, p.col, p.rule) for p in found] == [(*position(path, 'xml:id="twice"', 2), "id-unique")]
    # through validate it is reported once, although the XSD (xs:ID) and the
    # cross-file check see it too
    report = tei_edition.validate([path], config=load_config(edition_dir() / FILENAME))
    assert [(p.line, p.col, p.rule) for p in report.problems] == [(*position(path, 'xml:id="twice"', 2), "id-unique")]


def test_remote_schemas_are_never_fetched(http_trap, tmp_path):
    # a <?xml-model?> and a schema import pointing at a live server: neither is opened
    text = (INVALID / "ok-document.xml").read_text(encoding="utf-8")
    for kind, ns in (("rng", "http://relaxng.org/ns/structure/1.0"), ("xsd", "http://www.w3.org/2001/XMLSchema"),
                     ("sch", "http://purl.oclc.org/dsdl/schematron")):
        text = text.replace("<TEI ", f'<?xml-model href="{http_trap.url}/schema.{kind}" schematypens="{ns}"?>\n<TEI ', 1)
    path = tmp_path / "remote.xml"
    path.write_text(text, encoding="utf-8")
    shutil.copy(INVALID / "ok-register.xml", tmp_path)
    report = tei_edition.validate([path])
    assert [p.rule for p in report.problems] == ["xml-model-remote"] * 3
    assert report.ok
    importing = tmp_path / "importing.xsd"
    importing.write_text(
        '<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.tei-c.org/ns/1.0">'
        f'<xs:import namespace="http://example.org/x" schemaLocation="{http_trap.url}/x.xsd"/>'
        '<xs:element name="TEI"/></xs:schema>', encoding="utf-8")
    report = tei_edition.validate([INVALID / "ok-document.xml"], [importing])
    (problem,) = report.problems
    assert problem.rule == "schema-invalid" and f"refused to read {http_trap.url}/x.xsd" in problem.message


# --- pointers never lead out of the input folder ------------------------------------

def _pointing(folder: Path, targets: list[str]) -> Path:
    """ok-document.xml with one <ref> per target, in a folder holding its register."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(INVALID / "ok-register.xml", folder)
    refs = "".join(f'<ref target="{t}">r</ref> ' for t in targets)
    text = (INVALID / "ok-document.xml").read_text(encoding="utf-8").replace("<p>A mention", f"<p>{refs}A mention", 1)
    path = folder / "pointing.xml"
    path.write_text(text, encoding="utf-8")
    return path


def test_pointers_out_of_the_input_folder_are_refused_where_they_stand(tmp_path):
    outside = tmp_path / "outside.xml"
    shutil.copy(INVALID / "ok-register.xml", outside)
    folder = tmp_path / "in"
    targets = ["../outside.xml#known-person", f"{outside}#known-person", outside.as_uri() + "#known-person",
               "sub/../../outside.xml", "linked.xml#known-person"]
    path = _pointing(folder, targets)
    os.symlink(outside, folder / "linked.xml")  # a register linked in from outside
    report = tei_edition.validate([folder])
    found = {(p.line, p.col): p for p in problems_of(report, "pointing.xml")}
    expected = {position(path, f'target="{t}"'): t for t in targets}
    assert set(found) == set(expected), [str(p) for p in report.problems]
    for where, target in expected.items():
        assert found[where].rule == "pointer-outside" and target in found[where].message
    assert "symbolic link" in found[position(path, 'target="linked.xml#known-person"')].message
    assert "file: URL" in found[position(path, f'target="{outside.as_uri()}#known-person"')].message


def test_a_web_link_is_an_external_link_not_a_pointer_to_check(tmp_path, http_trap):
    report = tei_edition.validate([_pointing(tmp_path, [f"{http_trap.url}/page.html", "https://example.org/x#y"])])
    assert report.ok and not report.problems, [str(p) for p in report.problems]


def test_a_pointer_into_a_subfolder_of_the_input_folder_is_followed(tmp_path):
    path = _pointing(tmp_path / "in", ["sub/reg.xml#known-person", "./sub/../ok-register.xml#known-person"])
    (tmp_path / "in" / "sub").mkdir()
    shutil.copy(INVALID / "ok-register.xml", tmp_path / "in" / "sub" / "reg.xml")
    report = tei_edition.validate([path])
    assert report.ok and not report.problems, [str(p) for p in report.problems]


def test_roots_widen_where_files_given_one_by_one_may_point(tmp_path):
    shutil.copy(INVALID / "ok-register.xml", tmp_path / "shared.xml")
    path = _pointing(tmp_path / "in", ["../shared.xml#known-person"])
    assert [p.rule for p in tei_edition.validate([path]).problems] == ["pointer-outside"]
    assert tei_edition.validate([path], roots=[tmp_path]).ok


def test_a_schematron_calling_document_reads_nothing_and_says_so(tmp_path):
    (tmp_path / "data.xml").write_text("<data>SHOULD-NOT-BE-READ</data>", encoding="utf-8")
    sch = tmp_path / "reads.sch"
    sch.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">'
                   '<pattern><rule context="/*"><assert test="document(\'data.xml\')/data">x</assert>'
                   '</rule></pattern></schema>', encoding="utf-8")
    report = tei_edition.validate([INVALID / "ok-document.xml"], [sch])
    (problem,) = report.problems
    assert problem.rule == "schematron-document" and "SHOULD-NOT-BE-READ" not in str(problem)


def test_a_schematron_report_is_a_problem_too(tmp_path):
    sch = tmp_path / "report.sch"
    sch.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">'
                   '<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>'
                   '<pattern><rule context="tei:persName"><report id="named" role="warning" test="@ref">'
                   'a person is named</report></rule></pattern></schema>', encoding="utf-8")
    report = tei_edition.validate([INVALID / "ok-document.xml"], [sch])
    assert [(p.line, p.col, p.severity, p.rule) for p in report.problems] == [
        (*position(INVALID / "ok-document.xml", "<persName"), "warning", "named")]


def test_validate_hands_back_each_files_ids_with_their_lines(tmp_path):
    ids: dict = {}
    report = tei_edition.validate([INVALID / "duplicate-id-a.xml", INVALID / "malformed.xml"], ids=ids)
    assert list(ids) == [str(INVALID / "duplicate-id-a.xml")]  # a file that does not load has none
    path = INVALID / "duplicate-id-a.xml"
    expected = [(value, position(path, f'xml:id="{value}"')[0])
                for value in ("duplicate-id-a", "shared-id")]
    assert [pair for pair in ids[str(path)] if pair[0] in dict(expected)] == expected
    assert not report.ok
