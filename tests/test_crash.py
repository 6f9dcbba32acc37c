"""Crash safety: `hmicfrs crawl` and `hmicfrs backfill`, run as real processes, are killed with
SIGKILL at chosen points (counted in requests the fixture site served) and run again.

Whatever the instant of the kill, the database passes `PRAGMA integrity_check`, the killed
run is marked interrupted by the next one, and the next run finishes the work: the archive
ends up holding exactly the pages, versions and log rows of a crawl that was never killed.
Raw bytes differ between fetches (the footer has a timestamp), so versions are compared by
their normalised hash.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixturesite import FixtureSite
from tests.support import ROOT, rows, write_config

KILL_POINTS = 10


def start(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "scraper", *args, "--config", str(config)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = start(config, *args)
    out, err = proc.communicate(timeout=120)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def run_killed_at(site: FixtureSite, n: int, config: Path, *args: str) -> int:
    """Run the CLI and SIGKILL it while the site serves its n-th request; the requests served."""
    before = site.request_count
    target = before + n
    holder: dict[str, subprocess.Popen[str]] = {}

    def kill(count: int) -> None:
        if count == target:
            os.kill(holder["proc"].pid, signal.SIGKILL)

    site.on_request = kill
    try:
        holder["proc"] = start(config, *args)
        _, err = holder["proc"].communicate(timeout=120)
    finally:
        site.on_request = None
    assert holder["proc"].returncode == -signal.SIGKILL, err
    return site.request_count - before


def archive_contents(db: Path) -> dict[str, list[tuple]]:
    """What must match an uninterrupted crawl: pages, versions and log rows."""
    return {
        "pages": [
            tuple(r.values()) for r in rows(db, "SELECT url, kind, state FROM pages ORDER BY url")
        ],
        "versions": [
            tuple(r.values())
            for r in rows(
                db, "SELECT url, version, normalised_sha256 FROM snapshots ORDER BY url, version"
            )
        ],
        "log": [
            tuple(r.values())
            for r in rows(
                db,
                """SELECT s.url, s.version, e.seq, e.on_date, e.kind, e.status, e.comment
                   FROM status_events e JOIN snapshots s ON s.id = e.snapshot_id
                   ORDER BY s.url, s.version, e.seq""",
            )
        ],
    }


def assert_sound(db: Path) -> None:
    """Integrity, no version stored twice, no run left 'running'."""
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert rows(db, "PRAGMA foreign_key_check") == []
    twice = rows(
        db,
        """SELECT url, normalised_sha256, COUNT(*) AS n FROM snapshots
           GROUP BY url, normalised_sha256 HAVING n > 1""",
    )
    assert twice == []
    assert rows(db, "SELECT id FROM runs WHERE status = 'running'") == []


class Baseline:
    def __init__(self, site: FixtureSite, tmp: Path) -> None:
        self.site = site
        self.tmp = tmp
        db = tmp / "baseline.sqlite"
        config = write_config(tmp / "baseline.yaml", site.base_url, db)
        before = site.request_count
        result = run(config, "crawl")
        assert result.returncode == 0, result.stderr
        self.requests = site.request_count - before
        self.contents = archive_contents(db)
        self.db = db


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Baseline]:
    tmp = tmp_path_factory.mktemp("crash")
    with FixtureSite(state="initial") as site:
        yield Baseline(site, tmp)
    shutil.rmtree(tmp, ignore_errors=True)


def kill_points(total: int) -> list[int]:
    """Ten points from robots.txt to the last page: the first few requests are discovery."""
    points = [1, 2, 4, 7, 10] + [round(total * f) for f in (0.3, 0.45, 0.6, 0.8)] + [total - 1]
    assert len(set(points)) == KILL_POINTS and max(points) < total
    return points


def test_the_baseline_crawl_is_whole(baseline: Baseline) -> None:
    assert baseline.requests >= 40
    kinds = {r[1] for r in baseline.contents["pages"]}
    assert kinds == {"robots", "sitemap", "listing", "recommendation"}
    assert len(baseline.contents["log"]) > 100
    assert_sound(baseline.db)


@pytest.mark.parametrize("point", range(KILL_POINTS))
def test_a_crawl_killed_at_any_point_is_finished_by_the_next(
    baseline: Baseline, point: int
) -> None:
    site, tmp = baseline.site, baseline.tmp
    n = kill_points(baseline.requests)[point]
    db = tmp / f"killed-{point}.sqlite"
    config = write_config(tmp / f"killed-{point}.yaml", site.base_url, db)

    served = run_killed_at(site, n, config, "crawl")
    assert served == n
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert rows(db, "SELECT status FROM runs") == [{"status": "running"}]

    again = run(config, "crawl")
    assert again.returncode == 0, again.stderr
    assert archive_contents(db) == baseline.contents
    assert_sound(db)
    assert rows(db, "SELECT id, status FROM runs ORDER BY id") == [
        {"id": 1, "status": "interrupted"},
        {"id": 2, "status": "ok"},
    ]


@pytest.mark.parametrize("fraction", [0.2, 0.5, 0.9])
def test_a_killed_crawl_of_a_changed_site_adds_each_version_once(
    tmp_path: Path, fraction: float
) -> None:
    with FixtureSite(state="initial") as site:
        db = tmp_path / "archive.sqlite"
        config = write_config(tmp_path / "config.yaml", site.base_url, db)
        assert run(config, "crawl").returncode == 0
        shutil.copy(db, tmp_path / "initial.sqlite")
        site.set_state("later")

        whole_db = tmp_path / "whole.sqlite"
        shutil.copy(tmp_path / "initial.sqlite", whole_db)
        whole = write_config(tmp_path / "whole.yaml", site.base_url, whole_db)
        before = site.request_count
        assert run(whole, "crawl").returncode == 0
        total = site.request_count - before

        run_killed_at(site, max(1, round(total * fraction)), config, "crawl")
        again = run(config, "crawl")
    assert again.returncode == 0, again.stderr
    assert archive_contents(db) == archive_contents(whole_db)
    assert_sound(db)
    changed = rows(db, "SELECT COUNT(*) AS n FROM snapshots WHERE version = 2")
    assert changed[0]["n"] >= 8
    assert [r["status"] for r in rows(db, "SELECT status FROM runs ORDER BY id")] == [
        "ok",
        "interrupted",
        "ok",
    ]


def job_urls(db: Path) -> set[str]:
    return {r["url"] for r in rows(db, "SELECT url FROM job_items")}


def path_of(url: str, base: str) -> str:
    return url.removeprefix(base)


def test_a_killed_backfill_resumes_without_asking_again(tmp_path: Path) -> None:
    first, last = 80, 240
    ids = range(first, last + 1)
    with FixtureSite(state="initial") as site:
        db = tmp_path / "archive.sqlite"
        config = write_config(tmp_path / "config.yaml", site.base_url, db)
        site.clear_requests()
        run_killed_at(site, 70, config, "backfill", "--ids", f"{first}-{last}")
        finished = job_urls(db)
        assert 30 < len(finished) < len(ids)
        assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]

        site.clear_requests()
        again = run(config, "backfill", "--ids", f"{first}-{last}")
        asked = {r.path for r in site.requests}
        base = site.base_url
        existing = {s.rec_id: s for s in site.catalogue() if first <= s.rec_id <= last}
    assert again.returncode == 0, again.stderr
    assert "already done" in again.stderr
    assert asked & {path_of(u, base) for u in finished} == set()
    assert len(asked) > len(ids) - len(finished)
    # Every id of the range is accounted for once: the job knows them all, and each is a live
    # page or a not_found row carrying its id.
    assert len(job_urls(db)) == len(ids)
    found: dict[int, Any] = {
        r["rec_id"]: (r["state"], r["url"].startswith(f"{base}/hmicfrs/?p="))
        for r in rows(db, "SELECT rec_id, state, url FROM pages WHERE kind = 'recommendation'")
    }
    assert set(found) == set(ids)
    assert {i for i, (state, _) in found.items() if state == "live"} == set(existing)
    assert all(found[i] == ("not_found", True) for i in ids if i not in existing)
    assert_sound(db)
    assert [r["status"] for r in rows(db, "SELECT status FROM runs ORDER BY id")] == [
        "interrupted",
        "ok",
    ]
