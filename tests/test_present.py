"""Present mode (issue 13, item 4) in a real browser: `assets/present.js` and `present.css`.

A copy of the example site is built once for the module, with one case hiding its diagnosis
and management (test_browser's `_hide_teaching_sections`), and served by the threaded server
of conftest, at the root and under a sub-path; Debian's chromium drives it (Playwright). The
tests step through the case with the keys a presenter uses, and read what the view shows:
the counter, the URL and the text that is visible (Playwright's `inner_text`, which leaves
out what CSS hides), never the script's own state.

The questions are those of the example case that has them (found in the built site, so
the module does not name it), as templates/case.md.j2 writes them: `section.gr-question`
with a fieldset of options and `details.gr-answer`, which grandrounds.js hides until the
reader answers.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path

import pytest

from axe_support import serious_axe_violations
from conftest import parse_html, serve_directory
from test_browser import (DESKTOP, TEACHING_CASE, _hide_teaching_sections, _new_context,  # noqa: F401
                          base_url, context, page)

CASE_URL = f"{TEACHING_CASE}/"
COUNTER = ".gr-present-counter"
VIEW = "article.md-content__inner"
SUB_PATH = "/teaching/rounds/"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    from conftest import build_project

    built = build_project(tmp_path_factory.mktemp("present") / "project", _hide_teaching_sections)
    page = (built / TEACHING_CASE / "index.html").read_text(encoding="utf-8")
    # the plugin lists every assets/*.css and *.js of the templates: nothing to configure
    assert 'href="../assets/present.css"' in page and 'src="../assets/present.js"' in page
    return built


@pytest.fixture(scope="module")
def case_doc(site: Path):
    return parse_html((site / TEACHING_CASE / "index.html").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def question_case(site: Path) -> tuple[str, list]:
    """(URL, the page's questions as parsed nodes) of the first example case with questions."""
    for path in sorted(site.glob("*/index.html")):
        questions = parse_html(path.read_text(encoding="utf-8")).find_all("section", cls="gr-question")
        if questions:
            return f"{path.parent.name}/", questions
    pytest.fail("no example case has questions (issue 13 asks for one)")


# --------------------------------------------------------------------------- helpers


def counter(page) -> tuple[int, int]:
    """(step, number of steps) as the counter says it."""
    text = page.locator(COUNTER).inner_text()
    match = re.fullmatch(r"Step (\d+) of (\d+)", text.strip())
    assert match, text
    return int(match[1]), int(match[2])


def step_in_url(page) -> str | None:
    found = re.search(r"[?&]present=(\d+)", page.url)
    return found[1] if found else None


def visible_headings(page) -> list[str]:
    """The ids of the h1/h2/h3 headings the view shows now."""
    return page.eval_on_selector_all(
        f"{VIEW} h1, {VIEW} h2, {VIEW} h3",
        "hs => hs.filter(h => h.getClientRects().length).map(h => h.id)")


def view_text(page) -> str:
    return re.sub(r"\s+", " ", page.locator(VIEW).inner_text())


def press(page, key: str, expect_step: int) -> None:
    page.keyboard.press(key)
    page.wait_for_function(
        "([sel, n]) => (document.querySelector(sel) || {}).textContent.startsWith('Step ' + n + ' ')",
        arg=[COUNTER, expect_step])


def start(page, url: str = CASE_URL) -> None:
    page.goto(url)
    page.get_by_role("button", name="Present", exact=True).click()
    page.wait_for_selector(COUNTER)


def reveal_headings(article) -> dict[str, str]:
    """Each hidden section's key (`data-section`) -> the id of the heading it sits under."""
    found, heading = {}, None
    for node in article.children:
        if isinstance(node, str):
            continue
        if node.tag in ("h2", "h3"):
            heading = node.get("id")
        if node.tag == "details" and "gr-reveal" in node.classes:
            found[node.get("data-section")] = heading
    return found


def previous_element(node):
    siblings = [n for n in node.parent.children if not isinstance(n, str)]
    index = siblings.index(node)
    return siblings[index - 1] if index else None


def in_sight(page) -> list[str]:
    """The open reveals and answers whose content (its first line, after the prompt) the
    view shows now, not scrolled out of it (Playwright's inner_text reads that text too)."""
    return page.evaluate("""view => {
        const frame = document.querySelector(view).getBoundingClientRect();
        return Array.from(document.querySelectorAll(view + ' details[open]'))
            .filter(d => d.getClientRects().length)
            .filter(d => {
                const content = d.querySelector(':scope > :not(summary)');
                const box = content && content.getBoundingClientRect();
                return box && box.top >= frame.top && box.top + 16 <= frame.bottom;
            })
            .map(d => d.dataset.section || d.closest('[data-question]').dataset.question);
    }""", VIEW)


def step_to(page, heading: str) -> int:
    """Press ArrowRight until the view shows the heading `heading`; return the step."""
    step, total = counter(page)
    while heading not in visible_headings(page):
        assert step < total, f"no step shows {heading!r}"
        step += 1
        press(page, "ArrowRight", step)
    return step


def open_reveals(page) -> dict[str, bool]:
    return dict(page.eval_on_selector_all(
        "details.gr-reveal", "ds => ds.map(d => [d.dataset.section, d.open])"))


def walk(page) -> list[dict]:
    """Every step from the first: the headings shown, the reveals open, the URL's step."""
    page.keyboard.press("Home")
    _, total = counter(page)
    steps = []
    for n in range(1, total + 1):
        if n > 1:
            press(page, "ArrowRight", n)
        steps.append({"headings": visible_headings(page), "open": open_reveals(page),
                      "in_sight": in_sight(page),
                      "url": step_in_url(page), "text": view_text(page),
                      "figures": page.eval_on_selector_all(
                          f"{VIEW} figure", "fs => fs.filter(f => f.getClientRects().length).map(f => f.id)")})
    return steps


# --------------------------------------------------------------------------- the control


def test_every_case_page_has_one_present_button_and_listings_have_none(site, page):
    cases = sorted(p.parent.name for p in site.glob("*/index.html")
                   if (p.parent.parent == site and 'class="gr-byline"' in p.read_text(encoding="utf-8")))
    assert TEACHING_CASE in cases and len(cases) >= 4
    for case in cases:
        page.goto(f"{case}/")
        button = page.get_by_role("button", name="Present", exact=True)
        assert button.count() == 1, case
        # near the title: straight after the h1
        assert page.evaluate("document.querySelector('article h1').nextElementSibling.textContent") == "Present"
    for listing in ["", "tags/"]:
        page.goto(listing)
        assert page.get_by_role("button", name="Present").count() == 0


# --------------------------------------------------------------------------- stepping


def test_arrow_keys_page_down_and_space_step_through_the_case(page, case_doc):
    start(page)
    step, total = counter(page)
    assert step == 1 and total > 10
    assert step_in_url(page) == "1"
    assert page.evaluate("document.documentElement.classList.contains('gr-presenting')")
    title = case_doc.find("h1").squashed()
    assert title in view_text(page)
    assert [h for h in visible_headings(page) if h] == [case_doc.find("h1").get("id")]
    assert not page.locator(".md-header").is_visible()
    assert not page.locator(".md-sidebar--primary").is_visible()

    press(page, "ArrowRight", 2)
    assert visible_headings(page) == ["abstract", "abstract-case-presentation"]
    assert step_in_url(page) == "2"
    press(page, "PageDown", 3)
    assert visible_headings(page) == ["abstract", "abstract-investigations"]
    press(page, "Space", 4)
    assert visible_headings(page) == ["abstract", "abstract-diagnosis"]
    press(page, "ArrowLeft", 3)
    press(page, "PageUp", 2)
    press(page, "Shift+Space", 1)
    press(page, "ArrowDown", 2)
    press(page, "ArrowUp", 1)
    # Material's own keys rest while presenting ("n" would open the next page)
    path = page.evaluate("location.pathname")
    page.keyboard.press("n")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("sel => document.querySelector(sel).textContent.startsWith('Step 2 ')", arg=COUNTER)
    assert page.evaluate("location.pathname") == path


def test_every_section_comes_in_page_order_and_each_hidden_one_opens_as_its_own_step(page, case_doc):
    start(page)
    steps = walk(page)
    assert [s["url"] for s in steps] == [str(n) for n in range(1, len(steps) + 1)]

    # every h2 section of the page in order, except the citation and CARE sections
    article = case_doc.find("article", cls="md-content__inner")
    # (a section kept out of search is wrapped, `search_exclude`: its h2 is the wrapper's first child)
    tops = [c for c in article.children if not isinstance(c, str)]
    page_h2 = [h.get("id") for h in [c if c.tag == "h2" else c.find("h2") for c in tops
                                     if c.tag == "h2" or "gr-search-exclude" in c.classes] if h is not None]
    skipped = {"cite-this-summary", "cite-the-original", "care-checklist"}
    shown_h2 = []
    for s in steps:
        h2 = next((h for h in s["headings"] if h in page_h2), None)
        if h2 and (not shown_h2 or shown_h2[-1] != h2):
            shown_h2.append(h2)
    assert shown_h2 == [h for h in page_h2 if h not in skipped]
    assert "learning-points" in shown_h2 and "references" in shown_h2  # the wrapped references too
    assert "Learning points" in next(s["text"] for s in steps if "learning-points" in s["headings"])

    # each hidden section: a step with its prompt closed, the next the same page opened;
    # the abstract's part of it is shown with its prompt only (no step opens it: the
    # overview at the start must not give the diagnosis away)
    hidden = reveal_headings(article)
    assert {"diagnosis", "management", "abstract-diagnosis"} <= set(hidden)
    for key, heading in hidden.items():
        closed = [i for i, s in enumerate(steps) if heading in s["headings"] and not s["open"][key]]
        assert len(closed) == 1, key
        now = steps[closed[0]]
        if key.startswith("abstract-"):
            assert not any(s["open"][key] for s in steps), key
            continue
        after = steps[closed[0] + 1]
        assert after["headings"] == now["headings"] and after["open"][key], key
        assert key in after["in_sight"], key
    # the diagnosis itself is not visible before its step opens it
    final = article.find("div", cls="gr-diagnosis").squashed()
    where = next(i for i, s in enumerate(steps) if "diagnosis" in s["headings"])
    assert final not in steps[where]["text"] and final in steps[where + 1]["text"]


def test_the_view_fills_the_window_in_large_type_with_named_controls(page):
    page.goto(CASE_URL)
    page_size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('article p')).fontSize)")
    start(page)
    press(page, "ArrowRight", 2)
    box = page.locator(VIEW).bounding_box()
    assert box["x"] == 0 and box["y"] == 0 and box["width"] == DESKTOP["width"]
    assert box["height"] > DESKTOP["height"] * 0.85
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('article [data-gr-step] p')).fontSize)")
    assert size >= page_size * 1.4
    # focus is in the view; the counter is a polite live region; the buttons have names
    assert page.evaluate("document.querySelector('article').contains(document.activeElement)")
    assert page.locator(COUNTER).get_attribute("role") == "status"
    for name in ("Previous", "Next", "Exit"):
        assert page.get_by_role("button", name=name, exact=True).is_visible()
    page.get_by_role("button", name="Next", exact=True).click()
    assert counter(page)[0] == 3
    page.get_by_role("button", name="Previous", exact=True).click()
    assert counter(page)[0] == 2
    page.get_by_role("button", name="Exit", exact=True).click()
    assert page.locator(COUNTER).count() == 0
    assert step_in_url(page) is None


