"""`python -m tests.reparsekill DB [KILL_AT]`: reparse DB on two worker processes with a
parser that upper-cases every recommendation's text, in blocks (and batches) of BLOCK
snapshots. With KILL_AT, the process SIGKILLs itself in the middle of swapping a snapshot's
rows: after the old rows of the KILL_AT-th rewritten snapshot are deleted, before the new
ones are inserted. Prints the reparse's counts as JSON.

tests/test_reparse.py runs it as a real process against a crawled archive.
"""

from __future__ import annotations

import json
import os
import signal
import sys

import scraper.reparse as reparse_module
from scraper import parse
from store.archive import Archive

BLOCK = 8


def shouting(html: str, url: str) -> parse.ParsedPage:
    page = parse.parse_page(html, url)
    if page.text is None:
        return page
    return parse.ParsedPage(**{**page.__dict__, "text": page.text.upper()})


def main(db: str, kill_at: int | None) -> dict:
    reparse_module.parse_page = shouting  # the workers are forked with it
    reparse_module.BLOCK = reparse_module.BATCH_PAGES = BLOCK
    archive = Archive(db)
    inserts = {"n": 0}

    def trace(sql: str) -> None:
        if "INSERT INTO recommendation_versions" in sql:
            inserts["n"] += 1
            if inserts["n"] == kill_at:
                os.kill(os.getpid(), signal.SIGKILL)

    archive.db.conn.set_trace_callback(trace)
    counts = reparse_module.reparse_archive(archive, workers=2)
    archive.close()
    return counts


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else None)))
