"""`make demo`: the whole job offline, against the project's own fixture site.

Serves the fixture site on 127.0.0.1, crawls it with the real CLI, switches the site to its
later state (pages changed, gained log entries, lost one, vanished, appeared), crawls again
and prints what changed.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.fixturesite import FixtureSite
from tests.support import write_config

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "data" / "demo"


def hmicfrs(*args: str, config: Path) -> int:
    command = [sys.executable, "-m", "scraper", *args, "--config", str(config)]
    print(f"\n$ hmicfrs {' '.join(args)}", flush=True)
    return subprocess.run(command, cwd=ROOT).returncode


def main() -> int:
    WORK.mkdir(parents=True, exist_ok=True)
    db = WORK / "demo.sqlite"
    for stale in WORK.glob("demo.sqlite*"):
        stale.unlink()
    with FixtureSite(state="initial") as site:
        config = WORK / "config.yaml"
        write_config(config, site.base_url, db, delay_seconds=0.02, backoff_base_seconds=0.05)
        print(f"fixture site at {site.base_url} (initial state)")
        hmicfrs("crawl", config=config)
        between = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        site.set_state("later")
        print(f"\nfixture site switched to its later state at {between}")
        hmicfrs("crawl", config=config)
        hmicfrs("changes", "--since", between, config=config)
    print(f"\nThe archive is {db.relative_to(ROOT)}; try:")
    print(f"  .venv/bin/hmicfrs history <id> --config {config.relative_to(ROOT)}")
    print(f"  .venv/bin/hmicfrs serve --config {config.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
