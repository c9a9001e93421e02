"""The Edition model used by validate, the site and the transforms: kinds of file,
the id index and pointer resolution."""

from __future__ import annotations

from pathlib import Path

import pytest

from tei_edition import loader
from tei_edition.edition import DOCUMENT, EDITION, REGISTER, Edition, classify, split_pointer
from tei_edition.problems import Problem
from tei_edition.resources import edition_dir

INVALID = Path(__file__).parent / "data" / "invalid"
TEI = "http://www.tei-c.org/ns/1.0"


def tei(body: str, text_attrs: str = "") -> bytes:
    return (f'<TEI xmlns="{TEI}"><teiHeader/><text{text_attrs}><body>{body}</body></text></TEI>').encode()


@pytest.mark.parametrize("body, attrs, kind", [
    ("<p>x</p>", ' type="edition"', EDITION),
    ("<p>x</p>", ' type="register"', REGISTER),
    ("<head>Persons</head><listPerson><person/></listPerson>", "", REGISTER),
    ("<listPlace><place/></listPlace><listOrg><org/></listOrg>", "", REGISTER),
    ("<listPerson><person/></listPerson><p>and prose</p>", "", DOCUMENT),
    ("<p>x</p>", "", DOCUMENT),
    ("", "", DOCUMENT),
])
def test_classification(body, attrs, kind):
    doc = loader.parse_bytes(tei(body, attrs), "x.xml")
    assert classify(doc) == kind


def test_split_pointer():
    assert split_pointer("#a") == ("", "a")
    assert split_pointer("persons.xml#zhou-enlai") == ("persons.xml", "zhou-enlai")
    assert split_pointer("persons.xml") == ("persons.xml", None)
    assert split_pointer("dir%20x/p.xml#a%2Db") == ("dir x/p.xml", "a-b")
    assert split_pointer("https://example.org/x#y") is None
    assert split_pointer("mailto:someone@example.org") is None


def test_the_bundled_edition_is_sorted_into_kinds():
    edition = Edition.load()
    assert not edition.problems, edition.problems
    assert edition.edition_file is not None and edition.edition_file.id == "edition"
    registers = {d.id for d in edition.registers}
    assert {"persons", "places", "organisations"} <= registers
    documents = {d.id for d in edition.documents}
    assert {"communique", "note-zhou"} <= documents
    assert not documents & registers


def test_resolving_pointers_in_the_bundled_edition():
    edition = Edition.load([edition_dir()])
    note = next(d for d in edition.documents if d.id == "note-zhou")
    person = edition.resolve("persons.xml#zhou-enlai", note)
    assert person is not None and person.tag == f"{{{TEI}}}person"
    assert edition.resolve("persons.xml", note) is next(d for d in edition.registers if d.id == "persons").root
    assert edition.resolve("#note-zhou", note) is note.root
    assert edition.resolve("persons.xml#nobody-at-all", note) is None
    assert edition.resolve("https://example.org/", note) is None
    index = edition.id_index()
    assert [Path(d.path).name for d, _ in index["zhou-enlai"]] == ["persons.xml"]


def test_files_that_fail_to_load_become_problems_and_the_rest_load():
    edition = Edition.load([INVALID / "malformed.xml", INVALID / "ok-document.xml"])
    assert len(edition) == 1
    (problem,) = edition.problems
    assert isinstance(problem, Problem) and problem.rule == "well-formed"


def test_a_pointer_into_a_file_outside_the_set_is_loaded_on_demand():
    edition = Edition.load([INVALID / "ok-document.xml"])
    (doc,) = edition.documents
    target = edition.resolve("ok-register.xml#known-person", doc)
    assert target is not None and target.get("{http://www.w3.org/XML/1998/namespace}id") == "known-person"
    assert len(edition) == 1  # loaded for resolving, not added to the files checked
