"""Blind themes report: the parser over every page of tests/blindthemes.py, field by field.

Run as `python -m bench.blind`. For each (theme x content) page and each theme's listing page
it calls `scraper.parse_page(html, url)` (the README's Python API) and compares the whole
record with the one computed from the content definition. `content_text` is not compared (it
depends on the theme's chrome) and `warnings` only as "some" versus "none" (their wording is
the parser's). Prints per theme the pages passed, per field the failures, and the first three
diffs per theme. A report, not a test: it always exits 0.
"""

from __future__ import annotations

import dataclasses
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import scraper  # noqa: E402
from tests.blindthemes import THEMES, Page, pages  # noqa: E402

SKIP = {"content_text", "url"}
WIDTH = 110


def normalised(record: dict) -> dict:
    """The parser's record in the expected record's terms (warnings as a flag)."""
    out = {k: v for k, v in record.items() if k not in SKIP}
    out["warnings"] = bool(out.get("warnings"))
    entries = []
    for entry in out.get("listing_entries") or []:
        entry = dict(entry)
        entry["warnings"] = bool(entry.get("warnings"))
        entries.append(entry)
    out["listing_entries"] = entries
    if out.get("themes") is not None:
        out["themes"] = list(out["themes"])
    out["log"] = [dict(e) for e in out.get("log") or []]
    for entry in entries:
        entry["log"] = [dict(e) for e in entry.get("log") or []]
        if entry.get("themes") is not None:
            entry["themes"] = list(entry["themes"])
    return out


def as_dict(parsed: object) -> dict:
    if dataclasses.is_dataclass(parsed):
        return dataclasses.asdict(parsed)
    return dict(vars(parsed))


def short(value: object, n: int = 150) -> str:
    text = repr(value)
    return text if len(text) <= n else text[: n - 3] + "..."


def first_difference(name: str, want: object, got: object) -> tuple[str, object, object]:
    """Narrow a list-of-records diff (log, listing entries) to its first differing field."""
    if isinstance(want, list) and isinstance(got, list):
        for i, (w, g) in enumerate(zip(want, got, strict=False)):
            if w != g:
                if isinstance(w, dict) and isinstance(g, dict):
                    for key in w:
                        if w.get(key) != g.get(key, "<missing>"):
                            return first_difference(
                                f"{name}[{i}].{key}", w.get(key), g.get(key, "<missing>")
                            )
                return f"{name}[{i}]", w, g
        if len(want) != len(got):
            return f"{name} (length {len(want)} vs {len(got)})", want[len(got) :], got[len(want) :]
    return name, want, got


def compare(page: Page) -> list[tuple[str, object, object]]:
    try:
        raw = as_dict(scraper.parse_page(page.html, page.url))
    except Exception as exc:  # a crash is a failure of every field, reported once
        return [("<crash>", "a record", f"{type(exc).__name__}: {exc}")]
    got = normalised(raw)
    return [
        # a warnings diff shows the parser's own words, not just the flag
        (name, want, raw.get("warnings") if name == "warnings" else got.get(name, "<missing>"))
        for name, want in page.expected.items()
        if got.get(name, "<missing>") != want
    ]


def main() -> int:
    passed: Counter[str] = Counter()
    total: Counter[str] = Counter()
    fields: dict[str, Counter[str]] = defaultdict(Counter)
    examples: dict[str, list[str]] = defaultdict(list)
    content_fail: Counter[str] = Counter()
    for page in pages():
        total[page.theme] += 1
        diffs = compare(page)
        if not diffs:
            passed[page.theme] += 1
            continue
        content_fail[page.content] += 1
        for name, want, got in diffs:
            fields[page.theme][name] += 1
            if len(examples[page.theme]) < 3:
                where, want, got = first_difference(name, want, got)
                examples[page.theme].append(
                    f"  [{page.content}] {where}\n"
                    f"    expected {short(want)}\n    got      {short(got)}"
                )
    names = sorted({f for c in fields.values() for f in c})
    print(f"{'theme':<20} {'passed':>9}  failures by field")
    for theme in [t.name for t in THEMES]:
        by_field = ", ".join(f"{f}={fields[theme][f]}" for f in names if fields[theme][f])
        print(f"{theme:<20} {passed[theme]:>3} / {total[theme]:<3}  {by_field or '-'}")
    all_pass, all_total = sum(passed.values()), sum(total.values())
    print(f"{'all':<20} {all_pass:>3} / {all_total:<3}")
    print("\nfailures by field, all themes:")
    every = Counter()
    for c in fields.values():
        every.update(c)
    for name, count in every.most_common():
        print(f"  {name:<18} {count}")
    print("\npages failed by content (of", len(THEMES), "themes):")
    for name, count in content_fail.most_common():
        print(f"  {name:<36} {count}")
    print("\nfirst diffs per theme:")
    for theme in [t.name for t in THEMES]:
        if examples[theme]:
            print(f"{theme}:")
            print("\n".join(examples[theme]))
    return 0


if __name__ == "__main__":
    main()
    sys.exit(0)
