"""The one output class of `cite`: an entry's segments, rendered as plain text and as HTML.

Owns the segment kinds (plain, italic, bold, link, the builder's own punctuation) and
`Out`, the builder every layout writes into. It is the only place in `cite` that escapes
text for HTML: layouts hand it raw field text, and the text and HTML forms of an entry are
rendered from the same segments, so they never disagree.
"""

from __future__ import annotations

from html import escape

__all__ = ["PLAIN", "ITALIC", "BOLD", "LINK", "PUNCT", "Out"]

PLAIN, ITALIC, BOLD, LINK, PUNCT = 0, 1, 2, 3, 4
"""Segment kinds; PUNCT is the builder's own " ", "." and ",", which need no escaping."""
_OPEN = ("", "<em>", "<strong>")
_CLOSE = ("", "</em>", "</strong>")
_ENDS_SENTENCE = (".", "?", "!")
_SPACE = (PUNCT, " ", "")
_STOP = (PUNCT, ".", "")
_COMMA = (PUNCT, ",", "")


class Out:
    """Segments of one entry, rendered as plain text and as HTML.

    A segment is (kind, text, href). `word()` starts a new space-separated piece (empty
    text adds nothing, so missing fields leave no stray spaces), `comma()` ends the
    current piece with a comma, `stop()` with a full stop unless it already ends in
    ".", "?" or "!".
    """

    __slots__ = ("segs",)

    def __init__(self) -> None:
        self.segs: list[tuple[int, str, str]] = []

    def word(self, text: str, kind: int = PLAIN, href: str = "") -> None:
        if text:
            if self.segs:
                self.segs.append(_SPACE)
            self.segs.append((kind, text, href))

    def glue(self, text: str, kind: int = PLAIN, href: str = "") -> None:
        """Append `text` to the current piece, with no space ("2002" + ";347")."""
        if text:
            self.segs.append((kind, text, href))

    def comma(self) -> None:
        self.segs.append(_COMMA)

    def stop(self) -> None:
        if self.segs and not self.segs[-1][1].endswith(_ENDS_SENTENCE):
            self.segs.append(_STOP)

    def text(self) -> str:
        return "".join(seg[1] for seg in self.segs)

    def html(self) -> str:
        parts = []
        for kind, text, href in self.segs:
            if kind == PUNCT:
                parts.append(text)
            elif kind == LINK:
                parts.append(f'<a href="{escape(href)}">{escape(text)}</a>')
            else:
                parts.append(_OPEN[kind] + escape(text) + _CLOSE[kind])
        return "".join(parts)
