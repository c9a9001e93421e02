"""The site's search: a Pagefind index written next to the built pages.

Pagefind splits the index into chunks and fragments, so a query downloads only what
it needs, where an index inlined in the search page grew with the edition (16.7 MB
for 4,420 letters). Letter pages are indexed from their HTML (``data-pagefind-body``
marks the reading text and metadata); register entries are added one record each,
since a register page of thousands of entries would be one huge fragment.

Where the Pagefind binary cannot run, the build goes on with a warning, and the search
page carries a small inline index instead: titles and names, not the full text.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from ..problems import WARNING, Problem
from .model import DocPage, Entry, SiteData
from .text import esc, norm

FOLDER = "pagefind"
# the kind filter's values, by TEI entry element
KIND_FILTER = {"person": "person", "place": "place", "org": "organisation", "bibl": "work", "event": "event"}


class SearchIndexError(Exception):
    """Pagefind could not index the site (not installed, or its binary failed)."""


def document_kind(d: DocPage) -> str:
    """The kind filter of a document's page: a letter, or any other document."""
    return "letter" if d.zotero_type == "letter" or d.recipient else "document"


def entry_page(e: Entry, language: str) -> str:
    """One register entry as a page only the indexer reads; its result leads to the entry's
    place on the register page (``url`` meta, which search.js prefers to the stub's path)."""
    names = [n for n, _l, _t in e.names if n != e.label]
    about = [e.dates, *(text for _h, text in e.role), *(text for _h, text in e.facts), *e.notes]
    kind = KIND_FILTER.get(e.kind, e.kind)
    return (f'<!DOCTYPE html><html lang="{esc(language)}"><head><meta charset="utf-8">'
            f'<title>{esc(e.label)}</title></head>'
            f'<body data-pagefind-body data-pagefind-filter="kind:{esc(kind)}">'
            f'<h1>{esc(e.label)}</h1><p data-pagefind-meta="url:{esc(e.href)}"></p>'
            f'<p data-pagefind-meta="kind:{esc(e.noun.replace(",", " "))}"></p>'
            # the names as meta for search.js (ignored as text: the next line indexes them)
            f'<p data-pagefind-meta="names" data-pagefind-ignore>{esc(" | ".join(names))}</p>'
            f'<p>{esc(", ".join(names))}</p>'
            f'<p>{esc(norm(" ".join(x for x in about if x)))}</p></body></html>')


def index_language(data: SiteData) -> str:
    """The one language the index is stemmed in: that of most documents, else the edition's.

    One index, not one per page's language: Pagefind searches only the index that matches
    the search page's ``lang`` (or else its largest), so other languages' letters would
    never be found. Query words are stemmed in the same language as the texts."""
    langs = Counter(d.language.split("-")[0].lower() for d in data.documents if d.language)
    return (langs.most_common(1)[0][0] if langs else (data.edition.lang or "en").split("-")[0].lower()) or "en"


def _stage(out: Path, stage: Path, data: SiteData, language: str) -> None:
    """What Pagefind reads: the built document pages (linked, not copied) and one small page
    per register entry; the register pages stay out (one fragment each would be huge).
    ``stage`` may hold an earlier build's: only what differs is linked or written again."""
    wanted: set[Path] = set()
    for d in data.documents:
        page, staged = out / f"{d.id}.html", stage / f"{d.id}.html"
        wanted.add(staged)
        try:
            if staged.exists() and os.path.samefile(page, staged):
                continue
            staged.unlink(missing_ok=True)
            os.link(page, staged)
        except OSError:  # another file system, or no hard links there
            shutil.copyfile(page, staged)
    entries = stage / "_entries"
    entries.mkdir(exist_ok=True)
    for e in data.entries:
        staged = entries / f"{hashlib.sha256(e.id.encode()).hexdigest()[:24]}.html"
        wanted.add(staged)
        text = entry_page(e, language).encode("utf-8")
        try:
            if staged.read_bytes() == text:
                continue
        except OSError:
            pass
        staged.write_bytes(text)
    for old in [*stage.glob("*.html"), *entries.glob("*.html")]:
        if old not in wanted:  # a removed document or entry
            old.unlink()


def run_pagefind(site: Path, target: Path, language: str) -> None:
    """Index the pages under ``site`` into ``target``; raise SearchIndexError if Pagefind cannot.

    The command line, not the package's async service: that one polls every 0.1 s per
    call, which for 5,000 register entries would be minutes."""
    try:
        import pagefind  # noqa: F401
        import pagefind_bin  # noqa: F401
    except ImportError as exc:
        raise SearchIndexError(f"the pagefind binary is not installed ({exc})") from exc
    cmd = [sys.executable, "-m", "pagefind", "--site", str(site), "--output-path", str(target),
           "--force-language", language]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SearchIndexError(str(exc)) from exc
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no message"]
        raise SearchIndexError(f"pagefind exited with status {done.returncode}: {last[0]}")
    if not (target / "pagefind.js").is_file():
        raise SearchIndexError("pagefind wrote no pagefind.js")
    # on a full disk Pagefind leaves empty files and still exits 0: such an index is never swapped in
    empty = [p for p in target.rglob("*") if p.is_file() and p.stat().st_size == 0]
    if empty:
        raise SearchIndexError(f"pagefind wrote {len(empty)} empty file(s), e.g. {empty[0].name}; is the disk full?")


def index_search(out: Path, data: SiteData, stage: Path | None = None) -> tuple[Problem, ...]:
    """Write ``out/pagefind/``; on failure, a warning (and the caller writes the inline fallback).

    The new index is written beside the old one and swapped in, so a failed run
    leaves no half-written index; the stale folder goes only after success.
    ``stage``: a folder (outside the site) kept between builds for what Pagefind reads."""
    out = Path(out)
    language = index_language(data)
    fresh, final = out / f".{FOLDER}-new", out / FOLDER
    try:
        if fresh.exists():
            shutil.rmtree(fresh)
        with contextlib.ExitStack() as stack:
            if stage is None:
                stage = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".search-", dir=out)))
            stage.mkdir(parents=True, exist_ok=True)
            _stage(out, stage, data, language)
            run_pagefind(stage, fresh, language)
        if final.is_symlink():
            final.unlink()
        elif final.exists():
            shutil.rmtree(final)
        fresh.rename(final)
    except (SearchIndexError, OSError) as exc:
        shutil.rmtree(fresh, ignore_errors=True)
        return (Problem(str(out), 0, 0, WARNING, "search-index",
                        f"the search index could not be built ({exc}); the search page carries "
                        "a small index of titles and names instead of full-text search"),)
    return ()


def fallback_index(data: SiteData) -> list[dict]:
    """The inline index when Pagefind is missing: titles and names only, so it stays small."""
    out = [{"t": e.label, "k": e.noun, "u": e.href, "n": [n for n, _l, _t in e.names]} for e in data.entries]
    out += [{"t": d.title, "k": document_kind(d).capitalize(), "u": f"{d.id}.html",
             "n": [x for x in (d.sender, d.recipient) if x]} for d in data.documents]
    return out


def search_index(data: SiteData) -> list[dict]:
    """Kept under its old name for callers of the package: the fallback inline index."""
    return fallback_index(data)
