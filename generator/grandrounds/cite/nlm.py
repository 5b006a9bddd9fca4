"""The NLM family: Vancouver (NLM Citing Medicine as PubMed prints it) and AMA (11th ed.).

Owns the one layout both styles share, `Halpern SD, Ubel PA, Caplan AL. Title. N Engl J
Med. 2002 Jul 25;347(4):284-7. doi: 10.x.` (Vancouver) / `... *N Engl J Med*.
2002;347(4):284-287. doi:10.x` (AMA), and `NlmRules`, the data in which the two differ:
date form, page form, italics, editor words, place of publication, edition and volume,
where a chapter's pages go, and the DOI's and URL's ending. Reports, theses, web pages,
preprints and software differ in shape, not only in words (Citing Medicine's "[Internet]",
"[cited ...]" and "Available from:"; AMA's "Published ..." and "Accessed ..."), so each
style names its own function for the middle of those entries (`NlmRules.other_kinds`),
and for newspaper articles (`NlmRules.newspaper`: Citing Medicine ch. 5, AMA 11th 3.13.1).
Also the name rules and the `Style`s, `VANCOUVER` and `AMA`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Callable

from .fields import (date_numbers, doi_of, edition, field, hyphen_pages, journal_name,
                     kind_of, nlm_date, nlm_pages, no_periods, safe_url, text_of, us_date,
                     year_of)
from .names import NameRules, lead_names, names_of
from .output import ITALIC, LINK, PLAIN, PUNCT, Out
from .richtext import Rich, recase
from .style import Style

__all__ = ["NlmRules", "layout", "VANCOUVER", "AMA", "STYLES", "PUBMED_IDS", "title_case",
           "book_title_case",
           "language_name", "ahead_of_print", "supplement_parts"]

OtherKinds = Callable[[Mapping[str, Any], str, str, "NlmRules", Out, str, str], None]
Newspaper = Callable[[Mapping[str, Any], str, "NlmRules", Out, bool], None]
"""`newspaper(item, title, rules, out, online)`: a newspaper article up to its URL (a
newspaper is dated to the day and is never "ahead of print")."""
"""`other_kinds(item, kind, title, rules, out, url, doi)`: the middle of a report, thesis,
web page, preprint or software entry, between the authors and the DOI or URL."""


@dataclass(frozen=True)
class NlmRules:
    """What sets one NLM-family style apart from another; `layout` reads nothing else."""

    date: Callable[[Any], str]
    """The date of issue as printed: "2002 Jul 25" (`nlm_date`) or "2002" (`year_of`)."""
    pages: Callable[[str], str]
    """A page range as printed: "284-7" (`nlm_pages`) or "284-287" (`hyphen_pages`)."""
    italic: int
    """The segment kind of journal, book, report and thesis titles: ITALIC, or PLAIN
    (nothing italic)."""
    editor_words: tuple[str, str]
    """After the names of one editor, of several: (", editor", ", editors")."""
    place: bool
    """The place of publication before the publisher ("New York: McGraw-Hill; 2002")."""
    book_volume: str
    """Before a book's volume, printed after the edition: "Vol" (AMA "Vol 2."), "Vol."
    (NLM "Vol. 2.", unless it goes with the series at the end)."""
    pages_in_imprint: bool
    """A chapter's pages after the year ("McGraw-Hill; 2002:93-113."), rather than as a
    sentence of their own ("p. 93-113.")."""
    doi_space: bool
    """"doi: 10.x" rather than "doi:10.x"."""
    link_stop: bool
    """A full stop after the DOI, and after a URL only when it ends in "/" (NLM); without
    it the entry ends with the DOI or URL as it is."""
    url_label: str
    """Before a URL: "Available from:", or ''."""
    other_kinds: OtherKinds
    """The middle of a report, thesis, web page, preprint or software entry."""
    newspaper: Newspaper
    """A newspaper article (`online`: read online, a URL and no DOI)."""
    suppl_word: str
    """How a supplement is named: "Suppl" (NLM: "18 Suppl 1", "58(12 Suppl 7)") or
    "suppl" (AMA: "34(suppl 3)", "58(12 suppl 7)")."""
    online_first: bool
    """AMA 11th: an article not yet in an issue (`ahead_of_print`) has "Published online
    March 16, 2023." where the date and locator would be."""
    epub_note: bool
    """NLM, as PubMed prints it, after the DOI: "Epub ahead of print." for an article not
    yet in an issue, "Epub 2020 Mar 25." for one with an `available-date` (its online
    date) other than its issue date."""
    book_title: Callable[[str], "str | Rich"]
    """A book's title as printed: as written (NLM: sentence case is the author's), or in
    title case (AMA 11th)."""
    language: Callable[[str], str]
    """The note for an item in a language other than English, from its language's
    English name: NLM "German." after the locator; AMA "[in German]" after the title."""
    language_after_title: bool
    """The language note right after the title (AMA), rather than after the locator."""
    secondary_words: tuple[str, str]
    """After an authored book's editor and translator names (Citing Medicine "Strachey J,
    editor; Strachey J, translator."; AMA "Strachey J, ed; Strachey J, trans.")."""
    series: bool
    """NLM: a book's series and its volume at the end, "(Lecture notes in computer
    science; vol. 9351)" (AMA prints the volume as "Vol 9351." after the edition)."""
    online_books: bool
    """NLM: a book or chapter read online (a URL and no DOI) has "[Internet]" after the
    title and "[updated ...; cited ...]" after the date; AMA has "Accessed May 1, 2024."
    after the year; both end with the URL ("Available from: URL" in NLM)."""
    pubmed_ids: bool = False
    """NLM, off by default (`PUBMED_IDS`): "PMID: 11961980; PMCID: PMC1234567." at the end,
    as PubMed's own citations print them."""


