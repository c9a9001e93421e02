"""The correspondents page: the letters grouped by each person or body that sent or
received them (from each letter's correspDesc), linked to their register entries."""

from __future__ import annotations

import unicodedata

from .model import SiteData
from .pages import layout
from .text import esc, format_date

PAGE = "correspondents.html"


def has_letters(data: SiteData) -> bool:
    return any(d.corresp for d in data.documents)


def correspondents(data: SiteData) -> list[tuple[str, str, list[tuple[str, int]]]]:
    """(name, register link, [(role, document index)]) for every correspondent, by name.
    One correspondent is one register entry, or one name where the letters link none."""
    found: dict[str, tuple[str, str, list]] = {}
    for i, d in enumerate(data.documents):
        if not d.corresp:
            continue
        for role, parties in (("from", d.parties[0]), ("to", d.parties[1])):
            for name, href in parties:
                if not name and not href:
                    continue
                key = href or f"name:{name}"
                entry = data.entry(href.split("#", 1)[1]) if href else None
                shown = entry.label if entry is not None else name
                found.setdefault(key, (shown, href, []))[2].append((role, i))
    return sorted(found.values(), key=lambda c: unicodedata.normalize("NFKD", c[0]).casefold())


def page_correspondents(data: SiteData) -> str:
    groups = correspondents(data)
    items = []
    for n, (name, href, letters) in enumerate(groups, 1):
        heading = f'<a href="{esc(href)}">{esc(name)}</a>' if href else esc(name)
        rows = []
        for role, i in letters:
            d = data.documents[i]
            other = d.recipient if role == "from" else d.sender
            said = f"{'to' if role == 'from' else 'from'} {other}" if other else ("sent" if role == "from" else "received")
            rows.append(f'<li><a href="{esc(d.id)}.html">{esc(d.title)}</a> '
                        f'<span class="doc-meta">{esc(" · ".join(x for x in (format_date(d.date), said) if x))}</span></li>')
        count = len(letters)
        items.append(f'<section class="correspondent" aria-labelledby="te-corr-{n}"><h2 id="te-corr-{n}">{heading} '
                     f'<span class="count">({count} letter{"s" if count != 1 else ""})</span></h2>'
                     f'<ul class="letters">{"".join(rows)}</ul></section>')
    body = [f'<h1>Correspondents</h1><p class="lead">{len(groups)} correspondent{"s" if len(groups) != 1 else ""}, '
            f'each with the letters they sent or received.</p>', *items]
    return layout(data, title=f"Correspondents — {data.edition.title}", body=body, current=PAGE)
