"""A recommendation reads the same whatever theme the site wraps it in, metadata included.

Every golden recommendation page that holds one <article> is re-served through the templates
below, written for this test with class names, ids and labels that scraper/parse never names:
the metadata block before and after the content, inside and outside the <article>, as a <dl>,
a two-column table, labelled paragraphs, label/value boxes, <br>-separated lines; no <article>
or <main> at all; Gutenberg groups and columns; a sidebar of other recommendations with their
titles, opening sentences and their own metadata; share links and breadcrumbs with unseen
names; and the one that breaks a parser that trusts WordPress's classes: the metadata block as
the first child of .entry-content, with teasers of other recommendations as <article>s beside
the post and no <main>. Each template has a listing-page equivalent.

The assertion is on the whole record: what the golden page reads, plus the metadata the
template shows (force_name, reference, report_url, published_on, themes), identical in every
template. A theme change on the site must never pose as a change to a recommendation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urljoin

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.discover import recommendation_key
from scraper.parse import parse_page

PAGES = Path(__file__).parent / "pages"
OLD = "https://www.justiceinspectorates.gov.uk"


@dataclass(frozen=True)
class Meta:
    """What one template's metadata block shows of a recommendation, and how it reads."""

    force_name: str
    reference: str
    report_title: str
    report_path: str
    published: str  # as shown
    published_on: str  # ISO
    themes: tuple[tuple[str, str], ...]  # (name, slug)


def meta_for(url: str) -> Meta:
    force, rec_id = recommendation_key(url) or ("unknown", 0)
    name = " ".join(w.capitalize() for w in force.split("-"))
    return Meta(
        force_name=f"{name} Constabulary",
        reference=f"HMI/{rec_id}",
        report_title=f"An inspection of {name}",
        report_path=f"/hmicfrs/publications/an-inspection-of-{force}/",
        published="9th February 2017",
        published_on="2017-02-09",
        themes=(("Call handling", "call-handling"), ("Harm", "harm")),
    )


def theme_links(meta: Meta) -> str:
    return ", ".join(
        f'<a href="/hmicfrs/?recommendation-theme={slug}">{name}</a>' for name, slug in meta.themes
    )


def report_link(meta: Meta) -> str:
    return f'<a href="{meta.report_path}">{meta.report_title}</a>'


# Metadata blocks in their shapes; the labels are ones no code here names.
def meta_dl(m: Meta | None) -> str:
    if m is None:
        return ""
    return (
        '<dl class="qz-facts">'
        f"<dt>Force or service</dt><dd>{m.force_name}</dd>"
        f"<dt>Tracker ref</dt><dd>{m.reference}</dd>"
        f"<dt>Arising from</dt><dd>{report_link(m)}</dd>"
        f"<dt>Filed under</dt><dd>{theme_links(m)}</dd>"
        f"<dt>Date of publication</dt><dd>{m.published}</dd></dl>"
    )


def meta_table(m: Meta | None) -> str:
    if m is None:
        return ""
    rows = [
        ("Lead agency", m.force_name),
        ("Our number", m.reference),
        ("Source document", report_link(m)),
        ("Subject areas", theme_links(m)),
        ("Issued", "09/02/2017"),
    ]
    cells = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="t-meta"><tbody>{cells}</tbody></table>'


def meta_labelled(m: Meta | None) -> str:
    if m is None:
        return ""
    return (
        f'<p class="lbl"><strong>Organisation</strong> {m.force_name}</p>'
        f'<p class="lbl"><strong>Case</strong> <span>{m.reference}</span></p>'
        f'<p class="lbl">Inspection: {report_link(m)}</p>'
        f'<p class="lbl">Topics: {theme_links(m)}</p>'
        f'<p class="lbl">Made on: 9 February 2017</p>'
    )


def meta_boxes(m: Meta | None) -> str:
    if m is None:
        return ""
    pairs = [
        ("Who", m.force_name),
        ("Identifier", m.reference),
        ("Report", report_link(m)),
        ("Tags", theme_links(m)),
        ("When", "2017-02-09"),
    ]
    return (
        '<div class="facts-7">'
        + "".join(
            f'<div class="f-row"><div class="f-k">{k}</div><div class="f-v">{v}</div></div>'
            for k, v in pairs
        )
        + "</div>"
    )


