"""Stage 3, cite: CSL-JSON reference items to formatted bibliography entries.

Owns turning one reference (a CSL-JSON item as Zotero and pandoc export it, e.g. from
`Case.reference_items()`) into a `FormattedReference`: the entry as safe inline HTML and
as plain text, in a named journal style, and for author-year styles the in-text label
("Nauta & Fibbe"), year ("2010a") and sort key that `markup.Citations` and `render` use.
It does not own loading or validating reference files (`load`, `model`), numbering, the
order of the list or the in-text markers (`markup`, `render`), nor the page markup around
an entry (`render`).

Styles (`STYLES`): `nature` (default), `vancouver` (NLM Citing Medicine as PubMed prints
it), `ama` (AMA Manual of Style, 11th ed.) and `apa` (APA 7th ed.). Golden lists from the
style guides' and PubMed's own examples are in tests/fixtures/styles/.

Why not a CSL processor? citeproc-py with the official `nature.csl` gets only 6 of the 24
seed references (tests/fixtures/seed-references.*) right as given, does not read the
`{"literal": "others"}` marker that ends a truncated author list, emits broken HTML, and
costs 1.5-9 ms a reference; the official vancouver/ama/apa CSL files would add their own
gaps (NLM's abbreviated page ranges and "3rd" for III, APA's 2010a letters need the whole
list). These direct formatters depend on nothing beyond the standard library and cost
0.8-1.5 times the first, nature-only version of this module (about 0.03 ms a reference
on an idle core): nature, vancouver and ama at about its cost, apa (up to 20 names,
plus the list's labels and letters) about 1.3-1.5 times
(benchmarks/bench_cite.py, 10,000 references a style; numbers in benchmarks/README.md).

Layering, so that a fifth style is a small, obvious change (one `NameRules`, one layout
function, one line in `_STYLES`):

- helpers, each one rule and separately tested: `initials`, `format_name`, `join_names`
  (the et-al rule, parameterised by `NameRules`: initials' punctuation, hyphens,
  particles, suffix form, et-al limits, APA's ellipsis), `page_range` (en dash),
  `_nlm_pages` (1947-9), `_hyphen_pages`, `year_of` and the date forms, `doi_url`,
  `safe_url`, and the `_Out` builder whose `stop()` adds a full stop unless the text
  already ends in `.`, `?` or `!`;
- a style is a `Style(name, layout, names=NameRules(...), author_year=...)`; the layout
  function (`_nature`, `_vancouver`, `_ama`, `_apa`) places the pieces of one item into
  an `_Out` as segments (plain, italic, bold, link), one branch per kind of item
  (periodical, book, chapter, report, thesis, web page / software, preprint);
- `_Out` renders the segments twice, as plain text and as HTML, so the two forms never
  disagree and escaping happens in exactly one place;
- author-year styles also get, per list, `_author_year`: labels, years with letters for
  works of the same authors and year, longer labels for different author lists that
  would cite alike, and the alphabetical sort key.

Reference fields are untrusted: every piece of text is HTML-escaped, only `http(s)` URLs
with a host are linked (anything else, `javascript:` included, is dropped), and a DOI is
printed and linked only when it has the form `10.NNNN/suffix`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from html import escape
from typing import Any, Callable
from urllib.parse import quote, urlsplit

__all__ = [
    "STYLES",
    "UnknownStyleError",
    "FormattedReference",
    "format_reference",
    "format_references",
    "is_author_year",
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
    label: str = ""
    """Author-year styles: the in-text author part, "Fessler", "Nauta & Fibbe",
    "Zamora et al." (plain text); '' in numeric styles."""
    year: str = ""
    """Author-year styles: the in-text year with any disambiguating letter, "2010a",
    "n.d."; '' in numeric styles."""
    sort_key: tuple = ()
    """Author-year styles: the key that orders the reference list (author, year, title)."""


# --------------------------------------------------------------------------- fields


def _text(value: Any) -> str:
    """A field value as one line of text ('' for missing, empty or non-scalar values)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, bool):
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
    et_al_last: bool = False
    """APA: a long list gives the first `et_al_use_first` names, an ellipsis, then the
    last name (instead of " et al.")."""
    particles_first: bool = False
    """Put a dropping particle before the family name ("van Beethoven L"), as NLM and
    AMA index names, instead of after the initials ("Beethoven, L. van")."""
    suffix_form: str = "as-given"
    """How a suffix prints: "as-given", "no-period" (Jr), "period" (Jr., Sr.; roman
    numerals unchanged) or "ordinal" (NLM: Jr, III -> 3rd)."""
    sort_order: bool = True
    """Family name first ("Vogelstein, B."); False gives "B. Vogelstein" (APA editors)."""


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
    words = given.split()
    if all(w.isalpha() and w[0].isupper() and (len(w) == 1 or len(w) > 3 or not w.isupper())
           for w in words):  # the other common case, "William Gordon"
        return rules.space.join(w[0] + rules.period for w in words)
    out: list[str] = []
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
    if not isinstance(name, (dict, Mapping)):
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
    if not (family.isascii() and given.isascii()) and (_CJK.search(family) or _CJK.search(given)):
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
    if dropping and rules.particles_first:
        family = f"{dropping} {family}"
    elif dropping:
        short = f"{short} {dropping}" if short else dropping
    suffix = _suffix(_text(get("suffix")), rules.suffix_form)
    if not rules.sort_order:
        out = f"{short} {family}" if short else family
        return out + rules.suffix_separator + suffix if suffix else out
    out = family + rules.sort_separator + short if short else family
    return out + rules.suffix_separator + suffix if suffix else out


