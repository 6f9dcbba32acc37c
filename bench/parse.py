"""Parser throughput: pages per second over the golden fixture pages, on one core.

Run as `python bench/parse.py [seconds] [--instructions]`; `make bench` calls run(). Prints the
figure for all
fixture pages together, for one typical recommendation page (log markup, page chrome), and for
that page inside a heavy theme (a 200-entry mega menu, 25 stylesheets, a 10 KB inline script
config, a 60-link footer: about 50 KB, the size a WordPress page with plugins reaches). Beside
each, lexbor's DOM build of the same page: the ceiling no parser built on it can pass, and a
baseline that moves with the machine, so the ratio compares across machines.

On a shared machine the figures are kept steady three ways: ours and lexbor's are timed in
interleaved rounds (run() has the details) and each figure is the median of the rounds; the
clock is this process's CPU time, not wall time; and `--instructions` adds a second figure that
load cannot move, the instructions each call executes, counted by valgrind's callgrind.
Measures only: no assertion on time lives here or anywhere in tests/.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # `python bench/parse.py` puts bench/ on sys.path, not the project root.
    sys.path.insert(0, str(ROOT))

from selectolax.lexbor import LexborHTMLParser  # noqa: E402

from scraper.parse import parse_page  # noqa: E402

PAGES = ROOT / "tests" / "pages"
TYPICAL = "seed_shape_banner"


def load_pages() -> list[tuple[str, str, str]]:
    """(name, html, url) for every fixture page with an expected record."""
    pages = []
    for html_path in sorted(PAGES.glob("*.html")):
        expected = PAGES / f"{html_path.stem}.json"
        url = json.loads(expected.read_text(encoding="utf-8"))["url"]
        pages.append((html_path.stem, html_path.read_text(encoding="utf-8"), url))
    return pages


def full_chrome_page(html: str) -> str:
    """The page inside a heavy theme: the same content, about six times the markup."""
    menu = "".join(
        f'<li class="menu-item menu-item-type-post_type menu-item-{i}">'
        f'<a href="/hmicfrs/section-{i // 10}/page-{i}/">Menu entry number {i}</a>'
        + ('<ul class="sub-menu">' if i % 10 == 0 else "")
        + ("</ul></li>" if i % 10 == 9 else "</li>")
        for i in range(200)
    )
    styles = "".join(
        f"<link rel='stylesheet' id='plugin-{i}-css' href='/hmicfrs/wp-content/plugins/p{i}/"
        f"style.css?ver=1.{i}' media='all' />\n"
        for i in range(25)
    )
    config = ",".join(f'"k{i}":"value {i} of the theme settings"' for i in range(300))
    footer = "".join(
        f'<li><a href="/hmicfrs/footer-{i}/">Footer link {i}</a></li>' for i in range(60)
    )
    menu_at = '<ul id="primary-menu" class="menu">'
    footer_at = '<section class="widget"><ul>'
    if menu_at not in html or footer_at not in html or "</head>" not in html:
        raise ValueError("the typical page no longer has the theme's menu, footer and head")
    return (
        html.replace("</head>", f"{styles}<script>var themeConfig = {{{config}}};</script></head>")
        .replace(menu_at, menu_at + menu)
        .replace(footer_at, footer_at + footer)
    )


def _cpu_rate(fn: Callable[[], object], seconds: float, batch: int) -> float:
    """Calls of `fn` per CPU second of this process, calling it in batches for about `seconds`
    of CPU time. CPU time, not wall time: on a shared machine a descheduled process loses wall
    time that says nothing about the code, while the CPU it gets is what it spends."""
    done = 0
    start = time.process_time()
    deadline = start + seconds
    while True:
        for _ in range(batch):
            fn()
        done += batch
        now = time.process_time()
        if now >= deadline:
            return done / (now - start)


def _ours(pages: list[tuple[str, str, str]]) -> Callable[[], object]:
    if len(pages) == 1:
        _, html, url = pages[0]
        return lambda: parse_page(html, url)

    def all_pages() -> None:
        for _, html, url in pages:
            parse_page(html, url)

    return all_pages


def _lexbor(html: str) -> Callable[[], object]:
    return lambda: LexborHTMLParser(html)


def run(seconds: float = 3.0, rounds: int = 9) -> dict:
    """Benchmark the parser for about `seconds` of CPU time, in `rounds` interleaved rounds;
    returns {"pages_per_second": ..., "typical_vs_lexbor": ..., ...}.

    Each round times, one after the other, our parse_page of the typical page and lexbor's DOM
    build of it, then the same for the heavy page (ours first in even rounds, lexbor first in
    odd ones), then all fixture pages: a change in the machine's load hits both sides of a
    ratio alike. Each figure is the median over the rounds; each ratio is the median of the
    rounds' own ratios, with their range beside it."""
    pages = load_pages()
    for _, html, url in pages:  # warm-up: regex compilation, allocator
        parse_page(html, url)
    typical = [p for p in pages if p[0] == TYPICAL]
    name, html, url = typical[0]
    heavy = [(f"{name}+full-chrome", full_chrome_page(html), url)]
    if parse_page(heavy[0][1], url).canonical_json() != parse_page(html, url).canonical_json():
        raise RuntimeError("the full-chrome page must parse to the same record as the typical one")
    load_before = os.getloadavg()
    slice_ = seconds / rounds / 5
    series: dict[str, list[float]] = {k: [] for k in ("ours", "lexbor", "heavy", "heavy_lexbor")}
    all_rates: list[float] = []
    for r in range(rounds):
        for ours_key, lexbor_key, page in (
            ("ours", "lexbor", typical),
            ("heavy", "heavy_lexbor", heavy),
        ):
            pair = [
                (ours_key, _ours(page), 4),
                (lexbor_key, _lexbor(page[0][1]), 16),
            ]
            for key, fn, batch in pair if r % 2 == 0 else pair[::-1]:
                series[key].append(_cpu_rate(fn, slice_, batch))
        all_rates.append(_cpu_rate(_ours(pages), slice_, 1) * len(pages))
    typical_ratios = [a / b for a, b in zip(series["ours"], series["lexbor"], strict=True)]
    heavy_ratios = [a / b for a, b in zip(series["heavy"], series["heavy_lexbor"], strict=True)]
    med = statistics.median
    return {
        "pages_per_second": round(med(series["ours"]), 1),
        "typical_page": TYPICAL,
        "typical_page_bytes": len(html.encode("utf-8")),
        "full_chrome_pages_per_second": round(med(series["heavy"]), 1),
        "full_chrome_page_bytes": len(heavy[0][1].encode("utf-8")),
        "full_chrome_lexbor_only_pages_per_second": round(med(series["heavy_lexbor"]), 1),
        "all_fixtures_pages_per_second": round(med(all_rates), 1),
        "lexbor_only_pages_per_second": round(med(series["lexbor"]), 1),
        "typical_vs_lexbor": round(med(typical_ratios), 3),
        "typical_vs_lexbor_range": [round(min(typical_ratios), 3), round(max(typical_ratios), 3)],
        "full_chrome_vs_lexbor": round(med(heavy_ratios), 3),
        "full_chrome_vs_lexbor_range": [round(min(heavy_ratios), 3), round(max(heavy_ratios), 3)],
        "rounds": rounds,
        "clock": "process CPU time",
        "fixture_pages": len(pages),
        "mean_page_bytes": round(sum(len(p[1].encode("utf-8")) for p in pages) / len(pages)),
        "load_average": {
            "start": [round(x, 2) for x in load_before],
            "end": [round(x, 2) for x in os.getloadavg()],
        },
    }


