"""The edition-wide facts the pages are made from: small frozen values, picklable."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..problems import Problem, Report

REGISTERS = {  # register kind -> (page, page title, TEI entry element, TEI name element)
    "person": ("persons.html", "Persons", "person", "persName"),
    "place": ("places.html", "Places", "place", "placeName"),
    "org": ("organisations.html", "Organisations", "org", "orgName"),
    "treaty": ("treaties.html", "Treaties", "bibl", "title"),
}
KIND_NAMES = {"person": "Person", "place": "Place", "org": "Organisation", "treaty": "Treaty"}
DOWNLOADS = [  # extension, transform format, label, media type
    ("bib", "bibtex", "BibTeX", "application/x-bibtex"),
    ("ris", "ris", "RIS", "application/x-research-info-systems"),
    ("json", "csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json"),
    ("txt", "text", "Plain text", "text/plain"),
]


@dataclass(frozen=True)
class Entry:
    """One register entry: a person, place, organisation or treaty."""

    id: str
    kind: str
    label: str
    names: tuple[tuple[str, str, str], ...]  # (text, lang, type)
    dates: str = ""
    role: tuple[tuple[str, str], ...] = ()  # (heading, statement), e.g. ('Office', 'Premier (1949 – 1976)')
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
