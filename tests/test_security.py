"""Untrusted input: refused with file:line, or rendered harmless in the Markdown and the site."""

from __future__ import annotations

import json

import os
import re
import time
from pathlib import Path

import pytest

from conftest import PNG_1PX, ROOT, article, build_project, read_html, run_cli, squash, write_case
from grandrounds.errors import CaseErrors
from grandrounds.record.library import read_case
from grandrounds.limits import MAX_TEXT_CHARS
from grandrounds.record.load import MAX_BYTES, load_record
from grandrounds.site.render import Renderer, RenderOptions


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
    # the pages that print its title: the home, its specialty's and its tag's (its one tag is
    # its specialty: xss_record has no tags); the tags index prints tag names only
    for page in ("index.html", "specialties/dermatology/index.html", "tags/dermatology/index.html"):
        doc = read_html(security_site / page)
        assert not any("alert(" in s for s in _scripts(doc)), page
        assert "<script>alert" not in (security_site / page).read_text(encoding="utf-8"), page
        links = [a for a in article(doc).find_all("a") if (a.get("href") or "").rstrip("/").endswith("xss")]
        assert links and links[0].squashed() == XSS_TITLE, page
    index = (security_site / "tags" / "index.html").read_text(encoding="utf-8")
    assert not any("alert(" in s for s in _scripts(read_html(security_site / "tags" / "index.html")))
    assert "<script>alert" not in index and 'alert("t")' not in index


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


# --------------------------------------------------------------------------- no stored script
#
# Every text field of a record, every id inside it and the file name carry payloads that
# would be live markup, attributes or script somewhere in the site if one escaping point
# were missing (HTML, Markdown attr_list `{...}`, footnote ids, attributes, URLs, feed,
# front matter, JSON-LD). The whole site is built and every page, the feed and the search
# index are checked.

MARKER = "PWN"
PAYLOADS = [
    '"><img src=x onerror=alert("PWN1")>',
    "'><svg onload=alert('PWN2')>",
    '{: onclick=alert("PWN3") }',
    'x { #y onmouseover=alert("PWN4") }',
    '[PWN5](javascript:alert(5)){onclick=alert("PWN5")} and [PWN5b](<javascript:alert(5)>)',
    '![PWN6](x.png){onerror=alert("PWN6")} ![PWN6b](javascript:alert(6))',
    '<script>alert("PWN7")</script>',
    '</textarea></script><script>alert("PWN8")</script>',
    'javascript:alert("PWN9")',
    '*{onclick=alert(PWN10)}* _x_{: onclick=alert(PWN10) }',
    '<a href="javascript:alert(11)" onclick="alert(11)">PWN11</a>',
    '`{onclick=alert(12)}`PWN12 \\{onclick=alert(12)\\}',
    '[PWN13][r]\n\n[r]: javascript:alert(13)',
    '<details open ontoggle=alert("PWN14")>',
    '&lt;img src=x onerror=alert("PWN15")&gt; &#60;b onclick=alert(15)&#62;',
    'PWN16 line\u2028sep\u2029para\ufeffbom\u200bzw \u202eevil\u2066 title: x\n---\n<script>alert(16)</script>',
]
HOSTILE_IDS = [
    'x"><img src=x onerror=alert("PWN-id1")>',
    "x'><svg/onload=alert('PWN-id2')>",
    "x){autofocus onfocus=alert('PWN-id3')}",
    "#x?y%z {onclick=alert(PWN-id4)}",
    "Smith2010:abc/10.1000/xyz<b>",
]


