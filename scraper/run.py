"""The public entry points: take the run lock, open the archive, run one command, close.

`crawl`, `backfill` and `reparse` are what the CLI calls and what a Python user calls (see
README's "Python API"); each returns plain data and raises only HmicfrsError or StoreError.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scraper.config import Config
from scraper.engine import Crawler, Report, RunSummary
from scraper.errors import UsageError
from scraper.fetch import Fetcher, make_fetcher
from scraper.identity import Identify
from scraper.reparse import reparse
from scraper.workers import StopFlag
from store.archive import Archive
from store.lock import locked_archive

__all__ = ["backfill", "crawl", "reparse"]


def _locked(config: Config, db_path: str | Path | None, command: str) -> Any:
    return locked_archive(str(db_path or config.store.path), command)


def _crawler(
    config: Config,
    archive: Archive,
    report: Report | None,
    stop: StopFlag | None,
    fetcher: Fetcher | None,
) -> Crawler:
    stop = stop or StopFlag()
    fetcher = fetcher or make_fetcher(config, sleep=stop.sleep)
    kwargs: dict[str, Any] = {"stop": stop}
    if report is not None:
        kwargs["report"] = report
    return Crawler(config, archive, fetcher, **kwargs)


def crawl(
    config: Config,
    db_path: str | Path | None = None,
    *,
    report: Report | None = None,
    stop: StopFlag | None = None,
    fetcher: Fetcher | None = None,
) -> RunSummary:
    """The cron job: discover, re-check what is due, archive changes, record missing pages."""
    with _locked(config, db_path, "crawl") as archive:
        return _crawler(config, archive, report, stop, fetcher).crawl()


def backfill(
    config: Config,
    db_path: str | Path | None = None,
    *,
    ids: range | None = None,
    urls: Sequence[str] | None = None,
    job: str | None = None,
    report: Report | None = None,
    stop: StopFlag | None = None,
    fetcher: Fetcher | None = None,
) -> RunSummary:
    """A resumable sweep over an id range (streamed) or a list of URLs on the site."""
    if (ids is None) == (urls is None):
        raise UsageError("backfill takes exactly one of ids or urls")
    identify = Identify(config.site.base_url, config.discovery.id_url_template)
    if ids is not None:
        pages: Any = (identify.of_id(i) for i in ids)
        count, job = len(ids), job or f"ids:{ids.start}-{ids.stop - 1}"
    else:
        assert urls is not None
        unique = list(dict.fromkeys(identify(u).url for u in urls))
        pages, count, job = (identify(u) for u in unique), len(unique), job or "urls"
    with _locked(config, db_path, "backfill") as archive:
        return _crawler(config, archive, report, stop, fetcher).backfill(pages, count, job)
