"""The scheduler: chooses which pages a run visits, and in what order (scrapy's scheduler is
the model: pages go in with `enqueue`, come out with `next_page`, `has_pending` says whether
any are left).

A crawl visits first the listed ids that came without a link and have no page yet, then the
recommendation pages ranked by evidence of change (`plan_crawl`): a sitemap's lastmod moved,
a listing shows the page otherwise than the archive has it, the page dropped out of a
sitemap or listing, it was never checked; then the pages due (a page in a closed status
waiting `revisit_closed_hours`, any other `revisit_open_hours` unless a trusted source
vouches for it, less a little slack, see `with_slack`); then the rotation: the longest
unchecked of the pages on the closed interval, as many as keep every one of them verified
within it at an even pace (`rotation_quota`: the pages over the interval's runs, counted
by the hours since the last crawl), less those due. `ChangeWatch` settles each visit:
which signal predicted a change, and which source vouched for a page that had changed (it
loses the power to defer). A backfill visits its sweep in order, less what the job already
did, streamed from the archive in chunks; a page visited once in a run is not visited again
in it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Container, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from scraper import discover
from scraper.identity import Identify, PageIdentity
from store.archive import format_time
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


# --- evidence of change -----------------------------------------------------------------

# The order a crawl visits pages in, by why: the strongest evidence of change first.
SIGNAL_RANKS = ("lastmod", "listing", "dropped", "new", "due", "rotation")
# The signals that can vouch that a page has not changed (and so defer it).
VOUCHING_KINDS = ("lastmod", "listing")


@dataclass(frozen=True)
class ChangePolicy:
    """How a crawl weighs evidence: the revisit intervals (slack already taken off), which
    signal kinds may defer a page, and the share of known pages the rotation verifies."""

    open_hours: float
    closed_hours: float
    defer_on_lastmod: bool = True
    defer_on_listing: bool = True
    rotation_share: float = 1.0

    def defers(self, kind: str) -> bool:
        return {"lastmod": self.defer_on_lastmod, "listing": self.defer_on_listing}[kind]


@dataclass(frozen=True, slots=True)
class Plan:
    """Why one page is visited: its strongest signal, every signal seen, and the sources
    that vouched it had not changed (they are caught lying if it had)."""

    url: str
    kind: str  # one of SIGNAL_RANKS
    signals: tuple[dict[str, Any], ...]
    vouchers: tuple[tuple[str, str], ...]  # (kind, source)


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _lastmod_moved(page: dict[str, Any]) -> bool:
    lastmod, checked = page["sitemap_lastmod"], page["checked_lastmod"]
    if lastmod is None:
        return False
    if checked is not None:
        return lastmod != checked
    # Checked before its sitemap gave a lastmod: moved if it is later than that check.
    moment, last = _time(lastmod), _time(page["last_checked_at"])
    return moment is not None and last is not None and moment > last


Evidence = str | tuple[tuple[str, str, Any, str], ...]


def _listing_evidence(comparisons: Iterable[dict[str, Any]]) -> dict[str, Evidence]:
    """The listing entries set against the archive, by page, kept small (one entry a known
    page): the listing that shows the page as archived, or, when some entry differs (no
    listing then vouches), each differing entry as (captured at, listing, snapshot id, what
    differs). Each listing's name is held once, however many entries it shows."""
    evidence: dict[str, Evidence] = {}
    roots: dict[str, str] = {}
    for c in comparisons:
        url, root = c["url"], discover.listing_root(c["listing_url"])
        source = roots.setdefault(root, root)
        held = evidence.get(url)
        if c["differs"]:
            seen = (
                c["listing_captured_at"],
                source,
                c["listing_snapshot_id"],
                ", ".join(c["differs"]),
            )
            evidence[url] = (*held, seen) if isinstance(held, tuple) else (seen,)
        elif held is None:
            evidence[url] = source
    return evidence


def rotation_quota(
    share: float, population: int, elapsed_hours: float | None, closed_hours: float
) -> int:
    """How many pages on the closed interval a crawl verifies ahead of it (less those due):
    `share` of the `population` per `closed_hours`, pro rata to the hours since the last
    crawl (capped at one interval), so nightly runs each take about a seventh of a weekly
    interval and a run minutes after another takes none. Under half a page owed is none."""
    if closed_hours <= 0 or elapsed_hours is None:
        pace = 1.0
    else:
        pace = min(1.0, max(0.0, elapsed_hours / closed_hours))
    owed = share * population * pace
    return math.ceil(owed - 1e-9) if owed >= 0.5 else 0


