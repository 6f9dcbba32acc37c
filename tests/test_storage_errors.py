"""What the operator sees when the database file is the problem: one line naming the file
and what to do, and an exit status of its own (5; 2 for an archive a newer hmicfrs wrote),
never a traceback and never exit 1 ("some pages failed")."""

from __future__ import annotations

import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from store.archive import Archive
from store.errors import StorageError, storage_error
from store.lock import RunLock
from tests.support import ROOT, hmicfrs, write_config

# A closed port: if any of these runs got as far as a request, it would fail loudly, not
# reach anything.
NOWHERE = "http://127.0.0.1:9"


def run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = write_config(tmp_path / "config.yaml", NOWHERE, tmp_path / "unused.sqlite")
    return subprocess.run(
        [sys.executable, "-m", "scraper", *args, "--config", str(config)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def corrupt(path: Path) -> None:
    Archive(path).close()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    data[4196 : 4096 * 6] = b"\x55" * (4096 * 6 - 4196)
    path.write_bytes(bytes(data))


FOLDER = (lambda p: p.mkdir(), "is a folder, not a database file (give --db a file path)")
NOT_SQLITE = (
    lambda p: p.write_text("name,value\nnot,sqlite\n" * 100),
    "is not an SQLite database (is --db or store.path right?)",
)
CORRUPTED = (
    corrupt,
    "the database is corrupted (database disk image is malformed); restore it from a "
    "backup (README: Backing up while a crawl runs)",
)


# A read command refuses a path that is not a file before opening it (exit 2), so the
# folder case is the writers' only.
@pytest.mark.parametrize(
    ("command", "make", "message"),
    [
        ("crawl", *FOLDER),
        ("reparse", *FOLDER),
        ("crawl", *NOT_SQLITE),
        ("reparse", *NOT_SQLITE),
        ("history", *NOT_SQLITE),
        ("crawl", *CORRUPTED),
        ("reparse", *CORRUPTED),
        ("history", *CORRUPTED),
    ],
)
def test_a_database_that_cannot_be_used_is_one_line_and_exit_5(
    tmp_path: Path, command: str, make, message: str
) -> None:
    db = tmp_path / "a.sqlite"
    make(db)
    args = [command, "1"] if command == "history" else [command]
    result = run(tmp_path, *args, "--db", str(db))
    assert (result.returncode, result.stdout, result.stderr) == (
        5,
        "",
        f"error: {db}: {message}\n",
    )


def test_an_archive_written_by_a_newer_hmicfrs_is_refused_untouched(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    Archive(db).close()
    conn = sqlite3.connect(db)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('hmicfrs-archive', 'm099_renamed_columns', '2027-01-01')"
    )
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = db.read_bytes()
    result = run(tmp_path, "crawl", "--db", str(db))
    assert (result.returncode, result.stdout, result.stderr) == (
        2,
        "",
        f"error: {db}: this archive was written by a newer hmicfrs (schema "
        "m099_renamed_columns); upgrade hmicfrs to use it, nothing was written\n",
    )
    assert db.read_bytes() == before


def test_a_full_disk_mid_run_is_one_line_and_exit_5(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.fixturesite import FixtureSite

    def full(*args: object, **kwargs: object) -> str:
        raise sqlite3.OperationalError("database or disk is full")

    db = tmp_path / "a.sqlite"
    with FixtureSite(state="initial") as site:
        config = write_config(tmp_path / "config.yaml", site.base_url, db)
        monkeypatch.setattr(Archive, "record", full)
        result = hmicfrs("crawl", "--config", str(config))
    assert result.exit_code == 5
    assert result.output.splitlines()[-1] == (
        f"error: {db}: the disk is full; free some space and run again "
        "(every page already written is kept)"
    )


@pytest.mark.parametrize(
    ("exc", "message"),
    [
        (PermissionError(errno.EACCES, "Permission denied"), "cannot be opened for writing ([Errno 13] Permission denied); check the file's and folder's permissions"),
        (sqlite3.OperationalError("attempt to write a readonly database"), "cannot be opened for writing (attempt to write a readonly database); check the file's and folder's permissions"),
        (OSError(errno.ENOSPC, "No space left on device"), "the disk is full; free some space and run again (every page already written is kept)"),
        (sqlite3.OperationalError("x" * 5000), "SQLite failed: " + "x" * 160),
    ],
)  # fmt: skip
def test_storage_errors_read_as_one_line(exc: BaseException, message: str) -> None:
    error = storage_error("/srv/a.sqlite", exc)
    assert (type(error), str(error), error.exit_code) == (
        StorageError,
        f"/srv/a.sqlite: {message}",
        5,
    )


def test_reparse_takes_the_run_lock(tmp_path: Path) -> None:
    db = tmp_path / "a.sqlite"
    Archive(db).close()
    with RunLock(db, "crawl", "2026-12-01T03:17:00Z"):
        result = run(tmp_path, "reparse", "--db", str(db))
    assert (result.returncode, result.stdout) == (3, "")
    assert result.stderr.startswith(f"error: another run holds the lock {db}.lock: pid ")
    assert result.stderr.rstrip().endswith("'crawl' started at 2026-12-01T03:17:00Z")


def test_a_database_where_no_folder_can_be_made_is_one_line_and_exit_5(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    db = blocker / "data" / "a.sqlite"
    result = run(tmp_path, "crawl", "--db", str(db))
    assert (result.returncode, result.stdout) == (5, "")
    assert result.stderr.startswith(f"error: {db}: cannot be used: [Errno 20] Not a directory")
    assert len(result.stderr.splitlines()) == 1
