"""Tests for grandrounds.cite: the Nature style against the seed fixture, then each rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grandrounds.cite import (
    STYLES,
    FormattedReference,
    NameRules,
    UnknownStyleError,
    doi_url,
    format_name,
    format_reference,
    format_references,
    initials,
    join_names,
    page_range,
    safe_url,
    year_of,
)

FIXTURES = Path(__file__).parent / "fixtures"
SEED_ITEMS = json.loads((FIXTURES / "seed-references.csl.json").read_text(encoding="utf-8"))
SEED_NATURE = (FIXTURES / "seed-references.nature.txt").read_text(encoding="utf-8").splitlines()


def article(**fields):
    """A journal article with the seed fixture's first reference as defaults."""
    item = {
        "id": "x",
        "type": "article-journal",
        "author": [{"family": "Fessler", "given": "B. J."}],
        "title": "Alveolar hemorrhage",
        "container-title": "Chest",
        "volume": "118",
        "page": "1083–1090",
        "issued": {"date-parts": [[2000]]},
    }
    item.update(fields)
    return {k: v for k, v in item.items() if v is not None}


def people(n):
    return [{"family": f"Author{i}", "given": "A."} for i in range(1, n + 1)]


# --------------------------------------------------------------------------- the fixture


def test_fixture_sizes_match():
    assert len(SEED_ITEMS) == len(SEED_NATURE) == 24


@pytest.mark.parametrize("n", range(24), ids=lambda n: f"ref{n + 1:02d}")
def test_seed_reference_in_nature_matches_fixture_line(n):
    assert format_reference(SEED_ITEMS[n], "nature").text == SEED_NATURE[n]


def test_format_references_keeps_order_ids_and_plain_text():
    refs = format_references(SEED_ITEMS)
    assert [r.text for r in refs] == SEED_NATURE
    assert [r.id for r in refs] == [f"ref{n:02d}" for n in range(1, 25)]
    assert all(isinstance(r, FormattedReference) for r in refs)


def test_html_form_of_the_first_seed_line():
    html = format_reference(SEED_ITEMS[0]).html
    assert html == (
        "Santos-Ocampo, A. S., Mandell, B. F. &amp; Fessler, B. J. Alveolar hemorrhage in "
        "systemic lupus erythematosus: presentation and management. <em>Chest</em> "
        "<strong>118</strong>, 1083–1090 (2000)."
    )


def test_html_text_has_accents_and_greek_as_they_are():
    ref = format_reference(SEED_ITEMS[11])
    assert "γδ T cells" in ref.text and "γδ T cells" in ref.html
    assert format_reference(SEED_ITEMS[22]).text.startswith("Nalbandian, A., Crispín, J. C. & ")


# --------------------------------------------------------------------------- API


def test_styles_and_unknown_style():
    assert STYLES == ("nature", "vancouver", "ama", "apa")
    with pytest.raises(UnknownStyleError, match="nature, vancouver, ama, apa"):
        format_reference(article(), "harvard")
    with pytest.raises(ValueError):
        format_references([article()], "no-such-style")


def test_missing_id_is_numbered_by_position():
    refs = format_references([article(id=None), article(id="keep"), article(id=None)])
    assert [r.id for r in refs] == ["ref1", "keep", "ref3"]
    assert format_reference(article(id=None)).id == "ref1"
    assert format_reference(article(id=7)).id == "7"


def test_formatted_reference_is_frozen():
    ref = format_reference(article())
    with pytest.raises(AttributeError):
        ref.text = "changed"  # type: ignore[misc]


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize("given, expected", [
    ("Alberto Santiago", "A. S."),
    ("Bernard", "B."),
    ("A. S.", "A. S."),
    ("A.S.", "A. S."),
    ("AS", "A. S."),
    ("Jean-Pierre", "J.-P."),
    ("J.-P.", "J.-P."),
    ("Jean-Pierre Marie", "J.-P. M."),
    ("Émile", "É."),
    ("Øystein", "Ø."),
    ("Th. J.", "Th. J."),
])
def test_initials(given, expected):
    assert initials(given) == expected


