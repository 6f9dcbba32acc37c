"""History from before the first crawl: `import wayback` and `import warc`.

An import is a run like a crawl (a runs row, the lock, one transaction per capture): each
capture goes through the path a live fetch takes (scraper.capture: parse, observe), at its
own time, with its provenance, and the store slots it into the page's time line
(store.captures). Resumable: every capture read has a `captures` row, so a killed import asks
again only for what it lacks, and a finished one read again adds nothing.

`import wayback` lists captures with the CDX API (page by page, each page's resume key kept
with its rows), then fetches the `id_` memento of each listed capture oldest first. Every
request goes through scraper.fetch's Fetcher, with its own politeness for the archive's host
(wayback.delay_seconds, jitter, Retry-After, backoff, the User-Agent, a stop after
wayback.throttle_stop_after throttling answers in a row, a request budget). A capture whose
digest is its page's previous capture's is an observation of that version: nothing to fetch.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scraper import wayback
from scraper.capture import Capture, capture_result, fetched_of, page_of, redirects_to_itself
from scraper.config import Config
from scraper.engine import RunSummary
from scraper.errors import FetchAborted, RunInterrupted, SiteRefused, UsageError
from scraper.fetch import Fetcher, FetchPolicy, make_client
from scraper.fetched import FetchOutcome
from scraper.identity import Identify, PageIdentity
from scraper.observe import fetch_rows
from scraper.parse import PARSER_VERSION
from scraper.reparse import reparse_archive
from scraper.warcs import warc_captures
from scraper.workers import StopFlag
from store.archive import Archive, Discovered, Provenance
from store.captures import CaptureRow
from store.lock import locked_archive
from store.states import Outcome

__all__ = ["import_wayback", "import_warc"]

log = logging.getLogger(__name__)
Report = Callable[[str, dict[str, Any]], None]
# A CDX page of `page_size` rows is a few hundred bytes a row.
CDX_MAX_BYTES = 50 * 1024 * 1024
# Captured answers that are no content of the page (a refusal, a server error): not fetched.
_NOT_CONTENT = frozenset({401, 403, 407, 429, 451})


def _quiet(event: str, data: dict[str, Any]) -> None:
    """The default report: say nothing."""


class BudgetSpent(Exception):
    """The import's request budget is spent; the next import continues."""


@dataclass(frozen=True)
class Query:
    """One CDX listing: a URL, or every URL under a prefix."""

    url: str
    prefix: bool

    def cursor_name(self, from_ts: str | None, to_ts: str | None) -> str:
        kind = "prefix" if self.prefix else "exact"
        return f"wayback:{kind}:{self.url}|from={from_ts or ''}|to={to_ts or ''}"


def wayback_fetcher(config: Config, sleep: Callable[[float], None]) -> Fetcher:
    """A Fetcher for the Wayback Machine's host, with the wayback section's politeness and
    the crawl's retries, timeouts, size cap and User-Agent."""
    policy = replace(
        FetchPolicy.from_config(config),
        allowed_hosts=((urlsplit(config.wayback.base_url).hostname or "").lower(),),
        delay_seconds=config.wayback.delay_seconds,
        jitter_seconds=config.wayback.jitter_seconds,
        throttle_stop_after=config.wayback.throttle_stop_after,
        concurrency=1,
        crawl_delay_max_seconds=0.0,
    )
    return Fetcher(make_client(policy), policy, sleep=sleep)


def default_queries(config: Config) -> list[Query]:
    """What `import wayback` lists without --url-prefix: the recommendation pages on every
    allowed host (with and without /hmicfrs), the id URLs and the configured listings."""
    base = urlsplit(config.site.base_url)
    queries: list[Query] = []
    for host in config.site.allowed_hosts:
        netloc = base.netloc if host == (base.hostname or "").lower() else host
        for path in ("/hmicfrs/recommendation/", "/recommendation/"):
            queries.append(Query(f"{netloc}{path}", True))
    template = config.discovery.id_url_template
    queries.append(Query(f"{base.netloc}{template.split('{id}')[0]}", True))
    for listing in config.discovery.listings:
        queries.append(Query(f"{base.netloc}{listing}", True))
    return list(dict.fromkeys(queries))


