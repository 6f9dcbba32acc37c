"""The blind themes (tests/blindthemes.py): every content of every theme the parser reads whole.

Twenty-three page themes the parser's code never names (fifteen, then eight more by a second
author), written by people who had not read it, each rendering the same 20 contents and a
listing page; the expected record comes from each
content's definition, never from the parser. One test per theme asserts the whole records of
all its pages at once (`python -m bench.blind` shows what differs, field by field). A theme
the parser does not yet read whole is listed in NOT_YET with the reason, as a strict xfail:
it fails the suite the day it passes, so that it moves here and stays passing.
"""

from __future__ import annotations

import pytest

from scraper import parse_page
from tests.blindthemes import THEMES, as_dict, normalised, pages

NOT_YET: dict[str, str] = {}


def _records(theme: str) -> tuple[dict[str, dict], dict[str, dict]]:
    """(content -> the parser's record, content -> the expected record) for one theme."""
    got: dict[str, dict] = {}
    want: dict[str, dict] = {}
    for page in pages():
        if page.theme == theme:
            got[page.content] = normalised(as_dict(parse_page(page.html, page.url)))
            want[page.content] = page.expected
    return got, want


@pytest.mark.parametrize(
    "theme",
    [
        pytest.param(t.name, marks=pytest.mark.xfail(strict=True, reason=NOT_YET[t.name]))
        if t.name in NOT_YET
        else t.name
        for t in THEMES
    ],
)
def test_every_page_of_a_blind_theme_parses_to_its_whole_record(theme: str) -> None:
    got, want = _records(theme)
    assert len(want) == 21
    assert got == want
