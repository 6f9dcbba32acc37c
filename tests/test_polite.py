"""End to end: politeness and failure handling, proven from the server's side and the archive's.

Each test runs the real CLI (`hmicfrs backfill --urls` for one page, `hmicfrs crawl` for a
whole site) against the fixture site with a fault injected, then asserts both what the server
saw (its own request log: start and end times, headers, statuses) and what the archive
recorded (the fetches rows of the run, the page's state, the run's status and exit code).
Timings are small (delays of hundredths of a second, deadlines of half a second); nothing here
sleeps beyond the fixture server's own latency or the waits the crawler is obliged to make.
"""

from __future__ import annotations

import datetime as dt
import socket
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from click.testing import Result

from scraper.fetch import Fetcher, FetchPolicy, make_client
from tests.fixturesite import Fault, FixtureSite, RequestRecord
from tests.fixturesite.pages import ROBOTS_TXT
from tests.support import hmicfrs, rows, site_config

# Fast but real politeness for every run here (write_config's defaults are zero delay).
FAST = {
    "delay_seconds": 0.02,
    "timeout_seconds": 0.5,
    "connect_timeout_seconds": 0.5,
    "backoff_base_seconds": 0.01,
    "backoff_max_seconds": 0.05,
    "max_retries": 2,
}
LIVE_REC = 88  # a plain layout-4 recommendation, live in the initial state
NON_ASCII_REC = 3333  # its text holds é £ ’ “ ” –
PRIVATE_REC = 3017  # listed under audit, disallowed by the site's robots.txt


@dataclass
class Run:
    """One CLI run: its result, the server's log of it, and the archive it wrote."""

    result: Result
    requests: list[RequestRecord]  # in order of start
    db: Path
    run_id: int

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    def requests_for(self, path: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.path == path]

    def fetches(self, url: str | None = None) -> list[dict[str, Any]]:
        sql = """SELECT url, http_status, outcome, error FROM fetches WHERE run_id = ?"""
        params: tuple = (self.run_id,)
        if url is not None:
            sql += " AND url = ?"
            params += (url,)
        return rows(self.db, sql + " ORDER BY id", params)

    def run_row(self) -> dict[str, Any]:
        return rows(self.db, "SELECT * FROM runs WHERE id = ?", (self.run_id,))[0]

    def page(self, url: str) -> dict[str, Any]:
        found = rows(
            self.db,
            """SELECT state, last_http_status, redirect_target, last_error IS NOT NULL AS failed
               FROM pages WHERE url = ?""",
            (url,),
        )
        return found[0] if found else {}


class Harness:
    """A fixture site, a config and an archive in a temporary folder; runs the CLI."""

    def __init__(self, site: FixtureSite, tmp: Path) -> None:
        self.site = site
        self.tmp = tmp
        self.db = tmp / "archive.sqlite"
        self.runs = 0

    def config(
        self, base_url: str | None = None, listings: list[str] | None = None, **crawl: Any
    ) -> Path:
        data = site_config(base_url or self.site.base_url, self.db, **{**FAST, **crawl})
        if listings is not None:
            data["discovery"]["listings"] = listings
        path = self.tmp / f"config-{self.runs}.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        return path

    def url(self, path: str) -> str:
        return self.site.base_url + path

    def run(self, *args: str, config: Path) -> Run:
        self.site.clear_requests()
        self.runs += 1
        result = hmicfrs(*args, "--config", str(config))
        requests = sorted(self.site.requests, key=lambda r: r.start)
        run_id = rows(self.db, "SELECT MAX(id) AS id FROM runs")[0]["id"] if self.db.exists() else 0
        return Run(result, requests, self.db, run_id)

    def backfill(self, *paths: str, base_url: str | None = None, **crawl: Any) -> Run:
        """`hmicfrs backfill --urls` over these paths: robots.txt, then exactly these pages."""
        # Named for its content: a backfill's job is its file, and a rerun must find it.
        urls = self.tmp / f"urls-{zlib.crc32(' '.join(paths).encode()):08x}.txt"
        urls.write_text("".join(f"{p}\n" for p in paths))
        config = self.config(base_url, **crawl)
        return self.run("backfill", "--urls", str(urls), config=config)

    def crawl(self, *, listings: list[str] | None = None, **crawl: Any) -> Run:
        """`hmicfrs crawl`: robots.txt, its sitemaps, the listings, then every page due."""
        return self.run("crawl", config=self.config(listings=listings, **crawl))


