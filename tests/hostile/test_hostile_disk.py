"""A full disk while writing keeps the previous output intact and leaves no debris.

The disk is a real 4 MB tmpfs when this machine lets us mount one (root in a
container usually can); otherwise writes are made to fail with ENOSPC by patching
``os.fdopen`` for the files the writer opens."""

import errno
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from hostile_util import REPO
from tei_edition import fsutil

TMP_PREFIX = fsutil.TMP_PREFIX


def _try_mount(folder: Path, size: str) -> bool:
    if os.name != "posix" or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True)
    return done.returncode == 0


class FullDisk:
    """``fill()`` makes the next writes under ``root`` fail with ENOSPC."""

    def __init__(self, root: Path, mode: str, monkeypatch):
        self.root, self.mode, self.monkeypatch = root, mode, monkeypatch

    def fill(self):
        if self.mode == "tmpfs":
            fd = os.open(self.root / ".filler", os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                while True:
                    os.write(fd, b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC
            finally:
                os.close(fd)
            return
        real_fdopen = os.fdopen
        root = str(self.root.resolve())

        class Full(io.RawIOBase):
            def __init__(self, fh):
                self.fh = fh

            def write(self, data):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

            def __getattr__(self, name):
                return getattr(self.fh, name)

        def fdopen(fd, *args, **kwargs):
            fh = real_fdopen(fd, *args, **kwargs)
            try:
                name = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                name = ""
            if name.startswith(root) and "w" in (args[0] if args else kwargs.get("mode", "r")):
                return Full(fh)
            return fh

        self.monkeypatch.setattr(os, "fdopen", fdopen)


@pytest.fixture(params=["tmpfs", "patched"])
def disk(request, tmp_path, monkeypatch):
    root = tmp_path / "disk"
    if request.param == "tmpfs":
        if not _try_mount(root, "4m"):
            pytest.skip("cannot mount a tmpfs here; the patched variant covers ENOSPC")
        request.addfinalizer(lambda: subprocess.run(["umount", "-l", str(root)], capture_output=True))
    else:
        root.mkdir()
    return FullDisk(root, request.param, monkeypatch)


def debris(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob(f"{TMP_PREFIX}*")]


def snapshot(folder: Path) -> dict:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def test_write_atomic_keeps_the_previous_file(disk):
    target = disk.root / "out.txt"
    fsutil.write_atomic(target, "previous output\n")
    disk.fill()
    with pytest.raises(OSError) as info:
        fsutil.write_atomic(target, "x" * 200_000)
    assert info.value.errno == errno.ENOSPC
    assert target.read_text() == "previous output\n"
    assert debris(disk.root) == []


def test_batch_run_on_a_full_disk_keeps_earlier_outputs(disk, tmp_path):
    from tei_edition import batch

    src = tmp_path / "in"
    src.mkdir()
    for f in (REPO / "tei").glob("*.xml"):
        shutil.copy(f, src / f.name)
    out = disk.root / "out"
    first = batch.run_transform([src], out, "text", jobs=0, quiet=True)
    assert first.failed == 0 and first.ok > 0
    before = snapshot(out)
    disk.fill()
    raised = None
    try:
        # narrower lines: every output changes and must be written (identical ones are left alone)
        second = batch.run_transform([src], out, "text", {"width": "50"}, jobs=0, quiet=True, force=True)
    except OSError as exc:
        raised = exc
    assert snapshot(out) == before, "an earlier output was truncated or replaced by a partial one"
    assert debris(out) == []
    assert raised is None, f"the run raised {raised!r} instead of reporting the full disk in its summary"
    assert second.failed > 0, "the full disk went unnoticed"
    assert second.exit_code != 0


def test_site_build_on_a_full_disk_keeps_earlier_pages(disk, tmp_path):
    from tei_edition import site

    out = disk.root / "site"
    try:
        site.build(None, out, force=True)
    except OSError:
        pytest.skip("the first build does not fit on this small disk")
    before = snapshot(out)
    disk.fill()
    try:
        site.build(None, out, force=True)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    after = snapshot(out)
    assert after == before, "a page of the previous site was truncated"
    assert debris(out) == []
