"""Teaching sessions (`sessions/*.yaml`): their pages, the Sessions page, and their errors."""

from __future__ import annotations

import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, article, build_project, parse_html, squash
from grandrounds.site.engine import SiteEngine
from grandrounds.site.render import RenderOptions


@pytest.fixture
def project(tmp_path):
    shutil.copytree(ROOT / "cases", tmp_path / "cases")
    shutil.copytree(ROOT / "templates", tmp_path / "templates")
    (tmp_path / "sessions").mkdir()
    return tmp_path


def _session(project: Path, name: str, text: str) -> Path:
    path = project / "sessions" / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    return path


def _engine(project: Path, **options) -> SiteEngine:
    return SiteEngine(project / "cases", project / "templates", RenderOptions(**options),
                      sessions_dir=project / "sessions")


def _titles(text: str) -> list[str]:
    return re.findall(r'data-case="[^"]+">([^<]+)</a>', text)


def test_a_session_lists_its_cases_in_order_under_their_public_titles(project):
    _session(project, "round.yaml", """
        title: Lupus and the lung
        date: "2026-11-02"
        presenter: Dr Ada Lovelace
        cases: [elderly-hyponatraemia-siadh, dah-sle-msc]
        """)
    build = _engine(project).build()
    assert not build.problems
    page = build.outputs["sessions/round.md"].text
    assert re.findall(r'data-case="([^"]+)"', page) == ["elderly-hyponatraemia-siadh", "dah-sle-msc"]
    titles = {c.slug: c.title for c in build.cases}
    assert _titles(page) == [titles["elderly-hyponatraemia-siadh"], titles["dah-sle-msc"]]
    assert "Dr Ada Lovelace" in page and "2026-11-02" in page


def test_an_unknown_session_shows_neutral_titles_and_no_diagnosis(project):
    _session(project, "quiz.yaml", """
        title: Unknowns
        date: "2026-11-03"
        unknown: true
        cases: [dah-sle-msc, anti-nmda-encephalitis]
        """)
    build = _engine(project).build()
    page = build.outputs["sessions/quiz.md"].text
    assert _titles(page) == ["Case 1", "Case 2"]
    for case in build.cases:
        if case.slug in ("dah-sle-msc", "anti-nmda-encephalitis"):
            assert case.title not in page
    assert "gr-session-diagnosis" not in page


def test_the_sessions_page_lists_newest_first_and_drafts_only_in_preview(project):
    _session(project, "a.yaml", 'title: Older\ndate: "2025-01-01"\ncases: [dah-sle-msc]\n')
    _session(project, "b.yaml", 'title: Newer\ndate: "2026-01-01"\ncases: [dah-sle-msc]\n')
    _session(project, "c.yaml", 'title: Planned\ndate: "2027-01-01"\nstatus: draft\ncases: [draft-example]\n')
    published = _engine(project).build().outputs["sessions.md"].text
    assert re.findall(r">(Older|Newer|Planned)</a>", published) == ["Newer", "Older"]
    preview = _engine(project, include_drafts=True, preview=True).build()
    assert re.findall(r">(Older|Newer|Planned)</a>", preview.outputs["sessions.md"].text) == ["Planned", "Newer", "Older"]


@pytest.mark.parametrize("text, where, what", [
    ('title: T\ndate: "2026-01-01"\ncases:\n  - dah-sle-msc\n  - dah-sle-mcs\n', "5:5", "no case with id 'dah-sle-mcs'; did you mean 'dah-sle-msc'?"),
    ('title: T\ndate: "2026-01-01"\ncases:\n  - draft-example\n', "4:5", "case 'draft-example' is a draft in a published session"),
    ('title: T\ndate: "10 Dec"\ncases: [dah-sle-msc]\n', "2:7", "date '10 Dec' is not YYYY-MM-DD"),
    ('title: T\ndate: "2026-01-01"\ncase: [dah-sle-msc]\n', "3:1", "unknown key 'case'; did you mean 'cases'?"),
    ('title: T\ndate: "2026-01-01"\ncases: [dah-sle-msc, dah-sle-msc]\n', "3:22", "case 'dah-sle-msc' is listed twice"),
    ('- just\n- a list\n', "1:1", "a session must be a mapping"),
    ('title: [unclosed\n', "", "sessions/s.yaml:"),
    ('date: "2026-01-01"\ncases: [dah-sle-msc]\n', "1:1", "missing required field 'title'"),
    ('title: T\ndate: "2026-01-01"\nunknown: yes please\ncases: [dah-sle-msc]\n', "3:10", "unknown must be true or false"),
])
def test_session_errors_are_located(project, text, where, what):
    _session(project, "s.yaml", text)
    build = _engine(project).build()
    lines = [str(p) for p in build.problems]
    assert lines and all("sessions/s.yaml:" in line for line in lines), lines
    assert any(f"s.yaml:{where}" in line and what in line for line in lines), lines
    assert "sessions/s.md" not in build.outputs


