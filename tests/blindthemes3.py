"""Blind adversary set 3: eight page themes written without reading the parser.

Each of ten recommendation contents (own wording) is rendered in a plain reference theme
(WordPress-classic-like: article, h1, entry-content, metadata <dl>) and in eight other
themes a real site, CMS or capture tool might serve. The reference's parsed record is the
truth; tests/test_parse_blind3.py asserts every theme's record equals it. A listing page
(three entries) is rendered per theme as well.
"""

from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass, field

BASE = "https://www.justiceinspectorates.gov.uk/hmicfrs"
WAYBACK = "https://web.archive.org/web/20190614093012"


@dataclass
class Content:
    """One recommendation: blocks of text, blocks of log, metadata (display strings)."""

    key: str
    force: str
    rec_id: int
    report_title: str
    text_blocks: list  # (tag, html) with tag in p, ul, h2, h3
    log_blocks: list  # (tag, html): p, ul, div
    meta: dict = field(default_factory=dict)  # force_name, reference, report, published, themes
    banner: bool = False

    @property
    def url(self) -> str:
        return f"{BASE}/recommendation/{self.force}/{self.rec_id}/"

    @property
    def title(self) -> str:
        return f"{self.report_title} ({self.rec_id})"


def _report(slug: str, label: str) -> tuple[str, str]:
    return (f"{BASE}/publications/{slug}/", label)


