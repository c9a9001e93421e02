"""``validate_bounded``: a serial validate whose memory does not grow with the edition.

``validate`` keeps every tree of a run until the end (4,009 files: 391 MB). Past
:data:`CHUNK` files the batch runner validates them in chunks in this process, holding
one chunk's trees at a time; it finds duplicate ids across chunks from each file's
``(xml:id, line)`` pairs and reports an unusable declared schema once, so the report
is the one ``validate`` gives.
"""

from __future__ import annotations

import os
from typing import Callable, Sequence

from ..problems import Report

__all__ = ["validate_bounded", "CHUNK"]

# Files per validate() call. A chunk's trees are ~40 MB (the letters of bench/make_corpus.py),
# and a chunk checked against RELAX NG by jing starts a JVM (about 1 s, tei_all's fallback).
CHUNK = 500


def validate_bounded(paths: Sequence[str | os.PathLike] | str | os.PathLike | None = None,
                     schemas: Sequence[str | os.PathLike] | None = None, *, chunk: int | None = None,
                     progress: Callable[[str], None] | None = None, **options) -> Report:
    """``validate(paths, schemas, progress=progress, **options)``, the same Report, with at most
    ``chunk`` files' trees held at a time (default :data:`CHUNK`). Raises KeyboardInterrupt
    when interrupted between chunks, as ``validate`` would."""
    from ..batch import plan, run_validate
    from . import validate

    chunk = chunk or CHUNK
    if paths is None:
        from ..resources import edition_dir

        paths = [edition_dir()]
    elif isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    paths = list(paths)
    if len(plan(paths)) <= chunk:
        return validate(paths, schemas, progress=progress, **options)
    summary = run_validate(paths, schemas, jobs=0, quiet=True, progress=False, chunk=chunk,
                           notes=progress, **options)
    if summary.interrupted:
        raise KeyboardInterrupt
    return summary.report()
