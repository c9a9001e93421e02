"""XSD 1.1: a letter edition's own 1.1 schema (libxml2 refuses it), validated by
xmlschema with every problem at its file:line:col; schemas that do not compile;
and the XSD a document declares with xsi:schemaLocation.

Expected positions are computed from the fixture text, never copied from the
validator's output.
"""

from __future__ import annotations

import calendar
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from lxml import etree

from tei_edition import loader
from tei_edition.problems import Problem
from tei_edition.validation import xsd
from tei_edition.validation.declared import declared_xsd, schema_locations
from textpos import position

DATA = Path(__file__).parent / "data" / "xsd11"
TEI_NS = "http://www.tei-c.org/ns/1.0"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
VC_NS = "http://www.w3.org/2007/XMLSchema-versioning"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


def check(path: Path, schema: Path) -> list[Problem]:
    doc = loader.try_load(path)
    assert not isinstance(doc, Problem), doc
    return xsd.check(doc, schema)


def test_libxml2_refuses_the_letter_schema_and_it_is_compiled_as_xsd_1_1():
    with pytest.raises(etree.XMLSchemaParseError):
        etree.XMLSchema(etree.parse(str(DATA / "letter.xsd")))
    schema = xsd.compiled(DATA / "letter.xsd")
    assert xsd.is_xsd11(schema), schema
    assert xsd.compiled(DATA / "letter.xsd") is schema  # compiled once per process


def test_a_valid_letter_has_no_problems():
    assert check(DATA / "valid.xml", DATA / "letter.xsd") == []


def test_each_error_of_the_invalid_letter_at_its_line_and_column():
    text = (DATA / "invalid.xml").read_text(encoding="utf-8")
    found = {(p.line, p.col): p for p in check(DATA / "invalid.xml", DATA / "letter.xsd")}
    expected = {
        position(text, "<correspDesc>"): ("xsd-assert", "correspAction[@type = 'sent']"),
        position(text, 'when="1889-02-30"'): ("xsd-invalid-value", "is not a valid date"),
        position(text, 'type="forwarded"'): ("xsd-invalid-value", "'received'"),
        position(text, "<text>"): ("xsd-assert", "persons.xml#"),
        position(text, "<salute>"): ("xsd-unknown-element", "<salute> is not an element of this schema"),
    }
    assert set(found) == set(expected), [str(p) for p in found.values()]
    for where, (rule, words) in expected.items():
        assert found[where].rule == rule and words in found[where].message, str(found[where])
        assert found[where].file == str(DATA / "invalid.xml")
    assert found[position(text, 'type="forwarded"')].xpath == "/TEI/teiHeader/correspDesc/correspAction[3]/@type"
    assert found[position(text, "<salute>")].xpath == "/TEI/text/salute"


def _letter_schema(folder: Path, *, declared: bool = True, asserts: bool = True) -> Path:
    """A copy of the letter schema, without its 1.1 declaration or assertions when asked."""
    for name in ("letter.xsd", "names.xsd"):
        shutil.copy(DATA / name, folder / name)
    tree = etree.parse(str(folder / "letter.xsd"))
    if not declared:
        del tree.getroot().attrib[f"{{{VC_NS}}}minVersion"]
    if not asserts:
        for el in tree.getroot().findall(f".//{{{XSD_NS}}}assert"):
            el.getparent().remove(el)
    tree.write(str(folder / "letter.xsd"), encoding="utf-8", xml_declaration=True)
    return folder / "letter.xsd"


def test_a_1_1_schema_that_does_not_say_so_is_found_by_libxml2_refusing_it(tmp_path):
    schema = _letter_schema(tmp_path, declared=False, asserts=False)  # only xs:all maxOccurs="unbounded" is left
    assert not xsd.declares_xsd11(etree.parse(str(schema)).getroot())
    assert xsd.is_xsd11(xsd.compiled(schema))
    shutil.copy(DATA / "invalid.xml", tmp_path / "invalid.xml")
    text = (tmp_path / "invalid.xml").read_text(encoding="utf-8")
    rules = {(p.line, p.col): p.rule for p in check(tmp_path / "invalid.xml", schema)}
    assert rules == {position(text, 'when="1889-02-30"'): "xsd-invalid-value",
                     position(text, 'type="forwarded"'): "xsd-invalid-value",
                     position(text, "<salute>"): "xsd-unknown-element"}


def test_an_assertion_alone_makes_a_schema_1_1(tmp_path):
    schema = _letter_schema(tmp_path, declared=False)
    assert xsd.declares_xsd11(etree.parse(str(schema)).getroot())
    assert xsd.is_xsd11(xsd.compiled(schema))


