"""The one hardened XML loader: every XML file the toolkit reads comes through here.

Defences (see docs/security.md):
- bytes are read by us, so nothing is silently gunzipped (lxml's ``parse(filename)`` does);
- no DTD is loaded, no network is used, only internal entities expand;
- a declared external entity is refused, not left as a silent gap;
- XInclude is off unless asked for, and then only resolves files below the
  document's own folder, through this same loader;
- size is capped before parsing, and libxml2's own depth and text-node limits stay on.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from lxml import etree

from .problems import ERROR, Problem

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XI_NS = "http://www.w3.org/2001/XInclude"
XML_ID = f"{{{XML_NS}}}id"
TEI_ROOTS = {f"{{{TEI_NS}}}TEI", f"{{{TEI_NS}}}teiCorpus"}

DEFAULT_MAX_BYTES = int(os.environ.get("TEI_EDITION_MAX_BYTES", 64 * 1024 * 1024))

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
    b"\x28\xb5\x2f\xfd": "zstd",
}
_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_LATIN1 = {"iso-8859-1", "latin-1", "latin1", "iso_8859-1", "l1", "windows-1252", "cp1252", "us-ascii", "ascii"}


class LoadError(Exception):
    """Raised by :func:`load` when a file cannot be read as (TEI) XML; carries the problem."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class Document:
    """A parsed XML file: its path, its tree and an index of its ``xml:id``s."""

    path: Path
    tree: etree._ElementTree = field(repr=False, compare=False)

    @property
    def root(self) -> etree._Element:
        return self.tree.getroot()

    @property
    def is_tei(self) -> bool:
        return self.root.tag in TEI_ROOTS

    @cached_property
    def ids(self) -> dict[str, etree._Element]:
        """``xml:id`` -> first element carrying it (duplicates are a validation matter)."""
        index: dict[str, etree._Element] = {}
        for el in self.root.iter():
            value = el.get(XML_ID) if isinstance(el.tag, str) else None
            if value is not None and value not in index:
                index[value] = el
        return index

    @property
    def id(self) -> str | None:
        return self.root.get(XML_ID)

    def xml_text(self) -> str:
        """The document re-serialised (entities expanded), for feeding to Saxon."""
        return etree.tostring(self.tree, encoding="unicode")

    def processing_instructions(self) -> list[etree._ProcessingInstruction]:
        """Processing instructions before the root element, such as ``<?xml-model?>``."""
        return list(reversed(list(self.root.itersiblings(etree.ProcessingInstruction, preceding=True))))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities="internal",
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _problem(path, line, col, rule, message) -> Problem:
    return Problem(str(path), max(int(line or 0), 1), max(int(col or 0), 1), ERROR, rule, message)


def _check_bytes(path, data: bytes) -> Problem | None:
    if not data.strip():
        return _problem(path, 1, 1, "empty", "the file is empty; expected an XML document")
    for magic, kind in _MAGIC.items():
        if data.startswith(magic):
            return _problem(path, 1, 1, "compressed",
                            f"the file is {kind}-compressed, not XML; decompress it first "
                            "(compressed input is never expanded automatically)")
    m = _DECL.match(data)
    if m and m.group(1).decode("ascii").lower() in _LATIN1 and re.search(rb"[\x80-\xff]", data):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        offset = re.search(rb"[\xc2-\xf4][\x80-\xbf]", data)
        if offset:
            line, col = _line_col(data, offset.start())
            return _problem(path, line, col, "encoding",
                            f"the XML declaration says {m.group(1).decode()} but the bytes are UTF-8; "
                            "fix the declaration to encoding=\"UTF-8\"")
    return None


def _external_entities(tree) -> list[str]:
    dtd = tree.docinfo.internalDTD
    if dtd is None:
        return []
    return [e.name for e in dtd.iterentities() if e.system_url or getattr(e, "url", None)]


