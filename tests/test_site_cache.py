"""A rebuild reuses the transform outputs of every document that did not change, nor did
anything it draws on (its registers, the edition file, the stylesheets, the parameters);
the cache lives beside the site, never in it, and the site comes out the same."""

from __future__ import annotations

from pathlib import Path

import pytest

from editions import copy_edition
from tei_edition.site import build
from tei_edition.site import transforms as site_transforms
from tei_edition.site.cache import cache_dir


@pytest.fixture
def counted(monkeypatch):
    """The documents whose transforms actually run (in this process: jobs=0)."""
    made: list[str] = []
    real = site_transforms.transform_outputs

    def spy(doc, *args, **kwargs):
        made.append(Path(doc.path).name)
        return real(doc, *args, **kwargs)

    monkeypatch.setattr(site_transforms, "transform_outputs", spy)
    return made


#: the bundled edition's documents (the files that get pages)
DOCUMENTS = {"announcement.xml", "communique.xml", "note-zhou.xml", "reply-vyshinsky.xml"}


def files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and not p.relative_to(out).parts[0].startswith("pagefind")}


def test_an_unchanged_edition_is_not_transformed_again_and_builds_the_same(tmp_path, counted):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    assert build([src], out, jobs=0, quiet=True).built
    first, made_first = files(out), sorted(counted)
    assert set(made_first) == DOCUMENTS
    counted.clear()
    assert build([src], out, jobs=0, quiet=True).built
    assert counted == [] and files(out) == first
    cache = cache_dir(out)
    assert cache.is_dir() and not cache.is_relative_to(out)  # beside the site, not published


def test_a_changed_document_or_register_is_made_again(tmp_path, counted):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    build([src], out, jobs=0, quiet=True)
    counted.clear()
    doc = src / "announcement.xml"
    doc.write_text(doc.read_text(encoding="utf-8").replace("</body>", "<p>Appended.</p></body>", 1), encoding="utf-8")
    build([src], out, jobs=0, quiet=True)
    # the document, and the one that points to it (its links and titles draw on it); not the others
    assert sorted(counted) == ["announcement.xml", "communique.xml"]
    assert "Appended." in (out / "announcement.html").read_text(encoding="utf-8")
    counted.clear()
    persons = src / "persons.xml"  # the documents that point into it are made again, and only they
    pointing = sorted(p.name for p in src.glob("*.xml") if p.name in DOCUMENTS
                      and "persons.xml#" in p.read_text(encoding="utf-8"))
    persons.write_text(persons.read_text(encoding="utf-8").replace("</listPerson>", "<!-- x --></listPerson>", 1),
                       encoding="utf-8")
    build([src], out, jobs=0, quiet=True)
    assert pointing and sorted(counted) == pointing


def test_other_parameters_miss_and_removed_documents_leave_the_cache(tmp_path, counted):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    build([src], out, jobs=0, quiet=True)
    counted.clear()
    build([src], out, jobs=0, quiet=True, base_url="https://example.org/edition")
    assert len(counted) == 4  # URLs in every citation change
    kept = [cache_dir(out) / "transforms", cache_dir(out) / "records", cache_dir(out) / "citations"]
    before = [len(list(folder.glob("*.json"))) for folder in kept]
    assert before == [4, 4, 4]  # the first build's records and citations are gone
    assert len((cache_dir(out) / "records" / "index.jsonl").read_text(encoding="utf-8").splitlines()) == 4
    (src / "announcement.xml").unlink()
    build([src], out, jobs=0, quiet=True, base_url="https://example.org/edition")
    assert [len(list(folder.glob("*.json"))) for folder in kept] == [3, 3, 3]
