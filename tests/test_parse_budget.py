"""Hostile pages: the parse stays bounded, a page it will not read is flagged (never dropped),
and no parsed field carries a control character while the archived body keeps every byte.

The CPU ceilings here are loose on purpose (seconds where the parse takes milliseconds): they
catch a return of the super-linear blow-up (a 100,000-deep page once took two minutes), not
a slow machine. They are measured in this process with time.process_time.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict

from scraper.observe import parsed_record
from scraper.parse import ParsedPage, parse_page
from scraper.parse.page import MAX_DEPTH
from store.archive import Archive, FetchRow, PageResult

URL = "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendation/kent/5/"
CEILING_SECONDS = 10.0


def timed(html: str) -> tuple[ParsedPage, float]:
    start = time.process_time()
    parsed = parse_page(html, URL)
    return parsed, time.process_time() - start


def unread(warning: str) -> ParsedPage:
    return ParsedPage(
        url=URL,
        page_kind="unexpected",
        rec_id=5,
        force="kent",
        report_title=None,
        rec_type=None,
        cause_of_concern=None,
        text=None,
        log=(),
        current_status=None,
        status_date=None,
        has_404_banner=False,
        warnings=(warning,),
    )


def test_a_page_of_100000_nested_divs_is_flagged_within_the_budget() -> None:
    html = "<html><body>" + "<div>" * 100_000 + "x" + "</div>" * 100_000 + "</body></html>"
    assert len(html) > 1_100_000
    parsed, seconds = timed(html)
    assert parsed == unread(f"parser: page nested deeper than {MAX_DEPTH} elements, kept unread")
    assert seconds < CEILING_SECONDS


def test_unclosed_options_are_flagged_within_the_budget() -> None:
    # lexbor closes each unclosed <option> in time that grows with how many came before
    parsed, seconds = timed("<html><body><select>" + "<option>x" * 100_000 + "</body></html>")
    assert parsed == unread(f"parser: page nested deeper than {MAX_DEPTH} elements, kept unread")
    assert seconds < CEILING_SECONDS


def test_deep_but_readable_pages_are_read() -> None:
    nested = "<div>" * 400 + "<p>The force should keep its lost dogs register up to date.</p>"
    parsed, _ = timed(f"<html><body><article>{nested}</article></body></html>")
    assert (parsed.page_kind, parsed.text, parsed.warnings) == (
        "recommendation",
        "The force should keep its lost dogs register up to date.",
        (),
    )


def test_many_links_and_entries_stay_linear() -> None:
    """20,000 teaser-like list items and 20,000 unclosed log entries: read, not stuck."""
    teasers = "<ul>" + "<li>a <a href='/hmicfrs/recommendation/x/1/'>t</a>" * 20_000 + "</ul>"
    log = "<p>" + "[on]1 May 2017 [status]" * 20_000 + "</p>"
    for body in (teasers, log):
        html = f"<html><body><article><p>The force should act.</p>{body}</article></body></html>"
        parsed, seconds = timed(html)
        assert parsed.page_kind == "recommendation"
        assert seconds < CEILING_SECONDS


CONTROL_PAGE = (
    "<html><head><title>x</title></head><body><article>"
    "<h1>Lost \x1bproperty: Kent (5)</h1>"
    "<dl><dt>Force or service</dt><dd>Kent\x07 Police</dd><dt>Published</dt>"
    "<dd>3 March 2017</dd></dl>"
    "<p>The force should \x1b[2Jlog found \x85property.\x9b</p>"
    "<p>[on]3rd March 2017 [status]awaiting-review[/status][/on][on]8th May 2018 [comment]</p>"
    "<p>Handled\x0b by\x1f the \x7fdesk.</p><p>[/comment][/on]</p></article></body></html>"
)


def test_control_characters_never_reach_a_parsed_field() -> None:
    record = json.loads(json.dumps(asdict(parse_page(CONTROL_PAGE, URL))))
    assert record == {
        "url": URL,
        "page_kind": "recommendation",
        "rec_id": 5,
        "force": "kent",
        "report_title": "Lost property: Kent",
        "rec_type": "recommendation",
        "cause_of_concern": None,
        "text": "The force should [2Jlog found property.",
        "log": [
            {
                "seq": 0,
                "on_date": "2017-03-03",
                "raw_date": "3rd March 2017",
                "kind": "status",
                "status": "awaiting-review",
                "comment": None,
            },
            {
                "seq": 1,
                "on_date": "2018-05-08",
                "raw_date": "8th May 2018",
                "kind": "comment",
                "status": None,
                "comment": "Handled by the desk.",
            },
        ],
        "current_status": "awaiting-review",
        "status_date": "2017-03-03",
        "has_404_banner": False,
        "warnings": [],
        "listing_entries": [],
        "next_page": None,
        "content_text": (
            "Lost property: Kent (5) The force should [2Jlog found property."
            " [on]3rd March 2017 [status]awaiting-review[/status][/on][on]8th May 2018 [comment]"
            " Handled by the desk. [/comment][/on]"
        ),
        "rec_label": None,
        "progress_update": None,
        "closing_line": None,
        "force_name": "Kent Police",
        "reference": None,
        "report_url": None,
        "published_on": "2017-03-03",
        "themes": None,
    }


def test_the_archive_keeps_the_raw_bytes_and_the_clean_fields() -> None:
    body = CONTROL_PAGE.encode("utf-8")
    parsed = parse_page(CONTROL_PAGE, URL)
    archive = Archive(":memory:", now=lambda: "2026-12-01T20:00:00Z")
    run_id = archive.start_run("crawl")
    archive.record(
        run_id,
        PageResult(
            url=URL,
            kind="recommendation",
            observed_at="2026-12-01T20:00:00Z",
            state="live",
            http_status=200,
            fetches=(FetchRow(URL, "2026-12-01T20:00:00Z", 200, URL, 5, len(body), None),),
            body=body,
            content_type="text/html; charset=utf-8",
            parsed=parsed_record(parsed),
            rec_id=5,
            force="kent",
        ),
    )
    snapshot_id = archive.db.execute("SELECT id FROM snapshots").fetchone()[0]
    assert archive.snapshot_body(snapshot_id) == body
    rows = [
        dict(r)
        for r in archive.db.query(
            "SELECT rec_id, report_title, text, current_status, force_name, reference,"
            " report_url, published_on, themes FROM recommendations"
        )
    ]
    assert rows == [
        {
            "rec_id": 5,
            "report_title": "Lost property: Kent",
            "text": "The force should [2Jlog found property.",
            "current_status": "awaiting-review",
            "force_name": "Kent Police",
            "reference": None,
            "report_url": None,
            "published_on": "2017-03-03",
            "themes": "[]",  # the view gathers the themes its page and listings show
        }
    ]
    comments = [r[0] for r in archive.db.execute("SELECT comment FROM status_events")]
    assert json.dumps(comments) == json.dumps([None, "Handled by the desk."])
    archive.close()
