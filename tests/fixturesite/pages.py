# ruff: noqa: E501  (HTML templates read best as the markup they produce)
"""Renders the fixture site's pages from SiteData: WordPress-like HTML, sitemaps, robots.txt.

`resolve(data, state, path, base_url)` maps one request path to a `Page` (status, body template,
validators). Bodies contain GENERATED where the footer's per-request timestamp goes, so the
ETag is computed over the stable content only. The HTML carries the mess a real WordPress page
has: wpautop splitting the log markup across <p> elements, texturize entities (&#8217; &#8211;
&amp;), &nbsp;, stray whitespace. No I/O, no clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import parse_qs, urlsplit

from tests.fixturesite.catalogue import (
    BANNER_200,
    BANNER_404,
    FORCES,
    SYNTHETIC_THEME,
    SiteData,
)
from tests.fixturesite.model import (
    GONE,
    LIVE,
    MOVED,
    NOT_FOUND,
    SOFT_404,
    UL,
    Entry,
    Inline,
    P,
    Rec,
)

GENERATED = "\x00GENERATED\x00"
HTML_TYPE = "text/html; charset=UTF-8"
XML_TYPE = "application/xml; charset=UTF-8"
SITE_EPOCH = dt.datetime(2024, 1, 15, 8, 0, tzinfo=dt.UTC)
LATER_EPOCH = dt.datetime(2025, 3, 3, 9, 30, tzinfo=dt.UTC)

ROBOTS_TXT = """\
User-agent: *
Disallow: /hmicfrs/wp-admin/
Allow: /hmicfrs/wp-admin/admin-ajax.php
Disallow: /hmicfrs/private/
Disallow: /hmicfrs/recommendation/west-moorland/3017/

Sitemap: {base}/wp-sitemap.xml
"""

OTHER_PAGES = {
    "/hmicfrs/about-us/": (
        "About us",
        "We inspect police forces and fire and rescue services in the public interest.",
    ),
    "/hmicfrs/publications/": (
        "Publications",
        "Our reports, and the recommendations we make in them, are listed by theme.",
    ),
}


@dataclass(frozen=True)
class Page:
    """One response the site would give for a path in a state (faults aside)."""

    status: int
    body: str  # may contain GENERATED
    content_type: str = HTML_TYPE
    last_modified: dt.datetime | None = None  # set only on pages that carry validators
    location: str | None = None

    @cached_property
    def etag(self) -> str | None:
        if self.last_modified is None:
            return None
        digest = hashlib.sha256(self.body.encode("utf-8")).hexdigest()[:24]
        return f'"{digest}"'

    def render(self, now: str) -> str:
        return self.body.replace(GENERATED, now)


# --- text helpers -----------------------------------------------------------------------------

_TEXTURIZE = {
    "’": "&#8217;",
    "‘": "&#8216;",
    "“": "&#8220;",
    "”": "&#8221;",
    "–": "&#8211;",
    "—": "&#8212;",
    "\xa0": "&nbsp;",
}
_TEXTURIZE_RE = re.compile("|".join(map(re.escape, _TEXTURIZE)))


def esc(text: str, literal: bool = False) -> str:
    """Text as WordPress prints it: &amp;, and typographic characters as numeric entities.

    `literal` keeps typographic characters as characters (used to produce 8-bit charsets).
    """
    out = html.escape(text, quote=False)
    if literal:
        return out.replace("\xa0", "&nbsp;")
    return _TEXTURIZE_RE.sub(lambda m: _TEXTURIZE[m.group(0)], out)


def attr(text: str) -> str:
    """An attribute value; WordPress writes & in URLs as &#038;."""
    return html.escape(text, quote=True).replace("&amp;", "&#038;")


_BLOCK_START = ("<ul", "<ol", "<h1", "<h2", "<h3", "<h4", "<div", "<table")


