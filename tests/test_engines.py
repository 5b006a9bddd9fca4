"""`grandrounds render --out DIR --engine mkdocs|properdocs|zensical` (and `--watch`): the
example library (the repository's cases/ and mkdocs.yml, plus one record whose title and
specialty are markup) written as a project and built by each engine as it is; the built
HTML is parsed: case pages, listings, the filters script, the stylesheet, local fonts,
JSON-LD in the head, case pages out of the sidebar, the markup title printed as text.
An engine that is not installed is skipped, with the reason. Also: the plugin unchanged
under `properdocs build --strict`, the config written for each engine, and the watch loop
in process (only changed files rewritten, a broken record keeps its last good page)."""

from __future__ import annotations

import html
import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT, Node, copy_project, parse_html, read_html, run_cli
from grandrounds.hosts import export, watch
from grandrounds.record.library import load_library
from grandrounds.record.model import Case
from grandrounds.site.render import RenderOptions
from grandrounds.site.view import public_view

ENGINES = export.ENGINES
XSS_TITLE = "A & B <img src=x onerror=alert(1)> &amp; end"
XSS_SPECIALTY = "rheum <b>x</b>"


def _installed(engine: str) -> bool:
    return importlib.util.find_spec(engine) is not None


def _add_markup_record(project: Path) -> None:
    """A published record whose title and a specialty are markup (copied from an example)."""
    text = (project / "cases" / "dah-sle-msc.yaml").read_text(encoding="utf-8")
    text = text.replace("id: dah-sle-msc", "id: markup-title", 1)
    text = text.replace("title: Mesenchymal stem cell transplantation for diffuse alveolar hemorrhage in SLE",
                        f"title: {json.dumps(XSS_TITLE)}", 1)
    text = text.replace("  - rheumatology\n", f"  - {json.dumps(XSS_SPECIALTY)}\n", 1)
    assert "markup-title" in text and "onerror" in text and "rheum <b>" in text
    (project / "cases" / "markup-title.yaml").write_text(text, encoding="utf-8")


def _env() -> dict[str, str]:
    return dict(os.environ, NO_MKDOCS_2_WARNING="1")


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("library") / "project")
    _add_markup_record(project)
    return project


@pytest.fixture(scope="module")
def published(library) -> dict[str, str]:
    """slug -> title of the published cases."""
    return {slug: case.title for slug, case in _published(library).items()}


@pytest.fixture(scope="module")
def shown_titles(library) -> dict[str, str]:
    """slug -> the title a reader sees first (head metadata, listings): `public_view`."""
    return {slug: public_view(case, RenderOptions()).title for slug, case in _published(library).items()}


def _published(project: Path) -> dict[str, Case]:
    return {c.slug: c for c in load_library(project / "cases").cases if c.status == "published"}


@pytest.fixture(scope="module", params=ENGINES)
def built(request, library) -> tuple[str, Path]:
    """(engine, the built site folder) for each engine."""
    engine = request.param
    if not _installed(engine):
        pytest.skip(f"{engine} is not installed (pip install {engine}; the test extras pin it)")
    out = library / f"out-{engine}"
    result = _run([sys.executable, "-m", "grandrounds.cli", "render", "--out", out.name, "--engine", engine],
                  library)
    assert result.returncode == 0, result.stdout
    assert (out / export.CONFIG_FILE[engine]).is_file()
    build = _run([sys.executable, "-m", engine, "build", "--strict"], out)
    assert build.returncode == 0, f"{engine} build failed:\n{build.stdout}"
    return engine, out / "site"


def _page(site: Path, url: str) -> Node:
    return read_html(site / url / "index.html" if not url.endswith(".html") else site / url)


def _sidebar_links(doc: Node) -> list[str]:
    nav = doc.find("nav", cls="md-nav--primary")
    assert nav is not None, "no primary navigation"
    return [a.get("href") or "" for a in nav.find_all("a")]


