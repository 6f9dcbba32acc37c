"""Metadata blocks, recognised by their shape, -> PageMetadata fields.

This module owns telling a page's metadata (the force, a reference, the report, the publication
date, the themes ...) from what the recommendation says. A metadata block is known by its
shape, never by its labels: label/value pairs that the markup pairs (<dt>/<dd>, a <th> or the
first of two cells beside a <td>, a short label box beside its value box, a short label element
run into its value) or that the text pairs ("Label: value" lines), in runs, or alone where the
value is short and reads like a value rather than a sentence. Whatever the labels say, such a
block never reaches `text`; the labels only decide which field a value fills, and where no
label is understood the value's own shape (a date, a link to a report or a theme, an id) does.

It works on the marked text of text.py (blocks still carrying the PAIR, LABELLED and
SPLIT_PAIR marks) and never touches the tree. It also reads what a page's schema.org JSON-LD
says of the page itself into the same fields (jsonld_metadata), given the scripts' text.
"""

from __future__ import annotations

import contextlib
import html as htmllib
import json
import re
from collections.abc import Callable
from datetime import date
from urllib.parse import urljoin

from scraper.discover import recommendation_key
from scraper.parse.content import THEME_URL_RE as _THEME_URL_RE
from scraper.parse.dates import _DATE_RE, _date_from_match
from scraper.parse.log import _LOG_TOKEN_RE
from scraper.parse.records import PageMetadata
from scraper.parse.structure import _BANNER_RE, _LABEL_RE, _RECOMMENDING_RE
from scraper.parse.text import _ANY_TAG_RE, BR_PAIR, CONTROL_RE, LABELLED, PAIR, SPLIT_PAIR

_MARKS = PAIR + LABELLED + SPLIT_PAIR + BR_PAIR
_PAIR_RE = re.compile(
    r"^(?:[•◦●○▪‣][ \t]*)?(?P<label>[^\W\d_][^:\n" + _MARKS + r"]{0,47}?)[ \t]*"
    r"(?P<sep>[:" + _MARKS + r"])[ \t]*"
    r"(?P<value>[^\n]*)$"
)
# Every pair has a separator within its first 48 characters or so, on some line.
_MAY_PAIR_RE = re.compile(r"(?:^|\n)[^\n:" + _MARKS + r"]{1,56}[:" + _MARKS + r"]")
_TITLED_RE = re.compile(r"\(\s*\d{1,9}\s*\)\W{0,2}$")
_SENTENCE_END_RE = re.compile(r"[.!?][\"'’”)]?\s+[A-Z]")
_BULLET_ITEM_RE = re.compile(r"^[•◦●○▪‣]\s*(?P<item>[^\n]{1,80})$")
_VALUE_SPLIT_RE = re.compile(r"\s*(?:[,;|•◦●○▪‣]|\s/\s)\s*")
_SLUG_SEP_RE = re.compile(r"[^a-z0-9]+")
# A label is a name: a line whose words before the colon end in a verb or a joining word
# leads into the rest of a sentence.
_LEAD_IN_ENDS = frozenset(
    ("is", "are", "was", "were", "be", "been", "being", "include", "includes", "including",
     "as", "of", "to", "the", "a", "an", "and", "or", "that", "which", "will", "would",
     "should", "must", "can", "could", "has", "have", "had", "follows")
)  # fmt: skip
_RUN_SEP_RE = re.compile(r"\s+[|·]\s+")
_DIGITS_RE = re.compile(r"^[#№]?\s*[A-Z]{0,4}[-/ ]?\d{1,9}$", re.I)
_ANCHOR_RE = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.S)

