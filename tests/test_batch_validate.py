"""Validation in worker processes gives the same report as a serial run."""

from __future__ import annotations

import shutil

from tei_edition.batch import run_validate
from tei_edition.resources import edition_dir, schema_dir
from tei_edition.validation import validate

from test_batch import TEI, make_corpus


def test_parallel_validation_matches_the_serial_report(tmp_path):
    src = tmp_path / "src"
    files = make_corpus(src, 60)
    # the same xml:id in two files that land in different chunks
    files[50].write_text(TEI.format(id="d5"), "utf-8")
    (src / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<text>\n</TEI>')
    serial = validate([src])
    parallel = run_validate([src], jobs=2)
    assert parallel.report().problems == serial.problems
    assert parallel.report().files == serial.files
    assert any(p.rule == "id-unique" for p in parallel.problems)
    assert parallel.exit_code == 1 and parallel.failed == len(serial.files_with_errors())


def test_the_bundled_edition_is_valid_in_parallel(tmp_path):
    src = tmp_path / "tei"
    shutil.copytree(edition_dir(), src)
    shutil.copytree(schema_dir(), tmp_path / "schema")  # the files' <?xml-model?> point there
    summary = run_validate([src], jobs=2)
    assert summary.report().ok and summary.ok == 9 and summary.exit_code == 0


def test_pointers_between_folders_of_one_input_resolve_as_in_a_serial_run(tmp_path):
    src = tmp_path / "src"
    (src / "sub").mkdir(parents=True)
    (src / "reg.xml").write_text(TEI.format(id="reg").replace(
        "<p>Text of reg", '<p xml:id="r1">Text of reg'), "utf-8")
    for i in range(14):
        (src / "sub" / f"doc{i}.xml").write_text(TEI.format(id=f"doc{i}").replace(
            "the ministers met", 'the <ref target="../reg.xml#r1">ministers</ref> met'), "utf-8")
    serial = validate([src])
    parallel = run_validate([src], jobs=2)
    assert not any(p.rule == "pointer-outside" for p in serial.problems)
    assert parallel.report().problems == serial.problems