CONTENTS = [
    Content(
        "markup_basic",
        "northshire",
        1234,
        "Crime data integrity inspection: Northshire",
        [
            (
                "p",
                "The force should review how it records reports of antisocial behaviour so "
                "that every crime disclosed is recorded within 24 hours of the report.",
            )
        ],
        [
            (
                "p",
                "[on]3rd March 2017 [status]awaiting-review[/status][/on][on]8th May 2018 "
                "[status]being-progressed[/status][/on][on]8th May 2018 [comment]",
            ),
            ("p", "The force has formed a working group led by a superintendent."),
            ("p", "It meets monthly and reports to the deputy chief constable."),
            ("p", "[/comment][/on][on]10th July 2018 [status]complete[/status][/on]"),
        ],
        {
            "force_name": "Northshire Police",
            "reference": "NS-2017-04",
            "report": _report(
                "crime-data-integrity-northshire", "Crime data integrity: Northshire"
            ),
            "published": "3 March 2017",
            "themes": [("recording", "Recording"), ("audit", "Audit")],
        },
    ),
    Content(
        "bullets_markup",
        "east-fenland",
        2051,
        "Vetting inspection: East Fenland",
        [
            ("p", "Within six months, the force should:"),
            (
                "ul",
                [
                    "complete a review of all vetting clearances older than ten years;",
                    "make sure its vetting unit has enough trained staff; and",
                    "report progress to its ethics committee every quarter.",
                ],
            ),
        ],
        [
            (
                "p",
                "[on]21st November 2017 [status]awaiting-review[/status][/on][on]2nd February "
                "2018 [comment]",
            ),
            ("p", "New recommendation"),
            ("p", "[/comment][/on][on]22nd June 2018 [status]being-progressed[/status][/on]"),
        ],
        {
            "force_name": "East Fenland Constabulary",
            "reference": "EF/VET/3",
            "report": _report("vetting-east-fenland", "Vetting inspection: East Fenland"),
            "published": "21 November 2017",
            "themes": [("vetting", "Vetting")],
        },
    ),
    Content(
        "rendered_lines",
        "south-moorland",
        3310,
        "Call handling inspection: South Moorland",
        [
            (
                "p",
                "The force should make sure that call handlers assess the risk to every "
                "caller using a structured method and record the result.",
            )
        ],
        [
            ("p", "9th February 2017 awaiting-review"),
            ("p", "30th January 2018"),
            ("p", "A structured risk assessment tool went live in the control room."),
            ("p", "Dip sampling of 200 calls found the tool used in 91 calls out of 100."),
            ("p", "23rd April 2018 being-progressed"),
            ("p", "11th June 2019 complete"),
        ],
        {
            "force_name": "South Moorland Police",
            "reference": "SM-CH-12",
            "report": _report("call-handling-south-moorland", "Call handling: South Moorland"),
            "published": "9 February 2017",
            "themes": [("call-handling", "Call handling"), ("harm", "Harm")],
        },
    ),
    Content(
        "cause_of_concern",
        "kingsbridge",
        4120,
        "Child protection inspection: Kingsbridge",
        [
            ("h2", "Cause of concern"),
            (
                "p",
                "Officers did not always identify children at risk when attending "
                "domestic incidents, so referrals to partner agencies were missed.",
            ),
            ("h2", "Recommendations"),
            ("p", "To address this cause of concern, the force should immediately:"),
            (
                "ul",
                [
                    "brief all response officers on recognising risk to children;",
                    "audit a sample of domestic incidents each month.",
                ],
            ),
        ],
        [
            (
                "p",
                "Progress update: the briefing was delivered to every response team by "
                "26 April 2018 and monthly audits started on 21/05/2018.",
            ),
            ("p", "This recommendation is complete."),
        ],
        {
            "force_name": "Kingsbridge Constabulary",
            "reference": "KB-CP-1",
            "published": "14 November 2017",
            "themes": [("harm", "Harm"), ("partnership-working", "Partnership working")],
        },
    ),
    Content(
        "seed_like_banner",
        "west-mercia-vale",
        5517,
        "Organised crime mapping: West Mercia Vale",
        [
            ("h2", "Causes of concern"),
            (
                "p",
                "The mapping of organised crime groups is applied inconsistently, giving "
                "an incomplete view of the threat across the region.",
            ),
            ("h3", "Recommendation 5"),
            (
                "p",
                "• Within three months, responsibility for mapping organised crime groups "
                "should pass to the regional organised crime unit.",
            ),
        ],
        [
            (
                "p",
                "[on]3rd March 2017 [status]awaiting-review[/status][/on][on]9th July 2018 "
                "[comment]",
            ),
            ("p", "The regional unit took over the mapping on 1st June 2018."),
            ("p", "I consider the recommendation met."),
            ("p", "Force liaison lead"),
            (
                "p",
                "[/comment][/on][on]10th July 2018 [status]complete[/status][/on][on]10th "
                "July 2018 [comment]",
            ),
            ("p", "Authorised for closure."),
            ("p", "[/comment][/on]"),
        ],
        {
            "force_name": "West Mercia Vale Police",
            "reference": "WMV-OC-5",
            "report": _report("organised-crime-mapping", "Organised crime mapping"),
            "published": "3 March 2017",
            "themes": [("threat-assessment", "Threat assessment")],
        },
        banner=True,
    ),
    Content(
        "text_only",
        "humberdale",
        88,
        "Stop and search review: Humberdale",
        [
            (
                "p",
                "The force should publish, every month, the number of stop and search "
                "encounters broken down by ethnicity and outcome.",
            ),
            ("p", "It should explain any disproportion it finds to its scrutiny panel."),
        ],
        [],
        {
            "force_name": "Humberdale Police",
            "themes": [("stop-search", "Stop and search")],
        },
    ),
    Content(
        "prose_closing",
        "riverford",
        6230,
        "Custody inspection: Riverford",
        [
            (
                "p",
                "The force should make sure detainees are offered a review by an "
                "appropriate adult within two hours of arrival.",
            )
        ],
        [
            (
                "p",
                "Update 18/12/18: the custody manager reports that reviews are now logged "
                "on the custody system and audited weekly.",
            ),
            ("p", "Agreed this action is complete and the recommendation can be closed."),
        ],
        {
            "force_name": "Riverford Constabulary",
            "reference": "RF-CU-7",
            "report": _report("custody-riverford", "Custody inspection: Riverford"),
            "published": "20 March 2018",
        },
    ),
    Content(
        "new_dates_backwards",
        "lowmoor-fire",
        7702,
        "Fire and rescue inspection: Lowmoor",
        [
            (
                "p",
                "The service should make sure that its fire safety audits target the "
                "premises at highest risk.",
            )
        ],
        [
            (
                "p",
                "[on]20/01/2019 [status]awaiting-review[/status][/on][on]9 February 2019 "
                "[status]being-progressed[/status][/on][on]4 March 2019 "
                "[status]awaiting-review[/status][/on][on]4 March 2019 [comment]",
            ),
            ("p", "Returned for review: the risk model has not yet been agreed."),
            (
                "p",
                "[/comment][/on][on]11/06/2019 [status]no-further-action-needed[/status][/on]",
            ),
        ],
        {
            "force_name": "Lowmoor Fire and Rescue Service",
            "reference": "LFRS-2019-2",
            "report": _report("fire-inspection-lowmoor", "Fire and rescue inspection: Lowmoor"),
            "published": "20 January 2019",
            "themes": [("evaluation", "Evaluation"), ("plan", "Plan"), ("training", "Training")],
        },
    ),
    Content(
        "national_missing_tags",
        "avonmere",
        8120,
        "National child sexual exploitation review",
        [
            (
                "p",
                "All forces should adopt the national definition of child sexual "
                "exploitation • train staff in its use • record it on their systems ◦ by "
                "the end of 2018.",
            )
        ],
        [
            (
                "p",
                "[on]2nd October 2017 [status]awaiting-review[/status][/on][on]30th January 2018",
            ),
            ("p", "The force adopted the definition in December 2017."),
            ("p", "[on]1st March 2018 [status]complete[/status][/on]"),
        ],
        {
            "force_name": "Avonmere Police",
            "reference": "NAT-CSE-1",
            "report": _report("national-cse-review", "National CSE review"),
            "published": "2 October 2017",
            "themes": [("equality", "Equality"), ("harm", "Harm")],
        },
    ),
    Content(
        "unknown_slug_no_meta",
        "northshire",
        9101,
        "Digital evidence inspection: Northshire",
        [
            (
                "p",
                "The force should make sure that digital devices seized as evidence are "
                "examined within 30 days.",
            )
        ],
        [
            (
                "p",
                "[on]5th September 2018 [status]awaiting-review[/status][/on][on]13th "
                "December 2018 [status]superseded[/status][/on][on]13th December 2018 "
                "[comment]",
            ),
            ("p", "Replaced by recommendation 9150 in the national digital review."),
            ("p", "[/comment][/on]"),
        ],
        {},
    ),
]