def meta_spans(m: Meta | None) -> str:
    if m is None:
        return ""
    pairs = [
        ("Force or service", m.force_name),
        ("Reference", m.reference),
        ("Publication", report_link(m)),
        ("Categories", theme_links(m)),
        ("Published", m.published),
    ]
    return (
        '<ul class="kv9">'
        + "".join(
            f'<li><span class="k">{k}</span><span class="v">{v}</span></li>' for k, v in pairs
        )
        + "</ul>"
    )


def meta_lines(m: Meta | None) -> str:
    if m is None:
        return ""
    return (
        f'<p class="has-small-font-size">Force or service: {m.force_name}<br>'
        f"Ref: {m.reference}<br>Report: {report_link(m)}<br>"
        f"Themes: {theme_links(m)}<br>Published: 9 Feb 2017</p>"
    )


OTHERS = [
    ("kestrel-vale", 5101, "Custody inspection: Kestrel Vale", "The force should review how it"
     " records the welfare checks it makes on detainees held overnight."),
    ("marshfield", 5102, "Custody inspection: Marshfield", "The force should make sure that"
     " every detainee is told of their rights in a language they understand."),
    ("tarnside", 5103, "Custody inspection: Tarnside", "All forces should publish how long"
     " detainees wait for a solicitor, by custody suite, every quarter."),
]  # fmt: skip


def related_list(with_meta: bool = False) -> str:
    """Other recommendations: their titles linked, their opening sentences (and metadata)."""
    items = []
    for force, rec_id, title, opening in OTHERS:
        extra = (
            f"<p>Force or service: {force.title()} Police</p><p>Published: 3 March 2016</p>"
            if with_meta
            else ""
        )
        items.append(
            f'<li class="rr-i"><a href="/hmicfrs/recommendation/{force}/{rec_id}/">{title}</a>'
            f"<p>{opening}</p>{extra}</li>"
        )
    return f'<h2 class="rr-h">Related recommendations</h2><ul class="rr">{"".join(items)}</ul>'


def related_articles() -> str:
    return "".join(
        f'<article class="tz-card"><h3><a href="/hmicfrs/recommendation/{force}/{rec_id}/">'
        f"{title}</a></h3><p>{opening}</p></article>"
        for force, rec_id, title, opening in OTHERS
    )


MENU = "".join(
    f'<li><a href="/hmicfrs/{slug}/">{name}</a></li>'
    for slug, name in [
        ("about-us", "About us"),
        ("publications", "Publications"),
        ("police-forces", "Police forces"),
        ("contact-us", "Contact us"),
    ]
)
SHARE = (
    '<div class="px-row"><a href="https://twitter.example/share">Share on X</a> '
    '<a href="mailto:?subject=Recommendation">Email this page</a> '
    '<a href="#" onclick="print()">Print</a></div>'
)
TRAIL = (
    '<div class="trail-9"><a href="/hmicfrs/">Home</a> › '
    '<a href="/hmicfrs/recommendations/">Recommendations</a> › <span>This one</span></div>'
)


def page(body: str, title: str = "HMICFRS") -> str:
    return f"<!DOCTYPE html><html><head><title>{title}</title></head><body>{body}</body></html>"


def into_entry_content(inner: str, block: str) -> str:
    """The block as the first child of the post's content container (or of the post)."""
    m = re.search(r'<div[^>]*class="[^"]*entry-content[^"]*"[^>]*>', inner)
    if m is None:
        return block + inner
    return inner[: m.end()] + block + inner[m.end() :]


