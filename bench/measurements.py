"""The five measurements of issue 7. Each returns a plain dict for results.json and rows for
the table; none asserts anything about time.

Every crawl is a fresh subprocess with a fresh database, against the fixture site running in
another process (`python -m tests.fixturesite`), so the server never competes for our GIL.
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.archive_stats import database_bytes, fetched_paths, last_run_id, run_figures
from bench.proc import ROOT, FixtureServer, Measured, run_measured
from tests.fixturesite.catalogue import SYNTHETIC_THEME, SiteData
from tests.support import site_config

OUT = ROOT / "bench" / "out"
LISTING = f"/hmicfrs/?recommendation-theme={SYNTHETIC_THEME}"
MB = 1024 * 1024
# The hand-written recommendation pages the fixture site always lists in its sitemap.
HAND_PAGES = sum(1 for rec in SiteData().hand_recs("initial") if rec.in_sitemap)

Say = Callable[[str], None]


@dataclass(frozen=True)
class Sizes:
    """Synthetic page counts for each measurement."""

    throughput: int
    pairs: int
    politeness: int  # recommendation pages in all (the hand-written ones included)
    politeness_delay: float
    incremental: int
    scale_small: int
    scale_large: int
    reparse: int = 3000  # synthetic recommendations crawled for the reparse measurement


FULL = Sizes(2000, 3, 200, 0.05, 2000, 10_000, 100_000, 3000)
QUICK = Sizes(500, 3, 200, 0.05, 500, 2_000, 20_000, 1000)


@dataclass(frozen=True)
class Row:
    """One line of the printed table."""

    measurement: str
    ours: str
    baseline: str
    ratio: str
    target: str
    met: str


# --- running one crawl ------------------------------------------------------------------------


def _fresh(path: Path) -> Path:
    for old in path.parent.glob(path.name + "*"):
        old.unlink()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _drop(db: Path) -> None:
    for old in db.parent.glob(db.name + "*"):
        old.unlink()


def write_crawl_config(
    path: Path, base_url: str, db: Path, *, concurrency: int, delay: float
) -> Path:
    """tests.support's fixture-site config, discovering through robots.txt and the synthetic
    listing only."""
    config = site_config(
        base_url, db, concurrency=concurrency, delay_seconds=delay, jitter_seconds=0.0
    )
    config["discovery"]["listings"] = [LISTING]
    config["discovery"]["sitemaps"] = []
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _summary(crawler: str, m: Measured, figures: dict[str, Any]) -> dict[str, Any]:
    pages = figures["recommendation_pages"]
    return {
        "crawler": crawler,
        "wall_seconds": round(m.wall_seconds, 3),
        "recommendation_pages": pages,
        "pages_per_second": round(pages / m.wall_seconds, 1) if m.wall_seconds else None,
        "peak_rss_mb": round(m.peak_rss_bytes / MB, 1),
        "polled_peak_rss_mb": round(m.polled_peak_rss_bytes / MB, 1),
        "rusage_maxrss_mb": round(m.rusage_maxrss_bytes / MB, 1),
        # CPU time over wall time: a crawler bound by one GIL cannot pass 1.0.
        "cpu_cores_used": round(m.cpu_seconds / m.wall_seconds, 2) if m.wall_seconds else None,
        "cpu_seconds": round(m.cpu_seconds, 3),
        # The process's CPU time (start-up, discovery and writing included) per page.
        "cpu_ms_per_page": round(1000 * m.cpu_seconds / pages, 3) if pages else None,
        "returncode": m.returncode,
        **{k: v for k, v in figures.items() if k != "recommendation_pages"},
    }


def _check(crawler: str, m: Measured) -> None:
    # 1: done, but some pages failed; the fixture site's deliberate 404s do not count as that.
    if m.returncode not in (0, 1):
        raise RuntimeError(
            f"{crawler} exited {m.returncode}:\n{m.stdout[-2000:]}\n{m.stderr[-4000:]}"
        )


def crawl_ours(
    site: FixtureServer,
    db: Path,
    *,
    concurrency: int = 8,
    delay: float = 0.0,
    progress: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """`hmicfrs crawl` as a user runs it, in its own process; its figures."""
    config = write_crawl_config(
        db.with_suffix(".yaml"), site.base_url, db, concurrency=concurrency, delay=delay
    )
    command = [sys.executable, "-m", "scraper", "crawl", "-q", "--config", str(config)]
    m = run_measured(command, progress=progress)
    _check("hmicfrs crawl", m)
    return _summary("hmicfrs", m, run_figures(db, last_run_id(db)))


def crawl_scrapy(site: FixtureServer, db: Path, *, concurrency: int = 8) -> dict[str, Any]:
    """The Scrapy spider doing the same job, in its own process; its figures."""
    command = [
        sys.executable, "-m", "bench.scrapy_spider", "--base-url", site.base_url,
        "--db", str(db), "--listing", LISTING, "--concurrency", str(concurrency),
    ]  # fmt: skip
    m = run_measured(command)
    _check("scrapy", m)
    summary = _summary("scrapy", m, run_figures(db, last_run_id(db)))
    lines = [line for line in m.stdout.splitlines() if line.startswith("{")]
    if lines:
        summary["scrapy_stats"] = json.loads(lines[-1])
    return summary


# --- 1. crawl throughput ----------------------------------------------------------------------


def fetch_ceiling(
    site: FixtureServer, urls: Path, *, concurrency: int = 8, client: str = "stdlib"
) -> dict[str, Any]:
    """bench/ceiling.py in its own process: the requests a crawl sent, fetched by a plain
    client with no parse and no store; its figures, timed as the crawlers are."""
    command = [
        sys.executable, "-m", "bench.ceiling", "--base-url", site.base_url,
        "--urls", str(urls), "--concurrency", str(concurrency), "--client", client,
    ]  # fmt: skip
    m = run_measured(command)
    if m.returncode != 0:
        raise RuntimeError(f"bench/ceiling.py failed:\n{m.stderr[-4000:]}")
    counts = json.loads(m.stdout.strip().splitlines()[-1])
    pages = counts["recommendation_requests"]
    return {
        "crawler": "ceiling" if client == "stdlib" else f"ceiling-{client}",
        "wall_seconds": round(m.wall_seconds, 3),
        "recommendation_pages": pages,
        "pages_per_second": round(pages / m.wall_seconds, 1) if m.wall_seconds else None,
        "cpu_seconds": round(m.cpu_seconds, 3),
        "peak_rss_mb": round(m.peak_rss_bytes / MB, 1),
        **counts,
    }


def _median_ratio(a: list[dict[str, Any]], b: list[dict[str, Any]], key: str) -> float:
    return statistics.median(x[key] / y[key] for x, y in zip(a, b, strict=True))


def throughput(sizes: Sizes, say: Say) -> tuple[dict[str, Any], list[Row]]:
    """hmicfrs crawl against Scrapy and against the fetch-only ceiling, alternating A, B, C,
    A, B, C; the median of each round's ratios."""
    work = OUT / "throughput"
    runs: list[dict[str, Any]] = []
    urls = work / "requests.tsv"
    with FixtureServer(synthetic=sizes.throughput) as site:
        say(f"throughput: site {site.base_url} with {sizes.throughput} synthetic pages")
        # A warm-up of each, not counted: the site's page cache, the OS file cache.
        for name, crawl in (("ours", crawl_ours), ("scrapy", crawl_scrapy)):
            db = _fresh(work / f"warmup-{name}.sqlite")
            r = crawl(site, db)
            if name == "ours":  # the requests the ceiling sends: ours, in its order
                sent = fetched_paths(db, last_run_id(db))
                urls.write_text("".join(f"{kind}\t{path}\n" for kind, path in sent))
            _drop(db)
            say(f"  warm-up {name}: {r['pages_per_second']} pages/s")
        r = fetch_ceiling(site, urls)
        say(f"  warm-up ceiling: {r['pages_per_second']} pages/s")
        for pair in range(1, sizes.pairs + 1):
            for name, crawl in (
                ("ours", crawl_ours),
                ("scrapy", crawl_scrapy),
                ("ceiling", None),
                ("ceiling-httpx", None),
            ):
                if crawl is None:
                    r = fetch_ceiling(site, urls, client=name.partition("-")[2] or "stdlib")
                else:
                    db = _fresh(work / f"{name}-{pair}.sqlite")
                    r = crawl(site, db)
                    r["database_bytes"] = database_bytes(db)
                    _drop(db)
                r["pair"] = pair
                runs.append(r)
                say(
                    f"  round {pair} {name}: {r['recommendation_pages']} pages in "
                    f"{r['wall_seconds']:.1f}s = {r['pages_per_second']} pages/s, "
                    f"CPU {r['cpu_seconds']:.2f}s, peak RSS {r['peak_rss_mb']} MB"
                )
    ours = [r for r in runs if r["crawler"] == "hmicfrs"]
    theirs = [r for r in runs if r["crawler"] == "scrapy"]
    ceiling = [r for r in runs if r["crawler"] == "ceiling"]
    with_httpx = [r for r in runs if r["crawler"] == "ceiling-httpx"]
    ratios = [
        a["pages_per_second"] / b["pages_per_second"] for a, b in zip(ours, theirs, strict=True)
    ]
    crawls = ours + theirs
    same_job = {(r["recommendation_pages"], r["versions_in_database"]) for r in crawls}
    result = {
        "synthetic_pages": sizes.throughput,
        "concurrency": 8,
        "delay_seconds": 0.0,
        "runs": runs,
        "ours_pages_per_second_median": statistics.median(r["pages_per_second"] for r in ours),
        "scrapy_pages_per_second_median": statistics.median(r["pages_per_second"] for r in theirs),
        "ceiling_pages_per_second_median": statistics.median(
            r["pages_per_second"] for r in ceiling
        ),
        "pair_ratios": [round(x, 3) for x in ratios],
        "median_ratio": round(statistics.median(ratios), 3),
        "ours_cpu_ms_per_page_median": statistics.median(r["cpu_ms_per_page"] for r in ours),
        "scrapy_cpu_ms_per_page_median": statistics.median(r["cpu_ms_per_page"] for r in theirs),
        "cpu_ratio_median": round(_median_ratio(ours, theirs, "cpu_ms_per_page"), 3),
        "ceiling_share_median": round(_median_ratio(ours, ceiling, "pages_per_second"), 3),
        "ceiling_httpx_pages_per_second_median": statistics.median(
            r["pages_per_second"] for r in with_httpx
        ),
        "ceiling_httpx_share_median": round(_median_ratio(ours, with_httpx, "pages_per_second"), 3),
        "ours_peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in ours),
        "scrapy_peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in theirs),
        "rss_ratio_median": round(_median_ratio(ours, theirs, "peak_rss_mb"), 3),
        # Both crawlers should have fetched the same pages and kept the same versions, and
        # the ceiling asked for as many recommendation pages.
        "same_job": len(same_job) == 1
        and all(
            c["recommendation_pages"] == ours[0]["recommendation_pages"]
            for c in ceiling + with_httpx
        ),
    }
    if not result["same_job"]:
        say(f"  WARNING: the crawlers did different jobs: {sorted(same_job)}")
    ratio, cpu = result["median_ratio"], result["cpu_ratio_median"]
    share = result["ceiling_share_median"]
    rss_ours, rss_theirs = result["ours_peak_rss_mb_median"], result["scrapy_peak_rss_mb_median"]
    same = "" if result["same_job"] else " (NOT the same job)"
    rows = [
        Row(
            f"crawl throughput, {sizes.throughput} pages, c=8 (pages/s, median) vs Scrapy{same}",
            f"{result['ours_pages_per_second_median']:.0f}",
            f"{result['scrapy_pages_per_second_median']:.0f}",
            f"{ratio:.2f}",
            ">= 2.0",
            _yes(ratio >= 2.0 and result["same_job"]),
        ),
        Row(
            "crawl CPU per page (ms, median) vs Scrapy",
            f"{result['ours_cpu_ms_per_page_median']:.2f}",
            f"{result['scrapy_cpu_ms_per_page_median']:.2f}",
            f"{cpu:.2f}",
            "<= 0.5",
            _yes(cpu <= 0.5),
        ),
        Row(
            "crawl pages/s vs fetch-only ceiling (same requests, c=8, no parse/store)",
            f"{result['ours_pages_per_second_median']:.0f}",
            f"{result['ceiling_pages_per_second_median']:.0f}",
            f"{share:.0%}",
            ">= 60%",
            _yes(share >= 0.60),
        ),
        Row(
            "crawl pages/s vs the same with a plain httpx.Client (our HTTP library)",
            f"{result['ours_pages_per_second_median']:.0f}",
            f"{result['ceiling_httpx_pages_per_second_median']:.0f}",
            f"{result['ceiling_httpx_share_median']:.0%}",
            "(none)",
            "-",
        ),
        Row(
            "crawl peak RSS (MB, median) vs Scrapy",
            f"{rss_ours:.0f}",
            f"{rss_theirs:.0f}",
            f"{result['rss_ratio_median']:.2f}",
            "below Scrapy's",
            _yes(rss_ours < rss_theirs),
        ),
    ]
    return result, rows


