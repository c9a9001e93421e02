"""The values a run passes around: jobs, a task's outcome, results, the summary; and the
constants that tune a run."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from ..problems import Problem

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


class BatchError(Exception):
    """A run could not start at all (bad output folder, folder busy, no scheduler)."""



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
        from ..problems import Report

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