_ROMAN_ORDINALS = {"II": "2nd", "III": "3rd", "IV": "4th", "V": "5th", "VI": "6th"}


def _suffix(suffix: str, form: str) -> str:
    """A name suffix in a style's form: "Jr." -> "Jr" (no-period), "Jr" -> "Jr." (period),
    "III" -> "3rd" (ordinal, as NLM writes it)."""
    if not suffix or form == "as-given":
        return suffix
    bare = suffix.rstrip(".")
    if form == "ordinal":
        return _ROMAN_ORDINALS.get(bare, bare)
    if form == "period" and bare in ("Jr", "Sr"):
        return bare + "."
    return bare


def join_names(names: Sequence[str], rules: NameRules = NameRules(),
               truncated: bool = False) -> str:
    """Formatted names as one list: "A", "A & B", "A, B & C"; at `rules.et_al_min` names
    or more, the first `rules.et_al_use_first` + " et al.". `truncated` (the source list
    ended in {"literal": "others"}) counts as one more name; a list still short of the
    et-al rule prints the names given + " et al.", with no "&" because the list goes on.
    APA (`rules.et_al_last`) gives the first 19, ". . . " and the last of 21 or more.
    """
    names = [n for n in names if n]
    if not names:
        return ""
    if truncated and rules.et_al_last:
        return rules.delimiter.join(names) + rules.et_al
    # a truncated list had at least one more name than it gives
    if len(names) + truncated >= rules.et_al_min:
        first = rules.delimiter.join(names[: rules.et_al_use_first])
        if rules.et_al_last:
            return first + rules.delimiter + ". . . " + names[-1]
        return first + rules.et_al
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
    if isinstance(raw, (str, dict, Mapping)):
        raw = [raw]
    if not isinstance(raw, (list, tuple, Sequence)):
        return "", 0
    entries = []
    truncated = False
    for entry in raw:
        if isinstance(entry, (dict, Mapping)):
            literal = entry.get("literal")
            if isinstance(literal, str) and literal.strip().lower() in _OTHERS \
                    and not entry.get("family"):
                truncated = True
                continue
        entries.append(entry)
    if len(entries) + truncated >= rules.et_al_min and not (truncated and rules.et_al_last):
        # a long list prints only its first (and, in APA, last) names: format just those
        shown = entries[: rules.et_al_use_first] + entries[-1:] * rules.et_al_last
        names = [format_name(entry, rules) for entry in shown]
        if all(names):
            if rules.et_al_last:
                return (rules.delimiter.join(names[:-1]) + rules.delimiter + ". . . "
                        + names[-1]), len(entries) + truncated
            return rules.delimiter.join(names) + rules.et_al, len(entries) + truncated
    names = [text for text in (format_name(entry, rules) for entry in entries) if text]
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
    if isinstance(date, (dict, Mapping)):
        parts = date.get("date-parts")
        if isinstance(parts, (list, Sequence)) and not isinstance(parts, str) and parts:
            first = parts[0]
            if isinstance(first, (list, Sequence)) and not isinstance(first, str) and first:
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
    if isinstance(date, (dict, Mapping)):
        parts = date.get("date-parts")
        if isinstance(parts, (list, Sequence)) and parts and isinstance(parts[0], (list, Sequence)) \
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

    def glue(self, text: str, kind: int = _PLAIN, href: str = "") -> None:
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
    author_year: bool = False
    """Cited as (Author, Year) and listed alphabetically, rather than by number."""


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
        # Nature prints no DOI for an article with volume or pages: the title links to it
        volume = _field(item, "volume")
        page = _field(item, "page")
        locator = page_range(page) if page else _field(item, "number")
        _nature_authors(item, style, out)
        out.word(title, *((_LINK, doi) if doi and (volume or locator) else ()))
        out.stop()
        if _text(item.get("type")) in ("article-journal", "article", ""):
            journal = _field(item, "container-title-short", "journalAbbreviation",
                             "container-title")
        else:
            journal = _field(item, "container-title")
        out.word(journal, _ITALIC)
        out.word(volume, _BOLD)
        if volume and locator:
            out.comma()
        out.word(locator)
        if not volume and not locator:  # online ahead of print: "*Nature* https://doi.org/… (2020)."
            target = doi or url
            out.word(target, _LINK, target)
        _nature_year(out, item)

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


