"""Page HTML + URL -> ParsedPage: what one page of the site says, read leniently and exactly.

This module owns reading a fetched page: classifying it (recommendation, listing, not_found,
unexpected) from its content, finding the main content area whatever the theme, and reading the
recommendation's fields and status log in all the site's layouts, including broken log markup.
Every tolerance used is recorded as a short, stable warning string.

It is pure: it must not import httpx, sqlite, a clock or click, must not write anything, and
`parse_page` never raises, whatever the input.

Text conventions (stable; bump PARSER_VERSION when any of them changes):
- `text`, `cause_of_concern` and `progress_update` are paragraphs separated by a blank line.
- Bullets keep the bullet character the page shows, normalised to "<char> <item>", one per line:
  "•" and "◦" (also "●", "○", "▪", "‣") typed in the text, including several run together on one
  line, are split into separate lines. HTML list items become "• <item>" ("◦ <item>" when
  nested). Consecutive bullet lines are separated by a single newline.
- Comments are the comment's paragraphs, each stripped, joined with "\\n\\n".
- Closing lines of prose pages ("This recommendation is complete") map to the site's slugs:
  no further action -> no-further-action-needed; awaiting (review) -> awaiting-review; not yet
  complete / being progressed / in progress / ongoing / partially -> being-progressed; complete /
  completed / met / closed / discharged / achieved -> complete. A line that maps to none is kept
  in `closing_line`, current_status is None, and "status: unmapped closing line" is warned.
  A closing line may carry a date; status_date is None otherwise.
- Page metadata is not text: "Report: ..." gives report_title when no heading does; "Published",
  "Force", "Theme", "Type", "Reference" ... lines are dropped; a label beside its value (<dt>/<dd>,
  <th>/<td>) reads "Label: value". A status summary ("Status: Complete") repeats the log when
  there is one and is dropped; without a log it is the page's closing line.
- A heading just above the log ("Status log", "Progress updates") belongs to the log.
- rec_type: a "Recommendation N" heading (or "Recommendation N:" label) -> recommendation, also
  under a "Causes of concern" preamble; "Area for improvement" -> area_for_improvement; a single
  "Cause of concern" heading without a numbered recommendation -> cause_of_concern; no heading at
  all -> recommendation (every page under /recommendation/ is one).

Classification, from content: a recommendation URL is never a listing; two or more
"<title> (<id>)" entries, or a listing URL that is not a not-found page, make a listing; a log,
a type heading or a closing line makes a recommendation, and so does plain text on a
recommendation URL (under a 404 banner only if it reads like a recommendation); a not-found
banner or message with nothing else is not_found; anything else is unexpected, with no field
read but the URL's ids.

Warnings are short and stable: "<area>: <what>[ in entry <seq>]", area one of content, text,
log, status, listing, layout, id, parser. See the strings in this module; tests pin them.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import json
import re
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.discover import (
    canonical_url,
    id_from_query,
    next_page_from_tree,
    recommendation_key,
)

__all__ = [
    "PAGE_KINDS",
    "PARSER_VERSION",
    "REC_TYPES",
    "ListingEntry",
    "LogEntry",
    "ParsedPage",
    "parse_date",
    "parse_page",
]

PARSER_VERSION: str = "3"

PAGE_KINDS = ("recommendation", "listing", "not_found", "unexpected")
REC_TYPES = ("recommendation", "cause_of_concern", "area_for_improvement")


@dataclass(frozen=True)
class LogEntry:
    """One entry of a recommendation's status log."""

    seq: int  # 0-based position in the page's log, in page order
    on_date: str | None  # ISO YYYY-MM-DD; None when unreadable (warning added)
    raw_date: str  # the date text as on the page
    kind: str  # "status" | "comment"
    status: str | None  # slug exactly as given, for status entries (unknown slugs kept)
    comment: str | None  # for comment entries: paragraphs joined with "\n\n", stripped


@dataclass(frozen=True)
class ListingEntry:
    """One recommendation listed on a theme listing page, with what the listing shows of it."""

    url: str | None  # absolute URL of the recommendation page when the entry links one
    rec_id: int | None  # the id in brackets: "<Report title> (<id>)"
    report_title: str | None
    # What the entry shows under its title, read as a recommendation page's content is (the
    # listing may be the only place a recommendation whose page is gone can still be read).
    text: str | None = None
    cause_of_concern: str | None = None
    log: tuple[LogEntry, ...] = ()
    current_status: str | None = None
    status_date: str | None = None
    warnings: tuple[str, ...] = ()

    def row(self) -> dict[str, Any]:
        """The entry as plain data, its log as a list of dicts."""
        return {**vars(self), "log": [vars(e) for e in self.log], "warnings": list(self.warnings)}


# Fields the normalised hash leaves out: they differ between captures of the same content.
_UNHASHED = frozenset(("url", "warnings", "content_text"))


@dataclass(frozen=True)
class ParsedPage:
    """Everything read from one page. Fields that the page does not show are None, never guessed."""

    url: str
    page_kind: str  # "recommendation" | "listing" | "not_found" | "unexpected"
    rec_id: int | None
    force: str | None
    report_title: str | None
    rec_type: str | None  # "recommendation" | "cause_of_concern" | "area_for_improvement"
    cause_of_concern: str | None
    text: str | None
    log: tuple[LogEntry, ...]
    current_status: str | None
    status_date: str | None
    has_404_banner: bool
    warnings: tuple[str, ...]
    listing_entries: tuple[ListingEntry, ...] = ()
    next_page: str | None = None
    content_text: str = ""
    # Additions beyond the agreed API (not columns of recommendation_versions):
    rec_label: str | None = None  # the heading as shown, e.g. "Recommendation 5"
    progress_update: str | None = None  # prose pages: the update between text and closing line
    closing_line: str | None = None  # prose pages: the line that states the status, as shown

    def canonical_json(self) -> str:
        """Canonical JSON of the parsed record without url, warnings and content_text."""
        # Shallow by hand: asdict's recursive deep copy cost more than the rest of the hash.
        record: dict[str, object] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name not in _UNHASHED
        }
        record["log"] = [vars(e) for e in self.log]
        record["listing_entries"] = [e.row() for e in self.listing_entries]
        return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))

    def normalised_sha256(self) -> str:
        """sha256 of what the page says, blind to chrome and whitespace.

        Recommendation pages hash their parsed record (canonical_json); other kinds hash their
        whitespace-normalised content text.
        """
        payload = self.canonical_json() if self.page_kind == "recommendation" else self.content_text
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def version_row(self) -> dict:
        """Columns of recommendation_versions for this page (all but snapshot_id)."""
        return {
            "url": self.url,
            "rec_id": self.rec_id,
            "force": self.force,
            "report_title": self.report_title,
            "rec_type": self.rec_type,
            "cause_of_concern": self.cause_of_concern,
            "text": self.text,
            "current_status": self.current_status,
            "status_date": self.status_date,
            "has_404_banner": int(self.has_404_banner),
            "parse_warnings": json.dumps(list(self.warnings), ensure_ascii=False),
            "page_kind": self.page_kind,
            "parser_version": PARSER_VERSION,
        }

    def entry_rows(self) -> list[dict]:
        """Rows of listing_entries for this page's entries (all but snapshot_id)."""
        rows = []
        for seq, entry in enumerate(self.listing_entries):
            row = entry.row()
            warnings = row.pop("warnings")
            rows.append(
                {
                    "seq": seq,
                    **row,
                    "log": json.dumps(row["log"], ensure_ascii=False),
                    "parse_warnings": json.dumps(warnings, ensure_ascii=False),
                    "parser_version": PARSER_VERSION,
                }
            )
        return rows

    def event_rows(self) -> list[dict]:
        """Rows of status_events for this page's log (all but snapshot_id)."""
        return [
            {
                "seq": e.seq,
                "on_date": e.on_date,
                "raw_date": e.raw_date,
                "kind": e.kind,
                "status": e.status,
                "comment": e.comment,
            }
            for e in self.log
        ]


