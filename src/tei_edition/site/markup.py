"""HTML for the pages: sanitising the reading text and giving it links, anchors and dates."""

from __future__ import annotations

import re

from lxml import etree
from lxml import html as lhtml

from .model import DateMention, Mention
from .text import esc, format_date, norm, ref_ids, safe_url

# The site renders no TEI itself: html.xsl does. Where its output is missing, the page
# shows the text's words, escaped, one paragraph per line of the source.


def plain_text_html(el) -> str:
    """``el``'s text content as escaped paragraphs: the fallback for a failed HTML transform."""
    lines = (norm(line) for line in "".join(el.itertext(etree.Element)).split("\n"))
    return "".join(f'<p class="plain-text">{esc(line)}</p>' for line in lines if line)


def section_html(text: str, *classes: str) -> str | None:
    """The content of the first ``section`` in the HTML ``text`` carrying every class of
    ``classes`` (html.xsl writes a TEI div as ``section.tei-div.type-{@type}``), as HTML,
    followed by the endnotes its note markers point to (html.xsl puts every note of the
    document in one ``section.tei-notes`` at its end)."""
    root = _fragment_root(text)
    want = set(classes)
    for section in root.iter("section"):
        if want <= _classes(section):
            marks = {a.get("href", "")[1:] for a in section.iter("a") if "tei-noteref" in _classes(a)}
            notes = next((n for n in root.iter("section") if "tei-notes" in _classes(n)), None)
            if notes is None or not marks:
                return _inner_html(section)
            for li in list(notes.iter("li")):
                if li.get("id") not in marks:
                    li.drop_tree()
            return _inner_html(section) + lhtml.tostring(notes, encoding="unicode", method="html")
    return None


def _classes(el) -> set[str]:
    return set((el.get("class") or "").split())


def _inner_html(el) -> str:
    return (esc(el.text) if el.text else "") + "".join(lhtml.tostring(c, encoding="unicode", method="html") for c in el)


DROP_TAGS = {"script", "style", "iframe", "object", "embed", "link", "meta", "base", "form", "input",
             "button", "textarea", "select", "frame", "frameset", "applet", "noscript", "template",
             "svg", "math", "title", "head"}
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "srcset", "background",
             "data", "cite", "ping"}
RESERVED_IDS = {"main", "content"}  # the page's own ids all start with "te-"
BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dd", "dt", "td", "th", "blockquote",
              "figcaption", "pre", "address"}


def sanitise(root) -> None:
    """Remove anything executable from HTML that came from the input."""
    for el in list(root.iter()):
        if not isinstance(el.tag, str):
            if isinstance(el, (etree._Comment, etree._ProcessingInstruction)) and el.getparent() is not None:
                el.drop_tree() if hasattr(el, "drop_tree") else el.getparent().remove(el)
            continue
        if el.tag.lower() in DROP_TAGS and el is not root:
            el.drop_tree()
            continue
        for name in list(el.attrib):
            low = name.lower()
            if low.startswith("on") or low in ("style", "srcdoc", "formaction") or ":" in low and low != "xml:lang":
                del el.attrib[name]
            elif low in URL_ATTRS:
                url = safe_url(el.get(name))
                if url is None or low in ("src", "srcset", "data", "poster", "background", "ping"):
                    del el.attrib[name]
                else:
                    el.set(name, url)


_A_TAG = re.compile(r"""<(/?)a\b((?:[^>"']|"[^"]*"|'[^']*')*)>""", re.I)
_ENTITY_CLASS = re.compile(r"""class\s*=\s*["'][^"']*\bentity\b""")
_PAGE_LINK = re.compile(r"([\w.-]+)\.(?:xml|html)(?:#([\w.-]+))?")
_YEAR = re.compile(r"-?\d{4}")
_SPECIAL = frozenset(("dateline", "salute", "signed", "byline", "trailer"))


def _unnest_links(text: str) -> str:
    """Turn entity links into spans before parsing: the HTML output nests a mention inside
    a mention (<a> in <a>), which an HTML parser would split apart."""
    stack: list[bool] = []

    def swap(m):
        closing, attrs = m.group(1), m.group(2)
        if not closing:
            is_entity = bool(_ENTITY_CLASS.search(attrs))
            stack.append(is_entity)
            return f"<span data-was-link=\"1\"{attrs}>" if is_entity else m.group(0)
        return "</span>" if (stack.pop() if stack else False) else m.group(0)
    return _A_TAG.sub(swap, text)


