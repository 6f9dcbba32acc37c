"""HTML -> text: the visible text of serialized markup, with paragraph, line and list marks.

This module owns the text conventions: blocks separated by a blank line, <br> as a newline,
list items as "• item" ("◦ item" nested), whitespace collapsed, invisible characters dropped.
It works on lexbor's serialization with regexes (far cheaper than walking the tree) and never
decides what is content: the caller hands it only the markup to read.
"""

from __future__ import annotations

import html as htmllib
import re

from scraper.parse.dates import _DATE

# Marks put into the text where the markup breaks it; none is whitespace to str.split().
_BLOCK = "\x02"
_LINE = "\x03"
_LI = "\x04"
_SUB_LI = "\x05"
_COMMENT_RE = re.compile(r"<!--.*?-->", re.S)
# Lexbor's serialization escapes ">" inside attribute values, so [^>]* ends a tag safely.
_BLOCK_TAG_RE = re.compile(
    r"</?(?:p|div|h[1-6]|ul|ol|li|dl|dt|dd|table|thead|tbody|tfoot|tr|caption|section|article"
    r"|header|footer|main|aside|nav|blockquote|pre|figure|figcaption|address|details|summary"
    r"|fieldset|legend|hgroup|hr|center|menu|dir|html|body|form)(?=[\s/>])[^>]*>"
)
_LABEL_VALUE_RE = re.compile(r"</(?:dt|th)>\s*<(?:dd|td)(?=[\s>])[^>]*>")
# A label beside its value by structure: a <dt> and its <dd>, a <th> and its <td>, the first
# of a row's two cells; reads "Label: value" unless the block turns out to be metadata.
PAIR = "\x06"
# A short label element (<strong>, <span>, <label> ...) run into its value; reads "Label value".
LABELLED = "\x07"
# A row never spans another row's start: a layout table's row holds the metadata table's rows.
_TWO_CELL_ROW_RE = re.compile(r"<tr(?=[\s>])[^>]*>(?:(?!</tr>|<tr[\s>]).){0,2000}?</tr>", re.S)
_CELL_RE = re.compile(r"<t[dh](?=[\s>])")
_FIRST_CELL_END_RE = re.compile(r"</t[dh]>\s*<td(?=[\s>])[^>]*>")
_LABEL_ELEMENT_RE = re.compile(
    r"(<(?P<tag>strong|b|span|label|em|dfn|abbr)(?:\s[^>]*)?>)(?P<label>[^<>]{1,48})"
    r"(</(?P=tag)>)(?=\s*(?:<(?:span|a|time|data|abbr)[\s>]|[^<\s\x02-\x08]))"
)
# Two boxes side by side, a short label and its value: reads as two blocks unless metadata.
SPLIT_PAIR = "\x08"
# A short label element opening its block, a line break, then its value ("<p><b>Force</b><br>
# North Yorkshire Police</p>"); reads as the two lines it shows unless metadata.
BR_PAIR = "\x01"
_LABEL_BR_RE = re.compile(
    r"(<(?:p|div|li|dd|td)(?:\s[^>]*)?>[ \t\n]*<(?P<tag>strong|b|span|label|em|dfn|abbr)"
    r"(?:\s[^>]*)?>(?P<label>[^<>]{1,48})</(?P=tag)>)[ \t\n]*<br[^>]*>"
    r"(?=[ \t\n]*(?:[^<\s]|<(?:a|span|time|data|abbr)[\s>]))"
)
# A label box that holds its label in one emphasis element (<p><strong>Force</strong></p>) is
# followed by one value box (never a run of paragraphs), then the pair's box closes.
_LABEL_BOX_RE = re.compile(
    r"(<div(?:\s[^>]*)?>\s*<(?P<tag>div|span|p|strong|b)(?:\s[^>]*)?>"
    r"(?:<(?P<em>strong|b|em|span)(?:\s[^>]*)?>)?[^<>]{1,48}(?(em)</(?P=em)>))</(?P=tag)>\s*"
    r"(?(em)(?=<(?P<vt>div|span|p|a|time|ul)(?:\s[^>]*)?>(?:(?!</?div[\s>]|</(?P=vt)>).){1,400}"
    r"</(?P=vt)>\s*</div>)"
    r"|(?=<(?:div|span|p|a|time|ul)(?:\s[^>]*)?>(?:(?!</?div[\s>]).){1,400}?</div>\s*</div>))",
    re.S,
)
# Spans side by side in a box, each opening with its own label ("<span>Force: X</span>
# <span>Reference: Y</span>"), are lines of their own: a label run into the value before it
# would read as part of that value.
_SPAN_LABEL = r"<span(?:\s[^>]*)?>(?:[ \t\n]*<[a-z]+(?:\s[^>]*)?>)*[ \t\n]*[^\W\d_][^<>:\n]{0,47}:"
_NEXT_LABELLED_SPAN_RE = re.compile(
    r"(" + _SPAN_LABEL + r"(?:(?!</?span[\s>]).){0,400}?</span>)[ \t\n]*(?=" + _SPAN_LABEL + ")",
    re.S,
)
# A table of one header row and one row of values ("Force | Reference | Report" over their
# values): each column is a label and its value, read as a <dl> would be.
_A = r"(?:\s[^>]*)?>"
_HORIZONTAL_TABLE_RE = re.compile(
    r"<table" + _A + r"\s*"
    r"(?:<caption" + _A + r"(?P<caption>(?:(?!</?caption[\s>]).)*)</caption>\s*)?"
    r"(?:<thead"
    + _A
    + r"\s*)?(?:<tbody"
    + _A
    + r"\s*)?<tr"
    + _A
    + r"(?P<head>(?:\s*<th"
    + _A
    + r"(?:(?!</?t[hdr][\s>]|<table).)*</th>){2,})\s*</tr>\s*"
    r"(?:</thead>\s*)?(?:<tbody"
    + _A
    + r"\s*)?<tr"
    + _A
    + r"(?P<row>(?:\s*<td"
    + _A
    + r"(?:(?!</?t[hdr][\s>]|<table).)*</td>){2,})\s*</tr>\s*"
    r"(?:</tbody>\s*)?</table>",
    re.S,
)
_CELL_TEXT_RE = re.compile(r"<t[hd]" + _A + r"(.*?)</t[hd]>", re.S)