# What a label is about: these pick the field a value fills, never whether it is metadata.
_STATUS_LABEL = re.compile(r"\bstatus\b", re.I)
_IGNORED_LABEL = re.compile(
    r"\b(?:type|kind|format|updated|modified|reviewed|due|deadline)\b", re.I
)
_DATE_LABEL = re.compile(r"\b(?:date|published|issued|made|posted|added)\b", re.I)
_REFERENCE_LABEL = re.compile(r"\b(?:ref(?:erence)?|id|no|number|code|identifier)\b\.?", re.I)
_THEMES_LABEL = re.compile(
    r"\b(?:themes?|topics?|tags?|categor(?:y|ies)|subjects?|keywords?|areas?)\b", re.I
)
_REPORT_LABEL = re.compile(
    r"\b(?:report|inspection|publication|source|from|published\s+in)\b", re.I
)
# Labels that name the kind of body, not only its role ("Lead", "Owner"): these say more.
_NAMED_BODY_LABEL = re.compile(
    r"\b(?:forces?|services?|constabular\w*|police|fire|agenc\w*|organi[sz]ations?|bod(?:y|ies)"
    r"|authorit\w*)\b",
    re.I,
)
_FORCE_LABEL = re.compile(
    r"\b(?:forces?|services?|constabular\w*|police|fire|agenc\w*|organi[sz]ations?|addressees?"
    r"|recipients?|bod(?:y|ies)|authorit\w*|directed|lead|owner|made\s+to|for)\b",
    re.I,
)

Anchors = Callable[[], dict[str, str]]


def anchors_of(markups: list[str], base: str) -> Anchors:
    """A lazy map of link text -> absolute href for the given markups (read once, if needed)."""
    found: dict[str, str] = {}
    read = False

    def get() -> dict[str, str]:
        nonlocal read
        if not read:
            read = True
            for markup in markups:
                for href, inner in _ANCHOR_RE.findall(markup):
                    shown = " ".join(htmllib.unescape(_ANY_TAG_RE.sub("", inner)).split())
                    if shown and shown not in found:
                        try:
                            found[shown] = urljoin(base, htmllib.unescape(href).strip())
                        except ValueError:
                            continue
        return found

    return get


def _pair(line: str) -> tuple[str, str, str] | None:
    """(label, separator, value) when a line is shaped as a label and its value."""
    m = _PAIR_RE.match(line.strip())
    if m is None:
        return None
    label = " ".join(m.group("label").split())
    # A label element that holds its own colon ("<strong>Report:</strong> <a ...>") is
    # marked as run into its value too: the mark is no part of the value.
    # A separator between labelled boxes on one line ("Force: X | Reference: Y") is no part
    # of the value before it either.
    value = " ".join(m.group("value").split()).lstrip(_MARKS).lstrip().rstrip(" |·")
    if not value.isprintable():  # control characters are no part of any field
        value = " ".join(CONTROL_RE.sub("", value).split())
    sep = m.group("sep")
    if not label or label[-1] in ",;!?" or len(label.split()) > 6:
        return None
    if label.rsplit(None, 1)[-1].lower() in _LEAD_IN_ENDS:
        return None  # "Your support ID is: ...", "The aims are: ...": a sentence, no label
    if _LABEL_RE.match(label) or _BANNER_RE.match(label) or _DATE_RE.fullmatch(label):
        return None  # "Recommendation 5", "Cause of concern", a log entry's date
    if len(value) > 250 or _SENTENCE_END_RE.search(value):
        return None
    if len(value.split()) > 3 and _RECOMMENDING_RE.search(value):
        return None  # a sentence that recommends is the text, whatever precedes it
    if sep == ":" and (not value or value.startswith("//")):
        return None  # an address ("https://..."), not a label and its value
    if _TITLED_RE.search(value):
        return None  # "<Report title>: <force> (<id>)" is a listing entry's title
    return label, sep, value


def _short_value(value: str) -> bool:
    """A value that reads as a value (a name, a date, an id, a list), not as a sentence."""
    return bool(value) and len(value.split()) <= 12 and not value.endswith((".", "!", "?"))


