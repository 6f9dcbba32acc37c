"""The network layer: the ONLY module in the project that imports httpx or talks to the network.

It owns everything between a URL and the bytes the site answered with:

- robots.txt, read through Protego with RFC 9309 meaning (2xx parsed, 4xx allows everything,
  5xx or no connection means the site cannot be crawled: `SiteUnreachable`, exit 4);
- the politeness gate: at most `concurrency` requests in flight to one host, and the starts of
  two requests to one host at least `current_delay` (+ random jitter) apart; retries and
  redirect hops pass through the gate like any other request;
- retries with tenacity (exponential backoff with jitter, Retry-After honoured in both forms);
- throttling: 429/503 answers in a row double the delay, and too many stop the run
  (`SiteRefused`, exit 4);
- conditional requests, limits (connect/read timeouts, one wall-clock deadline per request
  from connect to last byte, `max_page_bytes` checked as the decoded body grows,
  redirects only within `allowed_hosts`, never a URL with credentials) and decoding;
- Content-Encoding (gzip, deflate, br, stacked) decoded here in bounded steps, so a small
  compressed body cannot expand past the size cap in memory.

The client, sleep, monotonic clock, wall clock and random source are all injected, so that
every timing rule here is tested with `httpx.MockTransport` and a fake clock, without waiting.
It knows nothing of HTML structure, the database or the command line.
"""

from __future__ import annotations

import functools
import logging
import math
import random
import re
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import brotli
import tenacity
from protego import Protego
from tenacity.stop import stop_base
from tenacity.wait import wait_base

from scraper.config import DEFAULTS, Config
from scraper.errors import FetchAborted, SiteRefused, SiteUnreachable
from scraper.fetched import EMPTY_BODY, Attempt, FetchOutcome, FetchResult, decode_text

# httpcore imports trio when it is installed (selenium, in the test extra, brings it) for
# async clients under trio, and httpx imports its own command line (pygments): this sync
# client uses neither, and loading them was a third of a crawl's start-up. A None in
# sys.modules makes their import fail as if they were absent, only while these two load.
_HIDDEN = [name for name in ("trio", "httpx._main") if name not in sys.modules]
sys.modules.update(dict.fromkeys(_HIDDEN))
try:
    import httpcore  # noqa: E402
    import httpx  # noqa: E402
finally:
    for _name in _HIDDEN:
        del sys.modules[_name]

logger = logging.getLogger(__name__)

# Outcomes of FetchResult.outcome (scraper.fetched.FetchOutcome).
OK = FetchOutcome.OK
NOT_MODIFIED = FetchOutcome.NOT_MODIFIED
REDIRECT_OFFSITE = FetchOutcome.REDIRECT_OFFSITE
REDIRECT_LOOP = FetchOutcome.REDIRECT_LOOP
TOO_LARGE = FetchOutcome.TOO_LARGE
ERROR = FetchOutcome.ERROR
ROBOTS_DISALLOWED = FetchOutcome.ROBOTS_DISALLOWED

# The start of a fetch error when the host name does not resolve: no network, or a typo.
CANNOT_RESOLVE = "cannot resolve the host name"

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
THROTTLE_STATUSES = frozenset({429, 503})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

# Bodies we do not keep (redirects, 5xx pages) are read up to this much so the connection can
# be reused; past it the connection is dropped instead.
_DISCARDED_BODY_LIMIT = 64 * 1024
# Exponent ceiling for the throttle doubling, so a long streak cannot overflow a float.
_MAX_DOUBLINGS = 30
# Decompression works in steps of at most this much output, so the size cap is checked
# before a compressed body can expand any further.
_DECODE_STEP = 64 * 1024
# Content-Encoding layers we undo at most ("gzip, gzip" is legal; ten layers is an attack).
_MAX_ENCODINGS = 3


@dataclass(frozen=True)
class FetchPolicy:
    """Every politeness and limit setting the fetcher obeys; built once from config."""

    user_agent: str
    allowed_hosts: tuple[str, ...]  # host names, ports ignored, compared case-insensitively
    # Defaults are config.yaml's (scraper.config.FIELDS), declared there once.
    delay_seconds: float = DEFAULTS["crawl.delay_seconds"]  # least gap between request STARTS
    jitter_seconds: float = DEFAULTS["crawl.jitter_seconds"]  # random extra 0..jitter per gap
    concurrency: int = DEFAULTS["crawl.concurrency"]  # max requests in flight to one host
    timeout_seconds: float = DEFAULTS["crawl.timeout_seconds"]  # read timeout AND a deadline
    connect_timeout_seconds: float = DEFAULTS["crawl.connect_timeout_seconds"]
    max_page_bytes: int = DEFAULTS["crawl.max_page_bytes"]  # enforced while streaming
    max_retries: int = DEFAULTS["crawl.max_retries"]  # retries after the first attempt
    backoff_base_seconds: float = DEFAULTS["crawl.backoff_base_seconds"]
    backoff_max_seconds: float = DEFAULTS["crawl.backoff_max_seconds"]
    retry_after_max_seconds: float = DEFAULTS["crawl.retry_after_max_seconds"]
    throttle_stop_after: int = DEFAULTS["crawl.throttle_stop_after"]  # 429/503 in a row
    crawl_delay_max_seconds: float = DEFAULTS["crawl.crawl_delay_max_seconds"]
    max_redirects: int = 10

    @classmethod
    def from_config(cls, config: Config) -> FetchPolicy:
        """The policy a config asks for: every crawl setting of the same name, and the hosts."""
        names = {f.name for f in fields(cls)} & {f.name for f in fields(config.crawl)}
        values = {name: getattr(config.crawl, name) for name in names}
        return cls(allowed_hosts=config.site.allowed_hosts, **values)

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        if self.max_retries < 0 or self.max_redirects < 0 or self.throttle_stop_after < 1:
            raise ValueError("max_retries, max_redirects >= 0 and throttle_stop_after >= 1")
        if min(self.delay_seconds, self.jitter_seconds, self.backoff_base_seconds) < 0:
            raise ValueError("delays must not be negative")


