"""The scheduler and the discovery walk, with a fake archive, a fake clock and a fake
fetch_page: no server, no database."""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from scraper.identity import Identify, PageIdentity
from scraper.parse import ParsedPage, parse_page
from scraper.scheduler import (
    ChangePolicy,
    ChangeWatch,
    backfill_schedule,
    change_schedule,
    plan_crawl,
    rotation_quota,
    with_slack,
)
from scraper.walk import DiscoveryWalk
from store.archive import Discovered, format_time
from store.states import PageKind

SITE = "https://example.org"
IDENTIFY = Identify(SITE, "/hmicfrs/?p={id}")
NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
HOME = "example.org"  # the site's own host: its spelling of a recommendation wins


def rec(force: str, n: int) -> str:
    return f"{SITE}/hmicfrs/recommendation/{force}/{n}/"


class FakeArchive:
    """The archive as the scheduler sees it: due pages, known ids, a job's done items."""

    def __init__(self, due: list[str], known_ids: set[int], done: set[str] = frozenset()) -> None:
        self.due, self.known_ids, self.done = due, known_ids, set(done)
        self.asked: list[tuple[datetime, float, float, tuple[str, ...]]] = []
        self.reset: list[str] = []

    def iter_due_pages(
        self, now: datetime, open_hours: float, closed_hours: float, closed: Sequence[str]
    ) -> tuple[int, Iterator[str]]:
        self.asked.append((now, open_hours, closed_hours, tuple(closed)))
        return len(self.due), iter(self.due)

    def knows_rec_id(self, rec_id: int) -> bool:
        return rec_id in self.known_ids

    candidates: list[dict] = []  # noqa: RUF012  (what change_candidates yields, set per test)

    def change_candidates(self, closed_statuses: Sequence[str]) -> Iterator[dict]:
        return iter(self.candidates)

    def listing_comparisons(self, since: str) -> Iterator[dict]:
        return iter([])

    def distrusted_sources(self) -> set[str]:
        return set()

    def recommendation_page_count(self) -> int:
        return len(self.candidates)

    def previous_crawl_started(self, run_id: int) -> str | None:
        return None

    def record_signals(self, run_id: int, signals: object) -> None:
        list(signals)  # type: ignore[call-overload]

    def job_count(self, job: str) -> int:
        return len(self.done)

    def job_has(self, job: str, url: str) -> bool:
        return url in self.done

    def reset_job(self, job: str) -> None:
        self.reset.append(job)
        self.done.clear()


def drain(schedule: object) -> list[str]:
    out = []
    while (page := schedule.next_page()) is not None:  # type: ignore[attr-defined]
        out.append(page.url)
    return out


def test_a_crawl_visits_unlinked_listed_ids_first_then_planned_pages_once_each() -> None:
    archive = FakeArchive(due=[], known_ids={5})
    archive.candidates = [page_row(rec("kent", 1), None), page_row(rec("essex", 2), None)]
    unlinked = [IDENTIFY.of_id(4), IDENTIFY.of_id(5)]  # 5 is known by its URL already
    visited = {rec("essex", 2)}  # discovery visited it this run
    schedule, _, _ = change_schedule(
        archive, IDENTIFY, lambda: NOW, unlinked, POLICY, ("complete",), WALK, 1,
        visited,
    )  # fmt: skip
    assert drain(schedule) == [f"{SITE}/hmicfrs/?p=4", rec("kent", 1)]
    assert schedule.has_pending() is False


def test_revisit_slack_is_a_tenth_at_most_an_hour() -> None:
    assert [with_slack(h) for h in (0, 5, 24, 168)] == [0, 4.5, 23.0, 167.0]


def test_a_backfill_streams_its_sweep_less_what_the_job_did_and_restarts_a_finished_one() -> None:
    pages = [IDENTIFY.of_id(i) for i in range(1, 5)]
    archive = FakeArchive([], set(), done={pages[0].url, pages[2].url})
    schedule, done = backfill_schedule(archive, "ids:1-4", iter(pages), 4)
    assert (done, schedule.total, drain(schedule)) == (2, 2, [pages[1].url, pages[3].url])
    finished = FakeArchive([], set(), done={p.url for p in pages})
    schedule, done = backfill_schedule(finished, "ids:1-4", iter(pages), 4)
    assert (done, finished.reset, drain(schedule)) == (0, ["ids:1-4"], [p.url for p in pages])


