"""The fixture site's HTTP server: a real server on 127.0.0.1 with states and injectable faults.

Stdlib only (ThreadingHTTPServer, HTTP/1.1 keep-alive, daemon threads). It serves what pages.py
renders, answers conditional requests with 304, records every request (times, headers, status)
and the most requests in flight at once, and misbehaves on demand (`inject`,
`set_random_faults`). It knows nothing of the crawler.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email.utils
import gzip
import json
import random
import select
import socket
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fixturesite import pages
from tests.fixturesite.catalogue import STATES, SiteData
from tests.fixturesite.model import RecSpec, spec_of

CONTROL_PREFIX = "/__fixture/"

FAULT_KINDS = frozenset(
    {
        "redirect_closed_port",
        "hang",
        "drip",
        "reset",
        "truncate",
        "empty",
        "huge",
        "redirect_loop",
        "redirect_offsite",
        "moved",
        "html500",
        "gzip",
        "deflate",
        "br",
        "latin1",
        "cp1252",
    }
)
CHARSETS = {"latin1": "ISO-8859-1", "cp1252": "windows-1252"}
LOOP_MARK = "fixture-loop=1"


def _closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then let go)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass(frozen=True)
class Fault:
    """A misbehaviour for the next `times` requests of one path.

    kind: an HTTP status as text ("429", "503", "500", "404", "403", ...: that status with a
    short HTML body and Retry-After when given), or one of FAULT_KINDS:
      hang              wait `delay` seconds (ended early if the client disconnects), then answer
      drip              headers, then the body one byte every `interval` seconds
      reset             close the connection with a TCP RST, no response
      truncate          Content-Length of the whole body, half of it sent, then close
      empty             200 with an empty body
      huge              200 with a `size`-byte HTML body (`content_length=False`: no length,
                        body ends at close)
      redirect_loop     301 A -> A?fixture-loop=1 -> 301 A (use times=N for a lasting loop)
      redirect_offsite  301 to http://127.0.0.2:PORT/same/path (a host outside allowed hosts)
      redirect_closed_port  301 to the same path on 127.0.0.1 at a port nothing listens on
      moved             301 to the path without its /hmicfrs prefix, where the current host
                        serves the same page (/recommendation/<force>/<id>/)
      html500           status 500 with a WordPress "critical error" HTML page
      gzip/deflate/br   the page with that Content-Encoding
      latin1/cp1252     the page encoded in that charset, declared by `declare`: "header"
                        (Content-Type only), "meta" (<meta charset> only) or "both"
    """

    kind: str
    times: int = 1
    retry_after: int | float | str | dt.datetime | None = None
    delay: float = 0.0
    interval: float = 0.01
    size: int = 6_000_000
    content_length: bool = True
    declare: str = "header"

    def __post_init__(self) -> None:
        if not (self.kind.isdigit() or self.kind in FAULT_KINDS):
            raise ValueError(f"unknown fault kind {self.kind!r}")
        if self.declare not in ("header", "meta", "both"):
            raise ValueError(f"declare must be header, meta or both, not {self.declare!r}")
        if self.times < 1:
            raise ValueError("times must be at least 1")

    def retry_after_header(self) -> str | None:
        value = self.retry_after
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return email.utils.format_datetime(value.astimezone(dt.UTC), usegmt=True)
        if isinstance(value, int | float):
            return str(int(value))
        return str(value)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the server saw it. status 0: no response was sent (reset, disconnect)."""

    start: float  # time.monotonic() when the request line was read
    end: float  # time.monotonic() when the response was written (or abandoned)
    method: str
    path: str  # with its query
    headers: dict[str, str]  # lower-case names
    status: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(self, site: FixtureSite, address: tuple[str, int]) -> None:
        self.site = site
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        with self.connections_lock:
            conns = list(self.connections)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class _Abort(Exception):
    """The client went away or the site is stopping: stop answering this request."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "nginx"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        super().setup()
        # One write per response, but keep small writes from waiting on delayed ACKs.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        self._handle()

    def do_HEAD(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    # --- plumbing ---------------------------------------------------------------------------

    def _handle(self) -> None:
        site = self.server.site
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path.startswith(CONTROL_PREFIX):
            self._control()
            return
        site._enter()
        self._pending = time.monotonic()
        self._status = 0
        try:
            self._serve()
        except (_Abort, OSError):
            self.close_connection = True
        finally:
            self._record()

    def _record(self) -> None:
        """Count this request as done and log it, once.

        Called just before the last bytes go out, so a client that sends its next request the
        moment it has the answer never finds this one still counted in flight.
        """
        start, self._pending = self._pending, None
        if start is None:
            return
        self.server.site._leave(
            RequestRecord(
                start=start,
                end=time.monotonic(),
                method=self.command,
                path=self.path,
                headers=_headers(self.headers.items()),
                status=self._status,
            )
        )

    def _write(
        self,
        status: int,
        headers: list[tuple[str, str]],
        body: bytes = b"",
        *,
        length: int | None = None,
        close: bool = False,
        final: bool = True,
    ) -> None:
        """Status line, headers and (unless HEAD) body in one write; `final`: nothing follows."""
        self._status = status
        reason = self.responses.get(status, ("Unknown",))[0]
        lines = [
            f"HTTP/1.1 {status} {reason}",
            "Server: nginx",
            f"Date: {email.utils.formatdate(usegmt=True)}",
        ]
        lines += [f"{k}: {v}" for k, v in headers]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        if close or self.close_connection:
            lines.append("Connection: close")
            self.close_connection = True
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        payload = head if self.command == "HEAD" else head + body
        if final:
            self._record()
        self.wfile.write(payload)

    def _send_bytes(
        self, status: int, headers: list[tuple[str, str]], body: bytes, *, close: bool = False
    ) -> None:
        self._write(status, headers, body, length=len(body), close=close)

    def _wait(self, seconds: float) -> None:
        """Sleep, but give up at once if the client disconnects or the site stops."""
        deadline = time.monotonic() + seconds
        stop = self.server.site._stopping
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if stop.is_set():
                raise _Abort
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.01))
            if readable:
                try:
                    peek = self.connection.recv(1, socket.MSG_PEEK)
                except OSError as exc:
                    raise _Abort from exc
                if not peek:
                    raise _Abort
                # A pipelined request is waiting: keep sleeping without busy-looping.
                time.sleep(min(left, 0.01))

    # --- control endpoint --------------------------------------------------------------------

    def _control(self) -> None:
        site = self.server.site
        self._pending = None
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        status, payload = 200, {}
        if parts.path == "/__fixture/state":
            if self.command == "POST" and "set" in query:
                try:
                    site.set_state(query["set"][0])
                except ValueError as exc:
                    status, payload = 400, {"error": str(exc)}
            payload = payload or {"state": site.state}
        elif parts.path == "/__fixture/stats":
            payload = {"requests": site.request_count, "max_in_flight": site.max_in_flight}
        else:
            status, payload = 404, {"error": "unknown control path"}
        body = json.dumps(payload).encode()
        self._send_bytes(status, [("Content-Type", "application/json")], body)

    # --- normal answers ----------------------------------------------------------------------

    def _serve(self) -> None:
        site = self.server.site
        fault = site._take_fault(self.path)
        if fault is not None:
            self._serve_fault(fault)
            return
        if LOOP_MARK in self.path:
            self._redirect(_strip_loop_mark(self.path))
            return
        self._serve_page(site._page(self.path))

    def _serve_page(self, page: pages.Page, *, conditional: bool = True) -> None:
        headers = [("Content-Type", page.content_type)]
        if page.location is not None:
            headers.append(("Location", page.location))
        etag = page.etag
        if etag is not None and page.last_modified is not None:
            headers += [
                ("ETag", etag),
                ("Last-Modified", email.utils.format_datetime(page.last_modified, usegmt=True)),
            ]
            # Preconditions apply only to what would be a 2xx (RFC 9110 13.2.1).
            ok = page.status == 200
            if conditional and ok and _not_modified(self.headers, etag, page.last_modified):
                self._write(304, headers[1:])
                return
        body = page.render(_now()).encode("utf-8")
        self._send_bytes(page.status, headers, body)

    def _redirect(self, location: str, status: int = 301) -> None:
        site = self.server.site
        if location.startswith("/"):
            location = site.base_url + location
        body = b""
        self._send_bytes(status, [("Location", location), ("Content-Type", pages.HTML_TYPE)], body)

    # --- faults ------------------------------------------------------------------------------

    def _serve_fault(self, fault: Fault) -> None:
        site = self.server.site
        kind = fault.kind
        base = site.base_url
        if kind.isdigit():
            status = int(kind)
            reason = self.responses.get(status, ("Error",))[0]
            headers = [("Content-Type", pages.HTML_TYPE)]
            if fault.retry_after is not None:
                headers.append(("Retry-After", fault.retry_after_header() or ""))
            self._send_bytes(status, headers, pages.error_html(status, reason).encode())
        elif kind == "html500":
            body = pages.html500(base).replace(pages.GENERATED, _now()).encode()
            self._send_bytes(500, [("Content-Type", pages.HTML_TYPE)], body)
        elif kind == "hang":
            self._wait(fault.delay)
            self._serve_page(site._page(self.path))
        elif kind == "drip":
            self._drip(fault)
        elif kind == "reset":
            self._reset()
        elif kind == "truncate":
            body = self._plain_body()
            self._write(
                200,
                [("Content-Type", pages.HTML_TYPE)],
                body[: len(body) // 2],
                length=len(body),
                close=True,
            )
        elif kind == "empty":
            self._send_bytes(200, [("Content-Type", pages.HTML_TYPE)], b"")
        elif kind == "huge":
            self._huge(fault)
        elif kind == "redirect_loop":
            sep = "&" if "?" in self.path else "?"
            self._redirect(f"{self.path}{sep}{LOOP_MARK}")
        elif kind == "redirect_offsite":
            self._redirect(f"http://127.0.0.2:{site.port}{self.path}")
        elif kind == "redirect_closed_port":
            self._redirect(f"http://127.0.0.1:{_closed_port()}{self.path}")
        elif kind == "moved":
            self._redirect(base + self.path.removeprefix("/hmicfrs"))
        elif kind in ("gzip", "deflate", "br"):
            self._encoded(kind)
        elif kind in CHARSETS:
            self._charset(fault)

    def _plain_body(self) -> bytes:
        return self.server.site._page(self.path).render(_now()).encode("utf-8")

    def _drip(self, fault: Fault) -> None:
        page = self.server.site._page(self.path)
        body = page.render(_now()).encode("utf-8")
        headers = [("Content-Type", page.content_type)]
        self._write(page.status, headers, b"", length=len(body), final=False)
        if self.command == "HEAD":
            return
        for i in range(len(body)):
            self._wait(fault.interval)
            if i == len(body) - 1:
                self._record()
            self.wfile.write(body[i : i + 1])

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self._record()
        self.connection.close()
        raise _Abort

    def _huge(self, fault: Fault) -> None:
        head = b"<!DOCTYPE html><html><head><title>Huge</title></head><body><main><p>"
        tail = b"</p></main></body></html>"
        filler = max(0, fault.size - len(head) - len(tail))
        headers = [("Content-Type", pages.HTML_TYPE)]
        length = fault.size if fault.content_length else None
        self._write(200, headers, head, length=length, close=not fault.content_length, final=False)
        if self.command == "HEAD":
            return
        chunk = b"x" * 65536
        while filler > 0:
            if self.server.site._stopping.is_set():
                raise _Abort
            n = min(filler, len(chunk))
            self.wfile.write(chunk[:n])
            filler -= n
        self._record()
        self.wfile.write(tail)

    def _encoded(self, kind: str) -> None:
        page = self.server.site._page(self.path)
        raw = page.render(_now()).encode("utf-8")
        if kind == "gzip":
            body = gzip.compress(raw)
        elif kind == "deflate":
            body = zlib.compress(raw)
        else:
            import brotli  # the project's runtime extra (httpx[brotli]); only this fault needs it

            body = brotli.compress(raw)
        headers = [("Content-Type", page.content_type), ("Content-Encoding", kind)]
        headers.append(("Vary", "Accept-Encoding"))
        self._send_bytes(page.status, headers, body)

    def _charset(self, fault: Fault) -> None:
        site = self.server.site
        charset = CHARSETS[fault.kind]
        meta = charset if fault.declare in ("meta", "both") else None
        rec = site._data.rec_by_path(site.state, urlsplit(self.path).path)
        page = site._page(self.path)
        if rec is not None and rec.has_content:
            text = pages.rec_page_html(rec, site.base_url, literal=True, charset=meta)
        else:
            replacement = f'<meta charset="{meta}" />' if meta else ""
            text = page.body.replace('<meta charset="UTF-8" />', replacement)
        body = text.replace(pages.GENERATED, _now()).encode(charset, "xmlcharrefreplace")
        ctype = (
            f"text/html; charset={charset}"
            if fault.declare in ("header", "both")
            else ("text/html")
        )
        self._send_bytes(page.status, [("Content-Type", ctype)], body)


def change_kind(before: RecSpec | None, after: RecSpec) -> str | None:
    """What changed between two RecSpecs of one URL (None: nothing a reader would see)."""
    if before is None or (before.state != "live" and after.state == "live"):
        return "new" if after.state == "live" else None
    if before.state != "live":
        return None
    if after.state in ("redirected", "gone"):
        return {"redirected": "moved", "gone": "gone"}[after.state]
    if after.state in ("not_found", "soft_404"):
        return "removed"
    if after.state != "live":
        return None
    if len(after.log) > len(before.log) and after.log[: len(before.log)] == before.log:
        return "appended"
    if len(after.log) < len(before.log):
        return "deleted"
    if after.log != before.log or after.text != before.text:
        return "edited"
    return None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in items:
        key = key.lower()
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _strip_loop_mark(path: str) -> str:
    return path.replace(f"&{LOOP_MARK}", "").replace(f"?{LOOP_MARK}", "")


def _not_modified(headers: Any, etag: str, last_modified: dt.datetime) -> bool:
    """RFC 9110 13.2.2: If-None-Match decides when present; else If-Modified-Since."""
    inm = headers.get("If-None-Match")
    if inm is not None:
        tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
        return "*" in tags or etag in tags
    ims = headers.get("If-Modified-Since")
    if ims:
        try:
            since = email.utils.parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return last_modified <= since
    return False


class FixtureSite:
    """The fixture site: start(), base_url, set_state(), inject(), requests, stop().

    A request is counted (appended to `requests`, `on_request(count)` called in the server's
    thread, in-flight count lowered) just before its last bytes are sent, so the log is
    complete as soon as a client has its answer. Control requests (/__fixture/...) are not
    counted.
    """

    def __init__(
        self,
        state: str = "initial",
        synthetic: int = 0,
        seed: int = 1,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        changes: float = 0.0,
        lying: float = 0.0,
    ) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        self._data = SiteData(synthetic, seed, changes, lying)
        self._state = state
        self._host = host
        self._port = port
        self._lock = threading.Lock()
        self._requests: list[RequestRecord] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._count = 0
        self._faults: dict[str, list[list[Any]]] = {}
        self._random: tuple[float, int, tuple[str, ...], dict[str, Any]] | None = None
        self._random_fired: set[str] = set()
        self._robots: str | None = None
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._page_cache: dict[tuple[str, str], pages.Page] = {}
        self.on_request: Callable[[int], None] | None = None

    # --- life cycle -------------------------------------------------------------------------

    def start(self) -> FixtureSite:
        """Bind and serve in a background daemon thread."""
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self, (self._host, self._port))
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fixturesite:{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, end in-progress hangs and drips, close every socket."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (python -m tests.fixturesite)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> FixtureSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        if self._server is None and self._port == 0:
            raise RuntimeError("FixtureSite not started: base_url is known after start()")
        return f"http://{self._host}:{self._port}"

    # --- state ------------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    def set_state(self, state: str) -> None:
        if state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        with self._lock:
            self._state = state

    def set_lying(self, share: float) -> None:
        """Make a `share` of the pages that changed keep their old sitemap <lastmod>."""
        with self._lock:
            self._data.lying = share
            self._page_cache.clear()

    def set_robots(self, text: str | None) -> None:
        """Serve this robots.txt instead of the default ({base} is replaced); None restores it."""
        with self._lock:
            self._robots = text
            self._page_cache.clear()

    def catalogue(self, state: str | None = None) -> list[RecSpec]:
        """What the site holds in `state` (default: the current state), one RecSpec per URL."""
        if state is not None and state not in STATES:
            raise ValueError(f"state must be one of {STATES}, not {state!r}")
        return self._data.catalogue(state or self._state, self.base_url)

    def changes(self) -> dict[str, str]:
        """{url: kind} of every change a reader would see between the initial and the later
        state: appended, edited, deleted (a log entry), removed, gone, moved, new."""
        before = {s.url: s for s in self.catalogue("initial")}
        made = {}
        for spec in self.catalogue("later"):
            kind = change_kind(before.get(spec.url), spec)
            if kind is not None and not spec.disallowed:
                made[spec.url] = kind
        return made

    def spec(self, rec_id: int, state: str | None = None) -> RecSpec | None:
        """The RecSpec of one rec id in `state` (default: the current state), or None."""
        rec = self._data.rec_by_id(state or self._state, rec_id)
        return None if rec is None else spec_of(rec, self.base_url)

    # --- faults -----------------------------------------------------------------------------

    def inject(self, path: str, fault: Fault) -> None:
        """Queue a fault for the next requests of `path` (with its query)."""
        with self._lock:
            self._faults.setdefault(path, []).append([fault, fault.times])

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._random = None
            self._random_fired.clear()

    def set_random_faults(
        self,
        rate: float,
        seed: int = 0,
        kinds: Iterable[str] = ("429", "503", "reset", "truncate", "hang"),
        *,
        delay: float = 0.5,
        retry_after: int | float | str | None = None,
        include_robots: bool = False,
    ) -> None:
        """Fault the first request of a `rate` share of paths, chosen and typed by `seed`.

        Which paths fault, and how, depends only on (seed, path), never on request order.
        rate 0 turns random faults off. robots.txt is spared unless `include_robots`.
        """
        kinds = tuple(kinds)
        for kind in kinds:
            Fault(kind)
        with self._lock:
            self._random_fired.clear()
            self._random = (
                (
                    rate,
                    seed,
                    kinds,
                    {"delay": delay, "retry_after": retry_after, "robots": include_robots},
                )
                if rate > 0
                else None
            )

    def random_fault_for(self, path: str) -> Fault | None:
        """The fault random faults would give `path` on its first request (None: no fault)."""
        config = self._random
        if config is None:
            return None
        rate, seed, kinds, opts = config
        if path == "/robots.txt" and not opts["robots"]:
            return None
        rng = random.Random(f"{seed}|{path}")
        if rng.random() >= rate:
            return None
        return Fault(rng.choice(kinds), delay=opts["delay"], retry_after=opts["retry_after"])

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            queue = self._faults.get(path)
            if queue:
                fault, left = queue[0]
                if left <= 1:
                    queue.pop(0)
                    if not queue:
                        del self._faults[path]
                else:
                    queue[0][1] = left - 1
                return fault
            if self._random is None or path in self._random_fired:
                return None
            self._random_fired.add(path)
        return self.random_fault_for(path)

    # --- requests ---------------------------------------------------------------------------

    @property
    def requests(self) -> list[RequestRecord]:
        """A copy of the request log, in order of completion."""
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return self._count

    @property
    def max_in_flight(self) -> int:
        with self._lock:
            return self._max_in_flight

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def clear_requests(self) -> None:
        """Forget the request log and reset max_in_flight (the count keeps running)."""
        with self._lock:
            self._requests.clear()
            self._max_in_flight = self._in_flight

    def _enter(self) -> None:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)

    def _leave(self, record: RequestRecord) -> None:
        with self._lock:
            self._in_flight -= 1
            self._requests.append(record)
            self._count += 1
            count = self._count
        callback = self.on_request
        if callback is not None:
            callback(count)

    # --- pages ------------------------------------------------------------------------------

    def _page(self, path: str) -> pages.Page:
        state = self._state
        key = (state, path)
        page = self._page_cache.get(key)
        if page is None:
            page = pages.resolve(self._data, state, path, self.base_url, robots=self._robots)
            if len(self._page_cache) > 4096:
                self._page_cache.clear()
            self._page_cache[key] = page
        return page
