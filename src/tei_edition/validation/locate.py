"""Where a node is in its source: line and column of elements and attributes.

lxml gives an element's line but not its column, and nothing for attributes.
The start tags are found again in the file's text, in document order, and paired
with the parsed elements; when the pairing fails (markup produced by an internal
entity, say) the element's own line is used, with column 1.
"""

from __future__ import annotations

import bisect
import re
from functools import cached_property

from lxml import etree

from .. import loader
from ..loader import Document

_TOKEN = re.compile(
    r"<!--.*?-->"
    r"|<!\[CDATA\[.*?\]\]>"
    r"|<\?.*?\?>"
    r"|<!DOCTYPE(?:[^\[>]|\[.*?\])*>"
    r"|</[^>]*>"
    r"|<(?P<name>[^\s/>!?]+)(?P<attrs>(?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*/?>",
    re.S,
)


class Locator:
    """Line/column lookups for one document, computed on first use."""

    def __init__(self, doc: Document, text: str | None = None):
        self.doc = doc
        self._text = text
        self._starts: dict[int, tuple[int, int, int]] | None = None  # id(el) -> (offset, attrs start, attrs end)
        self._keep: list = []  # element proxies stay alive so their ids stay valid

    @property
    def text(self) -> str:
        if self._text is None:
            data = loader.read_bytes(self.doc.path)
            if isinstance(data, bytes):
                enc = (self.doc.tree.docinfo.encoding or "utf-8")
                try:
                    self._text = data.decode(enc, errors="replace")
                except LookupError:
                    self._text = data.decode("utf-8", errors="replace")
            else:
                self._text = ""
        return self._text

    @cached_property
    def _line_starts(self) -> list[int]:
        return [0] + [m.end() for m in re.finditer("\n", self.text)]

    def _offset_to_line_col(self, offset: int) -> tuple[int, int]:
        starts = self._line_starts
        i = bisect.bisect_right(starts, offset) - 1
        return i + 1, offset - starts[i] + 1

    def _index(self) -> dict[int, tuple[int, int, int]]:
        if self._starts is not None:
            return self._starts
        self._starts = {}
        elements = [el for el in self.doc.root.iter() if isinstance(el.tag, str)]
        root_offset = self._root_offset()
        tags = [m for m in _TOKEN.finditer(self.text, root_offset) if m.group("name")]
        for el, m in zip(elements, tags):
            if m.group("name").rpartition(":")[2] != etree.QName(el).localname:
                break  # the text and the tree no longer agree: stop pairing
            self._keep.append(el)
            self._starts[id(el)] = (m.start(), m.start("attrs"), m.end("attrs"))
        return self._starts

    def _root_offset(self) -> int:
        # skip the prolog (declaration, comments, PIs, doctype) before the root element
        for m in _TOKEN.finditer(self.text):
            if m.group("name"):
                return m.start()
        return 0

    def element(self, el) -> tuple[int, int]:
        """1-based (line, column) of the element's ``<``."""
        if el is None:
            return 1, 1
        if not isinstance(el.tag, str):  # comment or PI
            return max(el.sourceline or 1, 1), 1
        found = self._index().get(id(el))
        if found is None:
            return max(el.sourceline or 1, 1), 1
        return self._offset_to_line_col(found[0])

    def attribute(self, el, name: str) -> tuple[int, int]:
        """1-based (line, column) of an attribute's name (``xml:id`` or a plain name);
        the element's position when the attribute is not written there."""
        found = self._index().get(id(el)) if el is not None else None
        if found is None:
            return self.element(el)
        _, a, b = found
        m = re.compile(rf"(?<![\w.:-])({re.escape(name)})\s*=").search(self.text, a, b)
        if m is None:
            return self.element(el)
        return self._offset_to_line_col(m.start(1))

    def processing_instruction(self, pi) -> tuple[int, int]:
        """Position of a processing instruction in the prolog (found by its text)."""
        needle = f"<?{pi.target}"
        rest = (pi.text or "").strip()
        for m in re.finditer(re.escape(needle), self.text):
            if self.text[m.end(): m.end() + len(rest) + 40].lstrip().startswith(rest):
                return self._offset_to_line_col(m.start())
        return max(pi.sourceline or 1, 1), 1


def xml_name(attr: str) -> str:
    """``{http://www.w3.org/XML/1998/namespace}id`` -> ``xml:id``; ``{ns}x`` -> ``x``."""
    if attr.startswith(f"{{{loader.XML_NS}}}"):
        return "xml:" + attr.split("}", 1)[1]
    return attr.rsplit("}", 1)[-1]


def simple_path(el) -> str:
    """``/TEI/text/body/div[2]/p[3]``: local names, with a position only where siblings share the name."""
    steps = []
    while el is not None:
        parent = el.getparent()
        name = etree.QName(el).localname
        if parent is not None:
            same = [s for s in parent if s.tag == el.tag]
            if len(same) > 1:
                name += f"[{same.index(el) + 1}]"
        steps.append(name)
        el = parent
    return "/" + "/".join(reversed(steps))
