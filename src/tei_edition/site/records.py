"""Each document's page data, made in a worker and kept between builds.

A worker loads one document, runs its transforms and citations, and makes its page
data (reading text with links, mentions, dates, downloads): a *record*. The parent
keeps only the record's compact facts; the record itself goes to ``SITE.cache/records/``
and is read back when the page is written.

A record is found by the document's transform key (its bytes, the files its transforms
draw on, stylesheets, code, parameters) and holds what it looked up of the edition: the
register entries and documents its pointers named, found or not. It is reused while
every one of those lookups would still answer the same, so a new entry elsewhere, or a
document added, does not make every page again.
"""

from __future__ import annotations

import base64
import dataclasses
import functools
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, NamedTuple

from .. import loader
from ..batch import Outcome, Task
from ..fsutil import TMP_PREFIX, digest_bytes, write_atomic
from ..problems import ERROR, Problem
from .model import DateMention, DocPage, EditionInfo, Entry, Mention

RECORD_VERSION = 1


class Seen:
    """A read-only view of a mapping that writes down every key asked of it and what it
    answered (``fingerprint`` of the value, None when absent), so a record knows what it
    used. A view, not a copy: the edition's entries are not copied for every document."""

    def __init__(self, data: dict, fingerprint=lambda v: v):
        self._data, self._fp = data, fingerprint
        self.asked: dict[str, object] = {}

    def _note(self, key, value):
        if isinstance(key, str):
            self.asked[key] = None if value is None else self._fp(value)
        return value

    def __contains__(self, key) -> bool:
        return self._note(key, self._data.get(key)) is not None

    def __getitem__(self, key):
        return self._note(key, self._data[key])

    def get(self, key, default=None):
        value = self._note(key, self._data.get(key))
        return default if value is None else value


def entry_fingerprint(e: Entry) -> list:
    """What a document's page data takes from an entry: where it links, and its kind."""
    return [e.href, e.kind]


def still_answers(asked: dict, current: dict, fingerprint=lambda v: v) -> bool:
    """Would ``current`` answer every lookup of ``asked`` as it was answered?"""
    for key, was in asked.items():
        value = current.get(key)
        now = None if value is None else fingerprint(value)
        if (list(now) if isinstance(now, tuple) else now) != was:
            return False
    return True


@dataclass
class PageContext:
    """What every worker needs of the edition to make a document's page data (sent once)."""

    index: dict[str, Entry]
    doc_ids: dict[str, str]
    summaries: dict[str, str]
    names: dict[str, str]             # path -> page name
    keys: dict[str, str]              # path -> transform key
    roots: dict[str, str]             # path -> input root
    base_url: str = ""
    project: dict = field(default_factory=dict)
    edition_path: str = ""
    edition: EditionInfo = field(default_factory=EditionInfo)
    cache: str = ""                   # SITE.cache/, where a worker on this machine keeps outputs

    @functools.cached_property
    def known(self) -> dict:
        """Every id a pointer may name (made once per process, not once per document)."""
        return known_ids(self.index, self.doc_ids)


class PageTask(Task):
    """In a worker: one document's record (see the module's doc). Nothing is written into
    the site: a worker on this machine keeps the record in ``SITE.cache/records/`` and
    sends back its summary; one on a cluster sends the whole record in ``Outcome.data``."""

    name = "pages"
    extension = None

    def __init__(self, context: PageContext):
        self.context = context

    def fingerprint(self) -> str:
        return f"{super().fingerprint()} {self.context.base_url} {sorted(self.context.project.items())}"

    def warm(self) -> None:
        try:
            from .. import xslt
        except ImportError:
            return
        xslt.warm()

    def _edition_doc(self):
        cached = self.__dict__.get("_edition_doc_")
        if cached is None and self.context.edition_path:
            cached = loader.try_load(self.context.edition_path)
            cached = None if isinstance(cached, Problem) else cached
            self.__dict__["_edition_doc_"] = cached
        return cached

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_edition_doc_", None)  # a tree is not sent; each worker loads its own
        return state

    def run(self, path: str, data: bytes) -> Outcome:
        doc = loader.parse_bytes(data, path)
        if isinstance(doc, Problem):
            return Outcome.failed([doc])
        record = make_record(doc, self.context, self._edition_doc())
        if self.context.cache:  # a worker on this machine keeps the record itself: only its summary travels
            kept = RecordStore(Path(self.context.cache) / "records").write(record["key"], record)
            if kept:
                return Outcome.ok(data={"summary": summary_of(record)})
        return Outcome.ok(data=record)


