"""End to end: `hmicfrs crawl` against the fixture site, the database asserted whole.

One fixture site and one archive go through three crawls: the initial site, the same site
again (nothing may be added; conditional requests must be sent), and the site in its later
state (exactly the expected versions added, missing pages recorded).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixturesite import Fault, FixtureSite, RecSpec
from tests.support import hmicfrs, rows, write_config

CHANGED_LATER = {"appended", "edited", "removed", "redated", "regressed", "text_changed"}


class Crawls:
    """The databases after each of the three crawls, and what the server saw in each."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db = tmp / "archive.sqlite"
        self.stages: dict[str, Path] = {}
        self.requests: dict[str, list] = {}
        self.results: dict[str, Any] = {}

    def crawl(self, site: FixtureSite, config: Path, stage: str) -> None:
        site.clear_requests()
        self.results[stage] = hmicfrs("crawl", "--config", str(config))
        self.requests[stage] = site.requests
        copy = self.tmp / f"{stage}.sqlite"
        rows(self.db, "VACUUM INTO ?", (str(copy),))
        self.stages[stage] = copy


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Crawls, FixtureSite]]:
    tmp = tmp_path_factory.mktemp("e2e")
    c = Crawls(tmp)
    with FixtureSite(state="initial") as site:
        config = write_config(tmp / "config.yaml", site.base_url, c.db)
        c.crawl(site, config, "first")
        c.crawl(site, config, "again")
        site.set_state("later")
        c.crawl(site, config, "later")
        yield c, site
    shutil.rmtree(tmp, ignore_errors=True)


def expected_record(spec: RecSpec, version: int) -> dict[str, Any]:
    return {
        "url": spec.url,
        "rec_id": spec.rec_id,
        "force": spec.force,
        "report_title": spec.report_title,
        "rec_type": spec.rec_type,
        "cause_of_concern": spec.cause_of_concern,
        "text": spec.text,
        "current_status": spec.current_status,
        "status_date": spec.status_date,
        "has_404_banner": int(spec.has_404_banner),
        "state": spec.state,
        "version": version,
    }


def archived_record(db: Path, url: str) -> dict[str, Any] | None:
    found = rows(
        db,
        """SELECT url, rec_id, force, report_title, rec_type, cause_of_concern, text,
                  current_status, status_date, has_404_banner, state, version
           FROM recommendations WHERE url = ?""",
        (url,),
    )
    return found[0] if found else None


def archived_log(db: Path, url: str) -> list[tuple]:
    return [
        (r["on_date"], r["kind"], r["status"], r["comment"])
        for r in rows(
            db,
            """SELECT e.on_date, e.kind, e.status, e.comment FROM pages p
               JOIN status_events e ON e.snapshot_id = p.current_snapshot_id
               WHERE p.url = ? ORDER BY e.seq""",
            (url,),
        )
    ]


def page_states(db: Path) -> dict[str, tuple]:
    # A 304 says the page is as archived: compare it as the status it had.
    return {
        r["url"]: (
            r["state"],
            200 if r["last_http_status"] == 304 else r["last_http_status"],
            r["missing_since"] is not None,
        )
        for r in rows(db, "SELECT * FROM pages WHERE kind = 'recommendation'")
    }


def expected_states(specs: list[RecSpec]) -> dict[str, tuple]:
    return {
        s.url: (
            s.state,
            None if s.state == "blocked" else s.http_status,
            s.state in ("not_found", "gone", "soft_404"),
        )
        for s in specs
    }


def test_first_crawl_archives_every_recommendation_whole(crawls) -> None:
    c, site = crawls
    assert c.results["first"].exit_code == 0, c.results["first"].output
    db = c.stages["first"]
    specs = site.catalogue("initial")
    live = [s for s in specs if s.state == "live"]
    assert len(live) >= 30
    for spec in live:
        assert archived_record(db, spec.url) == expected_record(spec, 1), spec.url
        assert archived_log(db, spec.url) == list(spec.log), spec.url


def test_first_crawl_records_every_page_state(crawls) -> None:
    c, site = crawls
    specs = site.catalogue("initial")
    assert page_states(c.stages["first"]) == expected_states(specs)
    kinds = {s.state for s in specs}
    assert {"live", "not_found", "soft_404", "blocked"} <= kinds


