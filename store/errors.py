"""The store's own errors, so that a bug (a KeyError, an IndexError) is never taken for bad
usage, and what can go wrong with the database file itself is one line.

```
StoreError                 anything the archive refuses on purpose
 ├── StorageError          SQLite or the file system failed (exit 5): the path is a folder,
 │                         not SQLite, corrupted, unwritable, the disk is full (path)
 ├── NewerSchema           the archive was written by a newer hmicfrs (exit 2) (path, unknown)
 ├── NotInArchive          a recommendation, version or snapshot the archive does not hold
 ├── BadRequest            arguments that cannot work (a --since that is no time, an export target)
 │    └── ExportError      an export that cannot be made as asked
 └── LockBusy              another process holds the run lock (path, holder) (exit 3)
```

The store never imports scraper, so these are not HmicfrsErrors; the CLI's exit-code table
maps each class.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Any

_MAX_DETAIL = 160


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


class StorageError(StoreError):
    """The database file cannot be opened, read or written; names the file and what to do."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


class NewerSchema(StoreError):
    """The archive holds migrations this version of hmicfrs does not know."""

    def __init__(self, path: str, unknown: list[str]) -> None:
        self.path = path
        self.unknown = unknown
        names = ", ".join(unknown[:3]) + (" ..." if len(unknown) > 3 else "")
        self.message = (
            f"this archive was written by a newer hmicfrs (schema {names}); "
            "upgrade hmicfrs to use it, nothing was written"
        )
        super().__init__(f"{path}: {self.message}")


class NotInArchive(StoreError):
    """What was asked for is not in the archive; `what` names it as the user gave it."""

    def __init__(self, message: str, what: Any = None) -> None:
        self.what = what
        super().__init__(message)


class BadRequest(StoreError):
    """A read or export was asked for with arguments that cannot work."""


class ExportError(BadRequest):
    """An export that cannot be made as asked: a bad format or output path."""


class LockBusy(StoreError):
    """Another process holds the lock; `holder` is what it wrote in the lock file."""

    def __init__(self, path: str, holder: dict[str, Any]) -> None:
        self.path = path
        self.holder = holder
        pid = holder.get("pid", "?")
        started = holder.get("started_at", "?")
        command = holder.get("command", "?")
        super().__init__(
            f"another run holds the lock {path}: pid {pid}, '{command}' started at {started}"
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
