"""The fetch-only ceiling: the same URLs a crawl fetched, asked for at the same concurrency by
a plain client that neither parses nor stores anything.

`python -m bench.ceiling --base-url URL --urls FILE [--concurrency 8]`: FILE holds one
`kind<TAB>path` line per request (the crawl's own requests, in order, read back from its
`fetches` rows). `concurrency` threads each keep one HTTP/1.1 keep-alive connection
(stdlib `http.client`, the least work a Python client can do per request), send our
User-Agent and Accept-Encoding, read each body whole and drop it (`--client httpx`: one
httpx.Client shared by the threads instead, for what our HTTP library costs). It prints one
JSON line:
requests, recommendation requests, bytes and seconds (from before the first request to
after the last answer; the bench times the whole process, start-up included, as it does the
crawlers).

No order between the requests is kept: a crawl must read a listing page before it knows the
next, this client fetches them all side by side. That is the point: it is what the server can
answer, whatever a crawler does in between.
"""

from __future__ import annotations

import argparse
import http.client
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

USER_AGENT = "hmicfrs-archive-bench/0.1 (fetch-only ceiling)"


HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate, br"}
# A thread's client: a function that fetches a path and returns its body, and one that closes.
Client = tuple[Callable[[str], bytes], Callable[[], None]]


def _in_threads(
    paths: list[str], concurrency: int, open_client: Callable[[], Client]
) -> tuple[int, int, float]:
    """Fetch every path on `concurrency` threads, each with its own `open_client()`, taking
    the next path as it is free; (requests, bytes, seconds)."""
    lock = threading.Lock()
    queue = iter(paths)
    done = [0, 0]  # requests, bytes

    def work() -> None:
        get, close = open_client()
        count = size = 0
        while True:
            with lock:
                path = next(queue, None)
            if path is None:
                break
            size += len(get(path))
            count += 1
        close()
        with lock:
            done[0] += count
            done[1] += size

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return done[0], done[1], time.perf_counter() - started


def fetch_all_httpx(base_url: str, paths: list[str], concurrency: int) -> tuple[int, int, float]:
    """The same with one httpx.Client shared by the threads (our HTTP library, as plainly as
    it can be used): what httpx itself costs beside the stdlib's figure."""
    import httpx

    with httpx.Client(base_url=base_url, headers=HEADERS, trust_env=False, timeout=30) as client:
        return _in_threads(
            paths, concurrency, lambda: ((lambda path: client.get(path).content), lambda: None)
        )


def fetch_all(base_url: str, paths: list[str], concurrency: int) -> tuple[int, int, float]:
    """Fetch every path on `concurrency` keep-alive connections; (requests, bytes, seconds)."""
    where = urlsplit(base_url)
    host, port = where.hostname or "127.0.0.1", where.port or 80

    def open_client() -> Client:
        conn = [http.client.HTTPConnection(host, port, timeout=30)]

        def ask(path: str) -> http.client.HTTPResponse:
            conn[0].request("GET", path, headers=HEADERS)
            return conn[0].getresponse()

        def get(path: str) -> bytes:
            try:
                response = ask(path)
                body = response.read()
            except (OSError, http.client.HTTPException):
                conn[0].close()  # the next request opens a fresh connection
                conn[0] = http.client.HTTPConnection(host, port, timeout=30)
                response = ask(path)
                body = response.read()
            if response.will_close:
                conn[0].close()
            return body

        return get, lambda: conn[0].close()

    return _in_threads(paths, concurrency, open_client)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ceiling", description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--urls", required=True, help="kind<TAB>path lines, one a request")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--client", choices=("stdlib", "httpx"), default="stdlib", help="the plain client"
    )
    args = parser.parse_args(argv)
    text = Path(args.urls).read_text()
    lines = [line.split("\t", 1) for line in text.splitlines() if line]
    paths = [path for _, path in lines]
    fetch = fetch_all_httpx if args.client == "httpx" else fetch_all
    requests, received, seconds = fetch(args.base_url, paths, args.concurrency)
    recommendations = sum(1 for kind, _ in lines if kind == "recommendation")
    print(
        json.dumps(
            {
                "requests": requests,
                "recommendation_requests": recommendations,
                "bytes_received": received,
                "seconds": round(seconds, 3),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
