"""Whole-site builds: `mkdocs build --strict` of a copy of the project, HTML checked.

Each site is built once per module (fixtures `site` and `variant`), so the module stays fast.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from urllib.parse import urldefrag, urljoin

import pytest
import yaml

from conftest import (GOLDEN, PNG_1PX, ROOT, SEED_NATURE_LINES, Node, article, build_project,
                      copy_project, json_strings, read_html, run_cli, run_mkdocs, squash, write_case)
from grandrounds.record.library import load_library
from grandrounds.site.listing_data import words as fold_words
from grandrounds.site.markup import markdown_to_text
from grandrounds.record.model import ABSTRACT_SECTION, SECTIONS, Case
from grandrounds.site.related import related_cases
from grandrounds.site.render import (RenderOptions, all_tags, case_features, display_name, hidden_abstract,
                                     hidden_sections, patient_line, reveal_prompt, section_order, slugify,
                                     tag_anchor)
from grandrounds.site.view import public_view

ORIGIN = "http://site.invalid/"


def resolve(page_url: str, href: str) -> str:
    """A link of the page at `page_url` (site-relative, e.g. 'dah-sle-msc/') as a
    site-relative URL ('tags/#tag-x')."""
    absolute = urljoin(ORIGIN + page_url, href)
    assert absolute.startswith(ORIGIN), href
    return absolute[len(ORIGIN):]


def strip_tags(text: str) -> str:
    return squash(html.unescape(re.sub(r"<[^>]+>", " ", text)))


# --------------------------------------------------------------------------- the cases


def _repository_cases() -> list[Case]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return load_library(Path("cases")).cases


CASES = _repository_cases()
PUBLISHED = [c for c in CASES if c.status == "published"]
DRAFTS = [c for c in CASES if c.status == "draft"]
BY_ID = {c.slug: c for c in CASES}
RELATED = related_cases([case_features(c) for c in PUBLISHED])  # ids; tests/test_related.py checks the scores
VIEWS = {c.slug: public_view(c, RenderOptions()) for c in CASES}  # the example site sets no teaching_hide
SHOWN = {slug: view.title for slug, view in VIEWS.items()}  # the title a reader sees first
SEED = "dah-sle-msc"
BROKEN_TITLE = "elderly-hyponatraemia-siadh"  # a title YAML must quote (it has a colon)
UNKNOWN_CASE = "palpitations-runner"  # an image challenge shown under its teaching.title until the reveal


def published_param(case_id: str, *, front_matter: bool = False):
    return pytest.param(case_id, id=case_id)


PUBLISHED_IDS = [c.slug for c in PUBLISHED]


def test_the_examples_have_published_cases_and_a_draft():
    assert SEED in PUBLISHED_IDS
    assert BROKEN_TITLE in PUBLISHED_IDS
    assert DRAFTS, "cases/ should keep a draft example"


def test_the_unknown_example_is_shown_under_its_teaching_title():
    case = BY_ID[UNKNOWN_CASE]
    assert case.type == "image-challenge" and case.status == "published"
    assert VIEWS[UNKNOWN_CASE].unknown and SHOWN[UNKNOWN_CASE] == case.teaching.title != case.title
    assert [c.slug for c in PUBLISHED if VIEWS[c.slug].unknown] == [UNKNOWN_CASE]


SECTION_HEADINGS = {  # each section's `##` heading, as the page prints it
    "introduction": "Introduction", "presentation": "Case presentation", "patients": "Patients",
    "timeline": "Timeline", "investigations": "Investigations", "diagnosis": "Diagnosis",
    "management": "Management", "outcome": "Outcome", "discussion": "Discussion",
    "learning_points": "Learning points", "patient_perspective": "Patient perspective",
    "figures": "Figures", "tables": "Tables",
}


def expected_sections(case: Case) -> list[str]:
    """The `##` headings a case page has, in page order, for what the record holds."""
    assert set(SECTION_HEADINGS) == set(SECTIONS)
    consent = case.consent
    wanted = [
        ("Abstract", True),
        *((SECTION_HEADINGS[name], True) for name in section_order(case)),
        ("Abbreviations", case.abbreviations),
        ("References", case.reference_items()),
        ("Acknowledgements", case.acknowledgements),
        ("Funding", case.funding),
        ("Competing interests", case.competing_interests),
        ("Author contributions", case.author_contributions),
        ("Data availability", case.data_availability),
        ("Ethics approval", case.ethics_approval),
        ("Consent", consent and (consent.obtained or consent.statement or consent.by != "not-stated")),
        ("Cite this summary", True),
        ("Cite the original", case.source),
        ("Related cases", RELATED.get(case.slug)),
    ]
    return [title for title, present in wanted if present]


# --------------------------------------------------------------------------- builds


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The example project, built as it is."""
    return build_project(tmp_path_factory.mktemp("site"))


TRICKY_TITLE = "<b>*bold*_x_ | y</b>"
EDIT_REPO = "https://github.com/example/cases"


def _prepare_variant(project: Path) -> None:
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8")
                      + f"\nrepo_url: {EDIT_REPO}\nedit_uri: edit/main/cases/\n", encoding="utf-8")
    write_case(project, "tricky-title", f"""
        title: "{TRICKY_TITLE}"
        abstract: Plain-text fields print as themselves.
        specialties: [rheumatology]
        tags: [escaping]
    """)
    (project / "cases" / "about.md").write_text(
        "# About\n\nThis library is written by hand for teaching rounds.\n", encoding="utf-8")
    figures = project / "cases" / "figures"
    figures.mkdir(exist_ok=True)
    (figures / "ct-chest.png").write_bytes(PNG_1PX)
    (project / "cases" / "figure-case-refs.json").write_text(json.dumps([{
        "id": "r1", "type": "article-journal", "title": "A reference kept in a file",
        "author": [{"family": "Smith", "given": "J."}], "container-title": "BMJ",
        "volume": "1", "page": "1-2", "issued": {"date-parts": [[2020]]}}]), encoding="utf-8")
    write_case(project, "figure-case", """
        title: A case with a figure
        abstract: A chest CT.
        specialties: [radiology]
        investigations:
          - name: CT chest
            result: Consolidation
            figure: ct
        figures:
          - id: ct
            label: Figure 1
            file: figures/ct-chest.png
            caption: Axial CT of the chest.
            alt: Axial CT image showing right lower lobe consolidation
        references: figure-case-refs.json
    """)


@pytest.fixture(scope="module")
def variant(tmp_path_factory) -> Path:
    """The example project plus a tricky title, a hand-written page, a figure, a reference
    file and an edit link."""
    return build_project(tmp_path_factory.mktemp("variant"), _prepare_variant)