def prefix_query(config: Config, prefix: str) -> Query:
    """--url-prefix: a URL, a host/path, or a path on site.base_url."""
    if prefix.startswith("/"):
        prefix = f"{urlsplit(config.site.base_url).netloc}{prefix}"
    return Query(prefix.split("://", 1)[-1], True)


class Importer:
    """One import run: takes captures, records each at its time, ends the run."""

    def __init__(
        self,
        config: Config,
        archive: Archive,
        report: Report = _quiet,
        stop: StopFlag | None = None,
    ) -> None:
        self.config, self.archive, self.report = config, archive, report
        self.stop = stop or StopFlag()
        self.identify = Identify(config.site.base_url, config.discovery.id_url_template)
        self.run_id = 0
        self.renumbered: list[str] = []
        self.failed = 0
        self.captures = 0
        self.requests = 0

    # the run --------------------------------------------------------------------------

    def run(self, command: str, body: Callable[[], None]) -> RunSummary:
        self.run_id = self.archive.start_run(command, os.getpid())
        self.report("run_started", {"run_id": self.run_id, "command": command})
        status, ending, message = "ok", "ok", None
        try:
            try:
                if self.archive.stale_parses(PARSER_VERSION):
                    self.report("reparsed", reparse_archive(self.archive))
                body()
            except RunInterrupted:
                if not self.stop.is_set():
                    raise
            if self.stop.signum is not None:
                status = ending = "interrupted"
                message = f"stopped by {self.stop.signal_name}; the next import continues"
        except BudgetSpent as e:
            status, message = "partial", f"{e}; the next import continues"
        except FetchAborted as e:
            status, message = "failed", f"{e}; the next import continues"
            ending = "refused" if isinstance(e, SiteRefused) else "unreachable"
        except wayback.CdxError as e:
            status, ending, message = "failed", "unreachable", str(e)
        except BaseException as e:
            why = f"crashed: {e!r}" if isinstance(e, Exception) else "interrupted"
            self.archive.finish_run(self.run_id, "failed", why, self._stats())
            raise
        notes = []
        if self.renumbered:
            notes.append(
                f"{len(self.renumbered)} page(s) renumbered: an older capture now comes before "
                "versions they had (snapshot ids unchanged)"
            )
        if self.failed:
            notes.append(f"{self.failed} capture(s) failed")
            if ending == "ok":
                ending = "pages_failed"
        message = "; ".join(filter(None, [message, *notes])) or None
        stats = self._stats()
        row = self.archive.finish_run(self.run_id, status, message, stats)
        summary = RunSummary(
            self.run_id, command, status, ending, message, {**row, **stats}, self.stop.signum
        )
        self.report("run_finished", {"summary": summary})
        return summary

    def _stats(self) -> dict[str, Any]:
        counts = self.archive.counts.get(self.run_id)
        stats: dict[str, Any] = {**(counts.stats() if counts else {})}
        stats.update(captures=self.captures, renumbered=self.renumbered)
        if self.requests:
            stats["requests"] = self.requests
        return stats

    # one capture ----------------------------------------------------------------------

    def page(self, original_url: str) -> PageIdentity | None:
        """The page a captured URL is archived under (another spelling of a known
        recommendation is its alias), or None."""
        c = self.config
        page = page_of(original_url, self.identify, [c.url(p) for p in c.discovery.listings],
                       c.site.allowed_hosts)  # fmt: skip
        if page is None:
            return None
        found = Discovered(
            page.url, page.kind, page.rec_id, page.force, "import", self.identify.home_host
        )
        return replace(page, url=self.archive.page_url_for(found))

    def take(self, row: CaptureRow, capture: Capture, page: PageIdentity) -> str:
        """Record one capture of `page` at its capture time."""
        self.captures += 1
        max_bytes = self.config.crawl.max_page_bytes
        fetched = fetched_of(capture, max_bytes)
        row = replace(row, http_status=capture.http_status)
        if redirects_to_itself(page, fetched, self.identify):
            rows = fetch_rows(capture.attempts, Outcome.REDIRECT)
            self.archive.skip_capture(self.run_id, row, Outcome.REDIRECT, None, rows)
            return Outcome.REDIRECT
        known = self.archive.known_at(page.url, capture.captured_at)
        provenance = Provenance(row.source, row.source_url, self.archive.now())
        result = capture_result(capture, page, known, provenance, max_bytes, row.source != "warc")
        outcome, renumbered = self.archive.record_capture(self.run_id, result, row)
        if renumbered and page.url not in self.renumbered:
            self.renumbered.append(page.url)
            log.warning(
                "%s: a capture of %s comes before versions already archived; its versions "
                "are renumbered by capture time (snapshot ids unchanged)",
                page.url,
                capture.captured_at,
            )
        self.failed += outcome in (Outcome.ERROR, Outcome.TOO_LARGE)
        self.report("page", {"url": page.url, "outcome": outcome, "state": result.state,
                             "error": result.error})  # fmt: skip
        return outcome

    def skip(self, row: CaptureRow, why: str) -> None:
        self.archive.skip_capture(self.run_id, row, "skipped", why)

    # WARC -----------------------------------------------------------------------------

    def warc(self, files: Sequence[str]) -> None:
        for row, capture in warc_captures(
            files, self.config.crawl.max_page_bytes, skip=self.archive.has_capture
        ):
            if self.stop.is_set():
                return
            page = self.page(row.original_url)
            if page is None:
                self.skip(row, "not a page the crawler archives")
            else:
                self.take(row, capture, page)

    # Wayback --------------------------------------------------------------------------

    def wayback(
        self, fetcher: Fetcher, queries: Sequence[Query], from_ts: str | None, to_ts: str | None
    ) -> None:
        for query in queries:
            self._list(fetcher, query, from_ts, to_ts)
        for row in self.archive.pending_captures("wayback"):
            if self.stop.is_set():
                return
            self._capture(fetcher, row)

    def _budget(self) -> None:
        budget = self.config.wayback.max_requests
        if budget and self.requests >= budget:
            raise BudgetSpent(f"request budget of {budget} spent (wayback.max_requests)")

    def _get(self, fetcher: Fetcher, url: str, **kwargs: Any) -> Any:
        self._budget()
        try:
            fetched = fetcher.fetch(url, check_robots=False, **kwargs)
        except FetchAborted as e:
            self.requests += len(e.attempts)
            self.archive.record_requests(self.run_id, fetch_rows(e.attempts, Outcome.ERROR))
            raise
        self.requests += len(fetched.attempts)
        return fetched

    def _list(self, fetcher: Fetcher, query: Query, from_ts: str | None, to_ts: str | None) -> None:
        name = query.cursor_name(from_ts, to_ts)
        key, complete = self.archive.import_cursor(name)
        if complete and to_ts is not None:
            return  # a closed range listed in full: nothing new can appear in it
        if complete:
            key = None  # an open range: captures made since may have been added
        base = self.config.wayback.base_url
        while True:
            url = wayback.cdx_url(base, query.url, prefix=query.prefix,
                                  limit=self.config.wayback.page_size, resume_key=key,
                                  from_ts=from_ts, to_ts=to_ts)  # fmt: skip
            fetched = self._get(fetcher, url, max_bytes=CDX_MAX_BYTES)
            self.archive.record_requests(self.run_id, fetch_rows(fetched.attempts, "index"))
            if fetched.outcome != FetchOutcome.OK or fetched.http_status != 200:
                why = fetched.error or f"HTTP {fetched.http_status}"
                raise wayback.CdxError(f"{url}: the CDX API did not answer ({why})")
            page = wayback.parse_cdx_page(fetched.text or "", url)
            rows = [
                CaptureRow("wayback", wayback.memento_url(base, r.timestamp, r.original),
                           r.original, wayback.iso_of(r.timestamp), r.statuscode, r.digest)
                for r in page.rows
            ]  # fmt: skip
            self.archive.list_captures(name, rows, page.resume_key, page.resume_key is None)
            self.report("listed", {"query": query.url, "captures": len(rows)})
            if page.resume_key is None:
                return
            key = page.resume_key

    def _capture(self, fetcher: Fetcher, row: CaptureRow) -> None:
        page = self.page(row.original_url)
        if page is None:
            self.skip(row, "not a page the crawler archives")
            return
        if row.http_status in _NOT_CONTENT or (row.http_status or 0) >= 500:
            self.skip(row, f"captured HTTP {row.http_status}: a refusal or an error, no content")
            return
        seen = self.archive.same_as_previous(page.url, row)
        if seen is not None:
            self.captures += 1
            self.archive.record_seen_capture(self.run_id, row, page.url, seen)
            return
        fetched = self._get(fetcher, row.source_url, follow_redirects=False)
        attempts = fetched.attempts
        if fetched.outcome == FetchOutcome.REDIRECT_OFFSITE and fetched.final_url:
            target = wayback.original_of(fetched.final_url)
            if target != fetched.final_url and _same_url(target, row.original_url):
                # The archive's own redirect to its nearest capture of the same URL.
                fetched = self._get(fetcher, fetched.final_url, follow_redirects=False)
                attempts += fetched.attempts
        if fetched.outcome == FetchOutcome.OK:
            capture = Capture(row.original_url, row.captured_at, fetched.http_status or 0,
                              fetched.body, fetched.content_type, attempts=attempts)  # fmt: skip
        elif fetched.outcome == FetchOutcome.REDIRECT_OFFSITE and fetched.final_url:
            capture = Capture(row.original_url, row.captured_at, fetched.http_status or 0, None,
                              location=wayback.original_of(fetched.final_url),
                              attempts=attempts)  # fmt: skip
        else:
            # No bytes this time (a timeout, a truncated answer, a body over the cap): the
            # capture stays pending for the next import.
            self.captures += 1
            self.failed += 1
            error = fetched.error or f"HTTP {fetched.http_status}"
            rows = fetch_rows(attempts, Outcome.ERROR)
            self.archive.skip_capture(self.run_id, row, Outcome.ERROR, error, rows, done=False)
            self.report("page", {"url": page.url, "outcome": "error", "state": None,
                                 "error": error})  # fmt: skip
            return
        self.take(row, capture, page)


