"""ISO Schematron with queryBinding xslt2/xslt3 on saxonche, and Schematron embedded in RELAX NG.

The small schemas under data/schematron/ each exercise one part of ISO Schematron;
the documents are written here, so each test shows what it feeds in."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from textpos import position

from tei_edition import loader
from tei_edition.problems import ERROR, WARNING, Problem
from tei_edition.resources import schema_dir
from tei_edition.validation import schematron
from tei_edition.validation.locate import Locator
from tei_edition.validation.sch_run import SaxonSchematron, node_at

DATA = Path(__file__).parent / "data" / "schematron"
CMIF = Path("/work/shared/schemas/cmif")
TEI_ALL = Path("/work/shared/schemas/tei_all.rng")
TEI = "http://www.tei-c.org/ns/1.0"


def tei(body: str = "", title: str = "t", root: str = "") -> str:
    return (f'<TEI xmlns="{TEI}"{root}>\n<teiHeader><fileDesc><titleStmt><title>{title}</title></titleStmt>'
            f"</fileDesc></teiHeader>\n<text><body>\n{body}\n</body></text>\n</TEI>\n")


def run(sch, text: str, phase: str | None = None, name: str = "doc.xml") -> list[Problem]:
    """The problems ``sch`` finds in ``text`` (located against the text itself)."""
    doc = loader.parse_bytes(text.encode("utf-8"), name, require_tei=False)
    assert not isinstance(doc, Problem), doc
    compiled = schematron.compiled(sch, phase) if phase else schematron.compiled(sch)
    return schematron.check(doc, sch, Locator(doc, text), schema=compiled)


def by_rule(problems) -> dict[str, list[Problem]]:
    found: dict[str, list[Problem]] = {}
    for p in problems:
        found.setdefault(p.rule, []).append(p)
    return found


# -- the language --------------------------------------------------------------------------

def test_an_xslt2_schematron_compiles_for_saxon_and_an_xslt1_one_stays_on_lxml():
    assert isinstance(schematron.compiled(DATA / "rules.sch"), SaxonSchematron)
    project = schematron.compiled(schema_dir() / "tei-edition.sch")
    assert isinstance(project, schematron.Compiled) and project.mirrored


def test_first_rule_wins_within_a_pattern_and_value_of_is_evaluated():
    text = tei('<p rend="special">a</p>\n<p>b</p>\n<p rend="other">c</p>')
    found = by_rule(run(DATA / "rules.sch", text))
    assert [p.line for p in found["special"]] == [position(text, '<p rend="special"')[0]]
    # the special paragraph matched the first rule only; the others the second, counted by value-of
    assert [p.message for p in found["plain"]] == ["plain paragraph 2", "plain paragraph 3"]
    assert [(p.line, p.col) for p in found["plain"]] == [position(text, "<p>"), position(text, '<p rend="other"')]


def test_lets_at_three_levels_a_foreign_function_name_emph_and_diagnostics():
    text = tei(title="one two three four")
    (problem,) = by_rule(run(DATA / "rules.sch", text))["words"]  # no @id: the pattern's id
    assert problem.severity == WARNING
    assert problem.message == ("title has 4 words, more than 3 "
                               "(words are counted by f:words, limit 3)")
    assert (problem.line, problem.col) == position(text, "<title>")
    assert problem.xpath == "/TEI/teiHeader/fileDesc/titleStmt/title"
    assert "words" not in by_rule(run(DATA / "rules.sch", tei(title="one two three")))


def test_role_and_flag_give_the_severity():
    found = {p.rule: p.severity for p in run(DATA / "rules.sch", tei(root=' n="severities"'))}
    assert found == {"r-error": ERROR, "r-fatal": ERROR, "r-warning": WARNING, "r-warn": WARNING,
                     "r-info": WARNING, "r-flag": WARNING, "r-other": ERROR, "severities": ERROR}


def test_a_flag_naming_an_attribute_and_a_subject_locate_the_attribute():
    text = tei('<p xml:id="a" corresp="#a #zz"><date when="1952-13-1"/></p>')
    found = by_rule(run(DATA / "rules.sch", text))
    (date,) = found["date-format"]
    assert (date.line, date.col) == position(text, 'when="')
    assert date.xpath.endswith("/date/@when") and '@when="1952-13-1"' in date.message
    (pointer,) = found["corresp-resolves"]
    assert pointer.severity == ERROR and pointer.message == "#zz does not resolve"
    assert (pointer.line, pointer.col) == position(text, 'corresp="')


DATE = re.compile(r"[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.text(alphabet="0123456789-x ", max_size=12), min_size=1, max_size=6))
def test_matches_agrees_with_a_python_oracle(values):
    text = tei("".join(f'<date when="{v}"/>' for v in values))
    flagged = [p.xpath for p in run(DATA / "rules.sch", text) if p.rule == "date-format"]
    expected = [i for i, v in enumerate(values) if not DATE.fullmatch(v)]
    names = [f"/TEI/text/body/date{f'[{i + 1}]' if len(values) > 1 else ''}/@when" for i in expected]
    assert flagged == names


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["#a", "#b", "#zz", "#", "a"]), min_size=1, max_size=5))
def test_tokenize_and_a_key_agree_with_a_python_oracle(targets):
    text = tei(f'<p xml:id="a">x</p><p xml:id="b" corresp="{" ".join(targets)}">y</p>')
    found = [p.message for p in run(DATA / "rules.sch", text) if p.rule == "corresp-resolves"]
    missing = [t for t in targets if t[1:] not in ("a", "b") or not t.startswith("#")]
    assert found == ([f"{' '.join(missing)} does not resolve"] if missing else [])


@settings(max_examples=30, deadline=None)
@given(st.lists(st.sampled_from(["special", "other", None]), min_size=1, max_size=8))
def test_each_paragraph_fires_exactly_one_rule_of_its_pattern(rends):
    body = "".join(f'<p rend="{r}">x</p>' if r else "<p>x</p>" for r in rends)
    found = Counter(p.rule for p in run(DATA / "rules.sch", tei(body)) if p.rule in ("special", "plain"))
    assert found == Counter({"special": rends.count("special"), "plain": len(rends) - rends.count("special")})


def test_abstract_patterns_with_params_and_abstract_rules():
    text = tei("<head/>\n<date/>\n<date when='1952'/>\n<ref/>\n<ref target='x'/>", title="a title of more words")
    found = by_rule(run(DATA / "abstract.sch", text))
    assert sorted(p.message for p in found["required"]) == ["date needs @when", "ref needs @target"]
    assert [p.message for p in found["empty"]] == ["head is empty"]
    assert [p.message for p in found["title-short"]] == ["title too long"]
    assert [(p.line, p.col) for p in found["empty"]] == [position(text, "<head/>")]


def test_includes_by_file_by_id_and_extends_href():
    found = by_rule(run(DATA / "include.sch", tei("<head/><note/><note type='x'/>")))
    assert {rule: len(ps) for rule, ps in found.items()} == {"head-text": 1, "note-type": 1}


def test_an_include_outside_the_schema_folder_is_refused_with_its_position(tmp_path, secret_file):
    folder = tmp_path / "schema"
    folder.mkdir()
    sch = folder / "outside.sch"
    secret = Path(secret_file.path).with_name("secret.sch")
    secret.write_text('<pattern xmlns="http://purl.oclc.org/dsdl/schematron"/>', encoding="utf-8")
    secret_file.forget()
    text = ('<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">\n'
            f'  <include href="{secret.as_uri()}"/>\n</schema>\n')
    sch.write_text(text, encoding="utf-8")
    problem = schematron.compiled(sch)
    assert isinstance(problem, Problem) and problem.file == str(sch)
    assert (problem.line, problem.col) == position(text, "href=")
    assert "outside the schema's own folder" in problem.message
    secret_file.assert_not_opened()


def test_phases_default_named_all_and_unknown():
    sch = DATA / "phases.sch"
    text = tei("<p>x</p>", title="")
    assert [p.rule for p in run(sch, text)] == ["title-text"]  # defaultPhase="quick"
    assert sorted(p.rule for p in run(sch, text, "full")) == ["paragraphs", "title-text"]
    assert [p.message for p in run(sch, text, "full") if p.rule == "paragraphs"] == ["fewer than 2 paragraphs"]
    assert sorted(p.rule for p in run(sch, text, "quick")) == ["title-text"]
    unknown = schematron.compiled(sch, "nope")
    assert isinstance(unknown, Problem) and "no phase 'nope'" in unknown.message and "full, quick" in unknown.message
    # #ALL has every pattern, and then the phase's let is not there: a compile error at the let's use
    everything = schematron.compiled(sch, "#ALL")
    assert isinstance(everything, Problem) and everything.rule == "schema-invalid"
    source = sch.read_text(encoding="utf-8")
    assert (everything.line, everything.col) == position(source, 'test="count(tei:p)')


# -- errors --------------------------------------------------------------------------------

def test_an_unknown_prefix_is_one_located_problem():
    sch = DATA / "broken-prefix.sch"
    problem = schematron.compiled(sch)
    assert isinstance(problem, Problem) and problem.file == str(sch)
    assert (problem.line, problem.col) == position(sch.read_text(encoding="utf-8"), 'test="foo:bar')
    assert "XPST0081" in problem.message and "'foo'" in problem.message
    # each document checked gets one problem naming that place
    (per_file,) = run(sch, tei())
    assert per_file.rule == "schema-invalid" and f"{sch}:{problem.line}:{problem.col}" in per_file.message


def test_a_bad_context_is_located_at_the_rule():
    sch = DATA / "broken-context.sch"
    problem = schematron.compiled(sch)
    assert isinstance(problem, Problem)
    assert (problem.line, problem.col) == position(sch.read_text(encoding="utf-8"), "context=")


def test_an_error_while_checking_names_the_schema_position():
    sch = DATA / "runtime-error.sch"
    assert run(sch, tei('<p n="5">x</p>')) == []
    (problem,) = run(sch, tei('<p n="five">x</p>'))
    line, col = position(sch.read_text(encoding="utf-8"), 'test="xs:integer')
    assert problem.rule == "schematron-run" and "FORG0001" in problem.message
    assert f"runtime-error.sch:{line}:{col}" in problem.message


def test_documents_and_xslt_other_than_functions_are_refused(tmp_path):
    head = '<schema xmlns="http://purl.oclc.org/dsdl/schematron" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" ' \
           'queryBinding="xslt2">'
    cases = {
        "documents": '<pattern documents="doc(\'x.xml\')"><rule context="/"><assert test="1">x</assert></rule></pattern>',
        "import": '<xsl:import href="x.xsl"/>',
        "writes": '<xsl:function name="xsl:f" xmlns:q="urn:q"><xsl:result-document href="out.txt">x'
                  "</xsl:result-document></xsl:function>",
        "environment": '<pattern><rule context="/"><report test="environment-variable(\'HOME\')">x</report>'
                       "</rule></pattern>",
        "lookup": '<let name="f" value="fn:function-lookup#2"/>',
        "evaluate": '<xsl:function name="xsl:g"><xsl:evaluate xpath="\'1\'"/></xsl:function>',
    }
    for name, body in cases.items():
        sch = tmp_path / f"{name}.sch"
        sch.write_text(f"{head}\n{body}\n</schema>", encoding="utf-8")
        problem = schematron.compiled(sch)
        assert isinstance(problem, Problem) and problem.line == 2, name
        assert problem.rule == "schematron-unsupported", name
    assert not (tmp_path / "out.txt").exists()


@pytest.mark.parametrize("call", ["unparsed-text('{url}')", "string(doc('{url}'))", "count(collection('{dir}'))",
                                  "string(document('{url}'))"])
def test_a_schematron_reading_another_file_reads_nothing_and_says_so(tmp_path, secret_file, call):
    expression = call.format(url=secret_file.url, dir=Path(secret_file.path).parent.as_uri())
    sch = tmp_path / "reads.sch"
    sch.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">\n'
                   '<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>\n'
                   f'<pattern><rule context="tei:TEI"><let name="read" value="{expression}"/>\n'
                   '<report test="true()">read: <value-of select="$read"/></report></rule></pattern>\n</schema>',
                   encoding="utf-8")
    secret_file.forget()
    (problem,) = run(sch, tei())
    assert problem.rule == "schematron-document", problem
    assert "nothing was read" in problem.message and "reads.sch:3:" in problem.message
    secret_file.assert_absent(problem.message)
    secret_file.assert_not_opened()


# -- compiled once -------------------------------------------------------------------------

def test_compiled_once_per_file_version_and_phase(tmp_path):
    sch = tmp_path / "rules.sch"
    shutil.copy(DATA / "rules.sch", sch)
    first = schematron.compiled(sch)
    assert schematron.compiled(sch) is first
    assert schematron.compiled(sch, "#ALL") is not first
    sch.write_text(sch.read_text(encoding="utf-8").replace("special paragraph", "a special one"), encoding="utf-8")
    os.utime(sch, (1, 1))
    changed = schematron.compiled(sch)
    assert changed is not first
    assert "a special one" in [p.message for p in run(sch, tei('<p rend="special"/>'))]


# -- embedded in RELAX NG ------------------------------------------------------------------

def test_schematron_embedded_in_relax_ng():
    rng = DATA / "odd.rng"
    compiled = schematron.embedded(rng)
    assert isinstance(compiled, SaxonSchematron)
    text = tei('<p xml:lang="english"> </p>\n<p xml:lang="en">x</p>')
    doc = loader.parse_bytes(text.encode(), "doc.xml")
    found = {p.rule: p for p in schematron.check(doc, rng, Locator(doc, text), schema=compiled)}
    assert set(found) == {"odd-p-lang-constraint", "odd-p-empty-constraint"}
    assert found["odd-p-lang-constraint"].severity == WARNING
    assert found["odd-p-lang-constraint"].message == '@xml:lang="english" is not a language tag'
    assert (found["odd-p-empty-constraint"].line, found["odd-p-empty-constraint"].col) == position(text, "<p xml")
    assert schematron.embedded(DATA / "plain.rng") is None
    assert schematron.embedded(rng) is compiled


def test_a_broken_embedded_rule_is_located_in_the_relax_ng(tmp_path):
    rng = tmp_path / "broken.rng"
    text = (DATA / "odd.rng").read_text(encoding="utf-8").replace("not(normalize-space(.))", "not(normalize-space(.)")
    rng.write_text(text, encoding="utf-8")
    problem = schematron.embedded(rng)
    assert isinstance(problem, Problem) and problem.file == str(rng)
    assert (problem.line, problem.col) == position(text, 'test="not(normalize-space(.)"')


@pytest.mark.skipif(not TEI_ALL.exists(), reason="tei_all.rng is not on this machine")
def test_tei_alls_embedded_rules_compile_and_fire():
    compiled = schematron.embedded(TEI_ALL)
    assert isinstance(compiled, SaxonSchematron) and len(compiled.assertions) > 150
    text = tei('<p><date when="1600-01-01" from="1600-01-01">x</date> <ptr target="#a" cRef="b"/></p>')
    doc = loader.parse_bytes(text.encode(), "doc.xml")
    found = {p.rule: p for p in schematron.check(doc, TEI_ALL, Locator(doc, text), schema=compiled)}
    date = next(p for rule, p in found.items() if "att-datable-w3c-when" in rule)
    assert date.severity == WARNING and (date.line, date.col) == position(text, "<date")
    ptr = next(p for rule, p in found.items() if "ptr" in rule)
    assert ptr.severity == ERROR and "@target and @cRef" in ptr.message


# -- a real Schematron ---------------------------------------------------------------------

@pytest.mark.skipif(not CMIF.exists(), reason="the CMIF schemas are not on this machine")
def test_cmif_schematron_on_its_own_example_and_on_broken_copies(tmp_path):
    sch = CMIF / "cmif.sch"
    example = (CMIF / "example01_basic.xml").read_text(encoding="utf-8")
    assert run(sch, example) == []  # the CMIF SIG's own example follows its rules
    uuid = "f5055f00-9182-4728-8f81-a0cf016b616b"
    broken = (example.replace(f'source="#{uuid}"', 'source="#elsewhere"', 1)
              .replace('<correspAction type="sent">', '<correspAction type="other">', 1)
              .replace('<date when="1810-07-18"/>', '<date/>')
              .replace(f'xml:id="{uuid}"', 'xml:id="b1"'))
    found = {(p.message.split("]")[0] + "]", p.severity, p.line, p.col) for p in run(sch, broken)}
    assert found == {
        ("[W0001]", WARNING, *position(broken, "<bibl ")),
        ("[E0001]", ERROR, *position(broken, "<correspDesc ")),
        *{("[E0003]", ERROR, *position(broken, "source=", n)) for n in (1, 2, 3)},
        ("[E0004]", ERROR, *position(broken, "<date/>")),
    }


def test_node_at_follows_saxon_paths_into_the_lxml_tree():
    text = f'<a xmlns="{TEI}" xmlns:q="urn:x/y"><b/><q:b/><b x="1" q:x="2">t</b></a>'
    doc = loader.parse_bytes(text.encode(), "d.xml", require_tei=False)
    b2 = doc.root[2]
    assert node_at(doc, f"/Q{{{TEI}}}a[1]/Q{{{TEI}}}b[2]") == (b2, None)
    assert node_at(doc, f"/Q{{{TEI}}}a[1]/Q{{urn:x/y}}b[1]") == (doc.root[1], None)
    assert node_at(doc, f"/Q{{{TEI}}}a[1]/Q{{{TEI}}}b[2]/@x") == (b2, "x")
    assert node_at(doc, f"/Q{{{TEI}}}a[1]/Q{{{TEI}}}b[2]/@Q{{urn:x/y}}x") == (b2, "{urn:x/y}x")
    assert node_at(doc, f"/Q{{{TEI}}}a[1]/Q{{{TEI}}}b[2]/text()[1]") == (b2, None)
    assert node_at(doc, "/") == (doc.root, None)


# -- the same rules through both routes ----------------------------------------------------

def _project_on_saxon():
    """The project's XSLT 1.0 .sch compiled by this module's compiler (run in XSLT's
    backwards-compatible mode), to compare with lxml's skeleton."""
    from tei_edition.validation.sch_expand import Sources, expand
    from tei_edition.validation.sch_run import compile_schema
    from tei_edition.validation.schemafile import load_schema

    sch = schema_dir() / "tei-edition.sch"
    doc = load_schema(sch)
    sources = Sources()
    sources.mark(doc, doc.root)
    return compile_schema(expand(doc.root, sources, sch), str(sch))


