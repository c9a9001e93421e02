"""``validate_incremental``: the Report ``validate_bounded`` gives, re-validating only what changed.

One index file in the cache folder (``index.json``, written atomically) holds, per file of the
edition, its result and the compact facts that the edition-wide checks need. One file rather
than one per source: a rebuild with nothing changed reads it in one go (5,000 small files
cost more to open than to parse), and a corrupt or unreadable index only means a full run.
It holds a file's entry a line (:mod:`.indexfile`), and a run keeps each entry as that text,
decoded where it is used, so the facts of an edition's files never stand in memory as objects.

A file's entry is reused when its key is unchanged. The key covers: the file's bytes (SHA-256,
never time stamps), the run's fingerprint (package version and code, explicit schemas, the
options, the project file's settings, the bundled schemas: ``ValidateTask.fingerprint``), the
folder its pointers may reach, how each schema it declares resolves now (re-resolved on every
run, a stat each), the schema files of the folder of every schema chosen for it (a schema
includes and imports only from its own folder, see :mod:`.schemafile`), and, when it has a
``prefix:value`` pointer, the edition file's ``prefixDef``s.

What a file's result draws from other files is not keyed on those files' bytes but checked
from facts, so that editing one register entry does not re-validate every letter:

* pointers into other files: the entry keeps, for each file its pointers lead into, which
  fragments it looked up and whether each resolved. On reuse each is looked up again in
  that file's current ids (read once per run, kept in the index by digest); the entry is
  reused only if every pointer resolves as before;
* ``unique-ids = "edition"``: the results kept leave out duplicates across files; they are
  found again on every run from each file's ``(xml:id, line)`` pairs, as ``validate`` finds
  them (the first carrier in file order; column and path read from the file only for a
  duplicate);
* a declared schema that cannot be had ("declared by this file and 724 more"): each entry
  keeps the problem its own declarations make alone; they are counted and given to the
  first declaring file on every run;
* a schema that does not compile names the files it could not check: such an edition is
  validated whole by ``validate_bounded`` until it compiles again (rare, and correct).

Files whose entry misses are validated by the batch runner (``ValidateTask`` chunks, in
worker processes when ``jobs`` asks for them and there are many, one chunk's trees at a time),
with the edition file added to every chunk so that its ``prefixDef``s apply as in one
``validate`` call. Entries of files no longer in the edition are dropped.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Callable, Sequence

from .. import loader
from ..batch.tasks import ValidateTask, _locate_id
from ..config import DEFAULT, discover
from ..edition import EDITION, Edition, classify, discover_roots, prefix_defs, scan, split_pointer
from ..fsutil import digest_bytes, digest_file, digest_tree
from ..loader import Document
from ..problems import ERROR, Problem, Report
from .indexfile import Entry, entry_of, read_index, write_index

__all__ = ["validate_incremental", "INDEX"]

INDEX = "index.json"
_FORMAT = 3  # 3: a file a line (.indexfile)
# what a schema may include or import from its folder; other files there (documents) are not read
_SCHEMA_SUFFIXES = (".xsd", ".rng", ".sch", ".xsl", ".xslt", ".dtd", ".ent", ".mod")
_ACROSS = "every xml:id must be unique across the edition"


def validate_incremental(paths: Sequence[str | os.PathLike] | str | os.PathLike | None,
                         cache_folder: str | os.PathLike,
                         schemas: Sequence[str | os.PathLike] | None = None, *, jobs: int | None = None,
                         progress: Callable[[str], None] | None = None, **options) -> Report:
    """``validate_bounded(paths, schemas, progress=progress, **options)``'s Report, validating again
    only the files whose result may have changed since the last call with this ``cache_folder``
    (created if needed). ``jobs``: worker processes for the files that must be validated, as
    ``run_validate``'s. Raises KeyboardInterrupt when interrupted, as ``validate_bounded`` does."""
    from . import AUTO
    from .bounded import validate_bounded
    from .choose import explicit

    if schemas and any(isinstance(explicit(s), Problem) for s in schemas):
        return validate_bounded(paths, schemas, progress=progress, **options)  # the schema's problem alone

    if paths is None:
        from ..resources import edition_dir

        paths = [edition_dir()]
    elif isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    config = options.get("config", AUTO)
    options["config"] = config = (discover(paths) if config == AUTO else config) or DEFAULT
    run = _Run(paths, schemas, options, config, Path(cache_folder))
    misses = run.plan()
    if misses:
        run.validate(misses, jobs, progress)
    if run.unusable:
        run.save()
        return validate_bounded(paths, schemas, progress=progress, **options)
    report = run.report()
    run.save()
    return report


