"""The site's search: a Pagefind index written next to the built pages.

Pagefind splits the index into chunks and fragments, so a query downloads only what
it needs, where an index inlined in the search page grew with the edition (16.7 MB
for 4,420 letters). Letter pages are indexed from their HTML (``data-pagefind-body``
marks the reading text and metadata); register entries are added one record each,
since a register page of thousands of entries would be one huge fragment. A large
edition's index is made in parts (see :data:`PART_BYTES`), which the search page merges.

Where the Pagefind binary cannot run, the build goes on with a warning, and the search
page carries a small inline index instead: titles and names, not the full text.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ..problems import WARNING, Problem
from .files import SiteWriteError, write_changed
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


def _stage(out: Path, stage: Path, docs: list[DocPage], stubs: dict[str, bytes]) -> None:
    """What Pagefind reads for one part of the index: its document pages (linked, not
    copied) and one small page per register entry (``stubs``: file name -> bytes); the
    register pages stay out (one fragment each would be huge). ``stage`` may hold an
    earlier build's: only what differs is linked or written again."""
    wanted: set[Path] = set()
    stage.mkdir(parents=True, exist_ok=True)
    for d in docs:
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
    for name, text in stubs.items():
        staged = entries / name
        wanted.add(staged)
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


# Pagefind holds every page of a run in memory, about 13 times its HTML (1,000 letter pages of
# 10 KB: 133 MB; 5,000: 650 MB), and spends about a millisecond on each page however small. The
# index is therefore made in parts of about this much (HTML bytes, and PAGE_WEIGHT a page), each
# by its own run, and the search page merges them (Pagefind's mergeIndex: one WebAssembly module,
# each part adding only its small metadata file). A part is made again only when one of its pages
# or entries changed; documents and register entries go to parts of their own, so a changed
# letter never makes the thousands of entries' stubs again.
PART_BYTES = 12_000_000
PAGE_WEIGHT = 1_000
SHARDS = "shards.json"  # in pagefind/: the folders of the other parts, for search.js


@dataclass
class Part:
    """One part of the index: its folder in the site, its pages and entry stubs, and a digest
    of everything it is made from."""

    folder: str
    docs: list = field(default_factory=list)
    stubs: dict = field(default_factory=dict)
    digest: str = ""


