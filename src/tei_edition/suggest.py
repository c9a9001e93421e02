"""Untagged mentions: where a name form of the registers appears in the text outside a mention.

The name forms are every ``persName``/``placeName``/``orgName``/``name`` of a person,
place or organisation entry and every ``title`` of a work (``bibl``), in all their
languages, as :func:`tei_edition.registers.collect` reads them (the written form,
and "Forename Surname" for "Surname, Forename"). One matcher is built for the whole
run: a single regular expression compiled from a trie of the forms, which finds the
longest form at each place in one pass over a text, however many forms there are.

A match is a whole-word (Unicode ``\\w``), case-sensitive occurrence of a form within
one text node; whitespace in a form matches any run of whitespace (a line break in
the source). The longest form wins ("Zhou Enlai" over "Zhou"). Not searched: the
``teiHeader``, register entries themselves, and the content of names and dates
(``persName``, ``placeName``, ``orgName``, ``name``, ``title``, ``date`` and the parts
of names and places). An ``rs`` is a phrase, not a name, and TEI nests names in it
("a peace treaty with <placeName>Japan</placeName>"): its text is searched, except
for a match that is its whole text or names an entry its own ``@ref`` names. Within
the name of an organisation or a work, the names of other entries it holds are
reported too, as TEI nests them ("Government of the <placeName>Soviet
Union</placeName>"); a shorter form of the same entry is not.

A form shared by several entries is reported with every candidate, never guessed,
and never applied. Positions are those of the match's first character in the file
(entities and CDATA taken into account); :func:`apply` inserts the markup into the
file's own text, so the rest of the file stays byte for byte as it was.
"""

from __future__ import annotations

import bisect
import os
import re
from dataclasses import dataclass, field, replace
from itertools import accumulate
from pathlib import Path
from typing import Iterable, Iterator, Mapping, Sequence

from lxml import etree

from . import loader
from .edition import discover_roots
from .fsutil import write_atomic
from .loader import TEI_NS, Document
from .problems import ERROR, Problem
from .registers import Registers, collect
from .registers.read import entry_elements

RULE = "untagged-mention"
INFO = "info"
#: the element a suggestion wraps a mention of each kind of entry in
ELEMENTS = {"person": "persName", "place": "placeName", "org": "orgName", "bibl": "title"}

_T = f"{{{TEI_NS}}}"
# names and their parts: what is inside them is part of the name (see the module docstring)
_NAMES = frozenset(_T + n for n in (
    "persName", "placeName", "orgName", "name", "title", "date", "geogName", "settlement", "country",
    "region", "district", "bloc", "forename", "surname", "addName", "genName", "nameLink", "idno", "time"))
_RS = _T + "rs"
_HOLDERS = ("org", "bibl")  # kinds whose names hold other names (a place in an organisation's name)


@dataclass(frozen=True)
class Candidate:
    """An entry a form names: its id, kind and the file it is read from."""

    id: str
    kind: str
    file: str


@dataclass(frozen=True)
class Suggestion:
    """One untagged mention: where it is, the words, and the pointer(s) it may take."""

    file: str
    line: int
    col: int
    text: str
    refs: tuple[str, ...]
    element: str  # persName, placeName, orgName or title; "" when the candidates differ in kind
    xpath: str
    span: tuple[int, int] | None = field(default=None, compare=False)  # source offsets, when known exactly

    @property
    def ambiguous(self) -> bool:
        return len(self.refs) > 1

    @property
    def applicable(self) -> bool:
        """Can :func:`apply` mark it up (one candidate, its exact place known, outside CDATA)?"""
        return not self.ambiguous and self.span is not None and bool(self.element)

    @property
    def message(self) -> str:
        said = f'"{self.text}" may be {" or ".join(self.refs)}'
        if self.ambiguous:
            return said + " (ambiguous: not applied)"
        return said if self.span is not None else said + " (in CDATA or an entity's text: not applied)"

    @property
    def problem(self) -> Problem:
        return Problem(self.file, self.line, self.col, INFO, RULE, self.message, self.xpath)

    def __str__(self) -> str:
        return str(replace(self.problem, xpath=None))

    def to_dict(self) -> dict:
        return self.problem.to_dict() | {"text": self.text, "ref": list(self.refs) if self.ambiguous else self.refs[0]}