def _read_pairs(block: str) -> list[tuple[str, str, str]] | None:
    """The pairs of a block whose every line is a pair (a <br>-separated run), else None."""
    lines = [ln for ln in block.split("\n") if ln.strip()]
    pairs = []
    for line in lines:
        if "|" in line or "·" in line:
            # Pairs run together on one line, set apart by a bar or a dot ("Force: X | Ref: Y").
            run = [_pair(part) for part in _RUN_SEP_RE.split(line)]
            if len(run) >= 2 and all(run):
                pairs.extend(p for p in run if p is not None)
                continue
        p = _pair(line)
        if p is None:
            return None
        pairs.append(p)
    return pairs or None


def take_metadata(
    blocks: list[str],
    anchors: Anchors,
    rec_id: int | None = None,
    edges_only: bool = False,
    neutral: Callable[[str], bool] | None = None,
    force: str | None = None,
    runs_only: bool = False,
) -> tuple[list[str], PageMetadata | None]:
    """(the blocks that are not metadata, what the metadata shows or None if there was none).

    Blocks between the first and last log tag are the log's own and never metadata. A status
    pair ("Status: Complete") stays among the blocks: the page's structure reads it. With
    `edges_only`, structural pairs too are metadata only before and after everything else (a
    listing entry). A lone "Label: value" line counts only there, before or after all content;
    blocks `neutral` says are not content (a banner, the page's title) do not end the edge.
    With `runs_only` (blocks from chrome, where a line of several labels run together is no
    field), a lone pair counts only where the markup pairs it.
    """
    tagged = [i for i, b in enumerate(blocks) if "[" in b and _LOG_TOKEN_RE.search(b)]
    first_tag, last_tag = (tagged[0], tagged[-1]) if tagged else (len(blocks), -1)
    parsed: list[list[tuple[str, str, str]] | None] = []
    for i, block in enumerate(blocks):
        if first_tag <= i <= last_tag or not _MAY_PAIR_RE.search(block):
            parsed.append(None)
            continue
        parsed.append(None if neutral is not None and neutral(block) else _read_pairs(block))
    # Label boxes and value boxes side by side with no mark between ("<h4>Force</h4><p>X</p>"
    # ...): a run of three or more is a metadata block; each value is its label's.
    continuation = [False] * len(blocks)
    for i, j in _label_runs(blocks, first_tag, last_tag):
        for k in range(i, j, 2):
            parsed[k] = [(" ".join(blocks[k].split()), SPLIT_PAIR, " ".join(blocks[k + 1].split()))]
            continuation[k + 1] = True
    if not any(parsed):
        return blocks, None
    # Bullet items just after a label with no value are that value ("Themes" + a list).
    for i, pairs in enumerate(parsed):
        if pairs is None or pairs[-1][2]:
            continue
        j = i + 1
        while j < len(blocks) and parsed[j] is None and _BULLET_ITEM_RE.match(blocks[j].strip()):
            continuation[j] = True
            j += 1
    drop = [False] * len(blocks)
    restate = [False] * len(blocks)
    i = 0
    content_at = [
        k
        for k in range(len(blocks))
        if parsed[k] is None and not continuation[k] and not (neutral and neutral(blocks[k]))
    ]
    first_content = content_at[0] if content_at else len(blocks)
    last_content = content_at[-1] if content_at else -1
    while i < len(blocks):
        if parsed[i] is None:
            i += 1
            continue
        j = i
        pairs: list[tuple[str, str, str]] = []
        while j < len(blocks) and (parsed[j] is not None or continuation[j]):
            pairs.extend(parsed[j] or [])
            j += 1
        at_edge = i < first_content or i > last_content
        real = [p for p in pairs if not _STATUS_LABEL.search(p[0])]
        structural = any(sep in (PAIR, SPLIT_PAIR) for _, sep, _ in real)
        shortish = all(_short_value(v) or not v for _, _, v in real)
        is_meta = bool(real) and (
            (len(real) >= 2 and (structural or shortish))
            or (structural and (at_edge or not edges_only))
            or (shortish and at_edge and not runs_only)
        )
        # A status pair the markup pairs (a label box beside its value) is a status summary
        # whatever else is around it: it reads "Label: value", as the structure knows it.
        marked_status = [
            k
            for k in range(i, j)
            if parsed[k] is not None
            and all(_STATUS_LABEL.search(p[0]) for p in parsed[k])
            and any(p[1] != ":" for p in parsed[k])
        ]
        for k in marked_status:
            restate[k] = True
        if is_meta:
            for k in range(i, j):
                # A status pair is the page's status summary: the structure reads it.
                if parsed[k] is None or any(not _STATUS_LABEL.search(p[0]) for p in parsed[k]):
                    drop[k] = True
        if (is_meta or marked_status) and i > 0 and not first_tag <= i - 1 <= last_tag:
            # A short heading over the block ("Details", "Key facts") is the block's own.
            marked = structural or any(p[1] != ":" for p in pairs)
            if (len(real) >= 2 or marked) and _is_block_heading(blocks[i - 1]):
                drop[i - 1] = True
        i = j
    if not any(drop) and not any(restate):
        return blocks, None
    pairs_out: list[tuple[str, str, list[str]]] = []
    kept: list[str] = []
    for k, block in enumerate(blocks):
        if restate[k] and not drop[k]:
            kept.append("\n".join(f"{label}: {value}" for label, _, value in parsed[k] or []))
            continue
        if not drop[k]:
            kept.append(block)
            continue
        if continuation[k]:
            m = _BULLET_ITEM_RE.match(block.strip())
            if m is not None and pairs_out:
                pairs_out[-1][2].append(m.group("item").strip())
            continue
        for label, _, value in parsed[k] or []:
            pairs_out.append((label, value, [value] if value else []))
    return kept, _fields(pairs_out, anchors, rec_id, force)


