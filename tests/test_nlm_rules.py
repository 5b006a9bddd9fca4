"""The NLM family's rules to the letter (issue 15): Vancouver (NLM Citing Medicine as PubMed
prints it) and AMA (Manual of Style, 11th ed.).

The golden list tests/fixtures/styles/nlm-rules.csl.json -> nlm-rules.<style>.txt holds one
item a rule, each with its source in its `note`: the NLM/ICMJE "Samples of Formatted
References", the 1997 Uniform Requirements, PubMed's citations as printed (two-month and
season dates, e-pages), the AMA Manual's own examples (11th ed. 3.13.1 newspapers; the 8th
ed.'s lower-case "(suppl 2)"); where a note says a style's line is constructed, it is that
style's rule applied to the printed item. Three items are constructed outright (suffix-letter
pages, an article ahead of print, a preprint with no server): no printed list showed them. The tests after it
check each rule with other inputs than the golden list's: the page-range forms every style
shares (`fields.page_range`), supplements, online-first notes, dates, editions, title
case, online books, preprints, languages and the PubMed-ids option.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from grandrounds.cite import CiteOptions, format_reference, format_references
from grandrounds.cite.fields import PAGE_FORMS, edition, nlm_date, page_range
from grandrounds.cite.nlm import ahead_of_print, language_name, title_case

FIXTURES = Path(__file__).parent / "fixtures" / "styles"
ITEMS = json.loads((FIXTURES / "nlm-rules.csl.json").read_text(encoding="utf-8"))
GOLDEN = [(style, n) for style in ("vancouver", "ama") for n in range(len(ITEMS))]


def lines(style: str) -> list[str]:
    return (FIXTURES / f"nlm-rules.{style}.txt").read_text(encoding="utf-8").splitlines()


# --------------------------------------------------------------------------- golden list


def test_every_golden_item_names_its_source():
    assert all(item.get("note") for item in ITEMS)
    assert len(lines("vancouver")) == len(lines("ama")) == len(ITEMS) >= 20


@pytest.mark.parametrize("style, n", GOLDEN, ids=[f"{s}-{ITEMS[n]['id']}" for s, n in GOLDEN])
def test_golden_line(style, n):
    assert format_references(ITEMS, style)[n].text == lines(style)[n]


# --------------------------------------------------------------------------- page ranges


@pytest.mark.parametrize("page, full, abbreviated", [
    ("132-5", "132-135", "132-5"),
    ("1947-9", "1947-1949", "1947-9"),
    ("1199-1205", "1199-1205", "1199-205"),     # MEDLINE indexing manual 10.2
    ("21-30", "21-30", "21-30"),
    ("645-648", "645-648", "645-8"),
    ("99-101", "99-101", "99-101"),
    ("E93-5", "E93-E95", "E93-5"),
    ("e2021-e2029", "e2021-e2029", "e2021-9"),
    ("775S-778S", "775S-778S", "775S-8S"),
    ("1030S-5S", "1030S-1035S", "1030S-5S"),
    ("ii165-ii173", "ii165-ii173", "ii165-73"),
    ("34-6, 87-91, 110-2", "34-36, 87-91, 110-112", "34-6, 87-91, 110-2"),
    ("12 – 19", "12-19", "12-9"),
    ("71.e1-71.e8", "71.e1-71.e8", "71.e1-71.e8"),  # a compound number keeps its digits
    ("A12-B3", "A12-B3", "A12-B3"),                 # letters that differ: as given
    ("95-93", "95-93", "95-93"),                    # an end below the start: as given
    ("iii-iv", "iii-iv", "iii-iv"),
    ("e0206913", "e0206913", "e0206913"),
])
def test_page_range_forms(page, full, abbreviated):
    assert page_range(page, "full", "-") == full
    assert page_range(page, "abbreviated", "-") == abbreviated
    if page[:1].isdigit():
        assert page_range(page, "full") == full.replace("-", "\u2013")


@pytest.mark.parametrize("style, printed", [("nature", "Bioethics 16, iii\u2013v (2002)."),
                                             ("apa", "Bioethics, 16(2), iii\u2013v."),
                                             ("vancouver", "2002;16(2):iii-v."),
                                             ("ama", "2002;16(2):iii-v.")])
def test_roman_page_ranges_take_the_styles_dash(style, printed):
    """NLM sample 'Pagination in roman numerals' ("Bioethics. 2002;16(2):iii-v."): the
    numerals as given, the dash the style's (citeproc-js check)."""
    item = {"type": "article-journal", "title": "T", "container-title": "Bioethics",
            "container-title-short": "Bioethics", "volume": "16", "issue": "2", "page": "iii-v",
            "issued": {"date-parts": [[2002]]}}
    assert format_reference(item, style).text.endswith(printed)
    assert page_range("IV - VII") == "IV\u2013VII" and page_range("mid-1990") == "mid-1990"


