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
from collections.abc import Callable
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.discover import recommendation_key
from scraper.parse.dates import _DATE_AT_RE
from scraper.parse.log import _entry_line

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
    # A tab list is controls; its panels are content, the inactive ones hidden only until
    # their tab is chosen (what they hold shows nowhere else).
    ("role=", "[role=tablist i]"),
    ("hidden", "[hidden]:not([role=tabpanel i]), [aria-hidden=true]:not([role=tabpanel i])"),
    # What the page's own style hides is no more shown than what the hidden attribute hides.
    ("none", '[style*="display:none" i], [style*="display: none" i]'),
    ("hidden", '[style*="visibility:hidden" i], [style*="visibility: hidden" i]'),
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
_LANDMARKS = frozenset(("main",))  # never chrome, whatever its classes say


# Chrome that never shows the page's metadata: code, embeds, controls, navigation, what is hidden.
_NO_META_TAGS = frozenset(
    ("script", "style", "noscript", "template", "svg", "iframe", "object", "nav", "button",
     "select", "input", "textarea", "dialog", "form")
)  # fmt: skip


def _may_show_metadata(node: LexborNode) -> bool:
    """Whether a box taken out as chrome may still show the page's metadata (an entry footer,
    a byline, a meta box): neither code nor controls nor navigation, and shown."""
    if node.tag in _NO_META_TAGS:
        return False
    attrs = node.attributes
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return False
    style = "".join((attrs.get("style") or "").lower().split())
    if "display:none" in style or "visibility:hidden" in style:
        return False
    named = " ".join(str(attrs.get(k) or "") for k in ("class", "id", "role"))
    return not (named and _NO_METADATA_NAMES_RE.search(named))


# Names of chrome that never holds the page's metadata: comments, notices, share and skip
# links, navigation, the site's own header and footer.
_NO_METADATA_NAMES_RE = re.compile(
    r"comment|respond|reply|cookie|consent|gdpr|skip|screen-reader|share|sharing|social"
    r"|navigation|breadcrumb|menu|site-|masthead|colophon|branding",
    re.I,
)


# A bare type label ("Recommendation", "Area for improvement"), with no number.
_TYPE_BADGE_RE = re.compile(
    r"(?:causes?\s+(?:of|for)\s+concern|areas?\s+for\s+improvement|recommendations?)", re.I
)
_HEADING_TAGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_BADGE_MARKUP_RE = re.compile(r">\s*" + _TYPE_BADGE_RE.pattern + r"\s*<", re.I)


def _drop_type_badges(header: LexborNode) -> bool:
    """Drop the badges in a header beside the page's title: an inline element, not a heading,
    that shows only a bare type label. It tags the page (its type is read from the markup
    before chrome goes), it heads no part of the text; True when any went."""
    if header.css_first("h1") is None:
        return False
    dropped = False
    for node in header.css("span, small, mark, strong, em, b, i, p, div"):
        if node.css_first("h1, h2, h3, h4, h5, h6") is not None or _has_ancestor(
            node, _HEADING_TAGS
        ):
            continue
        shown = " ".join((node.text(deep=True) or "").split())
        if shown and _TYPE_BADGE_RE.fullmatch(shown):
            node.remove()
            dropped = True
    return dropped


def _accessible_name(node: LexborNode) -> str | None:
    """What a screen reader calls an element that shows no text: its aria-label or title, else
    an image's alt, an icon's aria-label or title, or an svg's <title> inside it."""
    attrs = node.attributes
    for key in ("aria-label", "title"):
        name = " ".join(str(attrs.get(key) or "").split())
        if name:
            return name
    for inner in node.css("img[alt], [aria-label], [title], svg > title"):
        if inner.tag == "title":
            name = " ".join((inner.text() or "").split())
        else:
            a = inner.attributes
            shown = a.get("alt") or a.get("aria-label") or a.get("title") or ""
            name = " ".join(str(shown).split())
        if name:
            return name
    return None


# A label cell whose first content is an element, not text (an icon, say).
_ICON_LABEL_RE = re.compile(r"<(?:dt|th)(?=[\s>])[^>]*>\s*<(?!/)")


