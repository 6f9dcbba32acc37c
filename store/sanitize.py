"""Archived page bodies made safe to look at: sanitized HTML or plain text, never executed.

An allowlist, not a blocklist: only structural and text tags are written out, without any of
their attributes (links keep an http(s) href). Scripts, styles, forms' controls, frames,
objects, images and media (anything that would load or run) are dropped with their content;
unknown tags (a form among them) are unwrapped to their text. The body is read by a linear
tokenizer rather than a DOM parser: a hostile page of 100,000 nested elements costs one pass,
and nesting deeper than MAX_DEPTH is flattened. Pure: bytes in, text out.
"""

from __future__ import annotations

import html
import re

# Their content is raw text up to the closing tag: skipped whole.
RAW_TEXT = frozenset(
    ["script", "style", "textarea", "title", "xmp", "iframe", "noscript", "noembed", "noframes"]
)
# Dropped with everything inside them: they load, run, or only make sense when they do.
DROP = frozenset(
    [
        "template",
        "frameset",
        "object",
        "applet",
        "svg",
        "math",
        "picture",
        "video",
        "audio",
        "canvas",
        "select",
        "button",
        "datalist",
        "dialog",
        "head",
    ]
)
# Elements with no content, dropped: the image and embed kinds would load something.
DROP_VOID = frozenset(
    ["img", "input", "link", "meta", "base", "embed", "source", "track", "area", "param", "wbr"]
)
# Written out (without attributes); any other tag is unwrapped to its content.
ALLOWED = frozenset(
    [
        "p",
        "br",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "th",
        "td",
        "caption",
        "blockquote",
        "pre",
        "code",
        "em",
        "strong",
        "b",
        "i",
        "u",
        "s",
        "sub",
        "sup",
        "small",
        "hr",
        "div",
        "span",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "figure",
        "figcaption",
        "abbr",
        "cite",
        "q",
        "time",
        "mark",
        "del",
        "ins",
        "a",
    ]
)
VOID = frozenset({"br", "hr"})
BLOCK = frozenset(
    [
        "p",
        "br",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "tr",
        "caption",
        "blockquote",
        "pre",
        "hr",
        "div",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "figure",
        "figcaption",
        "form",
    ]
)
MAX_DEPTH = 64
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; sandbox"
)

# [^<>]* keeps every failed attempt short: the tokenizer stays linear on broken markup.
_TOKEN = re.compile(r"<!--.*?(?:-->|\Z)|<(/?)([a-zA-Z][a-zA-Z0-9:-]*)([^<>]*)>|<[!?][^<>]*>", re.S)
_HREF = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.I)


def decode_body(body: bytes, content_type: str | None) -> str:
    """The body as text, in the charset its Content-Type names (else UTF-8), never failing."""
    match = re.search(r"charset=[\"']?([\w.:-]+)", content_type or "", re.I)
    for charset in ([match[1]] if match else []) + ["utf-8"]:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("utf-8", errors="replace")


def _walk(text: str, as_html: bool) -> str:
    out: list[str] = []
    open_tags: list[str] = []  # allowed tags written and not yet closed
    dropping: list[str] = []  # DROP tags we are inside of
    pos = 0
    while pos < len(text):
        m = _TOKEN.search(text, pos)
        end = m.start() if m else len(text)
        if end > pos and not dropping:
            chunk = html.unescape(text[pos:end])
            out.append(html.escape(chunk, quote=False) if as_html else chunk)
        if m is None:
            break
        pos = m.end()
        closing, name, attrs = m.group(1), m.group(2), m.group(3)
        if name is None:
            continue  # a comment, doctype or processing instruction
        tag = name.lower()
        if not closing and tag in RAW_TEXT:
            close = re.compile(rf"</{tag}\b[^<>]*>", re.I).search(text, pos)
            pos = close.end() if close else len(text)
            continue
        if tag in DROP:
            if closing:
                if tag in dropping:
                    while dropping.pop() != tag:
                        pass
            elif not attrs.rstrip().endswith("/"):
                dropping.append(tag)
            continue
        if dropping or tag in DROP_VOID:
            continue
        if not as_html:
            if tag in BLOCK:
                out.append("\n")
            continue
        if tag not in ALLOWED:
            continue
        if closing:
            if tag in open_tags:
                while open_tags:
                    last = open_tags.pop()
                    out.append(f"</{last}>")
                    if last == tag:
                        break
            continue
        if len(open_tags) >= MAX_DEPTH:
            continue
        out.append(_open_tag(tag, attrs))
        if tag not in VOID:
            open_tags.append(tag)
    out.extend(f"</{t}>" for t in reversed(open_tags))
    return "".join(out)


def _open_tag(tag: str, attrs: str) -> str:
    if tag == "a":
        m = _HREF.search(attrs)
        href = html.unescape(next((g for g in m.groups() if g is not None), "")) if m else ""
        if re.match(r"https?://", href.strip(), re.I):
            return f'<a href="{html.escape(href.strip())}" rel="noopener noreferrer nofollow">'
    return f"<{tag}>"


def sanitized_html(body: bytes, content_type: str | None = None) -> str:
    """The body as inert HTML: allowlisted tags only, no attributes but http(s) link targets."""
    return _walk(decode_body(body, content_type), as_html=True)


def sanitized_text(body: bytes, content_type: str | None = None) -> str:
    """The body's visible text: one line per block, runs of blank lines and spaces squeezed."""
    raw = _walk(decode_body(body, content_type), as_html=False)
    lines = [re.sub(r"[ \t\r\f\v\u00a0]+", " ", line).strip() for line in raw.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"
