"""Planning, rendering and writing the site: ``build(paths, out)``.

``plan(data)`` lists the pages; ``render(data, page)`` turns one page name into
``(relative path, content)`` pairs (pages are independent); ``build`` validates,
collects, renders and writes every file atomically, then removes what an earlier
build wrote and this one did not.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import time
from importlib import resources as _resources
from pathlib import Path
from typing import Callable, Iterable

from ..fsutil import remove_temp_files, sync_folder, write_atomic
from ..problems import ERROR, Problem, Report
from .cache import CitationCache, TransformCache, cache_dir
from .collector import gather_site, load_all
from .exports import FILES as EXPORTS, register_exports
from .letters import PAGE as CORRESPONDENTS, has_letters, page_correspondents
from .mapsvg import svg_map
from .model import DOWNLOADS, BuildResult, SiteData
from .docpages import write_documents
from .files import SiteWriteError, safe_target, write_changed
from .pages import page_chronology, page_document, page_index, page_search, register_pieces
from .search import folders_of, index_search

ASSETS = ("site.css", "print.css", "site.js", "search.js", "favicon.svg")


def plan(data: SiteData, documents: bool = True) -> list[str]:
    """Every page to render, by name; ``render`` turns each into files. ``documents``: with
    the document pages (``build`` writes those from their records)."""
    return (["index", "chronology", "search", "assets"] + [f"register:{r.kind}" for r in data.registers]
            + (["correspondents"] if has_letters(data) else [])
            + ([f"document:{i}" for i in range(len(data.documents))] if documents else []))


def render(data: SiteData, page: str) -> list[tuple[str, str | bytes | Iterable[str]]]:
    if page == "index":
        return [("index.html", page_index(data))]
    if page == "chronology":
        return [("chronology.html", page_chronology(data))]
    if page == "correspondents":
        return [(CORRESPONDENTS, page_correspondents(data))]
    if page == "search":
        return [("search.html", page_search(data))]
    if page == "assets":
        folder = _resources.files("tei_edition") / "assets"
        own = [("assets/custom.css", data.theme.css)] if data.theme.css else []  # linked after ours
        return [(f"assets/{name}", (folder / name).read_bytes()) for name in ASSETS] + own
    kind, _, arg = page.partition(":")
    if kind == "register":
        register = data.register(arg)
        files = [(register.page, register_pieces(data, register))]  # a long page: written as it is made
        if arg == "place":
            css = svg_map([e for e in data.entries if e.kind == "place"])[1]
            if css:
                files.append(("assets/map.css", css))
        return files
    if kind == "document":
        return page_document(data, int(arg))
    raise ValueError(f"unknown page {page!r}")


def _refuse_overwriting_sources(out: Path, data: SiteData) -> None:
    """Before anything is written: no page or download may land on an input file."""
    folder = os.path.realpath(out)
    sources = {os.path.realpath(d.source) for d in data.documents}
    if not any(os.path.dirname(s) == folder for s in sources):
        return  # no input lies in the output folder (the usual case: nothing more to look at)
    exts = ["html", "xml"] + [ext for ext, *_ in DOWNLOADS]
    for d in data.documents:
        for ext in exts:
            target = os.path.realpath(out / f"{d.id}.{ext}")
            if target in sources:
                raise SiteWriteError(f"refusing to write {d.id}.{ext} over the input file {target}; "
                                     "choose an output folder outside the edition")


def report_paths(out: str | Path) -> tuple[Path, Path]:
    """Where the validation report of a site built into ``out`` goes: beside the site,
    never inside it (``site/`` -> ``site.validation.txt`` and ``site.validation.json``),
    so publishing the folder does not publish the editors' worklist."""
    out = Path(out)
    return out.parent / f"{out.name}.validation.txt", out.parent / f"{out.name}.validation.json"


