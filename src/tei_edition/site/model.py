"""The edition-wide facts the pages are made from: small frozen values, picklable."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..problems import Problem, Report

KINDS = {  # TEI entry element -> (the list holding them, their name element, a register of them, one of them)
    "person": ("listPerson", "persName", "Persons", "Person"),
    "place": ("listPlace", "placeName", "Places", "Place"),
    "org": ("listOrg", "orgName", "Organisations", "Organisation"),
    "bibl": ("listBibl", "title", "Works", "Work"),
    "event": ("listEvent", "eventName", "Events", "Event"),
}
# A bibl or an event can be anything (a treaty, a charter, a battle): the @type of their
# list names their register, and their own @type what each one is.
TYPED_KINDS = ("bibl", "event")
SITE_PAGES = ("index", "chronology", "search", "assets", "correspondents")  # names no register or document page may take
DOWNLOADS = [  # extension, transform format, label, media type
    ("bib", "bibtex", "BibTeX", "application/x-bibtex"),
    ("ris", "ris", "RIS", "application/x-research-info-systems"),
    ("json", "csl-json", "CSL-JSON", "application/vnd.citationstyles.csl+json"),
    ("txt", "text", "Plain text", "text/plain"),
]


@dataclass(frozen=True)
class Entry:
    """One register entry: a person, place, organisation, work (bibl) or event."""

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
    facts: tuple[tuple[str, str], ...] = ()  # a bibl's or an event's typed names, e.g. ('Party', 'Japan')
    noun: str = ""                   # what it is: 'Person'; a bibl's or an event's @type, e.g. 'Treaty'
    group: str = ""                  # @type of the list it stands in
    page: str = ""                   # its register's page, once the registers are known

    @property
    def href(self) -> str:
        return f"{self.page}#{self.id}"


@dataclass(frozen=True)
class Register:
    """One register page: the entries of one kind that the edition has."""

    kind: str                        # TEI entry element: person, place, org, bibl, event
    page: str                        # e.g. 'persons.html'
    title: str                       # e.g. 'Persons', or from its lists' @type ('Treaties')
    noun: str                        # one of its entries: 'Person', 'Treaty'


# Mentions and dates are many (14 a letter, 70,000 in 5,000 letters): slots, no dict each.
@dataclass(frozen=True, slots=True)
class Mention:
    ref: str          # register entry id (or document id)
    doc: str          # document id (or 'index' for the introduction)
    anchor: str       # id of the block (paragraph) in the page
    label: str        # '¶ 3', 'heading', ...


@dataclass(frozen=True, slots=True)
class DateMention:
    key: str          # sortable ISO value
    label: str        # normalised, e.g. '18 March 1848'
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
    invalid: bool = False                     # the validation found errors in its file
    places: tuple = (("", ""), ("", ""))      # (name, register link): where sent, where received
    corresp: bool = False                     # its header has a correspDesc with sender or addressee
    context: tuple[str, str] = ("", "")       # correspContext's previous and next, as written; then page names


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
class Theme:
    """What an edition gives of its own look: a style sheet linked after ours, and a page
    frame (``layout.html``, a ``string.Template``) in place of ours."""

    css: bytes = b""
    layout: str = ""


@dataclass(frozen=True)
class SiteData:
    edition: EditionInfo
    documents: tuple[DocPage, ...]
    entries: tuple[Entry, ...]
    banner: str = ""                 # shown on every page when built from an invalid edition
    base_url: str = ""
    notes: tuple[Problem, ...] = ()
    registers: tuple[Register, ...] = ()  # in the order of KINDS, only kinds the edition has
    theme: Theme = Theme()

    def register(self, kind: str) -> Register:
        return next(r for r in self.registers if r.kind == kind)

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
