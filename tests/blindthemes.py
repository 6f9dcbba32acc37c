"""Blind page themes: recommendation and listing pages in themes the parser's authors never saw.

Written without reading scraper/parse or its fixture pages. Each page is a (theme x content)
pair: the content is defined here in our own words, the theme wraps it the way a real site
might (classic WordPress, block themes, GOV.UK, page builders, AMP, print views, tables,
JSON-LD), and the expected record is computed from the content definition alone, never from
the parser. `bench/blind.py` runs the parser over every page and reports what it gets wrong.
"""

from __future__ import annotations

import dataclasses
import html
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date

OLD = "https://www.justiceinspectorates.gov.uk"
NEW = "https://hmicfrs.justiceinspectorates.gov.uk"
MONTHS = [
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
]  # fmt: skip


def ordinal(day: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st ..."""
    if 10 <= day % 100 <= 20:
        return f"{day}th"
    return f"{day}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th') }"


def fmt_date(iso: str, style: str) -> str:
    """An ISO date written in one of the styles SITE.md describes."""
    d = date.fromisoformat(iso)
    if style == "ordinal":
        return f"{ordinal(d.day)} {MONTHS[d.month - 1]} {d.year}"
    if style == "plain":
        return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
    if style == "numeric":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    raise ValueError(f"unknown date style {style!r}")


@dataclass(frozen=True)
class Ev:
    """One log entry: a status change (status set) or a comment (paragraphs)."""

    on: str
    status: str | None = None
    comment: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meta:
    force_name: str | None = None
    reference: str | None = None
    report_url: str | None = None
    published_on: str | None = None
    themes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Content:
    """One recommendation as a reader would read it, independent of any theme."""

    name: str
    force: str
    rec_id: int
    report_title: str
    body: tuple  # blocks: ("p", str) | ("ul", items) | ("run", items) | ("dash", lead, items)
    host: str = "old"
    rec_type: str = "recommendation"
    coc_heading: str | None = None
    coc: tuple[str, ...] = ()
    coc_run_in: bool = False
    label: str | None = None
    label_run_in: bool = False
    log: tuple[Ev, ...] = ()
    log_form: str = "markup"  # markup | no_comment_tags | broken | rendered | prose | none
    date_style: str = "ordinal"
    progress: tuple[str, ...] = ()
    closing: str | None = None
    closing_status: str | None = None
    meta: Meta | None = None
    banner: bool = False
    echo_url: bool = False

    @property
    def url(self) -> str:
        if self.host == "new":
            return f"{NEW}/recommendation/{self.force}/{self.rec_id}/"
        return f"{OLD}/hmicfrs/recommendation/{self.force}/{self.rec_id}/"

    @property
    def title(self) -> str:
        return f"{self.report_title} ({self.rec_id})"


def _items_text(items: tuple, bullet: str = "•") -> list[str]:
    lines = []
    for item in items:
        if isinstance(item, tuple):
            lines.append(f"{bullet} {item[0]}")
            lines.extend(f"◦ {sub}" for sub in item[1])
        else:
            lines.append(f"{bullet} {item}")
    return lines


def block_text(block: tuple) -> str:
    """What a careful reader takes a body block to say, as the record's text keeps it."""
    kind = block[0]
    if kind == "p":
        return block[1]
    if kind in ("ul", "run"):
        return "\n".join(_items_text(block[1]))
    if kind == "dash":
        return block[1] + ":\n" + "\n".join(f"• {it}" for it in block[2])
    raise ValueError(kind)


def expected_log(c: Content) -> list[dict]:
    if c.log_form in ("prose", "none"):
        return []
    return [
        {
            "seq": i,
            "on_date": ev.on,
            "raw_date": fmt_date(ev.on, c.date_style),
            "kind": "status" if ev.status else "comment",
            "status": ev.status,
            "comment": None if ev.status else "\n\n".join(ev.comment),
        }
        for i, ev in enumerate(c.log)
    ]


def expected_record(c: Content) -> dict:
    """The record a careful reader makes of the content, whatever theme shows it."""
    log = expected_log(c)
    statuses = [e for e in log if e["kind"] == "status"]
    if c.log_form == "prose":
        current, status_date = c.closing_status, None
    elif statuses:
        current, status_date = statuses[-1]["status"], statuses[-1]["on_date"]
    else:
        current, status_date = None, None
    m = c.meta or Meta()
    return {
        "page_kind": "recommendation",
        "rec_id": c.rec_id,
        "force": c.force,
        "report_title": c.report_title,
        "rec_type": c.rec_type,
        "cause_of_concern": "\n\n".join(c.coc) if c.coc else None,
        "text": "\n\n".join(block_text(b) for b in c.body),
        "log": log,
        "current_status": current,
        "status_date": status_date,
        "has_404_banner": c.banner,
        "warnings": c.log_form in ("no_comment_tags", "broken"),
        "rec_label": c.label,
        "progress_update": "\n\n".join(c.progress) if c.progress else None,
        "closing_line": c.closing,
        "force_name": m.force_name,
        "reference": m.reference,
        "report_url": m.report_url,
        "published_on": m.published_on,
        "themes": list(m.themes) if m.themes else None,
        "listing_entries": [],
        "next_page": None,
    }


# ---------------------------------------------------------------- contents (our own words)

ADOPTED = "Authorised for closure by the regional liaison lead."
CONTENTS: list[Content] = [
    Content(
        "markup_basic", "cheshire", 2044, "Crime recording inspection 2017: Cheshire",
        body=(("p", "By 30 June 2018, the force should make sure that every report of a stolen "
                    "canal lock key is recorded as a crime within one day of being made."),),
        log=(Ev("2017-03-09", "awaiting-review"), Ev("2018-01-22", "being-progressed"),
             Ev("2018-01-22", comment=("A new recording desk checks each report within the "
                                       "day and a weekly sample is audited by the registrar.",)),
             Ev("2018-09-03", "complete"), Ev("2018-09-03", comment=(ADOPTED,))),
    ),
    Content(
        "markup_multipara_meta", "north-yorkshire", 5310,
        "An inspection of rural call handling: North Yorkshire",
        body=(("p", "The force should review how it grades calls from isolated farms so that "
                    "callers who live far from a station are not left waiting longer."),
              ("p", "It should also publish the outcome of that review to its local "
                    "communities within six months.")),
        log=(Ev("2018-02-01", "awaiting-review"),
             Ev("2018-11-21", comment=(
                 "The force completed its review in October 2018 and changed the grading of "
                 "calls from remote addresses.",
                 "A summary of the review was shared at three parish meetings held on "
                 "14/11/2018 and posted on the force website.",
                 "The nominated owner of this action is Chief Inspector Morgan Sample.")),
             Ev("2018-11-21", "being-progressed")),
        meta=Meta("North Yorkshire Police", "NY/2018/07",
                  f"{OLD}/hmicfrs/publications/rural-call-handling-north-yorkshire/",
                  "2018-02-01", ("Call handling", "Audit")),
    ),
    Content(
        "html_bullets_plain_dates", "dorset", 8203, "PEEL spotlight 2019: Dorset", host="new",
        date_style="plain",
        body=(("p", "Within twelve months, the force should:"),
              ("ul", ("set up a single register of lost passports handed in at its stations;",
                      ("return each passport to its issuing office, in particular:",
                       ("those found abroad;", "those belonging to children;")),
                      "report quarterly to its property board."))),
        log=(Ev("2019-02-09", "awaiting-review"), Ev("2019-10-14", "being-progressed"),
             Ev("2019-10-14", comment=("The register is live at two of five stations.",))),
    ),
    Content(
        "run_together_numeric_meta", "gwent", 8611, "Custody services inspection: Gwent",
        host="new", date_style="numeric",
        body=(("p", "By the end of 2020, the force should:"),
              ("run", ("check every cell call bell each shift;",
                       ("record the response time to each call bell", ("by day", "and by night;")),
                       "review the records monthly."))),
        log=(Ev("2020-01-20", "awaiting-review"), Ev("2020-07-06", "being-progressed"),
             Ev("2020-12-15", "complete"),
             Ev("2020-12-15", comment=("Bell checks are now part of the shift handover sheet.",))),
        meta=Meta("Gwent Police", None, f"{NEW}/publications/custody-services-gwent/",
                  "2020-01-20", ("Audit",)),
    ),
    Content(
        "seed_shape_regression", "south-mercia", 7840, "Regional intelligence review 2017",
        banner=True, coc_heading="Causes of concern",
        coc=("The review found that forces keep their lists of travelling burglary teams in "
             "different ways, so no region can see the whole picture.",
             "Without one list, teams that cross force boundaries are missed."),
        label="Recommendation 3",
        body=(("ul", ("Immediately, forces should pass the keeping of these lists to their "
                      "regional units, and finish doing so by December 2017.",)),),
        log=(Ev("2017-03-03", "awaiting-review"), Ev("2017-11-13", "being-progressed"),
             Ev("2018-04-02", "awaiting-review"),
             Ev("2018-04-02", comment=("Returned for review: the regional unit has not yet "
                                       "taken on the lists.",)),
             Ev("2018-07-10", "complete"), Ev("2018-07-10", comment=("Authorised for closure.",))),
    ),
    Content(
        "coc_prose_complete", "humberside", 93, "Crime recording inspection: Humberside",
        rec_type="cause_of_concern", coc_heading="Cause of concern", log_form="prose",
        coc=("The force does not always record reports of stolen heating oil as crimes, so "
             "victims in rural areas are not given the help they are due.",),
        body=(("p", "To address this cause of concern, the force should:"),
              ("ul", ("retrain its control room staff in the recording rules;",
                      "check a sample of heating oil reports every month."))),
        progress=("Retraining finished on 21/05/2018 and the first monthly check took place "
                  "on 26 April 2018.",
                  "By 18/12/18 the monthly checks showed every report recorded correctly."),
        closing="This recommendation is complete.", closing_status="complete",
    ),
    Content(
        "coc_plural_recommendations", "greyhaven", 1655, "Burglary inspection: Greyhaven",
        rec_type="cause_of_concern", coc_heading="Cause of concern", label="Recommendations",
        coc=("The force does not visit victims of shed burglaries quickly enough to gather "
             "evidence.",),
        body=(("p", "To address this cause of concern, we recommend that within six months "
                    "the force should:"),
              ("run", ("attend every shed burglary within two days;",
                       "give victims written crime prevention advice."))),
        log=(Ev("2018-02-02", "awaiting-review"),),
    ),
    Content(
        "coc_run_in_rendered", "highmoor", 1722, "Digital forensics inspection: Highmoor",
        rec_type="cause_of_concern", coc_heading="Cause of concern", coc_run_in=True,
        label="Recommendation", label_run_in=True, log_form="rendered",
        coc=("The number of laptops waiting to be examined means evidence reaches "
             "investigators weeks too late.",),
        body=(("run", ("The force should bring the wait for laptop examination below three "
                       "weeks within a year.",)),),
        log=(Ev("2018-03-21", "awaiting-review"),
             Ev("2018-10-01", comment=("Two more examiners started in September.",
                                       "The wait is now five weeks.")),
             Ev("2018-10-01", "being-progressed")),
    ),
    Content(
        "coc_within_three_months", "lowfield", 1833, "Stalking inspection: Lowfield",
        rec_type="cause_of_concern", coc_heading="Cause of concern", log_form="prose",
        coc=("The force is not doing enough to keep victims of harassment safe.",),
        body=(("dash", "Within three months, the force should",
               ("name a senior lead for harassment;", "review every open harassment case; and",
                "give each victim one named contact.")),
              ("p", "Within three months, the force should make sure that a supervisor checks "
                    "every harassment report within a day.")),
        progress=("A senior lead was named in March and the review of open cases is half "
                  "done.",),
        closing="This cause of concern is being progressed.", closing_status="being-progressed",
    ),
    Content(
        "comment_tags_missing", "brackenshire", 4412, "Custody inspection: Brackenshire",
        log_form="no_comment_tags",
        body=(("p", "The force should record the reason for every use of handcuffs in "
                    "custody."),),
        log=(Ev("2017-07-09", "awaiting-review"),
             Ev("2018-01-30", comment=("A new mandatory field records the reason.",
                                       "Sergeants check a sample each week.")),
             Ev("2019-06-11", "complete")),
    ),
    Content(
        "broken_status_and_comment_tags", "cleveland", 1452,
        "Efficiency inspection: Cleveland Police", log_form="broken",
        body=(("p", "The force should publish its plan for clearing the backlog of unpaid "
                    "fixed penalty letters."),),
        log=(Ev("2017-04-04", "awaiting-review"),
             Ev("2018-06-06", comment=("The force has published a draft plan for "
                                       "consultation.",)),
             Ev("2018-11-01", "complete")),
    ),
    Content(
        "rendered_banner_echo", "marshwood", 7022, "Call handling inspection: Marshwood",
        banner=True, echo_url=True, log_form="rendered",
        body=(("p", "The force should publish a plan for answering calls about loose "
                    "livestock on roads within a year."),),
        log=(Ev("2017-03-03", "awaiting-review"), Ev("2018-05-08", "being-progressed"),
             Ev("2018-05-08", comment=("A rural desk opened on 26 April 2018 and now takes "
                                       "every livestock call logged after 21/05/2018.",
                                       "The contact centre manager reviews call times each "
                                       "month.")),
             Ev("2018-08-28", "complete"), Ev("2018-08-28", comment=("Authorised for closure.",))),
    ),
    Content(
        "prose_agreed_closure", "fellside", 2233, "Training inspection: Fellside",
        log_form="prose",
        body=(("p", "The force should keep one register of which officers have been trained "
                    "to use the new breath testing devices."),),
        progress=("On 21/05/2018 the force showed the register to the liaison officer. By "
                  "18/12/18 nine in ten officers were on it as trained.",),
        closing="Agreed this action is complete and the recommendation can be closed.",
        closing_status="complete",
    ),
    Content(
        "prose_considered_for_closure_meta", "ousebridge", 2236,
        "Missing adults inspection: Ousebridge", log_form="prose",
        body=(("p", "The force should agree with neighbouring forces how information about "
                    "missing adults is passed between control rooms."),),
        progress=("An agreement was signed on 26 April 2018 and has been used in every "
                  "cross-border case since.",),
        closing="Having seen the agreement in use, this recommendation may be considered "
                "for closure.",
        closing_status="complete",
        meta=Meta("Ousebridge Constabulary", "OB-2236", None, "2017-10-12",
                  ("Partnership working",)),
    ),
    Content(
        "text_only_meta", "humberside", 89, "Crime recording inspection: Humberside",
        log_form="none",
        body=(("p", "The force should immediately make sure that every report of a stolen "
                    "caravan is recorded as a crime where the rules require it."),
              ("p", "It should also tell its staff where the recording rules can be found.")),
        meta=Meta("Humberside Police", "HUM/88-2", f"{OLD}/hmicfrs/publications/"
                  "crime-recording-humberside/", "2014-07-09", ("Recording",)),
    ),
    Content(
        "text_only_bare", "bedfordshire", 991, "Rural crime inspection: Bedfordshire",
        log_form="none", banner=True,
        body=(("p", "The force should make sure it has enough trained officers to respond "
                    "to reports of stolen farm machinery across the county."),),
    ),
    Content(
        "national_copy_a", "lincolnshire", 6402, "National review of lost dog reporting",
        label="Recommendation 4",
        body=(("p", "All forces should adopt the national code of practice for reporting "
                    "lost dogs by April 2019."),),
        log=(Ev("2018-10-18", "awaiting-review"), Ev("2018-10-18", comment=("New "
                                                                            "recommendation",))),
    ),
    Content(
        "national_copy_b", "leicestershire", 6401, "National review of lost dog reporting",
        label="Recommendation 4",
        body=(("p", "All forces should adopt the national code of practice for reporting "
                    "lost dogs by April 2019."),),
        log=(Ev("2018-10-18", "awaiting-review"), Ev("2019-06-11", "no-further-action-needed"),
             Ev("2019-06-11", comment=("The national code has been withdrawn, so no further "
                                       "action is needed by the force.",))),
        meta=Meta("Leicestershire Police", "LEI/6401", None, "2018-10-18",
                  ("Plan", "Communication")),
    ),
    Content(
        "unknown_slug", "gwynedd-fire-and-rescue", 2902,
        "Fire safety inspection: Gwynedd Fire and Rescue Service",
        body=(("p", "The service should make sure every high-rise building in its area has "
                    "an up-to-date evacuation plan on file."),),
        log=(Ev("2017-05-05", "awaiting-review"), Ev("2019-06-06", "superseded"),
             Ev("2019-06-06", comment=("Replaced by recommendation 12 of the 2019 report.",))),
    ),
    Content(
        "area_for_improvement_meta", "cumbria", 8790, "PEEL 2021/22: Cumbria Constabulary",
        host="new", rec_type="area_for_improvement", label="Area for improvement 2",
        date_style="numeric",
        body=(("p", "The constabulary should improve how quickly it calls back people who "
                    "report anti-social behaviour online."),),
        log=(Ev("2022-06-24", "awaiting-review"),),
        meta=Meta("Cumbria Constabulary", "AFI-2", f"{NEW}/publications/peel-2021-22-cumbria/",
                  "2022-06-24", ("Communication", "Technology")),
    ),
]  # fmt: skip

LISTED = ("markup_basic", "national_copy_a", "unknown_slug")
BY_NAME = {c.name: c for c in CONTENTS}


# ---------------------------------------------------------------- rendering helpers

e = html.escape


def wpautop(source: str) -> str:
    """WordPress's paragraph filter, simplified: blank lines make paragraphs."""
    out = []
    for chunk in source.split("\n\n"):
        chunk = chunk.strip()
        if not chunk:
            continue
        if chunk.startswith(("<h", "<ul", "<ol", "<div", "<table", "<blockquote")):
            out.append(chunk)
        else:
            out.append("<p>" + chunk.replace("\n", "<br />\n") + "</p>")
    return "\n".join(out)


def list_html(items: tuple, cls: str = "") -> str:
    attr = f' class="{cls}"' if cls else ""
    lis = []
    for item in items:
        if isinstance(item, tuple):
            sub = "".join(f"<li>{e(s)}</li>" for s in item[1])
            lis.append(f"<li>{e(item[0])}<ul{attr}>{sub}</ul></li>")
        else:
            lis.append(f"<li>{e(item)}</li>")
    return f"<ul{attr}>" + "".join(lis) + "</ul>"


def run_html(items: tuple) -> str:
    parts = []
    for item in items:
        if isinstance(item, tuple):
            parts.append(f"• {item[0]} " + " ".join(f"◦ {s}" for s in item[1]))
        else:
            parts.append(f"• {item}")
    return e(" ".join(parts))


def markup_source(c: Content) -> str:
    """The [on] shortcode source as the editor stored it, in the content's log form."""
    out = []
    for ev in c.log:
        d = fmt_date(ev.on, c.date_style)
        body = "\n\n".join(e(p) for p in ev.comment)
        if c.log_form == "markup":
            if ev.status:
                out.append(f"[on]{d} [status]{ev.status}[/status][/on]")
            elif len(ev.comment) == 1 and len(ev.comment[0]) < 40:
                out.append(f"[on]{d} [comment]{body}[/comment][/on]")
            else:
                out.append(f"[on]{d} [comment]\n\n{body}\n\n[/comment][/on]")
        elif c.log_form == "no_comment_tags":
            if ev.status:
                out.append(f"[on]{d} [status]{ev.status}[/status][/on]")
            else:
                out.append(f"[on]{d}\n\n{body}\n\n")
        elif c.log_form == "broken":
            if ev.status:
                out.append(f"[on]{d} {ev.status}[/status][/on]")
            else:
                out.append(f"[on]{d} \n\n{body}\n\n[/comment][/on]")
    return "".join(out)


def rendered_entries(c: Content) -> list[tuple[str, str | None, tuple[str, ...]]]:
    return [(fmt_date(ev.on, c.date_style), ev.status, ev.comment) for ev in c.log]


def meta_pairs(c: Content, labels: dict[str, str], date_style: str) -> list[tuple[str, str]]:
    """(label, value HTML) for the metadata the content has, in the theme's own words."""
    m = c.meta
    if m is None:
        return []
    pairs = []
    if m.force_name:
        pairs.append((labels["force"], e(m.force_name)))
    if m.reference:
        pairs.append((labels["reference"], e(m.reference)))
    if m.report_url:
        pairs.append((labels["report"], f'<a href="{m.report_url}">{e(c.report_title)}</a>'))
    if m.published_on:
        pairs.append((labels["published"], e(fmt_date(m.published_on, date_style))))
    if m.themes:
        links = ", ".join(
            f'<a href="{OLD}/hmicfrs/?recommendation-theme={t.lower().replace(" ", "-")}">'
            f"{e(t)}</a>"
            for t in m.themes
        )
        pairs.append((labels["themes"], links))
    return pairs


COOKIE = (
    '<div class="cookie-notice" role="dialog" aria-label="Cookies"><p>We use cookies to '
    "understand how people use this site. Some are essential; others you can turn off.</p>"
    '<button type="button">Accept all cookies</button> <button type="button">Reject optional '
    'cookies</button> <a href="/cookies/">Cookie settings</a></div>'
)
FOOTER = (
    "<p>Questions about an inspection? Write to the correspondence team at our London "
    'office or email <a href="mailto:enquiries@example.org">enquiries@example.org</a>. '
    "We aim to reply within 20 working days.</p><p>All content is available under the Open "
    "Government Licence v3.0, except where otherwise stated.</p>"
)
NAV = (
    '<ul class="menu"><li><a href="/hmicfrs/">Home</a></li><li><a href="/hmicfrs/our-work/">'
    'Our work</a></li><li><a href="/hmicfrs/publications/">Publications</a></li><li>'
    '<a href="/hmicfrs/recommendations/">Recommendations</a></li><li><a href="/hmicfrs/about-us/">'
    "About us</a></li></ul>"
)
SHARE = (
    '<div class="share"><span>Share this page:</span> <a href="https://twitter.com/intent/tweet">'
    'Twitter</a> <a href="https://www.facebook.com/sharer/sharer.php">Facebook</a> '
    '<a href="mailto:?subject=Recommendation">Email</a> <a href="#" onclick="window.print()">'
    "Print</a></div>"
)


def others(c: Content, n: int = 2) -> list[Content]:
    i = CONTENTS.index(c)
    return [CONTENTS[(i + k) % len(CONTENTS)] for k in range(1, n + 1)]


def first_sentence(c: Content) -> str:
    return block_text(c.body[0]).split("\n")[0]


def last_status(c: Content) -> str:
    """A sidebar's one-line status of another recommendation, in that page's own date style."""
    statuses = [ev for ev in c.log if ev.status]
    if not statuses:
        return "No status recorded"
    return f"{fmt_date(statuses[-1].on, c.date_style)} {statuses[-1].status}"


def doc(title: str, head_extra: str, body: str, html_attr: str = 'lang="en-GB"') -> str:
    return (
        f'<!DOCTYPE html>\n<html {html_attr}>\n<head>\n<meta charset="utf-8">\n'
        f"<title>{e(title)} – HMICFRS</title>\n"
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"{head_extra}</head>\n<body>\n{body}\n</body>\n</html>\n"
    )


# ---------------------------------------------------------------- themes


class Theme:
    """A page template: chrome around the content, and its own way of writing each part.

    The base class is itself a theme: a bare page with the metadata in a <dl> above the text.
    """

    labels: dict[str, str] = {
        "force": "Force",
        "reference": "Reference",
        "report": "Report",
        "published": "Published",
        "themes": "Themes",
    }
    meta_date_style: str = "plain"
    log_heading: str | None = None
    link_titles: bool = True

    def __init__(self, name: str) -> None:
        self.name = name

    # parts ------------------------------------------------------------
    def heading(self, text: str) -> str:
        return f"<h2>{e(text)}</h2>"

    def run_in(self, head: str, text: str) -> str:
        return f"<p><strong>{e(head)}</strong> {text}</p>"

    def banner(self, c: Content) -> str:
        out = '<header class="page-header"><h1 class="page-title">404 Page not found</h1></header>'
        if c.echo_url:
            out += f"\n<p>{e(c.url)}</p>"
        return out

    def rendered_log(self, c: Content) -> str:
        out = []
        for d, status, paras in rendered_entries(c):
            if status:
                out.append(f"<p>{d} {status}</p>")
            else:
                out.append(f"<p>{d}</p>" + "".join(f"<p>{e(p)}</p>" for p in paras))
        return '<div class="rec-log">' + "\n".join(out) + "</div>"

    def meta_block(self, c: Content) -> str:
        pairs = meta_pairs(c, self.labels, self.meta_date_style)
        if not pairs:
            return ""
        rows = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in pairs)
        return f'<dl class="rec-meta">{rows}</dl>'

    def source_parts(self, c: Content) -> list[str]:
        """The content as HTML fragments, in reading order (banner and meta excluded)."""
        parts: list[str] = []
        if c.coc_heading and c.coc_run_in:
            parts.append(self.run_in(c.coc_heading, e(c.coc[0])))
        elif c.coc_heading:
            parts.append(self.heading(c.coc_heading))
            parts.extend(f"<p>{e(p)}</p>" for p in c.coc)
        body = list(c.body)
        if c.label and c.label_run_in:
            first = body.pop(0)
            assert first[0] == "run"
            parts.append(self.run_in(c.label, run_html(first[1])))
        elif c.label:
            parts.append(self.heading(c.label))
        for b in body:
            if b[0] == "p":
                parts.append(f"<p>{e(b[1])}</p>")
            elif b[0] == "ul":
                parts.append(self.bullets(b[1]))
            elif b[0] == "run":
                parts.append(f"<p>{run_html(b[1])}</p>")
            elif b[0] == "dash":
                parts.append(f"<p>{e(b[1])}:" + "".join(f"-{e(i)}" for i in b[2]) + "</p>")
        parts.extend(f"<p>{e(p)}</p>" for p in c.progress)
        if c.closing:
            parts.append(f"<p>{e(c.closing)}</p>")
        if c.log_form in ("markup", "no_comment_tags", "broken") and c.log:
            if self.log_heading:
                parts.append(self.heading(self.log_heading))
            parts.append(self.markup_log(c))
        elif c.log_form == "rendered":
            if self.log_heading:
                parts.append(self.heading(self.log_heading))
            parts.append(self.rendered_log(c))
        return parts

    def bullets(self, items: tuple) -> str:
        return list_html(items)

    def markup_log(self, c: Content) -> str:
        return wpautop(markup_source(c))

    def content(self, c: Content) -> str:
        return "\n".join(self.source_parts(c))

    def page(self, c: Content) -> str:
        banner = self.banner(c) if c.banner else ""
        body = f"{banner}<h1>{e(c.title)}</h1>{self.meta_block(c)}<div>{self.content(c)}</div>"
        return doc(c.title, "", body)

    # listings ---------------------------------------------------------

    def entry(self, c: Content) -> str:
        title = e(c.title)
        if self.link_titles:
            title = f'<a href="{c.url}">{title}</a>'
        return f'<article class="post"><h2 class="entry-title">{title}</h2>' + (
            f'<div class="entry-content">{self.content(c)}</div></article>'
        )

    def listing(self, entries: list[Content], next_url: str) -> str:
        body = "\n".join(self.entry(c) for c in entries)
        nav = f'<nav class="navigation"><a class="next" href="{next_url}">Older entries</a></nav>'
        main = f'<main class="archive {self.name}-archive"><h1>Theme: Plan</h1>{body}{nav}</main>'
        return doc("Plan", "", f"{NAV}{main}{FOOTER}")


