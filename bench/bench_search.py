"""What the site's search downloads, measured in headless Chromium on a generated edition.

    python bench/bench_search.py            # 5,000 letters, 5,000 persons
    python bench/bench_search.py -n 500     # a quicker look

The edition is bench_schemas.py's: each letter keeps its correspondents in ``<back>``,
and ``registers/persons.xml`` lists every person. The site is built (without
validation, which is not what is measured here), served by ``http.server``, and the
search page opened in Chromium; every response's body size is summed, by what it is:

- the search page: HTML, CSS and scripts, and pagefind.js;
- Pagefind's start-up on the first query: its worker, WebAssembly, entry and metadata
  (of every part, for an index made in parts);
- one query for a name: the index chunks and the fragments of the results shown;
- for comparison, the search page as the inline fallback writes it (titles and names only).
"""

from __future__ import annotations

import argparse
import functools
import os
import http.server
import re
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

from bench_schemas import make_edition, person  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


class _Counting(http.server.SimpleHTTPRequestHandler):
    """Records (path, bytes) of every file it serves: the server sees the worker's
    fetches too, which the page's own request events miss."""
    served: list[tuple[str, int]]

    def log_message(self, *args):
        pass

    def send_head(self):
        f = super().send_head()
        if f is not None and hasattr(f, "fileno"):
            self.served.append((self.path, os.fstat(f.fileno()).st_size))
        return f


def part(url: str) -> str:
    """Which row a response belongs to."""
    name = url.split("?")[0].rsplit("/", 1)[-1]
    if not re.search(r"/pagefind[^/]*/", url) or name == "pagefind.js":  # pagefind/, and the parts pagefind-*/
        return "page"
    if "/index/" in url or "/filter/" in url:
        return "index"
    if "/fragment/" in url:
        return "fragment"
    return "startup"


def measure(site: Path, queries: list[str]) -> list[dict]:
    """For each query, in a fresh browser context (nothing cached): bytes by part, and what was shown."""
    from playwright.sync_api import sync_playwright

    served: list[tuple[str, int]] = []
    handler = type("Handler", (_Counting,), {"served": served})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    out = []
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
            for query in queries:
                served.clear()
                context = browser.new_context()
                page = context.new_page()
                page.goto(base + "search.html")
                page.wait_for_load_state("networkidle")
                before = {part(u) for u, _b in served}
                assert before == {"page"}, before  # nothing of the index before the first query
                page.fill("#te-q", query)
                page.locator("#te-search-status", has_text="results for").wait_for(timeout=60_000)
                page.wait_for_load_state("networkidle")
                kinds = [k.strip() for k in page.locator("#te-search-results .result-kind").all_inner_texts()]
                sizes = dict.fromkeys(("page", "startup", "index", "fragment"), 0)
                for url, size in served:
                    sizes[part(url)] += size
                out.append({**sizes, "query": query, "status": page.inner_text("#te-search-status"),
                            "shown": ", ".join(f"{kinds.count(k)} {k.lower()}" for k in dict.fromkeys(kinds))})
                context.close()
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=5000, help="letters (default 5,000)")
    ap.add_argument("--persons", type=int, default=5000, help="register entries (default 5,000)")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    from tei_edition.site import build, collect
    from tei_edition.site.pages import page_search
    from tei_edition.site.search import index_search

    with tempfile.TemporaryDirectory() as tmp:
        root, site = Path(tmp) / "edition", Path(tmp) / "site"
        make_edition(root, args.n, args.persons)
        started = time.perf_counter()
        result = build([root], site, validate=False, jobs=args.jobs, quiet=True)
        seconds = time.perf_counter() - started
        assert result.built and not [n for n in result.notes if n.rule == "search-index"], result.notes
        index_bytes = sum(f.stat().st_size for f in site.glob("pagefind*/**/*") if f.is_file())
        parts = len(list(site.glob("pagefind*/pagefind-entry.json")))
        data = collect([root], quiet=True, jobs=args.jobs)
        started = time.perf_counter()
        assert index_search(site, data)[0] == ()  # the indexing step alone, again
        indexing = time.perf_counter() - started
        queries = [person(args.persons // 3)[1], "printer"]  # a name; a word of the letters
        runs = measure(site, queries)
        inline = len(page_search(data, inline=True).encode())
    kb = lambda b: f"{b / 1024:,.0f} KB"  # noqa: E731
    first = runs[0]["page"] + runs[0]["startup"]
    rows = [
        ("search page before the first query (HTML, CSS, JS, pagefind.js)", kb(runs[0]["page"]), ""),
        (f"+ Pagefind start-up (worker, WebAssembly, entry, metadata; {parts} parts)", kb(runs[0]["startup"]), ""),
        ("= the page and what Pagefind loads before answering", kb(first),
         "≤ 300 KB: " + ("met" if first <= 300 * 1024 else "NOT met"))]
    for r in runs:
        total = r["index"] + r["fragment"]
        rows += [(f"query {r['query']!r}: index chunks", kb(r["index"]), ""),
                 (f"  + fragments of the results shown ({r['shown']})", kb(r["fragment"]), ""),
                 (f"  = the query ({r['status'].split(' for ')[0]} in all)", kb(total),
                  "≤ 500 KB: " + ("met" if total <= 500 * 1024 else "NOT met"))]
    rows += [("the whole Pagefind folder on disk (never loaded whole)", kb(index_bytes), ""),
             ("fallback search page (titles and names inline)", kb(inline), "")]
    print(f"{args.n:,} letters, {args.persons:,} persons in the register; "
          f"built in {seconds:.0f} s, of which the search index {indexing:.1f} s")
    width = max(len(r[0]) for r in rows)
    print(f"| {'what the browser downloads'.ljust(width)} | bytes | goal |")
    print(f"|{'-' * (width + 2)}|------:|------|")
    for what, size, goal in rows:
        print(f"| {what.ljust(width)} | {size} | {goal} |")


if __name__ == "__main__":
    main()
