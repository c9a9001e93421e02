"""What a corpus shows of itself, for ``tei-edition init``: the schemas its files
declare, its register files, how many letters it has, its languages and title.

Every file is read through the hardened loader; nothing is fetched.
"""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

from . import loader
from .edition import REGISTER, classify, discover_roots
from .loader import TEI_NS, XML_NS

_T = f"{{{TEI_NS}}}"
_LANG = f"{{{XML_NS}}}lang"


def survey(folder: str | os.PathLike, progress: Callable[[int, int], None] | None = None) -> dict:
    """Facts for :func:`tei_edition.config.starter` about the TEI files under ``folder``."""
    from .validation.choose import declarations

    folder = Path(os.path.abspath(folder))
    found = discover_roots([folder])
    local: Counter = Counter()
    remote: Counter = Counter()
    languages: Counter = Counter()
    series: Counter = Counter()
    registers: list[str] = []
    letters = readable = 0
    for n, (path, _root) in enumerate(found, 1):
        if progress:
            progress(n, len(found))
        doc = loader.try_load(path)
        if not isinstance(doc, loader.Document):
            continue
        readable += 1
        here = path.parent
        for declared in declarations(doc, lambda: None):
            if not declared.href or declared.kind is None:
                continue
            parts = urlsplit(declared.href)
            if parts.scheme in ("http", "https"):
                remote[declared.href] += 1
            elif not parts.scheme and (here / parts.path).is_file():
                local[os.path.relpath(os.path.normpath(here / parts.path), folder)] += 1
        if classify(doc) == REGISTER:
            registers.append(os.path.relpath(path, folder))
        header = doc.root.find(f"{_T}teiHeader")
        if header is not None and header.find(f".//{_T}correspDesc") is not None:
            letters += 1
        for el in doc.root.iter():
            lang = el.get(_LANG) if isinstance(el.tag, str) else None
            if lang:
                languages[lang] += 1
        title = doc.root.find(f"{_T}teiHeader/{_T}fileDesc/{_T}titleStmt/{_T}title[@level='s']")
        if title is not None and "".join(title.itertext()).strip():
            series[" ".join("".join(title.itertext()).split())] += 1
    everywhere = [s for s, n in local.most_common() if n == readable] if readable else []
    return {
        "files": readable,
        "letters": letters,
        # a schema every file declares is the edition's; others stay with their files
        "local_schemas": [s.replace(os.sep, "/") for s in everywhere],
        "remote_schemas": [url for url, _ in remote.most_common()],
        "registers": [r.replace(os.sep, "/") for r in sorted(registers)],
        "languages": [lang for lang, _ in languages.most_common(8)],
        "title": series.most_common(1)[0][0] if series else None,
    }
