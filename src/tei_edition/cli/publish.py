"""``build`` and ``serve``: the reading edition as a static site, and while it is edited."""

from __future__ import annotations

import sys

import click

from . import CONTEXT, fail, load_config, main, scheduler_option


# --- build ------------------------------------------------------------------

@main.command("build")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@click.option("-o", "--out", default="site", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the site into.")
@click.option("--strict", is_flag=True,
              help="Refuse to build an edition that does not validate (exit 1, nothing written).")
@click.option("--force", is_flag=True, hidden=True,
              help="Accepted for older scripts; an invalid edition is built unless --strict.")
@click.option("--base-url", default="", metavar="URL",
              help="Public address of the site, for permalinks and citations (e.g. https://example.org/edition); "
                   "default: the project file's [edition] base-url.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, metavar="N",
              help="Worker processes for the per-document work (default: the number of CPUs, "
                   "or this process for a small edition; 0 = in this process).")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress and no closing line; problems are still printed.")
@scheduler_option("Run the per-document work on a Dask cluster sharing this file system")
def build_cmd(paths, out, strict, force, base_url, jobs, quiet, scheduler):
    """Build the reading edition as a static site (default: the bundled edition into site/).

    Validates first, by the edition's own rules (as validate does), and prints a
    summary; the full report goes beside the site, not into it (-o site/ writes
    site.validation.txt and site.validation.json). A document with errors still gets
    its page, which says so; --strict refuses an invalid edition instead (exit 1,
    nothing written). XML files that are not well-formed or not TEI are left out, each
    named. Each document's transforms, citations and page are made in worker
    processes for a large edition (see --jobs), or on a Dask cluster (see
    --scheduler); the site is the same either way.

    A rebuild does only what changed: what it reuses is kept beside the site
    (-o site/ keeps it in site.cache/, never published). An unchanged edition
    writes nothing; a changed document makes its own page again and what shows
    it (its neighbours' links, the register pages), and the search index. A build stopped
    at any point leaves every file whole; the next one completes the site.
    Open the result with: python -m http.server -d site

    \b
    Examples:
      tei-edition build                                   the bundled edition into site/
      tei-edition build tei/ -o site/ --base-url https://example.org/edition
      tei-edition build tei/ -o site/ --scheduler tcp://A:8786   transforms on a Dask cluster
    """
    from ..batch import BatchError
    from ..problems import echo_once
    from ..site import build
    from ..site.write import report_paths

    del force  # an accepted no-op: an invalid edition is built unless --strict
    if base_url and not base_url.startswith(("http://", "https://")):
        fail("--base-url must start with http:// or https://", 2)
    base_url = base_url or load_config(paths, None, False).base_url or ""
    progress = None
    if sys.stderr.isatty() and not quiet:
        def progress(n, total, name):
            step = f"{name} {n}/{total}" if total else name  # one line, rewritten by each phase
            click.echo(f"\r\033[K{step}", nl=False, err=True)
    try:
        result = build(list(paths) or None, out, strict=strict, base_url=base_url, progress=progress,
                       jobs=jobs, quiet=quiet, scheduler=scheduler)
    except BatchError as exc:  # no Dask, or the scheduler cannot be reached
        if progress:
            click.echo("\r\033[K", nl=False, err=True)  # the error starts a clean line
        fail(str(exc), 2)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except OSError as exc:
        fail(f"cannot write the site: {exc.strerror or exc}")
    if progress:
        click.echo("\r\033[K", nl=False, err=True)
    if not result.built and not result.report.ok and strict:
        for problem in result.report.problems:
            click.echo(str(problem), err=True)
        fail(f"the edition is not valid ({result.report.summary()}); nothing was built (--strict).")
    if not result.built:
        fail("; ".join(p.message for p in result.notes if p.rule == "site-write") or "the site was not built")
    if not result.report.ok or (result.report.warnings and not quiet):
        text_report, json_report = report_paths(result.out)
        click.echo(f"validation: {result.report.summary()}; the report is in {text_report} and {json_report}"
                   + ("; the pages of documents with errors say so" if not result.report.ok else ""), err=True)
    echo_once((str(note) for note in result.notes if note.severity == "error" or not quiet),
              lambda line: click.echo(line, err=True))
    if not quiet:
        pages = sum(f.endswith(".html") for f in result.files)
        click.echo(f"built {pages} pages ({len(result.files)} files) in {result.out}/ "
                   f"in {result.seconds:.2f} s; open with: python -m http.server -d {result.out}")
    if any(note.severity == "error" for note in result.notes):
        sys.exit(1)  # built, but a document's outputs failed (invalid TEI alone is not that)


# --- serve ------------------------------------------------------------------

@main.command("serve", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@click.option("-p", "--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port to serve on (0: any free port).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default is this machine only. Another address "
                   "publishes the edition to the network.")
@click.option("--base-url", default="", metavar="URL", help="As for build (default: the project file's).")
def serve_cmd(paths, port, host, base_url):
    """Build the edition, serve it, and rebuild it as you edit.

    The site is built into a temporary folder and served at
    http://127.0.0.1:PORT/. The edition's *.xml files and its project file are
    watched: on every save the site is rebuilt and open pages reload. An edit
    that breaks the edition shows its problems at the foot of the page; the
    server keeps running. Ctrl-C stops it (exit 130) and removes the temporary
    folder.

    \b
    Examples:
      tei-edition serve                    the bundled edition on http://127.0.0.1:8000/
      tei-edition serve letters/ -p 8001   another edition, another port
    """
    from ..serve import serve

    base_url = base_url or load_config(paths, None, False).base_url or ""
    try:
        serve(list(paths) or None, host=host, port=port, base_url=base_url,
              log=lambda message: click.echo(f"tei-edition: {message}", err=True))
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}", 2)
    except KeyboardInterrupt:
        click.echo("tei-edition: stopped", err=True)
        sys.exit(130)
