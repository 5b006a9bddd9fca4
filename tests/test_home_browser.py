"""The home page's filters over a library larger than one page, in chromium.

Issue 12, item 4: the home page shows matching cases a page at a time from data files
loaded on demand (assets/filters.js, site/listing_data.py). The library is
tests/test_home_listing.py's `MANY` generated records (more than one no-JS page, more
than five display chunks), built with `mkdocs build` and served over HTTP, and opened from
disk (`file://`). Expected results are computed in Python from the same rows: filters by
facet and by words, sorting by every column both ways across chunk boundaries, paging
through every match, shared `?specialty=` links.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, project_config, run_mkdocs, serve_directory
from grandrounds.site import listing_data
from grandrounds.site.render import RenderOptions, listing_row, sort_rows
from grandrounds.record.library import load_library
from grandrounds.site.view import public_view
from test_browser import HOME_SETTLED, _new_context
from test_home_listing import MANY, SECRET, write_many

PAGE_ROWS = 50  # assets/filters.js's PAGE_ROWS


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("home-browser")
    (root / "mkdocs.yml").write_text(project_config(), encoding="utf-8")
    shutil.copytree(ROOT / "templates", root / "templates")
    write_many(root / "cases")
    result = run_mkdocs(root)
    assert result.returncode == 0, result.stdout
    return root


@pytest.fixture(scope="module")
def rows(project):
    """The listing rows, newest first (the home order)."""
    cases = load_library(project / "cases").cases
    return sort_rows(listing_row(c, public_view(c, RenderOptions())) for c in cases)


@pytest.fixture(scope="module")
def base_url(project):
    with serve_directory(project / "site") as url:
        yield url


@pytest.fixture
def page(chromium, base_url):
    context = _new_context(chromium, base_url)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    yield tab
    context.close()
    assert not errors, "\n".join(errors)


def settled(tab):
    tab.wait_for_selector(HOME_SETTLED, state="attached")
    return tab


def shown(tab, table: str = "table#gr-cases") -> list[str]:
    """The case ids of the rows on screen, in order."""
    hrefs = tab.eval_on_selector_all(f"{table} tbody tr.gr-case td:first-child a",
                                     "links => links.map(a => a.getAttribute('href'))")
    return [h.strip("./").split("/")[0] for h in hrefs]


def count(tab) -> str:
    return re.sub(r"\s+", " ", tab.locator("#gr-count").inner_text()).strip()


def every_page(tab) -> list[str]:
    """The ids of every matching case, paging with Next to the end."""
    found = shown(tab)
    button = tab.locator("button.gr-page-next")
    while button.is_visible() and button.is_enabled():
        button.click()
        settled(tab)
        found += shown(tab)
    return found


def ids(selected) -> list[str]:
    return [r.id for r in selected]


def test_the_home_page_shows_the_newest_page_then_pages_through_every_case(page, rows):
    page.goto("")
    settled(page)
    assert count(page) == f"{MANY} of {MANY} cases"
    assert shown(page) == ids(rows[:PAGE_ROWS])
    assert every_page(page) == ids(rows)
    page.locator("button.gr-page-previous").click()
    settled(page)
    assert shown(page) == ids(rows[(MANY - 1) // PAGE_ROWS * PAGE_ROWS - PAGE_ROWS:][:PAGE_ROWS])
    assert not page.locator("nav.gr-pager").first.is_visible()  # the no-JS pager gives way


def test_a_specialty_link_opens_filtered_and_the_filter_covers_every_chunk(page, rows):
    expected = [r for r in rows if "neurology" in [s.slug for s in r.specialties]]
    assert PAGE_ROWS < len(expected) < MANY
    page.goto("?specialty=neurology#all-cases")
    settled(page)
    assert page.locator("#gr-filter-specialty").input_value() == "neurology"
    assert count(page) == f"{len(expected)} of {MANY} cases"
    assert every_page(page) == ids(expected)
    assert page.url.endswith("?specialty=neurology#all-cases")


def test_filters_combine_and_write_the_url(page, rows):
    expected = [r for r in rows if r.type == "case-study" and "male" in r.sexes and r.year == "2012"]
    assert expected
    page.goto("")
    settled(page)
    for name, value in (("type", "case-study"), ("sex", "male"), ("year", "2012")):
        page.select_option(f"#gr-filter-{name}", value)
        settled(page)
    assert every_page(page) == ids(expected)
    assert "type=case-study" in page.url and "sex=male" in page.url and "year=2012" in page.url


@pytest.mark.parametrize("query", ["chest dysp", "CAF", "c", "condition 3", SECRET, "lait café"])
def test_words_match_the_start_of_words_in_every_case(page, rows, query):
    typed = listing_data.words(query)
    expected = [r for r in rows if all(any(w.startswith(t) for w in listing_data.words(r.text)) for t in typed)]
    page.goto("")
    settled(page)
    page.fill("#gr-filter-q", query)
    settled(page)
    assert count(page) == f"{len(expected)} of {MANY} cases"
    assert every_page(page) == ids(expected)
    if query == SECRET:
        assert expected == []  # a hidden diagnosis is not searchable


@pytest.mark.parametrize("column", listing_data.SORT_COLUMNS)
def test_sorting_covers_every_case_both_ways(page, rows, column):
    text = {"title": lambda r: r.title, "specialty": lambda r: ", ".join(s.name for s in r.specialties),
            "patient": lambda r: r.patient, "date": lambda r: r.date,
            "diagnosis": lambda r: "on the case page" if r.diagnosis_hidden else r.diagnosis}[column]
    ascending = sorted(rows, key=lambda r: listing_data.collation(text(r)))  # stable: ties in home order
    descending = sorted(rows, key=lambda r: listing_data.collation(text(r)), reverse=True)
    page.goto("?type=case-report")
    settled(page)
    button = page.locator(f"th[data-column='{column}'] button.gr-sort")
    button.click()
    settled(page)
    assert page.locator(f"th[data-column='{column}']").get_attribute("aria-sort") == "ascending"
    assert every_page(page) == ids(r for r in ascending if r.type == "case-report")
    button.click()
    settled(page)
    assert page.locator(f"th[data-column='{column}']").get_attribute("aria-sort") == "descending"
    first = shown(page)
    assert first == ids(r for r in descending if r.type == "case-report")[:PAGE_ROWS]
    chunks = {(MANY - 1 - ids(rows).index(i)) // listing_data.CHUNK_ROWS for i in first}  # positions from the oldest
    if column != "date":
        assert len(chunks) > 1  # the page is made from several display chunks


def test_the_page_opened_from_disk_filters_too(chromium, project, rows):
    context = chromium.new_context()
    tab = context.new_page()
    expected = [r for r in rows if "cardiology" in [s.slug for s in r.specialties]]
    tab.goto((project / "site" / "index.html").as_uri() + "?specialty=cardiology")
    settled(tab)
    assert count(tab) == f"{len(expected)} of {MANY} cases"
    assert shown(tab) == ids(expected[:PAGE_ROWS])
    tab.locator("th[data-column='title'] button.gr-sort").click()
    settled(tab)
    assert shown(tab) == ids(sorted(expected, key=lambda r: listing_data.collation(r.title))[:PAGE_ROWS])
    context.close()


def test_rows_are_text_not_markup(page, rows):
    markup = next(r for r in rows if "<pain>" in r.title)
    page.goto("?q=" + json.dumps(markup.title.split(":")[0])[1:-1].replace(" ", "+"))
    settled(page)
    cell = page.locator("table#gr-cases tbody tr.gr-case td:first-child a").first
    assert cell.inner_text() == markup.title
    assert page.locator("table#gr-cases tbody pain").count() == 0


def test_without_javascript_the_pager_reaches_every_case(chromium, base_url, rows):
    context = _new_context(chromium, base_url, java_script_enabled=False)
    tab = context.new_page()
    tab.goto("")
    assert not tab.locator("#gr-filters").is_visible()
    found = shown(tab)
    assert len(found) == 200
    tab.locator("nav.gr-pager a", has_text="2").first.click()
    tab.wait_for_load_state()
    assert tab.url.endswith("/index/2/")
    found += shown(tab, "article table")
    assert found == ids(rows)  # every case once, newest first
    tab.locator("nav.gr-pager a", has_text="1").first.click()
    tab.wait_for_load_state()
    assert tab.url == base_url
    context.close()
