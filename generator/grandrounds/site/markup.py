"""Text to safe output: Markdown fields to HTML, and plain text escaped for Markdown or HTML.

Owns the one Markdown dialect of case records (CommonMark + pipe tables, strikethrough,
footnotes, `^sup^`, `~sub~`), parsed by markdown-it-py so the page, the handout and any feed
get the same HTML. Raw HTML in a field is shown as text (markdown-it `html: False`), and
markdown-it's link validation drops `javascript:`, `vbscript:`, `file:` and non-image
`data:` URLs, so author input can never inject markup or script.

Ids an author gives inside a record (reference, figure and table ids) become HTML ids and
URL fragments only through `anchor(prefix, id)`, footnote ids through the same rule
(`anchor_name` of the field's doc id), so no id can leave its attribute or collide.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from functools import lru_cache
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markupsafe import Markup
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin

from ..limits import MAX_MARKDOWN_NESTING


_CITATION = re.compile(r"\[(@[^\[\]\n]+)\]")
_CITED_ITEM = re.compile(r"\s*@([A-Za-z0-9_][\w:.#$%&+?<>~/-]*)\s*(?:,\s*(.*?))?\s*\Z")


_ANCHOR_SAFE = re.compile(r"[A-Za-z0-9_-]{1,64}")
_ANCHOR_UNSAFE = re.compile(r"[^a-z0-9]+")


def anchor_name(text: object) -> str:
    """`text` as the part of an HTML id / URL fragment that names one thing: the text
    itself when it is 1 to 64 ASCII letters, digits, '-' or '_' (every id of the example
    records, so their anchors do not change); otherwise a readable `[a-z0-9-]` form and 8 hex
    digits of the text's SHA-256, so ids that differ stay apart."""
    text = str(text)
    if _ANCHOR_SAFE.fullmatch(text):
        return text
    base = _ANCHOR_UNSAFE.sub("-", text.lower()).strip("-")[:40].rstrip("-")
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{base}-{digest}" if base else digest


def anchor(prefix: str, id: object) -> str:
    """The HTML id (and fragment) of the thing `id` names in `prefix`'s namespace:
    `anchor("ref", "smith2010")` is 'ref-smith2010'; `anchor("figure", 'x"><img')` is
    'figure-x-img-<hash>'. The one way a record's ids become anchors."""
    return f"{prefix}-{anchor_name(id)}"


class Citations:
    """The in-text citations of one page, in a numeric or an author-year style.

    Passed to `markdown_to_html`; `[@a]`, `[@a; @b]` and `[@a, p. 12]` cite references by
    id. `numbers` records the order of first citation across the page's fields.

    - Numeric styles (nature, vancouver, ama): superscript numbers, ranges collapsed
      (1–3,5), each linked to `#ref-<id>`.
    - Author-year styles (`author_year`, APA): "(Fessler, 2000)", "(Nauta & Fibbe, 2007,
      p. 12)", several works separated by "; " in order of first author, label and year,
      works with one label collapsed ("(Sun et al., 2007, 2009)"); labels and years (with the
      2010a/2010b letters) come from the `cite.FormattedReference`s given as `references`.

    The first citation of a reference gets the anchor `cite-<id>` that the reference list
    links back to. Keys that are not references are kept as text and collected in
    `unknown` (the library reports them with a location)."""

    def __init__(self, known: set[str], references: Sequence[Any] = (),
                 author_year: bool = False):
        self.known = known
        self.author_year = author_year
        self.entries = {r.id: r for r in references}
        self.numbers: dict[str, int] = {}
        self.unknown: list[str] = []

    def html(self, items: list[tuple[str, str]]) -> str:
        cited = []
        for key, locator in items:
            if key not in self.known:
                self.unknown.append(key)
                return escapeHtml(_citation_text(items))
            first = key not in self.numbers
            cited.append((self.numbers.setdefault(key, len(self.numbers) + 1), key, locator, first))
        if self.author_year:
            return self._author_year_html(cited)
        return '<sup class="gr-cite">' + _collapse(sorted(cited)) + "</sup>"

    def _author_year_html(self, cited: list[tuple[int, str, str, bool]]) -> str:
        """"(Label, Year[, locator]; ...)" with each work linked to its entry."""
        def sort_key(c: tuple[int, str, str, bool]) -> tuple:
            # by first author, then label (so works that cite alike sit together), then
            # year: "(Dalmau et al., 2007, 2008)" even when their co-authors differ
            entry = self.entries.get(c[1])
            if entry is None or not entry.sort_key:
                return ((), "", "")
            return (entry.sort_key[0][:1], entry.label, entry.year)

        parts: list[str] = []
        previous = ("", "")  # (label, locator) of the last work printed
        for _, key, locator, first in sorted(cited, key=sort_key):
            entry = self.entries.get(key)
            label = entry.label if entry is not None and entry.label else key
            year = entry.year if entry is not None and entry.year else "n.d."
            text = year + (f", {locator}" if locator else "")
            if parts and previous == (label, "") and not locator:
                parts[-1] += ", " + _link_text(key, year, first)
            else:
                parts.append(_link_text(key, f"{label}, {text}", first))
            previous = (label, locator)
        return '<span class="gr-cite">(' + "; ".join(parts) + ")</span>"


