"""In-text citations `[@key]`: numbered in order of first citation across the page, linked
to the reference list and back, found through markdown-it's tokens (not inside code)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import run_cli, write_case
from grandrounds.library import read_case
from grandrounds.render import Renderer

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
        "cases/x.yaml:3:13: citation '@alpah' names no reference of this case; did you mean '@alpha'?"]


def test_citation_in_code_needs_no_reference(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    write_case(tmp_path, "x", """
        title: X
        abstract: "Write `[@key]` to cite."
    """)
    assert run_cli(capsys, "check")[0] == 0
