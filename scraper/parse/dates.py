"""Dates as the site writes them -> ISO YYYY-MM-DD.

This module owns the date pattern (ordinal, plain and abbreviated month names, dd/mm/yyyy, ISO)
and reading a match into an ISO date, with a small cache. It knows nothing of logs or pages.
"""

from __future__ import annotations

import re
from datetime import date

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_FULL_MONTHS = {
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "sept",
    "october",
    "november",
    "december",
    *_MONTHS,
}
_DATE = (
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]{0,6}\.?,?\s+)?"
    r"(?:"
    r"(?P<d1>\d{1,2})\s?(?:st|nd|rd|th)?\.?(?:\s+of)?[ \t\-]*"
    r"(?P<m1>[a-z]{3,9})\.?,?[ \t\-]*(?P<y1>\d{4})"
    r"|(?P<m2>[a-z]{3,9})\.?[ \t]+(?P<d2>\d{1,2})(?:st|nd|rd|th)?,?[ \t]+(?P<y2>\d{4})"
    r"|(?P<y4>\d{4})[-/.](?P<m4>\d{1,2})[-/.](?P<d4>\d{1,2})"
    r"|(?P<d3>\d{1,2})[ \t]?[/.\-][ \t]?(?P<m3>\d{1,2})[ \t]?[/.\-][ \t]?(?P<y3>\d{4}|\d{2})"
    r")(?![\d\w])"
)
_DATE_RE = re.compile(_DATE, re.I)
_DATE_AT_RE = re.compile(r"[ \t\n]*(" + _DATE + r")", re.I)


_TRAILING_DATE_RE = re.compile(r"(?:^|(?<=\s))" + _DATE + r"[ \t\n]*$", re.I)


_DATE_GROUPS = ("d1", "m1", "y1", "d2", "m2", "y2", "d3", "m3", "y3", "d4", "m4", "y4")
# Log dates repeat across entries and pages; reading one costs more than looking it up.
_DATE_CACHE: dict[str, tuple[str | None, bool]] = {}


def _date_from_match(m: re.Match[str], key: str) -> tuple[str | None, bool]:
    """(ISO date or None, month name was misspelt) from a match of _DATE whose text is `key`."""
    cached = _DATE_CACHE.get(key)
    if cached is not None:
        return cached
    if len(_DATE_CACHE) > 4096:
        _DATE_CACHE.clear()
    result = _DATE_CACHE[key] = _read_date(*m.group(*_DATE_GROUPS))
    return result


def _read_date(*g: str | None) -> tuple[str | None, bool]:
    d1, m1, y1, d2, m2, y2, d3, m3, y3, d4, m4, y4 = g
    odd_month = False
    if d1 is not None or d2 is not None:
        word = (m1 or m2 or "").lower()
        month = _MONTHS.get(word[:3])
        if month is None:
            return None, False
        odd_month = word not in _FULL_MONTHS
        day, year = int(d1 or d2 or 0), int(y1 or y2 or 0)
    elif y4 is not None:
        day, month, year = int(d4 or 0), int(m4 or 0), int(y4)
    else:
        # The site writes numeric dates day first (20/01/2020).
        day, month, year = int(d3 or 0), int(m3 or 0), int(y3 or 0)
        if year < 100:
            year += 2000
    try:
        return date(year, month, day).isoformat(), odd_month
    except ValueError:
        return None, odd_month


def parse_date(text: str) -> str | None:
    """ISO YYYY-MM-DD of a log date ("9th February 2017", "20/01/2020"), or None if unreadable."""
    m = _DATE_RE.fullmatch(text.strip())
    return _date_from_match(m, m.group(0))[0] if m else None