def plan_crawl(
    pages: Iterable[dict[str, Any]],
    comparisons: Iterable[dict[str, Any]],
    now: datetime,
    walk_started: str,
    policy: ChangePolicy,
    distrusted: Container[str] = frozenset(),
    last_crawl: datetime | None = None,
    known_hint: int | None = None,
) -> tuple[list[Plan], dict[str, int]]:
    """The pages a crawl visits, in order, and how many were deferred.

    `pages` are the archive's recommendation pages, longest unchecked first (see
    Archive.change_candidates); `comparisons` the listing entries set against the archived
    pages (Archive.listing_comparisons). A page is visited when a sitemap's lastmod moved
    since it was checked, a listing shows it otherwise than the archive has it, it dropped
    out of a sitemap or listing, it was never checked, or it is due: a page in an open
    status after `open_hours`, unless a trusted source vouches for it, then like a closed
    one after `closed_hours`. The rotation then tops the pages due on the closed interval up
    to `rotation_quota` (the pace that verifies every such page within `closed_hours`, by
    the hours since `last_crawl`, or else since the newest check) with the longest
    unchecked of the rest, so that a lying signal is caught in time and the load is even.
    `known_hint`, an upper bound on the pages given, lets only as many of the rest be held
    as the rotation can take.
    """
    listed = _listing_evidence(comparisons)
    open_cutoff = format_time(now - timedelta(hours=policy.open_hours))
    closed_cutoff = format_time(now - timedelta(hours=policy.closed_hours))
    since = None if last_crawl is None else (now - last_crawl).total_seconds() / 3600
    cap = None  # as many of the rest as the rotation could take (it takes the first)
    if known_hint is not None:
        cap = rotation_quota(policy.rotation_share, known_hint, since, policy.closed_hours)
    plans: list[Plan] = []
    rest: list[tuple[str, tuple[tuple[str, str], ...]]] = []
    known = deferred = population = due_closed = 0
    newest: str | None = None
    for page in pages:
        known += 1
        url, checked = page["url"], page["last_checked_at"]
        signals: list[dict[str, Any]] = []
        vouchers: list[tuple[str, str]] = []
        in_sitemap = (page["last_in_sitemap_at"] or "") >= walk_started
        sitemap = page["sitemap_source"]
        if checked is None:
            signals.append({"url": url, "kind": "new", "source": sitemap or page["listing_source"]})
        elif in_sitemap and _lastmod_moved(page):
            detail = f"lastmod {page['checked_lastmod']} -> {page['sitemap_lastmod']}"
            signals.append({"url": url, "kind": "lastmod", "source": sitemap, "detail": detail})
        elif in_sitemap and page["sitemap_lastmod"] is not None and sitemap:
            vouchers.append(("lastmod", sitemap))
        if checked is not None:
            held = listed.get(url)
            differing = held if isinstance(held, tuple) else ()
            voucher = held if isinstance(held, str) else None
            for captured_at, source, snapshot_id, what in differing:
                if captured_at > checked:
                    signals.append(
                        {
                            "url": url,
                            "kind": "listing",
                            "source": source,
                            "listing_snapshot_id": snapshot_id,
                            "detail": "listing shows another " + what,
                        }
                    )
                    break
            if voucher is not None:
                vouchers.append(("listing", voucher))
            for column, source in (
                ("sitemap_dropped_at", sitemap),
                ("listing_dropped_at", page["listing_source"]),
            ):
                if page[column] is not None and page[column] > checked:
                    detail = f"no longer in {source} since {page[column]}"
                    signals.append(
                        {"url": url, "kind": "dropped", "source": source, "detail": detail}
                    )
        trusted = [v for v in vouchers if v[1] not in distrusted and policy.defers(v[0])]
        slow = bool(page["slow"])
        on_closed = checked is not None and (slow or bool(trusted))
        if on_closed:
            population += 1
            newest = checked if newest is None or checked > newest else newest
        if not signals and checked is not None:
            due_at = closed_cutoff if on_closed else open_cutoff
            if checked <= due_at:
                signals.append({"url": url, "kind": "due", "source": None})
                due_closed += on_closed
            elif not slow and trusted and checked <= open_cutoff:
                deferred += 1
        if not signals:
            # Only a page on the closed interval waits for the rotation; an open one is due
            # at the open interval anyway.
            if on_closed and (cap is None or len(rest) < cap):
                rest.append((url, tuple(vouchers)))
            continue
        kind = min((s["kind"] for s in signals), key=SIGNAL_RANKS.index)
        plans.append(Plan(url, kind, tuple(signals), tuple(vouchers)))
    plans.sort(key=lambda p: SIGNAL_RANKS.index(p.kind))  # stable: longest unchecked first
    if since is None and newest is not None:
        since = (now - _time(newest)).total_seconds() / 3600  # type: ignore[operator]
    quota = rotation_quota(policy.rotation_share, population, since, policy.closed_hours)
    rotation = min(len(rest), max(0, quota - due_closed))
    for url, vouchers in rest[:rotation]:
        signal = {"url": url, "kind": "rotation", "source": None}
        plans.append(Plan(url, "rotation", (signal,), vouchers))
    counts = {kind: 0 for kind in SIGNAL_RANKS}
    for plan in plans:
        counts[plan.kind] += 1
    return plans, {**counts, "deferred": deferred, "known": known}


