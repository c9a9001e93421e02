"""build's progress: one line rewritten through every phase on a terminal, none elsewhere."""

from __future__ import annotations

import contextlib
import os
import re
import pty
import subprocess
import sys
from pathlib import Path

from editions import copy_edition

SRC = Path(__file__).resolve().parents[1] / "src"
PHASES = [b"validate", b"reading", b"documents", b"pages", b"index"]


def build_args(edition: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "tei_edition.cli", "build", str(edition), "-o", str(out), "-j", "0", *extra]


def on_a_terminal(args: list[str]) -> tuple[int, bytes, bytes]:
    """Run with stderr on a pseudo-terminal; return the exit status, all it printed there,
    and stdout (a pipe)."""
    leader, follower = pty.openpty()
    out = open(Path(args[args.index("-o") + 1]).with_suffix(".stdout"), "w+b")
    proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=follower,
                            env={**os.environ, "PYTHONPATH": str(SRC)})
    os.close(follower)
    chunks = []
    with contextlib.suppress(OSError):  # EIO: the terminal closed with the process
        while chunk := os.read(leader, 4096):
            chunks.append(chunk)
    seen = b"".join(chunks)
    proc.wait()
    os.close(leader)
    out.seek(0)
    with out:
        return proc.returncode, seen, out.read()


def test_one_progress_line_names_every_phase_in_order(tmp_path):
    edition = tmp_path / "tei"
    copy_edition(edition)
    code, seen, stdout = on_a_terminal(build_args(edition, tmp_path / "site"))
    assert code == 0, seen
    assert b"\n" not in seen and seen.endswith(b"\r\x1b[K"), seen  # one line, cleared at the end
    places = [seen.index(b"\r\x1b[K" + phase) for phase in PHASES]
    assert places == sorted(places), seen
    pages = int(seen.split(b"pages ")[-1].split(b"/")[1].split(b"\r")[0])
    assert f"pages {pages}/{pages}".encode() in seen and pages > 0
    assert stdout.decode().startswith(f"built {sum(1 for _ in (tmp_path / 'site').rglob('*.html'))} pages")


def test_off_a_terminal_only_the_summary_and_with_q_nothing(tmp_path):
    edition = tmp_path / "tei"
    copy_edition(edition)
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    piped = subprocess.run(build_args(edition, tmp_path / "site"), capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and piped.stderr == "", piped.stderr
    assert len(piped.stdout.splitlines()) == 1 and piped.stdout.startswith("built ")
    code, seen, stdout = on_a_terminal(build_args(edition, tmp_path / "quiet", "-q"))
    assert code == 0 and seen == b"" and stdout == b"", seen


def test_with_q_only_problems_are_printed(tmp_path):
    edition = tmp_path / "tei"
    copy_edition(edition)
    letter = next(p for p in sorted(edition.glob("*.xml")) if b"<body" in p.read_bytes())
    letter.write_text(letter.read_text("utf-8").replace("<body", '<body xml:id="1bad"', 1), "utf-8")
    code, seen, stdout = on_a_terminal(build_args(edition, tmp_path / "site", "-q"))
    lines = seen.decode().replace("\r\n", "\n").strip().splitlines()
    assert code == 1 and stdout == b"" and "\x1b[K" not in seen.decode(), seen  # built, with a note
    assert lines[0].startswith("validation: ") and "with errors" in lines[0], lines
    assert lines[1:] and all(re.match(r"\S+:\d+:\d+: (error|warning): ", line) for line in lines[1:]), lines
    assert any("1bad" in line for line in lines[1:])
