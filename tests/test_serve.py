"""Datasette on the archive: metadata, canned queries and full-text search through its client."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from store.archive import Archive
from store.serve import make_datasette
from tests.test_store import (
    BASE,
    BODY_D1,
    T1,
    T2,
    T3,
    A,
    B,
    C,
    D,
    build_archive,
    event,
    page,
    parsed,
)


@pytest.fixture
def db_path(tmp_path: Path) -> str:
    path = tmp_path / "archive.db"
    build_archive(str(path)).close()
    return str(path)


def get_json(ds: Any, *paths: str) -> list[Any]:
    async def fetch() -> list[Any]:
        out = []
        for p in paths:
            response = await ds.client.get(p)
            assert response.status_code == 200, (p, response.text)
            out.append(response.json())
        return out

    return asyncio.run(fetch())


def test_metadata(db_path: str) -> None:
    ds = make_datasette(db_path)
    (metadata,) = get_json(ds, "/-/metadata.json")
    assert {k: v for k, v in metadata.items() if k != "databases"} == {
        "title": "HMICFRS recommendations archive",
        "description": (
            "Every published HMICFRS recommendation and its status log, captured again and "
            "again: what the site said on each day, what changed, and where it rewrote its own "
            "past. Times are ISO 8601 UTC; log dates are the dates the site states (YYYY-MM-DD)."
        ),
        "source": "HM Inspectorate of Constabulary and Fire & Rescue Services (HMICFRS)",
        "source_url": "https://www.justiceinspectorates.gov.uk/hmicfrs/",
        "license": "Open Government Licence v3.0",
        "license_url": (
            "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
        ),
        "about": "hmicfrs-archive",
        "about_url": "https://github.com/hmicfrs-archive/hmicfrs-archive",
    }
    assert list(metadata["databases"]) == ["archive"]
    database = metadata["databases"]["archive"]
    # No canned query shares a view's name (it would hide the view's filters and facets).
    assert sorted(database["queries"]) == [
        "changed_between",
        "current_status_by_force",
        "recent_changes",
        "regressions",
        "search",
    ]
    assert [q for q, spec in database["queries"].items() if not spec.get("hide_sql")] == []


def test_every_table_and_view_is_described(db_path: str) -> None:
    ds = make_datasette(db_path)
    (metadata, info) = get_json(ds, "/-/metadata.json", "/archive.json")
    tables = metadata["databases"]["archive"]["tables"]
    archive = Archive(db_path)
    names = archive.db.table_names() + archive.db.view_names()
    archive.close()
    undescribed = [n for n in names if not tables.get(n, {}).get("description")]
    assert undescribed == [n for n in names if n.startswith("_") or "_fts" in n]
    internal = ("_sqlite_migrations", "job_items", "listing_entry_rows", "listing_entry_contents",
                "derived_recommendations", "derived_status_changes", "derived_version_changes",
                "theme_links", "derived_groups")  # fmt: skip
    assert sorted(t["name"] for t in info["tables"] if t["hidden"]) == sorted(
        n for n in archive_tables(db_path) if "_fts" in n or n in internal
    )
    assert sorted(v["name"] for v in info["views"]) == [
        "latest_versions",
        "listed_recommendations",
        "listing_entries",
        "log_entries",
        "missing_pages",
        "recommendation_group_members",
        "recommendation_groups",
        "recommendation_themes",
        "recommendations",
        "rewritten_history",
        "status_changes",
        "version_changes",
        "versions",
    ]


def archive_tables(db_path: str) -> list[str]:
    archive = Archive(db_path)
    try:
        return archive.db.table_names()
    finally:
        archive.close()


def test_canned_queries(db_path: str) -> None:
    ds = make_datasette(db_path)
    by_force, changes, regressions, rewritten, missing = get_json(
        ds,
        "/archive/current_status_by_force.json?_shape=array",
        "/archive/recent_changes.json?_shape=array&since=2026-11-08",
        "/archive/regressions.json?_shape=array",
        # The views themselves: no canned query of the same name hides them.
        "/archive/rewritten_history.json?_shape=array&_sort=on_date",
        "/archive/missing_pages.json?_shape=array&state=not_found",
    )
    assert by_force == [
        {"force": "essex", "current_status": "awaiting-review", "recommendations": 1,
         "live": 1, "missing": 0},
        {"force": "essex", "current_status": "being-progressed", "recommendations": 1,
         "live": 0, "missing": 1},
        {"force": "kent", "current_status": "being-progressed", "recommendations": 1,
         "live": 1, "missing": 0},
        {"force": "kent", "current_status": "complete", "recommendations": 1, "live": 1,
         "missing": 0},
    ]  # fmt: skip
    assert changes == [
        {"at": T3, "change": "went_missing", "url": B, "rec_id": 102, "force": "essex",
         "from_version": None, "to_version": None, "status_before": "live",
         "status_after": "not_found", "detail": "HTTP 404"},
        {"at": T3, "change": "came_back", "url": D, "rec_id": 104, "force": "essex",
         "from_version": None, "to_version": None, "status_before": "not_found",
         "status_after": "live", "detail": "HTTP 200"},
        {"at": T2, "change": "went_missing", "url": D, "rec_id": 104, "force": "essex",
         "from_version": None, "to_version": None, "status_before": "live",
         "status_after": "not_found", "detail": "HTTP 404"},
        {"at": T2, "change": "changed", "url": A, "rec_id": 101, "force": "kent",
         "from_version": 1, "to_version": 2, "status_before": "complete",
         "status_after": "being-progressed",
         "detail": "+1 appended, 1 edited, 1 removed, 1 redated, text changed"},
    ]  # fmt: skip
    assert regressions == [
        {"url": A, "rec_id": 101, "force": "kent", "on_date": "2026-10-01",
         "from_status": "complete", "to_status": "being-progressed", "first_seen_at": T2,
         "current_status": "being-progressed", "state": "live",
         "report_title": "PEEL inspection 2025"},
    ]  # fmt: skip
    common = {"changed_at": T2, "url": A, "rec_id": 101, "force": "kent", "from_version": 1,
              "to_version": 2, "kind": "comment", "current_status": "being-progressed",
              "state": "live", "themes": "[]", "year": "2026"}  # fmt: skip
    assert rewritten == [
        {**common, "change": "edited", "on_date": "2026-02-01",
         "before": "Work started on custody training.",
         "after": "Work started on custody training in May.",
         "before_date": "2026-02-01", "after_date": "2026-02-01"},
        {**common, "change": "redated", "on_date": "2026-04-01",
         "before": "Board review of the custody plan.",
         "after": "Board review of the custody plan.",
         "before_date": "2026-04-01", "after_date": "2026-04-15"},
        {**common, "change": "removed", "on_date": "2026-05-01",
         "before": "Funding secured for new cells.", "after": None,
         "before_date": "2026-05-01", "after_date": None},
    ]  # fmt: skip
    assert missing == [
        {"url": B, "rec_id": 102, "kind": "recommendation", "state": "not_found",
         "missing_since": T3, "last_http_status": 404, "last_checked_at": T3,
         "force": "essex", "report_title": "PEEL inspection 2025",
         "last_known_status": "being-progressed", "last_snapshot_id": 2, "themes": "[]",
         "year": "2026"},
    ]  # fmt: skip


def test_recent_changes_since_defaults_to_the_last_week(db_path: str) -> None:
    ds = make_datasette(db_path)
    everything, default = get_json(
        ds,
        "/archive/recent_changes.json?_shape=array&since=2026-11-01",
        "/archive/recent_changes.json?_shape=array",
    )
    assert [(r["at"], r["change"], r["rec_id"]) for r in everything] == [
        (T3, "went_missing", 102),
        (T3, "came_back", 104),
        (T2, "went_missing", 104),
        (T2, "changed", 101),
        (T1, "new", 102),
        (T1, "new", 104),
        (T1, "new", 101),
        (T1, "new", 103),
    ]
    week_ago = (datetime.now(UTC) - timedelta(days=7, minutes=1)).strftime("%Y-%m-%dT%H:%M")
    assert default == [r for r in everything if r["at"] >= week_ago]


def test_full_text_search(db_path: str) -> None:
    ds = make_datasette(db_path)
    custody, audits, comment_only, blank = get_json(
        ds,
        "/archive/search.json?_shape=array&q=custody",
        "/archive/search.json?_shape=array&q=audits",
        "/archive/search.json?_shape=array&q=" + "%22stop+and+search+plan%22",
        "/archive/search.json?_shape=array&q=",
    )
    ranks = [r.pop("rank") for r in custody]
    assert ranks == sorted(ranks)
    current_a = {"url": A, "rec_id": 101, "force": "kent", "report_title": "PEEL inspection 2025",
                 "current_status": "being-progressed", "state": "live"}  # fmt: skip
    # Only the current version is searched: version 1's wording of A is not found.
    assert custody == [
        {**current_a, "matched_in": "log comment", "log_seq": 3,
         "snippet": "Board review of the [custody] plan."},
        {**current_a, "matched_in": "log comment", "log_seq": 1,
         "snippet": "Work started on [custody] training in May."},
        {**current_a, "matched_in": "recommendation", "log_seq": None,
         "snippet": "The force should improve [custody] training and audit."},
    ]  # fmt: skip
    assert sorted((r["rec_id"], r["matched_in"], r["snippet"]) for r in audits) == [
        (101, "recommendation", "The force should improve custody training and [audit]."),
        (104, "recommendation", "The force should publish its [audit]."),
    ]
    assert [(r["url"], r["state"], r["matched_in"], r["snippet"]) for r in comment_only] == [
        (B, "not_found", "log comment", "[Stop and search plan] agreed with the board."),
    ]
    assert blank == []


def test_table_search_and_foreign_key_labels(db_path: str) -> None:
    ds = make_datasette(db_path)
    found, events = get_json(
        ds,
        "/archive/recommendation_versions.json?_search=vetting&_shape=array&_col=rec_id",
        "/archive/status_events.json?_shape=array&_labels=on&_col=snapshot_id&_col=seq&snapshot_id=3",
    )
    assert found == [{"snapshot_id": 3, "rec_id": 103}]
    assert events == [{"id": 9, "snapshot_id": {"value": 3, "label": C}, "seq": 0}]


def test_sees_a_crawl_writing_while_it_serves(db_path: str) -> None:
    ds = make_datasette(db_path)
    (before,) = get_json(ds, "/archive/recommendations.json?_shape=array&_col=rec_id")
    assert [r["rec_id"] for r in before] == [101, 102, 103, 104]
    archive = Archive(db_path, now=lambda: T3)
    try:
        run_id = archive.start_run("crawl")
        record = parsed(105, "kent", [event(0, "2026-07-07", "status", "complete")], "x", "n")
        archive.record(run_id, page(f"{BASE}/kent-rec-105/", T3, BODY_D1, record))
        (after,) = get_json(ds, "/archive/recommendations.json?_shape=array&_col=rec_id")
    finally:
        archive.close()
    assert [r["rec_id"] for r in after] == [101, 102, 103, 104, 105]


def test_refuses_writes(db_path: str) -> None:
    ds = make_datasette(db_path)

    async def attempt() -> Any:
        return await ds.client.get(
            "/archive.json?sql=" + "update+pages+set+state%3D%27gone%27&_shape=array"
        )

    response = asyncio.run(attempt())
    assert response.status_code == 400
    count = asyncio.run(ds.databases["archive"].execute("select count(*) from pages"))
    assert count.rows[0][0] == 4


def test_make_datasette_needs_a_database(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no database at"):
        make_datasette(str(tmp_path / "nothing.db"))


def test_serve_runs_until_interrupted(db_path: str) -> None:
    code = "import sys; from store.serve import serve; serve(sys.argv[1], port=0)"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, db_path],
        cwd=Path(__file__).resolve().parent.parent,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        url = None
        assert proc.stderr is not None
        for line in proc.stderr:
            if "Uvicorn running on" in line:
                url = line.split("Uvicorn running on ")[1].split()[0]
                break
        assert url is not None and url.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(f"{url}/archive/regressions.json?_shape=array") as r:
            assert [row["rec_id"] for row in json.load(r)] == [101]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