@dataclass(frozen=True)
class Suggestions:
    """Every suggestion of a run (sorted by file and position), the files searched and the problems met."""

    suggestions: tuple[Suggestion, ...]
    files: tuple[str, ...]
    problems: tuple[Problem, ...]
    roots: tuple[str, ...] = ()

    def __iter__(self) -> Iterator[Suggestion]:
        return iter(self.suggestions)

    def __len__(self) -> int:
        return len(self.suggestions)

    def to_dict(self) -> dict:
        return {"files": list(self.files), "suggestions": [s.to_dict() for s in self.suggestions],
                "counts": {"files": len(self.files), "suggestions": len(self.suggestions),
                           "ambiguous": sum(s.ambiguous for s in self.suggestions)}}


# --- the matcher --------------------------------------------------------------------

def forms_of(registers: Registers) -> dict[str, tuple[Candidate, ...]]:
    """Every name form (whitespace normalised) and the entries it names."""
    found: dict[str, dict[Candidate, None]] = {}
    for entry in registers:
        if entry.kind not in ELEMENTS or not entry.sources:
            continue
        candidate = Candidate(entry.id, entry.kind, os.path.abspath(entry.sources[0][0]))
        for name in entry.names:
            for form in {" ".join(name.text.split()), " ".join(name.display.split())}:
                if len(form) > 1 and re.search(r"\w", form):
                    found.setdefault(form, {})[candidate] = None
    return {form: tuple(c) for form, c in found.items()}


class Matcher:
    """One compiled expression for all forms: whole words, longest first, case-sensitive."""

    def __init__(self, forms: Mapping[str, Sequence[Candidate]]):
        self.forms = {" ".join(f.split()): tuple(c) for f, c in forms.items() if f.strip()}
        trie: dict = {}
        for form in self.forms:
            node = trie
            for char in form:
                node = node.setdefault(char, {})
            node[""] = {}
        self.pattern = re.compile(_branch(trie, top=True)) if trie else None

    def find(self, text: str) -> Iterator[tuple[int, int, str]]:
        """``(start, end, form)`` of each match in ``text``, left to right."""
        if self.pattern is None:
            return
        for m in self.pattern.finditer(text):
            yield m.start(), m.end(), " ".join(m.group().split())

    def inside(self, text: str, start: int, end: int) -> Iterator[tuple[int, int, str]]:
        """The forms within the match ``text[start:end]``, longest first at each word, shorter
        than the match itself ("Lushun" in "Sino-Soviet Agreement on Lushun")."""
        at = start
        for word in re.finditer(r"(?<!\w)\w", text[start:end]):
            pos = start + word.start()
            if pos < at:
                continue
            if pos == start:  # the match itself is the longest here: try the ends before each gap
                gaps = [start + g.start() for g in re.finditer(r"\W", text[start:end])]
                m = next((m for q in reversed(gaps) if (m := self.pattern.match(text, pos, q))), None)
            else:
                m = self.pattern.match(text, pos, end)
            if m is not None:
                yield m.start(), m.end(), " ".join(m.group().split())
                at = m.end()


def _branch(node: dict, top: bool = False) -> str:
    """The expression of a trie node: longer continuations first, then the end of a form
    (greedy alternation gives the longest form; a word character after it refuses it).
    At the top, the word boundary is tested after the first character, so that the
    expression starts with the set of first characters, which ``re`` skips to quickly."""
    alternatives = []
    for char in sorted(k for k in node if k):
        head = r"\s+" if char == " " else re.escape(char) + (r"(?<!\w.)" if top else "")
        alternatives.append(head + _branch(node[char]))
    if "" in node:
        alternatives.append(r"(?!\w)")
    return alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"


# --- where text is in the source -------------------------------------------------

_MARKUP = re.compile(r"(<!--.*?-->|<\?.*?\?>|<!DOCTYPE(?:[^\[>]|\[.*?\])*>|<!\[CDATA\[.*?\]\]>"
                     r"|</[^>]*>|<(?:[^>\"']|\"[^\"]*\"|'[^']*')*>)", re.S)