# --------------------------------------------------------------------------- shared pieces


def _doi(item: Mapping[str, Any]) -> tuple[str, str]:
    """(DOI as printed, its https://doi.org URL) for a valid DOI, else ('', '')."""
    url = doi_url(item.get("DOI"))
    if not url:
        return "", ""
    return _DOI_PREFIX.sub("", _text(item.get("DOI"))), url


def _date_numbers(date: Any) -> list[int]:
    """[year, month, day] (as many as given and valid) of a CSL date, [] when none."""
    parts = date.get("date-parts") if isinstance(date, (dict, Mapping)) else None
    if not (isinstance(parts, (list, Sequence)) and parts and isinstance(parts[0], (list, Sequence))
            and not isinstance(parts[0], str)):
        return []
    nums: list[int] = []
    for value, low, high in zip(parts[0][:3], (-9999, 1, 1), (9999, 12, 31)):
        try:
            number = int(value)
        except (TypeError, ValueError):
            break
        if not low <= number <= high:
            break
        nums.append(number)
    return nums


_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                 "Nov", "Dec")


def _nlm_date(date: Any) -> str:
    """NLM: "2002 Jul 25", "2002 Jul", "2002"."""
    nums = _date_numbers(date)
    if not nums:
        return year_of(date)
    return " ".join([str(nums[0]), *([_MONTHS_SHORT[nums[1] - 1]] if len(nums) > 1 else []),
                     *([str(nums[2])] if len(nums) > 2 else [])])


def _us_date(date: Any) -> str:
    """AMA and APA: "March 16, 2023", "March 2023", "2023"."""
    nums = _date_numbers(date)
    if len(nums) < 2:
        return year_of(date)
    month = _MONTHS[nums[1] - 1]
    return f"{month} {nums[2]}, {nums[0]}" if len(nums) > 2 else f"{month} {nums[0]}"


_SIMPLE_RANGE = re.compile(
    r"([^\W\d_]*)(\d+)\s*(?:-{1,2}|[\u2010\u2011\u2012\u2013\u2014\u2212])\s*([^\W\d_]*)(\d+)")


def _hyphen_pages(page: str) -> str:
    """AMA: every range written out with a hyphen, "1083–90" stays as given but with "-"."""
    return page_range(page).replace("\u2013", "-")


def _nlm_pages(page: str) -> str:
    """NLM: ranges with a hyphen and the repeated leading digits left out, "1947-1949" ->
    "1947-9", "S12-S15" -> "S12-5", "93-113" stays."""
    parts = []
    for part in " ".join(page.split()).split(","):
        part = part.strip()
        match = _SIMPLE_RANGE.fullmatch(part)
        if match:
            prefix, start, end_prefix, end = match.groups()
            if end_prefix in ("", prefix):
                if len(start) == len(end) and end > start:
                    same = 0
                    while start[same] == end[same]:
                        same += 1
                    end = end[same:]
                part = f"{prefix}{start}-{end}"
            else:
                part = f"{prefix}{start}-{end_prefix}{end}"
        parts.append(part)
    return ", ".join(p for p in parts if p)


def _journal(item: Mapping[str, Any], abbreviated: bool) -> str:
    """The journal's name: its abbreviation as given (when `abbreviated` and there is
    one), else its full title."""
    if abbreviated:
        return _field(item, "container-title-short", "journalAbbreviation", "container-title")
    return _field(item, "container-title", "container-title-short", "journalAbbreviation")


