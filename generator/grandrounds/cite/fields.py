"""Reference fields as the styles print them: text, dates, pages, DOIs, URLs, editions.

Owns reading one CSL-JSON field as one line of text (`text_of`, `field`), which layout
branch an item type gets (`kind_of`), and each field form a style may ask for: years and
date forms ("5 May 2021", "2002 Jul 25", "March 16, 2023"), page ranges (en dash,
NLM's "1947-9", AMA's hyphen), the DOI (only `10.NNNN/suffix`) and URL (only http(s) with
a host) checks, editions ("2nd edn", "2nd ed."), the journal name and NLM's full-stop-free
abbreviations. Every function is one rule on untrusted data: it returns '' (or [])
rather than raising for a missing, malformed or non-scalar value. Names are `names.py`'s.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

__all__ = [
    "text_of", "field", "kind_of", "page_range", "hyphen_pages", "nlm_pages", "year_of",
    "MONTHS", "full_date", "date_numbers", "nlm_date", "us_date", "doi_url", "doi_of",
    "safe_url", "ordinal", "edition", "edition_number", "journal_name", "no_periods",
    "PAGE_FORMS",
]


def text_of(value: Any) -> str:
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


def field(item: Mapping[str, Any], *keys: str) -> str:
    """The first non-empty of `keys` in `item`, as text."""
    for key in keys:
        value = text_of(item.get(key))
        if value:
            return value
    return ""


# --------------------------------------------------------------------------- kinds

# Which layout branch an item type gets (CSL 1.0.2 type names).
_PERIODICAL = frozenset({"article-journal", "article-magazine", "article-newspaper",
                         "review", "review-book", "periodical"})
_BOOK = frozenset({"book", "bill", "classic", "graphic", "legal_case", "legislation",
                   "manuscript", "map", "motion_picture", "musical_score", "pamphlet",
                   "song", "standard", "treaty", "broadcast"})
_IN_BOOK = frozenset({"chapter", "paper-conference", "entry", "entry-dictionary",
                      "entry-encyclopedia"})
_ONLINE = frozenset({"webpage", "post", "post-weblog", "dataset", "software"})
_PREPRINT = frozenset({"article", "preprint"})


def kind_of(item: Mapping[str, Any]) -> str:
    """The layout branch of `item`: "periodical", "book", "chapter", "report", "thesis",
    "online" (web page, post, dataset, software) or "preprint" (an `article` with a volume
    or pages is a periodical); an unknown type is a periodical when it names a container."""
    type_ = text_of(item.get("type")) or "article-journal"
    if type_ in _PERIODICAL:
        return "periodical"
    if type_ in _PREPRINT:
        return "periodical" if field(item, "volume", "page") else "preprint"
    if type_ in _BOOK:
        return "book"
    if type_ in _IN_BOOK:
        return "chapter"
    if type_ in _ONLINE:
        return "online"
    if type_ in ("report", "thesis"):
        return type_
    return "periodical" if field(item, "container-title") else "book"


# --------------------------------------------------------------------------- pages

_DASHES = r"(?:-{1,2}|[\u2010\u2011\u2012\u2013\u2014\u2212])"
_RANGE_DASH = re.compile(r"(?<=\d)\s*" + _DASHES + r"\s*(?=[^\W\d_]{0,3}\d)")
_RANGE = re.compile(r"(?<![\w.])([^\W\d_]{0,3})(\d+)([^\W\d_]{0,3})\s*" + _DASHES
                    + r"\s*([^\W\d_]{0,3})(\d+)([^\W\d_]{0,3})(?![\w]|\.\w)")
"""A range of page numbers with up to three letters before or after each number:
"1947-9", "775S-778S", "E93-5", "ii165-ii173", "S12 – S15". A compound number
("71.e1-71.e8") is not one: only its dash changes."""
_ROMAN_RANGE = re.compile(r"(?<![\w.])([ivxlcdm]+|[IVXLCDM]+)\s*" + _DASHES
                          + r"\s*([ivxlcdm]+|[IVXLCDM]+)(?!\w)")
"""A range of front-matter pages in roman numerals, "iii-v" (NLM sample 'Pagination in
roman numerals'): it takes the style's dash, its numerals as given."""

PAGE_FORMS = ("as given", "full", "abbreviated")
"""`page_range` forms: the digits as the source wrote them; inclusive numbers in full
(AMA 11th, APA 7th: "132-135"); repeated leading digits left out (NLM: "132-5")."""


def page_range(page: str, form: str = "as given", dash: str = "\u2013") -> str:
    """A page field as a style prints it: every range between numbers gets `dash` (en dash
    by default) and the digits of its end in `form` (one of `PAGE_FORMS`):

    - "as given": "1083-90" -> "1083–90", "S12 - S15" -> "S12–S15";
    - "full": "132-5" -> "132–135", "E93-5" -> "E93–E95", "775S-8S" -> "775S–778S";
    - "abbreviated" (NLM, "only the digits which change"): "1947-1949" -> "1947-9",
      "S12-S15" -> "S12-5", "775S-778S" -> "775S-8S", "ii165-ii173" -> "ii165-73",
      "93-113" stays.

    A range whose letters differ at its two ends ("A12-B3") or whose end is below its
    start keeps its digits as given; a range of roman numerals ("iii-v") takes the dash
    only; text that is not a range is left alone.
    """
    text = " ".join(page.split())
    if form not in PAGE_FORMS:
        raise ValueError(f"unknown page form {form!r}; known: {', '.join(PAGE_FORMS)}")
    text = _RANGE.sub(lambda m: _one_range(m.groups(), form, dash), text)
    if not text[:1].isdigit():  # front matter: "iii-v" -> "iii–v"
        text = _ROMAN_RANGE.sub(lambda m: f"{m.group(1)}{dash}{m.group(2)}", text)
    return _RANGE_DASH.sub(dash, text)


def _one_range(parts: tuple[str, ...], form: str, dash: str) -> str:
    """One matched range (prefix, start, suffix, end prefix, end, end suffix) in `form`."""
    prefix, start, suffix, end_prefix, end, end_suffix = parts
    as_given = f"{prefix}{start}{suffix}{dash}{end_prefix}{end}{end_suffix}"
    if form == "as given" or end_prefix not in ("", prefix) or end_suffix not in ("", suffix):
        return as_given
    whole = start[:len(start) - len(end)] + end if len(end) < len(start) else end
    if (len(whole), whole) < (len(start), start):
        return as_given
    if form == "full":
        return f"{prefix}{start}{suffix}{dash}{prefix}{whole}{suffix}"
    if len(whole) == len(start) and whole != start:
        same = 0
        while start[same] == whole[same]:
            same += 1
        whole = whole[same:]
    return f"{prefix}{start}{suffix}{dash}{whole}{suffix}"


def hyphen_pages(page: str) -> str:
    """AMA 11th: inclusive page numbers in full, with a hyphen: "1083–90" -> "1083-1090"."""
    return page_range(page, "full", "-")


def nlm_pages(page: str) -> str:
    """NLM: ranges with a hyphen and the repeated leading digits left out, "1947-1949" ->
    "1947-9", "S12-S15" -> "S12-5", "93-113" stays."""
    return page_range(page, "abbreviated", "-")


# --------------------------------------------------------------------------- dates

_YEAR = re.compile(r"\b(\d{4})\b")


def year_of(date: Any) -> str:
    """The year of a CSL date ({"date-parts": [[2009, 5]]}, {"raw": "2009-05"},
    {"literal": "in the press"}, or a bare 2009 / "2009"), '' when there is none."""
    if isinstance(date, (dict, Mapping)):
        parts = date.get("date-parts")
        if isinstance(parts, (list, Sequence)) and not isinstance(parts, str) and parts:
            first = parts[0]
            if isinstance(first, (list, Sequence)) and not isinstance(first, str) and first:
                year = text_of(first[0])
                if year:
                    return year
        literal = text_of(date.get("literal"))
        if literal:
            return literal
        raw = text_of(date.get("raw"))
        found = _YEAR.search(raw)
        return found.group(1) if found else raw
    text = text_of(date)
    found = _YEAR.search(text)
    return found.group(1) if found else text


MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")
_MONTHS_SHORT = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                 "Nov", "Dec")


def full_date(date: Any) -> str:
    """"5 May 2021" from {"date-parts": [[2021, 5, 5]]}; falls back to `year_of`."""
    if isinstance(date, (dict, Mapping)):
        parts = date.get("date-parts")
        if isinstance(parts, (list, Sequence)) and parts and isinstance(parts[0], (list, Sequence)) \
                and not isinstance(parts[0], str):
            try:
                nums = [int(p) for p in parts[0][:3]]
            except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
                nums = []
            if len(nums) >= 2 and 1 <= nums[1] <= 12:
                month = MONTHS[nums[1] - 1]
                day = f"{nums[2]} " if len(nums) == 3 and 1 <= nums[2] <= 31 else ""
                return f"{day}{month} {nums[0]}"
    return year_of(date)


def date_numbers(date: Any) -> list[int]:
    """[year, month, day] (as many as given and valid) of a CSL date, [] when none."""
    parts = date.get("date-parts") if isinstance(date, (dict, Mapping)) else None
    if not (isinstance(parts, (list, Sequence)) and parts and isinstance(parts[0], (list, Sequence))
            and not isinstance(parts[0], str)):
        return []
    nums: list[int] = []
    for value, low, high in zip(parts[0][:3], (-9999, 1, 1), (9999, 12, 31)):
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
            break
        if not low <= number <= high:
            break
        nums.append(number)
    return nums


_SEASONS = {21: "Spring", 22: "Summer", 23: "Autumn", 24: "Winter"}
"""CSL's season "months" 21-24."""
_PRINTED_NLM_DATE = re.compile(
    r"\d{4}(?: (?:[A-Z][a-z]{2}(?:-[A-Z][a-z]{2})?|Spring|Summer|Fall|Autumn|Winter)"
    r"(?: \d{1,2}(?:-\d{1,2})?)?)?(?:-\d{4}(?: [A-Z][a-z]{2})?)?")
"""An NLM date as printed: "2017 Nov-Dec", "2019 Spring", "2002 Jul 25", "2017 Dec-2018 Jan"."""


def _nlm_parts(parts: Any) -> list[str]:
    """[year, month or season, day] as NLM prints them, from one CSL date-parts list."""
    if not isinstance(parts, (list, Sequence)) or isinstance(parts, str):
        return []
    out: list[str] = []
    for value, position in zip(parts[:3], range(3)):
        try:
            number = int(value)
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(inf)
            break
        if position == 0 and -9999 <= number <= 9999:
            out.append(str(number))
        elif position == 1 and 1 <= number <= 12:
            out.append(_MONTHS_SHORT[number - 1])
        elif position == 1 and number in _SEASONS:
            out.append(_SEASONS[number])
            break
        elif position == 2 and 1 <= number <= 31:
            out.append(str(number))
        else:
            break
    return out


def nlm_date(date: Any) -> str:
    """NLM: "2002 Jul 25", "2002 Jul", "2002"; a season "2019 Spring" (CSL month 21-24 or
    a `season` field); a range "2017 Nov-Dec", "2017 Dec-2018 Jan", "2017 Nov 5-9"; a raw
    date already in NLM's form ("2017 Nov-Dec") kept as printed."""
    if not isinstance(date, (dict, Mapping)):
        return year_of(date)
    parts = date.get("date-parts")
    first = _nlm_parts(parts[0]) if isinstance(parts, (list, Sequence)) and parts \
        and not isinstance(parts, str) else []
    if not first:
        raw = text_of(date.get("raw"))
        return raw if _PRINTED_NLM_DATE.fullmatch(raw) else year_of(date)
    season = text_of(date.get("season"))
    if len(first) == 1 and season.isalpha() and len(season) <= 20:
        first.append(season)
    last = _nlm_parts(parts[1]) if len(parts) > 1 else []
    if not last or last == first:
        return " ".join(first)
    same = 0
    while same < min(len(first), len(last)) and first[same] == last[same]:
        same += 1
    if same == 0:
        return " ".join(first) + "-" + " ".join(last)
    return " ".join(first) + "-" + " ".join(last[same:]) if last[same:] else " ".join(first)


def us_date(date: Any) -> str:
    """AMA and APA: "March 16, 2023", "March 2023", "2023"."""
    nums = date_numbers(date)
    if len(nums) < 2:
        return year_of(date)
    month = MONTHS[nums[1] - 1]
    return f"{month} {nums[2]}, {nums[0]}" if len(nums) > 2 else f"{month} {nums[0]}"


# --------------------------------------------------------------------------- DOIs and URLs

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi\.org/|doi:\s*)", re.I)
_DOI_SAFE = "/:;()._-~!$&'*+,=@"


