"""The site build at corpus scale, measured as a user runs it: whole ``tei-edition`` commands.

    python bench/bench_build.py                       # 5,000 letters, RSS also at 500; 10+ minutes
    python bench/bench_build.py -n 1000 --small 100   # a quicker look
    python bench/bench_build.py --skip-search --keep /tmp/edition

The edition is bench_schemas.py's letters, with places added: ``registers/persons.xml``
(5,000 persons) and ``registers/places.xml`` (1,000 places, every other one with
coordinates), both named under ``[registers] files`` in the project file; each letter
names persons (``psn:``) and places (``plc:``, in its dateline, its correspAction and
its text) by ``prefixDef`` pointers, keeps its correspondents in its own ``<back>``,
and declares an XSD and an xslt2 Schematron, which the build validates.

Rows, all in this run, on a copy of the code taken when it starts:
- the full build (``build EDITION -o SITE --jobs 2``, no SITE/ and no SITE.cache/ before)
  beside ``transform --to html --jobs 2`` of the same letters into a fresh folder, and as
  references against the same transform: the lxml floor (parsing every letter, one process),
  Saxon's own ceiling (parse + html.xsl on saxonche, one process) and ``xmllint --noout``;
- peak RSS of the build at --small and at -n letters: the largest single process of the
  build's tree (the build itself, its workers, Pagefind), from ``getrusage`` of the command
  (RUSAGE_SELF) and of its children (RUSAGE_CHILDREN); the registers are the same at both sizes;
- rebuilds with the same command: nothing changed; a word in the body of the middle letter;
  one register entry's name; one letter added; one letter removed;
- what the search page and one query for a name download, in headless Chromium
  (bench_search.py's measure).

The bench exits non-zero when the build fails, leaves a letter without a page, a rebuild
misses the changed word, or a removed letter's page stays.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

from bench_schemas import XSD, letter, lxml_floor, make_edition, person  # noqa: E402

PERSONS, PLACES = 5000, 1000
STEM = re.compile(r"letter-\d+")
TOWN = ["Alt", "Berg", "Dorn", "Eisen", "Feld", "Grün", "Hoch", "Kirch", "Lind", "Neu"]
END = ["au", "bach", "burg", "dorf", "feld", "hausen", "heim", "stadt", "tal", "wald"]
RIVER = ["", " an der Donau", " am Inn", " an der Enns", " am Main", " an der Mur", " am Lech", " an der Iller",
         " am Kamp", " an der Ybbs"]
NEW_WORD = "quinquereme"  # in no generated letter: the one-change rebuild must bring it to the page

# the bench's XSD, taught places where real letters have them: the dateline, correspAction, text
PLACE_XSD = [
    ('<xs:element name="date"><xs:complexType mixed="true">',
     '<xs:element name="placeName"><xs:complexType mixed="true">\n'
     '    <xs:attribute name="ref" type="xs:string"/></xs:complexType></xs:element>\n'
     '  <xs:element name="date"><xs:complexType mixed="true">'),
    ('<xs:element ref="persName"/><xs:element ref="date" minOccurs="0"/></xs:sequence>',
     '<xs:element ref="persName"/><xs:element ref="placeName" minOccurs="0"/>'
     '<xs:element ref="date" minOccurs="0"/></xs:sequence>'),
    ('<xs:sequence>\n    <xs:element ref="date" minOccurs="0"/></xs:sequence>',
     '<xs:sequence>\n    <xs:element ref="placeName" minOccurs="0"/><xs:element ref="date" minOccurs="0"/>'
     '</xs:sequence>'),
    ('<xs:element ref="persName"/><xs:element ref="date"/><xs:element ref="ref"/>',
     '<xs:element ref="persName"/><xs:element ref="placeName"/><xs:element ref="date"/><xs:element ref="ref"/>'),
]
HEADER = ('<TEI xmlns="http://www.tei-c.org/ns/1.0"><teiHeader><fileDesc><titleStmt><title>{}</title>'
          '</titleStmt><publicationStmt><p>x</p></publicationStmt><sourceDesc><p>x</p></sourceDesc>'
          '</fileDesc></teiHeader><text><body>{}</body></text></TEI>')


def place(n: int) -> tuple[str, str]:
    return f"l{n:04d}", f"{TOWN[n % 10]}{END[(n // 10) % 10]}{RIVER[(n // 100) % 10]}"


def place_entry(n: int) -> str:
    pid, name = place(n)
    geo = (f"<location><geo>{45 + (n % 97) / 10:.2f} {5 + (n // 97) / 10:.2f}</geo></location>"
           if n % 2 == 0 else "")
    return f'<place xml:id="{pid}"><placeName>{name}</placeName>{geo}</place>'


def with_places(text: str, rng: random.Random) -> str:
    """bench_schemas' letter, pointing into the places register as it does into the persons'."""
    def named(_m=None) -> str:
        pid, name = place(rng.randrange(PLACES))
        return f'<placeName ref="plc:{pid}">{name}</placeName>'

    text = text.replace('replacementPattern="../registers/persons.xml#$1"/>',
                        'replacementPattern="../registers/persons.xml#$1"/>\n      <prefixDef ident="plc" '
                        'matchPattern="([a-z0-9-]+)" replacementPattern="../registers/places.xml#$1"/>', 1)
    here = named()
    text = text.replace("<dateline>Vienna, ", f"<dateline>{here}, ", 1)
    text = re.sub(r'(<correspAction type="sent"><persName [^>]*>[^<]*</persName>)', lambda m: m[1] + here, text,
                  count=1)
    return re.sub(r"</persName>(?= <ref )", lambda m: f"</persName> at {named()}", text)


def make_build_edition(root: Path, n: int) -> list[Path]:
    """``root/letters/letter-NNNNN.xml`` (n letters), ``root/registers/{persons,places}.xml``,
    ``root/schema/``, ``root/tei-edition.toml``; and one more letter, last, outside ``root``."""
    make_edition(root, 0, PERSONS)
    xsd = XSD
    for old, new in PLACE_XSD:
        if xsd.count(old) != 1:
            raise SystemExit(f"bench_schemas.XSD changed: cannot add places at {old!r}")
        xsd = xsd.replace(old, new)
    (root / "schema" / "letters.xsd").write_text(xsd, encoding="utf-8")
    (root / "registers" / "places.xml").write_text(
        HEADER.format("Places", f"<listPlace>{''.join(map(place_entry, range(PLACES)))}</listPlace>"),
        encoding="utf-8")
    (root / "tei-edition.toml").write_text(
        '[edition]\ntitle = "Letters"\n\n[registers]\nfiles = ["registers/persons.xml", "registers/places.xml"]\n',
        encoding="utf-8")
    rng, places_rng = random.Random(1616), random.Random(1789)
    aside = root.parent / "aside"
    aside.mkdir(exist_ok=True)
    files = []
    for i in range(n + 1):  # one more, kept aside for the letter-added rebuild
        path = (root / "letters" if i < n else aside) / f"letter-{i:05d}.xml"
        path.write_text(with_places(letter(i, PERSONS, rng), places_rng), encoding="utf-8")
        files.append(path)
    return files


def small_edition(root: Path, small: Path, letters: list[Path]) -> None:
    """The first letters under ``small/``, beside the same registers, schemas and project file."""
    (small / "letters").mkdir(parents=True)
    for name in ("registers", "schema"):
        shutil.copytree(root / name, small / name)
    shutil.copy(root / "tei-edition.toml", small / "tei-edition.toml")
    for f in letters:
        shutil.copy(f, small / "letters" / f.name)


def snapshot(work: Path) -> dict:
    """Run the commands on a copy of the code, so edits made meanwhile cannot change what is measured."""
    for name in ("src", "xslt", "schema", "tei"):
        shutil.copytree(REPO / name, work / "code" / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return {**os.environ, "PYTHONPATH": str(work / "code" / "src")}


# The command runs in this wrapper's own process, so RUSAGE_SELF is the command and
# RUSAGE_CHILDREN the largest of its workers and Pagefind.
_WRAP = ("import resource, runpy, sys\n"
         "report, sys.argv = sys.argv[1], sys.argv[2:]\n"
         "try:\n    runpy.run_module('tei_edition.cli', run_name='__main__')\n"
         "except SystemExit as e:\n    code = e.code if isinstance(e.code, int) else int(e.code is not None)\n"
         "else:\n    code = 0\n"
         "use = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]\n"
         "cpu = sum(u.ru_utime + u.ru_stime for u in use)\n"
         "open(report, 'w').write(' '.join(map(str, [u.ru_maxrss for u in use] + [cpu])))\n"
         "sys.exit(code)")


@dataclass(frozen=True)
class Run:
    seconds: float
    rss_mb: float
    own_mb: float = 0.0       # the build's own process
    children_mb: float = 0.0  # the largest of its workers and Pagefind
    cpu: float = 0.0          # CPU seconds of the command and all its children


class Bench:
    def __init__(self, work: Path, env: dict):
        self.work, self.env = work, env
        self.rows: list[tuple[str, str, str, str, str, str]] = []
        self.failures: list[str] = []

    def cli(self, *args: str) -> Run:
        """One ``tei-edition`` command, timed from outside; a failing command ends the bench."""
        report = self.work / "rss.txt"
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", _WRAP, str(report), "tei-edition", *args],
                              capture_output=True, text=True, env=self.env)
        seconds = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"tei-edition {shlex.join(args)} exited {done.returncode}:\n"
                             f"{(done.stdout + done.stderr)[-3000:]}")
        own, children, cpu = report.read_text().split()
        own, children = int(own), int(children)
        return Run(seconds, max(own, children) / 1024, own / 1024, children / 1024, float(cpu))

    def build(self, edition: Path, site: Path, fresh: bool = False) -> Run:
        if fresh:
            for stale in (site, Path(f"{site}.cache")):
                shutil.rmtree(stale, ignore_errors=True)
        return self.cli("build", str(edition), "-o", str(site), "--jobs", "2", "--quiet")

    def add(self, what: str, letters: int | str, seconds: float | None, rss: float | None = None,
            ratio: str = "", goal: str = "", met: bool | None = None) -> None:
        verdict = "" if met is None else (": met" if met else ": **NOT met**")
        self.rows.append((what, f"{letters:,}" if isinstance(letters, int) else letters,
                          "" if seconds is None else f"{seconds:.2f}", "" if rss is None else f"{rss:,.0f} MB",
                          ratio, goal + verdict))

    def check(self, ok: bool, failure: str) -> None:
        if not ok:
            self.failures.append(failure)


def pages(site: Path) -> set[str]:
    """The letters (by file stem) that have an HTML page in the site."""
    return {m[0] for f in site.rglob("*.html") for m in [STEM.search(f.name)] if m}


def page_text(site: Path, stem: str) -> str:
    return "".join(f.read_text(encoding="utf-8") for f in site.rglob(f"*{stem}.html"))


def replace_file(path: Path, text: str) -> None:
    """Write by rename: a new file (and a new mtime) as an editor's save makes."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def saxon_ceiling(letters: list[Path]) -> float:
    """Parse + html.xsl on saxonche for every letter, in this process (stylesheet compiled first)."""
    from tei_edition import formats, xslt  # bench_schemas put the repository's src/ on the path

    fmt = formats.get("html")
    xslt.warm(["html"])
    start = time.perf_counter()
    for f in letters:
        xslt.run(fmt.stylesheet, f.read_text(encoding="utf-8"), fmt.params, file=str(f), properties=fmt.properties)
    return time.perf_counter() - start


