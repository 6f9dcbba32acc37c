"""URL rules and link discovery: sitemaps, listing pagination, page links, recommendation URLs.

This module owns every rule about what a URL means on the site: which URLs are recommendation
pages (and their force slug and id), how a URL is written canonically, how an id becomes a URL for
a backfill, which links a page or sitemap offers and where a listing's next page is.

It is pure: text in, plain data out. It must not import httpx, sqlite, a clock or click, must not
import scraper.parse (parse imports this module), and never raises on bad input.
"""

from __future__ import annotations

import html as htmllib
import io
import re
import xml.etree.ElementTree as ET
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import defusedxml.ElementTree as DefusedET
from defusedxml import DefusedXmlException
from selectolax.lexbor import LexborHTMLParser

__all__ = [
    "SitemapLinks",
    "canonical_url",
    "id_from_query",
    "id_url",
    "is_recommendation_url",
    "listing_next_page",
    "listing_root",
    "next_page_from_tree",
    "page_links",
    "page_number",
    "parse_sitemap",
    "recommendation_key",
    "sitemaps_from_robots",
]

_DEFAULT_PORTS = {"http": 80, "https": 443}

# The old host serves the site under /hmicfrs/, the current host at the root.
_REC_PATH_RE = re.compile(
    r"^/(?:hmicfrs/)?recommendation/([a-z0-9_-]+)/(0*[0-9]{1,9})/?$", re.IGNORECASE | re.ASCII
)

# WordPress post-id query keys (/?p=<id>, ?page_id=<id>, ?post=<id>)
_ID_QUERY_KEYS = ("p", "page_id", "post")


@dataclass(frozen=True)
class SitemapLinks:
    """The links one sitemap document offers."""

    pages: tuple[str, ...]  # <urlset><url><loc>
    sitemaps: tuple[str, ...]  # <sitemapindex><sitemap><loc>
    note: str | None = field(default=None, compare=False)  # why it was cut short or refused
    # (page link, <lastmod> text) for each <url> that carries a lastmod, in document order.
    lastmods: tuple[tuple[str, str], ...] = field(default=(), compare=False)


# Query keys that only say where a visitor came from (campaign and click trackers): never
# part of what a page is. Compared lower-case; utm_* by prefix.
_TRACKING_KEYS = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid",
        "twclid", "ttclid", "li_fat_id", "igshid", "mc_cid", "mc_eid", "_ga", "_gl",
        "_hsenc", "_hsmi", "hsctatracking", "mkt_tok", "oly_anon_id", "oly_enc_id",
        "vero_id", "rb_clickid", "s_cid", "wt.mc_id", "cmpid", "ref_src",
    }
)  # fmt: skip


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key.startswith(("utm_", "utm-")) or key in _TRACKING_KEYS


def _without_tracking(query: str) -> str:
    """The query with tracking parameters dropped; kept byte for byte when it has none."""
    if not query:
        return query
    pairs = query.split("&")
    kept = [p for p in pairs if p and not _is_tracking(p.partition("=")[0])]
    return query if len(kept) == len(pairs) else "&".join(kept)


def canonical_url(url: str) -> str:
    """Canonical spelling of a URL, one that still answers: lower-case scheme and host, no
    user name or password (never stored, never sent), no default port, no fragment, no
    tracking parameters (utm_*, fbclid, gclid, ...).

    A recommendation page URL is spelt /hmicfrs/recommendation/<force>/<id>/ (or without the
    /hmicfrs prefix, as its host has it) in lower case, the id without leading zeros, with
    its trailing slash and no query: WordPress answers every such spelling with one page.
    The spellings that cannot be folded without changing what is fetched (http or https,
    `www.`, the old host or the new) share one `recommendation_key`, which is what the
    archive keys a recommendation on. A string that is not a parseable URL comes back
    stripped, unchanged otherwise.
    """
    url = url.strip()
    try:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return url
    if not scheme or not parts.netloc:
        path, query = parts.path, _without_tracking(parts.query)
        rec = _rec_path(path)
        if rec is not None:
            path, query = rec, ""
        return urlunsplit((scheme, parts.netloc, path, query, ""))
    netloc = host
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]"  # IPv6 literal
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{netloc}:{port}"
    path = parts.path or "/"
    query = _without_tracking(parts.query)
    rec = _rec_path(path)
    if rec is not None:
        path, query = rec, ""
    return urlunsplit((scheme, netloc, path, query, ""))