def test_the_search_dialog_has_a_name_under_materials_theme(built):
    """The plugin's search partial (a named dialog, WCAG 4.1.2) goes into MkDocs and
    ProperDocs projects; Zensical's own partial names its dialog itself."""
    engine, site = built
    project = site.parent
    copied = (project / "overrides" / "partials" / "search.html").is_file()
    assert copied == (engine != "zensical")
    dialog = next((d for d in _page(site, "").find_all("div") if "md-search" in d.classes
                   and d.get("role") == "dialog"), None)
    if engine != "zensical":
        assert dialog is not None and dialog.get("aria-label") == "Search"
    elif dialog is not None:
        assert dialog.get("aria-label") or dialog.get("aria-labelledby")


def test_case_pages_are_built_with_their_title(built, shown_titles):
    engine, site = built
    for slug, title in shown_titles.items():
        doc = _page(site, slug)
        h1 = doc.find("h1")
        assert h1 is not None and h1.squashed() == title, (engine, slug)


def test_listings_list_every_published_case(built, published):
    engine, site = built
    home = _page(site, "")
    rows = home.find_all("tr", cls="gr-case")
    assert len(rows) == len(published), engine
    linked = {a.get("href").strip("./").rstrip("/") for row in rows for a in row.find_all("a") if a.get("href")}
    assert set(published) <= linked
    for listing in ("tags", "bibliography", "specialties/neurology"):
        assert (site / listing / "index.html").is_file(), (engine, listing)


def test_filters_script_stylesheet_and_fonts_are_linked_and_local(built):
    engine, site = built
    home = _page(site, "")
    scripts = [s.get("src") or "" for s in home.find_all("script") if s.get("src")]
    sheets = [link.get("href") or "" for link in home.find_all("link", rel="stylesheet")]
    assert any(s.endswith("assets/grandrounds.js") for s in scripts), scripts
    assert any(s.endswith("assets/grandrounds.css") for s in sheets), sheets
    assert any(s.endswith("assets/fonts.css") for s in sheets), sheets
    assert home.find("form", id="gr-filters") or home.find(id="gr-filter-q"), "no filter form"
    for asset in ("assets/grandrounds.js", "assets/grandrounds.css", "assets/fonts.css"):
        assert (site / asset).is_file(), (engine, asset)
    fonts = (site / "assets" / "fonts.css").read_text(encoding="utf-8")
    assert "url(" in fonts and "http" not in fonts.split("*/", 1)[-1]
    assert list((site / "assets" / "fonts").glob("*.woff"))
    assert not any("fonts.googleapis" in s for s in sheets)


def test_case_pages_carry_json_ld_highwire_and_the_feed_link(built, shown_titles):
    engine, site = built
    for slug, title in shown_titles.items():
        doc = _page(site, slug)
        head = doc.find("head")
        blocks = head.find_all("script", type="application/ld+json")
        assert len(blocks) == 1, (engine, slug)
        data = json.loads(blocks[0].text())
        assert data["@context"] == "https://schema.org" and data["headline"] == title
        assert head.find("meta", name="citation_title").get("content") == title
        assert head.find("link", type="application/atom+xml") is not None
    assert (site / "feed.xml").is_file()


def test_case_pages_are_not_in_the_sidebar(built, published):
    engine, site = built
    for url in ("", "tags", next(iter(published))):
        links = [h.strip("./").rstrip("/") for h in _sidebar_links(_page(site, url))]
        assert not set(published) & set(links), (engine, url, links)
        assert "bibliography" in links, (engine, url, links)  # listing pages stay in it


def test_markup_in_a_title_prints_as_text_never_as_markup(built):
    engine, site = built
    doc = _page(site, "markup-title")
    assert doc.find("title").text().startswith(XSS_TITLE + " - "), engine
    assert doc.find("h1").squashed() == XSS_TITLE
    assert doc.find("meta", property="og:title").get("content") == XSS_TITLE
    for page in site.rglob("*.html"):
        tree = read_html(page)
        assert not [n for n in tree.iter() if "onerror" in n.attrs], (engine, page)
        assert not [n for n in tree.iter() if n.tag == "b" and n.text() == "x"], (engine, page)
    specialty = _page(site, "specialties/rheum-b-x-b")
    assert specialty.find("h1").squashed() == "Rheum <b>x</b>"
    assert specialty.find("title").text().startswith("Rheum <b>x</b> - ")


