"""The HTML allow-list audit itself: it must catch what a browser would run."""

import pytest

from htmlaudit import audit_html, url_scheme

SAFE_PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>t</title>'
    '<link rel="stylesheet" href="assets/site.css"><script src="assets/site.js" defer></script>'
    '<script type="application/json" id="index">{"t":"\\u003c/script>"}</script></head>'
    '<body><main id="main"><a href="persons.html#zhou">Z</a> <a href="https://example.org/">e</a>'
    ' <a href="mailto:team@example.org">m</a></main></body></html>'
)


def test_a_plain_page_passes():
    assert audit_html(SAFE_PAGE) == []


@pytest.mark.parametrize("url, scheme", [
    ("  JaVaScRiPt\t:alert(1)", "javascript"),
    ("java\nscript:alert(1)", "javascript"),
    ("\x01javascript:alert(1)", "javascript"),
    ("vbscript:msgbox", "vbscript"),
    ("data:text/html;base64,PHNjcmlwdD4=", "data"),
    ("persons.html#x", None),
    ("#x", None),
    ("HTTPS://example.org", "https"),
])
def test_url_scheme_as_a_browser_sees_it(url, scheme):
    assert url_scheme(url) == scheme


@pytest.mark.parametrize("fragment, expected", [
    ('<a href="  JaVaScRiPt&#x9;:alert(1)">x</a>', "javascript"),
    ('<img src="x.png" onerror="alert(1)">', "event handler"),
    ('<p style="background:url(javascript:1)">x</p>', "style attribute"),
    ('<svg><script>alert(1)</script></svg>', "svg element <script>"),
    ('<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>', "not allowed"),
    ('<script>var q = "</script><script>alert(1)//";</script>', "inline <script>"),
    ('<script type="application/json">{"a": "<!--"}</script>', "unescaped '<'"),
    ('<iframe src="https://example.org"></iframe>', "<iframe>"),
    ('<object data="x.swf"></object>', "<object>"),
    ('<base href="https://example.org/">', "<base>"),
    ('<meta http-equiv="refresh" content="0;url=https://example.org">', "refresh"),
    ('<p id="main">x</p>', "occurs 2 times"),
    ('<form action="javascript:alert(1)"><button>go</button></form>', "javascript"),
    ('<script src="https://cdn.example.org/x.js"></script>', "own assets"),
    ('<script src="//cdn.example.org/x.js"></script>', "own assets"),
    ('<math><mi xlink:href="javascript:1">x</mi></math>', "namespace"),
])
def test_unsafe_fragments_are_caught(fragment, expected):
    page = SAFE_PAGE.replace("</main>", fragment + "</main>")
    problems = audit_html(page)
    assert any(expected in p for p in problems), problems