def _citation_text(items: list[tuple[str, str]]) -> str:
    return "[" + "; ".join(f"@{k}, {loc}" if loc else f"@{k}" for k, loc in items) + "]"


def _link(number: int, key: str, locator: str, first: bool) -> str:
    back = f' id="{anchor("cite", key)}"' if first else ""
    title = f' title="{escapeHtml(locator)}"' if locator else ""
    return f'<a href="#{anchor("ref", key)}"{back}{title}>{number}</a>'


def _link_text(key: str, text: str, first: bool) -> str:
    back = f' id="{anchor("cite", key)}"' if first else ""
    return f'<a href="#{anchor("ref", key)}"{back}>{escapeHtml(text)}</a>'


def _collapse(cited: list[tuple[int, str, str, bool]]) -> str:
    """Numbers 1,2,3,5 as '1–3,5' (three or more in a row become a range); the first
    citations hidden inside a range keep their back-link anchor."""
    parts, i = [], 0
    while i < len(cited):
        j = i
        while j + 1 < len(cited) and cited[j + 1][0] == cited[j][0] + 1:
            j += 1
        if j - i >= 2:
            hidden = "".join(f'<span id="{anchor("cite", c[1])}"></span>' for c in cited[i + 1:j] if c[3])
            parts.append(f"{_link(*cited[i])}{hidden}–{_link(*cited[j])}")
        else:
            parts.extend(_link(*c) for c in cited[i:j + 1])
        i = j + 1
    return ",".join(parts)


def _citation_rule(state: Any, silent: bool) -> bool:
    if not state.src.startswith("[@", state.pos):
        return False
    match = _CITATION.match(state.src, state.pos)
    if not match:
        return False
    items = []
    for part in match.group(1).split(";"):
        item = _CITED_ITEM.match(part)
        if not item:
            return False
        items.append((item.group(1), (item.group(2) or "").strip()))
    if not silent:
        citations = state.env.get("citations") if isinstance(state.env, dict) else None
        if citations is None or not citations.author_year:
            # superscript numbers sit on the word: "shown [@a]." prints as "shown¹."
            state.pending = state.pending.rstrip(" ")
        token = state.push("citation", "", 0)
        token.meta = {"items": items}
    state.pos = match.end()
    return True