def test_initials_with_other_rules_as_a_vancouver_style_would_use():
    rules = NameRules(period="", space="", hyphen=False)
    assert initials("Jean-Pierre Marie", rules) == "JPM"
    assert initials("A. S.", rules) == "AS"


def test_name_full_given_names_are_reduced_to_initials():
    assert format_name({"family": "Santos-Ocampo", "given": "Alberto Santiago"}) \
        == "Santos-Ocampo, A. S."


def test_name_hyphenated_given_name():
    assert format_name({"family": "Sartre", "given": "Jean-Paul"}) == "Sartre, J.-P."


@pytest.mark.parametrize("name, expected", [
    ({"family": "van der Berg", "given": "Jan"}, "van der Berg, J."),
    ({"family": "Berg", "given": "Jan", "non-dropping-particle": "van der"},
     "van der Berg, J."),
    ({"family": "Le Blanc", "given": "Katarina"}, "Le Blanc, K."),
    ({"family": "Alembert", "given": "Jean", "non-dropping-particle": "d'"}, "d'Alembert, J."),
    ({"family": "Beethoven", "given": "Ludwig van"}, "Beethoven, L. van"),
    ({"family": "Fontaine", "given": "Jean", "dropping-particle": "de La"},
     "Fontaine, J. de La"),
])
def test_name_particles_kept_as_given(name, expected):
    assert format_name(name) == expected


def test_name_suffix():
    assert format_name({"family": "King", "given": "Martin Luther", "suffix": "Jr"}) \
        == "King, M. L., Jr"  # the default rules; Nature's own rules print "King, M. L. Jr"


def test_name_literal_non_ascii_and_odd_shapes():
    assert format_name({"literal": "WHO Study Group"}) == "WHO Study Group"
    assert format_name({"family": "Cañas", "given": "Carlos"}) == "Cañas, C."
    assert format_name({"family": "Crispín", "given": "José C."}) == "Crispín, J. C."
    assert format_name({"family": "Zamora"}) == "Zamora"
    assert format_name({"given": "Madonna"}) == "Madonna"
    assert format_name({"family": "王", "given": "小明"}) == "王小明"
    assert format_name({}) == ""


# --------------------------------------------------------------------------- name lists


def test_join_names_small_lists():
    assert join_names(["A, B."]) == "A, B."
    assert join_names(["A, B.", "C, D."]) == "A, B. & C, D."
    assert join_names(["A, B.", "C, D.", "E, F."]) == "A, B., C, D. & E, F."
    assert join_names([]) == ""


def test_et_al_rule_five_authors_are_all_listed():
    text = format_reference(article(author=people(5))).text
    assert text.startswith(
        "Author1, A., Author2, A., Author3, A., Author4, A. & Author5, A. Alveolar")
    assert "et al." not in text


def test_et_al_rule_six_authors_become_first_author_et_al():
    assert format_reference(article(author=people(6))).text.startswith(
        "Author1, A. et al. Alveolar hemorrhage. Chest")


def test_literal_others_marker_after_one_author():
    item = article(author=[{"family": "Zamora", "given": "M. R."}, {"literal": "others"}])
    assert format_reference(item).text.startswith("Zamora, M. R. et al. Alveolar hemorrhage.")


def test_literal_others_marker_after_several_authors_lists_them_without_ampersand():
    item = article(author=people(2) + [{"literal": "others"}])
    assert format_reference(item).text.startswith("Author1, A., Author2, A. et al. Alveolar")
    assert join_names(["A, B.", "C, D."], truncated=True) == "A, B., C, D. et al."


def test_literal_others_marker_with_six_listed_authors_still_uses_first_author():
    item = article(author=people(6) + [{"literal": "others"}])
    assert format_reference(item).text.startswith("Author1, A. et al. Alveolar")


