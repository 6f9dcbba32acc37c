"""No false observations, as the operator sees them: refusals are never versions, a failed
redirect target is one page's error, stops never wait on a worker, backfills stream, a --urls
file is checked up front, and run summaries count recommendations apart from discovery pages.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from scraper import backfill, load_config
from scraper.engine import Crawler
from scraper.fetch import Robots
from scraper.fetched import Attempt, FetchOutcome, FetchResult
from scraper.identity import Identify
from scraper.workers import StopFlag
from store import Archive as Store
from tests.fixturesite import Fault, FixtureSite
from tests.support import ROOT, rows
from tests.test_crash import assert_sound
from tests.test_unattended import Archive, rec_paths


@pytest.fixture
def site() -> FixtureSite:
    with FixtureSite(state="initial") as s:
        yield s


def every_path(site: FixtureSite) -> list[str]:
    """The listings, sitemaps and recommendation pages a crawl asks for."""
    return sorted({r.path for r in site.requests if r.path != "/robots.txt"})


def test_a_site_wide_403_saves_no_version_and_exits_4(site: FixtureSite, tmp_path: Path) -> None:
    a = Archive(site, tmp_path)
    assert a.crawl().exit_code == 0
    paths = every_path(site)
    before = (a.states(), a.count("snapshots"), a.count("page_events"))
    for path in paths:  # a WAF answering "Access denied" to everything but robots.txt
        site.inject(path, Fault("403", times=100))
    result = a.crawl()
    assert result.exit_code == 4, result.output
    run = a.last_run()
    assert (run["status"], run["pages_new"], run["pages_changed"], run["pages_missing"]) == (
        "failed", 0, 0, 0
    )  # fmt: skip
    assert "the site refused" in run["message"] and run["message"] in result.output
    assert (a.states(), a.count("snapshots"), a.count("page_events")) == before
    assert a.count("fetches WHERE run_id = 2") == len(a.served)


@pytest.mark.parametrize("status", ["401", "403", "410", "451"])
def test_fresh_recommendation_urls_refused_or_gone_are_never_archived_live(
    site: FixtureSite, tmp_path: Path, status: str
) -> None:
    a = Archive(site, tmp_path)
    refused = rec_paths(site)[:2]
    for path in refused:
        site.inject(path, Fault(status, times=10))
    a.crawl()
    urls = tuple(site.base_url + p for p in refused)
    found = rows(
        a.db,
        "SELECT url, state, current_snapshot_id FROM pages WHERE url IN (?, ?) ORDER BY url",
        urls,
    )
    state = "gone" if status == "410" else "error"
    assert found == [{"url": u, "state": state, "current_snapshot_id": None} for u in sorted(urls)]


def test_a_redirect_to_an_unreachable_allowed_host_is_that_pages_error(
    site: FixtureSite, tmp_path: Path
) -> None:
    a = Archive(site, tmp_path, max_retries=0)
    path = rec_paths(site)[0]
    site.inject(path, Fault("redirect_closed_port", times=10))
    for night in (1, 2):  # it used to make every run exit 4, night after night
        result = a.crawl()
        assert result.exit_code == 1, result.output
        page = rows(a.db, "SELECT state, last_error FROM pages WHERE url = ?",
                    (site.base_url + path,))[0]  # fmt: skip
        assert page["state"] == "error"
        assert page["last_error"].startswith("redirect target unreachable: cannot read")
        assert a.last_run()["status"] == "ok", night
    assert a.count("snapshots WHERE url LIKE '%/recommendation/%'") > 1


class BlockingFetcher:
    """A fetcher whose every page request blocks (a worker deep in a long parse)."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Event()
        self.loaded_robots: tuple[Robots, ...] = ()

    def load_robots(self, base_url: str) -> Robots:
        robots = Robots(f"{base_url}/robots.txt", 404, None, (), None, (
            Attempt(f"{base_url}/robots.txt", "2026-12-01T02:00:00.000Z", 404, None, 1, 0, None,
                    False),))  # fmt: skip
        self.loaded_robots = (robots,)
        return robots

    def fetch(self, url: str, **kwargs: object) -> FetchResult:
        self.started.set()
        self.release.wait(60)
        return FetchResult(url, FetchOutcome.ERROR, None, url, None, None, None, None, None,
                           None, "released", ())  # fmt: skip