def doi_url(doi: Any) -> str:
    """"https://doi.org/" + the DOI when `doi` is a valid DOI (10.NNNN/suffix, optionally
    written as doi:... or as a doi.org URL), else ''. Characters that would change the
    URL's meaning (#, ?, %, quotes, <>) are percent-encoded."""
    text = _DOI_PREFIX.sub("", text_of(doi))
    if not _DOI.fullmatch(text) or not text.isprintable():
        return ""
    return "https://doi.org/" + quote(text, safe=_DOI_SAFE)


def doi_of(item: Mapping[str, Any]) -> tuple[str, str]:
    """(DOI as printed, its https://doi.org URL) for a valid DOI, else ('', '')."""
    url = doi_url(item.get("DOI"))
    if not url:
        return "", ""
    return _DOI_PREFIX.sub("", text_of(item.get("DOI"))), url


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


# --------------------------------------------------------------------------- editions, journals


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 11 -> "11th", 23 -> "23rd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


_ORDINAL_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth",
                  "ninth", "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth",
                  "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
                  "twentieth")
_EDITION = re.compile(
    r"(?:(\d{1,4})(?:st|nd|rd|th)?|(" + "|".join(_ORDINAL_WORDS) + r"))"
    r"(?:\s*(?:ed|edn|edition|éd|aufl|auflage)\.?)?", re.I)
