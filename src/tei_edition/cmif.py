"""The edition's letters as one CMIF file, the list of letters correspSearch harvests.

CMIF (Correspondence Metadata Interchange Format, TEI Correspondence SIG) is a TEI
file whose header describes the edition (``fileDesc``) and lists every letter as a
``correspDesc`` in ``profileDesc``: sender and addressee (``persName``, ``orgName``
or ``name``), places (``placeName``) and dates, each name with ``@ref`` = one
authority URI (GND, VIAF, Wikidata, GeoNames …) when the edition knows it.

What the export takes from the edition:

* every ``teiHeader/profileDesc/correspDesc`` of a document (not of a register or
  the edition file) gives one ``correspDesc``; its ``@ref`` is the letter's page on
  the site, named as ``tei-edition build`` names it (:func:`page_urls`);
* a pointer (``#id``, ``file.xml#id``, ``prefix:value``) is followed to its register
  entry, whose first name form is the name (so that a person reads the same in
  every letter; without an entry, the letter's own wording), and whose authority
  ids give ``@ref`` (one URI: for persons and organisations GND, then
  VIAF, then Wikidata; for places GeoNames, then Wikidata; else the first). An
  ``http(s)`` pointer is itself the URI. ``settlement``, ``country``, ``region``,
  ``district``, ``bloc`` and ``geogName`` become ``placeName``; ``name`` becomes
  ``persName``/``orgName``/``placeName`` by its entry's kind (or ``@type``);
* dates keep ``@when``, ``@from``, ``@to``, ``@notBefore``, ``@notAfter`` exactly as
  written, when the value is one the schema allows (an XML Schema date, gYear,
  gYearMonth, dateTime …); ``@cert`` only as ``low``, the one value the schema
  allows. Date text, notes, ``num`` and actions other than sent and received are
  not part of CMIF and are left out.

A letter without a sender or a date of sending is exported with what it has and
one ``cmif-incomplete`` warning. A letter that cannot be valid CMIF (nothing at
all about its sending or its receipt: ``cmif.sch`` requires both actions, and the
schema an action to hold something) is left out with a ``cmif-left-out``
warning. A pointer that does not resolve is reported once (``cmif-unresolved``)
however many letters repeat it, and the name is exported without ``@ref``.

The file's own date (``publicationStmt/date``) is the newest ``change/@when`` of
the files read, else the newest modification time among them, so that the same
edition gives the same file byte for byte (a harvester sees a new date only when
the edition changed); ``date=`` overrides it.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from lxml import etree

from .edition import Edition, split_pointer
from .fsutil import write_atomic
from .loader import TEI_NS, XML_ID, Document
from .problems import ERROR, WARNING, Problem
from .registers.model import URI
from .registers.read import read_entry

INCOMPLETE, LEFT_OUT, UNRESOLVED = "cmif-incomplete", "cmif-left-out", "cmif-unresolved"
LICENCE = "https://creativecommons.org/licenses/by/4.0/"
SCHEMA_URL = "https://raw.githubusercontent.com/TEI-Correspondence-SIG/CMIF/master/schema/cmi-customization.rng"
DATE_ATTRIBUTES = ("when", "from", "to", "notBefore", "notAfter")

_T = f"{{{TEI_NS}}}"
_ACTIONS = ("sent", "received")
_PLACE_TAGS = {_T + n for n in ("placeName", "settlement", "country", "region", "district", "bloc", "geogName")}
_NAME_TAGS = {_T + "persName": "persName", _T + "orgName": "orgName", _T + "name": "name"}
_ENTRY_KINDS = {_T + "person": "person", _T + "personGrp": "person", _T + "org": "org", _T + "place": "place"}
_AS_ELEMENT = {"person": "persName", "org": "orgName", "place": "placeName"}
# which authority a harvester should meet first, by kind of entry (hosts of their URIs)
_PREFERRED = {"place": ("geonames.org", "wikidata.org", "d-nb.info"),
              "": ("d-nb.info", "viaf.org", "wikidata.org", "id.loc.gov", "data.bnf.fr")}

# XML Schema 1.0 lexical forms of the types att.datable.w3c allows (timezone optional)
_TZ = r"(?:Z|[+-](?:(?:0\d|1[0-3]):[0-5]\d|14:00))?"
_YEAR = r"-?(?:[1-9]\d{4,}|\d{4})"
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d+)?"  # not 24:00:00, which XSD 1.0 allows but jing refuses
_W3C = re.compile(
    rf"(?P<y>{_YEAR})(?:-(?P<m>\d\d)(?:-(?P<d>\d\d)(?:T(?:{_TIME}))?)?)?{_TZ}"
    rf"|--(?P<m2>\d\d)(?:-(?P<d2>\d\d))?{_TZ}|---(?P<d3>\d\d){_TZ}|(?:{_TIME}){_TZ}")
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def w3c_date(value: str) -> bool:
    """Is ``value`` an XML Schema date, gYear, gYearMonth, gMonth, gDay, gMonthDay,
    time or dateTime (the types CMIF's ``date`` attributes allow) naming a real day?"""
    m = _W3C.fullmatch(value)
    if m is None:
        return False
    year, month, day = m.group("y"), m.group("m") or m.group("m2"), m.group("d") or m.group("d2") or m.group("d3")
    if year is not None and int(year) == 0:
        return False  # XML Schema 1.0 has no year 0000
    if month is not None and not 1 <= int(month) <= 12:
        return False
    if day is None:
        return True
    most = _DAYS[int(month) - 1] if month else 31  # a gMonthDay may be 29 February
    if month == "02" and year is not None:
        y = abs(int(year))
        most = 29 if (y % 4 == 0 and y % 100 != 0) or y % 400 == 0 else 28
    return 1 <= int(day) <= most


@dataclass(frozen=True)
class Cmif:
    """A CMIF file as text, how many letters it lists and leaves out, and what was found wrong."""

    text: str
    letters: int
    left_out: int
    problems: tuple[Problem, ...]
    files: tuple[str, ...]


def page_urls(edition: Edition, base_url: str) -> dict[Path, str]:
    """Each document's page URL, named as the site names pages (:func:`tei_edition.site.page_names`,
    with the site's own pages and its register pages reserved)."""
    from .site import page_names_of

    names = page_names_of(edition)
    base = base_url.rstrip("/")
    return {path: f"{base}/{name}.html" for path, name in names.items()}


def export(paths: Iterable[str | os.PathLike] | None = None, *, base_url: str, url: str | None = None,
           date: str | None = None, title: str | None = None, editors: Iterable[str] = ()) -> Cmif:
    """The CMIF file for the letters under ``paths`` (default: the bundled edition).

    ``base_url``: the site's address (letters' ``@ref`` are its pages). ``url``: where
    the CMIF file itself will be (default ``BASE/cmif.xml``). ``date``: the file's
    date (default: see the module docstring). ``title``, ``editors``: the file's title
    and editors (default: the edition file's; editors else the letters' own). Raises
    ``ValueError`` for a base URL or date that cannot be used.
    """
    if not re.match(r"https?://[^\s/]+", base_url or ""):
        raise ValueError("the base URL must start with http:// or https:// and name a host")
    if date is not None and not w3c_date(date):
        raise ValueError(f"{date!r} is not a date (YYYY-MM-DD, or another XML Schema date form)")
    edition = Edition.load(list(paths) if paths is not None else None)
    writer = _Letters(edition, page_urls(edition, base_url))
    for doc in edition.documents:
        writer.add(doc)
    problems = list(edition.problems) + writer.problems()
    head = _Head(edition, writer.documents, title or None, list(editors))
    problems += head.problems
    base = base_url.rstrip("/")
    root = head.tei(base, url or f"{base}/cmif.xml", date or head.newest_date(), writer.elements)
    text = etree.tostring(root.getroottree(), encoding="unicode", pretty_print=True)
    pi = f'<?xml-model href="{SCHEMA_URL}" type="application/xml" schematypens="http://relaxng.org/ns/structure/1.0"?>'
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n{pi}\n{text}'
    return Cmif(text, len(writer.elements), writer.left_out, tuple(sorted(problems, key=Problem.sort_key)),
                tuple(str(p) for p in edition.files))


def write(result: Cmif, out: str | os.PathLike) -> Problem | None:
    """Write atomically, never over one of the files read; ``None`` when written."""
    if _is_input(out, result.files):
        return Problem(os.fspath(out), 0, 0, ERROR, "export-input", "is one of the files read; choose another output file")
    try:
        write_atomic(out, result.text)
    except OSError as exc:
        return Problem(os.fspath(out), 0, 0, ERROR, "export-write", f"cannot be written: {exc.strerror or exc}")
    return None


def _is_input(target, files: Iterable[str]) -> bool:
    """Is ``target`` one of the files read (by any name, a hard link too)?"""
    for given in files if os.path.exists(target) else ():
        try:
            if os.path.samefile(given, target):
                return True
        except OSError:
            continue
    return False


# --- the letters ----------------------------------------------------------------

def _el(tag: str, attrib: dict | None = None, text: str | None = None, *children) -> etree._Element:
    el = etree.Element(_T + tag, {k: v for k, v in (attrib or {}).items() if v}, nsmap={None: TEI_NS})
    el.text = text
    el.extend(children)
    return el


class _Letters:
    """Turns each document's correspDescs into CMIF ones, collecting warnings."""

    def __init__(self, edition: Edition, urls: dict[Path, str]):
        self.edition = edition
        self.urls = urls
        self.elements: list[etree._Element] = []
        self.documents: list[Document] = []
        self.left_out = 0
        self._found: list[Problem] = []
        self._unresolved: dict[str, list] = {}  # pointer -> [first Problem, letters, files seen]
        self._entries: dict[int, tuple[str, str | None]] = {}  # id(element) -> (kind, URI)
        self._keep: list = []  # resolved elements stay alive so their ids stay theirs

    def problems(self) -> list[Problem]:
        out = list(self._found)
        for first, letters in self._unresolved.values():
            more = f"; the same in {letters - 1} more letter(s)" if letters > 1 else ""
            out.append(Problem(first.file, first.line, first.col, first.severity, first.rule, first.message + more))
        return out

    def add(self, doc: Document) -> None:
        descs = doc.root.findall(f"{_T}teiHeader/{_T}profileDesc/{_T}correspDesc")
        if not descs:
            return
        self.documents.append(doc)
        locator = None

        def where(el) -> tuple[int, int]:
            nonlocal locator
            if locator is None:
                from .validation.locate import Locator
                locator = Locator(doc)
            return locator.element(el)

        resolve = self.edition.resolver(doc)
        for desc in descs:
            self._letter(doc, desc, resolve, where)

    def _warn(self, doc: Document, at: tuple[int, int], rule: str, message: str) -> None:
        self._found.append(Problem(str(doc.path), at[0], at[1], WARNING, rule, message))

    def _letter(self, doc: Document, desc, resolve, where) -> None:
        actions, lacks, dropped = {}, [], []
        for kind in _ACTIONS:
            found = [a for a in desc.findall(_T + "correspAction") if a.get("type") == kind]
            parts = [p for a in found for p in self._parts(doc, a, resolve, where, dropped)]
            actions[kind] = parts
        if not actions["sent"] or not actions["received"]:
            missing = " and ".join(f"its {'sending' if k == 'sent' else 'receipt'}" for k in _ACTIONS if not actions[k])
            self._warn(doc, where(desc), LEFT_OUT, f"left out of the CMIF file: nothing is known of {missing} "
                       f"(CMIF requires a correspAction of type {' and '.join(k for k in _ACTIONS if not actions[k])} "
                       "with a name, a place or a date)")
            self.left_out += 1
            return
        sent = actions["sent"]
        if not any(p.tag != _T + "placeName" and p.tag != _T + "date" for p in sent):
            lacks.append("a sender")
        if not any(p.tag == _T + "date" for p in sent):
            lacks.append("a date of sending")
        if lacks or dropped:
            said = [f"without {' or '.join(lacks)}"] if lacks else []
            said += dropped
            self._warn(doc, where(desc), INCOMPLETE, "exported " + "; ".join(said))
        out = _el("correspDesc", {"ref": self.urls.get(doc.path, "")})  # @source: set with the bibl
        for kind in _ACTIONS:
            out.append(_el("correspAction", {"type": kind}, None, *actions[kind]))
        self.elements.append(out)

    def _parts(self, doc, action, resolve, where, dropped: list[str]) -> list[etree._Element]:
        parts = []
        for child in action:
            if child.tag in _NAME_TAGS or child.tag in _PLACE_TAGS:
                part = self._name(doc, child, resolve, where)
            elif child.tag == _T + "date":
                part = self._date(child, dropped)
            else:
                continue
            if part is not None:
                parts.append(part)
        order = {"persName": 0, "orgName": 0, "name": 0, "placeName": 1, "date": 2}
        return sorted(parts, key=lambda p: order[etree.QName(p).localname])  # the schema's usual order

    def _name(self, doc, el, resolve, where) -> etree._Element | None:
        from .site.text import text_of

        kind, uri, label = "", None, ""
        for pointer in (el.get("ref") or "").split():
            if URI.fullmatch(pointer):
                uri = pointer
                break
            target = resolve(pointer)
            if target is None:
                self._unresolvable(doc, el, pointer, where)
                continue
            kind, uri, label = self._entry(target)
            break
        if el.tag in _PLACE_TAGS:
            tag = "placeName"
        elif el.tag == _T + "name":
            tag = _AS_ELEMENT.get(kind) or _AS_ELEMENT.get((el.get("type") or "").lower().replace("organisation", "org")
                                                              .replace("organization", "org")) or "name"
        else:
            tag = _NAME_TAGS[el.tag]
        text = label or text_of(el)
        if not text and not uri:
            return None
        return _el(tag, {"ref": uri, "cert": "low" if el.get("cert") == "low" else ""}, text)

    def _entry(self, target) -> tuple[str, str | None, str]:
        hit = self._entries.get(id(target))
        if hit is None:
            self._keep.append(target)
            kind = _ENTRY_KINDS.get(target.tag, "")
            if kind:
                found = read_entry(target, kind, "")
                uris = list(dict.fromkeys(a.uri for a in found.authorities if a.uri))
                label = found.names[0].display if found.names else ""
            else:
                uris, label = [], ""
            hit = self._entries[id(target)] = (kind, _preferred(uris, kind), label)
        return hit

    def _unresolvable(self, doc, el, pointer: str, where) -> None:
        seen = self._unresolved.get(pointer)
        if seen is not None:
            seen[1] += 1
            return
        line, col = where(el)
        problem = Problem(str(doc.path), line, col, WARNING, UNRESOLVED,
                          f'"{pointer}" does not resolve ({self._why(doc, pointer)}); exported by name, without @ref')
        self._unresolved[pointer] = [problem, 1]

    def _why(self, doc: Document, pointer: str) -> str:
        if split_pointer(pointer) is None:
            expanded = self.edition.expand(pointer, doc)
            if expanded is None:
                return f"no prefixDef declares '{pointer.partition(':')[0]}'"
            if not expanded:
                return "no prefixDef pattern matches it"
            pointer = expanded
        target = self.edition.document_for(pointer, doc)
        if isinstance(target, Problem):
            return f"{split_pointer(pointer)[0]}: {target.message}"
        fragment = (split_pointer(pointer) or ("", None))[1]
        return f"no xml:id '{fragment}' there" if fragment else "it names no entry"

    @staticmethod
    def _date(el, dropped: list[str]) -> etree._Element | None:
        attrib = {}
        for name in DATE_ATTRIBUTES:
            value = el.get(name)
            if value is None:
                continue
            if w3c_date(value.strip()):
                attrib[name] = value.strip()
            else:
                dropped.append(f'@{name}="{value}" left out (not an XML Schema date)')
        if not attrib:
            return None
        if el.get("cert") == "low":
            attrib["cert"] = "low"
        return _el("date", attrib)


def _preferred(uris: list[str], kind: str) -> str | None:
    """The one URI a harvester should get, by the authority's host (see the module docstring)."""
    order = _PREFERRED["place" if kind == "place" else ""]

    def rank(uri: str) -> int:
        host = re.sub(r"^https?://(www\.)?", "", uri).split("/")[0].lower()
        return next((i for i, h in enumerate(order) if host == h or host.endswith("." + h)), len(order))
    return min(uris, key=rank) if uris else None


# --- the header ------------------------------------------------------------------

class _Head:
    """The CMIF header: title, editors, publisher, the file's URL and date, the edition's bibl."""

    def __init__(self, edition: Edition, letters: list[Document], title: str | None, editors: list[str]):
        from .site.text import text_of

        self.edition, self.letters = edition, letters
        self.problems: list[Problem] = []
        ed = edition.edition_file
        stmt = ed.root.find(f"{_T}teiHeader/{_T}fileDesc/{_T}titleStmt") if ed is not None else None
        titles = stmt.findall(_T + "title") if stmt is not None else []
        main = next((t for t in titles if t.get("type") in (None, "main")), titles[0] if titles else None)
        self.title = title or text_of(main) or ""
        found = editors or ([text_of(e) for e in stmt.findall(_T + "editor")] if stmt is not None else [])
        if not found:  # the letters' own editors, first seen first
            found = [text_of(e) for d in letters for e in d.root.iterfind(f"{_T}teiHeader/{_T}fileDesc/{_T}titleStmt/{_T}editor")]
        self.editors = [e for e in dict.fromkeys(found) if e][:20]
        pub = ed.root.find(f"{_T}teiHeader/{_T}fileDesc/{_T}publicationStmt/{_T}publisher") if ed is not None else None
        self.publisher = text_of(pub) if pub is not None else ""

    def tei(self, base: str, url: str, date: str, letters: list[etree._Element]) -> etree._Element:
        title = self.title or f"Letters of the edition at {base}"
        editors = [_el("editor", None, e) for e in self.editors] or [_el("editor")]
        if not self.editors:
            at = self.edition.edition_file or (self.letters[0] if self.letters else None)
            self.problems.append(Problem(str(at.path) if at else url, 1 if at else 0, 1 if at else 0, WARNING, INCOMPLETE,
                                         "no editor is named (the edition file's titleStmt/editor, or --editor); "
                                         "CMIF's titleStmt has an empty editor"))
        publisher = self.publisher or title
        bibl = _el("bibl", {"type": "online", XML_ID: _bibl_id(base)}, f"{title}. ",
                   *[_tail(_el("editor", None, e), ", " if i < len(self.editors) - 1 else ". ")
                     for i, e in enumerate(self.editors)],
                   _tail(_el("publisher", None, publisher), ". "), _el("ref", {"target": base}, base))
        for letter in letters:
            letter.set("source", "#" + bibl.get(XML_ID))
        header = _el("teiHeader", None, None,
                     _el("fileDesc", None, None,
                         _el("titleStmt", None, None, _el("title", None, title), *editors),
                         _el("publicationStmt", None, None,
                             _el("publisher", None, None, _el("ref", {"target": base}, publisher)),
                             _el("idno", {"type": "url"}, url),
                             _el("date", {"when": date}),
                             _el("availability", None, None, _el("licence", {"target": LICENCE},
                                 "This file is licensed under the terms of the Creative Commons Licence CC BY 4.0"))),
                         _el("sourceDesc", None, None, bibl)),
                     _el("profileDesc", None, None, *letters))
        return _el("TEI", None, None, header, _el("text", None, None, _el("body", None, None, _el("p"))))

    def newest_date(self) -> str:
        """The newest ``change/@when`` of the files read, else the newest modification day."""
        dated = [c.get("when", "").strip() for d in self.edition.files.values()
                 for c in d.root.iterfind(f"{_T}teiHeader/{_T}revisionDesc//{_T}change")]
        dated = [w for w in dated if w3c_date(w) and re.match(r"\d{4}", w)]
        if dated:
            return max(dated, key=lambda w: (w[:10], len(w)))[:10]
        times = [os.stat(p).st_mtime for p in self.edition.files if os.path.exists(p)]
        day = _dt.datetime.fromtimestamp(max(times), _dt.timezone.utc) if times else _dt.datetime.now(_dt.timezone.utc)
        return day.date().isoformat()


def _tail(el: etree._Element, tail: str) -> etree._Element:
    el.tail = tail
    return el


def _bibl_id(base: str) -> str:
    """A UUID that stays the same for the same edition (derived from its base URL) and,
    as CMIF asks of an xml:id, begins with a letter."""
    n = 0
    while True:
        ident = str(uuid.uuid5(uuid.NAMESPACE_URL, base if n == 0 else f"{base}#{n}"))
        if ident[0].isalpha():
            return ident
        n += 1
