"""The store's own errors, so that a bug (a KeyError, an IndexError) is never taken for bad usage.

```
StoreError                 anything the archive refuses on purpose
 ├── NotInArchive          a recommendation, version or snapshot the archive does not hold
 ├── BadRequest            arguments that cannot work (a --since that is no time, an export target)
 │    └── ExportError      an export that cannot be made as asked
 └── LockBusy              another process holds the run lock (path, holder)
```

The CLI maps LockBusy to exit 3 and the others to exit 2. Never imports scraper.
"""

from __future__ import annotations

from typing import Any


class StoreError(Exception):
    """Base of every error the store raises on purpose."""


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