def _rec_path(path: str) -> str | None:
    """The canonical spelling of a recommendation page's path, or None if it is not one."""
    m = _REC_PATH_RE.match(path)
    if m is None:
        return None
    prefix = "/hmicfrs" if path[:9].lower() == "/hmicfrs/" else ""
    return f"{prefix}/recommendation/{m.group(1).lower()}/{int(m.group(2))}/"


@lru_cache(maxsize=4096)  # called several times per page with the same URL
def recommendation_key(url: str) -> tuple[str, int] | None:
    """(force slug, id) for a recommendation page URL on any host, else None.

    This is a recommendation's identity: every spelling of its URL (case, leading zeros,
    tracking parameters, http or https, `www.`, the old host's /hmicfrs/ path or the
    current host's, a trailing slash, a user name) gives the same key.
    """
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    m = _REC_PATH_RE.match(path)
    if m is None:
        return None
    rec_id = int(m.group(2))
    return (m.group(1).lower(), rec_id) if rec_id > 0 else None


def is_recommendation_url(url: str) -> bool:
    """True when the URL is a recommendation page (/hmicfrs/recommendation/<force>/<id>/)."""
    return recommendation_key(url) is not None


@lru_cache(maxsize=4096)
def id_from_query(url: str) -> int | None:
    """The WordPress post id of a /?p=<id> style URL, else None."""
    try:
        query = urlsplit(url.strip()).query
    except ValueError:
        return None
    for key, value in parse_qsl(query):
        if key in _ID_QUERY_KEYS and value.isdigit():
            return int(value)
    return None


def id_url(base_url: str, template: str, rec_id: int) -> str:
    """The URL that should answer for recommendation id `rec_id`, e.g. template "/hmicfrs/?p={id}".

    The template is a path under base_url (an absolute template is used as it is); any path on
    base_url is kept as a prefix, so a fixture site mounted under a path works too.
    """
    filled = template.replace("{id}", str(int(rec_id)))
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", filled):
        return canonical_url(filled)
    return canonical_url(base_url.rstrip("/") + "/" + filled.lstrip("/"))


def _absolute(href: str, base: str) -> str | None:
    """href resolved against base, canonicalised, when it is an http(s) URL; else None."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        absolute = urljoin(base, href)
    except ValueError:
        return None
    if not absolute.lower().startswith(("http://", "https://")):
        return None
    return canonical_url(absolute)


def _base_href(tree: LexborHTMLParser, url: str) -> str:
    node = tree.css_first("base[href]")
    if node is not None:
        href = node.attributes.get("href") or ""
        if href.strip():
            try:
                return urljoin(url, href.strip())
            except ValueError:
                return url
    return url


def page_links(html: str, url: str) -> tuple[str, ...]:
    """Every absolute http(s) link in the page, canonicalised, deduplicated, in page order."""
    try:
        tree = LexborHTMLParser(_as_text(html))
        base = _base_href(tree, url)
        seen: dict[str, None] = {}
        for node in tree.css("a[href], area[href]"):
            link = _absolute(node.attributes.get("href") or "", base)
            if link is not None:
                seen.setdefault(link, None)
        return tuple(seen)
    except Exception:  # pure helper on untrusted input: never raise
        return ()


_PAGED_QUERY_RE = re.compile(r"(?:^|&)paged=(\d+)(?:&|$)")
_PAGED_PATH_RE = re.compile(r"/page/(\d+)/?$")
_NEXT_TEXT_RE = re.compile(
    r"^(?:next(?:\s+(?:page|results|entries|posts|recommendations))?"
    r"|older(?:\s+(?:posts|entries|recommendations|results))?|more(?:\s+results)?)"
    r"[\s»›→>.]*$|^[»›→>]+$",
    re.I,
)


def page_number(url: str) -> int:
    """The listing page number a URL asks for (WordPress `paged=N` or `/page/N/`); 1 if none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return 1
    m = _PAGED_QUERY_RE.search(parts.query) or _PAGED_PATH_RE.search(parts.path)
    return int(m.group(1)) if m else 1


