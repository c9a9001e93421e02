"""The work done on one file: the :class:`Task` protocol, and the tasks that adapt the
library's ``transform`` and ``validate``."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..fsutil import digest_bytes, digest_file, digest_tree
from ..problems import ERROR, Problem
from .journal import dep_digest
from .planning import _format_extension
from .values import CHUNK_MAX, FAILED, OK, Outcome

_IN_POOL_WORKER = False  # set in processes started by _execute_local, which serve one task


class Task:
    """The work done on one file inside a worker process.

    Subclasses are top-level classes holding only plain values: they are pickled
    into spawned workers (and Dask workers), where :meth:`warm` runs once.
    """

    name = "task"
    extension: str | None = None  # output suffix, or None when the task writes nothing
    # May the parent process run chunks too? Only for tasks without native code that
    # could crash it (a worker's crash is retried and quarantined; the parent's is not).
    parent_helps = False
    # Does run() need the file's bytes? Reading and hashing them is wasted on a task that
    # reads its files itself and keeps no journal (validate).
    reads_input = True
    chunk_max = CHUNK_MAX  # the largest chunk; larger for a task whose every call has a fixed cost
    chunk_min = 1  # the smallest chunk that guided scheduling shrinks to

    def fingerprint(self) -> str:
        """Everything besides the input file that decides the result (stylesheets, params...)."""
        return f"{type(self).__module__}.{type(self).__qualname__} {__version__}"

    def warm(self) -> None:
        """Compile stylesheets or schemas once per worker process."""

    def run(self, path: str, data: bytes) -> Outcome:
        raise NotImplementedError

    def run_chunk(self, items: list[tuple[str, bytes]]) -> list[Outcome]:
        """A whole chunk at once, for tasks that share work between files (default: one by one)."""
        return [self.run(path, data) for path, data in items]


def _code_digest(*names: str) -> str:
    """The package's own modules that shape a result: a changed transform.py rebuilds too."""
    here = Path(__file__).resolve().parent.parent  # the package, as when this was one module
    return digest_bytes("".join((digest_file(here / n) or digest_tree(here / n)) for n in names).encode())


def _sorted_params(params: dict | None) -> str:
    return json.dumps(params or {}, sort_keys=True, default=str)



def _context_deps(doc) -> list[tuple[str, str]]:
    """The files next to a document that its output may draw on: the edition file and every
    file it points to. A cheap superset of what ``transform`` reads as context."""
    from ..transform import _pointed_files

    folder = os.fspath(doc.path.parent)
    names = {"edition.xml", *_pointed_files(doc, reuse=True)}  # transform() has just scanned it
    names.discard(doc.path.name)
    deps = []
    for name in sorted(names):
        path = os.path.join(folder, name)
        digest = dep_digest(path)
        if digest:
            deps.append((path, digest))
    return deps


class TransformTask(Task):
    """``transform(document, fmt, params)`` on each file; the output is its text.

    Registers and the edition file a document draws names and titles from are
    recorded as its dependencies, so editing ``persons.xml`` rebuilds the pages.
    """

    name = "transform"

    def __init__(self, fmt: str, params: dict | None = None, extension: str | None = None):
        self.fmt = fmt
        self.params = {k: str(v) for k, v in (params or {}).items()}
        self.extension = extension or _format_extension(fmt)

    def _stylesheet_dir(self) -> Path:
        from ..resources import xslt_dir

        return xslt_dir()

    def fingerprint(self) -> str:
        return digest_bytes("\n".join([
            super().fingerprint(), self.fmt, _sorted_params(self.params),
            digest_tree(self._stylesheet_dir()),
            _code_digest("loader.py", "xslt.py", "formats.py", "transform.py"),
        ]).encode())

    def warm(self) -> None:
        from .. import formats, xslt

        # A pool worker only ever runs this task: one stylesheet lets it start sooner.
        # Any other process (this one, a Dask worker) may run other formats later.
        xslt.warm([formats.get(self.fmt).stylesheet] if _IN_POOL_WORKER else None)

    def run(self, path: str, data: bytes) -> Outcome:
        from ..loader import parse_bytes
        from ..transform import TransformError, skip_reason, transform

        doc = parse_bytes(data, path)
        if isinstance(doc, Problem):
            return Outcome.failed([doc])
        reason = skip_reason(doc)
        if reason:
            return Outcome.skipped(reason)
        try:
            text = transform(doc, self.fmt, self.params or None)
        except TransformError as exc:
            return Outcome.failed([exc.problem])
        return Outcome.ok(text, deps=_context_deps(doc))



