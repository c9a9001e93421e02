"""Links of the HTML output: never a link inside a link, in-page and whole-file pointers."""

from __future__ import annotations

import importlib
from pathlib import Path

import lxml.html
from test_transform import audit_html

transform = importlib.import_module("tei_edition.transform").transform

HEADER = ('<teiHeader><fileDesc><titleStmt><title>Links</title></titleStmt><publicationStmt><p/></publicationStmt>'
          '<sourceDesc><p/></sourceDesc></fileDesc>{profile}</teiHeader>')


def _html(tmp_path: Path, body: str, profile: str = "", params: dict | None = None):
    """The HTML tree of a small document with ``body`` as its text's body, once the strict
    audit passed (it fails on a link inside a link)."""
    f = tmp_path / "links.xml"
    f.write_text(f'<TEI xmlns="http://www.tei-c.org/ns/1.0" xml:id="links">{HEADER.format(profile=profile)}'
                 f'<text><body>{body}</body></text></TEI>')
    page = transform(f, "html", params)
    audit_html(page)
    return lxml.html.document_fromstring(page)


def _nested_links(tree) -> list:
    return tree.xpath("//a[ancestor::a]")


def _entity(tree, ref: str):
    [el] = [el for el in tree.iter() if el.get("data-ref") == ref]
    return el


def test_mention_in_an_inline_note_inside_a_link_is_no_nested_link(tmp_path):
    tree = _html(tmp_path, '<p><ref target="https://example.org">see <note place="inline">by '
                           '<persName ref="persons.xml#x">X</persName></note></ref></p>')
    assert _nested_links(tree) == []
    outer = [a for a in tree.iter("a") if a.get("href") == "https://example.org"]
    assert len(outer) == 1 and "by X" in "".join(outer[0].itertext())
    assert _entity(tree, "persons.xml#x").tag == "span"


def test_mention_in_an_endnote_of_a_link_still_links(tmp_path):
    # the note's content is rendered in the endnotes, away from the link around its marker
    tree = _html(tmp_path, '<p><ref target="https://example.org">see<note>by '
                           '<persName ref="persons.xml#x">X</persName></note></ref></p>')
    assert _nested_links(tree) == []
    mention = _entity(tree, "persons.xml#x")
    assert mention.tag == "a" and mention.get("href") == "persons.html#x"
    assert mention.xpath("ancestor::section[@class='tei-notes']")


def test_ref_with_url_counts_as_a_link(tmp_path):
    tree = _html(tmp_path, '<p><ref url="https://example.org/u">by <persName ref="persons.xml#x">X</persName>'
                           '<note>n</note></ref></p>')
    assert _nested_links(tree) == []
    [outer] = [a for a in tree.iter("a") if a.get("href") == "https://example.org/u"]
    assert "by X" in "".join(outer.itertext())
    assert _entity(tree, "persons.xml#x").tag == "span"


def test_local_pointer_of_a_mention_links_within_the_page(tmp_path):
    tree = _html(tmp_path, '<p xml:id="a">First.</p><p><rs ref="#a">the first</rs>, <rs ref="#b">a missing one</rs>,'
                           ' <ref target="#a">back</ref>.</p>')
    ids = {el.get("id") for el in tree.iter() if el.get("id")}
    found = _entity(tree, "#a")
    assert found.tag == "a" and found.get("href") == "#tei-a" and "tei-a" in ids
    [ref] = [a for a in tree.iter("a") if a.text == "back"]
    assert ref.get("href") == found.get("href")
    missing = _entity(tree, "#b")
    assert missing.tag == "span" and missing.get("href") is None and missing.text == "a missing one"
    assert not any(".html#" in (a.get("href") or "") for a in tree.iter("a"))


def test_pointer_to_a_whole_register_file_links_to_its_page_never_empty(tmp_path):
    profile = ('<profileDesc><correspDesc><correspAction type="sent"><persName ref="persons.xml"/></correspAction>'
               '</correspDesc></profileDesc>')
    tree = _html(tmp_path, '<p>To <persName ref="persons.xml">everyone</persName> and <persName ref="persons.xml#y"/>.</p>',
                 profile)
    links = [a for a in tree.iter("a") if a.get("class") == "entity"]
    assert links and all("".join(a.itertext()).strip() for a in links)
    assert not any(a.get("href").endswith("#") for a in links)
    [sender] = tree.find(".//dd[@class='tei-sender']")
    assert sender.tag == "a" and sender.get("href") == "persons.html" and sender.text == "persons.xml"
    [body] = [a for a in links if a.text == "everyone"]
    assert body.get("href") == "persons.html"
    [empty] = [a for a in links if a.get("data-ref") == "persons.xml#y"]
    assert empty.get("href") == "persons.html#y" and empty.text == "y"