def make_record(doc, ctx: PageContext, edition_doc=None) -> dict:
    """One document's record: its page data and what it looked up (see the module's doc)."""
    from ..edition import Edition
    from .cache import CitationCache, TransformCache
    from .documents import document_page, pointer_resolver
    from .transforms import transform_outputs

    path = str(doc.path)
    name = ctx.names.get(path) or doc.id or doc.path.stem
    params = {**ctx.project, "document-id": name}
    key = ctx.keys.get(path)
    cache = TransformCache(Path(ctx.cache) / "transforms") if ctx.cache else None
    outputs = cache.get(key) if cache else None
    if outputs is None:
        citations = CitationCache(Path(ctx.cache) / "citations") if ctx.cache else None
        outputs = transform_outputs(doc, ctx.base_url, params, citations=citations)
        if cache:
            cache.put(key, outputs)
    pointers = Edition()
    if edition_doc is not None:
        pointers.add(edition_doc.path, edition_doc)
    pointers.add(doc.path, doc, ctx.roots.get(path))
    index = Seen(ctx.index, entry_fingerprint)
    doc_ids = Seen(ctx.doc_ids)
    known = Seen(ctx.known)
    resolve, missed = pointer_resolver(pointers, doc, known)
    page, notes = document_page(doc, index, doc_ids, ctx.summaries.get(name, ""), base_url=ctx.base_url,
                                edition=ctx.edition, name=name, outputs=outputs, project=ctx.project,
                                resolve=resolve)
    # correspContext's previous and next letter, as page names (where they are in the edition)
    page = dataclasses.replace(page, context=tuple(doc_ids.get(resolve(t) or "", "") if t else ""
                                                   for t in page.context))
    return {
        "version": RECORD_VERSION, "key": key, "page": page_to_json(page),
        "citations": [list(c) for c in (outputs or {}).get("citations") or []],
        "cite": str((outputs or {}).get("citation-key") or ""),  # its entry in SITE.cache/citations/
        "notes": [p.to_dict() for p in notes],
        "missed": {i: [n, *first_pointer(doc, resolve, i)] for i, n in dict(missed).items()},
        "asked": {"index": index.asked, "doc_ids": doc_ids.asked, "known": known.asked},
    }


def first_pointer(doc, resolve, ident: str) -> tuple[int, int]:
    """Line and column of the first ``ref`` or ``corresp`` of ``doc`` that names ``ident``."""
    from ..validation.locate import Locator

    for el in doc.root.iter():
        tokens = f"{el.get('ref') or ''} {el.get('corresp') or ''}".split() if isinstance(el.tag, str) else ()
        if any(resolve(t) == ident for t in tokens):
            return Locator(doc).element(el)
    return 1, 1


def known_ids(index: dict, doc_ids: dict) -> dict:
    """Every id a pointer may name: entries' and documents' (as ``make_record`` asks them)."""
    return {**dict.fromkeys(doc_ids, True), **dict.fromkeys(index, True)}


def record_valid(record: dict, index: dict, doc_ids: dict, known: dict | None = None) -> bool:
    """Is a kept record still what its document would make, given today's entries and documents?
    (``known``: :func:`known_ids`, made once for many records.)"""
    asked = record.get("asked") or {}
    known = known if known is not None else known_ids(index, doc_ids)
    return (record.get("version") == RECORD_VERSION
            and still_answers(asked.get("index") or {}, index, entry_fingerprint)
            and still_answers(asked.get("doc_ids") or {}, doc_ids)
            and still_answers(asked.get("known") or {}, known))