def test_case_pages_and_only_they_are_marked_for_the_search_index(built, published):
    engine, site = built
    def marked(doc: Node) -> list[Node]:
        return [n for n in doc.iter() if "data-pagefind-body" in n.attrs]

    for slug in published:
        assert len(marked(_page(site, slug))) == 1, (engine, slug)
    for listing in ("", "tags", "bibliography"):
        assert not marked(_page(site, listing)), (engine, listing)


def test_grandrounds_index_indexes_the_case_pages_of_the_built_site(built, published, tmp_path):
    engine, site = built
    if not _installed("pagefind"):
        pytest.skip("pagefind is not installed (pip install 'pagefind[bin]')")
    copy = tmp_path / "site"
    shutil.copytree(site, copy)  # the fixture's site stays as the engine built it
    result = _run([sys.executable, "-m", "grandrounds.cli", "index", str(copy)], tmp_path)
    assert result.returncode == 0, result.stdout
    assert f"{len(published)} pages indexed" in result.stdout, result.stdout


def test_citation_downloads_and_figures_are_in_the_site(built, published):
    engine, site = built
    for slug in published:
        assert (site / "cite" / f"{slug}.summary.ris").is_file(), (engine, slug)
    assert (site / "figures" / "kawasaki-fever-curve.svg").is_file()


def test_rendering_again_after_a_build_leaves_the_engines_output_alone(built, library):
    engine, site = built
    out = site.parent
    before = sorted(p.relative_to(out).as_posix() for p in site.rglob("*"))
    result = _run([sys.executable, "-m", "grandrounds.cli", "render", "--out", out.name, "--engine", engine],
                  library)
    assert result.returncode == 0, result.stdout
    assert "0 files written" in result.stdout
    assert sorted(p.relative_to(out).as_posix() for p in site.rglob("*")) == before


# --------------------------------------------------------------------------- the plugin on ProperDocs


def test_the_plugin_builds_unchanged_under_properdocs_strict(library, tmp_path, shown_titles):
    if not _installed("properdocs"):
        pytest.skip("properdocs is not installed (pip install properdocs; the test extras pin it)")
    result = _run([sys.executable, "-m", "properdocs", "build", "--strict", "-f", "mkdocs.yml",
                   "-d", str(tmp_path / "site")], library)
    assert result.returncode == 0, result.stdout
    for slug, title in shown_titles.items():
        assert _page(tmp_path / "site", slug).find("h1").squashed() == title
    assert "should be renamed to 'properdocs.yml'" not in result.stdout  # -f: no fallback warning


def test_the_plugin_serves_unchanged_under_properdocs_serve_dirty(library, shown_titles):
    import socket
    import time
    import urllib.request

    if not _installed("properdocs"):
        pytest.skip("properdocs is not installed (pip install properdocs; the test extras pin it)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "properdocs", "serve", "--dirty", "-f", "mkdocs.yml",
                             "-a", f"127.0.0.1:{port}"], cwd=library, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    slug, title = next(iter(shown_titles.items()))
    try:
        deadline, body = time.monotonic() + 300, ""
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/{slug}/", timeout=10) as response:
                    body = response.read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.5)
    finally:
        os.killpg(proc.pid, 15)
        output = proc.communicate(timeout=60)[0].decode("utf-8", "replace")
    assert body, output
    assert parse_html(body).find("h1").squashed() == title


# --------------------------------------------------------------------------- the config written


def _project(tmp_path: Path, mkdocs_yml: str) -> Path:
    project = tmp_path / "site"
    (project / "cases").mkdir(parents=True)
    shutil.copy2(ROOT / "cases" / "elderly-hyponatraemia-siadh.yaml", project / "cases")
    (project / "mkdocs.yml").write_text(mkdocs_yml, encoding="utf-8")
    return project