# Each template: (the post's inner HTML, its metadata or None) -> a whole page.
Template = Callable[[str, Meta | None], str]
TEMPLATES: dict[str, Template] = {
    # A <dl> inside the article, before the post's content.
    "dl-in-article": lambda inner, m: page(
        f'<div class="qz-top"><a href="/">HMICFRS</a><ul class="qz-nav">{MENU}</ul></div>'
        f'<main class="qz-main"><article class="qz-post">{meta_dl(m)}{inner}</article></main>'
        f'<div class="qz-base"><p>Crown copyright</p></div>'
    ),
    # A two-column table after the article, inside <main>.
    "table-after-article": lambda inner, m: page(
        f'<div id="hd-1"><p><a href="/">HMICFRS</a></p></div>'
        f"<main><article>{inner}</article>{meta_table(m)}</main>"
    ),
    # Labelled paragraphs (bold labels, "Label: value") before the content.
    "labelled-paragraphs": lambda inner, m: page(
        f'<nav class="n0">{MENU}</nav><main id="pg-body"><article class="e-8">'
        f"{meta_labelled(m)}{inner}</article></main>"
    ),
    # No article, no main, no WordPress class: the content in a <section>, metadata after it.
    "no-wp-class": lambda inner, m: page(
        f'<div class="brandbar"><a href="/">HMICFRS</a></div>'
        f'<div class="menu-zz"><ul>{MENU}</ul></div>'
        f'<div class="wrap-3"><section class="k9">{unwrap(inner)}</section>{meta_spans(m)}</div>'
        f'<div class="zz-end"><a href="/a11y/">Accessibility</a> <a href="/cookies/">Cookies</a>'
        f"</div>"
    ),
    # A related-recommendations box inside the article after the content, metadata first.
    "related-inside-article": lambda inner, m: page(
        f'<main class="mx"><article class="mx-a">{meta_dl(m)}{inner}'
        f'<div class="mx-more">{related_list()}</div></article></main>'
    ),
    # Gutenberg: block groups and columns, metadata lines in the side column.
    "gutenberg-columns": lambda inner, m: page(
        '<div class="wp-site-blocks"><header class="wp-block-template-part">'
        f'<div class="wp-block-group"><p class="wp-block-site-title"><a href="/">HMICFRS</a></p>'
        f'<nav class="wp-block-navigation"><ul>{MENU}</ul></nav></div></header>'
        '<main class="wp-block-group"><div class="wp-block-columns">'
        f'<div class="wp-block-column" style="flex-basis:66%">'
        f'<div class="wp-block-post-content">{unwrap(inner)}</div></div>'
        f'<div class="wp-block-column"><div class="wp-block-group">{meta_lines(m)}</div>'
        f'<div class="wp-block-group">{related_list(with_meta=True)}</div></div>'
        '</div></main><footer class="wp-block-template-part"><p>Crown copyright</p></footer>'
        "</div>"
    ),
    # Plain divs, no article, no main: label/value boxes before the content, teasers after.
    "divs-boxes-before": lambda inner, m: page(
        f'<div id="t0"><a href="/">HMICFRS</a></div><div id="t1">{TRAIL}</div>'
        f'<div id="pg"><div class="c-7">{meta_boxes(m)}<div class="c-8">{unwrap(inner)}</div>'
        f'</div><div class="c-9">{related_list(with_meta=True)}</div></div>'
    ),
    # The breaker: metadata as the first child of .entry-content, share links after the log,
    # a breadcrumb trail inside the post, other recommendations as <article>s, no <main>.
    "meta-first-in-entry-content": lambda inner, m: page(
        f'<div class="shell"><div class="head-x"><a href="/">HMICFRS</a><ul>{MENU}</ul></div>'
        f'<div class="cols"><article class="post-x">{TRAIL}'
        f"{into_entry_content(inner, meta_dl(m))}{SHARE}</article>"
        f'<div class="side-x">{related_articles()}</div></div></div>'
    ),
    # Teasers with their own metadata inside <main>; the post's metadata table in its header.
    "teasers-with-metadata": lambda inner, m: page(
        f'<main><div class="mast">{meta_table(m)}</div><article class="p-1">{inner}</article>'
        f'<div class="aux">{related_list(with_meta=True)}</div></main>'
    ),
}


def unwrap(inner: str) -> str:
    """The post without WordPress's content class: a theme that names nothing."""
    return inner.replace('class="entry-content"', 'class="txt"')


def articles() -> list[tuple[str, str, str]]:
    """(name, the inner HTML of the page's one <article>, url) for golden recommendation pages."""
    found = []
    for html_path in sorted(PAGES.glob("*.html")):
        expected = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
        # A page known by ?p=<id> takes its force from the <head>, which stays with the theme.
        if expected["page_kind"] != "recommendation" or recommendation_key(expected["url"]) is None:
            continue
        tree = LexborHTMLParser(html_path.read_text(encoding="utf-8"))
        nodes = tree.css("article")
        # A banner outside the article belongs to the theme, so it does not travel with it.
        if len(nodes) == 1 and not (expected["has_404_banner"] and "404" not in nodes[0].text()):
            inner = "".join(child.html or "" for child in nodes[0].iter(include_text=True))
            found.append((html_path.stem, inner, expected["url"]))
    return found


