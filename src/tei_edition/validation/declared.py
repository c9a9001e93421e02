"""The XSD a document names on its root: ``xsi:schemaLocation`` and ``xsi:noNamespaceSchemaLocation``.

``xsi:schemaLocation`` is a list of (namespace, href) pairs, one for each
namespace the document uses; together they make one schema. The pair for the
namespace of the root element (for TEI, the TEI namespace) is the schema of the
document; the others are parts of it that it imports, and validating against
one of them alone would reject the root. A root in no namespace is named by
``xsi:noNamespaceSchemaLocation``.

The hrefs are returned as written: the caller resolves a relative one against
the document, as it does for ``<?xml-model?>``.
"""

from __future__ import annotations

from lxml import etree

from ..loader import Document

XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{{{XSI_NS}}}schemaLocation"
NO_NAMESPACE = f"{{{XSI_NS}}}noNamespaceSchemaLocation"


def schema_locations(doc: Document) -> list[tuple[str | None, str]]:
    """Every (namespace, href) the root declares, in order; ``None`` for the
    no-namespace location. A namespace left without its href is dropped."""
    root = doc.root
    tokens = (root.get(SCHEMA_LOCATION) or "").split()
    pairs: list[tuple[str | None, str]] = list(zip(tokens[0::2], tokens[1::2]))
    single = (root.get(NO_NAMESPACE) or "").strip()
    if single:
        pairs.append((None, single))
    return pairs


def declared_xsd(doc: Document) -> list[str]:
    """The hrefs of the XSD that governs the document: the ``xsi:schemaLocation``
    pair of its root's namespace, or ``xsi:noNamespaceSchemaLocation`` for a root in
    no namespace. Each href once, in document order; none when nothing applies."""
    namespace = etree.QName(doc.root).namespace
    return list(dict.fromkeys(href for ns, href in schema_locations(doc) if ns == namespace))
