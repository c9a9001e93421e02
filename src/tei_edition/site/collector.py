"""The edition as the site sees it: ``gather_site(paths)`` and ``collect(paths)``.

The edition's facts are gathered one file at a time (:mod:`.gather`); then each
document's record (transforms, citations, page data) is made in the workers through
the batch runner, or reused from ``SITE.cache/`` (:mod:`.records`). ``SiteData`` holds
the documents' compact facts; ``collect`` adds each one's full page data (for a
Python caller, or a small edition).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .. import loader
from ..fsutil import iter_xml_files
from ..loader import Document
from ..problems import WARNING, Problem
from .documents import introduction_html, own_title, page_names
from .entries import edition_entries, registers_of
from .gather import gather
from .markup import process_fragment
from .model import SITE_PAGES, EditionInfo, Mention, SiteData
from .records import (Kept, PageContext, PageTask, RecordStore, kept_of, known_ids, missing_page, page_of,
                      record_valid)
from .text import NS, T, XML_LANG, date_attrs, norm, safe_url, text_of
from .theme import read_theme


def load_all(paths: Iterable, roots: dict | None = None) -> tuple[list[Document], list[Problem]]:
    """Every XML file under ``paths`` read through the loader, and the problems of those
    that could not be; ``roots`` (when given) is filled with each document's input root."""
    docs, problems = [], []
    for path, root in iter_xml_files(paths):
        result = loader.try_load(path)
        if isinstance(result, Problem):  # not well-formed or not TEI: an error, and the build exits 1
            problems.append(dataclasses.replace(result, message=f"{result.message}; left out of the site"))
        else:
            docs.append(result)
            if roots is not None:
                roots[result.path] = root
    return docs, problems