def _no_periods(text: str) -> str:
    """NLM and AMA abbreviations carry no full stops: "Clin. Rheumatol." -> "Clin Rheumatol"."""
    return " ".join(text.replace(".", " ").split())


def _edition_ed(item: Mapping[str, Any]) -> str:
    """NLM, AMA and APA: "4" or "4th" -> "4th ed."; other wording as given."""
    edition = _field(item, "edition")
    if edition.isdigit():
        return f"{_ordinal(int(edition))} ed."
    return f"{edition} ed." if _ORDINAL.fullmatch(edition) else edition


def _lead_names(item: Mapping[str, Any], rules: NameRules, editor_words: tuple[str, str],
                editors_fallback: bool = True) -> str:
    """The authors, or (for a book without authors) the editors with `editor_words`
    (one, several) after them."""
    authors, _ = _names(item, "author", rules)
    if authors or not editors_fallback:
        return authors
    editors, count = _names(item, "editor", rules)
    return f"{editors}{editor_words[count > 1]}" if editors else ""


def _url_end(out: _Out, url: str) -> None:
    """A URL as the last piece, linked; NLM adds a full stop only after a trailing "/"."""
    out.word(url, _LINK, url)
    if url.endswith("/"):
        out.glue(".", _PUNCT)


# --------------------------------------------------------------------------- vancouver


def _nlm_place_publisher(item: Mapping[str, Any], date: str, site: bool = False) -> str:
    """"New York: McGraw-Hill; 2002" with whichever parts there are; a web site's name
    (`site`) stands in for a missing publisher."""
    place = _field(item, "publisher-place")
    publisher = _field(item, "publisher", "container-title") if site \
        else _field(item, "publisher")
    who = f"{place}: {publisher}" if place and publisher else place or publisher
    return "; ".join(filter(None, [who, date]))


def _vancouver(item: Mapping[str, Any], style: Style, out: _Out) -> None:
    """NLM Citing Medicine as PubMed prints it: `Halpern SD, Ubel PA, Caplan AL. Title.
    N Engl J Med. 2002 Jul 25;347(4):284-7. doi: 10.x.`; no italics, no bold."""
    kind = _kind(item)
    rules = style.names
    title = _field(item, "title")
    doi, doi_href = _doi(item)
    url = safe_url(item.get("URL"))
    date = _nlm_date(item.get("issued"))
    out.word(_lead_names(item, rules, (", editor", ", editors")))
    out.stop()

    if kind == "periodical":
        out.word(title)
        out.stop()
        out.word(_no_periods(_journal(item, abbreviated=True)))
        out.stop()
        volume, issue = _field(item, "volume"), _field(item, "issue")
        page = _field(item, "page")
        locator = _nlm_pages(page) if page else _field(item, "number")
        where = volume + (f"({issue})" if issue else "")
        out.word(date + (";" if date and where else "") + where
                 + (":" if locator and (date or where) else "") + locator)
        out.stop()
    elif kind in ("book", "chapter"):
        if kind == "chapter":
            out.word(title)
            out.stop()
            editors, count = _names(item, "editor", rules)
            if editors:
                out.word(f"In: {editors}, {'editors' if count > 1 else 'editor'}.")
            else:
                out.word("In:")
            title = _field(item, "container-title")
        out.word(title)
        out.stop()
        out.word(_edition_ed(item))
        out.stop()
        out.word(_nlm_place_publisher(item, date))
        out.stop()
        if kind == "chapter" and _field(item, "page"):
            out.word("p. " + _nlm_pages(_field(item, "page")))
            out.stop()
    else:  # report, thesis, web page, preprint, software
        medium = {"online": " [Internet]", "thesis": " [dissertation]"}.get(kind, "")
        if _text(item.get("type")) == "software":
            medium = " [computer program]"
        out.word(title + medium if title else "")
        out.stop()
        version = _field(item, "version")
        if version:
            out.word(f"Version {version}")
            out.stop()
        if kind == "preprint":
            out.word(_field(item, "container-title", "publisher"))
            out.glue(" [Preprint]")
            out.stop()
            number = _field(item, "number")
            out.word(date + (":" if date and number else "") + number)
        else:
            out.word(_nlm_place_publisher(item, date, site=kind == "online"))
            if item.get("accessed") and url:
                out.glue(f" [cited {_nlm_date(item.get('accessed'))}]")
        out.stop()
        number = _field(item, "number")
        if kind == "report" and number:
            out.word(f"Report No.: {number}")
            out.stop()
    if doi:
        out.word("doi:")
        out.word(doi, _LINK, doi_href)
        out.stop()
    elif url and kind not in ("periodical", "book", "chapter"):
        out.word("Available from:")
        _url_end(out, url)


