"""The edition as a whole: its files, what kind each one is, and the pointers between them.

Every file is read through :mod:`tei_edition.loader`. Kinds of TEI file:

* ``edition``  — ``text/@type="edition"``: the edition's own description and reading order;
* ``register`` — a file the project file lists as a register, ``text/@type="register"``, or a body holding only lists
  (``listPerson``, ``listPlace``, ``listOrg``, ``listBibl``, ``listEvent``; heads and notes aside);
* ``document`` — any other TEI file.

Pointers are file-relative URIs: ``#id`` (same file), ``file.xml#id`` and ``file.xml``,
or ``prefix:value`` private URIs that a ``prefixDef`` (in the document's header or
the edition file's) expands into one of those.

A pointer is followed only to a file inside its document's input root (the
folder given, or the folder of a file given), reached without a symlink that
leads out of it; otherwise it is refused (rule ``pointer-outside``) and the
file is never opened. ``file:`` URLs are refused too. Other URLs (``https:``,
``mailto:`` …) are external links: never opened, not checked.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import unquote, urlsplit

from lxml import etree

from . import loader
from .fsutil import iter_xml_files
from .loader import TEI_NS, XML_ID, Document
from .problems import Problem

EDITION, REGISTER, DOCUMENT = "edition", "register", "document"

_T = f"{{{TEI_NS}}}"
_LISTS = {f"{_T}{n}" for n in ("listPerson", "listPlace", "listOrg", "listBibl", "listEvent")}
_NEUTRAL = {f"{_T}{n}" for n in ("head", "note", "pb", "lb")}

#: attributes that hold pointers (teidata.pointer lists)
POINTER_ATTRIBUTES = ("ref", "corresp", "target", "source", "who")
#: attributes that date an element (att.datable)
DATE_ATTRIBUTES = ("when", "notBefore", "notAfter", "from", "to")
OUTSIDE = "pointer-outside"
WITH_POINTERS = etree.XPath("//*[" + " or ".join(f"@{a}" for a in POINTER_ATTRIBUTES) + "]")


def classify(doc: Document) -> str:
    """``"edition"``, ``"register"`` or ``"document"`` (see the module docstring)."""
    text = doc.root.find(f"{_T}text")
    kind = text.get("type") if text is not None else None
    if kind in (EDITION, REGISTER):
        return kind
    body = text.find(f"{_T}body") if text is not None else None
    if body is not None:
        children = [c.tag for c in body if isinstance(c.tag, str) and c.tag not in _NEUTRAL]
        if children and all(tag in _LISTS for tag in children):
            return REGISTER
    return DOCUMENT


def has_text(doc: Document) -> bool:
    """True when the body holds any text (a document without it is skipped by transforms)."""
    body = doc.root.find(f"{_T}text/{_T}body")
    return body is not None and bool("".join(body.itertext()).strip())


def split_pointer(pointer: str) -> tuple[str, str | None] | None:
    """``"persons.xml#zhou"`` -> ``("persons.xml", "zhou")``; ``"#x"`` -> ``("", "x")``;
    ``None`` for an external URI (``https:``, ``mailto:`` …) that is not ours to resolve."""
    if ":" not in pointer and "%" not in pointer and not pointer.startswith("//"):
        path, _, fragment = pointer.partition("#")  # the common case, without urlsplit's cost
        return path, (fragment or None)
    parts = urlsplit(pointer)
    if parts.scheme or parts.netloc:
        return None
    return unquote(parts.path), (unquote(parts.fragment) if parts.fragment else None)


def is_file_url(pointer: str) -> bool:
    """``file:`` URLs are never opened, whatever they name."""
    return pointer[:5].lower() == "file:"


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def file_inside(folder: str | os.PathLike, file_part: str, root: str | os.PathLike,
                real_root: str | None = None) -> Path | str:
    """The file a pointer's file part names, seen from ``folder``, if it is inside
    ``root`` and reached without a symlink leading out of it; otherwise why not.

    Nothing is opened: ``..`` is removed as URI resolution does, then each step
    below ``root`` that is a symlink must resolve inside ``root``. Shared by every
    reader of pointers so that they all draw the line at the same place.
    ``real_root``: ``os.path.realpath(root)``, when the caller already knows it.
    """
    if "\0" in file_part:
        return "is not a possible file name"
    root_abs = os.path.abspath(root)
    candidate = os.path.normpath(os.path.join(os.path.abspath(folder), file_part))
    if not _within(candidate, root_abs):
        return f"leads outside the input folder {root_abs}"
    real_root = real_root or os.path.realpath(root_abs)
    step = root_abs
    for part in candidate[len(root_abs):].split(os.sep):
        if not part:
            continue
        step = os.path.join(step, part)
        if os.path.islink(step) and not _within(os.path.realpath(step), real_root):
            return f"leads outside the input folder {root_abs} through a symbolic link"
    return Path(candidate)


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except (OSError, ValueError):  # a name too long for the file system, say
        return False


@dataclass
class Attributes:
    """The attributes of one document that validation and resolving look at, in document order."""

    ids: list[tuple[str, etree._Element]]              # every xml:id, duplicates included
    first: dict[str, etree._Element]                    # xml:id -> the first element carrying it
    pointers: list[tuple[etree._Element, str, str]]     # (element, attribute, value)
    dates: list[tuple[etree._Element, dict[str, str]]]  # elements with dating attributes


_POINTER_SET = frozenset(POINTER_ATTRIBUTES)
_DATE_SET = frozenset(DATE_ATTRIBUTES)
_WATCHED = _POINTER_SET | _DATE_SET | {XML_ID}


def scan(doc: Document) -> Attributes:
    """One pass over a document's attributes (a walk per kind of attribute cost three times more)."""
    ids: list = []
    first: dict = {}
    pointers: list = []
    dates: list = []
    watched, pointer_names, xml_id = _WATCHED, _POINTER_SET, XML_ID
    for el in doc.root.iter():  # comments and PIs have no items
        items = el.items()
        if not items:
            continue
        dated = None
        for name, value in items:
            if name not in watched:
                continue
            if name in pointer_names:
                pointers.append((el, name, value))
            elif name == xml_id:
                ids.append((value, el))
                if value not in first:
                    first[value] = el
            else:
                if dated is None:
                    dated = {}
                    dates.append((el, dated))
                dated[name] = value
    return Attributes(ids, first, pointers, dates)


