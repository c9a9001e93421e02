"""Notes gathered in one place and pointed to from the text (<ptr target="#tn1"/>), as letter
editions encode them: the pointer is the note's marker, in text and HTML, and the note
makes no marker where it stands."""

from __future__ import annotations

import re
from pathlib import Path

from lxml import html as lxml_html

from tei_edition.transform import transform

LETTER = """<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt><title>Letter</title></titleStmt>
    <publicationStmt><p>x</p></publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc></teiHeader>
  <text><body>
    <div type="letter"><p>che sua Altezza<ptr target="#tn1" n="1"/> et tutti a vostra<ptr target="#tn2"/> Serenità,
      di <ref target="#tn1">nuovo</ref> e <ref target="#here">qui</ref> <seg xml:id="here">sì</seg><note>una nota</note>.</p></div>
    <div type="notes">
      <note xml:id="tn1"><p>added above the line</p></note>
      <note xml:id="tn2"><p>a correction</p></note>
    </div>
  </body></text>
</TEI>
"""


def letter(tmp_path: Path) -> Path:
    path = tmp_path / "letter.xml"
    path.write_text(LETTER, encoding="utf-8")
    return path


def test_text_puts_each_marker_at_its_pointer(tmp_path):
    text = transform(letter(tmp_path), "text")
    body, _, notes = text.partition("Notes")
    assert "Altezza[1] et tutti a vostra[2] Serenità, di [1] e qui sì[3]." in " ".join(body.split())
    assert re.findall(r"\[(\d)\] (\w+)", notes) == [("1", "added"), ("2", "a"), ("3", "una")]
    assert body.count("[") == 4  # no marker where the gathered notes stand


def test_html_links_each_pointer_to_its_note_and_back(tmp_path):
    page = lxml_html.fromstring(transform(letter(tmp_path), "html"))
    refs = page.xpath("//a[@class='tei-noteref']")
    assert [(a.get("href"), a.text_content()) for a in refs] == [
        ("#tei_note-1", "1"), ("#tei_note-2", "2"), ("#tei_note-1", "1"), ("#tei_note-3", "3")]
    ids = [a.get("id") for a in refs]
    assert ids == ["tei_noteref-1", "tei_noteref-2", None, "tei_noteref-3"]  # the first pointer takes the id
    notes = page.xpath("//section[@class='tei-notes']//li")
    assert [li.get("id") for li in notes] == ["tei_note-1", "tei_note-2", "tei_note-3"]
    assert all(li.xpath(".//a[@class='tei-backlink']/@href")[0] in {f"#{i}" for i in ids if i} for li in notes)
    assert not page.xpath("//*[contains(@href, '#tei-tn')]")  # never a link to an id the page lacks
    assert page.xpath("//a[@href='#tei-here']")  # a pointer to anything else stays a link
