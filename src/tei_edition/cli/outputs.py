"""``transform`` and ``cite``: one document, or a tree of them, in another format."""

from __future__ import annotations

import sys

import click

from . import _parse_params, _with_project, batch_options, fail, main, run_batch


@main.command("transform")
@click.option("--to", "to", required=True, metavar="FORMAT",
              help="text, html, bibtex, biblatex, ris or csl-json.")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@click.option("-o", "--out", type=click.Path(file_okay=False), default=None,
              help="Output folder; the input tree is mirrored, one file per document.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Stylesheet parameter, repeatable (e.g. width=72, base-url=URL, fragment=yes).")
@batch_options
def transform_cmd(to, paths, out, params, jobs, force, quiet, scheduler):
    """Transform TEI documents to text, HTML or a citation format.

    With one input file and no -o, the result goes to stdout. Files with no
    document text (registers) are skipped with a note on stderr.

    \b
    Examples:
      tei-edition transform --to text tei/communique.xml --param width=72
      tei-edition transform --to html tei/ -o out/html
      tei-edition transform --to csl-json tei/note-zhou.xml --param base-url=https://example.org/
    """
    from pathlib import Path

    from .. import formats
    from ..problems import Problem
    from ..resources import edition_dir
    from .. import batch
    from ..transform import Skipped, transform_path

    if to not in formats.FORMATS:
        raise click.BadParameter(f"choose from {', '.join(formats.FORMATS)}", param_hint="--to")
    options = _with_project(_parse_params(params), paths)
    inputs = list(paths) or [str(edition_dir())]
    if out is None and len(inputs) == 1 and Path(inputs[0]).is_file():
        outcome = transform_path(inputs[0], to, options)
        if isinstance(outcome, Skipped):
            click.echo(f"tei-edition: note: {outcome}", err=True)
            return
        if isinstance(outcome, Problem):
            click.echo(str(outcome), err=True)  # file:line:col first, for editors and CI annotators
            sys.exit(1)
        click.echo(outcome, nl=not outcome.endswith("\n"))
        return
    if out is None:
        raise click.UsageError("several inputs need -o/--out (one output file per document)")

    run_batch(lambda: batch.run_transform(inputs, out, to, options, jobs=jobs, force=force, quiet=quiet,
                                          scheduler=scheduler), quiet)


@main.command("cite")
@click.argument("doc", required=False)
@click.option("--format", "fmt", default="chicago", show_default=True,
              type=click.Choice(["bibtex", "biblatex", "ris", "csl-json", "chicago", "chicago-author-date", "mla"]),
              help="Citation format; chicago/mla are formatted by citeproc-py with CSL styles.")
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE",
              help="Stylesheet parameter, e.g. base-url=https://example.org/edition/.")
def cite_cmd(doc, fmt, params):
    """Print the citation of one document, or of the whole edition (no DOC).

    DOC is a file path or a document's xml:id in the bundled edition.

    \b
    Examples:
      tei-edition cite                        the edition, Chicago style
      tei-edition cite note-zhou --format ris
      tei-edition cite tei/communique.xml --format csl-json
    """
    from ..citations import CitationError, format_citation
    from ..transform import TransformError, edition_file, find_document, transform

    path = edition_file() if doc is None else find_document(doc)
    if path is None:
        fail(f"no document {doc!r}: give a file path or the xml:id of a document in the edition", 2)
    options = _with_project(_parse_params(params), [path])
    try:
        if fmt in ("bibtex", "biblatex", "ris", "csl-json"):
            text = transform(path, fmt, options)
        else:
            text = format_citation(transform(path, "csl-json", options), fmt)
    except TransformError as exc:
        click.echo(str(exc.problem), err=True)
        sys.exit(1)
    except CitationError as exc:
        fail(str(exc))
    click.echo(text, nl=not text.endswith("\n"))
