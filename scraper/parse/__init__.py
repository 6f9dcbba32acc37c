"""Page HTML + URL -> ParsedPage: what one page of the site says, read leniently and exactly.

This package owns reading a fetched page: classifying it (recommendation, listing, not_found,
unexpected) from its content, finding the main content area whatever the theme, and reading the
recommendation's fields and status log in all the site's layouts, including broken log markup.
Every tolerance used is recorded as a short, stable warning string.

It is pure: no module in it may import httpx, sqlite, a clock or click, must not write anything, and
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
- Metadata is known by shape wherever it sits (in the content, in chrome taken out of it, beside
  it below the site's level): pairs the markup makes (<dt>/<dd>, <th>/<td>, a one-row column
  table, a label box beside or over a <br> from its value, spans side by side each opening with
  a label, a run of three label and value boxes) or the text makes ("Label: value" lines, runs
  set apart by " | "); schema.org JSON-LD and microdata too. A line whose words before the
  colon end in a verb ("... is:") is a sentence. What the page's style hides is never read.
- Chrome by what it is: controls (a box whose point is its buttons, a fold holding only a form),
  rows of links that lead away (share, print, "See also" another recommendation), a paragraph
  that is one such link, teasers (a table row or a card linking one other recommendation, and
  the short heading over them), a log table's column labels.
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
log, status, listing, layout, id, parser. See the strings in the modules; tests pin them.

Modules, one concern each (imports point down the list):
- records    ParsedPage, LogEntry, ListingEntry, PARSER_VERSION; rows and the normalised hash
- dates      the site's date forms -> ISO
- text       serialized HTML -> text with paragraph, line and bullet marks
- metadata   metadata blocks recognised by shape -> PageMetadata fields
- structured schema.org microdata -> PageMetadata fields (JSON-LD: metadata)
- content    the content area, and what is taken out of it (chrome, metadata, teasers)
- log        the status log in all its forms -> LogEntry
- structure  banner, type headings, cause of concern, text, closing line, title
- listing    listing entries and what each shows
- page       parse_page: classification and assembly, the parse budget
"""

from __future__ import annotations

from scraper.parse.dates import parse_date
from scraper.parse.page import OTHER_RECOMMENDATION, parse_page
from scraper.parse.records import (
    PAGE_KINDS,
    PARSER_VERSION,
    REC_TYPES,
    ListingEntry,
    LogEntry,
    ParsedPage,
)

__all__ = [
    "OTHER_RECOMMENDATION",
    "PAGE_KINDS",
    "PARSER_VERSION",
    "REC_TYPES",
    "ListingEntry",
    "LogEntry",
    "ParsedPage",
    "parse_date",
    "parse_page",
]
