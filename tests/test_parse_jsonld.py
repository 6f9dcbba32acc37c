"""Metadata a page shows only as schema.org JSON-LD is read as its fields, and only what the
JSON-LD says of the page itself: never the site, its breadcrumbs or its publisher."""

from __future__ import annotations

import json

from scraper.parse import parse_page

URL = "https://www.justiceinspectorates.gov.uk/hmicfrs/recommendation/tarnside/4321/"
REPORT = "https://www.justiceinspectorates.gov.uk/hmicfrs/publications/tarnside-audit/"
TEXT = "The force should review how it records calls from vulnerable people by March 2020."


def page(*scripts: str, shown_meta: str = "") -> str:
    head = "".join(f'<script type="application/ld+json">{s}</script>' for s in scripts)
    return (
        f"<html><head><title>t</title>{head}</head><body><main>"
        f"<h1>Tarnside audit: Tarnside Constabulary (4321)</h1>{shown_meta}<p>{TEXT}</p>"
        "<p>[on]3rd March 2019 [status]complete[/status][/on]</p></main></body></html>"
    )


def graph(*nodes: dict) -> str:
    return json.dumps({"@context": "https://schema.org", "@graph": list(nodes)})


SITE = [
    {"@type": "WebSite", "@id": "https://www.justiceinspectorates.gov.uk/#website",
     "url": URL, "datePublished": "2001-01-01", "identifier": "SITE"},
    {"@type": "Organization", "url": URL, "name": "HMICFRS", "identifier": "ORG"},
    {"@type": "WebPage", "@id": URL + "#webpage", "url": URL,
     "isPartOf": {"@type": "WebSite", "@id": "https://www.justiceinspectorates.gov.uk/#website",
                  "url": "https://www.justiceinspectorates.gov.uk/"}},
    {"@type": "BreadcrumbList", "itemListElement": [
        {"@type": "ListItem", "position": 1, "item": URL, "name": "Home"}]},
]  # fmt: skip
REC = {
    "@type": "CreativeWork",
    "url": URL.replace("https://www.", "http://"),
    "about": {"@type": "GovernmentOrganization", "name": "Tarnside  Constabulary"},
    "identifier": "TC/2019/4",
    "isPartOf": {"@type": "Report", "name": "Tarnside audit", "url": "/hmicfrs/publications/tarnside-audit/"},
    "datePublished": "2019-02-09T09:00:00+00:00",
    "keywords": ["Call handling", "Vulnerability"],
}  # fmt: skip


def test_the_page_s_own_json_ld_node_gives_its_metadata_fields() -> None:
    parsed = parse_page(page(graph(*SITE, REC)), URL)
    assert parsed.page_kind == "recommendation"
    assert parsed.text == TEXT
    assert (parsed.force_name, parsed.reference, parsed.report_url) == (
        "Tarnside Constabulary",
        "TC/2019/4",
        REPORT,
    )
    assert parsed.published_on == "2019-02-09"
    assert parsed.themes == ("Call handling", "Vulnerability")


def test_the_site_its_breadcrumbs_and_publisher_say_nothing_of_the_page() -> None:
    parsed = parse_page(page(graph(*SITE)), URL)
    fields = (parsed.force_name, parsed.reference, parsed.report_url, parsed.published_on)
    assert fields == (None, None, None, None)
    assert parsed.themes is None


def test_a_node_about_another_page_and_broken_json_are_passed_over() -> None:
    other = dict(REC, url=URL.replace("4321", "4322"))
    parsed = parse_page(page("{not json", graph(other)), URL)
    assert (parsed.force_name, parsed.reference, parsed.themes) == (None, None, None)
    assert parsed.text == TEXT


def test_what_the_page_shows_comes_before_its_json_ld() -> None:
    shown = "<dl><dt>Force</dt><dd>Tarnside Police</dd><dt>Reference</dt><dd>TP-9</dd></dl>"
    parsed = parse_page(page(graph(REC), shown_meta=shown), URL)
    assert (parsed.force_name, parsed.reference) == ("Tarnside Police", "TP-9")
    assert parsed.report_url == REPORT  # shown nowhere else
    assert parsed.text == TEXT


def test_keywords_as_one_comma_separated_string() -> None:
    parsed = parse_page(page(json.dumps(dict(REC, keywords="Harm, Audit"))), URL)
    assert parsed.themes == ("Harm", "Audit")
