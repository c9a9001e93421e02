"""Tasks used by the batch tests: importable by name in spawned and Dask workers.

``FakeTask`` stands in for a stylesheet: it needs the hardened loader like
the real transform, and can be told to be slow or to crash in native code.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tei_edition.batch import Outcome, Task, TransformTask
from tei_edition.fsutil import digest_tree
from tei_edition.loader import parse_bytes
from tei_edition.problems import Problem


class FakeTask(Task):
    name = "fake"
    extension = ".txt"

    def __init__(self, deps: str | None = None, delay: float = 0.0, crash: tuple[str, ...] = (),
                 crash_once_dir: str | None = None):
        self.deps = deps  # a folder standing in for the stylesheets
        self.delay = delay
        self.crash = tuple(crash)
        self.crash_once_dir = crash_once_dir

    def fingerprint(self) -> str:
        return super().fingerprint() + (digest_tree(self.deps) if self.deps else "")

    def run(self, path: str, data: bytes) -> Outcome:
        name = Path(path).name
        if name in self.crash:
            if self.crash_once_dir is None:
                os.kill(os.getpid(), signal.SIGSEGV)
            marker = Path(self.crash_once_dir, name)
            if not marker.exists():
                marker.write_text("crashed once")
                os.kill(os.getpid(), signal.SIGSEGV)
        if self.delay:
            time.sleep(self.delay)
        doc = parse_bytes(data, path)
        if isinstance(doc, Problem):
            return Outcome.failed([doc])
        words = " ".join("".join(doc.root.itertext()).split())
        return Outcome.ok(f"{doc.id}\n{words}\n")


class CrashingTransform(TransformTask):
    """The real transform task, with a segfault on the named file."""

    def __init__(self, fmt: str, crash: str):
        super().__init__(fmt)
        self.crash = crash

    def run(self, path: str, data: bytes) -> Outcome:
        if Path(path).name == self.crash:
            os.kill(os.getpid(), signal.SIGSEGV)
        return super().run(path, data)


class RecordTask(Task):
    """Writes nothing: returns a small picklable record per file (as a site builder would)."""

    name = "record"

    def run(self, path: str, data: bytes) -> Outcome:
        doc = parse_bytes(data, path)
        if isinstance(doc, Problem):
            return Outcome.failed([doc])
        return Outcome.ok(data={"id": doc.id, "pid": os.getpid()})