CONTENT_BY_KEY = {c.key: c for c in CONTENTS}


# ----------------------------------------------------------------------------- blocks


def block_html(block, p_class: str = "") -> str:
    tag, body = block
    cls = f' class="{p_class}"' if p_class and tag == "p" else ""
    if tag == "ul":
        return "<ul>" + "".join(f"<li>{_html.escape(i)}</li>" for i in body) + "</ul>"
    return f"<{tag}{cls}>{_html.escape(body)}</{tag}>"


def blocks_html(blocks, p_class: str = "") -> str:
    return "\n".join(block_html(b, p_class) for b in blocks)


def meta_rows(c: Content) -> list[tuple[str, str, str]]:
    """(key, label, value html) in display order."""
    m = c.meta
    rows = []
    if "force_name" in m:
        rows.append(("force", "Force or service", _html.escape(m["force_name"])))
    if "reference" in m:
        rows.append(("reference", "Reference", _html.escape(m["reference"])))
    if "report" in m:
        u, label = m["report"]
        rows.append(("report", "Report", f'<a href="{u}">{_html.escape(label)}</a>'))
    if "published" in m:
        rows.append(("published", "Published", _html.escape(m["published"])))
    if "themes" in m:
        links = ", ".join(
            f'<a href="{BASE}/?recommendation-theme={s}" rel="tag">{_html.escape(n)}</a>'
            for s, n in m["themes"]
        )
        rows.append(("themes", "Themes", links))
    return rows


def meta_dl(c: Content, cls: str = "rec-meta") -> str:
    rows = meta_rows(c)
    if not rows:
        return ""
    return (
        f'<dl class="{cls}">'
        + "".join(f"<dt>{label}</dt><dd>{v}</dd>" for _, label, v in rows)
        + "</dl>"
    )


BANNER = '<div class="error-404"><h1 class="page-title">404 Page not found</h1></div>'


def _doc(title: str, body: str, head: str = "", html_attrs: str = 'lang="en-GB"') -> str:
    return (
        f'<!DOCTYPE html>\n<html {html_attrs}><head><meta charset="utf-8">'
        f"<title>{_html.escape(title)} - HMICFRS</title>{head}</head>\n<body>\n{body}\n"
        "</body></html>\n"
    )


# ----------------------------------------------------------------------------- reference


def reference(c: Content) -> str:
    body = (BANNER if c.banner else "") + (
        f'<article class="post">\n<h1 class="entry-title">{_html.escape(c.title)}</h1>\n'
        f'<div class="entry-content">\n{blocks_html(c.text_blocks)}\n{blocks_html(c.log_blocks)}\n'
        f"</div>\n{meta_dl(c)}\n</article>"
    )
    return _doc(c.title, body)


# ----------------------------------------------------------------------------- themes

