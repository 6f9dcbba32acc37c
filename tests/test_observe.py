"""observe: one row per (what the archive knew, what the site answered) pair that matters,
each asserting the whole page result the store is handed. Pure: no server, no database.

The parses come from the project's own fixture pages (tests/pages), read by the real parser at
the URL each row asks, so a row says what the parser's judgement leads to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from scraper.fetched import Attempt, FetchOutcome, FetchResult
from scraper.identity import Identify, PageIdentity
from scraper.observe import moved, observe, parsed_record, target
from scraper.parse import ParsedPage, parse_page
from store.archive import FetchRow, KnownPage, PageResult
from store.states import Outcome, PageEvent, PageKind, PageState

PAGES = Path(__file__).parent / "pages"
SITE = "https://www.justiceinspectorates.gov.uk"
URL = f"{SITE}/hmicfrs/recommendation/kent/101/"
OTHER = f"{SITE}/hmicfrs/recommendation/kent/202/"
ID_URL = f"{SITE}/hmicfrs/?p=101"
T = "2026-12-01T02:00:00.000Z"
NOW = "2026-12-01T02:00:05.000Z"
HTML = "text/html; charset=UTF-8"
IDENTIFY = Identify(SITE, "/hmicfrs/?p={id}")
REC = IDENTIFY(URL)
BY_ID = IDENTIFY(ID_URL)


def body(name: str) -> bytes:
    return (PAGES / f"{name}.html").read_bytes()


def parse(name: str, url: str = URL) -> ParsedPage:
    return parse_page(body(name).decode("utf-8"), url)


RECORD = "log_basic"  # a recommendation with a status log
BANNER = "seed_shape_banner"  # "404 Page not found" over a real record
SOFT_404 = "not_found_soft"  # the theme's not-found page, served 200
LISTING = "listing_theme_page1"
TEXT_ONLY = "text_only"  # a recommendation with no log (any text at a rec URL reads as one)

# What the archive knew: nothing; a live page with a body and its validators; a missing one.
NEVER = KnownPage()
LISTED = KnownPage(vouched=True, rec_id=101, force="kent")
LIVE = KnownPage(
    state="live",
    snapshot_id=7,
    last_checked_at=T,
    vouched=True,
    etag='"v1"',
    last_modified="Mon, 30 Nov 2026 10:00:00 GMT",
    page_kind="recommendation",
    rec_id=101,
    force="kent",
)
WENT = KnownPage(state="soft_404", snapshot_id=7, last_checked_at=T, vouched=True)
NOT_FOUND = KnownPage(state="not_found", snapshot_id=7, last_checked_at=T, vouched=True)


def answer(
    status: int = 200,
    page: str | None = RECORD,
    *,
    url: str = URL,
    outcome: FetchOutcome | None = None,
    final: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    sent: tuple[str | None, str | None] = (None, None),
    error: str | None = None,
) -> FetchResult:
    """A FetchResult as fetch makes one: one request, answered `status`."""
    if outcome is None:
        outcome = FetchOutcome.NOT_MODIFIED if status == 304 else FetchOutcome.OK
    raw = body(page) if page is not None and outcome == FetchOutcome.OK else None
    attempt = Attempt(url, T, status, url, 40, len(raw or b""), None, False)
    return FetchResult(
        url=url,
        outcome=outcome,
        http_status=status,
        final_url=final or url,
        body=raw,
        text=raw.decode("utf-8") if raw is not None else None,
        encoding="utf-8" if raw is not None else None,
        etag=etag,
        last_modified=last_modified,
        content_type=HTML,
        error=error,
        attempts=(attempt,),
        sent_etag=sent[0],
        sent_last_modified=sent[1],
    )


def expect(
    state: PageState | None,
    outcome: Outcome | None,
    status: int = 200,
    *,
    url: str = URL,
    parsed: ParsedPage | None = None,
    page: str | None = None,
    row_error: str | None = None,
    **fields: Any,
) -> PageResult:
    """The whole PageResult a row expects; `page`: the fixture whose body is kept."""
    values: dict[str, Any] = {
        "url": url,
        "kind": PageKind.RECOMMENDATION,
        "observed_at": T,
        "state": state,
        "http_status": status,
        "fetches": (FetchRow(url, T, status, url, 40, len(body(fields.pop("bytes_of")))
                             if "bytes_of" in fields else 0, outcome, row_error),),
        "body": body(page) if page is not None else None,
        "content_type": HTML,
        "parsed": parsed_record(parsed) if parsed is not None else None,
        "not_modified": outcome == Outcome.NOT_MODIFIED,
        "rec_id": 101,
        "force": "kent",
        "outcome": outcome,
    }  # fmt: skip
    values.update(fields)
    return PageResult(**values)


@dataclass
class Case:
    name: str
    known: KnownPage
    fetched: FetchResult
    parsed: ParsedPage | None
    expected: PageResult
    page: PageIdentity = field(default=REC)


P_RECORD, P_BANNER, P_SOFT = parse(RECORD), parse(BANNER), parse(SOFT_404)
P_TEXT = parse(TEXT_ONLY)
CROSSED = "log_heading_before_log"  # its canonical link names east-fenland/7120, not kent/101
P_CROSSED = parse(CROSSED)
WHY_CROSSED = ("refused: another recommendation's page (id: the canonical link names another "
               "recommendation: 7120, not 101)")  # fmt: skip
P_LISTING_AT_ID = parse(LISTING, ID_URL)
V2 = {"etag": '"v2"', "last_modified": "Tue, 01 Dec 2026 01:00:00 GMT"}
SENT = ('"v1"', "Mon, 30 Nov 2026 10:00:00 GMT")
KEPT = {"etag": LIVE.etag, "last_modified": LIVE.last_modified}

CASES = [
    Case("a new page appears, its validators kept with its body",
         LISTED, answer(200, RECORD, **V2), P_RECORD,
         expect(PageState.LIVE, None, parsed=P_RECORD, page=RECORD, bytes_of=RECORD,
                events=(PageEvent.APPEARED,), **V2)),
    Case("a live page answers again: the store decides the version; no event",
         LIVE, answer(200, RECORD, **V2, sent=SENT), P_RECORD,
         expect(PageState.LIVE, None, parsed=P_RECORD, page=RECORD, bytes_of=RECORD, **V2)),
    Case("a missing page comes back",
         NOT_FOUND, answer(200, RECORD), P_RECORD,
         expect(PageState.LIVE, None, parsed=P_RECORD, page=RECORD, bytes_of=RECORD,
                events=(PageEvent.CAME_BACK,))),
    Case("a soft 404 with an ETag: missing, and its ETag is never kept to be sent later",
         LIVE, answer(200, SOFT_404, etag='"soft"', sent=SENT), P_SOFT,
         expect(PageState.SOFT_404, Outcome.SOFT_404, parsed=P_SOFT, bytes_of=SOFT_404,
                events=(PageEvent.WENT_MISSING,))),
    Case("after the soft 404 a 304 to a request with no validators is an error, not 'live'",
         WENT, answer(304, None), None,
         expect(None, Outcome.ERROR, 304,
                error="304 Not Modified to a request that sent no validators",
                row_error="304 Not Modified to a request that sent no validators")),
    Case("a 404 with validators: missing, validators cleared",
         LIVE, answer(404, RECORD, etag='"x"', sent=SENT), P_RECORD,
         expect(PageState.NOT_FOUND, Outcome.NOT_FOUND, 404, parsed=P_RECORD, bytes_of=RECORD,
                events=(PageEvent.WENT_MISSING,))),
    Case("a 410 with validators: gone, validators cleared",
         LIVE, answer(410, SOFT_404, etag='"x"', last_modified="Tue, 01 Dec 2026", sent=SENT),
         P_SOFT,
         expect(PageState.GONE, Outcome.GONE, 410, parsed=P_SOFT, bytes_of=SOFT_404,
                events=(PageEvent.WENT_MISSING,))),
    Case("a 404 whose text reads as a recommendation but has no banner: missing",
         LISTED, answer(404, TEXT_ONLY), P_TEXT,
         expect(PageState.NOT_FOUND, Outcome.NOT_FOUND, 404, parsed=P_TEXT, bytes_of=TEXT_ONLY,
                events=(PageEvent.WENT_MISSING,))),
    Case("the banner page answering 404 at a recommendation URL is live",
         LIVE, answer(404, BANNER, sent=SENT), P_BANNER,
         expect(PageState.LIVE, None, 404, parsed=P_BANNER, page=BANNER, bytes_of=BANNER)),
    Case("the banner page answering 404 at an id URL is not found",
         NEVER, answer(404, BANNER, url=ID_URL), parse(BANNER, ID_URL),
         expect(PageState.NOT_FOUND, Outcome.NOT_FOUND, 404, url=ID_URL,
                parsed=parse(BANNER, ID_URL), bytes_of=BANNER, force=None), BY_ID),
    Case("an id URL that never existed (404): not found, and it never went missing",
         NEVER, answer(404, SOFT_404, url=ID_URL), parse(SOFT_404, ID_URL),
         expect(PageState.NOT_FOUND, Outcome.NOT_FOUND, 404, url=ID_URL,
                parsed=parse(SOFT_404, ID_URL), bytes_of=SOFT_404, force=None), BY_ID),
    Case("an id URL that answers with a listing: a soft 404, never missing",
         NEVER, answer(200, LISTING, url=ID_URL), P_LISTING_AT_ID,
         expect(PageState.SOFT_404, Outcome.SOFT_404, url=ID_URL, parsed=P_LISTING_AT_ID,
                bytes_of=LISTING, force=None), BY_ID),
    Case("a redirect off-site with validators: redirected, validators cleared",
         LIVE, answer(301, None, outcome=FetchOutcome.REDIRECT_OFFSITE,
                      final="https://elsewhere.example/x", etag='"r"',
                      error="redirect off-site to https://elsewhere.example/x"), None,
         expect(PageState.REDIRECTED, Outcome.REDIRECT, 301,
                redirect_target="https://elsewhere.example/x", events=(PageEvent.REDIRECTED,),
                error="redirect off-site to https://elsewhere.example/x")),
    Case("a 304 vouches for the stored version whose validators asked",
         LIVE, answer(304, None, sent=SENT, **V2), None,
         expect(PageState.LIVE, Outcome.NOT_MODIFIED, 304, **V2)),
    Case("a 304 after a redirect to another page vouches for nothing",
         LIVE, answer(304, None, final=OTHER, sent=SENT), None,
         expect(None, Outcome.ERROR, 304, **KEPT,
                error=f"304 Not Modified from {OTHER}, another page than the one asked",
                row_error=f"304 Not Modified from {OTHER}, another page than the one asked")),
    Case("a 304 when the archive holds no body of the page is an error",
         LISTED, answer(304, None, sent=SENT), None,
         expect(None, Outcome.ERROR, 304,
                error="304 Not Modified, but the archive holds no body of this page",
                row_error="304 Not Modified, but the archive holds no body of this page")),
    Case("a WAF's 403 at a live page is a refusal: no version, no state change",
         LIVE, answer(403, TEXT_ONLY, sent=SENT), P_TEXT,
         expect(None, Outcome.REFUSED, 403, parsed=P_TEXT, bytes_of=TEXT_ONLY, **KEPT,
                error="refused: HTTP 403", row_error="refused: HTTP 403")),
    Case("a 200 whose canonical link names another recommendation is its page: refused",
         LIVE, answer(200, CROSSED, etag='"x"', sent=SENT), P_CROSSED,
         expect(None, Outcome.REFUSED, parsed=P_CROSSED, bytes_of=CROSSED, **KEPT,
                error=WHY_CROSSED, row_error=WHY_CROSSED)),
    Case("a 451 at a fresh recommendation URL is never archived as live",
         LISTED, answer(451, TEXT_ONLY), P_TEXT,
         expect(None, Outcome.REFUSED, 451, parsed=P_TEXT, bytes_of=TEXT_ONLY,
                error="refused: HTTP 451", row_error="refused: HTTP 451")),
    Case("a 5xx is no usable answer: the known state and validators stand",
         LIVE, answer(503, None, outcome=FetchOutcome.ERROR, sent=SENT,
                      error="gave up after 5 attempts: 503 Service Unavailable"), None,
         expect(None, Outcome.ERROR, 503, **KEPT,
                error="gave up after 5 attempts: 503 Service Unavailable",
                row_error="gave up after 5 attempts: 503 Service Unavailable")),
    Case("an empty body is the page's error",
         LIVE, answer(200, None, outcome=FetchOutcome.ERROR, error="empty body"), None,
         expect(PageState.ERROR, Outcome.ERROR, error="empty body", row_error="empty body")),
    Case("a body over the limit is too large",
         LIVE, answer(200, None, outcome=FetchOutcome.TOO_LARGE, error="over 5000000 bytes"),
         None,
         expect(PageState.ERROR, Outcome.TOO_LARGE, error="over 5000000 bytes",
                row_error="over 5000000 bytes")),
    Case("a URL robots.txt disallows is blocked; the stored version's validators stand",
         LIVE, FetchResult(URL, FetchOutcome.ROBOTS_DISALLOWED, None, URL, None, None, None,
                           None, None, None, "disallowed by robots.txt", ()), None,
         expect(PageState.BLOCKED, Outcome.ROBOTS_DISALLOWED, None, content_type=None,
                fetches=(FetchRow(URL, NOW, None, None, 0, 0, Outcome.ROBOTS_DISALLOWED),),
                observed_at=NOW, events=(PageEvent.BLOCKED,), error="disallowed by robots.txt",
                **KEPT)),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_observe(case: Case) -> None:
    assert observe(case.page, case.fetched, case.parsed, case.known, NOW) == case.expected


def test_an_id_url_that_led_to_a_recommendation_is_recorded_under_it() -> None:
    fetched = answer(200, RECORD, url=ID_URL, final=URL)
    assert target(BY_ID, fetched, IDENTIFY) == REC
    assert target(REC, answer(200, RECORD), IDENTIFY) == REC
    assert target(BY_ID, answer(404, None, url=ID_URL), IDENTIFY) == BY_ID


def test_a_moved_recommendation_leaves_its_old_url_redirected() -> None:
    new = observe(IDENTIFY(OTHER), answer(200, RECORD, url=URL, final=OTHER), P_RECORD, NEVER, NOW)
    assert moved(REC, new, LIVE) == PageResult(
        url=URL,
        kind=PageKind.RECOMMENDATION,
        observed_at=T,
        state=PageState.REDIRECTED,
        http_status=200,
        redirect_target=OTHER,
        rec_id=101,
        force="kent",
        outcome=Outcome.REDIRECT,
        events=(PageEvent.REDIRECTED,),
    )
