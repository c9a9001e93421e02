"""File-system helpers: atomic writes and safe discovery of XML files."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

TMP_PREFIX = ".tei-edition-tmp-"


def write_atomic(path: str | os.PathLike, data: str | bytes, *, encoding: str = "utf-8",
                 durable: bool = True) -> Path:
    """Write via a temporary file in the same folder, fsync, then ``os.replace``.

    A crash or a full disk leaves the previous file intact, never a half-written one.
    An existing symlink or hard link at ``path`` is replaced, never written through.
    ``durable=False`` skips the per-file fsync (still atomic against a killed
    process); batch runs use it and flush once with :func:`sync_folder` before
    recording outputs in their journal.
    """
    payload = data.encode(encoding) if isinstance(data, str) else data
    with atomic_writer(path, durable=durable) as fh:
        fh.write(payload)
    return Path(path)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike, *, durable: bool = True, encoding: str | None = None):
    """:func:`write_atomic` for what is written in pieces: the file the block writes (text
    with an ``encoding``, else bytes) takes the place of ``path`` when the block ends, and
    is removed if it fails, so ``path`` is never half-written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=TMP_PREFIX, suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "w" if encoding else "wb", encoding=encoding) as fh:
            yield fh
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def holds_exactly(path: str | os.PathLike, data: bytes) -> bool:
    """Is ``path`` a plain file (no link, one name) holding exactly ``data``? Then a rebuild
    need not rewrite it: on ext4 a rename over an existing file also flushes its data
    (auto_da_alloc), about 0.7 ms a file, and the file keeps its time stamp for rsync."""
    try:
        st = os.lstat(path)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1 or st.st_size != len(data):
            return False
        with open(path, "rb") as fh:
            return fh.read(len(data) + 1) == data
    except OSError:
        return False


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
        try:
            # realpath, not resolve(): it does not raise on a loop of links
            if entry.is_symlink() and not Path(os.path.realpath(p)).is_relative_to(root):
                continue
            is_dir, is_file = entry.is_dir(), entry.is_file()  # a looping link raises ELOOP here
        except OSError:
            continue
        if is_dir:
            yield from _walk(p, root, seen)
        elif is_file and entry.name.lower().endswith(".xml"):
            yield p


def sync_folder(folder: str | os.PathLike) -> None:
    """Flush written data of the file system holding ``folder`` to disk."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        os.sync()
        return
    try:
        if hasattr(os, "syncfs"):
            os.syncfs(fd)  # type: ignore[attr-defined]
        else:
            os.sync()
        os.fsync(fd)  # the directory entries made by os.replace
    finally:
        os.close(fd)


def remove_temp_files(folder: str | os.PathLike) -> int:
    """Delete temporary files left by an interrupted write below ``folder``; return how many.

    Only names starting with :data:`TMP_PREFIX` are touched and symlinked
    folders are not entered, so nothing outside ``folder`` is ever removed.
    """
    removed = 0
    folder = Path(folder)
    if not folder.is_dir() or folder.is_symlink():
        return 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        for name in filenames:
            if name.startswith(TMP_PREFIX):
                try:
                    os.unlink(os.path.join(dirpath, name))
                    removed += 1
                except OSError:
                    pass
    return removed


def is_inside(path: str | os.PathLike, folder: str | os.PathLike) -> bool:
    """True when ``path`` (its folder resolved, symlinks included) stays inside ``folder``.

    The last component is not resolved: a symlink there is replaced by
    :func:`write_atomic`, not followed.
    """
    path = Path(os.path.abspath(path))
    return path.parent.resolve().joinpath(path.name).is_relative_to(Path(folder).resolve())


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest_file(path: str | os.PathLike) -> str | None:
    """SHA-256 of a regular file's content, or None when it cannot be read.

    Opened non-blocking and checked before reading, so a FIFO or device put in
    place of a file never blocks or streams forever.
    """
    import stat

    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    except OSError:
        return None
    finally:
        os.close(fd)
    return h.hexdigest()


def digest_tree(folder: str | os.PathLike, suffixes: tuple[str, ...] = ()) -> str:
    """One SHA-256 over the names and contents of every file below ``folder``.

    Any change to a stylesheet or schema (an edit, a new or removed file)
    changes the result, whatever the timestamps say.
    """
    folder = Path(folder)
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__pycache__")))
        for name in sorted(filenames):
            if name.startswith(".") or (suffixes and not name.endswith(suffixes)):
                continue
            full = Path(dirpath, name)
            h.update(full.relative_to(folder).as_posix().encode() + b"\0")
            h.update((digest_file(full) or "unreadable").encode() + b"\0")
    return h.hexdigest()


class FolderBusy(Exception):
    """Another run holds the lock on the same output folder."""


@contextlib.contextmanager
def folder_lock(folder: str | os.PathLike, name: str = ".tei-edition.lock"):
    """Hold an exclusive advisory lock on ``folder`` so two runs never share a journal."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    fd = os.open(folder / name, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise FolderBusy(f"another run is writing to {folder}") from None
        yield
    finally:
        os.close(fd)


def display_path(path: str | os.PathLike) -> str:
    """A path as the user should read it: relative to the working folder when inside it."""
    text = os.fspath(path)
    absolute = os.path.abspath(text)
    cwd = os.getcwd()
    return os.path.relpath(absolute, cwd) if absolute.startswith(cwd + os.sep) else text