def listing_root(url: str) -> str:
    """A listing page's URL without its page number (`paged=N`, `/page/N/`): the listing
    itself, whichever of its pages is asked for."""
    try:
        parts = urlsplit(url)
        query = "&".join(p for p in parts.query.split("&") if p and p.partition("=")[0] != "paged")
        path = _PAGED_PATH_RE.sub("/", parts.path)
        return urlunsplit((parts.scheme, parts.netloc, path, query, ""))
    except ValueError:
        return url


def _same_listing(a: str, b: str) -> bool:
    """True when two URLs are pages of one listing (same path and query once paging is removed)."""

    def strip(u: str) -> tuple[str, str, str]:
        parts = urlsplit(u)
        query = "&".join(
            f"{k}={v}"
            for k, v in sorted(parse_qsl(parts.query, keep_blank_values=True))
            if k != "paged"
        )
        path = _PAGED_PATH_RE.sub("/", parts.path).rstrip("/")
        return parts.netloc, path, query

    try:
        return strip(a) == strip(b)
    except ValueError:
        return False


def next_page_from_tree(tree: LexborHTMLParser, url: str) -> str | None:
    """The next-page URL of a listing page's DOM, or None (see listing_next_page)."""
    base = _base_href(tree, url)
    here = canonical_url(url)

    def usable(href: str | None) -> str | None:
        link = _absolute(href or "", base)
        return link if link is not None and link != here else None

    # Most explicit first: rel=next, then WordPress's classes, then the link's words.
    for node in tree.css('link[rel~="next" i][href], a[rel~="next" i][href]'):
        link = usable(node.attributes.get("href"))
        if link:
            return link
    for node in tree.css("a.next[href], .nav-previous a[href], .pagination-next a[href]"):
        link = usable(node.attributes.get("href"))
        if link:
            return link
    anchors = tree.css("a[href]")
    for node in anchors:
        words = " ".join(node.text(separator=" ").split())
        if not words:
            words = (node.attributes.get("aria-label") or "").strip()
        if words and _NEXT_TEXT_RE.match(words):
            link = usable(node.attributes.get("href"))
            if link:
                return link
    # Numbered pagination only: the link to page current+1 of this same listing.
    wanted = page_number(here) + 1
    for node in anchors:
        link = usable(node.attributes.get("href"))
        if link and page_number(link) == wanted and _same_listing(link, here):
            return link
    return None


def listing_next_page(html: str | bytes | LexborHTMLParser, url: str) -> str | None:
    """The absolute URL of a listing page's next page (rel=next, WordPress pagination, "Next" /
    "Older" links, or a numbered link to the following page), or None on the last page."""
    try:
        tree = html if isinstance(html, LexborHTMLParser) else LexborHTMLParser(_as_text(html))
        return next_page_from_tree(tree, url)
    except Exception:  # pure helper on untrusted input: never raise
        return None


def _as_text(data: str | bytes | None) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes):
        return data.decode("utf-8", errors="replace")
    return str(data)


# The sitemap protocol's limits (sitemaps.org): at most 50,000 URLs and 50 MB uncompressed
# per file. Past them we keep what came first and say so.
SITEMAP_MAX_URLS = 50_000
SITEMAP_MAX_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_XML_CHUNK = 1024 * 1024