def name_icon_labels(content: LexborNode, markup: str) -> bool:
    """Give a label cell (<dt>, <th>) that shows only an icon its accessible name as text, as
    the label it stands for; True when any was named. Run before chrome goes (icons are svg)."""
    if ("<dt" not in markup and "<th" not in markup) or _ICON_LABEL_RE.search(markup) is None:
        return False
    named = False
    for node in content.css("dt, th"):
        if (node.text(deep=True) or "").strip():
            continue
        name = _accessible_name(node)
        if name:
            node.insert_child(name)
            named = True
    return named


def _strip_chrome(
    content: LexborNode,
    markup: str,
    shown: list[str] | None = None,
    own: tuple[str, int] | None = None,
) -> bool:
    """Detach chrome (site header, nav, footer, scripts, forms, cookie banners, share links ...)
    inside the content area; True when anything went. `markup` is the content's HTML. The
    markup of what went that may still show the page's metadata (see metadata_markup) is
    added to `shown`."""
    # Lexbor serializes tag names in lower case and escapes "<" in text, so a scan of the
    # markup says which tags occur; most content areas hold none of them.
    present = set(_CHROME_TAG_RE.findall(markup))
    tags = [name for name in _CHROME_TAGS if name in present]
    # Each selector below can match only where its trigger is in a class, id or role: the
    # triggers are looked for in every attribute value (a superset, far cheaper to gather than
    # those three alone), so a selector is left out only when it cannot match.
    named = " ".join(_ATTR_VALUE_RE.findall(markup)).lower()
    if "role=" in markup:  # triggers in the attributes' names
        named += " role="
    if "hidden=" in markup:
        named += " hidden"
    attrs = [sel for trigger, sel in _CHROME_ATTRS if trigger in named]
    removed = False
    if "<figcaption" in markup and present.intersection(("iframe", "object", "embed")):
        for node in content.css("figure"):
            # The caption of an embed (a report viewer) names what goes as chrome below.
            cap = node.css_first("figcaption")
            if cap is not None and node.css_first("iframe, object, embed") is not None:
                cap.remove()
                removed = True
    if "button" in present and _drop_control_boxes(content):
        removed = True
    if tags or attrs:
        for node in content.css(", ".join(tags + attrs)):
            # <main> is the page's main content by definition: a class word in it ("a
            # no-cookie-banner layout") names the page's state, never a box of chrome.
            if node is not content and node.tag not in _LANDMARKS:
                if shown is not None and _may_show_metadata(node) and _within(node, content):
                    shown.extend(metadata_markup(node, own))
                # remove() detaches without freeing, so nested matches stay safe to touch
                node.remove()
                removed = True
    if "header" in present:
        badges = _BADGE_MARKUP_RE.search(markup) is not None
        for node in content.css("header"):
            if badges and _drop_type_badges(node):
                removed = True
            classes = node.attributes.get("class") or ""
            if "entry-header" in classes or "page-header" in classes:
                continue
            if _holds_the_title(node, own):
                continue  # the post's own header, whatever holds it
            if node is not content and not _has_ancestor(node, _CONTENT_ANCESTORS):
                node.remove()  # the site's header: no page's metadata
                removed = True
    themed = [sel for trigger, sel in _THEME_CHROME_ATTRS if trigger in named]
    if themed and content.tag not in _CONTENT_ANCESTORS:
        for node in content.css(", ".join(themed)):
            if node is not content and not _has_ancestor(node, _CONTENT_ANCESTORS):
                if node.tag != "nav" and _holds_the_title(node, own):
                    continue  # a header box holding the post's own title (reader mode)
                node.remove()
                removed = True
    if "<th" in markup and _drop_log_table_headers(content):
        removed = True
    if "<details" in markup and "<form" in markup:
        for node in content.css("details"):
            # A fold that holds a form ("Report a problem with this page") is a control: its
            # label goes with it.
            if node is not content and _within(node, content) and _holds_only_a_form(node):
                node.remove()
                removed = True
    if "<summary" in markup:
        for node in content.css("details > summary"):
            # The label of a fold holding the log ("Show the log") is the log's heading.
            fold = node.parent
            if fold is not None and (
                _LOG_MARK_RE.search(fold.text() or "") or _shows_log_entry(fold)
            ):
                node.remove()
                removed = True
    if "form" in present:
        for node in content.css("form"):
            # Some themes wrap the whole page in one form; only drop forms that hold no content.
            if node is not content and node.css_first("article, main, .entry-content") is None:
                node.remove()
                removed = True
    return removed


