"""Golden and whole-record tests of scraper.parse.

Every page in tests/pages/<name>.html has its whole expected record in tests/pages/<name>.json
(url included). After a deliberate parser change, regenerate them with
`HMICFRS_UPDATE_GOLDEN=1 pytest tests/test_parse.py`, read the diff, and bump PARSER_VERSION.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, replace
from pathlib import Path

import pytest

from scraper.parse import PARSER_VERSION, ListingEntry, LogEntry, ParsedPage, parse_date, parse_page

PAGES = Path(__file__).parent / "pages"
FIXTURES = sorted(p.stem for p in PAGES.glob("*.html"))
OLD = "https://www.justiceinspectorates.gov.uk"


def as_json(parsed: ParsedPage) -> dict:
    """The record as the golden files hold it (tuples become lists)."""
    return json.loads(json.dumps(asdict(parsed), ensure_ascii=False))


def test_there_are_enough_golden_pages() -> None:
    assert len(FIXTURES) >= 25
    assert sorted(p.stem for p in PAGES.glob("*.json")) == FIXTURES


@pytest.mark.parametrize("name", FIXTURES)
def test_golden_page(name: str) -> None:
    expected_path = PAGES / f"{name}.json"
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    parsed = parse_page((PAGES / f"{name}.html").read_text(encoding="utf-8"), expected["url"])
    if os.environ.get("HMICFRS_UPDATE_GOLDEN"):
        expected_path.write_text(
            json.dumps(asdict(parsed), indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        return
    assert as_json(parsed) == expected


@pytest.mark.parametrize("name", FIXTURES)
def test_golden_page_parses_the_same_from_bytes(name: str) -> None:
    html = (PAGES / f"{name}.html").read_bytes()
    url = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))["url"]
    assert parse_page(html, url) == parse_page(html.decode("utf-8"), url)  # type: ignore[arg-type]


def wrap(
    content: str, *, footer: str = "Page generated 2026-11-24 18:00", cookie: bool = True
) -> str:
    """A small page with chrome around `content`."""
    banner = (
        '<div class="cookie-banner">We use cookies. <a href="#">Accept</a></div>' if cookie else ""
    )
    return f"""<!DOCTYPE html><html><head><title>Recommendation</title>
