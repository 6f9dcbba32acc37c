"""The scheduler: chooses which pages a run visits, and in what order (scrapy's scheduler is
the model: pages go in with `enqueue`, come out with `next_page`, `has_pending` says whether
any are left).

A crawl visits first the listed ids that came without a link and have no page yet, then the
archive's due pages: never checked first, then the longest unchecked, a page in a closed
status waiting `revisit_closed_hours` and any other `revisit_open_hours` (less a little
slack, see `with_slack`). A backfill visits its sweep in order, less what the job already
did. Due pages stream from the archive in chunks, so memory stays flat however many; a page
visited once in a run is not visited again in it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Protocol

from scraper.identity import Identify, PageIdentity
from store.states import PageKind

# How much earlier than its interval says a page may count as due (see with_slack).
REVISIT_SLACK_HOURS = 1.0


class DueSource(Protocol):
    """What the scheduler asks of the archive."""

    def iter_due_pages(
        self, now: datetime, open_hours: float, closed_hours: float, closed: Sequence[str]
    ) -> tuple[int, Iterator[str]]: ...

    def knows_rec_id(self, rec_id: int) -> bool: ...


def with_slack(hours: float) -> float:
    """A revisit interval less a little slack (a tenth, at most REVISIT_SLACK_HOURS).

    A nightly run at a fixed time with a 24-hour interval must re-check the pages the last
    night's run checked a few minutes into it; without slack they would wait two nights.
    """
    return hours - min(hours * 0.1, REVISIT_SLACK_HOURS)


class Scheduler:
    """The pages of one run, in the order they are to be visited."""

    def __init__(self, visited: set[str] | None = None) -> None:
        self._queue: deque[PageIdentity] = deque()
        self._streams: deque[Iterator[PageIdentity]] = deque()
        # Shared with the run loop, which adds the pages discovery and robots.txt visited.
        self._visited = visited if visited is not None else set()
        self.total = 0

    def enqueue(self, page: PageIdentity) -> None:
        """Add one page to visit, after those already queued."""
        self._queue.append(page)
        self.total += 1

    def enqueue_stream(self, pages: Iterable[PageIdentity], count: int) -> None:
        """Add `count` pages that are read only as they come up."""
        self._streams.append(iter(pages))
        self.total += count

    def next_page(self) -> PageIdentity | None:
        """The next page to visit, or None when none is left."""
        while True:
            if self._queue:
                page = self._queue.popleft()
            elif self._streams:
                page = next(self._streams[0], None)
                if page is None:
                    self._streams.popleft()
                    continue
            else:
                return None
            if page.url not in self._visited:
                self._visited.add(page.url)
                return page

    def has_pending(self) -> bool:
        """Whether any page may be left (a stream is only known empty once read to its end)."""
        return bool(self._queue or self._streams)


def crawl_schedule(
    archive: DueSource,
    identify: Identify,
    now: Callable[[], datetime],
    unlinked: Iterable[PageIdentity],
    open_hours: float,
    closed_hours: float,
    closed_statuses: Sequence[str],
    visited: set[str] | None = None,
) -> Scheduler:
    """A crawl's schedule: unlinked listed ids not known by URL, then the due pages."""
    schedule = Scheduler(visited)
    for page in unlinked:
        if page.rec_id is None or not archive.knows_rec_id(page.rec_id):
            schedule.enqueue(page)
    count, urls = archive.iter_due_pages(
        now(), with_slack(open_hours), with_slack(closed_hours), closed_statuses
    )
    schedule.enqueue_stream((identify(u, PageKind.RECOMMENDATION) for u in urls), count)
    return schedule


class JobSource(Protocol):
    """What a backfill's schedule asks of the archive."""

    def job_count(self, job: str) -> int: ...

    def job_has(self, job: str, url: str) -> bool: ...

    def reset_job(self, job: str) -> None: ...


def backfill_schedule(
    archive: JobSource,
    job: str,
    pages: Iterable[PageIdentity],
    count: int,
    visited: set[str] | None = None,
) -> tuple[Scheduler, int]:
    """A backfill's schedule over `count` pages, streamed, less those the job already did;
    and how many it did. A sweep asked for again after it finished starts anew."""
    done = archive.job_count(job)
    if count and done >= count:
        archive.reset_job(job)
        done = 0
    schedule = Scheduler(visited)
    todo = (p for p in pages if not done or not archive.job_has(job, p.url))
    schedule.enqueue_stream(todo, count - done)
    return schedule, done