_REFERENCE = re.compile(r"&(?:#x([0-9a-fA-F]+)|#([0-9]+)|(\w[\w.-]*));|\r\n?")
_PREDEFINED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}
_CDATA = "<![CDATA["
_ALL_TEXT = etree.XPath("//text()")  # every text node, in document order


class SourceMap:
    """Where a document's text nodes are in its source, by their place in document order.

    The source is cut at markup into text segments (a CDATA section joins its
    neighbours, as in the tree): the n-th segment after the root's start tag is the n-th
    text node. A segment is decoded (references, CDATA, line ends) only when asked for,
    and used only when it reads exactly as its node; where they differ (the text of an
    entity declared in the DOCTYPE, say) only the element's line is given.
    """

    def __init__(self, text: str):
        self.text = text
        self.lines = [0] + [m.end() for m in re.finditer("\n", text)]
        parts = _MARKUP.split(text)  # text, markup, text, markup ... text
        offsets = list(accumulate(map(len, parts), initial=0))
        root = next((k for k in range(1, len(parts), 2) if re.match(r"<[^!?/]", parts[k])), len(parts))
        self.segments: list[tuple[int, int]] = []
        begin = None
        for k in range(root + 1, len(parts), 2):
            begin = offsets[k] if begin is None else begin
            if k + 1 < len(parts) and parts[k + 1].startswith(_CDATA):
                continue  # the segment goes on through the CDATA section
            if offsets[k + 1] > begin and (text.find(_CDATA, begin, offsets[k + 1]) < 0
                                           or "".join(p[4] for p in self._decode(begin, offsets[k + 1]))):
                self.segments.append((begin, offsets[k + 1]))
            begin = None
        self._pieces: dict[int, list | None] = {}

    def locate(self, index: int, value: str, start: int, end: int) -> tuple[int, int, tuple[int, int] | None] | None:
        """(line, col, source span) of characters ``start:end`` of the ``index``-th text node
        (``value``), or None when its segment does not read as it; the span only when markup
        may be put around the characters in the source (none of them in a CDATA section)."""
        pieces = self._pieces.get(index, ())
        if pieces == ():
            pieces = None
            if index < len(self.segments):
                pieces = self._decode(*self.segments[index])
                pieces = pieces if "".join(p[4] for p in pieces) == value else None
            self._pieces[index] = pieces
        if pieces is None:
            return None
        first, last = _piece(pieces, start), _piece(pieces, end - 1)
        source = first[1] + (start - first[0] if first[3] != "ref" else 0)
        line = bisect.bisect_right(self.lines, source) - 1
        span = None
        if not any(p[3] == "cdata" for p in pieces if first[0] <= p[0] <= last[0]):
            span = (source, last[2] if last[3] == "ref" else last[1] + end - last[0])
        return line + 1, source - self.lines[line] + 1, span

    def _decode(self, a: int, b: int) -> list[tuple[int, int, int, str, str]]:
        """Pieces ``(start in node, source start, source end, kind, text)`` of a segment; kind:
        ``text`` and ``cdata`` map character for character, a ``ref`` (an entity or character
        reference, a CR LF) is one piece of source for its characters."""
        text, pieces, logical, pos = self.text, [], 0, a
        while pos < b:
            cdata = text.find(_CDATA, pos, b)
            run_end = b if cdata < 0 else cdata
            for m in _REFERENCE.finditer(text, pos, run_end):
                if m.start() > pos:
                    pieces.append((logical, pos, m.start(), "text", text[pos:m.start()]))
                    logical += m.start() - pos
                decoded = _decode(m) or "\0"  # "\0": an entity the DOCTYPE declares; its text is unknown here
                pieces.append((logical, m.start(), m.end(), "ref", decoded))
                logical, pos = logical + len(decoded), m.end()
            if run_end > pos:
                pieces.append((logical, pos, run_end, "text", text[pos:run_end]))
                logical += run_end - pos
            if cdata < 0:
                break
            close = text.find("]]>", cdata, b)
            pieces.append((logical, cdata + len(_CDATA), close, "cdata", text[cdata + len(_CDATA):close]))
            logical, pos = logical + close - cdata - len(_CDATA), close + 3
        return pieces


