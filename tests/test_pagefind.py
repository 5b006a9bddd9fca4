"""Pagefind search in the published site (issue 12, items 1 and 2): `site/search.py`'s
`index_site`, `cmd_index` and `search_exclude`, and `templates/assets/search.js` in the header.

A copy of the example library plus two records of our own, each holding a made-up word in
one place: a visible section (`VISIBLE_WORD`), a teaching-hidden section (`HIDDEN_WORD`), and
a text that looks like markup (`MARKUP_TEXT`). The site is built as it is published
(`mkdocs build`: the plugin turns Material's search off and indexes the case pages, marked
`data-pagefind-body` by the plugin's main.html) and indexed once more by `index_site` itself;
then chromium (the harness of tests/test_browser.py) types into the header box, at the site
root and under `/repo/`.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

import markdown
import pytest
from jinja2 import Environment

from conftest import BROWSER_TIMEOUT, NAVIGATION_TIMEOUT, copy_project, run_mkdocs, serve_directory, write_case
from grandrounds.site.search import (BUNDLE, add_index_arguments, cmd_index, index_site, indexed_pages,
                                     search_exclude)

VISIBLE_WORD = "quorvantine"
HIDDEN_WORD = "zelmoradic"
MARKUP_TEXT = "<img src=x onerror=alert(1)>"
VISIBLE_CASE = "pagefind-visible"
HIDDEN_CASE = "pagefind-hidden"

RECORD = """\
schema_version: 1
title: {title}
type: case-report
status: published
date: "2024-05"
specialties: [infectious diseases]
tags: [fever, fictional teaching case]
patient: {{age: 41, sex: female}}
abstract: A traveller came back with fever and a rash.
presentation: >-
  {presentation}
diagnosis:
  final: {diagnosis}
  certainty: certain
  reasoning: >-
    {reasoning}
{teaching}consent:
  obtained: true
  by: patient
