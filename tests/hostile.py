"""A hostile HTTP server on 127.0.0.1 for tests: decompression bombs, trickled headers and
bodies, sitemaps built to hang a parser, redirects to closed ports and to URLs with
credentials, each on its own path beside a few ordinary recommendation pages.

It speaks raw HTTP/1.1 over sockets (not http.server), so that it can send exactly the bytes
a hostile server would, as slowly as it likes. Every loop here is bounded in count and in
time: a trickle sends at most `limit` bytes, each connection is served for at most
`CONNECTION_SECONDS`, the whole server stops itself after `LIFETIME_SECONDS`, and closing it
ends every trickle at once. It listens on 127.0.0.1 only.
"""

from __future__ import annotations

import gzip
import socket
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

import brotli

LIFETIME_SECONDS = 300.0
CONNECTION_SECONDS = 120.0
MAX_CONNECTIONS = 500
MAX_REQUEST_BYTES = 64 * 1024

# What a bomb expands to: far past any max_page_bytes and past what a test process could hold
# twice over without being noticed.
BOMB_BYTES = 1 << 30

Route = Callable[["Exchange"], None]


@dataclass
class Exchange:
    """One request as the route sees it, and the socket to answer on."""

    method: str
    path: str
    headers: dict[str, str]
    conn: socket.socket
    server: HostileServer

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)

    def answer(self, status: int, headers: dict[str, str], body: bytes = b"") -> None:
        head = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        head += [f"{k}: {v}" for k, v in headers.items()]
        if not any(k.lower() == "content-length" for k in headers):
            head.append(f"Content-Length: {len(body)}")
        head.append("Connection: close")
        self.send(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)

    def trickle(self, data: bytes, interval: float) -> None:
        """Send `data` one byte per `interval`, until it is all sent or the server closes."""
        started = time.monotonic()
        for i in range(len(data)):
            if self.server.closing.wait(interval):
                return
            if time.monotonic() - started > CONNECTION_SECONDS:
                return
            self.send(data[i : i + 1])


_REASONS = {
    200: "OK",
    301: "Moved Permanently",
    302: "Found",
    304: "Not Modified",
    404: "Not Found",
    500: "Internal Server Error",
}


@dataclass
class HostileServer:
    """Serve `routes` (path -> Route) on 127.0.0.1 until closed; records each request line."""

    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    closing: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(32)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="hostile")

    def __enter__(self) -> HostileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.closing.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def paths(self) -> list[str]:
        with self._lock:
            return [path for path, _ in self.requests]

    def _serve(self) -> None:
        started = time.monotonic()
        served = 0
        while not self.closing.is_set() and served < MAX_CONNECTIONS:
            if time.monotonic() - started > LIFETIME_SECONDS:
                return
            try:
                conn, _ = self._sock.accept()
            except (TimeoutError, OSError):
                continue
            served += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(CONNECTION_SECONDS)
            try:
                request = _read_request(conn)
                if request is None:
                    return
                method, path, headers = request
                with self._lock:
                    self.requests.append((path, headers))
                route = self.routes.get(path)
                exchange = Exchange(method, path, headers, conn, self)
                if route is None:
                    exchange.answer(404, {"Content-Type": "text/plain"}, b"not here")
                else:
                    route(exchange)
            except OSError:
                return  # the client hung up: that is what clients do to hostile servers


def _read_request(conn: socket.socket) -> tuple[str, str, dict[str, str]] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_REQUEST_BYTES:
            return None
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    method, path, _ = (lines[0].split(" ") + ["", ""])[:3]
    headers = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip().lower()] = value.strip()
    return method, path, headers


# -- routes -------------------------------------------------------------------------------


def respond(status: int, body: bytes = b"", **headers: str) -> Route:
    """A plain answer; header names are given with underscores for dashes."""
    named = {k.replace("_", "-"): v for k, v in headers.items()}
    return lambda exchange: exchange.answer(status, named, body)


