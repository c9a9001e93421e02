"""The built site in headless Chromium: links, popovers, search, accessibility, console.

What is looked for (a person, the place called Port Arthur) is read from the TEI,
not copied from the pages. Where no browser is installed the tests are skipped
locally, but fail in CI (CI=true): a browser test that silently does not run
proves nothing. (The fixtures live here, not in a conftest.py, so that no second
module named ``conftest`` shadows the suite's own.)
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest

from tei_edition import loader
from tei_edition.resources import edition_dir

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"  # screenshots, not committed
pytestmark = pytest.mark.browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]
AXE = Path(__file__).resolve().parents[1] / "js" / "node_modules" / "axe-core" / "axe.min.js"


def _missing(what: str):
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{what} is missing, and browser tests must run in CI (run tests/setup.sh)", pytrace=False)
    pytest.skip(f"{what} is missing (run tests/setup.sh)")


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    from tei_edition.site import build

    out = tmp_path_factory.mktemp("browser-site") / "site"
    result = build(None, out, force=True)
    assert result.built
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def site_url(built_site):
    handler = functools.partial(_Quiet, directory=str(built_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")  # not session: other modules start their own Playwright
def browser():
    path = chromium_path()
    if not path:
        _missing("Chromium (/usr/bin/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright Python package")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, site_url):
    """A fresh page that records console errors, page errors and any request leaving the site."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.errors = []
    pg.foreign = []
    pg.on("console", lambda m: pg.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(f"page error: {e}"))
    # a request cut short by the next navigation (net::ERR_ABORTED) is no fault of the site;
    # a missing file still shows up as a console error
    pg.on("requestfailed", lambda r: None if "ERR_ABORTED" in (r.failure or "")
          else pg.errors.append(f"request failed: {r.url} ({r.failure})"))
    pg.on("request", lambda r: None if r.url.startswith(site_url) else pg.foreign.append(r.url))
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="module")
def axe_path() -> Path:
    if not AXE.is_file():
        _missing("axe-core (npm ci in tests/js)")
    return AXE


# --- the tests ----------------------------------------------------------------------

TEI = {"tei": "http://www.tei-c.org/ns/1.0"}
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def first_person_mentioned(doc_name: str) -> tuple[str, str]:
    """(id, name in the register) of the first person mentioned in a document's text."""
    doc = loader.load(edition_dir() / doc_name)
    pers = next(p for p in doc.root.find("tei:text", TEI).iter(f"{{{TEI['tei']}}}persName") if p.get("ref"))
    ident = pers.get("ref").split("#")[1]
    persons = loader.load(edition_dir() / "persons.xml")
    entry = next(p for p in persons.root.iter(f"{{{TEI['tei']}}}person") if p.get(XML_ID) == ident)
    return ident, norm("".join(entry.find("tei:persName", TEI).itertext()))


def place_called(name: str) -> str:
    places = loader.load(edition_dir() / "places.xml")
    return next(p.get(XML_ID) for p in places.root.iter(f"{{{TEI['tei']}}}place")
                if any(norm("".join(n.itertext())) == name for n in p.findall("tei:placeName", TEI)))


def test_every_internal_link_resolves_and_no_console_errors(page, site_url):
    """Crawl every page from the home page; every link, stylesheet and script must load,
    and every #fragment must name an element of its target page."""
    ids: dict[str, set[str]] = {}
    wanted: list[tuple[str, str, str]] = []   # (from page, target page, fragment)
    resources: set[str] = set()
    queue, seen = deque([urljoin(site_url, "index.html")]), set()
    while queue:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("load")
        ids[url] = set(page.eval_on_selector_all("[id]", "els => els.map(e => e.id)"))
        links = page.eval_on_selector_all(
            "a[href], link[href], script[src]", "els => els.map(e => e.href || e.src)")
        for link in links:
            if not link.startswith(site_url):
                assert link.startswith(("https://", "http://", "mailto:")), f"{url}: odd link {link}"
                continue
            target, fragment = urldefrag(link)
            if target.endswith(".html"):
                queue.append(target)
                if fragment:
                    wanted.append((url, target, fragment))
            else:
                resources.add(target)
    for url in sorted(resources):
        response = page.request.get(url)
        assert response.status == 200, url
    missing = [f"{src} -> {tgt}#{frag}" for src, tgt, frag in wanted if frag not in ids.get(tgt, set())]
    assert not missing, missing[:20]
    assert len(seen) >= 11 and len(wanted) > 50
    assert page.errors == [], page.errors
    assert page.foreign == [], page.foreign


def test_person_popover_opens_by_keyboard_and_leads_to_the_register(page, site_url):
    ident, name = first_person_mentioned("note-zhou.xml")
    page.goto(urljoin(site_url, "note-zhou.html"))
    for _ in range(300):
        page.keyboard.press("Tab")
        hit = page.evaluate("""id => { const e = document.activeElement;
            return !!e && e.matches('[role=button].entity') && e.dataset.refs.split(' ').includes(id); }""", ident)
        if hit:
            break
    else:
        pytest.fail(f"no focusable mention of {ident} reached by Tab")
    button = page.locator(":focus")
    assert button.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    panel = page.locator(f"#{button.get_attribute('aria-controls')}")
    assert panel.is_visible()
    assert name in norm(panel.inner_text())
    link = panel.locator(f"a[href='persons.html#{ident}']")
    assert link.count() == 1
    page.keyboard.press("Escape")  # Esc closes and gives focus back to the button
    assert panel.is_hidden()
    assert button.get_attribute("aria-expanded") == "false"
    assert page.evaluate("document.activeElement.getAttribute('aria-controls')") == button.get_attribute("aria-controls")
    page.keyboard.press(" ")  # Space opens too
    assert panel.is_visible()
    page.keyboard.press("Tab")  # focus moves into the popover, which stays open
    assert page.evaluate("document.activeElement.getAttribute('href')") == f"persons.html#{ident}"
    assert panel.is_visible()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"persons\.html#{re.escape(ident)}$"))
    entry = page.locator(f"article#{ident}")
    assert entry.is_visible() and name in norm(entry.inner_text())
    assert page.evaluate("document.querySelector(':target') && document.querySelector(':target').id") == ident
    assert page.errors == []


