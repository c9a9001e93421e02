"""Which schemas judge a document: --schema, then the project file, then the file's own
declarations (<?xml-model?>, xsi:schemaLocation; remote ones from the cache or fetched on
request), then TEI P5 tei_all. An unusable schema is reported once."""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

import tei_edition
from tei_edition.cli import main
from tei_edition.config import FILENAME, Config

HERE = Path(__file__).parent
XSD11 = HERE / "data" / "xsd11"
SCH = HERE / "data" / "schematron"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
SCH_NS = "http://purl.oclc.org/dsdl/schematron"

LETTER = """<?xml version="1.0" encoding="UTF-8"?>
{models}<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title>Letter {n}</title></titleStmt>
    <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc></fileDesc>
  </teiHeader>
  <text><body><p>Dear friend,</p><unknownElement>x</unknownElement></body></text>
</TEI>
"""

#: a grammar that allows nothing but <TEI> with any content, and says so when it is not <TEI>
ANYTHING = f"""<grammar xmlns="{RNG_NS}"><start><element><anyName/><ref name="any"/></element></start>
<define name="any"><zeroOrMore><choice><attribute><anyName/></attribute><text/>
<element><anyName/><ref name="any"/></element></choice></zeroOrMore></define></grammar>"""

#: Schematron embedded in RELAX NG, as an ODD writes it
ODD = f"""<grammar xmlns="{RNG_NS}" xmlns:sch="{SCH_NS}"><start><element><anyName/><ref name="any"/></element></start>
<sch:ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>
<sch:pattern id="no-unknown"><sch:rule context="tei:unknownElement">
  <sch:assert test="false()" id="unknown-banned">no unknownElement in this edition</sch:assert>
</sch:rule></sch:pattern>
<define name="any"><zeroOrMore><choice><attribute><anyName/></attribute><text/>
<element><anyName/><ref name="any"/></element></choice></zeroOrMore></define></grammar>"""


def letters(folder: Path, n: int, models: str = "") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        path = folder / f"letter-{i}.xml"
        path.write_text(LETTER.format(n=i, models=models), encoding="utf-8")
        paths.append(path)
    return paths


def rules(report) -> list[str]:
    return sorted(p.rule for p in report.problems)


def model(href: str, ns: str) -> str:
    return f'<?xml-model href="{href}" schematypens="{ns}"?>\n'


def test_with_nothing_declared_tei_all_judges(tmp_path):
    letters(tmp_path, 2)
    report = tei_edition.validate([tmp_path])
    assert rules(report) == ["rng", "rng"]  # unknownElement, one per file, from tei_all
    assert all("unknownElement" in p.message for p in report.problems)


def test_fallback_none_leaves_tei_rules_only(tmp_path):
    letters(tmp_path, 2)
    assert tei_edition.validate([tmp_path], config=Config(fallback="none")).problems == ()


def test_a_declared_local_schema_replaces_tei_all(tmp_path):
    (tmp_path / "any.rng").write_text(ANYTHING, encoding="utf-8")
    letters(tmp_path, 2, model("any.rng", RNG_NS))
    assert tei_edition.validate([tmp_path]).problems == ()


def test_a_declared_rng_named_as_schematron_runs_its_embedded_rules(tmp_path):
    (tmp_path / "odd.rng").write_text(ODD, encoding="utf-8")
    (path,) = letters(tmp_path, 1, model("odd.rng", RNG_NS) + model("odd.rng", SCH_NS))
    (problem,) = tei_edition.validate([tmp_path]).problems
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "<unknownElement" in text)
    assert problem.rule == "unknown-banned" and (problem.line, problem.col) == (line, lines[line - 1].index("<unk") + 1)
    assert problem.message == "no unknownElement in this edition"


def test_the_project_file_replaces_declarations_and_schema_replaces_both(tmp_path):
    (tmp_path / "any.rng").write_text(ANYTHING, encoding="utf-8")
    (tmp_path / "odd.rng").write_text(ODD, encoding="utf-8")
    letters(tmp_path / "tei", 1, model("../odd.rng", SCH_NS))
    (tmp_path / FILENAME).write_text('[validate]\nschemas = ["any.rng"]\n', encoding="utf-8")
    assert tei_edition.validate([tmp_path / "tei"]).problems == ()  # the project file's any.rng
    report = tei_edition.validate([tmp_path / "tei"], [shutil.copy(SCH / "rules.sch", tmp_path)])
    assert "rng" not in rules(report)  # --schema alone: neither any.rng nor tei_all ran


def test_xsi_schema_location_is_a_declaration_too():
    report = tei_edition.validate([XSD11 / "valid.xml"], config=Config(fallback="none"))
    assert report.ok, [str(p) for p in report.problems]
    report = tei_edition.validate([XSD11 / "invalid.xml"], config=Config(fallback="none"))
    assert not report.ok and {p.rule for p in report.problems} <= {"xsd", "xsd-assert", "xsd-unknown-element",
                                                                   "xsd-not-allowed", "xsd-incomplete",
                                                                   "xsd-invalid-value", "pointer-resolves"}