# The instruction count: the same calls under valgrind's callgrind, which counts the
# instructions executed, whatever else runs on the machine. Each run of calls is fenced by a
# call to a C function nothing else here calls (sys._clear_type_cache); callgrind dumps its
# counters before each such call, so each dump holds exactly one run of calls.
_MARK_FUNCTION = "sys__clear_type_cache"
_SEGMENTS = ("ours", "lexbor", "heavy", "heavy_lexbor")


def _callgrind_child(calls: int) -> None:
    """Run inside callgrind: warm up, then each segment's `calls` calls between marks."""
    pages = load_pages()
    for _, html, url in pages:
        parse_page(html, url)
    _, html, url = next(p for p in pages if p[0] == TYPICAL)
    heavy = full_chrome_page(html)
    parse_page(heavy, url)
    fns = {
        "ours": _ours([(TYPICAL, html, url)]),
        "lexbor": _lexbor(html),
        "heavy": _ours([(TYPICAL, heavy, url)]),
        "heavy_lexbor": _lexbor(heavy),
    }
    for key in _SEGMENTS:
        sys._clear_type_cache()
        for _ in range(calls):
            fns[key]()
    sys._clear_type_cache()


def instructions(calls: int = 20) -> dict:
    """Instructions per call of our parse_page and of lexbor's DOM build, on the typical and
    the heavy page, counted by callgrind (valgrind must be installed), and the ratios
    (lexbor's count over ours: the share of lexbor's speed ours would reach if time followed
    instructions; cache misses and branch mispredictions are not in it)."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("valgrind is not installed (apt-get install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        proc = subprocess.run(
            [valgrind, "--tool=callgrind", f"--callgrind-out-file={out}",
             f"--dump-before={_MARK_FUNCTION}", sys.executable, str(Path(__file__).resolve()),
             "--callgrind-child", str(calls)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            raise RuntimeError(f"callgrind run failed:\n{proc.stderr[-2000:]}")
        counts = {}
        for i, key in enumerate(_SEGMENTS, start=2):  # dump 1: start-up and warm-up
            text = Path(f"{out}.{i}").read_text()
            m = re.search(r"^summary: (\d+)", text, re.M)
            if m is None:
                raise RuntimeError(f"no summary in callgrind dump {i}")
            counts[key] = int(m.group(1)) / calls
    return {
        "calls": calls,
        "instructions_per_call": {k: round(v) for k, v in counts.items()},
        "typical_vs_lexbor": round(counts["lexbor"] / counts["ours"], 3),
        "full_chrome_vs_lexbor": round(counts["heavy_lexbor"] / counts["heavy"], 3),
    }


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--callgrind-child"]:
        _callgrind_child(int(args[1]))
        return
    count = "--instructions" in args
    args = [a for a in args if a != "--instructions"]
    seconds = float(args[0]) if args else 3.0
    result = run(seconds)
    print(
        f"parse: {result['pages_per_second']:.0f} pages/s on a typical page "
        f"({result['typical_page']}, {result['typical_page_bytes']} bytes; lexbor DOM build "
        f"alone: {result['lexbor_only_pages_per_second']:.0f}/s; ratio "
        f"{result['typical_vs_lexbor']:.3f}, rounds {result['typical_vs_lexbor_range'][0]:.3f}"
        f"-{result['typical_vs_lexbor_range'][1]:.3f}); "
        f"{result['full_chrome_pages_per_second']:.0f} pages/s on it in a heavy theme "
        f"({result['full_chrome_page_bytes']} bytes; lexbor alone: "
        f"{result['full_chrome_lexbor_only_pages_per_second']:.0f}/s; ratio "
        f"{result['full_chrome_vs_lexbor']:.3f}, rounds "
        f"{result['full_chrome_vs_lexbor_range'][0]:.3f}"
        f"-{result['full_chrome_vs_lexbor_range'][1]:.3f}); "
        f"{result['all_fixtures_pages_per_second']:.0f} pages/s over all "
        f"{result['fixture_pages']} fixture pages (mean {result['mean_page_bytes']} bytes); "
        f"medians of {result['rounds']} interleaved rounds, per CPU second of one core; "
        f"load average {result['load_average']['start']} -> {result['load_average']['end']}"
    )
    if count:
        counted = instructions()
        result["instructions"] = counted
        per = counted["instructions_per_call"]
        print(
            f"instructions per call (callgrind, {counted['calls']} calls each): typical page "
            f"ours {per['ours']:,}, lexbor {per['lexbor']:,}, ratio "
            f"{counted['typical_vs_lexbor']:.3f}; heavy page ours {per['heavy']:,}, lexbor "
            f"{per['heavy_lexbor']:,}, ratio {counted['full_chrome_vs_lexbor']:.3f}"
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
