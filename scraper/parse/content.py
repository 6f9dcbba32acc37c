"""The content area: which part of the page is the recommendation, whatever the theme.

This module owns finding the element that holds the recommendation's text and log, and taking
out of it everything that is not what the recommendation says: chrome by tag (nav, aside,
footer, scripts, forms), by WordPress/theme names (used only as hints), and by shape wherever
it sits and whatever its names: metadata blocks (see metadata.py), blocks that show other
recommendations (links to other recommendation pages with their opening sentences, repeated
title + excerpt structures), and link-dense navigation (menus, breadcrumbs, share widgets).
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser, LexborNode

# Page chrome: never part of what a page says. It is removed from the content area only (the
# rest of the page is never read as text), and each selector is used only when a substring of
# the content's HTML shows it can match: compiling a CSS selector costs more than parsing a
# small page.
_CHROME_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "iframe",
    "object",
    "nav",
    "aside",
    "footer",
    "button",
    "select",
    "input",
    "textarea",
    "dialog",
)
_CHROME_TAG_RE = re.compile(r"<(" + "|".join((*_CHROME_TAGS, "header", "form")) + r")(?=[\s/>])")
_CHROME_ATTRS: tuple[tuple[str, str], ...] = (
    ("role=", "[role=navigation i], [role=banner i], [role=contentinfo i], [role=complementary i]"),
    ("role=", "[role=search i], [role=dialog i], [role=alertdialog i]"),
    ("hidden", "[hidden], [aria-hidden=true]"),
    ("masthead", "#masthead"),
    ("colophon", "#colophon"),
    ("site-header", ".site-header"),
    ("site-footer", ".site-footer"),
    ("skip", ".skip-links, .skip-to-content, .govuk-skip-link"),
    ("screen-reader", ".screen-reader-text"),
    ("skip-link", ".skip-link"),
    ("breadcrumb", ".breadcrumb, .breadcrumbs, [class*=breadcrumb i], [id*=breadcrumb i]"),
    ("shar", ".sharedaddy, .share, .sharing, .share-links"),
    ("social", ".social, .social-links"),
    ("meta", ".entry-meta, .post-meta"),
    ("byline", ".byline"),
    ("posted-on", ".posted-on"),
    ("-links", ".cat-links, .tags-links"),
    ("edit-link", ".edit-link"),
    ("post-navigation", ".post-navigation"),
    ("comments", ".comments-area, #comments"),
    ("respond", "#respond"),
    ("widget", ".widget"),
    ("sidebar", ".sidebar, #sidebar"),
    ("secondary", "#secondary"),
    ("cookie", "[id*=cookie i], [class*=cookie i]"),
    ("consent", "[id*=consent i], [class*=consent i]"),
    ("gdpr", "[id*=gdpr i], [class*=gdpr i]"),
)

# Names an old theme gives its chrome. They are generic enough to name a heading or box of
# the post itself, so they go only outside an <article> or <main>, as a bare <header> does.
_THEME_CHROME_ATTRS: tuple[tuple[str, str], ...] = (
    ("header", "#header, .header, #site-header, #top-header, .top-header"),
    ("footer", "#footer, .footer, #site-footer, #page-footer, .page-footer"),
    ("nav", "#nav, .nav, .navbar, #navbar, #navigation, .navigation:not(.pagination)"),
    ("nav", ".main-navigation, .main-nav, #main-nav, .nav-menu, .navigation-menu"),
    ("menu", "#menu, .menu, #main-menu, .main-menu, .menu-bar, .mega-menu"),
    ("top", "#top-bar, .top-bar, #topbar, .topbar, .toolbar, #toolbar"),
)


def _has_ancestor(node: LexborNode, tags: frozenset[str]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


_CONTENT_ANCESTORS = frozenset(("article", "main"))


def _strip_chrome(content: LexborNode, markup: str) -> bool:
    """Detach chrome (site header, nav, footer, scripts, forms, cookie banners, share links ...)
    inside the content area; True when anything went. `markup` is the content's HTML."""
    # Lexbor serializes tag names in lower case and escapes "<" in text, so a scan of the
    # markup says which tags occur; most content areas hold none of them.
    present = set(_CHROME_TAG_RE.findall(markup))
    tags = [name for name in _CHROME_TAGS if name in present]
    named = " ".join(_NAMED_ATTR_RE.findall(markup)).lower()
    attrs = [sel for trigger, sel in _CHROME_ATTRS if trigger in named]
    removed = False
    if tags or attrs:
        for node in content.css(", ".join(tags + attrs)):
            if node is not content:
                # remove() detaches without freeing, so nested matches stay safe to touch
                node.remove()
                removed = True
    if "header" in present:
        for node in content.css("header"):
            classes = node.attributes.get("class") or ""
            if "entry-header" in classes or "page-header" in classes:
                continue
            if node is not content and not _has_ancestor(node, _CONTENT_ANCESTORS):
                node.remove()
                removed = True
    themed = [sel for trigger, sel in _THEME_CHROME_ATTRS if trigger in named]
    if themed and content.tag not in _CONTENT_ANCESTORS:
        for node in content.css(", ".join(themed)):
            if node is not content and not _has_ancestor(node, _CONTENT_ANCESTORS):
                node.remove()
                removed = True
    if "form" in present:
        for node in content.css("form"):
            # Some themes wrap the whole page in one form; only drop forms that hold no content.
            if node is not content and node.css_first("article, main, .entry-content") is None:
                node.remove()
                removed = True
    return removed


# Lexbor serializes attributes as name="value"; "hidden" may stand alone.
_NAMED_ATTR_RE = re.compile(r' ((?:class|id|role|aria-hidden)="[^"]*"|hidden(?=[ =>]))')


_SITE_CHROME_RE = re.compile(
    r"site-title|site-header|site-branding|masthead|logo|widget|cookie|consent|sidebar|banner"
    r"|footer|menu|breadcrumb|navigation",
    re.I,
)


def _in_site_chrome(node: LexborNode) -> bool:
    """True when the node or an ancestor is site chrome by tag or by name (class, id, role)."""
    current: LexborNode | None = node
    while current is not None and current.tag not in ("body", "html"):
        if current.tag in _CHROME_TAGS:
            return True
        attrs = current.attributes
        if current.tag == "header" and not re.search(
            r"entry-header|page-header", str(attrs.get("class") or "")
        ):
            return True
        named = " ".join(str(attrs.get(k) or "") for k in ("class", "id", "role"))
        if named and _SITE_CHROME_RE.search(named):
            return True
        current = current.parent
    return False


def _content_node(tree: LexborHTMLParser) -> LexborNode | None:
    """The main content area: one article, else main (or a main-content id), else the one post
    container or .entry-content, else the body."""
    articles = tree.tags("article")
    if len(articles) == 1:
        return articles[0]
    mains = tree.tags("main")
    if mains:
        return mains[0]
    node = tree.css_first("[role=main], #main, #primary, #content, .site-content")
    if node is not None:
        return node
    # WordPress's post_class() marks the post's own container, with its title and meta.
    for selector in (".hentry", ".type-recommendation", ".recommendation", ".entry-content"):
        found = tree.css(selector)
        if len(found) == 1:
            return found[0]
    return tree.body
