"""Register entries as the site shows them: what a person was or did, under the heading its
TEI gives, with its dates; one register page for each kind of entry the edition has, named
by the kind or by the TEI; nothing about one edition (a year, a kind of register) in the code.

Expectations are computed from the TEI written here or read from the bundled registers."""

from __future__ import annotations

import re

import html5lib
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tei_edition import loader
from tei_edition.resources import edition_dir
from tei_edition.site import build
from tei_edition.site.entries import register_entries, registers_of
from tei_edition.site.model import KINDS, SITE_PAGES, TYPED_KINDS, Entry

TEI_NS = "http://www.tei-c.org/ns/1.0"
TEI = {"tei": TEI_NS}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
DEFAULT_HEADINGS = {"occupation": "Occupation", "roleName": "Role", "affiliation": "Affiliation",
                    "state": "State", "faith": "Faith", "nationality": "Nationality"}


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s or "").strip()


def spoken(iso: str) -> str:
    year, month, day = iso.split("-")
    return f"{int(day)} {MONTHS[int(month) - 1]} {int(year)}"


def register(people: str) -> bytes:
    return (f'<TEI xmlns="{TEI_NS}"><teiHeader><fileDesc><titleStmt><title>R</title></titleStmt>'
            '<publicationStmt><p/></publicationStmt><sourceDesc><p/></sourceDesc></fileDesc></teiHeader>'
            f'<text type="register"><body><listPerson>{people}</listPerson></body></text></TEI>').encode()


dates = st.dates().map(lambda d: d.isoformat()).filter(lambda s: s[:4] > "0999")
statement = st.fixed_dictionaries({
    "tag": st.sampled_from(sorted(DEFAULT_HEADINGS)),
    "type": st.sampled_from(["", "office", "office-in-text", "rank_held"]),
    "text": st.from_regex(r"[A-Z][a-z]{2,9}( [a-z]{2,9}){0,3}", fullmatch=True),
    "when": st.one_of(st.none(), dates, st.tuples(dates, dates).map(sorted)),
})


@settings(max_examples=60, deadline=None)
@given(st.lists(statement, min_size=1, max_size=6), st.lists(st.booleans(), max_size=3))
def test_every_statement_is_shown_under_its_heading_with_its_dates(statements, role_notes):
    xml = []
    expected = []
    for s in statements:
        when = s["when"]
        attrs = f' type="{s["type"]}"' if s["type"] else ""
        label = ""
        if isinstance(when, str):
            attrs += f' when="{when}"'
            label = spoken(when)
        elif when:
            attrs += f' from="{when[0]}" to="{when[1]}"'
            label = f"{spoken(when[0])} – {spoken(when[1])}"
        xml.append(f'<{s["tag"]}{attrs}>{s["text"]}</{s["tag"]}>')
        heading = (s["type"][:1].upper() + re.sub(r"[-_]", " ", s["type"])[1:]) if s["type"] \
            else DEFAULT_HEADINGS[s["tag"]]
        expected.append((heading, s["text"] + (f" ({label})" if label else "")))
    for i, is_role in enumerate(role_notes):  # a note of type role is a role; any other note a note
        xml.append(f'<note type="{"role" if is_role else "other"}">Said {i}</note>')
        if is_role:
            expected.append(("Role", f"Said {i}"))
    doc = loader.parse_bytes(register(f'<person xml:id="p"><persName>N</persName>{"".join(xml)}</person>'), "r.xml")
    (entry,) = register_entries(doc)
    assert list(entry.role) == expected
    assert list(entry.notes) == [f"Said {i}" for i, is_role in enumerate(role_notes) if not is_role]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site") / "site"
    assert build(None, out, force=True, quiet=True).built
    return out


def parse(path):
    return html5lib.parse(path.read_text(encoding="utf-8"), treebuilder="lxml", namespaceHTMLElements=False).getroot()


def rows(article) -> dict[str, str]:
    dl = article.find("dl")
    return {norm("".join(dt.itertext())): norm("".join(dd.itertext()))
            for dt, dd in zip(dl.findall("dt"), dl.findall("dd"))}


def test_the_bundled_persons_show_each_dated_statement_under_its_type(site):
    page = parse(site / "persons.html")
    persons = loader.load(edition_dir() / "persons.xml")
    checked = 0
    for person in persons.root.iterfind(".//tei:text//tei:person", TEI):
        article = page.find(f".//article[@id='{person.get('{http://www.w3.org/XML/1998/namespace}id')}']")
        shown = rows(article)
        for state in person.iterfind("tei:state", TEI):
            heading = state.get("type").replace("-", " ").capitalize()
            label = norm("".join(state.find("tei:label", TEI).itertext()))
            when = state.get("when") or state.get("to")
            assert heading in shown and label in shown[heading], (heading, label)
            if len(when) == 10:
                assert spoken(when) in shown[heading]
            checked += 1
    assert checked >= 10
    assert "Role in" not in (site / "persons.html").read_text(encoding="utf-8")