def test_a_stop_does_not_wait_for_a_busy_worker(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(
        "site: {base_url: 'http://127.0.0.1:9'}\ncrawl: {user_agent: 'test (+mailto:t@e.org)'}\n"
    )
    config = load_config(tmp_path / "config.yaml")
    stop, fetcher = StopFlag(), BlockingFetcher()
    threading.Thread(target=lambda: fetcher.started.wait(60) and stop.request(15)).start()
    pages = [Identify(config.site.base_url, "/?p={id}").of_id(1)]
    with Store(tmp_path / "a.sqlite") as store:
        summary = Crawler(config, store, fetcher, stop=stop).backfill(pages, 1, "ids:1-1")
    busy = not fetcher.release.is_set()
    fetcher.release.set()
    assert busy  # the run ended while its worker was still busy
    assert (summary.status, summary.ending, summary.signum, summary.message) == (
        "interrupted", "interrupted", 15,
        "stopped by SIGTERM; 1 page(s) in hand were left unwritten, the next run continues",
    )  # fmt: skip


def test_a_backfill_of_a_huge_id_range_streams_it(site: FixtureSite, tmp_path: Path) -> None:
    a = Archive(site, tmp_path, max_requests=4)
    summary = backfill(load_config(a.config), ids=range(1, 100_000_001))
    assert (summary.status, summary.ending) == ("partial", "ok")
    assert summary.command == "backfill ids:1-100000000"
    assert [r.path for r in site.requests][1:4] == ["/hmicfrs/?p=1", "/hmicfrs/?p=2",
                                                    "/hmicfrs/?p=3"]  # fmt: skip


def test_an_off_host_url_in_a_urls_file_is_refused_up_front(
    site: FixtureSite, tmp_path: Path
) -> None:
    a = Archive(site, tmp_path)
    urls = tmp_path / "urls.txt"
    urls.write_text(f"# mine\n{site.base_url}/hmicfrs/?p=1\nhttps://elsewhere.example/x\n")
    result = a.cli("backfill", "--urls", str(urls))
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        f"error: {urls}:3: elsewhere.example is not one of site.allowed_hosts (127.0.0.1)\n"
    )
    assert a.served == []


def test_summaries_count_recommendations_apart_and_unknown_ids_as_not_found(
    site: FixtureSite, tmp_path: Path
) -> None:
    a = Archive(site, tmp_path)
    first = a.crawl()
    live = [s for s in site.catalogue() if s.state == "live" and not s.disallowed]
    run = a.last_run()
    discovery = len({r.path for r in a.served if r.path != "/robots.txt"}) - len(
        {r.path for r in a.served if "/recommendation/" in r.path}
    )
    assert run["pages_new"] == len(live)  # robots.txt, listings and sitemaps are not "new"
    assert run["stats"]["discovery_fetched"] == discovery + 1  # and robots.txt
    assert f"{len(live)} new" in first.output
    assert f"discovery: {discovery + 1} page(s), {discovery + 1} changed" in first.output
    result = a.cli("backfill", "--ids", "900000-900004")
    assert result.returncode == 0, result.stderr
    run = a.last_run()
    assert (run["pages_missing"], run["stats"]["not_found"]) == (0, 5)
    assert "0 missing, 5 not found" in result.stdout


def test_sigterm_while_a_worker_is_stuck_reading_exits_143_at_once(
    site: FixtureSite, tmp_path: Path
) -> None:
    # Every recommendation page drips a byte every 0.2 s under a 60 s deadline: the worker is
    # busy long after the signal. The run must end on the signal, not when the worker is done.
    a = Archive(site, tmp_path, timeout_seconds=60, max_retries=0)
    for path in rec_paths(site):
        site.inject(path, Fault("drip", times=5, interval=0.2))
    proc = subprocess.Popen(
        [sys.executable, "-m", "scraper", "crawl", "--config", str(a.config)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Wait (at most 30 s) until one request has been in flight, alone, for half a second.
        seen, quiet = -1, 0
        for _ in range(600):
            count = site.request_count
            quiet = quiet + 1 if count == seen and count and site.in_flight == 1 else 0
            seen = count
            if quiet >= 10:
                break
            time.sleep(0.05)
        assert quiet >= 10
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    run = a.last_run()
    assert (run["status"], run["message"]) == (
        "interrupted",
        "stopped by SIGTERM; 1 page(s) in hand were left unwritten, the next run continues",
    )
    assert "crawl: interrupted" in out
    assert a.count("snapshots WHERE url LIKE '%/recommendation/%'") == 0
    assert_sound(a.db)
