"""The Wayback Machine's CDX API and memento URLs, as pure functions (no I/O).

The CDX server lists captures of a URL (or a URL prefix) sorted by URL then time. Asked with
`output=json&showResumeKey=true&limit=N`, it answers a JSON array: a header row of field names,
one row per capture, and, when more remain, an empty row and a row holding the resume key to
ask the next page with (`resumeKey=`). A capture's original bytes are its `id_` memento:
`<base>/web/<14-digit timestamp>id_/<original URL>` (no rewriting, no banner). The requests
themselves go through scraper.fetch, like every other request.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from scraper.errors import HmicfrsError

FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
_TIMESTAMP = re.compile(r"^\d{14}$")
_MEMENTO = re.compile(r"^(?:https?://[^/]+)?/web/(\d{1,14})(?:[a-z]{2}_)?/(.+)$")


class CdxError(HmicfrsError):
    """The CDX API answered something that is not a page of captures."""


@dataclass(frozen=True)
class CdxRow:
    """One capture as the CDX API lists it."""

    timestamp: str  # 14 digits, UTC
    original: str
    mimetype: str | None
    statuscode: int | None  # None for "-" (a revisit or a warcinfo)
    digest: str | None


@dataclass(frozen=True)
class CdxPage:
    rows: tuple[CdxRow, ...]
    resume_key: str | None  # None: this was the last page


def cdx_url(
    base_url: str,
    url: str,
    *,
    prefix: bool,
    limit: int,
    resume_key: str | None = None,
    from_ts: str | None = None,
    to_ts: str | None = None,
) -> str:
    """The CDX query for one page of captures of `url` (or every URL under it)."""
    params = [
        ("url", url),
        ("matchType", "prefix" if prefix else "exact"),
        ("output", "json"),
        ("fl", ",".join(FIELDS)),
        ("showResumeKey", "true"),
        ("limit", str(limit)),
    ]
    if from_ts:
        params.append(("from", from_ts))
    if to_ts:
        params.append(("to", to_ts))
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{base_url.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def parse_cdx_page(text: str, where: str) -> CdxPage:
    """One JSON page of the CDX API; CdxError naming `where` when it is not one."""
    try:
        data = json.loads(text) if text.strip() else []
    except ValueError as e:
        raise CdxError(f"{where}: the CDX API answered something that is not JSON ({e})") from e
    if not isinstance(data, list) or not all(isinstance(r, list) for r in data):
        raise CdxError(f"{where}: the CDX API answered JSON that is not a list of rows")
    if not data:
        return CdxPage((), None)
    header, body = data[0], data[1:]
    resume_key = None
    if len(body) >= 2 and body[-2] == [] and len(body[-1]) == 1:
        resume_key = str(body[-1][0]) or None
        body = body[:-2]
    missing = [f for f in ("timestamp", "original") if f not in header]
    if missing:
        raise CdxError(f"{where}: the CDX header row lacks {', '.join(missing)}: {header!r}")
    index = {name: i for i, name in enumerate(header)}
    rows = []
    for n, row in enumerate(body, 1):
        if len(row) != len(header):
            raise CdxError(f"{where}: row {n} has {len(row)} fields, the header {len(header)}")

        def field(name: str, row: list = row) -> str | None:
            i = index.get(name)
            value = row[i] if i is not None else None
            return None if value in (None, "", "-") else str(value)

        timestamp = field("timestamp") or ""
        if not _TIMESTAMP.match(timestamp):
            raise CdxError(f"{where}: row {n} has a bad timestamp {timestamp!r}")
        status = field("statuscode")
        rows.append(
            CdxRow(
                timestamp=timestamp,
                original=field("original") or "",
                mimetype=field("mimetype"),
                statuscode=int(status) if status and status.isdigit() else None,
                digest=field("digest"),
            )
        )
    return CdxPage(tuple(rows), resume_key)


def memento_url(base_url: str, timestamp: str, original: str) -> str:
    """The `id_` memento of a capture: its bytes as the site sent them."""
    return f"{base_url.rstrip('/')}/web/{timestamp}id_/{original}"


def original_of(url: str) -> str:
    """The original URL inside a memento URL (as a redirect's Location has it), or `url`."""
    m = _MEMENTO.match(url)
    if m is None:
        return url
    rest = m.group(2)
    # The archive writes "http:/x" for "http://x" in some paths.
    return re.sub(r"^(https?):/(?!/)", r"\1://", rest)


def iso_of(timestamp: str) -> str:
    """A 14-digit Wayback timestamp as ISO 8601 UTC text."""
    t = timestamp
    return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}.000Z"


def cdx_time(date: str | None, *, end: bool = False) -> str | None:
    """--from/--to (YYYY, YYYY-MM-DD or an ISO time) as a CDX timestamp (a prefix is fine:
    the API reads 2016 as the whole year)."""
    if date is None:
        return None
    digits = re.sub(r"[^0-9]", "", date.split("+")[0].removesuffix("Z"))[:14]
    if len(digits) not in (4, 6, 8, 10, 12, 14):
        raise CdxError(f"not a date: {date!r} (use YYYY, YYYY-MM-DD or an ISO 8601 time)")
    return digits