def _render_citation(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    items = tokens[idx].meta["items"]
    citations = env.get("citations")
    return citations.html(items) if citations else escapeHtml(_citation_text(items))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(superscript_plugin).use(sub_plugin)
    md.inline.ruler.before("link", "citation", _citation_rule)
    md.add_render_rule("citation", _render_citation)
    md.add_render_rule("image", _render_image)
    md.core.ruler.push("cap_inline_nesting", _cap_inline_nesting)
    md.core.ruler.before("inline", "escape_unlinkable_brackets", _escape_unlinkable_brackets)
    return md


_INLINE_MARKS = re.compile(r"\\[\s\S]|`+|[\[\]]")
_BACKTICKS = re.compile(r"`+")
MAX_BRACKET_NESTING = 8
"""`[` nested deeper than this cannot start a link (a link holds at most an image)."""


def _escape_unlinkable_brackets(state: Any) -> None:
    """Escape every `[` that cannot start a link, image, footnote or citation before
    markdown-it's inline rules see it: one without a closing `]` (outside code spans), or
    nested deeper than `MAX_BRACKET_NESTING`.

    For each `[`, markdown-it scans ahead for its `]` token by token, to the end of the
    paragraph when there is none: 100,000 `[`, `![`, `[@` or `[^` took 7 to 18 s. Such a `[`
    prints as itself either way, so the HTML is the same; with the escapes each character is
    scanned at most `MAX_BRACKET_NESTING` times."""
    for token in state.tokens:
        if token.type == "inline" and "[" in token.content:
            token.content = _bounded_brackets(token.content)


def _bounded_brackets(src: str) -> str:
    closers: dict[int, list[int]] = {}  # backtick run length -> starts, for code spans
    if "`" in src:
        for run in _BACKTICKS.finditer(src):
            closers.setdefault(len(run.group()), []).append(run.start())
    escape: list[int] = []
    open_at: list[int] = []
    pos = 0
    while True:
        mark = _INLINE_MARKS.search(src, pos)
        if mark is None:
            break
        text, pos = mark.group(), mark.end()
        if text == "[":
            if len(open_at) >= MAX_BRACKET_NESTING:
                escape.append(mark.start())
            open_at.append(mark.start())
        elif text == "]":
            if open_at:
                open_at.pop()
        elif text[0] == "`":  # a code span runs to the next run of as many backticks
            starts = closers.get(len(text), [])
            i = bisect.bisect_right(starts, mark.start())
            if i < len(starts):
                pos = starts[i] + len(text)
    escape += open_at  # never closed
    if not escape:
        return src
    out, last = [], 0
    for at in sorted(set(escape)):
        out += [src[last:at], "\\"]
        last = at
    return "".join(out) + src[last:]


def _cap_inline_nesting(state: Any) -> None:
    """Emphasis, strikethrough and the like nested deeper than `MAX_MARKDOWN_NESTING` print
    their markers as text instead of opening more elements.

    markdown-it bounds block nesting (quotes, lists) at 20 but not the emphasis it pairs up
    afterwards: `'*' * 50000 + 'x' + '*' * 50000` became 25,000 nested `<em>`/`<strong>`, and
    every later HTML walk that keeps a stack of open elements (Material's search indexer took
    96 s) paid for the depth at every tag. A real text never nests inline markup this deep."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        depth = 0
        dropped: list[bool] = []
        for token in block.children:
            if token.nesting == 1:
                depth += 1
                dropped.append(depth > MAX_MARKDOWN_NESTING)
                if dropped[-1]:
                    _as_text(token)
            elif token.nesting == -1 and dropped:
                depth -= 1
                if dropped.pop():
                    _as_text(token)


def _as_text(token: Any) -> None:
    token.type, token.tag, token.nesting, token.content = "text", "", 0, token.markup


_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")
_URL_IGNORED = re.compile(r"[\t\n\r]")
_URL_TRIMMED = "".join(map(chr, range(0x21)))


def is_local_src(src: str) -> bool:
    """Whether an image address stays inside the site: a path without a scheme (`http:`,
    `data:` ...) and without a host (`//host`, `\\host`), read as a browser reads it
    (C0 controls and spaces trimmed, tabs and newlines dropped, `\\` as `/`)."""
    url = _URL_IGNORED.sub("", src).strip(_URL_TRIMMED).replace("\\", "/")
    return not (_SCHEME.match(url) or url.startswith("//"))


def _render_image(self: Any, tokens: Any, idx: int, options: Any, env: Any) -> str:
    """An image whose address leaves the site is never emitted (a reader's browser would
    contact another host): its alt text is printed instead, whatever `check` said."""
    token = tokens[idx]
    if is_local_src(str(token.attrGet("src") or "")):
        return RendererHTML.image(self, tokens, idx, options, env)
    return escapeHtml(self.renderInlineAsText(token.children or [], options, env))


def remote_images(text: str) -> list[str]:
    """The addresses of the images in a Markdown field that leave the site (inline and
    reference-style), in order, from markdown-it's tokens (so code is not an image)."""
    if "![" not in text:
        return []
    found: list[str] = []
    for token in _parser().parse(text):
        for child in token.children or []:
            if child.type == "image" and not is_local_src(str(child.attrGet("src") or "")):
                found.append(str(child.attrGet("src")))
    return found


def cited_keys(text: str) -> list[str]:
    """The reference ids a Markdown field cites, from markdown-it's tokens (so `[@x]`
    inside code is not a citation)."""
    if "[@" not in text:
        return []
    keys: list[str] = []
    for token in _parser().parse(text):
        for child in token.children or []:
            if child.type == "citation":
                keys += [key for key, _ in child.meta["items"]]
    return keys


_PLAIN = re.compile(r"[A-Za-z0-9(][^\\`*_\[\]<>&!~^|#\n]*\Z")
"""Text that CommonMark would print as it is: a single line without any markup character,
not starting like a block (list, heading, quote, indented code). Rendered without a parse."""


def _plain(text: str) -> bool:
    return len(text) < 2000 and _PLAIN.match(text) is not None and not text.endswith(" ")


def markdown_to_html(text: str | None, doc_id: str = "", citations: Citations | None = None) -> Markup:
    """Render a Markdown field to safe HTML.

    `doc_id` prefixes footnote ids so that footnotes of separate fields on one page do not
    collide (passed through `anchor_name`, so it may hold any text). Blank lines inside the result (code blocks) are written as `&#10;` so the HTML
    stays one block for any Markdown processor that later embeds it.
    """
    if not text:
        return Markup("")
    if _plain(text) and not _LIST_START.match(text):
        return Markup(f"<p>{escapeHtml(text)}</p>")
    env: dict[str, Any] = {"docId": anchor_name(doc_id)} if doc_id else {}
    if citations is not None:
        env["citations"] = citations
    html = _parser().render(text, env)
    return Markup(_no_blank_lines(html.strip()))


def markdown_to_inline_html(text: str | None, citations: Citations | None = None) -> Markup:
    """Render a short Markdown field (a list item, a table cell) without the outer <p>."""
    if not text:
        return Markup("")
    if _plain(text):
        return Markup(escapeHtml(text))
    html = _parser().renderInline(text, {"citations": citations} if citations is not None else {})
    return Markup(_no_blank_lines(html.strip()))


def markdown_to_text(text: str | None) -> str:
    """The words of a Markdown field as plain text (for descriptions and listings)."""
    if not text:
        return ""
    tokens = _parser().parseInline(text) if "\n" not in text else _parser().parse(text)
    words: list[str] = []
    for token in tokens:
        for child in token.children or []:
            if child.type in ("text", "code_inline"):
                words.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                words.append(" ")
        if token.type == "paragraph_close":
            words.append(" ")
    text = re.sub(r"\s+", " ", "".join(words)).strip()
    return re.sub(r" ([.,;:])", r"\1", text)  # where a citation stood before punctuation


_LIST_START = re.compile(r"\d{1,9}[.)](\s|\Z)")


def _no_blank_lines(html: str) -> str:
    return html.replace("\n\n", "\n&#10;")


_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")


def escape_markdown(text: object) -> Markup:
    """Plain text for a Markdown context (heading, table cell, link text): prints as itself."""
    html = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(_MD_SPECIALS.sub(r"\\\1", html).replace("\n", " "))