# --------------------------------------------------------------------------- leaving and resuming


def test_escape_returns_to_the_page_where_it_was(page):
    page.goto(CASE_URL)
    page.evaluate("window.scrollTo(0, 1500)")
    page.wait_for_function("scrollY === 1500")
    before = open_reveals(page)
    # a click that does not scroll the button into view first, as a mouse click at the top would not
    page.get_by_role("button", name="Present", exact=True).dispatch_event("click")
    page.wait_for_selector(COUNTER)
    press(page, "ArrowRight", step_to(page, "diagnosis") + 1)
    assert open_reveals(page)["diagnosis"]  # opened on the way
    page.keyboard.press("Escape")
    page.wait_for_function("!document.documentElement.classList.contains('gr-presenting')")
    assert page.evaluate("scrollY") == 1500
    assert open_reveals(page) == before
    assert step_in_url(page) is None
    assert page.locator(".gr-present-bar").count() == 0
    assert page.evaluate("document.activeElement.textContent") == "Present"
    assert page.locator(".md-header").is_visible()


def test_leaving_full_screen_leaves_the_presentation(page):
    start(page)
    page.wait_for_function("document.fullscreenElement === document.documentElement")
    press(page, "ArrowRight", 2)
    page.evaluate("document.exitFullscreen()")
    page.wait_for_function("!document.documentElement.classList.contains('gr-presenting')")
    assert step_in_url(page) is None


