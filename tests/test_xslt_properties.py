"""Property tests: generated TEI trees (unknown elements, nesting, choice, note, lb, hostile
attributes) through the text and HTML stylesheets.

- the text output holds every text token of <text>, in order (the main text first, then the
  notes in document order), except the readings of choice that were not chosen and deletions;
- the HTML output parses without a single HTML5 parse error, stays inside the element,
  attribute and URL allow-list, and holds the same tokens in order.

CI runs a moderate number of examples; HYPOTHESIS_PROFILE=thorough runs many more.
"""

from __future__ import annotations

import os
import tempfile
import unicodedata
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tei_edition.loader import TEI_NS, parse_bytes
from tei_edition.transform import transform
from test_transform import audit_html

settings.register_profile("tei-ci", max_examples=100, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "tei-ci")
                      if os.environ.get("HYPOTHESIS_PROFILE") in ("tei-ci", "thorough") else "tei-ci")

T = f"{{{TEI_NS}}}"
FOLDER = Path(tempfile.mkdtemp(prefix="tei-properties-"))  # no edition here: documents stand alone
LETTERS = "abcdefghijklmnopqrstuvwxyzäöüéßжшщ中文ĀŁ"

words = st.text(alphabet=LETTERS, min_size=1, max_size=8)
HOSTILE_URLS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "java\tscript:x", "data:text/html,x",
                "vbscript:x", "https://example.org/ok", "mailto:a@example.org", "other.xml#p1", "#local", "file:///etc/passwd"]

INLINE = ["hi", "foreign", "persName", "placeName", "orgName", "rs", "seg", "date", "q", "emph", "term",
          "zork", "blorpThing", "ref", "name", "title", "abbr", "add", "del", "unclear", "supplied"]
BLOCK = ["p", "div", "head", "quote", "ab", "list", "item", "closer", "salute", "signed", "dateline",
         "lg", "l", "postscript", "opener", "mysteryBlock", "floatingText", "body"]


def attrs_for(draw) -> dict:
    attrs = {}
    if draw(st.booleans()):
        attrs[draw(st.sampled_from(["style", "onclick", "onmouseover", "rend", "xml:lang", "ref", "target",
                                    "when", "source", "type"]))] = draw(st.sampled_from(HOSTILE_URLS + ["red", "de", "1952-09-15"]))
    return attrs


@st.composite
def inline_nodes(draw, depth=0):
    """A list of inline nodes: ('t', text) | ('e', name, attrs, children) | ('choice', pair) | ('lb', attrs)."""
    nodes = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["t", "t", "t", "e", "choice", "lb", "note", "pb"] if depth < 3 else ["t", "lb"]))
        if kind == "t":
            nodes.append(("t", " ".join(draw(st.lists(words, min_size=1, max_size=4)))))
        elif kind == "e":
            nodes.append(("e", draw(st.sampled_from(INLINE + ["{urn:x-other}alien"])), attrs_for(draw),
                          draw(inline_nodes(depth + 1))))
        elif kind == "choice":
            pair = draw(st.sampled_from([("sic", "corr"), ("abbr", "expan"), ("orig", "reg"), ("corr", "sic"),
                                         ("seg", "seg")]))
            nodes.append(("choice", [(name, draw(inline_nodes(depth + 2))) for name in pair]))
        elif kind == "lb":
            nodes.append(("lb", {"break": "no"} if draw(st.booleans()) else {}))
        elif kind == "pb":
            nodes.append(("pb", {"n": "2"}))
        else:
            nodes.append(("note", draw(st.sampled_from([{}, {"place": "foot"}, {"n": "a"}, {"place": "inline"}])),
                          draw(st.one_of(inline_nodes(depth + 1), block_nodes(depth + 2)))))
        if draw(st.booleans()):
            nodes.append(("t", " "))
    return nodes


@st.composite
def block_nodes(draw, depth=0):
    nodes = []
    for _ in range(draw(st.integers(1, 3))):
        if depth >= 3 or draw(st.booleans()):
            nodes.append(("e", draw(st.sampled_from(["p", "head", "salute", "l", "item", "ab", "mysteryBlock", "dateline"])),
                          attrs_for(draw), draw(inline_nodes(depth + 1))))
        else:
            nodes.append(("e", draw(st.sampled_from(BLOCK)), attrs_for(draw), draw(block_nodes(depth + 1))))
        if draw(st.booleans()):  # loose text between blocks
            nodes.append(("t", draw(words)))
    return nodes


