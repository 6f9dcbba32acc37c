"""Run the hmicfrs CLI and write the process's peak resident memory (KiB) to the file named by
$HMICFRS_RSS_FILE: `python -m tests.rss crawl --config ...`. Tests measure the bombs with it,
in a process of their own so nothing else the test suite holds counts."""

from __future__ import annotations

import os
import resource
import sys

from scraper.cli import main

if __name__ == "__main__":
    try:
        main(args=sys.argv[1:], prog_name="hmicfrs")
    finally:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(os.environ["HMICFRS_RSS_FILE"], "w") as out:
            out.write(str(peak))