def test_a_backfill_over_a_huge_range_reads_only_what_it_visits() -> None:
    made: list[int] = []

    def ids() -> Iterator[PageIdentity]:
        for i in range(1, 100_000_001):
            made.append(i)
            yield IDENTIFY.of_id(i)

    schedule, _ = backfill_schedule(FakeArchive([], set()), "ids:1-100000000", ids(), 100_000_000)
    assert [schedule.next_page().rec_id for _ in range(3)] == [1, 2, 3]  # type: ignore[union-attr]
    assert made == [1, 2, 3]


LISTING = f"{SITE}/hmicfrs/?recommendation-theme=harm"


def listing_html(entries: list[tuple[str, int]], next_href: str | None) -> str:
    items = "".join(
        f'<li><a href="/hmicfrs/recommendation/{f}/{n}/">Recommendation {n}</a></li>'
        for f, n in entries
    )
    nxt = f'<a class="next" href="{next_href}">Next</a>' if next_href else ""
    return f"<html><body><main><ul>{items}</ul>{nxt}</main></body></html>"


SITEMAP = f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{rec("kent", 7)}</loc><lastmod>2026-11-30</lastmod></url><url><loc>{SITE}/about/</loc></url>
<url><loc>https://elsewhere.example/hmicfrs/recommendation/kent/8/</loc></url></urlset>"""


MAP = f"{SITE}/sitemap.xml"


def test_the_walk_follows_sitemaps_and_listing_pages_and_notes_recommendations() -> None:
    texts = {
        f"{SITE}/sitemap.xml": SITEMAP,
        LISTING: listing_html([("kent", 1), ("essex", 2)], f"{LISTING}&paged=2"),
        f"{LISTING}&paged=2": listing_html([("kent", 3)], None),
    }
    asked: list[PageIdentity] = []
    noted: list[Discovered] = []

    def fetch_page(page: PageIdentity) -> tuple[str | None, ParsedPage | None]:
        asked.append(page)
        text = texts.get(page.url)
        return text, None

    walk = DiscoveryWalk(fetch_page, noted.extend, IDENTIFY, ["example.org"], lambda: None)
    found = walk.walk([f"{SITE}/sitemap.xml"], [LISTING])
    assert [(p.url, p.kind) for p in asked] == [
        (f"{SITE}/sitemap.xml", PageKind.SITEMAP),
        (LISTING, PageKind.LISTING),
        (f"{LISTING}&paged=2", PageKind.LISTING),
    ]
    assert noted == [
        Discovered(rec("kent", 7), "recommendation", 7, "kent", "sitemap", HOME, MAP, "2026-11-30"),
        Discovered(rec("kent", 1), "recommendation", 1, "kent", "listing", HOME, LISTING),
        Discovered(rec("essex", 2), "recommendation", 2, "essex", "listing", HOME, LISTING),
        Discovered(rec("kent", 3), "recommendation", 3, "kent", "listing", HOME, LISTING),
    ]
    assert (found.status, sorted(i for i in range(10) if i in found.listed_ids)) == (
        "complete",
        [1, 2, 3],
    )
    # Both were read to their end: a page they no longer name has dropped out of them.
    assert (found.sitemaps_read, found.listings_read) == ({MAP}, {LISTING})
    assert parse_page(texts[LISTING], LISTING).page_kind == "listing"