def layout(item: Mapping[str, Any], style: Style, out: Out) -> None:
    """One item in an NLM-family style (`style.rules` is its `NlmRules`): the authors (or
    a book's editors), then one branch per kind of item, then the DOI or URL."""
    rules: NlmRules = style.rules
    kind = kind_of(item)
    title = field(item, "title")
    doi, doi_href = doi_of(item)
    url = safe_url(item.get("URL"))
    online_book = kind in ("book", "chapter") and bool(url) and not doi
    news = text_of(item.get("type")) == "article-newspaper"
    online_news = news and bool(url) and not doi
    out.word(lead_names(item, style.names, rules.editor_words))
    out.stop()
    if news:
        rules.newspaper(item, title, rules, out, online_news)
    elif kind == "periodical":
        _periodical(item, title, rules, out)
    elif kind in ("book", "chapter"):
        _book(item, kind, title, style.names, rules, out, online_book)
    else:
        rules.other_kinds(item, kind, title, rules, out, url, doi)
    _link(item, kind, rules, out, url, doi, doi_href, online_book or online_news)
    if kind == "periodical" and rules.epub_note and not news:
        _epub(item, out)
    if rules.pubmed_ids:
        _pubmed_ids(item, out)


def _link(item: Mapping[str, Any], kind: str, rules: NlmRules, out: Out, url: str, doi: str,
          doi_href: str, read_online: bool) -> None:
    """The DOI ("doi: 10.x." / "doi:10.x"), else the URL of an item that is read online
    (`read_online`: a book, chapter or newspaper with a URL, or any other kind)."""
    if doi:
        out.word("doi:")
        if rules.doi_space:
            out.word(doi, LINK, doi_href)
        else:
            out.glue(doi, LINK, doi_href)
        if rules.link_stop:
            out.stop()
    elif url and (read_online or kind not in ("periodical", "book", "chapter")):
        out.word(rules.url_label)
        out.word(url, LINK, url)
        if rules.link_stop and url.endswith("/"):
            out.glue(".", PUNCT)