# --- 2. politeness floor ----------------------------------------------------------------------


def politeness(sizes: Sizes, say: Say) -> tuple[dict[str, Any], list[Row]]:
    """Concurrency 1 at a small delay: page-phase wall time over pages x delay."""
    delay = sizes.politeness_delay
    synthetic = max(0, sizes.politeness - HAND_PAGES)
    with FixtureServer(synthetic=synthetic) as site:
        say(f"politeness: site {site.base_url}, {synthetic + HAND_PAGES} pages at {delay}s")
        db = _fresh(OUT / "politeness" / "ours.sqlite")
        r = crawl_ours(site, db, concurrency=1, delay=delay)
        _drop(db)
    pages = r["recommendation_pages"]
    phase = r["page_phase_seconds"]
    floor = pages * delay
    ratio = phase / floor
    say(f"  {pages} pages in {phase:.2f}s against a floor of {floor:.2f}s: {ratio:.3f}")
    result = {
        **r,
        "delay_seconds": delay,
        "floor_seconds": floor,
        "ratio": round(ratio, 3),
    }
    row = Row(
        f"politeness floor, {pages} pages at {delay}s, c=1 (wall / pages x delay)",
        f"{ratio:.3f}",
        "-",
        "-",
        "<= 1.10",
        _yes(ratio <= 1.10),
    )
    return result, [row]