def test_robots_disallowed_pages_are_never_requested(crawls) -> None:
    c, site = crawls
    disallowed = {s.path for s in site.catalogue("initial") if s.disallowed}
    assert disallowed
    requested = {r.path for stage in c.requests.values() for r in stage}
    assert requested & disallowed == set()
    outcomes = rows(
        c.stages["first"],
        "SELECT DISTINCT outcome FROM fetches WHERE url LIKE '%/3017/'",
    )
    assert outcomes == [{"outcome": "robots_disallowed"}]


def test_every_request_carries_the_user_agent(crawls) -> None:
    c, _ = crawls
    agents = {r.headers.get("user-agent") for stage in c.requests.values() for r in stage}
    assert len(agents) == 1
    assert agents.pop().startswith("hmicfrs-archive/")


def test_unchanged_site_adds_no_snapshot_and_is_asked_conditionally(crawls) -> None:
    c, site = crawls
    assert c.results["again"].exit_code == 0, c.results["again"].output
    count = "SELECT COUNT(*) AS n FROM snapshots"
    assert rows(c.stages["again"], count) == rows(c.stages["first"], count)
    live_paths = {s.path for s in site.catalogue("initial") if s.state == "live"}
    asked = [r for r in c.requests["again"] if r.path in live_paths]
    assert {r.path for r in asked} == live_paths
    assert all("if-none-match" in r.headers for r in asked)
    outcomes = rows(
        c.stages["again"],
        """SELECT f.url, f.outcome FROM fetches f JOIN pages p ON p.url = f.url
           WHERE f.run_id = 2 AND p.state = 'live' AND p.kind = 'recommendation'""",
    )
    # A page answering 404 (under its banner) has no 304 to give: it is read and found equal.
    assert {r["url"]: r["outcome"] for r in outcomes} == {
        s.url: "not_modified" if s.http_status == 200 else "unchanged"
        for s in site.catalogue("initial")
        if s.state == "live"
    }
    assert page_states(c.stages["again"]) == page_states(c.stages["first"])


def test_later_crawl_adds_exactly_the_expected_versions(crawls) -> None:
    c, site = crawls
    assert c.results["later"].exit_code == 0, c.results["later"].output
    before = {
        r["url"]: r["n"]
        for r in rows(c.stages["again"], "SELECT url, COUNT(*) AS n FROM snapshots GROUP BY url")
    }
    after = {
        r["url"]: r["n"]
        for r in rows(c.stages["later"], "SELECT url, COUNT(*) AS n FROM snapshots GROUP BY url")
    }
    later = site.catalogue("later")
    rec_urls = {s.url for s in later}
    added = {u: after[u] - before.get(u, 0) for u in after if u in rec_urls}
    expected = {
        s.url: 1 for s in later if s.change in CHANGED_LATER or s.change in ("new", "returned")
    }
    assert {u: n for u, n in added.items() if n} == expected
    changes = {s.change for s in later}
    assert {"cosmetic", "new", "returned", "vanished", "gone", "soft_404"} <= changes


def test_later_crawl_records_what_the_site_says_now(crawls) -> None:
    c, site = crawls
    db = c.stages["later"]
    for spec in site.catalogue("later"):
        if spec.state != "live":
            continue
        version = 2 if spec.change in CHANGED_LATER else 1
        assert archived_record(db, spec.url) == expected_record(spec, version), spec.url
        assert archived_log(db, spec.url) == list(spec.log), spec.url


def test_later_crawl_records_missing_pages_and_returns(crawls) -> None:
    c, site = crawls
    later = site.catalogue("later")
    assert page_states(c.stages["later"]) == expected_states(later)
    missing = rows(c.stages["later"], "SELECT url, state FROM missing_pages ORDER BY url")
    assert missing == sorted(
        ({"url": s.url, "state": s.state} for s in later if s.state in
         ("not_found", "gone", "soft_404")),
        key=lambda r: r["url"],
    )  # fmt: skip
    returned = [s.url for s in later if s.change == "returned"]
    events = rows(c.stages["later"], "SELECT url FROM page_events WHERE event = 'came_back'")
    assert [e["url"] for e in events] == returned


