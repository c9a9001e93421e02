"""Long pages made in pieces give the bytes a whole body gives, and are written as they are
made, only when they changed; a register page groups only its own entries' mentions; a
document page written from the frame a worker is sent equals one written from the build's
own facts."""

from __future__ import annotations

import dataclasses
import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tei_edition.site import collector
from tei_edition.site.docpages import PageWriteTask, write_page
from tei_edition.site.files import write_changed
from tei_edition.site.model import Theme
from tei_edition.site.pages import layout, mentions_of, page_register, render_entry

text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The bundled edition as the build sees it."""
    return collector.gather_site(None, jobs=0, quiet=True, cache=tmp_path_factory.mktemp("cache"))


@settings(max_examples=40, deadline=None)
@given(pieces=st.lists(text, max_size=6),
       frame=st.sampled_from(["", "<main>$main</main>", "$main|${main}|$$main|$title", "no body here"]))
def test_a_body_in_pieces_is_the_body_joined(site, pieces, frame):
    data = dataclasses.replace(site.data, theme=Theme(layout=frame)) if frame else site.data
    whole = layout(data, title="T", body="".join(pieces), current="index.html")
    assert layout(data, title="T", body=pieces, current="index.html") == whole


def test_a_register_page_groups_its_own_entries_mentions(site):
    data = site.data
    for register in data.registers:
        entries = [e for e in data.entries if e.kind == register.kind]
        mine = mentions_of(data, {e.id for e in entries})
        assert mine and set(mine) <= {e.id for e in entries}
        for ident, ms in mine.items():  # by entry, each in reading order
            assert ms == [m for m in data.all_mentions() if m.ref == ident]
        page = page_register(data, register)
        assert all(render_entry(data, e) in page for e in entries)


def test_a_workers_frame_writes_the_same_pages(site, tmp_path):
    data = site.data
    task = pickle.loads(pickle.dumps(PageWriteTask(data, tmp_path / "a", site.records.folder, site.keys)))
    assert [d.title for d in task.data.documents] == [d.title for d in data.documents]
    assert all(not d.mentions and not d.dates and not d.parties[0] for d in task.data.documents)
    for i in range(len(data.documents)):
        here = write_page(data, i, tmp_path / "a", site.records, site.keys)
        there = write_page(task.data, i, tmp_path / "b", site.records, site.keys)
        assert here == there and all((tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes()
                                     for f in here)


@settings(max_examples=30, deadline=None)
@given(pieces=st.lists(text, max_size=5), before=st.none() | text)
def test_a_page_in_pieces_is_written_as_its_text_and_only_when_it_changed(tmp_path_factory, pieces, before):
    out = tmp_path_factory.mktemp("site")
    target = out / "persons.html"
    if before is not None:
        target.write_text(before, encoding="utf-8")
    inode = target.stat().st_ino if before is not None else None
    wrote = write_changed(out, "persons.html", iter(pieces))
    assert target.read_bytes() == "".join(pieces).encode("utf-8")
    assert wrote == (before != "".join(pieces))
    assert (target.stat().st_ino == inode) == (not wrote)  # an unchanged file is left as it was
    assert [p.name for p in out.iterdir()] == ["persons.html"]  # no temporary file stays


def test_a_link_planted_at_a_page_is_replaced_not_written_through(tmp_path):
    out, elsewhere = tmp_path / "site", tmp_path / "elsewhere.html"
    out.mkdir()
    elsewhere.write_text("kept", encoding="utf-8")
    (out / "persons.html").symlink_to(elsewhere)
    assert write_changed(out, "persons.html", iter(["kept"]))
    assert not (out / "persons.html").is_symlink() and elsewhere.read_text(encoding="utf-8") == "kept"