def test_a_reload_or_a_shared_link_resumes_at_the_step(page):
    start(page)
    for n in range(2, 8):
        press(page, "PageDown", n)
    shown = visible_headings(page)
    assert step_in_url(page) == "7"
    page.reload()
    page.wait_for_selector(COUNTER)
    assert counter(page)[0] == 7 and visible_headings(page) == shown
    # a shared link, with an anchor too
    page.goto("about:blank")
    page.goto(f"{CASE_URL}?present=7#timeline")
    page.wait_for_selector(COUNTER)
    assert counter(page)[0] == 7 and visible_headings(page) == shown
    press(page, "ArrowRight", 8)
    assert page.url.endswith("?present=8#timeline")
    heading = visible_headings(page)[0]
    page.keyboard.press("Escape")
    page.wait_for_function("!document.documentElement.classList.contains('gr-presenting')")
    assert page.url.endswith(f"/{CASE_URL}#timeline")
    # a resumed presentation had no place on the page before: it returns to the step's section,
    # below Material's sticky header
    top = page.locator(f"#{heading}").evaluate("h => h.getBoundingClientRect().top")
    header = page.locator(".md-header").evaluate("h => h.getBoundingClientRect().bottom")
    assert header - 1 <= top < DESKTOP["height"] / 3  # (sub-pixel layout)


