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


if __name__ == "__main__":  # pragma: no cover
    main()