class Classic(Theme):
    """A classic PHP theme: entry-content, sidebar widgets quoting other recommendations."""

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        foot = "".join(f'<span class="meta-item">{k}: {v}</span> ' for k, v in m)
        side = "".join(
            f'<li><a href="{o.url}">{e(o.title)}</a><p>{e(first_sentence(o))}</p>'
            f"<p>{last_status(o)}</p></li>"
            for o in others(c)
        )
        body = (
            '<a class="skip-link screen-reader-text" href="#content">Skip to content</a>'
            f'<header id="masthead"><p class="site-title">HMICFRS</p>{NAV}</header>'
            + (self.banner(c) if c.banner else "")
            + '<div id="content"><main id="main"><article class="recommendation type-recommendation">'
            f'<header class="entry-header"><h1 class="entry-title">{e(c.title)}</h1></header>'
            f'<div class="entry-content">{self.content(c)}</div>'
            f'<footer class="entry-footer">{foot}</footer></article></main>'
            f'<aside id="secondary" class="widget-area"><section class="widget">'
            f'<h2 class="widget-title">Recently updated</h2><ul>{side}</ul></section></aside></div>'
            f'<footer id="colophon">{FOOTER}</footer>{COOKIE}'
        )
        return doc(c.title, "", body)


class BlockTheme(Theme):
    """Gutenberg full-site editing: wp-block-* groups, block comments, terms block."""

    def heading(self, text: str) -> str:
        return f'<!-- wp:heading -->\n<h2 class="wp-block-heading">{e(text)}</h2>\n<!-- /wp:heading -->'

    def bullets(self, items: tuple) -> str:
        return f"<!-- wp:list -->\n{list_html(items, 'wp-block-list')}\n<!-- /wp:list -->"

    def markup_log(self, c: Content) -> str:
        return f"<!-- wp:shortcode -->\n{wpautop(markup_source(c))}\n<!-- /wp:shortcode -->"

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        meta = "".join(
            f'<div class="wp-block-group is-layout-flex"><p class="has-small-font-size">'
            f"<strong>{k}</strong></p><p>{v}</p></div>"
            for k, v in m
        )
        body = (
            '<div class="wp-site-blocks"><header class="wp-block-template-part">'
            f'<div class="wp-block-group"><p class="wp-block-site-title">HMICFRS</p>'
            f'<nav class="wp-block-navigation">{NAV}</nav></div></header>'
            '<main class="wp-block-group is-layout-constrained">'
            + (self.banner(c) if c.banner else "")
            + f'<h1 class="wp-block-post-title">{e(c.title)}</h1>'
            f'<div class="wp-block-group alignwide">{meta}</div>'
            '<div class="entry-content wp-block-post-content is-layout-constrained">'
            f"{self.content(c)}</div>"
            f'<div class="wp-block-group">{SHARE}</div></main>'
            f'<footer class="wp-block-template-part">{FOOTER}</footer></div>'
        )
        return doc(
            c.title,
            '<link rel="stylesheet" href="/wp-includes/css/dist/block-library/style.min.css">\n',
            body,
        )


