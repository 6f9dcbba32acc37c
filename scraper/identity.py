"""A page's identity: computed once, when a URL enters the crawl, and carried with it.

PageIdentity holds the canonical URL, the kind of page, and for a recommendation its id and
force slug. The crawl makes one with `Identify` for every URL discovery, the schedule or a
backfill hands it, and fetch, parse, observe and the store all read that one value instead of
working the URL out again. Pure: the URL rules themselves are discover's.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from scraper import discover
from store.states import PageKind

# A number no real id has, to find where an id goes in discovery.id_url_template.
_MARKER = 987654321


@dataclass(frozen=True)
class PageIdentity:
    """Who a URL is: the canonical URL, its kind, and a recommendation's id and force."""

    url: str
    kind: PageKind
    rec_id: int | None = None
    force: str | None = None

    @property
    def is_recommendation_url(self) -> bool:
        """A /recommendation/<force>/<id>/ page, not an id URL (?p=<id>) that may lead to one."""
        return self.force is not None


class Identify:
    """Makes the identity of a URL of this site; id URLs follow discovery.id_url_template."""

    def __init__(self, base_url: str, id_url_template: str) -> None:
        self.base_url = base_url
        self.template = id_url_template
        prefix, _, suffix = self.id_url(_MARKER).partition(str(_MARKER))
        self._id_prefix, self._id_suffix = prefix, suffix

    def __call__(self, url: str, kind: PageKind = PageKind.RECOMMENDATION) -> PageIdentity:
        """The identity of `url`; a recommendation URL is a recommendation whatever `kind` says."""
        canonical = discover.canonical_url(url)
        key = discover.recommendation_key(canonical)
        if key is not None:
            return PageIdentity(canonical, PageKind.RECOMMENDATION, key[1], key[0])
        if kind == PageKind.RECOMMENDATION:
            return PageIdentity(canonical, kind, self._id_of(canonical))
        return PageIdentity(canonical, kind)

    @property
    def home_host(self) -> str:
        """The site's own host (site.base_url's): its spelling of a recommendation wins."""
        return (urlsplit(self.base_url).hostname or "").lower()

    def id_url(self, rec_id: int) -> str:
        """The URL that should answer for recommendation `rec_id`."""
        return discover.id_url(self.base_url, self.template, rec_id)

    def of_id(self, rec_id: int) -> PageIdentity:
        """The identity of the id URL of `rec_id`."""
        return PageIdentity(self.id_url(rec_id), PageKind.RECOMMENDATION, rec_id)

    def _id_of(self, url: str) -> int | None:
        prefix, suffix = self._id_prefix, self._id_suffix
        middle = url[len(prefix) : len(url) - len(suffix)] if url.startswith(prefix) else ""
        if url.endswith(suffix) and middle.isdigit():
            return int(middle)
        return discover.id_from_query(url)
