"""Interstitials: a page a server answers in place of the one asked for (a bot challenge, a
"request rejected" page, a maintenance notice, a rate-limit warning) with a 200 and no
sign in its status that it is a refusal.

The parser cannot read such a page as a recommendation, and nothing in its wording can be
relied on to name it: every WAF, CDN and CMS words it its own way. What gives it away is that
it is the same page whatever was asked for. So a 200 answer to a recommendation URL that the
parser read as neither a recommendation, a listing nor a not-found page is held until the run
ends; if a second recommendation URL is answered with the same page (the same body once the
URL it echoes and every token with a digit in it, the request ids, nonces, times, are taken
out), every answer of that shape is a refusal: its requests are on record, and it is never a
version of anything. An answer of a shape no other URL got is a page the parser could not
read, written and flagged as before. An empty 200 is one more such page: the same (no) page
whatever was asked, so an empty body at a second recommendation URL makes every empty answer a
refusal too (a CDN or proxy answering nothing site-wide is no answer, never a page in error),
while one page answered empty alone is that page's error. Pure: the run loop keeps the
registry and writes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from scraper.fetched import EMPTY_BODY
from store.archive import KnownPage, PageResult, ParsedRecord
from store.states import Outcome

# A token of six characters or more with a digit in it: request ids, nonces, times, counters
# (short numbers, a day, a year, a recommendation's number, are kept).
_VARYING = re.compile(r"(?=[\w\-.:+/=]*\d)[\w\-.:+/=]{6,}")
# What a recommendation page shows beside its text (recommendation_versions columns).
_SHOWN = (
    "current_status", "status_date", "cause_of_concern", "force_name",
    "reference", "report_url", "published_on", "themes",
)  # fmt: skip


def answer_shape(
    result: PageResult, url: str, is_recommendation_url: bool, known: KnownPage
) -> str | None:
    """The shape of an answer that may be an interstitial, None for any other answer. A page
    that read as a recommendation before and now reads as none is the drift guard's (a
    layout the parser no longer reads, the same on every page, is drift, not a refusal)."""
    if is_recommendation_url and result.url == url and _empty_2xx(result):
        return EMPTY
    drifted = known.page_kind == "recommendation" and (
        result.parsed is None or result.parsed.page_kind == "unexpected"
    )
    if (
        drifted
        or not is_recommendation_url
        or result.body is None
        or result.http_status != 200
        or result.url != url
        or not _weak(result.parsed)
    ):
        return None
    text = result.body.decode("utf-8", "replace")
    path = urlsplit(url).path
    for echoed in sorted({url, path, quote(path), unquote(path)}, key=len, reverse=True):
        if echoed and echoed != "/":
            text = text.replace(echoed, "")
    return hashlib.sha256(_VARYING.sub("", text).encode("utf-8")).hexdigest()


EMPTY = "empty"  # the shape of every empty 2xx answer


def _empty_2xx(result: PageResult) -> bool:
    """A 2xx answer with no body at all (the fetch layer's EMPTY_BODY error)."""
    status = result.http_status or 0
    return 200 <= status < 300 and result.body is None and result.error == EMPTY_BODY


def _weak(parsed: ParsedRecord | None) -> bool:
    """Read as nothing a recommendation page shows but text: no log, no status, none of the
    page's metadata (or not read as a recommendation at all). A real page can be this bare;
    an interstitial always is."""
    if parsed is None or parsed.page_kind == "unexpected":
        return True
    if parsed.page_kind != "recommendation" or parsed.events:
        return False
    return all(parsed.row.get(name) in (None, "", "[]") for name in _SHOWN)


def as_refusal(result: PageResult, known: KnownPage, urls: int) -> PageResult:
    """The answer as what it was: a refusal, its requests kept, no body, no state change."""
    if _empty_2xx(result):
        why = (
            f"refused: an empty body answered {urls} recommendation URLs with a "
            f"{result.http_status} (a cache, proxy or server answering nothing), not content"
        )
    else:
        why = (
            f"refused: the same page, not a recommendation, answered {urls} recommendation "
            "URLs with a 200 (an interstitial: a challenge, block or maintenance page), not "
            "content"
        )
    last = replace(result.fetches[-1], outcome=Outcome.REFUSED, error=why)
    return replace(
        result,
        state=None,
        body=None,
        parsed=None,
        etag=known.etag,
        last_modified=known.last_modified,
        fetches=(*result.fetches[:-1], last),
        outcome=Outcome.REFUSED,
        error=why,
        events=(),
    )


@dataclass
class Held:
    """An answer held back until the run ends or another URL gets the same page."""

    result: PageResult
    known: KnownPage
    item: Any  # what the run loop needs to write it later


@dataclass
class Interstitials:
    """The shapes of this run's unreadable 200 answers, and which of them are held."""

    held: dict[str, Held] = field(default_factory=dict)  # shape -> its one answer so far
    repeated: dict[str, int] = field(default_factory=dict)  # shape -> URLs answered with it

    def see(self, shape: str, answer: Held) -> tuple[Held | None, list[tuple[PageResult, Any]]]:
        """Note one answer of `shape`. Returns the held answer that no longer waits (the first
        of its shape, once a second URL got the same page) and the refusals to write now,
        each with its item: none for the first answer of a shape, which is to be held."""
        if shape in self.repeated:
            self.repeated[shape] += 1
            refusal = as_refusal(answer.result, answer.known, self.repeated[shape])
            return None, [(refusal, answer.item)]
        first = self.held.pop(shape, None)
        if first is None:
            self.held[shape] = answer
            return None, []
        self.repeated[shape] = 2
        return first, [
            (as_refusal(first.result, first.known, 2), first.item),
            (as_refusal(answer.result, answer.known, 2), answer.item),
        ]

    def overflow(self, limit: int) -> Held | None:
        """The oldest held answer once more than `limit` are held: long enough without a
        twin to be written as what it is (so that a site of bare pages holds few)."""
        if len(self.held) <= limit:
            return None
        shape = next(iter(self.held))
        return self.held.pop(shape)