@pytest.fixture
def site() -> Iterator[FixtureSite]:
    with FixtureSite(state="initial") as s:
        yield s


@pytest.fixture
def h(site: FixtureSite, tmp_path: Path) -> Harness:
    return Harness(site, tmp_path)


def rec_path(site: FixtureSite, rec_id: int) -> str:
    spec = site.spec(rec_id)
    assert spec is not None
    return spec.path


def statuses(requests: list[RequestRecord]) -> list[int | None]:
    """Server statuses as the fetches table writes them (0, no response sent, is NULL)."""
    return [r.status or None for r in requests]


def gaps(requests: list[RequestRecord]) -> list[float]:
    """Gaps between consecutive request starts, as the server measured them."""
    starts = sorted(r.start for r in requests)
    return [b - a for a, b in zip(starts, starts[1:], strict=False)]


def path_of(url: str) -> str:
    """A URL's path with its query, as the server logs it."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def head(error: str | None) -> str | None:
    """An error's cause up to the first colon or parenthesis (httpx details vary)."""
    if error is None:
        return None
    return error.split(":")[0].split(" (")[0]


def summary(fetches: list[dict[str, Any]]) -> list[tuple]:
    return [(f["http_status"], f["outcome"], head(f["error"])) for f in fetches]


def snapshot_count(db: Path, url: str) -> int:
    return rows(db, "SELECT COUNT(*) AS n FROM snapshots WHERE url = ?", (url,))[0]["n"]


def stored_body(db: Path, url: str) -> bytes:
    found = rows(
        db,
        """SELECT body, body_compression FROM snapshots WHERE url = ?
           ORDER BY version DESC LIMIT 1""",
        (url,),
    )
    assert found, url
    body = found[0]["body"]
    return zlib.decompress(body) if found[0]["body_compression"] == "zlib" else bytes(body)


def parsed(db: Path, url: str) -> dict[str, Any]:
    found = rows(
        db,
        """SELECT rec_id, force, report_title, rec_type, cause_of_concern, text,
                  current_status, status_date, has_404_banner
           FROM recommendation_versions WHERE url = ? ORDER BY snapshot_id DESC LIMIT 1""",
        (url,),
    )
    assert found, url
    return found[0]


# --- retries: statuses and transport failures ------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        pytest.param(
            Fault("500"), [(500, "error", "500 Internal Server Error"), (200, "new", None)],
            id="500-then-ok",
        ),
        pytest.param(
            Fault("503"), [(503, "error", "503 Service Unavailable"), (200, "new", None)],
            id="503-then-ok",
        ),
        pytest.param(
            Fault("502", times=2),
            [(502, "error", "502 Bad Gateway")] * 2 + [(200, "new", None)],
            id="502-twice-then-ok",
        ),
        pytest.param(
            Fault("reset"), [(None, "error", "connection reset"), (200, "new", None)],
            id="reset-then-ok",
        ),
        pytest.param(
            Fault("truncate"), [(200, "error", "protocol error"), (200, "new", None)],
            id="truncate-then-ok",
        ),
    ],
)  # fmt: skip
def test_a_failed_request_is_retried_and_every_attempt_is_a_row(
    h: Harness, fault: Fault, expected: list[tuple]
) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, fault)
    run = h.backfill(path)
    assert run.exit_code == 0, run.result.output
    served = run.requests_for(path)
    fetched = run.fetches(h.url(path))
    assert summary(fetched) == expected
    # The server saw exactly the requests the archive recorded, in the same order.
    assert statuses(served) == [f["http_status"] for f in fetched]
    assert run.page(h.url(path)) == {
        "state": "live", "last_http_status": 200, "redirect_target": None, "failed": 0,
    }  # fmt: skip
    assert snapshot_count(run.db, h.url(path)) == 1


def test_a_hanging_server_is_cut_off_by_the_read_timeout(h: Harness) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, Fault("hang", delay=5.0))
    run = h.backfill(path)
    assert run.exit_code == 0, run.result.output
    hung, retry = run.requests_for(path)
    # We hung up at our 0.5 s timeout; the server had meant to wait 5 s before answering.
    # (The server notices the hang-up by polling, so allow it a few milliseconds either way.)
    assert hung.status == 0
    assert 0.45 <= hung.end - hung.start < 2.5
    assert retry.start >= hung.end
    assert summary(run.fetches(h.url(path))) == [(None, "error", "timeout"), (200, "new", None)]