def hostile_record(text: str, ids: list[str]) -> dict:
    """A record whose every free-text field holds `text` and whose figure, table and
    reference ids are the hostile `ids` (a reference with the last id is cited)."""
    cited = "Smith:2010/x?y#z&<b>"
    return {
        "title": f"Title {text}", "type": "case-report", "date": "2020-01",
        "authors": [{"name": text, "affiliation": text, "corresponding": True}],
        "specialties": [text, "dermatology"], "tags": [text], "keywords": [text],
        "codes": [{"system": "ICD-10", "code": text, "label": text}],
        "patients": [{"label": text, "age": 30, "sex": "female", "species": text}],
        "abstract": {"background": f"{text} [@{cited}]", "diagnosis": text},
        "introduction": text, "presentation": f"{text}\n\n{text}[^n]\n\n[^n]: {text}",
        "timeline": [{"when": text, "event": text}],
        "investigations": [{"name": text, "result": text, "unit": text, "reference_range": text,
                            "when": text, "figure": ids[0]}],
        "diagnosis": {"final": text, "differential": [text], "reasoning": text},
        "management": [{"intervention": text, "route": text, "dose": text, "frequency": text,
                        "duration": text, "response": text}],
        "outcome": text, "discussion": text, "learning_points": [text], "patient_perspective": text,
        "figures": [{"id": i, "label": text, "file": "figures/x.png", "caption": text, "alt": text}
                    for i in ids],
        "tables": [{"id": i, "label": text, "caption": text,
                    "content": f"| a | b |\n|---|---|\n| {text.replace('|', '/')} | x[^t] |\n\n[^t]: {text}"}
                   for i in ids],
        "references": [{"id": i, "type": "article-journal", "title": text,
                        "author": [{"family": text, "given": text}], "container-title": text,
                        "URL": f"javascript:alert('{MARKER}')", "DOI": text, "publisher": text,
                        "volume": text, "page": text, "issued": {"date-parts": [[2020]]}}
                       for i in [*ids, cited]],
        "abbreviations": {text: text},
        "acknowledgements": text, "funding": [{"funder": text, "award": [text]}],
        "competing_interests": text, "author_contributions": text, "data_availability": text,
        "ethics_approval": text, "consent": {"obtained": True, "by": "patient", "statement": text},
        "license": text,
        "source": {"id": ids[0], "title": text, "URL": f"javascript:alert('{MARKER}')", "DOI": text,
                   "author": [{"literal": text}], "container-title": text},
    }


def _prepare_hostile_site(project: Path) -> None:
    (project / "cases" / "figures" / "x.png").write_bytes(PNG_1PX)
    for n, text in enumerate(PAYLOADS):
        record = hostile_record(text, HOSTILE_IDS)
        (project / "cases" / f"hostile-{n}.yaml").write_text(json.dumps(record, indent=1), encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "  - grandrounds:\n", "  - grandrounds:\n      check_warnings: info\n      care_table: true\n"),
        encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    return build_project(tmp_path_factory.mktemp("hostile"), _prepare_hostile_site)


_URL_ATTRS = ("href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset", "background")


def _live_problems(page: Path) -> list[str]:
    """What in a built page an author's text could have made live."""
    found = []
    for node in read_html(page).iter():
        for name, value in node.attrs.items():
            if name.startswith("on"):
                found.append(f"<{node.tag} {name}={value!r}>")
            if MARKER in name:
                found.append(f"<{node.tag}> attribute named {name!r}")
            url = re.sub(r"[\x00-\x20]", "", value or "").lower()
            if name in _URL_ATTRS and url.startswith(("javascript:", "vbscript:", "data:text")):
                found.append(f"<{node.tag} {name}={value!r}>")
        if node.tag in ("iframe", "object", "embed", "base", "frame", "frameset"):
            found.append(f"<{node.tag}> element")
        if node.tag == "script" and node.get("type") != "application/ld+json":
            src = node.get("src") or ""
            if MARKER in node.text() or "alert(" in node.text() or (src and "assets/" not in src):
                found.append(f"<script src={src!r}> {node.text()[:80]!r}")
        if node.tag == "script" and node.get("type") == "application/ld+json":
            text = node.text()
            json.loads(text)
            if "<" in text or ">" in text:
                found.append("raw < or > in JSON-LD")
        if node.tag == "meta" and (node.get("http-equiv") or "").lower() == "refresh":
            found.append("<meta http-equiv=refresh>")
    return found


def test_hostile_text_and_ids_are_never_live_anywhere_in_the_site(hostile_site):
    pages = list(hostile_site.rglob("*.html"))
    assert len(pages) > len(PAYLOADS)
    problems = {str(p.relative_to(hostile_site)): _live_problems(p) for p in pages}
    assert {p: f for p, f in problems.items() if f} == {}


def test_hostile_text_is_shown_as_text_on_the_case_page(hostile_site):
    for n, text in enumerate(PAYLOADS):
        body = article(read_html(hostile_site / f"hostile-{n}" / "index.html"))
        assert body.find("h1").squashed() == squash(f"Title {text}"), n
        outcome = body.find(id="outcome")
        assert outcome is not None, n
        if "<" in text and "&" not in text:
            assert text.split("\n")[0][:20] in body.text(), n  # shown literally, not parsed