def write_report(report: Report, out: str | Path) -> tuple[Path, Path]:
    """The full validation report, as text (one problem a line, then the summary) and JSON."""
    text_path, json_path = report_paths(out)
    lines = [str(p) for p in report.problems] + [report.summary()]
    write_atomic(text_path, "\n".join(lines) + "\n")
    write_atomic(json_path, json.dumps(report.to_dict(), ensure_ascii=False, indent=1) + "\n")
    return text_path, json_path


def build(paths: Iterable | None = None, out: str | Path = "site", *, force: bool = False,
          base_url: str = "", validate: bool = True, strict: bool = False,
          progress: Callable[[int, int, str], None] | None = None,
          jobs: int | None = None, quiet: bool = False, scheduler=None, config=None) -> BuildResult:
    """Validate the edition by its own rules, then build the site into ``out``.

    A document the validation finds errors in still gets its page, which says so; the
    full report is written beside the site (:func:`report_paths`). ``strict``: refuse
    an invalid edition (nothing is written). ``force``: make every page again, reusing
    nothing an earlier build kept in ``SITE.cache/`` (beside the site, never published).
    ``config``: the project file's settings (found from ``paths`` when not given).
    ``jobs``: worker processes for the per-document work (validation, transforms,
    citations, page data; see :func:`~tei_edition.site.collector.gather_site`);
    ``scheduler``: a Dask cluster for it instead (an address or a ``distributed.Client``;
    every file is still written here, so the site is the same);
    ``quiet``: no progress bar from them.
    Raises :class:`~tei_edition.batch.BatchError` when the scheduler cannot be used.

    A rebuild does only what changed: a document's page data is made again when its file,
    the files it draws on, or what it looked up of the edition changed; a page is written
    again when its data or what it shows of the edition (neighbours, entries) changed; the
    search index when any indexed page or entry did. A build stopped at any point leaves
    every file whole, and the next build completes the site.
    """
    from ..resources import edition_dir

    started = time.perf_counter()
    paths = list(paths) if paths else [edition_dir()]
    out = Path(out)
    cache = cache_dir(out)
    if force:
        shutil.rmtree(cache, ignore_errors=True)
    for folder in (out, cache):  # what a build killed while writing left half-made
        if folder.is_dir():
            remove_temp_files(folder)
    for stage in folders_of(out, ".search-", ".pagefind-new", ".pagefind-old-"):  # the index's
        shutil.rmtree(stage, ignore_errors=True)
    if progress:
        progress(0, 0, "validate")
    report = run_validation(paths, cache=cache, jobs=jobs) if validate else Report.of([], [])
    if not report.ok and strict:
        return BuildResult(out, report, False, seconds=time.perf_counter() - started)
    if progress:
        progress(0, 0, "reading")
    site = gather_site(paths, base_url=base_url or "", jobs=jobs, quiet=quiet, scheduler=scheduler,
                       config=config, invalid=report.files_with_errors(), progress=progress, cache=cache)
    data = site.data
    state = SiteState.load(cache / "state.json")
    written: list[str] = []
    notes: list[Problem] = []  # pages that could not be written
    try:
        _refuse_overwriting_sources(out, data)  # e.g. -o pointing at the edition folder itself
        notes += write_documents(out, site, state, written, progress, jobs=jobs, scheduler=scheduler)
        for page in plan(data, documents=False):
            for rel, content in render(data, page):
                write_changed(out, rel, content)
                written.append(rel)
        if data.registers and site.registers is None:  # no file changed: nor did these
            written.extend(rel for rel, _fmt, _label in EXPORTS if (out / rel).is_file())
        elif data.registers:
            for rel, content in register_exports(site.registers):  # the downloads of the register pages
                write_changed(out, rel, content)
                written.append(rel)
        if validate:
            write_report(report, out)
    except (SiteWriteError, OSError) as exc:
        problem = Problem(str(out), 1, 1, ERROR, "site-write",
                          str(exc) if isinstance(exc, SiteWriteError) else f"cannot write the site: {exc}")
        return BuildResult(out, report, False, tuple(written), time.perf_counter() - started,
                           data.notes + tuple(notes) + (problem,))
    search_notes = _index(out, data, state, progress, jobs)
    _forget_stale(out, written)
    sync_folder(out)
    state.save()
    site.records.save()
    TransformCache(cache / "transforms").keep(site.keys.values())
    if site.cite_keys:  # an earlier build's records know none: keep everything until they do
        CitationCache(cache / "citations").keep(site.cite_keys)
    return BuildResult(out, report, True, tuple(written), time.perf_counter() - started,
                       data.notes + tuple(notes) + search_notes)


