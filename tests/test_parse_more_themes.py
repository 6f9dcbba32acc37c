"""More page themes of our own, each probing one mechanism the parser must have to read a theme
it has never seen (see tests/test_parse_blind_themes.py for the blind ones).

Written against the parser's mechanisms, never its names: metadata after a rendered log, <br>
lines of labels, copies hidden by the page's style, teasers and tools after the log, a
breadcrumb list and a metadata <dl> in the article's header and footer, a label/value table
after the log, microdata on <meta>/<link>, a one-row table of column labels, label boxes and
value boxes side by side with no mark between, a "Published <date>" line, a post footer beside
the article, teaser cards with "Read more" links, a labelled row of share links between the
text and the log, metadata in an open <details>, "See also" and previous/next pointers to other
recommendations, <em> labels, an unlabelled tag cloud, a kicker line above the title, a notice
box of buttons with no name, other recommendations as table rows, a trail of links and a span,
readers' comments and their form after the article, the post as one <article> among teaser
articles. Each renders the blind set's 20 contents and a listing of three, and the whole record
must be the one the content defines. (A theme's listing names its <main> after the theme, so no
theme is named like chrome.)
"""

from __future__ import annotations

import pytest

from scraper import parse_page
from tests.blindthemes import (
    BY_NAME,
    CONTENTS,
    FOOTER,
    LISTED,
    NAV,
    OLD,
    RenderingTheme,
    Theme,
    as_dict,
    doc,
    e,
    expected_record,
    first_sentence,
    fmt_date,
    last_status,
    listing_expected,
    meta_pairs,
    normalised,
    others,
)


def related(c):
    return (
        "<h2>Related recommendations</h2><ul>"
        + "".join(
            f'<li><a href="{o.url}">{e(o.title)}</a><p>{e(first_sentence(o))}</p></li>'
            for o in others(c, 3)
        )
        + "</ul>"
    )


class MetaAfterRendered(RenderingTheme):
    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        dl = (
            "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"
            if pairs
            else ""
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<main><article><h1>{e(c.title)}</h1><div class="c">{self.content(c)}{dl}</div></article></main>',
        )


class BrLinesInContent(Theme):
    labels = {
        "force": "Service",
        "reference": "ID",
        "report": "Published in",
        "published": "Date",
        "themes": "Topics",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "ordinal")
        p = "<p>" + "<br>".join(f"{k}: {v}" for k, v in pairs) + "</p>" if pairs else ""
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<div class="wrap"><h1>{e(c.title)}</h1><div class="x">{self.content(c)}{p}</div></div>',
        )


class DisplayNone(Theme):
    """Copies hidden by the page's own style (display:none): a wrong metadata box, a menu, a
    print copy of the text; the real metadata as label and value spans under the text."""

    labels = {"force": "Organisation", "reference": "Ref no", "report": "Source",
              "published": "Issued", "themes": "Tags"}  # fmt: skip

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "numeric")
        shown = "".join(f"<p><span>{k}</span> <span>{v}</span></p>" for k, v in pairs)
        wrong = "".join(f"<p><span>{k}</span> <span>Hidden value</span></p>" for k, _ in pairs)
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<main><h1>{e(c.title)}</h1><div style="display: none">{wrong}'
            "<p>Menu: Home About</p></div>"
            f'<section>{self.content(c)}</section><div class="m">{shown}</div>'
            '<div style="visibility:hidden"><p>Hidden copy of the text for printing.</p>'
            "</div></main>",
        )


class RelatedAfterLog(RenderingTheme):
    def page(self, c):
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><article><h1>{e(c.title)}</h1>{self.meta_block(c)}<div>{self.content(c)}</div>{related(c)}"
            f'<p><a href="javascript:window.print()">Print this page</a></p>'
            f'<ul class="s"><li><a href="https://twitter.com/x">Twitter</a></li><li><a href="https://facebook.com/x">Facebook</a></li></ul></article></main>',
        )


