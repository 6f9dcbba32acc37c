"""Unit tests of scraper/fetch.py: httpx.MockTransport for the site, a fake clock for time.

No test here waits on a real timer: FakeClock.sleep() moves the fake time on at once and
records how long it was asked to wait, and the "server" stamps each request with fake time,
so the politeness rules are checked from the server's side.
"""

from __future__ import annotations

import gzip
import random
import threading
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import brotli
import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scraper.errors import SiteRefused, SiteUnreachable
from scraper.fetch import (
    Attempt,
    Fetcher,
    FetchPolicy,
    FetchResult,
    Robots,
    decode_text,
    make_client,
)

UA = "hmicfrs-archive/0.1 (+mailto:archive@example.org)"
SITE = "https://example.org"
START = datetime(2026, 11, 24, 18, 0, 0, 123000, tzinfo=UTC)
HTML = b"<html><body><p>Recommendation text</p></body></html>"

Handler = Callable[[httpx.Request], httpx.Response]


class FakeClock:
    """Monotonic clock, wall clock and sleep in one; sleeping only moves the time on."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def clock(self) -> float:
        with self._lock:
            return self.t

    def now(self) -> datetime:
        with self._lock:
            return START + timedelta(seconds=self.t - 1000.0)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)
            self.t += seconds

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.t += seconds


@dataclass
class Hit:
    at: float  # fake time when the request reached the server
    url: str
    headers: httpx.Headers


@dataclass
class Server:
    """A MockTransport handler: per path a list of answers, the last one repeating."""

    clock: FakeClock
    routes: dict[str, list[Handler]]
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.hits.append(Hit(self.clock.clock(), str(request.url), request.headers))
            answers = self.routes.get(request.url.raw_path.decode())
            if answers is None:
                answer = page(404, b"<h1>404 Page not found</h1>")
            else:
                answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer(request)

    @property
    def starts(self) -> list[float]:
        return [hit.at for hit in self.hits]


def page(
    status: int = 200,
    body: bytes = HTML,
    headers: dict[str, str] | None = None,
) -> Handler:
    """An answer with a body and Content-Length (as most servers send).

    The body is passed as a stream, as a real transport does: `content=` would preload it and
    leave `num_bytes_downloaded` at 0.
    """
    all_headers = {
        "content-type": "text/html; charset=utf-8",
        "content-length": str(len(body)),
        **(headers or {}),
    }
    return lambda request: httpx.Response(
        status, headers=all_headers, stream=httpx.ByteStream(body)
    )


def redirect(location: str, status: int = 301) -> Handler:
    return lambda request: httpx.Response(status, headers={"location": location})


def fail(exc: type[httpx.TransportError], message: str = "boom") -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc(message, request=request)

    return handler


class Stream(httpx.SyncByteStream):
    """A body that arrives chunk by chunk, optionally costing fake time per chunk."""

    def __init__(
        self,
        chunks: list[bytes],
        clock: FakeClock | None = None,
        seconds_per_chunk: float = 0.0,
        then_raise: Exception | None = None,
    ) -> None:
        self.chunks = chunks
        self.clock = clock
        self.seconds_per_chunk = seconds_per_chunk
        self.then_raise = then_raise
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.chunks:
            if self.clock is not None:
                self.clock.advance(self.seconds_per_chunk)
            self.pulled += 1
            yield chunk
        if self.then_raise is not None:
            raise self.then_raise


def streamed(stream: Stream, headers: dict[str, str] | None = None) -> Handler:
    return lambda request: httpx.Response(200, headers=headers or {}, stream=stream)


@dataclass
class Harness:
    fetcher: Fetcher
    server: Server
    clock: FakeClock
    policy: FetchPolicy

    def fetch(self, path: str, **kwargs: object) -> FetchResult:
        kwargs.setdefault("check_robots", False)
        return self.fetcher.fetch(SITE + path, **kwargs)  # type: ignore[arg-type]


def harness(
    routes: dict[str, list[Handler] | Handler],
    *,
    rand: Callable[[], float] = lambda: 0.0,
    **policy_settings: object,
) -> Harness:
    settings: dict[str, object] = {"user_agent": UA, "allowed_hosts": ("example.org",)}
    settings.update(policy_settings)
    policy = FetchPolicy(**settings)  # type: ignore[arg-type]
    clock = FakeClock()
    server = Server(
        clock, {path: list(a) if isinstance(a, list) else [a] for path, a in routes.items()}
    )
    client = make_client(policy, httpx.MockTransport(server))
    fetcher = Fetcher(
        client, policy, sleep=clock.sleep, clock=clock.clock, now=clock.now, rand=rand
    )
    return Harness(fetcher, server, clock, policy)


def at(seconds: float) -> str:
    """requested_at for a request sent `seconds` of fake time after the start."""
    moment = START + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def attempt(
    path: str,
    status: int | None = 200,
    *,
    t: float = 0.0,
    size: int = 0,
    error: str | None = None,
    retried: bool = False,
    answered: bool | None = None,
    elapsed_ms: int = 0,
) -> Attempt:
    url = SITE + path
    answered = status is not None if answered is None else answered
    return Attempt(
        url=url,
        requested_at=at(t),
        http_status=status,
        final_url=url if answered else None,
        elapsed_ms=elapsed_ms,
        bytes=size,
        error=error,
        retried=retried,
    )


# -- the client ---------------------------------------------------------------------------


def test_make_client_makes_every_decision_explicit() -> None:
    policy = FetchPolicy(
        user_agent=UA, allowed_hosts=("example.org",), timeout_seconds=20, connect_timeout_seconds=5
    )
    client = make_client(policy)
    assert client.timeout == httpx.Timeout(connect=5, read=20, write=20, pool=20)
    assert client.follow_redirects is False
    assert client.headers["user-agent"] == UA
    assert client.headers["accept-encoding"] == "gzip, deflate, br"


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="concurrency"):
        FetchPolicy(user_agent=UA, allowed_hosts=(), concurrency=0)


# -- a plain fetch ------------------------------------------------------------------------


def test_ok_whole_result() -> None:
    h = harness(
        {
            "/rec/1/": page(
                headers={"etag": '"v1"', "last-modified": "Tue, 24 Nov 2026 10:00:00 GMT"}
            )
        }
    )
    result = h.fetch("/rec/1/")
    assert result == FetchResult(
        url=SITE + "/rec/1/",
        outcome="ok",
        http_status=200,
        final_url=SITE + "/rec/1/",
        body=HTML,
        text=HTML.decode(),
        encoding="utf-8",
        etag='"v1"',
        last_modified="Tue, 24 Nov 2026 10:00:00 GMT",
        content_type="text/html; charset=utf-8",
        error=None,
        attempts=(attempt("/rec/1/", size=len(HTML)),),
    )
    [hit] = h.server.hits
    assert hit.headers["user-agent"] == UA
    assert hit.headers["accept-encoding"] == "gzip, deflate, br"
    assert "if-none-match" not in hit.headers
    assert "if-modified-since" not in hit.headers


def test_requested_at_is_iso_utc_with_milliseconds() -> None:
    h = harness({"/": page()})
    assert h.fetch("/").attempts[0].requested_at == "2026-11-24T18:00:00.123Z"


def test_elapsed_ms_comes_from_the_injected_clock() -> None:
    h = harness({})
    stream = Stream([b"a", b"b", b"c"], clock=h.clock, seconds_per_chunk=0.25)
    h.server.routes["/slow"] = [streamed(stream)]
    result = h.fetch("/slow")
    assert result.attempts == (attempt("/slow", size=3, elapsed_ms=750),)


@pytest.mark.parametrize("status", [403, 404, 410])
def test_client_errors_are_read_as_pages(status: int) -> None:
    body = b"<h1>404 Page not found</h1><p>but the content is here</p>"
    h = harness({"/gone": page(status, body)})
    result = h.fetch("/gone")
    assert (result.outcome, result.http_status, result.body, result.error) == (
        "ok",
        status,
        body,
        None,
    )
    assert len(result.attempts) == 1


def test_empty_404_is_still_an_answer() -> None:
    h = harness({"/x": page(404, b"")})
    result = h.fetch("/x")
    assert (result.outcome, result.body, result.error) == ("ok", b"", None)


def test_empty_200_is_an_error_and_not_retried() -> None:
    h = harness({"/empty": page(200, b"")})
    result = h.fetch("/empty")
    assert (result.outcome, result.http_status, result.body, result.error) == (
        "error",
        200,
        None,
        "empty body",
    )
    assert result.attempts == (attempt("/empty"),)


def test_unretryable_server_error_gives_up_at_once() -> None:
    h = harness({"/x": page(501, b"nope")})
    result = h.fetch("/x")
    assert (result.outcome, result.http_status, result.error) == (
        "error",
        501,
        "501 Not Implemented",
    )
    assert result.attempts == (attempt("/x", 501, size=4, error="501 Not Implemented"),)


def test_url_off_the_allowed_hosts_is_never_requested() -> None:
    h = harness({})
    result = h.fetcher.fetch("https://elsewhere.example.com/x", check_robots=False)
    assert (result.outcome, result.attempts) == ("error", ())
    assert result.error == "not on an allowed host: https://elsewhere.example.com/x"
    assert h.server.hits == []


# -- conditional requests -----------------------------------------------------------------


def test_conditional_headers_sent_and_304_is_not_modified() -> None:
    h = harness({"/rec/1/": page(304, b"", headers={"etag": '"v1"'})})
    result = h.fetch("/rec/1/", etag='"v1"', last_modified="Mon, 23 Nov 2026 10:00:00 GMT")
    assert result == FetchResult(
        url=SITE + "/rec/1/",
        outcome="not_modified",
        http_status=304,
        final_url=SITE + "/rec/1/",
        body=None,
        text=None,
        encoding=None,
        etag='"v1"',
        # the 304 did not repeat it, so the one we sent still stands
        last_modified="Mon, 23 Nov 2026 10:00:00 GMT",
        content_type="text/html; charset=utf-8",
        error=None,
        attempts=(attempt("/rec/1/", 304),),
    )
    [hit] = h.server.hits
    assert hit.headers["if-none-match"] == '"v1"'
    assert hit.headers["if-modified-since"] == "Mon, 23 Nov 2026 10:00:00 GMT"


def test_non_ascii_validator_is_sent_back_as_it_came() -> None:
    h = harness({"/x": page(304, b"")})
    assert h.fetch("/x", etag='W/"café"').outcome == "not_modified"
    assert h.server.hits[0].headers.raw[-1] == (b"If-None-Match", 'W/"café"'.encode())


def test_changed_page_answers_200_with_new_validators() -> None:
    h = harness({"/rec/1/": page(headers={"etag": '"v2"'})})
    result = h.fetch("/rec/1/", etag='"v1"')
    assert (result.outcome, result.etag, result.last_modified) == ("ok", '"v2"', None)


# -- retries ------------------------------------------------------------------------------

PHRASES = {
    408: "Request Timeout",
    425: "Too Early",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@pytest.mark.parametrize("status", sorted(PHRASES))
def test_each_retryable_status_is_retried(status: int) -> None:
    h = harness({"/x": [page(status, b"busy"), page()]})
    result = h.fetch("/x")
    # Throttling answers double the delay (2s -> 4s); the others leave it at 2s.
    gap = 4.0 if status in (429, 503) else 2.0
    assert result.outcome == "ok"
    assert result.attempts == (
        attempt("/x", status, error=f"{status} {PHRASES[status]}", retried=True, size=4),
        attempt("/x", t=gap, size=len(HTML)),
    )
    # tenacity's backoff (1s), then the gate tops it up to the delay between starts
    assert h.clock.sleeps == [1.0, gap - 1.0]
    assert h.server.starts == [1000.0, 1000.0 + gap]


def test_gives_up_after_max_retries_with_exponential_backoff() -> None:
    h = harness({"/x": page(500, b"oops")}, delay_seconds=0, rand=lambda: 0.5)
    result = h.fetch("/x")
    assert result.outcome == "error"
    assert result.http_status == 500
    assert result.error == "gave up after 5 attempts: 500 Internal Server Error"
    assert [a.retried for a in result.attempts] == [True, True, True, True, False]
    # base * 2**n plus jitter of rand() * base
    assert h.clock.sleeps == [1.5, 2.5, 4.5, 8.5]


def test_backoff_is_capped() -> None:
    h = harness(
        {"/x": page(502)},
        delay_seconds=0,
        backoff_base_seconds=100,
        backoff_max_seconds=300,
        max_retries=3,
        rand=lambda: 0.5,
    )
    h.fetch("/x")
    assert h.clock.sleeps == [150.0, 250.0, 300.0]


def test_backoff_jitter_uses_the_injected_random_source() -> None:
    # gate jitter, then backoff jitter, per attempt (tenacity computes a wait before stopping)
    draws = iter([0.0, 0.25, 0.0, 0.75, 0.0, 0.0])
    h = harness({"/x": page(500)}, delay_seconds=0, max_retries=2, rand=lambda: next(draws))
    h.fetch("/x")
    assert h.clock.sleeps == [1.25, 2.75]


def test_retry_after_seconds_is_honoured() -> None:
    h = harness({"/x": [page(429, b"", {"retry-after": "30"}), page()]})
    result = h.fetch("/x")
    assert result.attempts == (
        attempt("/x", 429, error="429 Too Many Requests, retry after 30s", retried=True),
        attempt("/x", t=30, size=len(HTML)),
    )
    assert h.clock.sleeps == [30.0]  # the server asked more than backoff and delay


def test_retry_after_http_date_is_relative_to_now() -> None:
    when = format_datetime(START + timedelta(seconds=45), usegmt=True)
    h = harness({"/x": [page(503, b"", {"retry-after": when}), page()]})
    result = h.fetch("/x")
    assert result.attempts[0].error == "503 Service Unavailable, retry after 45s"
    assert h.server.starts == [1000.0, 1045.0]


def test_retry_after_shorter_than_backoff_waits_the_backoff() -> None:
    h = harness({"/x": [page(500, b"", {"retry-after": "0"}), page()]}, delay_seconds=0)
    h.fetch("/x")
    assert h.clock.sleeps == [1.0]


@pytest.mark.parametrize("value", ["soon", "-5", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_unreadable_or_past_retry_after_falls_back_to_backoff(value: str) -> None:
    h = harness({"/x": [page(500, b"", {"retry-after": value}), page()]}, delay_seconds=0)
    assert h.fetch("/x").outcome == "ok"
    assert h.clock.sleeps == [1.0]


def test_retry_after_over_the_cap_gives_up_and_holds_the_host() -> None:
    h = harness(
        {"/x": page(429, b"", {"retry-after": "3600"}), "/y": page()},
        retry_after_max_seconds=600,
    )
    result = h.fetch("/x")
    error = "429 Too Many Requests, retry after 3600s (over the 600s we wait)"
    assert (result.outcome, result.error) == ("error", f"gave up after 1 attempt: {error}")
    assert result.attempts == (attempt("/x", 429, error=error),)
    assert h.clock.sleeps == []  # no retry sooner than asked: no retry at all
    # The next request to the host still waits as long as we are willing to (the cap).
    h.fetch("/y")
    assert h.server.starts == [1000.0, 1600.0]


def test_retry_after_holds_every_worker_not_just_the_retrying_one() -> None:
    h = harness({"/x": page(503, b"", {"retry-after": "120"}), "/y": page()}, max_retries=0)
    h.fetch("/x")
    h.fetch("/y")
    assert h.server.starts == [1000.0, 1120.0]


@pytest.mark.parametrize(
    ("exc", "error"),
    [
        (httpx.ConnectError, "connection failed: boom"),
        (httpx.ConnectTimeout, "timeout: connect (boom)"),
        (httpx.ReadTimeout, "timeout: read (boom)"),
        (httpx.ReadError, "network: boom"),
        (httpx.RemoteProtocolError, "protocol error: boom"),
    ],
)
def test_transport_errors_are_retried(exc: type[httpx.TransportError], error: str) -> None:
    h = harness({"/x": [fail(exc), page()]})
    result = h.fetch("/x")
    assert result.outcome == "ok"
    assert result.attempts == (
        attempt("/x", None, error=error, retried=True),
        attempt("/x", t=2.0, size=len(HTML)),
    )


def test_connection_reset_is_named() -> None:
    h = harness({"/x": fail(httpx.ReadError, "[Errno 104] Connection reset by peer")})
    result = h.fetch("/x")
    assert result.error == "gave up after 5 attempts: connection reset: [Errno 104] " + (
        "Connection reset by peer"
    )
    assert result.http_status is None
    assert len(result.attempts) == 5


def test_truncated_body_is_retried() -> None:
    h = harness({})
    truncated = Stream(
        [b"<html>half"],
        then_raise=httpx.RemoteProtocolError("peer closed connection without sending complete"),
    )
    h.server.routes["/x"] = [streamed(truncated), page()]
    result = h.fetch("/x")
    assert result.outcome == "ok"
    assert result.attempts[0] == attempt(
        "/x",
        200,
        error="protocol error: peer closed connection without sending complete",
        retried=True,
        size=10,
    )


def test_corrupt_gzip_is_an_error_not_retried() -> None:
    h = harness({"/x": page(headers={"content-encoding": "gzip"}, body=b"not gzip at all")})
    result = h.fetch("/x")
    assert result.outcome == "error"
    assert result.error is not None and result.error.startswith("bad content encoding")
    assert len(result.attempts) == 1


# -- throttling ---------------------------------------------------------------------------


def test_throttling_doubles_the_delay_and_success_restores_it() -> None:
    h = harness({"/busy": page(429, b""), "/ok": page()}, max_retries=0)
    assert h.fetcher.current_delay == 2.0
    h.fetch("/busy")
    assert h.fetcher.current_delay == 4.0
    h.fetch("/busy")
    assert (h.fetcher.current_delay, h.fetcher.throttle_streak) == (8.0, 2)
    h.fetch("/ok")
    assert (h.fetcher.current_delay, h.fetcher.throttle_streak) == (2.0, 0)
    # measured at the server: 2s, then 4s, then 8s between starts
    assert h.server.starts == [1000.0, 1004.0, 1012.0]


def test_throttle_doubling_is_capped() -> None:
    h = harness({"/busy": page(503, b"")}, max_retries=0, backoff_max_seconds=10)
    for _ in range(5):
        h.fetch("/busy")
    assert h.fetcher.current_delay == 10.0


def test_zero_delay_still_slows_down_when_throttled() -> None:
    h = harness({"/busy": page(503, b"")}, max_retries=0, delay_seconds=0)
    h.fetch("/busy")
    assert h.fetcher.current_delay == 2.0  # backoff base, doubled


def test_other_errors_break_a_throttling_streak() -> None:
    h = harness({"/busy": page(429, b""), "/broken": page(500, b"")}, max_retries=0)
    h.fetch("/busy")
    h.fetch("/broken")
    assert h.fetcher.throttle_streak == 0


def test_too_many_throttling_answers_in_a_row_refuse_the_site() -> None:
    h = harness({"/a": page(429, b""), "/b": page(503, b""), "/c": page()}, throttle_stop_after=3)
    # /a: 3 attempts would be allowed by max_retries, but the third 429 ends the run.
    with pytest.raises(SiteRefused) as caught:
        h.fetch("/a")
    exc = caught.value
    assert str(exc) == (
        "the site answered 3 requests in a row with 429/503 (throttling), the last 429 for "
        "https://example.org/a; stopping so as not to burden it, the next run carries on"
    )
    assert (exc.url, exc.status, exc.exit_code) == (SITE + "/a", 429, 4)
    assert [a.http_status for a in exc.attempts] == [429, 429, 429]
    assert [a.retried for a in exc.attempts] == [True, True, False]
    # Once refused, nothing more is sent, from any caller.
    with pytest.raises(SiteRefused):
        h.fetch("/c")
    with pytest.raises(SiteRefused):
        h.fetcher.load_robots(SITE)
    assert len(h.server.hits) == 3


def test_throttling_streak_spans_urls() -> None:
    h = harness({"/a": page(429, b""), "/b": page(503, b"")}, max_retries=0, throttle_stop_after=2)
    assert h.fetch("/a").outcome == "error"
    with pytest.raises(SiteRefused) as caught:
        h.fetch("/b")
    assert caught.value.attempts == (attempt("/b", 503, t=4.0, error="503 Service Unavailable"),)


# -- limits -------------------------------------------------------------------------------


def test_too_large_by_content_length_reads_nothing() -> None:
    h = harness({"/big": page(body=b"x" * 2000)}, max_page_bytes=1000)
    result = h.fetch("/big")
    assert result == FetchResult(
        url=SITE + "/big",
        outcome="too_large",
        http_status=200,
        final_url=SITE + "/big",
        body=None,
        text=None,
        encoding=None,
        etag=None,
        last_modified=None,
        content_type="text/html; charset=utf-8",
        error="body over max_page_bytes (1000)",
        attempts=(attempt("/big", error="body over max_page_bytes (1000)"),),
    )


def test_too_large_while_streaming_stops_reading() -> None:
    h = harness({}, max_page_bytes=1000)
    stream = Stream([b"x" * 400] * 10)  # chunked, no Content-Length
    h.server.routes["/big"] = [streamed(stream)]
    result = h.fetch("/big")
    assert (result.outcome, result.body, result.text) == ("too_large", None, None)
    assert stream.pulled == 3  # the fourth 400 bytes were never asked for
    assert result.attempts == (attempt("/big", error="body over max_page_bytes (1000)", size=1200),)


def test_body_exactly_at_the_cap_is_fine() -> None:
    h = harness({"/x": page(body=b"x" * 1000)}, max_page_bytes=1000)
    assert h.fetch("/x").outcome == "ok"


def test_slow_drip_cannot_stretch_the_total_deadline() -> None:
    h = harness({}, timeout_seconds=5, max_retries=0)
    drip = Stream([b"x"] * 100, clock=h.clock, seconds_per_chunk=1.0)
    h.server.routes["/drip"] = [streamed(drip)]
    result = h.fetch("/drip")
    assert (result.outcome, result.error) == (
        "error",
        "gave up after 1 attempt: timeout: over the 5s deadline",
    )
    assert drip.pulled == 6
    assert result.attempts == (
        attempt("/drip", error="timeout: over the 5s deadline", size=6, elapsed_ms=6000),
    )


def test_slow_drip_is_retried_like_a_timeout() -> None:
    h = harness({}, timeout_seconds=5, delay_seconds=0)
    drip = Stream([b"x"] * 100, clock=h.clock, seconds_per_chunk=1.0)
    h.server.routes["/drip"] = [streamed(drip), page()]
    result = h.fetch("/drip")
    assert result.outcome == "ok"
    assert [a.retried for a in result.attempts] == [True, False]


# -- redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirect_within_host_with_relative_location(status: int) -> None:
    h = harness({"/hmicfrs/?p=6989": redirect("../recommendation/x/6989/#top", status)})
    h.server.routes["/recommendation/x/6989/"] = [page()]
    result = h.fetch("/hmicfrs/?p=6989")
    assert (result.outcome, result.http_status, result.final_url, result.body) == (
        "ok",
        200,
        SITE + "/recommendation/x/6989/",
        HTML,
    )
    # each hop is a request: recorded, and spaced by the gate like any other
    assert result.attempts == (
        attempt("/hmicfrs/?p=6989", status),
        attempt("/recommendation/x/6989/", t=2.0, size=len(HTML)),
    )


def test_redirect_to_another_allowed_host_ignores_case_and_port() -> None:
    h = harness(
        {"/old": redirect("https://NEW.Example.org:8443/new")},
        allowed_hosts=("example.org", "new.example.org"),
    )
    h.server.routes["/new"] = [page()]
    result = h.fetch("/old")
    assert (result.outcome, result.final_url) == ("ok", "https://new.example.org:8443/new")
    assert [hit.url for hit in h.server.hits] == [SITE + "/old", "https://new.example.org:8443/new"]


def test_redirect_off_site_is_recorded_not_followed() -> None:
    h = harness({"/rec/1/": redirect("https://www.gov.uk/elsewhere", 302)})
    result = h.fetch("/rec/1/")
    assert result == FetchResult(
        url=SITE + "/rec/1/",
        outcome="redirect_offsite",
        http_status=302,
        final_url="https://www.gov.uk/elsewhere",
        body=None,
        text=None,
        encoding=None,
        etag=None,
        last_modified=None,
        content_type=None,
        error="redirect off-site to https://www.gov.uk/elsewhere",
        attempts=(attempt("/rec/1/", 302),),
    )
    assert len(h.server.hits) == 1


def test_redirect_to_another_scheme_is_off_site() -> None:
    h = harness({"/x": redirect("ftp://example.org/file")})
    assert h.fetch("/x").outcome == "redirect_offsite"


@pytest.mark.parametrize("location", ["mailto:someone@example.org", "http://[::1"])
def test_malformed_location_is_an_error_not_retried(location: str) -> None:
    h = harness({"/x": redirect(location)})
    result = h.fetch("/x")
    assert result.outcome == "error"
    assert result.error is not None and result.error.startswith("bad redirect Location: ")
    assert len(result.attempts) == 1


def test_redirect_loop_is_detected() -> None:
    h = harness({"/a": redirect("/b"), "/b": redirect("/a")})
    result = h.fetch("/a")
    assert (result.outcome, result.final_url, result.error) == (
        "redirect_loop",
        SITE + "/a",
        "redirect loop back to https://example.org/a",
    )
    assert [a.url for a in result.attempts] == [SITE + "/a", SITE + "/b"]


def test_redirect_to_itself_is_a_loop() -> None:
    h = harness({"/a": redirect("/a")})
    assert h.fetch("/a").outcome == "redirect_loop"
    assert len(h.server.hits) == 1


def test_more_than_max_redirects_is_a_loop() -> None:
    h = harness({f"/r{i}": redirect(f"/r{i + 1}") for i in range(11)} | {"/r11": page()})
    result = h.fetch("/r0")
    assert (result.outcome, result.final_url, result.error) == (
        "redirect_loop",
        SITE + "/r11",
        "more than 10 redirects",
    )
    assert len(result.attempts) == 11


def test_exactly_max_redirects_is_followed() -> None:
    h = harness({f"/r{i}": redirect(f"/r{i + 1}") for i in range(10)} | {"/r10": page()})
    result = h.fetch("/r0")
    assert (result.outcome, result.final_url, len(result.attempts)) == ("ok", SITE + "/r10", 11)


def test_redirect_without_location_is_an_error() -> None:
    h = harness({"/x": lambda request: httpx.Response(302)})
    result = h.fetch("/x")
    assert (result.outcome, result.http_status, result.error) == (
        "error",
        302,
        "302 without Location",
    )


def test_redirect_hop_is_retried_on_its_own() -> None:
    h = harness({"/a": redirect("/b"), "/b": [page(502, b""), page()]}, delay_seconds=0)
    result = h.fetch("/a")
    assert result.outcome == "ok"
    assert [(a.url, a.http_status, a.retried) for a in result.attempts] == [
        (SITE + "/a", 301, False),
        (SITE + "/b", 502, True),
        (SITE + "/b", 200, False),
    ]


# -- robots.txt ---------------------------------------------------------------------------

ROBOTS = b"""\
User-agent: *
Disallow: /wp-admin/
Crawl-delay: 1

