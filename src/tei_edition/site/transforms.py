"""The per-document transforms a page needs, run in worker processes (or a Dask cluster).

Nothing is written there: each document's outputs travel back as strings (or
Problems), with its formatted citations, and ``collect`` builds the page from them.
"""

from __future__ import annotations

import json
from pathlib import Path

from .. import loader
from ..batch import Job, Outcome, Result, Task
from ..loader import Document
from ..problems import ERROR, WARNING, Problem
from .citations import format_citations
from .model import DOWNLOADS

CITATIONS = "citations"  # key of a document's formatted citations among its transform outputs
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
    out: dict[str, object] = {}
    for fmt, params in site_transforms(base_url, project):
        result = run_format(doc, fmt, params)
        if result is None:
            return None
        out[fmt] = result
    item, _problems = csl_item(doc, meta_params(base_url, project), out)  # document_page reports them
    found = citations.get(item) if citations is not None and item is not None else None
    if found is None:
        found = format_citations([item])[0] if item is not None else []
        if citations is not None and item is not None:
            citations.put(item, found)
    out[CITATIONS] = found
    return out


def run_format(doc: Document, fmt: str, params: dict | None = None) -> str | Problem | None:
    """One transform's output text, or the Problem that stopped it (None: no transform module)."""
    try:
        from ..transform import transform
    except ImportError:
        return None
    try:
        return transform(doc, fmt, params or None)
    except Exception as exc:  # one failing stylesheet must not stop the whole site
        problem = getattr(exc, "problem", None)
        return problem if isinstance(problem, Problem) else Problem(
            str(doc.path), 1, 1, ERROR, "transform", str(exc) or type(exc).__name__)


class SiteTask(Task):
    """In a worker: load one document and run every transform its page needs.

    Nothing is written; the outputs travel back as a dict of strings (or Problems)
    in ``Outcome.data``, and ``collect`` builds the page from them.
    """

    name = "transforms"
    extension = None

    def __init__(self, base_url: str = "", project: dict | None = None, names: dict | None = None):
        self.base_url = base_url or ""
        self.project = dict(project or {})   # edition-title
        self.names = dict(names or {})       # path -> page name, given as document-id

    def fingerprint(self) -> str:
        return f"{super().fingerprint()} {self.base_url} {sorted(self.project.items())}"

    def params(self, path: str) -> dict:
        return {**self.project, "document-id": self.names.get(path, "")}

    def warm(self) -> None:
        try:
            from .. import xslt
        except ImportError:
            return
        xslt.warm()

    def run(self, path: str, data: bytes) -> Outcome:
        doc = loader.parse_bytes(data, path)
        if isinstance(doc, Problem):
            return Outcome.failed([doc])
        return Outcome.ok(data=transform_outputs(doc, self.base_url, self.params(path)))


def run_transforms(documents: list[Document], base_url: str = "", *, jobs: int | None = None,
                   quiet: bool = False, scheduler=None, project: dict | None = None,
                   names: dict[str, str] | None = None, progress=None,
                   cache=None) -> tuple[dict[str, dict | None], dict[str, tuple[Problem, ...]]]:
    """Every document's transform outputs through the batch runner, keyed by path; and,
    for a document whose run failed as a whole (a worker crashed), the problems why.

    ``scheduler`` (an address or a ``distributed.Client``): the transforms run on that
    Dask cluster; the workers only send back text, nothing is written there.
    ``project``: stylesheet parameters shared by every document (``edition-title``);
    ``names``: each document's page name by path, handed over as ``document-id``.
    ``progress(n, total, phase)`` after each document replaces the runner's own bar.
    ``cache``: a :class:`~tei_edition.site.cache.TransformCache`; a document whose key it
    holds is not run again.
    """
    from ..batch import BatchError, FAILED, run

    outputs: dict[str, dict | None] = {}
    failures: dict[str, tuple[Problem, ...]] = {}

    task = SiteTask(base_url, project, names)
    keys = ({str(d.path): cache.key(d, {**task.params(str(d.path)), "base-url": task.base_url}) for d in documents}
            if cache else {})
    total = len(documents)

    def keep(result: Result) -> None:
        key = str(result.job.source)
        if result.status == FAILED:
            failures[key] = result.problems
            outputs[key] = {}  # the page is built without the transforms' outputs
        else:
            outputs[key] = result.data
            if cache:
                cache.put(keys.get(key), result.data)
        if progress:
            progress(len(outputs), total, "transforms and citations")

    for d in documents:
        cached = cache.get(keys.get(str(d.path))) if cache else None
        if cached is not None:  # unchanged since the last build, and all it draws on too
            outputs[str(d.path)] = cached
    job_list = [Job(Path(d.path), str(d.path), explicit=True) for d in documents if str(d.path) not in outputs]
    if not job_list:
        return outputs, failures
    try:
        summary = run(job_list, task, None, jobs=jobs, quiet=quiet, scheduler=scheduler,
                      journal=False, on_result=keep, progress=False if progress else None)
    except BatchError:
        if scheduler is not None:
            raise  # the cluster was asked for: building here instead would hide the mistake
        return {}, {}  # cannot start workers at all: document_page transforms in this process
    if summary.interrupted:
        raise KeyboardInterrupt
    return outputs, failures


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
