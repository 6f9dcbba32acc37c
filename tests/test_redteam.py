"""Red-team findings: hostile answers on a second crawl of an archived site (tests/redteam_site.py)
that break a promise of README.md. Each test fails on the code it was written against."""

from __future__ import annotations

from pathlib import Path

from tests import hostile
from tests.redteam_site import RedTeamSite
from tests.support import hmicfrs, rows, write_config

HTML = {"Content-Type": "text/html; charset=utf-8"}
SNAPS = "SELECT url, version, content_sha256 FROM snapshots ORDER BY id"
STATES = "SELECT url, state FROM pages ORDER BY url"


def _crawl(site: RedTeamSite, tmp: Path) -> tuple[Path, int]:
    db = tmp / "a.sqlite"
    config = write_config(tmp / "c.yaml", site.base_url, db)
    return db, hmicfrs("crawl", "--config", str(config)).exit_code


def test_a_cdn_answering_every_recommendation_with_another_ones_page_writes_no_version(
    tmp_path: Path,
) -> None:
    """A cache serving, at each recommendation URL, the page of the next recommendation (the
    id in the URL is not the id the page shows): observed 37 new versions, each another
    recommendation's text, exit 0."""
    with RedTeamSite() as site:
        db, code = _crawl(site, tmp_path)
        assert code == 0
        before = rows(db, SNAPS)
        live = site.live_paths()

        def wrong(exchange: hostile.Exchange, page: object) -> bool:
            if exchange.path not in live:
                return False
            other = live[(live.index(exchange.path) + 1) % len(live)]
            exchange.answer(200, HTML, site.body(other))
            return True

        site.hostile = wrong
        db, code = _crawl(site, tmp_path)
    assert rows(db, SNAPS) == before
    assert code != 0


def test_an_empty_200_for_every_recommendation_stops_the_run_and_changes_nothing(
    tmp_path: Path,
) -> None:
    """A CDN answering 200 with an empty body everywhere is no usable answer, as a 500 is (a
    site-wide 500 exits 4 with no state changed): observed exit 1 and 41 live pages set to
    state 'error'."""
    with RedTeamSite() as site:
        db, code = _crawl(site, tmp_path)
        assert code == 0
        before = rows(db, STATES)

        def empty(exchange: hostile.Exchange, page: object) -> bool:
            if exchange.path.startswith("/hmicfrs/recommendation/"):
                exchange.answer(200, HTML, b"")
                return True
            return False

        site.hostile = empty
        db, code = _crawl(site, tmp_path)
    assert rows(db, STATES) == before
    assert code == 4