def test_popover_stays_open_while_hovered_and_closes_after(page, site_url):
    page.goto(urljoin(site_url, "communique.html"))
    button = page.locator("[role=button].entity").first
    button.hover()
    panel = page.locator(f"#{button.get_attribute('aria-controls')}")
    panel.wait_for(state="visible")
    box = panel.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 4, steps=5)
    page.wait_for_timeout(900)
    assert panel.is_visible(), "the popover vanished while the pointer was on it"
    page.mouse.move(5, 880, steps=5)
    page.wait_for_timeout(900)
    assert panel.is_hidden()


def test_search_finds_port_arthur_and_leads_to_the_lushun_entry(page, site_url):
    place = place_called("Port Arthur")
    page.goto(urljoin(site_url, "index.html"))
    page.fill("#te-site-q", "Port Arthur")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"search\.html\?q=Port"))
    first = page.locator("#te-search-results li a").first
    first.wait_for()
    assert first.get_attribute("href") == f"places.html#{place}"
    first.click()
    page.wait_for_url(re.compile(rf"places\.html#{re.escape(place)}$"))
    assert page.locator(f"article#{place}").is_visible()
    for word in ("Lushun", "Zhou"):
        page.goto(urljoin(site_url, f"search.html?q={word}"))
        page.locator("#te-search-results li").first.wait_for()
        assert page.locator("#te-search-results li").count() > 0
    page.fill("#te-q", "zzzz-nothing")
    page.wait_for_timeout(400)
    assert page.locator("#te-search-results li").count() == 0
    assert "0 results" in page.inner_text("#te-search-status")
    assert page.errors == []


def test_copy_button_copies_the_citation(browser, site_url):
    context = browser.new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site_url.rstrip("/"))
    pg = context.new_page()
    try:
        pg.goto(urljoin(site_url, "note-zhou.html"))
        button = pg.locator("button.copy").first
        button.click()
        pg.wait_for_selector(".copy-status:not(:empty)")
        copied = pg.evaluate("navigator.clipboard.readText()")
        source = pg.locator(f"#{button.get_attribute('data-copy')}").inner_text()
        assert norm(copied) == norm(source) and len(copied) > 20
    finally:
        context.close()


AXE_PAGES = ["index.html", "communique.html", "note-zhou.html", "persons.html", "places.html",
             "organisations.html", "treaties.html", "chronology.html", "search.html?q=Zhou"]


@pytest.fixture
def axe_page(browser, site_url):
    """A page that lets the test inject axe-core (the site's CSP forbids inline script)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    pg = context.new_page()
    pg.errors = []
    pg.on("pageerror", lambda e: pg.errors.append(f"page error: {e}"))
    try:
        yield pg
    finally:
        context.close()


@pytest.mark.parametrize("name", AXE_PAGES)
def test_axe_reports_no_serious_or_critical_violations(axe_page, site_url, axe_path, name):
    page = axe_page
    page.goto(urljoin(site_url, name))
    page.wait_for_load_state("load")
    if name.endswith(".html") and name not in ("index.html",) and page.locator("[role=button].entity").count():
        page.locator("[role=button].entity").first.click()  # check with a popover open, too
    page.add_script_tag(path=str(axe_path))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    bad = [f"{v['id']} ({v['impact']}): {v['help']} -- {[n['target'] for n in v['nodes']][:3]}"
           for v in result["violations"] if v.get("impact") in ("serious", "critical")]
    assert bad == [], "\n".join(bad)
    assert page.errors == []


def test_screenshots_of_the_home_page_and_a_document(page, site_url):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for name, shot in (("index.html", "home.png"), ("note-zhou.html", "document.png"),
                       ("places.html", "places.png")):
        page.goto(urljoin(site_url, name))
        page.wait_for_load_state("load")
        page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
        assert (ARTIFACTS / shot).stat().st_size > 10_000
    page.goto(urljoin(site_url, "note-zhou.html"))
    page.locator("[role=button].entity").nth(4).click()
    page.screenshot(path=str(ARTIFACTS / "popover.png"))
    page.emulate_media(media="print")
    page.screenshot(path=str(ARTIFACTS / "document-print.png"), full_page=True)


def test_the_site_also_works_opened_from_disk(page, built_site):
    page.goto((built_site / "note-zhou.html").as_uri())
    assert page.locator("[role=button].entity").count() > 5
    page.goto((built_site / "search.html").as_uri() + "?q=Port%20Arthur")
    assert "served over HTTP" in page.inner_text("#te-search-status")  # Pagefind needs HTTP
    assert page.errors == []