def test_a_slow_drip_is_cut_by_the_total_deadline_and_recorded(h: Harness) -> None:
    path = rec_path(h.site, LIVE_REC)
    # One byte every 10 ms of a page of several kilobytes: each read is quick, the whole would
    # take most of a minute. Dripped on the first try and the retry.
    h.site.inject(path, Fault("drip", times=2, interval=0.01))
    run = h.backfill(path, max_retries=1)
    assert run.exit_code == 1, run.result.output
    served = run.requests_for(path)
    assert len(served) == 2
    for r in served:
        # Cut at our deadline (counted from before the request went out), not after ~30 s.
        assert 0.4 <= r.end - r.start < 2.5
    fetched = run.fetches(h.url(path))
    assert summary(fetched) == [(200, "error", "timeout")] * 2
    assert [f["error"] for f in fetched] == ["timeout: over the 0.5s deadline"] * 2
    assert run.page(h.url(path)) == {
        "state": "error", "last_http_status": 200, "redirect_target": None, "failed": 1,
    }  # fmt: skip
    assert snapshot_count(run.db, h.url(path)) == 0
    assert run.run_row()["errors"] == 1


def test_giving_up_is_an_error_with_its_cause_and_the_run_goes_on(h: Harness) -> None:
    failing, fine = rec_path(h.site, LIVE_REC), rec_path(h.site, 104)
    h.site.inject(failing, Fault("500", times=10))
    run = h.backfill(failing, fine, max_retries=2)
    assert run.exit_code == 1, run.result.output
    assert statuses(run.requests_for(failing)) == [500, 500, 500]
    assert summary(run.fetches(h.url(failing))) == [(500, "error", "500 Internal Server Error")] * 3
    error = rows(run.db, "SELECT last_error FROM pages WHERE url = ?", (h.url(failing),))
    assert error == [{"last_error": "gave up after 3 attempts: 500 Internal Server Error"}]
    assert summary(run.fetches(h.url(fine))) == [(200, "new", None)]
    assert run.run_row()["status"] == "ok"


# --- Retry-After ---------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["429", "503"])
def test_retry_after_in_seconds_is_honoured_at_the_server(h: Harness, status: str) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, Fault(status, retry_after=1))
    run = h.backfill(path)
    assert run.exit_code == 0, run.result.output
    refused, retry = run.requests_for(path)
    assert (refused.status, retry.status) == (int(status), 200)
    assert retry.start - refused.end >= 1.0
    fetched = run.fetches(h.url(path))
    assert [f["error"] for f in fetched][0].endswith("retry after 1s")
    assert summary(fetched)[1] == (200, "new", None)


def test_retry_after_as_an_http_date_is_honoured_at_the_server(h: Harness) -> None:
    path = rec_path(h.site, LIVE_REC)
    # Wall clock to the server's monotonic clock, so a date can be compared with its log.
    wall, mono = time.time(), time.monotonic()
    when = dt.datetime.fromtimestamp(int(wall) + 2, dt.UTC)  # whole seconds, 1-2 s away
    h.site.inject(path, Fault("429", retry_after=when))
    run = h.backfill(path)
    assert run.exit_code == 0, run.result.output
    refused, retry = run.requests_for(path)
    assert refused.headers.get("user-agent", "").startswith("hmicfrs-archive/")
    assert (refused.status, retry.status) == (429, 200)
    assert retry.start + (wall - mono) >= when.timestamp()
    fetched = run.fetches(h.url(path))
    assert summary(fetched)[1:] == [(200, "new", None)]
    # Read against our clock when the 429 came: whole seconds, rounded up.
    assert fetched[0]["error"] in {f"429 Too Many Requests, retry after {n}s" for n in (1, 2)}


@pytest.mark.parametrize("concurrency", [1, 3])
def test_retry_after_holds_back_every_request_to_the_host(h: Harness, concurrency: int) -> None:
    paths = [rec_path(h.site, i) for i in (LIVE_REC, 104, 231, 517)]
    h.site.inject(paths[0], Fault("503", retry_after=1))
    run = h.backfill(*paths, concurrency=concurrency)
    assert run.exit_code == 0, run.result.output
    refused = run.requests_for(paths[0])[0]
    later = [r for r in run.requests if r.start > refused.end]
    assert {r.path for r in later} >= {paths[0]}
    assert [r.path for r in later if r.start - refused.end < 1.0] == []


