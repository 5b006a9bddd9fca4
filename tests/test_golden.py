"""Golden files of every rendered page of the example cases, and unit tests of the pages.

The golden files are `tests/golden/<uri>` (`dah-sle-msc.md`, `index.md`, `tags.md`,
`specialties/<slug>.md`), rendered with drafts included. After an intended change to the
templates or the cases, regenerate them and review the diff:

    GRANDROUNDS_UPDATE_GOLDEN=1 python -m pytest tests/test_golden.py
"""

from __future__ import annotations

import difflib
import html
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import GOLDEN, ROOT, SEED_ITEMS_FILE, SEED_NATURE_LINES, write_case
from grandrounds.cite import format_references
from grandrounds.record.library import load_library, read_case
from grandrounds.record.model import Case
from grandrounds.site.engine import build_site
from grandrounds.site.view import public_view
from grandrounds.site.render import Renderer, RenderOptions, patient_line

UPDATE = os.environ.get("GRANDROUNDS_UPDATE_GOLDEN") == "1"


def render_repository() -> dict[str, str]:
    """Every page of the example cases, drafts included, rendered from the repository root."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        site = build_site(Path("cases"), Path("templates"), RenderOptions(include_drafts=True))
        assert not site.problems, "\n".join(map(str, site.problems))
        return {o.path: o.filled() for o in site.outputs.values() if o.kind in ("case", "draft", "listing")}


try:
    PAGE_URIS = sorted(render_repository())
except Exception:  # reported by test_repository_renders
    PAGE_URIS = sorted(p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*.md"))


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return render_repository()


def test_repository_renders(pages):
    case_ids = {p.stem for p in (ROOT / "cases").glob("*.yaml")}
    assert {uri[:-3] for uri in pages if "/" not in uri} >= case_ids | {"index", "tags"}
    assert "draft-example.md" in pages  # drafts are included in the golden set
    assert any(uri.startswith("specialties/") for uri in pages)


@pytest.mark.parametrize("uri", PAGE_URIS)
def test_golden_page(pages, uri):
    golden = GOLDEN / uri
    actual = pages.get(uri)
    if UPDATE:
        if actual is not None:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(actual, encoding="utf-8")
        return
    assert actual is not None, f"{uri} is no longer rendered; delete tests/golden/{uri}"
    assert golden.is_file(), f"no golden file for {uri}; run with GRANDROUNDS_UPDATE_GOLDEN=1"
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(difflib.unified_diff(
            expected.splitlines(keepends=True), actual.splitlines(keepends=True),
            fromfile=f"tests/golden/{uri}", tofile=f"rendered {uri}"))
        pytest.fail(f"{uri} differs from its golden file "
                    f"(GRANDROUNDS_UPDATE_GOLDEN=1 regenerates it):\n{diff}", pytrace=False)


def test_golden_files_match_the_rendered_pages_one_to_one(pages):
    golden = {p.relative_to(GOLDEN).as_posix() for p in GOLDEN.rglob("*.md")}
    if UPDATE:
        for stray in golden - set(pages):
            (GOLDEN / stray).unlink()
        return
    assert golden == set(pages), (
        f"missing golden files: {sorted(set(pages) - golden)}; "
        f"stray golden files: {sorted(golden - set(pages))}")


# --------------------------------------------------------------------------- helpers


def render_case(case: Case, **options) -> str:
    return Renderer(ROOT / "templates", RenderOptions(**options)).case_page(case)


def repo_case(case_id: str) -> Case:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return read_case(Path("cases") / f"{case_id}.yaml", Path("cases"))


@pytest.fixture
def cases_dir(tmp_path, monkeypatch):
    (tmp_path / "cases").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def tmp_case(tmp_path: Path, text: str, name: str = "x") -> Case:
    return read_case(write_case(tmp_path, name, text), tmp_path / "cases")


def headings(page: str, level: int = 2) -> list[str]:
    """The Markdown ATX headings of a level, without their `{ #attr }` lists."""
    marks = "#" * level
    return [re.sub(r"\s*\{[^}]*\}\s*$", "", line[level + 1:]).strip()
            for line in page.splitlines() if line.startswith(marks + " ")]


def reference_items(page: str) -> list[tuple[str, str]]:
    """(id, inner HTML) of each `<li>` of the page's reference list."""
    block = re.search(r'<ol class="gr-references">(.*?)</ol>', page, flags=re.S)
    assert block, "no reference list in the page"
    return re.findall(r'<li id="ref-([^"]*)">(.*?)</li>', block.group(1), flags=re.S)