ARTICLES = articles()
# Boxes named like a theme's chrome (class="header") are the post's own only inside its
# <article>: in a theme with none, they read as the site's chrome.
GENERIC_BOXES = re.compile(r'class="(?:header|footer|nav|menu)"')
NO_ARTICLE = {"no-wp-class", "gutenberg-columns", "divs-boxes-before"}
CASES = [
    pytest.param(template, *a, id=f"{a[0]}-{template}")
    for a in ARTICLES
    for template in TEMPLATES
    if not (template in NO_ARTICLE and GENERIC_BOXES.search(a[1]))
]


def record(html: str, url: str) -> dict:
    parsed = asdict(parse_page(html, url))
    parsed.pop("content_text")  # the text of the content area, theme and all
    return json.loads(json.dumps(parsed))


METADATA = ("force_name", "reference", "report_url", "published_on", "themes")


def golden(name: str) -> dict:
    return json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))


def own_metadata(name: str) -> bool:
    """Whether the golden page shows metadata of its own (then the templates add none)."""
    return any(golden(name)[k] is not None for k in METADATA)


def expected_record(name: str, url: str, m: Meta | None) -> dict:
    golden = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
    golden.pop("content_text")
    if m is None:
        return golden
    return {
        **golden,
        "report_title": golden["report_title"] or m.report_title,
        "force_name": m.force_name,
        "reference": m.reference,
        "report_url": urljoin(url, m.report_path),
        "published_on": m.published_on,
        "themes": [name for name, _ in m.themes],
    }


def test_enough_pages_travel_through_enough_templates() -> None:
    assert len(TEMPLATES) >= 9
    assert len(ARTICLES) >= 25
    assert sum(not own_metadata(name) for name, _, _ in ARTICLES) >= 25
    assert len(CASES) >= len(TEMPLATES) * len(ARTICLES) - 3 * len(NO_ARTICLE)


@pytest.mark.parametrize(("template", "name", "inner", "url"), CASES)
def test_a_recommendation_reads_the_same_in_any_theme(
    template: str, name: str, inner: str, url: str
) -> None:
    m = None if own_metadata(name) else meta_for(url)
    assert record(TEMPLATES[template](inner, m), url) == expected_record(name, url, m)


# Listing pages: three recommendations, each entry in the template's own shape.
LISTED = ["log_basic", "coc_prose_complete", "area_for_improvement"]
LISTING_URL = f"{OLD}/hmicfrs/?recommendation-theme=harm"


def listed() -> list[tuple[str, int, str, str]]:
    """(url, id, report title, the post's content HTML) of the recommendations listed."""
    out = []
    for name in LISTED:
        expected = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
        tree = LexborHTMLParser((PAGES / f"{name}.html").read_text(encoding="utf-8"))
        node = tree.css_first(".entry-content")
        assert node is not None
        inner = "".join(child.html or "" for child in node.iter(include_text=True))
        out.append((expected["url"], expected["rec_id"], expected["report_title"], inner))
    return out


def entry_title(url: str, rec_id: int, title: str) -> str:
    return f'<h2 class="ttl"><a href="{url}">{title} ({rec_id})</a></h2>'


