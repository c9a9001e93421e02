"""The plain text and the HTML reading text of editions encoded in other projects' conventions
(tests/data/conventions/): nothing glued, nothing doubled, nothing of the registers or the header.

The property tests build paragraphs of words joined by line, page and column breaks (with
and without @break="no"), <space/>, white space, choice, subst and c, and compare both
outputs with a small Python model of the expected reading text.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from lxml import etree

from tei_edition.loader import TEI_NS, parse_bytes
from tei_edition.transform import transform
from test_transform import audit_html
from test_xslt_properties import document  # also loads the project's hypothesis profile

DATA = Path(__file__).parent / "data" / "conventions"
T = f"{{{TEI_NS}}}"
FOLDER = Path(tempfile.mkdtemp(prefix="tei-conventions-"))  # documents stand alone here


def outputs(path: Path) -> tuple[str, str, str]:
    """(plain text, reading text of the HTML page, its endnotes' text), white space normalised
    in the HTML (the page's own text: what search and copy see)."""
    text = transform(path, "text")
    tree = audit_html(transform(path, "html"))
    reading = tree.find(".//div[@class='tei-text']")
    notes = tree.find(".//section[@class='tei-notes']")
    squash = lambda el: " ".join("".join(el.itertext()).split()) if el is not None else ""
    return text, squash(reading), squash(notes)


def dead_links(tree) -> list[str]:
    """Links within the page that lead to no element of it."""
    ids = {el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
    return [a.get("href") for a in tree.iter("a") if (a.get("href") or "").startswith("#") and a.get("href")[1:] not in ids]


# --- the fixtures -------------------------------------------------------------------

@pytest.mark.parametrize("name", ["letter-registers", "telegram", "play", "novel", "report-authors"])
def test_links_within_the_page_lead_somewhere(name):
    # mentions of entries in the registers of <back> or standOff are no links on this page
    assert dead_links(audit_html(transform(DATA / f"{name}.xml", "html"))) == []


def test_letter_registers_in_back_and_standoff_and_the_header_never_leak():
    text, reading, notes = outputs(DATA / "letter-registers.xml")
    for shown in ("Meine liebe Frau!", "Dein Brief aus London kam gestern Abend", "Th. Fontane",
                  "Kommentar", "Der Brief antwortet auf eine Nachricht aus London."):
        assert shown in text and shown in reading
    # register entries (nested lists too), a division of registers, the header's particDesc/settingDesc
    for hidden in ("Schriftsteller und Apotheker", "Kinderschar", "Tiergartenviertel", "Verzeichnisse",
                   "Tunnel über der Spree", "Wanderungen durch", "Englandreise", "Hauptstadt Englands",
                   "Kutschbote", "Gartenlaube", "Briefe aus Berlin"):
        assert hidden not in text and hidden not in reading and hidden not in notes, hidden


def test_subst_shows_the_addition_once_and_notes_count_only_the_shown_ones():
    text, reading, _ = outputs(DATA / "letter-registers.xml")
    assert "ich habe ihn dreimal gelesen.[1]" in text and "zweimal" not in text
    assert "ich habe ihn dreimal gelesen.1" in reading and "zweimal" not in reading
    # the only note of the text is number 1 (not after the notes in standOff or the registers)
    assert text.endswith("Notes\n\n[1] Über der Zeile nachgetragen.\n")
    tree = audit_html(transform(DATA / "letter-registers.xml", "html"))
    items = tree.findall(".//section[@class='tei-notes']/ol/li")
    assert [(li.get("value"), " ".join("".join(li.itertext()).split())) for li in items] == [
        ("1", "Über der Zeile nachgetragen. ↩")]


def test_telegram_words_apart_in_the_dateline_and_around_space():
    text, reading, _ = outputs(DATA / "telegram.xml")
    words = ["Aufgegeben", "In", "Lemnadt", "am", "12", "3", "um", "11", "Uhr"]
    assert text.split("\n\n")[0].split() == words
    assert text.split("\n\n")[0].split("\n")[:3] == ["Aufgegeben", "In", "Lemnadt"]  # the lines are kept
    assert reading.split()[:len(words)] == words
    message = "ANKOMME MORGEN ABEND ALLE WOHLAUF KOFFER VERLETZT SIND NUR DIE RIEMEN THEODOR"
    assert message in text and message in reading
    assert "Die Sendung war verletzt sind wir nicht." in text and "Die Sendung war verletzt sind wir nicht." in reading


def test_telegram_dateline_breaks_are_shown_as_lines_in_html():
    tree = audit_html(transform(DATA / "telegram.xml", "html"))
    dateline = tree.find(".//p[@class='tei-dateline']")
    assert len(dateline.findall("br")) == 6
    assert "".join(dateline.itertext()).split("\n")[:2] == ["Aufgegeben", "In"]


NOVEL_TEXT = ("In Front des ſchon ſeit Kurfürſt Georg Wilhelm von der Familie von Brieſt bewohnten Herrenhauſes "
              "zu Hohen-Cremmen fiel heller Sonnenſchein auf die mittagsſtille Dorfſtraße, während nach der Park- "
              "und Gartenſeite hin ein rechtwinklig angebauter Seitenflügel einen breiten Schatten warf, erſt auf "
              "einen weiß und grün quadrierten Flieſengang und dann über dieſen hinaus auf ein großes Rondell. "
              "Wenige Schritte davon, in einem großen Teich, ſpiegelte ſich der Himmel.")


def test_novel_breaks_join_and_separate_words_and_forme_work_is_not_read():
    text, reading, _ = outputs(DATA / "novel.xml")
    blocks = text.rstrip("\n").split("\n\n")
    assert blocks == ["Erstes Kapitel.", NOVEL_TEXT, "Auf dem Fließengange ſaßen Mutter und Tochter, beschäftigt.",
                      "Zweites Kapitel.", "Effi war ein Kind, nochmals ein Kind."]
    assert reading == " ".join(blocks)


def test_play_cast_list_and_speeches_and_no_original_language():
    text, reading, _ = outputs(DATA / "play.xml")
    for shown in ("Acteurs", "Alceste, amant de Célimène.", "Philinte, ami d'Alceste.", "La scène est à Paris.",
                  "Qu'est-ce donc ? Qu'avez-vous ?", "Laissez-moi, je vous prie."):
        assert shown in text and shown in reading
    page = transform(DATA / "play.xml", "html")
    assert "riginal language" not in page  # langUsage names the play's own language, no original


def _variant(tmp_path: Path, name: str, old: str, new: str) -> Path:
    source = (DATA / f"{name}.xml").read_text(encoding="utf-8")
    assert old in source
    path = tmp_path / f"{name}.xml"
    path.write_text(source.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_language_the_text_uses_is_no_original_but_a_translation_names_one(tmp_path):
    uses = _variant(tmp_path, "play", '<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="play">',
                    '<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="play" xml:lang="fr">')
    uses.write_text(uses.read_text(encoding="utf-8").replace(
        '<language ident="fr">Français</language>',
        '<language ident="fr">Français</language><language ident="la">Latin, quelques mots</language>'), encoding="utf-8")
    assert "riginal language" not in transform(uses, "html")
    assert "original-language" not in transform(uses, "csl-json")
    translated = _variant(tmp_path, "novel", "<sourceDesc>",
                          '<sourceDesc><bibl type="translation"><textLang mainLang="de">Deutsch</textLang></bibl>')
    translated.write_text(translated.read_text(encoding="utf-8").replace(
        '<language ident="de">Deutsch</language>', '<language ident="de">Deutsch</language><language ident="fr">Französisch</language>'),
        encoding="utf-8")
    tree = audit_html(transform(translated, "html"))
    assert tree.find(".//dd[@class='tei-original-language']").text == "French"
    assert json.loads(transform(translated, "csl-json"))[0]["custom"]["original-language"] == "fr"


# --- property tests: spacing around breaks, <space/>, choice, subst, c ----------------

CONJUNCTIONS = ["und", "oder", "and", "or", "et"]  # after a suspended hyphen ("Park- und Garten")
letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüßéſ", min_size=1, max_size=6)
# a gap between two words: a run of breaks, <space/> and white space
gap_items = st.sampled_from(["lb", "lb-no", "pb", "pb-no", "cb", "cb-no", "space", "ws"])


@st.composite
def units(draw):
    """One word as the reading text shows it, and how it is encoded."""
    word = draw(letters)
    other = draw(letters)
    kind = draw(st.sampled_from(["plain", "plain", "hyphen", "conj", "hi", "orig-reg", "abbr-expan", "sic-corr",
                                 "subst", "c"]))
    return {"plain": (word, ("t", word)), "hyphen": (word + "-", ("t", word + "-")),
            "conj": (draw(st.sampled_from(CONJUNCTIONS)), ("t", None)), "hi": (word, ("hi", word)),
            "orig-reg": (word, ("choice", "orig", other, "reg", word)),
            "abbr-expan": (word, ("choice", "abbr", other, "expan", word)),
            "sic-corr": (word, ("choice", "sic", other, "corr", word)),
            "subst": (word, ("subst", other, word)), "c": (word, ("c", word))}[kind]


@st.composite
def paragraphs(draw):
    words = draw(st.lists(units(), min_size=2, max_size=8))
    gaps = draw(st.lists(st.lists(gap_items, min_size=1, max_size=3), min_size=len(words) - 1,
                         max_size=len(words) - 1))
    return words, gaps


def separated(left: str, right: str, gap: list[str], lines: bool) -> tuple[str, str]:
    """The model: (left word as shown, separator). <space/> is a space and splits the gap into
    runs of breaks (white space between breaks belongs to the run). A run joins when one of its
    breaks says break="no", or when it is the whole gap, follows a hyphen (which goes) and no
    conjunction follows it; a run that does not join separates, in a dateline with a new line
    when it holds a line break. A run of white space alone is a space."""
    runs = [[]]
    for item in gap:
        if item == "space":
            runs.append([])
        else:
            runs[-1].append(item)
    seps = []
    for i, run in enumerate(runs):
        breaks = [g for g in run if g != "ws"]
        joins = bool(breaks) and (any(g.endswith("-no") for g in breaks) or
                                  (len(runs) == 1 and left.endswith("-") and right not in CONJUNCTIONS))
        if joins and i == 0 and left.endswith("-"):
            left = left[:-1]
        seps.append("" if joins or not run else "\n" if lines and "lb" in breaks else " ")
    return left, " ".join(seps)


def expected_text(words, gaps, lines: bool) -> str:
    shown = [w for w, _ in words]
    out = []
    for i, word in enumerate(shown):
        if i < len(gaps):
            word, sep = separated(word, shown[i + 1], gaps[i], lines)
            out += [word, sep]
        else:
            out.append(word)
    return "".join(out)


def build_paragraph(parent, words, gaps):
    """Append the words and gaps to an element (text as text and tails, the rest as elements)."""
    last = None

    def add_text(s):
        if last is None:
            parent.text = (parent.text or "") + s
        else:
            last.tail = (last.tail or "") + s

    for i, (shown, enc) in enumerate(words):
        if enc[0] == "t":
            add_text(enc[1] or shown)
        elif enc[0] in ("hi", "c"):
            last = etree.SubElement(parent, T + enc[0])
            last.text = enc[1]
        elif enc[0] == "choice":
            last = etree.SubElement(parent, T + "choice")
            etree.SubElement(last, T + enc[1]).text = enc[2]
            etree.SubElement(last, T + enc[3]).text = enc[4]
        else:
            last = etree.SubElement(parent, T + "subst")
            etree.SubElement(last, T + "del").text = enc[1]
            etree.SubElement(last, T + "add").text = enc[2]
        for item in gaps[i] if i < len(gaps) else []:
            if item == "ws":
                add_text("\n      ")
            else:
                name, _, no = item.partition("-")
                last = etree.SubElement(parent, T + name, {"break": "no"} if no else {})


def load_paragraph(words, gaps, block: str):
    tei = etree.fromstring(document([]))
    build_paragraph(etree.SubElement(tei.find(f"{T}text/{T}body"), T + block), words, gaps)
    doc = parse_bytes(etree.tostring(tei), FOLDER / "generated.xml")
    assert not hasattr(doc, "rule"), doc
    return doc


@given(paragraphs())
@example(([("a-", ("t", "a-")), ("or", ("hi", "or"))], [["lb"]]))  # a conjunction inside an element
def test_text_and_html_spacing_follows_the_model(case):
    words, gaps = case
    doc = load_paragraph(words, gaps, "p")
    want = " ".join(expected_text(words, gaps, lines=False).split())
    assert transform(doc, "text", skip_empty=False) == want + "\n"
    tree = audit_html(transform(doc, "html", skip_empty=False))
    assert " ".join("".join(tree.find(".//p[@class='tei-p']").itertext()).split()) == want


@given(paragraphs())
def test_dateline_keeps_its_lines_and_the_same_words(case):
    words, gaps = case
    doc = load_paragraph(words, gaps, "dateline")
    want = expected_text(words, gaps, lines=True)
    lines = [" ".join(line.split()) for line in want.split("\n")]
    assert transform(doc, "text", skip_empty=False) == "\n".join(line for line in lines if line) + "\n"
    tree = audit_html(transform(doc, "html", skip_empty=False))
    assert "".join(tree.find(".//p[@class='tei-dateline']").itertext()).split() == want.split()


# --- property test: registers in <back> never reach the reading text -------------------

REGISTERS = ["listPerson", "listPlace", "listOrg", "listBibl", "listEvent"]
ENTRY = {"listPerson": ("person", "persName"), "listPlace": ("place", "placeName"), "listOrg": ("org", "orgName"),
         "listBibl": ("bibl", None), "listEvent": ("event", "label")}


@st.composite
def register_list(draw, depth=0):
    """(list element name, [(entry words, nested list or None)])."""
    name = draw(st.sampled_from(REGISTERS))
    entries = []
    for _ in range(draw(st.integers(1, 3))):
        nested = draw(register_list(depth + 1)) if depth < 2 and draw(st.booleans()) else None
        entries.append((draw(st.lists(letters, min_size=1, max_size=3)), draw(st.booleans()), nested))
    return name, entries


def build_register(parent, spec, hidden: list[str]):
    name, entries = spec
    lst = etree.SubElement(parent, T + name)
    for words, with_note, nested in entries:
        marks = [f"reg{len(hidden) + i}{w}" for i, w in enumerate(words)]
        hidden.extend(marks)
        entry_name, label = ENTRY[name]
        entry = etree.SubElement(lst, T + entry_name)
        entry.set("{http://www.w3.org/XML/1998/namespace}id", f"entry-{len(hidden)}")
        target = etree.SubElement(entry, T + label) if label else entry
        target.text = " ".join(marks)
        if with_note:
            note = etree.SubElement(entry, T + "note")
            note.text = f"regnote{len(hidden)}"
            hidden.append(note.text)
        if nested:
            # a nested list inside the entry (place in place), or beside the entries (a sublist)
            build_register(entry if name == "listPlace" else lst, nested, hidden)


@given(st.lists(register_list(), min_size=1, max_size=3), st.lists(st.booleans(), min_size=3, max_size=3),
       st.lists(letters, min_size=1, max_size=5))
def test_registers_in_back_never_reach_the_reading_text(lists, wrap, body_words):
    hidden: list[str] = []
    tei = etree.fromstring(document([]))
    text = tei.find(T + "text")
    body = text.find(T + "body")
    shown = [f"shown{i}{w}" for i, w in enumerate(body_words)]
    p = etree.SubElement(body, T + "p")
    p.text = " ".join(shown)
    etree.SubElement(p, T + "note").text = "shownnote"
    mention = etree.SubElement(p, T + "rs", ref="#entry-0")  # a mention of the first entry
    mention.text = "them"
    back = etree.SubElement(text, T + "back")
    for i, spec in enumerate(lists):
        holder = back
        if wrap[i % 3]:  # inside a division of registers, with a heading
            holder = etree.SubElement(back, T + "div")
            etree.SubElement(holder, T + "head").text = f"reghead{i}"
            hidden.append(f"reghead{i}")
        build_register(holder, spec, hidden)
    doc = parse_bytes(etree.tostring(tei), FOLDER / "registers.xml")
    out = transform(doc, "text", skip_empty=False)
    page = audit_html(transform(doc, "html", skip_empty=False))
    html_text = "".join(page.find(".//article").itertext())
    for word in hidden:
        assert word not in out and word not in html_text, word
    assert out.split("\n\n")[0] == " ".join(shown) + "[1]them"
    assert out.endswith("Notes\n\n[1] shownnote\n")
    assert " ".join(shown) in html_text and "shownnote" in html_text
    assert dead_links(page) == []