def wpautop(source: str) -> str:
    """A small cousin of WordPress's wpautop: blank lines make paragraphs, newlines <br />."""
    out = []
    for chunk in re.split(r"\n\s*\n", source.strip("\n")):
        if not chunk.strip():
            continue
        stripped = chunk.lstrip()
        if stripped.startswith(_BLOCK_START):
            out.append(stripped)
        elif stripped.startswith("<blockquote>"):
            inner = stripped.removeprefix("<blockquote>").removesuffix("</blockquote>")
            out.append(f"<blockquote><p>{inner}</p></blockquote>")
        else:
            out.append("<p>" + chunk.replace("\n", "<br />\n") + "</p>")
    return "\n".join(out)


# --- recommendation content ------------------------------------------------------------------


def _block_source(block: P | UL | Inline, literal: bool) -> str:
    if isinstance(block, P):
        return esc(block.text, literal)
    if isinstance(block, UL):
        items = "\n".join(f"\t<li>{esc(i, literal)}</li>" for i in block.items)
        return f"<ul>\n{items}\n</ul>"
    # Bullets run together: "• one\xa0• two • three", the way pasted text arrives.
    sep = [" ", "\xa0", " "]
    parts = []
    for i, item in enumerate(block.items):
        lead = "" if i == 0 else sep[i % len(sep)]
        parts.append(f"{lead}{block.char} {item}")
    return esc("".join(parts), literal)


def _entry_source(entry: Entry, literal: bool) -> str:
    date = entry.display_date
    if entry.kind == "status":
        opening = "" if entry.broken else "[status]"
        return f"[on]{date} {opening}{esc(entry.body, literal)}[/status][/on]"
    paras = []
    for para in entry.paragraphs():
        if para.startswith("> "):
            paras.append(f"<blockquote>{esc(para[2:], literal)}</blockquote>")
        else:
            paras.append(esc(para, literal))
    opening = "" if entry.broken else "[comment]"
    if entry.inline and len(paras) == 1:
        return f"[on]{date} {opening}{paras[0]}[/comment][/on]"
    return f"[on]{date} {opening}\n\n" + "\n\n".join(paras) + "\n\n[/comment][/on]"


def content_source(rec: Rec, literal: bool = False) -> str:
    """The post's source as an editor would have typed it (before wpautop)."""
    chunks: list[str] = []
    if rec.layout == 2:
        chunks.append("<h3>Cause of concern</h3>")
        chunks.append(esc(rec.concern or "", literal))
    elif rec.layout == 3:
        chunks.append("<h3>Causes of concern</h3>")
        chunks.append(esc(rec.concern or "", literal))
        chunks.append(f"<h3>Recommendation&nbsp;{rec.rec_number}</h3>")
    chunks.extend(_block_source(b, literal) for b in rec.text)
    if rec.layout == 2:
        chunks.extend(esc(p, literal) for p in rec.progress)
        chunks.append(f"<strong>{esc(rec.closing or '', literal)}</strong>")
    if rec.log:
        chunks.append("".join(_entry_source(e, literal) for e in rec.log))
    return "\n\n".join(chunks)


def content_html(rec: Rec, literal: bool = False) -> str:
    html_ = wpautop(content_source(rec, literal))
    if rec.cosmetic:
        # Same text, different bytes: re-indented blocks and padded paragraphs.
        html_ = html_.replace("\n", "\n\n\t\t").replace("<p>", "<p> ").replace("</p>", " </p>")
    return html_


# --- page chrome -----------------------------------------------------------------------------


