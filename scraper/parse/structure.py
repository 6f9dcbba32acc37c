"""Page structure: the blocks of a recommendation's text -> its parts.

This module owns the 404 banner and not-found prose, the type headings (Cause(s) of concern,
Recommendation N, Area for improvement) in all their forms, the cause of concern, the text, a
prose progress update and its closing line (mapped to the site's status slugs), bullets, and
the report title from the page's headings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from scraper.parse.content import _in_site_chrome

_BANNER_RE = re.compile(
    r"^(?:error\s*)?404(?:\s*[-:–—|.]?\s*(?:error|page|not\s+found|file)\b.{0,50})?$"
    r"|^(?:oops!?\s*)?(?:(?:that|this)\s+)?page\s+(?:was\s+)?(?:not\s+found|can(?:'|’|no)?t\s+be\s+found"
    r"|could\s+not\s+be\s+found|does\s*n[o']?t\s+exist)\W{0,3}$"
    r"|^(?:error\s*:?\s*)?not\s+found\W{0,3}$",
    re.I,
)
_NOT_FOUND_PROSE_RE = re.compile(
    r"^(?:sorry|oops|it\s+(?:looks|seems)|we\s+(?:could|can)|the\s+page|this\s+page|nothing"
    r"|unfortunately|apologies)\b.{0,240}?(?:not\s+(?:be\s+)?found|n[o']t\s+be\s+found"
    r"|(?:can(?:'|’|no)?t|could\s*n[o'’]?t|unable\s+to)\s+find"
    r"|does\s*n[o']?t\s+exist|no\s+longer\s+(?:exists|available)|nothing\s+(?:was\s+)?found"
    r"|(?:page|content|link)\b.{0,60}?(?:been\s+)?(?:moved|removed|deleted))\b.{0,200}$"
    r"|^(?:this|the)\s+(?:page|post|content|recommendation)\s+(?:has\s+been|was|is\s+now)\s+"
    r"(?:moved|removed|deleted|withdrawn|archived)\b.{0,200}$"
    r"|^nothing\s+(?:was\s+)?found\W{0,3}$"
    r"|^(?:(?:error\s*)?410\s*[-:–—|]?\s*)?(?:gone|page\s+removed|content\s+removed)\W{0,3}$"
    r"|^(?:maybe\s+|perhaps\s+|please\s+)?try\s+(?:a\s+)?search(?:ing)?\b.{0,80}$"
    r"|^search(?:\s+for)?\s*:?$",
    re.I | re.S,
)
# A banner run into the text that follows it (no element of its own).
_BANNER_PREFIX_RE = re.compile(
    r"^(?:error\s*)?404\s*[-:–—|]?\s*(?:page\s+)?not\s+found[.!]?\s+(?=\S)", re.I
)
_META_LINE_RE = re.compile(
    r"^(?:published|posted|first\s+published|last\s+(?:updated|modified|reviewed)|updated|date)"
    r"(?:\s+on)?\s*:?\s.{0,60}$"
    r"|^(?:(?:police\s+)?forces?|(?:fire\s+(?:and|&)\s+rescue\s+)?services?|organisations?"
    r"|addressees?|recipients?|themes?|categor(?:y|ies)|tags?|filed\s+under|ref(?:erence)?"
    r"|(?:recommendation\s+)?(?:id|number|no\.?|type))\s*:\s*.{1,200}$",
    re.I,
)
# A status summary beside the log ("Status: Complete") repeats the log's latest entry.
_STATUS_LINE_RE = re.compile(
    r"^(?:(?:current|overall|latest|recommendation)\s+)?status\s*:\s*\S.{0,60}$", re.I
)
_REPORT_LINE_RE = re.compile(
    r"^(?:(?:from\s+(?:the\s+)?|source\s+)?(?:report|inspection|publication)(?:\s+title)?"
    r"|published\s+in|source)\s*:\s*(.{3,400})$",
    re.I,
)
_LABEL_RE = re.compile(
    r"^(?:(?P<coc>causes?\s+(?:of|for)\s+concern)"
    r"|(?P<afi>areas?\s+for\s+improvement|afi)"
    r"|(?P<rec>recommendations?))"
    r"(?:\s+(?:no\.?\s*)?(?P<num>\d{1,5}))?\s*[:.\-–—]?$",
    re.I,
)
_INLINE_LABEL_RE = re.compile(
    r"^(?P<label>(?:(?P<afi>areas?\s+for\s+improvement|afi)|(?P<rec>recommendation))"
    r"(?:\s+(?:no\.?\s*)?(?P<num>\d{1,3}))?)\s*[:\-–—]\s+(?P<rest>\S.*)$",
    re.I | re.S,
)
_INLINE_COC_RE = re.compile(
    r"^causes?\s+of\s+concern(?:\s+\d{1,3})?\s*[:\-–—]\s+(?P<rest>\S.*)$", re.I | re.S
)
# A heading run into its text with no separator: "Cause of concern The size of ...",
# "Recommendation • The force should ...". Only a capital or a bullet after it says so.
_RUN_IN_HEADING_RE = re.compile(
    r"^(?P<label>(?i:(?:causes?\s+(?:of|for)\s+concern|areas?\s+for\s+improvement"
    r"|recommendations?)(?:\s+(?:no\.?\s*)?\d{1,5})?))\s+(?P<rest>[A-Z•◦●○▪‣][^\n]*)$"
)
# Bullets typed as dashes after a lead-in: "... should:-item one;-item two; and-item three."
_DASH_BULLETS_RE = re.compile(r"(?::|;(?:\s*(?:and|or))?)\s*-(?=\S)(?!-)")
_UPDATE_HEADING_RE = re.compile(
    r"^(?:(?:hmicfrs|hmic|force|latest|current)\s+)?(?:progress(?:\s+update)?|update|position"
    r"|assessment|progress\s+report)(?:\s+\w+){0,3}\s*:?$",
    re.I,
)
# A heading over the log ("Status log", "Progress updates") belongs to the log, not the text.
_LOG_HEADING_RE = re.compile(
    r"^(?:(?:recommendation|current)\s+)?(?:status|progress)(?:\s+(?:log|history|updates?))?\s*:?$"
    r"|^(?:log|history|updates?|timeline|activity(?:\s+log)?)\s*:?$",
    re.I,
)
_CLOSING_RE = re.compile(
    r"^(?:(?:this|the)\s+(?:recommendation|cause\s+of\s+concern|area\s+for\s+improvement|afi)"
    r"\s+(?:is|has|had|was|remains|will|needs|requires|now|can|should|does|may|could)\b.{0,200}"
    r"|(?:current\s+|overall\s+)?status\s*[:\-–]\s*.{1,120}"
    # "Agreed this action is complete and the recommendation can be closed."
    r"|(?:agreed|accepted|confirmed|approved)\b[,:]?\s+.{0,120}?\b(?:this|the)\s+"
    r"(?:recommendation|action|cause\s+of\s+concern|area\s+for\s+improvement)\b.{0,200}"
    r"|.{0,120}?\b(?:this|the)\s+(?:recommendation|cause\s+of\s+concern|area\s+for\s+improvement)"
    r"\s+(?:may|can|could|should|will)\s+(?:now\s+)?be\s+(?:considered\s+for\s+|marked\s+as\s+)?"
    r"(?:clos(?:ed|ure)|complete[d]?|discharged)\b.{0,120})$",
    re.I | re.S,
)
_CLOSING_MAP = (
    (re.compile(r"no\s+further\s+action", re.I), "no-further-action-needed"),
    (re.compile(r"awaiting\s+review|awaiting", re.I), "awaiting-review"),
    (
        re.compile(
            r"\bnot\s+(?:yet\s+)?(?:been\s+)?(?:complete|completed|met|closed|achieved)|incomplete"
            r"|not\s+(?:yet\s+)?(?:ready|suitable)\s+for\s+closure"
            r"|being\s+progressed|in\s+progress|progressing|ongoing|partially|outstanding|open\b",
            re.I,
        ),
        "being-progressed",
    ),
    (
        re.compile(
            r"\b(?:complete|completed|met|closed|closure|discharged|achieved|fulfilled|resolved)\b",
            re.I,
        ),
        "complete",
    ),
)
_TITLE_ID_RE = re.compile(r"^(?P<title>\S.{0,400}?)\s*\(\s*(?P<id>\d{1,9})\s*\)\W{0,2}$", re.S)
_BULLETS = "•◦●○▪‣"
_BULLET_CHAR_RE = re.compile("[•◦●○▪‣]")
_BULLET_SPLIT_RE = re.compile("([•◦●○▪‣])")


# Under a 404 banner, text alone passes for a recommendation only if it reads like one.
_RECOMMENDING_RE = re.compile(r"\b(?:should|must|recommend\w*|needs?\s+to|ought)\b", re.I)


_MIN_WORDS_UNDER_BANNER = 12


def _norm(text: str) -> str:
    return " ".join(text.split())


def _node_text(node: LexborNode) -> str:
    """Whitespace-normalised text of a small element (a heading, a link)."""
    return " ".join(node.text(deep=True, separator="", strip=False).split())


def _is_not_found_line(line: str) -> bool:
    return len(line) <= 400 and bool(_BANNER_RE.match(line) or _NOT_FOUND_PROSE_RE.match(line))


def _split_bullets(line: str) -> list[str]:
    """One line per bullet: "a • b ◦ c" -> ["a", "• b", "◦ c"]."""
    if line.isascii():  # O(1), and every bullet character is beyond ASCII
        return [line]
    parts = _BULLET_SPLIT_RE.split(line)
    if len(parts) == 1:
        return [line]
    out = [parts[0].strip()] if parts[0].strip() else []
    for i in range(1, len(parts), 2):
        item = parts[i + 1].strip() if i + 1 < len(parts) else ""
        if item:
            out.append(f"{parts[i]} {item}")
    return out


def _is_bullet(line: str) -> bool:
    return bool(line) and line[0] in _BULLETS


def drop_log_heading(blocks: list[str]) -> list[str]:
    """The blocks before a log less the log's own heading: the last block when it is a short
    line of a few words that ends no sentence ("Status history", "Progress"), below text that
    ends one (or a list)."""
    if len(blocks) < 2:
        return blocks
    last = blocks[-1]
    if len(last) <= 40 and _LOG_HEADING_RE.match(last):
        return blocks[:-1]
    if (
        "\n" in last
        or len(last) > 40
        or len(last.split()) > 4
        or last[-1:] in ".!?:;,)"
        or _has_bullet(last)
        or _LABEL_RE.match(last)
        or not (blocks[-2].rstrip()[-1:] in ".!?;)" or _has_bullet(blocks[-2]))
    ):
        return blocks
    return blocks[:-1]


def _has_bullet(block: str) -> bool:
    """True when a block is, or holds, bullet items (including bullets run into one line)."""
    return not block.isascii() and _BULLET_CHAR_RE.search(block) is not None


def _join_blocks(blocks: list[str]) -> str | None:
    """Blocks -> text: bullets one per line, paragraphs separated by a blank line."""
    out: list[str] = []
    prev_bullet = False
    for block in blocks:
        for i, line in enumerate(
            ln for raw in block.split("\n") for ln in _split_bullets(raw.strip())
        ):
            bullet = _is_bullet(line)
            if out:
                out.append("\n" if (i > 0 or (bullet and prev_bullet)) else "\n\n")
            out.append(line)
            prev_bullet = bullet
    return "".join(out) or None


def _is_status_line(block: str) -> bool:
    return "\n" not in block and _STATUS_LINE_RE.match(block) is not None


def _map_closing(line: str) -> str | None:
    for pattern, slug in _CLOSING_MAP:
        if pattern.search(line):
            return slug
    return None


@dataclass
class _Structure:
    rec_type: str | None = None
    rec_label: str | None = None
    cause: str | None = None
    text: str | None = None
    progress: str | None = None
    closing: str | None = None
    has_labels: bool = False


# What a _LABEL_RE or _RUN_IN_HEADING_RE match starts with (causes, areas, afi, recommendation):
# a cheap look before the regex.
_LABEL_INITIALS = frozenset("CcAaRr")


def _dash_bullets(block: str) -> str:
    """ "lead:-a;-b; and-c" -> the lead, then one "• " line per item, punctuation kept."""
    if ":-" not in block or len(_DASH_BULLETS_RE.findall(block)) < 2:
        return block
    parts = _DASH_BULLETS_RE.split(block)
    seps = _DASH_BULLETS_RE.findall(block)
    out = parts[0]
    for sep, item in zip(seps, parts[1:], strict=True):
        out += sep.rstrip().rstrip("-").rstrip() + "\n• " + item.strip()
    return out


def _split_label_lines(blocks: list[str]) -> list[str]:
    """Give label lines ("Recommendation 5") a block of their own when <br> joined them to text,
    or when the heading runs into its text on one line ("Cause of concern The ...")."""
    out: list[str] = []
    for block in blocks:
        if "\n" not in block:
            run_in = _RUN_IN_HEADING_RE.match(block) if block[:1] in _LABEL_INITIALS else None
            if run_in is None:
                out.append(block)
            else:
                out.extend((run_in.group("label"), run_in.group("rest")))
            continue
        current: list[str] = []
        for line in block.split("\n"):
            if line.lstrip()[:1] in _LABEL_INITIALS and _LABEL_RE.match(line.strip()):
                if current:
                    out.append("\n".join(current))
                out.append(line.strip())
                current = []
            else:
                current.append(line)
        if current:
            out.append("\n".join(current))
    return out


def _without_update_heading(update: list[str]) -> list[str]:
    """An update less its heading: a first block that only names the section ("Progress",
    "Status updates") over the update's own paragraphs."""
    if (
        len(update) > 1
        and len(update[0]) <= 40
        and (_UPDATE_HEADING_RE.match(update[0]) or _LOG_HEADING_RE.match(update[0]))
    ):
        return update[1:]
    return update


