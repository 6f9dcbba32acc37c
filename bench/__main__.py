"""`python -m bench [--quick] [--only NAME ...]`: run the measurements, print one table, write
bench/results.json. Progress goes to stderr; the table to stdout."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from bench.measurements import FULL, MEASUREMENTS, QUICK, Row, clean, sizes_dict
from bench.proc import ROOT

RESULTS = ROOT / "bench" / "results.json"
HEADER = Row("measurement", "ours", "baseline", "ratio", "target", "met?")


def _version(package: str) -> str | None:
    try:
        return version(package)
    except PackageNotFoundError:
        return None


def render(rows: list[Row]) -> str:
    """A plain-text table, one line per row."""
    table = [dataclasses.astuple(HEADER), *(dataclasses.astuple(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(HEADER.__dict__))]
    lines = []
    for n, line in enumerate(table):
        lines.append(
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="smaller sizes (500 / 2,000 / 20,000 pages)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(MEASUREMENTS),
        metavar="NAME",
        help=f"run only this measurement (repeatable): {', '.join(MEASUREMENTS)}",
    )
    parser.add_argument("--pairs", type=int, help="throughput pairs (default 3)")
    parser.add_argument("--scale-pages", type=int, help="the larger scale run's page count")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where results go")
    args = parser.parse_args(argv)

    sizes = QUICK if args.quick else FULL
    if args.pairs:
        sizes = dataclasses.replace(sizes, pairs=max(3, args.pairs))
    if args.scale_pages:
        sizes = dataclasses.replace(
            sizes, scale_large=args.scale_pages, scale_small=max(1, args.scale_pages // 10)
        )
    names = args.only or list(MEASUREMENTS)
    began = time.monotonic()

    def say(message: str) -> None:
        print(f"[{time.monotonic() - began:7.1f}s] {message}", file=sys.stderr, flush=True)

    results: dict[str, Any] = {
        "meta": {
            "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "mode": "quick" if args.quick else "full",
            "sizes": sizes_dict(sizes),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "machine": platform.machine(),
            "scrapy": _version("scrapy"),
            "httpx": _version("httpx"),
            "selectolax": _version("selectolax"),
            # Other work on the machine skews every figure: look here before comparing runs.
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        }
    }
    rows: list[Row] = []
    for name in names:
        result, new_rows = MEASUREMENTS[name](sizes, say)
        results[name] = result
        rows += new_rows
    results["meta"]["seconds"] = round(time.monotonic() - began, 1)
    results["meta"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["table"] = [dataclasses.asdict(r) for r in rows]
    args.output.write_text(json.dumps(results, indent=2, default=str) + "\n")
    clean()
    print(render(rows))
    print(f"\n({results['meta']['mode']} run, {results['meta']['seconds']:.0f}s; {args.output})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