def _is_label_box(block: str) -> bool:
    """A block that reads as a label of its own: a word or four, no digit, no punctuation."""
    return (
        len(block) <= 40
        and _LABEL_BOX_RE.match(block) is not None
        and _LABEL_RE.match(block) is None
        and _BANNER_RE.match(block) is None
    )


# A word or four of letters, the first a capital: no digit, no punctuation but a hyphen or an
# apostrophe inside a word, "&" or "/" between words.
_WORD = r"[^\W\d_]+(?:['’-][^\W\d_]+)*"
_LABEL_BOX_RE = re.compile(r"(?=[A-Z])" + _WORD + r"(?: (?:[&/]|" + _WORD + r")){0,3}$")


def _is_value_box(block: str) -> bool:
    return (
        "\n" not in block
        and len(block) <= 250
        and _short_value(block)
        and block[:1] not in "•◦●○▪‣["
        and not any(mark in block for mark in _MARKS)
        and _LABEL_RE.match(block) is None
    )


# Pairs of label box and value box in a row that make a metadata block.
_MIN_LABEL_RUN = 3


def _label_runs(blocks: list[str], first_tag: int, last_tag: int) -> list[tuple[int, int]]:
    """(start, end) of each run of label box, value box, label box, value box ... of at least
    _MIN_LABEL_RUN pairs, outside the log."""
    runs: list[tuple[int, int]] = []
    # Labels are short: a run needs short blocks two apart, most texts have none.
    short = {k for k, b in enumerate(blocks) if len(b) <= 40}
    starts = [k for k in short if k + 2 in short and k + 4 in short]
    if not starts:
        return runs
    i = min(starts)
    n = len(blocks)
    while i + 1 < n:
        if i not in short:
            i += 1
            continue
        j = i
        while (
            j + 1 < n
            and not first_tag <= j <= last_tag
            and not first_tag <= j + 1 <= last_tag
            and _is_label_box(blocks[j])
            and _is_value_box(blocks[j + 1])
        ):
            j += 2
        if (j - i) // 2 >= _MIN_LABEL_RUN:
            runs.append((i, j))
            i = j
        else:
            i += 1
    return runs


