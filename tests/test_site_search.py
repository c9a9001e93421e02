"""The site's search index: Pagefind's folder after a build, the pages' markup for it,
and the small inline index when Pagefind cannot run."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import html5lib
import pytest
from hypothesis import given, settings, strategies as st

from tei_edition import loader
from tei_edition.resources import edition_dir
from tei_edition.site import build, collect, search
from tei_edition.site.model import Entry

TEI = {"tei": "http://www.tei-c.org/ns/1.0"}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def parse(path_or_text):
    text = path_or_text.read_text(encoding="utf-8") if isinstance(path_or_text, Path) else path_or_text
    return html5lib.parse(text, treebuilder="lxml", namespaceHTMLElements=False).getroot()


def text_of(el) -> str:
    return " ".join("".join(el.itertext()).split())


def inline_index(page) -> list[dict] | None:
    block = next((s for s in page.iter("script") if s.get("id") == "te-search-index"), None)
    return None if block is None else json.loads(block.text)


def port_arthur() -> str:
    places = loader.load(edition_dir() / "places.xml").root
    return next(p.get(XML_ID) for p in places.iter(f"{{{TEI['tei']}}}place")
                if any(text_of(n) == "Port Arthur" for n in p.findall("tei:placeName", TEI)))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("search-site") / "site"
    result = build(None, out, force=True)
    assert result.built
    return out, result


@pytest.fixture
def broken_pagefind(monkeypatch):
    def fail(*_a, **_k):
        raise search.SearchIndexError("pagefind exited with status 1: no binary for this platform")
    monkeypatch.setattr(search, "run_pagefind", fail)


def test_build_writes_a_pagefind_index_and_no_inline_one(site):
    out, result = site
    assert not [n for n in result.notes if n.rule == "search-index"]
    data = collect(None, quiet=True)
    # one record per document page and per register entry, in the edition's one language; the
    # documents and the entries in parts of their own, which the search page merges
    parts = ["pagefind", *(p.strip("./") for p in json.loads((out / "pagefind" / "shards.json").read_text()))]
    counts = []
    for part in parts:
        entry = json.loads((out / part / "pagefind-entry.json").read_text(encoding="utf-8"))
        [(lang, facts)] = entry["languages"].items()
        assert lang == search.index_language(data)
        assert len(list((out / part / "fragment").iterdir())) == facts["page_count"]
        counts.append(facts["page_count"])
    assert sum(counts) == len(data.documents) + len(data.entries) > len(data.documents)
    assert counts[0] == len(data.documents)
    assert inline_index(parse(out / "search.html")) is None
    # the indexer's staging folder and stub pages are not published
    assert not [p for p in out.iterdir() if p.name.startswith(".search-") or p.name == "_entries"]


def test_document_pages_mark_what_is_indexed_and_what_is_not(site):
    out, _ = site
    for page in sorted(out.glob("*.html")):
        html = parse(page)
        bodies = html.findall(".//*[@data-pagefind-body]")
        if page.name in ("index.html", "search.html", "chronology.html") or not html.findall(".//article[@class='document']"):
            assert bodies == [], page.name  # registers come in as one record per entry instead
            continue
        [body] = bodies
        assert body.tag == "article" and body.get("data-pagefind-filter") in ("kind:letter", "kind:document")
        # navigation, header and footer lie outside the indexed body; the citations are ignored
        for outside in html.findall(".//nav") + html.findall(".//footer") + html.findall(".//script"):
            assert body not in outside.iterancestors() and outside not in body.iter(), page.name
        cite = body.find(".//section[@class='cite']")
        assert cite is not None and cite.get("data-pagefind-ignore") == "all"


def test_a_rebuild_replaces_the_index_whole(tmp_path):
    out = tmp_path / "site"
    assert build(None, out, force=True).built
    stale = out / "pagefind" / "fragment" / "stale.pf_fragment"
    stale.write_bytes(b"from an earlier build")
    assert build(None, out, force=True).built
    assert not stale.exists() and (out / "pagefind" / "pagefind.js").is_file()


def test_without_pagefind_the_build_completes_with_one_warning_and_an_inline_index(tmp_path, broken_pagefind):
    out = tmp_path / "site"
    result = build(None, out, force=True)
    assert result.built
    [note] = [n for n in result.notes if n.rule == "search-index"]
    assert str(note).startswith(f"{out}:0:0: warning: ") and str(note).endswith("[search-index]")
    assert "no binary for this platform" in note.message
    assert not (out / "pagefind").exists()
    index = inline_index(parse(out / "search.html"))
    hits = [e for e in index if "Port Arthur" in e["n"]]
    assert hits and hits[0]["u"] == f"places.html#{port_arthur()}"
    # titles and names only: none of the documents' text travels in the page
    assert all(set(e) == {"t", "k", "u", "n"} for e in index)
    body = text_of(parse(out / "note-zhou.html").find(".//section[@class='reading']"))
    longest = max(body.split(". "), key=len)
    assert len(longest) > 40 and longest not in json.dumps(index, ensure_ascii=False)


def test_a_failed_index_leaves_the_previous_one_in_place(tmp_path, monkeypatch):
    out = tmp_path / "site"
    assert build(None, out, force=True).built
    before = (out / "pagefind" / "pagefind-entry.json").read_bytes()
    monkeypatch.setattr(search, "run_pagefind",
                        lambda *a, **k: (_ for _ in ()).throw(search.SearchIndexError("failed")))
    page = (out / "search.html").read_bytes()
    result = build(None, out, force=True)
    [note] = [n for n in result.notes if n.rule == "search-index"]
    assert "the previous index is kept" in note.message
    # the last whole index and its search page stay (no downgrade to the inline fallback), untouched
    assert (out / "search.html").read_bytes() == page
    assert (out / "pagefind" / "pagefind-entry.json").read_bytes() == before
    monkeypatch.undo()
    assert not [n for n in build(None, out).notes if n.rule == "search-index"]  # the next build makes it


def test_the_runner_reports_a_binary_that_fails(tmp_path, monkeypatch):
    (tmp_path / "a.html").write_text("<html><body>x</body></html>", encoding="utf-8")
    monkeypatch.setattr(search.sys, "executable", "/bin/false")
    with pytest.raises(search.SearchIndexError, match="status 1"):
        search.run_pagefind(tmp_path, tmp_path / "pf", "en")


def test_the_runner_reports_a_missing_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pagefind_bin", None)  # import fails, as on a platform without a wheel
    with pytest.raises(search.SearchIndexError, match="not installed"):
        search.run_pagefind(tmp_path, tmp_path / "pf", "en")


names = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30).filter(str.strip)


@settings(max_examples=60, deadline=None)
@given(label=names, other=names, ident=st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True),
       kind=st.sampled_from(sorted(search.KIND_FILTER)))
def test_an_entry_stub_carries_its_names_link_and_kind_whatever_they_contain(label, other, ident, kind):
    e = Entry(id=ident, kind=kind, label=label, names=((label, "", ""), (other, "en", "")),
              noun="Person", page="persons.html")
    html = parse(search.entry_page(e, "en"))
    body = html.find("body")
    assert body.get("data-pagefind-filter") == f"kind:{search.KIND_FILTER[kind]}"
    assert text_of(html.find(".//h1")) == " ".join(label.split())
    metas = {el.get("data-pagefind-meta").split(":", 1)[0]: el for el in html.iter() if el.get("data-pagefind-meta")}
    assert metas["url"].get("data-pagefind-meta") == f"url:persons.html#{ident}"
    if other != label:
        assert " ".join(other.split()) in text_of(metas["names"])
    assert html.get("lang") == "en"


@settings(max_examples=80, deadline=None)
@given(langs=st.lists(st.sampled_from(["it", "it-IT", "la", "en", "EN-gb", "fr", ""]), max_size=12),
       edition=st.sampled_from(["en", "de-AT", ""]))
def test_the_index_is_stemmed_in_the_language_of_most_documents(langs, edition):
    from types import SimpleNamespace

    data = SimpleNamespace(documents=[SimpleNamespace(language=x) for x in langs],
                           edition=SimpleNamespace(lang=edition))
    got = search.index_language(data)
    primary = [x.split("-")[0].lower() for x in langs if x]
    if primary:
        assert primary.count(got) == max(primary.count(x) for x in primary)
    else:
        assert got == ((edition.split("-")[0].lower()) or "en")


def test_a_failed_part_keeps_its_last_index_and_the_others_are_made(tmp_path, monkeypatch):
    monkeypatch.setattr(search, "PART_BYTES", 20_000)
    out = tmp_path / "site"
    assert build(None, out, force=True).built
    parts = ["pagefind", *(p.strip("./") for p in json.loads((out / "pagefind" / "shards.json").read_text()))]
    assert len(parts) >= 3
    before = {p: (out / p / "pagefind-entry.json").stat().st_mtime_ns for p in parts}
    broken, real = parts[1], search.run_pagefind

    def run(site, target, language):
        if Path(site).name == broken:
            raise search.SearchIndexError("pagefind exited with status 1: simulated")
        return real(site, target, language)
    monkeypatch.setattr(search, "run_pagefind", run)
    result = build(None, out, force=True)
    [note] = [n for n in result.notes if n.rule == "search-index"]
    assert note.message.startswith(f"1 of the {len(parts)} parts of the search index could not be built")
    assert "the previous index is kept" in note.message
    assert (out / broken / "pagefind-entry.json").stat().st_mtime_ns == before[broken]
    assert all((out / p / "pagefind-entry.json").stat().st_mtime_ns != before[p] for p in parts if p != broken)
    assert json.loads((out / "pagefind" / "shards.json").read_text()) == [f"../{p}/" for p in parts[1:]]
    monkeypatch.setattr(search, "run_pagefind", real)
    assert not [n for n in build(None, out).notes if n.rule == "search-index"]  # the next build makes it
    assert (out / broken / "pagefind-entry.json").stat().st_mtime_ns != before[broken]


@settings(max_examples=40, deadline=None)
@given(ids=st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True), min_size=1, max_size=40, unique=True),
       budget=st.integers(200, 20_000), extra=st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True))
def test_every_page_is_indexed_in_exactly_one_part_which_its_name_decides(tmp_path_factory, ids, budget, extra):
    from types import SimpleNamespace

    out = tmp_path_factory.mktemp("parts")
    for i in ids + [extra]:
        (out / f"{i}.html").write_text("<p>" + "word " * 60 + "</p>", encoding="utf-8")
    docs = [SimpleNamespace(id=i, language="en") for i in ids]

    def plan(documents):
        data = SimpleNamespace(documents=documents, entries=[], edition=SimpleNamespace(lang="en"))
        return search.plan_parts(out, data, "en")
    old = search.PART_BYTES
    try:
        search.PART_BYTES = budget
        parts = plan(docs)
        placed = [d.id for p in parts for d in p.docs]
        assert sorted(placed) == sorted(ids) and parts[0].folder == "pagefind"
        assert all(p.docs for p in parts) and len({p.folder for p in parts}) == len(parts)
        home = {d.id: p.folder for p in parts for d in p.docs}
        more = plan(docs + [SimpleNamespace(id=extra, language="en")] if extra not in ids else docs)
        if len(more) == len(parts) and {p.folder for p in more} == {p.folder for p in parts}:
            assert all(home[d.id] == p.folder for p in more for d in p.docs if d.id in home)  # nobody moved
    finally:
        search.PART_BYTES = old