SOURCE = """\
site_name: Ward rounds
site_url: https://example.org/rounds/
repo_url: https://github.com/example/rounds
docs_dir: cases
theme:
  name: material
  custom_dir: my-overrides
  features: [navigation.sections]
  palette: {scheme: slate, primary: teal}
extra:
  analytics: {provider: none}
extra_css: [my.css]
plugins:
  - search
  - grandrounds:
      style: vancouver
      disclaimer: Teaching only.
markdown_extensions:
  - admonition
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
  - toc:
      permalink: true
"""


@pytest.mark.parametrize("engine", ENGINES)
def test_the_config_carries_the_sites_settings_but_not_the_plugin(tmp_path, monkeypatch, capsys, engine):
    project = _project(tmp_path, SOURCE)
    (project / "my-overrides").mkdir()
    (project / "my-overrides" / "partials").mkdir()
    (project / "my-overrides" / "partials" / "footer.html").write_text("<footer>ours</footer>", encoding="utf-8")
    monkeypatch.chdir(project)
    code, _, err = run_cli(capsys, "render", "--out", "../out", "--engine", engine)
    assert code == 0, err
    out = tmp_path / "out"
    text = (out / export.CONFIG_FILE[engine]).read_text(encoding="utf-8")
    if engine == "zensical":
        import tomllib

        config = tomllib.loads(text)["project"]
        assert config["markdown_extensions"]["toc"] == {"permalink": True}
        assert config["markdown_extensions"]["pymdownx.emoji"] == {"emoji_index": "material.extensions.emoji.twemoji"}
        assert set(export.REQUIRED_EXTENSIONS) <= set(config["markdown_extensions"])
        assert "plugins" not in config
    else:
        config = yaml.load(text, Loader=export._Loader)
        names = [next(iter(e)) if isinstance(e, dict) else e for e in config["markdown_extensions"]]
        assert names[:3] == ["admonition", "pymdownx.emoji", "toc"] and set(export.REQUIRED_EXTENSIONS) <= set(names)
        assert "!!python/name:material.extensions.emoji.twemoji" in text
        assert config["plugins"] == ["search"]
    assert "- grandrounds" not in text and "vancouver" not in text and "Teaching only" not in text
    assert config["site_name"] == "Ward rounds" and config["site_url"] == "https://example.org/rounds/"
    assert config["repo_url"] == "https://github.com/example/rounds" and config["edit_uri"] == ""
    assert config["docs_dir"] == "docs" and config["theme"]["custom_dir"] == "overrides"
    assert config["theme"]["palette"] == {"scheme": "slate", "primary": "teal"}
    assert config["extra"] == {"analytics": {"provider": "none"}}
    assert config["extra_css"][-1] == "my.css" and "assets/grandrounds.css" in config["extra_css"]
    assert "assets/grandrounds.js" in config["extra_javascript"]
    hidden = config["not_in_nav"].split()
    assert "/elderly-hyponatraemia-siadh.md" in hidden and any(h.startswith("/tags/") for h in hidden)
    assert not {"/index.md", "/tags.md", "/bibliography.md"} & set(hidden)
    assert not [h for h in hidden if h.startswith("/specialties/")]  # each specialty's (only) page is listed
    assert (out / "overrides" / "partials" / "footer.html").read_text() == "<footer>ours</footer>"
    assert "page.meta.grandrounds_head" in (out / "overrides" / "main.html").read_text()
    page = (out / "docs" / "elderly-hyponatraemia-siadh.md").read_text(encoding="utf-8")
    assert "Teaching only." in page  # the plugin's options reach the pages
    assert run_cli(capsys, "render", "--out", "../nature", "--engine", engine, "--style", "nature")[0] == 0
    assert (tmp_path / "nature" / "docs" / "elderly-hyponatraemia-siadh.md").read_text(encoding="utf-8") != page


