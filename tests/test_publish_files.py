"""What under the cases folder reaches the site: `publish.py`'s one rule, in real builds,
in `grandrounds check` and in the Markdown renderer.

Sites are built once per module fixture (a hostile one that must fail, a tidy one that must
build under `--strict`), and the assertions read the built `site/` folder and the log.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PNG_1PX, article, copy_project, read_html, run_cli, write_case
from grandrounds.site import publish
from grandrounds.site.markup import is_local_src, markdown_to_html, markdown_to_inline_html, remote_images

SECRET = "SECRET-OUTSIDE-7f3a"
PRIVATE = "PRIVATE-MARKER-91c2"

# A published case that needs no consent or CARE items (a summary of a published article),
# so the site still builds under --strict.
STUDY = """
    title: {title}
    type: case-study
    date: "2021"
    source: {{title: An original article, type: article-journal, issued: {{date-parts: [[2020]]}}}}
    abstract: {abstract}
"""


def mkdocs_build(project: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` (not quiet: the information lines are part of the test)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=project, env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)


def site_bytes(site: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file())


def site_files(site: Path) -> set[str]:
    return {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}


# --------------------------------------------------------------------------- links out of the folder


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The example project plus links that leave the cases folder: a figure linked to a
    file, a folder linked to a folder, a record linked to a record, and /proc/self/environ."""
    base = tmp_path_factory.mktemp("hostile")
    outside = base / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text(SECRET, encoding="utf-8")
    (outside / "folder" / "keys.txt").write_text(SECRET, encoding="utf-8")
    (outside / "record.yaml").write_text(f"title: {SECRET}\nabstract: {SECRET}\n", encoding="utf-8")
    project = copy_project(base / "project")
    cases = project / "cases"
    (cases / "figures" / "chart.png").symlink_to(outside / "secret.txt")
    (cases / "shared-data").symlink_to(outside / "folder", target_is_directory=True)
    (cases / "linked-record.yaml").symlink_to(outside / "record.yaml")
    (cases / "figures" / "env.txt").symlink_to("/proc/self/environ")
    return project, mkdocs_build(project)


def test_links_out_of_the_cases_folder_fail_the_build_at_the_link(hostile):
    project, result = hostile
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    assert ("cases/figures/chart.png:1:1: is a symbolic link to a file outside the cases folder; "
            "copy the file in instead") in lines
    assert ("cases/shared-data:1:1: is a symbolic link to a folder outside the cases folder; "
            "copy the files in instead") in lines
    assert ("cases/linked-record.yaml:1:1: is a symbolic link to a file outside the cases folder; "
            "copy the file in instead") in lines
    assert ("cases/figures/env.txt:1:1: is a symbolic link to a file outside the cases folder; "
            "copy the file in instead") in lines
    assert not any("shared-data/keys.txt" in line for line in lines), "a linked folder is reported once"
    assert "Traceback" not in result.stdout


def test_nothing_from_outside_the_cases_folder_is_written(hostile):
    project, result = hostile
    site = project / "site"
    if site.exists():
        assert SECRET.encode() not in site_bytes(site)
        assert not {"figures/chart.png", "shared-data/keys.txt", "figures/env.txt"} & site_files(site)
    assert SECRET not in result.stdout  # a linked record is never read, so never quoted either


def test_check_refuses_the_same_links(hostile, monkeypatch, capsys):
    project, _ = hostile
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, "check")
    assert code == 1
    errors = [line for line in out.splitlines() if ": error: publish/" in line]
    assert sorted(errors) == sorted([
        "cases/figures/chart.png:1:1: error: publish/outside: is a symbolic link to a file outside the "
        "cases folder; copy the file in instead",
        "cases/figures/env.txt:1:1: error: publish/outside: is a symbolic link to a file outside the "
        "cases folder; copy the file in instead",
        "cases/linked-record.yaml:1:1: error: publish/outside: is a symbolic link to a file outside the "
        "cases folder; copy the file in instead",
        "cases/shared-data:1:1: error: publish/outside: is a symbolic link to a folder outside the cases "
        "folder; copy the files in instead",
    ])
    assert SECRET not in out + err


