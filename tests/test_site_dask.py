"""`build --scheduler`: the per-document transforms run on a Dask cluster, this process
writes every file, and the site is byte for byte the one a local build makes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tei_edition import site
from tei_edition.batch import BatchError
from tei_edition.cli import main

UNREACHABLE = "tcp://127.0.0.1:9"  # the discard port: nothing listens there


def files_of(folder: Path) -> dict[str, bytes]:
    """Every file but Pagefind's index, whose filter chunk varies between identical builds."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.relative_to(folder).parts[0].startswith("pagefind")}


@pytest.fixture(scope="module")
def local_site(tmp_path_factory):
    """The bundled edition built in this process: what every cluster build must equal."""
    out = tmp_path_factory.mktemp("local") / "site"
    result = site.build(None, out, force=True, jobs=0, quiet=True)
    assert result.built
    return out, result


def only_on_the_cluster(monkeypatch):
    """Make any transform run in this process fail the test: the workers must do them all."""
    def here(*_args, **_kw):
        raise AssertionError("a transform ran in the client process, not on the cluster")

    from tei_edition.site import documents, transforms

    for module in (documents, transforms):  # every place a page's transforms could run here
        monkeypatch.setattr(module, "transform_outputs", here)


def assert_same_site(out: Path, local_site) -> None:
    local_out, _ = local_site
    expected, got = files_of(local_out), files_of(out)
    assert len(expected) > 10 and sorted(got) == sorted(expected)
    assert [rel for rel in expected if got[rel] != expected[rel]] == []


def test_a_build_on_the_cluster_is_byte_identical_to_a_local_one(tmp_path, dask_cluster, local_site,
                                                                 monkeypatch):
    only_on_the_cluster(monkeypatch)
    result = site.build(None, tmp_path / "site", force=True, quiet=True,
                        scheduler=dask_cluster.scheduler_address)
    assert result.built
    assert_same_site(tmp_path / "site", local_site)
    assert [str(p) for p in result.notes] == [str(p) for p in local_site[1].notes]
    assert sorted(result.files) == sorted(local_site[1].files)


def test_a_client_can_be_passed_and_is_left_open(tmp_path, dask_cluster, local_site, monkeypatch):
    distributed = pytest.importorskip("distributed")
    only_on_the_cluster(monkeypatch)
    with distributed.Client(dask_cluster, set_as_default=False) as client:
        result = site.build(None, tmp_path / "site", force=True, quiet=True, scheduler=client)
        assert result.built
        assert client.status == "running"  # the caller's client: build must not close it
        assert client.submit(sum, [1, 2]).result() == 3
    assert_same_site(tmp_path / "site", local_site)


def test_the_build_command_runs_on_the_cluster(tmp_path, dask_cluster, local_site, monkeypatch):
    only_on_the_cluster(monkeypatch)
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", "-o", str(out), "--force",
                                       "--scheduler", dask_cluster.scheduler_address])
    assert result.exit_code == 0, result.output
    assert f"in {out}/" in result.output and "built" in result.output
    assert (out / "index.html").is_file() and (out / "note-zhou.html").is_file()
    assert_same_site(out, local_site)


def test_build_help_shows_the_scheduler_option():
    text = " ".join(CliRunner().invoke(main, ["build", "--help"]).output.split())
    assert "--scheduler tcp://HOST:PORT" in text
    assert "tei-edition build tei/ -o site/ --scheduler tcp://" in text  # an example
    assert "Dask cluster" in text and "edition[dask]" in text  # what to install


def error_lines(result) -> list[str]:
    return [line for line in result.output.splitlines() if "error" in line]


def test_an_unreachable_scheduler_is_a_one_line_error(tmp_path):
    pytest.importorskip("distributed")
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", "-o", str(out), "--force", "-q", "--scheduler", UNREACHABLE])
    assert result.exit_code == 2, result.output
    assert error_lines(result) == [error_lines(result)[0]]
    assert error_lines(result)[0].startswith(f"tei-edition: error: cannot reach the Dask scheduler at {UNREACHABLE}")
    assert isinstance(result.exception, SystemExit)  # a chosen exit, not an escaped exception
    assert not (out / "index.html").exists()  # not quietly built in this process instead


def test_without_dask_the_scheduler_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    out = tmp_path / "site"
    result = CliRunner().invoke(main, ["build", "-o", str(out), "--force", "-q", "--scheduler", UNREACHABLE])
    assert result.exit_code == 2, result.output
    assert error_lines(result) == ["tei-edition: error: --scheduler needs Dask: pip install 'tei-edition[dask]'"]
    assert not (out / "index.html").exists()
    with pytest.raises(BatchError, match="needs Dask"):  # the library says the same to a Python caller
        site.build(None, tmp_path / "api", force=True, quiet=True, scheduler=UNREACHABLE)
