"""Metadata forms x where they sit x chrome beside them: every combination reads whole.

Eleven ways a theme may show the page's metadata (a <dl>, a row-headed table, "<strong>Label:
</strong> value" paragraphs, <br>-split "Label: value" lines, labelled spans side by side,
label and value boxes with no mark, <h4> labels, a one-row column table, <b> labels in list
items, <b> labels over a line break, " | "-separated spans), each at six places (opening the
entry content, closing it after the log, in the article's footer, in an aside beside the
article, under the title, in the article's header), beside each of ten pieces of chrome in
the entry content (a labelled share row, a lone print link, related recommendations, a notice
of buttons, a breadcrumb list, none, a hidden copy with wrong values, a "See also" pointer,
"Back to top" and print/share links, teaser cards with "Read more"), with the log as markup
or rendered, the page with <main> and <article> or with neither (plain boxes), the labels in
one of three wordings: the blind set's 20 contents in each, every record whole. A combination
the parser gets wrong names its form, place, chrome and wrapper.
"""

from __future__ import annotations

import pytest

from scraper import parse_page
from tests.blindthemes import (
    CONTENTS,
    FOOTER,
    NAV,
    RenderingTheme,
    Theme,
    as_dict,
    doc,
    e,
    expected_record,
    first_sentence,
    meta_pairs,
    normalised,
    others,
)

LABELS = [
    {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    },
    {
        "force": "Force or service",
        "reference": "Ref",
        "report": "Inspection report",
        "published": "Date published",
        "themes": "Topics",
    },
    {
        "force": "Organisation",
        "reference": "ID",
        "report": "Source",
        "published": "Report date",
        "themes": "Tags",
    },
]


def forms(pairs):
    return {
        "dl": "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>",
        "table": "<table>"
        + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in pairs)
        + "</table>",
        "strongp": "".join(f"<p><strong>{k}:</strong> {v}</p>" for k, v in pairs),
        "brlines": "<p>" + "<br>".join(f"{k}: {v}" for k, v in pairs) + "</p>",
        "spans": '<div class="m">'
        + " ".join(f"<span>{k}: {v}</span>" for k, v in pairs)
        + "</div>",
        "flat": "<div>" + "".join(f"<div>{k}</div><div>{v}</div>" for k, v in pairs) + "</div>",
        "h4": "<div>" + "".join(f"<h4>{k}</h4><p>{v}</p>" for k, v in pairs) + "</div>",
        "htable": "<table><thead><tr>"
        + "".join(f"<th>{k}</th>" for k, _ in pairs)
        + "</tr></thead><tbody><tr>"
        + "".join(f"<td>{v}</td>" for _, v in pairs)
        + "</tr></tbody></table>",
        "li": "<ul>" + "".join(f"<li><b>{k}</b> {v}</li>" for k, v in pairs) + "</ul>",
        "brb": "".join(f"<p><b>{k}</b><br>{v}</p>" for k, v in pairs),
        "pipes": "<p>" + " | ".join(f"<span>{k}: {v}</span>" for k, v in pairs) + "</p>",
    }


