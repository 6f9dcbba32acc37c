"""The fixture site's pages served by tests/hostile.py's raw-socket server, so that a test can
crawl the site normally and then, on a later crawl, answer some or all paths with exactly the
bytes a broken CDN, a login wall or a wrong-page cache would send.

    with RedTeamSite() as site:
        site.base_url
        site.hostile = lambda exchange, page: ...  # return True when it answered the request
        site.rec_paths()                           # the recommendation paths a crawl fetches

Pages carry no validators (no ETag, no Last-Modified): every crawl asks for whole bodies, so
a hostile answer is never hidden behind a 304.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from tests import hostile
from tests.fixturesite import pages
from tests.fixturesite.catalogue import SiteData

Hook = Callable[[hostile.Exchange, pages.Page], bool]


class _Fallback(dict):
    """hostile.HostileServer's routes, with every path not routed served by `route`."""

    def __init__(self, route: hostile.Route) -> None:
        super().__init__()
        self._route = route

    def get(self, key: Any, default: Any = None) -> Any:
        return super().get(key) or self._route


class RedTeamSite:
    def __init__(self, state: str = "initial") -> None:
        self.state = state
        self.data = SiteData(0, 1, 0.0, 0.0)
        self.server = hostile.HostileServer(routes=_Fallback(self._serve))
        self.base_url = self.server.base_url
        self.hostile: Hook | None = None
        self.robots: str | None = None

    def __enter__(self) -> RedTeamSite:
        self.server.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.close()

    def page(self, path: str) -> pages.Page:
        return pages.resolve(self.data, self.state, path, self.base_url, robots=self.robots)

    def body(self, path: str) -> bytes:
        return self.page(path).render(_now()).encode("utf-8")

    def catalogue(self) -> list:
        return self.data.catalogue(self.state, self.base_url)

    def rec_paths(self) -> list[str]:
        return [s.path for s in self.catalogue() if not s.disallowed]

    def live_paths(self) -> list[str]:
        return [s.path for s in self.catalogue() if not s.disallowed and s.state == "live"]

    def requested(self) -> list[str]:
        return self.server.paths()

    def _serve(self, exchange: hostile.Exchange) -> None:
        page = self.page(exchange.path)
        hook = self.hostile
        if hook is not None and hook(exchange, page):
            return
        headers = {"Content-Type": page.content_type}
        if page.location is not None:
            headers["Location"] = page.location
        exchange.answer(page.status, headers, page.render(_now()).encode("utf-8"))


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
