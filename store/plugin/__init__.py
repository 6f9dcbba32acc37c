"""The archive's Datasette plugin: a page per recommendation, archived bodies made inert, a
changes feed, links from every url/rec_id cell, safe full-text queries and readable CSS.

Registered by `hmicfrs serve`, and by plain `datasette archive.sqlite` through the package's
`datasette` entry point. Reads only; every query runs on Datasette's read connections.
"""

from __future__ import annotations

import json
import re
import sqlite3
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import sqlite_utils
from datasette import hookimpl
from datasette.utils.asgi import Response
from markupsafe import Markup, escape

from store import reports
from store.archive import decompress
from store.diff import split_space
from store.errors import BadRequest, NotInArchive, StoreError
from store.sanitize import CONTENT_SECURITY_POLICY, sanitized_html, sanitized_text

CSS_PATH = Path(__file__).parent / "static" / "hmicfrs.css"
FEED_LIMIT = 200
LINK_COLUMNS = ("url", "rec_id")
# Words FTS5 reads as operators when they stand between terms.
FTS_OPERATORS = ("OR", "AND", "NOT")


# full-text queries ----------------------------------------------------------------------------


def fts_query(q: str | None) -> str:
    """What a person typed, as an FTS5 query that cannot be a syntax error.

    Every word is quoted (so `stop-and-search` and `force's` are phrases of their words, not
    column filters or broken strings), "quoted phrases" stay phrases, a trailing * is a
    prefix search, and OR, AND and NOT between terms stay operators.
    """
    terms: list[str] = []
    for m in re.finditer(r'"([^"]*)"?|(\S+)', q or ""):
        phrase, word = m.group(1), m.group(2)
        if word is not None and word in FTS_OPERATORS:
            if terms and terms[-1] not in FTS_OPERATORS:
                terms.append(word)
            continue
        text = phrase if phrase is not None else word
        prefix = word is not None and word.endswith("*") and len(word.rstrip("*")) > 0
        text = text.rstrip("*") if prefix else text
        if not re.search(r"\w", text):
            continue
        terms.append('"' + text.replace('"', '""') + '"' + ("*" if prefix else ""))
    while terms and terms[-1] in FTS_OPERATORS:
        terms.pop()
    return " ".join(terms)


@hookimpl
def prepare_connection(conn: Any) -> None:
    conn.create_function("hmicfrs_fts_query", 1, fts_query, deterministic=True)


# cells and CSS --------------------------------------------------------------------------------


def _row_rec_id(row: Any) -> int | None:
    try:
        value = row["rec_id"]
    except (KeyError, IndexError, TypeError):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, datasette: Any) -> Any:
    """A url or rec_id cell of a recommendation links to its page in the archive."""
    if column not in LINK_COLUMNS or value is None:
        return None
    rec_id = _row_rec_id(row)
    if rec_id is None:
        return None
    href = datasette.urls.path(f"/-/recommendations/{rec_id}")
    title = "this recommendation's history in the archive"
    return Markup(f'<a href="{escape(href)}" title="{title}">{escape(str(value))}</a>')


@hookimpl
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.path("/-/hmicfrs.css")]


async def css(request: Any) -> Response:
    return Response(
        CSS_PATH.read_text(encoding="utf-8"),
        content_type="text/css; charset=utf-8",
        headers={"Cache-Control": "max-age=300"},
    )


# the archive database -------------------------------------------------------------------------


def _archive_database(datasette: Any) -> Any:
    """The served database that holds the archive (the first with recommendation pages)."""
    for name, db in datasette.databases.items():
        if name.startswith("_") or db.is_memory:
            continue
        return db
    return None


async def _read(datasette: Any, fn: Any) -> Any:
    db = _archive_database(datasette)
    if db is None:
        raise NotInArchive("no archive database is being served")
    return await db.execute_fn(lambda conn: fn(sqlite_utils.Database(conn)))


# the recommendation page ----------------------------------------------------------------------