def test_the_walk_stops_where_it_is_told_and_says_why() -> None:
    asked: list[str] = []
    reasons = iter([None, "discovery stopped at 50% of the budget (request budget of 2 spent)"])

    def fetch_page(page: PageIdentity) -> tuple[str | None, ParsedPage | None]:
        asked.append(page.url)
        return listing_html([("kent", len(asked))], f"{LISTING}&paged={len(asked) + 1}"), None

    walk = DiscoveryWalk(fetch_page, lambda found: None, IDENTIFY, ["example.org"],
                         lambda: next(reasons))  # fmt: skip
    found = walk.walk([], [LISTING])
    assert (asked, found.status) == (
        [LISTING],
        "discovery stopped at 50% of the budget (request budget of 2 spent)",
    )


# --- the change-driven plan: recorded signals, a fake clock ------------------------------

MAP1 = f"{SITE}/wp-sitemap-recommendation-1.xml"
THEME = f"{SITE}/hmicfrs/?recommendation-theme=harm"
WALK = "2026-12-01T02:00:00.000Z"  # this run's discovery walk began (at NOW)
POLICY = ChangePolicy(open_hours=23.0, closed_hours=167.0, rotation_share=0.0)


def at(hours_ago: float) -> str:
    return format_time(NOW - timedelta(hours=hours_ago))


def page_row(url: str, checked: float | None, **columns: object) -> dict[str, object]:
    """A page as Archive.change_candidates gives it: checked `checked` hours ago, in this
    walk's sitemap with an unmoved lastmod unless told otherwise."""
    row: dict[str, object] = {
        "url": url,
        "last_checked_at": None if checked is None else at(checked),
        "slow": 0,
        "state": None if checked is None else "live",
        "sitemap_source": MAP1,
        "sitemap_lastmod": "2026-01-01T00:00:00+00:00",
        "checked_lastmod": "2026-01-01T00:00:00+00:00",
        "last_in_sitemap_at": WALK,
        "sitemap_dropped_at": None,
        "listing_source": None,
        "last_listed_at": None,
        "listing_dropped_at": None,
    }
    row.update(columns)
    return row


def entry(url: str, differs: list[str], captured_hours_ago: float = 0.0) -> dict[str, object]:
    return {
        "url": url,
        "listing_url": f"{THEME}&paged=2",
        "listing_snapshot_id": 77,
        "listing_captured_at": at(captured_hours_ago),
        "differs": differs,
    }


def plan_of(pages: list[dict], comparisons: list[dict] = (), **kw: object) -> tuple[list, dict]:
    policy = kw.pop("policy", POLICY)
    return plan_crawl(pages, comparisons, NOW, WALK, policy, **kw)  # type: ignore[arg-type]


def test_the_plan_ranks_pages_by_evidence_then_due_then_rotation() -> None:
    pages = [
        page_row(rec("kent", 1), None, sitemap_lastmod=None),  # never checked
        page_row(rec("kent", 2), 30, sitemap_source=None, sitemap_lastmod=None),  # due
        page_row(rec("kent", 3), 5, sitemap_dropped_at=at(1), sitemap_lastmod=None),
        page_row(rec("kent", 4), 4),  # its entry in a listing differs
        page_row(rec("kent", 5), 3, sitemap_lastmod="2026-11-30T10:00:00+00:00"),
        page_row(rec("kent", 6), 2),  # nothing: left to the rotation
    ]
    comparisons = [entry(rec("kent", 4), ["log"]), entry(rec("kent", 6), [])]
    # A share of a half per interval, a whole interval since the last crawl: of the two pages
    # on the closed interval (kent/4, kent/6) the rotation takes one, the one not planned.
    plans, counts = plan_of(
        pages, comparisons, policy=replace(POLICY, rotation_share=0.5),
        last_crawl=NOW - timedelta(hours=167),
    )  # fmt: skip
    assert [(p.url, p.kind, [s["kind"] for s in p.signals], p.vouchers) for p in plans] == [
        (rec("kent", 5), "lastmod", ["lastmod"], ()),
        (rec("kent", 4), "listing", ["listing"], (("lastmod", MAP1),)),
        (rec("kent", 3), "dropped", ["dropped"], ()),
        (rec("kent", 1), "new", ["new"], ()),
        (rec("kent", 2), "due", ["due"], ()),
        (rec("kent", 6), "rotation", ["rotation"], (("lastmod", MAP1), ("listing", THEME))),
    ]
    # The listing's evidence names the listing (without its page number) and its snapshot.
    assert plans[1].signals[0] == {
        "url": rec("kent", 4),
        "kind": "listing",
        "source": THEME,
        "listing_snapshot_id": 77,
        "detail": "listing shows another log",
    }
    assert counts == {
        "lastmod": 1, "listing": 1, "dropped": 1, "new": 1, "due": 1, "rotation": 1,
        "deferred": 0, "known": 6,
    }  # fmt: skip


