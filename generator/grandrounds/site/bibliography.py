"""The site-wide bibliography: every reference cited by any case, once, with its citers.

Owns only the merge rule, as pure functions over CSL-JSON items: two references are the
same work when their DOIs match (case-insensitive, with or without a `https://doi.org/`
or `doi:` prefix); without a DOI on either side, when their normalised titles (accents
and case folded, punctuation and spacing ignored) and years match. An item with neither a
DOI nor a title is never merged. Of several copies of one work, the one with the most
filled-in fields represents it (the first of equals, in case order). Formatting and the
page itself belong to `render` and `templates/bibliography.md.j2`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, NamedTuple, Sequence

from ..cite.richtext import plain


class Citer(NamedTuple):
    """A case that cites a reference: its id and title, and the reference's id there
    (the entry's anchor on the case page is `#ref-<ref_id>`). A tuple: tens of thousands
    are made on each merge."""

    case_id: str
    case_title: str
    ref_id: str


@dataclass
class Entry:
    """One work in the bibliography."""

    key: str
    item: Mapping[str, Any]
    cited_by: list[Citer] = field(default_factory=list)
    _cases: set[str] = field(default_factory=set, repr=False, compare=False)


def normalise_doi(doi: Any) -> str:
    """'https://doi.org/10.1000/ABC' -> '10.1000/abc' ('' when it is not a DOI)."""
    text = str(doi or "").strip()
    text = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", text, flags=re.I)
    return text.lower() if re.match(r"^10\.\d{4,9}/\S+$", text) else ""


def normalise_title(title: Any) -> str:
    """CSL rich-text tags taken out, accents removed, case folded, every run of
    non-alphanumerics one space ("<i>E. coli</i>" and "E. coli" are one title)."""
    text = plain(str(title or ""))
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return " ".join(_NON_WORD.split(text.casefold())).strip()


_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NON_WORD = re.compile(r"[\W_]+")


def year_of(item: Mapping[str, Any]) -> str:
    """The year of `issued` ('' when there is none)."""
    issued = item.get("issued")
    if isinstance(issued, Mapping):
        parts = issued.get("date-parts") or []
        if parts and parts[0]:
            return str(parts[0][0]).strip()
        match = re.search(r"\d{4}", str(issued.get("literal") or issued.get("raw") or ""))
        return match.group(0) if match else ""
    return ""


def merge_key(item: Mapping[str, Any]) -> str | None:
    """`doi:<doi>`, else `title:<title>|<year>`; None for an item with neither."""
    doi = normalise_doi(item.get("DOI"))
    if doi:
        return f"doi:{doi}"
    title = normalise_title(item.get("title"))
    return f"title:{title}|{year_of(item)}" if title else None


def _filled(item: Mapping[str, Any]) -> int:
    return sum(1 for value in item.values() if value not in (None, "", [], {}))


@dataclass(frozen=True)
class Prepared:
    """What merging needs of one item, computed once (`prepare`): callers that keep it
    per version of a case (the MkDocs plugin) merge thousands of items without
    normalising a title again."""

    item: Mapping[str, Any]
    key: str | None  # merge_key(item)
    title_key: str | None  # title:<normalised title>|<year>, even when key is the DOI
    filled: int  # how many fields are filled in (the fullest copy represents a work)


def prepare(items: Sequence[Mapping[str, Any]]) -> list[Prepared]:
    out = []
    for item in items:
        doi = normalise_doi(item.get("DOI"))
        title = normalise_title(item.get("title"))
        title_key = f"title:{title}|{year_of(item)}" if title else None
        out.append(Prepared(item, f"doi:{doi}" if doi else title_key, title_key, _filled(item)))
    return out


def merge(cases: Iterable[tuple[str, str, Sequence[Mapping[str, Any]]]]) -> list[Entry]:
    """Entries from (case id, case title, its reference items), sorted by `sort_key`;
    each entry's citers in the order the cases came.

    An item with a DOI and one without but with the same title and year are one work: the
    title key of a DOI item is remembered, so the order in which they come does not
    matter. Two items whose DOIs differ are never merged, whatever their titles."""
    return merge_prepared((case_id, title, prepare(items)) for case_id, title, items in cases)


def merge_prepared(cases: Iterable[tuple[str, str, Sequence[Prepared]]]) -> list[Entry]:
    """`merge` of items already `prepare`d."""
    entries: dict[str, Entry] = {}
    filled: dict[str, int] = {}
    doi_titles: dict[str, set[str]] = {}  # title key -> DOI keys with that title (ambiguity)
    loose: list[tuple[str, Prepared, Citer]] = []  # title-only items, merged last
    order: dict[str, int] = {}
    for case_id, case_title, items in cases:
        order.setdefault(case_id, len(order))
        for n, p in enumerate(items, 1):
            citer = Citer(case_id, case_title, str(p.item.get("id") or f"ref{n}"))
            if p.key is None:
                _add(entries, filled, f"case:{case_id}:{citer.ref_id}", p, citer)
            elif p.title_key is not None and p.key != p.title_key:  # a DOI key
                _add(entries, filled, p.key, p, citer)
                doi_titles.setdefault(p.title_key, set()).add(p.key)
            elif p.key.startswith("doi:"):
                _add(entries, filled, p.key, p, citer)
            else:
                loose.append((p.key, p, citer))
    for key, p, citer in loose:
        dois = doi_titles.get(key, ())
        _add(entries, filled, next(iter(dois)) if len(dois) == 1 else key, p, citer)
    for entry in entries.values():
        if len(entry.cited_by) > 1:
            entry.cited_by.sort(key=lambda c: order[c.case_id])  # in case order, however merged
    return sorted(entries.values(), key=lambda e: sort_key(e.item))


def _add(entries: dict[str, Entry], filled: dict[str, int], key: str, p: Prepared, citer: Citer) -> None:
    entry = entries.get(key)
    if entry is None:
        entries[key] = Entry(key, p.item, [citer], {citer.case_id})
        filled[key] = p.filled
        return
    if p.filled > filled[key]:
        entry.item, filled[key] = p.item, p.filled
    if citer.case_id not in entry._cases:
        entry._cases.add(citer.case_id)
        entry.cited_by.append(citer)


def retitle(entries: list[Entry], changed: Mapping[str, str]) -> None:
    """Give the citers of `entries` the new titles of the cases in `changed` (case id ->
    title), in place: a changed title needs no new merge."""
    for entry in entries:
        if not entry._cases.isdisjoint(changed):
            entry.cited_by = [c._replace(case_title=changed[c.case_id]) if c.case_id in changed else c
                              for c in entry.cited_by]


def sort_key(item: Mapping[str, Any]) -> tuple[str, str, str]:
    """First author's family (or group) name, then year, then title; accents and case
    folded ('Tüzün' sorts as 'tuzun')."""
    names = item.get("author") or item.get("editor") or []
    first = names[0] if names and isinstance(names[0], Mapping) else {}
    name = first.get("family") or first.get("literal") or ""
    return (normalise_title(name) or "\uffff", year_of(item), normalise_title(item.get("title")))
