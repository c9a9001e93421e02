"""What a person sees of a run: the progress bar, and the problems and summary line at the end."""

from __future__ import annotations

import dataclasses
import sys
import time

from ..fsutil import display_path
from ..problems import ERROR, echo_once, Problem
from .values import SKIPPED, Summary

class _Progress:
    def __init__(self, total: int, label: str, enabled: bool):
        self.bar = None
        self.start = time.monotonic()
        self.done = 0
        if enabled and total:
            import click

            self.bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True,
                                         show_eta=True, item_show_func=self._rate)
            self.bar.__enter__()

    def _rate(self, _item):
        elapsed = time.monotonic() - self.start
        return f"{self.done / elapsed:.0f} docs/s" if elapsed > 0 and self.done else None

    def advance(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n, self.done)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None



def print_summary(summary: Summary, *, quiet: bool = False, file=None) -> None:
    """Print every problem (``file:line:col: …``) and, unless quiet, the closing summary line."""
    import click

    err = file is None

    def shown(problem: Problem) -> str:
        return str(dataclasses.replace(problem, file=display_path(problem.file)))

    lines = []
    for result in summary.results:
        for problem in result.problems:
            if problem.severity == ERROR or not quiet:
                lines.append(shown(problem))
        if result.status == SKIPPED and not quiet and not result.problems:
            lines.append(f"tei-edition: note: {display_path(result.job.source)}: skipped: {result.note}")
    echo_once(lines, lambda line: click.echo(line, err=err, file=file))
    for problem in summary.notes:
        click.echo(shown(problem), err=err, file=file)
    if summary.removed_temp_files and not quiet:
        click.echo(f"removed {summary.removed_temp_files} temporary file(s) left by an interrupted run",
                   err=err, file=file)
    if summary.total == 0 and not summary.interrupted and not quiet:
        click.echo("tei-edition: note: no *.xml files found in the inputs", err=err, file=file)
    if not quiet or summary.failed or summary.interrupted:
        click.echo(summary.line(), err=err, file=file)
