"""Store tests: version decisions, the researcher views, FTS and due_pages on hand-made rows.

`build_archive` records a small, fixed history (three runs, four recommendations) that the
Datasette and export tests reuse.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from store.archive import Archive, Discovered, FetchRow, PageResult, ParsedRecord, decompress

T1 = "2026-11-01T06:00:00.000Z"
T2 = "2026-11-08T06:00:00.000Z"
T3 = "2026-11-15T06:00:00.000Z"

BASE = "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendations"
A = f"{BASE}/kent-rec-101/"
B = f"{BASE}/essex-rec-102/"
C = f"{BASE}/kent-rec-103/"
D = f"{BASE}/essex-rec-104/"

HTML = "text/html; charset=UTF-8"


def event(seq: int, on_date: str, kind: str, value: str) -> dict[str, Any]:
    """One status_events row as the parser hands it over."""
    return {
        "seq": seq,
        "on_date": on_date,
        "raw_date": on_date,
        "kind": kind,
        "status": value if kind == "status" else None,
        "comment": value if kind == "comment" else None,
    }


def parsed(
    rec_id: int,
    force: str,
    events: Sequence[dict[str, Any]],
    text: str,
    normalised: str,
    title: str = "PEEL inspection 2025",
    cause: str | None = None,
) -> ParsedRecord:
    statuses = [e for e in events if e["kind"] == "status"]
    latest = max(statuses, key=lambda e: (e["on_date"], e["seq"])) if statuses else None
    return ParsedRecord(
        page_kind="recommendation",
        normalised_sha256=normalised,
        row={
            "rec_id": rec_id,
            "force": force,
            "report_title": title,
            "rec_type": "Recommendation",
            "cause_of_concern": cause,
            "text": text,
            "current_status": latest["status"] if latest else None,
            "status_date": latest["on_date"] if latest else None,
            "has_404_banner": 0,
            "parse_warnings": "[]",
            "parser_version": "1",
        },
        events=tuple(events),
    )


def page(
    url: str,
    at: str,
    body: bytes | None = None,
    record: ParsedRecord | None = None,
    *,
    state: str = "live",
    http_status: int = 200,
    not_modified: bool = False,
    kind: str = "recommendation",
    events: tuple[str, ...] = (),
) -> PageResult:
    """A page visit with a single request, as scraper.observe decides it: the store is told
    the outcome (but for a body, which it versions) and the events."""
    rec_id = record.row["rec_id"] if record else None
    outcome = "not_modified" if not_modified else None if state == "live" else state
    return PageResult(
        url=url,
        kind=kind,
        observed_at=at,
        state=state,
        http_status=http_status,
        fetches=(FetchRow(url, at, http_status, url, 120, len(body or b""), None),),
        body=body,
        content_type=HTML if body is not None else None,
        parsed=record,
        not_modified=not_modified,
        rec_id=rec_id,
        force=record.row["force"] if record else None,
        outcome=outcome,
        events=events,
    )


A1_EVENTS = [
    event(0, "2026-01-10", "status", "awaiting-review"),
    event(1, "2026-02-01", "comment", "Work started on custody training."),
    event(2, "2026-03-01", "status", "being-progressed"),
    event(3, "2026-04-01", "comment", "Board review of the custody plan."),
    event(4, "2026-05-01", "comment", "Funding secured for new cells."),
    event(5, "2026-06-01", "status", "complete"),
]
# An edited past comment, a re-dated one, a deleted one and a regression appended.
A2_EVENTS = [
    event(0, "2026-01-10", "status", "awaiting-review"),
    event(1, "2026-02-01", "comment", "Work started on custody training in May."),
    event(2, "2026-03-01", "status", "being-progressed"),
    event(3, "2026-04-15", "comment", "Board review of the custody plan."),
    event(4, "2026-06-01", "status", "complete"),
    event(5, "2026-10-01", "status", "being-progressed"),
]
B_EVENTS = [
    event(0, "2026-02-01", "status", "being-progressed"),
    event(1, "2026-04-01", "comment", "Stop and search plan agreed with the board."),
]
C_EVENTS = [event(0, "2026-03-03", "status", "complete")]
D_EVENTS = [event(0, "2026-05-05", "status", "awaiting-review")]

A1 = parsed(101, "kent", A1_EVENTS, "The force should improve custody training.", "norm-a1")
A2 = parsed(
    101, "kent", A2_EVENTS, "The force should improve custody training and audit.", "norm-a2"
)
B1 = parsed(102, "essex", B_EVENTS, "The force should record stop and search.", "norm-b1")
C1 = parsed(103, "kent", C_EVENTS, "The force should review vetting.", "norm-c1")
D1 = parsed(104, "essex", D_EVENTS, "The force should publish its audit.", "norm-d1")

BODY_A1 = b"<html><p>A version one</p></html>"
BODY_A2 = b"<html><p>A version two</p></html>"
BODY_B1 = b"<html><p>B</p></html>"
BODY_C1 = b"<html><p>C</p><footer>generated 06:00</footer></html>"
BODY_C1_COSMETIC = b"<html><p>C</p>  <footer>generated 07:00</footer></html>"
BODY_D1 = "<html><p>D \u2013 caf\u00e9</p></html>".encode()


def sha(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def build_archive(path: str = ":memory:") -> Archive:
    """Three runs a week apart.

    Run 1 (T1): A, B, C, D new.
    Run 2 (T2): A changes (version 2); B identical bytes; C cosmetic change only; D gone 404.
    Run 3 (T3): A 304 not modified; B 404; C identical; D back with the same body.
    """
    clock = [T1]
    archive = Archive(path, now=lambda: clock[0])
    new, lost, back = ("appeared",), ("went_missing",), ("came_back",)
    visits = [
        (T1, [page(A, T1, BODY_A1, A1, events=new), page(B, T1, BODY_B1, B1, events=new)]
         + [page(C, T1, BODY_C1, C1, events=new), page(D, T1, BODY_D1, D1, events=new)]),
        (T2, [page(A, T2, BODY_A2, A2), page(B, T2, BODY_B1, B1)]
         + [page(C, T2, BODY_C1_COSMETIC, C1)]
         + [page(D, T2, state="not_found", http_status=404, events=lost)]),
        (T3, [page(A, T3, http_status=304, not_modified=True)]
         + [page(B, T3, state="not_found", http_status=404, events=lost)]
         + [page(C, T3, BODY_C1, C1), page(D, T3, BODY_D1, D1, events=back)]),
    ]  # fmt: skip
    for at, results in visits:
        clock[0] = at
        run_id = archive.start_run("crawl")
        for r in results:
            archive.record(run_id, r)
        archive.finish_run(run_id, "ok")
    return archive


@pytest.fixture
def archive() -> Archive:
    a = build_archive()
    yield a
    a.close()


def rows(archive: Archive, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    return list(archive.db.query(sql, list(params)))


SNAPSHOT_COLUMNS = """id, url, version, captured_at, last_seen_at, content_sha256,
    normalised_sha256, http_status, content_type, run_id"""


# version decisions ---------------------------------------------------------------------


def test_identical_bytes_add_no_version_and_move_last_seen(archive: Archive) -> None:
    assert rows(archive, f"SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE url = ?", [B]) == [
        {
            "id": 2,
            "url": B,
            "version": 1,
            "captured_at": T1,
            "last_seen_at": T2,
            "content_sha256": sha(BODY_B1),
            "normalised_sha256": "norm-b1",
            "http_status": 200,
            "content_type": HTML,
            "run_id": 1,
        }
    ]
    assert rows(
        archive,
        "SELECT run_id, requested_at, http_status, outcome, snapshot_id FROM fetches "
        "WHERE url = ? ORDER BY id",
        [B],
    ) == [
        {"run_id": 1, "requested_at": T1, "http_status": 200, "outcome": "new", "snapshot_id": 2},
        {
            "run_id": 2,
            "requested_at": T2,
            "http_status": 200,
            "outcome": "unchanged",
            "snapshot_id": 2,
        },
        {
            "run_id": 3,
            "requested_at": T3,
            "http_status": 404,
            "outcome": "not_found",
            "snapshot_id": None,
        },
    ]


def test_cosmetic_change_adds_no_version(archive: Archive) -> None:
    assert rows(archive, f"SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE url = ?", [C]) == [
        {
            "id": 3,
            "url": C,
            "version": 1,
            "captured_at": T1,
            "last_seen_at": T3,
            "content_sha256": sha(BODY_C1),
            "normalised_sha256": "norm-c1",
            "http_status": 200,
            "content_type": HTML,
            "run_id": 1,
        }
    ]
    # The stored body stays the first capture's bytes.
    assert archive.snapshot_body(3) == BODY_C1
    assert [
        r["outcome"] for r in rows(archive, "SELECT outcome FROM fetches WHERE url = ?", [C])
    ] == [
        "new",
        "unchanged",
        "unchanged",
    ]


def test_real_change_adds_a_version_with_its_log_changes(archive: Archive) -> None:
    assert rows(archive, f"SELECT {SNAPSHOT_COLUMNS} FROM snapshots WHERE url = ?", [A]) == [
        {
            "id": 1,
            "url": A,
            "version": 1,
            "captured_at": T1,
            "last_seen_at": T1,
            "content_sha256": sha(BODY_A1),
            "normalised_sha256": "norm-a1",
            "http_status": 200,
            "content_type": HTML,
            "run_id": 1,
        },
        {
            "id": 5,
            "url": A,
            "version": 2,
            "captured_at": T2,
            "last_seen_at": T3,
            "content_sha256": sha(BODY_A2),
            "normalised_sha256": "norm-a2",
            "http_status": 200,
            "content_type": HTML,
            "run_id": 2,
        },
    ]
    assert decompress(*archive.db.execute(
        "SELECT body, body_compression FROM snapshots WHERE id = 5"
    ).fetchone()) == BODY_A2  # fmt: skip
    assert rows(
        archive,
        "SELECT url, from_snapshot_id, to_snapshot_id, change, kind, on_date, before, after, "
        "before_date, after_date FROM log_changes ORDER BY id",
    ) == [
        {
            "url": A,
            "from_snapshot_id": 1,
            "to_snapshot_id": 5,
            "change": "edited",
            "kind": "comment",
            "on_date": "2026-02-01",
            "before": "Work started on custody training.",
            "after": "Work started on custody training in May.",
            "before_date": "2026-02-01",
            "after_date": "2026-02-01",
        },
        {
            "url": A,
            "from_snapshot_id": 1,
            "to_snapshot_id": 5,
            "change": "redated",
            "kind": "comment",
            "on_date": "2026-04-01",
            "before": "Board review of the custody plan.",
            "after": "Board review of the custody plan.",
            "before_date": "2026-04-01",
            "after_date": "2026-04-15",
        },
        {
            "url": A,
            "from_snapshot_id": 1,
            "to_snapshot_id": 5,
            "change": "removed",
            "kind": "comment",
            "on_date": "2026-05-01",
            "before": "Funding secured for new cells.",
            "after": None,
            "before_date": "2026-05-01",
            "after_date": None,
        },
        {
            "url": A,
            "from_snapshot_id": 1,
            "to_snapshot_id": 5,
            "change": "appended",
            "kind": "status",
            "on_date": "2026-10-01",
            "before": None,
            "after": "being-progressed",
            "before_date": None,
            "after_date": "2026-10-01",
        },
    ]


def test_runs_rows_count_what_was_decided(archive: Archive) -> None:
    assert rows(
        archive,
        "SELECT id, started_at, finished_at, status, pages_fetched, pages_new, pages_changed, "
        "pages_unchanged, pages_missing, errors, requests FROM runs ORDER BY id",
    ) == [
        {
            "id": 1,
            "started_at": T1,
            "finished_at": T1,
            "status": "ok",
            "pages_fetched": 4,
            "pages_new": 4,
            "pages_changed": 0,
            "pages_unchanged": 0,
            "pages_missing": 0,
            "errors": 0,
            "requests": 4,
        },
        {
            "id": 2,
            "started_at": T2,
            "finished_at": T2,
            "status": "ok",
            "pages_fetched": 4,
            "pages_new": 0,
            "pages_changed": 1,
            "pages_unchanged": 2,
            "pages_missing": 1,
            "errors": 0,
            "requests": 4,
        },
        {
            "id": 3,
            "started_at": T3,
            "finished_at": T3,
            "status": "ok",
            "pages_fetched": 4,
            "pages_new": 0,
            "pages_changed": 0,
            "pages_unchanged": 3,
            "pages_missing": 1,
            "errors": 0,
            "requests": 4,
        },
    ]


# views ------------------------------------------------------------------------------------


def test_recommendations_view(archive: Archive) -> None:
    assert rows(
        archive,
        "SELECT url, rec_id, force, text, current_status, status_date, version, snapshot_id, "
        "state, missing_since, captured_at, last_seen_at FROM recommendations ORDER BY rec_id",
    ) == [
        {
            "url": A,
            "rec_id": 101,
            "force": "kent",
            "text": "The force should improve custody training and audit.",
            "current_status": "being-progressed",
            "status_date": "2026-10-01",
            "version": 2,
            "snapshot_id": 5,
            "state": "live",
            "missing_since": None,
            "captured_at": T2,
            "last_seen_at": T3,
        },
        {
            "url": B,
            "rec_id": 102,
            "force": "essex",
            "text": "The force should record stop and search.",
            "current_status": "being-progressed",
            "status_date": "2026-02-01",
            "version": 1,
            "snapshot_id": 2,
            "state": "not_found",
            "missing_since": T3,
            "captured_at": T1,
            "last_seen_at": T2,
        },
        {
            "url": C,
            "rec_id": 103,
            "force": "kent",
            "text": "The force should review vetting.",
            "current_status": "complete",
            "status_date": "2026-03-03",
            "version": 1,
            "snapshot_id": 3,
            "state": "live",
            "missing_since": None,
            "captured_at": T1,
            "last_seen_at": T3,
        },
        {
            "url": D,
            "rec_id": 104,
            "force": "essex",
            "text": "The force should publish its audit.",
            "current_status": "awaiting-review",
            "status_date": "2026-05-05",
            "version": 1,
            "snapshot_id": 4,
            "state": "live",
            "missing_since": None,
            "captured_at": T1,
            "last_seen_at": T3,
        },
    ]


def test_status_changes_view_marks_the_regression(archive: Archive) -> None:
    assert rows(
        archive,
        "SELECT url, rec_id, on_date, from_status, to_status, is_regression FROM status_changes "
        "ORDER BY rec_id, on_date",
    ) == [
        {"url": A, "rec_id": 101, "on_date": "2026-01-10", "from_status": None,
         "to_status": "awaiting-review", "is_regression": 0},
        {"url": A, "rec_id": 101, "on_date": "2026-03-01", "from_status": "awaiting-review",
         "to_status": "being-progressed", "is_regression": 0},
        {"url": A, "rec_id": 101, "on_date": "2026-06-01", "from_status": "being-progressed",
         "to_status": "complete", "is_regression": 0},
        {"url": A, "rec_id": 101, "on_date": "2026-10-01", "from_status": "complete",
         "to_status": "being-progressed", "is_regression": 1},
        {"url": B, "rec_id": 102, "on_date": "2026-02-01", "from_status": None,
         "to_status": "being-progressed", "is_regression": 0},
        {"url": C, "rec_id": 103, "on_date": "2026-03-03", "from_status": None,
         "to_status": "complete", "is_regression": 0},
        {"url": D, "rec_id": 104, "on_date": "2026-05-05", "from_status": None,
         "to_status": "awaiting-review", "is_regression": 0},
    ]  # fmt: skip


def test_version_changes_view(archive: Archive) -> None:
    assert rows(archive, "SELECT * FROM version_changes") == [
        {
            "url": A,
            "rec_id": 101,
            "from_version": 1,
            "to_version": 2,
            "changed_at": T2,
            "from_snapshot_id": 1,
            "to_snapshot_id": 5,
            "status_before": "complete",
            "status_after": "being-progressed",
            "text_changed": 1,
            "appended": 1,
            "edited": 1,
            "removed": 1,
            "redated": 1,
            "force": "kent",
            "state": "live",
            "themes": "[]",
            "year": "2026",
        }
    ]


def test_missing_pages_view_and_page_events(archive: Archive) -> None:
    assert rows(archive, "SELECT * FROM missing_pages") == [
        {
            "url": B,
            "rec_id": 102,
            "kind": "recommendation",
            "state": "not_found",
            "missing_since": T3,
            "last_http_status": 404,
            "last_checked_at": T3,
            "last_snapshot_id": 2,
            "force": "essex",
            "last_known_status": "being-progressed",
            "report_title": "PEEL inspection 2025",
            "themes": "[]",
            "year": "2026",
        }
    ]
    # D went missing at T2 and came back at T3, so it has left missing_pages.
    assert rows(
        archive,
        "SELECT url, run_id, at, event, state_before, state_after, http_status FROM page_events "
        "ORDER BY id",
    ) == [
        {"url": A, "run_id": 1, "at": T1, "event": "appeared", "state_before": None,
         "state_after": "live", "http_status": 200},
        {"url": B, "run_id": 1, "at": T1, "event": "appeared", "state_before": None,
         "state_after": "live", "http_status": 200},
        {"url": C, "run_id": 1, "at": T1, "event": "appeared", "state_before": None,
         "state_after": "live", "http_status": 200},
        {"url": D, "run_id": 1, "at": T1, "event": "appeared", "state_before": None,
         "state_after": "live", "http_status": 200},
        {"url": D, "run_id": 2, "at": T2, "event": "went_missing", "state_before": "live",
         "state_after": "not_found", "http_status": 404},
        {"url": B, "run_id": 3, "at": T3, "event": "went_missing", "state_before": "live",
         "state_after": "not_found", "http_status": 404},
        {"url": D, "run_id": 3, "at": T3, "event": "came_back", "state_before": "not_found",
         "state_after": "live", "http_status": 200},
    ]  # fmt: skip


def test_rewritten_history_view(archive: Archive) -> None:
    assert rows(archive, "SELECT * FROM rewritten_history ORDER BY on_date") == [
        {
            "url": A,
            "rec_id": 101,
            "force": "kent",
            "current_status": "being-progressed",
            "state": "live",
            "themes": "[]",
            "year": "2026",
            "from_version": 1,
            "to_version": 2,
            "changed_at": T2,
            "on_date": "2026-02-01",
            "kind": "comment",
            "change": "edited",
            "before": "Work started on custody training.",
            "after": "Work started on custody training in May.",
            "before_date": "2026-02-01",
            "after_date": "2026-02-01",
        },
        {
            "url": A,
            "rec_id": 101,
            "force": "kent",
            "current_status": "being-progressed",
            "state": "live",
            "themes": "[]",
            "year": "2026",
            "from_version": 1,
            "to_version": 2,
            "changed_at": T2,
            "on_date": "2026-04-01",
            "kind": "comment",
            "change": "redated",
            "before": "Board review of the custody plan.",
            "after": "Board review of the custody plan.",
            "before_date": "2026-04-01",
            "after_date": "2026-04-15",
        },
        {
            "url": A,
            "rec_id": 101,
            "force": "kent",
            "current_status": "being-progressed",
            "state": "live",
            "themes": "[]",
            "year": "2026",
            "from_version": 1,
            "to_version": 2,
            "changed_at": T2,
            "on_date": "2026-05-01",
            "kind": "comment",
            "change": "removed",
            "before": "Funding secured for new cells.",
            "after": None,
            "before_date": "2026-05-01",
            "after_date": None,
        },
    ]


def test_log_entries_view_has_first_and_last_seen(archive: Archive) -> None:
    assert rows(
        archive,
        "SELECT url, seq, on_date, kind, status, comment, first_seen_at, last_seen_at "
        "FROM log_entries WHERE url = ? ORDER BY seq",
        [A],
    ) == [
        {"url": A, "seq": 0, "on_date": "2026-01-10", "kind": "status",
         "status": "awaiting-review", "comment": None, "first_seen_at": T1, "last_seen_at": T3},
        {"url": A, "seq": 1, "on_date": "2026-02-01", "kind": "comment", "status": None,
         "comment": "Work started on custody training in May.", "first_seen_at": T2,
         "last_seen_at": T3},
        {"url": A, "seq": 2, "on_date": "2026-03-01", "kind": "status",
         "status": "being-progressed", "comment": None, "first_seen_at": T1, "last_seen_at": T3},
        {"url": A, "seq": 3, "on_date": "2026-04-15", "kind": "comment", "status": None,
         "comment": "Board review of the custody plan.", "first_seen_at": T2,
         "last_seen_at": T3},
        {"url": A, "seq": 4, "on_date": "2026-06-01", "kind": "status", "status": "complete",
         "comment": None, "first_seen_at": T1, "last_seen_at": T3},
        {"url": A, "seq": 5, "on_date": "2026-10-01", "kind": "status",
         "status": "being-progressed", "comment": None, "first_seen_at": T2,
         "last_seen_at": T3},
    ]  # fmt: skip


# transactions -----------------------------------------------------------------------------


def test_record_is_one_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    archive = Archive(":memory:", now=lambda: T1)
    run_id = archive.start_run("crawl")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk on fire")

    # _write_parsed runs after the snapshot row is inserted.
    monkeypatch.setattr(archive, "_write_parsed", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        archive.record(run_id, page(A, T1, BODY_A1, A1))
    counts = {
        t: archive.db.execute(f"SELECT COUNT(*) FROM [{t}]").fetchone()[0]
        for t in ("pages", "snapshots", "fetches", "recommendation_versions", "status_events")
    }
    assert counts == {
        "pages": 0,
        "snapshots": 0,
        "fetches": 0,
        "recommendation_versions": 0,
        "status_events": 0,
    }
    monkeypatch.undo()
    assert archive.record(run_id, page(A, T1, BODY_A1, A1)) == "new"
    assert rows(archive, "SELECT id, url, version FROM snapshots") == [
        {"id": 1, "url": A, "version": 1}
    ]


# full-text search -------------------------------------------------------------------------


def fts_index(archive: Archive, table: str) -> list[tuple[Any, ...]]:
    archive.db.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.[{table}_vocab] "
        f"USING fts5vocab(main, [{table}], instance)"
    )
    return archive.db.execute(
        f"SELECT term, doc, col, offset FROM temp.[{table}_vocab] ORDER BY 1, 2, 3, 4"
    ).fetchall()


def fts_integrity(archive: Archive) -> None:
    """FTS5's integrity-check, and the index equal to one rebuilt from the content table.

    Before SQLite 3.44 integrity-check does not compare an external-content index with its
    table, so a stale entry left by a missed trigger shows only against a rebuild.
    """
    for table in ("recommendation_versions_fts", "status_events_fts"):
        archive.db.execute(f"INSERT INTO [{table}]([{table}]) VALUES('integrity-check')")
        index = fts_index(archive, table)
        with pytest.raises(RuntimeError), archive.db.atomic():
            archive.db.execute(f"INSERT INTO [{table}]([{table}]) VALUES('rebuild')")
            assert fts_index(archive, table) == index, f"{table} is out of step with its table"
            raise RuntimeError("roll the rebuild back")


def search(archive: Archive, q: str) -> dict[str, list[int]]:
    versions = rows(
        archive,
        """SELECT rv.snapshot_id FROM recommendation_versions_fts f
           JOIN recommendation_versions rv ON rv.rowid = f.rowid
           WHERE recommendation_versions_fts MATCH ? ORDER BY rv.snapshot_id""",
        [q],
    )
    comments = rows(
        archive,
        """SELECT e.snapshot_id, e.seq FROM status_events_fts f
           JOIN status_events e ON e.rowid = f.rowid
           WHERE status_events_fts MATCH ? ORDER BY e.snapshot_id, e.seq""",
        [q],
    )
    return {
        "versions": [r["snapshot_id"] for r in versions],
        "comments": [(r["snapshot_id"], r["seq"]) for r in comments],
    }


def test_fts_stays_sound_through_writes_and_replace_parsed(archive: Archive) -> None:
    fts_integrity(archive)
    # porter stemming: "audits" finds "audit"
    assert search(archive, "audits") == {"versions": [4, 5], "comments": []}
    assert search(archive, "custody") == {
        "versions": [1, 5],
        "comments": [(1, 1), (1, 3), (5, 1), (5, 3)],
    }
    replaced = parsed(
        101,
        "kent",
        [*A2_EVENTS[:1], event(1, "2026-02-01", "comment", "Vetting backlog cleared.")],
        "The force should overhaul vetting.",
        "norm-a2-reparsed",
    )
    archive.replace_parsed(5, A, replaced)
    fts_integrity(archive)
    assert search(archive, "custody") == {"versions": [1], "comments": [(1, 1), (1, 3)]}
    assert search(archive, "vetting") == {"versions": [3, 5], "comments": [(5, 1)]}
    # The re-parse redid version 2's log diff against version 1.
    assert rows(
        archive,
        "SELECT change, kind, on_date FROM log_changes WHERE to_snapshot_id = 5 ORDER BY id",
    ) == [
        {"change": "edited", "kind": "comment", "on_date": "2026-02-01"},
        {"change": "removed", "kind": "status", "on_date": "2026-03-01"},
        {"change": "removed", "kind": "comment", "on_date": "2026-04-01"},
        {"change": "removed", "kind": "comment", "on_date": "2026-05-01"},
        {"change": "removed", "kind": "status", "on_date": "2026-06-01"},
    ]
    assert rows(archive, "SELECT current_status, page_kind FROM pages WHERE url = ?", [A]) == [
        {"current_status": "awaiting-review", "page_kind": "recommendation"}
    ]


# scheduling -------------------------------------------------------------------------------

CLOSED = ("complete", "no-further-action-needed")


def test_due_pages_order_and_intervals() -> None:
    archive = Archive(":memory:", now=lambda: T1)
    run_id = archive.start_run("crawl")
    open_rec = parsed(1, "kent", [event(0, "2026-01-01", "status", "being-progressed")], "o", "o")
    closed_rec = parsed(2, "kent", [event(0, "2026-01-01", "status", "complete")], "c", "c")
    archive.record(run_id, page(f"{BASE}/open/", "2026-11-01T00:00:00.000Z", b"o", open_rec))
    archive.record(run_id, page(f"{BASE}/closed/", "2026-10-31T00:00:00.000Z", b"c", closed_rec))
    # An id that never existed: the slow lane, like a closed page.
    archive.record(
        run_id,
        page(f"{BASE}/never/", "2026-10-30T00:00:00.000Z", state="not_found", http_status=404),
    )
    # A page that went missing after it was captured stays in the open lane.
    archive.record(run_id, page(f"{BASE}/lost/", "2026-10-29T00:00:00.000Z", b"l", open_rec))
    archive.record(
        run_id, page(f"{BASE}/lost/", "2026-10-31T12:00:00.000Z", state="gone", http_status=410)
    )
    archive.record(
        run_id,
        page(f"{BASE}/sitemap.xml", "2026-10-01T00:00:00.000Z", b"<x/>", kind="sitemap"),
    )
    archive.note_pages([Discovered(f"{BASE}/unvisited/", "recommendation", 9, "kent")])

    def due(now: str, kinds: Sequence[str] = ("recommendation",)) -> list[str]:
        moment = datetime.fromisoformat(now.replace("Z", "+00:00")).astimezone(UTC)
        return [
            u.removeprefix(f"{BASE}/")
            for u in archive.due_pages(moment, 24, 168, CLOSED, kinds=kinds)
        ]

    # Exactly 24 hours after the open page's check it is due: the interval is closed.
    assert due("2026-11-02T00:00:00.000Z") == ["unvisited/", "lost/", "open/"]
    assert due("2026-11-01T23:59:59.000Z") == ["unvisited/", "lost/"]
    # A week after the closed page's check both slow-lane pages are due, oldest first.
    assert due("2026-11-07T00:00:00.000Z") == ["unvisited/", "never/", "closed/", "lost/", "open/"]
    assert due("2026-11-06T23:59:59.000Z") == ["unvisited/", "never/", "lost/", "open/"]
    assert due("2026-11-02T00:00:00.000Z", kinds=("sitemap",)) == ["sitemap.xml"]


def test_the_rotation_is_paced_from_the_last_crawl_that_got_through() -> None:
    day = [1]
    archive = Archive(":memory:", now=lambda: f"2026-11-0{day[0]}T02:00:00.000Z")
    first = archive.start_run("crawl")  # 1 November
    archive.finish_run(first, "partial", "request budget spent")
    day[0] = 2
    failed = archive.start_run("crawl")
    archive.finish_run(failed, "failed", "site unreachable")
    day[0] = 3
    backfill = archive.start_run("backfill ids:1-9")
    archive.finish_run(backfill, "ok")
    day[0] = 4
    tonight = archive.start_run("crawl")
    # A failed crawl rotated nothing, and a backfill is no crawl: the pace runs from the 1st.
    assert archive.previous_crawl_started(tonight) == "2026-11-01T02:00:00.000Z"
    assert archive.previous_crawl_started(first) is None
    assert archive.recommendation_page_count() == 0
    archive.note_pages([Discovered(f"{BASE}/a/", "recommendation", 1, "kent")])
    assert archive.recommendation_page_count() == 1


# reports and missing-page rules -----------------------------------------------------------


def test_changes_since_lists_only_recommendations_as_changed() -> None:
    from store import reports

    archive = Archive(":memory:", now=lambda: T1)
    run_id = archive.start_run("crawl")
    listing = "https://www.justiceinspectorates.gov.uk/hmicfrs/?recommendation-theme=harm"
    archive.record(run_id, page(listing, T1, b"<ul><li>1</li></ul>", kind="listing"))
    archive.record(run_id, page(listing, T2, b"<ul><li>1</li><li>2</li></ul>", kind="listing"))
    archive.record(run_id, page(A, T1, BODY_A1, A1))
    archive.record(run_id, page(A, T2, BODY_A2, A2))
    assert [
        (r["url"], r["to_version"]) for r in reports.changes_since(archive.db, T1)["changed"]
    ] == [(A, 2)]
