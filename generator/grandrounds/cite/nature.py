"""The Nature style: numbered, `Family, G. I.` names, bold volume, the title linked to the DOI.

Owns Nature's layout (one branch per kind of item: periodical, book, chapter, report,
thesis, web page / software, preprint), its name rules and its `Style`, `NATURE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .fields import doi_url, edition, field, full_date, kind_of, page_range, safe_url, text_of, year_of
from .names import NameRules, names_of
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


def _closing_year(out: Out, item: Mapping[str, Any], publisher: str = "") -> None:
    """" (Publisher, Year)" / " (Year)" / nothing, then the closing full stop."""
    inside = ", ".join(filter(None, [publisher, year_of(item.get("issued"))]))
    if inside:
        out.word(f"({inside})")
    out.stop()


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
        volume = field(item, "volume")
        page = field(item, "page")
        locator = page_range(page) if page else field(item, "number")
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
        if volume and locator:
            out.comma()
        out.word(locator)
        if not volume and not locator:  # online ahead of print: "*Nature* https://doi.org/… (2020)."
            target = doi or url
            out.word(target, LINK, target)
        _closing_year(out, item)

    elif kind == "book":
        _authors(item, style, out, editors_fallback=True)
        out.word(title, ITALIC)
        out.word(edition(item, "edn"))
        volume = field(item, "volume")
        if volume:
            out.word(f"Vol. {volume}")
        _closing_year(out, item, field(item, "publisher"))
        link = doi

    elif kind == "chapter":
        _authors(item, style, out)
        container = field(item, "container-title")
        if title and (text_of(item.get("type")) != "chapter" or not container):
            out.word(title)
            out.stop()
        if container:
            out.word("in")
            out.word(container, ITALIC)
            out.word(edition(item, "edn"))
        editors, count = names_of(item, "editor", style.names)
        if editors:
            out.word(f"({'eds' if count > 1 else 'ed.'} {editors})")
        out.word(page_range(field(item, "page")))
        _closing_year(out, item, field(item, "publisher"))
        link = doi

    elif kind == "report":
        _authors(item, style, out)
        out.word(title, ITALIC)
        number = field(item, "number")
        if number:
            out.stop()
            out.word(f"{field(item, 'genre') or 'Report'} No. {number}")
        _closing_year(out, item, field(item, "publisher"))
        link = doi or url

    elif kind == "thesis":
        _authors(item, style, out)
        out.word(title, ITALIC)
        out.stop()
        out.word(", ".join(filter(None, [field(item, "genre") or "Thesis",
                                         field(item, "publisher")])))
        _closing_year(out, item)
        link = doi

    else:  # online: web page, post, dataset, software; preprint
        _authors(item, style, out)
        out.word(title)
        version = field(item, "version")
        if version:
            out.word(f"version {version}" if version[0].isdigit() else version)
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