class GovUK(Theme):
    """GOV.UK design system: phase banner, breadcrumbs, summary list, timeline of the log."""

    log_heading = "Progress"

    def heading(self, text: str) -> str:
        return f'<h2 class="govuk-heading-m">{e(text)}</h2>'

    def banner(self, c: Content) -> str:
        out = '<div class="govuk-notification-banner"><h2 class="govuk-notification-banner__title">404 Page not found</h2></div>'
        if c.echo_url:
            out += f'<p class="govuk-body-s">{e(c.url)}</p>'
        return out

    def rendered_log(self, c: Content) -> str:
        items = []
        for d, status, paras in rendered_entries(c):
            if status:
                items.append(
                    f'<li class="app-log__entry"><span class="app-log__date">{d}</span> '
                    f'<strong class="app-log__status">{status}</strong></li>'
                )
            else:
                ps = "".join(f'<p class="govuk-body">{e(p)}</p>' for p in paras)
                items.append(
                    f'<li class="app-log__entry"><span class="app-log__date">{d}</span>'
                    f'<div class="app-log__comment">{ps}</div></li>'
                )
        return '<ol class="app-log govuk-list">' + "".join(items) + "</ol>"

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        rows = "".join(
            f'<div class="govuk-summary-list__row"><dt class="govuk-summary-list__key">{k}</dt>'
            f'<dd class="govuk-summary-list__value">{v}</dd></div>'
            for k, v in m
        )
        summary = f'<dl class="govuk-summary-list">{rows}</dl>' if rows else ""
        body = (
            '<a href="#main-content" class="govuk-skip-link">Skip to main content</a>'
            '<div class="govuk-cookie-banner"><h2 class="govuk-cookie-banner__heading">Cookies on '
            "HMICFRS</h2><p>We'd like to use analytics cookies so we can understand how you use "
            'the service.</p><button class="govuk-button">Accept analytics cookies</button></div>'
            '<header class="govuk-header"><a class="govuk-header__link" href="/">HMICFRS</a></header>'
            '<div class="govuk-width-container"><div class="govuk-phase-banner"><p>'
            '<strong class="govuk-tag">Beta</strong> This is a new service – your feedback will '
            "help us to improve it.</p></div>"
            '<nav class="govuk-breadcrumbs"><ol><li><a href="/">Home</a></li><li>'
            '<a href="/recommendations/">Recommendations</a></li><li>'
            f"{e(c.force.replace('-', ' ').title())}</li></ol></nav>"
            '<main class="govuk-main-wrapper" id="main-content">'
            + (self.banner(c) if c.banner else "")
            + '<span class="govuk-caption-l">Recommendation</span>'
            f'<h1 class="govuk-heading-l">{e(c.title)}</h1>{summary}'
            f'<div class="govuk-grid-row"><div class="govuk-grid-column-two-thirds">'
            + self.content(c).replace("<p>", '<p class="govuk-body">')
            + "</div></div></main></div>"
            f'<footer class="govuk-footer">{FOOTER}</footer>'
        )
        return doc(c.title, "", body, 'lang="en" class="govuk-template"')


