"""Merging what every file says into one entry per id, and counting mentions."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from lxml import etree

from .. import loader
from ..edition import EDITION, Edition, classify, discover_roots, file_inside, split_pointer
from ..loader import XML_ID, Document
from ..problems import WARNING, Problem
from .model import URI, Authority, Date, Entry, Name, Point, Registers
from .read import MENTION_TAGS, entry_elements, Found, read_entry

CONFLICT, NO_ID, BAD_GEO = "register-conflict", "register-no-id", "register-geo"
PREFIXED = "prefixed"  # marks a mention key still to be expanded

# --- the whole edition --------------------------------------------------------

@dataclass
class _Merged:
    kind: str
    subkind: str
    names: dict[Name, None]
    dates: dict[str, tuple[frozenset[Date], tuple[Date, ...], str]]  # role -> (set, in order, where first read)
    points: tuple[frozenset, tuple[Point, ...], str] | None
    authorities: dict[Authority, None]
    notes: dict[str, None]
    sources: list[tuple[str, int]]
    paths: set[str] = field(default_factory=set)


def _where(file: str, el) -> str:
    return f"{file}:{el.sourceline or 0}"


def _rounded(points) -> frozenset:
    return frozenset((round(p.lat, 6), round(p.long, 6)) for p in points)  # 6 decimals: about 0.1 m


class _Collector:
    """Reads one document at a time into merged values; trees are dropped by the caller."""

    def __init__(self, edition: Edition | None = None):
        self.merged: dict[str, _Merged] = {}
        self.problems: list[Problem] = []
        self.conflicts: dict[tuple, list] = {}  # (id, what, values) -> [Problem, times met]
        self.mentions: Counter[frozenset] = Counter()
        self.files: list[str] = []
        self._targets: dict[tuple[str, str, str], str | None] = {}
        self._real_roots: dict[str, str] = {}
        # prefix:value pointers are expanded by Edition.expand (the document's own prefixDefs,
        # then the edition file's), where edition.py offers it. Files read one at a time have
        # no Edition: each is asked alone, and what only the edition file declares waits for it.
        self._edition = edition
        self._can_expand = hasattr(Edition, "expand")
        self._edition_file: Document | None = None
        self._alone: Edition | None = None

    def add(self, doc: Document, root: str) -> None:
        file, path = str(doc.path), os.path.abspath(doc.path)
        locator = None

        def problem(el, rule: str, message: str) -> Problem:
            nonlocal locator
            if locator is None:  # only a file with something to report pays for columns
                from ..validation.locate import Locator
                locator = Locator(doc)
            line, col = locator.element(el)
            return Problem(file, line, col, WARNING, rule, message)

        entries = []
        for el, kind, list_type in entry_elements(doc.root):
            entries.append(el)
            found = read_entry(el, kind, list_type)
            for point, geo in found.points:
                if isinstance(point, str):
                    self.problems.append(problem(geo, BAD_GEO, f"coordinates not read: {point}"))
            ident = el.get(XML_ID)
            if not ident:
                keep = bool(found.names or found.authorities)
                said = problem(el, NO_ID, f"a {kind} entry without xml:id "
                               + ("is kept under a generated key; nothing can point at it"
                                  if keep else "and without a name or authority id is left out"))
                self.problems.append(said)
                if not keep:
                    continue
                ident = self._generated(os.path.relpath(path, root), said.line)
            self._merge(ident, found, file, path, problem)
        self.files.append(file)
        if self._edition is None and self._edition_file is None and classify(doc) == EDITION:
            self._edition_file = doc  # one small file, kept for its prefixDefs
        self._alone = None
        self._count_mentions(doc, path, root, entries)

    def _generated(self, relative: str, line: int) -> str:
        base = ident = f"{Path(relative).as_posix()}:{line}"
        n = 1
        while ident in self.merged:
            n += 1
            ident = f"{base}.{n}"
        return ident

    def _merge(self, ident: str, found: Found, file: str, path: str, problem) -> None:
        by_role: dict[str, list[tuple[Date, etree._Element]]] = {}
        for date, el in found.dates:
            by_role.setdefault(date.role, []).append((date, el))
        points = [(p, g) for p, g in found.points if isinstance(p, Point)]
        m = self.merged.get(ident)
        if m is None:
            m = self.merged[ident] = _Merged(found.kind, found.subkind, {}, {}, None, {}, {}, [])
        elif found.kind != m.kind:
            self._conflict(ident, "kind", (found.kind,), problem(found.el, CONFLICT, (
                f"'{ident}' is a {found.kind} here but a {m.kind} where first read (the {m.kind} is kept)")))
        for role, dated in by_role.items():
            values = tuple(dict.fromkeys(d for d, _ in dated))
            kept = m.dates.get(role)
            if kept is None:
                m.dates[role] = (frozenset(values), values, _where(file, dated[0][1]))
            elif kept[0] != frozenset(values):
                self._conflict(ident, role, frozenset(values), problem(dated[0][1], CONFLICT, (
                    f"'{ident}': {role} {', '.join(d.label for d in values)} here, but "
                    f"{', '.join(d.label for d in kept[1])} at {kept[2]} (that one is kept)")))
        if points:
            values = tuple(dict.fromkeys(p for p, _ in points))
            if m.points is None:
                m.points = (_rounded(values), values, _where(file, points[0][1]))
            elif m.points[0] != _rounded(values):
                self._conflict(ident, "geo", _rounded(values), problem(points[0][1], CONFLICT, (
                    f"'{ident}': coordinates {_points(values)} here, but {_points(m.points[1])} "
                    f"at {m.points[2]} (those are kept)")))
        m.subkind = m.subkind or found.subkind
        m.names.update(dict.fromkeys(found.names))
        m.authorities.update(dict.fromkeys(found.authorities))
        m.notes.update(dict.fromkeys(found.notes))
        m.sources.append((file, found.el.sourceline or 0))
        m.paths.add(path)

    def _conflict(self, ident: str, what: str, values, found: Problem) -> None:
        """Each disagreement once, where first met, saying how often it came again."""
        seen = self.conflicts.get((ident, what, values))
        if seen is None:
            self.conflicts[(ident, what, values)] = [found, 1]
        else:
            seen[1] += 1

    def _count_mentions(self, doc: Document, path: str, root: str, entries: list) -> None:
        # names inside entries are cross-references; kept alive in the list, so their ids stay theirs
        within = [n for e in entries for n in e.iter(*MENTION_TAGS)]
        inside = {id(n) for n in within}
        folder = os.path.dirname(path)
        key = self._key
        for el in doc.root.iter(*MENTION_TAGS):
            ref, corresp = el.get("ref"), el.get("corresp")  # MENTION_ATTRS
            if (ref is None and corresp is None) or id(el) in inside:
                continue
            keys = {k for v in (ref, corresp) if v for token in v.split()
                    if (k := key(token, doc, path, folder, root)) is not None}
            if keys:
                self.mentions[frozenset(keys)] += 1

    def _key(self, token: str, doc: Document, path: str, folder: str, root: str):
        """``(file, id)`` for a pointer into the edition, the URI for an external one,
        ``(PREFIXED, pointer, file, root)`` for one only the edition file may expand."""
        if ":" in token and self._can_expand and not URI.match(token):
            expanded = self._expand(token, doc, path, root)
            if expanded is None:
                return None if self._edition is not None else (PREFIXED, token, path, root)
            token = expanded
        return self._plain_key(token, path, folder, root)

    def _expand(self, token: str, doc: Document, path: str, root: str) -> str | None:
        if self._edition is not None:
            return self._edition.expand(token, doc)
        if self._alone is None:  # an Edition of this one file, dropped with it
            self._alone = Edition()
            self._alone.add(path, doc, root)
        return self._alone.expand(token, doc)

    def _plain_key(self, token: str, path: str, folder: str, root: str):
        parts = split_pointer(token)
        if parts is None:
            return token if URI.fullmatch(token) else None
        file_part, fragment = parts
        if not fragment:
            return None
        if not file_part:
            return (path, fragment)
        cache = (folder, file_part, root)
        if cache not in self._targets:
            real = self._real_roots.get(root) or self._real_roots.setdefault(root, os.path.realpath(root))
            found = file_inside(folder, file_part, root, real)
            self._targets[cache] = None if isinstance(found, str) else str(found)
        target = self._targets[cache]
        return None if target is None else (target, fragment)

    def finish(self) -> Registers:
        by_key: dict[tuple[str, str], str] = {}
        by_uri: dict[str, set[str]] = {}
        for ident, m in self.merged.items():
            for p in m.paths:
                by_key[(p, ident)] = ident
            for a in m.authorities:
                if a.uri:
                    by_uri.setdefault(a.uri, set()).add(ident)
        counts: Counter[str] = Counter()
        settle = self._settler()
        for keys, n in self.mentions.items():
            targets: set[str] = set()
            for key in keys:
                if isinstance(key, tuple) and len(key) == 4:  # (PREFIXED, pointer, file, root)
                    key = settle(key)
                if isinstance(key, tuple):
                    if key in by_key:
                        targets.add(by_key[key])
                else:
                    targets |= by_uri.get(key, set())
            for target in targets:
                counts[target] += n
        entries = tuple(Entry(
            ident, m.kind, m.subkind, tuple(m.names),
            tuple(d for _, dates, _ in m.dates.values() for d in dates),
            tuple(m.authorities), m.points[1] if m.points else (), tuple(m.notes),
            tuple(m.sources), counts[ident]) for ident, m in self.merged.items())
        problems = list(self.problems)
        for found, times in self.conflicts.values():
            if times > 1:
                found = Problem(found.file, found.line, found.col, found.severity, found.rule,
                                f"{found.message}; the same in {times - 1} more place(s)")
            problems.append(found)
        return Registers(entries, tuple(sorted(problems, key=Problem.sort_key)), tuple(self.files))


    def _settler(self):
        """Expands, by the edition file's prefixDefs, what a document did not declare itself."""
        if self._edition_file is None:
            return lambda key: None
        holder = Edition()
        holder.add(self._edition_file.path, self._edition_file)

        def settle(key):
            _, token, path, root = key
            expanded = holder.expand(token, self._edition_file)
            return self._plain_key(expanded, path, os.path.dirname(path), root) if expanded else None
        return settle