def test_group_author_prints_as_given():
    item = article(author=[{"literal": "American College of Rheumatology"}])
    assert format_reference(item).text.startswith(
        "American College of Rheumatology. Alveolar hemorrhage.")


# --------------------------------------------------------------------------- titles


def test_title_ending_in_question_mark_gets_no_full_stop():
    text = format_reference(article(title="Is it lupus?")).text
    assert "Is it lupus? Chest 118" in text
    assert "?." not in text


def test_title_ending_in_exclamation_or_full_stop_gets_no_extra_full_stop():
    assert "Not again! Chest" in format_reference(article(title="Not again!")).text
    assert "Done. Chest" in format_reference(article(title="Done.")).text


def test_html_and_script_in_title_are_escaped():
    item = article(title='<script>alert("x")</script> & <b>bold</b>')
    ref = format_reference(item)
    assert "<script>" not in ref.html and "<b>" not in ref.html
    # <b> is CSL rich text (issue 15): bold in HTML, plain in text; <script> stays text
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; <strong>bold</strong>" \
        in ref.html
    assert ref.text.startswith('Fessler, B. J. <script>alert("x")</script> & bold. ')


def test_every_field_is_escaped_in_html():
    item = article(author=[{"literal": "<img src=x onerror=alert(1)>"}],
                   **{"container-title": "J <i>x</i>", "volume": "<1>", "page": "2&3"})
    html = format_reference(item).html
    assert "<img" not in html and "<i>" not in html and "<1>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    # <i> inside an italic journal name is CSL rich text: upright (flip-flop), issue 15
    assert "<em>J </em>x <strong>&lt;1&gt;</strong>, 2&amp;3" in html


# --------------------------------------------------------------------------- links


def test_valid_doi_links_the_title_as_nature_prints_no_doi_for_a_paginated_article():
    ref = format_reference(article(DOI="10.1378/chest.118.4.1083"))
    assert ref.text == "Fessler, B. J. Alveolar hemorrhage. Chest 118, 1083–1090 (2000)."
    assert ref.html == (
        'Fessler, B. J. <a href="https://doi.org/10.1378/chest.118.4.1083">Alveolar '
        "hemorrhage</a>. <em>Chest</em> <strong>118</strong>, 1083–1090 (2000).")


@pytest.mark.parametrize("written", [
    "doi:10.1378/chest.118.4.1083",
    "https://doi.org/10.1378/chest.118.4.1083",
    "http://dx.doi.org/10.1378/chest.118.4.1083",
])
def test_doi_prefixes_are_normalised(written):
    assert doi_url(written) == "https://doi.org/10.1378/chest.118.4.1083"


@pytest.mark.parametrize("bad", [
    "11.1378/x", "10.12/x", "10.1378/", "10.1378/a b", "javascript:alert(1)", "", None, 10,
])
def test_invalid_doi_is_not_linked(bad):
    assert doi_url(bad) == ""
    ref = format_reference(article(DOI=bad))
    assert "<a" not in ref.html
    assert ref.text == "Fessler, B. J. Alveolar hemorrhage. Chest 118, 1083–1090 (2000)."


def test_doi_characters_that_change_a_url_are_encoded():
    assert doi_url('10.1000/a"b<c>#d?e') == "https://doi.org/10.1000/a%22b%3Cc%3E%23d%3Fe"


@pytest.mark.parametrize("bad", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>", "java\nscript:alert(1)",
    "vbscript:msgbox(1)", "//example.org/x", "https://", "example.org", "ftp://example.org/",
])
def test_unsafe_url_is_not_linked(bad):
    assert safe_url(bad) == ""
    ref = format_reference({"type": "webpage", "title": "Page", "URL": bad,
                            "issued": {"date-parts": [[2021]]}})
    assert "<a" not in ref.html and "href" not in ref.html
    assert "script" not in ref.html.lower()
    assert ref.text == "Page. (2021)."


