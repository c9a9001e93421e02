"""The edition-wide facts, read one file at a time: ``gather(paths)``.

Every file goes through the loader once and is let go: what the edition-wide pages
and the workers need of it is kept (its kind, its register entries, its id, date and
the files its transforms draw on), never its tree. So memory follows the facts, not
the edition (5,000 letters' trees were most of a 566 MB build). The registers' model
(for their data files and their problems) is fed the same files on the way.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .. import loader
from ..fsutil import digest_bytes, iter_xml_files
from ..loader import Document
from ..problems import Problem
from .documents import header_date, series_title
from .entries import merge_entries


@dataclass(frozen=True)
class Head:
    """A document as the edition-wide steps know it before its page is made."""

    path: Path
    id: str                 # its xml:id, or ''
    root: Path              # the folder it was found under (or the project file's)
    date: str               # the header's date, for the reading order
    series: str             # the series title it names
    digest: str             # of its bytes
    deps: tuple = ()        # (path, digest) of the files beside it its transforms draw on


@dataclass
class Gathered:
    """What ``gather`` found: the documents' heads, the edition file (the one tree kept),
    register entries merged by id, the registers' model, and the files that could not be read."""

    heads: list[Head] = field(default_factory=list)
    edition: Document | None = None
    entries: dict = field(default_factory=dict)
    registers: object = None
    notes: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file read, documents or not


def gather(paths: Iterable, config, progress=None) -> Gathered:
    """Read every XML file under ``paths`` once, keeping the facts (see the module's doc)."""
    from ..batch.tasks import _context_deps
    from ..edition import classify
    from ..registers.collect import _Collector

    found = Gathered()
    named = {str(p) for p in config.register_files()}  # the project file's registers get no page
    collector = _Collector(None)
    files = list(iter_xml_files(paths))
    for n, (path, root) in enumerate(files, 1):
        if progress and n % 200 == 0:
            progress(n, len(files), "reading")
        raw = loader.read_bytes(path)
        doc = raw if isinstance(raw, Problem) else loader.parse_bytes(raw, str(path))
        if isinstance(doc, Problem):  # not well-formed or not TEI: an error, and the build exits 1
            found.notes.append(dataclasses.replace(doc, message=f"{doc.message}; left out of the site"))
            continue
        found.files.append(str(doc.path))
        merge_entries(found.entries, doc)
        collector.add(doc, os.path.abspath(root))
        kind = "register" if str(doc.path.resolve()) in named else classify(doc)
        if kind == "edition" and found.edition is None:
            found.edition = doc
        elif kind == "document":
            found.heads.append(Head(doc.path, doc.id or "", Path(config.root) if config.root else Path(root),
                                    header_date(doc), series_title(doc), digest_bytes(raw),
                                    tuple(tuple(d) for d in _context_deps(doc))))
    found.registers = collector.finish()
    return found
