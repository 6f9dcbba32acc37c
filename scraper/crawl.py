"""Orchestration: discover pages, choose what is due, fetch, parse, hand results to the store.

This module decides nothing about bytes on the wire (fetch does) or about versions (the
store does). It maps what a fetch returned and what the parser read to a page state, keeps
the run within its budget, guards against layout drift, and reports progress through a
callback so that the CLI alone decides how progress looks.
"""

from __future__ import annotations

import os
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
from scraper.parse import ParsedPage, parse_page
from store.archive import (
    Archive,
    Discovered,
    FetchRow,
    PageResult,
    ParsedRecord,
    format_time,
)
from store.schema import MISSING_STATES

Report = Callable[[str, dict[str, Any]], None]

MAX_LISTING_PAGES = 2000
MAX_SITEMAPS = 200


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


def make_fetcher(config: Config) -> Fetcher:
    """A Fetcher with a real client for this config."""
    policy = fetch_policy(config)
    return Fetcher(make_client(policy), policy)


@dataclass
class RunSummary:
    """What a run did, for the CLI's closing line, its JSON stats and its exit code."""

    run_id: int
    command: str
    status: str  # ok, partial, failed, interrupted
    exit_code: int
    message: str | None
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Budget:
    max_requests: int
    max_runtime_seconds: float
    clock: Callable[[], float]
    started: float = 0.0
    requests: int = 0

    def __post_init__(self) -> None:
        self.started = self.clock()

    def spent(self) -> str | None:
        if self.max_requests and self.requests >= self.max_requests:
            return f"request budget of {self.max_requests} spent"
        if self.max_runtime_seconds and self.clock() - self.started >= self.max_runtime_seconds:
            return f"time budget of {self.max_runtime_seconds:g}s spent"
        return None


