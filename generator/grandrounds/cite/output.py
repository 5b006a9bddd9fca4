"""The one output class of `cite`: an entry's segments, rendered as plain text and as HTML.

Owns the segment kinds (plain, italic, bold, link, the builder's own punctuation) and
`Out`, the builder every layout writes into. It is the only place in `cite` that escapes
text for HTML: layouts hand it raw field text, and the text and HTML forms of an entry are
rendered from the same segments, so they never disagree. Field text may carry CSL rich
text (`richtext`: `<i>`, `<b>`, `<sup>`, `<sub>`, small caps, `nocase`): `Out` parses it
once, prints its plain text in `text()` and its markup in `html()` (`<em>`, `<strong>`,
`<sup>`, `<sub>`, `<span style="font-variant:small-caps">`; italics inside an italic
segment print upright, as CSL's flip-flop does); every other tag stays escaped text.
"""

from __future__ import annotations

import re
from html import escape as _html_escape

from .richtext import BOLD as _R_BOLD, ITALIC as _R_ITALIC, SMALLCAPS as _R_SC, SUB as _R_SUB, \
    SUP as _R_SUP, Rich, parse

__all__ = ["PLAIN", "ITALIC", "BOLD", "LINK", "PUNCT", "Out"]

PLAIN, ITALIC, BOLD, LINK, PUNCT = 0, 1, 2, 3, 4
"""Segment kinds; PUNCT is the builder's own " ", "." and ",", which need no escaping."""
_OPEN = ("", "<em>", "<strong>")
_CLOSE = ("", "</em>", "</strong>")
_ENDS_SENTENCE = (".", "?", "!")
_SPACE = (PUNCT, " ", "", None)
_STOP = (PUNCT, ".", "", None)
_COMMA = (PUNCT, ",", "", None)
_RICH_TAGS = ((_R_BOLD, "<strong>", "</strong>"), (_R_SUP, "<sup>", "</sup>"),
              (_R_SUB, "<sub>", "</sub>"),
              (_R_SC, '<span style="font-variant:small-caps">', "</span>"))


_NEEDS_ESCAPE = re.compile("[&<>\"']").search


def escape(text: str) -> str:
    """`html.escape` (quotes too), skipped for text with nothing to escape: most field
    text has none, and one search costs less than html.escape's five replaces."""
    return _html_escape(text) if _NEEDS_ESCAPE(text) else text


def _segment(kind: int, text: "str | Rich", href: str) -> tuple[int, str, str, "Rich | None"]:
    """(kind, plain text, href, rich runs or None): rich text is parsed here, once."""
    if text.__class__ is str and "<" not in text:
        return (kind, text, href, None)
    rich = text if isinstance(text, Rich) else parse(text)
    return (kind, rich.plain, href, rich if rich.marked else None)


def _rich_html(rich: Rich, kind: int) -> str:
    """The runs of one segment as HTML, each run's text escaped; in an italic segment an
    italic run prints upright (CSL's flip-flop), in a bold one bold stays bold; adjacent
    italic runs share one `<em>`."""
    parts = []
    emphasised = False
    for text, flags in rich:
        if not text:
            continue
        body = escape(text)
        for flag, opening, closing in _RICH_TAGS:
            if flags & flag and not (flag == _R_BOLD and kind == BOLD):
                body = opening + body + closing
        italic = bool(flags & _R_ITALIC) != (kind == ITALIC)
        if italic != emphasised:
            parts.append("<em>" if italic else "</em>")
            emphasised = italic
        parts.append(body)
    if emphasised:
        parts.append("</em>")
    html = "".join(parts)
    return f"<strong>{html}</strong>" if kind == BOLD else html


class Out:
    """Segments of one entry, rendered as plain text and as HTML.

    A segment is (kind, plain text, href, rich runs or None). `word()` starts a new space-separated piece (empty
    text adds nothing, so missing fields leave no stray spaces), `comma()` ends the
    current piece with a comma, `stop()` with a full stop unless it already ends in
    ".", "?" or "!".
    """

    __slots__ = ("segs",)

    def __init__(self) -> None:
        self.segs: list[tuple[int, str, str, Rich | None]] = []

    def word(self, text: "str | Rich", kind: int = PLAIN, href: str = "") -> None:
        if text:
            if self.segs:
                self.segs.append(_SPACE)
            self.segs.append(_segment(kind, text, href))

    def glue(self, text: "str | Rich", kind: int = PLAIN, href: str = "") -> None:
        """Append `text` to the current piece, with no space ("2002" + ";347")."""
        if text:
            self.segs.append(_segment(kind, text, href))

    def comma(self) -> None:
        self.segs.append(_COMMA)

    def stop(self) -> None:
        if self.segs and not self.segs[-1][1].endswith(_ENDS_SENTENCE):
            self.segs.append(_STOP)

    def text(self) -> str:
        return "".join(seg[1] for seg in self.segs)

    def html(self) -> str:
        parts = []
        for kind, text, href, rich in self.segs:
            if kind == PUNCT:
                parts.append(text)
            elif kind == LINK:
                inner = _rich_html(rich, PLAIN) if rich else escape(text)
                parts.append(f'<a href="{escape(href)}">{inner}</a>')
            elif rich:
                parts.append(_rich_html(rich, kind))
            else:
                parts.append(_OPEN[kind] + escape(text) + _CLOSE[kind])
        return "".join(parts)
