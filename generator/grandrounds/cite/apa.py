"""The APA style (7th ed.): author-year, with its in-text labels, 2010a letters and sort key.

Owns APA's layout (one branch per kind of item), its title and date forms, its name
rules and its `Style`, `APA`, and the author-year labels of one list (`labels`): the
in-text label ("Nauta & Fibbe", "Sun, Li, et al."), the year with a letter for works of
the same authors and year ("2010a"), initials for first authors who share a family name,
and the alphabetical sort key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

from .fields import (MONTHS, date_numbers, doi_of, edition, field, journal_name, kind_of,
                     page_range, safe_url, text_of, us_date, year_of)
from .names import OTHERS, NameRules, initials, lead_names, names_of
from .nlm import ahead_of_print, supplement_parts
from .output import ITALIC, LINK, PLAIN, Out
from .richtext import Rich, plain, recase
from .style import Style

__all__ = ["APA", "STYLES", "layout", "labels"]

_AFTER_COLON = re.compile(r"(: )([a-z])(?=[a-z]*(?:[\s,;:.!?)]|\Z))")


def _capital_after_colon(title: str) -> str:
    return _AFTER_COLON.sub(lambda m: m.group(1) + m.group(2).upper(), title)


def _apa_title(title: str) -> str | Rich:
    """APA sentence case as given, but the first word after a colon capitalised
    ("the central role" -> "The central role"); words with capitals inside (mRNA) stay,
    and so does anything in a CSL `nocase` span; rich text comes back as `Rich`."""
    if ": " not in title and "<" not in title:
        return title
    return recase(title, _capital_after_colon)


_DATED = frozenset({"article-newspaper", "article-magazine", "post", "post-weblog",
                    "webpage", "broadcast", "interview", "personal_communication"})
"""Types APA 7 dates to the day, "(2019, March 22)": newspapers, magazines, blog posts and
other posts, web pages (APA 7, 10.1 examples 15-17, 10.16 example 110); journals, books,
data sets and software take the year only."""


_JOURNAL_TYPES = frozenset({"article-journal", "article", "review", ""})
"""Journal articles: the ones APA 7 marks "Advance online publication." (10.1 example 7)
when they are online ahead of an issue (no volume, issue or pages, a dated online release)."""


def _apa_date(item: Mapping[str, Any], full: bool) -> str:
    """"(2023, March 16)" for newspapers, magazines, posts and web pages (`full`),
    "(2002)" otherwise, "(n.d.)" without a date; with the disambiguating letter of
    `year-suffix` ("2010a")."""
    date = item.get("issued")
    suffix = text_of(item.get("year-suffix"))
    year = year_of(date)
    if not year:
        return f"(n.d.{'-' + suffix if suffix else ''})"
    nums = date_numbers(date) if full else []
    if len(nums) >= 2:
        day = f" {nums[2]}" if len(nums) > 2 else ""
        return f"({year}{suffix}, {MONTHS[nums[1] - 1]}{day})"
    return f"({year}{suffix})"


def layout(item: Mapping[str, Any], style: Style, out: Out) -> None:
    """APA 7th ed.: `Halpern, S. D., Ubel, P. A., & Caplan, A. L. (2002). Title. *New
    England Journal of Medicine*, *347*(4), 284–287. https://doi.org/10.x`."""
    kind = kind_of(item)
    rules = style.names
    type_ = text_of(item.get("type"))
    software = type_ == "software"
    blog = type_ == "post-weblog"  # APA 7 10.1: a blog post is cited like a periodical article
    title = _apa_title(field(item, "title"))
    doi, doi_href = doi_of(item)
    url = safe_url(item.get("URL"))
    lead = lead_names(item, rules, (" (Ed.)", " (Eds.)"), editors_fallback=kind == "book")
    title_kind = PLAIN if kind in ("periodical", "chapter") or blog else ITALIC
    date = _apa_date(item, full=type_ in _DATED)
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
        journal = journal_name(item, abbreviated=False)
        volume, issue = _volume_issue(item)
        page = field(item, "page")
        locator = page_range(page, "full") if page else field(item, "number")
        if locator and not page:
            locator = f"Article {locator}"
        out.word(journal, ITALIC)
        if volume:
            out.comma()
            out.word(volume, ITALIC)
            out.glue(f"({issue})" if issue else "")
        elif issue:  # a newspaper or magazine numbered by issue only
            out.comma()
            out.word(issue)
        if locator:
            out.comma()
            out.word(locator)
        out.stop()
        if type_ in _JOURNAL_TYPES and ahead_of_print(item) and not field(item, "number"):
            out.word("Advance online publication.")
    else:
        publisher = field(item, "publisher")
        if kind == "chapter":
            editors, count = _in_text_names(item, "editor", rules)
            out.word(title)
            out.stop()
            out.word("In")
            if editors:
                out.word(f"{editors} ({'Eds.' if count > 1 else 'Ed.'})")
                out.comma()
            title = _apa_title(field(item, "container-title"))
        details = [edition(item, "ed."),
                   f"Vol. {field(item, 'volume')}" if field(item, "volume") else ""]
        if kind == "chapter" and field(item, "page"):
            details.append("pp. " + page_range(field(item, "page"), "full"))
        if kind == "report" and field(item, "number"):
            details.append(f"{field(item, 'genre') or 'Report'} No. {field(item, 'number')}")
        if field(item, "version"):
            details.append(f"Version {field(item, 'version')}")
        details = [d for d in details if d]
        contributors = _contributors(item, rules, kind, lead)
        out.word(title, PLAIN if blog else ITALIC)
        if contributors or details:
            out.word(f"({'; '.join(contributors + ([', '.join(details)] if details else []))})")
        if software:
            out.word("[Computer software]")
        elif type_ == "dataset":
            out.word("[Data set]")
        elif kind == "preprint":
            out.word("[Preprint]")
        elif kind == "thesis":
            out.word(f"[{field(item, 'genre') or 'Doctoral dissertation'}]")
        out.stop()
        if kind in ("online", "preprint") and not software:
            publisher = field(item, "container-title", "publisher")
        if publisher and publisher != lead.rstrip("."):
            out.word(publisher, ITALIC if blog else PLAIN)
            out.stop()
        if kind == "online" and not item.get("issued") and item.get("accessed") and url:
            out.word(f"Retrieved {us_date(item.get('accessed'))}, from")
    target = doi_href or (url if kind != "periodical" or not field(item, "volume") else "")
    if target:
        out.word(target, LINK, target)
    original = year_of(item.get("original-date"))
    if original and kind != "periodical":  # a translation or reprint (APA 7, 10.2)
        out.word(f"(Original work published {original})")


def _volume_issue(item: Mapping[str, Any]) -> tuple[str, str]:
    """(volume, issue as printed in its parentheses) with a supplement (APA's "Suppl."
    abbreviation, 9.50): "42(Suppl. 2)", "58(12, Suppl. 7)"; ranges with an en dash."""
    volume, in_volume, volume_suppl = supplement_parts(field(item, "volume"))
    issue, in_issue, issue_suppl = supplement_parts(field(item, "issue"))
    issue = page_range(issue)
    number = field(item, "supplement-number") or issue_suppl or volume_suppl
    if not (in_volume or in_issue or field(item, "supplement-number")):
        return volume, issue
    suppl = f"Suppl. {number}" if number else "Suppl."
    return volume, f"{issue}, {suppl}" if issue else suppl


def _contributors(item: Mapping[str, Any], rules: NameRules, kind: str,
                  lead: str) -> list[str]:
    """Editors and translators of an authored book, after its title (APA 7, 10.2):
    "(H. Weaver, Trans.)", "(J. Strachey, Ed.; A. Richards, Trans.)"; a book led by its
    editors names them only once, and a chapter's editors are its book's."""
    parts = []
    editors = ("", 0) if kind == "chapter" or not lead or not item.get("author") \
        else _in_text_names(item, "editor", rules)
    translators = _in_text_names(item, "translator", rules)
    if editors[0] and editors == translators:  # "(J. Strachey, Ed. & Trans.)"
        return [f"{editors[0]}, {'Ed.' if editors[1] == 1 else 'Eds.'} & Trans."]
    if editors[0]:
        parts.append(f"{editors[0]}, {'Ed.' if editors[1] == 1 else 'Eds.'}")
    if translators[0]:
        parts.append(f"{translators[0]}, Trans.")
    return parts


def _in_text_names(item: Mapping[str, Any], key: str, rules: NameRules) -> tuple[str, int]:
    """Names as APA writes them after "In" or a title: initials first, "B. Vogelstein &
    K. W. Kinzler" (no comma between two), "A. B, C. D, & E. F"."""
    if not item.get(key):
        return "", 0
    in_text, two = _in_text_rules(rules)
    names, count = names_of(item, key, in_text)
    if count == 2:
        names, count = names_of(item, key, two)
    return names, count


