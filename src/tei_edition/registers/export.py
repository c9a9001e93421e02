"""Registers out, one row (or feature) per entry: CSV, JSON and GeoJSON.

* CSV: fixed columns, then one ``name:LANG`` column per language met (``name`` for
  names without a declared language) and one ``date:ROLE`` column per kind of date;
  several values in a cell are separated by `` | ``.
* JSON: ``{"entries": [...]}``, every value of the model.
* GeoJSON (RFC 7946): a FeatureCollection of the entries with coordinates (places,
  in practice), longitude first; a Point for one location, a MultiPoint for several.
  An edition without coordinates gives an empty FeatureCollection.

A file is written atomically (:func:`~tei_edition.fsutil.write_atomic`): a failed
write leaves the previous file as it was, and a file that was read as input is
never written over.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Callable, Iterable, TextIO

from ..fsutil import write_atomic
from ..problems import ERROR, Problem
from .model import Entry, Registers

FORMATS = ("csv", "json", "geojson")
_FIRST_ROLES = ("birth", "death", "floruit")
_SEP = " | "


def _uris(entry: Entry) -> list[str]:
    return list(dict.fromkeys(a.uri for a in entry.authorities if a.uri))


def _relative(registers: Registers):
    """Source files relative to the folder all of them share: an export is published,
    and must name nothing of the machine that made it (no absolute path)."""
    folders = [os.path.dirname(os.path.abspath(f)) for f in registers.files]
    try:
        root = os.path.commonpath(folders) if folders else ""
    except ValueError:  # different drives
        root = ""
    return lambda f: Path(os.path.relpath(f, root)).as_posix() if root else Path(f).name


def entry_record(entry: Entry, where=lambda f: f) -> dict:
    """Everything the model knows about an entry, as JSON values (``where`` names a source file)."""
    return {
        "id": entry.id, "kind": entry.kind, "subkind": entry.subkind, "label": entry.label,
        "names": {lang: list(forms) for lang, forms in entry.names_by_lang().items()},
        "name_forms": [{"text": n.text, "display": n.display, "lang": n.lang, "type": n.type,
                        "forename": n.forename, "surname": n.surname} for n in entry.names],
        "dates": [d.to_dict() for d in entry.dates],
        "authorities": [{"type": a.type, "value": a.value, "uri": a.uri} for a in entry.authorities],
        "authority_uris": _uris(entry),
        "coordinates": [{"lat": p.lat, "long": p.long} for p in entry.coordinates],
        "mentions": entry.mentions,
        "notes": list(entry.notes),
        "sources": [{"file": where(f), "line": line} for f, line in entry.sources],
    }


def csv_text(registers: Registers) -> str:
    langs = list(dict.fromkeys(n.lang for e in registers for n in e.names))
    met = dict.fromkeys(d.role for e in registers for d in e.dates)
    roles = [r for r in _FIRST_ROLES if r in met] + [r for r in met if r not in _FIRST_ROLES]
    header = (["id", "kind", "subkind", "label"] + [f"name:{lang}" if lang else "name" for lang in langs]
              + [f"date:{role}" for role in roles]
              + ["lat", "long", "coordinates", "authority_uris", "authority_ids", "mentions", "notes", "sources"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    where = _relative(registers)
    for e in registers:
        by_lang = e.names_by_lang()
        first = e.coordinates[0] if e.coordinates else None
        writer.writerow(
            [e.id, e.kind, e.subkind, e.label]
            + [_SEP.join(by_lang.get(lang, ())) for lang in langs]
            + [_SEP.join(d.label for d in e.dates if d.role == role) for role in roles]
            + [first.lat if first else "", first.long if first else "",
               "; ".join(f"{p.lat} {p.long}" for p in e.coordinates),
               " ".join(_uris(e)), _SEP.join(f"{a.type}:{a.value}" if a.type else a.value for a in e.authorities),
               e.mentions, _SEP.join(e.notes), _SEP.join(f"{where(f)}:{line}" for f, line in e.sources)])
    return out.getvalue()


def json_text(registers: Registers) -> str:
    where = _relative(registers)
    return json_document("entries", (entry_record(e, where) for e in registers))


def json_document(key: str, values: Iterable) -> str:
    """``json.dumps({key: list(values)}, ensure_ascii=False, indent=1) + "\\n"``, made a value at
    a time: json's indenting encoder holds the pieces of all it makes at once (about eight times
    the text: 30 MB for the registers of 5,000 persons). A value's own lines move two places in,
    as a list item's; a newline within a string is written as ``\\n``, so every newline of a
    value's text is one of its lines."""
    pieces: list[str] = []
    for v in values:
        pieces += (",\n  ", json.dumps(v, ensure_ascii=False, indent=1).replace("\n", "\n  "))
    if not pieces:
        return json.dumps({key: []}, ensure_ascii=False, indent=1) + "\n"
    pieces[0] = f"{{\n {json.dumps(key, ensure_ascii=False)}: [\n  "  # in place of the first separator
    pieces.append("\n ]\n}\n")
    return "".join(pieces)


def geojson_text(registers: Registers) -> str:
    features = []
    for e in registers:
        if not e.coordinates:
            continue
        points = [[p.long, p.lat] for p in e.coordinates]  # RFC 7946: longitude first
        geometry = ({"type": "Point", "coordinates": points[0]} if len(points) == 1
                    else {"type": "MultiPoint", "coordinates": points})
        features.append({"type": "Feature", "id": e.id, "geometry": geometry, "properties": {
            "id": e.id, "kind": e.kind, "subkind": e.subkind, "label": e.label,
            "names": {lang: list(forms) for lang, forms in e.names_by_lang().items()},
            "authority_uris": _uris(e), "mentions": e.mentions}})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=1) + "\n"


_RENDER: dict[str, Callable[[Registers], str]] = {"csv": csv_text, "json": json_text, "geojson": geojson_text}


def render(registers: Registers, fmt: str) -> str:
    """The registers as text in one of :data:`FORMATS`."""
    return _RENDER[fmt](registers)


def write(registers: Registers, fmt: str, target: str | os.PathLike | TextIO) -> Problem | None:
    """Write to a file path (atomically, never over an input) or an open text stream;
    ``None`` when written, else the Problem that stopped it."""
    text = render(registers, fmt)
    if hasattr(target, "write"):
        target.write(text)
        return None
    if _is_input(target, registers.files):
        return Problem(os.fspath(target), 0, 0, ERROR, "export-input",
                       "is one of the files read; choose another output file")
    try:
        write_atomic(target, text)
    except OSError as exc:
        return Problem(os.fspath(target), 0, 0, ERROR, "export-write", f"cannot be written: {exc.strerror or exc}")
    return None


def _is_input(target, inputs) -> bool:
    real = os.path.realpath(target)
    if not os.path.exists(real):
        return False
    for given in inputs:
        try:
            if os.path.realpath(given) == real or os.path.samefile(given, real):  # a hard link too
                return True
        except OSError:
            continue
    return False


def to_csv(registers: Registers, file: str | os.PathLike | TextIO) -> Problem | None:
    return write(registers, "csv", file)


def to_json(registers: Registers, file: str | os.PathLike | TextIO) -> Problem | None:
    return write(registers, "json", file)


def to_geojson(registers: Registers, file: str | os.PathLike | TextIO) -> Problem | None:
    return write(registers, "geojson", file)
