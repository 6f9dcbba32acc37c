"""Listing pages: the recommendations a theme listing or index shows, each read as a page is.

This module owns finding the entries ("<Report title> (<id>)" titles in headings, links, bold
text, named title elements or paragraphs; bare recommendation links), the markup each entry
shows under its title, and reading that into the entry's text, log and metadata.
"""

from __future__ import annotations

import html as htmllib
import re
from functools import lru_cache
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.discover import (
    canonical_url,
    recommendation_key,
)
from scraper.parse.content import _has_ancestor, _points_away, _site_of
from scraper.parse.log import (
    _current_status,
    _LogReader,
    _split_log,
    read_rendered_log,
    rendered_log_start,
)
from scraper.parse.metadata import anchors_of, take_metadata
from scraper.parse.records import ListingEntry, PageMetadata, replaced_entry
from scraper.parse.structure import (
    _META_LINE_RE,
    _RECOMMENDING_RE,
    _TITLE_ID_RE,
    _is_status_line,
    _map_closing,
    _node_text,
    _read_structure,
    drop_log_heading,
)
from scraper.parse.text import _ANY_TAG_RE, _html_to_marked_text, _marked_to_text, unmark_pairs

_GENERIC_LINK_RE = re.compile(
    r"^(?:read\s+more|more|view|details|see\s+more|continue\s+reading"
    r"|(?:view|see|read|open)(?:\s+(?:the|this|full))*\s+(?:recommendation|details|more|entry|post)"
    r"|(?:full\s+)?recommendation|permalink|link)\W*$",
    re.I,
)


_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6", "dt"))


@lru_cache(maxsize=4096)  # a listing links each entry more than once, and pages repeat links
def _resolve(base: str, href: str) -> str | None:
    """The canonical absolute http(s) URL of a link, or None."""
    try:
        link = canonical_url(urljoin(base, href))
    except ValueError:
        return None
    return link if link.startswith(("http://", "https://")) else None


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
        return _resolve(base, href.strip())

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
    # Where two or more titled entries are shown, the listing is where they are: a bare link
    # beside them (a sidebar of related recommendations) is no entry of it.
    titled_nodes = [n for n in nodes if n is not None]
    holds: dict[int, int] = {}
    if len(titled_nodes) >= 2:
        for title in titled_nodes:
            parent = title.parent
            while parent is not None:
                holds[parent.mem_id] = holds.get(parent.mem_id, 0) + 1
                parent = parent.parent
    # Recommendation links without a "(id)" title: the id comes from the URL.
    for node in content.css("a[href]"):
        link = resolve(node.attributes.get("href"))
        if link is None or link in seen_urls:
            continue
        key_ = recommendation_key(link)
        if key_ is None:
            continue
        if holds and not _inside_an_entry(node, holds):
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


def _inside_an_entry(node: LexborNode, holds: dict[int, int]) -> bool:
    """Whether a node sits in an element that holds exactly one entry's title (the entry's
    own container), rather than among the entries or beside them."""
    parent = node.parent
    while parent is not None:
        count = holds.get(parent.mem_id, 0)
        if count == 1:
            return True
        if count > 1:
            return False
        parent = parent.parent
    return False


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
        # The entry's own box is its wrapper, not what it shows: a <li> per entry is no bullet.
        own = (top.inner_html or "").replace(title.html or "", "", 1) if top is not title else ""
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


_ENTRY_ANCHOR_RE = re.compile(r"<a\s[^>]*?href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.S)


def _without_pointers(blocks: list[str], markup: str, base: str) -> list[str]:
    """An entry's blocks less rows of links that lead away from it (a share row: "Share this
    Facebook X Email"), as a page's content loses them: a short lead and two or more links,
    each off the site or no page at all, and no sentence."""
    site = _site_of(base)
    away: list[str] = []
    for href, inner in _ENTRY_ANCHOR_RE.findall(markup):
        shown = " ".join(htmllib.unescape(_ANY_TAG_RE.sub("", inner)).split())
        if shown and _points_away(htmllib.unescape(href), site):
            away.append(shown)
    if len(away) < 2:
        return blocks
    kept = []
    for block in blocks:
        rest, found = block, 0
        for shown in away:
            if shown in rest:
                rest = rest.replace(shown, " ", 1)
                found += 1
        rest = " ".join(rest.split())
        if found >= 2 and "\n" not in block and len(rest) <= 30 and not rest.endswith("."):
            continue
        kept.append(block)
    return kept


def _read_entry(entry: ListingEntry, markup: str, base: str) -> ListingEntry:
    """A listing entry with the text, log and metadata its markup shows, read as a page's
    content is."""
    # The entry's own links ("View recommendation") and the listing's pagination are not
    # what the entry says, wherever they stand, the log's end included.
    shown = [
        b
        for b in _marked_to_text(_html_to_marked_text(markup)).split("\n\n")
        if b.strip() and not _GENERIC_LINK_RE.match(b) and not _PAGINATION_RE.match(b)
    ]
    if shown and "<a " in markup:
        shown = _without_pointers(shown, markup, base)
    if not shown:
        return entry
    key = recommendation_key(entry.url) if entry.url else None
    shown, metadata = take_metadata(
        shown, anchors_of([markup], base), entry.rec_id, True, force=key[0] if key else None
    )
    metadata = metadata or PageMetadata()
    shown = [unmark_pairs(b) for b in shown]
    pre, log_text = _split_log("\n\n".join(shown))
    warnings: list[str] = []
    reader = _LogReader(warnings)
    if log_text:
        reader.read(log_text)
    log = reader.entries
    blocks = [b for b in (b.strip() for b in pre.split("\n\n")) if b and not _META_LINE_RE.match(b)]
    if not log and not log_text:
        start = rendered_log_start(blocks)
        if start is not None:
            log = read_rendered_log(blocks[start:], warnings)
            blocks = blocks[:start]
    if log:
        blocks = drop_log_heading([b for b in blocks if not _is_status_line(b)])
    structure = _read_structure(blocks, bool(log), warnings)
    if log:
        status, status_date = _current_status(log)
    elif structure.closing is not None:
        status, status_date = _map_closing(structure.closing), None
    else:
        status = status_date = None
    return replaced_entry(
        entry,
        report_title=entry.report_title or metadata.report_title,
        **metadata.record_fields(),
        text=structure.text,
        cause_of_concern=structure.cause,
        log=tuple(log),
        current_status=status,
        status_date=status_date,
        warnings=tuple(warnings),
    )