def test_page_range_as_given_keeps_digits_and_takes_the_dash():
    assert page_range("1083-90") == "1083\u201390"
    assert page_range("775S-778S") == "775S\u2013778S"   # a letter before the dash too
    assert page_range("1947-9", "as given", "-") == "1947-9"
    assert PAGE_FORMS == ("as given", "full", "abbreviated")
    with pytest.raises(ValueError):
        page_range("1-2", "short")


def test_page_range_of_huge_digit_strings_does_not_hang_or_raise():
    start, end = "9" * 5000, "1" + "0" * 5000
    assert page_range(f"{start}-{end}", "abbreviated", "-") == f"{start}-{end}"
    assert page_range(f"1{'0' * 4999}-5", "full", "-").endswith("05")


@pytest.mark.parametrize("style, expected", [
    ("vancouver", "2011;17(3):2021-9."),
    ("ama", "2011;17(3):2021-2029."),
])
def test_page_forms_in_the_entry(style, expected):
    item = {"type": "article-journal", "title": "T", "container-title-short": "J",
            "volume": "17", "issue": "3", "page": "2021–29", "issued": {"date-parts": [[2011]]}}
    assert format_reference(item, style).text.endswith(expected)


# --------------------------------------------------------------------------- supplements


def article(**fields):
    item = {"type": "article-journal", "title": "T", "container-title-short": "J",
            "issued": {"date-parts": [[2015]]}, "page": "S10-S15"}
    item.update(fields)
    return item


@pytest.mark.parametrize("fields, vancouver, ama", [
    ({"volume": "64", "supplement-number": "3"}, "2015;64 Suppl 3:S10-5.",
     "2015;64(suppl 3):S10-S15."),
    ({"volume": "64", "issue": "2", "supplement-number": "1"}, "2015;64(2 Suppl 1):S10-5.",
     "2015;64(2 suppl 1):S10-S15."),
    ({"volume": "64 Suppl 2"}, "2015;64 Suppl 2:S10-5.", "2015;64(suppl 2):S10-S15."),
    ({"volume": "64", "issue": "Supplement 4"}, "2015;64 Suppl 4:S10-5.",
     "2015;64(suppl 4):S10-S15."),
    ({"volume": "64", "issue": "suppl"}, "2015;64 Suppl:S10-5.", "2015;64(suppl):S10-S15."),
    ({"volume": "64", "issue": "7"}, "2015;64(7):S10-5.", "2015;64(7):S10-S15."),
])
def test_supplements(fields, vancouver, ama):
    assert format_reference(article(**fields), "vancouver").text.endswith(vancouver)
    assert format_reference(article(**fields), "ama").text.endswith(ama)


# --------------------------------------------------------------------------- online first


def test_online_first_only_for_items_really_ahead_of_print():
    early = {"type": "article-journal", "title": "T", "container-title-short": "Lancet",
             "issued": {"date-parts": [[2024, 2, 29]]}, "DOI": "10.1016/S0140-6736(24)00001-1"}
    assert ahead_of_print(early)
    assert format_reference(early, "ama").text == (
        "T. Lancet. Published online February 29, 2024. doi:10.1016/S0140-6736(24)00001-1")
    assert format_reference(early, "vancouver").text == (
        "T. Lancet. 2024 Feb 29. doi: 10.1016/S0140-6736(24)00001-1. Epub ahead of print.")
    for old in ({**early, "issued": {"date-parts": [[1987]]}},      # a year only
                {**early, "page": "12-15"},                          # pages: in an issue
                {**early, "volume": "403"}):
        assert not ahead_of_print(old)
        assert "Published online" not in format_reference(old, "ama").text
        assert "Epub" not in format_reference(old, "vancouver").text


