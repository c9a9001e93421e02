"""suggest: untagged names found again, located exactly, and applied into copies the edition's
own schemas accept."""

from __future__ import annotations

import hashlib
import html
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

import tei_edition
from editions import copy_edition
from tei_edition.resources import edition_dir
from tei_edition.cli import main
from tei_edition.loader import TEI_NS
from tei_edition.registers import Entry, Name, Registers
from tei_edition.suggest import RULE, Candidate, Matcher, apply, suggest

DATA = Path(__file__).parent / "data" / "suggest" / "edition"
LETTER = DATA / "letters" / "letter.xml"
T = f"{{{TEI_NS}}}"
DOCUMENTS = ("announcement", "communique", "note-zhou", "reply-vyshinsky")
NAME_TAGS = (T + "persName", T + "placeName", T + "orgName")


# --- the bundled edition with its names stripped ---------------------------------------------

def names_in_text(path: Path) -> list[tuple[int, str, str, str]]:
    """(line, tag, @ref, text) of every persName/placeName/orgName in a document's text."""
    text = etree.parse(str(path)).getroot().find(T + "text")
    return [(el.sourceline, etree.QName(el).localname, el.get("ref") or "", " ".join("".join(el.itertext()).split()))
            for el in text.iter(*NAME_TAGS)]


@pytest.fixture(scope="module")
def stripped(tmp_path_factory) -> Path:
    """The bundled edition with persName/placeName/orgName unwrapped in the four documents' text
    (their words kept), written back line for line; the registers and project file beside them."""
    dest = copy_edition(tmp_path_factory.mktemp("stripped") / "tei")
    for name in DOCUMENTS:
        path = dest / f"{name}.xml"
        source = path.read_text(encoding="utf-8")
        tree = etree.parse(str(path))
        etree.strip_tags(tree.getroot().find(T + "text"), *NAME_TAGS)
        path.write_text(source[:source.index("<TEI")] + etree.tostring(tree.getroot(), encoding="unicode"),
                        encoding="utf-8")
        assert names_in_text(path) == [] and len(path.read_text().splitlines()) == len(source.splitlines())
    return dest


def test_stripped_names_are_suggested_again_at_their_line(stripped, capsys):
    expected = [(f"{n}.xml", *name) for n in DOCUMENTS for name in names_in_text(edition_dir() / f"{n}.xml")]
    result = suggest([stripped / f"{n}.xml" for n in DOCUMENTS])
    assert result.problems == () and len(result.files) == 4
    open_names = list(expected)
    right = 0
    for s in result:  # each suggestion may account for one stripped name: same line, words and entry
        match = next((e for e in open_names if e[0] == Path(s.file).name and e[1] == s.line and e[4] == s.text
                      and set(e[3].split()) <= set(s.refs)), None)
        if match is not None:
            open_names.remove(match)
            right += 1
    recall, precision = right / len(expected), right / len(result)
    with capsys.disabled():
        print(f"\nsuggest on the stripped bundled edition: {right} of {len(expected)} names found again "
              f"(recall {recall:.1%}), {right} of {len(result)} suggestions right (precision {precision:.1%})")
    assert recall >= 0.9 and precision >= 0.9


def test_applied_copies_restore_the_markup_and_meet_the_editions_schemas(stripped, tmp_path):
    out = tmp_path / "applied"
    result = suggest([stripped])
    written, problems = apply(result, out)
    assert problems == [] and sorted(p.name for p in written) == sorted(p.name for p in stripped.glob("*.xml"))
    shutil.copy(stripped / "tei-edition.toml", out)
    shutil.copytree(stripped.parent / "schema", tmp_path / "schema")  # where <?xml-model?> points
    report = tei_edition.validate([out])  # the edition's XSD and Schematron, TEI's id and pointer rules
    assert report.problems == ()
    restored = original = added = 0
    for name in DOCUMENTS:
        before = names_in_text(edition_dir() / f"{name}.xml")  # as the editors tagged them
        after = names_in_text(out / f"{name}.xml")
        original, added = original + len(before), added + len(after)
        restored += sum(n in before for n in after)
        words = ["".join(etree.parse(str(d / f"{name}.xml")).getroot().itertext()) for d in (stripped, out)]
        assert words[0] == words[1]
    assert restored / original >= 0.9 and restored / added >= 0.9
    tags = re.compile(r"</?(?:persName|placeName|orgName|title)(?: ref=\"[^\"]*\")?>")
    for path in stripped.glob("*.xml"):  # apart from name tags, byte for byte
        assert tags.sub("", (out / path.name).read_text(encoding="utf-8")) == tags.sub("", path.read_text(encoding="utf-8"))


# --- a small edition: what is searched, what is skipped, where it is ----------------------