# --------------------------------------------------------------------------- ama


def _ama_publisher_year(out: _Out, item: Mapping[str, Any], pages: str = "") -> None:
    """"McGraw-Hill; 2002." or, for a chapter, "McGraw-Hill; 2002:93-113." (AMA 11 gives
    no place of publication)."""
    year = year_of(item.get("issued"))
    text = "; ".join(filter(None, [_field(item, "publisher"), year]))
    out.word(text + (":" + pages if pages and text else pages))
    out.stop()


def _ama(item: Mapping[str, Any], style: Style, out: _Out) -> None:
    """AMA Manual of Style, 11th ed.: `Halpern SD, Ubel PA, Caplan AL. Title. *N Engl J
    Med*. 2002;347(4):284-287. doi:10.x` (no full stop after a DOI or URL)."""
    kind = _kind(item)
    rules = style.names
    title = _field(item, "title")
    doi, doi_href = _doi(item)
    url = safe_url(item.get("URL"))
    out.word(_lead_names(item, rules, (", ed", ", eds")))
    out.stop()

    if kind == "periodical":
        out.word(title)
        out.stop()
        out.word(_no_periods(_journal(item, abbreviated=True)), _ITALIC)
        out.stop()
        year = year_of(item.get("issued"))
        volume, issue = _field(item, "volume"), _field(item, "issue")
        page = _field(item, "page")
        locator = _hyphen_pages(page) if page else _field(item, "number")
        where = volume + (f"({issue})" if issue else "")
        out.word(year + (";" if year and where else "") + where
                 + (":" if locator and (year or where) else "") + locator)
        out.stop()
    elif kind in ("book", "chapter"):
        pages = ""
        if kind == "chapter":
            out.word(title)
            out.stop()
            editors, count = _names(item, "editor", rules)
            out.word(f"In: {editors}, {'eds' if count > 1 else 'ed'}." if editors else "In:")
            title = _field(item, "container-title")
            pages = _hyphen_pages(_field(item, "page"))
        out.word(title, _ITALIC)
        out.stop()
        out.word(_edition_ed(item))
        volume = _field(item, "volume")
        if volume:
            out.word(f"Vol {volume}.")
        _ama_publisher_year(out, item, pages)
    else:  # report, thesis, web page, preprint, software
        software = _text(item.get("type")) == "software"
        out.word(title, _ITALIC if kind in ("report", "thesis") else _PLAIN)
        out.stop()
        version = _field(item, "version")
        if version:
            out.word(f"Version {version}.")
        if kind == "online" and not software:
            out.word(_field(item, "container-title", "publisher"))
            out.stop()
            if item.get("issued"):
                out.word(f"Published {_us_date(item.get('issued'))}.")
        elif kind == "preprint":
            out.word(_field(item, "container-title", "publisher"), _ITALIC)
            out.stop()
            if item.get("issued"):
                out.word(f"Preprint posted online {_us_date(item.get('issued'))}.")
        else:
            if kind == "thesis":
                out.word(_field(item, "genre") or "Dissertation")
                out.stop()
            _ama_publisher_year(out, item)
            number = _field(item, "number")
            if kind == "report" and number:
                out.word(f"{_field(item, 'genre') or 'Report'} No. {number}.")
        if item.get("accessed") and url and not doi:
            out.word(f"Accessed {_us_date(item.get('accessed'))}.")
    if doi:
        out.word("doi:")
        out.glue(doi, _LINK, doi_href)
    elif url and kind not in ("periodical", "book", "chapter"):
        out.word(url, _LINK, url)


# --------------------------------------------------------------------------- apa

_AFTER_COLON = re.compile(r"(: )([a-z])(?=[a-z]*(?:[\s,;:.!?)]|\Z))")


def _apa_title(title: str) -> str:
    """APA sentence case as given, but the first word after a colon capitalised
    ("the central role" -> "The central role"); words with capitals inside (mRNA) stay."""
    if ": " not in title:
        return title
    return _AFTER_COLON.sub(lambda m: m.group(1) + m.group(2).upper(), title)