def _piece(pieces, offset: int):
    starts = [p[0] for p in pieces]
    return pieces[max(bisect.bisect_right(starts, offset) - 1, 0)]


def _decode(m) -> str | None:
    if m.group(0).startswith("\r"):
        return "\n"
    if m.group(1) or m.group(2):
        try:
            return chr(int(m.group(1), 16) if m.group(1) else int(m.group(2)))
        except (ValueError, OverflowError):
            return None
    return _PREDEFINED.get(m.group(3))


# --- searching ------------------------------------------------------------------------

def suggest(paths: Iterable[str | os.PathLike] | None = None, *, registers: Registers | None = None,
            matcher: Matcher | None = None) -> Suggestions:
    """Every untagged mention in the files under ``paths`` (default: the bundled edition).

    ``registers``: where the forms come from (default: the entries of ``paths`` and of
    the project file's register files). Files are read one at a time and let go.
    """
    from .config import ConfigError, discover

    given = None if paths is None else [os.fspath(p) for p in paths]
    problems: list[Problem] = []
    if registers is None and matcher is None:
        given_files = {os.path.abspath(f) for f, _ in discover_roots(given)}
        try:  # the project file's registers, when not among the paths
            extra = [str(p) for p in discover(given).register_files() if str(p) not in given_files]
        except ConfigError as exc:
            problems.append(exc.problem)
            extra = []
        registers = collect([*(given if given is not None else _bundled()), *extra])
        problems += [p for p in registers.problems if p.severity == ERROR]
    matcher = matcher or Matcher(forms_of(registers))
    found, files, roots = [], [], []
    for path, root in discover_roots(given):
        roots.append(str(root))
        doc = loader.try_load(path)
        if isinstance(doc, Problem):
            if doc not in problems:
                problems.append(doc)
            continue
        files.append(str(path))
        found += search(doc, matcher)
    return Suggestions(tuple(found), tuple(files), tuple(dict.fromkeys(problems)), tuple(dict.fromkeys(roots)))


def _bundled() -> list[str]:
    from .resources import edition_dir

    return [str(edition_dir())]


def search(doc: Document, matcher: Matcher) -> list[Suggestion]:
    """The untagged mentions in one document."""
    if matcher.pattern is None:
        return []
    hits, blocked, quick = [], None, matcher.pattern.search
    for index, value in enumerate(_ALL_TEXT(doc.root)):
        if quick(value) is None:  # most text holds no name: nothing else is asked of it
            continue
        if blocked is None:
            blocked = _blocked(doc.root)
        holder = value.getparent()
        holder = holder.getparent() if value.is_tail else holder
        if holder is None or id(holder) in blocked[0]:
            continue
        for start, end, form in matcher.find(value):
            hits.append((holder, index, value, start, end, form, ()))
            outer = matcher.forms[form]
            if all(c.kind in _HOLDERS for c in outer):
                hits += [(holder, index, value, *inner, outer) for inner in matcher.inside(value, start, end)]
    if not hits:
        return []
    from .site.text import text_of
    from .validation.locate import simple_path

    data = loader.read_bytes(doc.path)
    where = SourceMap(data.decode(doc.tree.docinfo.encoding or "utf-8", errors="replace")
                      if isinstance(data, bytes) else "")
    here = os.path.abspath(doc.path)
    out = []
    for holder, index, value, start, end, form, outer in hits:
        candidates = matcher.forms[form]
        if set(candidates) & set(outer):
            continue  # another form of the same entry, inside its longer form
        if holder.tag == _RS and (text_of(holder) == form or _named_by(holder, candidates)):
            continue
        line, col, span = where.locate(index, value, start, end) or (max(holder.sourceline or 1, 1), 0, None)
        refs = tuple(_pointer(c, here) for c in candidates)
        kinds = {ELEMENTS[c.kind] for c in candidates}
        out.append(Suggestion(str(doc.path), line, col, form, refs, kinds.pop() if len(kinds) == 1 else "",
                              simple_path(holder), span))
    return sorted(out, key=lambda s: (s.line, s.col, -len(s.text)))


