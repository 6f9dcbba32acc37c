"""The records the parser returns: ParsedPage, LogEntry, ListingEntry, and PARSER_VERSION.

This module owns the shape of what a page says once read, and how that shape becomes rows
(recommendation_versions, status_events, listing entries) and the normalised hash that decides
versions. It reads no HTML.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import MISSING, dataclass, fields
from typing import Any

PARSER_VERSION: str = "7"

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
    # What the entry's metadata shows (see PageMetadata), None where it shows nothing.
    force_name: str | None = None
    reference: str | None = None
    report_url: str | None = None
    published_on: str | None = None
    themes: tuple[str, ...] | None = None

    def row(self) -> dict[str, Any]:
        """The entry as plain data, its log as a list of dicts."""
        return {
            **vars(self),
            "log": [vars(e) for e in self.log],
            "warnings": list(self.warnings),
            "themes": list(self.themes) if self.themes is not None else None,
        }


@dataclass(frozen=True)
class PageMetadata:
    """What a page's metadata block shows of a recommendation; None where it shows nothing."""

    force_name: str | None = None  # the force or service's name as shown
    reference: str | None = None  # a reference or id as shown
    report_url: str | None = None  # absolute URL of the report the metadata links
    report_title: str | None = None  # the report's title as the metadata shows it
    published_on: str | None = None  # ISO YYYY-MM-DD
    themes: tuple[str, ...] | None = None  # theme slugs or names, in page order
    status: str | None = None  # a status summary ("Status: Complete"), as shown

    def record_fields(self) -> dict[str, object]:
        """The fields a record takes over as they are (its report title and status are read
        against the record's own)."""
        return {
            "force_name": self.force_name,
            "reference": self.reference,
            "report_url": self.report_url,
            "published_on": self.published_on,
            "themes": self.themes,
        }


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
    # What the page's metadata shows (recommendation_versions columns), None where it shows none.
    force_name: str | None = None
    reference: str | None = None
    report_url: str | None = None
    published_on: str | None = None
    themes: tuple[str, ...] | None = None

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
            "force_name": self.force_name,
            "reference": self.reference,
            "report_url": self.report_url,
            "published_on": self.published_on,
            "themes": None if self.themes is None else json.dumps(list(self.themes)),
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
                    "themes": None
                    if row["themes"] is None
                    else json.dumps(row["themes"], ensure_ascii=False),
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


# Building a frozen dataclass through its generated __init__ sets each field with
# object.__setattr__, which costs more than the rest of a log entry's reading. The parser builds
# its records with these instead: the same instances (same fields, in field order, equal and
# hashed alike), built by filling the instance's __dict__ directly.
_new = object.__new__


def log_entry(
    seq: int,
    on_date: str | None,
    raw_date: str,
    kind: str,
    status: str | None,
    comment: str | None,
) -> LogEntry:
    """LogEntry(seq, on_date, raw_date, kind, status, comment), built directly."""
    entry = _new(LogEntry)
    d = entry.__dict__
    d["seq"] = seq
    d["on_date"] = on_date
    d["raw_date"] = raw_date
    d["kind"] = kind
    d["status"] = status
    d["comment"] = comment
    return entry


_REQUIRED = object()
_PAGE_FIELDS: dict[str, Any] = {
    f.name: _REQUIRED if f.default is MISSING else f.default for f in fields(ParsedPage)
}


def parsed_page(**values: Any) -> ParsedPage:
    """ParsedPage(**values), built directly; every field without a default must be given."""
    d = _PAGE_FIELDS.copy()
    d.update(values)
    if len(d) != len(_PAGE_FIELDS) or _REQUIRED in d.values():
        unknown = sorted(set(values) - set(_PAGE_FIELDS))
        missing = sorted(k for k, v in d.items() if v is _REQUIRED)
        raise TypeError(f"ParsedPage fields unknown {unknown}, missing {missing}")
    page = _new(ParsedPage)
    page.__dict__.update(d)
    return page


def replaced_entry(entry: ListingEntry, **changes: Any) -> ListingEntry:
    """dataclasses.replace(entry, **changes), built directly (see log_entry)."""
    d = entry.__dict__.copy()
    d.update(changes)
    if len(d) != len(entry.__dict__):
        unknown = sorted(set(changes) - set(entry.__dict__))
        raise TypeError(f"ListingEntry fields unknown: {unknown}")
    out = _new(ListingEntry)
    out.__dict__.update(d)
    return out
