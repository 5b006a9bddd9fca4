"""`grandrounds import ARTICLE.xml`: JATS articles to draft records (record/jats.py, cli import)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from grandrounds.cli import main
from grandrounds.errors import CaseErrors
from grandrounds.record import jats
from grandrounds.record.library import read_case

FIXTURES = Path(__file__).parent / "fixtures" / "jats"


def _import(tmp_path: Path, name: str, *extra: str, images: bool = False) -> tuple[int, Path]:
    article = tmp_path / name
    shutil.copy(FIXTURES / name, article)
    if images:
        from PIL import Image

        Image.new("RGB", (30, 20), (200, 10, 10)).save(tmp_path / "jtc-17-g001.tif")
    cases = tmp_path / "cases"
    code = main(["import", str(article), "--cases", str(cases), *extra])
    return code, cases


def _record(cases: Path) -> dict:
    (path,) = sorted(cases.glob("*.yaml"))
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_cc_by_article_imports_prose_metadata_and_references(tmp_path):
    code, cases = _import(tmp_path, "cc-by-structured.xml", images=True)
    assert code == 0
    data = _record(cases)
    assert data["status"] == "draft" and "authors" not in data and "license" not in data
    assert data["title"] == "Late Bartonella endocarditis after valve repair"
    assert data["keywords"] == ["endocarditis", "Bartonella quintana"]
    assert data["abstract"] == {"background": "Culture-negative endocarditis is hard to diagnose.",
                                "case_presentation": "A man in his sixties had fever and weight loss.",
                                "conclusions": "Serology and PCR gave the diagnosis."}
    assert data["introduction"] == "Bartonella causes 3% of endocarditis [@r1]."
    assert "[@r2; @r3]" in data["presentation"] and "**Treatment.**" in data["presentation"]
    assert "Think of Bartonella." in data["discussion"]
    assert data["patient_perspective"] == "I was relieved."
    assert data["competing_interests"] == "None declared."
    assert data["data_availability"] == "All data are in the article."
    assert data["ethics_approval"].startswith("Not required")
    assert data["consent"]["statement"] == "Obtained."
    assert data["funding"] == [{"funder": "Research Foundation Flanders", "award": ["G0A1234N"]}]
    source = data["source"]
    assert source["license"] == "CC-BY-4.0"
    assert source["DOI"] == "10.9999/jtc.2021.17" and source["PMID"] == "31000001" and source["PMCID"] == "PMC9000001"
    assert source["issued"] == {"date-parts": [[2021, 3, 14]]}  # epub, not PMC's release date
    assert source["page"] == "e0417" and source["volume"] == "9" and source["issue"] == "2"
    assert source["author"][0] == {"family": "Okafor", "given": "Ngozi A.",
                                   "affiliation": "Department of Cardiology, Example University Hospital, Ghent, Belgium",
                                   "ORCID": "https://orcid.org/0000-0002-1825-0097"}
    assert source["author"][2] == {"literal": "Northern Endocarditis Network"}
    text = next(cases.glob("*.yaml")).read_text(encoding="utf-8")
    assert "Literature review" in text.split("schema_version")[0]  # unmapped, named at the top
    # the record reads back as a valid draft
    case = read_case(next(cases.glob("*.yaml")), cases)
    assert case.status == "draft" and len(case.references) == 7


def test_references_every_kind(tmp_path):
    _, cases = _import(tmp_path, "cc-by-structured.xml")
    refs = {r["id"]: r for r in _record(cases)["references"]}
    assert list(refs) == ["r1", "r2", "r3", "r4", "r5", "r6", "r7"]
    r1 = refs["r1"]
    assert r1["author"][-1] == {"literal": "others"}
    assert r1["title"] == ("Epidemiology of <i>Bartonella</i> endocarditis: CO<sub>2</sub> and "
                           "Ca<sup>2+</sup> <b>matter</b>")
    assert r1["issue"] == "2 Suppl 1" and r1["page"] == "131-140"
    assert r1["issued"] == {"date-parts": [[2010, 6]]}
    assert (r1["DOI"], r1["PMID"], r1["PMCID"], r1["language"]) == ("10.1086/653675", "20540619", "PMC1234567", "en")
    assert refs["r2"]["type"] == "book" and refs["r2"]["title"].startswith("Principles")
    assert refs["r2"]["publisher"] == "Elsevier" and refs["r2"]["edition"] == "9th"
    r3 = refs["r3"]
    assert r3["type"] == "chapter" and r3["title"] == "Infective endocarditis"
    assert r3["container-title"] == "Infectious Diseases" and len(r3["editor"]) == 2
    assert refs["r4"]["author"] == [{"literal": "ESC Task Force"}] and refs["r4"]["page"] == "e3075"
    assert refs["r5"]["type"] == "webpage" and refs["r5"]["URL"] == "https://www.who.int/example"
    assert refs["r5"]["accessed"] == {"date-parts": [[2021, 1, 5]]}
    assert refs["r6"]["type"] == "report" and refs["r6"]["title"] == "Annual surveillance report 2019"
    assert refs["r7"]["type"] == "paper-conference" and refs["r7"]["event-title"] == "ECCMID 2019"


def test_figures_tables_and_tiff_conversion(tmp_path):
    _, cases = _import(tmp_path, "cc-by-structured.xml", images=True)
    data = _record(cases)
    (fig,) = data["figures"]  # figure 2 has no file beside the article: a commented entry
    assert fig["alt"].startswith("Echocardiogram with a 12 mm")  # the article's <alt-text>
    png = cases / fig["file"]
    assert png.suffix == ".png" and png.read_bytes().startswith(b"\x89PNG")
    from PIL import Image

    with Image.open(png) as image:
        assert image.getpixel((0, 0)) == (200, 10, 10)  # lossless
    text = next(cases.glob("*.yaml")).read_text(encoding="utf-8")
    assert "#     alt: Histology of the excised valve" in text  # alt from the caption, for review
    (table,) = data["tables"]  # table 2 spans rows: not converted
    assert table["content"].splitlines()[:2] == ["| Test | Result |", "|---|---|"]
    assert "| *Bartonella* IgG | 1:1024 |" in table["content"]


def test_non_reusable_licence_keeps_prose_out(tmp_path, capsys):
    code, cases = _import(tmp_path, "nc-nd-series.xml")
    assert code == 0
    data = _record(cases)
    assert data["type"] == "case-series"
    assert data["source"]["license"] == "CC-BY-NC-ND-4.0"
    assert data["abstract"] == ""
    for field in ("introduction", "presentation", "discussion", "figures"):
        assert field not in data
    text = next(cases.glob("*.yaml")).read_text(encoding="utf-8")
    assert "measles" not in text.split("references:")[0].split("title:", 1)[1].split("\n", 1)[1]
    assert '"2. Case series": 6 words in 1 paragraph' in text
    assert "MRI of case 1" not in text
    refs = data["references"]
    assert refs[0]["author"] == [{"family": "Perry", "given": "RT"}, {"family": "Halsey", "given": "NA"}]
    assert refs[0]["page"] == "S4-16"
    assert refs[1]["title"].startswith("Anonymous. A note")  # unstructured: its text kept
    assert data["source"]["issued"] == {"date-parts": [[2019, 11]]} and data["source"]["page"] == "201-205"
    read_case(next(cases.glob("*.yaml")), cases)


@pytest.mark.parametrize("url, spdx, reusable", [
    ("https://creativecommons.org/licenses/by/4.0/", "CC-BY-4.0", True),
    ("http://creativecommons.org/licenses/by-sa/3.0/legalcode", "CC-BY-SA-3.0", True),
    ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0-1.0", True),
    ("https://creativecommons.org/licenses/by/3.0/igo/", "CC-BY-3.0-IGO", True),
    ("https://creativecommons.org/licenses/by-nc/4.0/", "CC-BY-NC-4.0", False),
    ("https://creativecommons.org/licenses/by-nd/2.0/", "CC-BY-ND-2.0", False),
    ("https://www.elsevier.com/open-access/userlicense/1.0/", None, False),
    ("", None, False),
])
def test_licence_allow_list(url, spdx, reusable):
    href = f' xlink:href="{url}"' if url else ""
    xml = (f'<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta><permissions>'
           f'<license license-type="open-access"{href}><license-p>Open access</license-p></license>'
           f'</permissions></article-meta></front></article>').encode()
    licence = jats.licence_of(jats.parse_bytes(xml))
    assert (licence.spdx, licence.reusable) == (spdx, reusable)


def test_nc_link_beside_cc_by_is_not_reusable():
    xml = (b'<article xmlns:xlink="http://www.w3.org/1999/xlink"><front><article-meta><permissions>'
           b'<license xlink:href="https://creativecommons.org/licenses/by/4.0/"><license-p>See '
           b'<ext-link xlink:href="https://creativecommons.org/licenses/by-nc-nd/4.0/">terms</ext-link>'
           b'</license-p></license></permissions></article-meta></front></article>')
    assert not jats.licence_of(jats.parse_bytes(xml)).reusable


@pytest.mark.parametrize("name, where", [("malformed.xml", ":4:3: malformed XML"),
                                         ("entities.xml", ":3:12: the document declares an entity")])
def test_bad_xml_is_located_and_writes_nothing(tmp_path, capsys, name, where):
    code, cases = _import(tmp_path, name)
    assert code == 1
    assert where in capsys.readouterr().err
    assert not cases.exists() or not any(cases.iterdir())


def test_external_entity_is_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = (f'<!DOCTYPE article [<!ENTITY x SYSTEM "file://{secret}">]><article>&x;</article>').encode()
    with pytest.raises(CaseErrors) as exc:
        jats.parse_bytes(xml, "a.xml")
    assert "declares an entity" in str(exc.value) and "TOPSECRET" not in str(exc.value)


def test_deep_nesting_is_refused():
    xml = b"<article>" + b"<sec>" * 500 + b"</sec>" * 500 + b"</article>"
    with pytest.raises(CaseErrors, match="nested more than"):
        jats.parse_bytes(xml, "deep.xml")


def test_existing_record_needs_force(tmp_path, capsys):
    assert _import(tmp_path, "nc-nd-series.xml", "--id", "measles")[0] == 0
    record = tmp_path / "cases" / "measles.yaml"
    record.write_text(record.read_text() + "# my edits\n")
    code, _ = _import(tmp_path, "nc-nd-series.xml", "--id", "measles")
    assert code == 1 and "already exists" in capsys.readouterr().err
    assert record.read_text().endswith("# my edits\n")
    assert _import(tmp_path, "nc-nd-series.xml", "--id", "measles", "--force")[0] == 0
    assert not record.read_text().endswith("# my edits\n")
    code, _ = _import(tmp_path, "nc-nd-series.xml", "--id", "MEASLES")
    assert code == 1 and "letter case" in capsys.readouterr().err


def test_unknown_suffix_is_a_usage_error(tmp_path, capsys):
    article = tmp_path / "article.pdf"
    article.write_bytes(b"%PDF")
    assert main(["import", str(article), "--cases", str(tmp_path / "cases")]) == 2


def test_hundreds_of_references_are_all_imported(tmp_path):  # speed: benchmarks/bench_import.py
    ref = (FIXTURES / "cc-by-structured.xml").read_text(encoding="utf-8")
    one = ref.split('<ref id="r1">')[1].split("</ref>")[0]
    many = "".join(f'<ref id="x{i}">{one}</ref>' for i in range(600))
    big = tmp_path / "big.xml"
    big.write_text(ref.replace("</ref-list>", many + "</ref-list>"), encoding="utf-8")
    draft = jats.draft_from_file(big, slug="big", today="2026-01-01")
    text = jats.record_text(draft)
    assert len(draft.data["references"]) == 607 and "x599" in text



def test_a_multi_page_tiff_is_refused_not_cut_to_its_first_page(tmp_path, capsys):
    from PIL import Image

    pages = [Image.new("RGB", (30, 20), colour) for colour in ((200, 10, 10), (10, 200, 10))]
    pages[0].save(tmp_path / "jtc-17-g001.tif", save_all=True, append_images=pages[1:])
    code, cases = _import(tmp_path, "cc-by-structured.xml")
    out, err = capsys.readouterr()
    assert code == 1, out + err
    assert "jtc-17-g001.tif:1:1: the TIFF image has 2 pages, and a PNG holds one" in err
    assert not cases.exists() or not list(cases.rglob("*.*"))  # nothing written


def test_an_image_beside_the_article_passes_the_figure_check(tmp_path, capsys):
    from PIL import Image

    Image.new("L", (8000, 6000)).save(tmp_path / "jtc-17-g001.tif", compression="tiff_lzw")  # 48 MP: over the limit
    code, cases = _import(tmp_path, "cc-by-structured.xml")
    out, err = capsys.readouterr()
    assert code == 1 and "over the 40,000,000-pixel limit" in err, out + err
    assert not cases.exists() or not list(cases.rglob("*.*"))
