"""validate_incremental with worker processes: past a chunk's files, this process validates
none of them itself (what it validated would stay in its memory), and the report is the same."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from tei_edition.validation import bounded, incremental
from tei_edition.validation.bounded import validate_bounded
from tei_edition.validation.incremental import validate_incremental

REPO = Path(__file__).resolve().parents[1]


def make(root: Path, letters: int) -> Path:
    spec = importlib.util.spec_from_file_location("bench_schemas", REPO / "bench" / "bench_schemas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.make_edition(root, letters, persons=8)
    return root


def test_a_large_run_is_validated_in_the_workers_only(tmp_path, monkeypatch):
    root = make(tmp_path / "ed", 6)
    here: list[str] = []
    original = incremental._FactsTask.run_chunk

    def run_chunk(self, items):  # patched in this process only: spawned workers run the original
        here.extend(Path(p).name for p, _ in items)
        return original(self, items)

    monkeypatch.setattr(incremental._FactsTask, "run_chunk", run_chunk)
    fresh = validate_bounded([root])
    monkeypatch.setattr(bounded, "CHUNK", 3)  # the edition has more files than a chunk
    got = validate_incremental([root], tmp_path / "cache", jobs=2)
    assert here == []
    assert [str(p) for p in got.problems] == [str(p) for p in fresh.problems] and got.files == fresh.files
    letter = root / "letters" / "letter-00002.xml"
    letter.write_text(letter.read_text(encoding="utf-8").replace('type="sent"', 'type="x"'), encoding="utf-8")
    again = validate_incremental([root], tmp_path / "cache", jobs=2)
    assert here == ["letter-00002.xml"]  # a small run is still validated here, without starting a worker
    assert [str(p) for p in again.problems] == [str(p) for p in validate_bounded([root]).problems]
