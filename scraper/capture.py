"""A capture from a web archive (a Wayback memento, a WARC record) as a visit of a page.

`Capture` is what an archive kept of one response: the URL as captured, its time, status,
Location, Content-Type and bytes. `page_of` says which page of the site it is (or None: not a
page the crawler archives), spelling its URL the way the site's own crawl does, so http and
https, `www.`, a default port, a missing trailing slash and old and new hosts all land on one
page. `capture_result` sends it down the path a live fetch takes: the same parser, the same
`observe`, the same PageResult, at the capture's time and with its provenance. Pure: no
httpx, no sqlite, no clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from scraper import discover
from scraper import observe as obs
from scraper.fetched import EMPTY_BODY, Attempt, FetchOutcome, FetchResult, decode_text
from scraper.identity import Identify, PageIdentity
from scraper.parse import parse_page
from store.archive import KnownPage, PageResult, Provenance
from store.states import PageKind

REDIRECTS = frozenset({301, 302, 303, 307, 308})


@dataclass(frozen=True)
class Capture:
    """One archived response."""

    url: str  # as captured
    captured_at: str  # ISO 8601 UTC
    http_status: int
    body: bytes | None
    content_type: str | None = None
    location: str | None = None  # of a captured redirect, as the original site sent it
    truncated: str | None = None  # why the archived record is incomplete, if it is
    attempts: tuple[Attempt, ...] = ()  # requests to the archive that brought it


def site_spelling(url: str, base_url: str, allowed_hosts: Sequence[str]) -> str | None:
    """`url` spelt as the crawl spells the site's URLs: the scheme of site.base_url, its
    host for the same host with or without `www.`; None for a host the crawl never visits."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    base = urlsplit(base_url)
    base_host = (base.hostname or "").lower()
    bare = host.removeprefix("www.")
    if bare == base_host.removeprefix("www."):
        host = base_host
    elif host not in allowed_hosts and bare in allowed_hosts:
        host = bare
    elif host not in allowed_hosts and f"www.{host}" in allowed_hosts:
        host = f"www.{host}"
    if host not in allowed_hosts:
        return None
    netloc = base.netloc if host == base_host else host
    return discover.canonical_url(urlunsplit((base.scheme, netloc, parts.path, parts.query, "")))


def _listing_key(url: str) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    parts = urlsplit(url)
    query = tuple(sorted((k, v) for k, v in parse_qsl(parts.query) if k != "paged"))
    path = parts.path.rstrip("/")
    if "/page/" in path:
        path = path[: path.rindex("/page/")]
    return parts.netloc, path, query


def page_of(
    url: str, identify: Identify, listings: Sequence[str], allowed_hosts: Sequence[str]
) -> PageIdentity | None:
    """The page a captured URL is, if the crawler archives it: a recommendation page, an id
    URL (`?p=<id>`), or a page of a configured listing."""
    spelt = site_spelling(url, identify.base_url, allowed_hosts)
    if spelt is None:
        return None
    page = identify(spelt, PageKind.OTHER)
    if page.kind == PageKind.RECOMMENDATION:
        return page
    as_id = identify(spelt, PageKind.RECOMMENDATION)
    if as_id.rec_id is not None:
        return as_id
    key = _listing_key(spelt)
    if any(_listing_key(discover.canonical_url(listing)) == key for listing in listings):
        return identify(spelt, PageKind.LISTING)
    return None


def fetched_of(capture: Capture, max_page_bytes: int) -> FetchResult:
    """The capture as the fetch result a live request would have given."""
    result = FetchResult(
        url=capture.url, outcome=FetchOutcome.OK, http_status=capture.http_status,
        final_url=capture.url, body=None, text=None, encoding=None, etag=None,
        last_modified=None, content_type=capture.content_type, error=None,
        attempts=capture.attempts,
    )  # fmt: skip
    if capture.truncated is not None:
        return replace(result, outcome=FetchOutcome.ERROR, error=capture.truncated)
    if capture.http_status in REDIRECTS:
        if not capture.location:
            error = f"captured {capture.http_status} without Location"
            return replace(result, outcome=FetchOutcome.ERROR, error=error)
        target = discover.canonical_url(urljoin(capture.url, capture.location.strip()))
        return replace(result, outcome=FetchOutcome.REDIRECT_OFFSITE, final_url=target)
    body = capture.body or b""
    if len(body) > max_page_bytes:
        error = f"body over max_page_bytes ({max_page_bytes})"
        return replace(result, outcome=FetchOutcome.TOO_LARGE, error=error)
    if not body and 200 <= capture.http_status < 300:
        return replace(result, outcome=FetchOutcome.ERROR, error=EMPTY_BODY)
    text, encoding = decode_text(body, capture.content_type)
    return replace(result, body=body, text=text, encoding=encoding)


def redirects_to_itself(page: PageIdentity, fetched: FetchResult, identify: Identify) -> bool:
    """A captured redirect to another spelling of the same page (https, a trailing slash):
    it says nothing of the page."""
    if fetched.outcome != FetchOutcome.REDIRECT_OFFSITE or not fetched.final_url:
        return False
    target = identify(fetched.final_url, page.kind)
    if target.url == page.url:
        return True
    return (
        page.is_recommendation_url
        and target.is_recommendation_url
        and (target.force, target.rec_id) == (page.force, page.rec_id)
    )


def capture_result(
    capture: Capture,
    page: PageIdentity,
    known: KnownPage,
    provenance: Provenance,
    max_page_bytes: int,
    keep_requests: bool,
) -> PageResult:
    """The page result of one capture: parsed and observed as a live fetch, at its time.

    `keep_requests`: its requests (to the archive) become fetch rows; a capture read from a
    file made none.
    """
    fetched = fetched_of(capture, max_page_bytes)
    parsed = None
    readable = page.kind in (PageKind.RECOMMENDATION, PageKind.LISTING)
    if readable and fetched.outcome == FetchOutcome.OK and fetched.text is not None:
        parsed = parse_page(fetched.text, page.url)
    result = obs.observe(page, fetched, parsed, known, capture.captured_at)
    fetches = result.fetches if keep_requests and capture.attempts else ()
    return replace(result, observed_at=capture.captured_at, fetches=fetches, provenance=provenance)
