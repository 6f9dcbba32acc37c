"""What researchers and operators ask of the archive: a record's history, a diff between two
versions, and what changed since a date. Functions return plain data; render_* turn it into
text. Reads only.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlite_utils

from store.diff import EntryChange, diff_logs, diff_text, diff_words, split_space
from store.errors import BadRequest, NotInArchive

FIELDS = ("report_title", "rec_type", "cause_of_concern", "text", "current_status", "status_date")


def resolve(db: sqlite_utils.Database, rec: str) -> str:
    """The page URL of REC (a numeric id or a URL); NotInArchive naming REC otherwise."""
    rec = rec.strip()
    if rec.isdigit():
        rows = db.execute(
            """SELECT url FROM pages WHERE kind = 'recommendation' AND rec_id = ?
               ORDER BY current_snapshot_id IS NULL, last_checked_at DESC""",
            [int(rec)],
        ).fetchall()
    else:
        candidates = {rec, rec.rstrip("/") + "/", rec.rstrip("/")}
        marks = ", ".join("?" for _ in candidates)
        rows = db.execute(
            f"""SELECT url FROM pages WHERE url IN ({marks})
                UNION ALL SELECT url FROM page_aliases WHERE alias_url IN ({marks})""",
            list(candidates) * 2,
        ).fetchall()
    if not rows:
        raise NotInArchive(
            f"no recommendation {rec!r} in the archive (give an id or a page URL)", rec
        )
    return rows[0][0]


def history(db: sqlite_utils.Database, rec: str) -> dict[str, Any]:
    """Every version of one recommendation, with its status, and the page's state changes."""
    url = resolve(db, rec)
    page = next(db.query("SELECT * FROM pages WHERE url = ?", [url]))
    versions = list(
        db.query(
            """SELECT s.version, s.id AS snapshot_id, s.captured_at, s.last_seen_at,
                      s.http_status, s.content_sha256, rv.current_status, rv.status_date,
                      rv.page_kind, rv.has_404_banner,
                      (SELECT COUNT(*) FROM status_events e WHERE e.snapshot_id = s.id)
                          AS log_entries, s.source, s.source_url, s.imported_at
               FROM snapshots s LEFT JOIN recommendation_versions rv ON rv.snapshot_id = s.id
               WHERE s.url = ? ORDER BY s.version""",
            [url],
        )
    )
    events = list(
        db.query(
            "SELECT at, event, state_before, state_after, http_status FROM page_events "
            "WHERE url = ? ORDER BY at, id",
            [url],
        )
    )
    return {
        "url": url,
        "rec_id": page["rec_id"],
        "state": page["state"],
        "missing_since": page["missing_since"],
        "last_checked_at": page["last_checked_at"],
        "versions": versions,
        "page_events": events,
    }


def render_history(h: dict[str, Any]) -> str:
    """Text for a terminal: the versions and page events, control characters removed."""
    h = terminal_safe(h)
    lines = [f"{h['url']}  (id {h['rec_id']}, {h['state']})"]
    if h["missing_since"]:
        lines.append(f"missing since {h['missing_since']}")
    lines.append(
        f"{'version':>7}  {'captured':<24} {'last seen':<24} {'status':<26} {'log':<4} source"
    )
    for v in h["versions"]:
        status = v["current_status"] or "-"
        if v["status_date"]:
            status += f" ({v['status_date']})"
        source = " ".join(filter(None, [v["source"], v["source_url"]]))
        lines.append(
            f"{v['version']:>7}  {v['captured_at']:<24} {v['last_seen_at']:<24} "
            f"{status:<26} {v['log_entries']:<4} {source}"
        )
    for e in h["page_events"]:
        lines.append(
            f"{e['at']}  {e['event']} ({e['state_before'] or 'new'} -> {e['state_after']})"
        )
    return "\n".join(lines)


def _version(db: sqlite_utils.Database, url: str, version: int) -> dict[str, Any]:
    rows = list(
        db.query(
            """SELECT s.id AS snapshot_id, s.version, s.captured_at, s.source, s.source_url,
                      rv.rec_id, rv.page_kind,
                      rv.report_title, rv.rec_type, rv.cause_of_concern, rv.text,
                      rv.current_status, rv.status_date
               FROM snapshots s LEFT JOIN recommendation_versions rv ON rv.snapshot_id = s.id
               WHERE s.url = ? AND s.version = ?""",
            [url, version],
        )
    )
    if not rows:
        raise NotInArchive(f"{url} has no version {version}", version)
    row = rows[0]
    row["events"] = list(
        db.query(
            "SELECT * FROM status_events WHERE snapshot_id = ? ORDER BY seq", [row["snapshot_id"]]
        )
    )
    return row