def test_a_retry_after_longer_than_we_wait_gives_the_page_up_at_once(h: Harness) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, Fault("503", times=5, retry_after=120))
    run = h.backfill(path, retry_after_max_seconds=1)
    assert run.exit_code == 1, run.result.output
    assert statuses(run.requests_for(path)) == [503]
    assert [f["error"] for f in run.fetches(h.url(path))] == [
        "503 Service Unavailable, retry after 120s (over the 1s we wait)"
    ]
    assert run.page(h.url(path))["state"] == "error"


# --- bodies that cannot be archived ----------------------------------------------------------


def test_an_empty_body_is_an_error_state_and_not_retried(h: Harness) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, Fault("empty"))
    run = h.backfill(path)
    assert run.exit_code == 1, run.result.output
    assert statuses(run.requests_for(path)) == [200]
    assert [(f["http_status"], f["outcome"]) for f in run.fetches(h.url(path))] == [(200, "error")]
    assert run.page(h.url(path)) == {
        "state": "error", "last_http_status": 200, "redirect_target": None, "failed": 1,
    }  # fmt: skip
    assert snapshot_count(run.db, h.url(path)) == 0


@pytest.mark.parametrize(
    ("fault", "cause"),
    [(Fault("empty"), "empty body"), (Fault("redirect_loop", times=20), "redirect loop")],
    ids=["empty", "redirect_loop"],
)
def test_every_failed_fetch_row_names_its_cause(h: Harness, fault: Fault, cause: str) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, fault)
    run = h.backfill(path)
    failed = [f for f in run.fetches() if f["outcome"] == "error"]
    assert len(failed) == 1
    assert (failed[0]["error"] or "").startswith(cause)


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "streamed"])
def test_a_huge_body_is_too_large_and_nothing_of_it_is_stored(
    h: Harness, content_length: bool
) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, Fault("huge", size=3_000_000, content_length=content_length))
    run = h.backfill(path, max_page_bytes=100_000)
    assert run.exit_code == 1, run.result.output
    assert len(run.requests_for(path)) == 1  # a page over the cap is not asked for again
    fetched = rows(
        run.db,
        "SELECT http_status, outcome, error, bytes FROM fetches WHERE run_id = ? AND url = ?",
        (run.run_id, h.url(path)),
    )
    assert [(f["http_status"], f["outcome"], f["error"]) for f in fetched] == [
        (200, "too_large", "body over max_page_bytes (100000)")
    ]
    # Declared too large: not downloaded at all; streamed: cut off soon after the cap.
    assert fetched[0]["bytes"] < (1 if content_length else 1_000_000)
    assert run.page(h.url(path)) == {
        "state": "error", "last_http_status": 200, "redirect_target": None, "failed": 1,
    }  # fmt: skip
    assert snapshot_count(run.db, h.url(path)) == 0
    versions = rows(
        run.db, "SELECT COUNT(*) AS n FROM recommendation_versions WHERE url = ?", (h.url(path),)
    )
    assert versions == [{"n": 0}]
    assert run.run_row()["errors"] == 1


# --- redirects -------------------------------------------------------------------------------


def test_a_redirect_loop_is_detected_and_recorded_as_an_error(h: Harness) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, Fault("redirect_loop", times=20))
    run = h.backfill(path)
    assert run.exit_code == 1, run.result.output
    looped = f"{path}?fixture-loop=1"
    # A -> A?loop -> A: the second visit to A is never made.
    assert [(r.path, r.status) for r in run.requests if r.path != "/robots.txt"] == [
        (path, 301), (looped, 301),
    ]  # fmt: skip
    assert [
        (f["url"], f["http_status"], f["outcome"])
        for f in run.fetches()
        if not f["url"].endswith("/robots.txt")
    ] == [(h.url(path), 301, "redirect"), (h.url(looped), 301, "error")]
    assert run.page(h.url(path)) == {
        "state": "error", "last_http_status": 301, "redirect_target": None, "failed": 1,
    }  # fmt: skip
    assert snapshot_count(run.db, h.url(path)) == 0