# ---------------------------------------------------------------------------------------------
# Dates

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
_FAST_ENTRY_RE = re.compile(
    r"\[on\][ \t\n]*(?P<date>" + _DATE + r")[ \t\n]*\[(?P<kind>status|comment)\]"
    r"(?P<body>[^\[]*)\[/(?P=kind)\][ \t\n]*\[/on\]",
    re.I,
)
_WELL_FORMED_RE = re.compile(
    r"[ \t\n]*(?P<date>" + _DATE + r")[ \t\n]*\[(?P<kind>status|comment)\](?P<body>.*?)"
    r"\[/(?P=kind)\][ \t\n]*$",
    re.I | re.S,
)
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


# ---------------------------------------------------------------------------------------------
# HTML -> text

# Page chrome: never part of what a page says. It is removed from the content area only (the
# rest of the page is never read as text), and each selector is used only when a substring of
# the content's HTML shows it can match: compiling a CSS selector costs more than parsing a
# small page.
_CHROME_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "object",
    "nav",
    "aside",
    "footer",
    "button",
    "select",
    "input",
    "textarea",
    "dialog",
)
_CHROME_TAG_RE = re.compile(r"<(" + "|".join((*_CHROME_TAGS, "header", "form")) + r")(?=[\s/>])")
_CHROME_ATTRS: tuple[tuple[str, str], ...] = (
    ("role=", "[role=navigation i], [role=banner i], [role=contentinfo i], [role=complementary i]"),
    ("role=", "[role=search i], [role=dialog i], [role=alertdialog i]"),
    ("hidden", "[hidden], [aria-hidden=true]"),
    ("masthead", "#masthead"),
    ("colophon", "#colophon"),
    ("site-header", ".site-header"),
    ("site-footer", ".site-footer"),
    ("skip", ".skip-links, .skip-to-content, .govuk-skip-link"),
    ("screen-reader", ".screen-reader-text"),
    ("skip-link", ".skip-link"),
    ("breadcrumb", ".breadcrumb, .breadcrumbs, [class*=breadcrumb i], [id*=breadcrumb i]"),
    ("shar", ".sharedaddy, .share, .sharing, .share-links"),
    ("social", ".social, .social-links"),
    ("meta", ".entry-meta, .post-meta"),
    ("byline", ".byline"),
    ("posted-on", ".posted-on"),
    ("-links", ".cat-links, .tags-links"),
    ("edit-link", ".edit-link"),
    ("post-navigation", ".post-navigation"),
    ("comments", ".comments-area, #comments"),
    ("respond", "#respond"),
    ("widget", ".widget"),
    ("sidebar", ".sidebar, #sidebar"),
    ("secondary", "#secondary"),
    ("cookie", "[id*=cookie i], [class*=cookie i]"),
    ("consent", "[id*=consent i], [class*=consent i]"),
    ("gdpr", "[id*=gdpr i], [class*=gdpr i]"),
)

# Names an old theme gives its chrome. They are generic enough to name a heading or box of
# the post itself, so they go only outside an <article> or <main>, as a bare <header> does.
_THEME_CHROME_ATTRS: tuple[tuple[str, str], ...] = (
    ("header", "#header, .header, #site-header, #top-header, .top-header"),
    ("footer", "#footer, .footer, #site-footer, #page-footer, .page-footer"),
    ("nav", "#nav, .nav, .navbar, #navbar, #navigation, .navigation:not(.pagination)"),
    ("nav", ".main-navigation, .main-nav, #main-nav, .nav-menu, .navigation-menu"),
    ("menu", "#menu, .menu, #main-menu, .main-menu, .menu-bar, .mega-menu"),
    ("top", "#top-bar, .top-bar, #topbar, .topbar, .toolbar, #toolbar"),
)

# Marks put into the text where the markup breaks it; none is whitespace to str.split().
_BLOCK = "\x02"
_LINE = "\x03"
_LI = "\x04"
_SUB_LI = "\x05"
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
# Lexbor's serialization escapes ">" inside attribute values, so [^>]* ends a tag safely.
_BLOCK_TAG_RE = re.compile(
    r"</?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|table|thead|tbody|tfoot|tr|caption|section|article"
    r"|header|footer|main|aside|nav|blockquote|pre|figure|figcaption|address|details|summary"
    r"|fieldset|legend|hgroup|hr|center|menu|dir|html|body|form)(?=[\s/>])[^>]*>"
)
_LABEL_VALUE_RE = re.compile(r"</(?:dt|th)>\s*<(?:dd|td)(?=[\s>])[^>]*>")
_PRE_RE = re.compile(r"<pre(?=[\s>])[^>]*>.*?</pre>", re.S)
_LI_OPEN_RE = re.compile(r"<li(?=[\s/>])[^>]*>")
_BR_TAG_RE = re.compile(r"<(?:br|/?td|/?th|/?option)(?=[\s/>])[^>]*>")
_ANY_TAG_RE = re.compile(r"<[^>]*>")
_LIST_TAG_RE = re.compile(r"<(/?)(ul|ol|menu|dir|li)(?=[\s/>])[^>]*>")
# Our marks (never page text) and invisible characters, dropped before the text is read.
_ODD_CHARS = (
    "\x02",
    "\x03",
    "\x04",
    "\x05",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\x00",
)
_ODD_CHARS_RE = re.compile("[\x02-\x05\u200b\u200c\u200d\u2060\ufeff\x00]")
_DOUBLE_BR_RE = re.compile("\x03\x03+")
_BR_BEFORE_BLOCK_RE = re.compile("\x03+(?=\x02)")
_BR_AFTER_BLOCK_RE = re.compile("\x02[\x02\x03]+")
_MARK_GAP_RE = re.compile("([\x04\x05])\\s+")
_MARK_BEFORE_BULLET_RE = re.compile("[\x04\x05](?=[•◦●○▪‣])")
_ESCAPED_ENTITY_RE = re.compile(r"&(?:#\d{2,7}|#x[0-9a-fA-F]{2,6}|[a-zA-Z]{2,8});")


def _nested_list_marks(markup: str) -> str:
    """Mark list items by depth: "◦" for items of a list inside a list item."""
    depth = 0

    def mark(m: re.Match[str]) -> str:
        nonlocal depth
        if m.group(2).lower() == "li":
            return "" if m.group(1) else _BLOCK + (_SUB_LI if depth > 1 else _LI)
        depth += -1 if m.group(1) else 1
        return _BLOCK

    return _LIST_TAG_RE.sub(mark, markup)


def _html_to_marked_text(markup: str) -> str:
    """Visible text of lexbor-serialized HTML, whitespace collapsed, with break marks."""
    if "<!--" in markup:
        markup = _COMMENT_RE.sub("", markup)
    if any(ch in markup for ch in _ODD_CHARS):  # str.__contains__ is far faster than a regex
        markup = _ODD_CHARS_RE.sub("", markup)
    if "<pre" in markup:
        # Preformatted text shows its line breaks: keep them as <br> would.
        markup = _PRE_RE.sub(lambda m: m.group(0).replace("\n", _LINE), markup)
    # Lexbor serializes tag names in lower case, so the tag patterns need no re.I.
    if markup.count("<ul") + markup.count("<ol") > 1:
        markup = _nested_list_marks(markup)
    else:
        markup = _LI_OPEN_RE.sub(_BLOCK + _LI, markup)
    if "<dt" in markup or "<th" in markup:
        # A label beside its value ("Report" | "An inspection of ...") reads "Report: ...".
        markup = _LABEL_VALUE_RE.sub(": ", markup)
    markup = _BLOCK_TAG_RE.sub(_BLOCK, markup)
    markup = _BR_TAG_RE.sub(_LINE, markup)
    markup = _ANY_TAG_RE.sub("", markup)
    if "&" in markup:
        markup = htmllib.unescape(markup)
    # str.split() splits on \xa0 and \x1c-\x1f too, but not on the \x02-\x05 marks.
    return " ".join(markup.split())