def test_a_listing_seen_before_the_page_was_checked_is_no_evidence() -> None:
    pages = [page_row(rec("kent", 4), 4)]
    plans, _ = plan_of(pages, [entry(rec("kent", 4), ["text"], captured_hours_ago=6)])
    assert plans == []


def test_a_trusted_voucher_defers_an_open_page_to_the_closed_interval_and_no_further() -> None:
    pages = [
        page_row(rec("kent", 1), 30),  # sitemap vouches: deferred
        page_row(rec("kent", 2), 30, sitemap_lastmod=None),  # nobody vouches: due
        page_row(rec("kent", 3), 170),  # vouched, but past the closed interval: due
        page_row(rec("kent", 4), 30, slow=1),  # closed, within its interval
    ]
    plans, counts = plan_of(pages)
    assert [(p.url, p.kind) for p in plans] == [(rec("kent", 2), "due"), (rec("kent", 3), "due")]
    assert counts["deferred"] == 1
    # Deferring on lastmod switched off: the sitemap's word no longer holds the page back.
    plans, counts = plan_of(pages, policy=replace(POLICY, defer_on_lastmod=False))
    assert [p.url for p in plans] == [rec("kent", 1), rec("kent", 2), rec("kent", 3)]
    assert counts["deferred"] == 0


