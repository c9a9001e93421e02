"""Formatting citations: ms per item, citeproc-py alone against citeproc-py with the
style's lookups remembered (tei_edition.citations), one call per item as a site build makes.

    python bench/bench_citations.py            # 300 generated letters, 300 Suriano letters, the bundled edition
    python bench/bench_citations.py -n 100 -r 5

Items are the csl-json transform of each document. Times are CPU seconds (best of -r
rounds), so other work on the machine counts less. Every output is compared too.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from bench_schemas import make_edition  # noqa: E402

from tei_edition import citations  # noqa: E402
from tei_edition.resources import edition_dir  # noqa: E402
from tei_edition.transform import TransformError, transform  # noqa: E402

SURIANO = REPO.parent / "shared" / "corpora" / "suriano"


def csl_items(paths) -> list[dict]:
    items = []
    for path in paths:
        try:
            data = json.loads(transform(path, "csl-json"))
        except TransformError:  # a register
            continue
        items.extend(data if isinstance(data, list) else [data])
    return items


def per_item(items, style, rounds) -> tuple[float, list[str]]:
    best, outputs = float("inf"), []
    for _ in range(rounds):
        start = time.process_time()
        outputs = [citations.format_citation([item], style, output="html") for item in items]
        best = min(best, time.process_time() - start)
    return 1000 * best / len(items), outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=300, help="generated letters, and Suriano letters at most")
    parser.add_argument("-r", "--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sets = {"generated": csl_items(make_edition(Path(tmp) / "edition", args.n))}
    if SURIANO.is_dir():
        sets["suriano"] = csl_items(sorted(SURIANO.rglob("*.xml"))[:args.n])
    sets["bundled"] = csl_items(sorted(edition_dir().glob("*.xml")))
    remembered = citations._patches
    for style in ("chicago", "mla"):
        citations.format_citation(sets["bundled"], style)  # compile the style outside the timing
    print(f"{'items':10} {'style':8} {'n':>4} {'alone':>8} {'remembered':>11} {'speed-up':>8}  outputs")
    for name, items in sets.items():
        for style in ("chicago", "mla"):
            citations._patches = lambda: ()
            alone, expected = per_item(items, style, args.rounds)
            citations._patches = remembered
            fast, outputs = per_item(items, style, args.rounds)
            same = "same" if outputs == expected else "DIFFERENT"
            print(f"{name:10} {style:8} {len(items):4} {alone:6.2f}ms {fast:9.2f}ms {alone / fast:7.1f}x  {same}")


if __name__ == "__main__":
    main()