def may_hold_label_run(full: str) -> bool:
    """Whether a text's blocks hold a run of label and value boxes (see _label_runs)."""
    if full.count("\n\n") < 2 * _MIN_LABEL_RUN - 1:
        return False
    blocks = full.split("\n\n")
    return bool(_label_runs(blocks, len(blocks), -1))


def _is_block_heading(block: str) -> bool:
    return (
        "\n" not in block
        and len(block) <= 40
        and len(block.split()) <= 4
        and not block.rstrip().endswith((".", ":"))
        and _LABEL_RE.match(block) is None
        and _BANNER_RE.match(block) is None
        and not any(mark in block for mark in _MARKS)
        and block[:1] not in "•◦●○▪‣["
        and not any(ch.isdigit() for ch in block)  # a log line ("20/01/2020 complete")
    )


def _fields(
    pairs: list[tuple[str, str, list[str]]],
    anchors: Anchors,
    rec_id: int | None,
    force: str | None,
) -> PageMetadata:
    found: dict[str, object] = {}
    weak_force: list[str] = []

    def put(name: str, value: object) -> None:
        if value is not None and value != "" and name not in found:
            found[name] = value

    for label, _value, items in pairs:
        values = [v for v in items if v]
        if not values:
            continue
        joined = " ".join(values) if len(values) > 1 else values[0]
        if _STATUS_LABEL.search(label):
            put("status", joined)
            continue
        if _IGNORED_LABEL.search(label):
            continue
        date_match = _DATE_RE.search(joined)
        if _DATE_LABEL.search(label) and date_match is not None:
            put("published_on", _date_from_match(date_match, date_match.group(0))[0])
        elif _REFERENCE_LABEL.search(label) and not _FORCE_LABEL.search(label):
            put("reference", joined)
        elif _THEMES_LABEL.search(label):
            put("themes", _theme_names(values))
        elif _REPORT_LABEL.search(label):
            put("report_title", joined)
            put("report_url", anchors().get(joined))
        elif _FORCE_LABEL.search(label):
            if _NAMED_BODY_LABEL.search(label):
                put("force_name", joined)
            else:
                weak_force.append(joined)  # "Lead", "Owner", "Made to": only if nothing says more
        else:
            _by_value_shape(joined, values, anchors, rec_id, force, put)
    if weak_force:
        put("force_name", weak_force[0])
    return PageMetadata(**found)  # type: ignore[arg-type]


def _by_value_shape(
    joined: str,
    values: list[str],
    anchors: Anchors,
    rec_id: int | None,
    force: str | None,
    put: Callable[[str, object], None],
) -> None:
    """A value under a label we cannot read: its shape says what it is, or nothing is kept."""
    date_match = _DATE_RE.fullmatch(joined.strip())
    if date_match is not None:
        put("published_on", _date_from_match(date_match, date_match.group(0))[0])
        return
    names = _theme_names(values)
    links = anchors()
    hrefs = [links.get(name) for name in names]
    if hrefs and all(h is not None and _THEME_URL_RE.search(h) for h in hrefs):
        put("themes", names)
        return
    href = links.get(joined)
    if href is not None and recommendation_key(href) is None:
        if _THEME_URL_RE.search(href):
            put("themes", _theme_names(values))
        else:
            put("report_title", joined)
            put("report_url", href)
        return
    if (
        _DIGITS_RE.match(joined)
        and (rec_id is None or str(rec_id) in joined)
        or rec_id is not None
        and re.search(rf"(?<!\d){rec_id}(?!\d)", joined)
        and len(joined) <= 40
    ):
        put("reference", joined)
    elif force and force in _SLUG_SEP_RE.sub("-", joined.lower()).strip("-"):
        put("force_name", joined)  # the name of the force the page's URL files it under


def _theme_names(values: list[str]) -> tuple[str, ...]:
    names: list[str] = []
    for value in values:
        for name in _VALUE_SPLIT_RE.split(value):
            name = name.strip()
            if name and name not in names:
                names.append(name)
    return tuple(names)


