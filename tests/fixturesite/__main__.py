"""Run the fixture site in the foreground: python -m tests.fixturesite --port 8765.

Prints its base URL on the first line of stdout. Another process switches its state with
`POST /__fixture/state?set=later` (and reads it with GET /__fixture/state).
"""

from __future__ import annotations

import argparse
import signal
import sys

from tests.fixturesite.catalogue import STATES
from tests.fixturesite.server import FixtureSite


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fixturesite", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--state", choices=STATES, default="initial")
    parser.add_argument(
        "--synthetic",
        type=int,
        default=0,
        metavar="N",
        help="add N generated recommendation pages (ids from 100000)",
    )
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    site = FixtureSite(
        state=args.state, synthetic=args.synthetic, seed=args.seed, host=args.host, port=args.port
    )
    site.start()

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    # The demo stops us with SIGTERM; a shell's background job ignores SIGINT unless told.
    signal.signal(signal.SIGTERM, interrupt)
    signal.signal(signal.SIGINT, interrupt)
    print(site.base_url, flush=True)
    try:
        site.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
