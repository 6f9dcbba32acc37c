"""A page's <main> is its main content whatever its classes say: a class word that names chrome
elsewhere ("cookie", "consent", "gdpr", "breadcrumb") in the <main> element's own class list
describes the layout, never a box to strip. Every golden page with a <main>, its class list
swapped for such names, reads as the same whole record."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scraper.parse import parse_page

PAGES = Path(__file__).parent / "pages"
MAIN_RE = re.compile(r"<main\b[^>]*>", re.I)
WITH_MAIN = sorted(p.stem for p in PAGES.glob("*.html") if MAIN_RE.search(p.read_text("utf-8")))
CLASSES = ("site-main no-cookie-banner", "content consent-given", "gdpr-ok", "breadcrumb-host")


def test_the_golden_pages_include_listings_and_recommendations_with_a_main() -> None:
    assert any(name.startswith("listing") for name in WITH_MAIN)
    assert len(WITH_MAIN) >= 10


@pytest.mark.parametrize("name", WITH_MAIN)
@pytest.mark.parametrize("classes", CLASSES)
def test_class_words_on_main_never_make_it_chrome(name: str, classes: str) -> None:
    html = (PAGES / f"{name}.html").read_text("utf-8")
    url = json.loads((PAGES / f"{name}.json").read_text("utf-8"))["url"]
    renamed = MAIN_RE.sub(f'<main class="{classes}" role="main">', html, count=1)
    assert parse_page(renamed, url).canonical_json() == parse_page(html, url).canonical_json()
