"""Structured data a page carries for machines: schema.org JSON-LD and microdata -> PageMetadata.

This module owns reading the metadata a page states in schema.org terms rather than shows in a
labelled block: a `<script type="application/ld+json">` graph (in the head or anywhere), and
`itemprop` attributes on visible elements (a byline "Reference <span itemprop=identifier>").
Only the item that is the page's own recommendation is read: page-level nodes (the web page,
the site, its breadcrumbs, organisations and people) say nothing of it, and an item that
links another recommendation (a related teaser) is that one's. The properties mean:
identifier -> reference, about / recipient -> force_name, isPartOf -> report_url and
report_title, datePublished -> published_on, keywords -> themes. Values the page also shows
in a labelled block are read there first (page.py merges).
"""

from __future__ import annotations

import json
import re
from typing import Any
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
_FIELDS = ("identifier", "about", "recipient", "ispartof", "datepublished", "keywords")


def _same_page(href: str, url: str) -> bool:
    return href.split("#", 1)[0].rstrip("/") == url.split("#", 1)[0].rstrip("/")


def _iso(value: str) -> str | None:
    value = value.strip()
    m = _ISO_RE.match(value)
    if m is not None:
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    shown = _DATE_RE.search(value)
    return _date_from_match(shown, shown.group(0))[0] if shown is not None else None


def _text(value: Any) -> str | None:
    """A property's value as a display string (a name of a nested item, a PropertyValue)."""
    if isinstance(value, list):
        return next((t for t in (_text(v) for v in value) if t), None)
    if isinstance(value, dict):
        for key in ("name", "value", "alternateName"):
            if isinstance(value.get(key), str | int) and str(value[key]).strip():
                return " ".join(str(value[key]).split())
        return None
    if isinstance(value, str | int) and not isinstance(value, bool):
        return " ".join(str(value).split()) or None
    return None


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k.lower().rsplit("/", 1)[-1] for k in kinds if isinstance(k, str)}


def _ld_nodes(data: Any, out: list[dict[str, Any]], depth: int = 0) -> None:
    """Every top-level item of a JSON-LD document ("@graph" members, lists of items)."""
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            _ld_nodes(item, out, depth + 1)
    elif isinstance(data, dict):
        if "@graph" in data:
            _ld_nodes(data["@graph"], out, depth + 1)
        else:
            out.append(data)


def _from_ld(node: dict[str, Any], url: str) -> dict[str, object]:
    found: dict[str, object] = {}
    lowered = {k.lower(): v for k, v in node.items() if isinstance(k, str)}
    ref = _text(lowered.get("identifier"))
    if ref:
        found["reference"] = ref
    force = _text(lowered.get("about")) or _text(lowered.get("recipient"))
    if force:
        found["force_name"] = force
    part = lowered.get("ispartof")
    for item in part if isinstance(part, list) else [part]:
        href = item if isinstance(item, str) else None
        if isinstance(item, dict):
            href = item.get("url") if isinstance(item.get("url"), str) else item.get("@id")
        if isinstance(href, str) and href.strip() and not _same_page(href, url):
            if "#" in href:
                continue  # a node of the site's own graph ("/#website"), not a report
            try:
                found["report_url"] = urljoin(url, href.strip())
            except ValueError:
                continue
            title = _text(item.get("name")) if isinstance(item, dict) else None
            if title:
                found["report_title"] = title
            break
    published = lowered.get("datepublished")
    if isinstance(published, str) and (iso := _iso(published)) is not None:
        found["published_on"] = iso
    keywords = lowered.get("keywords")
    names: list[str] = []
    for item in keywords if isinstance(keywords, list) else [keywords]:
        shown = _text(item)
        if shown:
            names.extend(n for n in _KEYWORD_SPLIT_RE.split(shown) if n and n not in names)
    if names:
        found["themes"] = tuple(names)
    return found


def json_ld_metadata(tree: LexborHTMLParser, url: str) -> PageMetadata | None:
    """What the page's JSON-LD says of the recommendation it is, or None."""
    found: dict[str, object] = {}
    own = recommendation_key(url)
    for script in tree.css("script[type]"):
        if "ld+json" not in (script.attributes.get("type") or "").lower():
            continue
        try:
            data = json.loads(script.text() or "")
        except ValueError:
            continue
        nodes: list[dict[str, Any]] = []
        _ld_nodes(data, nodes)
        for node in nodes:
            if _types(node) & _PAGE_LEVEL_TYPES:
                continue
            item_url = node.get("url") if isinstance(node.get("url"), str) else None
            if item_url is not None and not _same_page(item_url, url):
                key = recommendation_key(item_url)
                if key is not None and key != own:
                    continue  # another recommendation's item
            for name, value in _from_ld(node, url).items():
                found.setdefault(name, value)
    return PageMetadata(**found) if found else None  # type: ignore[arg-type]


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
                value = attrs.get("content") or _shown(inner if inner is not None else node)
                if value:
                    found.setdefault("force_name", value)
            elif name == "ispartof":
                link = node if node.tag == "a" else node.css_first("a[href]")
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
