"""Teaching questions (issue 13 item 1): the record's `questions`, their errors, the case
page's markup in a built site, the answers kept out of everything a learner sees first,
the `check` codes and the handout's placement of questions and answers.

The site is the example project built once by MkDocs (its image challenge,
`palpitations-runner`, has two questions: a single-best-answer one after its figures and a
select-all one after its hidden diagnosis)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import ROOT, article, build_project, read_html, squash, write_case
from grandrounds import handout
from grandrounds.checks import check
from grandrounds.errors import CaseErrors
from grandrounds.record.library import read_case
from grandrounds.site.markup import markdown_to_text

EXAMPLE = "palpitations-runner"

VALID = """
    title: T
    abstract: A
    presentation: P
    diagnosis: {final: F}
    questions:
      - id: q1
        after: presentation
        stem: What is it?
        options:
          - {text: One, correct: true, explanation: Because.}
          - {text: Two, explanation: Not so.}
"""


@pytest.fixture
def cases(tmp_path, monkeypatch) -> Path:
    (tmp_path / "cases").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path / "cases"


def load(cases: Path, text: str, name: str = "q"):
    path = write_case(cases.parent, name, text)
    return read_case(path, cases)


def problems(cases: Path, text: str) -> list[str]:
    with pytest.raises(CaseErrors) as info:
        load(cases, text)
    return [f"{p.line}:{p.col}: {p.message}" for p in info.value.problems]


@pytest.fixture(scope="module")
def example():
    return read_case(ROOT / "cases" / f"{EXAMPLE}.yaml", ROOT / "cases")


# --------------------------------------------------------------------------- model


def test_a_question_loads_with_its_options(cases):
    case = load(cases, VALID)
    question = case.questions[0]
    assert (question.id, question.after, question.multiple) == ("q1", "presentation", False)
    assert [o.correct for o in question.options] == [True, False]
    fields = dict(case.markdown_fields())
    assert fields[("questions", 0, "stem")] == "What is it?"
    assert fields[("questions", 0, "options", 1, "explanation")] == "Not so."


def test_several_correct_options_make_a_select_all_question(example):
    assert [q.multiple for q in example.questions] == [False, True]


@pytest.mark.parametrize("edit, expected", [
    (("      - {text: Two, explanation: Not so.}\n", ""),
     "10:7: questions[0].options has 1 item; it needs at least 2"),
    (("      - {text: Two, explanation: Not so.}\n", "      - {text: X}\n" + "          - {text: X}\n" * 7),
     "10:7: questions[0].options has 9 items; it needs at most 8"),
    (("after: presentation", "after: timeline"),
     "7:12: questions[0].after: this record has no 'timeline' section"),
    (("after: presentation", "after: presentaton"),
     "7:12: questions[0].after: 'presentaton' is not an allowed value"),
    (("id: q1", "id: q 1"), "6:9: questions[0].id: 'q 1' is not valid"),
    (("correct: true,", "corect: true,"), "10:21: unknown key 'corect' in questions[0].options[0]"),
])
def test_question_errors_are_located(cases, edit, expected):
    text = VALID.replace(*edit)
    found = problems(cases, text)
    assert any(p.startswith(expected) for p in found), found


def test_question_ids_are_unique_in_the_record(cases):
    text = VALID + VALID[VALID.index("      - id: q1"):]
    assert problems(cases, text) == ["12:9: question id 'q1' is already used by question 1"]


@pytest.mark.parametrize("teaching, expected", [
    ("{hide: [investigation]}", "12:19: teaching.hide[0]: 'investigation' is not an allowed value"),
    ("{prompts: {diagnosys: Why?}}", "12:22: teaching.prompts.diagnosys: 'diagnosys' is not an allowed key"),
    ("{titel: X}", "12:12: unknown key 'titel' in teaching"),
])
def test_teaching_fields_are_checked(cases, teaching, expected):
    found = problems(cases, VALID + f"    teaching: {teaching}\n")
    assert any(p.startswith(expected) for p in found), found


def test_teaching_fields_load(cases):
    case = load(cases, VALID + "    teaching: {hide: [timeline, presentation], prompts: {timeline: When?}, "
                                "title: A cough}\n")
    assert case.teaching.hide == ["timeline", "presentation"]
    assert case.teaching.prompts == {"timeline": "When?"}
    assert case.teaching.title == "A cough"


@pytest.mark.parametrize("alias, expected", [
    ("index", "'index' is reserved for a generated page"),
    ("q", "'q' is this case's own id"),
    ("old.html", "'old.html' ends in '.html'"),
    ("bad id", "aliases[0]: 'bad id' is not valid"),
])
def test_aliases_follow_the_case_id_rule(cases, alias, expected):
    found = problems(cases, VALID + f"    aliases: [{alias!r}]\n")
    assert len(found) == 1 and found[0].startswith("12:11: ") and expected in found[0], found


def test_aliases_load(cases):
    assert load(cases, VALID + "    aliases: [old-name, older_name]\n").aliases == ["old-name", "older_name"]


# --------------------------------------------------------------------------- the built page


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_project(tmp_path_factory.mktemp("questions") / "project")


@pytest.fixture(scope="module")
def body(site):
    return article(read_html(site / EXAMPLE / "index.html"))


def test_each_question_is_an_excluded_section_with_a_fieldset(body, example):
    sections = body.find_all("section", cls="gr-question")
    assert [s.get("data-question") for s in sections] == [q.id for q in example.questions]
    for number, (section, question) in enumerate(zip(sections, example.questions), 1):
        assert section.get("id") == f"question-{question.id}"
        assert "data-search-exclude" in section.attrs
        heading = section.find("h3")
        assert heading.squashed() == f"Question {number}" and "data-search-exclude" in heading.attrs
        assert heading.get("id")  # its own search section
        fieldset = section.find("fieldset")
        legend = fieldset.find("legend")
        assert legend.squashed().startswith(markdown_to_text(question.stem))
        assert ("Select all that apply" in legend.squashed()) == question.multiple
        inputs = fieldset.find_all("input")
        kind = "checkbox" if question.multiple else "radio"
        assert [i.get("type") for i in inputs] == [kind] * len(question.options)
        assert len({i.get("name") for i in inputs}) == 1
        for field, option in zip(inputs, question.options):
            label = fieldset.find("label", **{"for": field.get("id")})
            assert label is not None and markdown_to_text(option.text) in label.squashed()
            assert "data-correct" not in field.attrs and "checked" not in field.attrs
        feedback = section.find(cls="gr-feedback")
        assert feedback.get("role") == "status" and feedback.get("aria-live") == "polite"
        actions = section.find(cls="gr-question-actions")
        assert "hidden" in actions.attrs  # the script shows them
        assert [b.squashed() for b in actions.find_all("button")] == ["Check", "Try again"]


def test_the_answer_is_a_closed_reveal_with_every_explanation(body, example):
    for section, question in zip(body.find_all("section", cls="gr-question"), example.questions):
        answer = section.find("details", cls="gr-answer")
        assert answer is not None and "open" not in answer.attrs
        assert answer.find("summary").squashed() == "Answer and explanations"
        items = answer.find("ul").find_all("li")
        assert [i.get("data-correct") for i in items] == [str(o.correct).lower() for o in question.options]
        assert [i.get("data-option") for i in items] == list("ABCDEFGH"[:len(question.options)])
        for item, option in zip(items, question.options):
            assert markdown_to_text(option.explanation)[:60] in item.squashed()
        letters = [l for l, o in zip("ABCDEFGH", question.options) if o.correct]
        assert answer.find(cls="gr-answer-key").squashed().endswith(", ".join(letters))


def _order(body) -> list[str]:
    """The page's h2 ids and question ids, in document order."""
    found = []
    for node in body.iter():
        if node.tag == "h2" and node.get("id"):
            found.append(node.get("id"))
        elif node.tag == "section" and "gr-question" in node.classes:
            found.append("?" + node.get("data-question"))
    return found


