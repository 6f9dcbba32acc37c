"""`hmicfrs import wayback` against a fake Wayback Machine serving captures of the fixture site
in several states over several years: the import then a live crawl read in true time order,
a second import adds nothing, a killed import resumed gives the same archive, and the fake
server's request log shows the delay, every Retry-After and the User-Agent kept."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from warcio.archiveiterator import ArchiveIterator

from scraper import wayback
from tests.archives import STATES, archive_dump, capture_states, page_states, versions
from tests.fakewayback import FakeCapture, FakeWayback
from tests.fixturesite import FixtureSite
from tests.support import ROOT, hmicfrs, rows, site_config

TRUNCATED = "/hmicfrs/recommendation/northshire/231/"


def wayback_config(path: Path, site_url: str, db: Path, wb: FakeWayback, **wb_keys: Any) -> Path:
    config = site_config(site_url, db)
    config["wayback"] = {"base_url": wb.base_url, "delay_seconds": 0.0, "jitter_seconds": 0.0,
                         "page_size": 7, **wb_keys}  # fmt: skip
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def archive_captures(site: FixtureSite) -> list[FakeCapture]:
    """The fixture site in STATES, plus what real archives hold: a capture of an id URL's
    redirect, one of a URL without its trailing slash (a redirect to itself), the https
    spelling of a page, and a capture whose stored bytes are cut short."""
    extra = ["/hmicfrs/?p=104", "/hmicfrs/recommendation/northshire/104"]
    found = capture_states(site, extra=extra)
    found = [
        replace(c, truncated=True)
        if c.original.endswith(TRUNCATED) and c.timestamp.startswith("2017")
        else c
        for c in found
    ]
    return found


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The fixture site, the fake archive of it, and a live crawl of the same states."""
    tmp = tmp_path_factory.mktemp("wayback")
    with FixtureSite(state="initial") as site:
        captures = archive_captures(site)
        config = site_config(site.base_url, tmp / "live.sqlite")
        (tmp / "live.yaml").write_text(yaml.safe_dump(config))
        for state in [s for s, _ in STATES] + ["later"]:
            site.set_state(state)
            assert hmicfrs("crawl", "--config", str(tmp / "live.yaml")).exit_code == 0
        site.set_state("later")
        with FakeWayback(captures) as wb:
            yield site, wb, captures, tmp / "live.sqlite"


def memento_paths(log: list) -> list[str]:
    return [r.path for r in log if r.path.startswith("/web/")]


