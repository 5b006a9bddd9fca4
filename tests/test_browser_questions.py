"""Teaching questions in a real browser (issue 13 item 6): a wrong then the right option,
with the feedback and every explanation shown; "select all that apply" scored per option;
keyboard-only answering; no script; print.

The example project is built once by MkDocs and served on 127.0.0.1 (the harness of
tests/test_browser.py: conftest's `build_project`, `serve_directory` and `chromium`); its
image challenge `palpitations-runner` has a single-best-answer question (A is right) and a
select-all one (A, B and C are right, of five)."""

from __future__ import annotations

import pytest

from axe_support import serious_axe_violations
from conftest import ROOT, build_project, serve_directory
from test_browser import _new_context  # the one context: light scheme, other hosts refused
from grandrounds.record.library import read_case
from grandrounds.site.markup import markdown_to_text

EXAMPLE = "palpitations-runner"
SINGLE = "#question-ecg-pattern"
MULTIPLE = "#question-pre-excited-af"
CASE = read_case(ROOT / "cases" / f"{EXAMPLE}.yaml", ROOT / "cases")


@pytest.fixture(scope="module")
def base_url(tmp_path_factory):
    site = build_project(tmp_path_factory.mktemp("browser-questions") / "project")
    with serve_directory(site) as url:
        yield url