def test_epub_date_after_the_doi_only_when_it_differs_from_the_issue_date():
    item = article(volume="9", **{"available-date": {"date-parts": [[2014, 12, 1]]},
                                  "DOI": "10.1000/x1"})
    assert format_reference(item, "vancouver").text.endswith(
        "doi: 10.1000/x1. Epub 2014 Dec 1.")
    assert "Epub" not in format_reference(item, "ama").text
    same = {**item, "available-date": item["issued"]}
    assert "Epub" not in format_reference(same, "vancouver").text


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize("date, expected", [
    ({"date-parts": [[2017, 11], [2017, 12]]}, "2017 Nov-Dec"),
    ({"date-parts": [[2017, 12], [2018, 1]]}, "2017 Dec-2018 Jan"),
    ({"date-parts": [[2020, 6, 4], [2020, 6, 11]]}, "2020 Jun 4-11"),
    ({"date-parts": [[2019, 22]]}, "2019 Summer"),
    ({"date-parts": [[2019]], "season": "Winter"}, "2019 Winter"),
    ({"raw": "2006 Fall"}, "2006 Fall"),
    ({"raw": "2017 Nov-Dec"}, "2017 Nov-Dec"),
    ({"raw": "Nov 2017 <b>"}, "2017"),
    ({"date-parts": [[2002, 7, 25]]}, "2002 Jul 25"),
    ({"date-parts": [[2002, 13]]}, "2002"),
    ({"date-parts": [[float("inf")]]}, "inf"),  # as given, never OverflowError
])
def test_nlm_dates(date, expected):
    assert nlm_date(date) == expected


# --------------------------------------------------------------------------- books


@pytest.mark.parametrize("given, expected", [
    ("3", "3rd ed."), ("4th ed", "4th ed."), ("2nd edition", "2nd ed."),
    ("Second edition", "2nd ed."), ("twelfth ed.", "12th ed."), ("5th edn.", "5th ed."),
    ("Revised edition", "Revised edition"), ("2nd rev. ed.", "2nd rev. ed."), ("²", "²"),
])
def test_editions_normalised(given, expected):
    assert edition({"edition": given}, "ed.") == expected


@pytest.mark.parametrize("title, expected", [
    ("harrison's principles of internal medicine", "Harrison's Principles of Internal Medicine"),
    ("the ECG in practice: a guide to the basics", "The ECG in Practice: A Guide to the Basics"),
    ("mRNA vaccines for infectious diseases", "mRNA Vaccines for Infectious Diseases"),
    ("what to look for", "What to Look For"),
    ("COVID-19 and the kidney", "COVID-19 and the Kidney"),
])
def test_ama_title_case(title, expected):
    assert title_case(title) == expected


def test_ama_book_title_case_and_edition_in_words_end_their_sentences():
    book = {"type": "book", "title": "clinical neurology", "edition": "Second edition",
            "publisher": "Elsevier", "issued": {"date-parts": [[2019]]},
            "author": [{"family": "Aminoff", "given": "M. J."}]}
    assert format_reference(book, "ama").text == (
        "Aminoff MJ. Clinical Neurology. 2nd ed. Elsevier; 2019.")
    odd = {**book, "edition": "Rev. and enl. edition"}
    assert "edition Elsevier" not in format_reference(odd, "ama").text
    assert "Rev. and enl. edition. Elsevier; 2019." in format_reference(odd, "ama").text
    assert "clinical neurology. 2nd ed." in format_reference(book, "vancouver").text


def test_version_ending_in_a_full_stop_is_not_doubled():
    item = {"type": "software", "title": "Stata", "version": "17.0.",
            "publisher": "StataCorp", "issued": {"date-parts": [[2021]]}}
    for style in ("ama", "vancouver"):
        assert "Version 17.0. StataCorp" in format_reference(item, style).text


def test_vancouver_online_chapter_and_ama_online_book():
    chapter = {"type": "chapter", "title": "Hyponatremia", "container-title": "Endotext",
               "author": [{"family": "Sterns", "given": "R. H."}],
               "editor": [{"family": "Feingold", "given": "K. R."}],
               "publisher": "MDText.com, Inc.", "publisher-place": "South Dartmouth (MA)",
               "issued": {"date-parts": [[2000]]}, "updated": {"date-parts": [[2022, 6, 5]]},
               "accessed": {"date-parts": [[2024, 1, 10]]},
               "URL": "https://www.ncbi.nlm.nih.gov/books/NBK279102/"}
    assert format_reference(chapter, "vancouver").text == (
        "Sterns RH. Hyponatremia. In: Feingold KR, editor. Endotext [Internet]. South Dartmouth (MA): "
        "MDText.com, Inc.; 2000 [updated 2022 Jun 5; cited 2024 Jan 10]. Available from: "
        "https://www.ncbi.nlm.nih.gov/books/NBK279102/.")
    assert format_reference(chapter, "ama").text.endswith(
        "MDText.com, Inc.; 2000. Accessed January 10, 2024. "
        "https://www.ncbi.nlm.nih.gov/books/NBK279102/")
    printed = {k: v for k, v in chapter.items() if k != "URL"}
    assert "[Internet]" not in format_reference(printed, "vancouver").text


