"""The project Schematron's two routes: quickcheck clears a document and the XSLT
is skipped, or the XSLT runs. Every rule of the .sch must fire through both, and
the two routes must report exactly the same problems."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

import tei_edition
from tei_edition import loader
from tei_edition.resources import edition_dir, schema_dir
from tei_edition.validation import quickcheck, schematron
from tei_edition.config import FILENAME, load as load_config

HERE = Path(__file__).parent
INVALID = HERE / "data" / "invalid"
SCH = schema_dir() / "tei-edition.sch"
SCH_NS = {"sch": "http://purl.oclc.org/dsdl/schematron"}
TEI = "http://www.tei-c.org/ns/1.0"

#: the bundled edition's project file: these cases are written in its conventions
PROJECT = load_config(edition_dir() / FILENAME)


def document(body: str = "", header: str = "", root_attrs: str = "", text_attrs: str = "",
             dateline: str = '<dateline><date when="1952-09-15">15 Sep</date></dateline>') -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<TEI xmlns="{TEI}" xml:id="doc"{root_attrs}>\n'
            f"<teiHeader><fileDesc><titleStmt><title>t</title></titleStmt>"
            f"<publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc></fileDesc>"
            f"{header}</teiHeader>\n<text{text_attrs}><body>{dateline}\n<p>{body}</p>\n</body></text></TEI>\n")


def both_routes(path: Path, monkeypatch) -> tuple[list, list]:
    """Schematron problems with quickcheck, and with the XSLT run on every document."""
    doc = tei_edition.load(path)
    with monkeypatch.context() as m:
        m.setattr(schematron, "FAST", True)
        fast = schematron.check(doc, SCH)
        m.setattr(schematron, "FAST", False)
        full = schematron.check(doc, SCH)
    return fast, full


def test_the_project_schematron_is_the_one_quickcheck_mirrors():
    compiled = schematron.compiled(SCH)
    assert compiled.mirrored, ("schema/tei-edition.sch changed: bring quickcheck.clear() in line with its "
                               "rules, then set quickcheck.MIRRORED_SCH to the new digest")


def test_another_schematron_always_runs_in_full(tmp_path):
    changed = tmp_path / "tei-edition.sch"
    changed.write_text(SCH.read_text(encoding="utf-8").replace("is not a real calendar date",
                                                               "is not a date"), encoding="utf-8")
    assert not schematron.compiled(changed).mirrored


# One document per rule (and per attribute of a rule): the rule id it must raise.
CASES = {
    "date-real.when": document('<date when="1952-02-30">x</date>'),
    "date-real.notBefore": document('<date notBefore="1952-13">x</date>'),
    "date-real.notAfter": document('<date notAfter="1951-02-29">x</date>'),
    "date-real.from": document('<date from="1952-04-31" to="1952-05-01">x</date>'),
    "date-real.to": document('<date from="1952-04-01" to="1952-00-01">x</date>'),
    "date-from-needs-to.from": document('<date from="1952-04-01">x</date>'),
    "date-range-order.from": document('<date from="1952-09" to="1952-08-31">x</date>'),
    "date-range-order.notBefore": document('<date notBefore="1953" notAfter="1952-12-31">x</date>'),
    "pointer-resolves.ref": document('<persName ref="#nobody">x</persName>'),
    "pointer-resolves.corresp": document('<seg corresp="#nothing">x</seg>'),
    "pointer-resolves.target": document('<ref target="#nowhere">x</ref>'),
    "pointer-resolves.source": document('<quote source="#none">x</quote>'),
    "pointer-resolves.who": document('<said who="#noone">x</said>'),
    "id-unique": document('<seg xml:id="twice">a</seg><seg xml:id="twice">b</seg>'),
    "document-dateline": document("text", dateline=""),
    "letter-correspdesc": document("text", text_attrs=' type="letter"'),
}


def test_every_rule_of_the_sch_has_a_case():
    ids = set(etree.parse(str(SCH)).xpath("//sch:assert/@id | //sch:report/@id", namespaces=SCH_NS))
    assert ids == set(CASES)


@pytest.mark.parametrize("assert_id", sorted(CASES))
def test_each_rule_fires_through_both_routes(assert_id, tmp_path, monkeypatch):
    path = tmp_path / "case.xml"
    path.write_text(CASES[assert_id], encoding="utf-8")
    fast, full = both_routes(path, monkeypatch)
    assert fast == full
    assert assert_id.split(".")[0] in {p.rule for p in fast}, [str(p) for p in fast]
    # and through validate, with the XSD and the cross-file checks beside it
    assert assert_id.split(".")[0] in {p.rule for p in tei_edition.validate([path], config=PROJECT).problems}


EDGES = [
    '<date when="1952">x</date>', '<date when="1952-09">x</date>', '<date when="--09-15">x</date>',
    '<date when="1952-09-1">x</date>', '<date when="1952-09-15T10:00:00">x</date>', '<date when="">x</date>',
    '<date when="1952-9-15">x</date>', '<date when="1952-02-29">x</date>', '<date when="2000-02-29">x</date>',
    '<date when="1900-02-29">x</date>', '<date when="-0500">x</date>', '<date when="1952-09-15 ">x</date>',
    '<date from="1952" to="1952">x</date>', '<date from="1952-09-16" to="1952-09">x</date>',
    '<date notBefore="1952-09" notAfter="1952-09">x</date>', '<date from="x" to="y">x</date>',
    '<biblScope unit="page" from="12" to="3">x</biblScope>', '<date to="1952">x</date>',
    '<persName ref="#doc #nobody">x</persName>', '<persName ref="#doc ">x</persName>',
    '<persName ref="#">x</persName>', '<persName ref=" #nobody">x</persName>',
    '<persName ref="#doc">x</persName>', '<ref target="https://example.org/#x">x</ref>',
    '<seg xml:id="a">a</seg><seg xml:id="b" corresp="#a">b</seg>',
]


@pytest.mark.parametrize("body", EDGES)
def test_both_routes_agree_at_the_edges(body, tmp_path, monkeypatch):
    path = tmp_path / "edge.xml"
    path.write_text(document(body), encoding="utf-8")
    fast, full = both_routes(path, monkeypatch)
    assert fast == full


def _loadable(paths):
    return [p for p in paths if isinstance(loader.try_load(p), loader.Document)]


@pytest.mark.parametrize("path", _loadable(sorted(INVALID.glob("*.xml")) + sorted(edition_dir().glob("*.xml"))),
                         ids=lambda p: p.name)
def test_both_routes_agree_on_the_fixtures_and_the_edition(path, monkeypatch):
    fast, full = both_routes(path, monkeypatch)
    assert fast == full


def test_the_valid_edition_is_cleared_without_the_xslt(monkeypatch):
    calls = []
    real = schematron.compiled(SCH)

    def counting(tree):
        calls.append(tree)
        return real.xslt(tree)

    monkeypatch.setattr(schematron, "compiled", lambda path, phase=None: schematron.Compiled(counting, real.mirrored))
    report = tei_edition.validate()
    assert report.ok and calls == []


DATE = st.one_of(
    st.from_regex(r"\A-?[0-9]{4}(-[0-9]{1,2}(-[0-9]{1,2})?)?\Z"),
    st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}[ T0-9:.]{0,3}\Z"),
    st.text(alphabet="0123456789- .:T+", max_size=12),
)
POINTER = st.one_of(st.sampled_from(["#doc", "#a", "#b", "#", "#doc #a", "#a ", " #a", "#zz"]),
                    st.text(alphabet="#ab \t", max_size=6))


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(dates=st.dictionaries(st.sampled_from(["when", "notBefore", "notAfter", "from", "to"]), DATE, max_size=3),
       pointer=POINTER, ids=st.lists(st.sampled_from(["a", "b", "c"]), max_size=3),
       letter=st.booleans(), dated=st.booleans())
def test_quickcheck_never_clears_what_the_schematron_reports(tmp_path, dates, pointer, ids, letter, dated):
    attrs = "".join(f' {k}="{v}"' for k, v in dates.items())
    segs = "".join(f'<seg xml:id="{i}">s</seg>' for i in ids)
    body = f'<date{attrs}>d</date><persName ref="{pointer}">n</persName>{segs}'
    text = document(body, text_attrs=' type="letter"' if letter else "",
                    dateline='<dateline><date when="1952-09-15">d</date></dateline>' if dated else "")
    doc = tei_edition.load(_write(tmp_path, text))
    compiled = schematron.compiled(SCH)
    from tei_edition.edition import scan

    if quickcheck.clear(doc, scan(doc)):
        findings = schematron._FINDINGS(compiled.xslt(doc.tree))
        assert findings == [], etree.tostring(findings[0])


def _write(folder: Path, text: str) -> Path:
    path = folder / "fuzz.xml"
    path.write_text(text, encoding="utf-8")
    return path
