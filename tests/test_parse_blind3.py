"""Blind adversary set 3 (tests/blindthemes3.py): every theme's record must equal the record
parse_page reads from the plain reference rendering of the same content, field by field
(canonical JSON, parse warnings aside). The reference itself is pinned to the content."""

from __future__ import annotations

import html as _html
import json
import re

import pytest

from scraper.parse import parse_page
from tests import blindthemes3 as b


def _record(html: str, url: str) -> dict:
    return json.loads(parse_page(html, url).canonical_json())


def _visible_text(html: str) -> str:
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return " ".join(_html.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def _diff(exp: dict, got: dict) -> dict:
    return {k: (exp[k], got.get(k)) for k in exp if exp[k] != got.get(k)}


def _strip_warnings(d: dict) -> dict:
    for e in d.get("listing_entries") or []:
        e.pop("warnings", None)
    return d


REFS = {c.key: _record(b.reference(c), c.url) for c in b.CONTENTS}


def test_reference_reads_the_content():
    for c in b.CONTENTS:
        r = REFS[c.key]
        assert r["page_kind"] == "recommendation"
        assert r["rec_id"] == c.rec_id and r["force"] == c.force
        assert r["report_title"] == c.report_title
        assert r["has_404_banner"] == c.banner
        assert r["force_name"] == c.meta.get("force_name")
        assert r["reference"] == c.meta.get("reference")
        assert r["report_url"] == (c.meta["report"][0] if "report" in c.meta else None)
        assert r["themes"] == ([n for _, n in c.meta["themes"]] if "themes" in c.meta else None)
        first = c.text_blocks[-1][1]
        first = first[0] if isinstance(first, list) else first
        assert first.split(";")[0].split(" •")[0][:40] in r["text"]
        assert "[on]" not in r["text"] and "Reference" not in r["text"]
    assert REFS["markup_basic"]["current_status"] == "complete"
    assert [e["status"] for e in REFS["new_dates_backwards"]["log"] if e["kind"] == "status"] == [
        "awaiting-review",
        "being-progressed",
        "awaiting-review",
        "no-further-action-needed",
    ]
    assert REFS["unknown_slug_no_meta"]["current_status"] == "superseded"
    assert REFS["prose_closing"]["current_status"] == "complete"
    assert REFS["text_only"]["log"] == [] and REFS["text_only"]["current_status"] is None
    assert REFS["cause_of_concern"]["cause_of_concern"].startswith("Officers did not")


@pytest.mark.parametrize("theme", sorted(b.THEMES))
def test_generator_puts_every_block_in_the_page(theme):
    """The generator, not the parser: each theme's page holds every text and log block."""
    for c in b.CONTENTS:
        page = _visible_text(b.THEMES[theme](c))
        for _, body in c.text_blocks + c.log_blocks:
            for piece in body if isinstance(body, list) else [body]:
                assert " ".join(piece.split()) in page, (theme, c.key, piece)


# Pages the parser does not yet read like their reference, each with why.
KNOWN_GAPS = {
    ("text_only", "aria_tabs"): (
        "the theme's empty log panel shows a placeholder sentence ('No progress has been "
        "recorded.') that the reference has no counterpart for; the parser keeps it as text "
        "(no mechanism yet tells an empty-log notice from a paragraph of the text)"
    ),
}


@pytest.mark.parametrize(
    "key,theme",
    [
        pytest.param(k, t, marks=pytest.mark.xfail(strict=True, reason=KNOWN_GAPS[k, t]))
        if (k, t) in KNOWN_GAPS
        else (k, t)
        for k in [c.key for c in b.CONTENTS]
        for t in sorted(b.THEMES)
    ],
)
def test_theme_reads_like_reference(key, theme):
    c = b.CONTENT_BY_KEY[key]
    got = _record(b.THEMES[theme](c), c.url)
    exp = REFS[key]
    assert not _diff(exp, got), _diff(exp, got)


LISTING_REF = _strip_warnings(_record(b.listing_reference(), b.LISTING_URL))


def test_listing_reference_reads_three_entries():
    assert LISTING_REF["page_kind"] == "listing"
    assert [e["rec_id"] for e in LISTING_REF["listing_entries"]] == [3310, 4120, 8120]
    assert LISTING_REF["next_page"] == b.LISTING_NEXT


@pytest.mark.parametrize("theme", sorted(b.THEMES))
def test_theme_listing_reads_like_reference(theme):
    got = _strip_warnings(_record(b.listing(theme), b.LISTING_URL))
    assert not _diff(LISTING_REF, got), _diff(LISTING_REF, got)
