"""The archive: decides versions and keeps every observation, one transaction per page.

It is handed plain records (PageResult, ParsedRecord) and knows nothing of HTTP or HTML.
A new version is written only when the content changed: identical bytes, or bytes whose
parsed record hashes the same (page chrome, whitespace, a footer timestamp), only move the
current version's `last_seen_at`. Page state transitions (went missing, came back) are kept
in `page_events`. Never imports scraper.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import sqlite3
import time
import zlib
from collections.abc import Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import sqlite_utils

from store import derived, reports
from store.captures import CaptureRecording
from store.diff import diff_logs
from store.errors import NotInArchive, StoreError, storage_error
from store.schema import check_not_newer, migrate
from store.states import (
    CAPTURED,
    DISCOVERY_KINDS,
    FAILED,
    MISSING_STATES,
    Outcome,
    PageEvent,
    PageState,
)


def utc_now() -> str:
    """Now as ISO 8601 UTC text with milliseconds, the format of every time in the database."""
    return format_time(datetime.now(UTC))


def format_time(moment: datetime) -> str:
    """ISO 8601 UTC text for a datetime."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_time(text: str) -> datetime:
    """The datetime of a time stored by this module (or any ISO 8601 text)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass(frozen=True)
class FetchRow:
    """One request as it goes into `fetches`; outcome None lets the archive decide it."""

    url: str
    requested_at: str
    http_status: int | None
    final_url: str | None
    elapsed_ms: int | None
    bytes: int | None
    outcome: str | None
    error: str | None = None


@dataclass(frozen=True)
class ParsedRecord:
    """What the parser read from a body: recommendation_versions columns and the log, or a
    listing's entries (listing_entries columns)."""

    page_kind: str
    normalised_sha256: str
    row: Mapping[str, Any]
    events: Sequence[Mapping[str, Any]] = ()
    entries: Sequence[Mapping[str, Any]] = ()


class StoredParse(NamedTuple):
    """A snapshot's stored parse in plain values (Archive.stored_parses): cheap to hand to
    another process."""

    columns: tuple[str, ...]  # recommendation_versions' columns, when it has a row
    row: tuple | None
    events: tuple[tuple, ...]  # status_events rows, _EVENT_COLUMNS' values in seq order
    listed: bool  # it has listing entry rows
    normalised_sha256: str | None
    parser_version: str | None


class Settled(NamedTuple):
    """A new parse that reads as the stored one: all replace_parsed_many needs of it."""

    normalised_sha256: str
    parser_version: str | None


def settle(parsed: ParsedRecord) -> Settled:
    return Settled(parsed.normalised_sha256, parsed.row.get("parser_version"))


def parse_unchanged(stored: StoredParse, parsed: ParsedRecord) -> bool:
    """Whether a new parse reads as the stored one, so that replace_parsed would only move
    its parser version and normalised hash (pure: a worker process may decide it)."""
    if parsed.entries or stored.listed:
        return False
    row = None
    if stored.row is not None:
        row = {
            k: v for k, v in zip(stored.columns, stored.row, strict=True) if k not in _UNCOMPARED
        }
    events = [dict(zip(_EVENT_COLUMNS, e, strict=True)) for e in stored.events]
    return (row, events) == _parsed_rows(parsed)


@dataclass(frozen=True)
class Provenance:
    """Where a capture came from: `source` live, wayback or warc; `source_url` the memento
    URL or the WARC file and record id; when it was imported."""

    source: str
    source_url: str
    imported_at: str


@dataclass(frozen=True)
class PageResult:
    """Everything one page's visit produced, as decided (scraper.observe), written in one
    transaction by Archive.record. The store decides only whether a body is a new version."""

    url: str
    kind: str  # a PageKind
    observed_at: str
    state: str | None  # a PageState; None: no usable answer, the known state stands
    http_status: int | None
    fetches: tuple[FetchRow, ...] = ()
    body: bytes | None = None  # a body to version: kept as new, changed or unchanged
    content_type: str | None = None
    # The validators to keep for the current version (None clears them).
    etag: str | None = None
    last_modified: str | None = None
    parsed: ParsedRecord | None = None
    not_modified: bool = False
    redirect_target: str | None = None
    error: str | None = None
    rec_id: int | None = None
    force: str | None = None
    # The last request's outcome; None with a body, whose version decision gives it.
    outcome: str | None = None
    events: tuple[str, ...] = ()  # PageEvents of this visit
    provenance: Provenance | None = None  # None: a live fetch


@dataclass(frozen=True)
class KnownPage:
    """What the archive knew of a page before a visit (KnownPage() for a URL never seen)."""

    state: str | None = None
    snapshot_id: int | None = None  # the current version, if one is stored
    last_checked_at: str | None = None
    vouched: bool = False  # it had a body, or a listing or sitemap named it: it existed
    etag: str | None = None  # validators of the current version's body
    last_modified: str | None = None
    page_kind: str | None = None  # what the parser made of the current version
    rec_id: int | None = None
    force: str | None = None

    @property
    def has_body(self) -> bool:
        return self.snapshot_id is not None


@dataclass(frozen=True)
class Discovered:
    """A URL found by discovery, before it is fetched."""

    url: str
    kind: str
    rec_id: int | None = None
    force: str | None = None
    via: str = "link"  # listing, sitemap, backfill, link
    # The site's own host (site.base_url's): of two spellings of one recommendation, the
    # one there is the page the archive fetches, unless the other was fetched already.
    home_host: str | None = None
    source: str | None = None  # the sitemap, or the listing (without its page number)
    lastmod: str | None = None  # the sitemap's <lastmod> for it


@dataclass
class RunCounts:
    """The counters of the runs row, kept in step with what record() decided."""

    pages_fetched: int = 0
    pages_new: int = 0
    pages_changed: int = 0
    pages_unchanged: int = 0
    pages_missing: int = 0
    errors: int = 0
    requests: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    # Recommendation URLs that answered "not found" but never existed (ids a backfill tries).
    not_found: int = 0
    refused: int = 0
    # Listings, sitemaps and robots.txt: counted apart, never as new or changed recommendations.
    discovery_fetched: int = 0
    discovery_changed: int = 0

    def stats(self) -> dict[str, Any]:
        """The counters beyond the runs row's columns, for its stats."""
        return {
            "outcomes": dict(self.outcomes),
            "not_found": self.not_found,
            "refused": self.refused,
            "discovery_fetched": self.discovery_fetched,
            "discovery_changed": self.discovery_changed,
        }


# What each outcome of a recommendation page counts as in the runs row.
OUTCOME_COUNTER = {
    Outcome.NEW: "pages_new",
    Outcome.CHANGED: "pages_changed",
    Outcome.UNCHANGED: "pages_unchanged",
    Outcome.NOT_MODIFIED: "pages_unchanged",
    Outcome.NOT_FOUND: "pages_missing",
    Outcome.GONE: "pages_missing",
    Outcome.SOFT_404: "pages_missing",
    Outcome.REFUSED: "refused",
    Outcome.ERROR: "errors",
    Outcome.TOO_LARGE: "errors",
}


@dataclass
class Batch:
    """An open Archive.batch: its limits and what it has written and committed so far."""

    pages: int  # commit once this many pages are written since the last commit
    seconds: float  # ... or once this long has passed since the first of them
    clock: Callable[[], float]
    written: int = 0  # pages written in the batch
    committed: int = 0  # of which committed
    commits: int = 0
    opened_at: float | None = None  # when the transaction now open began (None: none open)
    # Pages whose derived rows are to be rebuilt before the open transaction commits.
    dirty: set[str] = field(default_factory=set)

    @property
    def pending(self) -> int:
        """Pages written whole but not committed yet: what a kill now would lose."""
        return self.written - self.committed

    def due(self) -> bool:
        return self.pending > 0 and (
            self.pending >= self.pages
            or (self.opened_at is not None and self.clock() - self.opened_at >= self.seconds)
        )