"""

def _prepare(project: Path) -> None:
    write_case(project, VISIBLE_CASE, RECORD.format(
        title="Fever and a rash after travel",
        presentation=f"She described a {VISIBLE_WORD} rash, and the note read \"{MARKUP_TEXT}\" verbatim.",
        diagnosis="Dengue fever", reasoning="Serology was positive.", teaching=""))
    write_case(project, HIDDEN_CASE, RECORD.format(
        title="Fever, a rash and a surprise",
        presentation="She had a fever and a spreading rash.",
        diagnosis="Rickettsial infection",
        reasoning=f"The {HIDDEN_WORD} eschar gave it away.",
        teaching="teaching:\n  hide: [diagnosis]\n"))


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("pagefind") / "project", search="pagefind")
    _prepare(project)
    result = run_mkdocs(project)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}"
    site = project / "site"
    assert indexed_pages(site) > 0  # the build indexed it
    assert index_site(site, "https://example.org/repo/") == []
    return site


def _case_pages(site: Path) -> list[Path]:
    return [p for p in site.glob("*/index.html") if "data-pagefind-body" in p.read_text(encoding="utf-8")]


# --------------------------------------------------------------------------- the index


def test_only_case_pages_are_indexed(site):
    cases = _case_pages(site)
    assert len(cases) >= 3 and (site / VISIBLE_CASE / "index.html") in cases
    assert indexed_pages(site) == len(cases)
    assert not (site / "search" / "search_index.json").exists()  # Material's index is not built
    assert not list(site.glob(".pagefind-*"))  # the staging folder is gone


def test_indexing_again_replaces_the_bundle(site):
    stale = site / BUNDLE / "fragment" / "stale.pf_fragment"
    stale.write_bytes(b"old")
    assert index_site(site) == []
    assert not stale.exists() and indexed_pages(site) == len(_case_pages(site))


def test_index_command(site, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="grandrounds index")
    add_index_arguments(parser)  # what cli.py registers as `grandrounds index SITE`
    assert cmd_index(parser.parse_args([str(site)])) == 0
    assert f"{len(_case_pages(site))} pages indexed into" in capsys.readouterr().err
    missing = tmp_path / "nothing-here"
    assert cmd_index(parser.parse_args([str(missing)])) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"{missing}:1:1: no such folder; ") and "Traceback" not in err


def test_a_build_that_fails_is_not_indexed(tmp_path):
    """Pagefind runs once MkDocs' build has returned (`on_shutdown`), and only after a build
    that succeeded: here strict mode fails it after every page is written (a broken link)."""
    project = copy_project(tmp_path / "project", search="pagefind")
    (project / "cases" / "notes.md").write_text("# Notes\n\nSee [the list](missing.md).\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=project,  # not -q: it
                            env=dict(os.environ, NO_MKDOCS_2_WARNING="1"), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, timeout=600)  # drops warnings before strict mode counts them
    assert result.returncode == 1 and "Aborted with 1 warnings in strict mode" in result.stdout, result.stdout
    assert "Traceback" not in result.stdout and "Pagefind" not in result.stdout
    assert (project / "site" / "index.html").is_file()  # MkDocs wrote the pages ...
    assert not (project / "site" / BUNDLE).exists()  # ... and no search index was made of them


def test_a_failed_index_fails_the_build_without_a_traceback(tmp_path):
    project = copy_project(tmp_path / "project", search="pagefind")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build"], cwd=project,
                            env=dict(os.environ, NO_MKDOCS_2_WARNING="1", PAGEFIND_BINARY_PATH=str(tmp_path / "none")),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=600)
    assert result.returncode == 1, result.stdout
    assert "grandrounds: the search index could not be made:\nsite:1:1: Pagefind failed: " in result.stdout
    assert "Traceback" not in result.stdout and not (project / "site" / BUNDLE).exists()


def test_a_site_without_case_pages_is_a_problem(tmp_path):
    (tmp_path / "index.html").write_text("<html><body><p>hello</p></body></html>", encoding="utf-8")
    problems = index_site(tmp_path)
    assert [p.message for p in problems] == ["no page to index: no HTML page holds data-pagefind-body"]
    assert not (tmp_path / BUNDLE).exists()


# --------------------------------------------------------------------------- the helper


def _render(source: str) -> str:
    env = Environment(autoescape=True)
    env.globals["search_exclude"] = search_exclude
    return env.from_string(source).render()


def test_search_exclude_marks_an_element_for_every_search():
    assert _render("<section {{ search_exclude() }}>x</section>") == \
        '<section data-search-exclude data-pagefind-ignore="all">x</section>'


def test_search_exclude_wraps_a_markdown_section_that_stays_markdown():
    text = _render("{% call search_exclude() %}\n## References { #references {{ search_exclude() }} }\n\n"
                   "Some *text*.\n{% endcall %}\n\nAfter.")
    html = markdown.markdown(text, extensions=["attr_list", "md_in_html", "toc"])
    wrapper, heading = re.findall(r"<(?:div|h2)[^>]*>", html)[:2]
    for tag in (wrapper, heading):
        assert 'data-pagefind-ignore="all"' in tag and "data-search-exclude" in tag
    assert 'class="gr-search-exclude"' in wrapper and 'id="references"' in heading
    assert "<em>text</em>.</p>\n</div>\n<p>After.</p>" in html


# --------------------------------------------------------------------------- in chromium


@pytest.fixture(scope="module")
def root_url(site):
    with serve_directory(site) as url:
        yield url


@pytest.fixture(scope="module")
def repo_url(site):
    with serve_directory(site, "/repo/") as url:
        yield url


@pytest.fixture
def page(chromium, root_url):
    """A fresh context and tab for `root_url`'s server and `/repo/`'s: requests leaving
    127.0.0.1 are refused and recorded; a console error fails the test."""
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT)
    tab = context.new_page()
    tab.requests = []  # type: ignore[attr-defined]
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.on("request", lambda request: tab.requests.append(request.url))  # type: ignore[attr-defined]
    context.route("**/*", lambda route: route.continue_() if route.request.url.startswith("http://127.0.0.1:")
                  else route.abort())
    yield tab
    context.close()
    assert not errors, "\n".join(errors)


def _search(page, query: str) -> list[dict]:
    """Type `query` into the header box key by key; return the rendered results once the
    count line reports them: [{href, title, text, marks, images}]."""
    box = page.locator("input.md-search__input")
    box.click()
    box.press_sequentially(query)
    page.wait_for_function("""() => {
        const meta = document.querySelector('.md-search-result__meta');
        const items = document.querySelectorAll('[data-search-result]');
        return meta && (/^No matching/.test(meta.textContent) || (items.length && /^\\d+ matching|^1 matching/.test(meta.textContent)));
    }""")
    return page.evaluate("""() => Array.from(document.querySelectorAll('li[data-search-result]'), li => ({
        href: li.querySelector('a').href, classes: li.className,
        title: li.querySelector('h1').textContent, text: li.textContent,
        marks: Array.from(li.querySelectorAll('mark'), m => m.textContent),
        images: li.querySelectorAll('img').length}))""")


def _search_again(page, query: str) -> list[dict]:
    page.locator("input.md-search__input").fill("")
    page.wait_for_function("() => !document.querySelector('[data-search-result]')")
    return _search(page, query)


def test_typing_a_word_shows_its_case_with_an_excerpt(page, root_url):
    page.goto(root_url)
    results = _search(page, VISIBLE_WORD)
    assert [r["href"] for r in results] == [f"{root_url}{VISIBLE_CASE}/"]
    (result,) = results
    assert "md-search-result__item" in result["classes"].split()
    assert result["title"] == "Fever and a rash after travel"
    assert result["marks"] and all(VISIBLE_WORD in m.lower() for m in result["marks"])
    assert page.locator(".md-search-result__meta").inner_text().strip() == "1 matching document"


def test_text_that_looks_like_markup_stays_text_in_the_excerpt(page, root_url):
    page.goto(root_url)
    (result,) = _search(page, VISIBLE_WORD)
    assert MARKUP_TEXT in result["text"] and result["images"] == 0


def test_a_hidden_section_is_not_found(page, root_url):
    page.goto(f"{root_url}{HIDDEN_CASE}/")
    assert HIDDEN_WORD in page.content()  # on the page, behind its reveal
    results = _search(page, HIDDEN_WORD)
    # Pagefind falls back to shorter prefixes of a word it does not know ("z..."), so other
    # pages may come up; the hidden case must not, and no excerpt may hold the word
    assert f"{root_url}{HIDDEN_CASE}/" not in [r["href"] for r in results]
    assert not [r for r in results if HIDDEN_WORD in r["text"].lower()]
    visible = _search_again(page, "eschar")  # the rest of the reasoning, also hidden
    assert f"{root_url}{HIDDEN_CASE}/" not in [r["href"] for r in visible]


def test_the_keyboard_moves_through_results_and_enter_opens_one(page, root_url):
    page.goto(root_url)
    page.keyboard.press("/")  # focuses the box, as in Material
    assert page.evaluate("document.activeElement.classList.contains('md-search__input')")
    results = _search(page, "fever")
    assert len(results) >= 2
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.href") == results[1]["href"]
    page.keyboard.press("ArrowUp")
    assert page.evaluate("document.activeElement.href") == results[0]["href"]
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == results[0]["href"]


def test_enter_in_the_box_opens_the_first_result(page, root_url):
    page.goto(root_url)
    (result,) = _search(page, VISIBLE_WORD)
    with page.expect_navigation():
        page.locator("input.md-search__input").press("Enter")
    assert page.url == result["href"]


def test_under_a_sub_path_results_open_their_pages(page, repo_url):
    page.goto(f"{repo_url}{HIDDEN_CASE}/")
    (result,) = _search(page, VISIBLE_WORD)
    assert result["href"] == f"{repo_url}{VISIBLE_CASE}/"
    response = page.goto(result["href"])
    assert response is not None and response.ok
    assert all(url.startswith(repo_url) for url in page.requests)  # nothing outside /repo/, no other host


def test_a_page_that_is_only_read_fetches_nothing_for_search(page, root_url):
    page.goto(f"{root_url}{VISIBLE_CASE}/")
    page.wait_for_load_state("load")
    assert not [u for u in page.requests if "/pagefind/" in u or "search_index" in u]
    _search(page, VISIBLE_WORD)
    fetched = [u for u in page.requests if "/pagefind/" in u]
    assert fetched and not [u for u in page.requests if "search_index" in u]


def test_on_a_phone_the_magnifier_opens_the_box_and_escape_closes_it(page, root_url):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(f"{root_url}{HIDDEN_CASE}/")
    page.locator("label.md-header__button[for='__search']").last.click()
    assert page.evaluate("document.getElementById('__search').checked")
    page.wait_for_function("document.activeElement.classList.contains('md-search__input')")
    page.keyboard.type(VISIBLE_WORD)
    page.wait_for_selector("li[data-search-result]")
    assert page.locator("li[data-search-result] a").first.get_attribute("href").endswith(f"{VISIBLE_CASE}/")
    page.keyboard.press("Escape")
    assert not page.evaluate("document.getElementById('__search').checked")


def test_index_site_from_inside_an_event_loop(site):
    import asyncio
    import threading

    async def host() -> list:
        return index_site(site)

    found: list = []  # a thread of its own: this module's Playwright may hold the main thread's loop
    thread = threading.Thread(target=lambda: found.append(asyncio.run(host())))
    thread.start()
    thread.join()
    assert found == [[]] and indexed_pages(site) == len(_case_pages(site))
