"""The bibliography: merge rules (pure), and the built example site: the bibliography
page lists each reference once with correct cited-by links, and every case page's
citation downloads exist, are in the site and parse."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urljoin

import pytest
import rispy

from conftest import ROOT, article, build_project, parse_html, read_html, run_cli
from grandrounds.site import bibliography
from grandrounds import cite
from grandrounds.record import refio
from grandrounds.site.bibliography import Citer, merge, merge_key, normalise_doi, normalise_title
from grandrounds.record.library import load_library
from grandrounds.site.render import RenderOptions
from grandrounds.site.view import public_view


def ref(id_, title="A title", year=2020, doi=None, family="Smith", **extra):
    item = {"id": id_, "type": "article-journal", "title": title,
            "author": [{"family": family, "given": "A."}], "issued": {"date-parts": [[year]]}}
    if doi:
        item["DOI"] = doi
    item.update(extra)
    return item


# --------------------------------------------------------------------------- merge rules


def test_normalise_doi_and_title():
    assert normalise_doi("https://doi.org/10.1056/NEJM200005253422107") == "10.1056/nejm200005253422107"
    assert normalise_doi("doi: 10.1000/ABC") == "10.1000/abc"
    assert normalise_doi("not a doi") == ""
    assert normalise_title("Anti-NMDA  receptor encephalitis: a Review.") == "anti nmda receptor encephalitis a review"
    assert normalise_title("Hyponatrémie") == normalise_title("hyponatremie")


def test_merge_key_prefers_doi_then_title_and_year():
    assert merge_key(ref("a", doi="10.1000/x")) == "doi:10.1000/x"
    assert merge_key(ref("a", title="Hello, World", year=1999)) == "title:hello world|1999"
    assert merge_key({"id": "z"}) is None


def test_same_doi_is_one_entry_whatever_the_titles():
    entries = merge([("c1", "Case one", [ref("x", "Title one", doi="10.1000/abc")]),
                     ("c2", "Case two", [ref("y", "Title One (corrected)", doi="https://doi.org/10.1000/ABC")])])
    assert len(entries) == 1
    assert entries[0].cited_by == [Citer("c1", "Case one", "x"), Citer("c2", "Case two", "y")]


def test_different_dois_are_never_merged():
    entries = merge([("c1", "One", [ref("x", "Same title", doi="10.1000/a")]),
                     ("c2", "Two", [ref("y", "Same title", doi="10.1000/b")])])
    assert len(entries) == 2


def test_without_doi_normalised_title_and_year_merge():
    entries = merge([("c1", "One", [ref("x", "Hyponatremia.")]),
                     ("c2", "Two", [ref("y", "HYPONATREMIA")]),
                     ("c3", "Three", [ref("z", "Hyponatremia", year=2021)])])
    assert sorted(len(e.cited_by) for e in entries) == [1, 2]


def test_a_title_only_copy_joins_the_doi_entry_of_the_same_work():
    entries = merge([("c1", "One", [ref("x", "Kawasaki disease")]),
                     ("c2", "Two", [ref("y", "Kawasaki Disease", doi="10.1000/kd")])])
    assert len(entries) == 1 and [c.case_id for c in entries[0].cited_by] == ["c1", "c2"]
    assert entries[0].item["DOI"] == "10.1000/kd"  # the fuller copy represents the work


def test_a_title_matching_two_dois_stays_separate():
    entries = merge([("c1", "One", [ref("x", "Editorial", doi="10.1000/a"), ref("y", "Editorial", doi="10.1000/b")]),
                     ("c2", "Two", [ref("z", "Editorial")])])
    assert len(entries) == 3


def test_items_without_doi_or_title_are_kept_apart():
    entries = merge([("c1", "One", [{"id": "q", "URL": "https://x.org"}]),
                     ("c2", "Two", [{"id": "q", "URL": "https://x.org"}])])
    assert len(entries) == 2


def test_a_case_citing_a_work_twice_is_listed_once():
    entries = merge([("c1", "One", [ref("x", doi="10.1000/a"), ref("x2", doi="10.1000/A")])])
    assert entries[0].cited_by == [Citer("c1", "One", "x")]


def test_sorted_by_first_author_then_year_then_title():
    entries = merge([("c", "C", [ref("b", "B", family="Zhang"), ref("a2", "Z", family="Ábel", year=2001),
                                 ref("a1", "Y", family="abel", year=2000),
                                 {"id": "g", "title": "Group", "author": [{"literal": "R Core Team"}]}])])
    assert [e.item["id"] for e in entries] == ["a1", "a2", "g", "b"]


# --------------------------------------------------------------------------- the built site


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    def prepare(project: Path) -> None:
        config = project / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "# site_url: https://example.github.io/grandrounds/", "site_url: https://example.org/gr/"),
            encoding="utf-8")
    return build_project(tmp_path_factory.mktemp("bib") / "project", prepare)


@pytest.fixture(scope="module")
def cases():
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return [c for c in load_library(Path("cases")).cases if c.status == "published"]


def test_the_example_site_imports_a_bib_file(cases):
    (nmda,) = [c for c in cases if c.slug == "anti-nmda-encephalitis"]
    assert nmda.references_file and nmda.references_file.endswith("anti-nmda-encephalitis.bib")
    assert any(a.get("family") == "Tüzün" for r in nmda.reference_items() for a in r.get("author", []))


def test_bibliography_lists_each_reference_once_with_its_citers(site, cases):
    page = article(read_html(site / "bibliography" / "index.html"))
    items = page.find_all("li")
    # cited-by links name each case as a reader first sees it (an unknown case by its teaching title)
    shown = {c.slug: public_view(c, RenderOptions()).title for c in cases}
    expected = bibliography.merge((c.slug, shown[c.slug], c.reference_items()) for c in cases)
    assert any(shown[c.slug] != c.title for c in cases)  # the example library has an unknown case
    assert len(items) == len(expected) > 30
    texts = [li.squashed() for li in items]
    assert len(set(texts)) == len(texts)
    for li, entry in zip(items, expected):
        formatted = parse_html(cite.format_reference(entry.item, "nature").html).squashed()
        assert li.squashed().startswith(formatted + " Cited by: ")
        links = li.find("span", cls="gr-cited-by").find_all("a")
        assert [a.text() for a in links] == [c.case_title for c in entry.cited_by]
        for a, citer in zip(links, entry.cited_by):
            target = urljoin("https://h/bibliography/", a.get("href"))
            assert target == f"https://h/{citer.case_id}/#ref-{citer.ref_id}"
            case_page = read_html(site / citer.case_id / "index.html")
            assert case_page.find(id_=f"ref-{citer.ref_id}") is not None


def test_home_page_links_the_bibliography(site):
    home = read_html(site / "index.html")
    assert any(a.get("href") == "bibliography/" for a in home.find_all("a"))


def download_links(page, section: str) -> dict[str, str]:
    heading = page.find("h2", id_=section)
    assert heading is not None, section
    siblings = heading.parent.children
    after = siblings[siblings.index(heading) + 1:]
    # the paragraph after the heading, or inside the reveal after it (an unknown case's
    # citation names its diagnosis, so it waits behind a reveal)
    blocks = [n for n in after if not isinstance(n, str)]
    para = next(n for n in blocks for n in ([n] if "gr-downloads" in n.classes else
                                            n.find_all("p", cls="gr-downloads") if n.tag == "details" else []))
    return {a.text(): a.get("href") for a in para.find_all("a")}


def test_every_case_offers_summary_downloads_that_parse(site, cases):
    for case in cases:
        page = article(read_html(site / case.slug / "index.html"))
        links = download_links(page, "cite-this-summary")
        assert set(links) == {"RIS", "BibTeX", "CSL-JSON"}
        files = {label: site / case.slug / href for label, href in links.items()}
        files = {label: path.resolve() for label, path in files.items()}
        assert files["RIS"] == (site / "cite" / f"{case.slug}.summary.ris").resolve()
        (csl,) = json.loads(files["CSL-JSON"].read_text(encoding="utf-8"))
        assert csl["title"] == case.title
        assert csl["URL"] == f"https://example.org/gr/{case.slug}/"
        assert csl["container-title"] == "Grand Rounds case library"
        (ris,) = rispy.loads(files["RIS"].read_text(encoding="utf-8"))
        assert ris["title"] == case.title and ris["urls"] == [csl["URL"]]
        (bib,) = refio.read_reference_file(files["BibTeX"])
        assert bib["title"] == case.title and bib["URL"] == csl["URL"]
        shown = page.find("p", cls="gr-cite-summary").squashed()
        assert shown == parse_html(cite.format_reference(csl, case.style or "nature").html).squashed()


def test_cite_the_original_downloads_match_the_source(site, cases):
    with_source = [c for c in cases if c.source]
    assert with_source
    for case in with_source:
        page = article(read_html(site / case.slug / "index.html"))
        links = download_links(page, "cite-the-original")
        source = case.source.as_csl()
        (csl,) = json.loads((site / case.slug / links["CSL-JSON"]).resolve().read_text(encoding="utf-8"))
        assert csl == source
        (bib,) = refio.read_reference_file((site / case.slug / links["BibTeX"]).resolve())
        assert (bib["DOI"], bib["title"]) == (source["DOI"], source["title"])
        (ris,) = refio.read_reference_file((site / case.slug / links["RIS"]).resolve())
        assert ris["author"] == [a for a in source["author"] if a != {"literal": "others"}]
    for case in (c for c in cases if not c.source):
        page = article(read_html(site / case.slug / "index.html"))
        assert page.find("h2", id_="cite-the-original") is None


def test_no_downloads_for_drafts_and_no_other_files(site, cases):
    expected = {f"{c.slug}.{which}{suffix}" for c in cases for which in ("summary", "original")
                for suffix in (".ris", ".bib", ".json") if which == "summary" or c.source}
    assert {p.name for p in (site / "cite").iterdir()} == expected


def test_render_out_writes_the_downloads_and_bibliography(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    out = tmp_path / "md"
    code, _, err = run_cli(capsys, "render", "--out", str(out), "--site-url", "https://x.org/")
    assert code == 0, err
    (csl,) = json.loads((out / "cite" / "dah-sle-msc.original.json").read_text(encoding="utf-8"))
    assert csl["id"] == "liang2010"
    bib_page = (out / "bibliography.md").read_text(encoding="utf-8")
    assert "<!-- grandrounds:listing -->" not in bib_page and 'href="../dah-sle-msc/#ref-ref01"' in bib_page
    summary = json.loads((out / "cite" / "dah-sle-msc.summary.json").read_text(encoding="utf-8"))
    assert summary[0]["URL"] == "https://x.org/dah-sle-msc/"


# --------------------------------------------------------------------------- incremental


def test_dirty_rebuilds_touch_the_bibliography_and_downloads_only_when_they_change(tmp_path):
    """In-process `serve --dirty` rebuilds (one plugin instance, as serve keeps it):
    MkDocs writes only files whose `is_modified()` is true, so output mtimes tell."""
    import shutil

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    project = tmp_path / "project"
    project.mkdir()
    for name in ("cases", "templates"):
        shutil.copytree(ROOT / name, project / name)
    shutil.copy2(ROOT / "mkdocs.yml", project / "mkdocs.yml")
    config = load_config(str(project / "mkdocs.yml"))
    config.plugins.on_startup(command="serve", dirty=True)
    site = Path(config.site_dir)

    def rebuild() -> dict[str, int]:
        build(config, dirty=True)
        return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}

    bib, ris = "bibliography/index.html", "cite/dah-sle-msc.summary.ris"
    first = rebuild()
    assert bib in first and ris in first
    record = project / "cases" / "dah-sle-msc.yaml"
    text = record.read_text(encoding="utf-8")

    # an edit outside references and title: the case page only
    assert "outcome: >-\n" in text
    record.write_text(text.replace("outcome: >-\n", "outcome: >-\n    Edited outcome.\n", 1), encoding="utf-8")
    second = rebuild()
    assert second["dah-sle-msc/index.html"] != first["dah-sle-msc/index.html"]
    assert "Edited outcome." in (site / "dah-sle-msc" / "index.html").read_text(encoding="utf-8")
    assert second[bib] == first[bib] and second[ris] == first[ris]

    # a reference's title: the bibliography too, but not the summary's downloads
    assert "Diffuse alveolar hemorrhage in Colombian" in text
    record.write_text(text.replace("Diffuse alveolar hemorrhage in Colombian", "Alveolar bleeding in Colombian"),
                      encoding="utf-8")
    third = rebuild()
    assert third[bib] != second[bib] and third[ris] == second[ris]
    assert "Alveolar bleeding in Colombian" in (site / bib).read_text(encoding="utf-8")

    # the case's title: its summary downloads change
    record.write_text(text.replace("title: Mesenchymal", "title: Stem cells", 1), encoding="utf-8")
    fourth = rebuild()
    assert fourth[ris] != third[ris]
    assert "TI  - Stem cells" in (site / ris).read_text(encoding="utf-8")
    assert fourth[bib] != third[bib]  # its "cited by" links carry the title
    assert ">Stem cells stem cell transplantation" in (site / bib).read_text(encoding="utf-8")

    # a removed case takes its downloads and its bibliography entries with it
    record.unlink()
    fifth = rebuild()
    assert not [p for p in fifth if p.startswith("cite/dah-sle-msc.")]
    assert "dah-sle-msc" not in (site / bib).read_text(encoding="utf-8")


def test_retitle_renames_citers_without_a_new_merge():
    entries = merge([("c1", "Old", [ref("x", doi="10.1000/a")]), ("c2", "Two", [ref("y", doi="10.1000/a")])])
    bibliography.retitle(entries, {"c1": "New"})
    assert entries[0].cited_by == [Citer("c1", "New", "x"), Citer("c2", "Two", "y")]
