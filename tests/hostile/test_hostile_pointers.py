"""Outward pointers: XInclude, xsi:schemaLocation, <?xml-model?>, ptr/ref/graphic/facs.
Nothing is fetched, no file outside the inputs is opened, and no stylesheet
dereferences a pointer (doc(), document(), unparsed-text() are refused)."""

import shutil
from pathlib import Path

import pytest

from hostile_util import REPO, tei
from tei_edition.loader import Document, try_load
from tei_edition.problems import Problem

XI = 'xmlns:xi="http://www.w3.org/2001/XInclude"'


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --- XInclude ----------------------------------------------------------------------

def test_xinclude_is_off_by_default_and_says_where(tmp_path, secret_file):
    src = write(tmp_path, "x.xml", tei(f'\n<xi:include {XI} href="{secret_file.url}" parse="text"/>'))
    problem = try_load(src)
    assert isinstance(problem, Problem) and problem.rule == "xinclude" and problem.line == 2, problem


@pytest.mark.parametrize("href", ["{secret}", "{http}/x.xml", "/etc/hostname", "../outside.xml",
                                  "sub/../../outside.xml", "{secret_dir}/secret.txt", ""])
@pytest.mark.parametrize("parse", ["xml", "text"])
def test_xinclude_outside_the_folder_is_refused(tmp_path, secret_file, http_trap, href, parse):
    href = href.format(secret=secret_file.url, http=http_trap.url, secret_dir=secret_file.path.parent)
    (tmp_path / "outside.xml").write_text(f"<p>{secret_file.token}</p>")
    folder = tmp_path / "in"
    src = write(folder, "x.xml", tei(f'<xi:include {XI} href="{href}" parse="{parse}"/>'))
    problem = try_load(src, xinclude=True)
    assert isinstance(problem, Problem) and problem.rule == "xinclude", problem
    secret_file.assert_absent(str(problem))


def test_xinclude_inside_the_folder_works(tmp_path):
    folder = tmp_path / "in"
    write(folder, "parts/p.xml", '<p xmlns="http://www.tei-c.org/ns/1.0">included</p>')
    write(folder, "parts/t.txt", "plain text")
    src = write(folder, "x.xml", tei(f'<xi:include {XI} href="parts/p.xml"/>'
                                     f'<p><xi:include {XI} href="parts/t.txt" parse="text"/></p>'))
    doc = try_load(src, xinclude=True)
    assert isinstance(doc, Document), doc
    assert "included" in doc.xml_text() and "plain text" in doc.xml_text()


def test_xinclude_fan_out_bomb_is_bounded(tmp_path):
    """Ten files each including the next ten times: 10^9 copies if unbounded."""
    folder = tmp_path / "in"
    for i in range(9):
        inner = "".join(f'<xi:include {XI} href="f{i + 1}.xml"/>' for _ in range(10))
        write(folder, f"f{i}.xml", f'<div xmlns="http://www.tei-c.org/ns/1.0" {XI}>{inner}</div>')
    write(folder, "f9.xml", '<p xmlns="http://www.tei-c.org/ns/1.0">leaf</p>')
    src = write(folder, "x.xml", tei(f'<xi:include {XI} href="f0.xml"/>'))
    problem = try_load(src, xinclude=True)
    assert isinstance(problem, Problem) and problem.rule == "xinclude", problem


@pytest.mark.parametrize("encoding", ["hex", "no-such-codec", "utf-8"])
def test_xinclude_text_with_a_bad_encoding_is_a_problem(tmp_path, encoding):
    folder = tmp_path / "in"
    (folder).mkdir()
    (folder / "t.txt").write_bytes(b"caf\xe9")
    src = write(folder, "x.xml", tei(f'<p><xi:include {XI} href="t.txt" parse="text" encoding="{encoding}"/></p>'))
    problem = try_load(src, xinclude=True)
    assert isinstance(problem, Problem) and problem.rule == "xinclude", problem


