"""Several formats of one document in one go (``transform_many``, ``xslt.run_many``): each
output is the one ``transform()`` gives alone, and a failing format costs only its own output."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tei_edition import formats, xslt
from tei_edition.problems import Problem
from tei_edition.resources import edition_dir
from test_transform import HOSTILE_XSL, _run_isolated  # engine code in a fresh process

tmod = importlib.import_module("tei_edition.transform")  # the package exports a function of that name
SAMPLES = Path(__file__).parent / "samples"
SURIANO = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "suriano"


def _sources() -> list[Path]:
    found = sorted(edition_dir().glob("*.xml")) + sorted(SAMPLES.glob("*.xml"))
    found += sorted(SURIANO.glob("02/00[1-4].xml"))  # real letters, where the corpus is at hand
    return found


SOURCES = _sources()
PARAMS = st.dictionaries(st.sampled_from(["width", "fragment", "base-url", "choice", "edition-title", "document-id"]),
                         st.sampled_from(["", "yes", "no", "40", "https://example.org/ed/", "sic orig", "Letters & Co"]),
                         max_size=3)
REQUESTS = st.lists(st.tuples(st.sampled_from([*formats.names(), "pdf"]), st.none() | PARAMS), min_size=1, max_size=7)


def alone(source, to, params, **kw) -> str | Problem:
    """What ``transform()`` gives for one format: its text, or the Problem it raises."""
    try:
        return tmod.transform(source, to, params, **kw)
    except tmod.TransformError as exc:
        return exc.problem


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=st.sampled_from(SOURCES), requests=REQUESTS, context=st.booleans(), skip_empty=st.booleans(),
       as_document=st.booleans())
def test_each_output_is_what_transform_gives_alone(source, requests, context, skip_empty, as_document):
    from tei_edition.loader import try_load

    loaded = try_load(source) if as_document else None
    given_source = source if loaded is None or isinstance(loaded, Problem) else loaded
    kw = {"context": context, "skip_empty": skip_empty}
    together = tmod.transform_many(given_source, requests, **kw)
    assert len(together) == len(requests)
    for (to, params), result in zip(requests, together):
        assert result == alone(given_source, to, params, **kw), (source.name, to, params)


def test_a_file_that_cannot_be_read_gives_its_problem_for_every_format_and_an_unknown_format_its_own(tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<TEI xmlns='http://www.tei-c.org/ns/1.0'><teiHeader>", encoding="utf-8")
    results = tmod.transform_many(bad, [("html", None), ("pdf", None), ("text", {"width": "40"})])
    assert isinstance(results[0], Problem) and results[0] == results[2] == alone(bad, "html", None)
    assert results[0].file == str(bad) and results[0].line >= 1
    assert results[1].rule == "format" and "pdf" in results[1].message


def test_a_register_is_skipped_for_every_format_unless_asked():
    register = edition_dir() / "persons.xml"
    skipped = tmod.transform_many(register, [("html", None), ("csl-json", None)])
    assert all(isinstance(r, Problem) and r.rule == "no-document-text" and r.severity == "warning" for r in skipped)
    kept = tmod.transform_many(register, [("html", None), ("csl-json", None)], skip_empty=False)
    assert all(isinstance(r, str) for r in kept) and kept[0] != kept[1]


def test_run_many_on_text_saxon_cannot_parse_gives_runs_problem_for_each_stylesheet():
    with pytest.raises(xslt.XsltError) as raised:
        xslt.run("text", "<r><unclosed></r>", file="letters/a.xml")
    results = xslt.run_many([("text", None, None), ("html", {"fragment": "yes"}, None), ("nowhere", None, None)],
                            "<r><unclosed></r>", file="letters/a.xml")
    assert results[0] == results[1] == raised.value.problem
    assert results[0].file == "letters/a.xml"
    assert results[2].rule == "xslt" and "no stylesheet named 'nowhere'" in results[2].message


def test_a_failing_stylesheet_gives_its_own_located_problem_and_the_others_still_run(tmp_path):
    (tmp_path / "hostile.xsl").write_text(HOSTILE_XSL)  # how=fail: xsl:message terminate="yes"
    result = _run_isolated(f"""
        from pathlib import Path
        from tei_edition import xslt
        xslt._engine = xslt._Engine(); xslt._engine.compile_all(Path({str(tmp_path)!r}))
        jobs = [("hostile", {{"how": how}}, None) for how in ("plain", "fail", "plain")]
        print(*xslt.run_many(jobs, "<r/>", file="letters/a.xml"), sep="\\n")
        try: xslt.run("hostile", "<r/>", {{"how": "fail"}}, file="letters/a.xml")
        except xslt.XsltError as exc: print(exc.problem)
    """)
    assert result.returncode == 0, result.stderr
    plain, failed, plain_again, alone = result.stdout.splitlines()
    assert plain == plain_again == "ok r"
    assert failed == alone  # the Problem run() raises for it
    assert failed.startswith("letters/a.xml:") and "the stylesheet gave up" in failed and "hostile.xsl:" in failed
    assert result.stderr == ""  # Saxon's native stderr was captured, not leaked


def test_in_a_worker_without_the_html_stylesheet_the_site_keeps_every_other_output():
    result = _run_isolated("""
        import importlib, json
        from tei_edition import xslt
        from tei_edition.loader import load
        from tei_edition.resources import edition_dir
        from tei_edition.site.transforms import site_transforms, transform_outputs
        t = importlib.import_module("tei_edition.transform")
        xslt.warm(["text", "bibtex", "ris", "csl-json"])
        doc = load(edition_dir() / "communique.xml")
        outputs = transform_outputs(doc, "https://example.org/ed")
        for fmt, params in site_transforms("https://example.org/ed"):
            try:
                alone = t.transform(doc, fmt, params or None)
            except t.TransformError as exc:
                alone = exc.problem
            print(json.dumps([fmt, str(outputs[fmt]), outputs[fmt] == alone, isinstance(outputs[fmt], str)]))
        print(json.dumps(["citations", len(outputs["citations"])]))
    """)
    assert result.returncode == 0, result.stderr
    rows = {row[0]: row[1:] for row in map(__import__("json").loads, result.stdout.splitlines())}
    assert set(rows) == {"html", "bibtex", "ris", "csl-json", "text", "citations"}
    text, same, is_text = rows.pop("html")
    assert same and not is_text and "communique.xml" in text and "'html' was not compiled" in text
    assert rows.pop("citations") == [2]  # Chicago and MLA, from the CSL-JSON that did come out
    assert all(same and is_text for _text, same, is_text in rows.values())