def test_hostile_ids_become_distinct_safe_anchors(hostile_site):
    body = article(read_html(hostile_site / "hostile-0" / "index.html"))
    ids = [node.get("id") for node in body.iter() if node.get("id")]
    assert all(re.fullmatch(r"[A-Za-z0-9_:-]+", i) for i in ids), [i for i in ids if not re.fullmatch(r"[A-Za-z0-9_:-]+", i)]
    figures = [i for i in ids if i.startswith("figure-")]
    tables = [i for i in ids if i.startswith("table-")]
    refs = [i for i in ids if i.startswith("ref-")]
    assert len(set(figures)) == len(HOSTILE_IDS) and len(set(tables)) == len(HOSTILE_IDS)
    assert len(set(refs)) == len(HOSTILE_IDS) + 1
    # every in-page link reaches an element of the page (citations, figures, footnotes)
    targets = set(ids)
    links = [a.get("href")[1:] for a in body.find_all("a") if (a.get("href") or "").startswith("#")]
    assert links and [t for t in links if t not in targets] == []


def test_hostile_feed_search_index_and_front_matter_stay_well_formed(hostile_site):
    import xml.etree.ElementTree as ET

    feed = ET.parse(hostile_site / "feed.xml").getroot()
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(t and t.startswith("Title ") for t in titles)
    index = json.loads((hostile_site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert index["docs"]
    for n, text in enumerate(PAYLOADS):  # the page title came from front matter, not the file name
        title = read_html(hostile_site / f"hostile-{n}" / "index.html").find("title").squashed()
        assert title.startswith("Title "), (n, title)


# --------------------------------------------------------------------------- ids from file names

BAD_STEMS = [
    "x){autofocus onfocus=alert(1)}", "{onclick=alert(1)}", "a b", "x#y", "x?y", "100%", "caf\u00e9",
    "x\u202egpj.exe", "x\u200by", "-x", "_x", "x\x1b[31my", 'x"y', "x<y>", "x'y", "x&y", "x:y", "x=y",
]


def _check_lines(capsys) -> tuple[int, str]:
    code, out, err = run_cli(capsys, "check")
    assert "Traceback" not in out + err
    return code, out + err


@pytest.mark.parametrize("stem", BAD_STEMS)
def test_file_name_that_is_no_valid_id_is_refused_at_line_1(site, capsys, stem):
    (site / "cases" / f"{stem}.yaml").write_text("title: X\nabstract: Y\n", encoding="utf-8")
    code, out = _check_lines(capsys)
    assert code == 1
    (line,) = [l for l in out.splitlines() if ": error: " in l]
    assert line.startswith("cases/") and ".yaml:1:1: error: " in line
    assert "is not valid (ASCII letters, digits, '-', '_' and '.' only" in line
    assert "the case id taken from the file name, '" in line
    assert line.endswith("rename the file (letters, digits, '-', '_' or '.'), or set `id:` in the record")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]", out)  # shown escaped


@pytest.mark.parametrize("stem", ["x){autofocus onfocus=alert(1)}", "a b", "caf\u00e9"])
def test_file_name_that_is_no_valid_id_passes_with_an_id(site, capsys, stem):
    (site / "cases" / f"{stem}.yaml").write_text("title: X\nabstract: Y\nid: fine-id\n", encoding="utf-8")
    code, out = _check_lines(capsys)
    assert ": error: " not in out


@pytest.mark.parametrize("stem", ["new\nline", "tab\there", "esc\x1b[31mred"])
def test_a_problem_about_a_file_name_with_controls_is_one_escaped_line(site, capsys, stem):
    (site / "cases" / f"{stem}.yaml").write_text("title: X\nabstract: Y\n", encoding="utf-8")
    code, out = _check_lines(capsys)
    line = next(line for line in out.splitlines() if "the case id taken from the file name" in line)
    assert line.startswith("cases/") and ":1:1: error: " in line
    assert not any(c in line for c in "\t\x1b") and "\\x" in line


GENERATED_NAMES = ["feed.xml", "sitemap.xml", "404.html", "index.html", "Sitemap.XML.gz", "robots.txt",
                   "x.json", "notes.PDF", "a.b.htm", "x.svg", "Index", "TAGS", "Cite", "handouts",
                   "CNAME", "assets", "con", "nul.txt", "Com1", "x."]


@pytest.mark.parametrize("name", GENERATED_NAMES)
def test_id_naming_a_generated_or_host_file_is_refused(site, capsys, name):
    write_case(site, "x", f"""
        title: X
        abstract: Y
        id: "{name}"
    """)
    code, out = _check_lines(capsys)
    assert code == 1
    (line,) = [l for l in out.splitlines() if ": error: " in l]
    assert line.startswith("cases/x.yaml:3:5: error: ") and f"case id '{name}'" in line


@pytest.mark.parametrize("name", [n for n in GENERATED_NAMES if n not in ("x.",)])
def test_file_name_naming_a_generated_or_host_file_is_refused(site, capsys, name):
    (site / "cases" / f"{name}.yaml").write_text("title: X\nabstract: Y\n", encoding="utf-8")
    code, out = _check_lines(capsys)
    assert code == 1
    (line,) = [l for l in out.splitlines() if ": error: " in l]
    assert line.startswith(f"cases/{name}.yaml:1:1: error: ") and f"'{name}'" in line


@pytest.mark.parametrize("name", ["smith.2010", "case-1_a", "A1", "x.v2", "dah-sle-msc", "x" * 100])
def test_ordinary_ids_stay_valid(site, capsys, name):
    write_case(site, name, "title: X\nabstract: Y\n")
    write_case(site, "other", f"title: X\nabstract: Y\nid: other-{name[:50]}\n")
    code, out = _check_lines(capsys)
    assert ": error: " not in out


def test_id_over_the_length_limit_is_refused(site, capsys):
    write_case(site, "x", "title: X\nabstract: Y\nid: " + "a" * 101 + "\n")
    code, out = _check_lines(capsys)
    assert code == 1 and "over the 100-character limit" in out


def test_ids_differing_only_in_case_are_refused_naming_both_files(site, capsys):
    write_case(site, "kawasaki", "title: A\nabstract: Y\n")
    write_case(site, "other", "title: B\nabstract: Y\nid: Kawasaki\n")
    code, out = _check_lines(capsys)
    assert code == 1
    (line,) = [l for l in out.splitlines() if ": error: " in l]
    assert line.startswith("cases/other.yaml:3:1: error: ")
    assert "case id 'Kawasaki' differs from 'kawasaki' of cases/kawasaki.yaml only in letter case" in line


def test_file_names_differing_only_in_case_are_refused(site, capsys):
    write_case(site, "Lupus", "title: A\nabstract: Y\n")
    write_case(site, "lupus", "title: B\nabstract: Y\n")
    code, out = _check_lines(capsys)
    assert code == 1
    (line,) = [l for l in out.splitlines() if ": error: " in l]
    assert "cases/Lupus.yaml" in line and "cases/lupus.yaml" in line


def _build(project: Path, prepare) -> tuple[int, str]:
    from conftest import copy_project, run_mkdocs

    copy_project(project)
    prepare(project)
    result = run_mkdocs(project)
    return result.returncode, result.stdout


@pytest.mark.parametrize("name", ["x){autofocus onfocus=alert(1)}", "feed.xml", "404.html", "Index.HTML"])
def test_build_with_a_hostile_or_generated_file_name_fails_cleanly(tmp_path, name):
    def prepare(project: Path) -> None:
        write_case(project, f"{name}.yaml", "title: X\nabstract: Y\nspecialties: [a]\n")
    code, out = _build(tmp_path, prepare)
    assert code == 1
    assert "Traceback" not in out and "FileExistsError" not in out and "IsADirectoryError" not in out
    assert f"cases/{name}.yaml:1:1: " in out
    assert not (tmp_path / "site" / name).exists()


def test_build_with_ids_differing_only_in_case_fails(tmp_path):
    def prepare(project: Path) -> None:
        write_case(project, "lupus-a", "title: X\nabstract: Y\nid: Lupus\n")
        write_case(project, "lupus-b", "title: X\nabstract: Y\nid: lupus\n")
    code, out = _build(tmp_path, prepare)
    assert code == 1 and "only in letter case" in out and "Traceback" not in out


# --------------------------------------------------------------------------- anchors from ids


def test_anchor_keeps_safe_ids_and_maps_others_to_distinct_safe_names():
    from grandrounds.site.markup import anchor

    assert anchor("ref", "dalmau2007") == "ref-dalmau2007"
    assert anchor("figure", "Fever_Curve-2") == "figure-Fever_Curve-2"
    hostile = ['x"><img src=x onerror=alert(1)>', "x'><img>", "Smith2010:abc", "10.1000/xyz",
               "a b", "a  b", "A B", "", "é", "\u202e", "x" * 65, "x" * 66, 12]
    anchors = [anchor("ref", h) for h in hostile]
    assert all(re.fullmatch(r"ref-[A-Za-z0-9_-]+", a) for a in anchors), anchors
    assert len(set(anchors)) == len(anchors)
    assert anchor("ref", "Smith2010:abc").startswith("ref-smith2010-abc-")


def test_footnote_ids_of_a_hostile_doc_id_are_safe():
    from grandrounds.site.markup import markdown_to_html

    html = str(markdown_to_html("x[^1]\n\n[^1]: note", 'table-"><img src=x onerror=alert(1)>'))
    assert "<img" not in html and " onerror=" not in html
    assert re.findall(r'id="(fn[^"]*)"', html) and all(
        re.fullmatch(r"fn(ref)?-[A-Za-z0-9_-]+-1", i) for i in re.findall(r'id="(fn[^"]*)"', html))
    assert str(markdown_to_html("x[^1]\n\n[^1]: note", "abstract-case_presentation")).count(
        'id="fn-abstract-case_presentation-1"') == 1  # safe doc ids unchanged


# --------------------------------------------------------------------------- control characters


CONTROL_VALUES = {
    "form feed": ("\\f", "U+000C"), "NUL": ("\\0", "U+0000"), "DEL": ("\\x7f", "U+007F"),
    "escape sequence": ("\\e[2J\\e[31m", "U+001B"), "C1": ("\\x9b", "U+009B"),
    "non-character": ("\\uFFFE", "U+FFFE"), "plane non-character": ("\\U0010FFFF", "U+10FFFF"),
    "bell": ("\\a", "U+0007"), "vertical tab": ("\\v", "U+000B"),
}


@pytest.mark.parametrize("field,prefix", [("title", "title: "), ("abstract", "abstract: "),
                                          ("tags", "tags: [a, ")])
@pytest.mark.parametrize("kind", list(CONTROL_VALUES))
def test_control_character_in_a_record_is_refused_at_the_character(site, capsys, kind, field, prefix):
    escape, code_point = CONTROL_VALUES[kind]
    lines = {"title": "title: X", "abstract": "abstract: Y", "tags": "tags: [a]"}
    value = f'"ok {escape} z"'
    lines[field] = prefix + value + ("]" if field == "tags" else "")
    path = site / "cases" / "x.yaml"
    path.write_text("\n".join(lines.values()) + "\n", encoding="utf-8")
    row = list(lines).index(field) + 1
    column = len(prefix) + len('"ok ') + 1
    found = problems_of(path)
    assert len(found) == 1
    assert found[0].startswith(f"cases/x.yaml:{row}:{column}: {field}{'[1]' if field == 'tags' else ''}: ")
    assert f"({code_point}) is not allowed in text" in found[0]
    code, out = _check_lines(capsys)
    assert code == 1 and not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f]", out)


