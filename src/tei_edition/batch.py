"""Corpus-scale runs: plan, journal, workers, atomic writes, progress, summary.

The shape of a run, left to right::

    plan(inputs, out_dir)  ->  journal says what is unchanged  ->  chunks of jobs
      -> worker processes (or a Dask cluster) run a Task on each file and return text
      -> the parent writes outputs atomically and records them in the journal
      -> Summary

This module knows nothing of any format or schema: the work done on one file
is a :class:`Task`; :class:`TransformTask` and :class:`ValidateTask` adapt the
library's ``transform`` and ``validate``.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sys
import threading
import time
from collections import deque
import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Sequence

from . import __version__
from .fsutil import (
    TMP_PREFIX,
    FolderBusy,
    digest_bytes,
    digest_file,
    digest_tree,
    display_path,
    folder_lock,
    holds_exactly,
    is_inside,
    iter_xml_files,
    remove_temp_files,
    sync_folder,
    write_atomic,
)
from .problems import ERROR, WARNING, Problem, echo_once

JOURNAL_NAME = ".tei-edition-journal.json"
JOURNAL_VERSION = 2
CHUNK_MAX = 50  # ~3 ms of Dask overhead per task and a pipe round trip per chunk
CHECKPOINT_SECONDS = 1.0
MAX_CRASHES = 5  # pool breaks in a row, with nothing done between, before giving up on the rest
SMALL_RUN = 12  # with the default --jobs, fewer files than this run in-process: a worker's start costs more
# A spawned worker is ready 0.13-0.19 s after it is asked for (Python, imports, schemas; idle
# 2-core machine), later while this process works beside it, and the pool takes time to start
# and stop: with under a second of work left, runs with a worker measured no faster.
WORKER_START_SECONDS = 1.0

OK = "ok"
FAILED = "failed"
SKIPPED = "skipped"
UNCHANGED = "unchanged"

__all__ = [
    "Job", "Outcome", "Result", "Summary", "Task", "TransformTask", "ValidateTask",
    "Journal", "plan", "run", "run_transform", "run_validate", "print_summary",
    "BatchError", "JOURNAL_NAME",
]


class BatchError(Exception):
    """A run could not start at all (bad output folder, folder busy, no scheduler)."""


# --- values -----------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    """One input file and where its output goes (``output`` is None for checks)."""

    source: Path
    rel: str  # the input's path relative to the input root, POSIX style
    output: Path | None = None
    explicit: bool = False  # named on the command line rather than found in a folder

    @property
    def key(self) -> str:
        """The journal key: the output's path relative to the output folder, else ``rel``."""
        if self.output is None:
            return self.rel
        return Path(self.rel).with_suffix(self.output.suffix).as_posix()


@dataclass(frozen=True)
class Outcome:
    """What a task returns for one file: the output text, or why there is none."""

    status: str  # OK, FAILED or SKIPPED
    text: str | None = None
    problems: tuple[Problem, ...] = ()
    note: str = ""
    # other files the result was made from (registers, the edition file): (path, sha256)
    deps: tuple[tuple[str, str], ...] = ()
    data: object = None  # anything else the task hands to the parent (e.g. the file's xml:ids)

    @classmethod
    def ok(cls, text: str | None = None, problems: Sequence[Problem] = (),
           deps: Sequence[tuple[str, str]] = (), data: object = None) -> "Outcome":
        return cls(OK, text, tuple(problems), "", tuple(deps), data)

    @classmethod
    def failed(cls, problems: Sequence[Problem]) -> "Outcome":
        return cls(FAILED, None, tuple(problems))

    @classmethod
    def skipped(cls, note: str, problems: Sequence[Problem] = ()) -> "Outcome":
        return cls(SKIPPED, None, tuple(problems), note)


@dataclass(frozen=True)
class Result:
    job: Job
    status: str  # OK, FAILED, SKIPPED or UNCHANGED
    problems: tuple[Problem, ...] = ()
    note: str = ""
    data: object = field(default=None, compare=False, repr=False)  # the task's extra, if any