def _marked_to_text(text: str) -> str:
    """Marked text -> blocks separated by blank lines, <br> as newlines, list items bulleted."""
    # Plain str.replace and regexes that start with a literal: this runs on every page.
    text = text.replace(" \x02", _BLOCK).replace("\x02 ", _BLOCK)
    if _LINE in text:
        text = text.replace(" \x03", _LINE).replace("\x03 ", _LINE)
        text = _DOUBLE_BR_RE.sub(_BLOCK, text)
        text = _BR_BEFORE_BLOCK_RE.sub("", text)
    text = _BR_AFTER_BLOCK_RE.sub(_BLOCK, text)
    text = text.replace(_BLOCK, "\n\n").replace(_LINE, "\n")
    if _LI in text or _SUB_LI in text:
        text = _MARK_GAP_RE.sub(r"\1", text)
        text = _MARK_BEFORE_BULLET_RE.sub("", text)
        text = text.replace(_LI, "• ").replace(_SUB_LI, "◦ ")
    return text.strip()


# ---------------------------------------------------------------------------------------------
# Status log

_ON_RE = re.compile(r"\[\s*(/?)\s*on\s*\]", re.I)
_LOG_TOKEN_RE = re.compile(r"\[\s*/?\s*(?:on|status|comment)\s*\]", re.I)
_OPEN_AT_RE = re.compile(r"[ \t\n]*\[\s*(status|comment)\s*\]", re.I)
_OPEN_ANY_RE = re.compile(r"\[\s*(?:status|comment)\s*\]", re.I)
_CLOSE_RE = {
    "status": re.compile(r"\[\s*/\s*status\s*\]", re.I),
    "comment": re.compile(r"\[\s*/\s*comment\s*\]", re.I),
}
_CLOSE_ANY_RE = re.compile(r"\[\s*/\s*(status|comment)\s*\]", re.I)
_CLOSE_AT_RE = re.compile(r"[ \t\n]*\[\s*/\s*(?:status|comment|on)\s*\]", re.I)
_RAW_DATE_RE = re.compile(r"[ \t\n]*([^\[\n]*)")
# Without tags, a one-word entry is a status only if it looks like the site's slugs.
_BARE_STATUSES = frozenset(("complete", "completed", "closed", "superseded", "open"))
_SLUG_RE = re.compile(r"[A-Za-z0-9_]+(?:[-_][A-Za-z0-9_]+)*")
_PARA_SPLIT_RE = re.compile(r"\n\s*\n")


def _paragraphs(body: str) -> str | None:
    paras = [p.strip() for p in _PARA_SPLIT_RE.split(body)]
    joined = "\n\n".join(p for p in paras if p)
    return joined or None


def _well_formed_entry(m: re.Match[str], seq: int) -> LogEntry | None:
    """The entry a _FAST_ENTRY_RE or _WELL_FORMED_RE match holds, or None when anything about it
    needs the lenient reader (and its warnings)."""
    body = m.group("body")
    raw_date = m.group("date")
    on_date, odd_month = _date_from_match(m, raw_date)
    if on_date is None or odd_month or "[" in body:
        return None
    if m.group("kind").lower() == "status":
        status = body.strip()
        if not status or "\n" in status:
            return None
        return LogEntry(seq, on_date, raw_date, "status", status, None)
    comment = _paragraphs(body)
    if comment is None:
        return None
    return LogEntry(seq, on_date, raw_date, "comment", None, comment)


class _LogReader:
    """Reads the log text (from the first log tag on) into entries, recording each tolerance."""

    def __init__(self, warnings: list[str]) -> None:
        self.entries: list[LogEntry] = []
        self.warnings = warnings

    def read(self, log_text: str) -> None:
        if self._read_all_well_formed(log_text):
            return
        pos = 0
        opened = False
        chunks: list[tuple[str, bool, bool]] = []
        for m in _ON_RE.finditer(log_text):
            closing = m.group(1) == "/"
            chunk = log_text[pos : m.start()]
            if chunk.strip():
                chunks.append((chunk, opened, closing))
            opened = not closing
            pos = m.end()
        tail = log_text[pos:]
        if tail.strip():
            chunks.append((tail, opened, False))
        last = len(chunks) - 1
        for i, (chunk, was_opened, was_closed) in enumerate(chunks):
            if (
                not was_opened
                and not _OPEN_ANY_RE.search(chunk)
                and not _CLOSE_ANY_RE.search(chunk)
            ):
                m = _DATE_AT_RE.match(chunk)
                if m is None or i == last and not chunk[m.end() :].strip():
                    # Text between or after entries that is not an entry: not part of the log.
                    self.warnings.append(
                        "log: text after log ignored"
                        if i == last
                        else "log: stray text between entries"
                    )
                    continue
            if was_opened and was_closed and self._read_well_formed(chunk):
                continue
            before = len(self.entries)
            self._read_chunk(chunk, was_opened)
            if not was_closed and len(self.entries) > before:
                self.warnings.append(f"log: missing [/on] in entry {len(self.entries) - 1}")

    def _read_all_well_formed(self, log_text: str) -> bool:
        """Fast path: the whole log is well-formed entries and whitespace, read in one sweep.
        False (and nothing read) sends the log to the lenient reader."""
        entries: list[LogEntry] = []
        pos = 0
        for m in _FAST_ENTRY_RE.finditer(log_text):
            if m.start() != pos and log_text[pos : m.start()].strip():
                return False
            entry = _well_formed_entry(m, len(entries))
            if entry is None:
                return False
            entries.append(entry)
            pos = m.end()
        if not entries or log_text[pos:].strip():
            return False
        self.entries = entries
        return True

    def _read_well_formed(self, chunk: str) -> bool:
        """Fast path for one well-formed entry; False leaves it to _read_chunk."""
        m = _WELL_FORMED_RE.match(chunk)
        entry = _well_formed_entry(m, len(self.entries)) if m is not None else None
        if entry is None:
            return False
        self.entries.append(entry)
        return True

    def _read_chunk(self, chunk: str, opened: bool) -> None:
        pos = 0
        first = True
        while True:
            while True:
                stray = _CLOSE_AT_RE.match(chunk, pos)
                if stray is None:
                    break
                self.warnings.append(f"log: stray closing tag near entry {len(self.entries)}")
                pos = stray.end()
            if not chunk[pos:].strip():
                return
            start = pos
            seq = len(self.entries)
            if not (opened and first):
                self.warnings.append(f"log: missing [on] in entry {seq}")
            first = False
            on_date: str | None = None
            m = _DATE_AT_RE.match(chunk, pos)
            if m is not None:
                raw_date = m.group(1).strip()
                on_date, odd_month = _date_from_match(m, raw_date)
                if on_date is None:
                    self.warnings.append(f"log: unreadable date in entry {seq}")
                elif odd_month:
                    self.warnings.append(f"log: misspelt month in entry {seq}")
                pos = m.end()
            else:
                r = _RAW_DATE_RE.match(chunk, pos)
                raw_date = r.group(1).strip() if r else ""
                if raw_date:
                    self.warnings.append(f"log: unreadable date in entry {seq}")
                    pos = r.end() if r else pos
                else:
                    self.warnings.append(f"log: missing date in entry {seq}")
            kind: str | None
            tag = _OPEN_AT_RE.match(chunk, pos)
            if tag is not None:
                kind = tag.group(1).lower()
                pos = tag.end()
                close = _CLOSE_RE[kind].search(chunk, pos)
                nxt = _OPEN_ANY_RE.search(chunk, pos)
                if close is not None and (nxt is None or close.start() < nxt.start()):
                    body, pos = chunk[pos : close.start()], close.end()
                else:
                    self.warnings.append(f"log: missing [/{kind}] in entry {seq}")
                    body, pos = self._body_to_next(chunk, pos, nxt)
            else:
                close = _CLOSE_ANY_RE.search(chunk, pos)
                nxt = _OPEN_ANY_RE.search(chunk, pos)
                if close is not None and (nxt is None or close.start() < nxt.start()):
                    kind = close.group(1).lower()
                    body, pos = chunk[pos : close.start()], close.end()
                    self.warnings.append(f"log: missing [{kind}] tag in entry {seq}")
                else:
                    body, pos = self._body_to_next(chunk, pos, nxt)
                    stripped = body.strip()
                    if not stripped:
                        kind = None
                    elif _SLUG_RE.fullmatch(stripped) and (
                        "-" in stripped or stripped.lower() in _BARE_STATUSES
                    ):
                        kind = "status"
                        self.warnings.append(f"log: missing [status] tag in entry {seq}")
                    else:
                        kind = "comment"
                        self.warnings.append(f"log: missing [comment] tag in entry {seq}")
            status = comment = None
            if kind == "status":
                lines = [ln.strip() for ln in body.strip().split("\n") if ln.strip()]
                status = lines[0] if lines else None
                if len(lines) > 1:
                    self.warnings.append(f"log: extra text in status entry {seq}")
                if status is None:
                    self.warnings.append(f"log: empty status in entry {seq}")
            else:
                comment = _paragraphs(body)
                if kind is None:
                    kind = "comment"
                    self.warnings.append(f"log: empty entry {seq}")
                elif comment is None:
                    self.warnings.append(f"log: empty comment in entry {seq}")
            self.entries.append(LogEntry(seq, on_date, raw_date, kind, status, comment))
            if pos <= start:  # cannot happen with the patterns above; guards against a loop
                return

    @staticmethod
    def _body_to_next(chunk: str, pos: int, nxt: re.Match[str] | None) -> tuple[str, int]:
        """Body up to the next opening tag (or the end), leaving a date just before that tag to
        the entry it starts: two entries run together without [/...][/on][on]."""
        if nxt is None:
            return chunk[pos:], len(chunk)
        end = nxt.start()
        body = chunk[pos:end]
        m = _TRAILING_DATE_RE.search(body)
        if m is not None:
            end = pos + m.start()
            body = body[: m.start()]
        return body, end


