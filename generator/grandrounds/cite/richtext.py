"""CSL rich text: the few formatting tags CSL-JSON allows inside a field, parsed once, safely.

Owns reading a field such as "Gut flora of <i>Escherichia coli</i>" into `Rich`, a tuple of
runs (text, flags), and the forms other parts print it in: plain text (`plain`, for RIS,
JSON-LD, Highwire tags, the feed and sort keys), LaTeX (`latex`, with the caller's escape
function), and re-cased text that leaves `nocase` spans alone (`recase`). The HTML form
is `output.Out`'s, the one escaping point of `cite`.

Exactly these tags are read (as Zotero and citeproc-js write them; tag names in any case):
`<i>`, `<b>`, `<sup>`, `<sub>`, `<span style="font-variant:small-caps;">` and
`<span class="nocase">`, each closed by its own closing tag and properly nested. Anything
else, an attribute more, an unclosed or stray tag, `<script>`, `<img ...>`, stays literal
text (and is escaped wherever it is printed as HTML). Parsing is one regular-expression
scan and one pass over the tags: linear in the text's length.
"""

from __future__ import annotations

import re
from typing import Callable

__all__ = ["ITALIC", "BOLD", "SUP", "SUB", "SMALLCAPS", "NOCASE", "Rich", "parse", "plain",
           "latex", "recase"]

ITALIC, BOLD, SUP, SUB, SMALLCAPS, NOCASE = 1, 2, 4, 8, 16, 32
"""Run flags; a run may carry several ("<b><i>x</i></b>" is BOLD | ITALIC)."""

_TAG = re.compile(
    r"<(?:(?P<open>i|b|sup|sub)"
    r"|span\s+style\s*=\s*\"\s*font-variant\s*:\s*small-caps\s*;?\s*\"\s*(?P<sc>)"
    r"|span\s+class\s*=\s*\"\s*nocase\s*\"\s*(?P<nc>)"
    r"|/(?P<close>i|b|sup|sub|span))>", re.I)
_FLAG = {"i": ITALIC, "b": BOLD, "sup": SUP, "sub": SUB}
_CLOSES = {ITALIC: "i", BOLD: "b", SUP: "sup", SUB: "sub", SMALLCAPS: "span", NOCASE: "span"}

Run = tuple[str, int]


class Rich(tuple):
    """A field's text as runs `(text, flags)`, in order; `str(rich)` is its plain text.

    False when its plain text is empty, so a field of only "<i></i>" prints nothing."""

    __slots__ = ()

    @property
    def plain(self) -> str:
        return "".join(run[0] for run in self)

    @property
    def marked(self) -> bool:
        """Whether any run carries a flag (else the text prints as plain text)."""
        return any(run[1] for run in self)

    def __str__(self) -> str:
        return self.plain

    def __bool__(self) -> bool:
        return any(run[0] for run in self)


def _tags(text: str) -> list[tuple[int, int, int, bool]]:
    """(start, end, flag, is_open) of each allowed tag that has a partner: a closing tag
    closes the innermost open tag if (and only if) it is of the same kind; any other
    tag, and an open tag never closed, is left out (it stays literal text)."""
    found = []
    stack: list[int] = []  # indexes into found of open tags awaiting their close
    paired: set[int] = set()
    for match in _TAG.finditer(text):
        name = match.group("open")
        if name is not None:
            flag = _FLAG[name.lower()]
        elif match.group("sc") is not None:
            flag = SMALLCAPS
        elif match.group("nc") is not None:
            flag = NOCASE
        else:
            close = match.group("close").lower()
            if stack and _CLOSES[found[stack[-1]][2]] == close:
                opener = stack.pop()
                paired.add(opener)
                paired.add(len(found))
                found.append((match.start(), match.end(), found[opener][2], False))
            continue  # a stray or crossing close tag: literal text
        stack.append(len(found))
        found.append((match.start(), match.end(), flag, True))
    return [tag for n, tag in enumerate(found) if n in paired]


def parse(text: str) -> Rich:
    """The runs of `text`; text without "<" is one unflagged run (the fast path)."""
    if "<" not in text:
        return Rich(((text, 0),))
    runs: list[Run] = []
    at, flags = 0, 0
    depth = {flag: 0 for flag in _CLOSES}
    for start, end, flag, is_open in _tags(text):
        if start > at:
            runs.append((text[at:start], flags))
        depth[flag] += 1 if is_open else -1
        flags = flags | flag if depth[flag] else flags & ~flag
        at = end
    if at < len(text) or not runs:
        runs.append((text[at:], flags))
    return Rich(runs)


def plain(text: str) -> str:
    """`text` with its rich-text tags taken out ("<i>E. coli</i>" -> "E. coli"); literal
    text, a stray "<b>" or "<script>" included, is kept as it is."""
    return text if "<" not in text else parse(text).plain


_LATEX = ((ITALIC, "\\textit{"), (BOLD, "\\textbf{"), (SUP, "\\textsuperscript{"),
          (SUB, "\\textsubscript{"), (SMALLCAPS, "\\textsc{"), (NOCASE, "{"))


def latex(text: str, escape_text: Callable[[str], str]) -> str:
    """`text` for LaTeX/BibTeX: each run's text through `escape_text` (the caller's, e.g.
    `refio.bibtex_escape`), wrapped in `\\textit{}`, `\\textbf{}`, `\\textsuperscript{}`,
    `\\textsubscript{}`, `\\textsc{}`, and braces for `nocase` (BibTeX keeps its case).
    The spaces around each run are kept whatever `escape_text` does with them."""
    if "<" not in text:
        return escape_text(text)
    parts = []
    for run, flags in parse(text):
        core = run.strip()
        body = run[:len(run) - len(run.lstrip())] + escape_text(core) if core else ""
        opened = 0
        for flag, command in _LATEX:
            if flags & flag:
                parts.append(command)
                opened += 1
        parts.append(body + "}" * opened + (run[len(run.rstrip()):] if core else run))
    return "".join(parts)


def recase(text: str | Rich, change: Callable[[str], str]) -> str | Rich:
    """`text` re-cased by `change` (a function of the whole plain text, such as APA's
    capital after a colon), except inside `nocase` spans, which keep their letters.
    `change` must keep the length; where it does not, `text` is returned unchanged.
    Returns a `str` for text without tags, else a `Rich`."""
    if isinstance(text, str):
        if "<" not in text:
            return change(text)
        text = parse(text)
    source = text.plain
    changed = change(source)
    if changed == source or len(changed) != len(source):
        return text
    runs, at = [], 0
    for run, flags in text:
        end = at + len(run)
        runs.append((run if flags & NOCASE else changed[at:end], flags))
        at = end
    return Rich(runs)
