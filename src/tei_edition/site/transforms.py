"""The per-document transforms a page needs (its reading text, downloads and citations),
run in the workers by :class:`~tei_edition.site.records.PageTask`."""

from __future__ import annotations

import json

from ..loader import Document
from ..problems import ERROR, WARNING, Problem
from .citations import format_citations
from .model import DOWNLOADS

CITATIONS = "citations"  # key of a document's formatted citations among its transform outputs
CITATION_KEY = "citation-key"  # and of their entry in the citation cache
READING = ("html", {"fragment": "yes", "standalone": "no"})  # the reading text: html.xsl's <article> only


def meta_params(base_url: str, project: dict | None = None) -> dict:
    """The stylesheets' parameters for a page: the permalink in citations is
    {base-url}{xml:id or document-id}.html (see xslt/common/metadata.xsl); ``project``
    adds ``edition-title`` (the citations' container) and ``document-id`` (the page name)."""
    params = {"base-url": base_url.rstrip("/") + "/"} if base_url else {}
    params.update((k, v) for k, v in (project or {}).items() if v)
    return params


def site_transforms(base_url: str = "", project: dict | None = None) -> list[tuple[str, dict]]:
    """(format, params) of every transform a document page needs: its reading text and
    its downloads (the CSL-JSON download is also the page's citation item)."""
    meta = meta_params(base_url, project)
    return [READING] + [(fmt, meta) for _e, fmt, _l, _m in DOWNLOADS]


def transform_outputs(doc: Document, base_url: str = "", project: dict | None = None,
                      citations=None) -> dict[str, object] | None:
    """Each site format's output text, or the Problem that stopped it (None: no transform
    module); and under ``CITATIONS`` the page's formatted citations, [(style label, HTML)]:
    citeproc-py takes ~10 ms a document, so it runs here, in the workers. ``citations``:
    a :class:`~tei_edition.site.cache.CitationCache` to take them from when the CSL item is unchanged."""
    wanted = site_transforms(base_url, project)
    results = run_formats(doc, wanted)
    if results is None:
        return None
    out: dict[str, object] = {fmt: result for (fmt, _params), result in zip(wanted, results)}
    item, _problems = csl_item(doc, meta_params(base_url, project), out)  # document_page reports them
    found = citations.get(item) if citations is not None and item is not None else None
    if found is None:
        found = format_citations([item])[0] if item is not None else []
        if citations is not None and item is not None:
            citations.put(item, found)
    out[CITATIONS] = found
    if citations is not None and item is not None:
        out[CITATION_KEY] = citations.key(item)  # so the build keeps that entry of the cache
    return out


def run_format(doc: Document, fmt: str, params: dict | None = None) -> str | Problem | None:
    """One transform's output text, or the Problem that stopped it (None: no transform module)."""
    results = run_formats(doc, [(fmt, params)])
    return None if results is None else results[0]


def run_formats(doc: Document, requests: list[tuple[str, dict | None]]) -> list[str | Problem] | None:
    """Each ``(format, params)``'s output text, or the Problem that stopped it (None: no
    transform module); the document is parsed into Saxon once for all of them."""
    try:
        from ..transform import transform_many
    except ImportError:
        return None
    try:
        return transform_many(doc, [(fmt, params or None) for fmt, params in requests])
    except Exception as exc:  # one failing document must not stop the whole site
        problem = getattr(exc, "problem", None)
        return [problem if isinstance(problem, Problem) else Problem(
            str(doc.path), 1, 1, ERROR, "transform", str(exc) or type(exc).__name__)] * len(requests)


def transform_failed(problem: Problem, severity: str, rule: str, what: str) -> Problem:
    """A transform's own located problem, restated as the site's note."""
    return Problem(problem.file, problem.line, problem.col, severity, rule,
                   f"{what} transform failed: {problem.message}", problem.xpath)


def csl_item(doc: Document, params: dict | None = None,
             outputs: dict | None = None) -> tuple[dict | None, list[Problem]]:
    """The document's CSL-JSON item from the csl-json transform (None when unavailable);
    ``outputs`` (from :func:`transform_outputs`) must have been made with the same params."""
    if outputs is None:
        params = dict(params or {})
        outputs = transform_outputs(doc, params.pop("base-url", ""), params)
    if outputs is None:
        return None, []
    text = outputs.get("csl-json")
    if isinstance(text, Problem):
        return None, [transform_failed(text, WARNING, "site-csl", "CSL-JSON")]
    if text is None:
        return None, []
    try:
        data = json.loads(text)
    except ValueError as exc:
        return None, [Problem(str(doc.path), 1, 1, WARNING, "site-csl", f"CSL-JSON transform failed: {exc}")]
    if isinstance(data, list):
        data = data[0] if data else None
    return (data if isinstance(data, dict) else None), []
