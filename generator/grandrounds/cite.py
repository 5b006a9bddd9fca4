"""Stage 3, cite: CSL-JSON reference items to formatted bibliography entries.

Owns turning one reference (a CSL-JSON item as Zotero and pandoc export it, e.g. from
`Case.reference_items()`) into a `FormattedReference`: the entry as safe inline HTML and
as plain text, in a named journal style. It does not own loading or validating reference
files (`load`, `model`), numbering, ordering or in-text citation markers, nor the page
markup around an entry (`render`).

The formatter is written by hand rather than run through a CSL processor. citeproc-py
with the official `nature.csl` gets only 6 of the 24 seed references
(tests/fixtures/seed-references.*) right as given, does not read the `{"literal":
"others"}` marker that ends a truncated author list, emits broken HTML, and costs 1.5-9 ms
a reference; this direct formatter costs about 0.03 ms a reference and has no
dependencies beyond the standard library.

Layering, so that more styles (vancouver, ama, apa) are small additions:

- helpers, each one rule and separately tested: `initials`, `format_name`, `join_names`
  (the et-al rule, parameterised by `NameRules`), `page_range`, `year_of`, `doi_url`,
  `safe_url`, and the `_Out` builder whose `stop()` adds a full stop unless the text
  already ends in `.`, `?` or `!`;
- a style is a `Style(name, names=NameRules(...), layout=function)`; the layout function
  places the pieces of one item into an `_Out` as segments (plain, italic, bold, link);
- `_Out` renders the segments twice, as plain text and as HTML, so the two forms never
  disagree and escaping happens in exactly one place.

Reference fields are untrusted: every piece of text is HTML-escaped, only `http(s)` URLs
with a host are linked (anything else, `javascript:` included, is dropped), and a DOI is
linked only when it has the form `10.NNNN/suffix`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any, Callable
from urllib.parse import quote, urlsplit

__all__ = [
    "STYLES",
    "UnknownStyleError",
    "FormattedReference",
    "format_reference",
    "format_references",
    "NameRules",
    "Style",
    "initials",
    "format_name",
    "join_names",
    "page_range",
    "year_of",
    "doi_url",
    "safe_url",
]


class UnknownStyleError(ValueError):
    """A citation style name that this module does not implement."""


@dataclass(frozen=True)
class FormattedReference:
    """One formatted bibliography entry."""

    id: str
    """The CSL item's `id`, or `ref{n}` (1-based position) when it has none."""
    html: str
    """Safe inline HTML: `<em>`, `<strong>`, `<a href>`; all text escaped."""
    text: str
    """The same entry as plain text."""


# --------------------------------------------------------------------------- fields


