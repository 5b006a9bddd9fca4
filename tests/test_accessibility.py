"""Accessibility measured in a real browser, and the unknown case as a reader meets it
(issue 13, item 6; item 2's browser half).

1. axe-core (tests/axe_support.py) on the whole page of every page type of the example
   site: home, the image-challenge (unknown) case before and after answering and opening
   everything, a plain case, a specialty page, the tags index, a tag page, the
   bibliography, the Sessions page, a session page and the 404 page, in the light and the
   dark scheme (Material's palette toggle), at phone width where every table scrolls, and
   with the header search showing results (Material's and Pagefind's); no serious or
   critical violation. A failure lists rule, impact, targets and page. (Present mode and
   single questions: tests/test_present.py, tests/test_browser_questions.py.)
   The fixes live in templates/grandrounds.css, templates/assets/tables.js (wide tables'
   scroll regions) and templates/overrides/partials/search.html (the search dialog's name;
   `render --engine mkdocs|properdocs` copies it into the project, tests/test_engines.py).
2. A wide table's scroll region is reached with Tab and scrolled with the arrow keys.
3. The unknown case (`teaching.title`, hidden diagnosis) shows its teaching title in the
   home listing, its heading, the tab title, a specialty listing and the header search
   results (Material's search, as `mkdocs serve` runs it; Pagefind, as a published build
   runs it); its real title and final diagnosis are not in the page's visible text until
   the reveal is opened.

Two builds of a copy of the project (cases, templates and the example session), each made
once for the module: with Material's search (what `serve` runs) and as published (Pagefind).
One chromium for the module (conftest's `chromium`); contexts from tests/test_browser.py.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from axe_support import serious_axe_violations
from conftest import ROOT, SEARCH_READY, build_project, search, serve_directory, wait_for_transitions
from test_browser import PHONE, _new_context  # the one context: light scheme, other hosts refused
from grandrounds.record.library import read_case
from grandrounds.site.markup import markdown_to_text

UNKNOWN = "palpitations-runner"
"""The example's image challenge: teaching.title, two questions, hidden sections."""
PLAIN = "elderly-hyponatraemia-siadh"
"""A case with nothing hidden, references and wide tables (investigations, management)."""
CASE = read_case(ROOT / "cases" / f"{UNKNOWN}.yaml", ROOT / "cases")
TEACHING_TITLE = CASE.teaching.title
REAL_TITLE = CASE.title
FINAL_DIAGNOSIS = markdown_to_text(CASE.diagnosis.final)
SPECIALTY = "cardiology"
assert SPECIALTY in CASE.specialties
SESSION = sorted((ROOT / "sessions").glob("*.yaml"))[0].stem

PAGES = {
    "home": "",
    "unknown case": f"{UNKNOWN}/",
    "plain case": f"{PLAIN}/",
    "specialty": f"specialties/{SPECIALTY}/",
    "tags index": "tags/",
    "tag": "tags/palpitations/",
    "bibliography": "bibliography/",
    "sessions": "sessions/",
    "session": f"sessions/{SESSION}/",
    "not found": "404.html",
}
"""Every page type of the site, one page each. The example has no specialty, tag or
bibliography long enough for a second page (200 rows, 500 references)."""

SETTLED = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
"""Two frames: resize observers (the scroll regions' tab order) have run."""


BUSY_DONE = "() => !document.querySelector('[aria-busy]:not([aria-busy=\"false\"])')"
"""No part of the page says it is still being filled in (a listing its script renders)."""


def _with_session(project: Path) -> None:
    shutil.copytree(ROOT / "sessions", project / "sessions")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    """The example with Material's search, as `mkdocs serve` builds it."""
    site = build_project(tmp_path_factory.mktemp("a11y") / "project", _with_session)
    with serve_directory(site) as url:
        yield url


@pytest.fixture(scope="module")
def published_url(tmp_path_factory):
    """The example as published: Pagefind's index and the header box of assets/search.js."""
    site = build_project(tmp_path_factory.mktemp("a11y-published") / "project", _with_session,
                         search="pagefind")
    with serve_directory(site) as url:
        yield url


