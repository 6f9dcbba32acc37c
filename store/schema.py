"""The database schema, created and evolved only through migrations.

Tables hold what was observed; views derive what researchers ask for. Every view is
recreated by `create_views`, so a migration that changes one simply calls it again.
"""

from __future__ import annotations

import sqlite_utils
from sqlite_utils import Migrations

migrations = Migrations("hmicfrs-archive")

# Ranks order statuses so that a step down is a regression; researchers may add slugs here.
STATUS_RANKS: tuple[tuple[str, int, int], ...] = (
    ("awaiting-review", 1, 0),
    ("being-progressed", 2, 0),
    ("complete", 3, 1),
    ("no-further-action-needed", 3, 1),
)

MISSING_STATES = ("not_found", "gone", "soft_404")


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


METADATA_COLUMNS = ("force_name", "reference", "report_url", "published_on", "themes")


@migrations()
def m003_page_metadata(db: sqlite_utils.Database) -> None:
    # What a page's (or a listing entry's) metadata block shows: the force's display name, a
    # reference, the report's link, the publication date (ISO) and the themes (a JSON list).
    for table in ("recommendation_versions", "listing_entry_contents"):
        for column in METADATA_COLUMNS:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
    create_views(db)


VIEWS: dict[str, str] = {
    "latest_versions": """
        SELECT s.url, MAX(s.version) AS version
        FROM snapshots s GROUP BY s.url
    """,
    "recommendations": """
        SELECT p.url, rv.rec_id, rv.force, rv.report_title, rv.rec_type, rv.cause_of_concern,
               rv.text, rv.current_status, rv.status_date, s.version, s.id AS snapshot_id,
               p.state, p.missing_since, s.captured_at, s.last_seen_at, rv.has_404_banner,
               rv.parse_warnings, rv.page_kind, p.last_checked_at, rv.force_name, rv.reference,
               rv.report_url, rv.published_on, rv.themes
        FROM pages p
        JOIN snapshots s ON s.id = p.current_snapshot_id
        JOIN recommendation_versions rv ON rv.snapshot_id = s.id
        WHERE p.kind = 'recommendation'
    """,
    "status_changes": """
        WITH ordered AS (
            SELECT rv.url, rv.rec_id, e.snapshot_id, e.seq, e.on_date, e.status,
                   LAG(e.status) OVER (
                       PARTITION BY e.snapshot_id ORDER BY e.on_date, e.seq
                   ) AS from_status
            FROM pages p
            JOIN recommendation_versions rv ON rv.snapshot_id = p.current_snapshot_id
            JOIN status_events e ON e.snapshot_id = rv.snapshot_id
            WHERE e.kind = 'status'
        )
        SELECT o.url, o.rec_id, o.snapshot_id, o.seq, o.on_date, o.from_status,
               o.status AS to_status,
               CASE WHEN fr.rank IS NOT NULL AND tr.rank IS NOT NULL AND tr.rank < fr.rank
                    THEN 1 ELSE 0 END AS is_regression
        FROM ordered o
        LEFT JOIN status_ranks fr ON fr.status = o.from_status
        LEFT JOIN status_ranks tr ON tr.status = o.status
        WHERE o.from_status IS NULL OR o.from_status != o.status
    """,
    "version_changes": """
        SELECT b.url, rb.rec_id, b.version AS from_version, a.version AS to_version,
               a.captured_at AS changed_at, b.id AS from_snapshot_id, a.id AS to_snapshot_id,
               rb.current_status AS status_before, ra.current_status AS status_after,
               CASE WHEN COALESCE(rb.text, '') != COALESCE(ra.text, '') THEN 1 ELSE 0 END
                   AS text_changed,
               (SELECT COUNT(*) FROM log_changes c
                 WHERE c.to_snapshot_id = a.id AND c.change = 'appended') AS appended,
               (SELECT COUNT(*) FROM log_changes c
                 WHERE c.to_snapshot_id = a.id AND c.change = 'edited') AS edited,
               (SELECT COUNT(*) FROM log_changes c
                 WHERE c.to_snapshot_id = a.id AND c.change = 'removed') AS removed,
               (SELECT COUNT(*) FROM log_changes c
                 WHERE c.to_snapshot_id = a.id AND c.change = 'redated') AS redated
        FROM snapshots a
        JOIN snapshots b ON b.url = a.url AND b.version = a.version - 1
        LEFT JOIN recommendation_versions ra ON ra.snapshot_id = a.id
        LEFT JOIN recommendation_versions rb ON rb.snapshot_id = b.id
    """,
    "missing_pages": """
        SELECT p.url, p.rec_id, p.kind, p.state, p.missing_since, p.last_http_status,
               p.last_checked_at, p.current_snapshot_id AS last_snapshot_id
        FROM pages p
        WHERE p.state IN ('not_found', 'gone', 'soft_404') AND p.missing_since IS NOT NULL
    """,
    "rewritten_history": """
        SELECT c.url, p.rec_id, fs.version AS from_version, ts.version AS to_version,
               ts.captured_at AS changed_at, c.on_date, c.kind, c.change, c.before, c.after,
               c.before_date, c.after_date
        FROM log_changes c
        JOIN snapshots fs ON fs.id = c.from_snapshot_id
        JOIN snapshots ts ON ts.id = c.to_snapshot_id
        JOIN pages p ON p.url = c.url
        WHERE c.change IN ('edited', 'removed', 'redated')
    """,
    "listing_entries": """
        SELECT r.snapshot_id, r.seq, r.listing_url, r.rec_id, r.url, r.report_title,
               c.cause_of_concern, c.text, c.current_status, c.status_date, c.log,
               c.parse_warnings, r.parser_version, r.content_sha256, c.force_name, c.reference,
               c.report_url, c.published_on, c.themes
        FROM listing_entry_rows r
        JOIN listing_entry_contents c ON c.content_sha256 = r.content_sha256
    """,
    "listed_recommendations": """
        SELECT le.rec_id, le.url, le.report_title, le.cause_of_concern, le.text,
               le.current_status, le.status_date, le.log, le.listing_url,
               s.captured_at, s.last_seen_at,
               COALESCE(
                   (SELECT rp.state FROM pages rp WHERE rp.url = le.url),
                   (SELECT rp.state FROM pages rp
                     WHERE rp.kind = 'recommendation' AND rp.rec_id = le.rec_id
                     ORDER BY rp.state = 'live' DESC LIMIT 1)
               ) AS page_state,
               NOT EXISTS (
                   SELECT 1 FROM pages rp
                    WHERE rp.kind = 'recommendation' AND rp.rec_id = le.rec_id
                      AND rp.state = 'live' AND rp.current_snapshot_id IS NOT NULL
               ) AS only_in_listing
        FROM pages lp
        JOIN listing_entries le ON le.snapshot_id = lp.current_snapshot_id
        JOIN snapshots s ON s.id = le.snapshot_id
        WHERE lp.kind = 'listing'
    """,
    "log_entries": """
        SELECT p.url, p.rec_id, e.seq, e.on_date, e.kind, e.status, e.comment,
               (SELECT MIN(s2.captured_at) FROM snapshots s2
                  JOIN status_events e2 ON e2.snapshot_id = s2.id
                 WHERE s2.url = p.url AND e2.kind = e.kind
                   AND e2.on_date IS e.on_date AND e2.status IS e.status
                   AND e2.comment IS e.comment) AS first_seen_at,
               (SELECT MAX(s2.last_seen_at) FROM snapshots s2
                  JOIN status_events e2 ON e2.snapshot_id = s2.id
                 WHERE s2.url = p.url AND e2.kind = e.kind
                   AND e2.on_date IS e.on_date AND e2.status IS e.status
                   AND e2.comment IS e.comment) AS last_seen_at
        FROM pages p
        JOIN status_events e ON e.snapshot_id = p.current_snapshot_id
        WHERE p.kind = 'recommendation'
    """,
}


def create_views(db: sqlite_utils.Database) -> None:
    """(Re)create every view from VIEWS."""
    for name, sql in VIEWS.items():
        db.execute(f"DROP VIEW IF EXISTS [{name}]")
        db.execute(f"CREATE VIEW [{name}] AS {sql}")


def migrate(db: sqlite_utils.Database) -> None:
    """Bring the database up to the current schema."""
    migrations.apply(db)
