"""Reading the edition once into ``SiteData``: ``collect(paths)``.

The edition header, the register entries, and per document its header metadata,
its reading text (from ``transform(doc, "html")``, sanitised and given anchors), its
mentions and dates, citations and downloads. The per-document transforms run first,
through the batch runner (see :mod:`.transforms`).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Iterable

from .. import loader
from ..fsutil import iter_xml_files
from ..loader import Document
from ..problems import WARNING, Problem
from .citations import format_citations
from .documents import (document_page, header_date, introduction_html, own_title, page_names, pointer_resolver,
                        series_title)
from .entries import edition_entries, registers_of
from .markup import process_fragment
from .model import SITE_PAGES, EditionInfo, Mention, SiteData
from .text import NS, T, XML_LANG, date_attrs, norm, safe_url, text_of
from .theme import read_theme
from .transforms import CITATIONS, run_transforms


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
    """Read the edition at ``paths`` (default: the bundled one) into ``SiteData``.

    ``config``: the project file's settings (found from ``paths`` when not given): its
    title names the edition, its folder is the root page names are relative to.
    ``invalid``: files the validation found errors in; their pages say so.
    ``progress(n, total, phase)``: called as each phase goes (transforms, documents, citations).

    ``jobs``: worker processes for the per-document transforms (default: the batch
    runner decides, in this process for a small edition; 0 = in this process).
    ``scheduler``: run those transforms on a Dask cluster instead, given as a
    ``tcp://host:port`` address or a ``distributed.Client``; raises
    :class:`~tei_edition.batch.BatchError` when it cannot be used.
    """
    from ..config import discover
    from ..edition import Edition, classify
    from ..registers import collect as register_model
    from ..resources import edition_dir

    paths = list(paths) if paths else [edition_dir()]
    config = config if config is not None else discover(paths)
    roots: dict = {}
    docs, notes = load_all(paths, roots)
    if config.root:
        roots = dict.fromkeys(roots, config.root)
    by_kind: dict[str, list[Document]] = {"edition": [], "register": [], "document": []}
    named = {str(p) for p in config.register_files()}  # the project file's registers get no page
    for d in docs:
        by_kind["register" if str(d.path.resolve()) in named else classify(d)].append(d)
    documents = by_kind["document"]
    registers, entries, names = _named(docs, documents, roots)
    # what the register model finds wrong (the same id disagreeing, an entry without id)
    notes.extend(register_model(docs).problems)
    doc_ids: dict[str, str] = {}  # TEI id, page name or file stem -> page name
    for d in documents:
        for key in (d.id, names[d.path], d.path.stem):
            if key:
                doc_ids.setdefault(key, names[d.path])
    index = {e.id: e for e in entries}
    edition = EditionInfo()
    if by_kind["edition"]:
        edition, problems = edition_info(by_kind["edition"][0], index, doc_ids)
        notes.extend(problems)
    title = config.title or _shared_series(documents) or (edition.title if by_kind["edition"] else "")
    edition = dataclasses.replace(edition, title=title or edition.title)
    project = {"edition-title": config.title or ""}
    by_name = {names[d.path]: d for d in documents}
    order = []
    for i in edition.order:
        if i in doc_ids and doc_ids[i] not in order:
            order.append(doc_ids[i])
    rest = sorted((d for d in documents if names[d.path] not in order),
                  key=lambda d: (header_date(d), names[d.path]))
    order += [names[d.path] for d in rest]
    summaries = {doc_ids.get(k, k): v for k, v in edition.summaries}
    outputs, failures = run_transforms([by_name[n] for n in order], base_url, jobs=jobs, quiet=quiet,
                                       scheduler=scheduler, project=project,
                                       names={str(d.path): names[d.path] for d in documents}, progress=progress,
                                       cache=cache)
    invalid = {str(Path(f).resolve()) for f in invalid}
    pointers = Edition()
    for d in docs:
        pointers.add(d.path, d, roots.get(d.path))
    known = set(index) | set(doc_ids)
    unknown: dict[str, list] = {}  # id -> [first document, its resolver, mentions]
    pages = []
    for n, name in enumerate(order, 1):
        if progress:
            progress(n, len(order), "documents")
        doc = by_name[name]
        notes.extend(failures.get(str(doc.path), ()))
        resolve, missed = pointer_resolver(pointers, doc, known)
        page, page_notes = document_page(doc, index, doc_ids, summaries.get(name, ""),
                                         base_url=base_url, edition=edition, name=name,
                                         outputs=outputs.get(str(doc.path)), project=project,
                                         resolve=resolve)
        for ident, n in missed.items():
            unknown.setdefault(ident, [doc, resolve, 0])[2] += n
        if str(doc.path.resolve()) in invalid:
            page = dataclasses.replace(page, invalid=True)
        # correspContext's previous and next letter, as page names (where they are in the edition)
        page = dataclasses.replace(page, context=tuple(doc_ids.get(resolve(t) or "", "") if t else ""
                                                       for t in page.context))
        pages.append(page)
        notes.extend(page_notes)
    # the citations the workers formatted; the rest (a document run here) are formatted now
    cites = [(outputs.get(str(by_name[n].path)) or {}).get(CITATIONS) for n in order]
    missing = [i for i, c in enumerate(cites) if c is None]
    if missing:
        if progress:
            progress(0, 0, "citations")
        for i, c in zip(missing, format_citations([pages[i].csl for i in missing])):
            cites[i] = c
    pages = [dataclasses.replace(p, citations=tuple(c)) for p, c in zip(pages, cites)]
    notes.extend(_unknown_entry(ident, *found) for ident, found in unknown.items())
    theme, problems = read_theme(config)
    notes.extend(problems)
    return SiteData(edition, tuple(pages), tuple(entries), banner, base_url.rstrip("/"), tuple(notes),
                    registers, theme)


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


def _unknown_entry(ident: str, doc: Document, resolve, mentions: int) -> Problem:
    """One warning for every mention of an id that names no entry, at the first pointer."""
    from ..validation.locate import Locator

    line, col = 1, 1
    for el in doc.root.iter():
        tokens = f"{el.get('ref') or ''} {el.get('corresp') or ''}".split() if isinstance(el.tag, str) else ()
        if any(resolve(t) == ident for t in tokens):
            line, col = Locator(doc).element(el)
            break
    return Problem(str(doc.path), line, col, WARNING, "site-no-entry",
                   f"'{ident}' names no register entry; its {mentions} mention(s) are shown as plain names")


def _shared_series(documents: list[Document]) -> str:
    """The series title every document names, when they name one and the same."""
    found = {series_title(d) for d in documents}
    return found.pop() if len(found) == 1 else ""


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