def plain(inner_html: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", inner_html))


SEED_ITEMS = json.loads(SEED_ITEMS_FILE.read_text(encoding="utf-8"))


# --------------------------------------------------------------------------- references


def test_seed_case_has_its_24_references_in_order(pages):
    items = reference_items(pages["dah-sle-msc.md"])
    assert len(items) == 24
    assert [ref_id for ref_id, _ in items] == [item["id"] for item in SEED_ITEMS]
    assert [ref_id for ref_id, _ in items] == [f"ref{n:02d}" for n in range(1, 25)]


def test_seed_case_reference_text_matches_the_nature_fixture(pages):
    items = reference_items(pages["dah-sle-msc.md"])
    assert [plain(inner) for _, inner in items] == SEED_NATURE_LINES


def test_references_heading_is_excluded_from_search(pages):
    lines = pages["dah-sle-msc.md"].splitlines()
    assert "## References { #references data-search-exclude data-pagefind-ignore=\"all\" }" in lines
    assert headings(pages["dah-sle-msc.md"]).count("References") == 1


def test_format_references_of_the_fixture_through_the_rendered_page(cases_dir):
    shutil.copy(SEED_ITEMS_FILE, cases_dir / "cases" / "seed.json")
    case = tmp_case(cases_dir, """
        title: Seed references
        abstract: Y
        references: seed.json
    """)
    formatted = format_references(SEED_ITEMS, "nature")
    assert [r.text for r in formatted] == SEED_NATURE_LINES
    items = reference_items(render_case(case))
    assert [ref_id for ref_id, _ in items] == [r.id for r in formatted]
    assert [inner for _, inner in items] == [r.html for r in formatted]
    for (_, inner), line in zip(items, SEED_NATURE_LINES, strict=True):
        assert plain(inner) == line


# --------------------------------------------------------------------------- sections


MINIMAL = """
    title: Only a title
    abstract: Only an abstract.
"""


def test_empty_sections_are_left_out(cases_dir):
    page = render_case(tmp_case(cases_dir, MINIMAL))
    for heading in ("## Timeline", "## Investigations", "## Management", "## References",
                    "## Diagnosis", "## Case presentation", "## Outcome", "## Discussion",
                    "## Learning points", "## Figures", "## Tables", "## Abbreviations",
                    "## Consent", "## Cite the original", "## Funding"):
        assert heading not in page
    assert headings(page) == ["Abstract", "Cite this summary"]  # always: the summary's own citation
    assert headings(page, 1) == ["Only a title"]
    assert "<p>Only an abstract.</p>" in page


def test_empty_lists_and_blank_diagnosis_are_left_out(cases_dir):
    page = render_case(tmp_case(cases_dir, """
        title: T
        abstract: A
        timeline: []
        investigations: []
        management: []
        references: []
        learning_points: []
        diagnosis:
          certainty: probable
    """))
    assert headings(page) == ["Abstract", "Cite this summary"]  # always: the summary's own citation


def test_present_sections_in_order(pages):
    assert headings(pages["dah-sle-msc.md"]) == [
        "Abstract", "Case presentation", "Timeline", "Investigations", "Diagnosis", "Management",
        "Outcome", "Discussion", "Learning points", "Abbreviations", "References",
        "Cite this summary", "Cite the original"]


def test_structured_abstract_keeps_the_record_key_order(cases_dir):
    page = render_case(tmp_case(cases_dir, """
        title: T
        abstract:
          conclusions: C.
          background: B.
          outcome: O.
          differential_diagnosis: D.
    """))
    assert headings(page, 3) == ["Conclusions", "Background", "Outcome", "Differential diagnosis"]
    for key in ("conclusions", "background", "outcome", "differential-diagnosis"):
        assert f"{{ #abstract-{key} }}" in page
    assert page.index("<p>C.</p>") < page.index("<p>B.</p>") < page.index("<p>O.</p>") < page.index("<p>D.</p>")


def test_structured_abstract_of_an_example_case(pages):
    assert headings(pages["anti-nmda-encephalitis.md"], 3)[:6] == [
        "Case presentation", "Investigations", "Diagnosis", "Treatment", "Outcome", "Conclusions"]
    assert headings(pages["dah-sle-msc.md"], 3) == [
        "Background", "Investigations", "Diagnosis", "Management"]


def test_unstructured_abstract_has_no_subheadings(pages):
    page = pages["pediatric-kawasaki-incomplete.md"]
    abstract = page.split("## Abstract", 1)[1].split("\n## ", 1)[0]
    assert "\n### " not in abstract
    assert '<div class="gr-abstract">' in abstract


# --------------------------------------------------------------------------- source


def test_cite_the_original_links_the_doi(pages):
    page = pages["dah-sle-msc.md"]
    assert "## Cite the original" in page
    source = section_text(page, "Cite the original")
    assert 'href="https://doi.org/10.1038/nrrheum.2010.80"' in source
    assert "Nat. Rev. Rheumatol." in source or "Nature Reviews Rheumatology" in source


def test_no_cite_the_original_without_source(pages, cases_dir):
    assert "Cite the original" not in pages["pediatric-kawasaki-incomplete.md"]
    assert "doi.org" not in render_case(tmp_case(cases_dir, MINIMAL))


def test_source_with_a_doi_in_a_new_case(cases_dir):
    page = render_case(tmp_case(cases_dir, """
        title: T
        abstract: A
        source:
          title: The original
          author: [{family: Smith, given: J.}]
          container-title: BMJ
          issued: {date-parts: [[2020]]}
          DOI: 10.1136/bmj.m1
    """))
    assert headings(page) == ["Abstract", "Cite this summary", "Cite the original"]
    assert 'href="https://doi.org/10.1136/bmj.m1"' in page


# --------------------------------------------------------------------------- patient line


@pytest.mark.parametrize("case_id, line", [
    ("dah-sle-msc", "19-year-old woman"),
    ("pediatric-kawasaki-incomplete", "14-month-old boy"),
    ("elderly-hyponatraemia-siadh", "Woman aged 90 or over"),
    ("anti-nmda-encephalitis", "24-year-old woman"),
])
def test_patient_line_of_example_cases(pages, case_id, line):
    assert patient_line(repo_case(case_id)) == line
    assert f'<p class="gr-byline">{line} · ' in pages[f"{case_id}.md"]


@pytest.mark.parametrize("patient, line", [
    ({"age": 17, "sex": "female"}, "17-year-old girl"),
    ({"age": 18, "sex": "male"}, "18-year-old man"),
    ({"age": 40}, "40-year-old patient"),
    ({"age": 3, "sex": "unknown"}, "3-year-old child"),
    ({"age": 10, "age_unit": "days", "sex": "female"}, "10-day-old girl"),
    ({"age": 6, "age_unit": "weeks", "sex": "male"}, "6-week-old boy"),
    ({"age": "90+", "sex": "male"}, "Man aged 90 or over"),
    ({"sex": "female"}, "Woman"),
    ({"age": 5, "sex": "female", "species": "dog"}, "5-year-old female dog"),
])
def test_patient_line_rules(patient, line):
    case = Case.model_validate({"title": "T", "abstract": "A", "patient": patient})
    assert patient_line(case) == line


def test_patient_line_of_a_series():
    case = Case.model_validate({"title": "T", "abstract": "A", "patients": [
        {"label": "Case 1", "age": 4}, {"label": "Case 2", "age": 6}, {"label": "Case 3"}]})
    assert patient_line(case) == "3 patients"
    page = Renderer(ROOT / "templates").case_page(case)
    patients = section_text(page, "Patients")
    rows = re.findall(r"<tr>(.*?)</tr>", patients, flags=re.S)
    cells = [[plain(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)] for row in rows]
    assert [c for c in cells if c] == [["Case 1", "4 years", ""], ["Case 2", "6 years", ""],
                                       ["Case 3", "", ""]]


# --------------------------------------------------------------------------- management table


def section_text(page: str, heading: str) -> str:
    """The Markdown of one `## heading` section (up to the next `## ` heading)."""
    match = re.search(rf"^## {re.escape(heading)}\b[^\n]*\n(.*?)(?=^## |\Z)", page, flags=re.S | re.M)
    assert match, f"no section {heading!r}"
    return match.group(1)


def table_header(page: str, heading: str) -> list[str]:
    """The column titles of the first table in a section."""
    block = re.search(r"<table[^>]*>\s*<thead>\s*<tr>(.*?)</tr>", section_text(page, heading), flags=re.S)
    assert block, f"no table in {heading}"
    return re.findall(r"<th[^>]*>(.*?)</th>", block.group(1))


def test_management_table_columns_of_the_seed_case(pages):
    assert table_header(pages["dah-sle-msc.md"], "Management") == [
        "Intervention", "Route", "Dose", "Frequency", "Duration", "Courses", "Response"]
    assert ("<tr><td>Methylprednisolone (pulse therapy)</td><td>intravenous</td><td>500 mg</td>"
            "<td>once daily</td><td>3 days per course</td><td>2</td>"
            "<td>No meaningful improvement in bleeding or oxygenation.</td></tr>") in pages["dah-sle-msc.md"]


def test_management_table_shows_only_filled_columns(cases_dir):
    page = render_case(tmp_case(cases_dir, """
        title: T
        abstract: A
        management:
          - intervention: Aspirin
            dose: 30 mg/kg
          - intervention: IVIG
            courses: 0
    """))
    assert table_header(page, "Management") == ["Intervention", "Dose", "Courses"]
    assert "<tr><td>Aspirin</td><td>30 mg/kg</td><td></td></tr>" in page
    assert "<tr><td>IVIG</td><td></td><td>0</td></tr>" in page


def test_investigation_table_columns(pages):
    assert table_header(pages["dah-sle-msc.md"], "Investigations") == [
        "Investigation", "When", "Result"]


# --------------------------------------------------------------------------- escaping


def _heading_as_mkdocs_renders_it(page: str) -> str:
    """The page's `# title` line through Python-Markdown (as MkDocs builds it), as text."""
    import markdown

    line = next(line for line in page.splitlines() if line.startswith("# "))
    out = markdown.markdown(line, extensions=["attr_list", "tables", "toc"])
    assert out.startswith("<h1") and out.endswith("</h1>"), out
    return html.unescape(re.sub(r"<[^>]+>", "", out))


@pytest.mark.parametrize("title", [
    "<b>*bold*_x_ | y</b>",
    "Fever & rash [case 1] (#2) {x} `code` 1. 2+2 - !",
    "C:\\path\\to",
])
def test_plain_text_title_prints_as_itself(cases_dir, title):
    case = tmp_case(cases_dir, f"title: {json.dumps(title)}\nabstract: A\n")
    assert case.title == title
    page = render_case(case)
    assert "<b>" not in page
    assert _heading_as_mkdocs_renders_it(page) == case.title


@pytest.mark.parametrize("title", ["Fever for ~2 weeks", "Platelets 10^9 per litre"])
def test_plain_text_title_with_tilde_or_caret_prints_as_itself(cases_dir, title):
    page = render_case(tmp_case(cases_dir, f"title: {json.dumps(title)}\nabstract: A\n"))
    assert _heading_as_mkdocs_renders_it(page) == title


def test_license_line_has_no_double_full_stop(pages):
    line = next(l for l in pages["pediatric-kawasaki-incomplete.md"].splitlines() if "gr-license" in l)
    assert plain(line).endswith("by Mensah, K., Novak, L., Fischer, J.")


def test_license_of_a_summary_does_not_credit_the_summary_to_the_original_authors(pages):
    line = next(l for l in pages["dah-sle-msc.md"].splitlines() if "gr-license" in l)
    assert "CC BY 4.0" in plain(line)
    assert "Liang" not in line and "summarises the article cited above" in line


@pytest.mark.parametrize("case_id", [
    p.stem for p in sorted((ROOT / "cases").glob("*.yaml"))])
def test_front_matter_parses_and_holds_the_title(pages, case_id):
    page = pages[f"{case_id}.md"]
    assert page.startswith("---\n")
    meta = yaml.safe_load(page[4:].split("\n---\n", 1)[0])
    case = repo_case(case_id)
    assert isinstance(meta, dict)
    assert html.unescape(meta["title"]) == public_view(case, RenderOptions(include_drafts=True)).title
    assert meta["tags"][: len(case.specialties)] == case.specialties


def test_front_matter_title_round_trips_special_characters(cases_dir):
    title = "Crohn's disease & <colitis>: a case"
    page = render_case(tmp_case(cases_dir, f'title: "{title}"\nabstract: "It\'s a case: <b>x</b>"\n'))
    meta = yaml.safe_load(page[4:].split("\n---\n", 1)[0])
    # HTML-escaped on purpose: MkDocs themes print page.meta.title and description raw
    assert html.unescape(meta["title"]) == title
    assert html.unescape(meta["description"]) == "It's a case: <b>x</b>"
    assert "<" not in meta["title"] + meta["description"]


def test_disclaimer_rendered_when_set(cases_dir):
    case = tmp_case(cases_dir, MINIMAL)
    assert "gr-disclaimer" not in render_case(case)
    page = render_case(case, disclaimer="For *teaching* only.")
    assert '<aside class="gr-disclaimer" data-search-exclude data-pagefind-ignore="all">' in page
    assert "<p>For <em>teaching</em> only.</p>" in page


def test_reveal_blocks_have_no_blank_line_and_the_right_prompts(cases_dir):
    """A `<details>` block with a blank line inside would end early in CommonMark
    (`grandrounds render --out` pages for other generators)."""
    page = render_case(tmp_case(cases_dir, """
        title: T
        abstract: {background: B, diagnosis: D, treatment: Tr, outcome: O}
        diagnosis: {final: Final, differential: [One, Two], reasoning: "Why.\\n\\nMore why."}
        management: [{intervention: Rest}]
        outcome: Well.
        teaching: {hide: [diagnosis, management, outcome]}
    """))
    blocks = re.findall(r'<details class="question gr-reveal" data-section="([^"]+)">\n<summary>([^<]+)</summary>\n(.*?)</details>',
                        page, re.S)
    assert [(s, p) for s, p, _ in blocks] == [
        ("abstract-diagnosis", "What is the diagnosis?"), ("abstract-treatment", "How would you manage this?"),
        ("abstract-outcome", "What happened next?"), ("diagnosis", "What is the diagnosis?"),
        ("management", "How would you manage this?"), ("outcome", "What happened next?")]
    assert all("\n\n" not in body and body.strip() for _, _, body in blocks)
    for anchor in ("abstract-diagnosis", "abstract-treatment", "abstract-outcome", "diagnosis", "management", "outcome"):
        assert f"#{anchor} data-search-exclude }}" in page
    assert "#abstract-background }" in page  # not hidden


def test_site_default_teaching_hide_applies_unless_the_record_sets_its_own(cases_dir):
    default = tmp_case(cases_dir, "title: T\nabstract: A\ndiagnosis: {final: F}\n", name="a")
    opted_out = tmp_case(cases_dir, "title: T\nabstract: A\ndiagnosis: {final: F}\nteaching: {hide: []}\n", name="b")
    assert 'data-section="diagnosis"' in render_case(default, teaching_hide=("diagnosis",))
    assert "gr-reveal" not in render_case(opted_out, teaching_hide=("diagnosis",))
    assert "gr-reveal" not in render_case(default)


def test_render_out_pages_hold_the_related_cases_inline(pages):
    """Other generators get the related cases written in; only the MkDocs plugin uses the slot."""
    assert not [uri for uri, text in pages.items() if "grandrounds:related" in text]
    assert '<section class="gr-related"' in pages["pediatric-kawasaki-incomplete.md"]
    assert '<section class="gr-related"' not in pages["dah-sle-msc.md"]
