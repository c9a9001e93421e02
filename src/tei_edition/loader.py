"""The one hardened XML loader: every XML file the toolkit reads comes through here.

Defences (see docs/security.md):
- bytes are read by us (regular files only, no blocking on FIFOs), so nothing
  is silently gunzipped (lxml's ``parse(filename)`` does);
- no DTD is loaded and no URL is opened: a deny-all resolver answers every
  request libxml2 makes (external DTD subset, external entities) with nothing;
- only internal entities expand; an external or parameter entity is refused
  with the line and column of its declaration;
- XInclude is off unless asked for, and then only resolves files below the
  document's own folder, through this same loader, within a total budget;
- size and markup count are capped before parsing (a 64 MB file of ``<a/>``
  would take 2 GB in lxml), and libxml2's depth, text-node and entity
  amplification limits stay on;
- ``Document.xml_text()`` never carries a DOCTYPE, so no later parser sees one.
"""

from __future__ import annotations

import os
import re
import stat
import threading
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from lxml import etree

from .problems import ERROR, Problem, ProblemError

TEI_NS = "http://www.tei-c.org/ns/1.0"
XML_NS = "http://www.w3.org/XML/1998/namespace"
XI_NS = "http://www.w3.org/2001/XInclude"
XML_ID = f"{{{XML_NS}}}id"
TEI_ROOTS = {f"{{{TEI_NS}}}TEI", f"{{{TEI_NS}}}teiCorpus"}

DEFAULT_MAX_BYTES = int(os.environ.get("TEI_EDITION_MAX_BYTES", 32 * 1024 * 1024))
# Upper bound on "<" in a file: about 130 bytes of libxml2 tree per node, and
# Saxon needs ~100 µs per element in the text and HTML formats: 250,000 keeps one file
# well under 1.5 GB and 60 s (measured: 500,000 took 50 s).
DEFAULT_MAX_MARKUP = int(os.environ.get("TEI_EDITION_MAX_MARKUP", 250_000))
MAX_DEPTH = 256  # libxml2's limit without XML_PARSE_HUGE, which we never set
XINCLUDE_MAX_FILES = 1000

_MAGIC = {
    b"\x1f\x8b": "gzip",
    b"BZh": "bzip2",
    b"\xfd7zXZ\x00": "xz",
    b"PK\x03\x04": "zip",
    b"\x28\xb5\x2f\xfd": "zstd",
}
_DECL = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_LATIN1 = {"iso-8859-1", "latin-1", "latin1", "iso_8859-1", "l1", "windows-1252", "cp1252", "us-ascii", "ascii"}


class LoadError(ProblemError):
    """Raised by :func:`load` when a file cannot be read as (TEI) XML; carries the problem."""


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
        """The document re-serialised (entities expanded), for feeding to Saxon.

        The DOCTYPE is left out: entities are already expanded, and a SYSTEM
        identifier must never reach a parser that might fetch it.
        """
        parts = [etree.tostring(n, encoding="unicode", with_tail=False)
                 for n in self.processing_instructions_and_comments(preceding=True)]
        parts.append(etree.tostring(self.root, encoding="unicode", with_tail=False))
        parts += [etree.tostring(n, encoding="unicode", with_tail=False)
                  for n in self.processing_instructions_and_comments(preceding=False)]
        return "\n".join(parts)

    def processing_instructions_and_comments(self, preceding: bool = True) -> list:
        """Top-level siblings of the root (PIs and comments), in document order."""
        nodes = list(self.root.itersiblings(preceding=preceding))
        return list(reversed(nodes)) if preceding else nodes

    def processing_instructions(self) -> list[etree._ProcessingInstruction]:
        """Processing instructions before the root element, such as ``<?xml-model?>``."""
        return list(reversed(list(self.root.itersiblings(etree.ProcessingInstruction, preceding=True))))


class _DenyResolver(etree.Resolver):
    """Answers every URL libxml2 asks for (external DTD subset, external
    entities) with an empty document and records it, so nothing is opened."""

    def __init__(self):
        super().__init__()
        self.requested: list[str] = []

    def resolve(self, url, public_id, context):
        self.requested.append(url or public_id or "")
        return self.resolve_string("", context)


_LOCAL = threading.local()


def _reused_parser() -> tuple[etree.XMLParser, _DenyResolver]:
    """One parser per thread: building an XMLParser costs as much as parsing a small file.
    lxml parsers are not thread-safe, hence per thread."""
    cached = getattr(_LOCAL, "parser", None)
    if cached is None:
        resolver = _DenyResolver()
        cached = _LOCAL.parser = (_parser(resolver), resolver)
    cached[1].requested.clear()
    return cached


