"""The Nature style: numbered, `Family, G. I.` names, bold volume, the title linked to the DOI.

Owns Nature's layout (one branch per kind of item: periodical, book, chapter, report,
thesis, web page / software, preprint), its name rules and its `Style`, `NATURE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .fields import doi_url, edition, field, full_date, kind_of, page_range, safe_url, text_of, year_of
from .names import NameRules, names_of
from .nlm import book_title_case, supplement_parts
from .output import BOLD, ITALIC, LINK, Out
from .style import Style

__all__ = ["NATURE", "STYLES", "layout"]


def _authors(item: Mapping[str, Any], style: Style, out: Out,
             editors_fallback: bool = False) -> None:
    """The authors and a full stop; with none, a book's editors + " (eds)" (`editors_fallback`)."""
    authors, _ = names_of(item, "author", style.names)
    if authors:
        out.word(authors)
        out.stop()
    elif editors_fallback:
        editors, count = names_of(item, "editor", style.names)
        if editors:
            out.word(f"{editors} ({'eds' if count > 1 else 'ed.'})")


def _publisher(item: Mapping[str, Any]) -> str:
    """Nature's publisher and place: "Springer, Cham" (the place only beside a publisher)."""
    publisher = field(item, "publisher")
    return ", ".join(filter(None, [publisher, field(item, "publisher-place")])) if publisher else ""


def _volume(item: Mapping[str, Any]) -> tuple[str, str]:
    """(volume, supplement) of a periodical: "28" and "Suppl. 5" from `supplement-number`
    or a volume or issue written "28 Suppl 5", "Suppl. 5", "Supplement" (Nature prints
    no issue, so a supplement is its only trace: "**28** (Suppl. 5), v403–v427")."""
    volume, in_volume, volume_suppl = supplement_parts(field(item, "volume"))
    _, in_issue, issue_suppl = supplement_parts(field(item, "issue"))
    number = field(item, "supplement-number") or issue_suppl or volume_suppl
    if not (in_volume or in_issue or field(item, "supplement-number")):
        return volume, ""
    return volume, f"Suppl. {number}" if number else "Suppl."


def _closing_year(out: Out, item: Mapping[str, Any], publisher: str = "") -> None:
    """" (Publisher, Year)" / " (Year)" / nothing, then the closing full stop."""
    inside = ", ".join(filter(None, [publisher, year_of(item.get("issued"))]))
    if inside:
        out.word(f"({inside})")
    out.stop()


def _version(item: Mapping[str, Any], out: Out) -> None:
    """"version 4.3.1" (a version that is a number), else the version as given."""
    version = field(item, "version")
    if version:
        out.word(f"version {version}" if version[0].isdigit() else version)


def layout(item: Mapping[str, Any], style: Style, out: Out) -> None:
    """Nature: `Santos-Ocampo, A. S., Mandell, B. F. & Fessler, B. J. Title. *Chest*
    **118**, 1083–1090 (2000).`; see the module tests for books, chapters, reports,
    web pages, preprints and software."""
    kind = kind_of(item)
    title = field(item, "title")
    doi = doi_url(item.get("DOI"))
    url = safe_url(item.get("URL"))
    link = ""  # appended after the closing full stop

    if kind == "periodical":
        # Nature prints no DOI for an article with volume or pages: the title links to it
        volume, supplement = _volume(item)
        page = field(item, "page")
        locator = page_range(page, "full") if page else field(item, "number")
        _authors(item, style, out)
        out.word(title, *((LINK, doi) if doi and (volume or locator) else ()))
        out.stop()
        if text_of(item.get("type")) in ("article-journal", "article", ""):
            journal = field(item, "container-title-short", "journalAbbreviation",
                            "container-title")
        else:
            journal = field(item, "container-title")
        out.word(journal, ITALIC)
        out.word(volume, BOLD)
        out.word(f"({supplement})" if supplement else "")
        if volume and locator:
            out.comma()
        out.word(locator)
        if not volume and not locator:  # online ahead of print: "*Nature* https://doi.org/… (2020)."
            target = doi or url
            out.word(target, LINK, target)
        _closing_year(out, item)

    elif kind == "book":
        _authors(item, style, out, editors_fallback=True)
        out.word(book_title_case(title), ITALIC)
        out.word(edition(item, "edn"))
        volume = field(item, "volume")
        if volume:
            out.word(f"Vol. {volume}")
        _closing_year(out, item, _publisher(item))
        link = doi

    elif kind == "chapter":
        _authors(item, style, out)
        container = field(item, "container-title")
        if title and (text_of(item.get("type")) != "chapter" or not container):
            out.word(title)
            out.stop()
        if container:
            out.word("in")
            out.word(book_title_case(container), ITALIC)
            out.word(edition(item, "edn"))
        volume = field(item, "volume")
        if volume:  # the book's volume: "in *Lecture Notes in Computer Science* Vol. 11779"
            out.word(f"Vol. {volume}")
        editors, count = names_of(item, "editor", style.names)
        if editors:
            out.word(f"({'eds' if count > 1 else 'ed.'} {editors})")
        out.word(page_range(field(item, "page"), "full"))
        _closing_year(out, item, _publisher(item))
        link = doi

    elif kind == "report":
        _authors(item, style, out)
        out.word(title, ITALIC)
        number = field(item, "number")
        if number:
            out.stop()
            out.word(f"{field(item, 'genre') or 'Report'} No. {number}")
        _closing_year(out, item, _publisher(item))
        link = doi or url

    elif kind == "thesis":
        _authors(item, style, out)
        out.word(title, ITALIC)
        out.stop()
        out.word(", ".join(filter(None, [field(item, "genre") or "Thesis",
                                         field(item, "publisher")])))
        _closing_year(out, item)
        link = doi

    elif text_of(item.get("type")) in ("software", "dataset") and field(item, "publisher") \
            and not doi:
        # like a book: "R Core Team. R: A Language … version 4.3.1 (R Foundation …, 2023)."
        # With a DOI the publisher is the repository, as Nature's guide prints a data set:
        # "… data sets. figshare https://doi.org/10.6084/m9.figshare.853801 (2014)."
        _authors(item, style, out)
        out.word(title)
        _version(item, out)
        _closing_year(out, item, _publisher(item))
        link = doi or url

    else:  # online: web page, post, dataset, software; preprint
        _authors(item, style, out)
        out.word(title)
        _version(item, out)
        out.stop()
        where = field(item, "container-title", "publisher")
        if kind == "preprint":
            out.word("Preprint at" if where or doi or url else "Preprint")
            out.word(where)
        else:
            out.word(where, ITALIC)
        target = doi or url
        out.word(target, LINK, target)
        year = year_of(item.get("issued"))
        if year:
            out.word(f"({year})")
        elif item.get("accessed"):
            out.word(f"(accessed {full_date(item.get('accessed'))})")
        out.stop()

    if link:
        out.word(link, LINK, link)


# --------------------------------------------------------------------------- shared pieces


# more than five authors: the first + "et al."; "Kaelin, W. G. Jr"
NATURE = Style("nature", layout, NameRules(suffix_separator=" ", suffix_form="no-period"))

STYLES = (NATURE,)
"""This module's styles, in the order `cite.STYLES` lists them."""