def _fragment_root(text: str):
    """Parse the HTML output (fragment or page) and return a <div> holding the reading text
    (the stylesheet's own header is dropped: the page has its own title and metadata panel)."""
    wrapper = lhtml.Element("div")
    if not text.strip():
        return wrapper
    text = _unnest_links(text)
    if re.search(r"<html[\s>]|<body[\s>]|<!DOCTYPE", text[:2000], re.I):
        content = lhtml.document_fromstring(text).find("body")
    else:
        content = lhtml.Element("div")
        for part in lhtml.fragments_fromstring(text):
            if isinstance(part, str):
                if len(content):
                    content[-1].tail = (content[-1].tail or "") + part
                else:
                    content.text = (content.text or "") + part
            else:
                content.append(part)
    if content is None:
        return wrapper
    article = content.find(".//article")
    if article is None:
        article = content.find(".//main")
    if article is not None:
        parts = [c for c in article if isinstance(c.tag, str)
                 and not ({"tei-header"} & set((c.get("class") or "").split())) and c.tag != "header"]
        for c in parts:
            wrapper.append(c)
        return wrapper
    wrapper.text = content.text
    for c in list(content):
        wrapper.append(c)
    return wrapper


def _entity_refs(el, resolve=None) -> list[str]:
    ref = el.get("data-ref") or el.get("data-refs") or ""
    if not ref and el.tag == "a":
        ref = el.get("href") or ""
    if resolve is not None:
        return [i for i in map(resolve, ref.split()) if i]
    return ref_ids(ref) if ("#" in ref or ".xml" in ref) else ref.split()


