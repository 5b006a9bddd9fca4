"""Untrusted input: refused with file:line, or rendered harmless in the Markdown and the site."""

from __future__ import annotations

import json

import os
import re
import time
from pathlib import Path

import pytest

from conftest import PNG_1PX, ROOT, article, build_project, read_html, run_cli, write_case
from grandrounds.errors import CaseErrors
from grandrounds.library import read_case
from grandrounds.limits import MAX_TEXT_CHARS
from grandrounds.load import MAX_BYTES, load_record
from grandrounds.render import Renderer, RenderOptions


@pytest.fixture
def site(tmp_path, monkeypatch):
    (tmp_path / "cases").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


def problems_of(path: Path) -> list[str]:
    with pytest.raises(CaseErrors) as info:
        read_case(path, Path("cases"))
    return [str(p) for p in info.value.problems]


# --------------------------------------------------------------------------- refused input


def test_alias_bomb_refused_quickly(site):
    lines = ["title: X", "abstract: Y", 'a0: &a0 ["lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    lines.append("tags: *a9")
    path = write_case(site, "bomb", "\n".join(lines) + "\n")
    start = time.perf_counter()
    found = problems_of(path)
    elapsed = time.perf_counter() - start
    assert elapsed < 5, f"took {elapsed:.1f} s"
    assert len(found) == 1
    assert found[0].startswith("cases/bomb.yaml:")
    assert "(an alias bomb?)" in found[0]
    assert found[0].endswith("; remove the anchors (&) and aliases (*); write the values out")


def test_python_tag_refused_and_not_run(site, capfd):
    marker = site / "PWNED"
    path = write_case(site, "x", f"""
        title: X
        abstract: !!python/object/apply:os.system ["echo hi; touch {marker}"]
    """)
    found = problems_of(path)
    assert found == ["cases/x.yaml:2:11: YAML tag '!!python/object/apply:os.system' is not allowed "
                     "in a case record; remove the tag; case records hold plain text, numbers, "
                     "lists and mappings"]
    out, err = capfd.readouterr()
    assert "hi" not in out.split()
    assert not marker.exists()


def test_python_tag_at_document_root_refused(site, capfd):
    marker = site / "PWNED"
    path = write_case(site, "x", f'!!python/object/apply:os.system ["touch {marker}"]\n')
    found = problems_of(path)
    assert found[0].startswith("cases/x.yaml:1:1: YAML tag '!!python/object/apply:os.system' is not allowed")
    assert not marker.exists()


@pytest.mark.parametrize("tag", ["!!python/name:os.system", "!!binary", "!!set", "!custom"])
def test_other_tags_refused(site, tag):
    path = write_case(site, "x", f"title: X\nabstract: {tag} aGk=\n")
    found = problems_of(path)
    assert len(found) == 1
    assert found[0].startswith("cases/x.yaml:2:11: YAML tag ")
    assert "is not allowed in a case record" in found[0]


def test_merge_key_refused(site):
    path = write_case(site, "x", """
        base: &b {title: X}
        <<: *b
        abstract: Y
    """)
    assert problems_of(path) == ["cases/x.yaml:2:1: merge keys (<<) are not supported; "
                                 "write the keys out in this mapping"]


def test_non_utf8_file_refused_with_line_and_column(site):
    path = site / "cases" / "latin.yaml"
    path.write_bytes(b"title: X\nabstract: Y\npresentation: caf\xe9 au lait\n")
    assert problems_of(path) == ["cases/latin.yaml:3:18: not valid UTF-8 (byte 0xe9); "
                                 "save the file as UTF-8 in your editor"]


def test_oversized_file_refused(site):
    path = site / "cases" / "big.yaml"
    head = b"title: X\nabstract: Y\ndiscussion: "
    path.write_bytes(head + b"x" * (MAX_BYTES + 1 - len(head)))
    size = MAX_BYTES + 1
    start = time.perf_counter()
    assert problems_of(path) == [f"cases/big.yaml:1:1: file is {size:,} bytes, over the "
                                 f"{MAX_BYTES:,}-byte limit; split the record or move references "
                                 "to a file beside it"]
    assert time.perf_counter() - start < 2


def test_file_at_the_size_limit_is_read(site):
    path = site / "cases" / "big.yaml"
    head = b"title: X\nabstract: Y\nlearning_points:\n"
    item = b"  - " + b"x" * (MAX_TEXT_CHARS - 10) + b"\n"
    body = item * ((MAX_BYTES - len(head)) // len(item))
    tail = b"  - " + b"y" * (MAX_BYTES - len(head) - len(body) - 5) + b"\n"
    path.write_bytes(head + body + tail)
    assert path.stat().st_size == MAX_BYTES
    assert load_record(path).data["title"] == "X"


def test_duplicate_key_refused(site):
    path = write_case(site, "x", """
        title: X
        abstract: Y
        abstract: Z
    """)
    assert problems_of(path) == ["cases/x.yaml:3:1: duplicate key 'abstract' (first at line 2); "
                                 "keep one of them; YAML would silently drop the first"]


@pytest.mark.parametrize("file", ["../secret.png", "/etc/passwd", "figures/../../secret.png"])
def test_figure_path_leaving_cases_refused(site, file):
    (site / "secret.png").write_bytes(PNG_1PX)
    path = write_case(site, "x", f"""
        title: X
        abstract: Y
        figures:
          - id: f
            file: {file}
            alt: a
    """)
    assert problems_of(path) == [f"cases/x.yaml:5:11: figure path '{file}' leaves the cases folder; "
                                 "put the image under cases/ (e.g. cases/figures/) and give its "
                                 "path relative to cases/"]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_figure_symlink_pointing_out_of_cases_refused(site):
    (site / "secret.png").write_bytes(PNG_1PX)
    (site / "cases" / "figures").mkdir()
    (site / "cases" / "figures" / "link.png").symlink_to(site / "secret.png")
    path = write_case(site, "x", """
        title: X
        abstract: Y
        figures:
          - id: f
            file: figures/link.png
            alt: a
    """)
    assert problems_of(path) == ["cases/x.yaml:5:11: figure path 'figures/link.png' leaves the cases "
                                 "folder; put the image under cases/ (e.g. cases/figures/) and give "
                                 "its path relative to cases/"]


def test_check_reports_refusals_without_traceback(site, capsys):
    (site / "cases" / "latin.yaml").write_bytes(b"title: X\nabstract: Y\nx: \xff\n")
    write_case(site, "tag", "title: !!python/object:os.system X\nabstract: Y\n")
    code, out, err = run_cli(capsys, "check")
    assert code == 1
    assert "Traceback" not in out + err
    assert out.splitlines()[0].startswith("cases/latin.yaml:3:4: error: schema: not valid UTF-8")
    assert out.splitlines()[1].startswith("cases/tag.yaml:1:8: error: schema: YAML tag")


# --------------------------------------------------------------------------- HTML in fields

XSS_TITLE = 'Rash <script>alert("t")</script> & <b>bold</b>'
XSS_ABSTRACT = 'Fever <script>alert("a")</script> and <img src=x onerror=alert(1)> **ok**'
JS_ABSTRACT = "See [x](javascript:alert(1)) and [y](JAVASCRIPT:alert(2)) and <javascript:alert(3)>."


def xss_record() -> str:
    return f"""
        title: '{XSS_TITLE}'
        abstract: '{XSS_ABSTRACT}'
        presentation: 'Seen <script>alert("p")</script> today'
        learning_points:
          - '<script>alert("l")</script>'
        specialties: [dermatology]
    """


def js_record(title: str = "A plain title") -> str:
    return f"""
        title: "{title}"
        abstract: "{JS_ABSTRACT}"
        discussion: "[link](javascript:alert(4))"
        specialties: [dermatology]
    """


def test_script_in_title_and_markdown_escaped_in_rendered_markdown(site):
    case = read_case(write_case(site, "xss", xss_record()), Path("cases"))
    page = Renderer(ROOT / "templates", RenderOptions()).case_page(case)
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    assert "&lt;script&gt;alert" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<strong>ok</strong>" in page  # Markdown itself still works


def test_javascript_link_not_rendered_as_link_in_markdown(site):
    case = read_case(write_case(site, "js", js_record()), Path("cases"))
    page = Renderer(ROOT / "templates", RenderOptions()).case_page(case)
    hrefs = re.findall(r"""href\s*=\s*["']?([^"'\s>]*)""", page, flags=re.I)
    assert not [h for h in hrefs if h.strip().lower().startswith("javascript")]
    assert "<p>See [x](javascript:alert(1)) and [y](JAVASCRIPT:alert(2))" in page


def _prepare_security_site(project: Path) -> None:
    write_case(project, "xss", xss_record())
    write_case(project, "js-link", js_record())
    write_case(project, "js-link-colon", js_record("Lupus: a case with a colon"))


@pytest.fixture(scope="module")
def security_site(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("security"), _prepare_security_site)


def _scripts(doc) -> list[str]:
    """The text of the executable scripts (JSON-LD is data; checked separately below)."""
    return [s.text() for s in doc.find_all("script") if s.get("type") != "application/ld+json"]


def test_script_in_title_and_abstract_not_in_built_html(security_site):
    html = (security_site / "xss" / "index.html").read_text(encoding="utf-8")
    doc = read_html(security_site / "xss" / "index.html")
    assert not any("alert(" in s for s in _scripts(doc))
    assert 'alert("t")' not in "".join(_scripts(doc))
    assert "<script>alert" not in html
    assert "onerror=alert(1)>" not in html
    (jsonld,) = [s.text() for s in doc.find_all("script") if s.get("type") == "application/ld+json"]
    assert "<" not in jsonld and ">" not in jsonld  # written as \u003c, \u003e
    assert "<script>" in json.loads(jsonld)["headline"]  # the title, as data
    body = article(doc)
    assert body.find("h1").squashed() == XSS_TITLE
    assert not body.find_all("img")
    assert "&lt;script&gt;alert(&quot;a&quot;)&lt;/script&gt;" in html or \
        '&lt;script&gt;alert("a")&lt;/script&gt;' in html


def test_script_in_title_not_in_home_specialty_and_tags_pages(security_site):
    for page in ("index.html", "specialties/dermatology/index.html", "tags/index.html"):
        doc = read_html(security_site / page)
        assert not any("alert(" in s for s in _scripts(doc)), page
        links = [a for a in article(doc).find_all("a") if (a.get("href") or "").rstrip("/").endswith("xss")]
        assert links and links[0].squashed() == XSS_TITLE, page


def _javascript_links(doc) -> list[str]:
    return [a.get("href") for a in doc.find_all("a")
            if (a.get("href") or "").strip().lower().startswith("javascript")]


def test_javascript_link_in_markdown_field_not_a_link_in_built_html(security_site):
    doc = read_html(security_site / "js-link" / "index.html")
    assert _javascript_links(doc) == []


def test_javascript_link_not_a_link_when_title_has_a_colon(security_site):
    doc = read_html(security_site / "js-link-colon" / "index.html")
    assert _javascript_links(doc) == []


def test_no_javascript_link_anywhere_in_the_site_but_the_colon_page(security_site):
    for page in security_site.rglob("*.html"):
        if page.parent.name == "js-link-colon":
            continue
        assert _javascript_links(read_html(page)) == [], page
