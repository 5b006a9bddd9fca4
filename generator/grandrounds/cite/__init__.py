"""Stage 3, cite: CSL-JSON reference items to formatted bibliography entries.

Owns turning one reference (a CSL-JSON item as Zotero and pandoc export it, e.g. from
`Case.reference_items()`) into a `FormattedReference`: the entry as safe inline HTML and
as plain text, in a named journal style, and for author-year styles the in-text label
("Nauta & Fibbe"), year ("2010a") and sort key that `markup.Citations` and `render` use;
and the rule for which style a case is cited in (`style_for`). It does not own loading or
validating reference files (`load`, `model`), numbering, the order of the list or the
in-text markers (`markup`, `render`), nor the page markup around an entry (`render`).

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

The package, one module a concern:

- `fields`: each field rule on untrusted data (`page_range`, NLM's `1947-9`, AMA's
  hyphen, `year_of` and the date forms, `doi_url`, `safe_url`, editions, which layout
  branch an item type gets);
- `names`: `NameRules` and the name rules it parameterises (`initials`, `format_name`,
  `join_names`: initials' punctuation, hyphens, particles, suffix form, et-al limits,
  APA's ellipsis);
- `output`: `Out`, the one output class: layouts place an item's pieces into it as
  segments (plain, italic, bold, link), and it renders them twice, as plain text and as
  HTML, so the two forms never disagree and escaping happens in exactly one place; its
  `stop()` adds a full stop unless the text already ends in `.`, `?` or `!`;
- `style`: `Style(name, layout, names, rules, labels)`, what a style is;
- one module a style family, each defining its `Style`s and a `STYLES` tuple: `nature`;
  `nlm` (vancouver and ama: one layout, and `NlmRules` holding where they differ);
  `apa` (with `labels`: an author-year list's labels, years with letters for works of the
  same authors and year, longer labels for different author lists that would cite alike,
  and the alphabetical sort key).

A fifth style is one file and one line: a module beside these (say `harvard.py`) with a
layout function that reuses `fields`, `names` and `Out`, and `STYLES = (Style("harvard",
layout, NameRules(...)),)` (`labels=` for an author-year style); then its module name in
`_FAMILIES` below, the registry. A style that is a variant of a family is a new `Style`
in that family's module (as AMA is of NLM), and its name in the module's `STYLES`.

Reference fields are untrusted: every piece of text is HTML-escaped, only `http(s)` URLs
with a host are linked (anything else, `javascript:` included, is dropped), and a DOI is
printed and linked only when it has the form `10.NNNN/suffix`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from .fields import doi_url, page_range, safe_url, text_of, year_of
from .names import NameRules, format_name, initials, join_names
from .output import Out
from .style import Style

__all__ = [
    "STYLES",
    "UnknownStyleError",
    "FormattedReference",
    "format_reference",
    "format_references",
    "is_author_year",
    "style_for",
    "NameRules",
    "Style",
    "initials",
    "format_name",
    "join_names",
    "page_range",
    "year_of",
    "doi_url",
    "safe_url",
    "CiteOptions",
]

_FAMILIES = ("nature", "nlm", "apa")
"""The registry: the style modules, each with a `STYLES` tuple, in the order `STYLES` lists
their styles (the first, `nature`, is the default)."""

_STYLES: dict[str, Style] = {style.name: style for family in _FAMILIES
                             for style in import_module(f".{family}", __name__).STYLES}

STYLES: tuple[str, ...] = tuple(_STYLES)
"""The style names `format_reference` accepts."""


_PUBMED_IDS: dict[str, Style] = import_module(".nlm", __name__).PUBMED_IDS
"""The styles that can print PubMed's ids, each as its variant with them on."""


@dataclass(frozen=True)
class CiteOptions:
    """Options of one formatting call, all off by default. Wire a site option and a
    per-case option to `CiteOptions(pubmed_ids=...)` and pass it to `format_reference(s)`."""

    pubmed_ids: bool = False
    """Vancouver: "PMID: 11961980; PMCID: PMC1234567." at the end, as PubMed prints them
    (ignored by styles that do not print them)."""


def _with_options(style: Style, options: CiteOptions | None) -> Style:
    """`style`, or its precomputed variant that `options` ask for."""
    if options is not None and options.pubmed_ids:
        return _PUBMED_IDS.get(style.name, style)
    return style


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


def style_for(case: Any, options: Any) -> str:
    """The style a case is cited in, on its page and in its handout: the case's own
    `style:`, else the site's (`options.style`, of `render` or `handout` options)."""
    return case.style or options.style


def options_for(case: Any, options: Any) -> CiteOptions:
    """The formatting options of a case's references: the case's own `pubmed_ids:`, else
    the site's (`options.pubmed_ids` of `render` or `handout` options), like `style_for`."""
    own = getattr(case, "pubmed_ids", None)
    return CiteOptions(pubmed_ids=own if own is not None else bool(getattr(options, "pubmed_ids", False)))


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
    out = Out()
    ref_id = text_of(item.get("id")) or f"ref{n}"
    if author_year is None:
        style.layout(item, style, out)
        return FormattedReference(id=ref_id, html=out.html(), text=out.text())
    label, year, key, letter = author_year
    style.layout({**item, "year-suffix": letter} if letter else item, style, out)
    return FormattedReference(id=ref_id, html=out.html(), text=out.text(), label=label,
                              year=year, sort_key=key)


def format_reference(item: Mapping[str, Any], style: str = "nature",
                     options: CiteOptions | None = None) -> FormattedReference:
    """One CSL-JSON item formatted in `style` (an id-less item gets the id "ref1").

    Raises `UnknownStyleError` for a style not in `STYLES`.
    """
    chosen = _with_options(_style(style), options)
    if chosen.labels is not None and isinstance(item, (dict, Mapping)):
        return _format(item, chosen, 1, chosen.labels([item])[0])
    return _format(item, chosen, 1)


def format_references(items: Sequence[Mapping[str, Any]],
                      style: str = "nature",
                      options: CiteOptions | None = None) -> list[FormattedReference]:
    """Every item formatted in `style`, in order; an id-less item gets "ref{n}" from its
    1-based position. In an author-year style the items are one list: works that would
    cite alike get year letters (2010a) or longer labels.

    Raises `UnknownStyleError` for a style not in `STYLES`.
    """
    chosen = _with_options(_style(style), options)
    if chosen.labels is not None:
        for item in items:
            if not isinstance(item, (dict, Mapping)):
                raise TypeError(
                    f"a reference must be a CSL-JSON object, not {type(item).__name__}")
        return [_format(item, chosen, n, ay)
                for n, (item, ay) in enumerate(zip(items, chosen.labels(items)), 1)]
    return [_format(item, chosen, n) for n, item in enumerate(items, 1)]
