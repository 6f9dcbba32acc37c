"""What one visit to a page amounts to: the one place that decides what a fetch means.

`observe` is a pure function from what was fetched (status, headers' validators, final URL,
body), what the parser read and what the archive knew of the page, to the PageResult the store
records: the page's state, the outcome of its last request, its events (appeared, went
missing, came back, redirected, blocked) and the validators to keep. A live fetch goes
through it, and so would a capture from a web archive.

The rules, in the order they are applied:
- HTTP status before content: 401/403/407/429/451 are refusals and 5xx errors, never
  versions and never missing; 404/410 are missing however much text the body has, except a
  "404 Page not found" banner over a real record at a recommendation URL (the parser's
  judgement), which is live.
- A recommendation URL answered with a page whose canonical link names another
  recommendation is refused: it is another page's content, never a version of this one.
- Validators belong to the body they came with: they are kept only with a body the archive
  keeps as the current version; a missing, redirected or failed answer clears them, so they
  are never sent later as if they were the current version's.
- A 304 is evidence only about the snapshot whose validators were sent: a 304 to a request
  that sent none, that the archive holds no body for, or that came from another page after a
  redirect, is an error.
No httpx, sqlite, clock or click here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from scraper.discover import canonical_url
from scraper.fetched import EMPTY_BODY, Attempt, FetchOutcome, FetchResult
from scraper.identity import Identify, PageIdentity
from scraper.parse import OTHER_RECOMMENDATION, ParsedPage
from store.archive import FetchRow, KnownPage, PageResult, ParsedRecord
from store.states import MISSING_STATES, Outcome, PageEvent, PageKind, PageState

REFUSAL_STATUSES = frozenset({401, 403, 407, 429, 451})
_MISSING_STATUS = {404: PageState.NOT_FOUND, 410: PageState.GONE}
_MISSING_OUTCOME = {
    PageState.NOT_FOUND: Outcome.NOT_FOUND,
    PageState.GONE: Outcome.GONE,
    PageState.SOFT_404: Outcome.SOFT_404,
}
# Kinds the parser is not asked about: their bodies are kept as they came when they answer 2xx.
_UNPARSED = frozenset({PageKind.SITEMAP, PageKind.ROBOTS, PageKind.OTHER})


@dataclass(frozen=True)
class _Verdict:
    """What an answer amounts to before the archive's knowledge is brought in."""

    state: PageState | None  # None: no usable answer, the known state stands
    outcome: Outcome | None  # None: a body for the store to version (new/changed/unchanged)
    error: str | None = None
    keep_body: bool = False


def observe(
    page: PageIdentity,
    fetched: FetchResult,
    parsed: ParsedPage | None,
    known: KnownPage,
    observed_at: str,
) -> PageResult:
    """The page result the store records for one visit of `page` (see the module's rules)."""
    verdict = _verdict(page, fetched, parsed, known)
    state = verdict.state
    if verdict.outcome == Outcome.NOT_MODIFIED or verdict.keep_body:
        etag, modified = fetched.etag, fetched.last_modified
    elif state is None or state == PageState.BLOCKED:
        # Nothing new was learnt of the current version: its validators still stand.
        etag, modified = known.etag, known.last_modified
    else:
        etag = modified = None
    last = verdict.outcome
    # A failure's cause goes on its last request's row too; a redirect's target does not.
    row_error = (
        verdict.error if last in (Outcome.ERROR, Outcome.TOO_LARGE, Outcome.REFUSED) else None
    )
    return PageResult(
        url=page.url,
        kind=page.kind,
        observed_at=fetched.attempts[0].requested_at if fetched.attempts else observed_at,
        state=state,
        http_status=fetched.http_status,
        fetches=fetch_rows(fetched.attempts, last, row_error)
        or (FetchRow(page.url, observed_at, None, None, 0, 0, last, row_error),),
        body=fetched.body if verdict.keep_body else None,
        content_type=fetched.content_type,
        etag=etag,
        last_modified=modified,
        parsed=parsed_record(parsed) if parsed is not None else None,
        not_modified=verdict.outcome == Outcome.NOT_MODIFIED,
        redirect_target=fetched.final_url if state == PageState.REDIRECTED else None,
        error=verdict.error,
        rec_id=page.rec_id if page.rec_id is not None else known.rec_id,
        force=page.force if page.force is not None else known.force,
        outcome=verdict.outcome,
        events=events(known, state),
    )