def _points(points) -> str:
    return "; ".join(f"{p.lat} {p.long}" for p in points)


def collect(source: Edition | Iterable[Document | str | os.PathLike] | str | os.PathLike | None = None
            ) -> Registers:
    """Every register entry of an edition, merged by ``xml:id``, with mention counts.

    ``source``: an :class:`Edition` (already loaded), files or folders (read one at a
    time through the hardened loader and let go), loaded :class:`Document` s, or
    ``None`` for the bundled edition. Files that cannot be read are error Problems;
    everything else found wrong is a warning.
    """
    collector = _Collector(source if isinstance(source, Edition) else None)
    for doc, root in _documents(source, collector.problems):
        collector.add(doc, root)
    return collector.finish()


def _documents(source, problems: list[Problem]) -> Iterator[tuple[Document, str]]:
    if isinstance(source, Edition):
        problems.extend(source.problems)
        for doc in source.files.values():
            yield doc, str(source.root_of(doc))
        return
    items = [source] if source is None or isinstance(source, (str, os.PathLike)) else source
    for item in items:
        if isinstance(item, Document):
            yield item, os.path.dirname(os.path.abspath(item.path))
            continue
        for path, root in discover_roots(None if item is None else [item]):
            result = loader.try_load(path)
            if isinstance(result, Problem):
                problems.append(result)
            else:
                yield result, os.path.abspath(root)