def test_import_then_live_crawl_reads_in_true_time_order(tmp_path: Path, world: Any) -> None:
    site, wb, captures, live_db = world
    db = tmp_path / "a.sqlite"
    config = wayback_config(tmp_path / "c.yaml", site.base_url, db, wb)
    result = hmicfrs("import", "wayback", "--config", str(config))
    # The truncated capture failed (exit 1) and waits for the next import.
    assert result.exit_code == 1, result.output
    assert "1 capture(s) failed" in result.output
    assert hmicfrs("crawl", "--config", str(config)).exit_code == 0

    # Every capture in the CDX is a version or an observation of one, or said why not.
    listed = rows(db, "SELECT source_url, outcome, snapshot_id IS NOT NULL AS kept FROM captures")
    assert len(listed) == len(captures)
    by_outcome: dict[str, int] = {}
    for c in listed:
        by_outcome[c["outcome"]] = by_outcome.get(c["outcome"], 0) + 1
        assert c["kept"] == (c["outcome"] in ("new", "changed", "unchanged"))
    # 44 URLs in 3 states: 2401, 2555 and 2378 missing in all three, 3949, 4104 and 4233
    # missing later, 4378 and 8787 missing at first; ?p=104 and a URL without its slash
    # redirect; one capture truncated.
    assert by_outcome == {"new": 39, "changed": 8, "unchanged": 62, "not_found": 8,
                          "gone": 4, "soft_404": 4, "redirect": 6, "error": 1}  # fmt: skip
    # Versions: those of a live crawl of the same states, numbered in capture order.
    assert versions(db) == versions(live_db)
    order = rows(
        db,
        """SELECT url, group_concat(source || '@' || substr(captured_at, 1, 4), ' ') AS seq
           FROM (SELECT * FROM versions WHERE kind = 'recommendation' ORDER BY url, version)
           WHERE url LIKE '%/east-fenland/3644/' OR url LIKE '%/northshire/104/'
           GROUP BY url ORDER BY url""",
    )
    assert [o["seq"] for o in order] == ["wayback@2016 wayback@2019", "wayback@2016"]
    last_seen = rows(db, "SELECT last_seen_at FROM versions WHERE url LIKE '%/northshire/104/'")[0][
        "last_seen_at"
    ]
    assert last_seen >= "2026"  # the live crawl saw it again today
    events = rows(
        db,
        """SELECT substr(at, 1, 4) AS year, event, state_after FROM page_events
           WHERE url LIKE '%/ashdown/4104/' OR url LIKE '%/west-moorland/4378/'
           ORDER BY url, at""",
    )
    assert events == [
        {"year": "2016", "event": "appeared", "state_after": "live"},
        {"year": "2019", "event": "went_missing", "state_after": "gone"},
        {"year": "2019", "event": "came_back", "state_after": "live"},
    ]
    assert page_states(db) == page_states(live_db)
    redirect = rows(db, "SELECT state, redirect_target FROM pages WHERE url LIKE '%?p=104'")
    assert redirect == [
        {"state": "redirected",
         "redirect_target": f"{site.base_url}/hmicfrs/recommendation/northshire/104/"}
    ]  # fmt: skip

    # Exports carry each version's provenance, as the versions view shows it.
    provenance = rows(
        db,
        """SELECT url, version, source, source_url, imported_at FROM versions
           WHERE kind = 'recommendation' ORDER BY url, version""",
    )
    # The live crawl found each page as its latest capture showed it: no live version.
    assert {p["source"] for p in provenance} == {"wayback"}
    assert all("/web/" in p["source_url"] and p["imported_at"] for p in provenance)
    assert hmicfrs("export", "--db", str(db), "--format", "csv", "--output",
                   str(tmp_path / "csv")).exit_code == 0  # fmt: skip
    with (tmp_path / "csv" / "versions.csv").open(encoding="utf-8", newline="") as f:
        exported = [
            {"url": r["url"], "version": int(r["version"]), "source": r["source"],
             "source_url": r["source_url"] or None, "imported_at": r["imported_at"] or None}
            for r in csv.DictReader(f)
        ]  # fmt: skip
    assert sorted(exported, key=lambda r: (r["url"], r["version"])) == provenance
    assert hmicfrs("export", "--db", str(db), "--format", "json", "--output",
                   str(tmp_path / "a.json")).exit_code == 0  # fmt: skip
    records = json.loads((tmp_path / "a.json").read_text(encoding="utf-8"))
    in_json = sorted(
        (
            {"url": r["url"], "version": v["version"], "source": v["source"],
             "source_url": v["source_url"], "imported_at": v["imported_at"]}
            for r in records for v in r["versions"]
        ),
        key=lambda r: (r["url"], r["version"]),
    )  # fmt: skip
    current_urls = {r["url"] for r in records}
    assert in_json == [p for p in provenance if p["url"] in current_urls]
    assert hmicfrs("export", "--db", str(db), "--format", "warc", "--output",
                   str(tmp_path / "a.warc.gz")).exit_code == 0  # fmt: skip
    with (tmp_path / "a.warc.gz").open("rb") as f:
        sources = [
            (r.rec_headers.get_header("HMICFRS-Source"),
             r.rec_headers.get_header("HMICFRS-Source-URI"))
            for r in ArchiveIterator(f) if r.rec_type == "response" and r.http_headers
            and r.http_headers.get_statuscode() == "200"
            and not r.rec_headers.get_header("HMICFRS-Outcome")  # a soft 404 keeps no body
        ]  # fmt: skip
    stored = rows(db, "SELECT source, source_url FROM snapshots WHERE http_status = 200")
    # Live snapshots (the crawl's sitemaps and listings) carry no such headers.
    expected = [(None, None) if s["source"] == "live" else (s["source"], s["source_url"])
                for s in stored]  # fmt: skip
    assert sorted(sources, key=repr) == sorted(expected, key=repr)
    assert {s for s, _ in sources} == {None, "wayback"}

    # A second import adds nothing, and fetches no memento but the one still missing.
    before = archive_dump(db)
    start = len(wb.log)
    again = hmicfrs("import", "wayback", "--config", str(config))
    assert again.exit_code == 1
    assert archive_dump(db) == before
    asked = memento_paths(wb.log[start:])
    assert len(asked) == 4 and all(p.endswith(TRUNCATED) for p in asked)  # 1 + 3 retries