def _verdict(
    page: PageIdentity, fetched: FetchResult, parsed: ParsedPage | None, known: KnownPage
) -> _Verdict:
    outcome, error = fetched.outcome, fetched.error
    if outcome == FetchOutcome.ROBOTS_DISALLOWED:
        return _Verdict(PageState.BLOCKED, Outcome.ROBOTS_DISALLOWED, error)
    if outcome == FetchOutcome.REDIRECT_OFFSITE:
        return _Verdict(PageState.REDIRECTED, Outcome.REDIRECT, error)
    if outcome == FetchOutcome.REDIRECT_LOOP:
        return _Verdict(PageState.ERROR, Outcome.ERROR, error)
    if outcome == FetchOutcome.TOO_LARGE:
        return _Verdict(PageState.ERROR, Outcome.TOO_LARGE, error)
    if outcome == FetchOutcome.ERROR:
        # An empty 2xx body is the page's fault; a timeout or a 5xx may pass.
        permanent = error == EMPTY_BODY
        return _Verdict(PageState.ERROR if permanent else None, Outcome.ERROR, error)
    if outcome == FetchOutcome.NOT_MODIFIED:
        return _not_modified(page, fetched, known)
    return _answered(page, fetched.http_status or 0, parsed)


def _not_modified(page: PageIdentity, fetched: FetchResult, known: KnownPage) -> _Verdict:
    """A 304 vouches for the stored version only when that version's validators asked."""
    if fetched.sent_etag is None and fetched.sent_last_modified is None:
        why = "304 Not Modified to a request that sent no validators"
    elif not known.has_body:
        why = "304 Not Modified, but the archive holds no body of this page"
    elif fetched.final_url is not None and not _same_page(page, fetched):
        why = f"304 Not Modified from {fetched.final_url}, another page than the one asked"
    else:
        return _Verdict(PageState.LIVE, Outcome.NOT_MODIFIED)
    return _Verdict(None, Outcome.ERROR, why)


def _same_page(page: PageIdentity, fetched: FetchResult) -> bool:
    return canonical_url(fetched.final_url or fetched.url) == page.url


def _answered(page: PageIdentity, status: int, parsed: ParsedPage | None) -> _Verdict:
    """A response read in full: the status first, then what the parser made of it."""
    if status in REFUSAL_STATUSES:
        return _Verdict(None, Outcome.REFUSED, f"refused: HTTP {status}")
    if status >= 500:
        return _Verdict(None, Outcome.ERROR, f"HTTP {status}")
    kind = parsed.page_kind if parsed is not None else None
    if status in _MISSING_STATUS:
        if page.is_recommendation_url and _is_record_under_banner(parsed):
            return _Verdict(PageState.LIVE, None, keep_body=True)
        state = _MISSING_STATUS[status]
        return _Verdict(state, _MISSING_OUTCOME[state])
    if not 200 <= status < 300:
        return _Verdict(PageState.ERROR, Outcome.ERROR, f"HTTP {status}")
    other = _names_another_recommendation(page, parsed)
    if other is not None:
        return _Verdict(None, Outcome.REFUSED, f"refused: another recommendation's page ({other})")
    if kind == "not_found" or (kind == "listing" and page.kind == PageKind.RECOMMENDATION):
        # A listing where a recommendation was asked for: an id that leads nowhere.
        return _Verdict(PageState.SOFT_404, Outcome.SOFT_404)
    if kind is None and page.kind not in _UNPARSED:
        return _Verdict(PageState.ERROR, Outcome.ERROR, "no text to read")
    return _Verdict(PageState.LIVE, None, keep_body=True)


def _names_another_recommendation(page: PageIdentity, parsed: ParsedPage | None) -> str | None:
    """The parser's word, when a recommendation URL was answered with a page whose canonical
    link names another recommendation: a cache or proxy crossing its wires, never a version
    of this page (and, page after page, a refusing site)."""
    if parsed is None or not page.is_recommendation_url:
        return None
    return next((w for w in parsed.warnings if w.startswith(OTHER_RECOMMENDATION)), None)


def _is_record_under_banner(parsed: ParsedPage | None) -> bool:
    """The parser read a real record (a log, or a status) under a "404 Page not found" banner."""
    return (
        parsed is not None
        and parsed.page_kind == "recommendation"
        and parsed.has_404_banner
        and (bool(parsed.log) or parsed.current_status is not None or parsed.text is not None)
    )


def events(known: KnownPage, after: PageState | None) -> tuple[PageEvent, ...]:
    """The page events of a move from the known state to `after`.

    An id that never existed (a backfill meets thousands) is not_found but never went missing:
    only a page that was live, or that a listing or sitemap vouched for, goes missing.
    """
    before = known.state
    if after is None or after == before:
        return ()
    if after in MISSING_STATES:
        return (PageEvent.WENT_MISSING,) if before not in MISSING_STATES and known.vouched else ()
    if after == PageState.LIVE:
        if before in MISSING_STATES:
            return (PageEvent.CAME_BACK,)
        return (PageEvent.APPEARED,) if before is None else ()
    if after == PageState.REDIRECTED:
        return (PageEvent.REDIRECTED,)
    if after == PageState.BLOCKED:
        return (PageEvent.BLOCKED,)
    return ()


