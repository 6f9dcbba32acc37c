"""`python -m bench.plan_memory [--pages N ...]`: peak RSS of a nightly crawl's planning
(scheduler.change_schedule over the archive) at N known recommendation pages.

Each size gets a synthetic archive (store.synthetic.build, then add_signals: every page in a
sitemap with an unmoved lastmod and shown as archived by a listing checked in this walk,
ten entries a listing page). Each measurement is a fresh subprocess that opens the archive,
resets the kernel's high-water mark of its RSS (Linux: /proc/self/clear_refs, VmHWM), plans,
drains the schedule, and reads the mark again. Two nights are planned, each a day after
the last crawl: `nightly`, a day after the pages were checked (the rotation's part, nothing
else due), and `all due`, nine days after (every page due, the largest plan there can be).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from store import synthetic
from store.archive import Archive, format_time

WALK_AT = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)
# Hours after the pages were last checked (WALK_AT less a day): a night, and nine days.
NIGHTS = {"nightly": 0.0, "all due": 192.0}


def _peak_mb() -> float:
    """This process's peak RSS since the last _reset_peak (Linux: VmHWM)."""
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def _reset_peak() -> None:
    """Start the high-water mark afresh from the current RSS (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure(db: str, hours: float) -> dict:
    """In this process: plan one crawl `hours` after the last one; peak RSS before and after."""
    from scraper.identity import Identify
    from scraper.scheduler import ChangePolicy, change_schedule, with_slack

    now = WALK_AT + timedelta(hours=hours)
    archive = Archive(db, now=lambda: format_time(now))
    # The crawl before this one ran a day before it.
    archive.now = lambda: format_time(now - timedelta(days=1))
    archive.finish_run(archive.start_run("crawl"), "ok")
    archive.now = lambda: format_time(now)
    run_id = archive.start_run("crawl")
    walk = format_time(now)
    archive.db.execute("UPDATE pages SET last_in_sitemap_at = ?, last_checked_at = ? "
                       "WHERE kind = 'listing'", [walk, walk])  # fmt: skip
    identify = Identify("https://synthetic.test", "/hmicfrs/?p={id}")
    policy = ChangePolicy(with_slack(24), with_slack(168))
    _reset_peak()
    before = _peak_mb()
    started = time.perf_counter()
    schedule, watch, counts = change_schedule(
        archive, identify, lambda: now, [], policy, ("complete",), walk, run_id
    )
    visited = 0
    while schedule.next_page() is not None:
        visited += 1
    seconds = time.perf_counter() - started
    archive.close()
    return {
        "before_mb": round(before, 1),
        "peak_mb": round(_peak_mb(), 1),
        "planned": visited,
        "counts": counts,
        "seconds": round(seconds, 1),
    }


def run(sizes: list[int]) -> list[dict]:
    results = []
    with tempfile.TemporaryDirectory(prefix="plan-memory-") as work:
        for n in sizes:
            db = str(Path(work) / f"{n}.sqlite")
            started = time.perf_counter()
            synthetic.build(db, n, versions=1, now=WALK_AT)
            synthetic.add_signals(db, WALK_AT)
            print(f"{n}: archive built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
            for night, hours in NIGHTS.items():
                copy = str(Path(work) / f"{n}-{hours}.sqlite")
                Path(copy).write_bytes(Path(db).read_bytes())
                out = subprocess.run(
                    [sys.executable, "-m", "bench.plan_memory", "--measure", copy, str(hours)],
                    check=True, capture_output=True, text=True,
                )  # fmt: skip
                results.append({"pages": n, "night": night, **json.loads(out.stdout)})
                Path(copy).unlink()
            Path(db).unlink()
    return results


def render(results: list[dict]) -> str:
    lines = [f"{'pages':>8} {'night':>8} {'planned':>8} {'RSS before':>11} {'peak':>8} {'plan':>8}"]
    for r in results:
        lines.append(
            f"{r['pages']:>8} {r['night']:>8} {r['planned']:>8} {r['before_mb']:>8.1f} MB"
            f" {r['peak_mb']:>5.1f} MB {r['peak_mb'] - r['before_mb']:>5.1f} MB"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--measure", nargs=2, metavar=("DB", "HOURS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure[0], float(args.measure[1]))))
        return
    print(render(run(args.pages)))


if __name__ == "__main__":
    main()
