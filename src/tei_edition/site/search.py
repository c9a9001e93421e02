"""The client-side search index: what search.js looks in."""

from __future__ import annotations

from .model import SiteData
from .text import norm


def search_index(data: SiteData) -> list[dict]:
    """What the client-side search looks in: register entries first, then text blocks."""
    out = []
    for e in data.entries:
        out.append({"t": e.label, "k": e.noun, "u": e.href,
                    "n": [n for n, _l, _t in e.names], "x": norm(" ".join([e.dates, *(text for _h, text in e.role), *e.notes]))})
    for d in data.documents:
        out.append({"t": d.title, "k": "Document", "u": f"{d.id}.html", "n": [d.title],
                    "x": norm(" ".join([d.subtitle, d.summary, d.sender, d.recipient]))})
        for anchor, label, text in d.blocks:
            out.append({"t": f"{d.title}, {label}", "k": "Text", "u": f"{d.id}.html#{anchor}", "n": [], "x": text})
    return out
