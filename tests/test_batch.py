"""Batch runs: planning, the journal, workers, crashes, interruptions, paths, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tei_edition import batch
from tei_edition.batch import JOURNAL_NAME, BatchError, Journal, plan, run
from tei_edition.fsutil import TMP_PREFIX, folder_lock, iter_xml_files

sys.path.insert(0, str(Path(__file__).parent))
from test_batch_support import FakeTask  # noqa: E402

SRC = Path(__file__).resolve().parents[1] / "src"

TEI = """<?xml version="1.0" encoding="UTF-8"?>
<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="{id}">
  <teiHeader><fileDesc><titleStmt><title>Document {id}</title></titleStmt>
    <publicationStmt><p>test</p></publicationStmt><sourceDesc><p>test</p></sourceDesc></fileDesc>
  </teiHeader>
  <text><body><p>Text of {id}: the ministers met in Moscow.</p></body></text>
</TEI>
"""


def make_corpus(root: Path, n: int, sub: str = "") -> list[Path]:
    files = []
    for i in range(n):
        p = root / sub / f"group{i % 3}" / f"doc-{i:04d}.xml"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(TEI.format(id=f"d{i}"), "utf-8")
        files.append(p)
    return files


def outputs(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*.txt")}


def temp_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.startswith(TMP_PREFIX)]


# --- planning and paths -------------------------------------------------------

def test_plan_mirrors_the_input_tree_not_ids(tmp_path):
    src = tmp_path / "src"
    make_corpus(src, 4)
    (src / ".hidden.xml").write_text(TEI.format(id="hidden"))
    (src / f"{TMP_PREFIX}x.xml").write_text(TEI.format(id="tmp"))
    (src / "notes.txt").write_text("not xml")
    jobs = plan([src], tmp_path / "out", extension=".html")
    assert [j.rel for j in jobs] == sorted(j.rel for j in jobs)
    assert {j.rel for j in jobs} == {f"group{i % 3}/doc-{i:04d}.xml" for i in range(4)}
    for j in jobs:
        assert j.output == (tmp_path / "out" / j.rel).with_suffix(".html").absolute()


def test_plan_with_several_roots_keeps_outputs_apart(tmp_path):
    make_corpus(tmp_path / "a", 2)
    make_corpus(tmp_path / "b", 2)  # same relative names as in a/
    jobs = plan([tmp_path / "a", tmp_path / "b"], tmp_path / "out", extension=".txt")
    assert len({j.output for j in jobs}) == 4
    assert {j.rel.split("/")[0] for j in jobs} == {"a", "b"}


def test_plan_leaves_out_the_output_folder_inside_the_input(tmp_path):
    make_corpus(tmp_path, 2)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "old.xml").write_text(TEI.format(id="old"))
    jobs = plan([tmp_path], tmp_path / "out", extension=".txt")
    assert len(jobs) == 2


def test_symlink_loop_and_escape_are_not_followed(tmp_path):
    src = tmp_path / "src"
    make_corpus(src, 3)
    (src / "group0" / "loop").symlink_to(src, target_is_directory=True)
    (src / "group1" / "again").symlink_to(src / "group1", target_is_directory=True)
    outside = tmp_path / "outside"
    make_corpus(outside, 2)
    (src / "escape").symlink_to(outside, target_is_directory=True)
    (src / "secret.xml").symlink_to(outside / "group0" / "doc-0000.xml")
    files = [f for f, _ in iter_xml_files([src])]
    assert len(files) == 3, files
    assert all(outside not in f.resolve().parents for f in files)
    summary = run([src], FakeTask(), tmp_path / "out", jobs=0)
    assert (summary.ok, summary.failed) == (3, 0)


def test_planted_symlink_and_hard_link_at_an_output_are_replaced(tmp_path):
    src = tmp_path / "src"
    files = make_corpus(src, 2)
    out = tmp_path / "out"
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    (out / "group0").mkdir(parents=True)
    (out / "group0" / "doc-0000.txt").symlink_to(victim)
    (out / "group1").mkdir(parents=True)
    os.link(files[1], out / "group1" / "doc-0001.txt")  # a hard link to a source
    before = files[1].read_bytes()
    summary = run([src], FakeTask(), out, jobs=0)
    assert summary.ok == 2
    assert victim.read_text() == "keep me"
    assert not (out / "group0" / "doc-0000.txt").is_symlink()
    assert files[1].read_bytes() == before
    assert (out / "group1" / "doc-0001.txt").read_text().startswith("d1")


def test_a_forced_rebuild_leaves_identical_outputs_alone_and_rewrites_the_rest(tmp_path):
    src = tmp_path / "src"
    files = make_corpus(src, 4)
    out = tmp_path / "out"
    run([src], FakeTask(), out, jobs=0)
    made = sorted(out.rglob("*.txt"))
    before = {p: (p.stat().st_ino, p.stat().st_mtime_ns) for p in made}
    files[2].write_text(files[2].read_text().replace("ministers met", "ministers met again"))
    # a hard link with the very bytes of an output is still replaced: only plain files are kept
    linked = out / "group0" / "doc-0003.txt"
    twin = tmp_path / "twin.txt"
    twin.write_bytes(linked.read_bytes())
    linked.unlink()
    os.link(twin, linked)
    summary = run([src], FakeTask(), out, jobs=0, force=True)
    assert summary.ok == 4 and summary.unchanged == 0
    changed = out / "group2" / "doc-0002.txt"
    assert "again" in changed.read_text() and changed.stat().st_ino != before[changed][0]
    for p in (out / "group0" / "doc-0000.txt", out / "group1" / "doc-0001.txt"):
        assert (p.stat().st_ino, p.stat().st_mtime_ns) == before[p]  # not rewritten
    assert linked.stat().st_nlink == 1 and linked.read_bytes() == twin.read_bytes()
    assert temp_files(out) == []


def test_outputs_never_leave_the_output_folder(tmp_path):
    src = tmp_path / "src"
    make_corpus(src, 3)
    out = tmp_path / "out"
    out.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (out / "group1").symlink_to(elsewhere, target_is_directory=True)  # planted folder link
    summary = run([src], FakeTask(), out, jobs=0)
    assert summary.failed == 1 and summary.ok == 2
    assert [p.rule for p in summary.problems] == ["output-path"]
    assert list(elsewhere.iterdir()) == []


# --- failures -----------------------------------------------------------------

def test_one_malformed_file_fails_alone_and_is_located(tmp_path):
    src = tmp_path / "src"
    make_corpus(src, 20)
    bad = src / "group1" / "broken.xml"
    bad.write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0">\n  <teiHeader>\n</TEI>\n')
    (src / "other.xml").write_text("<catalogue><item/></catalogue>")  # not TEI: skipped
    summary = run([src], FakeTask(), tmp_path / "out", jobs=2)
    assert (summary.ok, summary.failed, summary.skipped) == (20, 1, 1)
    assert summary.exit_code == 1
    assert len(outputs(tmp_path / "out")) == 20
    [problem] = summary.problems
    assert problem.file == str(bad.absolute()) and problem.line == 3 and problem.col > 0
    assert str(problem).startswith(f"{bad.absolute()}:3:")


def test_a_worker_crash_is_retried_then_quarantined(tmp_path):
    src = tmp_path / "src"
    make_corpus(src, 60)
    once = tmp_path / "once"
    once.mkdir()
    task = FakeTask(crash=("doc-0007.xml",))
    summary = run([src], task, tmp_path / "out", jobs=2)
    assert (summary.ok, summary.failed) == (59, 1)
    [problem] = summary.problems
    assert problem.rule == "worker-crashed" and problem.file.endswith("doc-0007.xml")
    assert len(outputs(tmp_path / "out")) == 59
    # a file that crashed its worker only once is retried alone and succeeds
    summary = run([src], FakeTask(crash=("doc-0031.xml",), crash_once_dir=str(once)),
                  tmp_path / "out2", jobs=2)
    assert (summary.ok, summary.failed) == (60, 0)
    assert [p.name for p in once.iterdir()] == ["doc-0031.xml"]


# --- incremental runs ---------------------------------------------------------

def test_a_rerun_with_nothing_changed_skips_everything(tmp_path):
    src = tmp_path / "src"
    files = make_corpus(src, 30)
    out = tmp_path / "out"
    first = run([src], FakeTask(), out, jobs=2)
    assert first.ok == 30
    stamps = {p: p.stat().st_ino for p in out.rglob("*.txt")}
    again = run([src], FakeTask(), out, jobs=2)
    assert (again.ok, again.unchanged, again.processed) == (0, 30, 0)
    assert {p: p.stat().st_ino for p in out.rglob("*.txt")} == stamps
    # one input edited (same size, same mtime): only it is rebuilt
    st = files[4].stat()
    files[4].write_text(files[4].read_text().replace("Moscow", "Peking"))
    os.utime(files[4], ns=(st.st_atime_ns, st.st_mtime_ns))
    third = run([src], FakeTask(), out, jobs=2)
    assert (third.ok, third.unchanged) == (1, 29)
    # an output removed or tampered with is rebuilt too
    (out / "group0" / "doc-0000.txt").unlink()
    (out / "group2" / "doc-0002.txt").write_text("tampered")
    fourth = run([src], FakeTask(), out, jobs=0)
    assert (fourth.ok, fourth.unchanged) == (2, 28)
    assert "tampered" not in (out / "group2" / "doc-0002.txt").read_text()
    forced = run([src], FakeTask(), out, jobs=2, force=True)
    assert (forced.ok, forced.unchanged) == (30, 0)


def test_changing_a_stylesheet_rebuilds_everything(tmp_path):
    src = tmp_path / "src"
    make_corpus(src, 12)
    deps = tmp_path / "xslt"
    deps.mkdir()
    (deps / "main.xsl").write_text("<xsl:stylesheet/>")
    out = tmp_path / "out"
    assert run([src], FakeTask(str(deps)), out, jobs=2).ok == 12
    assert run([src], FakeTask(str(deps)), out, jobs=2).unchanged == 12
    (deps / "main.xsl").write_text("<xsl:stylesheet version='3.0'/>")
    assert run([src], FakeTask(str(deps)), out, jobs=2).ok == 12
    (deps / "common").mkdir()
    (deps / "common" / "new.xsl").write_text("<xsl:stylesheet/>")
    assert run([src], FakeTask(str(deps)), out, jobs=0).ok == 12


def test_the_journal_is_json_with_content_hashes(tmp_path):
    src = tmp_path / "src"
    make_corpus(src, 2)
    out = tmp_path / "out"
    run([src], FakeTask(), out, jobs=0)
    data = json.loads((out / JOURNAL_NAME).read_text())
    entry = data["entries"]["group0/doc-0000.txt"]
    assert entry["source"] == "group0/doc-0000.xml"
    import hashlib

    assert entry["input"] == hashlib.sha256((src / "group0/doc-0000.xml").read_bytes()).hexdigest()
    assert entry["output"] == hashlib.sha256((out / "group0/doc-0000.txt").read_bytes()).hexdigest()
    (out / JOURNAL_NAME).write_text("{ not json")  # a damaged journal means: rebuild
    assert Journal.load(out / JOURNAL_NAME).entries == {}
    assert run([src], FakeTask(), out, jobs=0).ok == 2
    data = json.loads((out / JOURNAL_NAME).read_text())
    data["entries"]["group0/doc-0000.txt"] = "not an entry"
    data["entries"]["group1/doc-0001.txt"]["input"] = ["odd"]
    data["contexts"] = {"x": [1, 2]}
    (out / JOURNAL_NAME).write_text(json.dumps(data))
    assert (run([src], FakeTask(), out, jobs=0).ok, run([src], FakeTask(), out, jobs=0).unchanged) == (2, 2)


def test_two_runs_cannot_share_an_output_folder(tmp_path):
    make_corpus(tmp_path / "src", 1)
    with folder_lock(tmp_path / "out"):
        with pytest.raises(BatchError, match="another run"):
            run([tmp_path / "src"], FakeTask(), tmp_path / "out", jobs=0)


# --- interruptions --------------------------------------------------------------

RUNNER = textwrap.dedent("""
    import sys
    sys.path[:0] = [{tests!r}, {src!r}]
    from test_batch_support import FakeTask
    from tei_edition.batch import run
    if __name__ == "__main__":
        s = run([{src_dir!r}], FakeTask(delay={delay}), {out!r}, jobs=2, progress=False)
        print(s.line())
        sys.exit(s.exit_code)