@pytest.fixture(scope="module")
def found():
    return suggest([DATA / "letters"])  # the registers come through the project file


def test_what_is_searched_and_what_is_not(found):
    letter = {(s.line, s.text) for s in found if s.file.endswith("letter.xml")}
    assert letter == {
        (12, "Rome"), (12, "Zhou Enlai"), (13, "Zhou"), (13, "Rome"),   # a name across a line break; not in a comment
        (14, "Paris"), (14, "Roma"), (14, "Rome"),                      # not Parisian, Romeo, Romes; a form in Italian
        (17, "Agreement on Lushun"), (17, "Lushun"),                    # in an rs: a work, and the place in its name
        (18, "Lushun"),                                                 # the work itself is what that rs names
        (18, "Smith & Sons of Rome"), (18, "Rome"), (18, "Paris"),      # across &amp;; and in CDATA
        (18, "Ada")}                                                     # an entry of the letter's own <back>
    # never in the header, a name, a date, an rs that is the name, or a register entry's note
    assert not [s for s in found if s.file.endswith("letter.xml") and (s.line < 10 or s.line in (15, 16) or s.line > 19)]
    assert [s for s in found if s.text == "Ada"][0].refs == ("#ada",)


def test_a_shared_form_lists_every_entry_and_is_not_applied(found):
    paris = [s for s in found if s.text == "Paris"]
    assert paris and all(s.refs == ("../registers/index.xml#paris-city", "../registers/index.xml#paris-troy")
                         and s.element == "" and not s.applicable for s in paris)
    assert "ambiguous" in str(paris[0])


def test_every_place_is_where_the_words_are_in_the_source(found):
    for s in found:
        source = Path(s.file).read_bytes().decode("utf-8")  # CR LF kept: columns count in the file as it is
        lines = source.splitlines(keepends=True)
        offset = sum(len(x) for x in lines[:s.line - 1]) + s.col - 1
        if s.span is None:  # in CDATA: located, not applicable
            assert source.startswith(s.text, offset) and not s.applicable
        else:
            assert s.span[0] == offset
            assert " ".join(html.unescape(source[s.span[0]:s.span[1]]).split()) == s.text


def test_crlf_numeric_references_and_a_namespace_prefix(found, tmp_path):
    crlf = {(s.line, s.col, s.text) for s in found if s.file.endswith("crlf-prefixed.xml")}
    assert crlf == {(5, 17, "Port Arthur"), (6, 23, "Lushun"), (6, 41, "Rome")}
    written, problems = apply(found, tmp_path / "out")
    assert problems == []
    copy = (tmp_path / "out" / "crlf-prefixed.xml").read_bytes()
    assert b'<tei:placeName ref="../registers/index.xml#lushun">Port\r\n      Arthur</tei:placeName>' in copy
    root = etree.fromstring(copy)
    assert [el.text for el in root.iter(T + "placeName")] == ["Port\n      Arthur", "Lushun", "Rome"]


# --- the matcher against a plain search ---------------------------------------------------------

def plain_search(text: str, forms: list[str]) -> list[tuple[int, int, str]]:
    """Leftmost, then longest, whole-word matches, found the slow way."""
    out, i = [], 0
    while i < len(text):
        hits = [f for f in forms if text.startswith(f, i) and (i == 0 or not text[i - 1].isalnum() and text[i - 1] != "_")
                and (i + len(f) == len(text) or not (text[i + len(f)].isalnum() or text[i + len(f)] == "_"))]
        if hits:
            best = max(hits, key=len)
            out.append((i, i + len(best), best))
            i += len(best)
        else:
            i += 1
    return out


_WORD = st.sampled_from(["Rome", "Roma", "Rom", "Zhou", "Enlai", "Zhou Enlai", "de", "la", "Île", "ß", "x_y"])


@given(st.lists(_WORD, min_size=1, max_size=6, unique=True),
       st.lists(st.one_of(_WORD, st.sampled_from([" ", ", ", "-", "_", "é", ".", "\u00a0"])), max_size=30))
@settings(max_examples=300, deadline=None)
def test_matcher_finds_whole_words_longest_first(forms, pieces):
    text = "".join(pieces)
    matcher = Matcher({f: (Candidate(f, "place", "r.xml"),) for f in forms})
    assert list(matcher.find(text)) == plain_search(text, forms)


# --- positions under any mix of entities, comments, CDATA and line ends ------------------------

_CHUNK = st.one_of(st.sampled_from(["and", "&amp;", "&#233;t&#xE9;", "\r\n", "\n  ", "<!-- Rome -->", "<hi>so</hi>",
                                    "<![CDATA[ Lushun ]]>", "<lb/>", "&lt;p&gt;"]),
                   st.sampled_from(["Rome", "Lushun", "Port Arthur", "Port\n Arthur"]).map(lambda n: ("name", n)))


