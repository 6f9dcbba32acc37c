"""The archive for others' tools: CSV and JSON of the current recommendations with their full
logs, and a WARC 1.1 file of every stored capture.

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
from typing import Any

import sqlite_utils
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from store.archive import decompress
from store.errors import ExportError

__all__ = ["ExportError", "export_archive"]

FORMATS = ("csv", "json", "warc")
CSV_FILES = ("recommendations.csv", "status_events.csv")
LOG_COLUMNS = ("seq", "on_date", "kind", "status", "comment", "first_seen_at", "last_seen_at")
REVISITED_OUTCOMES = ("unchanged", "not_modified")
WARC_1_1 = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
# Record ids are name-based UUIDs, so exporting the same archive twice names records alike.
RECORD_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/hmicfrs-archive")


def export_archive(db: sqlite_utils.Database, fmt: str, output: str) -> dict[str, int]:
    """Write the archive as csv (a folder), json or warc (a file) at output; returns counts."""
    if fmt not in FORMATS:
        raise ExportError(f"export format should be one of {', '.join(FORMATS)}, got {fmt!r}")
    target = Path(output)
    if not target.name:
        raise ExportError(f"export output should name a file or folder, got {output!r}")
    if not target.parent.is_dir():
        raise ExportError(f"cannot export to {output}: folder {target.parent} does not exist")
    # One read transaction for the whole export.
    with db.atomic():
        if fmt == "csv":
            return _export_csv(db, target)
        if target.is_dir():
            raise ExportError(f"cannot export {fmt} to {output}: it is a folder")
        with _replacing_file(target) as f:
            if fmt == "json":
                return _write_json(db, f)
            return _write_warc(db, f, target.name)


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


def _export_csv(db: sqlite_utils.Database, target: Path) -> dict[str, int]:
    if target.exists() and not target.is_dir():
        raise ExportError(f"cannot export csv to {target}: it is a file, not a folder")
    if target.is_dir():
        others = sorted(p.name for p in target.iterdir() if p.name not in CSV_FILES)
        if others:
            raise ExportError(
                f"cannot export csv to {target}: the folder holds other files "
                f"({', '.join(others[:3])}); give a new or empty folder"
            )
    columns, recs = _recommendations(db)
    log = _log_entries(db)
    log_columns = ["url", "rec_id", *LOG_COLUMNS]
    with _replacing_folder(target) as folder:
        _write_csv(folder / "recommendations.csv", columns, recs)
        _write_csv(
            folder / "status_events.csv", log_columns, [[e[c] for c in log_columns] for e in log]
        )
    return {"recommendations": len(recs), "status_events": len(log)}


def _write_csv(path: Path, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        writer.writerows(rows)
        f.flush()
        os.fsync(f.fileno())


def _write_json(db: sqlite_utils.Database, f: io.BufferedWriter) -> dict[str, int]:
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


def _write_warc(db: sqlite_utils.Database, f: io.BufferedWriter, filename: str) -> dict[str, int]:
    """A warcinfo record, a response per snapshot and a revisit per unchanged observation.

    Records go in time order. A revisit carries the stored version's status line and headers:
    an unchanged answer, or a 304, confirmed that representation. Payload digests are SHA-256,
    the archive's own content hash, so a revisit's digest comes from the database.
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
                    "version, one revisit record per later visit that found it unchanged."
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
    counts = {"response": 0, "revisit": 0}
    lengths: dict[int, int] = {}  # snapshot id -> body length, for the revisits' headers
    for r in heapq.merge(responses, revisits, key=lambda r: (r["at"], r["type"] == "revisit")):
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
    return {"warcinfo": 1, "responses": counts["response"], "revisits": counts["revisit"]}


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
def _replacing_file(target: Path) -> Iterator[io.BufferedWriter]:
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