def page(site_dir: Path, url: str) -> Node:
    path = site_dir / url / "index.html"
    assert path.is_file(), f"{url} was not built"
    return read_html(path)


def h2s(body: Node) -> list[str]:
    return [h.squashed() for h in body.find_all("h2")]


def section(body: Node, heading_id: str) -> list[Node]:
    """The elements after the `<h2 id=heading_id>` up to the next h2 (siblings)."""
    heading = body.find("h2", id_=heading_id)
    assert heading is not None, f"no h2#{heading_id}"
    siblings = [c for c in heading.parent.children if isinstance(c, Node)]
    start = siblings.index(heading) + 1
    out = []
    for node in siblings[start:]:
        if node.tag == "h2":
            break
        out.append(node)
    return out


def search_docs(site_dir: Path) -> list[dict]:
    return json.loads((site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]


# --------------------------------------------------------------------------- case pages


@pytest.mark.parametrize("case_id", PUBLISHED_IDS)
def test_case_page_has_one_h1_equal_to_the_title(site, case_id):
    body = article(page(site, case_id))
    assert [h.squashed() for h in page(site, case_id).find_all("h1")] == [SHOWN[case_id]]
    assert body.find("h1").squashed() == SHOWN[case_id]


def test_unknown_case_names_its_real_title_only_behind_reveals(site):
    doc = page(site, UNKNOWN_CASE)
    real_title = BY_ID[UNKNOWN_CASE].title
    reveals = article(doc).find_all("details", cls="gr-reveal")
    (named,) = [b for b in reveals if b.get("data-section") == "diagnosis"]
    assert named.find("p", cls="gr-real-title").squashed() == f"This case: {real_title}"
    raw = (site / UNKNOWN_CASE / "index.html").read_text(encoding="utf-8")
    assert html.unescape(raw).count(real_title) == sum(b.squashed().count(real_title) for b in reveals) >= 2
    assert real_title not in page(site, "").squashed()


@pytest.mark.parametrize("case_id", PUBLISHED_IDS)
def test_case_page_sections_are_those_of_the_record(site, case_id):
    assert h2s(article(page(site, case_id))) == expected_sections(BY_ID[case_id])


def test_image_challenge_shows_its_figures_right_after_the_presentation(site):
    assert h2s(article(page(site, UNKNOWN_CASE))) == [  # by hand from the record
        "Abstract", "Case presentation", "Figures", "Investigations", "Diagnosis", "Management", "Outcome",
        "Learning points", "References", "Consent", "Cite this summary", "Related cases"]


@pytest.mark.parametrize("case_id", [published_param(c, front_matter=True) for c in PUBLISHED_IDS])
def test_case_page_html_title_is_the_case_title(site, case_id):
    title = page(site, case_id).find("title").squashed()
    assert title.startswith(SHOWN[case_id] + " - ")


@pytest.mark.parametrize("case_id", [published_param(c, front_matter=True) for c in PUBLISHED_IDS])
def test_case_page_has_no_front_matter_text_and_a_description(site, case_id):
    doc = page(site, case_id)
    body = article(doc).squashed()
    assert "description:" not in body and "tags: -" not in body
    meta = doc.find("meta", name="description")
    assert meta is not None and meta.get("content", "").split()[:3] == \
        markdown_to_text(BY_ID[case_id].abstract if isinstance(BY_ID[case_id].abstract, str)
                         else next(iter(BY_ID[case_id].abstract.values()))).split()[:3]


def test_seed_case_has_24_references_matching_the_nature_fixture(site):
    items = [li for node in section(article(page(site, SEED)), "references") for li in node.find_all("li")]
    assert len(items) == 24
    assert [li.get("id") for li in items] == [f"ref-ref{n:02d}" for n in range(1, 25)]
    assert [li.squashed() for li in items] == SEED_NATURE_LINES


def test_seed_case_cites_the_original_with_a_doi_link(site):
    nodes = section(article(page(site, SEED)), "cite-the-original")
    links = [a.get("href") for n in nodes for a in n.find_all("a")]
    assert "https://doi.org/10.1038/nrrheum.2010.80" in links


def test_disclaimer_from_mkdocs_yml_on_every_case_page(site):
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    options = next(p["grandrounds"] for p in config["plugins"] if isinstance(p, dict) and "grandrounds" in p)
    disclaimer = squash(options["disclaimer"])
    assert len(disclaimer) > 20
    for case_id in PUBLISHED_IDS:
        assert disclaimer in article(page(site, case_id)).squashed(), case_id


def test_case_page_tag_chips_link_to_tag_pages(site):
    tags_doc = page(site, "tags")
    anchors = {n.get("id") for n in article(tags_doc).iter() if (n.get("id") or "").startswith("tag-")}
    for case_id in PUBLISHED_IDS:
        doc = page(site, f"{case_id}")
        chips = [resolve(f"{case_id}/", a.get("href")) for a in doc.find_all("a", cls="md-tag")]
        expected = [f"tags/{slugify(t)}/" for t in all_tags(BY_ID[case_id])]
        assert chips == expected, case_id
        for chip in chips:
            assert (site / chip / "index.html").is_file(), chip
        # the anchors old links used (tags/#tag-x) are still on the tags index
        assert {tag_anchor(t) for t in all_tags(BY_ID[case_id])} <= anchors


# --------------------------------------------------------------------------- listings


def home_rows(site_dir: Path) -> tuple[list[str], list[list[Node]]]:
    table = article(page(site_dir, "")).find("table")
    assert table is not None, "no table on the home page"
    header = [th.squashed() for th in table.find_all("th")]
    rows = [tr.find_all("td") for tr in table.find("tbody").find_all("tr")]
    return header, rows


def test_home_table_lists_every_published_case(site):
    header, rows = home_rows(site)
    assert len(header) == 5
    for word, cell in zip(("case", "special", "patient", "diagnos", "year"), header):
        assert word in cell.lower(), header
    by_href = {}
    for cells in rows:
        link = cells[0].find("a")
        by_href[resolve("", link.get("href"))] = cells
    assert set(by_href) == {f"{c.slug}/" for c in PUBLISHED}
    for case in PUBLISHED:
        cells = by_href[f"{case.slug}/"]
        assert cells[0].squashed() == SHOWN[case.slug]
        specialties = [(a.squashed(), resolve("", a.get("href"))) for a in cells[1].find_all("a")]
        assert specialties == [(display_name(s), f"specialties/{slugify(s)}/") for s in case.specialties]
        assert cells[2].squashed() == patient_line(case)
        if "diagnosis" in VIEWS[case.slug].hidden:  # teaching mode: not named before the reveal
            assert cells[3].squashed() == "on the case page"
        else:
            assert cells[3].squashed() == markdown_to_text(case.final_diagnosis)
        assert cells[4].squashed() == (case.year or "")


def test_home_table_is_newest_first(site):
    _, rows = home_rows(site)
    dates = [BY_ID[resolve("", cells[0].find("a").get("href")).rstrip("/")].date or "" for cells in rows]
    assert dates == sorted(dates, reverse=True)


def test_home_page_leaves_out_the_draft(site):
    text = article(page(site, "")).squashed()
    for draft in DRAFTS:
        assert draft.title not in text
        assert not (site / draft.slug).exists()
    assert "(draft)" not in text


def test_specialty_pages_list_their_cases(site):
    specialties = {slugify(s): display_name(s) for c in PUBLISHED for s in c.specialties}
    built = {p.name for p in (site / "specialties").iterdir() if p.is_dir()}
    assert built == set(specialties)
    for slug, name in specialties.items():
        url = f"specialties/{slug}/"
        body = article(page(site, url))
        assert body.find("h1").squashed() == name
        linked = {resolve(url, a.get("href")) for a in body.find_all("a") if a.get("href")
                  and not a.get("href").startswith("#")}
        members = {f"{c.slug}/" for c in PUBLISHED if slug in {slugify(s) for s in c.specialties}}
        assert members <= linked, slug
        assert not ({f"{c.slug}/" for c in CASES} - members) & linked, slug


def test_no_specialty_page_for_a_specialty_only_drafts_have(site):
    draft_only = {slugify(s) for c in DRAFTS for s in c.specialties} - \
                 {slugify(s) for c in PUBLISHED for s in c.specialties}
    assert draft_only, "the draft example should have a specialty of its own"
    for slug in draft_only:
        assert not (site / "specialties" / slug).exists()


def test_tags_index_links_each_tag_page_which_lists_its_cases(site):
    body = article(page(site, "tags"))
    entries = {li.get("id"): li for li in body.find_all("li") if (li.get("id") or "").startswith("tag-")}
    expected = {tag_anchor(t): t for c in PUBLISHED for t in all_tags(c)}
    assert set(entries) == set(expected)
    for anchor, name in expected.items():
        members = {f"{c.slug}/" for c in PUBLISHED if anchor in {tag_anchor(t) for t in all_tags(c)}}
        link = resolve("tags/", entries[anchor].find("a").get("href"))
        assert link == f"tags/{slugify(name)}/"
        assert f"({len(members)})" in entries[anchor].squashed()
        tag_page = article(page(site, link))
        listed = {resolve(link, a.get("href")) for a in tag_page.find("ul", cls="gr-tag-cases").find_all("a")}
        assert listed == members, anchor


def test_navigation_lists_home_specialties_and_tags_only(site):
    for url in ["", f"{SEED}/", "tags/"]:
        doc = page(site, url)
        nav = doc.find("nav", cls="md-nav--primary")
        assert nav is not None
        # (the current page's own table of contents is nested in the nav: its links are #anchors)
        links = {urldefrag(resolve(url, a.get("href")))[0] for a in nav.find_all("a", cls="md-nav__link")}
        specialties = {f"specialties/{p.name}/" for p in (site / "specialties").iterdir()}
        assert links == {""} | {"tags/", "bibliography/"} | specialties, url
        for case in CASES:
            assert f"{case.slug}/" not in links


def test_no_record_sources_in_the_site(site):
    # (cite/ holds the generated citation downloads, not sources)
    assert not [p for p in site.rglob("*") if p.suffix in (".yaml", ".yml", ".bib", ".ris") and p.parent != site / "cite"]
    assert not list(site.rglob("anti-nmda-encephalitis.bib"))  # the example's reference file


def test_the_draft_is_not_built(site):
    for draft in DRAFTS:
        assert not (site / draft.slug).exists()
        assert f"/{draft.slug}/" not in (site / "sitemap.xml").read_text(encoding="utf-8")
        assert not [d for d in search_docs(site) if d["location"].startswith(f"{draft.slug}/")]
        for tag_page in (site / "tags").rglob("index.html"):
            assert draft.title not in tag_page.read_text(encoding="utf-8"), tag_page


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("case_id", [published_param(c, front_matter=True) for c in PUBLISHED_IDS])
def test_search_index_has_the_case_title(site, case_id):
    entries = {d["location"]: d for d in search_docs(site)}
    assert entries[f"{case_id}/"]["title"] == SHOWN[case_id]
    if VIEWS[case_id].unknown:
        assert not [d["location"] for d in search_docs(site) if BY_ID[case_id].title in d["title"] + d["text"]]


@pytest.mark.parametrize("case_id", PUBLISHED_IDS)
def test_search_index_has_abstract_sections_and_diagnosis(site, case_id):
    case = BY_ID[case_id]
    entries = {d["location"]: d for d in search_docs(site)}
    if isinstance(case.abstract, str):
        text = strip_tags(entries[f"{case_id}/#abstract"]["text"])
        assert markdown_to_text(case.abstract)[:60] in text
    else:
        for key, value in case.abstract.items():
            location = f"{case_id}/#abstract-{key.replace('_', '-')}"
            if key in hidden_sections(case):  # teaching mode: left out of search
                assert location not in entries
                continue
            text = strip_tags(entries[location]["text"])
            assert markdown_to_text(value)[:60] in text, key
    if case.final_diagnosis and "diagnosis" in hidden_sections(case):
        assert f"{case_id}/#diagnosis" not in entries
        assert not [e for e in entries.values() if markdown_to_text(case.final_diagnosis) in strip_tags(e["text"])]
    elif case.final_diagnosis:
        assert markdown_to_text(case.final_diagnosis) in strip_tags(entries[f"{case_id}/#diagnosis"]["text"])


def test_search_index_has_no_references(site):
    docs = search_docs(site)
    assert not [d["location"] for d in docs if d["location"].endswith("#references")]
    titles = [r["title"] for c in PUBLISHED for r in c.reference_items() if len(r.get("title", "")) >= 25]
    assert "Pulmonary capillaritis and alveolar hemorrhage" in " ".join(titles)
    assert len(titles) > 30
    for doc in docs:
        text = strip_tags(doc["text"]) + " " + doc["title"]
        leaked = [t for t in titles if t in text]
        assert not leaked, (doc["location"], leaked[:2])


def test_search_index_has_no_cite_the_original_or_disclaimer(site):
    docs = search_docs(site)
    assert not [d for d in docs if d["location"].endswith("#cite-the-original")]
    assert not [d for d in docs if "For medical education only" in d["text"]]


@pytest.mark.parametrize("case_id", PUBLISHED_IDS)
def test_searching_a_word_of_the_abstract_finds_the_case(site, case_id):
    case = BY_ID[case_id]
    held = hidden_abstract(case, VIEWS[case_id].hidden)  # hidden parts are out of search (tested above)
    abstract = case.abstract if isinstance(case.abstract, str) else " ".join(
        text for key, text in case.abstract.items() if key not in held)
    words = sorted(set(re.findall(r"[A-Za-z]{9,}", markdown_to_text(abstract))), key=lambda w: (-len(w), w))
    assert words
    for word in words[:3]:
        hits = {d["location"] for d in search_docs(site) if word.lower() in strip_tags(d["text"]).lower()}
        assert any(h.startswith(f"{case_id}/") for h in hits), word


def test_search_index_has_the_home_page(site):
    assert "" in {d["location"] for d in search_docs(site)}


def test_search_index_has_the_specialty_pages_but_not_tags(site):
    locations = {d["location"] for d in search_docs(site)}
    for p in (site / "specialties").iterdir():
        assert f"specialties/{p.name}/" in locations
    assert not [loc for loc in locations if loc.startswith("tags/")]


# --------------------------------------------------------------------------- variant build


def test_tricky_title_prints_as_itself(variant):
    body = article(page(variant, "tricky-title"))
    assert body.find("h1").squashed() == TRICKY_TITLE
    assert body.find("h1").find("b") is None
    _, rows = home_rows(variant)
    titles = [cells[0].squashed() for cells in rows]
    assert TRICKY_TITLE in titles
    tags = article(page(variant, "tags/escaping/")).squashed()  # its tag's page lists it
    assert TRICKY_TITLE in tags


def test_tricky_title_in_the_html_title(variant):
    assert page(variant, "tricky-title").find("title").squashed().startswith(TRICKY_TITLE + " - ")


def test_edit_link_points_at_the_yaml_record(variant):
    for case_id in (SEED, "figure-case"):
        links = [a.get("href") for a in page(variant, case_id).find_all("a") if a.get("rel") == "edit"
                 or a.get("title") == "Edit this page"]
        assert links == [f"{EDIT_REPO}/edit/main/cases/{case_id}.yaml"]
        assert links[0].endswith(f"/cases/{case_id}.yaml")


def test_hand_written_page_builds_beside_generated_ones(variant):
    body = article(page(variant, "about"))
    assert body.find("h1").squashed() == "About"
    assert "written by hand for teaching rounds" in body.squashed()
    assert (variant / SEED / "index.html").is_file()


def test_figure_is_published_and_linked(variant):
    body = article(page(variant, "figure-case"))
    images = body.find_all("img")
    assert [img.get("alt") for img in images] == ["Axial CT image showing right lower lobe consolidation"]
    src = resolve("figure-case/", images[0].get("src"))
    assert (variant / src).read_bytes() == PNG_1PX
    assert body.find("figure", id_="figure-ct") is not None
    links = [a.get("href") for a in body.find_all("a")]
    assert "#figure-ct" in links


def test_reference_file_is_used_but_not_published(variant):
    body = article(page(variant, "figure-case"))
    items = [li.squashed() for n in section(body, "references") for li in n.find_all("li")]
    assert items == ["Smith, J. A reference kept in a file. BMJ 1, 1–2 (2020)."]
    assert not list(variant.rglob("figure-case-refs.json"))


# --------------------------------------------------------------------------- broken build


def test_broken_record_fails_the_build_with_its_location(tmp_path):
    project = copy_project(tmp_path / "broken")
    record = project / "cases" / "pediatric-kawasaki-incomplete.yaml"
    lines = record.read_text(encoding="utf-8").splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if line.startswith("type: "))
    lines[n] = "type: case-report: x\n"
    record.write_text("".join(lines), encoding="utf-8")
    result = run_mkdocs(project)
    assert result.returncode != 0
    assert (f"cases/pediatric-kawasaki-incomplete.yaml:{n + 1}:18: YAML syntax error: mapping values "
            "are not allowed in this context; check the indentation, quotes and brackets around here"
            ) in result.stdout.splitlines()
    assert "Traceback" not in result.stdout
    assert not (project / "site" / "index.html").exists()