def page_to_json(page: DocPage) -> dict:
    from .documents import page_dict  # dataclasses.asdict's value, without its deep copies

    out = page_dict(page)
    out["xml"] = base64.b64encode(page.xml).decode("ascii")
    return out


HEAVY = ("body", "blocks", "downloads", "xml", "csl")  # what only the document's own page uses


def summary_of(record: dict) -> dict:
    """A record without its text and files: what the edition-wide steps need of it."""
    out = {k: v for k, v in record.items() if k != "citations"}
    out["page"] = {k: v for k, v in record["page"].items() if k not in HEAVY}
    return out


def page_of(record: dict) -> DocPage:
    """The page data of a record (its compact facts only, from a summary)."""
    d = {"body": "", "blocks": [], "downloads": [], "xml": "", "csl": {}, **record["page"]}

    def tuples(value):
        return tuple(tuples(v) for v in value) if isinstance(value, list) else value
    for name in ("authors", "orig_languages", "blocks", "citations", "downloads", "parties", "places", "context"):
        d[name] = tuples(d[name])
    d["authors"] = tuple(dict(a) for a in d["authors"])
    d["mentions"] = tuple(Mention(**m) for m in d["mentions"])
    d["dates"] = tuple(DateMention(**m) for m in d["dates"])
    d["xml"] = base64.b64decode(d["xml"])
    d["citations"] = tuple(tuple(c) for c in record.get("citations") or ())
    return DocPage(**d)


def light(page: DocPage) -> DocPage:
    """A page's compact facts: what the edition-wide pages use, without its text and files and
    what only its own page shows (subtitle, authors, source, languages of the original, places)."""
    return dataclasses.replace(page, body="", blocks=(), downloads=(), xml=b"", csl={}, citations=(), subtitle="",
                               authors=(), source_desc="", orig_languages=(), places=(("", ""), ("", "")))


def notes_of(record: dict) -> list[Problem]:
    return [Problem(**p) for p in record.get("notes") or ()]


class Kept(NamedTuple):
    """What the edition-wide steps keep of a document's record: its page's compact facts
    (:func:`light`), its notes, its citation's entry, and the ids it named that no entry has."""

    page: DocPage
    notes: tuple[Problem, ...]
    cite: str
    missed: dict


def kept_of(record: dict) -> Kept:
    """A record, or its summary, as :class:`Kept`: the rest is let go (it stays on disk)."""
    return Kept(_shared(light(page_of(record))), tuple(notes_of(record)), str(record.get("cite") or ""),
                dict(record.get("missed") or {}))


def _shared(page: DocPage) -> DocPage:
    """``page`` with the short strings that recur across pages (page names, anchors, labels,
    entry ids, names, dates) held once in this process, not once per mention: 5,000 letters'
    compact facts took 38 MB with a copy each (decoded from each summary), 14 MB so (and
    with what only a document's own page shows left out, see :func:`light`)."""
    def s(value):
        return sys.intern(value) if type(value) is str else value
    return dataclasses.replace(
        page, id=s(page.id), sender=s(page.sender), recipient=s(page.recipient), place=s(page.place),
        language=s(page.language), zotero_type=s(page.zotero_type), date=s(page.date),
        parties=tuple(tuple((s(name), s(href)) for name, href in side) for side in page.parties),
        context=tuple(s(c) for c in page.context),
        mentions=tuple(Mention(s(m.ref), s(m.doc), s(m.anchor), s(m.label)) for m in page.mentions),
        dates=tuple(DateMention(s(m.key), s(m.label), s(m.text), s(m.doc), s(m.anchor), s(m.label_block), m.context)
                    for m in page.dates))


