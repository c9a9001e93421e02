"""Reading a schema file, and the files it imports or includes, through the loader.

The loader's parser answers every external request with nothing. A schema
needs its neighbours (``xs:import schemaLocation="xml.xsd"``, RELAX NG
``include``), so for a schema document that resolver is replaced by one that
serves files from the schema's own folder only, each read and checked by the
loader first. Nothing is ever fetched from the network.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

from lxml import etree

from .. import loader
from ..loader import Document
from ..problems import Problem


def cache_key(path: str | os.PathLike) -> tuple[str, float]:
    """(absolute path, mtime): a compiled schema is reused until its file changes."""
    path = os.path.abspath(path)
    try:
        return path, os.stat(path).st_mtime
    except OSError:
        return path, 0.0


class _LocalSchemaResolver(etree.Resolver):
    def __init__(self, folder: Path):
        super().__init__()
        self.folder = folder.resolve()
        self.refused: list[str] = []

    def resolve(self, url, public_id, context):
        parts = urlsplit(url or "")
        if parts.scheme not in ("", "file") or parts.netloc:
            self.refused.append(url)
            return self.resolve_string("", context)
        target = Path(unquote(parts.path))
        if not target.is_absolute():
            target = self.folder / target
        target = target.resolve()
        if not target.is_relative_to(self.folder):
            self.refused.append(url)
            return self.resolve_string("", context)
        doc = loader.try_load(target, require_tei=False)
        if isinstance(doc, Problem):
            self.refused.append(url)
            return self.resolve_string("", context)
        return self.resolve_string(etree.tostring(doc.tree, encoding="utf-8"), context, base_url=str(target))


_REFUSED: dict[int, list[str]] = {}


def _schema_parser(folder: Path) -> tuple[etree.XMLParser, _LocalSchemaResolver]:
    # the loader's options; only the resolver differs
    parser = etree.XMLParser(resolve_entities="internal", no_network=True, load_dtd=False,
                             dtd_validation=False, attribute_defaults=False, huge_tree=False,
                             collect_ids=False)
    resolver = _LocalSchemaResolver(folder)
    parser.resolvers.add(resolver)
    return parser, resolver


def refused(doc: Document) -> list[str]:
    """The imports or includes of a schema loaded by :func:`load_schema` that were refused."""
    return list(_REFUSED.get(id(doc.tree), ()))


def explain(doc: Document, message: str) -> str:
    """A compile error, with the refused imports named (they are the usual cause)."""
    urls = refused(doc)
    if not urls:
        return message
    return (f"{message}; refused to read {', '.join(urls)} (only files in the schema's own folder "
            "are read, and nothing is fetched from the network)")


def load_schema(path: str | os.PathLike) -> Document | Problem:
    """Load a schema so that lxml can compile it with its local imports.

    The loader parses the file; its elements then move to a document owned by
    a parser whose resolver serves the schema's folder (libxml2 asks the
    document's parser for every import or include while compiling).
    """
    path = Path(os.path.abspath(path))
    doc = loader.try_load(path, require_tei=False)
    if isinstance(doc, Problem):
        return doc
    old = doc.root
    parser, resolver = _schema_parser(path.parent)
    root = parser.makeelement(old.tag, dict(old.attrib), nsmap=old.nsmap)
    root.text = old.text
    for child in list(old):
        root.append(child)
    tree = etree.ElementTree(root)
    tree.docinfo.URL = str(path)
    _REFUSED[id(tree)] = resolver.refused
    return Document(path, tree)
