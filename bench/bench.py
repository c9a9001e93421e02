"""Throughput of validate and transform on a generated corpus, with the floor measured in the same run.

    python bench/bench.py                  # N=500 and 10xN=5000, about three minutes on 2 cores
    python bench/bench.py --n 100 --quick  # a smoke run

Prints one markdown table. Every tei-edition figure is a whole command-line
run (interpreter start, workers, writing) timed from outside, on every file of
the corpus (generated documents plus the edition's own files). Peak RSS is the
largest single process of a run (the parent or one worker). Each N-sized step
and the 10xN transform count the fastest of --repeat runs (default 2): other
load on the machine only ever slows a run.

Rows:
- floor: lxml parse + serialise of the same files in this one process;
- Saxon's own ceiling, in this one process: saxonche parsing each file's text (as the
  engine must), then that plus an identity stylesheet serialising HTML: no transform
  to HTML through saxonche can go faster than this;
- xmllint: ``xmllint --noout --schema schema/tei-edition.xsd`` on the same files;
- validate / transform at --jobs 1 and 2; the site build; a no-op rebuild; validate, transform and
  the no-op rebuild again at 10xN (with xmllint on those files);
- the ~5 MB single file; cold start of ``--version`` against ``python -c pass``.
The last column compares with the goals of the project.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import make_corpus  # noqa: E402

CLI = [sys.executable, "-m", "tei_edition.cli"]
ENV = dict(os.environ)


def snapshot(work: Path) -> Path:
    """Copy the code, stylesheets, schemas and edition, so edits made while the bench runs
    (which rightly invalidate the journal) cannot change what is measured."""
    snap = work / "snapshot"
    shutil.rmtree(snap, ignore_errors=True)
    for name in ("src", "xslt", "schema", "tei"):
        shutil.copytree(ROOT / name, snap / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    ENV["PYTHONPATH"] = str(snap / "src")
    return snap


def revision() -> str:
    try:
        rev = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "src", "xslt", "schema", "tei"],
                               capture_output=True, text=True).stdout.strip()
        return rev + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"

# Runs a command and reports the peak RSS of its whole process tree's largest process.
_RSS = ("import resource, subprocess, sys\n"
        "rc = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=open(sys.argv[1], 'w')).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)")


def timed(cmd: list[str], log: Path) -> tuple[float, float, int]:
    """(seconds, peak RSS in MB, exit code) of one command run."""
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", _RSS, str(log), *cmd], capture_output=True, text=True, env=ENV)
    seconds = time.perf_counter() - start
    rss_kb, rc = out.stdout.split()
    return seconds, int(rss_kb) / 1024, int(rc)


def corpus_files(tei: Path) -> tuple[list[Path], float]:
    files = sorted(tei.glob("*.xml"))
    return files, sum(f.stat().st_size for f in files) / 1e6


def floor(files: list[Path]) -> float:
    """lxml parse + serialise, one process: the least any tool must spend per file."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    start = time.perf_counter()
    for f in files:
        etree.tostring(etree.fromstring(f.read_bytes(), parser), encoding="unicode")
    return time.perf_counter() - start


IDENTITY_HTML = """<xsl:stylesheet version="3.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="html" html-version="5.0"/><xsl:mode on-no-match="shallow-copy"/>
</xsl:stylesheet>"""


def saxon_ceiling(files: list[Path]) -> tuple[float, float]:
    """Seconds for saxonche to parse every file's text, and to parse it and run an identity
    stylesheet to HTML: one process, no Python work besides reading the files."""
    from saxonche import PySaxonProcessor

    proc = PySaxonProcessor(license=False)
    identity = proc.new_xslt30_processor().compile_stylesheet(stylesheet_text=IDENTITY_HTML)
    texts = [f.read_text("utf-8") for f in files]
    start = time.perf_counter()
    for text in texts:
        proc.parse_xml(xml_text=text)
    parse = time.perf_counter() - start
    start = time.perf_counter()
    for text in texts:
        identity.transform_to_string(xdm_node=proc.parse_xml(xml_text=text))
    return parse, time.perf_counter() - start


