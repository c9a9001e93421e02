"""The reading edition as a static site: ``tei-edition build``.

Left to right, one room per concern (each imports only the rooms above it):

- ``text``: escaping, normalising, dates, URLs;
- ``model``: the frozen values the pages are made from (``SiteData``, ``Entry``, ``DocPage``...);
- ``entries``: register entries read from TEI registers;
- ``markup``: the reading text made safe and given links, anchors and dates;
- ``citations``: Chicago and MLA through citeproc-py;
- ``transforms``: the per-document transforms;
- ``documents``: one document's page data;
- ``gather``: the edition-wide facts, read one file at a time;
- ``records``: each document's page data, made in the workers (``PageTask``) and kept between builds;
- ``collector``: ``gather_site(paths)`` makes the edition's ``SiteData`` and records; ``collect`` with full pages;
- ``mapsvg``, ``search``, ``pages``: the map, the search index, the HTML of every page;
- ``files``: writing a file inside the site, atomically, only when its bytes change;
- ``docpages``: the document pages, written from their records in the workers (``PageWriteTask``);
- ``write``: ``plan``, ``render`` and ``build``, which writes what changed.
"""

from __future__ import annotations

from .citations import format_citations
from .collector import collect, edition_info, page_names_of
from .documents import document_page, page_names, publishable_xml
from .entries import authority_link, entry_of, register_entries, registers_of
from .markup import process_fragment, sanitise
from .model import (DOWNLOADS, KINDS, BuildResult, DateMention, DocPage, EditionInfo, Entry, Mention, Register,
                    SiteData)
from .pages import CSP, layout
from .mapsvg import svg_map
from .search import search_index
from .text import esc, safe_url
from .collector import gather_site
from .records import PageTask
from .transforms import CITATIONS, site_transforms, transform_outputs
from .write import SiteWriteError, build, plan, render, run_validation

__all__ = [
    "CITATIONS", "CSP", "DOWNLOADS", "KINDS", "BuildResult", "DateMention", "DocPage", "EditionInfo",
    "Entry", "Mention", "Register", "SiteData", "PageTask", "SiteWriteError", "authority_link", "build", "collect",
    "document_page", "edition_info", "page_names_of", "entry_of", "esc", "format_citations", "layout", "page_names",
    "plan", "process_fragment", "publishable_xml", "register_entries", "registers_of", "render", "gather_site",
    "run_validation", "safe_url", "sanitise", "search_index", "site_transforms", "svg_map",
    "transform_outputs",
]