def test_the_notes_of_every_bundled_entry_are_shown_with_it(site):
    articles = {}
    for path in site.glob("*.html"):
        for art in parse(path).iter("article"):
            if "entry" in (art.get("class") or "").split():
                articles[art.get("id")] = rows(art)
    checked = 0
    for path in edition_dir().glob("*.xml"):
        for note in loader.load(path).root.xpath("tei:text//*[@xml:id]/tei:note", namespaces=TEI):
            ident = note.getparent().get("{http://www.w3.org/XML/1998/namespace}id")
            if ident not in articles:
                continue  # not a register entry (a document's own element)
            said = norm("".join(note.itertext()))
            heading = "Role" if note.get("type") == "role" else "Notes"
            assert said in articles[ident].get(heading, ""), (ident, said)
            checked += 1
    assert checked >= 10


# --- register pages: one for each kind of entry the edition has -----------------------------

DEFAULT_TITLES = {"person": "Persons", "place": "Places", "org": "Organisations", "bibl": "Works", "event": "Events"}

entry_specs = st.lists(st.tuples(st.sampled_from(sorted(DEFAULT_TITLES)),
                                 st.sampled_from(["", "register", "treaties", "search", "index", "con"]),
                                 st.sampled_from(["", "treaty", "battle"])), max_size=12)


@settings(max_examples=200, deadline=None)
@given(entry_specs)
def test_one_register_per_kind_present_titled_by_its_lists_type_when_a_bibl_or_an_event(specs):
    entries = [Entry(f"e{i}", kind, f"E{i}", (), subtype=subtype, group=group)
               for i, (kind, group, subtype) in enumerate(specs)]
    registers, placed = registers_of(entries)
    kinds = [k for k in KINDS if any(kind == k for kind, _g, _s in specs)]
    assert [r.kind for r in registers] == kinds
    for r in registers:
        groups = {g for kind, g, _s in specs if kind == r.kind}
        if r.kind in TYPED_KINDS and len(groups) == 1 and "" not in groups:
            assert r.title == next(iter(groups)).capitalize()
        else:
            assert r.title == DEFAULT_TITLES[r.kind]
    pages = [r.page.removesuffix(".html").lower() for r in registers]
    assert len(set(pages)) == len(pages) and not set(pages) & set(SITE_PAGES) and "con" not in pages
    assert [e.page for e in placed] == [registers[kinds.index(kind)].page for kind, _g, _s in specs]


def copy_edition(tmp_path, drop=(), edit=None):
    src = tmp_path / "tei"
    src.mkdir()
    for path in edition_dir().glob("*.xml"):  # the TEI only: a project file would name the files
        if path.name not in drop:
            text = path.read_text(encoding="utf-8")
            (src / path.name).write_text(edit(path.name, text) if edit else text, encoding="utf-8")
    return src


def tabs(page) -> list[tuple[str, str]]:
    nav = page.find(".//header/nav")
    return [(a.get("href"), norm("".join(a.itertext()))) for a in nav.iter("a")]


def test_the_navigation_has_a_tab_for_each_register_the_edition_has_and_no_other(tmp_path):
    src = copy_edition(tmp_path, drop=("treaties.xml", "organisations.xml"))
    out = tmp_path / "site"
    assert build([src], out, force=True, quiet=True).built
    # letters (a correspDesc) add the correspondents page after the registers
    letters = any(loader.load(p).root.xpath("//tei:correspDesc", namespaces=TEI) for p in src.glob("*.xml"))
    want = [("index.html", "Documents"), ("persons.html", "Persons"), ("places.html", "Places"),
            *([("correspondents.html", "Correspondents")] if letters else []),
            ("chronology.html", "Chronology"), ("search.html", "Search")]
    for path in out.glob("*.html"):
        assert tabs(parse(path)) == want, path.name
    assert not (out / "treaties.html").exists() and not (out / "organisations.html").exists()
    search = norm("".join(parse(out / "search.html").find(".//noscript").itertext()))
    assert search.endswith("every person and place.")


def test_a_bibl_register_is_named_by_its_lists_type(tmp_path):
    def retype(name, text):
        return text.replace('<listBibl type="treaties">', '<listBibl type="charters">') if name == "treaties.xml" else text
    src = copy_edition(tmp_path, edit=retype)
    out = tmp_path / "site"
    assert build([src], out, force=True, quiet=True).built
    assert ("charters.html", "Charters") in tabs(parse(out / "index.html"))
    treaties = loader.load(src / "treaties.xml").root.xpath("//tei:listBibl[@type='charters']/tei:bibl/@xml:id",
                                                             namespaces=TEI)
    page = parse(out / "charters.html")
    assert treaties and all(page.find(f".//article[@id='{i}']") is not None for i in treaties)
    assert not (out / "treaties.html").exists()
    links = {a.get("href") for a in parse(out / "index.html").iter("a")}
    assert {f"charters.html#{i}" for i in treaties} & links  # the introduction's mentions follow
