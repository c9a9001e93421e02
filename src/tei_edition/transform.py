"""``transform(source, to, params) -> str``: a TEI document through one of the formats.

The metadata stylesheets need the edition header and the registers (for names, the
container title, editors and permalink). ``doc()`` is refused in the hardened engine,
so they are handed over as one parameter: a ``<te:context>`` document holding the
edition file and the registers the document points to, found next to the document.
"""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping, Sequence

from lxml import etree

from . import formats, xslt
from .loader import TEI_NS, Document, try_load
from .problems import ERROR, Problem, ProblemError, WARNING

TE_NS = "urn:tei-edition"
_T = f"{{{TEI_NS}}}"
_REGISTER_LISTS = {f"{_T}listPerson", f"{_T}listPlace", f"{_T}listOrg", f"{_T}listBibl", f"{_T}listEvent",
                   f"{_T}listNym", f"{_T}listRelation", f"{_T}head"}
EDITION_FILE = "edition.xml"


class TransformError(ProblemError):
    """The transformation failed; ``.problem`` says where and why."""


@dataclass(frozen=True)
class Skipped:
    """A file that was not transformed, and why (e.g. a register: no document text)."""

    file: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}: skipped: {self.reason}"


# --- classification ----------------------------------------------------------

def kind(doc: Document) -> str:
    """'edition', 'register' or 'document' (the rule in the project conventions)."""
    text = doc.root.find(f"{_T}text")
    if text is None:
        return "document"
    if text.get("type") in ("edition", "register"):
        return text.get("type")
    body = text.find(f"{_T}body")
    if body is not None and len(body) and all(isinstance(c.tag, str) is False or c.tag in _REGISTER_LISTS for c in body):
        if any(c.tag in _REGISTER_LISTS - {f"{_T}head"} for c in body):
            return "register"
    return "document"


def skip_reason(doc: Document) -> str | None:
    """Why a file has no document text to transform, or None if it has."""
    k = kind(doc)
    if k == "register":
        return "a register (no document text)"
    text = doc.root.find(f".//{_T}text")
    if text is None or not any(s.strip() for s in text.itertext()):  # stops at the first word
        return "no document text"
    return None


# --- context: the edition header and registers --------------------------------

_register_cache: dict[tuple[str, int, int], Document | None] = {}
_context_cache: dict[tuple, object] = {}


