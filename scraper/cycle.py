"""The pages of a discovery cycle, as the discovery walk asks for them.

A listing or sitemap is fetched (conditionally) once per discovery cycle; when this cycle
already fetched it (a run cut short by its budget, then the next run), it is read back from the
archive instead, so every run makes progress on both discovery and recommendations. A cycle
ends when a crawl completes its walk (runs record when: `discovery_completed_at`).
"""

from __future__ import annotations

from collections.abc import Callable

from scraper.errors import FetchAborted
from scraper.fetched import FetchResult, decode_text
from scraper.identity import PageIdentity
from scraper.ledger import Ledger
from scraper.parse import ParsedPage
from store.archive import Archive, KnownPage, PageResult
from store.states import Outcome, PageKind, PageState

Visit = Callable[[PageIdentity, KnownPage], tuple[FetchResult, ParsedPage | None]]
Observe = Callable[[PageIdentity, KnownPage, FetchResult, ParsedPage | None], PageResult]


class CyclePages:
    """A discovery page's (text, parse), fetched once per cycle: the walk's `fetch_page`."""

    def __init__(
        self,
        archive: Archive,
        ledger: Ledger,
        visit: Visit,
        observe: Observe,
        stopped_by: Callable[[], str],
        visited: set[str],
    ) -> None:
        self.archive, self.ledger, self.visit, self.observe = archive, ledger, visit, observe
        self.stopped_by = stopped_by
        self.cycle_start = archive.discovery_cycle_start()
        self.requests = self.errors = 0
        self.visited = visited  # the run's: a page discovery visited is not visited again

    def __call__(self, page: PageIdentity) -> tuple[str | bytes | None, ParsedPage | None]:
        self.visited.add(page.url)
        known = self.archive.known(page.url)
        checked = known.last_checked_at
        if checked is not None and (self.cycle_start is None or checked > self.cycle_start):
            live = known.state == PageState.LIVE and known.snapshot_id is not None
            return (self._stored(page, known.snapshot_id), None) if live else (None, None)
        try:
            fetched, parsed = self.visit(page, known)
        except FetchAborted as e:
            self.ledger.keep_attempts(e, self.stopped_by())
            raise
        self.requests += 1
        result = self.observe(page, known, fetched, parsed)
        self.ledger.record(result)
        if result.outcome != Outcome.NOT_MODIFIED and result.state in (None, PageState.ERROR):
            self.errors += 1
        if result.outcome == Outcome.NOT_MODIFIED and known.snapshot_id is not None:
            return self._stored(page, known.snapshot_id), None
        # A sitemap goes to the parser as bytes: it may be gzip without Content-Encoding.
        text = fetched.body if page.kind == PageKind.SITEMAP else fetched.text
        return (text, parsed) if result.state == PageState.LIVE else (None, None)

    def _stored(self, page: PageIdentity, snapshot_id: int | None) -> str | bytes:
        assert snapshot_id is not None
        body, content_type = self.archive.stored_body(snapshot_id)
        return body if page.kind == PageKind.SITEMAP else decode_text(body, content_type)[0]
