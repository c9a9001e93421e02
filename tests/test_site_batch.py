"""`build` runs the per-document transforms through the batch runner: in this process
or in worker processes, with the same site either way; a failing document becomes a
located problem, not a crashed build."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from tei_edition import loader
from tei_edition.cli import main
from tei_edition.problems import Problem
from tei_edition.resources import edition_dir
from tei_edition.site import build, collect

LOCATED = re.compile(r"^.+:\d+:\d+: (error|warning): ")


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file but Pagefind's index, whose filter chunk varies between identical builds."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).parts[0].startswith("pagefind")}


def documents():
    from tei_edition.edition import classify

    docs = [loader.load(p) for p in sorted(edition_dir().glob("*.xml"))]
    return [d for d in docs if classify(d) == "document"]


def test_in_process_and_worker_builds_are_byte_identical(tmp_path):
    # jobs=0 runs in this process; jobs=2 starts worker processes even for a small edition
    serial = build(None, tmp_path / "serial", force=True, jobs=0, quiet=True)
    workers = build(None, tmp_path / "workers", force=True, jobs=2, quiet=True)
    assert serial.built and workers.built
    a, b = files_of(tmp_path / "serial"), files_of(tmp_path / "workers")
    assert sorted(a) == sorted(b) and len(a) > 10
    # nothing in the site depends on the time of the build: every file, manifest included
    different = [rel for rel in a if a[rel] != b[rel]]
    assert different == []
    assert [str(p) for p in serial.notes] == [str(p) for p in workers.notes]


def test_worker_processes_format_the_citations(monkeypatch):
    # citeproc-py is the slowest step of a page: with workers, this process never runs it
    from tei_edition.site import transforms

    here = {p.id: p.citations for p in collect(None, jobs=0, quiet=True).documents}

    def not_here(items):
        raise AssertionError(f"citations of {len(items)} item(s) formatted in the parent")

    monkeypatch.setattr(transforms, "format_citations", not_here)  # the one place that formats them
    there = {p.id: p.citations for p in collect(None, jobs=2, quiet=True).documents}
    assert there == here and len(here) == 4
    assert all([label for label, _html in c] == ["Chicago", "MLA"] for c in there.values())


def page_context(tmp_path, monkeypatch):
    """The context ``build`` hands its page workers, for the bundled edition."""
    from tei_edition.site import collector

    seen = {}
    real = collector.make_records

    def spy(heads, context, *args, **kwargs):
        seen["context"] = context
        return real(heads, context, *args, **kwargs)

    monkeypatch.setattr(collector, "make_records", spy)
    collector.gather_site(None, jobs=0, quiet=True, cache=tmp_path / "cache")
    return seen["context"]


def test_the_page_task_is_picklable_and_runs_on_bytes(tmp_path, monkeypatch):
    from tei_edition.site.records import PageTask, page_of

    import dataclasses

    from tei_edition.site.records import RecordStore

    doc = documents()[0]
    context = page_context(tmp_path, monkeypatch)
    task = pickle.loads(pickle.dumps(PageTask(dataclasses.replace(context, cache=""))))  # as on a cluster
    outcome = task.run(str(doc.path), doc.path.read_bytes())
    assert outcome.status == "ok"
    page = page_of(outcome.data)
    assert page.id == doc.id and page.body.strip() and [label for label, _ in page.citations] == ["Chicago", "MLA"]
    broken = task.run(str(doc.path), b"<TEI xmlns='http://www.tei-c.org/ns/1.0'><oops></TEI>")
    assert broken.status == "failed" and broken.problems[0].line >= 1
    # with the site's cache on this machine, the worker keeps the record and sends its summary only
    here = pickle.loads(pickle.dumps(PageTask(context))).run(str(doc.path), doc.path.read_bytes())
    assert set(here.data) == {"summary"} and "body" not in here.data["summary"]["page"]
    kept = RecordStore(Path(context.cache) / "records").get(outcome.data["key"])
    assert page_of(kept) == page


def break_html_of_first_document(monkeypatch, line: int, col: int):
    """Make the HTML transform of the edition's first document fail at line:col; return that document."""
    import tei_edition.transform as transform_mod

    victim = documents()[0]
    real = transform_mod.transform_many  # transform() and the site's pages both run through it

    def failing(source, requests, **kw):
        path = getattr(source, "path", source)
        gave_up = Problem(str(path), line, col, "error", "xslt", "the stylesheet gave up")
        return [gave_up if Path(path).name == victim.path.name and to == "html" else result
                for (to, _params), result in zip(requests, real(source, requests, **kw))]

    monkeypatch.setattr(transform_mod, "transform_many", failing)
    return victim


def test_a_failing_transform_is_reported_with_its_location_and_the_site_is_built(tmp_path, monkeypatch):
    victim = break_html_of_first_document(monkeypatch, 7, 3)
    result = build(None, tmp_path / "site", force=True, jobs=0, quiet=True)
    assert result.built
    notes = [str(p) for p in result.notes]
    assert any(n.startswith(f"{victim.path}:7:3: error: HTML transform failed: the stylesheet gave up") for n in notes)
    assert all(LOCATED.match(n) for n in notes)
    page = (tmp_path / "site" / f"{victim.id}.html").read_text(encoding="utf-8")
    assert victim.id in page  # the page is still there, with its metadata and downloads


def test_collect_gives_the_same_pages_in_and_out_of_process():
    a = collect(None, jobs=0, quiet=True)
    b = collect(None, jobs=2, quiet=True)
    assert a == b


def test_build_help_and_options(tmp_path):
    runner = CliRunner()
    help_text = runner.invoke(main, ["build", "--help"]).output
    assert "-j, --jobs" in help_text and "-q, --quiet" in help_text
    assert "--strict" in help_text and "--force" not in help_text  # --force: a hidden no-op now
    out = tmp_path / "site"
    quiet = runner.invoke(main, ["build", "-o", str(out), "--force", "-j", "0", "-q"])
    assert quiet.exit_code == 0, quiet.output
    assert "built" not in quiet.output
    loud = runner.invoke(main, ["build", "-o", str(tmp_path / "loud"), "--force", "--jobs", "2"])
    assert loud.exit_code == 0, loud.output
    assert re.search(r"built \d+ pages", loud.output)
    assert files_of(out) == files_of(tmp_path / "loud")
    bad = runner.invoke(main, ["build", "-o", str(tmp_path / "x"), "-j", "-1"])
    assert bad.exit_code == 2


@pytest.mark.parametrize("jobs", [0, 2])
def test_an_empty_edition_folder_builds_with_no_documents(tmp_path, jobs):
    for name in ("edition.xml", "persons.xml", "places.xml", "organisations.xml", "treaties.xml"):
        (tmp_path / "ed").mkdir(exist_ok=True)
        (tmp_path / "ed" / name).write_bytes((edition_dir() / name).read_bytes())
    result = build([tmp_path / "ed"], tmp_path / "site", force=True, jobs=jobs, quiet=True)
    assert result.built and (tmp_path / "site" / "index.html").is_file()


def test_the_build_command_exits_1_when_a_document_failed(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tei_edition.cli import main

    victim = break_html_of_first_document(monkeypatch, 4, 2)
    result = CliRunner().invoke(main, ["build", "-o", str(tmp_path / "site"), "-j", "0"])
    assert result.exit_code == 1, result.output
    assert f"{victim.path}:4:2: error:" in result.output
    assert (tmp_path / "site" / f"{victim.id}.html").exists()
