"""The site renders no TEI itself: the edition's introduction and every reading text come
from html.xsl; where that transform fails, the page shows the text's words, escaped, and the
build says why."""

from __future__ import annotations

import re
from pathlib import Path

import html5lib

from tei_edition import loader
from tei_edition.resources import edition_dir
from tei_edition.site import build

TEI = {"tei": "http://www.tei-c.org/ns/1.0"}
LOCATED = re.compile(r"^.+:\d+:\d+: (error|warning): ")


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def parse_html(text: str):
    return html5lib.parse(text, treebuilder="lxml", namespaceHTMLElements=False).getroot()


def page(path: Path):
    return parse_html(path.read_text(encoding="utf-8"))


def has_class(el, name: str) -> bool:
    return name in (el.get("class") or "").split()


def copy_edition(tmp_path: Path, edit=None) -> Path:
    src = tmp_path / "tei"
    src.mkdir()
    for path in edition_dir().glob("*.xml"):  # the TEI only: a project file would name the files
        text = path.read_text(encoding="utf-8")
        (src / path.name).write_text(edit(path.name, text) if edit else text, encoding="utf-8")
    return src


def home_intro(out: Path):
    return next(s for s in page(out / "index.html").iter("section") if has_class(s, "intro"))


def test_the_introduction_is_what_html_xsl_makes_of_it_notes_included(tmp_path):
    note = "An added note with <hi rend='italic'>italic</hi> words."

    def annotate(name, text):
        return text.replace("published on <date", f"published<note>{note}</note> on <date", 1) \
            if name == "edition.xml" else text
    src = copy_edition(tmp_path, annotate)
    out = tmp_path / "site"
    assert build([src], out, force=True, quiet=True).built

    from tei_edition.transform import transform
    made = parse_html(transform(loader.load(src / "edition.xml"), "html", {"fragment": "yes"}))
    section = next(s for s in made.iter("section") if has_class(s, "type-introduction"))
    intro = home_intro(out)
    assert [norm("".join(p.itertext())) for p in intro.iter("p")] == \
        [norm("".join(p.itertext())) for p in section.iter("p")]
    # the note is on the page, its marker points at it and it points back
    marker = next(a for a in intro.iter("a") if has_class(a, "tei-noteref"))
    target = intro.find(f".//*[@id='{marker.get('href')[1:]}']")
    assert target is not None and norm("".join(target.itertext())).startswith("An added note with italic words.")
    assert target.find(".//i") is not None
    assert intro.find(f".//*[@id='{marker.get('id')}']") is marker
    # the mentions in it link to the registers
    refs = {a.get("href") for a in intro.iter("a") if has_class(a, "entity")}
    assert "persons.html#zhou-enlai" in refs


def test_where_the_html_transform_fails_pages_show_the_plain_text_and_the_build_says_why(tmp_path, monkeypatch):
    import tei_edition.transform as transform_mod
    from tei_edition.problems import Problem

    real = transform_mod.transform_many  # transform() and the site's pages both run through it

    def failing(source, requests, **kw):
        gave_up = Problem(str(getattr(source, "path", source)), 3, 4, "error", "xslt", "the stylesheet gave up")
        return [gave_up if to == "html" else result for (to, _params), result in zip(requests, real(source, requests, **kw))]

    monkeypatch.setattr(transform_mod, "transform_many", failing)
    src = copy_edition(tmp_path)
    out = tmp_path / "site"
    result = build([src], out, force=True, jobs=0, quiet=True)
    assert result.built
    notes = [str(p) for p in result.notes]
    assert all(LOCATED.match(n) for n in notes)
    failed = {Path(n.split(":")[0]).name for n in notes if "HTML transform failed: the stylesheet gave up" in n}
    edition = loader.load(src / "edition.xml")
    words = norm("".join(edition.root.find(".//tei:div[@type='introduction']/tei:p", TEI).itertext()))
    assert "edition.xml" in failed and words[:80] in norm("".join(home_intro(out).itertext()))
    for path in sorted(src.glob("*.xml")):
        doc = loader.load(path)
        if path.name not in failed or path.name == "edition.xml":
            continue
        shown = page(out / f"{doc.id}.html")
        reading = next(s for s in shown.iter("section") if has_class(s, "reading"))
        first = norm("".join(doc.root.find(".//tei:text//tei:p", TEI).itertext()))
        assert first[:60] in norm("".join(reading.itertext())), path.name
        assert all(has_class(p, "plain-text") for p in reading.iter("p"))
    assert len(failed) >= 5  # the edition file and every document
