"""Long lists in pages: tags, specialties and the bibliography stay small at any size.

Rendered from synthetic rows and entries (what the listings are made of), so thousands of
cases cost milliseconds; the example site's build checks the same templates end to end.
"""

from __future__ import annotations

import re

from conftest import ROOT
from grandrounds.site.bibliography import Citer, Entry
from grandrounds.site.render import (BIBLIOGRAPHY_PAGE_ENTRIES, LISTING_PAGE_ROWS, Named, Renderer, RenderOptions,
                                     Row, in_navigation, paginate)


def _row(i: int, tags: tuple[str, ...] = ("common tag",)) -> Row:
    return Row(id=f"case-{i:05d}", src=f"case-{i:05d}.md", title=f"Case number {i:05d}",
               specialties=(Named("Cardiology", "cardiology"),), patient="adult", diagnosis="", year="2024",
               date=f"2024-01-{1 + i % 28:02d}", tags=("Cardiology", *tags), draft=False)


def _links(html: str) -> list[str]:
    return re.findall(r'href="([^"]+)"', html)


def test_paginate_keeps_the_first_page_at_the_old_address():
    pages = paginate("tags/x.md", list(range(450)), 200)
    assert [p.uri for p in pages] == ["tags/x.md", "tags/x/2.md", "tags/x/3.md"]
    assert [len(p.items) for p in pages] == [200, 200, 50]
    assert paginate("bibliography.md", [], 500)[0].items == []  # one empty page, never none


def test_a_tag_on_many_cases_gets_pages_of_200_and_every_case_is_listed_once():
    renderer = Renderer(ROOT / "templates", RenderOptions())
    rows = [_row(i) for i in range(2 * LISTING_PAGE_ROWS + 17)] + [_row(9999, ("rare tag",))]
    slots: dict[str, str] = {}
    pages = {p.uri: p.make(slots) for p in renderer.tags_listing(rows)}
    common = sorted(uri for uri in pages if uri.startswith("tags/common-tag"))
    assert common == ["tags/common-tag.md", "tags/common-tag/2.md", "tags/common-tag/3.md"]
    listed = [link for uri in common for link in _links(slots[uri]) if "case-" in link]
    assert len(listed) == len(set(listed)) == 2 * LISTING_PAGE_ROWS + 17
    assert 'aria-current="page">2<' in pages["tags/common-tag/2.md"]
    assert 'href="../../../tags/common-tag/"' in pages["tags/common-tag/2.md"]  # page 1, from tags/common-tag/2/
    index = slots["tags.md"]
    assert 'id="tag-common-tag"' in index and 'id="tag-rare-tag"' in index  # old anchors kept
    assert f"({2 * LISTING_PAGE_ROWS + 17})" in index
    assert not any(in_navigation(uri) for uri in pages if uri != "tags.md")


def test_specialty_pages_are_paginated_newest_first_and_only_the_first_is_in_the_nav():
    renderer = Renderer(ROOT / "templates", RenderOptions(directory_urls=False))
    rows = [_row(i) for i in range(LISTING_PAGE_ROWS + 1)]
    pages = {p.uri: p.make(None) for p in renderer.specialty_listing(Named("Cardiology", "cardiology"), rows)}
    assert list(pages) == ["specialties/cardiology.md", "specialties/cardiology/2.md"]
    assert in_navigation("specialties/cardiology.md") and not in_navigation("specialties/cardiology/2.md")
    assert f"{LISTING_PAGE_ROWS + 1} cases in Cardiology" in pages["specialties/cardiology.md"]
    assert 'href="../specialties/cardiology/2.html"' in pages["specialties/cardiology.md"]
    assert pages["specialties/cardiology/2.md"].count("<tr><td>") == 1
    # a pager above and one below the list: two navigation landmarks, named apart
    labels = re.findall(r'<nav class="gr-pager" aria-label="([^"]+)"', pages["specialties/cardiology/2.md"])
    assert len(labels) == 2 and len(set(labels)) == 2


def test_the_bibliography_is_split_in_pages_of_500_with_every_cited_by_link():
    renderer = Renderer(ROOT / "templates", RenderOptions())
    entries = [Entry(f"k{i}", {"id": f"r{i}", "type": "book", "title": f"Work {i:04d}",
                               "issued": {"date-parts": [[2000]]}},
                     [Citer("case-a", "Case A", f"r{i}"), Citer("case-b", "Case <B>", f"r{i}")])
               for i in range(BIBLIOGRAPHY_PAGE_ENTRIES + 3)]
    slots: dict[str, str] = {}
    pages = renderer.bibliography_pages(entries, slots=slots)
    assert list(pages) == ["bibliography.md", "bibliography/2.md"]
    assert slots["bibliography.md"].count("<li>") == BIBLIOGRAPHY_PAGE_ENTRIES
    assert slots["bibliography/2.md"].count("<li>") == 3
    assert 'href="../case-a/#ref-r0"' in slots["bibliography.md"]  # from bibliography/
    assert 'href="../../case-b/#ref-r502"' in slots["bibliography/2.md"]  # from bibliography/2/
    assert "Case &lt;B&gt;" in slots["bibliography/2.md"]
    assert f"{BIBLIOGRAPHY_PAGE_ENTRIES + 3} references" in pages["bibliography/2.md"]
