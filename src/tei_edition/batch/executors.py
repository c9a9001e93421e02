"""Where chunks run: in this process, on a pool of spawned processes (this one helping), or on
a Dask cluster; a crashed worker's chunk is retried file by file."""

from __future__ import annotations

import signal
import threading
import time
from collections import deque
from typing import Callable

from ..problems import ERROR, Problem
from .tasks import Task
from .values import CHUNK_MAX, MAX_CRASHES, WORKER_START_SECONDS, BatchError, Outcome
from .worker import _crash_outcome, _dask_chunk, _init_worker, _run_chunk, _run_items, _setup_failed, _warm

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

    from ..loader import read_bytes

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
