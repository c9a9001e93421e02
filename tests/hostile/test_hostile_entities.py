"""Entity tricks: nothing outside the document is read, nothing explodes,
internal entities keep working, and every refusal says where."""

import pytest
from lxml import etree

from hostile_util import tei
from tei_edition.loader import Document, LoadError, load, parse_bytes, try_load
from tei_edition.problems import Problem


def parse(text: str, name: str = "hostile.xml"):
    return parse_bytes(text.encode("utf-8"), name)


def assert_refused(result, rule, line=None):
    assert isinstance(result, Problem), f"accepted: {result.xml_text()[:300]}"
    assert result.rule == rule, str(result)
    assert result.severity == "error"
    assert result.line >= 1 and result.col >= 1
    if line is not None:
        assert result.line == line, str(result)
    assert str(result).startswith(f"{result.file}:{result.line}:{result.col}: error: ")
    return result


def test_internal_entities_still_expand():
    doc = parse(tei("<p>&ed; &amp; &#x4E2D;</p>", prolog='<!DOCTYPE TEI [<!ENTITY ed "Editorial Board">]>'))
    assert isinstance(doc, Document), str(doc)
    p = doc.root.find(".//{http://www.tei-c.org/ns/1.0}body/{http://www.tei-c.org/ns/1.0}p")
    assert p.text == "Editorial Board & \u4e2d"
    assert "<!DOCTYPE" not in doc.xml_text() and "<!ENTITY" not in doc.xml_text()


def test_nested_internal_entities_expand_in_attributes_too():
    prolog = '<!DOCTYPE TEI [<!ENTITY pub "tei-edition project"><!ENTITY by "by &pub;">]>'
    doc = parse(tei('<p n="&by;">&by;</p>', prolog=prolog))
    assert isinstance(doc, Document), str(doc)
    p = doc.root.find(".//{http://www.tei-c.org/ns/1.0}body/{http://www.tei-c.org/ns/1.0}p")
    assert p.text == p.get("n") == "by tei-edition project"


@pytest.mark.parametrize("where", ["content", "attribute", "unused"])
def test_external_general_entity_file(secret_file, where):
    prolog = f'<?xml version="1.0"?>\n<!DOCTYPE TEI [\n  <!ENTITY x SYSTEM "{secret_file.url}">\n]>\n'
    body = {"content": "<p>&x;</p>", "attribute": '<p n="&x;">a</p>', "unused": "<p>a</p>"}[where]
    problem = assert_refused(parse(tei(body, prolog=prolog)), "external-entity", line=3)
    assert problem.col == 3
    assert "&x;" in problem.message
    secret_file.assert_absent(str(problem))


@pytest.mark.parametrize("keyword", ['SYSTEM "{url}/e.xml"', 'PUBLIC "-//X//EN" "{url}/e.xml"'])
def test_external_general_entity_http(http_trap, keyword):
    decl = keyword.format(url=http_trap.url)
    problem = assert_refused(parse(tei("<p>&x;</p>", prolog=f"<!DOCTYPE TEI [<!ENTITY x {decl}>]>")),
                             "external-entity", line=1)
    assert http_trap.marker not in str(problem)


def test_unparsed_external_entity(secret_file):
    prolog = f'<!DOCTYPE TEI [<!NOTATION n SYSTEM "x">\n<!ENTITY u SYSTEM "{secret_file.url}" NDATA n>]>'
    assert_refused(parse(tei("<p>a</p>", prolog=prolog)), "external-entity", line=2)


@pytest.mark.parametrize("use", [True, False])
def test_external_parameter_entity(secret_file, http_trap, use):
    for url in (secret_file.dtd_url, http_trap.url + "/p.dtd"):
        prolog = f'<!DOCTYPE TEI [\n<!ENTITY % p SYSTEM "{url}">{" %p;" if use else ""}\n]>'
        problem = assert_refused(parse(tei("<p>&x;</p>" if use else "<p>a</p>", prolog=prolog)),
                                 "external-entity", line=2)
        assert "%p;" in problem.message


def test_internal_parameter_entity_is_refused_clearly(secret_file):
    # The classic exfiltration shape: a parameter entity that declares an external one.
    prolog = (f"<!DOCTYPE TEI [<!ENTITY % p \"<!ENTITY x SYSTEM '{secret_file.url}'>\"> %p;]>")
    problem = parse(tei("<p>&x;</p>", prolog=prolog))
    assert isinstance(problem, Problem)
    assert problem.rule in {"parameter-entity", "external-entity"}


