"""The status log: every form the site writes it in -> LogEntry tuples.

This module owns the literal bracket markup ([on]<date> [status]slug[/status][/on] and
[comment]...[/comment]), read leniently when tags are missing; the rendered form, with no
brackets ("3rd March 2017 awaiting-review" lines, a date line followed by the comment's
paragraphs); and the current status of a log. Dates inside a comment's prose are never entry
dates: an entry starts only where a line starts with a date.
"""

from __future__ import annotations

import re

from scraper.parse.dates import _DATE, _DATE_AT_RE, _TRAILING_DATE_RE, _date_from_match
from scraper.parse.records import LogEntry, log_entry

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
    if "\n" not in body:  # one paragraph: nothing to split
        return body.strip() or None
    joined = "\n\n".join([p for p in (q.strip() for q in _PARA_SPLIT_RE.split(body)) if p])
    return joined or None


def _well_formed_entry(m: re.Match[str], seq: int) -> LogEntry | None:
    """The entry a _FAST_ENTRY_RE or _WELL_FORMED_RE match holds, or None when anything about it
    needs the lenient reader (and its warnings)."""
    raw_date, kind, body = m.group("date", "kind", "body")
    on_date, odd_month = _date_from_match(m, raw_date)
    if on_date is None or odd_month or "[" in body:
        return None
    if kind == "status" or kind.lower() == "status":
        status = body.strip()
        if not status or "\n" in status:
            return None
        return log_entry(seq, on_date, raw_date, "status", status, None)
    comment = _paragraphs(body)
    if comment is None:
        return None
    return log_entry(seq, on_date, raw_date, "comment", None, comment)


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
            self.entries.append(log_entry(seq, on_date, raw_date, kind, status, comment))
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


# The rendered log: the site's [on] shortcodes turned into HTML, one entry per line or element.
_ENTRY_LINE_RE = re.compile(
    r"[•◦●○▪‣]?[ \t]*(?P<date>" + _DATE + r")[ \t]*[:\-–—]?[ \t]*(?P<rest>[^\n]*)", re.I
)


def _entry_line(line: str) -> tuple[re.Match[str], str | None] | None:
    """(the date's match, the status slug or None for a comment) when a line starts an entry:
    a date alone on its line, or a date and a status slug. A date inside a sentence never does."""
    m = _ENTRY_LINE_RE.fullmatch(line.strip())
    if m is None:
        return None
    rest = m.group("rest").strip().rstrip(".")
    if not rest:
        return m, None
    if _SLUG_RE.fullmatch(rest) and ("-" in rest or rest.lower() in _BARE_STATUSES):
        return m, rest
    return None


def rendered_log_start(blocks: list[str]) -> int | None:
    """Index of the block where a rendered log begins (its first line starts an entry), or None.
    A lone date line counts only with something after it: a comment's paragraphs."""
    for i, block in enumerate(blocks):
        found = _entry_line(block.split("\n", 1)[0])
        if found is None:
            continue
        if found[1] is not None or "\n" in block or i + 1 < len(blocks):
            return i
    return None


def read_rendered_log(blocks: list[str], warnings: list[str]) -> list[LogEntry]:
    """The entries of a rendered log: "3rd March 2017 awaiting-review" lines are status entries;
    a date alone on a line opens a comment, whose paragraphs run to the next entry line."""
    entries: list[LogEntry] = []
    comment: list[str] | None = None
    opened: tuple[str | None, str] | None = None

    def close() -> None:
        nonlocal comment, opened
        if opened is not None:
            seq = len(entries)
            body = "\n\n".join(comment or []) or None
            slug = body.strip().rstrip(".") if body is not None else ""
            if _SLUG_RE.fullmatch(slug) and ("-" in slug or slug.lower() in _BARE_STATUSES):
                # The date and its status in boxes of their own: a status entry all the same.
                entries.append(log_entry(seq, opened[0], opened[1], "status", slug, None))
                comment, opened = None, None
                return
            if body is None:
                warnings.append(f"log: empty comment in entry {seq}")
            entries.append(log_entry(seq, opened[0], opened[1], "comment", None, body))
        comment, opened = None, None

    for block in blocks:
        paragraph: list[str] = []
        for line in block.split("\n"):
            found = _entry_line(line)
            if found is None:
                if line.strip():
                    paragraph.append(line.strip())
                continue
            if paragraph and comment is not None:
                comment.append("\n".join(paragraph))
            elif paragraph:
                warnings.append(f"log: stray text between entries near entry {len(entries)}")
            paragraph = []
            close()
            m, status = found
            raw = m.group("date").strip()
            on_date, odd_month = _date_from_match(m, raw)
            seq = len(entries)
            if on_date is None:
                warnings.append(f"log: unreadable date in entry {seq}")
            elif odd_month:
                warnings.append(f"log: misspelt month in entry {seq}")
            if status is not None:
                entries.append(log_entry(seq, on_date, raw, "status", status, None))
            else:
                opened, comment = (on_date, raw), []
        if paragraph:
            if comment is not None:
                comment.append("\n".join(paragraph))
            else:
                warnings.append(f"log: stray text between entries near entry {len(entries)}")
    close()
    return entries
