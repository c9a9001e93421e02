"""The register pages offer the registers as data (the files `export registers` writes),
read back by their consumers: csv, json, a GeoJSON library."""

from __future__ import annotations

import csv
import io
import json

import geojson
from click.testing import CliRunner
from lxml import html

from editions import copy_edition
from tei_edition.cli import main


def test_register_pages_link_csv_json_and_geojson_that_their_readers_accept(tmp_path):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    page = html.fromstring((out / "persons.html").read_bytes())
    links = page.xpath("//p[@class='downloads']/a/@href")
    assert links == ["data/registers.csv", "data/registers.json", "data/places.geojson"]
    assert all((out / link).is_file() for link in links)
    rows = list(csv.DictReader(io.StringIO((out / "data/registers.csv").read_text(encoding="utf-8"))))
    assert {"zhou-enlai", "moscow"} <= {r["id"] for r in rows}
    entries = json.loads((out / "data/registers.json").read_text(encoding="utf-8"))["entries"]
    assert len(entries) == len(rows)
    places = geojson.loads((out / "data/places.geojson").read_text(encoding="utf-8"))
    assert places.is_valid
    moscow = next(f for f in places["features"] if f["id"] == "moscow")
    lon, lat = moscow["geometry"]["coordinates"]
    assert 30 < lon < 45 and 50 < lat < 60  # longitude first (RFC 7946)
    # exports export again: the bytes the command writes
    again = CliRunner().invoke(main, ["export", "registers", str(src), "--format", "csv", "-o", str(tmp_path / "r.csv")])
    assert again.exit_code == 0 and (tmp_path / "r.csv").read_bytes() == (out / "data/registers.csv").read_bytes()


def test_a_page_takes_its_title_and_date_from_the_stylesheets_metadata(tmp_path):
    """One rule for every output: the page shows the title and date the citations carry."""
    import json as _json

    from tei_edition.transform import transform

    src = tmp_path / "letters"
    src.mkdir()
    (src / "letter.xml").write_text("""<TEI xmlns="http://www.tei-c.org/ns/1.0">
  <teiHeader><fileDesc><titleStmt>
      <title level="s">Briefe</title>
      <title level="a">Brief an <choice><abbr>Dr.</abbr><expan>Doktor</expan></choice> Bahr<note>so the envelope</note></title>
    </titleStmt><publicationStmt><p>x</p></publicationStmt><sourceDesc><p>x</p></sourceDesc></fileDesc>
    <profileDesc><creation><date when="1899-01-01">1899</date></creation>
      <correspDesc><correspAction type="sent"><persName>Arthur Schnitzler</persName><date when="1898-12-31"/></correspAction>
      </correspDesc></profileDesc></teiHeader>
  <text><body><p>Lieber Freund,</p></body></text></TEI>""", encoding="utf-8")
    out = tmp_path / "site"
    assert CliRunner().invoke(main, ["build", str(src), "-o", str(out), "-q"]).exit_code == 0
    (item,) = _json.loads(transform(src / "letter.xml", "csl-json"))
    page = html.fromstring((out / "letter.html").read_bytes())
    assert page.xpath("string(//h1)").strip() == item["title"]
    assert "1898-12-31" in page.xpath("//meta[@name='citation_date']/@content")  # the sent date, not creation