def test_safe_url_keeps_http_and_https_and_escapes_the_href():
    assert safe_url("https://example.org/a?b=1&c=2") == "https://example.org/a?b=1&c=2"
    assert safe_url("http://example.org") == "http://example.org"
    ref = format_reference({"type": "webpage", "title": "Page",
                            "URL": "https://example.org/?q=\"><script>"})
    assert '<a href="https://example.org/?q=&quot;&gt;&lt;script&gt;">' in ref.html
    assert "<script>" not in ref.html


# --------------------------------------------------------------------------- pages, numbers


@pytest.mark.parametrize("page, expected", [
    ("1083-1090", "1083–1090"),
    ("1083--1090", "1083–1090"),
    ("1083 - 1090", "1083–1090"),
    ("1083–1090", "1083–1090"),
    ("1083-90", "1083–90"),
    ("S12-S15", "S12–S15"),
    ("e123-e130", "e123–e130"),
    ("1083", "1083"),
    ("e0206913", "e0206913"),
    ("iii-iv", "iii–iv"),   # roman numerals take the dash too
])
def test_page_range(page, expected):
    assert page_range(page) == expected


def test_hyphen_page_range_becomes_en_dash_in_the_entry():
    assert "Chest 118, 1083–1090 (2000)." in format_reference(article(page="1083-1090")).text


def test_article_number_when_there_is_no_page():
    item = article(page=None, number="e0206913",
                   **{"container-title": "PLoS ONE", "volume": "13",
                      "issued": {"date-parts": [[2018, 11, 1]]}})
    assert format_reference(item).text == (
        "Fessler, B. J. Alveolar hemorrhage. PLoS ONE 13, e0206913 (2018).")


def test_short_journal_title_is_preferred_for_articles():
    item = article(**{"container-title": "Clinical Rheumatology",
                      "container-title-short": "Clin. Rheumatol."})
    assert "Alveolar hemorrhage. Clin. Rheumatol. 118," in format_reference(item).text


# --------------------------------------------------------------------------- missing fields


def test_missing_year_leaves_no_empty_parentheses():
    text = format_reference(article(issued=None)).text
    assert text == "Fessler, B. J. Alveolar hemorrhage. Chest 118, 1083–1090."
    assert "()" not in text


def test_missing_fields_leave_no_stray_punctuation():
    assert format_reference(article(page=None)).text == \
        "Fessler, B. J. Alveolar hemorrhage. Chest 118 (2000)."
    assert format_reference(article(volume=None)).text == \
        "Fessler, B. J. Alveolar hemorrhage. Chest 1083–1090 (2000)."
    assert format_reference(article(author=None)).text == \
        "Alveolar hemorrhage. Chest 118, 1083–1090 (2000)."
    assert format_reference({"title": "Only a title"}).text == "Only a title."


@pytest.mark.parametrize("issued, expected", [
    ({"date-parts": [[2009, 5]]}, "2009"),
    ({"date-parts": [["2009"]]}, "2009"),
    ({"raw": "2009-05-01"}, "2009"),
    ({"literal": "in the press"}, "in the press"),
    ({"date-parts": [[]]}, ""),
    ({}, ""),
    (None, ""),
])
def test_year_of(issued, expected):
    assert year_of(issued) == expected


# --------------------------------------------------------------------------- other types


def test_book():
    item = {"type": "book", "author": [{"family": "Hogan", "given": "James"}],
            "title": "Life Without Boundaries", "publisher": "Ace",
            "publisher-place": "New York", "issued": {"date-parts": [[1996]]}}
    ref = format_reference(item)
    # Nature prints the place after the publisher (issue 15): "(Springer, Cham, 2019)"
    assert ref.text == "Hogan, J. Life Without Boundaries (Ace, New York, 1996)."
    assert ref.html == "Hogan, J. <em>Life Without Boundaries</em> (Ace, New York, 1996)."