User-agent: hmicfrs-archive
Disallow: /hmicfrs/private/
Allow: /hmicfrs/
Crawl-delay: 5

Sitemap: https://example.org/wp-sitemap.xml
Sitemap: /news-sitemap.xml
"""


def robots_text(body: bytes = ROBOTS, status: int = 200) -> Handler:
    return page(status, body, {"content-type": "text/plain"})


def test_robots_200_is_parsed() -> None:
    h = harness({"/robots.txt": robots_text()})
    robots = h.fetcher.load_robots(SITE + "/hmicfrs/")
    assert robots == Robots(
        url=SITE + "/robots.txt",
        http_status=200,
        body=ROBOTS,
        sitemaps=(SITE + "/wp-sitemap.xml", SITE + "/news-sitemap.xml"),
        crawl_delay=5.0,
        attempts=(attempt("/robots.txt", size=len(ROBOTS)),),
        user_agent=UA,
    )
    # our own group applies, not the * group
    assert robots.allows(SITE + "/hmicfrs/recommendation/metropolitan/4104/")
    assert not robots.allows(SITE + "/hmicfrs/private/x")
    assert robots.allows(SITE + "/wp-admin/")
    assert h.fetcher.loaded_robots == (robots,)


def test_robots_crawl_delay_larger_than_ours_is_adopted() -> None:
    h = harness({"/robots.txt": robots_text(), "/a": page(), "/b": page()})
    h.fetcher.load_robots(SITE)
    assert h.fetcher.current_delay == 5.0
    h.fetch("/a")
    h.fetch("/b")
    assert h.server.starts == [1000.0, 1005.0, 1010.0]


def test_robots_crawl_delay_is_capped() -> None:
    h = harness(
        {"/robots.txt": robots_text(b"User-agent: *\nCrawl-delay: 600\n")},
        crawl_delay_max_seconds=60,
    )
    robots = h.fetcher.load_robots(SITE)
    assert (robots.crawl_delay, h.fetcher.current_delay) == (600.0, 60.0)


def test_robots_crawl_delay_smaller_than_ours_is_ignored() -> None:
    h = harness({"/robots.txt": robots_text(b"User-agent: *\nCrawl-delay: 1\n")})
    h.fetcher.load_robots(SITE)
    assert h.fetcher.current_delay == 2.0


def test_robots_disallowed_url_is_never_requested() -> None:
    h = harness({"/robots.txt": robots_text(), "/hmicfrs/ok": page()})
    result = h.fetch("/hmicfrs/private/x", check_robots=True)
    assert result == FetchResult(
        url=SITE + "/hmicfrs/private/x",
        outcome="robots_disallowed",
        http_status=None,
        final_url=SITE + "/hmicfrs/private/x",
        body=None,
        text=None,
        encoding=None,
        etag=None,
        last_modified=None,
        content_type=None,
        error="disallowed by robots.txt",
        attempts=(),
    )
    assert h.fetch("/hmicfrs/ok", check_robots=True).outcome == "ok"
    # robots.txt was read once, lazily, for the host
    assert [hit.url for hit in h.server.hits] == [SITE + "/robots.txt", SITE + "/hmicfrs/ok"]


def test_redirect_into_a_disallowed_path_is_not_followed() -> None:
    h = harness({"/robots.txt": robots_text(), "/go": redirect("/hmicfrs/private/x")})
    result = h.fetch("/go", check_robots=True)
    assert (result.outcome, result.final_url, result.http_status) == (
        "robots_disallowed",
        SITE + "/hmicfrs/private/x",
        301,
    )


@pytest.mark.parametrize("status", [401, 403, 404, 410])
def test_robots_4xx_allows_everything(status: int) -> None:
    h = harness({"/robots.txt": page(status, b"<h1>Not found</h1>")})
    robots = h.fetcher.load_robots(SITE)
    assert robots == Robots(
        url=SITE + "/robots.txt",
        http_status=status,
        body=None,
        sitemaps=(),
        crawl_delay=None,
        attempts=(attempt("/robots.txt", status, size=18),),
        user_agent=UA,
        note=f"robots.txt answered {status}: no rules, everything allowed",
    )
    assert robots.allows(SITE + "/anything")


@pytest.mark.parametrize(
    "handler",
    [
        page(500, b"Internal error", {"content-type": "text/plain"}),
        # Protego would read this as "allow everything"; RFC 9309 says a 5xx disallows.
        page(500, b"<html><body>Database error</body></html>"),
        page(503, b"<html><body>Maintenance</body></html>"),
    ],
)
def test_robots_5xx_means_the_site_is_unreachable(handler: Handler) -> None:
    h = harness({"/robots.txt": handler, "/page": page()}, delay_seconds=0)
    with pytest.raises(SiteUnreachable) as caught:
        h.fetcher.load_robots(SITE)
    exc = caught.value
    assert exc.exit_code == 4
    assert exc.url == SITE + "/robots.txt"
    assert str(exc).startswith(f"cannot read {SITE}/robots.txt after 5 attempts: 50")
    assert len(exc.attempts) == 5
    assert {hit.url for hit in h.server.hits} == {SITE + "/robots.txt"}


def test_robots_unreachable_stops_fetching_before_any_page() -> None:
    h = harness({"/robots.txt": fail(httpx.ConnectError, "refused"), "/page": page()})
    with pytest.raises(SiteUnreachable) as caught:
        h.fetch("/page", check_robots=True)
    assert str(caught.value) == (
        f"cannot read {SITE}/robots.txt after 5 attempts: connection failed: refused"
    )
    assert [a.error for a in caught.value.attempts] == ["connection failed: refused"] * 5
    # other workers are told at once, without asking again
    with pytest.raises(SiteUnreachable):
        h.fetch("/page", check_robots=True)
    assert [hit.url for hit in h.server.hits] == [SITE + "/robots.txt"] * 5


def test_robots_429_after_retries_is_a_refusal() -> None:
    h = harness({"/robots.txt": page(429, b"")}, max_retries=1)
    with pytest.raises(SiteRefused) as caught:
        h.fetcher.load_robots(SITE)
    assert len(caught.value.attempts) == 2


def test_robots_html_200_has_no_rules() -> None:
    body = b"<!DOCTYPE html><html><body>Welcome</body></html>"
    h = harness({"/robots.txt": page(200, body, {"content-type": "text/plain"})})
    robots = h.fetcher.load_robots(SITE)
    assert (robots.body, robots.rules, robots.sitemaps) == (body, None, ())
    assert robots.note == "robots.txt answered 2xx with an HTML page: no rules, everything allowed"
    assert robots.allows(SITE + "/wp-admin/")


def test_robots_rules_labelled_text_html_are_still_rules() -> None:
    h = harness({"/robots.txt": page(200, b"User-agent: *\nDisallow: /private/\n")})
    robots = h.fetcher.load_robots(SITE)
    assert (robots.note, robots.allows(SITE + "/private/x")) == (None, False)


def test_robots_empty_200_allows_everything() -> None:
    h = harness({"/robots.txt": robots_text(b"")})
    robots = h.fetcher.load_robots(SITE)
    assert (robots.http_status, robots.body, robots.allows(SITE + "/x")) == (200, b"", True)


def test_robots_redirect_within_hosts_is_followed() -> None:
    h = harness(
        {"/robots.txt": redirect("https://new.example.org/robots.txt")},
        allowed_hosts=("example.org", "new.example.org"),
    )
    h.server.routes["/robots.txt"].append(robots_text(b"User-agent: *\nDisallow: /x\n"))
    robots = h.fetcher.load_robots(SITE)
    assert robots.url == SITE + "/robots.txt"
    assert [a.http_status for a in robots.attempts] == [301, 200]
    assert not robots.allows(SITE + "/x")


def test_robots_redirect_off_site_is_unreachable() -> None:
    h = harness({"/robots.txt": redirect("https://elsewhere.example.com/robots.txt")})
    with pytest.raises(SiteUnreachable, match="redirect off-site"):
        h.fetcher.load_robots(SITE)


def test_robots_is_read_once_per_origin_by_concurrent_workers() -> None:
    h = harness({"/robots.txt": robots_text(), "/hmicfrs/a": page()}, delay_seconds=0)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: h.fetch("/hmicfrs/a", check_robots=True), range(8)))
    assert {r.outcome for r in results} == {"ok"}
    assert [hit.url for hit in h.server.hits].count(SITE + "/robots.txt") == 1


# -- the politeness gate ------------------------------------------------------------------


def test_request_starts_are_spaced_by_delay_plus_seeded_jitter() -> None:
    h = harness({"/p": page()}, delay_seconds=2.0, jitter_seconds=1.5, rand=random.Random(7).random)
    for _ in range(6):
        h.fetch("/p")
    expected_rand = random.Random(7)
    jitters = [1.5 * expected_rand.random() for _ in range(6)]  # one draw per request
    gaps = [b - a for a, b in zip(h.server.starts, h.server.starts[1:], strict=False)]
    assert gaps == pytest.approx([2.0 + j for j in jitters[1:]])


def test_gap_is_timed_from_when_the_answer_began() -> None:
    """The server may have got a request any time until its answer began: time from there."""
    h = harness({})

    def slow_to_answer(request: httpx.Request) -> httpx.Response:
        h.clock.advance(1.5)  # server-side work before the first byte of the answer
        return page()(request)

    h.server.routes["/slow"] = [slow_to_answer]
    h.server.routes["/p"] = [page()]
    h.fetch("/slow")
    h.fetch("/p")
    assert h.server.starts == [1000.0, 1003.5]


def test_gap_after_a_failed_request_is_timed_from_the_failure() -> None:
    h = harness({}, max_retries=0)

    def hang_then_fail(request: httpx.Request) -> httpx.Response:
        h.clock.advance(30)
        raise httpx.ReadTimeout("timed out", request=request)

    h.server.routes["/hang"] = [hang_then_fail]
    h.server.routes["/p"] = [page()]
    h.fetch("/hang")
    h.fetch("/p")
    assert h.server.starts == [1000.0, 1032.0]


def test_no_wait_when_the_gap_has_already_passed() -> None:
    h = harness({"/p": page()})
    h.fetch("/p")
    h.clock.advance(10)
    h.fetch("/p")
    assert h.clock.sleeps == []


def test_hosts_are_gated_separately() -> None:
    h = harness({"/p": page()}, allowed_hosts=("example.org", "other.example.org"))
    h.fetch("/p")
    h.fetcher.fetch("https://other.example.org/p", check_robots=False)
    assert h.clock.sleeps == []


def test_gate_spaces_starts_across_threads() -> None:
    h = harness({"/p": page()}, delay_seconds=2.0, concurrency=3)
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda _: h.fetch("/p"), range(12)))
    starts = sorted(h.server.starts)
    assert len(starts) == 12
    assert min(b - a for a, b in zip(starts, starts[1:], strict=False)) >= 2.0


@pytest.mark.parametrize("concurrency", [1, 3])
def test_never_more_than_concurrency_requests_in_flight(concurrency: int) -> None:
    """Real threads: the server holds each request until `concurrency` are in flight."""
    lock = threading.Lock()
    in_flight = 0
    peak = 0
    # Requests are released in groups of `concurrency`: with the gate working, each group
    # forms at once; a gate letting more through shows up in `peak`.
    barrier = threading.Barrier(concurrency, timeout=5)

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        with lock:
            in_flight += 1
            peak = max(peak, in_flight)
        try:
            barrier.wait()
            # Hold the group a moment, so that any request a broken gate let through
            # arrives while it is still in flight.
            threading.Event().wait(0.003)
            with lock:
                seen = in_flight
            return httpx.Response(200, content=str(seen).encode())
        finally:
            with lock:
                in_flight -= 1

    h = harness({"/p": handler}, delay_seconds=0, concurrency=concurrency)
    with ThreadPoolExecutor(concurrency * 3) as pool:
        results = list(pool.map(lambda _: h.fetch("/p"), range(concurrency * 6)))
    assert {r.outcome for r in results} == {"ok"}
    assert peak == concurrency


# -- decoding -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "text", "encoding"),
    [
        ("café".encode(), "text/html; charset=utf-8", "café", "utf-8"),
        (
            b"caf\xe9 \x93q\x94 \x80",
            "text/html; charset=windows-1252",
            "café \u201cq\u201d €",
            "cp1252",
        ),
        # latin-1 labels mean windows-1252, as in browsers: 0x93/0x94 are curly quotes
        (
            b"\x93quoted\x94 caf\xe9",
            "text/html; charset=ISO-8859-1",
            "\u201cquoted\u201d café",
            "cp1252",
        ),
        (b"caf\xe9", 'text/html; charset="latin1"', "café", "cp1252"),
        # header first, then meta
        (
            b'<meta charset="utf-8"><p>caf\xe9',
            "text/html; charset=windows-1252",
            '<meta charset="utf-8"><p>café',
            "cp1252",
        ),
        (
            b'<meta charset="windows-1252"><p>caf\xe9',
            "text/html",
            '<meta charset="windows-1252"><p>café',
            "cp1252",
        ),
        (
            b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15"><p>\xa4',
            None,
            '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-15"><p>€',
            "iso8859-15",
        ),
        (
            b'<?xml version="1.0" encoding="windows-1252"?><a>\x80</a>',
            "application/xml",
            '<?xml version="1.0" encoding="windows-1252"?><a>€</a>',
            "cp1252",
        ),
        # a bad charset name falls through to the next source, never raises
        ("café".encode(), "text/html; charset=no-such-charset", "café", "utf-8"),
        (b'<meta charset="bogus"><p>ok', None, '<meta charset="bogus"><p>ok', "utf-8"),
        # nothing declared: UTF-8, with replacement for bytes that are not
        (b"caf\xe9 ok", None, "caf\ufffd ok", "utf-8"),
        (b"ok \xff\xfe", "text/html; charset=utf-8", "ok \ufffd\ufffd", "utf-8"),
        # a BOM outranks any declaration and is not part of the text
        (b"\xef\xbb\xbfcaf\xc3\xa9", "text/html; charset=windows-1252", "café", "utf-8"),
        ("\ufeffcafé".encode("utf-16-le"), None, "café", "utf-16-le"),
    ],
)
def test_decode_text(body: bytes, content_type: str | None, text: str, encoding: str) -> None:
    assert decode_text(body, content_type) == (text, encoding)


def test_fetch_keeps_raw_bytes_and_decodes_text() -> None:
    body = b"<p>Chief Constable\x92s response \x96 caf\xe9</p>"
    h = harness(
        {"/x": page(body=body, headers={"content-type": "text/html; charset=windows-1252"})}
    )
    result = h.fetch("/x")
    assert (result.body, result.text, result.encoding) == (
        body,
        "<p>Chief Constable\u2019s response \u2013 café</p>",
        "cp1252",
    )


@pytest.mark.parametrize(
    ("coding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_content_encodings_are_decoded(coding: str, compress: Callable[[bytes], bytes]) -> None:
    compressed = compress(HTML * 20)
    h = harness({"/x": page(body=compressed, headers={"content-encoding": coding})})
    result = h.fetch("/x")
    assert (result.outcome, result.body) == ("ok", HTML * 20)
    assert result.attempts[0].bytes == len(compressed)  # as received on the wire


def test_size_cap_applies_to_the_decoded_body() -> None:
    bomb = gzip.compress(b"x" * 100_000)
    h = harness(
        {"/x": page(body=bomb, headers={"content-encoding": "gzip"})}, max_page_bytes=10_000
    )
    assert len(bomb) < 10_000
    assert h.fetch("/x").outcome == "too_large"


@pytest.mark.parametrize(
    ("coding", "compress"),
    [
        ("gzip, gzip", lambda b: gzip.compress(gzip.compress(b))),
        ("deflate, br", lambda b: brotli.compress(zlib.compress(b))),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("gzip", lambda b: gzip.compress(b[:500]) + gzip.compress(b[500:])),  # two members
        ("identity, gzip", gzip.compress),
    ],
)
def test_stacked_and_odd_content_encodings_are_decoded(
    coding: str, compress: Callable[[bytes], bytes]
) -> None:
    h = harness({"/x": page(body=compress(HTML * 20), headers={"content-encoding": coding})})
    assert (h.fetch("/x").outcome, h.fetch("/x").body) == ("ok", HTML * 20)


@pytest.mark.parametrize(
    ("coding", "error"),
    [
        ("zstd", "bad content encoding: unsupported content encoding 'zstd'"),
        ("gzip, gzip, gzip, gzip", "bad content encoding: 4 stacked content encodings"),
    ],
)
def test_encodings_we_cannot_bound_are_errors_not_retried(coding: str, error: str) -> None:
    h = harness({"/x": page(body=b"whatever", headers={"content-encoding": coding})})
    result = h.fetch("/x")
    assert (result.outcome, result.error, len(result.attempts)) == ("error", error, 1)


def test_a_host_name_that_does_not_resolve_is_not_retried() -> None:
    h = harness({"/x": fail(httpx.ConnectError, "[Errno -3] Temporary failure in name resolution")})
    result = h.fetch("/x")
    assert (result.outcome, result.error, len(result.attempts)) == (
        "error",
        "cannot resolve the host name: [Errno -3] Temporary failure in name resolution",
        1,
    )
    assert h.clock.sleeps == []


def test_a_url_with_credentials_is_not_on_an_allowed_host() -> None:
    h = harness({})
    assert h.fetcher.is_allowed_host("https://user:pw@example.org/x") is False
    assert h.fetcher.is_allowed_host("https://example.org/x") is True


def test_robots_sitemap_lines_never_keep_credentials() -> None:
    body = b"User-agent: *\nAllow: /\nSitemap: https://user:pw@example.org/s.xml\n"
    h = harness({"/robots.txt": page(body=body, headers={"content-type": "text/plain"})})
    assert h.fetcher.load_robots(SITE).sitemaps == (SITE + "/s.xml",)


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(["gzip", "deflate", "br", "gzip, gzip", "deflate, br", "x-gzip"]),
    st.binary(max_size=2000),
    st.booleans(),
)
def test_any_body_under_any_encoding_is_a_result_never_an_exception(
    coding: str, noise: bytes, wrap: bool
) -> None:
    body = gzip.compress(noise) + noise[:7] if wrap else noise
    h = harness({"/x": page(body=body, headers={"content-encoding": coding})}, max_page_bytes=5000)
    result = h.fetch("/x")
    assert result.outcome in ("ok", "error", "too_large")
    assert result.outcome != "error" or (
        (result.error or "").startswith("bad content encoding") or result.error == "empty body"
    )
