"""In-text citations `[@key]`: numbered in order of first citation across the page, linked
to the reference list and back, found through markdown-it's tokens (not inside code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_cli, write_case
from grandrounds.record.library import read_case
from grandrounds.site.render import Renderer

RECORD = """
    title: Citations
    abstract:
      background: First [@c] then [@a; @b, p. 12].
    discussion: |
      Again [@a]. A range [@a; @b; @c; @e] and code `[@zz]` is not a citation.
    learning_points:
      - Inline too [@e].
    references:
      - {id: a, title: Alpha, container-title: J, issued: {date-parts: [[2001]]}}
      - {id: b, title: Beta, container-title: J, issued: {date-parts: [[2002]]}}
      - {id: c, title: Gamma, container-title: J, issued: {date-parts: [[2003]]}}
      - {id: d, title: Delta uncited, container-title: J, issued: {date-parts: [[2004]]}}
      - {id: e, title: Epsilon, container-title: J, issued: {date-parts: [[2005]]}}
"""


@pytest.fixture()
def page(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    record = write_case(tmp_path, "cites", RECORD)
    return Renderer().case_page(read_case(record, tmp_path / "cases"))


def superscripts(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", s) for s in re.findall(r'<sup class="gr-cite">(.*?)</sup>', page)]


def test_numbers_follow_first_citation_across_sections(page):
    # c is cited first (abstract), then a and b; e first appears in the discussion
    assert superscripts(page) == ["1", "2,3", "2", "1–4", "4"]


def test_citations_link_to_entries_and_entries_link_back(page):
    assert '<a href="#ref-c" id="cite-c">1</a>' in page
    assert 'href="#ref-b" id="cite-b" title="p. 12"' in page
    for key in "abce":
        assert f'id="cite-{key}"' in page
        assert f'<a class="gr-backref" href="#cite-{key}"' in page
    assert 'href="#cite-d"' not in page  # uncited: no back-link


def test_reference_list_puts_cited_first_then_uncited(page):
    order = re.findall(r'<li id="ref-(\w+)">', page)
    assert order == ["c", "a", "b", "e", "d"]


def test_citation_inside_code_is_left_alone(page):
    assert "<code>[@zz]</code>" in page


def test_unknown_citation_key_is_an_error_at_its_field(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_case(tmp_path, "x", """
        title: X
        abstract: Fine.
        discussion: See [@alpah].
        references:
          - {id: alpha, title: Alpha}
    """)
    code, out, err = run_cli(capsys, "check")
    assert code == 1
    assert out.splitlines() == [
        "cases/x.yaml:3:13: error: ref/undefined: citation '@alpah' names no reference of this case; "
        "did you mean '@alpha'?"]


def test_citation_in_code_needs_no_reference(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_case(tmp_path, "x", """
        title: X
        abstract: "Write `[@key]` to cite."
    """)
    assert run_cli(capsys, "check")[0] == 0


# --------------------------------------------------------------------------- APA (author-year)

APA_RECORD = """
    title: Author-year citations
    style: apa
    abstract:
      background: One author [@fessler], two [@nauta, p. 12] and a group [@rcore].
    discussion: |
      Several at once [@sun2009; @zamora; @sun2007] and letters [@kb; @ka].
      Co-authors differ [@dalmau2008; @dalmau2007].
      Not in code `[@zz]`.
    references:
      - {id: zamora, title: Diffuse alveolar hemorrhage, container-title: Medicine,
         author: [{family: Zamora, given: M. R.}, {literal: others}], issued: {date-parts: [[1997]]}}
      - {id: fessler, title: Alveolar hemorrhage, container-title: Chest,
         author: [{family: Fessler, given: B. J.}], issued: {date-parts: [[2000]]}}
      - {id: nauta, title: "Immunomodulation *and* <b>stromal</b> cells", container-title: Blood,
         author: [{family: Nauta, given: A. J.}, {family: Fibbe, given: W. E.}],
         issued: {date-parts: [[2007]]}}
      - {id: sun2009, title: Transplantation, container-title: Stem Cells,
         author: [{family: Sun, given: L. Y.}, {family: Zhang, given: H. Y.}, {family: Feng, given: X. B.}],
         issued: {date-parts: [[2009]]}}
      - {id: sun2007, title: Abnormality, container-title: Lupus,
         author: [{family: Sun, given: L. Y.}, {family: Zhang, given: H. Y.}, {family: Feng, given: X. B.}],
         issued: {date-parts: [[2007]]}}
      - {id: rcore, type: software, title: "R: a language", author: [{literal: R Core Team}],
         issued: {date-parts: [[2023]]}}
      - {id: kb, title: Zebra kidneys, container-title: J,
         author: [{family: Kuo, given: A.}], issued: {date-parts: [[2010]]}}
      - {id: ka, title: Aardvark kidneys, container-title: J,
         author: [{family: Kuo, given: A.}], issued: {date-parts: [[2010]]}}
      - {id: dalmau2008, title: Anti-NMDA, container-title: Lancet Neurol,
         author: [{family: Dalmau, given: J.}, {family: Gleichman, given: A. J.}, {family: Hughes, given: E. G.}],
         issued: {date-parts: [[2008]]}}
      - {id: dalmau2007, title: Paraneoplastic, container-title: Ann Neurol,
         author: [{family: Dalmau, given: J.}, {family: Tüzün, given: E.}, {family: Wu, given: H. Y.}],
         issued: {date-parts: [[2007]]}}
      - {id: uncited, title: "Never cited [x] _y_", container-title: J,
         author: [{family: Abel, given: A.}], issued: {date-parts: [[2020]]}}
