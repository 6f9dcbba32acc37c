"""The store's errors: what can go wrong with the database file itself, as one-line messages.

    StoreError                 base; `exit_code` is what the command line exits with
     +-- StorageError          SQLite or the file system failed (exit 5): the path is a
     |                         folder, not SQLite, corrupted, unwritable, the disk is full
     +-- NewerSchema           the archive was written by a newer hmicfrs (exit 2)

The store never imports scraper, so these are not HmicfrsErrors; the CLI maps them.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

EXIT_STORAGE = 5
EXIT_NEWER_SCHEMA = 2
_MAX_DETAIL = 160


class StoreError(Exception):
    """Base of the store's errors."""

    exit_code: int = EXIT_STORAGE

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class StorageError(StoreError):
    """The database file cannot be opened, read or written; names the file and what to do."""

    exit_code = EXIT_STORAGE


class NewerSchema(StoreError):
    """The archive holds migrations this version of hmicfrs does not know."""

    exit_code = EXIT_NEWER_SCHEMA

    def __init__(self, path: str, unknown: list[str]) -> None:
        self.unknown = unknown
        names = ", ".join(unknown[:3]) + (" ..." if len(unknown) > 3 else "")
        super().__init__(
            path,
            f"this archive was written by a newer hmicfrs (schema {names}); "
            "upgrade hmicfrs to use it, nothing was written",
        )


def storage_error(path: str | Path, exc: BaseException) -> StorageError:
    """A one-line StorageError for an sqlite3 or OS error met on the database at `path`."""
    path = str(path)
    detail = " ".join(str(exc).split())[:_MAX_DETAIL] or type(exc).__name__
    text = detail.lower()
    code = getattr(exc, "errno", None)
    if isinstance(exc, IsADirectoryError) or (path != ":memory:" and Path(path).is_dir()):
        return StorageError(path, "is a folder, not a database file (give --db a file path)")
    if code == errno.ENOSPC or "disk is full" in text or "database or disk is full" in text:
        return StorageError(
            path,
            "the disk is full; free some space and run again (every page already written is kept)",
        )
    if "file is not a database" in text:
        return StorageError(path, "is not an SQLite database (is --db or store.path right?)")
    if "malformed" in text or "corrupt" in text:
        return StorageError(
            path,
            f"the database is corrupted ({detail}); restore it from a backup "
            "(README: Backing up while a crawl runs)",
        )
    if (
        isinstance(exc, PermissionError)
        or code in (errno.EACCES, errno.EPERM, errno.EROFS)
        or "readonly" in text
        or "unable to open" in text
        or "permission" in text
    ):
        return StorageError(
            path,
            f"cannot be opened for writing ({detail}); check the file's and folder's permissions",
        )
    if isinstance(exc, sqlite3.Error):
        return StorageError(path, f"SQLite failed: {detail}")
    return StorageError(path, f"cannot be used: {detail}")


def is_storage_os_error(exc: OSError) -> bool:
    """Whether an OSError is about where the archive lives (space, permissions, folders)."""
    return getattr(exc, "errno", None) in (
        errno.ENOSPC,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.EDQUOT,
        errno.EIO,
    )