def test_preprint_without_a_server_has_no_empty_sentence():
    item = {"type": "preprint", "title": "Early results", "number": "2021.01.02.123",
            "issued": {"date-parts": [[2021, 1, 3]]}}
    text = format_reference(item, "vancouver").text
    assert text == "Early results [Preprint]. 2021 Jan 3:2021.01.02.123."
    assert ". [Preprint]" not in text
    served = {**item, "container-title": "bioRxiv"}
    assert format_reference(served, "vancouver").text.startswith(
        "Early results. bioRxiv [Preprint]. 2021 Jan 3")


# --------------------------------------------------------------------------- languages, ids


@pytest.mark.parametrize("language, name", [
    ("de", "German"), ("de-AT", "German"), ("ger", "German"), ("fre", "French"),
    ("French", "French"), ("es_MX", "Spanish"), ("jpn", "Japanese"), ("en", ""),
    ("eng", ""), ("en-GB", ""), ("xx", ""), ("<script>", ""), ("", ""), (12, ""),
])
def test_language_names(language, name):
    assert language_name({"language": language}) == name


def test_language_notes_in_each_style():
    item = article(volume="41", issue="3", page="201-9", language="fr",
                   title="Hyponatrémie du sujet âgé")
    assert format_reference(item, "vancouver").text == (
        "Hyponatrémie du sujet âgé. J. 2015;41(3):201-9. French.")
    assert format_reference(item, "ama").text == (
        "Hyponatrémie du sujet âgé [in French]. J. 2015;41(3):201-209.")
    assert "French" not in format_reference(item, "nature").text


def test_pubmed_ids_only_with_the_option_and_only_in_vancouver():
    item = article(volume="9", PMID="20301615", PMCID="2735421", DOI="10.1000/x2")
    on = CiteOptions(pubmed_ids=True)
    assert "PMID" not in format_reference(item, "vancouver").text
    assert format_reference(item, "vancouver", on).text.endswith(
        "doi: 10.1000/x2. PMID: 20301615; PMCID: PMC2735421.")
    assert [r.text for r in format_references([item], "vancouver", on)] == [
        format_reference(item, "vancouver", on).text]
    for style in ("ama", "nature", "apa"):
        assert "PMID" not in format_reference(item, style, on).text
    bad = article(PMID="123; <b>", PMCID="PMC12x")
    assert "PMID" not in format_reference(bad, "vancouver", on).text
    only_pmid = article(PMID=11961980)
    assert format_reference(only_pmid, "vancouver", on).text.endswith(" PMID: 11961980.")


def test_pubmed_ids_html_is_escaped_text():
    item = article(PMID="11961980", title="<script>x</script>")
    html = format_reference(item, "vancouver", CiteOptions(pubmed_ids=True)).html
    assert "<script>" not in html and "PMID: 11961980." in html


@pytest.mark.parametrize("text", ["suppl( " * 14000, "1-" * 50000, "a1-b1 " * 16000,
                                  "Second edition " * 6000])
def test_fields_at_the_text_limit_format_in_linear_time(text):
    import time

    item = {"type": "article-journal", "title": text, "volume": text, "issue": text,
            "page": text, "edition": text, "language": text, "issued": {"raw": text}}
    started = time.process_time()
    for style in ("vancouver", "ama"):
        format_reference(item, style, CiteOptions(pubmed_ids=True))
        format_reference({**item, "type": "book"}, style)
    assert time.process_time() - started < 2.0


@pytest.mark.parametrize("site, own, shown", [(False, None, False), (False, True, True), (True, None, True),
                                              (True, False, False)])
def test_pubmed_ids_follow_the_record_else_the_site(tmp_path, site, own, shown):
    """The record's `pubmed_ids:` wins; without it the site's option (off by default) decides,
    on the page and in the handout alike (both format through render.case_references)."""
    import yaml

    from grandrounds import handout
    from grandrounds.record.library import Library
    from grandrounds.site.render import Renderer, RenderOptions, case_references

    cases = tmp_path / "cases"
    cases.mkdir()
    ref = {"id": "a", "type": "article-journal", "title": "A title", "author": [{"family": "Xu", "given": "Y"}],
           "container-title": "J Test", "issued": {"date-parts": [[2020]]}, "volume": "1", "page": "1-2",
           "PMID": "31953166", "PMCID": "PMC7110000"}
    record = {"title": "T", "abstract": "x", "style": "vancouver", "references": [ref]}
    if own is not None:
        record["pubmed_ids"] = own
    (cases / "c.yaml").write_text(yaml.safe_dump(record), encoding="utf-8")
    library = Library(cases)
    library.refresh([cases / "c.yaml"])
    (case,) = library.cases
    page = Renderer(None, RenderOptions(pubmed_ids=site)).case_page(case)
    assert ("PMID: 31953166; PMCID: PMC7110000." in page) is shown
    references, _, _ = case_references(case, handout.HandoutOptions(pubmed_ids=site))
    assert ("PMID: 31953166" in references[0].text) is shown


