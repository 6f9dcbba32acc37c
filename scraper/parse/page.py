"""parse_page: one page's HTML + URL -> ParsedPage, the one entry point.

This module owns classifying a page (recommendation, listing, not_found, unexpected) from its
content and assembling the record from the other modules; the page's ids from its URL,
canonical link or classes; and the parse budget: a page too large or too deeply nested to read
in bounded time comes back with a warning, never dropped, never read super-linearly.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import replace
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.discover import (
    id_from_query,
    next_page_from_tree,
    recommendation_key,
)
from scraper.parse.content import (
    _content_node,
    _strip_chrome,
    beside,
    name_icon_labels,
    narrow_body,
    strip_teasers,
)
from scraper.parse.dates import _DATE_RE, _date_from_match
from scraper.parse.listing import _entry_markups, _listing_entries, _read_entry
from scraper.parse.log import (
    _LOG_TOKEN_RE,
    _current_status,
    _LogReader,
    _split_log,
    read_rendered_log,
    rendered_log_start,
)
from scraper.parse.metadata import (
    anchors_of,
    jsonld_metadata,
    may_hold_label_run,
    take_metadata,
)
from scraper.parse.records import ListingEntry, LogEntry, PageMetadata, ParsedPage, parsed_page
from scraper.parse.structure import (
    _BANNER_PREFIX_RE,
    _BANNER_RE,
    _META_LINE_RE,
    _MIN_WORDS_UNDER_BANNER,
    _RECOMMENDING_RE,
    _REPORT_LINE_RE,
    _TITLE_ID_RE,
    _is_not_found_line,
    _is_status_line,
    _map_closing,
    _node_text,
    _norm,
    _read_structure,
    _title_from_tree,
    _type_from_markup,
    drop_log_heading,
)
from scraper.parse.structured import microdata_metadata
from scraper.parse.text import (
    _ESCAPED_ENTITY_RE,
    BR_PAIR,
    CONTROL_RE,
    LABELLED,
    PAIR,
    SPLIT_PAIR,
    _html_to_marked_text,
    _marked_to_text,
    split_inline_pairs,
    unmark_pairs,
)

_LISTING_URL_RE = re.compile(
    r"[?&](?:recommendation[-_]theme|paged|s|cat|tag|taxonomy|post_type)="
    r"|/page/\d+/?$|/page/\d+/?\?|/recommendation[-_]theme/|/recommendations?/?(?:\?|$)|/category/|/tag/",
    re.I,
)
# The warning of a page whose canonical link names another recommendation than its URL does.
OTHER_RECOMMENDATION = "id: the canonical link names another recommendation"
_POSTID_CLASS_RE = re.compile(r"\bpostid-(\d+)\b")


def _page_ids(
    tree: LexborHTMLParser, url: str, warnings: list[str]
) -> tuple[int | None, str | None]:
    """(rec_id, force) from the URL, else from the page's canonical link, shortlink or classes.
    A page whose canonical link names another recommendation than its URL is another page's
    (a cache or proxy answering one URL with another's page): warned, OTHER_RECOMMENDATION."""
    key = recommendation_key(url)
    if key is not None:
        canonical = tree.css_first("link[rel~=canonical i][href]")
        if canonical is not None:
            ckey = recommendation_key(canonical.attributes.get("href") or "")
            if ckey is not None and ckey[1] != key[1]:
                warnings.append(f"{OTHER_RECOMMENDATION}: {ckey[1]}, not {key[1]}")
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


def _shows_listing(content: LexborNode, url: str) -> bool:
    """An id URL (`?p=N`) that answers with a page of titled entries shows a listing.

    Such entries must not be taken for teasers around one recommendation: the page is a
    listing, whatever its URL hinted. A recommendation URL is never a listing.
    """
    if recommendation_key(url) is not None:
        return False
    entries, _ = _listing_entries(content, url, False)
    return len({e.rec_id for e in entries if e.report_title is not None}) >= 2


_LOG_ENDS = ("[/on]", "[/comment]", "[/status]", "[on]")
_UNREAD = "\x00unread"  # no URL: a next page not read yet
_NO_METADATA = PageMetadata()


_PUBLISHED_LINE_RE = re.compile(r"(?:first\s+)?published\b(?!\s+in\b)", re.I)
_URL_TEXT_RE = re.compile(r"^(?:https?://|www\.|/)\S+$", re.I)


def _is_own_url(block: str, url: str) -> bool:
    """Whether a block is a bare address on this site (the page's own, echoed as text)."""
    if _URL_TEXT_RE.match(block) is None:
        return False
    shown = block.strip().rstrip("/").split("://", 1)[-1].removeprefix("www.")
    own = url.strip().rstrip("/").split("://", 1)[-1].removeprefix("www.")
    key = recommendation_key(block.strip())
    return (
        shown == own or own.endswith(shown) or (key is not None and key == recommendation_key(url))
    )


def _may_hold_pairs(full: str) -> bool:
    """Whether the text outside its log could hold a label and its value (a colon, or a label
    the markup paired with its value): most pages hold none, and are spared the look."""
    if PAIR in full or LABELLED in full or SPLIT_PAIR in full or BR_PAIR in full:
        return True
    colon = full.find(":")
    if colon < 0:
        return False
    first = _first_log_token(full)
    if first is None or colon < first.start():
        return True
    last = full.rfind("[")
    if _LOG_TOKEN_RE.match(full, last) is None:
        last = max(full.rfind(tag) for tag in _LOG_ENDS)
    return full.find(":", max(last, first.end())) >= 0


def _first_log_token(full: str) -> re.Match[str] | None:
    """The first log tag of the text (a plain find for "[" first: far cheaper than a search)."""
    at = full.find("[")
    while at >= 0:
        m = _LOG_TOKEN_RE.match(full, at)
        if m is not None:
            return m
        at = full.find("[", at + 1)
    return None


def _blocks_around_log(full: str) -> list[str]:
    """The text's blocks, with everything from the first log tag's block to the last's as one
    block: the log's own, never metadata, and not worth splitting."""
    first = _first_log_token(full)
    if first is None:
        return full.split("\n\n")
    start = full.rfind("\n\n", 0, first.start())
    start = 0 if start < 0 else start + 2
    last = max(full.rfind(tag) for tag in _LOG_ENDS)
    end = full.find("\n\n", max(last, first.end()))
    end = len(full) if end < 0 else end
    head = full[:start].split("\n\n") if start else []
    tail = full[end + 2 :].split("\n\n") if end < len(full) else []
    return [*head, full[start:end], *tail]


_LINKED_DATA_CSS = "script[type='application/ld+json' i]"


def _holds_ld_json(data: bytes) -> bool:
    """Whether `b"ld+json" in data`, found from its "+", which few pages hold: a look for one
    byte runs far faster than a look for several through a heavy theme's bytes."""
    at = data.find(b"+")
    for _ in range(_PLUS_LOOKS):
        if at < 0:
            return False
        if at >= 2 and data.startswith(b"ld+json", at - 2):
            return True
        at = data.find(b"+", at + 1)
    # A page of many "+": the plain look through the rest, in bounded time.
    return at >= 0 and data.find(b"ld+json", max(at - 2, 0)) >= 0


_PLUS_LOOKS = 64
# The regex engine's look for a literal runs through a long page faster than bytes.find.


def _linked_data(tree: LexborHTMLParser, data: bytes, url: str) -> PageMetadata | None:
    """What the page's schema.org JSON-LD scripts say of the page (see jsonld_metadata)."""
    # A plain look first, most pages having none: the type as schema.org and every CMS write
    # it, in lower case.
    if not _holds_ld_json(data):
        return None
    return jsonld_metadata([n.text(deep=True) for n in tree.css(_LINKED_DATA_CSS)], url)


def _merge(first: PageMetadata | None, then: PageMetadata | None) -> PageMetadata | None:
    """What either shows, the first's value where both do."""
    if first is None or then is None:
        return first or then
    return PageMetadata(
        **{k: v if v is not None else getattr(then, k) for k, v in vars(first).items()}
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
    return parsed_page(url=url, page_kind=kind, warnings=warnings, **fields_)


def _without_controls(value: Any) -> Any:
    if isinstance(value, str):
        return CONTROL_RE.sub("", value)
    if isinstance(value, tuple):
        return tuple(_without_controls(v) for v in value)
    if isinstance(value, LogEntry | ListingEntry):
        return replace(value, **{k: _without_controls(v) for k, v in vars(value).items()})
    return value


def _clean(page: ParsedPage) -> ParsedPage:
    """The record with control characters (C0, C1, but tab and newline) taken out of every
    field but the url: a page's bytes stay as they came in the archive, its fields never
    carry them."""
    # Every field read from the content (text, log, listing entries ...) is in content_text
    # but for whitespace, which holds no newline: if it and the fields read from beyond the
    # content are printable, no field holds a control character.
    beyond = (page.report_title, page.force_name, page.reference, page.report_url, page.next_page)
    if page.content_text.isprintable() and all(
        v.isprintable() for v in (*beyond, *(page.themes or ())) if v is not None
    ):
        return page
    fields_ = {k: v for k, v in vars(page).items() if k != "url"}
    return replace(page, **{k: _without_controls(v) for k, v in fields_.items()})


def parse_page(html: str, url: str) -> ParsedPage:
    """Read one page. Never raises: a page it cannot read comes back "unexpected" with a warning."""
    try:
        return _clean(_parse(_as_text(html), _as_text(url)))
    except Exception as exc:  # the contract is a record for every input, so nothing escapes
        return _page_without_record(
            _as_text(url), "unexpected", (f"parser: internal error ({type(exc).__name__})",)
        )


# The parse budget. Lexbor builds a tree in time that grows with the square of its depth, and
# no page of the site nests more than a few dozen elements; a page that nests deeper than this
# is archived as it came and flagged, never read (a page with fewer tags cannot be that deep).
MAX_DEPTH = 3000
_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")
# Elements that never hold others, or that the HTML parser closes by itself (but <option>,
# which lexbor closes in time that grows with the square of their number).
_NOT_NESTING = frozenset(
    ("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
     "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "optgroup",
     "thead", "tbody", "tfoot", "colgroup", "caption", "rb", "rt", "rp", "html", "head", "body")
)  # fmt: skip


def _too_deep(html: str, data: bytes) -> bool:
    """Whether the page nests elements deeper than MAX_DEPTH (a linear scan of its tags);
    `data` is the page as UTF-8, where "<" is counted far faster than in the str."""
    if len(html) <= 3 * MAX_DEPTH or data.count(b"<") <= MAX_DEPTH:
        return False  # "<b>" is the shortest element that nests
    depth = 0
    for m in _TAG_RE.finditer(html):
        if m.group(2).lower() in _NOT_NESTING:
            continue
        if m.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > MAX_DEPTH:
                return True
    return False


# The first letters of _META_LINE_RE's labels that need no colon (published, posted, first
# published, last updated, updated, date), in either case.
_META_INITIALS = frozenset("PpFfLlUuDd")


def _is_banner_line(shown: str) -> bool:
    return len(shown) <= 80 and _BANNER_RE.match(shown) is not None


# A link a web archive rewrote (the Wayback Machine's /web/<14-digit timestamp><modifier>/<URL>,
# absolute, scheme-relative or root-relative) stands for the URL it wraps: every link of an
# archived page is read as the original it points to.
_ARCHIVED_LINK_RE = re.compile(
    r"(?:(?:https?:)?//web\.archive\.org)?/web/\d{14}(?:[a-z]{2}_)?/(?=(?:https?:)?//)", re.I
)


# Word's list paragraphs (pasted from Microsoft Word): a <p> styled mso-list:<list> level<n>
# whose bullet glyph ("·", "o", "§" in a symbol font) sits in a span styled mso-list:Ignore or
# between <!--[if !supportLists]--> and <!--[endif]-->. Each is read as the list item it shows,
# a run of them as one list.
_WORD_LIST_GLYPH_RE = re.compile(
    r"<!--\[if !supportLists\]-->.{0,600}?<!--\[endif\]-->"
    r"|<span[^>]*mso-list:\s*Ignore[^>]*>[^<]{0,40}(?:<span[^>]*>[^<]{0,200}</span>)?</span>",
    re.S | re.I,
)
_WORD_LIST_PARA_RE = re.compile(
    r"(?:<p(?=\s)[^>]*mso-list:(?!\s*Ignore)[^>]*>(?:(?!</?p[\s>]).){0,5000}?</p>\s*)+",
    re.S | re.I,
)
_WORD_LIST_ITEM_RE = re.compile(r"<p(?=\s)[^>]*>((?:(?!</?p[\s>]).)*?)</p>", re.S | re.I)


def _word_list(m: re.Match[str]) -> str:
    return "<ul>" + _WORD_LIST_ITEM_RE.sub(r"<li>\1</li>", m.group(0)) + "</ul>"


def _marked_text(markup: str) -> str:
    """The content's marked text, Word's list paragraphs read as lists (looked for in the
    content's markup only: far less to scan than the page)."""
    if "mso-list" in markup:
        markup = _WORD_LIST_PARA_RE.sub(_word_list, _WORD_LIST_GLYPH_RE.sub("", markup))
    return _html_to_marked_text(markup)


def _parse(html: str, url: str) -> ParsedPage:
    warnings: list[str] = []
    if "/web/" in html:
        html = _ARCHIVED_LINK_RE.sub("", html)
    # The bytes lexbor parses, encoded once (as LexborHTMLParser encodes a str: UTF-8, what
    # cannot be encoded dropped) for the depth check, the tree and a listing's second tree.
    data = html.encode("utf-8", "ignore")
    if _too_deep(html, data):
        key = recommendation_key(url)
        return _page_without_record(
            url,
            "unexpected",
            (f"parser: page nested deeper than {MAX_DEPTH} elements, kept unread",),
            rec_id=key[1] if key else id_from_query(url),
            force=key[0] if key else None,
        )
    tree = LexborHTMLParser(data)
    rec_hint = _rec_hint(tree, url)
    rec_id, force = _page_ids(tree, url, warnings) if rec_hint else (None, None)
    own = (force, rec_id) if force is not None and rec_id is not None else None
    # Structured data, read before any chrome goes: a script or a byline in the body is chrome
    # to the text. JSON-LD says of the page what microdata on its elements says again.
    linked_data = _linked_data(tree, data, url) if rec_hint else None
    if rec_hint and b"itemprop" in data:
        linked_data = _merge(linked_data, microdata_metadata(tree, url))
    rec_url = recommendation_key(url) is not None
    listing_url = not rec_url and bool(_LISTING_URL_RE.search(url))
    # A listing's pagination sits in chrome stripped below: on a listing URL it is read now,
    # from the tree as parsed, rather than from a second tree of the page later.
    next_page = next_page_from_tree(tree, url) if listing_url else _UNREAD
    content = _content_node(tree, one_post=rec_hint)
    markup = content.html or "" if content is not None else ""
    # A type label in the entry's meta line is chrome to the text: keep the markup it is in.
    if content is not None and rec_hint and name_icon_labels(content, markup):
        markup = content.html or ""
    unstripped = markup
    # What chrome taken out of the content showed (an entry footer, a meta box): metadata, if
    # any (on a page that is one recommendation).
    chrome: list[str] = []
    if content is not None and _strip_chrome(content, markup, chrome if rec_hint else None, own):
        markup = content.html or ""
    left_around: list[str] = []
    # Where the title is looked for when it stands apart from the content: the body around it.
    title_scope: LexborNode | None = None
    # The names of a row of links to theme listings taken out with the navigation.
    tag_themes: list[str] = []
    if rec_hint and content is not None and not _shows_listing(content, url):
        # Blocks that show other recommendations, and navigation, are no part of this one.
        if strip_teasers(content, markup, own, url, tag_themes):
            markup = content.html or ""
        if content.tag == "body":
            narrowed, left_around = narrow_body(content, _is_banner_line)
            if narrowed is not content:
                if narrowed.css_first("h1") is None and content.css_first("h1") is not None:
                    title_scope = content  # a title in a hero above the text
                content = narrowed
                markup = content.html or ""
    marked = _marked_text(markup)
    if not marked and tree.body is not None and content is not tree.body:
        # An empty <main> or <article> in an odd theme: fall back to the whole body.
        content = tree.body
        title_scope = None
        markup = content.html or ""
        chrome.clear()
        if _strip_chrome(content, markup, chrome if rec_hint else None, own):
            markup = content.html or ""
        marked = _marked_text(markup)
        warnings.append("content: empty main area, used body")
    if "&" in marked and _ESCAPED_ENTITY_RE.search(marked):
        # WordPress sometimes escapes twice; "&#8211;" on screen means "–".
        marked = " ".join(htmllib.unescape(marked).split())
        warnings.append("text: double-escaped entities")
    full = _marked_to_text(marked)
    report_title, title_shown = _title_from_tree(
        title_scope if title_scope is not None else content,
        tree,
        rec_id,
        markup if title_scope is None else None,
    )
    # Metadata blocks, by their shape, wherever they sit in the content: read, then dropped.
    metadata = None
    if _may_hold_pairs(full) or may_hold_label_run(full):
        meta_blocks, metadata = take_metadata(
            _blocks_around_log(full),
            anchors_of([markup], url),
            rec_id,
            neutral=lambda b: b == title_shown or _is_not_found_line(b.split("\n", 1)[0]),
            force=force,
        )
        if metadata is not None:
            full = "\n\n".join(meta_blocks)
    full = unmark_pairs(full)
    outside_status: str | None = None
    if rec_hint and content is not None and content.tag != "body":
        # A metadata block beside the content (in the article's header, an aside) says as much.
        around = beside(content, own)
        if around:
            kept_around, outside = take_metadata(
                _marked_to_text(_html_to_marked_text("".join(around))).split("\n\n"),
                anchors_of(around, url),
                rec_id,
                force=force,
            )
            metadata = _merge(metadata, outside)
            outside_status = next(
                (_norm(unmark_pairs(b)) for b in kept_around if _is_status_line(unmark_pairs(b))),
                None,
            )
    if chrome:
        # A metadata block in chrome taken out of the content (an aside, the entry's footer).
        _, in_chrome = take_metadata(
            _marked_to_text(_html_to_marked_text(split_inline_pairs("".join(chrome)))).split(
                "\n\n"
            ),
            anchors_of(chrome, url),
            rec_id,
            force=force,
            runs_only=True,
        )
        metadata = _merge(metadata, in_chrome)
    # What the page's JSON-LD says comes after what the page shows.
    metadata = _merge(metadata, linked_data) or _NO_METADATA
    if tag_themes and metadata.themes is None:
        metadata = replace(metadata, themes=tuple(dict.fromkeys(t for t in tag_themes if t)))
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
        if len(first_line) <= 80 and _BANNER_RE.match(first_line):
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
        if has_404_banner and not blocks and _is_own_url(block, url):
            continue  # the page's address, echoed as text under the banner
        if "\n" in block and has_404_banner and not blocks:
            first, rest = block.split("\n", 1)
            if _is_own_url(first, url):
                block = rest.strip()
        blocks.append(block)
    if not has_404_banner:
        for node in tree.css("h1, h2, h3, .page-title, .entry-title"):
            shown = _node_text(node)
            if shown and len(shown) <= 80 and _BANNER_RE.match(shown):
                has_404_banner = not_found_text = True
                break

    if not has_404_banner and any(_BANNER_RE.match(t) for t in left_around if len(t) <= 80):
        has_404_banner = not_found_text = True
    if title_shown is not None and blocks and _norm(blocks[0]) == title_shown:
        blocks.pop(0)
    elif title_shown is not None and title_shown in blocks:
        # What stands above the page's title is no part of the text under it: a caption or
        # kicker naming the kind of page ("Recommendation"), a notice.
        blocks = blocks[blocks.index(title_shown) + 1 :]
    kept: list[str] = []
    for block in blocks:
        # Metadata lines ("Report: ...", "Published: ...") are short single lines.
        # Both need a colon, but a few "Published 9th March 2017" lines (see _META_INITIALS).
        if (
            len(block) <= 420
            and "\n" not in block
            and (":" in block or block[:1] in _META_INITIALS)
        ):
            report = _REPORT_LINE_RE.match(block)
            if report is not None:
                if report_title is None:
                    report_title = report.group(1).strip()
                continue
            if _META_LINE_RE.match(block):
                if metadata.published_on is None and _PUBLISHED_LINE_RE.match(block):
                    # "Published 1 February 2018": the date the page shows it was published.
                    date_match = _DATE_RE.search(block)
                    if date_match is not None:
                        published = _date_from_match(date_match, date_match.group(0))[0]
                        metadata = replace(metadata, published_on=published)
                continue
        if report_title is None and rec_id is not None and not kept and ")" in block[-4:]:
            m = _TITLE_ID_RE.match(block)
            if m is not None and int(m.group("id")) == rec_id and len(block) <= 300:
                report_title = m.group("title").strip()
                continue
        kept.append(block)
    blocks = kept
    if not log and not log_text:
        # No bracket markup: the log may be rendered, one entry per line or element.
        start = rendered_log_start(blocks)
        if start is not None:
            log = read_rendered_log(blocks[start:], log_warnings)
            blocks = blocks[:start]

    # Classify from what the content shows; a recommendation URL is never a listing.
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
            entries = [_read_entry(e, m, url) for e, m in zip(entries, markups, strict=True)]
        return _page_without_record(
            url,
            "listing",
            tuple(warnings),
            has_404_banner=has_404_banner,
            listing_entries=tuple(entries),
            # The pagination sits in chrome stripped above: if not read then, from a fresh tree.
            next_page=next_page_from_tree(LexborHTMLParser(data), url)
            if next_page is _UNREAD
            else next_page,
            content_text=content_text,
        )

    warnings.extend(log_warnings)
    status_line = None
    if log:
        blocks = drop_log_heading([b for b in blocks if not _is_status_line(b)])
    else:
        # Without a log, a status summary line is what carries the status, like a closing line.
        at = next((i for i, b in enumerate(blocks) if _is_status_line(b)), None)
        status_line = _norm(blocks.pop(at)) if at is not None else outside_status
    structure = _read_structure(list(blocks), bool(log), warnings)
    if structure.closing is None and status_line is not None:
        structure.closing = status_line
    is_rec = bool(log) or structure.has_labels or structure.closing is not None
    if not is_rec and rec_hint and blocks:
        # Text-only layout: only a recommendation URL tells us, so demand real text under a banner
        # or beside not-found prose (a theme's 404 or 410 page can list recent posts).
        words = sum(len(b.split()) for b in blocks)
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
    if report_title is None:
        report_title = metadata.report_title
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
    return parsed_page(
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
        **metadata.record_fields(),
    )