def test_raw_control_character_in_the_file_is_refused_with_its_location(site):
    path = site / "cases" / "x.yaml"
    path.write_bytes("title: Caf\u00e9 X\nabstract: a\x0cb\n".encode("utf-8"))
    assert problems_of(path) == ["cases/x.yaml:2:12: form feed (U+000C) is not allowed in a record; "
                                 "delete it (it is invisible in most editors; retype the text around it)"]


def test_control_character_in_a_key_is_shown_escaped(site, capsys):
    path = site / "cases" / "x.yaml"
    path.write_text('title: X\nabstract: Y\n"k\\e[2J": 1\n"k\\e[2J": 2\n', encoding="utf-8")
    found = problems_of(path)
    assert len(found) == 1 and "\x1b" not in found[0] and "\\x1b[2J" in found[0]


def test_windows_line_ends_are_fine_and_normalised(site):
    path = site / "cases" / "x.yaml"
    path.write_bytes(b'title: "A\\r\\nB"\r\nabstract: |\r\n  one\r\n  two\r\ndiscussion: "x\\ry"\r\n')
    case = read_case(path, Path("cases"))
    assert case.title == "A\nB" and case.abstract == "one\ntwo\n" and case.discussion == "x\ny"


@pytest.mark.parametrize("nesting", ["flow", "block", "mapping", "mixed"])
def test_deep_nesting_is_refused_quickly_with_a_location(site, nesting):
    depth = 100_000
    body = {"flow": "tags: " + "[" * depth + "]" * depth,
            "block": "tags:\n  " + "- " * depth + "x",
            "mapping": "tags: " + "{a: " * depth + "1" + "}" * depth,
            "mixed": "tags:\n  " + "- " * 600 + "[" * 600 + "]" * 600}[nesting]
    path = site / "cases" / "x.yaml"
    path.write_text("title: X\nabstract: Y\n" + body + "\n", encoding="utf-8")
    assert path.stat().st_size < MAX_BYTES
    start = time.perf_counter()
    found = problems_of(path)
    assert time.perf_counter() - start < 2
    assert len(found) == 1 and re.match(r"cases/x\.yaml:[34]:\d+: nested more than 20 levels deep; ", found[0])