# --- 3. incremental run -----------------------------------------------------------------------


def incremental(sizes: Sizes, say: Say) -> tuple[dict[str, Any], list[Row]]:
    """A second crawl of the unchanged site: bytes received and database growth per page."""
    db = _fresh(OUT / "incremental" / "ours.sqlite")
    with FixtureServer(synthetic=sizes.incremental) as site:
        say(f"incremental: site {site.base_url} with {sizes.incremental} synthetic pages")
        first = crawl_ours(site, db)
        first_size = database_bytes(db)
        say(f"  first crawl: {first['bytes_received']} bytes, database {first_size} bytes")
        second = crawl_ours(site, db)
        second_size = database_bytes(db)
    _drop(db)
    unchanged = second["outcomes"].get("not_modified", 0) + second["outcomes"].get("unchanged", 0)
    growth = second_size - first_size
    share = second["bytes_received"] / first["bytes_received"]
    per_page = growth / unchanged if unchanged else float("nan")
    say(
        f"  second crawl: {second['bytes_received']} bytes ({share:.2%}), database "
        f"+{growth} bytes over {unchanged} unchanged pages = {per_page:.0f} B/page"
    )
    result = {
        "first": {**first, "database_bytes": first_size},
        "second": {**second, "database_bytes": second_size},
        "bytes_share": round(share, 5),
        "unchanged_pages": unchanged,
        "growth_bytes": growth,
        "growth_bytes_per_unchanged_page": round(per_page, 1),
    }
    rows = [
        Row(
            "incremental: bytes received (% of first run)",
            f"{share:.2%}",
            "-",
            "-",
            "<= 10%",
            _yes(share <= 0.10),
        ),
        Row(
            "incremental: DB growth (bytes per unchanged page)",
            f"{per_page:.0f}",
            "-",
            "-",
            "<= 300",
            _yes(per_page <= 300),
        ),
    ]
    return result, rows