@pytest.fixture(scope="module")
def light(chromium, base_url):
    context = _new_context(chromium, base_url)
    yield context
    context.close()


@pytest.fixture(scope="module")
def dark(chromium, base_url):
    """A context switched to the dark scheme by Material's palette toggle; Material keeps
    the choice (local storage) for every later page of the context."""
    context = _new_context(chromium, base_url)
    tab = context.new_page()
    tab.goto("")
    tab.locator("form[data-md-component='palette'] label.md-header__button:visible").first.click()
    tab.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    tab.close()
    yield context
    context.close()


@pytest.fixture(scope="module")
def phone(chromium, base_url):
    context = _new_context(chromium, base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context
    context.close()


def open_page(context, url: str, search_ready: bool = True):
    """A new tab at `url`, settled: loaded, Material's search ready (the last thing a page
    does by itself), colour transitions finished, resize observers run."""
    tab = context.new_page()
    response = tab.goto(url)
    assert response is not None and response.status == 200, url
    if search_ready:
        tab.wait_for_function(SEARCH_READY)
    tab.wait_for_function(BUSY_DONE)
    wait_for_transitions(tab)
    tab.evaluate(SETTLED)
    return tab


def visible_text(tab) -> str:
    """What a reader sees of the page (closed reveals and hidden elements are not rendered),
    white space made single."""
    return re.sub(r"\s+", " ", tab.evaluate("document.body.innerText"))


# --------------------------------------------------------------------------- 1. axe-core, every page type


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_axe_violation(request, scheme, name):
    tab = open_page(request.getfixturevalue(scheme), PAGES[name])
    try:
        expected = "slate" if scheme == "dark" else "default"
        assert tab.locator("body").get_attribute("data-md-color-scheme") == expected
        bad = serious_axe_violations(tab, where=f"{scheme} {name} (/{PAGES[name]})")
    finally:
        tab.close()
    assert not bad, "\n".join(bad)


def _answer_and_open_everything(tab) -> None:
    """Both questions answered (one wrongly, so right and wrong marks show) and every
    reveal on the page opened: everything the unknown case shows at its end."""
    single, multiple = (f"#question-{q.id}" for q in CASE.questions)
    wrong = next(o for o in CASE.questions[0].options if not o.correct)
    tab.locator(single).get_by_label(markdown_to_text(wrong.text)).check()
    tab.locator(single).get_by_role("button", name="Check").click()
    for option in CASE.questions[1].options:
        if option.correct:
            tab.locator(multiple).get_by_label(markdown_to_text(option.text)).check()
    tab.locator(multiple).get_by_role("button", name="Check").click()
    summaries = tab.locator("article details:not([open]) > summary")
    while summaries.count():
        summaries.first.click()
    wait_for_transitions(tab)
    tab.evaluate(SETTLED)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_axe_violation_once_answered_and_revealed(request, scheme):
    tab = open_page(request.getfixturevalue(scheme), f"{UNKNOWN}/")
    try:
        _answer_and_open_everything(tab)
        assert tab.locator("article details:not([open])").count() == 0
        assert tab.locator(".gr-question[data-answered]").count() == len(CASE.questions)
        bad = serious_axe_violations(tab, where=f"{scheme} unknown case, answered and revealed")
    finally:
        tab.close()
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", ["home", "plain case", "specialty"])
def test_no_serious_axe_violation_at_phone_width(phone, name):
    """At phone width the listing and case tables are wider than the screen: their scroll
    regions are where `scrollable-region-focusable` would fail."""
    tab = open_page(phone, PAGES[name])
    try:
        scrolling = tab.eval_on_selector_all(
            ".md-typeset__scrollwrap", "ws => ws.filter(w => w.scrollWidth > w.clientWidth).length")
        assert scrolling, f"no table scrolls on {name} at phone width: the test checks nothing"
        bad = serious_axe_violations(tab, where=f"phone {name} (/{PAGES[name]})")
    finally:
        tab.close()
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_axe_violation_with_materials_search_results_shown(request, scheme):
    """Material's search (serve): the open dialog with results, highlights and tag chips."""
    tab = open_page(request.getfixturevalue(scheme), PAGES["home"])
    try:
        count, _ = search(tab, "palpitations")
        assert count >= 1
        wait_for_transitions(tab)
        bad = serious_axe_violations(tab, where=f"{scheme} home, Material's search results shown")
    finally:
        tab.close()
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("name", ["home", "unknown case"])
def test_no_serious_axe_violation_with_pagefind_search(chromium, published_url, name):
    """The published site's header box (assets/search.js), closed and open with results."""
    context = _new_context(chromium, published_url)
    try:
        tab = open_page(context, PAGES[name], search_ready=False)
        bad = serious_axe_violations(tab, where=f"published {name}")
        _pagefind_search(tab, "palpitations")
        bad += serious_axe_violations(tab, where=f"published {name}, search results shown")
    finally:
        context.close()
    assert not bad, "\n".join(bad)


# --------------------------------------------------------------------------- 2. keyboard and wide tables


def test_a_wide_table_is_reached_by_tab_and_scrolled_by_arrow_keys(phone):
    tab = open_page(phone, PAGES["plain case"])
    try:
        wraps = tab.locator(".md-typeset__scrollwrap")
        states = wraps.evaluate_all("""ws => ws.map(w => ({scrolls: w.scrollWidth > w.clientWidth,
            tabindex: w.getAttribute('tabindex'), role: w.getAttribute('role'), name: w.getAttribute('aria-label')}))""")
        scrolling = [s for s in states if s["scrolls"]]
        assert scrolling, "no table scrolls at phone width"
        assert all(s["tabindex"] == "0" and s["role"] == "region" and s["name"] for s in scrolling), states
        assert {s["name"] for s in scrolling} >= {"Investigations", "Management"}
        # from a link to the investigations heading, Tab passes its permalink and lands on the
        # table's scroll region
        tab.goto(f"{PAGES['plain case']}#investigations")
        tab.evaluate(SETTLED)
        passed = []
        for _ in range(2):
            tab.keyboard.press("Tab")
            passed.append(tab.evaluate("document.activeElement.classList[0]"))
        assert passed == ["headerlink", "md-typeset__scrollwrap"], passed
        assert tab.evaluate("document.activeElement.getAttribute('aria-label')") == "Investigations"
        assert tab.evaluate("document.activeElement.scrollLeft") == 0
        tab.keyboard.press("ArrowRight")
        tab.wait_for_function("document.activeElement.scrollLeft > 0")
    finally:
        tab.close()


def test_a_table_that_fits_is_not_a_tab_stop(light):
    tab = open_page(light, PAGES["plain case"])
    try:
        fitting = tab.locator(".md-typeset__scrollwrap").evaluate_all(
            "ws => ws.filter(w => w.scrollWidth <= w.clientWidth).map(w => w.getAttribute('tabindex'))")
        assert fitting and fitting == [None] * len(fitting)
    finally:
        tab.close()


# --------------------------------------------------------------------------- the overrides stay Material's


def _material_partial(name: str) -> str:
    import material

    return (Path(material.__file__).parent / "templates" / name).read_text(encoding="utf-8")


def _without_comment(template: str) -> str:
    return re.sub(r"^\{#-.*?-#\}\n", "", template, count=1, flags=re.S)


def test_the_search_partial_is_materials_with_a_named_dialog():
    ours = (ROOT / "templates" / "overrides" / "partials" / "search.html").read_text(encoding="utf-8")
    material = _without_comment(_material_partial("partials/search.html"))
    named = material.replace('role="dialog">', 'role="dialog" aria-label="{{ lang.t(\'search\') }}">', 1)
    assert named != material, "Material's search partial changed: copy it again and name its dialog"
    assert _without_comment(ours) == named, "Material's search partial changed: copy it again"


# --------------------------------------------------------------------------- 3. the unknown case


def _shows_teaching_title_only(tab, where: str) -> None:
    link = tab.locator("article").get_by_role("link", name=TEACHING_TITLE, exact=True)
    link.first.wait_for(state="visible")  # (a listing may be filled in by its script)
    assert link.first.get_attribute("href").rstrip("/").endswith(UNKNOWN), where
    text = visible_text(tab)
    assert REAL_TITLE not in text, f"{where}: the real title is visible"
    assert FINAL_DIAGNOSIS not in text, f"{where}: the final diagnosis is visible"


@pytest.mark.parametrize("name", ["home", "specialty"])
def test_listings_show_the_teaching_title(light, name):
    tab = open_page(light, PAGES[name])
    try:
        _shows_teaching_title_only(tab, name)
    finally:
        tab.close()


def test_the_case_page_shows_the_teaching_title_until_the_reveal(light):
    tab = open_page(light, f"{UNKNOWN}/")
    try:
        heading = tab.locator("article h1")
        assert heading.count() == 1
        assert heading.inner_text().replace("¶", "").strip() == TEACHING_TITLE
        assert tab.evaluate("document.title").startswith(TEACHING_TITLE)
        assert REAL_TITLE not in tab.evaluate("document.title")
        before = visible_text(tab)
        assert TEACHING_TITLE in before
        assert REAL_TITLE not in before and FINAL_DIAGNOSIS not in before
        tab.locator("details.gr-reveal[data-section='diagnosis'] > summary").click()
        after = visible_text(tab)
        assert REAL_TITLE in after and FINAL_DIAGNOSIS in after
    finally:
        tab.close()


def test_materials_search_shows_the_teaching_title(light):
    """Material's search (what `mkdocs serve` runs): the case is found by its teaching
    title's words and its result is headed by that title; no result shows the real one."""
    tab = open_page(light, "")
    try:
        count, hrefs = search(tab, "palpitations runner")
        assert count >= 1 and f"/{UNKNOWN}/" in {urlparse(h).path for h in hrefs}, hrefs
        item = tab.locator(".md-search-result__item").filter(
            has=tab.locator(f"a[href*='/{UNKNOWN}/']")).first
        assert item.locator("h1").inner_text().strip() == TEACHING_TITLE
        results = re.sub(r"\s+", " ", tab.locator(".md-search-result__list").inner_text())
        assert REAL_TITLE not in results and FINAL_DIAGNOSIS not in results
        assert REAL_TITLE not in visible_text(tab)
    finally:
        tab.close()


def _pagefind_search(tab, query: str) -> list[dict]:
    """Type `query` into the published site's header box (assets/search.js); return the
    rendered results once the count line reports them: [{href, title, text}]."""
    box = tab.locator("input.md-search__input")
    box.click()
    box.press_sequentially(query)
    tab.wait_for_function("""() => {
        const meta = document.querySelector('.md-search-result__meta');
        const items = document.querySelectorAll('[data-search-result]');
        return meta && (/^No matching/.test(meta.textContent)
                        || (items.length && /^\\d+ matching|^1 matching/.test(meta.textContent)));
    }""")
    return tab.evaluate("""() => Array.from(document.querySelectorAll('li[data-search-result]'), li => ({
        href: li.querySelector('a').href, title: li.querySelector('h1').textContent.trim(),
        text: li.innerText}))""")


def test_pagefind_search_shows_the_teaching_title(chromium, published_url):
    """Pagefind (what a published build runs), from the case page itself and from home."""
    context = _new_context(chromium, published_url)
    try:
        for start in ("", f"{UNKNOWN}/"):
            tab = context.new_page()
            tab.goto(start)
            results = _pagefind_search(tab, "palpitations")
            mine = [r for r in results if r["href"].rstrip("/").endswith(f"/{UNKNOWN}")]
            assert [r["title"] for r in mine] == [TEACHING_TITLE], results
            for result in results:
                text = re.sub(r"\s+", " ", result["text"])
                assert REAL_TITLE not in text and FINAL_DIAGNOSIS not in text, result
            assert REAL_TITLE not in visible_text(tab)
            tab.close()
    finally:
        context.close()
