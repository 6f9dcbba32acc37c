"""The archive database: schema, versions, views. Knows nothing of HTTP or HTML.

`Archive` is the one object to open it with (a context manager); its read methods (history,
diff, changes, coverage) are what anything outside store asks of the database.
"""

from store.archive import Archive
from store.errors import BadRequest, ExportError, LockBusy, NotInArchive, StoreError
from store.states import Outcome, PageEvent, PageKind, PageState

__all__ = [
    "Archive",
    "BadRequest",
    "ExportError",
    "LockBusy",
    "NotInArchive",
    "Outcome",
    "PageEvent",
    "PageKind",
    "PageState",
    "StoreError",
]
