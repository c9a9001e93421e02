"""Helpers for the hostile-input tests: TEI wrappers and a measured CLI run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TEI_NS = "http://www.tei-c.org/ns/1.0"
LIMIT_RSS_MB = 1536
LIMIT_SECONDS = 60


def tei(body: str = "<p>text</p>", *, prolog: str = "", header: str = "", root_attrs: str = "") -> str:
    """A small TEI document around ``body`` (the contents of <body>)."""
    header = header or ("<teiHeader><fileDesc><titleStmt><title>Hostile</title></titleStmt>"
                        "<publicationStmt><p>test</p></publicationStmt>"
                        "<sourceDesc><p>test</p></sourceDesc></fileDesc></teiHeader>")
    return (f'{prolog}<TEI xmlns="{TEI_NS}"{root_attrs}>{header}'
            f"<text><body>{body}</body></text></TEI>")


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_mb: float
    timed_out: bool
    cwd: str = "."

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


# A small parent for the measured command: a child forked from pytest itself would
# start with pytest's (large) RSS on record, since ru_maxrss counts from the fork.
_MEASURE = """
import json, resource, subprocess, sys
rc = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as fh:
    json.dump({"rc": rc, "maxrss": usage.ru_maxrss}, fh)
"""


def run_cli(*args, cwd=None, timeout: float = LIMIT_SECONDS, env: dict | None = None) -> Run:
    """Run ``tei-edition ARGS`` in a subprocess; measure its peak RSS and wall time.

    The peak RSS is ``getrusage(RUSAGE_CHILDREN).ru_maxrss`` read by a minimal
    Python parent that only starts the command and waits for it."""
    environment = dict(os.environ, PYTHONPATH=str(REPO / "src"), PYTHONDONTWRITEBYTECODE="1",
                       **(env or {}))
    cmd = [sys.executable, "-m", "tei_edition.cli", *map(str, args)]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.TemporaryDirectory() as scratch:
        stats = Path(scratch) / "stats.json"
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-c", _MEASURE, str(stats), *cmd], cwd=cwd, env=environment,
                                stdout=out, stderr=err, stdin=subprocess.DEVNULL, start_new_session=True)
        try:
            proc.wait(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            timed_out = True
            try:
                os.killpg(proc.pid, 9)
            except ProcessLookupError:
                pass
            proc.wait()
        seconds = time.monotonic() - start
        returncode, rss_kb = proc.returncode, 0
        if stats.exists():
            data = json.loads(stats.read_text())
            returncode, rss_kb = data["rc"], data["maxrss"]
        if sys.platform == "darwin":
            rss_kb /= 1024
        out.seek(0)
        err.seek(0)
        return Run(returncode, out.read().decode("utf-8", "replace"), err.read().decode("utf-8", "replace"),
                   seconds, rss_kb / 1024, timed_out, str(cwd or "."))


def cli_has(command: str) -> bool:
    """Whether the CLI offers ``command`` yet."""

    from tei_edition.cli import main

    return command in main.commands


LOCATED = r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): error: (?P<msg>.+)$"


def assert_clean_rejection(run: Run, file: str | Path, rule: str | None = None, *,
                           strict: bool = False) -> re.Match:
    """Exit 1, no traceback, and a ``file:line:col: error: …`` line naming ``file``.

    ``strict``: the line must start with the file as given on the command line
    (nothing in front, so editors and CI annotators can jump to it)."""
    assert not run.timed_out, f"timed out after {run.seconds:.1f} s"
    assert "Traceback" not in run.output, run.output
    assert run.returncode == 1, (run.returncode, run.output)
    name = Path(file).name
    for m in re.finditer(LOCATED, run.output, re.M):
        if strict:  # the line starts with the path itself, relative or absolute
            matches = (Path(run.cwd, m.group("file")).resolve() == Path(run.cwd, file).resolve())
        else:
            matches = m.group("file").endswith(name)
        if matches and int(m.group("line")) >= 1:
            if rule is None or f"[{rule}]" in m.group("msg") or rule in m.group("msg"):
                return m
    raise AssertionError(f"no located error for {name} (rule {rule}) in:\n{run.output}")
