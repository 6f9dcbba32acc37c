"""The blind-theme generator itself: deterministic, well-formed, and true to its contents.

These check tests/blindthemes.py, not the parser (bench/blind.py reports on the parser).
"""

from __future__ import annotations

import re
from datetime import date
from html.parser import HTMLParser

import pytest

from tests.blindthemes import CONTENTS, MONTHS, THEMES, expected_record, pages

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