def test_editing_a_session_changes_its_page_and_the_index_only(project):
    _session(project, "round.yaml", 'title: Round\ndate: "2026-01-01"\ncases: [dah-sle-msc]\n')
    engine = _engine(project)
    engine.build()
    _session(project, "round.yaml", 'title: Round two\ndate: "2026-01-01"\ncases: [dah-sle-msc]\n')
    # the case's page changes in its slot only: its hidden session navigation names the session
    edited = engine.build()
    assert {o.path for o in edited.changed()} == {"sessions/round.md", "sessions.md", "dah-sle-msc.md"}
    assert 'aria-label="Round two"' in edited.outputs["dah-sle-msc.md"].slot
    (project / "sessions" / "round.yaml").unlink()
    gone = engine.build()
    assert set(gone.removed) == {"sessions/round.md", "sessions.md"}
    assert {o.path for o in gone.changed()} == {"dah-sle-msc.md"}
    assert "gr-session-nav" not in gone.outputs["dah-sle-msc.md"].slot


def test_a_built_site_has_the_session_pages_and_fails_on_a_bad_session(tmp_path):
    def prepare(root: Path) -> None:
        (root / "sessions").mkdir(exist_ok=True)
        (root / "sessions" / "round.yaml").write_text(
            'title: "A <b>round</b>"\ndate: "2026-02-02"\nunknown: true\ncases: [dah-sle-msc]\n', encoding="utf-8")
    site = build_project(tmp_path / "ok", prepare)
    doc = parse_html((site / "sessions" / "round" / "index.html").read_text(encoding="utf-8"))
    text = squash(article(doc).text())
    assert "A <b>round</b>" in text  # the author's markup printed as text
    assert "Case 1" in text
    index = squash(article(parse_html((site / "sessions" / "index.html").read_text(encoding="utf-8"))).text())
    assert "A <b>round</b>" in index


def test_render_out_writes_the_session_pages_too(tmp_path, monkeypatch, capsys):
    from conftest import copy_project, run_cli

    project = copy_project(tmp_path / "project")
    (project / "sessions").mkdir()
    (project / "sessions" / "round.yaml").write_text(
        'title: Round\ndate: "2026-02-02"\nunknown: true\ncases: [dah-sle-msc]\n', encoding="utf-8")
    monkeypatch.chdir(project)
    code, _, err = run_cli(capsys, "render", "--out", "out", "--engine", "mkdocs")
    assert code == 0, err
    assert "Case 1" in (project / "out" / "docs" / "sessions" / "round.md").read_text(encoding="utf-8")
    assert (project / "out" / "docs" / "sessions.md").is_file()


def test_a_built_site_with_handouts_has_each_sessions_booklet(tmp_path):
    """`handouts/sessions/<id>.pdf`: the session's cases in its order; an unknown session's
    under "Case N" in the contents and chapter titles, with each real title only on its
    case's answers page (the quiz variant)."""
    from pypdf import PdfReader

    def prepare(root: Path) -> None:
        config = root / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "      style: nature\n", "      style: nature\n      handouts: true\n"), encoding="utf-8")
        (root / "sessions").mkdir(exist_ok=True)
        (root / "sessions" / "round.yaml").write_text(
            'title: Unknowns\ndate: "2026-02-02"\nunknown: true\ncases: [elderly-hyponatraemia-siadh, dah-sle-msc]\n',
            encoding="utf-8")
    site = build_project(tmp_path / "site", prepare)
    pdf = site / "handouts" / "sessions" / "round.pdf"
    assert pdf.is_file()
    pages = [squash(p.extract_text()) for p in PdfReader(pdf).pages]
    contents = pages[0]
    assert "Unknowns" in contents and re.search(r"Case 1 \.+ \d+ Case 2 \.+ \d+", contents)
    titles = {c.slug: c.title for c in SiteEngine(ROOT / "cases").build().cases}
    for n, slug in enumerate(("elderly-hyponatraemia-siadh", "dah-sle-msc"), 1):
        start = next(i for i, text in enumerate(pages) if text.startswith(f"Case {n} "))
        answers = next(i for i, text in enumerate(pages) if i > start and text.startswith("Answers"))
        where = [i for i, text in enumerate(pages) if titles[slug][:40] in text]
        assert where and min(where) >= answers, (slug, where, answers)  # named from its answers page on
    link = parse_html((site / "sessions" / "round" / "index.html").read_text(encoding="utf-8"))
    assert any(a.get("href", "").endswith("handouts/sessions/round.pdf") for a in link.find_all("a"))