@pytest.mark.parametrize("scheme", ["file", "relative", "http"])
def test_external_dtd_subset_is_never_retrieved(secret_file, http_trap, tmp_path, scheme):
    url = {"file": secret_file.dtd_url, "http": http_trap.url + "/tei.dtd", "relative": "secret.dtd"}[scheme]
    if scheme == "relative":  # next to the document: still never opened
        (tmp_path / "secret.dtd").write_text(f'<!ENTITY x "{secret_file.token}">')
    src = tmp_path / "doc.xml"
    # Unused, the DOCTYPE is harmless: the document loads, the DTD is not read.
    src.write_text(tei("<p>plain</p>", prolog=f'<!DOCTYPE TEI SYSTEM "{url}">'))
    doc = try_load(src)
    assert isinstance(doc, Document), str(doc)
    assert url not in doc.xml_text() and "DOCTYPE" not in doc.xml_text()
    # An entity only that DTD would define is an error that names the entity.
    src.write_text(tei("<p>&x;</p>", prolog=f'<!DOCTYPE TEI PUBLIC "-//TEI//DTD x//EN" "{url}">'))
    problem = assert_refused(try_load(src), "undefined-entity", line=1)
    assert "&x;" in problem.message and "never loaded" in problem.message
    secret_file.assert_absent(str(problem))


def test_undeclared_entity_is_located():
    problem = assert_refused(parse(tei("\n\n<p>before &nbsp; after</p>")), "undefined-entity", line=3)
    assert "&nbsp;" in problem.message


def billion_laughs(levels: int = 10) -> str:
    decls = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, levels)]
    return tei(f"<p>&l{levels - 1};</p>", prolog="<!DOCTYPE TEI [" + "".join(decls) + "]>")


def test_billion_laughs():
    assert_refused(parse(billion_laughs()), "entity-expansion")


def test_quadratic_blowup():
    # One 50 KB entity used 50,000 times: 2.5 GB if expanded.
    prolog = '<!DOCTYPE TEI [<!ENTITY a "' + "x" * 50_000 + '">]>'
    assert_refused(parse(tei("<p>" + "&a;" * 50_000 + "</p>", prolog=prolog)), "entity-expansion")


def test_entity_loop():
    prolog = '<!DOCTYPE TEI [<!ENTITY a "&b;"><!ENTITY b "&a;">]>'
    result = parse(tei("<p>&a;</p>", prolog=prolog))
    assert isinstance(result, Problem) and result.line >= 1


def test_entity_declared_in_a_comment_of_the_body_is_text(secret_file):
    # Our scan of the DOCTYPE must not mistake the document's text for declarations.
    body = f"<p><![CDATA[<!ENTITY x SYSTEM \"{secret_file.url}\">]]></p>"
    doc = parse(tei(body, prolog='<!DOCTYPE TEI [<!-- a comment ] > --><!ENTITY ed "E">]>'))
    assert isinstance(doc, Document), str(doc)


def test_load_raises_with_the_problem(tmp_path, secret_file):
    src = tmp_path / "x.xml"
    src.write_text(tei("<p>&x;</p>", prolog=f'<!DOCTYPE TEI [<!ENTITY x SYSTEM "{secret_file.url}">]>'))
    with pytest.raises(LoadError) as info:
        load(src)
    assert info.value.problem.rule == "external-entity"
    assert str(info.value).startswith(f"{src}:1:")


def test_saxon_never_sees_a_doctype(secret_file):
    """Document.xml_text() is what reaches Saxon: no DOCTYPE, no SYSTEM id, PIs kept."""
    text = tei("<p>&ed;</p>", prolog=(f'<?xml-model href="schema.rng"?><!DOCTYPE TEI SYSTEM "{secret_file.dtd_url}" '
                                      '[<!ENTITY ed "Editorial Board">]><!-- c -->'))
    doc = parse(text)
    assert isinstance(doc, Document), str(doc)
    out = doc.xml_text()
    assert "DOCTYPE" not in out and secret_file.dtd_url not in out
    assert out.startswith('<?xml-model href="schema.rng"?>')
    assert etree.fromstring(out.encode()).findtext(".//{http://www.tei-c.org/ns/1.0}body/{http://www.tei-c.org/ns/1.0}p") == "Editorial Board"


@pytest.mark.parametrize("where", ["file", "http"])
def test_no_command_retrieves_a_doctype_system_dtd(tmp_path, secret_file, http_trap, where):
    """A document with an unused external DTD goes through validate, every transform
    and the site: the DTD is never opened or fetched (later re-parses included)."""
    import shutil

    from hostile_util import REPO
    from tei_edition import formats, site
    from tei_edition.transform import transform
    from tei_edition.validation import validate

    url = secret_file.dtd_url if where == "file" else f"{http_trap.url}/tei.dtd"
    src = tmp_path / "in"
    src.mkdir()
    for f in (REPO / "tei").glob("*.xml"):
        shutil.copy(f, src / f.name)
    text = (src / "communique.xml").read_text(encoding="utf-8")
    root_at = text.index("<TEI")
    (src / "communique.xml").write_text(text[:root_at] + f'<!DOCTYPE TEI SYSTEM "{url}">\n' + text[root_at:],
                                        encoding="utf-8")
    validate([str(src / "communique.xml")])
    for name in formats.names():
        transform(src / "communique.xml", name)
    site.build([src], tmp_path / "site", force=True)
    for p in (tmp_path / "site").rglob("*"):
        if p.is_file():
            secret_file.assert_absent(p.read_bytes())
