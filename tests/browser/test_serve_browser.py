"""`tei-edition serve` in headless Chromium: an edit appears on its open page within 2 s,
a broken edit shows its problems on the page and the server keeps running, and the
command stops cleanly on Ctrl-C (exit 130), leaving no temporary site behind."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from editions import copy_edition
from test_site_browser import browser  # noqa: F401  (the shared Chromium fixture)
from tei_edition.serve import Server

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path):
    src = copy_edition(tmp_path / "edition" / "tei")
    server = Server([str(src)], port=0, interval=0.2)
    server.start()
    try:
        yield server, src
    finally:
        server.close()
    assert not server.folder.exists()  # nothing left behind


def first_paragraph_words(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    body = text[text.index("<body>"):]
    return re.search(r"<p[ >][^<]*?([A-Z][a-z]+ [a-z]+)", body).group(1)


def content(page) -> str:
    """The page's HTML, or "" while it is reloading."""
    from playwright.sync_api import Error

    try:
        return page.content()
    except Error:
        return ""


def test_an_edit_appears_on_its_open_page_within_two_seconds(served, browser):  # noqa: F811
    server, src = served
    doc = src / "note-zhou.xml"
    words = first_paragraph_words(doc)
    marker = "EDITED-IN-PLACE"
    page = browser.new_page()
    try:
        page.goto(server.url + "note-zhou.html")
        assert words in page.inner_text("main") and marker not in page.content()
        page.wait_for_timeout(600)  # the page has asked for the build's version once
        doc.write_text(doc.read_text(encoding="utf-8").replace(words, f"{words} {marker}", 1), encoding="utf-8")
        started = time.monotonic()
        while time.monotonic() - started < 5 and marker not in content(page):  # no eval: the CSP forbids it
            page.wait_for_timeout(50)
        assert marker in content(page)
        assert time.monotonic() - started < 2.0
    finally:
        page.close()


def test_a_broken_edit_shows_its_problems_and_the_server_goes_on(served, browser):  # noqa: F811
    server, src = served
    doc = src / "announcement.xml"
    good = doc.read_text(encoding="utf-8")
    page = browser.new_page()
    try:
        page.goto(server.url + "index.html")
        page.wait_for_timeout(600)
        doc.write_text(good.replace("</teiHeader>", "</teiHeader><broken>", 1), encoding="utf-8")
        box = page.wait_for_selector("#tei-edition-serve-problems", timeout=5000)
        assert "announcement.xml" in box.inner_text()
        doc.write_text(good, encoding="utf-8")  # mended: the problems go away
        page.wait_for_selector("#tei-edition-serve-problems", state="detached", timeout=5000)
    finally:
        page.close()


def test_the_command_stops_on_ctrl_c_with_130_and_removes_its_site(tmp_path):
    src = copy_edition(tmp_path / "edition" / "tei")
    env = {**os.environ, "TMPDIR": str(tmp_path / "tmp")}
    (tmp_path / "tmp").mkdir()
    proc = subprocess.Popen([sys.executable, "-m", "tei_edition.cli", "serve", str(src), "--port", "0"],
                            stderr=subprocess.PIPE, text=True, env=env)
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "serving http://127.0.0.1:" not in line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        assert "serving http://127.0.0.1:" in line  # this machine only, by default
        assert any((tmp_path / "tmp").iterdir())  # the temporary site exists while serving
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
    assert list((tmp_path / "tmp").iterdir()) == []