# What a box of controls says beside its buttons at most: a notice of a sentence or two.
_CONTROL_BOX_CHARS = 300


def _drop_control_boxes(content: LexborNode) -> bool:
    """Detach the boxes whose point is their buttons (a cookie notice: a sentence and "Accept",
    "Reject"; a feedback prompt): the nearest block around two or more buttons, small beside
    the content and holding no log."""
    removed = False
    whole = None
    done: set[int] = set()
    for button in content.css("button"):
        box = button.parent
        while box is not None and box.tag not in _BLOCK_TAGS and box.tag != "form":
            box = box.parent
        if box is None or box.mem_id == content.mem_id or box.mem_id in done:
            continue
        done.add(box.mem_id)
        if not _within(box, content) or len(box.css("button")) < 2:
            continue
        shown = box.text(deep=True, separator=" ", strip=True)
        if _LOG_MARK_RE.search(shown) or box.css_first("h1, article, main") is not None:
            continue
        size = len("".join(shown.split()))
        if whole is None:
            whole = _text_len(content)
        if size <= _CONTROL_BOX_CHARS and size * 2 < whole:
            box.remove()
            removed = True
    return removed


def _holds_only_a_form(fold: LexborNode) -> bool:
    """Whether a <details> holds a form and, beside its label and the form, nothing."""
    if fold.css_first("form") is None or fold.css_first("article, main, .entry-content"):
        return False
    for child in fold.iter(include_text=True):
        if child.tag in ("summary", "form", "_comment") or child.tag in _NO_META_TAGS:
            continue
        if child.tag == "-text":
            if (child.text() or "").strip():
                return False
        elif child.css_first("form") is None and child.text(deep=True, strip=True):
            return False
    return True


def _drop_log_table_headers(content: LexborNode) -> bool:
    """Detach the header row of a table that is a log (its rows open with a date cell): its
    column labels ("Date", "Status", "Comment") are the log's own, never text."""
    removed = False
    for table in content.css("table"):
        rows = table.css("tr")
        if len(rows) < 2:
            continue
        header = rows[0]
        cells = [c for c in header.iter() if c.tag in ("th", "td")]
        if len(cells) < 2 or any(c.tag != "th" for c in cells):
            continue
        body = rows[1:4]
        dated = 0
        for row in body:
            first = next((c for c in row.iter() if c.tag in ("td", "th")), None)
            shown = first.text(deep=True, separator=" ", strip=True) if first is not None else ""
            if _DATE_AT_RE.fullmatch(shown) is not None:
                dated += 1
        if dated == len(body):
            header.remove()
            removed = True
    return removed


def _holds_the_title(header: LexborNode, own: tuple[str, int] | None) -> bool:
    """Whether a <header> holds this recommendation's title: an h1 that ends in its id."""
    if own is None:
        return False
    for h1 in header.css("h1"):
        shown = " ".join(h1.text(deep=True, separator=" ", strip=True).split())
        if shown.endswith(f"({own[1]})"):
            return True
    return False


# Lexbor serializes every attribute as name="value" (a bare `hidden` as hidden=""), escaping
# '"', "<" and ">" inside values: a value never spans a tag's end, so a stray '="' in the text
# cannot swallow a real attribute's.
_ATTR_VALUE_RE = re.compile(r'="([^"<>]*)"')


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


def _content_node(tree: LexborHTMLParser, one_post: bool = False) -> LexborNode | None:
    """The main content area: one article, else main (or a main-content id), else the one post
    container or .entry-content, else the body. On a page that is one post (`one_post`),
    several articles and no main mean teasers beside the post: the post is the longest."""
    articles = tree.tags("article")
    if len(articles) == 1:
        return articles[0]
    mains = tree.tags("main")
    if mains:
        return mains[0]
    if articles and one_post:
        # The post holds the page's title (its one h1); teaser cards title themselves lower.
        titled = [a for a in articles if a.css_first("h1") is not None]
        if len(titled) == 1:
            return titled[0]
        return max(articles, key=lambda a: len(a.text(deep=True, strip=True)))
    node = tree.css_first("[role=main], #main, #primary, #content, .site-content")
    if node is not None:
        return node
    # WordPress's post_class() marks the post's own container, with its title and meta.
    for selector in (".hentry", ".type-recommendation", ".recommendation", ".entry-content"):
        found = tree.css(selector)
        if len(found) == 1:
            return found[0]
    return tree.body


