"""``export`` and ``suggest``: the edition's data for other tools, and names the text does not tag yet."""

from __future__ import annotations

import sys

import click

from . import CONTEXT, fail, load_config, main


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

    from ..fsutil import display_path
    from ..registers import collect
    from ..registers.export import render, write

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

    from ..cmif import export, write
    from ..fsutil import display_path

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

    from ..fsutil import display_path
    from ..suggest import apply, suggest

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