def parse_bytes(data: bytes, path: str | os.PathLike = "<string>", *, require_tei: bool = True,
                xinclude: bool = False) -> Document | Problem:
    """Parse bytes already read; return a Document or the first fatal Problem."""
    problem = _check_bytes(path, data)
    if problem:
        return problem
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        line, col = exc.position if exc.position else (exc.lineno, 0)
        msg = str(exc.msg or exc).strip()
        msg = re.sub(r",? line \d+, column \d+\s*(\(.*\))?$", "", msg)
        rule = "encoding" if ("encoding" in msg.lower() or "utf-8" in msg.lower()) else "well-formed"
        return _problem(path, line, col, rule, f"not well-formed XML: {msg}")
    except ValueError as exc:  # e.g. a str with an encoding declaration
        return _problem(path, 1, 1, "well-formed", f"not well-formed XML: {exc}")
    tree = root.getroottree()
    bad = _external_entities(tree)
    if bad:
        return _problem(path, 1, 1, "external-entity",
                        "external entities are not allowed (they could read local files or the network): "
                        + ", ".join(sorted(bad)))
    if xinclude:
        result = _xinclude(tree, Path(path))
        if isinstance(result, Problem):
            return result
    elif root.find(f".//{{{XI_NS}}}include") is not None:
        el = root.find(f".//{{{XI_NS}}}include")
        return _problem(path, el.sourceline, 1, "xinclude",
                        "xi:include found, but XInclude is off; it is resolved only when asked for "
                        "(--xinclude), and then only for files inside the document's folder")
    if require_tei and root.tag not in TEI_ROOTS:
        return _problem(path, root.sourceline, 1, "not-tei",
                        f"the root element is <{etree.QName(root).localname}>"
                        f"{' in namespace ' + etree.QName(root).namespace if etree.QName(root).namespace else ' in no namespace'}"
                        f"; expected <TEI> or <teiCorpus> in {TEI_NS}")
    return Document(Path(path), tree)


def read_bytes(path: str | os.PathLike, max_bytes: int | None = None) -> bytes | Problem:
    """Read a file's bytes, refusing anything that is not a regular file or is too large."""
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    try:
        st = os.stat(path)
        if not os.path.isfile(path):
            return _problem(path, 1, 1, "io", "not a regular file")
        if st.st_size > limit:
            return _problem(path, 1, 1, "too-large",
                            f"the file is {st.st_size:,} bytes, over the limit of {limit:,} "
                            "(set TEI_EDITION_MAX_BYTES to raise it)")
        with open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except OSError as exc:
        return _problem(path, 1, 1, "io", f"cannot read the file: {exc.strerror or exc}")
    if len(data) > limit:
        return _problem(path, 1, 1, "too-large", f"the file grew past the limit of {limit:,} bytes while read")
    return data


def try_load(path: str | os.PathLike, *, require_tei: bool = True, xinclude: bool = False,
             max_bytes: int | None = None) -> Document | Problem:
    """Load a file; return a Document, or a Problem with file, line and column."""
    data = read_bytes(path, max_bytes)
    if isinstance(data, Problem):
        return data
    return parse_bytes(data, path, require_tei=require_tei, xinclude=xinclude)


def load(path: str | os.PathLike, **options) -> Document:
    """Load a file or raise :class:`LoadError` (the public API's strict form)."""
    result = try_load(path, **options)
    if isinstance(result, Problem):
        raise LoadError(result)
    return result


def _xinclude(tree, path: Path, depth: int = 0) -> None | Problem:
    """Resolve xi:include ourselves: local relative hrefs inside the document's folder only."""
    base = path.resolve().parent
    for inc in list(tree.getroot().iter(f"{{{XI_NS}}}include")):
        href = inc.get("href", "")
        line = inc.sourceline
        target = (base / href).resolve()
        if depth > 8 or not href or ":" in href.split("/")[0] or not target.is_relative_to(base):
            return _problem(path, line, 1, "xinclude",
                            f"xi:include href={href!r} refused: only relative paths inside {base} are allowed")
        if inc.get("parse", "xml") == "text":
            data = read_bytes(target)
            if isinstance(data, Problem):
                return data
            replacement = data.decode(inc.get("encoding", "utf-8"), errors="strict")
            parent = inc.getparent()
            prev = inc.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + replacement + (inc.tail or "")
            else:
                parent.text = (parent.text or "") + replacement + (inc.tail or "")
            parent.remove(inc)
            continue
        sub = try_load(target, require_tei=False, xinclude=False)
        if isinstance(sub, Problem):
            return sub
        nested = _xinclude(sub.tree, target, depth + 1)
        if nested:
            return nested
        new = sub.root
        new.tail = inc.tail
        inc.getparent().replace(inc, new)
    return None
