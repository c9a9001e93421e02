"""The registry of output formats: name -> stylesheet, file extension, media type, default params.

No transformation logic lives here; ``transform.py`` looks formats up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping


@dataclass(frozen=True)
class Format:
    name: str
    stylesheet: str  # file stem in xslt/
    extension: str
    media_type: str
    description: str
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    # Serialisation properties set on the executable (Saxon's "!name" form).
    properties: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    citation: bool = False


FORMATS: Mapping[str, Format] = MappingProxyType({
    f.name: f for f in (
        Format("text", "text", ".txt", "text/plain; charset=utf-8",
               "plain reading text, notes as endnotes (params: width, choice)"),
        Format("html", "html", ".html", "text/html; charset=utf-8",
               "semantic HTML5 page (params: fragment, css, register-url, document-url, id-prefix, choice)"),
        Format("bibtex", "bibtex", ".bib", "application/x-bibtex; charset=utf-8",
               "BibTeX entry (@misc / @article)", citation=True),
        Format("biblatex", "biblatex", ".bib", "application/x-bibtex; charset=utf-8",
               "biblatex entry (@letter / @article / @misc / @collection)", citation=True),
        Format("ris", "ris", ".ris", "application/x-research-info-systems; charset=utf-8",
               "RIS record (PCOMM / NEWS / GOVDOC / EDBOOK)", citation=True),
        Format("csl-json", "csl-json", ".json", "application/vnd.citationstyles.csl+json; charset=utf-8",
               "CSL-JSON array of one item", properties=MappingProxyType({"!escape-solidus": "no", "!indent": "yes"}),
               citation=True),
    )
})


def get(name: str) -> Format:
    """The format called ``name``; ``KeyError`` with the known names otherwise."""
    try:
        return FORMATS[name]
    except KeyError:
        raise KeyError(f"unknown format {name!r}; known formats: {', '.join(FORMATS)}") from None


def names() -> list[str]:
    return list(FORMATS)