def collect(paths: Iterable | None = None, *, base_url: str = "", banner: str = "",
            jobs: int | None = None, quiet: bool = False, scheduler=None, config=None,
            invalid: Iterable[str] = (), progress=None, cache=None) -> SiteData:
    """Read the edition at ``paths`` (default: the bundled one) into ``SiteData`` with every
    document's full page data (see :func:`gather_site` for the options; ``cache`` is
    the folder of ``SITE.cache/``, or None for a temporary one)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="tei-edition-site-") as scratch:
        site = gather_site(paths, base_url=base_url, banner=banner, jobs=jobs, quiet=quiet, scheduler=scheduler,
                           config=config, invalid=invalid, progress=progress, cache=cache or scratch)
        pages = tuple(dataclasses.replace(page_of(site.records.get(site.keys[d.id])), invalid=d.invalid,
                                          context=d.context) for d in site.data.documents)
    return dataclasses.replace(site.data, documents=pages)


@dataclass
class Site:
    """The edition-wide facts (``data``, its documents' compact facts only), and where each
    document's full page data is kept (``records``, by ``keys``: page name -> key)."""

    data: SiteData
    records: RecordStore
    keys: dict[str, str]
    cite_keys: set = dataclasses.field(default_factory=set)
    registers: object = None  # the registers' model, for their data files


def gather_site(paths: Iterable | None = None, *, cache: str | Path, base_url: str = "", banner: str = "",
                jobs: int | None = None, quiet: bool = False, scheduler=None, config=None,
                invalid: Iterable[str] = (), progress=None) -> Site:
    """Read the edition at ``paths`` (default: the bundled one) one file at a time, and make
    every document's page data in worker processes, reusing what ``cache`` (``SITE.cache/``)
    keeps of an earlier build.

    ``config``: the project file's settings (found from ``paths`` when not given): its
    title names the edition, its folder is the root page names are relative to.
    ``invalid``: files the validation found errors in; their pages say so.
    ``progress(n, total, phase)``: called as each phase goes.
    ``jobs``: worker processes (default: the batch runner decides, in this process for a
    small edition; 0 = in this process). ``scheduler``: a Dask cluster instead, given as a
    ``tcp://host:port`` address or a ``distributed.Client``; raises
    :class:`~tei_edition.batch.BatchError` when it cannot be used.
    """
    from ..config import discover
    from ..resources import edition_dir
    from .cache import TransformCache

    paths = list(paths) if paths else [edition_dir()]
    config = config if config is not None else discover(paths)
    found = gather(paths, config, progress, Path(cache) / "facts.json")
    notes = list(found.notes)  # with the registers' problems
    heads = found.heads
    registers, entries = registers_of(list(found.entries.values()))
    names = page_names(heads, [*SITE_PAGES, *(r.page.removesuffix(".html") for r in registers)],
                       {h.path: h.root for h in heads})
    doc_ids: dict[str, str] = {}  # TEI id, page name or file stem -> page name
    for h in heads:
        for key in (h.id, names[h.path], h.path.stem):
            if key:
                doc_ids.setdefault(key, names[h.path])
    index = {e.id: e for e in entries}
    edition = EditionInfo()
    if found.edition is not None:
        edition, problems = edition_info(found.edition, index, doc_ids)
        notes.extend(problems)
    series = {h.series for h in heads}
    title = config.title or (series.pop() if len(series) == 1 else "") or (edition.title if found.edition else "")
    edition = dataclasses.replace(edition, title=title or edition.title)
    project = {"edition-title": config.title or ""}
    order = []
    for i in edition.order:
        if i in doc_ids and doc_ids[i] not in order:
            order.append(doc_ids[i])
    rest = sorted((h for h in heads if names[h.path] not in order), key=lambda h: (h.date, names[h.path]))
    order += [names[h.path] for h in rest]
    by_name = {names[h.path]: h for h in heads}
    transforms = TransformCache(Path(cache) / "transforms")
    keys = {name: transforms.key_of(h.digest, h.deps, {**project, "document-id": name, "base-url": base_url or ""})
            for name, h in by_name.items()}
    context = PageContext(index, doc_ids, {doc_ids.get(k, k): v for k, v in edition.summaries},
                          {str(h.path): names[h.path] for h in heads}, {str(h.path): keys[names[h.path]] for h in heads},
                          {str(h.path): str(h.root) for h in heads}, base_url or "", project,
                          str(found.edition.path) if found.edition is not None else "", edition,
                          str(cache) if scheduler is None else "")  # a cluster's workers keep nothing on disk
    records = RecordStore(Path(cache) / "records")
    made, failures = make_records([by_name[n] for n in order], context, records, jobs=jobs, quiet=quiet,
                                  scheduler=scheduler, progress=progress)
    invalid = {str(Path(f).resolve()) for f in invalid}
    pages, unknown, cite_keys = [], {}, set()
    for name in order:
        head = by_name[name]
        if name not in made:
            notes.append(missing_page(str(head.path), failures.get(str(head.path), ())))
            continue
        page, its_notes, cite, missed = made[name]
        notes.extend(its_notes)
        if cite:
            cite_keys.add(cite)
        for ident, (count, line, col) in missed.items():
            unknown.setdefault(ident, [str(head.path), line, col, 0])[3] += count
        if str(head.path.resolve()) in invalid:
            page = dataclasses.replace(page, invalid=True)
        pages.append(page)
    notes.extend(_unknown_entry(ident, *found) for ident, found in unknown.items())
    theme, problems = read_theme(config)
    notes.extend(problems)
    data = SiteData(edition, tuple(pages), tuple(entries), banner, base_url.rstrip("/"), tuple(notes),
                    registers, theme)
    return Site(data, records, {n: keys[n] for n in made}, cite_keys, found.registers)


def make_records(heads: list, context: PageContext, records: RecordStore, *, jobs=None, quiet=False,
                 scheduler=None, progress=None) -> tuple[dict[str, Kept], dict[str, tuple[Problem, ...]]]:
    """What the edition-wide steps keep of every document's record (:func:`kept_of`), by page
    name: kept ones still valid, the rest made by :class:`PageTask` through the batch runner;
    and why a document got none (its worker failed). Each summary is let go as it comes."""
    from ..batch import FAILED, BatchError, Job, run

    made: dict[str, Kept] = {}
    failures: dict[str, tuple[Problem, ...]] = {}
    total = len(heads)
    known = known_ids(context.index, context.doc_ids)
    by_key = {context.keys[str(h.path)]: context.names[str(h.path)] for h in heads}

    def reuse(key: str, summary: dict | None) -> None:
        if summary is not None and record_valid(summary, context.index, context.doc_ids, known):
            records.note(key, summary)
            made[by_key[key]] = kept_of(summary)

    listed = set()
    for summary in records.kept(by_key):  # the index, a line at a time
        listed.add(summary["key"])
        reuse(summary["key"], summary)
    for key in by_key:  # a record the index does not name (a build stopped before it was saved)
        if key not in listed:
            reuse(key, records.summary(key))
    todo = [h for h in heads if context.names[str(h.path)] not in made]
    if progress:
        progress(len(made), total, "documents")

    def keep(result) -> None:
        path = str(result.job.source)
        if result.status == FAILED or not isinstance(result.data, dict):
            failures[path] = result.problems
        elif "summary" in result.data:  # the worker kept the record on disk
            records.note(context.keys[path], result.data["summary"])
            made[context.names[path]] = kept_of(result.data["summary"])
        else:
            records.put(context.keys[path], result.data)
            made[context.names[path]] = kept_of(result.data)  # the text and files stay on disk
        if progress:
            progress(len(made) + len(failures), total, "documents")

    if not todo:
        return made, failures
    task = PageTask(context)
    jobs_ = [Job(Path(h.path), str(h.path), explicit=True) for h in todo]
    try:
        summary = run(jobs_, task, None, jobs=jobs, quiet=quiet, scheduler=scheduler, journal=False,
                      on_result=keep, progress=False if progress else None)
    except BatchError:
        if scheduler is not None:
            raise  # the cluster was asked for: building here instead would hide the mistake
        summary = run(jobs_, task, None, jobs=0, quiet=quiet, journal=False, on_result=keep,
                      progress=False if progress else None)  # no workers here: this process makes them
    if summary.interrupted:
        raise KeyboardInterrupt
    return made, failures


def _named(docs: list[Document], documents: list[Document], roots: dict):
    """The register pages, the entries, and each document's page name (after the site's
    own pages and the registers')."""
    registers, entries = registers_of(edition_entries(docs))
    names = page_names(documents, [*SITE_PAGES, *(r.page.removesuffix(".html") for r in registers)], roots)
    return registers, entries, names


def page_names_of(edition) -> dict[Path, str]:
    """Each document of an :class:`~tei_edition.edition.Edition` by the name its page has
    on the site that ``build`` makes of the same files (``export cmif`` links to them)."""
    from ..config import discover

    docs = list(edition.files.values())
    config = discover([docs[0].path]) if docs else None
    roots = {d.path: config.root if config and config.root else edition.root_of(d) for d in docs}
    return _named(docs, list(edition.documents), roots)[2]


def _unknown_entry(ident: str, file: str, line: int, col: int, mentions: int) -> Problem:
    """One warning for every mention of an id that names no entry, at the first pointer."""
    return Problem(file, line, col, WARNING, "site-no-entry",
                   f"'{ident}' names no register entry; its {mentions} mention(s) are shown as plain names")


def edition_info(doc: Document, index: dict, doc_ids: dict) -> tuple[EditionInfo, list[Problem]]:
    """The edition file's header facts, introduction and reading order; and the problems met."""
    r = doc.root
    title = r.xpath("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title", namespaces=NS)
    main = own_title(title)
    sub = next((t for t in title if t.get("type") == "sub"), None)
    editors = [text_of(e) for e in r.xpath("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:editor",
                                           namespaces=NS)]
    pub = r.find(f"{T}teiHeader/{T}fileDesc/{T}publicationStmt")
    edition = r.find(f"{T}teiHeader/{T}fileDesc/{T}editionStmt/{T}edition")
    version = (edition.get("n") if edition is not None else "") or ""
    if not version and edition is not None:
        m = re.search(r"\d+(\.\d+)+", text_of(edition))
        version = m.group(0) if m else text_of(edition)
    licence = pub.find(f".//{T}licence") if pub is not None else None
    date = pub.find(f"{T}date") if pub is not None else None
    intro_divs = r.xpath("tei:text//tei:div[@type='introduction']", namespaces=NS)
    mentions: list[Mention] = []
    intro, notes = "", []
    if intro_divs:
        frag, notes = introduction_html(doc, intro_divs[0])
        intro, mentions, _dates, _blocks = process_fragment(frag, "index", "intro", index, doc_ids)
    order, summaries = [], []
    for item in r.xpath("tei:text//tei:list[@type='documents']/tei:item", namespaces=NS):
        ref = item.find(f".//{T}ref")
        target = ref.get("target", "") if ref is not None else ""
        ident = Path(target.split("#")[0]).stem if target else ""
        if ident:
            order.append(ident)
            rest = norm("".join(item.itertext()).replace(text_of(ref), "", 1)).lstrip(":–—- ,.")
            if rest:
                summaries.append((ident, rest))
    return EditionInfo(
        title=(text_of(main) if main is not None else "") or "Digital edition", subtitle=text_of(sub),
        editors=tuple(e for e in editors if e), publisher=text_of(pub.find(f"{T}publisher")) if pub is not None else "",
        version=version, date=date_attrs(date)[0] if date is not None else "",
        licence=text_of(licence), licence_url=safe_url(licence.get("target")) or "" if licence is not None else "",
        intro=intro, intro_mentions=tuple(mentions), order=tuple(order), summaries=tuple(summaries),
        lang=r.get(XML_LANG) or "en"), notes