# --------------------------------------------------------------------------- render --out


def test_render_out_writes_the_golden_markdown_and_copies_figures(tmp_path, monkeypatch, capsys):
    project = copy_project(tmp_path / "project")
    (project / "cases" / "figures").mkdir(exist_ok=True)
    (project / "cases" / "figures" / "ct-chest.png").write_bytes(PNG_1PX)
    write_case(project, "figure-case", """
        title: A case with a figure
        abstract: A chest CT.
        figures:
          - id: ct
            file: figures/ct-chest.png
            alt: Axial CT image
    """)
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, "render", "--out", "rendered", "--drafts")
    assert code == 0, out + err
    rendered = project / "rendered"
    goldens = sorted(p for p in GOLDEN.glob("*.md") if p.stem not in ("index", "tags", "bibliography"))
    assert {p.stem for p in goldens} == {c.slug for c in CASES}
    for golden in goldens:
        assert (rendered / golden.name).read_text(encoding="utf-8") == golden.read_text(encoding="utf-8"), golden.name
    assert (rendered / "figures" / "ct-chest.png").read_bytes() == PNG_1PX
    assert (rendered / "figure-case.md").is_file()
    assert (rendered / "index.md").is_file() and (rendered / "tags.md").is_file()
    assert not list(rendered.rglob("*.yaml"))


