"""The search page in headless Chromium, with Pagefind's index and with the inline fallback.

Names are read from the TEI, not copied from the pages. The fixtures (site, server,
browser, page) are those of test_site_browser.py, so both modules drive Chromium alike.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import re
import threading
from urllib.parse import quote, urljoin

import pytest

from tei_edition import loader
from tei_edition.resources import edition_dir
from test_site_browser import (TEI, XML_ID, _Quiet, browser, built_site, norm, page,  # noqa: F401
                               place_called, site_url)

pytestmark = pytest.mark.browser


def results(page) -> list[tuple[str, str]]:
    """(href, kind) of every result shown."""
    page.locator("#te-search-results li").first.wait_for()
    return [(li.locator("a").get_attribute("href"), norm(li.locator(".result-kind").inner_text()))
            for li in page.locator("#te-search-results li").all()]


def letters_naming(ref: str) -> set[str]:
    """The documents (by file name and xml:id) whose text or header points at the entry ``ref``."""
    out = set()
    for path in sorted(edition_dir().glob("*.xml")):
        root = loader.load(path).root
        if any(el.get("ref", "").split("#")[-1] == ref for el in root.iter()):
            out |= {path.stem, root.get(XML_ID) or path.stem}
    return out


def test_pagefind_index_is_used_and_finds_the_place_first(page, site_url, built_site):
    assert (built_site / "pagefind" / "pagefind.js").is_file()
    place = place_called("Port Arthur")
    fetched = []
    page.on("request", lambda r: fetched.append(r.url))
    page.goto(urljoin(site_url, "index.html"))
    page.fill("#te-site-q", "Port Arthur")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q=Port"))
    found = results(page)
    assert found[0][0].endswith(f"places.html#{place}")
    assert any("/pagefind/" in u for u in fetched)  # the answer came from Pagefind's chunks
    page.locator("#te-search-results li a").first.click()
    page.wait_for_url(re.compile(rf"places\.html#{re.escape(place)}$"))
    assert page.locator(f"article#{place}").is_visible()
    assert page.errors == [] and page.foreign == []


def test_a_persons_name_finds_the_entry_and_the_letters_that_name_them(page, site_url):
    persons = loader.load(edition_dir() / "persons.xml").root
    person = next(p for p in persons.iter(f"{{{TEI['tei']}}}person")
                  if letters_naming(p.get(XML_ID)) and p.find("tei:persName/tei:surname", TEI) is not None)
    surname = norm("".join(person.find("tei:persName/tei:surname", TEI).itertext()))
    page.goto(urljoin(site_url, f"search.html?q={quote(surname)}"))
    found = results(page)
    entries = [h for h, _k in found if "#" in h and h.split("#")[1] == person.get(XML_ID)]
    assert entries, (surname, found)
    kinds = dict(found)
    assert kinds[entries[0]] == "Person"
    shown = {h.rsplit("/", 1)[-1].split(".html")[0] for h, k in found if k in ("Letter", "Document")}
    assert shown & letters_naming(person.get(XML_ID)), (surname, found)
    page.fill("#te-q", "zzzqxv")
    page.locator("#te-search-status", has_text="0 results").wait_for()  # no eval: the CSP forbids it
    assert page.locator("#te-search-results li").count() == 0
    assert page.errors == []


@pytest.fixture(scope="module")
def italian_site(tmp_path_factory):
    """The bundled edition with its documents in Italian, its edition file still in English."""
    from editions import copy_edition
    from tei_edition.site import build

    root = tmp_path_factory.mktemp("italian")
    src = copy_edition(root / "tei")
    for path in src.glob("*.xml"):
        if path.name != "edition.xml":
            text = path.read_text(encoding="utf-8")
            text = text.replace('xml:lang="en"', 'xml:lang="it"')
            path.write_text(text.replace('ident="en" usage="100"', 'ident="it" usage="100"'), encoding="utf-8")
    out = root / "site"
    assert build([src], out).built
    return out


@contextlib.contextmanager
def served(browser, folder):
    """A new browser page, and the URL of ``folder`` served over HTTP."""
    handler = functools.partial(_Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        pg = context.new_page()
        pg.errors = []
        pg.on("console", lambda m: pg.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
        pg.on("pageerror", lambda e: pg.errors.append(f"page error: {e}"))
        yield pg, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        context.close()
        server.shutdown()
        server.server_close()


def test_letters_in_another_language_are_found_from_the_search_page(browser, italian_site):
    """Pagefind picks the index by the search page's lang; the one index is Italian here."""
    with served(browser, italian_site) as (pg, url):
        wasm = []
        pg.on("request", lambda r: wasm.append(r.url.rsplit("/", 1)[-1]) if ".pagefind" in r.url else None)
        pg.goto(f"{url}search.html?q=Port%20Arthur")
        assert pg.get_attribute("html", "lang") == "en"
        found = results(pg)
        assert found[0][0] == f"places.html#{place_called('Port Arthur')}"
        assert "wasm.it.pagefind" in wasm  # queries are stemmed as the texts were


