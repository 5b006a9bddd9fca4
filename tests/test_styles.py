"""The four citation styles against reference lists as the style guides and journals print
them (tests/fixtures/styles/<style>.csl.json -> <style>.txt, one entry a line), then each
style's rules one by one: names, et-al limits, truncated lists, titles, page ranges, DOIs,
italics and bold, and the safety of the HTML form.

Sources of the golden lists: the ICMJE/NLM "Samples of Formatted References" (Halpern,
Rose, the Diabetes Prevention Program group, Murray, Gilstrap, Meltzer, Page), PubMed's
NLM citations (Ioannidis, Vincent, van der Poll, Kaelin, Guyatt, Bendavid), R's own
citation() (R Core Team), the APA 7 manual's 21-author example (Wiskunde) and the seed
list of the repository (Cañas). vancouver.txt, ama.txt and apa.txt were written by hand
from the style rules before the formatter ran on them; nature.txt and seed.<style>.txt
(the seed list in the other styles) were produced by the formatter and then checked line
by line against the rules.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from grandrounds.cite import STYLES, format_reference, format_references, is_author_year

STYLE_FIXTURES = Path(__file__).parent / "fixtures" / "styles"
SEED_ITEMS = json.loads((Path(__file__).parent / "fixtures" / "seed-references.csl.json")
                        .read_text(encoding="utf-8"))


def golden(name: str) -> tuple[list[dict], list[str]]:
    items = json.loads((STYLE_FIXTURES / f"{name}.csl.json").read_text(encoding="utf-8"))
    lines = (STYLE_FIXTURES / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return items, lines


def normalised(text: str) -> str:
    """Plain text as exactness is judged: whitespace normalised, every character kept."""
    return " ".join(text.split())


# --------------------------------------------------------------------------- golden lists

GOLDEN = [(style, n) for style in STYLES for n in range(len(golden(style)[0]))]


@pytest.mark.parametrize("style", STYLES)
def test_golden_fixture_has_one_line_per_item(style):
    items, lines = golden(style)
    assert len(items) == len(lines) >= 16


@pytest.mark.parametrize("style, n", GOLDEN,
                         ids=[f"{s}-{golden(s)[0][n]['id']}" for s, n in GOLDEN])
def test_golden_reference(style, n):
    items, lines = golden(style)
    # formatted as one list, so author-year disambiguation sees every item
    assert normalised(format_references(items, style)[n].text) == lines[n]


@pytest.mark.parametrize("style, n", GOLDEN,
                         ids=[f"{s}-{golden(s)[0][n]['id']}" for s, n in GOLDEN])
def test_golden_html_is_the_text_with_markup(style, n):
    items, lines = golden(style)
    html = format_references(items, style)[n].html
    assert normalised(_strip_tags(html)) == lines[n]


@pytest.mark.parametrize("style", ["vancouver", "ama", "apa"])
def test_seed_list_in_each_style(style):
    lines = (STYLE_FIXTURES / f"seed.{style}.txt").read_text(encoding="utf-8").splitlines()
    assert [r.text for r in format_references(SEED_ITEMS, style)] == lines


# --------------------------------------------------------------------------- helpers


def article(**fields):
    item = {"id": "x", "type": "article-journal",
            "author": [{"family": "Fessler", "given": "Barri J."}],
            "title": "Alveolar hemorrhage", "container-title": "Chest",
            "volume": "118", "issue": "4", "page": "1083-1090",
            "issued": {"date-parts": [[2000]]}}
    item.update(fields)
    return {k: v for k, v in item.items() if v is not None}


def people(n):
    return [{"family": f"Name{i}", "given": "A."} for i in range(1, n + 1)]


def text(style, **fields):
    return format_reference(article(**fields), style).text


def authors_part(style, n, truncated=False):
    names = people(n) + ([{"literal": "others"}] if truncated else [])
    return text(style, author=names).split(" Alveolar")[0].split(" (2000)")[0]


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def _strip_tags(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


class _Elements(HTMLParser):
    """(tag, attrs, text) of every element; fails on any tag outside em/strong/a."""

    def __init__(self):
        super().__init__()
        self.elements = []
        self.stack = []

    def handle_starttag(self, tag, attrs):
        assert tag in ("em", "strong", "a"), tag
        self.stack.append([tag, dict(attrs), ""])

    def handle_endtag(self, tag):
        element = self.stack.pop()
        assert element[0] == tag
        self.elements.append(tuple(element))

    def handle_data(self, data):
        for element in self.stack:
            element[2] += data


def elements(html: str) -> list[tuple[str, dict, str]]:
    parser = _Elements()
    parser.feed(html)
    parser.close()
    assert not parser.stack
    return parser.elements


# --------------------------------------------------------------------------- et al.


@pytest.mark.parametrize("style, listed, shortened, expected", [
    ("nature", 5, 6, "Name1, A. et al."),
    ("vancouver", 6, 7, "Name1 A, Name2 A, Name3 A, Name4 A, Name5 A, Name6 A, et al."),
    ("ama", 6, 7, "Name1 A, Name2 A, Name3 A, et al."),
])
def test_et_al_limit(style, listed, shortened, expected):
    assert "et al." not in authors_part(style, listed)
    assert authors_part(style, shortened) == expected
    assert authors_part(style, shortened + 5) == expected


def test_apa_lists_twenty_authors_and_shortens_twenty_one_with_an_ellipsis():
    twenty = authors_part("apa", 20)
    assert twenty.endswith("Name19, A., & Name20, A.") and "et al." not in twenty
    assert authors_part("apa", 21) == ", ".join(f"Name{i}, A." for i in range(1, 20)) \
        + ", . . . Name21, A."
    assert authors_part("apa", 30).endswith("Name19, A., . . . Name30, A.")


@pytest.mark.parametrize("style, expected", [
    ("nature", "Name1, A., Name2, A. et al."),
    ("vancouver", "Name1 A, Name2 A, et al."),
    ("ama", "Name1 A, Name2 A, et al."),
    ("apa", "Name1, A., Name2, A., et al."),
])
def test_others_marker_is_a_truncated_list_in_every_style(style, expected):
    assert authors_part(style, 2, truncated=True) == expected


@pytest.mark.parametrize("style, expected", [
    ("vancouver", "Name1 A, Name2 A, Name3 A, Name4 A, Name5 A, Name6 A, et al."),
    ("ama", "Name1 A, Name2 A, Name3 A, et al."),
    ("nature", "Name1, A. et al."),
])
def test_truncated_list_as_long_as_the_limit_follows_the_et_al_rule(style, expected):
    assert authors_part(style, 6, truncated=True) == expected


@pytest.mark.parametrize("style, two", [
    ("nature", "Name1, A. & Name2, A."),
    ("vancouver", "Name1 A, Name2 A."),
    ("ama", "Name1 A, Name2 A."),
    ("apa", "Name1, A., & Name2, A."),
])
def test_two_authors(style, two):
    assert authors_part(style, 2).rstrip(".") == two.rstrip(".")


# --------------------------------------------------------------------------- names

NAMES = {
    "hyphenated": [{"family": "Sartre", "given": "Jean-Paul"}],
    "particle": [{"family": "Berg", "given": "Jan", "non-dropping-particle": "van der"}],
    "dropping": [{"family": "Beethoven", "given": "Ludwig", "dropping-particle": "van"}],
    "capital particle": [{"family": "Le Blanc", "given": "Katarina"}],
    "suffix": [{"family": "King", "given": "Martin Luther", "suffix": "Jr."}],
    "roman": [{"family": "Gilstrap", "given": "Larry C.", "suffix": "III"}],
    "group": [{"literal": "R Core Team"}],
    "non-ascii": [{"family": "Ibáñez", "given": "Łucja María"}],
}
EXPECTED_NAMES = {
    "nature": ["Sartre, J.-P.", "van der Berg, J.", "Beethoven, L. van", "Le Blanc, K.",
               "King, M. L. Jr", "Gilstrap, L. C. III", "R Core Team", "Ibáñez, Ł. M."],
    "vancouver": ["Sartre JP", "van der Berg J", "van Beethoven L", "Le Blanc K", "King ML Jr",
                  "Gilstrap LC 3rd", "R Core Team", "Ibáñez ŁM"],
    "ama": ["Sartre J-P", "van der Berg J", "van Beethoven L", "Le Blanc K", "King ML Jr",
            "Gilstrap LC III", "R Core Team", "Ibáñez ŁM"],
    "apa": ["Sartre, J.-P.", "van der Berg, J.", "Beethoven, L. van", "Le Blanc, K.",
            "King, M. L., Jr.", "Gilstrap, L. C., III", "R Core Team", "Ibáñez, Ł. M."],
}


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("case", range(len(NAMES)), ids=list(NAMES))
def test_name_forms(style, case):
    name = list(NAMES.values())[case]
    expected = EXPECTED_NAMES[style][case]
    entry = text(style, author=name)
    assert entry.startswith(expected + (" " if expected.endswith(".") else ". ")), entry


# --------------------------------------------------------------------------- titles, pages


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("title", ["Is it lupus?", "Not lupus again!", "Lupus, revisited."])
def test_no_extra_full_stop_after_a_title_that_ends_a_sentence(style, title):
    entry = text(style, title=title)
    assert title + " " in entry
    assert title + "." not in entry


@pytest.mark.parametrize("style, pages, expected", [
    ("nature", "1947-1949", "1947–1949"),
    ("apa", "1947-1949", "1947–1949"),
    ("ama", "1947–1949", "1947-1949"),
    ("vancouver", "1947-1949", "1947-9"),
    ("vancouver", "1083–1090", "1083-90"),
    ("vancouver", "93-113", "93-113"),
    ("vancouver", "3499-3506", "3499-506"),
    ("vancouver", "S12-S15", "S12-5"),
    ("vancouver", "1083-90", "1083-90"),
    ("vancouver", "e12", "e12"),
])
def test_page_range_forms(style, pages, expected):
    assert f"{expected}" in text(style, page=pages)


@pytest.mark.parametrize("style, expected", [
    ("nature", "Chest 118, e0206913 (2000)."),
    ("vancouver", "Chest. 2000;118(4):e0206913."),
    ("ama", "Chest. 2000;118(4):e0206913."),
    ("apa", "Chest, 118(4), Article e0206913."),
])
def test_article_number_without_pages(style, expected):
    assert text(style, page=None, number="e0206913").endswith(expected)


@pytest.mark.parametrize("style, expected", [
    ("nature", "Alveolar hemorrhage. Chest 118, 1083–1090 (2000)."),  # the title is the link
    ("vancouver", "Chest. 2000;118(4):1083-90. doi: 10.1378/chest.118.4.1083."),
    ("ama", "Chest. 2000;118(4):1083-1090. doi:10.1378/chest.118.4.1083"),
    ("apa", "Chest, 118(4), 1083–1090. https://doi.org/10.1378/chest.118.4.1083"),
])
def test_doi_form(style, expected):
    ref = format_reference(article(DOI="doi:10.1378/chest.118.4.1083"), style)
    assert ref.text.endswith(expected)
    links = [e for e in elements(ref.html) if e[0] == "a"]
    assert [e[1]["href"] for e in links] == ["https://doi.org/10.1378/chest.118.4.1083"]


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("bad", ["11.1378/x", "10.12/x", "10.1378/a b",
                                 "javascript:alert(1)"])
def test_invalid_doi_is_neither_linked_nor_printed(style, bad):
    ref = format_reference(article(DOI=bad), style)
    assert "<a" not in ref.html
    assert "doi" not in ref.text.lower() and "alert" not in ref.text


def test_journal_abbreviation_as_given_without_full_stops_in_nlm_and_ama():
    item = {"container-title": "Clinical Rheumatology", "container-title-short": "Clin. Rheumatol."}
    assert " Clin Rheumatol. 2000;" in text("vancouver", **item)
    assert " Clin Rheumatol. 2000;" in text("ama", **item)
    assert " Clinical Rheumatology, 118(4)" in text("apa", **item)
    assert " Clin. Rheumatol. 118," in text("nature", **item)


def test_apa_capitalises_the_subtitle_but_not_words_with_inner_capitals():
    assert "Lupus: A review. Chest" in text("apa", title="Lupus: a review")
    assert "Lupus: mRNA and more. Chest" in text("apa", title="Lupus: mRNA and more")
    assert "Lupus: a review. Chest" in text("vancouver", title="Lupus: a review")


# --------------------------------------------------------------------------- markup


@pytest.mark.parametrize("style, italic, bold", [
    ("nature", ["Chest"], ["118"]),
    ("vancouver", [], []),
    ("ama", ["Chest"], []),
    ("apa", ["Chest", "118"], []),
])
def test_italics_and_bold_per_style(style, italic, bold):
    found = elements(format_reference(article(), style).html)
    assert [e[2] for e in found if e[0] == "em"] == italic
    assert [e[2] for e in found if e[0] == "strong"] == bold


@pytest.mark.parametrize("style", STYLES)
def test_book_title_is_italic_except_in_vancouver(style):
    book = {"id": "b", "type": "book", "author": [{"family": "Murray", "given": "P. R."}],
            "title": "Medical microbiology", "publisher": "Mosby", "issued": {"date-parts": [[2002]]}}
    found = [e[2] for e in elements(format_reference(book, style).html) if e[0] == "em"]
    # AMA 11th and Nature ("Book titles are italic with all main words capitalized", the
    # Nature formatting guide) print book titles in title case; APA in sentence case
    expected = {"vancouver": [], "apa": ["Medical microbiology"]}
    assert found == expected.get(style, ["Medical Microbiology"])


HOSTILE = {
    "title": "<script>alert(1)</script> *bold* _under_ [link](javascript:x) & more",
    "author": [{"family": "O'Brien <b>", "given": "A_*"}],
    "container-title": "J *x* [y]",
}


@pytest.mark.parametrize("style", STYLES)
def test_html_escapes_markup_and_keeps_markdown_specials_as_text(style):
    ref = format_reference(article(**HOSTILE), style)
    assert "<script" not in ref.html and "<b>" not in ref.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in ref.html
    assert "*bold* _under_ [link](javascript:x) &amp; more" in ref.html
    assert "javascript" not in "".join(e[1].get("href", "") for e in elements(ref.html))
    assert "<script>alert(1)</script> *bold* _under_ [link](javascript:x) & more" in ref.text


@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("url, linked", [
    ("https://example.org/a?b=1&c=2", True),
    ("http://example.org/", True),
    ("javascript:alert(1)", False),
    ("data:text/html,<script>x</script>", False),
    ("ftp://example.org/file", False),
    ("//example.org/x", False),
])
def test_only_http_links_are_emitted(style, url, linked):
    page = {"id": "w", "type": "webpage", "title": "A page", "URL": url,
            "issued": {"date-parts": [[2021, 3, 5]]}}
    ref = format_reference(page, style)
    hrefs = [e[1]["href"] for e in elements(ref.html) if e[0] == "a"]
    assert hrefs == ([url] if linked else [])
    assert ("script" in ref.html.lower()) is False


# --------------------------------------------------------------------------- types


@pytest.mark.parametrize("style, expected", [
    ("vancouver", "Ng A. Lupus atlas [Internet]. Lupus Society; 2021 Mar 5 [cited 2022 Jan 9]. "
                  "Available from: https://example.org/atlas"),
    ("ama", "Ng A. Lupus atlas. Lupus Society. Published March 5, 2021. Accessed January 9, 2022. "
            "https://example.org/atlas"),
    ("apa", "Ng, A. (2021, March 5). Lupus atlas. Lupus Society. https://example.org/atlas"),
])
def test_web_page(style, expected):
    page = {"id": "w", "type": "webpage", "author": [{"family": "Ng", "given": "Anna"}],
            "title": "Lupus atlas", "container-title": "Lupus Society",
            "URL": "https://example.org/atlas", "issued": {"date-parts": [[2021, 3, 5]]},
            "accessed": {"date-parts": [[2022, 1, 9]]}}
    assert format_reference(page, style).text == expected


def test_apa_web_page_without_date_says_nd_and_retrieved():
    page = {"id": "w", "type": "webpage", "author": [{"family": "Ng", "given": "Anna"}],
            "title": "Lupus atlas", "container-title": "Lupus Society",
            "URL": "https://example.org/atlas", "accessed": {"date-parts": [[2022, 1, 9]]}}
    assert format_reference(page, "apa").text == (
        "Ng, A. (n.d.). Lupus atlas. Lupus Society. Retrieved January 9, 2022, from "
        "https://example.org/atlas")


def test_apa_work_without_author_puts_the_title_first():
    assert text("apa", author=None) == "Alveolar hemorrhage. (2000). Chest, 118(4), 1083–1090."


def test_apa_chapter_with_three_editors():
    chapter = {"id": "c", "type": "chapter", "author": [{"family": "Ng", "given": "A."}],
               "title": "Kidneys", "container-title": "Lupus",
               "editor": people(3), "page": "1-9", "publisher": "Mosby",
               "issued": {"date-parts": [[2002]]}}
    assert format_reference(chapter, "apa").text == (
        "Ng, A. (2002). Kidneys. In A. Name1, A. Name2, & A. Name3 (Eds.), Lupus (pp. 1–9). "
        "Mosby.")


def test_author_year_styles():
    assert [s for s in STYLES if is_author_year(s)] == ["apa"]


# --------------------------------------------------------------------------- APA labels


def test_apa_labels_and_years_for_in_text_citations():
    items = [article(id="one"),
             article(id="two", author=people(2)),
             article(id="three", author=people(3)),
             article(id="group", author=[{"literal": "R Core Team"}]),
             article(id="undated", author=[{"family": "Ng", "given": "A."}], issued=None)]
    refs = {r.id: r for r in format_references(items, "apa")}
    assert [(refs[k].label, refs[k].year) for k in refs] == [
        ("Fessler", "2000"), ("Name1 & Name2", "2000"), ("Name1 et al.", "2000"),
        ("R Core Team", "2000"), ("Ng", "n.d.")]


def test_apa_same_authors_same_year_get_letters_in_title_order_in_list_and_text():
    items = [article(id="late", title="Zebra lupus"), article(id="early", title="Aardvark lupus")]
    refs = {r.id: r for r in format_references(items, "apa")}
    assert (refs["early"].year, refs["late"].year) == ("2000a", "2000b")
    assert refs["early"].text.startswith("Fessler, B. J. (2000a). Aardvark")
    assert refs["late"].text.startswith("Fessler, B. J. (2000b). Zebra")


def test_apa_different_author_lists_that_shorten_alike_list_more_names():
    a = [{"family": "Kapoor", "given": "A."}, {"family": "Bloom", "given": "B."},
         {"family": "Montez", "given": "C."}]
    b = a[:2] + [{"family": "Zucker", "given": "D."}, {"family": "Ito", "given": "E."}]
    refs = format_references([article(id="a", author=a), article(id="b", author=b)], "apa")
    assert [r.label for r in refs] == ["Kapoor, Bloom, & Montez", "Kapoor, Bloom, Zucker, et al."]
    assert [r.year for r in refs] == ["2000", "2000"]


def test_numeric_styles_have_no_labels():
    for style in ("nature", "vancouver", "ama"):
        ref = format_reference(article(), style)
        assert (ref.label, ref.year, ref.sort_key) == ("", "", ())


def test_apa_first_authors_with_one_family_name_but_different_initials_get_initials():
    items = [article(id="a", author=[{"family": "Kuo", "given": "Anna"}]),
             article(id="b", author=[{"family": "Kuo", "given": "Bo"},
                                     {"family": "Li", "given": "C."}], issued={"date-parts": [[2003]]}),
             article(id="c", author=[{"family": "Kuo", "given": "Anna"}], issued={"date-parts": [[2004]]})]
    refs = format_references(items, "apa")
    assert [(r.label, r.year) for r in refs] == [
        ("A. Kuo", "2000"), ("B. Kuo & Li", "2003"), ("A. Kuo", "2004")]


def test_nature_prints_the_doi_only_for_an_article_without_volume_or_pages():
    ahead = format_reference(article(volume=None, issue=None, page=None,
                                     DOI="10.1038/s41586-020-0000-0"), "nature")
    assert ahead.text == ("Fessler, B. J. Alveolar hemorrhage. Chest "
                          "https://doi.org/10.1038/s41586-020-0000-0 (2000).")
    printed = format_reference(article(DOI="10.1378/chest.118.4.1083"), "nature")
    assert printed.html.startswith(
        'Fessler, B. J. <a href="https://doi.org/10.1378/chest.118.4.1083">Alveolar hemorrhage</a>. ')