def build(parent, nodes):
    """Append generated nodes to an lxml element as mixed content."""
    last = None
    for node in nodes:
        if node[0] == "t":
            if last is None:
                parent.text = (parent.text or "") + node[1]
            else:
                last.tail = (last.tail or "") + node[1]
            continue
        if node[0] == "e":
            name = node[1] if node[1].startswith("{") else T + node[1]
            el = etree.SubElement(parent, name)
            for key, value in node[2].items():
                el.set("{http://www.w3.org/XML/1998/namespace}lang" if key == "xml:lang" else key, value)
            build(el, node[3])
        elif node[0] == "choice":
            el = etree.SubElement(parent, T + "choice")
            for name, children in node[1]:
                build(etree.SubElement(el, T + name), children)
        elif node[0] in ("lb", "pb"):
            el = etree.SubElement(parent, T + node[0], node[1])
        else:  # note
            el = etree.SubElement(parent, T + "note", node[1])
            build(el, node[2])
        last = el


def document(body_nodes) -> bytes:
    tei = etree.Element(T + "TEI", nsmap={None: TEI_NS})
    tei.set("{http://www.w3.org/XML/1998/namespace}id", "generated")
    header = etree.SubElement(tei, T + "teiHeader")
    fd = etree.SubElement(header, T + "fileDesc")
    etree.SubElement(etree.SubElement(fd, T + "titleStmt"), T + "title").text = "Generated"
    etree.SubElement(etree.SubElement(fd, T + "publicationStmt"), T + "p")
    etree.SubElement(etree.SubElement(fd, T + "sourceDesc"), T + "p")
    body = etree.SubElement(etree.SubElement(tei, T + "text"), T + "body")
    build(body, body_nodes)
    return etree.tostring(tei, encoding="utf-8")


PREFERENCE = ["corr", "reg", "expan"]


def chosen(choice):
    children = [c for c in choice if isinstance(c.tag, str)]
    for name in PREFERENCE:
        for c in children:
            if etree.QName(c).localname == name:
                return c
    return children[0] if children else None


def tokens(el, out):
    """Text tokens of an element as rendered in place: notes are skipped (they go to the end),
    only the chosen reading of a choice counts, and a deletion is no part of the reading text."""
    out.extend((el.text or "").split())
    for child in el:
        if isinstance(child.tag, str):
            local = etree.QName(child).localname
            if (local == "note" and child.get("place") != "inline") or local == "del":
                pass
            elif local == "choice":
                pick = chosen(child)
                if pick is not None:
                    tokens(pick, out)
            else:
                tokens(child, out)
        out.extend((child.tail or "").split())
    return out


def expected(xml: bytes) -> tuple[list[str], list[str]]:
    root = etree.fromstring(xml)
    text = root.find(T + "text")
    main = tokens(text, [])
    notes = []
    for note in text.iter(T + "note"):
        if note.get("place") != "inline" and not any(a.tag == T + "del" for a in note.iterancestors()):
            tokens(note, notes)
    norm = lambda ts: [unicodedata.normalize("NFC", t) for t in ts]
    return norm(main), norm(notes)


def in_order(needles: list[str], haystack: str) -> str | None:
    """Each token found after the previous one in the whitespace-free output; the first missing one."""
    squashed = "".join(haystack.split())
    pos = 0
    for token in needles:
        found = squashed.find(token, pos)
        if found < 0:
            return token
        pos = found + len(token)
    return None


def load(xml: bytes):
    doc = parse_bytes(xml, FOLDER / "generated.xml")
    assert not hasattr(doc, "rule"), doc
    return doc


@given(block_nodes())
def test_text_keeps_every_token_in_order(nodes):
    xml = document(nodes)
    main, notes = expected(xml)
    out = transform(load(xml), "text", skip_empty=False)
    assert out == unicodedata.normalize("NFC", out)
    body, sep, endnotes = out.rpartition("\n\nNotes\n\n") if notes else (out, "", "")
    if not notes or not sep:
        body, endnotes = out, out
    assert in_order(main, body) is None, (in_order(main, body), out)
    assert in_order(notes, endnotes) is None, (in_order(notes, endnotes), out)


@given(block_nodes())
def test_html_is_well_formed_inside_the_allow_list_and_keeps_the_text(nodes):
    xml = document(nodes)
    main, notes = expected(xml)
    tree = audit_html(transform(load(xml), "html", skip_empty=False))
    reading = tree.find(".//div[@class='tei-text']")
    assert reading is not None
    assert in_order(main, "".join(reading.itertext())) is None
    section = tree.find(".//section[@class='tei-notes']")
    note_text = "".join(section.itertext()) if section is not None else ""
    assert in_order(notes, note_text) is None
    ids = [el.get("id") for el in tree.iter() if isinstance(el.tag, str) and el.get("id")]
    assert len(ids) == len(set(ids))
