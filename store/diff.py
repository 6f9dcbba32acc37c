"""Differences between two versions of a recommendation: its text and its status log.

Pure functions over plain rows (dicts with the status_events columns). The log diff matches
entries one to one: identical entries first (order does not matter: the site does not keep
its logs in order), then an entry of the same kind and date whose content differs is *edited*,
one whose content is the same under another date is *redated*, and whatever is left is
*appended* (only in the newer version) or *removed* (only in the older).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

Event = Mapping[str, Any]


@dataclass(frozen=True)
class EntryChange:
    """One log entry that differs between two versions."""

    change: str  # appended, edited, removed, redated
    kind: str | None
    on_date: str | None
    before: str | None  # the entry's content in the older version (status slug or comment)
    after: str | None
    before_date: str | None
    after_date: str | None


def _content(e: Event) -> str | None:
    return e.get("status") if e.get("kind") == "status" else e.get("comment")


def _key(e: Event) -> tuple[Any, ...]:
    return (e.get("kind"), e.get("on_date") or e.get("raw_date"), _content(e))


def _date(e: Event) -> str | None:
    return e.get("on_date") or e.get("raw_date")


def diff_logs(before: Sequence[Event], after: Sequence[Event]) -> list[EntryChange]:
    """The entry-by-entry changes from one status log to the next, in the newer log's order."""
    unmatched_after = list(after)
    left: list[Event] = []
    for e in before:
        match = next((i for i, a in enumerate(unmatched_after) if _key(a) == _key(e)), None)
        if match is None:
            left.append(e)
        else:
            unmatched_after.pop(match)
    changes: list[EntryChange] = []
    for b in list(left):
        same_day = next(
            (a for a in unmatched_after if a.get("kind") == b.get("kind") and _date(a) == _date(b)),
            None,
        )
        if same_day is not None:
            unmatched_after.remove(same_day)
            left.remove(b)
            changes.append(
                EntryChange(
                    "edited",
                    b.get("kind"),
                    _date(b),
                    _content(b),
                    _content(same_day),
                    _date(b),
                    _date(same_day),
                )
            )
    for b in list(left):
        moved = next(
            (
                a
                for a in unmatched_after
                if a.get("kind") == b.get("kind") and _content(a) == _content(b)
            ),
            None,
        )
        if moved is not None:
            unmatched_after.remove(moved)
            left.remove(b)
            changes.append(
                EntryChange(
                    "redated",
                    b.get("kind"),
                    _date(b),
                    _content(b),
                    _content(moved),
                    _date(b),
                    _date(moved),
                )
            )
    changes.extend(
        EntryChange("removed", b.get("kind"), _date(b), _content(b), None, _date(b), None)
        for b in left
    )
    changes.extend(
        EntryChange("appended", a.get("kind"), _date(a), None, _content(a), None, _date(a))
        for a in unmatched_after
    )
    return changes


def diff_text(before: str | None, after: str | None, from_label: str, to_label: str) -> str:
    """A unified diff of two texts, empty when they are the same."""
    lines = difflib.unified_diff(
        (before or "").splitlines(),
        (after or "").splitlines(),
        fromfile=from_label,
        tofile=to_label,
        lineterm="",
    )
    return "\n".join(lines)


# Words, single punctuation marks and runs of whitespace, each a token of its own.
_TOKEN = re.compile(r"[\w'\u2019-]+|[^\w\s]|\s+")


def _compared(token: str) -> str:
    # Any run of whitespace equals any other: a re-wrapped line is not a change.
    return " " if token.isspace() else token


def diff_words(before: str | None, after: str | None) -> list[tuple[str, str]]:
    """Word-level differences as (op, text) pieces in order: op is '=', '-' or '+'.

    Joining the '=' and '+' pieces gives `after`; the '=' and '-' pieces give `before` up to
    whitespace (equal runs of whitespace carry the newer version's).
    """
    a = _TOKEN.findall(before or "")
    b = _TOKEN.findall(after or "")
    matcher = difflib.SequenceMatcher(
        None, [_compared(t) for t in a], [_compared(t) for t in b], autojunk=False
    )
    pieces: list[tuple[str, str]] = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            pieces.append(("=", "".join(b[j1:j2])))
            continue
        if i2 > i1:
            pieces.append(("-", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(("+", "".join(b[j1:j2])))
    return [p for p in pieces if p[1]]


def split_space(text: str) -> tuple[str, str, str]:
    """text as (leading whitespace, the rest stripped, trailing whitespace), for marking."""
    core = text.strip()
    if not core:
        return text, "", ""
    start = text.index(core)
    return text[:start], core, text[start + len(core) :]
