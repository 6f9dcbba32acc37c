"""The fixture site's data model: what one recommendation holds, in source form.

Pages (pages.py) and the expected catalogue (catalogue.py) are both derived from these records,
so the HTML a crawler reads and the values a test expects cannot disagree. Pure data: no I/O.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

# Page modes: how the rec URL answers in a given state.
LIVE = "live"  # 200, full page
BANNER_200 = "banner200"  # 200, "404 Page not found" banner over the full page
BANNER_404 = "banner404"  # 404, "404 Page not found" banner over the full page
SOFT_404 = "soft404"  # 200, "Page not found", no content
NOT_FOUND = "notfound"  # 404, WordPress 404 page
GONE = "gone"  # 410
MOVED = "moved"  # 301 to the current host's shape of its URL, which answers 200

# The date of every change made for the later state: after every log date in the data.
LATER_MODIFIED = "2025-03-03"


def ordinal(day: int) -> str:
    """1 -> '1st', 22 -> '22nd', 13 -> '13th'."""
    if 11 <= day % 100 <= 13:
        return f"{day}th"
    return f"{day}" + {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")


def format_date(iso: str, style: str) -> str:
    """An ISO date as the site writes it: 'ord' (9th February 2017), 'plain', 'slash'."""
    d = dt.date.fromisoformat(iso)
    if style == "ord":
        return f"{ordinal(d.day)} {MONTHS[d.month - 1]} {d.year}"
    if style == "plain":
        return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    if style == "slash":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    raise ValueError(f"unknown date style {style!r}")


def squash(text: str) -> str:
    """Collapse every run of whitespace (nbsp included) to one space: the safe way to compare."""
    return " ".join(text.replace("\xa0", " ").split())


def reader_lines(text: str) -> str:
    """Whitespace as a reader sees it: each line squashed, line breaks kept."""
    return "\n".join(squash(line) for line in text.split("\n"))


# --- Recommendation text blocks -------------------------------------------------------------


@dataclass(frozen=True)
class P:
    """A paragraph."""

    text: str


@dataclass(frozen=True)
class UL:
    """A bullet list as <ul><li>."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Inline:
    """Bullets run together in one paragraph, each preceded by `char` (• or ◦)."""

    char: str
    items: tuple[str, ...]


Block = P | UL | Inline


def block_lines(block: Block) -> list[str]:
    """The lines a reader sees for one block: bullets one per line, prefixed with the bullet
    character shown ('• ' for <li>)."""
    if isinstance(block, P):
        return [squash(block.text)]
    char = block.char if isinstance(block, Inline) else "•"
    return [f"{char} {squash(item)}" for item in block.items]


# --- Status log -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One [on]...[/on] log entry.

    `body` is a status slug, or a comment whose paragraphs are separated by a blank line
    (a single newline is a <br>; a paragraph starting with '> ' is a blockquote).
    `broken` drops the opening [status] / [comment] tag (the broken-markup case of SITE.md);
    `inline` writes a one-paragraph comment on one line, with no blank lines around it.
    """

    iso: str
    kind: str
    body: str
    style: str = "ord"
    broken: bool = False
    inline: bool = False

    @property
    def display_date(self) -> str:
        return format_date(self.iso, self.style)

    def paragraphs(self) -> list[str]:
        return [p for p in re.split(r"\n\s*\n", self.body.strip()) if p.strip()]

    def expected(self) -> tuple[str, str, str | None, str | None]:
        """(iso_date, kind, status, comment) as a parser should read it."""
        if self.kind == "status":
            return (self.iso, "status", self.body, None)
        if "\n" not in self.body and not self.body.startswith("> "):
            return (self.iso, "comment", None, squash(self.body))
        paras = [reader_lines(p.removeprefix("> ")) for p in self.paragraphs()]
        return (self.iso, "comment", None, "\n\n".join(paras))


def S(iso: str, slug: str, style: str = "ord", *, broken: bool = False) -> Entry:
    """A status entry."""
    return Entry(iso, "status", slug, style, broken=broken)


def C(
    iso: str, text: str, style: str = "ord", *, inline: bool = False, broken: bool = False
) -> Entry:
    """A comment entry."""
    return Entry(iso, "comment", text, style, broken=broken, inline=inline)


# --- One recommendation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Rec:
    """Everything the site holds about one recommendation URL in one state."""

    rec_id: int
    force: str
    title: str
    layout: int
    text: tuple[Block, ...]
    log: tuple[Entry, ...] = ()
    rec_type: str = "Recommendation"
    concern: str | None = None  # layouts 2 and 3
    rec_number: int | None = None  # layout 3: the "Recommendation N" heading
    progress: tuple[str, ...] = ()  # layout 2: prose progress update
    closing: str | None = None  # layout 2: closing line
    closing_status: str | None = None  # layout 2: the status the closing line carries
    mode: str = LIVE
    themes: tuple[str, ...] = ()
    in_sitemap: bool = True
    private: bool = False
    cosmetic: int = 0  # a whitespace/chrome variant: changes bytes, never parsed content
    modified: str | None = None  # ISO date for Last-Modified; default: the last log date
    warnings: bool = False  # the parser should record a warning (broken markup)
    change: str = ""  # what differs in the later state, see catalogue.CHANGES
    note: str = ""
    synthetic: bool = False

    @property
    def path(self) -> str:
        return f"/hmicfrs/recommendation/{self.force}/{self.rec_id}/"

    @property
    def listed_path(self) -> str:
        """Where listings and sitemaps point: a moved rec's new, prefix-less path."""
        return self.path.removeprefix("/hmicfrs") if self.mode == MOVED else self.path

    @property
    def last_modified(self) -> dt.datetime:
        iso = self.modified or max((e.iso for e in self.log), default="2016-05-01")
        d = dt.date.fromisoformat(iso) + dt.timedelta(days=0 if self.modified else 1)
        return dt.datetime(d.year, d.month, d.day, 9, 30, tzinfo=dt.UTC)

    @property
    def has_content(self) -> bool:
        return self.mode in (LIVE, BANNER_200, BANNER_404)

    @property
    def http_status(self) -> int:
        return {
            LIVE: 200,
            BANNER_200: 200,
            BANNER_404: 404,
            SOFT_404: 200,
            NOT_FOUND: 404,
            GONE: 410,
            MOVED: 301,
        }[self.mode]

    def text_lines(self) -> list[str]:
        return [line for block in self.text for line in block_lines(block)]


