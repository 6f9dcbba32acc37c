"""Where the mechanisms that keep chrome and metadata out of `text` stop: what they must leave.

Each test is a page that looks like chrome or metadata to a careless rule and is not: a
paragraph that is one link to a document on the site, a bold label over a sentence, a
microdata `about` that names a topic, buttons inside the recommendation's own text box.
"""

from __future__ import annotations

from scraper.parse import parse_page

URL = "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendation/tarnside/4321/"
TEXT = "The force should review how it records calls from vulnerable people by March 2020."


def page(inner: str, head: str = "") -> str:
    return (
        f"<html><head><title>t</title>{head}</head><body><main><article>"
        f"<h1>Tarnside audit: Tarnside (4321)</h1>{inner}</article></main></body></html>"
    )


def test_a_comment_paragraph_that_is_one_link_to_a_document_on_the_site_stays() -> None:
    html = page(
        f"<div><p>{TEXT}</p><p>[on]3rd March 2019 [comment]</p>"
        '<p><a href="/hmicfrs/wp-content/uploads/action-plan.pdf">Tarnside action plan</a></p>'
        "<p>[/comment][/on]</p></div>"
    )
    parsed = parse_page(html, URL)
    assert parsed.text == TEXT
    assert [e.comment for e in parsed.log] == ["Tarnside action plan"]


def test_a_paragraph_that_is_one_link_off_the_site_or_to_this_pages_pdf_goes() -> None:
    html = page(
        f"<div><p>{TEXT}</p>"
        f'<p><a href="{URL}pdf/">Download this recommendation as a PDF</a></p>'
        '<p><a href="#top">Back to top</a></p></div>'
    )
    assert parse_page(html, URL).text == TEXT


def test_a_bold_label_over_a_sentence_is_text_not_metadata() -> None:
    html = page(
        f"<div><p>{TEXT}</p><p><b>Update</b><br>The force has set up a new review panel.</p>"
        "<p>This recommendation is not yet complete.</p></div>"
    )
    parsed = parse_page(html, URL)
    assert parsed.progress_update == "Update\nThe force has set up a new review panel."
    assert parsed.current_status == "being-progressed"


def test_a_microdata_about_that_names_a_topic_is_no_force() -> None:
    html = page(
        '<div itemscope itemtype="https://schema.org/Article">'
        '<p>Topic: <span itemprop="about">Call handling</span></p>'
        f'<div itemprop="articleBody"><p>{TEXT}</p></div></div>'
    )
    assert parse_page(html, URL).force_name is None


def test_buttons_inside_the_recommendations_own_text_box_leave_the_text() -> None:
    html = page(
        f'<div class="c"><p>{TEXT}</p><button type="button">Expand</button>'
        '<button type="button">Collapse</button></div>'
    )
    assert parse_page(html, URL).text == TEXT


def test_a_line_that_leads_into_its_value_with_a_verb_is_text_not_a_label() -> None:
    html = page(f"<div><p>{TEXT}</p><p>The deadline for this is: March 2021</p></div>")
    parsed = parse_page(html, URL)
    assert parsed.text == f"{TEXT}\n\nThe deadline for this is: March 2021"
    assert parsed.published_on is None and parsed.reference is None


def test_a_label_that_names_the_body_says_more_than_one_that_names_a_role() -> None:
    html = page(
        "<dl><dt>Lead inspector</dt><dd>Jo Bloggs</dd><dt>Force or service</dt>"
        f"<dd>Tarnside Police</dd></dl><div><p>{TEXT}</p></div>"
    )
    parsed = parse_page(html, URL)
    assert (parsed.force_name, parsed.text) == ("Tarnside Police", TEXT)
