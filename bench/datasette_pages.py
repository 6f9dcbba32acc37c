"""Datasette pages and exports at the sizes researchers reach.

`python bench/datasette_pages.py [N]` builds a synthetic archive of N recommendations
(bench/synthetic.py), times every view's table page, every canned query, a recommendation's
page and /-/changes.atom through Datasette's own client (median of three after a warm-up),
and prints a table: ms, the 300 ms target, met or not. `--exports` instead measures the peak
RSS of each export format at 10k and N recommendations, each in a fresh process.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import synthetic  # noqa: E402
from bench.proc import peak_command, read_peak  # noqa: E402

TARGET_MS = 300
EXPORT_SNIPPET = """
import sys, sqlite_utils
from store.export import export_archive
db = sqlite_utils.Database(sys.argv[1])
export_archive(db, sys.argv[2], sys.argv[3], current=False)
"""


def page_paths(ds: Any) -> list[str]:
    from store.serve import load_metadata

    name = next(n for n, d in ds.databases.items() if not n.startswith("_") and not d.is_memory)
    section = load_metadata(name)["databases"][name]
    views = [
        t
        for t, meta in section["tables"].items()
        if not meta.get("hidden") and not t.startswith("_")
    ]
    paths = [f"/{name}/{t}" for t in views]
    paths += [f"/{name}/{q}" for q in section["queries"]]
    paths += [f"/{name}/search?q=audit", f"/{name}/status_changes?is_regression=1"]
    paths += ["/-/recommendations/1234", "/-/changes.atom"]
    return paths


async def _time_pages(path: str) -> list[dict[str, Any]]:
    from store.serve import make_datasette

    ds = make_datasette(path)
    rows = []
    for p in page_paths(ds):
        await ds.client.get(p)  # warm-up: caches, Datasette's startup
        times, status = [], None
        for _ in range(3):
            start = time.perf_counter()
            response = await ds.client.get(p)
            times.append((time.perf_counter() - start) * 1000)
            status = response.status_code
        ms = statistics.median(times)
        rows.append({"page": p, "ms": round(ms), "status": status, "met": ms < TARGET_MS})
    return rows


def pages(n: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "archive.sqlite")
        synthetic.build(path, n)
        return asyncio.run(_time_pages(path))


def _peak_rss_mb(args: list[str]) -> float:
    """The process's own peak (VmHWM through bench/peak.py; wait4's ru_maxrss would start at
    this process's high-water mark, hiding any export smaller than it)."""
    with tempfile.TemporaryDirectory() as folder:
        command, peak_file = peak_command(args, Path(folder) / "peak")
        proc = subprocess.Popen(command, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        if status != 0:
            raise RuntimeError(f"{args} failed ({status})")
        peak = read_peak(peak_file)
    return (peak if peak is not None else usage.ru_maxrss) / 1024


def exports(n: int, small: int = 10_000) -> list[dict[str, Any]]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        peaks: dict[int, dict[str, float]] = {}
        for size in (small, n):
            path = str(Path(folder) / f"archive{size}.sqlite")
            # Built in its own process, so this one stays small.
            builder = [sys.executable, str(ROOT / "bench" / "synthetic.py"), str(size), path]
            subprocess.run(builder, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
            peaks[size] = {}
            for fmt in ("csv", "json", "jsonl", "warc"):
                out = str(Path(folder) / f"out{size}.{fmt}")
                args = [sys.executable, "-c", EXPORT_SNIPPET, path, fmt, out]
                peaks[size][fmt] = _peak_rss_mb(args)
            Path(path).unlink()
        for fmt in peaks[small]:
            ratio = peaks[n][fmt] / peaks[small][fmt]
            rows.append(
                {
                    "format": fmt,
                    f"rss_mb_{small}": round(peaks[small][fmt], 1),
                    f"rss_mb_{n}": round(peaks[n][fmt], 1),
                    "ratio": round(ratio, 2),
                    "met": ratio <= 1.2,
                }
            )
    return rows


def render(rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    table = [keys, *[[("yes" if v else "NO") if k == "met" else str(v) for k, v in r.items()]
                     for r in rows]]  # fmt: skip
    widths = [max(len(line[i]) for line in table) for i in range(len(keys))]
    lines = ("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in table)
    return "\n".join(line.rstrip() for line in lines)


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    size = int(args[0]) if args else 50_000
    if "--exports" in sys.argv:
        print(render(exports(size)))
    else:
        print(render(pages(size)))
