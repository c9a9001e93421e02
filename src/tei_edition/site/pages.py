"""The pages: the shared layout and one function per kind of page, each returning HTML.

Nothing is loaded from the network: styles and scripts are the files in ``assets/``,
served from the site itself under a strict Content-Security-Policy (no inline script
or style; client data travels in ``<script type="application/json">``).
"""

from __future__ import annotations

import itertools
import unicodedata
from string import Template
from typing import Iterable, Iterator

from .exports import downloads_html
from .mapsvg import svg_map
from .model import DocPage, Entry, Mention, Register, SiteData
from .search import document_kind, fallback_index
from .text import esc, format_date, humanise, script_json, slug

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'")


def layout(data: SiteData, *, title: str, body: str | Iterable[str], current: str, head: str = "",
           json_blocks: dict | None = None, scripts: tuple[str, ...] = ("site.js",),
           lang: str | None = None) -> str:
    """The frame every page shares: header with navigation and search, main, footer.
    ``body``: the main content, or its pieces (a long page's: joined once, into the page)."""
    return "".join(layout_pieces(data, title=title, body=body, current=current, head=head, json_blocks=json_blocks,
                                 scripts=scripts, lang=lang))


def layout_pieces(data: SiteData, *, title: str, body: str | Iterable[str], current: str, head: str = "",
                  json_blocks: dict | None = None, scripts: tuple[str, ...] = ("site.js",),
                  lang: str | None = None) -> Iterator[str]:
    """:func:`layout` a piece at a time, the body's pieces taken as they come: a long page
    written as it is made is never held whole."""
    ed = data.edition
    current_attr = ' aria-current="page"'
    tabs = [("index.html", "Documents"), *((r.page, r.title) for r in data.registers),
            *([("correspondents.html", "Correspondents")] if any(d.corresp for d in data.documents) else []),
            ("chronology.html", "Chronology"), ("search.html", "Search")]
    nav = "".join(
        f'<li><a href="{esc(href)}"{current_attr if href == current else ""}>{esc(label)}</a></li>'
        for href, label in tabs)
    banner = (f'<div class="banner" role="note"><strong>Unvalidated build.</strong> {esc(data.banner)}</div>'
              if data.banner else "")
    blocks = "".join(f'\n<script type="application/json" id="{esc(k)}">{script_json(v)}</script>'
                     for k, v in (json_blocks or {}).items())
    script_tags = "".join(f'\n<script src="assets/{s}" defer></script>' for s in scripts)
    canonical = f'\n<link rel="canonical" href="{esc(data.base_url)}/{esc(current)}">' if data.base_url else ""
    licence = (f'<a href="{esc(ed.licence_url)}" rel="license">{esc(ed.licence)}</a>' if ed.licence_url
               else esc(ed.licence))
    version = f" · version {esc(ed.version)}" if ed.version else ""
    custom = '\n<link rel="stylesheet" href="assets/custom.css">' if data.theme.css else ""
    parts = {
        "lang": esc(lang or ed.lang), "csp": CSP, "title": esc(title), "edition_title": esc(ed.title),
        "head": f"""{canonical}
<link rel="icon" href="assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="assets/site.css">
<link rel="stylesheet" href="assets/print.css" media="print">{custom}{head}{script_tags}""",
        "banner": banner, "nav": nav, "main": body, "data": blocks,
        "search": """<form class="site-search" role="search" action="search.html" method="get">
<label for="te-site-q">Search the edition</label>
<input id="te-site-q" name="q" type="search" autocomplete="off" placeholder="Search the edition">
<button type="submit">Search</button>
</form>""",
        "footer_text": f"""{esc(ed.title)}{version}. Edited by {esc(", ".join(ed.editors) or ed.publisher)}; \
published by {esc(ed.publisher)}.
Licence: {licence}.""",
    }
    parts["header"] = f"""<header class="site">
<p class="site-title"><a href="index.html">{parts["edition_title"]}</a></p>
<nav aria-label="Edition"><ul>{nav}</ul></nav>
{parts["search"]}
</header>"""
    parts["footer"] = f'<footer class="site">\n<p>{parts["footer_text"]}</p>\n</footer>'
    frame = Template(data.theme.layout) if data.theme.layout else LAYOUT
    if isinstance(body, str) or any(_MAIN in v for v in (frame.template, *parts.values()) if isinstance(v, str)):
        parts["main"] = body if isinstance(body, str) else "".join(body)
        yield frame.safe_substitute(parts)  # values go in as they are: a $ in the text stays text
        return
    around = frame.safe_substitute({**parts, "main": _MAIN}).split(_MAIN)
    if len(around) > 2:  # an edition's frame with $main more than once: the pieces each time
        body = list(body)
    yield around[0]
    for rest in around[1:]:
        yield from body
        yield rest