class FakeTrust:
    """The archive as ChangeWatch sees it: what it was told, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.distrusted: set[str] = set()

    def settle_signals(self, run_id: int, url: str, outcome: str, changed: bool) -> None:
        self.calls.append(("settle", url, outcome, changed))

    def score_source(self, source: str, kind: str, column: str) -> None:
        self.calls.append(("score", source, column))

    def source_lied(self, source: str, kind: str, run_id: int, url: str) -> bool:
        self.calls.append(("lied", source, url))
        trusted = source not in self.distrusted
        self.distrusted.add(source)
        return trusted


def test_a_source_caught_lying_loses_the_power_to_defer() -> None:
    pages = [page_row(rec("kent", 1), 5), page_row(rec("kent", 2), 30)]
    listing = [entry(rec("kent", 1), ["log"])]
    plans, counts = plan_of(pages, listing)
    assert [(p.url, p.kind) for p in plans] == [(rec("kent", 1), "listing")]
    assert counts["deferred"] == 1  # kent/2: the sitemap vouches for it
    trust = FakeTrust()
    watch = ChangeWatch(trust, 9, plans)  # type: ignore[arg-type]
    watch.settle(rec("kent", 1), "live", "changed", "live")
    # The listing was right; the sitemap vouched (lastmod did not move) and was wrong.
    assert trust.calls == [
        ("settle", rec("kent", 1), "changed", True),
        ("score", THEME, "predicted"),
        ("lied", MAP1, rec("kent", 1)),
    ]
    assert watch.stats() == {"caught": {"listing": 1}, "lost_trust": [MAP1]}
    assert watch.lies == [f"{MAP1} ({rec('kent', 1)} changed, lastmod did not move)"]
    # The next night that sitemap defers nothing: kent/2 is due at the open interval.
    plans, counts = plan_of(pages[1:], distrusted=trust.distrusted)
    assert ([(p.url, p.kind) for p in plans], counts["deferred"]) == ([(rec("kent", 2), "due")], 0)


def test_a_false_alarm_is_counted_and_takes_no_trust_away() -> None:
    plans, _ = plan_of([page_row(rec("kent", 1), 5, sitemap_lastmod="2026-11-30")])
    trust = FakeTrust()
    watch = ChangeWatch(trust, 9, plans)  # type: ignore[arg-type]
    watch.settle(rec("kent", 1), "live", "not_modified", "live")
    assert trust.calls == [
        ("settle", rec("kent", 1), "not_modified", False),
        ("score", MAP1, "false_alarms"),
    ]
    assert watch.stats() == {"caught": {}, "lost_trust": []}


def nightly(policy: ChangePolicy, nights: int, arrivals: dict[int, int]) -> dict[str, object]:
    """Nightly crawls exactly 24 hours apart over a population that grows: `arrivals[n]`
    new pages appear on night n (night 0: the first crawl). Every other page is vouched for
    by a trusted sitemap whose lastmod never moves, or is closed; nothing ever changes. What
    each night verified on time grounds (due, rotation), and the longest any page waited."""
    checked: dict[str, datetime | None] = {}
    loads, longest = [], timedelta(0)
    for night in range(nights + 1):
        now = NOW + timedelta(hours=24 * night)
        for _ in range(arrivals.get(night, 0)):
            checked[rec("kent", len(checked))] = None
        walk = format_time(now)
        order = sorted(checked.items(), key=lambda kv: (kv[1] is not None, kv[1] or NOW, kv[0]))
        rows = [
            {
                **page_row(url, None),
                "last_checked_at": None if t is None else format_time(t),
                "last_in_sitemap_at": walk,
                "slow": int(url.endswith(("3/", "7/"))),  # a fifth are closed
            }
            for url, t in order
        ]
        last = None if night == 0 else now - timedelta(hours=24)
        population = sum(t is not None for t in checked.values())
        plans, counts = plan_crawl(rows, [], now, walk, policy, last_crawl=last)
        loads.append((population, counts["due"] + counts["rotation"], counts["new"]))
        for plan in plans:
            if checked[plan.url] is not None:
                longest = max(longest, now - checked[plan.url])  # type: ignore[operator]
            checked[plan.url] = now
        # After each night, nobody is older than the interval: none waits past it tomorrow.
        oldest = max(now - t for t in checked.values() if t is not None)  # type: ignore[operator]
        longest = max(longest, oldest)
    return {"loads": loads, "longest": longest, "pages": len(checked)}


def test_the_rotation_verifies_every_page_within_its_interval_at_an_even_nightly_load() -> None:
    """Sixty nights over 200 pages first fetched together, 35 more on night 9 and 50 on
    night 20: every page, the late ones too, is verified within 168 hours, and each night
    verifies about a seventh of the pages, never all of those fetched together at once."""
    policy = replace(POLICY, rotation_share=1.0)  # the default: every page per interval
    arrivals = {0: 200, 9: 35, 20: 50}
    run = nightly(policy, 60, arrivals)
    assert run["pages"] == 285 and run["longest"] <= timedelta(hours=168)
    for night, (population, load, new) in enumerate(run["loads"]):
        assert new == arrivals.get(night, 0)
        assert load <= math.ceil(population / 7) + 1, (night, population, load)
        if night >= 1:  # the rotation works every night, not only when pages fall due
            assert load >= population // 8, (night, population, load)
    # Without the rotation the same pages wait the same interval, but fall due together:
    # the 200 first fetched, the same night a week later.
    spiky = nightly(replace(policy, rotation_share=0.0), 60, arrivals)
    assert spiky["longest"] <= timedelta(hours=168)
    assert max(load for _, load, _ in spiky["loads"]) == 200


def test_the_rotation_is_paced_by_the_hours_since_the_last_crawl() -> None:
    assert [rotation_quota(1.0, 700, h, 168.0) for h in (None, 0.1, 24, 48, 168, 500)] == [
        700, 0, 100, 200, 700, 700,
    ]  # fmt: skip
    assert rotation_quota(0.5, 700, 24, 168.0) == 50
    assert rotation_quota(1.0, 3, 1, 168.0) == 0  # under half a page owed: none
    assert rotation_quota(0.0, 700, 168, 168.0) == 0