@pytest.mark.parametrize("depth", [19, 20, 21, 500, 999])
def test_nesting_at_and_past_the_limit(site, depth):
    path = site / "cases" / "x.yaml"
    path.write_text("title: X\nabstract: Y\nx: " + "[" * depth + "]" * depth + "\n", encoding="utf-8")
    raw_ok = depth < 20  # the mapping is level 0, `x`'s list level 1
    if raw_ok:
        assert load_record(path).data["title"] == "X"
    else:
        assert "nested more than 20 levels deep" in problems_of(path)[0]


def _prepare_control_site(project: Path) -> None:
    write_case(project, "ctl", 'title: "Rash\\fX"\nabstract: "Y\\e[31m"\nspecialties: [a]\n')


def test_build_with_control_characters_fails_with_locations(tmp_path):
    code, out = _build(tmp_path, _prepare_control_site)
    assert code == 1 and "Traceback" not in out
    assert "cases/ctl.yaml:1:13: title: form feed (U+000C)" in out
    assert "cases/ctl.yaml:2:13: abstract: escape (U+001B)" in out
    assert "\x1b" not in out and "\x0c" not in out


@pytest.mark.parametrize("stem,slug", [("dah-sle-msc", "dah-sle-msc"), ("feed.xml", None), ("404.html", None),
                                       ("x){autofocus onfocus=alert(1)}", None), ("index", None)])
