"""Register entries (persons, places, organisations, works, events) read from TEI registers,
and the register pages they make: one for each kind of entry the edition has."""

from __future__ import annotations

import dataclasses
import re
from typing import Iterable
from urllib.parse import urlsplit

from lxml import etree

from ..loader import XML_ID, Document
from .model import KINDS, SITE_PAGES, TYPED_KINDS, Entry, Register
from .text import NS, T, XML_LANG, date_attrs, free_name, humanise, norm, safe_url, slug, text_of

NAME_TAGS = (T + "placeName", T + "name", T + "orgName", T + "persName")
# what names an entry that has no name element of its kind
OTHER_NAMES = {"place": (T + "settlement", T + "country", T + "region", T + "geogName"), "event": (T + "label",)}


def register_entries(doc: Document) -> list[Entry]:
    out = []
    text = doc.root.find(T + "text")
    if text is None:
        return out
    for kind, (list_tag, _name, _title, _noun) in KINDS.items():
        for el in text.iter(T + kind):
            parent = el.getparent()
            in_list = parent is not None and parent.tag == T + list_tag
            if not el.get(XML_ID) or (kind in TYPED_KINDS and not in_list):
                continue  # a bibl cited in a note, an event of a person's life: not entries
            out.append(entry_of(el, kind, parent.get("type") or "" if in_list else ""))
    return out


def edition_entries(docs: Iterable[Document]) -> list[Entry]:
    """Every register entry of the edition, wherever TEI keeps it (register files, a
    document's ``back``, ``standOff``, ``particDesc``, ``settingDesc``: where
    :func:`tei_edition.registers.read.entry_elements` looks), one per ``xml:id``.
    What a later file adds to an entry (names, links, roles, notes) is united with it;
    its dates, label and coordinates stay those read first, as the register model
    keeps them (and reports the disagreement)."""
    merged: dict[str, Entry] = {}
    for doc in docs:
        merge_entries(merged, doc)
    return list(merged.values())


def merge_entries(merged: dict[str, Entry], doc: Document) -> None:
    """Add the entries ``doc`` holds to ``merged`` (id -> Entry), as :func:`edition_entries` does."""
    from ..registers.read import entry_elements

    for el, kind, list_type in entry_elements(doc.root):
        ident = el.get(XML_ID)
        if not ident:
            continue  # the register model reports it; nothing can point at it
        found = entry_of(el, kind, list_type)
        first = merged.get(ident)
        merged[ident] = found if first is None or first.kind != kind else _united(first, found)


def _united(first: Entry, more: Entry) -> Entry:
    def union(a: tuple, b: tuple) -> tuple:
        return tuple(dict.fromkeys(a + b))
    return dataclasses.replace(
        first, names=union(first.names, more.names), role=union(first.role, more.role),
        notes=union(first.notes, more.notes), links=union(first.links, more.links),
        facts=union(first.facts, more.facts), dates=first.dates or more.dates, geo=first.geo or more.geo)


def registers_of(entries: list[Entry], taken=SITE_PAGES) -> tuple[tuple[Register, ...], list[Entry]]:
    """One register for each kind the entries have, named by the kind, or for a bibl or an
    event by its lists' @type when they share one; and the entries, each with its page."""
    registers, used = [], {t.lower() for t in taken}
    for kind, (_list, _name, title, noun) in KINDS.items():
        mine = [e for e in entries if e.kind == kind]
        if not mine:
            continue
        groups, types = {e.group for e in mine}, {e.subtype for e in mine}
        if kind in TYPED_KINDS and len(groups) == 1 and "" not in groups:
            title = humanise(groups.pop())
        if kind in TYPED_KINDS and len(types) == 1 and "" not in types:
            noun = humanise(types.pop())
        registers.append(Register(kind, free_name(slug(title), used, "register") + ".html", title, noun))
    pages = {r.kind: r.page for r in registers}
    return tuple(registers), [dataclasses.replace(e, page=pages[e.kind]) for e in entries]