@dataclass(frozen=True)
class Summary:
    """Counts and timing of a run, plus every result worth reporting."""

    ok: int = 0
    failed: int = 0
    skipped: int = 0
    unchanged: int = 0
    elapsed: float = 0.0
    results: tuple[Result, ...] = ()  # failed, skipped and results carrying warnings
    interrupted: bool = False
    removed_temp_files: int = 0
    jobs: int = 1
    sources: tuple[str, ...] = ()  # every input checked (filled by run_validate)
    notes: tuple[Problem, ...] = ()  # about the run itself, not one file (the journal could not be saved)

    @property
    def total(self) -> int:
        return self.ok + self.failed + self.skipped + self.unchanged

    @property
    def processed(self) -> int:
        return self.ok + self.failed + self.skipped

    @property
    def docs_per_s(self) -> float:
        return self.processed / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def exit_code(self) -> int:
        if self.interrupted:
            return 130
        return 1 if self.failed else 0

    @property
    def problems(self) -> tuple[Problem, ...]:
        return tuple(p for r in self.results for p in r.problems) + self.notes

    def report(self):
        """The problems as a sorted :class:`~tei_edition.problems.Report` (as ``validate`` gives)."""
        from .problems import Report

        return Report.of(self.problems, self.sources or {str(r.job.source) for r in self.results})

    def line(self) -> str:
        rate = f" ({self.docs_per_s:.0f} docs/s)" if self.processed else ""  # none when all were unchanged
        text = (f"{self.ok} ok, {self.failed} failed, {self.skipped} skipped, "
                f"{self.unchanged} unchanged in {self.elapsed:.2f} s{rate}")
        return text + (" — interrupted" if self.interrupted else "")

    def to_dict(self) -> dict:
        return {
            "ok": self.ok, "failed": self.failed, "skipped": self.skipped, "unchanged": self.unchanged,
            "elapsed": round(self.elapsed, 3), "docs_per_s": round(self.docs_per_s, 1),
            "interrupted": self.interrupted,
            "problems": [p.to_dict() for p in self.problems],
            "skipped_files": [{"file": str(r.job.source), "note": r.note}
                              for r in self.results if r.status == SKIPPED],
        }


# --- tasks ------------------------------------------------------------------

class Task:
    """The work done on one file inside a worker process.

    Subclasses are top-level classes holding only plain values: they are pickled
    into spawned workers (and Dask workers), where :meth:`warm` runs once.
    """

    name = "task"
    extension: str | None = None  # output suffix, or None when the task writes nothing
    # May the parent process run chunks too? Only for tasks without native code that
    # could crash it (a worker's crash is retried and quarantined; the parent's is not).
    parent_helps = False
    # Does run() need the file's bytes? Reading and hashing them is wasted on a task that
    # reads its files itself and keeps no journal (validate).
    reads_input = True
    chunk_max = CHUNK_MAX  # the largest chunk; larger for a task whose every call has a fixed cost
    chunk_min = 1  # the smallest chunk that guided scheduling shrinks to

    def fingerprint(self) -> str:
        """Everything besides the input file that decides the result (stylesheets, params...)."""
        return f"{type(self).__module__}.{type(self).__qualname__} {__version__}"

    def warm(self) -> None:
        """Compile stylesheets or schemas once per worker process."""

    def run(self, path: str, data: bytes) -> Outcome:
        raise NotImplementedError

    def run_chunk(self, items: list[tuple[str, bytes]]) -> list[Outcome]:
        """A whole chunk at once, for tasks that share work between files (default: one by one)."""
        return [self.run(path, data) for path, data in items]


def _code_digest(*names: str) -> str:
    """The package's own modules that shape a result: a changed transform.py rebuilds too."""
    here = Path(__file__).resolve().parent
    return digest_bytes("".join((digest_file(here / n) or digest_tree(here / n)) for n in names).encode())


def _sorted_params(params: dict | None) -> str:
    return json.dumps(params or {}, sort_keys=True, default=str)


_DEP_DIGESTS: dict[tuple, str | None] = {}


def _beside(path: str | os.PathLike) -> bool:
    """True when ``path`` is, after links, still in its own folder (context files never lead out)."""
    folder = os.path.realpath(os.path.dirname(os.path.abspath(path)))
    return os.path.dirname(os.path.realpath(path)) == folder


def dep_digest(path: str | os.PathLike) -> str | None:
    """A worker's cached content hash of a shared input (a register read by many documents)."""
    try:
        link, st = os.lstat(path), os.stat(path)
    except OSError:
        return None
    # the name itself (a link swapped?) and what it leads to (content changed?) form the key
    key = (os.fspath(path), link.st_ino, link.st_mtime_ns, st.st_ino, st.st_size, st.st_mtime_ns)
    if key not in _DEP_DIGESTS:
        _DEP_DIGESTS[key] = digest_file(path) if _beside(path) else None
    return _DEP_DIGESTS[key]