# --- 4. scale ---------------------------------------------------------------------------------


def scale(sizes: Sizes, say: Say) -> tuple[dict[str, Any], list[Row]]:
    """Peak RSS and database bytes per version at two sizes, ten times apart."""
    results = []
    for n in (sizes.scale_small, sizes.scale_large):
        db = _fresh(OUT / "scale" / f"ours-{n}.sqlite")
        with FixtureServer(synthetic=n) as site:
            say(f"scale: site {site.base_url} with {n} synthetic pages")
            started = time.monotonic()

            def progress(elapsed: float, site: FixtureServer = site) -> None:
                done = site.request_count()
                say(f"  ... {elapsed:.0f}s: {done} requests answered ({done / elapsed:.0f}/s)")

            r = crawl_ours(site, db, progress=progress)
            r["site_cpu_seconds"] = round(site.cpu_seconds(), 1)
        size = database_bytes(db)
        _drop(db)
        r["synthetic_pages"] = n
        r["database_bytes"] = size
        r["database_bytes_per_version"] = round(size / r["versions_in_database"], 1)
        results.append(r)
        say(
            f"  {r['recommendation_pages']} pages in {time.monotonic() - started:.0f}s "
            f"({r['pages_per_second']} pages/s), peak RSS {r['peak_rss_mb']} MB, "
            f"{r['database_bytes_per_version']:.0f} database bytes per version"
        )
    small, large = results
    growth = large["peak_rss_mb"] / small["peak_rss_mb"]
    result = {
        "runs": results,
        "rss_growth": round(growth, 3),
        # Flat: ten times the pages costs at most a fifth more memory.
        "flat": growth <= 1.20,
    }
    rows = [
        Row(
            f"scale: peak RSS at {large['recommendation_pages']} pages (MB; baseline: "
            f"{small['recommendation_pages']} pages)",
            f"{large['peak_rss_mb']:.0f}",
            f"{small['peak_rss_mb']:.0f}",
            f"{growth:.2f}",
            "<= 150 MB, flat (<= 1.20)",
            _yes(large["peak_rss_mb"] <= 150 and result["flat"]),
        ),
        Row(
            f"scale: database bytes per version ({large['versions_in_database']} versions)",
            f"{large['database_bytes_per_version']:.0f}",
            f"{small['database_bytes_per_version']:.0f}",
            f"{large['database_bytes_per_version'] / small['database_bytes_per_version']:.2f}",
            "(none)",
            "-",
        ),
        Row(
            f"scale: crawl throughput at {large['recommendation_pages']} pages (pages/s)",
            f"{large['pages_per_second']:.0f}",
            f"{small['pages_per_second']:.0f}",
            f"{large['pages_per_second'] / small['pages_per_second']:.2f}",
            "(none)",
            "-",
        ),
    ]
    return result, rows