"""An edition number in any usual wording: "2", "2nd", "4th ed", "4th edn.", "2nd edition",
"Second edition", "fourth ed."."""


def edition_number(item: Mapping[str, Any]) -> int:
    """The edition as a number when the field is only an edition number in some wording
    ("4th ed", "2nd edition", "Second edition", "3"), else 0 ("Revised edition", "2nd
    rev. ed.", an edition of digits int() refuses such as "²")."""
    match = _EDITION.fullmatch(field(item, "edition"))
    if not match:
        return 0
    digits, word = match.groups()
    if word:
        return _ORDINAL_WORDS.index(word.lower()) + 1
    try:
        return int(digits)
    except ValueError:  # digits int() refuses: "²"
        return 0


def edition(item: Mapping[str, Any], abbreviation: str) -> str:
    """The edition with a style's `abbreviation` ("edn" in Nature, "ed." in NLM, AMA and
    APA): "2", "2nd", "2nd edition", "Second edition" -> "2nd edn"; other wording ("Revised edition")
    as given."""
    number = edition_number(item)
    if number:
        return f"{ordinal(number)} {abbreviation}"
    return field(item, "edition")


def journal_name(item: Mapping[str, Any], abbreviated: bool) -> str:
    """The journal's name: its abbreviation as given (when `abbreviated` and there is
    one), else its full title."""
    if abbreviated:
        return field(item, "container-title-short", "journalAbbreviation", "container-title")
    return field(item, "container-title", "container-title-short", "journalAbbreviation")


def no_periods(text: str) -> str:
    """NLM and AMA abbreviations carry no full stops: "Clin. Rheumatol." -> "Clin Rheumatol"."""
    return " ".join(text.replace(".", " ").split())
