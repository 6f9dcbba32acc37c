"""The archive for others' tools: CSV and JSON of every version of every recommendation with
its log as it stood in that version (or, `current`, only today's records and logs), and a WARC
1.1 file of every stored capture and every answer that said a page was missing.

Reads only, inside one read transaction, so a crawl writing meanwhile cannot make two files
of one export disagree. Every export is built under a temporary name beside its target and
renamed into place: a crash leaves the previous export (or nothing), never half of one.
"""

from __future__ import annotations

import base64
import csv
import heapq
import io
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

import sqlite_utils
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from store.archive import decompress

FORMATS = ("csv", "json", "warc")
CSV_FILES = ("recommendations.csv", "status_events.csv")
HISTORY_CSV_FILES = ("versions.csv", "version_logs.csv")
VERSION_COLUMNS = (
    "url", "rec_id", "force", "version", "snapshot_id", "captured_at", "last_seen_at",
    "http_status", "report_title", "rec_type", "cause_of_concern", "text", "current_status",
    "status_date", "has_404_banner", "parse_warnings", "page_kind",
)  # fmt: skip
VERSION_LOG_COLUMNS = (
    "url", "rec_id", "version", "snapshot_id", "seq", "on_date", "raw_date", "kind", "status",
    "comment",
)  # fmt: skip
MISSING_OUTCOMES = ("not_found", "gone", "soft_404")
LOG_COLUMNS = ("seq", "on_date", "kind", "status", "comment", "first_seen_at", "last_seen_at")
REVISITED_OUTCOMES = ("unchanged", "not_modified")
WARC_1_1 = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# Record ids are name-based UUIDs, so exporting the same archive twice names records alike.
RECORD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/hmicfrs-archive")


class ExportError(LookupError):
    """An export that cannot be made as asked: a bad format or output path.

    A LookupError, like the reports' errors, so the CLI reports it as bad usage.
    """


def export_archive(
    db: sqlite_utils.Database,
    fmt: str,
    output: str,
    *,
    current: bool = False,
    force: bool = False,
    stream: BinaryIO | None = None,
) -> dict[str, int]:
    """Write the archive as csv (a folder), json or warc (a file) at output; returns counts.

    With `stream` (for `--output -`) json and warc go there instead. An export that holds
    nothing never replaces a non-empty earlier one unless `force`.
    """
    if fmt not in FORMATS:
        raise ExportError(f"export format should be one of {', '.join(FORMATS)}, got {fmt!r}")
    if stream is not None:
        if fmt == "csv":
            raise ExportError("csv export writes a folder; --output - works for json and warc")
        with db.atomic():
            return _write_file(db, fmt, stream, "stdout", current)
    target = Path(output)
    if not target.name:
        raise ExportError(f"export output should name a file or folder, got {output!r}")
    if not target.parent.is_dir():
        raise ExportError(f"cannot export to {output}: folder {target.parent} does not exist")
    # One read transaction for the whole export.
    with db.atomic():
        if fmt == "csv":
            return _export_csv(db, target, current, force)
        if target.is_dir():
            raise ExportError(f"cannot export {fmt} to {output}: it is a folder")
        with _replacing_file(target) as f:
            counts = _write_file(db, fmt, f, target.name, current)
            if _is_empty(fmt, counts) and not force and _holds_data(target):
                raise ExportError(
                    f"the export is empty and {output} holds an earlier one: not replaced "
                    "(is --db the right archive? --force replaces it anyway)"
                )
            return counts


def _write_file(
    db: sqlite_utils.Database, fmt: str, f: BinaryIO, name: str, current: bool
) -> dict[str, int]:
    if fmt == "json":
        return _write_json(db, f) if current else _write_json_history(db, f)
    return _write_warc(db, f, name)


def _is_empty(fmt: str, counts: dict[str, int]) -> bool:
    return counts.get("responses" if fmt == "warc" else "recommendations", 0) == 0


def _holds_data(target: Path) -> bool:
    if target.is_dir():
        return any(p.is_file() and p.stat().st_size > 0 for p in target.iterdir())
    return target.is_file() and target.stat().st_size > 0


# csv and json -------------------------------------------------------------------------------


def _recommendations(db: sqlite_utils.Database) -> tuple[list[str], list[tuple[Any, ...]]]:
    cursor = db.execute("SELECT * FROM recommendations ORDER BY rec_id IS NULL, rec_id, url")
    return [c[0] for c in cursor.description], cursor.fetchall()


