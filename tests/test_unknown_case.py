"""An unknown case gives nothing away: its real title and final diagnosis are in no output
file of the built site except inside a reveal, in its `cite/` downloads and on its
handout's answers page (issue 13: HTML, JSON, XML, the search bundle, PDF text)."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, build_project, parse_html, squash
from grandrounds.record.library import load_library
from grandrounds.site.markup import markdown_to_text
from grandrounds.site.render import RenderOptions
from grandrounds.site.view import public_view

UNKNOWN = "palpitations-runner"


def _secrets() -> list[str]:
    case = next(c for c in load_library(ROOT / "cases").cases if c.slug == UNKNOWN)
    view = public_view(case, RenderOptions())
    assert view.unknown, "the example library's unknown case lost its teaching title"
    return [case.title, markdown_to_text(case.final_diagnosis)]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    def prepare(root: Path) -> None:
        config = root / "mkdocs.yml"
        config.write_text(config.read_text(encoding="utf-8").replace(
            "      style: nature\n", "      style: nature\n      handouts: true\n"), encoding="utf-8")
    return build_project(tmp_path_factory.mktemp("unknown"), prepare, search="pagefind")


def _visible_html(text: str) -> str:
    """The page's text and attribute values, without what sits inside a reveal."""
    doc = parse_html(text)
    for node in list(doc.iter()):
        if node.tag == "details" and "gr-reveal" in node.classes and node.parent is not None:
            node.parent.children.remove(node)
    parts = []
    for node in doc.iter():
        parts += [str(v) for v in node.attrs.values() if v]
    return squash(doc.text() + " " + " ".join(parts))


def _found(text: str, secrets: list[str]) -> list[str]:
    flat = squash(re.sub(r"<[^>]+>", " ", text))
    return [s for s in secrets if s.lower() in flat.lower() or s.lower() in text.lower()]


def test_the_secrets_are_findable_where_they_belong(site):
    """So that the searches below could find them (the test can fail)."""
    title, diagnosis = _secrets()
    page = (site / UNKNOWN / "index.html").read_text(encoding="utf-8")
    assert title in squash(parse_html(page).text()) and diagnosis[:30] in squash(parse_html(page).text())
    assert title in (site / "cite" / f"{UNKNOWN}.summary.ris").read_text(encoding="utf-8")
    pages = [squash(p.extract_text()) for p in PdfReader(site / "handouts" / f"{UNKNOWN}.pdf").pages]
    answers_at = next(i for i, text in enumerate(pages) if text.startswith("Answers"))
    assert title in " ".join(pages[answers_at:])


def test_no_output_file_names_the_unknown_case_outside_its_reveals(site):
    secrets = _secrets()
    leaks = []
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(site).as_posix()
        if rel.startswith(f"cite/{UNKNOWN}."):
            continue  # the downloads cite the summary by its real title
        data = path.read_bytes()
        if path.suffix == ".html":
            text = _visible_html(data.decode("utf-8"))
        elif path.suffix == ".pdf":
            pages = [squash(p.extract_text()) for p in PdfReader(path).pages]
            answers = next((i for i, t in enumerate(pages) if t.startswith("Answers")), len(pages))
            text = " ".join(pages[:answers])  # its answers page may name it
            text += " " + " ".join(str(v) for v in (PdfReader(path).metadata or {}).values())
        elif data[:2] == b"\x1f\x8b" or path.suffix.startswith(".pf_"):
            try:
                text = gzip.decompress(data).decode("utf-8", "replace")  # Pagefind's chunks
            except OSError:
                text = data.decode("utf-8", "replace")
        else:
            text = data.decode("utf-8", "replace")
        found = _found(text, secrets)
        if found:
            leaks.append((rel, found))
    assert not leaks


def test_pagefind_holds_no_reference_list_citation_or_disclaimer(site):
    """What DESIGN.md keeps out of search is out of Pagefind's chunks too (the one mark,
    `search_exclude`, on the reference list, both citations and the disclaimer)."""
    fragments = [gzip.decompress(p.read_bytes()).decode("utf-8", "replace")
                 for p in (site / "pagefind" / "fragment").glob("*.pf_fragment")]
    assert len(fragments) >= 5  # every published case page
    text = " ".join(fragments)
    cases = load_library(ROOT / "cases").cases
    titles = [r["title"] for c in cases for r in c.reference_items() if len(r.get("title", "")) >= 30]
    assert len(titles) > 30
    assert not [t for t in titles if t in text]
    assert "Cite this summary" not in text and "For medical education only" not in text
    assert "Mesenchymal stem cell transplantation" in text  # a case title is indexed (the test can fail)


@pytest.fixture(scope="module")
def flat_site(tmp_path_factory) -> Path:
    """The example site with `use_directory_urls: false` (pages at `x.html`)."""
    def prepare(root: Path) -> None:
        config = root / "mkdocs.yml"
        config.write_text("use_directory_urls: false\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    return build_project(tmp_path_factory.mktemp("unknown-flat"), prepare)


@pytest.mark.parametrize("style", ["directory", "flat"])
def test_the_links_behind_the_reveals_resolve_with_either_url_style(site, flat_site, style):
    """"Cite this summary" (and "Cite the original"), the references and related cases sit behind
    the reveals as Markdown (`markdown="block"`) or as the engine's HTML: MkDocs rewrote
    their links for the page's URL style (`mkdocs build --strict` checked them), so each
    one leads to a file of the site; and outside the reveals nothing names the case."""
    root = site if style == "directory" else flat_site
    page = root / (f"{UNKNOWN}/index.html" if style == "directory" else f"{UNKNOWN}.html")
    text = page.read_text(encoding="utf-8")
    doc = parse_html(text)
    reveals = [n for n in doc.iter() if n.tag == "details" and "gr-reveal" in n.classes]
    sections = {n.attrs.get("data-section") for n in reveals}
    assert {"cite-summary", "related"} <= sections, sections  # (this case has no original to cite)
    links = [a.attrs["href"] for d in reveals for a in d.iter() if a.tag == "a" and a.attrs.get("href")]
    local = [h.split("#")[0] for h in links if not re.match(r"[a-z]+:", h) and not h.startswith("#")]
    assert any("cite/" in h for h in local) and any(h.endswith(".html" if style == "flat" else "/") for h in local)
    missing = [h for h in local if not (page.parent / h / ("index.html" if h.endswith("/") else "")).resolve().is_file()]
    assert not missing
    assert not _found(_visible_html(text), _secrets())
