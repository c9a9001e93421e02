"""What a user publishes carries nothing of the build machine: no absolute path and no
user or home folder name, in a `transform -o` folder (its journal included) or a site."""

from __future__ import annotations

import getpass
import os
from pathlib import Path

from click.testing import CliRunner

from editions import copy_edition
from tei_edition.cli import main


def machine_strings(*folders: Path) -> set[str]:
    """Strings that name this machine's folders: absolute paths of the work and the user."""
    found = {str(Path(f).resolve()) for f in folders} | {os.path.expanduser("~")}
    try:
        found.add(f"/{getpass.getuser()}/")
    except (KeyError, OSError):
        pass
    return {s for s in found if len(s) > 2}


def leaks(out: Path, strings: set[str]) -> list[str]:
    hits = []
    for path in sorted(out.rglob("*")):
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            hits += [f"{path.relative_to(out)}: {s}" for s in strings if s in text]
    return hits


def test_a_transform_folder_and_its_journal_name_no_machine_path(tmp_path):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "out"
    for _ in range(2):  # the second run reads the journal back: unchanged, and still relative
        result = CliRunner().invoke(main, ["transform", "--to", "html", str(src), "-o", str(out), "-q"])
        assert result.exit_code == 0, result.output
    assert (out / ".tei-edition-journal.json").is_file()
    assert leaks(out, machine_strings(tmp_path, src)) == []
    again = CliRunner().invoke(main, ["transform", "--to", "html", str(src), "-o", str(out)])
    assert "9 unchanged" in again.output  # registers recorded relatively are still checked
    (src / "persons.xml").write_text((src / "persons.xml").read_text("utf-8").replace("Zhou Enlai", "Chou En-lai"),
                                     "utf-8")
    changed = CliRunner().invoke(main, ["transform", "--to", "html", str(src), "-o", str(out)])
    assert "0 unchanged" not in changed.output and "9 unchanged" not in changed.output


def test_a_built_site_names_no_machine_path(tmp_path):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", str(src), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert leaks(out, machine_strings(tmp_path, src)) == []


def test_register_exports_name_their_sources_relatively(tmp_path):
    src = copy_edition(tmp_path / "work" / "tei")
    out = tmp_path / "exports"
    out.mkdir()
    for fmt in ("csv", "json", "geojson"):
        result = CliRunner().invoke(main, ["export", "registers", str(src), "--format", fmt,
                                           "-o", str(out / f"registers.{fmt}")])
        assert result.exit_code == 0, result.output
    assert "persons.xml:" in (out / "registers.csv").read_text(encoding="utf-8")
    assert leaks(out, machine_strings(tmp_path, src)) == []