def test_the_head_metadata_in_front_matter_holds_no_markup_and_reads_back_as_it_was(tmp_path, monkeypatch, capsys):
    project = _project(tmp_path, "site_name: X\ndocs_dir: cases\n")
    monkeypatch.chdir(project)
    assert run_cli(capsys, "render", "--out", "../out", "--engine", "zensical")[0] == 0
    page = (tmp_path / "out" / "docs" / "elderly-hyponatraemia-siadh.md").read_text(encoding="utf-8")
    front = page.split("\n---\n", 1)[0]
    assert "<" not in front and ">" not in front
    meta = yaml.safe_load(front.removeprefix("---\n"))
    assert meta["grandrounds_head"].startswith("<") and 'type="application/ld+json"' in meta["grandrounds_head"]
    title = load_library(project / "cases").cases[0].title
    assert meta["title"] == html.escape(title, quote=True) or meta["title"] == html.escape(title, quote=False)


def test_a_broken_source_config_is_one_line_with_its_place(tmp_path, monkeypatch, capsys):
    project = _project(tmp_path, "site_name: X\ntheme: [unclosed\n")
    monkeypatch.chdir(project)
    code, _, err = run_cli(capsys, "render", "--out", "../out", "--engine", "mkdocs")
    assert code == 1
    assert err.startswith("mkdocs.yml:3:1: ") and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_without_an_engine_no_config_assets_or_docs_folder_are_written(tmp_path, monkeypatch, capsys):
    project = _project(tmp_path, SOURCE)
    monkeypatch.chdir(project)
    assert run_cli(capsys, "render", "--out", "../out")[0] == 0
    names = {p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*") if p.is_file()}
    assert "elderly-hyponatraemia-siadh.md" in names and "index.md" in names
    assert not {"mkdocs.yml", "zensical.toml"} & names and not any(n.startswith(("docs/", "assets/")) for n in names)


# --------------------------------------------------------------------------- --watch


class _Script:
    """The watch loop's `rounds`: after each poll, the next edit (or Ctrl-C at the end)."""

    def __init__(self, out: Path, edits):
        self.out, self.edits, self.seen = out, list(edits), []

    def __call__(self) -> bool:
        self.seen.append({p.relative_to(self.out).as_posix(): p.stat().st_mtime_ns
                          for p in self.out.rglob("*") if p.is_file() and p.name != ".grandrounds-manifest.json"})
        if not self.edits:
            raise KeyboardInterrupt
        self.edits.pop(0)()
        return True


def _target(project: Path, out: Path, engine: str | None = "zensical") -> watch.Target:
    return watch.Target(out, engine, None, {}, False, project / "cases", project / "templates")


def test_watch_rewrites_only_what_changed_and_keeps_a_broken_records_last_good_page(tmp_path):
    project = _project(tmp_path, "site_name: X\n")
    record = project / "cases" / "elderly-hyponatraemia-siadh.yaml"
    original = record.read_text(encoding="utf-8")
    out, log = tmp_path / "out", io.StringIO()

    def retitle():
        record.write_text(original.replace("\ntitle: >-\n  ", "\ntitle: >-\n  Retitled ", 1), encoding="utf-8")

    def nothing():
        pass

    def break_it():
        record.write_text(original + "\ntitel: oops\n", encoding="utf-8")

    assert "\ntitle: >-\n  " in original
    script = _Script(out, [retitle, nothing, break_it])
    assert watch.run(_target(project, out), poll=0, log=log, rounds=script) == 0
    first, retitled, same, broken = script.seen
    changed = {p for p in retitled if retitled[p] != first[p]}
    page = "docs/elderly-hyponatraemia-siadh.md"
    assert page in changed and "docs/index.md" in changed
    assert not {p for p in changed if p.startswith(("docs/assets/", "docs/figures/", "overrides/"))}
    assert same == retitled  # nothing changed, nothing written
    assert set(broken) == set(retitled)  # the broken record's page stays
    text = (out / page).read_text(encoding="utf-8")
    assert "Retitled" in text and "titel" in text  # last good page, its errors on top
    assert "elderly-hyponatraemia-siadh.yaml:" in log.getvalue() and "unknown key 'titel'" in log.getvalue()
    assert log.getvalue().rstrip().endswith("stopped watching")


def test_watch_picks_up_a_template_change(tmp_path):
    project = _project(tmp_path, "site_name: X\n")
    (project / "templates").mkdir()
    out = tmp_path / "out"

    def override():
        (project / "templates" / "tags.md.j2").write_text("---\ntitle: \"All tags\"\n---\n\n# Tags, ours\n",
                                                            encoding="utf-8")
    script = _Script(out, [override])
    assert watch.run(_target(project, out, engine=None), poll=0, log=io.StringIO(), rounds=script) == 0
    assert "# Tags, ours" in (out / "tags.md").read_text(encoding="utf-8")


def test_watch_ctrl_c_at_once_exits_cleanly(tmp_path):
    project = _project(tmp_path, "site_name: X\n")
    log = io.StringIO()
    assert watch.run(_target(project, tmp_path / "out"), poll=0, log=log, rounds=_Script(tmp_path / "out", [])) == 0
    assert "stopped watching" in log.getvalue()


def test_toml_text_reads_back_as_the_settings_it_was_made_from():
    tomllib = pytest.importorskip("tomllib")
    settings = {
        "site_name": 'Ward "rounds" \\ 日本 \u2028 end',
        "not_in_nav": "/a.md\n/b-c.d.md\n",
        "odd": "line\\n\n\"\"\"\n",
        "nothing": None,
        "numbers": [1, 2.5, True],
        "theme": {"palette": [{"scheme": "slate", "toggle": {"icon": "x", "name": "Dark"}}, {"scheme": "default"}],
                  "features": ["a.b", "c"], "font": False},
        "markdown_extensions": {"toc": {"permalink": True}, "pymdownx.emoji": {"emoji_index": export.Tag(
            "tag:yaml.org,2002:python/name:material.extensions.emoji.twemoji", "")}, "tables": {}},
        "extra": {"key with space": {"deep": {"deeper": [1, 2]}}},
    }
    data = tomllib.loads(export.toml_text(settings))["project"]
    expected = {k: v for k, v in settings.items() if v is not None}
    expected["markdown_extensions"] = {"toc": {"permalink": True},
                                       "pymdownx.emoji": {"emoji_index": "material.extensions.emoji.twemoji"},
                                       "tables": {}}
    assert data == expected


def test_watch_refuses_to_overwrite_an_output_file_edited_by_hand_and_goes_on(tmp_path):
    project = _project(tmp_path, "site_name: X\n")
    record = project / "cases" / "elderly-hyponatraemia-siadh.yaml"
    out, log = tmp_path / "out", io.StringIO()

    def edit_output_then_record():
        (out / "docs" / "index.md").write_text("mine", encoding="utf-8")
        record.write_text(record.read_text(encoding="utf-8").replace("\ntitle: >-\n  ", "\ntitle: >-\n  Zqxmarker ", 1),
                          encoding="utf-8")

    script = _Script(out, [edit_output_then_record])
    assert watch.run(_target(project, out), poll=0, log=log, rounds=script) == 0
    assert "docs/index.md: changed since `grandrounds render` wrote it" in log.getvalue()
    assert (out / "docs" / "index.md").read_text(encoding="utf-8") == "mine"
    assert "Zqxmarker" not in (out / "docs" / "elderly-hyponatraemia-siadh.md").read_text(encoding="utf-8")


def test_watch_in_a_real_process_stops_on_ctrl_c_with_exit_0_and_no_traceback(tmp_path):
    import signal
    import time

    project = _project(tmp_path, "site_name: X\n")
    # Ctrl-C as a terminal delivers it, whatever this run inherited: a test run started in
    # the background of a non-interactive shell ignores SIGINT, and so would the watch
    proc = subprocess.Popen([sys.executable, "-m", "grandrounds.cli", "render", "--out", "../out", "--engine",
                             "mkdocs", "--watch"], cwd=project, env=_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "out" / "mkdocs.yml").is_file() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.1)
        time.sleep(0.5)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "Traceback" not in output and "stopped watching" in output


