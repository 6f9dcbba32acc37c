"""schema.org microdata on a page's elements -> PageMetadata.

This module owns reading the metadata a page states with `itemprop` attributes on its elements
rather than in a labelled block (a byline "Reference <span itemprop=identifier>..., made to
<span itemprop=about>..."), wherever they sit, chrome included; the JSON-LD equivalent is
metadata.jsonld_metadata. Only the item that is the page's own recommendation is read:
page-level items (the web page, the site, its breadcrumbs, organisations and people) say
nothing of it, and an item that links another recommendation (a related teaser) is that one's.
The properties mean: identifier -> reference, about / recipient -> force_name (its name),
isPartOf -> report_url and report_title, datePublished -> published_on, keywords -> themes.
Values the page also shows in a labelled block are read there first (page.py merges).
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import urljoin

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.discover import recommendation_key
from scraper.parse.dates import _DATE_RE, _date_from_match
from scraper.parse.records import PageMetadata

# Nodes about the page, the site or the people behind it: never the recommendation itself.
_PAGE_LEVEL_TYPES = frozenset(
    ("webpage", "website", "breadcrumblist", "listitem", "organization", "person",
     "imageobject", "searchaction", "readaction", "itemlist", "collectionpage",
     "sitenavigationelement", "wpheader", "wpfooter", "wpsidebar", "searchresultspage",
     "profilepage", "aboutpage", "contactpage", "governmentorganization", "entrypoint")
)  # fmt: skip
_ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_KEYWORD_SPLIT_RE = re.compile(r"\s*[,;]\s*")
_SLUG_SEP_RE = re.compile(r"[^a-z0-9]+")
_FIELDS = ("identifier", "about", "recipient", "ispartof", "datepublished", "keywords")


def _same_page(href: str, url: str) -> bool:
    return href.split("#", 1)[0].rstrip("/") == url.split("#", 1)[0].rstrip("/")


def _iso(value: str) -> str | None:
    value = value.strip()
    m = _ISO_RE.match(value)
    if m is not None:
        try:
            return date(*map(int, m.groups())).isoformat()
        except ValueError:
            return None  # no such day
    shown = _DATE_RE.search(value)
    return _date_from_match(shown, shown.group(0))[0] if shown is not None else None


def _scope_of(node: LexborNode) -> LexborNode | None:
    parent = node.parent
    while parent is not None:
        if "itemscope" in parent.attributes:
            return parent
        parent = parent.parent
    return None


def _shows_other(scope: LexborNode, own: tuple[str, int] | None) -> bool:
    for a in scope.css("a[href]"):
        key = recommendation_key(a.attributes.get("href") or "")
        if key is not None and key != own:
            return True
    return False


def _shown(node: LexborNode) -> str:
    return " ".join(node.text(deep=True, separator=" ", strip=True).split())


def microdata_metadata(tree: LexborHTMLParser, url: str) -> PageMetadata | None:
    """What the page's schema.org microdata says of the recommendation it is, or None."""
    own = recommendation_key(url)
    found: dict[str, object] = {}
    themes: list[str] = []
    checked: dict[int, bool] = {}
    for node in tree.css("[itemprop]"):
        names = (node.attributes.get("itemprop") or "").lower().split()
        wanted = [n for n in names if n in _FIELDS]
        if not wanted:
            continue
        scope = _scope_of(node)
        if scope is not None:
            if scope.mem_id not in checked:
                kinds = (scope.attributes.get("itemtype") or "").lower()
                page_level = any(kinds.rstrip("/").endswith("/" + t) for t in _PAGE_LEVEL_TYPES)
                checked[scope.mem_id] = page_level or _shows_other(scope, own)
            if checked[scope.mem_id]:
                continue
        attrs = node.attributes
        for name in wanted:
            if name == "identifier":
                value = attrs.get("content") or _shown(node)
                if value:
                    found.setdefault("reference", value)
            elif name in ("about", "recipient"):
                inner = node.css_first("[itemprop~=name]") if "itemscope" in attrs else None
                shown_by = inner if inner is not None else node
                value = shown_by.attributes.get("content") or _shown(shown_by)
                # What the page is about is a force only as an organisation, or when it names
                # the force the page's address files it under (else it is a topic).
                kind = (attrs.get("itemtype") or "").lower()
                named = own is not None and own[0] in _SLUG_SEP_RE.sub("-", value.lower())
                if value and ("organization" in kind or named):
                    found.setdefault("force_name", value)
            elif name == "ispartof":
                # The item's own address (<a>, <link>), else a link inside it.
                link = node if "href" in attrs else node.css_first("a[href]")
                href = (link.attributes.get("href") or "") if link is not None else ""
                if href.strip() and "report_url" not in found and not _same_page(href, url):
                    try:
                        found["report_url"] = urljoin(url, href.strip())
                    except ValueError:
                        continue
                    title = _shown(link) if link is not None else ""
                    if title:
                        found["report_title"] = title
            elif name == "datepublished":
                iso = _iso(attrs.get("datetime") or attrs.get("content") or _shown(node))
                if iso is not None:
                    found.setdefault("published_on", iso)
            elif name == "keywords":
                value = attrs.get("content") or _shown(node)
                themes.extend(n for n in _KEYWORD_SPLIT_RE.split(value) if n and n not in themes)
    if themes:
        found["themes"] = tuple(themes)
    return PageMetadata(**found) if found else None  # type: ignore[arg-type]
