"""Fetching a remote schema into the user cache, against a server on 127.0.0.1:
a schema with its includes, and every way a download must fail (too big, too
slow, redirect loops, a redirect to file:, not XML, an entity bomb, a missing
part), each a Problem with nothing left in the cache."""

from __future__ import annotations

import http.server
import json
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, strategies as st
from lxml import etree

from tei_edition import fsutil
from tei_edition.problems import Problem
from tei_edition.validation import fetch, xsd
from tei_edition.validation.schemafile import load_schema

RNG = "http://relaxng.org/ns/structure/1.0"
XSD = "http://www.w3.org/2001/XMLSchema"
TEI = "http://www.tei-c.org/ns/1.0"

LETTER_RNG = f"""<grammar xmlns="{RNG}" ns="{TEI}">
  <include href="parts/names.rng"/>
  <start><element name="letter"><oneOrMore><ref name="persName"/></oneOrMore></element></start>
</grammar>"""
NAMES_RNG = f"""<grammar xmlns="{RNG}" ns="{TEI}">
  <include href="../common.rng"/>
  <define name="persName"><element name="persName"><ref name="ref"/><text/></element></define>
</grammar>"""
COMMON_RNG = f"""<grammar xmlns="{RNG}"><define name="ref"><attribute name="ref"/></define></grammar>"""
LETTER_XSD = f"""<xs:schema xmlns:xs="{XSD}" targetNamespace="{TEI}" elementFormDefault="qualified">
  <xs:include schemaLocation="types.xsd"/>
  <xs:import namespace="http://www.w3.org/XML/1998/namespace" schemaLocation="http://www.w3.org/2001/xml.xsd"/>
  <xs:element name="letter" type="xs:string"/>
</xs:schema>"""
TYPES_XSD = f"""<xs:schema xmlns:xs="{XSD}" targetNamespace="{TEI}"><xs:simpleType name="when">
  <xs:restriction base="xs:date"/></xs:simpleType></xs:schema>"""
BOMB = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">' for i in range(1, 10))
        + f']>\n<xs:schema xmlns:xs="{XSD}"><xs:annotation><xs:documentation>&lol9;</xs:documentation>'
        "</xs:annotation></xs:schema>")


class SchemaServer:
    """A loopback HTTP server with one route per way a download can go."""

    def __init__(self, secret_url: str):
        self.hits: list[str] = []
        server = self
        body = {"/s/letter.rng": LETTER_RNG, "/s/parts/names.rng": NAMES_RNG, "/s/common.rng": COMMON_RNG,
                "/x/letter.xsd": LETTER_XSD, "/x/types.xsd": TYPES_XSD, "/notxml.xsd": "<h1>Not found</h1><p>",
                "/page.xsd": "<html><body><p>A page, not a schema</p></body></html>", "/bomb.xsd": BOMB,
                "/m/letter.rng": LETTER_RNG}
        redirects = {"/loop": "/loop2", "/loop2": "/loop", "/to-file": secret_url,
                     "/hop1": "/hop2", "/hop2": "/hop3", "/hop3": "/s/letter.rng"}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits.append(self.path)
                if self.path in body:
                    self._send(200, body[self.path].encode())
                elif self.path in redirects:
                    self.send_response(302)
                    self.send_header("Location", redirects[self.path])
                    self.end_headers()
                elif self.path == "/big.xsd":  # no Content-Length: the size is only known by reading
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(f'<xs:schema xmlns:xs="{XSD}"><!--'.encode() + b"x" * 200_000 + b"--></xs:schema>")
                elif self.path == "/slow.xsd":  # a trickle that each read alone would wait for
                    self.send_response(200)
                    self.end_headers()
                    self.wfile.write(f'<xs:schema xmlns:xs="{XSD}">'.encode())
                    for _ in range(100):
                        time.sleep(0.1)
                        self.wfile.write(b" ")
                        self.wfile.flush()
                else:
                    self._send(404, b"not here")

            def _send(self, status, data):
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.block_on_close = False  # a handler still trickling must not hold the test
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def server(secret_file):
    running = SchemaServer(secret_file.url)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("TEI_EDITION_CACHE", str(folder))
    return folder / "schemas"


def get(url: str, **options):
    return fetch.fetch(url, allow_private=True, **options)


