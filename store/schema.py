"""The database schema, created and evolved only through migrations.

Tables hold what was observed; views derive what researchers ask for. Every view is
recreated by `create_views`, so a migration that changes one simply calls it again.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

from store import derived
from store.derived import normalised_text_sql
from store.errors import NewerSchema
from store.states import MISSING_STATES

__all__ = ["MISSING_STATES", "STATUS_RANKS", "migrate", "migrations", "normalised_text_sql"]

migrations = Migrations("hmicfrs-archive")

# Ranks order statuses so that a step down is a regression; researchers may add slugs here.
STATUS_RANKS: tuple[tuple[str, int, int], ...] = (
    ("awaiting-review", 1, 0),
    ("being-progressed", 2, 0),
    ("complete", 3, 1),
    ("no-further-action-needed", 3, 1),
)


@migrations()
def m001_tables(db: sqlite_utils.Database) -> None:
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            command TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            pages_fetched INTEGER NOT NULL DEFAULT 0,
            pages_new INTEGER NOT NULL DEFAULT 0,
            pages_changed INTEGER NOT NULL DEFAULT 0,
            pages_unchanged INTEGER NOT NULL DEFAULT 0,
            pages_missing INTEGER NOT NULL DEFAULT 0,
            errors INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            pid INTEGER,
            message TEXT,
            stats TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE pages (
            url TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            rec_id INTEGER,
            force TEXT,
            state TEXT,
            first_seen_at TEXT NOT NULL,
            last_checked_at TEXT,
            last_http_status INTEGER,
            missing_since TEXT,
            etag TEXT,
            last_modified TEXT,
            current_snapshot_id INTEGER,
            current_status TEXT,
            page_kind TEXT,
            redirect_target TEXT,
            last_error TEXT,
            last_listed_at TEXT,
            last_in_sitemap_at TEXT
        )"""
    )
    db.execute("CREATE INDEX pages_rec_id ON pages(rec_id)")
    db.execute(
        """
        CREATE TABLE fetches (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            url TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            http_status INTEGER,
            final_url TEXT,
            elapsed_ms INTEGER,
            bytes INTEGER,
            outcome TEXT NOT NULL,
            error TEXT,
            snapshot_id INTEGER
        )"""
    )
    db.execute("CREATE INDEX fetches_url ON fetches(url)")
    db.execute("CREATE INDEX fetches_run ON fetches(run_id)")
    db.execute(
        """
        CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL REFERENCES pages(url),
            version INTEGER NOT NULL,
            captured_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            content_sha256 TEXT NOT NULL,
            normalised_sha256 TEXT,
            body BLOB NOT NULL,
            body_compression TEXT NOT NULL DEFAULT 'zlib',
            http_status INTEGER,
            content_type TEXT,
            run_id INTEGER REFERENCES runs(id),
            UNIQUE (url, version)
        )"""
    )
    db.execute(
        """
        CREATE TABLE recommendation_versions (
            snapshot_id INTEGER PRIMARY KEY REFERENCES snapshots(id),
            url TEXT NOT NULL,
            rec_id INTEGER,
            force TEXT,
            report_title TEXT,
            rec_type TEXT,
            cause_of_concern TEXT,
            text TEXT,
            current_status TEXT,
            status_date TEXT,
            has_404_banner INTEGER NOT NULL DEFAULT 0,
            parse_warnings TEXT NOT NULL DEFAULT '[]',
            page_kind TEXT NOT NULL,
            parser_version TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX recommendation_versions_url ON recommendation_versions(url)")
    db.execute(
        """
        CREATE TABLE status_events (
            id INTEGER PRIMARY KEY,
            snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
            seq INTEGER NOT NULL,
            on_date TEXT,
            raw_date TEXT,
            kind TEXT NOT NULL,
            status TEXT,
            comment TEXT,
            UNIQUE (snapshot_id, seq)
        )"""
    )
    db.execute(
        """
        CREATE TABLE log_changes (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL,
            from_snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
            to_snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
            change TEXT NOT NULL,
            kind TEXT,
            on_date TEXT,
            before TEXT,
            after TEXT,
            before_date TEXT,
            after_date TEXT
        )"""
    )
    db.execute("CREATE INDEX log_changes_to ON log_changes(to_snapshot_id)")
    db.execute(
        """
        CREATE TABLE page_events (
            id INTEGER PRIMARY KEY,
            url TEXT NOT NULL REFERENCES pages(url),
            run_id INTEGER REFERENCES runs(id),
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            state_before TEXT,
            state_after TEXT,
            http_status INTEGER
        )"""
    )
    db.execute("CREATE INDEX page_events_at ON page_events(at)")
    db.execute(
        """
        CREATE TABLE job_items (
            job TEXT NOT NULL,
            url TEXT NOT NULL,
            done_at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            PRIMARY KEY (job, url)
        )"""
    )
    db["status_ranks"].insert_all(
        [{"status": s, "rank": r, "closed": c} for s, r, c in STATUS_RANKS], pk="status"
    )
    db["recommendation_versions"].enable_fts(
        ["report_title", "cause_of_concern", "text"], create_triggers=True, tokenize="porter"
    )
    db["status_events"].enable_fts(["comment"], create_triggers=True, tokenize="porter")
    create_views(db)


@migrations()
def m002_listing_entries(db: sqlite_utils.Database) -> None:
    # What each listing snapshot shows of every recommendation it lists: for a recommendation
    # whose own page is gone, the listing may be the only place it can still be read. A
    # listing's pages all change when one entry is added at the top, so what an entry shows
    # is stored once (listing_entry_contents) and each snapshot's entries point to it.
    db.execute(
        """
        CREATE TABLE listing_entry_contents (
            content_sha256 TEXT PRIMARY KEY,
            cause_of_concern TEXT,
            text TEXT,
            current_status TEXT,
            status_date TEXT,
            log TEXT NOT NULL DEFAULT '[]',
            parse_warnings TEXT NOT NULL DEFAULT '[]'
        )"""
    )
    db.execute(
        """
        CREATE TABLE listing_entry_rows (
            snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
            seq INTEGER NOT NULL,
            listing_url TEXT NOT NULL,
            rec_id INTEGER,
            url TEXT,
            report_title TEXT,
            content_sha256 TEXT NOT NULL REFERENCES listing_entry_contents(content_sha256),
            parser_version TEXT NOT NULL,
            PRIMARY KEY (snapshot_id, seq)
        )"""
    )
    db.execute("CREATE INDEX listing_entry_rows_rec_id ON listing_entry_rows(rec_id)")
    create_views(db)


@migrations()
def m003_page_metadata(db: sqlite_utils.Database) -> None:
    # What a page's (or a listing entry's) metadata block shows: the force's display name, a
    # reference, the report's link, the publication date (ISO) and the themes (a JSON list).
    for table in ("recommendation_versions", "listing_entry_contents"):
        for column in OPTIONAL_VERSION_COLUMNS:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
    create_views(db)


@migrations()
def m004_page_aliases(db: sqlite_utils.Database) -> None:
    # One page per recommendation: a spelling of a known recommendation's URL that the
    # canonical form cannot fold (http or https, www., the old host's /hmicfrs/ path or the
    # current host's) is kept here, pointing at the page, instead of becoming a page of its
    # own, so a researcher can look a recommendation up by any spelling the site used.
    db.execute(
        """
        CREATE TABLE page_aliases (
            alias_url TEXT PRIMARY KEY,
            url TEXT NOT NULL REFERENCES pages(url),
            first_seen_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX page_aliases_url ON page_aliases(url)")
    db.execute("CREATE INDEX pages_force_rec_id ON pages(force, rec_id)")


@migrations()
def m005_report_cursor(db: sqlite_utils.Database) -> None:
    # What `changes --since-last-run` already reported: the last snapshot and page event it
    # covered, so that each change reaches exactly one report (one cron mail).
    db.execute(
        """
        CREATE TABLE report_cursor (
            name TEXT PRIMARY KEY,
            snapshot_id INTEGER NOT NULL,
            page_event_id INTEGER NOT NULL,
            reported_at TEXT NOT NULL
        )"""
    )


@migrations()
def m007_research_views(db: sqlite_utils.Database) -> None:
    # Researcher-facing views: typed counts and flags (CAST gives a view column an affinity,
    # so Datasette's ?is_regression=1 matches), force/state/themes/year on each, and the
    # groups of one national recommendation filed under many forces.
    create_views(db)


@migrations()
def m008_change_signals(db: sqlite_utils.Database) -> None:
    # Evidence of change, so a nightly run fetches what changed rather than everything:
    # what each page's sitemap said (the sitemap, its <lastmod>, the lastmod when the page
    # was last checked), which listing names it, and when it dropped out of either.
    for column in (
        "sitemap_source", "sitemap_lastmod", "checked_lastmod", "sitemap_dropped_at",
        "listing_source", "listing_dropped_at",
    ):  # fmt: skip
        db.execute(f"ALTER TABLE pages ADD COLUMN {column} TEXT")
    # One row per signal a run saw (lastmod moved, listing differs, dropped out, new) or per
    # reason it fetched a page anyway (due, rotation), and what the fetch then found.
    db.execute(
        """
        CREATE TABLE change_signals (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES runs(id),
            url TEXT NOT NULL,
            kind TEXT NOT NULL,
            source TEXT,
            seen_at TEXT NOT NULL,
            listing_snapshot_id INTEGER REFERENCES snapshots(id),
            detail TEXT,
            outcome TEXT,
            changed INTEGER
        )"""
    )
    db.execute("CREATE INDEX change_signals_run_url ON change_signals(run_id, url)")
    # How far each sitemap and listing has been right: a source caught vouching for a page
    # that had changed loses the power to defer pages.
    db.execute(
        """
        CREATE TABLE source_trust (
            source TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            predicted INTEGER NOT NULL DEFAULT 0,
            false_alarms INTEGER NOT NULL DEFAULT 0,
            lies INTEGER NOT NULL DEFAULT 0,
            trusted INTEGER NOT NULL DEFAULT 1,
            lost_trust_at TEXT,
            lost_trust_run_id INTEGER,
            last_lie_url TEXT
        )"""
    )
    db.execute("ALTER TABLE runs ADD COLUMN lost_trust TEXT")


@migrations()
def m009_provenance(db: sqlite_utils.Database) -> None:
    # Where each version came from: a live fetch, a Wayback Machine memento or a WARC record,
    # and when it was imported. `captured_at` stays the capture's own time.
    db.execute("ALTER TABLE snapshots ADD COLUMN source TEXT NOT NULL DEFAULT 'live'")
    db.execute("ALTER TABLE snapshots ADD COLUMN source_url TEXT")
    db.execute("ALTER TABLE snapshots ADD COLUMN imported_at TEXT")
    db.execute("CREATE INDEX snapshots_url_captured ON snapshots(url, captured_at)")
    # Every capture an import met, listed (pending) or imported: the import's resume point,
    # and each archived observation of a page (a capture identical to a version is a row here).
    db.execute(
        """
        CREATE TABLE captures (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            source_url TEXT NOT NULL UNIQUE,
            original_url TEXT NOT NULL,
            url TEXT,
            captured_at TEXT NOT NULL,
            http_status INTEGER,
            digest TEXT,
            listed_at TEXT NOT NULL,
            imported_at TEXT,
            outcome TEXT,
            error TEXT,
            snapshot_id INTEGER REFERENCES snapshots(id),
            run_id INTEGER REFERENCES runs(id)
        )"""
    )
    db.execute("CREATE INDEX captures_pending ON captures(source, imported_at, captured_at)")
    db.execute("CREATE INDEX captures_url ON captures(url, captured_at)")
    # How far the listing of an archive's index (the CDX API's pages) got, per query.
    db.execute(
        """
        CREATE TABLE import_cursors (
            name TEXT PRIMARY KEY,
            resume_key TEXT,
            complete INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT NOT NULL
        )"""
    )
    create_provenance_view(db)


def create_provenance_view(db: sqlite_utils.Database) -> None:
    """The `versions` view: every version of every page with where and when it was captured."""
    db.execute("DROP VIEW IF EXISTS versions")
    db.execute(
        """
        CREATE VIEW versions AS
        SELECT p.rec_id, p.force, p.kind, s.version, s.captured_at, s.last_seen_at, s.source,
               s.source_url, s.imported_at, s.http_status, rv.current_status, rv.status_date,
               s.content_sha256, s.id AS snapshot_id, s.url
        FROM snapshots s
        JOIN pages p ON p.url = s.url
        LEFT JOIN recommendation_versions rv ON rv.snapshot_id = s.id
        """
    )


@migrations()
def m010_fast_views(db: sqlite_utils.Database) -> None:
    # What the views join on and Datasette sorts by at 50,000 recommendations: a page by its
    # current version (every view over the current records joins on it), and versions by
    # their capture time (recent_changes, changed_between and the WARC export's order).
    db.execute("CREATE INDEX IF NOT EXISTS pages_current_snapshot ON pages(current_snapshot_id)")
    db.execute("CREATE INDEX IF NOT EXISTS snapshots_captured_at ON snapshots(captured_at)")


@migrations()
def m011_derived_tables(db: sqlite_utils.Database) -> None:
    # What the researcher views would otherwise recompute over the whole archive for one
    # page of rows (window functions, normalised texts, themes, group keys), kept current by
    # the store for the pages each write touches (store/derived.py), and the indexes the
    # views, their facets and the changes feed read.
    derived.create_tables(db)
    derived.rebuild(db)
    db.execute("CREATE INDEX IF NOT EXISTS recommendation_versions_rec_id "
               "ON recommendation_versions(rec_id)")  # fmt: skip
    db.execute("CREATE INDEX IF NOT EXISTS log_changes_change ON log_changes(change)")
    db.execute("CREATE INDEX IF NOT EXISTS pages_state ON pages(state)")
    db.execute("CREATE INDEX IF NOT EXISTS snapshots_version_captured "
               "ON snapshots(version, captured_at)")  # fmt: skip
    db.execute("CREATE INDEX IF NOT EXISTS page_events_event_at ON page_events(event, at)")
    create_views(db)


# What the metadata block shows, when the parser finds it (columns a later migration may add):
# the views select them when present and NULL otherwise, so their columns never move.
OPTIONAL_VERSION_COLUMNS = ("force_name", "reference", "report_url", "published_on", "themes")


def _views(optional: set[str]) -> dict[str, str]:
    # m003 adds the metadata columns to both tables at once.
    entry_metadata = ", ".join(
        f"c.{name}" if name in optional else f"NULL AS {name}" for name in OPTIONAL_VERSION_COLUMNS
    )
    themes = derived.THEMES_SQL
    snapshot = "(SELECT s.{column} FROM snapshots s WHERE s.id = {id})"
    state = "(SELECT p.state FROM pages p WHERE p.url = {url})"
    return {
        "latest_versions": """
            SELECT s.url, MAX(s.version) AS version
            FROM snapshots s GROUP BY s.url
        """,
        # Themes a recommendation is filed under: the theme listings that show it now, and the
        # themes its own page states.
        "recommendation_themes": """
            SELECT DISTINCT rec_id, theme, source FROM theme_links
        """,
        "recommendations": f"""
            SELECT d.rec_id, d.force, d.current_status, d.status_date, d.text, d.report_title,
                   d.state, d.missing_since, d.rec_type, d.cause_of_concern,
                   {themes.format(rec="d.rec_id")} AS themes, d.year, d.force_name,
                   d.reference, d.report_url, d.published_on,
                   CAST({snapshot.format(column="version", id="d.snapshot_id")} AS INTEGER)
                       AS version,
                   {snapshot.format(column="captured_at", id="d.snapshot_id")} AS captured_at,
                   {snapshot.format(column="last_seen_at", id="d.snapshot_id")} AS last_seen_at,
                   d.snapshot_id, d.has_404_banner, d.parse_warnings, d.page_kind,
                   (SELECT p.last_checked_at FROM pages p WHERE p.url = d.url)
                       AS last_checked_at,
                   d.url
            FROM derived_recommendations d
        """,
        "status_changes": f"""
            SELECT c.rec_id, c.force, c.on_date, c.from_status, c.to_status, c.is_regression,
                   c.current_status, {state.format(url="c.url")} AS state,
                   {themes.format(rec="c.rec_id")} AS themes, c.year, c.snapshot_id, c.seq,
                   c.url
            FROM derived_status_changes c
        """,
        "version_changes": f"""
            SELECT v.rec_id, v.force, v.from_version, v.to_version, v.changed_at,
                   v.status_before, v.status_after, v.text_changed, v.appended, v.edited,
                   v.removed, v.redated, {state.format(url="v.url")} AS state,
                   {themes.format(rec="v.page_rec_id")} AS themes, v.year,
                   v.from_snapshot_id, v.to_snapshot_id, v.url
            FROM derived_version_changes v
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
        # +k.force and the like: a facet groups the few members, never walks every
        # recommendation down an index on that column to skip a sort.
        "recommendation_group_members": f"""
            SELECT g.group_key, k.rec_id, +k.force AS force, +k.current_status AS current_status,
                   k.status_date, +k.state AS state,
                   CAST(COALESCE((SELECT sr.closed FROM status_ranks sr
                                   WHERE sr.status = k.current_status), 0) AS INTEGER)
                       AS closed,
                   k.report_title, k.text, {themes.format(rec="k.rec_id")} AS themes, k.year,
                   k.normalised_text, k.url
            FROM derived_groups g
            JOIN derived_recommendations k ON k.normalised_text = g.normalised_text
            WHERE k.state != 'redirected'
        """,
        # The members' columns it aggregates, read from the derived tables (CROSS JOIN: the
        # few groups first, then their members by normalised text).
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
            FROM (
                SELECT g.group_key, k.rec_id, k.force, k.current_status, k.report_title, k.text,
                       k.year,
                       COALESCE((SELECT sr.closed FROM status_ranks sr
                                  WHERE sr.status = k.current_status), 0) AS closed
                FROM derived_groups g
                CROSS JOIN derived_recommendations k ON k.normalised_text = g.normalised_text
                WHERE k.state != 'redirected'
                ORDER BY g.group_key, k.force
            ) m
            GROUP BY m.group_key
        """,
    }


def create_views(db: sqlite_utils.Database) -> None:
    """(Re)create every view, selecting the optional metadata columns where they exist.

    The derived tables the views read are created first (empty on a new archive; m011 fills
    them for an older one)."""
    derived.create_tables(db)
    columns = {c[1] for c in db.execute("PRAGMA table_info(recommendation_versions)").fetchall()}
    views = _views(columns & set(OPTIONAL_VERSION_COLUMNS))
    # Views read views: drop all first, then create in order.
    for name in reversed(list(views)):
        db.execute(f"DROP VIEW IF EXISTS [{name}]")
    for name, sql in views.items():
        db.execute(f"CREATE VIEW [{name}] AS {sql}")


def check_not_newer(db: sqlite_utils.Database, path: str) -> None:
    """NewerSchema if the database holds migrations this hmicfrs does not know: a newer
    version wrote it, and writing to it with this one could break it."""
    if not db["_sqlite_migrations"].exists():
        return
    known = {m.name for m in getattr(migrations, "_migrations", ())}
    unknown = sorted(m.name for m in migrations.applied(db) if m.name not in known)
    if unknown:
        raise NewerSchema(path, unknown)


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the database up to the current schema."""
    migrations.apply(db)
