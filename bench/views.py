"""The researcher views at scale: how long each view (and each query the recommendation page
runs) takes over a synthetic archive of N recommendations, beside a plain read of the same
rows from the tables (the baseline: the least any view over them could cost).

`python bench/views.py [N]` prints JSON; `python -m bench --only views` puts it in the table.
The archive is written with plain SQL (no crawl): N recommendation pages with two versions
and six log entries each, every fifth a national recommendation filed under 43 forces, and
eight theme listings of 60 pages showing 40 entries each.
"""

from __future__ import annotations

import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store import derived  # noqa: E402
from store.archive import Archive  # noqa: E402

THEMES = ("harm", "audit", "vetting", "training", "plan", "stop-search", "cautions", "abe")
BASELINE = """SELECT p.url, rv.*, s.version, s.captured_at FROM pages p
              JOIN snapshots s ON s.id = p.current_snapshot_id
              JOIN recommendation_versions rv ON rv.snapshot_id = s.id"""
QUERIES = {
    "recommendations (all rows)": "SELECT * FROM recommendations",
    "status_changes where is_regression = '1'": (
        "SELECT * FROM status_changes WHERE is_regression = '1'"
    ),
    "version_changes (all rows)": "SELECT * FROM version_changes",
    "recommendation_groups (all rows)": "SELECT * FROM recommendation_groups",
    # What the recommendation page reads to find a recommendation's copies at other forces.
    "recommendation_group_members (all rows)": """
        SELECT group_key, rec_id, force, current_status, status_date, state, url
        FROM recommendation_group_members ORDER BY force, rec_id""",
    "themes facet on recommendations": """
        SELECT j.value, count(*) FROM recommendations r, json_each(r.themes) j
        GROUP BY j.value""",
}


def build(path: str, n: int) -> None:
    Archive(path).close()
    conn = sqlite3.connect(path)
    rng = random.Random(1)
    snapshots, versions, events, pages = [], [], [], []
    sid = 0
    for i in range(n):
        force = f"force-{i % 43}"
        url = f"https://x/hmicfrs/recommendation/{force}/{i}/"
        if i % 5 == 0:
            text = f"All forces should review item {i // 43}."
        else:
            text = f"The force should do thing {i} now, with care and attention. " * 3
        for v in (1, 2):
            sid += 1
            at = f"2026-0{v}-01T00:00:00.000Z"
            snapshots.append((sid, url, v, at, at, "h", "n", b"x", "zlib", 200))
            status = "complete" if v == 2 else "awaiting-review"
            versions.append((sid, url, i, force, "Report", "Recommendation", text, status,
                             "2026-01-01", "recommendation", "1"))  # fmt: skip
            for q in range(6):
                kind = "status" if q % 2 == 0 else "comment"
                events.append((sid, q, f"2025-0{q + 1}-01", kind,
                               "awaiting-review" if kind == "status" else None,
                               None if kind == "status" else "A comment on progress."))  # fmt: skip
        pages.append((url, "recommendation", i, force, "live", "2026-01-01", sid))
    conn.executemany(
        """INSERT INTO snapshots (id, url, version, captured_at, last_seen_at, content_sha256,
               normalised_sha256, body, body_compression, http_status)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        snapshots,
    )
    conn.executemany(
        """INSERT INTO recommendation_versions (snapshot_id, url, rec_id, force, report_title,
               rec_type, text, current_status, status_date, page_kind, parser_version)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        versions,
    )
    conn.executemany(
        """INSERT INTO status_events (snapshot_id, seq, on_date, kind, status, comment)
           VALUES (?, ?, ?, ?, ?, ?)""",
        events,
    )
    conn.executemany(
        """INSERT INTO pages (url, kind, rec_id, force, state, first_seen_at,
               current_snapshot_id) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        pages,
    )
    conn.execute("INSERT INTO listing_entry_contents (content_sha256) VALUES ('c')")
    for theme in THEMES:
        for n_page in range(60):
            sid += 1
            url = f"https://x/hmicfrs/?recommendation-theme={theme}&paged={n_page}"
            conn.execute(
                """INSERT INTO snapshots (id, url, version, captured_at, last_seen_at,
                       content_sha256, body, http_status)
                   VALUES (?, ?, 1, '2026-01-01', '2026-01-01', 'h', x'00', 200)""",
                [sid, url],
            )
            conn.execute(
                """INSERT INTO pages (url, kind, state, first_seen_at, current_snapshot_id)
                   VALUES (?, 'listing', 'live', '2026-01-01', ?)""",
                [url, sid],
            )
            conn.executemany(
                """INSERT INTO listing_entry_rows (snapshot_id, seq, listing_url, rec_id,
                       content_sha256, parser_version) VALUES (?, ?, ?, ?, 'c', '1')""",
                [(sid, k, url, rng.randrange(n)) for k in range(40)],
            )
    conn.commit()
    conn.close()
    # Written with plain SQL: the derived tables the views read are rebuilt as m011 would.
    archive = Archive(path)
    with archive.db.atomic():
        derived.rebuild(archive.db)
    archive.close()


def _time(conn: sqlite3.Connection, sql: str, repeat: int = 3) -> tuple[float, int]:
    best, count = float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = len(conn.execute(sql).fetchall())
        best = min(best, time.perf_counter() - start)
    return best, count


def run(n: int = 10_000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "views.sqlite")
        build(path, n)
        conn = sqlite3.connect(path)
        baseline, rows = _time(conn, BASELINE)
        result: dict[str, Any] = {"recommendations": n, "baseline_seconds": baseline}
        result["queries"] = {}
        for name, sql in QUERIES.items():
            seconds, count = _time(conn, sql)
            result["queries"][name] = {"seconds": seconds, "rows": count}
        conn.close()
    assert rows == n
    return result


if __name__ == "__main__":
    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)))
