"""The blind-theme generator itself: deterministic, well-formed, and true to its contents.

These check tests/blindthemes.py, not the parser (bench/blind.py reports on the parser).
"""

from __future__ import annotations

import html
import re
from datetime import date
from html.parser import HTMLParser

import pytest

from tests.blindthemes import (
    BY_NAME,
    CONTENTS,
    MONTHS,
    NAV,
    THEMES,
    expected_record,
    fmt_date,
    pages,
)

DATE_STYLES = ("ordinal", "plain", "numeric")

VOID = {"meta", "link", "br", "img", "input", "hr", "source", "wbr", "col", "area", "base"}


class Reader(HTMLParser):
    """Checks that every element closes in order, and collects the text a reader sees."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []
        self.raw: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        (self.raw if {"script", "style"} & set(self.stack) else self.text).append(data)


def read(html: str) -> Reader:
    reader = Reader()
    reader.feed(html)
    reader.close()
    return reader


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def parse_raw_date(raw: str) -> str:
    """An independent reading of the three date styles SITE.md describes."""
    if m := re.fullmatch(r"(\d{2})/(\d{2})/(\d{4})", raw):
        return date(int(m[3]), int(m[2]), int(m[1])).isoformat()
    m = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)? ([A-Z][a-z]+) (\d{4})", raw)
    assert m, raw
    if m[2]:
        day = int(m[1])
        want = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
        assert m[2] == want, raw
    return date(int(m[4]), MONTHS.index(m[3]) + 1, int(m[1])).isoformat()


def test_generation_is_deterministic_and_complete() -> None:
    first = [(p.theme, p.content, p.url, p.html, p.expected) for p in pages()]
    second = [(p.theme, p.content, p.url, p.html, p.expected) for p in pages()]
    assert first == second
    assert len(THEMES) >= 12 and len(CONTENTS) >= 15
    assert len(first) == len(THEMES) * (len(CONTENTS) + 1)
    assert len({(t, c) for t, c, *_ in first}) == len(first)
    assert len({h for *_, h, _ in first}) == len(first), "two pages came out identical"


@pytest.mark.parametrize("theme", [t.name for t in THEMES])
def test_every_page_of_a_theme_is_well_formed_and_shows_its_content(theme: str) -> None:
    for page in (p for p in pages() if p.theme == theme):
        reader = read(page.html)
        assert (reader.errors, reader.stack) == ([], []), (page.content, reader.errors)
        visible = squash(" ".join(reader.text)).replace("•", " ").replace("◦", " ")
        visible = squash(visible)
        records = page.expected["listing_entries"] or [page.expected]
        for rec in records:
            pieces = [rec["text"], rec["cause_of_concern"], rec.get("closing_line")]
            pieces += [e["comment"] for e in rec["log"]] + [e["raw_date"] for e in rec["log"]]
            for piece in filter(None, pieces):
                for para in piece.split("\n"):
                    want = squash(para.replace("•", " ").replace("◦", " ").strip())
                    assert want in visible, (page.content, want)
        if page.expected["force_name"]:
            assert page.expected["force_name"] in page.html
        assert ("404 Page not found" in visible) == page.expected["has_404_banner"]


@pytest.mark.parametrize("content", CONTENTS, ids=lambda c: c.name)
def test_each_expected_record_is_self_consistent(content) -> None:
    rec = expected_record(content)
    log = rec["log"]
    assert [e["seq"] for e in log] == list(range(len(log)))
    for entry in log:
        assert parse_raw_date(entry["raw_date"]) == entry["on_date"]
        assert (entry["kind"] == "status") == (entry["status"] is not None)
        assert (entry["kind"] == "comment") == bool(entry["comment"])
    assert [e["on_date"] for e in log] == sorted(e["on_date"] for e in log)
    statuses = [e for e in log if e["kind"] == "status"]
    if content.log_form == "prose":
        assert (rec["current_status"], rec["status_date"], log) == (
            content.closing_status,
            None,
            [],
        )
        assert rec["closing_line"] and rec["progress_update"]
    elif statuses:
        assert rec["current_status"] == statuses[-1]["status"]
        assert rec["status_date"] == statuses[-1]["on_date"]
    else:
        assert (rec["current_status"], rec["status_date"]) == (None, None)
    assert rec["text"] and rec["text"] == rec["text"].strip()
    assert (rec["cause_of_concern"] is not None) == (content.coc_heading is not None)
    assert rec["warnings"] == (content.log_form in ("no_comment_tags", "broken"))
    assert f"/{content.force}/{content.rec_id}/" in content.url


def _meta_shown(page_html: str, c) -> list[str]:
    """The metadata values of content c that the page does not show (empty: all shown)."""
    m = c.meta
    missing = []
    for value in (m.force_name, m.reference, m.report_url, *(m.themes or ())):
        if value and html.escape(value) not in page_html:
            missing.append(value)
    if m.published_on:
        styles = [m.published_on] + [fmt_date(m.published_on, s) for s in DATE_STYLES]
        if not any(s in page_html for s in styles):
            missing.append(m.published_on)
    return missing


@pytest.mark.parametrize("theme", [t.name for t in THEMES])
def test_every_page_shows_all_the_metadata_its_content_has(theme: str) -> None:
    for page in (p for p in pages() if p.theme == theme and p.content != "listing"):
        c = BY_NAME[page.content]
        if c.meta:
            assert _meta_shown(page.html, c) == [], (page.content, _meta_shown(page.html, c))


def _page(theme: str, content: str) -> str:
    return next(p.html for p in pages() if (p.theme, p.content) == (theme, content))


def _inside(page_html: str, outer_start: str, outer_end: str, piece: str) -> bool:
    start = page_html.index(outer_start)
    end = page_html.index(outer_end, start)
    return piece in page_html[start:end]


TAG = re.compile(r"<[^>]+>")


def _cells(fragment: str) -> str:
    return squash(TAG.sub(" ", html.unescape(fragment)))


def _log_rows_of_table(page_html: str) -> list[tuple[str, str, str]]:
    body = page_html[page_html.index('<table class="log">') :]
    body = body[: body.index("</table>")]
    rows = re.findall(
        r'<td class="log__date">(.*?)</td><td class="log__status">(.*?)</td>'
        r'<td class="log__comment">(.*?)</td>',
        body,
    )
    return [(d, s, _cells(cm)) for d, s, cm in rows]


def _log_rows_of_dl(page_html: str) -> list[tuple[str, str, str]]:
    body = page_html[page_html.index('<dl class="status-log">') :]
    body = body[: body.index("</dl>")]
    rows = []
    for d, cls, dd in re.findall(r"<dt>(.*?)</dt><dd( class=\"log-status\")?>(.*?)</dd>", body):
        rows.append((d, dd if cls else "", "" if cls else _cells(dd)))
    return rows


def _want_rows(c) -> list[tuple[str, str, str]]:
    return [
        (e["raw_date"], e["status"] or "", squash((e["comment"] or "").replace("\n", " ")))
        for e in expected_record(c)["log"]
    ]


@pytest.mark.parametrize("theme,extract", [("log_table", _log_rows_of_table),
                                            ("feedback_in_main", _log_rows_of_dl)])  # fmt: skip
def test_a_theme_that_renders_the_shortcode_shows_every_entry_in_order(theme, extract) -> None:
    for c in CONTENTS:
        page_html = _page(theme, c.name)
        if c.log and c.log_form in ("markup", "rendered"):
            assert "[on]" not in page_html, c.name
            assert extract(page_html) == _want_rows(c), c.name
        elif c.log:  # markup with tags missing is left as the editor stored it
            assert "[on]" in page_html and '"log' not in page_html, c.name


def test_the_second_set_of_themes_has_the_structures_it_claims() -> None:
    # nested sections, and a sticky contents list whose every link lands on a heading
    seed = _page("sections_toc", "seed_shape_regression")
    assert '<section class="rec-section"><section class="rec-section__part">' in seed
    anchors = re.findall(r'<a href="#([^"]+)">', seed)
    assert len(anchors) == 3 and all(f'id="{a}"' in seed for a in anchors)
    assert _inside(seed, "<article", "</article>", 'class="toc"')
    # the key facts box opens the entry content, before the text
    facts = _page("key_facts_box", "markup_multipara_meta")
    start = facts.index('<div class="entry-content"><div class="key-facts"')
    assert start < facts.index("The force should review how it grades")
    assert 'key-facts__label">Current status<' in facts and "<dl" not in facts
    # a trail and a last-updated line in the article header; the page itself in the section list
    trail = _page("trail_section_nav", "markup_basic")
    for piece in ("You are here:", "Last updated: 3 September 2018"):
        assert _inside(trail, '<header class="rec__header">', "</header>", piece)
    current = trail[trail.index('aria-current="page"') :]
    assert current.index("By 30 June 2018, the force") < current.index("</li>")
    # cookie banner and feedback form inside <main>
    fb = _page("feedback_in_main", "markup_basic")
    for piece in ("Accept all cookies", "Was this page useful?", "Report a problem"):
        assert _inside(fb, "<main", "</main>", piece)
    # print, share and PDF tools inside the entry content, details after the log
    pdf = _page("print_share_pdf", "markup_multipara_meta")
    for piece in ("Print this page", "Download as PDF", "Share:"):
        assert _inside(pdf, '<div class="entry-content">', "</article>", piece)
    assert pdf.index("[/status][/on]") < pdf.index("Recommendation details")
    # the title outside the article, the article holding only the body; microdata for the meta
    out = _page("title_outside_microdata", "markup_multipara_meta")
    assert out.index("<h1") < out.index("<article") and "<h1" not in out[out.index("<article") :]
    for prop in ("identifier", "about", "isPartOf", "datePublished", "keywords"):
        assert f'itemprop="{prop}"' in out
    # hidden copies: the menu twice (one display:none), a template, noscript blocks
    hid = _page("hidden_duplicates", "markup_multipara_meta")
    assert hid.count(NAV) == 2 and 'mobile-only" style="display:none"' in hid
    assert "<template" in hid and hid.count("<noscript>") == 2
    assert hid.count("NY/2018/07") == 2  # the sidebar's fields and their hidden mobile copy
