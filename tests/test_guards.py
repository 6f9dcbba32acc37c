"""The guards, each with a fake clock and made-up page results: no server, no database."""

from __future__ import annotations

import pytest

from scraper.errors import DriftDetected, SiteRefused, SiteUnreachable
from scraper.guards import Budget, Drift, Outage, Refusals, Stop, Tally, enforce
from store.archive import FetchRow, KnownPage, PageResult, ParsedRecord

URL = "https://example.org/hmicfrs/recommendation/kent/{}/"
T = "2026-12-01T02:00:00.000Z"


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def result(
    n: int, state: str | None, outcome: str | None, status: int = 200, **kw: object
) -> PageResult:
    url = URL.format(n)
    row = FetchRow(url, T, status, url, 10, 5, outcome)
    values = {"url": url, "kind": "recommendation", "observed_at": T, "state": state,
              "http_status": status, "fetches": (row,), "outcome": outcome, **kw}  # fmt: skip
    return PageResult(**values)  # type: ignore[arg-type]


def test_budget_counts_requests_in_flight_and_time() -> None:
    clock = FakeClock()
    tally = Tally(started=clock())
    budget = Budget(max_requests=4, max_runtime_seconds=60, clock=clock)
    half = Budget(max_requests=4, max_runtime_seconds=60, clock=clock, share=0.5)
    tally.add(result(1, "live", None))
    assert (budget(tally), half(tally)) == (None, None)
    tally.in_flight = 1
    assert (budget(tally), half(tally)) == (None, Stop("budget", "request budget of 4 spent"))
    tally.in_flight = 3
    assert budget(tally) == Stop("budget", "request budget of 4 spent")
    tally.in_flight, clock.now = 0, 159.9
    assert budget(tally) is None
    clock.now = 160.0
    assert budget(tally) == Stop("budget", "time budget of 60s spent")
    assert Budget(0, 0, clock)(tally) is None  # 0 means no limit


def test_outage_trips_on_a_streak_of_no_usable_answer_and_a_good_page_resets_it() -> None:
    tally, outage = Tally(), Outage(stop_after=3)
    for n in (1, 2):
        tally.add(result(n, None, "error", 503, error="HTTP 503"))
    tally.add(result(3, "live", None))
    tally.add(result(4, None, "error", 503, error="HTTP 503"))
    tally.add(result(5, None, "error", 503, error="HTTP 503"))
    assert outage(tally) is None
    tally.add(result(6, None, "error", None, error="timeout: read"))
    assert outage(tally) == Stop(
        "unreachable",
        f"3 pages in a row got no usable answer (the last {URL.format(6)}: timeout: read); "
        "the site looks down, so the run stopped. No page was marked missing; the next run "
        "carries on",
    )
    with pytest.raises(SiteUnreachable) as caught:
        enforce(outage, tally)
    assert (caught.value.url, caught.value.status) == (URL.format(6), None)


def test_refusals_trip_in_a_row_or_when_every_page_of_the_run_was_refused() -> None:
    tally, refusals = Tally(), Refusals(stop_after=5)
    for n in range(1, 4):
        tally.add(result(n, None, "refused", 403, error="refused: HTTP 403"))
    assert refusals(tally) is None
    tally.finishing = True  # the run ends: all 3 of its pages were refused
    message = (
        f"the site refused 3 page(s) in a row (the last {URL.format(3)}: refused: HTTP 403); "
        "nothing was recorded as changed or missing. Check that the site lets the crawler in "
        "before the next run"
    )
    assert refusals(tally) == Stop("refused", message)
    with pytest.raises(SiteRefused) as caught:
        enforce(refusals | Outage(10), tally)
    assert (str(caught.value), caught.value.url, caught.value.status) == (
        message,
        URL.format(3),
        403,
    )
    mixed = Tally(finishing=True)
    mixed.add(result(1, "live", None))
    mixed.add(result(2, None, "refused", 403))
    assert refusals(mixed) is None  # one refusal after a good page is no site-wide refusal


def test_drift_holds_suspects_and_trips_past_its_threshold() -> None:
    tally, drift = Tally(), Drift(threshold=0.5, min_pages=4)
    before = KnownPage(state="live", snapshot_id=1, page_kind="recommendation")
    odd = ParsedRecord("unexpected", "x", {})
    fine = ParsedRecord("recommendation", "y", {})
    assert tally.watch_drift(result(1, "live", None, parsed=odd), before) is True
    assert tally.watch_drift(result(2, "soft_404", "soft_404"), before) is True
    assert tally.watch_drift(result(3, "live", None, parsed=fine), before) is False
    assert tally.watch_drift(result(4, "live", None, parsed=odd), KnownPage()) is False
    assert (tally.drift_seen, tally.drift_suspects, drift(tally)) == (3, 2, None)
    tally.watch_drift(result(5, "live", None, parsed=odd), before)
    assert drift(tally) == Stop(
        "drift",
        "layout drift: 3 of 4 pages that parsed before no longer parse as recommendations; "
        "the run stopped and recorded no version and no missing page from them. Check the "
        "site's layout and the parser before the next run.",
    )
    with pytest.raises(DriftDetected):
        enforce(Budget(0, 0, FakeClock()) | drift, tally)