def _chrome(
    base: str,
    title: str,
    main: str,
    *,
    body_class: str,
    canonical: str | None = None,
    head_extra: str = "",
    charset: str | None = "UTF-8",
) -> str:
    meta_charset = f'<meta charset="{charset}" />\n' if charset else ""
    canonical_link = f'<link rel="canonical" href="{attr(canonical)}" />\n' if canonical else ""
    return f"""<!DOCTYPE html>
<html lang="en-GB" class="no-js">
<head>
{meta_charset}<meta name="viewport" content="width=device-width, initial-scale=1" />
<title>{esc(title)} &#8211; HMICFRS</title>
{canonical_link}{head_extra}<link rel='stylesheet' id='hmicfrs-style-css' href='{base}/hmicfrs/wp-content/themes/hmicfrs/style.css?ver=6.4.3' type='text/css' media='all' />
<script type="text/javascript">document.documentElement.className = 'js';</script>
</head>
<body class="{body_class}">
<div id="cookie-banner" class="cookie-banner" role="region" aria-label="Cookies on this site">
  <p>We use some essential cookies to make this website work. We&#8217;d also like to set analytics cookies to understand how you use it.</p>
  <button type="button" class="cookie-accept">Accept analytics cookies</button> <button type="button" class="cookie-reject">Reject analytics cookies</button>
</div>
<a class="skip-link screen-reader-text" href="#main">Skip to content</a>
<header id="masthead" class="site-header">
  <div class="site-branding"><a href="{base}/hmicfrs/" rel="home">HM Inspectorate of Constabulary and Fire &amp; Rescue Services</a></div>
  <nav id="site-navigation" class="main-navigation" aria-label="Main">
    <ul id="primary-menu" class="menu">
      <li class="menu-item"><a href="{base}/hmicfrs/about-us/">About us</a></li>
      <li class="menu-item"><a href="{base}/hmicfrs/publications/">Publications</a></li>
      <li class="menu-item"><a href="{base}/hmicfrs/?recommendation-theme=harm">Recommendations</a></li>
    </ul>
  </nav>
</header>
<main id="main" class="site-main" role="main">
{main}
</main>
<footer id="colophon" class="site-footer">
  <p>&copy; Crown copyright. All content is available under the Open Government Licence v3.0, except where otherwise stated.</p>
  <p class="page-generated">Page generated at {GENERATED}</p>
</footer>
</body>
</html>
"""


def _not_found_section(message: str = "404 Page not found") -> str:
    return f"""<section class="error-404 not-found">
  <header class="page-header"><h1 class="page-title">{message}</h1></header>
</section>"""


def _meta_line(rec: Rec, base: str) -> str:
    force_name = FORCES.get(rec.force, rec.force)
    return (
        f'<div class="entry-meta"><span class="rec-type">{esc(rec.rec_type)}</span> '
        f'<span class="sep">|</span> <span class="rec-force">Force: '
        f'<a href="{base}/hmicfrs/recommendation/{rec.force}/">{esc(force_name)}</a></span> '
        f'<span class="sep">|</span> <span class="rec-ref">Reference: {rec.rec_id}</span></div>'
    )


def _article_classes(rec: Rec) -> str:
    themes = " ".join(f"recommendation-theme-{t}" for t in rec.themes)
    return (
        f"post-{rec.rec_id} recommendation type-recommendation status-publish hentry {themes}"
    ).strip()


def rec_page_html(rec: Rec, base: str, literal: bool = False, charset: str | None = "UTF-8") -> str:
    """A single recommendation page (live, or with the 404 banner)."""
    banner = _not_found_section() + "\n" if rec.mode in (BANNER_200, BANNER_404) else ""
    share = ""
    if rec.cosmetic:
        share = (
            '\n<aside class="share-links"><h2 class="screen-reader-text">Share this page</h2>'
            f'<a href="mailto:?subject=Recommendation%20{rec.rec_id}">Email</a></aside>'
        )
    article = f"""{banner}<article id="post-{rec.rec_id}" class="{_article_classes(rec)}">
  <header class="entry-header">
    <h1 class="entry-title">{esc(rec.title, literal)}</h1>
    {_meta_line(rec, base)}
  </header>
  <div class="entry-content">
{content_html(rec, literal)}
  </div>
</article>{share}"""
    return _chrome(
        base,
        rec.title if not banner else "Page not found",
        article,
        body_class=f"recommendation-template-default single single-recommendation "
        f"postid-{rec.rec_id}" + (" error404" if banner else ""),
        canonical=base + rec.path,
        charset=charset,
    )


