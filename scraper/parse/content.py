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

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.discover import recommendation_key
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


def _strip_chrome(
    content: LexborNode, markup: str, keep: Callable[[LexborNode], None] | None = None
) -> bool:
    """Detach chrome (site header, nav, footer, scripts, forms, cookie banners, share links ...)
    inside the content area; True when anything went. `markup` is the content's HTML. Each
    outermost box about to go that may hold the page's metadata (an aside, a footer, a meta
    line: never scripts, controls, navigation, comments or the site's own header and footer)
    is handed to `keep` first."""
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
    if tags or attrs:
        found = content.css(", ".join(tags + attrs))
        if keep is not None:
            _keep_outermost(found, content, keep)
        for node in found:
            if node is not content:
                node.remove()
                removed = True
    if "header" in present:
        for node in content.css("header"):
            classes = node.attributes.get("class") or ""
            if "entry-header" in classes or "page-header" in classes:
                continue
            if node is not content and not _has_ancestor(node, _CONTENT_ANCESTORS):
                node.remove()  # the site's header: no page's metadata
                removed = True
    themed = [sel for trigger, sel in _THEME_CHROME_ATTRS if trigger in named]
    if themed and content.tag not in _CONTENT_ANCESTORS:
        for node in content.css(", ".join(themed)):
            if node is not content and not _has_ancestor(node, _CONTENT_ANCESTORS):
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


# Chrome that never holds a page's metadata: code, controls, navigation, other people's words.
_NO_METADATA_TAGS = frozenset(
    ("script", "style", "noscript", "template", "svg", "iframe", "object", "nav", "button",
     "select", "input", "textarea", "dialog", "form")
)  # fmt: skip
_NO_METADATA_NAMES_RE = re.compile(
    r"comment|respond|reply|cookie|consent|gdpr|skip|screen-reader|share|sharing|social"
    r"|navigation|breadcrumb|menu|site-|masthead|colophon|branding",
    re.I,
)


def _may_show_metadata(node: LexborNode) -> bool:
    """Whether a box of chrome about to go may show the page's metadata: not code, a control,
    navigation or comments by tag or name."""
    if node.tag in _NO_METADATA_TAGS:
        return False
    attrs = node.attributes
    named = " ".join(str(attrs.get(k) or "") for k in ("class", "id", "role"))
    return not (named and _NO_METADATA_NAMES_RE.search(named))


def _keep_outermost(
    nodes: list[LexborNode], content: LexborNode, keep: Callable[[LexborNode], None]
) -> None:
    """Hand `keep` each of the boxes about to go that is inside no other of them and may show
    the page's metadata (read now: remove() frees a box and all it holds)."""
    ids = {n.mem_id for n in nodes}
    for node in nodes:
        if node.mem_id == content.mem_id or not _may_show_metadata(node):
            continue
        parent = node.parent
        while parent is not None and parent.mem_id != content.mem_id:
            if parent.mem_id in ids:
                break
            parent = parent.parent
        else:
            keep(node)


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


def strip_teasers(content: LexborNode, markup: str, own: tuple[str, int] | None) -> bool:
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
                block.remove()
                removed = True
                continue
        block = _nav_block(link, content, seen)
        if block is not None:
            block.remove()
            removed = True
    return removed


def _other_links(node: LexborNode, own: tuple[str, int] | None) -> int:
    count = 0
    for a in node.css("a[href]"):
        href = a.attributes.get("href") or ""
        key = recommendation_key(href) if "/recommendation" in href else None
        if key is not None and key != own:
            count += 1
    return count


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
            if child.tag in _HEADINGS or child.tag == "_comment":
                continue
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
    if prev is None or prev.tag in ("-text", "_comment") or prev.css_first("a") is not None:
        return False
    shown = prev.text(deep=True, separator=" ", strip=True)
    return 0 < len(shown) <= 48 and not shown.endswith(".")


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


_BESIDE_SKIP = frozenset(
    ("script", "style", "noscript", "template", "svg", "iframe", "object", "nav", "footer",
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
        for sibling in parent.iter():
            if sibling.mem_id == current.mem_id or sibling.tag in _BESIDE_SKIP:
                continue
            if _in_site_chrome(sibling):
                continue
            text = sibling.text(deep=True, separator=" ", strip=True)
            if not text or len(text) > 4000:
                continue
            markup = sibling.html or ""
            if _other_links(sibling, own):
                continue
            links = sibling.css("a[href]")
            if len(links) >= 4 and sum(_text_len(a) for a in links) * 2 >= len(text):
                continue
            out.append(markup)
        current = parent
    return out


def chrome_metadata_markups(box: LexborNode, own: tuple[str, int] | None) -> list[str]:
    """The markup of a box of chrome about to be taken out (see _strip_chrome) where it may
    show this page's metadata: the box whole, or where it also shows other recommendations (a
    widget of related ones beside the metadata), those of its parts that show none, a few
    levels down."""
    out: list[str] = []
    stack = [(box, 0)]
    while stack:
        node, depth = stack.pop()
        if not _other_links(node, own):
            if (node.text(deep=True, strip=True) or "").strip():
                out.append(node.html or "")
        elif depth < 4:
            children = [c for c in node.iter() if c.tag not in ("-text", "_comment")]
            stack.extend((c, depth + 1) for c in reversed(children))
    return out