def _well_formed(entry: dict) -> bool:
    """An entry read back has the shape this module writes (or is validated again)."""
    problems = [_problem(v) for v in entry["problems"] + entry["declared"]]
    return (all(isinstance(p.line, int) and isinstance(p.message, str) for p in problems)
            and all(isinstance(value, str) and isinstance(line, int) for value, line in entry["ids"])
            and all(len(t) == 4 and len(t[2]) == len(t[3]) for t in entry["targets"]))


def _problem(values) -> Problem:
    return Problem(*values)


def _values(p: Problem) -> list:
    return [p.file, p.line, p.col, p.severity, p.rule, p.message, p.xpath]


class _Run:
    """One incremental run: the index read, the keys compared, the misses validated, the Report."""

    def __init__(self, paths, schemas, options, config, folder: Path):
        self.options = options
        self.config = config
        self.schemas = [str(s) for s in schemas] if schemas else None
        self.folder = folder
        self.index_path = folder / INDEX
        found = discover_roots(paths)
        self.files = [os.path.abspath(f) for f, _ in found]
        # problems name a file as it was given (relative or not), as validate's do
        self.names = {os.path.abspath(f): str(f) for f, _ in found}
        roots = [p if os.path.isdir(p) else os.path.dirname(os.path.abspath(p)) for p in map(os.fspath, paths)]
        self.roots = [os.path.abspath(r) for r in roots]
        self.task = _FactsTask(self.schemas, {k: v for k, v in options.items() if k != "progress"}, self.roots)
        # which files the project file names as registers decides which may be the edition file
        self.fingerprint = digest_bytes(json.dumps([self.task.fingerprint(),
                                                    [str(p) for p in config.register_files()]]).encode())
        wider = [str(config.root)] if config.root else []
        wider += sorted(self.roots, key=len, reverse=True)
        from . import _widest

        self.place = {f: str(_widest(Path(f), Path(os.path.dirname(f)), wider)) for f in self.files}
        old, entries = read_index(self.index_path, self._same)
        self.entries: dict[str, Entry] = entries  # each file's entry as JSON text, decoded where used
        same = self._same(old)
        self.targets: dict[str, list] = old.get("targets", {})
        self.unusable = bool(old.get("unusable")) and same
        self.changed = not same or set(self.entries) != set(self.files)
        self.digests: dict[str, str | None] = {}
        self._schema_states: dict[str, str] = {}
        self._outcomes: dict[tuple, str] = {}
        self._current: dict[str, tuple[str, frozenset]] = {}

    def _same(self, head: dict) -> bool:
        """Was the index made by a run like this one (its entries may be reused)?"""
        return head.get("fingerprint") == self.fingerprint and head.get("format") == _FORMAT

    # --- which files must be validated again --------------------------------

    def plan(self) -> list[str]:
        for f in self.files:
            self.digests[f] = digest_file(f)
        self.entries = {f: e for f, e in self.entries.items() if f in self.digests and e.digest == self.digests[f]}
        if self.unusable:  # the last run met a schema that does not compile: all again, then see
            self.entries, self.unusable = {}, False
        self.edition_file, self.edition_sig = self._edition_file()
        misses = []
        for f in self.files:
            kept = self.entries.get(f)
            try:
                entry = kept.decoded() if kept is not None else None
                fresh = (entry is not None and entry["key"] == self._key(f, entry) and _well_formed(entry)
                         and self._pointers_hold(entry))
            except (KeyError, TypeError, ValueError, AttributeError):  # an entry of another shape: validate again
                fresh = False
            if not fresh:
                self.entries.pop(f, None)
                misses.append(f)
        return misses

    def _edition_file(self) -> tuple[str | None, str]:
        """The first file of kind ``edition``, and its prefixDefs (what ``Edition.prefixes`` uses)."""
        registers = {str(p) for p in self.config.register_files()}
        for f in self.files:
            entry = self.entries.get(f)
            if entry is not None and entry.kind is not None:
                if entry.kind == EDITION:
                    return f, entry.decoded().get("prefixes", "")
                continue
            if f in registers:
                continue
            try:
                with open(f, "rb") as fh:
                    if b"edition" not in fh.read():  # classify() needs text/@type="edition"
                        continue
            except OSError:
                continue
            doc = loader.try_load(f)
            if isinstance(doc, Document) and classify(doc) == EDITION:
                return f, _prefix_signature(doc)
        return None, ""

    def _key(self, f: str, entry: dict) -> str:
        outcomes = "\0".join(self._outcome(folder, href, kind) for folder, href, kind in entry["declared_hrefs"])
        states = "\0".join(self._schema_state(path) for path in entry["schema_paths"])
        return digest_bytes("\n".join([
            self.fingerprint, self.digests[f] or "", self.place[f], outcomes, states,
            self.edition_sig if entry["prefixed"] else "",
        ]).encode())

    def _outcome(self, folder: str, href: str, kind: str | None) -> str:
        """How a declared schema resolves now (a stat; a remote one is looked up in the fetch cache)."""
        key = (folder, href, kind)
        if key not in self._outcomes:
            self._outcomes[key] = json.dumps(_resolved(self.task.chooser(), folder, href, kind))
        return self._outcomes[key]

    def _schema_state(self, path: str) -> str:
        folder = os.path.dirname(path)
        if folder not in self._schema_states:
            self._schema_states[folder] = digest_tree(folder, _SCHEMA_SUFFIXES) if os.path.isdir(folder) else ""
        return self._schema_states[folder]

    def _pointers_hold(self, entry: dict) -> bool:
        for path, state, fragments, resolved in entry["targets"]:
            now, ids = self._target(path)
            if now != state or _found(now, ids, fragments) != resolved:
                return False
        return True

    def _target(self, path: str) -> tuple[str, frozenset]:
        """A pointed-to file's state now (``doc``, ``missing``, ``bad:RULE``, ``outside``) and its ids."""
        if path not in self._current:
            if path.startswith("outside:"):
                self._current[path] = ("outside", frozenset())
                return self._current[path]
            digest = digest_file(path)
            kept = self.targets.get(path)
            if digest is not None and isinstance(kept, list) and len(kept) == 3 and kept[0] == digest:
                self._current[path] = (kept[1], frozenset(kept[2]))
            else:
                state, ids = _target_state(path)
                self.targets[path] = [digest, state, sorted(ids)]
                self.changed = True
                self._current[path] = (state, ids)
        return self._current[path]

    # --- validating the misses ----------------------------------------------

    def validate(self, misses: list[str], jobs: int | None, progress) -> None:
        from ..batch import plan as plan_jobs
        from ..batch import run
        from .bounded import CHUNK

        self.changed = True
        task = self.task
        task.edition_file = self.edition_file
        serial = jobs == 0 or (jobs is None and len(misses) <= CHUNK)
        if serial:  # as validate_bounded: chunks as large as it validates in one call
            task.chunk_max = task.chunk_min = CHUNK
            jobs = 0
            if progress is not None:
                task.options["progress"] = progress  # never pickled: jobs=0 runs every chunk here
        # Past a chunk's files the workers validate them all: what this process validated would
        # stay in it (Saxon's heap grows with the documents it checks: 175 MB of a 500-letter build).
        task.parent_helps = len(misses) <= CHUNK
        job_list = [dataclasses.replace(job, explicit=True) for job in plan_jobs([self.names[f] for f in misses])]

        wanted = set(misses)

        def collect(result) -> None:  # each file's facts become its entry's text as they come
            f = os.path.abspath(result.job.source)
            if f in wanted:
                self._enter(f, result.problems, result.data)

        summary = run(job_list, task, None, jobs=jobs, quiet=True, progress=False, journal=False,
                      on_result=collect)
        task.options.pop("progress", None)
        if summary.interrupted:
            raise KeyboardInterrupt
        for f in misses:
            if f not in self.entries:
                self._enter(f, (), None)

    def _enter(self, f: str, problems, facts) -> None:
        from ..batch.runner import _UNCHECKED

        if any(_UNCHECKED.search(p.message) for p in problems):
            self.unusable = True
        entry = {"digest": self.digests[f], "name": self.names[f],
                 "problems": [_values(p) for p in self._own(problems)]}
        if isinstance(facts, dict):
            self.targets.update(facts.pop("target_ids", {}))
            entry.update(facts)
            entry["key"] = self._key(f, entry)
        else:  # no facts (the chunk failed in a worker): kept for this report only
            entry.update(key="", declared_hrefs=[], schema_paths=[], prefixed=False, targets=[], ids=[],
                         declared=[])
        self.entries[f] = entry_of(entry)  # as text: see .indexfile

    def _own(self, problems) -> list[Problem]:
        """A file's problems without those a run over other files would word differently:
        the declaration problems (counted over the edition) and duplicates across files."""
        from ..batch.runner import _DECLARED

        across = self.config.unique_ids == "edition"
        return [p for p in problems if not (
            (p.rule == "xml-model" or _DECLARED.search(p.message))
            or (across and p.rule == "id-unique" and p.message.endswith(_ACROSS)))]

    # --- the Report -----------------------------------------------------------

    def report(self) -> Report:
        problems, declared, ids = [], [], []
        across = self.config.unique_ids == "edition"
        for f in self.files:  # each entry decoded once, and let go
            entry, name = self.entries[f].decoded(), self.names[f]
            kept = entry.get("name")
            problems += [_problem([name if v[0] == kept else v[0], *v[1:]]) for v in entry["problems"]]
            if entry.get("declared"):
                declared.append((f, kept, entry["declared"]))
            if across and entry.get("ids"):
                ids.append((f, entry["ids"]))
        extra = self._declarations(declared)
        if across:
            extra += self._duplicates(ids)
        ignored = set(self.config.ignore)
        problems += [p for p in extra if p.rule not in ignored]
        return Report.of(problems, self.names.values())

    def _declarations(self, declared: list[tuple[str, str, list]]) -> list[Problem]:
        """Each declared schema that cannot be had, once, on the first file declaring it,
        counting every file that does (as one ``Chooser`` over the edition says it).
        ``declared``: (file, the name its entry gives it, its declaration problems), in order."""
        from ..batch.runner import _counted, _recount

        found: dict[tuple, list] = {}
        for f, kept, problems in declared:
            for values in problems:
                p = _problem([self.names[f] if values[0] == kept else values[0], *values[1:]])
                counted = _counted(p)
                key = (p.rule, counted[0] if counted else p.message)
                found.setdefault(key, []).append((p, counted))
        problems = []
        for places in found.values():
            first, counted = places[0]
            if counted:
                first = dataclasses.replace(first, message=_recount(counted[0], len(places), counted[2]))
            problems.append(first)
        return problems

    def _duplicates(self, ids: list[tuple[str, list]]) -> list[Problem]:
        """``validate``'s duplicates across the edition, from each file's ``(xml:id, line)``
        (``ids``: by file, in order)."""
        first: dict[str, tuple[str, int]] = {}
        problems = []
        for f, pairs in ids:
            seen: dict[tuple, int] = {}  # (id, line) -> how many came before on that line
            for value, line in pairs:
                nth = seen[(value, line)] = seen.get((value, line), -1) + 1
                if value not in first:
                    first[value] = (f, line)
                    continue
                other, other_line = first[value]
                line, col, where = _locate_id(f, value, line, nth)
                other_line = _locate_id(other, value, other_line)[0]
                name = self.names[f]
                at = ("earlier in this file" if other == f
                      else "at " + os.path.relpath(self.names[other], os.path.dirname(name)))
                problems.append(Problem(name, line, col, ERROR, "id-unique",
                                        f"xml:id \"{value}\" is already used {at} (line {other_line}); {_ACROSS}",
                                        where))
        return problems

    def save(self) -> None:
        if not self.changed:
            return
        kept, wanted = [], set()
        for f in self.files:
            entry = self.entries[f].decoded() if f in self.entries else {}
            if entry.get("key"):
                kept.append(f)
                wanted.update(t[0] for t in entry["targets"])
        head = {"format": _FORMAT, "fingerprint": self.fingerprint, "unusable": self.unusable,
                "targets": {p: v for p, v in self.targets.items() if p in wanted}}
        try:
            write_index(self.index_path, head, ((f, self.entries[f].text) for f in kept))
        except OSError:
            pass  # a cache that cannot be written only costs time next run


