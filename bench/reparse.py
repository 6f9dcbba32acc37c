"""`reparse` on two worker processes against parse alone on one core, over the same bodies.

Run as `python bench/reparse.py DB [rounds]` on an archive (`make bench` crawls the fixture
site's synthetic pages for it); prints one JSON object. Each round times, one after another
on the same stored bodies: the parse alone (decompress, decode, parse_page, the store's
record; no database, one core), `reparse` with two workers (reading, parsing on two
processes, writing in batches) and `reparse` inline. Ratios are taken within a round and
their median reported, so load that comes and goes skews both sides alike.
Measures only: no assertion on time lives here or anywhere in tests/.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scraper.reparse import parse_stored, reparse_archive  # noqa: E402
from store.archive import Archive  # noqa: E402


def _rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def _cpu() -> float:
    """CPU seconds of this process and of its children reaped so far (the workers)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def run(db: str | Path, rounds: int = 3, workers: int = 2) -> dict:
    archive = Archive(db)
    try:
        bodies = [s for block in archive.reparse_blocks() for s in block]
        n = len(bodies)
        reparse_archive(archive, workers)  # warm-up: the file cache, the first forks
        parse_only, pooled, inline = [], [], []
        cpu: dict[str, list[float]] = {"parse_only": [], "reparse": [], "reparse_inline": []}
        for _ in range(rounds):
            started, used = time.perf_counter(), _cpu()
            for snapshot in bodies:
                parse_stored(snapshot)
            parse_only.append(_rate(n, time.perf_counter() - started))
            cpu["parse_only"].append(_cpu() - used)
            started, used = time.perf_counter(), _cpu()
            counts = reparse_archive(archive, workers)
            pooled.append(_rate(counts["snapshots"], time.perf_counter() - started))
            cpu["reparse"].append(_cpu() - used)
            started, used = time.perf_counter(), _cpu()
            counts = reparse_archive(archive, 1)
            inline.append(_rate(counts["snapshots"], time.perf_counter() - started))
            cpu["reparse_inline"].append(_cpu() - used)
    finally:
        archive.close()
    ratios = [p / b for p, b in zip(pooled, parse_only, strict=True)]
    inline_ratios = [p / b for p, b in zip(inline, parse_only, strict=True)]
    # CPU per snapshot, which load does not inflate as it does wall time: what the parse
    # alone costs against what reparse costs in all its processes. On an idle machine with
    # `workers` cores, reparse can reach `workers` x (parse CPU / reparse CPU) x one core's
    # parse rate, if its writer keeps up (its CPU stays under one core's share).
    per = {k: statistics.median(v) / n * 1000 for k, v in cpu.items()}
    # Cores in use while each ran (CPU seconds over wall seconds): on a machine shared under
    # Linux's autogroup scheduling, a session gets its share however many processes it runs,
    # and a figure well under `workers` here says the wall ratio measured that share.
    rates = {"parse_only": parse_only, "reparse": pooled, "reparse_inline": inline}
    cores = {k: round(per[k] / 1000 * statistics.median(rates[k]), 2) for k in per}
    efficiency = per["parse_only"] / per["reparse"] if per["reparse"] else 0.0
    return {
        "snapshots": n,
        "workers": workers,
        "cpus": os.cpu_count(),
        "rounds": rounds,
        "parse_only_per_second": parse_only,
        "reparse_per_second": pooled,
        "reparse_inline_per_second": inline,
        "parse_only_median": statistics.median(parse_only),
        "reparse_median": statistics.median(pooled),
        "reparse_inline_median": statistics.median(inline),
        "round_ratios": [round(r, 3) for r in ratios],
        "median_ratio": round(statistics.median(ratios), 3),
        "inline_median_ratio": round(statistics.median(inline_ratios), 3),
        "cpu_ms_per_snapshot": {k: round(v, 3) for k, v in per.items()},
        "cores_used": cores,
        "cpu_efficiency": round(efficiency, 3),
        "cpu_bound_ratio": round(workers * efficiency, 3),
        "changed": counts["changed"],
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 3)))