def xmllint(letters: list[Path]) -> float:
    start = time.perf_counter()
    for i in range(0, len(letters), 2000):  # within the argument-length limit at any -n
        done = subprocess.run(["xmllint", "--noout", *map(str, letters[i:i + 2000])], capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"xmllint failed: {done.stderr[-2000:]}")
    return time.perf_counter() - start


def timed(fn, *args) -> float:
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def revision() -> str:
    git = ["git", "-C", str(REPO)]
    rev = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "src", "xslt"], capture_output=True, text=True).stdout
    return (rev or "unknown") + (" with uncommitted changes" if dirty.strip() else "")


def full_builds(b: Bench, root: Path, letters: list[Path], small: int) -> Run:
    """Full build beside transform and the references; RSS at both sizes. Returns the full build."""
    n = len(letters)
    site = b.work / "site"
    html = b.work / "html"
    transform = b.cli("transform", "--to", "html", "--jobs", "2", str(root / "letters"), "-o", str(html),
                      "--force", "--quiet")
    full = b.build(root, site, fresh=True)
    missing = sorted({f.stem for f in letters} - pages(site))
    b.check(not missing, f"the full build wrote no page for {len(missing)} letters, e.g. {missing[:3]}")
    ratio = full.seconds / transform.seconds
    x = lambda s: f"{s / transform.seconds:.2f}× transform"  # noqa: E731
    b.add("**build EDITION -o SITE --jobs 2** (fresh, no SITE.cache/)", n, full.seconds, full.rss_mb,
          x(full.seconds), "≤ 3× transform", ratio <= 3)
    b.add("transform --to html --jobs 2 LETTERS -o OUT (fresh)", n, transform.seconds, transform.rss_mb, x(transform.seconds))
    b.add("reference: lxml floor (parse every letter, 1 process)", n, (s := timed(lxml_floor, letters)), None, x(s))
    b.add("reference: Saxon ceiling (parse + html.xsl on saxonche, 1 process)", n,
          (s := saxon_ceiling(letters)), None, x(s))
    b.add("reference: xmllint --noout", n, (s := xmllint(letters)), None, x(s))

    small_root = b.work / "small"
    small_edition(root, small_root, letters[:small])
    low = b.build(small_root, b.work / "site-small", fresh=True)
    b.add(f"peak RSS, build at N = {small:,} (same registers)", small, low.seconds, low.rss_mb)
    b.add(f"peak RSS, build at {n / small:g}×N = {n:,}", n, full.seconds, full.rss_mb, "", "< 1 GB",
          full.rss_mb < 1024)
    b.add(f"peak RSS, {n / small:g}×N / N", "", None, None, f"{full.rss_mb / low.rss_mb:.2f}×", "≤ 1.3×",
          full.rss_mb / low.rss_mb <= 1.3)
    # whose memory it is: the build's own process, and the largest of its children
    b.add(f"  of which the build process itself, N → {n / small:g}×N", f"{small:,} → {n:,}", None, None,
          f"{low.own_mb:,.0f} → {full.own_mb:,.0f} MB ({full.own_mb / low.own_mb:.2f}×)")
    b.add(f"  of which the largest child (a worker or Pagefind), N → {n / small:g}×N", f"{small:,} → {n:,}", None,
          None, f"{low.children_mb:,.0f} → {full.children_mb:,.0f} MB ({full.children_mb / low.children_mb:.2f}×)")
    (lo, _c), (hi, pagefind_cpu) = pagefind_alone(b, b.work / "site-small"), pagefind_alone(b, site)
    b.add(f"  Pagefind alone on the same pages, largest part, N → {n / small:g}×N", f"{small:,} → {n:,}", None, None,
          f"{lo:,.0f} → {hi:,.0f} MB ({hi / lo:.2f}×)")
    floor(b, root, transform, pagefind_cpu)
    return full


