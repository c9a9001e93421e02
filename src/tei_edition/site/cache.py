"""Each document's transform outputs and citations, kept between builds so that an
unchanged document is neither transformed nor cited again.

The cache lives beside the site (``SITE.cache/``, as the validation report lives
beside it), never inside what is published. An entry is found by a key over
everything its outputs depend on: the document's bytes, the files its transforms
read as context (the edition file and every file it points to), the stylesheets,
the package's code that makes them, and the parameters (base URL, edition title,
page name). Any change to any of these misses, and the document is made anew.
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from .. import __version__
from ..fsutil import digest_bytes, digest_file, digest_tree, write_atomic
from ..loader import Document


def keep_only(folder: Path, keys: set[str], also: str = "") -> None:
    """Remove the ``*.json`` entries of ``folder`` not named by ``keys`` (nor ``also``): a
    cache keeps only what this build used."""
    try:
        stale = [p for p in Path(folder).glob("*.json") if p.stem not in keys and p.name != also]
    except OSError:
        return
    for p in stale:
        try:
            p.unlink()
        except OSError:
            pass


def cache_dir(out: str | os.PathLike) -> Path:
    """The cache of the site at ``out``: beside it, never published with it."""
    return Path(f"{os.path.abspath(out).rstrip(os.sep)}.cache")


class TransformCache:
    """Transform outputs by key, in a folder; ``keep`` removes what this build did not use."""

    def __init__(self, folder: str | os.PathLike, fingerprint: str = "site"):
        self.folder = Path(folder)
        self.fingerprint = fingerprint
        self.used: set[str] = set()

    @functools.cached_property
    def shared(self) -> str:
        """What every entry shares: the code and stylesheets that make the outputs (read
        once, and only by whoever makes keys: a worker only gets and puts)."""
        from ..batch.tasks import _code_digest
        from ..resources import xslt_dir

        return digest_bytes("\n".join([
            __version__, self.fingerprint, digest_tree(xslt_dir(), (".xsl",)),
            _code_digest("transform.py", "citations.py", "xslt.py", "site")]).encode())

    def key(self, doc: Document, params: dict) -> str | None:
        from ..batch.tasks import _context_deps

        own = digest_file(doc.path)
        return None if own is None else self.key_of(own, _context_deps(doc), params)

    def key_of(self, own: str, deps, params: dict) -> str:
        """The key of a document whose bytes have the digest ``own``, drawing on ``deps``
        ((path, digest) pairs), made with ``params``."""
        return digest_bytes(json.dumps([self.shared, own, sorted(params.items()), [list(d) for d in deps]]).encode())

    def get(self, key: str | None) -> dict | None:
        if key is None:
            return None
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        self.used.add(key)
        return {k: ([tuple(c) for c in v] if isinstance(v, list) else v) for k, v in data.items()}

    def put(self, key: str | None, outputs: dict | None) -> None:
        """Keep outputs that came out whole (text only: a failed format is made again next time)."""
        if key is None or not outputs or not all(isinstance(v, (str, list)) for v in outputs.values()):
            return
        try:
            write_atomic(self.folder / f"{key}.json", json.dumps(outputs, ensure_ascii=False), durable=False)
        except OSError:
            return  # a cache that cannot be written only costs the next build time
        self.used.add(key)

    def keep(self, keys) -> None:
        """Remove every entry but those of ``keys`` (the documents of this build)."""
        self.used |= set(keys)
        self.keep_used()

    def keep_used(self) -> None:
        """Remove entries no document of this build used (removed or changed documents)."""
        keep_only(self.folder, self.used)


class CitationCache:
    """Formatted citations by the content of their CSL item: a document whose item did not
    change is never formatted again, even when its text or the stylesheets did."""

    def __init__(self, folder: str | os.PathLike):
        self.folder = Path(folder)

    @staticmethod
    def key(item: dict) -> str:
        return digest_bytes(json.dumps([__version__, _engine(), item], sort_keys=True, ensure_ascii=False).encode())

    def get(self, item: dict) -> list | None:
        try:
            found = json.loads((self.folder / f"{self.key(item)}.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return [tuple(c) for c in found] if isinstance(found, list) else None

    def keep(self, keys) -> None:
        """Remove every entry but those of ``keys`` (the citations of this build's documents)."""
        keep_only(self.folder, set(keys))

    def put(self, item: dict, citations: list) -> None:
        try:
            write_atomic(self.folder / f"{self.key(item)}.json", json.dumps(citations, ensure_ascii=False),
                         durable=False)
        except OSError:
            pass


@functools.lru_cache(maxsize=1)
def _engine() -> str:
    """The citeproc-py release that formats citations (read once: importlib.metadata is slow)."""
    try:
        from importlib.metadata import version
        return version("citeproc-py")
    except Exception:
        return ""