# --------------------------------------------------------------------------- citeproc check
# What `benchmarks/compare_citeproc.py` found grandrounds getting wrong (issue 15), fixed.


def test_newspapers_are_dated_to_the_day_and_never_ahead_of_print():
    """AMA 11th 3.13.1 prints "New York Times. December 8, 2015:A24." and, online,
    "... January 23, 2016. Accessed January 28, 2016. URL"; Citing Medicine ch. 5
    "The Washington Post. 2002 Aug 12;Sect. A:2." and "[Internet]" with "Available from:"
    online. A newspaper has no volume, but is not an article ahead of print."""
    news = {"type": "article-newspaper", "title": "Yale finds error in legal stylebook",
            "author": [{"family": "Liptak", "given": "Adam"}], "container-title": "New York Times",
            "page": "A24", "issued": {"date-parts": [[2015, 12, 8]]}}
    assert not ahead_of_print(news)
    assert format_reference(news, "ama").text.endswith("New York Times. December 8, 2015:A24.")
    assert format_reference(news, "vancouver").text.endswith("New York Times. 2015 Dec 8;A24.")
    sectioned = {**news, "section": "A", "page": "2"}
    assert format_reference(sectioned, "vancouver").text.endswith("2015 Dec 8;Sect. A:2.")
    online = {**news, "page": None, "URL": "https://www.nytimes.com/x.html",
              "accessed": {"date-parts": [[2015, 12, 9]]}}
    assert format_reference(online, "ama").text.endswith(
        "New York Times. December 8, 2015. Accessed December 9, 2015. https://www.nytimes.com/x.html")
    assert format_reference(online, "vancouver").text.endswith(
        "New York Times [Internet]. 2015 Dec 8 [cited 2015 Dec 9]. Available from: "
        "https://www.nytimes.com/x.html")
    for style in ("ama", "vancouver"):
        assert "Published online" not in format_reference(online, style).text
        assert "Epub" not in format_reference(online, style).text


def test_editors_and_translators_of_an_authored_book_are_named():
    """Citing Medicine: secondary authors after the edition ("Wieczorek RR, editor.");
    AMA 11th the same place with its abbreviations ("ed", "trans")."""
    book = {"type": "book", "title": "the psychology of the child", "edition": "2",
            "author": [{"family": "Piaget", "given": "Jean"}],
            "editor": [{"family": "Roe", "given": "Ann"}],
            "translator": [{"family": "Weaver", "given": "Helen"}],
            "publisher": "Basic Books", "publisher-place": "New York",
            "issued": {"date-parts": [[1969]]}}
    assert format_reference(book, "vancouver").text == (
        "Piaget J. the psychology of the child. 2nd ed. Roe A, editor; Weaver H, translator. "
        "New York: Basic Books; 1969.")
    assert format_reference(book, "ama").text == (
        "Piaget J. The Psychology of the Child. 2nd ed. Roe A, ed; Weaver H, trans. "
        "Basic Books; 1969.")
    edited = {k: v for k, v in book.items() if k != "author"}  # the editors lead, once
    assert format_reference(edited, "vancouver").text.count("Roe A") == 1


def test_vancouver_keeps_a_books_series_and_volume():
    """Citing Medicine: a series and its volume in parentheses at the end, "(Lecture
    notes in computer science; vol. 9351)"; a volume with no series after the edition."""
    paper = {"type": "paper-conference", "title": "U-Net", "container-title": "MICCAI 2015",
             "collection-title": "Lecture Notes in Computer Science", "volume": "9351",
             "page": "234-241", "publisher": "Springer", "publisher-place": "Cham",
             "issued": {"date-parts": [[2015]]}}
    assert format_reference(paper, "vancouver").text.endswith(
        "Cham: Springer; 2015. p. 234-41. (Lecture Notes in Computer Science; vol. 9351).")
    assert "Vol 9351. Springer; 2015:234-241." in format_reference(paper, "ama").text
    volume_only = {k: v for k, v in paper.items() if k != "collection-title"}
    assert "MICCAI 2015. Vol. 9351. Cham: Springer" in format_reference(volume_only, "vancouver").text