def _sitemap_bytes(data: str | bytes) -> tuple[bytes, str | None]:
    """The sitemap's uncompressed bytes (gzip recognised by its magic bytes, whatever it was
    labelled), cut at SITEMAP_MAX_BYTES, and a note when it was cut or unreadable."""
    if isinstance(data, str):
        raw = data.encode("utf-8", errors="replace")
        if len(raw) > SITEMAP_MAX_BYTES:
            return raw[:SITEMAP_MAX_BYTES], _over_size()
        return raw, None
    if not data.startswith(_GZIP_MAGIC):
        if len(data) > SITEMAP_MAX_BYTES:
            return data[:SITEMAP_MAX_BYTES], _over_size()
        return data, None
    out: list[bytes] = []
    size = 0
    pending = data
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
    try:
        while pending and size <= SITEMAP_MAX_BYTES:
            piece = inflater.decompress(pending, _XML_CHUNK)
            out.append(piece)
            size += len(piece)
            pending = inflater.unconsumed_tail
            if inflater.eof:
                pending = inflater.unused_data
                if not pending.startswith(_GZIP_MAGIC):
                    break
                inflater = zlib.decompressobj(zlib.MAX_WBITS | 16)
            elif not pending and len(piece) == _XML_CHUNK:
                pending = b""
                while size <= SITEMAP_MAX_BYTES:
                    piece = inflater.decompress(b"", _XML_CHUNK)
                    if not piece:
                        break
                    out.append(piece)
                    size += len(piece)
    except zlib.error as exc:
        text = b"".join(out)
        return text, f"gzip stream broken after {len(text)} bytes ({exc})"
    text = b"".join(out)
    if len(text) > SITEMAP_MAX_BYTES:
        return text[:SITEMAP_MAX_BYTES], _over_size()
    return text, None


def _over_size() -> str:
    return f"over the protocol's {SITEMAP_MAX_BYTES // (1024 * 1024)} MB: read the first part"


def _local(tag: str) -> str:
    """An element's name without its namespace ({uri}name or prefix:name)."""
    return tag.rpartition("}")[2].rpartition(":")[2].lower()