_MAIN = "\x00main\x00"  # where the pieces of a body go (no text from XML holds a NUL)


# The frame of every page. An edition's own templates/layout.html replaces it and may use
# the same placeholders (README, "Theming"); values are HTML, already escaped.
LAYOUT = Template("""<!DOCTYPE html>
<html lang="$lang">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="$csp">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>$title</title>$head
</head>
<body>
<a class="skip" href="#te-main">Skip to content</a>
$banner$header
<main id="te-main" tabindex="-1">
$main
</main>
$footer$data
</body>
</html>
""")


def entity_data(data: SiteData, ids: Iterable[str]) -> dict:
    """What a popover shows for each entry: name, dates, role, register link."""
    out = {}
    for i in sorted(set(ids)):
        e = data.entry(i)
        if e is None:
            continue
        about = "; ".join(text for _h, text in e.role[:2]) or (e.notes[0] if e.notes else "")
        if len(about) > 160:  # a popover is a glance; the register has the rest
            about = about[:about.rfind(" ", 0, 160)] + " …"
        out[i] = {"name": e.label, "kind": e.noun,
                  "dates": e.dates, "role": about, "href": e.href}
    return out


def _dl(rows: list[tuple[str, str]]) -> str:
    rows = [(k, v) for k, v in rows if v]
    return "<dl>" + "".join(f"<dt>{esc(k)}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


def page_index(data: SiteData) -> str:
    ed = data.edition
    items = []
    for d in data.documents:
        meta = [format_date(d.date)]
        if d.sender:
            meta.append(f"from {d.sender}")
        if d.recipient:
            meta.append(f"to {d.recipient}")
        items.append(
            f'<li><h3><a href="{esc(d.id)}.html">{esc(d.title)}</a></h3>'
            f'<p class="doc-meta">{esc(" · ".join(m for m in meta if m))}</p>'
            + (f'<p class="summary">{esc(d.summary)}</p>' if d.summary else "") + "</li>")
    facts = _dl([("Editors", esc(", ".join(ed.editors))), ("Publisher", esc(ed.publisher)),
                 ("Version", esc(ed.version)), ("Published", esc(format_date(ed.date))),
                 ("Licence", f'<a href="{esc(ed.licence_url)}" rel="license">{esc(ed.licence)}</a>'
                  if ed.licence_url else esc(ed.licence))])
    intro = ""
    if ed.intro:
        own_head = ed.intro.lstrip().startswith("<h2")
        intro = ('<section class="intro" aria-label="Introduction">' if own_head else
                 '<section class="intro" aria-labelledby="te-intro-h"><h2 id="te-intro-h">Introduction</h2>') \
            + ed.intro + "</section>"
    explore = "".join(f'<li><a href="{esc(r.page)}">{esc(r.title)}</a> <span class="count">'
                      f'({sum(e.kind == r.kind for e in data.entries)})</span></li>' for r in data.registers) + \
        '<li><a href="chronology.html">Chronology</a></li><li><a href="search.html">Search</a></li>'
    body = [f"""<h1>{esc(ed.title)}</h1>
{f'<p class="subtitle">{esc(ed.subtitle)}</p>' if ed.subtitle else ''}
<div class="home">
<div class="home-main">
{intro}
<section aria-labelledby="te-docs-h"><h2 id="te-docs-h">Documents</h2>
<ol class="documents">""", *items, f"""</ol></section>
</div>
<aside class="home-aside">
<section class="edition-facts" aria-labelledby="te-facts-h"><h2 id="te-facts-h">About this edition</h2>{facts}</section>
<nav class="explore" aria-labelledby="te-explore-h"><h2 id="te-explore-h">Explore</h2><ul>{explore}</ul></nav>
</aside>
</div>"""]
    ids = [m.ref for m in ed.intro_mentions]
    return layout(data, title=ed.title, body=body, current="index.html",
                  json_blocks={"te-entity-data": entity_data(data, ids)})


def zotero_meta(data: SiteData, d: DocPage) -> str:
    """Embedded metadata as read by Zotero's "Embedded Metadata" translator.

    zotero/translators, Embedded Metadata.js: HIGHWIRE_MAPPINGS maps citation_title,
    citation_date, citation_language, citation_public_url; citation_author is read
    one node per creator and split at the comma ("Family, Given"); citation_journal_title
    and citation_book_title force journalArticle / bookSection, and a bare citation_title
    only guesses journalArticle. "DC.type" becomes an RDF dc:type statement, which
    RDF.js detectType() takes as the item type when ZU.itemTypeExists(type) -- but an
    og:type (website -> webpage) outranks it, so none is emitted.
    """
    metas = [("citation_title", d.title)]
    for a in d.authors:
        if a.get("family"):
            name = f"{a['family']}, {a['given']}" if a.get("given") else a["family"]
        else:
            # An institution. Zotero splits a name without a comma at its last space ("Government
            # of the People's Republic of" / "China"); with a trailing comma, cleanAuthor() keeps the
            # whole name as the last name and drops the comma (Embedded Metadata.js).
            name = a.get("literal", "").replace(";", ",")
            name = name if "," in name or not name else f"{name},"
        if name:
            metas.append(("citation_author", name.replace(";", ",")))
    if d.date:
        metas.append(("citation_date", d.date))
    metas.append(("citation_language", d.language))
    if data.base_url:
        metas.append(("citation_public_url", f"{data.base_url}/{d.id}.html"))
    metas += [("DC.title", d.title), ("DC.type", d.zotero_type), ("DC.language", d.language)]
    if d.date:
        metas.append(("DC.date", d.date))
    if d.summary:
        metas.append(("description", d.summary))
    out = "".join(f'\n<meta name="{esc(k)}" content="{esc(v)}">' for k, v in metas if v)
    if any(ext == "ris" for ext, _l, _c in d.downloads):
        out += f'\n<link rel="alternate" type="application/x-research-info-systems" href="{esc(d.id)}.ris">'
    return out


INVALID_NOTE = ('<p class="invalid-note" role="note">The TEI of this document does not meet the '
                "edition's rules; what this page shows may be incomplete.</p>\n")


def neighbours(data: SiteData, i: int) -> tuple[DocPage | None, DocPage | None]:
    """The previous and next document of the ``i``-th: correspContext's, else the reading order's."""
    d = data.documents[i]
    prev = data.documents[i - 1] if i > 0 else None
    nxt = data.documents[i + 1] if i + 1 < len(data.documents) else None
    if any(d.context):
        by_id = data.__dict__.get("_by_id")
        if by_id is None:
            by_id = {x.id: x for x in data.documents}
            object.__setattr__(data, "_by_id", by_id)
        prev, nxt = by_id.get(d.context[0], prev), by_id.get(d.context[1], nxt)  # correspContext first
    if prev is nxt:  # one way given by correspContext, the other by date: the same letter twice
        prev, nxt = (prev, None) if d.context[0] else (None, nxt)
    return prev, nxt


def page_document(data: SiteData, i: int, d: DocPage | None = None) -> list[tuple[str, str | bytes]]:
    """The ``i``-th document's page and downloads; ``d``: its full page data, where
    ``data`` holds only its compact facts."""
    d = d or data.documents[i]
    prev, nxt = neighbours(data, i)

    def party(items, plain):
        if not items:
            return esc(plain)
        return "; ".join(f'<a href="{esc(href)}">{esc(name)}</a>' if href else esc(name) for name, href in items)
    meta = _dl([("Date", esc(format_date(d.date))),
                ("Place", party([d.places[0]] if d.places[0][1] else (), d.place)),
                ("Sender" if d.recipient else "Issued by", party(d.parties[0], d.sender)),
                ("Addressee", party(d.parties[1], d.recipient)),
                ("Received at", party([d.places[1]], "") if d.places[1][0] else ""), ("Source", esc(d.source_desc)),
                ("Language of the original", esc(", ".join(d.orig_languages))),
                ("Permalink", f'<a href="{esc(d.id)}.html">{esc((data.base_url + "/") if data.base_url else "")}{esc(d.id)}.html</a>')])
    cites = "".join(
        f'<div class="citation"><h3 id="te-cite-{slug(label)}-h">{esc(label)}</h3>'
        f'<p id="te-cite-{slug(label)}" class="citation-text">{text}</p>'
        f'<button type="button" class="copy" data-copy="te-cite-{slug(label)}" '
        f'aria-describedby="te-cite-{slug(label)}-h">Copy {esc(label)} citation</button></div>'
        for label, text in d.citations)
    downloads = [(ext, label) for ext, label, _c in d.downloads] + [("xml", "TEI XML")]
    dl = "".join(f'<li><a href="{esc(d.id)}.{ext}" download>{esc(label)} (.{ext})</a></li>'
                 for ext, label in downloads)
    pager = '<nav class="pager" aria-label="Previous and next document"><ul>'
    if prev:
        pager += f'<li class="prev"><a href="{esc(prev.id)}.html" rel="prev">← {esc(prev.title)}</a></li>'
    if nxt:
        pager += f'<li class="next"><a href="{esc(nxt.id)}.html" rel="next">{esc(nxt.title)} →</a></li>'
    pager += "</ul></nav>"
    body = f"""<article class="document" aria-labelledby="te-doc-title" data-pagefind-body data-pagefind-filter="kind:{document_kind(d)}">
<header class="doc-header">
<p class="kicker" data-pagefind-ignore>{document_kind(d).capitalize()}</p>
<h1 id="te-doc-title">{esc(d.title)}</h1>
{f'<p class="subtitle">{esc(d.subtitle)}</p>' if d.subtitle else ''}
{INVALID_NOTE if d.invalid else ''}</header>
<div class="doc-layout">
<section class="reading" aria-label="Reading text" lang="{esc(d.language)}">
{d.body or '<p class="empty">This document has no text.</p>'}
</section>
<aside class="doc-aside">
<section class="metadata" aria-labelledby="te-meta-h"><h2 id="te-meta-h">About this document</h2>{meta}</section>
<section class="cite" aria-labelledby="te-cite-h" data-pagefind-ignore="all"><h2 id="te-cite-h">Cite this</h2>{cites}
<p class="copy-status" role="status" aria-live="polite"></p>
<h3 class="download-head">Download</h3><ul class="downloads">{dl}</ul></section>
</aside>
</div>
</article>
{pager}"""
    page = layout(data, title=f"{d.title} — {data.edition.title}", body=body, current=f"{d.id}.html",
                  head=zotero_meta(data, d),
                  json_blocks={"te-entity-data": entity_data(data, [m.ref for m in d.mentions])})
    files: list[tuple[str, str | bytes]] = [(f"{d.id}.html", page)]
    files += [(f"{d.id}.{ext}", content) for ext, _l, content in d.downloads]
    if d.xml:
        files.append((f"{d.id}.xml", d.xml))
    return files


def mentions_of(data: SiteData, ids) -> dict[str, list[Mention]]:
    """The mentions of each entry of ``ids``, in reading order (the introduction first):
    made once for a register page, not once per entry, and let go with it."""
    found: dict[str, list[Mention]] = {}
    for m in data.edition.intro_mentions:
        if m.ref in ids:
            found.setdefault(m.ref, []).append(m)
    for d in data.documents:
        for m in d.mentions:
            if m.ref in ids:
                found.setdefault(m.ref, []).append(m)
    return found


def _mention_links(data: SiteData, mentions: list[Mention]) -> str:
    if not mentions:
        return '<p class="no-mentions">Not mentioned in the texts.</p>'
    grouped: dict[str, list[Mention]] = {}  # by the document they are in, in reading order
    for m in mentions:
        grouped.setdefault(m.doc, []).append(m)
    titles = data.__dict__.get("_titles")
    if titles is None:
        titles = {d.id: d.title for d in data.documents}
        titles["index"] = "Introduction"
        object.__setattr__(data, "_titles", titles)
    items = []
    for doc in grouped:  # in reading order already: mentions are gathered in it
        page = "index.html" if doc == "index" else f"{doc}.html"
        seen, links = set(), []
        for m in grouped[doc]:
            if m.anchor in seen:
                continue
            seen.add(m.anchor)
            links.append(f'<a href="{esc(page)}#{esc(m.anchor)}">{esc(m.label)}</a>')
        items.append(f"<li><cite>{esc(titles.get(doc, doc))}</cite>: {', '.join(links)}</li>")
    count = sum(len(v) for v in grouped.values())
    return f'<p class="mention-count">{count} mention{"s" if count != 1 else ""}:</p><ul class="mentions">{"".join(items)}</ul>'


def _grouped(pairs) -> list[tuple[str, str]]:
    """(heading, value) pairs as one row per heading, in the order the headings first come."""
    return [(head, "<br>".join(esc(v) for h, v in pairs if h == head)) for head in dict.fromkeys(h for h, _v in pairs)]


def render_entry(data: SiteData, e: Entry, mentions: list[Mention] | None = None) -> str:
    """One entry of a register page; ``mentions``: its mentions (:func:`mentions_of`)."""
    if mentions is None:
        mentions = mentions_of(data, {e.id}).get(e.id, [])
    names = "".join(
        (f'<li><span lang="{esc(lang)}">{esc(text)}</span>' if lang else f"<li><span>{esc(text)}</span>")
        + (f' <span class="lang">({esc(", ".join(x for x in (lang, kind) if x))})</span>' if lang or kind else "")
        + "</li>" for text, lang, kind in e.names)
    links = "".join(f'<li><a href="{esc(url)}" rel="external noopener">{esc(label)}</a></li>'
                    for label, url in e.links)
    geo = (f"{abs(e.geo[0]):.3f}° {'N' if e.geo[0] >= 0 else 'S'}, {abs(e.geo[1]):.3f}° {'E' if e.geo[1] >= 0 else 'W'}"
           if e.geo else "")
    rows = [("Names", f'<ul class="names">{names}</ul>' if names else ""), ("Dates", esc(e.dates)),
            *_grouped(e.role), *_grouped(e.facts),
            ("Notes", "<br>".join(esc(n) for n in e.notes)), ("Coordinates", esc(geo)),
            ("Authority files", f'<ul class="authority">{links}</ul>' if links else ""),
            ("Mentioned in", _mention_links(data, mentions))]
    # its @type, unless that only says what the whole register holds
    kind = f' <span class="entry-type">{esc(e.subtype)}</span>' if e.subtype and humanise(e.subtype) != e.noun else ""
    return (f'<article class="entry" id="{esc(e.id)}" aria-labelledby="{esc(e.id)}-h">'
            f'<h2 id="{esc(e.id)}-h">{esc(e.label)}{kind}</h2>{_dl(rows)}</article>')


def page_register(data: SiteData, register: Register) -> str:
    return "".join(register_pieces(data, register))


def register_pieces(data: SiteData, register: Register) -> Iterator[str]:
    """A register page a piece at a time, each entry's as it is made: the build writes it so
    (a register of 5,000 persons is a page of 5.5 MB, 17 MB in memory when held whole)."""
    kind, page, title = register.kind, register.page, register.title
    entries = [e for e in data.entries if e.kind == kind]
    entries.sort(key=lambda e: unicodedata.normalize("NFKD", e.sort or e.label).casefold())
    toc = "".join(f'<li><a href="#{esc(e.id)}">{esc(e.label)}</a></li>' for e in entries)
    svg, css = svg_map(entries) if kind == "place" else ("", "")
    mentions = mentions_of(data, {e.id for e in entries})
    body = [f'<h1>{esc(title)}</h1><p class="lead">{len(entries)} entr{"ies" if len(entries) != 1 else "y"} '
            f'in the register, with every mention in the edition.</p>', downloads_html(), svg,
            f'<nav class="toc" aria-label="{esc(title)} in this register"><ul>{toc}</ul></nav>' if entries else ""]
    head = '\n<link rel="stylesheet" href="assets/map.css">' if css else ""
    yield from layout_pieces(data, title=f"{title} — {data.edition.title}", current=page, head=head,
                             body=itertools.chain(body, (render_entry(data, e, mentions.get(e.id, [])) for e in entries)))


def page_chronology(data: SiteData) -> str:
    titles = {d.id: d.title for d in data.documents}
    order = {d.id: n for n, d in enumerate(data.documents)}
    rows = []  # (key, kind, label, doc, anchor, where, context)
    for d in data.documents:
        if d.date:
            rows.append((d.date, 0, format_date(d.date), d.id, "", "", "date of the document", ""))
        for m in d.dates:
            rows.append((m.key, 1, m.label, m.doc, m.anchor, m.label_block, m.context or m.text, m.text))
    rows.sort(key=lambda r: (r[0], r[1], order.get(r[3], len(order))))
    groups: dict[tuple[str, str], list] = {}
    for row in rows:
        groups.setdefault((row[0], row[2]), []).append(row)
    items = []
    for (key, label), group in groups.items():
        lines = []
        for _k, kind, _l, doc, anchor, where, context, said in group:
            href = f"{doc}.html" + (f"#{anchor}" if anchor else "")
            place = f", {esc(where)}" if where else ""
            text = esc(context) if kind == 0 else "“" + esc(context).replace(esc(said), f"<mark>{esc(said)}</mark>", 1) + "”"
            lines.append(f'<li><a href="{esc(href)}"><cite>{esc(titles.get(doc, doc))}</cite>{place}</a>'
                         f'<span class="chrono-context">{text}</span></li>')
        items.append(f'<li><h2 class="chrono-date"><time datetime="{esc(key)}">{esc(label)}</time></h2>'
                     f'<ul>{"".join(lines)}</ul></li>')
    body = ['<h1>Chronology</h1><p class="lead">Every date mentioned in the documents, in order, '
            'linked to where it is mentioned.</p><ol class="chronology">', *items, '</ol>']
    return layout(data, title=f"Chronology — {data.edition.title}", body=body, current="chronology.html")


def page_search(data: SiteData, *, inline: bool = False) -> str:
    """The search page: Pagefind's index under ``pagefind/``, or with ``inline`` (no Pagefind
    on the build machine) a small index of titles and names in the page itself."""
    nouns = [r.noun.lower() for r in data.registers]
    examples = ": " + ", ".join(f"{'an' if n[:1] in 'aeiou' else 'a'} {n}" for n in nouns) if nouns else ""
    listed = (" The registers list every " + (", ".join(nouns[:-1]) + " and " if len(nouns) > 1 else "")
              + nouns[-1] + ".") if nouns else ""
    body = f"""<h1>Search</h1>
<form class="search-page" role="search" action="search.html" method="get">
<label for="te-q">Search the documents and registers</label>
<input id="te-q" name="q" type="search" autocomplete="off">
<button type="submit">Search</button>
</form>
<p id="te-search-status" role="status" aria-live="polite">Type a word or a name{esc(examples)}.</p>
<ol id="te-search-results" class="search-results"></ol>
<noscript><p>Search needs JavaScript.{esc(listed)}</p></noscript>"""
    return layout(data, title=f"Search — {data.edition.title}", body=body, current="search.html",
                  json_blocks={"te-search-index": fallback_index(data)} if inline else None,
                  scripts=("site.js", "search.js"))