def files_in(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_a_schema_and_its_includes_are_cached_and_then_served_offline(server, cache):
    url = f"{server.url}/s/letter.rng"
    path = get(url)
    assert isinstance(path, Path) and path.is_relative_to(cache), path
    assert path.name == "letter.rng" and path.read_text() == LETTER_RNG
    assert (path.parent / "parts" / "names.rng").read_text() == NAMES_RNG
    assert (path.parent / "common.rng").read_text() == COMMON_RNG
    record = json.loads(path.with_name("letter.rng.fetched.json").read_text())
    assert record["url"] == url and record["sha256"] == fsutil.digest_file(path)
    assert set(record["files"]) == {"letter.rng", "parts/names.rng", "common.rng"}
    assert etree.RelaxNG(load_schema(path).tree) is not None  # the local reader finds every part
    server.stop()
    hits = list(server.hits)
    assert fetch.cached(url) == path
    assert get(url) == path and server.hits == hits  # no second download


def test_an_xsd_with_an_include_compiles_from_the_cache(server, cache):
    path = get(f"{server.url}/x/letter.xsd")
    assert isinstance(path, Path) and (path.parent / "types.xsd").exists()
    assert not any("xml.xsd" in hit for hit in server.hits)  # an absolute URL is left to the compile step
    compiled = xsd.compiled(path)
    assert isinstance(compiled, Problem) and "refused to read http://www.w3.org/2001/xml.xsd" in compiled.message


def test_a_redirect_chain_is_followed_and_the_cache_keyed_by_the_url_asked(server, cache):
    url = f"{server.url}/hop1"
    path = get(url)
    assert isinstance(path, Path) and path.name == "hop1" and (path.parent / "parts" / "names.rng").exists()
    assert json.loads(path.with_name("hop1.fetched.json").read_text())["final_url"] == f"{server.url}/s/letter.rng"
    assert fetch.cached(url) == path


@pytest.mark.parametrize("route, options, words", [
    ("/big.xsd", {"max_bytes": 50_000}, "too big"),
    ("/slow.xsd", {"timeout": 1.0}, "timed out"),
    ("/loop", {}, "redirects"),
    ("/to-file", {}, "refused a redirect to file:"),
    ("/notxml.xsd", {}, "not usable XML"),
    ("/page.xsd", {}, "not a schema"),
    ("/bomb.xsd", {}, "entity"),
    ("/nothere.xsd", {}, "HTTP 404"),
    ("/m/letter.rng", {}, "parts/names.rng"),
    ("/s/letter.rng", {"max_files": 2}, "more than 2 files"),
])
def test_each_failure_is_a_problem_and_leaves_nothing_in_the_cache(server, cache, secret_file, route, options, words):
    url = f"{server.url}{route}"
    problem = get(url, **options)
    assert isinstance(problem, Problem), problem
    assert problem.rule == "schema-fetch" and problem.file == url and words in problem.message, str(problem)
    assert files_in(cache) == []
    assert fetch.cached(url) is None
    secret_file.assert_not_opened()


def test_a_missing_part_is_named_with_its_url(server, cache):
    problem = get(f"{server.url}/m/letter.rng")
    assert f"{server.url}/m/parts/names.rng" in problem.message and "HTTP 404" in problem.message


def test_a_loop_stops_after_five_redirects(server, cache):
    get(f"{server.url}/loop")
    assert len(server.hits) == fetch.MAX_REDIRECTS + 1


def test_addresses_on_this_machine_are_refused_by_default(server, cache):
    problem = fetch.fetch(f"{server.url}/s/letter.rng")
    assert isinstance(problem, Problem) and "127.0.0.1" in problem.message
    assert server.hits == [] and files_in(cache) == []


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x.xsd", "http:///x.xsd",
                                 "https://example.org/schemas/", "https://example.org/.hidden.xsd"])
def test_urls_that_name_no_http_file_are_refused_without_a_request(cache, url):
    assert isinstance(fetch.fetch(url), Problem)
    assert fetch.cached(url) is None and files_in(cache) == []


def test_a_cached_file_changed_afterwards_is_not_served(server, cache):
    url = f"{server.url}/s/letter.rng"
    path = get(url)
    (path.parent / "parts" / "names.rng").write_text(NAMES_RNG.replace("persName", "name"))
    assert fetch.cached(url) is None
    assert get(url) == path and fetch.cached(url) == path  # fetched again, whole


def test_the_cache_lives_in_the_user_cache_unless_told_otherwise(monkeypatch, tmp_path):
    monkeypatch.delenv("TEI_EDITION_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert fetch.cache_root() == tmp_path / "xdg" / "tei-edition" / "schemas"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert fetch.cache_root() == tmp_path / "home" / ".cache" / "tei-edition" / "schemas"
    monkeypatch.setenv("TEI_EDITION_CACHE", str(tmp_path / "mine"))
    assert fetch.cache_root() == tmp_path / "mine" / "schemas"


@given(st.text(max_size=60))
def test_any_url_is_kept_inside_the_cache_or_refused(tail):
    root = Path("/cache-root")
    for url in (f"https://example.org/{tail}", f"http://{tail}/x.rng", tail):
        try:
            path = fetch.location(url, root)
        except ValueError:
            continue
        assert path.parent.parent == root and ".." not in path.parts and path.name


_SEGMENT = st.sampled_from(["a", "b.xsd", "..", ".", "", "sub", "%2e%2e", "c.rng", "x%2Fy"])


@given(rel=st.lists(st.sampled_from(["a", "sub", "b"]), max_size=3).map(lambda p: "/".join([*p, "main.xsd"])),
       href=st.lists(_SEGMENT, min_size=1, max_size=5).map("/".join))
def test_a_neighbour_never_lands_outside_the_schema_folder(rel, href):
    found = fetch._neighbour(rel, href)
    if found is not None:
        assert not found.startswith("/") and ".." not in found.split("/") and "" not in found.split("/")
        assert (Path("/f") / found).resolve().is_relative_to(Path("/f"))


@pytest.fixture
def tls_server(tmp_path):
    """The same routes over https, with a certificate for 127.0.0.1 that no system trusts."""
    import shutil
    import ssl
    import subprocess

    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    running = SchemaServer("file:///nowhere")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    running.server.socket = context.wrap_socket(running.server.socket, server_side=True)
    running.url = running.url.replace("http:", "https:")
    running.cert = cert
    try:
        yield running
    finally:
        running.stop()


def test_https_checks_the_certificate(tls_server, cache, monkeypatch):
    import ssl

    url = f"{tls_server.url}/s/letter.rng"
    problem = get(url)
    assert isinstance(problem, Problem) and "certificate" in problem.message and files_in(cache) == []
    monkeypatch.setattr(fetch._HTTPS, "context", ssl.create_default_context(cafile=str(tls_server.cert)))
    path = get(url)  # trusted now: the name checked is the URL's host, though the address was resolved first
    assert isinstance(path, Path) and (path.parent / "common.rng").exists()
