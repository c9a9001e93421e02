"""``tei-edition serve``: the site as you edit it, as ``mkdocs serve`` gives documentation.

The edition is built into a temporary folder and served on 127.0.0.1. A watcher
polls the edition's ``*.xml`` files and its project file; a change rebuilds the
site and every open page reloads. An edit that breaks the edition does not stop
the server: its problems are shown on the page, over the last site that built.

Pages are served as built, with one addition made while serving (never written to
the site): a ``<script src>`` for the small live-reload script, which the site's
Content Security Policy already allows (scripts from the site itself). The script
asks ``/__tei-edition/state`` for the build's version and problems.
"""

from __future__ import annotations

import functools
import http.server
import json
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .problems import Problem

PREFIX = "/__tei-edition/"
_LIVE_JS = """// tei-edition serve: reload when the edition is rebuilt; show its problems
(function () {
  var version = null;
  function show(problems) {
    var box = document.getElementById('tei-edition-serve-problems');
    if (!problems.length) { if (box) box.remove(); return; }
    if (!box) {
      box = document.createElement('aside');
      box.id = 'tei-edition-serve-problems';
      box.setAttribute('role', 'alert');
      box.style.cssText = 'position:fixed;left:0;right:0;bottom:0;max-height:40%;overflow:auto;'
        + 'background:#fff3f3;color:#600;border-top:3px solid #c00;padding:.5em 1em;font:14px monospace;z-index:9999';
      document.body.appendChild(box);
    }
    box.textContent = '';
    var head = document.createElement('strong');
    head.textContent = 'The last edit did not build cleanly (' + problems.length + ' problem(s)):';
    box.appendChild(head);
    problems.forEach(function (p) {
      var line = document.createElement('div');
      line.textContent = p;
      box.appendChild(line);
    });
  }
  function poll() {
    fetch('/__tei-edition/state', {cache: 'no-store'}).then(function (r) { return r.json(); }).then(function (s) {
      if (version !== null && s.version !== version) { location.reload(); return; }
      version = s.version;
      show(s.problems);
    }).catch(function () {}).then(function () { setTimeout(poll, 250); });
  }
  poll();
})();
"""


@dataclass
class State:
    """What the server tells its pages: the build's number and the problems of the last edit."""

    version: int = 0
    problems: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def as_json(self) -> bytes:
        with self.lock:
            return json.dumps({"version": self.version, "problems": self.problems}).encode("utf-8")


def snapshot(paths: Iterable[Path], extra: Iterable[Path] = ()) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every ``*.xml`` under ``paths`` and of ``extra`` files: what the watcher compares."""
    seen: dict[str, tuple[int, int]] = {}
    files: list[Path] = list(extra)
    for path in paths:
        path = Path(path)
        files.extend(path.rglob("*.xml") if path.is_dir() else [path])
    for file in files:
        try:
            st = file.stat()
        except OSError:
            continue
        seen[str(file)] = (st.st_mtime_ns, st.st_size)
    return seen


def _problems_of(result) -> list[str]:
    from .fsutil import display_path

    found: list[Problem] = [p for p in result.report.problems if p.severity == "error"]
    found += [n for n in result.notes if n.severity == "error"]
    return [f"{display_path(p.file)}:{p.line}:{p.col}: {p.message} [{p.rule}]" for p in found]


class Server:
    """Build ``paths`` into a temporary folder, serve it, rebuild on change."""

    def __init__(self, paths: list[str] | None = None, *, host: str = "127.0.0.1", port: int = 8000,
                 base_url: str = "", interval: float = 0.2, log: Callable[[str], None] | None = None):
        from .config import find
        from .resources import edition_dir

        self.paths = [Path(p) for p in (paths or [edition_dir()])]
        self.project = find(self.paths)
        self.base_url = base_url
        self.interval = interval
        self.log = log or (lambda message: None)
        self.state = State()
        self.folder = Path(tempfile.mkdtemp(prefix="tei-edition-serve-"))
        self.site = self.folder / "site"
        self._stop = threading.Event()
        handler = functools.partial(_Handler, directory=str(self.site), state=self.state)
        self.httpd = http.server.ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def rebuild(self) -> None:
        from .site import build

        started = time.perf_counter()
        try:
            result = build([str(p) for p in self.paths], self.site, force=True, base_url=self.base_url,
                           jobs=0, quiet=True)
            problems = _problems_of(result)
        except Exception as exc:  # a broken edit must never stop the server
            problems = [f"the site could not be built: {exc}"]
        with self.state.lock:
            self.state.version += 1
            self.state.problems = problems
        self.log(f"built in {time.perf_counter() - started:.2f} s"
                 + (f", {len(problems)} problem(s)" if problems else ""))

    def _watched(self) -> dict:
        return snapshot(self.paths, [self.project] if self.project else [])

    def watch(self) -> None:
        before = self._watched()
        while not self._stop.wait(self.interval):
            now = self._watched()
            if now != before:
                before = now
                self.rebuild()

    def start(self) -> None:
        """Build once, then serve and watch in background threads."""
        self.rebuild()
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        threading.Thread(target=self.watch, daemon=True).start()

    def close(self) -> None:
        """Stop serving and watching, and remove the temporary site."""
        self._stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        shutil.rmtree(self.folder, ignore_errors=True)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def __init__(self, *args, state: State, **kwargs):
        self.state = state
        super().__init__(*args, **kwargs)

    def log_message(self, *args):
        pass

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self):
        if self.path.startswith(PREFIX):
            name = self.path[len(PREFIX):].split("?", 1)[0]
            if name == "state":
                return self._send(self.state.as_json(), "application/json")
            if name == "live.js":
                return self._send(_LIVE_JS.encode("utf-8"), "text/javascript")
            return self.send_error(404)
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if path.suffix == ".html" and path.is_file():
            html = path.read_bytes()
            tag = f'<script src="{PREFIX}live.js" defer></script>'.encode()
            at = html.find(b"</head>")
            return self._send(html[:at] + tag + html[at:] if at >= 0 else html + tag, "text/html; charset=utf-8")
        return super().do_GET()

    def _send(self, body: bytes, kind: str):
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def serve(paths: list[str] | None = None, *, host: str = "127.0.0.1", port: int = 8000, base_url: str = "",
          log: Callable[[str], None] = print) -> None:
    """Serve until interrupted; the temporary site is removed whatever happens."""
    server = Server(paths, host=host, port=port, base_url=base_url, log=log)
    try:
        server.start()
        log(f"serving {server.url} (the edition is watched; Ctrl-C stops)")
        while True:
            time.sleep(3600)
    finally:
        server.close()