def test_a_folder_linked_to_its_own_parent_and_a_pipe_are_refused_without_a_hang(tmp_path):
    cases = tmp_path / "cases"
    (cases / "figures").mkdir(parents=True)
    (cases / "figures" / "again").symlink_to("..", target_is_directory=True)
    os.mkfifo(cases / "figures" / "pipe.png")
    (cases / "gone.png").symlink_to("figures/nothing.png")
    started = time.monotonic()
    files = publish.walk(cases)
    plan = publish.plan(cases, files, cases=[], shown=[])
    assert time.monotonic() - started < 2
    kinds = {f.problem.path.split("cases/", 1)[1]: f.code for f in plan.findings}
    assert kinds == {"figures/again": "publish/loop", "figures/pipe.png": "publish/special",
                     "gone.png": "publish/missing"}
    assert {"figures/pipe.png", "gone.png"} <= plan.dropped


def test_links_that_stay_inside_are_published_unless_their_target_is_private(tmp_path):
    cases = tmp_path / "cases"
    (cases / "figures").mkdir(parents=True)
    (cases / "figures" / "a.png").write_bytes(PNG_1PX)
    (cases / "figures" / "alias.png").symlink_to("a.png")
    (cases / "record.yaml").write_text("title: T\nabstract: A\n", encoding="utf-8")
    (cases / "figures" / "sneaky.png").symlink_to("../record.yaml")
    (cases / "figures" / "backup.png").symlink_to("../record.yaml~")
    (cases / "record.yaml~").write_text(PRIVATE, encoding="utf-8")
    plan = publish.plan(cases, publish.walk(cases), cases=[], shown=[], records=[cases / "record.yaml"])
    assert plan.dropped == {"record.yaml", "figures/sneaky.png", "figures/backup.png", "record.yaml~"}
    assert not plan.errors


# --------------------------------------------------------------------------- private files by any spelling

BACKUPS = ["dah-sle-msc.yaml~", "#dah-sle-msc.yaml#", "dah-sle-msc.yaml.bak", "dah-sle-msc.YML.orig",
           "changes.rej", "notes.txt.swp", "figures/plot.png.swo", "upload.TMP", "figures/Thumbs.db",
           "Notes.docx~", "~$protocol.docx", "draft.yaml.save", "figures/x.kate-swp"]
HIDDEN = [".dah-sle-msc.yaml.swp", ".#dah-sle-msc.yaml", ".DS_Store", ".git/config", "figures/.cache/a.png",
          ".env"]


def _prepare_tidy(project: Path) -> None:
    cases = project / "cases"
    figures = cases / "figures"
    figures.mkdir(exist_ok=True)
    for name in BACKUPS + HIDDEN:
        (cases / name).parent.mkdir(parents=True, exist_ok=True)
        (cases / name).write_text(f"{PRIVATE} {name}\n", encoding="utf-8")
    write_case(project, "upper-case.YAML", STUDY.format(
        title="A record whose suffix is upper case",
        abstract="Read as a record. ![The shared plot](figures/shared.png)") + """
    figures:
      - id: plot
        file: figures/shared.png
        alt: A plot both records show
    """)
    write_case(project, "shared-draft", STUDY.format(title="A draft", abstract="Not published.") + """
    status: draft
    figures:
      - id: plot
        file: figures/shared.png
        alt: The same plot
      - id: own
        file: figures/draft-only.png
        alt: A plot only the draft shows
      - id: linked
        file: figures/draft-linked.png
        alt: A plot the about page also shows
    """)
    for name in ("shared.png", "draft-only.png", "draft-linked.png", "alias-target.png"):
        (figures / name).write_bytes(PNG_1PX)
    (figures / "alias.png").symlink_to("alias-target.png")
    (figures / "sneaky.png").symlink_to("../shared-draft.yaml")
    (cases / "old").mkdir()
    (cases / "old" / "retired.yaml").write_text(f"title: {PRIVATE}\n", encoding="utf-8")
    (cases / "Loose.Ris").write_text(f"TY  - JOUR\nTI  - {PRIVATE}\nER  - \n", encoding="utf-8")
    (cases / "reading.bib").write_text("@article{a, title={A reading list}}\n", encoding="utf-8")
    (cases / "custom.css").write_text(".md-typeset { color: black; }\n", encoding="utf-8")
    (cases / "about.md").write_text(
        "# About\n\nOur [reading list](reading.bib), and a plot:\n\n![plot](figures/draft-linked.png)\n",
        encoding="utf-8")
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "\nextra_css:\n  - custom.css\n", encoding="utf-8")


