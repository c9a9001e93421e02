"""Register entries (persons, places, organisations, treaties) read from TEI registers."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from lxml import etree

from ..loader import XML_ID, Document
from .model import REGISTERS, Entry
from .text import NS, T, XML_LANG, date_attrs, humanise, norm, safe_url, text_of

def register_entries(doc: Document) -> list[Entry]:
    out = []
    text = doc.root.find(T + "text")
    if text is None:
        return out
    for kind, (_page, _title, tag, name_tag) in REGISTERS.items():
        for el in text.iter(T + tag):
            ident = el.get(XML_ID)
            if not ident:
                continue
            if kind == "treaty":  # bibl is also used for sources; only treaties are entries
                parent = el.getparent()
                if el.get("type") != "treaty" and not (parent is not None and parent.get("type") == "treaties"):
                    continue
            out.append(entry_of(el, kind, name_tag))
    return out


def entry_of(el, kind: str, name_tag: str) -> Entry:
    names = []
    for n in el.findall(T + name_tag):
        text = text_of(n)
        if text:
            names.append((text, n.get(XML_LANG) or "", n.get("type") or ""))
    if not names and kind == "place":
        for n in el:
            if isinstance(n.tag, str) and n.tag in (T + "settlement", T + "country", T + "region", T + "geogName"):
                names.append((text_of(n), n.get(XML_LANG) or "", n.get("type") or ""))
    label = next((t for t, lang, _ in names if lang.split("-")[0] in ("en", "")), names[0][0] if names else el.get(XML_ID))
    # personal names written surname-first with <surname>/<forename> read forename-first in English
    first = el.find(T + name_tag)
    if kind == "person" and first is not None and first.find(T + "surname") is not None \
            and first.find(T + "forename") is not None and ("," in label):
        label = norm(f"{text_of(first.find(T + 'forename'))} {text_of(first.find(T + 'surname'))}")
    dates = []
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
    facts = []
    for n in el:
        if isinstance(n.tag, str) and n.tag in (T + "placeName", T + "name", T + "orgName", T + "persName") \
                and n.get("type") in ("signed", "party") and kind == "treaty":
            facts.append(("Signed at" if n.get("type") == "signed" else "Party", text_of(n)))
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
    return Entry(el.get(XML_ID), kind, label, tuple(names), "; ".join(dates), tuple(role),
                 tuple(notes), tuple(unique_links), geo, el.get("type") or "", sort, tuple(facts))


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