def _read_structure(blocks: list[str], has_log: bool, warnings: list[str]) -> _Structure:
    """Split the blocks before the log into cause of concern, text, progress update, closing."""
    s = _Structure()
    if any(":-" in b for b in blocks):
        blocks = [_dash_bullets(b) for b in blocks]
    blocks = _split_label_lines(blocks)
    labels = [
        (i, m)
        for i, b in enumerate(blocks)
        if b[:1] in _LABEL_INITIALS and (m := _LABEL_RE.match(b)) is not None
    ]
    coc_at = next((i for i, m in labels if m.group("coc")), None)
    # A "Recommendation ..." heading above the cause of concern is the page's own title.
    rec = next(
        ((i, m) for i, m in labels if not m.group("coc") and (coc_at is None or i > coc_at)), None
    )
    rec_at = rec[0] if rec is not None else None
    rec_numbered = False
    if rec is not None:
        rec_numbered = rec[1].group("num") is not None
        s.rec_label = _norm(blocks[rec[0]]).rstrip(":.-–— ")
        s.rec_type = "area_for_improvement" if rec[1].group("afi") else "recommendation"
    s.has_labels = coc_at is not None or rec_at is not None

    closing_at = None
    if not has_log:
        for i in range(len(blocks) - 1, max(-1, len(blocks) - 3), -1):
            after_headings = (rec_at is None or i > rec_at) and (coc_at is None or i > coc_at + 1)
            if after_headings and len(blocks[i]) <= 300 and _CLOSING_RE.match(blocks[i]):
                # Without a cause-of-concern heading only a line that names a status counts.
                if coc_at is not None or _map_closing(blocks[i]) is not None:
                    closing_at = i
                break
    if closing_at is not None:
        s.closing = _norm(blocks[closing_at])
        del blocks[closing_at]

    if coc_at is not None and rec_at is not None:
        # Layout 3: "Causes of concern" preamble, then "Recommendation N" and its text.
        s.cause = _join_blocks(blocks[coc_at + 1 : rec_at])
        body = blocks[rec_at + 1 :]
        # A "Causes of concern" preamble or a numbered heading makes this one recommendation
        # among several; a single "Cause of concern" with a bare heading is the concern itself.
        preamble = blocks[coc_at].lower().startswith("causes")
        if not rec_numbered and not preamble and s.rec_type == "recommendation":
            s.rec_type = "cause_of_concern"
        if any(not _LABEL_RE.match(b) for b in blocks[:coc_at]):
            warnings.append("text: dropped text before cause of concern")
    elif coc_at is not None:
        # Layout 2: "Cause of concern", the concern, the recommendation bullets, an update.
        s.rec_type = "cause_of_concern"
        rest = blocks[coc_at + 1 :]
        first_bullet = next((i for i, b in enumerate(rest) if _has_bullet(b)), None)
        if first_bullet is None:
            cause_end = 1
        else:
            cause_end = first_bullet
            if cause_end > 1 and rest[cause_end - 1].rstrip().endswith(":"):
                cause_end -= 1  # the lead-in to the bullets belongs to the recommendation
        s.cause = _join_blocks(rest[:cause_end])
        body = rest[cause_end:]
        if any(not _LABEL_RE.match(b) for b in blocks[:coc_at]):
            warnings.append("text: dropped text before cause of concern")
    elif rec_at is not None:
        body = blocks[rec_at + 1 :]
        if rec_at > 0:
            warnings.append("text: dropped text before heading")
    else:
        body = blocks
        coc = _INLINE_COC_RE.match(body[0]) if body else None
        if coc is not None:
            s.rec_type = "cause_of_concern"
            s.has_labels = True
            s.cause = _join_blocks([coc.group("rest")])
            body = body[1:]
    # "Recommendation 4: The force should ..." under (or instead of) a heading: the label is
    # not part of the text, and a numbered label says more than a bare heading.
    m = _INLINE_LABEL_RE.match(body[0]) if body else None
    if m is not None and (s.rec_label is None or m.group("num") is not None):
        s.rec_type = "area_for_improvement" if m.group("afi") else "recommendation"
        s.rec_label = _norm(m.group("label"))
        s.has_labels = True
        body = [m.group("rest"), *body[1:]]

    if coc_at is not None and rec_at is None:
        # The recommendation runs to the last bullet (or is one paragraph); the rest is an update.
        update_at = next((i for i, b in enumerate(body) if _UPDATE_HEADING_RE.match(b)), None)
        if update_at is not None:
            text_blocks, update = body[:update_at], body[update_at + 1 :]
        else:
            bullets = [i for i, b in enumerate(body) if _has_bullet(b)]
            if bullets:
                end = bullets[-1] + 1
                # More paragraphs that each recommend ("Within three months, the force
                # should ...") belong to the text too.
                while end < len(body) and _RECOMMENDING_RE.search(body[end][:120]) is not None:
                    end += 1
            else:
                # Several paragraphs that each recommend ("Within three months, the force
                # should ..."): the text runs through the last of them.
                end = min(1, len(body))
                while end < len(body) and _RECOMMENDING_RE.search(body[end]) is not None:
                    end += 1
            text_blocks, update = body[:end], _without_update_heading(body[end:])
        s.text = _join_blocks(text_blocks)
        s.progress = _join_blocks(update)
    elif s.closing is not None and len(body) > 1:
        # A prose page: the recommendation, then the update that led to its closing line.
        end = 1
        while end < len(body) and (
            _RECOMMENDING_RE.search(body[end]) is not None or _has_bullet(body[end])
        ):
            end += 1
        s.text = _join_blocks(body[:end])
        s.progress = _join_blocks(_without_update_heading(body[end:]))
    else:
        s.text = _join_blocks(body)
    return s


