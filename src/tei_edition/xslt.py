"""The hardened saxonche engine: one processor per process, every stylesheet compiled once.

Hardening (measured on saxonche 13.1.1):
- all stylesheets are compiled first, then ``allowedProtocols`` is set to "" under its
  full feature URI (the short name "allowedProtocols" is silently ignored); from then on
  ``doc()``, ``document()``, ``unparsed-text()`` and ``json-doc()`` are refused, and no
  new stylesheet can be compiled, so :func:`warm` compiles them all up front;
- sources reach Saxon only as text already parsed by ``tei_edition.loader`` (entities
  expanded, external ones refused) and re-serialised from the root element, so no DTD
  is ever seen by Saxon's parser;
- executables are cloned before parameters are set (setting first, then cloning, segfaulted);
- results come back with ``transform_to_string`` and are written by Python.

Saxon reports positions only on native stderr (fd 2); it is captured around each call
and turned into a :class:`Problem`.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from pathlib import Path
from typing import Mapping, Sequence

from .problems import ERROR, Problem, ProblemError
from .resources import xslt_dir

ALLOWED_PROTOCOLS = "http://saxon.sf.net/feature/allowedProtocols"

_lock = threading.RLock()
_engine: "_Engine | None" = None


class XsltError(ProblemError):
    """A stylesheet failed to compile or run; carries the :class:`Problem`."""


class _Engine:
    def __init__(self):
        import locale

        from saxonche import PySaxonProcessor

        self.pid = os.getpid()
        saved = locale.setlocale(locale.LC_ALL)
        self.proc = PySaxonProcessor(license=False)
        # Saxon's native start sets the C locale from the environment (LC_COLLATE=C.UTF-8, which
        # Python reports as en_US.UTF-8, a locale that may not exist): put back what Python had,
        # or xmlschema's XPath collations fail later with "unsupported locale setting"
        try:
            locale.setlocale(locale.LC_ALL, saved)
        except locale.Error:
            pass
        self.executables: dict[str, object] = {}
        self.hardened = False

    def compile_all(self, folder: Path, names=None) -> None:
        wanted = None if names is None else set(names)
        for sheet in sorted(folder.glob("*.xsl")):
            if sheet.stem not in self.executables and (wanted is None or sheet.stem in wanted):
                self.executables[sheet.stem] = self._compile(sheet)
        self.harden()

    def _compile(self, sheet: Path):
        compiler = self.proc.new_xslt30_processor()
        try:
            with _NativeStderr() as err:
                return compiler.compile_stylesheet(stylesheet_file=str(sheet))
        except Exception as exc:  # saxonche raises PySaxonApiError
            raise XsltError(_problem(str(sheet), exc, err.text, stylesheet=True)) from None

    def harden(self) -> None:
        if not self.hardened:
            self.proc.set_configuration_property(ALLOWED_PROTOCOLS, "")
            self.hardened = True


def engine(names=None) -> _Engine:
    """The process's engine (a fresh one after a fork), its stylesheets compiled.

    The first call decides what is compiled: ``names`` (a worker that runs one format
    needs one stylesheet) or, by default, all of them. After that nothing more can be.
    """
    global _engine
    with _lock:
        if _engine is None or _engine.pid != os.getpid():
            eng = _Engine()
            eng.compile_all(xslt_dir(), names)
            _engine = eng
        return _engine


def warm(names=None) -> list[str]:
    """Compile stylesheets now (e.g. in a worker initialiser); return the names compiled.

    ``names``: only these (e.g. ``["html"]``: a worker then starts faster); None = all.
    Once the engine is hardened it cannot read a stylesheet file, so a process must
    warm everything it will run before its first transformation.
    """
    return sorted(engine(names).executables)


def stylesheets() -> list[str]:
    """Names of the stylesheets in ``xslt/`` (without compiling them)."""
    return sorted(p.stem for p in xslt_dir().glob("*.xsl"))


def parse(xml_text: str, file: str = "<string>"):
    """Parse already-safe XML text into a Saxon node (for node-valued parameters)."""
    eng = engine()
    with _lock:
        try:
            with _NativeStderr() as err:
                return eng.proc.parse_xml(xml_text=xml_text)
        except Exception as exc:
            raise XsltError(_problem(file, exc, err.text)) from None


def run(stylesheet: str, xml_text: str, params: Mapping[str, object] | None = None, *,
        file: str = "<string>", properties: Mapping[str, str] | None = None) -> str:
    """Run a compiled stylesheet on XML text; return the serialised result.

    ``params`` values are strings (passed as xs:string) or nodes from :func:`parse`.
    Raises :class:`XsltError` with a Problem located in ``file``.
    """
    result = run_many([(stylesheet, params, properties)], xml_text, file=file)[0]
    if isinstance(result, Problem):
        raise XsltError(result)
    return result


def run_many(jobs: Sequence[tuple[str, Mapping[str, object] | None, Mapping[str, str] | None]],
             xml_text: str, *, file: str = "<string>") -> list[str | Problem]:
    """Run several compiled stylesheets on one XML text, parsed into Saxon once.

    ``jobs``: ``(stylesheet, params, properties)`` each, as :func:`run` takes them. Returns,
    in the same order, each one's serialised result or the Problem that stopped it (the one
    :func:`run` would raise): a failing stylesheet costs only its own result.
    """
    eng = engine()
    executables = [_executable(eng, name, file) for name, _params, _props in jobs]
    if all(isinstance(x, Problem) for x in executables):
        return executables
    with _lock:
        try:
            with _NativeStderr() as err:
                node = eng.proc.parse_xml(xml_text=xml_text)
        except Exception as exc:
            failed = _problem(file, exc, err.text)
            return [x if isinstance(x, Problem) else failed for x in executables]
        return [x if isinstance(x, Problem) else _apply(eng, x, node, params, properties, file)
                for x, (_name, params, properties) in zip(executables, jobs)]


def _executable(eng: _Engine, stylesheet: str, file: str):
    """The compiled stylesheet, or the Problem of its absence."""
    try:
        return eng.executables[stylesheet]
    except KeyError:
        known = stylesheets()
        why = (f"the stylesheet {stylesheet!r} was not compiled in this process (warm() was given "
               f"{sorted(eng.executables)})" if stylesheet in known else f"no stylesheet named {stylesheet!r}")
        return Problem(file, 0, 0, ERROR, "xslt", why)


def _apply(eng: _Engine, executable, node, params, properties, file: str) -> str | Problem:
    """One stylesheet on a parsed node (the caller holds the lock), its own stderr captured."""
    try:
        with _NativeStderr() as err:
            job = executable.clone()  # clone first: setting parameters before cloning segfaulted
            for key, value in (properties or {}).items():
                job.set_property(key, value)
            for name, value in (params or {}).items():
                if value is None:
                    continue
                if isinstance(value, (str, int, float, bool)):
                    value = eng.proc.make_string_value(str(value))
                job.set_parameter(name, value)
            result = job.transform_to_string(xdm_node=node)
    except Exception as exc:
        return _problem(file, exc, err.text)
    if result is None:
        return _problem(file, "the stylesheet produced no result", err.text)
    return result


_spool = threading.local()


class _NativeStderr:
    """Redirect fd 2 to a temporary file for the duration of a Saxon call.

    The file is made once per thread and emptied before each call (creating one per
    call cost more than a small transformation)."""

    def __enter__(self):
        self.text = ""
        try:
            sys.stderr.flush()
        except Exception:
            pass
        tmp = getattr(_spool, "file", None)
        if tmp is None or getattr(_spool, "pid", None) != os.getpid():
            tmp = _spool.file = tempfile.TemporaryFile()
            _spool.pid = os.getpid()
        tmp.seek(0)
        tmp.truncate()
        self._tmp = tmp
        self._saved = os.dup(2)
        os.dup2(tmp.fileno(), 2)
        return self

    def __exit__(self, *exc):
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._tmp.seek(0)
        self.text = self._tmp.read().decode("utf-8", "replace")
        return False


_WHERE = re.compile(r"(?:Error|Warning|Fatal error)\s+(?:at char \d+ in expression in \S+ )?on line (\d+) column (\d+) of ([^:\s]+):")
_WHERE2 = re.compile(r"on line (\d+) column (\d+) of ([^:\s]+):")
_CODE = re.compile(r"^\s+([A-Z]{4}\d{4}|[A-Z]+\d+)\s+(.*)$")
_CODE_INLINE = re.compile(r"\b([A-Z]{4}\d{4})\s+(.+)$")


def _problem(file: str, exc, native: str, stylesheet: bool = False) -> Problem:
    """Turn Saxon's exception text and native stderr into one clean Problem."""
    message = " ".join(str(exc).split()) or "the transformation failed"
    line = col = 0
    where = ""
    code = "xslt"
    both = native + "\n" + str(exc)
    m = _WHERE.search(both) or _WHERE2.search(both)
    if m:
        line, col, module = int(m.group(1)), int(m.group(2)), m.group(3)
        where = f"{module}:{line}:{col}"
    for raw in both.splitlines():
        c = _CODE.match(raw) or _CODE_INLINE.search(raw)
        if c:
            code = c.group(1)
            message = " ".join(c.group(2).split())
            break
    # Messages of xsl:message come first on stderr; keep them, they say what went wrong.
    first = native.strip().splitlines()[0].strip() if native.strip() else ""
    if first and not first.startswith(("Error", "Warning", "Type error", "Static error")) and first not in message:
        message = f"{first} ({message})"
    if stylesheet:
        return Problem(file, max(line, 0), max(col, 0), ERROR, code, message)
    detail = f" (in stylesheet {where})" if where else ""
    return Problem(file, 0, 0, ERROR, code, message + detail)
