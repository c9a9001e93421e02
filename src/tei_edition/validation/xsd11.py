"""XSD 1.1: telling a 1.1 schema from a 1.0 one, and compiling it with xmlschema.

libxml2 (and so ``lxml.etree.XMLSchema``) implements XSD 1.0 only. xmlschema's
``XMLSchema11`` compiles 1.1, but reads a schema and its includes and imports
itself: here through an opener that serves ``file:`` URLs through the loader,
so every part of a schema passes the same defences as a document.
``allow="sandbox"`` keeps it in the schema's own folder, ``defuse="always"``
refuses entity declarations, and the opener knows no other scheme, so nothing
is fetched from the network.
"""

from __future__ import annotations

import io
import urllib.error
import urllib.request
import urllib.response
import warnings
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from lxml import etree

from .. import loader
from ..loader import Document
from ..problems import ERROR, Problem
from .locate import Locator

XSD_NS = "http://www.w3.org/2001/XMLSchema"
VC_NS = "http://www.w3.org/2007/XMLSchema-versioning"
_ONLY_IN_11 = tuple(f"{{{XSD_NS}}}{name}" for name in
                    ("assert", "assertion", "alternative", "openContent", "defaultOpenContent", "override"))
_PARTS = tuple(f"{{{XSD_NS}}}{name}" for name in ("include", "import", "redefine", "override"))


def declares_xsd11(root: etree._Element) -> bool:
    """Does this schema say it is XSD 1.1: ``vc:minVersion`` of 1.1 or more on its root,
    or an element only 1.1 has? (A 1.1 construct in an included file is found when
    libxml2 refuses the schema.)"""
    try:
        if Decimal(root.get(f"{{{VC_NS}}}minVersion", "1.0").strip()) >= Decimal("1.1"):
            return True
    except InvalidOperation:
        pass
    return next(root.iter(*_ONLY_IN_11), None) is not None


class _LoaderHandler(urllib.request.BaseHandler):
    """``file:`` URLs read by the loader (a regular file, within the size limits,
    with no external entities); an OpenerDirector with only this handler opens
    nothing else."""

    def file_open(self, request):
        parts = urlsplit(request.full_url)
        if parts.netloc not in ("", "localhost"):
            raise urllib.error.URLError(f"refused {request.full_url}: not a local file")
        path = unquote(parts.path)
        data = loader.read_bytes(path)
        if isinstance(data, bytes):
            parsed = loader.parse_bytes(data, path, require_tei=False)
            if not isinstance(parsed, Problem):
                return urllib.response.addinfourl(io.BytesIO(data), {}, request.full_url)
            data = parsed
        raise urllib.error.URLError(f"{data.message} (at {data.line}:{data.col})")


def opener() -> urllib.request.OpenerDirector:
    director = urllib.request.OpenerDirector()
    director.add_handler(_LoaderHandler())
    return director


def load(cls, doc: Document):
    """An xmlschema schema class built from the schema file of ``doc``, it and its
    parts read by the loader from the schema's folder; warnings about unreadable
    parts are returned with it, and any failure is raised. (xmlschema is given the
    file, not the tree: it builds schemas from ElementTree elements only.)"""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        schema = cls(doc.path.absolute().as_uri(), allow="sandbox", defuse="always", opener=opener())
    return schema, [w for w in caught if "schema failed" in str(w.message)]


def compile_xsd11(doc: Document):
    """``xmlschema.XMLSchema11`` for a schema the loader read, or the Problem that
    stops it. A part that cannot be read (include, import) is such a problem too."""
    import xmlschema

    try:
        schema, unread = load(xmlschema.XMLSchema11, doc)
    except Exception as exc:  # a contributed schema: whatever xmlschema raises is its problem
        return _compile_problem(doc, exc)
    if unread:
        message = str(unread[0].message)
        line, col = _part_position(doc, message)
        return Problem(str(doc.path), line, col, ERROR, "schema-invalid",
                       f"the XSD 1.1 schema cannot be compiled: {message}")
    return schema


def only_xsd11(doc: Document):
    """For a schema libxml2 refused: ``XMLSchema11`` when only XSD 1.1 accepts it
    (xmlschema's 1.0 refuses it too), else None: a 1.0 schema refused for its own
    reasons (an import that is not read, say) keeps libxml2's problem."""
    import xmlschema

    try:
        load(xmlschema.XMLSchema10, doc)
        return None
    except Exception:  # refused as 1.0, as libxml2 did
        pass
    schema = compile_xsd11(doc)
    return None if isinstance(schema, Problem) else schema


def _compile_problem(doc: Document, exc: Exception) -> Problem:
    import xmlschema

    url = getattr(getattr(exc, "source", None), "url", None)
    elem = getattr(exc, "elem", None)
    message = getattr(exc, "message", None) or str(exc)
    if isinstance(exc, xmlschema.exceptions.XMLResourceBlocked):
        refused = str(exc).rsplit(" ", 1)[-1]
        line, col = _part_position(doc, refused)
        return Problem(str(doc.path), line, col, ERROR, "schema-invalid",
                       f"the XSD 1.1 schema cannot be compiled: refused to read {refused} (only files in the "
                       "schema's own folder are read, and nothing is fetched from the network)")
    file, (line, col) = str(doc.path), (1, 1)
    if url and urlsplit(url).scheme == "file" and elem is not None:
        file = unquote(urlsplit(url).path)
        line, col = _position_in_part(Path(file), getattr(exc.source, "root", None), elem)
    return Problem(file, line, col, ERROR, "schema-invalid", f"the XSD 1.1 schema cannot be compiled: {message}")


def _position_in_part(path: Path, root, elem) -> tuple[int, int]:
    """Where an element of a schema file is: xmlschema parsed the file without line
    numbers, so the loader reads it again and the element is found by its rank."""
    part = loader.try_load(path, require_tei=False)
    if isinstance(part, Problem) or root is None:
        return 1, 1
    rank = next((i for i, el in enumerate(root.iter()) if el is elem), None)
    ours = [el for el in part.root.iter() if isinstance(el.tag, str)]
    if rank is None or rank >= len(ours) or ours[rank].tag != elem.tag:
        return 1, 1
    return Locator(part).element(ours[rank])


def _part_position(doc: Document, message: str) -> tuple[int, int]:
    """The include or import whose location the message names."""
    base = doc.path.absolute().as_uri()
    for el in doc.root.iter(*_PARTS):
        location = el.get("schemaLocation")
        if location and any(unquote(u) in unquote(message) for u in (location, urljoin(base, location))):
            return Locator(doc).element(el)
    return 1, 1
