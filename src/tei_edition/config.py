"""The edition's project file, ``tei-edition.toml``: found, parsed and checked.

An edition may keep one project file at its root. Commands find it by walking
up from their inputs, as git and ruff find theirs; with none, TEI's own rules
apply. TOML is the format because it is what Python projects already write
(``pyproject.toml``), it has comments, and the standard library reads it.

Everything an edition decides for itself lives here, never in code: its title
and base URL, the schemas it is judged by, which of the toolkit's optional
rules apply, and its register files. Paths are relative to the project file.
An unknown key or a bad value is a :class:`ConfigError` with ``file:line:col``.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from .problems import ERROR, Problem, ProblemError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

FILENAME = "tei-edition.toml"
SCHEMA_KINDS = {".xsd": "xsd", ".rng": "rng", ".sch": "sch"}
FALLBACKS = ("tei_all", "none")
UNIQUE_IDS = ("document", "edition")
SEVERITIES = ("error", "warning", "off")
MAX_BYTES = 1024 * 1024


class ConfigError(ProblemError):
    """The project file cannot be used; carries a located :class:`Problem`."""


@dataclass(frozen=True)
class SchemaSpec:
    """One schema the edition names: its file, its kind, and a Schematron phase."""

    path: Path
    kind: str
    phase: str | None = None


@dataclass(frozen=True)
class Config:
    """An edition's settings (the defaults are TEI's rules and nothing more)."""

    path: Path | None = None                # the project file; None: no file, defaults
    title: str | None = None
    base_url: str | None = None
    schemas: tuple[SchemaSpec, ...] = ()    # replace the documents' declared schemas
    declared_schemas: bool = True           # honour <?xml-model?> and xsi:schemaLocation
    fetch_schemas: bool = False             # download remote declared schemas into the cache
    fallback: str = "tei_all"               # what a document with no usable schema meets
    unique_ids: str = "document"            # where an xml:id must be unique
    bare_pointers: str = "warning"          # a pointer that is a bare word, not a URI
    ignore: tuple[str, ...] = ()            # rule ids never reported
    registers: tuple[str, ...] = ()         # glob patterns of register files
    site_css: Path | None = None            # the edition's style sheet, linked after the site's
    site_templates: Path | None = None      # a folder of page templates replacing the site's

    @property
    def root(self) -> Path | None:
        return self.path.parent if self.path else None

    def register_files(self) -> list[Path]:
        """The files the ``registers`` patterns match, sorted."""
        if not self.root:
            return []
        found: set[Path] = set()
        for pattern in self.registers:
            found.update(p.resolve() for p in self.root.glob(pattern) if p.is_file())
        return sorted(found)


DEFAULT = Config()


# --- finding ----------------------------------------------------------------

def find(paths: Iterable[str | os.PathLike] | None = None) -> Path | None:
    """The project file that governs ``paths``: the nearest ``tei-edition.toml``
    in the first path's folder or above it (the bundled edition's with no paths)."""
    paths = list(paths or ())
    if not paths:
        from .resources import edition_dir

        paths = [edition_dir()]
    start = Path(os.path.abspath(paths[0]))
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        file = candidate / FILENAME
        if file.is_file():
            return file
    return None


def discover(paths: Iterable[str | os.PathLike] | None = None) -> Config:
    """:func:`load` the project file found for ``paths``, or the defaults."""
    file = find(paths)
    return load(file) if file else DEFAULT


# --- reading ----------------------------------------------------------------

# Every key, its table, and how its value is read. A key not listed is an error.
_KEYS: dict[str, dict[str, str]] = {
    "edition": {"title": "str", "base-url": "url"},
    "validate": {"schemas": "schemas", "declared-schemas": "bool", "fetch-schemas": "bool",
                 "fallback": FALLBACKS, "unique-ids": UNIQUE_IDS, "bare-pointers": SEVERITIES,
                 "ignore": "strlist"},
    "registers": {"files": "strlist"},
    "site": {"css": "file", "templates": "folder"},
}


def load(path: str | os.PathLike) -> Config:
    """Read and check a project file; raise :class:`ConfigError` with ``file:line:col``."""
    path = Path(os.path.abspath(path))
    try:
        data = path.read_bytes()[: MAX_BYTES + 1]
    except OSError as exc:
        raise ConfigError(Problem(str(path), 0, 0, ERROR, "config", f"cannot read the project file: {exc.strerror}"))
    if len(data) > MAX_BYTES:
        raise ConfigError(Problem(str(path), 0, 0, ERROR, "config", "the project file is larger than 1 MB"))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(Problem(str(path), line, 1, ERROR, "config", "the project file is not UTF-8"))
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        line, col = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc)) or "not valid TOML"
        raise ConfigError(Problem(str(path), line, col, ERROR, "config", f"not valid TOML: {message}"))
    return _Reader(path, text).read(table)


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def fail(self, section: str, key: str | None, message: str):
        line, col = locate(self.lines, section, key)
        raise ConfigError(Problem(str(self.path), line, col, ERROR, "config", message))

    def read(self, table: dict) -> Config:
        values: dict[str, object] = {}
        for section, body in table.items():
            if section not in _KEYS:
                known = ", ".join(f"[{s}]" for s in _KEYS)
                self.fail(section, None, f"unknown table [{section}]; the project file knows {known}")
            if not isinstance(body, dict):
                self.fail(section, None, f"'{section}' must be a table: [{section}]")
            for key, value in body.items():
                kind = _KEYS[section].get(key)
                if kind is None:
                    known = ", ".join(_KEYS[section])
                    self.fail(section, key, f"unknown key '{key}' in [{section}]; known keys: {known}")
                values[f"{section}.{key}"] = self.value(section, key, value, kind)
        get = values.get
        return Config(
            path=self.path,
            title=get("edition.title"),
            base_url=get("edition.base-url"),
            schemas=tuple(get("validate.schemas", ())),
            declared_schemas=get("validate.declared-schemas", True),
            fetch_schemas=get("validate.fetch-schemas", False),
            fallback=get("validate.fallback", DEFAULT.fallback),
            unique_ids=get("validate.unique-ids", DEFAULT.unique_ids),
            bare_pointers=get("validate.bare-pointers", DEFAULT.bare_pointers),
            ignore=tuple(get("validate.ignore", ())),
            registers=tuple(get("registers.files", ())),
            site_css=get("site.css"),
            site_templates=get("site.templates"),
        )

    def value(self, section: str, key: str, value, kind):
        if isinstance(kind, tuple):
            if value not in kind:
                self.fail(section, key, f"'{key}' must be one of {', '.join(repr(k) for k in kind)}, "
                                        f"not {value!r}")
            return value
        if kind == "bool":
            if not isinstance(value, bool):
                self.fail(section, key, f"'{key}' must be true or false, not {value!r}")
            return value
        if kind in ("str", "url"):
            if not isinstance(value, str) or not value.strip():
                self.fail(section, key, f"'{key}' must be a non-empty string")
            if kind == "url" and not value.startswith(("http://", "https://")):
                self.fail(section, key, f"'{key}' must start with http:// or https://, not {value!r}")
            return value
        if kind in ("file", "folder"):
            return self.inside(section, key, value, kind)
        if kind == "strlist":
            if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                self.fail(section, key, f"'{key}' must be a list of strings, e.g. {key} = [\"a\", \"b\"]")
            return value
        return [self.schema(section, key, item) for item in self.as_list(section, key, value)]

    def inside(self, section: str, key: str, value, kind: str) -> Path:
        """A file or folder of the edition: relative to the project file, and inside its
        folder (what the site publishes from it must be the edition's own)."""
        if not isinstance(value, str) or not value.strip():
            self.fail(section, key, f"'{key}' must be a path (a non-empty string)")
        root = self.path.parent.resolve()
        path = (root / value).resolve()
        if not path.is_relative_to(root):
            self.fail(section, key, f"'{key}' = {value!r} leads outside the edition's folder ({root})")
        exists = path.is_file() if kind == "file" else path.is_dir()
        if not exists:
            self.fail(section, key, f"'{key}': {value!r} is not a {kind} ({path})")
        return path

    def as_list(self, section, key, value) -> list:
        if not isinstance(value, list):
            self.fail(section, key, f"'{key}' must be a list, e.g. {key} = [\"schema/my.rng\", \"schema/my.sch\"]")
        return value

    def schema(self, section, key, item) -> SchemaSpec:
        phase = None
        if isinstance(item, dict):
            unknown = set(item) - {"path", "phase"}
            if unknown or not isinstance(item.get("path"), str):
                self.fail(section, key, "a schema is a path, or a table { path = \"x.sch\", phase = \"name\" }"
                                        + (f"; unknown key {sorted(unknown)[0]!r}" if unknown else ""))
            phase = item.get("phase")
            if phase is not None and (not isinstance(phase, str) or not phase):
                self.fail(section, key, "a schema's phase must be a non-empty string")
            item = item["path"]
        if not isinstance(item, str) or not item:
            self.fail(section, key, f"a schema must be a path (a string), not {item!r}")
        path = Path(os.path.normpath(self.path.parent / item))
        kind = SCHEMA_KINDS.get(path.suffix.lower())
        if kind is None:
            self.fail(section, key, f"schema {item!r}: give a .xsd, .rng (XML syntax) or .sch file")
        if not path.is_file():
            self.fail(section, key, f"schema {item!r} does not exist ({path})")
        if phase and kind != "sch":
            self.fail(section, key, f"schema {item!r}: only a Schematron (.sch) has phases")
        return SchemaSpec(path, kind, phase)


def locate(lines: list[str], section: str, key: str | None) -> tuple[int, int]:
    """Line and column of ``[section]`` (or of ``key`` inside it) in a TOML text.
    tomllib keeps no positions, so the text is read again: good enough for the
    tables and keys a project file has."""
    header = re.compile(r"^\s*\[\s*([^\]]+?)\s*\]")
    current = None
    section_at = (1, 1)
    for number, line in enumerate(lines, 1):
        m = header.match(line)
        if m:
            current = m.group(1).strip().strip('"')
            if current == section:
                section_at = (number, line.index("[") + 1)
                if key is None:
                    return section_at
            continue
        if key is not None and current == section:
            k = re.match(r"^(\s*)(\"?)" + re.escape(key) + r"\2\s*=", line)
            if k:
                return number, len(k.group(1)) + 1
    return section_at


# --- writing a starter file (init) ------------------------------------------

def starter(folder: str | os.PathLike, facts: dict) -> str:
    """A commented project file for ``folder``, from what :func:`survey` found there."""
    folder = Path(folder)
    lines = [
        "# tei-edition project file: the edition's own settings.",
        "# Commands run on this folder (or below it) read this file; paths are relative to it.",
        "# Every key is explained in the tei-edition README, under 'The project file'.",
        "",
        "[edition]",
        f"title = {_toml_str(facts.get('title') or folder.resolve().name)}",
        "# base-url = \"https://example.org/edition/\"   # the published site's address",
    ]
    if facts.get("languages"):
        lines.append(f"# Languages found (xml:lang): {', '.join(facts['languages'])}")
    lines += ["", "[validate]"]
    local = facts.get("local_schemas") or []
    remote = facts.get("remote_schemas") or []
    if local:
        lines.append("# The schemas every file declares (<?xml-model?> or xsi:schemaLocation):")
        lines.append(f"schemas = {_toml_list(local)}")
    else:
        lines.append("# schemas = [\"schema/my-edition.rng\", \"schema/my-edition.sch\"]")
        lines.append("# With no schemas here, each file's declared local schemas are used,")
        lines.append("# and TEI P5 (tei_all) where a file declares none that can be had.")
    if remote:
        lines.append("# Remote schemas declared by the files (never fetched unless you ask):")
        lines += [f"#   {url}" for url in remote]
        lines.append("fetch-schemas = false   # true: download them once into the user cache")
    lines += [
        "fallback = \"tei_all\"      # or \"none\": files with no usable schema get only TEI's id and pointer rules",
        "unique-ids = \"document\"   # TEI's rule; \"edition\": an xml:id is unique across all files",
        "bare-pointers = \"warning\" # a pointer that is a bare word (corresp=\"brief\"): error, warning or off",
        "ignore = []               # rule ids never reported, e.g. [\"xml-model-remote\"]",
        "",
        "[registers]",
    ]
    registers = facts.get("registers") or []
    lines.append(f"files = {_toml_list(registers)}" if registers else
                 "# files = [\"registers/*.xml\"]   # files of listPerson/listPlace/listOrg/listBibl/listEvent")
    if facts.get("letters"):
        lines.append(f"# {facts['letters']} of {facts['files']} files are letters (they have correspDesc).")
    return "\n".join(lines) + "\n"


def _toml_str(value: str) -> str:
    """A TOML basic string: backslash, quote and control characters escaped."""
    escaped = "".join(f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c
                      for c in value.replace("\\", "\\\\").replace('"', '\\"'))
    return f'"{escaped}"'


def _toml_list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_toml_str(v) for v in values) + "]"