ON_SAXON = []


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(dates=st.lists(st.tuples(st.sampled_from(["when", "from", "to", "notBefore", "notAfter"]),
                                st.one_of(st.from_regex(r"\A[0-9]{4}(-[0-9]{2}(-[0-9]{2})?)?\Z"),
                                          st.text(alphabet="0123456789-", max_size=10))),
                      max_size=4),
       pointers=st.lists(st.sampled_from(["#doc", "#a", "#zz", "#", "#a #doc"]), max_size=3),
       twice=st.booleans(), letter=st.booleans())
def test_the_project_rules_give_the_same_problems_on_both_routes(monkeypatch, dates, pointers, twice, letter):
    """An oracle for the compiler: lxml's ISO skeleton, on the project's own .sch, whose one
    pattern relies on first-rule-wins (a dated element is not checked as a pointer)."""
    if not ON_SAXON:
        ON_SAXON.append(_project_on_saxon())
    sch = schema_dir() / "tei-edition.sch"
    attrs = "".join(f' {name}="{value}"' for name, value in dict(dates).items())
    refs = "".join(f'<ref target="{t}">r</ref>' for t in pointers)
    body = (f'<dateline><date{attrs}>d</date></dateline><p xml:id="a">{refs}</p>'
            + ('<p xml:id="a">again</p>' if twice else "") + ("<closer><salute>s</salute></closer>" if letter else ""))
    text = tei(body, root=' xml:id="doc"')
    doc = loader.parse_bytes(text.encode(), "doc.xml")
    monkeypatch.setattr(schematron, "FAST", False)  # the same value in every example
    lxml_route = schematron.check(doc, sch, Locator(doc, text))
    saxon_route = schematron.check(doc, sch, Locator(doc, text), schema=ON_SAXON[0])
    key = lambda p: (p.line, p.col, p.rule.split(".")[0], p.severity, p.message, p.xpath)  # noqa: E731
    assert sorted(map(key, saxon_route)) == sorted(map(key, lxml_route))


