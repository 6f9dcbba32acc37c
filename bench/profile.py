"""Where `hmicfrs crawl` spends its time in the throughput run: `python -m bench.profile`.

Runs the throughput crawl (2,000 synthetic pages, delay 0, concurrency 8) under py-spy in
`--gil` mode, which samples only the thread holding the GIL: the crawler is one process whose
threads share one GIL, so what holds the GIL is what bounds it. Prints the GIL time by stage,
the CPU the process got (one core at most, whatever the thread count) and the leaf functions
of the largest stages. The raw samples go to bench/out/profile.txt (collapsed stacks, ready for
flamegraph.pl or speedscope).

pyinstrument samples only the thread that started it, here the main thread that writes to the
store, and would not see the fetch-and-parse workers; hence py-spy (in the bench extra).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import sys
from pathlib import Path

from bench.measurements import OUT, write_crawl_config
from bench.proc import FixtureServer, run_measured

# (stage, substrings that must all appear in the stack), first match wins.
STAGES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("startup: imports", ("_find_and_load",)),
    ("discovery: parse_page on listing pages", ("Crawler._discover", "parse_page")),
    ("discovery: parse_sitemap", ("Crawler._discover", "parse_sitemap")),
    ("discovery: Archive.note_pages", ("Crawler._discover", "note_pages")),
    ("discovery: Archive.record", ("Crawler._discover", "Archive.record")),
    ("discovery: fetching", ("Crawler._discover", "Fetcher")),
    ("discovery: other", ("Crawler._discover",)),
    ("pages: parse_page", ("Visitor.fetch", "parse_page")),
    ("pages: parse_page", ("Crawler._visit_all", "parse_page")),
    ("pages: httpx / httpcore / h11", ("Visitor.fetch", "httpx/")),
    ("pages: httpx / httpcore / h11", ("Visitor.fetch", "httpcore/")),
    ("pages: fetch (gate, retries, result)", ("Visitor.fetch", "Fetcher")),
    ("pages: visit other", ("Visitor.fetch",)),
    (
        "pages: parsed_record (canonical JSON, sha256, rows)",
        ("Crawler._visit_all", "parsed_record"),
    ),
    ("pages: observe (main thread)", ("Crawler._visit_all", "observe")),
    ("pages: Archive.record (main thread)", ("Crawler._visit_all", "Archive.record")),
    ("pages: Archive.known lookups (main thread)", ("Crawler._visit_all", "Archive.known")),
    ("pages: Workers.submit / wait", ("Crawler._visit_all", "concurrent/futures")),
    ("pages: Workers.submit / wait", ("Crawler._visit_all", "Workers.")),
    ("pages: batch commits (main thread)", ("Crawler._visit_all", "Archive.flush")),
    ("pages: main-thread other", ("Crawler._visit_all",)),
    ("pages: worker-thread overhead", ("scraper/workers.py",)),
    ("run: robots, stats, finish", ("Crawler",)),
)


def stage(stack: str) -> str:
    for name, needles in STAGES:
        if all(n in stack for n in needles):
            return name
    return "other (CLI, logging, exit)"


def summarise(raw: Path, rate: int, top: int = 8) -> str:
    """GIL seconds by stage, and the heaviest leaf functions of the three largest stages."""
    by_stage: collections.Counter[str] = collections.Counter()
    leaves: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = stack.split(";")[1:]  # the first frame names the thread
        name = stage(";".join(frames))
        by_stage[name] += int(count)
        leaf = re.sub(r":\d+\)$", ")", frames[-1]) if frames else "?"
        leaves[name][leaf] += int(count)
    total = sum(by_stage.values()) or 1
    lines = [f"GIL held for {total / rate:.2f}s in all ({total} samples at {rate} Hz)"]
    for name, n in by_stage.most_common():
        lines.append(f"  {n / total:6.1%}  {n / rate:6.2f}s  {name}")
    for name, _ in by_stage.most_common(3):
        lines.append(f"\n  heaviest leaves of '{name}':")
        for leaf, n in leaves[name].most_common(top):
            lines.append(f"    {n / rate:6.3f}s  {leaf}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--pages", type=int, default=2000, help="synthetic pages")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(py_spy).exists():
        print("py-spy is not installed: pip install -e '.[bench]'", file=sys.stderr)
        return 2
    work = OUT / "profile"
    work.mkdir(parents=True, exist_ok=True)
    db = work / "ours.sqlite"
    for old in work.glob("ours.sqlite*"):
        old.unlink()
    raw = OUT / "profile.txt"
    with FixtureServer(synthetic=args.pages) as site:
        config = write_crawl_config(
            work / "config.yaml", site.base_url, db, concurrency=8, delay=0.0
        )
        crawl = [sys.executable, "-m", "scraper", "crawl", "-q", "--config", str(config)]
        plain = run_measured(crawl)
        for old in work.glob("ours.sqlite*"):
            old.unlink()
        sampled = run_measured(
            [py_spy, "record", "--gil", "--rate", str(args.rate), "--format", "raw",
             "--output", str(raw), "--", *crawl]
        )  # fmt: skip
    if sampled.returncode not in (0, 1) or not raw.exists():
        print(f"py-spy failed ({sampled.returncode}):\n{sampled.stderr[-2000:]}", file=sys.stderr)
        return 1
    print(
        f"unprofiled run: {plain.wall_seconds:.1f}s wall, "
        f"{plain.cpu_seconds / plain.wall_seconds:.0%} of one core"
    )
    print(f"profiled run: {sampled.wall_seconds:.1f}s wall (py-spy slows it)")
    print(summarise(raw, args.rate))
    print(f"\nraw samples: {raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