def test_book_with_edition_and_editors_only():
    item = {"type": "book", "editor": [{"family": "Jameson", "given": "J. Larry"},
                                       {"family": "Fauci", "given": "Anthony S."}],
            "title": "Harrison's Principles of Internal Medicine", "edition": "20",
            "publisher": "McGraw-Hill", "issued": {"date-parts": [[2018]]}}
    assert format_reference(item).text == (
        "Jameson, J. L. & Fauci, A. S. (eds) Harrison's Principles of Internal Medicine "
        "20th edn (McGraw-Hill, 2018).")


def test_chapter():
    item = {"type": "chapter", "author": [{"family": "Schott", "given": "John R."}],
            "title": "The image chain", "container-title": "Remote Sensing",
            "editor": [{"family": "Editor", "given": "Anne"}], "page": "1-20",
            "publisher": "Oxford Univ. Press", "issued": {"date-parts": [[2007]]}}
    ref = format_reference(item)
    assert ref.text == ("Schott, J. R. in Remote Sensing (ed. Editor, A.) 1–20 "
                        "(Oxford Univ. Press, 2007).")
    assert "in <em>Remote Sensing</em> (ed. Editor, A.)" in ref.html


def test_chapter_with_several_editors_says_eds():
    item = {"type": "chapter", "author": [{"family": "Schott", "given": "J. R."}],
            "container-title": "Remote Sensing",
            "editor": [{"family": "One", "given": "A."}, {"family": "Two", "given": "B."}],
            "publisher": "Wiley", "issued": {"date-parts": [[2007]]}}
    assert format_reference(item).text == \
        "Schott, J. R. in Remote Sensing (eds One, A. & Two, B.) (Wiley, 2007)."


def test_web_page():
    item = {"type": "webpage", "title": "Lupus facts and statistics",
            "URL": "https://www.lupus.org/facts", "issued": {"date-parts": [[2021]]}}
    ref = format_reference(item)
    assert ref.text == "Lupus facts and statistics. https://www.lupus.org/facts (2021)."
    assert ref.html == ('Lupus facts and statistics. <a href="https://www.lupus.org/facts">'
                        "https://www.lupus.org/facts</a> (2021).")


def test_web_page_without_year_uses_access_date():
    item = {"type": "webpage", "title": "Page", "URL": "https://example.org/",
            "accessed": {"date-parts": [[2021, 5, 5]]}}
    assert format_reference(item).text == \
        "Page. https://example.org/ (accessed 5 May 2021)."


def test_report():
    item = {"type": "report", "author": [{"literal": "World Health Organization"}],
            "title": "Global Tuberculosis Report 2019", "publisher": "WHO",
            "issued": {"date-parts": [[2019]]}}
    assert format_reference(item).text == \
        "World Health Organization. Global Tuberculosis Report 2019 (WHO, 2019)."


def test_preprint():
    item = {"type": "article", "author": [{"family": "Babichev", "given": "S. A."}],
            "title": "Quantum scissors", "URL": "https://arxiv.org/abs/quant-ph/0208066",
            "issued": {"date-parts": [[2002]]}}
    assert format_reference(item).text == ("Babichev, S. A. Quantum scissors. Preprint at "
                                           "https://arxiv.org/abs/quant-ph/0208066 (2002).")


def test_software_with_doi():
    item = {"type": "software", "author": [{"family": "Hao", "given": "Zengchao"}],
            "title": "GIDMaPS", "version": "1.0", "publisher": "Zenodo",
            "DOI": "10.5281/zenodo.123456", "issued": {"date-parts": [[2014]]}}
    ref = format_reference(item)
    assert ref.text == ("Hao, Z. GIDMaPS version 1.0. Zenodo "
                        "https://doi.org/10.5281/zenodo.123456 (2014).")
    assert "<em>Zenodo</em> <a href=" in ref.html