@pytest.mark.parametrize("query", ["?present=0", "?present=abc", "?present=-2", "?present="])
def test_a_malformed_step_in_the_url_is_ignored(page, query):
    page.goto(CASE_URL + query)
    page.get_by_role("button", name="Present", exact=True).wait_for()
    assert page.locator(COUNTER).count() == 0


def test_a_step_past_the_end_shows_the_last(page):
    page.goto(CASE_URL + "?present=999")
    page.wait_for_selector(COUNTER)
    step, total = counter(page)
    assert step == total and step_in_url(page) == str(total)


# --------------------------------------------------------------------------- questions, print, sub-path


def test_each_question_is_its_own_step_and_its_answer_the_next(page, question_case):
    url, questions = question_case
    start(page, url)
    steps = walk(page)
    for question in questions:
        title = question.find("h3").get("id")
        stem = question.find("legend").squashed()
        explanations = question.find("ul", cls="gr-explanations").squashed()
        asked = [i for i, s in enumerate(steps) if title in s["headings"]]
        assert len(asked) == 2, title  # the question, then the same with its answer
        first, second = steps[asked[0]], steps[asked[1]]
        assert asked[1] == asked[0] + 1
        assert stem in first["text"] and explanations not in first["text"]
        assert stem in second["text"] and explanations in second["text"]
        assert question.get("data-question") in second["in_sight"]  # scrolled to it if need be
        assert first["headings"] == [title]  # a step of its own, split from its section
        assert title not in steps[asked[0] - 1]["headings"] and title not in steps[asked[1] + 1]["headings"]
        # the figure it comes straight after (an image challenge) is shown with it
        before = previous_element(question)
        figures = [before.get("id")] if before is not None and before.tag == "figure" else []
        assert first["figures"] == figures and second["figures"] == figures
    assert any(previous_element(q).tag == "figure" for q in questions), "no image challenge to test"


