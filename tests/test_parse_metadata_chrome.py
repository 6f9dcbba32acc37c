"""A metadata block inside chrome that is taken out of the content (an <aside>, the article's
<footer>) is read as fields before it goes; what beside it shows other recommendations, and the
site's own header, never is."""

from __future__ import annotations

from scraper.parse import parse_page

URL = "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendation/tarnside/4321/"
OTHER = "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendation/tarnside/4399/"
REPORT = "https://www.justiceinspectorates.gov.uk/hmicfrs/publications/tarnside-audit/"
TEXT = "The force should review how it records calls from vulnerable people by March 2020."
LOG = "<p>[on]3rd March 2019 [status]complete[/status][/on]</p>"


def body(inner: str) -> str:
    return f"<html><head><title>t</title></head><body>{inner}</body></html>"


def test_a_dl_in_an_aside_beside_a_related_widget_gives_the_fields() -> None:
    aside = (
        '<aside class="q1"><dl><dt>Force or service</dt><dd>Tarnside Police</dd>'
        "<dt>Our reference</dt><dd>TP/7</dd>"
        f'<dt>Source report</dt><dd><a href="{REPORT}">Tarnside audit</a></dd></dl>'
        f'<div class="q2"><h3>Also</h3><ul><li><a href="{OTHER}">Another report (4399)</a>'
        "<dl><dt>Force</dt><dd>Elsewhere Police</dd><dt>Reference</dt><dd>EP/1</dd></dl>"
        "</li></ul></div></aside>"
    )
    html = body(
        '<header class="site-header"><p>Contact: 0123 456</p></header>'
        f'<h1>Tarnside audit: Tarnside (4321)</h1><div class="q0"><p>{TEXT}</p>{LOG}</div>{aside}'
    )
    parsed = parse_page(html, URL)
    assert parsed.text == TEXT
    assert (parsed.force_name, parsed.reference, parsed.report_url) == (
        "Tarnside Police",
        "TP/7",
        REPORT,
    )


def test_labelled_items_in_the_article_footer_give_the_fields() -> None:
    footer = (
        '<footer class="f"><ul><li>Force: Tarnside Police</li><li>Reference: TP/7</li>'
        "<li>Published: 9 February 2017</li></ul></footer>"
    )
    html = body(
        f"<main><article><h1>Tarnside audit: Tarnside (4321)</h1><div><p>{TEXT}</p>{LOG}</div>"
        f"{footer}</article></main>"
    )
    parsed = parse_page(html, URL)
    assert parsed.text == TEXT
    assert (parsed.force_name, parsed.reference, parsed.published_on) == (
        "Tarnside Police",
        "TP/7",
        "2017-02-09",
    )


def test_labelled_boxes_side_by_side_in_the_footer_are_a_line_each() -> None:
    footer = (
        '<footer><span class="m">Force: Tarnside Police</span> <span class="s">|</span> '
        '<span class="m">Reference: TP/7</span></footer>'
    )
    html = body(
        f"<main><article><h1>Tarnside audit: Tarnside (4321)</h1><div><p>{TEXT}</p>{LOG}</div>"
        f"{footer}</article></main>"
    )
    parsed = parse_page(html, URL)
    assert (parsed.force_name, parsed.reference) == ("Tarnside Police", "TP/7")
    assert parsed.text == TEXT


def test_one_line_of_labels_run_together_in_chrome_is_no_field() -> None:
    footer = "<footer><p>Force: Tarnside Police Reference: TP/7</p></footer>"
    html = body(
        f"<main><article><h1>Tarnside audit: Tarnside (4321)</h1><div><p>{TEXT}</p>{LOG}</div>"
        f"{footer}</article></main>"
    )
    parsed = parse_page(html, URL)
    assert (parsed.force_name, parsed.reference) == (None, None)
    assert parsed.text == TEXT