def _text(value: Any) -> str:
    """A field value as one line of text ('' for missing, empty or non-scalar values)."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool) or value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else str(value)
    return ""


def _field(item: Mapping[str, Any], *keys: str) -> str:
    """The first non-empty of `keys` in `item`, as text."""
    for key in keys:
        value = _text(item.get(key))
        if value:
            return value
    return ""


# --------------------------------------------------------------------------- names


@dataclass(frozen=True)
class NameRules:
    """How a style prints personal names and name lists.

    Nature: ``Family, G. I.`` joined by ", " with " & " before the last; six or more
    names print as the first one + " et al.". Vancouver would be
    ``NameRules(period="", space="", sort_separator=" ", and_=", ", et_al=", et al.",
    et_al_min=7, et_al_use_first=6)``.
    """

    period: str = "."
    """After each initial."""
    space: str = " "
    """Between the initials of separate given names."""
    hyphen: bool = True
    """Keep the hyphen of a hyphenated given name (Jean-Pierre -> J.-P.)."""
    sort_separator: str = ", "
    """Between the family name and the initials."""
    suffix_separator: str = ", "
    """Between the initials and a suffix (Jr, III)."""
    delimiter: str = ", "
    """Between names."""
    and_: str = " & "
    """Between the last two names of a complete list."""
    et_al: str = " et al."
    """After a truncated list."""
    et_al_min: int = 6
    """Lists this long or longer are truncated ..."""
    et_al_use_first: int = 1
    """... to this many names."""


_OTHERS = frozenset({"others", "et al", "et al.", "et. al."})
_CJK = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                  "\uac00-\ud7af\uf900-\ufaff]")
_ALL_CAPS_INITIALS = re.compile(r"[^\W\d_]{1,3}")
_DOTTED_INITIALS = re.compile(r"(?:[^\W\d_]\. ?)*[^\W\d_]\.")


def _initial(part: str) -> str:
    """The first letter of `part` (with any combining accents), or '' if it has none."""
    for i, ch in enumerate(part):
        if ch.isalpha():
            j = i + 1
            while j < len(part) and unicodedata.combining(part[j]):
                j += 1
            return part[i:j]
    return ""


def initials(given: str, rules: NameRules = NameRules()) -> str:
    """Given names reduced to initials: "Alberto Santiago" and "A.S." -> "A. S.",
    "Jean-Pierre" -> "J.-P.", "AS" (PubMed style) -> "A. S.".

    A short abbreviation that is written with a full stop ("Th.", "Ch.") is kept as
    written. Lower-case words (particles such as "van", "de") are left out; see
    `format_name` for where they go.
    """
    if _DOTTED_INITIALS.fullmatch(given):  # the common case, "A. S." / "A.S." / "A."
        return rules.space.join(ch + rules.period for ch in given if ch.isalpha())
    out: list[str] = []
    words = given.split()
    # particles are skipped, unless the whole name is written in lower case
    skip_lower = any(not w[0].islower() for w in words)
    for word in words:
        if skip_lower and word[0].islower():
            continue
        if "." not in word and word.isupper() and _ALL_CAPS_INITIALS.fullmatch(word):
            out.extend(ch + rules.period for ch in word)  # "AS" -> A. S.
            continue
        pieces: list[str] = []
        for part in word.split("-"):
            if not part:
                continue
            letters = [p for p in part.split(".") if p]
            if part.endswith(".") and len(letters) == 1 and 1 < len(letters[0]) <= 3 \
                    and letters[0].isalpha():
                pieces.append(letters[0] + rules.period)  # "Th." stays "Th."
                continue
            abbrev = [_initial(p) for p in letters]
            abbrev = [a + rules.period for a in abbrev if a]
            if abbrev:
                # "A.S." inside one word is two initials; a hyphen joins its parts.
                pieces.append(rules.space.join(abbrev))
        if pieces:
            out.append(("-" if rules.hyphen else "").join(pieces))
    return rules.space.join(out)


def format_name(name: Mapping[str, Any] | str, rules: NameRules = NameRules()) -> str:
    """One CSL name in sort order: {"family": "Santos-Ocampo", "given": "Alberto S."}
    -> "Santos-Ocampo, A. S.".

    A `literal` (group author) prints as given. Particles are kept as given: a
    `non-dropping-particle` (or one written inside `family`, "van der Berg") stays before
    the family name, a `dropping-particle` (or trailing lower-case words of `given`,
    "Ludwig van") goes after the initials. A `suffix` follows after a comma
    ("King, M. L., Jr"). Names in CJK script print as family + given, not initialised.
    """
    if isinstance(name, str):
        return _text(name)
    if not isinstance(name, Mapping):
        return ""
    get = name.get
    literal = get("literal")
    if literal:
        literal = _text(literal)
        if literal:
            return literal
    family = _text(get("family"))
    given = _text(get("given"))
    if not family:
        # a mononym or a name with no family part: print what there is, unabbreviated
        return " ".join(filter(None, [given, _text(get("suffix"))]))
    if _CJK.search(family) or _CJK.search(given):
        return family + given
    ndp = get("non-dropping-particle")
    if ndp:
        ndp = _text(ndp)
        family = ndp + ("" if ndp.endswith(("'", "\u2019")) else " ") + family
    words = given.split()
    if words and words[-1][0].islower():
        trailing = []
        while len(words) > 1 and words[-1][0].islower() and "." not in words[-1]:
            trailing.insert(0, words.pop())
        given = " ".join(words)
        dropping = " ".join(
            filter(None, [" ".join(trailing), _text(get("dropping-particle"))]))
    else:
        dropping = _text(get("dropping-particle"))
    short = initials(given, rules) if given else ""
    if dropping:
        short = f"{short} {dropping}" if short else dropping
    out = family + rules.sort_separator + short if short else family
    suffix = get("suffix")
    return out + rules.suffix_separator + _text(suffix) if suffix else out


def join_names(names: Sequence[str], rules: NameRules = NameRules(),
               truncated: bool = False) -> str:
    """Formatted names as one list: "A", "A & B", "A, B & C"; at `rules.et_al_min` names
    or more, the first `rules.et_al_use_first` + " et al.". `truncated` (the source list
    ended in {"literal": "others"}) prints the names given + " et al.", with no "&"
    because the list goes on.
    """
    names = [n for n in names if n]
    if not names:
        return ""
    if len(names) >= rules.et_al_min:
        return rules.delimiter.join(names[: rules.et_al_use_first]) + rules.et_al
    if truncated:
        return rules.delimiter.join(names) + rules.et_al
    if len(names) == 1:
        return names[0]
    return rules.delimiter.join(names[:-1]) + rules.and_ + names[-1]


def _names(item: Mapping[str, Any], key: str, rules: NameRules) -> tuple[str, int]:
    """The `key` name list of `item` formatted, and how many names it had (for labels)."""
    raw = item.get(key)
    if not raw:
        return "", 0
    if isinstance(raw, (str, Mapping)):
        raw = [raw]
    if not isinstance(raw, Sequence):
        return "", 0
    names: list[str] = []
    truncated = False
    for entry in raw:
        if isinstance(entry, Mapping):
            literal = entry.get("literal")
            if isinstance(literal, str) and literal.strip().lower() in _OTHERS \
                    and not entry.get("family"):
                truncated = True
                continue
        text = format_name(entry, rules)
        if text:
            names.append(text)
    return join_names(names, rules, truncated), len(names) + truncated


# --------------------------------------------------------------------------- other fields

_RANGE_DASH = re.compile(
    r"(?<=\d)\s*(?:-{1,2}|[\u2010\u2011\u2012\u2013\u2014\u2212])\s*(?=[^\W\d_]{0,3}\d)")


def page_range(page: str) -> str:
    """A page field as printed: a hyphen (or other dash) between numbers becomes an en
    dash, "1083-1090" -> "1083–1090", "S12 - S15" -> "S12–S15"; ranges stay as given
    (no expansion of "1083-90"), anything else is left alone.
    """
    return _RANGE_DASH.sub("\u2013", " ".join(page.split()))


_YEAR = re.compile(r"\b(\d{4})\b")


def year_of(date: Any) -> str:
    """The year of a CSL date ({"date-parts": [[2009, 5]]}, {"raw": "2009-05"},
    {"literal": "in the press"}, or a bare 2009 / "2009"), '' when there is none."""
    if isinstance(date, Mapping):
        parts = date.get("date-parts")
        if isinstance(parts, Sequence) and not isinstance(parts, str) and parts:
            first = parts[0]
            if isinstance(first, Sequence) and not isinstance(first, str) and first:
                year = _text(first[0])
                if year:
                    return year
        literal = _text(date.get("literal"))
        if literal:
            return literal
        raw = _text(date.get("raw"))
        found = _YEAR.search(raw)
        return found.group(1) if found else raw
    text = _text(date)
    found = _YEAR.search(text)
    return found.group(1) if found else text


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def _full_date(date: Any) -> str:
    """"5 May 2021" from {"date-parts": [[2021, 5, 5]]}; falls back to `year_of`."""
    if isinstance(date, Mapping):
        parts = date.get("date-parts")
        if isinstance(parts, Sequence) and parts and isinstance(parts[0], Sequence) \
                and not isinstance(parts[0], str):
            try:
                nums = [int(p) for p in parts[0][:3]]
            except (TypeError, ValueError):
                nums = []
            if len(nums) >= 2 and 1 <= nums[1] <= 12:
                month = _MONTHS[nums[1] - 1]
                day = f"{nums[2]} " if len(nums) == 3 and 1 <= nums[2] <= 31 else ""
                return f"{day}{month} {nums[0]}"
    return year_of(date)


_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi\.org/|doi:\s*)", re.I)
_DOI_SAFE = "/:;()._-~!$&'*+,=@"


def doi_url(doi: Any) -> str:
    """"https://doi.org/" + the DOI when `doi` is a valid DOI (10.NNNN/suffix, optionally
    written as doi:... or as a doi.org URL), else ''. Characters that would change the
    URL's meaning (#, ?, %, quotes, <>) are percent-encoded."""
    text = _DOI_PREFIX.sub("", _text(doi))
    if not _DOI.fullmatch(text) or not text.isprintable():
        return ""
    return "https://doi.org/" + quote(text, safe=_DOI_SAFE)


