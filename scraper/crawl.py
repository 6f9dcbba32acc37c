"""Orchestration: discover pages, choose what is due, fetch, parse, hand results to the store.

This module decides nothing about bytes on the wire (fetch does) or about versions (the
store does). It maps what a fetch returned and what the parser read to a page state, keeps
the run within its budget, guards against layout drift and site-wide outages, stops cleanly
when asked to (StopFlag), and reports progress through a callback so that the CLI alone
decides how progress looks.

A run that must converge under a budget: discovery (sitemaps, listings) may spend at most
DISCOVERY_SHARE of it, the rest goes to recommendation pages (never fetched first, then the
longest unchecked). A discovery cut short by the budget is a "cycle" that later runs continue:
a listing or sitemap already fetched since the last complete discovery is read back from the
archive instead of being fetched again, so every run makes progress on both.
"""

from __future__ import annotations

import itertools
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scraper import discover
from scraper.config import Config
from scraper.errors import DriftDetected, SiteRefused, SiteUnreachable
from scraper.fetch import (
    Attempt,
    Fetcher,
    FetchPolicy,
    FetchResult,
    Robots,
    decode_text,
    make_client,
)
from scraper.parse import PARSER_VERSION, ParsedPage, parse_page
from store.archive import (
    Archive,
    Discovered,
    FetchRow,
    PageResult,
    ParsedRecord,
    format_time,
)
from store.schema import MISSING_STATES

logger = logging.getLogger(__name__)

Report = Callable[[str, dict[str, Any]], None]

MAX_LISTING_PAGES = 2000
MAX_SITEMAPS = 200
# Discovery may spend at most this share of a run's request and time budget.
DISCOVERY_SHARE = 0.5
# Pages in a row with no usable answer (5xx after retries, timeouts, refused connections)
# before the run stops as "site unreachable" (exit 4) instead of grinding through them all.
OUTAGE_STOP_AFTER = 10
# How much earlier than its interval says a page may count as due (see _with_slack).
REVISIT_SLACK_HOURS = 1.0


def _quiet(event: str, data: dict[str, Any]) -> None:
    """The default report: say nothing."""


def fetch_policy(config: Config) -> FetchPolicy:
    """The fetch module's policy from config values."""
    c = config.crawl
    return FetchPolicy(
        user_agent=c.user_agent,
        allowed_hosts=config.site.allowed_hosts,
        delay_seconds=c.delay_seconds,
        jitter_seconds=c.jitter_seconds,
        concurrency=c.concurrency,
        timeout_seconds=c.timeout_seconds,
        connect_timeout_seconds=c.connect_timeout_seconds,
        max_page_bytes=c.max_page_bytes,
        max_retries=c.max_retries,
        backoff_base_seconds=c.backoff_base_seconds,
        backoff_max_seconds=c.backoff_max_seconds,
        retry_after_max_seconds=c.retry_after_max_seconds,
        throttle_stop_after=c.throttle_stop_after,
        crawl_delay_max_seconds=c.crawl_delay_max_seconds,
    )


def make_fetcher(config: Config, sleep: Callable[[float], None] = time.sleep) -> Fetcher:
    """A Fetcher with a real client for this config (`sleep`: e.g. StopFlag.sleep)."""
    policy = fetch_policy(config)
    return Fetcher(make_client(policy), policy, sleep=sleep)


class RunInterrupted(Exception):
    """A wait was cut short because the run was asked to stop."""


class StopFlag:
    """A request to stop the run, from a signal handler or from the run itself.

    The crawl loop checks it between pages (the page in hand is still written); every wait of
    the fetcher goes through `sleep`, which raises RunInterrupted once a stop is asked for, so
    a page waiting out a backoff or a Retry-After is abandoned rather than waited for.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signum: int | None = None

    def request(self, signum: int | None = None) -> None:
        """Ask the run to stop; `signum` when a signal asked (it decides the exit code)."""
        if self.signum is None and signum is not None:
            self.signum = signum
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    def sleep(self, seconds: float) -> None:
        """time.sleep that ends, raising RunInterrupted, as soon as a stop is asked for."""
        if self._event.wait(max(0.0, seconds)):
            raise RunInterrupted("the run was asked to stop")

    @property
    def signal_name(self) -> str:
        if self.signum is None:
            return "a stop request"
        try:
            return signal.Signals(self.signum).name
        except ValueError:
            return f"signal {self.signum}"


@dataclass
class RunSummary:
    """What a run did, for the CLI's closing line, its JSON stats and its exit code."""

    run_id: int
    command: str
    status: str  # ok, partial, failed, interrupted
    exit_code: int
    message: str | None
    stats: dict[str, Any] = field(default_factory=dict)


