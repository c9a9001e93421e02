"""The TEI offered for download: a file with nothing a browser would run is its own bytes, and
the quick look that says so never lets through what the cleaning removes."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from tei_edition import loader
from tei_edition.problems import Problem
from tei_edition.site import documents
from tei_edition.site.documents import publishable_xml

FOLDER = Path(tempfile.mkdtemp(prefix="tei-publishable-"))
NAMESPACES = {"x": "http://www.w3.org/1999/xhtml", "s": "http://www.w3.org/2000/svg",
              "m": "http://www.w3.org/1998/Math/MathML", "xsl": "http://www.w3.org/1999/XSL/Transform",
              "xl": "http://www.w3.org/1999/xlink", "o": "urn:other"}
SAFE = {"attributes": ["n", "corresp", "on", "o", "ton", "xl:title", "o:onload", "xml:lang", "oN", "xl:href"],
        "elements": ["p", "hi", "o:thing"], "pis": ["", "<?other x?>", "<?xml-stylesheet2 x?>"]}
HOSTILE = {"attributes": ["onload", "ONCLICK", "oNmouseover", "Onx"],
           "elements": ["x:script", "s:svg", "m:math", "xsl:template", "x:b"], "pis": ["<?xml-stylesheet href='s.xsl'?>"]}
VALUES = {"safe": ["1", "https://example.org/", "#p1", ""], "hostile": ["javascript:alert(1)", " JaVaScRiPt:x", "data:x"]}


@st.composite
def tei(draw) -> bytes:
    """A TEI file with some kinds of active content, or none (each kind alone is found too)."""
    kinds = draw(st.sets(st.sampled_from(["attributes", "elements", "pis", "values"]), max_size=draw(st.integers(0, 2))))
    pick = {k: st.sampled_from(HOSTILE[k]) | st.sampled_from(SAFE[k]) if k in kinds else st.sampled_from(SAFE[k])
            for k in SAFE}
    value = st.sampled_from(VALUES["hostile"]) | st.sampled_from(VALUES["safe"]) if "values" in kinds else \
        st.sampled_from(VALUES["safe"])

    def element(depth: int) -> str:
        name = draw(pick["elements"]) if depth else "p"
        attrs = "".join(f' {a}="{draw(value)}"' for a in dict.fromkeys(draw(st.lists(pick["attributes"], max_size=3))))
        inner = "".join(element(depth + 1) if depth < 3 and draw(st.booleans()) else draw(st.sampled_from(["a", "b c", ""]))
                        for _ in range(draw(st.integers(0, 3))))
        return f"<{name}{attrs}>{draw(pick['pis'])}{inner}</{name}>"
    declarations = " ".join(f'xmlns:{p}="{ns}"' for p, ns in NAMESPACES.items())
    body = "".join(element(1) for _ in range(draw(st.integers(1, 3))))
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{draw(pick["pis"])}\n'
            f'<TEI xmlns="http://www.tei-c.org/ns/1.0" {declarations}>'
            f"<teiHeader><fileDesc><titleStmt><title>T</title></titleStmt></fileDesc></teiHeader>"
            f"<text><body>{element(0)}{body}</body></text></TEI>\n{draw(pick['pis'])}\n").encode("utf-8")


def document(data: bytes, name: str = "doc.xml"):
    path = FOLDER / name
    path.write_bytes(data)
    doc = loader.parse_bytes(data, path)
    assert not isinstance(doc, Problem), doc
    return doc


def cleaned_the_long_way(doc) -> bytes:
    """What publishable_xml gives when every file is copied and cleaned (as it always was)."""
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(documents, "_MAYBE_ACTIVE", lambda tree: True)
        return publishable_xml(doc)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=tei())
def test_the_quick_look_gives_what_copying_and_cleaning_gives(data):
    doc = document(data)
    assert publishable_xml(doc) == cleaned_the_long_way(doc)


def test_a_clean_file_is_its_own_bytes_and_a_hostile_one_is_cleaned():
    clean = document(b'<?xml version="1.0"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body>'
                     b'<p n="1" corresp="#x">a &amp; b</p></body></text></TEI>\n', "clean.xml")
    assert publishable_xml(clean) == (FOLDER / "clean.xml").read_bytes()
    hostile = document(b'<?xml version="1.0"?>\n<?xml-stylesheet href="x.xsl"?>\n<TEI xmlns="http://www.tei-c.org/ns/1.0">'
                       b'<text><body><p oNload="x()">a<svg xmlns="http://www.w3.org/2000/svg"/>b</p></body></text></TEI>',
                       "hostile.xml")
    out = publishable_xml(hostile)
    root = etree.fromstring(out)
    assert b"xml-stylesheet" not in out and b"svg" not in out and b"oNload" not in out
    assert "".join(root.itertext()) == "ab"


def test_an_entity_defined_in_the_file_is_looked_at_as_the_copy_would_see_it():
    data = (b'<?xml version="1.0"?>\n<!DOCTYPE TEI [<!ENTITY e "<hi xmlns=\'http://www.w3.org/1999/xhtml\'>x</hi>">]>\n'
            b'<TEI xmlns="http://www.tei-c.org/ns/1.0"><text><body><p>a &e; b</p></body></text></TEI>\n')
    doc = document(data, "entity.xml")
    out = publishable_xml(doc)
    assert out == cleaned_the_long_way(doc) and b"<hi" not in out
