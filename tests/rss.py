"""Run the hmicfrs CLI and write the process's peak resident memory (KiB) to the file named by
$HMICFRS_RSS_FILE: `python -m tests.rss crawl --config ...`. Tests measure the bombs with it,
in a process of their own so nothing else the test suite holds counts.

The figure is the kernel's high-water mark of this process's own memory map (VmHWM), not
getrusage's ru_maxrss: Linux carries the parent's high-water mark into a child at exec, so a
crawl started by a pytest process that has grown to 300 MB would report 300 MB whatever it
did itself."""

from __future__ import annotations

import os
import re
import resource
import sys

from scraper.cli import main

if __name__ == "__main__":
    try:
        main(args=sys.argv[1:], prog_name="hmicfrs")
    finally:
        try:
            with open("/proc/self/status", encoding="ascii") as status:
                peak = int(re.search(r"VmHWM:\s+(\d+)", status.read()).group(1))  # type: ignore[union-attr]
        except (OSError, AttributeError):  # no procfs: the rusage figure, an upper bound
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(os.environ["HMICFRS_RSS_FILE"], "w") as out:
            out.write(str(peak))
