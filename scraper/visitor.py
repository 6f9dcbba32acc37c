"""One visit to one page: fetch it (in a worker thread, `fetch_only`), parse it and say what
it amounts to (in the run loop's thread, where the archive may be read); `fetch` does both of
the first two at once, for discovery, which visits one page at a time.

The request sends the stored version's validators and no others; the result is recorded
under the page an id URL or a moved recommendation led to, when it led to a live one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from scraper import observe as obs
from scraper.discover import SITEMAP_MAX_BYTES
from scraper.fetch import Fetcher, Robots
from scraper.fetched import FetchOutcome, FetchResult
from scraper.identity import Identify, PageIdentity
from scraper.parse import ParsedPage, parse_page
from store.archive import Archive, KnownPage, PageResult, format_time
from store.states import PageKind, PageState

Visit = tuple[FetchResult, ParsedPage | None]


class Visitor:
    """Visits pages for one run: `fetch` in a worker, `observe` in the loop."""

    def __init__(
        self,
        fetcher: Fetcher,
        archive: Archive,
        identify: Identify,
        now: Callable[[], datetime],
        max_page_bytes: int,
    ) -> None:
        self.fetcher, self.archive, self.identify, self.now = fetcher, archive, identify, now
        # The sitemap protocol allows 50 MB, more than a page may be.
        self.sitemap_bytes = max(SITEMAP_MAX_BYTES, max_page_bytes)

    def fetch(self, page: PageIdentity, known: KnownPage) -> Visit:
        """Fetch and parse one page; validators only of the stored body."""
        fetched, _ = self.fetch_only(page, known)
        return fetched, self.parse(page, fetched)

    def fetch_only(self, page: PageIdentity, known: KnownPage) -> Visit:
        """Fetch one page, to be parsed later (`parse`); validators only of the stored body."""
        etag, modified = (known.etag, known.last_modified) if known.has_body else (None, None)
        limits = {"max_bytes": self.sitemap_bytes} if page.kind == PageKind.SITEMAP else {}
        return self.fetcher.fetch(page.url, etag=etag, last_modified=modified, **limits), None

    def parse(self, page: PageIdentity, fetched: FetchResult) -> ParsedPage | None:
        """What the parser reads in a fetched page, if it is a kind it reads."""
        readable = page.kind in (PageKind.RECOMMENDATION, PageKind.LISTING)
        if readable and fetched.outcome == FetchOutcome.OK and fetched.text is not None:
            return parse_page(fetched.text, fetched.final_url or page.url)
        return None

    def observe(
        self, page: PageIdentity, known: KnownPage, fetched: FetchResult, parsed: ParsedPage | None
    ) -> PageResult:
        """The result of a visit, under the page an id URL or a moved recommendation led to."""
        target = obs.target(page, fetched, self.identify)
        if target.url != page.url:
            at = self.archive.known(target.url)
            result = obs.observe(target, fetched, parsed, at, self.iso())
            if result.state == PageState.LIVE or not page.is_recommendation_url:
                return result
        return obs.observe(page, fetched, parsed, known, self.iso())

    def robots(self, robots: Robots) -> PageResult:
        """The result of a robots.txt as the fetcher read it."""
        page = self.identify(robots.url, PageKind.ROBOTS)
        known = self.archive.known(page.url)
        args = (robots.http_status, robots.body, robots.attempts, known, self.iso())
        return obs.robots_result(page, *args)

    def iso(self) -> str:
        return format_time(self.now())
