"""The worker side: a task warmed once per process runs chunks and hands back outcomes."""

from __future__ import annotations

import signal

from .. import __version__
from ..fsutil import digest_bytes
from ..problems import ERROR, Problem
from . import tasks
from .tasks import Task
from .values import Outcome

_WORKER_TASK: Task | None = None
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
    global _WORKER_TASK, _WORKER_ERROR
    _WORKER_TASK, tasks._IN_POOL_WORKER = task, True
    _WORKER_ERROR = _warm(task)


def _setup_failed(items, problem: Problem) -> list:
    return [(idx, "", Outcome.failed([problem])) for idx, _path, _data in items]


def _internal(path: str, exc: Exception) -> Outcome:
    return Outcome.failed([Problem(path, 0, 0, ERROR, "internal-error", f"{type(exc).__name__}: {exc}")])


def _run_items(task: Task, items: list[tuple[int, str, bytes | None]]) -> list[tuple[int, str, Outcome]]:
    """Read (unless given), hash and run a chunk; a bug in one file's handling never ends the batch."""
    from ..loader import read_bytes

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
