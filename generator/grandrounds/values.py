"""The rules every untrusted value passes, whatever field or file it came from.

Owns one walk over decoded data (a record's YAML, a CSL-JSON/BibTeX/RIS reference file after
conversion) that refuses what no field may hold, before any later stage recurses over it,
renders it or prints it:

- nesting deeper than `limits.MAX_DEPTH`, lists longer than `limits.MAX_LIST_ITEMS`, text
  longer than `limits.MAX_TEXT_CHARS`;
- control characters other than tab and newline (C0, DEL, C1: a form feed or an escape
  sequence breaks the Atom feed, front matter and terminals), lone surrogates (they cannot
  be written as UTF-8) and XML non-characters (U+FFFE, U+FDD0 ...).

Line ends are normalised first (`normalise_newlines`: CR LF and lone CR become LF), so a
record saved on Windows is fine. The walk is iterative (no recursion limit to hit) and
reports each problem with the path of the value, which the caller turns into
`file:line:col` (`load.RawRecord.where`, or a position in a reference file).

It does not know what a field means: id rules, URLs and Markdown are the model's and
markup's business.
"""

from __future__ import annotations

import re
from typing import Any, Iterator

from .limits import MAX_DEPTH, MAX_LIST_ITEMS, MAX_TEXT_CHARS

__all__ = ["ValueProblem", "normalise_newlines", "printable", "text_problem", "value_problems"]

# C0 but tab and LF, DEL, C1; lone surrogates; the non-characters U+FDD0..U+FDEF and the last
# two code points of every plane. The planes above the first are tested apart (one range, then
# the low bits), because a character class with their 32 code points made `re` about 6x slower
# on any text beyond ASCII (0.89 against 0.14 ms for 16,000 characters of accented text).
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_ASTRAL_TOP = re.compile("[\U0001fffe-\U0010ffff]")
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
_UNPRINTABLE_LINE = re.compile("[\t\n" + _UNPRINTABLE.pattern[1:])
_NAMES = {"\x00": "NUL", "\x07": "bell", "\x08": "backspace", "\x0b": "vertical tab",
          "\x0c": "form feed", "\x1b": "escape", "\x7f": "DEL"}

ValueProblem = tuple[tuple[Any, ...], str, str]
"""(path of the value inside the data, what is wrong, how to fix it)."""


def normalise_newlines(text: str) -> str:
    """CR LF and lone CR as LF (what every field holds after this)."""
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _describe(char: str) -> str:
    code = ord(char)
    name = _NAMES.get(char)
    if 0xD800 <= code <= 0xDFFF:
        name = "a lone surrogate"
    elif code >= 0xFDD0:
        name = "a Unicode non-character"
    elif name is None:
        name = "a control character"
    return f"{name} (U+{code:04X})"


def _forbidden_char(text: str) -> re.Match[str] | None:
    found = _FORBIDDEN.search(text)
    if found is None and not text.isascii():
        found = next((m for m in _ASTRAL_TOP.finditer(text) if ord(m.group()) & 0xFFFE == 0xFFFE), None)
    return found


def printable(text: object, one_line: bool = False) -> str:
    """`text` with control characters, bidi controls, lone surrogates and non-characters
    written as `\\xNN`/`\\uNNNN` escapes: for messages that quote an author's text or file
    name, so nothing raw reaches a terminal. `one_line` escapes tab and newline too (a
    `file:line:col` line must stay one line, whatever a file name holds)."""
    pattern = _UNPRINTABLE_LINE if one_line else _UNPRINTABLE
    return pattern.sub(lambda m: (f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                  else f"\\u{ord(m.group()):04x}"), str(text))


def text_problem(text: str) -> tuple[str, str, int] | None:
    """What is wrong with one (newline-normalised) text value, the fix, and the index of the
    offending character; None when it is fine."""
    if len(text) > MAX_TEXT_CHARS:
        return (f"text is {len(text):,} characters, over the {MAX_TEXT_CHARS:,}-character limit",
                "shorten it or split it across fields", MAX_TEXT_CHARS)
    found = _forbidden_char(text)
    if found:
        return (f"{_describe(found.group())} is not allowed in text",
                "delete it (it is invisible in most editors; retype the text around it)", found.start())
    return None


def value_problems(data: Any, limit: int = 20) -> Iterator[ValueProblem]:
    """Every value of `data` (dicts, lists, str, numbers ...) that breaks a rule, at most
    `limit` of them, in document order. Keys are checked like text."""
    found = 0
    stack: list[tuple[tuple[Any, ...], Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        problem: tuple[str, str] | None = None
        children: list[tuple[tuple[Any, ...], Any]] = []
        if isinstance(value, str):
            bad = text_problem(value)
            if bad:
                problem = bad[:2]
        elif isinstance(value, (dict, list)):
            if len(path) >= MAX_DEPTH:
                problem = (f"nested more than {MAX_DEPTH} levels deep",
                           "flatten the structure; no field of a case record nests this deep")
            elif isinstance(value, list):
                if len(value) > MAX_LIST_ITEMS:
                    problem = (f"list has {len(value):,} items, over the {MAX_LIST_ITEMS:,}-item limit",
                               "shorten the list or split the case")
                else:
                    children = [(path + (i,), item) for i, item in enumerate(value)]
            else:
                for key, item in value.items():
                    if isinstance(key, str) and text_problem(key):
                        what, hint, _ = text_problem(key)  # type: ignore[misc]
                        problem = (f"key: {what}", hint)
                        break
                    children.append((path + (key,), item))
        if problem:
            yield path, problem[0], problem[1]
            found += 1
            if found >= limit:
                return
            continue
        stack.extend(reversed(children))