def test_the_request_log_shows_delay_retry_after_and_user_agent(tmp_path: Path, world: Any) -> None:
    site, wb, _, _ = world
    db = tmp_path / "a.sqlite"
    config = wayback_config(tmp_path / "c.yaml", site.base_url, db, wb, delay_seconds=0.25)
    start = wb.count
    wb.fail(start + 2, 429, retry_after=1)
    wb.fail(start + 5, 503, retry_after=1)
    wb.fail(start + 6, 429, retry_after=2)
    result = hmicfrs(
        "import", "wayback", "--config", str(config),
        "--url-prefix", "/hmicfrs/recommendation/east-fenland/3644/",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    log = wb.log[start:]
    agent = yaml.safe_load((ROOT / "config.yaml").read_text())["crawl"]["user_agent"]
    assert {r.user_agent for r in log} == {agent}
    assert [r.status for r in log] == [200, 429, 200, 200, 503, 429, 200]
    gaps = [b.at - a.at for a, b in zip(log, log[1:], strict=False)]
    for i, gap in enumerate(gaps):
        asked = {429: 1.0, 503: 1.0}.get(log[i].status, 0.25)
        if (log[i].status, i) == (429, 5):
            asked = 2.0
        # Arrival times at the server: a little network slack, never a shorter wait.
        assert gap >= asked - 0.05, (i, gap, asked)
    assert rows(db, "SELECT version, source FROM versions") == [
        {"version": 1, "source": "wayback"},
        {"version": 2, "source": "wayback"},
    ]


def test_sustained_throttling_stops_the_import_and_the_next_one_carries_on(
    tmp_path: Path, world: Any
) -> None:
    site, wb, _, _ = world
    db = tmp_path / "a.sqlite"
    config = wayback_config(tmp_path / "c.yaml", site.base_url, db, wb, throttle_stop_after=2)
    prefix = "/hmicfrs/recommendation/east-fenland/3644/"
    start = wb.count
    for n in range(2, 6):
        wb.fail(start + n, 503)
    stopped = hmicfrs("import", "wayback", "--config", str(config), "--url-prefix", prefix)
    assert stopped.exit_code == 4, stopped.output
    assert "429/503" in stopped.output
    assert rows(db, "SELECT COUNT(*) AS n FROM captures WHERE imported_at IS NULL") == [{"n": 3}]
    wb.faults.clear()
    resumed = hmicfrs("import", "wayback", "--config", str(config), "--url-prefix", prefix)
    assert resumed.exit_code == 0, resumed.output
    assert rows(db, "SELECT COUNT(*) AS n FROM captures WHERE imported_at IS NULL") == [{"n": 0}]


def test_the_request_budget_stops_the_import_and_the_next_one_continues(
    tmp_path: Path, world: Any
) -> None:
    site, wb, _, _ = world
    db = tmp_path / "a.sqlite"
    prefix = "/hmicfrs/recommendation/east-fenland/"
    config = wayback_config(tmp_path / "c.yaml", site.base_url, db, wb, max_requests=6)
    first = hmicfrs("import", "wayback", "--config", str(config), "--url-prefix", prefix)
    assert first.exit_code == 0 and "wayback.max_requests" in first.output
    done = rows(db, "SELECT COUNT(*) AS n FROM captures WHERE imported_at IS NOT NULL")[0]["n"]
    assert done == 3  # three CDX pages of 7 (15 captures), then three mementos
    config = wayback_config(tmp_path / "c.yaml", site.base_url, db, wb)
    assert (
        hmicfrs("import", "wayback", "--config", str(config), "--url-prefix", prefix).exit_code == 0
    )
    assert rows(db, "SELECT COUNT(*) AS n FROM captures WHERE imported_at IS NULL") == [{"n": 0}]


def _killed_at(config: Path, wb: FakeWayback, number: int, retry_after: int | None) -> None:
    """Run the import in a process of its own and kill it (SIGKILL) once the fake archive
    has its `number`th request: hung there, or told to wait `retry_after` seconds."""
    start = wb.count
    if retry_after is None:
        wb.block_at = start + number
    else:
        wb.fail(start + number, 429, retry_after=retry_after)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "scraper", "import", "wayback", "--config", str(config), "-q"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while wb.count < start + number and time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"the import ended ({proc.returncode}) before the kill")
            time.sleep(0.02)
        time.sleep(0.1)
        assert wb.count >= start + number
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        wb.block_at = None
        wb.faults.clear()


