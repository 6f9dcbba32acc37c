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
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from http import HTTPStatus
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO

import sqlite_utils
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from store.archive import decompress
from store.errors import ExportError

__all__ = ["ExportError", "export_archive"]

FORMATS = ("csv", "json", "jsonl", "warc")
CSV_FILES = ("recommendations.csv", "status_events.csv")
HISTORY_CSV_FILES = ("versions.csv", "version_logs.csv")
VERSION_COLUMNS = (
    "url", "rec_id", "force", "version", "snapshot_id", "captured_at", "last_seen_at",
    "source", "source_url", "imported_at", "http_status", "report_title", "rec_type",
    "cause_of_concern", "text", "current_status", "status_date", "has_404_banner",
    "parse_warnings", "page_kind", "force_name", "reference", "report_url", "published_on",
    "themes",
)  # fmt: skip
VERSION_LOG_COLUMNS = (
    "url", "rec_id", "version", "snapshot_id", "seq", "on_date", "raw_date", "kind", "status",
    "comment",
)  # fmt: skip
MISSING_OUTCOMES = ("not_found", "gone", "soft_404")
LOG_COLUMNS = ("seq", "on_date", "kind", "status", "comment", "first_seen_at", "last_seen_at")
REVISITED_OUTCOMES = ("unchanged", "not_modified")
LENGTHS_KEPT = 4096
WARC_1_1 = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# Record ids are name-based UUIDs, so exporting the same archive twice names records alike.
RECORD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/hmicfrs-archive")


def export_archive(
    db: sqlite_utils.Database,
    fmt: str,
    output: str,
    *,
    current: bool = False,
    force: bool = False,
    stream: BinaryIO | None = None,
) -> dict[str, int]:
    """Write the archive as csv (a folder), json, jsonl or warc (a file) at output; returns
    counts. Every format is written as it is read, in memory flat in the archive's size.

    With `stream` (for `--output -`) json, jsonl and warc go there instead. An export that holds
    nothing never replaces a non-empty earlier one unless `force`.
    """
    if fmt not in FORMATS:
        raise ExportError(f"export format should be one of {', '.join(FORMATS)}, got {fmt!r}")
    if stream is not None:
        if fmt == "csv":
            raise ExportError(
                "csv export writes a folder; --output - works for json, jsonl and warc"
            )
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
    if fmt in ("json", "jsonl"):
        return _write_json(db, f, current, lines=fmt == "jsonl")
    return _write_warc(db, f, name)


def _is_empty(fmt: str, counts: dict[str, int]) -> bool:
    return counts.get("responses" if fmt == "warc" else "recommendations", 0) == 0


def _holds_data(target: Path) -> bool:
    if target.is_dir():
        return any(p.is_file() and p.stat().st_size > 0 for p in target.iterdir())
    return target.is_file() and target.stat().st_size > 0


# csv and json -------------------------------------------------------------------------------
#
# Every query streams from its cursor: rows go to the file as SQLite yields them, so what an
# export holds in memory is one recommendation (json, jsonl) or one row (csv), never the archive.

# Recommendations in export order; the history queries join the view and sort alike, so the
# three streams run in step and each recommendation's versions follow it (_grouped).
REC_ORDER = "r.rec_id IS NULL, r.rec_id, r.url"


def _recommendations(db: sqlite_utils.Database, extra: str = "") -> tuple[list[str], Iterator]:
    cursor = db.execute(f"SELECT r.*{extra} FROM recommendations r ORDER BY {REC_ORDER}")
    return [c[0] for c in cursor.description], iter(cursor)


def _has_recommendations(db: sqlite_utils.Database) -> bool:
    return db.execute("SELECT EXISTS (SELECT 1 FROM recommendations)").fetchone()[0] == 1


