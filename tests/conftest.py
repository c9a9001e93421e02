"""Shared test fixtures. Each section belongs to one part of the suite; edit only your own."""

from __future__ import annotations

# --- hostile input: loopback trap, planted secret, HTML audit ----------------
import ctypes
import ctypes.util
import http.server
import os
import secrets
import struct
import sys
import threading
from pathlib import Path

import pytest

import htmlaudit

SECRET_MARKER = "PLANTED-SECRET"


class LoopbackTrap:
    """An HTTP server on 127.0.0.1 that records every request; tests require zero.

    It answers with tempting content (an entity declaration, XML and text carrying
    ``marker``), so a fetch would also show up in outputs."""

    def __init__(self):
        self.hits: list[str] = []
        self.marker = f"NETWORK-LEAK-{secrets.token_hex(6)}"
        trap = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _answer(self):
                trap.hits.append(f"{self.command} {self.path}")
                body = (f'<!ENTITY x "{trap.marker}"><!-- <p>{trap.marker}</p> -->').encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_HEAD = _answer

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    checked = False

    def assert_no_hits(self):
        """Check now, inside the test (so an expected failure is the test's own)."""
        self.checked = True
        assert self.hits == [], f"the network was reached: {self.hits}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_trap():
    """A loopback HTTP server; the test fails if anything reached it."""
    trap = LoopbackTrap()
    try:
        yield trap
    finally:
        trap.close()
    if not trap.checked:
        assert trap.hits == [], f"the network was reached: {trap.hits}"


class _Inotify:
    """Linux inotify through libc: sees opens by any process, native code included."""

    IN_ACCESS, IN_OPEN = 0x1, 0x20

    def __init__(self, folder: Path):
        self.fd = -1
        name = ctypes.util.find_library("c")
        if not sys.platform.startswith("linux") or not name:
            return
        libc = ctypes.CDLL(name, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK)
        if self.fd >= 0 and libc.inotify_add_watch(self.fd, str(folder).encode(),
                                                   self.IN_OPEN | self.IN_ACCESS) < 0:
            os.close(self.fd)
            self.fd = -1

    def events(self) -> list[str]:
        found = []
        if self.fd < 0:
            return found
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return found
            pos = 0
            while pos < len(data):
                _wd, mask, _cookie, length = struct.unpack_from("iIII", data, pos)
                name = data[pos + 16:pos + 16 + length].rstrip(b"\0").decode()
                found.append(f"{'open' if mask & self.IN_OPEN else 'read'} {name}")
                pos += 16 + length

    def close(self):
        if self.fd >= 0:
            os.close(self.fd)


class PlantedSecret:
    """A secret file outside every input folder, watched for opens."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.token = f"{SECRET_MARKER}-{secrets.token_hex(8)}"
        self.path = folder / "secret.txt"
        self.path.write_text(f"{self.token}\n", encoding="utf-8")
        self.dtd = folder / "secret.dtd"
        self.dtd.write_text(f'<!ENTITY x "{self.token}"><!ENTITY ed "{self.token}">', encoding="utf-8")
        self.url = self.path.as_uri()
        self.dtd_url = self.dtd.as_uri()
        self.watch = _Inotify(folder)
        self.watching = self.watch.fd >= 0

    checked = False

    def opened(self) -> list[str]:
        self._seen = getattr(self, "_seen", []) + self.watch.events()
        return self._seen

    def forget(self) -> None:
        """Drop the events so far (the test's own writes next to the secret)."""
        self.opened()
        self._seen = []

    def assert_not_opened(self):
        """Check now, inside the test (so an expected failure is the test's own)."""
        self.checked = True
        opened = self.opened()
        assert opened == [], f"a file outside the inputs was opened: {opened}"

    def assert_absent(self, *texts):
        for text in texts:
            if isinstance(text, bytes):
                text = text.decode("utf-8", "replace")
            assert self.token not in (text or ""), "the planted secret leaked into an output"
            assert SECRET_MARKER not in (text or ""), "the planted secret leaked into an output"


@pytest.fixture
def secret_file(tmp_path_factory):
    """A planted secret (``.path``, ``.url``, ``.token``); the test fails if any
    process opened it (inotify, on Linux) — reading it at all is the leak."""
    secret = PlantedSecret(tmp_path_factory.mktemp("secret-outside-inputs"))
    try:
        yield secret
    finally:
        opened = secret.opened()
        secret.watch.close()
    if not secret.checked:
        assert opened == [], f"a file outside the inputs was opened: {opened}"


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "no_html_audit: the test writes deliberately unsafe HTML (audit tests only)")


_AUDITED: dict[Path, float] = {}
_EXEMPT: set[Path] = set()


def _audit_tree(root: Path) -> list[str]:
    problems = []
    if not root.exists():
        return problems
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in {".html", ".htm", ".xhtml"} or path.is_symlink() or not path.is_file():
            continue  # a link is not generated HTML (tests plant links to sources)
        if any(path.is_relative_to(ex) for ex in _EXEMPT):
            continue
        try:
            mtime = path.stat().st_mtime
        except OSError:
            continue
        if _AUDITED.get(path) == mtime:
            continue
        _AUDITED[path] = mtime
        problems += htmlaudit.audit_file(path)
    return problems


@pytest.fixture(autouse=True)
def _html_audit_per_test(request):
    """After each test, every HTML file in its tmp_path must pass the allow-list audit."""
    if "tmp_path" not in request.fixturenames:
        yield
        return
    tmp = request.getfixturevalue("tmp_path")  # the test's own; gone after teardown
    yield
    if request.node.get_closest_marker("no_html_audit"):
        _EXEMPT.add(tmp)
        return
    problems = _audit_tree(tmp)
    if problems:
        pytest.fail("generated HTML failed the allow-list audit:\n" + "\n".join(problems[:50]), pytrace=False)


@pytest.fixture(autouse=True, scope="session")
def _html_audit_session(tmp_path_factory):
    """At the end of the run, audit every HTML file under the session's temporary
    folders and every folder registered with ``htmlaudit.register_output``."""
    yield
    problems = _audit_tree(tmp_path_factory.getbasetemp())
    for folder in htmlaudit.REGISTERED:
        problems += _audit_tree(Path(folder))
    if problems:
        pytest.fail("generated HTML failed the allow-list audit:\n" + "\n".join(problems[:50]), pytrace=False)
# --- end hostile input -------------------------------------------------------


# --- Dask ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def dask_cluster():
    """A small distributed.LocalCluster shared by a module's tests (skipped without Dask).

    Worker processes, not threads: tasks and results cross a pickle boundary as on a
    remote cluster; single-threaded, as the README advises (Saxon holds the GIL)."""
    distributed = pytest.importorskip("distributed")
    # a free port for the scheduler's web server: the default 8787 may be taken
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=":0") as cluster:
        yield cluster
# --- end Dask ------------------------------------------------------------------
