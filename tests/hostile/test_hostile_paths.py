"""The file system: ids and titles never become paths, symlinks never lead out of
the inputs, outputs never write through planted links, nothing lands outside the
output folder."""

import os
import re
import shutil
from pathlib import Path

import pytest

from hostile_util import REPO, tei
from tei_edition.loader import Document, parse_bytes
from tei_edition.problems import Problem

WINDOWS_DEVICES = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def edition_copy(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for f in (REPO / "tei").glob("*.xml"):
        shutil.copy(f, folder / f.name)
    return folder


def snapshot(folder: Path) -> dict:
    """Every file below ``folder`` (links not followed) with its bytes."""
    return {p.relative_to(folder).as_posix(): (p.read_bytes() if p.is_file() and not p.is_symlink() else
                                               ("link", os.readlink(p)) if p.is_symlink() else None)
            for p in sorted(folder.rglob("*"))}


def all_files(root: Path) -> list[Path]:
    return [Path(d) / f for d, _dirs, files in os.walk(root) for f in files]


# --- ids and titles ------------------------------------------------------------

@pytest.mark.parametrize("value", ["../../etc/x", "a/b", "..\\..\\x", "x:y", "a b", "/abs", ".hidden"])
def test_an_xml_id_that_could_be_a_path_is_refused(value):
    result = parse_bytes(tei("<p>x</p>", root_attrs=f' xml:id="{value}"').encode(), "p.xml")
    assert isinstance(result, Problem) and result.rule == "xml-id", result


def test_nul_cannot_even_be_written_in_xml():
    result = parse_bytes(tei("<p>x</p>", root_attrs=' xml:id="a&#0;b"').encode(), "nul.xml")
    assert isinstance(result, Problem) and result.line >= 1


def hostile_names_edition(folder: Path) -> Path:
    edition_copy(folder)
    title = "../../etc/x CON NUL \\..\\win <i>"
    for ident in ("CON", "nul", "index", "search", "persons"):
        (folder / f"doc-{ident.lower()}.xml").write_text(tei(
            f"<p>Document {ident}</p>",
            header=("<teiHeader><fileDesc><titleStmt><title>" + title.replace("<", "&lt;") + "</title>"
                    "</titleStmt><publicationStmt><p>p</p></publicationStmt><sourceDesc><p>s</p></sourceDesc>"
                    "</fileDesc></teiHeader>"),
            root_attrs=f' xml:id="{ident}"'), encoding="utf-8")
    return folder


def test_batch_output_names_come_from_file_names_only(tmp_path):
    from tei_edition import batch

    src = hostile_names_edition(tmp_path / "in")
    out = tmp_path / "out"
    summary = batch.run_transform([src], out, "text", jobs=0, quiet=True)
    names = {p.relative_to(out).as_posix() for p in all_files(out) if not p.name.startswith(".")}
    expected = {p.with_suffix(".txt").name for p in src.glob("*.xml")}
    assert names <= expected, names - expected
    assert "doc-con.txt" in names
    for p in all_files(tmp_path):
        assert p.resolve().is_relative_to(tmp_path.resolve())


@pytest.fixture(scope="module")
def hostile_names_site(tmp_path_factory):
    from tei_edition import site

    base = tmp_path_factory.mktemp("names")
    src = hostile_names_edition(base / "in")
    out = base / "site"
    result = site.build([src], out, force=True)
    assert result.built
    return out


def test_site_never_names_a_file_after_a_device(hostile_names_site):
    """Documents whose xml:id is CON or nul: no output file is named after a Windows
    device (on Windows, writing CON.html talks to the console, not a file)."""
    out = hostile_names_site
    devices = sorted(p.name for p in all_files(out) if p.name.split(".")[0].lower() in WINDOWS_DEVICES)
    assert devices == [], f"files named after Windows devices: {devices}"
    for p in all_files(out):
        assert p.resolve().is_relative_to(out.resolve())


def test_site_pages_are_not_overwritten_by_document_ids(hostile_names_site):
    """Documents whose xml:id is index, search or persons keep the site's own pages."""
    out = hostile_names_site
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "communique.html" in index or "Communiqu" in index, "index.html is no longer the site index"
    persons = (out / "persons.html").read_text(encoding="utf-8")
    assert "Zhou Enlai" in persons, "persons.html is no longer the register of persons"
    search = (out / "search.html").read_text(encoding="utf-8")
    assert 'id="te-search-results"' in search, "search.html is no longer the search page"
    assert "Document index" in "".join(p.read_text(encoding="utf-8", errors="replace")
                                        for p in out.glob("*.html")), "the document with id 'index' has no page"


# --- symlinks out of the input root, and loops ----------------------------------------

@pytest.fixture
def linked_inputs(tmp_path, secret_file):
    """An edition folder holding symlinks to a TEI file and a folder outside it, and a loop."""
    src = edition_copy(tmp_path / "in")
    outside = secret_file.path.parent
    (outside / "secret-register.xml").write_text(tei(
        f'<listPerson><person xml:id="zhou-enlai"><persName>{secret_file.token}</persName></person></listPerson>',
        root_attrs=' xml:id="secret-register"').replace("<text>", '<text type="register">'), encoding="utf-8")
    secret_file.forget()  # our own writes
    os.symlink(outside / "secret-register.xml", src / "linked.xml")
    os.symlink(outside, src / "linked-folder")
    os.symlink("..", src / "loop")
    # A register of the edition replaced by a link out: documents point at it by name.
    (src / "persons.xml").unlink()
    os.symlink(outside / "secret-register.xml", src / "persons.xml")
    return src


def test_discovery_stays_inside_and_terminates(linked_inputs):
    from tei_edition.fsutil import iter_xml_files

    found = [f for f, _root in iter_xml_files([linked_inputs])]
    assert found, "nothing found"
    for f in found:
        assert f.resolve().is_relative_to(linked_inputs.resolve()), f
    assert len(found) == len(set(f.resolve() for f in found))


@pytest.mark.parametrize("shape", ["self", "pair", "dangling"])
def test_broken_and_looping_symlinks_are_skipped(tmp_path, shape):
    """A link to itself, two links to each other, a link to nothing: discovery,
    batch and site carry on (no exception) with the real files."""
    from tei_edition import batch, site
    from tei_edition.fsutil import iter_xml_files

    src = edition_copy(tmp_path / "in")
    if shape == "self":
        os.symlink("self.xml", src / "self.xml")
    elif shape == "pair":
        os.symlink("b.xml", src / "a.xml")
        os.symlink("a.xml", src / "b.xml")
    else:
        os.symlink("missing.xml", src / "dangling.xml")
    found = [f.name for f, _ in iter_xml_files([src])]
    assert "communique.xml" in found
    summary = batch.run_transform([src], tmp_path / "out", "text", jobs=0, quiet=True)
    assert (tmp_path / "out" / "communique.txt").is_file()
    result = site.build([src], tmp_path / "site", force=True)
    assert (tmp_path / "site" / "communique.html").is_file()


def test_batch_transform_reads_nothing_outside(linked_inputs, tmp_path, secret_file):
    from tei_edition import batch

    out = tmp_path / "out"
    batch.run_transform([linked_inputs], out, "html", jobs=0, quiet=True)
    for p in all_files(out):
        secret_file.assert_absent(p.read_bytes())
    secret_file.assert_not_opened()


def test_transform_reads_no_register_through_a_link_out(linked_inputs, secret_file):
    from tei_edition.transform import transform

    out = transform(linked_inputs / "note-zhou.xml", "html")
    secret_file.assert_absent(out)
    secret_file.assert_not_opened()


def test_site_reads_nothing_outside(linked_inputs, tmp_path, secret_file):
    from tei_edition import site

    out = tmp_path / "site"
    site.build([linked_inputs], out, force=True)
    for p in all_files(out):
        secret_file.assert_absent(p.read_bytes())
    secret_file.assert_not_opened()


# --- planted links at output paths --------------------------------------------------------

def plant_link(kind: str, victim: Path, at: Path) -> bool:
    """Plant a symlink or hard link to ``victim`` at an output path; False for other kinds."""
    if kind == "symlink":
        os.symlink(victim, at)
    elif kind == "hardlink":
        os.link(victim, at)
    else:
        return False
    return True


@pytest.mark.parametrize("kind", ["symlink", "hardlink", "folder-symlink"])
def test_batch_never_writes_through_a_planted_link(tmp_path, kind):
    from tei_edition import batch

    src = edition_copy(tmp_path / "in")
    out = tmp_path / "out"
    out.mkdir()
    victim = src / "communique.xml"
    if not plant_link(kind, victim, out / "communique.txt"):
        sub = src / "sub"
        sub.mkdir()
        shutil.copy(victim, sub / "c.xml")
        (out / "sub").symlink_to(src)  # out/sub -> the input folder itself
    before = snapshot(src)
    batch.run_transform([src], out, "text", jobs=0, quiet=True)
    after = snapshot(src)
    assert {k: v for k, v in after.items() if not k.endswith(".txt")} == before, "an input was changed"
    assert not any(k.endswith(".txt") for k in after), "an output was written into the input folder"
    if kind != "folder-symlink":
        assert not (out / "communique.txt").is_symlink()
        assert (out / "communique.txt").read_text(encoding="utf-8") != victim.read_text(encoding="utf-8")


@pytest.mark.parametrize("kind", ["symlink", "hardlink", "folder-symlink"])
def test_site_never_writes_through_a_planted_link(tmp_path, kind):
    from tei_edition import site

    src = edition_copy(tmp_path / "in")
    out = tmp_path / "site"
    out.mkdir()
    victim = src / "communique.xml"
    if not plant_link(kind, victim, out / "index.html"):
        (out / "assets").symlink_to(src, target_is_directory=True)
    before = snapshot(src)
    try:
        site.build([src], out, force=True)
    except Exception as exc:  # refusing is fine; destroying the source is not
        assert not isinstance(exc, (AssertionError,)), exc
        refused = exc
    else:
        refused = None
    assert snapshot(src) == before, "a source file was changed through a planted link"
    if refused is None and kind != "folder-symlink":
        assert not (out / "index.html").is_symlink()


def test_site_refuses_a_planted_link_with_a_clean_message(tmp_path):
    """Refusing is right, but through ``build`` it must arrive as a value or a clean
    error, not an uncaught exception with a traceback."""
    from tei_edition import site

    src = edition_copy(tmp_path / "in")
    out = tmp_path / "site"
    out.mkdir()
    os.symlink(src / "communique.xml", out / "index.html")
    site.build([src], out, force=True)  # must not raise
    assert (out / "index.html").is_file() and not (out / "index.html").is_symlink()


# --- special files -------------------------------------------------------------------------

@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("command", ["validate", "transform", "build"])
def test_a_fifo_among_the_inputs_never_blocks(tmp_path, command):
    """A FIFO named like a register (documents point at persons.xml): opening it for
    reading would wait for a writer forever."""
    from hostile_util import run_cli

    src = edition_copy(tmp_path / "in")
    (src / "persons.xml").unlink()
    os.mkfifo(src / "persons.xml")
    os.mkfifo(src / "zz-fifo.xml")
    args = {"validate": ["validate", "in"], "transform": ["transform", "--to", "html", "in", "-o", "out"],
            "build": ["build", "in", "-o", "site", "--force"]}[command]
    run = run_cli(*args, cwd=tmp_path, timeout=60)
    assert not run.timed_out, f"{command} blocked on a FIFO"
    assert "Traceback" not in run.output, run.output