def _load_cached(path: Path) -> Document | None:
    try:
        st = path.stat()
    except OSError:
        return None
    key = (str(path.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _register_cache:
        doc = try_load(path)
        _register_cache[key] = doc if isinstance(doc, Document) else None
    return _register_cache[key]


_POINTERS = etree.XPath("//@ref | //@source | //@target | //@corresp")


# The last document scanned and its files: the batch runner asks again, right after
# transform(), for the files to record as dependencies.
_last_pointed: tuple = (None, [])


def _pointed_files(doc: Document, reuse: bool = False) -> list[str]:
    """Names of the files beside ``doc`` that its pointers name. ``reuse``: the answer of
    the last scan if it was of this very Document (a tree edited since would be missed)."""
    global _last_pointed
    ref, found = _last_pointed
    if not (reuse and ref is not None and ref() is doc):
        found = _scan_pointed_files(doc)
        _last_pointed = (weakref.ref(doc), found)
    return list(found)


def _scan_pointed_files(doc: Document) -> list[str]:
    names = set()
    for value in set(_POINTERS(doc.root)):  # mentions repeat the same few pointers
        for token in value.split():
            file = token.split("#", 1)[0]
            if file.endswith(".xml") and "/" not in file and ":" not in file:
                names.add(file)
    return sorted(names)


# (folder, name) -> (stat signature, real folder, real path or None, Document or None):
# one context candidate, looked at again only when the file, the link or the folder changed.
_candidate_cache: dict[tuple[str, str], tuple] = {}


def _candidate(folder: str, inside: str, name: str) -> tuple[tuple, str, Document] | None:
    """A context file ``name`` in ``folder`` (whose real path is ``inside``): its signature,
    real path and Document, or None when missing, not TEI context, or leading out of the folder."""
    path = os.path.join(folder, name)
    try:
        link, st = os.lstat(path), os.stat(path)
    except (OSError, ValueError):
        return None
    # the name itself (a link swapped?) and what it leads to (content changed?) form the key
    sig = (link.st_ino, link.st_mtime_ns, st.st_ino, st.st_mtime_ns, st.st_size)
    hit = _candidate_cache.get((folder, name))
    if hit is None or hit[0] != sig or hit[1] != inside:
        real = os.path.realpath(path)
        other = None
        # Only files really inside the document's folder: a symlink leading out is ignored.
        if os.path.dirname(real) == inside:
            other = _load_cached(Path(path))
            if other is not None and kind(other) not in ("edition", "register"):
                other = None
        hit = (sig, inside, real, other)
        _candidate_cache[(folder, name)] = hit
    if hit[3] is None:
        return None
    return hit[0], hit[2], hit[3]


def _context_entries(doc: Document) -> list[tuple[Path, tuple, Document]]:
    folder = os.fspath(doc.path.parent)
    inside = os.path.realpath(folder)
    own = os.path.realpath(doc.path)
    found: list[tuple[Path, tuple, Document]] = []
    seen = set()
    for name in [EDITION_FILE, *_pointed_files(doc)]:
        if name in seen:
            continue
        seen.add(name)
        entry = _candidate(folder, inside, name)
        if entry is None or entry[1] == own:
            continue
        found.append((doc.path.parent / name, entry[0], entry[2]))
    return found


def context_files(doc: Document) -> list[Path]:
    """The edition file and the registers a document points to, from its own folder
    (never through a symlink that leads out of it)."""
    return [path for path, _sig, _doc in _context_entries(doc)]


def context_node(doc: Document):
    """The ``<te:context>`` parameter for a document (cached per set of files and their signatures)."""
    entries = _context_entries(doc)
    key = tuple((str(path), sig) for path, sig, _ in entries) + (os.getpid(),)
    if key not in _context_cache:
        root = etree.Element(f"{{{TE_NS}}}context", nsmap={"te": TE_NS})
        for path, _sig, other in entries:
            holder = etree.SubElement(root, f"{{{TE_NS}}}file", name=path.name)
            holder.append(etree.fromstring(etree.tostring(other.root)))
        _context_cache[key] = xslt.parse(etree.tostring(root, encoding="unicode"), file=str(doc.path))
    return _context_cache[key]


# --- transform -----------------------------------------------------------------

def transform(source: str | os.PathLike | Document, to: str, params: Mapping[str, str] | None = None,
              *, context: bool = True, skip_empty: bool = True) -> str:
    """Transform a TEI file or Document to format ``to``; return the output text.

    ``params`` are stylesheet parameters as strings (e.g. ``{"width": "72"}``,
    ``{"base-url": "https://example.org/edition/"}``, ``{"fragment": "yes"}``).
    With ``context`` the edition header and registers next to the document are used.
    Raises :class:`TransformError` (with a Problem) on failure; a file with no document
    text (a register) raises it with a *warning* Problem (rule ``no-document-text``)
    unless ``skip_empty`` is false.
    """
    result = transform_many(source, [(to, params)], context=context, skip_empty=skip_empty)[0]
    if isinstance(result, Problem):
        raise TransformError(result)
    return result


def transform_many(source: str | os.PathLike | Document, requests: Sequence[tuple[str, Mapping[str, str] | None]],
                   *, context: bool = True, skip_empty: bool = True) -> list[str | Problem]:
    """Several transforms of one document: ``requests`` are ``(format, params)`` pairs as
    :func:`transform` takes them. Returns, in their order, each output text or the Problem
    :func:`transform` would raise for it, so one failing format costs only its own output.

    Cheaper than one :func:`transform` per format: the document is serialised and parsed
    into Saxon once, and its context is made once.
    """
    out: list[str | Problem | None] = [None] * len(requests)
    jobs, wanted = [], []
    for i, (to, params) in enumerate(requests):
        try:
            fmt = formats.get(to)
        except KeyError as exc:
            out[i] = Problem(str(getattr(source, "path", source)), 0, 0, ERROR, "format", str(exc.args[0]))
            continue
        merged: dict[str, object] = {**fmt.params, **{k: str(v) for k, v in (params or {}).items()}}
        jobs.append([fmt.stylesheet, merged, fmt.properties])
        wanted.append(i)
    if jobs:
        for i, result in zip(wanted, _run_formats(source, jobs, context, skip_empty)):
            out[i] = result
    return out


def _run_formats(source, jobs: list[list], context: bool, skip_empty: bool) -> list[str | Problem]:
    """``jobs``' results on ``source``: [stylesheet, params, properties] each, params not yet
    holding the document's id and context."""
    doc = try_load(source) if not isinstance(source, Document) else source
    if isinstance(doc, Problem):
        return [doc] * len(jobs)
    if skip_empty:
        reason = skip_reason(doc)
        if reason:
            return [Problem(str(doc.path), 0, 0, WARNING, "no-document-text", f"skipped: {reason}")] * len(jobs)
    for _sheet, params, _props in jobs:
        params.setdefault("document-id", doc.path.stem)  # used only where the TEI has no xml:id
    if context:
        try:
            node = context_node(doc)
        except xslt.XsltError as exc:
            return [exc.problem] * len(jobs)
        for _sheet, params, _props in jobs:
            params["context"] = node
    return xslt.run_many([tuple(job) for job in jobs], etree.tostring(doc.root, encoding="unicode"),
                         file=str(doc.path))


def transform_path(path: str | os.PathLike, to: str, params: Mapping[str, str] | None = None) -> str | Problem | Skipped:
    """One file -> its output text, a Problem, or Skipped (the unit a batch runner maps over)."""
    doc = try_load(path)
    if isinstance(doc, Problem):
        return doc
    reason = skip_reason(doc)
    if reason:
        return Skipped(str(path), reason)
    try:
        return transform(doc, to, params)
    except TransformError as exc:
        return exc.problem


def output_path(path: Path, root: Path, out: Path, to: str) -> Path:
    """Where the output of ``path`` (found under ``root``) goes under ``out``."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        rel = Path(path.name)
    return (out / rel).with_suffix(formats.get(to).extension)


def transform_files(paths: Iterable[str | os.PathLike], to: str, out: Path | None,
                    params: Mapping[str, str] | None = None, on_result=None) -> list[tuple[Path, object]]:
    """Transform every XML file under ``paths``; write outputs under ``out`` (atomically).

    Returns ``(input, outcome)`` pairs where outcome is the output Path, a Problem or Skipped.
    ``on_result(input, outcome)`` is called as each file finishes.
    """
    from .fsutil import iter_xml_files, write_atomic

    results = []
    for path, root in iter_xml_files(paths):
        outcome = transform_path(path, to, params)
        if isinstance(outcome, str):
            target = output_path(path, root, out, to) if out is not None else None
            if target is not None:
                write_atomic(target, outcome)
                outcome = target
        results.append((path, outcome))
        if on_result:
            on_result(path, outcome)
    return results


# --- citations of the edition and lookup by id ---------------------------------

def edition_file(folder: str | os.PathLike | None = None) -> Path:
    """The edition file of a folder (default: the bundled edition)."""
    from .resources import edition_dir

    return Path(folder or edition_dir()) / EDITION_FILE


def find_document(key: str, folder: str | os.PathLike | None = None) -> Path | None:
    """A document given as a path, or as an ``xml:id`` in ``folder`` (default: the bundled edition)."""
    from .resources import edition_dir

    if Path(key).is_file():
        return Path(key)
    base = Path(folder or edition_dir())
    direct = base / f"{key}.xml"
    candidates = [direct] if direct.is_file() else []
    candidates += [p for p in sorted(base.glob("*.xml")) if p != direct]
    for candidate in candidates:
        doc = _load_cached(candidate)
        if doc is not None and doc.id == key:
            return candidate
    return None
