"""Writing a file of the site: inside it, atomically, and only when its bytes change."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterable

from ..fsutil import atomic_writer, write_atomic


class SiteWriteError(Exception):
    """A file of the site cannot be written where it must go (e.g. a planted folder link)."""


def safe_target(out: Path, rel: str) -> Path:
    """Where ``rel`` goes inside ``out``. The folder it lands in must resolve inside ``out``
    (a planted folder link is refused); a link planted at the file itself is harmless,
    since write_atomic replaces the link and never writes through it."""
    target = out / rel
    if ".." in Path(rel).parts or Path(rel).is_absolute() or \
            not target.parent.resolve().is_relative_to(out.resolve()):
        raise SiteWriteError(f"refusing to write {rel}: its folder leads outside {out}")
    return target


def write_changed(out: Path, rel: str, content: str | bytes | Iterable[str]) -> bool:
    """Write ``content`` at ``rel`` unless the file there already holds it. ``content`` may
    be text in pieces (a long page), written as they come and never held whole."""
    target = safe_target(out, rel)
    if not isinstance(content, (str, bytes)):
        return _write_pieces(target, content)
    payload = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if target.is_file() and not target.is_symlink() and target.stat().st_size == len(payload) \
                and target.read_bytes() == payload:
            return False
    except OSError:
        pass
    write_atomic(target, payload, durable=False)  # flushed once, before the state records it
    return True


class _Unchanged(Exception):
    """The pieces made the bytes the file already holds: the new file is not put in its place."""


def _write_pieces(target: Path, pieces: Iterable[str]) -> bool:
    digest, size = hashlib.sha256(), 0
    try:
        with atomic_writer(target, durable=False) as fh:  # removes what it wrote when the block raises
            for piece in pieces:
                data = piece.encode("utf-8")
                digest.update(data)
                size += len(data)
                fh.write(data)
            if _holds(target, size, digest.digest()):
                raise _Unchanged
    except _Unchanged:
        return False
    return True


def _holds(target: Path, size: int, digest: bytes) -> bool:
    """Is ``target`` a plain file (no link) of ``size`` bytes with this SHA-256?"""
    try:
        if not target.is_file() or target.is_symlink() or target.stat().st_size != size:
            return False
        with open(target, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").digest() == digest
    except OSError:
        return False