def not_found_html(base: str, *, nothing_found: bool = False) -> str:
    """WordPress's 404 page; `nothing_found` is the wording for a query that matched nothing."""
    if nothing_found:
        main = """<section class="no-results not-found">
  <header class="page-header"><h1 class="page-title">Nothing found</h1></header>
  <div class="page-content"><p>It seems we can&#8217;t find what you&#8217;re looking for. Perhaps searching can help.</p></div>
</section>"""
        title = "Nothing found"
    else:
        main = (
            _not_found_section()
            + """
<div class="page-content"><p>It looks like nothing was found at this location. Try the links above, or a search.</p></div>"""
        )
        title = "Page not found"
    return _chrome(base, title, main, body_class="error404")


def gone_html(base: str) -> str:
    main = """<section class="error-410 gone">
  <header class="page-header"><h1 class="page-title">Gone</h1></header>
  <div class="page-content"><p>This page has been removed and will not be coming back.</p></div>
</section>"""
    return _chrome(base, "Gone", main, body_class="error410")


def html500(base: str) -> str:
    main = """<div class="wp-die-message"><h1>There has been a critical error on this website.</h1>
<p><a href="https://wordpress.org/documentation/article/faq-troubleshooting/">Learn more about troubleshooting WordPress.</a></p></div>"""
    return _chrome(base, "WordPress &rsaquo; Error", main, body_class="wp-core-ui")


def error_html(status: int, reason: str) -> str:
    return (
        f"<html><head><title>{status} {reason}</title></head><body><center><h1>{status} "
        f"{reason}</h1></center><hr><center>nginx</center></body></html>\n"
    )


# --- listings --------------------------------------------------------------------------------


def listing_url(base: str, theme: str, page: int) -> str:
    url = f"{base}/hmicfrs/?recommendation-theme={theme}"
    return url if page == 1 else f"{url}&paged={page}"


def _entry_html(rec: Rec, base: str) -> str:
    return f"""<article id="post-{rec.rec_id}" class="{_article_classes(rec)}">
  <header class="entry-header">
    <h2 class="entry-title"><a href="{attr(base + rec.listed_path)}" rel="bookmark">{esc(rec.title)} ({rec.rec_id})</a></h2>
  </header>
  <div class="entry-content">
{content_html(rec)}
  </div>
</article>"""


def _paged_listing(
    recs: list[Rec],
    page: int,
    pages: int,
    url_of: Callable[[int], str],
    title: str,
    base: str,
    body_class: str,
    banner: str = "",
) -> str:
    nav = []
    head_links = []
    if page > 1:
        prev = url_of(page - 1)
        nav.append(f'<a class="prev page-numbers" href="{attr(prev)}" rel="prev">Previous page</a>')
        head_links.append(f'<link rel="prev" href="{attr(prev)}" />')
    nav.append(f'<span aria-current="page" class="page-numbers current">{page}</span>')
    if page < pages:
        nxt = url_of(page + 1)
        nav.append(f'<a class="next page-numbers" href="{attr(nxt)}" rel="next">Next page</a>')
        head_links.append(f'<link rel="next" href="{attr(nxt)}" />')
    main = (
        banner
        + f'<header class="page-header"><h1 class="page-title">{esc(title)}</h1></header>\n'
        + "\n".join(_entry_html(rec, base) for rec in recs)
        + '\n<nav class="navigation pagination" aria-label="Posts"><div class="nav-links">'
        + " ".join(nav)
        + "</div></nav>"
    )
    return _chrome(
        base,
        title if page == 1 else f"{title} &#8211; Page {page}",
        main,
        body_class=body_class + (f" paged paged-{page}" if page > 1 else ""),
        canonical=url_of(page),
        head_extra="".join(link + "\n" for link in head_links),
    )