# --- 5. parse ---------------------------------------------------------------------------------

PARSE_SNIPPET = "import json, bench.parse as p; print(json.dumps(p.run({seconds})))"


def parse(sizes: Sizes, say: Say, seconds: float = 4.0) -> tuple[dict[str, Any], list[Row]]:
    """bench/parse.py's run(), in a fresh process: pages per second on one core, beside
    lexbor's DOM build of the same page (the ceiling, and a baseline that moves with the
    machine). The ratios are the medians of bench/parse.py's interleaved rounds."""
    m = run_measured([sys.executable, "-c", PARSE_SNIPPET.format(seconds=seconds)])
    if m.returncode != 0:
        raise RuntimeError(f"bench/parse.py failed:\n{m.stderr[-4000:]}")
    result = json.loads(m.stdout.strip().splitlines()[-1])
    rate = float(result["pages_per_second"])
    lexbor = float(result["lexbor_only_pages_per_second"])
    heavy = float(result["full_chrome_pages_per_second"])
    heavy_lexbor = float(result["full_chrome_lexbor_only_pages_per_second"])
    say(f"parse: {rate:.0f} pages/s, {heavy:.0f} in a heavy theme")
    kb = round(result["full_chrome_page_bytes"] / 1000)
    rows = [
        Row(
            "parse, typical page (pages/s, one core) vs lexbor DOM alone",
            f"{rate:.0f}",
            f"{lexbor:.0f}",
            f"{result['typical_vs_lexbor']:.2f}",
            ">= 2000",
            _yes(rate >= 2000),
        ),
        Row(
            f"parse, same page in a {kb} KB theme vs lexbor DOM alone",
            f"{heavy:.0f}",
            f"{heavy_lexbor:.0f}",
            f"{result['full_chrome_vs_lexbor']:.2f}",
            "(none)",
            "-",
        ),
    ]
    return result, rows