def _apa_date(item: Mapping[str, Any], full: bool) -> str:
    """"(2023, March 16)" for web pages (`full`), "(2002)" otherwise, "(n.d.)" without a
    date; with the disambiguating letter of `year-suffix` ("2010a")."""
    date = item.get("issued")
    suffix = _text(item.get("year-suffix"))
    year = year_of(date)
    if not year:
        return f"(n.d.{'-' + suffix if suffix else ''})"
    nums = _date_numbers(date) if full else []
    if len(nums) >= 2:
        day = f" {nums[2]}" if len(nums) > 2 else ""
        return f"({year}{suffix}, {_MONTHS[nums[1] - 1]}{day})"
    return f"({year}{suffix})"


def _apa(item: Mapping[str, Any], style: Style, out: _Out) -> None:
    """APA 7th ed.: `Halpern, S. D., Ubel, P. A., & Caplan, A. L. (2002). Title. *New
    England Journal of Medicine*, *347*(4), 284–287. https://doi.org/10.x`."""
    kind = _kind(item)
    rules = style.names
    software = _text(item.get("type")) == "software"
    title = _apa_title(_field(item, "title"))
    doi, doi_href = _doi(item)
    url = safe_url(item.get("URL"))
    lead = _lead_names(item, rules, (" (Ed.)", " (Eds.)"), editors_fallback=kind == "book")
    title_kind = _PLAIN if kind in ("periodical", "chapter") else _ITALIC
    date = _apa_date(item, full=kind == "online" and not software)
    if lead:
        out.word(lead)
        out.stop()
        out.word(date)
        out.stop()
    else:  # no author: the title takes the author's place
        out.word(title, title_kind)
        out.stop()
        out.word(date)
        out.stop()
        title = ""
    if kind == "periodical":
        out.word(title)
        out.stop()
        journal = _journal(item, abbreviated=False)
        volume, issue = _field(item, "volume"), _field(item, "issue")
        page = _field(item, "page")
        locator = page_range(page) if page else _field(item, "number")
        if locator and not page:
            locator = f"Article {locator}"
        out.word(journal, _ITALIC)
        if volume:
            out.comma()
            out.word(volume, _ITALIC)
            out.glue(f"({page_range(issue)})" if issue else "")
        if locator:
            out.comma()
            out.word(locator)
        out.stop()
    else:
        publisher = _field(item, "publisher")
        if kind == "chapter":
            in_text = replace(rules, sort_order=False)
            editors, count = _names(item, "editor", in_text)
            if count == 2:  # "B. Vogelstein & K. W. Kinzler", no comma between two
                editors, count = _names(item, "editor", replace(in_text, and_=" & "))
            out.word(title)
            out.stop()
            out.word("In")
            if editors:
                out.word(f"{editors} ({'Eds.' if count > 1 else 'Ed.'})")
                out.comma()
            title = _apa_title(_field(item, "container-title"))
        details = [_edition_ed(item), f"Vol. {_field(item, 'volume')}" if
                   _field(item, "volume") and kind != "chapter" else ""]
        if kind == "chapter" and _field(item, "page"):
            details.append("pp. " + page_range(_field(item, "page")))
        if kind == "report" and _field(item, "number"):
            details.append(f"{_field(item, 'genre') or 'Report'} No. {_field(item, 'number')}")
        if _field(item, "version"):
            details.append(f"Version {_field(item, 'version')}")
        details = [d for d in details if d]
        out.word(title, _ITALIC)
        if details:
            out.word(f"({', '.join(details)})")
        if software:
            out.word("[Computer software]")
        elif kind == "preprint":
            out.word("[Preprint]")
        elif kind == "thesis":
            out.word(f"[{_field(item, 'genre') or 'Doctoral dissertation'}]")
        out.stop()
        if kind in ("online", "preprint") and not software:
            publisher = _field(item, "container-title", "publisher")
        if publisher and publisher != lead.rstrip("."):
            out.word(publisher)
            out.stop()
        if kind == "online" and not item.get("issued") and item.get("accessed") and url:
            out.word(f"Retrieved {_us_date(item.get('accessed'))}, from")
    target = doi_href or (url if kind != "periodical" or not _field(item, "volume") else "")
    if target:
        out.word(target, _LINK, target)


def _sort_text(text: str) -> str:
    """Text for alphabetising: accents and case folded away."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _family(name: Any) -> str:
    """A name's family part as cited in the text: "van der Poll", "R Core Team"."""
    if isinstance(name, str):
        return _text(name)
    if not isinstance(name, (dict, Mapping)):
        return ""
    literal = _text(name.get("literal"))
    if literal:
        return literal
    family = _text(name.get("family"))
    ndp = _text(name.get("non-dropping-particle"))
    if ndp and family:
        family = ndp + ("" if ndp.endswith(("'", "\u2019")) else " ") + family
    return family or _text(name.get("given"))