class FooterDl(Theme):
    labels = {
        "force": "Force or service",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        dl = (
            "<dl>" + "".join(f"<dt>{k}:</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"
            if pairs
            else ""
        )
        return doc(
            c.title,
            "",
            f"<header><nav>{NAV}</nav></header>"
            + (self.banner(c) if c.banner else "")
            + f'<div id="page"><article><header><h1>{e(c.title)}</h1>'
            f'<ol class="crumbs"><li><a href="/">Home</a></li><li><a href="/recs/">Recommendations</a></li></ol></header>'
            f'<div class="body">{self.content(c)}</div><footer>{dl}</footer></article><footer>{FOOTER}</footer></div>',
        )


class TableAfterLog(Theme):
    labels = {
        "force": "Force",
        "reference": "Our ref",
        "report": "Report",
        "published": "Date of report",
        "themes": "Theme(s)",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        t = (
            "<h3>About</h3><table>"
            + "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in pairs)
            + "</table>"
            if pairs
            else ""
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<body><div class="content"><h1>{e(c.title)}</h1>{self.content(c)}{t}</div></body>',
        )


class StrongColonP(RenderingTheme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        ps = "".join(f"<p><strong>{k}:</strong> {v}</p>" for k, v in pairs)
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<main><h1>{e(c.title)}</h1><div class="entry-content">{self.content(c)}{ps}</div></main>',
        )


class ItempropContent(Theme):
    def page(self, c):
        m = c.meta
        meta = ""
        if m:
            meta = (
                '<div class="facts">'
                + (
                    f'<meta itemprop="identifier" content="{e(m.reference)}">'
                    if m.reference
                    else ""
                )
                + (
                    f'<meta itemprop="datePublished" content="{m.published_on}">'
                    if m.published_on
                    else ""
                )
                + (f'<link itemprop="isPartOf" href="{m.report_url}">' if m.report_url else "")
                + (
                    f'<span itemprop="about" itemscope><meta itemprop="name" content="{e(m.force_name)}"></span>'
                    if m.force_name
                    else ""
                )
                + (
                    f'<meta itemprop="keywords" content="{e(", ".join(m.themes))}">'
                    if m.themes
                    else ""
                )
                + "</div>"
            )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<div itemscope itemtype="https://schema.org/CreativeWork"><h1>{e(c.title)}</h1>{meta}<div>{self.content(c)}</div></div>',
        )


class HorizontalTable(Theme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        t = (
            (
                "<table><thead><tr>"
                + "".join(f"<th>{k}</th>" for k, _ in pairs)
                + "</tr></thead><tbody><tr>"
                + "".join(f"<td>{v}</td>" for _, v in pairs)
                + "</tr></tbody></table>"
            )
            if pairs
            else ""
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><article><h1>{e(c.title)}</h1>{t}<div>{self.content(c)}</div></article></main>",
        )


class HeadingLabels(Theme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        box = "".join(f"<h4>{k}</h4><p>{v}</p>" for k, v in pairs)
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<main><article><h1>{e(c.title)}</h1><div class="entry-content">{self.content(c)}</div>'
            f'<section class="details">{box}</section></article></main>',
        )


class FlatKV(Theme):
    labels = {
        "force": "Force or service",
        "reference": "Ref",
        "report": "Report",
        "published": "Date",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "ordinal")
        box = (
            '<div class="meta">'
            + "".join(f'<div class="k">{k}</div><div class="v">{v}</div>' for k, v in pairs)
            + "</div>"
            if pairs
            else ""
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<main><h1>{e(c.title)}</h1>{box}<div class="text">{self.content(c)}</div></main>',
        )


class BylineNoColon(Theme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        m = c.meta
        lines = []
        if m:
            if m.published_on:
                shown = fmt_date(m.published_on, "plain")
                lines.append(f'<p class="date">Published {shown}</p>')
            pairs = [(k, v) for k, v in meta_pairs(c, self.labels, "plain") if k != "Published"]
            lines += [f"<p>{k}: {v}</p>" for k, v in pairs]
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<article><h1>{e(c.title)}</h1>{''.join(lines)}<div>{self.content(c)}</div></article>",
        )


class FooterSibling(Theme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        ul = "<ul>" + "".join(f"<li>{k}: {v}</li>" for k, v in pairs) + "</ul>" if pairs else ""
        return doc(
            c.title,
            "",
            f"<header>{NAV}</header><main>"
            + (self.banner(c) if c.banner else "")
            + f"<article><h1>{e(c.title)}</h1><div>{self.content(c)}</div></article>"
            f'<footer class="post-footer">{ul}</footer></main><footer>{FOOTER}</footer>',
        )


class CardsAfter(RenderingTheme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        cards = "".join(
            f'<div class="card"><h3><a href="{o.url}">{e(o.title)}</a></h3><p>{e(first_sentence(o))}</p><a href="{o.url}">Read more</a></div>'
            for o in others(c, 3)
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><h1>{e(c.title)}</h1>{self.meta_block(c)}<div>{self.content(c)}</div>"
            f'<section><h2>More from this report</h2>{cards}</section><p><a href="#top">Back to top</a></p></main>',
        )


class ShareBetween(Theme):
    def source_parts(self, c):
        parts = super().source_parts(c)
        k = max(1, len(parts) - 1)
        tools = (
            '<div class="tools"><span>Share this</span> <a href="https://facebook.com/s">Facebook</a> '
            '<a href="https://x.com/s">X</a> <a href="mailto:?s=1">Email</a></div>'
        )
        return parts[:k] + [tools] + parts[k:]

    def page(self, c):
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<article><h1>{e(c.title)}</h1>{self.meta_block(c)}<div>{self.content(c)}</div></article>",
        )


class DetailsMeta(Theme):
    def page(self, c):
        mb = self.meta_block(c)
        d = (
            f"<details open><summary>About this recommendation</summary>{mb}</details>"
            if mb
            else ""
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<main><h1>{e(c.title)}</h1>{d}<div class="b">{self.content(c)}</div></main>',
        )


class PrevNext(Theme):
    def page(self, c):
        o1, o2 = others(c, 2)
        pn = (
            f'<div class="pn"><a href="{o1.url}">← Previous: {e(o1.title)}</a> '
            f'<a href="{o2.url}">Next: {e(o2.title)} →</a></div>'
        )
        see = f'<div class="box"><p>See also: <a href="{o2.url}">{e(o2.title)}</a></p></div>'
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><article><h1>{e(c.title)}</h1>{self.meta_block(c)}{see}<div>{self.content(c)}</div>{pn}</article></main>",
        )


class EmLabels(Theme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        ps = "".join(f"<p><em>{k}:</em> {v}</p>" for k, v in pairs)
        upd = "<p><em>Updated:</em> 3 March 2021</p>" if pairs else ""
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<main><h1>{e(c.title)}</h1><div class="entry-content">{ps}{upd}{self.content(c)}</div></main>',
        )


class TagCloud(Theme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = [(k, v) for k, v in meta_pairs(c, self.labels, "plain") if k != "Themes"]
        dl = (
            "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"
            if pairs
            else ""
        )
        tags = ""
        if c.meta and c.meta.themes:
            tags = (
                '<div class="tags">'
                + " ".join(
                    f'<a rel="tag" href="{OLD}/hmicfrs/?recommendation-theme={t.lower().replace(" ", "-")}">{e(t)}</a>'
                    for t in c.meta.themes
                )
                + "</div>"
            )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><article><h1>{e(c.title)}</h1>{dl}<div>{self.content(c)}</div>{tags}</article></main>",
        )


class KickerAbove(RenderingTheme):
    labels = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }

    def page(self, c):
        pairs = meta_pairs(c, self.labels, "plain")
        kick = "".join(f'<p class="k">{k}: {v}</p>' for k, v in pairs[:1])
        rest = (
            "<ul>" + "".join(f"<li><b>{k}</b> {v}</li>" for k, v in pairs[1:]) + "</ul>"
            if pairs[1:]
            else ""
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f'<main><div class="head">{kick}<h1>{e(c.title)}</h1></div><div>{self.content(c)}</div>{rest}</main>',
        )


class UnnamedCookie(RenderingTheme):
    def page(self, c):
        bar = (
            '<div class="bar-x"><p>We use small files to understand how people use this site and to '
            'remember your choices.</p><button type="button">Accept</button> <button type="button">Reject</button></div>'
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><h1>{e(c.title)}</h1>{self.meta_block(c)}<div>{self.content(c)}</div>{bar}</main>",
        )


class RelatedTable(Theme):
    def page(self, c):
        rows = "".join(
            f'<tr><td><a href="{o.url}">{e(o.title)}</a></td><td>{last_status(o)}</td></tr>'
            for o in others(c, 3)
        )
        t = f'<h3>Other recommendations in this report</h3><table class="r"><tr><th>Recommendation</th><th>Status</th></tr>{rows}</table>'
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><article><h1>{e(c.title)}</h1>{self.meta_block(c)}<div>{self.content(c)}</div>{t}</article></main>",
        )


class SpanCrumbs(Theme):
    def page(self, c):
        crumbs = (
            f'<div class="where"><a href="/hmicfrs/">Home</a> › <a href="/hmicfrs/recommendations/">Recommendations</a> › '
            f"<span>{e(c.force.replace('-', ' ').title())}</span></div>"
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><article>{crumbs}<h1>{e(c.title)}</h1>{self.meta_block(c)}<div>{self.content(c)}</div></article></main>",
        )


class CommentsAfter(RenderingTheme):
    def page(self, c):
        com = (
            '<section class="talk"><h2>2 responses</h2><ol><li><p><b>Alex</b> says:</p><p>Is there an update on this?</p></li>'
            "<li><p><b>Sam</b> says:</p><p>Thanks for publishing this.</p></li></ol>"
            "<form><textarea></textarea><button>Post</button></form></section>"
        )
        return doc(
            c.title,
            "",
            (self.banner(c) if c.banner else "")
            + f"<main><article><h1>{e(c.title)}</h1>{self.meta_block(c)}<div>{self.content(c)}</div></article>{com}</main>",
        )


class ManyArticles(RenderingTheme):
    """No <main>: the post is one <article> of several, the others teaser cards in a box beside
    it, some longer than a short post."""

    def page(self, c):
        teasers = "".join(
            f'<article class="card"><h3><a href="{o.url}">{e(o.title)}</a></h3>'
            f"<p>{e(first_sentence(o))}</p></article>"
            for o in others(c, 3)
        )
        return doc(
            c.title,
            "",
            f'<div class="top">{NAV}</div>'
            + (self.banner(c) if c.banner else "")
            + f'<div class="wrap"><article class="post"><h1>{e(c.title)}</h1>'
            f"{self.meta_block(c)}<div>{self.content(c)}</div></article>"
            f'<div class="side"><h2>Related</h2>{teasers}</div></div>',
        )


THEMES = [
    MetaAfterRendered("meta_after_rendered"),
    BrLinesInContent("br_lines"),
    DisplayNone("display_none"),
    RelatedAfterLog("related_after_log"),
    FooterDl("footer_dl"),
    TableAfterLog("table_after_log"),
    StrongColonP("strong_colon_p"),
    ItempropContent("itemprop_meta"),
    HorizontalTable("horizontal_table"),
    HeadingLabels("heading_labels"),
    FlatKV("flat_kv"),
    BylineNoColon("byline_nocolon"),
    FooterSibling("footer_sibling"),
    CardsAfter("cards_after"),
    ShareBetween("share_between"),
    DetailsMeta("details_meta"),
    PrevNext("prev_next"),
    EmLabels("em_labels"),
    TagCloud("tag_cloud"),
    KickerAbove("kicker_above"),
    UnnamedCookie("unnamed_notice"),
    RelatedTable("related_table"),
    SpanCrumbs("span_crumbs"),
    CommentsAfter("readers_talk"),
    ManyArticles("many_articles"),
]


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_every_content_reads_whole_in_a_theme_of_our_own(theme: Theme) -> None:
    got = {c.name: normalised(as_dict(parse_page(theme.page(c), c.url))) for c in CONTENTS}
    want = {c.name: expected_record(c) for c in CONTENTS}
    assert got == want


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_a_listing_in_a_theme_of_our_own_reads_every_entry_whole(theme: Theme) -> None:
    url = f"{OLD}/hmicfrs/?recommendation-theme=plan"
    next_url = f"{OLD}/hmicfrs/page/2/?recommendation-theme=plan"
    entries = [BY_NAME[n] for n in LISTED]
    parsed = parse_page(theme.listing(entries, next_url), url)
    assert normalised(as_dict(parsed)) == listing_expected(theme, entries, url, next_url)
