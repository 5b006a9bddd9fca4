"""PubMed's MEDLINE (.nbib) format: reading records, reference files, the import draft, errors."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURES, build_project, run_cli, write_case
from grandrounds.errors import CaseErrors
from grandrounds.limits import MAX_REFERENCE_FILE_BYTES, MAX_TEXT_CHARS
from grandrounds.record import medline, refio
from grandrounds.record.model import Case

MEDLINE = FIXTURES / "medline"
REPORTS = MEDLINE / "case-reports.nbib"


def items_by_id():
    return {item["id"]: item for item in medline.read_nbib(REPORTS)}


def errors(path: Path) -> list[str]:
    with pytest.raises(CaseErrors) as caught:
        refio.read_reference_file(path)
    return [str(p) for p in caught.value.problems]


# --------------------------------------------------------------------------- reading


def test_journal_article_with_continuation_lines_and_non_ascii_authors():
    item = items_by_id()["pmid31234567"]
    assert item["type"] == "article-journal"
    assert item["title"] == ("Anti-N-methyl-D-aspartate receptor encephalitis presenting as first-episode "
                             "psychosis in a 19-year-old woman: a case report")  # joined, NLM's final period gone
    assert [(a.get("family"), a.get("given")) for a in item["author"]] == [
        ("Müller", "Jörg"), ("Sørensen", "Åse"), ("Núñez-García", "José Luis"), ("van der Berg", "Anna")]
    assert item["author"][0]["ORCID"] == "https://orcid.org/0000-0002-1825-0097"
    assert item["author"][0]["affiliation"].count(";") == 1  # two AD lines of the same author
    assert "affiliation" not in item["author"][2] and "ORCID" not in item["author"][1]
    assert item["container-title"] == "Journal of medical case reports"
    assert item["container-title-short"] == "J Med Case Rep"
    assert (item["volume"], item["issue"], item["page"]) == ("13", "1", "245\u20139")
    assert item["issued"] == {"date-parts": [[2019, 8, 1]]}
    assert (item["DOI"], item["PMID"], item["PMCID"]) == ("10.1186/s13256-019-2171-x", "31234567", "PMC6676543")
    assert item["language"] == "en"
    assert item["abstract"].startswith("BACKGROUND: Autoimmune") and "  " not in item["abstract"]
    assert "publisher-place" not in item  # PL of a journal article is the journal's country


def test_group_author_keeps_its_place_and_e_locator_stands_for_pages():
    item = items_by_id()["pmid30987654"]
    assert item["author"] == [{"family": "Tanaka", "given": "Hiroshi"}, {"literal": "Lupus Lung Study Group"},
                              {"family": "O'Brien", "given": "Siobhán"}]
    assert item["page"] == "e02871"
    assert item["DOI"] == "10.1002/ccr3.2871"
    assert item["issued"] == {"date-parts": [[2020, 4]]}
    assert "PMCID" not in item


def test_missing_fields_short_authors_seasons_and_languages():
    item = items_by_id()["pmid29876543"]
    assert item["author"] == [{"family": "Lindqvist", "given": "K"}]  # AU only, no FAU
    assert item["issued"] == {"date-parts": [[2018]], "season": "Spring"}
    assert item["language"] == "sv"
    assert item["title"].endswith("thiazide?")
    for absent in ("DOI", "abstract", "volume", "issue", "PMCID"):
        assert absent not in item


@pytest.mark.parametrize("text, expected", [
    ("2010 Aug 1", {"date-parts": [[2010, 8, 1]]}),
    ("2010 Aug-Sep", {"date-parts": [[2010, 8]]}),
    ("2009 Dec 15-2010 Jan 1", {"date-parts": [[2009, 12, 15]]}),
    ("2021", {"date-parts": [[2021]]}),
    ("2014-2015", {"date-parts": [[2014]]}),
    ("In press", {"literal": "In press"}),
])
def test_publication_dates(text, expected):
    assert medline.publication_date(text) == expected


def test_crlf_bom_and_records_without_blank_lines_between(tmp_path):
    path = tmp_path / "pubmed.nbib"
    text = "\ufeffPMID- 1\r\nTI  - One.\r\nFAU - Ab, Cd\r\nPMID- 2\r\nTI  - Two\r\n      continued.\r\n"
    path.write_bytes(text.encode("utf-8"))
    one, two = refio.read_reference_file(path)
    assert (one["id"], one["title"], two["id"], two["title"]) == ("pmid1", "One", "pmid2", "Two continued")


def test_items_pass_the_model_and_format_in_vancouver():
    from grandrounds import cite

    items = medline.read_nbib(REPORTS)
    for item in items:
        Case.model_validate({"title": "t", "abstract": "a", "references": [item]})
    assert cite.format_reference(items[0], "vancouver").text == (
        "Müller J, Sørensen Å, Núñez-García JL, van der Berg A. Anti-N-methyl-D-aspartate receptor encephalitis "
        "presenting as first-episode psychosis in a 19-year-old woman: a case report. J Med Case Rep. "
        "2019 Aug 1;13(1):245-9. doi: 10.1186/s13256-019-2171-x.")  # as PubMed itself cites it
    assert cite.format_reference(items[2], "vancouver").text.startswith(
        "Lindqvist K. Hyponatremia in the elderly: is it the thiazide? Lakartidningen. 2018 Spring")


# --------------------------------------------------------------------------- errors


def test_every_malformed_line_is_reported_with_its_location():
    path = MEDLINE / "malformed.nbib"
    lines = errors(path)
    shown = refio.display_path(path)
    assert any(l.startswith(f"{shown}:3:1: malformed MEDLINE tag line 'TI - A tag padded wrongly'") and
               "'TI  - value'" in l for l in lines), lines
    assert any(l.startswith(f"{shown}:4:1: malformed MEDLINE line 'this line has no tag'") for l in lines), lines
    assert any(l.startswith(f"{shown}:7:1: indented line outside a MEDLINE field") for l in lines), lines
    assert "Traceback" not in "\n".join(lines)


def test_record_without_title_or_pmid_and_a_repeated_pmid(tmp_path):
    path = tmp_path / "refs.nbib"
    path.write_text("PMID- 5\nAB  - No title.\n\nTI  - No PMID.\n\nPMID- 6\nTI  - Six.\n\nPMID- 6\nTI  - Again.\n"
                    "\nPMID- 7a\nTI  - Letters.\n\nPMID- 8\nTI  - .\n", encoding="utf-8")
    lines = errors(path)
    shown = refio.display_path(path)
    assert lines == [
        f"{shown}:1:1: MEDLINE record without a title (no 'TI' line); add 'TI  - ' and the article's title, or export the record again",
        f"{shown}:4:1: MEDLINE record without a PMID; start each record with 'PMID- ' and its PubMed id, as PubMed exports it",
        f"{shown}:9:7: PMID 6 is also the record at line 6; remove one of the two records",
        f"{shown}:12:7: PMID '7a' is not a number; a PubMed id is digits only, e.g. 'PMID- 20851213'",
        f"{shown}:15:1: MEDLINE record without a title (no 'TI' line); add 'TI  - ' and the article's title, or export the record again",
    ]


def test_control_characters_and_long_text_are_located_at_their_field(tmp_path):
    path = tmp_path / "refs.nbib"
    path.write_text("PMID- 1\nTI  - Fine.\nJT  - Bad\x1bjournal\n\nPMID- 2\nTI  - Two.\nAB  - "
                    + "x" * (MAX_TEXT_CHARS + 1) + "\n", encoding="utf-8")
    lines = errors(path)
    assert lines[0].startswith(f"{refio.display_path(path)}:3:7: field container-title: escape (U+001B)")
    assert lines[1].startswith(f"{refio.display_path(path)}:7:7: field abstract: text is ")


def test_size_limit_and_not_utf8(tmp_path):
    big = tmp_path / "big.nbib"
    big.write_bytes(b"PMID- 1\nTI  - x\n" + b"AB  - " + b"y" * MAX_REFERENCE_FILE_BYTES + b"\n")
    assert "-byte limit" in errors(big)[0]
    latin = tmp_path / "latin.nbib"
    latin.write_bytes("PMID- 1\nTI  - Müller\n".encode("latin-1"))
    assert errors(latin)[0].startswith(f"{refio.display_path(latin)}:2:8: not valid UTF-8")
    empty = tmp_path / "empty.nbib"
    empty.write_text("\n\n", encoding="utf-8")
    assert "no MEDLINE records" in errors(empty)[0]


def test_a_thousand_records_are_read_and_one_more_is_refused(tmp_path):
    path = tmp_path / "many.nbib"  # its speed: benchmarks/bench_import.py
    path.write_text("\n".join(f"PMID- {n}\nTI  - Title {n}.\nFAU - Family{n}, Given\nAU  - Family{n} G\n"
                              f"DP  - 2001 Jan\nJT  - Journal\n" for n in range(1, 1001)), encoding="utf-8")
    items = refio.read_reference_file(path)
    assert len(items) == 1000
    path.write_text("\n".join(f"PMID- {n}\nTI  - Title {n}.\n" for n in range(1, 1002)), encoding="utf-8")
    assert "over the 1,000-item limit" in errors(path)[0]


# --------------------------------------------------------------------------- the import draft


def test_draft_is_a_valid_draft_with_source_and_abstract_prompts():
    record, notes = medline.draft_from_file(REPORTS, today=datetime.date(2026, 1, 2))
    case = Case.model_validate(record)
    assert case.status == "draft" and case.date == "2026-01-02"
    assert record["id"] == "muller-2019-anti-n-methyl-d-aspartate"
    assert record["keywords"] == ["Autoimmune encephalitis", "NMDA receptor", "Ovarian teratoma", "Psychosis"]
    assert record["source"]["PMID"] == "31234567" and "abstract" not in record["source"]
    assert set(record["abstract"]) == {"background", "case_presentation", "conclusions"}
    assert "Autoimmune" not in str(record["abstract"])  # the article's prose is not copied
    assert "209 characters" in record["abstract"]["case_presentation"]
    assert "authors" not in record and "license" not in record and "references" not in record
    assert any("3 records" in n for n in notes) and any("PMC6676543" in n for n in notes)
    assert any("license" in n for n in notes)


def test_unmatched_or_unstructured_abstracts_give_one_prompt():
    assert isinstance(medline.abstract_prompts("OBJECTIVE: x. METHODS: y. RESULTS: z."), str)
    assert "(OBJECTIVE, METHODS, RESULTS)" in medline.abstract_prompts("OBJECTIVE: x. METHODS: y. RESULTS: z.")
    assert isinstance(medline.abstract_prompts("A plain abstract. It has NO: labels at the start."), str)
    assert medline.abstract_sections("Plain text.") == [("", "Plain text.")]
    assert set(medline.abstract_prompts("INTRODUCTION: a. CASE REPORT: b. DIAGNOSES: c. "
                                        "INTERVENTIONS: d. OUTCOMES: e. LESSONS: f.")) == {
        "introduction", "case_presentation", "diagnosis", "treatment", "outcome", "conclusions"}


def test_keywords_fall_back_to_major_mesh_headings(tmp_path):
    path = tmp_path / "one.nbib"
    path.write_text("PMID- 9\nTI  - T.\nMH  - Humans\nMH  - *Hyponatremia/chemically induced\n"
                    "MH  - *Thiazides/adverse effects\nMH  - *hyponatremia\n", encoding="utf-8")
    record, _ = medline.draft_from_file(path)
    assert record["keywords"] == ["Hyponatremia", "Thiazides"]
    assert "TODO" in record["abstract"]


def test_import_command_writes_a_draft_that_checks(tmp_path, capsys):
    cases = tmp_path / "cases"
    cases.mkdir()
    code, out, err = run_cli(capsys, "import", str(REPORTS), "--cases", str(cases))
    assert code == 0, err
    written = cases / "muller-2019-anti-n-methyl-d-aspartate.yaml"
    assert yaml.safe_load(written.read_text(encoding="utf-8"))["source"]["PMCID"] == "PMC6676543"
    code, out, err = run_cli(capsys, "check", "--cases", str(cases))
    assert code == 0, out
    code, out, err = run_cli(capsys, "import", str(REPORTS), "--cases", str(cases))
    assert code != 0 and "already exists" in err


def test_import_of_a_malformed_file_writes_nothing(tmp_path, capsys):
    cases = tmp_path / "cases"
    cases.mkdir()
    code, out, err = run_cli(capsys, "import", str(MEDLINE / "malformed.nbib"), "--cases", str(cases))
    assert code != 0
    assert "malformed.nbib:3:1: malformed MEDLINE tag line" in out + err
    assert "Traceback" not in out + err
    assert list(cases.iterdir()) == []


# --------------------------------------------------------------------------- in a record and a site

CASE = """\
title: Cites PubMed records
abstract: Psychosis first [@pmid31234567], then a lung [@pmid30987654; @pmid29876543].
references: refs.nbib
"""


def test_check_reads_an_nbib_reference_file(tmp_path, capsys):
    cases = tmp_path / "cases"
    write_case(tmp_path, "a.yaml", CASE)
    (cases / "refs.nbib").write_bytes(REPORTS.read_bytes())
    code, out, err = run_cli(capsys, "check", "--cases", str(cases))
    assert code == 0, out
    (cases / "refs.nbib").write_bytes((MEDLINE / "malformed.nbib").read_bytes())
    code, out, err = run_cli(capsys, "check", "--cases", str(cases))
    (line,) = [line for line in out.splitlines() if "'TI - A tag padded wrongly'" in line]
    assert code == 1 and line.startswith(f"{cases / 'refs.nbib'}:3:1: ") and "malformed MEDLINE tag line" in line


def test_site_lists_nbib_references_and_leaves_the_file_out(tmp_path):
    def prepare(project: Path) -> None:
        (project / "cases" / "pubmed-refs.yaml").write_text(CASE.replace("refs.nbib", "pubmed.nbib"), encoding="utf-8")
        (project / "cases" / "pubmed.nbib").write_bytes(REPORTS.read_bytes())

    site = build_project(tmp_path / "project", prepare)
    page = (site / "pubmed-refs" / "index.html").read_text(encoding="utf-8")
    for text in ("Anti-N-methyl-D-aspartate receptor encephalitis", "Lupus Lung Study Group", "Lindqvist"):
        assert text in page
    assert not list(site.rglob("*.nbib"))