CHROME = {
    "share": '<div><span>Share:</span> <a href="https://twitter.com/x">Twitter</a> <a href="mailto:?x">Email</a></div>',
    "pdf": lambda c: f'<p><a href="{c.url}print/">Print this recommendation</a></p>',
    "related": lambda c: (
        "<h3>Related</h3><ul>"
        + "".join(
            f'<li><a href="{o.url}">{e(o.title)}</a> {e(first_sentence(o))}</li>'
            for o in others(c, 2)
        )
        + "</ul>"
    ),
    "buttons": "<div><p>We use cookies to make this site work.</p><button>Accept</button><button>Reject</button></div>",
    "crumbs": '<ol><li><a href="/">Home</a></li><li><a href="/hmicfrs/recommendations/">Recommendations</a></li></ol>',
    "none": "",
    "hidden": lambda c: (
        '<div style="display:none"><dl><dt>Force</dt><dd>Wrong Police</dd><dt>Reference</dt><dd>ZZ/1</dd></dl></div>'
    ),
    "seealso": lambda c: (
        f'<p>See also: <a href="{others(c, 1)[0].url}">{e(others(c, 1)[0].title)}</a></p>'
    ),
    "backtop": '<p><a href="#top">Back to top</a></p><p class="x"><a href="javascript:window.print()">Print</a> <a href="https://www.facebook.com/sharer.php">Facebook</a></p>',
    "cards": lambda c: (
        "<h2>More</h2>"
        + "".join(
            f'<div><h3><a href="{o.url}">{e(o.title)}</a></h3><p>{e(first_sentence(o))}</p><p><a href="{o.url}">Read more</a></p></div>'
            for o in others(c, 2)
        )
    ),
}
POS = ["content_top", "content_end", "article_footer", "aside_beside", "under_title", "header"]


class Combo(RenderingTheme):
    """One metadata form at one position beside one piece of chrome, log rendered or not."""

    def __init__(self, form, pos, chrome, labels, render, wrap="main"):
        super().__init__(f"{form}-{pos}-{chrome}")
        self.wrap = wrap
        self.form, self.pos, self.chrome, self.labels_, self.render = (
            form,
            pos,
            chrome,
            labels,
            render,
        )

    def source_parts(self, c):
        if self.render:
            return RenderingTheme.source_parts(self, c)
        return Theme.source_parts(self, c)

    def page(self, c):
        pairs = meta_pairs(c, self.labels_, "plain")
        m = forms(pairs)[self.form] if pairs else ""
        ch = CHROME[self.chrome]
        ch = ch(c) if callable(ch) else ch
        body = self.content(c)
        top = end = foot = side = under = ""
        if self.pos == "content_top":
            top = m
        elif self.pos == "content_end":
            end = m
        elif self.pos == "article_footer":
            foot = f"<footer>{m}</footer>"
        elif self.pos == "aside_beside":
            side = f"<aside>{m}</aside>"
        elif self.pos == "under_title":
            under = m
        hdr = (
            f"<header><h1>{e(c.title)}</h1>{m}</header>"
            if self.pos == "header"
            else f"<h1>{e(c.title)}</h1>"
        )
        art = f'<article>{hdr}{under}<div class="entry-content">{top}{body}{end}{ch}</div>{foot}</article>'
        banner = self.banner(c) if c.banner else ""
        if self.wrap == "div":
            # No <main>, no <article>, no <aside>: boxes with names the parser never uses.
            art = art.replace("<article>", '<div class="p7">').replace("</article>", "</div>")
            side = side.replace("<aside>", '<div class="s7">').replace("</aside>", "</div>")
            return doc(
                c.title,
                "",
                f'<div class="t7">{NAV}</div>{banner}<div class="w7">{art}{side}</div>'
                f'<div class="b7">{FOOTER}</div>',
            )
        return doc(
            c.title,
            "",
            f"<header>{NAV}</header>{banner}<main>{art}{side}</main><footer>{FOOTER}</footer>",
        )


@pytest.mark.parametrize("form", list(forms([("a", "b")])))
def test_a_metadata_form_reads_whole_wherever_it_sits_beside_any_chrome(form: str) -> None:
    wrong = []
    for i, (pos, chrome) in enumerate((p, c) for p in POS for c in CHROME):
        wrap = ("main", "div")[(i // 2) % 2]
        theme = Combo(form, pos, chrome, LABELS[i % len(LABELS)], i % 2 == 1, wrap)
        for c in CONTENTS:
            got = normalised(as_dict(parse_page(theme.page(c), c.url)))
            want = expected_record(c)
            diff = sorted(k for k in want if got.get(k) != want[k])
            if diff:
                wrong.append((pos, chrome, wrap, c.name, diff))
    assert wrong == []
