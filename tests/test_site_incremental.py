"""A rebuild does only what changed, and always comes out as a fresh build of the same
files would: a changed, added or removed document, a changed register entry; a build
killed with SIGKILL at any point is completed by the next one; a document that kills its
worker costs only its own page."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from editions import copy_edition
from tei_edition.fsutil import TMP_PREFIX
from tei_edition.site import build
from tei_edition.site import records as site_records
from tei_edition.site import search as site_search

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = {"announcement.xml", "communique.xml", "note-zhou.xml", "reply-vyshinsky.xml"}  # the pages


def files(out: Path) -> dict[str, bytes]:
    """Every file of the site but Pagefind's index (whose filter chunk varies between builds)."""
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*"))
            if p.is_file() and not p.relative_to(out).parts[0].startswith("pagefind")}


def parts(out: Path) -> list[str]:
    """The folders of the search index's parts."""
    return ["pagefind", *(p.strip("./") for p in json.loads((out / "pagefind" / "shards.json").read_text()))]


def stamps(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


@pytest.fixture
def made(monkeypatch):
    """The documents whose page data is made (in this process: jobs=0), and Pagefind's runs."""
    seen: dict[str, list] = {"records": [], "index": []}
    real_record, real_index = site_records.make_record, site_search.run_pagefind

    def record(doc, *args, **kwargs):
        seen["records"].append(Path(doc.path).name)
        return real_record(doc, *args, **kwargs)

    def index(*args, **kwargs):
        seen["index"].append(1)
        return real_index(*args, **kwargs)

    monkeypatch.setattr(site_records, "make_record", record)
    monkeypatch.setattr(site_search, "run_pagefind", index)
    return seen


def fresh(src: Path, tmp: Path, name: str) -> dict[str, bytes]:
    """The site a first build of ``src`` makes (its own cache: nothing reused)."""
    out = tmp / name
    assert build([src], out, jobs=0, quiet=True).built
    return files(out)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_rebuild_with_nothing_changed_makes_and_writes_nothing(tmp_path, made):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    assert build([src], out, jobs=0, quiet=True).built
    assert len(made["records"]) == 4 and len(made["index"]) == len(parts(out))  # every part of the index
    before, times = files(out), stamps(out)
    made["records"].clear()
    made["index"].clear()
    again = build([src], out, jobs=0, quiet=True)
    assert again.built and made == {"records": [], "index": []}
    assert files(out) == before and stamps(out) == times  # not one file written again
    assert sorted(again.files) == sorted(f for f in before if f != ".tei-edition-site.json")


def test_a_changed_document_makes_its_page_and_comes_out_as_a_fresh_build(tmp_path, made):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    build([src], out, jobs=0, quiet=True)
    times = stamps(out)
    made["records"].clear()
    made["index"].clear()
    edit(src / "reply-vyshinsky.xml", "</body>", "<p>An added sentence of the reply.</p></body>")
    build([src], out, jobs=0, quiet=True)
    # the document, and those whose transforms draw on it (they point to it); no other
    pointing = {p.name for p in src.glob("*.xml") if "reply-vyshinsky.xml" in p.read_text(encoding="utf-8")
                and p.name in DOCUMENTS}
    assert sorted(made["records"]) == sorted({"reply-vyshinsky.xml"} | pointing) and made["index"] == [1]  # the documents' part
    page = (out / "reply-vyshinsky.html").read_text(encoding="utf-8")
    assert "An added sentence of the reply." in page
    after = stamps(out)
    rewritten = {rel for rel in after if after[rel] != times.get(rel) and not rel.startswith("pagefind/")}
    untouched = {"announcement.html", "announcement.bib", "announcement.xml"} - {f"{Path(p).stem}.html" for p in pointing}
    assert "reply-vyshinsky.html" in rewritten and untouched and not untouched & rewritten
    assert files(out) == fresh(src, tmp_path, "fresh")


def test_an_index_in_parts_makes_only_the_changed_pages_part_again(tmp_path, monkeypatch):
    """A large edition's index comes in parts; a changed page makes its own part again, and
    the other parts' folders stay as they were."""
    monkeypatch.setattr(site_search, "PART_BYTES", 20_000)
    runs: list[str] = []
    real = site_search.run_pagefind
    monkeypatch.setattr(site_search, "run_pagefind", lambda site, *a: (runs.append(Path(site).name), real(site, *a)))
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    assert build([src], out, jobs=0, quiet=True).built
    folders = parts(out)
    assert len(folders) >= 2 and sorted(runs) == sorted(folders)
    stage = out.parent / f"{out.name}.cache" / "search"
    home = {page.name: part for part in folders for page in (stage / part).glob("*.html")}
    assert set(home) == {f"{Path(d).stem}.html" for d in DOCUMENTS}  # each page in exactly one part
    runs.clear()
    times = stamps(out)
    edit(src / "announcement.xml", "</body>", "<p>Quinquereme.</p></body>")
    assert build([src], out, jobs=0, quiet=True).built
    after = stamps(out)
    pages = {rel for rel in after if "/" not in rel and rel.endswith(".html") and after[rel] != times.get(rel)}
    assert "announcement.html" in pages and runs and set(runs) == {home[p] for p in pages if p in home}
    for part in set(folders) - set(runs):  # untouched, file by file
        assert {r: t for r, t in after.items() if r.startswith(f"{part}/")} == \
            {r: t for r, t in times.items() if r.startswith(f"{part}/")}
    assert files(out) == fresh(src, tmp_path, "fresh")


def test_an_added_and_a_removed_document_change_the_lists_and_backlinks(tmp_path, made):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    build([src], out, jobs=0, quiet=True)
    persons = next(p for p in out.glob("*.html") if "persons" in p.name)
    copy = (src / "note-zhou.xml").read_text(encoding="utf-8")
    copy = re.sub(r'xml:id="note-zhou"', 'xml:id="note-zhou-copy"', copy, count=1)
    (src / "note-zhou-copy.xml").write_text(copy, encoding="utf-8")
    made["records"].clear()
    times = stamps(out)
    build([src], out, jobs=0, quiet=True)
    assert made["records"] == ["note-zhou-copy.xml"]  # the others' records still answer the same
    after = stamps(out)
    pages = {f"{Path(d).stem}.html" for d in DOCUMENTS}
    rewritten = {rel for rel in pages if after[rel] != times[rel]}
    assert len(rewritten) <= 2  # its neighbours (their previous/next links), no other page
    assert (out / "note-zhou-copy.html").is_file()
    assert "note-zhou-copy.html" in (out / "index.html").read_text(encoding="utf-8")
    assert "note-zhou-copy.html#" in persons.read_text(encoding="utf-8")  # its mentions are linked back
    assert files(out) == fresh(src, tmp_path, "fresh-added")
    (src / "note-zhou-copy.xml").unlink()
    made["records"].clear()
    build([src], out, jobs=0, quiet=True)
    assert made["records"] == []
    assert not any(p.name.startswith("note-zhou-copy.") for p in out.iterdir())
    assert "note-zhou-copy" not in persons.read_text(encoding="utf-8")
    assert "note-zhou-copy" not in (out / "index.html").read_text(encoding="utf-8")
    assert files(out) == fresh(src, tmp_path, "fresh-removed")


def test_a_changed_register_entry_rewrites_its_register_and_the_pages_that_show_it(tmp_path, made):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    build([src], out, jobs=0, quiet=True)
    persons = src / "persons.xml"
    ident = "vyshinsky"
    assert f'<person xml:id="{ident}">' in persons.read_text(encoding="utf-8")
    showing = {p.name for p in out.glob("*.html") if f'"{ident}"' in p.read_text(encoding="utf-8")
               and p.name != "persons.html"}
    assert showing
    times = stamps(out)
    edit(persons, "<surname>Vyshinsky</surname></persName>", "<surname>Renamedsky</surname></persName>")
    build([src], out, jobs=0, quiet=True)
    register = next(p for p in out.glob("*.html") if "persons" in p.name)
    assert "Renamedsky" in register.read_text(encoding="utf-8")
    after = stamps(out)
    for page in showing:  # its popover data carries the new name
        assert "Renamedsky" in (out / page).read_text(encoding="utf-8")
        assert after[page] != times[page]
    assert files(out) == fresh(src, tmp_path, "fresh")


def generated_edition(root: Path, n: int) -> Path:
    """``n`` letters pointing into a persons register, with a project file."""
    sys.path.insert(0, str(REPO / "bench"))
    try:
        from bench_schemas import make_edition
    finally:
        sys.path.pop(0)
    make_edition(root, n, persons=40)
    return root


def build_command(src: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tei_edition.cli", "build", str(src), "-o", str(out), "-q", *extra]


def environment(**extra) -> dict:
    env = {**os.environ, **extra}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [extra.get("PYTHONPATH"), str(REPO / "src"),
                                                      os.environ.get("PYTHONPATH")]))
    return env


