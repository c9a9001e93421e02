"""Corpus-scale runs: plan, journal, workers, atomic writes, progress, summary.

The shape of a run, left to right::

    plan(inputs, out_dir)  ->  journal says what is unchanged  ->  chunks of jobs
      -> worker processes (or a Dask cluster) run a Task on each file and return text
      -> the parent writes outputs atomically and records them in the journal
      -> Summary

This package knows nothing of any format or schema: the work done on one file
is a :class:`Task`; :class:`TransformTask` and :class:`ValidateTask` adapt the
library's ``transform`` and ``validate``.

Modules, each importing only those above it: ``values`` (jobs, outcomes, the summary,
constants), ``planning``, ``journal``, ``tasks``, ``worker`` (a worker process's side),
``executors`` (in-process, pool, Dask), ``progress`` (bar and printed summary), ``runner``.
The names below are re-exported; a test that replaces one must patch the module that looks
it up (``executors._execute_local``, ``executors.WORKER_START_SECONDS``, ``runner.run``).
"""

from __future__ import annotations

from .executors import _chunked, _execute_inline, _execute_local, _execute_shared
from .journal import Journal, dep_digest
from .planning import plan
from .progress import print_summary
from .runner import run, run_transform, run_validate
from .tasks import Task, TransformTask, ValidateTask
from .values import (CHECKPOINT_SECONDS, CHUNK_MAX, FAILED, JOURNAL_NAME, JOURNAL_VERSION, MAX_CRASHES, OK,
                     SKIPPED, SMALL_RUN, UNCHANGED, WORKER_START_SECONDS, BatchError, Job, Outcome, Result,
                     Summary)
from .worker import _run_chunk, _run_items

__all__ = [
    "Job", "Outcome", "Result", "Summary", "Task", "TransformTask", "ValidateTask",
    "Journal", "plan", "run", "run_transform", "run_validate", "print_summary",
    "BatchError", "JOURNAL_NAME",
]