@dataclass(frozen=True)
class RecSpec:
    """What a correct crawl should record for one rec URL in one state (for test assertions).

    Text conventions: `text` has its paragraphs and lists apart with a blank line, one line
    per bullet prefixed with the bullet shown ("• item" for <li>, "◦ item" where the page
    writes ◦); comments keep paragraphs apart with a blank line and <br> as a newline; within
    a line whitespace (nbsp included) is collapsed to one space and HTML entities are decoded.
    The content fields describe the recommendation's data even when the page does not show it
    (state not_found / gone / soft_404: listings may still show it).
    """

    url: str
    path: str
    rec_id: int
    force: str
    layout: int
    http_status: int
    state: str  # live, not_found, gone, soft_404, blocked (robots.txt disallows the URL)
    has_404_banner: bool
    report_title: str
    rec_type: str
    cause_of_concern: str | None
    text: str
    log: tuple[tuple[str, str, str | None, str | None], ...]
    current_status: str | None
    status_date: str | None
    progress_update: str | None
    listed_in: tuple[str, ...]
    in_sitemap: bool
    disallowed: bool
    parse_warnings: bool
    change: str = ""
    note: str = ""


# The label a page shows -> the rec_type a parser records.
REC_TYPES = {
    "Recommendation": "recommendation",
    "National recommendation": "recommendation",
    "Cause of concern": "cause_of_concern",
    "Area for improvement": "area_for_improvement",
}


def current_status(rec: Rec) -> tuple[str | None, str | None]:
    """(status, iso date) of the latest status entry by date, ties to the later one on the page.

    Layout 2 carries its status in the closing line and has no date.
    """
    statuses = [(e.iso, i, e.body) for i, e in enumerate(rec.log) if e.kind == "status"]
    if statuses:
        iso, _, slug = max(statuses)
        return slug, iso
    return rec.closing_status, None


def state_of(rec: Rec) -> str:
    if rec.private:
        return "blocked"
    return {
        LIVE: "live",
        BANNER_200: "live",
        BANNER_404: "live",
        SOFT_404: "soft_404",
        NOT_FOUND: "not_found",
        GONE: "gone",
        MOVED: "redirected",
    }[rec.mode]


def spec_of(rec: Rec, base_url: str) -> RecSpec:
    """The expected record for one Rec."""
    status, status_date = current_status(rec)
    return RecSpec(
        url=base_url + rec.path,
        path=rec.path,
        rec_id=rec.rec_id,
        force=rec.force,
        layout=rec.layout,
        http_status=rec.http_status,
        state=state_of(rec),
        has_404_banner=rec.mode in (BANNER_200, BANNER_404),
        report_title=rec.title,
        rec_type=REC_TYPES[rec.rec_type],
        cause_of_concern=squash(rec.concern) if rec.concern else None,
        text="\n\n".join("\n".join(block_lines(b)) for b in rec.text),
        log=tuple(e.expected() for e in rec.log),
        current_status=status,
        status_date=status_date,
        progress_update="\n".join(squash(p) for p in rec.progress) if rec.progress else None,
        listed_in=rec.themes,
        in_sitemap=rec.in_sitemap,
        disallowed=rec.private,
        parse_warnings=rec.warnings,
        change=rec.change,
        note=rec.note,
    )