def _current_status(log: list[LogEntry]) -> tuple[str | None, str | None]:
    """(status, ISO date) of the latest status entry by date; ties go to the later entry."""
    best: LogEntry | None = None
    undated: LogEntry | None = None
    for e in log:
        if e.kind != "status" or e.status is None:
            continue
        if e.on_date is None:
            undated = e
        elif best is None or best.on_date is None or e.on_date >= best.on_date:
            best = e
    chosen = best or undated
    return (chosen.status, chosen.on_date) if chosen else (None, None)


# ---------------------------------------------------------------------------------------------
# Page structure

_BANNER_RE = re.compile(
    r"^(?:error\s*)?404(?:\s*[-:–—|.]?\s*(?:error|page|not\s+found|file)\b.{0,50})?$"
    r"|^(?:oops!?\s*)?(?:(?:that|this)\s+)?page\s+(?:was\s+)?(?:not\s+found|can(?:'|’|no)?t\s+be\s+found"
    r"|could\s+not\s+be\s+found|does\s*n[o']?t\s+exist)\W{0,3}$"
    r"|^(?:error\s*:?\s*)?not\s+found\W{0,3}$",
    re.I,
)
_NOT_FOUND_PROSE_RE = re.compile(
    r"^(?:sorry|oops|it\s+(?:looks|seems)|we\s+(?:could|can)|the\s+page|this\s+page|nothing"
    r"|unfortunately|apologies)\b.{0,240}?(?:not\s+(?:be\s+)?found|n[o']t\s+be\s+found"
    r"|(?:can(?:'|’|no)?t|could\s*n[o'’]?t|unable\s+to)\s+find"
    r"|does\s*n[o']?t\s+exist|no\s+longer\s+(?:exists|available)|nothing\s+(?:was\s+)?found"
    r"|(?:page|content|link)\b.{0,60}?(?:been\s+)?(?:moved|removed|deleted))\b.{0,200}$"
    r"|^(?:this|the)\s+(?:page|post|content|recommendation)\s+(?:has\s+been|was|is\s+now)\s+"
    r"(?:moved|removed|deleted|withdrawn|archived)\b.{0,200}$"
    r"|^nothing\s+(?:was\s+)?found\W{0,3}$"
    r"|^(?:(?:error\s*)?410\s*[-:–—|]?\s*)?(?:gone|page\s+removed|content\s+removed)\W{0,3}$"
    r"|^(?:maybe\s+|perhaps\s+|please\s+)?try\s+(?:a\s+)?search(?:ing)?\b.{0,80}$"
    r"|^search(?:\s+for)?\s*:?$",
    re.I | re.S,
)
# A banner run into the text that follows it (no element of its own).
_BANNER_PREFIX_RE = re.compile(
    r"^(?:error\s*)?404\s*[-:–—|]?\s*(?:page\s+)?not\s+found[.!]?\s+(?=\S)", re.I
)
_META_LINE_RE = re.compile(
    r"^(?:published|posted|first\s+published|last\s+(?:updated|modified|reviewed)|updated|date)"
    r"(?:\s+on)?\s*:?\s.{0,60}$"
    r"|^(?:(?:police\s+)?forces?|(?:fire\s+(?:and|&)\s+rescue\s+)?services?|organisations?"
    r"|addressees?|recipients?|themes?|categor(?:y|ies)|tags?|filed\s+under|ref(?:erence)?"
    r"|(?:recommendation\s+)?(?:id|number|no\.?|type))\s*:\s*.{1,200}$",
    re.I,
)
# A status summary beside the log ("Status: Complete") repeats the log's latest entry.
_STATUS_LINE_RE = re.compile(
    r"^(?:(?:current|overall|latest|recommendation)\s+)?status\s*:\s*\S.{0,60}$", re.I
)
_REPORT_LINE_RE = re.compile(
    r"^(?:(?:from\s+(?:the\s+)?|source\s+)?(?:report|inspection|publication)(?:\s+title)?"
    r"|published\s+in|source)\s*:\s*(.{3,400})$",
    re.I,
)
_LABEL_RE = re.compile(
    r"^(?:(?P<coc>causes?\s+(?:of|for)\s+concern)"
    r"|(?P<afi>areas?\s+for\s+improvement|afi)"
    r"|(?P<rec>recommendations?))"
    r"(?:\s+(?:no\.?\s*)?(?P<num>\d{1,5}))?\s*[:.\-–—]?$",
    re.I,
)
_INLINE_LABEL_RE = re.compile(
    r"^(?P<label>(?:(?P<afi>areas?\s+for\s+improvement|afi)|(?P<rec>recommendation))"
    r"(?:\s+(?:no\.?\s*)?(?P<num>\d{1,3}))?)\s*[:\-–—]\s+(?P<rest>\S.*)$",
    re.I | re.S,
)
_INLINE_COC_RE = re.compile(
    r"^causes?\s+of\s+concern(?:\s+\d{1,3})?\s*[:\-–—]\s+(?P<rest>\S.*)$", re.I | re.S
)
_UPDATE_HEADING_RE = re.compile(
    r"^(?:(?:hmicfrs|hmic|force|latest|current)\s+)?(?:progress(?:\s+update)?|update|position"
    r"|assessment|progress\s+report)(?:\s+\w+){0,3}\s*:?$",
    re.I,
)
# A heading over the log ("Status log", "Progress updates") belongs to the log, not the text.
_LOG_HEADING_RE = re.compile(
    r"^(?:(?:recommendation|current)\s+)?(?:status|progress)(?:\s+(?:log|history|updates?))?\s*:?$"
    r"|^(?:log|history|updates?|timeline|activity(?:\s+log)?)\s*:?$",
    re.I,
)
_CLOSING_RE = re.compile(
    r"^(?:(?:this|the)\s+(?:recommendation|cause\s+of\s+concern|area\s+for\s+improvement|afi)"
    r"\s+(?:is|has|had|was|remains|will|needs|requires|now|can|should|does)\b.{0,200}"
    r"|(?:current\s+|overall\s+)?status\s*[:\-–]\s*.{1,120})$",
    re.I | re.S,
)
_CLOSING_MAP = (
    (re.compile(r"no\s+further\s+action", re.I), "no-further-action-needed"),
    (re.compile(r"awaiting\s+review|awaiting", re.I), "awaiting-review"),
    (
        re.compile(
            r"\bnot\s+(?:yet\s+)?(?:been\s+)?(?:complete|completed|met|closed|achieved)|incomplete"
            r"|being\s+progressed|in\s+progress|progressing|ongoing|partially|outstanding|open\b",
            re.I,
        ),
        "being-progressed",
    ),
    (
        re.compile(
            r"\b(?:complete|completed|met|closed|discharged|achieved|fulfilled|resolved)\b", re.I
        ),
        "complete",
    ),
)
_TITLE_ID_RE = re.compile(r"^(?P<title>\S.{0,400}?)\s*\(\s*(?P<id>\d{1,9})\s*\)\W{0,2}$", re.S)
_BULLETS = "•◦●○▪‣"
_BULLET_CHAR_RE = re.compile("[•◦●○▪‣]")
_BULLET_SPLIT_RE = re.compile("([•◦●○▪‣])")
_LISTING_URL_RE = re.compile(
    r"[?&](?:recommendation[-_]theme|paged|s|cat|tag|taxonomy|post_type)="
    r"|/page/\d+/?$|/page/\d+/?\?|/recommendation[-_]theme/|/recommendations?/?(?:\?|$)|/category/|/tag/",
    re.I,
)
_POSTID_CLASS_RE = re.compile(r"\bpostid-(\d+)\b")
# Under a 404 banner, text alone passes for a recommendation only if it reads like one.
_RECOMMENDING_RE = re.compile(r"\b(?:should|must|recommend\w*|needs?\s+to|ought)\b", re.I)
_GENERIC_LINK_RE = re.compile(
    r"^(?:read\s+more|more|view|details|see\s+more|continue\s+reading"
    r"|(?:view|see|read|open)(?:\s+(?:the|this|full))*\s+(?:recommendation|details|more|entry|post)"
    r"|(?:full\s+)?recommendation|permalink|link)\W*$",
    re.I,
)
_MIN_WORDS_UNDER_BANNER = 12