def version_at(db: sqlite_utils.Database, url: str, when: str, option: str) -> int:
    """The number of the version the archive held of url at a time (stored-time text)."""
    row = db.execute(
        "SELECT MAX(version) FROM snapshots WHERE url = ? AND captured_at <= ?", [url, when]
    ).fetchone()
    if row[0] is None:
        first = db.execute("SELECT MIN(captured_at) FROM snapshots WHERE url = ?", [url]).fetchone()
        raise NotInArchive(
            f"{option}: {url} had no version yet at {when} (the first was captured {first[0]})"
        )
    return int(row[0])


def version_diff(
    db: sqlite_utils.Database,
    rec: str,
    from_version: int | None,
    to_version: int | None,
    *,
    from_date: str | None = None,
    at: str | None = None,
) -> dict[str, Any]:
    """Field, text and status-log differences between two versions (default: the last two).

    from_date and at pick the versions standing at those dates or times (a date means its
    end); at without a starting version compares with the version before it.
    """
    url = resolve(db, rec)
    latest = db.execute("SELECT MAX(version) FROM snapshots WHERE url = ?", [url]).fetchone()[0]
    if latest is None:
        raise NotInArchive(f"{url} has no stored version", url)
    if at is not None:
        to_version = version_at(db, url, parse_when(at, "--at", end_of_day=True), "--at")
    if from_date is not None:
        from_version = version_at(
            db, url, parse_when(from_date, "--from-date", end_of_day=True), "--from-date"
        )
    to_v = to_version if to_version is not None else latest
    from_v = from_version if from_version is not None else max(1, to_v - 1)
    a, b = _version(db, url, from_v), _version(db, url, to_v)
    changes: list[EntryChange] = diff_logs(a["events"], b["events"])
    log_changes = []
    for c in changes:
        entry = dict(c.__dict__)
        if c.change == "edited":
            entry["words"] = [list(p) for p in diff_words(c.before, c.after)]
        log_changes.append(entry)
    return {
        "url": url,
        "rec_id": b.get("rec_id") or a.get("rec_id"),
        "from_version": from_v,
        "to_version": to_v,
        "from_captured_at": a["captured_at"],
        "to_captured_at": b["captured_at"],
        "from_source": a["source"],
        "to_source": b["source"],
        "from_source_url": a["source_url"],
        "to_source_url": b["source_url"],
        "fields_changed": {
            f: [a.get(f), b.get(f)] for f in FIELDS if a.get(f) != b.get(f) and f != "text"
        },
        "text_diff": diff_text(
            a.get("text"), b.get("text"), f"version {from_v}", f"version {to_v}"
        ),
        "text_words": [list(p) for p in diff_words(a.get("text"), b.get("text"))]
        if a.get("text") != b.get("text")
        else [],
        "log_changes": log_changes,
    }


# C0 controls but tab and newline, DEL and the C1 controls: what a terminal would obey.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    """text without the characters a terminal takes as commands (escapes, title setting)."""
    return _CONTROL.sub("", text)