class ChangeSource(DueSource, Protocol):
    """What the change-driven schedule asks of the archive."""

    def change_candidates(self, closed_statuses: Sequence[str]) -> Iterator[dict[str, Any]]: ...

    def listing_comparisons(self, since: str) -> Iterator[dict[str, Any]]: ...

    def distrusted_sources(self) -> set[str]: ...

    def recommendation_page_count(self) -> int: ...

    def previous_crawl_started(self, run_id: int) -> str | None: ...

    def record_signals(self, run_id: int, signals: Iterable[dict[str, Any]]) -> None: ...

    def settle_signals(self, run_id: int, url: str, outcome: str, changed: bool) -> None: ...

    def score_source(self, source: str, kind: str, column: str) -> None: ...

    def source_lied(self, source: str, kind: str, run_id: int, url: str) -> bool: ...


# What a visit found that counts as a change of the page (a new version, or it went away).
CHANGE_OUTCOMES = frozenset({"changed", "not_found", "gone", "soft_404", "redirect"})


class ChangeWatch:
    """A crawl's plans, and what their visits proved: which signal predicted each change
    (or that none did), and which sources vouched for a page that had changed."""

    def __init__(self, archive: ChangeSource, run_id: int, plans: Iterable[Plan]) -> None:
        self.archive, self.run_id = archive, run_id
        # Each plan kept small for the length of the run: its kind, the signals that name a
        # source to score, and its vouchers (the signals' details are in change_signals).
        self.plans: dict[str, tuple[str, tuple[tuple[str, str], ...], tuple[Any, ...]]] = {}
        for p in plans:
            scored = tuple(
                (g["kind"], g["source"])
                for g in p.signals
                if g["kind"] in ("lastmod", "listing", "dropped") and g.get("source")
            )
            self.plans[p.url] = (p.kind, scored, p.vouchers)
        self.caught: dict[str, int] = {}  # changes found, by the signal that led to them
        self.lost_trust: list[str] = []
        self.lies: list[str] = []  # one line per source that lost its trust

    def settle(
        self, url: str, state_before: str | None, outcome: str, state_after: str | None
    ) -> None:
        """Account for one visit of a planned page."""
        plan = self.plans.pop(url, None)
        if plan is None:
            return
        kind, scored, vouchers = plan
        changed = outcome in CHANGE_OUTCOMES and (outcome == "changed" or state_before == "live")
        changed = changed or (state_before == "live" and state_after not in (None, "live"))
        found = changed or outcome == "new"  # a page that came to be counts as a change
        self.archive.settle_signals(self.run_id, url, outcome, found)
        if found:
            self.caught[kind] = self.caught.get(kind, 0) + 1
        for signal_kind, source in scored:
            column = "predicted" if found else "false_alarms"
            self.archive.score_source(source, signal_kind, column)
        if outcome != "changed":  # a vouching source says the content is as archived
            return
        for voucher_kind, source in vouchers:
            if self.archive.source_lied(source, voucher_kind, self.run_id, url):
                self.lost_trust.append(source)
                lastmod = voucher_kind == "lastmod"
                what = "lastmod did not move" if lastmod else "its entry did not"
                self.lies.append(f"{source} ({url} changed, {what})")

    def stats(self) -> dict[str, Any]:
        return {"caught": dict(self.caught), "lost_trust": list(self.lost_trust)}


def change_schedule(
    archive: ChangeSource,
    identify: Identify,
    now: Callable[[], datetime],
    unlinked: Iterable[PageIdentity],
    policy: ChangePolicy,
    closed_statuses: Sequence[str],
    walk_started: str,
    run_id: int,
    visited: set[str] | None = None,
) -> tuple[Scheduler, ChangeWatch, dict[str, int]]:
    """A crawl's schedule ranked by evidence of change (see plan_crawl): unlinked listed ids
    not known by URL first, then the planned pages; the watch that settles their visits.
    The rotation is paced from the start of the previous crawl that ran to its end or to
    a budget (ok or partial)."""
    schedule = Scheduler(visited)
    for page in unlinked:
        if page.rec_id is None or not archive.knows_rec_id(page.rec_id):
            schedule.enqueue(page)
    known = archive.recommendation_page_count()
    plans, counts = plan_crawl(
        archive.change_candidates(closed_statuses),
        archive.listing_comparisons(walk_started),
        now(),
        walk_started,
        policy,
        archive.distrusted_sources(),
        _time(archive.previous_crawl_started(run_id)),
        known,
    )
    archive.record_signals(run_id, (s for p in plans for s in p.signals))
    urls = [p.url for p in plans]
    watch = ChangeWatch(archive, run_id, _consume(plans))
    schedule.enqueue_stream((identify(url, PageKind.RECOMMENDATION) for url in urls), len(urls))
    return schedule, watch, counts


def _consume(plans: list[Plan]) -> Iterator[Plan]:
    """The plans in order, each let go of as it is handed on (a night's plan can be every
    known page: its signals' details need not outlive their recording)."""
    for i in range(len(plans)):
        plan, plans[i] = plans[i], None  # type: ignore[assignment]
        yield plan
    plans.clear()
