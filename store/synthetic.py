"""A synthetic archive of any size, written by bulk insert, for the benches (bench/synthetic.py).

Shaped like a real one: N recommendation pages under 43 forces with several versions each, a
status log that grows version by version (every tenth goes backwards: a regression), log
changes between versions (every 25th rewrites an entry), every fifth a national
recommendation filed under every force, every 50th page missing now, theme listings, and a
fetch per visit. Derived tables are then rebuilt as a migration would, so the views read as
they would after a crawl. Never used by the crawl; a test builds a small one.
"""

from __future__ import annotations

import json
import random
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store import derived
from store.archive import Archive, format_time

__all__ = ["build"]

THEMES = ("harm", "audit", "vetting", "training", "plan", "stop-search", "cautions", "abe")
STATUSES = ("awaiting-review", "being-progressed", "complete")
BASE = "https://synthetic.test/hmicfrs/recommendation"


def _body(rng: random.Random, url: str, version: int, text: str) -> bytes:
    words = " ".join(rng.choice(("audit", "plan", "force", "review", "custody")) for _ in range(80))
    html = f"<html><body><h1>{url}</h1><p>{text}</p><p>{words}</p><p>v{version}</p></body></html>"
    return zlib.compress(html.encode("utf-8"), 6)


def build(path: str | Path, n: int, versions: int = 3, now: datetime | None = None) -> dict:
    """Write an archive of n recommendations with `versions` versions each at path (a new
    file); returns counts."""
    now = now or datetime.now(UTC)
    Archive(path).close()
    archive = Archive(path)
    db = archive.db
    rng = random.Random(17)
    snapshots, rvs, events, changes, pages, fetches, page_events = [], [], [], [], [], [], []
    sid = 0
    for i in range(n):
        force = f"force-{i % 43}"
        url = f"{BASE}/{force}/{i}/"
        if i % 5 == 0:
            text = f"All forces should review item {i // 215} with care."
        else:
            text = f"The force should do thing {i} now, with care and attention to detail."
        missing = i % 50 == 49
        previous = None
        for v in range(1, versions + 1):
            sid += 1
            # The last version of each is recent (the recent-changes query finds some).
            age = (versions - v) * 30 + i % 30
            at = format_time(now - timedelta(days=age, minutes=i % 1440))
            seen = format_time(now - timedelta(days=max(0, age - 1)))
            body = _body(rng, url, v, text)
            snapshots.append((sid, url, v, at, seen, f"{sid:064x}", f"n{sid}", body, 200))
            log = []
            for q in range(2 * v):
                kind = "status" if q % 2 == 0 else "comment"
                status = STATUSES[min(q // 2, 2)] if kind == "status" else None
                if kind == "status" and i % 10 == 3 and q == 2 * v - 2 and v > 1:
                    # One rank below the entry before it: a regression (none from the first).
                    status = STATUSES[max(0, min((q - 2) // 2, 2) - 1)]
                comment = f"Progress note {q} on item {i}." if kind == "comment" else None
                on = f"2025-{q % 12 + 1:02d}-{v + 10:02d}"
                log.append((sid, q, on, on, kind, status, comment))
            events += log
            current = next((e[5] for e in reversed(log) if e[4] == "status"), None)
            rvs.append(
                (sid, url, i, force, f"Inspection report {i % 300}", "Recommendation", text,
                 current, log[-1][2], "recommendation", "synthetic-1")
            )  # fmt: skip
            if previous is not None:
                for q in range(2 * (v - 1), 2 * v):
                    changes.append((url, previous, sid, "appended", log[q][4], log[q][2]))
                if i % 25 == 7:
                    changes.append((url, previous, sid, "edited", "comment", log[1][2]))
            fetches.append((url, at, 200, "new" if v == 1 else "changed", sid))
            previous = sid
        last = format_time(now - timedelta(days=1))
        outcome = "not_found" if missing else "unchanged"
        fetches.append((url, last, 404 if missing else 200, outcome, None if missing else sid))
        state = "not_found" if missing else "live"
        first = snapshots[-versions][3]
        status = 404 if missing else 200
        since = last if missing else None
        pages.append((url, "recommendation", i, force, state, first, last, status, since, sid,
                      current))  # fmt: skip
        if missing:
            page_events.append((url, last, "went_missing", "live", "not_found", 404))
    with db.atomic():
        db.conn.executemany(
            """INSERT INTO snapshots (id, url, version, captured_at, last_seen_at,
                   content_sha256, normalised_sha256, body, http_status)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            snapshots,
        )
        db.conn.executemany(
            """INSERT INTO recommendation_versions (snapshot_id, url, rec_id, force,
                   report_title, rec_type, text, current_status, status_date, page_kind,
                   parser_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rvs,
        )
        db.conn.executemany(
            """INSERT INTO status_events (snapshot_id, seq, on_date, raw_date, kind, status,
                   comment) VALUES (?, ?, ?, ?, ?, ?, ?)""",
            events,
        )
        db.conn.executemany(
            """INSERT INTO log_changes (url, from_snapshot_id, to_snapshot_id, change, kind,
                   on_date) VALUES (?, ?, ?, ?, ?, ?)""",
            changes,
        )
        db.conn.executemany(
            """INSERT INTO pages (url, kind, rec_id, force, state, first_seen_at,
                   last_checked_at, last_http_status, missing_since, current_snapshot_id,
                   current_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            pages,
        )
        db.conn.executemany(
            """INSERT INTO fetches (url, requested_at, http_status, outcome, snapshot_id)
               VALUES (?, ?, ?, ?, ?)""",
            fetches,
        )
        db.conn.executemany(
            """INSERT INTO page_events (url, at, event, state_before, state_after, http_status)
               VALUES (?, ?, ?, ?, ?, ?)""",
            page_events,
        )
        db.execute("INSERT INTO listing_entry_contents (content_sha256) VALUES ('synthetic')")
        listing_pages = max(1, n // 400)
        for theme in THEMES:
            for k in range(listing_pages):
                sid += 1
                url = f"https://synthetic.test/hmicfrs/?recommendation-theme={theme}&paged={k}"
                at = format_time(now - timedelta(days=2))
                db.execute(
                    """INSERT INTO snapshots (id, url, version, captured_at, last_seen_at,
                           content_sha256, body, http_status)
                       VALUES (?, ?, 1, ?, ?, ?, ?, 200)""",
                    [sid, url, at, at, f"{sid:064x}", zlib.compress(url.encode())],
                )
                db.execute(
                    """INSERT INTO pages (url, kind, state, first_seen_at, current_snapshot_id)
                       VALUES (?, 'listing', 'live', ?, ?)""",
                    [url, at, sid],
                )
                db.conn.executemany(
                    """INSERT INTO listing_entry_rows (snapshot_id, seq, listing_url, rec_id,
                           content_sha256, parser_version)
                       VALUES (?, ?, ?, ?, 'synthetic', 'synthetic-1')""",
                    [(sid, q, url, rng.randrange(n)) for q in range(40)],
                )
    # Its own transaction, as m011 runs it: read from committed pages, not a WAL of them all.
    with db.atomic():
        derived.rebuild(db)
    counts = {
        "recommendations": n,
        "snapshots": sid,
        "status_events": len(events),
        "log_changes": len(changes),
    }
    archive.close()
    return counts


def add_signals(path: str | Path, walk_at: datetime, per_listing: int = 10) -> dict:
    """Make a built archive look as it does when a nightly crawl plans (bench/plan_memory.py):
    every recommendation page named by a sitemap with an unmoved <lastmod> in the walk begun
    `walk_at`, and shown by a listing page checked in that walk, `per_listing` entries a page,
    each entry showing its page as archived (text, status, log). Returns counts."""
    archive = Archive(path)
    db = archive.db
    walk = format_time(walk_at)
    sitemap = "https://synthetic.test/wp-sitemap-posts-recommendation-1.xml"
    lastmod = "2025-06-01T00:00:00+00:00"
    with db.atomic():
        db.execute(
            """UPDATE pages SET sitemap_source = ?, sitemap_lastmod = ?, checked_lastmod = ?,
                   last_in_sitemap_at = ?, listing_source = ?, last_listed_at = ?
               WHERE kind = 'recommendation'""",
            [sitemap, lastmod, lastmod, walk, "https://synthetic.test/hmicfrs/recommendations/",
             walk],
        )  # fmt: skip
        rows = db.execute(
            """SELECT p.url, p.rec_id, rv.text, rv.current_status, rv.status_date,
                      p.current_snapshot_id
               FROM pages p JOIN recommendation_versions rv
                 ON rv.snapshot_id = p.current_snapshot_id
               WHERE p.kind = 'recommendation' AND p.state = 'live' ORDER BY p.rec_id"""
        ).fetchall()
        sid = db.execute("SELECT MAX(id) FROM snapshots").fetchone()[0]
        listing_pages = 0
        for start in range(0, len(rows), per_listing):
            sid += 1
            listing_pages += 1
            url = f"https://synthetic.test/hmicfrs/recommendations/?paged={listing_pages}"
            db.execute(
                """INSERT INTO snapshots (id, url, version, captured_at, last_seen_at,
                       content_sha256, body, http_status) VALUES (?, ?, 1, ?, ?, ?, ?, 200)""",
                [sid, url, walk, walk, f"{sid:064x}", zlib.compress(url.encode())],
            )
            db.execute(
                """INSERT INTO pages (url, kind, state, first_seen_at, last_checked_at,
                       current_snapshot_id) VALUES (?, 'listing', 'live', ?, ?, ?)""",
                [url, walk, walk, sid],
            )
            for seq, (rec_url, rec_id, text, status, date, snapshot) in enumerate(
                rows[start : start + per_listing]
            ):
                log = json.dumps(
                    [
                        {"on_date": on, "kind": kind, "status": st, "comment": comment}
                        for on, kind, st, comment in db.execute(
                            """SELECT on_date, kind, status, comment FROM status_events
                               WHERE snapshot_id = ? ORDER BY seq""",
                            [snapshot],
                        )
                    ]
                )
                sha = f"entry-{rec_id}-{snapshot}"
                db.execute(
                    """INSERT INTO listing_entry_contents (content_sha256, text,
                           current_status, status_date, log) VALUES (?, ?, ?, ?, ?)""",
                    [sha, text, status, date, log],
                )
                db.execute(
                    """INSERT INTO listing_entry_rows (snapshot_id, seq, listing_url, rec_id,
                           url, content_sha256, parser_version)
                       VALUES (?, ?, ?, ?, ?, ?, 'synthetic-1')""",
                    [sid, seq, url, rec_id, rec_url, sha],
                )
    archive.close()
    return {"listing_pages": listing_pages, "entries": len(rows)}
