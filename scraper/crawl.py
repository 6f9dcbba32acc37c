"""The run loop: starts a run, walks discovery, visits what the scheduler chooses, hands each
result to the store and ends the run as its guards say. It only coordinates.

Each part it calls has one job: `walk.DiscoveryWalk` finds pages, `scheduler` orders the
visits, `fetch` asks the site, `parse` reads a body, `observe` decides what a visit means,
`guards` say when to stop, the store records. Workers fetch and parse; only this loop, on its
own thread, touches the archive. A run must converge under a budget: discovery may spend at
most DISCOVERY_SHARE of it; a discovery cut short is a "cycle" later runs continue (a listing
or sitemap fetched since the last complete discovery is read back from the archive).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scraper import observe as obs
from scraper.config import Config
from scraper.errors import DriftDetected, FetchAborted, RunInterrupted, SiteRefused, SiteUnreachable
from scraper.fetch import Fetcher, Robots
from scraper.fetched import FetchOutcome, FetchResult, decode_text
from scraper.guards import Budget, Drift, Outage, Refusals, Tally
from scraper.identity import Identify, PageIdentity
from scraper.parse import PARSER_VERSION, ParsedPage, parse_page
from scraper.reparse import reparse_archive
from scraper.scheduler import Scheduler, backfill_schedule, crawl_schedule
from scraper.walk import DiscoveryWalk, Walked
from scraper.workers import StopFlag, Workers
from store.archive import Archive, KnownPage, PageResult, format_time
from store.states import FAILED, Outcome, PageKind, PageState

Report = Callable[[str, dict[str, Any]], None]

DISCOVERY_SHARE = 0.5  # discovery may spend at most this share of the request/time budget
OUTAGE_STOP_AFTER = 10  # pages in a row with no usable answer: the site is down (exit 4)
REFUSALS_STOP_AFTER = 5  # pages in a row refused (401/403/429/451): the site refused us
GRACE_ROUNDS = 4  # a stop waits this many 0.25 s rounds for pages in hand, then leaves them


@dataclass
class RunSummary:
    """What a run did: `ending` is a key of the CLI's exit-code table."""

    run_id: int
    command: str
    status: str  # ok, partial, failed, interrupted
    ending: str  # ok, pages_failed, drift, refused, unreachable, interrupted
    message: str | None
    stats: dict[str, Any] = field(default_factory=dict)
    signum: int | None = None