# --- facts about one file, gathered where it is validated --------------------

def _prefix_signature(doc: Document) -> str:
    return json.dumps([(ident, pattern.pattern, replacement) for ident, (pattern, replacement) in prefix_defs(doc)])


def _resolved(chooser, folder: str, href: str, kind: str | None) -> list:
    from .choose import Declared, SchemaRef

    outcome = chooser._resolve(folder, Declared(href, kind, lambda: (1, 1)))
    if isinstance(outcome, SchemaRef):
        return ["schema", outcome.kind, str(outcome.path)]
    return ["unusable", *outcome]


def _found(state: str, ids: frozenset, fragments: list[str]) -> str:
    """Which fragments resolve in a pointed-to file, one character each ("" is the file itself)."""
    return "".join("1" if state == "doc" and (not fr or fr in ids) else "0" for fr in fragments)


def _target_state(path: str) -> tuple[str, frozenset]:
    """What a pointer finds in a file: as ``Edition`` loads a file pointed to (not only TEI)."""
    if not os.path.isfile(path):
        return "missing", frozenset()
    doc = loader.try_load(path, require_tei=False)
    if isinstance(doc, Problem):
        return f"bad:{doc.rule}", frozenset()
    return "doc", frozenset(value for value, _el in scan(doc).ids)


