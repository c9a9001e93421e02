"""Reading one file's register entries into values (see the package docstring for where)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from lxml import etree

from ..loader import TEI_NS, XML_NS
from .model import URI, Authority, Date, Name, Point, authority_uri, parse_geo

_T = f"{{{TEI_NS}}}"
_LANG = f"{{{XML_NS}}}lang"
_LISTS = {_T + "listPerson", _T + "listPlace", _T + "listOrg", _T + "listBibl", _T + "listEvent"}
_ENTRY_KIND = {_T + "person": "person", _T + "personGrp": "person", _T + "place": "place",
               _T + "org": "org", _T + "bibl": "bibl", _T + "biblStruct": "bibl",
               _T + "biblFull": "bibl", _T + "event": "event"}
_HEADER_REGIONS = {_T + "particDesc", _T + "settingDesc"}
_NAME_TAGS = {"person": (_T + "persName", _T + "name"),
              "place": (_T + "placeName", _T + "geogName", _T + "name"),
              "org": (_T + "orgName", _T + "name"),
              "bibl": (_T + "title",),
              "event": (_T + "label", _T + "head")}
# a place named only by its parts (<settlement>, <country> …) is still named
_PLACE_PARTS = (_T + "settlement", _T + "country", _T + "region", _T + "district", _T + "bloc")
_DATED = {_T + "birth": "birth", _T + "death": "death", _T + "floruit": "floruit",
          _T + "event": "event", _T + "date": "date"}
_DATE_ATTRS = ("when", "from", "to", "notBefore", "notAfter")
MENTION_TAGS = tuple(_T + n for n in ("persName", "placeName", "orgName", "rs", "name", "title", "date"))
MENTION_ATTRS = ("ref", "corresp")  # a subset of edition.POINTER_ATTRIBUTES


def _text(el) -> str:
    """Whitespace-normalised text without notes (not part of a name)."""
    parts: list[str] = []

    def walk(e):
        if e.text:
            parts.append(e.text)
        for child in e:
            if child.tag != _T + "note":
                walk(child)
            if child.tail:
                parts.append(child.tail)
    walk(el)
    return " ".join("".join(parts).split())


def _lang_of(el) -> str:
    while el is not None:
        lang = el.get(_LANG)
        if lang is not None:
            return lang
        el = el.getparent()
    return ""


# --- one occurrence of an entry in one file -----------------------------------------

@dataclass
class Found:
    """What one file says about one entry, with the elements a warning may point at."""

    el: etree._Element
    kind: str
    subkind: str
    names: list[Name]
    dates: list[tuple[Date, etree._Element]]
    points: list[tuple[Point, etree._Element]]
    authorities: list[Authority]
    notes: list[str]


def entry_elements(root) -> Iterator[tuple[etree._Element, str, str]]:
    """(element, kind, list @type) of every entry in the places listed in the module docstring."""
    seen: set[int] = set()
    keep: list = []  # proxies stay alive so their ids stay their own

    def take(el, list_type: str):
        if id(el) in seen:
            return
        seen.add(id(el))
        keep.append(el)
        kind = _ENTRY_KIND[el.tag]
        yield el, kind, list_type
        for child in el:  # a place in a place
            if _ENTRY_KIND.get(child.tag) == kind:
                yield from take(child, list_type)

    for holder in root.iter(*_LISTS, *_HEADER_REGIONS):
        in_header = False
        for up in holder.iterancestors():
            if up.tag in _HEADER_REGIONS:
                break
            if up.tag == _T + "teiHeader":
                in_header = holder.tag not in _HEADER_REGIONS
                break
        if in_header:
            continue
        list_type = (holder.get("type") or "") if holder.tag in _LISTS else ""
        for child in holder:
            if child.tag in _ENTRY_KIND:
                yield from take(child, list_type)


def read_entry(el, kind: str, list_type: str) -> Found:
    names: list[Name] = []
    inherited = _lang_of(el)
    name_tags = _NAME_TAGS[kind]
    candidates = el.iter(*name_tags) if kind == "bibl" else (c for c in el if c.tag in name_tags)
    for n in candidates:
        if kind != "bibl" or not _aside(n, el):
            names.append(_name(n, el, inherited))
    if kind == "place" and not names:
        names = [_name(c, el, inherited) for c in el if c.tag in _PLACE_PARTS]
    names = [n for n in names if n.text]
    dates = []
    if kind == "event":
        dates += [(d, el) for d in [_date(el, kind)] if d]
    for child in el:
        role = _DATED.get(child.tag)
        if role and (d := _date(child, role)):
            dates.append((d, child))
    points = []
    for geo in el.iterfind(f"{_T}location/{_T}geo"):
        points.append((parse_geo(geo.text or ""), geo))
    authorities = [_idno(i) for i in el.iterfind(_T + "idno")]
    if kind == "bibl":  # a biblStruct keeps its ids in analytic/monogr
        authorities += [_idno(i) for i in el.iterfind(f"*/{_T}idno")]
    for attr in ("sameAs", "ref"):
        authorities += [Authority(attr, u, u) for u in (el.get(attr) or "").split() if URI.fullmatch(u)]
    notes = [t for t in (_text(n) for n in el.iterfind(_T + "note")) if t]
    return Found(el, kind, el.get("type") or list_type, names, dates, points,
                  [a for a in dict.fromkeys(authorities) if a.value], notes)


_ASIDE = {_T + "note", _T + "relatedItem", _T + "bibl", _T + "biblStruct"}


def _aside(n, entry) -> bool:
    """A title in a note or a related or nested work of a bibl is not the bibl's name."""
    up = n.getparent()
    while up is not None and up is not entry:
        if up.tag in _ASIDE:
            return True
        up = up.getparent()
    return False


def _idno(i) -> Authority:
    kind, value = i.get("type") or "", _text(i)
    return Authority(kind, value, authority_uri(kind, value))


def _name(n, entry, inherited: str) -> Name:
    lang = n.get(_LANG)
    if lang is None:
        up = n.getparent()
        while up is not None and up is not entry and lang is None:
            lang = up.get(_LANG)
            up = up.getparent()
    parts = {tag: " ".join(_text(p) for p in n.iter(_T + tag)) for tag in ("forename", "surname")}
    return Name(_text(n), inherited if lang is None else lang, n.get("type") or "",
                parts["forename"], parts["surname"])


def _date(el, role: str) -> Date | None:
    values = [el.get(a) or "" for a in _DATE_ATTRS]
    if not any(values):
        return None
    return Date(role, *(v.strip() for v in values))