def test_an_import_killed_at_three_points_and_rerun_gives_the_same_archive(
    tmp_path: Path, world: Any
) -> None:
    site, wb, _, _ = world
    whole = tmp_path / "whole.sqlite"
    config = wayback_config(tmp_path / "whole.yaml", site.base_url, whole, wb)
    hmicfrs("import", "wayback", "--config", str(config))
    expected = archive_dump(whole)
    db = tmp_path / "killed.sqlite"
    config = wayback_config(tmp_path / "killed.yaml", site.base_url, db, wb)
    # In the CDX listing; among the mementos; waiting out a Retry-After.
    _killed_at(config, wb, 3, None)
    assert rows(db, "SELECT COUNT(*) AS n FROM captures WHERE imported_at IS NOT NULL") == [
        {"n": 0}
    ]
    _killed_at(config, wb, 40, None)
    _killed_at(config, wb, 45, retry_after=30)
    imported = {
        r["source_url"]
        for r in rows(db, "SELECT source_url FROM captures WHERE imported_at IS NOT NULL")
    }
    assert len(imported) > 20
    start = len(wb.log)
    result = hmicfrs("import", "wayback", "--config", str(config))
    assert result.exit_code == 1, result.output
    asked = set(memento_paths(wb.log[start:]))
    # The resumed import asked for no memento already imported.
    assert asked and not asked & {u.removeprefix(wb.base_url) for u in imported}
    assert archive_dump(db) == expected
    integrity = rows(db, "PRAGMA integrity_check")
    assert integrity == [{"integrity_check": "ok"}]


def test_cdx_pages_parse_with_their_resume_key() -> None:
    text = (
        '[["urlkey","timestamp","original","mimetype","statuscode","digest","length"],'
        '["uk,gov)/a","20160102030405","http://www.x.gov.uk/a","text/html","200","D1","9"],'
        '["uk,gov)/b","20170102030405","https://x.gov.uk/b","text/html","-","D2","9"],'
        '[],["uk%2Cgov%29%2Fc+20170102"]]'
    )
    assert wayback.parse_cdx_page(text, "cdx") == wayback.CdxPage(
        (
            wayback.CdxRow("20160102030405", "http://www.x.gov.uk/a", "text/html", 200, "D1"),
            wayback.CdxRow("20170102030405", "https://x.gov.uk/b", "text/html", None, "D2"),
        ),
        "uk%2Cgov%29%2Fc+20170102",
    )
    assert wayback.parse_cdx_page("[]", "cdx") == wayback.CdxPage((), None)
    with pytest.raises(wayback.CdxError, match="cdx: the CDX API answered something that is"):
        wayback.parse_cdx_page("<html>busy</html>", "cdx")
    with pytest.raises(wayback.CdxError, match="row 1 has a bad timestamp '2016'"):
        wayback.parse_cdx_page('[["timestamp","original"],["2016","u"]]', "cdx")


def test_memento_urls_and_times() -> None:
    base = "https://web.archive.org"
    url = wayback.memento_url(base, "20160102030405", "http://www.x.gov.uk/a/?p=1")
    assert url == "https://web.archive.org/web/20160102030405id_/http://www.x.gov.uk/a/?p=1"
    assert wayback.original_of(url) == "http://www.x.gov.uk/a/?p=1"
    assert wayback.original_of("/web/2016id_/http:/x.gov.uk/b/") == "http://x.gov.uk/b/"
    assert wayback.iso_of("20160102030405") == "2016-01-02T03:04:05.000Z"
    assert [wayback.cdx_time(d) for d in ("2016", "2016-03-01", "2016-03-01T10:00:00Z")] == [
        "2016", "20160301", "20160301100000",
    ]  # fmt: skip
    with pytest.raises(wayback.CdxError, match="not a date: '16-3'"):
        wayback.cdx_time("16-3")
