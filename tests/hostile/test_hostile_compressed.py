"""Compressed bombs: a .xml file holding gzip (or other) bytes is refused, never expanded."""

import bz2
import gzip
import lzma
import resource
import zipfile
import io

import pytest

from hostile_util import tei
from tei_edition.loader import parse_bytes, read_bytes, try_load
from tei_edition.problems import Problem


def gzip_bomb(expanded: int = 512 * 1024 * 1024) -> bytes:
    """A TEI document of ``expanded`` bytes (mostly one text node), gzip-compressed."""
    head, tail = tei("<p>@</p>").encode().split(b"@")
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as gz:
        gz.write(head)
        chunk = b"a" * (1 << 20)
        for _ in range(expanded // len(chunk)):
            gz.write(chunk)
        gz.write(tail)
    return buf.getvalue()


def test_gzip_named_xml_is_refused_without_expanding(tmp_path):
    data = gzip_bomb()
    assert len(data) < 1_000_000  # half a gigabyte behind under a megabyte
    path = tmp_path / "bomb.xml"
    path.write_bytes(data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    problem = try_load(path)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert isinstance(problem, Problem) and problem.rule == "compressed", str(problem)
    assert str(problem).startswith(f"{path}:1:1: error: ")
    assert grown_mb < 50, f"memory grew by {grown_mb:.0f} MB"


@pytest.mark.parametrize("kind", ["bzip2", "xz", "zip"])
def test_other_compressions_are_refused(kind):
    text = tei().encode()
    if kind == "bzip2":
        data = bz2.compress(text)
    elif kind == "xz":
        data = lzma.compress(text)
    else:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("a.xml", text)
        data = buf.getvalue()
    problem = parse_bytes(data, "c.xml")
    assert isinstance(problem, Problem) and problem.rule == "compressed" and kind in problem.message


def test_read_bytes_returns_the_raw_bytes(tmp_path):
    data = gzip.compress(tei().encode())
    (tmp_path / "g.xml").write_bytes(data)
    assert read_bytes(tmp_path / "g.xml") == data