def test_render_out_leaves_drafts_out_by_default(tmp_path, monkeypatch, capsys):
    project = copy_project(tmp_path / "project")
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, "render", "--out", "rendered")
    assert code == 0, out + err
    written = {p.relative_to(project / "rendered").as_posix() for p in (project / "rendered").rglob("*.md")}
    assert {f"{c.slug}.md" for c in PUBLISHED} <= written
    assert not {f"{c.slug}.md" for c in DRAFTS} & written


# --------------------------------------------------------------------------- every link


def _broken_internal_links(site_dir: Path) -> list[str]:
    """Every href/src of every built page that points inside the site but at no file."""
    broken = []
    for page in sorted(site_dir.rglob("*.html")):
        url = page.relative_to(site_dir).as_posix()
        for node in read_html(page).iter():
            for attr in ("href", "src"):
                link = node.get(attr)
                if not link or link.startswith(("#", "mailto:", "data:", "javascript:")):
                    continue
                target = urldefrag(urljoin(ORIGIN + url, link))[0]
                if not target.startswith(ORIGIN):
                    continue
                path = site_dir / target[len(ORIGIN):]
                if target.endswith("/"):
                    path = path / "index.html"
                if not path.is_file():
                    broken.append(f"{url}: {attr}={link}")
    return broken