def test_missing_pages_keep_their_archive(crawls) -> None:
    c, site = crawls
    vanished = [s for s in site.catalogue("later") if s.change in ("vanished", "gone", "soft_404")]
    for spec in vanished:
        found = rows(
            c.stages["later"],
            "SELECT state, version FROM recommendations WHERE url = ?",
            (spec.url,),
        )
        assert found == [{"state": spec.state, "version": 1}], spec.url


def _entry(e: tuple) -> tuple:
    """(kind, date, content) of a catalogue log entry, as the views show it."""
    on_date, kind, status, comment = e
    return kind, on_date, status if kind == "status" else comment


def test_views_show_rewritten_history_regressions_and_appends(crawls) -> None:
    c, site = crawls
    db = c.stages["later"]
    first = {s.rec_id: s for s in site.catalogue("initial")}
    later = {s.rec_id: s for s in site.catalogue("later")}
    changed_at = {
        r["url"]: r["captured_at"]
        for r in rows(db, "SELECT url, captured_at FROM snapshots WHERE version = 2")
    }

    expected_rewrites = []
    for spec in later.values():
        if spec.change not in ("edited", "removed", "redated"):
            continue
        gone = [_entry(e) for e in first[spec.rec_id].log if e not in spec.log]
        new = [_entry(e) for e in spec.log if e not in first[spec.rec_id].log]
        assert len(gone) == 1 and len(new) <= 1, spec.rec_id
        kind, on_date, before = gone[0]
        after = new[0][2] if new else None
        expected_rewrites.append(
            {
                "url": spec.url, "rec_id": spec.rec_id, "from_version": 1, "to_version": 2,
                "changed_at": changed_at[spec.url], "on_date": on_date, "kind": kind,
                "change": spec.change, "before": before,
                "after": after if spec.change == "edited" else (before if new else None),
                "before_date": on_date, "after_date": new[0][1] if new else None,
            }
        )  # fmt: skip
    original = """url, rec_id, from_version, to_version, changed_at, on_date, kind, change, before,
        after, before_date, after_date"""
    assert rows(db, f"SELECT {original} FROM rewritten_history ORDER BY url") == sorted(
        expected_rewrites, key=lambda r: r["url"]
    )
    assert {r["change"] for r in expected_rewrites} == {"edited", "removed", "redated"}

    regressed = [s for s in later.values() if s.change == "regressed"]
    assert [
        (r["url"], r["from_status"], r["to_status"])
        for r in rows(db, "SELECT * FROM status_changes WHERE is_regression = 1 ORDER BY url")
        if r["url"] in {s.url for s in regressed}
    ] == [(s.url, "complete", "being-progressed") for s in regressed]

    appended = {
        s.url: len([e for e in s.log if e not in first[s.rec_id].log])
        for s in later.values()
        if s.change in ("appended", "regressed")
    }
    found = {
        r["url"]: r["appended"]
        for r in rows(
            db,
            """SELECT url, appended FROM version_changes
               WHERE edited = 0 AND removed = 0 AND redated = 0 AND appended > 0""",
        )
    }
    assert found == appended


def test_missing_since_is_the_time_the_crawl_found_it_missing(crawls) -> None:
    c, site = crawls
    db = c.stages["later"]
    run = rows(db, "SELECT started_at, finished_at FROM runs WHERE id = 3")[0]
    vanished = {
        s.url for s in site.catalogue("later") if s.change in ("vanished", "gone", "soft_404")
    }
    since = {
        r["url"]: r["missing_since"]
        for r in rows(db, "SELECT url, missing_since FROM missing_pages")
        if r["url"] in vanished
    }
    assert set(since) == vanished
    assert all(run["started_at"] <= t <= run["finished_at"] for t in since.values())
    # Each one is the time of the request that found it missing.
    for url, t in since.items():
        assert rows(db, "SELECT MAX(requested_at) AS t FROM fetches WHERE url = ?", (url,)) == [
            {"t": t}
        ]


