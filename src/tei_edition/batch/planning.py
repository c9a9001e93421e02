"""Files and folders become jobs whose outputs mirror the input tree."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable

from ..fsutil import TMP_PREFIX, iter_xml_files
from .values import Job

def _format_extension(fmt: str) -> str:
    from .. import formats

    return formats.get(fmt).extension



def plan(inputs: Iterable[str | os.PathLike], out_dir: str | os.PathLike | None = None,
         fmt: str | None = None, *, extension: str | None = None) -> list[Job]:
    """Turn files and folders into jobs whose outputs mirror the input tree.

    One folder: outputs mirror paths below it. Several inputs: below their
    common folder, so two inputs never map to the same output. Names never
    come from ``xml:id`` or titles. Hidden files, temporary files and anything
    inside ``out_dir`` are left out; symlinks leaving a folder are not followed.
    """
    inputs = [Path(p) for p in inputs]
    if out_dir is not None and extension is None and fmt is not None:
        extension = _format_extension(fmt)
    out_abs = Path(os.path.abspath(out_dir)) if out_dir is not None else None
    found: list[tuple[Path, Path, bool]] = []
    for given in inputs:
        explicit = not given.is_dir()
        for file, root in iter_xml_files([given]):
            found.append((Path(os.path.abspath(file)), Path(os.path.abspath(root)), explicit))
    if not found:
        return []
    roots = {root for _, root, _ in found}
    base = roots.pop() if len(roots) == 1 else Path(os.path.commonpath([str(r) for r in roots | {found[0][1]}]))
    jobs: list[Job] = []
    seen: set[str] = set()
    for file, _, explicit in found:
        if out_abs is not None and file.is_relative_to(out_abs):
            continue  # our own outputs when OUT lies inside the input folder
        if file.name.startswith(TMP_PREFIX):
            continue
        rel = file.relative_to(base).as_posix()
        if rel in seen:
            continue
        seen.add(rel)
        output = None
        if out_abs is not None:
            output = out_abs / Path(rel).with_suffix(extension or ".out")
        jobs.append(Job(file, rel, output, explicit))
    return jobs
