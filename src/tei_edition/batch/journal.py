"""What a previous run produced, by content hash, so an unchanged file is not redone."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..fsutil import digest_bytes, digest_file, sync_folder, write_atomic
from ..problems import WARNING, Problem
from .values import JOURNAL_VERSION, SKIPPED, Job

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
