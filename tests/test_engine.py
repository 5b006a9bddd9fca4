"""The site engine in process: after every kind of edit, exactly the outputs that should
change are marked changed, nothing else is, and the incremental build equals a cold one.

Each test copies the example library, builds it with one long-lived engine (as `serve` and
`render --watch` do), edits the folder, builds again and compares with a fresh engine's cold
build of the edited folder: the outputs marked `changed` must be exactly those whose content
differs between the cold builds before and after the edit, and every output must be what
the cold build makes.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT
from grandrounds.site.engine import Memo, SiteEngine, build_site
from grandrounds.site.render import RenderOptions

OPTIONS = RenderOptions(site_title="Grand Rounds case library")
PREVIEW = RenderOptions(site_title="Grand Rounds case library", include_drafts=True, preview=True)


def _content(out):
    return (out.kind, out.filled() if out.text is not None else out.source.read_bytes(), out.head, str(out.record))


def _snapshot(build):
    return {path: _content(out) for path, out in build.outputs.items()}


@pytest.fixture
def project(tmp_path):
    shutil.copytree(ROOT / "cases", tmp_path / "cases")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    return tmp_path


def _edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
    _bump(path)


def _bump(path: Path) -> None:
    """Make sure the file's stamp moves, however coarse the file system's clock."""
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def _check_edit(project: Path, edit, options=OPTIONS) -> tuple[set[str], set[str], object]:
    """Apply `edit(project)` between two builds of one engine; returns (changed, removed,
    the second build) after checking them against cold builds of before and after."""
    engine = SiteEngine(project / "cases", project / "templates", options)
    first = engine.build()
    before = _snapshot(build_site(project / "cases", project / "templates", options))
    assert _snapshot(first) == before
    edit(project)
    second = engine.build()
    cold = build_site(project / "cases", project / "templates", options)
    after = _snapshot(cold)
    assert _snapshot(second) == after, "the incremental build differs from a cold build"
    expected = {p for p in after if before.get(p) != after[p]}
    changed = {o.path for o in second.changed()}
    assert changed == expected
    assert set(second.removed) == set(before) - set(after)
    assert [str(p) for p in second.problems] == [str(p) for p in cold.problems]
    return changed, set(second.removed), second


def test_nothing_changed_marks_nothing_and_computes_nothing(project):
    engine = SiteEngine(project / "cases", project / "templates", OPTIONS)
    engine.build()
    computed = engine.memo.computed
    again = engine.build()
    assert again.changed() == [] and again.removed == []
    assert engine.memo.computed == computed  # every output came from the memo


def test_touching_a_record_without_changing_it_changes_nothing(project):
    changed, removed, _ = _check_edit(project, lambda p: _bump(p / "cases" / "dah-sle-msc.yaml"))
    assert changed == set() and removed == set()


def test_title_edit(project):
    new_title = "Stem cells for lung bleeding in lupus"
    changed, _, build = _check_edit(project, lambda p: _edit(
        p / "cases" / "dah-sle-msc.yaml",
        "title: Mesenchymal stem cell transplantation for diffuse alveolar hemorrhage in SLE",
        f"title: {new_title}"))
    assert "dah-sle-msc.md" in changed and "index.md" in changed and "bibliography.md" in changed
    assert "cite/dah-sle-msc.summary.ris" in changed  # the summary's citation names the title
    assert "cite/dah-sle-msc.original.ris" not in changed  # the original article's does not
    assert not any(p.startswith("assets/") or p.startswith("figures/") for p in changed)
    untouched = [o for o in build.outputs.values() if o.kind == "case" and o.path != "dah-sle-msc.md"
                 and new_title not in (o.slot or "")]
    assert untouched and not any(o.changed for o in untouched)


def test_reference_edit_changes_the_page_and_the_bibliography_only(project):
    record = project / "cases" / "dah-sle-msc.yaml"
    text = record.read_text(encoding="utf-8")
    year = re.search(r'issued: \{"date-parts": \[\[(\d{4})', text) or re.search(r"\b(19|20)\d\d\b", text)
    assert year
    changed, _, _ = _check_edit(project, lambda p: _edit(record, "Lupus", "Lupus (Los Angeles)"))
    assert "dah-sle-msc.md" in changed and "bibliography.md" in changed
    assert not {"index.md", "tags.md", "feed.xml"} & changed
    assert not [p for p in changed if p.endswith(".md") and p not in ("dah-sle-msc.md", "bibliography.md")]


def test_tag_edit(project):
    changed, _, _ = _check_edit(project, lambda p: _edit(
        p / "cases" / "dah-sle-msc.yaml", "  - cell therapy\n", "  - cell therapy\n  - haemoptysis\n"))
    assert {"dah-sle-msc.md", "tags.md", "index.md"} <= changed
    assert "bibliography.md" not in changed


def test_code_edit_changes_related_lists_not_listings(project):
    changed, _, _ = _check_edit(project, lambda p: _edit(p / "cases" / "dah-sle-msc.yaml", "code: R04.8", "code: R04.2"))
    assert "dah-sle-msc.md" in changed
    assert not {"index.md", "tags.md", "bibliography.md"} & changed


def test_date_edit(project):
    changed, _, _ = _check_edit(project, lambda p: _edit(p / "cases" / "dah-sle-msc.yaml", 'date: "2010-08"', 'date: "2011-03"'))
    assert {"dah-sle-msc.md", "index.md", "feed.xml"} <= changed


def test_status_edit_draft_to_published_and_back(project):
    record = project / "cases" / "draft-example.yaml"
    changed, _, build = _check_edit(project, lambda p: _edit(record, "status: draft", "status: published"))
    slug = next(o.path for o in build.outputs.values() if o.record == record and o.kind == "case")
    assert {slug, "index.md", "tags.md"} <= changed
    _, removed, _ = _check_edit(project, lambda p: _edit(record, "status: published", "status: draft"))
    assert slug in removed


def test_status_in_preview_changes_the_kind(project):
    record = project / "cases" / "draft-example.yaml"
    changed, _, build = _check_edit(project, lambda p: _edit(record, "status: draft", "status: published"),
                                    options=PREVIEW)
    page = next(o for o in build.outputs.values() if o.record == record and o.is_page)
    assert page.kind == "case" and page.path in changed


def test_delete_a_record(project):
    _, removed, build = _check_edit(project, lambda p: (p / "cases" / "dah-sle-msc.yaml").unlink())
    assert {"dah-sle-msc.md", "cite/dah-sle-msc.summary.ris", "cite/dah-sle-msc.original.bib"} <= removed
    assert not any("dah-sle-msc" in (o.slot or "") for o in build.outputs.values())


def test_add_a_record(project):
    def add(p: Path) -> None:
        text = (p / "cases" / "dah-sle-msc.yaml").read_text(encoding="utf-8")
        (p / "cases" / "dah-sle-msc-2.yaml").write_text(text.replace("id: dah-sle-msc", "id: dah-sle-msc-2"),
                                                         encoding="utf-8")
    changed, _, _ = _check_edit(project, add)
    assert {"dah-sle-msc-2.md", "cite/dah-sle-msc-2.summary.ris", "index.md", "bibliography.md"} <= changed
    assert "dah-sle-msc.md" in changed  # its related list now names its twin


def test_break_and_fix_in_preview_keeps_the_last_good_page(project):
    """In preview a broken record keeps its last good version in the listings (so a typo
    does not reshuffle the site): only its page changes, to show the error; this differs
    from a cold build by design, which has no last good version to keep."""
    record = project / "cases" / "dah-sle-msc.yaml"
    good = record.read_text(encoding="utf-8")
    engine = SiteEngine(project / "cases", project / "templates", PREVIEW)
    first = _snapshot(engine.build())
    _edit(record, "type: case-study", "type: case-studdy")
    broken = engine.build()
    assert {o.path for o in broken.changed()} == {"dah-sle-msc.md"} and not broken.removed
    assert "case-studdy" in broken.outputs["dah-sle-msc.md"].text  # the error, on the page
    assert re.match(r".*dah-sle-msc\.yaml:\d+:\d+: ", str(broken.problems[0]))
    assert "dah-sle-msc" in broken.outputs["index.md"].slot  # still listed
    record.write_text(good, encoding="utf-8")
    _bump(record)
    fixed = engine.build()
    assert not fixed.problems
    assert {o.path for o in fixed.changed()} == {"dah-sle-msc.md"}
    assert _snapshot(fixed) == first


def test_break_in_a_build_removes_the_page_and_reports_the_problem(project):
    record = project / "cases" / "dah-sle-msc.yaml"
    _, removed, build = _check_edit(project, lambda p: _edit(record, "type: case-study", "type: case-studdy"))
    assert "dah-sle-msc.md" in removed
    assert re.match(r".*dah-sle-msc\.yaml:\d+:\d+: ", str(build.problems[0]))


def test_a_template_change_rerenders_what_uses_it(project):
    changed, _, build = _check_edit(project, lambda p: (p / "templates" / "related.html.j2").write_text(
        (ROOT / "templates" / "related.html.j2").read_text(encoding="utf-8") + "<!-- edited -->\n", encoding="utf-8"))
    case_pages = {o.path for o in build.outputs.values() if o.kind == "case" and o.slot}
    assert case_pages and case_pages <= changed
    assert "index.md" not in changed and not any(p.startswith("cite/") for p in changed)


def test_an_asset_change(project):
    def edit(p: Path) -> None:
        (p / "templates" / "assets").mkdir(exist_ok=True)
        (p / "templates" / "assets" / "extra.css").write_text("body { color: black }\n", encoding="utf-8")
    changed, _, build = _check_edit(project, edit)
    assert "assets/extra.css" in changed and build.outputs["assets/extra.css"].kind == "asset"


def test_memo_forgets_what_a_build_did_not_use():
    memo = Memo()
    assert memo.get("page", "a", 1, lambda: "A1") == "A1"
    assert memo.get("page", "a", 1, lambda: "never") == "A1"
    assert memo.get("page", "a", 2, lambda: "A2") == "A2"  # a new version recomputes
    memo.get("page", "b", 1, lambda: "B1")
    memo.sweep()
    memo.get("page", "a", 2, lambda: "never")
    memo.sweep()  # "b" was not asked for since the last sweep
    assert len(memo) == 1
    assert memo.get("page", "b", 1, lambda: "B again") == "B again"


def test_an_alias_is_a_redirect_to_the_case(project):
    _edit(project / "cases" / "dah-sle-msc.yaml", "id: dah-sle-msc\n", "id: dah-sle-msc\naliases: [lupus-lung, old-id]\n")
    build = build_site(project / "cases", project / "templates", OPTIONS)
    assert not build.problems
    page = build.outputs["lupus-lung/index.html"]
    assert page.kind == "redirect"
    assert 'content="0; url=../dah-sle-msc/"' in page.text and 'href="../dah-sle-msc/"' in page.text
    flat = build_site(project / "cases", project / "templates",
                      RenderOptions(site_title="Grand Rounds case library", directory_urls=False))
    assert 'url=dah-sle-msc.html"' in flat.outputs["old-id.html"].text


def test_an_alias_that_another_case_uses_is_an_error_at_its_line(project):
    _edit(project / "cases" / "dah-sle-msc.yaml", "id: dah-sle-msc\n", "id: dah-sle-msc\naliases:\n  - anti-nmda-encephalitis\n")
    build = build_site(project / "cases", project / "templates", OPTIONS)
    assert [str(p) for p in build.problems] == [
        f"{build.problems[0].path}:5:5: alias 'anti-nmda-encephalitis' is the URL of another case or page; "
        "remove the alias, or rename the other case"]
    assert build.outputs["anti-nmda-encephalitis.md"].kind == "case"


def test_a_generated_page_title_is_read_as_mkdocs_reads_front_matter():
    """A site's template may write its title as plain YAML (`title: Tags`); it was read as
    no title, so under `serve --dirty` the navigation showed "None" for a page not rebuilt."""
    from grandrounds.site.engine import _front_title

    assert _front_title('---\ntitle: "A & B"\n---\n# x') == "A & B"
    assert _front_title("---\ntitle: Tags\nsearch:\n  exclude: true\n---\n# Tags") == "Tags"
    assert _front_title("---\ntitle: 'It''s'\n---\n") == "It's"
    assert _front_title("---\ntitle: [unclosed\n---\n") is None
    assert _front_title("---\nsearch: {}\n---\ntitle: not front matter\n") is None
