"""Derived tables: what the researcher views would otherwise recompute over the whole archive
for one page of rows (window functions, text normalisation, theme extraction, group keys).

Every derived row is attributable to one page (its `url`, or `from_url` for theme links), so
`refresh(db, urls)` rebuilds exactly the rows of the pages a write touched, from the tables,
inside the writer's transaction: Archive.record, record_capture, record_seen_capture and
replace_parsed call it. `rebuild(db)` does the whole archive at once (migration m011, bulk
writers). National-recommendation groups (`derived_groups`) are recomputed for the
normalised texts the touched pages had before and have after.

What changes on every visit (a page's last check, a version's last sighting, a version's
number after an import renumbers) is not stored here: the views read it from `pages` and
`snapshots` for the rows they show. A page's state and missing_since are stored (facets and
the groups read them) and refreshed when they change. Never imports scraper.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

import sqlite_utils

__all__ = [
    "THEMES_SQL",
    "create_tables",
    "normalised_text_sql",
    "rebuild",
    "refresh",
    "refresh_groups",
]

# Characters a pasted list puts before its items; they never decide whether two texts match.
# Punctuation too: a comma after the force's name must not keep the name from matching.
BULLETS = (
    "-", "\u2022", "\u25e6", "\u25cf", "\u25aa", "\u00b7", "\u2013", "\u2014", ";", ":", ",",
    ".", "(", ")",
)  # fmt: skip
WHITESPACE = ("char(10)", "char(13)", "char(9)", "char(160)")
# What follows a force's name in its own copy ("Kent Police", "Cumbria Constabulary",
# "Metropolitan Police Service"): dropped with the name, so the copies still match.
FORCE_WORDS = (
    "fire and rescue service", "police service", "police force", "constabulary", "police",
)  # fmt: skip


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _squeeze(expr: str, passes: int) -> str:
    for _ in range(passes):  # each pass halves a run of spaces: 2**passes become one
        expr = f"replace({expr}, '  ', ' ')"
    return expr


def normalised_text_sql(
    text: str, force: str, force_name: str, stage1: str, stage2: str
) -> tuple[str, str, str]:
    """SQL for the text a recommendation shares with its copies at other forces: lower case,
    bullets and punctuation dropped, whitespace collapsed, and the force's own name (its slug's
    words, its stated name, with "Police" or "Constabulary" after it) set aside. Plain SQL, so
    the view works in any SQLite client. Three expressions, the second reading the first's
    result as column `stage1`, the third the second's as `stage2`: SQLite's parser takes only
    so many nested calls in one expression."""
    first = f"' ' || lower(COALESCE({text}, '')) || ' '"
    for ch in WHITESPACE:
        first = f"replace({first}, {ch}, ' ')"
    for ch in BULLETS:
        first = f"replace({first}, {_sql_str(ch)}, ' ')"
    first = f"replace({first}, '&', ' and ')"
    slug_words = f"lower(replace(COALESCE({force}, ''), '-', ' '))"
    second = f"replace({_squeeze(stage1, 6)}, ' ' || {slug_words} || ' ', ' ')"
    second = f"replace({second}, ' ' || lower(COALESCE({force_name}, '')) || ' ', ' ')"
    third = stage2
    for words in FORCE_WORDS:
        third = f"replace({third}, {_sql_str(' ' + words + ' ')}, ' ')"
    return first, second, f"trim({_squeeze(third, 2)})"


# A recommendation's themes as a JSON list, for the views ({rec}: the rec_id expression).
THEMES_SQL = (
    "(SELECT json_group_array(theme) FROM (SELECT DISTINCT t.theme FROM "
    "theme_links t WHERE t.rec_id = {rec} ORDER BY t.theme))"
)

TABLES = (
    # The current parsed version of each recommendation page (the recommendations view).
    # page_rowid is the page's rowid, so the view lists pages in the order `pages` holds them.
    """CREATE TABLE IF NOT EXISTS derived_recommendations (
        page_rowid INTEGER PRIMARY KEY,
        url TEXT NOT NULL UNIQUE,
        snapshot_id INTEGER NOT NULL,
        rec_id INTEGER,
        force TEXT,
        current_status TEXT,
        status_date TEXT,
        text TEXT,
        report_title TEXT,
        state TEXT,
        missing_since TEXT,
        rec_type TEXT,
        cause_of_concern TEXT,
        year TEXT,
        force_name TEXT,
        reference TEXT,
        report_url TEXT,
        published_on TEXT,
        has_404_banner INTEGER,
        parse_warnings TEXT,
        page_kind TEXT,
        page_themes TEXT,
        normalised_text TEXT
    )""",
    "CREATE INDEX IF NOT EXISTS derived_recommendations_rec_id ON derived_recommendations(rec_id)",
    "CREATE INDEX IF NOT EXISTS derived_recommendations_snapshot "
    "ON derived_recommendations(snapshot_id)",
    # Covers current_status_by_force (and the force facet) without reading the rows.
    "CREATE INDEX IF NOT EXISTS derived_recommendations_force "
    "ON derived_recommendations(force, current_status, state)",
    "CREATE INDEX IF NOT EXISTS derived_recommendations_status "
    "ON derived_recommendations(current_status)",
    "CREATE INDEX IF NOT EXISTS derived_recommendations_state ON derived_recommendations(state)",
    "CREATE INDEX IF NOT EXISTS derived_recommendations_year ON derived_recommendations(year)",
    "CREATE INDEX IF NOT EXISTS derived_recommendations_text "
    "ON derived_recommendations(normalised_text)",
    # Each status transition of each current log (the status_changes view).
    """CREATE TABLE IF NOT EXISTS derived_status_changes (
        snapshot_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        url TEXT NOT NULL,
        rec_id INTEGER,
        force TEXT,
        on_date TEXT,
        from_status TEXT,
        to_status TEXT,
        is_regression INTEGER NOT NULL,
        current_status TEXT,
        year TEXT,
        PRIMARY KEY (snapshot_id, seq)
    )""",
    "CREATE INDEX IF NOT EXISTS derived_status_changes_url ON derived_status_changes(url)",
    "CREATE INDEX IF NOT EXISTS derived_status_changes_regression "
    "ON derived_status_changes(is_regression, on_date)",
    "CREATE INDEX IF NOT EXISTS derived_status_changes_to ON derived_status_changes(to_status)",
    "CREATE INDEX IF NOT EXISTS derived_status_changes_force ON derived_status_changes(force)",
    "CREATE INDEX IF NOT EXISTS derived_status_changes_year ON derived_status_changes(year)",
    # Each pair of consecutive versions of every page (the version_changes view), keyed by
    # the newer version.
    """CREATE TABLE IF NOT EXISTS derived_version_changes (
        to_snapshot_id INTEGER PRIMARY KEY,
        from_snapshot_id INTEGER NOT NULL,
        url TEXT NOT NULL,
        rec_id INTEGER,
        page_rec_id INTEGER,
        force TEXT,
        from_version INTEGER,
        to_version INTEGER,
        changed_at TEXT,
        status_before TEXT,
        status_after TEXT,
        text_changed INTEGER,
        appended INTEGER,
        edited INTEGER,
        removed INTEGER,
        redated INTEGER,
        year TEXT,
        regressed INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS derived_version_changes_regressed "
    "ON derived_version_changes(regressed, changed_at)",
    "CREATE INDEX IF NOT EXISTS derived_version_changes_url ON derived_version_changes(url)",
    "CREATE INDEX IF NOT EXISTS derived_version_changes_at "
    "ON derived_version_changes(changed_at, url)",
    "CREATE INDEX IF NOT EXISTS derived_version_changes_force ON derived_version_changes(force)",
    "CREATE INDEX IF NOT EXISTS derived_version_changes_year ON derived_version_changes(year)",
    "CREATE INDEX IF NOT EXISTS derived_version_changes_text "
    "ON derived_version_changes(text_changed)",
    # Each theme a recommendation is filed under, with the page that says so (a theme
    # listing page, or the recommendation's own page).
    """CREATE TABLE IF NOT EXISTS theme_links (
        from_url TEXT NOT NULL,
        rec_id INTEGER NOT NULL,
        theme,
        source TEXT NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS theme_links_rec ON theme_links(rec_id, theme, source)",
    "CREATE INDEX IF NOT EXISTS theme_links_from ON theme_links(from_url)",
    "CREATE INDEX IF NOT EXISTS theme_links_theme ON theme_links(theme)",
    "CREATE INDEX IF NOT EXISTS theme_links_source ON theme_links(source)",
    # The normalised texts shared by more than one recommendation, with the group's key.
    """CREATE TABLE IF NOT EXISTS derived_groups (
        normalised_text TEXT PRIMARY KEY,
        group_key INTEGER NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS derived_groups_key ON derived_groups(group_key)",
)


def _rank_drop(before: str, after: str) -> str:
    """1 when both statuses are ranked and `after` ranks below `before`, else 0."""
    rank = "(SELECT rank FROM status_ranks WHERE status = {})"
    return f"""CAST(CASE WHEN {rank.format(before)} IS NOT NULL
                           AND {rank.format(after)} IS NOT NULL
                           AND {rank.format(after)} < {rank.format(before)}
                      THEN 1 ELSE 0 END AS INTEGER)"""


# Regressions follow status_ranks: a researcher who edits the ranks sees them at once.
TRIGGERS = tuple(
    f"""CREATE TRIGGER IF NOT EXISTS status_ranks_{event.lower()}_derived
        AFTER {event} ON status_ranks BEGIN
            UPDATE derived_status_changes
               SET is_regression = {_rank_drop("from_status", "to_status")};
            UPDATE derived_version_changes
               SET regressed = {_rank_drop("status_before", "status_after")};
        END"""
    for event in ("INSERT", "UPDATE", "DELETE")
)


def create_tables(db: sqlite_utils.Database) -> None:
    """Create the derived tables (empty) if they are missing."""
    for sql in (*TABLES, *TRIGGERS):
        db.execute(sql)


@cache
def _recommendations_sql(where: str) -> str:
    first, second, third = normalised_text_sql(
        "r.text", "s1.force", "s1.force_name", "s1.stage1", "s2.stage2"
    )
    first_date = "(SELECT MIN(e.on_date) FROM status_events e WHERE e.snapshot_id = s.id)"
    columns = (
        "page_rowid, url, snapshot_id, rec_id, force, current_status, status_date, text, "
        "report_title, state, missing_since, rec_type, cause_of_concern, year, force_name, "
        "reference, report_url, published_on, has_404_banner, parse_warnings, page_kind, "
        "page_themes"
    )
    return f"""
        INSERT INTO derived_recommendations ({columns}, normalised_text)
        SELECT {", ".join("s2." + c.strip() for c in columns.split(","))},
               CASE WHEN s2.page_kind = 'recommendation'
                         AND trim(COALESCE(s2.text, '')) != '' THEN {third} END
        FROM (SELECT s1.*, {second} AS stage2 FROM (
            SELECT r.*, {first} AS stage1 FROM (
                SELECT p.rowid AS page_rowid, p.url, s.id AS snapshot_id, rv.rec_id, rv.force,
                       rv.current_status, rv.status_date, rv.text, rv.report_title, p.state,
                       p.missing_since, rv.rec_type, rv.cause_of_concern,
                       substr(COALESCE(rv.published_on, {first_date}, s.captured_at), 1, 4)
                           AS year,
                       rv.force_name, rv.reference, rv.report_url, rv.published_on,
                       rv.has_404_banner, rv.parse_warnings, rv.page_kind,
                       rv.themes AS page_themes
                FROM pages p
                JOIN snapshots s ON s.id = p.current_snapshot_id
                JOIN recommendation_versions rv ON rv.snapshot_id = s.id
                WHERE p.kind = 'recommendation' AND {where}
            ) r) s1) s2
    """


@cache
def _status_changes_sql(where: str) -> str:
    return f"""
        WITH ordered AS (
            SELECT rv.url, rv.rec_id, rv.force, rv.current_status, e.snapshot_id, e.seq,
                   e.on_date, e.status,
                   LAG(e.status) OVER (
                       PARTITION BY e.snapshot_id ORDER BY e.on_date, e.seq
                   ) AS from_status
            FROM pages p
            JOIN recommendation_versions rv ON rv.snapshot_id = p.current_snapshot_id
            JOIN status_events e ON e.snapshot_id = rv.snapshot_id
            WHERE e.kind = 'status' AND {where}
        )
        INSERT INTO derived_status_changes (snapshot_id, seq, url, rec_id, force, on_date,
            from_status, to_status, is_regression, current_status, year)
        SELECT o.snapshot_id, o.seq, o.url, o.rec_id, o.force, o.on_date, o.from_status,
               o.status,
               CAST(CASE WHEN fr.rank IS NOT NULL AND tr.rank IS NOT NULL
                              AND tr.rank < fr.rank
                         THEN 1 ELSE 0 END AS INTEGER),
               o.current_status, substr(o.on_date, 1, 4)
        FROM ordered o
        LEFT JOIN status_ranks fr ON fr.status = o.from_status
        LEFT JOIN status_ranks tr ON tr.status = o.status
        WHERE o.from_status IS NULL OR o.from_status != o.status
        ORDER BY o.snapshot_id, o.on_date, o.seq
    """


@cache
def _version_changes_sql(where: str) -> str:
    # +c.change: counted by the version's own entries (log_changes_to), never by walking
    # every entry of that kind down log_changes_change.
    counts = ", ".join(
        f"""(SELECT COUNT(*) FROM log_changes c
              WHERE c.to_snapshot_id = a.id AND +c.change = '{change}')"""
        for change in ("appended", "edited", "removed", "redated")
    )
    return f"""
        INSERT INTO derived_version_changes (to_snapshot_id, from_snapshot_id, url, rec_id,
            page_rec_id, force, from_version, to_version, changed_at, status_before,
            status_after, text_changed, appended, edited, removed, redated, year, regressed)
        SELECT a.id, b.id, b.url, rb.rec_id, p.rec_id, COALESCE(ra.force, rb.force),
               b.version, a.version, a.captured_at, rb.current_status, ra.current_status,
               CASE WHEN COALESCE(rb.text, '') != COALESCE(ra.text, '') THEN 1 ELSE 0 END,
               {counts}, substr(a.captured_at, 1, 4),
               {_rank_drop("rb.current_status", "ra.current_status")}
        FROM snapshots a
        JOIN snapshots b ON b.url = a.url AND b.version = a.version - 1
        JOIN pages p ON p.url = a.url
        LEFT JOIN recommendation_versions ra ON ra.snapshot_id = a.id
        LEFT JOIN recommendation_versions rb ON rb.snapshot_id = b.id
        WHERE {where}
    """


@cache
def _page_themes_sql(where: str) -> str:
    return f"""
        INSERT INTO theme_links (from_url, rec_id, theme, source)
        SELECT DISTINCT d.url, d.rec_id, j.value, 'page'
        FROM derived_recommendations d,
             json_each(CASE WHEN json_valid(d.page_themes) THEN d.page_themes ELSE '[]' END) j
        WHERE d.rec_id IS NOT NULL AND {where}
    """


@cache
def _listing_themes_sql(where: str) -> str:
    return f"""
        INSERT INTO theme_links (from_url, rec_id, theme, source)
        SELECT DISTINCT from_url, rec_id, theme, 'listing' FROM (
            SELECT r.from_url, r.rec_id,
                   CASE WHEN instr(rest, '&') > 0 THEN substr(rest, 1, instr(rest, '&') - 1)
                        WHEN instr(rest, '/') > 0 THEN substr(rest, 1, instr(rest, '/') - 1)
                        ELSE rest END AS theme
            FROM (
                SELECT lp.url AS from_url, r.rec_id,
                       CASE WHEN instr(r.listing_url, 'recommendation-theme=') > 0
                            THEN substr(r.listing_url,
                                        instr(r.listing_url, 'recommendation-theme=') + 21)
                            WHEN instr(r.listing_url, '/recommendation-theme/') > 0
                            THEN substr(r.listing_url,
                                        instr(r.listing_url, '/recommendation-theme/') + 22)
                       END AS rest
                FROM pages lp
                JOIN listing_entry_rows r ON r.snapshot_id = lp.current_snapshot_id
                WHERE lp.kind = 'listing' AND r.rec_id IS NOT NULL AND {where}
            ) r
            WHERE rest IS NOT NULL AND rest != ''
        )
    """


_GROUPS_SQL = """
    INSERT INTO derived_groups (normalised_text, group_key)
    SELECT normalised_text, CAST(MIN(rec_id) AS INTEGER) FROM derived_recommendations
    WHERE normalised_text IS NOT NULL AND state != 'redirected' AND {where}
    GROUP BY normalised_text HAVING COUNT(DISTINCT rec_id) > 1
"""


def _fill(
    db: sqlite_utils.Database, where: dict[str, str], params: dict[str, str], kind: str | None
) -> None:
    """Insert the derived rows the `where` conditions select (one per alias: p, a, d, lp);
    `kind`, the page's, skips what only another kind of page has (None: every kind)."""
    if kind in (None, "recommendation"):
        db.execute(_recommendations_sql(where["p"]), params)
    db.execute(_status_changes_sql(where["p"]), params)
    db.execute(_version_changes_sql(where["a"]), params)
    if kind in (None, "recommendation"):
        db.execute(_page_themes_sql(where["d"]), params)
    if kind in (None, "listing"):
        db.execute(_listing_themes_sql(where["lp"]), params)


def refresh(db: sqlite_utils.Database, urls: Iterable[str]) -> None:
    """Rebuild the derived rows of these pages (and the groups their texts belong to) from
    the tables; run it inside the transaction that wrote them."""
    texts: set[str] = set()
    where = {"p": "p.url = :url", "a": "a.url = :url", "d": "d.url = :url", "lp": "lp.url = :url"}
    for url in sorted(set(urls)):
        params = {"url": url}
        texts.update(_texts(db, url))
        db.execute("DELETE FROM derived_recommendations WHERE url = :url", params)
        db.execute("DELETE FROM derived_status_changes WHERE url = :url", params)
        db.execute("DELETE FROM derived_version_changes WHERE url = :url", params)
        db.execute("DELETE FROM theme_links WHERE from_url = :url", params)
        kind = db.execute("SELECT kind FROM pages WHERE url = :url", params).fetchone()
        _fill(db, where, params, kind[0] if kind else None)
        texts.update(_texts(db, url))
    refresh_groups(db, texts)


def _texts(db: sqlite_utils.Database, url: str) -> list[str]:
    return [
        r[0]
        for r in db.execute(
            "SELECT normalised_text FROM derived_recommendations "
            "WHERE url = ? AND normalised_text IS NOT NULL",
            [url],
        )
    ]


def refresh_groups(db: sqlite_utils.Database, texts: Iterable[str]) -> None:
    """Recompute whether each of these normalised texts is shared, and its group's key."""
    for text in sorted(set(texts)):
        db.execute("DELETE FROM derived_groups WHERE normalised_text = ?", [text])
        db.execute(_GROUPS_SQL.format(where="normalised_text = :text"), {"text": text})


def rebuild(db: sqlite_utils.Database) -> None:
    """Rebuild every derived table from the tables (a migration, or after a bulk write)."""
    create_tables(db)
    for table in (
        "derived_recommendations",
        "derived_status_changes",
        "derived_version_changes",
        "theme_links",
        "derived_groups",
    ):
        db.execute(f"DELETE FROM {table}")
    _fill(db, {"p": "1", "a": "1", "d": "1", "lp": "1"}, {}, None)
    db.execute(_GROUPS_SQL.format(where="1"))
