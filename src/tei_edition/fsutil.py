"""File-system helpers: atomic writes and safe discovery of XML files."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

TMP_PREFIX = ".tei-edition-tmp-"


def write_atomic(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write via a temporary file in the same folder, fsync, then ``os.replace``.

    A crash or a full disk leaves the previous file intact, never a half-written one.
    An existing symlink or hard link at ``path`` is replaced, never written through.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode(encoding) if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def iter_xml_files(paths: Iterable[str | os.PathLike]) -> Iterator[tuple[Path, Path]]:
    """Yield ``(file, root)`` for every ``*.xml`` under the given files or folders, sorted.

    ``root`` is the folder the file was found under (its own folder for a file
    given directly), so outputs can mirror the input tree. Symlinks that lead
    out of the root are skipped and directory loops are not followed.
    """
    for given in paths:
        given = Path(given)
        if given.is_dir():
            root = given.resolve()
            seen: set[tuple[int, int]] = set()
            yield from ((f, given) for f in _walk(given, root, seen))
        else:
            yield given, given.parent


def _walk(folder: Path, root: Path, seen: set) -> Iterator[Path]:
    try:
        st = folder.stat()
    except OSError:
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:  # a symlink loop or a second way into the same folder
        return
    seen.add(key)
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        p = Path(entry.path)
        if entry.name.startswith(".") or entry.name.startswith(TMP_PREFIX):
            continue
        if entry.is_symlink() and not p.resolve().is_relative_to(root):
            continue
        if entry.is_dir():
            yield from _walk(p, root, seen)
        elif entry.is_file() and entry.name.lower().endswith(".xml"):
            yield p
