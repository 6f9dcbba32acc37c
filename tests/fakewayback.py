"""A fake Wayback Machine on 127.0.0.1: the CDX API (JSON, paging with a resume key, from/to,
exact and prefix matching) and `id_` mementos of captures the tests made of the fixture site.

    captures = capture_site(site, paths, "20160301120000")   # the fixture site, as it is now
    with FakeWayback(captures, page_size=7) as wb:
        wb.base_url
        wb.fail(3, 429, retry_after=1)   # the 3rd request answers 429 with Retry-After: 1
        wb.block_at = 12                 # the 12th request hangs until the server stops
        wb.log                            # [LoggedRequest(at, path, user_agent, status)]

A capture of a redirect is served as the archive serves it: a 302 whose Location is the
memento of the target. A capture marked truncated declares its whole length and sends half.
A memento asked at a time with no capture redirects to the nearest capture of that URL.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class FakeCapture:
    original: str  # the URL as captured
    timestamp: str  # 14 digits
    status: int
    body: bytes
    content_type: str | None = "text/html; charset=UTF-8"
    location: str | None = None  # of a captured redirect (absolute, the site's URL)
    truncated: bool = False

    @property
    def key(self) -> str:
        """What the CDX API matches on: no scheme, no www., no default port, lower host."""
        return match_key(self.original)

    @property
    def digest(self) -> str:
        return base64.b32encode(hashlib.sha1(self.body).digest()).decode()


@dataclass(frozen=True)
class LoggedRequest:
    at: float  # time.monotonic() when the request line was read
    path: str
    user_agent: str | None
    status: int


def match_key(url: str) -> str:
    rest = url.split("://", 1)[-1]
    host, _, path = rest.partition("/")
    host = host.lower().removeprefix("www.").removesuffix(":80").removesuffix(":443")
    return f"{host}/{path}"


def capture_site(base_url: str, paths: Iterable[str], timestamp: str) -> list[FakeCapture]:
    """What an archive would have kept of these pages of the fixture site right now."""
    split = urlsplit(base_url)
    found = []
    for path in paths:
        conn = http.client.HTTPConnection(split.hostname, split.port, timeout=10)
        try:
            conn.request("GET", path, headers={"User-Agent": "fake-archive-crawler"})
            response = conn.getresponse()
            body = response.read()
            location = response.getheader("Location")
            found.append(
                FakeCapture(
                    original=f"{base_url}{path}",
                    timestamp=timestamp,
                    status=response.status,
                    body=body,
                    content_type=response.getheader("Content-Type"),
                    location=location and http_join(base_url, location),
                )
            )
        finally:
            conn.close()
    return found


def http_join(base_url: str, location: str) -> str:
    return location if "://" in location else f"{base_url}{location}"


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_GET(self) -> None:
        wb = self.server.wayback
        at = time.monotonic()
        with wb.lock:
            wb.count += 1
            number = wb.count
        if wb.block_at is not None and number >= wb.block_at:
            wb.stopping.wait(60)
            self.close_connection = True
            return
        fault = wb.faults.pop(number, None)
        if fault is not None:
            status, retry_after = fault
            headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
            self._send(status, b"slow down", "text/plain", headers)
        elif self.path.startswith("/cdx/search/cdx"):
            self._cdx()
        elif self.path.startswith("/web/"):
            self._memento()
        else:
            self._send(404, b"no such page", "text/plain")
        wb.log.append(LoggedRequest(at, self.path, self.headers.get("User-Agent"), self.status))

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str | None,
        headers: dict[str, str] | None = None,
        declared: int | None = None,
    ) -> None:
        self.status = status
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(declared if declared is not None else len(body)))
        self.end_headers()
        self.wfile.write(body)
        if declared is not None:
            self.close_connection = True

    def _cdx(self) -> None:
        wb = self.server.wayback
        q = {k: v[-1] for k, v in parse_qs(urlsplit(self.path).query).items()}
        want = match_key(q.get("url", ""))
        prefix = q.get("matchType") == "prefix"
        rows = [
            c
            for c in wb.sorted
            if (c.key.startswith(want) if prefix else c.key == want)
            and (not q.get("from") or c.timestamp >= q["from"].ljust(14, "0"))
            and (not q.get("to") or c.timestamp <= q["to"].ljust(14, "9"))
        ]
        start = int(base64.b64decode(q["resumeKey"]).decode()) if q.get("resumeKey") else 0
        limit = int(q.get("limit", "1000"))
        page = rows[start : start + limit]
        fields = q.get("fl", "urlkey,timestamp,original,mimetype,statuscode,digest").split(",")
        out: list[list[str]] = [fields]
        for c in page:
            values = {"urlkey": c.key, "timestamp": c.timestamp, "original": c.original,
                      "mimetype": (c.content_type or "-").split(";")[0],
                      "statuscode": str(c.status), "digest": c.digest,
                      "length": str(len(c.body))}  # fmt: skip
            out.append([values[f] for f in fields])
        if start + limit < len(rows):
            out += [[], [base64.b64encode(str(start + limit).encode()).decode()]]
        self._send(200, json.dumps(out).encode(), "application/json")

    def _memento(self) -> None:
        wb = self.server.wayback
        stamp, _, original = self.path[len("/web/") :].partition("/")
        stamp = stamp.removesuffix("id_")
        same = [c for c in wb.sorted if c.key == match_key(original)]
        exact = [c for c in same if c.timestamp == stamp]
        if not exact:
            if not same:
                self._send(404, b"not archived", "text/plain")
                return
            near = min(same, key=lambda c: abs(int(c.timestamp) - int(stamp.ljust(14, "0"))))
            where = f"/web/{near.timestamp}id_/{near.original}"
            self._send(302, b"", None, {"Location": where})
            return
        c = exact[0]
        headers = {"Memento-Datetime": c.timestamp}
        if c.location:
            headers["Location"] = f"{wb.base_url}/web/{c.timestamp}id_/{c.location}"
        if c.truncated:
            self._send(c.status, c.body[: len(c.body) // 2], c.content_type, headers,
                       declared=len(c.body))  # fmt: skip
        else:
            self._send(c.status, c.body, c.content_type, headers)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, wayback: FakeWayback) -> None:
        self.wayback = wayback
        super().__init__(("127.0.0.1", 0), _Handler)


class FakeWayback:
    """The fake archive; see the module docstring."""

    def __init__(self, captures: Iterable[FakeCapture]) -> None:
        self.sorted = sorted(captures, key=lambda c: (c.key, c.timestamp))
        self.faults: dict[int, tuple[int, int | None]] = {}
        self.block_at: int | None = None
        self.log: list[LoggedRequest] = []
        self.count = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def fail(self, number: int, status: int, retry_after: int | None = None) -> None:
        """The `number`th request (counting from 1) answers `status` instead."""
        self.faults[number] = (status, retry_after)

    def __enter__(self) -> FakeWayback:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