EntryTemplate = Callable[[str, int, str, str, Meta], str]
LISTING_ENTRIES: dict[str, EntryTemplate] = {
    "dl-in-article": lambda u, i, t, c, m: (
        f'<article class="qz-post">{entry_title(u, i, t)}{meta_dl(m)}<div>{c}</div></article>'
    ),
    "table-after-article": lambda u, i, t, c, m: (
        f"<article>{entry_title(u, i, t)}<div>{c}</div>{meta_table(m)}</article>"
    ),
    "labelled-paragraphs": lambda u, i, t, c, m: (
        f'<article class="e-8">{entry_title(u, i, t)}{meta_labelled(m)}{c}</article>'
    ),
    "no-wp-class": lambda u, i, t, c, m: (
        f'<div class="k9">{entry_title(u, i, t)}{c}{meta_spans(m)}</div>'
    ),
    "related-inside-article": lambda u, i, t, c, m: (
        f'<article class="mx-a">{entry_title(u, i, t)}{meta_dl(m)}{c}</article>'
    ),
    "gutenberg-columns": lambda u, i, t, c, m: (
        f'<div class="wp-block-group">{entry_title(u, i, t)}<div class="wp-block-columns">'
        f'<div class="wp-block-column">{c}</div>'
        f'<div class="wp-block-column">{meta_lines(m)}</div></div></div>'
    ),
    "divs-boxes-before": lambda u, i, t, c, m: (
        f'<div class="c-7">{entry_title(u, i, t)}{meta_boxes(m)}<div class="c-8">{c}</div></div>'
    ),
    "meta-first-in-entry-content": lambda u, i, t, c, m: (
        f'<article class="post-x">{entry_title(u, i, t)}'
        f'<div class="entry-content">{meta_dl(m)}{c}</div></article>'
    ),
    "teasers-with-metadata": lambda u, i, t, c, m: (
        f'<article class="p-1">{entry_title(u, i, t)}{meta_table(m)}{c}</article>'
    ),
}
LISTING_CHROME: dict[str, Callable[[str], str]] = {
    "dl-in-article": lambda e: page(f'<div class="qz-top"><ul>{MENU}</ul></div><main>{e}</main>'),
    "table-after-article": lambda e: page(f"<main>{e}</main>"),
    "labelled-paragraphs": lambda e: page(f'<nav class="n0">{MENU}</nav><main>{e}</main>'),
    "no-wp-class": lambda e: page(
        f'<div class="menu-zz"><ul>{MENU}</ul></div><div class="wrap-3">{e}</div>'
    ),
    "related-inside-article": lambda e: page(
        f'<main class="mx">{e}<div class="mx-more">{related_list()}</div></main>'
    ),
    "gutenberg-columns": lambda e: page(
        f'<div class="wp-site-blocks"><main class="wp-block-group">{e}</main>'
        f'<div class="wp-block-group">{related_list(with_meta=True)}</div></div>'
    ),
    "divs-boxes-before": lambda e: page(
        f'<div id="t1">{TRAIL}</div><div id="pg">{e}<div class="c-9">{related_list()}</div></div>'
    ),
    "meta-first-in-entry-content": lambda e: page(
        f'<div class="shell"><div class="cols">{e}</div>'
        f'<div class="side-x"><ul><li><a href="/hmicfrs/recommendation/tarnside/5103/">'
        f"A recommendation elsewhere</a></li></ul></div></div>"
    ),
    "teasers-with-metadata": lambda e: page(
        f'<main>{e}<div class="aux">{related_list(with_meta=True)}</div></main>'
    ),
}


def listing_record(template: str) -> dict:
    entries = "".join(
        LISTING_ENTRIES[template](url, rec_id, title, content, meta_for(url))
        for url, rec_id, title, content in listed()
    )
    parsed = parse_page(LISTING_CHROME[template](entries), LISTING_URL)
    assert parsed.page_kind == "listing"
    return json.loads(json.dumps([asdict(e) for e in parsed.listing_entries]))


def test_every_template_has_a_listing_equivalent() -> None:
    assert set(LISTING_ENTRIES) == set(TEMPLATES) == set(LISTING_CHROME)


def expected_entries() -> list[dict]:
    """What a listing shows of each entry: the golden page's own reading, and the metadata."""
    out = []
    for name in LISTED:
        golden = json.loads((PAGES / f"{name}.json").read_text(encoding="utf-8"))
        m = meta_for(golden["url"])
        out.append(
            {
                "url": golden["url"],
                "rec_id": golden["rec_id"],
                "report_title": golden["report_title"],
                "text": golden["text"],
                "cause_of_concern": golden["cause_of_concern"],
                "log": golden["log"],
                "current_status": golden["current_status"],
                "status_date": golden["status_date"],
                "warnings": [],
                "force_name": m.force_name,
                "reference": m.reference,
                "report_url": OLD + m.report_path,
                "published_on": m.published_on,
                "themes": [n for n, _ in m.themes],
            }
        )
    return out


@pytest.mark.parametrize("template", sorted(LISTING_ENTRIES))
def test_a_listing_reads_the_same_in_any_theme(template: str) -> None:
    assert listing_record(template) == expected_entries()