def _context_deps(doc) -> list[tuple[str, str]]:
    """The files next to a document that its output may draw on: the edition file and every
    file it points to. A cheap superset of what ``transform`` reads as context."""
    from .transform import _pointed_files

    folder = os.fspath(doc.path.parent)
    names = {"edition.xml", *_pointed_files(doc, reuse=True)}  # transform() has just scanned it
    names.discard(doc.path.name)
    deps = []
    for name in sorted(names):
        path = os.path.join(folder, name)
        digest = dep_digest(path)
        if digest:
            deps.append((path, digest))
    return deps


class TransformTask(Task):
    """``transform(document, fmt, params)`` on each file; the output is its text.

    Registers and the edition file a document draws names and titles from are
    recorded as its dependencies, so editing ``persons.xml`` rebuilds the pages.
    """

    name = "transform"

    def __init__(self, fmt: str, params: dict | None = None, extension: str | None = None):
        self.fmt = fmt
        self.params = {k: str(v) for k, v in (params or {}).items()}
        self.extension = extension or _format_extension(fmt)

    def _stylesheet_dir(self) -> Path:
        from .resources import xslt_dir

        return xslt_dir()

    def fingerprint(self) -> str:
        return digest_bytes("\n".join([
            super().fingerprint(), self.fmt, _sorted_params(self.params),
            digest_tree(self._stylesheet_dir()),
            _code_digest("loader.py", "xslt.py", "formats.py", "transform.py"),
        ]).encode())

    def warm(self) -> None:
        from . import formats, xslt

        # A pool worker only ever runs this task: one stylesheet lets it start sooner.
        # Any other process (this one, a Dask worker) may run other formats later.
        xslt.warm([formats.get(self.fmt).stylesheet] if _IN_POOL_WORKER else None)

    def run(self, path: str, data: bytes) -> Outcome:
        from .loader import parse_bytes
        from .transform import TransformError, skip_reason, transform

        doc = parse_bytes(data, path)
        if isinstance(doc, Problem):
            return Outcome.failed([doc])
        reason = skip_reason(doc)
        if reason:
            return Outcome.skipped(reason)
        try:
            text = transform(doc, self.fmt, self.params or None)
        except TransformError as exc:
            return Outcome.failed([exc.problem])
        return Outcome.ok(text, deps=_context_deps(doc))


def _format_extension(fmt: str) -> str:
    from . import formats

    return formats.get(fmt).extension


class ValidateTask(Task):
    """``validate(chunk, schemas)`` in workers; nothing is written, problems are reported.

    Each chunk is validated together, so registers are read once per chunk and
    pointers into other files are followed as in a serial run. Each file's
    ``xml:id``s come back to the parent, which finds duplicates across chunks.
    """

    name = "validate"
    extension = None
    parent_helps = True  # lxml, Python, Saxon for xslt2 Schematron, and jing in a process of its own
    chunk_max = 200  # each validate() call costs ~10 ms of its own (registers, schemas, report)
    # and one that checks RELAX NG starts jing, a JVM of about a second (tei_all, every foreign
    # edition's fallback): chunks shrinking to a few files each started one (725 letters: 46 s with
    # --jobs 2, against 11 s in one process)
    chunk_min = 100
    reads_input = False  # validate() reads the chunk's files (and the registers) itself

    def __init__(self, schemas: Sequence[str] | None = None, options: dict | None = None,
                 roots: Sequence[str | os.PathLike] | None = None):
        self.schemas = [str(s) for s in schemas] if schemas else None
        self.options = dict(options or {})
        # the folders given, so a chunk's pointers may reach as far as in a serial run
        self.roots = [os.path.abspath(r) for r in roots] if roots else None

    def fingerprint(self) -> str:
        from .resources import schema_dir

        extra = [digest_file(s) or s for s in self.schemas or ()]
        return digest_bytes("\n".join([
            super().fingerprint(), _sorted_params({"schemas": self.schemas, **self.options}),
            digest_tree(schema_dir()), *extra,
            _code_digest("loader.py", "edition.py", "validation"),
        ]).encode())

    def warm(self) -> None:
        from .validation import validate

        validate([], self.schemas, **self.options)  # imports and compiles what it can

    def run(self, path: str, data: bytes) -> Outcome:
        return self.run_chunk([(path, data)])[0]

    def run_chunk(self, items: list[tuple[str, bytes]]) -> list[Outcome]:
        import inspect

        from .validation import validate

        paths = [path for path, _ in items]
        accepted = inspect.signature(validate).parameters
        extra: dict = {}
        found_ids: dict | None = None
        if "roots" in accepted and self.roots:
            extra["roots"] = self.roots
        if "ids" in accepted:
            extra["ids"] = found_ids = {}
        report = validate(paths, self.schemas, **self.options, **extra)
        by_file: dict[str, list[Problem]] = {}
        keys = {os.path.abspath(p): p for p in paths}
        for problem in report.problems:
            owner = keys.get(os.path.abspath(problem.file), paths[0])
            by_file.setdefault(owner, []).append(problem)
        outcomes = []
        for path, _data in items:
            problems = tuple(by_file.get(path, ()))
            ids = found_ids.get(os.path.abspath(path), ()) if found_ids is not None else _ids_of(path)
            if any(p.severity == ERROR for p in problems):
                outcomes.append(Outcome(FAILED, None, problems, data=ids))
            else:
                outcomes.append(Outcome(OK, None, problems, data=ids))
        return outcomes