def test_a_pattern_let_may_use_the_patterns_earlier_lets(tmp_path):
    sch = tmp_path / "lets.sch"
    sch.write_text('<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2">\n'
                   '<ns prefix="tei" uri="http://www.tei-c.org/ns/1.0"/>\n'
                   '<let name="base" value="1"/>\n'
                   '<pattern id="p"><let name="a" value="$base + 1"/><let name="b" value="$a * 10"/>\n'
                   '<rule context="tei:p[count(preceding-sibling::tei:p) + 1 = $a]">'
                   '<report id="second" test="true()">p <value-of select="$a"/> of <value-of select="$b"/></report>'
                   '</rule></pattern>\n</schema>', encoding="utf-8")
    assert [p.message for p in run(sch, tei("<p/><p/><p/>"))] == ["p 2 of 20"]


def test_a_worker_forked_after_compiling_compiles_its_own():
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.skip("no fork on this platform")
    FORKED[:] = [schematron.compiled(DATA / "rules.sch")]  # the worker inherits it, as a pool's would
    text = tei('<p rend="special">x</p>')
    with multiprocessing.get_context("fork").Pool(1) as pool:
        found = pool.apply_async(_rules_in_worker, (text,)).get(timeout=120)
    assert found == ["special"]


FORKED: list = []


def _rules_in_worker(text: str) -> list[str]:
    doc = loader.parse_bytes(text.encode(), "doc.xml")
    return [p.rule for p in schematron.check(doc, DATA / "rules.sch", Locator(doc, text), schema=FORKED[0])]
