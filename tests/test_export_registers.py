"""Registers out: CSV, JSON and GeoJSON read back by their own consumers, and the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from pathlib import Path

import geojson
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tei_edition.cli import main
from tei_edition.loader import TEI_NS
from tei_edition.registers import Entry, Point, Registers, collect
from tei_edition.registers.export import render, to_csv, to_geojson, to_json

DATA = Path(__file__).parent / "data" / "registers"
EDITION = DATA / "edition"
SURIANO = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "suriano"


@pytest.fixture(scope="module")
def registers():
    return collect(EDITION)


def test_csv_reads_back_one_row_per_entry(registers, tmp_path):
    out = tmp_path / "registers.csv"
    assert to_csv(registers, out) is None
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["id"] for r in rows] == [e.id for e in registers]
    goethe = next(r for r in rows if r["id"] == "goethe")
    assert goethe["kind"] == "person"
    assert goethe["name:en"] == "Johann Wolfgang von Goethe"
    assert goethe["name:de"] == "Johann Wolfgang Goethe"
    assert goethe["date:birth"] == "1749-08-28"
    assert "https://d-nb.info/gnd/118540238" in goethe["authority_uris"].split()
    assert int(goethe["mentions"]) == registers.get("goethe").mentions
    vienna = next(r for r in rows if r["id"] == "vienna")
    assert (float(vienna["lat"]), float(vienna["long"])) == (48.208333, 16.373056)
    assert next(r for r in rows if r["id"] == "danube")["lat"] == ""


def test_json_holds_every_value(registers, tmp_path):
    out = tmp_path / "registers.json"
    assert to_json(registers, out) is None
    data = json.loads(out.read_text(encoding="utf-8"))
    entries = {e["id"]: e for e in data["entries"]}
    assert list(entries) == [e.id for e in registers]
    goethe = entries["goethe"]
    assert goethe["names"]["en"] == ["Johann Wolfgang von Goethe"]
    assert {"text": "Goethe, Johann Wolfgang von", "display": "Johann Wolfgang von Goethe", "lang": "en",
            "type": "main", "forename": "Johann Wolfgang von", "surname": "Goethe"} in goethe["name_forms"]
    assert goethe["dates"][0] == {"role": "birth", "when": "1749-08-28", "label": "1749-08-28"}
    assert {"type": "wikidata", "value": "Q5879", "uri": "http://www.wikidata.org/entity/Q5879"} in goethe["authorities"]
    assert entries["congress-vienna"]["dates"] == [
        {"role": "event", "from": "1814-09-18", "to": "1815-06-09", "label": "1814-09-18/1815-06-09"}]
    assert entries["vienna"]["coordinates"] == [{"lat": 48.208333, "long": 16.373056}]


def test_geojson_is_valid_and_longitude_first(registers, tmp_path):
    out = tmp_path / "places.geojson"
    assert to_geojson(registers, out) is None
    collection = geojson.loads(out.read_text(encoding="utf-8"))
    assert collection.is_valid, collection.errors()
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {e.id for e in registers if e.coordinates}
    vienna = features["vienna"]["geometry"]
    assert vienna["type"] == "Point"
    assert vienna["coordinates"] == [16.373056, 48.208333]  # Vienna: 16° east, 48° north
    assert features["vienna"]["properties"]["names"] == {"en": ["Vienna"], "de": ["Wien"]}


def test_geojson_of_several_locations_is_a_multipoint(tmp_path):
    registers = collect(Path(__file__).resolve().parents[1] / "tei")
    collection = geojson.loads(render(registers, "geojson"))
    assert collection.is_valid
    lushun = next(f for f in collection["features"] if f["id"] == "lushun")
    assert lushun["geometry"]["type"] == "MultiPoint"
    assert all(long > 100 and 30 < lat < 45 for long, lat in lushun["geometry"]["coordinates"])


def test_no_coordinates_is_an_empty_feature_collection():
    letters = sorted((SURIANO / "02").glob("*.xml"))[:5]
    if not letters:
        pytest.skip("the suriano corpus is not on this machine")
    collection = geojson.loads(render(collect(letters), "geojson"))
    assert collection.is_valid
    assert collection["type"] == "FeatureCollection" and collection["features"] == []
    assert list(csv.reader(io.StringIO(render(collect(letters), "csv"))))[1:] == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False)),
                min_size=1, max_size=4))
def test_any_coordinates_reach_geojson_longitude_first(points):
    entry = Entry("p", "place", coordinates=tuple(Point(lat, long) for lat, long in points))
    text = render(Registers((entry,)), "geojson")
    assert geojson.loads(text).is_valid
    geometry = json.loads(text)["features"][0]["geometry"]  # geojson.loads rounds to 6 decimals
    coordinates = [geometry["coordinates"]] if geometry["type"] == "Point" else geometry["coordinates"]
    assert [tuple(c) for c in coordinates] == [(long, lat) for lat, long in points]


@settings(max_examples=20, deadline=None)
@given(st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False), st.booleans())
def test_coordinates_written_in_tei_come_out_in_geojson(tmp_path_factory, lat, long, decimal_comma):
    folder = tmp_path_factory.mktemp("geo")
    text = f"{lat:.6f} {long:.6f}"
    (folder / "places.xml").write_text(
        f'<TEI xmlns="{TEI_NS}"><text><body><listPlace><place xml:id="x"><placeName>X</placeName>'
        f'<location><geo>{text.replace(".", ",") if decimal_comma else text}</geo></location>'
        f'</place></listPlace></body></text></TEI>')
    collection = geojson.loads(render(collect(folder), "geojson"))
    assert collection["features"][0]["geometry"]["coordinates"] == [float(f"{long:.6f}"), float(f"{lat:.6f}")]


# --- writing --------------------------------------------------------------------

def test_an_input_is_never_written_over(registers, tmp_path):
    target = EDITION / "letter-a.xml"
    before = target.read_bytes()
    problem = to_csv(registers, target)
    assert problem is not None and problem.rule == "export-input"
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert to_json(registers, link).rule == "export-input"
    assert target.read_bytes() == before


def test_a_failed_write_leaves_the_old_file_and_no_temporary(registers, tmp_path, monkeypatch):
    out = tmp_path / "registers.json"
    out.write_text("previous")

    def refuse(*args):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", refuse)
    problem = to_json(registers, out)
    assert problem is not None and problem.rule == "export-write" and "No space" in problem.message
    assert out.read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["registers.json"]


def test_a_stream_is_written_to(registers):
    stream = io.StringIO()
    assert to_csv(registers, stream) is None
    assert stream.getvalue() == render(registers, "csv")


# --- the command ------------------------------------------------------------------

def _run(*args):
    return CliRunner().invoke(main, ["export", "registers", *map(str, args)])


def test_cli_writes_the_file_and_prints_warnings(tmp_path, registers):
    out = tmp_path / "r.csv"
    result = _run(EDITION, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == len(registers.problems)
    conflict = next(line for line in lines if "[register-conflict]" in line and "birth" in line)
    file, line, col, rest = conflict.split(":", 3)
    assert Path(file).name == "letter-b.xml" and int(line) > 0 and int(col) > 0
    assert rest.startswith(" warning: ")
    with out.open(newline="", encoding="utf-8") as fh:  # the format came from the suffix
        assert len(list(csv.DictReader(fh))) == len(registers)


def test_cli_stdout_and_formats():
    result = _run(EDITION, "--format", "geojson")
    assert result.exit_code == 0
    assert geojson.loads(result.stdout).is_valid
    result = _run(EDITION, "-o", "-")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["entries"]  # json by default


def test_cli_exit_codes(tmp_path):
    assert _run(EDITION, "--format", "xlsx").exit_code == 2
    assert _run(tmp_path / "missing").exit_code == 2
    shutil.copytree(EDITION, tmp_path / "ed")
    (tmp_path / "ed" / "broken.xml").write_text("<TEI")
    out = tmp_path / "r.json"
    result = _run(tmp_path / "ed", "-o", out)
    assert result.exit_code == 1
    assert "broken.xml" in result.stderr
    assert json.loads(out.read_text())["entries"]  # the rest is still exported
    result = _run(tmp_path / "ed", "-o", tmp_path / "ed" / "letter-a.xml")
    assert result.exit_code == 2 and "one of the files read" in result.stderr


def test_cli_help_teaches():
    result = CliRunner().invoke(main, ["export", "registers", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "Exit status" in result.output
    assert all(fmt in result.output for fmt in ("csv", "json", "geojson"))