def test_an_xsd_1_0_schema_stays_on_libxml2():
    from tei_edition.resources import schema_dir

    assert isinstance(xsd.compiled(schema_dir() / "tei-edition.xsd"), etree.XMLSchema)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


_HEAD = (f'<xs:schema xmlns:xs="{XSD_NS}" xmlns:vc="{VC_NS}" vc:minVersion="1.1">\n')


def test_a_1_1_schema_that_does_not_compile_is_one_problem_at_its_line(tmp_path):
    schema = _write(tmp_path / "broken.xsd", _HEAD + '  <xs:element name="letter">\n'
                    '    <xs:complexType><xs:sequence>\n'
                    '      <xs:element name="p" type="nosuch"/>\n'
                    '    </xs:sequence></xs:complexType>\n  </xs:element>\n</xs:schema>\n')
    problem = xsd.compiled(schema)
    assert isinstance(problem, Problem) and problem.rule == "schema-invalid"
    assert (problem.file, problem.line, problem.col) == (str(schema), *position(schema.read_text(), '<xs:element name="p"'))
    assert "nosuch" in problem.message and "XSD 1.1" in problem.message
    doc = loader.parse_bytes(b"<letter/>", tmp_path / "d.xml", require_tei=False)
    [reported] = xsd.check(doc, schema)
    assert reported.file == str(tmp_path / "d.xml") and str(schema) in reported.message


def test_an_error_in_an_included_part_is_located_in_that_part(tmp_path):
    schema = _write(tmp_path / "main.xsd", _HEAD + '  <xs:include schemaLocation="part.xsd"/>\n</xs:schema>\n')
    part = _write(tmp_path / "part.xsd", f'<xs:schema xmlns:xs="{XSD_NS}">\n\n'
                  '  <xs:element name="q" type="xs:string"/>\n  <xs:element name="p" type="nosuch"/>\n</xs:schema>\n')
    problem = xsd.compiled(schema)
    assert isinstance(problem, Problem)
    assert (problem.file, problem.line, problem.col) == (str(part), *position(part.read_text(), '<xs:element name="p"'))


def test_a_missing_part_is_named_at_its_include(tmp_path):
    schema = _write(tmp_path / "main.xsd", _HEAD + '  <xs:include schemaLocation="gone.xsd"/>\n</xs:schema>\n')
    problem = xsd.compiled(schema)
    assert isinstance(problem, Problem) and "gone.xsd" in problem.message
    assert (problem.line, problem.col) == position(schema.read_text(), "<xs:include")


@pytest.mark.parametrize("where", ["outside", "remote"])
def test_parts_outside_the_schema_folder_or_on_the_network_are_refused(tmp_path, http_trap, secret_file, where):
    href = {"outside": Path(secret_file.dtd).with_name("secret.xsd").as_uri(),
            "remote": f"{http_trap.url}/part.xsd"}[where]
    schema = _write(tmp_path / "main.xsd", _HEAD + f'  <xs:include schemaLocation="{href}"/>\n</xs:schema>\n')
    problem = xsd.compiled(schema)
    assert isinstance(problem, Problem) and problem.rule == "schema-invalid"
    assert "refused to read" in problem.message and href in problem.message
    assert (problem.line, problem.col) == position(schema.read_text(), "<xs:include")
    http_trap.assert_no_hits()
    secret_file.assert_not_opened()


def test_a_part_with_an_external_entity_is_refused_by_the_loader(tmp_path, secret_file):
    schema = _write(tmp_path / "main.xsd", _HEAD + '  <xs:include schemaLocation="part.xsd"/>\n</xs:schema>\n')
    _write(tmp_path / "part.xsd", f'<!DOCTYPE xs:schema [<!ENTITY x SYSTEM "{secret_file.url}">]>\n'
           f'<xs:schema xmlns:xs="{XSD_NS}"><xs:annotation><xs:documentation>&x;</xs:documentation>'
           '</xs:annotation></xs:schema>\n')
    problem = xsd.compiled(schema)
    assert isinstance(problem, Problem) and "external entity" in problem.message
    secret_file.assert_not_opened()


