"""`grandrounds check`: privacy rules over a corpus, CARE, references, consent, teaching,
silencing, output formats and exit codes, EXIF stripping, the MkDocs build, and the
authoring scaffold (`grandrounds new DIR`)."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml
from PIL import Image

from conftest import FIXTURES, PNG_1PX, ROOT, read_html, run_cli, write_case
from grandrounds.checks import check
from grandrounds.record.library import Library, read_case

CORPUS = FIXTURES / "privacy"


def _corpus_module():
    spec = importlib.util.spec_from_file_location("privacy_corpus", ROOT / "benchmarks" / "privacy_corpus.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def site(tmp_path, monkeypatch):
    (tmp_path / "cases").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def findings_of(path: Path, privacy: str = "warning") -> list[check.Finding]:
    return check.check_case(read_case(path, path.parent), privacy=privacy, cases_dir=path.parent)


def codes(findings) -> list[str]:
    return [f.code for f in findings]


# --------------------------------------------------------------------------- privacy corpus


def test_corpus_precision_and_recall_per_family():
    corpus = _corpus_module()
    stats, mistakes = corpus.score(CORPUS)
    assert set(stats) == {"date", "age", "name", "contact", "record-number", "location"}
    for family, counts in stats.items():
        precision, recall = corpus.rates(counts)
        assert counts["tp"] >= 18, family  # enough planted cases for the rates to mean something
        assert recall >= 0.95, (family, mistakes)
        assert precision >= 0.90, (family, mistakes)


def test_every_planted_identifier_is_reported_on_its_line_and_look_alikes_are_not():
    corpus = _corpus_module()
    for path in sorted(CORPUS.glob("*.yaml")):
        expected = corpus.expectations(path.read_text(encoding="utf-8"))
        got = {(f.line, check.FAMILY_OF[f.code]) for f in findings_of(path) if f.code in check.FAMILY_OF}
        if path.name.startswith("clean-"):
            assert not expected and not got, (path.name, sorted(got))
        else:
            assert got == expected, (path.name, sorted(got ^ expected))


def test_every_privacy_code_is_exercised_by_the_corpus():
    text = "".join(p.read_text(encoding="utf-8") for p in CORPUS.glob("planted-*.yaml"))
    for code in set(check.FAMILY_OF) - {"privacy/exif"}:
        assert f"expect: {code}" in text or f" {code}@" in text, code


@pytest.mark.parametrize("text", [
    "500 mg/day", "CRP 180 mg/L", "free T4 32 pmol/L", "IL-6 85 pg/mL", "in 2019", "on day 3",
    "pp. 1343-1421", "10.1089/thy.2016.0229", "12-15%", "CD4+ 350 cells/mm3", "ICD-10 E05.5",
    "aged 90+", "BP 120/80", "ANA 1:320", "HLA-B27", "levels II-V", "CA 19-9", "CURB-65 score 1",
    "Case 2 and Patient 3", "the Mayo Clinic criteria", "Hospital Anxiety and Depression Scale",
    "transferred to Intensive Care", "a disorder called Kikuchi disease", "returned to Kenya",
    "days 7 10 14 21 28", "version 2.1.3", "8 x 10^9^/L", "NYHA class III", "SARS-CoV-2",
])
def test_look_alikes_are_not_identifiers(text):
    assert check.privacy_hits(("discussion",), text) == []


def test_a_match_in_a_folded_block_is_located_at_its_own_line_and_column(site):
    path = write_case(site, "x", """
        title: X
        type: case-study
        source: {title: S}
        abstract: >-
          The first line says nothing.
          Seen by the team
          on 14 March 2019 and by
          Mr
          Halvorsen later.
    """)
    got = [(f.line, f.col, f.code) for f in findings_of(path)]
    assert got == [(7, 6, "privacy/date"), (8, 3, "privacy/name")]
    assert [f.message for f in findings_of(path)] == [
        "calendar date finer than a year: '14 March 2019'",
        "a name (or initials) after a title: 'Mr Halvorsen'"]


def test_same_text_twice_in_a_block_is_located_twice(site):
    path = write_case(site, "x", """
        title: X
        type: case-study
        source: {title: S}
        abstract: |-
          Call 020 7946 0958 first.
          If busy, call 020 7946 0958 again.
    """)
    assert [(f.line, f.col) for f in findings_of(path)] == [(5, 8), (6, 17)]


def test_privacy_rules_skip_authors_acknowledgements_funding_references_and_source(site):
    path = write_case(site, "x", """
        title: X
        type: case-study
        abstract: A plain abstract.
        authors: [{name: "Smith, J.", affiliation: "St Mary's Hospital, London W2 1NY; tel 020 7946 0958"}]
        acknowledgements: We thank Dr Jones (jones@example.org) for the scans of 3 March 2019.
        funding: [{funder: Wellcome, award: ["MRN 12345678"]}]
        references:
          - {id: r1, title: "Mr Smith's case of 12/03/2019", issued: {date-parts: [[2019, 3, 12]]}, DOI: 10.1/x}
        source: {title: "Dr Who and the 1 April 2020 outbreak in Leeds", URL: "https://example.org/x"}
    """)
    assert [f for f in findings_of(path) if f.code.startswith("privacy/")] == []


def test_age_over_89_in_the_structured_field_and_90_plus_is_fine(site):
    old = write_case(site, "old", """
        title: X
        type: case-study
        source: {title: S}
        abstract: A.
        patients: [{label: Case 1, age: 91}, {label: Case 2, age: "90+"}, {label: Case 3, age: 95, age_unit: months}]
    """)
    got = [(f.line, f.col, f.message) for f in findings_of(old)]
    assert got == [(5, 33, "age 91 is over 89")]


# --------------------------------------------------------------------------- silencing


def test_inline_marker_silences_one_code_on_its_line_only(site):
    path = write_case(site, "x", """
        title: X
        type: case-study
        source: {title: S}
        abstract: A.
        timeline:
          - {when: day 0, event: Seen at the Lakeside Clinic.}  # grandrounds: allow privacy/place
          - {when: day 1, event: Seen at the Lakeside Clinic on 3 May 2019.}  # grandrounds: allow privacy/place
          - {when: day 2, event: Back at the Lakeside Clinic.}
    """)
    assert [(f.line, f.code) for f in findings_of(path)] == [(7, "privacy/date"), (8, "privacy/place")]


def test_marker_on_the_key_line_of_a_block_silences_the_whole_field(site):
    path = write_case(site, "x", """
        title: X
        type: case-study
        source: {title: S}
        abstract: >-  # grandrounds: allow privacy/name privacy/date
          Mr Halvorsen was seen
          on 3 May 2019.
        outcome: >-  # grandrounds: allow
          Mr Halvorsen went home on 5 May 2019.
        discussion: >-
          Mr Halvorsen agreed.
    """)
    assert [(f.line, f.code) for f in findings_of(path)] == [(10, "privacy/name")]


def test_allow_list_in_the_record(site):
    path = write_case(site, "x", """
        title: X
        abstract: Seen at the Lakeside Clinic and at the Hillcrest Clinic on 3 May 2019.
        check:
          allow: [care, consent, "privacy/place: Lakeside Clinic"]
    """)
    assert [f.message for f in findings_of(path)] == [
        "named hospital or clinic: 'Hillcrest Clinic'", "calendar date finer than a year: '3 May 2019'"]


# --------------------------------------------------------------------------- CARE, consent, teaching


def test_care_table_of_a_complete_example_case():
    case = read_case(ROOT / "cases" / "anti-nmda-encephalitis.yaml", ROOT / "cases")
    rows = check.care_table(case)
    assert len(rows) == 13 and all(r.present for r in rows)
    assert [r.item for r in rows][:3] == ["Title", "Keywords", "Abstract"]
    assert "13/13 present" in check.format_care_table(case)


def test_missing_care_items_are_warnings_for_case_reports_and_series_only(site):
    report = write_case(site, "r", """
        title: X
        abstract: A.
        presentation: P.
        consent: {obtained: true, by: patient}
    """)
    missing = [f.code for f in findings_of(report)]
    assert missing == sorted(["care/keywords", "care/introduction", "care/patient-information",
                              "care/timeline", "care/diagnostic-assessment",
                              "care/therapeutic-intervention", "care/follow-up", "care/discussion",
                              "care/patient-perspective"])
    assert {f.severity for f in findings_of(report)} == {"warning"}
    series = write_case(site, "s", "title: X\nabstract: A.\ntype: case-series\nsource: {title: S}\n")
    assert len([c for c in codes(findings_of(series)) if c.startswith("care/")]) == 10  # consent: its own rule
    study = write_case(site, "t", "title: X\nabstract: A.\ntype: case-study\nsource: {title: S}\n")
    assert findings_of(study) == []


@pytest.mark.parametrize("extra, expected", [
    ("", ["consent/missing"]),
    ("consent: {obtained: true, by: patient}", []),
    ("consent: {by: waived, statement: The ethics committee waived consent.}", []),
    ("consent: {by: waived}", ["consent/missing"]),
    ("consent: {obtained: false, by: patient}", ["consent/missing"]),
    ("source: {title: The original article}", []),
    ("status: draft", []),
])
def test_consent_rule(site, extra, expected):
    path = write_case(site, "x", f"title: X\ntype: image-challenge\nabstract: A.\n{extra}\n")
    assert codes(findings_of(path)) == expected


def test_privacy_option_makes_privacy_and_consent_findings_errors(site):
    path = write_case(site, "x", "title: X\ntype: image-challenge\nabstract: Seen on 3 May 2019.\n")
    assert {(f.code, f.severity) for f in findings_of(path, privacy="error")} == {
        ("consent/missing", "error"), ("privacy/date", "error")}


@pytest.mark.parametrize("title, warned", [
    ("Anti-NMDA receptor encephalitis in a young woman", True),
    ("A young woman with psychosis and seizures", False),
    ("Psychosis and seizures: NMDA receptor encephalitis (anti-)", True),
])
def test_title_that_gives_away_a_hidden_diagnosis(site, title, warned):
    path = write_case(site, "x", f"""
        title: "{title}"
        type: case-study
        source: {{title: S}}
        abstract: A.
        diagnosis: {{final: "Anti-NMDA receptor encephalitis (ovarian teratoma)"}}
        teaching: {{hide: [diagnosis]}}
    """)
    assert codes(findings_of(path)) == (["teaching/title-reveals"] if warned else [])


def test_an_unknown_case_may_name_its_diagnosis_in_its_title_but_not_in_its_teaching_title(site):
    def record(teaching_title: str) -> str:
        return f"""
            title: "Anti-NMDA receptor encephalitis in a young woman"
            type: case-study
            source: {{title: S}}
            abstract: A.
            diagnosis: {{final: "Anti-NMDA receptor encephalitis"}}
            teaching: {{hide: [diagnosis], title: "{teaching_title}"}}
        """
    assert codes(findings_of(write_case(site, "x", record("A young woman with psychosis")))) == []
    findings = findings_of(write_case(site, "x", record("Anti-NMDA receptor encephalitis presenting as psychosis")))
    assert codes(findings) == ["teaching/title-reveals"]
    assert findings[0].line == 6  # at teaching.title, not at the title shown after the reveal


def test_title_reveals_suggests_a_teaching_title(site):
    path = write_case(site, "x", """
        title: "Anti-NMDA receptor encephalitis"
        type: case-study
        source: {title: S}
        abstract: A.
        diagnosis: {final: "Anti-NMDA receptor encephalitis"}
        teaching: {hide: [diagnosis]}
    """)
    (finding,) = findings_of(path)
    assert "teaching: {title: ...}" in finding.hint


@pytest.mark.parametrize("record_id, warned", [("nmda-encephalitis-1", True), ("young-woman-psychosis", False)])
def test_an_id_that_names_the_hidden_diagnosis(site, record_id, warned):
    path = write_case(site, record_id, f"""
        id: {record_id}
        title: A young woman with psychosis
        type: case-study
        source: {{title: S}}
        abstract: A.
        diagnosis: {{final: "Anti-NMDA receptor encephalitis"}}
        teaching: {{hide: [diagnosis]}}
    """)
    findings = findings_of(path)
    assert codes(findings) == (["teaching/id-reveals"] if warned else [])
    if warned:
        assert (findings[0].line, findings[0].col) == (1, 5) and "aliases" in findings[0].hint


@pytest.mark.parametrize("fields, where", [
    ("abstract: {background: Psychosis is common., conclusions: Test for NMDA receptor antibodies.}", [(4, 59)]),
    ("abstract: {background: Encephalitis can present as psychosis.}", [(4, 24)]),
    ("abstract: A.\n        figures: [{id: f1, file: f.png, alt: MRI of an ovarian teratoma, caption: A pelvic mass.}]",
     [(5, 38)]),
    ("abstract: {background: Psychosis is common., conclusions: Test for antibodies early.}", []),
    ("abstract: {conclusions: Test for NMDA antibodies.}\n        teaching: {hide: [diagnosis, discussion]}", []),
])
def test_visible_text_that_names_the_hidden_diagnosis(site, fields, where):
    (site / "cases").mkdir(exist_ok=True)
    (site / "cases" / "f.png").write_bytes(PNG_1PX)
    teaching = "" if "teaching:" in fields else "\n        teaching: {hide: [diagnosis]}"
    path = write_case(site, "x", f"""
        title: A young woman with psychosis
        type: case-study
        source: {{title: S}}
        {fields}
        diagnosis: {{final: "Anti-NMDA receptor encephalitis with ovarian teratoma"}}{teaching}
    """)
    findings = [f for f in findings_of(path) if f.code == "teaching/text-reveals"]
    assert [(f.line, f.col) for f in findings] == where


@pytest.mark.parametrize("labels, revealing", [
    ("tags: [psychosis, seizures]\n        keywords: [first-episode psychosis]", []),
    ("tags: [psychosis, ovarian teratoma]\n        keywords: [anti-NMDA receptor antibodies, EEG]",
     [(5, "tags"), (6, "keywords")]),
])
def test_tags_and_keywords_that_give_away_a_hidden_diagnosis(site, labels, revealing):
    path = write_case(site, "x", f"""
        title: A young woman with psychosis and seizures
        type: case-study
        source: {{title: S}}
        abstract: A.
        {labels}
        diagnosis: {{final: "Anti-NMDA receptor encephalitis with an ovarian teratoma"}}
        teaching: {{hide: [diagnosis]}}
    """)
    found = [f for f in findings_of(path) if f.code == "teaching/label-reveals"]
    assert [(f.line, f.message.split()[1] + "s") for f in found] == revealing


def test_labels_are_free_when_nothing_is_hidden(site):
    path = write_case(site, "x", """
        title: Anti-NMDA receptor encephalitis
        type: case-study
        source: {title: S}
        abstract: A.
        tags: [ovarian teratoma]
        diagnosis: {final: "Anti-NMDA receptor encephalitis with an ovarian teratoma"}
    """)
    assert "teaching/label-reveals" not in codes(findings_of(path))


# --------------------------------------------------------------------------- references


def test_reference_lints(site):
    path = write_case(site, "x", """
        title: X
        type: case-study
        source: {title: S}
        abstract: Cited [@a] and [@b].
        references:
          - {id: a, title: A, issued: {date-parts: [[2001]]}, DOI: 10.1000/abc}
          - {id: b, title: B, issued: {date-parts: [[2002]]}, DOI: "https://doi.org/10.1000/ABC"}
          - {id: c, title: C, issued: {date-parts: [[2003]]}, DOI: "doi 10/abc"}
          - {id: a, title: "", issued: {literal: "in press"}}
    """)
    got = [(f.line, f.severity, f.code) for f in findings_of(path)]
    assert got == [
        (7, "warning", "ref/duplicate-doi"),
        (8, "info", "ref/uncited"),
        (8, "warning", "ref/malformed-doi"),
        (9, "error", "ref/duplicate-id"),
        (9, "warning", "ref/no-title"),
        (9, "warning", "ref/no-year"),
    ]


def test_cited_but_undefined_is_an_error_from_the_schema_stage(site, capsys):
    write_case(site, "x", "title: X\ntype: case-study\nsource: {title: S}\nabstract: See [@nope].\n")
    code, out, err = run_cli(capsys, "check")
    assert code == 1
    assert out.splitlines() == ["cases/x.yaml:4:11: error: ref/undefined: citation '@nope' names no "
                                "reference of this case; add the reference under `references:` with this `id`"]


# --------------------------------------------------------------------------- CLI


PLANTED = """
    title: X
    type: case-study
    source: {title: S}
    abstract: Seen on 3 May 2019 by Dr Petrov.
