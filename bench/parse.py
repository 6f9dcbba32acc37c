"""Parser throughput: pages per second over the golden fixture pages, on one core.

Run as `python bench/parse.py [seconds]`; `make bench` calls run(). Prints the figure for all
fixture pages together, for one typical recommendation page (log markup, page chrome), and for
that page inside a heavy theme (a 200-entry mega menu, 25 stylesheets, a 10 KB inline script
config, a 60-link footer: about 50 KB, the size a WordPress page with plugins reaches). Beside
each, lexbor's DOM build of the same page: the ceiling no parser built on it can pass, and a
baseline that moves with the machine, so the ratio compares across machines.
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
    name, html, url = typical[0]
    heavy = [(f"{name}+full-chrome", full_chrome_page(html), url)]
    if parse_page(heavy[0][1], url).canonical_json() != parse_page(html, url).canonical_json():
        raise RuntimeError("the full-chrome page must parse to the same record as the typical one")
    all_rate, all_done = _rate(pages, seconds * 0.4)
    typical_rate, _ = _rate(typical, seconds * 0.3)
    heavy_rate, _ = _rate(heavy, seconds * 0.3)
    lexbor_rate = _lexbor_rate(html, min(seconds / 4, 1.0))
    heavy_lexbor_rate = _lexbor_rate(heavy[0][1], min(seconds / 4, 1.0))
    return {
        "pages_per_second": round(typical_rate, 1),
        "typical_page": TYPICAL,
        "typical_page_bytes": len(html.encode("utf-8")),
        "full_chrome_pages_per_second": round(heavy_rate, 1),
        "full_chrome_page_bytes": len(heavy[0][1].encode("utf-8")),
        "full_chrome_lexbor_only_pages_per_second": round(heavy_lexbor_rate, 1),
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
        f"({result['typical_page']}, {result['typical_page_bytes']} bytes; lexbor DOM build "
        f"alone: {result['lexbor_only_pages_per_second']:.0f}/s); "
        f"{result['full_chrome_pages_per_second']:.0f} pages/s on it in a heavy theme "
        f"({result['full_chrome_page_bytes']} bytes; lexbor alone: "
        f"{result['full_chrome_lexbor_only_pages_per_second']:.0f}/s); "
        f"{result['all_fixtures_pages_per_second']:.0f} pages/s over all "
        f"{result['fixture_pages']} fixture pages (mean {result['mean_page_bytes']} bytes); "
        "one core"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
