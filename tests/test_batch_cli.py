"""The batch options of the commands: --jobs, --force, --quiet, exit codes, summary."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tei_edition.cli import main
from tei_edition.resources import edition_dir
from editions import copy_edition

SRC = Path(__file__).resolve().parents[1] / "src"


@pytest.fixture
def edition(tmp_path):
    src = tmp_path / "tei"
    copy_edition(src)
    return src


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_transform_to_a_folder_goes_through_the_batch_runner(edition, tmp_path):
    out = tmp_path / "out"
    (edition / "broken.xml").write_text('<TEI xmlns="http://www.tei-c.org/ns/1.0">\n<text>\n</TEI>')
    result = invoke("transform", "--to", "text", edition, "-o", out, "--jobs", "2")
    assert result.exit_code == 1
    assert f"{edition / 'broken.xml'}:3:" in result.stderr
    assert "5 ok, 1 failed, 4 skipped, 0 unchanged" in result.stderr
    assert len(list(out.glob("*.txt"))) == 5
    (edition / "broken.xml").unlink()
    again = invoke("transform", "--to", "text", edition, "-o", out, "-j", "2")
    assert again.exit_code == 0 and "0 ok, 0 failed, 0 skipped, 9 unchanged" in again.stderr
    forced = invoke("transform", "--to", "text", edition, "-o", out, "-j", "1", "--force")
    assert forced.exit_code == 0 and "5 ok, 0 failed, 4 skipped, 0 unchanged" in forced.stderr
    quiet = invoke("transform", "--to", "text", edition, "-o", out, "-q", "--force", "-j", "0")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""


def test_an_unusable_output_folder_is_a_usage_error(edition, tmp_path):
    (tmp_path / "file").write_text("x")
    result = invoke("transform", "--to", "text", edition, "-o", tmp_path / "file")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_progress_shows_on_a_terminal_only(edition, tmp_path):
    args = [sys.executable, "-m", "tei_edition.cli", "transform", "--to", "text", str(edition),
            "-o", str(tmp_path / "out"), "-j", "1"]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    piped = subprocess.run(args, capture_output=True, text=True, env=env)
    assert piped.returncode == 0 and "docs/s" in piped.stderr and "%" not in piped.stderr
    leader, follower = pty.openpty()
    proc = subprocess.Popen(args + ["--force"], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=follower, env=env)
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait()
    os.close(leader)
    assert proc.returncode == 0
    assert b"transform" in seen and b"9/9" in seen and b"docs/s" in seen, seen


def test_validate_with_jobs_gives_the_serial_report(edition, tmp_path):
    bad = edition / "persons.xml"
    bad.write_text(bad.read_text("utf-8").replace('xml:id="zhou-enlai"', 'xml:id="zhou enlai"', 1), "utf-8")
    serial = invoke("validate", edition)
    parallel = invoke("validate", edition, "--jobs", "2")
    assert serial.exit_code == parallel.exit_code == 1
    assert parallel.stdout == serial.stdout
    assert "9 ok" not in parallel.stderr and " failed, 0 skipped" in parallel.stderr
    quiet = invoke("validate", edition, "--jobs", "2", "-q")
    assert quiet.stderr == "" and quiet.stdout.strip().splitlines() == serial.stdout.strip().splitlines()[:-1]


def test_ctrl_c_of_the_command_exits_130_and_a_rerun_completes(tmp_path):
    import signal
    import time

    from test_batch import make_corpus

    src = tmp_path / "src"
    make_corpus(src, 400)
    out = tmp_path / "out"
    args = [sys.executable, "-m", "tei_edition.cli", "transform", "--to", "text", str(src), "-o", str(out),
            "-j", "1"]
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while not (out.is_dir() and any(out.rglob("*.txt"))):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.01)
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    if proc.returncode == 0:
        pytest.skip("the run finished before Ctrl-C arrived")
    assert proc.returncode == 130 and "interrupted" in stderr and "Traceback" not in stderr
    assert not [p for p in out.rglob("*") if p.name.startswith(".tei-edition-tmp-")]
    rerun = subprocess.run(args, capture_output=True, text=True, env=env)
    assert rerun.returncode == 0 and " unchanged" in rerun.stderr
    assert len(list(out.rglob("*.txt"))) == 400