def _norm(text: str) -> str:
    return " ".join(text.split())


def _node_text(node: LexborNode) -> str:
    """Whitespace-normalised text of a small element (a heading, a link)."""
    return " ".join(node.text(deep=True, separator="", strip=False).split())


def _is_not_found_line(line: str) -> bool:
    return len(line) <= 400 and bool(_BANNER_RE.match(line) or _NOT_FOUND_PROSE_RE.match(line))


def _has_ancestor(node: LexborNode, tags: frozenset[str]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


_CONTENT_ANCESTORS = frozenset(("article", "main"))


def _strip_chrome(content: LexborNode, markup: str) -> bool:
    """Detach chrome (site header, nav, footer, scripts, forms, cookie banners, share links ...)
    inside the content area; True when anything went. `markup` is the content's HTML."""
    # Lexbor serializes tag names in lower case and escapes "<" in text, so a scan of the
    # markup says which tags occur; most content areas hold none of them.
    present = set(_CHROME_TAG_RE.findall(markup))
    tags = [name for name in _CHROME_TAGS if name in present]
    named = " ".join(_NAMED_ATTR_RE.findall(markup)).lower()
    attrs = [sel for trigger, sel in _CHROME_ATTRS if trigger in named]
    removed = False
    if tags or attrs:
        for node in content.css(", ".join(tags + attrs)):
            if node is not content:
                # remove() detaches without freeing, so nested matches stay safe to touch
                node.remove()
                removed = True
    if "header" in present:
        for node in content.css("header"):
            classes = node.attributes.get("class") or ""
            if "entry-header" in classes or "page-header" in classes:
                continue
            if node is not content and not _has_ancestor(node, _CONTENT_ANCESTORS):
                node.remove()
                removed = True
    themed = [sel for trigger, sel in _THEME_CHROME_ATTRS if trigger in named]
    if themed and content.tag not in _CONTENT_ANCESTORS:
        for node in content.css(", ".join(themed)):
            if node is not content and not _has_ancestor(node, _CONTENT_ANCESTORS):
                node.remove()
                removed = True
    if "form" in present:
        for node in content.css("form"):
            # Some themes wrap the whole page in one form; only drop forms that hold no content.
            if node is not content and node.css_first("article, main, .entry-content") is None:
                node.remove()
                removed = True
    return removed


# Lexbor serializes attributes as name="value"; "hidden" may stand alone.
_NAMED_ATTR_RE = re.compile(r' ((?:class|id|role|aria-hidden)="[^"]*"|hidden(?=[ =>]))')


_SITE_CHROME_RE = re.compile(
    r"site-title|site-header|site-branding|masthead|logo|widget|cookie|consent|sidebar|banner"
    r"|footer|menu|breadcrumb|navigation",
    re.I,
)


def _in_site_chrome(node: LexborNode) -> bool:
    """True when the node or an ancestor is site chrome by tag or by name (class, id, role)."""
    current: LexborNode | None = node
    while current is not None and current.tag not in ("body", "html"):
        if current.tag in _CHROME_TAGS:
            return True
        attrs = current.attributes
        if current.tag == "header" and not re.search(
            r"entry-header|page-header", str(attrs.get("class") or "")
        ):
            return True
        named = " ".join(str(attrs.get(k) or "") for k in ("class", "id", "role"))
        if named and _SITE_CHROME_RE.search(named):
            return True
        current = current.parent
    return False


def _content_node(tree: LexborHTMLParser) -> LexborNode | None:
    """The main content area: one article, else main (or a main-content id), else the one post
    container or .entry-content, else the body."""
    articles = tree.tags("article")
    if len(articles) == 1:
        return articles[0]
    mains = tree.tags("main")
    if mains:
        return mains[0]
    node = tree.css_first("[role=main], #main, #primary, #content, .site-content")
    if node is not None:
        return node
    # WordPress's post_class() marks the post's own container, with its title and meta.
    for selector in (".hentry", ".type-recommendation", ".recommendation", ".entry-content"):
        found = tree.css(selector)
        if len(found) == 1:
            return found[0]
    return tree.body


def _split_bullets(line: str) -> list[str]:
    """One line per bullet: "a • b ◦ c" -> ["a", "• b", "◦ c"]."""
    parts = _BULLET_SPLIT_RE.split(line)
    if len(parts) == 1:
        return [line]
    out = [parts[0].strip()] if parts[0].strip() else []
    for i in range(1, len(parts), 2):
        item = parts[i + 1].strip() if i + 1 < len(parts) else ""
        if item:
            out.append(f"{parts[i]} {item}")
    return out


def _is_bullet(line: str) -> bool:
    return bool(line) and line[0] in _BULLETS


def _has_bullet(block: str) -> bool:
    """True when a block is, or holds, bullet items (including bullets run into one line)."""
    return _BULLET_CHAR_RE.search(block) is not None


def _join_blocks(blocks: list[str]) -> str | None:
    """Blocks -> text: bullets one per line, paragraphs separated by a blank line."""
    out: list[str] = []
    prev_bullet = False
    for block in blocks:
        for i, line in enumerate(
            ln for raw in block.split("\n") for ln in _split_bullets(raw.strip())
        ):
            bullet = _is_bullet(line)
            if out:
                out.append("\n" if (i > 0 or (bullet and prev_bullet)) else "\n\n")
            out.append(line)
            prev_bullet = bullet
    return "".join(out) or None


def _is_status_line(block: str) -> bool:
    return "\n" not in block and _STATUS_LINE_RE.match(block) is not None


def _map_closing(line: str) -> str | None:
    for pattern, slug in _CLOSING_MAP:
        if pattern.search(line):
            return slug
    return None


@dataclass
class _Structure:
    rec_type: str | None = None
    rec_label: str | None = None
    cause: str | None = None
    text: str | None = None
    progress: str | None = None
    closing: str | None = None
    has_labels: bool = False


def _split_label_lines(blocks: list[str]) -> list[str]:
    """Give label lines ("Recommendation 5") a block of their own when <br> joined them to text."""
    out: list[str] = []
    for block in blocks:
        if "\n" not in block:
            out.append(block)
            continue
        current: list[str] = []
        for line in block.split("\n"):
            if _LABEL_RE.match(line.strip()):
                if current:
                    out.append("\n".join(current))
                out.append(line.strip())
                current = []
            else:
                current.append(line)
        if current:
            out.append("\n".join(current))
    return out


def _read_structure(blocks: list[str], has_log: bool, warnings: list[str]) -> _Structure:
    """Split the blocks before the log into cause of concern, text, progress update, closing."""
    s = _Structure()
    blocks = _split_label_lines(blocks)
    labels = [(i, m) for i, b in enumerate(blocks) if (m := _LABEL_RE.match(b)) is not None]
    coc_at = next((i for i, m in labels if m.group("coc")), None)
    # A "Recommendation ..." heading above the cause of concern is the page's own title.
    rec = next(
        ((i, m) for i, m in labels if not m.group("coc") and (coc_at is None or i > coc_at)), None
    )
    rec_at = rec[0] if rec is not None else None
    rec_numbered = False
    if rec is not None:
        rec_numbered = rec[1].group("num") is not None
        s.rec_label = _norm(blocks[rec[0]]).rstrip(":.-–— ")
        s.rec_type = "area_for_improvement" if rec[1].group("afi") else "recommendation"
    s.has_labels = coc_at is not None or rec_at is not None

    closing_at = None
    if not has_log:
        for i in range(len(blocks) - 1, max(-1, len(blocks) - 3), -1):
            after_headings = (rec_at is None or i > rec_at) and (coc_at is None or i > coc_at + 1)
            if after_headings and len(blocks[i]) <= 300 and _CLOSING_RE.match(blocks[i]):
                # Without a cause-of-concern heading only a line that names a status counts.
                if coc_at is not None or _map_closing(blocks[i]) is not None:
                    closing_at = i
                break
    if closing_at is not None:
        s.closing = _norm(blocks[closing_at])
        del blocks[closing_at]

    if coc_at is not None and rec_at is not None:
        # Layout 3: "Causes of concern" preamble, then "Recommendation N" and its text.
        s.cause = _join_blocks(blocks[coc_at + 1 : rec_at])
        body = blocks[rec_at + 1 :]
        # A "Causes of concern" preamble or a numbered heading makes this one recommendation
        # among several; a single "Cause of concern" with a bare heading is the concern itself.
        preamble = blocks[coc_at].lower().startswith("causes")
        if not rec_numbered and not preamble and s.rec_type == "recommendation":
            s.rec_type = "cause_of_concern"
        if any(not _LABEL_RE.match(b) for b in blocks[:coc_at]):
            warnings.append("text: dropped text before cause of concern")
    elif coc_at is not None:
        # Layout 2: "Cause of concern", the concern, the recommendation bullets, an update.
        s.rec_type = "cause_of_concern"
        rest = blocks[coc_at + 1 :]
        first_bullet = next((i for i, b in enumerate(rest) if _has_bullet(b)), None)
        if first_bullet is None:
            cause_end = 1
        else:
            cause_end = first_bullet
            if cause_end > 1 and rest[cause_end - 1].rstrip().endswith(":"):
                cause_end -= 1  # the lead-in to the bullets belongs to the recommendation
        s.cause = _join_blocks(rest[:cause_end])
        body = rest[cause_end:]
        if any(not _LABEL_RE.match(b) for b in blocks[:coc_at]):
            warnings.append("text: dropped text before cause of concern")
    elif rec_at is not None:
        body = blocks[rec_at + 1 :]
        if rec_at > 0:
            warnings.append("text: dropped text before heading")
    else:
        body = blocks
        coc = _INLINE_COC_RE.match(body[0]) if body else None
        if coc is not None:
            s.rec_type = "cause_of_concern"
            s.has_labels = True
            s.cause = _join_blocks([coc.group("rest")])
            body = body[1:]
    # "Recommendation 4: The force should ..." under (or instead of) a heading: the label is
    # not part of the text, and a numbered label says more than a bare heading.
    m = _INLINE_LABEL_RE.match(body[0]) if body else None
    if m is not None and (s.rec_label is None or m.group("num") is not None):
        s.rec_type = "area_for_improvement" if m.group("afi") else "recommendation"
        s.rec_label = _norm(m.group("label"))
        s.has_labels = True
        body = [m.group("rest"), *body[1:]]

    if coc_at is not None and rec_at is None:
        # The recommendation runs to the last bullet (or is one paragraph); the rest is an update.
        update_at = next((i for i, b in enumerate(body) if _UPDATE_HEADING_RE.match(b)), None)
        if update_at is not None:
            text_blocks, update = body[:update_at], body[update_at + 1 :]
        else:
            bullets = [i for i, b in enumerate(body) if _has_bullet(b)]
            end = bullets[-1] + 1 if bullets else min(1, len(body))
            text_blocks, update = body[:end], body[end:]
        s.text = _join_blocks(text_blocks)
        s.progress = _join_blocks(update)
    else:
        s.text = _join_blocks(body)
    return s


def _title_from_headings(
    headings: list[LexborNode], rec_id: int | None, outside: bool
) -> tuple[str | None, str | None]:
    candidates: list[tuple[str, str]] = []
    for node in headings:
        shown = _node_text(node)
        if not shown or _is_not_found_line(shown) or _LABEL_RE.match(shown):
            continue
        if outside and _in_site_chrome(node):
            continue
        m = _TITLE_ID_RE.match(shown)
        if m is not None and (rec_id is None or int(m.group("id")) == rec_id):
            return m.group("title").strip(), shown
        if node.tag == "h1" or "entry-title" in (node.attributes.get("class") or ""):
            candidates.append((shown, shown))
    return candidates[0] if candidates else (None, None)


def _title_from_tree(
    content: LexborNode | None, tree: LexborHTMLParser, rec_id: int | None
) -> tuple[str | None, str | None]:
    """(report title, the heading's full text as shown): a "<title> (<id>)" heading or the
    page's h1, looked for in the content area first, then in the rest of the page."""
    if content is not None:
        headings = content.css("h1, h2, .entry-title")
        found = _title_from_headings(headings, rec_id, outside=False)
        # An h1 inside the content is the page's own heading: nothing outside can do better.
        if found[0] is not None or content is tree.body or any(h.tag == "h1" for h in headings):
            return found
    return _title_from_headings(tree.css("h1, .entry-title"), rec_id, outside=True)


_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6", "dt"))


def _listing_entries(
    content: LexborHTMLParser | LexborNode, base: str, listing_url: bool = False
) -> tuple[list[ListingEntry], list[LexborNode | None]]:
    """Entries shown as "<Report title> (<id>)" with their links, then bare recommendation links;
    beside them, each entry's title node (None for a bare link). The title is looked for in
    headings and links, else in bold text, else in elements named as titles, else (on a
    listing URL only) in paragraphs of their own."""
    entries: list[ListingEntry] = []
    nodes: list[LexborNode | None] = []
    seen_urls: set[str] = set()
    seen: set[tuple[int | None, str | None]] = set()

    def resolve(href: str | None) -> str | None:
        if not href or not href.strip():
            return None
        try:
            link = canonical_url(urljoin(base, href.strip()))
        except ValueError:
            return None
        return link if link.startswith(("http://", "https://")) else None

    def titled(node: LexborNode) -> None:
        shown = _node_text(node)
        m = _TITLE_ID_RE.match(shown) if shown and len(shown) < 420 else None
        if m is None:
            return
        if node.tag == "a":
            link = resolve(node.attributes.get("href"))
        else:
            inner = node.css_first("a[href]")
            link = resolve(inner.attributes.get("href")) if inner is not None else None
            parent = node.parent
            if link is None and parent is not None and parent.tag == "a":
                link = resolve(parent.attributes.get("href"))
        if link is not None and recommendation_key(link) is None:
            # The title links the report, not the recommendation: a link to the
            # recommendation further on (or its id) stands for it.
            link = None
        rec_id = int(m.group("id"))
        if (rec_id, link) in seen:
            return
        seen.add((rec_id, link))
        if link:
            seen_urls.add(link)
        entries.append(ListingEntry(url=link, rec_id=rec_id, report_title=m.group("title").strip()))
        nodes.append(node)

    for node in content.css("h1, h2, h3, h4, h5, h6, dt, a[href]"):
        if node.tag != "a" or not _has_ancestor(node, _HEADING_TAGS):
            titled(node)
    if not entries:
        # Bold "<title> (<id>)" lines only when no heading or link says it: bold text in a
        # recommendation may end in a bracketed year.
        for node in content.css("strong, b"):
            if not _has_ancestor(node, _HEADING_TAGS | {"a"}):
                titled(node)
    if not entries:
        for node in content.css("[class*=title i]"):
            titled(node)
    if not entries and listing_url:
        # A plain paragraph is a title only on a page that says it is a listing, only where
        # two or more read "<title> (<id>)", and never a sentence that recommends ("... by
        # March (2019).").
        for node in content.css("p"):
            shown = _node_text(node)
            if shown.endswith(")") and _RECOMMENDING_RE.search(shown) is None:
                titled(node)
        if len(entries) < 2:
            entries.clear()
            nodes.clear()
            seen.clear()
            seen_urls.clear()
    # Recommendation links without a "(id)" title: the id comes from the URL.
    for node in content.css("a[href]"):
        link = resolve(node.attributes.get("href"))
        if link is None or link in seen_urls:
            continue
        key_ = recommendation_key(link)
        if key_ is None:
            continue
        seen_urls.add(link)
        unlinked = next(
            (i for i, e in enumerate(entries) if e.url is None and e.rec_id == key_[1]), None
        )
        if unlinked is not None:
            e = entries[unlinked]
            entries[unlinked] = ListingEntry(url=link, rec_id=e.rec_id, report_title=e.report_title)
            continue
        shown = _node_text(node)
        title = (
            shown if shown and not _GENERIC_LINK_RE.match(shown) and not shown.isdigit() else None
        )
        entries.append(ListingEntry(url=link, rec_id=key_[1], report_title=title))
        nodes.append(None)
    return entries, nodes


def _entry_markups(content: LexborNode, nodes: list[LexborNode | None]) -> list[str]:
    """The markup each titled entry shows under its title: the largest element around the
    title that holds no other entry's title (an <article> per entry), less the title; or, where
    entries are not wrapped (headings and paragraphs side by side), the siblings up to the next
    title. "" for a bare link."""
    titles = [n for n in nodes if n is not None]
    title_ids = {n.mem_id for n in titles}
    # How many titles each element holds: an entry's own container holds exactly one.
    holds: dict[int, int] = {}
    for title in titles:
        parent = title.parent
        while parent is not None and parent.mem_id != content.mem_id:
            holds[parent.mem_id] = holds.get(parent.mem_id, 0) + 1
            parent = parent.parent
    markups = []
    for title in nodes:
        if title is None:
            markups.append("")
            continue
        top = title
        while (
            top.parent is not None
            and top.parent.mem_id != content.mem_id
            and holds.get(top.parent.mem_id, 0) == 1
        ):
            top = top.parent
        own = (top.html or "").replace(title.html or "", "", 1) if top is not title else ""
        if not _ANY_TAG_RE.sub("", own).strip():
            parts = []
            sibling = top.next
            while (
                sibling is not None
                and sibling.mem_id not in title_ids
                and not holds.get(sibling.mem_id, 0)
            ):
                if sibling.tag == "-text":
                    parts.append(htmllib.escape(sibling.text() or "", quote=False))
                else:
                    parts.append(sibling.html or "")
                sibling = sibling.next
            own = "".join(parts)
        markups.append(own)
    return markups


# A listing's pagination ("« Older entries", "1 2 3 Next »") is no entry's text.
_PAGINATION_RE = re.compile(
    r"^(?:[\d\s.…«»‹›←→<>|]|next|previous|prev|older|newer|first|last|page|pages|of|entries"
    r"|posts|results|recommendations)+$",
    re.I,
)


def _read_entry(entry: ListingEntry, markup: str) -> ListingEntry:
    """A listing entry with the text and log its markup shows, read as a page's content is."""
    # The entry's own links ("View recommendation") and the listing's pagination are not
    # what the entry says, wherever they stand, the log's end included.
    shown = [
        b
        for b in _marked_to_text(_html_to_marked_text(markup)).split("\n\n")
        if b.strip() and not _GENERIC_LINK_RE.match(b) and not _PAGINATION_RE.match(b)
    ]
    if not shown:
        return entry
    pre, log_text = _split_log("\n\n".join(shown))
    warnings: list[str] = []
    reader = _LogReader(warnings)
    if log_text:
        reader.read(log_text)
    log = reader.entries
    blocks = [b for b in (b.strip() for b in pre.split("\n\n")) if b and not _META_LINE_RE.match(b)]
    if log:
        blocks = [b for b in blocks if not _is_status_line(b)]
    structure = _read_structure(blocks, bool(log), warnings)
    if log:
        status, status_date = _current_status(log)
    elif structure.closing is not None:
        status, status_date = _map_closing(structure.closing), None
    else:
        status = status_date = None
    return replace(
        entry,
        text=structure.text,
        cause_of_concern=structure.cause,
        log=tuple(log),
        current_status=status,
        status_date=status_date,
        warnings=tuple(warnings),
    )


def _split_log(full: str) -> tuple[str, str]:
    """(the text before the log, the log): the log runs from its first tag to the end, with
    the date before that tag when [on] is missing."""
    first_tag = _LOG_TOKEN_RE.search(full)
    if first_tag is None:
        return full, ""
    log_start = first_tag.start()
    if not _ON_RE.match(first_tag.group(0)):
        tail = _TRAILING_DATE_RE.search(full, max(0, log_start - 60), log_start)
        if tail is not None:
            log_start = tail.start()
    return full[:log_start], full[log_start:]


# Only labels that differ from the default type are worth a look: an element holding just
# "Area for improvement" or "Cause of concern" (an entry-meta badge, say).
_TYPE_LABEL_MARKUP_RE = re.compile(
    r">\s*(?:(?P<afi>areas?\s+for\s+improvement)|causes?\s+of\s+concern)(?:\s+\d{1,3})?\s*<",
    re.I,
)


def _type_from_markup(markup: str) -> str | None:
    """rec_type from a label beside the text, for pages whose text carries no heading."""
    m = _TYPE_LABEL_MARKUP_RE.search(markup)
    if m is None:
        return None
    return "area_for_improvement" if m.group("afi") else "cause_of_concern"


def _page_ids(
    tree: LexborHTMLParser, url: str, warnings: list[str]
) -> tuple[int | None, str | None]:
    """(rec_id, force) from the URL, else from the page's canonical link, shortlink or classes."""
    key = recommendation_key(url)
    if key is not None:
        return key[1], key[0]
    rec_id = id_from_query(url)
    force = None
    canonical = tree.css_first("link[rel~=canonical i][href]")
    if canonical is not None:
        ckey = recommendation_key(canonical.attributes.get("href") or "")
        if ckey is not None:
            force = ckey[0]
            if rec_id is None:
                rec_id = ckey[1]
            elif rec_id != ckey[1]:
                warnings.append("id: url and canonical link disagree")
    if rec_id is None:
        shortlink = tree.css_first("link[rel~=shortlink i][href]")
        if shortlink is not None:
            rec_id = id_from_query(shortlink.attributes.get("href") or "")
    if rec_id is None and tree.body is not None:
        m = _POSTID_CLASS_RE.search(tree.body.attributes.get("class") or "")
        if m is not None:
            rec_id = int(m.group(1))
    return rec_id, force


def _rec_hint(tree: LexborHTMLParser, url: str) -> bool:
    """Whether the URL or the page's own metadata says this is one recommendation."""
    if recommendation_key(url) is not None or id_from_query(url) is not None:
        return True
    body_class = (tree.body.attributes.get("class") or "") if tree.body is not None else ""
    if "single-recommendation" in body_class:
        return True
    canonical = tree.css_first("link[rel~=canonical i][href]")
    return (
        canonical is not None
        and recommendation_key(canonical.attributes.get("href") or "") is not None
    )


def _as_text(data: object) -> str:
    if data is None:
        return ""
    if isinstance(data, bytes | bytearray):
        return bytes(data).decode("utf-8", errors="replace")
    return str(data)


def _page_without_record(
    url: str, kind: str, warnings: tuple[str, ...], **known: Any
) -> ParsedPage:
    """A listing, not-found or unexpected page: no recommendation fields, none invented."""
    empty: dict[str, Any] = dict.fromkeys(
        ("rec_id", "force", "report_title", "rec_type", "cause_of_concern", "text",
         "current_status", "status_date"),
    )  # fmt: skip
    fields_ = {**empty, "log": (), "has_404_banner": False, **known}
    return ParsedPage(url=url, page_kind=kind, warnings=warnings, **fields_)


def parse_page(html: str, url: str) -> ParsedPage:
    """Read one page. Never raises: a page it cannot read comes back "unexpected" with a warning."""
    try:
        return _parse(_as_text(html), _as_text(url))
    except Exception as exc:  # the contract is a record for every input, so nothing escapes
        return _page_without_record(
            _as_text(url), "unexpected", (f"parser: internal error ({type(exc).__name__})",)
        )


def _parse(html: str, url: str) -> ParsedPage:
    warnings: list[str] = []
    tree = LexborHTMLParser(html)
    rec_hint = _rec_hint(tree, url)
    content = _content_node(tree)
    markup = content.html or "" if content is not None else ""
    # A type label in the entry's meta line is chrome to the text: keep the markup it is in.
    unstripped = markup
    if content is not None and _strip_chrome(content, markup):
        markup = content.html or ""
    marked = _html_to_marked_text(markup)
    if not marked and tree.body is not None and content is not tree.body:
        # An empty <main> or <article> in an odd theme: fall back to the whole body.
        content = tree.body
        markup = content.html or ""
        if _strip_chrome(content, markup):
            markup = content.html or ""
        marked = _html_to_marked_text(markup)
        warnings.append("content: empty main area, used body")
    if "&" in marked and _ESCAPED_ENTITY_RE.search(marked):
        # WordPress sometimes escapes twice; "&#8211;" on screen means "–".
        marked = " ".join(htmllib.unescape(marked).split())
        warnings.append("text: double-escaped entities")
    full = _marked_to_text(marked)
    # full has single spaces and no space beside a newline, so this equals _norm(full), cheaper.
    content_text = full.replace("\n\n", " ").replace("\n", " ")
    if "  " in content_text:
        content_text = _norm(content_text)

    pre, log_text = _split_log(full)

    # Log warnings are kept aside until the page turns out not to be a listing.
    log_warnings: list[str] = []
    log_reader = _LogReader(log_warnings)
    if log_text:
        log_reader.read(log_text)
    log = log_reader.entries

    # The blocks before the log, less the 404 banner and not-found boilerplate.
    has_404_banner = False
    not_found_text = False
    blocks: list[str] = []
    for block in pre.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        first_line = block.split("\n", 1)[0]
        if _BANNER_RE.match(first_line) and len(first_line) <= 80:
            has_404_banner = True
            not_found_text = True
            block = block[len(first_line) :].strip()
            if not block:
                continue
        elif not blocks and (prefix := _BANNER_PREFIX_RE.match(block)) is not None:
            has_404_banner = not_found_text = True
            block = block[prefix.end() :]
        # "Sorry, ... not found" prose counts only near the top or under a banner: the same
        # words can occur in a recommendation.
        if (has_404_banner or len(blocks) < 2) and _is_not_found_line(block):
            not_found_text = True
            continue
        blocks.append(block)
    if not has_404_banner:
        for node in tree.css("h1, h2, h3, .page-title, .entry-title"):
            shown = _node_text(node)
            if shown and len(shown) <= 80 and _BANNER_RE.match(shown):
                has_404_banner = not_found_text = True
                break

    rec_id, force = _page_ids(tree, url, warnings) if rec_hint else (None, None)
    report_title, title_shown = _title_from_tree(content, tree, rec_id)
    if title_shown is not None and blocks and _norm(blocks[0]) == title_shown:
        blocks.pop(0)
    elif title_shown is not None and title_shown in blocks:
        blocks.remove(title_shown)
    kept: list[str] = []
    for block in blocks:
        # Metadata lines ("Report: ...", "Published: ...") are short single lines.
        if len(block) <= 420 and "\n" not in block:
            report = _REPORT_LINE_RE.match(block)
            if report is not None:
                if report_title is None:
                    report_title = report.group(1).strip()
                continue
            if _META_LINE_RE.match(block):
                continue
        if report_title is None and rec_id is not None and not kept and ")" in block[-4:]:
            m = _TITLE_ID_RE.match(block)
            if m is not None and int(m.group("id")) == rec_id and len(block) <= 300:
                report_title = m.group("title").strip()
                continue
        kept.append(block)
    blocks = kept

    # Classify from what the content shows; a recommendation URL is never a listing.
    rec_url = recommendation_key(url) is not None
    listing_url = not rec_url and bool(_LISTING_URL_RE.search(url))
    entries, title_nodes = (
        _listing_entries(content, url, listing_url)
        if content is not None and not rec_url
        else ([], [])
    )
    # Bare recommendation links ("related", "read more") do not make a listing; titled entries do.
    titled_ids = {e.rec_id for e in entries if e.report_title is not None}
    if not rec_url and (len(titled_ids) >= 2 or (listing_url and (entries or not not_found_text))):
        if not entries:
            warnings.append("listing: no entries")
        if content is not None:
            markups = _entry_markups(content, title_nodes)
            entries = [_read_entry(e, m) for e, m in zip(entries, markups, strict=True)]
        return _page_without_record(
            url,
            "listing",
            tuple(warnings),
            has_404_banner=has_404_banner,
            listing_entries=tuple(entries),
            # The pagination sits in chrome stripped above, so read it from a fresh tree.
            next_page=next_page_from_tree(LexborHTMLParser(html), url),
            content_text=content_text,
        )

    warnings.extend(log_warnings)
    status_line = None
    if log:
        blocks = [b for b in blocks if not _is_status_line(b)]
        if blocks and len(blocks[-1]) <= 40 and _LOG_HEADING_RE.match(blocks[-1]):
            blocks.pop()
    else:
        # Without a log, a status summary line is what carries the status, like a closing line.
        at = next((i for i, b in enumerate(blocks) if _is_status_line(b)), None)
        if at is not None:
            status_line = _norm(blocks.pop(at))
    structure = _read_structure(list(blocks), bool(log), warnings)
    if structure.closing is None and status_line is not None:
        structure.closing = status_line
    words = sum(len(b.split()) for b in blocks)
    is_rec = bool(log) or structure.has_labels or structure.closing is not None
    if not is_rec and rec_hint and blocks:
        # Text-only layout: only a recommendation URL tells us, so demand real text under a banner
        # or beside not-found prose (a theme's 404 or 410 page can list recent posts).
        is_rec = not (has_404_banner or not_found_text) or (
            words >= _MIN_WORDS_UNDER_BANNER
            and any(_RECOMMENDING_RE.search(b) is not None for b in blocks)
        )
    if not is_rec:
        kind = "not_found" if not_found_text else "unexpected"
        if kind == "unexpected":
            warnings.append("layout: not recognised" if content_text else "content: empty")
        key = recommendation_key(url)
        return _page_without_record(
            url,
            kind,
            tuple(warnings),
            rec_id=key[1] if key else id_from_query(url),
            force=key[0] if key else None,
            has_404_banner=has_404_banner,
            content_text=content_text,
        )

    if not rec_hint:
        rec_id, force = _page_ids(tree, url, warnings)
        if report_title is None:
            report_title, _ = _title_from_tree(content, tree, rec_id)
    if log:
        current_status, status_date = _current_status(log)
        dated = [e.on_date for e in log if e.on_date]
        if any(a > b for a, b in zip(dated, dated[1:], strict=False)):
            warnings.append("log: entries out of date order")
        if current_status is None:
            warnings.append("log: no status entry")
    elif structure.closing is not None:
        current_status = _map_closing(structure.closing)
        date_match = _DATE_RE.search(structure.closing)
        status_date = _date_from_match(date_match, date_match.group(0))[0] if date_match else None
        if current_status is None:
            warnings.append("status: unmapped closing line")
    else:
        current_status = status_date = None
    if structure.text is None:
        warnings.append("text: none found")
    return ParsedPage(
        url=url,
        page_kind="recommendation",
        rec_id=rec_id,
        force=force,
        report_title=report_title,
        rec_type=structure.rec_type or _type_from_markup(unstripped) or "recommendation",
        cause_of_concern=structure.cause,
        text=structure.text,
        log=tuple(log),
        current_status=current_status,
        status_date=status_date,
        has_404_banner=has_404_banner,
        warnings=tuple(warnings),
        content_text=content_text,
        rec_label=structure.rec_label,
        progress_update=structure.progress,
        closing_line=structure.closing,
    )
