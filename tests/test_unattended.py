"""Running unattended: the lock, budgets that converge, outages that mark nothing missing, the
layout-drift guard, the missing-page lifecycle, the coverage audit, signals, exit codes and
what cron and machines see (-q, --json-log).

Most runs go through the CLI in this process (tests.support.hmicfrs); the exit codes, the
output switches and the signals go through a real `python -m scraper` process.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from store.archive import format_time
from store.lock import RunLock
from tests.fixturesite import Fault, FixtureSite
from tests.fixturesite import pages as fixture_pages
from tests.support import ROOT, hmicfrs, rows, site_config, write_config
from tests.test_crash import archive_contents, assert_sound

CLOSED = ("complete", "no-further-action-needed")


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite(state="initial") as s:
        yield s


class Archive:
    """One database and config against the fixture site, with what each run saw."""

    def __init__(self, site: FixtureSite, tmp: Path, name: str = "archive", **crawl: Any) -> None:
        self.site = site
        self.tmp = tmp
        self.db = tmp / f"{name}.sqlite"
        self.config = write_config(tmp / f"{name}.yaml", site.base_url, self.db, **crawl)
        self.served: list = []

    def crawl(self, *args: str) -> Any:
        self.site.clear_requests()
        result = hmicfrs("crawl", "--config", str(self.config), *args)
        self.served = self.site.requests
        return result

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The CLI as a real process (exit status as the shell sees it)."""
        self.site.clear_requests()
        result = subprocess.run(
            [sys.executable, "-m", "scraper", *args, "--config", str(self.config)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        self.served = self.site.requests
        return result

    def crawl_signalled(
        self, when: Callable[[int], bool], signum: int, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """`crawl` as a real process, sent `signum` once `when(request count)` holds."""
        holder: dict[str, subprocess.Popen[str]] = {}

        def send(count: int) -> None:
            if when(count):
                os.kill(holder["proc"].pid, signum)

        self.site.on_request = send
        try:
            holder["proc"] = subprocess.Popen(
                [sys.executable, "-m", "scraper", "crawl", "--config", str(self.config)],
                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            out, err = holder["proc"].communicate(timeout=timeout)
        finally:
            self.site.on_request = None
        return subprocess.CompletedProcess(holder["proc"].args, holder["proc"].returncode, out, err)

    def last_run(self) -> dict[str, Any]:
        run = rows(self.db, "SELECT * FROM runs ORDER BY id DESC LIMIT 1")[0]
        run["stats"] = json.loads(run["stats"] or "{}")
        return run

    def states(self) -> dict[str, tuple]:
        return {
            r["url"]: (r["state"], r["missing_since"])
            for r in rows(self.db, "SELECT url, state, missing_since FROM pages")
        }

    def count(self, table: str) -> int:
        return rows(self.db, f"SELECT COUNT(*) AS n FROM {table}")[0]["n"]


def rec_paths(site: FixtureSite) -> list[str]:
    return [s.path for s in site.catalogue() if not s.disallowed]


# --- the lock --------------------------------------------------------------------------------


def test_a_second_run_exits_3_naming_the_holder_and_asks_nothing(
    site: FixtureSite, tmp_path: Path
) -> None:
    a = Archive(site, tmp_path)
    with RunLock(a.db, "crawl", "2026-11-24T03:17:00.000Z"):
        for args in (["crawl"], ["backfill", "--ids", "1-3"]):
            result = hmicfrs(*args, "--config", str(a.config))
            assert result.exit_code == 3
            assert f"pid {os.getpid()}" in result.output
            assert "'crawl' started at 2026-11-24T03:17:00.000Z" in result.output
    assert site.request_count == 0
    assert a.crawl().exit_code == 0


# --- budgets ---------------------------------------------------------------------------------


def test_a_budget_limited_crawl_is_continued_by_later_runs_to_the_same_archive(
    site: FixtureSite, tmp_path: Path
) -> None:
    revisit = {"revisit_open_hours": 24, "revisit_closed_hours": 168}
    whole = Archive(site, tmp_path, "whole", **revisit)
    assert whole.crawl().exit_code == 0
    assert whole.last_run()["status"] == "ok"

    budget = 12
    a = Archive(site, tmp_path, "budget", max_requests=budget, **revisit)
    statuses, cycle_paths, repeated = [], [], set()
    for _ in range(20):
        result = a.crawl()
        assert result.exit_code == 0, result.output
        run = a.last_run()
        statuses.append(run["status"])
        assert len(a.served) <= budget
        # Within one discovery cycle no listing or sitemap is asked twice.
        paths = [r.path for r in a.served if "recommendation/" not in r.path]
        paths = [p for p in paths if p != "/robots.txt"]
        repeated |= set(paths) & set(cycle_paths)
        cycle_paths += paths
        if run["stats"].get("discovery") == "complete":
            cycle_paths = []
        if run["status"] == "ok":
            break
        assert "budget" in run["message"] and "the next run continues" in run["message"]
    assert statuses[-1] == "ok"
    assert set(statuses[:-1]) == {"partial"} and len(statuses) >= 4
    assert repeated == set()
    assert archive_contents(a.db) == archive_contents(whole.db)
    assert_sound(a.db)


def test_discovery_larger_than_the_budget_still_lets_pages_progress(
    site: FixtureSite, tmp_path: Path
) -> None:
    # Four requests: robots.txt, one discovery page, two pages. The first run only reads the
    # sitemap index; from the second on, every run archives pages while discovery goes on.
    a = Archive(site, tmp_path, max_requests=4, revisit_open_hours=24, revisit_closed_hours=168)
    archived = []
    for _ in range(5):
        assert a.crawl().exit_code == 0
        assert len(a.served) <= 4
        archived.append(a.count("snapshots WHERE url LIKE '%/recommendation/%'"))
    assert archived[0] == 0
    assert all(b > a for a, b in zip(archived[1:], archived[2:], strict=False))


def test_a_time_budget_stops_a_run_as_partial_and_the_next_continues(
    site: FixtureSite, tmp_path: Path
) -> None:
    a = Archive(
        site, tmp_path, max_runtime_seconds=0.6, delay_seconds=0.03,
        revisit_open_hours=24, revisit_closed_hours=168,
    )  # fmt: skip
    first = a.crawl()
    assert first.exit_code == 0
    run = a.last_run()
    assert run["status"] == "partial" and "time budget" in run["message"]
    for _ in range(20):
        if a.last_run()["status"] == "ok":
            break
        assert a.crawl().exit_code == 0
    assert a.last_run()["status"] == "ok"
    live = {s.url for s in site.catalogue() if s.state == "live"}
    assert live <= {r["url"] for r in rows(a.db, "SELECT url FROM snapshots")}


def test_closed_recommendations_wait_longer_and_the_interval_has_slack(
    site: FixtureSite, tmp_path: Path
) -> None:
    a = Archive(
        site,
        tmp_path,
        revisit_open_hours=24,
        revisit_closed_hours=168,
        defer_on_lastmod=False,
        defer_on_listing=False,
    )  # the intervals alone, with the default rotation (paced by the hours since the last
    # crawl: none minutes after it); no deferral, or a sitemap's unmoved lastmod would hold
    # the open pages to the closed interval
    assert a.crawl().exit_code == 0
    assert a.crawl().exit_code == 0
    assert [r.path for r in a.served if "recommendation/" in r.path] == []

    now = datetime.now(UTC)
    # A nightly run finds last night's checks a little under 24 hours old.
    open_at = format_time(now - timedelta(hours=23, minutes=50))
    closed_at = format_time(now - timedelta(hours=100))
    with sqlite3.connect(a.db) as conn:
        conn.execute(
            "UPDATE pages SET last_checked_at = CASE WHEN current_status IN (?, ?) "
            "THEN ? ELSE ? END WHERE kind = 'recommendation'",
            (*CLOSED, closed_at, open_at),
        )
    assert a.crawl().exit_code == 0
    asked = {site.base_url + r.path for r in a.served if "recommendation/" in r.path}
    open_live = {
        r["url"]
        for r in rows(
            a.db,
            "SELECT url FROM pages WHERE kind = 'recommendation' AND state = 'live' "
            "AND COALESCE(current_status, '') NOT IN (?, ?)",
            CLOSED,
        )
    }
    assert asked == open_live
    closed = rows(a.db, "SELECT url FROM pages WHERE current_status IN (?, ?)", CLOSED)
    assert len(closed) >= 3


# --- outages never mark a page missing -------------------------------------------------------


def outage(kind: str) -> tuple[Callable[[FixtureSite], None], dict[str, Any]]:
    def on_pages(fault: Fault) -> Callable[[FixtureSite], None]:
        def inject(site: FixtureSite) -> None:
            for path in rec_paths(site):
                site.inject(path, fault)

        return inject

    return {
        "robots 503": (lambda s: s.inject("/robots.txt", Fault("503", times=100)), {}),
        "pages 503": (on_pages(Fault("503", times=100)), {}),
    }[kind]


# Which answers are "no usable answer" (5xx pages, timeouts) is observe's, in test_observe;
# the streak that stops the run is the Outage guard's, in test_guards.
@pytest.mark.parametrize("kind", ["robots 503", "pages 503"])
def test_an_outage_stops_the_run_with_4_and_marks_nothing_missing(
    site: FixtureSite, tmp_path: Path, kind: str
) -> None:
    inject, crawl = outage(kind)
    a = Archive(site, tmp_path, **crawl)
    assert a.crawl().exit_code == 0
    before = (a.states(), a.count("snapshots"), a.count("page_events"))

    inject(site)
    result = a.crawl()
    assert result.exit_code == 4, result.output
    run = a.last_run()
    assert run["status"] == "failed"
    assert run["message"] in result.output
    assert (a.states(), a.count("snapshots"), a.count("page_events")) == before
    # Every request the outage cost is on record.
    assert a.count("fetches WHERE run_id = 2") == len(a.served)

    site.clear_faults()
    assert a.crawl().exit_code == 0
    assert a.states() == before[0]


def test_a_few_failing_pages_exit_1_and_keep_their_state(site: FixtureSite, tmp_path: Path) -> None:
    a = Archive(site, tmp_path)
    assert a.crawl().exit_code == 0
    failing = rec_paths(site)[:2]
    for path in failing:
        site.inject(path, Fault("html500", times=10))
    result = a.crawl()
    assert result.exit_code == 1
    assert "2 page(s) failed" in result.output
    states = a.states()
    assert {states[site.base_url + p][0] for p in failing} == {"live"}


# --- the layout-drift guard ------------------------------------------------------------------

APP_SHELL = (
    "<!DOCTYPE html><html><head><title>Recommendation</title></head><body>"
    '<div id="root"></div><script src="/static/app.js"></script></body></html>'
)


def drifted(site: FixtureSite, layout: str) -> None:
    """Serve every recommendation page in another layout from now on."""
    original = site._page
    soft_404 = fixture_pages.not_found_html(site.base_url)

    live = {s.path for s in site.catalogue() if s.state == "live" and s.http_status == 200}

    def page(path: str) -> fixture_pages.Page:
        served = original(path)
        if path not in live:
            return served
        body = APP_SHELL if layout == "app shell" else soft_404
        return fixture_pages.Page(200, body)

    site._page = page  # type: ignore[method-assign]


# Which pages are drift suspects (a soft 404 with a 200 among them) is in test_guards.
@pytest.mark.parametrize("layout", ["app shell"])
def test_the_drift_guard_stops_the_run_and_records_nothing_from_those_pages(
    site: FixtureSite, tmp_path: Path, layout: str
) -> None:
    a = Archive(site, tmp_path)
    assert a.crawl().exit_code == 0
    before = (a.states(), a.count("snapshots"), a.count("recommendation_versions"))

    original = site._page
    drifted(site, layout)
    result = a.crawl()
    assert result.exit_code == 1, result.output
    assert "layout drift: 5 of 5 pages" in result.output
    run = a.last_run()
    assert run["status"] == "failed" and run["message"].startswith("layout drift")
    assert (a.states(), a.count("snapshots"), a.count("recommendation_versions")) == before
    since = (run["started_at"],)
    assert rows(a.db, "SELECT * FROM missing_pages WHERE missing_since > ?", since) == []
    # It stopped once five pages were judged; their requests are on record.
    asked = [r for r in a.served if "/recommendation/" in r.path]
    assert len(asked) < len(rec_paths(site)) // 2
    held = rows(
        a.db,
        "SELECT url, outcome, error FROM fetches WHERE run_id = ? AND error LIKE 'layout drift%'",
        (run["id"],),
    )
    assert len(held) == 5
    assert {r["outcome"] for r in held} == {"error"}
    assert {a.site.base_url + r.path for r in asked} > {r["url"] for r in held}
    assert a.count("fetches WHERE run_id = 2") == len(a.served)

    site._page = original  # type: ignore[method-assign]
    assert a.crawl().exit_code == 0
    assert (a.states(), a.count("snapshots")) == before[:2]


# --- missing pages, and coverage -------------------------------------------------------------


def test_a_page_goes_missing_and_comes_back(site: FixtureSite, tmp_path: Path) -> None:
    a = Archive(site, tmp_path)
    url = site.spec(3949).url
    assert a.crawl().exit_code == 0
    site.set_state("later")
    assert a.crawl().exit_code == 0
    missing_since = a.states()[url]
    assert missing_since[0] == "not_found" and missing_since[1] is not None
    site.set_state("initial")
    assert a.crawl().exit_code == 0
    assert a.states()[url] == ("live", None)
    events = rows(
        a.db,
        "SELECT run_id, event, state_before, state_after FROM page_events WHERE url = ? "
        "ORDER BY id",
        (url,),
    )
    assert events == [
        {"run_id": 1, "event": "appeared", "state_before": None, "state_after": "live"},
        {"run_id": 2, "event": "went_missing", "state_before": "live", "state_after": "not_found"},
        {"run_id": 3, "event": "came_back", "state_before": "not_found", "state_after": "live"},
    ]
    assert rows(a.db, "SELECT version FROM snapshots WHERE url = ?", (url,)) == [{"version": 1}]


def test_the_summary_audits_coverage(site: FixtureSite, tmp_path: Path) -> None:
    a = Archive(site, tmp_path)
    first = a.crawl()
    assert first.exit_code == 0
    stats = a.last_run()["stats"]
    assert stats["listed_but_missing"] == [2378, 2401]
    assert stats["live_but_no_longer_listed"] == []
    assert "listed but missing: 2378, 2401" in first.output
    assert "live but no longer listed" not in first.output
    # Pages the sitemaps list that are not recommendations are neither asked nor kept.
    assert not [r for r in a.served if "about-us" in r.path or r.path == "/hmicfrs/publications/"]
    assert {r["kind"] for r in rows(a.db, "SELECT DISTINCT kind FROM pages")} == {
        "robots", "sitemap", "listing", "recommendation",
    }  # fmt: skip

    # Drop the "plan" listing: what only it listed, and is live, is no longer listed.
    data = yaml.safe_load(a.config.read_text())
    data["discovery"]["listings"] = [p for p in data["discovery"]["listings"] if "plan" not in p]
    a.config.write_text(yaml.safe_dump(data))
    second = a.crawl()
    only_plan = sorted(
        s.rec_id for s in site.catalogue() if s.listed_in == ("plan",) and s.state == "live"
    )
    assert only_plan
    assert a.last_run()["stats"]["live_but_no_longer_listed"] == only_plan
    assert f"live but no longer listed: {', '.join(map(str, only_plan))}" in second.output


def test_a_run_that_did_not_walk_every_listing_makes_no_coverage_claim(
    site: FixtureSite, tmp_path: Path
) -> None:
    a = Archive(site, tmp_path, max_requests=6)
    assert a.crawl().exit_code == 0
    stats = a.last_run()["stats"]
    assert stats["discovery"] == "partial"
    assert "listed_but_missing" not in stats and "live_but_no_longer_listed" not in stats


# --- signals ---------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_the_run_cleanly_and_the_next_finishes(
    site: FixtureSite, tmp_path: Path, signum: int
) -> None:
    whole = Archive(site, tmp_path, "whole")
    assert whole.crawl().exit_code == 0
    a = Archive(site, tmp_path)
    target = site.request_count + 20
    result = a.crawl_signalled(lambda count: count == target, signum)
    assert result.returncode == 128 + signum, result.stderr
    name = signal.Signals(signum).name
    run = a.last_run()
    assert run["status"] == "interrupted"
    assert run["message"].startswith(f"stopped by {name}")
    assert "crawl: interrupted" in result.stdout
    # It finished the page in hand and asked for nothing more.
    assert site.request_count - (target - 20) <= 21
    assert a.count("fetches") == 20
    assert_sound(a.db)
    assert a.crawl().exit_code == 0
    assert archive_contents(a.db) == archive_contents(whole.db)


@pytest.mark.parametrize("which", ["recommendation", "listing"])
def test_a_signal_during_a_retry_wait_keeps_the_requests_already_sent(
    site: FixtureSite, tmp_path: Path, which: str
) -> None:
    a = Archive(site, tmp_path, retry_after_max_seconds=600)
    throttled = (
        rec_paths(site)[0] if which == "recommendation" else "/hmicfrs/?recommendation-theme=audit"
    )
    site.inject(throttled, Fault("503", times=1000, retry_after=60))
    result = a.crawl_signalled(
        lambda count: site.requests[-1].path == throttled, signal.SIGTERM, timeout=60
    )
    # It stopped during the 60 s Retry-After wait, not after it.
    assert result.returncode == 128 + signal.SIGTERM, result.stderr
    url = site.base_url + throttled
    assert rows(a.db, "SELECT http_status, outcome, error FROM fetches WHERE url = ?", (url,)) == [
        {
            "http_status": 503,
            "outcome": "error",
            "error": "503 Service Unavailable, retry after 60s",
        }
    ]
    # Every request the server answered is on record, and the page itself was not written.
    assert a.count("fetches") == len(site.requests)
    assert rows(a.db, "SELECT COUNT(*) AS n FROM snapshots WHERE url = ?", (url,)) == [{"n": 0}]
    assert_sound(a.db)
    site.clear_faults()
    assert a.crawl().exit_code == 0
    assert rows(a.db, "SELECT state FROM pages WHERE url = ?", (url,)) == [{"state": "live"}]


# --- exit codes and output, as the shell sees them -------------------------------------------


def test_every_exit_code(site: FixtureSite, tmp_path: Path) -> None:
    a = Archive(site, tmp_path)
    codes = {}
    codes[0] = a.cli("crawl")
    site.inject(rec_paths(site)[0], Fault("empty"))
    codes[1] = a.cli("crawl")
    bad = tmp_path / "bad.yaml"
    data = site_config(site.base_url, a.db)
    data["crawl"]["max_request"] = 5
    bad.write_text(yaml.safe_dump(data))
    codes[2] = subprocess.run(
        [sys.executable, "-m", "scraper", "crawl", "--config", str(bad)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    with RunLock(a.db, "crawl", "2026-11-24T03:17:00.000Z"):
        codes[3] = a.cli("crawl")
    site.inject("/robots.txt", Fault("503", times=100))
    codes[4] = a.cli("crawl")
    assert {code: r.returncode for code, r in codes.items()} == {0: 0, 1: 1, 2: 2, 3: 3, 4: 4}
    assert "1 page(s) failed" in codes[1].stdout
    assert "crawl.max_request" in codes[2].stderr
    assert "another run holds the lock" in codes[3].stderr
    assert "cannot read" in codes[4].stdout


def test_quiet_says_nothing_on_a_clean_run_and_speaks_when_it_must(
    site: FixtureSite, tmp_path: Path
) -> None:
    a = Archive(site, tmp_path)
    clean = a.cli("crawl", "-q")
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")
    again = a.cli("crawl", "-q")
    assert (again.returncode, again.stdout, again.stderr) == (0, "", "")
    site.inject(rec_paths(site)[0], Fault("empty"))
    failed = a.cli("crawl", "-q")
    assert failed.returncode == 1
    assert failed.stdout.startswith("crawl: ok;") and "1 page(s) failed" in failed.stdout
    assert "empty body" in failed.stderr


def test_json_log_lines_are_json(site: FixtureSite, tmp_path: Path) -> None:
    a = Archive(site, tmp_path)
    site.inject(rec_paths(site)[0], Fault("html500", times=10))
    result = a.cli("crawl", "--json-log")
    assert result.returncode == 1
    logged = [json.loads(line) for line in result.stderr.splitlines()]
    assert len(logged) > 40
    assert {"time", "level", "message"} <= set(logged[0])
    assert any(entry["level"] == "warning" for entry in logged)
    (summary,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert summary["summary"].startswith("crawl: ok;")
    assert summary["run"]["exit_code"] == 1 and summary["run"]["status"] == "ok"
    with RunLock(a.db, "crawl", "2026-11-24T03:17:00.000Z"):
        locked = a.cli("crawl", "--json-log")
    assert locked.returncode == 3
    (error,) = [json.loads(line) for line in locked.stderr.splitlines()]
    assert error["level"] == "error" and "another run holds the lock" in error["message"]
