"""The views over the derived tables (store/derived.py, m011) return exactly the rows the
views computed from the tables alone returned before: the old view SQL is kept here as the
reference and run side by side on an archive that has been through imports that slot older
captures in and renumber versions (one splitting a version's span), captures that only move
a version's first sighting, a reparse that changes texts, themes and a listing's entries, a
page that goes and comes back, one that is gone, one that redirects away from its group,
national copies and an edit of status_ranks.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest

from store import derived
from store.archive import Archive, ParsedRecord, Provenance
from store.captures import CaptureRow
from store.reports import changes_since
from store.schema import OPTIONAL_VERSION_COLUMNS, normalised_text_sql
from tests.research import LISTING, build_research_archive, listing_record, national, url
from tests.test_store import A, B, C, D, event, page, parsed

# The views the derived tables replaced the computation of, and those that read them.
COMPARED = (
    "recommendations",
    "status_changes",
    "version_changes",
    "missing_pages",
    "rewritten_history",
    "listed_recommendations",
    "recommendation_themes",
    "recommendation_group_members",
    "recommendation_groups",
)


def old_views(optional: set[str]) -> dict[str, str]:
    """The views as they were before m011: window functions and normalisation over the
    whole archive on every read. The reference the derived tables must reproduce."""
    first, second, third = normalised_text_sql(
        "r.text", "s1.force", "s1.force_name", "s1.stage1", "s2.stage2"
    )

    def col(name: str) -> str:
        return f"rv.{name}" if name in optional else "NULL"

    metadata_themes = (
        "SELECT rv.rec_id, j.value AS theme, 'page' AS source "
        "FROM pages p JOIN recommendation_versions rv ON rv.snapshot_id = p.current_snapshot_id, "
        "json_each(CASE WHEN json_valid(rv.themes) THEN rv.themes ELSE '[]' END) j "
        "WHERE p.kind = 'recommendation' AND rv.rec_id IS NOT NULL "
        "UNION "
        if "themes" in optional
        else ""
    )
    # m003 adds the metadata columns to both tables at once.
    entry_metadata = ", ".join(
        f"c.{name}" if name in optional else f"NULL AS {name}" for name in OPTIONAL_VERSION_COLUMNS
    )
    themes = (
        "(SELECT json_group_array(theme) FROM (SELECT DISTINCT t.theme FROM "
        "recommendation_themes t WHERE t.rec_id = {rec} ORDER BY t.theme))"
    )
    first_date = "(SELECT MIN(e.on_date) FROM status_events e WHERE e.snapshot_id = s.id)"
    made_year = f"substr(COALESCE({col('published_on')}, {first_date}, s.captured_at), 1, 4)"
    return {
        "latest_versions": """
            SELECT s.url, MAX(s.version) AS version
            FROM snapshots s GROUP BY s.url
        """,
        # Themes a recommendation is filed under: the theme listings that show it now, and the
        # themes its own page states.
        "recommendation_themes": f"""
            {metadata_themes}
            SELECT rec_id, theme, 'listing' AS source FROM (
                SELECT r.rec_id,
                       CASE WHEN instr(rest, '&') > 0 THEN substr(rest, 1, instr(rest, '&') - 1)
                            WHEN instr(rest, '/') > 0 THEN substr(rest, 1, instr(rest, '/') - 1)
                            ELSE rest END AS theme
                FROM (
                    SELECT r.rec_id,
                           CASE WHEN instr(r.listing_url, 'recommendation-theme=') > 0
                                THEN substr(r.listing_url,
                                            instr(r.listing_url, 'recommendation-theme=') + 21)
                                WHEN instr(r.listing_url, '/recommendation-theme/') > 0
                                THEN substr(r.listing_url,
                                            instr(r.listing_url, '/recommendation-theme/') + 22)
                           END AS rest
                    FROM pages lp
                    JOIN listing_entry_rows r ON r.snapshot_id = lp.current_snapshot_id
                    WHERE lp.kind = 'listing' AND r.rec_id IS NOT NULL
                ) r
                WHERE rest IS NOT NULL AND rest != ''
            )
        """,
        "recommendations": f"""
            SELECT rv.rec_id, rv.force, rv.current_status, rv.status_date, rv.text,
                   rv.report_title, p.state, p.missing_since, rv.rec_type, rv.cause_of_concern,
                   {themes.format(rec="rv.rec_id")} AS themes,
                   {made_year} AS year,
                   {col("force_name")} AS force_name, {col("reference")} AS reference,
                   {col("report_url")} AS report_url, {col("published_on")} AS published_on,
                   s.version, s.captured_at, s.last_seen_at, s.id AS snapshot_id,
                   rv.has_404_banner, rv.parse_warnings, rv.page_kind, p.last_checked_at, p.url
            FROM pages p
            JOIN snapshots s ON s.id = p.current_snapshot_id
            JOIN recommendation_versions rv ON rv.snapshot_id = s.id
            WHERE p.kind = 'recommendation'
        """,
        "status_changes": f"""
            WITH ordered AS (
                SELECT rv.url, rv.rec_id, rv.force, p.state, rv.current_status, e.snapshot_id,
                       e.seq, e.on_date, e.status,
                       LAG(e.status) OVER (
                           PARTITION BY e.snapshot_id ORDER BY e.on_date, e.seq
                       ) AS from_status
                FROM pages p
                JOIN recommendation_versions rv ON rv.snapshot_id = p.current_snapshot_id
                JOIN status_events e ON e.snapshot_id = rv.snapshot_id
                WHERE e.kind = 'status'
            )
            SELECT o.rec_id, o.force, o.on_date, o.from_status, o.status AS to_status,
                   CAST(CASE WHEN fr.rank IS NOT NULL AND tr.rank IS NOT NULL
                                  AND tr.rank < fr.rank
                             THEN 1 ELSE 0 END AS INTEGER) AS is_regression,
                   o.current_status, o.state, {themes.format(rec="o.rec_id")} AS themes,
                   substr(o.on_date, 1, 4) AS year, o.snapshot_id, o.seq, o.url
            FROM ordered o
            LEFT JOIN status_ranks fr ON fr.status = o.from_status
            LEFT JOIN status_ranks tr ON tr.status = o.status
            WHERE o.from_status IS NULL OR o.from_status != o.status
        """,
        "version_changes": f"""
            SELECT rb.rec_id, COALESCE(ra.force, rb.force) AS force,
                   b.version AS from_version, a.version AS to_version,
                   a.captured_at AS changed_at,
                   rb.current_status AS status_before, ra.current_status AS status_after,
                   CAST(CASE WHEN COALESCE(rb.text, '') != COALESCE(ra.text, '') THEN 1 ELSE 0
                        END AS INTEGER) AS text_changed,
                   CAST((SELECT COUNT(*) FROM log_changes c
                     WHERE c.to_snapshot_id = a.id AND c.change = 'appended') AS INTEGER)
                       AS appended,
                   CAST((SELECT COUNT(*) FROM log_changes c
                     WHERE c.to_snapshot_id = a.id AND c.change = 'edited') AS INTEGER)
                       AS edited,
                   CAST((SELECT COUNT(*) FROM log_changes c
                     WHERE c.to_snapshot_id = a.id AND c.change = 'removed') AS INTEGER)
                       AS removed,
                   CAST((SELECT COUNT(*) FROM log_changes c
                     WHERE c.to_snapshot_id = a.id AND c.change = 'redated') AS INTEGER)
                       AS redated,
                   p.state, {themes.format(rec="p.rec_id")} AS themes,
                   substr(a.captured_at, 1, 4) AS year,
                   b.id AS from_snapshot_id, a.id AS to_snapshot_id, b.url
            FROM snapshots a
            JOIN snapshots b ON b.url = a.url AND b.version = a.version - 1
            JOIN pages p ON p.url = a.url
            LEFT JOIN recommendation_versions ra ON ra.snapshot_id = a.id
            LEFT JOIN recommendation_versions rb ON rb.snapshot_id = b.id
        """,
        "missing_pages": f"""
            SELECT p.rec_id, p.force, p.kind, p.state, p.missing_since, p.last_http_status,
                   p.last_checked_at, rv.current_status AS last_known_status, rv.report_title,
                   {themes.format(rec="p.rec_id")} AS themes,
                   substr(p.missing_since, 1, 4) AS year,
                   p.current_snapshot_id AS last_snapshot_id, p.url
            FROM pages p
            LEFT JOIN recommendation_versions rv ON rv.snapshot_id = p.current_snapshot_id
            WHERE p.state IN ('not_found', 'gone', 'soft_404') AND p.missing_since IS NOT NULL
        """,
        "rewritten_history": f"""
            SELECT p.rec_id, p.force, fs.version AS from_version, ts.version AS to_version,
                   ts.captured_at AS changed_at, c.on_date, c.kind, c.change, c.before, c.after,
                   c.before_date, c.after_date, p.current_status, p.state,
                   {themes.format(rec="p.rec_id")} AS themes,
                   substr(ts.captured_at, 1, 4) AS year, c.url
            FROM log_changes c
            JOIN snapshots fs ON fs.id = c.from_snapshot_id
            JOIN snapshots ts ON ts.id = c.to_snapshot_id
            JOIN pages p ON p.url = c.url
            WHERE c.change IN ('edited', 'removed', 'redated')
        """,
        "listing_entries": f"""
            SELECT r.snapshot_id, r.seq, r.listing_url, r.rec_id, r.url, r.report_title,
                   c.cause_of_concern, c.text, c.current_status, c.status_date, c.log,
                   c.parse_warnings, r.parser_version, r.content_sha256, {entry_metadata}
            FROM listing_entry_rows r
            JOIN listing_entry_contents c ON c.content_sha256 = r.content_sha256
        """,
        "listed_recommendations": f"""
            SELECT le.rec_id,
                   COALESCE(
                       (SELECT rp.force FROM pages rp WHERE rp.url = le.url),
                       (SELECT rp.force FROM pages rp
                         WHERE rp.kind = 'recommendation' AND rp.rec_id = le.rec_id LIMIT 1)
                   ) AS force,
                   le.current_status, le.status_date, le.text, le.report_title,
                   COALESCE(
                       (SELECT rp.state FROM pages rp WHERE rp.url = le.url),
                       (SELECT rp.state FROM pages rp
                         WHERE rp.kind = 'recommendation' AND rp.rec_id = le.rec_id
                         ORDER BY rp.state = 'live' DESC LIMIT 1)
                   ) AS page_state,
                   CAST(NOT EXISTS (
                       SELECT 1 FROM pages rp
                        WHERE rp.kind = 'recommendation' AND rp.rec_id = le.rec_id
                          AND rp.state = 'live' AND rp.current_snapshot_id IS NOT NULL
                   ) AS INTEGER) AS only_in_listing,
                   le.cause_of_concern, le.log, le.listing_url, s.captured_at, s.last_seen_at,
                   {themes.format(rec="le.rec_id")} AS themes,
                   substr(s.captured_at, 1, 4) AS year, le.url
            FROM pages lp
            JOIN listing_entries le ON le.snapshot_id = lp.current_snapshot_id
            JOIN snapshots s ON s.id = le.snapshot_id
            WHERE lp.kind = 'listing'
        """,
        "log_entries": """
            SELECT p.rec_id, p.force, e.seq, e.on_date, e.kind, e.status, e.comment,
                   (SELECT MIN(s2.captured_at) FROM snapshots s2
                      JOIN status_events e2 ON e2.snapshot_id = s2.id
                     WHERE s2.url = p.url AND e2.kind = e.kind
                       AND e2.on_date IS e.on_date AND e2.status IS e.status
                       AND e2.comment IS e.comment) AS first_seen_at,
                   (SELECT MAX(s2.last_seen_at) FROM snapshots s2
                      JOIN status_events e2 ON e2.snapshot_id = s2.id
                     WHERE s2.url = p.url AND e2.kind = e.kind
                       AND e2.on_date IS e.on_date AND e2.status IS e.status
                       AND e2.comment IS e.comment) AS last_seen_at,
                   p.state, substr(e.on_date, 1, 4) AS year, p.url
            FROM pages p
            JOIN status_events e ON e.snapshot_id = p.current_snapshot_id
            WHERE p.kind = 'recommendation'
        """,
        "recommendation_group_members": f"""
            WITH stage1 AS (
                SELECT r.*, {first} AS stage1
                FROM recommendations r
                WHERE r.state != 'redirected' AND r.page_kind = 'recommendation'
                  AND trim(COALESCE(r.text, '')) != ''
            ),
            stage2 AS (SELECT s1.*, {second} AS stage2 FROM stage1 s1),
            keyed AS (SELECT s2.*, {third} AS normalised_text FROM stage2 s2),
            groups AS (
                SELECT normalised_text, CAST(MIN(rec_id) AS INTEGER) AS group_key FROM keyed
                GROUP BY normalised_text HAVING COUNT(DISTINCT rec_id) > 1
            )
            SELECT CAST(g.group_key AS INTEGER) AS group_key, k.rec_id, k.force,
                   k.current_status, k.status_date, k.state,
                   CAST(COALESCE(sr.closed, 0) AS INTEGER) AS closed, k.report_title, k.text,
                   k.themes, k.year, k.normalised_text, k.url
            FROM keyed k
            JOIN groups g ON g.normalised_text = k.normalised_text
            LEFT JOIN status_ranks sr ON sr.status = k.current_status
        """,
        "recommendation_groups": """
            SELECT CAST(m.group_key AS INTEGER) AS group_key, MIN(m.report_title) AS report_title,
                   CAST(COUNT(DISTINCT m.force) AS INTEGER) AS forces,
                   CAST(COUNT(*) AS INTEGER) AS copies,
                   CAST(SUM(m.current_status = 'complete') AS INTEGER) AS complete,
                   CAST(SUM(m.closed) AS INTEGER) AS closed,
                   CAST(COUNT(*) - SUM(m.closed) AS INTEGER) AS still_open,
                   json_group_array(DISTINCT m.force) AS force_list,
                   MIN(CASE WHEN m.rec_id = m.group_key THEN m.text END) AS text,
                   MIN(m.year) AS year
            FROM (SELECT * FROM recommendation_group_members ORDER BY group_key, force) m
            GROUP BY m.group_key
        """,
    }


def install_old_views(archive: Archive) -> None:
    """The old views as temporary views named old_<name>, reading each other."""
    columns = {c[1] for c in archive.db.execute("PRAGMA table_info(recommendation_versions)")}
    views = old_views(columns & set(OPTIONAL_VERSION_COLUMNS))
    names = "|".join(sorted(views, key=len, reverse=True))
    for name, sql in views.items():
        sql = re.sub(rf"\b({names})\b", r"old_\1", sql)
        archive.db.execute(f"DROP VIEW IF EXISTS temp.old_{name}")
        archive.db.execute(f"CREATE TEMP VIEW old_{name} AS {sql}")


def view_rows(archive: Archive, name: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = archive.db.execute(f"SELECT * FROM [{name}]")
    columns = [c[0] for c in cursor.description]
    return columns, sorted(cursor.fetchall(), key=repr)


def assert_same_as_old(archive: Archive) -> dict[str, int]:
    install_old_views(archive)
    sizes = {}
    for name in COMPARED:
        new, old = view_rows(archive, name), view_rows(archive, f"old_{name}")
        assert new[0] == old[0], name
        assert new[1] == old[1], name
        # Typed like the old ones: Datasette's ?column=1 filters match the same rows.
        for column in ("is_regression", "text_changed", "closed", "version", "group_key"):
            if column in new[0]:
                sql = "SELECT COUNT(*) FROM [{}] WHERE [{}] = '1'"
                assert (
                    archive.db.execute(sql.format(name, column)).fetchone()
                    == archive.db.execute(sql.format(f"old_{name}", column)).fetchone()
                ), (name, column)
        sizes[name] = len(new[1])
    # The changes report's regressions, from the derived flag and as they were computed.
    regressed = archive.db.execute(
        "SELECT to_snapshot_id FROM derived_version_changes WHERE regressed = 1 ORDER BY 1"
    ).fetchall()
    assert (
        regressed
        == archive.db.execute(
            """SELECT v.to_snapshot_id FROM old_version_changes v
           JOIN status_ranks a ON a.status = v.status_before
           JOIN status_ranks b ON b.status = v.status_after
           WHERE b.rank < a.rank ORDER BY 1"""
        ).fetchall()
    )
    sizes["regressed"] = len(regressed)
    return sizes


T5, T6 = "2026-11-29T06:00:00.000Z", "2026-12-01T06:00:00.000Z"


def capture(archive: Archive, result: Any, n: int) -> tuple[str, bool]:
    """Import `result` as a Wayback capture at its own (older) time."""
    row = CaptureRow("wayback", f"https://web.archive.org/web/{n}/{result.url}", result.url,
                     result.observed_at, result.http_status)  # fmt: skip
    provenance = Provenance("wayback", row.source_url, T5)
    run_id = archive.start_run("import")
    outcome = archive.record_capture(run_id, replace(result, provenance=provenance), row)
    archive.finish_run(run_id, "ok")
    return outcome


def with_metadata(record: ParsedRecord, **fields: Any) -> ParsedRecord:
    return replace(record, row={**record.row, **fields})


@pytest.fixture
def research(tmp_path: Any) -> Archive:
    archive = build_research_archive(str(tmp_path / "research.sqlite"))
    archive.now = lambda: T5
    yield archive
    archive.close()


def test_a_new_archive_has_empty_derived_tables_and_views_over_them() -> None:
    with Archive(":memory:") as archive:
        for table in ("derived_recommendations", "derived_status_changes",
                      "derived_version_changes", "theme_links", "derived_groups"):  # fmt: skip
            assert archive.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone() == (0,)
        assert_same_as_old(archive)


def test_derived_views_return_the_old_views_rows_through_every_write_path(
    research: Archive,
) -> None:
    archive = research
    sizes = assert_same_as_old(archive)
    assert sizes["recommendation_group_members"] == 3  # the national copies 201, 202, 203
    assert sizes["status_changes"] > 5 and sizes["recommendation_themes"] == 3
    assert sizes["regressed"] == 2  # 201 (complete to being-progressed) and 101

    # An older capture of A, before its first version: versions renumber, log diffs redo.
    a0 = parsed(101, "kent", [event(0, "2026-01-10", "status", "complete")],
                "The force should improve custody training soon.", "norm-a0")  # fmt: skip
    outcome = capture(archive, page(A, "2026-10-01T06:00:00.000Z", b"<p>A zero</p>", a0), 1)
    assert outcome == ("changed", True)
    # A capture inside B's first version's span (T1 to T2) with other content: the span
    # splits in two around it.
    b_mid = parsed(102, "essex", [event(0, "2026-02-01", "status", "complete")],
                   "The force should record stop and search.", "norm-b-mid")  # fmt: skip
    capture(archive, page(B, "2026-11-05T06:00:00.000Z", b"<p>B mid</p>", b_mid), 2)
    # A capture of 202 older than its first, the same content: only its first sighting moves.
    capture(archive, page(url("cumbria", 202), "2026-11-10T06:00:00.000Z", b"<p>202</p>",
            national(202, "cumbria", "Cumbria",
                     [event(0, "2026-01-05", "status", "complete")], "n202")), 3)  # fmt: skip
    # C was missing once, long ago, between captures.
    capture(archive, page(C, "2026-10-20T06:00:00.000Z", state="not_found", http_status=404,
                          events=("went_missing",)), 4)  # fmt: skip
    run_id = archive.start_run("import")
    d_snapshot = archive.page(D)["current_snapshot_id"]
    row = CaptureRow("wayback", f"https://web.archive.org/web/5/{D}", D,
                     "2026-10-25T06:00:00.000Z", 200)  # fmt: skip
    archive.record_seen_capture(run_id, row, D, d_snapshot)
    archive.finish_run(run_id, "ok")
    assert archive.db.execute("SELECT MAX(version) FROM snapshots WHERE url = ?", [A]).fetchone()
    assert_same_as_old(archive)

    # A reparse: 203's text no longer matches the national one, A's latest states themes and
    # a publication date, and the listing now shows 203 instead of 102.
    s203 = archive.page(url("dorset", 203))["current_snapshot_id"]
    archive.replace_parsed(s203, url("dorset", 203),
                           parsed(203, "dorset", [event(0, "2026-01-05", "status", "complete")],
                                  "Dorset should do its own thing.", "n203b"))  # fmt: skip
    a_latest = archive.page(A)["current_snapshot_id"]
    a_record = archive.db.execute(
        "SELECT text FROM recommendation_versions WHERE snapshot_id = ?", [a_latest]
    ).fetchone()[0]
    reparsed_a = with_metadata(
        parsed(101, "kent", [event(0, "2026-01-10", "status", "being-progressed"),
                             event(1, "2026-03-01", "status", "awaiting-review")],
               a_record, "norm-a2-reparsed"),
        themes='["vetting", "custody"]', published_on="2024-05-01", force_name="Kent Police",
    )  # fmt: skip
    archive.replace_parsed(a_latest, A, reparsed_a)
    listing = listing_record()
    entries = [dict(e) for e in listing.entries]
    entries[2].update(rec_id=203, url=url("dorset", 203))
    listing_snapshot = archive.page(LISTING)["current_snapshot_id"]
    archive.replace_parsed(listing_snapshot, LISTING, replace(listing, entries=entries))
    sizes = assert_same_as_old(archive)
    assert sizes["recommendation_group_members"] == 2

    # 202 redirects away (its copy leaves the group, which dissolves), then a new copy at
    # another force joins 201; D goes missing again and comes back changed.
    archive.now = lambda: T6
    run_id = archive.start_run("crawl")
    archive.record(
        run_id,
        replace(
            page(
                url("cumbria", 202), T6, state="redirected", http_status=301, events=("redirected",)
            ),
            outcome="redirect",
            redirect_target=url("cumbria", 999),
        ),
    )
    assert assert_same_as_old(archive)["recommendation_group_members"] == 0
    archive.record(run_id, page(url("essex", 205), T6, b"<p>205</p>",
                                national(205, "essex", "Essex",
                                         [event(0, "2026-03-05", "status", "complete")],
                                         "n205"), events=("appeared",)))  # fmt: skip
    archive.record(run_id, page(D, T6, state="not_found", http_status=404,
                                events=("went_missing",)))  # fmt: skip
    archive.finish_run(run_id, "ok")
    assert assert_same_as_old(archive)["recommendation_group_members"] == 2
    run_id = archive.start_run("crawl")
    d2 = parsed(104, "essex", [event(0, "2026-05-05", "status", "complete"),
                               event(1, "2026-06-05", "status", "awaiting-review")],
                "The force should publish its audit.", "norm-d2")  # fmt: skip
    archive.record(run_id, page(D, "2026-12-01T07:00:00.000Z", b"<p>D2</p>", d2,
                                events=("came_back",)))  # fmt: skip
    archive.finish_run(run_id, "ok")
    assert_same_as_old(archive)

    # A researcher teaches the ranks otherwise: is_regression follows at once.
    before = archive.db.execute(
        "SELECT COUNT(*) FROM status_changes WHERE is_regression = 1"
    ).fetchone()[0]
    archive.db.execute("UPDATE status_ranks SET rank = 4 WHERE status = 'being-progressed'")
    archive.db.execute("INSERT INTO status_ranks (status, rank, closed) VALUES ('x', 0, 0)")
    after = archive.db.execute(
        "SELECT COUNT(*) FROM status_changes WHERE is_regression = 1"
    ).fetchone()[0]
    assert before != after
    assert_same_as_old(archive)
    archive.db.execute("DELETE FROM status_ranks WHERE status = 'being-progressed'")
    assert_same_as_old(archive)

    # And a rebuild from scratch (what m011 does to an older archive) gives the same rows.
    derived.rebuild(archive.db)
    assert_same_as_old(archive)


def test_m011_builds_the_derived_tables_of_an_older_archive(research: Archive) -> None:
    archive = research
    expected = {name: view_rows(archive, name) for name in COMPARED}
    for table in ("derived_recommendations", "derived_status_changes",
                  "derived_version_changes", "theme_links", "derived_groups"):  # fmt: skip
        archive.db.execute(f"DROP TABLE {table}")
    archive.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm011_derived_tables'")
    path = archive.path
    archive.close()
    reopened = Archive(path)
    try:
        assert {name: view_rows(reopened, name) for name in COMPARED} == expected
        assert_same_as_old(reopened)
    finally:
        reopened.close()


def test_the_feed_reads_only_the_newest_changes_but_the_same_ones(research: Archive) -> None:
    def newest(sections: dict[str, Any], k: int) -> list[tuple[str, str, str]]:
        times = {"new": "captured_at", "went_missing": "at", "came_back": "at"}
        merged = [
            (r[times.get(name, "changed_at")], name, r["url"])
            for name, rows in sections.items()
            if name != "since"
            for r in rows
        ]
        return sorted(merged, reverse=True)[:k]

    everything = changes_since(research.db, "1970-01-01")
    assert len(newest(everything, 100)) > 8
    for k in range(1, 10):
        assert newest(changes_since(research.db, "1970-01-01", newest=k), k) == newest(
            everything, k
        )


# The canned queries as they were, before they took a limit and read the derived tables.
OLD_QUERIES = {
    "regressions": """
        select sc.rec_id, r.force, r.current_status, sc.on_date, sc.from_status,
               sc.to_status, le.first_seen_at, r.state, r.report_title, sc.url
        from status_changes sc
        join recommendations r on r.url = sc.url
        left join log_entries le on le.url = sc.url and le.seq = sc.seq
        where sc.is_regression = 1
          and (coalesce(:since, '') = '' or sc.on_date >= :since)
        order by sc.on_date desc, sc.url""",
    "changed_between": """
        select v.rec_id, v.force, v.status_before, v.status_after, v.changed_at,
               v.from_version, v.to_version, v.text_changed, v.appended, v.edited,
               v.removed, v.redated, r.report_title, v.url
        from version_changes v
        join pages p on p.url = v.url
        left join recommendations r on r.url = v.url
        where p.kind = 'recommendation'
          and (coalesce(:from_date, '') = '' or v.changed_at >= :from_date)
          and (coalesce(:to_date, '') = ''
               or v.changed_at < case when length(:to_date) = 10
                                      then date(:to_date, '+1 day') else :to_date end)
        order by v.changed_at desc, v.url""",
    "recent_changes": """
        with since as (
          select coalesce(nullif(:since, ''),
                          strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-7 days')) as t
        )
        select rec_id, force, change, status_before, status_after, at, from_version,
               to_version, detail, url from (
          select s.captured_at as at, 'new' as change, s.url, rv.rec_id, rv.force,
                 null as from_version, s.version as to_version,
                 null as status_before, rv.current_status as status_after, null as detail
          from snapshots s
          join recommendation_versions rv on rv.snapshot_id = s.id
          join since
          where s.version = 1 and s.captured_at >= since.t
            and rv.page_kind = 'recommendation'
          union all
          select v.changed_at, 'changed', v.url, v.rec_id, p.force,
                 v.from_version, v.to_version, v.status_before, v.status_after,
                 printf('+%d appended, %d edited, %d removed, %d redated%s',
                        v.appended, v.edited, v.removed, v.redated,
                        case when v.text_changed then ', text changed' else '' end)
          from version_changes v
          join pages p on p.url = v.url
          join since
          where v.changed_at >= since.t and p.kind = 'recommendation'
          union all
          select e.at, e.event, e.url, p.rec_id, p.force, null, null,
                 e.state_before, e.state_after, 'HTTP ' || e.http_status
          from page_events e
          join pages p on p.url = e.url
          join since
          where e.event in ('went_missing', 'came_back') and e.at >= since.t
            and p.kind = 'recommendation'
        )
        order by at desc, url""",
}


@pytest.mark.parametrize("name", sorted(OLD_QUERIES))
def test_canned_queries_return_the_old_rows_up_to_their_limit(research: Archive, name: str) -> None:
    from store.serve import load_metadata

    sql = load_metadata("archive")["databases"]["archive"]["queries"][name]["sql"]
    install_old_views(archive=research)
    old_sql = re.sub(
        r"\b(status_changes|recommendations|log_entries|version_changes)\b",
        r"old_\1",
        OLD_QUERIES[name],
    )
    for params in ({"since": "", "from_date": "", "to_date": ""},
                   {"since": "2026-01-01", "from_date": "2026-11-08", "to_date": "2026-11-22"}):  # fmt: skip
        old = research.db.execute(old_sql, params).fetchall()
        assert len(old) >= 1 or not params["since"]  # blank: the last 7 days of the clock
        for limit in ("", "1", "2", "1000"):
            new = research.db.execute(sql, {**params, "limit": limit}).fetchall()
            assert new == old[: int(limit or 100)], (name, params, limit)


def test_the_benches_synthetic_archive_reads_the_same_through_both(tmp_path: Any) -> None:
    from store import synthetic

    path = tmp_path / "synthetic.sqlite"
    synthetic.build(path, 500)
    with Archive(path) as archive:
        sizes = assert_same_as_old(archive)
        assert sizes["recommendation_group_members"] > 0 and sizes["recommendation_themes"] > 0
        regressions = "SELECT COUNT(*) FROM status_changes WHERE is_regression = 1"
        assert archive.db.execute(regressions).fetchone()[0] > 0


def test_a_crawl_writing_in_batches_keeps_the_derived_rows_as_the_old_views_read(
    tmp_path: Any,
) -> None:
    """The crawl writes pages in batches and rebuilds the batch's derived rows in one pass as
    it commits: after two crawls of the fixture site, in its two states, they read as the old
    views do, and as a page-at-a-time rebuild of every page gives."""
    from tests.support import crawl_both_states

    _, db = crawl_both_states(tmp_path)
    archive = Archive(str(db))
    try:
        sizes = assert_same_as_old(archive)
        assert sizes["recommendations"] > 30 and sizes["version_changes"] > 5
        batched = {name: view_rows(archive, name) for name in COMPARED}
        urls = [r[0] for r in archive.db.execute("SELECT url FROM pages")]
        for url in urls:
            derived.refresh(archive.db, [url])
        assert {name: view_rows(archive, name) for name in COMPARED} == batched
    finally:
        archive.close()