_LOG_MARK_RE = re.compile(r"\[\s*/?\s*(?:on|status|comment)\s*\]", re.I)
_BLOCK_TAGS = frozenset(
    ("p", "li", "div", "dt", "dd", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "section",
     "article", "aside", "blockquote", "figure", "header", "footer", "ul", "ol", "dl", "body")
)  # fmt: skip
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_HEADING_CSS = "h1, h2, h3, h4, h5, h6"
# A teaser is a title and an opening sentence or two: this much text per title, and a heading.
_TEASER_CHARS = 420
_NAV_MAX_CHARS = 400
_MAX_LINKS = 2000
_SENTENCE_RE = re.compile(r"\w[.!?](?:\s|$)")


def _text_len(node: LexborNode) -> int:
    return len("".join(node.text(deep=True, separator=" ", strip=True).split()))


def _block_of(node: LexborNode) -> LexborNode:
    current = node
    while current.parent is not None and current.tag not in _BLOCK_TAGS:
        current = current.parent
    return current


def _starts_its_block(link: LexborNode) -> bool:
    """True when a link is its block's title (the block's text starts with it), not a mention
    inside a sentence."""
    block = _block_of(link)
    if block.tag in _HEADINGS:
        return True
    shown = " ".join(link.text(deep=True, separator=" ", strip=True).split())
    whole = " ".join(block.text(deep=True, separator=" ", strip=True).split())
    return bool(shown) and whole.startswith(shown)


def _within(node: LexborNode, root: LexborNode) -> bool:
    current = node.parent
    while current is not None:
        if current.mem_id == root.mem_id:
            return True
        current = current.parent
    return False


# A link to a theme's (a tag's, a category's) listing of recommendations.
THEME_URL_RE = re.compile(
    r"[?&](?:recommendation[-_]theme|theme|tag|cat)=|/(?:theme|tag|category)/"
)


def _site_of(url: str) -> str:
    """The site a page's address belongs to: its host less a first label ("www", "hmicfrs")."""
    try:
        host = (urlsplit(url).hostname or "") if "://" in url else ""
    except ValueError:  # a malformed address ("http://[")
        return ""
    return host.split(".", 1)[1] if host.count(".") >= 2 else host


def _points_away(href: str, site: str) -> bool:
    """Whether a link leads off the page's site or is no page at all (mail, script, anchor)."""
    href = href.strip().lower()
    if href.startswith(("mailto:", "javascript:", "tel:", "#", "sms:", "whatsapp:")):
        return True
    if "://" not in href or not site:
        return False
    try:
        host = urlsplit(href).hostname or ""
    except ValueError:
        return False
    return not (host == site or host.endswith("." + site))


def strip_teasers(
    content: LexborNode,
    markup: str,
    own: tuple[str, int] | None,
    url: str = "",
    themes: list[str] | None = None,
) -> bool:
    """Detach what shows other recommendations (a related-recommendations sidebar: their titles
    linked, their opening sentences) and link-dense navigation (menus, breadcrumbs, share
    links) inside the content area, whatever their names; True when anything went.

    A teaser block is found from a link to another recommendation that titles its block, by
    climbing while the text around stays what that many titles and excerpts would hold (and no
    log lies inside): the recommendation's own text around it stops the climb.
    """
    if markup.count("<a ") < 1:
        return False
    removed = False
    site = _site_of(url)
    # Elements already found too big to be navigation, or to be all teasers: each is looked
    # at once however many links it holds, so the work stays linear in the page.
    seen: set[object] = set()
    for link in content.css("a[href]")[:_MAX_LINKS]:
        if not _within(link, content):
            continue  # inside a block already taken out
        href = link.attributes.get("href") or ""
        key = recommendation_key(href) if "/recommendation" in href else None
        if key is not None and key != own and _starts_its_block(link):
            block = _teaser_block(link, content, own, seen)
            if block is not None:
                _remove_with_heading(block, content)
                removed = True
                continue
        block = _nav_block(link, content, seen) or _pointer_block(link, content, own, site)
        if block is not None:
            _theme_links(block, themes)
            _remove_with_heading(block, content)
            removed = True
            continue
        block = _lone_link_block(link, content, own, site)
        if block is not None:
            _theme_links(block, themes)
            block.remove()
            removed = True
    return removed


