"""Remote schemas: fetched only when asked, into the user cache, then read offline.

A document may name its schema by URL (``<?xml-model href="https://…"?>``,
``xsi:schemaLocation``). Nothing here runs unless the user asks for it; then
:func:`fetch` downloads the schema and the neighbours it includes by relative
href, and :func:`cached` finds the copy later without touching the network.

The URL comes from a contributed document, so the download is bounded: http and
https only, at most :data:`MAX_REDIRECTS` redirects (never to another scheme),
one deadline for the whole download, a byte budget counted while reading (never
taken from Content-Length), at most :data:`MAX_FILES` files, and no address on
this machine or its private network unless ``allow_private``. Each file must
parse through the hardened loader (no DTD, no external entities, the size
limits). Nothing is written until every file has arrived and parsed: a failure
leaves the cache as it was.

Cache layout (``TEI_EDITION_CACHE`` replaces ``$XDG_CACHE_HOME/tei-edition``,
by default ``~/.cache/tei-edition``)::

    schemas/<sha256 of the URL's folder, 20 hex>-<host>/<file name>      the schema
    schemas/<…>/<file name>.fetched.json      URL, date, sha256 of each file (written last)
    schemas/<…>/<relative path of a neighbour>

One folder per remote folder, mirroring relative names, so the local schema
reader (which serves a schema's own folder only) finds the neighbours.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import posixpath
import socket
import ssl
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .. import fsutil, loader
from ..problems import ERROR, Problem

MAX_BYTES = 20 * 1024 * 1024  # all files of one schema together
TIMEOUT = 30.0  # seconds, for the whole download
MAX_REDIRECTS = 5
MAX_FILES = 50
SIDECAR = ".fetched.json"
RULE = "schema-fetch"

XSD_NS = "http://www.w3.org/2001/XMLSchema"
RNG_NS = "http://relaxng.org/ns/structure/1.0"
SCH_NS = ("http://purl.oclc.org/dsdl/schematron", "http://www.ascc.net/xml/schematron")
XSL_NS = "http://www.w3.org/1999/XSL/Transform"
# the references a schema makes to files it needs: (element, attribute)
_PARTS = tuple((f"{{{ns}}}{name}", attr) for ns, names, attr in (
    (XSD_NS, ("include", "import", "redefine", "override"), "schemaLocation"),
    (RNG_NS, ("include", "externalRef"), "href"),
    (SCH_NS[0], ("include", "extends"), "href"),
    (SCH_NS[1], ("include",), "href"),
    (XSL_NS, ("include", "import"), "href"),
) for name in names)
_SCHEMA_ROOTS = {f"{{{XSD_NS}}}schema", f"{{{SCH_NS[0]}}}schema", f"{{{SCH_NS[1]}}}schema"}


class _Failed(Exception):
    """Why a download stopped; becomes the Problem :func:`fetch` returns."""


def cache_root() -> Path:
    """The folder fetched schemas are kept in."""
    base = os.environ.get("TEI_EDITION_CACHE")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = os.path.join(xdg if xdg and os.path.isabs(xdg) else os.path.expanduser("~/.cache"), "tei-edition")
    return Path(base) / "schemas"


def location(url: str, cache_dir: str | os.PathLike | None = None) -> Path:
    """Where ``url`` is kept in the cache (whether or not it is there); raises
    ValueError for a URL that names no http(s) file."""
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"only http and https URLs are fetched, not {url!r}")
    folder, _, name = parts.path.rpartition("/")
    remote_folder = f"{parts.scheme.lower()}://{parts.netloc.lower()}{folder}/?{parts.query}"
    host = "".join(c if c.isalnum() or c in ".-" else "_" for c in parts.hostname)[:60]
    key = f"{fsutil.digest_bytes(remote_folder.encode())[:20]}-{host}"
    return Path(cache_dir or cache_root()) / key / _safe_segment(unquote(name))


def _safe_segment(name: str) -> str:
    if not name or name in (".", "..") or name.startswith(".") or any(c in name for c in "/\\\0:") \
            or len(name) > 200 or name.endswith(SIDECAR):
        raise ValueError(f"{name!r} is not a file name this cache keeps")
    return name


def cached(url: str, *, cache_dir: str | os.PathLike | None = None) -> Path | None:
    """The cached copy of ``url`` when it was fetched before and every file of it is
    still as fetched; never touches the network."""
    try:
        path = location(url, cache_dir)
    except ValueError:
        return None
    record = _read_sidecar(path)
    if record is None or record.get("url") != url.strip():
        return None
    files = record.get("files")
    if not isinstance(files, dict) or not files:
        return None
    folder = path.parent
    for name, digest in files.items():
        target = folder / name
        if not fsutil.is_inside(target, folder) or fsutil.digest_file(target) != digest:
            return None
    return path


def _read_sidecar(path: Path) -> dict | None:
    data = loader.read_bytes(path.with_name(path.name + SIDECAR), 1 << 20)
    if isinstance(data, Problem):
        return None
    try:
        record = json.loads(data)
    except ValueError:
        return None
    return record if isinstance(record, dict) else None


def fetch(url: str, *, max_bytes: int = MAX_BYTES, timeout: float = TIMEOUT,
          cache_dir: str | os.PathLike | None = None, max_files: int = MAX_FILES,
          allow_private: bool = False, refresh: bool = False) -> Path | Problem:
    """Download the schema at ``url`` and the files it includes by relative href
    into the cache; return the cached schema's path, or a Problem (rule
    ``schema-fetch``) saying why not, with nothing written.

    ``max_bytes``, ``timeout`` and ``max_files`` bound the whole download.
    ``allow_private`` permits loopback, private and link-local addresses.
    A copy already cached is returned without a download unless ``refresh``.
    """
    url = url.strip()
    try:
        path = location(url, cache_dir)
    except ValueError as exc:
        return _problem(url, str(exc))
    if not refresh:
        hit = cached(url, cache_dir=cache_dir)
        if hit is not None:
            return hit
    folder, name = path.parent, path.name
    download = _Download(deadline=time.monotonic() + timeout, timeout=timeout, budget=max_bytes,
                         max_files=max_files, allow_private=allow_private)
    try:
        files = download.schema(url, name)
    except _Failed as exc:
        return _problem(url, str(exc))
    try:
        for part in sorted(files, key=lambda p: p == name):  # the schema last, then its record
            fsutil.write_atomic(folder / part, files[part][1])
        record = {"url": url, "final_url": files[name][0],
                  "fetched": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "sha256": fsutil.digest_bytes(files[name][1]),
                  "files": {part: fsutil.digest_bytes(data) for part, (_u, data) in files.items()},
                  "sources": {part: source for part, (source, _d) in files.items()}}
        fsutil.write_atomic(folder / (name + SIDECAR), json.dumps(record, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        return _problem(url, f"cannot write the cache {folder}: {exc.strerror or exc}")
    return path


def _problem(url: str, message: str) -> Problem:
    return Problem(url, 0, 0, ERROR, RULE, message)


class _Download:
    """One schema and its neighbours, within one deadline and one byte budget."""

    def __init__(self, *, deadline: float, timeout: float, budget: int, max_files: int, allow_private: bool):
        self.deadline, self.timeout, self.budget = deadline, timeout, budget
        self.max_files, self.allow_private = max_files, allow_private
        self.limit = budget

    def schema(self, url: str, name: str) -> dict[str, tuple[str, bytes]]:
        """``{relative path: (URL read, bytes)}``: the schema under ``name``, then
        every neighbour it reaches by relative href, breadth first."""
        files: dict[str, tuple[str, bytes]] = {}
        queue = [(url, name, None)]
        while queue:
            source, rel, via = queue.pop(0)
            if rel in files:
                continue
            if len(files) >= self.max_files:
                raise _Failed(f"the schema needs more than {self.max_files} files; refused")
            try:
                final, data = self.get(source)
                doc = loader.parse_bytes(data, source, require_tei=False)
                if isinstance(doc, Problem):
                    raise _Failed(f"not usable XML ({doc.line}:{doc.col}): {doc.message}")
                if via is None and not _is_schema(doc.root):
                    raise _Failed(f"not a schema: the root element is <{doc.root.tag}>, expected an XSD, "
                                  "RELAX NG or Schematron schema")
            except _Failed as exc:
                raise _Failed(str(exc) if via is None else f"its part {rel} ({source}): {exc}") from None
            files[rel] = (final, data)
            for href in _references(doc.root):
                child = _neighbour(rel, href)
                if child is not None:
                    queue.append((urljoin(final, href), child, rel))
        return files

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Failed(f"timed out: the download took more than {self.timeout:g} s")
        return left

    def get(self, url: str) -> tuple[str, bytes]:
        """(final URL, body) of one GET, following redirects."""
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
                raise _Failed(f"refused a redirect to {url}: only http and https are followed")
            try:
                status, reason, target, body = self._request(parts)
            except socket.timeout:
                raise _Failed(f"timed out: the download took more than {self.timeout:g} s") from None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raise _Failed(f"cannot connect or read: {exc}") from None
            if status in (301, 302, 303, 307, 308):
                if not target:
                    raise _Failed(f"HTTP {status} without a Location")
                url = urljoin(url, target.strip())
                continue
            if status != 200:
                raise _Failed(f"the server answered HTTP {status} {reason}".rstrip())
            return url, body
        raise _Failed(f"more than {MAX_REDIRECTS} redirects (a loop?); refused")

    def _request(self, parts) -> tuple[int, str, str | None, bytes]:
        port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        address = self._address(parts.hostname, port)
        cls = _HTTPS if parts.scheme.lower() == "https" else _HTTP
        conn = cls(parts.hostname, port, address, timeout=self.remaining())
        try:
            conn.request("GET", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""),
                         headers={"User-Agent": "tei-edition", "Accept-Encoding": "identity",
                                  "Accept": "application/xml, text/xml, */*;q=0.5"})
            sock = conn.sock  # the response keeps reading from it after the connection lets go
            response = conn.getresponse()
            if response.status != 200:
                return response.status, response.reason, response.getheader("Location"), b""
            return 200, response.reason, None, self._body(response, sock)
        finally:
            conn.close()

    def _body(self, response, sock) -> bytes:
        chunks: list[bytes] = []
        size = 0
        while True:
            sock.settimeout(self.remaining())  # a slow trickle cannot outlast the deadline
            chunk = response.read1(1 << 16)
            if not chunk:
                break
            size += len(chunk)
            if size > self.budget:
                raise _Failed(f"too big: more than {self.limit:,} bytes; refused")
            chunks.append(chunk)
        self.budget -= size
        return b"".join(chunks)

    def _address(self, host: str, port: int) -> str:
        """The address to connect to, checked once and then used (a second lookup
        could answer differently)."""
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise _Failed(f"cannot find the host {host}: {exc}") from None
        address = str(infos[0][4][0])
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        if not self.allow_private and not ip.is_global:
            raise _Failed(f"refused: {host} is {address}, an address on this machine or a private network "
                          "(a document could otherwise reach services behind the firewall)")
        return address


class _HTTP(http.client.HTTPConnection):
    """A connection to an address already checked, with the URL's host in its headers."""

    def __init__(self, host: str, port: int, address: str, timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _HTTPS(_HTTP):
    context = None

    def connect(self):
        super().connect()
        if _HTTPS.context is None:
            _HTTPS.context = ssl.create_default_context()  # certificates and host names verified
        self.sock = _HTTPS.context.wrap_socket(self.sock, server_hostname=self.host)


def _is_schema(root) -> bool:
    return root.tag in _SCHEMA_ROOTS or root.tag.startswith(f"{{{RNG_NS}}}")


def _references(root) -> list[str]:
    found = []
    for tag, attr in _PARTS:
        for el in root.iter(tag):
            href = (el.get(attr) or "").strip()
            if href:
                found.append(href)
    return list(dict.fromkeys(found))


def _neighbour(rel: str, href: str) -> str | None:
    """Where a relative href of the file at ``rel`` lies in the cached folder, or
    None: an absolute URL, a query, or a path above the folder is not fetched (the
    local schema reader refuses it and names it when the schema is compiled)."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or parts.query or not parts.path or parts.path.startswith("/"):
        return None
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(rel), unquote(parts.path)))
    if joined.startswith("../") or joined in ("..", "."):
        return None
    try:
        return "/".join(_safe_segment(segment) for segment in joined.split("/"))
    except ValueError:
        return None
