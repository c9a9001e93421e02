"""The bundled edition, copied for a test that changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

from tei_edition.resources import edition_dir, schema_dir


def copy_edition(dest: Path) -> Path:
    """Copy ``tei/`` to ``dest`` and ``schema/`` beside it, where the edition's project
    file and its files' <?xml-model?> instructions expect it (``../schema/``)."""
    shutil.copytree(edition_dir(), dest)
    beside = Path(dest).parent / "schema"
    if not beside.exists():
        shutil.copytree(schema_dir(), beside)
    return Path(dest)