@lru_cache(maxsize=8)
def _in_text_rules(rules: NameRules) -> tuple[NameRules, NameRules]:
    """`rules` with initials first, and that again with " & " between two names (made
    once a style: `dataclasses.replace` costs more than formatting a name)."""
    in_text = replace(rules, sort_order=False)
    return in_text, replace(in_text, and_=" & ")


def _sort_text(text: str) -> str:
    """Text for alphabetising: accents and case folded away."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=4096)
def _initials_key(given: str) -> str:
    """A first author's given names as the list prints them, for sorting and grouping:
    "Patrick R." and "P. R." -> "p. r." (remembered: the same authors recur in a list)."""
    return _sort_text(initials(given)) if given else ""


def _family(name: Any) -> str:
    """A name's family part as cited in the text: "van der Poll", "R Core Team"."""
    if isinstance(name, str):
        return text_of(name)
    if not isinstance(name, (dict, Mapping)):
        return ""
    literal = text_of(name.get("literal"))
    if literal:
        return literal
    family = text_of(name.get("family"))
    ndp = text_of(name.get("non-dropping-particle"))
    if ndp and family:
        family = ndp + ("" if ndp.endswith(("'", "\u2019")) else " ") + family
    return family or text_of(name.get("given"))


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
                                      given if isinstance(given, str) else text_of(given)))
                        continue
                is_map = isinstance(entry, dict) or isinstance(entry, Mapping)
                literal = entry.get("literal") if is_map else None
                if isinstance(literal, str) and literal.strip().lower() in OTHERS:
                    truncated = True
                    continue
                family = _family(entry)
                if family:
                    names.append((family, text_of(entry.get("given")) if is_map else ""))
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
    title = plain(field(item, "title"))
    year = year_of(item.get("issued"))
    if names:  # first author's family name and initials, then the others' family names:
        # the list prints initials, so "Patrick R." and "P. R." are one author (APA 9.46)
        who = ((_sort_text(names[0][0]), _initials_key(names[0][1])),
               (_sort_text(" ".join(families[1:])), ""))
    else:
        who = ((_sort_text(title), ""),)
    first_given = names[0][1] if names else ""
    return families, len(names) + truncated, year, (who, year, _sort_text(title)), first_given