@dataclass(frozen=True)
class Robots:
    """A site's robots.txt as read at the start of a run, and what it means for us."""

    url: str
    http_status: int | None
    body: bytes | None  # kept as a snapshot by the store
    sitemaps: tuple[str, ...]  # absolute Sitemap: URLs
    crawl_delay: float | None  # as the file states it for our agent (before any cap)
    attempts: tuple[Attempt, ...]
    user_agent: str = ""
    note: str | None = None  # why the rules mean what they mean, for the log
    rules: Protego | None = field(default=None, repr=False, compare=False)

    def allows(self, url: str) -> bool:
        """Whether our user agent may fetch `url` (no rules means everything is allowed)."""
        return self.rules is None or self.rules.can_fetch(url, self.user_agent)


def make_fetcher(config: Config, sleep: Callable[[float], None] = time.sleep) -> Fetcher:
    """A Fetcher with a real client for this config (`sleep`: e.g. StopFlag.sleep)."""
    policy = FetchPolicy.from_config(config)
    return Fetcher(make_client(policy), policy, sleep=sleep)


def make_client(policy: FetchPolicy, transport: httpx.BaseTransport | None = None) -> httpx.Client:
    """The one httpx.Client of a run, with every timeout and redirect decision made explicit.

    Without an injected transport, the real one reads and writes through `_DeadlineBackend`,
    so each request's total deadline also bounds the time spent waiting for its headers.
    """
    if transport is None:
        transport = _deadline_transport()
    timeout = httpx.Timeout(
        connect=policy.connect_timeout_seconds,
        read=policy.timeout_seconds,
        write=policy.timeout_seconds,
        pool=policy.timeout_seconds,
    )
    return _Client(
        transport=transport,
        timeout=timeout,
        # We follow redirects ourselves so that every hop's host is checked and every hop
        # passes the politeness gate.
        follow_redirects=False,
        headers={"User-Agent": policy.user_agent, "Accept-Encoding": "gzip, deflate, br"},
        # Never credentials from ~/.netrc: nothing we send carries a password. (With a
        # transport given, httpx takes no proxy from the environment either.)
        trust_env=False,
    )


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, skipping the jar's look at an answer that sets no cookie.

    httpx hands every response to the stdlib's CookieJar, which wraps the request and the
    response in urllib objects (a URL parse and a header copy) to find no Set-Cookie header:
    a tenth of httpx's cost per request. An answer that sets one is read as before.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _Client(httpx.Client):
    """httpx.Client with the cookie jar above (cookies are kept and sent as before)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = self._cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._cookies

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        self._cookies = _Cookies(cookies)


# The wall-clock deadline (time.monotonic) of the request this thread is sending, if any.
_REQUEST_DEADLINE = threading.local()


def _bounded(timeout: float | None, error: type[Exception]) -> float | None:
    """`timeout` cut to what is left of this thread's request deadline."""
    deadline = getattr(_REQUEST_DEADLINE, "at", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("over the request's total deadline")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose every read and write ends by the request's deadline.

    httpx's read timeout bounds each gap between bytes, so a server sending its headers a
    byte a second could hold a request for hours; cutting each wait to the time left cannot.
    """

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend with connects, reads and writes bounded by the deadline."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Any = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Any = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _deadline_transport() -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport()
    # httpx builds its httpcore pool without a way to pass a network backend; the pool keeps
    # it in one attribute that every new connection reads.
    pool = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return transport


class _BodyTooLarge(Exception):
    """A decoding step took the body (or a layer of it) past its cap."""


class _UnsupportedEncoding(Exception):
    """A Content-Encoding we did not ask for and cannot decode within bounds."""


class _BadEncoding(Exception):
    """A compressed body that does not decompress."""


def _decoders(content_encoding: str | None) -> list[Callable[[bytes], Iterator[bytes]]]:
    """One incremental decoder per Content-Encoding layer, in the order to apply them."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",")]
    codings = [c for c in codings if c and c != "identity"]
    if len(codings) > _MAX_ENCODINGS:
        raise _UnsupportedEncoding(f"{len(codings)} stacked content encodings")
    decoders = []
    for coding in reversed(codings):  # the last encoding applied is undone first
        if coding in ("gzip", "x-gzip"):
            decoders.append(_ZlibDecoder(zlib.MAX_WBITS | 16))
        elif coding == "deflate":
            decoders.append(_ZlibDecoder(zlib.MAX_WBITS, raw_fallback=True))
        elif coding == "br":
            decoders.append(_BrotliDecoder())
        else:
            raise _UnsupportedEncoding(f"unsupported content encoding {coding[:40]!r}")
    return decoders


class _ZlibDecoder:
    """gzip (every member) or deflate (zlib-wrapped or raw), at most a step of output a call."""

    def __init__(self, wbits: int, raw_fallback: bool = False) -> None:
        self._wbits = wbits
        self._raw_fallback = raw_fallback
        self._first = True
        self._obj = zlib.decompressobj(wbits)

    def __call__(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while True:
            try:
                out = self._obj.decompress(pending, _DECODE_STEP)
            except zlib.error as exc:
                if self._raw_fallback and self._first:
                    # Some servers send raw deflate under "deflate"; try that once.
                    self._raw_fallback = False
                    self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise _BadEncoding(str(exc)) from exc
            self._first = False
            if out:
                yield out
            elif pending and self._obj.unconsumed_tail == pending and not self._obj.eof:
                raise _BadEncoding("deflate stream makes no progress")
            pending = self._obj.unconsumed_tail
            if self._obj.eof:
                rest = self._obj.unused_data
                if not rest.startswith(b"\x1f\x8b"):
                    return  # trailing garbage after the stream is ignored, as browsers do
                self._obj = zlib.decompressobj(self._wbits)  # a further gzip member
                pending = rest
                continue
            if not pending and len(out) < _DECODE_STEP:
                return


class _BrotliDecoder:
    """br, at most about a step of output a call (brotli >= 1.2's output_buffer_limit)."""

    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def __call__(self, data: bytes) -> Iterator[bytes]:
        try:
            if self._obj.is_finished():
                return
            out = self._obj.process(data, output_buffer_limit=_DECODE_STEP)
            if out:
                yield out
            while not self._obj.can_accept_more_data() and not self._obj.is_finished():
                out = self._obj.process(b"", output_buffer_limit=_DECODE_STEP)
                if not out:
                    return
                yield out
        except brotli.error as exc:
            raise _BadEncoding(f"brotli: {exc}") from exc


def _decoded(
    pieces: Iterator[bytes], decoders: list[Callable[[bytes], Iterator[bytes]]], limit: int
) -> Iterator[bytes]:
    """The pieces with each decoder applied in turn, lazily; an inner layer may not grow past
    twice the cap (plus a step): nothing legitimate is bigger compressed than plain."""
    inner_limit = 2 * limit + _DECODE_STEP
    for decoder in decoders:
        pieces = _capped(_through(pieces, decoder), inner_limit)
    return pieces


def _through(
    pieces: Iterator[bytes], decoder: Callable[[bytes], Iterator[bytes]]
) -> Iterator[bytes]:
    for piece in pieces:
        yield from decoder(piece)


def _capped(pieces: Iterator[bytes], limit: int) -> Iterator[bytes]:
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > limit:
            raise _BodyTooLarge
        yield piece


def _iso(moment: datetime) -> str:
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _origin(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}"


@functools.lru_cache(maxsize=256)
def _url(url: str) -> httpx.URL:
    """httpx's reading of `url`, made once: a request's URL is read five times on its way out
    (credentials, host, fragment, robots, gate), and each reading cost as much as a parse.
    httpx.URL is immutable, so the threads share it."""
    return httpx.URL(url)


def _without_fragment(url: str) -> str:
    parsed = _url(url)
    if "#" not in url:  # nothing to drop: no second parse (copy_with reads the URL again)
        return str(parsed)
    return str(parsed.copy_with(fragment=None))


def _has_userinfo(url: str) -> bool:
    try:
        return bool(_url(url).userinfo)
    except httpx.InvalidURL:
        return "@" in url.partition("//")[2].partition("/")[0]


def _redacted(url: str) -> str:
    """`url` without its user name and password, to be logged or stored."""
    if not _has_userinfo(url):
        return url
    try:
        return str(httpx.URL(url).copy_with(username=None, password=None))
    except (httpx.InvalidURL, TypeError):
        return "(a URL with credentials)"


def _same_page(a: str, b: str) -> bool:
    """Whether a redirect from `a` to `b` only respells the URL (scheme, trailing slash)."""
    ua, ub = _url(a), _url(b)
    return (
        ua.host.lower() == ub.host.lower()
        and ua.path.rstrip("/") == ub.path.rstrip("/")
        and ua.query == ub.query
    )


def _attempts(count: int) -> str:
    return f"{count} attempt" if count == 1 else f"{count} attempts"


def _describe(exc: Exception) -> str:
    """A short cause for a transport failure, for `fetches.error`."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        kind = {
            httpx.ConnectTimeout: "connect",
            httpx.ReadTimeout: "read",
            httpx.WriteTimeout: "write",
            httpx.PoolTimeout: "pool",
        }.get(type(exc), "request")
        return f"timeout: {kind} ({detail})"
    if _is_name_resolution_failure(exc):
        return f"{CANNOT_RESOLVE}: {detail}"
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed: {detail}"
    if _is_bad_location(exc):
        return f"bad redirect Location: {detail}"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"protocol error: {detail}"
    if isinstance(exc, httpx.NetworkError):
        return f"connection reset: {detail}" if "reset" in detail.lower() else f"network: {detail}"
    if isinstance(exc, httpx.DecodingError):
        return f"bad content encoding: {detail}"
    return f"request failed: {type(exc).__name__}: {detail}"


def _is_retryable(exc: Exception) -> bool:
    # Timeouts, refused/reset connections and truncated bodies may go away on a second try;
    # a bad URL, a bad Location, a bad proxy or corrupt gzip will not.
    if _is_bad_location(exc):
        return False
    # No DNS answer is no network (or a mistyped host): retrying it for a minute helps no one.
    if _is_name_resolution_failure(exc):
        return False
    return isinstance(exc, httpx.TimeoutException | httpx.NetworkError | httpx.RemoteProtocolError)


def _is_name_resolution_failure(exc: BaseException) -> bool:
    """Whether a connect failed because the host name did not resolve (socket.gaierror)."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 10:
        if isinstance(cause, socket.gaierror):
            return True
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return isinstance(exc, httpx.ConnectError) and bool(_GAI_MESSAGE.search(str(exc)))


_GAI_MESSAGE = re.compile(
    r"name or service not known|temporary failure in name resolution|nodename nor servname"
    r"|no address associated with hostname|getaddrinfo failed|\[errno -[23589]\]",
    re.I,
)


def _is_bad_location(exc: Exception) -> bool:
    # httpx reports an unparseable Location as a protocol error even with redirects off.
    return isinstance(exc, httpx.RemoteProtocolError) and "location header" in str(exc).lower()


class _DeadlineExceeded(Exception):
    """The total deadline of one request passed while its answer was still arriving."""


@dataclass
class _Answer:
    """One attempt's outcome as the retry loop and the redirect loop need it."""

    status: int | None
    headers: httpx.Headers | None
    body: bytes | None
    error: str | None
    retryable: bool = False
    retry_after: float | None = None
    too_large: bool = False


@dataclass
class _Hop:
    """Where following a URL's redirects ended."""

    kind: str  # "answer" or one of REDIRECT_OFFSITE, REDIRECT_LOOP, ROBOTS_DISALLOWED, ERROR
    url: str
    answer: _Answer | None
    error: str | None = None
    tries: int = 0  # requests sent for the last URL of the chain (1 + retries)


class _HostGate:
    """Concurrency and spacing of request starts for one host.

    A request's start is taken as the later of the moment it passed the gate and the moment
    its answer began (or it failed): the only moment we know the server has it. Timing the
    gap from there keeps it at least the delay as the server measures it, even when one
    request had to open a connection and the next reused it. For the same reason, while a
    gap is to be kept, no request passes until the one before it is known to have arrived:
    a request that passed the gate may still sit unsent for a while (a new connection, a
    busy thread), and timing the next from the moment it passed would let the two reach the
    server closer together than the delay.
    """

    def __init__(self, concurrency: int) -> None:
        self._slots = threading.BoundedSemaphore(concurrency)
        # One waiter at a time, so starts go out in the order threads reached the gate.
        self._turn = threading.Lock()
        self._state = threading.Condition(threading.Lock())
        self._last_start: float | None = None
        self._not_before = float("-inf")
        self._passed = 0  # requests let through so far; each one's number is its ticket
        self._unconfirmed = 0  # ticket of the last one through, until it is confirmed; 0: none

    def _confirm(self, ticket: int, at: float) -> None:
        """Request `ticket` had certainly reached the server by `at`."""
        with self._state:
            if ticket != self._unconfirmed:
                return  # confirmed already: a later moment would only push the next start on
            self._last_start = at if self._last_start is None else max(self._last_start, at)
            self._unconfirmed = 0
            self._state.notify_all()

    def defer(self, until: float) -> None:
        """No request to this host may start before `until` (a Retry-After applies to all)."""
        with self._state:
            self._not_before = max(self._not_before, until)

    @contextmanager
    def slot(
        self,
        delay: Callable[[], float],
        jitter: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> Iterator[Callable[[float], None]]:
        """Hold one in-flight slot, entered no sooner than the delay after the last start.

        Yields `confirm(at)`, to be called once the request is known to have reached the
        server (its answer began, or it failed); leaving the slot confirms it in any case.
        """
        with self._slots:
            with self._turn:
                while True:
                    with self._state:
                        # Re-read the delay each time round: a throttling answer to another
                        # worker while we wait must slow us too.
                        gap = delay() + jitter
                        if gap > 0 and self._unconfirmed:
                            self._state.wait()
                            continue
                        ready_at = self._not_before
                        if self._last_start is not None:
                            ready_at = max(ready_at, self._last_start + gap)
                        wait = ready_at - clock()
                        if wait <= 0:
                            self._last_start = clock()
                            self._passed += 1
                            ticket = self._unconfirmed = self._passed
                            break
                    sleep(wait)
            try:
                yield lambda at: self._confirm(ticket, at)
            finally:
                self._confirm(ticket, clock())


class _BackoffWait(wait_base):
    """Exponential backoff with jitter, but never sooner than the server's Retry-After."""

    def __init__(self, policy: FetchPolicy, rand: Callable[[], float]) -> None:
        # tenacity draws its own jitter from the global `random`; ours comes from the injected
        # source so tests are deterministic, hence jitter=0 here.
        self._exponential = tenacity.wait_exponential_jitter(
            multiplier=policy.backoff_base_seconds, max=policy.backoff_max_seconds, jitter=0
        )
        self._jitter = policy.backoff_base_seconds
        self._max = policy.backoff_max_seconds
        self._rand = rand

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        backoff = min(self._exponential(retry_state) + self._rand() * self._jitter, self._max)
        answer = retry_state.outcome.result() if retry_state.outcome else None
        if answer is not None and answer.retry_after is not None:
            return max(backoff, answer.retry_after)
        return backoff


class _StopIfRetryAfterOverCap(stop_base):
    """Give up at once when the server asks us to wait longer than we are willing to."""

    def __init__(self, cap: float) -> None:
        self._cap = cap

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        outcome = retry_state.outcome
        if outcome is None or outcome.failed:
            return False
        retry_after = outcome.result().retry_after
        return retry_after is not None and retry_after > self._cap


class Fetcher:
    """Polite, thread-safe fetching of one site's pages; see the module docstring."""

    def __init__(
        self,
        client: httpx.Client,
        policy: FetchPolicy,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rand: Callable[[], float] = random.random,
    ) -> None:
        self._client = client
        self._policy = policy
        self._sleep = sleep
        self._clock = clock
        self._now = now
        self._rand = rand
        self._hosts = frozenset(host.lower() for host in policy.allowed_hosts)
        self._lock = threading.Lock()  # guards the shared state below
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, Robots] = {}
        self._robots_loading = threading.Lock()
        # A robots.txt we could not read ends the run; remembered so that no other worker
        # sends the same doomed requests again.
        self._robots_failed: dict[str, SiteRefused | SiteUnreachable] = {}
        self._crawl_delay = 0.0  # adopted from robots.txt, already capped
        self._throttle_streak = 0
        self._refused: SiteRefused | None = None

    # -- public -------------------------------------------------------------------------

    @property
    def current_delay(self) -> float:
        """The least gap between request starts to one host in force now."""
        with self._lock:
            return self._delay_locked()

    @property
    def throttle_streak(self) -> int:
        """Throttling answers (429/503) received in a row, across the run."""
        with self._lock:
            return self._throttle_streak

    @property
    def loaded_robots(self) -> tuple[Robots, ...]:
        """Every robots.txt read so far (one per origin), for the store to snapshot."""
        with self._lock:
            return tuple(self._robots.values())

    def is_allowed_host(self, url: str) -> bool:
        """Whether `url` is http(s) on one of the allowed hosts (ports ignored)."""
        try:
            parsed = _url(url)
        except httpx.InvalidURL:
            return False
        return (
            parsed.scheme in {"http", "https"}
            and parsed.host.lower() in self._hosts
            and not parsed.userinfo
        )

    def load_robots(self, base_url: str) -> Robots:
        """Read the robots.txt of `base_url`'s origin and adopt it for that origin.

        RFC 9309: a 2xx body is parsed (one that is plainly an HTML page, or empty, has no
        rules and so allows everything); 4xx allows everything; 5xx, 429 or no answer after
        retries, a redirect off the allowed hosts or a loop mean we cannot know the rules, so
        we may crawl nothing: SiteUnreachable (429: SiteRefused), carrying the attempts.
        """
        self._raise_if_refused()
        url = str(httpx.URL(base_url).join("/robots.txt"))
        attempts: list[Attempt] = []
        try:
            hop = self._follow(url, {}, attempts, check_robots=False)
            robots = self._interpret_robots(url, hop, attempts)
        except FetchAborted as exc:
            raise exc.with_attempts(tuple(attempts)) from exc
        self._adopt(robots)
        return robots

    def robots_for(self, url: str) -> Robots:
        """The robots.txt in force for `url`'s origin, reading it first if not yet read."""
        origin = _origin(_url(url))
        with self._lock:
            robots = self._robots.get(origin)
        if robots is not None:
            return robots
        # Only one worker reads a robots.txt; the others wait for its rules.
        with self._robots_loading:
            with self._lock:
                robots = self._robots.get(origin)
            if robots is not None:
                return robots
            failed = self._robots_failed.get(origin)
            if failed is not None:
                raise type(failed)(str(failed), url=failed.url, status=failed.status)
            try:
                return self.load_robots(origin)
            except (SiteRefused, SiteUnreachable) as exc:
                self._robots_failed[origin] = exc
                raise

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        check_robots: bool = True,
        max_bytes: int | None = None,
        follow_redirects: bool = True,
    ) -> FetchResult:
        """Fetch one URL politely. Never raises for a failure of this URL alone.

        `max_bytes` replaces `max_page_bytes` as the cap of this one body (a sitemap may be
        50 MB by its protocol). With `follow_redirects` False a redirect is not followed: the
        result is a redirect_offsite whose final_url is the Location (a web archive's capture
        of a redirect is the redirect itself).

        Raises SiteRefused when throttling answers in a row reach `throttle_stop_after` (or
        already did, in any thread), and SiteUnreachable if the robots.txt of a host met here
        for the first time cannot be read. Any exception that ends a fetch early (these, or
        one raised by the injected `sleep` when a run is asked to stop mid-backoff) carries the
        requests already sent as `.attempts`, so the caller can keep them on record.
        """
        self._raise_if_refused()
        headers: dict[str, bytes] = {}
        # Sent on every hop to the same page (a redirect answer ignores them, and a trailing
        # slash or https fix leads back to the page they came from), dropped once a redirect
        # leads to another page, whose 304 would vouch for a body we do not have. As bytes,
        # because httpx refuses non-ASCII str headers and a server's validator is whatever
        # it sent.
        if etag:
            headers["If-None-Match"] = etag.encode()
        if last_modified:
            headers["If-Modified-Since"] = last_modified.encode()
        attempts: list[Attempt] = []
        try:
            hop = self._follow(
                url,
                headers,
                attempts,
                check_robots=check_robots,
                limit=max_bytes,
                follow=follow_redirects,
            )
        except FetchAborted as exc:
            raise exc.with_attempts(tuple(attempts)) from exc
        return self._result(url, hop, attempts, etag, last_modified)

    # -- shared state -------------------------------------------------------------------

    def _delay_locked(self) -> float:
        base = max(self._policy.delay_seconds, self._crawl_delay)
        if not self._throttle_streak:
            return base
        # Doubling zero would not slow anything, so a zero delay doubles from the backoff base.
        start = base or self._policy.backoff_base_seconds
        doubled = start * 2 ** min(self._throttle_streak, _MAX_DOUBLINGS)
        return min(doubled, max(base, self._policy.backoff_max_seconds))

    def _gate(self, url: httpx.URL) -> _HostGate:
        host = url.host.lower()
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = self._gates[host] = _HostGate(self._policy.concurrency)
            return gate

    def _raise_if_refused(self) -> None:
        with self._lock:
            refused = self._refused
        if refused is not None:
            raise SiteRefused(str(refused), url=refused.url, status=refused.status)

    def _note_status(self, url: str, status: int | None) -> None:
        """Count throttling answers in a row; past the limit, refuse the rest of the run."""
        if status is None:
            return  # no answer says nothing about throttling either way
        with self._lock:
            if status not in THROTTLE_STATUSES:
                self._throttle_streak = 0
                return
            self._throttle_streak += 1
            streak = self._throttle_streak
            delay = self._delay_locked()
            if streak >= self._policy.throttle_stop_after and self._refused is None:
                self._refused = SiteRefused(
                    f"the site answered {streak} requests in a row with 429/503 (throttling), "
                    f"the last {status} for {url}; stopping so as not to burden it, "
                    "the next run carries on",
                    url=url,
                    status=status,
                )
            refused = self._refused
        if refused is not None:
            raise SiteRefused(str(refused), url=refused.url, status=refused.status)
        logger.warning(
            "throttled (%s) by %s: %d in a row, delay now %gs", status, url, streak, delay
        )

    def _adopt(self, robots: Robots) -> None:
        with self._lock:
            self._robots[_origin(httpx.URL(robots.url))] = robots
            if robots.crawl_delay is None or robots.crawl_delay <= self._policy.delay_seconds:
                return
            adopted = min(robots.crawl_delay, self._policy.crawl_delay_max_seconds)
            self._crawl_delay = max(self._crawl_delay, adopted)
        if adopted < robots.crawl_delay:
            logger.warning(
                "robots.txt %s asks a Crawl-delay of %gs; honouring %gs (crawl_delay_max_seconds)",
                robots.url,
                robots.crawl_delay,
                adopted,
            )
        else:
            logger.info("robots.txt %s: adopting its Crawl-delay of %gs", robots.url, adopted)

    # -- requests -----------------------------------------------------------------------

    def _follow(
        self,
        url: str,
        headers: dict[str, bytes],
        attempts: list[Attempt],
        *,
        check_robots: bool,
        limit: int | None = None,
        follow: bool = True,
    ) -> _Hop:
        """Request `url`, following redirects within the allowed hosts (if `follow`)."""
        if _has_userinfo(url):
            # httpx would send it as Authorization: Basic; we never send credentials.
            return _Hop(ERROR, _redacted(url), None, "refused: the URL carries credentials")
        if not self.is_allowed_host(url):
            return _Hop(ERROR, url, None, f"not on an allowed host: {url}")
        current = _without_fragment(url)
        seen = {current}
        redirects = 0
        while True:
            if check_robots and not self.robots_for(current).allows(current):
                return _Hop(ROBOTS_DISALLOWED, current, None, "disallowed by robots.txt")
            before = len(attempts)
            answer = self._send(current, headers, attempts, limit=limit)
            tries = len(attempts) - before
            if answer.status not in REDIRECT_STATUSES or answer.error is not None:
                return _Hop("answer", current, answer, tries=tries)
            location = answer.headers.get("location") if answer.headers else None
            if not location:
                return _Hop(ERROR, current, answer, f"{answer.status} without Location", tries)
            try:
                target = _without_fragment(str(httpx.URL(current).join(location.strip())))
            except httpx.InvalidURL:
                return _Hop(ERROR, current, answer, f"bad Location: {location!r}", tries)
            if _has_userinfo(target):
                message = f"refused a redirect to a URL with credentials ({_redacted(target)})"
                return _Hop(ERROR, current, answer, message, tries)
            if not follow:
                return _Hop(REDIRECT_OFFSITE, target, answer, f"redirect to {target} not followed")
            if not self.is_allowed_host(target):
                return _Hop(REDIRECT_OFFSITE, target, answer, f"redirect off-site to {target}")
            if target in seen:
                return _Hop(REDIRECT_LOOP, target, answer, f"redirect loop back to {target}")
            if redirects >= self._policy.max_redirects:
                message = f"more than {self._policy.max_redirects} redirects"
                return _Hop(REDIRECT_LOOP, target, answer, message)
            redirects += 1
            seen.add(target)
            if headers and not _same_page(current, target):
                headers = {}
            current = target

    def _send(
        self,
        url: str,
        headers: dict[str, bytes],
        attempts: list[Attempt],
        *,
        limit: int | None = None,
    ) -> _Answer:
        """One request with its retries."""
        policy = self._policy
        retrying = tenacity.Retrying(
            sleep=self._sleep,
            stop=(
                tenacity.stop_after_attempt(policy.max_retries + 1)
                | _StopIfRetryAfterOverCap(policy.retry_after_max_seconds)
            ),
            wait=_BackoffWait(policy, self._rand),
            retry=tenacity.retry_if_result(lambda answer: answer.retryable),
            # Giving up is an outcome, not an exception: hand back the last answer.
            retry_error_callback=lambda state: state.outcome.result(),
            before_sleep=self._log_retry,
        )
        first = len(attempts)
        try:
            return retrying(self._attempt, url, headers, attempts, limit=limit)
        finally:
            for index in range(first, len(attempts) - 1):
                attempts[index] = replace(attempts[index], retried=True)

    @staticmethod
    def _log_retry(retry_state: tenacity.RetryCallState) -> None:
        url = retry_state.args[0] if retry_state.args else "?"
        answer = retry_state.outcome.result() if retry_state.outcome else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        cause = answer.error if answer is not None else "?"
        logger.info("retrying %s in %.1fs: %s", url, wait, cause)

    def _attempt(
        self,
        url: str,
        headers: dict[str, bytes],
        attempts: list[Attempt],
        *,
        limit: int | None = None,
    ) -> _Answer:
        """Send exactly one request through the gate and record it."""
        self._raise_if_refused()
        target = _url(url)
        gate = self._gate(target)
        jitter = self._policy.jitter_seconds * self._rand()
        with gate.slot(self._delay_now, jitter, self._clock, self._sleep) as confirm:
            # Another worker may have been refused while we waited our turn.
            self._raise_if_refused()
            requested_at = _iso(self._now())
            started = self._clock()
            status: int | None = None
            received = 0
            answered_url: str | None = None
            total = self._policy.timeout_seconds
            late = f"timeout: over the {total:g}s deadline"
            over_deadline = _Answer(status, None, None, late, True)
            _REQUEST_DEADLINE.at = time.monotonic() + total
            try:
                with self._client.stream("GET", target, headers=headers) as response:
                    confirm(self._clock())
                    status = response.status_code
                    answered_url = str(response.url)
                    try:
                        answer = self._read(response, started, limit)
                    finally:
                        received = response.num_bytes_downloaded
            except _DeadlineExceeded:
                answer = replace(over_deadline, status=status)
            except httpx.HTTPError as exc:
                if time.monotonic() >= _REQUEST_DEADLINE.at:
                    answer = replace(over_deadline, status=status)
                else:
                    answer = _Answer(status, None, None, _describe(exc), _is_retryable(exc))
            except httpx.InvalidURL as exc:
                # httpx parses a redirect's Location even when not following it, and a
                # malformed one ("mailto:x@y") fails there, before we see the response.
                answer = _Answer(status, None, None, f"bad redirect Location: {exc}")
            finally:
                _REQUEST_DEADLINE.at = None
            if status is None:
                confirm(self._clock())  # it failed before any answer
            elapsed_ms = round((self._clock() - started) * 1000)
        if answer.retry_after is not None:
            gate.defer(
                self._clock() + min(answer.retry_after, self._policy.retry_after_max_seconds)
            )
        attempts.append(
            Attempt(
                url=url,
                requested_at=requested_at,
                http_status=status,
                final_url=answered_url,
                elapsed_ms=elapsed_ms,
                bytes=received,
                error=answer.error,
                retried=False,
            )
        )
        self._note_status(url, status)
        return answer

    def _delay_now(self) -> float:
        # Called by a gate under its own lock; taking ours inside it is safe because nothing
        # takes a gate's lock while holding ours.
        return self.current_delay

    def _read(self, response: httpx.Response, started: float, limit: int | None = None) -> _Answer:
        """Read (or skip) a response's body within the size cap and the total deadline."""
        policy = self._policy
        status = response.status_code
        headers = response.headers
        self._check_deadline(started)
        if status in RETRY_STATUSES:
            self._discard_body(response, started)
            retry_after = self._retry_after(headers.get("retry-after"))
            error = f"{status} {response.reason_phrase}"
            if retry_after is not None:
                error += f", retry after {retry_after:g}s"
                if retry_after > policy.retry_after_max_seconds:
                    error += f" (over the {policy.retry_after_max_seconds:g}s we wait)"
            return _Answer(status, headers, None, error, True, retry_after)
        if status >= 500 or status in REDIRECT_STATUSES or status == 304:
            self._discard_body(response, started)
            error = f"{status} {response.reason_phrase}" if status >= 500 else None
            return _Answer(status, headers, None, error)
        cap = policy.max_page_bytes if limit is None else limit
        named = "max_page_bytes" if limit is None else "the size limit"
        too_large = f"body over {named} ({cap})"
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > cap:
            # Declared too large: do not download any of it.
            return _Answer(status, headers, None, too_large, too_large=True)
        try:
            decoders = (
                [] if response.is_stream_consumed else _decoders(headers.get("content-encoding"))
            )
        except _UnsupportedEncoding as exc:
            return _Answer(status, headers, None, f"bad content encoding: {exc}")
        try:
            body = self._read_body(response, started, cap, decoders)
        except _BadEncoding as exc:
            return _Answer(status, headers, None, f"bad content encoding: {exc}")
        if body is None:
            return _Answer(status, headers, None, too_large, too_large=True)
        return _Answer(status, headers, body, None)

    def _raw_pieces(self, response: httpx.Response, started: float) -> Iterator[bytes]:
        if response.is_stream_consumed:
            # Built with its content already read (an injected transport): httpx decoded it.
            yield response.content
            return
        for chunk in response.iter_raw():
            yield chunk
            # httpx's read timeout bounds each gap between bytes; the deadline backend and
            # this bound the total, so a server dripping a byte a second cannot hold a
            # worker for ever (this one also under the injected clock).
            self._check_deadline(started)

    def _read_body(
        self,
        response: httpx.Response,
        started: float,
        limit: int,
        decoders: list[Callable[[bytes], Iterator[bytes]]],
    ) -> bytes | None:
        """The decoded body, or None once it (or a layer of it) grows past `limit`: decoded
        here in bounded steps from the raw bytes, the rest never read nor decompressed."""
        chunks: list[bytes] = []
        size = 0
        try:
            for piece in _decoded(self._raw_pieces(response, started), decoders, limit):
                size += len(piece)
                if size > limit:
                    return None
                chunks.append(piece)
                self._check_deadline(started)
        except _BodyTooLarge:
            return None
        return b"".join(chunks)

    def _discard_body(self, response: httpx.Response, started: float) -> None:
        """Read a body we do not keep, undecoded, up to a small cap (then drop the connection)."""
        size = 0
        for chunk in self._raw_pieces(response, started):
            size += len(chunk)
            if size > _DISCARDED_BODY_LIMIT:
                return

    def _check_deadline(self, started: float) -> None:
        if self._clock() - started > self._policy.timeout_seconds:
            raise _DeadlineExceeded

    def _retry_after(self, value: str | None) -> float | None:
        """Seconds to wait from a Retry-After header (delta seconds or HTTP date), or None."""
        if value is None:
            return None
        value = value.strip()
        try:
            seconds = float(value)
        except ValueError:
            pass
        else:
            return seconds if seconds >= 0 else None
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            logger.info("ignoring an unreadable Retry-After: %r", value)
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)  # HTTP dates are GMT
        # An HTTP date has whole seconds: round up, never retry sooner than asked.
        return float(max(0, math.ceil((when - self._now()).total_seconds())))

    # -- results ------------------------------------------------------------------------

    def _result(
        self,
        url: str,
        hop: _Hop,
        attempts: list[Attempt],
        etag: str | None,
        last_modified: str | None,
    ) -> FetchResult:
        answer = hop.answer
        status = attempts[-1].http_status if attempts else None
        headers = answer.headers if answer is not None and answer.headers is not None else None
        content_type = headers.get("content-type") if headers is not None else None
        result = FetchResult(
            url=url,
            outcome=hop.kind,
            http_status=status,
            final_url=hop.url,
            body=None,
            text=None,
            encoding=None,
            etag=None,
            last_modified=None,
            content_type=content_type,
            error=hop.error,
            attempts=tuple(attempts),
            sent_etag=etag,
            sent_last_modified=last_modified,
        )
        if hop.kind != "answer" or answer is None:
            return result
        if answer.too_large:
            return replace(result, outcome=TOO_LARGE, error=answer.error)
        if answer.error is not None:
            error = answer.error
            if answer.retryable:
                error = f"gave up after {_attempts(hop.tries)}: {error}"
            return replace(result, outcome=ERROR, error=error)
        assert headers is not None and answer.status is not None
        if answer.status == 304:
            # A 304 need not repeat the validators; the ones we sent still stand.
            return replace(
                result,
                outcome=NOT_MODIFIED,
                etag=headers.get("etag") or etag,
                last_modified=headers.get("last-modified") or last_modified,
            )
        body = answer.body or b""
        if not body and 200 <= answer.status < 300:
            return replace(result, outcome=ERROR, error=EMPTY_BODY)
        text, encoding = decode_text(body, content_type)
        return replace(
            result,
            outcome=OK,
            body=body,
            text=text,
            encoding=encoding,
            etag=headers.get("etag"),
            last_modified=headers.get("last-modified"),
        )

    def _interpret_robots(self, url: str, hop: _Hop, attempts: list[Attempt]) -> Robots:
        status = attempts[-1].http_status if attempts else None
        answer = hop.answer
        if hop.kind != "answer" or answer is None:
            raise SiteUnreachable(f"cannot read {url}: {hop.error}", url=url, status=status)
        if answer.too_large:
            raise SiteUnreachable(f"cannot read {url}: {answer.error}", url=url, status=status)
        if answer.error is not None:
            message = f"cannot read {url} after {_attempts(hop.tries)}: {answer.error}"
            if status == 429:
                raise SiteRefused(message, url=url, status=status)
            # RFC 9309 2.3.1.4: unreachable rules mean a complete disallow.
            raise SiteUnreachable(message, url=url, status=status)
        robots = Robots(
            url=url,
            http_status=status,
            body=None,
            sitemaps=(),
            crawl_delay=None,
            attempts=tuple(attempts),
            user_agent=self._policy.user_agent,
        )
        assert answer.status is not None
        if 400 <= answer.status < 500:
            # RFC 9309 2.3.1.3: "unavailable" (4xx) means no rules: everything is allowed.
            note = f"robots.txt answered {answer.status}: no rules, everything allowed"
            logger.info("%s %s", url, note)
            return replace(robots, note=note)
        if not 200 <= answer.status < 300:
            message = f"cannot read {url}: unexpected {answer.status}"
            raise SiteUnreachable(message, url=url, status=status)
        body = answer.body or b""
        text = body.decode("utf-8-sig", errors="replace")
        # Judged by the body, not the Content-Type: servers label real rule files text/html,
        # and ignoring real rules would be the impolite mistake.
        if text.lstrip().startswith("<"):
            # A 2xx page that is not a robots file holds no parseable rules (RFC 9309 2.3.1.1):
            # nothing is disallowed. Note it loudly: a CMS may be hiding the real file.
            note = "robots.txt answered 2xx with an HTML page: no rules, everything allowed"
            logger.warning("%s %s", url, note)
            return replace(robots, body=body, note=note)
        rules = Protego.parse(text)
        base = httpx.URL(url)
        sitemaps: list[str] = []
        for sitemap in rules.sitemaps:
            try:
                # Never a user name or password: these are logged and followed.
                sitemaps.append(_redacted(str(base.join(sitemap.strip()))))
            except httpx.InvalidURL:
                logger.info("%s: ignoring a bad Sitemap line %r", url, sitemap)
        return replace(
            robots,
            body=body,
            sitemaps=tuple(sitemaps),
            crawl_delay=rules.crawl_delay(self._policy.user_agent),
            rules=rules,
        )
