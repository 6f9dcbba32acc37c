"""Figures read back from an archive database after a run: pages, bytes, size, timings."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from store.archive import parse_time


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=30)


def database_bytes(path: Path) -> int:
    """The database's size once its WAL is folded in: page_count * page_size."""
    conn = _connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        size = conn.execute("PRAGMA page_size").fetchone()[0]
        return int(pages * size)
    finally:
        conn.close()


def last_run_id(path: Path) -> int:
    conn = _connect(path)
    try:
        return int(conn.execute("SELECT max(id) FROM runs").fetchone()[0])
    finally:
        conn.close()


def run_figures(path: Path, run_id: int) -> dict[str, Any]:
    """What one run fetched: pages by kind, requests, bytes, outcomes, page-phase timing."""
    conn = _connect(path)
    try:
        by_kind = dict(
            conn.execute(
                """SELECT p.kind, count(DISTINCT f.url) FROM fetches f
                   JOIN pages p ON p.url = f.url WHERE f.run_id = ? GROUP BY p.kind""",
                [run_id],
            ).fetchall()
        )
        requests, received = conn.execute(
            "SELECT count(*), coalesce(sum(bytes), 0) FROM fetches WHERE run_id = ?", [run_id]
        ).fetchone()
        outcomes = dict(
            conn.execute(
                "SELECT outcome, count(*) FROM fetches WHERE run_id = ? GROUP BY outcome",
                [run_id],
            ).fetchall()
        )
        first, last_start, last_elapsed = None, None, 0
        rows = conn.execute(
            """SELECT f.requested_at, f.elapsed_ms FROM fetches f
               JOIN pages p ON p.url = f.url
               WHERE f.run_id = ? AND p.kind = 'recommendation' ORDER BY f.requested_at""",
            [run_id],
        ).fetchall()
        if rows:
            first = parse_time(rows[0][0])
            last_start = parse_time(rows[-1][0])
            last_elapsed = rows[-1][1] or 0
        versions = conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    finally:
        conn.close()
    phase = None
    if first is not None and last_start is not None:
        phase = (last_start - first).total_seconds() + last_elapsed / 1000
    return {
        "pages_by_kind": by_kind,
        "recommendation_pages": by_kind.get("recommendation", 0),
        "pages": sum(by_kind.values()),
        "requests": requests,
        "bytes_received": received,
        "outcomes": outcomes,
        # From the first recommendation request's start to the last one's end.
        "page_phase_seconds": phase,
        "versions_in_database": versions,
    }


def fetched_paths(path: Path, run_id: int) -> list[tuple[str, str]]:
    """(page kind, path and query) of every request a run sent, in the order it sent them
    (the URLs robots.txt forbade were never sent and are left out)."""
    conn = _connect(path)
    try:
        rows = conn.execute(
            """SELECT coalesce(p.kind, 'other'), f.url FROM fetches f
               LEFT JOIN pages p ON p.url = f.url
               WHERE f.run_id = ? AND f.outcome IS NOT 'robots_disallowed' ORDER BY f.id""",
            [run_id],
        ).fetchall()
    finally:
        conn.close()
    out = []
    for kind, url in rows:
        parts = urlsplit(url)
        out.append((kind, (parts.path or "/") + (f"?{parts.query}" if parts.query else "")))
    return out