def _parser(resolver: _DenyResolver | None = None) -> etree.XMLParser:
    parser = etree.XMLParser(
        resolve_entities="internal",
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        attribute_defaults=False,
        huge_tree=False,
        remove_blank_text=False,
        collect_ids=False,
    )
    parser.resolvers.add(resolver or _DenyResolver())
    return parser


def _line_col(data: bytes, offset: int) -> tuple[int, int]:
    line = data.count(b"\n", 0, offset) + 1
    return line, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _problem(path, line, col, rule, message) -> Problem:
    return Problem(str(path), max(int(line or 0), 1), max(int(col or 0), 1), ERROR, rule, message)


_BLANK = re.compile(rb"[\xef\xbb\xbf\xff\xfe\s]*\Z")  # stops at the first other byte, copies nothing


def _check_bytes(path, data: bytes) -> Problem | None:
    if _BLANK.match(data):
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


_ENTITY_DECL = re.compile(
    rb"""<!ENTITY\s+(%\s+)?([^\s%;&<>"']+)\s+(?:(SYSTEM|PUBLIC)\s+(?:("[^"]*"|'[^']*')\s*)?("[^"]*"|'[^']*')?)?""")
_DOCTYPE = re.compile(rb"""<!DOCTYPE\s+[^\s\[>]+(?:\s+(?:SYSTEM|PUBLIC)\s+(?:"[^"]*"|'[^']*')(?:\s+(?:"[^"]*"|'[^']*'))?)?""")


@dataclass(frozen=True)
class _EntityDecl:
    name: str
    parameter: bool
    external: str | None  # the SYSTEM/PUBLIC literal, if any
    line: int
    col: int


_SUBSET_TOKEN = re.compile(rb"""\"[^\"]*\"|'[^']*'|<!--.*?-->|<\?.*?\?>|\]|[^\"'<\]]+|<""", re.S)


def _internal_subset(data: bytes) -> tuple[int, bytes] | None:
    """(offset, text) of the DOCTYPE's internal subset, comments blanked out, or None."""
    start = data.find(b"<!DOCTYPE", 0, 1 << 20)
    if start < 0:
        return None
    m = _DOCTYPE.match(data, start)
    if not m:
        return None
    i = m.end()
    while i < len(data) and data[i:i + 1].isspace():
        i += 1
    if data[i:i + 1] != b"[":
        return None
    chunks, pos = [], i + 1
    for tok in _SUBSET_TOKEN.finditer(data, pos):
        text = tok.group()
        if text == b"]":
            break
        chunks.append(b" " * len(text) if text.startswith(b"<!--") else text)
    return i + 1, b"".join(chunks)


def _entity_decls(data: bytes) -> list[_EntityDecl]:
    """Entity declarations in the internal subset, located for error messages."""
    subset = _internal_subset(data)
    if subset is None:
        return []
    offset, text = subset
    decls = []
    for m in _ENTITY_DECL.finditer(text):
        line, col = _line_col(data, offset + m.start())
        external = None
        if m.group(3):
            literal = (m.group(5) or m.group(4) or b"''")[1:-1]
            external = f'{m.group(3).decode()} "{literal.decode("utf-8", "replace")}"'
        decls.append(_EntityDecl(m.group(2).decode("utf-8", "replace"), bool(m.group(1)), external, line, col))
    return decls


def _external_entities(tree) -> list[str]:
    dtd = tree.docinfo.internalDTD
    if dtd is None:
        return []
    return [e.name for e in dtd.iterentities() if e.system_url or getattr(e, "url", None)]


def _refuse_entity(path, decl: _EntityDecl) -> Problem:
    kind = "parameter entity" if decl.parameter else "entity"
    sign = "%" if decl.parameter else "&"
    if decl.external:
        return _problem(path, decl.line, decl.col, "external-entity",
                        f"external {kind} {sign}{decl.name}; ({decl.external}) refused: external entities "
                        "are never loaded, they could read local files or reach the network; "
                        "declare the text inline, e.g. <!ENTITY name \"text\">")
    return _problem(path, decl.line, decl.col, "parameter-entity",
                    f"parameter entity %{decl.name}; refused: parameter entities are not supported; "
                    "declare general entities inline, e.g. <!ENTITY name \"text\">")


_LIMITS = [
    (re.compile(r"amplification|entity reference loop|entities.*loop", re.I), "entity-expansion",
     "entity expansion too large (an exponential or quadratic entity blow-up such as 'billion laughs'); "
     "refused"),
    (re.compile(r"Excessive depth", re.I), "too-deep",
     f"elements are nested more than {MAX_DEPTH} levels deep; refused"),
    (re.compile(r"too long|huge|Resource limit", re.I), "too-large",
     "a text node, attribute or name is longer than 10,000,000 characters; refused"),
]


