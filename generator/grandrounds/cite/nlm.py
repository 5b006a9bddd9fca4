"""The NLM family: Vancouver (NLM Citing Medicine as PubMed prints it) and AMA (11th ed.).

Owns the one layout both styles share, `Halpern SD, Ubel PA, Caplan AL. Title. N Engl J
Med. 2002 Jul 25;347(4):284-7. doi: 10.x.` (Vancouver) / `... *N Engl J Med*.
2002;347(4):284-287. doi:10.x` (AMA), and `NlmRules`, the data in which the two differ:
date form, page form, italics, editor words, place of publication, edition and volume,
where a chapter's pages go, and the DOI's and URL's ending. Reports, theses, web pages,
preprints and software differ in shape, not only in words (Citing Medicine's "[Internet]",
"[cited ...]" and "Available from:"; AMA's "Published ..." and "Accessed ..."), so each
style names its own function for the middle of those entries (`NlmRules.other_kinds`).
Also the name rules and the `Style`s, `VANCOUVER` and `AMA`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Callable

from .fields import (doi_of, edition, field, hyphen_pages, journal_name, kind_of, nlm_date,
                     nlm_pages, no_periods, safe_url, text_of, us_date, year_of)
from .names import NameRules, lead_names, names_of
from .output import ITALIC, LINK, PLAIN, PUNCT, Out
from .style import Style

__all__ = ["NlmRules", "layout", "VANCOUVER", "AMA", "STYLES"]

OtherKinds = Callable[[Mapping[str, Any], str, str, "NlmRules", Out, str, str], None]
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
    edition_stop: bool
    """A full stop after the edition; without it the edition runs on ("2nd ed. Vol 2.")."""
    book_volume: bool
    """A book's volume printed after the edition ("Vol 2.")."""
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


def layout(item: Mapping[str, Any], style: Style, out: Out) -> None:
    """One item in an NLM-family style (`style.rules` is its `NlmRules`): the authors (or
    a book's editors), then one branch per kind of item, then the DOI or URL."""
    rules: NlmRules = style.rules
    kind = kind_of(item)
    title = field(item, "title")
    doi, doi_href = doi_of(item)
    url = safe_url(item.get("URL"))
    out.word(lead_names(item, style.names, rules.editor_words))
    out.stop()
    if kind == "periodical":
        _periodical(item, title, rules, out)
    elif kind in ("book", "chapter"):
        _book(item, kind, title, style.names, rules, out)
    else:
        rules.other_kinds(item, kind, title, rules, out, url, doi)
    if doi:
        out.word("doi:")
        if rules.doi_space:
            out.word(doi, LINK, doi_href)
        else:
            out.glue(doi, LINK, doi_href)
        if rules.link_stop:
            out.stop()
    elif url and kind not in ("periodical", "book", "chapter"):
        out.word(rules.url_label)
        out.word(url, LINK, url)
        if rules.link_stop and url.endswith("/"):
            out.glue(".", PUNCT)


def _periodical(item: Mapping[str, Any], title: str, rules: NlmRules, out: Out) -> None:
    """`Title. N Engl J Med. 2002 Jul 25;347(4):284-7.`"""
    out.word(title)
    out.stop()
    out.word(no_periods(journal_name(item, abbreviated=True)), rules.italic)
    out.stop()
    date = rules.date(item.get("issued"))
    volume, issue = field(item, "volume"), field(item, "issue")
    page = field(item, "page")
    locator = rules.pages(page) if page else field(item, "number")
    where = volume + (f"({issue})" if issue else "")
    out.word(date + (";" if date and where else "") + where
             + (":" if locator and (date or where) else "") + locator)
    out.stop()