_DAYS = st.tuples(st.integers(1000, 2999), st.integers(1, 14), st.integers(1, 33))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sent=st.integers(0, 3), dates=st.lists(_DAYS, min_size=1, max_size=4))
def test_assertions_and_dates_against_an_independent_reckoning(tmp_path, sent, dates):
    """One 'sent' action and real calendar dates are valid; anything else is
    reported where it stands."""
    def real(y, m, d):
        return 1 <= m <= 12 and d <= calendar.monthrange(y, m)[1]

    actions = [f'<correspAction type="sent"><persName ref="persons.xml#a{i}">A</persName></correspAction>'
               for i in range(sent)]
    actions.append('<correspAction type="received"><persName ref="persons.xml#b">B</persName>'
                   + "".join(f'<date when="{y:04}-{m:02}-{d:02}"/>' for y, m, d in dates[:1]) + "</correspAction>")
    text = (f'<TEI xmlns="{TEI_NS}" xml:id="t">\n<teiHeader><title>T</title>\n<correspDesc>\n'
            + "\n".join(actions) + "\n</correspDesc></teiHeader>\n<text>\n"
            + "\n".join(f'<p>on <date when="{y:04}-{m:02}-{d:02}"/></p>' for y, m, d in dates[1:])
            + "<p/>\n</text></TEI>\n")
    path = _write(tmp_path / "letter.xml", text)
    found = {(p.line, p.col, p.rule) for p in check(path, DATA / "letter.xsd")}
    expected = set()
    if sent != 1:
        expected.add((*position(text, "<correspDesc>"), "xsd-assert"))
    for i, (y, m, d) in enumerate(dates):
        if not real(y, m, d):
            marker = f'when="{y:04}-{m:02}-{d:02}"'
            earlier = sum(1 for other in dates[:i] if other == (y, m, d))
            expected.add((*position(text, marker, earlier + 1), "xsd-invalid-value"))
    assert found == expected


# --- xsi:schemaLocation ------------------------------------------------------

def _root(attrs: str, tag: str = "TEI", ns: str | None = TEI_NS):
    xmlns = f' xmlns="{ns}"' if ns else ""
    doc = loader.parse_bytes(f'<{tag}{xmlns} xmlns:xsi="{XSI_NS}" {attrs}/>'.encode(), "d.xml", require_tei=False)
    assert not isinstance(doc, Problem), doc
    return doc


def test_the_letters_declare_their_schema():
    for name in ("valid.xml", "invalid.xml"):
        assert declared_xsd(loader.load(DATA / name)) == ["letter.xsd"]


def test_the_edition_checked_by_the_schemas_its_files_declare():
    """Each file against the XSD its root declares (resolved against the file), as a
    caller of declared_xsd does: the register is 1.0, the letters 1.1; only the
    invalid letter has problems."""
    kinds, problems = {}, []
    for path in sorted(DATA.glob("*.xml")):
        doc = loader.load(path)
        for href in declared_xsd(doc):
            schema = path.parent / href
            kinds[path.name] = "1.1" if xsd.is_xsd11(xsd.compiled(schema)) else "1.0"
            problems += xsd.check(doc, schema)
    assert kinds == {"invalid.xml": "1.1", "persons.xml": "1.0", "valid.xml": "1.1"}
    assert problems and {Path(p.file).name for p in problems} == {"invalid.xml"}


def test_only_the_root_namespace_pair_is_the_document_schema():
    doc = _root(f'xsi:schemaLocation="http://www.w3.org/1998/Math/MathML mathml.xsd\n  {TEI_NS}  tei.xsd"')
    assert declared_xsd(doc) == ["tei.xsd"]
    assert schema_locations(doc) == [("http://www.w3.org/1998/Math/MathML", "mathml.xsd"), (TEI_NS, "tei.xsd")]


def test_no_namespace_location_is_for_a_root_in_no_namespace():
    assert declared_xsd(_root('xsi:noNamespaceSchemaLocation=" plain.xsd "', tag="letter", ns=None)) == ["plain.xsd"]
    assert declared_xsd(_root('xsi:noNamespaceSchemaLocation="plain.xsd"')) == []
    assert declared_xsd(_root("")) == []


_TOKEN = st.text(st.characters(min_codepoint=33, max_codepoint=126, exclude_characters='"&<>'), min_size=1,
                 max_size=12)


@given(pairs=st.lists(st.tuples(st.sampled_from([TEI_NS, "urn:other", "urn:x"]), _TOKEN), max_size=5),
       dangling=st.booleans())
def test_declared_hrefs_are_the_root_namespace_pairs_in_order(pairs, dangling):
    value = " ".join(f"{ns} {href}" for ns, href in pairs) + (" urn:alone" if dangling else "")
    doc = _root(f'xsi:schemaLocation="{value}"')
    assert declared_xsd(doc) == list(dict.fromkeys(href for ns, href in pairs if ns == TEI_NS))
    assert schema_locations(doc) == pairs


def test_xsd_1_1_is_told_by_its_version_attribute():
    for version, expected in (("1.1", True), ("1.10", True), ("2", True), ("1.0", False), ("x", False)):
        root = etree.fromstring(f'<xs:schema xmlns:xs="{XSD_NS}" xmlns:vc="{VC_NS}" vc:minVersion="{version}"/>')
        assert xsd.declares_xsd11(root) is expected, version
