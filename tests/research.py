"""A research archive: build_archive's four recommendations plus a national recommendation
filed under three forces (one edited long comment, a force named in its own text, bullets
and an apostrophe), a recommendation that goes (410), and a theme listing that shows two
copies and one recommendation whose own page is missing. Shared by the
Datasette, plugin and browser tests (and the README's screenshots).
"""

from __future__ import annotations

from typing import Any

from store.archive import Archive, ParsedRecord
from tests.test_store import BASE, T3, build_archive, event, page, parsed

T4 = "2026-11-22T06:00:00.000Z"
LISTING = "https://www.justiceinspectorates.gov.uk/hmicfrs/?recommendation-theme=stop-search"
NATIONAL = "All forces should publish their stop-and-search data each quarter, with the force's reasons for every search."
LONG_COMMENT = (
    "The force has set up a working group which meets monthly to review stop-and-search "
    "records, body-worn video and the grounds recorded for each search; its first report "
    "went to the board in March and the second is due in the summer after the review."
)
LONG_COMMENT_EDITED = LONG_COMMENT.replace("due in the summer", "due in the autumn")


def url(force: str, rec_id: int) -> str:
    return f"{BASE}/{force}-rec-{rec_id}/"


def national(
    rec_id: int, force: str, name: str, events: list[dict[str, Any]], n: str
) -> ParsedRecord:
    # Each copy words the text a little differently: bullets, spacing and its own name.
    text = NATIONAL.replace("All forces should", f"\u2022 {name} and all forces should")
    if rec_id == 203:  # the force named the way its own copy names it
        text = text.replace(name, f"{name} Police")
    if rec_id % 2:
        text = text.replace(" publish", "  publish").replace(", with", ",\nwith")
    return parsed(rec_id, force, events, text, n, title="Stop and search: a national review")


EVENTS_201_V1 = [
    event(0, "2026-01-05", "status", "awaiting-review"),
    event(1, "2026-03-02", "comment", LONG_COMMENT),
    event(2, "2026-06-01", "status", "complete"),
]
EVENTS_201_V2 = [
    event(0, "2026-01-05", "status", "awaiting-review"),
    event(1, "2026-03-02", "comment", LONG_COMMENT_EDITED),
    event(2, "2026-06-01", "status", "complete"),
    event(3, "2026-11-10", "status", "being-progressed"),
]


def build_research_archive(path: str) -> Archive:
    """build_archive's history; the national copies and the listing at T3, 201 changed at T4."""
    archive = build_archive(path)
    clock = [T4]
    archive.now = lambda: clock[0]
    runs = [
        (T3, [
            page(url("avon-and-somerset", 201), T3, b"<p>201 v1</p>",
                 national(201, "avon-and-somerset", "Avon and Somerset", EVENTS_201_V1, "n201a")),
            page(url("cumbria", 202), T3, b"<p>202</p>",
                 national(202, "cumbria", "Cumbria", [event(0, "2026-01-05", "status", "complete")], "n202")),
            page(url("dorset", 203), T3, b"<p>203</p>",
                 national(203, "dorset", "Dorset", [event(0, "2026-01-05", "status", "awaiting-review")], "n203")),
            page(url("kent", 204), T3, b"<p>204</p>",
                 parsed(204, "kent", [event(0, "2026-02-02", "status", "being-progressed")],
                        "The force should train its call handlers.", "n204")),
            page(LISTING, T3, b"<ul><li>201</li><li>202</li><li>102</li></ul>", listing_record(),
                 kind="listing"),
        ]),
        (T4, [
            page(url("avon-and-somerset", 201), T4,
                 b"<html><head><script>alert('x')</script></head><body><h1>201 v2</h1>"
                 b"<p>The force's <b>reasons</b>.</p><img src='http://example.org/x.png'>"
                 b"<form action='/x'><input name='q'></form></body></html>",
                 national(201, "avon-and-somerset", "Avon and Somerset", EVENTS_201_V2, "n201b")),
            page(url("kent", 204), T4, state="gone", http_status=410),
        ]),
    ]  # fmt: skip

    for at, results in runs:
        clock[0] = at
        run_id = archive.start_run("crawl")
        for r in results:
            archive.record(run_id, r)
        archive.finish_run(run_id, "ok")
    return archive


def listing_record() -> ParsedRecord:
    entries = [
        {"seq": i, "rec_id": rec_id, "url": url(force, rec_id),
         "report_title": "Stop and search: a national review", "text": NATIONAL,
         "cause_of_concern": None, "current_status": None, "status_date": None, "log": "[]",
         "parse_warnings": "[]", "parser_version": "1"}
        for i, (rec_id, force) in enumerate(
            [(201, "avon-and-somerset"), (202, "cumbria"), (102, "essex")]
        )
    ]  # fmt: skip
    return ParsedRecord(
        page_kind="listing",
        normalised_sha256="listing-1",
        row={"rec_id": None, "force": None},
        entries=entries,
    )