class Archive(CaptureRecording):
    """The SQLite archive. One instance per process; not shared between threads."""

    def __init__(self, path: str | Path, *, now: Callable[[], str] = utc_now) -> None:
        """Open (or create) the archive and bring its schema up to date.

        Raises NewerSchema for an archive a newer hmicfrs wrote (nothing is written to it)
        and StorageError, one line, when the file cannot be used as a database.
        """
        self.path = str(path)
        self.db: sqlite_utils.Database | None = None
        try:
            self._open()
        except StoreError:
            self._close_quietly()
            raise
        except (sqlite3.Error, OSError) as exc:
            self._close_quietly()
            raise storage_error(self.path, exc) from exc
        self.now = now
        self.counts: dict[int, RunCounts] = {}
        self._page_columns: tuple[str, ...] | None = None
        self._batch: Batch | None = None

    def _open(self) -> None:
        if self.path != ":memory:":
            if Path(self.path).is_dir():
                raise IsADirectoryError(errno.EISDIR, "is a directory", self.path)
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite_utils.Database(self.path)
            # Read something first: a file that is not SQLite fails here, before any write.
            self.db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            check_not_newer(self.db, self.path)
            self.db.execute("PRAGMA journal_mode=WAL")
        else:
            self.db = sqlite_utils.Database(memory=True)
        # WAL with synchronous=NORMAL survives a killed process; only power loss can lose
        # the last commits, never the database's integrity.
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        migrate(self.db)

    def _close_quietly(self) -> None:
        if self.db is not None:
            with contextlib.suppress(sqlite3.Error):
                self.db.close()

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # batched writing --------------------------------------------------------------------

    @contextlib.contextmanager
    def batch(
        self, pages: int = 200, seconds: float = 1.0, *, clock: Callable[[], float] = time.monotonic
    ) -> Iterator[Batch]:
        """Group many pages' writes in one transaction: what a bulk writer (reparse, an
        import) wraps its loop in, for one commit per `pages` pages instead of one per page.

        Each page's write (record, record_capture, replace_parsed, ...) still goes in whole
        or not at all: inside the batch it is a SAVEPOINT, released when the page is written
        and rolled back alone when its write fails. The transaction commits once `pages`
        pages are written or `seconds` have passed since its first (checked as each page
        ends; `flush` commits at once), and when the batch ends, however it ends: what was
        written whole is kept, and a kill loses only the pages written since the last
        commit, never part of a page and never anything committed. Nested batches join the
        outer one. Not for a loop that waits between pages (a live crawl), unless it calls
        `flush(due_only=True)` while it waits.
        """
        if pages < 1 or not seconds > 0:
            raise ValueError(f"a batch needs pages >= 1 and seconds > 0, not {pages}, {seconds}")
        if self._batch is not None:
            yield self._batch
            return
        if self.db.conn.in_transaction:
            raise StoreError("a batch cannot start inside an open transaction")
        self._batch = batch = Batch(pages, seconds, clock)
        try:
            yield batch
        finally:
            try:
                self.flush()
            finally:
                self._batch = None

    def flush(self, *, due_only: bool = False) -> int:
        """Commit what the open batch has written (with `due_only`, only once its limits are
        reached); returns how many pages that committed (0 outside a batch)."""
        batch = self._batch
        if batch is None or (due_only and not batch.due()):
            return 0
        pending = batch.pending
        if self.db.conn.in_transaction:
            try:
                if batch.dirty:
                    derived.refresh(self.db, batch.dirty)
                    batch.dirty.clear()
                self.db.conn.execute("COMMIT")
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    self.db.conn.rollback()
                batch.written = batch.committed
                batch.opened_at = None
                raise
            batch.commits += 1
        else:
            pending = 0  # an error rolled the transaction back: nothing of it is kept
        batch.written = batch.committed = batch.committed + pending
        batch.opened_at = None
        return pending

    @contextlib.contextmanager
    def _page_write(self, pages: int = 1) -> Iterator[None]:
        """One page's writes (or `pages` pages' together), whole or not at all: a
        transaction of its own, or inside a batch a savepoint of the batch's transaction
        (opened here when none is open)."""
        batch = self._batch
        if batch is not None and not self.db.conn.in_transaction:
            self.db.conn.execute("BEGIN")
            batch.opened_at = batch.clock()
            batch.written = batch.committed
        with self._atomic():
            yield
        if batch is not None:
            batch.written += pages
            if batch.due():
                self.flush()

    @contextlib.contextmanager
    def _atomic(self) -> Iterator[None]:
        """sqlite_utils' Database.atomic (a transaction, or inside one a savepoint, rolled
        back alone on any error), with one savepoint name for every page: sqlite_utils names
        each savepoint afresh from the system's random source, three statements a page that
        the connection's statement cache never saw before. A nested savepoint may share the
        name: ROLLBACK TO and RELEASE act on the innermost one of that name."""
        conn = self.db.conn
        if not conn.in_transaction:
            with self.db.atomic():
                yield
            return
        conn.execute("SAVEPOINT page_write")
        try:
            yield
        except BaseException:
            # An error that destroyed the whole transaction took the savepoint with it.
            if conn.in_transaction:
                conn.execute("ROLLBACK TO SAVEPOINT page_write")
                conn.execute("RELEASE SAVEPOINT page_write")
            raise
        conn.execute("RELEASE SAVEPOINT page_write")

    # what users ask (store.reports holds the queries) -----------------------------------

    def history(self, rec: str) -> dict[str, Any]:
        """Every version of one recommendation (REC: an id or a page URL) and its state changes."""
        return reports.history(self.db, rec)

    def diff(
        self,
        rec: str,
        from_version: int | None = None,
        to_version: int | None = None,
        *,
        from_date: str | None = None,
        at: str | None = None,
    ) -> dict[str, Any]:
        """The text and status-log diff between two versions (default: the last two), by
        number or by date (`at`: the version current then; `from_date` likewise)."""
        return reports.version_diff(
            self.db, rec, from_version, to_version, from_date=from_date, at=at
        )

    def changes(self, since: str) -> dict[str, Any]:
        """What changed, appeared, regressed, was rewritten or went missing since `since`."""
        return reports.changes_since(self.db, since)

    # reports ----------------------------------------------------------------------------

    def report_cursor(self, name: str = "changes") -> tuple[tuple[int, int], str | None]:
        """(last snapshot id, last page event id) already reported, and when; (0, 0) and
        None before the first report."""
        row = self.db.execute(
            "SELECT snapshot_id, page_event_id, reported_at FROM report_cursor WHERE name = ?",
            [name],
        ).fetchone()
        return ((row[0], row[1]), row[2]) if row else ((0, 0), None)

    def latest_change_ids(self) -> tuple[int, int]:
        """The newest snapshot id and page event id: a report's upper bound."""
        row = self.db.execute(
            """SELECT (SELECT COALESCE(MAX(id), 0) FROM snapshots),
                      (SELECT COALESCE(MAX(id), 0) FROM page_events)"""
        ).fetchone()
        return int(row[0]), int(row[1])

    def advance_report_cursor(self, upto: tuple[int, int], name: str = "changes") -> None:
        """Mark every change up to `upto` as reported."""
        with self.db.atomic():
            self.db.execute(
                """INSERT INTO report_cursor (name, snapshot_id, page_event_id, reported_at)
                   VALUES (?, ?, ?, ?)
                   ON CONFLICT(name) DO UPDATE SET snapshot_id = excluded.snapshot_id,
                       page_event_id = excluded.page_event_id,
                       reported_at = excluded.reported_at""",
                [name, upto[0], upto[1], self.now()],
            )

    # runs -------------------------------------------------------------------------------

    def start_run(self, command: str, pid: int | None = None) -> int:
        """Open a runs row; the caller holds the lock, so any row still 'running' was killed."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE runs SET status = 'interrupted' WHERE status = 'running'",
            )
            cursor = self.db.execute(
                "INSERT INTO runs (command, started_at, status, pid) VALUES (?, ?, 'running', ?)",
                [command, self.now(), pid],
            )
        run_id = int(cursor.lastrowid)
        self.counts[run_id] = RunCounts()
        return run_id

    def finish_run(
        self, run_id: int, status: str, message: str | None = None, stats: Mapping | None = None
    ) -> dict[str, Any]:
        """Close a runs row with its status and counts; returns the row."""
        with self.db.atomic():
            self.db.execute(
                """UPDATE runs SET finished_at = ?, status = ?, message = ?, stats = ?
                   WHERE id = ?""",
                [self.now(), status, message, json.dumps(stats or {}, sort_keys=True), run_id],
            )
        return self.run(run_id)

    def run(self, run_id: int) -> dict[str, Any]:
        return self.db["runs"].get(run_id)

    # discovery --------------------------------------------------------------------------

    def note_pages(self, found: Iterable[Discovered]) -> int:
        """Add URLs not known yet to `pages`; mark when each was last listed or in a sitemap.

        Returns how many were new.
        """
        now = self.now()
        new = 0
        with self.db.atomic():
            for d in found:
                url = self._page_for(d, now)
                if url == d.url:
                    cur = self.db.execute(
                        """INSERT OR IGNORE INTO pages (url, kind, rec_id, force, first_seen_at)
                           VALUES (?, ?, ?, ?, ?)""",
                        [d.url, d.kind, d.rec_id, d.force, now],
                    )
                    new += cur.rowcount
                if d.via == "listing":
                    self.db.execute(
                        """UPDATE pages SET last_listed_at = ?, listing_dropped_at = NULL,
                               listing_source = COALESCE(?, listing_source) WHERE url = ?""",
                        [now, d.source, url],
                    )
                elif d.via == "sitemap":
                    self.db.execute(
                        """UPDATE pages SET last_in_sitemap_at = ?, sitemap_dropped_at = NULL,
                               sitemap_source = COALESCE(?, sitemap_source), sitemap_lastmod = ?
                           WHERE url = ?""",
                        [now, d.source, d.lastmod, url],
                    )
        return new

    def page_url_for(self, found: Discovered) -> str:
        """The URL under which the archive keeps `found`: a known page at that URL, the page
        of the same recommendation (force, id) under another spelling, or the URL itself."""
        with self.db.atomic():
            return self._page_for(found, self.now())

    def _page_for(self, d: Discovered, now: str) -> str:
        if self.db.execute("SELECT 1 FROM pages WHERE url = ?", [d.url]).fetchone():
            return d.url
        alias = self.db.execute(
            "SELECT url FROM page_aliases WHERE alias_url = ?", [d.url]
        ).fetchone()
        if alias is not None:
            return alias[0]
        if d.kind != "recommendation" or d.rec_id is None or d.force is None:
            return d.url
        # A recommendation is keyed on (force, id): another spelling of a known one is an
        # alias of its page. A page that redirected elsewhere is not where it lives now.
        owner = self.db.execute(
            """SELECT url, state FROM pages
               WHERE force = ? AND rec_id = ? AND kind = 'recommendation'
                 AND (state IS NULL OR state != 'redirected')
               ORDER BY first_seen_at, url LIMIT 1""",
            [d.force, d.rec_id],
        ).fetchone()
        if owner is None:
            return d.url
        url, state = owner
        if state is None and d.home_host and _host(d.url) == d.home_host != _host(url):
            # Never fetched, and spelt on another host (the current host, which may not
            # serve recommendation pages at all): the site's own spelling takes its place.
            self.db.execute("UPDATE pages SET url = ? WHERE url = ?", [d.url, url])
            self.db.execute("UPDATE page_aliases SET url = ? WHERE url = ?", [d.url, url])
            d, url = replace(d, url=url), d.url
        self.db.execute(
            "INSERT OR IGNORE INTO page_aliases (alias_url, url, first_seen_at) VALUES (?, ?, ?)",
            [d.url, url, now],
        )
        return url

    # recording --------------------------------------------------------------------------

    def record(
        self, run_id: int, result: PageResult, job: str | None = None, job_url: str | None = None
    ) -> str:
        """Write one page's fetches, version decision, parse and state in one transaction.

        With `job`, the page is marked done for that resumable job, under `job_url` when the
        job asked for another URL than the one recorded (an id URL that led to the page).
        Returns the outcome of the page's final request (new, changed, unchanged,
        not_modified, not_found, gone, soft_404, redirect, error, too_large,
        robots_disallowed).
        """
        with self._page_write():
            page = self._ensure_page(result)
            outcome, snapshot_id = self._record(run_id, result, page)
            self._refresh_derived(result.url, page, outcome)
            if job is not None:
                self.db.execute(
                    """INSERT OR REPLACE INTO job_items (job, url, done_at, outcome)
                       VALUES (?, ?, ?, ?)""",
                    [job, job_url or result.url, result.observed_at, outcome],
                )
            self._write_fetches(run_id, result.fetches, outcome, snapshot_id)
            self._count(run_id, result, outcome, _vouched(page))
        return outcome

    def _refresh_derived(self, url: str, before: Mapping[str, Any], outcome: str) -> None:
        """Keep the derived tables current for a page just recorded: when it has a new
        current version, or its state or missing_since moved (store/derived.py)."""
        if outcome not in (Outcome.NEW, Outcome.CHANGED):
            now = self.db.execute(
                "SELECT state, missing_since FROM pages WHERE url = ?", [url]
            ).fetchone()
            if (before.get("state"), before.get("missing_since")) == tuple(now):
                return
        self._derive(url)

    def _derive(self, url: str) -> None:
        """Rebuild a page's derived rows now, or inside a batch, once for all the batch's
        pages just before it commits (the same transaction: committed with them)."""
        if self._batch is not None:
            self._batch.dirty.add(url)
        else:
            derived.refresh(self.db, [url])

    def record_fetches(
        self, run_id: int, fetches: Sequence[FetchRow], outcome: str, error: str
    ) -> None:
        """Keep requests whose page result is not recorded (held back by the drift guard)."""
        rows = tuple(replace(f, outcome=outcome, error=f.error or error) for f in fetches)
        with self.db.atomic():
            self._write_fetches(run_id, rows, outcome, None)

    def _count(self, run_id: int, result: PageResult, outcome: str, vouched: bool) -> None:
        counts = self.counts.setdefault(run_id, RunCounts())
        sent = [f for f in result.fetches if f.outcome != Outcome.ROBOTS_DISALLOWED]
        counts.requests += len(sent)
        counts.outcomes[outcome] = counts.outcomes.get(outcome, 0) + 1
        if result.kind in DISCOVERY_KINDS:
            counts.discovery_fetched += bool(sent)
            counts.discovery_changed += outcome in (Outcome.NEW, Outcome.CHANGED)
            counts.errors += outcome in FAILED
        else:
            counts.pages_fetched += bool(sent)
            column = OUTCOME_COUNTER.get(outcome)
            if column == "pages_missing" and not vouched:
                column = "not_found"
            if column:
                setattr(counts, column, getattr(counts, column) + 1)
        self.db.execute(
            """UPDATE runs SET pages_fetched = ?, pages_new = ?, pages_changed = ?,
                   pages_unchanged = ?, pages_missing = ?, errors = ?, requests = ?
               WHERE id = ?""",
            [
                counts.pages_fetched,
                counts.pages_new,
                counts.pages_changed,
                counts.pages_unchanged,
                counts.pages_missing,
                counts.errors,
                counts.requests,
                run_id,
            ],
        )

    def _write_fetches(
        self,
        run_id: int,
        fetches: Sequence[FetchRow],
        outcome: str,
        snapshot_id: int | None,
    ) -> None:
        rows = []
        for i, f in enumerate(fetches):
            last = i == len(fetches) - 1
            rows.append(
                [
                    run_id,
                    f.url,
                    f.requested_at,
                    f.http_status,
                    # Stored only where the request ended up elsewhere: a third of a row saved.
                    f.final_url if f.final_url != f.url else None,
                    f.elapsed_ms,
                    f.bytes,
                    f.outcome or (outcome if last else "error"),
                    f.error,
                    snapshot_id if last else None,
                ]
            )
        self.db.conn.executemany(
            """INSERT INTO fetches (run_id, url, requested_at, http_status, final_url,
                   elapsed_ms, bytes, outcome, error, snapshot_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )

    def _record(
        self, run_id: int, r: PageResult, page: Mapping[str, Any]
    ) -> tuple[str, int | None]:
        snapshot_id = page.get("current_snapshot_id")
        updates: dict[str, Any] = {
            "last_checked_at": r.observed_at,
            "last_http_status": r.http_status,
        }
        outcome = r.outcome
        if outcome is None:
            if r.body is None:
                raise ValueError(f"a page result with neither an outcome nor a body: {r.url}")
            outcome, snapshot_id = self._capture(run_id, r, page)
        elif outcome == Outcome.NOT_MODIFIED and snapshot_id is not None:
            self._seen(snapshot_id, r.observed_at)
        if r.state == PageState.BLOCKED:
            updates.pop("last_http_status")
        elif r.state == PageState.REDIRECTED:
            updates["redirect_target"] = r.redirect_target
        state = r.state or page.get("state") or PageState.ERROR
        if r.error is not None or outcome in FAILED:
            updates["last_error"] = r.error
        elif state == PageState.LIVE:
            updates["last_error"] = None
        updates["etag"], updates["last_modified"] = r.etag, r.last_modified
        updates["state"] = state
        if r.state is not None:  # an answer: the sitemap's lastmod is now accounted for
            updates["checked_lastmod"] = page.get("sitemap_lastmod")
        self._write_events(run_id, r, page.get("state"), state, updates)
        if outcome in (Outcome.NEW, Outcome.CHANGED):
            updates["current_snapshot_id"] = snapshot_id
            if r.parsed is not None:
                updates["current_status"] = r.parsed.row.get("current_status")
                updates["page_kind"] = r.parsed.page_kind
        sets = ", ".join(f"[{k}] = ?" for k in updates)
        self.db.execute(f"UPDATE pages SET {sets} WHERE url = ?", [*updates.values(), r.url])
        return outcome, snapshot_id if outcome in CAPTURED else None

    def known(self, url: str) -> KnownPage:
        """What the archive knows of `url` before a visit (KnownPage() if nothing)."""
        # One plain row, not page()'s dict of every column: asked before every visit.
        row = self.db.conn.execute(
            """SELECT state, current_snapshot_id, last_checked_at, last_listed_at,
                      last_in_sitemap_at, etag, last_modified, page_kind, rec_id, force
               FROM pages WHERE url = ?""",
            [url],
        ).fetchone()
        if row is None:
            return KnownPage()
        state, snapshot_id, checked, listed, in_sitemap, etag, modified, kind, rec_id, force = row
        return KnownPage(
            state=state,
            snapshot_id=snapshot_id,
            last_checked_at=checked,
            # _vouched's rule: it had a body, or a listing or sitemap named it.
            vouched=bool(snapshot_id or listed or in_sitemap),
            etag=etag,
            last_modified=modified,
            page_kind=kind,
            rec_id=rec_id,
            force=force,
        )

    def _ensure_page(self, r: PageResult) -> dict[str, Any]:
        row = self.db.execute("SELECT * FROM pages WHERE url = ?", [r.url]).fetchone()
        if row is None:
            self.db.execute(
                """INSERT INTO pages (url, kind, rec_id, force, first_seen_at)
                   VALUES (?, ?, ?, ?, ?)""",
                [r.url, r.kind, r.rec_id, r.force, r.observed_at],
            )
            row = self.db.execute("SELECT * FROM pages WHERE url = ?", [r.url]).fetchone()
        if self._page_columns is None:
            cursor = self.db.execute("SELECT * FROM pages LIMIT 0")
            self._page_columns = tuple(c[0] for c in cursor.description)
        return dict(zip(self._page_columns, row, strict=True))

    def _write_events(
        self, run_id: int, r: PageResult, before: str | None, after: str, updates: dict
    ) -> None:
        for event in r.events:
            if event == PageEvent.WENT_MISSING:
                updates["missing_since"] = r.observed_at
            elif event == PageEvent.CAME_BACK:
                updates["missing_since"] = None
            self.db.execute(
                """INSERT INTO page_events (url, run_id, at, event, state_before, state_after,
                       http_status) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                [r.url, run_id, r.observed_at, event, before, after, r.http_status],
            )

    def _seen(self, snapshot_id: int, at: str) -> None:
        self.db.execute(
            "UPDATE snapshots SET last_seen_at = MAX(last_seen_at, ?) WHERE id = ?",
            [at, snapshot_id],
        )

    def _capture(self, run_id: int, r: PageResult, page: Mapping[str, Any]) -> tuple[str, int]:
        assert r.body is not None
        content_sha256 = hashlib.sha256(r.body).hexdigest()
        latest = self.db.execute(
            """SELECT id, version, content_sha256, normalised_sha256 FROM snapshots
               WHERE url = ? ORDER BY version DESC LIMIT 1""",
            [r.url],
        ).fetchone()
        normalised = r.parsed.normalised_sha256 if r.parsed is not None else content_sha256
        if latest is not None and (latest[2] == content_sha256 or latest[3] == normalised):
            self._seen(latest[0], r.observed_at)
            return "unchanged", latest[0]
        version = 1 if latest is None else latest[1] + 1
        cursor = self.db.execute(
            """INSERT INTO snapshots (url, version, captured_at, last_seen_at, content_sha256,
                   normalised_sha256, body, body_compression, http_status, content_type, run_id)
               VALUES (?, ?, ?, ?, ?, ?, ?, 'zlib', ?, ?, ?)""",
            [
                r.url,
                version,
                r.observed_at,
                r.observed_at,
                content_sha256,
                normalised,
                zlib.compress(r.body, 6),
                r.http_status,
                r.content_type,
                run_id,
            ],
        )
        snapshot_id = int(cursor.lastrowid)
        if r.provenance is not None:
            self._stamp(snapshot_id, r.provenance)
        if r.parsed is not None:
            self._write_entries(snapshot_id, r.url, r.parsed.entries)
            self._write_parsed(snapshot_id, r.url, r.parsed)
            if latest is not None:
                self._write_log_changes(r.url, latest[0], snapshot_id)
        return ("new" if latest is None else "changed"), snapshot_id

    def _write_parsed(self, snapshot_id: int, url: str, parsed: ParsedRecord) -> None:
        """recommendation_versions and status_events of a parse (listing entries apart)."""
        if parsed.page_kind not in ("recommendation", "unexpected"):
            return
        row = {**parsed.row, "snapshot_id": snapshot_id, "url": url}
        row["page_kind"] = parsed.page_kind
        columns = ", ".join(f"[{k}]" for k in row)
        marks = ", ".join("?" for _ in row)
        self.db.execute(
            f"INSERT INTO recommendation_versions ({columns}) VALUES ({marks})", list(row.values())
        )
        self.db.conn.executemany(
            """INSERT INTO status_events (snapshot_id, seq, on_date, raw_date, kind, status,
                   comment) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            [
                [
                    snapshot_id,
                    e.get("seq", i),
                    e.get("on_date"),
                    e.get("raw_date"),
                    e.get("kind"),
                    e.get("status"),
                    e.get("comment"),
                ]
                for i, e in enumerate(parsed.events)
            ],
        )

    def _write_entries(
        self, snapshot_id: int, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> None:
        for entry in entries:
            content = {k: entry.get(k) for k in _ENTRY_CONTENT}
            digest = hashlib.sha256(
                json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
            ).hexdigest()
            self.db.execute(
                f"""INSERT OR IGNORE INTO listing_entry_contents
                       (content_sha256, {", ".join(_ENTRY_CONTENT)})
                    VALUES (?, {", ".join("?" for _ in _ENTRY_CONTENT)})""",
                [digest, *content.values()],
            )
            self.db.execute(
                """INSERT INTO listing_entry_rows (snapshot_id, seq, listing_url, rec_id, url,
                       report_title, content_sha256, parser_version)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    snapshot_id,
                    entry.get("seq"),
                    url,
                    entry.get("rec_id"),
                    entry.get("url"),
                    entry.get("report_title"),
                    digest,
                    entry.get("parser_version"),
                ],
            )

    def _replace_entries(
        self, snapshot_id: int, url: str, entries: Sequence[Mapping[str, Any]]
    ) -> bool:
        """Swap a listing snapshot's entries for a new parse's; True if they read differently."""
        conn = self.db.conn
        # A recommendation page's parse has no entries: is there anything to drop?
        if (
            not entries
            and not conn.execute(
                "SELECT 1 FROM listing_entry_rows WHERE snapshot_id = ? LIMIT 1", [snapshot_id]
            ).fetchone()
        ):
            return False
        stored = conn.execute(
            f"SELECT {', '.join(_ENTRY_COMPARED)} FROM listing_entries WHERE snapshot_id = ? "
            "ORDER BY seq",
            [snapshot_id],
        ).fetchall()
        if stored == [tuple(e.get(k) for k in _ENTRY_COMPARED) for e in entries]:
            if entries:
                conn.execute(
                    """UPDATE listing_entry_rows SET parser_version = ?
                       WHERE snapshot_id = ? AND parser_version IS NOT ?""",
                    [
                        entries[0].get("parser_version"),
                        snapshot_id,
                        entries[0].get("parser_version"),
                    ],
                )
            return False
        self.db.execute("DELETE FROM listing_entry_rows WHERE snapshot_id = ?", [snapshot_id])
        self._write_entries(snapshot_id, url, entries)
        return True

    def prune_listing_contents(self) -> int:
        """Drop entry contents no listing snapshot points to any more (after a reparse)."""
        with self.db.atomic():
            cursor = self.db.execute(
                """DELETE FROM listing_entry_contents WHERE content_sha256 NOT IN
                       (SELECT content_sha256 FROM listing_entry_rows)"""
            )
        return cursor.rowcount

    def events(self, snapshot_id: int) -> list[dict[str, Any]]:
        """The status log of one snapshot, in page order."""
        return list(
            self.db.query(
                "SELECT * FROM status_events WHERE snapshot_id = ? ORDER BY seq", [snapshot_id]
            )
        )

    def _is_recommendation(self, snapshot_id: int) -> bool:
        row = self.db.execute(
            "SELECT page_kind FROM recommendation_versions WHERE snapshot_id = ?", [snapshot_id]
        ).fetchone()
        return row is not None and row[0] == "recommendation"

    def _write_log_changes(self, url: str, from_id: int, to_id: int) -> None:
        self.db.execute("DELETE FROM log_changes WHERE to_snapshot_id = ?", [to_id])
        if not (self._is_recommendation(from_id) and self._is_recommendation(to_id)):
            return
        for c in diff_logs(self.events(from_id), self.events(to_id)):
            self.db.execute(
                """INSERT INTO log_changes (url, from_snapshot_id, to_snapshot_id, change, kind,
                       on_date, before, after, before_date, after_date)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                [
                    url,
                    from_id,
                    to_id,
                    c.change,
                    c.kind,
                    c.on_date,
                    c.before,
                    c.after,
                    c.before_date,
                    c.after_date,
                ],
            )

    # re-parsing -------------------------------------------------------------------------

    def snapshots_for_reparse(self) -> Iterable[dict[str, Any]]:
        """Every stored snapshot of a recommendation or listing page (both are parsed, and
        both are versioned by what the parser reads), oldest first, with its body."""
        columns = ("id", "url", "version", "body", "body_compression", "content_type")
        for block in self.reparse_blocks():
            yield from (dict(zip(columns, row, strict=True)) for row in block)

    def reparse_blocks(self, size: int = 256) -> Iterator[list[tuple]]:
        """snapshots_for_reparse as lists of at most `size` plain tuples (id, url, version,
        body, body_compression, content_type), read a block at a time: memory stays flat in
        the archive's size, and no cursor is left open while the caller writes between
        blocks."""
        last: tuple[str, int] = ("", 0)
        while True:
            block = self.db.execute(
                """SELECT s.id, s.url, s.version, s.body, s.body_compression, s.content_type
                   FROM snapshots s JOIN pages p ON p.url = s.url
                   WHERE p.kind IN ('recommendation', 'listing') AND (s.url, s.version) > (?, ?)
                   ORDER BY s.url, s.version LIMIT ?""",
                [*last, size],
            ).fetchall()
            if not block:
                return
            last = (block[-1][1], block[-1][2])
            yield block

    def stale_parses(self, parser_version: str) -> int:
        """How many parsed rows another parser version wrote."""
        return self.db.execute(
            """SELECT (SELECT COUNT(*) FROM recommendation_versions WHERE parser_version != ?)
                    + (SELECT COUNT(*) FROM listing_entry_rows WHERE parser_version != ?)""",
            [parser_version, parser_version],
        ).fetchone()[0]

    def replace_parsed(self, snapshot_id: int, url: str, parsed: ParsedRecord) -> bool:
        """Swap the parsed rows of one snapshot for a new parse, and redo its log diffs.

        Rows the new parse reads the same way are left untouched (only their parser_version
        moves), so a reparse with an unchanged parser changes nothing. The snapshot's
        normalised hash always becomes the new parse's: it decides whether the next fetch is
        a new version, and a parser that hashes differently must not make one. True if rows
        changed.
        """
        with self._page_write():
            entries_changed = self._replace_entries(snapshot_id, url, parsed.entries)
            if entries_changed:
                self._derive(url)
            if self._parsed_as(snapshot_id) == _parsed_rows(parsed):
                # Only what differs is written: a reparse by the same parser writes nothing.
                version = parsed.row.get("parser_version")
                self.db.conn.execute(
                    """UPDATE recommendation_versions SET parser_version = ?
                       WHERE snapshot_id = ? AND parser_version IS NOT ?""",
                    [version, snapshot_id, version],
                )
                self.db.conn.execute(
                    """UPDATE snapshots SET normalised_sha256 = ?
                       WHERE id = ? AND normalised_sha256 IS NOT ?""",
                    [parsed.normalised_sha256, snapshot_id, parsed.normalised_sha256],
                )
                return entries_changed
            self.db.execute("DELETE FROM status_events WHERE snapshot_id = ?", [snapshot_id])
            self.db.execute(
                "DELETE FROM recommendation_versions WHERE snapshot_id = ?", [snapshot_id]
            )
            self._write_parsed(snapshot_id, url, parsed)
            self.db.execute(
                "UPDATE snapshots SET normalised_sha256 = ? WHERE id = ?",
                [parsed.normalised_sha256, snapshot_id],
            )
            neighbours = self.db.execute(
                """SELECT b.id, b.version - a.version FROM snapshots a JOIN snapshots b
                   ON b.url = a.url AND ABS(b.version - a.version) = 1 WHERE a.id = ?""",
                [snapshot_id],
            ).fetchall()
            for other, step in neighbours:
                if step < 0:
                    self._write_log_changes(url, other, snapshot_id)
                else:
                    self._write_log_changes(url, snapshot_id, other)
            self.db.execute(
                """UPDATE pages SET current_status = ?, page_kind = ?
                   WHERE url = ? AND current_snapshot_id = ?""",
                [parsed.row.get("current_status"), parsed.page_kind, url, snapshot_id],
            )
            self._derive(url)
            return True

    def stored_parses(self, ids: Sequence[int]) -> dict[int, StoredParse]:
        """What the archive holds of each snapshot's parse, in plain values, read for all of
        them at once: what parse_unchanged compares a new parse with (in a worker process,
        if need be) and what replace_parsed_many settles the unchanged ones by."""
        conn = self.db.conn
        rows: dict[int, tuple] = {}
        columns: tuple[str, ...] = ()
        events: dict[int, list[tuple]] = {}
        listed: set[int] = set()
        hashes: dict[int, str | None] = {}
        for chunk in _chunks(ids):
            marks = ", ".join("?" for _ in chunk)
            cursor = conn.execute(
                f"SELECT * FROM recommendation_versions WHERE snapshot_id IN ({marks})", chunk
            )
            columns = tuple(c[0] for c in cursor.description)
            rows.update((r[0], r) for r in cursor)
            for sid, *values in conn.execute(
                f"""SELECT snapshot_id, {", ".join(_EVENT_COLUMNS)} FROM status_events
                    WHERE snapshot_id IN ({marks}) ORDER BY snapshot_id, seq""",
                chunk,
            ):
                events.setdefault(sid, []).append(tuple(values))
            listed.update(
                r[0]
                for r in conn.execute(
                    f"SELECT DISTINCT snapshot_id FROM listing_entry_rows "
                    f"WHERE snapshot_id IN ({marks})",
                    chunk,
                )
            )
            hashes.update(
                conn.execute(
                    f"SELECT id, normalised_sha256 FROM snapshots WHERE id IN ({marks})", chunk
                ).fetchall()
            )
        version_at = columns.index("parser_version") if columns else 0
        found = {}
        for sid in ids:
            row = rows.get(sid)
            found[sid] = StoredParse(
                columns if row is not None else (),
                row,
                tuple(events.get(sid, ())),
                sid in listed,
                hashes.get(sid),
                row[version_at] if row is not None else None,
            )
        return found

    def replace_parsed_many(
        self,
        parses: Sequence[tuple[int, str, ParsedRecord | Settled]],
        stored: Mapping[int, StoredParse],
    ) -> int:
        """replace_parsed for each (snapshot id, url, parse), in that order, with the same
        result; returns how many changed rows.

        A parse that reads as the stored one (parse_unchanged: what a reparse meets almost
        everywhere) may come as its Settled summary: such a snapshot needs only its parser
        version and normalised hash moved, and those are written for all of them together,
        whole or not at all. The others go through replace_parsed one by one. Nothing
        replace_parsed writes for one snapshot is read for another's comparison, nor is any
        snapshot's stored parse changed by another's, so `stored` may be read before the
        writes of earlier parses and the order of the two kinds does not matter.
        """
        changed = settled = 0
        versions: list[tuple[Any, int]] = []
        renewed: list[tuple[str, int]] = []
        for snapshot_id, url, parsed in parses:
            before = stored[snapshot_id]
            if isinstance(parsed, ParsedRecord):
                if not parse_unchanged(before, parsed):
                    changed += self.replace_parsed(snapshot_id, url, parsed)
                    continue
                parsed = settle(parsed)
            settled += 1
            if before.row is not None and before.parser_version != parsed.parser_version:
                versions.append((parsed.parser_version, snapshot_id))
            if before.normalised_sha256 != parsed.normalised_sha256:
                renewed.append((parsed.normalised_sha256, snapshot_id))
        if settled:
            with self._page_write(settled):
                self.db.conn.executemany(
                    "UPDATE recommendation_versions SET parser_version = ? WHERE snapshot_id = ?",
                    versions,
                )
                self.db.conn.executemany(
                    "UPDATE snapshots SET normalised_sha256 = ? WHERE id = ?", renewed
                )
        return changed

    def _parsed_as(self, snapshot_id: int) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
        """The stored parse of a snapshot, in the shape _parsed_rows gives a new one."""
        conn = self.db.conn
        cursor = conn.execute(
            "SELECT * FROM recommendation_versions WHERE snapshot_id = ?", [snapshot_id]
        )
        found = cursor.fetchone()
        row = None
        if found is not None:
            names = [c[0] for c in cursor.description]
            row = {k: v for k, v in zip(names, found, strict=True) if k not in _UNCOMPARED}
        events = [
            dict(zip(_EVENT_COLUMNS, e, strict=True))
            for e in conn.execute(
                f"SELECT {', '.join(_EVENT_COLUMNS)} FROM status_events WHERE snapshot_id = ? "
                "ORDER BY seq",
                [snapshot_id],
            )
        ]
        return row, events

    # reading ----------------------------------------------------------------------------

    def page(self, url: str) -> dict[str, Any] | None:
        rows = list(self.db.query("SELECT * FROM pages WHERE url = ?", [url]))
        return rows[0] if rows else None

    def snapshot_body(self, snapshot_id: int) -> bytes:
        """The raw bytes of a stored version."""
        return self.stored_body(snapshot_id)[0]

    def stored_body(self, snapshot_id: int) -> tuple[bytes, str | None]:
        """The raw bytes of a stored version and the Content-Type they came with."""
        row = self.db.execute(
            "SELECT body, body_compression, content_type FROM snapshots WHERE id = ?",
            [snapshot_id],
        ).fetchone()
        if row is None:
            raise NotInArchive(f"no snapshot {snapshot_id} in the archive", snapshot_id)
        return decompress(row[0], row[1]), row[2]

    def reset_job(self, job: str) -> None:
        """Forget a finished job's items, so that running it again sweeps anew."""
        with self.db.atomic():
            self.db.execute("DELETE FROM job_items WHERE job = ?", [job])

    def discovery_cycle_start(self) -> str | None:
        """When the last crawl that walked every sitemap and listing finished walking them.

        Crawls record it in their stats (`discovery_completed_at`); a listing or sitemap
        checked after it belongs to the discovery still under way.
        """
        row = self.db.execute(
            """SELECT MAX(json_extract(stats, '$.discovery_completed_at')) FROM runs
               WHERE json_valid(stats)"""
        ).fetchone()
        return row[0] if row else None

    def job_count(self, job: str) -> int:
        """How many URLs a resumable job (a backfill) has finished."""
        return self.db.execute("SELECT COUNT(*) FROM job_items WHERE job = ?", [job]).fetchone()[0]

    def job_has(self, job: str, url: str) -> bool:
        """Whether a resumable job has finished `url`."""
        row = self.db.execute(
            "SELECT 1 FROM job_items WHERE job = ? AND url = ?", [job, url]
        ).fetchone()
        return row is not None

    def coverage(
        self, listed_now: Container[int] | None = None, has_listings: bool = True
    ) -> dict[str, list[int]]:
        """The coverage audit: ids listed but missing, and ids live, listed before, but no
        longer listed (only when listings are configured). Without `listed_now`, the audit
        the last crawl that walked every listing made."""
        if listed_now is None:
            row = self.db.execute(
                """SELECT stats FROM runs WHERE json_valid(stats)
                   AND json_type(stats, '$.listed_but_missing') IS NOT NULL
                   ORDER BY id DESC LIMIT 1"""
            ).fetchone()
            stats = json.loads(row[0]) if row else {}
            keys = ("listed_but_missing", "live_but_no_longer_listed")
            return {k: stats.get(k, []) for k in keys}
        listed_missing: list[int] = []
        live_unlisted: list[int] = []
        marks = ", ".join("?" for _ in MISSING_STATES)
        for rec_id, live, gone, listed_before in self.db.execute(
            f"""SELECT rec_id, MAX(state = 'live'), MAX(state IN ({marks})),
                       MAX(last_listed_at IS NOT NULL)
                FROM pages WHERE kind = 'recommendation' AND rec_id IS NOT NULL
                GROUP BY rec_id ORDER BY rec_id""",
            sorted(MISSING_STATES),
        ):
            listed = rec_id in listed_now
            if listed and not live and gone:
                listed_missing.append(rec_id)
            elif live and listed_before and not listed and has_listings:
                live_unlisted.append(rec_id)
        return {"listed_but_missing": listed_missing, "live_but_no_longer_listed": live_unlisted}

    # evidence of change (scraper.scheduler decides what it means) ---------------------

    def mark_dropped(
        self, walk_started: str, sitemaps: Sequence[str], listings: Sequence[str]
    ) -> int:
        """Note when pages dropped out of a sitemap or listing that this walk read in full
        and that named them before; returns how many dropped out now."""
        now, dropped = self.now(), 0
        with self.db.atomic():
            for column, source, seen, values in (
                ("sitemap_dropped_at", "sitemap_source", "last_in_sitemap_at", sitemaps),
                ("listing_dropped_at", "listing_source", "last_listed_at", listings),
            ):
                for chunk in _chunks(sorted(values)):
                    marks = ", ".join("?" for _ in chunk)
                    cursor = self.db.execute(
                        f"""UPDATE pages SET {column} = ?
                            WHERE kind = 'recommendation' AND {column} IS NULL
                              AND {source} IN ({marks}) AND {seen} < ?""",
                        [now, *chunk, walk_started],
                    )
                    dropped += cursor.rowcount
        return dropped

    def listing_comparisons(self, since: str) -> Iterator[dict[str, Any]]:
        """Each entry of the listing pages checked since `since`, against the archived
        version of its recommendation page (live pages with a parsed version only): the
        page, the listing page and its snapshot, when that snapshot was captured, when the
        page was last checked, and which of text, status, status date and log differ."""
        entries = self.db.execute(
            """SELECT le.url, le.listing_url, le.snapshot_id, s.captured_at, le.text,
                      le.current_status, le.status_date, le.log
               FROM pages lp
               JOIN listing_entries le ON le.snapshot_id = lp.current_snapshot_id
               JOIN snapshots s ON s.id = le.snapshot_id
               WHERE lp.kind = 'listing' AND lp.last_checked_at >= ? AND le.url IS NOT NULL
               ORDER BY le.snapshot_id, le.seq""",
            [since],
        )  # read as it goes: a listing entry's text is never all held at once
        for url, listing_url, snapshot_id, captured_at, text, status, date, log in entries:
            page = self.db.execute(
                """SELECT p.url, p.last_checked_at, rv.text, rv.current_status, rv.status_date,
                          p.current_snapshot_id
                   FROM pages p JOIN recommendation_versions rv
                     ON rv.snapshot_id = p.current_snapshot_id
                   WHERE p.state = 'live' AND p.kind = 'recommendation' AND p.url = COALESCE(
                       (SELECT a.url FROM page_aliases a WHERE a.alias_url = ?), ?)""",
                [url, url],
            ).fetchone()
            if page is None:
                continue
            events = [
                (e["on_date"], e["kind"], e["status"], e["comment"]) for e in self.events(page[5])
            ]
            try:
                shown = [
                    (e.get("on_date"), e.get("kind"), e.get("status"), e.get("comment"))
                    for e in json.loads(log or "[]")
                ]
            except (ValueError, AttributeError):
                shown = None
            differs = [
                name
                for name, a, b in (
                    ("text", text, page[2]),
                    ("current_status", status, page[3]),
                    ("status_date", date, page[4]),
                    ("log", shown, events),
                )
                if a != b
            ]
            if url != page[0]:  # the listing links it elsewhere: a move
                differs.append("url")
            yield {
                "url": page[0],
                "listing_url": listing_url,
                "listing_snapshot_id": snapshot_id,
                "listing_captured_at": captured_at,
                "page_checked_at": page[1],
                "differs": differs,
            }

    def change_candidates(self, closed_statuses: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Every known recommendation page with what the scheduler weighs: when it was last
        checked, whether it is in the slow lane (closed, never existed, redirected), what
        its sitemap said and whether it dropped out of a sitemap or listing."""
        closed_marks = ", ".join("?" for _ in closed_statuses) or "NULL"
        cursor = self.db.execute(
            f"""SELECT url, last_checked_at,
                       CAST((state = 'live' AND COALESCE(current_status IN ({closed_marks}), 0))
                            OR (current_snapshot_id IS NULL
                                AND state IN ('not_found', 'gone', 'soft_404'))
                            OR state = 'redirected' AS INTEGER) AS slow,
                       state, sitemap_source, sitemap_lastmod, checked_lastmod,
                       last_in_sitemap_at, sitemap_dropped_at, listing_source, last_listed_at,
                       listing_dropped_at
                FROM pages WHERE kind = 'recommendation'
                ORDER BY last_checked_at IS NOT NULL, last_checked_at, url""",
            list(closed_statuses),
        )
        columns = [c[0] for c in cursor.description]
        for row in cursor:
            yield dict(zip(columns, row, strict=True))

    def record_signals(self, run_id: int, signals: Iterable[Mapping[str, Any]]) -> None:
        """Keep the evidence a run acted on (change_signals rows; outcome filled on fetch)."""
        now = self.now()
        with self.db.atomic():
            self.db.conn.executemany(
                """INSERT INTO change_signals (run_id, url, kind, source, seen_at,
                       listing_snapshot_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)""",
                (
                    [
                        run_id,
                        g["url"],
                        g["kind"],
                        g.get("source"),
                        now,
                        g.get("listing_snapshot_id"),
                        g.get("detail"),
                    ]
                    for g in signals
                ),
            )

    def settle_signals(self, run_id: int, url: str, outcome: str, changed: bool) -> None:
        """What the fetch of a signalled page found, on its signals of this run."""
        with self.db.atomic():
            self.db.execute(
                """UPDATE change_signals SET outcome = ?, changed = ?
                   WHERE run_id = ? AND url = ? AND outcome IS NULL""",
                [outcome, int(changed), run_id, url],
            )

    def recommendation_page_count(self) -> int:
        """How many recommendation pages the archive knows."""
        sql = "SELECT COUNT(*) FROM pages WHERE kind = 'recommendation'"
        return int(self.db.execute(sql).fetchone()[0])

    def previous_crawl_started(self, run_id: int) -> str | None:
        """When the last crawl before run `run_id` that got through (ok or partial) began."""
        row = self.db.execute(
            """SELECT started_at FROM runs WHERE command = 'crawl' AND id < ?
                 AND status IN ('ok', 'partial') ORDER BY id DESC LIMIT 1""",
            [run_id],
        ).fetchone()
        return row[0] if row else None

    def distrusted_sources(self) -> set[str]:
        """Sitemaps and listings caught vouching for a page that had changed."""
        return {r[0] for r in self.db.execute("SELECT source FROM source_trust WHERE trusted = 0")}

    def score_source(self, source: str, kind: str, column: str) -> None:
        """Count one right prediction or one false alarm of a source."""
        if column not in ("predicted", "false_alarms"):
            raise ValueError(f"not a score column: {column}")
        with self.db.atomic():
            self.db.execute(
                f"""INSERT INTO source_trust (source, kind, {column}) VALUES (?, ?, 1)
                    ON CONFLICT(source) DO UPDATE SET {column} = {column} + 1""",
                [source, kind],
            )

    def source_lied(self, source: str, kind: str, run_id: int, url: str) -> bool:
        """A source vouched that `url` had not changed, and it had: count the lie and take
        away its trust; True when it was trusted until now."""
        with self.db.atomic():
            row = self.db.execute(
                "SELECT trusted FROM source_trust WHERE source = ?", [source]
            ).fetchone()
            self.db.execute(
                """INSERT INTO source_trust (source, kind, lies, trusted, lost_trust_at,
                       lost_trust_run_id, last_lie_url) VALUES (?, ?, 1, 0, ?, ?, ?)
                   ON CONFLICT(source) DO UPDATE SET lies = lies + 1, trusted = 0,
                       lost_trust_at = COALESCE(lost_trust_at, excluded.lost_trust_at),
                       lost_trust_run_id = COALESCE(lost_trust_run_id, excluded.lost_trust_run_id),
                       last_lie_url = excluded.last_lie_url""",
                [source, kind, self.now(), run_id, url],
            )
        return row is None or bool(row[0])

    def note_lost_trust(self, run_id: int, sources: Sequence[str]) -> None:
        """Say on the runs row which sources lost their trust in that run."""
        with self.db.atomic():
            self.db.execute(
                "UPDATE runs SET lost_trust = ? WHERE id = ?",
                [json.dumps(list(sources)) if sources else None, run_id],
            )

    def knows_rec_id(self, rec_id: int) -> bool:
        """Whether some recommendation page of this id is known."""
        return (
            self.db.execute(
                "SELECT 1 FROM pages WHERE kind = 'recommendation' AND rec_id = ? LIMIT 1",
                [rec_id],
            ).fetchone()
            is not None
        )

    def iter_due_pages(
        self,
        now: datetime,
        open_hours: float,
        closed_hours: float,
        closed_statuses: Sequence[str],
        chunk: int = 1000,
    ) -> tuple[int, Iterator[str]]:
        """due_pages as (how many, URLs in chunks): the list is set aside in a temporary table
        once, so visits made meanwhile neither reorder it nor hold it all in memory."""
        sql, params = self._due_sql(now, open_hours, closed_hours, closed_statuses)
        self.db.execute("DROP TABLE IF EXISTS temp.due_now")
        self.db.execute(f"CREATE TEMP TABLE due_now AS {sql}", params)
        total = self.db.execute("SELECT COUNT(*) FROM temp.due_now").fetchone()[0]

        def urls() -> Iterator[str]:
            last = 0
            while True:
                batch = self.db.execute(
                    "SELECT rowid, url FROM temp.due_now WHERE rowid > ? ORDER BY rowid LIMIT ?",
                    [last, chunk],
                ).fetchall()
                if not batch:
                    return
                last = batch[-1][0]
                yield from (url for _, url in batch)

        return total, urls()

    def due_pages(
        self,
        now: datetime,
        open_hours: float,
        closed_hours: float,
        closed_statuses: Sequence[str],
        kinds: Sequence[str] = ("recommendation",),
    ) -> list[str]:
        """Known pages due for a visit: never-checked first, then the longest-unchecked.

        A page in a closed status waits `closed_hours`, any other `open_hours`.
        """
        sql, params = self._due_sql(now, open_hours, closed_hours, closed_statuses, kinds)
        return [r[0] for r in self.db.execute(sql, params)]

    def _due_sql(
        self,
        now: datetime,
        open_hours: float,
        closed_hours: float,
        closed_statuses: Sequence[str],
        kinds: Sequence[str] = ("recommendation",),
    ) -> tuple[str, list[Any]]:
        open_cutoff = format_time(now - timedelta(hours=open_hours))
        closed_cutoff = format_time(now - timedelta(hours=closed_hours))
        kind_marks = ", ".join("?" for _ in kinds)
        closed_marks = ", ".join("?" for _ in closed_statuses) or "NULL"
        # Slow lane: live pages in a closed status, ids that never existed (a backfill meets
        # thousands) and URLs that redirect elsewhere (the page they lead to has its own
        # visits); everything else is open.
        slow = f"""(
            (state = 'live' AND COALESCE(current_status IN ({closed_marks}), 0) = 1)
            OR (current_snapshot_id IS NULL AND state IN ('not_found', 'gone', 'soft_404'))
            OR state = 'redirected'
        )"""
        sql = f"""
            SELECT url FROM pages
            WHERE kind IN ({kind_marks}) AND (
                last_checked_at IS NULL
                OR ({slow} AND last_checked_at <= ?)
                OR (NOT {slow} AND last_checked_at <= ?)
            )
            ORDER BY last_checked_at IS NOT NULL, last_checked_at, url
        """
        params = [*kinds, *closed_statuses, closed_cutoff, *closed_statuses, open_cutoff]
        return sql, params


_UNCOMPARED = frozenset(("snapshot_id", "url", "parser_version"))
# What a listing entry shows, stored once however many listing snapshots show it alike.
_ENTRY_CONTENT = (
    "cause_of_concern",
    "text",
    "current_status",
    "status_date",
    "log",
    "parse_warnings",
    "force_name",
    "reference",
    "report_url",
    "published_on",
    "themes",
)
_EVENT_COLUMNS = ("seq", "on_date", "raw_date", "kind", "status", "comment")
_ENTRY_COMPARED = ("seq", "rec_id", "url", "report_title", *_ENTRY_CONTENT)


def _chunks(values: Sequence[Any], size: int = 500) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _host(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


def _parsed_rows(parsed: ParsedRecord) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """A new parse in the shape of its stored rows, for comparison."""
    if parsed.page_kind not in ("recommendation", "unexpected"):
        return None, []
    row = {k: v for k, v in parsed.row.items() if k not in _UNCOMPARED}
    row["page_kind"] = parsed.page_kind
    events = [
        {"seq": e.get("seq", i), **{k: e.get(k) for k in _EVENT_COLUMNS if k != "seq"}}
        for i, e in enumerate(parsed.events)
    ]
    return row, events


def _vouched(page: Mapping[str, Any]) -> bool:
    """Whether a page is known to have existed: it had a body, or a listing or sitemap named it."""
    return bool(
        page.get("current_snapshot_id")
        or page.get("last_listed_at")
        or page.get("last_in_sitemap_at")
    )


def decompress(body: bytes, compression: str | None) -> bytes:
    """The raw bytes of a stored body."""
    if compression == "zlib":
        return zlib.decompress(body)
    return bytes(body)