def _index(out: Path, data: SiteData, state: "SiteState", progress, jobs: int | None) -> tuple:
    """The search index: only its parts whose pages or entries changed are made again."""
    workers = jobs if jobs is not None else min(2, os.cpu_count() or 1)  # each run holds its part in memory
    notes, state.search = index_search(out, data, cache_dir(out) / "search", made=state.search,
                                       workers=workers, progress=progress)
    if notes and (out / "pagefind" / "pagefind.js").is_file():  # e.g. a full disk: the last index stays
        notes = tuple(dataclasses.replace(n, message=f"{n.message.split('; the search page')[0]}; the previous "
                                          "index is kept, and the next build makes it again") for n in notes)
    elif notes:  # no Pagefind here: the search page carries a small index of its own
        write_atomic(out / "search.html", page_search(data, inline=True))
    return notes


class SiteState:
    """What the last build wrote (``SITE.cache/state.json``): each document page's key and
    files, and the digest each part of the search index was made from."""

    def __init__(self, path: Path, pages: dict | None = None, search: dict | None = None):
        self.path, self.pages, self.search = path, pages or {}, search or {}

    @classmethod
    def load(cls, path: Path) -> "SiteState":
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(path)
        if not isinstance(raw, dict) or raw.get("version") != 1:
            return cls(path)
        search = raw.get("search")
        return cls(path, raw.get("pages") if isinstance(raw.get("pages"), dict) else {},
                   {k: v for k, v in search.items() if isinstance(v, str)} if isinstance(search, dict) else {})

    def save(self) -> None:
        try:
            write_atomic(self.path, json.dumps({"version": 1, "pages": self.pages, "search": self.search}))
        except OSError:
            pass  # the next build only does more


MANIFEST = ".tei-edition-site.json"


def _forget_stale(out: Path, written: list[str]) -> None:
    """Remove files an earlier build wrote that this one did not (a document removed or
    renamed), so no stale page stays reachable; files the builder never wrote are kept."""
    manifest = out / MANIFEST
    try:
        before = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else []
    except (OSError, ValueError):
        before = []
    keep = set(written)
    for rel in before if isinstance(before, list) else []:
        if not isinstance(rel, str) or rel in keep:
            continue
        try:
            target = safe_target(out, rel)
        except SiteWriteError:
            continue
        if target.is_file() and not target.is_symlink():
            target.unlink()
    write_changed(out, MANIFEST, json.dumps(sorted(keep), indent=0) + "\n")


def run_validation(paths: list, *, cache: Path | None = None, jobs: int | None = None) -> Report:
    """The edition's validation report, by its own rules (the project file, the schemas
    its documents declare, TEI's); well-formedness only when the validator is absent.
    With ``cache`` (``SITE.cache/``), files whose result cannot have changed are not
    checked again."""
    try:
        from ..validation.bounded import validate_bounded  # one chunk of trees at a time
    except ImportError:
        docs, problems = load_all(paths)
        files = [str(d.path) for d in docs] + [p.file for p in problems]
        return Report.of(problems, files)
    if cache is not None:
        try:
            from ..validation.incremental import validate_incremental
        except ImportError:
            pass
        else:
            return validate_incremental(paths, Path(cache) / "validation", jobs=jobs)
    return validate_bounded(paths)
