"""The registers' JSON, made a value at a time, is the text json's indenting encoder makes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from tei_edition.registers.export import json_document

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)  # newlines, U+2028 and all
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | text,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
                           max_leaves=10)


@settings(max_examples=80, deadline=None)
@given(key=text, values=st.lists(json_values, max_size=5))
def test_json_document_is_jsons_text(key, values):
    assert json_document(key, iter(values)) == json.dumps({key: values}, ensure_ascii=False, indent=1) + "\n"
