"""A run from inputs to a Summary: the journal consulted, outputs written atomically, and the
entry points the commands use."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence

from ..fsutil import FolderBusy, folder_lock, holds_exactly, is_inside, remove_temp_files, write_atomic
from ..problems import ERROR, Problem
from .executors import _connect, _execute_dask, _execute_inline, _execute_local, _execute_shared, _Stop
from .journal import Journal
from .planning import plan
from .progress import _Progress
from .tasks import Task, TransformTask, ValidateTask, _locate_id
from .values import (CHECKPOINT_SECONDS, FAILED, JOURNAL_NAME, OK, SKIPPED, SMALL_RUN, UNCHANGED,
                     BatchError, Job, Outcome, Result, Summary)

def run(inputs: Iterable[str | os.PathLike] | Sequence[Job], task: Task,
        out_dir: str | os.PathLike | None = None, *, jobs: int | None = None, force: bool = False,
        quiet: bool = False, scheduler=None, progress: bool | None = None,
        journal: str | os.PathLike | None | bool = True,
        on_result: Callable[[Result], None] | None = None) -> Summary:
    """Run ``task`` over every input file; write outputs under ``out_dir``; return a Summary.

    ``jobs``: worker processes (default: CPU count, or this process for under SMALL_RUN files;
    0 = in this process).
    ``scheduler``: a ``tcp://host:port`` address or a ``distributed.Client``.
    ``journal``: True = ``out_dir/.tei-edition-journal.json``; a path; or False/None.
    Raises :class:`BatchError` only when the run cannot start.
    """
    start = time.monotonic()
    inputs = list(inputs)
    job_list = inputs if inputs and all(isinstance(j, Job) for j in inputs) else plan(
        inputs, out_dir, extension=task.extension if out_dir is not None else None)
    out = Path(out_dir) if out_dir is not None else None
    if out is not None and task.extension is None:
        raise BatchError(f"the {task.name} task writes no files; drop the output folder")
    if out is not None:
        if out.exists() and not out.is_dir():
            raise BatchError(f"the output path {out} exists and is not a folder")
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BatchError(f"cannot create the output folder {out}: {exc.strerror or exc}") from None
    if journal is True:
        journal_path = out / JOURNAL_NAME if out is not None else None
    else:
        journal_path = Path(journal) if journal else None
    workers = (os.cpu_count() or 1) if jobs is None else max(0, int(jobs))
    lock = folder_lock(out) if out is not None else _null_context()
    try:
        with lock:
            return _run_locked(job_list, task, out, journal_path, workers, force, quiet, scheduler,
                               progress, on_result, start, auto_jobs=jobs is None)
    except FolderBusy as exc:
        raise BatchError(str(exc)) from None


class _null_context:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _run_locked(job_list, task, out, journal_path, workers, force, quiet, scheduler, progress,
                on_result, start, auto_jobs=False) -> Summary:
    removed = remove_temp_files(out) if out is not None else 0
    journal = Journal.load(journal_path)
    fingerprint = task.fingerprint()
    counts = {OK: 0, FAILED: 0, SKIPPED: 0, UNCHANGED: 0}
    reported: list[Result] = []

    def finish(result: Result) -> None:
        counts[result.status] += 1
        if result.status in (FAILED, SKIPPED) or result.problems:
            reported.append(result)
        if on_result is not None:
            on_result(result)

    items = []
    for idx, job in enumerate(job_list):
        if not force and journal.is_current(job, fingerprint):
            finish(Result(job, UNCHANGED, note=journal.entries[job.key].get("note", "")))
        else:
            items.append((idx, str(job.source), None))

    # the cluster first: an unreachable one is reported before any progress bar is drawn
    client, owned = _connect(scheduler) if scheduler is not None and items else (None, False)
    show = (not quiet) and (sys.stderr.isatty() if progress is None else progress)
    bar = _Progress(len(items), task.name, show)
    last_save = [time.monotonic()]

    def emit(idx: int, input_hash: str, outcome: Outcome) -> None:
        job = job_list[idx]
        status, problems, note = outcome.status, outcome.problems, outcome.note
        if status == FAILED and not job.explicit and [p.rule for p in problems] == ["not-tei"]:
            status, note, problems = SKIPPED, "not a TEI document", ()  # other XML in a folder
        if status == OK and job.output is not None:
            written = _write_output(job, out, outcome.text or "")
            if isinstance(written, Problem):
                status, problems = FAILED, problems + (written,)
            else:
                journal.record(job, fingerprint, input_hash, OK, written, deps=outcome.deps)
        elif status == OK:
            journal.record(job, fingerprint, input_hash, OK, deps=outcome.deps)
        elif status == SKIPPED and input_hash:
            journal.record(job, fingerprint, input_hash, SKIPPED, note=note)
        else:
            journal.forget(job)
        finish(Result(job, status, problems, note, outcome.data))
        bar.advance()
        now = time.monotonic()
        # checkpoints cost O(files); space them so they take at most ~5% of the run
        if now - last_save[0] > max(CHECKPOINT_SECONDS, 20 * journal.save_seconds):
            journal.save()  # a kill -9 later loses at most a few seconds of work; failures: see below
            last_save[0] = now

    interrupted = False
    with _Stop() as stop:
        try:
            if not items:
                pass
            elif client is not None:
                _execute_dask(task, fingerprint, items, client, owned, emit, stop)
            elif workers == 0 or (auto_jobs and len(items) < SMALL_RUN):
                _execute_inline(task, items, emit, stop)
            elif task.parent_helps:
                _execute_shared(task, items, min(workers, len(items)), emit, stop)
            else:
                _execute_local(task, items, min(workers, len(items)), emit, stop)
        except KeyboardInterrupt:  # a second Ctrl-C: stop waiting for running items
            stop.requested = True
        finally:
            bar.close()
            note = journal.save()
        interrupted = stop.requested
    return Summary(counts[OK], counts[FAILED], counts[SKIPPED], counts[UNCHANGED],
                   time.monotonic() - start, tuple(reported), interrupted, removed,
                   workers, notes=(note,) if note else ())


def _write_output(job: Job, out: Path, text: str) -> bytes | Problem:
    """Write one output atomically, only inside ``out``; return the bytes written."""
    target = job.output
    assert target is not None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not is_inside(target, out):
            return Problem(str(job.source), 0, 0, ERROR, "output-path",
                           f"refusing to write {target}: it leads outside the output folder {out}")
        if target.exists() and os.path.samefile(target.parent, job.source.parent) \
                and target.name == job.source.name:
            return Problem(str(job.source), 0, 0, ERROR, "output-path",
                           f"refusing to overwrite the input file {job.source}")
        data = text.encode("utf-8")
        if not holds_exactly(target, data):  # a --force rebuild leaves identical outputs alone
            write_atomic(target, data, durable=False)
        return data
    except OSError as exc:
        return Problem(str(job.source), 0, 0, ERROR, "io",
                       f"cannot write {target}: {exc.strerror or exc}")


# --- entry points for the commands ------------------------------------------

def run_transform(inputs, out_dir, fmt: str, params: dict | None = None, jobs: int | None = None,
                  force: bool = False, quiet: bool = False, scheduler=None, *,
                  progress: bool | None = None) -> Summary:
    """Transform every TEI file under ``inputs`` to ``fmt``, mirroring the tree into ``out_dir``."""
    task = TransformTask(fmt, params)
    return run(inputs, task, out_dir, jobs=jobs, force=force, quiet=quiet, scheduler=scheduler,
               progress=progress)


def run_validate(inputs=None, schemas=None, jobs: int | None = None, quiet: bool = False, scheduler=None,
                 *, progress: bool | None = None, chunk: int | None = None,
                 notes: Callable[[str], None] | None = None, **options) -> Summary:
    """Validate every TEI file under ``inputs`` in worker processes (nothing is written).

    Chunks are validated as ``validate`` would; duplicate ``xml:id``s between
    files of different chunks are found here, from the ids each worker sends back.
    ``summary.report()`` gives the sorted Report.
    ``chunk``: files per ``validate`` call, fixed (default: guided, 100 to 200).
    ``notes``: ``validate``'s progress callback, for ``jobs=0`` only (it stays in this process).
    """
    from dataclasses import replace

    from ..config import DEFAULT, discover

    if inputs is None:
        from ..resources import edition_dir

        inputs = [edition_dir()]
    elif isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    config = options.get("config", "auto")
    if config == "auto":
        config = discover(inputs)
    options["config"] = config = config or DEFAULT  # found once here, not once per chunk
    across = config.unique_ids == "edition"
    status: dict[str, Result] = {}
    found_ids: dict[str, tuple] = {}

    def collect(result: Result) -> None:
        source = str(result.job.source)
        status[source] = Result(result.job, result.status, result.problems, result.note)
        found_ids[source] = result.data or ()

    roots = [p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in map(os.fspath, inputs)]
    # validate() reports every XML file it finds, a non-TEI one too: no job is skipped for that
    job_list = [dataclasses.replace(job, explicit=True) for job in plan(list(inputs))]
    task = ValidateTask(schemas, options, roots)
    if chunk:
        task.chunk_max = task.chunk_min = chunk
    if notes is not None and jobs == 0:
        task.options["progress"] = notes  # never pickled: jobs=0 runs every chunk here
    summary = run(job_list, task, None, jobs=jobs, quiet=quiet,
                  scheduler=scheduler, progress=progress, journal=False, on_result=collect)
    # Results arrive in any order; the first file to carry an id is the first in the run's order.
    first_seen: dict[str, tuple[str, int]] = {}
    duplicates: dict[str, list[Problem]] = {}
    for source in (str(job.source) for job in job_list) if across else ():
        for value, line in found_ids.get(source, ()):
            if value not in first_seen:
                first_seen[value] = (source, line)
                continue
            other, other_line = first_seen[value]
            if other == source:
                continue  # within one file: the schema and Schematron say so already
            line, col, where = _locate_id(source, value, line)
            other_line = _locate_id(other, value, other_line)[0]
            rel = os.path.relpath(other, os.path.dirname(source))
            duplicates.setdefault(source, []).append(Problem(
                source, line, col, ERROR, "id-unique",
                f"xml:id \"{value}\" is already used at {rel} (line {other_line}); "
                "every xml:id must be unique across the edition", where))

    ok, failed = summary.ok, summary.failed
    changed: dict[str, Result] = {}
    for source, found in duplicates.items():
        before = status[source]
        known = {(p.file, p.line, p.col, p.rule) for p in before.problems}
        extra = tuple(p for p in found if (p.file, p.line, p.col, p.rule) not in known)
        if not extra:
            continue
        if before.status == OK:
            ok, failed = ok - 1, failed + 1
        changed[source] = Result(before.job, FAILED, before.problems + extra, before.note)
    results = [changed.pop(str(r.job.source), r) for r in summary.results] + list(changed.values())
    results = _declarations_once(results, [str(job.source) for job in job_list])
    return replace(summary, ok=ok, failed=failed, results=tuple(results),
                   sources=tuple(sorted(status)))


_DECLARED = re.compile(r"; declared by (?:this file|this file and (?P<more>\d+) more)(?P<tail>, .*)$")
_UNCHECKED = re.compile(r"; (?P<n>\d+) file\(s\) not checked against it \((?P<names>[^()]*?)(?: and \d+ more)?\)"
                        r"(?P<tail>, only by .*)$")


def _counted(p: Problem):
    """``(stem, files counted, match)`` for a problem that each chunk reports once with a count of
    files: an unusable declared schema, or a schema that does not compile."""
    m = _DECLARED.search(p.message)
    if m:
        return p.message[:m.start()], 1 + int(m.group("more") or 0), m
    m = _UNCHECKED.search(p.message)
    if m:
        return p.message[:m.start()], int(m.group("n")), m
    return None


def _recount(stem: str, total: int, m: re.Match) -> str:
    if m.re is _DECLARED:
        files = "this file" if total == 1 else f"this file and {total - 1} more"
        return f"{stem}; declared by {files}{m.group('tail')}"
    names = m.group("names").split(", ")[:3]
    more = f" and {total - len(names)} more" if total > len(names) else ""
    return f"{stem}; {total} file(s) not checked against it ({', '.join(names)}{more}){m.group('tail')}"


def _declarations_once(results: list[Result], order: list[str]) -> list[Result]:
    """Each chunk reports an unusable schema once; across chunks, keep it once too: on the
    first file in run order, counting every file of every chunk."""
    rank = {source: i for i, source in enumerate(order)}
    found: dict[tuple, list[tuple[int, Problem, re.Match]]] = {}
    for result in results:
        for p in result.problems:
            counted = _counted(p)
            if counted:
                stem, n, m = counted
                found.setdefault((p.rule, stem), []).append((n, p, m))
    if not any(len(places) > 1 for places in found.values()):
        return results
    keep: dict[Problem, Problem] = {}
    drop: set[Problem] = set()
    for (_rule, stem), places in found.items():
        places.sort(key=lambda item: rank.get(item[1].file, len(rank)))
        first, m = places[0][1], places[0][2]
        keep[first] = dataclasses.replace(first, message=_recount(stem, sum(n for n, _, _ in places), m))
        drop.update(p for _, p, _ in places[1:])
    return [Result(r.job, r.status, tuple(keep.get(p, p) for p in r.problems if p not in drop), r.note)
            for r in results]