def _quiet(event: str, data: dict[str, Any]) -> None:
    """The default report: say nothing."""


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
        self.config, self.archive, self.fetcher, self.report = config, archive, fetcher, report
        self.now, self.stop = now, stop or StopFlag()
        self.identify = Identify(config.site.base_url, config.discovery.id_url_template)
        c = config.crawl
        self.tally = Tally(started=clock())
        self.budget = Budget(c.max_requests, c.max_runtime_seconds, clock)
        self.discovery_budget = Budget(
            c.max_requests, c.max_runtime_seconds, clock, DISCOVERY_SHARE
        )
        self.halt = Refusals(REFUSALS_STOP_AFTER) | Outage(OUTAGE_STOP_AFTER)
        self.drift = Drift(c.drift_threshold, c.drift_min_pages)
        self.run_id = 0
        self.stop_reason: str | None = None
        self.held_back: list[tuple[PageResult, str | None, str | None]] = []
        self.failed_pages = self.abandoned = 0
        self.walked: Walked | None = None
        self.discovery_errors = self.discovery_requests = 0
        self.cycle_start: str | None = None
        self.discovery_completed_at: str | None = None
        self.visited: set[str] = set()  # every page visited this run

    def crawl(self) -> RunSummary:
        """The cron job: discover everything, then fetch what is due."""
        return self._run("crawl", self._crawl_pages)

    def backfill(self, pages: Iterable[PageIdentity], count: int, job: str) -> RunSummary:
        """A resumable sweep over `count` pages, streamed (ids made into pages by the caller)."""
        return self._run(f"backfill {job}", lambda: self._backfill_pages(pages, count, job))

    # the run's frame --------------------------------------------------------------------

    def _run(self, command: str, body: Callable[[], None]) -> RunSummary:
        self.run_id = self.archive.start_run(command, os.getpid())
        self.report("run_started", {"run_id": self.run_id, "command": command})
        status, ending, message = "ok", "ok", None
        try:
            try:
                stale = self.archive.stale_parses(PARSER_VERSION)
                if stale:  # versions are decided on parses: never compare two parsers'
                    self.report("reparsed", {"stale": stale, **reparse_archive(self.archive)})
                self._load_robots()
                body()
            except RunInterrupted:
                if not self.stop.is_set():
                    raise
            finally:
                self._record_other_robots()
            self.tally.finishing = True
            self._check(self.halt | self.drift)
            for result, job, job_url in self.held_back:
                self._record(result, job, job_url, counted=True)
            self.held_back.clear()
            if self.stop.signum is not None:
                status, ending = "interrupted", "interrupted"
                message = f"stopped by {self.stop.signal_name}; every page fetched was written"
                if self.abandoned:
                    message = (
                        f"stopped by {self.stop.signal_name}; {self.abandoned} page(s) in hand "
                        "were left unwritten"
                    )
                message += ", the next run continues"
            elif self.stop_reason:
                status, message = "partial", f"{self.stop_reason}; the next run continues"
            elif self.walked is not None and self.walked.status != "complete":
                status, message = "partial", f"{self.walked.status}; the next run continues it"
        except FetchAborted as e:
            status, message = "failed", str(e)
            ending = "refused" if isinstance(e, SiteRefused) else "unreachable"
            self._drop_held_back(f"run stopped: {e}")
        except DriftDetected as e:
            status, ending, message = "failed", "drift", str(e)
            self._drop_held_back(str(e))
        except BaseException as e:
            self._drop_held_back("run interrupted")
            crashed = isinstance(e, Exception)
            why = f"crashed: {e!r}" if crashed else "interrupted"
            self.archive.finish_run(
                self.run_id, "failed" if crashed else "interrupted", why, self._stats()
            )
            raise
        if ending == "ok" and self.failed_pages:
            ending = "pages_failed"
            message = "; ".join(filter(None, [message, f"{self.failed_pages} page(s) failed"]))
        stats = self._stats()
        row = self.archive.finish_run(self.run_id, status, message, stats)
        summary = RunSummary(
            self.run_id, command, status, ending, message, {**row, **stats}, self.stop.signum
        )
        self.report("run_finished", {"summary": summary})
        return summary

    def _load_robots(self) -> None:
        try:
            robots = self.fetcher.load_robots(self.config.site.base_url)
        except FetchAborted as e:
            if e.attempts:
                page = self.identify(e.attempts[0].url, PageKind.ROBOTS)
                self._record(obs.unanswered(page, e.attempts, str(e)), counted=True)
            raise
        self._record(self._robots_result(robots))
        self.report("robots", {"url": robots.url, "sitemaps": list(robots.sitemaps)})

    def _robots_result(self, robots: Robots) -> PageResult:
        page = self.identify(robots.url, PageKind.ROBOTS)
        self.visited.add(page.url)
        known = self.archive.known(page.url)
        args = (robots.http_status, robots.body, robots.attempts, known, self._iso())
        return obs.robots_result(page, *args)

    def _record_other_robots(self) -> None:
        """Keep the robots.txt of any other allowed host a redirect led us to."""
        for robots in self.fetcher.loaded_robots[1:]:
            self._record(self._robots_result(robots))

    # discovery --------------------------------------------------------------------------

    def _discover(self) -> None:
        self.cycle_start = self.archive.discovery_cycle_start()
        robots = self.fetcher.loaded_robots
        sitemaps = list(robots[0].sitemaps if robots else ())
        sitemaps += [self.config.url(p) for p in self.config.discovery.sitemaps]
        walk = DiscoveryWalk(
            self._discovery_page,
            self.archive.note_pages,
            self.identify,
            self.config.site.allowed_hosts,
            self._discovery_stopping,
        )
        listings = [self.config.url(p) for p in self.config.discovery.listings]
        self.walked = walk.walk(sitemaps, listings)
        if self.walked.status == "complete":
            self.discovery_completed_at = self._iso()
            self.report("discovery", {"listed_ids": len(self.walked.listed_ids)})

    def _discovery_stopping(self) -> str | None:
        if self._stopping():
            return f"discovery cut short: {self.stop_reason or 'a stop was asked for'}"
        spent = self.discovery_budget(self.tally)
        # At least one discovery request a run, or a tiny budget would never discover.
        if spent is not None and self.discovery_requests:
            return (
                f"discovery stopped at {DISCOVERY_SHARE:.0%} of the budget ({spent.message} in all)"
            )
        return None

    def _discovery_page(self, page: PageIdentity) -> tuple[str | None, ParsedPage | None]:
        """A listing's or sitemap's text (and a listing's parse when fetched now): read back
        when this discovery cycle already fetched it, else fetched, conditionally."""
        self.visited.add(page.url)
        known = self.archive.known(page.url)
        checked = known.last_checked_at
        if checked is not None and (self.cycle_start is None or checked > self.cycle_start):
            live = known.state == PageState.LIVE and known.snapshot_id is not None
            return (self._stored_text(known.snapshot_id), None) if live else (None, None)
        try:
            visit = self._visit(page, known)
        except FetchAborted as e:
            self._keep_attempts(e)
            raise
        self.discovery_requests += 1
        result = self._observe(page, known, *visit)
        self._record(result)
        if result.outcome != Outcome.NOT_MODIFIED and result.state in (None, PageState.ERROR):
            self.discovery_errors += 1
        if result.outcome == Outcome.NOT_MODIFIED and known.snapshot_id is not None:
            return self._stored_text(known.snapshot_id), None
        return (visit[0].text, visit[1]) if result.state == PageState.LIVE else (None, None)

    def _stored_text(self, snapshot_id: int) -> str:
        return decode_text(*self.archive.stored_body(snapshot_id))[0]

    # visiting pages ---------------------------------------------------------------------

    def _crawl_pages(self) -> None:
        self._discover()
        if self._stopping():
            return
        c, walked = self.config.crawl, self.walked or Walked()
        schedule = crawl_schedule(
            self.archive, self.identify, self.now, walked.unlinked.values(),
            c.revisit_open_hours, c.revisit_closed_hours, c.closed_statuses, self.visited,
        )  # fmt: skip
        self._visit_all(schedule, job=None)

    def _backfill_pages(self, pages: Iterable[PageIdentity], count: int, job: str) -> None:
        schedule, done = backfill_schedule(self.archive, job, pages, count, self.visited)
        self.report("backfill", {"total": count, "done": done})
        self._visit_all(schedule, job=job)

    def _visit_all(self, schedule: Scheduler, job: str | None) -> None:
        self.report("pages", {"total": schedule.total})
        workers = max(1, self.config.crawl.concurrency)
        pending: dict[Future[Any], tuple[PageIdentity, KnownPage]] = {}
        pool, idle_rounds = Workers(workers), 0
        try:
            while True:
                while len(pending) < workers and not self._stopping(len(pending)):
                    page = schedule.next_page()
                    if page is None:
                        break
                    known = self.archive.known(page.url)
                    pending[pool.submit(self._visit, page, known)] = (page, known)
                if not pending:
                    break
                finished, _ = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in finished:
                    self._settle(future, *pending.pop(future), job)
                idle_rounds = idle_rounds + 1 if self.stop.is_set() and not finished else 0
                if idle_rounds >= GRACE_ROUNDS:  # a worker deep in a parse: leave it
                    self.abandoned = len(pending)
                    break
        except BaseException as e:
            self.stop.request()
            for future, (page, _) in pending.items():
                if future.done() and not future.cancelled():
                    self._keep_requests(future, page, f"run stopped: {e or type(e).__name__}")
                future.cancel()
            raise
        finally:
            pool.close()

    def _visit(self, page: PageIdentity, known: KnownPage) -> tuple[FetchResult, ParsedPage | None]:
        """Fetch and parse one page (a worker's job); validators only of the stored body."""
        etag, modified = (known.etag, known.last_modified) if known.has_body else (None, None)
        fetched = self.fetcher.fetch(page.url, etag=etag, last_modified=modified)
        parsed = None
        readable = page.kind in (PageKind.RECOMMENDATION, PageKind.LISTING)
        if readable and fetched.outcome == FetchOutcome.OK and fetched.text is not None:
            parsed = parse_page(fetched.text, fetched.final_url or page.url)
        return fetched, parsed

    def _observe(
        self, page: PageIdentity, known: KnownPage, fetched: FetchResult, parsed: ParsedPage | None
    ) -> PageResult:
        target = obs.target(page, fetched, self.identify)
        if target.url != page.url:
            result = obs.observe(
                target, fetched, parsed, self.archive.known(target.url), self._iso()
            )
            if result.state == PageState.LIVE or not page.is_recommendation_url:
                return result
        return obs.observe(page, fetched, parsed, known, self._iso())

    def _settle(
        self, future: Future[Any], page: PageIdentity, known: KnownPage, job: str | None
    ) -> None:
        try:
            fetched, parsed = future.result()
        except RunInterrupted as e:
            # Abandoned mid-wait: the page is not written, so the next run asks again, but
            # the requests it already sent are on record.
            self._keep_attempts(e)
            return
        except SiteUnreachable as e:
            if not self._elsewhere(e.url):
                self._keep_attempts(e)
                raise
            # A redirect to an allowed host that cannot be reached: this page's error.
            fetched, parsed = self._unreachable_target(page, e), None
        except FetchAborted as e:
            self._keep_attempts(e)
            raise
        result = self._observe(page, known, fetched, parsed)
        self.visited.add(result.url)
        if self.tally.watch_drift(
            result, known if result.url == page.url else self.archive.known(result.url)
        ):
            self.held_back.append((result, job, page.url))
            self.tally.add(result)
            self._check(self.drift)
            return
        self._record(result, job, page.url)
        if result.url != page.url and page.is_recommendation_url:
            self._record(obs.moved(page, result, known), counted=True)

    def _elsewhere(self, url: str | None) -> bool:
        """Whether `url` (a robots.txt that could not be read) is on another host than the
        site's own: a redirect led there, so only the page that redirected failed."""
        base = urlsplit(self.config.site.base_url)
        where = urlsplit(url or self.config.site.base_url)
        return (where.hostname, where.port) != (base.hostname, base.port)

    def _unreachable_target(self, page: PageIdentity, e: SiteUnreachable) -> FetchResult:
        why = f"redirect target unreachable: {e}"
        return FetchResult(
            page.url, FetchOutcome.ERROR, None, e.url, None, None, None, None, None, None, why,
            e.attempts,
        )  # fmt: skip

    def _keep_requests(self, future: Future[Any], page: PageIdentity, why: str) -> None:
        """Record the requests of a page whose result the run will not write."""
        error = future.exception()
        if error is None:
            fetched, _ = future.result()
            rows = obs.fetch_rows(fetched.attempts, Outcome.ERROR)
            self.archive.record_fetches(self.run_id, rows, Outcome.ERROR, why)
        elif isinstance(error, FetchAborted):
            self._keep_attempts(error)

    def _keep_attempts(self, error: FetchAborted) -> None:
        """Record the requests a fetch sent before `error` ended it."""
        if not error.attempts:
            return
        if isinstance(error, RunInterrupted):
            why = f"run stopped by {self.stop.signal_name} while the request waited to retry"
        else:
            why = str(error) or type(error).__name__
        rows = obs.fetch_rows(error.attempts, Outcome.ERROR)
        self.archive.record_fetches(self.run_id, rows, Outcome.ERROR, why)
        self.tally.requests += len(error.attempts)

    def _drop_held_back(self, why: str) -> None:
        """Keep the requests of pages held back for drift, but no version and no state."""
        for result, _, _ in self.held_back:
            self.archive.record_fetches(self.run_id, result.fetches, Outcome.ERROR, why)
        self.held_back.clear()

    def _record(
        self,
        result: PageResult,
        job: str | None = None,
        job_url: str | None = None,
        counted: bool = False,
    ) -> None:
        outcome = self.archive.record(self.run_id, result, job, job_url=job_url)
        if not counted:
            self.tally.add(result)
        if outcome in FAILED:
            self.failed_pages += 1
        data = {"url": result.url, "outcome": outcome, "state": result.state}
        self.report("page", {**data, "error": result.error})
        self._check(self.halt)

    def _check(self, guard: Callable[[Tally], Any]) -> None:
        """Raise the error a tripped guard stands for (drift, refused, unreachable)."""
        stop = guard(self.tally)
        if stop is None:
            return
        url, status = (
            (self.tally.last.url, self.tally.last.http_status) if self.tally.last else (None, None)
        )
        raise {"drift": DriftDetected, "refused": SiteRefused}.get(stop.ending, SiteUnreachable)(
            stop.message, *(() if stop.ending == "drift" else (url, status))
        )

    def _stopping(self, in_flight: int = 0) -> bool:
        if self.stop.is_set():
            return True
        if self.stop_reason is None:
            self.tally.in_flight = in_flight
            spent = self.budget(self.tally)
            self.stop_reason = spent.message if spent else None
        return self.stop_reason is not None

    def _iso(self) -> str:
        return format_time(self.now())

    def _stats(self) -> dict[str, Any]:
        """Counts by outcome, and the coverage audit when this run walked every listing."""
        counts = self.archive.counts.get(self.run_id)
        stats: dict[str, Any] = {
            **(counts.stats() if counts else {}),
            "held_back_for_drift": self.tally.drift_suspects,
            "requests_budgeted": self.tally.requests,
        }
        if self.walked is not None:
            stats["discovery"] = "complete" if self.walked.status == "complete" else "partial"
        if self.discovery_completed_at is not None:
            stats["discovery_completed_at"] = self.discovery_completed_at
        if (
            self.walked is not None
            and self.walked.status == "complete"
            and not self.discovery_errors
        ):
            listings = bool(self.config.discovery.listings)
            stats.update(self.archive.coverage(self.walked.listed_ids, listings))
        return stats