def labels(items: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, tuple, str]]:
    """APA (label, year, sort key, year-suffix letter) for each item of one list: works
    with the same authors and year get 2010a, 2010b in title order; different author lists
    that would cite alike ("Sun et al., 2007") list more names until they differ; first
    authors who share a family name but not initials are cited with their initials
    ("A. Kuo, 2010; B. Kuo, 2010")."""
    keys = [_author_year_keys(item) for item in items]
    cited_as = []
    for (families, total, _, _, _), item in zip(keys, items):
        if families:
            cited_as.append(_cite_label(families, total))
        else:
            cited_as.append(f"\u201c{plain(field(item, 'title'))}\u201d")
    givens: dict[str, set[str]] = {}
    for families, _, _, key, given in keys:
        if families:
            givens.setdefault(key[0][0][0], set()).add(key[0][0][1])
    if any(len(g) > 1 for g in givens.values()):
        for i, (families, _, _, key, given) in enumerate(keys):
            if families and given and len(givens[key[0][0][0]]) > 1:
                cited_as[i] = f"{initials(given)} {cited_as[i]}"
    letters = [""] * len(items)
    groups: dict[tuple, list[int]] = {}
    for i, (families, total, year, key, _) in enumerate(keys):
        groups.setdefault((key[0], total, year), []).append(i)
    for members in groups.values():
        if len(members) > 1:
            for n, i in enumerate(sorted(members, key=lambda i: keys[i][3][2])):
                letters[i] = chr(ord("a") + n) if n < 26 else str(n + 1)
    clashes: dict[tuple[str, str], list[int]] = {}
    for i, (label, (_, _, year, key, _)) in enumerate(zip(cited_as, keys)):
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
            prefix = cited_as[i][: len(cited_as[i]) - len(_cite_label(families, total))]
            cited_as[i] = prefix + _cite_label(families, total, shown)
    out = []
    for label, letter, (_, _, year, key, _) in zip(cited_as, letters, keys):
        shown_year = (year + letter) if year else ("n.d." + (f"-{letter}" if letter else ""))
        out.append((label, shown_year, key, letter))
    return out


# up to 20 listed; 21 or more: the first 19, ". . .", the last; "Kaelin, W. G., Jr."
APA = Style("apa", layout, NameRules(and_=", & ", et_al=", et al.", et_al_min=21,
                                     et_al_use_first=19, et_al_last=True, suffix_form="period"),
            labels=labels)

STYLES = (APA,)
"""This module's styles, in the order `cite.STYLES` lists them."""
