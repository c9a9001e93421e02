"""Where the bundled data lives: ``xslt/``, ``schema/`` and ``tei/``.

In a wheel they sit in ``tei_edition/data/``; in a source checkout (or an
editable install) they are the repository's top-level folders.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_NAMES = ("xslt", "schema", "tei")


@lru_cache(maxsize=None)
def data_dir(name: str) -> Path:
    if name not in _NAMES:
        raise ValueError(f"unknown data folder {name!r}")
    for candidate in (_PACKAGE / "data" / name, _PACKAGE.parents[1] / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the bundled {name}/ folder is missing from the installation ({_PACKAGE})"
    )


def xslt_dir() -> Path:
    return data_dir("xslt")


def schema_dir() -> Path:
    return data_dir("schema")


def edition_dir() -> Path:
    return data_dir("tei")