@pytest.fixture(scope="module")
def tidy(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("tidy") / "project")
    _prepare_tidy(project)
    result = mkdocs_build(project)
    assert result.returncode == 0, result.stdout
    return project, result


def test_backups_hidden_files_and_stray_sources_are_not_published(tidy):
    project, _ = tidy
    site = project / "site"
    assert PRIVATE.encode() not in site_bytes(site)
    files = site_files(site)
    for name in BACKUPS + HIDDEN + ["old/retired.yaml", "Loose.Ris", "figures/sneaky.png"]:
        assert name not in files, name
    assert not [f for f in files if f.lower().endswith((".yaml", ".yml", ".ris")) and not f.startswith("cite/")]


def test_the_build_says_what_it_left_out(tidy):
    _, result = tidy
    lines = result.stdout
    for name in BACKUPS:
        assert (f"cases/{name}:1:1: left out of the site: an editor backup, swap, lock or temporary file"
                in lines), name
    assert "cases/.git:1:1: left out of the site: a hidden file or folder" in lines
    assert "cases/.git/config" not in lines  # a hidden folder is reported once
    assert "cases/old/retired.yaml:1:1: left out of the site: a record source that is not read" in lines
    assert "cases/Loose.Ris:1:1: left out of the site: a reference file that no record names" in lines
    assert "cases/figures/sneaky.png:1:1: left out of the site: a record source" not in lines  # a record read
    assert "WARNING" not in lines


def test_an_upper_case_yaml_suffix_is_a_record(tidy):
    project, _ = tidy
    body = article(read_html(project / "site" / "upper-case" / "index.html"))
    assert body.find("h1").squashed() == "A record whose suffix is upper case"


def test_a_figure_a_draft_shares_with_a_published_case_stays(tidy):
    project, _ = tidy
    site = project / "site"
    assert (site / "figures" / "shared.png").read_bytes() == PNG_1PX
    assert not (site / "figures" / "draft-only.png").exists()
    assert not (site / "shared-draft").exists()


def test_files_the_site_uses_stay(tidy):
    project, _ = tidy
    site = project / "site"
    assert (site / "custom.css").is_file()  # extra_css
    assert (site / "reading.bib").is_file()  # a hand-written page links to it
    assert (site / "figures" / "draft-linked.png").read_bytes() == PNG_1PX  # a page shows it
    assert (site / "figures" / "alias.png").read_bytes() == PNG_1PX  # a link inside the folder
    about = article(read_html(site / "about" / "index.html"))
    assert [a.get("href") for a in about.find_all("a") if "reading" in (a.get("href") or "")] == ["../reading.bib"]


def test_check_reports_what_is_left_out_as_information(tidy, monkeypatch, capsys):
    project, _ = tidy
    monkeypatch.chdir(project)
    code, out, err = run_cli(capsys, "check", "--info")
    assert code == 0, out + err
    left_out = {line.split(":1:1:", 1)[0] for line in out.splitlines() if "info: publish/left-out" in line}
    expected = {f"cases/{n}" for n in BACKUPS} | {"cases/old/retired.yaml", "cases/Loose.Ris",
                                                   "cases/.dah-sle-msc.yaml.swp", "cases/.#dah-sle-msc.yaml",
                                                   "cases/.DS_Store", "cases/.git", "cases/figures/.cache",
                                                   "cases/.env"}
    assert left_out == expected


@pytest.mark.parametrize("name", ["x.yaml", "x.YAML", "x.Yml", "x.yMl"])
def test_record_names_any_letter_case(name):
    assert publish.is_record_name(name)