def test_serve_error_page_of_a_record_never_collides_or_carries_its_file_name(stem, slug):
    from grandrounds.record.model import error_page_slug

    made = error_page_slug(Path("cases") / f"{stem}.yaml")
    assert made == slug if slug else (made.startswith("error-") and re.fullmatch(r"[a-z0-9-]+", made))


def test_raw_non_character_in_the_file_is_refused_at_the_character(site):
    path = site / "cases" / "x.yaml"
    path.write_text("title: X\nabstract: ab\ufdd0c\n", encoding="utf-8")
    assert problems_of(path) == ["cases/x.yaml:2:13: abstract: a Unicode non-character (U+FDD0) is not "
                                 "allowed in text; delete it (it is invisible in most editors; retype the "
                                 "text around it)"]


def test_list_and_text_over_the_limits_are_refused_at_the_value(site):
    from grandrounds.limits import MAX_LIST_ITEMS

    path = site / "cases" / "x.yaml"
    path.write_text("title: X\nabstract: Y\ntags: [" + ", ".join(["t"] * (MAX_LIST_ITEMS + 1)) + "]\n"
                    "discussion: " + "d" * (MAX_TEXT_CHARS + 1) + "\n", encoding="utf-8")
    found = problems_of(path)
    assert found[0].startswith(f"cases/x.yaml:3:7: tags: list has {MAX_LIST_ITEMS + 1:,} items, over the")
    assert found[1].startswith(f"cases/x.yaml:4:{13 + MAX_TEXT_CHARS}: discussion: text is "
                               f"{MAX_TEXT_CHARS + 1:,} characters, over the")