def target(asked: PageIdentity, fetched: FetchResult, identify: Identify) -> PageIdentity:
    """The page a visit is recorded under: where an id URL or a moved recommendation led."""
    if fetched.outcome != FetchOutcome.OK or fetched.final_url in (None, "", asked.url):
        return asked  # (most answers come from the URL asked: nothing to work out)
    final = identify(fetched.final_url, asked.kind)
    if final.url == asked.url or not final.is_recommendation_url:
        return asked
    if asked.is_recommendation_url or asked.kind == PageKind.RECOMMENDATION:
        return final
    return asked


def moved(asked: PageIdentity, result: PageResult, known: KnownPage) -> PageResult:
    """The result of a recommendation URL that now redirects to the one `result` is under.

    Its requests are on `result`; its earlier versions stay where they were.
    """
    status = next((f.http_status for f in reversed(result.fetches) if f.url == asked.url), None)
    state = PageState.REDIRECTED
    return PageResult(
        url=asked.url,
        kind=PageKind.RECOMMENDATION,
        observed_at=result.observed_at,
        state=state,
        http_status=status,
        redirect_target=result.url,
        rec_id=asked.rec_id,
        force=asked.force,
        outcome=Outcome.REDIRECT,
        events=events(known, state),
    )


def robots_result(
    page: PageIdentity,
    http_status: int | None,
    body: bytes | None,
    attempts: tuple[Attempt, ...],
    known: KnownPage,
    observed_at: str,
) -> PageResult:
    """The page result of a robots.txt as fetch read it (RFC 9309: a 4xx allows everything)."""
    status = http_status or 0
    if 200 <= status < 300:
        state, outcome = PageState.LIVE, None
    elif 400 <= status < 500:
        state = _MISSING_STATUS.get(status, PageState.NOT_FOUND)
        outcome = _MISSING_OUTCOME[state]
    else:
        state, outcome = None, Outcome.ERROR
    return PageResult(
        url=page.url,
        kind=PageKind.ROBOTS,
        observed_at=attempts[0].requested_at if attempts else observed_at,
        state=state,
        http_status=http_status,
        fetches=fetch_rows(attempts, outcome),
        body=(body or b"") if state == PageState.LIVE else None,
        content_type="text/plain",
        outcome=outcome,
        events=events(known, state),
    )


def unanswered(page: PageIdentity, attempts: tuple[Attempt, ...], error: str) -> PageResult:
    """The page result of requests that got no usable answer before the run had to stop."""
    return PageResult(
        url=page.url,
        kind=page.kind,
        observed_at=attempts[0].requested_at,
        state=None,
        http_status=attempts[-1].http_status,
        fetches=fetch_rows(attempts, Outcome.ERROR),
        error=error,
        rec_id=page.rec_id,
        force=page.force,
        outcome=Outcome.ERROR,
    )


def unreachable_redirect(
    url: str, target: str | None, attempts: tuple[Attempt, ...], why: str
) -> FetchResult:
    """The fetch result of a redirect to an allowed host that could not be reached: that page's
    error, not the site's (the run goes on)."""
    return FetchResult(
        url, FetchOutcome.ERROR, None, target, None, None, None, None, None, None,
        f"redirect target unreachable: {why}", attempts,
    )  # fmt: skip


def fetch_rows(
    attempts: Iterable[Attempt],
    last_outcome: Outcome | None = None,
    last_error: str | None = None,
) -> tuple[FetchRow, ...]:
    """The fetches rows of a fetch's attempts; the last one's outcome as decided (None: the
    store's version decision). `last_error` names a failure decided after the last request
    was read (an empty body, a 304 that vouches for nothing)."""
    items = list(attempts)
    rows = []
    for i, a in enumerate(items):
        last = i == len(items) - 1
        if last:
            outcome = last_outcome
        elif a.http_status is not None and 300 <= a.http_status < 400 and a.error is None:
            outcome = Outcome.REDIRECT
        else:
            outcome = Outcome.ERROR
        rows.append(
            FetchRow(
                url=a.url,
                requested_at=a.requested_at,
                http_status=a.http_status,
                final_url=a.final_url,
                elapsed_ms=a.elapsed_ms,
                bytes=a.bytes,
                outcome=outcome,
                error=a.error or (last_error if last else None),
            )
        )
    return tuple(rows)


def parsed_record(parsed: ParsedPage) -> ParsedRecord:
    """The store's plain record of a parse."""
    return ParsedRecord(
        page_kind=parsed.page_kind,
        normalised_sha256=parsed.normalised_sha256(),
        row=parsed.version_row(),
        events=tuple(parsed.event_rows()),
        entries=tuple(parsed.entry_rows()),
    )