def _periodical(item: Mapping[str, Any], title: str, rules: NlmRules, out: Out) -> None:
    """`Title. N Engl J Med. 2002 Jul 25;347(4):284-7.`; a supplement `2002;42 Suppl
    2:S93-9.` (AMA `2002;42(suppl 2):S93-S99.`); a language note; online first."""
    language = language_name(item)
    out.word(title + (rules.language(language) if language and rules.language_after_title
                      else ""))
    out.stop()
    out.word(no_periods(journal_name(item, abbreviated=True)), rules.italic)
    out.stop()
    early = ahead_of_print(item)
    if early and rules.online_first:
        out.word(_ama_online_first(item))
        return
    date = rules.date(item.get("issued") or (item.get("available-date") if early else None))
    page = field(item, "page")
    locator = rules.pages(page) if page else field(item, "number")
    where = _volume_issue(item, rules.suppl_word)
    out.word(date + (";" if date and where else "") + where
             + (":" if locator and (date or where) else "") + locator)
    out.stop()
    if language and not rules.language_after_title:
        out.word(rules.language(language))


def _citing_medicine_newspaper(item: Mapping[str, Any], title: str, rules: NlmRules, out: Out,
                               online: bool) -> None:
    """Citing Medicine ch. 5: `Title. The Washington Post. 2002 Aug 12;Sect. A:2.`; read
    online `Title. The New York Times [Internet]. 2019 Mar 22 [cited 2019 Apr 1].` (then
    "Available from: URL")."""
    out.word(title)
    out.stop()
    out.word(no_periods(journal_name(item, abbreviated=True)) + (" [Internet]" if online else ""))
    out.stop()
    date = nlm_date(item.get("issued")) + (_updated_cited(item) if online else "")
    section, page = field(item, "section"), field(item, "page")
    where = ";".join(filter(None, [date, f"Sect. {section}" if section else ""]))
    out.word(where + ((":" if section else ";") + page if where and page else page))
    out.stop()


def _ama_newspaper(item: Mapping[str, Any], title: str, rules: NlmRules, out: Out,
                   online: bool) -> None:
    """AMA 11th 3.13.1: `Title. *New York Times*. December 8, 2015:A24.`; read online
    `... January 23, 2016. Accessed January 28, 2016.` (then the URL)."""
    out.word(title)
    out.stop()
    out.word(no_periods(journal_name(item, abbreviated=True)), rules.italic)
    out.stop()
    date, page = us_date(item.get("issued")), field(item, "page")
    out.word(date + (":" + page if date and page else page))
    out.stop()
    if online and us_date(item.get("accessed")):
        out.word(f"Accessed {us_date(item.get('accessed'))}.")


_SUPPL = re.compile(r"(.*?)[\s(]*\bsuppl(?:ement)?\b\.?\s*([^\s()]*)\)?", re.I)


def supplement_parts(text: str) -> tuple[str, bool, str]:
    """A volume or issue field split as (number, is a supplement, supplement number):
    "18 Suppl 1" -> ("18", True, "1"), "Suppl" -> ("", True, ""), "5" -> ("5", False, "")."""
    match = _SUPPL.fullmatch(text) if "uppl" in text.lower() else None
    if not match:
        return text, False, ""
    return match.group(1).strip(), True, match.group(2)


def _volume_issue(item: Mapping[str, Any], word: str) -> str:
    """"347(4)", or with a supplement (`supplement-number`, or "Suppl 1" in the volume or
    issue): NLM "18 Suppl 1", "58(12 Suppl 7)"; AMA "34(suppl 3)", "58(12 suppl 7)"."""
    volume, in_volume, volume_suppl = supplement_parts(field(item, "volume"))
    issue, in_issue, issue_suppl = supplement_parts(field(item, "issue"))
    number = field(item, "supplement-number") or issue_suppl or volume_suppl
    if not (in_volume or in_issue or field(item, "supplement-number")):
        return volume + (f"({issue})" if issue else "")
    suppl = f"{word} {number}" if number else word
    if issue:
        return f"{volume}({issue} {suppl})"
    if word == "Suppl":  # NLM: the supplement of a volume follows it: "2002;42 Suppl 2"
        return f"{volume} {suppl}" if volume else suppl
    return f"{volume}({suppl})"