class Elementor(Theme):
    """Elementor: every widget in five nested divs, title in a hero section far above."""

    labels = {"force": "Force or service", "reference": "Ref", "report": "From the report",
              "published": "Report published", "themes": "Filed under"}  # fmt: skip
    meta_date_style = "ordinal"

    def widget(self, kind: str, inner: str) -> str:
        return (
            '<div class="elementor-column elementor-col-100"><div class="elementor-widget-wrap">'
            f'<div class="elementor-element elementor-widget elementor-widget-{kind}">'
            f'<div class="elementor-widget-container">{inner}</div></div></div></div>'
        )

    def section(self, inner: str) -> str:
        return (
            '<section class="elementor-section elementor-top-section"><div class="elementor-'
            f'container elementor-column-gap-default">{inner}</div></section>'
        )

    def rendered_log(self, c: Content) -> str:
        out = []
        for d, status, paras in rendered_entries(c):
            if status:
                out.append(self.widget("text-editor", f"<p>{d} {status}</p>"))
            else:
                out.append(
                    self.widget(
                        "text-editor", f"<p>{d}</p>" + "".join(f"<p>{e(p)}</p>" for p in paras)
                    )
                )
        return "".join(out)

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        icons = "".join(
            f'<li class="elementor-icon-list-item"><span class="elementor-icon-list-text">'
            f"{k}: {v}</span></li>"
            for k, v in m
        )
        parts = [self.widget("text-editor", p) for p in self.source_parts(c)]
        body = (
            f'<div data-elementor-type="header">{self.section(self.widget("nav-menu", NAV))}</div>'
            + (
                self.section(
                    self.widget(
                        "heading", '<h2 class="elementor-heading-title">404 Page not found</h2>'
                    )
                )
                if c.banner
                else ""
            )
            + (self.section(self.widget("text-editor", f"<p>{e(c.url)}</p>")) if c.echo_url else "")
            + '<div data-elementor-type="single-post" class="elementor">'
            + self.section(
                self.widget(
                    "theme-post-title", f'<h1 class="elementor-heading-title">{e(c.title)}</h1>'
                )
            )
            + self.section(self.widget("share-buttons", SHARE))
            + (
                self.section(
                    self.widget("icon-list", f'<ul class="elementor-icon-list-items">{icons}</ul>')
                )
                if icons
                else ""
            )
            + self.section("".join(parts))
            + "</div>"
            + f'<div data-elementor-type="footer">{self.section(self.widget("text-editor", FOOTER))}</div>'
            + COOKIE
        )
        return doc(c.title, "", body)


class Divi(Theme):
    """Divi: et_pb modules; metadata as labelled lines with <br> in one paragraph."""

    labels = {"force": "Police force", "reference": "Our reference", "report": "Inspection report",
              "published": "Date of publication", "themes": "Themes"}  # fmt: skip
    meta_date_style = "numeric"

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        meta = "<br>\n".join(f"<strong>{k}:</strong> {v}" for k, v in m)
        others_html = "".join(
            f'<div class="et_pb_post"><h2 class="entry-title"><a href="{o.url}">{e(o.title)}</a>'
            f'</h2><div class="post-content"><p>{e(first_sentence(o))}</p></div></div>'
            for o in others(c, 3)
        )
        body = (
            f'<div id="page-container"><header id="main-header"><div class="container">{NAV}</div></header>'
            '<div id="et-main-area"><div id="main-content"><article class="et_pb_post">'
            '<div class="entry-content"><div class="et-l et-l--post"><div class="et_builder_inner_content">'
            '<div class="et_pb_section et_pb_section_0"><div class="et_pb_row et_pb_row_0">'
            '<div class="et_pb_column et_pb_column_2_3">'
            + (
                f'<div class="et_pb_module et_pb_text"><div class="et_pb_text_inner">{self.banner(c)}</div></div>'
                if c.banner
                else ""
            )
            + f'<div class="et_pb_module et_pb_post_title"><div class="et_pb_title_container"><h1 class="entry-title">{e(c.title)}</h1></div></div>'
            f'<div class="et_pb_module et_pb_text et_pb_text_0"><div class="et_pb_text_inner">{self.content(c)}</div></div>'
            "</div>"
            '<div class="et_pb_column et_pb_column_1_3">'
            + (
                f'<div class="et_pb_module et_pb_text et_pb_text_1"><div class="et_pb_text_inner"><p>{meta}</p></div></div>'
                if meta
                else ""
            )
            + '<div class="et_pb_module et_pb_blog_grid"><h4>Other recommendations from this report</h4>'
            f"{others_html}</div></div></div></div></div></div></div></article></div>"
            f'<footer id="main-footer">{FOOTER}</footer></div></div>'
        )
        return doc(c.title, "", body)


class Amp(Theme):
    """The AMP plugin's reader mode: amp-* elements, amp-wp-article-content, inline CSS."""

    labels = {"force": "Force", "reference": "Reference number", "report": "Report",
              "published": "Published", "themes": "Categories"}  # fmt: skip

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        meta = "".join(f'<li class="amp-wp-meta-item">{k}: {v}</li>' for k, v in m)
        head = (
            '<script async src="https://cdn.ampproject.org/v0.js"></script>\n'
            f'<link rel="canonical" href="{c.url}">\n'
            "<style amp-custom>.amp-wp-article{margin:1em}.amp-wp-meta{font-size:.8em}</style>\n"
        )
        body = (
            '<amp-sidebar id="sidebar" layout="nodisplay" side="left">'
            f"{NAV}</amp-sidebar>"
            '<header id="top" class="amp-wp-header"><div><a href="/">HMICFRS</a>'
            '<button on="tap:sidebar.toggle">Menu</button></div></header>'
            '<article class="amp-wp-article">'
            + (self.banner(c) if c.banner else "")
            + f'<header class="amp-wp-article-header"><h1 class="amp-wp-title">{e(c.title)}</h1>'
            "</header>"
            f'<div class="amp-wp-article-content">{self.content(c)}</div>'
            f'<footer class="amp-wp-article-footer"><ul class="amp-wp-meta">{meta}</ul>'
            '<amp-social-share type="twitter" width="40" height="40"></amp-social-share>'
            '<amp-social-share type="email" width="40" height="40"></amp-social-share>'
            f'</footer></article><footer class="amp-wp-footer">{FOOTER}</footer>'
            '<amp-analytics type="gtag"><script type="application/json">'
            '{"vars":{"gtag_id":"G-EXAMPLE"}}</script></amp-analytics>'
        )
        return doc(c.title, head, body, 'amp lang="en"')