def _name_list(item: Mapping[str, Any]) -> tuple[list[tuple[str, str]], bool]:
    """(family as cited, given) of each author (else editor) of `item`, and whether the
    list was truncated with {"literal": "others"}."""
    for key in ("author", "editor"):
        raw = item.get(key)
        if isinstance(raw, (str, dict)) or (raw and isinstance(raw, Mapping)):
            raw = [raw]
        if isinstance(raw, (list, tuple)) and raw:
            names, truncated = [], False
            for entry in raw:
                if type(entry) is dict and "literal" not in entry \
                        and "non-dropping-particle" not in entry:  # the common shape
                    family, given = entry.get("family"), entry.get("given")
                    if isinstance(family, str) and family.strip():
                        names.append((family.strip() if "  " not in family
                                      else " ".join(family.split()),
                                      given if isinstance(given, str) else _text(given)))
                        continue
                is_map = isinstance(entry, dict) or isinstance(entry, Mapping)
                literal = entry.get("literal") if is_map else None
                if isinstance(literal, str) and literal.strip().lower() in _OTHERS:
                    truncated = True
                    continue
                family = _family(entry)
                if family:
                    names.append((family, _text(entry.get("given")) if is_map else ""))
            if names:
                return names, truncated
    return [], False


def _cite_label(families: Sequence[str], total: int, shown: int = 1) -> str:
    """APA in-text names: "A", "A & B", "A et al." (three or more); `shown` > 1 lists
    more names before "et al." to tell two works apart ("A, B, et al.")."""
    if total == 1:
        return families[0]
    if total == 2 and len(families) == 2:
        return f"{families[0]} & {families[1]}"
    if shown >= len(families) and total == len(families):
        return ", ".join(families[:-1]) + ", & " + families[-1]
    return ", ".join(families[:shown]) + (", et al." if shown > 1 else " et al.")


def _author_year_keys(item: Mapping[str, Any]) -> tuple[list[str], int, str, tuple, str]:
    """(families, name count, year, sort key, first author's given names) of one item for
    APA citations and order."""
    names, truncated = _name_list(item)
    families = [family for family, _ in names]
    title = _field(item, "title")
    year = year_of(item.get("issued"))
    if names:  # first author's family name and given names, then the others' family names
        who = ((_sort_text(names[0][0]), _sort_text(names[0][1])),
               (_sort_text(" ".join(families[1:])), ""))
    else:
        who = ((_sort_text(title), ""),)
    first_given = names[0][1] if names else ""
    return families, len(names) + truncated, year, (who, year, _sort_text(title)), first_given


def _author_year(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, tuple, str]]:
    """APA (label, year, sort key, year-suffix letter) for each item of one list: works
    with the same authors and year get 2010a, 2010b in title order; different author lists
    that would cite alike ("Sun et al., 2007") list more names until they differ; first
    authors who share a family name but not initials are cited with their initials
    ("A. Kuo, 2010; B. Kuo, 2010")."""
    keys = [_author_year_keys(item) for item in items]
    labels = []
    for (families, total, _, _, _), item in zip(keys, items):
        if families:
            labels.append(_cite_label(families, total))
        else:
            labels.append(f"\u201c{_field(item, 'title')}\u201d")
    givens: dict[str, set[str]] = {}
    for families, _, _, key, given in keys:
        if families:
            givens.setdefault(key[0][0][0], set()).add(key[0][0][1])
    if any(len(g) > 1 for g in givens.values()):
        for i, (families, _, _, key, given) in enumerate(keys):
            if families and given and len(givens[key[0][0][0]]) > 1:
                labels[i] = f"{initials(given)} {labels[i]}"
    letters = [""] * len(items)
    groups: dict[tuple, list[int]] = {}
    for i, (families, total, year, key, _) in enumerate(keys):
        groups.setdefault((key[0], total, year), []).append(i)
    for members in groups.values():
        if len(members) > 1:
            for n, i in enumerate(sorted(members, key=lambda i: keys[i][3][2])):
                letters[i] = chr(ord("a") + n) if n < 26 else str(n + 1)
    clashes: dict[tuple[str, str], list[int]] = {}
    for i, (label, (_, _, year, key, _)) in enumerate(zip(labels, keys)):
        clashes.setdefault((label, year), []).append(i)
    for members in clashes.values():
        authors = {keys[i][3][0] for i in members}
        if len(authors) < 2:
            continue
        for i in members:
            families, total = keys[i][0], keys[i][1]
            others = [keys[j][0] for j in members if keys[j][3][0] != keys[i][3][0]]
            shown = 1
            while shown < len(families) and any(o[:shown] == families[:shown] for o in others):
                shown += 1
            prefix = labels[i][: len(labels[i]) - len(_cite_label(families, total))]
            labels[i] = prefix + _cite_label(families, total, shown)
    out = []
    for label, letter, (_, _, year, key, _) in zip(labels, letters, keys):
        shown_year = (year + letter) if year else ("n.d." + (f"-{letter}" if letter else ""))
        out.append((label, shown_year, key, letter))
    return out


