"""What a fetch brought back, as plain data: the requests sent, the result, the text.

Attempt and FetchResult are made by fetch (the network module) and read by observe, crawl
and the store's callers; decode_text turns stored or fetched bytes into text. Pure: no httpx,
no sqlite, no clock, so `import scraper.reparse` loads no network code.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from enum import StrEnum


class FetchOutcome(StrEnum):
    """How asking for one URL ended, as fetch reports it."""

    OK = "ok"
    NOT_MODIFIED = "not_modified"
    REDIRECT_OFFSITE = "redirect_offsite"
    REDIRECT_LOOP = "redirect_loop"
    TOO_LARGE = "too_large"
    ERROR = "error"
    ROBOTS_DISALLOWED = "robots_disallowed"


# The error of a 2xx answer with no body at all: the fetch layer's and a capture's, read by
# observe (the page's own error) and by scraper.interstitials (the same no-page everywhere).
EMPTY_BODY = "empty body"


@dataclass(frozen=True)
class Attempt:
    """One HTTP request actually sent; every one becomes a row in `fetches`."""

    url: str
    requested_at: str  # ISO 8601 UTC with milliseconds, from the injected `now`
    http_status: int | None
    final_url: str | None  # the URL that answered (we follow redirects ourselves: == url)
    elapsed_ms: int
    bytes: int  # body bytes received on the wire (before Content-Encoding decoding)
    error: str | None  # None if a response was read in full and is not a failure
    retried: bool  # True if a retry of this same request followed it (not a redirect hop)


@dataclass(frozen=True)
class FetchResult:
    """What came of asking for one URL, with every request sent on the way."""

    url: str
    outcome: FetchOutcome
    http_status: int | None  # of the last request sent (None if it got no answer)
    final_url: str | None  # after redirects; for redirect_offsite/_loop the target not fetched
    body: bytes | None  # only for "ok": bytes as sent, Content-Encoding decoded
    text: str | None
    encoding: str | None
    etag: str | None  # validators only for ok / not_modified
    last_modified: str | None
    content_type: str | None
    error: str | None
    attempts: tuple[Attempt, ...]
    # The validators this request sent (a 304 speaks only of the body they came with).
    sent_etag: str | None = None
    sent_last_modified: str | None = None


# How far into a body to look for <meta charset> or an XML declaration (HTML's prescan uses
# 1024 bytes; WordPress themes put a lot before the meta tag, so look further).
_SNIFF_BYTES = 4096


def decode_text(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """Decode a body to (text, codec name): BOM, header charset, meta/XML charset, UTF-8.

    A byte-order mark outranks any declaration, as in browsers. Undecodable bytes become
    U+FFFD and unknown charset names fall through to the next source, so this never raises.
    """
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace"), codec
    codec = _codec(_header_charset(content_type)) or _codec(_sniffed_charset(body)) or "utf-8"
    return body.decode(codec, errors="replace"), codec


def _header_charset(content_type: str | None) -> str | None:
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)""", re.I)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


def _sniffed_charset(body: bytes) -> str | None:
    head = body[:_SNIFF_BYTES]
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii") if match else None


def _codec(label: str | None) -> str | None:
    """A Python codec name for a charset label, or None if the label names no codec."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().lower()).name
    except (LookupError, ValueError):
        return None
    # WHATWG Encoding: pages labelled latin-1 or ascii are decoded as windows-1252, because
    # that is what their authors' tools wrote (curly quotes at 0x91-0x94, not C1 controls).
    if name in {"latin-1", "iso8859-1", "ascii"}:
        return "cp1252"
    return name