class PrintView(Theme):
    """A print-friendly view: the page URL as text at the top, metadata in a table."""

    labels = {"force": "Force", "reference": "Reference", "report": "Report",
              "published": "Published", "themes": "Themes"}  # fmt: skip
    meta_date_style = "ordinal"

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        rows = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in m)
        body = (
            f'<div id="print-header"><p>HMICFRS – printed from {e(c.url)}</p>'
            "<p>Printed on 2nd December 2026</p></div>"
            + (self.banner(c) if c.banner else "")
            + f'<div class="print-content"><h1>{e(c.title)}</h1>'
            + (f'<table class="print-meta">{rows}</table>' if rows else "")
            + f"{self.content(c)}</div>"
            '<div id="print-footer"><p>© Crown copyright. This page was printed from the '
            "HMICFRS website and may be out of date.</p></div>"
        )
        return doc(c.title, '<link rel="stylesheet" media="print" href="/print.css">\n', body)


class JsonLd(Theme):
    """Metadata only as JSON-LD in the head; the visible page shows title, text and log."""

    def page(self, c: Content) -> str:
        graph: list[dict] = [
            {"@type": "WebPage", "@id": c.url, "url": c.url, "name": c.title,
             "dateModified": "2019-07-11T10:15:00+00:00", "inLanguage": "en-GB"},
            {"@type": "BreadcrumbList", "itemListElement": [
                {"@type": "ListItem", "position": 1, "name": "Home", "item": f"{OLD}/hmicfrs/"},
                {"@type": "ListItem", "position": 2, "name": c.title}]},
        ]  # fmt: skip
        if c.meta:
            m = c.meta
            rec: dict = {"@type": "CreativeWork", "name": c.title, "url": c.url}
            if m.force_name:
                rec["about"] = {"@type": "GovernmentOrganization", "name": m.force_name}
            if m.reference:
                rec["identifier"] = m.reference
            if m.report_url:
                rec["isPartOf"] = {"@type": "Report", "name": c.report_title, "url": m.report_url}
            if m.published_on:
                rec["datePublished"] = m.published_on
            if m.themes:
                rec["keywords"] = list(m.themes)
            graph.append(rec)
        ld = json.dumps({"@context": "https://schema.org", "@graph": graph}, ensure_ascii=False)
        head = f'<script type="application/ld+json" class="yoast-schema-graph">{ld}</script>\n'
        body = (
            f'<div class="site"><header>{NAV}</header>'
            + (self.banner(c) if c.banner else "")
            + f'<main><h1 class="post-title">{e(c.title)}</h1>'
            f'<div class="post-body">{self.content(c)}</div>{SHARE}</main>'
            f"<footer>{FOOTER}</footer></div>"
        )
        return doc(c.title, head, body)


class DlAside(Theme):
    """Title in a hero far from the content; metadata in a <dl> in an aside; no entry-content."""

    labels = {"force": "Force or service", "reference": "Recommendation reference",
              "report": "Source report", "published": "Report published", "themes": "Tagged"}  # fmt: skip
    log_heading = "Status history"

    def page(self, c: Content) -> str:
        side = "".join(
            f'<li><a href="{o.url}">{e(o.title)}</a> <span>{e(first_sentence(o))}</span></li>'
            for o in others(c, 3)
        )
        body = (
            f'<div class="hero"><div class="hero__inner"><p class="hero__kicker">Recommendation</p>'
            f'<h1 class="hero__title">{e(c.title)}</h1></div></div>'
            f'<nav class="primary">{NAV}</nav>'
            '<div class="notice"><p>This page is kept for reference. Some links may no longer '
            "work.</p></div>"
            '<div class="layout"><div class="layout__main">'
            + (self.banner(c) if c.banner else "")
            + f'<div class="rec-body">{self.content(c)}</div></div>'
            f'<aside class="layout__side">{self.meta_block(c)}'
            f'<div class="widget"><h3>Recent recommendations</h3><ul>{side}</ul></div></aside></div>'
            f"<footer>{FOOTER}</footer>"
        )
        return doc(c.title, "", body)


class TableLayout(Theme):
    """A legacy table layout: navigation cell, content cell, metadata and log as tables."""

    labels = {"force": "Organisation", "reference": "Ref. no.", "report": "Report",
              "published": "Date published", "themes": "Subject"}  # fmt: skip
    meta_date_style = "numeric"

    def heading(self, text: str) -> str:
        return f"<h3>{e(text)}</h3>"

    def rendered_log(self, c: Content) -> str:
        rows = []
        for d, status, paras in rendered_entries(c):
            cell = status if status else "".join(f"<p>{e(p)}</p>" for p in paras)
            rows.append(f'<tr><td class="date">{d}</td><td>{cell}</td></tr>')
        return '<table class="log" border="1">' + "".join(rows) + "</table>"

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        rows = "".join(f'<tr><td class="label"><b>{k}</b></td><td>{v}</td></tr>' for k, v in m)
        body = (
            '<table width="100%" cellpadding="0" cellspacing="0"><tr><td colspan="2" class="top">'
            '<img src="/logo.gif" alt="HMICFRS"></td></tr><tr>'
            f'<td class="leftnav" width="200" valign="top">{NAV}</td>'
            '<td class="main" valign="top">'
            + (self.banner(c) if c.banner else "")
            + f"<h1>{e(c.title)}</h1>"
            + (f'<table class="details" cellpadding="4">{rows}</table>' if rows else "")
            + f"{self.content(c)}</td></tr>"
            f'<tr><td colspan="2" class="foot">{FOOTER}</td></tr></table>'
        )
        return doc(c.title, "", body)


class Bootstrap(Theme):
    """Bootstrap cards: label in the card header, definition-ish divs for metadata, list-group log."""

    labels = {"force": "Force", "reference": "Rec. reference", "report": "Report",
              "published": "Publication date", "themes": "Themes"}  # fmt: skip

    def heading(self, text: str) -> str:
        return f'<h5 class="card-subtitle mb-2">{e(text)}</h5>'

    def rendered_log(self, c: Content) -> str:
        items = []
        for d, status, paras in rendered_entries(c):
            if status:
                items.append(
                    f'<li class="list-group-item"><small class="text-muted">{d}</small> '
                    f'<span class="badge bg-secondary">{status}</span></li>'
                )
            else:
                items.append(
                    f'<li class="list-group-item"><small class="text-muted">{d}</small>'
                    + "".join(f'<p class="mb-1">{e(p)}</p>' for p in paras)
                    + "</li>"
                )
        return '<ul class="list-group list-group-flush">' + "".join(items) + "</ul>"

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        meta = "".join(
            f'<div class="row"><div class="col-4 fw-bold">{k}</div><div class="col-8">{v}</div></div>'
            for k, v in m
        )
        body = (
            f'<nav class="navbar navbar-expand-lg"><div class="container">{NAV}</div></nav>'
            '<div class="container"><div class="row"><div class="col-md-8">'
            + (f'<div class="alert alert-warning">{self.banner(c)}</div>' if c.banner else "")
            + f'<div class="card"><div class="card-header"><h1 class="h4">{e(c.title)}</h1></div>'
            f'<div class="card-body">{self.content(c)}</div></div></div>'
            '<div class="col-md-4">'
            + (f'<div class="card"><div class="card-body small">{meta}</div></div>' if meta else "")
            + f'<div class="card"><div class="card-body">{SHARE}</div></div></div></div></div>'
            f'<footer class="bg-light py-4"><div class="container">{FOOTER}</div></footer>'
            '<div class="modal fade" id="cookieModal"><div class="modal-dialog"><div class="modal-content">'
            f'<div class="modal-body">{COOKIE}</div></div></div></div>'
        )
        return doc(c.title, "", body)


class Headless(Theme):
    """A headless Next.js front end: hashed class names, the data again in __NEXT_DATA__."""

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        meta = "".join(
            f'<div class="Meta_item__x9f2"><span class="Meta_label__a1b2">{k}</span>'
            f'<span class="Meta_value__c3d4">{v}</span></div>'
            for k, v in m
        )
        data = {"props": {"pageProps": {"post": {"id": c.rec_id, "title": c.title,
                "content": self.content(c)}}}, "page": "/recommendation/[force]/[id]"}  # fmt: skip
        body = (
            '<div id="__next"><div class="Layout_root__q8Zt">'
            f'<header class="Header_root__Yy1x">{NAV}</header>'
            + (f'<div class="Banner_root__b0b0">{self.banner(c)}</div>' if c.banner else "")
            + f'<main class="Post_root__Pp2k"><h1 class="Post_title__T1t1">{e(c.title)}</h1>'
            + (f'<div class="Meta_root__m5m5">{meta}</div>' if meta else "")
            + f'<div class="Post_body__B7b7">{self.content(c)}</div></main>'
            f'<footer class="Footer_root__F3f3">{FOOTER}</footer></div></div>'
            '<script id="__NEXT_DATA__" type="application/json">'
            + json.dumps(data).replace("</", "<\\/")
            + "</script>"
        )
        return doc(c.title, "", body)


