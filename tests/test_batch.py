"""Archive.batch: many pages' writes in one transaction, each page whole or not at all.

Another connection (what a reader or the next run sees) is the judge of what is committed.
The kill test runs tests/batchwriter.py as a real process that SIGKILLs itself in the middle
of a page's write, mid-batch: the archive holds whole pages only (the batches committed
before the kill) and a rerun finishes the job with every page once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from store.archive import Archive
from store.errors import StoreError
from tests import batchwriter
from tests.support import ROOT, rows


def committed(db: Path) -> int:
    return rows(db, "SELECT COUNT(*) AS n FROM pages")[0]["n"]


def test_a_batch_commits_every_n_pages_and_at_its_end(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    seen = []
    with Archive(db) as archive:
        run_id = archive.start_run("test")
        with archive.batch(pages=3, seconds=3600) as batch:
            for i in range(7):
                archive.record(run_id, batchwriter.page_result(i))
                seen.append((committed(db), batch.pending))
        assert committed(db) == 7
        assert batch.commits == 3
        assert not archive.db.conn.in_transaction
    assert seen == [(0, 1), (0, 2), (3, 0), (3, 1), (3, 2), (6, 0), (6, 1)]


def test_a_batch_commits_once_its_seconds_have_passed(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    clock = [0.0]
    seen = []
    with Archive(db) as archive:
        run_id = archive.start_run("test")
        with archive.batch(pages=100, seconds=5, clock=lambda: clock[0]):
            for i in range(5):
                archive.record(run_id, batchwriter.page_result(i))
                seen.append(committed(db))
                clock[0] += 2
            # A writer that waits between pages commits what is due while it waits.
            archive.record(run_id, batchwriter.page_result(5))
            assert archive.flush(due_only=True) == 0
            clock[0] += 5
            assert archive.flush(due_only=True) == 2
            seen.append(committed(db))
    # Pages end at 0, 2, 4, 6: the one ending at 6 commits the four; the next transaction
    # opens at 8 and is due at 13.
    assert seen == [0, 0, 0, 4, 4, 6]


def test_a_page_that_fails_inside_a_batch_is_rolled_back_alone(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    with Archive(db) as archive:
        run_id = archive.start_run("test")
        with archive.batch(pages=100):
            archive.record(run_id, batchwriter.page_result(0))
            broken = batchwriter.page_result(1)
            # Neither a body nor an outcome: the store refuses it after it began writing.
            with pytest.raises(ValueError, match="neither an outcome nor a body"):
                archive.record(run_id, broken.__class__(**{**broken.__dict__, "body": None}))
            archive.record(run_id, batchwriter.page_result(2))
    assert [r["rec_id"] for r in rows(db, "SELECT rec_id FROM pages ORDER BY rec_id")] == [0, 2]
    assert rows(db, "SELECT COUNT(*) AS n FROM fetches")[0]["n"] == 2


def test_a_batch_that_ends_in_an_error_keeps_the_pages_it_wrote_whole(tmp_path: Path) -> None:
    db = tmp_path / "archive.sqlite"
    with Archive(db) as archive:
        run_id = archive.start_run("test")
        with pytest.raises(KeyboardInterrupt), archive.batch(pages=100):
            for i in range(4):
                archive.record(run_id, batchwriter.page_result(i))
            raise KeyboardInterrupt
    assert committed(db) == 4


def test_batches_nest_and_refuse_an_open_transaction(tmp_path: Path) -> None:
    with Archive(tmp_path / "archive.sqlite") as archive:
        run_id = archive.start_run("test")
        with archive.batch(pages=2) as outer:
            with archive.batch(pages=50) as inner:
                assert inner is outer
                archive.record(run_id, batchwriter.page_result(0))
            assert archive.db.conn.in_transaction  # the inner end committed nothing
            archive.record(run_id, batchwriter.page_result(1))
            assert outer.commits == 1
        archive.db.conn.execute("BEGIN")
        with pytest.raises(StoreError, match="open transaction"), archive.batch():
            pass
        archive.db.conn.execute("ROLLBACK")
        with pytest.raises(ValueError, match="pages >= 1"), archive.batch(pages=0):
            pass


def write(db: Path, n: int, kill_at: int | None = None) -> subprocess.CompletedProcess[str]:
    args = [sys.executable, "-m", "tests.batchwriter", str(db), str(n)]
    if kill_at is not None:
        args.append(str(kill_at))
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def contents(db: Path) -> dict[str, list[dict]]:
    return {
        "pages": rows(db, "SELECT url, rec_id, state, current_status FROM pages ORDER BY url"),
        "snapshots": rows(
            db, "SELECT url, version, content_sha256 FROM snapshots ORDER BY url, version"
        ),
        "versions": rows(db, "SELECT url, rec_id, text FROM recommendation_versions ORDER BY url"),
        "log": rows(
            db,
            """SELECT s.url, e.seq, e.on_date, e.kind, e.status, e.comment
               FROM status_events e JOIN snapshots s ON s.id = e.snapshot_id
               ORDER BY s.url, e.seq""",
        ),
        "fetches": rows(db, "SELECT url, requested_at, outcome FROM fetches ORDER BY url"),
        "jobs": rows(db, "SELECT url, outcome FROM job_items ORDER BY url"),
    }


def assert_whole_pages(db: Path, expected: int) -> None:
    """Exactly `expected` pages, each with all of its rows and none twice."""
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]
    assert committed(db) == expected
    for table in ("snapshots", "recommendation_versions", "fetches", "job_items"):
        assert rows(db, f"SELECT COUNT(*) AS n FROM {table}")[0]["n"] == expected, table
    per_page = rows(
        db,
        """SELECT p.url, COUNT(e.seq) AS n FROM pages p
           LEFT JOIN status_events e ON e.snapshot_id = p.current_snapshot_id
           GROUP BY p.url HAVING n != ?""",
        (batchwriter.EVENTS_PER_PAGE,),
    )
    assert per_page == []


@pytest.fixture(scope="module")
def whole(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("batch") / "whole.sqlite"
    done = write(db, 45)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["45"]
    return db


@pytest.mark.parametrize("kill_at", [3, 10, 27, 44])
def test_a_writer_killed_mid_page_mid_batch_keeps_whole_batches_and_a_rerun_finishes(
    whole: Path, tmp_path: Path, kill_at: int
) -> None:
    db = tmp_path / "archive.sqlite"
    killed = write(db, 45, kill_at)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    # The batches committed before the kill, whole; the page being written and the rest of
    # its batch are gone together.
    kept = kill_at // batchwriter.BATCH_PAGES * batchwriter.BATCH_PAGES
    assert_whole_pages(db, kept)
    assert rows(db, "SELECT status FROM runs") == [{"status": "running"}]

    again = write(db, 45)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split() == [str(45 - kept)]
    assert_whole_pages(db, 45)
    assert contents(db) == contents(whole)
    assert [r["status"] for r in rows(db, "SELECT status FROM runs ORDER BY id")] == [
        "interrupted",
        "ok",
    ]