_JOURNAL_TYPES = frozenset({"article-journal", "review", "review-book"})


def ahead_of_print(item: Mapping[str, Any]) -> bool:
    """A journal article published online and not yet in an issue: no volume, issue or
    pages, and a date to the month at least (`available-date` or `issued`); an old article
    that only lacks a volume (a year, or pages) is not, nor is a newspaper or magazine
    article (dated to the day, in no volume)."""
    if (text_of(item.get("type")) or "article-journal") not in _JOURNAL_TYPES \
            or field(item, "volume", "issue", "page"):
        return False
    return len(date_numbers(item.get("available-date") or item.get("issued"))) >= 2


def _ama_online_first(item: Mapping[str, Any]) -> str:
    """AMA 11th: "Published online March 16, 2023." (the full date)."""
    return f"Published online {us_date(item.get('available-date') or item.get('issued'))}."


def _epub(item: Mapping[str, Any], out: Out) -> None:
    """PubMed: "Epub ahead of print." (not yet in an issue), or "Epub 2020 Mar 25." for an
    article in an issue with another online date."""
    if ahead_of_print(item):
        out.word("Epub ahead of print.")
        return
    online = item.get("available-date")
    if online and date_numbers(online) and not ahead_of_print(item) \
            and date_numbers(online) != date_numbers(item.get("issued")):
        out.word(f"Epub {nlm_date(online)}.")


_PMID = re.compile(r"\d{1,9}")
_PMCID = re.compile(r"(?:PMC)?(\d{1,9})", re.I)


def _pubmed_ids(item: Mapping[str, Any], out: Out) -> None:
    """PubMed: "PMID: 11961980; PMCID: PMC1234567." (only well-formed ids)."""
    pmid = field(item, "PMID")
    pmcid = _PMCID.fullmatch(field(item, "PMCID"))
    ids = ([f"PMID: {pmid}"] if _PMID.fullmatch(pmid) else []) \
        + ([f"PMCID: PMC{pmcid.group(1)}"] if pmcid else [])
    if ids:
        out.word("; ".join(ids) + ".")


def _book(item: Mapping[str, Any], kind: str, title: str, names: NameRules, rules: NlmRules,
          out: Out, online: bool = False) -> None:
    """`Title. 4th ed. New York: McGraw-Hill; 2002.`; a chapter: `Title. In: Editors,
    editors. Book. ... p. 93-113.`; an online book (NLM) `Title [Internet]. Place:
    Publisher; 2001 [updated 2005 Jan 3; cited 2024 Jan 5].` (its URL follows)."""
    page = ""
    if kind == "chapter":
        out.word(title)
        out.stop()
        editors, count = names_of(item, "editor", names)
        out.word(f"In: {editors}{rules.editor_words[count > 1]}." if editors else "In:")
        title = field(item, "container-title")
        page = field(item, "page")
    out.word(rules.book_title(title), rules.italic)
    if online and title and rules.online_books:
        out.glue(" [Internet]")
    out.stop()
    out.word(edition(item, "ed."))
    out.stop()
    if kind == "chapter" or item.get("author"):
        _secondary(item, kind, names, rules, out)
    volume, series = field(item, "volume"), field(item, "collection-title")
    if volume and not (rules.series and series):
        out.word(f"{rules.book_volume} {volume}.")
    imprint = _imprint(item, rules.date(item.get("issued")), rules.place)
    if rules.pages_in_imprint:
        pages = rules.pages(page)
        out.word(imprint + (":" + pages if pages and imprint else pages))
        out.stop()
        if online and us_date(item.get("accessed")):
            out.word(f"Accessed {us_date(item.get('accessed'))}.")  # AMA 11th, books online
    else:
        out.word(imprint)
        if online and rules.online_books:
            out.glue(_updated_cited(item))
        out.stop()
        if page:
            out.word("p. " + rules.pages(page))
            out.stop()
    if rules.series and series:
        number = field(item, "volume", "collection-number")
        out.word(f"({series}; vol. {number})" if number else f"({series})")
        out.stop()