class _Collector:
    """Links of a sitemap as they are found, up to the protocol's URL limit."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.pages: dict[str, None] = {}
        self.sitemaps: dict[str, None] = {}
        self.lastmods: dict[str, str] = {}
        self.count = 0
        self.full = False
        self._last_page: str | None = None  # the page link of the <url> being read
        self._pending_lastmod: str | None = None

    def add(self, loc: str, block: str | None, index: bool) -> None:
        self._last_page = None
        if self.full:
            return
        link = _absolute(loc.strip(), self.base_url)
        if link is None:
            return
        is_sitemap = block == "sitemap" or (block is None and index)
        target = self.sitemaps if is_sitemap else self.pages
        if not is_sitemap:
            self._last_page = link
        if link not in target:
            target[link] = None
            self.count += 1
            self.full = self.count >= SITEMAP_MAX_URLS

    def lastmod(self, text: str, block: str | None) -> None:
        """A <lastmod> of the <url> block whose <loc> came last (before or after it)."""
        text = text.strip()
        if block == "url" and text and len(text) <= 40:
            self._pending_lastmod = text
            if self._last_page is not None:
                self.lastmods[self._last_page] = text

    def end_block(self) -> None:
        pending = self._pending_lastmod
        if pending is not None and self._last_page is not None:
            self.lastmods[self._last_page] = pending
        self._pending_lastmod = None
        self._last_page = None


def _parse_xml(data: bytes, found: _Collector) -> str | None:
    """Read a sitemap with a real XML parser (defusedxml: no DTD entities, nothing external),
    streaming; None when the whole document was read, else why it stopped."""
    block: str | None = None
    index = False
    try:
        for event, element in DefusedET.iterparse(io.BytesIO(data), events=("start", "end")):
            name = _local(element.tag)
            if event == "start":
                if name in ("url", "sitemap"):
                    block = name
                elif name == "sitemapindex":
                    index = True
                continue
            if name == "loc":
                found.add("".join(element.itertext()), block, index)
                if found.full:
                    return "full"
            elif name == "lastmod":
                found.lastmod("".join(element.itertext()), block)
            elif name in ("url", "sitemap"):
                found.end_block()
                block = None
                element.clear()  # keep memory flat however long the sitemap
    except DefusedXmlException as exc:
        return f"refused: {type(exc).__name__} (entity or DTD declarations)"
    except ET.ParseError as exc:
        return f"not well-formed XML ({exc})"
    return None


def _scan_lenient(text: str, found: _Collector) -> None:
    """The <loc>s of a sitemap that is not well-formed (cut short, a stray "&"), in one pass
    over the text: every search starts where the last ended, so no input is quadratic."""
    index = bool(_INDEX_RE.search(text[:4096]))
    block: str | None = None
    pos, end = 0, len(text)
    any_tag = False
    while pos < end and not found.full:
        lt = text.find("<", pos)
        if lt < 0:
            break
        if text.startswith("<!--", lt):
            close = text.find("-->", lt + 4)
            pos = end if close < 0 else close + 3
            continue
        gt = text.find(">", lt + 1)
        if gt < 0:
            break
        any_tag = True
        tag = text[lt + 1 : gt].strip()
        closing = tag.startswith("/")
        name = _local(tag.lstrip("/").split(None, 1)[0]) if tag.lstrip("/") else ""
        pos = gt + 1
        if name in ("url", "sitemap"):
            if closing:
                found.end_block()
            block = None if closing else name
        elif name == "loc" and not closing:
            loc, pos = _loc_at(text, pos)
            found.add(htmllib.unescape(loc), block, index)
        elif name == "lastmod" and not closing:
            value, pos = _loc_at(text, pos)
            found.lastmod(htmllib.unescape(value), block)
    if not any_tag and "<" not in text:
        # A plain-text sitemap: one URL per line (sitemaps.org allows it).
        for line in text.splitlines():
            found.add(line, None, False)
            if found.full:
                break


def _loc_at(text: str, pos: int) -> tuple[str, int]:
    """The text of a <loc> opened just before `pos` (CDATA allowed; a loc cut short runs
    to the end of the text), and where scanning goes on."""
    if text.startswith("<![CDATA[", pos):
        close = text.find("]]>", pos + 9)
        if close < 0:
            return text[pos + 9 :], len(text)
        return text[pos + 9 : close], close + 3
    lt = text.find("<", pos)
    if lt < 0:
        return text[pos:], len(text)
    return text[pos:lt], lt


_INDEX_RE = re.compile(r"<(?:[\w.-]+:)?sitemapindex\b", re.I)


def parse_sitemap(xml: str | bytes, base_url: str) -> SitemapLinks:
    """Page and child-sitemap links of a sitemap (urlset or sitemapindex, plain or gzip by its
    magic bytes). Read with a safe streaming XML parser; a document that is not well-formed
    (cut short, a stray "&") is read again by a lenient one-pass scan, so its links still
    count; one that declares entities is refused. At most the protocol's 50,000 URLs and
    50 MB; `note` says when a limit cut it short. Relative locs resolve against base_url;
    only http(s) links are kept."""
    try:
        data, note = _sitemap_bytes(xml or b"")
        found = _Collector(base_url)
        problem = _parse_xml(data, found) if data.lstrip()[:1] == b"<" else "not XML"
        if problem is not None and not problem.startswith("refused") and not found.full:
            found = _Collector(base_url)
            _scan_lenient(data.decode("utf-8", errors="replace"), found)
        if found.full:
            note = f"over the protocol's {SITEMAP_MAX_URLS} URLs: kept the first"
        elif problem is not None and problem.startswith("refused"):
            note = problem
        return SitemapLinks(
            tuple(found.pages), tuple(found.sitemaps), note, tuple(found.lastmods.items())
        )
    except Exception:  # pure helper on untrusted input: never raise
        return SitemapLinks(pages=(), sitemaps=())


_ROBOTS_SITEMAP_RE = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.I | re.M)


def sitemaps_from_robots(robots_txt: str | bytes, base_url: str) -> tuple[str, ...]:
    """The `Sitemap:` URLs of a robots.txt, absolute and canonical, deduplicated, in order."""
    try:
        text = _as_text(robots_txt)
        seen: dict[str, None] = {}
        for m in _ROBOTS_SITEMAP_RE.finditer(text):
            link = _absolute(m.group(1), base_url)
            if link:
                seen.setdefault(link, None)
        return tuple(seen)
    except Exception:  # pure helper on untrusted input: never raise
        return ()
