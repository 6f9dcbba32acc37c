"""One run at a time: an flock on a file beside the database.

The lock file holds the holder's pid and start time so that a refused run can name it.
The kernel drops an flock when its process dies, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from store.archive import Archive, utc_now
from store.errors import LockBusy

__all__ = ["LockBusy", "RunLock", "locked_archive"]


# Every lock this process holds: a forked child (a reparse worker) closes its copies of
# their descriptors at once, so that it never holds the lock (an flock belongs to every
# descriptor of the open file) and a killed writer's lock is free the moment it dies.
_HELD: weakref.WeakSet[RunLock] = weakref.WeakSet()


def _drop_inherited() -> None:
    for lock in list(_HELD):
        if lock._fd is not None:
            with contextlib.suppress(OSError):
                os.close(lock._fd)
            lock._fd = None
    _HELD.clear()


os.register_at_fork(after_in_child=_drop_inherited)


class RunLock:
    """Exclusive, non-blocking lock for the database at `db_path` (file `<db>.lock`)."""

    def __init__(self, db_path: str | Path, command: str, started_at: str) -> None:
        self.path = f"{db_path}.lock"
        self.command = command
        self.started_at = started_at
        self._fd: int | None = None

    def acquire(self) -> RunLock:
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(os.pread(fd, 4096, 0).decode() or "{}")
            except (ValueError, OSError):
                holder = {}
            os.close(fd)
            raise LockBusy(self.path, holder) from None
        info = {"pid": os.getpid(), "started_at": self.started_at, "command": self.command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        self._fd = fd
        _HELD.add(self)
        return self

    def release(self) -> None:
        _HELD.discard(self)
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


@contextmanager
def locked_archive(db_path: str | Path, command: str) -> Iterator[Archive]:
    """The archive at `db_path`, opened while this process holds its run lock (LockBusy if
    another does): what every writer opens it with."""
    lock = RunLock(db_path, command, utc_now()).acquire()
    try:
        with Archive(db_path) as archive:
            yield archive
    finally:
        lock.release()