def _secondary(item: Mapping[str, Any], kind: str, names: NameRules, rules: NlmRules,
               out: Out) -> None:
    """The translators (and, for an authored book, the editors) after the edition:
    "Strachey J, editor; Strachey J, translator." (a chapter's editors come after "In:")."""
    roles = (("translator", 1),) if kind == "chapter" else (("editor", 0), ("translator", 1))
    parts = []
    for key, word in roles:
        who, count = names_of(item, key, names)
        if who:
            parts.append(who + rules.secondary_words[word])
    if parts:
        out.word("; ".join(parts))
        out.stop()


def _updated_cited(item: Mapping[str, Any]) -> str:
    """Citing Medicine: " [updated 2005 Jan 3; cited 2024 Jan 5]" with whichever of the
    two dates the item has (`updated`, as Zotero-to-CSL tools name it, and `accessed`)."""
    parts = [f"{word} {nlm_date(item.get(key))}" for word, key in
             (("updated", "updated"), ("cited", "accessed"))
             if item.get(key) and nlm_date(item.get(key))]
    return f" [{'; '.join(parts)}]" if parts else ""


def _imprint(item: Mapping[str, Any], date: str, place: bool, site: bool = False) -> str:
    """"New York: McGraw-Hill; 2002" (or without the place) with whichever parts there
    are; a web site's name (`site`) stands in for a missing publisher."""
    where = field(item, "publisher-place") if place else ""
    publisher = field(item, "publisher", "container-title") if site \
        else field(item, "publisher")
    who = f"{where}: {publisher}" if where and publisher else where or publisher
    return "; ".join(filter(None, [who, date]))


# --------------------------------------------------------------------------- the other kinds


def _citing_medicine_other(item: Mapping[str, Any], kind: str, title: str, rules: NlmRules,
                           out: Out, url: str, doi: str) -> None:
    """Vancouver: `Title [Internet]. Version 2. Place: Site; 2023 [cited 2024 Jan 5].`,
    `Title [dissertation]. ...`, `Title. medRxiv [Preprint]. 2020 Apr 17:2020.04.1.`,
    `Title. Place: Publisher; 2019. Report No.: 12.`"""
    date = rules.date(item.get("issued"))
    medium = {"online": " [Internet]", "thesis": " [dissertation]"}.get(kind, "")
    if text_of(item.get("type")) == "software":
        medium = " [computer program]"
    server = field(item, "container-title", "publisher") if kind == "preprint" else ""
    if kind == "preprint" and not server:
        medium = " [Preprint]"  # no server named: the medium follows the title
    out.word(title + medium if title else "")
    out.stop()
    version = field(item, "version")
    if version:
        out.word(f"Version {version}")
        out.stop()
    if kind == "preprint":
        if server:
            out.word(server)
            out.glue(" [Preprint]")
            out.stop()
        number = field(item, "number")
        out.word(date + (":" if date and number else "") + number)
    else:
        out.word(_imprint(item, date, rules.place, site=kind == "online"))
        if url:
            out.glue(_updated_cited(item))
    out.stop()
    number = field(item, "number")
    if kind == "report" and number:
        out.word(f"Report No.: {number}")
        out.stop()


