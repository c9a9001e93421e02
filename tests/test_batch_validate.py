"""Validation in worker processes gives the same report as a serial run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tei_edition import batch
from tei_edition.batch import run_validate
from tei_edition.config import FILENAME
from tei_edition.resources import edition_dir, schema_dir
from tei_edition.validation import validate
from editions import copy_edition

from test_batch import TEI, make_corpus as make_files


def make_corpus(root, n: int, sub: str = ""):
    """Files in the bundled edition's conventions, with a project file that judges them
    by its rules (its schemas and ids unique across the edition)."""
    root.mkdir(parents=True, exist_ok=True)
    schemas = ", ".join(f'"{(schema_dir() / name).as_posix()}"' for name in ("tei-edition.xsd", "tei-edition.sch"))
    (root / FILENAME).write_text(f'[validate]\nschemas = [{schemas}]\nunique-ids = "edition"\n', "utf-8")
    return make_files(root, n, sub)


@pytest.fixture(params=["in-process", "with workers"])
def pool_calls(request, monkeypatch):
    """Run each test twice: as a small run is (this process alone), and with worker
    processes started after the first chunk; yields the worker counts of the pools started."""
    calls: list[int] = []
    real = batch._execute_local

    def spy(task, items, workers, *args, **kwargs):
        calls.append(workers)
        return real(task, items, workers, *args, **kwargs)

    monkeypatch.setattr(batch.executors, "_execute_local", spy)
    if request.param == "with workers":
        monkeypatch.setattr(batch.executors, "WORKER_START_SECONDS", 0.0)
        monkeypatch.setattr(batch.ValidateTask, "chunk_min", 1)  # several chunks from a small corpus
    yield calls
    assert bool(calls) == (request.param == "with workers")


def test_validate_chunks_never_shrink_below_a_jing_start_worth_of_files():
    chunks = batch._chunked(list(range(725)), 2, batch.ValidateTask.chunk_max, batch.ValidateTask.chunk_min)
    assert sum(map(len, chunks)) == 725 and min(map(len, chunks[:-1])) >= 100


def test_a_small_run_starts_no_worker_process(tmp_path, monkeypatch):
    make_corpus(tmp_path / "src", 30)
    started = []
    monkeypatch.setattr(batch.executors, "_execute_local", lambda *a, **k: started.append(a))
    summary = run_validate([tmp_path / "src"], jobs=2)
    assert summary.total == 30 and started == []  # 30 files take less than a worker's start


def test_workers_join_this_process_when_the_rest_is_long(tmp_path, monkeypatch):
    make_corpus(tmp_path / "src", 40)
    monkeypatch.setattr(batch.executors, "WORKER_START_SECONDS", 0.0)
    monkeypatch.setattr(batch.ValidateTask, "chunk_min", 1)
    started = []
    real = batch._execute_local
    monkeypatch.setattr(batch.executors, "_execute_local", lambda task, items, workers, *a, **k: (
        started.append((len(items), workers, k.get("parent"))), real(task, items, workers, *a, **k))[1])
    summary = run_validate([tmp_path / "src"], jobs=3)
    # this process ran the first chunk, then two workers and this process shared the rest
    assert summary.total == 40 and len(started) == 1
    rest, workers, parent = started[0]
    assert 0 < rest < 40 and workers == 2 and parent is True


def test_parallel_validation_matches_the_serial_report(tmp_path, pool_calls):
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


def test_the_bundled_edition_is_valid_in_parallel(tmp_path, pool_calls):
    src = tmp_path / "tei"
    copy_edition(src)  # with schema/ beside it, where the project file and <?xml-model?> point
    summary = run_validate([src], jobs=2)
    assert summary.report().ok and summary.ok == 9 and summary.exit_code == 0


def test_pointers_between_folders_of_one_input_resolve_as_in_a_serial_run(tmp_path, pool_calls):
    src = tmp_path / "src"
    make_corpus(src, 0)
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


def test_a_register_changed_between_two_runs_in_one_process_is_read_again(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    reg = src / "reg.xml"
    reg.write_text(TEI.format(id="reg").replace("<p>Text of reg", '<p xml:id="r1">Text of reg'), "utf-8")
    (src / "doc.xml").write_text(TEI.format(id="doc").replace(
        "the ministers met", 'the <ref target="reg.xml#r1">ministers</ref> met'), "utf-8")
    def pointer_problems():
        return [p for p in validate([src / "doc.xml"]).problems if p.rule == "pointer-resolves"]

    assert pointer_problems() == []
    reg.write_text(TEI.format(id="reg"), "utf-8")  # r1 is gone
    problems = pointer_problems()
    assert len(problems) == 1 and 'xml:id="r1"' in problems[0].message


def test_a_project_file_judges_a_run_on_a_dask_cluster_as_it_judges_a_serial_one(tmp_path, dask_cluster):
    letters = Path(__file__).parent / "data" / "editions" / "letters-ids"
    src = tmp_path / "letters"
    shutil.copytree(letters, src)
    (src / FILENAME).write_text('[validate]\nfallback = "none"\nunique-ids = "edition"\nbare-pointers = "error"\n',
                                "utf-8")
    serial = validate([src])
    remote = run_validate([src], scheduler=dask_cluster.scheduler_address, quiet=True).report()
    assert remote.problems == serial.problems
    assert {p.rule for p in serial.problems} >= {"id-unique", "pointer-bare"}
    assert all(p.severity == "error" for p in serial.problems if p.rule == "pointer-bare")