@pytest.mark.parametrize("after", [1.0, 2.5, 4.0])
def test_a_build_killed_at_any_point_is_completed_by_the_next(tmp_path, after):
    src = generated_edition(tmp_path / "ed", 60)
    out = tmp_path / "site"
    assert subprocess.run(build_command(src, out, "--jobs", "2"), env=environment()).returncode == 0
    for letter in sorted((src / "letters").glob("*.xml"))[::3]:  # a third of the letters change
        edit(letter, "</body>", "<p>Changed since.</p></body>")
    proc = subprocess.Popen(build_command(src, out, "--jobs", "2"), env=environment(), start_new_session=True)
    time.sleep(after)
    os.killpg(proc.pid, signal.SIGKILL)  # the build and its workers, wherever they are
    proc.wait()
    # whatever it had done, no page is half-written: each file is the old one or the new one
    # (a temporary file being written when it was killed is debris the next build removes)
    for page in out.glob("*.html"):
        if not page.name.startswith(TMP_PREFIX):
            assert page.read_text(encoding="utf-8").rstrip().endswith("</html>"), page
    done = subprocess.run(build_command(src, out, "--jobs", "2"), env=environment(), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert not [p for p in out.rglob("*") if p.name.startswith((TMP_PREFIX, ".search-", ".pagefind-new"))]
    assert files(out) == fresh(src, tmp_path, "fresh")


def test_a_document_that_kills_its_worker_costs_only_its_page(tmp_path):
    src = generated_edition(tmp_path / "ed", 12)
    victim = sorted((src / "letters").glob("*.xml"))[5]
    hook = tmp_path / "hook"
    hook.mkdir()
    # started in every worker: the page task of one letter ends its process, as a crash would
    (hook / "sitecustomize.py").write_text(
        "import os\n"
        "from tei_edition.site import records\n"
        "_run = records.PageTask.run\n"
        "def run(self, path, data):\n"
        f"    if path.endswith({victim.name!r}):\n"
        "        os._exit(70)\n"
        "    return _run(self, path, data)\n"
        "records.PageTask.run = run\n", encoding="utf-8")
    out = tmp_path / "site"
    done = subprocess.run(build_command(src, out, "--jobs", "2"), env=environment(PYTHONPATH=str(hook)),
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 1, done.stderr
    named = [line for line in done.stderr.splitlines() if victim.name in line and "error:" in line]
    assert named and re.match(r"^.+:\d+:\d+: error: ", named[0])
    pages = {p.name for p in out.glob("*letter-*.html")}  # named by path: letters-letter-00000.html
    assert len(pages) == 11 and not any(victim.stem in p for p in pages)  # every other letter has its page
    assert victim.stem not in (out / "index.html").read_text(encoding="utf-8")


def test_a_changed_text_reads_only_that_file_and_a_changed_pointer_reads_them_all(tmp_path, monkeypatch):
    import importlib

    register_collect = importlib.import_module("tei_edition.registers.collect")  # the module, not the function

    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    build([src], out, jobs=0, quiet=True)
    models = []
    real = register_collect._Collector.finish

    def counted(self):
        models.append(1)
        return real(self)

    monkeypatch.setattr(register_collect._Collector, "finish", counted)
    # words only: the registers cannot have changed, so their model is not made again
    edit(src / "communique.xml", "</body>", "<p>Words only.</p></body>")
    build([src], out, jobs=0, quiet=True)
    assert models == [] and "Words only." in (out / "communique.html").read_text(encoding="utf-8")
    assert files(out) == fresh(src, tmp_path, "fresh-words")
    models.clear()
    # a mention now names another person: the backlinks and the registers' data change with it
    edit(src / "communique.xml", 'persName ref="persons.xml#chen-yun"', 'persName ref="persons.xml#stalin"')
    build([src], out, jobs=0, quiet=True)
    assert models  # read again, every file
    assert files(out) == fresh(src, tmp_path, "fresh-pointer")