def _ids_of(path: str) -> tuple[tuple[str, int], ...]:
    """``(xml:id, line)`` of every id in a file, for the cross-chunk check (columns come later,
    only for the rare duplicate)."""
    from .loader import XML_ID, try_load

    doc = try_load(path)
    if isinstance(doc, Problem):
        return ()
    return tuple((el.get(XML_ID), el.sourceline or 0) for el in doc.root.iter()
                 if isinstance(el.tag, str) and el.get(XML_ID) is not None)


def _locate_id(path: str, value: str, line: int) -> tuple[int, int, str | None]:
    """Line, column and element path of an ``xml:id`` attribute, as the validator reports it."""
    from .loader import XML_ID, try_load

    doc = try_load(path)
    if isinstance(doc, Problem):
        return line, 0, None
    try:
        from .validation.locate import Locator, simple_path
    except ImportError:  # pragma: no cover
        return line, 0, None
    for el in doc.root.iter():
        if isinstance(el.tag, str) and el.get(XML_ID) == value and (el.sourceline or 0) == line:
            found_line, col = Locator(doc).attribute(el, "xml:id")
            return found_line, col, f"{simple_path(el)}/@xml:id"
    return line, 0, None


# --- planning ---------------------------------------------------------------

def plan(inputs: Iterable[str | os.PathLike], out_dir: str | os.PathLike | None = None,
         fmt: str | None = None, *, extension: str | None = None) -> list[Job]:
    """Turn files and folders into jobs whose outputs mirror the input tree.

    One folder: outputs mirror paths below it. Several inputs: below their
    common folder, so two inputs never map to the same output. Names never
    come from ``xml:id`` or titles. Hidden files, temporary files and anything
    inside ``out_dir`` are left out; symlinks leaving a folder are not followed.
    """
    inputs = [Path(p) for p in inputs]
    if out_dir is not None and extension is None and fmt is not None:
        extension = _format_extension(fmt)
    out_abs = Path(os.path.abspath(out_dir)) if out_dir is not None else None
    found: list[tuple[Path, Path, bool]] = []
    for given in inputs:
        explicit = not given.is_dir()
        for file, root in iter_xml_files([given]):
            found.append((Path(os.path.abspath(file)), Path(os.path.abspath(root)), explicit))
    if not found:
        return []
    roots = {root for _, root, _ in found}
    base = roots.pop() if len(roots) == 1 else Path(os.path.commonpath([str(r) for r in roots | {found[0][1]}]))
    jobs: list[Job] = []
    seen: set[str] = set()
    for file, _, explicit in found:
        if out_abs is not None and file.is_relative_to(out_abs):
            continue  # our own outputs when OUT lies inside the input folder
        if file.name.startswith(TMP_PREFIX):
            continue
        rel = file.relative_to(base).as_posix()
        if rel in seen:
            continue
        seen.add(rel)
        output = None
        if out_abs is not None:
            output = out_abs / Path(rel).with_suffix(extension or ".out")
        jobs.append(Job(file, rel, output, explicit))
    return jobs


# --- the journal ------------------------------------------------------------

def _input_root(job: Job) -> str:
    """The folder ``job.rel`` is relative to."""
    return str(Path(os.path.abspath(job.source)).parents[len(Path(job.rel).parts) - 1])