def _horizontal_table(m: re.Match[str]) -> str:
    heads = _CELL_TEXT_RE.findall(m.group("head"))
    cells = _CELL_TEXT_RE.findall(m.group("row"))
    if len(heads) != len(cells):
        return m.group(0)
    caption = f"<p>{m.group('caption')}</p>" if m.group("caption") else ""
    pairs = "".join(f"<dt>{h}</dt><dd>{c}</dd>" for h, c in zip(heads, cells, strict=True))
    return f"{caption}<dl>{pairs}</dl>"


_PRE_RE = re.compile(r"<pre(?=[\s>])[^>]*>.*?</pre>", re.S)
# "<" and the start of a tag that a step of _html_to_marked_text is for ("<th" of <thead> too,
# as a look for "<th" finds it); no alternative starts another, so none hides one.
_GUARD_TAG_RE = re.compile(r"<(pre|ul|ol|li|th|table|tr|dt|/span>|br|div)")
_LI_OPEN_RE = re.compile(r"<li(?=[\s/>])[^>]*>")
_BR_TAG_RE = re.compile(r"<(?:br|/?td|/?th|/?option)(?=[\s/>])[^>]*>")
_ANY_TAG_RE = re.compile(r"<[^>]*>")
_LIST_TAG_RE = re.compile(r"<(/?)(ul|ol|menu|dir|li)(?=[\s/>])[^>]*>")
# Our marks (never page text) and invisible characters, dropped before the text is read.
_ODD_CHARS = "\x00\x01\x02\x03\x04\x05\x06\x07\x08\u200b\u200c\u200d\u2060\ufeff"
_ODD_CHARS_RE = re.compile("[\x00-\x08\u200b\u200c\u200d\u2060\ufeff]")
# Control characters (C0 and C1 but tab and newline) are no page text either: no parsed field
# carries one (page.py takes them out where any reached a field).
CONTROL_RE = re.compile("[\x00-\x08\x0b-\x0d\x0e-\x1f\x7f-\x9f]")


