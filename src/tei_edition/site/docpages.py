"""The document pages: each written from its record, in worker processes when there are many.

A page is written again only when its key changed: its record, or what it shows of the
rest of the edition (its neighbours' titles, the entries of its mentions, the frame).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from .. import __version__
from ..batch import Outcome, Task
from ..fsutil import digest_bytes
from ..problems import ERROR, Problem
from .files import write_changed
from .letters import has_letters
from .model import DocPage, SiteData
from .pages import entity_data, neighbours, page_document
from .records import RecordStore, page_of


def write_documents(out: Path, site, state, written: list[str], progress, *, jobs=None,
                    scheduler=None) -> list[Problem]:
    """Every document's page and downloads: those whose key changed or whose files are gone are
    written again, from the record; the rest are left as they are. The problems of pages that
    could not be written."""
    from ..batch import FAILED, BatchError, Job, run

    data = site.data
    shared = site_digest(data)
    todo = []
    for i, d in enumerate(data.documents):
        key = page_key(data, i, site.keys[d.id], shared)
        kept = state.pages.get(d.id)
        if kept and kept.get("key") == key and all((out / rel).is_file() for rel in kept.get("files", ())):
            written.extend(kept["files"])
        else:
            todo.append((i, key))
            state.pages.pop(d.id, None)
    if not todo:
        return []
    state.save()  # a build stopped from here on leaves these pages unrecorded: the next one writes them
    keys = {data.documents[i].source: key for i, key in todo}
    problems: list[Problem] = []

    def keep(result) -> None:
        d = data.documents[task.positions[str(result.job.source)]]
        if result.status == FAILED:
            problems.extend(result.problems)
        else:
            written.extend(result.data)
            state.pages[d.id] = {"key": keys[d.source], "files": list(result.data)}
        if progress:
            progress(len(state.pages), len(data.documents), "pages")

    task = PageWriteTask(data, out, site.records.folder, site.keys)
    local = scheduler is not None or bool(site.records.held)  # a cluster's machines, or records held here
    job_list = [Job(Path(data.documents[i].source), data.documents[i].source, explicit=True) for i, _k in todo]
    try:
        summary = run(job_list, task, None, jobs=0 if local else jobs, quiet=True, journal=False,
                      on_result=keep, progress=False)
    except BatchError:  # no worker processes here: this one writes them
        summary = run(job_list, task, None, jobs=0, quiet=True, journal=False, on_result=keep, progress=False)
    if summary.interrupted:
        raise KeyboardInterrupt
    return problems


def write_page(data: SiteData, i: int, out: Path, records: RecordStore, keys: dict[str, str]) -> list[str]:
    """Write the ``i``-th document's page and downloads from its record; their names."""
    d = data.documents[i]
    record = records.get(keys[d.id])
    if record is None:
        raise LookupError(f"the record of {d.id} is gone")
    full = dataclasses.replace(page_of(record), invalid=d.invalid, context=d.context)
    files = []
    for rel, content in page_document(data, i, full):
        write_changed(out, rel, content)
        files.append(rel)
    return files


def site_digest(data: SiteData) -> str:
    """What every document page shows of the edition: its frame, registers, title, count."""
    parts = [__version__, repr(data.edition), repr(data.registers), repr(data.theme), data.base_url, data.banner,
             has_letters(data)]
    return digest_bytes(repr(parts).encode())


def page_key(data: SiteData, i: int, record_key: str, shared: str) -> str:
    """A document page's key: its data, and what it shows of the rest of the edition (its
    neighbours' titles, the entries of its mentions), not its place: a document added or
    removed rewrites its neighbours' pages, not every page after it. (The record's key
    already covers the code and the stylesheets.)"""
    d = data.documents[i]
    prev, nxt = neighbours(data, i)
    entities = entity_data(data, [m.ref for m in d.mentions])
    parts = [record_key, shared, d.invalid, list(d.context), [(p.id, p.title) if p else None for p in (prev, nxt)],
             entities]
    return digest_bytes(json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode())


class PageWriteTask(Task):
    """In a worker: write one document's page and downloads from its record (kept in
    ``SITE.cache/records/``); the file names travel back. What a page shows of the rest of
    the edition is sent once to each worker: the frame and entries, and of each other
    document only what its neighbours' pages show (``documents``), not its mentions and
    dates (5,000 letters' compact facts, pickled for each worker, took ~20 MB here)."""

    name = "document pages"
    extension = None
    reads_input = False  # the record is read, not the TEI file

    def __init__(self, data: SiteData, out: Path, records: Path, keys: dict[str, str]):
        self.frame = dataclasses.replace(data, documents=(), notes=())
        self.documents = tuple((d.id, d.source, d.title, d.invalid, d.corresp, d.context) for d in data.documents)
        self.out, self.records, self.keys = Path(out), Path(records), keys
        self.positions = {d.source: i for i, d in enumerate(data.documents)}
        self._data = data  # in this process; never pickled

    @property
    def data(self) -> SiteData:
        """The edition as a page needs it: here the build's own, in a worker made once from the frame."""
        if self.__dict__.get("_data") is None:
            self._data = dataclasses.replace(self.frame, documents=tuple(
                DocPage(ident, source, title, "", (), "", "", "", "", "", (), "", "", "", "", (), (), (), (), (),
                        invalid=invalid, corresp=corresp, context=context)
                for ident, source, title, invalid, corresp, context in self.documents))
        return self._data

    def __getstate__(self):
        return {**self.__dict__, "_data": None}

    def run(self, path: str, data: bytes) -> Outcome:
        i = self.positions[path]
        try:
            return Outcome.ok(data=write_page(self.data, i, self.out, RecordStore(self.records), self.keys))
        except (OSError, LookupError, ValueError) as exc:
            return Outcome.failed([Problem(path, 1, 1, ERROR, "site-write", f"its page was not written: {exc}")])