def test_questions_follow_their_sections(body):
    order = _order(body)
    assert order[:7] == ["abstract", "presentation", "figures", "?ecg-pattern", "investigations",
                         "diagnosis", "?pre-excited-af"]
    assert order[7] == "management"


def test_staged_sections_each_open_on_their_own(body, example):
    reveals = body.find_all("details", cls="gr-reveal")
    assert [r.get("data-section") for r in reveals] == [
        "abstract-investigations", "abstract-diagnosis", "abstract-management",
        "investigations", "diagnosis", "management", "learning_points", "references", "cite-summary", "related"]
    for reveal in reveals:
        assert "open" not in reveal.attrs
        assert not [d for d in reveal.iter() if d is not reveal and d.tag == "details"]  # none nested
    prompts = {r.get("data-section"): r.find("summary").squashed() for r in reveals}
    for section, prompt in example.teaching.prompts.items():
        assert prompts[section] == prompts[f"abstract-{section}"] == prompt
    assert prompts["learning_points"] == "What are the learning points?"


def _answer_texts(case) -> list[str]:
    texts = []
    for question in case.questions:
        texts += [markdown_to_text(o.explanation)[:50] for o in question.options if o.explanation]
    return texts


def test_answers_and_stems_stay_out_of_search(site, example):
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = " ".join(d["title"] + " " + d["text"] for d in index["docs"] if d["location"].startswith(EXAMPLE))
    assert text, "the case is in the search index"
    for needle in _answer_texts(example) + [markdown_to_text(q.stem)[:50] for q in example.questions]:
        assert squash(needle) not in squash(text), needle