# --- schema hints -----------------------------------------------------------------

def validate(paths, **options):
    from tei_edition.validation import validate as run

    return run([str(p) for p in paths], **options)


def test_xsi_schema_location_is_never_followed(tmp_path, http_trap, secret_file):
    root_attrs = (' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                  f'xsi:schemaLocation="http://www.tei-c.org/ns/1.0 {http_trap.url}/tei.xsd" '
                  f'xsi:noNamespaceSchemaLocation="{secret_file.path.parent.as_uri()}/schema.xsd"')
    src = write(tmp_path, "x.xml", tei("<p>x</p>", root_attrs=root_attrs))
    report = validate([src])
    for p in report.problems:
        secret_file.assert_absent(str(p))


def test_remote_xml_model_is_not_fetched(tmp_path, http_trap):
    prolog = (f'<?xml-model href="{http_trap.url}/tei_all.rng" type="application/xml" '
              'schematypens="http://relaxng.org/ns/structure/1.0"?>\n'
              f'<?xml-model href="{http_trap.url}/tei.sch" type="application/xml" '
              'schematypens="http://purl.oclc.org/dsdl/schematron"?>\n')
    src = write(tmp_path, "x.xml", tei("<p>x</p>", prolog=prolog))
    report = validate([src])
    assert any(p.rule == "xml-model-remote" and p.line in (1, 2) for p in report.problems), report.problems


def test_a_local_non_schema_named_by_xml_model_does_not_leak(tmp_path):
    """A document may name any local file as its schema; what the file holds must not
    come back in the messages."""
    token = "NOT-A-SCHEMA-6d1f"
    private = tmp_path / "private"
    private.mkdir()
    (private / "notes.xsd").write_text(f"{token} is not XML at all\n")
    (private / "notes.sch").write_text(f'<notes>{token}</notes>')
    prolog = (f'<?xml-model href="{(private / "notes.xsd").as_uri()}" '
              'schematypens="http://www.w3.org/2001/XMLSchema"?>\n'
              '<?xml-model href="../private/notes.sch" schematypens="http://purl.oclc.org/dsdl/schematron"?>\n')
    src = write(tmp_path / "in", "x.xml", tei("<p>x</p>", prolog=prolog))
    report = validate([src])
    assert all(token not in str(p) for p in report.problems), report.problems


def test_schematron_document_calls_cannot_leave_the_schema_folder(tmp_path, http_trap, secret_file):
    """A contributed Schematron whose assertions call document() on a local file or a
    URL: nothing is read, nothing fetched, and validate reports instead of crashing."""
    folder = tmp_path / "in"
    write(folder, "evil.sch", f"""<schema xmlns="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
  <pattern><rule context="/*"><report test="true()">leak:
    <value-of select="document('{secret_file.url}')"/>
    <value-of select="count(document('{http_trap.url}/x.xml'))"/></report></rule></pattern></schema>""")
    prolog = '<?xml-model href="evil.sch" schematypens="http://purl.oclc.org/dsdl/schematron"?>\n'
    src = write(folder, "x.xml", tei("<p>x</p>", prolog=prolog))
    report = validate([src])
    for p in report.problems:
        secret_file.assert_absent(str(p))
    secret_file.assert_not_opened()
    http_trap.assert_no_hits()
    assert not report.ok


# --- pointers in the text ------------------------------------------------------------

POINTERS = """<p>
<ref target="{secret}">file ref</ref> <ptr target="{secret}"/> <ref target="{http}/page.xml">net</ref>
<ptr target="{http}/x.xml#a"/> <ref target="{secret_dir}/secret.txt">abs</ref>
<ref target="../../../../../../{secret_path}">rel</ref> <ref target="secret.xml#x">sibling</ref>
<persName ref="{secret}#x">A</persName> <placeName ref="{http}/places.xml#p">B</placeName>
<rs type="treaty" ref="{secret_dir}/treaties.xml#t">C</rs> <quote source="{http}/q.xml"><p>q</p></quote>
<graphic url="{secret}"/> <graphic url="{http}/img.png"/> <pb facs="{http}/facs.jpg"/> <pb facs="{secret}"/>
<bibl><ptr target="{http}/bib.xml"/></bibl> <note target="{secret}">n</note>
</p>"""