def test_every_internal_link_resolves(site):
    assert _broken_internal_links(site) == []


def test_every_internal_link_resolves_without_directory_urls(tmp_path_factory):
    def flat_urls(project: Path) -> None:
        config = project / "mkdocs.yml"
        config.write_text(config.read_text() + "\nuse_directory_urls: false\n")

    site_dir = build_project(tmp_path_factory.mktemp("flat"), flat_urls)
    assert (site_dir / "dah-sle-msc.html").is_file()
    home = read_html(site_dir / "index.html")
    assert any(a.get("href") == "dah-sle-msc.html" for a in home.find_all("a"))
    assert _broken_internal_links(site_dir) == []


# --------------------------------------------------------------------------- site features
# (issue 6: teaching reveal, home filters, related cases, timeline, head metadata, feed,
# fonts). The DOM names are the contract the browser tests (tests/test_browser.py) use.

HIDDEN_CASE = "anti-nmda-encephalitis"  # the example with `teaching: {hide: [diagnosis]}`


def hidden_texts(case: Case) -> list[str]:
    """Text that must not appear before the reveal: the final diagnosis and the abstract's
    diagnosis part (their first 40 characters)."""
    texts = [markdown_to_text(case.final_diagnosis)]
    if isinstance(case.abstract, dict) and "diagnosis" in case.abstract:
        texts.append(markdown_to_text(case.abstract["diagnosis"]))
    return [t[:40] for t in texts]


def jsonld(doc: Node) -> dict:
    script = doc.find("script", id_="gr-jsonld")
    assert script is not None and script.get("type") == "application/ld+json"
    return json.loads(script.text())


def meta_content(doc: Node, **attrs: str) -> list[str]:
    return [m.get("content") for m in doc.find_all("meta", **attrs)]


def test_example_teaching_case_hides_its_diagnosis():
    case = BY_ID[HIDDEN_CASE]
    assert hidden_sections(case) == {"diagnosis"}
    assert not any(t.lower() in case.title.lower() for t in ("nmda", "encephalitis", "teratoma"))


def test_hidden_sections_are_closed_reveal_blocks(site):
    body = article(page(site, HIDDEN_CASE))
    blocks = body.find_all("details", cls="gr-reveal")
    assert [b.get("data-section") for b in blocks] == ["abstract-diagnosis", "diagnosis"]
    case = BY_ID[HIDDEN_CASE]
    for block in blocks:
        assert "question" in block.classes and "open" not in block.attrs
        assert block.find("summary").squashed() == "What is the diagnosis?"
    assert markdown_to_text(case.final_diagnosis) in blocks[1].squashed()
    assert markdown_to_text(case.abstract["diagnosis"])[:40] in blocks[0].squashed()
    for heading_id in ("abstract-diagnosis", "diagnosis"):
        assert "data-search-exclude" in body.find(id_=heading_id).attrs
    for case_id in PUBLISHED_IDS:
        if case_id not in (HIDDEN_CASE, UNKNOWN_CASE):
            assert not article(page(site, case_id)).find_all("details", cls="gr-reveal"), case_id


UNKNOWN_PROMPTS = {  # the reveals of what names an unknown case's diagnosis (case.md.j2, related.html.j2)
    "references": "Show the references (they may name the diagnosis)",
    "cite-summary": "Show the citation (it names the diagnosis)",
    "cite-original": "Show the citation (it names the diagnosis)",
    "related": "Show the related cases (they may name the diagnosis)",
}


def expected_reveals(case: Case) -> list[tuple[str, str]]:
    """(data-section, prompt) of each reveal of an unknown case's page, in page order: the
    hidden abstract parts, the hidden sections, then its references, citations and related cases."""
    hidden = VIEWS[case.slug].hidden
    reveals = [(f"abstract-{key.replace('_', '-')}", reveal_prompt(case, ABSTRACT_SECTION[key]))
               for key in case.abstract if key in hidden_abstract(case, hidden)]
    reveals += [(name, reveal_prompt(case, name)) for name in section_order(case) if name in hidden]
    extras = [("references", case.reference_items()), ("cite-summary", True), ("cite-original", case.source),
              ("related", RELATED.get(case.slug))]
    return reveals + [(name, UNKNOWN_PROMPTS[name]) for name, present in extras if present]


def test_unknown_case_reveals_are_what_its_record_hides(site):
    case = BY_ID[UNKNOWN_CASE]
    blocks = article(page(site, UNKNOWN_CASE)).find_all("details", cls="gr-reveal")
    found = [(b.get("data-section"), b.find("summary").squashed()) for b in blocks]
    assert found == expected_reveals(case)
    assert [name for name, _ in found] == [  # by hand from the record
        "abstract-investigations", "abstract-diagnosis", "abstract-management", "investigations", "diagnosis",
        "management", "learning_points", "references", "cite-summary", "related"]
    assert dict(found)["diagnosis"] == "What explains her ECG and her attacks?"  # its teaching.prompts
    assert dict(found)["learning_points"] == "What are the learning points?"  # the default prompt
    for block in blocks:
        assert "question" in block.classes and "open" not in block.attrs
    assert markdown_to_text(case.final_diagnosis) in dict(zip([n for n, _ in found], blocks))["diagnosis"].squashed()


@pytest.mark.parametrize("case_id", [HIDDEN_CASE, UNKNOWN_CASE])
def test_hidden_diagnosis_is_absent_wherever_a_learner_looks_first(site, case_id):
    case = BY_ID[case_id]
    doc = page(site, case_id)
    home_row = next(tr for tr in page(site, "").find("table", id_="gr-cases").find_all("tr", cls="gr-case")
                    if SHOWN[case_id] in tr.squashed())
    places = {
        "search index": " ".join(strip_tags(d["text"]) + " " + d["title"] for d in search_docs(site)),
        "home table row": home_row.squashed() + " " + " ".join(str(v) for v in home_row.attrs.values()),
        "home filter data": " ".join(s for data in home_data(site).values() for s in json_strings(data)),
        "meta description": " ".join(meta_content(doc, name="description")),
        "og:description": " ".join(meta_content(doc, property="og:description")),
        "JSON-LD": json.dumps(jsonld(doc), ensure_ascii=False),
        "feed": (site / "feed.xml").read_text(encoding="utf-8"),
        "specialty and tag pages": " ".join(article(page(site, u)).squashed() for u in
                                            [f"specialties/{slugify(s)}" for s in case.specialties]
                                            + [f"tags/{slugify(t)}" for t in all_tags(case)]),
        "related blurbs": " ".join(s.squashed() for c in PUBLISHED_IDS
                                   for s in article(page(site, c)).find_all("section", cls="gr-related")),
    }
    # an unknown case's real title names its diagnosis too
    texts = hidden_texts(case) + ([case.title] if VIEWS[case_id].unknown else [])
    for place, text in places.items():
        for hidden in texts:
            assert hidden.lower() not in text.lower(), place
    if case_id == HIDDEN_CASE:
        assert "nmda" not in home_words(site)  # nor its keywords, which name it
    assert "about" not in jsonld(doc)
    assert SHOWN[case_id] in places["related blurbs"]  # it is listed, without its diagnosis
    assert markdown_to_text(BY_ID[SEED].final_diagnosis) in strip_tags(json.dumps(jsonld(page(site, SEED))))