def _log_entries(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    return list(
        db.query(
            f"""SELECT le.url, le.rec_id, {", ".join(f"le.{c}" for c in LOG_COLUMNS)}
                FROM log_entries le JOIN recommendations r ON r.url = le.url
                ORDER BY le.rec_id IS NULL, le.rec_id, le.url, le.seq"""
        )
    )


def _export_csv(
    db: sqlite_utils.Database, target: Path, current: bool, force: bool
) -> dict[str, int]:
    if target.exists() and not target.is_dir():
        raise ExportError(f"cannot export csv to {target}: it is a file, not a folder")
    if target.is_dir():
        known = CSV_FILES + HISTORY_CSV_FILES
        others = sorted(p.name for p in target.iterdir() if p.name not in known)
        if others:
            raise ExportError(
                f"cannot export csv to {target}: the folder holds other files "
                f"({', '.join(others[:3])}); give a new or empty folder"
            )
    columns, recs = _recommendations(db)
    if not recs and not force and target.is_dir() and _holds_data(target):
        raise ExportError(
            f"the export is empty and {target} holds an earlier one: not replaced "
            "(is --db the right archive? --force replaces it anyway)"
        )
    log = _log_entries(db)
    log_columns = ["url", "rec_id", *LOG_COLUMNS]
    counts = {"recommendations": len(recs), "status_events": len(log)}
    with _replacing_folder(target) as folder:
        _write_csv(folder / "recommendations.csv", columns, recs)
        _write_csv(
            folder / "status_events.csv", log_columns, [[e[c] for c in log_columns] for e in log]
        )
        if not current:
            versions = _versions(db)
            _write_csv(
                folder / "versions.csv",
                VERSION_COLUMNS,
                [[v[c] for c in VERSION_COLUMNS] for v in versions],
            )
            logs = _version_logs(db)
            _write_csv(
                folder / "version_logs.csv",
                VERSION_LOG_COLUMNS,
                [[e[c] for c in VERSION_LOG_COLUMNS] for e in logs],
            )
            counts.update(versions=len(versions), version_logs=len(logs))
    return counts


def _versions(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every parsed version of every recommendation page, in id, url and version order."""
    return list(
        db.query(
            """SELECT s.url, rv.rec_id, rv.force, s.version, s.id AS snapshot_id, s.captured_at,
                      s.last_seen_at, s.http_status, rv.report_title, rv.rec_type,
                      rv.cause_of_concern, rv.text, rv.current_status, rv.status_date,
                      rv.has_404_banner, rv.parse_warnings, rv.page_kind
               FROM snapshots s
               JOIN recommendation_versions rv ON rv.snapshot_id = s.id
               JOIN pages p ON p.url = s.url
               WHERE p.kind = 'recommendation'
               ORDER BY rv.rec_id IS NULL, rv.rec_id, s.url, s.version"""
        )
    )


def _version_logs(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every log entry of every version: each log as it stood when that version was live."""
    return list(
        db.query(
            """SELECT s.url, rv.rec_id, s.version, s.id AS snapshot_id, e.seq, e.on_date,
                      e.raw_date, e.kind, e.status, e.comment
               FROM status_events e
               JOIN snapshots s ON s.id = e.snapshot_id
               JOIN recommendation_versions rv ON rv.snapshot_id = s.id
               JOIN pages p ON p.url = s.url
               WHERE p.kind = 'recommendation'
               ORDER BY rv.rec_id IS NULL, rv.rec_id, s.url, s.version, e.seq"""
        )
    )


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
        f.flush()
        os.fsync(f.fileno())


def _write_json_history(db: sqlite_utils.Database, f: BinaryIO) -> dict[str, int]:
    """Current recommendations, each with every version and the log as it stood in each."""
    columns, recs = _recommendations(db)
    versions: dict[str, list[dict[str, Any]]] = {}
    for v in _versions(db):
        v = dict(v)
        v["parse_warnings"] = json.loads(v["parse_warnings"] or "[]")
        v["log"] = []
        versions.setdefault(v["url"], []).append(v)
    by_snapshot = {v["snapshot_id"]: v for vs in versions.values() for v in vs}
    logs = _version_logs(db)
    for e in logs:
        by_snapshot[e["snapshot_id"]]["log"].append(
            {c: e[c] for c in ("seq", "on_date", "raw_date", "kind", "status", "comment")}
        )
    out = []
    for row in recs:
        rec = dict(zip(columns, row, strict=True))
        if isinstance(rec.get("parse_warnings"), str):
            rec["parse_warnings"] = json.loads(rec["parse_warnings"])
        rec["versions"] = [
            {k: v for k, v in version.items() if k not in ("url", "rec_id")}
            for version in versions.get(rec["url"], [])
        ]
        out.append(rec)
    text = json.dumps(out, indent=2, ensure_ascii=False)
    f.write(text.encode("utf-8") + b"\n")
    return {"recommendations": len(out), "versions": len(by_snapshot), "version_logs": len(logs)}


def _write_json(db: sqlite_utils.Database, f: BinaryIO) -> dict[str, int]:
    columns, recs = _recommendations(db)
    versions = dict(db.execute("SELECT url, COUNT(*) FROM snapshots GROUP BY url").fetchall())
    logs: dict[str, list[dict[str, Any]]] = {}
    entries = _log_entries(db)
    for e in entries:
        logs.setdefault(e["url"], []).append({c: e[c] for c in LOG_COLUMNS})
    out = []
    for row in recs:
        rec = dict(zip(columns, row, strict=True))
        if isinstance(rec.get("parse_warnings"), str):
            rec["parse_warnings"] = json.loads(rec["parse_warnings"])
        rec["versions"] = versions.get(rec["url"], 0)
        rec["log"] = logs.get(rec["url"], [])
        out.append(rec)
    text = json.dumps(out, indent=2, ensure_ascii=False)
    f.write(text.encode("utf-8") + b"\n")
    return {"recommendations": len(out), "status_events": len(entries)}


# warc ---------------------------------------------------------------------------------------


def _record_id(*parts: object) -> str:
    return f"<urn:uuid:{uuid.uuid5(RECORD_NAMESPACE, ':'.join(map(str, parts)))}>"


def _payload_digest(content_sha256: str) -> str:
    """The WARC-Payload-Digest of a body whose SHA-256 is content_sha256 (hex)."""
    return "sha256:" + base64.b32encode(bytes.fromhex(content_sha256)).decode("ascii")


def _http_headers(status: int | None, content_type: str | None, length: int) -> StatusAndHeaders:
    code = status or 200
    try:
        reason = HTTPStatus(code).phrase
    except ValueError:
        reason = "Unknown"
    headers = [("Content-Type", content_type)] if content_type else []
    # The stored body is the decoded payload, so no Content-Encoding goes with it.
    headers.append(("Content-Length", str(length)))
    return StatusAndHeaders(f"{code} {reason}", headers, protocol="HTTP/1.1")


def _software() -> str:
    try:
        return f"hmicfrs-archive/{metadata.version('hmicfrs-archive')}"
    except metadata.PackageNotFoundError:
        return "hmicfrs-archive"


def _write_warc(db: sqlite_utils.Database, f: BinaryIO, filename: str) -> dict[str, int]:
    """A warcinfo record, a response per snapshot, a revisit per unchanged observation and a
    response per answer that said the page was missing (404, 410, soft 404).

    Records go in time order. A missing page's body is not kept by the archive, so its record
    carries the status line with an empty payload, marked WARC-Truncated. A revisit carries
    the stored version's status line and headers: an unchanged answer, or a 304, confirmed
    that representation. Payload digests are SHA-256, the archive's own content hash, so a
    revisit's digest comes from the database.
    """
    writer = WARCWriter(f, gzip=True, warc_version="WARC/1.1")
    writer.write_record(
        writer.create_warcinfo_record(
            filename,
            {
                "software": f"{_software()} (warcio)",
                "format": "WARC File Format 1.1",
                "conformsTo": WARC_1_1,
                "isPartOf": "hmicfrs-archive",
                "description": (
                    "HMICFRS recommendation pages as archived: one response record per stored "
                    "version, one revisit record per later visit that found it unchanged, one "
                    "response record (status line only) per answer that the page was missing."
                ),
                "robots": "obey",
            },
        )
    )
    responses = db.query(
        """SELECT 'response' AS type, captured_at AS at, id AS snapshot_id, url, version,
                  captured_at, content_sha256, http_status, content_type, body, body_compression
           FROM snapshots ORDER BY captured_at, id"""
    )
    marks = ", ".join("?" for _ in REVISITED_OUTCOMES)
    revisits = db.query(
        f"""SELECT 'revisit' AS type, f.requested_at AS at, f.id AS fetch_id,
                   f.url AS fetch_url, s.id AS snapshot_id, s.url, s.version, s.captured_at,
                   s.content_sha256, s.http_status, s.content_type
            FROM fetches f JOIN snapshots s ON s.id = f.snapshot_id
            WHERE f.outcome IN ({marks}) ORDER BY f.requested_at, f.id""",
        list(REVISITED_OUTCOMES),
    )
    missing_marks = ", ".join("?" for _ in MISSING_OUTCOMES)
    missing = db.query(
        f"""SELECT 'missing' AS type, f.requested_at AS at, f.id AS fetch_id, f.url,
                   f.http_status, f.outcome
            FROM fetches f WHERE f.outcome IN ({missing_marks}) ORDER BY f.requested_at, f.id""",
        list(MISSING_OUTCOMES),
    )
    counts = {"response": 0, "revisit": 0, "missing": 0}
    lengths: dict[int, int] = {}  # snapshot id -> body length, for the revisits' headers
    order = {"response": 0, "revisit": 1, "missing": 2}
    for r in heapq.merge(responses, revisits, missing, key=lambda r: (r["at"], order[r["type"]])):
        if r["type"] == "missing":
            writer.write_record(_missing_record(writer, r))
            counts["missing"] += 1
            continue
        response_id = _record_id(r["url"], r["version"], r["content_sha256"])
        if r["type"] == "response":
            body = decompress(r["body"], r["body_compression"])
            lengths[r["snapshot_id"]] = len(body)
            record = writer.create_warc_record(
                r["url"],
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=_http_headers(r["http_status"], r["content_type"], len(body)),
                warc_headers_dict={
                    "WARC-Type": "response",
                    "WARC-Record-ID": response_id,
                    "WARC-Date": r["captured_at"],
                    "WARC-Target-URI": r["url"],
                    "WARC-Payload-Digest": _payload_digest(r["content_sha256"]),
                },
            )
        else:
            length = lengths.get(r["snapshot_id"])
            if length is None:
                length = _body_length(db, r["snapshot_id"])
            record = writer.create_revisit_record(
                r["fetch_url"],
                _payload_digest(r["content_sha256"]),
                r["url"],
                r["captured_at"],
                http_headers=_http_headers(r["http_status"], r["content_type"], length),
                warc_headers_dict={
                    "WARC-Type": "revisit",
                    "WARC-Record-ID": _record_id("revisit", r["fetch_id"], r["at"]),
                    "WARC-Date": r["at"],
                    "WARC-Target-URI": r["fetch_url"],
                    "WARC-Refers-To": response_id,
                },
            )
        writer.write_record(record)
        counts[r["type"]] += 1
    return {
        "warcinfo": 1,
        "responses": counts["response"],
        "revisits": counts["revisit"],
        "missing": counts["missing"],
    }


def _missing_record(writer: WARCWriter, r: dict[str, Any]) -> Any:
    """A response record for an answer that said the page was missing: its status, no body."""
    return writer.create_warc_record(
        r["url"],
        "response",
        payload=io.BytesIO(b""),
        length=0,
        http_headers=_http_headers(r["http_status"], None, 0),
        warc_headers_dict={
            "WARC-Type": "response",
            "WARC-Record-ID": _record_id("missing", r["fetch_id"], r["at"]),
            "WARC-Date": r["at"],
            "WARC-Target-URI": r["url"],
            # The archive keeps no body of a missing page: the payload is not what was sent.
            "WARC-Truncated": "unspecified",
            "HMICFRS-Outcome": r["outcome"],
        },
    )


def _body_length(db: sqlite_utils.Database, snapshot_id: int) -> int:
    row = db.execute(
        "SELECT body, body_compression FROM snapshots WHERE id = ?", [snapshot_id]
    ).fetchone()
    return len(decompress(row[0], row[1]))


# writing in place -----------------------------------------------------------------------------


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def _replacing_file(target: Path) -> Iterator[BinaryIO]:
    """A file open for writing beside target, renamed onto it when the block succeeds."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@contextmanager
def _replacing_folder(target: Path) -> Iterator[Path]:
    """A new folder beside target, put in its place when the block succeeds."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
        mask = _umask()
        os.chmod(tmp, 0o777 & ~mask)
        for p in tmp.iterdir():
            os.chmod(p, 0o666 & ~mask)
        if not target.exists():
            os.rename(tmp, target)
            return
        # A folder cannot be renamed over a non-empty one: move the old export aside first.
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old", dir=target.parent))
        try:
            os.rename(target, old / target.name)
            try:
                os.rename(tmp, target)
            except BaseException:
                os.rename(old / target.name, target)
                raise
        finally:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