def process_fragment(text: str, doc_id: str, prefix: str, index: dict, doc_ids: dict, resolve=None):
    """Sanitise a reading-text fragment and give it what the site needs.

    Returns (html, mentions, dates, blocks): every mention of a register entry or a
    document becomes a link (to the register or the document page) carrying
    ``data-refs``; nested mentions are folded into the outermost one, because links
    and buttons must not nest; every block holding a mention, a date or text gets
    an id so backlinks, the chronology and search can point at it.
    ``resolve``: turns one pointer as written (``#id``, ``file.xml#id``, ``prefix:value``)
    into the id it names, or None (see :func:`.documents.pointer_resolver`).
    """
    root = _fragment_root(text)
    # Held for the whole call: lxml.html makes a Python object (and asks its class lookup)
    # for an element each time one is reached with none alive; every pass below reuses them.
    alive = list(root.iter())
    sanitise(root)
    for h in root.iter("h1"):
        h.tag = "h2"  # the page has its own h1 (the document title)
    for a in root.iter("a"):  # links between TEI files become links between pages
        href = a.get("href") or ""
        m = _PAGE_LINK.fullmatch(href)
        if m and "entity" not in (a.get("class") or "") and (href.split("#")[0].endswith(".xml") or m.group(1) in doc_ids):
            stem, frag = m.groups()
            if frag in index:
                a.set("href", index[frag].href)
            elif stem in doc_ids:
                a.set("href", f"{doc_ids[stem]}.html" + (f"#{frag}" if frag and frag not in doc_ids else ""))
    entity_els = [e for e in root.iter() if isinstance(e.tag, str)
                  and ("entity" in (e.get("class") or "").split() or e.get("data-ref"))]
    is_entity = set(entity_els)
    for e in entity_els:
        e.attrib.pop("data-was-link", None)
    outer = [e for e in entity_els if not any(a in is_entity for a in e.iterancestors())]
    counter = {"p": 0, "b": 0}
    used_ids = set()
    for e in root.iter():
        if isinstance(e.tag, str) and e.get("id"):
            ident = e.get("id")
            if ident.startswith("te-") or ident in used_ids or ident in RESERVED_IDS or ident in index:
                e.attrib.pop("id")  # never let an input id capture one of the page's own anchors
            else:
                used_ids.add(ident)

    def block_of(el):
        # the paragraph-like element holding el; never a mention itself (the script
        # replaces mentions by buttons, and an id there would be lost)
        chain = [a for a in [el, *el.iterancestors()] if a not in is_entity]
        for a in chain:
            if a is root:
                break
            if a.tag in BLOCK_TAGS or (a.tag in ("div", "section") and a.get("id")):
                return a
        return chain[0] if chain and chain[0] is not root else el

    # number paragraphs first so labels follow reading order
    labels = {}
    for el in root.iter():
        if not isinstance(el.tag, str) or el is root:
            continue
        cls = [c[4:] if c.startswith("tei-") else c for c in (el.get("class") or "").split()]
        if el.tag == "p" and not _SPECIAL.intersection(cls) and "quote-source" not in cls:
            counter["p"] += 1
            quoted = any(True for _ in el.iterancestors("blockquote"))
            labels[el] = f"¶ {el.get('data-n') or counter['p']}" + (" (quoted)" if quoted else "")
        elif el.tag in BLOCK_TAGS:
            labels[el] = ("heading" if el.tag.startswith("h") else
                          next((c for c in cls if c in _SPECIAL),
                               "quotation" if el.tag == "blockquote" else
                               "note" if "note" in cls else el.tag))

    def anchor(el) -> tuple[str, str]:
        blk = block_of(el)
        if not blk.get("id"):
            counter["b"] += 1
            new = f"{prefix}-{'p' if blk.tag == 'p' else 'b'}{counter['b']}"
            while new in used_ids:
                counter["b"] += 1
                new = f"{prefix}-b{counter['b']}"
            used_ids.add(new)
            blk.set("id", new)
        return blk.get("id"), labels.get(blk, "text")

    mentions: list[Mention] = []
    for el in outer:
        refs = []
        for e in [el, *[d for d in el.iterdescendants() if d in is_entity]]:
            for r in _entity_refs(e, resolve):
                if r not in refs:
                    refs.append(r)
        for d in el.iterdescendants():
            if d in is_entity:
                d.tag = "span"
                for attr in ("href", "data-ref", "data-type", "class", "id", "data-was-link"):
                    d.attrib.pop(attr, None)
                d.set("class", "entity-part")
        known = [r for r in refs if r in index]
        docs = [doc_ids[r] for r in refs if r in doc_ids and r not in index]
        anchor_id, label = anchor(el)
        for r in known + docs:
            mentions.append(Mention(r, doc_id, anchor_id, label))
        for attr in ("data-ref", "data-type", "target", "rel", "data-was-link"):
            el.attrib.pop(attr, None)
        if known:
            el.tag = "a"
            el.set("class", "entity")
            el.set("href", index[known[0]].href)
            el.set("data-refs", " ".join(known))
            el.set("data-kind", index[known[0]].kind)
        elif docs:
            el.tag = "a"
            el.set("class", "doc-ref")
            el.set("href", f"{docs[0]}.html")
        else:
            el.tag = "span"
            el.attrib.pop("href", None)
            el.set("class", "entity-unknown")
    dates: list[DateMention] = []
    for t in root.iter("time"):
        key = t.get("datetime") or ""
        if not _YEAR.match(key):
            continue
        anchor_id, block_label = anchor(t)
        label = t.get("title") or format_date(key[:10])
        said = norm(t.text_content())
        block = root.get_element_by_id(anchor_id, None) if hasattr(root, "get_element_by_id") else None
        whole = norm(block.text_content()) if block is not None else said
        dates.append(DateMention(key, label, said, doc_id, anchor_id, block_label, _around(whole, said)))
    block_list = []
    for el in root.iter():
        if el in labels and not any(a in labels for a in el.iterancestors()):
            words = norm(el.text_content())
            if words:
                anchor_id, label = anchor(el)
                block_list.append((anchor_id, label, words))
    del alive
    return _inner_html(root), mentions, dates, block_list


def _around(text: str, part: str, width: int = 90) -> str:
    """A few words either side of ``part`` in ``text``, cut at word boundaries."""
    at = text.find(part)
    if at < 0 or len(text) <= 2 * width + len(part):
        return text
    start, end = max(0, at - width), min(len(text), at + len(part) + width)
    head = text[start:at]
    head = head[head.find(" ") + 1:] if start > 0 and " " in head else head
    tail = text[at + len(part):end]
    tail = tail[:tail.rfind(" ")] if end < len(text) and " " in tail else tail
    return ("… " if start > 0 else "") + head + part + tail + (" …" if end < len(text) else "")
