"""Theming without forking: an edition's own style sheet and page frame, named by its
project file ([site] css, [site] templates), used by every page; nothing in a template runs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import html5lib
from hypothesis import given, settings
from hypothesis import strategies as st

from tei_edition.config import load
from tei_edition.site import build
from tei_edition.site.theme import PLACEHOLDERS

THEMED = Path(__file__).parent / "data" / "site" / "themed"


def parse(path: Path):
    return html5lib.parse(path.read_text(encoding="utf-8"), treebuilder="lxml", namespaceHTMLElements=False).getroot()


def test_an_editions_css_is_copied_and_linked_after_ours_and_its_layout_frames_every_page(tmp_path):
    config = load(THEMED / "tei-edition.toml")
    out = tmp_path / "site"
    result = build([THEMED], out, jobs=0, quiet=True)
    assert result.built
    assert (out / "assets" / "custom.css").read_bytes() == config.site_css.read_bytes()
    template = (config.site_templates / "layout.html").read_text(encoding="utf-8")
    body_class = re.search(r'<body class="([^"]+)"', template).group(1)
    pages = sorted(out.glob("*.html"))
    assert len(pages) >= 4
    for page in pages:
        html = page.read_text(encoding="utf-8")
        tree = parse(page)
        sheets = [link.get("href") for link in tree.iter("link") if link.get("rel") == "stylesheet"]
        assert sheets.index("assets/custom.css") > sheets.index("assets/site.css"), page.name
        assert tree.find("body").get("class") == body_class, page.name
        assert tree.find(".//main[@id='te-main']") is not None and tree.find(".//nav") is not None
        assert "${unknown}" in html  # left as written, never an error or a lookup
        assert "$lang" not in html and "$main" not in html


def test_without_a_theme_the_site_has_no_custom_css(tmp_path):
    src = tmp_path / "ed"
    shutil.copytree(THEMED, src)
    (src / "tei-edition.toml").write_text('[edition]\ntitle = "Plain"\n', encoding="utf-8")
    out = tmp_path / "site"
    assert build([src], out, jobs=0, quiet=True).built
    assert not (out / "assets" / "custom.css").exists()
    assert all("custom.css" not in p.read_text(encoding="utf-8") for p in out.glob("*.html"))


@settings(max_examples=25, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=60))
def test_a_template_only_fills_placeholders_never_runs_anything(tmp_path_factory, junk):
    src = tmp_path_factory.mktemp("ed") / "ed"
    shutil.copytree(THEMED, src)
    # expressions other engines would evaluate, and arbitrary text, come out as written
    layout = ("<html><head><title>$title</title></head><body>{{ 7*7 }} {% raw %} ${__import__('os')} "
              + junk.replace("$", "$$") + "<main>$main</main></body></html>")
    (src / "site" / "templates" / "layout.html").write_text(layout, encoding="utf-8")
    out = src.parent / "site"
    assert build([src], out, jobs=0, quiet=True, validate=False).built
    html = (out / "index.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }} {% raw %} ${__import__('os')} " + junk in html
    assert "49" not in html.split("{{ 7*7 }}")[0]


def test_the_documented_placeholders_are_the_ones_filled(tmp_path):
    src = tmp_path / "ed"
    shutil.copytree(THEMED, src)
    (src / "site" / "templates" / "layout.html").write_text(
        "".join(f"[{p}:${{{p}}}]" for p in PLACEHOLDERS), encoding="utf-8")
    out = tmp_path / "site"
    result = build([src], out, jobs=0, quiet=True, validate=False)
    assert result.built
    html = (out / "index.html").read_text(encoding="utf-8")
    for p in PLACEHOLDERS:
        assert f"[{p}:${{{p}}}]" not in html, p
    # a layout without $main would publish empty pages: the site's own is used, with a warning
    (src / "site" / "templates" / "layout.html").write_text("<p>$title</p>", encoding="utf-8")
    result = build([src], out, jobs=0, quiet=True, validate=False)
    assert any(n.rule == "site-template" and "$main" in n.message for n in result.notes)
    assert parse(out / "index.html").find(".//main") is not None