REPARSE_SNIPPET = "import json, bench.reparse as r; print(json.dumps(r.run({db!r}, {rounds})))"


def reparse(sizes: Sizes, say: Say) -> tuple[dict[str, Any], list[Row]]:
    """bench/reparse.py's run(), in a fresh process, on an archive of a crawl of `reparse`
    synthetic pages: `reparse` on two workers against parse alone on one core."""
    db = _fresh(OUT / "reparse" / "archive.sqlite")
    with FixtureServer(synthetic=sizes.reparse) as site:
        say(f"reparse: crawling {sizes.reparse} synthetic pages for the archive")
        crawled = crawl_ours(site, db)
    m = run_measured([sys.executable, "-c", REPARSE_SNIPPET.format(db=str(db), rounds=sizes.pairs)])
    _drop(db)
    if m.returncode != 0:
        raise RuntimeError(f"bench/reparse.py failed:\n{m.stderr[-4000:]}")
    result = json.loads(m.stdout.strip().splitlines()[-1])
    result["recommendation_pages"] = crawled["recommendation_pages"]
    say(
        f"  {result['snapshots']} snapshots: reparse {result['reparse_median']:.0f}/s on "
        f"{result['workers']} workers, inline {result['reparse_inline_median']:.0f}/s, parse "
        f"alone {result['parse_only_median']:.0f}/s; ratios {result['round_ratios']}; "
        f"cores in use {result['cores_used']}"
    )
    ratio = result["median_ratio"]
    cpu = result["cpu_ms_per_snapshot"]
    rows = [
        Row(
            f"reparse, {result['snapshots']} snapshots, {result['workers']} workers "
            "(snapshots/s) vs parse alone on one core",
            f"{result['reparse_median']:.0f}",
            f"{result['parse_only_median']:.0f}",
            f"{ratio:.2f}",
            ">= 1.6",
            _yes(ratio >= 1.6),
        ),
        Row(
            "reparse inline, workers=1 (snapshots/s) vs parse alone on one core",
            f"{result['reparse_inline_median']:.0f}",
            f"{result['parse_only_median']:.0f}",
            f"{result['inline_median_ratio']:.2f}",
            "(none)",
            "-",
        ),
        # CPU, unlike wall time, does not depend on the share of the machine others leave:
        # what two workers could reach on two idle cores is 2 x parse CPU / reparse CPU.
        Row(
            f"reparse CPU per snapshot, all {result['workers'] + 1} processes (ms) vs parse "
            f"alone; x{result['workers']} = {result['cpu_bound_ratio']:.2f} on idle cores",
            f"{cpu['reparse']:.3f}",
            f"{cpu['parse_only']:.3f}",
            f"{cpu['reparse'] / cpu['parse_only']:.2f}",
            "(none)",
            "-",
        ),
    ]
    return result, rows


