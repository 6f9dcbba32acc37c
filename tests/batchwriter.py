"""`python -m tests.batchwriter DB N [KILL_AT]`: write N recommendation pages through one
Archive.batch, as a resumable job (pages the job has done are skipped), committing every
BATCH_PAGES pages. With KILL_AT, the process SIGKILLs itself in the middle of writing page
KILL_AT (0-based): after the page's snapshot row is inserted, before its status log is.

tests/test_batch.py runs it as a real process; every value written is a function of the
page's index, so two archives written by it compare row for row.
"""

from __future__ import annotations

import hashlib
import os
import signal
import sys

from store.archive import Archive, FetchRow, PageResult, ParsedRecord

BATCH_PAGES = 10
JOB = "batch-test"
EVENTS_PER_PAGE = 5
BASE = "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendations"


def page_result(i: int) -> PageResult:
    url = f"{BASE}/force-{i % 7}-rec-{i}/"
    at = f"2026-11-01T06:{i // 60 % 60:02d}:{i % 60:02d}.000Z"
    body = f"<html><p>Recommendation {i}: the force should act.</p></html>".encode()
    events = tuple(
        {
            "seq": q,
            "on_date": f"2026-0{q + 1}-1{i % 10}",
            "raw_date": f"2026-0{q + 1}-1{i % 10}",
            "kind": "status" if q % 2 == 0 else "comment",
            "status": "being-progressed" if q % 2 == 0 else None,
            "comment": None if q % 2 == 0 else f"Note {q} on {i}.",
        }
        for q in range(EVENTS_PER_PAGE)
    )
    parsed = ParsedRecord(
        page_kind="recommendation",
        normalised_sha256=hashlib.sha256(body).hexdigest(),
        row={
            "rec_id": i,
            "force": f"force-{i % 7}",
            "text": f"Recommendation {i}: the force should act.",
            "current_status": "being-progressed",
            "status_date": events[-1]["on_date"],
            "parse_warnings": "[]",
            "parser_version": "batch-test",
        },
        events=events,
    )
    return PageResult(
        url=url,
        kind="recommendation",
        observed_at=at,
        state="live",
        http_status=200,
        fetches=(FetchRow(url, at, 200, url, 10, len(body), None),),
        body=body,
        content_type="text/html; charset=UTF-8",
        parsed=parsed,
        rec_id=i,
        force=f"force-{i % 7}",
    )


def write(db: str, n: int, kill_at: int | None = None) -> int:
    """Write the pages the job has not done; returns how many were written."""
    archive = Archive(db)
    current = {"page": -1}

    def trace(sql: str) -> None:
        if current["page"] == kill_at and "INSERT INTO status_events" in sql:
            os.kill(os.getpid(), signal.SIGKILL)

    archive.db.conn.set_trace_callback(trace)
    run_id = archive.start_run("batch-test")
    written = 0
    with archive.batch(pages=BATCH_PAGES, seconds=3600):
        for i in range(n):
            result = page_result(i)
            if archive.job_has(JOB, result.url):
                continue
            current["page"] = i
            archive.record(run_id, result, job=JOB)
            written += 1
    archive.finish_run(run_id, "ok")
    archive.close()
    return written


if __name__ == "__main__":
    kill = int(sys.argv[3]) if len(sys.argv) > 3 else None
    print(write(sys.argv[1], int(sys.argv[2]), kill))