class RecordStore:
    """Records by transform key, one JSON file each, and their summaries in one index
    (``index.jsonl``, a summary a line): a rebuild reads that one file, not every record,
    a line at a time, so no process holds every summary. This build's summaries are
    appended to the next index as they come; ``save`` puts it in place of the last one
    and drops the records this build did not use."""

    INDEX = "index.jsonl"
    FLUSH = 1 << 18  # characters of summaries buffered before they are appended to the next index

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)
        self.used: set[str] = set()
        self.held: dict[str, dict] = {}  # records that could not be written (a full disk): kept here
        self._next: Path | None = None  # this build's index, a temporary file until ``save``
        self._lines: list[str] = []
        self._size = 0
        self._broken = False

    def kept(self, keys) -> Iterator[dict]:
        """The summaries the index holds for ``keys`` whose records are still there, one at a time."""
        try:
            fh = open(self.folder / self.INDEX, encoding="utf-8")
        except OSError:
            return
        with fh:
            for line in fh:
                try:
                    found = json.loads(line)
                except ValueError:
                    continue  # a torn line costs only its record's summary
                key = found.get("key") if isinstance(found, dict) else None
                if key in keys and (self.folder / f"{key}.json").is_file():
                    yield found

    def summary(self, key: str | None) -> dict | None:
        """A record's summary (see :func:`summary_of`) from its file, where the index has none."""
        record = self.get(key)
        return None if record is None else summary_of(record)

    def get(self, key: str | None) -> dict | None:
        if not key:
            return None
        if key in self.held:
            return self.held[key]
        try:
            record = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("key") != key or not isinstance(record.get("page"), dict):
            return None
        self.used.add(key)
        return record

    def write(self, key: str | None, record: dict) -> bool:
        """Write a record's file; False when it cannot be written."""
        if not key:
            return False
        try:
            write_atomic(self.folder / f"{key}.json", json.dumps(record, ensure_ascii=False), durable=False)
        except OSError:
            return False
        return True

    def put(self, key: str | None, record: dict) -> None:
        if not key:
            return
        if not self.write(key, record):  # the next build makes it again; this one keeps it in memory
            self.held[key] = record
        self.note(key, summary_of(record))

    def note(self, key: str, summary: dict) -> None:
        """A record of this build, by its summary (made here, by a worker, or kept from the last build)."""
        self.used.add(key)
        line = json.dumps(summary, ensure_ascii=False)
        self._lines.append(line)
        self._size += len(line)
        if self._size >= self.FLUSH:
            self._flush()

    def _flush(self) -> None:
        """Append the buffered summaries to the next index (made on the first call)."""
        lines, self._lines, self._size = self._lines, [], 0
        if self._broken:
            return
        try:
            if self._next is None:
                self.folder.mkdir(parents=True, exist_ok=True)
                fd, name = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=".jsonl", dir=self.folder)
                os.close(fd)  # a build killed from here on leaves it to the next one's clean-up
                self._next = Path(name)
            with open(self._next, "a", encoding="utf-8") as fh:
                fh.writelines(f"{line}\n" for line in lines)
        except OSError:
            self._broken = True  # the last index stays: the next build only does more

    def save(self) -> None:
        """Put this build's index in place of the last one, and remove every other record."""
        from .cache import keep_only

        self._flush()
        if self._broken or self._next is None:
            return
        try:
            os.chmod(self._next, 0o644)
            os.replace(self._next, self.folder / self.INDEX)
        except OSError:
            return
        self._next = None
        keep_only(self.folder, self.used)


def missing_page(path: str, problems) -> Problem:
    """The note of a document whose page could not be made at all (its worker failed)."""
    why = "; ".join(p.message for p in problems) or "its worker failed"
    return Problem(path, 1, 1, ERROR, "site-page-missing", f"no page was made for this document: {why}")


__all__ = ["Kept", "PageContext", "PageTask", "RecordStore", "Seen", "kept_of", "light", "make_record", "missing_page",
           "notes_of", "page_of", "record_valid", "digest_bytes"]
