"""Staged reveal (issue 13 item 3): any section can be hidden, each behind its own reveal
with the author's prompt or a default, hiding a section hides the abstract's part of the
same subject, and questions without `after` go before the first hidden section.

Rendered pages are read as the Markdown the renderer writes; one MkDocs build checks that
a hidden figure still shows its image and that hidden sections stay out of search."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import PNG_1PX, ROOT, article, build_project, read_html, squash, write_case
from grandrounds import handout
from grandrounds.record.library import read_case
from grandrounds.record.model import ABSTRACT_SECTION, SECTIONS
from grandrounds.site.render import (REVEAL_PROMPTS, Renderer, RenderOptions, hidden_abstract, question_places,
                                     section_order)

FULL = """
    title: T
    type: case-series
    abstract: {background: Background words., introduction: Abstract introduction words.,
               case_presentation: Abstract presentation words., investigations: Abstract investigation words.,
               diagnosis: Abstract diagnosis words., differential_diagnosis: Abstract differential words.,
               treatment: Abstract treatment words., outcome: Abstract outcome words.,
               conclusions: Abstract conclusion words.}
    introduction: Introduction words.
    presentation: Presentation words.
    patients: [{label: Patient label words, age: 30, sex: female}]
    timeline: [{when: day 1, event: Timeline words.}]
    investigations: [{name: Investigation words, result: R}]
    diagnosis: {final: Diagnosis words}
    management: [{intervention: Management words}]
    outcome: Outcome words.
    discussion: Discussion words.
    learning_points: [Learning point words.]
    patient_perspective: Perspective words.
    figures: [{id: f1, file: f.png, alt: Figure alt words, caption: Figure caption words.}]
    tables: [{id: t1, caption: Table caption words., content: "| a | b |\\n|---|---|\\n| 1 | 2 |"}]