class Journal:
    """Content hashes of what a previous run produced, kept in ``OUT/.tei-edition-journal.json``.

    An entry says: this output came from an input with this SHA-256, under a
    task with this fingerprint (stylesheets/schemas, params, version), drawing
    on these context files (registers) with these SHA-256s, and the output has
    this SHA-256. Timestamps play no part. Sets of context files are shared
    between entries in a ``contexts`` table, so the journal stays small.
    """

    def __init__(self, path: Path | None, entries: dict | None = None, contexts: dict | None = None):
        self.path = path
        self.entries: dict[str, dict] = entries or {}
        self.contexts: dict[str, dict[str, str]] = contexts or {}
        self.dirty = False
        self.save_seconds = 0.0
        self._dep_digests: dict[str, str | None] = {}  # shared inputs, hashed once per run

    @classmethod
    def load(cls, path: str | os.PathLike | None) -> "Journal":
        if path is None:
            return cls(None)
        path = Path(path)
        try:
            data = json.loads(path.read_text("utf-8"))
            if data.get("version") == JOURNAL_VERSION and isinstance(data.get("entries"), dict):
                # keep only well-formed entries: a hand-edited journal must not break a run
                entries = {k: v for k, v in data["entries"].items()
                           if isinstance(v, dict) and all(isinstance(x, (str, int)) for x in v.values())}
                contexts = {k: v for k, v in (data.get("contexts") or {}).items()
                            if isinstance(v, dict) and all(isinstance(x, str) for x in v.values())}
                return cls(path, entries, contexts)
        except (OSError, ValueError, AttributeError):
            pass  # missing or unreadable: everything is rebuilt
        return cls(path)

    def is_current(self, job: Job, fingerprint: str) -> bool:
        entry = self.entries.get(job.key)
        if not entry or entry.get("task") != fingerprint:
            return False
        if entry.get("input") != digest_file(job.source):
            return False
        context = self.contexts.get(entry.get("context", ""), None) if "context" in entry else {}
        if context is None:
            return False
        root = _input_root(job)
        for dep, digest in context.items():
            dep = os.path.normpath(os.path.join(root, dep))  # recorded relative to the input root
            if dep not in self._dep_digests:
                self._dep_digests[dep] = digest_file(dep) if _beside(dep) else None
            if self._dep_digests[dep] != digest:
                return False
        if entry.get("status") == SKIPPED or job.output is None:
            return True
        output = job.output
        if output.is_symlink() or not output.is_file():
            return False
        try:
            if output.stat().st_size != entry.get("size"):
                return False
        except OSError:
            return False
        return digest_file(output) == entry.get("output")

    def record(self, job: Job, fingerprint: str, input_hash: str, status: str,
               output_bytes: bytes | None = None, note: str = "",
               deps: Sequence[tuple[str, str]] = ()) -> None:
        entry = {"source": job.rel, "task": fingerprint, "input": input_hash, "status": status}
        if deps:
            # relative to the input root: the journal sits in the output folder, which gets
            # published, and must carry nothing of this machine (no absolute path, no user name)
            root = _input_root(job)
            pairs = dict(sorted((Path(os.path.relpath(dep, root)).as_posix(), digest) for dep, digest in deps))
            key = digest_bytes(json.dumps(pairs).encode())[:16]
            self.contexts.setdefault(key, pairs)
            entry["context"] = key
        if output_bytes is not None:
            entry["output"] = digest_bytes(output_bytes)
            entry["size"] = len(output_bytes)
        if note:
            entry["note"] = note
        self.entries[job.key] = entry
        self.dirty = True

    def forget(self, job: Job) -> None:
        if self.entries.pop(job.key, None) is not None:
            self.dirty = True

    def save(self) -> Problem | None:
        """Write the journal atomically; a failure (a full disk) is returned, never raised."""
        if self.path is None or not self.dirty:
            return None
        start = time.monotonic()
        used = {e["context"] for e in self.entries.values() if "context" in e}
        payload = {"version": JOURNAL_VERSION, "tool": f"tei-edition {__version__}",
                   "contexts": {k: v for k, v in self.contexts.items() if k in used},
                   "entries": self.entries}
        try:
            sync_folder(self.path.parent)  # outputs reach the disk before the journal names them
            write_atomic(self.path, json.dumps(payload, separators=(",", ":")))
        except OSError as exc:
            self.save_seconds = time.monotonic() - start
            return Problem(str(self.path), 0, 0, WARNING, "journal",
                           f"cannot save the journal ({exc.strerror or exc}); the next run rebuilds "
                           "what this one made")
        self.dirty = False
        self.save_seconds = time.monotonic() - start
        return None


# --- workers ----------------------------------------------------------------

_WORKER_TASK: Task | None = None
_IN_POOL_WORKER = False  # set in processes started by _execute_local, which serve one task
_WORKER_ERROR: Problem | None = None
_WARM: dict[str, tuple[Task, Problem | None]] = {}


def _warm(task: Task) -> Problem | None:
    """Warm a task; a failure (say, a stylesheet that does not compile) becomes a Problem."""
    try:
        task.warm()
    except Exception as exc:
        problem = getattr(exc, "problem", None)
        if isinstance(problem, Problem):
            return problem
        return Problem("<worker>", 0, 0, ERROR, "task-setup", f"{type(exc).__name__}: {exc}")
    return None