"""


@pytest.fixture(scope="module")
def apa_page(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("apa")
    record = write_case(tmp_path, "apa", APA_RECORD)
    return Renderer().case_page(read_case(record, tmp_path / "cases"))


def in_text(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", s) for s in re.findall(r'<span class="gr-cite">(.*?)</span>', page)]


def test_apa_prints_author_and_year_in_parentheses(apa_page):
    assert in_text(apa_page) == [
        "(Fessler, 2000)",
        "(Nauta &amp; Fibbe, 2007, p. 12)",
        "(R Core Team, 2023)",
        "(Sun et al., 2007, 2009; Zamora et al., 1997)",
        "(Kuo, 2010a, 2010b)",
        "(Dalmau et al., 2007, 2008)",
    ]
    assert '<sup class="gr-cite">' not in apa_page
    assert "One author <span class=\"gr-cite\">(" in apa_page  # the space is kept


def test_apa_citations_link_to_entries_and_entries_link_back(apa_page):
    assert '<a href="#ref-fessler" id="cite-fessler">Fessler, 2000</a>' in apa_page
    assert '<a href="#ref-sun2007" id="cite-sun2007">Sun et al., 2007</a>, ' \
           '<a href="#ref-sun2009" id="cite-sun2009">2009</a>' in apa_page
    for key in ("fessler", "nauta", "rcore", "sun2007", "sun2009", "zamora", "ka", "kb"):
        assert f'<a class="gr-backref" href="#cite-{key}"' in apa_page
    assert 'href="#cite-uncited"' not in apa_page


def test_apa_list_is_alphabetical_unnumbered_with_year_letters(apa_page):
    assert '<ul class="gr-references">' in apa_page and '<ol class="gr-references">' not in apa_page
    order = re.findall(r'<li id="ref-(\w+)">', apa_page)
    assert order == ["uncited", "dalmau2008", "dalmau2007", "fessler", "ka", "kb", "nauta",
                     "rcore", "sun2007", "sun2009", "zamora"]
    entries = dict(re.findall(r'<li id="ref-(\w+)">(.*?)</li>', apa_page))
    assert entries["ka"].startswith("Kuo, A. (2010a). Aardvark kidneys.")
    assert entries["kb"].startswith("Kuo, A. (2010b). Zebra kidneys.")


def test_apa_code_span_is_not_a_citation(apa_page):
    assert "<code>[@zz]</code>" in apa_page


def test_reference_list_survives_python_markdown_with_specials_as_text(apa_page):
    """MkDocs runs the page through Python-Markdown: the list is a raw HTML block, so `*`,
    `_` and `[ ]` in a title stay text; `<b>` is CSL rich text, bold (issue 15)."""
    import markdown

    html = markdown.markdown(apa_page.split("## References", 1)[1], extensions=["attr_list"])
    entries = dict(re.findall(r'<li id="ref-(\w+)">(.*?)</li>', html))
    assert "Immunomodulation *and* <strong>stromal</strong> cells" in entries["nauta"]
    assert "Never cited [x] _y_" in entries["uncited"]
    assert "<b>" not in html and "<strong>and" not in html


@pytest.mark.parametrize("style", ["vancouver", "ama"])
def test_numeric_styles_number_as_nature_does(tmp_path, monkeypatch, style):
    monkeypatch.chdir(tmp_path)
    record = write_case(tmp_path, "cites", RECORD.replace("title: Citations",
                                                          f"title: Citations\n    style: {style}"))
    page = Renderer().case_page(read_case(record, tmp_path / "cases"))
    assert superscripts(page) == ["1", "2,3", "2", "1–4", "4"]
    assert re.findall(r'<li id="ref-(\w+)">', page) == ["c", "a", "b", "e", "d"]
    assert '<ol class="gr-references">' in page


# --------------------------------------------------------------------------- a whole APA site

@pytest.fixture(scope="module")
def apa_site(tmp_path_factory):
    """The example site built by MkDocs with `style: apa` (one build for the module)."""
    from conftest import build_project

    def use_apa(dest: Path) -> None:
        config = dest / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        assert "style: nature" in text
        config.write_text(text.replace("style: nature", "style: apa"), encoding="utf-8")

    return build_project(tmp_path_factory.mktemp("apa-site"), use_apa)


def test_apa_site_citations_link_to_entries_of_an_alphabetical_list(apa_site):
    from conftest import article, read_html

    page = article(read_html(apa_site / "anti-nmda-encephalitis" / "index.html"))
    cites = page.find_all("span", cls="gr-cite")
    assert cites and not page.find_all("sup", cls="gr-cite")
    ids = {node.get("id") for node in page.iter() if node.get("id")}
    for span in cites:
        text = span.squashed()
        assert re.fullmatch(r"\((?:[^()]+, (?:\d{4}[a-z]?|n\.d\.)(?:, [^;()]+)?(?:; )?)+\)", text), text
        for link in span.find_all("a"):
            assert link.get("href").startswith("#ref-") and link.get("href")[1:] in ids
    listing = page.find("ul", cls="gr-references")
    assert listing is not None and page.find("ol", cls="gr-references") is None
    entries = [li.squashed() for li in listing.find_all("li")]
    assert len(entries) >= 3
    firsts = [e.split(",")[0].casefold() for e in entries]
    assert firsts == sorted(firsts)
    assert all(re.search(r"\(\d{4}[a-z]?\)\.", e) for e in entries)