""")


def start_runner(tmp_path, delay):
    script = tmp_path / "runner.py"
    script.write_text(RUNNER.format(tests=str(Path(__file__).parent), src=str(SRC),
                                    src_dir=str(tmp_path / "src"), out=str(tmp_path / "out"), delay=delay))
    return subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True, text=True)


def wait_for_outputs(out: Path, n: int, proc, timeout=60, journal=False):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if out.is_dir() and len(outputs(out)) >= n and (not journal or (out / JOURNAL_NAME).exists()):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("no outputs appeared")


def test_kill_9_of_the_whole_run_then_resume(tmp_path):
    make_corpus(tmp_path / "src", 400)
    out = tmp_path / "out"
    proc = start_runner(tmp_path, delay=0.02)
    wait_for_outputs(out, 40, proc, journal=True)  # after a journal checkpoint
    os.killpg(proc.pid, signal.SIGKILL)  # the parent and its workers
    proc.wait()
    done_before = outputs(out)
    assert 40 <= len(done_before) < 400
    recorded = json.loads((out / JOURNAL_NAME).read_text())["entries"]
    assert set(recorded) <= done_before  # the journal never names an output not written
    (out / "group0" / f"{TMP_PREFIX}stray.txt").write_text("half an outp")  # as if cut mid-write
    for p in out.rglob("*.txt"):  # nothing produced is partial
        assert p.name.startswith(TMP_PREFIX) or p.read_text().endswith(": the ministers met in Moscow.\n")
    summary = run([tmp_path / "src"], FakeTask(), out, jobs=2)
    assert summary.ok + summary.unchanged == 400 and summary.failed == 0
    assert summary.unchanged == len(recorded) > 0  # what the journal recorded is kept
    assert summary.removed_temp_files >= 1
    assert temp_files(out) == []
    assert len(outputs(out)) == 400


def test_ctrl_c_finishes_running_items_and_exits_130(tmp_path):
    make_corpus(tmp_path / "src", 300)
    out = tmp_path / "out"
    proc = start_runner(tmp_path, delay=0.02)
    wait_for_outputs(out, 20, proc)
    os.killpg(proc.pid, signal.SIGINT)  # like Ctrl-C in a terminal: the whole group
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert "interrupted" in stdout
    assert temp_files(out) == []
    done = outputs(out)
    assert 20 <= len(done) < 300
    journal = json.loads((out / JOURNAL_NAME).read_text())["entries"]
    assert set(journal) == done  # every output written was recorded, nothing more
    summary = run([tmp_path / "src"], FakeTask(delay=0.02), out, jobs=2)
    assert (summary.unchanged, summary.ok) == (len(done), 300 - len(done))


# --- progress and summary ---------------------------------------------------------

def test_summary_line_and_quiet_printing(tmp_path, capsys):
    make_corpus(tmp_path / "src", 3)
    (tmp_path / "src" / "bad.xml").write_text("<TEI")
    s = run([tmp_path / "src"], FakeTask(), tmp_path / "out", jobs=0, quiet=True)
    batch.print_summary(s, quiet=True)
    err = capsys.readouterr().err
    assert "bad.xml:1:" in err and "3 ok, 1 failed, 0 skipped, 0 unchanged" in err
    assert s.docs_per_s > 0 and s.to_dict()["failed"] == 1
    again = run([tmp_path / "src"], FakeTask(), tmp_path / "out", jobs=0, quiet=True)
    assert again.unchanged == 3 and again.processed == 1  # the broken file is tried again
    (tmp_path / "src" / "bad.xml").unlink()
    idle = run([tmp_path / "src"], FakeTask(), tmp_path / "out", jobs=0, quiet=True)
    assert idle.line().startswith("0 ok, 0 failed, 0 skipped, 3 unchanged in ") and "docs/s" not in idle.line()


class BrokenSetupTask(FakeTask):
    def warm(self) -> None:
        from tei_edition.problems import ERROR, Problem, ProblemError

        raise ProblemError(Problem("broken.xsl", 3, 7, ERROR, "XTSE0650", "no template named te:x"))


def test_one_setup_error_met_by_every_file_is_printed_once(tmp_path, capsys):
    make_corpus(tmp_path / "src", 5)
    s = run([tmp_path / "src"], BrokenSetupTask(), tmp_path / "out", jobs=0, quiet=True)
    batch.print_summary(s)
    err = capsys.readouterr().err.splitlines()
    assert s.failed == 5
    hits = [line for line in err if "broken.xsl:3:7: error: no template named te:x" in line]
    assert hits == ["broken.xsl:3:7: error: no template named te:x [XTSE0650] (reported 5 times: once per file)"]


class SlowFirstFileTask(FakeTask):
    parent_helps = True  # runs in this process too, as validate does

    def run(self, path, data):
        if not getattr(self, "started", False):  # like compiling the schemas on first use
            time.sleep(0.6)
            self.started = True
        return super().run(path, data)


def test_a_slow_first_chunk_alone_starts_no_worker(tmp_path, monkeypatch):
    make_corpus(tmp_path / "src", 30)
    started = []
    monkeypatch.setattr(batch.executors, "_execute_local", lambda *a, **k: started.append(a))
    summary = run([tmp_path / "src"], SlowFirstFileTask(), tmp_path / "out", jobs=2)
    assert summary.ok == 30 and started == []  # the rest is quick: judged by the second chunk


def test_this_process_alone_takes_bigger_chunks_once_it_has_measured(tmp_path, monkeypatch):
    make_corpus(tmp_path / "src", 300)
    task = SlowFirstFileTask()
    task.started = True  # no slow start: a quick task, as validate is on small files
    sizes = []
    real = batch._run_items
    monkeypatch.setattr(batch.executors, "_run_items", lambda t, items: (sizes.append(len(items)), real(t, items))[1])
    summary = run([tmp_path / "src"], task, tmp_path / "out", jobs=1)
    assert summary.ok == 300 and sum(sizes) == 300
    # two chunks to measure, then the rest in chunks of half a second each (one, here)
    assert max(sizes[:2]) <= batch.CHUNK_MAX and len(sizes) == 3 and sizes[2] > batch.CHUNK_MAX


# --- Dask -------------------------------------------------------------------------

def test_the_dask_path_on_a_local_cluster(tmp_path, dask_cluster):
    src = tmp_path / "src"
    make_corpus(src, 120)
    (src / "broken.xml").write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><oops></TEI>")
    summary = run([src], FakeTask(), tmp_path / "out", scheduler=dask_cluster.scheduler_address)
    assert (summary.ok, summary.failed) == (120, 1)
    assert summary.problems[0].file.endswith("broken.xml")
    assert len(outputs(tmp_path / "out")) == 120
    again = run([src], FakeTask(), tmp_path / "out", scheduler=dask_cluster.scheduler_address)
    assert (again.unchanged, again.processed) == (120, 1)  # the broken file is retried


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("distributed")
    make_corpus(tmp_path / "src", 1)
    with pytest.raises(BatchError, match="cannot reach the Dask scheduler"):
        run([tmp_path / "src"], FakeTask(), tmp_path / "out", scheduler="tcp://127.0.0.1:9")


def test_workers_that_always_crash_end_the_run_quickly(tmp_path):
    src = tmp_path / "src"
    files = make_corpus(src, 40)
    task = FakeTask(crash=tuple(f.name for f in files))
    start = time.monotonic()
    summary = run([src], task, tmp_path / "out", jobs=2)
    assert (summary.ok, summary.failed) == (0, 40)
    assert {p.rule for p in summary.problems} == {"worker-crashed"}
    assert time.monotonic() - start < 60


def test_a_crashing_file_on_dask_is_quarantined(tmp_path):
    distributed = pytest.importorskip("distributed")
    import dask

    src = tmp_path / "src"
    make_corpus(src, 30)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), \
            distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                     dashboard_address=None) as cluster:
        summary = run([src], FakeTask(crash=("doc-0004.xml",)), tmp_path / "out",
                      scheduler=cluster.scheduler_address)
    assert (summary.ok, summary.failed) == (29, 1)
    [problem] = summary.problems
    assert problem.rule == "worker-crashed" and problem.file.endswith("doc-0004.xml")


def test_a_task_without_outputs_hands_records_back(tmp_path):
    from test_batch_support import RecordTask

    make_corpus(tmp_path / "src", 30)
    records = []
    summary = run([tmp_path / "src"], RecordTask(), None, jobs=2, journal=False,
                  on_result=lambda r: records.append(r.data))
    assert summary.ok == 30 and sorted(r["id"] for r in records) == sorted(f"d{i}" for i in range(30))
    assert os.getpid() not in {r["pid"] for r in records}  # made in worker processes