def _syntax_problem(path, data: bytes, exc: etree.XMLSyntaxError, resolver: _DenyResolver) -> Problem:
    line, col = exc.position if exc.position else (exc.lineno, 0)
    msg = str(exc.msg or exc).strip()
    msg = re.sub(r",? line \d+, column \d+\s*(\(.*\))?$", "", msg)
    for pattern, rule, text in _LIMITS:
        if pattern.search(msg):
            return _problem(path, line, col, rule, text)
    undefined = re.search(r"Entity '([^']+)' not defined", msg)
    if undefined or "PEReference" in msg:
        decls = _entity_decls(data)
        name = undefined.group(1) if undefined else None
        for decl in decls:
            if decl.name == name or (decl.parameter and (name is None or decl.external)):
                return _refuse_entity(path, decl)
        for decl in decls:
            if decl.external or decl.parameter:
                return _refuse_entity(path, decl)
        if name:
            dtd = f"; the external DTD ({', '.join(resolver.requested)}) is never loaded" if resolver.requested else ""
            return _problem(path, line, col, "undefined-entity",
                            f"entity &{name}; is not declared in the document's internal subset{dtd}; "
                            f"declare it inline, e.g. <!DOCTYPE TEI [<!ENTITY {name} \"text\">]>, "
                            "or write the character itself")
    rule = "encoding" if ("encoding" in msg.lower() or "utf-8" in msg.lower()) else "well-formed"
    if rule == "encoding" and "Invalid bytes" in msg:
        declared = _DECL.match(data)
        name = declared.group(1).decode("ascii") if declared else "UTF-8"
        return _problem(path, line, col, rule,
                        f"bytes here are not valid {name}{' (the default)' if not declared else ''}; "
                        "the file was probably saved as Latin-1 or Windows-1252: save it as UTF-8 "
                        "or declare its real encoding")
    return _problem(path, line, col, rule, f"not well-formed XML: {msg}")


_NCNAME = re.compile(r"^[^\W\d][\w.\-\u00B7\u0300-\u036F\u203F\u2040]*$")


_ALL_XML_IDS = etree.XPath("//@xml:id")


def _bad_xml_id(root):
    """(line, value) of the first xml:id that is not an NCName (the xml:id
    Recommendation makes that an error), or None."""
    for value in _ALL_XML_IDS(root):
        if not _NCNAME.match(value):
            return value.getparent().sourceline or 1, str(value)
    return None


def parse_bytes(data: bytes, path: str | os.PathLike = "<string>", *, require_tei: bool = True,
                xinclude: bool = False) -> Document | Problem:
    """Parse bytes already read; return a Document or the first fatal Problem."""
    return _parse(data, path, require_tei=require_tei, includes=_Budget() if xinclude else False)


def _parse(data, path, *, require_tei: bool, includes) -> Document | Problem:
    """``includes``: False refuses xi:include, a _Budget resolves them, None leaves them
    for the caller (an included file whose own includes are resolved next)."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    problem = _check_bytes(path, data)
    if problem:
        return problem
    markup = data.count(b"<")
    if markup > DEFAULT_MAX_MARKUP:
        return _problem(path, 1, 1, "too-large",
                        f"the file has {markup:,} markup characters '<', over the limit of {DEFAULT_MAX_MARKUP:,} "
                        "(set TEI_EDITION_MAX_MARKUP to raise it)")
    for decl in _entity_decls(data):
        if decl.external or decl.parameter:
            return _refuse_entity(path, decl)
    parser, resolver = _reused_parser()
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return _syntax_problem(path, data, exc, resolver)
    except (ValueError, LookupError) as exc:  # e.g. an unknown encoding name
        return _problem(path, 1, 1, "well-formed", f"not well-formed XML: {exc}")
    tree = root.getroottree()
    bad = _external_entities(tree)
    if bad:  # declared in a way our scan of the prolog did not see
        line, col = _line_col(data, max(data.find(b"<!ENTITY"), 0))
        return _problem(path, line, col, "external-entity",
                        "external entities are never loaded (they could read local files or reach the "
                        "network): " + ", ".join(sorted(bad)))
    if isinstance(includes, _Budget):
        result = _xinclude(tree, Path(path), includes)
        if isinstance(result, Problem):
            return result
    elif includes is False and root.find(f".//{{{XI_NS}}}include") is not None:
        el = root.find(f".//{{{XI_NS}}}include")
        return _problem(path, el.sourceline, 1, "xinclude",
                        "xi:include found, but XInclude is off; it is resolved only when asked for "
                        "(--xinclude), and then only for files inside the document's folder")
    bad_id = _bad_xml_id(root)
    if bad_id is not None:
        return bad_id if isinstance(bad_id, Problem) else _problem(
            path, bad_id[0], 1, "xml-id",
            f"xml:id={bad_id[1]!r} is not a valid name (an NCName: no spaces, slashes, colons, "
            "and not starting with a digit, '-' or '.'); ids become anchors and file names")
    if require_tei and root.tag not in TEI_ROOTS:
        qname = etree.QName(root)
        where = f" in namespace {qname.namespace}" if qname.namespace else " in no namespace"
        return _problem(path, root.sourceline, 1, "not-tei",
                        f"the root element is <{qname.localname}>{where}; "
                        f"expected <TEI> or <teiCorpus> in {TEI_NS}")
    return Document(Path(path), tree)


def read_bytes(path: str | os.PathLike, max_bytes: int | None = None) -> bytes | Problem:
    """Read a file's bytes, refusing anything that is not a regular file or is too large."""
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    try:
        # O_NONBLOCK: a FIFO or device swapped in after a check must not hang us.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except OSError as exc:
        return _problem(path, 1, 1, "io", f"cannot read the file: {exc.strerror or exc}")
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return _problem(path, 1, 1, "io", "not a regular file")
        if st.st_size > limit:
            return _problem(path, 1, 1, "too-large",
                            f"the file is {st.st_size:,} bytes, over the limit of {limit:,} "
                            "(set TEI_EDITION_MAX_BYTES to raise it)")
        chunks, want = [], min(st.st_size, limit) + 1
        while want > 0:  # one read for a regular file; a loop only if it grows meanwhile
            chunk = os.read(fd, want)
            if not chunk:
                break
            chunks.append(chunk)
            want = limit + 1 - sum(map(len, chunks))
        data = b"".join(chunks)
    except OSError as exc:
        return _problem(path, 1, 1, "io", f"cannot read the file: {exc.strerror or exc}")
    finally:
        os.close(fd)
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