def _title_from_headings(
    headings: list[LexborNode], rec_id: int | None, outside: bool
) -> tuple[str | None, str | None]:
    candidates: list[tuple[str, str]] = []
    for node in headings:
        shown = _node_text(node)
        if not shown or _is_not_found_line(shown) or _LABEL_RE.match(shown):
            continue
        m = _TITLE_ID_RE.match(shown)
        # The page's own title ("<report> (<its id>)") is the title wherever it stands, a bare
        # <header> included; any other heading counts outside the content only beyond chrome.
        if m is not None and rec_id is not None and int(m.group("id")) == rec_id:
            return m.group("title").strip(), shown
        if outside and _in_site_chrome(node):
            continue
        if m is not None and rec_id is None:
            return m.group("title").strip(), shown
        if node.tag == "h1" or "entry-title" in (node.attributes.get("class") or ""):
            candidates.append((shown, shown))
    return candidates[0] if candidates else (None, None)


# An open tag with "entry-title" in its class (in any case: a page in quirks mode matches
# classes so), in lexbor's serialization, which escapes '"', "<" and ">" in attribute values.
_ENTRY_TITLE_TAG_RE = re.compile(
    r'<([a-z][a-z0-9-]*)(?=[\s/>])[^<>]*?\sclass="[^"<>]*?(?i:entry-title)'
)
_H1_H2 = ("h1", "h2")