def test_an_unusable_declared_schema_is_one_warning_for_all_its_files(tmp_path):
    letters(tmp_path, 5, model("https://schemas.example.org/letters.rng", RNG_NS)
            + model("missing/letters.sch", SCH_NS))
    report = tei_edition.validate([tmp_path])
    remote = [p for p in report.problems if p.rule == "xml-model-remote"]
    missing = [p for p in report.problems if p.rule == "schema-missing"]
    assert len(remote) == 1 and len(missing) == 1
    assert "this file and 4 more" in remote[0].message and "tei_all" in remote[0].message
    assert rules(report).count("rng") == 5  # the files went on to tei_all


def test_the_one_warning_survives_batch_chunks(tmp_path, monkeypatch):
    from tei_edition import batch

    monkeypatch.setattr(batch.ValidateTask, "chunk_max", 3)
    letters(tmp_path, 8, model("https://schemas.example.org/letters.rng", RNG_NS))
    summary = batch.run_validate([tmp_path], jobs=0, quiet=True)
    remote = [p for p in summary.report().problems if p.rule == "xml-model-remote"]
    assert len(remote) == 1 and "this file and 7 more" in remote[0].message
    assert remote[0].file.endswith("letter-0.xml")


def test_a_schema_that_does_not_compile_is_one_error_in_the_schema(tmp_path):
    broken = tmp_path / "broken.xsd"
    broken.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">\n'
                      '  <xs:element name="TEI" type="nothing:here"/>\n</xs:schema>\n', encoding="utf-8")
    paths = letters(tmp_path / "tei", 4)
    paths[0].write_text(paths[0].read_text(encoding="utf-8").replace("<p>Dear", '<p corresp="#nowhere">Dear'),
                        encoding="utf-8")
    report = tei_edition.validate([tmp_path / "tei"], [broken])
    (schema,) = [p for p in report.problems if p.file == str(broken)]
    assert schema.rule == "schema-invalid" and schema.line == 2
    assert "4 file(s) not checked against it" in schema.message and "letter-0.xml" in schema.message
    # the files are still checked by TEI's rules
    assert [p.rule for p in report.problems if p.file != str(broken)] == ["pointer-resolves"]


# --- remote schemas, fetched only when asked ---------------------------------------------

@pytest.fixture
def schema_server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    (root / "any.rng").write_text(ANYTHING, encoding="utf-8")
    hits: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            hits.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits, server
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_schemas_downloads_once_and_later_runs_are_offline(tmp_path, monkeypatch, schema_server):
    from tei_edition.validation import fetch

    url, hits, server = schema_server
    monkeypatch.setenv("TEI_EDITION_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch, "fetch", functools.partial(fetch.fetch, allow_private=True))  # a loopback server
    folder = tmp_path / "tei"
    letters(folder, 3, model(f"{url}/any.rng", RNG_NS))
    assert rules(tei_edition.validate([folder])) == ["rng"] * 3 + ["xml-model-remote"]  # not fetched
    assert hits == []
    result = CliRunner().invoke(main, ["validate", "--fetch-schemas", str(folder)])
    assert result.exit_code == 0, result.output
    assert len(hits) == 1  # one download for three files
    server.shutdown()
    assert tei_edition.validate([folder]).problems == ()  # from the cache, with the server gone


def test_the_tei_all_fallback_runs_teis_own_embedded_constraints(tmp_path):
    (path,) = letters(tmp_path, 1)
    path.write_text(path.read_text(encoding="utf-8").replace(
        "<unknownElement>x</unknownElement>", '<p><date when="1890" notBefore="1889">then</date></p>'), encoding="utf-8")
    (problem,) = tei_edition.validate([tmp_path]).problems
    assert problem.severity == "warning"  # role="nonfatal" in the ODD
    assert problem.rule.startswith("tei_all-att.datable.w3c")
    assert "cannot be used with any other att.datable.w3c attributes" in problem.message
    assert problem.xpath == "/TEI/text/body/p[2]/date"


def test_a_schema_that_does_not_compile_is_one_error_across_batch_chunks(tmp_path, monkeypatch):
    from tei_edition import batch

    monkeypatch.setattr(batch.ValidateTask, "chunk_max", 3)
    broken = tmp_path / "broken.xsd"
    broken.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">\n'
                      '  <xs:element name="TEI" type="nothing:here"/>\n</xs:schema>\n', encoding="utf-8")
    letters(tmp_path / "tei", 8)
    summary = batch.run_validate([tmp_path / "tei"], [broken], jobs=0, quiet=True)
    (schema,) = [p for p in summary.report().problems if p.rule == "schema-invalid"]
    assert re.search(r"; 8 file\(s\) not checked against it \(letter-0\.xml, [^()]* and \d more\)", schema.message)
