"""Every rejection through the command line: ``file:line:col: error: …`` at the
start of a line, exit code 1, no traceback, no network, no file outside the inputs."""

import gzip

import pytest

from hostile_util import assert_clean_rejection, run_cli, tei


def cases(secret, http):
    laughs = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    return {
        "external-file": (tei("<p>&x;</p>", prolog=f'<!DOCTYPE TEI [\n<!ENTITY x SYSTEM "{secret.url}">]>'),
                          "external-entity"),
        "external-http": (tei("<p>&x;</p>", prolog=f'<!DOCTYPE TEI [<!ENTITY x SYSTEM "{http}/x">]>'),
                          "external-entity"),
        "parameter": (tei("<p>a</p>", prolog=f'<!DOCTYPE TEI [<!ENTITY % p SYSTEM "{secret.dtd_url}"> %p;]>'),
                      "external-entity"),
        "dtd-subset": (tei("<p>&x;</p>", prolog=f'<!DOCTYPE TEI SYSTEM "{secret.dtd_url}">'), "undefined-entity"),
        "billion-laughs": (tei("<p>&l9;</p>", prolog=f"<!DOCTYPE TEI [{laughs}]>"), "entity-expansion"),
        "xinclude": (tei(f'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="{secret.url}"/>'),
                     "xinclude"),
        "gzip": (gzip.compress(tei().encode()), "compressed"),
        "latin1": ("\n" + tei("<p>caf\u00e9</p>")).encode("latin-1"),
        "mislabelled": (tei("<p>caf\u00e9</p>", prolog='<?xml version="1.0" encoding="ISO-8859-1"?>\n')
                        .encode("utf-8"), "encoding"),
        "empty": (b"", "empty"),
        "not-tei": ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "not-tei"),
        "not-xml": ("this is not XML", "well-formed"),
        "bad-id": (tei("<p xml:id='../../etc/x'>x</p>"), "xml-id"),
    }


def materialise(tmp_path, name, case):
    data, rule = case if isinstance(case, tuple) else (case, "encoding")
    path = tmp_path / f"{name}.xml"
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path, rule


NAMES = list(cases(type("S", (), {"url": "", "dtd_url": ""}), "").keys())


@pytest.mark.parametrize("name", NAMES)
def test_validate_rejects_cleanly(tmp_path, secret_file, http_trap, name):
    path, rule = materialise(tmp_path, name, cases(secret_file, http_trap.url)[name])
    run = run_cli("validate", path.name, cwd=tmp_path)
    assert_clean_rejection(run, path.name, rule, strict=True)
    secret_file.assert_absent(run.output)


@pytest.mark.parametrize("name", NAMES)
def test_transform_to_a_folder_rejects_cleanly(tmp_path, secret_file, http_trap, name):
    path, rule = materialise(tmp_path, name, cases(secret_file, http_trap.url)[name])
    run = run_cli("transform", "--to", "html", path.name, "-o", "out", cwd=tmp_path)
    assert_clean_rejection(run, path.name, rule, strict=True)
    assert not list((tmp_path / "out").glob("*.html")) if (tmp_path / "out").exists() else True


@pytest.mark.parametrize("name", ["external-file", "gzip", "empty"])
def test_transform_to_stdout_rejects_cleanly(tmp_path, secret_file, http_trap, name):
    path, rule = materialise(tmp_path, name, cases(secret_file, http_trap.url)[name])
    run = run_cli("transform", "--to", "text", path.name, cwd=tmp_path)
    assert_clean_rejection(run, path.name, rule, strict=True)


def test_build_rejects_cleanly(tmp_path, secret_file, http_trap):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("external-file", "billion-laughs", "gzip"):
        materialise(src, name, cases(secret_file, http_trap.url)[name])
    run = run_cli("build", "in", "-o", "site", cwd=tmp_path)
    for name in ("external-file", "billion-laughs", "gzip"):
        assert_clean_rejection(run, f"in/{name}.xml", None, strict=True)