def _looked_up(edition: Edition, doc: Document) -> dict[str, set[str]]:
    """Each file ``doc``'s pointers lead into (as ``Edition.resolver`` follows them, prefixDefs
    expanded), with the fragments looked up there ("" for the whole file). A pointer leading
    out of the input folder is kept as ``outside:PATH``."""
    by_part: dict[str, tuple[str, set[str]]] = {}  # file part -> (a pointer naming it, fragments)
    for _el, _attr, value in edition.attributes(doc).pointers:
        for pointer in value.split():
            parts = split_pointer(pointer)
            if parts is None:  # prefix:value, followed once expanded (a URI is not followed)
                pointer = edition.expand(pointer, doc) or ""
                parts = split_pointer(pointer) if ":" not in pointer.partition("#")[0] else None
            if parts is None or not parts[0]:
                continue
            by_part.setdefault(parts[0], (pointer, set()))[1].add(parts[1] or "")
    found: dict[str, set[str]] = {}
    for pointer, fragments in by_part.values():
        target = edition.document_for(pointer, doc)
        if isinstance(target, Document):
            where = os.path.abspath(target.path)
        elif isinstance(target, Problem):
            where = ("outside:" if target.rule == "pointer-outside" else "") + os.path.abspath(target.file)
        else:
            continue
        found.setdefault(where, set()).update(fragments)
    return found