SIDEBAR = (
    '<aside class="widget-area"><h2 class="widget-title">Other recommendations</h2><ul>'
    f'<li><a href="{BASE}/recommendation/westvale/1240/">Crime data integrity: Westvale '
    "(1240)</a><p>The force should audit a sample of crime reports every quarter.</p></li>"
    f'<li><a href="{BASE}/recommendation/kingsbridge/4121/">Child protection: Kingsbridge '
    "(4121)</a><p>The force should review its referral forms.</p></li></ul></aside>"
)


def t_word_paste(c: Content) -> str:
    """Content pasted from Microsoft Word: MsoNormal paragraphs, spans, o:p, &nbsp; runs,
    a comment's paragraphs joined by <br><br>, metadata in an MsoTableGrid table."""

    def mso_p(text: str) -> str:
        t = _html.escape(text).replace(". ", ".&nbsp; ")
        return (
            '<p class="MsoNormal" style="margin-bottom:0cm;line-height:normal">'
            '<span style="font-size:12.0pt;font-family:&quot;Arial&quot;,sans-serif;'
            f'mso-fareast-language:EN-GB">{t}<o:p></o:p></span></p>'
        )

    def mso_block(b) -> str:
        tag, body = b
        if tag == "ul":
            return "".join(
                '<p class="MsoListParagraphCxSpMiddle" style="text-indent:-18.0pt;'
                'mso-list:l0 level1 lfo1"><!--[if !supportLists]--><span style="font-family:'
                'Symbol">·<span style="font:7.0pt &quot;Times New Roman&quot;">&nbsp;&nbsp;'
                "&nbsp;&nbsp;&nbsp; </span></span><!--[endif]--><span>"
                f"{_html.escape(i)}<o:p></o:p></span></p>"
                for i in body
            )
        if tag in ("h2", "h3"):
            return (
                f'<{tag}><span style="mso-bidi-font-weight:normal"><b>{_html.escape(body)}'
                f"</b></span><o:p></o:p></{tag}>"
            )
        return mso_p(body)

    # the log: comment paragraphs between markup lines are joined by <br><br> in one <p>
    log_parts = []
    buf = []
    for tag, body in c.log_blocks:
        if tag == "p" and "[" not in body and buf is not None:
            buf.append(_html.escape(body))
            continue
        if buf:
            log_parts.append(
                '<p class="MsoNormal"><span>' + "<br><br>".join(buf) + "<o:p></o:p></span></p>"
            )
            buf = []
        log_parts.append(mso_block((tag, body)))
    if buf:
        log_parts.append(
            '<p class="MsoNormal"><span>' + "<br><br>".join(buf) + "<o:p></o:p></span></p>"
        )
    rows = meta_rows(c)
    table = ""
    if rows:
        table = (
            '<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0" '
            'style="border-collapse:collapse;mso-yfti-tbllook:1184"><tbody>'
            + "".join(
                f'<tr style="mso-yfti-irow:{i}"><td width="200" valign="top"><p class="MsoNormal">'
                f"<b><span>{label}<o:p></o:p></span></b></p></td>"
                f'<td width="400" valign="top"><p class="MsoNormal"><span>{v}<o:p></o:p>'
                "</span></p></td></tr>"
                for i, (_, label, v) in enumerate(rows)
            )
            + "</tbody></table>"
        )
    body = (
        (BANNER if c.banner else "")
        + '<div id="page"><header class="site-header"><a class="site-title" href="/">HMICFRS'
        '</a></header><div id="content"><article>'
        f'<h1 class="entry-title">{_html.escape(c.title)}</h1><div class="entry-content">'
        '<div class="WordSection1">'
        + "".join(mso_block(b) for b in c.text_blocks)
        + '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        + "".join(log_parts)
        + '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        + table
        + "</div></div></article></div>"
        + SIDEBAR
        + "</div>"
    )
    head = (
        '<meta name="Generator" content="Microsoft Word 15 (filtered)">'
        "<style><!-- p.MsoNormal {margin:0cm;font-size:11.0pt;} --></style>"
    )
    return _doc(
        c.title, body, head, 'xmlns:o="urn:schemas-microsoft-com:office:office" lang="en-GB"'
    )


