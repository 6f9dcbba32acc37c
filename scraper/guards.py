"""The rules that stop a run early, one small class each, in tenacity's stop.py style.

The run loop keeps a Tally of what it has seen and asks its guards after every page (and once
more as it finishes); a guard answers None, or a Stop saying why the run must end. Guards
combine with `|`: the first that trips decides.

- Budget: the run's request and time budget (a share of it, for discovery), exit 0 partial.
- Outage: page after page with no usable answer: the site is down (exit 4).
- Refusals: page after page refused (401/403/429/451), or every page of the run: the site
  refused us (exit 4). A WAF's "Access denied" is never a new version of anything.
- Drift: too many pages that parsed as recommendations before no longer do (exit 1).
They only count and compare; they fetch, parse and record nothing.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass

from scraper.errors import DriftDetected, SiteRefused, SiteUnreachable
from store.archive import KnownPage, PageResult
from store.states import MISSING_STATES, Outcome, PageKind


@dataclass(frozen=True)
class Stop:
    """Why a run must end now; `ending` is a key of the CLI's exit-code table."""

    ending: str  # "budget", "unreachable", "refused", "drift"
    message: str


@dataclass
class Tally:
    """What the run loop has counted so far; only the loop writes it."""

    started: float = 0.0
    requests: int = 0
    in_flight: int = 0
    pages: int = 0  # pages with at least one request sent (robots.txt aside)
    no_answer_streak: int = 0
    refused_streak: int = 0
    last: PageResult | None = None
    drift_seen: int = 0
    drift_suspects: int = 0
    finishing: bool = False  # the run is about to end: the last look

    def add(self, result: PageResult) -> None:
        """Count one recorded (or held back) page result."""
        sent = [f for f in result.fetches if f.outcome != Outcome.ROBOTS_DISALLOWED]
        self.requests += len(sent)
        if result.kind == PageKind.ROBOTS or not sent:
            return
        self.pages += 1
        self.last = result
        self.refused_streak = self.refused_streak + 1 if result.outcome == Outcome.REFUSED else 0
        self.no_answer_streak = self.no_answer_streak + 1 if result.state is None else 0

    def watch_drift(self, result: PageResult, known: KnownPage) -> bool:
        """Count a page that parsed as a recommendation before; True if it now looks drifted
        (unexpected layout, or "missing" with a 200), to be held back until the run's end."""
        if known.page_kind != "recommendation" or not result.fetches:
            return False
        self.drift_seen += 1
        kind = result.parsed.page_kind if result.parsed else None
        suspect = kind == "unexpected" or (
            result.state in MISSING_STATES and result.http_status == 200
        )
        self.drift_suspects += suspect
        return suspect


class guard_base(abc.ABC):
    """A rule over the Tally: None to go on, a Stop to end the run."""

    @abc.abstractmethod
    def __call__(self, tally: Tally) -> Stop | None:
        """None, or why the run must end now."""

    def __or__(self, other: guard_base) -> guard_any:
        return guard_any(self, other)


class guard_any(guard_base):
    """The first of several guards that trips."""

    def __init__(self, *guards: guard_base) -> None:
        self.guards = guards

    def __call__(self, tally: Tally) -> Stop | None:
        return next((s for g in self.guards if (s := g(tally)) is not None), None)


class Budget(guard_base):
    """A share of the run's request and time budget spent (0 means no limit)."""

    def __init__(
        self,
        max_requests: int,
        max_runtime_seconds: float,
        clock: Callable[[], float],
        share: float = 1.0,
    ) -> None:
        self.max_requests = max_requests
        self.max_runtime_seconds = max_runtime_seconds
        self.clock = clock
        self.share = share

    def __call__(self, tally: Tally) -> Stop | None:
        if self.max_requests and tally.requests + tally.in_flight >= self.max_requests * self.share:
            return Stop("budget", f"request budget of {self.max_requests} spent")
        limit = self.max_runtime_seconds * self.share
        if self.max_runtime_seconds and self.clock() - tally.started >= limit:
            return Stop("budget", f"time budget of {self.max_runtime_seconds:g}s spent")
        return None


class Outage(guard_base):
    """`stop_after` pages in a row with no usable answer (5xx, timeouts, refused connections)."""

    def __init__(self, stop_after: int) -> None:
        self.stop_after = stop_after

    def __call__(self, tally: Tally) -> Stop | None:
        if tally.no_answer_streak < self.stop_after or tally.last is None:
            return None
        return Stop(
            "unreachable",
            f"{tally.no_answer_streak} pages in a row got no usable answer (the last "
            f"{tally.last.url}: {tally.last.error}); the site looks down, so the run stopped. "
            "No page was marked missing; the next run carries on",
        )


class Refusals(guard_base):
    """`stop_after` pages in a row refused, or, as the run ends, every page it asked for."""

    def __init__(self, stop_after: int, least: int = 2) -> None:
        self.stop_after = stop_after
        self.least = least

    def __call__(self, tally: Tally) -> Stop | None:
        streak = tally.refused_streak
        every = tally.finishing and streak >= self.least and streak == tally.pages
        if (streak < self.stop_after and not every) or tally.last is None:
            return None
        return Stop(
            "refused",
            f"the site refused {streak} page(s) in a row (the last {tally.last.url}: "
            f"{tally.last.error}); nothing was recorded as changed or missing. Check that "
            "the site lets the crawler in before the next run",
        )


class Drift(guard_base):
    """More than `threshold` of the pages that parsed before look drifted (after `min_pages`)."""

    def __init__(self, threshold: float, min_pages: int) -> None:
        self.threshold = threshold
        self.min_pages = min_pages

    def __call__(self, tally: Tally) -> Stop | None:
        seen, suspects = tally.drift_seen, tally.drift_suspects
        if not seen or seen < self.min_pages or suspects / seen <= self.threshold:
            return None
        return Stop(
            "drift",
            f"layout drift: {suspects} of {seen} pages that parsed before no longer parse as "
            "recommendations; the run stopped and recorded no version and no missing page "
            "from them. Check the site's layout and the parser before the next run.",
        )


def enforce(guard: guard_base, tally: Tally) -> None:
    """Raise the error a tripped guard stands for: DriftDetected, SiteRefused or
    SiteUnreachable (a spent budget is no error: the run loop asks Budget itself)."""
    stop = guard(tally)
    if stop is None:
        return
    if stop.ending == "drift":
        raise DriftDetected(stop.message)
    url, status = (tally.last.url, tally.last.http_status) if tally.last else (None, None)
    error = SiteRefused if stop.ending == "refused" else SiteUnreachable
    raise error(stop.message, url, status)
