"""The incremental validation's index on disk, laid out a file a line.

::

    {"format":3,"fingerprint":"…","unusable":false,"targets":{…},"files":{
    "/edition/letters/letter-1.xml":{"digest":"…","kind":"document",…},
    "/edition/letters/letter-2.xml":{…}
    }}

It stays one JSON document (any JSON reader takes it whole), and the layout lets a run read
it a line at a time and keep each file's entry as its compact JSON text, decoded only where
it is used: 5,000 letters' entries held as dicts took 32 MB, as text 5 MB. A file of
another layout is read whole.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable, Iterable, NamedTuple

from ..fsutil import atomic_writer

_FILES = '"files":{\n'  # ends the first line: the header before it, an entry a line after it
_DECODER = json.JSONDecoder()


class Entry(NamedTuple):
    """One file's entry: the facts a run looks at before reading it, and the entry as JSON text."""

    digest: str | None
    kind: str | None
    text: str

    def decoded(self) -> dict:
        """The entry itself (raises ValueError for text that is not JSON)."""
        return json.loads(self.text)


def entry_of(entry: dict) -> Entry:
    return Entry(entry.get("digest"), entry.get("kind"), json.dumps(entry, separators=(",", ":")))


def _kept(text: str) -> Entry | None:
    try:
        entry = json.loads(text)
    except ValueError:
        return None
    return Entry(entry.get("digest"), entry.get("kind"), text) if isinstance(entry, dict) else None


def read_index(path: Path, wanted: Callable[[dict], bool]) -> tuple[dict, dict[str, Entry]]:
    """The header (format, fingerprint, unusable, targets) and, when ``wanted(header)``, each
    file's entry; ``({}, {})`` for a file that cannot be read."""
    try:
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
            if not (first.startswith("{") and first.endswith(_FILES)):
                whole = json.loads(first + fh.read())  # another layout (or a damaged file)
                if not isinstance(whole, dict):
                    return {}, {}
                files = whole.pop("files", None)
                if not wanted(whole) or not isinstance(files, dict):
                    return whole, {}
                texts = ((f, json.dumps(e, separators=(",", ":"))) for f, e in files.items())
                return whole, {f: e for f, e in ((f, _kept(t)) for f, t in texts) if e is not None}
            head = json.loads(first[:-len(_FILES)].rstrip(",") + "}")
            if not isinstance(head, dict) or not wanted(head):
                return head if isinstance(head, dict) else {}, {}
            entries: dict[str, Entry] = {}
            for line in fh:
                if line.startswith("}"):
                    break
                if not line.strip():
                    continue
                name, end = _DECODER.raw_decode(line)
                entry = _kept(line[end + 1:].rstrip("\n").rstrip(",")) if line[end:end + 1] == ":" else None
                if isinstance(name, str) and entry is not None:
                    entries[name] = entry
            return head, entries
    except (OSError, ValueError):
        return {}, {}


def write_index(path: Path, head: dict, entries: Iterable[tuple[str, str]]) -> None:
    """Write the index atomically: ``head`` on the first line, then each ``(file, entry text)``."""
    with atomic_writer(path, durable=False, encoding="utf-8") as fh:
        start = json.dumps(head, separators=(",", ":"))[:-1]
        fh.write(f"{start}{',' if head else ''}{_FILES}")
        sep = ""
        for name, text in entries:
            fh.write(f"{sep}{json.dumps(name)}:{text}")
            sep = ",\n"
        fh.write("\n}}\n" if sep else "}}\n")
