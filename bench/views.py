"""The researcher views at scale: how long each view (and each query the recommendation page
runs) takes over a synthetic archive of N recommendations, beside a plain read of the same
rows from the tables (the baseline: the least any view over them could cost).

`python bench/views.py [N]` prints JSON; `python -m bench --only views` puts it in the table.
The archive is store/synthetic.py's (the one bench/datasette_pages.py times through
Datasette), written by bulk insert with no crawl: N recommendation pages under 43 forces with
three versions each and growing logs (every tenth going backwards: a regression), every fifth
a national recommendation filed under every force, every 50th page missing now, and theme
listings.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from store import synthetic  # noqa: E402

BASELINE = """SELECT p.url, rv.*, s.version, s.captured_at FROM pages p
              JOIN snapshots s ON s.id = p.current_snapshot_id
              JOIN recommendation_versions rv ON rv.snapshot_id = s.id"""
QUERIES = {
    "recommendations (all rows)": "SELECT * FROM recommendations",
    "status_changes where is_regression = 1": (
        "SELECT * FROM status_changes WHERE is_regression = 1"
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
        synthetic.build(path, n)
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
