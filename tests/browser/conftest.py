"""Fixtures for the browser tests: the built site, served on 127.0.0.1, and headless Chromium.

Where no browser is installed the tests are skipped locally, but fail in CI
(CI=true): a browser test that silently does not run proves nothing.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory) -> Path:
    from tei_edition.site import build

    out = tmp_path_factory.mktemp("browser-site") / "site"
    result = build(None, out, force=True)
    assert result.built
    return out


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
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
    pg.on("requestfailed", lambda r: pg.errors.append(f"request failed: {r.url}"))
    pg.on("request", lambda r: None if r.url.startswith(site_url) else pg.foreign.append(r.url))
    try:
        yield pg
    finally:
        context.close()


@pytest.fixture(scope="session")
def axe_path() -> Path:
    if not AXE.is_file():
        _missing("axe-core (npm ci in tests/js)")
    return AXE