class Table:
    def __init__(self):
        self.rows: list[list[str]] = []

    def add(self, step, files, mb, seconds, rss=None, goal=""):
        self.rows.append([step, str(files), f"{mb:.1f}", f"{seconds:.2f}",
                          f"{files / seconds:,.0f}" if seconds else "-",
                          f"{mb / seconds:.1f}" if seconds else "-",
                          f"{rss:.0f}" if rss else "-", goal])

    def print(self):
        head = ["step", "files", "MB", "s", "docs/s", "MB/s", "peak RSS MB", "goal"]
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join("---" for _ in head) + "|")
        for row in self.rows:
            print("| " + " | ".join(row) + " |")


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500, help="generated documents (default 500)")
    ap.add_argument("--scale", type=int, default=10, help="the large run has scale x N documents (default 10)")
    ap.add_argument("--big-mb", type=float, default=5.0)
    ap.add_argument("--work", type=Path, default=HERE / "corpus", help="where corpora and outputs go")
    ap.add_argument("--quick", action="store_true", help="skip the scale x N and large-file runs")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each N-sized step; the fastest counts")
    args = ap.parse_args(argv)

    load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    work = args.work
    logs = work / "logs"
    shutil.rmtree(logs, ignore_errors=True)
    logs.mkdir(parents=True)
    snap = snapshot(work)
    rev = revision()
    t = Table()
    n_tei = make_corpus.make(work / f"n{args.n}", args.n, snap)
    files, mb = corpus_files(n_tei)
    nf = len(files)
    schema = work / f"n{args.n}" / "schema" / "tei-edition.xsd"
    out = work / "out"
    shutil.rmtree(out, ignore_errors=True)  # every full run starts with no journal

    def cli(name, *cmd, repeat=1, fresh=None):
        """The fastest of ``repeat`` runs (other load on the machine only ever slows a run).
        ``fresh``: an output folder removed before each run, so every output is written
        (a rebuild leaves outputs that come out identical alone)."""
        runs = []
        for _ in range(repeat):
            if fresh is not None:
                shutil.rmtree(fresh, ignore_errors=True)
            runs.append(timed([*CLI, *cmd], logs / f"{name}.log"))
        return min(runs)

    floor_s = min(floor(files) for _ in range(3))
    t.add("floor: lxml parse+serialise, 1 process", nf, mb, floor_s)
    ceilings = [saxon_ceiling(files) for _ in range(3)]
    parse_s, identity_s = min(c[0] for c in ceilings), min(c[1] for c in ceilings)
    t.add("Saxon ceiling: parse only, 1 process", nf, mb, parse_s, goal=f"{floor_s / parse_s:.2f} of the floor")
    t.add("Saxon ceiling: parse + identity to HTML, 1 process", nf, mb, identity_s,
          goal=f"{floor_s / identity_s:.2f} of the floor; ×2 processes ≈ {2 * floor_s / identity_s:.2f}")
    xl_s, xl_rss, _ = min(timed(["xmllint", "--noout", "--schema", str(schema), *map(str, files)],
                                logs / "xmllint.log") for _ in range(args.repeat))
    t.add("xmllint --schema (XSD)", nf, mb, xl_s, xl_rss)

    results = {}
    for jobs in (1, 2):
        s, rss, rc = cli(f"validate-j{jobs}", "validate", str(n_tei), "--jobs", str(jobs), "--quiet",
                         repeat=args.repeat)
        results["validate", jobs] = s
        goal = ""
        if jobs == 2:
            ratio = (nf / s) / (nf / xl_s)
            goal = f"{ratio:.2f} of xmllint docs/s (goal ≥ 0.5): {verdict(ratio >= 0.5)}"
        t.add(f"validate --jobs {jobs}" + ("" if rc == 0 else f" (exit {rc})"), nf, mb, s, rss, goal)
    for fmt in ("html", "text", "csl-json"):
        for jobs in (1, 2):
            s, rss, rc = cli(f"{fmt}-j{jobs}", "transform", "--to", fmt, str(n_tei), "-o", str(out / fmt),
                             "--jobs", str(jobs), "--force", "--quiet", repeat=args.repeat, fresh=out / fmt)
            results[fmt, jobs] = (s, rss)
            goal = ""
            if fmt == "html" and jobs == 2:
                ratio = (nf / s) / (nf / floor_s)
                goal = f"{ratio:.2f} of the floor's docs/s (goal ≥ 0.30): {verdict(ratio >= 0.30)}"
            t.add(f"transform --to {fmt} --jobs {jobs}" + ("" if rc == 0 else f" (exit {rc})"),
                  nf, mb, s, rss, goal)
    s, rss, rc = cli("build-j2", "build", str(n_tei), "-o", str(out / "site"), "--jobs", "2", "--quiet",
                     fresh=out / "site")
    t.add("build --jobs 2 (validate, 6 transforms + 2 citations a document, pages)" +
          ("" if rc == 0 else f" (exit {rc})"), nf, mb, s, rss)
    s, rss, _ = cli("noop", "transform", "--to", "html", str(n_tei), "-o", str(out / "html"), "--jobs", "2", "--quiet",
                    repeat=args.repeat)
    t.add("no-op rebuild, html --jobs 2", nf, mb, s, rss,
          f"{s / results['html', 2][0]:.2f} of the full run")

    if not args.quick:
        big_n = args.n * args.scale
        big_tei = make_corpus.make(work / f"n{big_n}", big_n, snap)
        bfiles, bmb = corpus_files(big_tei)
        s10, rss10, rc = cli("html-10x", "transform", "--to", "html", str(big_tei), "-o", str(out / "html10"),
                             "--jobs", "2", "--force", "--quiet", repeat=args.repeat,
                             fresh=out / "html10")  # like with like
        s1, rss1 = results["html", 2]
        per_doc = (s10 / len(bfiles)) / (s1 / nf)
        t.add(f"{args.scale}xN: transform --to html --jobs 2", len(bfiles), bmb, s10, rss10,
              f"time ×{s10 / s1:.1f} for ×{len(bfiles) / nf:.1f} files, ×{per_doc:.2f} per file (goal ≤ 11×); "
              f"RSS ×{rss10 / rss1:.2f} (goal: flat): {verdict(s10 / s1 <= 11 and rss10 / rss1 <= 1.25)}")
        bschema = work / f"n{big_n}" / "schema" / "tei-edition.xsd"
        bxl, bxl_rss, _ = timed(["xmllint", "--noout", "--schema", str(bschema), *map(str, bfiles)],
                                logs / "xmllint-10x.log")
        t.add(f"{args.scale}xN: xmllint --schema (XSD)", len(bfiles), bmb, bxl, bxl_rss)
        bv, bv_rss, rc = cli("validate-10x", "validate", str(big_tei), "--jobs", "2", "--quiet")
        ratio = bxl / bv
        t.add(f"{args.scale}xN: validate --jobs 2" + ("" if rc == 0 else f" (exit {rc})"), len(bfiles), bmb, bv,
              bv_rss, f"{ratio:.2f} of xmllint docs/s (goal ≥ 0.5): {verdict(ratio >= 0.5)}")
        noop, noop_rss, _ = cli("noop-10x", "transform", "--to", "html", str(big_tei), "-o", str(out / "html10"),
                                "--jobs", "2", "--quiet")
        t.add(f"{args.scale}xN: no-op rebuild", len(bfiles), bmb, noop, noop_rss,
              f"{noop:.2f} s (goal < 5 s), {noop / s10:.2f} of the full run (goal < 0.25): "
              f"{verdict(noop < 5 and noop / s10 < 0.25)}")

        big_dir = make_corpus.make_big(work / "big", args.big_mb, snap)
        big = big_dir / "big.xml"
        bmb = big.stat().st_size / 1e6
        t.add("5 MB file: floor", 1, bmb, min(floor([big]) for _ in range(3)))
        s, rss, _ = timed(["xmllint", "--noout", "--schema", str(work / "big" / "schema" / "tei-edition.xsd"),
                           str(big)], logs / "xmllint-big.log")
        t.add("5 MB file: xmllint --schema", 1, bmb, s, rss)
        s, rss, rc = cli("validate-big", "validate", str(big), "--quiet")
        t.add("5 MB file: validate" + ("" if rc == 0 else f" (exit {rc})"), 1, bmb, s, rss)
        s, rss, rc = cli("html-big", "transform", "--to", "html", str(big), "-o", str(out / "big"), "--force",
                         "--quiet", fresh=out / "big")
        t.add("5 MB file: transform --to html" + ("" if rc == 0 else f" (exit {rc})"), 1, bmb, s, rss)

    def cold(cmd):
        runs = []
        for _ in range(7):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, env=ENV, check=True)
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)

    script = Path(sys.executable).with_name("tei-edition")
    version_cmd = [str(script), "--version"] if script.exists() else [*CLI, "--version"]
    py = cold([sys.executable, "-c", "pass"])
    ver = cold(version_cmd)
    t.rows.append(["cold start: python -c pass (median of 7)", "-", "-", f"{py:.3f}", "-", "-", "-", ""])
    t.rows.append(["cold start: tei-edition --version (median of 7)", "-", "-", f"{ver:.3f}", "-", "-", "-",
                   f"{ver:.3f} s (goal < 0.3 s), {ver - py:.3f} s over bare Python: {verdict(ver < 0.3)}"])

    load = " / ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(f"Revision {rev}. Machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}; "
          f"N = {args.n} generated documents + the edition's {nf - args.n} files ({mb:.1f} MB); "
          f"load average before / after: {load_before} / {load}")
    print()
    t.print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
