"""One run at a time: the lock beside the database names its holder, and dies with it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from store.lock import LockBusy, RunLock


def test_second_lock_is_refused_naming_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    with RunLock(db, "crawl", "2026-11-24T03:17:00.000Z"):
        with pytest.raises(LockBusy) as e:
            RunLock(db, "backfill", "2026-11-24T03:18:00.000Z").acquire()
        holder = e.value.holder
        assert holder["command"] == "crawl"
        assert holder["started_at"] == "2026-11-24T03:17:00.000Z"
        assert isinstance(holder["pid"], int)
        assert f"pid {holder['pid']}" in str(e.value)
    # released: the next run gets it
    RunLock(db, "crawl", "2026-11-24T03:19:00.000Z").acquire().release()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    script = (
        "import sys; from store.lock import RunLock; "
        f"RunLock({str(db)!r}, 'crawl', 'then').acquire(); print('held', flush=True); "
        "sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockBusy):
            RunLock(db, "crawl", "now").acquire()
        assert json.loads(Path(f"{db}.lock").read_text())["pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()
    RunLock(db, "crawl", "now").acquire().release()


def test_cli_exits_3_while_another_run_holds_the_lock(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent
    db = tmp_path / "a.sqlite"
    with RunLock(db, "crawl", "2026-11-24T03:17:00.000Z"):
        for args in (["crawl"], ["backfill", "--ids", "1-3"]):
            result = subprocess.run(
                [sys.executable, "-m", "scraper", *args, "--config", str(root / "config.yaml"),
                 "--db", str(db)],
                capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert result.returncode == 3, result.stderr
            assert "another run holds the lock" in result.stderr
            assert "started at 2026-11-24T03:17:00.000Z" in result.stderr