def test_watch_follows_the_source_config_and_keeps_the_last_good_one_when_it_breaks(tmp_path):
    tomllib = pytest.importorskip("tomllib")
    project = _project(tmp_path, "site_name: First name\n")
    config, out, log = project / "mkdocs.yml", tmp_path / "out", io.StringIO()

    def rename():
        config.write_text("site_name: Second name\nplugins:\n  - grandrounds:\n      disclaimer: Teaching only.\n",
                          encoding="utf-8")

    def break_it():
        config.write_text("site_name: [broken\n", encoding="utf-8")

    seen: list[tuple[str, str]] = []

    def look() -> None:
        settings = tomllib.loads((out / "zensical.toml").read_text(encoding="utf-8"))["project"]
        seen.append((settings["site_name"], (out / "docs" / "elderly-hyponatraemia-siadh.md").read_text("utf-8")))

    edits = [rename, look, break_it, look]
    target = watch.Target(out, "zensical", config, {}, False, project / "cases", project / "templates")
    assert watch.run(target, poll=0, log=log, rounds=_Script(out, edits)) == 0
    (first_name, first_page), (second_name, second_page) = seen
    assert first_name == "Second name" and "Teaching only." in first_page
    assert second_name == "Second name" and second_page == first_page
    assert "mkdocs.yml:2:1:" in log.getvalue() and "the last good settings are kept" in log.getvalue()


