"""The run's record keeping: every page result and every request a run makes goes to the
archive through its Ledger, is counted in the Tally the guards read, and is reported.

It also keeps what must not be written yet (pages held back by the drift guard until the run
ends) and what will never be (the requests of pages a stop or a refusal cut short, kept as
fetch rows only, so no request goes unrecorded).
"""

from __future__ import annotations

from collections.abc import Callable, Container, Sequence
from concurrent.futures import Future
from typing import Any

from scraper.errors import FetchAborted, RunInterrupted
from scraper.guards import Tally, enforce, guard_base
from scraper.observe import fetch_rows
from scraper.walk import Walked
from store.archive import Archive, FetchRow, PageResult
from store.states import FAILED, Outcome

Report = Callable[[str, dict[str, Any]], None]


class Ledger:
    """Writes one run's page results and requests, in the run loop's thread only."""

    def __init__(
        self, archive: Archive, run_id: int, tally: Tally, report: Report, halt: guard_base
    ) -> None:
        self.archive, self.run_id, self.tally = archive, run_id, tally
        self.report, self.halt = report, halt
        self.failed_pages = 0
        self.held_back: list[tuple[PageResult, str | None, str | None]] = []

    def record(
        self,
        result: PageResult,
        job: str | None = None,
        job_url: str | None = None,
        counted: bool = False,
        enforcing: bool = True,
    ) -> str:
        """Write one page's result; raise if the halting guards trip on it (unless not
        `enforcing`: a page written after the run has already stopped)."""
        outcome = self.archive.record(self.run_id, result, job, job_url=job_url)
        if not counted:
            self.tally.add(result)
        self.failed_pages += outcome in FAILED
        data = {"url": result.url, "outcome": outcome, "state": result.state}
        self.report("page", {**data, "error": result.error})
        if enforcing:
            enforce(self.halt, self.tally)
        return outcome

    def hold(self, result: PageResult, job: str | None, job_url: str | None) -> None:
        """Keep a drift suspect back until the run ends (counted now)."""
        self.held_back.append((result, job, job_url))
        self.tally.add(result)

    def unhold(self, result: PageResult) -> None:
        """Take a held-back page out of what waits (it is written otherwise)."""
        self.held_back = [held for held in self.held_back if held[0] is not result]

    def release(self) -> list[tuple[str, PageResult, str]]:
        """Write the held-back pages: the run ended without drift. Returns (the URL asked
        for, result, outcome) of each."""
        written = []
        for result, job, job_url in self.held_back:
            outcome = self.record(result, job, job_url, counted=True)
            written.append((job_url or result.url, result, outcome))
        self.held_back.clear()
        return written

    def release_unsuspected(self, suspects: Container[str]) -> None:
        """As a stop ends the run: write the held-back pages whose URL is not among the drift
        `suspects` (bare answers no other URL matched), guards no longer asked."""
        kept = []
        for result, job, job_url in self.held_back:
            if (job_url or result.url) in suspects:
                kept.append((result, job, job_url))
            else:
                self.record(result, job, job_url, counted=True, enforcing=False)
        self.held_back = kept

    def drop(self, why: str) -> None:
        """Keep the requests of pages held back, but no version and no state."""
        for result, _, _ in self.held_back:
            self.keep_rows(result.fetches, why)
        self.held_back.clear()

    def keep_rows(self, fetches: Sequence[FetchRow], why: str) -> None:
        self.archive.record_fetches(self.run_id, fetches, Outcome.ERROR, why)

    def keep_future(self, future: Future[Any], why: str, stopped_by: str) -> None:
        """Record the requests of a visit (a worker's finished future) the run will not write."""
        error = future.exception()
        if error is None:
            self.keep_rows(fetch_rows(future.result()[0].attempts, Outcome.ERROR), why)
        elif isinstance(error, FetchAborted):
            self.keep_attempts(error, stopped_by)

    def stats(
        self, walked: Walked | None, completed_at: str | None, walk_errors: int, listings: bool
    ) -> dict[str, Any]:
        """The run's stats: counts by outcome, drift, requests, discovery, and the coverage
        audit when the run walked every sitemap and listing without an error."""
        counts = self.archive.counts.get(self.run_id)
        stats: dict[str, Any] = {**(counts.stats() if counts else {})}
        stats["held_back_for_drift"] = self.tally.drift_suspects
        stats["requests_budgeted"] = self.tally.requests
        if walked is None:
            return stats
        complete = walked.status == "complete"
        stats["discovery"] = "complete" if complete else "partial"
        if completed_at is not None:
            stats["discovery_completed_at"] = completed_at
        if complete and not walk_errors:
            stats.update(self.archive.coverage(walked.listed_ids, listings))
        return stats

    def keep_attempts(self, error: FetchAborted, stopped_by: str) -> None:
        """Record the requests a fetch sent before `error` ended it."""
        if not error.attempts:
            return
        if isinstance(error, RunInterrupted):
            why = f"run stopped by {stopped_by} while the request waited to retry"
        else:
            why = str(error) or type(error).__name__
        self.keep_rows(fetch_rows(error.attempts, Outcome.ERROR), why)
        self.tally.requests += len(error.attempts)