def _identity(db: sqlite_utils.Database, url: str, rec_id: int) -> dict[str, Any]:
    rows = list(db.query("SELECT * FROM recommendations WHERE url = ?", [url]))
    identity: dict[str, Any] = dict(rows[0]) if rows else {"url": url, "rec_id": rec_id}
    page = next(db.query("SELECT * FROM pages WHERE url = ?", [url]))
    identity.update(state=page["state"], missing_since=page["missing_since"])
    themes = identity.get("themes")
    identity["theme_list"] = _json_list(themes)
    identity["other_urls"] = [
        dict(r)
        for r in db.query(
            """SELECT url, state, redirect_target FROM pages
               WHERE kind = 'recommendation' AND rec_id = ? AND url != ? ORDER BY url""",
            [rec_id, url],
        )
    ]
    return identity


def _json_list(text: Any) -> list[str]:
    if not isinstance(text, str):
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def _sisters(db: sqlite_utils.Database, url: str) -> list[dict[str, Any]]:
    """The other forces' copies of this recommendation (a national one filed once per force):
    the members of its group, found by its group_key (derived_groups keeps the keys)."""
    try:
        return list(
            db.query(
                """SELECT group_key, rec_id, force, current_status, status_date, state, url
                   FROM recommendation_group_members
                   WHERE group_key = (SELECT group_key FROM recommendation_group_members
                                      WHERE url = :url)
                     AND url != :url
                   ORDER BY force, rec_id""",
                {"url": url},
            )
        )
    except sqlite3.OperationalError:  # an archive from before the groups view: no copies
        return []


def _pick(
    db: sqlite_utils.Database, url: str, params: dict[str, str], latest: int
) -> tuple[int, int]:
    """The two versions to compare: by number (from, to) or by date (from_date, to_date)."""

    def number(key: str) -> int | None:
        value = (params.get(key) or "").strip()
        if not value:
            return None
        if not value.isdigit() or not 1 <= int(value) <= latest:
            raise BadRequest(f"{key} should be a version number from 1 to {latest}, got {value!r}")
        return int(value)

    to_v = number("to")
    if params.get("to_date", "").strip():
        when = reports.parse_when(params["to_date"], "to_date", end_of_day=True)
        to_v = reports.version_at(db, url, when, "to_date")
    from_v = number("from")
    if params.get("from_date", "").strip():
        when = reports.parse_when(params["from_date"], "from_date", end_of_day=True)
        from_v = reports.version_at(db, url, when, "from_date")
    to_v = to_v if to_v is not None else latest
    from_v = from_v if from_v is not None else max(1, to_v - 1)
    return from_v, to_v


def recommendation_context(
    db: sqlite_utils.Database, rec_id: int, params: dict[str, str]
) -> dict[str, Any]:
    """Everything the recommendation page shows; NotInArchive when there is no such record."""
    url = reports.resolve(db, str(rec_id))
    history = reports.history(db, url)
    identity = _identity(db, url, rec_id)
    versions = history["versions"]
    context: dict[str, Any] = {
        "rec": identity,
        "versions": versions,
        "page_events": history["page_events"],
        "sisters": _sisters(db, url),
        "diff": None,
        "diff_error": None,
        "log": [],
        "params": params,
    }
    if identity.get("snapshot_id"):
        context["log"] = list(
            db.query(
                "SELECT * FROM status_events WHERE snapshot_id = ? ORDER BY seq",
                [identity["snapshot_id"]],
            )
        )
    if versions:
        latest = versions[-1]["version"]
        try:
            from_v, to_v = _pick(db, url, params, latest)
            context["diff"] = reports.version_diff(db, url, from_v, to_v)
        except StoreError as e:
            context["diff_error"] = str(e.args[0] if e.args else e)
    return context


def words_html(pieces: list[list[str]], side: str | None = None) -> Markup:
    """Word pieces as HTML: removed words in <del>, added in <ins>; side 'before' or 'after'
    shows one version only."""
    out = []
    for op, text in pieces:
        lead, core, tail = split_space(text)
        if op == "=":
            out.append(escape(text))
        elif op == "-" and side != "after":
            out.append(Markup("%s<del>%s</del>%s") % (lead, core, tail) if core else escape(text))
        elif op == "+" and side != "before":
            out.append(Markup("%s<ins>%s</ins>%s") % (lead, core, tail) if core else escape(text))
    return Markup("").join(out)