def _blocked(root) -> tuple[set[int], list]:
    """The elements whose own text is not searched: the header, register entries, names and
    everything inside them (the list keeps them alive, so that their ids stay theirs)."""
    header = root.find(_T + "teiHeader")
    regions = [*([header] if header is not None else []), *(e for e, _k, _t in entry_elements(root)),
               *root.iter(*_NAMES)]
    keep = [el for region in regions for el in region.iter()]
    return {id(el) for el in keep}, keep


def _named_by(rs, candidates: Sequence[Candidate]) -> bool:
    """Does the rs's own @ref already name one of the candidates (``#id``, ``file#id``, ``prefix:id``)?"""
    tokens = (rs.get("ref") or "").split()
    return any(t.endswith(("#" + c.id, ":" + c.id)) for t in tokens for c in candidates)


def _pointer(candidate: Candidate, here: str) -> str:
    if candidate.file == here:
        return "#" + candidate.id
    return Path(os.path.relpath(candidate.file, os.path.dirname(here))).as_posix() + "#" + candidate.id


# --- applying -----------------------------------------------------------------------

def apply(result: Suggestions, out_dir: str | os.PathLike) -> tuple[list[Path], list[Problem]]:
    """Copies of the files searched, with the unambiguous suggestions marked up, written
    atomically into ``out_dir`` mirroring the input tree; never into an input folder.
    Returns the files written and the problems (an ambiguous or unplaceable suggestion
    is left as it is, and not a problem)."""
    from .batch import plan

    out = Path(os.path.abspath(out_dir))
    for root in result.roots:
        real = Path(os.path.realpath(root))
        if Path(os.path.realpath(out)) == real or Path(os.path.realpath(out)).is_relative_to(real):
            return [], [Problem(str(out), 0, 0, ERROR, "suggest-output",
                                f"is inside the input folder {root}; choose a folder outside it")]
    by_file: dict[str, list[Suggestion]] = {}
    for s in result:
        if s.applicable:
            by_file.setdefault(os.path.abspath(s.file), []).append(s)
    searched = {os.path.abspath(f) for f in result.files}
    written, problems = [], []
    for job in plan(list(dict.fromkeys(result.roots)) if result.roots else result.files, out, extension=".xml"):
        source = str(job.source)
        if source not in searched or job.output is None:
            continue
        data = loader.read_bytes(source)
        if isinstance(data, Problem):
            problems.append(data)
            continue
        marked = _marked(data, by_file.get(source, []), source)
        if isinstance(marked, Problem):
            problems.append(marked)
            marked = data  # the file is copied as it was
        try:
            write_atomic(job.output, marked)
        except OSError as exc:
            problems.append(Problem(str(job.output), 0, 0, ERROR, "suggest-write",
                                    f"cannot be written: {exc.strerror or exc}"))
            continue
        written.append(job.output)
    return written, problems


def _marked(data: bytes, suggestions: list[Suggestion], path: str) -> bytes | Problem:
    if not suggestions:
        return data
    doc = loader.parse_bytes(data, path)
    if isinstance(doc, Problem):
        return doc
    encoding = doc.tree.docinfo.encoding or "utf-8"
    text = data.decode(encoding)
    prefix = next((p for p, ns in (doc.root.nsmap or {}).items() if ns == TEI_NS), None)
    tag = (prefix + ":") if prefix else ""
    # at one place: end tags before start tags, the inner name's end first, the outer's start first
    events = []
    for s in suggestions:
        (start, end), ref = s.span, s.refs[0].replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        events += [(start, 1, start - end, f'<{tag}{s.element} ref="{ref}">'), (end, 0, end - start, f"</{tag}{s.element}>")]
    parts, at = [], 0
    for pos, _, _, markup in sorted(events):
        parts += [text[at:pos], markup]
        at = pos
    parts.append(text[at:])
    marked = "".join(parts).encode(encoding, errors="xmlcharrefreplace")
    again = loader.parse_bytes(marked, path)
    if isinstance(again, Problem) or "".join(again.root.itertext()) != "".join(doc.root.itertext()):
        return Problem(path, 1, 1, ERROR, "suggest-apply", "the marked-up copy would not keep the text; "
                       "the file is copied unchanged")
    return marked
