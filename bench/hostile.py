"""Peak memory and time of reading a decompression bomb and a `<loc ` sitemap, ours beside the
way the code read them before (httpx decoding each network chunk whole, then the size cap;
the sitemap regexes), each in a fresh process: `python -m bench.hostile [--bomb-mib N]`.

Run with `python -m bench` as the `hostile` measurement, or alone. Nothing here asserts a
time; the table gives the ratios.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

CAP = 5_000_000  # crawl.max_page_bytes's default


def probe(mode: str, url: str) -> dict[str, Any]:
    """Run in the child: read `url` one way, report peak RSS (KiB), seconds and what came."""
    started = time.monotonic()
    if mode == "ours":
        from scraper.fetch import Fetcher, FetchPolicy, make_client

        policy = FetchPolicy(
            user_agent="bench", allowed_hosts=("127.0.0.1",), delay_seconds=0.0,
            max_retries=0, max_page_bytes=CAP, timeout_seconds=600,
        )  # fmt: skip
        result = Fetcher(make_client(policy), policy).fetch(url, check_robots=False)
        outcome = result.outcome
    elif mode == "httpx":
        import httpx

        size = 0
        outcome = "ok"
        with httpx.Client(timeout=600) as client, client.stream("GET", url) as response:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > CAP:
                    outcome = "too_large"
                    break
    elif mode in ("sitemap-ours", "sitemap-regex"):
        import httpx

        body = httpx.get(url, timeout=600).content
        started = time.monotonic()  # the parse alone
        if mode == "sitemap-ours":
            from scraper.discover import parse_sitemap

            outcome = f"{len(parse_sitemap(body, url).pages)} urls"
        else:
            outcome = f"{_regex_locs(body.decode())} urls"
    else:
        raise SystemExit(f"unknown mode {mode}")
    return {
        "mode": mode,
        "outcome": outcome,
        "seconds": round(time.monotonic() - started, 3),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def _regex_locs(text: str) -> int:
    """The sitemap regexes this project used before defusedxml (kept here as the baseline)."""
    import re

    block = re.compile(
        r"<(?:[\w.-]+:)?(url|sitemap)\b[^>]*>(.*?)(?:</(?:[\w.-]+:)?\1\s*>"
        r"|(?=<(?:[\w.-]+:)?(?:url|sitemap)\b[^>]*>)|$)",
        re.S | re.I,
    )
    loc = re.compile(r"<(?:[\w.-]+:)?loc\b[^>]*>\s*(<!\[CDATA\[.*?(?:\]\]>|$)|[^<]*)", re.S | re.I)
    blocks = [m.group(2) for m in block.finditer(text)]
    # No <url> or <sitemap> block: bare <loc>s over the whole text, as parse_sitemap did.
    return sum(len(loc.findall(b)) for b in blocks) if blocks else len(loc.findall(text))


def _child(mode: str, url: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.hostile", "--probe", mode, url],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(done.stderr)
    return json.loads(done.stdout)


def measure(bomb_mib: int = 1024, sitemap_kib: int = 256) -> list[dict[str, Any]]:
    """Both bombs and the `<loc ` sitemap, ours and the baseline, side by side."""
    from tests import hostile

    hostile.BOMB_BYTES = bomb_mib << 20
    hostile.brotli_bomb.cache_clear()
    hostile.gzip_gzip_bomb.cache_clear()
    results = []
    with hostile.HostileServer() as server:
        server.routes["/br"] = hostile.respond(
            200, hostile.brotli_bomb(), Content_Type="text/html", Content_Encoding="br"
        )
        server.routes["/gzip-gzip"] = hostile.respond(
            200, hostile.gzip_gzip_bomb(), Content_Type="text/html",
            Content_Encoding="gzip, gzip",
        )  # fmt: skip
        server.routes["/sitemap"] = hostile.respond(
            200, hostile.loc_bomb(sitemap_kib * 1024), Content_Type="application/xml"
        )
        for path, modes in (
            ("/br", ("ours", "httpx")),
            ("/gzip-gzip", ("ours", "httpx")),
            ("/sitemap", ("sitemap-ours", "sitemap-regex")),
        ):
            pair = {mode: _child(mode, server.base_url + path) for mode in modes}
            results.append({"what": path.strip("/"), **pair})
    return results


def table(results: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    """(measurement, ours, baseline, ratio, target, met?) for each figure."""
    rows = []
    for r in results:
        ours, base = list(r.values())[1:]
        keys = (
            (("seconds", "s"),)
            if r["what"] == "sitemap"
            else (
                ("peak_rss_mib", "MiB"),
                ("seconds", "s"),
            )
        )
        for key, unit in keys:
            ratio = ours[key] / base[key] if base[key] else float("nan")
            rows.append(
                (
                    f"{r['what']} {key.split('_')[0]} (ours: {ours['outcome']})",
                    f"{ours[key]} {unit}",
                    f"{base[key]} {unit}",
                    f"{ratio:.3f}",
                    "< 1",
                    "yes" if ratio < 1 else "no",
                )
            )
    return rows


def run(say: Any = print, bomb_mib: int = 1024) -> tuple[dict[str, Any], list[Any]]:
    """For bench/__main__: the figures and table rows."""
    from bench.measurements import Row

    results = measure(bomb_mib)
    return {"bomb_mib": bomb_mib, "results": results}, [Row(*r) for r in table(results)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--probe", nargs=2, metavar=("MODE", "URL"))
    parser.add_argument("--bomb-mib", type=int, default=1024)
    args = parser.parse_args()
    if args.probe:
        print(json.dumps(probe(*args.probe)))
        return
    results = measure(args.bomb_mib)
    header = ("measurement", "ours", "baseline", "ratio", "target", "met?")
    lines = [header, *table(results)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for line in lines:
        print("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    main()