def entry_of(el, kind: str, group: str = "") -> Entry:
    name_tag = KINDS[kind][1]
    names = []
    for n in el.findall(T + name_tag):
        text = text_of(n)
        if text:
            names.append((text, n.get(XML_LANG) or "", n.get("type") or ""))
    if not names:
        for n in el:
            if n.tag in OTHER_NAMES.get(kind, ()):
                names.append((text_of(n), n.get(XML_LANG) or "", n.get("type") or ""))
    label = next((t for t, lang, _ in names if lang.split("-")[0] in ("en", "")), names[0][0] if names else el.get(XML_ID))
    # personal names written surname-first with <surname>/<forename> read forename-first in English
    first = el.find(T + name_tag)
    if kind == "person" and first is not None and first.find(T + "surname") is not None \
            and first.find(T + "forename") is not None and ("," in label):
        label = norm(f"{text_of(first.find(T + 'forename'))} {text_of(first.find(T + 'surname'))}")
    dates = [date_attrs(el)[1]] if kind == "event" and date_attrs(el)[1] else []
    for tag, word in (("birth", "born"), ("death", "died")):
        ev = el.find(T + tag)
        if ev is not None:
            where = ev.find(T + "placeName")
            label_d = date_attrs(ev)[1]
            if label_d or where is not None:
                dates.append(f"{word} {label_d}" + (f", {text_of(where)}" if where is not None else ""))
    for tag in ("floruit", "date", "event"):
        for d in el.findall(T + tag):
            label_d = date_attrs(d)[1]
            extra = text_of(d) if tag == "event" else ""
            kind_d = (d.get("type") or "").replace("-", " ")
            if label_d:
                dates.append(f"{kind_d + ' ' if kind_d else ''}{label_d}{': ' + extra if extra else ''}")
    for d in el.findall(f"{T}existence"):
        if date_attrs(d)[1]:
            dates.append(date_attrs(d)[1])
    role, notes = [], []
    for r in el:  # what the entry was or did, each under its own heading, dated when the TEI dates it
        if r.tag in (T + "desc", T + "note", T + "trait") and text_of(r):
            if r.get("type") == "role":
                role.append(("Role", text_of(r)))
            else:
                notes.append(text_of(r))
        heading = ROLE_HEADINGS.get(etree.QName(r).localname) if isinstance(r.tag, str) else None
        if heading is None:
            continue
        parts = [text_of(c) for c in r if isinstance(c.tag, str) and c.tag in (T + "label", T + "desc")]
        txt = ": ".join(p for p in parts if p) if parts else text_of(r)
        if txt:
            when = date_attrs(r)[1]
            role.append((humanise(r.get("type") or "") or heading, txt + (f" ({when})" if when else "")))
    facts = [(humanise(n.get("type")), text_of(n)) for n in el
             if kind in TYPED_KINDS and n.tag in NAME_TAGS and n.get("type")]  # e.g. a treaty's parties
    links = []
    for idno in el.iter(T + "idno"):
        link = authority_link(idno.get("type") or "", text_of(idno))
        if link:
            links.append(link)
    for attr in ("sameAs", "corresp"):
        for token in (el.get(attr) or "").split():
            if token.startswith(("http://", "https://")):
                links.append(authority_link("URI", token))
    for ptr in el.xpath("tei:ptr|tei:ref|tei:linkGrp/tei:ptr", namespaces=NS):
        target = ptr.get("target") or ""
        if target.startswith(("http://", "https://")):
            links.append(authority_link(ptr.get("type") or "URI", target))
    geo = None
    g = el.find(f"{T}location/{T}geo")
    if g is not None:
        nums = re.findall(r"-?\d+(?:\.\d+)?", g.text or "")
        if len(nums) >= 2:
            lat, lon = float(nums[0]), float(nums[1])
            if -90 <= lat <= 90 and -180 <= lon <= 180:
                geo = (lat, lon)
    seen, unique_links = set(), []
    for link in links:  # the same authority record given as idno and as @sameAs counts once
        if link and link[1] not in seen and link[0] not in seen:
            seen.update(link)
            unique_links.append(link)
    sort = label
    if first is not None and first.find(T + "surname") is not None:  # persons by family name
        sort = f"{text_of(first.find(T + 'surname'))} {text_of(first.find(T + 'forename'))}"
    subtype = el.get("type") or ""
    noun = humanise(subtype) if kind in TYPED_KINDS and subtype else KINDS[kind][3]
    return Entry(el.get(XML_ID), kind, label, tuple(names), "; ".join(dates), tuple(role),
                 tuple(notes), tuple(unique_links), geo, subtype, sort, tuple(facts), noun=noun, group=group)


# statements about an entry, by TEI element, and the heading they go under unless their @type names one
ROLE_HEADINGS = {"occupation": "Occupation", "roleName": "Role", "affiliation": "Affiliation", "state": "State",
                 "faith": "Faith", "nationality": "Nationality"}
AUTHORITIES = {
    "wikidata": ("Wikidata", "https://www.wikidata.org/wiki/{}"),
    "viaf": ("VIAF", "https://viaf.org/viaf/{}"),
    "geonames": ("GeoNames", "https://www.geonames.org/{}"),
    "gnd": ("GND", "https://d-nb.info/gnd/{}"),
    "lc": ("Library of Congress", "https://id.loc.gov/authorities/names/{}"),
    "lcnaf": ("Library of Congress", "https://id.loc.gov/authorities/names/{}"),
    "tgn": ("Getty TGN", "http://vocab.getty.edu/page/tgn/{}"),
    "isni": ("ISNI", "https://isni.org/isni/{}"),
}
HOSTS = {"wikidata.org": "Wikidata", "viaf.org": "VIAF", "geonames.org": "GeoNames", "d-nb.info": "GND",
         "id.loc.gov": "Library of Congress", "getty.edu": "Getty TGN", "wikipedia.org": "Wikipedia",
         "isni.org": "ISNI"}


def authority_link(kind: str, value: str) -> tuple[str, str] | None:
    value = value.strip()
    if not value:
        return None
    if value.startswith(("http://", "https://")):
        host = urlsplit(value).hostname or ""
        name = next((label for h, label in HOSTS.items() if host == h or host.endswith("." + h)), host)
        tail = value.rstrip("/").rsplit("/", 1)[-1]
        return (f"{name} {tail}", value) if safe_url(value) else None
    known = AUTHORITIES.get(kind.lower())
    if known and re.fullmatch(r"[A-Za-z0-9._-]+", value):
        return (f"{known[0]} {value}", known[1].format(value))
    return None