def _same_url(a: str, b: str) -> bool:
    """One URL whatever its scheme: the archive's redirect to its nearest capture of it."""
    return a.split("://", 1)[-1] == b.split("://", 1)[-1]


def _locked(config: Config, db_path: str | Path | None, command: str) -> Any:
    return locked_archive(str(db_path or config.store.path), command)


def import_wayback(
    config: Config,
    db_path: str | Path | None = None,
    *,
    from_date: str | None = None,
    to_date: str | None = None,
    url_prefix: str | None = None,
    report: Report | None = None,
    stop: StopFlag | None = None,
    fetcher: Fetcher | None = None,
) -> RunSummary:
    """Import the Wayback Machine's captures of the site (see the module docstring)."""
    from_ts, to_ts = wayback.cdx_time(from_date), wayback.cdx_time(to_date, end=True)
    if from_ts and to_ts and from_ts > to_ts:
        raise UsageError(f"--from {from_date} is after --to {to_date}")
    queries = [prefix_query(config, url_prefix)] if url_prefix else default_queries(config)
    stop = stop or StopFlag()
    fetcher = fetcher or wayback_fetcher(config, stop.sleep)
    with _locked(config, db_path, "import") as archive:
        importer = Importer(config, archive, report or _quiet, stop)
        return importer.run(
            "import wayback", lambda: importer.wayback(fetcher, queries, from_ts, to_ts)
        )


def import_warc(
    config: Config,
    files: Sequence[str],
    db_path: str | Path | None = None,
    *,
    report: Report | None = None,
    stop: StopFlag | None = None,
) -> RunSummary:
    """Import the captures in WARC/ARC files (see the module docstring)."""
    if not files:
        raise UsageError("import warc takes one or more WARC or ARC files")
    with _locked(config, db_path, "import") as archive:
        importer = Importer(config, archive, report or _quiet, stop)
        return importer.run("import warc", lambda: importer.warc(files))