async def recommendation_page(datasette: Any, request: Any) -> Response:
    rec_id = int(request.url_vars["rec_id"])
    params = {k: request.args.get(k, "") for k in ("from", "to", "from_date", "to_date")}
    try:
        context = await _read(datasette, lambda db: recommendation_context(db, rec_id, params))
    except StoreError as e:
        return Response.html(
            await datasette.render_template(
                "hmicfrs_error.html",
                {"message": str(e.args[0] if e.args else e), "title": f"Recommendation {rec_id}"},
                request=request,
            ),
            status=404,
        )
    context["words_html"] = words_html
    context["table_url"] = _table_url(datasette)
    html = await datasette.render_template("hmicfrs_recommendation.html", context, request=request)
    return Response.html(html, status=400 if context["diff_error"] else 200)


def _table_url(datasette: Any) -> Any:
    db = _archive_database(datasette)

    def url(table: str, **args: Any) -> str:
        path = datasette.urls.table(db.name, table) if db is not None else "/"
        return path + ("?" + urlencode(args) if args else "")

    return url


async def recommendations_index(datasette: Any, request: Any) -> Response:
    return Response.redirect(_table_url(datasette)("recommendations"))


# archived bodies ------------------------------------------------------------------------------


def _body(db: sqlite_utils.Database, rec_id: int, version: int) -> dict[str, Any]:
    url = reports.resolve(db, str(rec_id))
    rows = list(
        db.query(
            """SELECT id, url, version, captured_at, body, body_compression, content_type,
                      http_status FROM snapshots WHERE url = ? AND version = ?""",
            [url, version],
        )
    )
    if not rows:
        raise NotInArchive(f"{url} has no version {version}", version)
    row = dict(rows[0])
    row["body"] = decompress(row["body"], row["body_compression"])
    return row


SAFE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


async def archived_body(datasette: Any, request: Any) -> Response:
    """One stored capture, as sanitized HTML or as text, under a restrictive CSP."""
    rec_id, version = int(request.url_vars["rec_id"]), int(request.url_vars["version"])
    try:
        row = await _read(datasette, lambda db: _body(db, rec_id, version))
    except StoreError as e:
        return Response.text(str(e.args[0]), status=404, headers=SAFE_HEADERS)
    if request.url_vars["format"] == "txt":
        return Response.text(sanitized_text(row["body"], row["content_type"]), headers=SAFE_HEADERS)
    note = (
        f"Archived capture of {row['url']}, version {row['version']}, captured "
        f"{row['captured_at']} (HTTP {row['http_status']}). Shown sanitized: scripts, styles, "
        "forms, images and every external resource removed."
    )
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(row['url'])} v{row['version']}</title>"
        "<style>body{font-family:Georgia,serif;max-width:48em;margin:1em auto;padding:0 1em;"
        "line-height:1.5}.archived-note{font-family:sans-serif;font-size:.85em;background:#fff3cd;"
        "border:1px solid #e0c36c;padding:.5em .8em}</style></head><body>"
        f'<p class="archived-note">{escape(note)}</p>'
        f"{sanitized_html(row['body'], row['content_type'])}</body></html>"
    )
    return Response.html(page, headers=SAFE_HEADERS)


# the changes feed -----------------------------------------------------------------------------

ATOM = "http://www.w3.org/2005/Atom"