class Accordion(Theme):
    """The log folded into a <details> accordion below the text, metadata in labelled <p>s."""

    labels = {"force": "Force", "reference": "Reference", "report": "Report",
              "published": "Published on", "themes": "Themes"}  # fmt: skip
    meta_date_style = "ordinal"

    def source_parts(self, c: Content) -> list[str]:
        parts = super().source_parts(c)
        if c.log_form in ("markup", "no_comment_tags", "broken", "rendered") and c.log:
            log = parts.pop()
            parts.append(f"<details><summary>Show the status log</summary>{log}</details>")
        return parts

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        meta = "".join(
            f'<p class="meta"><span class="meta-label">{k}:</span> {v}</p>' for k, v in m
        )
        body = (
            f'<a href="#main" class="skip">Skip to main content</a><header>{NAV}</header>'
            '<nav class="breadcrumb"><a href="/hmicfrs/">Home</a> › <a href="/hmicfrs/recommendations/">'
            f"Recommendations</a> › {e(c.title)}</nav>"
            '<main id="main">'
            + (self.banner(c) if c.banner else "")
            + f'<h1>{e(c.title)}</h1><div class="byline">By HMICFRS</div>'
            f'<div class="post-meta">{meta}</div><div class="post">{self.content(c)}</div>'
            f"{SHARE}</main><footer>{FOOTER}</footer>{COOKIE}"
        )
        return doc(c.title, "", body)


class Microdata(Theme):
    """schema.org microdata: itemprops on visible labelled spans, text in articleBody."""

    labels = {"force": "Force", "reference": "Reference", "report": "Report",
              "published": "Published", "themes": "Keywords"}  # fmt: skip

    def page(self, c: Content) -> str:
        m = meta_pairs(c, self.labels, self.meta_date_style)
        props = {"Force": "about", "Reference": "identifier", "Report": "isPartOf",
                 "Published": "datePublished", "Keywords": "keywords"}  # fmt: skip
        meta = "".join(
            f'<li><span class="k">{k}</span> <span itemprop="{props[k]}">{v}</span></li>'
            for k, v in m
        )
        body = (
            f"<header>{NAV}</header>"
            '<div itemscope itemtype="https://schema.org/Article" class="article">'
            + (self.banner(c) if c.banner else "")
            + f'<h1 itemprop="headline">{e(c.title)}</h1>'
            + (f'<ul class="article-meta">{meta}</ul>' if meta else "")
            + f'<div itemprop="articleBody">{self.content(c)}</div></div>'
            f"<footer>{FOOTER}</footer>"
        )
        return doc(c.title, "", body)


# ---------------------------------------------------------------- more themes (second blind set)
#
# Eight more, written by a second author who has read neither the parser nor the first set's
# reasoning, only SITE.md and this generator's helpers. Each puts a different real-world
# construction around the same contents.


def status_words(slug: str) -> str:
    """A status slug as a theme's summary box writes it: being-progressed -> Being progressed."""
    return slug.replace("-", " ").capitalize()


def current_status_shown(c: Content) -> str | None:
    """The status a summary box shows: the last status entry's, or the closing line's."""
    if c.log_form == "prose":
        return c.closing_status
    if c.log_form == "none":
        return None
    statuses = [ev.status for ev in c.log if ev.status]
    return statuses[-1] if statuses else None


def renders_log(c: Content) -> bool:
    """Whether a theme that runs the [on] shortcode shows this content's log as HTML entries.

    Well-formed markup renders, and so does the rendered form; markup with tags missing is left
    as the literal text the editor stored (a shortcode that does not close renders nothing).
    """
    return bool(c.log) and c.log_form in ("markup", "rendered")


class RenderingTheme(Theme):
    """A theme whose [on] shortcode renders: well-formed markup shows as the rendered log."""

    def source_parts(self, c: Content) -> list[str]:
        if c.log_form != "markup" or not c.log:
            return super().source_parts(c)
        return super().source_parts(dataclasses.replace(c, log_form="rendered"))


class SectionsToc(Theme):
    """Nested <section>s, one per heading, and a sticky "On this page" contents list in the
    article linking to them; metadata in the article's last section as labelled list items."""

    labels = {"force": "Force", "reference": "Reference", "report": "Report",
              "published": "Report published", "themes": "Themes"}  # fmt: skip
    log_heading = "Status log"
    meta_date_style = "ordinal"

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._ids: list[tuple[str, str]] = []
        self._rec = 0

    def heading(self, text: str) -> str:
        anchor = f"s{self._rec}-{len(self._ids) + 1}"
        self._ids.append((anchor, text))
        return f'<h2 id="{anchor}" class="section-heading">{e(text)}</h2>'

    def rendered_log(self, c: Content) -> str:
        items = []
        for (d, status, paras), ev in zip(rendered_entries(c), c.log, strict=True):
            inner = (
                f'<p class="entry-status">{status}</p>'
                if status
                else "".join(f"<p>{e(p)}</p>" for p in paras)
            )
            items.append(
                f'<section class="log-entry"><h3 class="log-entry__date">'
                f'<time datetime="{ev.on}">{d}</time></h3>{inner}</section>'
            )
        return '<section class="log-entries">' + "".join(items) + "</section>"

    def sections(self, c: Content) -> tuple[str, list[tuple[str, str]]]:
        """The content as nested sections, and the (anchor, heading) pairs it holds."""
        self._ids, self._rec = [], c.rec_id
        groups: list[list[str]] = [[]]
        for part in self.source_parts(c):
            if part.startswith("<h2") and groups[-1]:
                groups.append([])
            groups[-1].append(part)
        inner = "".join(
            f'<section class="rec-section__part">{"".join(g)}</section>' for g in groups if g
        )
        return f'<section class="rec-section">{inner}</section>', list(self._ids)

    def content(self, c: Content) -> str:
        return self.sections(c)[0]

    def page(self, c: Content) -> str:
        content, toc = self.sections(c)
        pairs = meta_pairs(c, self.labels, self.meta_date_style)
        about = ""
        if pairs:
            anchor = f"s{c.rec_id}-about"
            toc.append((anchor, "About this recommendation"))
            items = "".join(f"<li><strong>{k}:</strong> {v}</li>" for k, v in pairs)
            about = (
                f'<section class="rec-about"><h2 id="{anchor}">About this recommendation</h2>'
                f"<ul>{items}</ul></section>"
            )
        links = "".join(f'<li><a href="#{a}">{e(t)}</a></li>' for a, t in toc)
        nav = (
            '<nav class="toc" aria-label="On this page" style="position:sticky;top:1rem">'
            f'<h2 class="toc__title">On this page</h2><ol>{links}</ol></nav>'
            if links
            else ""
        )
        body = (
            f'<header class="site-header">{NAV}</header>'
            + (self.banner(c) if c.banner else "")
            + '<main id="content"><article class="post">'
            f'<header class="post-header"><h1 class="post-title">{e(c.title)}</h1></header>'
            f'<div class="post-layout">{nav}<div class="post-main">'
            f'<section class="post-content">{content}{about}</section></div></div>'
            f"</article></main><footer>{FOOTER}</footer>"
        )
        return doc(c.title, "", body)

    def listing(self, entries: list[Content], next_url: str) -> str:
        toc = "".join(f'<li><a href="#entry-{c.rec_id}">{e(c.title)}</a></li>' for c in entries)
        sections = "".join(
            f'<section class="entry" id="entry-{c.rec_id}"><h2 class="entry__title">'
            f'<a href="{c.url}">{e(c.title)}</a></h2>{self.content(c)}</section>'
            for c in entries
        )
        main = (
            '<main id="content"><h1>Recommendations: Plan</h1><div class="post-layout">'
            '<nav class="toc" aria-label="On this page" style="position:sticky;top:1rem">'
            f'<h2 class="toc__title">On this page</h2><ol>{toc}</ol></nav>'
            f'<div class="post-main">{sections}</div></div>'
            f'<p class="more"><a rel="next" href="{next_url}">Next page</a></p></main>'
        )
        return doc("Plan", "", f'<header class="site-header">{NAV}</header>{main}{FOOTER}')


class KeyFacts(Theme):
    """A "Key facts" box of label/value spans at the top of the entry content, then the text."""

    labels = {"force": "Force or service", "reference": "Our reference", "report": "Report",
              "published": "Report published", "themes": "Themes"}  # fmt: skip
    meta_date_style = "ordinal"

    def facts(self, c: Content) -> str:
        pairs = meta_pairs(c, self.labels, self.meta_date_style)
        status = current_status_shown(c)
        if status:
            pairs.append(("Current status", e(status_words(status))))
        if not pairs:
            return ""
        rows = "".join(
            f'<div class="key-facts__row"><span class="key-facts__label">{k}</span> '
            f'<span class="key-facts__value">{v}</span></div>'
            for k, v in pairs
        )
        return (
            '<div class="key-facts" role="region" aria-label="Key facts">'
            f'<h2 class="key-facts__title">Key facts</h2>{rows}</div>'
        )

    def page(self, c: Content) -> str:
        body = (
            f'<div id="page"><header id="masthead" class="site-header">{NAV}</header>'
            '<div id="content" class="site-content"><div id="primary" class="content-area">'
            '<main id="main" class="site-main"><article class="post type-post">'
            + (self.banner(c) if c.banner else "")
            + f'<header class="entry-header"><h1 class="entry-title">{e(c.title)}</h1></header>'
            f'<div class="entry-content">{self.facts(c)}{self.content(c)}</div>'
            "</article></main></div></div>"
            f'<footer id="colophon">{FOOTER}</footer></div>'
        )
        return doc(c.title, "", body)

    def listing(self, entries: list[Content], next_url: str) -> str:
        options = "".join(
            f'<option value="{slug}"{" selected" if slug == "plan" else ""}>{slug}</option>'
            for slug in ("harm", "audit", "call-handling", "plan")
        )
        body = "\n".join(self.entry(c) for c in entries)
        main = (
            '<main id="main" class="site-main"><header class="page-header">'
            '<h1 class="page-title">Recommendation theme: Plan</h1></header>'
            '<form class="filter" method="get" action="/hmicfrs/"><label for="theme">Theme'
            f'</label><select id="theme" name="recommendation-theme">{options}</select> '
            '<button type="submit">Filter</button></form>'
            f'<p class="result-count">Showing 1–{len(entries)} of 27 recommendations</p>{body}'
            '<nav class="navigation posts-navigation"><div class="nav-links"><div class="nav-'
            f'previous"><a href="{next_url}">Older posts</a></div></div></nav></main>'
        )
        return doc("Plan", "", f'<header id="masthead">{NAV}</header>{main}{FOOTER}')


