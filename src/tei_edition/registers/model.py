"""The values of the register model: small and frozen, no trees."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cached_property
from typing import Iterator

from ..problems import Problem

KINDS = ("person", "place", "org", "bibl", "event")

# authority id types -> (pattern of a bare value, URI template), as each authority documents its URIs
_AUTHORITIES = {
    "wikidata": (re.compile(r"Q[1-9][0-9]*"), "http://www.wikidata.org/entity/{}"),
    "gnd": (re.compile(r"[0-9X-]+"), "https://d-nb.info/gnd/{}"),
    "geonames": (re.compile(r"[0-9]+"), "https://www.geonames.org/{}"),
    "viaf": (re.compile(r"[0-9]+"), "https://viaf.org/viaf/{}"),
}
URI = re.compile(r"https?://[^\s]+", re.I)


@dataclass(frozen=True)
class Name:
    """One name form as written, in its (inherited) language; persons keep their parts."""

    text: str
    lang: str = ""
    type: str = ""
    forename: str = ""
    surname: str = ""

    @property
    def display(self) -> str:
        """The name as written, except that "Surname, Forename" reads "Forename Surname"."""
        if self.forename and self.surname:
            comma, at = self.text.find(","), self.text.find(self.surname)
            if 0 <= at < comma:
                return f"{self.forename} {self.surname}"
        return self.text


@dataclass(frozen=True)
class Date:
    """A dated fact of an entry: ``role`` is birth, death, floruit, event, date, or the
    entry's own kind for its own attributes (an ``event`` entry's ``@when``)."""

    role: str
    when: str = ""
    from_: str = ""
    to: str = ""
    not_before: str = ""
    not_after: str = ""

    @property
    def label(self) -> str:
        """ISO 8601 / EDTF style: ``1878``, ``1941/1953-03-05``, ``1941/..``, ``[1883-12-10..1883-12-11]``."""
        if self.when:
            return self.when
        if self.from_ or self.to:
            return f"{self.from_ or '..'}/{self.to or '..'}"
        return f"[{self.not_before}..{self.not_after}]"

    def to_dict(self) -> dict:
        values = {"role": self.role, "when": self.when, "from": self.from_, "to": self.to,
                  "notBefore": self.not_before, "notAfter": self.not_after}
        return {k: v for k, v in values.items() if v} | {"label": self.label}


@dataclass(frozen=True)
class Authority:
    """An authority id: ``type`` as written (``""`` for none, ``sameAs``/``ref`` for the
    entry's attributes), the value, and an absolute URI when one can be made."""

    type: str
    value: str
    uri: str | None = None


@dataclass(frozen=True)
class Point:
    lat: float
    long: float


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str
    subkind: str = ""
    names: tuple[Name, ...] = ()
    dates: tuple[Date, ...] = ()
    authorities: tuple[Authority, ...] = ()
    coordinates: tuple[Point, ...] = ()
    notes: tuple[str, ...] = ()
    sources: tuple[tuple[str, int], ...] = ()  # (file, line) of every occurrence
    mentions: int = 0

    @property
    def label(self) -> str:
        return self.names[0].display if self.names else self.id

    def names_by_lang(self) -> dict[str, tuple[str, ...]]:
        """Display forms by ``xml:lang`` (``""`` when none is declared), first-seen order."""
        out: dict[str, dict[str, None]] = {}
        for name in self.names:
            out.setdefault(name.lang, {})[name.display] = None
        return {lang: tuple(forms) for lang, forms in out.items()}


@dataclass(frozen=True)
class Registers:
    """Every entry of an edition (in the order first read) and what was found wrong."""

    entries: tuple[Entry, ...] = ()
    problems: tuple[Problem, ...] = ()
    files: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, ident: str) -> Entry | None:
        return self._by_id.get(ident)

    @cached_property
    def _by_id(self) -> dict[str, Entry]:
        return {e.id: e for e in self.entries}

    def of_kind(self, kind: str) -> list[Entry]:
        return [e for e in self.entries if e.kind == kind]


def authority_uri(kind: str, value: str) -> str | None:
    """The absolute URI of an authority id, when the value is one or its type allows
    making one (Wikidata, GND, GeoNames, VIAF); otherwise ``None``."""
    value = value.strip()
    if URI.fullmatch(value):
        return value
    known = _AUTHORITIES.get(kind.strip().lower())
    if known and known[0].fullmatch(value):
        return known[1].format(value)
    return None


_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


def parse_geo(text: str) -> Point | str:
    """``location/geo`` as a point, or why it cannot be read.

    TEI's default is "latitude longitude" in decimal degrees, separated by
    whitespace. Real editions also write a decimal comma ("48,208333 16,373056"),
    a comma or semicolon between the two ("48.2, 16.3", "48.2,16.3", "48,2;16,3").
    Read: split at whitespace or ``;`` (or, with neither, at the one comma), drop a
    separating comma left on a number, then read a decimal comma as a point. Anything
    else (degrees-minutes-seconds, three numbers, a pair out of range) is refused.
    """
    s = text.strip()
    tokens = [t.strip(",") for t in re.split(r"[\s;]+", s) if t.strip(",")]
    if len(tokens) == 1 and tokens[0].count(",") == 1 and "." in tokens[0]:
        tokens = tokens[0].split(",")  # "48.2,16.3": the comma separates
    if len(tokens) != 2 or not all(_NUMBER.fullmatch(t) for t in tokens):
        return f'"{s}" is not "latitude longitude" in decimal degrees'
    lat, long = (float(t.replace(",", ".")) for t in tokens)
    if not (math.isfinite(lat) and math.isfinite(long)) or abs(lat) > 90 or abs(long) > 180:
        swapped = " (longitude first?)" if abs(lat) > 90 >= abs(long) else ""
        return f'"{s}" is out of range: latitude within ±90, longitude within ±180{swapped}'
    return Point(lat, long)