_DOUBLE_BR_RE = re.compile("\x03\x03+")
_BR_BEFORE_BLOCK_RE = re.compile("\x03+(?=\x02)")
_BR_AFTER_BLOCK_RE = re.compile("\x02[\x02\x03]+")
_MARK_GAP_RE = re.compile("([\x04\x05])\\s+")
_MARK_BEFORE_BULLET_RE = re.compile("[\x04\x05](?=[•◦●○▪‣])")
_PAIR_GAP_RE = re.compile("[\x02\x03 ]*([\x01\x06\x07\x08])[\x02\x03 ]*")
_ESCAPED_ENTITY_RE = re.compile(r"&(?:#\d{2,7}|#x[0-9a-fA-F]{2,6}|[a-zA-Z]{2,8});")


def _nested_list_marks(markup: str) -> str:
    """Mark list items by depth: "◦" for items of a list inside a list item."""
    depth = 0

    def mark(m: re.Match[str]) -> str:
        nonlocal depth
        if m.group(2).lower() == "li":
            return "" if m.group(1) else _BLOCK + (_SUB_LI if depth > 1 else _LI)
        depth += -1 if m.group(1) else 1
        return _BLOCK

    return _LIST_TAG_RE.sub(mark, markup)


def _mark_two_cell_row(m: re.Match[str]) -> str:
    row = m.group(0)
    if len(_CELL_RE.findall(row)) != 2:
        return row
    return _FIRST_CELL_END_RE.sub(PAIR, row, count=1)


def _mark_label_element(m: re.Match[str]) -> str:
    label = m.group("label").strip()
    if not label or label[-1] in ".,;!?" or len(label.split()) > 6:
        return m.group(0)
    if ":" in label[:-1]:
        return m.group(0)  # a box that holds a label and its value ("Force: X") is no label
    return m.group(1) + m.group("label") + m.group(4) + LABELLED


def _mark_label_br(m: re.Match[str]) -> str:
    label = m.group("label").strip()
    if not label or label[-1] in ".,;!?" or len(label.split()) > 6 or ":" in label[:-1]:
        return m.group(0)
    return m.group(1) + BR_PAIR


_DATE_PAIR_RE = re.compile(r"^(" + re.sub(r"\(\?P<\w+>", "(?:", _DATE) + ")" + PAIR, re.I | re.M)


def unmark_pairs(text: str) -> str:
    """Text with the label marks of blocks kept as text read as the page shows them."""
    if PAIR in text:
        text = text.replace(" " + PAIR, PAIR).replace(PAIR + " ", PAIR)
        # A date in a cell of its own beside its entry (a log as a table) is a line of its own.
        text = _DATE_PAIR_RE.sub(r"\1\n", text).replace(PAIR, ": ")
    if LABELLED in text:
        text = text.replace(" " + LABELLED, LABELLED).replace(LABELLED + " ", LABELLED)
        text = text.replace(LABELLED, " ")
    if SPLIT_PAIR in text:
        text = text.replace(" " + SPLIT_PAIR, SPLIT_PAIR).replace(SPLIT_PAIR + " ", SPLIT_PAIR)
        text = text.replace(SPLIT_PAIR, "\n\n")
    if BR_PAIR in text:
        text = text.replace(" " + BR_PAIR, BR_PAIR).replace(BR_PAIR + " ", BR_PAIR)
        text = text.replace(BR_PAIR, "\n")
    return text


