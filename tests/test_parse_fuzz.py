"""Property tests: parse_page returns a well-formed record for any input and never raises."""

from __future__ import annotations

import json
import re
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scraper.parse import LogEntry, ParsedPage, parse_page

PAGES = Path(__file__).parent / "pages"
FIXTURE_HTML = [p.read_text(encoding="utf-8") for p in sorted(PAGES.glob("*.html"))]
URLS = [
    "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendation/kent/123/",
    "https://hmicfrs.justiceinspectorates.gov.uk/recommendation/kent/123/",
    "https://www.justiceinspectorates.gov.uk/hmicfrs/?recommendation-theme=harm",
    "https://www.justiceinspectorates.gov.uk/hmicfrs/?p=123",
    "https://www.justiceinspectorates.gov.uk/hmicfrs/publications/x/",
    "not a url",
    "",
]
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")

TOKENS = [
    "[on]",
    "[/on]",
    "[status]",
    "[/status]",
    "[comment]",
    "[/comment]",
    "[ on ]",
    "[/ comment ]",
    "[",
    "]",
    "9th February 2017",
    "20/01/2020",
    "31st February 2018",
    "3 Mar 2017",
    "Spring",
    "complete",
    "being-progressed",
    " ",
    "\n",
    "\n\n",
    "•",
    "◦",
    "<p>",
    "</p>",
    "<br>",
    "<li>",
    "<ul>",
    "</ul>",
    "&#8211;",
    "&amp;",
    "&nbsp;",
    "404 Page not found",
    "Cause of concern",
    "Causes of concern",
    "Recommendation 5",
    "Area for improvement",
    "This recommendation is complete.",
    "Report title (123)",
    "<h1>",
    "</h1>",
    "<article>",
    "</article>",
    "<main>",
    "<script>",
    "<!--",
    '<a href="/hmicfrs/recommendation/kent/5/">',
    "</a>",
    "\x00",
    "\x02",
    "\u200b",
    "<pre>",
    "</pre>",
    "<dl><dt>Status</dt><dd>",
    "</dd></dl>",
    "<th>Report</th><td>",
    "Status: Complete",
    "<h3>Status log</h3>",
    '<div class="hentry">',
    '<div id="header">',
    "</div>",
    # The rendered log, metadata shapes and teasers of other recommendations.
    "3rd March 2017 awaiting-review",
    "<p>28th August 2018</p>",
    "<li>9 February 2019 complete</li>",
    "<time>20/01/2020</time> <span>being-progressed</span>",
    '<div class="r"><div>12th June 2017</div><div>',
    "<dt>Force or service</dt><dd>",
    "<tr><td>Lead agency</td><td>",
    "<span>Reference</span><span>",
    "<strong>Topics</strong> ",
    "Published: 3 March 2017",
    "Date of publication: 20/01/2020<br>",
    "Themes:",
    '<a href="/hmicfrs/?recommendation-theme=harm">',
    '<a href="/hmicfrs/recommendation/essex/9/">',
    "<h2>Related recommendations</h2>",
    "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendation/kent/123/",
    "Cause of concern The ",
    "Recommendation • ",
    ":-item one;-item two; and-item",
    "Agreed this action is complete and the recommendation can be closed.",
    "\x1b[2J",
    "\x85",
]


def check(parsed: ParsedPage, url: str) -> None:
    """Invariants every record keeps, whatever the page."""
    assert isinstance(parsed, ParsedPage)
    assert parsed.url == url
    assert parsed.page_kind in ("recommendation", "listing", "not_found", "unexpected")
    assert parsed.rec_type in (None, "recommendation", "cause_of_concern", "area_for_improvement")
    assert [e.seq for e in parsed.log] == list(range(len(parsed.log)))
    for entry in parsed.log:
        assert isinstance(entry, LogEntry)
        assert entry.kind in ("status", "comment")
        assert entry.on_date is None or ISO.match(entry.on_date)
        assert entry.status is None or entry.kind == "status"
        assert entry.comment is None or entry.kind == "comment"
    assert parsed.status_date is None or ISO.match(parsed.status_date)
    assert all(isinstance(w, str) and w for w in parsed.warnings)
    # The catch-all in parse_page is a last resort; the fuzzer must never reach it.
    assert not [w for w in parsed.warnings if w.startswith("parser: internal error")]
    if parsed.page_kind != "recommendation":
        assert (parsed.log, parsed.text, parsed.current_status) == ((), None, None)
    for listed in parsed.listing_entries:
        assert [e.seq for e in listed.log] == list(range(len(listed.log)))
        assert all(e.on_date is None or ISO.match(e.on_date) for e in listed.log)
        assert listed.status_date is None or ISO.match(listed.status_date)
        json.dumps(listed.row())
    assert len(parsed.normalised_sha256()) == 64
    assert json.loads(parsed.version_row()["parse_warnings"]) == list(parsed.warnings)
    assert len(parsed.event_rows()) == len(parsed.log)
    for value in json.loads(json.dumps(parsed.version_row())).values():
        assert not (isinstance(value, str) and CONTROL.search(value)), value
    assert parsed.published_on is None or ISO.match(parsed.published_on)
    assert parsed.themes is None or all(isinstance(t, str) and t for t in parsed.themes)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(html=st.text(), url=st.sampled_from(URLS))
def test_random_text(html: str, url: str) -> None:
    check(parse_page(html, url), url)


@FUZZ
@given(
    parts=st.lists(st.sampled_from(TOKENS) | st.text(max_size=8), max_size=60),
    url=st.sampled_from(URLS),
)
def test_bracket_and_tag_soup(parts: list[str], url: str) -> None:
    html = "".join(parts)
    check(parse_page(html, url), url)
    check(parse_page(f"<html><body><article><p>{html}</p></article></body></html>", url), url)


@FUZZ
@given(page=st.sampled_from(FIXTURE_HTML), cut=st.floats(0, 1), url=st.sampled_from(URLS))
def test_truncated_fixture_pages(page: str, cut: float, url: str) -> None:
    check(parse_page(page[: int(len(page) * cut)], url), url)


@FUZZ
@given(
    page=st.sampled_from(FIXTURE_HTML),
    at=st.floats(0, 1),
    junk=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=5),
    url=st.sampled_from(URLS),
)
def test_fixture_pages_with_junk_spliced_in(
    page: str, at: float, junk: list[str], url: str
) -> None:
    i = int(len(page) * at)
    check(parse_page(page[:i] + "".join(junk) + page[i:], url), url)


@FUZZ
@given(data=st.binary(max_size=400), url=st.sampled_from(URLS))
def test_random_bytes(data: bytes, url: str) -> None:
    check(parse_page(data, url), url)  # type: ignore[arg-type]