_MISSING = object()


@dataclass
class Edition:
    """A set of loaded TEI files with a cross-file ``xml:id`` index.

    ``problems`` holds the load failures (one Problem per unreadable file).
    Files referred to by a pointer but not among the given paths are loaded on
    demand when resolving, so checking one file still follows its links, but
    only inside the file's input root (see :func:`file_inside`).
    """

    files: dict[Path, Document] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    kinds: dict[Path, str] = field(default_factory=dict)
    register_paths: set[str] = field(default_factory=set)  # absolute paths the project file names
    # internal state keyed by strings and id(doc): hashing Path objects was a third of the cost
    _by_path: dict[str, Document] = field(default_factory=dict, repr=False)
    _places: dict[int, tuple[str, str]] = field(default_factory=dict, repr=False)  # id(doc) -> (folder, root)
    _scans: dict[int, tuple[Document, Attributes]] = field(default_factory=dict, repr=False)
    _extra: dict[str, Document | Problem] = field(default_factory=dict, repr=False)
    _targets: dict[tuple[str, str, str], str | Problem] = field(default_factory=dict, repr=False)
    _real_roots: dict[str, str] = field(default_factory=dict, repr=False)
    _answers: dict[tuple[str, str], dict] = field(default_factory=dict, repr=False)  # (folder, root) -> pointer -> element
    _prefixes: dict = field(default_factory=dict, repr=False)  # id(doc) -> prefix -> rules; -1 -> files seen
    _edition: Document | None = field(default=None, repr=False)
    _expanded: dict[tuple[int, str], str | None] = field(default_factory=dict, repr=False)

    # --- building -----------------------------------------------------------

    @classmethod
    def load(cls, paths: Iterable[str | os.PathLike] | None = None, *, require_tei: bool = True) -> "Edition":
        """Find ``*.xml`` under ``paths`` (default: the bundled edition) and load each one."""
        edition = cls()
        for path, root in discover_roots(paths):
            result = loader.try_load(path, require_tei=require_tei)
            edition.add(path, result, root)
        return edition

    def add(self, path: str | os.PathLike, result: Document | Problem,
            root: str | os.PathLike | None = None) -> None:
        """Add a loaded file (or record the Problem that stopped it); its pointers may
        lead anywhere inside ``root`` (default: the file's own folder)."""
        if isinstance(result, Problem):
            self.problems.append(result)
            return
        where = os.path.abspath(path)
        self.files[Path(where)] = result
        self._by_path[where] = result
        folder = os.path.dirname(where)
        self._places[id(result)] = (folder, os.path.abspath(root) if root is not None else folder)

    # --- views --------------------------------------------------------------

    def _kinds(self) -> dict[Path, str]:
        if len(self.kinds) < len(self.files):  # classified on first use: validate does not need it
            for key, doc in self.files.items():
                if key not in self.kinds and doc.is_tei:
                    self.kinds[key] = REGISTER if str(key) in self.register_paths else classify(doc)
        return self.kinds

    @property
    def documents(self) -> list[Document]:
        kinds = self._kinds()
        return [d for k, d in self.files.items() if kinds.get(k) == DOCUMENT]

    @property
    def registers(self) -> list[Document]:
        kinds = self._kinds()
        return [d for k, d in self.files.items() if kinds.get(k) == REGISTER]

    @property
    def edition_file(self) -> Document | None:
        kinds = self._kinds()
        return next((d for k, d in self.files.items() if kinds.get(k) == EDITION), None)

    def kind(self, doc: Document) -> str | None:
        return self._kinds().get(_key(doc.path))

    def __iter__(self) -> Iterator[Document]:
        return iter(self.files.values())

    def __len__(self) -> int:
        return len(self.files)

    def attributes(self, doc: Document) -> Attributes:
        """The document's ids, pointers and dates (one pass, remembered)."""
        hit = self._scans.get(id(doc))
        if hit is None:
            hit = self._scans[id(doc)] = (doc, scan(doc))  # the doc is kept so its id stays its own
        return hit[1]

    def id_index(self) -> dict[str, list[tuple[Document, etree._Element]]]:
        """``xml:id`` -> every (document, element) carrying it, across all files, in file order."""
        index: dict[str, list[tuple[Document, etree._Element]]] = {}
        for doc in self.files.values():
            for value, el in self.attributes(doc).ids:
                index.setdefault(value, []).append((doc, el))
        return index

    # --- pointers -----------------------------------------------------------

    def document_for(self, pointer: str, from_doc: Document) -> Document | Problem | None:
        """The document a pointer's file part names (``from_doc`` itself for ``#id``);
        ``None`` for an external URI; a Problem when the file cannot be loaded."""
        parts = split_pointer(pointer)
        if parts is None:
            return None
        file_part, _ = parts
        if not file_part:
            return from_doc
        folder, root = self._place(from_doc)
        return self._file(folder, file_part, root)

    def root_of(self, doc: Document) -> Path:
        """The folder a document's pointers may lead into."""
        return Path(self._place(doc)[1])

    def _place(self, doc: Document) -> tuple[str, str]:
        place = self._places.get(id(doc))
        if place is None:  # a file loaded on demand, or not ours: its own folder
            folder = os.path.dirname(os.path.abspath(doc.path))
            place = (folder, folder)
        return place

    def _file(self, folder: str, file_part: str, root: str) -> Document | Problem:
        cache_key = (folder, file_part, root)
        target = self._targets.get(cache_key)
        if target is None:
            real_root = self._real_roots.get(root)
            if real_root is None:
                real_root = self._real_roots[root] = os.path.realpath(root)
            found = file_inside(folder, file_part, root, real_root)
            if isinstance(found, str):  # a name no file can have does not exist
                rule = OUTSIDE if found.startswith("leads outside") else "pointer-resolves"
                found = Problem(os.path.join(folder, file_part), 1, 1, "error", rule,
                                found if rule == OUTSIDE else "no such file")
            else:
                found = str(found)
            target = self._targets[cache_key] = found
        if isinstance(target, Problem):
            return target
        doc = self._by_path.get(target)
        if doc is not None:
            return doc
        doc = self._extra.get(target)
        if doc is None:
            path = Path(target)
            if not _is_file(path):
                doc = Problem(target, 1, 1, "error", "pointer-resolves", "no such file")
            else:
                doc = _load_shared(path)
            self._extra[target] = doc
        return doc

    def resolve(self, pointer: str, from_doc: Document) -> etree._Element | None:
        """The element a pointer names, or ``None`` when it does not resolve
        (a pointer to a whole file resolves to that file's root element)."""
        return self.resolver(from_doc)(pointer)

    def resolver(self, from_doc: Document):
        """A fast ``resolve`` for the many pointers of one document. Answers for pointers
        into other files are shared by the documents of a folder (they name the same registers)."""
        folder, root = self._place(from_doc)
        first = self.attributes(from_doc).first
        shared = self._answers.get((folder, root))
        if shared is None:
            shared = self._answers[(folder, root)] = {}

        def resolve(pointer: str) -> etree._Element | None:
            if ":" in pointer or "%" in pointer or pointer.startswith("//"):
                parts = split_pointer(pointer)  # the rare case: a URI to decode
                if parts is None:
                    expanded = self.expand(pointer, from_doc)
                    return resolve(expanded) if expanded and ":" not in expanded.partition("#")[0] else None
            elif pointer[:1] == "#":  # within this file: the common case, without urlsplit's cost
                return first.get(pointer[1:]) if len(pointer) > 1 else from_doc.root
            else:
                found = shared.get(pointer, _MISSING)
                if found is not _MISSING:
                    return found
                file_part, _, fragment = pointer.partition("#")
                found = shared[pointer] = self._element(folder, root, file_part, fragment or None)
                return found
            file_part, fragment = parts
            if not file_part:
                return from_doc.root if fragment is None else first.get(fragment)
            return self._element(folder, root, file_part, fragment)

        return resolve

    def _element(self, folder: str, root: str, file_part: str, fragment: str | None) -> etree._Element | None:
        target = self._file(folder, file_part, root)
        if not isinstance(target, Document):
            return None
        return target.root if fragment is None else self.attributes(target).first.get(fragment)

    def prefixes(self, doc: Document) -> dict[str, list[tuple["re.Pattern", str]]]:
        """``prefixDef``s that apply to ``doc``: its own header's, then the edition file's."""
        found = self._prefixes.get(id(doc))
        if found is None:
            found = {}
            if self._prefixes.get(-1) != len(self.files):  # files added since: find the edition file again
                self._prefixes.clear()
                self._expanded.clear()
                self._prefixes[-1] = len(self.files)
                self._edition = self.edition_file  # once per set of files, not once per document
            edition_file = self._edition
            for source in (doc, edition_file) if edition_file is not None and edition_file is not doc else (doc,):
                for ident, rule in prefix_defs(source):
                    found.setdefault(ident, []).append(rule)
            # letters of one edition declare the same prefixes: one table, so expansions are shared
            signature = tuple((ident, tuple((p.pattern, r) for p, r in rules)) for ident, rules in found.items())
            found = self._prefixes[id(doc)] = self._prefixes.setdefault(signature, found)
        return found

    def expand(self, pointer: str, doc: Document) -> str | None:
        """A ``prefix:value`` pointer expanded by the first of its ``prefixDef``s whose
        pattern matches the value; ``None`` when no prefixDef declares the prefix."""
        table = self.prefixes(doc)
        key = (id(table), pointer)
        if key not in self._expanded:
            self._expanded[key] = self._expand(table, pointer)
        return self._expanded[key]

    @staticmethod
    def _expand(table: dict, pointer: str) -> str | None:
        prefix, sep, value = pointer.partition(":")
        rules = table.get(prefix) if sep else None
        if not rules:
            return None
        if len(value) <= 1000:  # a pattern from a document meets no unbounded input
            for pattern, replacement in rules:
                if pattern.search(value):  # then XPath's replace(), as TEI defines the expansion
                    template = _DOLLAR.sub(lambda g: rf"\g<{g.group(1)}>" if int(g.group(1)) <= pattern.groups
                                           else "", replacement.replace("\\", "\\\\"))
                    return pattern.sub(template, value)
        return ""  # declared, but no pattern matches: it resolves to nothing

    def is_declared_prefix(self, pointer: str, doc: Document) -> bool:
        prefix, sep, _ = pointer.partition(":")
        return bool(sep) and prefix in self.prefixes(doc)

    def duplicate_ids(self) -> dict[str, list[tuple[Document, etree._Element]]]:
        """``xml:id``s carried more than once across the files, with every (document, element), in file order."""
        seen: dict[str, tuple[Document, etree._Element]] = {}
        repeated: dict[str, list[tuple[Document, etree._Element]]] = {}
        for doc in self.files.values():
            for value, el in self.attributes(doc).ids:
                earlier = seen.get(value)
                if earlier is None:
                    seen[value] = (doc, el)
                elif value in repeated:
                    repeated[value].append((doc, el))
                else:
                    repeated[value] = [earlier, (doc, el)]
        return repeated

    def is_external(self, pointer: str) -> bool:
        return split_pointer(pointer) is None