@pytest.fixture
def pointing_document(tmp_path, secret_file, http_trap):
    folder = tmp_path / "in"
    folder.mkdir()
    for f in (REPO / "tei").glob("*.xml"):
        shutil.copy(f, folder / f.name)
    body = POINTERS.format(secret=secret_file.url, http=http_trap.url, secret_dir=secret_file.path.parent,
                           secret_path=str(secret_file.path).lstrip("/"))
    return write(folder, "pointing.xml", tei(body, root_attrs=' xml:id="pointing"'))


def test_no_format_dereferences_a_pointer(pointing_document, secret_file, http_trap):
    from tei_edition import formats
    from tei_edition.transform import TransformError, transform

    for name in formats.names():
        try:
            out = transform(pointing_document, name)
        except TransformError as exc:
            out = str(exc)
        secret_file.assert_absent(out)
        assert http_trap.marker not in out
    secret_file.assert_not_opened()
    http_trap.assert_no_hits()


def test_the_site_dereferences_no_pointer(pointing_document, tmp_path, secret_file, http_trap):
    from tei_edition import site

    out = tmp_path / "site"
    site.build([pointing_document.parent], out, force=True)
    for p in out.rglob("*"):
        if p.is_file():
            secret_file.assert_absent(p.read_bytes())
            assert http_trap.marker.encode() not in p.read_bytes()
    secret_file.assert_not_opened()
    http_trap.assert_no_hits()


def test_validate_dereferences_no_pointer(pointing_document, secret_file, http_trap):
    report = validate([pointing_document])
    for p in report.problems:
        secret_file.assert_absent(str(p))
    secret_file.assert_not_opened()
    http_trap.assert_no_hits()


def test_the_xslt_engine_refuses_every_document_access(secret_file, http_trap):
    """After hardening, the processor refuses doc(), unparsed-text(), json-doc() and
    collection() for file: and http: alike."""
    from tei_edition import xslt

    proc = xslt.engine().proc
    xp = proc.new_xpath_processor()
    for expr in (f"unparsed-text('{secret_file.url}')", f"string(doc('{secret_file.dtd_url}'))",
                 f"unparsed-text('{http_trap.url}/x')", f"string(doc('{http_trap.url}/x.xml'))",
                 f"json-doc('{http_trap.url}/x.json')", f"count(collection('{secret_file.path.parent.as_uri()}'))",
                 f"unparsed-text-lines('{secret_file.url}')"):
        try:
            result = xp.evaluate(expr)
        except Exception as exc:  # saxonche raises PySaxonApiError
            assert "prohibited" in str(exc) or "disallowed" in str(exc), str(exc)
        else:
            raise AssertionError(f"{expr} was allowed: {result}")


@pytest.mark.parametrize("pointer", ["a" * 300, "a" * 300 + ".xml#x", "x/" * 3000 + "y.xml", "%00.xml#x"])
def test_an_impossible_pointer_is_a_problem_not_a_crash(tmp_path, pointer):
    """A pointer longer than a file name may be, or one no file system accepts,
    is reported like any unresolved pointer (found by fuzzing: ENAMETOOLONG escaped)."""
    from tei_edition.transform import TransformError, transform

    src = write(tmp_path / "in", "x.xml", tei(f'<p><ref target="{pointer}">r</ref>'
                                               f'<persName ref="{pointer}">n</persName></p>'))
    report = validate([src])
    assert all(p.line >= 0 for p in report.problems)
    try:
        transform(src, "html")
    except TransformError:
        pass