def test_a_question_can_be_answered_in_the_view_and_its_keys_stay_its_own(page, question_case):
    url, questions = question_case
    single = next(q for q in questions if q.get("data-kind") == "single")
    title = single.find("h3").get("id")
    start(page, url)
    asked = step_to(page, title)
    section = page.locator(f"section.gr-question[data-question='{single.get('data-question')}']")
    radios = section.locator("input[type=radio]")
    radios.first.check()
    page.keyboard.press("ArrowDown")  # moves the choice, as in any radio group
    assert radios.nth(1).is_checked()
    page.keyboard.press("Space")  # on a form field: its own, not the next step
    assert counter(page)[0] == asked
    section.get_by_role("button", name="Check").click()
    assert section.locator(".gr-feedback").inner_text().strip()
    press(page, "PageDown", asked + 1)


def test_printing_while_presenting_prints_the_whole_page(page, case_doc):
    start(page)
    step = step_to(page, "diagnosis")  # its reveal still closed
    assert open_reveals(page)["diagnosis"] is False
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    try:
        article = case_doc.find("article", cls="md-content__inner")
        h2s = [h.get("id") for h in article.find_all("h2")]
        shown = page.eval_on_selector_all(
            f"{VIEW} h2", "hs => hs.filter(h => h.getClientRects().length).map(h => h.id)")
        assert shown == h2s
        assert not page.locator(".gr-present-bar").is_visible()
        assert not page.get_by_role("button", name="Present").is_visible()
        assert page.locator("details[data-section='diagnosis'] .gr-diagnosis").is_visible()
    finally:
        page.emulate_media(media="screen")
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
    # back on screen the step is as it was: the reveal Material opened for printing is closed
    assert counter(page)[0] == step and visible_headings(page) == ["diagnosis"]
    assert open_reveals(page)["diagnosis"] is False
    assert not page.locator("details[data-section='diagnosis'] .gr-diagnosis").is_visible()


def test_present_mode_works_under_a_sub_path_without_leaving_the_site(site, chromium):
    with serve_directory(site, prefix=SUB_PATH) as base:
        context = _new_context(chromium, base)
        tab = context.new_page()
        requests: list[str] = []
        errors: list[str] = []
        tab.on("request", lambda r: requests.append(r.url))
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        try:
            start(tab)
            press(tab, "PageDown", 2)
            tab.reload()
            tab.wait_for_selector(COUNTER)
            assert counter(tab)[0] == 2
            assert tab.url == f"{base}{CASE_URL}?present=2"
            tab.keyboard.press("Escape")
            tab.wait_for_function("!document.documentElement.classList.contains('gr-presenting')")
        finally:
            context.close()
    assert any(r.endswith("/assets/present.js") for r in requests)
    assert not [r for r in requests if not r.startswith(base) and not r.startswith(("data:", "blob:"))]
    assert not errors


def test_the_bar_fits_a_phone_screen(chromium, base_url):
    context = _new_context(chromium, base_url, viewport={"width": 360, "height": 740})
    tab = context.new_page()
    try:
        start(tab)
        press(tab, "ArrowRight", 2)
        for name in ("Previous", "Next", "Exit"):
            box = tab.get_by_role("button", name=name, exact=True).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 360, name
        assert tab.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


