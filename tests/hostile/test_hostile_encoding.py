"""Encodings, empty files and foreign roots: clean, located errors; UTF-16 works."""

import codecs

import pytest

from hostile_util import tei
from tei_edition.loader import Document, try_load
from tei_edition.problems import Problem

BODY = "<p>Zhou Enlai \u5468\u6069\u6765, Vyshinsky \u0412\u044b\u0448\u0438\u043d\u0441\u043a\u0438\u0439, caf\u00e9</p>"


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def body_text(doc):
    return doc.root.findtext(".//{http://www.tei-c.org/ns/1.0}body/{http://www.tei-c.org/ns/1.0}p")


@pytest.mark.parametrize("codec, bom", [("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
                                        ("utf-8", codecs.BOM_UTF8)])
@pytest.mark.parametrize("declared", [True, False])
def test_bom_encodings_work(tmp_path, codec, bom, declared):
    name = "UTF-16" if codec.startswith("utf-16") else "UTF-8"
    prolog = f'<?xml version="1.0" encoding="{name}"?>\n' if declared else ""
    path = write(tmp_path, "bom.xml", bom + tei(BODY, prolog=prolog).encode(codec))
    doc = try_load(path)
    assert isinstance(doc, Document), str(doc)
    assert body_text(doc) == "Zhou Enlai \u5468\u6069\u6765, Vyshinsky \u0412\u044b\u0448\u0438\u043d\u0441\u043a\u0438\u0439, caf\u00e9"


def test_latin1_bytes_in_a_utf8_file(tmp_path):
    text = tei("<p>ok</p>\n<p>caf\u00e9</p>").replace("<p>ok</p>", "<p>ok</p>")
    data = text.encode("latin-1")
    path = write(tmp_path, "latin1.xml", data)
    problem = try_load(path)
    assert isinstance(problem, Problem)
    assert problem.rule == "encoding" and problem.line == 2, str(problem)
    assert str(problem).startswith(f"{path}:2:")


def test_declared_latin1_but_utf8(tmp_path):
    data = tei("\n<p>caf\u00e9 \u5468</p>", prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n').encode("utf-8")
    problem = try_load(write(tmp_path, "mislabelled.xml", data))
    assert isinstance(problem, Problem)
    assert problem.rule == "encoding" and problem.line == 3 and "UTF-8" in problem.message, str(problem)


def test_declared_latin1_and_latin1_works(tmp_path):
    data = tei("<p>caf\u00e9</p>", prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n').encode("latin-1")
    doc = try_load(write(tmp_path, "latin1-ok.xml", data))
    assert isinstance(doc, Document), str(doc)
    assert body_text(doc) == "caf\u00e9"


def test_unknown_encoding_name(tmp_path):
    data = tei("<p>x</p>", prolog='<?xml version="1.0" encoding="x-no-such-encoding"?>').encode()
    problem = try_load(write(tmp_path, "unknown.xml", data))
    assert isinstance(problem, Problem) and problem.line >= 1, problem


@pytest.mark.parametrize("data", [b"", b"   \n\t\n", b"\xef\xbb\xbf"])
def test_empty_file(tmp_path, data):
    problem = try_load(write(tmp_path, "empty.xml", data))
    assert isinstance(problem, Problem)
    assert problem.rule in {"empty", "well-formed"} and (problem.line, problem.col) >= (1, 1), str(problem)


@pytest.mark.parametrize("text, where", [
    ('<html xmlns="http://www.w3.org/1999/xhtml"><body/></html>', "namespace http://www.w3.org/1999/xhtml"),
    ("<TEI><text/></TEI>", "no namespace"),
    ('<!-- c -->\n<svg xmlns="http://www.w3.org/2000/svg"/>', "svg"),
])
def test_non_tei_root(tmp_path, text, where):
    problem = try_load(write(tmp_path, "other.xml", text.encode()))
    assert isinstance(problem, Problem) and problem.rule == "not-tei", str(problem)
    assert where in problem.message and problem.line == text.count("\n") + 1


def test_non_tei_root_may_be_allowed(tmp_path):
    doc = try_load(write(tmp_path, "other.xml", b"<register/>"), require_tei=False)
    assert isinstance(doc, Document)


@pytest.mark.parametrize("data", [b"plain text, not XML", b"\x00\x01\x02\x03binary", b"<TEI", b"<?xml version='1.0'?>"])
def test_not_xml_at_all(tmp_path, data):
    problem = try_load(write(tmp_path, "junk.xml", data))
    assert isinstance(problem, Problem) and problem.line >= 1 and problem.severity == "error", problem