def t_split_siblings(c: Content) -> str:
    """Text, log and metadata in three sibling containers of main (none entry-content),
    an embedded report viewer iframe with fallback text, a related sidebar."""
    log = ""
    if c.log_blocks:
        log = (
            '<section class="rec-progress" aria-labelledby="prog-h"><h2 id="prog-h">Progress'
            f"</h2>{blocks_html(c.log_blocks)}</section>"
        )
    iframe = ""
    if "report" in c.meta:
        u, _ = c.meta["report"]
        iframe = (
            f'<figure class="report-embed"><iframe src="{u}embed/" title="Report viewer" '
            'width="600" height="400">Your browser cannot show embedded documents.</iframe>'
            "<figcaption>Read the full report</figcaption></figure>"
        )
    body = (
        (BANNER if c.banner else "")
        + '<header class="masthead"><nav><ul><li><a href="/">Home</a></li><li><a href="'
        f'{BASE}/recommendations/">Recommendations</a></li></ul></nav></header>'
        f'<main id="main"><h1 class="rec-title">{_html.escape(c.title)}</h1>'
        f'<div class="rec-grid"><div class="rec-meta-col">{meta_dl(c, "facts")}</div>'
        f'<div class="rec-statement">{blocks_html(c.text_blocks)}</div>'
        f"{log}{iframe}</div></main>{SIDEBAR}"
        '<footer class="site-footer"><p>© Crown copyright</p></footer>'
    )
    return _doc(c.title, body)


SPRITE = (
    '<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">'
    '<symbol id="i-force" viewBox="0 0 24 24"><title>Force or service</title>'
    '<path d="M12 2l8 4v6c0 5-3.5 9-8 10-4.5-1-8-5-8-10V6z"/></symbol>'
    '<symbol id="i-ref" viewBox="0 0 24 24"><title>Reference</title><path d="M4 4h16v16H4z"/>'
    "</symbol>"
    '<symbol id="i-report" viewBox="0 0 24 24"><title>Report</title><path d="M6 2h9l5 5v15H6z"/>'
    "</symbol>"
    '<symbol id="i-cal" viewBox="0 0 24 24"><title>Published 1 January 2020</title>'
    '<path d="M3 5h18v16H3z"/></symbol>'
    '<symbol id="i-tag" viewBox="0 0 24 24"><title>Themes</title><path d="M2 12l10-10h10v10'
    'L12 22z"/></symbol></svg>'
)


def t_icon_labels(c: Content) -> str:
    """Inline SVG sprite (symbol titles) first in body; metadata as a <dl> whose labels are
    icons only, named by aria-label and title; a sticky 'last updated' banner."""
    icons = {
        "force": "i-force",
        "reference": "i-ref",
        "report": "i-report",
        "published": "i-cal",
        "themes": "i-tag",
    }
    rows = meta_rows(c)
    dl = ""
    if rows:
        dl = (
            '<dl class="meta-icons">'
            + "".join(
                f'<dt aria-label="{label}" title="{label}"><svg class="icon" width="16" '
                f'height="16" role="img" aria-label="{label}"><use href="#{icons[k]}"></use></svg>'
                f"</dt><dd>{v}</dd>"
                for k, label, v in rows
            )
            + "</dl>"
        )
    body = (
        SPRITE
        + '<div class="sticky-banner" role="status"><svg class="icon"><use href="#i-cal"></use>'
        "</svg> Last updated: 2 August 2019</div>"
        + (BANNER if c.banner else "")
        + '<div class="wrap"><article class="rec type-recommendation">'
        f'<header class="entry-header"><h1 class="entry-title">{_html.escape(c.title)}</h1>'
        f"{dl}</header>"
        f'<div class="entry-content">{blocks_html(c.text_blocks)}{blocks_html(c.log_blocks)}'
        "</div></article></div>"
    )
    return _doc(c.title, body)


def t_consent_live(c: Content) -> str:
    """Cookie consent dialog before main, skip link, aria-live region, language switcher,
    a comment-count widget and a 'was this page useful' form after the content."""
    body = (
        '<a class="skip-link screen-reader-text" href="#content">Skip to content</a>'
        '<div id="cookie-consent" role="dialog" aria-modal="true" aria-labelledby="cc-h">'
        '<h2 id="cc-h">Cookies on this site</h2><p>We use some essential cookies to make this '
        "service work. We would also like to set analytics cookies to understand how you use "
        "the site, which are set only if you accept them.</p><p>The analytics cookies should "
        'be kept for 2 years and are reviewed every month.</p><button type="button">Accept '
        'analytics cookies</button><button type="button">Reject analytics cookies</button>'
        '<a href="/cookies/">View cookies</a></div>'
        '<div class="sr-live" aria-live="polite" aria-atomic="true">Page loaded. Status: '
        "complete.</div>"
        '<ul class="lang-switcher"><li><a href="?lang=en" hreflang="en" aria-current="true">'
        'English</a></li><li><a href="?lang=cy" hreflang="cy" lang="cy">Cymraeg</a></li></ul>'
        + (BANNER if c.banner else "")
        + f'<div id="content" class="site-content"><div id="primary"><main id="main">'
        f'<article class="post hentry"><h1 class="entry-title">{_html.escape(c.title)}</h1>'
        '<div class="entry-meta"><span class="comments-link"><a href="#comments">3 Comments'
        "</a></span></div>"
        f'<div class="entry-content">{blocks_html(c.text_blocks)}{blocks_html(c.log_blocks)}'
        f"</div>{meta_dl(c)}</article>"
        '<form class="feedback" action="/feedback/"><fieldset><legend>Is this page useful?'
        '</legend><button name="u" value="yes">Yes</button><button name="u" value="no">No'
        "</button></fieldset><p>Report a problem with this page. The service should reply "
        "within 5 working days.</p></form>"
        "</main></div></div>"
    )
    return _doc(c.title, body)