def _theme_links(block: LexborNode, themes: list[str] | None) -> None:
    """A row of links to theme listings (a tag cloud) names the page's themes."""
    if themes is None:
        return
    links = block.css("a[href]")
    if links and all(THEME_URL_RE.search(a.attributes.get("href") or "") for a in links):
        themes.extend(_norm_text(a) for a in links)


# The recommendation's own type headings, which never title a block of links.
_TYPE_HEADING_RE = re.compile(
    r"^(?:causes?\s+(?:of|for)\s+concern|areas?\s+for\s+improvement|recommendation\b(?!s))",
    re.I,
)


def _remove_with_heading(block: LexborNode, content: LexborNode) -> None:
    """Detach a block of teasers or links, and the short heading just above it that titles it
    ("Related recommendations", "Share this page"): a heading over nothing is no text."""
    prev = block.prev
    while prev is not None and prev.tag in ("-text", "_comment"):
        if (prev.text() or "").strip():
            break
        prev = prev.prev
    block.remove()
    if prev is None or prev.tag not in _HEADINGS or prev.mem_id == content.mem_id:
        return
    shown = " ".join(prev.text(deep=True, separator=" ", strip=True).split())
    if (
        prev.tag != "h1"  # the page's title
        and shown
        and len(shown) <= 60
        and not _SENTENCE_RE.search(shown + " ")
        and not _LOG_MARK_RE.search(shown)
        and _TYPE_HEADING_RE.match(shown) is None
    ):
        prev.remove()


def _norm_text(node: LexborNode) -> str:
    return " ".join(node.text(deep=True, separator=" ", strip=True).split())


# What a row of pointers holds beside its links at most: a short lead ("Share this:").
_POINTER_LEAD_CHARS = 30


def _pointer_block(
    link: LexborNode, content: LexborNode, own: tuple[str, int] | None, site: str
) -> LexborNode | None:
    """The small block around a link that is a short lead and links that lead away from this
    recommendation ("Share this: Facebook X Email", "See also: <another recommendation>"),
    no sentence: a pointer elsewhere, not text. Links that stay on the site (a report, a
    theme) are a label's value, and one link off the site may be the report too."""
    block = _block_of(link)
    if block.mem_id == content.mem_id or block.tag in ("body", "dd", "td", "th", "dt"):
        return None
    if block.tag in _HEADINGS:
        return None
    whole = _norm_text(block)
    if not whole or len(whole) > _NAV_MAX_CHARS or _LOG_MARK_RE.search(whole):
        return None
    links = block.css("a[href]")
    other = 0
    for a in links:
        href = a.attributes.get("href") or ""
        key = recommendation_key(href) if "/recommendation" in href else None
        if key is not None and key != own:
            other += 1
        elif key is not None or not _points_away(href, site):
            return None
    if other == 0 and len(links) < 2:
        return None
    rest = whole
    for a in links:
        rest = rest.replace(_norm_text(a), " ", 1)
    rest = " ".join(rest.split())
    if len(rest) > _POINTER_LEAD_CHARS or _SENTENCE_RE.search(rest + " "):
        return None
    return block


# A link alone in its paragraph reads as a tool when it is this short and ends no sentence.
_LONE_LINK_MAX_CHARS = 120


def _lone_link_block(
    link: LexborNode, content: LexborNode, own: tuple[str, int] | None, site: str
) -> LexborNode | None:
    """The paragraph a link is alone in, when it says nothing but the link ("Download this
    recommendation as a PDF", "Print this page", "Back to top") and the link is a tool: it
    leads off the site or to no page, to this recommendation itself (a print or PDF view),
    to another one, or to a theme's listing. A link alone to a document on the site (an
    action plan in a comment) is what the page says."""
    href = link.attributes.get("href") or ""
    key = recommendation_key(href) if "/recommendation" in href else None
    # A view of this recommendation ("<its address>pdf/", "?print=1") is this page's own.
    own_view = own is not None and f"/{own[0]}/{own[1]}" in href
    if (
        key is None
        and not own_view
        and not _points_away(href, site)
        and not THEME_URL_RE.search(href)
    ):
        return None
    block = link.parent
    while block is not None and block.tag not in _BLOCK_TAGS:
        block = block.parent
    if block is None or block.tag not in ("p", "div") or block.mem_id == content.mem_id:
        return None
    shown = " ".join(link.text(deep=True, separator=" ", strip=True).split())
    if not shown or len(shown) > _LONE_LINK_MAX_CHARS or _SENTENCE_RE.search(shown + " "):
        return None
    whole = " ".join(block.text(deep=True, separator=" ", strip=True).split())
    if whole != shown or len(block.css("a")) != 1 or _is_labelled(block):
        return None  # a label's value (a report link under "Report") is metadata, read there
    return block


