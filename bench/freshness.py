"""`python -m bench.freshness [--pages N] [--changes S] [--lying S] [--nights K]`: how many
of the site's changes nightly crawls catch, and for how many requests, against a full
refetch.

The fixture site (N synthetic recommendations plus the hand-written ones) is crawled once in
its initial state; then it switches to its later state, where a share S of the synthetic
recommendations changed (log entries appended, edited or deleted, the page removed, gone or
moved) and new ones appeared. Three nightly crawls start from copies of that one archive:

- full refetch: today's behaviour on a night when everything is due (the crawl's clock set
  past revisit_closed_hours): every known page fetched again;
- signals, honest lastmod: the change-driven schedule minutes after the first crawl, with
  the default revisit settings, the sitemap's <lastmod> moving with every change;
- signals, lying lastmod: the same, with a share of the changed pages keeping their old
  <lastmod> (`FixtureSite.set_lying`).

Each prints changes caught / changes made by kind, and requests made / recommendation URLs
known. Then the two signal variants go on for K more nights (default 7, until
revisit_closed_hours has passed since the first crawl), each 24 hours after the last on a
simulated clock (the crawler's and the archive's), the site staying in its later state: per
night the requests and the changes first caught that night, the night by which every change
was caught, and the average night's requests as a share of the full refetch. Targets
(issue 15): 100 % recall with honest lastmod, every lying-sitemap change caught through the
listings or the rotation, at most 15 % of the full refetch's requests.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from scraper.config import config_from_dict
from scraper.engine import Crawler
from scraper.fetch import Fetcher, FetchPolicy, make_client, make_fetcher
from store.archive import format_time
from store.lock import locked_archive
from tests.fixturesite import FixtureSite
from tests.fixturesite.catalogue import SYNTHETIC_THEME
from tests.support import THEMES, site_config

KINDS = ("appended", "edited", "deleted", "removed", "gone", "moved", "new")
CAUGHT_OUTCOMES = {
    "appended": ("changed",),
    "edited": ("changed",),
    "deleted": ("changed",),
    "removed": ("not_found", "soft_404"),
    "gone": ("gone",),
    "moved": ("redirect",),
    "new": ("new",),
}


def config(base_url: str, db: Path) -> Any:
    data = site_config(base_url, db)
    data["discovery"]["listings"] = [
        *(f"/hmicfrs/?recommendation-theme={t}" for t in (*THEMES, SYNTHETIC_THEME)),
        "/hmicfrs/recommendations/",
    ]
    data["crawl"].update(revisit_open_hours=24, revisit_closed_hours=168, concurrency=4)
    return config_from_dict(data)


def crawl(base_url: str, db: Path, now: datetime | None = None, offset: timedelta | None = None
          ) -> int:  # fmt: skip
    """One crawl: with the crawler's clock stopped at `now`, or the crawler's, the
    fetcher's and the archive's clocks all running `offset` ahead of the real one (a later
    night), or neither."""
    cfg = config(base_url, db)
    with locked_archive(str(db), "crawl") as archive:
        kwargs: dict[str, Any] = {}
        fetcher = make_fetcher(cfg)
        if now is not None:
            kwargs["now"] = lambda: now
        if offset is not None:
            clock = lambda: datetime.now(UTC) + offset  # noqa: E731
            kwargs["now"] = clock
            archive.now = lambda: format_time(clock())
            fetcher = Fetcher(
                make_client(FetchPolicy.from_config(cfg)), FetchPolicy.from_config(cfg), now=clock
            )
        summary = Crawler(cfg, archive, fetcher, **kwargs).crawl()  # type: ignore[arg-type]
    return summary.run_id


def measure(db: Path, run_id: int, made: dict[str, str]) -> dict[str, Any]:
    conn = sqlite3.connect(db)
    try:
        fetched: dict[str, set[str]] = {}
        for url, outcome in conn.execute(
            "SELECT url, outcome FROM fetches WHERE run_id = ?", [run_id]
        ):
            fetched.setdefault(url, set()).add(outcome)
        requests = conn.execute("SELECT requests FROM runs WHERE id = ?", [run_id]).fetchone()[0]
        known = conn.execute("SELECT COUNT(*) FROM pages WHERE kind = 'recommendation'").fetchone()
        lost = conn.execute("SELECT lost_trust FROM runs WHERE id = ?", [run_id]).fetchone()[0]
        stats = conn.execute("SELECT stats FROM runs WHERE id = ?", [run_id]).fetchone()[0]
    finally:
        conn.close()
    caught = {k: 0 for k in KINDS}
    total = {k: 0 for k in KINDS}
    missed = []
    for url, kind in made.items():
        total[kind] += 1
        if fetched.get(url, set()) & set(CAUGHT_OUTCOMES[kind]):
            caught[kind] += 1
        else:
            missed.append(url)
    return {
        "caught": caught,
        "made": total,
        "requests": requests,
        "known": known[0],
        "missed": missed,
        "lost_trust": lost,
        "signals": json.loads(stats or "{}").get("signals", {}),
    }


def render(results: dict[str, dict[str, Any]]) -> str:
    names = list(results)
    width = max(len(n) for n in names) + 2
    lines = ["kind".ljust(10) + "".join(n.rjust(width) for n in names)]
    for kind in (*KINDS, "all"):
        cells = []
        for name in names:
            r = results[name]
            c = sum(r["caught"].values()) if kind == "all" else r["caught"][kind]
            m = sum(r["made"].values()) if kind == "all" else r["made"][kind]
            cells.append(f"{c}/{m}".rjust(width))
        lines.append(kind.ljust(10) + "".join(cells))
    full = results[names[0]]["requests"]
    lines.append(
        "requests".ljust(10)
        + "".join(f"{r['requests']}/{r['known']}".rjust(width) for r in results.values())
    )
    lines.append(
        "vs full".ljust(10)
        + "".join(f"{r['requests'] / full:.1%}".rjust(width) for r in results.values())
    )
    for name, r in results.items():
        if r["lost_trust"]:
            lines.append(f"{name}: lost trust: {r['lost_trust']}")
        if r["missed"]:
            lines.append(f"{name}: missed {len(r['missed'])}: {', '.join(r['missed'][:5])}")
    return "\n".join(lines)


def run(pages: int, changes: float, lying: float, nights: int = 0) -> dict[str, Any]:
    """The first night's figures by variant; with `nights` > 0, the signal variants go on
    crawling that many more nights, each 24 hours after the last on a simulated clock."""
    work = Path(tempfile.mkdtemp(prefix="freshness-"))
    try:
        with FixtureSite(synthetic=pages, changes=changes) as site:
            started = time.monotonic()
            first = work / "first.sqlite"
            crawl(site.base_url, first)
            print(f"first crawl: {time.monotonic() - started:.0f} s", file=sys.stderr)
            dbs = {}
            for name in ("full refetch", "honest lastmod", "lying lastmod"):
                dbs[name] = work / f"{name.replace(' ', '-')}.sqlite"
                shutil.copy(first, dbs[name])
            site.set_state("later")
            made = site.changes()
            results = {}
            later = datetime.now(UTC) + timedelta(hours=169)
            for name, db in dbs.items():
                site.set_lying(lying if name == "lying lastmod" else 0.0)
                run_id = crawl(site.base_url, db, later if name == "full refetch" else None)
                results[name] = measure(db, run_id, made)
                print(f"{name}: done", file=sys.stderr)
            series: dict[str, list[dict[str, Any]]] = {}
            for name in ("honest lastmod", "lying lastmod"):
                site.set_lying(lying if name == "lying lastmod" else 0.0)
                caught = set(made) - set(results[name]["missed"])
                series[name] = [{**results[name], "new_catches": len(caught),
                                 "caught_so_far": len(caught)}]  # fmt: skip
                for night in range(1, nights + 1):
                    run_id = crawl(site.base_url, dbs[name], offset=timedelta(hours=24 * night))
                    r = measure(dbs[name], run_id, made)
                    now_caught = set(made) - set(r["missed"])
                    fresh = now_caught - caught
                    caught |= now_caught
                    series[name].append(
                        {**r, "new_catches": len(fresh), "caught_so_far": len(caught),
                         "missed": sorted(set(made) - caught)}
                    )  # fmt: skip
                    print(f"{name}: night {night + 1} done", file=sys.stderr)
        return {"first night": results, "nights": series, "made": len(made)}
    finally:
        shutil.rmtree(work, ignore_errors=True)


def render_nights(out: dict[str, Any]) -> str:
    """Night by night: requests (and as a share of the full refetch), changes caught that
    night and so far, the pages planned by why (the rest of the requests are discovery's:
    robots.txt, sitemaps, listing pages, and redirects followed); the night by which every
    change was caught; the average night."""
    full = out["first night"]["full refetch"]["requests"]
    made, lines = out["made"], []
    for name, nights in out["nights"].items():
        lines.append(f"{name}, night by night (24 hours apart; night 1 minutes after the crawl):")
        planned = ("lastmod", "listing", "dropped", "new", "due", "rotation")
        lines.append(
            f"{'night':>7} {'requests':>9} {'vs full':>8} {'caught':>7} {'so far':>9}   planned: "
            + " ".join(f"{k:>8}" for k in planned)
        )
        for i, r in enumerate(nights, 1):
            lines.append(
                f"{i:>7} {r['requests']:>9} {r['requests'] / full:>8.1%} {r['new_catches']:>7}"
                f" {r['caught_so_far']:>5}/{made}            "
                + " ".join(f"{r['signals'].get(k, 0):>8}" for k in planned)
            )
        done = next((i for i, r in enumerate(nights, 1) if r["caught_so_far"] == made), None)
        average = sum(r["requests"] for r in nights) / len(nights)
        later = nights[1:]
        steady = sum(r["requests"] for r in later) / len(later) if later else average
        lines.append(
            f"{name}: every change caught by night {done}"
            if done
            else f"{name}: {made - nights[-1]['caught_so_far']} change(s) never caught: "
            + ", ".join(nights[-1]["missed"][:5])
        )
        lines.append(
            f"{name}: average night {average:.0f} requests, {average / full:.1%} of a full "
            f"refetch ({full}); nights 2-{len(nights)} {steady:.0f}, {steady / full:.1%}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=3000, help="synthetic recommendations")
    parser.add_argument("--changes", type=float, default=0.06, help="share that changes")
    parser.add_argument("--lying", type=float, default=0.5, help="share of lying lastmods")
    parser.add_argument(
        "--nights", type=int, default=7,
        help="nightly crawls after the first night (default 7: until revisit_closed_hours "
        "has passed since the first crawl)",
    )  # fmt: skip
    args = parser.parse_args()
    out = run(args.pages, args.changes, args.lying, args.nights)
    print(
        f"freshness: {args.pages} synthetic recommendations, {args.changes:.0%} changed, "
        f"{args.lying:.0%} of changed lastmods lying"
    )
    print(render(out["first night"]))
    if args.nights:
        print(render_nights(out))


if __name__ == "__main__":
    main()
