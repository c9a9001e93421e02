"""The ``tei-edition`` command line: a thin click layer over the library.

Each command only parses options, calls library functions a Python user can
call too, prints, and chooses the exit code:
0 = success, 1 = problems found or a file failed, 2 = usage error, 130 = interrupted.
Heavy modules are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import sys

import click

from . import __version__

CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="tei-edition")
def main():
    """Validate, transform and publish TEI P5 editions.

    With no PATHS, every command works on the bundled edition of the
    Sino-Soviet documents of September 1952. PATHS may be files or folders
    (searched recursively for *.xml).

    \b
    Examples:
      tei-edition validate                      check the bundled edition
      tei-edition validate my-tei/ --format json
      tei-edition transform --to html tei/ -o out/
      tei-edition cite note-zhou-1952 --format chicago
      tei-edition build -o site/ && python -m http.server -d site
    """


def fail(message: str, code: int = 1):
    """Print a one-line error to stderr and exit (no traceback for the user)."""
    click.echo(f"tei-edition: error: {message}", err=True)
    sys.exit(code)


# --- validate ---------------------------------------------------------------

# --- transform / cite -------------------------------------------------------

# --- build ------------------------------------------------------------------

@main.command("build")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@click.option("-o", "--out", default="site", show_default=True, type=click.Path(file_okay=False),
              help="Folder to write the site into.")
@click.option("--force", is_flag=True,
              help="Build even if the edition does not validate (every page then shows a banner).")
@click.option("--base-url", default="", metavar="URL",
              help="Public address of the site, for permalinks and citations (e.g. https://example.org/edition).")
def build_cmd(paths, out, force, base_url):
    """Build the reading edition as a static site (default: the bundled edition into site/).

    Validates first and refuses an invalid edition, listing the problems (exit 1),
    unless --force. Open the result with: python -m http.server -d site
    """
    from .site import build

    if base_url and not base_url.startswith(("http://", "https://")):
        fail("--base-url must start with http:// or https://", 2)
    progress = None
    if sys.stderr.isatty():
        def progress(n, total, name):
            click.echo(f"\r\033[Kbuilding {n}/{total} {name}", nl=False, err=True)
    try:
        result = build(list(paths) or None, out, force=force, base_url=base_url, progress=progress)
    except KeyboardInterrupt:
        fail("interrupted", 130)
    except OSError as exc:
        fail(f"cannot write the site: {exc.strerror or exc}")
    if progress:
        click.echo("\r\033[K", nl=False, err=True)
    if not result.built:
        for problem in result.report.problems:
            click.echo(str(problem), err=True)
        fail(f"the edition is not valid ({result.report.summary()}); nothing was built. "
             "Fix the problems above, or use --force to build anyway.")
    if not result.report.ok:
        click.echo(f"warning: built from an invalid edition ({result.report.summary()}); "
                   "every page carries a banner", err=True)
    for note in result.notes:
        click.echo(str(note), err=True)
    pages = sum(f.endswith(".html") for f in result.files)
    click.echo(f"built {pages} pages ({len(result.files)} files) in {result.out}/ "
               f"in {result.seconds:.2f} s; open with: python -m http.server -d {result.out}")


if __name__ == "__main__":  # pragma: no cover
    main()