def test_render_out_and_the_plugin_make_the_same_pages(tmp_path, monkeypatch, capsys):
    """One site engine, two hosts: the Markdown the plugin hands MkDocs (with its listing
    and related slots filled, as on_post_page does) is what `render --out --engine mkdocs`
    writes, page for page, for the example library."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import Files

    project = copy_project(tmp_path / "project", search="pagefind")
    monkeypatch.chdir(project)
    code, _, err = run_cli(capsys, "render", "--out", "out", "--engine", "mkdocs")
    assert code == 0, err
    written = {p.relative_to(project / "out" / "docs").as_posix(): p.read_text(encoding="utf-8")
               for p in (project / "out" / "docs").rglob("*.md")}

    config = load_config(str(project / "mkdocs.yml"))
    plugin = config.plugins["grandrounds"]
    config.plugins._current_plugin = "grandrounds"  # what MkDocs sets while a plugin's event runs
    plugin.on_startup(command="build", dirty=False)
    config = plugin.on_config(config)
    files = plugin.on_files(Files([]), config=config)
    made = {}
    for file in files:
        if file.src_uri.endswith(".md"):
            out = plugin.site.outputs[file.src_uri]
            made[file.src_uri] = out.fill(file.content_string)
    assert len(made) > 20 and {"index.md", "tags.md", "bibliography.md", "dah-sle-msc.md"} <= set(made)
    assert set(made) == set(written)
    assert 'id="gr-cases"' in made["index.md"] and "grandrounds:listing" not in "".join(made.values())
    for uri, text in made.items():
        page = written[uri]
        if page.startswith("---\n"):  # the exported front matter also carries the head metadata
            head, body = page[4:].split("\n---\n", 1)
            mine, my_body = text[4:].split("\n---\n", 1)
            assert body == my_body, uri
            assert [l for l in head.splitlines() if not l.startswith("grandrounds_head:")] == mine.splitlines(), uri
        else:
            assert page == text, uri


def test_watch_picks_up_a_new_teaching_session(tmp_path):
    project = _project(tmp_path, "site_name: X\n")
    out = tmp_path / "out"

    def add_session():
        (project / "sessions").mkdir()
        (project / "sessions" / "round.yaml").write_text(
            'title: Round\ndate: "2026-01-01"\ncases: [elderly-hyponatraemia-siadh]\n', encoding="utf-8")

    script = _Script(out, [add_session])
    target = watch.Target(out, None, project / "mkdocs.yml", {}, False, project / "cases", project / "templates")
    assert watch.run(target, poll=0, log=io.StringIO(), rounds=script) == 0
    before, after = script.seen
    assert "sessions/round.md" not in before and "sessions/round.md" in after and "sessions.md" in after