def test_learning_points_are_a_highlighted_block(site):
    for case_id in PUBLISHED_IDS:
        case = BY_ID[case_id]
        block = article(page(site, case_id)).find("div", cls="gr-learning-points")
        if not case.learning_points:
            assert block is None
            continue
        assert {"admonition", "tip"} <= set(block.classes)
        assert block.find("p", cls="admonition-title").squashed() == "Learning points"
        assert len(block.find("ul").find_all("li")) == len(case.learning_points)


def test_timeline_is_a_vertical_list(site):
    for case_id in PUBLISHED_IDS:
        case = BY_ID[case_id]
        timeline = article(page(site, case_id)).find("ol", cls="gr-timeline")
        if not case.timeline:
            assert timeline is None
            continue
        items = timeline.find_all("li")
        assert [li.find(cls="gr-timeline-when").squashed() for li in items] == [t.when for t in case.timeline]
        assert [li.find(cls="gr-timeline-event").squashed() for li in items] == \
            [markdown_to_text(t.event) for t in case.timeline]


EXPECTED_FACETS = {  # by hand from the records (DESIGN.md's age bands)
    "anti-nmda-encephalitis": ("neurology psychiatry", "case-report", "female", "adult", "2024"),
    "dah-sle-msc": ("rheumatology respiratory-medicine", "case-study", "female", "adult", "2010"),
    "elderly-hyponatraemia-siadh": ("endocrinology geriatric-medicine", "case-report", "female", "older-adult", "2024"),
    "pediatric-kawasaki-incomplete": ("paediatrics cardiology", "case-report", "male", "child", "2025"),
    "palpitations-runner": ("cardiology", "image-challenge", "female", "adult", "2026"),
}


def home_data(site_dir: Path) -> dict[str, object]:
    """The home filters' data files (index/cases/<name>.js: `grandroundsData(name, data);`)
    by name, parsed."""
    found = {}
    for path in sorted((site_dir / "index" / "cases").glob("*.js")):
        text = path.read_text(encoding="utf-8")
        assert text.startswith(f'grandroundsData("{path.stem}",') and text.endswith(");\n")
        found[path.stem] = json.loads(text[len(f'grandroundsData("{path.stem}",'):-3])
    return found


def home_words(site_dir: Path) -> dict[str, list[int]]:
    """The free-text filter's index: word -> case positions."""
    return {w: p for name, data in home_data(site_dir).items() if name.startswith("words-") for w, p in data.items()}


def test_home_filter_form_and_row_facets(site):
    doc = page(site, "")
    form = doc.find("form", id_="gr-filters")
    assert form is not None and "gr-filters" in form.classes and "hidden" in form.attrs  # shown by the script
    options = {}
    for name in ("specialty", "type", "sex", "age", "year"):
        select = form.find("select", id_=f"gr-filter-{name}")
        assert select is not None and select.get("name") == name
        options[name] = [o.get("value") for o in select.find_all("option")]
    assert options["age"] == ["", "child", "adult", "older-adult"]
    assert options["year"] == ["", "2026", "2025", "2024", "2010"]
    assert options["type"] == ["", "case-report", "case-study", "image-challenge"]
    assert options["sex"] == ["", "female", "male"]
    assert "respiratory-medicine" in options["specialty"]
    query = form.find("input", id_="gr-filter-q")
    assert query.get("type") == "search" and query.get("name") == "q"
    assert doc.find(id_="gr-count").squashed() == f"{len(PUBLISHED)} of {len(PUBLISHED)} cases"
    rows = doc.find("table", id_="gr-cases").find("tbody").find_all("tr")
    assert len(rows) == len(PUBLISHED) and all("gr-case" in r.classes for r in rows)
    data = home_data(site)  # the rows' facets and words, by position (site/listing_data.py)
    (chunk,) = [rows for name, rows in data.items() if name.startswith("rows-")]
    facets = data["facets"]["facets"]
    words = home_words(site)
    found = {}
    for position, row in enumerate(chunk):
        case_id = resolve("", row[0]).rstrip("/")
        codes = {name: facets[name]["rows"][position] for name in facets}
        found[case_id] = tuple(" ".join(facets[name]["values"][c] for c in
                                        (v if isinstance(v, list) else [] if v is None else [v]))
                               for name, v in codes.items())
        text = {w for w, positions in words.items() if position in positions}
        assert set(fold_words(SHOWN[case_id])) <= text
        assert all(set(fold_words(t)) <= text for t in BY_ID[case_id].tags)
        if VIEWS[case_id].unknown:  # its real title names the diagnosis
            public = fold_words(" ".join([SHOWN[case_id], *BY_ID[case_id].tags, *BY_ID[case_id].specialties]))
            assert not (set(fold_words(BY_ID[case_id].title)) - set(public)) & text
    assert found == EXPECTED_FACETS
    assert "coronary" in words  # Kawasaki's diagnosis is searchable (not hidden)


def test_home_page_loads_the_filter_script_from_the_site(site):
    doc = page(site, "")
    sources = [s.get("src") for s in doc.find_all("script") if s.get("src")]
    for script in ("assets/grandrounds.js", "assets/filters.js"):
        assert any(resolve("", s) == script for s in sources)
        assert (site / script).is_file()


EXPECTED_RELATED = {  # by hand: the shared tag "fictional teaching case" or specialty cardiology, ties to the newer date
    "anti-nmda-encephalitis": ["pediatric-kawasaki-incomplete", "elderly-hyponatraemia-siadh"],
    "elderly-hyponatraemia-siadh": ["pediatric-kawasaki-incomplete", "anti-nmda-encephalitis"],
    "pediatric-kawasaki-incomplete": ["anti-nmda-encephalitis", "elderly-hyponatraemia-siadh", "palpitations-runner"],
    "palpitations-runner": ["pediatric-kawasaki-incomplete"],
    "dah-sle-msc": [],
}