class ValidateTask(Task):
    """``validate(chunk, schemas)`` in workers; nothing is written, problems are reported.

    Each chunk is validated together, so registers are read once per chunk and
    pointers into other files are followed as in a serial run. Each file's
    ``xml:id``s come back to the parent, which finds duplicates across chunks.
    """

    name = "validate"
    extension = None
    parent_helps = True  # lxml, Python, Saxon for xslt2 Schematron, and jing in a process of its own
    chunk_max = 200  # each validate() call costs ~10 ms of its own (registers, schemas, report)
    # and one that checks RELAX NG starts jing, a JVM of about a second (tei_all, every foreign
    # edition's fallback): chunks shrinking to a few files each started one (725 letters: 46 s with
    # --jobs 2, against 11 s in one process)
    chunk_min = 100
    reads_input = False  # validate() reads the chunk's files (and the registers) itself

    def __init__(self, schemas: Sequence[str] | None = None, options: dict | None = None,
                 roots: Sequence[str | os.PathLike] | None = None):
        self.schemas = [str(s) for s in schemas] if schemas else None
        self.options = dict(options or {})
        # the folders given, so a chunk's pointers may reach as far as in a serial run
        self.roots = [os.path.abspath(r) for r in roots] if roots else None

    def fingerprint(self) -> str:
        from ..resources import schema_dir

        extra = [digest_file(s) or s for s in self.schemas or ()]
        return digest_bytes("\n".join([
            super().fingerprint(), _sorted_params({"schemas": self.schemas, **self.options}),
            digest_tree(schema_dir()), *extra,
            _code_digest("loader.py", "edition.py", "validation"),
        ]).encode())

    def warm(self) -> None:
        from ..validation import validate

        validate([], self.schemas, **self.options)  # imports and compiles what it can

    def run(self, path: str, data: bytes) -> Outcome:
        return self.run_chunk([(path, data)])[0]

    def run_chunk(self, items: list[tuple[str, bytes]]) -> list[Outcome]:
        import inspect

        from ..validation import validate

        paths = [path for path, _ in items]
        accepted = inspect.signature(validate).parameters
        extra: dict = {}
        found_ids: dict | None = None
        if "roots" in accepted and self.roots:
            extra["roots"] = self.roots
        if "ids" in accepted:
            extra["ids"] = found_ids = {}
        report = validate(paths, self.schemas, **self.options, **extra)
        by_file: dict[str, list[Problem]] = {}
        keys = {os.path.abspath(p): p for p in paths}
        for problem in report.problems:
            owner = keys.get(os.path.abspath(problem.file), paths[0])
            by_file.setdefault(owner, []).append(problem)
        outcomes = []
        for path, _data in items:
            problems = tuple(by_file.get(path, ()))
            ids = found_ids.get(os.path.abspath(path), ()) if found_ids is not None else _ids_of(path)
            if any(p.severity == ERROR for p in problems):
                outcomes.append(Outcome(FAILED, None, problems, data=ids))
            else:
                outcomes.append(Outcome(OK, None, problems, data=ids))
        return outcomes


def _ids_of(path: str) -> tuple[tuple[str, int], ...]:
    """``(xml:id, line)`` of every id in a file, for the cross-chunk check (columns come later,
    only for the rare duplicate)."""
    from ..loader import XML_ID, try_load

    doc = try_load(path)
    if isinstance(doc, Problem):
        return ()
    return tuple((el.get(XML_ID), el.sourceline or 0) for el in doc.root.iter()
                 if isinstance(el.tag, str) and el.get(XML_ID) is not None)


def _locate_id(path: str, value: str, line: int, nth: int = 0) -> tuple[int, int, str | None]:
    """Line, column and element path of an ``xml:id`` attribute, as the validator reports it
    (``nth``: of the ids of that value on that line, the one after ``nth`` others)."""
    from ..loader import XML_ID, try_load

    doc = try_load(path)
    if isinstance(doc, Problem):
        return line, 0, None
    try:
        from ..validation.locate import Locator, simple_path
    except ImportError:  # pragma: no cover
        return line, 0, None
    for el in doc.root.iter():
        if isinstance(el.tag, str) and el.get(XML_ID) == value and (el.sourceline or 0) == line:
            if nth:
                nth -= 1
                continue
            found_line, col = Locator(doc).attribute(el, "xml:id")
            return found_line, col, f"{simple_path(el)}/@xml:id"
    return line, 0, None