@pytest.mark.parametrize("name", ["x.yaml~", "#x.yaml#", ".x.yaml", "x.yaml.bak", "x.yaml.orig", "x.yaml.txt",
                                  "x.json", "x.yaml ", "yaml"])
def test_not_record_names(name):
    assert not publish.is_record_name(name)


@pytest.mark.parametrize("relative, kind", [
    ("a.BAK", publish.BACKUP), ("a.Swp", publish.BACKUP), ("a.swn", publish.BACKUP), ("a.rej", publish.BACKUP),
    ("x.yaml.old", publish.BACKUP), ("refs.json~", publish.BACKUP), ("desktop.ini", publish.BACKUP),
    ("sub/.hidden/a.png", publish.HIDDEN), (".htaccess", publish.HIDDEN),
    ("x.yaml.txt", publish.RECORD), ("sub/x.YML", publish.RECORD), ("refs.BIB", publish.REFERENCE),
    ("figures/a.png", ""), ("about.md", ""), ("figures/fig.2.png", ""), ("#1 chart.png", ""),
])
def test_name_kinds(relative, kind):
    assert publish.name_kind(relative) == kind


# --------------------------------------------------------------------------- unused HTML and SVG


def test_check_warns_about_html_and_svg_that_nothing_uses(tmp_path, monkeypatch, capsys):
    cases = tmp_path / "cases"
    (cases / "figures").mkdir(parents=True)
    write_case(tmp_path, "x", STUDY.format(title="T", abstract="A") + """
    figures:
      - {id: f, file: figures/used.svg, alt: A chart}
    """)
    write_case(tmp_path, "y", STUDY.format(title="U", abstract="B") + """
    figures:
      - {id: f, file: figures/other.svg, alt: Another chart}
    """)
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'
    for name in ("figures/used.svg", "figures/other.svg", "figures/orphan.SVG", "figures/linked.svg", "page.html", "linked.htm",
                 "feed.xml"):
        (cases / name).write_text(svg, encoding="utf-8")
    (cases / "about.md").write_text('[a page](linked.htm) <img src="figures/linked.svg">\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "check")
    warned = sorted(line.split(":1:1:", 1)[0] for line in out.splitlines() if "publish/unused-active" in line)
    assert warned == ["cases/feed.xml", "cases/figures/orphan.SVG", "cases/page.html"]
    code, out, err = run_cli(capsys, "check", "cases/x.yaml")  # one record: the others' uses are unknown
    assert "publish/unused-active" not in out


# --------------------------------------------------------------------------- remote images

REMOTE = [
    "![a](http://example.org/a.png)", "![b](//example.org/b.png)", "![c](HTTPS://example.org/c.png)",
    "![d][ref]\n\n[ref]: https://example.org/d.png", "![e](<//example.org/e.png>)",
    "![f](data:image/png;base64,iVBORw0KGgo=)", "![g]( \t//example.org/g.png)", "![h](ftp:example.org/h.png)",
]


@pytest.mark.parametrize("text", REMOTE)
def test_remote_images_never_become_img_tags(text):
    html = str(markdown_to_html(text)) + str(markdown_to_inline_html(text.split("\n")[0]))
    assert "<img" not in html
    assert "example.org" not in html and "data:" not in html
    assert len(remote_images(text)) == 1


@pytest.mark.parametrize("src", ["figures/a.png", "../figures/a.png", "/figures/a.png", "a%3Ab.png", "#x"])
def test_local_image_addresses(src):
    assert is_local_src(src)
    assert f'src="{src}"' in str(markdown_to_html(f"![x]({src})"))


@pytest.mark.parametrize("src", ["http://h/x", "//h/x", "\\\\h/x", "/\\h/x", " //h/x", "\t//h/x", "/\t/h/x",
                                 "javascript:x", "data:image/png;base64,AA", "HtTp:h"])
def test_remote_image_addresses(src):
    assert not is_local_src(src)


def test_autolinks_and_links_stay_links():
    html = str(markdown_to_html("See <https://example.org/x> and [the paper](https://example.org/p)."))
    assert html.count('href="https://example.org/') == 2


@pytest.fixture(scope="module")
def remote(tmp_path_factory):
    project = copy_project(tmp_path_factory.mktemp("remote") / "project")
    write_case(project, "remote-images", STUDY.format(
        title="Remote images", abstract="Nothing to see here.") + """
    discussion: |-
      A first paragraph.

      An image ![chart](https://example.org/chart.png) inline,
      and ![scan](//cdn.example.org/scan.png) again.
    outcome: |-
      A reference-style image ![pic][pic] here.

      [pic]: http://example.org/pic.png
    """)
    return project


def test_remote_images_fail_the_build_at_their_place(remote):
    result = mkdocs_build(remote)
    assert result.returncode == 1, result.stdout
    out = result.stdout
    assert ("cases/remote-images.yaml:10:21: error: publish/remote-image: image 'https://example.org/chart.png' "
            "is not a file of the site (readers' browsers would fetch it); put the image under cases/ and add "
            "it under `figures:`, or make it a link: [text](URL)") in out
    assert "cases/remote-images.yaml:11:15: error: publish/remote-image: image '//cdn.example.org/scan.png'" in out
    assert "cases/remote-images.yaml:15:10: error: publish/remote-image: image 'http://example.org/pic.png'" in out


def test_remote_images_are_left_out_of_the_page_even_unchecked(remote):
    config = remote / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("      style: nature\n",
                                                                 "      style: nature\n      check: false\n"),
                      encoding="utf-8")
    result = mkdocs_build(remote)
    assert result.returncode == 0, result.stdout
    body = article(read_html(remote / "site" / "remote-images" / "index.html"))
    assert [img.get("src") for img in body.find_all("img")] == []
    text = body.squashed()
    assert "An image chart inline, and scan again." in text
    assert "A reference-style image pic here." in text
    assert "example.org" not in (remote / "site" / "remote-images" / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- render --out


def test_render_out_copies_the_figures_of_shown_cases_only(tmp_path, monkeypatch, capsys):
    cases = tmp_path / "cases"
    (cases / "figures").mkdir(parents=True)
    for name in ("shared.png", "draft-only.png"):
        (cases / "figures" / name).write_bytes(PNG_1PX)
    write_case(tmp_path, "shown", STUDY.format(title="Shown", abstract="A") + """
    figures:
      - {id: a, file: ./figures/shared.png, alt: Shared}
      - {id: b, file: figures/sneaky.png, alt: A link to a backup}
    """)
    (cases / "figures" / "sneaky.png").symlink_to("../old.png~")  # a link to a backup is a backup
    (cases / "old.png~").write_bytes(PNG_1PX)
    write_case(tmp_path, "hidden-draft", STUDY.format(title="Draft", abstract="B") + """
    status: draft
    figures:
      - {id: a, file: figures/shared.png, alt: Shared}
      - {id: b, file: figures/draft-only.png, alt: Own}
    """)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "render", "--out", "rendered")
    assert code == 0, out + err
    figures = {p.relative_to(tmp_path / "rendered").as_posix() for p in (tmp_path / "rendered").rglob("*.png")}
    assert figures == {"figures/shared.png"}
    assert (tmp_path / "rendered" / "figures" / "shared.png").read_bytes() == PNG_1PX


def test_a_folder_linked_to_the_root_of_the_disk_stops_the_build_before_mkdocs_walks_it(tmp_path):
    project = copy_project(tmp_path / "project")
    (project / "cases" / "figures" / "everything").symlink_to("/", target_is_directory=True)
    (project / "cases" / "figures" / "passwd.png").symlink_to("/etc/passwd")
    started = time.monotonic()
    result = mkdocs_build(project, timeout=60)
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert ("cases/figures/everything:1:1: is a symbolic link to a folder outside the cases folder; "
            "copy the files in instead") in lines
    assert ("cases/figures/passwd.png:1:1: is a symbolic link to a file outside the cases folder; "
            "copy the file in instead") in lines  # reported in the same run
    assert "Traceback" not in result.stdout
