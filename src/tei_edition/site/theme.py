"""An edition's own look, from its project file: ``[site] css`` (a style sheet, copied to
``assets/custom.css`` and linked after the site's own) and ``[site] templates`` (a folder
whose ``layout.html`` replaces the page frame).

A template is a :class:`string.Template`: ``$name`` placeholders are filled in, and
nothing in it is run, so an edition's templates cannot execute code in the builder.
"""

from __future__ import annotations

from pathlib import Path

from ..problems import WARNING, Problem
from .model import Theme

TEMPLATES = ("layout.html",)  # the templates an edition may replace
PLACEHOLDERS = ("lang", "csp", "title", "edition_title", "head", "banner", "header", "nav", "search",
                "main", "footer", "footer_text", "data")
MAX_BYTES = 1024 * 1024


def read_theme(config) -> tuple[Theme, list[Problem]]:
    """The theme the project file names (none without one), and what was wrong with it."""
    notes: list[Problem] = []
    css = _read(config.site_css, notes) if config.site_css else b""
    layout = ""
    folder: Path | None = config.site_templates
    if folder:
        for file in sorted(folder.iterdir()):
            if file.name not in TEMPLATES:
                notes.append(Problem(str(file), 1, 1, WARNING, "site-template",
                                     f"not a template the site uses (it knows {', '.join(TEMPLATES)}); ignored"))
        raw = _read(folder / "layout.html", notes) if (folder / "layout.html").is_file() else b""
        try:
            layout = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            notes.append(Problem(str(folder / "layout.html"), 1, 1, WARNING, "site-template",
                                 f"not UTF-8 ({exc.reason}); the site's own layout is used"))
        if layout and "$main" not in layout and "${main}" not in layout:
            notes.append(Problem(str(folder / "layout.html"), 1, 1, WARNING, "site-template",
                                 "has no $main placeholder: its pages would have no content; the site's own layout is used"))
            layout = ""
    return Theme(css, layout), notes


def _read(path: Path, notes: list[Problem]) -> bytes:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as exc:
        notes.append(Problem(str(path), 1, 1, WARNING, "site-theme", f"cannot be read: {exc.strerror or exc}"))
        return b""
    if len(data) > MAX_BYTES:
        notes.append(Problem(str(path), 1, 1, WARNING, "site-theme", "is larger than 1 MB; not used"))
        return b""
    return data