def pagefind_alone(b: Bench, site: Path) -> tuple[float, float]:
    """Pagefind alone on what the build gave it (kept in SITE.cache/search/, one folder per part
    of the index), each part in turn: (peak RSS in MB of the largest, CPU seconds of all)."""
    parts, target = sorted(p for p in (Path(f"{site}.cache") / "search").iterdir() if p.is_dir()), b.work / "pf-alone"
    code = ("import resource, subprocess, sys\n"
            "for part in sys.argv[2:]:\n"
            "    subprocess.run([sys.executable, '-m', 'pagefind', '--site', part, '--output-path', sys.argv[1],"
            " '--force-language', 'en'], check=True, capture_output=True)\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "print(u.ru_maxrss, u.ru_utime + u.ru_stime)")
    shutil.rmtree(target, ignore_errors=True)
    done = subprocess.run([sys.executable, "-c", code, str(target), *map(str, parts)], capture_output=True, text=True,
                          env=b.env)
    if done.returncode != 0:
        raise SystemExit(f"pagefind failed on {parts}: {done.stderr[-2000:]}")
    shutil.rmtree(target, ignore_errors=True)
    rss, cpu = done.stdout.split()[-2:]
    return int(rss) / 1024, float(cpu)


def floor(b: Bench, root: Path, transform: Run, pagefind_cpu: float) -> None:
    """The least a build must do, as CPU seconds of each step run alone, against the HTML
    transform's wall time: the other four transforms its pages offer for download, validation,
    the Chicago and MLA citations (citeproc-py in this process) and Pagefind on the built pages.
    On C cores no schedule runs them in less than their CPU seconds / C."""
    from tei_edition.site.citations import format_citations

    cores = os.cpu_count() or 1
    x = lambda s: f"{s / transform.seconds:.2f}× transform"  # noqa: E731
    cpu = transform.cpu
    b.add("  floor: transform --to html --jobs 2, CPU s", "", transform.cpu, None, "")
    for fmt in ("text", "bibtex", "ris", "csl-json"):
        run = b.cli("transform", "--to", fmt, "--jobs", "2", str(root / "letters"), "-o", str(b.work / fmt),
                    "--force", "--quiet")
        b.add(f"  floor: transform --to {fmt} --jobs 2, CPU s", "", run.cpu, None, f"wall {run.seconds:.2f} s")
        cpu += run.cpu
    run = b.cli("validate", str(root), "--jobs", "2", "--quiet")
    b.add("  floor: validate --jobs 2 (XSD + xslt2 Schematron + TEI's rules), CPU s", "", run.cpu, None,
          f"wall {run.seconds:.2f} s")
    cpu += run.cpu
    items = [item for f in sorted((b.work / "csl-json").glob("*.json"))
             for item in json.loads(f.read_text(encoding="utf-8"))]
    format_citations(items[:5])  # the styles compiled, as each worker does once
    cite = timed(lambda: [format_citations([item]) for item in items])
    b.add("  floor: Chicago + MLA by citeproc-py, one item at a time, CPU s", len(items), cite, None, "")
    b.add("  floor: Pagefind alone on the built pages, part after part, CPU s", "", pagefind_cpu, None, "")
    cpu += cite + pagefind_cpu
    b.add(f"floor: these CPU seconds ÷ {cores} cores", "", cpu / cores, None, x(cpu / cores),
          "≤ 3× is out of reach while this exceeds 3×")


def rebuilds(b: Bench, root: Path, letters: list[Path], extra: Path, full: Run) -> None:
    """The same command again: after no change, one word, one register entry, one letter in, one out."""
    site, n = b.work / "site", len(letters)
    x = lambda run: f"{run.seconds / full.seconds:.2f}× full build"  # noqa: E731

    noop = b.build(root, site)
    b.add("rebuild, nothing changed", n, noop.seconds, noop.rss_mb, x(noop), "≤ 0.1× full build",
          noop.seconds <= 0.1 * full.seconds)

    middle = letters[n // 2]
    text = middle.read_text(encoding="utf-8")
    head, body = text.split("<body>", 1)
    replace_file(middle, f"{head}<body>" + re.sub(r"<p>\w+", f"<p>{NEW_WORD}", body, count=1))
    one = b.build(root, site)
    b.check(NEW_WORD in page_text(site, middle.stem),
            f"after changing {middle.name}, its page does not contain {NEW_WORD!r}")
    b.add(f"rebuild, one word changed in {middle.name}", n, one.seconds, one.rss_mb, x(one),
          "≤ 0.2× full build", one.seconds <= 0.2 * full.seconds)

    persons = root / "registers" / "persons.xml"
    pid, name = person(PERSONS // 2)
    text = persons.read_text(encoding="utf-8")
    old = f'<person xml:id="{pid}"><persName>{name}</persName>'
    b.check(old in text, f"no register entry {pid} to change")
    replace_file(persons, text.replace(old, f'<person xml:id="{pid}"><persName>{name}-Renamed</persName>'))
    entry = b.build(root, site)
    b.add(f"rebuild, one register entry renamed ({pid})", n, entry.seconds, entry.rss_mb, x(entry))

    added = root / "letters" / extra.name
    shutil.copy(extra, added)
    plus = b.build(root, site)
    b.check(extra.stem in pages(site), f"the added letter {extra.name} got no page")
    b.add(f"rebuild, one letter added ({extra.name})", n + 1, plus.seconds, plus.rss_mb, x(plus))

    gone = letters[1]
    gone.unlink()
    minus = b.build(root, site)
    b.check(gone.stem not in pages(site), f"the removed letter {gone.name} still has a page")
    b.add(f"rebuild, one letter removed ({gone.name})", n, minus.seconds, minus.rss_mb, x(minus))


def search(b: Bench, n: int) -> None:
    from bench_search import CHROMIUM, measure

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"no Chromium at {CHROMIUM} (or run with --skip-search)")
    query = person(PERSONS // 3)[1]
    r = measure(b.work / "site", [query])[0]
    first, total = r["page"] + r["startup"], r["index"] + r["fragment"]
    b.add("search page + Pagefind start-up, before the first query", n, None, None, f"{first / 1024:,.0f} KB",
          "≤ 300 KB", first <= 300 * 1024)
    b.add(f"query {query!r}: index chunks + fragments shown ({r['shown']})", n, None, None,
          f"{total / 1024:,.0f} KB", "≤ 500 KB", total <= 500 * 1024)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5000, help="letters of the edition, 10×N (default 5,000)")
    ap.add_argument("--small", type=int, default=500, help="N, the letters of the small RSS run (default 500)")
    ap.add_argument("--skip-search", action="store_true", help="do not measure the search in Chromium")
    ap.add_argument("--keep", type=Path, metavar="DIR", help="work in DIR (new or empty) and keep it")
    args = ap.parse_args(argv)
    if not 0 < args.small < args.n:
        ap.error("--small must be between 1 and -n")
    if shutil.which("xmllint") is None:
        raise SystemExit("xmllint is not installed (Debian/Ubuntu: apt-get install libxml2-utils)")
    if args.keep and args.keep.exists() and any(args.keep.iterdir()):
        ap.error(f"--keep {args.keep}: the folder is not empty")

    load_before = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    measured = revision()  # the code the snapshot copies
    work = args.keep or Path(tempfile.mkdtemp(prefix="tei-edition-bench-build-"))
    try:
        work.mkdir(parents=True, exist_ok=True)
        b = Bench(work, snapshot(work))
        root = work / "edition"
        *letters, extra = make_build_edition(root, args.n)
        size = sum(f.stat().st_size for f in letters) / len(letters)
        full = full_builds(b, root, letters, args.small)
        validation = next(iter(Path(f"{work / 'site'}.validation.txt").read_text().splitlines()), "")
        rebuilds(b, root, letters, extra, full)
        if not args.skip_search:
            search(b, args.n)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"`python bench/{Path(__file__).name} {shlex.join(argv if argv is not None else sys.argv[1:])}` at "
          f"{measured}; {os.cpu_count()} cores, load average {load_before} before, {load} after")
    print(f"{args.n:,} letters ({size / 1024:.1f} KB on average); registers of {PERSONS:,} persons and "
          f"{PLACES:,} places ({PLACES // 2:,} with coordinates), correspondents also in each letter's <back>; "
          f"validation on the full build: {validation}")
    print()
    head = ("step", "letters", "wall s", "peak RSS", "ratio or size", "goal")
    print("| " + " | ".join(head) + " |")
    print("|---|--:|--:|--:|--:|---|")
    for row in b.rows:
        print("| " + " | ".join(row) + " |")
    for failure in b.failures:
        print(f"FAILED: {failure}", file=sys.stderr)
    return 1 if b.failures else 0


if __name__ == "__main__":
    sys.exit(main())