def _ama_other(item: Mapping[str, Any], kind: str, title: str, rules: NlmRules, out: Out,
               url: str, doi: str) -> None:
    """AMA: `Title. Site. Published March 16, 2023. Updated May 2, 2023. Accessed May 1,
    2024.`, `Title.
    *medRxiv*. Preprint posted online April 17, 2020.`, `*Title*. Publisher; 2019.
    Report No. 12.`, `*Title*. Dissertation. University; 2019.`"""
    software = text_of(item.get("type")) == "software"
    out.word(title, rules.italic if kind in ("report", "thesis") else PLAIN)
    out.stop()
    version = field(item, "version")
    if version:
        out.word(f"Version {version}")
        out.stop()
    if kind == "online" and not software:
        out.word(field(item, "container-title", "publisher"))
        out.stop()
        if item.get("issued"):
            out.word(f"Published {us_date(item.get('issued'))}.")
        if item.get("updated") and us_date(item.get("updated")):
            out.word(f"Updated {us_date(item.get('updated'))}.")
    elif kind == "preprint":
        out.word(field(item, "container-title", "publisher"), rules.italic)
        out.stop()
        if item.get("issued"):
            out.word(f"Preprint posted online {us_date(item.get('issued'))}.")
    else:
        if kind == "thesis":
            out.word(field(item, "genre") or "Dissertation")
            out.stop()
        out.word(_imprint(item, rules.date(item.get("issued")), rules.place))
        out.stop()
        number = field(item, "number")
        if kind == "report" and number:
            out.word(f"{field(item, 'genre') or 'Report'} No. {number}.")
    if item.get("accessed") and url and not doi:
        out.word(f"Accessed {us_date(item.get('accessed'))}.")


# --------------------------------------------------------------------------- titles, languages

_MINOR = frozenset("a an the and but or for nor as at by in of on to up via vs per".split())
"""AMA 11th (10.2): words not capitalised inside a title: articles, coordinating
conjunctions, prepositions of three letters or fewer, "to" in infinitives."""
_WORD = re.compile(r"[^\W\d_][\w'\u2019]*")


def title_case(title: str) -> str:
    """AMA 11th title case for books: major words capitalised, minor words (`_MINOR`) lower
    case except first, last and after a colon; a word with a capital or digit inside
    (mRNA, COVID-19, McGraw) and hyphen-joined parts keep theirs."""
    if not title:
        return title
    words = list(_WORD.finditer(title))
    pieces, last = [], 0
    for n, match in enumerate(words):
        word = match.group()
        before = title[last:match.start()]
        opens = n == 0 or before.rstrip().endswith((":", "?", "!", "\u2014")) \
            or n == len(words) - 1
        hyphened = before.endswith("-") and n > 0
        if any(ch.isupper() for ch in word[1:]) or word[0].isupper() and hyphened:
            pass
        elif word.lower() in _MINOR and not opens:
            word = word.lower() if word[0].isupper() and word[1:].islower() else word
        else:
            word = word[0].upper() + word[1:]
        pieces += [before, word]
        last = match.end()
    pieces.append(title[last:])
    return "".join(pieces)


@lru_cache(maxsize=1024)
def book_title_case(title: str) -> str | Rich:
    """A book's title in `title_case` (AMA 11th; Nature: "Book titles are italic with all
    main words capitalized"), its CSL rich-text tags kept as tags and `nocase` spans as
    written; rich text comes back as `Rich`. Remembered: the same textbooks recur across a
    site's lists, and title case costs more than the rest of a Nature entry."""
    return recase(title, title_case) if title else title


# MEDLINE's three-letter language codes (ISO 639-2/B) where they are not babel's
_MEDLINE_LANGUAGES = {
    "eng": "en", "ger": "de", "deu": "de", "fre": "fr", "fra": "fr", "spa": "es",
    "ita": "it", "jpn": "ja", "chi": "zh", "zho": "zh", "rus": "ru", "por": "pt",
    "pol": "pl", "dut": "nl", "nld": "nl", "nor": "no", "swe": "sv", "dan": "da",
    "fin": "fi", "hun": "hu", "cze": "cs", "ces": "cs", "tur": "tr", "kor": "ko",
    "heb": "he", "gre": "el", "ell": "el", "per": "fa", "rum": "ro", "slo": "sk",
    "hrv": "hr", "slv": "sl", "ukr": "uk", "ara": "ar", "lit": "lt", "lav": "lv",
    "est": "et", "ice": "is", "bul": "bg", "srp": "sr", "tha": "th", "vie": "vi",
    "ind": "id", "may": "ms", "cat": "ca", "afr": "af", "wel": "cy", "lat": "la",
}