def test_a_redirect_off_site_is_recorded_and_never_followed(h: Harness) -> None:
    path = rec_path(h.site, LIVE_REC)
    h.site.inject(path, Fault("redirect_offsite"))
    target = f"http://127.0.0.2:{h.site.port}{path}"
    # A second server where the redirect points, to prove nobody calls on it.
    with FixtureSite(host="127.0.0.2", port=h.site.port) as elsewhere:
        run = h.backfill(path)
        assert elsewhere.requests == []
    assert run.exit_code == 0, run.result.output
    assert statuses(run.requests_for(path)) == [301]
    assert summary(run.fetches(h.url(path))) == [(301, "redirect", None)]
    assert run.page(h.url(path)) == {
        "state": "redirected", "last_http_status": 301, "redirect_target": target, "failed": 1,
    }  # fmt: skip


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["gzip", "deflate", "br"])
def test_a_compressed_page_is_decoded_archived_and_parsed(h: Harness, encoding: str) -> None:
    path = rec_path(h.site, LIVE_REC)
    plain = h.backfill(path)  # the same page uncompressed, as the baseline
    h.site.inject(path, Fault(encoding))
    h.db = h.tmp / f"{encoding}.sqlite"
    run = h.backfill(path)
    assert run.exit_code == 0, run.result.output
    (served,) = run.requests_for(path)
    assert served.headers["accept-encoding"] == "gzip, deflate, br"
    assert summary(run.fetches(h.url(path))) == [(200, "new", None)]
    wire = rows(run.db, "SELECT bytes FROM fetches WHERE url = ?", (h.url(path),))[0]["bytes"]
    body = stored_body(run.db, h.url(path))
    assert body.startswith(b"<!DOCTYPE html>")
    assert wire < len(body)  # the count is of bytes on the wire, before decoding
    assert parsed(run.db, h.url(path)) == parsed(plain.db, h.url(path))


@pytest.mark.parametrize("declare", ["header", "meta", "both"])
@pytest.mark.parametrize("charset", ["latin1", "cp1252"])
def test_a_page_in_a_legacy_charset_is_read_right_and_kept_as_sent(
    h: Harness, charset: str, declare: str
) -> None:
    path = rec_path(h.site, NON_ASCII_REC)
    plain = h.backfill(path)  # the same page in UTF-8, as the baseline
    h.site.inject(path, Fault(charset, declare=declare))
    h.db = h.tmp / f"{charset}.sqlite"
    run = h.backfill(path)
    assert run.exit_code == 0, run.result.output
    assert summary(run.fetches(h.url(path))) == [(200, "new", None)]
    expected = parsed(plain.db, h.url(path))
    assert any(c in expected["text"] + (expected["report_title"] or "") for c in "é£’“”–")
    assert parsed(run.db, h.url(path)) == expected
    body = stored_body(run.db, h.url(path))
    codec = {"latin1": "latin-1", "cp1252": "cp1252"}[charset]
    assert "é".encode(codec) in body  # raw bytes as sent, not re-encoded to UTF-8
    assert body.decode(codec).encode(codec) == body
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")


# --- conditional requests ----------------------------------------------------------------------


def test_a_304_is_an_observation_that_moves_last_seen(h: Harness) -> None:
    path = rec_path(h.site, LIVE_REC)
    first = h.backfill(path)
    assert first.exit_code == 0, first.result.output
    (asked,) = first.requests_for(path)
    assert "if-none-match" not in asked.headers
    etag = rows(first.db, "SELECT etag FROM pages WHERE url = ?", (h.url(path),))[0]["etag"]
    seen = rows(first.db, "SELECT last_seen_at FROM snapshots WHERE url = ?", (h.url(path),))
    second = h.backfill(path)
    assert second.exit_code == 0, second.result.output
    (asked,) = second.requests_for(path)
    assert asked.headers["if-none-match"] == etag
    assert "if-modified-since" in asked.headers
    assert asked.status == 304
    assert summary(second.fetches(h.url(path))) == [(304, "not_modified", None)]
    assert snapshot_count(second.db, h.url(path)) == 1
    seen_after = rows(second.db, "SELECT last_seen_at FROM snapshots WHERE url = ?", (h.url(path),))
    assert seen_after[0]["last_seen_at"] > seen[0]["last_seen_at"]
    assert second.page(h.url(path))["state"] == "live"