def _init_worker(task: Task) -> None:
    # Ctrl-C reaches the whole process group; the parent decides, workers finish their item
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    global _WORKER_TASK, _WORKER_ERROR, _IN_POOL_WORKER
    _WORKER_TASK, _IN_POOL_WORKER = task, True
    _WORKER_ERROR = _warm(task)


def _setup_failed(items, problem: Problem) -> list:
    return [(idx, "", Outcome.failed([problem])) for idx, _path, _data in items]


def _internal(path: str, exc: Exception) -> Outcome:
    return Outcome.failed([Problem(path, 0, 0, ERROR, "internal-error", f"{type(exc).__name__}: {exc}")])


def _run_items(task: Task, items: list[tuple[int, str, bytes | None]]) -> list[tuple[int, str, Outcome]]:
    """Read (unless given), hash and run a chunk; a bug in one file's handling never ends the batch."""
    from .loader import read_bytes

    results: list[tuple[int, str, Outcome]] = []
    ready: list[tuple[int, str, bytes, str]] = []
    for idx, path, data in items:
        if data is None and not task.reads_input:
            ready.append((idx, path, b"", ""))
            continue
        if data is None:
            data = read_bytes(path)
            if isinstance(data, Problem):
                results.append((idx, "", Outcome.failed([data])))
                continue
        ready.append((idx, path, data, digest_bytes(data)))
    if type(task).run_chunk is not Task.run_chunk and ready:
        try:
            outcomes = task.run_chunk([(path, data) for _, path, data, _ in ready])
        except Exception as exc:
            outcomes = [_internal(path, exc) for _, path, _, _ in ready]
        results += [(idx, digest, outcome) for (idx, _, _, digest), outcome in zip(ready, outcomes)]
        return results
    for idx, path, data, digest in ready:
        try:
            outcome = task.run(path, data)
        except Exception as exc:
            outcome = _internal(path, exc)
        results.append((idx, digest, outcome))
    return results


def _run_chunk(items: list[tuple[int, str, bytes | None]]) -> list[tuple[int, str, Outcome]]:
    """Worker side: run the warmed task on a chunk, return strings and problems."""
    task = _WORKER_TASK
    assert task is not None, "worker not initialised"
    if _WORKER_ERROR is not None:
        return _setup_failed(items, _WORKER_ERROR)
    return _run_items(task, items)


def _dask_chunk(task: Task, fingerprint: str, items: list[tuple[int, str, bytes | None]]):
    """Dask worker side: warm the task once per worker process, then run the chunk."""
    key = f"{type(task).__qualname__}:{fingerprint}"
    if key not in _WARM:
        if task.fingerprint() != fingerprint:
            return _setup_failed(items, Problem(
                "<worker>", 0, 0, ERROR, "worker-mismatch",
                "the worker's stylesheets or schemas differ from the client's; "
                f"install the same tei-edition ({__version__}) on every worker"))
        _WARM[key] = (task, _warm(task))
    warm, error = _WARM[key]
    if error is not None:
        return _setup_failed(items, error)
    return _run_items(warm, items)


def _crash_outcome(path: str, detail: str) -> Outcome:
    return Outcome.failed([Problem(path, 0, 0, ERROR, "worker-crashed",
                                   f"a worker process died while handling this file ({detail}); "
                                   "it was retried once alone and is now quarantined")])


# --- executors --------------------------------------------------------------

class _Stop:
    """Turns the first Ctrl-C into a request to stop; a second one aborts at once."""

    def __init__(self):
        self.requested = False
        self._previous = None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def _handle(self, signum, frame):
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc):
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
        return False


