"""refio: BibTeX and RIS imports (as Zotero and Better BibTeX export them), their errors
with the right line, the RIS/BibTeX/CSL-JSON writers and export -> import round trips,
and `references:` files through `grandrounds check` and `grandrounds cite`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import rispy

from conftest import FIXTURES, SEED_ITEMS_FILE, run_cli, write_case
from grandrounds import cite
from grandrounds.record import refio
from grandrounds.errors import CaseErrors
from grandrounds.record.model import CSLItem

REFIO = FIXTURES / "refio"


def by_id(items):
    return {item["id"]: item for item in items}


# --------------------------------------------------------------------------- BibTeX in


@pytest.fixture(scope="module")
def zotero_bib():
    return by_id(refio.read_reference_file(REFIO / "zotero.bib"))


def test_bibtex_article_as_zotero_exports_it(zotero_bib):
    item = zotero_bib["muller_hyponatraemia_2019"]
    assert item["type"] == "article-journal"
    # LaTeX accents decoded, protective braces removed, `--` an en dash
    assert item["title"] == "Hyponatræmia in the Very Old: a Prospective Cohort"
    assert item["author"] == [{"family": "Müller", "given": "Anaïs"},
                              {"family": "Škoda", "given": "Jiří"},
                              {"family": "García-López", "given": "José M."},
                              {"literal": "others"}]
    assert item["page"] == "411\u2013418"
    assert item["container-title"] == "Age and Ageing"
    assert item["issued"] == {"date-parts": [[2019, 5]]}  # month = may (a macro)
    assert item["accessed"] == {"date-parts": [[2024, 2, 3]]}
    assert (item["volume"], item["issue"]) == ("48", "3")
    assert item["DOI"] == "10.1093/ageing/afz001"
    assert item["URL"] == "https://doi.org/10.1093/ageing/afz001"


def test_bibtex_entry_types_map_to_csl_types(zotero_bib):
    types = {key: item["type"] for key, item in zotero_bib.items()}
    assert types == {"muller_hyponatraemia_2019": "article-journal", "r_core_team_r_2023": "book",
                     "van_der_berg_chapter_2010": "chapter", "who_report_2021": "report",
                     "nhs_hyponatraemia_2022": "webpage", "lme4_2015": "software"}


def test_bibtex_group_authors_particles_and_suffixes(zotero_bib):
    assert zotero_bib["r_core_team_r_2023"]["author"] == [{"literal": "R Core Team"}]
    chapter = zotero_bib["van_der_berg_chapter_2010"]
    assert chapter["author"] == [{"family": "Berg", "given": "Jan", "non-dropping-particle": "van der"},
                                 {"family": "King", "given": "Martin L.", "suffix": "Jr."}]
    assert chapter["editor"] == [{"family": "O'Brien", "given": "Siobhán"}]
    assert chapter["container-title"] == "Textbook of Geriatric Medicine"
    assert (chapter["publisher"], chapter["publisher-place"], chapter["edition"]) == (
        "Oxford University Press", "Oxford", "2")


def test_bibtex_report_escapes_and_institution(zotero_bib):
    report = zotero_bib["who_report_2021"]
    assert report["title"] == "Guideline on sodium intake & health"
    assert report["publisher"] == "World Health Organization"
    assert report["number"] == "WHO/NMH/21.3"


def test_betterbibtex_biblatex_fields():
    items = by_id(refio.read_reference_file(REFIO / "betterbibtex.bib"))
    article = items["tuzun2005"]
    assert article["title"] == "Evidence for Antibody-Mediated Pathogenesis in Anti-NMDA Receptor Encephalitis"
    assert article["container-title"] == "Acta Neuropathologica"          # journaltitle
    assert article["container-title-short"] == "Acta Neuropathol."        # shortjournal
    assert article["issued"] == {"date-parts": [[2005, 12, 1]]}           # date = {2005-12-01}
    assert article["PMID"] == "19680671"
    assert article["author"][0] == {"family": "Tüzün", "given": "Erdem"}
    online = items["cdc_kawasaki_2023"]
    assert online["type"] == "webpage" and online["publisher"] == "CDC"


def test_imported_items_format_in_nature(zotero_bib):
    text = cite.format_reference(zotero_bib["muller_hyponatraemia_2019"]).text
    assert text.startswith("Müller, A., Škoda, J., García-López, J. M. et al. Hyponatræmia")
    assert "411\u2013418 (2019)" in text


def bib_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "refs.bib"
    path.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    with pytest.raises(CaseErrors) as info:
        refio.read_reference_file(path)
    return str(info.value).replace(f"{tmp_path}/", "")


def test_bibtex_syntax_error_names_the_entry_line(tmp_path):
    message = bib_error(tmp_path, "% comment\n\n@article{ok, title={Fine}, year=2020}\n\n"
                                  "@article{broken,\n  title = {unclosed,\n  year = 2020\n}\n\n"
                                  "@book{next, title={After}}\n")
    first = message.splitlines()[0]
    assert first.startswith("refs.bib:5:1: BibTeX entry cannot be read")
    assert first.endswith("; check its braces, quotes and the commas between fields")


def test_bibtex_entry_without_key(tmp_path):
    message = bib_error(tmp_path, "@article{a, title={One}}\n\n\n@article{, title = {No key}}\n")
    assert message == ("refs.bib:4:1: @article entry has no citation key; "
                       "add a key after '@article{', e.g. @article{smith2020,")


def test_bibtex_duplicate_key(tmp_path):
    message = bib_error(tmp_path, "@article{a, title={One}}\n@article{a, title={Two}}\n")
    assert message.startswith("refs.bib:2:1: duplicate BibTeX key 'a'")


def test_bibtex_not_utf8_gives_the_byte_position(tmp_path):
    message = bib_error(tmp_path, b"@article{a,\n  author = {M\xfcller, A.}}\n")
    assert message.startswith("refs.bib:2:14: not valid UTF-8 (byte 0xfc)")


# --------------------------------------------------------------------------- RIS in


@pytest.fixture(scope="module")
def zotero_ris():
    return refio.read_reference_file(REFIO / "zotero.ris")


def test_ris_journal_article(zotero_ris):
    item = zotero_ris[0]
    assert item["type"] == "article-journal"
    assert item["author"] == [{"family": "Müller", "given": "Anaïs"},
                              {"family": "Škoda", "given": "Jiří"},
                              {"family": "García-López", "given": "José M."},
                              {"literal": "others"}]
    assert item["container-title"] == "Age and Ageing"
    assert item["container-title-short"] == "Age Ageing"
    assert item["page"] == "411\u2013418"
    assert item["issued"] == {"date-parts": [[2019, 5]]}
    assert item["DOI"] == "10.1093/ageing/afz001"


def test_ris_types_names_and_generated_ids(zotero_ris):
    assert [i["type"] for i in zotero_ris] == ["article-journal", "chapter", "report", "webpage",
                                               "software", "article-journal"]
    # ID tag kept; otherwise first author + year, with a suffix for a repeat
    assert [i["id"] for i in zotero_ris] == ["muller2019", "vanderberg2010", "worldhealthorganization2021",
                                             "nhs2022", "lme4", "muller2019a"]
    chapter = zotero_ris[1]
    assert chapter["author"][1] == {"family": "King", "given": "Martin L.", "suffix": "Jr."}
    assert chapter["editor"] == [{"family": "O'Brien", "given": "Siobhán"}]
    assert zotero_ris[2]["author"] == [{"literal": "World Health Organization"}]


def ris_error(tmp_path: Path, text: str) -> str:
    path = tmp_path / "refs.ris"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseErrors) as info:
        refio.read_reference_file(path)
    return str(info.value).replace(f"{tmp_path}/", "")


def test_ris_unclosed_record_points_at_its_ty(tmp_path):
    message = ris_error(tmp_path, "TY  - JOUR\nTI  - One\nER  - \n\nTY  - JOUR\nTI  - Two\n"
                                  "\nTY  - BOOK\nTI  - Three\nER  - \n")
    assert message == ("refs.ris:5:1: RIS record is not closed before the next 'TY'; "
                       "end each record with a line 'ER  - '")


def test_ris_malformed_tag_line(tmp_path):
    message = ris_error(tmp_path, "TY  - JOUR\nTI - One space only\nER  - \n")
    assert message.startswith("refs.ris:2:1: malformed RIS tag line 'TI - One space only'; "
                              "write it as 'TI  - value'")


def test_ris_tag_outside_a_record_and_missing_er(tmp_path):
    message = ris_error(tmp_path, "AU  - Lost, A.\nTY  - JOUR\nTI  - Open\n")
    lines = message.splitlines()
    assert lines[0].startswith("refs.ris:1:1: tag 'AU' outside a RIS record")
    assert lines[1].startswith("refs.ris:2:1: RIS record is not closed (no 'ER  - ' line)")


# --------------------------------------------------------------------------- writers


SPECIALS = {"id": "spec_1", "type": "article-journal",
            "title": "50% of #cases & $costs_up {braced} ~tilde ^caret back\\slash",
            "author": [{"family": "O'Neil & Sons", "given": "A."}, {"literal": "R Core Team"},
                       {"literal": "others"}],
            "container-title": "J. Fun_Stuff", "page": "1\u20139",
            "issued": {"date-parts": [[2020, 2, 29]]}, "DOI": "10.1000/a_b%c"}


def test_bibtex_escapes_specials():
    text = refio.to_bibtex([SPECIALS])
    assert (r"title = {{50\% of \#cases \& \$costs\_up \{braced\} \textasciitilde{}tilde "
            r"\textasciicircum{}caret back\textbackslash{}slash}}") in text
    assert r"author = {{O'Neil \& Sons}, A. and {R Core Team} and others}" in text
    assert "pages = {1--9}" in text and "month = feb" in text
    assert "doi = {10.1000/a_b%c}" in text  # verbatim: the url package reads it


def test_bibtex_key_is_sanitised_and_unique():
    text = refio.to_bibtex([{"id": "a b,c", "title": "X"}, {"id": "a b,c", "title": "Y"}])
    assert "@article{a_b_c," in text and "@article{a_b_c_2," in text


def test_ris_writer_line_format():
    text = refio.to_ris([SPECIALS])
    lines = text.splitlines()
    assert lines[0] == "TY  - JOUR" and lines[-1] == "ER  - "
    assert "AU  - O'Neil & Sons, A." in lines and "AU  - R Core Team" in lines
    assert "AU  - others" not in lines  # RIS has no truncation marker
    assert {"SP  - 1", "EP  - 9", "PY  - 2020", "DA  - 2020/02/29/"} <= set(lines)
    assert all(line[2:6] == "  - " for line in lines)
    assert rispy.loads(text)[0]["title"] == SPECIALS["title"]


def test_csl_json_writer_is_valid_csl():
    items = json.loads(refio.to_csl_json([SPECIALS]))
    assert items == [SPECIALS]
    CSLItem.model_validate(items[0])


def normalised(item):
    """What survives every format: the fields both writers and readers carry."""
    keep = ("type", "title", "container-title", "volume", "issue", "page", "DOI", "URL", "publisher")
    out = {k: item[k] for k in keep if k in item}
    out["issued"] = item.get("issued")
    out["author"] = [a for a in item.get("author", []) if a != {"literal": "others"}]
    return out


@pytest.mark.parametrize("suffix", [".bib", ".ris"])
def test_round_trip_seed_references(tmp_path, suffix):
    """The 24 seed references: CSL -> export -> import gives the same references, and
    they format to the same Nature lines."""
    seed = json.loads(SEED_ITEMS_FILE.read_text(encoding="utf-8"))
    writer = refio.to_bibtex if suffix == ".bib" else refio.to_ris
    path = tmp_path / f"seed{suffix}"
    path.write_text(writer(seed), encoding="utf-8")
    back = refio.read_reference_file(path)
    assert [b["id"] for b in back] == [s["id"] for s in seed]
    for original, again in zip(seed, back):
        a, b = normalised(original), normalised(again)
        a["page"] = a.get("page", "").replace("-", "\u2013") or None
        b["page"] = b.get("page", "").replace("-", "\u2013") or None
        assert b == a
        if suffix == ".bib":  # BibTeX keeps the truncation marker: identical formatting
            assert cite.format_reference(again).text == cite.format_reference(original).text


def test_round_trip_specials_through_bibtex(tmp_path):
    path = tmp_path / "specials.bib"
    path.write_text(refio.to_bibtex([SPECIALS]), encoding="utf-8")
    (back,) = refio.read_reference_file(path)
    assert back["title"] == SPECIALS["title"]
    assert back["author"] == SPECIALS["author"]
    assert back["DOI"] == SPECIALS["DOI"]


# --------------------------------------------------------------------------- in a site


CASE = """\
title: Imported references
abstract: A case that cites its BibTeX file [@muller_hyponatraemia_2019].
references: {refs}
"""


def test_a_record_reads_bib_and_ris_beside_it(tmp_path, capsys):
    cases = tmp_path / "cases"
    write_case(tmp_path, "a.yaml", CASE.format(refs="zotero.bib"))
    write_case(tmp_path, "b.yaml", CASE.format(refs="zotero.ris").replace("muller_hyponatraemia_2019", "muller2019"))
    for name in ("zotero.bib", "zotero.ris"):
        (cases / name).write_bytes((REFIO / name).read_bytes())
    code, out, err = run_cli(capsys, "check", "--cases", str(cases))
    assert code == 0, out
    assert not [line for line in out.splitlines() if "warning:" not in line], out  # lints only


def test_check_reports_the_line_in_a_broken_bib(tmp_path, capsys):
    cases = tmp_path / "cases"
    write_case(tmp_path, "a.yaml", CASE.format(refs="refs.bib"))
    (cases / "refs.bib").write_text("@article{muller_hyponatraemia_2019, title={x}}\n\n@article{bad,\n title={\n",
                                    encoding="utf-8")
    code, out, err = run_cli(capsys, "check", "--cases", str(cases))
    assert code == 1
    (line,) = [line for line in out.splitlines() if "refs.bib" in line]
    assert line.startswith(f"{cases / 'refs.bib'}:3:1: ")
    assert line.endswith("BibTeX entry cannot be read: Unexpectedly reached end of file.; "
                         "check its braces, quotes and the commas between fields")
    assert "Traceback" not in out + err


def test_check_refuses_other_reference_file_types(tmp_path, capsys):
    cases = tmp_path / "cases"
    write_case(tmp_path, "a.yaml", CASE.format(refs="refs.enw"))
    (cases / "refs.enw").write_text("%0 Journal Article\n", encoding="utf-8")
    code, out, _ = run_cli(capsys, "check", "--cases", str(cases))
    assert code == 1
    assert out.splitlines()[0].startswith(f"{cases / 'a.yaml'}:3:13: ")
    assert out.splitlines()[0].endswith(
        "reference file 'refs.enw' is not CSL-JSON, BibTeX, RIS or MEDLINE; name a .json (CSL-JSON), "
        ".bib (BibTeX), .ris (RIS) or .nbib (PubMed MEDLINE) file exported from Zotero, PubMed or another "
        "reference manager")


# --------------------------------------------------------------------------- grandrounds cite

CITED = """\
title: A summary of a published case
date: "2021-03-04"
authors: [{name: "Okafor, N."}]
abstract: Summary text.
source:
  id: orig
  type: article-journal
  title: The original report
  author: [{family: Okafor, given: N.}, {family: Lee, given: S.}]
  container-title: Case Rep. Med.
  volume: "5"
  page: 10-12
  issued: {date-parts: [[2020]]}
  DOI: 10.1000/orig.1
