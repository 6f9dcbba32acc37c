"""The words the archive records: page kinds, page states, fetch outcomes, page events.

Each is a StrEnum, so a member is its own column value ("live" == PageState.LIVE) and every
module that writes or reads these columns names them one way. Never imports scraper.
"""

from __future__ import annotations

from enum import StrEnum


class PageKind(StrEnum):
    """pages.kind: what a URL is to the crawl."""

    RECOMMENDATION = "recommendation"
    LISTING = "listing"
    SITEMAP = "sitemap"
    ROBOTS = "robots"
    OTHER = "other"


class PageState(StrEnum):
    """pages.state: what the page is now, as the last usable answer showed."""

    LIVE = "live"
    NOT_FOUND = "not_found"
    GONE = "gone"
    SOFT_404 = "soft_404"
    REDIRECTED = "redirected"
    ERROR = "error"
    BLOCKED = "blocked"


MISSING_STATES = frozenset({PageState.NOT_FOUND, PageState.GONE, PageState.SOFT_404})
DISCOVERY_KINDS = frozenset({PageKind.LISTING, PageKind.SITEMAP, PageKind.ROBOTS})


class Outcome(StrEnum):
    """fetches.outcome: what one request came to."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"
    NOT_FOUND = "not_found"
    GONE = "gone"
    SOFT_404 = "soft_404"
    REDIRECT = "redirect"
    REFUSED = "refused"  # 401, 403, 407, 429, 451: the site would not show us the page
    ERROR = "error"
    ROBOTS_DISALLOWED = "robots_disallowed"
    TOO_LARGE = "too_large"


CAPTURED = frozenset({Outcome.NEW, Outcome.CHANGED, Outcome.UNCHANGED, Outcome.NOT_MODIFIED})
FAILED = frozenset({Outcome.ERROR, Outcome.TOO_LARGE})


class PageEvent(StrEnum):
    """page_events.event: a change of a page's state worth a row of its own."""

    APPEARED = "appeared"
    WENT_MISSING = "went_missing"
    CAME_BACK = "came_back"
    REDIRECTED = "redirected"
    BLOCKED = "blocked"