def test_a_recommendation_that_moved_hosts_is_archived_once_where_it_lives_now(
    tmp_path: Path,
) -> None:
    with FixtureSite(state="initial") as site:
        config = write_config(tmp_path / "config.yaml", site.base_url, tmp_path / "a.sqlite")
        db = tmp_path / "a.sqlite"
        spec = next(s for s in site.catalogue() if s.state == "live" and s.layout == 1)
        assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
        # The old host's URL now redirects to the current host's, and a listing or sitemap
        # may name either: the recommendation must still be one page in the archive.
        site.inject(spec.path, Fault("moved", times=1000))
        moved_to = site.base_url + spec.path.removeprefix("/hmicfrs")
        assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
        assert hmicfrs("crawl", "--config", str(config)).exit_code == 0
        pages = rows(
            db,
            """SELECT url, state, last_http_status AS http, redirect_target,
                      etag IS NOT NULL AS has_etag
               FROM pages WHERE rec_id = ? ORDER BY url""",
            (spec.rec_id,),
        )
        # The new URL is reached both through the old one (200: no validators cross that
        # redirect) and as itself, asked conditionally (304); either may come last.
        assert pages[1].pop("http") in (200, 304)
        assert pages == [
            {
                "url": spec.url,
                "state": "redirected",
                "http": 301,
                "redirect_target": moved_to,
                "has_etag": 0,
            },
            {"url": moved_to, "state": "live", "redirect_target": None, "has_etag": 1},
        ]
        # Where it lives now: the same record, one version however often it is reached.
        assert archived_record(db, moved_to) == {
            **expected_record(spec, 1),
            "url": moved_to,
        }
        assert rows(db, "SELECT COUNT(*) AS n FROM snapshots WHERE url = ?", (moved_to,)) == [
            {"n": 1}
        ]
        # The old URL keeps the version it had, and says where the page went.
        assert archived_record(db, spec.url) == {**expected_record(spec, 1), "state": "redirected"}
        events = rows(db, "SELECT event FROM page_events WHERE url = ?", (spec.url,))
        assert events == [{"event": "appeared"}, {"event": "redirected"}]


def test_listings_keep_what_they_show_of_every_recommendation(crawls) -> None:
    c, site = crawls
    db = c.stages["first"]
    listed = [s for s in site.catalogue(state="initial") if s.listed_in]
    got: dict[int, list[dict[str, Any]]] = {}
    for r in rows(db, "SELECT * FROM listed_recommendations ORDER BY listing_url"):
        got.setdefault(r["rec_id"], []).append(
            {
                "url": r["url"],
                "report_title": r["report_title"],
                "cause_of_concern": r["cause_of_concern"],
                "text": r["text"],
                "current_status": r["current_status"],
                "status_date": r["status_date"],
                "log": [
                    [e["on_date"], e["kind"], e["status"], e["comment"]]
                    for e in json.loads(r["log"])
                ],
                "page_state": r["page_state"],
                "only_in_listing": r["only_in_listing"],
            }
        )
    expected = {
        spec.rec_id: [
            {
                "url": spec.url,
                "report_title": spec.report_title,
                "cause_of_concern": spec.cause_of_concern,
                "text": spec.text,
                "current_status": spec.current_status,
                "status_date": spec.status_date,
                "log": [list(e) for e in spec.log],
                "page_state": spec.state,
                "only_in_listing": int(spec.state != "live"),
            }
        ]
        * len(spec.listed_in)
        for spec in listed
    }
    assert got == expected
    # The soft 404 whose text only a listing still shows is in the archive after all.
    assert any(s.state == "soft_404" for s in listed)


def test_listing_versions_store_each_entry_content_once(crawls) -> None:
    c, _ = crawls
    db = c.stages["later"]
    counts = rows(
        db,
        """SELECT (SELECT COUNT(*) FROM listing_entry_rows) AS entries,
                  (SELECT COUNT(DISTINCT content_sha256) FROM listing_entry_rows) AS shown,
                  (SELECT COUNT(*) FROM listing_entry_contents) AS stored,
                  (SELECT COUNT(DISTINCT snapshot_id) FROM listing_entry_rows) AS versions,
                  (SELECT COUNT(DISTINCT listing_url) FROM listing_entry_rows) AS listings""",
    )[0]
    # The later state gave some listing pages a second version that repeats most entries.
    assert counts["versions"] > counts["listings"]
    assert counts["stored"] == counts["shown"] < counts["entries"]