@pytest.fixture(scope="module")
def context(chromium, base_url):
    context = _new_context(chromium, base_url)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """The example's page in a fresh tab; fails the test on any console or page error."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    tab.goto(f"{EXAMPLE}/")
    yield tab
    tab.close()
    assert not errors, "\n".join(errors)


def explanations(question) -> list[str]:
    return [markdown_to_text(o.explanation)[:50] for o in question.options]


def explanations_shown(page, selector: str, question) -> bool:
    answer = page.locator(f"{selector} details.gr-answer")
    return all(answer.get_by_text(text, exact=False).first.is_visible() for text in explanations(question))


def feedback(page, selector: str) -> str:
    return page.locator(f"{selector} .gr-feedback").inner_text().strip()


def test_before_answering_only_the_options_and_check_show(page):
    question = page.locator(SINGLE)
    assert question.get_by_role("group").is_visible()  # the fieldset, named by its legend
    assert question.get_by_role("radio").count() == 4
    assert question.get_by_role("button", name="Check").is_visible()
    assert not question.get_by_role("button", name="Try again").is_visible()
    assert not question.locator("details.gr-answer").is_visible()
    assert feedback(page, SINGLE) == ""
    for text in explanations(CASE.questions[0]):
        assert text not in page.locator("article").inner_text()


def test_a_wrong_then_the_right_option(page):
    question = page.locator(SINGLE)
    question.get_by_label("Left bundle branch block").check()
    question.get_by_role("button", name="Check").click()
    assert feedback(page, SINGLE) == "Not quite: B is not the best answer. The answer is A."
    assert question.locator(".gr-option[data-option='B']").get_attribute("data-result") == "wrong"
    assert question.locator(".gr-option[data-option='A']").get_attribute("data-result") == "correct"
    assert "incorrect" in question.locator(".gr-option[data-option='B']").inner_text()  # not colour alone
    assert explanations_shown(page, SINGLE, CASE.questions[0])
    assert question.get_by_role("radio").first.is_disabled()

    question.get_by_role("button", name="Try again").click()
    assert feedback(page, SINGLE) == ""
    assert not question.locator("details.gr-answer").is_visible()
    assert not any(question.get_by_role("radio").nth(i).is_checked() for i in range(4))
    assert question.get_by_role("radio").first.is_enabled()

    question.get_by_label("Ventricular pre-excitation through an accessory pathway").check()
    question.get_by_role("button", name="Check").click()
    assert feedback(page, SINGLE) == "Correct: A is the answer."
    assert question.get_attribute("data-answered") == "correct"
    assert explanations_shown(page, SINGLE, CASE.questions[0])


def test_checking_nothing_asks_for_a_choice(page):
    page.locator(SINGLE).get_by_role("button", name="Check").click()
    assert feedback(page, SINGLE) == "Choose an option first."
    assert not page.locator(f"{SINGLE} details.gr-answer").is_visible()


def test_select_all_is_scored_per_option(page):
    question = page.locator(MULTIPLE)
    assert question.get_by_role("checkbox").count() == 5
    for name in ("Adenosine", "Procainamide"):
        question.get_by_label(name).check()
    question.get_by_role("button", name="Check").click()
    # right: A chosen, D and E left; wrong: B and C left, D chosen
    assert feedback(page, MULTIPLE) == "Not quite: 2 of 5 options right. The answers are A, B and C."
    assert explanations_shown(page, MULTIPLE, CASE.questions[1])
    question.get_by_role("button", name="Try again").click()
    for name in ("Adenosine", "Verapamil", "Digoxin"):
        question.get_by_label(name).check()
    question.get_by_role("button", name="Check").click()
    assert feedback(page, MULTIPLE) == "Correct: A, B and C."


def _focused(page) -> str:
    return page.evaluate("""() => { const e = document.activeElement;
        return e.id || (e.textContent || '').trim(); }""")


def test_keyboard_only_answering(page):
    """Tab into the options, arrows to choose, Tab to Check, Enter; focus goes to Try again,
    whose Enter starts over at the first option."""
    page.goto(f"{EXAMPLE}/{SINGLE}")  # a link to the question: Tab starts from there
    page.keyboard.press("Tab")
    assert _focused(page) == "question-ecg-pattern-a"
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")  # C: first-degree block
    page.keyboard.press("Tab")
    assert _focused(page) == "Check"
    page.keyboard.press("Enter")
    assert feedback(page, SINGLE).startswith("Not quite: C")
    assert _focused(page) == "Try again"
    page.keyboard.press("Enter")
    assert _focused(page) == "question-ecg-pattern-a"
    page.keyboard.press("Space")  # choose A where the focus is
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    assert feedback(page, SINGLE) == "Correct: A is the answer."

    # checkboxes: Tab moves between them, Space ticks
    page.locator(f"{MULTIPLE} input").first.focus()
    for _ in range(3):
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
    for _ in range(2):
        page.keyboard.press("Tab")
    assert _focused(page) == "Check"
    page.keyboard.press("Enter")
    assert feedback(page, MULTIPLE) == "Correct: A, B and C."


def test_the_feedback_is_announced_and_the_options_are_labelled(page):
    question = page.locator(SINGLE)
    status = question.get_by_role("status")
    assert status.count() == 1 and status.get_attribute("aria-live") == "polite"
    legend = markdown_to_text(CASE.questions[0].stem)
    assert question.get_by_role("group", name=legend).count() == 1
    for option in CASE.questions[0].options:
        assert question.get_by_role("radio", name=markdown_to_text(option.text)).count() == 1


def test_without_javascript_the_answer_is_a_closed_reveal(chromium, base_url):
    context = _new_context(chromium, base_url, java_script_enabled=False)
    try:
        tab = context.new_page()
        tab.goto(f"{EXAMPLE}/")
        answer = tab.locator(f"{SINGLE} details.gr-answer")
        assert answer.is_visible() and answer.get_attribute("open") is None
        assert not tab.locator(f"{SINGLE} .gr-question-actions").is_visible()
        answer.locator("summary").click()
        assert all(answer.get_by_text(t).first.is_visible() for t in explanations(CASE.questions[0]))
    finally:
        context.close()


def test_printed_questions_show_their_options_and_answers(page):
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    for selector, question in ((SINGLE, CASE.questions[0]), (MULTIPLE, CASE.questions[1])):
        assert page.locator(f"{selector} fieldset").is_visible()
        assert not page.locator(f"{selector} .gr-question-actions").is_visible()
        assert explanations_shown(page, selector, question)


def test_questions_have_no_serious_axe_violations_before_and_after_answering(page):
    """axe-core (WCAG 2.1 AA rules among them) on the questions and the staged reveals,
    unanswered, then with one answered wrongly and one rightly and a reveal opened."""
    found = {}
    for selector in (SINGLE, MULTIPLE, "details.gr-reveal[data-section='investigations']"):
        if bad := serious_axe_violations(page, selector):
            found[f"before {selector}"] = bad
    page.locator(SINGLE).get_by_label("Left bundle branch block").check()
    page.locator(SINGLE).get_by_role("button", name="Check").click()
    for name in ("Adenosine", "Verapamil", "Digoxin"):
        page.locator(MULTIPLE).get_by_label(name).check()
    page.locator(MULTIPLE).get_by_role("button", name="Check").click()
    page.locator("details.gr-reveal[data-section='investigations'] > summary").click()
    for selector in (SINGLE, MULTIPLE, "details.gr-reveal[data-section='investigations']"):
        if bad := serious_axe_violations(page, selector):
            found[f"answered {selector}"] = bad
    assert not found
