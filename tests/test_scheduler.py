"""The scheduler and the discovery walk, with a fake archive, a fake clock and a fake
fetch_page: no server, no database."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

from scraper.identity import Identify, PageIdentity
from scraper.parse import ParsedPage, parse_page
from scraper.scheduler import backfill_schedule, crawl_schedule, with_slack
from scraper.walk import DiscoveryWalk
from store.archive import Discovered
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


def test_a_crawl_visits_unlinked_listed_ids_first_then_due_pages_once_each() -> None:
    archive = FakeArchive(due=[rec("kent", 1), rec("essex", 2), rec("kent", 1)], known_ids={5})
    unlinked = [IDENTIFY.of_id(4), IDENTIFY.of_id(5)]  # 5 is known by its URL already
    visited = {rec("essex", 2)}  # discovery visited it this run
    schedule = crawl_schedule(
        archive, IDENTIFY, lambda: NOW, unlinked, 24, 168, ("complete",), visited
    )
    assert schedule.total == 4
    assert drain(schedule) == [f"{SITE}/hmicfrs/?p=4", rec("kent", 1)]
    # The intervals the archive is asked with have their slack taken off, at the fake now.
    assert archive.asked == [(NOW, 23.0, 167.0, ("complete",))]
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
<url><loc>{rec("kent", 7)}</loc></url><url><loc>{SITE}/about/</loc></url>
<url><loc>https://elsewhere.example/hmicfrs/recommendation/kent/8/</loc></url></urlset>"""


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
        Discovered(rec("kent", 7), "recommendation", 7, "kent", "sitemap", HOME),
        Discovered(rec("kent", 1), "recommendation", 1, "kent", "listing", HOME),
        Discovered(rec("essex", 2), "recommendation", 2, "essex", "listing", HOME),
        Discovered(rec("kent", 3), "recommendation", 3, "kent", "listing", HOME),
    ]
    assert (found.status, sorted(i for i in range(10) if i in found.listed_ids)) == (
        "complete",
        [1, 2, 3],
    )
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