"""


def test_check_reports_every_problem_of_every_record_in_one_run(site, capsys):
    write_case(site, "a", PLANTED)
    write_case(site, "b", "title: X\nabstract: Y\ntitel: Z\n")
    write_case(site, "c", PLANTED.replace("Dr Petrov", "Mrs Lind"))
    code, out, err = run_cli(capsys, "check")
    assert code == 1
    assert out.splitlines() == [
        "cases/b.yaml:3:1: error: schema: unknown key 'titel'; did you mean 'title'?",
        "cases/a.yaml:4:19: warning: privacy/date: calendar date finer than a year: '3 May 2019'; "
        "write a relative time instead (\"day 3\", \"two weeks later\") or the year alone",
        "cases/a.yaml:4:33: warning: privacy/name: a name (or initials) after a title: 'Dr Petrov'; "
        "refer to the person by role (\"the patient\", \"her husband\", \"the treating physician\")",
        "cases/c.yaml:4:19: warning: privacy/date: calendar date finer than a year: '3 May 2019'; "
        "write a relative time instead (\"day 3\", \"two weeks later\") or the year alone",
        "cases/c.yaml:4:33: warning: privacy/name: a name (or initials) after a title: 'Mrs Lind'; "
        "refer to the person by role (\"the patient\", \"her husband\", \"the treating physician\")",
    ]
    assert err.strip().endswith("3 records checked, 1 problem")


def test_exit_codes_warnings_strict_privacy_errors_and_misuse(site, capsys):
    write_case(site, "a", PLANTED)
    assert run_cli(capsys, "check")[0] == 0
    assert run_cli(capsys, "check", "--strict")[0] == 1
    code, out, _ = run_cli(capsys, "check", "--privacy-errors")
    assert code == 1 and ": error: privacy/date:" in out
    code, out, err = run_cli(capsys, "check", "cases/missing.yaml")
    assert code == 2 and "no such file or folder: cases/missing.yaml" in err
    assert run_cli(capsys, "check", "--format", "xml")[0] == 2
    assert "Traceback" not in out + err


def test_json_and_github_formats(site, capsys):
    write_case(site, "a", PLANTED)
    code, out, _ = run_cli(capsys, "check", "--format", "json")
    data = json.loads(out)
    assert data[0] == {"path": "cases/a.yaml", "line": 4, "col": 19, "severity": "warning",
                       "code": "privacy/date", "message": "calendar date finer than a year: '3 May 2019'",
                       "hint": "write a relative time instead (\"day 3\", \"two weeks later\") or the year alone"}
    code, out, _ = run_cli(capsys, "check", "--format", "github")
    first = out.splitlines()[0]
    assert first.startswith("::warning file=cases/a.yaml,line=4,col=19,title=privacy/date::")
    assert "'3 May 2019'" in first


def test_json_is_an_empty_list_when_clean_and_care_goes_to_stderr(site, capsys):
    write_case(site, "a", "title: X\ntype: case-study\nsource: {title: S}\nabstract: A.\n")
    write_case(site, "r", "title: Y\nabstract: A.\nconsent: {obtained: true}\n")
    code, out, err = run_cli(capsys, "check", "--format", "json", "--care", "cases/a.yaml")
    assert (code, json.loads(out)) == (0, [])
    code, out, err = run_cli(capsys, "check", "--format", "json", "--care", "cases/r.yaml")
    assert {f["code"] for f in json.loads(out)} >= {"care/timeline", "care/keywords"}
    assert "CARE checklist: r (3/13 present)" in err


def test_info_is_shown_only_when_asked_and_never_fails_strict(site, capsys):
    write_case(site, "a", """
        title: X
        type: case-study
        source: {title: S}
        abstract: A.
        references: [{id: r1, title: T, issued: {date-parts: [[2000]]}}]
    """)
    code, out, err = run_cli(capsys, "check", "--strict")
    assert (code, out) == (0, "")
    assert "1 information (shown with --info)" in err
    code, out, _ = run_cli(capsys, "check", "--strict", "--info")
    assert code == 0 and "info: ref/uncited" in out


def test_care_flag_prints_the_table(site, capsys):
    write_case(site, "r", "title: X\nabstract: A.\npresentation: P.\nconsent: {obtained: true}\n")
    code, out, _ = run_cli(capsys, "check", "--care")
    assert "CARE checklist: r (4/13 present)" in out
    assert re.search(r"present\s+Clinical findings\s+presentation", out)
    assert re.search(r"MISSING\s+Timeline\s+timeline", out)


# --------------------------------------------------------------------------- EXIF


def _photo(path: Path, **save) -> bytes:
    rng = random.Random(7)
    image = Image.new("RGB", (17, 11))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(17 * 11)])
    exif = Image.Exif()
    exif[0x0132] = "2020:03:14 10:00:00"
    exif[0x010F] = "CameraCo"
    if path.suffix not in (".tif",):
        exif[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}
    image.save(path, exif=exif, **save)
    with Image.open(path) as saved:
        return saved.convert("RGB").tobytes()


@pytest.mark.parametrize("name, save", [
    ("photo.jpg", {"quality": 85}), ("photo.png", {}), ("photo.webp", {"quality": 80}),
    ("lossless.webp", {"lossless": True}), ("photo.tif", {"compression": "tiff_lzw"}),
])
def test_strip_exif_removes_metadata_and_keeps_pixels(site, capsys, name, save):
    figures = site / "cases" / "figures"
    figures.mkdir()
    pixels = _photo(figures / name, **save)
    clean = figures / "clean.svg"
    clean.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>', encoding="utf-8")
    write_case(site, "x", f"""
        title: X
        type: case-study
        source: {{title: S}}
        abstract: A.
        figures:
          - {{id: f1, file: figures/{name}, alt: An image}}
          - {{id: f2, file: figures/clean.svg, alt: A drawing}}
    """)
    code, out, _ = run_cli(capsys, "check")
    assert out.startswith(f"cases/x.yaml:6:20: warning: privacy/exif: image 'figures/{name}' carries metadata (")
    assert "date" in out and "device make" in out
    code, out, err = run_cli(capsys, "check", "--strip-exif")
    assert code == 0 and out == "", out
    assert f"stripped metadata from cases/figures/{name}" in err
    with Image.open(figures / name) as stripped:
        assert stripped.convert("RGB").tobytes() == pixels
        assert not {0x0132, 0x010F, 0x8825} & set(stripped.getexif())
    assert sorted(p.name for p in figures.iterdir()) == sorted([name, "clean.svg"])  # no temp files
    before = (figures / name).read_bytes()
    assert check.strip_metadata(figures / name) is False and (figures / name).read_bytes() == before


# --------------------------------------------------------------------------- incremental


def test_checker_rechecks_only_changed_records(site, monkeypatch):
    for name in "abc":
        write_case(site, name, PLANTED)
    library = Library(site / "cases")
    library.refresh()
    checker = check.Checker()
    assert len(checker.run(library)) == 6
    calls = []
    real = check.check_case
    monkeypatch.setattr(check, "check_case", lambda case, **kw: calls.append(case.slug) or real(case, **kw))
    assert len(checker.run(library)) == 6 and calls == [] and checker.fresh == []
    path = site / "cases" / "b.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("Dr Petrov", "the registrar") + "\n",
                    encoding="utf-8")
    library.refresh()
    assert len(checker.run(library)) == 5
    assert calls == ["b"]
    assert [f.code for f in checker.fresh] == ["privacy/date"]


# --------------------------------------------------------------------------- new site and the build


def _mkdocs(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", *extra], cwd=project, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=180)


@pytest.fixture(scope="module")
def new_site(tmp_path_factory):
    """`grandrounds new` a site, with the CARE table switched on, built with --strict."""
    from grandrounds.cli import main

    root = tmp_path_factory.mktemp("newsite") / "teaching-cases"
    assert main(["new", str(root)]) == 0
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("care_table: false", "care_table: true"),
                      encoding="utf-8")
    result = _mkdocs(root, "--strict")
    return root, result


def test_new_site_has_its_files_and_builds_strict_straight_away(new_site):
    root, result = new_site
    assert result.returncode == 0, result.stdout
    files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                   if p.is_file() and "site" not in p.relative_to(root).parts)
    assert files == [".github/workflows/publish.yml", ".gitignore", "cases/septic-arthritis-hip.yaml",
                     "mkdocs.yml", "requirements.txt", "schema/case.schema.json"]
    assert (root / "site" / "septic-arthritis-hip" / "index.html").is_file()
    assert "site/" in (root / ".gitignore").read_text(encoding="utf-8").splitlines()


def test_new_site_example_is_clean_under_strict_check(new_site, monkeypatch, capsys):
    root, _ = new_site
    monkeypatch.chdir(root)
    code, out, err = run_cli(capsys, "check", "--strict", "--privacy-errors")
    assert (code, out) == (0, ""), out


def test_new_site_case_page_shows_the_care_table(new_site):
    root, _ = new_site
    doc = read_html(root / "site" / "septic-arthritis-hip" / "index.html")
    table = doc.find("table", cls="gr-care")
    assert table is not None
    rows = [[td.squashed() for td in tr.find_all("td")] for tr in table.find_all("tr")[1:]]
    assert len(rows) == 13
    assert rows[0] == ["Title", "yes", "title"]
    assert ["Patient perspective", "yes", "patient_perspective"] in rows
    assert "data-search-exclude" in doc.find("h2", id="care-checklist").attrs


def test_new_site_workflow_checks_builds_and_deploys_to_pages(new_site):
    root, _ = new_site
    workflow = yaml.safe_load((root / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))
    steps = workflow["jobs"]["build"]["steps"]
    runs = [s.get("run") for s in steps if "run" in s]
    assert "grandrounds check --format github" in runs
    assert any("mkdocs build --strict --config-file mkdocs.pages.yml" in r for r in runs)
    assert runs.index("grandrounds check --format github") < [i for i, r in enumerate(runs) if "mkdocs build" in r][0]
    # the same publishing steps as the repository's own workflow
    ours = yaml.safe_load((ROOT / ".github" / "workflows" / "publish.yml").read_text(encoding="utf-8"))
    uses = lambda job: [s["uses"].split("@")[0] for s in job["steps"] if "uses" in s]
    assert uses(workflow["jobs"]["build"]) == uses(ours["jobs"]["build"])
    assert uses(workflow["jobs"]["deploy"]) == uses(ours["jobs"]["deploy"])
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact") for s in steps)
    deploy = workflow["jobs"]["deploy"]["steps"]
    assert deploy[0]["uses"].startswith("actions/deploy-pages")
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_new_refuses_to_overwrite_and_force_replaces(tmp_path, capsys):
    root = tmp_path / "site"
    root.mkdir()
    (root / "mkdocs.yml").write_text("site_name: Mine\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "new", str(root))
    assert code == 1
    assert "mkdocs.yml already exists" in err and "--force" in err
    assert (root / "mkdocs.yml").read_text(encoding="utf-8") == "site_name: Mine\n"
    assert sorted(p.name for p in root.iterdir()) == ["mkdocs.yml"]  # nothing half-written
    assert run_cli(capsys, "new", str(root), "--force", "--name", "Ward rounds")[0] == 0
    assert (root / "mkdocs.yml").read_text(encoding="utf-8").startswith('site_name: "Ward rounds"\n')


def test_new_with_templates_copies_the_defaults_but_not_the_scaffold(tmp_path, capsys):
    root = tmp_path / "custom"
    assert run_cli(capsys, "new", str(root), "--templates")[0] == 0
    assert (root / "templates" / "case.md.j2").read_bytes() == (ROOT / "templates" / "case.md.j2").read_bytes()
    assert not (root / "templates" / "scaffold").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # the staging folder is gone


@pytest.fixture(scope="module")
def planted_site(new_site, tmp_path_factory):
    root = tmp_path_factory.mktemp("planted") / "site"
    shutil.copytree(new_site[0], root, ignore=shutil.ignore_patterns("site"))
    (root / "cases" / "planted.yaml").write_text(textwrap.dedent(PLANTED).lstrip(), encoding="utf-8")
    return root


def test_build_strict_fails_on_check_warnings(planted_site):
    result = _mkdocs(planted_site, "--strict")
    assert result.returncode == 1
    assert "WARNING -  grandrounds: cases/planted.yaml:4:19: warning: privacy/date: calendar date finer than a year" in result.stdout
    assert "Traceback" not in result.stdout
    assert _mkdocs(planted_site).returncode == 0  # warnings alone do not fail a plain build


def test_build_fails_on_privacy_errors_when_the_site_asks(planted_site, tmp_path):
    root = tmp_path / "strict-site"
    shutil.copytree(planted_site, root)
    config = root / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("privacy: warning", "privacy: error"),
                      encoding="utf-8")
    result = _mkdocs(root)
    assert result.returncode == 1
    assert "cases/planted.yaml:4:33: error: privacy/name" in result.stdout
    assert "Traceback" not in result.stdout