def trickled_headers(interval: float, limit: int = 600) -> Route:
    """Response headers sent a byte per `interval` (at most `limit` bytes: they never end)."""
    head = b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-Slow-%d: x\r\n" % i for i in range(limit))

    def route(exchange: Exchange) -> None:
        exchange.trickle(head[:limit], interval)

    return route


def trickled_body(interval: float, limit: int = 600, status: int = 200) -> Route:
    """Headers at once, then a body a byte per `interval` (at most `limit` bytes)."""

    def route(exchange: Exchange) -> None:
        exchange.send(
            b"HTTP/1.1 %d %s\r\nContent-Type: text/html\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n"
            % (status, _REASONS.get(status, "Status").encode(), limit)
        )
        exchange.trickle(b"<p>" + b"x" * (limit - 3), interval)

    return route


def redirect(location: str, status: int = 301) -> Route:
    return respond(status, b"", Location=location)


@cache
def brotli_bomb() -> bytes:
    """A few hundred bytes of brotli that expand to BOMB_BYTES of zeros."""
    compressor = brotli.Compressor(quality=5, lgwin=24)
    block = bytes(1 << 20)
    parts = [compressor.process(block) for _ in range(BOMB_BYTES // len(block))]
    return b"".join(parts) + compressor.finish()


@cache
def gzip_gzip_bomb() -> bytes:
    """gzip of a gzip stream of BOMB_BYTES of zeros: a few KB for `Content-Encoding: gzip,
    gzip`. The inner stream repeats one fully flushed deflate block, so it is built without
    compressing a gigabyte; it ends without its trailer, which no decoder should reach."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    block = bytes(1 << 20)
    first = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeat = compressor.compress(block) + compressor.flush(zlib.Z_FULL_FLUSH)
    inner = first + repeat * (BOMB_BYTES // len(block) - 1)
    return gzip.compress(inner, compresslevel=9)


def loc_bomb(size: int = 4 * 1024 * 1024) -> bytes:
    """A sitemap of `<loc ` openings with no `>` anywhere: a regex that scans from every
    opening to the end of the text for the `>` is quadratic in it."""
    return b"<loc " * (size // 5)


def sitemap(urls: list[str]) -> bytes:
    entries = "".join(f"<url><loc>{u}</loc></url>" for u in urls)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
    ).encode()


def recommendation_page(force: str, rec_id: int, text: str) -> bytes:
    """A small recommendation page in the common layout (SITE.md layout 1), our own words."""
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Recommendation {rec_id}</title></head><body>"
        "<div class='entry-content'>"
        f"<h1>Report on the handling of things ({rec_id})</h1>"
        f"<p>{text}</p>"
        "<p>[on]9th February 2017 [status]awaiting-review[/status][/on]"
        "[on]3rd March 2018 [status]being-progressed[/status][/on]</p>"
        "</div>"
        f"<p>Force: {force}</p>"
        "</body></html>"
    ).encode()


def robots(sitemap_path: str = "/sitemap.xml") -> Route:
    body = f"User-agent: *\nAllow: /\nSitemap: {sitemap_path}\n".encode()
    return respond(200, body, Content_Type="text/plain")


def interstitial(counter: list[int]) -> Route:
    """A 200 "request rejected" page, as a web application firewall answers in place of the
    page asked for: it echoes the path and carries a support id of its own each time."""

    def route(exchange: Exchange) -> None:
        counter[0] += 1
        body = (
            "<html><head><title>Request Rejected</title></head><body>"
            f"<p>The requested URL {exchange.path} was rejected. Please consult with your "
            f"administrator.</p><p>Your support ID is: {9_100_000_000 + counter[0] * 7919}</p>"
            "<p><a href='javascript:history.back();'>[Go Back]</a></p></body></html>"
        ).encode()
        exchange.answer(200, {"Content-Type": "text/html; charset=utf-8"}, body)

    return route