VIEWS_SNIPPET = "import json, bench.views as v; print(json.dumps(v.run({n})))"
# The slowest query a recommendation page runs should leave Datasette's 10 s limit far away.
PAGE_QUERY = "recommendation_group_members (all rows)"


def views(sizes: Sizes, say: Say) -> tuple[dict[str, Any], list[Row]]:
    """bench/views.py's run() in a fresh process: each researcher view over scale_small
    recommendations, beside a plain read of the same rows from the tables."""
    n = sizes.scale_small
    m = run_measured([sys.executable, "-c", VIEWS_SNIPPET.format(n=n)])
    if m.returncode != 0:
        raise RuntimeError(f"bench/views.py failed:\n{m.stderr[-4000:]}")
    result = json.loads(m.stdout.strip().splitlines()[-1])
    base = float(result["baseline_seconds"])
    say(f"views: {n} recommendations, baseline read {base:.3f} s")
    rows = []
    for name, q in result["queries"].items():
        seconds = float(q["seconds"])
        target, met = ("<= 1 s", _yes(seconds <= 1.0)) if name == PAGE_QUERY else ("(none)", "-")
        rows.append(
            Row(
                f"view at {n:,} recs: {name} (s) vs a plain table read",
                f"{seconds:.3f}",
                f"{base:.3f}",
                f"{seconds / base:.1f}",
                target,
                met,
            )
        )
    return result, rows


def datasette_pages(sizes: Sizes, say: Say) -> tuple[dict[str, Any], list[Row]]:
    """bench/datasette_pages.py: every Datasette page over a synthetic archive of
    scale_large recommendations (at most 50,000), and each export's peak RSS at a fifth of
    that and at it."""
    from bench import datasette_pages as dp

    n = min(50_000, sizes.scale_large)
    say(f"datasette pages: {n} synthetic recommendations")
    pages = dp.pages(n)
    say(f"exports: peak RSS at {max(1, n // 5)} and {n} recommendations")
    exports = dp.exports(n, small=max(1, n // 5))
    rows = [
        Row(f"datasette at {n:,} recs: {r['page']} (ms)", str(r["ms"]), "-", "-",
            f"< {dp.TARGET_MS} ms", _yes(r["met"]))
        for r in pages
    ]  # fmt: skip
    for r in exports:
        small, large = (v for k, v in r.items() if k.startswith("rss_mb_"))
        rows.append(
            Row(f"export {r['format']} peak RSS (MB), {n:,} vs {max(1, n // 5):,} recs",
                str(large), str(small), str(r["ratio"]), "<= 1.2", _yes(r["met"]))
        )  # fmt: skip
    return {"pages": pages, "exports": exports}, rows


def _yes(ok: bool) -> str:
    return "yes" if ok else "NO"


def hostile(sizes: Sizes, say: Say) -> tuple[dict[str, Any], list[Row]]:
    """bench/hostile.py: decompression bombs and a `<loc ` sitemap, ours beside the old way."""
    from bench import hostile as hostile_bench

    say("hostile: two 1 GiB bombs and a <loc sitemap, ours and the old way")
    return hostile_bench.run(say)


MEASUREMENTS = {
    "throughput": throughput,
    "politeness": politeness,
    "incremental": incremental,
    "scale": scale,
    "parse": parse,
    "reparse": reparse,
    "views": views,
    "datasette_pages": datasette_pages,
    "hostile": hostile,
}


def clean() -> None:
    """Remove the databases the measurements left behind."""
    shutil.rmtree(OUT, ignore_errors=True)


def sizes_dict(sizes: Sizes) -> dict[str, Any]:
    return asdict(sizes)
