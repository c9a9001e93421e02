"""A record's page data (``page_dict``) is what ``dataclasses.asdict`` gives, value for value
and type for type, and shares nothing mutable with the page it came from."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tei_edition.loader import load
from tei_edition.resources import edition_dir
from tei_edition.site.documents import document_page, page_dict
from tei_edition.site.model import DateMention, DocPage, Mention
from tei_edition.site.records import page_of, page_to_json
from tei_edition.transform import skip_reason


def same(a, b) -> bool:
    """Equal, and of the same type all the way down (a tuple is not a list here)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def mutable_parts(value):
    """Every dict and list inside ``value``."""
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from mutable_parts(v)
    elif isinstance(value, (list, tuple)):
        if isinstance(value, list):
            yield value
        for v in value:
            yield from mutable_parts(v)


class Label(str):
    """A str of another type: asdict deep-copies it, and so must page_dict."""


text = st.text(max_size=12) | st.builds(Label, st.text(max_size=6))
json_like = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
                         lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                         | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=12)
pages = st.builds(
    DocPage, id=text, source=text, title=text, subtitle=text,
    authors=st.lists(st.dictionaries(st.sampled_from(["family", "given", "literal"]), text, max_size=3),
                     max_size=3).map(tuple),
    sender=text, recipient=text, date=text, place=text, source_desc=text,
    orig_languages=st.lists(text, max_size=2).map(tuple), language=text, summary=text, zotero_type=text, body=text,
    blocks=st.lists(st.tuples(text, text, text), max_size=3).map(tuple),
    mentions=st.lists(st.builds(Mention, text, text, text, text), max_size=3).map(tuple),
    dates=st.lists(st.builds(DateMention, text, text, text, text, text, text, text), max_size=3).map(tuple),
    citations=st.lists(st.tuples(text, text), max_size=2).map(tuple),
    downloads=st.lists(st.tuples(text, text, text), max_size=2).map(tuple),
    xml=st.binary(max_size=20), csl=st.dictionaries(st.text(max_size=8), json_like, max_size=4),
    parties=st.tuples(st.lists(st.tuples(text, text), max_size=2).map(tuple),
                      st.lists(st.tuples(text, text), max_size=2).map(tuple)),
    invalid=st.booleans(), places=st.tuples(st.tuples(text, text), st.tuples(text, text)), corresp=st.booleans(),
    context=st.tuples(text, text))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(page=pages)
def test_page_dict_is_what_asdict_gives(page):
    made = page_dict(page)
    assert same(made, dataclasses.asdict(page))
    own = [getattr(page, f.name) for f in dataclasses.fields(page)]
    assert not {id(p) for p in mutable_parts(made)} & {id(p) for p in mutable_parts(own)}


@pytest.mark.parametrize("path", [p for p in sorted(edition_dir().glob("*.xml")) if not skip_reason(load(p))],
                         ids=lambda p: p.name)
def test_a_document_page_and_its_record_are_as_before(path):
    page, _notes = document_page(load(path), {}, {}, "", base_url="https://example.org/ed", name=path.stem)
    record = page_to_json(page)
    expected = dataclasses.asdict(page)
    assert same({k: v for k, v in record.items() if k != "xml"}, {k: v for k, v in expected.items() if k != "xml"})
    assert page_of({"page": json.loads(json.dumps(record, ensure_ascii=False))}) == page