"""


@pytest.fixture()
def cite_site(tmp_path, monkeypatch):
    write_case(tmp_path, "summary-one.yaml", CITED)
    write_case(tmp_path, "own-case.yaml", "title: Our own case\ndate: '2022'\n"
                                          "authors: [{name: 'Ruiz, M.'}, {name: 'Chen, L.'}]\nabstract: Text.\n")
    (tmp_path / "mkdocs.yml").write_text("site_name: Ward Teaching\nsite_url: https://ward.example/cases/\n"
                                         "markdown_extensions:\n  - pymdownx.emoji:\n"
                                         "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n",
                                         encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cite_summary_text_uses_mkdocs_site_name_and_url(cite_site, capsys):
    code, out, err = run_cli(capsys, "cite", "own-case")
    assert code == 0, err
    assert out == "Ruiz, M. & Chen, L. Our own case. Ward Teaching https://ward.example/cases/own-case/ (2022).\n"


def test_cite_summary_of_a_published_article_has_no_borrowed_authors(cite_site, capsys):
    code, out, _ = run_cli(capsys, "cite", "cases/summary-one.yaml", "--format", "csl-json")
    (item,) = json.loads(out)
    assert "author" not in item
    assert item["URL"] == "https://ward.example/cases/summary-one/"
    assert item["container-title"] == item["publisher"] == "Ward Teaching"
    assert item["issued"] == {"date-parts": [[2021, 3, 4]]}


@pytest.mark.parametrize("fmt,start", [("ris", "TY  - JOUR\nID  - orig\nAU  - Okafor, N.\n"),
                                       ("bibtex", "@article{orig,\n  author = {Okafor, N. and Lee, S.},\n"),
                                       ("text", "Okafor, N. & Lee, S. The original report.")])
def test_cite_original(cite_site, capsys, fmt, start):
    code, out, _ = run_cli(capsys, "cite", "summary-one", "--original", "--format", fmt)
    assert code == 0 and out.startswith(start)


def test_cite_mistakes_are_messages(cite_site, capsys):
    code, _, err = run_cli(capsys, "cite", "own-case", "--original")
    assert code == 1 and "has no `source:`" in err
    code, _, err = run_cli(capsys, "cite", "missing-case")
    assert code == 2 and "no case 'missing-case'" in err
    code, _, err = run_cli(capsys, "cite", "own-case", "--style", "harvard")
    assert code == 2 and "unknown style 'harvard'" in err


def test_a_broken_bib_fails_mkdocs_build_with_its_line(tmp_path):
    from conftest import copy_project, run_mkdocs

    project = copy_project(tmp_path / "project")
    bib = project / "cases" / "anti-nmda-encephalitis.bib"
    lines = bib.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("@article{dalmau2007"))
    lines[start] = "@article{,"  # the key deleted
    bib.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_mkdocs(project)
    assert result.returncode == 1
    assert f"cases/anti-nmda-encephalitis.bib:{start + 1}:1: " in result.stdout
    assert "@article entry has no citation key" in result.stdout
    assert "Traceback" not in result.stdout


def test_ris_with_crlf_and_a_byte_order_mark(tmp_path):
    """EndNote and PubMed write CRLF line ends; some tools add a BOM."""
    path = tmp_path / "pubmed.ris"
    path.write_bytes("\ufeffTY  - JOUR\r\nTI  - A title\r\n  continued here\r\nAU  - Lee, S.\r\nPY  - 2001\r\nER  - \r\n"
                     .encode("utf-8"))
    (item,) = refio.read_reference_file(path)
    assert item == {"type": "article-journal", "title": "A title continued here",
                    "author": [{"family": "Lee", "given": "S."}], "issued": {"date-parts": [[2001]]},
                    "id": "lee2001"}


@pytest.mark.parametrize("line", ["TY  -JOUR", "TY - JOUR", "ty  - JOUR", " TY  - JOUR"])
def test_ris_tag_lines_rispy_would_misread(tmp_path, line):
    message = ris_error(tmp_path, f"{line}\nTI  - x\nER  - \n")
    assert message.splitlines()[0].startswith("refs.ris:1:1: malformed RIS tag line")


def test_ris_er_without_trailing_space_is_fine(tmp_path):
    path = tmp_path / "trimmed.ris"
    path.write_text("TY  - JOUR\nID  - a1\nTI  - Trimmed\nER  -\n", encoding="utf-8")
    assert refio.read_reference_file(path)[0]["id"] == "a1"


# --------------------------------------------------------------------------- limits


def _read_errors(path: Path) -> list[str]:
    with pytest.raises(CaseErrors) as caught:
        refio.read_reference_file(path)
    return [str(p) for p in caught.value.problems]


@pytest.mark.parametrize("opening", ["[", "{\"a\": "])
def test_json_nested_100000_deep_is_a_located_error(tmp_path, opening):
    path = tmp_path / "refs.json"
    path.write_text("[\n" + opening * 100_000 + "1", encoding="utf-8")
    (line,) = _read_errors(path)
    col = 1 + len(opening) * 19  # the 21st level: the outer list on line 1 is the first
    assert line.startswith(f"{path}:2:{col}: JSON nested more than 20 levels deep;"), line


def test_json_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    path = tmp_path / "refs.json"
    path.write_text(json.dumps([{"id": "a", "type": "book", "title": "[" * 500 + "{\\\"" * 100}]),
                    encoding="utf-8")
    assert refio.read_reference_file(path)[0]["title"].startswith("[[[")


@pytest.mark.parametrize("escape, name", [("\\ud800", "a lone surrogate"), ("\\udfff", "a lone surrogate"),
                                          ("\\u0007", "a control character or non-character"),
                                          ("\\uFFFE", "a control character or non-character"),
                                          ("\\u009b", "a control character or non-character")])
def test_json_escape_of_what_no_text_may_hold_is_refused_where_it_is(tmp_path, escape, name):
    path = tmp_path / "refs.json"
    path.write_text('[\n  {"id": "a", "type": "book",\n   "title": "ok ' + escape + '"}\n]\n', encoding="utf-8")
    (line,) = _read_errors(path)
    assert line == (f"{path}:3:17: '{escape}' is {name}, not text; "
                    "delete it, or export the file again as UTF-8")


def test_json_surrogate_pairs_tabs_and_escaped_backslashes_are_fine(tmp_path):
    path = tmp_path / "refs.json"
    path.write_text('[{"id": "a", "type": "book", "title": "\\ud83d\\ude00 \\t \\\\ud800 \\u00e9"}]',
                    encoding="utf-8")
    assert refio.read_reference_file(path)[0]["title"] == "\U0001F600 \t \\ud800 é"


def test_json_items_pass_the_value_rules_at_their_line(tmp_path):
    path = tmp_path / "refs.json"
    items = [{"id": "a", "type": "book", "title": "fine"},
             {"id": "b", "type": "book", "title": "x" * 100_001}]
    path.write_text(json.dumps(items, indent=1), encoding="utf-8")
    (line,) = _read_errors(path)
    assert line.startswith(f"{path}:7:1: field title: text is 100,001 characters, over the 100,000-character limit")


def test_reference_file_over_the_byte_limit_is_refused_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(refio, "MAX_REFERENCE_FILE_BYTES", 1_000)
    for suffix in (".json", ".bib", ".ris"):
        path = tmp_path / f"refs{suffix}"
        path.write_text(" " * 1_001, encoding="utf-8")
        (line,) = _read_errors(path)
        assert line.startswith(f"{path}:1:1: reference file is 1,001 bytes, over the 1,000-byte limit;")


def test_bib_control_character_is_refused_at_its_entry(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("@book{a, title={fine}}\n\n@book{b,\n title={bad \x1b[31m}}\n", encoding="utf-8")
    (line,) = _read_errors(path)
    assert line.startswith(f"{path}:3:1: field title: escape (U+001B) is not allowed in text;"), line


def test_ris_control_character_is_refused_at_its_record(tmp_path):
    path = tmp_path / "refs.ris"
    path.write_text("TY  - BOOK\nTI  - fine\nER  - \n\nTY  - BOOK\nTI  - form\x0cfeed\nER  - \n", encoding="utf-8")
    (line,) = _read_errors(path)
    assert line.startswith(f"{path}:6:11: form feed (U+000C) is not allowed in text;"), line


def test_bib_field_over_the_text_limit_is_refused_before_latex_decoding(tmp_path):
    path = tmp_path / "refs.bib"
    path.write_text("@article{long,\n title={" + "T{\\\"e}st " * 20_000 + "}}\n", encoding="utf-8")
    (line,) = _read_errors(path)
    assert line.startswith(f"{path}:1:1: entry 'long': field 'title' is over the 100,000-character limit")


def test_bib_latex_beyond_the_file_budget_is_refused_quickly(tmp_path):
    import time

    path = tmp_path / "refs.bib"
    title = 'M{\\"u}ller ' * 300  # 3,300 characters of LaTeX
    entries = [f"@article{{k{i},\n title={{{title}}}}}\n" for i in range(40)]
    path.write_text("\n".join(entries), encoding="utf-8")
    start = time.process_time()
    (line,) = _read_errors(path)
    assert time.process_time() - start < 4
    assert "holds more than 40,000 characters of LaTeX markup (from this entry on)" in line
    fit = refio.MAX_LATEX_CHARS // (len(title) + 20)  # 20: the cost counted for a call
    assert line.startswith(f"{path}:{1 + 3 * fit}:1: "), line  # the first entry that does not fit


def test_plain_bib_text_skips_pylatexenc_with_the_same_result():
    samples = ["A plain title", "Don't stop  me\nnow", "Well-known co-morbidity", "x/y + z = 1!?\"<>",
               "naïve café", "a-b's c"]
    decoder = refio._latex_decoder()
    for text in samples:
        assert refio._LATEX_FREE.match(text)
        assert refio.decode_latex(text) == " ".join(decoder.latex_to_text(text).split())
    for text in ["a--b", "{X}", "\\'e", "$x$", "50\\%", "``q''", "a~b"]:
        assert not refio._LATEX_FREE.match(text)


def test_check_fails_where_render_used_to_crash_on_a_surrogate(tmp_path, capsys):
    cases = tmp_path / "cases"
    write_case(tmp_path, "a.yaml", CASE.format(refs="refs.json").replace("muller_hyponatraemia_2019", "a"))
    (cases / "refs.json").write_text('[{"id": "a", "type": "book", "title": "\\udc00"}]', encoding="utf-8")
    code, out, err = run_cli(capsys, "check", "--cases", str(cases))
    assert code == 1 and "Traceback" not in out + err
    assert f"{cases / 'refs.json'}:1:40: " in out and "lone surrogate" in out
    code, out, err = run_cli(capsys, "render", "--cases", str(cases), "--out", str(tmp_path / "out"))
    assert code == 1 and "Traceback" not in out + err and "lone surrogate" in out + err