def safe_url(url: Any) -> str:
    """`url` when it is an http(s) URL with a host and no whitespace or control
    characters, else '' (`javascript:`, `data:`, relative and malformed URLs)."""
    if not isinstance(url, str):
        return ""
    url = url.strip()
    if not url or not url.isprintable() or any(ch.isspace() for ch in url):
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return ""
    return url


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# --------------------------------------------------------------------------- output

_PLAIN, _ITALIC, _BOLD, _LINK, _PUNCT = 0, 1, 2, 3, 4
"""Segment kinds; _PUNCT is the builder's own " ", "." and ",", which need no escaping."""
_OPEN = ("", "<em>", "<strong>")
_CLOSE = ("", "</em>", "</strong>")
_ENDS_SENTENCE = (".", "?", "!")
_SPACE = (_PUNCT, " ", "")
_STOP = (_PUNCT, ".", "")
_COMMA = (_PUNCT, ",", "")


class _Out:
    """Segments of one entry, rendered as plain text and as HTML.

    A segment is (kind, text, href). `word()` starts a new space-separated piece (empty
    text adds nothing, so missing fields leave no stray spaces), `comma()` ends the
    current piece with a comma, `stop()` with a full stop unless it already ends in
    ".", "?" or "!".
    """

    __slots__ = ("segs",)

    def __init__(self) -> None:
        self.segs: list[tuple[int, str, str]] = []

    def word(self, text: str, kind: int = _PLAIN, href: str = "") -> None:
        if text:
            if self.segs:
                self.segs.append(_SPACE)
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
            if kind == _PUNCT:
                parts.append(text)
            elif kind == _LINK:
                parts.append(f'<a href="{escape(href)}">{escape(text)}</a>')
            else:
                parts.append(_OPEN[kind] + escape(text) + _CLOSE[kind])
        return "".join(parts)


