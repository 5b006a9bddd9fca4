"""Text to safe output: Markdown fields to HTML, and plain text escaped for Markdown or HTML.

Owns the one Markdown dialect of case records (CommonMark + pipe tables, strikethrough,
footnotes, `^sup^`, `~sub~`), parsed by markdown-it-py so the page, the handout and any feed
get the same HTML. Raw HTML in a field is shown as text (markdown-it `html: False`), and
markdown-it's link validation drops `javascript:`, `vbscript:`, `file:` and non-image
`data:` URLs, so author input can never inject markup or script.
"""

from __future__ import annotations

import re
from functools import lru_cache

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.subscript import sub_plugin
from mdit_py_plugins.superscript import superscript_plugin


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.use(footnote_plugin).use(superscript_plugin).use(sub_plugin)
    return md


_PLAIN = re.compile(r"[A-Za-z0-9(][^\\`*_\[\]<>&!~^|#\n]*\Z")
"""Text that CommonMark would print as it is: a single line without any markup character,
not starting like a block (list, heading, quote, indented code). Rendered without a parse."""


def _plain(text: str) -> bool:
    return len(text) < 2000 and _PLAIN.match(text) is not None and not text.endswith(" ")


def markdown_to_html(text: str | None, doc_id: str = "") -> Markup:
    """Render a Markdown field to safe HTML.

    `doc_id` prefixes footnote ids so that footnotes of separate fields on one page do not
    collide. Blank lines inside the result (code blocks) are written as `&#10;` so the HTML
    stays one block for any Markdown processor that later embeds it.
    """
    if not text:
        return Markup("")
    if _plain(text) and not _LIST_START.match(text):
        return Markup(f"<p>{escapeHtml(text)}</p>")
    env = {"docId": doc_id} if doc_id else {}
    html = _parser().render(text, env)
    return Markup(_no_blank_lines(html.strip()))


def markdown_to_inline_html(text: str | None) -> Markup:
    """Render a short Markdown field (a list item, a table cell) without the outer <p>."""
    if not text:
        return Markup("")
    if _plain(text):
        return Markup(escapeHtml(text))
    html = _parser().renderInline(text)
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
    return re.sub(r"\s+", " ", "".join(words)).strip()


_LIST_START = re.compile(r"\d{1,9}[.)](\s|\Z)")


def _no_blank_lines(html: str) -> str:
    return html.replace("\n\n", "\n&#10;")


_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")


def escape_markdown(text: object) -> Markup:
    """Plain text for a Markdown context (heading, table cell, link text): prints as itself."""
    html = str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(_MD_SPECIALS.sub(r"\\\1", html).replace("\n", " "))