def fetch_rows(
    attempts: Iterable[Attempt], last_outcome: str | None = None
) -> tuple[FetchRow, ...]:
    """The fetches rows of a FetchResult's attempts; the last one's outcome left to decide."""
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
                error=a.error,
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
    ) -> None:
        self.config = config
        self.archive = archive
        self.fetcher = fetcher
        self.report = report
        self.clock = clock
        self.now = now
        self.robots: Robots | None = None
        self.run_id = 0
        self.done: set[str] = set()
        self.listed_ids: set[int] = set()
        self.stop_reason: str | None = None
        self.budget = _Budget(config.crawl.max_requests, config.crawl.max_runtime_seconds, clock)
        self.drift_seen = 0
        self.drift_unexpected = 0
        self.held_back: list[PageResult] = []
        self.failed_pages = 0

    # the two commands -------------------------------------------------------------------

    def crawl(self) -> RunSummary:
        """The cron job: discover everything, then fetch what is due."""
        return self._run("crawl", self._crawl_pages)

    def backfill(self, urls: list[str], job: str) -> RunSummary:
        """A resumable sweep over a fixed list of URLs (ids made into URLs by the caller)."""
        return self._run(f"backfill {job}", lambda: self._backfill_pages(urls, job))

    # the run's frame --------------------------------------------------------------------

    def _run(self, command: str, body: Callable[[], None]) -> RunSummary:
        self.run_id = self.archive.start_run(command, os.getpid())
        self.report("run_started", {"run_id": self.run_id, "command": command})
        status, exit_code, message = "ok", 0, None
        try:
            self._load_robots()
            try:
                body()
            finally:
                self._record_other_robots()
            self._release_held_back()
            if self.stop_reason:
                status, message = "partial", self.stop_reason
        except (SiteRefused, SiteUnreachable) as e:
            status, exit_code, message = "failed", 4, str(e)
        except DriftDetected as e:
            status, exit_code, message = "failed", 1, str(e)
            self._drop_held_back(str(e))
        except KeyboardInterrupt:
            self.archive.finish_run(self.run_id, "interrupted", "interrupted")
            raise
        if exit_code == 0 and self.failed_pages:
            exit_code = 1
            message = message or f"{self.failed_pages} page(s) failed"
        stats = self._stats()
        row = self.archive.finish_run(self.run_id, status, message, stats)
        summary = RunSummary(self.run_id, command, status, exit_code, message, {**row, **stats})
        self.report("run_finished", {"summary": summary})
        return summary

    def _load_robots(self) -> None:
        base = self.config.site.base_url
        try:
            self.robots = self.fetcher.load_robots(base)
        except (SiteUnreachable, SiteRefused) as e:
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
        sitemaps = list(self.robots.sitemaps if self.robots else ())
        sitemaps += [self.config.url(p) for p in self.config.discovery.sitemaps]
        for url in self._sitemap_pages(sitemaps):
            self._note([url], via="sitemap")
        for listing in self.config.discovery.listings:
            self._walk_listing(self.config.url(listing))

    def _note(self, urls: Iterable[str], via: str) -> None:
        found = []
        for url in urls:
            if not self._on_site(url):
                continue
            key = discover.recommendation_key(url)
            if key is None:
                continue
            found.append(
                Discovered(discover.canonical_url(url), "recommendation", key[1], key[0], via)
            )
            if via == "listing":
                self.listed_ids.add(key[1])
        self.archive.note_pages(found)

    def _on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return host in self.config.site.allowed_hosts

    def _sitemap_pages(self, roots: list[str]) -> Iterator[str]:
        queue = [discover.canonical_url(u) for u in roots]
        seen: set[str] = set()
        while queue and len(seen) < MAX_SITEMAPS and not self._stopping():
            url = queue.pop(0)
            if url in seen or not self._on_site(url):
                continue
            seen.add(url)
            text = self._fetch_discovery_page(url, "sitemap")
            if text is None:
                continue
            links = discover.parse_sitemap(text, url)
            queue.extend(discover.canonical_url(u) for u in links.sitemaps)
            yield from links.pages

    def _walk_listing(self, url: str) -> None:
        seen: set[str] = set()
        next_url: str | None = discover.canonical_url(url)
        while next_url and next_url not in seen and len(seen) < MAX_LISTING_PAGES:
            if self._stopping() or not self._on_site(next_url):
                return
            seen.add(next_url)
            text = self._fetch_discovery_page(next_url, "listing")
            if text is None:
                return
            parsed = parse_page(text, next_url)
            urls = [e.url for e in parsed.listing_entries if e.url]
            urls += [
                discover.id_url(
                    self.config.site.base_url, self.config.discovery.id_url_template, e.rec_id
                )
                for e in parsed.listing_entries
                if not e.url and e.rec_id is not None
            ]
            for e in parsed.listing_entries:
                if e.rec_id is not None:
                    self.listed_ids.add(e.rec_id)
            self._note(urls, via="listing")
            next_url = discover.canonical_url(parsed.next_page) if parsed.next_page else None

    def _fetch_discovery_page(self, url: str, kind: str) -> str | None:
        """Fetch a listing or sitemap (conditionally); its text, from the store on a 304."""
        if url in self.done:
            return None
        self.done.add(url)
        page = self.archive.page(url) or {}
        result = self._fetch(url, page)
        parsed = None
        text = result.text
        if result.outcome == "ok" and text is not None and kind == "listing":
            parsed = parse_page(text, url)
        state = page_state(result, parsed) if kind == "listing" else self._plain_state(result)
        self._record(self._result(url, kind, result, parsed, state))
        if result.outcome == "not_modified" and page.get("current_snapshot_id"):
            body, content_type = self.archive.stored_body(page["current_snapshot_id"])
            return decode_text(body, content_type)[0]
        return text if state == "live" else None

    @staticmethod
    def _plain_state(result: FetchResult) -> str | None:
        if result.outcome == "ok":
            status = result.http_status or 0
            if 200 <= status < 300:
                return "live"
            return {404: "not_found", 410: "gone"}.get(status, "error")
        return page_state(result, None)

    # fetching pages ---------------------------------------------------------------------

    def _crawl_pages(self) -> None:
        self._discover()
        if self._stopping():
            return
        c = self.config.crawl
        due = self.archive.due_pages(
            self.now(), c.revisit_open_hours, c.revisit_closed_hours, c.closed_statuses
        )
        self._fetch_all([u for u in due if u not in self.done], job=None)

    def _backfill_pages(self, urls: list[str], job: str) -> None:
        finished = self.archive.job_done(job)
        todo = [u for u in dict.fromkeys(urls) if u not in finished]
        self.report("backfill", {"total": len(urls), "done": len(urls) - len(todo)})
        self._fetch_all(todo, job=job)

    def _fetch_all(self, urls: list[str], job: str | None) -> None:
        self.report("pages", {"total": len(urls)})
        workers = max(1, self.config.crawl.concurrency)
        pending: set[Future[PageResult]] = set()
        queue = iter(urls)
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
            try:
                while True:
                    while len(pending) < workers and not self._stopping():
                        url = next(queue, None)
                        if url is None:
                            break
                        self.done.add(url)
                        page = self.archive.page(url) or {}
                        pending.add(pool.submit(self._visit, url, page))
                    if not pending:
                        break
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in finished:
                        self._accept(future.result(), job)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise

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
        if key is not None and discover.recommendation_key(url) is None:
            # An id URL (?p=<id>) that led to the canonical page is archived under that page.
            record_url = discover.canonical_url(final)
        return self._result(record_url, "recommendation", result, parsed, state, page)

    def _fetch(self, url: str, page: dict[str, Any]) -> FetchResult:
        etag = page.get("etag") if page.get("current_snapshot_id") else None
        modified = page.get("last_modified") if page.get("current_snapshot_id") else None
        return self.fetcher.fetch(url, etag=etag, last_modified=modified)

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
        return PageResult(
            url=url,
            kind=kind,
            observed_at=result.attempts[0].requested_at if result.attempts else self._iso(),
            state=state,
            http_status=result.http_status,
            fetches=fetch_rows(result.attempts, fetch_outcome)
            or (FetchRow(url, self._iso(), None, None, 0, 0, "robots_disallowed", None),),
            body=result.body if state in ("live",) and result.outcome == "ok" else None,
            content_type=result.content_type,
            etag=result.etag,
            last_modified=result.last_modified,
            parsed=parsed_record(parsed) if parsed is not None else None,
            not_modified=result.outcome == "not_modified",
            redirect_target=result.final_url if state == "redirected" else None,
            error=result.error,
            rec_id=key[1] if key else (page or {}).get("rec_id"),
            force=key[0] if key else (page or {}).get("force"),
        )

    def _accept(self, result: PageResult, job: str | None) -> None:
        known = self.archive.page(result.url) or {}
        if known.get("page_kind") == "recommendation" and result.fetches:
            self.drift_seen += 1
            kind = result.parsed.page_kind if result.parsed else None
            if kind == "unexpected" or (
                result.state in MISSING_STATES and result.http_status == 200
            ):
                self.drift_unexpected += 1
                self.held_back.append(result)
                self.budget.requests += len(result.fetches)
                self._check_drift()
                return
        self._record(result, job)

    def _check_drift(self) -> None:
        c = self.config.crawl
        if self.drift_seen >= c.drift_min_pages and (
            self.drift_unexpected / self.drift_seen > c.drift_threshold
        ):
            raise DriftDetected(
                f"layout drift: {self.drift_unexpected} of {self.drift_seen} pages that parsed "
                "before no longer parse as recommendations; no version or missing page was "
                "recorded from them. Check the site's layout and the parser before the next run."
            )

    def _release_held_back(self) -> None:
        self._check_drift()
        for result in self.held_back:
            self._record(result, None, counted=True)
        self.held_back.clear()

    def _drop_held_back(self, why: str) -> None:
        """Keep the requests of pages held back for drift, but no version and no state."""
        for result in self.held_back:
            self.archive.record_fetches(self.run_id, result.fetches, "error", why)
        self.held_back.clear()

    def _record(self, result: PageResult, job: str | None = None, counted: bool = False) -> None:
        outcome = self.archive.record(self.run_id, result, job)
        if not counted:
            self.budget.requests += len(
                [f for f in result.fetches if f.outcome != "robots_disallowed"]
            )
        if outcome in ("error", "too_large"):
            self.failed_pages += 1
        self.report("page", {"url": result.url, "outcome": outcome, "state": result.state})

    def _stopping(self) -> bool:
        if self.stop_reason is None:
            self.stop_reason = self.budget.spent()
        return self.stop_reason is not None

    def _iso(self) -> str:
        return format_time(self.now())

    def _stats(self) -> dict[str, Any]:
        db = self.archive.db
        listed_missing = sorted(
            r[0]
            for r in db.execute(
                """SELECT rec_id FROM pages WHERE kind = 'recommendation'
                   AND state IN ('not_found', 'gone', 'soft_404')"""
            )
            if r[0] in self.listed_ids
        )
        live_unlisted = []
        if self.listed_ids and self.config.discovery.listings:
            live_unlisted = sorted(
                r[0]
                for r in db.execute(
                    """SELECT rec_id FROM pages WHERE kind = 'recommendation' AND state = 'live'
                       AND last_listed_at IS NOT NULL AND rec_id IS NOT NULL"""
                )
                if r[0] not in self.listed_ids
            )
        counts = self.archive.counts.get(self.run_id)
        return {
            "outcomes": dict(counts.outcomes) if counts else {},
            "listed_but_missing": listed_missing,
            "live_but_no_longer_listed": live_unlisted,
            "held_back_for_drift": self.drift_unexpected,
        }