@lru_cache(maxsize=1)
def _language_names() -> tuple[dict[str, str], dict[str, str]]:
    """(code -> English name, lower-case English name -> name), from babel's CLDR data."""
    try:
        from babel import Locale  # only items with a `language` pay for the import
    except ImportError:  # babel comes with mkdocs-material; without it, no language notes
        return {}, {}
    names = {code: name for code, name in Locale("en").languages.items() if "_" not in code}
    return names, {name.lower(): name for name in names.values()}


def language_name(item: Mapping[str, Any]) -> str:
    """The English name of the item's `language` ("de", "de-DE", "ger", "German"), ''
    for English, a missing field or a value that names no known language."""
    given = field(item, "language")
    if not given or len(given) > 40:
        return ""
    codes, names = _language_names()
    key = given.replace("_", "-").split("-")[0].lower()
    name = codes.get(_MEDLINE_LANGUAGES.get(key, key)) if len(key) <= 3 else None
    name = name or names.get(given.lower(), "")
    return "" if name == "English" else name


def _nlm_language(name: str) -> str:
    """Citing Medicine (and PubMed's citation): the language after the locator, "German."."""
    return f"{name}."


def _ama_language(name: str) -> str:
    """AMA 11th: the language in brackets after the (translated) title, " [in German]"."""
    return f" [in {name}]"


def _as_written(title: str) -> str:
    return title


# --------------------------------------------------------------------------- the styles

_NLM_NAMES = NameRules(period="", space="", hyphen=False, sort_separator=" ",
                       suffix_separator=" ", and_=", ", et_al=", et al.", et_al_min=7,
                       et_al_use_first=6, particles_first=True, suffix_form="ordinal")

# more than six authors: the first six + ", et al."; "Changeux JP", "Gilstrap LC 3rd"
VANCOUVER = Style("vancouver", layout, _NLM_NAMES, NlmRules(
    date=nlm_date, pages=nlm_pages, italic=PLAIN, editor_words=(", editor", ", editors"),
    place=True, book_volume="Vol.", pages_in_imprint=False,
    doi_space=True, link_stop=True, url_label="Available from:",
    other_kinds=_citing_medicine_other, newspaper=_citing_medicine_newspaper, suppl_word="Suppl",
    online_first=False, epub_note=True,
    book_title=_as_written, language=_nlm_language, language_after_title=False,
    secondary_words=(", editor", ", translator"), series=True, online_books=True))

# more than six: the first three + ", et al."; "Sartre J-P", "Gilstrap LC III"
AMA = Style("ama", layout, replace(_NLM_NAMES, hyphen=True, et_al_use_first=3,
                                   suffix_form="no-period"), NlmRules(
    date=year_of, pages=hyphen_pages, italic=ITALIC, editor_words=(", ed", ", eds"),
    place=False, book_volume="Vol", pages_in_imprint=True,
    doi_space=False, link_stop=False, url_label="",
    other_kinds=_ama_other, newspaper=_ama_newspaper, suppl_word="suppl",
    online_first=True, epub_note=False,
    book_title=book_title_case, language=_ama_language, language_after_title=True,
    secondary_words=(", ed", ", trans"), series=False, online_books=False))

STYLES = (VANCOUVER, AMA)
"""This module's styles, in the order `cite.STYLES` lists them."""

PUBMED_IDS = {VANCOUVER.name: replace(VANCOUVER, rules=replace(VANCOUVER.rules, pubmed_ids=True))}
"""The styles that can print PubMed's ids ("PMID: 11961980; PMCID: PMC1234567."), each as
its variant with them on: `cite.CiteOptions(pubmed_ids=True)` picks it."""