_DOLLAR = re.compile(r"\$(\d)")
_PREFIX_DEF = etree.XPath("/*/tei:teiHeader//tei:listPrefixDef/tei:prefixDef[@ident][@matchPattern]",
                          namespaces={"tei": TEI_NS})
#: what makes a token a URI reference: a fragment, a path, a scheme, an escape, or a file extension
_URI_LIKE = re.compile(r"[#/:%]|\.[A-Za-z][A-Za-z0-9]{0,7}$")


def prefix_defs(doc: Document) -> list[tuple[str, tuple["re.Pattern", str]]]:
    """``(ident, (pattern, replacement))`` for each usable ``prefixDef`` in a document's header.
    A pattern Python cannot read (XML Schema regexes are nearly always Python ones) is skipped."""
    found = []
    for el in _PREFIX_DEF(doc.tree):
        try:
            pattern = re.compile(el.get("matchPattern"))
        except re.error:
            continue
        found.append((el.get("ident"), (pattern, el.get("replacementPattern") or "")))
    return found


def is_bare_word(pointer: str) -> bool:
    """``corresp="brief"``, ``source="459r-465v"``: a word where TEI expects a URI."""
    return bool(pointer) and not _URI_LIKE.search(pointer)


def discover(paths: Iterable[str | os.PathLike] | None = None) -> list[Path]:
    """Every ``*.xml`` file under the given files or folders (default: the bundled edition)."""
    return [path for path, _root in discover_roots(paths)]


