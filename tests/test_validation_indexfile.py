"""The incremental validation's index: one JSON document, read back a file's entry a line."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tei_edition.validation.indexfile import entry_of, read_index, write_index

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)  # any character a path or message holds
values = st.recursive(st.none() | st.booleans() | st.integers() | text,
                      lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                      max_leaves=8)
entries = st.dictionaries(text, st.fixed_dictionaries(
    {"digest": st.none() | text, "kind": st.none() | st.sampled_from(["document", "edition", "register"])},
    optional={"problems": values, "ids": values, "name": text}), max_size=5)
heads = st.fixed_dictionaries({"format": st.integers(), "fingerprint": text, "unusable": st.booleans(),
                               "targets": st.dictionaries(text, values, max_size=3)})


def write(path: Path, head: dict, files: dict) -> dict:
    made = {f: entry_of(e) for f, e in files.items()}
    write_index(path, head, ((f, e.text) for f, e in made.items()))
    return made


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=heads, files=entries)
def test_written_and_read_back(tmp_path, head, files):
    path = tmp_path / "index.json"
    made = write(path, head, files)
    assert json.loads(path.read_text(encoding="utf-8")) == {**head, "files": files}  # one JSON document
    got_head, got = read_index(path, lambda h: True)
    assert got_head == head and got == made
    assert {f: e.decoded() for f, e in got.items()} == files
    assert all((e.digest, e.kind) == (files[f]["digest"], files[f]["kind"]) for f, e in got.items())
    lines = path.read_text(encoding="utf-8").split("\n")
    assert len(lines) == len(files) + 3  # the header, a file a line, the close, and after the last newline


def test_a_header_not_wanted_reads_no_entry(tmp_path):
    path = tmp_path / "index.json"
    write(path, {"format": 3, "fingerprint": "old"}, {"/a.xml": {"digest": "d", "kind": "document"}})
    head, got = read_index(path, lambda h: h["fingerprint"] == "new")
    assert head["fingerprint"] == "old" and got == {}


def test_another_layout_is_read_whole_and_damage_costs_only_the_entry(tmp_path):
    path = tmp_path / "index.json"
    files = {"/a.xml": {"digest": "d", "kind": "document"}, "/b.xml": {"digest": "e", "kind": None}}
    path.write_text(json.dumps({"format": 2, "files": {**files, "/c.xml": "not an entry"}}), encoding="utf-8")
    head, got = read_index(path, lambda h: True)
    assert head == {"format": 2} and {f: e.decoded() for f, e in got.items()} == files
    write(path, {"format": 3}, files)
    lines = path.read_text(encoding="utf-8").split("\n")
    lines[1] = lines[1][:12]  # a torn line
    path.write_text("\n".join(lines), encoding="utf-8")
    head, got = read_index(path, lambda h: True)
    assert head == {"format": 3} and list(got) == ["/b.xml"]
    for damage in (b"", b"\x00{not json", b"[1, 2]"):
        path.write_bytes(damage)
        assert read_index(path, lambda h: True) == ({}, {})
    assert read_index(tmp_path / "missing.json", lambda h: True) == ({}, {})
