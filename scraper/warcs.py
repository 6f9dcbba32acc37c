"""WARC (and ARC) files as captures, read with warcio, in capture-time order.

Response records are captures; a revisit record is a capture whose bytes are those of the
record it refers to (by WARC-Refers-To, else by payload digest, else by target URI and date);
request, metadata, warcinfo and resource records are not responses of the site and are
skipped. A file is read twice: once to index its records (offsets, dates, digests, no
bodies), then record by record in time order, so memory holds one body at a time whatever
the file's size. A record with WARC-Truncated is an incomplete capture, never content.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from scraper.capture import Capture
from scraper.errors import UsageError
from store.captures import CaptureRow


@dataclass(frozen=True)
class _Entry:
    captured_at: str
    file_index: int
    offset: int
    rec_type: str
    uri: str
    record_id: str
    refers_to: str | None
    digest: str | None
    refers_uri: str | None
    refers_date: str | None


def warc_time(text: str | None) -> str:
    """A WARC-Date (or an ARC 14-digit date) as ISO 8601 UTC with milliseconds."""
    value = (text or "").strip()
    if value.isdigit() and len(value) == 14:
        moment = datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _iterate(path: Path, file: object) -> ArchiveIterator:
    return ArchiveIterator(file, arc2warc=True, ensure_http_headers=False)


def _index(paths: Sequence[Path]) -> list[_Entry]:
    entries: list[_Entry] = []
    for i, path in enumerate(paths):
        try:
            with open(path, "rb") as file:
                records = _iterate(path, file)
                for record in records:
                    if record.rec_type not in ("response", "revisit"):
                        continue
                    h = record.rec_headers
                    uri = h.get_header("WARC-Target-URI") or ""
                    if not uri.startswith(("http://", "https://")):
                        continue  # dns:, whois:, screenshots
                    entries.append(
                        _Entry(
                            warc_time(h.get_header("WARC-Date")),
                            i,
                            records.get_record_offset(),
                            record.rec_type,
                            uri,
                            h.get_header("WARC-Record-ID")
                            or f"offset:{records.get_record_offset()}",
                            h.get_header("WARC-Refers-To"),
                            h.get_header("WARC-Payload-Digest"),
                            h.get_header("WARC-Refers-To-Target-URI"),
                            h.get_header("WARC-Refers-To-Date"),
                        )
                    )
        except (ArchiveLoadFailed, ValueError, OSError) as e:
            raise UsageError(f"{path}: not a readable WARC or ARC file ({e})") from e
    return entries


def _read(path: Path, offset: int, limit: int) -> tuple[int, dict[str, str], bytes, str | None]:
    """(status, headers, body up to limit + 1 bytes, truncated why) of the record at offset."""
    with open(path, "rb") as file:
        file.seek(offset)
        record = next(iter(_iterate(path, file)))
        status, headers = 0, {}
        if record.http_headers is not None:
            status = int(record.http_headers.get_statuscode() or 0)
            headers = {k.lower(): v for k, v in record.http_headers.headers}
        body = record.content_stream().read(limit + 1)
        why = record.rec_headers.get_header("WARC-Truncated")
    truncated = f"truncated capture (WARC-Truncated: {why})" if why else None
    return status, headers, body, truncated


def warc_captures(
    paths: Sequence[str | Path],
    max_page_bytes: int,
    skip: Callable[[str], bool] = lambda source_url: False,
) -> Iterator[tuple[CaptureRow, Capture]]:
    """Every response and resolved revisit of the files, oldest first (ties: file order);
    records whose source_url `skip` names are not read."""
    files = [Path(p) for p in paths]
    for path in files:
        if not path.is_file():
            raise UsageError(f"{path}: no such file")
    entries = _index(files)
    by_id = {e.record_id: e for e in entries if e.rec_type == "response"}
    by_digest = {e.digest: e for e in entries if e.rec_type == "response" and e.digest}
    by_capture = {(e.uri, e.captured_at): e for e in entries if e.rec_type == "response"}
    for e in sorted(entries, key=lambda e: (e.captured_at, e.file_index, e.offset)):
        row = CaptureRow("warc", f"{files[e.file_index].name}#{e.record_id}", e.uri, e.captured_at)
        if skip(row.source_url):
            continue
        status, headers, body, truncated = _read(files[e.file_index], e.offset, max_page_bytes)
        if e.rec_type == "revisit":
            original = by_id.get(e.refers_to or "") or by_digest.get(e.digest or "")
            if original is None and e.refers_date:
                original = by_capture.get((e.refers_uri or e.uri, warc_time(e.refers_date)))
            if original is None:
                truncated = "revisit record whose original is not in these files"
                body = b""
            else:
                first = _read(files[original.file_index], original.offset, max_page_bytes)
                if status in (0, 304):
                    status, headers = first[0], first[1]
                body, truncated = first[2], truncated or first[3]
        capture = Capture(
            url=e.uri,
            captured_at=e.captured_at,
            http_status=status,
            body=body,
            content_type=headers.get("content-type"),
            location=headers.get("location"),
            truncated=truncated,
        )
        yield replace(row, http_status=status), capture
