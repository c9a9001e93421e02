"""Throughput of ``tei_edition.validate`` next to ``xmllint --schema`` on the same files, same run.

    python bench/bench_validate.py            # 100 copies of the edition (900 files)
    python bench/bench_validate.py -n 300 -r 5

Each copy of the edition gets its own folder and its own ids (every xml:id and
every pointer fragment gets a suffix), so the copies together are still one
valid edition and the cross-file checks do real work. Both sides run warm:
validate compiles its schemas once per process (a first call on one file does
that), xmllint compiles the XSD at the start of its one process per run.

Columns: docs/s for validate's full pipeline (loader, XSD, Schematron, pointers
and ids across files), for its XSD step alone, and for xmllint (XSD only); the
ratio is each row over xmllint. The two ``tei-edition validate`` command rows
run a fresh process each time, as xmllint does (start-up and schema compiling
included); ``--jobs 2`` uses two processes, the command's own included (a worker
is started only when the rest of the run outlasts its start; the CPU column adds
up every process's time).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lxml import etree

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from tei_edition import loader, validate  # noqa: E402
from tei_edition.edition import POINTER_ATTRIBUTES, split_pointer  # noqa: E402
from tei_edition.loader import XML_ID  # noqa: E402
from tei_edition.resources import edition_dir, schema_dir  # noqa: E402
from tei_edition.validation import xsd  # noqa: E402


def make_copies(target: Path, copies: int) -> list[Path]:
    sources = sorted(edition_dir().glob("*.xml"))
    schema_copy = target / "schema"
    shutil.copytree(schema_dir(), schema_copy)  # the files' <?xml-model?> point to ../schema/
    files = []
    for i in range(copies):
        folder = target / f"copy-{i:04d}"
        folder.mkdir()
        for source in sources:
            doc = loader.load(source)
            suffix = f"-c{i}"
            for el in doc.root.iter():
                if not isinstance(el.tag, str):
                    continue
                if el.get(XML_ID):
                    el.set(XML_ID, el.get(XML_ID) + suffix)
                for attr in POINTER_ATTRIBUTES:
                    value = el.get(attr)
                    if value:
                        el.set(attr, " ".join(_vary(p, suffix) for p in value.split()))
            out = folder / source.name
            # keep the prolog (the <?xml-model?> instructions) as it is
            text = etree.tostring(doc.tree, encoding="utf-8", xml_declaration=True)
            out.write_bytes(text)
            files.append(out)
    return files


def _vary(pointer: str, suffix: str) -> str:
    parts = split_pointer(pointer)
    if parts is None or parts[1] is None:
        return pointer
    return pointer + suffix


def _cpu(who=resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def time_validate(files: list[Path], folder: Path) -> tuple[float, float, int]:
    start, cpu = time.perf_counter(), _cpu()
    report = validate([folder])
    elapsed, cpu = time.perf_counter() - start, _cpu() - cpu
    if not report.ok:
        raise SystemExit("the generated copies are not valid:\n" + "\n".join(map(str, report.problems[:10])))
    return elapsed, cpu, len(report.files)


def time_xsd_only(files: list[Path]) -> tuple[float, float]:
    schema = schema_dir() / "tei-edition.xsd"
    start, cpu = time.perf_counter(), _cpu()
    for f in files:
        doc = loader.load(f)
        if xsd.check(doc, schema):
            raise SystemExit(f"{f} fails the XSD")
    return time.perf_counter() - start, _cpu() - cpu


def time_xmllint(files: list[Path]) -> tuple[float, float]:
    start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    run = subprocess.run(["xmllint", "--noout", "--schema", str(schema_dir() / "tei-edition.xsd"),
                          *map(str, files)], capture_output=True, text=True)
    elapsed, cpu = time.perf_counter() - start, _cpu(resource.RUSAGE_CHILDREN) - cpu
    if run.returncode != 0:
        raise SystemExit(f"xmllint failed: {run.stderr[-2000:]}")
    return elapsed, cpu


def time_cli(folder: Path, *options: str) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [sys.executable, "-m", "tei_edition.cli", "validate", "--quiet", *options, str(folder)]
    start, cpu = time.perf_counter(), _cpu(resource.RUSAGE_CHILDREN)
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    elapsed, cpu = time.perf_counter() - start, _cpu(resource.RUSAGE_CHILDREN) - cpu
    if run.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {(run.stdout + run.stderr)[-2000:]}")
    return elapsed, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", "--copies", type=int, default=100, help="copies of the edition (default 100)")
    parser.add_argument("-r", "--repeat", type=int, default=3, help="runs of each side; the median is shown")
    parser.add_argument("--no-cli", action="store_true", help="leave out the rows that run the command")
    args = parser.parse_args()
    if shutil.which("xmllint") is None:
        raise SystemExit("xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils)")
    with tempfile.TemporaryDirectory(prefix="tei-edition-bench-") as tmp:
        root = Path(tmp)
        files = make_copies(root / "edition", args.copies)
        folder = root / "edition"
        size = sum(f.stat().st_size for f in files) / len(files)
        validate([files[0]])  # compile the schemas once, as a long-running process would have
        full, xsd_only, lint, cli, jobs = [], [], [], [], []
        for _ in range(args.repeat):
            *timing, count = time_validate(files, folder)
            assert count == len(files), (count, len(files))
            full.append(timing)
            xsd_only.append(time_xsd_only(files))
            lint.append(time_xmllint(files))
            if not args.no_cli:
                cli.append(time_cli(folder))
                jobs.append(time_cli(folder, "--jobs", "2"))
        n = len(files)
        rows = [
            ("tei-edition validate (loader+XSD+Schematron+references)", full),
            ("tei-edition XSD step alone (loader + lxml XMLSchema)", xsd_only),
            ("xmllint --noout --schema tei-edition.xsd", lint),
        ]
        if cli:
            rows += [("command: tei-edition validate (fresh process)", cli),
                     ("command: tei-edition validate --jobs 2 (fresh process)", jobs)]
        lint_wall = n / statistics.median(t[0] for t in lint)
        lint_cpu = n / statistics.median(t[1] for t in lint)
        print(f"{n} files ({args.copies} copies of the edition), {size / 1024:.1f} KB on average, "
              f"median of {args.repeat} runs; CPU = user+system seconds of the process doing the work")
        print(f"{'':58} {'wall s':>7} {'docs/s':>7} {'ratio':>6} | {'CPU s':>7} {'docs/s':>7} {'ratio':>6}")
        for name, timings in rows:
            wall = statistics.median(t[0] for t in timings)
            cpu = statistics.median(t[1] for t in timings)
            print(f"{name:58} {wall:7.3f} {n / wall:7.0f} {n / wall / lint_wall:5.2f}x | "
                  f"{cpu:7.3f} {n / cpu:7.0f} {n / cpu / lint_cpu:5.2f}x")


if __name__ == "__main__":
    main()