# schema.org JSON-LD (<script type="application/ld+json">): what it says of the page itself.
# Nodes of these types describe the site, its navigation or its publisher, never the page.
_LD_SITE_TYPES = frozenset(
    ("WebSite", "BreadcrumbList", "ListItem", "SiteNavigationElement", "ImageObject", "Person",
     "SearchAction", "ReadAction", "EntryPoint", "Organization")
)  # fmt: skip
_ISO_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])")


def _ld_nodes(data: object) -> list[dict]:
    """Every node of a JSON-LD document (@graph members, lists, nested values), in order."""
    out: list[dict] = []
    stack = [data]
    while stack and len(out) < 500:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            out.append(item)
            stack.extend(reversed([v for v in item.values() if isinstance(v, dict | list)]))
    return out


def _ld_types(node: dict) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _ld_text(value: object) -> str | None:
    """A property's text: a string, a number, or a node's name or value."""
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        value = value.get("name", value.get("value"))
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str):
        shown = " ".join(value.split())
        return shown or None
    return None


def _is_page(node: dict, url: str) -> bool:
    """Whether a node is about the page at `url` (its url or @id is the page's address)."""
    own = recommendation_key(url)
    for key in ("url", "@id", "mainEntityOfPage"):
        value = node.get(key)
        if isinstance(value, dict):
            value = value.get("@id", value.get("url"))
        if not isinstance(value, str) or not value.strip():
            continue
        value = value.split("#", 1)[0].strip()
        if own is not None and recommendation_key(value) == own:
            return True
        if value.rstrip("/") == url.split("#", 1)[0].strip().rstrip("/"):
            return True
    return False


def jsonld_metadata(scripts: list[str], url: str) -> PageMetadata | None:
    """What the page's schema.org JSON-LD says of the page itself, as metadata fields: the
    nodes whose url or @id is the page's own (never the site's, its breadcrumbs or its
    publisher); `about` an organisation -> force_name, `identifier` -> reference, `isPartOf`
    a work that is no website -> report_url and report_title, `datePublished` -> published_on,
    `keywords` -> themes. None when no such node shows any. A script that is no valid JSON is
    passed over."""
    found: dict[str, object] = {}

    def put(name: str, value: object) -> None:
        if value is not None and value != "" and value != () and name not in found:
            found[name] = value

    for script in scripts:
        try:
            data = json.loads(script)
        except (ValueError, RecursionError):
            continue
        for node in _ld_nodes(data):
            if _ld_types(node) & _LD_SITE_TYPES or not _is_page(node, url):
                continue
            about = node.get("about")
            for item in about if isinstance(about, list) else [about]:
                if isinstance(item, dict) and any("Organization" in t for t in _ld_types(item)):
                    put("force_name", _ld_text(item))
            put("reference", _ld_text(node.get("identifier")))
            part = node.get("isPartOf")
            for item in part if isinstance(part, list) else [part]:
                if (
                    isinstance(item, dict)
                    and not _ld_types(item) & (_LD_SITE_TYPES | {"WebPage"})
                    and isinstance(item.get("url"), str)
                    and item["url"].strip()
                ):
                    try:
                        put("report_url", urljoin(url, item["url"].strip()))
                    except ValueError:
                        continue
                    put("report_title", _ld_text(item.get("name")))
            published = node.get("datePublished")
            m = _ISO_DATE_RE.match(published.strip()) if isinstance(published, str) else None
            if m is not None:
                with contextlib.suppress(ValueError):  # no such day: no date
                    put("published_on", date(*map(int, m.groups())).isoformat())
            keywords = node.get("keywords")
            if isinstance(keywords, str):
                keywords = keywords.split(",")
            if isinstance(keywords, list):
                put("themes", _theme_names([k for k in map(_ld_text, keywords) if k]))
    return PageMetadata(**found) if found else None  # type: ignore[arg-type]