def test_error_page_and_banner_keep_a_hostile_message_inert():
    import markdown
    from markdown_it import MarkdownIt

    from conftest import parse_html

    message = 'cases/x.yaml:4:7: type: \'a\n\n## x { onclick=alert(1) }\n\n<img src=x onerror=alert(2)>\''
    renderer = Renderer(ROOT / "templates", RenderOptions())
    for page in (renderer.error_page("x){onfocus=alert(3)}.yaml", message),
                 renderer.with_error_banner("---\ntitle: X\n---\n\n# X\n", message)):
        body = page.split("\n---\n", 1)[1]
        # as MkDocs builds it, and as a CommonMark generator builds `render --out` pages
        for html in (markdown.markdown(body, extensions=["attr_list", "md_in_html", "tables", "admonition", "toc"]),
                     MarkdownIt("commonmark").render(body)):
            nodes = list(parse_html(html).iter())
            assert not [n for n in nodes for a in n.attrs if a.startswith("on")], html
            assert not [n for n in nodes if n.tag == "img"], html


def test_a_quoted_value_in_an_error_stays_on_one_line(site):
    path = write_case(site, "x", 'title: X\nabstract: Y\ntype: "a\\n\\n## x { onclick=alert(1) }"\n')
    (line,) = problems_of(path)
    assert line.startswith("cases/x.yaml:3:7: type: 'a\\n\\n## x { onclick=alert(1) }' is not an allowed value")


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\ud83d\\ude00"])
def test_surrogate_escape_in_a_record_is_refused_with_a_location(site, capsys, escape):
    path = site / "cases" / "x.yaml"
    path.write_text(f'title: X\nabstract: "ok {escape}"\n', encoding="utf-8")
    (line,) = problems_of(path)
    assert re.match(r"cases/x\.yaml:2:\d+: ", line) and "escape" in line
    code, out = _check_lines(capsys)
    assert code == 1


# --------------------------------------------------------------------------- CSL rich text

RICH_TITLES = [
    '<i>Escherichia coli</i> sepsis <script>alert("RICH1")</script>',
    'H<sub>2</sub>O and <i onclick=alert("RICH2")>x</i> <img src=x onerror=alert("RICH3")>',
    '<b>Bold</b> <span class="nocase">mRNA</span> <span style="x:url(javascript:alert(4))">RICH4</span>',
]


def test_csl_rich_text_is_markup_and_other_tags_stay_inert_text_in_the_built_site(tmp_path):
    """Reference titles with CSL rich text (<i>, <sub>, <b>, nocase) and hostile tags: the
    allowed ones are markup on the case page, everything else is shown as text, and the
    JSON-LD citations carry the plain title (issue 15)."""
    def prepare(project: Path) -> None:
        references = [{"id": f"r{n}", "type": "article-journal", "title": title,
                       "author": [{"family": "Roe", "given": "Ann"}],
                       "container-title": "J <i>Bact</i>", "volume": "3", "page": "1-9",
                       "issued": {"date-parts": [[2020 + n]]}}
                      for n, title in enumerate(RICH_TITLES)]
        record = {"title": "Rich text in references", "specialties": ["dermatology"],
                  "abstract": "Cited [@r0; @r1; @r2].", "references": references}
        (project / "cases" / "rich-refs.yaml").write_text(json.dumps(record), encoding="utf-8")

    built = build_project(tmp_path, prepare)
    page = built / "rich-refs" / "index.html"
    assert _live_problems(page) == []
    body = article(read_html(page))
    assert not body.find_all("img") and not body.find_all("script")
    assert "Escherichia coli" in [node.squashed() for node in body.find_all("em")]
    assert "2" in [node.squashed() for node in body.find_all("sub")]
    assert "Bold" in [node.squashed() for node in body.find_all("strong")]
    text = squash(body.text())
    assert '<script>alert("RICH1")</script>' in text
    assert '<i onclick=alert("RICH2")>x</i> <img src=x onerror=alert("RICH3")>' in text
    assert '<span style="x:url(javascript:alert(4))">RICH4</span>' in text
    assert "<span class=" not in text and "<b>" not in text and "<sub>" not in text
    (jsonld,) = [s.text() for s in read_html(page).find_all("script")
                 if s.get("type") == "application/ld+json"]
    names = [work["name"] for work in json.loads(jsonld)["citation"]]
    assert names[0] == 'Escherichia coli sepsis <script>alert("RICH1")</script>'
    assert names[2] == 'Bold mRNA <span style="x:url(javascript:alert(4))">RICH4</span>'
