"""The discovery walk: every sitemap (robots.txt's and config's) and every listing, followed
through sitemap indexes and listing pagination, noting each recommendation URL found.

It decides only where to go next. Fetching a page (or reading it back from the archive when
this discovery cycle already fetched it) and recording it are the run loop's, handed in as
`fetch_page`; noting what was found is `note`; whether to stop is `stopping`. Tests give it
fakes of all three and no server.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scraper import discover
from scraper.identity import Identify, PageIdentity
from scraper.parse import ParsedPage, parse_page
from store.archive import Discovered
from store.states import PageKind

logger = logging.getLogger(__name__)

MAX_LISTING_PAGES = 2000
MAX_SITEMAPS = 200

# (text, parse) of a discovery page (a sitemap's as bytes: it may be gzip); (None, None)
# when it has nothing to offer.
FetchPage = Callable[[PageIdentity], tuple[str | bytes | None, ParsedPage | None]]


class IdSet:
    """A set of recommendation ids that stays small however many a backfill or listing names:
    a bitmap for ids up to 2**24 (2 MB at most, 13 kB for 100,000), a set for any larger."""

    _BITMAP_LIMIT = 1 << 24

    def __init__(self) -> None:
        self._bits = bytearray()
        self._large: set[int] = set()
        self._count = 0

    def add(self, rec_id: int) -> None:
        if not 0 <= rec_id < self._BITMAP_LIMIT:
            if rec_id not in self._large:
                self._large.add(rec_id)
                self._count += 1
            return
        byte, bit = divmod(rec_id, 8)
        if byte >= len(self._bits):
            self._bits.extend(bytes(max(byte + 1 - len(self._bits), len(self._bits))))
        if not self._bits[byte] >> bit & 1:
            self._bits[byte] |= 1 << bit
            self._count += 1

    def __contains__(self, rec_id: object) -> bool:
        if not isinstance(rec_id, int):
            return False
        if not 0 <= rec_id < self._BITMAP_LIMIT:
            return rec_id in self._large
        byte, bit = divmod(rec_id, 8)
        return byte < len(self._bits) and bool(self._bits[byte] >> bit & 1)

    def __len__(self) -> int:
        return self._count


@dataclass
class Walked:
    """What a walk found: listed ids, the listed ids that came without a link, and whether it
    completed ("complete") or why it was cut short."""

    listed_ids: IdSet = field(default_factory=IdSet)
    unlinked: dict[int, PageIdentity] = field(default_factory=dict)
    status: str = "complete"
    # The sitemaps read, and the listings read to their last page, in this walk: what
    # no longer names a page it used to name is evidence only from these.
    sitemaps_read: set[str] = field(default_factory=set)
    listings_read: set[str] = field(default_factory=set)


class DiscoveryWalk:
    """Walks sitemaps and listings once; `walk` returns what it found."""

    def __init__(
        self,
        fetch_page: FetchPage,
        note: Callable[[Sequence[Discovered]], None],
        identify: Identify,
        allowed_hosts: Iterable[str],
        stopping: Callable[[], str | None],
    ) -> None:
        self.fetch_page = fetch_page
        self.note = note
        self.identify = identify
        self.allowed_hosts = frozenset(h.lower() for h in allowed_hosts)
        self.stopping = stopping
        self.found = Walked()
        self._seen: set[str] = set()

    def walk(self, sitemaps: Sequence[str], listings: Sequence[str]) -> Walked:
        self._sitemaps(sitemaps)
        for listing in listings:
            self._listing(listing)
        return self.found

    def _cut_short(self) -> bool:
        if self.found.status != "complete":
            return True
        reason = self.stopping()
        if reason is not None:
            self.found.status = reason
        return reason is not None

    def _on_site(self, url: str) -> bool:
        return (urlsplit(url).hostname or "").lower() in self.allowed_hosts

    def _fetch(self, url: str, kind: PageKind) -> tuple[str | bytes | None, ParsedPage | None]:
        page = self.identify(url, kind)
        if page.url in self._seen or not self._on_site(page.url):
            return None, None
        self._seen.add(page.url)
        return self.fetch_page(page)

    def _sitemaps(self, roots: Sequence[str]) -> None:
        queue = list(roots)
        walked = 0
        while queue and walked < MAX_SITEMAPS and not self._cut_short():
            url = queue.pop(0)
            text, _ = self._fetch(url, PageKind.SITEMAP)
            if text is None:
                continue
            walked += 1
            links = discover.parse_sitemap(text, url)
            if links.note:
                logger.warning("sitemap %s: %s", url, links.note)
            else:
                self.found.sitemaps_read.add(self.identify(url, PageKind.SITEMAP).url)
            queue.extend(links.sitemaps)
            lastmods = dict(links.lastmods)
            source = self.identify(url, PageKind.SITEMAP).url
            self._note(links.pages, via="sitemap", source=source, lastmods=lastmods)

    def _listing(self, url: str) -> None:
        next_url: str | None = url
        pages = 0
        root = discover.listing_root(self.identify(url, PageKind.LISTING).url)
        while next_url and pages < MAX_LISTING_PAGES and not self._cut_short():
            text, parsed = self._fetch(next_url, PageKind.LISTING)
            if parsed is None and isinstance(text, str):
                parsed = parse_page(text, discover.canonical_url(next_url))
            if parsed is None:
                return
            pages += 1
            for entry in parsed.listing_entries:
                if entry.rec_id is None:
                    continue
                self.found.listed_ids.add(entry.rec_id)
                if not entry.url:
                    self.found.unlinked.setdefault(entry.rec_id, self.identify.of_id(entry.rec_id))
            urls = [e.url for e in parsed.listing_entries if e.url]
            self._note(urls, via="listing", source=root)
            next_url = parsed.next_page
        if not next_url and pages and self.found.status == "complete":
            self.found.listings_read.add(root)

    def _note(
        self,
        urls: Iterable[str],
        via: str,
        source: str | None = None,
        lastmods: dict[str, str] | None = None,
    ) -> None:
        found = []
        for url in urls:
            page = self.identify(url, PageKind.OTHER)
            if not page.is_recommendation_url or not self._on_site(page.url):
                continue  # about-us, publications, ...: not ours to archive
            home = self.identify.home_host
            lastmod = lastmods.get(url) if lastmods else None
            found.append(
                Discovered(page.url, page.kind, page.rec_id, page.force, via, home, source, lastmod)
            )
            if via == "listing" and page.rec_id is not None:
                self.found.listed_ids.add(page.rec_id)
        self.note(found)
