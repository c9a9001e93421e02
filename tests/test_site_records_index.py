"""The records' summaries: streamed into one index a line each, read back a line at a time,
and kept in the build process as compact page facts only."""

from __future__ import annotations

import json
import pickle

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tei_edition.site.model import DateMention, DocPage, Mention
from tei_edition.site.records import RecordStore, kept_of, light, page_of, page_to_json, summary_of

words = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
mentions = st.builds(Mention, words, words, words, words)
dates = st.builds(DateMention, words, words, words, words, words, words, words)


def page(ident: str, found_mentions=(), found_dates=()) -> DocPage:
    return DocPage(ident, f"/ed/{ident}.xml", f"Letter {ident}", "", ({"family": "Adler", "given": "Jakob"},),
                   "Jakob Adler", "Bruno Jung", "1880-01-01", "Wien", "", ("de",), "de", "", "letter",
                   "<p>text</p>", (("p1", "¶ 1", "text"),), tuple(found_mentions), tuple(found_dates),
                   (("Chicago", "<i>c</i>"),), (("txt", "Plain text", "text"),), b"<TEI/>",
                   parties=((("Jakob Adler", "persons.html#p1"),), ()))


def record(key: str, p: DocPage) -> dict:
    return {"version": 1, "key": key, "page": page_to_json(p), "citations": [["Chicago", "<i>c</i>"]],
            "cite": "", "notes": [], "missed": {}, "asked": {"index": {"p1": ["persons.html#p1", "person"]}}}


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(found=st.lists(mentions, max_size=6), when=st.lists(dates, max_size=3))
def test_kept_facts_are_the_light_page(found, when):
    rec = record("k", page("d1", found, when))
    for given_ in (rec, summary_of(rec), json.loads(json.dumps(summary_of(rec)))):  # as a worker or the index gives it
        kept = kept_of(given_)
        assert kept.page == light(page_of(rec)) and kept.page.body == "" and kept.page.xml == b""
        assert all(type(m) is Mention for m in kept.page.mentions) and len(kept.page.dates) == len(when)
    assert pickle.loads(pickle.dumps(kept)) == kept  # slots values travel to workers


def test_summaries_stream_into_one_index(tmp_path, monkeypatch):
    folder = tmp_path / "records"
    store = RecordStore(folder)
    monkeypatch.setattr(RecordStore, "FLUSH", 1)  # every summary appended as it comes
    records = {f"k{i}": record(f"k{i}", page(f"d{i}", [Mention("p1", f"d{i}", "p1", "¶ 1")])) for i in range(4)}
    for key, rec in records.items():
        assert store.write(key, rec)
        store.note(key, summary_of(rec))
    assert store.write("old", record("old", page("old")))  # a record this build did not use
    assert not (folder / RecordStore.INDEX).exists()  # until saved, the last index stands
    store.save()
    lines = (folder / RecordStore.INDEX).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == [json.loads(json.dumps(summary_of(r))) for r in records.values()]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*(f"{k}.json" for k in records), RecordStore.INDEX])

    (folder / "k1.json").unlink()  # a record gone: its summary is not offered
    lines[2] = lines[2][: len(lines[2]) // 2]  # a torn line costs only its record
    (folder / RecordStore.INDEX).write_text("\n".join(lines) + "\n", encoding="utf-8")
    again = RecordStore(folder)
    assert [s["key"] for s in again.kept({"k0", "k1", "k2", "k3"})] == ["k0", "k3"]
    assert [s["key"] for s in again.kept({"k3"})] == ["k3"]
    # from its file, where the index fails
    assert again.summary("k2") == json.loads(json.dumps(summary_of(records["k2"])))
    assert list(RecordStore(tmp_path / "none").kept({"k0"})) == []