def _other_links(node: LexborNode, own: tuple[str, int] | None) -> int:
    """How many other recommendations a box links (a title and its "Read more" link to the
    same one count once)."""
    keys = set()
    for a in node.css("a[href]"):
        href = a.attributes.get("href") or ""
        key = recommendation_key(href) if "/recommendation" in href else None
        if key is not None and key != own:
            keys.add(key)
    return len(keys)


def _is_one_teaser(node: LexborNode, own: tuple[str, int] | None) -> bool:
    """Whether a box holds one other recommendation's title and no more than an excerpt."""
    text = node.text(deep=True, separator=" ", strip=True)
    if _LOG_MARK_RE.search(text) or len("".join(text.split())) > _TEASER_CHARS:
        return False
    return _other_links(node, own) == 1


def _teaser_block(
    link: LexborNode, content: LexborNode, own: tuple[str, int] | None, seen: set[object]
) -> LexborNode | None:
    """The block of teasers around a link to another recommendation: climb while every other
    child of the next element up is a heading or itself shows other recommendations, and the
    teaser itself stays what a title and an opening sentence or two hold."""
    current = _block_of(link)
    if current.tag in ("td", "th") and current.parent is not None and current.parent.tag == "tr":
        current = current.parent  # a table's row is one teaser, its cells the teaser's parts
    if current.mem_id == content.mem_id or current.tag == "body":
        return None
    text = current.text(deep=True, separator=" ", strip=True)
    if _LOG_MARK_RE.search(text) or len("".join(text.split())) > _TEASER_CHARS:
        return None
    best = current
    while True:
        parent = best.parent
        if parent is None or parent.mem_id == content.mem_id or parent.tag == "body":
            return best
        if ("t", parent.mem_id) in seen:
            return best
        seen.add(("t", parent.mem_id))
        if best.tag in _HEADINGS and _is_one_teaser(parent, own):
            best = parent  # a linked title heading and its excerpt: one teaser
            continue
        for child in parent.iter(include_text=True):
            if child.mem_id == best.mem_id:
                continue
            if child.tag == "-text":
                if (child.text() or "").strip():
                    return best
                continue
            if child.tag in _HEADINGS or child.tag in ("_comment", "caption", "thead"):
                continue
            if child.tag == "tr" and all(c.tag == "th" for c in child.iter()):
                continue  # the column labels of a table of teasers
            shown = child.text(deep=True, separator=" ", strip=True)
            if not shown:
                continue
            if not _other_links(child, own) or _LOG_MARK_RE.search(shown):
                return best  # the post's own text, or its metadata, sits beside the teasers
        best = parent


def _is_labelled(node: LexborNode) -> bool:
    """Whether a box follows a short label box of its own: a value (a list of theme links)."""
    prev = node.prev
    while prev is not None and prev.tag == "-text" and not (prev.text() or "").strip():
        prev = prev.prev
    if prev is None or prev.tag in ("-text", "_comment", "h1", "h2"):
        return False  # a title or section heading over a box is no label of it
    if prev.css_first("a") is not None:
        return False
    shown = prev.text(deep=True, separator=" ", strip=True)
    # The log's closing tags ("[/comment][/on]") and its entries ("2nd February 2018
    # awaiting-review") are no label.
    return (
        0 < len(shown) <= 48
        and not shown.endswith(".")
        and "[" not in shown
        and not any(ch.isdigit() for ch in shown)
    )