def t_noscript_template(c: Content) -> str:
    """A hydrating app shell: skeleton placeholders in #app, the whole article in a
    <noscript> fallback and again in a <template> for the client to stamp out."""
    article = (
        f'<article class="rec"><h1 class="entry-title">{_html.escape(c.title)}</h1>'
        f'<div class="rec-body">{blocks_html(c.text_blocks)}{blocks_html(c.log_blocks)}</div>'
        f"{meta_dl(c)}</article>"
    )
    body = (
        (BANNER if c.banner else "")
        + '<div id="app" data-hydrate="recommendation"><div class="skeleton">'
        '<div class="skeleton-line"></div><div class="skeleton-line"></div>'
        '<p class="loading">Loading recommendation…</p></div></div>'
        f"<noscript>{article}</noscript>"
        f'<template id="rec-template">{article}</template>'
        '<script type="application/json" id="__STATE__">{"route":"recommendation"}</script>'
    )
    return _doc(c.title, body)


def t_aria_tabs(c: Content) -> str:
    """ARIA tabs: text, progress log and details in three tab panels, the two inactive ones
    carrying the hidden attribute; a status pill in the header."""
    rows = meta_rows(c)
    table = ""
    if rows:
        table = (
            '<table class="details"><tbody>'
            + "".join(f'<tr><th scope="row">{label}</th><td>{v}</td></tr>' for _, label, v in rows)
            + "</tbody></table>"
        )
    log = blocks_html(c.log_blocks) if c.log_blocks else "<p>No progress has been recorded.</p>"
    body = (
        (BANNER if c.banner else "")
        + f'<main><header class="rec-head"><h1>{_html.escape(c.title)}</h1>'
        '<span class="pill">Recommendation</span></header>'
        '<div class="tabs"><div role="tablist" aria-label="Recommendation sections">'
        '<button role="tab" id="t1" aria-controls="p1" aria-selected="true">Recommendation'
        '</button><button role="tab" id="t2" aria-controls="p2" aria-selected="false" '
        'tabindex="-1">Progress</button><button role="tab" id="t3" aria-controls="p3" '
        'aria-selected="false" tabindex="-1">Details</button></div>'
        f'<div role="tabpanel" id="p1" aria-labelledby="t1">{blocks_html(c.text_blocks)}</div>'
        f'<div role="tabpanel" id="p2" aria-labelledby="t2" hidden>{log}</div>'
        f'<div role="tabpanel" id="p3" aria-labelledby="t3" hidden>{table}</div></div></main>'
    )
    return _doc(c.title, body)


def _wayback_links(s: str) -> str:
    return re.sub(r'href="(https?://[^"]+)"', lambda m: f'href="{WAYBACK}/{m.group(1)}"', s)


