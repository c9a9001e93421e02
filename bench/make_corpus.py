"""Make a benchmark corpus from the bundled edition.

    python bench/make_corpus.py bench/corpus/n500 --n 500
    python bench/make_corpus.py bench/corpus/big --big-mb 5

Layout (the files' ``<?xml-model?>`` instructions point at ``../schema/``)::

    OUT/schema/            copy of the project schemas
    OUT/tei/               the edition's registers and edition file, then
    OUT/tei/gen-00000.xml  N documents copied from the edition's four documents,
                           every xml:id (and the pointers to it) given a suffix
    OUT/tei/big.xml        with --big-mb: one document of about that size
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from tei_edition.resources import edition_dir, schema_dir  # noqa: E402

DOCUMENTS = ["communique", "announcement", "note-zhou", "reply-vyshinsky"]
_ID = re.compile(r'xml:id="([^"]+)"')


def vary_ids(text: str, suffix: str) -> str:
    """Give every xml:id of a document a suffix, and the pointers inside it too."""
    ids = set(_ID.findall(text))
    text = _ID.sub(lambda m: f'xml:id="{m.group(1)}{suffix}"', text)
    return re.sub(r'(?<=["\s])#([\w.-]+)(?=["\s])',
                  lambda m: f"#{m.group(1)}{suffix}" if m.group(1) in ids else m.group(0), text)


def base(out: Path, source: Path | None = None) -> Path:
    """``source``: a folder holding ``tei/`` and ``schema/`` (default: the package's own)."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(source / "schema" if source else schema_dir(), out / "schema")
    tei = out / "tei"
    shutil.copytree(source / "tei" if source else edition_dir(), tei)
    return tei


def make(out: Path, n: int, source: Path | None = None) -> Path:
    tei = base(out, source)
    templates = [(tei / f"{d}.xml").read_text("utf-8") for d in DOCUMENTS]
    for i in range(n):
        (tei / f"gen-{i:05d}.xml").write_text(vary_ids(templates[i % len(templates)], f"-g{i}"), "utf-8")
    return tei


def make_big(out: Path, megabytes: float, source: Path | None = None) -> Path:
    """One document whose body repeats the communiqué's divisions to about ``megabytes``."""
    tei = base(out, source)
    text = (tei / "communique.xml").read_text("utf-8")
    start, end = text.index("<body>") + len("<body>"), text.index("</body>")
    body = text[start:end]
    copies, size, i = [], len(text), 0
    while size < megabytes * 1_000_000:
        part = vary_ids(body, f"-b{i}")
        copies.append(part)
        size += len(part)
        i += 1
    (tei / "big.xml").write_text(text[:start] + "".join(copies) + text[end:], "utf-8")
    return tei


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path)
    ap.add_argument("--n", type=int, default=500, help="generated documents (default 500)")
    ap.add_argument("--big-mb", type=float, default=0, help="make one large document of this size instead")
    args = ap.parse_args(argv)
    tei = make_big(args.out, args.big_mb) if args.big_mb else make(args.out, args.n)
    files = list(tei.glob("*.xml"))
    print(f"{len(files)} files, {sum(f.stat().st_size for f in files) / 1e6:.1f} MB in {tei}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
