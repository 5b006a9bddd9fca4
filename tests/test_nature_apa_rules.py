"""Issue 15's rules in Nature and APA against printed examples: page ranges (full, en dash,
letters too), supplements, online-first articles, books and chapters (the book's volume,
Nature's place, editions as text, APA translators and editors), Nature software and data,
APA day dates for newspapers, magazines and blog posts.

tests/fixtures/styles/nature-apa-rules.csl.json holds the items; each carries `_source`,
where its printed form comes from (the APA 7 manual's examples as apastyle.apa.org and
library guides print them, Nature's formatting guide, R's citation() as Nature papers print
it, the ICMJE/NLM samples; items marked "constructed" test a rule no printed list showed).
nature-apa-rules.<style>.txt is the expected list, one entry a line, checked line by line
against those sources.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from grandrounds.cite import format_reference, format_references

FIXTURES = Path(__file__).parent / "fixtures" / "styles"
ITEMS = json.loads((FIXTURES / "nature-apa-rules.csl.json").read_text(encoding="utf-8"))
STYLES = ("nature", "apa")


def expected(style: str) -> list[str]:
    return (FIXTURES / f"nature-apa-rules.{style}.txt").read_text(encoding="utf-8").splitlines()


def test_every_item_names_its_source():
    assert all(item.get("_source") for item in ITEMS)
    assert all(len(expected(style)) == len(ITEMS) >= 15 for style in STYLES)


CASES = [(style, n) for style in STYLES for n in range(len(ITEMS))]


@pytest.mark.parametrize(("style", "n"), CASES, ids=[f"{s}-{ITEMS[n]['id']}" for s, n in CASES])
def test_printed_example(style, n):
    assert " ".join(format_references(ITEMS, style)[n].text.split()) == expected(style)[n]


@pytest.mark.parametrize(("style", "n"), CASES, ids=[f"{s}-{ITEMS[n]['id']}" for s, n in CASES])
def test_html_is_the_same_entry(style, n):
    html = format_references(ITEMS, style)[n].html
    text = re.sub(r"<[^>]+>", "", html).replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    assert " ".join(text.split()) == expected(style)[n]


def article(**more) -> dict:
    item = {"id": "a", "type": "article-journal", "title": "T", "author": [{"family": "Roe", "given": "A"}],
            "container-title": "Journal of Things", "container-title-short": "J. Things"}
    item.update(more)
    return item


# --------------------------------------------------------------------------- page ranges

@pytest.mark.parametrize(("page", "printed"), [
    ("1947-9", "1947–1949"), ("132-5", "132–135"), ("E93-5", "E93–E95"),
    ("775S-8S", "775S–778S"), ("ii165-ii173", "ii165–ii173"), ("S12 - S15", "S12–S15"),
    ("e0210106", "e0210106"),
])
@pytest.mark.parametrize("style", STYLES)
def test_page_ranges_in_full_with_an_en_dash(style, page, printed):
    item = article(volume="3", page=page, issued={"date-parts": [[2001]]})
    assert f"{printed} (2001)." in format_reference(item, style).text or \
        format_reference(item, style).text.endswith(f", {printed}.")


# --------------------------------------------------------------------------- online first

def test_apa_advance_online_only_for_a_journal_article_really_ahead_of_print():
    ahead = article(DOI="10.1000/x1", issued={"date-parts": [[2024, 3, 5]]})
    assert "Journal of Things. Advance online publication. https://doi.org/10.1000/x1" in \
        format_reference(ahead, "apa").text
    old = article(DOI="10.1000/x2", issued={"date-parts": [[1987]]})  # a year only: not online first
    assert "Advance online publication" not in format_reference(old, "apa").text
    paged = article(page="12-19", issued={"date-parts": [[2024, 3, 5]]})
    assert "Advance online publication" not in format_reference(paged, "apa").text
    news = article(type="article-newspaper", issued={"date-parts": [[2024, 3, 5]]})
    assert "Advance online publication" not in format_reference(news, "apa").text


def test_nature_online_first_is_journal_then_doi_then_year():
    ahead = article(DOI="10.1000/x1", issued={"date-parts": [[2024, 3, 5]]})
    assert format_reference(ahead, "nature").text == \
        "Roe, A. T. J. Things https://doi.org/10.1000/x1 (2024)."


# --------------------------------------------------------------------------- supplements

@pytest.mark.parametrize(("fields", "nature", "apa"), [
    ({"volume": "42", "issue": "Suppl 2"}, "42 (Suppl. 2)", "42(Suppl. 2)"),
    ({"volume": "58", "issue": "12 Suppl 7"}, "58 (Suppl. 7)", "58(12, Suppl. 7)"),
    ({"volume": "18", "supplement-number": "1"}, "18 (Suppl. 1)", "18(Suppl. 1)"),
    ({"volume": "9 Suppl"}, "9 (Suppl.)", "9(Suppl.)"),
])
def test_supplements(fields, nature, apa):
    item = article(page="S96-104", issued={"date-parts": [[2002]]}, **fields)
    assert f"J. Things {nature}, S96–S104 (2002)." in format_reference(item, "nature").text
    assert f"Journal of Things, {apa}, S96–S104." in format_reference(item, "apa").text


# --------------------------------------------------------------------------- books

@pytest.mark.parametrize(("edition", "nature", "apa"), [
    ("4th ed", "4th edn", "4th ed."), ("2nd edition", "2nd edn", "2nd ed."),
    ("Second edition", "2nd edn", "2nd ed."), ("3", "3rd edn", "3rd ed."),
    ("Revised edition", "Revised edition", "Revised edition"),
])
def test_editions_given_as_text_take_each_style_form(edition, nature, apa):
    item = {"type": "book", "title": "Book", "author": [{"family": "Roe", "given": "A"}],
            "edition": edition, "publisher": "Pub", "issued": {"date-parts": [[2010]]}}
    assert f"Book {nature} (Pub, 2010)." in format_reference(item, "nature").text
    assert f"Book ({apa}). Pub." in format_reference(item, "apa").text


def test_place_only_in_nature_and_only_beside_a_publisher():
    item = {"type": "book", "title": "Book", "publisher-place": "Cham",
            "issued": {"date-parts": [[2019]]}}
    assert format_reference(item, "nature").text == "Book (2019)."
    item["publisher"] = "Springer"
    assert format_reference(item, "nature").text == "Book (Springer, Cham, 2019)."
    assert "Cham" not in format_reference(item, "apa").text


def test_apa_editors_and_translators_of_an_authored_book():
    item = {"type": "book", "title": "Essays", "author": [{"family": "Roe", "given": "Ann"}],
            "editor": [{"family": "Poe", "given": "Bo"}, {"family": "Low", "given": "Cy"}],
            "translator": [{"family": "Kay", "given": "Di"}], "volume": "2",
            "publisher": "Pub", "issued": {"date-parts": [[2010]]}}
    assert "Essays (B. Poe & C. Low, Eds.; D. Kay, Trans.; Vol. 2). Pub." in \
        format_reference(item, "apa").text
    del item["author"]  # edited book: the editors lead, and are not named twice
    text = format_reference(item, "apa").text
    assert text.startswith("Poe, B., & Low, C. (Eds.). (2010). Essays (D. Kay, Trans.; Vol. 2).")


def test_nature_software_without_doi_is_like_a_book_and_with_doi_names_its_repository():
    item = {"type": "software", "title": "Tool", "version": "2.1", "publisher": "Lab",
            "URL": "https://example.org/tool", "issued": {"date-parts": [[2022]]}}
    assert format_reference(item, "nature").text == \
        "Tool version 2.1 (Lab, 2022). https://example.org/tool"
    item["DOI"] = "10.5281/zenodo.1"
    assert format_reference(item, "nature").text == \
        "Tool version 2.1. Lab https://doi.org/10.5281/zenodo.1 (2022)."


# --------------------------------------------------------------------------- APA dates

@pytest.mark.parametrize(("type_", "date"), [
    ("article-newspaper", "(2019, March 22)"), ("article-magazine", "(2019, March 22)"),
    ("post-weblog", "(2019, March 22)"), ("webpage", "(2019, March 22)"),
    ("article-journal", "(2019)"), ("dataset", "(2019)"), ("book", "(2019)"),
])
def test_apa_dates_to_the_day_for_news_magazines_and_posts(type_, date):
    item = article(type=type_, volume="1", issued={"date-parts": [[2019, 3, 22]]})
    assert f"Roe, A. {date}." in format_reference(item, "apa").text


def test_apa_letters_for_the_same_authors_however_their_given_names_are_written():
    """APA 9.46: works by the same authors in the same year get 2002a, 2002b; the list
    prints initials, so "Patrick R." and "P. R." are the same author (citeproc-js check)."""
    def book(given, title):
        return {"id": title, "type": "book", "title": title, "publisher": "Mosby",
                "author": [{"family": "Murray", "given": given}], "issued": {"date-parts": [[2002]]}}
    refs = format_references([book("Patrick R.", "Medical microbiology"),
                              book("P. R.", "Basic microbiology")], "apa")
    assert [r.year for r in refs] == ["2002b", "2002a"]