@pytest.mark.parametrize("case_id", PUBLISHED_IDS)
def test_related_cases_section(site, case_id):
    body = article(page(site, case_id))
    sections = body.find_all("section", cls="gr-related")
    if not EXPECTED_RELATED[case_id]:
        assert not sections
        return
    (section,) = sections
    assert section.find("h2", id_="related-cases").squashed() == "Related cases"
    reveal = section.parent  # an unknown case's related cases name its diagnosis: behind a reveal
    if VIEWS[case_id].unknown:
        assert reveal.tag == "details" and reveal.get("data-section") == "related" and "open" not in reveal.attrs
    else:
        assert not body.find_all("details", data_section="related")
    links = section.find("ul", cls="gr-related-list").find_all("a")
    assert len(links) <= 5
    assert [resolve(f"{case_id}/", a.get("href")) for a in links] == [f"{i}/" for i in EXPECTED_RELATED[case_id]]
    assert [a.squashed() for a in links] == [SHOWN[i] for i in EXPECTED_RELATED[case_id]]


def test_related_cases_are_out_of_the_search_index(site):
    assert not [d for d in search_docs(site) if "Related cases" in d["title"]]


@pytest.mark.parametrize("case_id", PUBLISHED_IDS)
def test_case_page_head_metadata(site, case_id):
    case = BY_ID[case_id]
    doc = page(site, case_id)
    data = jsonld(doc)
    assert data["@type"] == "MedicalScholarlyArticle" and data["headline"] == data["name"] == SHOWN[case_id]
    assert meta_content(doc, name="citation_title") == [SHOWN[case_id]]
    assert meta_content(doc, name="citation_author") == [a.name for a in case.authors]
    assert meta_content(doc, name="citation_doi") == []
    assert meta_content(doc, property="og:title") == [SHOWN[case_id]]
    if VIEWS[case_id].unknown:  # nothing in the head names the diagnosis
        head = doc.find("head")
        assert case.title not in head.squashed() + " ".join(str(v) for n in head.iter() for v in n.attrs.values())
    assert meta_content(doc, property="og:type") == ["article"]
    assert meta_content(doc, property="og:url") == []  # the example site has no site_url
    assert meta_content(doc, property="og:description") == meta_content(doc, name="description")


def test_every_page_links_the_feed_and_the_fonts(site):
    for path in site.rglob("*.html"):
        if path.name == "404.html":
            continue
        url = path.parent.relative_to(site).as_posix() + "/" if path.parent != site else ""
        doc = read_html(path)
        feeds = [l for l in doc.find_all("link", rel="alternate") if l.get("type") == "application/atom+xml"]
        assert len(feeds) == 1 and resolve(url, feeds[0].get("href")) == "feed.xml", path
        sheets = [resolve(url, l.get("href")) for l in doc.find_all("link", rel="stylesheet")]
        assert "assets/fonts.css" in sheets and "assets/grandrounds.css" in sheets, path


def test_site_feed(site):
    import xml.etree.ElementTree as ET
    atom = "{http://www.w3.org/2005/Atom}"
    root = ET.fromstring((site / "feed.xml").read_bytes())
    entries = root.findall(f"{atom}entry")
    assert [e.find(f"{atom}title").text for e in entries] == \
        [SHOWN[c.slug] for c in sorted(PUBLISHED, key=lambda c: c.date or "", reverse=True)]
    assert BY_ID[UNKNOWN_CASE].title not in (site / "feed.xml").read_text(encoding="utf-8")
    for entry in entries:
        assert (site / resolve("", entry.find(f"{atom}link").get("href")) / "index.html").is_file()


def test_font_files_are_in_the_site_and_set_as_the_text_font(site):
    fonts_css = (site / "assets" / "fonts.css").read_text(encoding="utf-8")
    urls = re.findall(r"url\(['\"]?([^'\")]+)['\"]?\)", fonts_css)
    assert urls
    for url in urls:
        assert not re.match(r"[a-z]+:", url), url  # served by the site
        assert (site / "assets" / url).is_file(), url
    families = set(re.findall(r"font-family:\s*['\"]([^'\"]+)['\"]", fonts_css))
    text_font = re.search(r"--md-text-font:\s*['\"]([^'\"]+)['\"]", (site / "assets" / "grandrounds.css").read_text())
    assert text_font and text_font.group(1) in families


def test_pages_request_nothing_from_other_hosts(site):
    for path in site.rglob("*.html"):
        doc = read_html(path)
        loaded = [s.get("src") for s in doc.find_all("script") if s.get("src")]
        loaded += [l.get("href") for l in doc.find_all("link")
                   if set((l.get("rel") or "").split()) & {"stylesheet", "preload", "icon", "modulepreload"}]
        loaded += [i.get("src") for i in doc.find_all("img")]
        assert not [u for u in loaded if re.match(r"(https?:)?//", u or "")], path


def _prepare_teaching(project: Path) -> None:
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "      style: nature\n" in text
    config.write_text(text.replace("      style: nature\n", "      style: nature\n      teaching_hide: [management]\n")
                      + "\nsite_url: https://example.org/library/\n", encoding="utf-8")


@pytest.fixture(scope="module")
def teaching(tmp_path_factory) -> Path:
    """The example project with the site-wide option `teaching_hide: [management]` and a site_url."""
    return build_project(tmp_path_factory.mktemp("teaching"), _prepare_teaching)


def test_site_wide_teaching_default_and_record_override(teaching):
    for case in PUBLISHED:
        body = article(page(teaching, case.slug))
        sections = [b.get("data-section") for b in body.find_all("details", cls="gr-reveal")]
        if case.slug == HIDDEN_CASE:  # its own `teaching.hide` wins over the site default
            assert sections == ["abstract-diagnosis", "diagnosis"]
            continue
        assert ("management" in sections) == bool(case.management), case.slug
        block = body.find("details", data_section="management")
        if block is not None:
            assert block.find("summary").squashed() == "How would you manage this?"
            assert "open" not in block.attrs
        if isinstance(case.abstract, dict) and "treatment" in case.abstract:
            assert "abstract-treatment" in sections
    locations = {d["location"] for d in search_docs(teaching)}
    assert "dah-sle-msc/#management" not in locations and "dah-sle-msc/#diagnosis" in locations


