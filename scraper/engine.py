"""The run loop: starts a run, walks discovery, visits what the scheduler chooses, hands each
result to the store and ends the run as its guards say. It only coordinates.

Each part it calls has one job: `walk` finds pages (through `cycle`), `scheduler` orders the
visits, `fetch` asks the site, `parse` reads a body, `observe` decides what a visit means,
`guards` say when to stop, `ledger` writes to the store. Workers fetch; this loop, on its own
thread, parses what they fetched and is the only one to touch the archive (the threads share
one GIL: parsing in the workers too only made them contend for it, a fifth slower at delay
0). Discovery may spend at most DISCOVERY_SHARE of the run's budget.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from scraper import observe as obs
from scraper.config import Config
from scraper.cycle import CyclePages
from scraper.errors import DriftDetected, FetchAborted, RunInterrupted, SiteRefused, SiteUnreachable
from scraper.fetch import Fetcher, Robots
from scraper.guards import Budget, Drift, Outage, Refusals, Tally, enforce
from scraper.identity import Identify, PageIdentity
from scraper.interstitials import Held, Interstitials, answer_shape
from scraper.ledger import Ledger, Report
from scraper.parse import PARSER_VERSION
from scraper.reparse import reparse_archive
from scraper.scheduler import (
    ChangePolicy,
    ChangeWatch,
    Scheduler,
    backfill_schedule,
    change_schedule,
    with_slack,
)
from scraper.visitor import Visitor
from scraper.walk import DiscoveryWalk, Walked
from scraper.workers import StopFlag, Workers
from store.archive import Archive, Discovered, KnownPage, PageResult
from store.states import PageKind

DISCOVERY_SHARE = 0.5  # discovery may spend at most this share of the request/time budget
OUTAGE_STOP_AFTER = 10  # pages in a row with no usable answer: the site is down (exit 4)
HELD_UNREADABLE = 64  # bare 200 answers held at once, waiting to see if another URL gets one
REFUSALS_STOP_AFTER = 5  # pages in a row refused (401/403/429/451): the site refused us
GRACE_ROUNDS = 4  # a stop waits this many 0.25 s rounds for pages in hand, then leaves them
# The page phase writes in batched transactions (Archive.batch: each page whole, in a savepoint)
# of at most this many pages or seconds: a kill loses at most those pages, never part of one,
# and the next run asks for them again. 16 pages saves as much as 200 did (one commit per
# page was a quarter of the crawl's time at delay 0) and keeps a killed run's progress.
BATCH_PAGES = 16
BATCH_SECONDS = 1.0


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
        self.visitor = Visitor(fetcher, archive, self.identify, now, config.crawl.max_page_bytes)
        c = config.crawl
        self.tally = Tally(started=clock())
        self.budget = Budget(c.max_requests, c.max_runtime_seconds, clock)
        self.discovery_budget = Budget(
            c.max_requests, c.max_runtime_seconds, clock, DISCOVERY_SHARE
        )
        self.drift = Drift(c.drift_threshold, c.drift_min_pages)
        self.ledger = Ledger(
            archive,
            0,
            self.tally,
            report,
            Refusals(REFUSALS_STOP_AFTER) | Outage(OUTAGE_STOP_AFTER),
        )
        self.stop_reason: str | None = None
        self.abandoned = 0
        self.walked: Walked | None = None
        self.cycle: CyclePages | None = None
        self.discovery_completed_at: str | None = None
        self.visited: set[str] = set()  # every page visited this run
        self.walk_started: str | None = None
        self.watch: ChangeWatch | None = None  # a crawl's evidence of change, settled per visit
        self.signals: dict[str, int] = {}
        self.held_states: dict[str, str | None] = {}  # drift suspects' states before the visit
        self.interstitials = Interstitials()  # this run's unreadable 200 answers, by shape

    def crawl(self) -> RunSummary:
        """The cron job: discover everything, then fetch what is due."""
        return self._run("crawl", self._crawl_pages)

    def backfill(self, pages: Iterable[PageIdentity], count: int, job: str) -> RunSummary:
        """A resumable sweep over `count` pages, streamed (ids made into pages by the caller)."""
        return self._run(f"backfill {job}", lambda: self._backfill_pages(pages, count, job))

    def _run(self, command: str, body: Callable[[], None]) -> RunSummary:
        run_id = self.ledger.run_id = self.archive.start_run(command, os.getpid())
        self.report("run_started", {"run_id": run_id, "command": command})
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
                for robots in self.fetcher.loaded_robots[1:]:  # other hosts redirects led to
                    self.ledger.record(self._robots(robots))
            self.tally.finishing = True
            enforce(self.ledger.halt | self.drift, self.tally)
            for asked, result, outcome in self.ledger.release():
                if self.watch is not None:
                    before = self.held_states.pop(asked, None)
                    self.watch.settle(asked, before, outcome, result.state)
            if self.stop.signum is not None:
                status = ending = "interrupted"
                lost = (
                    f"{self.abandoned} page(s) in hand were left unwritten"
                    if self.abandoned
                    else "every page fetched was written"
                )
                message = f"stopped by {self.stop.signal_name}; {lost}, the next run continues"
            elif self.stop_reason:
                status, message = "partial", f"{self.stop_reason}; the next run continues"
            elif self.walked is not None and self.walked.status != "complete":
                status, message = "partial", f"{self.walked.status}; the next run continues it"
        except FetchAborted as e:
            status, message = "failed", str(e)
            ending = "refused" if isinstance(e, SiteRefused) else "unreachable"
            # Bare pages held in case another URL got the same page: none did, so they are
            # what the site said (the drift guard's suspects stay unwritten).
            self.ledger.release_unsuspected(self.held_states)
            self.ledger.drop(f"run stopped: {e}")
        except DriftDetected as e:
            status, ending, message = "failed", "drift", str(e)
            self.ledger.drop(str(e))
        except BaseException as e:
            self.ledger.drop("run interrupted")
            crashed = isinstance(e, Exception)
            why = f"crashed: {e!r}" if crashed else "interrupted"
            self.archive.finish_run(
                run_id, "failed" if crashed else "interrupted", why, self._stats()
            )
            raise
        if self.watch is not None and self.watch.lies:
            self.archive.note_lost_trust(run_id, self.watch.lost_trust)
            lied = "caught lying, no longer defers pages: " + "; ".join(self.watch.lies)
            message = "; ".join(filter(None, [message, lied]))
        if ending == "ok" and self.ledger.failed_pages:
            ending = "pages_failed"
            message = "; ".join(
                filter(None, [message, f"{self.ledger.failed_pages} page(s) failed"])
            )
        stats = self._stats()
        row = self.archive.finish_run(run_id, status, message, stats)
        summary = RunSummary(
            run_id, command, status, ending, message, {**row, **stats}, self.stop.signum
        )
        self.report("run_finished", {"summary": summary})
        return summary

    def _load_robots(self) -> None:
        try:
            robots = self.fetcher.load_robots(self.config.site.base_url)
        except FetchAborted as e:
            if e.attempts:
                page = self.identify(e.attempts[0].url, PageKind.ROBOTS)
                # Written, not reported: the run's own error message says it once.
                self.archive.record(self.ledger.run_id, obs.unanswered(page, e.attempts, str(e)))
            raise
        self.ledger.record(self._robots(robots))
        self.report("robots", {"url": robots.url, "sitemaps": list(robots.sitemaps)})

    def _robots(self, robots: Robots) -> PageResult:
        self.visited.add(robots.url)
        return self.visitor.robots(robots)

    def _discover(self) -> None:
        self.cycle = CyclePages(
            self.archive, self.ledger, self.visitor.fetch, self.visitor.observe,
            lambda: self.stop.signal_name, self.visited,
        )  # fmt: skip
        robots = self.fetcher.loaded_robots
        sitemaps = list(robots[0].sitemaps if robots else ())
        sitemaps += [self.config.url(p) for p in self.config.discovery.sitemaps]
        listings = [self.config.url(p) for p in self.config.discovery.listings]
        hosts = self.config.site.allowed_hosts
        walk = DiscoveryWalk(
            self.cycle, self.archive.note_pages, self.identify, hosts, self._discovery_stopping
        )
        self.walk_started = self.visitor.iso()
        self.walked = walk.walk(sitemaps, listings)
        self.archive.mark_dropped(
            self.walk_started, sorted(self.walked.sitemaps_read), sorted(self.walked.listings_read)
        )
        if self.walked.status == "complete":
            self.discovery_completed_at = self.visitor.iso()
            self.report("discovery", {"listed_ids": len(self.walked.listed_ids)})

    def _discovery_stopping(self) -> str | None:
        if self._stopping():
            return f"discovery cut short: {self.stop_reason or 'a stop was asked for'}"
        spent = self.discovery_budget(self.tally)
        # At least one discovery request a run, or a tiny budget would never discover.
        if spent is not None and self.cycle is not None and self.cycle.requests:
            return (
                f"discovery stopped at {DISCOVERY_SHARE:.0%} of the budget ({spent.message} in all)"
            )
        return None

    def _crawl_pages(self) -> None:
        self._discover()
        if self._stopping():
            return
        c, walked = self.config.crawl, self.walked or Walked()
        policy = ChangePolicy(
            with_slack(c.revisit_open_hours), with_slack(c.revisit_closed_hours),
            c.defer_on_lastmod, c.defer_on_listing, c.rotation_share,
        )  # fmt: skip
        schedule, self.watch, self.signals = change_schedule(
            self.archive, self.identify, self.now, walked.unlinked.values(), policy,
            c.closed_statuses, self.walk_started or self.visitor.iso(), self.ledger.run_id,
            self.visited,
        )  # fmt: skip
        self.report("signals", dict(self.signals))
        self._visit_all(schedule, job=None)

    def _backfill_pages(self, pages: Iterable[PageIdentity], count: int, job: str) -> None:
        pages = (self._page_of(p) for p in pages)
        schedule, done = backfill_schedule(self.archive, job, pages, count, self.visited)
        self.report("backfill", {"total": count, "done": done})
        self._visit_all(schedule, job=job)

    def _page_of(self, page: PageIdentity) -> PageIdentity:
        """A recommendation given by hand, under the URL the archive keeps it at: one page per
        (force, id), whichever spelling names it (other spellings become its aliases)."""
        if not page.is_recommendation_url:
            return page
        found = Discovered(
            page.url, page.kind, page.rec_id, page.force, "backfill", self.identify.home_host
        )
        self.archive.note_pages([found])
        return replace(page, url=self.archive.page_url_for(found))

    def _visit_all(self, schedule: Scheduler, job: str | None) -> None:
        self.report("pages", {"total": schedule.total})
        workers = max(1, self.config.crawl.concurrency)
        pending: dict[Future[Any], tuple[PageIdentity, KnownPage]] = {}
        pool, idle_rounds = Workers(workers), 0
        try:
            with self.archive.batch(BATCH_PAGES, BATCH_SECONDS):
                while True:
                    while len(pending) < workers and not self._stopping(len(pending)):
                        page = schedule.next_page()
                        if page is None:
                            break
                        known = self.archive.known(page.url)
                        pending[pool.submit(self.visitor.fetch_only, page, known)] = (page, known)
                    if not pending:
                        break
                    finished = [f for f in pool.finished(timeout=0.25) if f in pending]
                    for future in finished:
                        self._settle(future, *pending.pop(future), job)
                    # A slow site's pages are committed as soon as the batch is due too.
                    self.archive.flush(due_only=True)
                    idle_rounds = idle_rounds + 1 if self.stop.is_set() and not finished else 0
                    if idle_rounds >= GRACE_ROUNDS:  # a worker deep in a slow read: leave it
                        self.abandoned = len(pending)
                        break
        except BaseException as e:
            self.stop.request()
            why = f"run stopped: {e or type(e).__name__}"
            for future in pending:
                if future.done() and not future.cancelled():
                    self.ledger.keep_future(future, why, self.stop.signal_name)
                future.cancel()
            raise
        finally:
            pool.close()

    def _unreadable(
        self, shape: str, page: PageIdentity, known: KnownPage, result: PageResult, job: str | None
    ) -> None:
        """A 200 the parser could not read: held until the run ends (then written, flagged),
        unless another recommendation URL gets the same page, which makes every answer of
        that shape a refusal (scraper.interstitials)."""
        released, refusals = self.interstitials.see(shape, Held(result, known, (job, page.url)))
        if not refusals:
            # Judged by the drift guard, never its suspect: answer_shape leaves those to it.
            self.tally.watch_drift(result, known)
            self.ledger.hold(result, job, page.url)
            oldest = self.interstitials.overflow(HELD_UNREADABLE)
            if oldest is not None:  # no twin came: written now as what it is
                self.ledger.unhold(oldest.result)
                self._write(oldest.result, oldest.known, *oldest.item)
            return
        if released is not None:
            self.ledger.unhold(released.result)
        for refusal, (held_job, url) in refusals:
            # The held answer was counted when it was held; this one is counted now.
            counted = released is not None and refusal.url == released.result.url
            self._write(refusal, None, held_job, url, counted=counted)

    def _write(
        self,
        result: PageResult,
        known: KnownPage | None,
        job: str | None,
        url: str,
        counted: bool = True,
    ) -> None:
        outcome = self.ledger.record(result, job, url, counted=counted)
        if self.watch is not None:
            self.watch.settle(url, known.state if known else None, outcome, result.state)

    def _settle(
        self, future: Future[Any], page: PageIdentity, known: KnownPage, job: str | None
    ) -> None:
        try:
            fetched, parsed = future.result()
        except SiteUnreachable as e:
            base, where = urlsplit(self.config.site.base_url), urlsplit(e.url or "")
            if (where.hostname, where.port) == (base.hostname, base.port):
                self.ledger.keep_attempts(e, self.stop.signal_name)
                raise
            # A redirect to another allowed host that cannot be reached: this page's error.
            fetched, parsed = obs.unreachable_redirect(page.url, e.url, e.attempts, str(e)), None
        except FetchAborted as e:
            # A page abandoned mid-wait is not written (the next run asks again), but the
            # requests it sent are on record.
            self.ledger.keep_attempts(e, self.stop.signal_name)
            if isinstance(e, RunInterrupted):
                return
            raise
        parsed = self.visitor.parse(page, fetched)
        result = self.visitor.observe(page, known, fetched, parsed)
        self.visited.add(result.url)
        shape = answer_shape(result, page.url, page.is_recommendation_url, known)
        if shape is not None:
            self._unreadable(shape, page, known, result, job)
            return
        target_known = known if result.url == page.url else self.archive.known(result.url)
        if self.tally.watch_drift(result, target_known):
            self.held_states[page.url] = known.state
            self.ledger.hold(result, job, page.url)
            enforce(self.drift, self.tally)
            return
        outcome = self.ledger.record(result, job, page.url)
        if result.url != page.url and page.is_recommendation_url:
            self.ledger.record(obs.moved(page, result, known), counted=True)
            outcome = "redirect"
        if self.watch is not None:
            self.watch.settle(page.url, known.state, outcome, result.state)

    def _stopping(self, in_flight: int = 0) -> bool:
        if self.stop.is_set():
            return True
        if self.stop_reason is None:
            self.tally.in_flight = in_flight
            spent = self.budget(self.tally)
            self.stop_reason = spent.message if spent else None
        return self.stop_reason is not None

    def _stats(self) -> dict[str, Any]:
        """Counts by outcome, and the coverage audit when this run walked every listing."""
        errors = self.cycle.errors if self.cycle is not None else 0
        has_listings = bool(self.config.discovery.listings)
        stats = self.ledger.stats(self.walked, self.discovery_completed_at, errors, has_listings)
        if self.watch is not None:
            stats["signals"] = dict(self.signals)
            stats.update(self.watch.stats())
        return stats
