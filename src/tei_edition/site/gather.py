"""The edition-wide facts, read one file at a time: ``gather(paths)``.

Every file goes through the loader once and is let go: what the edition-wide pages
and the workers need of it is kept (its kind, its register entries, its id, date and
the files its transforms draw on), never its tree. So memory follows the facts, not
the edition (5,000 letters' trees were most of a 566 MB build). The registers' model
(for their data files and their problems) is fed the same files on the way.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .. import loader
from ..fsutil import digest_bytes, iter_xml_files, write_atomic
from ..loader import Document
from ..problems import Problem
from .documents import header_date, series_title
from .entries import merge_entries
from .model import Entry


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


def gather(paths: Iterable, config, progress=None, cache: Path | None = None) -> Gathered:
    """Read every XML file under ``paths`` once, keeping the facts (see the module's doc).

    ``cache`` (a file in ``SITE.cache/``): when every file has the bytes it had at the
    last build, the facts kept there are used and no file is parsed; the registers'
    model is then not made (``registers`` is None: its data files cannot have changed).
    """
    files = list(iter_xml_files(paths))
    raws = [loader.read_bytes(path) for path, _root in files]
    digests = [None if isinstance(raw, Problem) else digest_bytes(raw) for raw in raws]
    kept = _kept_facts(cache, files, digests, config)
    if kept is not None:
        return kept
    found = _gather(files, raws, digests, config, progress)
    if cache is not None:
        _keep_facts(cache, found, files, digests, config)
    return found


def _gather(files, raws, digests, config, progress) -> Gathered:
    from ..batch.tasks import _context_deps
    from ..edition import classify
    from ..registers.collect import _Collector

    found = Gathered()
    named = {str(p) for p in config.register_files()}  # the project file's registers get no page
    collector = _Collector(None)
    for n, ((path, root), raw, digest) in enumerate(zip(files, raws, digests), 1):
        if progress and n % 200 == 0:
            progress(n, len(files), "reading")
        doc = raw if isinstance(raw, Problem) else loader.parse_bytes(raw, path)
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
                                    header_date(doc), series_title(doc), digest,
                                    tuple(tuple(d) for d in _context_deps(doc))))
    found.registers = collector.finish()
    found.notes.extend(found.registers.problems)
    return found


FACTS_VERSION = 1


def _signature(files, digests, config) -> str:
    from .. import __version__
    from ..batch.tasks import _code_digest

    return digest_bytes(json.dumps([FACTS_VERSION, __version__, _code_digest("site", "registers", "edition.py"),
                                    str(config.root or ""), sorted(map(str, config.register_files())),
                                    [[str(p), str(r), d] for (p, r), d in zip(files, digests)]]).encode())


def _keep_facts(cache: Path, found: Gathered, files, digests, config) -> None:
    """Write what the next build needs when no file changed (see :func:`gather`)."""
    facts = {
        "signature": _signature(files, digests, config),
        "heads": [[str(h.path), h.id, str(h.root), h.date, h.series, h.digest, [d[0] for d in h.deps]]
                  for h in found.heads],
        "entries": [dataclasses.asdict(e) for e in found.entries.values()],
        "edition": str(found.edition.path) if found.edition is not None else "",
        "notes": [p.to_dict() for p in found.notes], "files": found.files,
    }
    try:
        write_atomic(cache, json.dumps(facts, ensure_ascii=False), durable=False)
    except OSError:
        pass  # the next build reads the files again


def _kept_facts(cache: Path | None, files, digests, config) -> Gathered | None:
    from ..batch.journal import dep_digest

    if cache is None or None in digests:
        return None
    try:
        facts = json.loads(Path(cache).read_text(encoding="utf-8"))
        if facts.get("signature") != _signature(files, digests, config):
            return None
        found = Gathered(notes=[Problem(**p) for p in facts["notes"]], files=list(facts["files"]))
        for e in facts["entries"]:
            entry = entry_from_json(e)
            found.entries[entry.id] = entry
        for path, ident, root, date, series, digest, deps in facts["heads"]:
            # the files a document draws on are hashed again: they may be outside the edition
            found.heads.append(Head(Path(path), ident, Path(root), date, series, digest,
                                    tuple((d, dep_digest(d)) for d in deps if dep_digest(d))))
        if facts["edition"]:
            edition = loader.try_load(facts["edition"])
            if isinstance(edition, Problem):
                return None
            found.edition = edition
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # a cache that cannot be read only costs reading the files
    return found


def entry_from_json(d: dict) -> Entry:
    def tuples(value):
        return tuple(tuples(v) for v in value) if isinstance(value, list) else value
    return Entry(**{k: tuples(v) for k, v in d.items()})