def _book(item: Mapping[str, Any], kind: str, title: str, names: NameRules, rules: NlmRules,
          out: Out) -> None:
    """`Title. 4th ed. New York: McGraw-Hill; 2002.`; a chapter: `Title. In: Editors,
    editors. Book. ... p. 93-113.`"""
    page = ""
    if kind == "chapter":
        out.word(title)
        out.stop()
        editors, count = names_of(item, "editor", names)
        out.word(f"In: {editors}{rules.editor_words[count > 1]}." if editors else "In:")
        title = field(item, "container-title")
        page = field(item, "page")
    out.word(title, rules.italic)
    out.stop()
    out.word(edition(item, "ed."))
    if rules.edition_stop:
        out.stop()
    volume = field(item, "volume")
    if rules.book_volume and volume:
        out.word(f"Vol {volume}.")
    imprint = _imprint(item, rules.date(item.get("issued")), rules.place)
    if rules.pages_in_imprint:
        pages = rules.pages(page)
        out.word(imprint + (":" + pages if pages and imprint else pages))
        out.stop()
    else:
        out.word(imprint)
        out.stop()
        if page:
            out.word("p. " + rules.pages(page))
            out.stop()


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
    out.word(title + medium if title else "")
    out.stop()
    version = field(item, "version")
    if version:
        out.word(f"Version {version}")
        out.stop()
    if kind == "preprint":
        out.word(field(item, "container-title", "publisher"))
        out.glue(" [Preprint]")
        out.stop()
        number = field(item, "number")
        out.word(date + (":" if date and number else "") + number)
    else:
        out.word(_imprint(item, date, rules.place, site=kind == "online"))
        if item.get("accessed") and url:
            out.glue(f" [cited {nlm_date(item.get('accessed'))}]")
    out.stop()
    number = field(item, "number")
    if kind == "report" and number:
        out.word(f"Report No.: {number}")
        out.stop()


def _ama_other(item: Mapping[str, Any], kind: str, title: str, rules: NlmRules, out: Out,
               url: str, doi: str) -> None:
    """AMA: `Title. Site. Published March 16, 2023. Accessed May 1, 2024.`, `Title.
    *medRxiv*. Preprint posted online April 17, 2020.`, `*Title*. Publisher; 2019.
    Report No. 12.`, `*Title*. Dissertation. University; 2019.`"""
    software = text_of(item.get("type")) == "software"
    out.word(title, rules.italic if kind in ("report", "thesis") else PLAIN)
    out.stop()
    version = field(item, "version")
    if version:
        out.word(f"Version {version}.")
    if kind == "online" and not software:
        out.word(field(item, "container-title", "publisher"))
        out.stop()
        if item.get("issued"):
            out.word(f"Published {us_date(item.get('issued'))}.")
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


# --------------------------------------------------------------------------- the styles

_NLM_NAMES = NameRules(period="", space="", hyphen=False, sort_separator=" ",
                       suffix_separator=" ", and_=", ", et_al=", et al.", et_al_min=7,
                       et_al_use_first=6, particles_first=True, suffix_form="ordinal")

# more than six authors: the first six + ", et al."; "Changeux JP", "Gilstrap LC 3rd"
VANCOUVER = Style("vancouver", layout, _NLM_NAMES, NlmRules(
    date=nlm_date, pages=nlm_pages, italic=PLAIN, editor_words=(", editor", ", editors"),
    place=True, edition_stop=True, book_volume=False, pages_in_imprint=False,
    doi_space=True, link_stop=True, url_label="Available from:",
    other_kinds=_citing_medicine_other))

# more than six: the first three + ", et al."; "Sartre J-P", "Gilstrap LC III"
AMA = Style("ama", layout, replace(_NLM_NAMES, hyphen=True, et_al_use_first=3,
                                   suffix_form="no-period"), NlmRules(
    date=year_of, pages=hyphen_pages, italic=ITALIC, editor_words=(", ed", ", eds"),
    place=False, edition_stop=False, book_volume=True, pages_in_imprint=True,
    doi_space=False, link_stop=False, url_label="",
    other_kinds=_ama_other))

STYLES = (VANCOUVER, AMA)
"""This module's styles, in the order `cite.STYLES` lists them."""
