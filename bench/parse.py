"""Parser throughput: pages per second over the golden fixture pages, on one core.

Run as `python bench/parse.py [seconds]`; `make bench` calls run(). Prints the figure for all
fixture pages together and for one typical recommendation page (log markup, page chrome).
Measures only: no assertion on time lives here or anywhere in tests/.
"""

from __future__ import annotations

import json
import sys
import time
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


def _rate(pages: list[tuple[str, str, str]], seconds: float) -> tuple[float, int]:
    """Pages parsed per second, cycling through `pages` for about `seconds`."""
    done = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _, html, url in pages:
            parse_page(html, url)
        done += len(pages)
        now = time.perf_counter()
        if now >= deadline:
            return done / (now - start), done


def _lexbor_rate(html: str, seconds: float) -> float:
    """Baseline: how fast lexbor alone builds the DOM of the same page (the parser's ceiling)."""
    done = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            LexborHTMLParser(html)
        done += 100
    return done / (time.perf_counter() - start)


def run(seconds: float = 3.0) -> dict:
    """Benchmark the parser for about `seconds`; returns {"pages_per_second": ..., ...}."""
    pages = load_pages()
    for _, html, url in pages:  # warm-up: regex compilation, allocator
        parse_page(html, url)
    typical = [p for p in pages if p[0] == TYPICAL]
    all_rate, all_done = _rate(pages, seconds / 2)
    typical_rate, _ = _rate(typical, seconds / 2)
    lexbor_rate = _lexbor_rate(typical[0][1], min(seconds / 4, 1.0))
    return {
        "pages_per_second": round(typical_rate, 1),
        "typical_page": TYPICAL,
        "typical_page_bytes": len(typical[0][1].encode("utf-8")),
        "all_fixtures_pages_per_second": round(all_rate, 1),
        "lexbor_only_pages_per_second": round(lexbor_rate, 1),
        "fixture_pages": len(pages),
        "pages_parsed": all_done,
        "mean_page_bytes": round(sum(len(p[1].encode("utf-8")) for p in pages) / len(pages)),
    }


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 3.0
    result = run(seconds)
    print(
        f"parse: {result['pages_per_second']:.0f} pages/s on a typical page "
        f"({result['typical_page']}, {result['typical_page_bytes']} bytes); "
        f"{result['all_fixtures_pages_per_second']:.0f} pages/s over all "
        f"{result['fixture_pages']} fixture pages "
        f"(mean {result['mean_page_bytes']} bytes), one core; lexbor DOM build alone: "
        f"{result['lexbor_only_pages_per_second']:.0f} pages/s"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
