"""The file-system helpers under the batch runner."""

from __future__ import annotations

import os

from tei_edition.fsutil import (TMP_PREFIX, digest_tree, is_inside, iter_xml_files, remove_temp_files,
                                write_atomic)


def test_write_atomic_replaces_links_instead_of_writing_through(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("original")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    hard = tmp_path / "hard.txt"
    os.link(target, hard)
    write_atomic(link, "new", durable=False)
    write_atomic(hard, b"new bytes")
    assert target.read_text() == "original"
    assert not link.is_symlink() and link.read_text() == "new"
    assert hard.read_bytes() == b"new bytes" and hard.stat().st_ino != target.stat().st_ino
    assert [p for p in tmp_path.iterdir() if p.name.startswith(TMP_PREFIX)] == []


def test_remove_temp_files_stays_inside_and_touches_only_temporaries(tmp_path):
    out = tmp_path / "out"
    (out / "a").mkdir(parents=True)
    (out / "a" / f"{TMP_PREFIX}x.html").write_text("partial")
    (out / "a" / "page.html").write_text("keep")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / f"{TMP_PREFIX}y.html").write_text("not ours")
    (out / "link").symlink_to(outside, target_is_directory=True)
    assert remove_temp_files(out) == 1
    assert (out / "a" / "page.html").exists() and (outside / f"{TMP_PREFIX}y.html").exists()


def test_is_inside_resolves_folders_but_not_the_last_name(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "escape").symlink_to(tmp_path, target_is_directory=True)
    (out / "file.html").symlink_to(tmp_path / "elsewhere.html")
    assert is_inside(out / "a" / "b.html", out)
    assert not is_inside(out / "escape" / "b.html", out)
    assert is_inside(out / "file.html", out)  # replaced by write_atomic, not followed
    assert not is_inside(out / ".." / "b.html", out)


def test_iter_xml_files_survives_a_loop_of_symlinks(tmp_path):
    a, b = tmp_path / "a", tmp_path / "a" / "b"
    b.mkdir(parents=True)
    (b / "doc.xml").write_text("<x/>")
    (b / "up").symlink_to(a, target_is_directory=True)
    (a / "self").symlink_to(a, target_is_directory=True)
    assert [f.name for f, _ in iter_xml_files([a])] == ["doc.xml"]


def test_digest_tree_sees_edits_and_new_files(tmp_path):
    (tmp_path / "x.xsl").write_text("a")
    first = digest_tree(tmp_path)
    os.utime(tmp_path / "x.xsl", (0, 0))
    assert digest_tree(tmp_path) == first  # timestamps play no part
    (tmp_path / "x.xsl").write_text("b")
    second = digest_tree(tmp_path)
    assert second != first
    (tmp_path / "y.xsl").write_text("b")
    assert digest_tree(tmp_path) != second