# --------------------------------------------------------------------------- styles


@dataclass(frozen=True)
class Style:
    """A citation style: how it prints names, and a layout that places one item's pieces.

    `layout(item, style, out)` adds the item's segments to `out`. A new style is a new
    `Style(...)` in `_STYLES` (usually with its own layout function reusing the helpers).
    """

    name: str
    layout: Callable[[Mapping[str, Any], "Style", _Out], None]
    names: NameRules = field(default_factory=NameRules)


# Which layout of a style an item type gets (CSL 1.0.2 type names).
_PERIODICAL = frozenset({"article-journal", "article-magazine", "article-newspaper",
                         "review", "review-book", "periodical"})
_BOOK = frozenset({"book", "bill", "classic", "graphic", "legal_case", "legislation",
                   "manuscript", "map", "motion_picture", "musical_score", "pamphlet",
                   "song", "standard", "treaty", "broadcast"})
_IN_BOOK = frozenset({"chapter", "paper-conference", "entry", "entry-dictionary",
                      "entry-encyclopedia"})
_ONLINE = frozenset({"webpage", "post", "post-weblog", "dataset", "software"})
_PREPRINT = frozenset({"article", "preprint"})


def _kind(item: Mapping[str, Any]) -> str:
    kind = _text(item.get("type")) or "article-journal"
    if kind in _PERIODICAL:
        return "periodical"
    if kind in _PREPRINT:
        return "periodical" if _field(item, "volume", "page") else "preprint"
    if kind in _BOOK:
        return "book"
    if kind in _IN_BOOK:
        return "chapter"
    if kind in _ONLINE:
        return "online"
    if kind in ("report", "thesis"):
        return kind
    return "periodical" if _field(item, "container-title") else "book"


def _edition(item: Mapping[str, Any]) -> str:
    """"2" -> "2nd edn", "2nd" -> "2nd edn"; other wording ("Second edition") as given."""
    edition = _field(item, "edition")
    if edition.isdigit():
        return f"{_ordinal(int(edition))} edn"
    return f"{edition} edn" if _ORDINAL.fullmatch(edition) else edition


_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.I)


def _nature_authors(item: Mapping[str, Any], style: Style, out: _Out,
                    editors_fallback: bool = False) -> None:
    authors, _ = _names(item, "author", style.names)
    if authors:
        out.word(authors)
        out.stop()
    elif editors_fallback:
        editors, count = _names(item, "editor", style.names)
        if editors:
            out.word(f"{editors} ({'eds' if count > 1 else 'ed.'})")


def _nature_year(out: _Out, item: Mapping[str, Any], publisher: str = "") -> None:
    """" (Publisher, Year)" / " (Year)" / nothing, then the closing full stop."""
    inside = ", ".join(filter(None, [publisher, year_of(item.get("issued"))]))
    if inside:
        out.word(f"({inside})")
    out.stop()