def discover_roots(paths: Iterable[str | os.PathLike] | None = None) -> list[tuple[Path, Path]]:
    """``(file, root)`` for every ``*.xml`` file under the given files or folders
    (default: the bundled edition); ``root`` is the folder given, or a given file's folder."""
    if paths is None:
        from .resources import edition_dir

        paths = [edition_dir()]
    elif isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    seen: dict[Path, Path] = {}
    for file, root in iter_xml_files(paths):
        if file not in seen:
            seen[file] = root
    return list(seen.items())


def _key(path: Path) -> Path:
    return Path(os.path.abspath(path))


# Files loaded only because a pointer names them (the registers), kept across Editions
# in this process: a batch validates a corpus chunk by chunk, each naming the same few.
_SHARED: dict[tuple, Document | Problem] = {}
_SHARED_MAX = 256


def _load_shared(path: Path) -> Document | Problem:
    try:
        st = path.stat()
    except OSError:
        return loader.try_load(path, require_tei=False)
    key = (os.path.abspath(path), st.st_ino, st.st_mtime_ns, st.st_size)
    doc = _SHARED.get(key)
    if doc is None:
        if len(_SHARED) >= _SHARED_MAX:
            _SHARED.clear()
        doc = _SHARED[key] = loader.try_load(path, require_tei=False)
    return doc