@given(st.lists(_CHUNK, min_size=1, max_size=25))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_positions_survive_any_source(tmp_path, chunks):
    register = tmp_path / "r.xml"
    registers = Registers(tuple(Entry(i, "place", names=tuple(Name(n) for n in names), sources=((str(register), 1),))
                                for i, names in (("rome", ("Rome",)), ("lushun", ("Lushun", "Port Arthur")))))
    body, expected, in_cdata = "<p>", [], []  # the paragraph starts line 5

    def here(extra: int = 0) -> tuple[int, int]:
        lines = body.replace("\r\n", "\n").split("\n")
        return len(lines) + 4, len(lines[-1]) + 1 + extra

    for chunk in chunks:
        body += " "
        if isinstance(chunk, tuple):
            expected.append((*here(), " ".join(chunk[1].split())))
            chunk = chunk[1]
        elif "CDATA" in chunk:
            in_cdata.append((*here(len("<![CDATA[ ")), "Lushun"))
        body += chunk
    path = tmp_path / "doc.xml"
    path.write_bytes(f'<?xml version="1.0" encoding="UTF-8"?>\n<TEI xmlns="{TEI_NS}">\n<teiHeader/>\n<text><body>\n'
                     f"{body} </p></body></text></TEI>\n".encode())
    found = suggest([path], registers=registers)
    assert [(s.line, s.col, s.text) for s in found] == sorted(expected + in_cdata)
    assert [(s.line, s.col, s.text) for s in found if s.span is None] == in_cdata  # located, never applied


# --- the command -------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(main, ["suggest", *map(str, args)])


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*")
            if p.is_file()}


def test_cli_prints_one_line_per_place():
    result = run(LETTER)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 15
    assert re.fullmatch(r'\S*letter\.xml:12:37: info: "Rome" may be \.\./registers/index\.xml#rome '
                        rf"\[{RULE}\]", lines[0])
    assert "15 untagged mention(s) in 1 file(s), 2 ambiguous" in result.stderr


def test_cli_json_has_validates_fields_and_the_words():
    data = json.loads(run(LETTER, "--format", "json").stdout)
    assert data["counts"] == {"files": 1, "suggestions": 15, "ambiguous": 2}
    first = data["suggestions"][0]
    assert set(first) == {"file", "line", "col", "severity", "rule", "message", "xpath", "text", "ref"}
    assert (first["severity"], first["rule"], first["text"], first["ref"]) == \
        ("info", RULE, "Rome", "../registers/index.xml#rome")
    assert first["xpath"] == "/TEI/text/body/p[1]"
    paris = next(s for s in data["suggestions"] if s["text"] == "Paris")
    assert paris["ref"] == ["../registers/index.xml#paris-city", "../registers/index.xml#paris-troy"]


def test_cli_apply_mirrors_the_tree_and_never_touches_the_inputs(tmp_path):
    edition = tmp_path / "edition"
    shutil.copytree(DATA, edition)
    before = digest(edition)
    out = tmp_path / "tagged"
    result = run(edition, "--apply", "-o", out)
    assert result.exit_code == 0, result.output
    assert digest(edition) == before
    assert sorted(digest(out)) == ["letters/crlf-prefixed.xml", "letters/letter.xml", "registers/index.xml"]
    assert (out / "registers" / "index.xml").read_bytes() == (edition / "registers" / "index.xml").read_bytes()
    # what is not applied is printed: the ambiguous Paris twice, Rome in CDATA
    assert [line.split(": info: ")[1].split(" may")[0] for line in result.stdout.splitlines()] == \
        ['"Paris"', '"Rome"', '"Paris"']
    tagged = etree.parse(str(out / "letters" / "letter.xml")).getroot()
    assert [el.get("ref") for el in tagged.iter(T + "persName") if el.text == "Ada"] == ["#ada", None]  # text, entry


def test_cli_refuses_an_output_inside_an_input_and_bad_options(tmp_path):
    edition = tmp_path / "edition"
    shutil.copytree(DATA, edition)
    before = digest(edition)
    for args in (["--apply", "-o", edition], ["--apply", "-o", edition / "letters" / "out"], ["--apply"],
                 ["-o", tmp_path / "x"]):
        result = run(edition, *args)
        assert result.exit_code == 2, args
    assert digest(edition) == before


def test_cli_reports_an_unreadable_file(tmp_path):
    shutil.copy(LETTER, tmp_path / "letter.xml")
    (tmp_path / "broken.xml").write_text("<TEI", encoding="utf-8")
    result = run(tmp_path)
    assert result.exit_code == 1 and "broken.xml" in result.stderr