def _log_entries(db: sqlite_utils.Database, order: str) -> Iterator[dict[str, Any]]:
    return db.query(
        f"""SELECT le.url, le.rec_id, {", ".join(f"le.{c}" for c in LOG_COLUMNS)}
            FROM log_entries le JOIN recommendations r ON r.url = le.url
            ORDER BY {order}, le.seq"""
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
    if not _has_recommendations(db) and not force and target.is_dir() and _holds_data(target):
        raise ExportError(
            f"the export is empty and {target} holds an earlier one: not replaced "
            "(is --db the right archive? --force replaces it anyway)"
        )
    log_columns = ["url", "rec_id", *LOG_COLUMNS]
    counts: dict[str, int] = {}
    with _replacing_folder(target) as folder:
        columns, recs = _recommendations(db)
        counts["recommendations"] = _write_csv(folder / "recommendations.csv", columns, recs)
        log = _log_entries(db, "le.rec_id IS NULL, le.rec_id, le.url")
        counts["status_events"] = _write_csv(
            folder / "status_events.csv", log_columns, ([e[c] for c in log_columns] for e in log)
        )
        if not current:
            counts["versions"] = _write_csv(
                folder / "versions.csv",
                VERSION_COLUMNS,
                ([v[c] for c in VERSION_COLUMNS] for v in _versions(db)),
            )
            counts["version_logs"] = _write_csv(
                folder / "version_logs.csv",
                VERSION_LOG_COLUMNS,
                ([e[c] for c in VERSION_LOG_COLUMNS] for e in _version_logs(db)),
            )
    return counts


def _versions(db: sqlite_utils.Database, of_recommendations: bool = False) -> Iterator[dict]:
    """Every parsed version of every recommendation page, in id, url and version order; with
    `of_recommendations`, those of the recommendations view's pages, in its export order."""
    columns = """s.url, rv.rec_id, rv.force, s.version, s.id AS snapshot_id, s.captured_at,
                 s.last_seen_at, s.source, s.source_url, s.imported_at, s.http_status,
                 rv.report_title, rv.rec_type,
                 rv.cause_of_concern, rv.text, rv.current_status, rv.status_date,
                 rv.has_404_banner, rv.parse_warnings, rv.page_kind, rv.force_name,
                 rv.reference, rv.report_url, rv.published_on, rv.themes"""
    if of_recommendations:
        return db.query(
            f"""SELECT {columns} FROM recommendations r
                JOIN snapshots s ON s.url = r.url
                JOIN recommendation_versions rv ON rv.snapshot_id = s.id
                ORDER BY {REC_ORDER}, s.version"""
        )
    return db.query(
        f"""SELECT {columns}
            FROM snapshots s
            JOIN recommendation_versions rv ON rv.snapshot_id = s.id
            JOIN pages p ON p.url = s.url
            WHERE p.kind = 'recommendation'
            ORDER BY rv.rec_id IS NULL, rv.rec_id, s.url, s.version"""
    )


def _version_logs(db: sqlite_utils.Database, of_recommendations: bool = False) -> Iterator[dict]:
    """Every log entry of every version: each log as it stood when that version was live."""
    columns = """s.url, rv.rec_id, s.version, s.id AS snapshot_id, e.seq, e.on_date,
                 e.raw_date, e.kind, e.status, e.comment"""
    if of_recommendations:
        return db.query(
            f"""SELECT {columns} FROM recommendations r
                JOIN snapshots s ON s.url = r.url
                JOIN recommendation_versions rv ON rv.snapshot_id = s.id
                JOIN status_events e ON e.snapshot_id = s.id
                ORDER BY {REC_ORDER}, s.version, e.seq"""
        )
    return db.query(
        f"""SELECT {columns}
            FROM status_events e
            JOIN snapshots s ON s.id = e.snapshot_id
            JOIN recommendation_versions rv ON rv.snapshot_id = s.id
            JOIN pages p ON p.url = s.url
            WHERE p.kind = 'recommendation'
            ORDER BY rv.rec_id IS NULL, rv.rec_id, s.url, s.version, e.seq"""
    )


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write rows as they come; returns how many."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(row)
            count += 1
        f.flush()
        os.fsync(f.fileno())
    return count


class _Grouped:
    """Rows of a stream sorted like the recommendations, handed out one url at a time."""

    def __init__(self, rows: Iterator[dict[str, Any]], key: str = "url") -> None:
        self.rows, self.key = rows, key
        self.head: dict[str, Any] | None = next(rows, None)

    def take(self, value: Any) -> list[dict[str, Any]]:
        out = []
        while self.head is not None and self.head[self.key] == value:
            out.append(self.head)
            self.head = next(self.rows, None)
        return out


def _history_records(db: sqlite_utils.Database, counts: dict[str, int]) -> Iterator[dict]:
    """Current recommendations, each with every version and the log as it stood in each."""
    columns, recs = _recommendations(db)
    versions = _Grouped(_versions(db, of_recommendations=True))
    logs = _Grouped(_version_logs(db, of_recommendations=True), key="snapshot_id")
    for row in recs:
        rec = dict(zip(columns, row, strict=True))
        if isinstance(rec.get("parse_warnings"), str):
            rec["parse_warnings"] = json.loads(rec["parse_warnings"])
        rec["versions"] = []
        for v in versions.take(rec["url"]):
            v = {k: value for k, value in v.items() if k not in ("url", "rec_id")}
            v["parse_warnings"] = json.loads(v["parse_warnings"] or "[]")
            if isinstance(v["themes"], str):
                v["themes"] = json.loads(v["themes"])
            v["log"] = [
                {c: e[c] for c in ("seq", "on_date", "raw_date", "kind", "status", "comment")}
                for e in logs.take(v["snapshot_id"])
            ]
            counts["versions"] += 1
            counts["version_logs"] += len(v["log"])
            rec["versions"].append(v)
        counts["recommendations"] += 1
        yield rec


def _current_records(db: sqlite_utils.Database, counts: dict[str, int]) -> Iterator[dict]:
    """Current recommendations, each with its number of versions and its current log."""
    columns, recs = _recommendations(
        db, ", (SELECT COUNT(*) FROM snapshots s WHERE s.url = r.url) AS _versions"
    )
    logs = _Grouped(_log_entries(db, REC_ORDER))
    for row in recs:
        rec = dict(zip(columns, row, strict=True))
        if isinstance(rec.get("parse_warnings"), str):
            rec["parse_warnings"] = json.loads(rec["parse_warnings"])
        rec["versions"] = rec.pop("_versions")
        rec["log"] = [{c: e[c] for c in LOG_COLUMNS} for e in logs.take(rec["url"])]
        counts["recommendations"] += 1
        counts["status_events"] += len(rec["log"])
        yield rec


def _write_json(
    db: sqlite_utils.Database, f: BinaryIO, current: bool, lines: bool = False
) -> dict[str, int]:
    """A JSON array (or, `lines`, one JSON object per line) written one record at a time.

    The array reads exactly as json.dumps(records, indent=2) would write it whole."""
    if current:
        counts = {"recommendations": 0, "status_events": 0}
        records = _current_records(db, counts)
    else:
        counts = {"recommendations": 0, "versions": 0, "version_logs": 0}
        records = _history_records(db, counts)
    if lines:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False).encode("utf-8") + b"\n")
        return counts
    first = True
    for rec in records:
        text = json.dumps(rec, indent=2, ensure_ascii=False)
        # Strings never hold a raw newline in JSON: every line break is the layout's.
        body = "\n".join("  " + line for line in text.split("\n"))
        f.write((("[\n" if first else ",\n") + body).encode("utf-8"))
        first = False
    f.write(b"[]\n" if first else b"\n]\n")
    return counts


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
    # Bodies are read one at a time by id: sorting rows that carry them would make SQLite's
    # sorter hold (or spill) every body of the archive.
    responses = db.query(
        """SELECT 'response' AS type, captured_at AS at, id AS snapshot_id, url, version,
                  captured_at, content_sha256, http_status, content_type, source, source_url
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
    # snapshot id -> body length, for the revisits' headers: the latest few thousand only
    # (a revisit mostly follows its response closely), the rest read again when asked.
    lengths: OrderedDict[int, int] = OrderedDict()
    order = {"response": 0, "revisit": 1, "missing": 2}
    for r in heapq.merge(responses, revisits, missing, key=lambda r: (r["at"], order[r["type"]])):
        if r["type"] == "missing":
            writer.write_record(_missing_record(writer, r))
            counts["missing"] += 1
            continue
        response_id = _record_id(r["url"], r["version"], r["content_sha256"])
        if r["type"] == "response":
            body = _body(db, r["snapshot_id"])
            lengths[r["snapshot_id"]] = len(body)
            if len(lengths) > LENGTHS_KEPT:
                lengths.popitem(last=False)
            provenance = {}
            if r["source"] not in (None, "live"):
                # A capture imported from a web archive says where it was read.
                provenance = {"HMICFRS-Source": r["source"]}
                if r["source_url"]:
                    provenance["HMICFRS-Source-URI"] = r["source_url"]
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
                    **provenance,
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


def _body(db: sqlite_utils.Database, snapshot_id: int) -> bytes:
    row = db.execute(
        "SELECT body, body_compression FROM snapshots WHERE id = ?", [snapshot_id]
    ).fetchone()
    return decompress(row[0], row[1])


def _body_length(db: sqlite_utils.Database, snapshot_id: int) -> int:
    return len(_body(db, snapshot_id))


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
