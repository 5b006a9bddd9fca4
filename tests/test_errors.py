"""Every kind of input problem gives one exact line `path:LINE:COL: what; how to fix`.

Records are written into tmp_path/cases and checked with `grandrounds check` from tmp_path,
so paths print relative (`cases/x.yaml:3:1: ...`).
"""

from __future__ import annotations

import re

import json
import shutil
from pathlib import Path

import pytest

from conftest import PNG_1PX, SEED_ITEMS_FILE, run_cli, write_case
from grandrounds.errors import CaseErrors
from grandrounds.record.library import read_case


@pytest.fixture
def site(tmp_path, monkeypatch):
    """tmp_path as the working directory, with an empty cases/ folder."""
    (tmp_path / "cases").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def check(capsys, *paths: str) -> tuple[int, list[str], str]:
    """`grandrounds check PATHS`: (exit code, error lines, stderr); never a traceback.
    Error lines are given as `file:line:col: what; how to fix` (their `error: CODE:` part
    and lint warnings such as missing CARE items are tested in test_check.py)."""
    code, out, err = run_cli(capsys, "check", *paths)
    assert "Traceback" not in out + err
    lines = [re.sub(r": error: [\w/-]+: ", ": ", line, count=1) for line in out.splitlines() if ": error: " in line]
    return code, lines, err


def only_problem(capsys, path: str) -> str:
    code, lines, _ = check(capsys, path)
    assert code == 1
    assert len(lines) == 1, lines
    return lines[0]


# --------------------------------------------------------------------------- unknown keys