def terminal_safe(value: Any) -> Any:
    """value (a str, or lists and dicts of them) with control characters removed."""
    if isinstance(value, str):
        return strip_controls(value)
    if isinstance(value, dict):
        return {k: terminal_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [terminal_safe(v) for v in value]
    return value


def _paint(text: str, code: str, color: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if color else text


def render_words(pieces: list[list[str]], color: bool) -> str:
    """Word-level marks: red and green on a terminal, [-removed-]{+added+} otherwise."""
    out = []
    for op, text in pieces:
        if op == "=":
            out.append(text)
            continue
        lead, core, tail = split_space(text)
        if not core:
            out.append(text)
        elif color:
            out.append(lead + _paint(core, "1;31;9" if op == "-" else "1;32", True) + tail)
        else:
            out.append(lead + ("[-" + core + "-]" if op == "-" else "{+" + core + "+}") + tail)
    return "".join(out)


def _indent(text: str, prefix: str) -> list[str]:
    return [prefix + line for line in text.splitlines() or [""]]


def render_diff(d: dict[str, Any], color: bool = False) -> str:
    """Text for a terminal: changed fields, the text with its changed words marked, and each
    changed log entry in full. Control characters in page text are removed."""
    d = terminal_safe(d)
    lines = [
        f"{d['url']}: version {d['from_version']} ({d['from_captured_at']}, "
        f"{d['from_source']}) -> version {d['to_version']} ({d['to_captured_at']}, "
        f"{d['to_source']})"
    ]
    for field, (before, after) in d["fields_changed"].items():
        lines.append(f"{field}: {before!r} -> {after!r}")
    if d["text_words"]:
        lines.append("")
        lines.append("text:")
        lines.extend(_indent(render_words(d["text_words"], color), "  "))
    else:
        lines.append("text: unchanged")
    if d["log_changes"]:
        lines.append("")
        lines.append("status log:")
    marks = {
        "appended": ("+", "32"),
        "removed": ("-", "31"),
        "edited": ("~", "33"),
        "redated": ("@", "36"),
    }
    for c in d["log_changes"]:
        mark, code = marks[c["change"]]
        what = f"{mark} {c['change']:<8} {c['kind']:<7} {c['on_date']}"
        if c["change"] == "redated":
            what += f" -> {c['after_date']}"
        lines.append(_paint(what, code, color))
        if c["change"] == "edited":
            lines.extend(_indent(render_words(c["words"], color), "      "))
        elif c["change"] == "redated":
            lines.extend(_indent(c["before"] or "", "      "))
        else:
            for label, value in (("before", c["before"]), ("after", c["after"])):
                if value is not None and "\n" not in value:
                    lines.append(f"      {label}: {value}")
                elif value is not None:
                    lines.append(f"      {label}:")
                    lines.extend(_indent(value, "        "))
    if not d["log_changes"]:
        lines.append("status log: unchanged")
    return "\n".join(lines)


def parse_when(text: str, option: str = "--since", *, end_of_day: bool = False) -> str:
    """The stored-time form (UTC, milliseconds, Z) of an ISO 8601 date or time.

    Offsets and Z are accepted; a date alone means its start (or, with end_of_day, its last
    millisecond). Anything else, impossible dates included, is a BadRequest naming option.
    """
    raw = text.strip()
    value = raw[:-1] if re.fullmatch(r"\d{4}-\d{2}-\d{2}Z", raw) else raw
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(0), UTC)
            if end_of_day:
                moment += timedelta(days=1, milliseconds=-1)
        elif re.fullmatch(
            r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?", value
        ):
            moment = datetime.fromisoformat(value.replace(" ", "T"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        else:
            raise ValueError("not ISO 8601")
    except ValueError:
        raise BadRequest(
            f"{option} should be an ISO 8601 date or time such as 2026-11-01 or "
            f"2026-11-01T06:00:00Z, got {text!r}"
        ) from None
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def since_time(since: str) -> str:
    """The stored-time form of a --since value (an ISO 8601 date or time); BadRequest if not."""
    return parse_when(since, "--since")


# Each section of a changes report: its query with {w} where the window goes, the column a
# time window compares, the row id a report cursor compares, and which cursor (snapshots
# or page_events) that id belongs to. Ids only grow, so a cursor window reports each change
# once whatever the clocks said (imports carry their capture's own, older time).
_CHANGE_SECTIONS: tuple[tuple[str, str, str, str, str], ...] = (
    (
        "new",
        """SELECT s.url, rv.rec_id, rv.report_title, rv.current_status, s.captured_at
           FROM snapshots s JOIN recommendation_versions rv ON rv.snapshot_id = s.id
           WHERE s.version = 1 AND {w} AND rv.page_kind = 'recommendation'
           ORDER BY s.captured_at, s.url""",
        "s.captured_at",
        "s.id",
        "snapshot",
    ),
    (
        "changed",
        """SELECT v.url, v.rec_id, v.from_version, v.to_version, v.changed_at,
                  v.status_before, v.status_after, v.text_changed, v.appended, v.edited,
                  v.removed, v.redated
           FROM version_changes v JOIN pages p ON p.url = v.url
           WHERE {w} AND p.kind = 'recommendation'
           ORDER BY v.changed_at, v.url""",
        "v.changed_at",
        "v.to_snapshot_id",
        "snapshot",
    ),
    (
        "regressed",
        # derived_version_changes.regressed: both statuses ranked, the newer one lower.
        """SELECT v.url, v.rec_id, v.from_version, v.to_version, v.changed_at,
                  v.status_before, v.status_after
           FROM derived_version_changes v
           WHERE v.regressed = 1 AND {w} ORDER BY v.changed_at, v.url""",
        "v.changed_at",
        "v.to_snapshot_id",
        "snapshot",
    ),
    (
        "rewritten",
        """SELECT url, rec_id, from_version, to_version, changed_at, on_date, kind, change,
                  before, after FROM rewritten_history r
           WHERE {w} ORDER BY changed_at, url""",
        "changed_at",
        "(SELECT s.id FROM snapshots s WHERE s.url = r.url AND s.version = r.to_version)",
        "snapshot",
    ),
    (
        "went_missing",
        """SELECT e.url, p.rec_id, e.at, e.state_after AS state, e.http_status
           FROM page_events e JOIN pages p ON p.url = e.url
           WHERE e.event = 'went_missing' AND {w} ORDER BY e.at, e.url""",
        "e.at",
        "e.id",
        "event",
    ),
    (
        "came_back",
        """SELECT e.url, p.rec_id, e.at, e.state_before AS was, e.http_status
           FROM page_events e JOIN pages p ON p.url = e.url
           WHERE e.event = 'came_back' AND {w} ORDER BY e.at, e.url""",
        "e.at",
        "e.id",
        "event",
    ),
)


def changes_since(
    db: sqlite_utils.Database, since: str, newest: int | None = None
) -> dict[str, Any]:
    """New, changed, regressed, rewritten, went-missing and came-back records since a time.

    With `newest`, each section keeps only what could be among the `newest` latest changes
    of all: its rows from its own `newest`-th latest time on (ties included), so a feed of
    the latest changes reads a few rows per section, not the archive's whole history.
    """
    t = since_time(since)
    result: dict[str, Any] = {"since": t}
    for name, sql, time_column, _, _ in _CHANGE_SECTIONS:
        start = t
        if newest is not None:
            body = sql.rsplit("ORDER BY", 1)[0].format(w=f"{time_column} >= ?")
            row = db.execute(
                f"SELECT {time_column} {body[body.index('FROM') :]} "
                f"ORDER BY {time_column} DESC LIMIT 1 OFFSET ?",
                [t, max(0, newest - 1)],
            ).fetchone()
            if row is not None and row[0] is not None:
                start = max(t, row[0])
        result[name] = list(db.query(sql.format(w=f"{time_column} >= ?"), [start]))
    return result


def changes_between(
    db: sqlite_utils.Database, after: tuple[int, int], upto: tuple[int, int]
) -> dict[str, Any]:
    """The same sections for the changes recorded after cursor `after` up to `upto`, each
    cursor a (last snapshot id, last page event id) pair."""
    bounds = {"snapshot": (after[0], upto[0]), "event": (after[1], upto[1])}
    result: dict[str, Any] = {}
    for name, sql, _, id_column, cursor in _CHANGE_SECTIONS:
        window = f"{id_column} > ? AND {id_column} <= ?"
        result[name] = list(db.query(sql.format(w=window), list(bounds[cursor])))
    return result


def render_changes(c: dict[str, Any]) -> str:
    """Text for cron mail; empty when nothing changed. Control characters are removed."""
    c = terminal_safe(c)
    out: list[str] = []
    sections = (
        ("new", lambda r: f"{r['rec_id']} {r['url']} ({r['current_status'] or 'no status'})"),
        (
            "changed",
            lambda r: (
                f"{r['rec_id']} {r['url']} v{r['from_version']}->v{r['to_version']}: "
                f"{r['status_before']} -> {r['status_after']}; +{r['appended']} ~{r['edited']} "
                f"-{r['removed']} @{r['redated']}" + ("; text changed" if r["text_changed"] else "")
            ),
        ),
        (
            "regressed",
            lambda r: f"{r['rec_id']} {r['url']}: {r['status_before']} -> {r['status_after']}",
        ),
        (
            "rewritten",
            lambda r: f"{r['rec_id']} {r['url']}: {r['change']} {r['kind']} of {r['on_date']}",
        ),
        (
            "went_missing",
            lambda r: (
                f"{r['rec_id']} {r['url']}: {r['state']} (HTTP {r['http_status']}) at {r['at']}"
            ),
        ),
        ("came_back", lambda r: f"{r['rec_id']} {r['url']} at {r['at']}"),
    )
    for name, fmt in sections:
        rows = c[name]
        if rows:
            out.append(f"{name.replace('_', ' ')} ({len(rows)}):")
            out.extend(f"  {fmt(r)}" for r in rows)
    return "\n".join(out)