def _nature(item: Mapping[str, Any], style: Style, out: _Out) -> None:
    """Nature: `Santos-Ocampo, A. S., Mandell, B. F. & Fessler, B. J. Title. *Chest*
    **118**, 1083–1090 (2000).`; see the module tests for books, chapters, reports,
    web pages, preprints and software."""
    kind = _kind(item)
    title = _field(item, "title")
    doi = doi_url(item.get("DOI"))
    url = safe_url(item.get("URL"))
    link = ""  # appended after the closing full stop

    if kind == "periodical":
        _nature_authors(item, style, out)
        out.word(title)
        out.stop()
        if _text(item.get("type")) in ("article-journal", "article", ""):
            journal = _field(item, "container-title-short", "journalAbbreviation",
                             "container-title")
        else:
            journal = _field(item, "container-title")
        out.word(journal, _ITALIC)
        volume = _field(item, "volume")
        page = _field(item, "page")
        locator = page_range(page) if page else _field(item, "number")
        out.word(volume, _BOLD)
        if volume and locator:
            out.comma()
        out.word(locator)
        _nature_year(out, item)
        link = doi or (url if not volume and not locator else "")

    elif kind == "book":
        _nature_authors(item, style, out, editors_fallback=True)
        out.word(title, _ITALIC)
        out.word(_edition(item))
        volume = _field(item, "volume")
        if volume:
            out.word(f"Vol. {volume}")
        _nature_year(out, item, _field(item, "publisher"))
        link = doi

    elif kind == "chapter":
        _nature_authors(item, style, out)
        container = _field(item, "container-title")
        if title and (_text(item.get("type")) != "chapter" or not container):
            out.word(title)
            out.stop()
        if container:
            out.word("in")
            out.word(container, _ITALIC)
            out.word(_edition(item))
        editors, count = _names(item, "editor", style.names)
        if editors:
            out.word(f"({'eds' if count > 1 else 'ed.'} {editors})")
        out.word(page_range(_field(item, "page")))
        _nature_year(out, item, _field(item, "publisher"))
        link = doi

    elif kind == "report":
        _nature_authors(item, style, out)
        out.word(title, _ITALIC)
        number = _field(item, "number")
        if number:
            out.stop()
            out.word(f"{_field(item, 'genre') or 'Report'} No. {number}")
        _nature_year(out, item, _field(item, "publisher"))
        link = doi or url

    elif kind == "thesis":
        _nature_authors(item, style, out)
        out.word(title, _ITALIC)
        out.stop()
        out.word(", ".join(filter(None, [_field(item, "genre") or "Thesis",
                                          _field(item, "publisher")])))
        _nature_year(out, item)
        link = doi

    else:  # online: web page, post, dataset, software; preprint
        _nature_authors(item, style, out)
        out.word(title)
        version = _field(item, "version")
        if version:
            out.word(f"version {version}" if version[0].isdigit() else version)
        out.stop()
        where = _field(item, "container-title", "publisher")
        if kind == "preprint":
            out.word("Preprint at" if where or doi or url else "Preprint")
            out.word(where)
        else:
            out.word(where, _ITALIC)
        target = doi or url
        out.word(target, _LINK, target)
        year = year_of(item.get("issued"))
        if year:
            out.word(f"({year})")
        elif item.get("accessed"):
            out.word(f"(accessed {_full_date(item.get('accessed'))})")
        out.stop()

    if link:
        out.word(link, _LINK, link)


_STYLES: dict[str, Style] = {
    "nature": Style("nature", _nature, NameRules()),
}

STYLES: tuple[str, ...] = tuple(_STYLES)
"""The style names `format_reference` accepts."""


# --------------------------------------------------------------------------- API


def _style(name: str) -> Style:
    try:
        return _STYLES[name]
    except (KeyError, TypeError):
        raise UnknownStyleError(
            f"unknown citation style {name!r}; known styles: {', '.join(STYLES)}") from None


def _format(item: Mapping[str, Any], style: Style, n: int) -> FormattedReference:
    if not isinstance(item, Mapping):
        raise TypeError(f"a reference must be a CSL-JSON object, not {type(item).__name__}")
    out = _Out()
    style.layout(item, style, out)
    ref_id = _text(item.get("id")) or f"ref{n}"
    return FormattedReference(id=ref_id, html=out.html(), text=out.text())


def format_reference(item: Mapping[str, Any], style: str = "nature") -> FormattedReference:
    """One CSL-JSON item formatted in `style` (an id-less item gets the id "ref1").

    Raises `UnknownStyleError` for a style not in `STYLES`.
    """
    return _format(item, _style(style), 1)


def format_references(items: Sequence[Mapping[str, Any]],
                      style: str = "nature") -> list[FormattedReference]:
    """Every item formatted in `style`, in order; an id-less item gets "ref{n}" from its
    1-based position.

    Raises `UnknownStyleError` for a style not in `STYLES`.
    """
    chosen = _style(style)
    return [_format(item, chosen, n) for n, item in enumerate(items, 1)]