class BreadcrumbSectionNav(Theme):
    """A "You are here" trail and a "Last updated" line in the article header, metadata as
    pipe-separated labelled spans under the title, and an "In this section" list of other
    recommendations with their opening sentences before the content (this one marked current)."""

    labels = {"force": "Force", "reference": "Ref", "report": "Report",
              "published": "Report date", "themes": "Topics"}  # fmt: skip

    def updated(self, c: Content) -> str:
        dates = [ev.on for ev in c.log] or ["2019-07-11"]
        return fmt_date(max(dates), "plain")

    def page(self, c: Content) -> str:
        pairs = meta_pairs(c, self.labels, self.meta_date_style)
        meta = " | ".join(f'<span class="meta"><span class="meta__k">{k}:</span> {v}</span>'
                          for k, v in pairs)  # fmt: skip
        i = CONTENTS.index(c)
        near = [CONTENTS[(i + k) % len(CONTENTS)] for k in (-1, 0, 1, 2)]
        items = []
        for o in near:
            current = ' aria-current="page" class="is-current"' if o is c else ""
            items.append(
                f'<li{current}><a href="{o.url}">{e(o.title)}</a>'
                f'<p class="section-nav__excerpt">{e(first_sentence(o))}</p></li>'
            )
        force = c.force.replace("-", " ").title()
        body = (
            f'<header class="site">{NAV}</header>'
            '<div class="wrapper"><nav class="section-nav" aria-label="In this section">'
            f"<h2>In this section</h2><ul>{''.join(items)}</ul></nav>"
            '<main class="main">'
            + (self.banner(c) if c.banner else "")
            + '<article class="rec"><header class="rec__header">'
            '<div class="trail"><span class="trail__lead">You are here:</span> '
            '<a href="/hmicfrs/">Home</a> › <a href="/hmicfrs/recommendations/">'
            f'Recommendations</a> › <a href="/hmicfrs/recommendation/{c.force}/">{e(force)}</a>'
            f" › <span>{e(c.title)}</span></div>"
            f'<h1 class="rec__title">{e(c.title)}</h1>'
            + (f'<p class="rec__meta">{meta}</p>' if meta else "")
            + f'<p class="rec__updated">Last updated: {self.updated(c)}</p></header>'
            f'<div class="rec__body">{self.content(c)}</div></article></main></div>'
            f"<footer>{FOOTER}</footer>"
        )
        return doc(c.title, "", body)


class LogTable(RenderingTheme):
    """The log rendered as a table with Date, Status and Comment columns; metadata in a
    row-headed details table above the text."""

    labels = {"force": "Force", "reference": "Reference", "report": "Report",
              "published": "Published", "themes": "Themes"}  # fmt: skip
    log_heading = "Status history"
    meta_date_style = "numeric"

    def rendered_log(self, c: Content) -> str:
        rows = []
        for d, status, paras in rendered_entries(c):
            comment = "".join(f"<p>{e(p)}</p>" for p in paras)
            rows.append(
                f'<tr><td class="log__date">{d}</td><td class="log__status">{status or ""}</td>'
                f'<td class="log__comment">{comment}</td></tr>'
            )
        return (
            '<table class="log"><thead><tr><th scope="col">Date</th><th scope="col">Status</th>'
            f'<th scope="col">Comment</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
        )

    def page(self, c: Content) -> str:
        pairs = meta_pairs(c, self.labels, self.meta_date_style)
        rows = "".join(f'<tr><th scope="row">{k}</th><td>{v}</td></tr>' for k, v in pairs)
        details = (
            f'<table class="rec-details"><caption>Details</caption><tbody>{rows}</tbody></table>'
            if rows
            else ""
        )
        body = (
            f'<header class="header">{NAV}</header><main class="container">'
            + (self.banner(c) if c.banner else "")
            + f'<article><h1>{e(c.title)}</h1>{details}<div class="entry-content">'
            f"{self.content(c)}</div></article></main><footer>{FOOTER}</footer>"
        )
        return doc(c.title, "", body)

    def listing(self, entries: list[Content], next_url: str) -> str:
        rows = "".join(
            f'<tr><td class="recs__title"><a href="{c.url}">{e(c.title)}</a></td>'
            f'<td class="recs__body">{self.content(c)}</td></tr>'
            for c in entries
        )
        main = (
            '<main class="container"><h1>Plan</h1><table class="recs"><thead><tr>'
            '<th scope="col">Recommendation</th><th scope="col">Text and progress</th></tr>'
            f'</thead><tbody>{rows}</tbody></table><p class="pager">Page 1 · '
            f'<a href="{next_url}">Next</a></p></main>'
        )
        return doc("Plan", "", f'<header class="header">{NAV}</header>{main}{FOOTER}')


FEEDBACK = (
    '<div class="feedback"><form class="feedback__useful" action="/feedback/" method="post">'
    '<h2 class="feedback__q">Was this page useful?</h2>'
    '<button type="submit" name="useful" value="yes">Yes</button> '
    '<button type="submit" name="useful" value="no">No</button></form>'
    '<details class="feedback__problem"><summary>Report a problem with this page</summary>'
    '<form action="/feedback/problem/" method="post"><label for="fb-doing">What were you '
    'doing?</label><input id="fb-doing" name="doing" type="text">'
    '<label for="fb-wrong">What went wrong?</label><textarea id="fb-wrong" name="wrong">'
    '</textarea><button type="submit">Send</button></form></details></div>'
)


class FeedbackInMain(RenderingTheme):
    """A cookie banner and a "Was this page useful?" form inside <main>; metadata as a <dl> of
    div-wrapped pairs; the log rendered as a definition list of dates and entries."""

    labels = {"force": "Force or service", "reference": "Reference", "report": "Report",
              "published": "Date of report", "themes": "Themes"}  # fmt: skip
    meta_date_style = "plain"

    def rendered_log(self, c: Content) -> str:
        out = []
        for d, status, paras in rendered_entries(c):
            if status:
                out.append(f'<dt>{d}</dt><dd class="log-status">{status}</dd>')
            else:
                out.append(f"<dt>{d}</dt><dd>" + "".join(f"<p>{e(p)}</p>" for p in paras) + "</dd>")
        return '<dl class="status-log">' + "".join(out) + "</dl>"

    def page(self, c: Content) -> str:
        pairs = meta_pairs(c, self.labels, self.meta_date_style)
        meta = "".join(f'<div class="pair"><dt>{k}</dt><dd>{v}</dd></div>' for k, v in pairs)
        body = (
            f'<header role="banner">{NAV}</header><main id="main-content" role="main">'
            f"{COOKIE}"
            + (self.banner(c) if c.banner else "")
            + f'<div class="post"><h1>{e(c.title)}</h1>'
            + (f'<dl class="post-details">{meta}</dl>' if meta else "")
            + f'<div class="post-text">{self.content(c)}</div></div>{FEEDBACK}</main>'
            f"<footer>{FOOTER}</footer>"
        )
        return doc(c.title, "", body)

    def listing(self, entries: list[Content], next_url: str) -> str:
        body = "\n".join(self.entry(c) for c in entries)
        nav = (
            f'<div class="pagination"><a class="next page-numbers" href="{next_url}">Next</a></div>'
        )
        main = (
            f'<main id="main-content">{COOKIE}<h1 class="archive-title">Plan</h1>{body}{nav}'
            f"{FEEDBACK}</main>"
        )
        return doc("Plan", "", f"{NAV}{main}{FOOTER}")


def print_tools(c: Content) -> str:
    return (
        '<div class="print-tools"><button type="button" class="print-tools__print" '
        'onclick="window.print()">Print this page</button> '
        f'<a class="print-tools__pdf" href="{c.url}pdf/">Download as PDF (96 KB)</a> '
        '<span class="print-tools__share">Share: <a href="https://twitter.com/intent/tweet">'
        'X</a> <a href="https://www.linkedin.com/sharing/share-offsite/">LinkedIn</a> '
        '<a href="mailto:?subject=HMICFRS%20recommendation">Email</a></span></div>'
    )


class PrintSharePdf(Theme):
    """Print, share and "Download as PDF" tools inside the entry content, above and below the
    text; the metadata appended to the content after the log, label and value on two lines."""

    labels = {"force": "Force", "reference": "Reference", "report": "Report",
              "published": "Published", "themes": "Themes"}  # fmt: skip

    def details(self, c: Content) -> str:
        pairs = meta_pairs(c, self.labels, self.meta_date_style)
        if not pairs:
            return ""
        rows = "".join(f'<p class="rec-detail"><b>{k}</b><br>{v}</p>' for k, v in pairs)
        return f'<div class="rec-details"><h3>Recommendation details</h3>{rows}</div>'

    def page(self, c: Content) -> str:
        body = (
            f'<div class="site"><header>{NAV}</header><div class="site-inner">'
            + (self.banner(c) if c.banner else "")
            + f'<article class="entry"><h1 class="entry-title">{e(c.title)}</h1>'
            f'<div class="entry-content">{print_tools(c)}{self.content(c)}{self.details(c)}'
            f'<p class="pdf-link"><a href="{c.url}pdf/">Download this recommendation as a PDF'
            f"</a></p>{print_tools(c)}</div></article></div><footer>{FOOTER}</footer></div>"
        )
        return doc(c.title, "", body)


