"""Captures imported per second: from the fake Wayback Machine at delay 0, and from a WARC
file of the same captures (warcio), side by side in one run.

    .venv/bin/python -m bench.imports
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import yaml

from tests.archives import capture_states, write_warc
from tests.fakewayback import FakeWayback
from tests.fixturesite import FixtureSite
from tests.support import hmicfrs, rows, site_config


def main() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    with FixtureSite(state="initial") as site:
        captures = capture_states(site)
        with FakeWayback(captures) as wb:
            config = site_config(site.base_url, tmp / "wayback.sqlite")
            config["wayback"] = {"base_url": wb.base_url, "delay_seconds": 0.0,
                                 "jitter_seconds": 0.0}  # fmt: skip
            (tmp / "c.yaml").write_text(yaml.safe_dump(config))
            started = time.perf_counter()
            hmicfrs("import", "wayback", "--config", str(tmp / "c.yaml"), "-q")
            wayback_s = time.perf_counter() - started
        warc = write_warc(tmp / "site.warc.gz", captures)
        started = time.perf_counter()
        hmicfrs("import", "warc", "--config", str(tmp / "c.yaml"), "--db",
                str(tmp / "warc.sqlite"), "-q", str(warc))  # fmt: skip
        warc_s = time.perf_counter() - started
    n_wb = rows(tmp / "wayback.sqlite", "SELECT COUNT(*) AS n FROM captures")[0]["n"]
    n_warc = rows(tmp / "warc.sqlite", "SELECT COUNT(*) AS n FROM captures")[0]["n"]
    print(f"wayback (fake, delay 0): {n_wb} captures in {wayback_s:.2f}s = "
          f"{n_wb / wayback_s:.1f} captures/s")  # fmt: skip
    print(f"warc (warcio file):      {n_warc} captures in {warc_s:.2f}s = "
          f"{n_warc / warc_s:.1f} captures/s")  # fmt: skip
    print(f"ratio warc/wayback: {(n_warc / warc_s) / (n_wb / wayback_s):.2f}")


if __name__ == "__main__":
    main()