<script>var x = "[on]1st May 2017 [status]complete[/status][/on]";</script></head>
<body><header><p class="site-title">HMICFRS</p><nav><a href="/">Home</a></nav></header>{banner}
<main><article><div class="entry-content">{content}</div></article></main>
<footer><p>{footer}</p></footer></body></html>"""


SEED_SHAPE = """<p>404 Page not found</p>
<p>Causes of concern</p>
<p>The inspection found that forces count lost kites in different ways.</p>
<p>Recommendation 7</p>
<p>• Forces should count lost kites in one way. • They should publish the count.</p>
<p>[on]3rd March 2017 [status]awaiting-review[/status][/on][on]8th May 2018 [comment]</p>
<p>First paragraph of the update.</p>
<p>Second paragraph.</p>
<p>[/comment][/on][on]10th July 2018 [status]complete[/status][/on]</p>"""
SEED_URL = f"{OLD}/hmicfrs/recommendation/west-midlands/4321/"


def test_seed_shape_whole_record() -> None:
    parsed = parse_page(wrap(SEED_SHAPE), SEED_URL)
    assert parsed == ParsedPage(
        url=SEED_URL,
        page_kind="recommendation",
        rec_id=4321,
        force="west-midlands",
        report_title=None,
        rec_type="recommendation",
        cause_of_concern="The inspection found that forces count lost kites in different ways.",
        text="• Forces should count lost kites in one way.\n• They should publish the count.",
        log=(
            LogEntry(0, "2017-03-03", "3rd March 2017", "status", "awaiting-review", None),
            LogEntry(
                1,
                "2018-05-08",
                "8th May 2018",
                "comment",
                None,
                "First paragraph of the update.\n\nSecond paragraph.",
            ),
            LogEntry(2, "2018-07-10", "10th July 2018", "status", "complete", None),
        ),
        current_status="complete",
        status_date="2018-07-10",
        has_404_banner=True,
        warnings=(),
        content_text=(
            "404 Page not found Causes of concern The inspection found that forces count lost"
            " kites in different ways. Recommendation 7 • Forces should count lost kites in one"
            " way. • They should publish the count."
            " [on]3rd March 2017 [status]awaiting-review[/status][/on]"
            "[on]8th May 2018 [comment] First paragraph of the update. Second paragraph. [/comment]"
            "[/on][on]10th July 2018 [status]complete[/status][/on]"
        ),
        rec_label="Recommendation 7",
    )


def test_broken_markup_missing_status_and_opening_comment_tags() -> None:
    html = wrap(
        "<p>The force should mend the fence.</p>"
        "<p>[on]4th April 2017 awaiting-review[/on][on]6th June 2018</p>"
        "<p>The fence is half mended.</p><p>[/comment][/on]"
        "[on]7th June 2018 [status]being-progressed[/on]</p>"
    )
    parsed = parse_page(html, f"{OLD}/hmicfrs/recommendation/kent/77/")
    assert (parsed.log, parsed.current_status, parsed.status_date, parsed.warnings) == (
        (
            LogEntry(0, "2017-04-04", "4th April 2017", "status", "awaiting-review", None),
            LogEntry(
                1, "2018-06-06", "6th June 2018", "comment", None, "The fence is half mended."
            ),
            LogEntry(2, "2018-06-07", "7th June 2018", "status", "being-progressed", None),
        ),
        "being-progressed",
        "2018-06-07",
        (
            "log: missing [status] tag in entry 0",
            "log: missing [comment] tag in entry 1",
            "log: missing [/status] in entry 2",
        ),
    )


def test_entries_run_together_without_on_tags_are_split() -> None:
    html = wrap(
        "<p>The force should do it.</p><p>[on]1st May 2017 [comment]Started.[/comment]"
        " 2nd May 2017 [status]complete[/status][/on]</p>"
    )
    parsed = parse_page(html, f"{OLD}/hmicfrs/recommendation/kent/78/")
    assert (parsed.log, parsed.warnings) == (
        (
            LogEntry(0, "2017-05-01", "1st May 2017", "comment", None, "Started."),
            LogEntry(1, "2017-05-02", "2nd May 2017", "status", "complete", None),
        ),
        ("log: missing [on] in entry 1",),
    )


def test_latest_status_is_by_date_with_ties_to_the_later_entry() -> None:
    html = wrap(
        "<p>The force should do it.</p><p>[on]5th May 2019 [status]complete[/status][/on]"
        "[on]1st January 2018 [status]awaiting-review[/status][/on]"
        "[on]5th May 2019 [status]being-progressed[/status][/on]</p>"
    )
    parsed = parse_page(html, f"{OLD}/hmicfrs/recommendation/kent/79/")
    assert (parsed.current_status, parsed.status_date, parsed.warnings) == (
        "being-progressed",
        "2019-05-05",
        ("log: entries out of date order",),
    )


@pytest.mark.parametrize(
    ("raw", "iso"),
    [
        ("9th February 2017", "2017-02-09"),
        ("1st June 2016", "2016-06-01"),
        ("2nd February 2018", "2018-02-02"),
        ("3rd March 2017", "2017-03-03"),
        ("21st December 2016", "2016-12-21"),
        ("22nd of January 2017", "2017-01-22"),
        ("9 February 2017", "2017-02-09"),
        ("9 Feb 2017", "2017-02-09"),
        ("12 Sept 2017", "2017-09-12"),
        ("5 Jan. 2018", "2018-01-05"),
        ("Monday 4 December 2017", "2017-12-04"),
        ("February 9, 2017", "2017-02-09"),
        ("20/01/2020", "2020-01-20"),
        ("3/2/21", "2021-02-03"),
        ("05.11.2020", "2020-11-05"),
        ("2020-01-20", "2020-01-20"),
        ("31st February 2018", None),
        ("Spring 2018", None),
        ("13/13/2020", None),
        ("", None),
    ],
)
def test_parse_date(raw: str, iso: str | None) -> None:
    assert parse_date(raw) == iso


@pytest.mark.parametrize(
    ("closing", "status"),
    [
        ("This recommendation is complete.", "complete"),
        ("This recommendation has been completed", "complete"),
        ("This recommendation has been met.", "complete"),
        ("This cause of concern is closed.", "complete"),
        ("This recommendation is being progressed.", "being-progressed"),
        ("This recommendation is not yet complete.", "being-progressed"),
        ("This recommendation is awaiting review.", "awaiting-review"),
        ("This recommendation needs no further action.", "no-further-action-needed"),
        ("Status: Complete", "complete"),
        ("This recommendation has been superseded.", None),
    ],
)
def test_closing_line_maps_to_a_slug(closing: str, status: str | None) -> None:
    html = wrap(
        "<h2>Cause of concern</h2><p>The force does not count kites.</p>"
        "<p>The force should count kites.</p><p>Some counting has begun.</p>"
        f"<p>{closing}</p>"
    )
    parsed = parse_page(html, f"{OLD}/hmicfrs/recommendation/humberside/95/")
    assert (
        parsed.rec_type,
        parsed.cause_of_concern,
        parsed.text,
        parsed.progress_update,
        parsed.closing_line,
        parsed.current_status,
        parsed.status_date,
        parsed.warnings,
    ) == (
        "cause_of_concern",
        "The force does not count kites.",
        "The force should count kites.",
        "Some counting has begun.",
        closing,
        status,
        None,
        () if status else ("status: unmapped closing line",),
    )


def test_chrome_and_whitespace_do_not_change_the_hash() -> None:
    url = f"{OLD}/hmicfrs/recommendation/kent/80/"
    first = parse_page(wrap(SEED_SHAPE), url)
    other_chrome = parse_page(
        wrap(
            SEED_SHAPE.replace("</p>\n<p>", "</p>\n\n   <p>"),
            footer="Generated 2030-01-01",
            cookie=False,
        ),
        url,
    )
    assert first.normalised_sha256() == other_chrome.normalised_sha256()
    changed = parse_page(
        wrap(SEED_SHAPE.replace("complete[/status]", "being-progressed[/status]")), url
    )
    assert changed.normalised_sha256() != first.normalised_sha256()


def test_hash_of_other_kinds_is_of_content_text() -> None:
    url = f"{OLD}/hmicfrs/recommendation/kent/81/"
    a = parse_page(wrap("<h1>404 Page not found</h1>"), url)
    b = parse_page(
        wrap("<h1>404   Page not found</h1>", footer="Generated later", cookie=False), url
    )
    assert (a.page_kind, a.normalised_sha256()) == ("not_found", b.normalised_sha256())


KITE_META = """<dl class="kv"><dt>Force or service</dt><dd>West Midlands Police</dd>
<dt>Our ref.</dt><dd>WM-4321</dd><dt>From the report</dt>
<dd><a href="/hmicfrs/publications/lost-kites/">Lost kites: a national picture</a></dd>
<dt>Date of publication</dt><dd>3rd March 2017</dd>
<dt>Filed under</dt><dd><a href="/hmicfrs/?recommendation-theme=harm">Harm</a>, <a href="/hmicfrs/?recommendation-theme=audit">Audit</a></dd></dl>"""


def test_version_row_and_event_rows() -> None:
    parsed = parse_page(wrap(KITE_META + SEED_SHAPE), SEED_URL)
    assert parsed.version_row() == {
        "url": SEED_URL,
        "rec_id": 4321,
        "force": "west-midlands",
        "report_title": "Lost kites: a national picture",
        "rec_type": "recommendation",
        "cause_of_concern": "The inspection found that forces count lost kites in different ways.",
        "text": "• Forces should count lost kites in one way.\n• They should publish the count.",
        "current_status": "complete",
        "status_date": "2018-07-10",
        "has_404_banner": 1,
        "parse_warnings": "[]",
        "force_name": "West Midlands Police",
        "reference": "WM-4321",
        "report_url": f"{OLD}/hmicfrs/publications/lost-kites/",
        "published_on": "2017-03-03",
        "themes": '["Harm", "Audit"]',
        "page_kind": "recommendation",
        "parser_version": PARSER_VERSION,
    }
    assert parsed.event_rows() == [
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
            "comment": "First paragraph of the update.\n\nSecond paragraph.",
        },
        {
            "seq": 2,
            "on_date": "2018-07-10",
            "raw_date": "10th July 2018",
            "kind": "status",
            "status": "complete",
            "comment": None,
        },
    ]


def test_warnings_are_stored_as_json_text() -> None:
    parsed = parse_page(
        wrap("<p>Do it.</p><p>[on]Spring 2018 [status]complete[/status][/on]</p>"),
        f"{OLD}/hmicfrs/recommendation/kent/82/",
    )
    assert parsed.version_row()["parse_warnings"] == '["log: unreadable date in entry 0"]'


def test_listing_entries_and_next_page() -> None:
    url = f"{OLD}/hmicfrs/?recommendation-theme=plan"
    html = wrap(
        '<h2><a href="/hmicfrs/recommendation/kent/1/">Report one (1)</a></h2><p>Text.</p>'
        "<h2>Report two (2)</h2><p>Text.</p>"
        '<p><a href="/hmicfrs/?recommendation-theme=plan&amp;paged=2">Next page &raquo;</a></p>'
    )
    parsed = parse_page(html, url)
    assert replace(parsed, content_text="") == ParsedPage(
        url=url,
        page_kind="listing",
        rec_id=None,
        force=None,
        report_title=None,
        rec_type=None,
        cause_of_concern=None,
        text=None,
        log=(),
        current_status=None,
        status_date=None,
        has_404_banner=False,
        warnings=(),
        listing_entries=(
            ListingEntry(f"{OLD}/hmicfrs/recommendation/kent/1/", 1, "Report one", "Text."),
            ListingEntry(None, 2, "Report two", "Text."),
        ),
        next_page=f"{OLD}/hmicfrs/?recommendation-theme=plan&paged=2",
    )


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<",
        "<html>",
        "[on][/on]",
        "[on]" * 50,
        "<p>[comment]</p>" * 20,
        "\x00\x01\x02\x03\x04\x05",
        "<div>" * 3000,
        "<!-- unclosed comment",
        "<p>&#0; &#xFFFFFF; &bogus; &amp;amp;#8211;</p>",
    ],
)
def test_odd_input_gives_a_record(html: str) -> None:
    parsed = parse_page(html, f"{OLD}/hmicfrs/recommendation/kent/83/")
    assert parsed.page_kind in ("recommendation", "listing", "not_found", "unexpected")
    assert parsed.url == f"{OLD}/hmicfrs/recommendation/kent/83/"


def test_empty_page_is_unexpected_and_invents_nothing() -> None:
    url = f"{OLD}/hmicfrs/recommendation/kent/84/"
    assert parse_page("", url) == ParsedPage(
        url=url,
        page_kind="unexpected",
        rec_id=84,
        force="kent",
        report_title=None,
        rec_type=None,
        cause_of_concern=None,
        text=None,
        log=(),
        current_status=None,
        status_date=None,
        has_404_banner=False,
        warnings=("content: empty",),
    )


@pytest.mark.parametrize(
    "line",
    [
        "Report: Crime data integrity: Kent",
        "From the report: Crime data integrity: Kent",
        "Source: Crime data integrity: Kent",
        "Published in: Crime data integrity: Kent",
        "Report title: Crime data integrity: Kent",
    ],
)
def test_a_report_line_gives_the_title_and_leaves_the_text(line: str) -> None:
    url = f"{OLD}/hmicfrs/recommendation/kent/4455/"
    html = wrap(
        f"<p>{line}</p><p>Police force: Kent</p><p>The force should record every crime.</p>"
        "<p>[on]3rd March 2017 [status]awaiting-review[/status][/on]</p>"
    )
    parsed = parse_page(html, url)
    assert (parsed.report_title, parsed.text, parsed.warnings) == (
        "Crime data integrity: Kent",
        "The force should record every crime.",
        (),
    )