def _nav_block(link: LexborNode, content: LexborNode, seen: set[object]) -> LexborNode | None:
    """The highest small block around a link that is mostly links and no sentence: a menu, a
    breadcrumb trail, a row of share links."""
    best: LexborNode | None = None
    current = link.parent
    for _ in range(6):
        if current is None or current.mem_id == content.mem_id or current.tag == "body":
            break
        if current.tag not in _BLOCK_TAGS:
            current = current.parent  # a link's inline wrapper is no block of its own
            continue
        if current.mem_id in seen:
            break
        text = " ".join(current.text(deep=True, separator=" ", strip=True).split())
        if len(text) > _NAV_MAX_CHARS or _LOG_MARK_RE.search(text):
            seen.add(current.mem_id)
            break
        if current.tag in ("dd", "td", "th", "dt") or _is_labelled(current):
            break  # a value of a metadata block, read there
        links = current.css("a[href]")
        first = links[0].text(deep=True, separator=" ", strip=True) if links else ""
        first = " ".join(first.split())
        # Navigation starts with a link; links after a label ("Themes: ...") are a value.
        if len(links) >= 2 and first and text.startswith(first) and not _SENTENCE_RE.search(text):
            linked = sum(_text_len(a) for a in links)
            if linked * 10 >= len("".join(text.split())) * 4:
                best = current
        current = current.parent
    return best


# What a box of chrome around the post holds at most: a short paragraph or two (letters, no
# spaces), such as a copyright and contact footer.
_AROUND_MAX_CHARS = 320


def _shows_log_entry(node: LexborNode) -> bool:
    """Whether a box shows a line of a rendered log (a date starting its line)."""
    lines = node.text(deep=True, separator="\n", strip=True).split("\n")
    return any(_entry_line(line) is not None for line in lines)


def _titles(node: LexborNode, banner: Callable[[str], bool]) -> list[LexborNode]:
    """The h1s a box holds (or is) that are no not-found banner."""
    found = [node] if node.tag == "h1" else node.css("h1")
    return [h for h in found if not banner(h.text(deep=True, separator=" ", strip=True))]


def _says_more(node: LexborNode, banner: Callable[[str], bool]) -> bool:
    """Whether a box holding the title holds a sentence beside it (a hero holds none)."""
    shown = node.text(deep=True, separator=" ", strip=True)
    for title in _titles(node, banner):
        shown = shown.replace(title.text(deep=True, separator=" ", strip=True), " ", 1)
    return _SENTENCE_RE.search(shown) is not None


def _holds_the_post(
    child: LexborNode, others: list[LexborNode], banner: Callable[[str], bool]
) -> bool:
    """Whether a box holds the post itself: its text, and its title (the page's one h1) or a
    title that stands apart in a hero above, while what sits around it is either far smaller
    or a line or two per box (a print header, a notice, a banner, a copyright footer). An h1
    that is a not-found banner (`banner`) is no title."""
    if child.tag in _HEADINGS:
        return False
    sizes = [_text_len(o) for o in others]
    small = max(sizes, default=0) <= _AROUND_MAX_CHARS
    if small and any(_shows_log_entry(o) for o in others):
        return False  # a rendered log in a box of its own is the post's

    if _titles(child, banner):
        if any(_titles(o, banner) for o in others):
            return False
        return small or _text_len(child) > 2 * sum(sizes)
    # The title stands apart (a hero above the text): what is around may hold only the title,
    # never another heading (the post's own "Cause of concern", say).
    if any(o.tag in _HEADINGS for o in others):
        return False  # a heading beside its text: the post's own, never a hero
    around = [h for o in others for h in o.css(_HEADING_CSS)]
    if not around or any(h.tag != "h1" for h in around):
        return False
    return small and _text_len(child) > max(sizes)


def narrow_body(content: LexborNode, banner: Callable[[str], bool]) -> tuple[LexborNode, list[str]]:
    """Within a body (no article, main or post container), the element that holds the content,
    and the text of what was left around it: descend while one child holds nearly all the text
    and every log tag, and what it leaves holds no heading (a heading is the post's own), or
    while one child holds every log tag and the post itself (see _holds_the_post), what it
    leaves being chrome by its shape: a line or two per box, or a hero with the title."""
    current = content
    left: list[str] = []
    for _ in range(64):
        children = [c for c in current.iter() if c.tag not in ("-text", "_comment")]
        if not children or (current.text(deep=False) or "").strip():
            break
        sizes = [_text_len(c) for c in children]
        total = sum(sizes)
        if total == 0:
            break
        # The box holding the page's one title is the post's, however long its footer runs.
        titled = [i for i, c in enumerate(children) if sizes[i] and _titles(c, banner)]
        at = max(range(len(children)), key=sizes.__getitem__)
        if len(titled) == 1 and _says_more(children[titled[0]], banner):
            at = titled[0]
        others = [c for i, c in enumerate(children) if i != at and sizes[i]]
        whole = current.text(deep=True, separator=" ")
        if _LOG_MARK_RE.search(whole) and len(_LOG_MARK_RE.findall(whole)) != len(
            _LOG_MARK_RE.findall(children[at].text(deep=True, separator=" "))
        ):
            break
        if not _holds_the_post(children[at], others, banner):
            if sizes[at] * 100 < total * 85:
                break
            if any(c.tag in _HEADINGS or c.css_first("h1, h2, h3, h4, h5, h6") for c in others):
                break
        left.extend(" ".join(c.text(deep=True, separator=" ").split()) for c in others)
        current = children[at]
    return current, left