def test_a_listing_answering_304_still_yields_its_links(h: Harness) -> None:
    listing = "/hmicfrs/?recommendation-theme=plan"
    h.site.set_robots(NO_SITEMAP_ROBOTS)
    first = h.crawl(listings=[listing])
    assert first.exit_code == 0, first.result.output
    second = h.crawl(listings=[listing])
    assert second.exit_code == 0, second.result.output
    (asked,) = second.requests_for(listing)
    assert asked.status == 304
    assert summary(second.fetches(h.url(listing))) == [(304, "not_modified", None)]
    listed = [s for s in h.site.catalogue() if "plan" in s.listed_in and not s.disallowed]
    assert listed
    fresh = rows(
        second.db,
        "SELECT url FROM pages WHERE last_listed_at >= (SELECT started_at FROM runs WHERE id = ?)",
        (second.run_id,),
    )
    assert {r["url"] for r in fresh} >= {s.url for s in listed}


# --- robots.txt --------------------------------------------------------------------------------

ROBOTS_PATH = "/robots.txt"
# The site's own rules without its Sitemap line, for crawls of the listings alone.
NO_SITEMAP_ROBOTS = "".join(
    line for line in ROBOTS_TXT.splitlines(keepends=True) if not line.startswith("Sitemap:")
)


def robots_with_crawl_delay(seconds: str) -> str:
    rules = NO_SITEMAP_ROBOTS.replace("User-agent: *\n", f"User-agent: *\nCrawl-delay: {seconds}\n")
    assert f"Crawl-delay: {seconds}" in rules
    return rules


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("fault", "cause"),
    [
        (Fault("503", times=100), "503 Service Unavailable"),
        (Fault("html500", times=100), "500 Internal Server Error"),
        (Fault("429", times=100), "429 Too Many Requests"),
    ],
    ids=["503", "html500", "429"],
)
def test_robots_txt_that_cannot_be_read_stops_the_run_before_any_page(
    h: Harness, fault: Fault, cause: str
) -> None:
    h.site.inject(ROBOTS_PATH, fault)
    run = h.crawl()
    assert run.exit_code == 4, run.result.output
    # Retried like any request, and nothing else asked for.
    assert [(r.path, r.status) for r in run.requests] == [(ROBOTS_PATH, int(cause[:3]))] * 3
    assert summary(run.fetches()) == [(int(cause[:3]), "error", cause)] * 3
    row = run.run_row()
    assert row["status"] == "failed"
    assert row["message"] == (f"cannot read {h.url(ROBOTS_PATH)} after 3 attempts: {cause}")
    assert row["message"] in run.result.output


def test_unreachable_robots_txt_stops_the_run(h: Harness) -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    run = h.run("crawl", config=h.config(base_url=base))
    assert run.exit_code == 4, run.result.output
    fetched = rows(run.db, "SELECT url, http_status, outcome, error FROM fetches")
    assert [(f["url"], f["http_status"], f["outcome"], head(f["error"])) for f in fetched] == [
        (f"{base}/robots.txt", None, "error", "connection failed")
    ] * 3
    row = run.run_row()
    assert row["status"] == "failed"
    assert row["message"].startswith(f"cannot read {base}/robots.txt after 3 attempts:")


def test_robots_txt_answering_404_allows_everything(h: Harness) -> None:
    h.site.inject(ROBOTS_PATH, Fault("404"))
    listing = "/hmicfrs/?recommendation-theme=audit"
    run = h.crawl(listings=[listing])
    assert run.exit_code == 0, run.result.output
    assert [r.path for r in run.requests][:2] == [ROBOTS_PATH, listing]
    audit = {s.path for s in h.site.catalogue() if "audit" in s.listed_in}
    assert audit <= {r.path for r in run.requests}
    assert summary(run.fetches(h.url(ROBOTS_PATH))) == [(404, "not_found", None)]
    assert run.run_row()["status"] == "ok"
    # No rules at all: even the page the real robots.txt disallows is fetched and archived.
    private = rec_path(h.site, PRIVATE_REC)
    assert statuses(run.requests_for(private)) == [200]
    assert summary(run.fetches(h.url(private))) == [(200, "new", None)]
    assert run.page(h.url(private))["state"] == "live"


def test_a_url_robots_txt_disallows_is_never_requested(h: Harness) -> None:
    private, public = rec_path(h.site, PRIVATE_REC), rec_path(h.site, LIVE_REC)
    run = h.backfill(private, public)
    assert run.exit_code == 0, run.result.output
    assert [r.path for r in run.requests] == [ROBOTS_PATH, public]
    assert summary(run.fetches(h.url(private))) == [(None, "robots_disallowed", None)]
    assert run.page(h.url(private)) == {
        "state": "blocked", "last_http_status": None, "redirect_target": None, "failed": 1,
    }  # fmt: skip