def _html_to_marked_text(markup: str) -> str:
    """Visible text of lexbor-serialized HTML, whitespace collapsed, with break marks."""
    if "<!--" in markup:
        markup = _COMMENT_RE.sub("", markup)
    if any(ch in markup for ch in _ODD_CHARS):  # str.__contains__ is far faster than a regex
        markup = _ODD_CHARS_RE.sub("", markup)
    # Which of the tags below occur, in one sweep (a look per tag costs as much each): what
    # each step takes out or puts in never makes one occur that did not, nor takes one out
    # but where the step it guards then finds nothing (lexbor escapes "<" in text).
    hits = _GUARD_TAG_RE.findall(markup)
    found = set(hits)
    if "pre" in found:
        # Preformatted text shows its line breaks: keep them as <br> would.
        markup = _PRE_RE.sub(lambda m: m.group(0).replace("\n", _LINE), markup)
    # Lexbor serializes tag names in lower case, so the tag patterns need no re.I.
    if ("ul" in found or "ol" in found) and hits.count("ul") + hits.count("ol") > 1:
        markup = _nested_list_marks(markup)
    elif "li" in found:
        markup = _LI_OPEN_RE.sub(_BLOCK + _LI, markup)
    if "th" in found and "table" in found:
        markup = _HORIZONTAL_TABLE_RE.sub(_horizontal_table, markup)
    if "tr" in found:
        markup = _TWO_CELL_ROW_RE.sub(_mark_two_cell_row, markup)
    if "dt" in found or "th" in found:
        # A label beside its value ("Report" | "An inspection of ...") reads "Report: ...".
        markup = _LABEL_VALUE_RE.sub(PAIR, markup)
    if "/span>" in found:
        markup = _NEXT_LABELLED_SPAN_RE.sub(r"\1" + _LINE, markup)
    if "br" in found:
        markup = _LABEL_BR_RE.sub(_mark_label_br, markup)
    markup = _LABEL_ELEMENT_RE.sub(_mark_label_element, markup)
    if "div" in found:
        markup = _LABEL_BOX_RE.sub(lambda m: m.group(1) + SPLIT_PAIR, markup)
    markup = _BLOCK_TAG_RE.sub(_BLOCK, markup)
    markup = _BR_TAG_RE.sub(_LINE, markup)
    markup = _ANY_TAG_RE.sub("", markup)
    if "&" in markup:
        markup = htmllib.unescape(markup)
    # str.split() splits on \xa0 and \x1c-\x1f too, but not on the \x02-\x05 marks.
    return " ".join(markup.split())


def _marked_to_text(text: str) -> str:
    """Marked text -> blocks separated by blank lines, <br> as newlines, list items bulleted."""
    # Plain str.replace and regexes that start with a literal: this runs on every page.
    if PAIR in text or LABELLED in text or SPLIT_PAIR in text or BR_PAIR in text:
        # A label and its value are one block, whatever boxes the value sits in.
        text = _PAIR_GAP_RE.sub(r"\1", text)
    text = text.replace(" \x02", _BLOCK).replace("\x02 ", _BLOCK)
    if _LINE in text:
        text = text.replace(" \x03", _LINE).replace("\x03 ", _LINE)
        text = _DOUBLE_BR_RE.sub(_BLOCK, text)
        text = _BR_BEFORE_BLOCK_RE.sub("", text)
    text = _BR_AFTER_BLOCK_RE.sub(_BLOCK, text)
    text = text.replace(_BLOCK, "\n\n").replace(_LINE, "\n")
    if _LI in text or _SUB_LI in text:
        text = _MARK_GAP_RE.sub(r"\1", text)
        text = _MARK_BEFORE_BULLET_RE.sub("", text)
        text = text.replace(_LI, "• ").replace(_SUB_LI, "◦ ")
    return text.strip()


# Inline boxes side by side where the next starts with a label and its colon ("<span>Force: X
# </span> <span>Reference: Y</span>", an entry footer's meta line): in a box of chrome read for
# metadata, each is a line of its own.
_INLINE_PAIR_GAP_RE = re.compile(
    r"(</(?:span|small|em|i|b|strong|time)>)\s*"
    r"(?=<(?:span|small|em|i|b|strong)(?:\s[^>]*)?>[^<>:]{1,48}:)"
)


def split_inline_pairs(markup: str) -> str:
    """Markup with a line break between inline boxes that each hold a label and its value."""
    return _INLINE_PAIR_GAP_RE.sub(r"\1<br>", markup) if "</" in markup else markup