class _Asked(dict):
    """The ``Chooser``'s resolved declarations, noting which of them a document asked for."""

    keys_asked: list

    def get(self, key, default=None):
        self.keys_asked.append(key)
        return super().get(key, default)


class _FactsTask(ValidateTask):
    """``ValidateTask`` whose outcomes also carry what an incremental run keeps of each file:
    its ids, the schemas chosen for it and why, its kind, and the files its pointers read.
    The edition file joins every chunk, so its prefixDefs apply as in one ``validate`` call."""

    edition_file: str | None = None

    def chooser(self):
        from .choose import Chooser, explicit

        config = self.options.get("config") or DEFAULT
        given = [explicit(s) for s in self.schemas] if self.schemas else []
        return Chooser(config, [g for g in given if not isinstance(g, Problem)],
                       declared=self.options.get("xml_model", True), fetch=self.options.get("fetch"))

    def run_chunk(self, items: list[tuple[str, bytes]]) -> list:
        from . import _widest

        paths = {os.path.abspath(p) for p, _ in items}
        extra = [(self.edition_file, b"")] if self.edition_file and self.edition_file not in paths else []
        outcomes = super().run_chunk(items + extra)[:len(items)]
        config = self.options.get("config") or DEFAULT
        registers = {str(p) for p in config.register_files()}
        wider = [str(config.root)] if config.root else []
        wider += sorted(self.roots or (), key=len, reverse=True)
        # one Edition for the chunk: registers read, prefixDefs expanded, once for all its files
        edition = Edition(register_paths=registers)
        if self.edition_file and self.edition_file not in paths:
            edition.add(self.edition_file, loader.try_load(self.edition_file))
        docs = []
        for path, _ in items:  # all added first: the Edition finds its edition file once
            doc = loader.try_load(path)
            docs.append(doc)
            if isinstance(doc, Document):
                edition.add(path, doc, _widest(Path(path), Path(os.path.dirname(os.path.abspath(path))), wider))
        shared: dict = {}
        return [dataclasses.replace(o, data=self._facts(path, o.data, doc, edition, shared))
                for (path, _), o, doc in zip(items, outcomes, docs)]

    def _facts(self, path: str, ids, doc, edition: Edition, shared: dict) -> dict:
        from .locate import Locator

        facts: dict = {"ids": [list(pair) for pair in ids or ()], "declared_hrefs": [], "schema_paths": [],
                       "prefixed": False, "targets": [], "declared": [], "target_ids": {}}
        if not isinstance(doc, Document):
            return facts
        located: list[Locator] = []

        def locator() -> Locator:
            if not located:
                located.append(Locator(doc))
            return located[0]

        chooser = self.chooser()
        asked = chooser._outcomes = shared.setdefault("outcomes", _Asked())  # resolved once a chunk
        asked.keys_asked = []
        refs = chooser.choose(doc, locator)
        facts["declared_hrefs"] = sorted(map(list, set(asked.keys_asked)))
        facts["schema_paths"] = sorted({str(r.path) for r in refs})
        facts["declared"] = [_values(p) for p in chooser.declaration_problems()]
        facts["kind"] = edition.kind(doc)
        if facts["kind"] == EDITION:
            facts["prefixes"] = _prefix_signature(doc)
        pointers = edition.attributes(doc).pointers
        facts["prefixed"] = any(split_pointer(p) is None for _el, _a, v in pointers for p in v.split())
        seen = shared.setdefault("targets", {})  # the registers a chunk's files point into, read once
        for target, fragments in sorted(_looked_up(edition, doc).items()):
            if target.startswith("outside:"):
                state, ids_there = "outside", frozenset()
            else:
                if target not in seen:
                    state, found = _target_state(target)
                    seen[target] = ([digest_file(target), state, sorted(found)], found)
                facts["target_ids"][target] = seen[target][0]
                state, ids_there = seen[target][0][1], seen[target][1]
            ordered = sorted(fragments)
            facts["targets"].append([target, state, ordered, _found(state, ids_there, ordered)])
        return facts
