"""The Scrapy baseline: the same job as `hmicfrs crawl`, done the way a Scrapy user would.

Same discovery (robots.txt `Sitemap:` lines -> sitemap index -> urlsets, plus the configured
listings through their pagination), the same parse function (`scraper.parse.parse_page`), and
the same rows written to SQLite: an item pipeline hands `store.archive.Archive` the same
`PageResult` / `ParsedRecord` that `scraper.engine` builds, one transaction per page.

Run as its own process (bench does):

    python -m bench.scrapy_spider --base-url http://127.0.0.1:PORT --db out.sqlite \
        --listing '/hmicfrs/?recommendation-theme=synthetic' --concurrency 8

It prints one JSON line of Scrapy's own counters on stdout when done.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

from scraper import discover
from scraper.fetched import Attempt, FetchOutcome, FetchResult, decode_text
from scraper.identity import Identify
from scraper.observe import observe, target
from scraper.parse import ParsedPage, parse_page
from store.archive import Archive, Discovered, KnownPage, PageResult, format_time
from store.states import PageKind

# The bench archives a fresh database: nothing is known of any page before its visit.
IDENTIFY = Identify("http://127.0.0.1", "/hmicfrs/?p={id}")

USER_AGENT = "hmicfrs-archive-bench/0.1 (Scrapy baseline; +https://github.com/hmicfrs-archive)"


@dataclass(frozen=True)
class DiscoveredBatch:
    """Recommendation URLs one sitemap or listing page offered, for `Archive.note_pages`."""

    pages: tuple[Discovered, ...]


def _header(response: Response, name: str) -> str | None:
    value = response.headers.get(name)
    return value.decode("latin-1") if value is not None else None


def fetch_result(response: Response) -> FetchResult:
    """A Scrapy response as the FetchResult our fetcher would have produced for it."""
    latency = float(response.meta.get("download_latency", 0.0))
    answered = datetime.now(UTC)
    requested_at = format_time(answered - timedelta(seconds=latency))
    attempts = [
        # Scrapy followed these redirects itself; each hop was one request, as in ours.
        Attempt(hop, requested_at, int(status), hop, 0, 0, None, False)
        for hop, status in zip(
            response.meta.get("redirect_urls", ()),
            response.meta.get("redirect_reasons", ()),
            strict=False,
        )
    ]
    body = response.body
    attempts.append(
        Attempt(
            url=response.url,
            requested_at=requested_at,
            http_status=response.status,
            final_url=response.url,
            elapsed_ms=round(latency * 1000),
            bytes=len(body),
            error=None,
            retried=False,
        )
    )
    content_type = _header(response, "Content-Type")
    first_url = attempts[0].url
    if not body and 200 <= response.status < 300:
        outcome, text, encoding, error = FetchOutcome.ERROR, None, None, "empty body"
    else:
        outcome, error = FetchOutcome.OK, None
        text, encoding = decode_text(body, content_type)
    return FetchResult(
        url=first_url,
        outcome=outcome,
        http_status=response.status,
        final_url=response.url,
        body=body if outcome == "ok" else None,
        text=text,
        encoding=encoding,
        etag=_header(response, "ETag"),
        last_modified=_header(response, "Last-Modified"),
        content_type=content_type,
        error=error,
        attempts=tuple(attempts),
    )


def page_result(kind: PageKind, result: FetchResult, parsed: ParsedPage | None) -> PageResult:
    """The PageResult hmicfrs crawl records for the same fetch and parse (scraper.observe)."""
    page = IDENTIFY(result.url, kind)
    page = target(page, result, IDENTIFY)
    return observe(page, result, parsed, KnownPage(), result.attempts[0].requested_at)


class ArchiveSpider(scrapy.Spider):
    """robots.txt -> sitemaps -> recommendation pages, and listings -> recommendation pages."""

    name = "hmicfrs_bench"

    def __init__(self, base_url: str, listings: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")
        self.listings = [self.base_url + "/" + p.lstrip("/") for p in listings]
        self.allowed_hosts = {urlsplit(base_url).hostname}

    # Scrapy >= 2.13 calls start(); older versions call start_requests().
    async def start(self) -> AsyncIterator[scrapy.Request]:
        for request in self.start_requests():
            yield request

    def start_requests(self) -> Iterator[scrapy.Request]:
        yield scrapy.Request(self.base_url + "/robots.txt", callback=self.parse_robots)
        for listing in self.listings:
            yield scrapy.Request(discover.canonical_url(listing), callback=self.parse_listing)

    def parse_robots(self, response: Response) -> Iterator[Any]:
        result = fetch_result(response)
        yield page_result(PageKind.ROBOTS, result, None)
        for sitemap in discover.sitemaps_from_robots(result.text or "", response.url):
            yield scrapy.Request(sitemap, callback=self.parse_sitemap)

    def parse_sitemap(self, response: Response) -> Iterator[Any]:
        result = fetch_result(response)
        recorded = page_result(PageKind.SITEMAP, result, None)
        yield recorded
        if recorded.state != "live" or result.text is None:
            return
        links = discover.parse_sitemap(result.text, response.url)
        for sitemap in links.sitemaps:
            yield scrapy.Request(sitemap, callback=self.parse_sitemap)
        yield from self._pages(links.pages, via="sitemap")

    def parse_listing(self, response: Response) -> Iterator[Any]:
        result = fetch_result(response)
        parsed = None
        if result.outcome == "ok" and result.text is not None:
            parsed = parse_page(result.text, result.url)
        recorded = page_result(PageKind.LISTING, result, parsed)
        yield recorded
        if parsed is None or recorded.state != "live":
            return
        yield from self._pages([e.url for e in parsed.listing_entries if e.url], via="listing")
        if parsed.next_page:
            next_url = discover.canonical_url(parsed.next_page)
            yield scrapy.Request(next_url, callback=self.parse_listing)

    def _pages(self, urls: Any, via: str) -> Iterator[Any]:
        found = []
        for url in urls:
            if urlsplit(url).hostname not in self.allowed_hosts:
                continue
            key = discover.recommendation_key(url)
            if key is None:
                continue
            url = discover.canonical_url(url)
            found.append(Discovered(url, "recommendation", key[1], key[0], via))
        yield DiscoveredBatch(tuple(found))
        for d in found:
            # The dupefilter drops a URL both a sitemap and a listing offered.
            yield scrapy.Request(d.url, callback=self.parse_recommendation)

    def parse_recommendation(self, response: Response) -> Iterator[PageResult]:
        result = fetch_result(response)
        parsed = None
        if result.outcome == "ok" and result.text is not None:
            parsed = parse_page(result.text, response.url)
        yield page_result(PageKind.RECOMMENDATION, result, parsed)


class ArchivePipeline:
    """Writes every page through store.archive.Archive, exactly as hmicfrs crawl does."""

    def __init__(self, db_path: str) -> None:
        self.db_path = db_path
        self.archive: Archive | None = None
        self.run_id = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> ArchivePipeline:
        return cls(crawler.settings.get("BENCH_DB"))

    def open_spider(self, spider: scrapy.Spider | None = None) -> None:
        self.archive = Archive(self.db_path)
        self.run_id = self.archive.start_run("scrapy", os.getpid())

    def close_spider(self, spider: scrapy.Spider | None = None) -> None:
        assert self.archive is not None
        self.archive.finish_run(self.run_id, "ok")
        self.archive.close()

    def process_item(self, item: Any, spider: scrapy.Spider | None = None) -> Any:
        assert self.archive is not None
        if isinstance(item, DiscoveredBatch):
            self.archive.note_pages(item.pages)
        elif isinstance(item, PageResult):
            self.archive.record(self.run_id, item)
        return item


def settings(db_path: str, concurrency: int) -> dict[str, Any]:
    """The settings the brief fixes, plus what makes the job the same as ours."""
    return {
        "BENCH_DB": db_path,
        "ITEM_PIPELINES": {"bench.scrapy_spider.ArchivePipeline": 300},
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "ROBOTSTXT_OBEY": True,
        "AUTOTHROTTLE_ENABLED": False,
        "HTTPCACHE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "USER_AGENT": USER_AGENT,
        # Ours records 404s, 410s and soft 404s; Scrapy drops non-2xx answers unless told.
        "HTTPERROR_ALLOW_ALL": True,
        "DOWNLOAD_MAXSIZE": 5_000_000,
        "DOWNLOAD_TIMEOUT": 5,
        "RETRY_TIMES": 3,
        "TELNETCONSOLE_ENABLED": False,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scrapy_spider")
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--listing", action="append", default=[])
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    process = CrawlerProcess(settings(args.db, args.concurrency))
    crawler = process.create_crawler(ArchiveSpider)
    process.crawl(crawler, base_url=args.base_url, listings=args.listing)
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    counters = {
        "requests": stats.get("downloader/request_count", 0),
        "response_bytes": stats.get("downloader/response_bytes", 0),
        "items": stats.get("item_scraped_count", 0),
        "dupefiltered": stats.get("dupefilter/filtered", 0),
        "finish_reason": stats.get("finish_reason"),
        "seconds": round(time.perf_counter() - started, 3),
    }
    print(json.dumps(counters))
    return 0


if __name__ == "__main__":
    sys.exit(main())
