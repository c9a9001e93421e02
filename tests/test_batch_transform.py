"""Batch runs with the real stylesheets over a copy of the bundled edition."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tei_edition import batch
from tei_edition.batch import JOURNAL_NAME, TransformTask, run, run_transform
from tei_edition.resources import edition_dir
from editions import copy_edition

from test_batch_support import CrashingTransform

DOCUMENTS = {"announcement", "communique", "edition", "note-zhou", "reply-vyshinsky"}
REGISTERS = {"persons", "places", "organisations", "treaties"}


@pytest.fixture
def edition(tmp_path):
    src = tmp_path / "tei"
    copy_edition(src)
    return src


def test_html_of_the_edition_mirrors_names_and_parses(edition, tmp_path):
    html5lib = pytest.importorskip("html5lib")
    out = tmp_path / "out"
    summary = run_transform([edition], out, "html", jobs=2)
    assert (summary.ok, summary.failed, summary.skipped) == (len(DOCUMENTS), 0, len(REGISTERS))
    assert {p.stem for p in out.glob("*.html")} == DOCUMENTS
    skipped = {Path(r.job.source).stem for r in summary.results if r.status == "skipped"}
    assert skipped == REGISTERS
    for page in out.glob("*.html"):
        tree = html5lib.parse(page.read_text("utf-8"), namespaceHTMLElements=False)
        assert tree.find(".//body") is not None


def test_csl_json_outputs_are_json(edition, tmp_path):
    out = tmp_path / "out"
    assert run_transform([edition], out, "csl-json", jobs=1).ok == len(DOCUMENTS)
    for item in out.glob("*.json"):
        if item.name.startswith("."):
            continue
        data = json.loads(item.read_text("utf-8"))
        assert isinstance(data, list) and data[0].get("title")


def test_editing_a_register_rebuilds_the_documents_that_use_it(edition, tmp_path):
    out = tmp_path / "out"
    run_transform([edition], out, "html", jobs=2)
    again = run_transform([edition], out, "html", jobs=2)
    assert (again.unchanged, again.processed) == (len(DOCUMENTS) + len(REGISTERS), 0)
    persons = edition / "persons.xml"
    persons.write_text(persons.read_text("utf-8").replace("</listPerson>", "</listPerson>\n"), "utf-8")
    third = run_transform([edition], out, "html", jobs=2)
    journal = json.loads((out / JOURNAL_NAME).read_text())
    users = {Path(r).stem for r, e in journal["entries"].items()
             if any(d.endswith("persons.xml") for d in journal["contexts"].get(e.get("context"), {}))}
    assert users and third.ok == len(users) and third.skipped == 1  # persons.xml itself


def test_changing_the_stylesheets_rebuilds_everything(edition, tmp_path, monkeypatch):
    xslt = tmp_path / "xslt"
    shutil.copytree(TransformTask("html")._stylesheet_dir(), xslt)
    monkeypatch.setattr(TransformTask, "_stylesheet_dir", lambda self: xslt)
    out = tmp_path / "out"
    assert run_transform([edition], out, "html", jobs=2).ok == len(DOCUMENTS)
    assert run_transform([edition], out, "html", jobs=2).unchanged == len(DOCUMENTS) + len(REGISTERS)
    common = xslt / "common" / "text.xsl"
    common.write_text(common.read_text("utf-8") + "\n<!-- edited -->\n", "utf-8")
    rebuilt = run_transform([edition], out, "html", jobs=2)
    assert (rebuilt.ok, rebuilt.unchanged) == (len(DOCUMENTS), 0)
    other = run_transform([edition], out, "html", {"fragment": "yes"}, jobs=2)  # new params too
    assert (other.ok, other.unchanged) == (len(DOCUMENTS), 0)


def test_malformed_and_crashing_files_with_the_real_stylesheets(edition, tmp_path):
    (edition / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<teiHeader>\n</TEI>')
    out = tmp_path / "out"
    summary = run([edition], CrashingTransform("text", "communique.xml"), out, jobs=2)
    assert (summary.ok, summary.failed) == (len(DOCUMENTS) - 1, 2)
    rules = {Path(p.file).name: p for p in summary.problems}
    assert rules["communique.xml"].rule == "worker-crashed"
    assert rules["broken.xml"].line == 3
    assert {p.stem for p in out.glob("*.txt")} == DOCUMENTS - {"communique"}
    assert summary.exit_code == 1
    batch.print_summary(summary)


def test_real_stylesheets_on_a_dask_local_cluster(edition, tmp_path, dask_cluster):
    summary = run_transform([edition], tmp_path / "out", "text", scheduler=dask_cluster.scheduler_address)
    assert (summary.ok, summary.skipped, summary.failed) == (len(DOCUMENTS), len(REGISTERS), 0)
    local = run_transform([edition], tmp_path / "local", "text", jobs=1)
    assert local.ok == len(DOCUMENTS)
    for page in (tmp_path / "local").glob("*.txt"):
        assert (tmp_path / "out" / page.name).read_text("utf-8") == page.read_text("utf-8")