def listing_html(data: SiteData, state: str, theme: str, page: int, base: str) -> str:
    title = f"Recommendations: {theme.replace('-', ' ').capitalize()}"
    return _paged_listing(
        data.listing_page(state, theme, page),
        page,
        data.listing_pages(state, theme),
        lambda n: listing_url(base, theme, n),
        title,
        base,
        f"archive tax-recommendation-theme term-{theme}",
    )


def plural_url(base: str, page: int) -> str:
    return f"{base}/hmicfrs/recommendations/" + (f"page/{page}/" if page > 1 else "")


def plural_html(data: SiteData, state: str, page: int, base: str) -> str:
    """The plural index: every listed rec, newest first, under the site's 404 banner."""
    return _paged_listing(
        data.plural_page(state, page),
        page,
        data.plural_pages(state),
        lambda n: plural_url(base, n),
        "Recommendations",
        base,
        "archive post-type-archive-recommendation error404",
        _not_found_section() + "\n",
    )


def _listing_modified(data: SiteData, state: str, theme: str, page: int) -> dt.datetime:
    recs = data.listing_page(state, theme, page)
    stamp = max([SITE_EPOCH, *(r.last_modified for r in recs)])
    if state != "initial" and theme != SYNTHETIC_THEME:
        before = [r.rec_id for r in data.listing_page("initial", theme, page)]
        if before != [r.rec_id for r in recs]:
            stamp = max(stamp, LATER_EPOCH)
    return stamp


# --- sitemaps --------------------------------------------------------------------------------


def sitemap_index_xml(data: SiteData, state: str, base: str) -> str:
    maps = [
        f"<sitemap><loc>{base}/wp-sitemap-recommendation-{n}.xml</loc></sitemap>"
        for n in range(1, data.sitemap_files(state) + 1)
    ]
    maps.append(f"<sitemap><loc>{base}/wp-sitemap-posts-page-1.xml</loc></sitemap>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<?xml-stylesheet type="text/xsl" href="{base}/wp-sitemap-index.xsl" ?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(maps)
        + "</sitemapindex>\n"
    )


def _urlset(base: str, rows: list[str]) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<?xml-stylesheet type="text/xsl" href="{base}/wp-sitemap.xsl" ?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(rows)
        + "</urlset>\n"
    )


def sitemap_recs_xml(data: SiteData, state: str, number: int, base: str) -> tuple[str, dt.datetime]:
    rows = []
    stamp = SITE_EPOCH
    for rec in data.sitemap_recs(state, number):
        lm = data.sitemap_lastmod(state, rec)
        stamp = max(stamp, rec.last_modified)
        loc = base + rec.listed_path
        rows.append(f"<url><loc>{loc}</loc><lastmod>{lm.isoformat()}</lastmod></url>")
    if state != "initial" and number == 1:
        stamp = max(stamp, LATER_EPOCH)
    return _urlset(base, rows), stamp


# --- routing ---------------------------------------------------------------------------------

_P_QUERY = re.compile(r"^\d+$")