def test_answers_are_nowhere_a_learner_looks_first(site, example):
    """Listings, the feed, the page's head metadata (description, Open Graph, JSON-LD) and
    every other page hold no explanation."""
    case_page = (site / EXAMPLE / "index.html").read_text(encoding="utf-8")
    head = case_page[:case_page.index("<body")]
    others = [p for p in site.rglob("*.html") if p.parent.name != EXAMPLE]
    others += [p for p in (site / "feed.xml",) if p.exists()]
    assert len(others) > 5
    for needle in _answer_texts(example):
        assert needle not in head, needle
        for path in others:
            assert needle not in path.read_text(encoding="utf-8"), (needle, path)


# --------------------------------------------------------------------------- check


def test_check_codes_for_questions(cases):
    path = write_case(cases.parent, "c", """
        title: T
        abstract: {background: B, diagnosis: Anti-NMDA receptor encephalitis.}
        presentation: P
        investigations:
          - {name: MRI, result: bilateral mesial temporal lobe hyperintensity}
        diagnosis: {final: Anti-NMDA receptor encephalitis}
        questions:
          - id: q1
            stem: Given the bilateral mesial temporal lobe hyperintensity, what next?
            options:
              - {text: Rest, explanation: x}
              - {text: "*rest* "}
          - id: q2
            stem: Why is this anti-NMDA receptor encephalitis?
            options:
              - {text: a, correct: true, explanation: x}
              - {text: b, explanation: y}
          - id: q3
            after: diagnosis
            stem: Why is this anti-NMDA receptor encephalitis?
            options:
              - {text: a, correct: true, explanation: x}
              - {text: b, explanation: y}
        teaching:
          hide: [investigations, diagnosis]
        check: {allow: [care, consent]}
    """)
    found = [(f.line, f.col, f.severity, f.code) for f in check.check_case(read_case(path, cases))
             if f.code.startswith("teaching/")]
    assert found == [
        (9, 11, "warning", "teaching/stem-reveals"),  # q1 names the hidden investigations
        (11, 7, "error", "teaching/no-correct-option"),
        (12, 9, "warning", "teaching/no-explanation"),
        (12, 16, "warning", "teaching/duplicate-option"),
        (14, 11, "warning", "teaching/stem-reveals"),  # q2 names the hidden diagnosis
    ]  # q3 follows the diagnosis: it may name it


def test_the_example_has_no_question_findings(example):
    assert [f for f in check.check_case(example, cases_dir=ROOT / "cases") if f.code.startswith("teaching/")] == []


# --------------------------------------------------------------------------- handout


def _pdf_pages(case, tmp_path: Path, **options) -> list[str]:
    from pypdf import PdfReader

    result = handout.build_handout(case, ROOT / "cases", handout.HandoutOptions(**options), tmp_path)
    assert not result.problems, result.problems
    return [squash(p.extract_text()) for p in PdfReader(result.path).pages]


def test_quiz_handout_asks_first_and_answers_on_the_answer_page(example, tmp_path):
    pages = _pdf_pages(example, tmp_path)
    answers_at = next(i for i, text in enumerate(pages) if text.startswith("Answers"))
    first, rest = " ".join(pages[:answers_at]), " ".join(pages[answers_at:])
    for number, question in enumerate(example.questions, 1):
        assert f"Question {number} {markdown_to_text(question.stem)[:40]}" in first
        for letter, option in zip("ABCDE", question.options):
            assert f"{letter}. {markdown_to_text(option.text)}" in first
    for needle in _answer_texts(example):
        assert squash(needle) not in first and squash(needle)[:40] in rest
    assert "Question 1: answer A" in rest and "Question 2: answers A, B, C" in rest
    # the question follows its figure, before the (visible) outcome
    assert first.index("Figure 1") < first.index("Question 1") < first.index("Question 2") < first.index("Outcome")


def test_without_an_answer_page_the_answer_follows_its_question(cases, tmp_path):
    case = load(cases, VALID + "    outcome: Well again.\n    teaching: {hide: []}\n")
    text = " ".join(_pdf_pages(case, tmp_path))
    assert "Answers" not in text
    order = [text.index(s) for s in ("Summary", "Question 1 What is it?", "A. One", "B. Two",
                                     "Question 1: answer A", "A. One Correct. Because.",
                                     "B. Two Incorrect. Not so.", "Diagnosis", "Outcome")]
    assert order == sorted(order), text


def test_handout_html_places_a_question_whose_section_is_not_printed(cases):
    """`after: timeline` (the handout prints no timeline, nor the presentation outside the
    teaching variant): after the nearest printed section before it, the abstract."""
    case = load(cases, VALID.replace("after: presentation", "after: timeline")
                + "    timeline: [{when: day 1, event: E}]\n    investigations: [{name: MRI}]\n"
                  "    teaching: {hide: []}\n")
    html = handout.case_article(case, handout.HandoutOptions())
    spots = [html.index(s) for s in ('class="gr-abstract"', 'class="gr-question"', "gr-question-answer",
                                     'class="gr-investigations"')]
    assert spots == sorted(spots)
    assert re.search(r'<section class="gr-question" id="question-q1">', html)