@dataclass
class _Budget:
    """What all the xi:includes of one document may add together."""

    files: int = XINCLUDE_MAX_FILES
    bytes: int = DEFAULT_MAX_BYTES
    markup: int = DEFAULT_MAX_MARKUP

    def spend(self, data: bytes) -> bool:
        self.files -= 1
        self.bytes -= len(data)
        self.markup -= data.count(b"<")
        return self.files >= 0 and self.bytes >= 0 and self.markup >= 0


def _xinclude(tree, path: Path, budget: _Budget, depth: int = 0) -> None | Problem:
    """Resolve xi:include ourselves: local relative hrefs inside the document's folder only,
    within one budget for the whole document (includes fanning out cannot multiply)."""
    base = path.resolve().parent
    for inc in list(tree.getroot().iter(f"{{{XI_NS}}}include")):
        href = inc.get("href", "")
        line = inc.sourceline
        target = (base / href).resolve()
        if depth > 8:
            return _problem(path, line, 1, "xinclude",
                            f"xi:include href={href!r} refused: includes nest more than 8 deep (a loop?)")
        if not href or ":" in href.split("/")[0] or not target.is_relative_to(base):
            return _problem(path, line, 1, "xinclude",
                            f"xi:include href={href!r} refused: only relative paths inside {base} are allowed")
        data = read_bytes(target)
        if isinstance(data, Problem):
            return _problem(path, line, 1, "xinclude", f"xi:include href={href!r}: {data.message}")
        if not budget.spend(data):
            return _problem(path, line, 1, "xinclude",
                            "xi:include refused: the included files together exceed the size limit "
                            f"({XINCLUDE_MAX_FILES} files, {DEFAULT_MAX_BYTES:,} bytes, "
                            f"{DEFAULT_MAX_MARKUP:,} tags)")
        if inc.get("parse", "xml") == "text":
            try:
                replacement = data.decode(inc.get("encoding", "utf-8"), errors="strict")
            except (LookupError, UnicodeDecodeError, TypeError) as exc:
                return _problem(path, line, 1, "xinclude",
                                f"xi:include href={href!r} cannot be decoded as text: {exc}")
            parent = inc.getparent()
            prev = inc.getprevious()
            if prev is not None:
                prev.tail = (prev.tail or "") + replacement + (inc.tail or "")
            else:
                parent.text = (parent.text or "") + replacement + (inc.tail or "")
            parent.remove(inc)
            continue
        sub = _parse(data, target, require_tei=False, includes=None)
        if isinstance(sub, Problem):
            return sub
        nested = _xinclude(sub.tree, target, budget, depth + 1)
        if nested:
            return nested
        new = sub.root
        new.tail = inc.tail
        parent = inc.getparent()
        if parent is None:
            return _problem(path, line, 1, "xinclude", "xi:include cannot be the root element")
        parent.replace(inc, new)
    return None
