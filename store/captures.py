"""Captures from web archives (the Wayback Machine, WARC files) in the archive's time order.

A capture is written like a live visit when it is the newest thing known of its page. One
older than what the archive already holds is slotted in at its own time: identical content
next to it in time is the same version (its first or last seen moves), different content is
a new version and the page's versions are renumbered by `captured_at` (snapshot ids and hashes
never change, so a citation by snapshot id stays valid); a version whose span it falls inside
is split in two around it. Page states met in the past (404, 410, soft 404, redirect) become
page events at their capture times. Every capture an import lists or reads has a `captures`
row: the import's resume point. Mixed into Archive; never imports scraper.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from store import derived
from store.states import MISSING_STATES, Outcome, PageEvent, PageState


@dataclass(frozen=True)
class CaptureRow:
    """One capture as an archive's index or a WARC file names it."""

    source: str  # wayback, warc
    source_url: str  # the memento URL, or "<file>#<record id>"
    original_url: str  # the URL as captured
    captured_at: str  # ISO 8601 UTC, the capture's own time
    http_status: int | None = None
    digest: str | None = None  # the archive's payload digest, when it gives one


class CaptureRecording:
    """Archive's methods for imported captures (see the module docstring)."""

    db: Any
    now: Any
    _page_write: Any

    # listing and resuming ------------------------------------------------------------

    def import_cursor(self, name: str) -> tuple[str | None, bool]:
        """(resume key, complete) of one listing query; (None, False) before its first page."""
        row = self.db.execute(
            "SELECT resume_key, complete FROM import_cursors WHERE name = ?", [name]
        ).fetchone()
        return (row[0], bool(row[1])) if row else (None, False)

    def list_captures(
        self, name: str, rows: Iterable[CaptureRow], resume_key: str | None, complete: bool
    ) -> int:
        """Note one page of an index's captures and where the listing goes on, in one
        transaction; returns how many captures were new."""
        now = self.now()
        new = 0
        with self.db.atomic():
            for c in rows:
                cursor = self.db.execute(
                    """INSERT OR IGNORE INTO captures (source, source_url, original_url,
                           captured_at, http_status, digest, listed_at)
                       VALUES (?, ?, ?, ?, ?, ?, ?)""",
                    [c.source, c.source_url, c.original_url, c.captured_at, c.http_status,
                     c.digest, now],
                )  # fmt: skip
                new += cursor.rowcount
            self.db.execute(
                """INSERT INTO import_cursors (name, resume_key, complete, updated_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT(name) DO UPDATE SET resume_key = excluded.resume_key,
                       complete = excluded.complete, updated_at = excluded.updated_at""",
                [name, resume_key, int(complete), now],
            )
        return new

    def pending_captures(self, source: str) -> list[CaptureRow]:
        """Listed captures not imported yet (or that failed), oldest first."""
        return [
            CaptureRow(*row)
            for row in self.db.execute(
                """SELECT source, source_url, original_url, captured_at, http_status, digest
                   FROM captures WHERE source = ? AND imported_at IS NULL
                   ORDER BY captured_at, id""",
                [source],
            )
        ]

    def has_capture(self, source_url: str) -> bool:
        """Whether an import already read this capture."""
        row = self.db.execute(
            "SELECT 1 FROM captures WHERE source_url = ? AND imported_at IS NOT NULL",
            [source_url],
        ).fetchone()
        return row is not None

    def same_as_previous(self, url: str, capture: CaptureRow) -> int | None:
        """The snapshot of the page's previous imported capture when it had this capture's
        digest (identical bytes: nothing to fetch), else None."""
        if capture.digest is None:
            return None
        row = self.db.execute(
            """SELECT digest, snapshot_id FROM captures
               WHERE url = ? AND imported_at IS NOT NULL AND captured_at < ?
               ORDER BY captured_at DESC, id DESC LIMIT 1""",
            [url, capture.captured_at],
        ).fetchone()
        if row is None or row[0] != capture.digest or row[1] is None:
            return None
        return int(row[1])

    # recording -------------------------------------------------------------------------

    def record_capture(self, run_id: int, result: Any, capture: CaptureRow) -> tuple[str, bool]:
        """Write one capture's page result at its capture time, in one transaction.

        Returns (outcome, renumbered): renumbered when an older capture became a version
        before existing ones, so their numbers moved.
        """
        archive: Any = self
        with self._page_write():
            page = archive._ensure_page(result)
            at = result.observed_at
            self.db.execute(
                "UPDATE pages SET first_seen_at = MIN(first_seen_at, ?) WHERE url = ?",
                [at, result.url],
            )
            latest = page.get("last_checked_at")
            if latest is None or at >= latest:
                outcome, snapshot_id = archive._record(run_id, result, page)
                renumbered = False
            else:
                outcome, snapshot_id, renumbered = self._slot_in(run_id, result)
            archive._write_fetches(run_id, result.fetches, outcome, snapshot_id)
            archive._count(run_id, result, outcome, _vouched_page(page))
            self._mark_capture(run_id, capture, result.url, outcome, result.error, snapshot_id)
            derived.refresh(self.db, [result.url])
        return outcome, renumbered

    def record_seen_capture(
        self, run_id: int, capture: CaptureRow, url: str, snapshot_id: int
    ) -> None:
        """A capture identical to the one before it: an observation of that version."""
        with self._page_write():
            self._observe_at(snapshot_id, capture.captured_at)
            self._mark_capture(run_id, capture, url, Outcome.UNCHANGED, None, snapshot_id)
            derived.refresh(self.db, [url])

    def skip_capture(
        self,
        run_id: int,
        capture: CaptureRow,
        outcome: str,
        error: str | None,
        fetches: Iterable[Any] = (),
        done: bool = True,
    ) -> None:
        """A capture that is no page result: not a page we archive, a redirect to the page
        itself, or one whose bytes could not be had (`done` False: ask again next time)."""
        archive: Any = self
        with self._page_write():
            rows = tuple(fetches)
            if rows:
                archive._write_fetches(run_id, rows, outcome, None)
            if done:
                self._mark_capture(run_id, capture, None, outcome, error, None)
            else:
                self.db.execute(
                    """INSERT INTO captures (source, source_url, original_url, captured_at,
                           http_status, digest, listed_at, outcome, error, run_id)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                       ON CONFLICT(source_url) DO UPDATE SET outcome = excluded.outcome,
                           error = excluded.error, run_id = excluded.run_id""",
                    [capture.source, capture.source_url, capture.original_url,
                     capture.captured_at, capture.http_status, capture.digest, self.now(),
                     outcome, error, run_id],
                )  # fmt: skip

    def record_requests(self, run_id: int, fetches: Iterable[Any]) -> None:
        """Keep requests to an archive's index (their outcome as given)."""
        archive: Any = self
        rows = tuple(fetches)
        if rows:
            with self.db.atomic():
                archive._write_fetches(run_id, rows, "index", None)

    def known_at(self, url: str, at: str) -> Any:
        """What the archive knew of `url` as of `at` (its current knowledge if `at` is not
        older than its last check): the known page a capture of then is observed against."""
        archive: Any = self
        known = archive.known(url)
        if known.last_checked_at is None or at >= known.last_checked_at:
            return known
        before = self._version_at(url, at)
        state = self._state_at(url, at)
        page = archive.page(url) or {}
        return type(known)(
            state=state,
            snapshot_id=before[0] if before else None,
            last_checked_at=at,
            vouched=bool(before) or _vouched_page(page),
            page_kind=known.page_kind,
            rec_id=known.rec_id,
            force=known.force,
        )

    # the older capture's place in time --------------------------------------------------

    def _mark_capture(
        self,
        run_id: int,
        c: CaptureRow,
        url: str | None,
        outcome: str,
        error: str | None,
        snapshot_id: int | None,
    ) -> None:
        now = self.now()
        self.db.execute(
            """INSERT INTO captures (source, source_url, original_url, url, captured_at,
                   http_status, digest, listed_at, imported_at, outcome, error, snapshot_id,
                   run_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT(source_url) DO UPDATE SET url = excluded.url,
                   imported_at = excluded.imported_at, outcome = excluded.outcome,
                   error = excluded.error, snapshot_id = excluded.snapshot_id,
                   run_id = excluded.run_id""",
            [c.source, c.source_url, c.original_url, url, c.captured_at, c.http_status,
             c.digest, now, now, outcome, error, snapshot_id, run_id],
        )  # fmt: skip

    def _observe_at(self, snapshot_id: int, at: str) -> None:
        self.db.execute(
            """UPDATE snapshots SET last_seen_at = MAX(last_seen_at, ?),
                   captured_at = MIN(captured_at, ?) WHERE id = ?""",
            [at, at, snapshot_id],
        )

    def _version_at(self, url: str, at: str) -> tuple | None:
        """(id, content_sha256, normalised_sha256, captured_at, last_seen_at) of the version
        first seen at or before `at`."""
        return self.db.execute(
            """SELECT id, content_sha256, normalised_sha256, captured_at, last_seen_at
               FROM snapshots WHERE url = ? AND captured_at <= ?
               ORDER BY captured_at DESC, id DESC LIMIT 1""",
            [url, at],
        ).fetchone()

    def _version_after(self, url: str, at: str) -> tuple | None:
        return self.db.execute(
            """SELECT id, content_sha256, normalised_sha256, captured_at, last_seen_at
               FROM snapshots WHERE url = ? AND captured_at > ?
               ORDER BY captured_at, id LIMIT 1""",
            [url, at],
        ).fetchone()

    def _state_at(self, url: str, at: str) -> str | None:
        """The page's state at `at`: its last event then, unless a version was seen since."""
        event = self.db.execute(
            """SELECT at, state_after FROM page_events WHERE url = ? AND at <= ?
               ORDER BY at DESC, id DESC LIMIT 1""",
            [url, at],
        ).fetchone()
        before = self._version_at(url, at)
        if before is not None and (event is None or min(before[4], at) > event[0]):
            return PageState.LIVE
        return event[1] if event is not None else None

    def _slot_in(self, run_id: int, r: Any) -> tuple[str, int | None, bool]:
        """Write a capture older than the page's last check at its own time."""
        prior = self._state_at(r.url, r.observed_at)
        if r.outcome is None and r.body is not None:
            outcome, snapshot_id, renumbered = self._slot_body(run_id, r)
        else:
            outcome, snapshot_id, renumbered = r.outcome, None, False
        for event in r.events:
            self._insert_event(r.url, run_id, r.observed_at, event, prior, r.state, r.http_status)
        if r.state in MISSING_STATES and PageEvent.WENT_MISSING in r.events:
            self._came_back_after(r.url, run_id, r.observed_at, r.state)
        return outcome, snapshot_id, renumbered

    def _insert_event(
        self,
        url: str,
        run_id: int,
        at: str,
        event: str,
        before: str | None,
        after: str | None,
        status: int | None,
    ) -> None:
        self.db.execute(
            """INSERT INTO page_events (url, run_id, at, event, state_before, state_after,
                   http_status) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [url, run_id, at, event, before, after, status],
        )

    def _came_back_after(self, url: str, run_id: int, at: str, missing: str) -> None:
        """A page found missing in the past that a later version shows live came back then,
        unless an event already says what happened in between."""
        after = self._version_after(url, at)
        if after is None:
            return
        between = self.db.execute(
            "SELECT 1 FROM page_events WHERE url = ? AND at > ? AND at <= ? LIMIT 1",
            [url, at, after[3]],
        ).fetchone()
        if between is None:
            self._insert_event(
                url, run_id, after[3], PageEvent.CAME_BACK, missing, PageState.LIVE, None
            )

    def _slot_body(self, run_id: int, r: Any) -> tuple[str, int, bool]:
        archive: Any = self
        at = r.observed_at
        content_sha256 = hashlib.sha256(r.body).hexdigest()
        normalised = r.parsed.normalised_sha256 if r.parsed is not None else content_sha256

        def same(row: tuple | None) -> bool:
            return row is not None and (row[1] == content_sha256 or row[2] == normalised)

        before, after = self._version_at(r.url, at), self._version_after(r.url, at)
        if same(before):
            self._observe_at(before[0], at)
            return Outcome.UNCHANGED, before[0], False
        if same(after):
            self._observe_at(after[0], at)
            return Outcome.UNCHANGED, after[0], False
        if before is not None and before[4] > at:
            self._split(r.url, before[0], at)
        cursor = self.db.execute(
            """INSERT INTO snapshots (url, version, captured_at, last_seen_at, content_sha256,
                   normalised_sha256, body, body_compression, http_status, content_type, run_id)
               VALUES (?, (SELECT COALESCE(MAX(version), 0) + 1 FROM snapshots WHERE url = ?),
                       ?, ?, ?, ?, ?, 'zlib', ?, ?, ?)""",
            [r.url, r.url, at, at, content_sha256, normalised, zlib.compress(r.body, 6),
             r.http_status, r.content_type, run_id],
        )  # fmt: skip
        snapshot_id = int(cursor.lastrowid)
        if r.provenance is not None:
            self._stamp(snapshot_id, r.provenance)
        if r.parsed is not None:
            archive._write_entries(snapshot_id, r.url, r.parsed.entries)
            archive._write_parsed(snapshot_id, r.url, r.parsed)
        renumbered = self._renumber(r.url, snapshot_id)
        outcome = Outcome.NEW if before is None and after is None else Outcome.CHANGED
        return outcome, snapshot_id, renumbered

    def _stamp(self, snapshot_id: int, provenance: Any) -> None:
        self.db.execute(
            "UPDATE snapshots SET source = ?, source_url = ?, imported_at = ? WHERE id = ?",
            [provenance.source, provenance.source_url, provenance.imported_at, snapshot_id],
        )

    def _split(self, url: str, snapshot_id: int, at: str) -> None:
        """Cut a version's span at `at`: its observations after then become a copy of it
        (same bytes, same parse, a snapshot id of its own)."""
        later = [
            row[0]
            for row in self.db.execute(
                """SELECT requested_at FROM fetches WHERE snapshot_id = ? AND requested_at > ?
                   UNION SELECT captured_at FROM captures WHERE snapshot_id = ? AND captured_at > ?
                   ORDER BY 1""",
                [snapshot_id, at, snapshot_id, at],
            )
        ]
        last_seen = self.db.execute(
            "SELECT last_seen_at FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchone()[0]
        first, last = (later[0], max(later[-1], last_seen)) if later else (last_seen, last_seen)
        columns = [c[1] for c in self.db.execute("PRAGMA table_info(snapshots)")]
        copied = [c for c in columns if c not in ("id", "version", "captured_at", "last_seen_at")]
        names = ", ".join(f"[{c}]" for c in copied)
        cursor = self.db.execute(
            f"""INSERT INTO snapshots (version, captured_at, last_seen_at, {names})
                SELECT (SELECT MAX(version) + 1 FROM snapshots WHERE url = ?), ?, ?, {names}
                FROM snapshots WHERE id = ?""",
            [url, first, last, snapshot_id],
        )
        copy = int(cursor.lastrowid)
        self._copy_rows("recommendation_versions", snapshot_id, copy, exclude=())
        self._copy_rows("status_events", snapshot_id, copy, exclude=("id",))
        self._copy_rows("listing_entry_rows", snapshot_id, copy, exclude=())
        earlier = self.db.execute(
            """SELECT MAX(t) FROM (
                   SELECT requested_at AS t FROM fetches WHERE snapshot_id = ? AND requested_at <= ?
                   UNION ALL SELECT captured_at FROM captures
                   WHERE snapshot_id = ? AND captured_at <= ?
                   UNION ALL SELECT captured_at FROM snapshots WHERE id = ?)""",
            [snapshot_id, at, snapshot_id, at, snapshot_id],
        ).fetchone()[0]
        self.db.execute(
            "UPDATE snapshots SET last_seen_at = ? WHERE id = ?", [earlier, snapshot_id]
        )
        self.db.execute(
            "UPDATE fetches SET snapshot_id = ? WHERE snapshot_id = ? AND requested_at > ?",
            [copy, snapshot_id, at],
        )
        self.db.execute(
            "UPDATE captures SET snapshot_id = ? WHERE snapshot_id = ? AND captured_at > ?",
            [copy, snapshot_id, at],
        )

    def _copy_rows(self, table: str, from_id: int, to_id: int, exclude: tuple[str, ...]) -> None:
        columns = [
            c[1]
            for c in self.db.execute(f"PRAGMA table_info({table})")
            if c[1] not in exclude and c[1] != "snapshot_id"
        ]
        names = ", ".join(f"[{c}]" for c in columns)
        self.db.execute(
            f"""INSERT INTO {table} (snapshot_id, {names})
                SELECT ?, {names} FROM {table} WHERE snapshot_id = ?""",
            [to_id, from_id],
        )

    def _renumber(self, url: str, new_id: int) -> bool:
        """Number the page's versions by capture time; its log diffs follow the new order
        and its current version is the latest. True if a version other than `new_id` moved."""
        archive: Any = self
        rows = self.db.execute(
            "SELECT id, version FROM snapshots WHERE url = ? ORDER BY captured_at, id", [url]
        ).fetchall()
        moved = any(v != i + 1 for i, (sid, v) in enumerate(rows) if sid != new_id)
        if any(v != i + 1 for i, (_, v) in enumerate(rows)):
            self.db.execute("UPDATE snapshots SET version = -version WHERE url = ?", [url])
            for i, (sid, _) in enumerate(rows):
                self.db.execute("UPDATE snapshots SET version = ? WHERE id = ?", [i + 1, sid])
        self.db.execute("DELETE FROM log_changes WHERE url = ?", [url])
        for (a, _), (b, _) in zip(rows, rows[1:], strict=False):
            archive._write_log_changes(url, a, b)
        latest = rows[-1][0]
        parsed = self.db.execute(
            "SELECT current_status, page_kind FROM recommendation_versions WHERE snapshot_id = ?",
            [latest],
        ).fetchone()
        self.db.execute(
            """UPDATE pages SET current_snapshot_id = ?,
                   current_status = COALESCE(?, current_status),
                   page_kind = COALESCE(?, page_kind)
               WHERE url = ?""",
            [latest, parsed[0] if parsed else None, parsed[1] if parsed else None, url],
        )
        return moved


def _vouched_page(page: Mapping[str, Any]) -> bool:
    return bool(
        page.get("current_snapshot_id")
        or page.get("last_listed_at")
        or page.get("last_in_sitemap_at")
    )
