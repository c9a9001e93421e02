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
import sys
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
    signatures: dict = field(default_factory=dict)  # path -> register_signature
    digests: dict = field(default_factory=dict)  # path -> digest of the bytes read


def gather(paths: Iterable, config, progress=None, cache: Path | None = None) -> Gathered:
    """Read every XML file under ``paths`` once, keeping the facts (see the module's doc).

    ``cache`` (a file in ``SITE.cache/``): the facts of the last build. A file with the
    bytes it had then is not parsed; a changed one is, and when what it gives the registers
    (its entries, its pointers, its prefixDefs, where they stand) is as it was, the
    registers' model is not made again (``registers`` is None: its data files and problems
    are those of the last build). Otherwise every file is read anew.
    """
    files = list(iter_xml_files(paths))
    digests = [_digest(path) for path, _root in files]  # the bytes are let go: a changed file is read again
    kept = _kept_facts(cache, files, digests, config)
    if kept is not None:
        found, facts = kept
    else:
        found, facts = _gather(files, config, progress), None
        digests = [found.digests.get(str(path)) for path, _root in files]  # as read for its facts
    if cache is not None:
        _keep_facts(cache, found, files, digests, config, facts)
    return found


def _digest(path) -> str | None:
    raw = loader.read_bytes(path)
    return None if isinstance(raw, Problem) else digest_bytes(raw)


def _kind(doc: Document, config) -> str:
    from ..edition import classify

    named = config.__dict__.get("_named_registers")
    if named is None:  # the project file's registers get no page
        named = {str(p) for p in config.register_files()}
        object.__setattr__(config, "_named_registers", named)  # once per build, not once per file
    return "register" if str(doc.path.resolve()) in named else classify(doc)


def _head(doc: Document, root, digest: str, config) -> Head:
    from ..batch.tasks import _context_deps

    return _shared(Head(doc.path, doc.id or "", Path(config.root) if config.root else Path(root), header_date(doc),
                        series_title(doc), digest, tuple(tuple(d) for d in _context_deps(doc))))


_ROOTS: dict[str, Path] = {}


def _shared(head: Head) -> Head:
    """``head`` with what every document of a folder repeats held once: its root, its series,
    the files beside it and their digests (the registers', for letters)."""
    root = _ROOTS.setdefault(str(head.root), head.root)
    deps = tuple((sys.intern(path), sys.intern(digest)) for path, digest in head.deps)
    return dataclasses.replace(head, root=root, series=sys.intern(head.series), deps=deps)


def register_signature(doc: Document, kind: str) -> str:
    """What a file gives the registers' model and the entries, and where: a changed file with
    the same signature changes neither."""
    from lxml import etree

    from ..registers.read import MENTION_TAGS, entry_elements

    entries = [[el.sourceline, etree.tostring(el, encoding="unicode")] for el, _k, _t in entry_elements(doc.root)]
    pointers = [[el.get("ref"), el.get("corresp")] for el in doc.root.iter(*MENTION_TAGS)
                if el.get("ref") is not None or el.get("corresp") is not None]
    prefixes = [etree.tostring(el, encoding="unicode") for el in doc.root.iter(f"{{{loader.TEI_NS}}}prefixDef")]
    return digest_bytes(json.dumps([kind, doc.id, entries, pointers, prefixes], ensure_ascii=False).encode())


def _gather(files, config, progress) -> Gathered:
    from ..registers.collect import _Collector

    found = Gathered()
    collector = _Collector(None)
    for n, (path, root) in enumerate(files, 1):
        if progress and n % 200 == 0:
            progress(n, len(files), "reading")
        raw = loader.read_bytes(path)
        digest = None if isinstance(raw, Problem) else digest_bytes(raw)
        found.digests[str(path)] = digest
        doc = raw if isinstance(raw, Problem) else loader.parse_bytes(raw, path)
        if isinstance(doc, Problem):  # not well-formed or not TEI: an error, and the build exits 1
            found.notes.append(dataclasses.replace(doc, message=f"{doc.message}; left out of the site"))
            continue
        found.files.append(str(doc.path))
        merge_entries(found.entries, doc)
        collector.add(doc, os.path.abspath(root))
        kind = _kind(doc, config)
        found.signatures[str(path)] = register_signature(doc, kind)
        if kind == "edition" and found.edition is None:
            found.edition = doc
        elif kind == "document":
            found.heads.append(_head(doc, root, digest, config))
    found.registers = collector.finish()
    found.notes.extend(found.registers.problems)
    return found


FACTS_VERSION = 2


def _signature(files, config) -> str:
    from .. import __version__
    from ..batch.tasks import _code_digest

    return digest_bytes(json.dumps([FACTS_VERSION, __version__, _code_digest("site", "registers", "edition.py"),
                                    str(config.root or ""), sorted(map(str, config.register_files())),
                                    [[str(p), str(r)] for p, r in files]]).encode())


def _keep_facts(cache: Path, found: Gathered, files, digests, config, facts: dict | None) -> None:
    """Write what the next build needs (see :func:`gather`)."""
    facts = {
        "signature": _signature(files, config),
        "digests": {str(p): d for (p, _r), d in zip(files, digests)},
        "signatures": found.signatures,
        "heads": {str(h.path): [h.id, str(h.root), h.date, h.series, [d[0] for d in h.deps]] for h in found.heads},
        "entries": (facts or {}).get("entries") or [dataclasses.asdict(e) for e in found.entries.values()],
        "edition": str(found.edition.path) if found.edition is not None else "",
        "notes": [p.to_dict() for p in found.notes], "files": found.files,
    }
    try:
        write_atomic(cache, json.dumps(facts, ensure_ascii=False), durable=False)
    except OSError:
        pass  # the next build reads the files again


def _kept_facts(cache: Path | None, files, digests, config) -> tuple[Gathered, dict] | None:
    from ..batch.journal import dep_digest

    if cache is None or None in digests:
        return None
    try:
        facts = json.loads(Path(cache).read_text(encoding="utf-8"))
        if facts.get("signature") != _signature(files, config):
            return None  # a file added, removed or moved, the project file or the code changed
        found = Gathered(notes=[Problem(**p) for p in facts["notes"]], files=list(facts["files"]))
        found.signatures = dict(facts["signatures"])
        for (path, root), digest in zip(files, digests):
            key = str(path)
            if facts["digests"].get(key) == digest:
                if key in facts["heads"]:
                    ident, head_root, date, series, deps = facts["heads"][key]
                    # the files a document draws on are hashed again: they may be outside the edition
                    found.heads.append(_shared(Head(Path(key), ident, Path(head_root), date, series, digest,
                                                    tuple((d, dep_digest(d)) for d in deps if dep_digest(d)))))
                continue
            doc = loader.try_load(path)  # changed: read, and its register signature compared
            if isinstance(doc, Problem):
                return None
            kind = _kind(doc, config)
            if register_signature(doc, kind) != found.signatures.get(key):
                return None
            if kind == "document":
                found.heads.append(_head(doc, root, digest, config))
        for e in facts["entries"]:
            entry = entry_from_json(e)
            found.entries[entry.id] = entry
        if facts["edition"]:
            edition = loader.try_load(facts["edition"])
            if isinstance(edition, Problem):
                return None
            found.edition = edition
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # a cache that cannot be read only costs reading the files
    return found, facts


def entry_from_json(d: dict) -> Entry:
    def tuples(value):
        return tuple(tuples(v) for v in value) if isinstance(value, list) else value
    return Entry(**{k: tuples(v) for k, v in d.items()})