def test_unknown_top_level_key_did_you_mean(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        titel: Z
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:3:1: unknown key 'titel'; did you mean 'title'?")


def test_unknown_nested_key_did_you_mean(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        patient:
          age: 19
          speces: human
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:5:3: unknown key 'speces' in patient; did you mean 'species'?")


def test_unknown_key_in_a_list_item_did_you_mean(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        management:
          - intervention: Prednisolone
            dosage: 40 mg
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:5:5: unknown key 'dosage' in management[0]; did you mean 'dose'?")


def test_unknown_top_level_key_without_close_match_lists_allowed_keys(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        zzqqxx: 1
    """)
    allowed = ("abbreviations, abstract, acknowledgements, aliases, author_contributions, authors, check, codes, "
               "competing_interests, consent, data_availability, date, diagnosis, discussion, "
               "ethics_approval, figures, funding, id, introduction, investigations, keywords, "
               "learning_points, license, management, outcome, patient, patient_perspective, "
               "patients, presentation, pubmed_ids, questions, references, schema_version, source, specialties, status, "
               "style, tables, tags, teaching, timeline, title, type")
    assert only_problem(capsys, "cases/x.yaml") == (
        f"cases/x.yaml:3:1: unknown key 'zzqqxx'; allowed keys here: {allowed}")


def test_unknown_nested_key_without_close_match_lists_allowed_keys(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        patient:
          zzqqxx: 1
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:4:3: unknown key 'zzqqxx' in patient; "
        "allowed keys here: age, age_unit, label, sex, species")


def test_unknown_abstract_section_did_you_mean(site, capsys):
    write_case(site, "x", """
        title: X
        abstract:
          backgrond: Y
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:3:3: abstract.backgrond: 'backgrond' is not an allowed key; "
        "did you mean 'background'?")


# --------------------------------------------------------------------------- wrong types


def test_title_not_text(site, capsys):
    write_case(site, "x", """
        title: 5
        abstract: Y
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:1:8: title must be text, not 5; "
        "quote text values; write lists as '- item' lines")


def test_courses_not_a_number(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        management:
          - intervention: Rituximab
            courses: many
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:5:14: management[0].courses must be a whole number, not 'many'; "
        "write a whole number")


def test_learning_points_not_a_list(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        learning_points: text
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:3:18: learning_points must be a list, not 'text'; "
        "quote text values; write lists as '- item' lines")


# --------------------------------------------------------------------------- enums


def test_invalid_enum_value_did_you_mean(site, capsys):
    write_case(site, "x", """
        title: X
        type: case-stdy
        abstract: Y
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:2:7: type: 'case-stdy' is not an allowed value; did you mean 'case-study'?")


def test_invalid_enum_value_without_close_match_lists_values(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        diagnosis:
          certainty: sure
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:4:14: diagnosis.certainty: 'sure' is not an allowed value; "
        "use one of possible, probable, almost-certain, certain")


# --------------------------------------------------------------------------- missing fields


def test_missing_title(site, capsys):
    write_case(site, "x", """
        type: case-report
        abstract: Y
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:1:1: missing required field 'title'; add `title:` here")


def test_missing_abstract(site, capsys):
    write_case(site, "x", """
        title: X
        type: case-report
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:1:1: missing required field 'abstract'; add `abstract:` here")


def test_missing_alt_in_a_figure(site, capsys):
    (site / "cases" / "figures").mkdir()
    (site / "cases" / "figures" / "ct.png").write_bytes(PNG_1PX)
    write_case(site, "x", """
        title: X
        abstract: Y
        figures:
          - id: ct
            file: figures/ct.png
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:4:5: missing required field 'alt' in figures[0]; add `alt:` here")


# --------------------------------------------------------------------------- dates and ages


@pytest.mark.parametrize("value", ["2010-13", "10-08-2010", "2010/08", "August 2010"])
def test_invalid_date(site, capsys, value):
    write_case(site, "x", f"""
        title: X
        abstract: Y
        date: "{value}"
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        f"cases/x.yaml:3:7: date: '{value}' is not valid; "
        "write the date as YYYY, YYYY-MM or YYYY-MM-DD (quoted)")


@pytest.mark.parametrize("value", ["2010", "2010-08", "2010-08-31", "2012-02-29"])
def test_valid_dates_pass(site, capsys, value):
    write_case(site, "x", f"""
        title: X
        abstract: Y
        date: "{value}"
    """)
    assert check(capsys, "cases/x.yaml")[:2] == (0, [])


@pytest.mark.parametrize("value", ["2010-02-30", "2011-02-29", "2010-04-31"])
def test_impossible_calendar_date(site, capsys, value):
    write_case(site, "x", f"""
        title: X
        abstract: Y
        date: "{value}"
    """)
    code, lines, _ = check(capsys, "cases/x.yaml")
    assert code == 1
    assert lines and lines[0].startswith(f"cases/x.yaml:3:7: date: '{value}'")


def test_invalid_age_word(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        patient:
          age: ninety
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:4:8: patient.age must be a whole number or \"90+\", not 'ninety'; "
        "write a whole number or \"90+\"")


def test_invalid_age_negative(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        patient:
          age: -3
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:4:8: patient.age must be a number of at least 0 or \"90+\", not -3; "
        "write a number of at least 0 or \"90+\"")


# --------------------------------------------------------------------------- ids


def test_duplicate_id_explicit_against_file_stem(site, capsys):
    write_case(site, "alpha", """
        title: A
        abstract: Y
    """)
    write_case(site, "beta", """
        title: B
        abstract: Y
        id: alpha
    """)
    code, lines, _ = check(capsys)
    assert code == 1
    assert lines == ["cases/beta.yaml:3:1: duplicate case id 'alpha' (also used by cases/alpha.yaml); "
                     "give one of them another `id:` or file name"]


def test_duplicate_id_file_stem_default_against_explicit(site, capsys):
    write_case(site, "a", """
        title: A
        abstract: Y
        id: zeta
    """)
    write_case(site, "zeta", """
        title: Z
        abstract: Y
    """)
    code, lines, _ = check(capsys, "cases")
    assert code == 1
    assert lines == ["cases/zeta.yaml:1:1: duplicate case id 'zeta' (also used by cases/a.yaml); "
                     "give one of them another `id:` or file name"]


def test_duplicate_id_two_explicit_ids(site, capsys):
    write_case(site, "one", """
        title: A
        id: same
        abstract: Y
    """)
    write_case(site, "two", """
        title: B
        abstract: Y
        id: same
    """)
    code, lines, _ = check(capsys)
    assert code == 1
    assert lines == ["cases/two.yaml:3:1: duplicate case id 'same' (also used by cases/one.yaml); "
                     "give one of them another `id:` or file name"]


def test_reserved_id_from_file_name(site, capsys):
    write_case(site, "index", """
        title: X
        abstract: Y
    """)
    assert only_problem(capsys, "cases/index.yaml") == (
        "cases/index.yaml:1:1: case id 'index' is reserved for a generated page; "
        "rename the file or set another `id:`")


@pytest.mark.parametrize("reserved", ["index", "tags", "specialties", "search"])
def test_reserved_id_explicit(site, capsys, reserved):
    write_case(site, "x", f"""
        title: X
        abstract: Y
        id: {reserved}
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        f"cases/x.yaml:3:5: case id '{reserved}' is reserved for a generated page; "
        "rename the file or set another `id:`")


def test_id_with_bad_characters(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        id: "my case"
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:3:5: id: 'my case' is not valid; "
        "use letters, digits, '-', '_' or '.' only, starting with a letter or digit")


# --------------------------------------------------------------------------- figures


def figure_case(site, file: str) -> None:
    write_case(site, "x", f"""
        title: X
        abstract: Y
        figures:
          - id: ct
            file: {file}
            alt: CT of the chest
    """)


def test_figure_file_not_found(site, capsys):
    figure_case(site, "figures/missing.png")
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:5:11: figure file 'figures/missing.png' not found; "
        "add it at cases/figures/missing.png or correct the path (relative to cases/)")


@pytest.mark.parametrize("file", ["../secret.png", "figures/../../secret.png", "/etc/passwd"])
def test_figure_path_leaving_cases(site, capsys, file):
    (site / "secret.png").write_bytes(PNG_1PX)
    figure_case(site, file)
    assert only_problem(capsys, "cases/x.yaml") == (
        f"cases/x.yaml:5:11: figure path '{file}' leaves the cases folder; "
        "put the image under cases/ (e.g. cases/figures/) and give its path relative to cases/")


def test_figure_that_exists_passes(site, capsys):
    (site / "cases" / "figures").mkdir()
    (site / "cases" / "figures" / "ct.png").write_bytes(PNG_1PX)
    figure_case(site, "figures/ct.png")
    assert check(capsys, "cases/x.yaml")[:2] == (0, [])


def test_investigation_refers_to_unknown_figure(site, capsys):
    (site / "cases" / "figures").mkdir()
    (site / "cases" / "figures" / "ct.png").write_bytes(PNG_1PX)
    write_case(site, "x", """
        title: X
        abstract: Y
        figures:
          - id: ct
            file: figures/ct.png
            alt: CT of the chest
        investigations:
          - name: CT chest
            figure: mri
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:9:13: no figure with id 'mri'; use the id of an entry under `figures:`")


# --------------------------------------------------------------------------- YAML syntax


def test_yaml_syntax_error_points_at_the_problem(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
          patient: 3
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:3:10: YAML syntax error: mapping values are not allowed in this context; "
        "check the indentation, quotes and brackets around here")


def test_yaml_unclosed_flow_list(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        tags: [a, b
        license: CC-BY-4.0
    """)
    line = only_problem(capsys, "cases/x.yaml")
    assert line.startswith("cases/x.yaml:4:8: YAML syntax error: ")
    assert line.endswith("; check the indentation, quotes and brackets around here")


def test_duplicate_key_reports_second_and_mentions_first(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        title: Z
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:3:1: duplicate key 'title' (first at line 1); "
        "keep one of them; YAML would silently drop the first")


def test_duplicate_nested_key(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        patient:
          age: 3
          sex: male
          age: 4
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:6:3: duplicate key 'age' (first at line 4); "
        "keep one of them; YAML would silently drop the first")


def test_empty_file(site, capsys):
    write_case(site, "x", "")
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:1:1: the file is empty; start from `grandrounds new` or an example in cases/")


def test_record_that_is_not_a_mapping(site, capsys):
    write_case(site, "x", """
        - title: X
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:1:1: a case record must be a mapping; "
        "start with `title: ...` lines, as in the examples in cases/")


def test_unsupported_schema_version(site, capsys):
    write_case(site, "x", """
        schema_version: 2
        title: X
        abstract: Y
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:1:17: schema_version 2 is not supported; this grandrounds reads schema_version 1")


# --------------------------------------------------------------------------- many at once


def test_several_problems_in_one_file_are_all_reported(site, capsys):
    write_case(site, "x", """
        title: X
        abstract:
          backgrond: Y
        management:
          - intervention: a
            dosage: 3
        diagnosis:
          final: x
          certainty: sure
        references:
          - id: r1
            title: t
            author: smith
    """)
    code, lines, err = check(capsys, "cases/x.yaml")
    assert code == 1
    assert lines == [
        "cases/x.yaml:3:3: abstract.backgrond: 'backgrond' is not an allowed key; "
        "did you mean 'background'?",
        "cases/x.yaml:6:5: unknown key 'dosage' in management[0]; did you mean 'dose'?",
        "cases/x.yaml:9:14: diagnosis.certainty: 'sure' is not an allowed value; "
        "use one of possible, probable, almost-certain, certain",
        "cases/x.yaml:13:13: references[0].author must be a list, not 'smith'; "
        "quote text values; write lists as '- item' lines",
    ]
    assert err.strip().endswith("4 problems")


def test_problems_of_several_files_are_all_reported(site, capsys):
    write_case(site, "a", "title: X\nabstract: Y\ntitel: Z\n")
    write_case(site, "b", "title: X\n")
    write_case(site, "c", "title: X\nabstract: Y\n")
    code, lines, err = check(capsys)
    assert code == 1
    assert lines == ["cases/a.yaml:3:1: unknown key 'titel'; did you mean 'title'?",
                     "cases/b.yaml:1:1: missing required field 'abstract'; add `abstract:` here"]
    assert err.strip().endswith("2 problems")


# --------------------------------------------------------------------------- references file


def refs_case(site, name: str) -> None:
    write_case(site, "x", f"""
        title: X
        abstract: Y
        references: {name}
    """)


def test_references_file_missing(site, capsys):
    refs_case(site, "refs.json")
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:3:13: reference file 'refs.json' not found; "
        "put it beside the record or correct the name")


def test_references_file_invalid_json_points_inside_the_json(site, capsys):
    (site / "cases" / "refs.json").write_text('[\n  {"id" "a"}\n]\n', encoding="utf-8")
    refs_case(site, "refs.json")
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/refs.json:2:9: invalid JSON: Expecting ':' delimiter; "
        "export the file again, or fix the JSON syntax here")


def test_references_file_leaving_cases(site, capsys):
    (site / "refs.json").write_text("[]", encoding="utf-8")
    refs_case(site, "../refs.json")
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:3:13: reference file '../refs.json' leaves the cases folder; "
        "keep it beside the record")


def test_references_file_fine_loads_its_items(site, capsys):
    shutil.copy(SEED_ITEMS_FILE, site / "cases" / "refs.json")
    refs_case(site, "refs.json")
    assert check(capsys, "cases/x.yaml")[:2] == (0, [])
    case = read_case(Path("cases/x.yaml"), Path("cases"))
    expected = json.loads(SEED_ITEMS_FILE.read_text(encoding="utf-8"))
    assert isinstance(case.references, list)
    assert len(case.references) == 24
    assert case.reference_items() == expected
    assert Path(case.references_file) == (site / "cases" / "refs.json").resolve()


# --------------------------------------------------------------------------- read_case API


def test_read_case_raises_case_errors_with_problems(site):
    path = write_case(site, "x", "title: X\nabstract: Y\ntitel: Z\n")
    with pytest.raises(CaseErrors) as info:
        read_case(path, site / "cases")
    problem = info.value.problems[0]
    assert (problem.path, problem.line, problem.col) == ("cases/x.yaml", 3, 1)
    assert str(info.value) == "cases/x.yaml:3:1: unknown key 'titel'; did you mean 'title'?"


# --------------------------------------------------------------------------- exit codes


def test_check_exits_0_when_clean(site, capsys):
    write_case(site, "x", "title: X\nabstract: Y\n")
    code, lines, err = check(capsys)
    assert code == 0
    assert lines == []
    assert "1 record checked, 0 problems" in err


def test_check_exits_1_with_problems(site, capsys):
    write_case(site, "x", "title: X\n")
    code, lines, err = check(capsys)
    assert code == 1
    assert len(lines) == 1


def test_check_of_a_missing_path_is_usage_error(site, capsys):
    code, lines, err = check(capsys, "cases/nope.yaml")
    assert code == 2
    assert "no such file or folder: cases/nope.yaml" in err


def test_check_of_the_repository_cases_is_clean(capsys, monkeypatch):
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    code, lines, err = check(capsys)
    assert (code, lines) == (0, [])


def test_number_out_of_range(site, capsys):
    write_case(site, "x", """
        title: X
        abstract: Y
        management:
          - intervention: Rituximab
            courses: -1
    """)
    assert only_problem(capsys, "cases/x.yaml") == (
        "cases/x.yaml:5:14: management[0].courses must be a number of at least 0, not -1; "
        "write a number of at least 0")
