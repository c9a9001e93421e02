"""Writing a file of the site: inside it, atomically, and only when its bytes change."""

from __future__ import annotations

from pathlib import Path

from ..fsutil import write_atomic


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


def write_changed(out: Path, rel: str, content: str | bytes) -> bool:
    """Write ``content`` at ``rel`` unless the file there already holds it."""
    target = safe_target(out, rel)
    payload = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if target.is_file() and not target.is_symlink() and target.stat().st_size == len(payload) \
                and target.read_bytes() == payload:
            return False
    except OSError:
        pass
    write_atomic(target, payload, durable=False)  # flushed once, before the state records it
    return True
