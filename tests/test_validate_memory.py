"""A serial validate holds one chunk of trees at a time and still gives validate()'s report."""

from __future__ import annotations

import functools

import pytest
from click.testing import CliRunner

from tei_edition import batch
from tei_edition.cli import main
from tei_edition import validation
from tei_edition.validation import bounded, validate
from tei_edition.validation.bounded import validate_bounded

from test_batch import TEI
from test_batch_validate import make_corpus
from test_schema_choice import RNG_NS, letters, model


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 7 files, so a small corpus spans several; records the files of each validate() call."""
    calls: list[int] = []
    original = validation.validate

    @functools.wraps(original)  # the batch runner reads its signature
    def spy(paths, *args, **kwargs):
        paths = list(paths) if paths is not None else []
        if paths:
            calls.append(len(paths))
        return original(paths, *args, **kwargs)

    monkeypatch.setattr(validation, "validate", spy)
    monkeypatch.setattr(bounded, "CHUNK", 7)
    return calls


def test_chunks_give_the_report_of_one_call_with_duplicate_ids_across_chunks(tmp_path, small_chunks):
    src = tmp_path / "src"
    files = make_corpus(src, 30)  # unique-ids = "edition"
    files[25].write_text(TEI.format(id="d2"), "utf-8")  # d2 again, chunks apart
    files[11].write_text(TEI.format(id="d29"), "utf-8")  # the later file first in run order
    (src / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<text>\n</TEI>')
    (src / "other.xml").write_text("<list/>")  # XML but not TEI: reported, not skipped
    whole = validate([src])
    small_chunks.clear()
    chunked = validate_bounded([src])
    assert len(small_chunks) > 3 and max(small_chunks) <= 7  # several calls, none over a chunk
    assert chunked == whole
    assert sum(p.rule == "id-unique" for p in whole.problems) == 2
    assert any(p.rule == "not-tei" for p in whole.problems)


@pytest.mark.parametrize("n", [3, 16])
def test_a_declared_remote_schema_is_one_warning_however_many_chunks(tmp_path, small_chunks, n):
    letters(tmp_path, n, model("https://schemas.example.org/letters.rng", RNG_NS))
    whole = validate([tmp_path])
    chunked = validate_bounded([tmp_path])
    assert chunked == whole
    remote = [p for p in chunked.problems if p.rule == "xml-model-remote"]
    assert len(remote) == 1 and f"this file and {n - 1} more" in remote[0].message


def test_the_command_prints_the_same_report_and_summary_line(tmp_path, small_chunks):
    src = tmp_path / "src"
    files = make_corpus(src, 20)
    files[19].write_text(TEI.format(id="d0"), "utf-8")
    runner = CliRunner()
    chunked = runner.invoke(main, ["validate", str(src)])
    chunked_json = runner.invoke(main, ["validate", str(src), "--format", "json"])
    assert small_chunks  # went through the chunks
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bounded, "CHUNK", 1000)
        whole = runner.invoke(main, ["validate", str(src)])
        whole_json = runner.invoke(main, ["validate", str(src), "--format", "json"])
    assert chunked.exit_code == whole.exit_code == 1
    assert chunked.stdout == whole.stdout and "20 file(s) checked" in chunked.stdout
    assert chunked_json.stdout == whole_json.stdout


def test_an_interrupted_chunked_run_raises_as_validate_would(tmp_path, monkeypatch):
    make_corpus(tmp_path, 10)
    monkeypatch.setattr(batch.runner, "run", lambda *a, **k: batch.Summary(interrupted=True))
    with pytest.raises(KeyboardInterrupt):
        validate_bounded([tmp_path], chunk=3)