def resolve(data: SiteData, state: str, path: str, base: str, *, robots: str | None = None) -> Page:
    """The page the site answers at `path` (with its query) in `state`."""
    parts = urlsplit(path)
    route, query = parts.path, parse_qs(parts.query, keep_blank_values=True)

    if route == "/robots.txt":
        text = (robots if robots is not None else ROBOTS_TXT).replace("{base}", base)
        return Page(200, text, "text/plain; charset=utf-8", SITE_EPOCH)

    if route in ("/wp-sitemap.xml", "/hmicfrs/wp-sitemap.xml") and not query:
        return Page(200, sitemap_index_xml(data, state, base), XML_TYPE, SITE_EPOCH)
    m = re.fullmatch(r"/wp-sitemap-recommendation-(\d+)\.xml", route)
    if m and not query:
        number = int(m.group(1))
        if 1 <= number <= data.sitemap_files(state):
            body, stamp = sitemap_recs_xml(data, state, number, base)
            return Page(200, body, XML_TYPE, stamp)
        return Page(404, not_found_html(base))
    if route == "/wp-sitemap-posts-page-1.xml" and not query:
        rows = [f"<url><loc>{base}{p}</loc></url>" for p in OTHER_PAGES]
        return Page(200, _urlset(base, rows), XML_TYPE, SITE_EPOCH)

    if route == "/hmicfrs/" and query:
        return _resolve_query(data, state, query, base)
    m = re.fullmatch(r"/hmicfrs/recommendations/(?:page/(\d+)/)?", route)
    if m and not query:
        page = int(m.group(1) or 1)
        if not 1 <= page <= data.plural_pages(state):
            return Page(404, not_found_html(base))
        recs = data.plural_page(state, page)
        stamp = max([SITE_EPOCH, *(r.last_modified for r in recs)])
        return Page(200, plural_html(data, state, page, base), last_modified=stamp)
    if route in ("/", "/hmicfrs", "/hmicfrs/"):
        return _home(data, base)
    if route in OTHER_PAGES and not query:
        title, text = OTHER_PAGES[route]
        main = (
            f'<article class="page type-page"><header class="entry-header"><h1 class="entry-'
            f'title">{title}</h1></header><div class="entry-content"><p>{esc(text)}</p></div>'
            "</article>"
        )
        return Page(200, _chrome(base, title, main, body_class="page"), last_modified=SITE_EPOCH)

    # The current host serves recommendations without the /hmicfrs prefix.
    rec = data.rec_by_path(state, route) or (
        data.rec_by_path(state, "/hmicfrs" + route)
        if route.startswith("/recommendation/")
        else None
    )
    if rec is None and not route.endswith("/"):
        slashed = data.rec_by_path(state, route + "/")
        if slashed is not None:
            return Page(301, "", location=base + slashed.path)
    if rec is None:
        return Page(404, not_found_html(base))
    if rec.mode == MOVED and route != rec.path:  # its new address answers
        return rec_page(dataclasses.replace(rec, mode=LIVE), base)
    return rec_page(rec, base)


def rec_page(rec: Rec, base: str) -> Page:
    """The response at a rec's own URL, by its mode."""
    if rec.mode == NOT_FOUND:
        return Page(404, not_found_html(base))
    if rec.mode == GONE:
        return Page(410, gone_html(base))
    if rec.mode == MOVED:
        return Page(301, "", location=base + rec.listed_path)
    if rec.mode == SOFT_404:
        return Page(200, not_found_html(base), last_modified=rec.last_modified)
    body = rec_page_html(rec, base)
    return Page(rec.http_status, body, last_modified=rec.last_modified)


def _resolve_query(data: SiteData, state: str, query: dict[str, list[str]], base: str) -> Page:
    if "p" in query:
        value = query["p"][0]
        rec = data.rec_by_id(state, int(value)) if _P_QUERY.match(value) else None
        if rec is None:
            return Page(404, not_found_html(base, nothing_found=True))
        return Page(301, "", location=base + rec.path)
    if "recommendation-theme" in query:
        theme = query["recommendation-theme"][0]
        paged = query.get("paged", ["1"])[0]
        page = int(paged) if paged.isdigit() else 0
        if theme not in data.themes() or not 1 <= page <= data.listing_pages(state, theme):
            return Page(404, not_found_html(base, nothing_found=True))
        return Page(
            200,
            listing_html(data, state, theme, page, base),
            last_modified=_listing_modified(data, state, theme, page),
        )
    return _home(data, base)


def _home(data: SiteData, base: str) -> Page:
    links = "".join(
        f'<li><a href="{attr(listing_url(base, t, 1))}">{esc(t)}</a></li>' for t in data.themes()
    )
    main = f'<h1 class="page-title">Recommendations by theme</h1>\n<ul class="themes">{links}</ul>'
    return Page(200, _chrome(base, "Home", main, body_class="home"), last_modified=SITE_EPOCH)