def test_a_disallowed_url_met_in_a_listing_is_recorded_and_never_requested(h: Harness) -> None:
    h.site.set_robots(NO_SITEMAP_ROBOTS)
    run = h.crawl(listings=["/hmicfrs/?recommendation-theme=audit"])
    assert run.exit_code == 0, run.result.output
    private = rec_path(h.site, PRIVATE_REC)
    assert run.requests_for(private) == []
    assert summary(run.fetches(h.url(private))) == [(None, "robots_disallowed", None)]
    assert run.page(h.url(private))["state"] == "blocked"


def test_a_larger_crawl_delay_is_honoured(h: Harness) -> None:
    h.site.set_robots(robots_with_crawl_delay("0.1"))
    run = h.crawl(listings=["/hmicfrs/?recommendation-theme=plan"], delay_seconds=0.02)
    assert run.exit_code == 0, run.result.output
    assert len(run.requests) >= 8
    assert min(gaps(run.requests)) >= 0.1


def test_a_crawl_delay_over_the_cap_is_honoured_only_up_to_the_cap(h: Harness) -> None:
    h.site.set_robots(robots_with_crawl_delay("3"))
    run = h.crawl(
        listings=["/hmicfrs/?recommendation-theme=plan"],
        delay_seconds=0.02,
        crawl_delay_max_seconds=0.08,
    )
    assert run.exit_code == 0, run.result.output
    assert len(run.requests) >= 8
    assert min(gaps(run.requests)) >= 0.08
    assert max(gaps(run.requests)) < 3


# --- throttling --------------------------------------------------------------------------------


def test_throttling_past_the_limit_stops_the_run_and_the_next_run_carries_on(
    h: Harness,
) -> None:
    paths = [rec_path(h.site, i) for i in (LIVE_REC, 104, 231, 517, 602)]
    h.site.inject(paths[1], Fault("429", times=50))
    first = h.backfill(*paths, throttle_stop_after=3, max_retries=5)
    assert first.exit_code == 4, first.result.output
    assert [(r.path, r.status) for r in first.requests] == [
        (ROBOTS_PATH, 200), (paths[0], 200), (paths[1], 429), (paths[1], 429), (paths[1], 429),
    ]  # fmt: skip
    # Throttling slows the crawl: the 0.02 s delay doubles with each 429 in a row (to 0.04 s,
    # then 0.08 s capped at backoff_max_seconds, 0.05 s).
    after_first, after_second = gaps(first.requests)[-2:]
    assert after_first >= 0.04
    assert after_second >= 0.05
    row = first.run_row()
    assert row["status"] == "failed"
    assert "429/503" in row["message"] and "in a row" in row["message"]
    assert row["message"] in first.result.output

    h.site.clear_faults()
    second = h.backfill(*paths, throttle_stop_after=3, max_retries=5)
    assert second.exit_code == 0, second.result.output
    # The page finished before the stop is not asked for again; the rest are.
    assert [r.path for r in second.requests] == [ROBOTS_PATH, *paths[1:]]
    states = rows(
        second.db,
        f"SELECT url, state FROM pages WHERE url IN ({', '.join('?' * len(paths))})",
        tuple(h.url(p) for p in paths),
    )
    assert {r["url"]: r["state"] for r in states} == {h.url(p): "live" for p in paths}
    assert second.run_row()["status"] == "ok"


def test_the_requests_that_tripped_the_throttle_stop_are_recorded(h: Harness) -> None:
    paths = [rec_path(h.site, i) for i in (LIVE_REC, 104)]
    h.site.inject(paths[1], Fault("429", times=50))
    run = h.backfill(*paths, throttle_stop_after=3, max_retries=5)
    assert run.exit_code == 4
    assert summary(run.fetches(h.url(paths[1]))) == [(429, "error", "429 Too Many Requests")] * 3


# --- a whole crawl with faults on: spacing, concurrency, accounting ---------------------------

SYNTHETIC = 110
SYNTHETIC_LISTING = "/hmicfrs/?recommendation-theme=synthetic"
RANDOM_FAULTS = ("429", "503", "500", "reset", "truncate")