def feed_entries(db: sqlite_utils.Database, since: str) -> list[dict[str, Any]]:
    """The newest changes since a time as feed entries (title, time, rec_id, summary, id)."""
    c = reports.changes_since(db, since, newest=FEED_LIMIT)
    entries: list[dict[str, Any]] = []

    def add(kind: str, r: dict[str, Any], at: str, title: str, summary: str, key: str) -> None:
        entries.append(
            {
                "kind": kind,
                "rec_id": r.get("rec_id"),
                "url": r["url"],
                "at": at,
                "title": title,
                "summary": summary,
                "id": f"tag:hmicfrs-archive,2026:{kind}:{r['url']}:{key}",
            }
        )

    for r in c["new"]:
        add(
            "new",
            r,
            r["captured_at"],
            f"New: {r['rec_id']} ({r['current_status'] or 'no status'})",
            f"{r['report_title'] or ''}: first captured {r['captured_at']}",
            r["captured_at"],
        )
    for r in c["changed"]:
        counts = (
            f"{r['appended']} appended, {r['edited']} edited, {r['removed']} removed, "
            f"{r['redated']} redated" + (", text changed" if r["text_changed"] else "")
        )
        add(
            "changed",
            r,
            r["changed_at"],
            f"Changed: {r['rec_id']} v{r['from_version']} to v{r['to_version']}: "
            f"{r['status_before']} to {r['status_after']}",
            counts,
            str(r["to_version"]),
        )
    for r in c["regressed"]:
        add(
            "regressed",
            r,
            r["changed_at"],
            f"Regressed: {r['rec_id']} {r['status_before']} to {r['status_after']}",
            f"version {r['from_version']} to {r['to_version']}",
            str(r["to_version"]),
        )
    for r in c["rewritten"]:
        add(
            "rewritten",
            r,
            r["changed_at"],
            f"Rewritten history: {r['rec_id']} {r['change']} {r['kind']} of {r['on_date']}",
            f"before: {r['before'] or ''}\nafter: {r['after'] or ''}",
            f"{r['to_version']}:{r['kind']}:{r['on_date']}:{r['change']}",
        )
    for r in c["went_missing"]:
        add(
            "went_missing",
            r,
            r["at"],
            f"Went missing: {r['rec_id']} ({r['state']})",
            f"HTTP {r['http_status']} at {r['at']}",
            r["at"],
        )
    for r in c["came_back"]:
        add(
            "came_back",
            r,
            r["at"],
            f"Came back: {r['rec_id']}",
            f"answered again (HTTP {r['http_status']}) at {r['at']}, was {r['was']}",
            r["at"],
        )
    entries.sort(key=lambda e: (e["at"], e["id"]), reverse=True)
    return entries[:FEED_LIMIT]


def atom_feed(entries: list[dict[str, Any]], self_url: str, link: Any, now: str) -> bytes:
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "HMICFRS recommendations archive: changes"
    ET.SubElement(feed, f"{{{ATOM}}}id").text = "tag:hmicfrs-archive,2026:changes"
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=self_url)
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = entries[0]["at"] if entries else now
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "hmicfrs-archive"
    for e in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}title").text = reports.strip_controls(e["title"])
        ET.SubElement(entry, f"{{{ATOM}}}id").text = e["id"]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = e["at"]
        href = link(e["rec_id"]) if e["rec_id"] is not None else e["url"]
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", href=href)
        ET.SubElement(entry, f"{{{ATOM}}}category", term=e["kind"])
        summary = ET.SubElement(entry, f"{{{ATOM}}}summary", type="text")
        summary.text = reports.strip_controls(f"{e['summary']}\n{e['url']}")
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


async def changes_feed(datasette: Any, request: Any) -> Response:
    """/-/changes.atom: the newest changes (or those since ?since=DATE)."""
    from store.archive import utc_now

    since = request.args.get("since") or "1970-01-01"
    try:
        entries = await _read(datasette, lambda db: feed_entries(db, since))
    except StoreError as e:
        return Response.text(str(e.args[0]), status=400)

    def link(rec_id: int) -> str:
        return datasette.absolute_url(request, datasette.urls.path(f"/-/recommendations/{rec_id}"))

    self_url = datasette.absolute_url(request, request.full_path)
    body = atom_feed(entries, self_url, link, utc_now())
    return Response(body, content_type="application/atom+xml; charset=utf-8")


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/recommendations/?$", recommendations_index),
        (r"^/-/recommendations/(?P<rec_id>\d+)$", recommendation_page),
        (
            r"^/-/recommendations/(?P<rec_id>\d+)/v(?P<version>\d+)\.(?P<format>html|txt)$",
            archived_body,
        ),
        (r"^/-/changes\.atom$", changes_feed),
        (r"^/-/hmicfrs\.css$", css),
    ]
