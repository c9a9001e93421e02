"""The registers as data files beside the register pages: CSV, JSON and GeoJSON, made by
:mod:`tei_edition.registers.export` (the same files as ``tei-edition export registers``)."""

from __future__ import annotations

#: (file in the site, export format, label of its link)
FILES = (("data/registers.csv", "csv", "CSV"), ("data/registers.json", "json", "JSON"),
         ("data/places.geojson", "geojson", "GeoJSON, the places with coordinates"))


def register_exports(source) -> list[tuple[str, str]]:
    """``(file, text)`` for every export of the edition's registers; ``source``: the
    registers' model already made, or the paths to read it from."""
    from ..registers import Registers, collect
    from ..registers.export import render

    registers = source if isinstance(source, Registers) else collect(list(source) if source else None)
    return [(rel, render(registers, fmt)) for rel, fmt, _label in FILES]


def downloads_html() -> str:
    """The register pages' links to the exports."""
    links = " · ".join(f'<a href="{rel}" download>{label}</a>' for rel, _fmt, label in FILES)
    return f'<p class="downloads">The registers as data: {links}.</p>'