@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_crawl_with_faults_keeps_its_distance_and_records_every_request(
    tmp_path: Path, concurrency: int
) -> None:
    delay = 0.03
    with FixtureSite(state="initial", synthetic=SYNTHETIC) as site:
        site.set_robots(NO_SITEMAP_ROBOTS)
        site.set_random_faults(rate=0.15, seed=concurrency, kinds=RANDOM_FAULTS)
        h = Harness(site, tmp_path)
        run = h.crawl(
            listings=[SYNTHETIC_LISTING],
            delay_seconds=delay,
            concurrency=concurrency,
            max_retries=3,
        )
        max_in_flight = site.max_in_flight
        synthetic = [s for s in site.catalogue() if s.rec_id >= 100_000]
        faulted = {r.path for r in run.requests if site.random_fault_for(r.path)}
    assert run.exit_code == 0, run.result.output
    assert len(synthetic) == SYNTHETIC
    served = run.requests
    assert len({r.path for r in served}) >= 100 + 1
    assert len(faulted) >= 10
    # Each faulted path was asked exactly twice: the fault, then the retry.
    assert all(len(run.requests_for(path)) == 2 for path in faulted)

    # Measured at the server: starts never closer than the delay, never over-concurrent.
    too_close = [
        (a.path, b.path, round(b.start - a.start, 4))
        for a, b in zip(served, served[1:], strict=False)
        if b.start - a.start < delay
    ]
    assert too_close == []
    assert max_in_flight <= concurrency

    # Every request, retries included, is exactly one fetches row, and nothing else is.
    fetched = rows(
        run.db,
        "SELECT url, http_status FROM fetches WHERE run_id = ? AND outcome != 'robots_disallowed'",
        (run.run_id,),
    )
    assert len(fetched) == len(served)
    assert Counter((path_of(f["url"]), f["http_status"]) for f in fetched) == Counter(
        (r.path, r.status or None) for r in served
    )
    assert rows(run.db, "SELECT requests FROM runs WHERE id = ?", (run.run_id,)) == [
        {"requests": len(served)}
    ]

    # And the faults cost nothing: every page archived once, live.
    states = rows(
        run.db,
        """SELECT p.url, p.state, COUNT(s.id) AS snapshots FROM pages p
           LEFT JOIN snapshots s ON s.url = p.url WHERE p.rec_id >= 100000 GROUP BY p.url""",
    )
    assert {r["url"]: (r["state"], r["snapshots"]) for r in states} == {
        s.url: ("live", 1) for s in synthetic
    }


class FakeClock:
    """A monotonic clock that moves only when the fetcher sleeps (thread-safe)."""

    def __init__(self) -> None:
        self._now = 0.0
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self._now += max(seconds, 0.0)


def test_the_gap_is_timed_from_when_the_last_request_is_known_to_have_arrived() -> None:
    """The race the crawl above caught at concurrency 3, made deterministic.

    Request A passes the gate and then sits unsent (a new connection, a busy thread). Timing
    the next start from the moment A passed the gate would let B reach the server first, or
    closer to A than the delay. B must wait until A is known to have arrived (its answer
    began), and keep the delay from then.
    """
    clock = FakeClock()
    arrivals: dict[str, float] = {}
    a_sent, b_arrived = threading.Event(), threading.Event()

    def server(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/a":
            a_sent.set()
            b_arrived.wait(0.2)  # A is held back until B arrives (or B is rightly held)
        else:
            b_arrived.set()
        arrivals[request.url.path] = clock()
        return httpx.Response(200, html="<p>x</p>")

    policy = FetchPolicy(
        user_agent="test", allowed_hosts=("example.org",), delay_seconds=2.0, concurrency=2
    )
    client = make_client(policy, httpx.MockTransport(server))
    fetcher = Fetcher(client, policy, sleep=clock.sleep, clock=clock, rand=lambda: 0.0)
    with ThreadPoolExecutor(2) as pool:
        a = pool.submit(fetcher.fetch, "https://example.org/a", check_robots=False)
        assert a_sent.wait(5)
        b = pool.submit(fetcher.fetch, "https://example.org/b", check_robots=False)
        outcomes = (a.result(timeout=5).outcome, b.result(timeout=5).outcome)
    assert outcomes == ("ok", "ok")
    assert arrivals["/b"] - arrivals["/a"] >= 2.0