"""
WORDS = {"introduction": "Introduction words", "presentation": "Presentation words",
         "patients": "Patient label words", "timeline": "Timeline words", "investigations": "Investigation words",
         "diagnosis": "Diagnosis words", "management": "Management words", "outcome": "Outcome words",
         "discussion": "Discussion words", "learning_points": "Learning point words",
         "patient_perspective": "Perspective words", "figures": "Figure caption words",
         "tables": "Table caption words"}
REVEAL = re.compile(r'<details class="question gr-reveal" data-section="([^"]+)"(?: markdown="block")?>\n'
                    r'<summary>([^<]+)</summary>\n(.*?)</details>', re.S)


@pytest.fixture
def cases(tmp_path, monkeypatch) -> Path:
    (tmp_path / "cases").mkdir()
    (tmp_path / "cases" / "f.png").write_bytes(PNG_1PX)
    monkeypatch.chdir(tmp_path)
    return tmp_path / "cases"


def case_from(cases: Path, text: str):
    return read_case(write_case(cases.parent, "x", text), cases)


def render(case, **options) -> str:
    return Renderer(ROOT / "templates", RenderOptions(**options)).case_page(case)


def reveals(page: str) -> dict[str, tuple[str, str]]:
    return {section: (prompt, body) for section, prompt, body in REVEAL.findall(page)}


def test_the_sections_cover_the_page():
    assert set(WORDS) == set(SECTIONS)
    assert set(REVEAL_PROMPTS) == set(SECTIONS)


@pytest.mark.parametrize("section", SECTIONS)
def test_any_section_can_be_hidden_with_its_abstract_part(cases, section):
    case = case_from(cases, FULL + f"    teaching: {{hide: [{section}]}}\n")
    page = render(case)
    found = reveals(page)
    parts = sorted(k for k, s in ABSTRACT_SECTION.items() if s == section and k in case.abstract)
    assert sorted(found) == sorted([section] + [f"abstract-{k.replace('_', '-')}" for k in parts])
    prompt, body = found[section]
    assert prompt == REVEAL_PROMPTS[section]
    assert WORDS[section] in body
    assert page.count(WORDS[section]) == 1  # nowhere else on the page
    assert f"{{ #{section.replace('_', '-')} data-search-exclude }}" in page
    for key in parts:
        assert found[f"abstract-{key.replace('_', '-')}"][0] == prompt
    assert "Background words" not in "".join(body for _, body in found.values())


def test_every_hidden_section_has_its_own_reveal(cases):
    case = case_from(cases, FULL + f"    teaching: {{hide: [{', '.join(SECTIONS)}]}}\n")
    page = render(case)
    found = REVEAL.findall(page)
    body_reveals = [s for s, _, _ in found if not s.startswith("abstract-")]
    assert body_reveals == section_order(case)
    for _, _, body in found:
        assert "<details" not in body  # none inside another: each opens on its own
        assert "\n\n" not in body and body.strip()  # one HTML block
    # the figures' Markdown image is read by md_in_html inside its reveal
    assert re.search(r'data-section="figures" markdown="block">', page)


def test_author_prompts_win_over_the_defaults(cases):
    case = case_from(cases, FULL + "    teaching: {hide: [investigations, outcome], "
                                   "prompts: {investigations: Which tests would you order?, timeline: Unused}}\n")
    found = reveals(render(case))
    assert found["investigations"][0] == found["abstract-investigations"][0] == "Which tests would you order?"
    assert found["outcome"][0] == found["abstract-outcome"][0] == REVEAL_PROMPTS["outcome"]
    assert "Unused" not in render(case)


def test_site_default_hides_any_section_unless_the_record_chooses(cases):
    case = case_from(cases, FULL)
    assert sorted(reveals(render(case, teaching_hide=("timeline",)))) == ["timeline"]
    own = case_from(cases, FULL + "    teaching: {hide: []}\n")
    assert reveals(render(own, teaching_hide=("timeline",))) == {}


def test_hidden_abstract_parts_follow_their_subjects(cases):
    case = case_from(cases, FULL)
    assert hidden_abstract(case, {"presentation"}) == {"case_presentation"}
    assert hidden_abstract(case, {"management"}) == {"treatment"}
    assert hidden_abstract(case, {"diagnosis"}) == {"diagnosis", "differential_diagnosis"}
    assert hidden_abstract(case, {"discussion"}) == {"conclusions"}
    assert hidden_abstract(case, set(SECTIONS)) == set(case.abstract) - {"background"}
    unstructured = case_from(cases, "title: T\nabstract: Plain.\n")
    assert hidden_abstract(unstructured, set(SECTIONS)) == frozenset()


QUESTION = """
      - id: {id}
        stem: Stem {id}?
        options: [{{text: a, correct: true, explanation: e}}, {{text: b, explanation: f}}]"""


def _with_questions(*ids: str, extra: str = "") -> str:
    return FULL + "    questions:" + "".join(QUESTION.format(id=i) for i in ids) + "\n" + extra


def test_a_question_without_after_goes_before_the_first_hidden_section(cases):
    case = case_from(cases, _with_questions("q1", extra="    teaching: {hide: [investigations, outcome]}\n"))
    assert {k: [n for n, _ in v] for k, v in question_places(case, {"investigations", "outcome"}).items()} == {
        "timeline": [1]}
    page = render(case)
    assert page.index("\n## Timeline") < page.index('data-question="q1"') < page.index("\n## Investigations")


def test_without_hidden_sections_questions_go_after_the_last_section(cases):
    case = case_from(cases, _with_questions("q1", "q2"))
    page = render(case)
    assert page.index("\n## Tables") < page.index('data-question="q1"') < page.index('data-question="q2"')
    assert page.index('data-question="q2"') < page.index("\n## Cite this summary")  # before the back matter


def test_questions_are_numbered_in_page_order(cases):
    text = _with_questions("late", "early").replace("        stem: Stem early?", "        after: abstract\n"
                                                                               "        stem: Stem early?")
    page = render(case_from(cases, text))
    assert re.findall(r'data-question="([^"]+)"[^\n]*\n<h3[^>]*>(Question \d)</h3>', page) == [
        ("early", "Question 1"), ("late", "Question 2")]


def test_an_image_challenge_shows_its_figures_after_the_presentation(cases):
    report = case_from(cases, FULL.replace("type: case-series", "type: case-report"))
    challenge = case_from(cases, FULL.replace("type: case-series", "type: image-challenge"))
    assert section_order(report)[-2:] == ["figures", "tables"]
    order = section_order(challenge)
    assert order[order.index("presentation") + 1] == "figures"
    page = render(challenge)
    assert page.index("\n## Case presentation") < page.index("\n## Figures") < page.index("\n## Patients")


def test_handout_holds_any_hidden_section_for_the_answer_page(cases):
    case = case_from(cases, FULL.replace("type: case-series", "type: case-report")
                     + "    teaching: {hide: [investigations, outcome]}\n")
    html = handout.case_article(case, handout.HandoutOptions())
    answers = html.index('id="answers"')
    for words in ("Investigation words", "Abstract investigation words", "Outcome words", "Abstract outcome words",
                  "Learning point words"):
        assert html.index(words) > answers, words
    for words in ("Presentation words", "Diagnosis words", "Abstract diagnosis words"):
        assert html.index(words) < answers, words


# --------------------------------------------------------------------------- a built site

EXAMPLE = "palpitations-runner"
EVERYTHING = ["presentation", "figures", "investigations", "diagnosis", "management", "outcome", "learning_points"]


def _hide_everything(project: Path) -> None:
    record = project / "cases" / f"{EXAMPLE}.yaml"
    text = record.read_text(encoding="utf-8")
    text, count = re.subn(r"(?m)^  hide: \[.*\]$", f"  hide: [{', '.join(EVERYTHING)}]", text)
    assert count == 1
    record.write_text(text, encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_project(tmp_path_factory.mktemp("teaching") / "project", _hide_everything)


def test_built_page_has_a_closed_reveal_per_hidden_section(site):
    body = article(read_html(site / EXAMPLE / "index.html"))
    sections = [d.get("data-section") for d in body.find_all("details", cls="gr-reveal")
                if not d.get("data-section").startswith("abstract-")]
    # an unknown case's citations and related cases name it
    assert sections == EVERYTHING + ["references", "cite-summary", "related"]
    for details in body.find_all("details", cls="gr-reveal"):
        assert "open" not in details.attrs
    figures = body.find("details", **{"data-section": "figures"})
    image = figures.find("img")
    assert image is not None and image.get("alt")
    assert (site / EXAMPLE / image.get("src")).resolve().is_file()


def test_hidden_sections_stay_out_of_search(site):
    case = read_case(ROOT / "cases" / f"{EXAMPLE}.yaml", ROOT / "cases")
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    text = squash(" ".join(d["text"] for d in index["docs"] if d["location"].startswith(EXAMPLE)))
    assert "runner" in text  # the abstract's background is searchable
    for needle in (case.presentation[:60], case.outcome[:40], "Radiofrequency catheter ablation",
                   "Transthoracic echocardiogram"):
        assert squash(needle) not in text, needle


# --------------------------------------------------------------------------- an unknown case's page


def test_an_unknown_case_shows_its_teaching_title_until_the_diagnosis(cases):
    case = case_from(cases, FULL.replace("title: T", "title: Real title words") + "    source: {title: Original}\n"
                     "    references: [{id: r1, title: Reference words}]\n"
                     "    teaching: {title: Neutral title, hide: [diagnosis]}\n")
    page = render(case)
    assert '\ntitle: "Neutral title"\n' in page and "\n# Neutral title\n" in page
    found = reveals(page)
    assert "Real title words" in found["diagnosis"][1]
    for section in ("references", "cite-summary", "cite-original"):
        assert section in found, section
    assert "Reference words" in found["references"][1]
    outside = REVEAL.sub("", page)
    assert "Real title words" not in outside and "Reference words" not in outside
    # the cite blocks are read by md_in_html: their download links stay Markdown that MkDocs checks
    assert re.search(r'data-section="cite-summary" markdown="block">', page)
    assert "[RIS](cite/x.summary.ris){ download }" in found["cite-summary"][1]


def test_a_known_case_keeps_its_title_and_open_citations(cases):
    shown = case_from(cases, FULL + "    teaching: {title: Neutral title}\n")  # diagnosis not hidden
    page = render(shown)
    assert "\n# T\n" in page and "Neutral title" not in page
    assert not reveals(page)


@pytest.fixture(scope="module")
def flat_site(tmp_path_factory) -> Path:
    """The example with every section hidden, built with `use_directory_urls: false`."""
    def prepare(project: Path) -> None:
        _hide_everything(project)
        config = project / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8") + "use_directory_urls: false\n", encoding="utf-8")

    return build_project(tmp_path_factory.mktemp("teaching-flat") / "project", prepare)


@pytest.mark.parametrize("layout", ["site", "flat_site"])
def test_links_behind_the_unknown_case_reveals_resolve(request, layout):
    site = request.getfixturevalue(layout)
    page = site / (f"{EXAMPLE}/index.html" if layout == "site" else f"{EXAMPLE}.html")
    body = article(read_html(page))
    assert body.find("h1").squashed().startswith("Palpitations in a 24-year-old runner")
    cite = body.find("details", **{"data-section": "cite-summary"})
    links = [a.get("href") for a in cite.find_all("a")]
    assert len(links) == 3
    for href in links:
        assert (page.parent / href).resolve().is_file(), href
    assert body.find("details", **{"data-section": "diagnosis"}).find(cls="gr-real-title") is not None
