"""One document's page data: its name, header facts, reading text, citations and downloads."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Iterable

from lxml import etree

from .. import loader
from ..loader import TEI_NS, XML_ID, Document
from ..problems import ERROR, WARNING, Problem
from .citations import CSL_TO_ZOTERO, fallback_csl
from .markup import plain_text_html, process_fragment, section_html
from .model import DOWNLOADS, SITE_PAGES, DateMention, DocPage, EditionInfo
from .text import NS, T, XML_LANG, date_attrs, free_name, norm, ref_ids, safe_url, slug, text_of
from .transforms import READING, csl_item, meta_params, run_format, transform_failed, transform_outputs

LANG_NAMES = {"en": "English", "zh": "Chinese", "ru": "Russian", "ja": "Japanese", "fr": "French",
              "de": "German"}


def page_names(documents: list[Document], reserved: Iterable[str] = SITE_PAGES,
               roots: dict | None = None) -> dict[Path, str]:
    """Each document's page name: its xml:id (the permalink), else its path relative to
    the edition root (``roots``: path -> root; ``02/001.xml`` -> ``02-001``), so files
    of the same name in two folders get two pages; prefixed (deterministically) where it
    would take the name of a site page (``reserved``: the site's own and the registers')
    or of another document."""
    used, out = {r.lower() for r in reserved}, {}
    for d in sorted(documents, key=lambda d: str(d.path)):
        ident = d.id or _relative_name(d.path, (roots or {}).get(d.path))
        out[d.path] = free_name(ident if re.fullmatch(r"[A-Za-z0-9_][\w.-]*", ident) else slug(ident), used, "doc")
    return out


def _relative_name(path: Path, root) -> str:
    try:
        rel = Path(path).resolve().relative_to(Path(root).resolve()) if root else Path(path.name)
    except ValueError:
        rel = Path(path.name)
    return "-".join(rel.with_suffix("").parts)


def own_title(titles: list):
    """A document's own title among its titleStmt's titles: the main or article-level
    one, else the first that is not a series', a monograph's or a journal's (the rule
    of xslt/common/metadata.xsl); None when it has none."""
    for t in titles:
        if t.get("type") == "main" or t.get("level") == "a":
            return t
    return next((t for t in titles if t.get("level") not in ("s", "m", "j")), None)


def series_title(doc: Document) -> str:
    """The series a document names itself part of (titleStmt's level s, or seriesStmt)."""
    found = doc.root.xpath("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title[@level='s']"
                           "|tei:teiHeader/tei:fileDesc/tei:seriesStmt/tei:title", namespaces=NS)
    return text_of(found[0]) if found else ""


def pointer_resolver(edition, doc: Document, known) -> tuple:
    """``resolve(pointer) -> id or None`` for the mentions of ``doc``, as validation reads
    pointers: ``#id``, ``file.xml#id`` (the id: entries are one per id edition-wide),
    ``file.xml`` (a document), ``prefix:value`` expanded by ``edition`` (an
    :class:`~tei_edition.edition.Edition` holding ``doc``: its own prefixDefs, then the
    edition file's). And ``missed``: each id resolved but not ``known``, with how often."""
    missed: dict[str, int] = {}

    def resolve(token: str) -> str | None:
        if ":" in token.split("#")[0] and not token.startswith(("http://", "https://")):
            expanded = edition.expand(token, doc) if edition is not None else None
            if not expanded:
                return None  # an undeclared prefix or no matching pattern: validation says so
            token = expanded
        if token.startswith(("http://", "https://")):
            return None
        file, _, fragment = token.rpartition("#") if "#" in token else (token, "", "")
        ident = fragment or (Path(file).stem if file.endswith(".xml") else file)
        if ident and ident not in known and Path(file).stem not in known:  # not a place in a document
            missed[ident] = missed.get(ident, 0) + 1
        return ident or None
    return resolve, missed


def corresp_context(doc: Document) -> tuple[str, str]:
    """The targets of correspContext's previous and next letter, as written ('' if none)."""
    found = []
    for kind in ("prev", "next"):
        ref = doc.root.xpath(f"tei:teiHeader//tei:correspContext/tei:ref[@type='{kind}']/@target"
                             f"|tei:teiHeader//tei:correspContext/tei:ptr[@type='{kind}']/@target", namespaces=NS)
        found.append(str(ref[0]).split()[0] if ref and str(ref[0]).split() else "")
    return found[0], found[1]


def csl_date(item: dict) -> str:
    """A CSL item's issued date as ISO 8601 (YYYY, YYYY-MM or YYYY-MM-DD), or ''."""
    parts = ((item.get("issued") or {}).get("date-parts") or [[]])[0]
    try:
        numbers = [int(p) for p in parts[:3]]
    except (TypeError, ValueError):
        return ""
    if not numbers:
        return ""
    return "-".join([f"{numbers[0]:04d}"] + [f"{n:02d}" for n in numbers[1:]])


def header_date(doc: Document) -> str:
    h = doc.root.find(T + "teiHeader")
    for xp in (".//tei:correspAction[@type='sent']/tei:date", ".//tei:creation/tei:date",
               ".//tei:sourceDesc//tei:date"):
        found = h.xpath(xp, namespaces={"tei": TEI_NS}) if h is not None else []
        if found:
            return date_attrs(found[0])[0]
    return ""


def reading_html(doc: Document, outputs: dict | None = None) -> tuple[str, list[Problem]]:
    """The document's reading text as an HTML fragment, from the HTML transform
    (``outputs``: from :func:`transform_outputs`, e.g. run in a worker); its plain text
    when there is no transform output."""
    if outputs is None:
        outputs = transform_outputs(doc)
    out = outputs.get("html") if outputs is not None else None
    if isinstance(out, str):
        return out, []
    text = doc.root.find(f"{T}text")
    plain = plain_text_html(text) if text is not None else ""
    if isinstance(out, Problem):
        return plain, [transform_failed(out, ERROR, "site-transform", "HTML")]
    if outputs is None:
        return plain, [Problem(str(doc.path), 1, 1, WARNING, "site-no-transform",
                               "the HTML transform is not available; the reading text is shown as plain text")]
    return plain, []  # the document's run failed as a whole, and was reported as such


def introduction_html(doc: Document, div) -> tuple[str, list[Problem]]:
    """The edition's introduction (``div``, a TEI div of type introduction in ``doc``) as
    html.xsl renders it in the edition file; its plain text when that fails."""
    out = run_format(doc, *READING)
    found = section_html(out, "tei-div", "type-introduction") if isinstance(out, str) else None
    if found is not None:
        return found, []
    if isinstance(out, Problem):
        note = transform_failed(out, ERROR, "site-transform", "HTML")
    else:
        line = div.sourceline or 1
        note = Problem(str(doc.path), line, 1, WARNING, "site-no-transform",
                       "the introduction is not in the HTML transform's output; it is shown as plain text"
                       if out is not None else
                       "the HTML transform is not available; the introduction is shown as plain text")
    return plain_text_html(div), [note]


def _tei_dates(doc: Document, prefix: str, body_html: str) -> list[DateMention]:
    """Dates from the TEI text when the HTML carries no <time> elements."""
    out = []
    body = doc.root.find(f"{T}text")
    if body is None:
        return out
    for d in body.iter(T + "date"):
        key, label = date_attrs(d)
        if not key:
            continue
        blk = next((a for a in d.iterancestors() if a.get(XML_ID)), None)
        anchor = blk.get(XML_ID) if blk is not None and f'id="{blk.get(XML_ID)}"' in body_html else ""
        out.append(DateMention(key, label, text_of(d), doc.id or doc.path.stem, anchor))
    return out


def _names_of(els) -> list[dict]:
    out = []
    for el in els:
        pers = el.find(f".//{T}persName")
        org = el.find(f".//{T}orgName")
        target = pers if pers is not None else (org if org is not None else el)
        sur, fore = target.find(f".//{T}surname"), target.find(f".//{T}forename")
        if sur is not None:
            out.append({"family": text_of(sur), "given": text_of(fore)} if fore is not None else {"family": text_of(sur)})
        elif target.tag == T + "persName" or (target is el and org is None and el.tag != T + "orgName"):
            name = text_of(target)
            out.append({"literal": name} if name else {})
        else:
            out.append({"literal": text_of(target)})
    return [n for n in out if any(n.values())]


def zotero_type_from_tei(doc: Document) -> str:
    """The Zotero item type a document is: a letter, a newspaper article, or a document."""
    h = doc.root.find(T + "teiHeader")
    if h is not None and h.find(f".//{T}correspDesc") is not None:
        return "letter"
    periodical = h.xpath(".//tei:sourceDesc//tei:bibl[tei:title[@level='j']]", namespaces=NS) if h is not None else []
    if periodical:
        issue, own = periodical[0].find(T + "date"), h.find(f".//{T}creation/{T}date")
        if own is None or issue is None or own.get("when") == issue.get("when"):
            return "newspaperArticle"
    return "document"


def document_page(doc: Document, index: dict, doc_ids: dict, summary: str, *, base_url: str = "",
                  edition: EditionInfo | None = None, name: str | None = None,
                  outputs: dict | None = None, project: dict | None = None,
                  resolve=None) -> tuple[DocPage, list[Problem]]:
    """One document's page data; ``outputs``: its transforms' results from
    :func:`transform_outputs` (run here when not given, with ``project``'s parameters)."""
    project = {**(project or {}), "document-id": name or ""}
    if outputs is None:
        outputs = transform_outputs(doc, base_url, project)
    ident = name or doc.id or doc.path.stem
    r, notes = doc.root, []
    h = r.find(T + "teiHeader")
    ts = h.find(f"{T}fileDesc/{T}titleStmt") if h is not None else None
    titles = ts.findall(T + "title") if ts is not None else []
    main = own_title(titles)
    sub = next((t for t in titles if t.get("type") == "sub"), None)
    title = text_of(main) if main is not None and text_of(main) else ident
    authors = _names_of(ts.findall(T + "author")) if ts is not None else []
    sent = h.xpath(".//tei:correspAction[@type='sent']", namespaces=NS) if h is not None else []
    recv = h.xpath(".//tei:correspAction[@type='received']", namespaces=NS) if h is not None else []

    def agents(action) -> str:
        if not action:
            return ""
        return "; ".join(text_of(a) for a in action[0] if isinstance(a.tag, str)
                         and a.tag in (T + "persName", T + "orgName", T + "name"))
    sender = agents(sent) or "; ".join(n.get("literal") or norm(f"{n.get('given', '')} {n.get('family', '')}")
                                       for n in authors)
    recipient = agents(recv)

    def href(el) -> str:
        """The register link of the first pointer of ``el`` that names an entry, or ''."""
        for token in (el.get("ref") or "").split():
            ident = resolve(token) if resolve is not None else next(iter(ref_ids(token)), None)
            if ident in index:
                return index[ident].href
        return ""

    def linked(action, fallback) -> tuple[tuple[str, str], ...]:
        """(name, register link or '') for each party, so the panel can link them."""
        els = ([a for a in action[0] if isinstance(a.tag, str) and a.tag in (T + "persName", T + "orgName", T + "name")]
               if action else (ts.findall(f"{T}author/*") if ts is not None and fallback else []))
        return tuple((text_of(a), href(a)) for a in els)
    parties = (linked(sent, True), linked(recv, False))
    date = header_date(doc)
    place_el = (h.xpath(".//tei:correspAction[@type='sent']/*[self::tei:placeName or self::tei:settlement]"
                        "|.//tei:creation/tei:placeName", namespaces=NS) if h is not None else [])
    place = text_of(place_el[0]) if place_el else ""
    if place_el and place_el[0].get("cert") in ("low", "medium"):
        place += " (inferred)"
    to_el = recv[0].xpath("tei:placeName|tei:settlement", namespaces=NS) if recv else []
    places = ((place, href(place_el[0]) if place_el else ""),
              (text_of(to_el[0]), href(to_el[0])) if to_el else ("", ""))
    src = h.xpath(".//tei:sourceDesc//tei:bibl[@type='original']|.//tei:sourceDesc//tei:bibl",
                  namespaces=NS) if h is not None else []
    source_desc = ""
    if src:
        b = src[0]
        parts = [text_of(c) for c in b if isinstance(c.tag, str) and c.tag in (T + "title", T + "date", T + "publisher", T + "pubPlace")]
        source_desc = ", ".join(p for p in parts if p) or text_of(b)
    text_lang = r.get(XML_LANG) or "en"
    if not summary and h is not None:
        ab = h.find(f".//{T}abstract")
        summary = text_of(ab) if ab is not None else ""
    if not summary and sub is not None:
        summary = text_of(sub)

    raw, problems = reading_html(doc, outputs)
    notes.extend(problems)
    body, mentions, dates, blocks = process_fragment(raw, ident, ident, index, doc_ids, resolve)
    if not dates:
        dates = _tei_dates(doc, ident, body)

    params = meta_params(base_url, project)
    csl, problems = csl_item(doc, params, outputs)
    notes.extend(problems)
    z_type = zotero_type_from_tei(doc)
    if csl:
        z_type = CSL_TO_ZOTERO.get(csl.get("type", ""), z_type) if csl.get("type") in CSL_TO_ZOTERO else z_type
        if csl.get("author"):
            authors = [a for a in csl["author"] if isinstance(a, dict)]
        # title and date as the stylesheets' metadata reads them, which every output shares
        title = str(csl.get("title") or "") or title
        date = csl_date(csl) or date
    else:
        csl = fallback_csl(ident, title, authors, date, z_type, text_lang)
    # the original's language as the stylesheets read it (a translation's source), never
    # langUsage alone: a play in French that says so is not translated from French
    code = str((csl.get("custom") or {}).get("original-language") or "")
    orig = [LANG_NAMES.get(code.split("-")[0], code)] if code else []
    if base_url and not csl.get("URL"):
        csl = dict(csl, URL=f"{base_url.rstrip('/')}/{ident}.html")
    citations: list = []  # the record carries them, formatted with the transforms
    downloads = []
    if outputs is None:
        downloads.append(("json", "CSL-JSON", json.dumps([csl], ensure_ascii=False, indent=2)))
    for ext, fmt, label, _mt in DOWNLOADS if outputs is not None else ():
        out = outputs.get(fmt)
        if isinstance(out, Problem):
            notes.append(transform_failed(out, WARNING, "site-download", fmt))
        elif isinstance(out, str) and out.strip():
            downloads.append((ext, label, out))
    xml = publishable_xml(doc)
    return DocPage(
        id=ident, source=str(doc.path), title=title, subtitle=text_of(sub), authors=tuple(authors),
        sender=sender, recipient=recipient, parties=parties, date=date, place=place, source_desc=source_desc,
        orig_languages=tuple(orig), language=csl.get("language") or text_lang, summary=summary,
        zotero_type=z_type, body=body, blocks=tuple(blocks), mentions=tuple(mentions), dates=tuple(dates),
        citations=tuple(citations), downloads=tuple(downloads), csl=csl, places=places,
        corresp=bool(sent or recv), context=corresp_context(doc),
        xml=xml if isinstance(xml, bytes) else b""), notes


def page_dict(page: DocPage) -> dict:
    """``dataclasses.asdict(page)``, equal to it value for value and type for type, without
    its deep copy of every string and number (they cannot change; half its time)."""
    return _as_plain(page)


_ATOMS = frozenset((str, int, float, bool, bytes, type(None)))


def _as_plain(value):
    """What ``dataclasses.asdict`` makes of ``value`` (Python 3.11's rules, in its order)."""
    if type(value) in _ATOMS:  # exactly these types: asdict's deepcopy gives them back as they are
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _as_plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*[_as_plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_as_plain(v) for v in value)
    if isinstance(value, dict):
        return type(value)((_as_plain(k), _as_plain(v)) for k, v in value.items())
    return copy.deepcopy(value)


SCRIPT_NAMESPACES = {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg",
                     "http://www.w3.org/1998/Math/MathML", "http://www.w3.org/1999/XSL/Transform"}


# All that publishable_xml removes, and more (any xlink attribute; a stylesheet PI after the
# root), found in one pass in C. An entity reference (which the copy there would expand) is
# looked for apart.
_MAYBE_ACTIVE = etree.XPath(
    "boolean(//processing-instruction('xml-stylesheet') | //*["
    + " or ".join(f"namespace-uri() = '{ns}'" for ns in sorted(SCRIPT_NAMESPACES)) + "]"
    " | //@*[starts-with(translate(local-name(), 'ON', 'on'), 'on')"  # str.lower() makes 'on' of O/o N/n only
    " or namespace-uri() = 'http://www.w3.org/1999/xlink'])")


def publishable_xml(doc: Document) -> bytes:
    """The TEI source offered for download: the file's own bytes, unless it holds what a
    browser opening it would run on the site's origin (XHTML/SVG/MathML elements, on*
    attributes, an xml-stylesheet PI, script URLs); then a copy without those."""
    raw = loader.read_bytes(doc.path)
    if not isinstance(raw, bytes):
        return b""
    if not _MAYBE_ACTIVE(doc.tree) and next(doc.root.iter(etree.Entity), None) is None:
        return raw  # nothing below would be removed (the usual case): no copy to clean
    tree = etree.ElementTree(etree.fromstring(etree.tostring(doc.tree)))  # a copy to clean
    dirty = False
    for pi in [*tree.getroot().itersiblings(preceding=True), *tree.getroot().iter(etree.ProcessingInstruction)]:
        if isinstance(pi, etree._ProcessingInstruction) and pi.target == "xml-stylesheet":
            dirty = True
            if pi.getparent() is not None:
                pi.getparent().remove(pi)
    for el in list(tree.getroot().iter()):
        if not isinstance(el.tag, str):
            continue
        if etree.QName(el).namespace in SCRIPT_NAMESPACES:
            dirty = True
            parent = el.getparent()
            if parent is not None:
                if el.tail:
                    prev = el.getprevious()
                    if prev is not None:
                        prev.tail = (prev.tail or "") + el.tail
                    else:
                        parent.text = (parent.text or "") + el.tail
                parent.remove(el)
            continue
        for name in list(el.attrib):
            local = etree.QName(name).localname.lower()
            value = el.get(name)
            if local.startswith("on") or (etree.QName(name).namespace == "http://www.w3.org/1999/xlink"
                                          and safe_url(value) is None):
                dirty = True
                del el.attrib[name]
    if not dirty:
        return raw
    root = tree.getroot()
    pis = [p for p in root.itersiblings(preceding=True) if isinstance(p, etree._ProcessingInstruction)]
    body = etree.tostring(root, encoding="unicode")
    head = "".join(etree.tostring(p, encoding="unicode") + "\n" for p in reversed(pis)
                   if p.target != "xml-stylesheet")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + head + body + "\n").encode("utf-8")