class TitleOutsideMicrodata(Theme):
    """The title in a page header outside the <article>, with a one-sentence byline carrying
    the metadata as schema.org microdata; the article holds only the body."""

    def byline(self, c: Content) -> str:
        m = c.meta
        if m is None:
            return ""
        parts = []
        if m.reference:
            parts.append(f'Reference <span itemprop="identifier">{e(m.reference)}</span>')
        if m.force_name:
            parts.append(
                'made to <span itemprop="about" itemscope '
                'itemtype="https://schema.org/GovernmentOrganization">'
                f'<span itemprop="name">{e(m.force_name)}</span></span>'
            )
        if m.report_url:
            parts.append(
                f'in the report <a itemprop="isPartOf" href="{m.report_url}">'
                f"{e(c.report_title)}</a>"
            )
        if m.published_on:
            parts.append(
                f'published <time itemprop="datePublished" datetime="{m.published_on}">'
                f"{fmt_date(m.published_on, 'ordinal')}</time>"
            )
        sentence = ", ".join(parts)
        sentence = sentence[0].upper() + sentence[1:] + "."
        tags = ""
        if m.themes:
            tags = (
                '<p class="tags">Themes: '
                + ", ".join(
                    f'<a rel="tag" itemprop="keywords" href="{OLD}/hmicfrs/?recommendation-theme='
                    f'{t.lower().replace(" ", "-")}">{e(t)}</a>'
                    for t in m.themes
                )
                + "</p>"
            )
        return f'<p class="byline">{sentence}</p>{tags}'

    def page(self, c: Content) -> str:
        body = (
            f'<header class="masthead">{NAV}</header>'
            '<div class="page" itemscope itemtype="https://schema.org/Article">'
            + (self.banner(c) if c.banner else "")
            + f'<header class="page-header"><h1 itemprop="headline">{e(c.title)}</h1>'
            f"{self.byline(c)}</header>"
            f'<article class="page-body"><div itemprop="articleBody">{self.content(c)}</div>'
            f"</article></div><footer>{FOOTER}</footer>"
        )
        return doc(c.title, "", body)

    def listing(self, entries: list[Content], next_url: str) -> str:
        items = "".join(
            '<li class="result" itemscope itemtype="https://schema.org/Article">'
            f'<h3 itemprop="headline"><a itemprop="url" href="{c.url}">{e(c.title)}</a></h3>'
            f'<div itemprop="articleBody">{self.content(c)}</div></li>'
            for c in entries
        )
        main = (
            '<div class="page"><header class="page-header"><h1>Plan</h1></header>'
            f'<ul class="results">{items}</ul><nav class="pages"><span>Page 1</span> '
            f'<a href="{next_url}" rel="next">Next</a></nav></div>'
        )
        head = f'<link rel="next" href="{html.escape(next_url)}">\n'
        return doc("Plan", head, f'<header class="masthead">{NAV}</header>{main}{FOOTER}')


class HiddenDuplicates(Theme):
    """A Drupal-ish page: the menu twice (a display:none mobile copy), <noscript> and
    <template> blocks, metadata as field label/item divs in a sidebar and again in a hidden
    mobile summary above the text; a views listing."""

    labels = {"force": "Force or service", "reference": "Reference", "report": "Source report",
              "published": "Report published", "themes": "Themes"}  # fmt: skip
    meta_date_style = "numeric"

    def fields(self, c: Content) -> str:
        pairs = meta_pairs(c, self.labels, self.meta_date_style)
        return "".join(
            f'<div class="field field--label-inline"><div class="field__label">{k}</div>'
            f'<div class="field__item">{v}</div></div>'
            for k, v in pairs
        )

    def page(self, c: Content) -> str:
        fields = self.fields(c)
        body = (
            '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-XXXX" '
            'height="0" width="0" style="display:none;visibility:hidden"></iframe></noscript>'
            f'<div class="dialog-off-canvas-main-canvas"><header role="banner">'
            f'<nav class="menu--main desktop-only">{NAV}</nav>'
            '<button class="menu-toggle" aria-expanded="false">Menu</button>'
            f'<nav class="menu--main mobile-only" style="display:none" aria-hidden="true">{NAV}</nav>'
            "</header>"
            '<template id="related-card"><div class="card"><h3 class="card__title"></h3>'
            '<p class="card__excerpt"></p></div></template>'
            '<main role="main"><div class="layout-content">'
            + (self.banner(c) if c.banner else "")
            + f'<h1 class="page-title"><span class="field field--name-title">{e(c.title)}</span></h1>'
            + (
                f'<div class="mobile-summary" style="display:none" aria-hidden="true">{fields}</div>'
                if fields
                else ""
            )
            + '<article class="node node--type-recommendation"><div class="node__content">'
            f'<div class="clearfix text-formatted field field--name-body">{self.content(c)}</div>'
            "<noscript><p>Turn on JavaScript to filter the status log by kind of entry.</p>"
            "</noscript></div></article></div>"
            + (
                f'<aside class="layout-sidebar-second" role="complementary">{fields}</aside>'
                if fields
                else ""
            )  # fmt: skip
            + f"</main><footer>{FOOTER}</footer></div>"
        )
        return doc(c.title, "", body)

    def listing(self, entries: list[Content], next_url: str) -> str:
        rows = []
        for c in entries:
            rows.append(
                '<div class="views-row"><div class="views-field views-field-title">'
                f'<h2 class="field-content"><a href="{c.url}">{e(c.title)}</a></h2></div>'
                '<div class="views-field views-field-body"><div class="field-content">'
                f"{self.content(c)}</div></div></div>"
            )
        pager = (
            '<nav class="pager" role="navigation"><ul class="pager__items js-pager__items">'
            f'<li class="pager__item pager__item--next"><a href="{next_url}" rel="next">'
            '<span aria-hidden="true">Next ›</span></a></li></ul></nav>'
        )
        main = (
            '<main role="main"><h1 class="page-title">Plan</h1><div class="view view-recommendations">'
            f'<div class="view-content">{"".join(rows)}</div>{pager}</div></main>'
        )
        mobile = f'<nav class="mobile-only" style="display:none" aria-hidden="true">{NAV}</nav>'
        return doc("Plan", "", f"<header>{NAV}{mobile}</header>{main}{FOOTER}")


THEMES: list[Theme] = [
    Classic("classic"),
    BlockTheme("block_fse"),
    GovUK("govuk"),
    Elementor("elementor"),
    Divi("divi"),
    Amp("amp"),
    PrintView("print_view"),
    JsonLd("jsonld_meta"),
    DlAside("dl_aside_hero"),
    TableLayout("table_layout"),
    Bootstrap("bootstrap_cards"),
    Headless("headless_next"),
    Accordion("accordion_details"),
    Microdata("microdata"),
    Theme("bare_dl"),
    SectionsToc("sections_toc"),
    KeyFacts("key_facts_box"),
    BreadcrumbSectionNav("trail_section_nav"),
    LogTable("log_table"),
    FeedbackInMain("feedback_in_main"),
    PrintSharePdf("print_share_pdf"),
    TitleOutsideMicrodata("title_outside_microdata"),
    HiddenDuplicates("hidden_duplicates"),
]
THEMES[2].link_titles = False  # GOV.UK listing: titles as plain headings
THEMES[13].link_titles = False


@dataclass(frozen=True)
class Page:
    theme: str
    content: str
    url: str
    html: str
    expected: dict


def listing_expected(theme: Theme, entries: list[Content], url: str, next_url: str) -> dict:
    rows = []
    for c in entries:
        rec = expected_record(c)
        rows.append(
            {
                "url": c.url if theme.link_titles else None,
                "rec_id": c.rec_id,
                "report_title": c.report_title,
                "text": rec["text"],
                "cause_of_concern": rec["cause_of_concern"],
                "log": rec["log"],
                "current_status": rec["current_status"],
                "status_date": rec["status_date"],
                "warnings": rec["warnings"],
                "force_name": None,
                "reference": None,
                "report_url": None,
                "published_on": None,
                "themes": None,
            }
        )
    none = dict.fromkeys(
        ["rec_id", "force", "report_title", "rec_type", "cause_of_concern", "text",
         "current_status", "status_date", "rec_label", "progress_update", "closing_line",
         "force_name", "reference", "report_url", "published_on", "themes"]
    )  # fmt: skip
    return {**none, "page_kind": "listing", "log": [], "has_404_banner": False,
            "warnings": False, "listing_entries": rows, "next_page": next_url}  # fmt: skip


def pages() -> Iterator[Page]:
    """Every (theme x content) recommendation page, then one listing page per theme."""
    for theme in THEMES:
        for c in CONTENTS:
            yield Page(theme.name, c.name, c.url, theme.page(c), expected_record(c))
    for i, theme in enumerate(THEMES):
        url = f"{OLD}/hmicfrs/?recommendation-theme=plan"
        next_url = (
            f"{OLD}/hmicfrs/?recommendation-theme=plan&paged=2"
            if i % 2
            else f"{OLD}/hmicfrs/page/2/?recommendation-theme=plan"
        )
        entries = [BY_NAME[n] for n in LISTED]
        yield Page(theme.name, "listing", url, theme.listing(entries, next_url),
                   listing_expected(theme, entries, url, next_url))  # fmt: skip


RENDERERS: dict[str, Callable[[Content], str]] = {t.name: t.page for t in THEMES}


# What a record is compared on: content_text depends on the theme's chrome, and the url is the
# page's own; warnings count only as "some" versus "none" (their wording is the parser's).
SKIP = {"content_text", "url"}


def normalised(record: dict) -> dict:
    """The parser's record in the expected record's terms (warnings as a flag)."""
    out = {k: v for k, v in record.items() if k not in SKIP}
    out["warnings"] = bool(out.get("warnings"))
    entries = []
    for entry in out.get("listing_entries") or []:
        entry = dict(entry)
        entry["warnings"] = bool(entry.get("warnings"))
        entries.append(entry)
    out["listing_entries"] = entries
    if out.get("themes") is not None:
        out["themes"] = list(out["themes"])
    out["log"] = [dict(e) for e in out.get("log") or []]
    for entry in entries:
        entry["log"] = [dict(e) for e in entry.get("log") or []]
        if entry.get("themes") is not None:
            entry["themes"] = list(entry["themes"])
    return out


def as_dict(parsed: object) -> dict:
    if dataclasses.is_dataclass(parsed):
        return dataclasses.asdict(parsed)
    return dict(vars(parsed))