def t_wayback_toolbar(c: Content) -> str:
    """A Wayback Machine capture as served with its toolbar: the toolbar insert first in
    body (capture dates, counts), every link rewritten to web.archive.org."""
    toolbar = (
        "<!-- BEGIN WAYBACK TOOLBAR INSERT -->"
        '<div id="wm-ipp-base" lang="en" style="display:block"><div id="wm-ipp">'
        '<div id="wm-ipp-inside"><table><tr><td class="c"><a href="https://web.archive.org/">'
        'Wayback Machine</a></td><td><form><input type="text" name="url" value="'
        f'{c.url}"></form><div id="wm-nav-captures"><a class="t" href="/web/*/{c.url}">'
        "14 captures</a><div>12 Mar 2018 - 2 Aug 2019</div></div></td>"
        '<td><table><tr><td class="y">2018</td><td class="y">2019</td></tr>'
        "<tr><td>JUN</td><td>14</td><td>AUG</td></tr></table></td></tr></table>"
        '<div id="wm-capinfo"><p>Collected by: Archive Team crawl of UK government sites, '
        "started 4th June 2019.</p></div></div></div></div>"
        "<!-- END WAYBACK TOOLBAR INSERT -->"
    )
    inner = _wayback_links(
        f'<article class="post">\n<h1 class="entry-title">{_html.escape(c.title)}</h1>\n'
        f'<div class="entry-content">\n{blocks_html(c.text_blocks)}\n'
        f"{blocks_html(c.log_blocks)}\n</div>\n{meta_dl(c)}\n</article>"
    )
    head = (
        '<script src="//archive.org/includes/analytics.js?v=cf34f82"></script>'
        '<script type="text/javascript">window.RufflePlayer=window.RufflePlayer||{};</script>'
        '<link rel="stylesheet" href="/_static/css/banner-styles.css?v=S1zqJCYt">'
    )
    body = (
        toolbar + (BANNER if c.banner else "") + '<div id="page"><nav class="crumbs"><a href="'
        f'{WAYBACK}/{BASE}/">Home</a> › <a href="{WAYBACK}/{BASE}/recommendations/">'
        f"Recommendations</a></nav>{inner}</div>"
        "<!--\n     FILE ARCHIVED ON 09:30:12 Jun 14, 2019 AND RETRIEVED FROM THE\n"
        "     INTERNET ARCHIVE ON 10:00:00 Dec 02, 2026.\n-->"
    )
    return _doc(c.title, body, head)


def t_reader_mode(c: Content) -> str:
    """A reader-mode (Readability) rendering: reader header with domain, title, byline and
    reading time; the content's wrappers and classes gone; metadata as plain paragraphs
    with the label in bold and no colon, after the log."""
    rows = meta_rows(c)
    meta = "".join(f"<p><b>{label}</b> {v}</p>" for _, label, v in rows)
    body = (
        '<div class="container" dir="ltr"><div class="header reader-header">'
        '<a class="domain reader-domain" href="' + c.url + '">justiceinspectorates.gov.uk</a>'
        '<div class="domain-border"></div>'
        f'<h1 class="reader-title">{_html.escape(c.title)}</h1>'
        '<div class="credits reader-credits">HMICFRS</div>'
        '<div class="meta-data"><div class="reader-estimated-time">2-3 minutes</div></div>'
        "</div><hr>"
        '<div class="content"><div class="moz-reader-content reader-show-element">'
        '<div id="readability-page-1" class="page"><div>'
        + ("<h2>404 Page not found</h2>" if c.banner else "")
        + blocks_html(c.text_blocks)
        + blocks_html(c.log_blocks)
        + meta
        + "</div></div></div></div></div>"
    )
    return _doc(c.title, body)


THEMES = {
    "word_paste": t_word_paste,
    "split_siblings": t_split_siblings,
    "icon_labels": t_icon_labels,
    "consent_live": t_consent_live,
    "noscript_template": t_noscript_template,
    "aria_tabs": t_aria_tabs,
    "wayback_toolbar": t_wayback_toolbar,
    "reader_mode": t_reader_mode,
}


# ----------------------------------------------------------------------------- listings

LISTING_URL = f"{BASE}/?recommendation-theme=harm"
LISTING_NEXT = f"{BASE}/?recommendation-theme=harm&paged=2"
LISTED = ["rendered_lines", "cause_of_concern", "national_missing_tags"]


def _entry(c: Content, head_tag: str = "h2") -> tuple[str, str, str]:
    link = f'<a href="{c.url}">{_html.escape(c.title)}</a>'
    return (
        f'<{head_tag} class="entry-title">{link}</{head_tag}>',
        blocks_html(c.text_blocks),
        blocks_html(c.log_blocks),
    )


def listing_reference() -> str:
    arts = "".join(
        f'<article class="post">{h}<div class="entry-content">{t}{lg}</div></article>'
        for h, t, lg in (_entry(CONTENT_BY_KEY[k]) for k in LISTED)
    )
    body = (
        "<main><h1>Recommendation theme: Harm</h1>"
        + arts
        + f'<nav class="pagination"><a class="next" href="{LISTING_NEXT}">Next</a></nav></main>'
    )
    return _doc("Harm", body)