def _headings(content: LexborNode, markup: str | None) -> list[LexborNode]:
    """content.css("h1, h2, .entry-title"). The first CSS query on a tree costs more than
    the rest of the title's reading (lexbor sets up its selector engine), so where the
    content's markup (`markup`, when it is current) shows no element but an h1 or h2 that the
    class could match, its h1s and h2s are taken in a walk of the tree, in the same order."""
    if markup is not None and all(t in _H1_H2 for t in _ENTRY_TITLE_TAG_RE.findall(markup)):
        return [n for n in content.traverse() if n.tag in _H1_H2]
    return content.css("h1, h2, .entry-title")


def _title_from_tree(
    content: LexborNode | None,
    tree: LexborHTMLParser,
    rec_id: int | None,
    markup: str | None = None,
) -> tuple[str | None, str | None]:
    """(report title, the heading's full text as shown): a "<title> (<id>)" heading or the
    page's h1, looked for in the content area first, then in the rest of the page. `markup`
    is the content's HTML as it stands, where the caller has it."""
    if content is not None:
        headings = _headings(content, markup)
        found = _title_from_headings(headings, rec_id, outside=False)
        # An h1 inside the content is the page's own heading: nothing outside can do better.
        if found[0] is not None or content is tree.body or any(h.tag == "h1" for h in headings):
            return found
    return _title_from_headings(tree.css("h1, .entry-title"), rec_id, outside=True)


# Only labels that differ from the default type are worth a look: an element holding just
# "Area for improvement" or "Cause of concern" (an entry-meta badge, say).
_TYPE_LABEL_MARKUP_RE = re.compile(
    r">\s*(?:(?P<afi>areas?\s+for\s+improvement)|causes?\s+of\s+concern)(?:\s+\d{1,3})?\s*<",
    re.I,
)


def _type_from_markup(markup: str) -> str | None:
    """rec_type from a label beside the text, for pages whose text carries no heading."""
    m = _TYPE_LABEL_MARKUP_RE.search(markup)
    if m is None:
        return None
    return "area_for_improvement" if m.group("afi") else "cause_of_concern"