def _hashed(names: dict[str, int], prefix: str) -> list[tuple[str, list[str]]]:
    """Names (with their weights) spread over a power of two of parts by a hash of the name,
    so a name stays in its part while the count stands: [(folder suffix, names)]."""
    total = sum(w + PAGE_WEIGHT for w in names.values())
    count = 1 << (max(1, -(-total // PART_BYTES)) - 1).bit_length()
    parts: list[list[str]] = [[] for _ in range(count)]
    for name in names:
        parts[int(hashlib.sha256(name.encode()).hexdigest()[:8], 16) % count].append(name)
    return [(f"{prefix}{i}-of-{count}", members) for i, members in enumerate(parts) if members]


def plan_parts(out: Path, data: SiteData, language: str) -> list[Part]:
    """The parts the index is made in (see :data:`PART_BYTES`): the documents' pages in some,
    the register entries in others; a page's part follows from its name alone. The first
    part is Pagefind's primary bundle, ``pagefind/``; the others are ``pagefind-…/``. A part's
    digest covers the bytes of its pages as written (not their keys, which also change when
    nothing indexed did)."""
    stubs = {e.id: (f"{hashlib.sha256(e.id.encode()).hexdigest()[:24]}.html",
                    entry_page(e, language).encode("utf-8")) for e in data.entries}
    pages: dict[str, tuple[int, str]] = {}
    for d in data.documents:
        try:
            text = (out / f"{d.id}.html").read_bytes()
        except OSError:
            text = b""
        pages[d.id] = len(text), hashlib.sha256(text).hexdigest()
    by_id = {d.id: d for d in data.documents}
    parts = [Part(f"{FOLDER}-{name}", docs=[by_id[i] for i in members])
             for name, members in _hashed({i: n for i, (n, _h) in pages.items()}, "")]
    parts += [Part(f"{FOLDER}-{name}", stubs=dict(stubs[i] for i in members))
              for name, members in _hashed({i: len(text) for i, (_n, text) in stubs.items()}, "entries-")]
    if not parts:
        parts = [Part(FOLDER)]  # nothing to index: Pagefind says so, and the fallback follows
    parts[0].folder = FOLDER
    for part in parts:
        digest = hashlib.sha256(f"{language} {part.folder}".encode())
        for d in part.docs:
            digest.update(f"\n{d.id} {pages[d.id][1]}".encode())
        for name, text in sorted(part.stubs.items()):
            digest.update(f"\n{name} {hashlib.sha256(text).hexdigest()}".encode())
        part.digest = digest.hexdigest()
    return parts


def folders_of(out: Path, *prefixes: str) -> list[Path]:
    """The folders in ``out`` whose names start with a prefix (streamed: the site's folder
    holds tens of thousands of pages, which a glob would list whole)."""
    try:
        with os.scandir(out) as found:
            return [Path(e.path) for e in found if e.name.startswith(prefixes) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return []


def _swap(fresh: Path, final: Path) -> None:
    """Put a freshly written part in place of the old one (each folder is whole at any time:
    the old one is renamed away first, and a build stopped between the two renames makes
    the part again, since its folder is then missing)."""
    old = final.with_name(f".pagefind-old-{final.name}")
    shutil.rmtree(old, ignore_errors=True)
    if final.is_symlink():
        final.unlink()
    elif final.exists():
        final.rename(old)
    fresh.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def _made(out: Path, part: Part, primary: bool) -> bool:
    folder = out / part.folder
    return (folder / "pagefind-entry.json").is_file() and (not primary or (folder / "pagefind.js").is_file())


# what a merged part needs; the scripts, styles and WebAssembly come from the primary bundle
MERGED = ("pagefind-entry.json", "index", "fragment", "filter")


def _make_part(out: Path, stage: Path, part: Part, language: str, primary: bool) -> None:
    fresh = out / f".pagefind-new-{part.folder}"
    try:
        shutil.rmtree(fresh, ignore_errors=True)
        _stage(out, stage / part.folder, part.docs, part.stubs)
        run_pagefind(stage / part.folder, fresh, language)
        if not primary:
            for p in fresh.iterdir():
                if p.name not in MERGED and not p.name.endswith(".pf_meta"):
                    shutil.rmtree(p) if p.is_dir() else p.unlink()
        _swap(fresh, out / part.folder)
    finally:
        shutil.rmtree(fresh, ignore_errors=True)


def index_search(out: Path, data: SiteData, stage: Path | None = None, *, made: dict | None = None,
                 workers: int = 1, progress=None) -> tuple[tuple[Problem, ...], dict]:
    """Write the search index into ``out/pagefind/`` (and ``pagefind-…/`` for further parts,
    see :data:`PART_BYTES`); return the warnings and the digest of every part now in place.

    ``made``: the digests an earlier build returned; a part whose digest is unchanged and
    whose folder is whole is not made again. Each part is written beside the old one and
    swapped in, so a failed run leaves the last whole part. ``stage``: a folder (outside the
    site) kept between builds for what Pagefind reads. ``workers``: parts indexed at once."""
    out = Path(out)
    language = index_language(data)
    parts = plan_parts(out, data, language)
    made = {k: v for k, v in (made or {}).items() if any(p.folder == k for p in parts)}
    todo = [p for i, p in enumerate(parts) if made.get(p.folder) != p.digest or not _made(out, p, i == 0)]
    failed: list[str] = []
    if todo:
        if progress:
            progress(0, len(todo), "index")
        with contextlib.ExitStack() as stack:
            if stage is None:
                stage = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=".search-", dir=out)))
            stage.mkdir(parents=True, exist_ok=True)
            for old in stage.iterdir():  # earlier layouts, and parts no longer made
                if not any(old.name == p.folder for p in parts):
                    shutil.rmtree(old) if old.is_dir() else old.unlink()

            def one(part: Part):
                try:
                    _make_part(out, stage, part, language, part is parts[0])
                except (SearchIndexError, OSError) as exc:
                    return part, str(exc)
                return part, None
            with ThreadPoolExecutor(max(1, min(workers, len(todo)))) as pool:
                for n, (part, why) in enumerate(pool.map(one, todo), 1):
                    made.pop(part.folder, None)
                    if why is None:
                        made[part.folder] = part.digest
                    else:
                        failed.append(why)
                    if progress:
                        progress(n, len(todo), "index")
    if _made(out, parts[0], True):
        others = [f"../{p.folder}/" for p in parts[1:] if _made(out, p, False)]
        try:
            write_changed(out, f"{FOLDER}/{SHARDS}", json.dumps(others) + "\n")
        except (OSError, SiteWriteError) as exc:
            failed.append(str(exc))
            made.pop(parts[0].folder, None)
    for old in folders_of(out, f"{FOLDER}-"):  # parts of a larger edition
        if not any(old.name == p.folder for p in parts):
            shutil.rmtree(old, ignore_errors=True)
    if not failed:
        return (), made
    which = "the search index" if len(parts) == 1 else f"{len(failed)} of the {len(parts)} parts of the search index"
    return (Problem(str(out), 0, 0, WARNING, "search-index",
                    f"{which} could not be built ({failed[0]}); the search page carries "
                    "a small index of titles and names instead of full-text search"),), made


def fallback_index(data: SiteData) -> list[dict]:
    """The inline index when Pagefind is missing: titles and names only, so it stays small."""
    out = [{"t": e.label, "k": e.noun, "u": e.href, "n": [n for n, _l, _t in e.names]} for e in data.entries]
    out += [{"t": d.title, "k": document_kind(d).capitalize(), "u": f"{d.id}.html",
             "n": [x for x in (d.sender, d.recipient) if x]} for d in data.documents]
    return out


def search_index(data: SiteData) -> list[dict]:
    """Kept under its old name for callers of the package: the fallback inline index."""
    return fallback_index(data)