def listing(theme: str) -> str:
    """The listing in the theme's chrome: each entry framed the way the theme frames a page."""
    entries = [CONTENT_BY_KEY[k] for k in LISTED]
    nxt = f'<nav class="pagination"><a class="next" href="{LISTING_NEXT}">Next page</a></nav>'
    if theme == "word_paste":
        parts = []
        for c in entries:
            h, t, lg = _entry(c)
            t = t.replace("<p>", '<p class="MsoNormal"><span>').replace(
                "</p>", "<o:p></o:p></span></p>"
            )
            lg = lg.replace("<p>", '<p class="MsoNormal"><span>').replace(
                "</p>", "<o:p></o:p></span></p>"
            )
            parts.append(f'<article>{h}<div class="entry-content">{t}{lg}</div></article>')
        body = '<div id="content"><h1>Harm</h1>' + "".join(parts) + nxt + "</div>" + SIDEBAR
    elif theme == "split_siblings":
        parts = []
        for c in entries:
            h, t, lg = _entry(c, "h3")
            prog = f'<div class="rec-progress">{lg}</div>' if lg else ""
            parts.append(f'<li class="rec-card">{h}<div class="rec-statement">{t}</div>{prog}</li>')
        body = f'<main id="main"><h1>Harm</h1><ul class="rec-list">{"".join(parts)}</ul>{nxt}</main>{SIDEBAR}'
    elif theme == "icon_labels":
        parts = []
        for c in entries:
            h, t, lg = _entry(c)
            parts.append(
                f'<article class="rec">{h}<div class="entry-content">{t}{lg}</div></article>'
            )
        body = (
            SPRITE
            + '<div class="sticky-banner" role="status">Last updated: 2 August 2019</div>'
            + '<div class="wrap"><h1>Harm</h1>'
            + "".join(parts)
            + nxt
            + "</div>"
        )
    elif theme == "consent_live":
        parts = []
        for c in entries:
            h, t, lg = _entry(c)
            parts.append(
                f'<article class="post hentry">{h}<div class="entry-meta"><a href="#comments">0 Comments</a></div><div class="entry-content">{t}{lg}</div></article>'
            )
        body = (
            '<a class="skip-link" href="#content">Skip to content</a><div role="dialog" '
            'aria-label="Cookies"><p>We use cookies. The site should set analytics cookies only '
            'if you accept them.</p><button>Accept</button></div><div aria-live="polite">'
            'Results updated</div><main id="content"><h1>Harm</h1>'
            + "".join(parts)
            + nxt
            + "</main>"
        )
    elif theme == "noscript_template":
        parts = "".join(
            f'<article>{h}<div class="rec-body">{t}{lg}</div></article>'
            for h, t, lg in (_entry(c) for c in entries)
        )
        inner = f"<main><h1>Harm</h1>{parts}{nxt}</main>"
        body = (
            '<div id="app"><p class="loading">Loading…</p></div>'
            f"<noscript>{inner}</noscript><template>{inner}</template>"
        )
    elif theme == "aria_tabs":
        parts = []
        for i, c in enumerate(entries):
            h, t, lg = _entry(c)
            parts.append(
                f'<article>{h}<div role="tabpanel" id="e{i}a">{t}</div>'
                f'<div role="tabpanel" id="e{i}b" hidden>{lg}</div></article>'
            )
        body = f"<main><h1>Harm</h1>{''.join(parts)}{nxt}</main>"
    elif theme == "wayback_toolbar":
        arts = "".join(
            f'<article class="post">{h}<div class="entry-content">{t}{lg}</div></article>'
            for h, t, lg in (_entry(c) for c in entries)
        )
        body = (
            '<!-- BEGIN WAYBACK TOOLBAR INSERT --><div id="wm-ipp-base"><div id="wm-ipp">'
            "<p>Wayback Machine</p><p>7 captures 3 Jan 2019 - 2 Aug 2019</p></div></div>"
            "<!-- END WAYBACK TOOLBAR INSERT -->"
            + _wayback_links(f"<main><h1>Recommendation theme: Harm</h1>{arts}{nxt}</main>")
        )
    elif theme == "reader_mode":
        parts = "".join(f"{h}{t}{lg}" for h, t, lg in (_entry(c) for c in entries))
        body = (
            '<div class="reader-header"><h1 class="reader-title">Harm</h1>'
            '<div class="reader-estimated-time">5-6 minutes</div></div>'
            f'<div id="readability-page-1" class="page"><div>{parts}{nxt}</div></div>'
        )
    else:
        raise KeyError(theme)
    return _doc("Harm", body)
