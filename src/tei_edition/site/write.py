"""Planning, rendering and writing the site: ``build(paths, out)``.

``plan(data)`` lists the pages; ``render(data, page)`` turns one page name into
``(relative path, content)`` pairs (pages are independent); ``build`` validates,
collects, renders and writes every file atomically, then removes what an earlier
build wrote and this one did not.
"""

from __future__ import annotations

import json
import time
from importlib import resources as _resources
from pathlib import Path
from typing import Callable, Iterable

from ..fsutil import write_atomic
from ..problems import ERROR, Problem, Report
from .cache import TransformCache, cache_dir
from .collector import collect, load_all
from .exports import register_exports
from .letters import PAGE as CORRESPONDENTS, has_letters, page_correspondents
from .mapsvg import svg_map
from .model import DOWNLOADS, BuildResult, SiteData
from .pages import page_chronology, page_document, page_index, page_register, page_search
from .search import index_search

ASSETS = ("site.css", "print.css", "site.js", "search.js", "favicon.svg")


def plan(data: SiteData) -> list[str]:
    """Every page to render, by name; ``render`` turns each into files."""
    return (["index", "chronology", "search", "assets"] + [f"register:{r.kind}" for r in data.registers]
            + (["correspondents"] if has_letters(data) else [])
            + [f"document:{i}" for i in range(len(data.documents))])


def render(data: SiteData, page: str) -> list[tuple[str, str | bytes]]:
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
        files = [(register.page, page_register(data, register))]
        if arg == "place":
            css = svg_map([e for e in data.entries if e.kind == "place"])[1]
            if css:
                files.append(("assets/map.css", css))
        return files
    if kind == "document":
        return page_document(data, int(arg))
    raise ValueError(f"unknown page {page!r}")


def _safe_target(out: Path, rel: str) -> Path:
    """Where ``rel`` goes inside ``out``. The folder it lands in must resolve inside ``out``
    (a planted folder link is refused); a link planted at the file itself is harmless,
    since write_atomic replaces the link and never writes through it."""
    target = out / rel
    if ".." in Path(rel).parts or Path(rel).is_absolute() or \
            not target.parent.resolve().is_relative_to(out.resolve()):
        raise SiteWriteError(f"refusing to write {rel}: its folder leads outside {out}")
    return target


def _refuse_overwriting_sources(out: Path, data: SiteData) -> None:
    """Before anything is written: no page or download may land on an input file."""
    sources = {Path(d.source).resolve() for d in data.documents}
    exts = ["html", "xml"] + [ext for ext, *_ in DOWNLOADS]
    for d in data.documents:
        for ext in exts:
            target = (out / f"{d.id}.{ext}").resolve()
            if target in sources:
                raise SiteWriteError(f"refusing to write {d.id}.{ext} over the input file {target}; "
                                     "choose an output folder outside the edition")


class SiteWriteError(Exception):
    """A file of the site cannot be written where it must go (e.g. a planted folder link)."""


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
    an invalid edition (nothing is written). ``force`` is accepted and changes nothing
    (an invalid edition is built unless ``strict``).
    ``config``: the project file's settings (found from ``paths`` when not given).
    ``jobs``: worker processes for the per-document transforms (see :func:`collect`);
    ``scheduler``: a Dask cluster for them instead (an address or a ``distributed.Client``;
    every file is still written here, so the site is the same);
    ``quiet``: no progress bar from them.
    Raises :class:`~tei_edition.batch.BatchError` when the scheduler cannot be used.
    """
    from ..resources import edition_dir

    del force  # kept so older callers keep working
    started = time.perf_counter()
    paths = list(paths) if paths else [edition_dir()]
    out = Path(out)
    if progress:
        progress(0, 0, "validate")
    report = run_validation(paths) if validate else Report.of([], [])
    if not report.ok and strict:
        return BuildResult(out, report, False, seconds=time.perf_counter() - started)
    if progress:
        progress(0, 0, "reading")
    cache = TransformCache(cache_dir(out), "site")
    data = collect(paths, base_url=base_url or "", jobs=jobs, quiet=quiet, scheduler=scheduler,
                   config=config, invalid=report.files_with_errors(), progress=progress, cache=cache)
    cache.keep_used()
    pages = plan(data)
    written = []
    try:
        _refuse_overwriting_sources(out, data)  # e.g. -o pointing at the edition folder itself
        for n, page in enumerate(pages, 1):
            if progress:
                progress(n, len(pages), "pages")
            for rel, content in render(data, page):
                write_atomic(_safe_target(out, rel), content)
                written.append(rel)
        if data.registers:
            for rel, content in register_exports(paths):  # the downloads of the register pages
                write_atomic(_safe_target(out, rel), content)
                written.append(rel)
        if validate:
            write_report(report, out)
    except (SiteWriteError, OSError) as exc:
        problem = Problem(str(out), 1, 1, ERROR, "site-write",
                          str(exc) if isinstance(exc, SiteWriteError) else f"cannot write the site: {exc}")
        return BuildResult(out, report, False, tuple(written), time.perf_counter() - started,
                           data.notes + (problem,))
    if progress:
        progress(0, 0, "index")
    search_notes = index_search(out, data)
    if search_notes:  # no Pagefind here: the search page carries a small index of its own
        write_atomic(out / "search.html", page_search(data, inline=True))
    _forget_stale(out, written)
    return BuildResult(out, report, True, tuple(written), time.perf_counter() - started,
                       data.notes + search_notes)


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
            target = _safe_target(out, rel)
        except SiteWriteError:
            continue
        if target.is_file() and not target.is_symlink():
            target.unlink()
    write_atomic(manifest, json.dumps(sorted(keep), indent=0) + "\n")


def run_validation(paths: list) -> Report:
    """The edition's validation report, by its own rules (the project file, the schemas
    its documents declare, TEI's); well-formedness only when the validator is absent."""
    try:
        from ..validation.bounded import validate_bounded as validate  # one chunk of trees at a time
    except ImportError:
        docs, problems = load_all(paths)
        files = [str(d.path) for d in docs] + [p.file for p in problems]
        return Report.of(problems, files)
    return validate(paths)