@pytest.fixture(scope="module")
def parted_site(tmp_path_factory, monkeypatch_module):
    """The bundled edition with its index made in parts, as a large edition's is."""
    from tei_edition.site import build, search

    monkeypatch_module.setattr(search, "PART_BYTES", 20_000)
    out = tmp_path_factory.mktemp("parted") / "site"
    result = build(None, out, force=True)
    monkeypatch_module.undo()
    assert result.built and not [n for n in result.notes if n.rule == "search-index"]
    return out


def test_an_index_in_parts_is_searched_whole(browser, parted_site):
    """Every part is merged: a name finds its entry and its letters wherever their pages were
    indexed, the WebAssembly is fetched once, and results lead to the pages of a site served
    from a subfolder."""
    parts = [p.strip("./") for p in json.loads((parted_site / "pagefind" / "shards.json").read_text(encoding="utf-8"))]
    assert len(parts) >= 2
    for folder in ["pagefind", *parts]:
        assert (parted_site / folder / "pagefind-entry.json").is_file()
        assert folder == "pagefind" or not (parted_site / folder / "pagefind.js").exists()
    persons = loader.load(edition_dir() / "persons.xml").root
    person = next(p for p in persons.iter(f"{{{TEI['tei']}}}person")
                  if len(letters_naming(p.get(XML_ID))) >= 2 and p.find("tei:persName/tei:surname", TEI) is not None)
    surname = norm("".join(person.find("tei:persName/tei:surname", TEI).itertext()))
    with served(browser, parted_site.parent) as (pg, url):
        fetched = []
        pg.on("request", lambda r: fetched.append(r.url[len(url):]))
        pg.goto(f"{url}{parted_site.name}/search.html?q={quote(surname)}")
        found = results(pg)
        assert any("#" in h and h.split("#")[1] == person.get(XML_ID) for h, _k in found), (surname, found)
        letters = [h for h, k in found if k in ("Letter", "Document")]
        assert {h.split(".html")[0] for h in letters} & letters_naming(person.get(XML_ID)), (surname, found)
        metas = {u.split("/")[1] for u in fetched if u.split("?")[0].endswith(".pf_meta")}
        assert metas == {"pagefind", *parts}  # every part was merged
        assert len([u for u in fetched if "/wasm." in u]) == 1
        pg.locator("#te-search-results li a", has_text=re.compile(".")).nth(len(found) - 1).click()
        pg.wait_for_url(re.compile(rf"^{re.escape(url + parted_site.name)}/[^/]+\.html"))
        assert pg.errors == []


def test_opened_from_disk_the_page_says_search_needs_http(page, built_site):
    page.goto((built_site / "search.html").as_uri() + "?q=Zhou")
    page.wait_for_load_state("load")
    status = page.inner_text("#te-search-status")
    assert "served over HTTP" in status
    assert page.locator("#te-search-results li").count() == 0
    assert page.errors == []


@pytest.fixture(scope="module")
def fallback_site(tmp_path_factory, monkeypatch_module):
    from tei_edition.site import build, search

    def broken(*_a, **_k):
        raise search.SearchIndexError("pagefind exited with status 1: simulated")
    monkeypatch_module.setattr(search, "run_pagefind", broken)
    out = tmp_path_factory.mktemp("fallback-site") / "site"
    result = build(None, out, force=True)
    assert result.built and any(n.rule == "search-index" for n in result.notes)
    return out


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def test_without_pagefind_the_inline_index_still_finds_names_even_from_disk(page, fallback_site):
    place = place_called("Port Arthur")
    assert not (fallback_site / "pagefind").exists()
    page.goto((fallback_site / "search.html").as_uri() + "?q=Port%20Arthur")
    found = results(page)
    assert found[0][0].endswith(f"places.html#{place}")
    assert page.errors == []