def _is_a_teaser(node: LexborNode, own: tuple[str, int] | None) -> bool:
    """Whether a box that links one other recommendation is that one's teaser: the link
    titles it (its text starts with the link's), and it holds no more than a teaser would."""
    if _text_len(node) > _TEASER_CHARS:
        return False
    for a in node.css("a[href]"):
        key = recommendation_key(a.attributes.get("href") or "")
        if key is not None and key != own:
            shown = "".join(a.text(deep=True, separator=" ", strip=True).split())
            whole = "".join(node.text(deep=True, separator=" ", strip=True).split())
            return bool(shown) and whole.startswith(shown)
    return False


def metadata_markup(node: LexborNode, own: tuple[str, int] | None) -> list[str]:
    """The markup of a box taken out as chrome that may show this page's metadata: a box
    that shows other recommendations (a sidebar of teasers) gives only its parts that show
    none and are no part of a teaser, so another recommendation's details are never read as
    this one's."""
    out: list[str] = []

    def visit(node: LexborNode, depth: int) -> None:
        others = _other_links(node, own)
        if not others:
            out.append(node.html or "")
            return
        if depth >= 4 or others == 1 and _is_a_teaser(node, own):
            return  # one teaser: whatever it shows is that recommendation's
        for child in node.iter():
            if child.tag not in _NO_META_TAGS and _may_show_metadata(child):
                visit(child, depth + 1)

    visit(node, 0)
    return out


_BESIDE_SKIP = frozenset(
    ("script", "style", "noscript", "template", "svg", "iframe", "object", "nav",
     "form", "button", "select", "input", "textarea", "dialog", "-text", "_comment")
)  # fmt: skip


def beside(content: LexborNode, own: tuple[str, int] | None) -> list[str]:
    """The markup of what sits beside the content area (its siblings and its ancestors'), where
    a metadata block may stand outside it: never chrome by tag, never a block that shows other
    recommendations, never link-dense navigation."""
    out: list[str] = []
    current = content
    # Up to the page's main area (or the body's child): the site's own header, sidebars and
    # footer beside that are the site's, not the post's.
    while current.parent is not None and current.tag not in ("body", "html", "main"):
        parent = current.parent
        # Beside the body's own children stand the site's header and footer; below it, a
        # footer or aside beside the post is the post's (an entry footer, a details box).
        site_level = parent.tag in ("body", "html")
        for sibling in parent.iter():
            if sibling.mem_id == current.mem_id or sibling.tag in _BESIDE_SKIP:
                continue
            if sibling.tag == "footer" and site_level:
                continue
            if not _may_show_metadata(sibling):
                continue
            if site_level and _in_site_chrome(sibling):
                continue
            if not site_level and _NAV_NAMED_RE.search(_names(sibling)):
                continue
            text = sibling.text(deep=True, separator=" ", strip=True)
            if not text or len(text) > 4000:
                continue
            if _other_links(sibling, own):
                # A box of teasers gives only its parts that show no other recommendation.
                out.extend(metadata_markup(sibling, own))
                continue
            links = sibling.css("a[href]")
            if len(links) >= 4 and sum(_text_len(a) for a in links) * 2 >= len(text):
                continue
            out.append(sibling.html or "")
        current = parent
    return out


# Names of navigation and notices, which never hold the post's metadata.
_NAV_NAMED_RE = re.compile(
    r"menu|navigation|breadcrumb|cookie|consent|banner|logo|site-title|site-branding|masthead",
    re.I,
)


def _names(node: LexborNode) -> str:
    attrs = node.attributes
    return " ".join(str(attrs.get(k) or "") for k in ("class", "id", "role"))