# --------------------------------------------------------------------------- the styles

_NLM_NAMES = NameRules(period="", space="", hyphen=False, sort_separator=" ",
                       suffix_separator=" ", and_=", ", et_al=", et al.", et_al_min=7,
                       et_al_use_first=6, particles_first=True, suffix_form="ordinal")

_STYLES: dict[str, Style] = {
    # more than five authors: the first + "et al."; "Kaelin, W. G. Jr"
    "nature": Style("nature", _nature, NameRules(suffix_separator=" ",
                                                  suffix_form="no-period")),
    # more than six: the first six + ", et al."; "Changeux JP", "Gilstrap LC 3rd"
    "vancouver": Style("vancouver", _vancouver, _NLM_NAMES),
    # more than six: the first three + ", et al."; "Sartre J-P", "Gilstrap LC III"
    "ama": Style("ama", _ama, replace(_NLM_NAMES, hyphen=True, et_al_use_first=3,
                                      suffix_form="no-period")),
    # up to 20 listed; 21 or more: the first 19, ". . .", the last; "Kaelin, W. G., Jr."
    "apa": Style("apa", _apa, NameRules(and_=", & ", et_al=", et al.", et_al_min=21,
                                        et_al_use_first=19, et_al_last=True,
                                        suffix_form="period"), author_year=True),
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


def is_author_year(style: str) -> bool:
    """Whether `style` cites as (Author, Year) with an alphabetical list (APA), rather
    than by number. Raises `UnknownStyleError` for a style not in `STYLES`."""
    return _style(style).author_year


def _format(item: Mapping[str, Any], style: Style, n: int,
            author_year: tuple[str, str, tuple, str] | None = None) -> FormattedReference:
    if not isinstance(item, (dict, Mapping)):
        raise TypeError(f"a reference must be a CSL-JSON object, not {type(item).__name__}")
    out = _Out()
    ref_id = _text(item.get("id")) or f"ref{n}"
    if author_year is None:
        style.layout(item, style, out)
        return FormattedReference(id=ref_id, html=out.html(), text=out.text())
    label, year, key, letter = author_year
    style.layout({**item, "year-suffix": letter} if letter else item, style, out)
    return FormattedReference(id=ref_id, html=out.html(), text=out.text(), label=label,
                              year=year, sort_key=key)


def format_reference(item: Mapping[str, Any], style: str = "nature") -> FormattedReference:
    """One CSL-JSON item formatted in `style` (an id-less item gets the id "ref1").

    Raises `UnknownStyleError` for a style not in `STYLES`.
    """
    chosen = _style(style)
    if chosen.author_year and isinstance(item, (dict, Mapping)):
        return _format(item, chosen, 1, _author_year([item])[0])
    return _format(item, chosen, 1)


def format_references(items: Sequence[Mapping[str, Any]],
                      style: str = "nature") -> list[FormattedReference]:
    """Every item formatted in `style`, in order; an id-less item gets "ref{n}" from its
    1-based position. In an author-year style the items are one list: works that would
    cite alike get year letters (2010a) or longer labels.

    Raises `UnknownStyleError` for a style not in `STYLES`.
    """
    chosen = _style(style)
    if chosen.author_year:
        for item in items:
            if not isinstance(item, (dict, Mapping)):
                raise TypeError(
                    f"a reference must be a CSL-JSON object, not {type(item).__name__}")
        return [_format(item, chosen, n, ay)
                for n, (item, ay) in enumerate(zip(items, _author_year(items)), 1)]
    return [_format(item, chosen, n) for n, item in enumerate(items, 1)]
