"""The registers as data files beside the register pages: CSV, JSON and GeoJSON, made by
:mod:`tei_edition.registers.export` (the same files as ``tei-edition export registers``)."""

from __future__ import annotations

from typing import Iterable

#: (file in the site, export format, label of its link)
FILES = (("data/registers.csv", "csv", "CSV"), ("data/registers.json", "json", "JSON"),
         ("data/places.geojson", "geojson", "GeoJSON, the places with coordinates"))


def register_exports(paths: Iterable | None) -> list[tuple[str, str]]:
    """``(file, text)`` for every export of the edition's registers."""
    from ..registers import collect
    from ..registers.export import render

    registers = collect(list(paths) if paths else None)
    return [(rel, render(registers, fmt)) for rel, fmt, _label in FILES]


def downloads_html() -> str:
    """The register pages' links to the exports."""
    links = " · ".join(f'<a href="{rel}" download>{label}</a>' for rel, _fmt, label in FILES)
    return f'<p class="downloads">The registers as data: {links}.</p>'
