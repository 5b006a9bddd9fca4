"""The cite package's structure: the registry, the NLM family's rules as data, one escaping
class, and `style_for` (the styles' output itself is tested in test_cite.py and
test_styles.py)."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

from grandrounds import cite
from grandrounds.cite import apa, nature, nlm
from grandrounds.cite.output import ITALIC, Out

PACKAGE = Path(cite.__file__).parent

ARTICLE = {
    "id": "halpern",
    "type": "article-journal",
    "author": [{"family": "Halpern", "given": "Scott D."}, {"family": "Ubel", "given": "Peter A."}],
    "title": "Beyond the <ethics> of it",
    "container-title": "New England Journal of Medicine",
    "container-title-short": "N. Engl. J. Med.",
    "volume": "347",
    "issue": "4",
    "page": "284-287",
    "issued": {"date-parts": [[2002, 7, 25]]},
    "DOI": "10.1056/NEJMsb020632",
}
CHAPTER = {
    "id": "ch", "type": "chapter", "title": "Apoptosis",
    "author": [{"family": "Kerr", "given": "John"}],
    "editor": [{"family": "Vogelstein", "given": "Bert"}, {"family": "Kinzler", "given": "Kenneth"}],
    "container-title": "The Genetic Basis of Human Cancer", "edition": "2",
    "publisher": "McGraw-Hill", "publisher-place": "New York", "page": "93-113",
    "issued": {"date-parts": [[2002]]},
}


def test_registry_lists_each_family_module_styles_in_order():
    assert cite.STYLES == ("nature", "vancouver", "ama", "apa")
    from_modules = [s.name for family in (nature, nlm, apa) for s in family.STYLES]
    assert from_modules == list(cite.STYLES)
    assert [s for s in cite.STYLES if cite.is_author_year(s)] == ["apa"]


def test_vancouver_and_ama_share_one_layout_and_differ_only_in_rules():
    assert nlm.VANCOUVER.layout is nlm.AMA.layout is nlm.layout
    assert isinstance(nlm.VANCOUVER.rules, nlm.NlmRules)
    assert nlm.VANCOUVER.rules != nlm.AMA.rules


def _formatted(style, item):
    out = Out()
    style.layout(item, style, out)
    return out.text(), out.html()


def test_a_rule_changed_as_data_changes_only_that_part_of_the_entry():
    italic = replace(nlm.VANCOUVER, rules=replace(nlm.VANCOUVER.rules, italic=ITALIC))
    text, html = _formatted(italic, ARTICLE)
    assert text == cite.format_reference(ARTICLE, "vancouver").text
    assert "<em>N Engl J Med</em>" in html
    assert "<em>" not in cite.format_reference(ARTICLE, "vancouver").html
    # AMA's imprint with NLM's place of publication and pages after it
    placed = replace(nlm.AMA, rules=replace(nlm.AMA.rules, place=True, pages_in_imprint=False))
    text, _ = _formatted(placed, CHAPTER)
    assert "New York: McGraw-Hill; 2002. p. 93-113." in text
    assert "McGraw-Hill; 2002:93-113." in cite.format_reference(CHAPTER, "ama").text


def test_doi_ending_is_the_only_difference_the_doi_rules_make():
    ama = cite.format_reference(ARTICLE, "ama").text
    assert ama.endswith("doi:10.1056/NEJMsb020632")
    spaced = replace(nlm.AMA, rules=replace(nlm.AMA.rules, doi_space=True, link_stop=True))
    assert _formatted(spaced, ARTICLE)[0] == ama.replace("doi:", "doi: ") + "."


@pytest.mark.parametrize("style", cite.STYLES)
def test_every_style_escapes_through_out(style):
    html = cite.format_reference(ARTICLE, style).html
    assert "&lt;ethics&gt;" in html and "<ethics>" not in html


def test_out_is_the_only_module_that_escapes_html():
    escaping = re.compile(r"\bescape\(|html\.escape|markupsafe|&lt;|&amp;")
    users = sorted(p.name for p in PACKAGE.glob("*.py") if escaping.search(p.read_text(encoding="utf-8")))
    assert users == ["output.py"]


@pytest.mark.parametrize(("case_style", "site_style", "expected"), [
    ("apa", "nature", "apa"), (None, "vancouver", "vancouver"), ("", "ama", "ama"),
])
def test_style_for_is_the_case_style_else_the_site_style(case_style, site_style, expected):
    case = SimpleNamespace(style=case_style)
    assert cite.style_for(case, SimpleNamespace(style=site_style)) == expected


def test_unknown_style_is_refused_by_name():
    with pytest.raises(cite.UnknownStyleError, match="known styles: nature, vancouver, ama, apa"):
        cite.format_reference(ARTICLE, "harvard")


@pytest.mark.parametrize("style", cite.STYLES)
@pytest.mark.parametrize("item", [
    {"type": "webpage", "title": "T", "URL": "https://x.org", "accessed": {"date-parts": [[2021, float("inf")]]}},
    {"type": "article-journal", "title": "T", "issued": {"date-parts": [[float("inf")]]}},
    {"type": "webpage", "title": "T", "issued": {"date-parts": [[2020, float("-inf"), 3]]}},
    {"type": "book", "title": "T", "edition": "\u00b2"},
    {"type": "book", "title": "T", "publisher": "P", "edition": "9" * 5000},
])
def test_numbers_int_refuses_are_printed_as_given_not_raised(style, item):
    """Dates of infinity (JSON's `Infinity`) and editions of digits int() refuses were
    tracebacks; they print as the other malformed values do."""
    formatted = cite.format_reference(item, style)
    assert formatted.text.startswith("T")
    if "edition" in item:
        assert item["edition"] in formatted.text


@pytest.mark.parametrize("first, second", [({"family": "Xu", "given": "Ann"}, {"family": "Xu", "given": "Ann Bo"}),
                                           ({"family": "X", "given": True}, {"family": "X", "given": 1}),
                                           ({"family": "X", "given": 1.0}, {"family": "X", "given": 1})])
def test_the_name_cache_never_changes_a_name(first, second):
    """Formatted names are cached by their parts; what a name formats to must not depend on
    which names were formatted before it (True == 1 == 1.0 in Python, so such parts bypass it)."""
    from grandrounds.cite import names

    def alone(name):
        names._name_from_parts.cache_clear()
        return names.format_name(name)

    expected = [alone(first), alone(second)]
    names._name_from_parts.cache_clear()
    assert [names.format_name(first), names.format_name(second)] == expected
    names._name_from_parts.cache_clear()
    assert [names.format_name(second), names.format_name(first)] == expected[::-1]
