"""The fixture site's content: every recommendation in both states, and synthetic ones on demand.

All text here is invented (forces, reports, officers, comments). The initial state is the
hand-written list below; the later state is the same list with the documented edits applied
(`LATER_EDITS`). `SiteData` answers the questions the page renderer asks (which rec lives at
this path, what a listing page holds, what a sitemap file lists) and builds the expected
catalogue from the same records. Pure data: no I/O, no clock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import re
from collections.abc import Callable, Iterator, Sequence

from tests.fixturesite.model import (
    BANNER_200,
    BANNER_404,
    GONE,
    LATER_MODIFIED,
    LIVE,
    MOVED,
    NOT_FOUND,
    SOFT_404,
    UL,
    C,
    Inline,
    P,
    Rec,
    RecSpec,
    S,
    spec_of,
)

STATES = ("initial", "later")
# What a changing synthetic rec does in the later state (SiteData(changes=...)).
SYNTHETIC_CHANGES = ("appended", "edited", "deleted", "removed", "gone", "moved")
# The plural index /hmicfrs/recommendations/: every listed rec, newest first.
PLURAL_PAGE_SIZE = 50
THEMES = ("harm", "audit", "call-handling", "plan")
SYNTHETIC_THEME = "synthetic"
SYNTHETIC_FIRST_ID = 100000
LISTING_PAGE_SIZE = 8
SYNTHETIC_PAGE_SIZE = 50
SITEMAP_MAX_URLS = 2000

FORCES = {
    "northshire": "Northshire Police",
    "south-wessex": "South Wessex Constabulary",
    "east-fenland": "East Fenland Police",
    "west-moorland": "West Moorland Police",
    "greater-harbourside": "Greater Harbourside Police",
    "tamar-and-exe": "Tamar and Exe Police",
    "kestrel-valley": "Kestrel Valley Constabulary",
    "ashdown": "Ashdown Police",
    "westmarch-fire-and-rescue": "Westmarch Fire and Rescue Service",
}

# What `Rec.change` / `RecSpec.change` says about the move from the initial to the later state.
CHANGES = {
    "": "identical in both states (same bytes apart from the footer, same ETag: 304)",
    "appended": "log entries appended",
    "edited": "a past comment rewritten",
    "removed": "a past log entry deleted",
    "redated": "a past log entry's date changed",
    "regressed": "status goes back from complete to being-progressed (entries appended)",
    "text_changed": "the recommendation text changed, log unchanged",
    "cosmetic": "whitespace and page chrome only: new bytes and ETag, no parsed change",
    "vanished": "live, then a hard 404 (dropped from listings and sitemap)",
    "gone": "live, then 410 (dropped from listings and sitemap)",
    "soft_404": "live, then a 200 'Page not found' page with no content",
    "new": "absent from the initial state, then live, listed and in the sitemap",
    "returned": "404 in the initial state (stale sitemap entry), then live and listed",
}

_SIGNED = "\n".join  # a comment paragraph with a signature line: rendered with <br />


def _initial_recs() -> list[Rec]:
    ch = "call-handling"
    concern_kv = (
        "The force’s picture of organised criminality is incomplete because intelligence from "
        "neighbourhood teams is not routinely fed into the mapping process. As a result, some "
        "groups operating in the area are unknown to the force."
    )
    return [
        Rec(
            88,
            "ashdown",
            "Crime recording in Ashdown – an unannounced audit",
            4,
            (
                P(
                    "Within six months, the force should write and publish a crime recording "
                    "improvement plan, setting out what it will do, by when, and who is "
                    "responsible."
                ),
                P("The plan should be overseen by a chief officer. "),
            ),
            themes=("plan",),
            note="layout 4: text only, no log (current_status None)",
        ),
        Rec(
            104,
            "northshire",
            "Safe at the screen – online child protection in Northshire Police",
            1,
            (
                P(
                    "Within six months, Northshire Police should review how referrals about "
                    "children at risk online are assessed, so that every referral receives a "
                    "documented risk decision within 24\xa0hours of receipt."
                ),
            ),
            (
                S("2017-03-01", "awaiting-review"),
                C("2017-03-01", "New recommendation", inline=True),
                S("2018-02-02", "being-progressed"),
                C(
                    "2018-02-02",
                    "The force has created a single online referrals desk staffed by two "
                    "detective constables and a sergeant. Referrals are now triaged on the day "
                    "they arrive.\n\nA dip sample of 40 referrals from December 2017 found that "
                    "37 had a risk decision recorded within 24 hours. The remaining three were "
                    "received over a bank holiday weekend.",
                ),
                S("2018-05-21", "complete"),
                C(
                    "2018-05-21",
                    _SIGNED(
                        (
                            "A further dip sample in April 2018 found every referral assessed "
                            "within the required time. Authorised for closure.",
                            "Graham Tull, Force Liaison Lead",
                        )
                    ),
                ),
            ),
            themes=("harm",),
            note="layout 1: 1st/2nd/21st dates, inline one-line comment, <br> signature line",
        ),
        Rec(
            231,
            "northshire",
            "Counting what matters – crime data integrity in Northshire Police",
            1,
            (
                P(
                    "The force should immediately take steps to improve the accuracy of its "
                    "crime recording by:"
                ),
                UL(
                    (
                        "making sure that reports of crime received through its public contact "
                        "centre are recorded within 24 hours;",
                        "auditing, every quarter, the recording of violent crime and sexual "
                        "offences; and",
                        "training all call takers in the national crime recording standard.",
                    )
                ),
            ),
            (
                S("2018-11-13", "awaiting-review"),
                C(
                    "2019-04-11",
                    "The force audit unit now reviews 300 incidents each quarter. Results are "
                    "reported to the deputy chief constable’s performance board.",
                ),
                S("2019-12-12", "no-further-action-needed"),
                C(
                    "2019-12-12",
                    "This recommendation has been overtaken by the findings of the 2019 crime "
                    "data integrity re-inspection. No further action is needed against it.",
                ),
            ),
            themes=("audit",),
            note="layout 1: <ul> bullets; 11th/12th/13th dates; no-further-action-needed",
        ),
        Rec(
            517,
            "south-wessex",
            "Answering the call – 999 and 101 services in South Wessex",
            1,
            (
                P(
                    "South Wessex Constabulary should improve the way it handles non-emergency "
                    "calls. In particular it should:"
                ),
                Inline(
                    "•",
                    (
                        "publish its 101 answer times each month;",
                        "introduce a call-back option when the queue exceeds ten minutes; and",
                        "make sure vulnerable callers are identified at first contact.",
                    ),
                ),
            ),
            (
                S("2019-01-09", "awaiting-review"),
                C(
                    "2019-07-23",
                    "The force has bought a new telephony platform, due to go live in spring "
                    "2020. A call-back facility is part of the contract.",
                ),
            ),
            themes=(ch,),
            note="layout 1: bullets run together on one line with •; 23rd date",
        ),
        Rec(
            602,
            "south-wessex",
            "Hidden harm – the response to stalking and harassment in South Wessex",
            1,
            (
                P("By the end of 2018 the force should:"),
                Inline(
                    "◦",
                    (
                        "make sure that every stalking report is reviewed by a supervisor "
                        "within 48 hours;",
                        "use stalking protection orders where the legal tests are met;",
                        "record the views of the victim before any case is closed.",
                    ),
                ),
            ),
            (
                S("2017-10-03", "awaiting-review"),
                S("2018-12-22", "being-progressed"),
                C(
                    "2018-12-22",
                    "The force sent the following update:\n\n> “A stalking co-ordinator was "
                    "appointed in October 2018. All reports since then have been reviewed "
                    "within two working days.”\n\nWe will test this during the next PEEL "
                    "inspection.",
                ),
            ),
            themes=("harm",),
            note="layout 1: bullets run together with ◦; quoted update in a <blockquote>",
        ),
        Rec(
            745,
            "east-fenland",
            "Planning for the unexpected – contingency planning in East Fenland Police",
            1,
            (
                P(
                    "East Fenland Police should, within 12 months, test its plans for "
                    "responding to a major incident with partner agencies, and act on what the "
                    "tests show."
                ),
            ),
            (
                S("2017-02-09", "awaiting-review"),
                S("2017-09-11", "being-progressed"),
                C(
                    "2017-09-11",
                    "A multi-agency exercise took place on 6 September 2017. The debrief "
                    "report is being written.",
                ),
                S("2018-01-12", "awaiting-review"),
                C(
                    "2018-01-12",
                    "The debrief report has been received. Returned to awaiting review until "
                    "the actions arising from it are evidenced.",
                ),
                S("2018-06-13", "complete"),
                C(
                    "2018-06-13",
                    "All eleven actions from the debrief have been completed and tested in a "
                    "second exercise. Authorised for closure.",
                ),
            ),
            themes=("plan",),
            note="status goes backwards: awaiting-review > being-progressed > awaiting-review "
            "> complete",
        ),
        Rec(
            903,
            "east-fenland",
            "Through the gate – a custody audit follow-up for East Fenland",
            1,
            (
                P(
                    "The force should audit the use of force in custody every six months and "
                    "publish the findings to its police and crime commissioner."
                ),
            ),
            (
                S("2016-11-01", "awaiting-review"),
                C(
                    "2017-05-02",
                    "Audit process drafted and awaiting approval by the chief officer group.",
                ),
                S("2019-03-15", "superseded"),
                C(
                    "2019-03-15",
                    "This recommendation has been replaced by recommendation 4 of the 2019 "
                    "custody inspection report.",
                ),
            ),
            themes=("audit",),
            note="unknown status slug 'superseded' (store as is)",
        ),
        Rec(
            1120,
            "west-moorland",
            "Missing, not forgotten – missing-person investigations in West Moorland",
            1,
            (
                P(
                    "West Moorland Police should make sure that every report of a missing "
                    "child is risk assessed by a trained supervisor, and that the assessment "
                    "is reviewed at least every eight hours while the child remains missing."
                ),
            ),
            (
                S("2017-02-09", "awaiting-review", broken=True),
                C(
                    "2018-02-02",
                    "The force has introduced a missing-child checklist for supervisors and "
                    "added an eight-hour review prompt to its incident log.\n\nA review of 25 "
                    "cases from January 2018 found the prompt was acted on in 19 of them.",
                    broken=True,
                ),
                S("2018-08-21", "being-progressed"),
                C("2018-08-21", "Further evidence requested on the eight-hour reviews."),
            ),
            themes=("harm",),
            warnings=True,
            note="broken markup: first entry lacks the opening [status] tag "
            "('[on]9th February 2017 awaiting-review[/status][/on]'); second lacks the opening "
            "[comment] tag (body runs from the date to [/comment]). Expected log = lenient "
            "recovery of both; a parse warning",
        ),
        Rec(
            1288,
            "west-moorland",
            "Answering the call – 999 and 101 services in West Moorland",
            1,
            (
                P(
                    "The force should reduce the number of emergency calls abandoned before "
                    "they are answered, and should report progress to the police and crime "
                    "commissioner every quarter."
                ),
            ),
            (
                S("2019-02-09", "awaiting-review", "plain"),
                S("2019-10-01", "being-progressed", "plain"),
                C(
                    "2019-10-01",
                    "Abandonment rate fell from 4.1% to 1.6% between April and September 2019.",
                    "plain",
                ),
                C(
                    "2020-01-20",
                    "Quarterly reports to the commissioner started in January 2020.",
                    "slash",
                ),
            ),
            themes=(ch,),
            note="dates '9 February 2019' and '20/01/2020'",
        ),
        Rec(
            1350,
            "greater-harbourside",
            "Making the plan work – force management statements 2019",
            1,
            (
                P(
                    "Greater Harbourside Police should produce a force management statement "
                    "that sets out, for each area of demand, how its workforce plan will meet "
                    "that demand over the next four years."
                ),
            ),
            (
                S("2020-01-20", "awaiting-review", "slash"),
                S("2020-07-03", "being-progressed", "slash"),
                C(
                    "2020-07-03",
                    "Draft statement received. It does not yet cover demand arising from "
                    "online fraud.",
                    "slash",
                ),
                S("2021-02-28", "complete", "slash"),
                C("2021-02-28", "Authorised for closure.", "slash", inline=True),
            ),
            themes=("plan",),
            note="every date dd/mm/yyyy",
        ),
        Rec(
            1402,
            "greater-harbourside",
            "Counting what matters – crime data integrity in Greater Harbourside",
            1,
            (
                P(
                    "Within three months, the force should put in place a regular audit of "
                    "decisions to cancel recorded crimes, carried out by staff independent of "
                    "the investigation."
                ),
            ),
            (
                S("2017-08-01", "awaiting-review"),
                C(
                    "2018-03-23",
                    "Independent audit team formed from the force crime registrar’s staff.",
                    "plain",
                ),
                S("2019-05-02", "complete", "slash"),
                C(
                    "2019-05-02",
                    "Audit results for two consecutive quarters show that 98% of "
                    "cancellations met the standard. Authorised for closure.",
                ),
            ),
            themes=("audit",),
            note="three date styles mixed in one log",
        ),
        Rec(
            1777,
            "tamar-and-exe",
            "PEEL: Police effectiveness 2017 – Tamar and Exe Police",
            2,
            (
                P("To address this cause of concern, the force should:"),
                UL(
                    (
                        "make sure that call handlers check for previous incidents at every "
                        "domestic abuse call;",
                        "review its risk assessment training for first responders; and",
                        "monitor the timeliness of referrals to independent domestic violence "
                        "advisers.",
                    )
                ),
            ),
            rec_type="Cause of concern",
            concern="The force does not consistently identify repeat victims of domestic abuse "
            "when they first make contact, so some victims at high risk do not receive the "
            "help they need quickly enough.",
            progress=(
                "In our 2018 inspection we found that call handlers now see a repeat-victim "
                "flag on every incident. The force has trained 640 first responders, and "
                "referrals to advisers are monitored weekly by the public protection unit.",
            ),
            closing="This recommendation is complete.",
            closing_status="complete",
            themes=("harm",),
            note="layout 2: 'Cause of concern' heading, <ul> bullets, prose progress, closing "
            "line 'This recommendation is complete.' (status complete, no date)",
        ),
        Rec(
            1790,
            "tamar-and-exe",
            "Planning for the unexpected – contingency planning in Tamar and Exe Police",
            2,
            (
                Inline(
                    "•",
                    (
                        "Within six months the force should rewrite its control room "
                        "continuity plan;",
                        "test the plan with a live exercise at the secondary site; and",
                        "agree mutual aid arrangements with a neighbouring force.",
                    ),
                ),
            ),
            rec_type="Cause of concern",
            concern="The force’s plans for a prolonged loss of its control room are out of "
            "date and have not been tested.",
            progress=(
                "The plan has been rewritten and approved. A live exercise is scheduled for "
                "November 2019 but has not yet taken place, and the mutual aid agreement is "
                "still in draft.",
            ),
            closing="This recommendation is being progressed.",
            closing_status="being-progressed",
            themes=("plan",),
            note="layout 2 with inline • bullets; closing line 'This recommendation is being "
            "progressed.'",
        ),
        Rec(
            1985,
            "kestrel-valley",
            "Serious and organised crime – mapping the threat in Kestrel Valley",
            3,
            (
                Inline(
                    "•",
                    (
                        "By the end of June 2018, the force should make sure that neighbourhood "
                        "intelligence is assessed for links to organised crime groups and, "
                        "where links are found, that the groups are mapped and assigned a lead "
                        "officer.",
                    ),
                ),
            ),
            (
                S("2017-04-21", "awaiting-review"),
                S("2018-06-04", "being-progressed"),
                C(
                    "2018-06-04",
                    "The force now holds a monthly tasking meeting at which neighbourhood "
                    "intelligence is reviewed by the serious organised crime unit. Action "
                    "owners are recorded on the force’s performance system.\n\nThe nominated "
                    "owner of this recommendation is DCS Priya Rennick.",
                ),
                C(
                    "2018-09-17",
                    "At a meeting with DCS Rennick on 12 September 2018 we saw evidence that "
                    "47 groups had been mapped since April, 11 of them identified from "
                    "neighbourhood intelligence. Each group has a lead officer and a "
                    "management plan.\n\nI consider that the force has met the requirement of "
                    "this recommendation.",
                ),
                S("2018-09-18", "complete"),
                C("2018-09-18", "Authorised for closure."),
            ),
            concern=concern_kv,
            rec_number=3,
            mode=BANNER_200,
            themes=("harm",),
            note="layout 3 ('Causes of concern' + 'Recommendation 3') under a '404 Page not "
            "found' banner, answering 200: live, has_404_banner",
        ),
        Rec(
            2046,
            "kestrel-valley",
            "Serious and organised crime – mapping the threat in Kestrel Valley",
            3,
            (
                P("The force should:"),
                UL(
                    (
                        "audit its organised crime group records every six months;",
                        "remove groups that are no longer active; and",
                        "share the audit results with the regional organised crime unit.",
                    )
                ),
            ),
            (
                S("2017-04-21", "awaiting-review"),
                C(
                    "2019-02-11",
                    "First six-monthly audit completed in January 2019. Fourteen inactive "
                    "groups were archived.",
                ),
                S("2019-02-11", "being-progressed"),
            ),
            concern=concern_kv,
            rec_number=4,
            themes=("audit",),
            note="layout 3 without banner; comment before the status on the same day",
        ),
        Rec(
            2210,
            "kestrel-valley",
            "Answering the call – 999 and 101 services in Kestrel Valley",
            3,
            (
                Inline(
                    "•",
                    (
                        "Within three months the force should analyse its emergency call data "
                        "to find the causes of delay, and produce a plan to answer 90% of "
                        "emergency calls within ten seconds.",
                    ),
                ),
            ),
            (
                S("2018-10-02", "awaiting-review"),
                C(
                    "2019-03-23",
                    "Analysis received. Peak delays coincide with shift handovers; shift "
                    "patterns are being changed.",
                ),
                S("2019-03-23", "being-progressed"),
            ),
            concern="Too many emergency calls wait longer than ten seconds to be answered, and "
            "the force does not understand why.",
            rec_number=1,
            mode=BANNER_404,
            themes=(ch,),
            note="layout 3 under a '404 Page not found' banner answering HTTP 404: still live",
        ),
        Rec(
            2378,
            "ashdown",
            "Making the plan work – force management statements 2019",
            1,
            (
                P(
                    "Ashdown Police should include in its force management statement an "
                    "assessment of the skills its workforce will need in four years’ time."
                ),
            ),
            (S("2019-09-02", "awaiting-review"),),
            mode=SOFT_404,
            themes=("plan",),
            note="true soft 404: 200 'Page not found' with no content (listed, content only "
            "in the listing)",
        ),
        Rec(
            2401,
            "ashdown",
            "Hidden harm – the response to stalking and harassment in Ashdown",
            1,
            (
                P(
                    "The force should make sure that officers record stalking as stalking, not "
                    "as harassment, when the behaviour meets the definition."
                ),
            ),
            (
                S("2018-01-15", "awaiting-review"),
                C("2018-01-15", "New recommendation", inline=True),
            ),
            mode=NOT_FOUND,
            themes=("harm",),
            note="hard 404 at a listed rec URL (listed but missing, both states)",
        ),
        Rec(
            2555,
            "northshire",
            "Custody suites in Northshire – an unannounced inspection",
            1,
            (
                P(
                    "The force should stop using cells that have known ligature points until "
                    "they have been made safe."
                ),
            ),
            (S("2016-06-06", "awaiting-review"), S("2016-12-01", "complete")),
            mode=GONE,
            note="410 Gone, known only from the sitemap (both states)",
        ),
        Rec(
            2690,
            "northshire",
            "Fit for the future – a national review of police workforce planning",
            1,
            (
                P(
                    "All forces should, by March 2020, adopt the national workforce planning "
                    "template and use it to publish a four-year workforce plan."
                ),
                P(
                    "Chief constables should report on progress to their police and crime "
                    "commissioner & to the College of Policing."
                ),
            ),
            (
                S("2019-04-01", "awaiting-review"),
                C(
                    "2019-04-01",
                    "National recommendation – filed under Northshire Police as the lead force "
                    "for the workforce planning portfolio.",
                ),
                S("2020-05-05", "being-progressed"),
                C(
                    "2020-05-05",
                    "Forty of the 43 forces have adopted the template. The remaining three "
                    "expect to do so by the end of 2020.",
                ),
            ),
            rec_type="National recommendation",
            themes=("plan",),
            note="national recommendation ('All forces should ...') filed under one force; "
            "'&' as &amp;",
        ),
        Rec(
            2712,
            "south-wessex",
            "PEEL: Police effectiveness 2018 – South Wessex Constabulary",
            1,
            (
                P(
                    "The force should improve how it records the reasons why callers abandon "
                    "101 calls, so that it can understand unmet demand."
                ),
            ),
            (
                S("2018-11-22", "awaiting-review"),
                C(
                    "2019-11-22",
                    "Reviewed at the 2019 PEEL inspection. The force now samples abandoned "
                    "calls each month and calls back a proportion of them.",
                ),
                S("2019-11-22", "complete"),
            ),
            rec_type="Area for improvement",
            themes=(ch,),
            note="an area for improvement (rec_type); 22nd dates",
        ),
        Rec(
            2840,
            "east-fenland",
            "Through the gate – a custody audit follow-up for East Fenland",
            1,
            (
                P(
                    "The force should make sure that detainees’ property is recorded and "
                    "signed for at every transfer between custody suites."
                ),
            ),
            (
                S("2017-03-03", "awaiting-review"),
                C(
                    "2018-07-10",
                    "Evidence of signed transfer records for a three-month period received "
                    "and checked.",
                ),
                S("2018-07-10", "complete"),
                S("2018-05-08", "being-progressed"),
                C(
                    "2018-05-08",
                    "Entry added retrospectively to record the progress review held in May 2018.",
                ),
            ),
            themes=("audit",),
            note="log not in date order: the last status on the page (being-progressed, "
            "2018-05-08) is not the latest by date (complete, 2018-07-10)",
        ),
        Rec(
            3017,
            "west-moorland",
            "Draft – internal review of vetting backlogs",
            1,
            (
                P(
                    "Not for publication: the force should clear its vetting backlog by the end "
                    "of the financial year."
                ),
            ),
            (S("2020-02-03", "awaiting-review"),),
            private=True,
            in_sitemap=False,
            themes=("audit",),
            note="Disallowed by robots.txt, linked from a listing: "
            "must never be fetched; state 'blocked'",
        ),
        Rec(
            3105,
            "greater-harbourside",
            "Safe at home – domestic abuse risk assessment revisited",
            1,
            (
                P(
                    "The force should make sure that a risk assessment is completed at every "
                    "domestic abuse incident, including where the victim declines to answer "
                    "the questions."
                ),
            ),
            (
                S("2019-06-17", "awaiting-review"),
                S("2020-03-09", "being-progressed"),
                C(
                    "2020-03-09",
                    "Compliance has risen to 91% in the latest audit; the target is 98%.",
                ),
            ),
            note="in the sitemap only (no listing)",
        ),
        Rec(
            3190,
            "tamar-and-exe",
            "Answering the call – 999 and 101 services in Tamar and Exe",
            1,
            (
                P(
                    "The force should give call handlers access to the domestic abuse history "
                    "of an address while a call is in progress."
                ),
            ),
            (
                S("2019-03-01", "awaiting-review"),
                C("2019-03-01", "New recommendation", inline=True),
                S("2019-10-30", "complete"),
                C(
                    "2019-10-30",
                    "System change went live on 14 October 2019. Authorised for closure.",
                ),
            ),
            in_sitemap=False,
            themes=(ch,),
            note="in a listing only (not in the sitemap)",
        ),
        Rec(
            3333,
            "west-moorland",
            "Café culture and the night-time economy – licensing enforcement in West Moorland",
            1,
            (
                P(
                    "The force should work with the licensing authority to target premises "
                    "linked to violence, using the £250,000 night-time economy fund to pay for "
                    "extra patrols."
                ),
                P(
                    "It should evaluate the “Safe Night Out” scheme and publish the evaluation’s "
                    "findings."
                ),
            ),
            (
                S("2018-04-12", "awaiting-review"),
                C(
                    "2018-11-01",
                    "The force’s evaluation of “Safe Night Out” was published in October 2018. "
                    "It found a 12% fall in violent incidents near participating premises – a "
                    "result the force attributes to the extra patrols.\n\nThe café and bar "
                    "owners’ association has agreed to keep funding the radio link scheme.",
                ),
                S("2018-11-01", "complete"),
            ),
            themes=("harm",),
            note="non-ASCII text (é £ ’ “ ” –): use with the latin1 / cp1252 faults",
        ),
        Rec(
            3460,
            "northshire",
            "Safe at home – domestic abuse risk assessment revisited",
            1,
            (
                P(
                    "Northshire Police should review its use of bail and released-under-"
                    "investigation for domestic abuse suspects, so that victims are protected "
                    "while investigations continue."
                ),
            ),
            (
                S("2018-02-13", "awaiting-review"),
                S("2018-09-03", "being-progressed"),
                C(
                    "2018-09-03",
                    "The force has reviewed 200 domestic abuse cases where the suspect was "
                    "released under investigation.\n\nIn 61 of them bail with conditions would "
                    "have been more appropriate. Guidance to custody sergeants has been "
                    "reissued.\n\nThe nominated owner of this recommendation is Ch Insp Bethan "
                    "Okafor.",
                ),
                C(
                    "2019-01-23",
                    _SIGNED(
                        ("Update requested from the force.", "Rohan Petrakis, Force Liaison Lead")
                    ),
                ),
            ),
            themes=("harm",),
            change="edited",
            note="three-paragraph comment; later: that past comment is rewritten (61 -> 58)",
        ),
        Rec(
            3521,
            "south-wessex",
            "Counting what matters – crime data integrity in South Wessex",
            1,
            (
                P(
                    "The force should make sure that crimes reported to partner agencies and "
                    "passed to the police are recorded within 24 hours of being received."
                ),
            ),
            (
                S("2018-10-01", "awaiting-review"),
                C(
                    "2019-02-14",
                    "Data-sharing agreement with the local authority signed in February 2019.",
                ),
                C(
                    "2019-06-03",
                    "Partner referrals are now recorded by a dedicated team. An audit is "
                    "planned for the autumn.",
                ),
                S("2019-06-03", "being-progressed"),
            ),
            themes=("audit",),
            change="removed",
            note="later: the 2019-02-14 comment is deleted",
        ),
        Rec(
            3644,
            "east-fenland",
            "Making the plan work – force management statements 2019",
            1,
            (
                P(
                    "East Fenland Police should set out how it will fund the workforce changes "
                    "described in its force management statement."
                ),
            ),
            (
                S("2019-07-01", "awaiting-review"),
                S("2020-02-21", "complete"),
                C(
                    "2020-02-21",
                    "Medium-term financial plan published, with the workforce changes costed. "
                    "Authorised for closure.",
                ),
            ),
            themes=("plan",),
            change="regressed",
            note="later: complete -> being-progressed (status + comment appended 2021-04-06)",
        ),
        Rec(
            3702,
            "greater-harbourside",
            "Answering the call – 999 and 101 services in Greater Harbourside",
            1,
            (
                P(
                    "By March 2019, the force should introduce a single point of contact for "
                    "callers who are deaf or hard of hearing, including a text relay service."
                ),
            ),
            (S("2018-12-03", "awaiting-review"), S("2019-09-30", "being-progressed")),
            themes=(ch,),
            change="text_changed",
            note="later: the recommendation text changes, the log does not",
        ),
        Rec(
            3815,
            "tamar-and-exe",
            "Hidden harm – the response to stalking and harassment in Tamar and Exe",
            1,
            (
                P(
                    "The force should appoint a stalking lead at superintendent rank who "
                    "reports to the chief officer team."
                ),
            ),
            (
                S("2018-01-15", "awaiting-review"),
                S("2018-06-25", "complete"),
                C(
                    "2018-06-25",
                    "Supt Alana Marsh appointed stalking lead on 1 June 2018. Authorised for "
                    "closure.",
                ),
            ),
            themes=("harm",),
            change="cosmetic",
            note="later: whitespace and chrome change only (new ETag, same parsed record)",
        ),
        Rec(
            3949,
            "kestrel-valley",
            "Through the gate – a custody audit follow-up for Kestrel Valley",
            1,
            (
                P(
                    "The force should make sure that every detainee is offered a health-care "
                    "assessment within one hour of arrival in custody."
                ),
            ),
            (
                S("2017-05-02", "awaiting-review"),
                C("2017-05-02", "New recommendation", inline=True),
            ),
            themes=("audit",),
            change="vanished",
            note="later: hard 404, dropped from listing and sitemap",
        ),
        Rec(
            4104,
            "ashdown",
            "Planning for the unexpected – contingency planning in Ashdown Police",
            1,
            (
                P(
                    "The force should keep a current list of officers trained in public order "
                    "tactics and make it available to the duty inspector at all times."
                ),
            ),
            (
                S("2017-06-21", "awaiting-review"),
                S("2018-02-12", "being-progressed"),
                C("2018-02-12", "List now held on the duty management system."),
            ),
            themes=("plan",),
            change="gone",
            note="later: 410 Gone, dropped from listing and sitemap",
        ),
        Rec(
            4233,
            "northshire",
            "Hidden harm – the response to stalking and harassment in Northshire",
            1,
            (
                P(
                    "The force should provide every victim of stalking with a named point of "
                    "contact for the duration of the investigation."
                ),
            ),
            (
                S("2018-01-15", "awaiting-review"),
                S("2019-05-13", "being-progressed"),
                C("2019-05-13", "Victim contact plans in place in 80% of sampled cases."),
            ),
            themes=("harm",),
            change="soft_404",
            note="later: soft 404 (200, 'Page not found', no content); still listed",
        ),
        Rec(
            4378,
            "west-moorland",
            "Answering the call – 999 and 101 services in West Moorland",
            1,
            (
                P(
                    "The force should make sure that the call-handling system records whether "
                    "a caller was given crime prevention advice."
                ),
            ),
            (
                S("2019-02-09", "awaiting-review", "plain"),
                C(
                    "2021-03-22",
                    "Field added to the call-handling system in February 2021. Compliance "
                    "checked in a sample of 100 calls: 94 recorded the advice given.",
                ),
                S("2021-03-22", "complete"),
            ),
            mode=NOT_FOUND,
            change="returned",
            note="initial: 404 (stale sitemap entry, not listed); later: live and listed",
        ),
        Rec(
            4420,
            "westmarch-fire-and-rescue",
            "Fire and rescue inspection 2019 – Westmarch Fire and Rescue Service",
            1,
            (
                P(
                    "The service should make sure that its fire safety audit programme targets "
                    "the premises at highest risk, and that it has enough qualified auditors to "
                    "carry the programme out."
                ),
            ),
            (
                S("2019-12-17", "awaiting-review"),
                C(
                    "2020-09-08",
                    "Risk-based audit programme adopted. Four additional auditors are in training.",
                ),
            ),
            themes=("audit",),
            change="appended",
            note="fire and rescue service; later: comment + complete appended",
        ),
        Rec(
            4561,
            "ashdown",
            "Answering the call – 999 and 101 services in Ashdown",
            1,
            (
                P(
                    "The force should publish its emergency and non-emergency answer times on "
                    "its website every month."
                ),
            ),
            (S("2019-02-09", "awaiting-review"),),
            themes=(ch,),
            change="appended",
            note="later: being-progressed + comment appended",
        ),
        Rec(
            4689,
            "east-fenland",
            "Safe at home – domestic abuse risk assessment revisited",
            1,
            (
                P(
                    "East Fenland Police should make sure that domestic abuse risk assessments "
                    "are reviewed by a specialist within 24 hours when the risk is graded as "
                    "high."
                ),
            ),
            (
                S("2018-03-05", "awaiting-review"),
                S("2018-11-19", "being-progressed"),
                C("2018-11-19", "Specialist review team in place; timeliness to be audited."),
            ),
            themes=("harm",),
            change="redated",
            note="later: the 2018-11-19 comment is redated to 2018-11-29",
        ),
        Rec(
            4750,
            "westmarch-fire-and-rescue",
            "Fire and rescue inspection 2019 – Westmarch Fire and Rescue Service",
            1,
            (
                P(
                    "The service should review its prevention work with people at greatest "
                    "risk of fire & make sure home fire safety checks are given to them first. "
                    "It should:"
                ),
                UL(
                    (
                        "agree data-sharing arrangements with adult social care & health partners;",
                        "evaluate the “Safe & Well” visits programme.",
                    )
                ),
            ),
            (
                S("2019-12-17", "awaiting-review"),
                S("2020-09-08", "being-progressed"),
                C(
                    "2020-09-08",
                    "Data-sharing agreement with the county council’s adult social care team "
                    "signed on 1 September 2020. Health partners have not yet agreed.",
                ),
            ),
            themes=("harm", "plan"),
            note="listed under two themes; '&' entities in text and bullets",
        ),
        Rec(
            5012,
            "greater-harbourside",
            "Vulnerability revisited – Greater Harbourside Police",
            1,
            (
                P(
                    "The force should make sure that officers attending incidents involving "
                    "people with mental ill-health have access to advice from mental health "
                    "professionals at any time of day."
                ),
            ),
            (
                S("2018-05-01", "awaiting-review"),
                C("2018-05-01", "New recommendation", inline=True),
                S("2019-01-31", "being-progressed"),
                C(
                    "2019-01-31",
                    "A street triage car, crewed by an officer and a mental health nurse, now "
                    "operates from 8am to midnight.\n\nOutside those hours officers can phone "
                    "the crisis team, but call records show that the line is often engaged."
                    "\n\n> “We are working with the health trust to fund a second triage car "
                    "and a dedicated police line to the crisis team.” – T/Supt Owen Castellan"
                    "\n\nWe will review progress in six months.",
                ),
                C(
                    "2019-08-14",
                    "Second triage car funded from September 2019. Dedicated line in place.",
                ),
                S("2019-08-14", "complete"),
                C("2019-08-14", "Authorised for closure."),
            ),
            themes=(ch,),
            note="long multi-paragraph comment with a quoted update; two comments on one day",
        ),
        Rec(
            5230,
            "ashdown",
            "Crime recording in Ashdown – an unannounced audit",
            4,
            (
                P("Ashdown Police should:"),
                UL(
                    (
                        "appoint a force crime registrar with no other operational "
                        "responsibilities;",
                        "give the registrar direct access to the deputy chief constable; and",
                        "provide the registrar with enough staff to audit crime recording each "
                        "month.",
                    )
                ),
            ),
            themes=("audit",),
            note="layout 4: text only with <ul> bullets",
        ),
        Rec(
            6120,
            "westmarch-fire-and-rescue",
            "Fire and rescue inspection 2021 – Westmarch Fire and Rescue Service",
            1,
            (
                P(
                    "By March 2022, the service should have a workforce plan that takes full "
                    "account of the skills and capabilities it needs to carry out its "
                    "integrated risk management plan."
                ),
            ),
            (
                S("2021-12-23", "awaiting-review"),
                C(
                    "2022-06-22",
                    "Draft workforce plan reviewed by the service liaison lead. Gaps remain in "
                    "the plan for fire control staff.",
                ),
            ),
            themes=("plan",),
            note="fire and rescue service; 22nd/23rd dates",
        ),
    ]


_NEW_REC = Rec(
    8787,
    "westmarch-fire-and-rescue",
    "Fire and rescue inspection 2023 – Westmarch Fire and Rescue Service",
    1,
    (
        P(
            "The service should make sure that staff understand how to identify and report "
            "safeguarding concerns, including concerns about colleagues."
        ),
    ),
    (S("2023-09-04", "awaiting-review"), C("2023-09-04", "New recommendation", inline=True)),
    themes=("harm",),
    change="new",
    note="absent initially (?p=8787 answers 'Nothing found'); later: live, listed, in sitemap",
)


def _later(rec: Rec, **changes: object) -> Rec:
    return dataclasses.replace(rec, modified=LATER_MODIFIED, **changes)


def _replace_entry(rec: Rec, index: int, **changes: object) -> tuple:
    log = list(rec.log)
    log[index] = dataclasses.replace(log[index], **changes)
    return tuple(log)


# How each rec that changes looks in the later state (keyed by rec id).
LATER_EDITS: dict[int, Callable[[Rec], Rec]] = {
    517: lambda r: _later(
        r,
        log=r.log
        + (
            S("2020-06-11", "being-progressed"),
            C(
                "2020-06-11",
                "The new platform went live on 2 June 2020. Answer times are now published on "
                "the force website each month.\n\nWe will review the identification of "
                "vulnerable callers at our next visit.",
            ),
        ),
        change="appended",
        note=r.note + "; later: being-progressed + comment appended",
    ),
    4420: lambda r: _later(
        r,
        log=r.log
        + (
            C(
                "2021-05-11",
                "All four auditors are now qualified and the programme is on track for 2021/22.",
            ),
            S("2021-05-11", "complete"),
        ),
    ),
    4561: lambda r: _later(
        r,
        log=r.log
        + (
            S("2020-11-02", "being-progressed"),
            C(
                "2020-11-02",
                "Answer times published since October 2020; the non-emergency figures do not "
                "yet include online contact.",
            ),
        ),
    ),
    3460: lambda r: _later(
        r,
        log=_replace_entry(r, 2, body=r.log[2].body.replace("In 61 of them", "In 58 of them")),
    ),
    3521: lambda r: _later(r, log=r.log[:1] + r.log[2:]),
    4689: lambda r: _later(r, log=_replace_entry(r, 2, iso="2018-11-29")),
    3644: lambda r: _later(
        r,
        log=r.log
        + (
            S("2021-04-06", "being-progressed"),
            C(
                "2021-04-06",
                "Reopened: the revised financial plan for 2021/22 removes funding for 30 of "
                "the posts. The force must show how the changes will now be funded.",
            ),
        ),
    ),
    3702: lambda r: _later(
        r,
        text=(
            P(
                "By September 2019, the force should introduce a single point of contact for "
                "callers who are deaf or hard of hearing, including a text relay service and a "
                "video relay service."
            ),
        ),
    ),
    3815: lambda r: _later(r, cosmetic=1),
    3949: lambda r: _later(r, mode=NOT_FOUND, themes=(), in_sitemap=False),
    4104: lambda r: _later(r, mode=GONE, themes=(), in_sitemap=False),
    4233: lambda r: _later(r, mode=SOFT_404),
    4378: lambda r: _later(r, mode=LIVE, themes=("call-handling",)),
}


def build_states() -> dict[str, dict[str, Rec]]:
    """{state: {path: Rec}} for the hand-written recs."""
    initial = _initial_recs()
    later = [LATER_EDITS[r.rec_id](r) if r.rec_id in LATER_EDITS else r for r in initial]
    later.append(_NEW_REC)
    # The change label belongs to the rec in both states.
    labels = {r.rec_id: r.change for r in later}
    initial = [dataclasses.replace(r, change=labels[r.rec_id]) for r in initial]
    return {
        "initial": {r.path: r for r in initial},
        "later": {r.path: r for r in later},
    }


# --- Synthetic recommendations (benchmarks) -------------------------------------------------

_PROGRAMMES = (
    "PEEL: Police effectiveness",
    "Crime data integrity",
    "Custody inspection",
    "Vetting and counter-corruption",
    "Fire and rescue inspection",
    "Joint inspection of youth offending",
)
_ACTIONS = (
    "review how it assesses risk",
    "publish its performance data",
    "train its supervisors",
    "audit its records",
    "improve its response to repeat victims",
    "agree a plan with its partners",
    "make sure that victims are kept informed",
)
_SCOPES = (
    "in domestic abuse cases",
    "for missing children",
    "in its control room",
    "across neighbourhood teams",
    "in custody",
    "for online fraud",
)
_DEADLINES = ("within three months", "within six months", "by the end of the year", "at once")
_UPDATES = (
    "The force has provided an action plan.",
    "Evidence requested from the force.",
    "A dip sample of cases showed good progress.",
    "Training has been delivered to all supervisors.",
    "The audit results are awaited.",
)
_PROGRESSION = ("awaiting-review", "being-progressed", "being-progressed", "complete")


class _Draws:
    """Deterministic choices from one 256-bit hash: cheap enough for 100,000 pages."""

    def __init__(self, key: str) -> None:
        digest = hashlib.blake2b(key.encode(), digest_size=32).digest()
        self.bits = int.from_bytes(digest, "big")

    def below(self, n: int) -> int:
        self.bits, value = divmod(self.bits, n)
        return value

    def choice(self, options: tuple[str, ...]) -> str:
        return options[self.below(len(options))]


_FORCE_SLUGS = tuple(FORCES)
_DATE_STYLES = ("ord", "ord", "plain", "slash")


@functools.lru_cache(maxsize=8192)
def synthetic_rec(rec_id: int, seed: int) -> Rec:
    """One generated recommendation, a pure function of (rec_id, seed)."""
    n = rec_id - SYNTHETIC_FIRST_ID
    draw = _Draws(f"{seed}:{rec_id}")
    force = _FORCE_SLUGS[n % len(_FORCE_SLUGS)]
    year = 2016 + draw.below(8)
    title = f"{draw.choice(_PROGRAMMES)} {year} – {FORCES[force]}"
    sentence = (
        f"{draw.choice(_DEADLINES).capitalize()}, the force should {draw.choice(_ACTIONS)} "
        f"{draw.choice(_SCOPES)}."
    )
    log = []
    day = 1 + draw.below(200)
    for step in range(1 + draw.below(5)):
        day += 20 + draw.below(200)
        iso = f"{year + day // 365:04d}-{1 + (day % 365) // 31:02d}-{1 + day % 28:02d}"
        style = draw.choice(_DATE_STYLES)
        if step % 2 == 0:
            log.append(S(iso, _PROGRESSION[min(step // 2, 3)], style))
        else:
            log.append(C(iso, draw.choice(_UPDATES), style))
    return Rec(
        rec_id,
        force,
        title,
        1,
        (P(sentence),),
        tuple(log),
        themes=(SYNTHETIC_THEME,),
        synthetic=True,
        note="synthetic",
    )


# --- The site's content in one state -------------------------------------------------------

_REC_PATH = re.compile(r"^/hmicfrs/(?:private/)?recommendation/([a-z0-9-]+)/(\d+)/$")
_STATES = build_states()


class SiteData:
    """The site's content: hand-written recs in two states plus `synthetic` generated ones.

    With `changes`, that share of the synthetic recs changes in the later state (one of
    SYNTHETIC_CHANGES each, chosen by the seed), and new synthetic recs appear (a seventh
    of the changed count); `lying` is the share of changed recs whose sitemap <lastmod>
    does not move (a lying sitemap).
    """

    def __init__(
        self, synthetic: int = 0, seed: int = 1, changes: float = 0.0, lying: float = 0.0
    ) -> None:
        self.synthetic = synthetic
        self.seed = seed
        self.changes = changes
        self.lying = lying
        self.new_synthetic = round(synthetic * changes / 6) if changes else 0
        self._by_id = {
            state: {r.rec_id: r for r in recs.values()} for state, recs in _STATES.items()
        }
        self._listed: dict[str, Sequence[int]] = {}

    # synthetic recs in a state ------------------------------------------------------------

    def synthetic_count(self, state: str) -> int:
        return self.synthetic + (self.new_synthetic if state != "initial" else 0)

    def synthetic_change(self, rec_id: int) -> str:
        """What changes in the later state of a synthetic rec ("" for nothing)."""
        n = rec_id - SYNTHETIC_FIRST_ID
        if n >= self.synthetic:
            return "new"
        if not self.changes:
            return ""
        draw = _Draws(f"change:{self.seed}:{rec_id}")
        if draw.below(1_000_000) >= self.changes * 1_000_000:
            return ""
        return SYNTHETIC_CHANGES[draw.below(len(SYNTHETIC_CHANGES))]

    def sitemap_lastmod(self, state: str, rec: Rec) -> dt.datetime:
        """The <lastmod> the sitemap gives a rec: its last change, unless the sitemap lies
        about it (a `lying` share of the recs that changed keep the initial state's)."""
        if state == "initial" or not self.lying or rec.change in ("", "new", "returned"):
            return rec.last_modified
        if _Draws(f"lie:{self.seed}:{rec.rec_id}").below(1_000_000) >= self.lying * 1_000_000:
            return rec.last_modified
        before = self.rec_by_id("initial", rec.rec_id)
        return before.last_modified if before is not None else rec.last_modified

    def listed_synthetic(self, state: str) -> Sequence[int]:
        """Ids of the synthetic recs listed and in the sitemap in `state`, in id order."""
        if state == "initial" or not self.changes:
            return range(SYNTHETIC_FIRST_ID, SYNTHETIC_FIRST_ID + self.synthetic_count(state))
        if state not in self._listed:
            self._listed[state] = [
                i
                for i in range(SYNTHETIC_FIRST_ID, SYNTHETIC_FIRST_ID + self.synthetic_count(state))
                if self.synthetic_change(i) not in ("removed", "gone")
            ]
        return self._listed[state]

    # lookups -----------------------------------------------------------------------------

    def hand_recs(self, state: str) -> list[Rec]:
        return sorted(_STATES[state].values(), key=lambda r: r.rec_id)

    def is_synthetic_id(self, rec_id: int, state: str = "initial") -> bool:
        return SYNTHETIC_FIRST_ID <= rec_id < SYNTHETIC_FIRST_ID + self.synthetic_count(state)

    def rec_by_id(self, state: str, rec_id: int) -> Rec | None:
        if self.is_synthetic_id(rec_id, state):
            return self._synth(state, rec_id)
        return self._by_id[state].get(rec_id)

    def _synth(self, state: str, rec_id: int) -> Rec:
        if state == "initial" or not self.changes:
            return synthetic_rec(rec_id, self.seed)
        return _synthetic_in(rec_id, self.seed, state, self.synthetic_change(rec_id))

    def rec_by_path(self, state: str, path: str) -> Rec | None:
        rec = _STATES[state].get(path)
        if rec is not None:
            return rec
        m = _REC_PATH.match(path)
        if m and self.is_synthetic_id(int(m.group(2)), state):
            rec = self._synth(state, int(m.group(2)))
            return rec if rec.path == path else None
        return None

    # listings ----------------------------------------------------------------------------

    def themes(self) -> tuple[str, ...]:
        return THEMES + ((SYNTHETIC_THEME,) if self.synthetic else ())

    def page_size(self, theme: str) -> int:
        return SYNTHETIC_PAGE_SIZE if theme == SYNTHETIC_THEME else LISTING_PAGE_SIZE

    def listing_count(self, state: str, theme: str) -> int:
        if theme == SYNTHETIC_THEME:
            return len(self.listed_synthetic(state))
        return sum(1 for r in _STATES[state].values() if theme in r.themes)

    def listing_pages(self, state: str, theme: str) -> int:
        size = self.page_size(theme)
        return max(1, -(-self.listing_count(state, theme) // size))

    def listing_page(self, state: str, theme: str, page: int) -> list[Rec]:
        """The recs on one listing page: newest (highest id) first, synthetic in id order."""
        size = self.page_size(theme)
        start = (page - 1) * size
        if theme == SYNTHETIC_THEME:
            ids = self.listed_synthetic(state)[start : start + size]
            return [self._synth(state, i) for i in ids]
        recs = sorted(
            (r for r in _STATES[state].values() if theme in r.themes),
            key=lambda r: -r.rec_id,
        )
        return recs[start : start + size]

    def plural_pages(self, state: str) -> int:
        hand = sum(1 for r in _STATES[state].values() if r.themes)
        total = hand + len(self.listed_synthetic(state))
        return max(1, -(-total // PLURAL_PAGE_SIZE))

    def plural_page(self, state: str, page: int) -> list[Rec]:
        """The recs on one page of the plural index: every listed rec, newest first."""
        start = (page - 1) * PLURAL_PAGE_SIZE
        ids = self.listed_synthetic(state)
        synth = len(ids)
        out = [
            self._synth(state, ids[synth - 1 - i])
            for i in range(start, min(synth, start + PLURAL_PAGE_SIZE))
        ]
        if len(out) < PLURAL_PAGE_SIZE:
            hand = sorted((r for r in _STATES[state].values() if r.themes), key=lambda r: -r.rec_id)
            first = max(0, start - synth)
            out += hand[first : first + PLURAL_PAGE_SIZE - len(out)]
        return out

    # sitemaps ----------------------------------------------------------------------------

    def _sitemap_hand(self, state: str) -> list[Rec]:
        return [r for r in self.hand_recs(state) if r.in_sitemap]

    def sitemap_files(self, state: str) -> int:
        total = len(self._sitemap_hand(state)) + len(self.listed_synthetic(state))
        return max(1, -(-total // SITEMAP_MAX_URLS))

    def sitemap_recs(self, state: str, number: int) -> Iterator[Rec]:
        """The recs listed in wp-sitemap-recommendation-<number>.xml."""
        hand = self._sitemap_hand(state)
        start = (number - 1) * SITEMAP_MAX_URLS
        stop = start + SITEMAP_MAX_URLS
        for i in range(start, min(stop, len(hand))):
            yield hand[i]
        ids = self.listed_synthetic(state)
        first_synth = max(start, len(hand)) - len(hand)
        last_synth = min(stop - len(hand), len(ids))
        for i in range(first_synth, last_synth):
            yield self._synth(state, ids[i])

    # the expected catalogue --------------------------------------------------------------

    def iter_recs(self, state: str) -> Iterator[Rec]:
        yield from self.hand_recs(state)
        for i in range(self.synthetic_count(state)):
            yield self._synth(state, SYNTHETIC_FIRST_ID + i)

    def catalogue(self, state: str, base_url: str) -> list[RecSpec]:
        """One RecSpec per rec URL the site knows in `state`."""
        return [spec_of(r, base_url) for r in self.iter_recs(state)]


@functools.lru_cache(maxsize=8192)
def _synthetic_in(rec_id: int, seed: int, state: str, change: str) -> Rec:
    """A synthetic rec as it is in `state`, changed as `change` says in the later one."""
    rec = synthetic_rec(rec_id, seed)
    if state == "initial" or not change:
        return rec
    if change == "new":
        return dataclasses.replace(rec, change="new")
    later = dataclasses.replace(rec, change=change, modified=LATER_MODIFIED)
    if change == "appended":
        return dataclasses.replace(
            later, log=rec.log + (C("2025-03-01", "A further update has been received."),)
        )
    if change == "edited":
        comments = [i for i, e in enumerate(rec.log) if e.kind == "comment"]
        if not comments:
            return dataclasses.replace(later, text=(P("The force should review this again."),))
        return dataclasses.replace(
            later, log=_replace_entry(rec, comments[0], body="The update was corrected.")
        )
    if change == "deleted":
        return dataclasses.replace(later, log=rec.log[:-1])
    if change == "removed":
        return dataclasses.replace(later, mode=NOT_FOUND, themes=(), in_sitemap=False)
    if change == "gone":
        return dataclasses.replace(later, mode=GONE, themes=(), in_sitemap=False)
    return dataclasses.replace(later, mode=MOVED)


def catalogue(
    state: str = "initial", base_url: str = "", synthetic: int = 0, seed: int = 1
) -> list[RecSpec]:
    """The expected catalogue without a running server (urls relative when base_url is '')."""
    return SiteData(synthetic, seed).catalogue(state, base_url)


# Re-exported for pages.py
__all__ = [
    "BANNER_200",
    "BANNER_404",
    "CHANGES",
    "FORCES",
    "SiteData",
    "catalogue",
    "synthetic_rec",
]
