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
                      copy_project, read_html, run_cli, run_mkdocs, squash, write_case)
from grandrounds.library import load_library
from grandrounds.markup import markdown_to_text
from grandrounds.model import Case
from grandrounds.render import all_tags, display_name, patient_line, slugify, tag_anchor

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
SEED = "dah-sle-msc"
BROKEN_TITLE = "elderly-hyponatraemia-siadh"  # a title YAML must quote (it has a colon)



def published_param(case_id: str, *, front_matter: bool = False):
    return pytest.param(case_id, id=case_id)


PUBLISHED_IDS = [c.slug for c in PUBLISHED]


def test_the_examples_have_published_cases_and_a_draft():
    assert SEED in PUBLISHED_IDS
    assert BROKEN_TITLE in PUBLISHED_IDS
    assert DRAFTS, "cases/ should keep a draft example"


def expected_sections(case: Case) -> list[str]:
    """The `##` headings a case page has, in page order, for what the record holds."""
    dx = case.diagnosis
    consent = case.consent
    wanted = [
        ("Abstract", True),
        ("Introduction", case.introduction),
        ("Case presentation", case.presentation),
        ("Patients", case.patients),
        ("Timeline", case.timeline),
        ("Investigations", case.investigations),
        ("Diagnosis", dx and (dx.final or dx.differential or dx.reasoning)),
        ("Management", case.management),
        ("Outcome", case.outcome),
        ("Discussion", case.discussion),
        ("Learning points", case.learning_points),
        ("Patient perspective", case.patient_perspective),
        ("Figures", case.figures),
        ("Tables", case.tables),
        ("Abbreviations", case.abbreviations),
        ("References", case.reference_items()),
        ("Acknowledgements", case.acknowledgements),
        ("Funding", case.funding),
        ("Competing interests", case.competing_interests),
        ("Author contributions", case.author_contributions),
        ("Data availability", case.data_availability),
        ("Ethics approval", case.ethics_approval),
        ("Consent", consent and (consent.obtained or consent.statement or consent.by != "not-stated")),
        ("Cite the original", case.source),
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
    assert [h.squashed() for h in page(site, case_id).find_all("h1")] == [BY_ID[case_id].title]
    assert body.find("h1").squashed() == BY_ID[case_id].title


@pytest.mark.parametrize("case_id", PUBLISHED_IDS)
def test_case_page_sections_are_those_of_the_record(site, case_id):
    assert h2s(article(page(site, case_id))) == expected_sections(BY_ID[case_id])


@pytest.mark.parametrize("case_id", [published_param(c, front_matter=True) for c in PUBLISHED_IDS])
def test_case_page_html_title_is_the_case_title(site, case_id):
    title = page(site, case_id).find("title").squashed()
    assert title.startswith(BY_ID[case_id].title + " - ")


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


def test_case_page_tag_chips_link_to_tag_anchors(site):
    tags_doc = page(site, "tags")
    anchors = {n.get("id") for n in article(tags_doc).iter() if (n.get("id") or "").startswith("tag-")}
    for case_id in PUBLISHED_IDS:
        doc = page(site, f"{case_id}")
        chips = [resolve(f"{case_id}/", a.get("href")) for a in doc.find_all("a", cls="md-tag")]
        expected = [f"tags/#{tag_anchor(t)}" for t in all_tags(BY_ID[case_id])]
        assert chips == expected, case_id
        for chip in chips:
            assert urldefrag(chip)[1] in anchors, chip


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
        assert cells[0].squashed() == case.title
        specialties = [(a.squashed(), resolve("", a.get("href"))) for a in cells[1].find_all("a")]
        assert specialties == [(display_name(s), f"specialties/{slugify(s)}/") for s in case.specialties]
        assert cells[2].squashed() == patient_line(case)
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


def test_tags_page_lists_tags_with_their_cases(site):
    body = article(page(site, "tags"))
    headings = {h.get("id"): h for h in body.find_all("h2")}
    expected = {tag_anchor(t): t for c in PUBLISHED for t in all_tags(c)}
    assert set(headings) == set(expected)
    for anchor in expected:
        members = {f"{c.slug}/" for c in PUBLISHED if anchor in {tag_anchor(t) for t in all_tags(c)}}
        listed = set()
        for node in section(body, anchor):
            listed |= {resolve("tags/", a.get("href")) for a in node.find_all("a") if a.get("href")}
        assert listed == members, anchor


def test_navigation_lists_home_specialties_and_tags_only(site):
    for url in ["", f"{SEED}/", "tags/"]:
        doc = page(site, url)
        nav = doc.find("nav", cls="md-nav--primary")
        assert nav is not None
        # (the current page's own table of contents is nested in the nav: its links are #anchors)
        links = {urldefrag(resolve(url, a.get("href")))[0] for a in nav.find_all("a", cls="md-nav__link")}
        specialties = {f"specialties/{p.name}/" for p in (site / "specialties").iterdir()}
        assert links == {""} | {"tags/"} | specialties, url
        for case in CASES:
            assert f"{case.slug}/" not in links


def test_no_record_sources_in_the_site(site):
    assert not [p for p in site.rglob("*") if p.suffix in (".yaml", ".yml", ".bib", ".ris")]


def test_the_draft_is_not_built(site):
    for draft in DRAFTS:
        assert not (site / draft.slug).exists()
        assert f"/{draft.slug}/" not in (site / "sitemap.xml").read_text(encoding="utf-8")
        assert not [d for d in search_docs(site) if d["location"].startswith(f"{draft.slug}/")]
        assert draft.title not in (site / "tags" / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("case_id", [published_param(c, front_matter=True) for c in PUBLISHED_IDS])
def test_search_index_has_the_case_title(site, case_id):
    entries = {d["location"]: d for d in search_docs(site)}
    assert entries[f"{case_id}/"]["title"] == BY_ID[case_id].title


@pytest.mark.parametrize("case_id", PUBLISHED_IDS)
def test_search_index_has_abstract_sections_and_diagnosis(site, case_id):
    case = BY_ID[case_id]
    entries = {d["location"]: d for d in search_docs(site)}
    if isinstance(case.abstract, str):
        text = strip_tags(entries[f"{case_id}/#abstract"]["text"])
        assert markdown_to_text(case.abstract)[:60] in text
    else:
        for key, value in case.abstract.items():
            text = strip_tags(entries[f"{case_id}/#abstract-{key.replace('_', '-')}"]["text"])
            assert markdown_to_text(value)[:60] in text, key
    if case.final_diagnosis:
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
    abstract = case.abstract if isinstance(case.abstract, str) else " ".join(case.abstract.values())
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
    tags = article(page(variant, "tags")).squashed()
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
    goldens = sorted(p for p in GOLDEN.glob("*.md") if p.stem not in ("index", "tags"))
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