class IdSet:
    """A set of recommendation ids that stays small however many a backfill or listing names:
    a bitmap for ids up to 2**24 (2 MB at most, 13 kB for 100,000), a set for any larger."""

    _BITMAP_LIMIT = 1 << 24

    def __init__(self) -> None:
        self._bits = bytearray()
        self._large: set[int] = set()
        self._count = 0

    def add(self, rec_id: int) -> None:
        if not 0 <= rec_id < self._BITMAP_LIMIT:
            if rec_id not in self._large:
                self._large.add(rec_id)
                self._count += 1
            return
        byte, bit = divmod(rec_id, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        if not self._bits[byte] >> bit & 1:
            self._bits[byte] |= 1 << bit
            self._count += 1

    def __contains__(self, rec_id: object) -> bool:
        if not isinstance(rec_id, int):
            return False
        if not 0 <= rec_id < self._BITMAP_LIMIT:
            return rec_id in self._large
        byte, bit = divmod(rec_id, 8)
        return byte < len(self._bits) and bool(self._bits[byte] >> bit & 1)

    def __len__(self) -> int:
        return self._count


@dataclass
class _Budget:
    max_requests: int
    max_runtime_seconds: float
    clock: Callable[[], float]
    started: float = 0.0
    requests: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()

    def spent(self, share: float = 1.0, in_flight: int = 0) -> str | None:
        """Why `share` of the budget is spent (counting requests in flight), or None."""
        if self.max_requests and self.requests + in_flight >= self.max_requests * share:
            return f"request budget of {self.max_requests} spent"
        limit = self.max_runtime_seconds * share
        if self.max_runtime_seconds and self.clock() - self.started >= limit:
            return f"time budget of {self.max_runtime_seconds:g}s spent"
        return None


def _with_slack(hours: float) -> float:
    """A revisit interval less a little slack (a tenth, at most REVISIT_SLACK_HOURS).

    A nightly run at a fixed time with a 24-hour interval must re-check the pages the last
    night's run checked a few minutes into it; without slack they would wait two nights.
    """
    return hours - min(hours * 0.1, REVISIT_SLACK_HOURS)


def fetch_rows(
    attempts: Iterable[Attempt], last_outcome: str | None = None, last_error: str | None = None
) -> tuple[FetchRow, ...]:
    """The fetches rows of a FetchResult's attempts; the last one's outcome left to decide.

    `last_error` names a failure decided after the last request was read (an empty body, a
    redirect loop), which the request itself does not carry.
    """
    items = list(attempts)
    rows = []
    for i, a in enumerate(items):
        last = i == len(items) - 1
        rows.append(
            FetchRow(
                url=a.url,
                requested_at=a.requested_at,
                http_status=a.http_status,
                final_url=a.final_url,
                elapsed_ms=a.elapsed_ms,
                bytes=a.bytes,
                outcome=last_outcome if last else ("redirect" if _is_redirect(a) else "error"),
                error=a.error or (last_error if last else None),
            )
        )
    return tuple(rows)


def _is_redirect(a: Attempt) -> bool:
    return a.http_status is not None and 300 <= a.http_status < 400 and a.error is None


def parsed_record(parsed: ParsedPage) -> ParsedRecord:
    """The store's plain record of a parse."""
    return ParsedRecord(
        page_kind=parsed.page_kind,
        normalised_sha256=parsed.normalised_sha256(),
        row=parsed.version_row(),
        events=tuple(parsed.event_rows()),
        entries=tuple(parsed.entry_rows()),
    )


def page_state(result: FetchResult, parsed: ParsedPage | None) -> str | None:
    """The page state a fetch and its parse amount to; None for a transient failure.

    Content decides, not the status code: a "404 Page not found" banner over a real
    recommendation is live whatever the code; "not found" with no content is missing.
    """
    outcome = result.outcome
    if outcome == "robots_disallowed":
        return "blocked"
    if outcome == "redirect_offsite":
        return "redirected"
    if outcome in ("redirect_loop", "too_large"):
        return "error"
    if outcome == "error":
        return "error" if result.error and "empty body" in result.error else None
    status = result.http_status or 0
    if parsed is not None and parsed.page_kind in ("recommendation", "listing"):
        return "live"
    if status == 410:
        return "gone"
    if status == 404:
        return "not_found"
    if parsed is not None and parsed.page_kind == "not_found":
        return "soft_404" if 200 <= status < 300 else "not_found"
    if 200 <= status < 300:
        return "live"
    return "error"


def id_url_state(result: FetchResult, parsed: ParsedPage | None, state: str | None) -> str | None:
    """The state of an id URL that led to no recommendation URL.

    A 404 or 410 there means the id does not exist, whatever the page says (a theme's
    "Nothing found" page is no recommendation); a listing or not-found page on a 2xx is a soft
    404. A recommendation served at the id URL itself (plain permalinks) stays live.
    """
    status = result.http_status or 0
    if status == 410:
        return "gone"
    if status == 404:
        return "not_found"
    if parsed is not None and parsed.page_kind in ("listing", "not_found"):
        return "soft_404" if 200 <= status < 300 else "not_found"
    return state


class Crawler:
    """One run of crawl or backfill against one archive."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        fetcher: Fetcher,
        *,
        report: Report = _quiet,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        stop: StopFlag | None = None,
    ) -> None:
        self.config = config
        self.archive = archive
        self.fetcher = fetcher
        self.report = report
        self.clock = clock
        self.now = now
        self.stop = stop or StopFlag()
        self.robots: Robots | None = None
        self.run_id = 0
        self.done: set[str] = set()
        self.listed_ids = IdSet()
        self.listed_id_urls: dict[int, str] = {}
        self.stop_reason: str | None = None
        self.budget = _Budget(config.crawl.max_requests, config.crawl.max_runtime_seconds, clock)
        self.drift_seen = 0
        self.drift_unexpected = 0
        self.held_back: list[tuple[PageResult, str | None, str | None]] = []
        self.failed_pages = 0
        self.outage_streak = 0
        # Discovery: None until walked; "complete", or why it was cut short.
        self.discovery: str | None = None
        self.discovery_errors = 0
        self.discovery_requests = 0
        self.cycle_start: str | None = None
        self.discovery_completed_at: str | None = None

    # the two commands -------------------------------------------------------------------

    def crawl(self) -> RunSummary:
        """The cron job: discover everything, then fetch what is due."""
        return self._run("crawl", self._crawl_pages)

    def backfill(self, urls: list[str], job: str) -> RunSummary:
        """A resumable sweep over a fixed list of URLs (ids made into URLs by the caller)."""
        return self._run(f"backfill {job}", lambda: self._backfill_pages(urls, job))

    # the run's frame --------------------------------------------------------------------

    def _reparse_if_stale(self) -> None:
        """Bring rows parsed by an older parser up to date before any new capture is judged.

        Versions are decided on the parsed record's hash, so comparing a new parse with one
        made by another parser would pose a parser change as a change on the site.
        """
        from scraper.reparse import reparse_archive

        stale = self.archive.stale_parses(PARSER_VERSION)
        if stale:
            counts = reparse_archive(self.archive)
            self.report("reparsed", {"stale": stale, **counts})

    def _run(self, command: str, body: Callable[[], None]) -> RunSummary:
        self.run_id = self.archive.start_run(command, os.getpid())
        self.report("run_started", {"run_id": self.run_id, "command": command})
        status, exit_code, message = "ok", 0, None
        try:
            try:
                self._reparse_if_stale()
                self._load_robots()
                body()
            except RunInterrupted:
                if not self.stop.is_set():
                    raise
            finally:
                self._record_other_robots()
            self._release_held_back()
            if self.stop.signum is not None:
                status, exit_code = "interrupted", 128 + self.stop.signum
                message = (
                    f"stopped by {self.stop.signal_name}; every page fetched was written, "
                    "the next run continues"
                )
            elif self.stop_reason:
                status, message = "partial", f"{self.stop_reason}; the next run continues"
            elif self.discovery not in (None, "complete"):
                status, message = "partial", f"{self.discovery}; the next run continues it"
        except (SiteRefused, SiteUnreachable) as e:
            status, exit_code, message = "failed", 4, str(e)
            self._drop_held_back(f"run stopped: {e}")
        except DriftDetected as e:
            status, exit_code, message = "failed", 1, str(e)
            self._drop_held_back(str(e))
        except KeyboardInterrupt:
            self._drop_held_back("run interrupted")
            self.archive.finish_run(self.run_id, "interrupted", "interrupted", self._stats())
            raise
        except Exception as e:
            self.archive.finish_run(self.run_id, "failed", f"crashed: {e!r}", self._stats())
            raise
        if exit_code == 0 and self.failed_pages:
            exit_code = 1
            message = "; ".join(filter(None, [message, f"{self.failed_pages} page(s) failed"]))
        stats = self._stats()
        row = self.archive.finish_run(self.run_id, status, message, stats)
        summary = RunSummary(self.run_id, command, status, exit_code, message, {**row, **stats})
        self.report("run_finished", {"summary": summary})
        return summary

    def _load_robots(self) -> None:
        base = self.config.site.base_url
        try:
            self.robots = self.fetcher.load_robots(base)
        except (SiteUnreachable, SiteRefused, RunInterrupted) as e:
            attempts = getattr(e, "attempts", ())
            if attempts:
                url = attempts[0].url
                self.archive.record(
                    self.run_id,
                    PageResult(
                        url=url,
                        kind="robots",
                        observed_at=self._iso(),
                        state=None,
                        http_status=attempts[-1].http_status,
                        fetches=fetch_rows(attempts, "error"),
                        error=str(e),
                    ),
                )
            raise
        robots = self.robots
        self.budget.requests += len(robots.attempts)
        self.archive.record(self.run_id, self._robots_result(robots))
        self.report("robots", {"url": robots.url, "sitemaps": list(robots.sitemaps)})

    def _robots_result(self, robots: Robots) -> PageResult:
        state = "live" if robots.body else None
        if robots.http_status and 400 <= robots.http_status < 500:
            state = "gone" if robots.http_status == 410 else "not_found"
        return PageResult(
            url=robots.url,
            kind="robots",
            observed_at=robots.attempts[0].requested_at if robots.attempts else self._iso(),
            state=state,
            http_status=robots.http_status,
            fetches=fetch_rows(robots.attempts),
            body=robots.body or None,
            content_type="text/plain",
        )

    def _record_other_robots(self) -> None:
        """Keep the robots.txt of any other allowed host a redirect led us to."""
        first = self.robots.url if self.robots else None
        for robots in self.fetcher.loaded_robots:
            if robots.url != first and robots.url not in self.done:
                self.done.add(robots.url)
                self.archive.record(self.run_id, self._robots_result(robots))

    # discovery --------------------------------------------------------------------------

    def _discover(self) -> None:
        """Walk every sitemap and listing; record whether the walk completed."""
        self.cycle_start = self.archive.discovery_cycle_start()
        sitemaps = list(self.robots.sitemaps if self.robots else ())
        sitemaps += [self.config.url(p) for p in self.config.discovery.sitemaps]
        for urls in self._sitemap_pages(sitemaps):
            self._note(urls, via="sitemap")
        for listing in self.config.discovery.listings:
            self._walk_listing(self.config.url(listing))
        if self.discovery is None:
            self.discovery = "complete"
            self.discovery_completed_at = self._iso()
            self.report("discovery", {"listed_ids": len(self.listed_ids)})

    def _discovery_stopping(self) -> bool:
        """True when discovery must stop here: a stop, or its share of the budget spent."""
        if self.discovery is not None:
            return True
        if self._stopping():
            self.discovery = f"discovery cut short: {self.stop_reason or 'a stop was asked for'}"
            return True
        reason = self.budget.spent(DISCOVERY_SHARE)
        # At least one discovery request a run, or a tiny budget would never discover.
        if reason is not None and self.discovery_requests:
            self.discovery = (
                f"discovery stopped at {DISCOVERY_SHARE:.0%} of the budget ({reason} in all)"
            )
            return True
        return False

    def _note(self, urls: Iterable[str], via: str) -> None:
        found = []
        for url in urls:
            if not self._on_site(url):
                continue
            key = discover.recommendation_key(url)
            if key is None:
                continue  # about-us, publications, ...: not ours to archive
            found.append(
                Discovered(
                    discover.canonical_url(url), "recommendation", key[1], key[0], via, self._home
                )
            )
            if via == "listing":
                self.listed_ids.add(key[1])
        self.archive.note_pages(found)

    @property
    def _home(self) -> str:
        return (urlsplit(self.config.site.base_url).hostname or "").lower()

    def _page_url(self, url: str) -> str:
        """Where the archive keeps a recommendation URL given by hand: one page per (force,
        id), whichever spelling names it (other spellings become its aliases)."""
        key = discover.recommendation_key(url)
        if key is None:
            return url
        canonical = discover.canonical_url(url)
        found = Discovered(canonical, "recommendation", key[1], key[0], "backfill", self._home)
        self.archive.note_pages([found])
        return self.archive.page_url_for(found)

    def _on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return host in self.config.site.allowed_hosts

    def _sitemap_pages(self, roots: list[str]) -> Iterator[tuple[str, ...]]:
        queue = [discover.canonical_url(u) for u in roots]
        seen: set[str] = set()
        while queue and len(seen) < MAX_SITEMAPS and not self._discovery_stopping():
            url = queue.pop(0)
            if url in seen or not self._on_site(url):
                continue
            seen.add(url)
            text, _ = self._fetch_discovery_page(url, "sitemap")
            if text is None:
                continue
            links = discover.parse_sitemap(text, url)
            if links.note:
                logger.warning("sitemap %s: %s", url, links.note)
            queue.extend(discover.canonical_url(u) for u in links.sitemaps)
            yield links.pages

    def _walk_listing(self, url: str) -> None:
        seen: set[str] = set()
        next_url: str | None = discover.canonical_url(url)
        while next_url and next_url not in seen and len(seen) < MAX_LISTING_PAGES:
            if self._discovery_stopping() or not self._on_site(next_url):
                return
            seen.add(next_url)
            parsed = self._fetch_listing_page(next_url)
            if parsed is None:
                return
            urls = [e.url for e in parsed.listing_entries if e.url]
            for e in parsed.listing_entries:
                if e.rec_id is None:
                    continue
                self.listed_ids.add(e.rec_id)
                if not e.url:
                    self.listed_id_urls.setdefault(e.rec_id, self._id_url(e.rec_id))
            self._note(urls, via="listing")
            next_url = discover.canonical_url(parsed.next_page) if parsed.next_page else None

    def _fetch_listing_page(self, url: str) -> ParsedPage | None:
        """A listing page, parsed: fetched, or read back from the archive (see below)."""
        text, parsed = self._fetch_discovery_page(url, "listing")
        if parsed is None and text is not None:
            parsed = parse_page(text, url)
        return parsed

    def _fetch_discovery_page(
        self, url: str, kind: str
    ) -> tuple[str | bytes | None, ParsedPage | None]:
        """A listing's or sitemap's text, and a listing's parse when it was fetched now: from
        the archive when this discovery cycle already fetched it, else fetched (conditionally);
        no text when it has none to offer."""
        if url in self.done:
            return None, None
        self.done.add(url)
        page = self.archive.page(url) or {}
        if self._fetched_this_cycle(page):
            if page.get("state") == "live" and page.get("current_snapshot_id"):
                return self._stored_text(page["current_snapshot_id"], kind), None
            return None, None
        try:
            # The sitemap protocol allows 50 MB, more than a page may be.
            limit = max(discover.SITEMAP_MAX_BYTES, self.config.crawl.max_page_bytes)
            result = self._fetch(url, page, limit if kind == "sitemap" else None)
        except (RunInterrupted, SiteRefused, SiteUnreachable) as e:
            self._keep_attempts(e)
            raise
        self.discovery_requests += 1
        parsed = None
        # A sitemap goes to the parser as bytes: it may be gzip without Content-Encoding.
        text = result.body if kind == "sitemap" else result.text
        if result.outcome == "ok" and text is not None and kind == "listing":
            parsed = parse_page(text, url)
        state = page_state(result, parsed) if kind == "listing" else self._plain_state(result)
        self._record(self._result(url, kind, result, parsed, state))
        if result.outcome != "not_modified" and state in (None, "error"):
            self.discovery_errors += 1
        if result.outcome == "not_modified" and page.get("current_snapshot_id"):
            return self._stored_text(page["current_snapshot_id"], kind), None
        return (text, parsed) if state == "live" else (None, None)

    def _fetched_this_cycle(self, page: dict[str, Any]) -> bool:
        """Whether a discovery page was checked since the last complete discovery ended."""
        checked = page.get("last_checked_at")
        if checked is None:
            return False
        return self.cycle_start is None or checked > self.cycle_start

    def _stored_text(self, snapshot_id: int, kind: str = "listing") -> str | bytes:
        body, content_type = self.archive.stored_body(snapshot_id)
        return body if kind == "sitemap" else decode_text(body, content_type)[0]

    @staticmethod
    def _plain_state(result: FetchResult) -> str | None:
        if result.outcome == "ok":
            status = result.http_status or 0
            if 200 <= status < 300:
                return "live"
            return {404: "not_found", 410: "gone"}.get(status, "error")
        return page_state(result, None)

    def _id_url(self, rec_id: int) -> str:
        return discover.id_url(
            self.config.site.base_url, self.config.discovery.id_url_template, rec_id
        )

    def _id_of(self, url: str) -> int | None:
        """The id of an id URL (discovery.id_url_template), else None."""
        marker = 987654321
        prefix, _, suffix = self._id_url(marker).partition(str(marker))
        middle = url[len(prefix) : len(url) - len(suffix)] if url.startswith(prefix) else ""
        if url.endswith(suffix) and middle.isdigit():
            return int(middle)
        return discover.id_from_query(url)

    # fetching pages ---------------------------------------------------------------------

    def _crawl_pages(self) -> None:
        self._discover()
        if self._stopping():
            return
        c = self.config.crawl
        # Listed ids the listing gave no link for: asked by id unless already known by URL.
        by_id = [
            u for i, u in sorted(self.listed_id_urls.items()) if not self.archive.knows_rec_id(i)
        ]
        # Due pages stream from the archive in chunks, so memory stays flat however many.
        due_count, due = self.archive.iter_due_pages(
            self.now(),
            _with_slack(c.revisit_open_hours),
            _with_slack(c.revisit_closed_hours),
            c.closed_statuses,
        )
        urls = (u for u in itertools.chain(by_id, due) if u not in self.done)
        self._fetch_all(urls, job=None, total=len(by_id) + due_count)

    def _backfill_pages(self, urls: list[str], job: str) -> None:
        urls = list(dict.fromkeys(self._page_url(u) for u in urls))
        finished = self.archive.job_done(job)
        todo = [u for u in urls if u not in finished]
        if urls and not todo:
            # The same sweep asked for again after it finished: a new sweep, not a no-op.
            self.archive.reset_job(job)
            todo = urls
        self.report("backfill", {"total": len(urls), "done": len(urls) - len(todo)})
        self._fetch_all(todo, job=job, total=len(todo))

    def _fetch_all(self, urls: Iterable[str], job: str | None, total: int) -> None:
        self.report("pages", {"total": total})
        workers = max(1, self.config.crawl.concurrency)
        # No page waits queued behind a busy worker: when the run stops, every page already
        # handed out has its requests written (a queued one could be cut off mid-retry).
        queued = workers
        pending: dict[Future[PageResult], tuple[str, dict[str, Any]]] = {}
        queue = iter(urls)
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch")
        try:
            while True:
                while len(pending) < queued and not self._stopping(len(pending)):
                    url = next(queue, None)
                    if url is None:
                        break
                    page = self.archive.page(url) or {}
                    pending[pool.submit(self._visit, url, page)] = (url, page)
                if not pending:
                    break
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    url, page = pending.pop(future)
                    self._settle(future, url, job, page)
        except BaseException as e:
            # End the waits of the other workers, then keep what they already sent.
            self.stop.request()
            pool.shutdown(wait=True, cancel_futures=True)
            for future in pending:
                if not future.cancelled():
                    self._keep_requests(future, f"run stopped: {e or type(e).__name__}")
            raise
        finally:
            pool.shutdown(wait=True)

    def _settle(
        self, future: Future[PageResult], url: str, job: str | None, page: dict[str, Any]
    ) -> None:
        try:
            result = future.result()
        except RunInterrupted as e:
            # Abandoned mid-wait: the page is not written, so the next run asks again, but
            # the requests it already sent are on record.
            self._keep_attempts(e)
            return
        except (SiteRefused, SiteUnreachable) as e:
            self._keep_attempts(e)
            raise
        self._accept(result, job, url, page if result.url == url else None)
        if result.url != url and discover.recommendation_key(url) is not None:
            self._record_move(url, result)

    def _record_move(self, url: str, result: PageResult) -> None:
        """Mark a recommendation URL that now redirects to another one (its requests are on
        the result of the page it led to); its earlier versions stay where they were."""
        key = discover.recommendation_key(url)
        status = next((f.http_status for f in reversed(result.fetches) if f.url == url), None)
        self.archive.record(
            self.run_id,
            PageResult(
                url=url,
                kind="recommendation",
                observed_at=result.observed_at,
                state="redirected",
                http_status=status,
                redirect_target=result.url,
                rec_id=key[1] if key else None,
                force=key[0] if key else None,
            ),
        )

    def _keep_requests(self, future: Future[PageResult], why: str) -> None:
        """Record the requests of a page whose result the run will not write."""
        error = future.exception()
        if error is None:
            fetches = future.result().fetches
            self.archive.record_fetches(self.run_id, fetches, "error", why)
        else:
            self._keep_attempts(error)

    def _keep_attempts(self, error: BaseException) -> None:
        """Record the requests a fetch sent before `error` ended it (fetch attaches them)."""
        attempts = getattr(error, "attempts", ())
        if not attempts:
            return
        if isinstance(error, RunInterrupted):
            why = f"run stopped by {self.stop.signal_name} while the request waited to retry"
        else:
            why = str(error) or type(error).__name__
        self.archive.record_fetches(self.run_id, fetch_rows(attempts, "error"), "error", why)
        self.budget.requests += len(attempts)

    def _visit(self, url: str, page: dict[str, Any]) -> PageResult:
        """Fetch and parse one recommendation page (runs in a worker thread)."""
        result = self._fetch(url, page)
        parsed = None
        if result.outcome == "ok" and result.text is not None:
            parsed = parse_page(result.text, result.final_url or url)
        state = page_state(result, parsed)
        final = result.final_url or url
        key = discover.recommendation_key(final) if result.outcome == "ok" else None
        record_url = url
        if discover.recommendation_key(url) is None and result.outcome == "ok":
            if key is not None:
                # An id URL (?p=<id>) that led to the canonical page is archived under it.
                record_url = discover.canonical_url(final)
            else:
                state = id_url_state(result, parsed, state)
        elif (
            key is not None
            and state == "live"
            and discover.canonical_url(final) != discover.canonical_url(url)
        ):
            # The recommendation moved (an old-host URL redirecting to the current host's):
            # archive it where it lives now; _settle marks the old URL redirected to it.
            record_url = discover.canonical_url(final)
        return self._result(record_url, "recommendation", result, parsed, state, page)

    def _fetch(self, url: str, page: dict[str, Any], max_bytes: int | None = None) -> FetchResult:
        etag = page.get("etag") if page.get("current_snapshot_id") else None
        modified = page.get("last_modified") if page.get("current_snapshot_id") else None
        limits = {} if max_bytes is None else {"max_bytes": max_bytes}
        return self.fetcher.fetch(url, etag=etag, last_modified=modified, **limits)

    def _result(
        self,
        url: str,
        kind: str,
        result: FetchResult,
        parsed: ParsedPage | None,
        state: str | None,
        page: dict[str, Any] | None = None,
    ) -> PageResult:
        key = discover.recommendation_key(url)
        fetch_outcome = None
        if result.outcome in ("too_large", "robots_disallowed"):
            fetch_outcome = result.outcome
        rec_id = key[1] if key else (page or {}).get("rec_id")
        if rec_id is None and kind == "recommendation":
            rec_id = self._id_of(url)
        return PageResult(
            url=url,
            kind=kind,
            observed_at=result.attempts[0].requested_at if result.attempts else self._iso(),
            state=state,
            http_status=result.http_status,
            fetches=fetch_rows(
                result.attempts,
                fetch_outcome,
                result.error if result.outcome in ("error", "redirect_loop", "too_large") else None,
            )
            or (FetchRow(url, self._iso(), None, None, 0, 0, "robots_disallowed", None),),
            body=result.body if state in ("live",) and result.outcome == "ok" else None,
            content_type=result.content_type,
            etag=result.etag,
            last_modified=result.last_modified,
            parsed=parsed_record(parsed) if parsed is not None else None,
            not_modified=result.outcome == "not_modified",
            redirect_target=result.final_url if state == "redirected" else None,
            error=result.error,
            rec_id=rec_id,
            force=key[0] if key else (page or {}).get("force"),
        )

    def _accept(
        self,
        result: PageResult,
        job: str | None,
        job_url: str | None = None,
        known: dict[str, Any] | None = None,
    ) -> None:
        if known is None:
            known = self.archive.page(result.url) or {}
        if known.get("page_kind") == "recommendation" and result.fetches:
            self.drift_seen += 1
            kind = result.parsed.page_kind if result.parsed else None
            if kind == "unexpected" or (
                result.state in MISSING_STATES and result.http_status == 200
            ):
                self.drift_unexpected += 1
                self.held_back.append((result, job, job_url))
                self.budget.requests += len(result.fetches)
                self._check_drift()
                return
        self._record(result, job, job_url=job_url)

    def _check_drift(self) -> None:
        c = self.config.crawl
        if self.drift_seen >= c.drift_min_pages and (
            self.drift_unexpected / self.drift_seen > c.drift_threshold
        ):
            raise DriftDetected(
                f"layout drift: {self.drift_unexpected} of {self.drift_seen} pages that parsed "
                "before no longer parse as recommendations; the run stopped and recorded no "
                "version and no missing page from them. Check the site's layout and the parser "
                "before the next run."
            )

    def _release_held_back(self) -> None:
        self._check_drift()
        for result, job, job_url in self.held_back:
            self._record(result, job, counted=True, job_url=job_url)
        self.held_back.clear()

    def _drop_held_back(self, why: str) -> None:
        """Keep the requests of pages held back for drift, but no version and no state."""
        for result, _, _ in self.held_back:
            self.archive.record_fetches(self.run_id, result.fetches, "error", why)
        self.held_back.clear()

    def _record(
        self,
        result: PageResult,
        job: str | None = None,
        counted: bool = False,
        job_url: str | None = None,
    ) -> None:
        outcome = self.archive.record(self.run_id, result, job, job_url=job_url)
        if not counted:
            self.budget.requests += len(
                [f for f in result.fetches if f.outcome != "robots_disallowed"]
            )
        if outcome in ("error", "too_large"):
            self.failed_pages += 1
        self.report(
            "page",
            {"url": result.url, "outcome": outcome, "state": result.state, "error": result.error},
        )
        self._watch_outage(result)

    def _watch_outage(self, result: PageResult) -> None:
        """Stop (exit 4) when page after page gets no usable answer: the site is down, and
        grinding on would only mark time; nothing is marked missing either way."""
        if result.kind == "robots" or not result.fetches:
            return
        if result.state is not None:
            self.outage_streak = 0
            return
        self.outage_streak += 1
        if self.outage_streak >= OUTAGE_STOP_AFTER:
            raise SiteUnreachable(
                f"{self.outage_streak} pages in a row got no usable answer (the last "
                f"{result.url}: {result.error}); the site looks down, so the run stopped. "
                "No page was marked missing; the next run carries on",
                url=result.url,
                status=result.http_status,
            )

    def _stopping(self, in_flight: int = 0) -> bool:
        if self.stop.is_set():
            return True
        if self.stop_reason is None:
            self.stop_reason = self.budget.spent(in_flight=in_flight)
        return self.stop_reason is not None

    def _iso(self) -> str:
        return format_time(self.now())

    def _stats(self) -> dict[str, Any]:
        """Counts by outcome, and the coverage audit when this run walked every listing."""
        counts = self.archive.counts.get(self.run_id)
        stats: dict[str, Any] = {
            "outcomes": dict(counts.outcomes) if counts else {},
            "held_back_for_drift": self.drift_unexpected,
            "requests_budgeted": self.budget.requests,
        }
        if self.discovery is not None:
            stats["discovery"] = "complete" if self.discovery == "complete" else "partial"
        if self.discovery_completed_at is not None:
            stats["discovery_completed_at"] = self.discovery_completed_at
        if self.discovery == "complete" and not self.discovery_errors:
            stats.update(self._coverage())
        return stats

    def _coverage(self) -> dict[str, list[int]]:
        """Ids listed but missing, and ids live but no longer listed."""
        listed_missing: list[int] = []
        live_unlisted: list[int] = []
        missing = ", ".join(f"'{m}'" for m in MISSING_STATES)
        for rec_id, live, gone, listed_before in self.archive.db.execute(
            f"""SELECT rec_id, MAX(state = 'live'), MAX(state IN ({missing})),
                       MAX(last_listed_at IS NOT NULL)
                FROM pages WHERE kind = 'recommendation' AND rec_id IS NOT NULL
                GROUP BY rec_id ORDER BY rec_id"""
        ):
            listed_now = rec_id in self.listed_ids
            if listed_now and not live and gone:
                listed_missing.append(rec_id)
            elif live and listed_before and not listed_now and self.config.discovery.listings:
                live_unlisted.append(rec_id)
        return {"listed_but_missing": listed_missing, "live_but_no_longer_listed": live_unlisted}