def test_site_wide_teaching_default_hides_the_diagnosis_column(tmp_path_factory):
    def prepare(project: Path) -> None:
        _prepare_teaching(project)
        config = project / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "teaching_hide: [management]", "teaching_hide: [diagnosis]"), encoding="utf-8")
    site_dir = build_project(tmp_path_factory.mktemp("teaching-dx"), prepare)
    _, rows = home_rows(site_dir)
    assert [cells[3].squashed() for cells in rows] == ["on the case page"] * len(PUBLISHED)
    feed = (site_dir / "feed.xml").read_text(encoding="utf-8")
    for case in PUBLISHED:
        for hidden in hidden_texts(case):
            assert hidden not in " ".join(c.squashed() for r in rows for c in r)
        if isinstance(case.abstract, dict) and "diagnosis" in case.abstract:
            assert markdown_to_text(case.abstract["diagnosis"])[:40] not in feed


def test_absolute_urls_in_metadata_with_a_site_url(teaching):
    doc = page(teaching, SEED)
    url = "https://example.org/library/dah-sle-msc/"
    assert meta_content(doc, property="og:url") == [url]
    assert meta_content(doc, name="citation_abstract_html_url") == [url]
    assert jsonld(doc)["url"] == url
    feed = (teaching / "feed.xml").read_text(encoding="utf-8")
    assert "<id>https://example.org/library/dah-sle-msc/</id>" in feed


DIRTY_REBUILD = r"""
import json, os, sys, time
from pathlib import Path
from mkdocs.commands.build import build
from mkdocs.config import load_config

root, site, edit = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3] == "edit"
os.chdir(root)
def config():
    return load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(site))
first = config()
first.plugins.on_startup(command="serve", dirty=True)
build(first, serve_url="http://127.0.0.1:8000/", dirty=True)
plugin = first.plugins["grandrounds"]
outputs = [p for p in site.rglob("*") if p.is_file() and p.suffix in (".html", ".xml") and "sitemap" not in p.name]
before = {p: p.stat().st_mtime_ns for p in outputs}
rewritten = []
if edit:
    time.sleep(0.05)
    record = root / "cases" / "pediatric-kawasaki-incomplete.yaml"
    text = record.read_text(encoding="utf-8")
    old = "title: Incomplete Kawasaki disease in a 14-month-old boy with six days of fever"
    assert old in text
    record.write_text(text.replace(old, "title: A renamed case"), encoding="utf-8")
    build(config(), serve_url="http://127.0.0.1:8000/", dirty=True)
    rewritten = sorted(p.relative_to(site).as_posix() for p, t in before.items() if p.stat().st_mtime_ns != t)
print(json.dumps({"rewritten": rewritten, "reused": plugin._converted.reused}))
"""


def serve_builds(project: Path, site: Path, mode: str) -> dict:
    """DIRTY_REBUILD in a fresh interpreter: a cold serve build, then (`mode` "edit") the
    Kawasaki case retitled and a dirty rebuild by the same plugin, as `serve --dirty` runs."""
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-c", DIRTY_REBUILD, str(project), str(site), mode],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_dirty_rebuild_rewrites_only_the_pages_that_show_the_edited_case(tmp_path):
    """As `mkdocs serve --dirty` does: one plugin for both builds. A new title changes the
    case page, the listings that show it, the related lists that name it and the feed."""
    project = copy_project(tmp_path / "project")
    rewritten = set(serve_builds(project, project / "site", "edit")["rewritten"])
    must = {"pediatric-kawasaki-incomplete/index.html", "index.html", "tags/kawasaki-disease/index.html",
            "specialties/paediatrics/index.html", "specialties/cardiology/index.html", "feed.xml",
            "anti-nmda-encephalitis/index.html", "elderly-hyponatraemia-siadh/index.html",
            "draft-example/index.html"}  # serve shows drafts; its related list names the case
    assert must <= rewritten
    untouched = {"dah-sle-msc/index.html", "specialties/rheumatology/index.html", "tags/index.html",
                 "specialties/neurology/index.html", "specialties/endocrinology/index.html"}
    assert not untouched & rewritten, rewritten


def test_serve_reuses_the_conversion_of_pages_whose_markdown_did_not_change(tmp_path):
    """A retitled case changes other cases' related lists (their slots), not their Markdown:
    the dirty rebuild reuses those pages' conversions, and every page it writes is the page
    a cold serve build of the edited records writes."""
    project = copy_project(tmp_path / "project")
    runs = {name: serve_builds(project, tmp_path / name, mode) for name, mode in (("dirty", "edit"), ("cold", "cold"))}
    assert runs["dirty"]["reused"] >= 2  # anti-nmda-encephalitis, elderly-hyponatraemia-siadh, ...
    pages = sorted(p.relative_to(tmp_path / "cold") for p in (tmp_path / "cold").rglob("*.html"))
    assert len(pages) > 20
    for relative in pages:
        dirty = (tmp_path / "dirty" / relative).read_text(encoding="utf-8")
        assert dirty == (tmp_path / "cold" / relative).read_text(encoding="utf-8"), relative
    indexes = {name: search_docs(tmp_path / name) for name in runs}  # each page's JSON made once per build of it
    assert any(d["title"] == "A renamed case" for d in indexes["dirty"])
    assert sorted(indexes["dirty"], key=json.dumps) == sorted(indexes["cold"], key=json.dumps)


def test_serve_writes_the_search_index_material_would_write():
    """`SearchIndex` writes Material's index from each page's JSON, kept between builds:
    the same bytes as Material's own `generate_search_index`, before and after one page's
    entries change."""
    from types import SimpleNamespace

    from material.plugins.search.plugin import SearchIndex as MaterialIndex

    from grandrounds.hosts.material import SearchIndex

    settings = {"lang": ["en"], "separator": r"[\s\-]+", "pipeline": ["stemmer"], "fields": {}}
    ours = SearchIndex()
    pages = {"a.md": [{"location": "a/", "title": "A <b>", "text": "caf\u00e9 \u2014 \"quoted\""}],
             "b.md": [{"location": "b/", "title": "B", "text": ""}, {"location": "b/#x", "title": "X", "text": "x"}],
             "c.md": []}
    for build in range(2):
        if build:
            pages["b.md"] = [{"location": "b/", "title": "B again", "text": "changed"}]
        index = MaterialIndex(**settings)
        plugin = SimpleNamespace(search_index=index, search_index_prev=None)
        config = SimpleNamespace(plugins={"search": plugin})
        ours.start_build()
        for uri, entries in pages.items():
            if build == 0 or uri == "b.md":  # a dirty rebuild renders only the changed page
                index.entries.extend(entries)
                ours.page_done(config, uri)
        ours.complete(config, list(pages), serve=True)
        written = index.generate_search_index(None)
        assert written == MaterialIndex.generate_search_index(index, None)
        assert [d["title"] for d in json.loads(written)["docs"]] == ["A <b>"] + [e["title"] for e in pages["b.md"]]
