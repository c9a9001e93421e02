"""The ``tei-edition`` command line: a thin click layer over the library.

Each command only parses options, calls library functions a Python user can
call too, prints, and chooses the exit code:
0 = success, 1 = problems found or a file failed, 2 = usage error, 130 = interrupted.
Heavy modules are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import sys

import click

from .. import __version__

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
      tei-edition validate                         check the bundled edition
      tei-edition validate my-tei/ --format json   a machine-readable report
      tei-edition init my-tei/                     start the edition's project file
      tei-edition transform --to html tei/ -o out/ one HTML page per document
      tei-edition cite note-zhou --format chicago  cite one document
      tei-edition build -o site/                   the whole reading edition

    Run 'tei-edition COMMAND --help' for each command's options.
    """


def fail(message: str, code: int = 1):
    """Print a one-line error to stderr and exit (no traceback for the user)."""
    click.echo(f"tei-edition: error: {message}", err=True)
    sys.exit(code)


# --- batch options (shared by transform, validate, build) ---------------------

def scheduler_option(doing: str = "Run on a Dask cluster"):
    """--scheduler, the same for every command that can use a Dask cluster."""
    return click.option("--scheduler", metavar="tcp://HOST:PORT", default=None,
                        help=f"{doing} (pip install 'tei-edition[dask]').")


def batch_options(command):
    """--jobs, --force, --quiet and --scheduler for commands that run over many files."""
    command = scheduler_option()(command)
    command = click.option("-q", "--quiet", is_flag=True,
                           help="No progress bar and no summary; problems are still printed.")(command)
    command = click.option("--force", is_flag=True,
                           help="Rebuild every output, even those the journal says are up to date.")(command)
    command = click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, metavar="N",
                           help="Worker processes (default: the number of CPUs; 0 = in this process).")(command)
    return command


def run_batch(start, quiet: bool) -> None:
    """Run a batch, print its problems and summary, exit 0, 1 (a file failed) or 130 (Ctrl-C)."""
    from ..batch import BatchError, print_summary

    try:
        summary = start()
    except BatchError as exc:
        fail(str(exc), 2)
    print_summary(summary, quiet=quiet)
    if summary.exit_code:
        sys.exit(summary.exit_code)


# --- the project file (shared by every command that reads one) --------------

def config_options(command):
    """--config and --no-config: which project file governs a command."""
    command = click.option("--no-config", is_flag=True,
                           help="Use no project file: TEI's own rules and the files' declared schemas.")(command)
    command = click.option("--config", "config_file", type=click.Path(exists=True, dir_okay=False),
                           metavar="FILE",
                           help="The project file (default: the nearest tei-edition.toml in the first "
                                "path's folder or above it).")(command)
    return command


def load_config(paths, config_file, no_config):
    """The project file the options name, or the one found from the paths; a bad one exits 2."""
    from ..config import DEFAULT, ConfigError, discover, load

    if no_config:
        return DEFAULT
    try:
        return load(config_file) if config_file else discover(list(paths) or None)
    except ConfigError as exc:
        click.echo(str(exc.problem), err=True)
        sys.exit(2)


def _with_project(options: dict, paths) -> dict:
    """The project file's base URL and title as the stylesheets' base-url and edition-title,
    unless --param gives them."""
    config = load_config(paths, None, False)
    for name, value in (("base-url", config.base_url), ("edition-title", config.title)):
        if value and name not in options:
            options[name] = value
    return options


def _parse_params(pairs) -> dict:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise click.BadParameter(f"expected name=value, got {pair!r}", param_hint="--param")
        params[name.strip()] = value
    return params


# The commands live in one module per concern; importing them registers them on ``main``.
from . import checks, outputs, publish, data  # noqa: E402,F401
