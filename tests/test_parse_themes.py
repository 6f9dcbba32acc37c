"""A recommendation reads the same whatever theme the site wraps it in.

Each golden recommendation page that holds one <article> is re-served inside other themes (a
GOV.UK-style template, a WordPress default theme, plain divs with named chrome): the parsed
record, and so the normalised hash that decides versions, must not change. A theme change on
the site must never pose as a change to a recommendation.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from scraper.discover import recommendation_key
from scraper.parse import parse_page

PAGES = Path(__file__).parent / "pages"

MENU = "".join(
    f'<li class="menu-item"><a href="/hmicfrs/{slug}/">{name}</a></li>'
    for slug, name in [
        ("about-us", "About us"),
        ("publications", "Publications"),
        ("police-forces", "Police forces"),
        ("recommendations", "Recommendations"),
        ("contact-us", "Contact us"),
    ]
)
THEMES = {
    "govuk": """<!DOCTYPE html><html lang="en"><head><title>Recommendation - GOV.UK</title></head>
<body class="govuk-template__body"><a href="#main-content" class="govuk-skip-link">Skip to main content</a>
<div id="global-cookie-message" class="govuk-cookie-banner" role="region"><p>We use some essential cookies.</p><button>Accept</button></div>
<header class="govuk-header" role="banner"><div class="govuk-header__container"><a href="/" class="govuk-header__link">HMICFRS</a>
<nav><ul class="govuk-header__navigation">{menu}</ul></nav></div></header>
<div class="govuk-width-container"><div class="govuk-breadcrumbs"><ol class="govuk-breadcrumbs__list"><li><a href="/">Home</a></li><li><a href="/recommendations/">Recommendations</a></li></ol></div>
<main class="govuk-main-wrapper" id="main-content" role="main">{article}</main></div>
<footer class="govuk-footer" role="contentinfo"><ul>{menu}</ul><p>All content is available under the Open Government Licence v3.0</p></footer></body></html>""",
    "wordpress-default": """<!DOCTYPE html><html><head><title>Recommendation &#8211; HMICFRS</title></head>
<body class="single single-recommendation"><header id="site-header" class="header-footer-group" role="banner">
<div class="header-titles"><div class="site-title"><a href="/">HMICFRS</a></div><div class="site-description">Inspectorate</div></div>
<nav class="primary-menu-wrapper" aria-label="Horizontal"><ul class="primary-menu reset-list-style">{menu}</ul></nav></header>
<main id="site-content" role="main">{article}</main>
<div class="widget-area"><div class="widget"><h2 class="widget-title">Recent posts</h2><ul><li><a href="/hmicfrs/news/x/">An inspection of something (2024)</a></li></ul></div></div>
<footer id="site-footer" role="contentinfo" class="header-footer-group"><p class="footer-copyright">&copy; 2026 HMICFRS</p>
<p class="powered-by-wordpress"><a href="https://wordpress.org/">Powered by WordPress</a></p></footer></body></html>""",
    "plain-divs": """<html><head><title>HMICFRS</title></head><body>
<div id="header"><div class="logo"><a href="/">HMICFRS</a></div><ul class="menu">{menu}</ul></div>
<div id="top-bar"><a href="/">Home</a> <a href="/hmicfrs/accessibility/">Accessibility</a></div>
<div class="container"><div class="content">{article}</div>
<div class="sidebar"><h3>Related</h3><ul><li><a href="/hmicfrs/recommendation/ashdown/1/">Another recommendation</a></li></ul></div></div>
<div id="footer"><p>&copy; Crown copyright</p><ul>{menu}</ul></div></body></html>""",
}


def articles() -> list[tuple[str, str, str]]:
    """(name, the page's one <article>, url) for golden recommendation pages that have one."""
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
            found.append((html_path.stem, nodes[0].html or "", expected["url"]))
    return found


ARTICLES = articles()
# Boxes named like a theme's chrome (class="header") are the post's own only inside its
# <article>: unwrapped, they read as the site's chrome, so such pages keep their article.
GENERIC_BOXES = re.compile(r'class="(?:header|footer|nav|menu)"')
CASES = [
    pytest.param(theme, *a, id=f"{a[0]}-{theme}")
    for a in ARTICLES
    for theme in sorted(THEMES)
    if not (theme == "plain-divs" and GENERIC_BOXES.search(a[1]))
]


def test_enough_pages_travel() -> None:
    assert len(ARTICLES) >= 20
    assert len(CASES) >= 3 * len(ARTICLES) - 2


@pytest.mark.parametrize(("theme", "name", "article", "url"), CASES)
def test_a_recommendation_reads_the_same_in_any_theme(
    theme: str, name: str, article: str, url: str
) -> None:
    original = parse_page((PAGES / f"{name}.html").read_text(encoding="utf-8"), url)
    if theme == "plain-divs":
        # An old theme with no <article>, <main> or known content id, and no post classes:
        # the content is what is left once the named chrome around it is stripped.
        article = re.sub(r"^<article[^>]*>", "<div>", article).removesuffix("</article>") + "</div>"
        article = article.replace('class="entry-content"', 'class="text"')
    rewrapped = parse_page(THEMES[theme].format(menu=MENU, article=article), url)
    assert json.loads(rewrapped.canonical_json()) == json.loads(original.canonical_json())
    assert rewrapped.normalised_sha256() == original.normalised_sha256()