def _chunked(items: list, workers: int, most: int = CHUNK_MAX, least: int = 1) -> list[list]:
    """Chunks of at most ``most`` that shrink towards the end (guided scheduling), to no fewer
    than ``least``: every worker gets work early, and none is left with a long last chunk
    while the others idle."""
    chunks, i = [], 0
    while i < len(items):
        size = max(1, least, min(most, -(-(len(items) - i) // (workers * 4))))
        chunks.append(items[i:i + size])
        i += size
    return chunks


def _pool_context():
    import multiprocessing as mp

    return mp.get_context("spawn")  # no fork: saxonche runs native threads


def _execute_shared(task: Task, items: list, workers: int, emit: Callable, stop: _Stop) -> None:
    """``workers`` processes at work, this one included, for tasks whose ``parent_helps``.

    This process starts at once; worker processes are started only when more than
    WORKER_START_SECONDS of work is left (judged on the second chunk), so a small run is
    never slower than in-process.
    """
    if _warm(task) is not None:
        _execute_inline(task, items, emit, stop)  # reports the setup failure on every file
        return
    chunks = deque(_chunked(items, workers, CHUNK_MAX, task.chunk_min))  # small at first: the second is measured
    per_file, ran = None, 0  # seconds a file, from the latest chunk but the first (it compiles schemas)
    alone = False
    while chunks and not stop.requested:
        if per_file is not None and not alone:
            if workers > 1 and sum(map(len, chunks)) * per_file > WORKER_START_SECONDS:
                break
            # This process alone from here: chunks of about half a second, since each call
            # of the task has a cost of its own (~10 ms for validate), yet progress still moves.
            alone, rest = True, [item for chunk in chunks for item in chunk]
            size = max(task.chunk_max, int(0.5 / max(per_file, 1e-6)))
            chunks = deque(rest[i:i + size] for i in range(0, len(rest), size))
        chunk = chunks.popleft()
        start = time.monotonic()
        for result in _run_items(task, chunk):
            emit(*result)
        if ran:
            per_file = (time.monotonic() - start) / len(chunk)
        ran += 1
    if chunks and not stop.requested:
        _execute_local(task, [item for chunk in chunks for item in chunk], workers - 1, emit, stop,
                       parent=True)


def _execute_local(task: Task, items: list, workers: int, emit: Callable, stop: _Stop,
                   parent: bool = False) -> None:
    """Chunks on a pool of ``workers`` spawned processes; with ``parent`` (a warmed task)
    this process takes chunks from the back of the queue between results."""
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    def make_pool():
        return ProcessPoolExecutor(max_workers=workers, mp_context=_pool_context(),
                                   initializer=_init_worker, initargs=(task,))

    pending = deque(_chunked(items, workers + parent, task.chunk_max, task.chunk_min))
    suspects: list = []
    crashes = 0  # breaks in a row with no result in between

    def give_up(rest) -> None:
        for idx, path, _ in rest:
            emit(idx, "", Outcome.failed([Problem(path, 0, 0, ERROR, "worker-crashed",
                                                  f"not run: worker processes crashed {MAX_CRASHES} times "
                                                  "in a row (is the installation broken?)")]))

    pool = make_pool()
    try:
        in_flight: dict = {}
        while (pending or in_flight) and not stop.requested:
            if crashes >= MAX_CRASHES:
                give_up([item for chunk in pending for item in chunk] + suspects)
                return
            broken = False
            while pending and len(in_flight) < workers * 2:
                try:
                    future = pool.submit(_run_chunk, pending[0])
                except BrokenProcessPool:  # it broke before a future could tell us
                    broken = True
                    break
                in_flight[future] = pending.popleft()
            if parent and pending and not broken:
                for result in _run_items(task, pending.pop()):
                    emit(*result)
                done = {future for future in in_flight if future.done()}
            else:
                done, _ = wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = in_flight.pop(future)
                try:
                    results = future.result()
                except BrokenProcessPool:
                    suspects.extend(chunk)
                    broken = True
                    continue
                crashes = 0
                for result in results:
                    emit(*result)
            if broken:
                crashes += 1  # every other chunk in flight fails with it; retry them alone later
                for future, chunk in in_flight.items():
                    try:
                        results = future.result()
                    except BrokenProcessPool:
                        suspects.extend(chunk)
                        continue
                    for result in results:
                        emit(*result)
                in_flight.clear()
                pool.shutdown(wait=True)
                if not stop.requested:
                    pool = make_pool()
        if stop.requested:  # running chunks finish, queued ones are cancelled
            for future in in_flight:
                future.cancel()
            for future, chunk in in_flight.items():
                if future.cancelled():
                    continue
                try:
                    for result in future.result():
                        emit(*result)
                except BrokenProcessPool:
                    pass
            return
        # one by one, so a crash names its file exactly
        crashes = 0
        for n, item in enumerate(suspects):
            if stop.requested:
                return
            if crashes >= MAX_CRASHES:
                give_up(suspects[n:])
                return
            try:
                results = pool.submit(_run_chunk, [item]).result()
            except BrokenProcessPool:
                crashes += 1
                pool.shutdown(wait=True)
                pool = make_pool()
                idx, path, _ = item
                emit(idx, "", _crash_outcome(path, "the process pool broke"))
                continue
            crashes = 0
            for result in results:
                emit(*result)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _execute_inline(task: Task, items: list, emit: Callable, stop: _Stop) -> None:
    error = _warm(task)
    if error is not None:
        for result in _setup_failed(items, error):
            emit(*result)
        return
    for chunk in _chunked(items, 1, task.chunk_max, task.chunk_min):
        if stop.requested:
            return
        for result in _run_items(task, chunk):
            emit(*result)


def _connect(scheduler):
    try:
        from distributed import Client
    except ImportError:
        raise BatchError("--scheduler needs Dask: pip install 'tei-edition[dask]'") from None
    if not isinstance(scheduler, str):
        return scheduler, False  # a Client (or cluster address object) given by the caller
    try:
        return Client(scheduler, timeout="10s", set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise BatchError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None


def _execute_dask(task: Task, fingerprint: str, items: list, client, owned: bool, emit: Callable,
                  stop: _Stop) -> None:
    from concurrent.futures import FIRST_COMPLETED, wait

    from .loader import read_bytes

    executor = client.get_executor(pure=False)  # concurrent.futures futures over Dask ones
    try:
        workers = max(1, sum(client.nthreads().values()))
        pending = deque(_chunked(items, workers, task.chunk_max, task.chunk_min))
        suspects: list = []

        def with_data(chunk):
            # workers may be other machines: the client reads, ships bytes, gets text back
            out = []
            for idx, path, _ in chunk:
                data = read_bytes(path)
                if isinstance(data, Problem):
                    emit(idx, "", Outcome.failed([data]))
                else:
                    out.append((idx, path, data))
            return out

        def submit(chunk):
            chunk = with_data(chunk)
            return executor.submit(_dask_chunk, task, fingerprint, chunk) if chunk else None, chunk

        in_flight: dict = {}
        while (pending or in_flight) and not stop.requested:
            while pending and len(in_flight) < workers * 3:
                future, chunk = submit(pending.popleft())
                if future is not None:
                    in_flight[future] = chunk
            if not in_flight:
                continue
            done, _ = wait(in_flight, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                chunk = in_flight.pop(future)
                try:
                    results = future.result()
                except Exception:  # KilledWorker after repeated crashes, or a lost worker
                    suspects.extend(chunk)
                    continue
                for result in results:
                    emit(*result)
        if stop.requested:  # the oldest chunks (one per worker) are running: let them finish
            running = list(in_flight)[:workers]
            for future in list(in_flight)[workers:]:
                future.cancel()
            for future in running:
                try:
                    for result in future.result():
                        emit(*result)
                except Exception:
                    pass
            return
        for item in suspects:
            if stop.requested:
                return
            try:
                results = executor.submit(_dask_chunk, task, fingerprint, [item]).result()
            except Exception as exc:
                emit(item[0], "", _crash_outcome(item[1], type(exc).__name__))
                continue
            for result in results:
                emit(*result)
    finally:
        if owned:
            client.close()


# --- progress ---------------------------------------------------------------

class _Progress:
    def __init__(self, total: int, label: str, enabled: bool):
        self.bar = None
        self.start = time.monotonic()
        self.done = 0
        if enabled and total:
            import click

            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True,
                                         show_eta=True, item_show_func=self._rate)
            self.bar.__enter__()

    def _rate(self, _item):
        elapsed = time.monotonic() - self.start
        return f"{self.done / elapsed:.0f} docs/s" if elapsed > 0 and self.done else None

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n, self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


# --- the run ----------------------------------------------------------------

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

    from .config import DEFAULT, discover

    if inputs is None:
        from .resources import edition_dir

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


def print_summary(summary: Summary, *, quiet: bool = False, file=None) -> None:
    """Print every problem (``file:line:col: …``) and, unless quiet, the closing summary line."""
    import click

    err = file is None

    def shown(problem: Problem) -> str:
        return str(dataclasses.replace(problem, file=display_path(problem.file)))

    lines = []
    for result in summary.results:
        for problem in result.problems:
            if problem.severity == ERROR or not quiet:
                lines.append(shown(problem))
        if result.status == SKIPPED and not quiet and not result.problems:
            lines.append(f"tei-edition: note: {display_path(result.job.source)}: skipped: {result.note}")
    echo_once(lines, lambda line: click.echo(line, err=err, file=file))
    for problem in summary.notes:
        click.echo(shown(problem), err=err, file=file)
    if summary.removed_temp_files and not quiet:
        click.echo(f"removed {summary.removed_temp_files} temporary file(s) left by an interrupted run",
                   err=err, file=file)
    if summary.total == 0 and not summary.interrupted and not quiet:
        click.echo("tei-edition: note: no *.xml files found in the inputs", err=err, file=file)
    if not quiet or summary.failed or summary.interrupted:
        click.echo(summary.line(), err=err, file=file)