# --------------------------------------------------------------------------- Material's instant navigation


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def instant_url(tmp_path_factory, chromium):
    """The site with `navigation.instant`. Material navigates instantly only to URLs of its
    sitemap, whose port and path must be the served ones: so `site_url` names the port the
    server is then started on."""
    from conftest import build_project

    port = _free_port()

    def prepare(project: Path) -> None:
        _hide_teaching_sections(project)
        config = project / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        assert "  features:\n" in text
        config.write_text(text.replace("  features:\n", "  features:\n    - navigation.instant\n", 1)
                          + f"site_url: http://127.0.0.1:{port}/\n", encoding="utf-8")

    built = build_project(tmp_path_factory.mktemp("present-instant") / "project", prepare)
    assert "navigation.instant" in (built / "index.html").read_text(encoding="utf-8")
    with serve_directory(built, port=port) as url:
        yield url


def test_under_instant_navigation_pages_reached_by_a_link_present_and_anchors_still_work(chromium, instant_url):
    context = _new_context(chromium, instant_url)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    try:
        tab.goto("")
        tab.evaluate("window.grLoaded = true")  # survives instant navigation, not a page load
        tab.locator(f"article a[href$='{TEACHING_CASE}/']").first.click()
        tab.get_by_role("button", name="Present", exact=True).click()
        tab.wait_for_selector(COUNTER)
        assert tab.evaluate("window.grLoaded") is True
        press(tab, "ArrowRight", 2)
        # back to the previous page by the browser while presenting: the view goes with it
        tab.go_back()
        tab.wait_for_function("!document.querySelector('.gr-byline')")
        assert tab.evaluate("window.grLoaded") is True
        assert not tab.evaluate("document.documentElement.classList.contains('gr-presenting')")
        assert tab.locator(".gr-present-bar").count() == 0
        assert tab.get_by_role("button", name="Present").count() == 0
        # and forward again: the URL still holds the step, so the case is presented there
        tab.go_forward()
        tab.wait_for_selector(COUNTER)
        assert tab.evaluate("window.grLoaded") is True
        assert counter(tab)[0] == 2 and tab.locator("article .gr-present").count() == 1
        press(tab, "ArrowRight", 3)
        tab.keyboard.press("Escape")
        tab.wait_for_function("!document.documentElement.classList.contains('gr-presenting')")
        # an anchor of the page still goes where it points
        tab.locator("a.md-nav__link[href$='#timeline']").first.click()  # absolute after instant loading
        tab.wait_for_function("location.hash === '#timeline'")
        assert tab.locator("h2#timeline").evaluate("h => h.getBoundingClientRect().top") < 200
    finally:
        context.close()
    assert not errors


# --------------------------------------------------------------------------- accessibility, measured


def test_present_mode_has_no_serious_or_critical_axe_violations(page, question_case):
    """axe-core (WCAG 2.1 AA rules among them) on the view at every kind of step: the title,
    a section, a hidden section closed and opened, a question and its answer, a figure."""
    url, _ = question_case
    start(page, url)
    steps = walk(page)
    kinds = {
        "title": 0,
        "closed reveal": next(i for i, s in enumerate(steps) if s["open"] and not all(s["open"].values())
                              and i + 1 < len(steps) and steps[i + 1]["headings"] == s["headings"]),
        "question": next(i for i, s in enumerate(steps) if any(h.startswith("question-") for h in s["headings"])),
        "figure": next(i for i, s in enumerate(steps) if "figures" in s["headings"]),
    }
    kinds["opened reveal"] = kinds["closed reveal"] + 1
    kinds["answer"] = kinds["question"] + 1
    found = {}
    for kind, index in kinds.items():
        page.goto(f"{url}?present={index + 1}")
        page.wait_for_selector(COUNTER)
        if bad := serious_axe_violations(page, where=f"present mode, {kind} step"):
            found[kind] = bad
    assert not found
