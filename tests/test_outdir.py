"""Output folders (`outdir`): no command deletes or damages what it did not make.

`render --out`, `handout --out` (and `--booklet`) write only into a new or empty folder or
one of their own (manifest), replace or remove only their own unchanged files, and refuse
the cases folder, the project, home, `/`, a file and a folder holding records before
writing anything. `new DIR` and `add` never overwrite what they did not write.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

import pytest

from conftest import run_cli, write_case

from grandrounds import outdir

CASE = """\
    title: {title}
    abstract: A short abstract.
    specialties: [Neurology]
    figures:
      - id: f1
        file: figures/{slug}.png
        alt: a red square
"""


def add_case(root: Path, slug: str, title: str | None = None) -> None:
    write_case(root, slug, CASE.format(title=title or slug.replace("-", " ").capitalize(), slug=slug))
    (root / "cases" / "figures").mkdir(exist_ok=True)
    from PIL import Image

    Image.new("RGB", (4, 4), (200, 30, 30)).save(root / "cases" / "figures" / f"{slug}.png")


@pytest.fixture
def site(tmp_path, monkeypatch):
    """A project (mkdocs.yml, cases/ with two cases) as the working folder; HOME elsewhere."""
    root = tmp_path / "work" / "project"
    root.mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: Test\n", encoding="utf-8")
    add_case(root, "first-case")
    add_case(root, "second-case")
    monkeypatch.chdir(root)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return root


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (links not followed) with its bytes."""
    found = {}
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = Path(dirpath) / name
            found[path.relative_to(folder).as_posix()] = b"link" if path.is_symlink() else path.read_bytes()
    return found


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def manifest_files(folder: Path) -> set[str]:
    return set(json.loads((folder / outdir.MANIFEST).read_text(encoding="utf-8"))["files"])


def refused(code: int, out: str, err: str, *words: str) -> None:
    assert code == 1, err
    assert "Traceback" not in out + err
    assert err.startswith("grandrounds: "), err
    for word in words:
        assert word in err, err


# --------------------------------------------------------------------------- where: render --out


@pytest.mark.parametrize("out, words", [
    ("cases", ("is the cases folder",)),
    ("cases/", ("is the cases folder",)),
    ("./cases/../cases", ("is the cases folder",)),
    (".", ("is the project folder",)),
    ("..", ("holds the cases folder",)),
    ("cases/rendered", ("inside the cases folder",)),
    ("cases/figures", ("inside the cases folder",)),
])
def test_render_refuses_the_project_and_the_cases_folder(site, capsys, out, words):
    everything = snapshot(site.parent)
    code, stdout, err = run_cli(capsys, "render", "--out", out)
    refused(code, stdout, err, *words)
    assert snapshot(site.parent) == everything  # nothing written, nothing deleted


def test_render_refuses_an_ancestor_of_the_project_by_absolute_path(site, capsys):
    everything = snapshot(site.parent)
    code, stdout, err = run_cli(capsys, "render", "--out", str(site.parent))
    refused(code, stdout, err, "holds the cases folder")
    code, stdout, err = run_cli(capsys, "render", "--out", str(site.parent.parent))
    refused(code, stdout, err, "holds your home folder")  # the fixture's HOME is beside the project
    assert snapshot(site.parent) == everything


def test_render_from_a_subfolder_refuses_the_project_root(site, capsys, monkeypatch):
    (site / "notes").mkdir()
    monkeypatch.chdir(site / "notes")
    before = snapshot(site)
    code, stdout, err = run_cli(capsys, "render", "--cases", "../cases", "--out", "..")
    refused(code, stdout, err, "is the project folder")
    code, stdout, err = run_cli(capsys, "render", "--cases", "../cases", "--out", ".")
    refused(code, stdout, err, "is the current folder")
    assert snapshot(site) == before


def test_render_refuses_a_cases_folder_of_another_name_and_a_link_to_it(site, capsys):
    os.rename(site / "cases", site / "records")
    (site.parent / "link").symlink_to(site / "records")
    before = snapshot(site)
    for out in ("records", str(site.parent / "link"), str(site.parent / "link" / "figures")):
        code, stdout, err = run_cli(capsys, "render", "--cases", "records", "--out", out)
        refused(code, stdout, err, "the cases folder")
    assert snapshot(site) == before


def test_render_refuses_home_and_what_holds_it(site, capsys):
    home = Path(os.environ["HOME"])
    (home / "diary.txt").write_text("mine", encoding="utf-8")
    code, stdout, err = run_cli(capsys, "render", "--out", str(home))
    refused(code, stdout, err, "is your home folder")
    code, stdout, err = run_cli(capsys, "render", "--out", "~")  # the shell would expand it; a folder named ~ is fine
    assert code == 0, err
    assert listing(home) == ["diary.txt"]
    code, stdout, err = run_cli(capsys, "render", "--out", str(home / "site"))
    assert code == 0, err  # a subfolder of home is an ordinary place


def test_render_refuses_a_file_and_a_broken_link(site, capsys):
    (site / "afile").write_text("precious\n", encoding="utf-8")
    (site / "dangling").symlink_to(site / "nowhere")
    for out, words in (("afile", ("exists and is not a folder",)), ("dangling", ("broken link",)),
                       ("afile/sub", ("afile is not a folder",))):
        code, stdout, err = run_cli(capsys, "render", "--out", out)
        refused(code, stdout, err, *words)
    assert (site / "afile").read_text(encoding="utf-8") == "precious\n"
    assert (site / "dangling").is_symlink() and not (site / "nowhere").exists()


def test_the_root_folder_is_refused_before_anything_is_written(site, capsys, monkeypatch):
    assert outdir.location_problem(Path("/"))[0] == "is the root folder"
    assert outdir.location_problem(Path("/"), protect_project=False)[0] == "is the root folder"
    assert outdir.location_problem(Path("/tmp/.."), cwd=Path("/tmp"))[0] == "is the root folder"

    def no_write(*args, **kwargs):
        raise AssertionError("wrote something")

    monkeypatch.setattr(outdir, "atomic_write", no_write)
    code, stdout, err = run_cli(capsys, "render", "--out", "/")
    refused(code, stdout, err, "grandrounds: /: is the root folder")
    code, stdout, err = run_cli(capsys, "new", "/")
    refused(code, stdout, err, "is the root folder")


def test_location_rule_is_a_pure_decision(tmp_path):
    project = tmp_path / "a" / "p"
    (project / "cases").mkdir(parents=True)
    (project / ".git").mkdir()
    home = tmp_path / "h"
    home.mkdir()
    decide = lambda out, **kw: outdir.location_problem(out, project / "cases", cwd=project / "cases", home=home, **kw)
    assert decide(project / "out") is None
    assert decide(project / "cases")[0] == "is the cases folder"
    assert decide(project)[0] == "is the project folder"
    assert decide(tmp_path / "a")[0].startswith("holds the cases folder")
    assert decide(tmp_path)[0] == "holds your home folder"
    assert decide(home)[0] == "is your home folder"
    assert decide(home / "x") is None
    assert decide(home, protect_project=False)[0] == "is your home folder"
    assert decide(project, protect_project=False) is None  # `new .` in a project is allowed (it never overwrites)


# --------------------------------------------------------------------------- what: render --out


def test_render_refuses_a_folder_with_an_unrelated_file_and_keeps_it(site, capsys):
    out = site / "public"
    out.mkdir()
    (out / "notes.txt").write_text("mine\n", encoding="utf-8")
    (out / "sub").mkdir()
    (out / "sub" / "draft.md").write_text("mine too\n", encoding="utf-8")
    code, stdout, err = run_cli(capsys, "render", "--out", "public")
    refused(code, stdout, err, "public: holds files that `grandrounds render` did not write",
            "notes.txt", "sub/draft.md", "nothing was written")
    assert listing(out) == ["notes.txt", "sub", "sub/draft.md"]


def test_render_names_only_the_first_few_unexpected_files(site, capsys):
    out = site / "public"
    out.mkdir()
    for i in range(9):
        (out / f"mine-{i}.txt").write_text("x", encoding="utf-8")
    code, stdout, err = run_cli(capsys, "render", "--out", "public")
    refused(code, stdout, err, "mine-0.txt", "mine-4.txt", "and more")
    assert "mine-8.txt" not in err
    assert len(list(out.iterdir())) == 9


def test_render_refuses_a_folder_holding_records(site, capsys):
    out = site / "backup"
    out.mkdir()
    (out / "old-case.YML").write_text("title: Old\nabstract: Y\n", encoding="utf-8")
    code, stdout, err = run_cli(capsys, "render", "--out", "backup")
    refused(code, stdout, err, "holds case records (old-case.YML)")
    assert listing(out) == ["old-case.YML"]


def test_render_into_an_empty_folder_and_rerender_removes_only_stale_own_files(site, capsys):
    out = site / "public"
    out.mkdir()
    assert run_cli(capsys, "render", "--out", "public")[0] == 0
    first = snapshot(out)
    assert {"first-case.md", "second-case.md", "figures/second-case.png", "index.md"} <= set(first)
    assert manifest_files(out) == set(first) - {outdir.MANIFEST}
    stamps = {p: (out / p).stat().st_mtime_ns for p in first}
    code, _, err = run_cli(capsys, "render", "--out", "public")  # same input: nothing rewritten
    assert code == 0 and "0 files written" in err, err
    assert {p: (out / p).stat().st_mtime_ns for p in first} == stamps

    (site / "cases" / "second-case.yaml").unlink()
    add_case(site, "third-case")
    code, _, err = run_cli(capsys, "render", "--out", "public")
    assert code == 0, err
    now = snapshot(out)
    assert "third-case.md" in now and "figures/third-case.png" in now
    assert not [p for p in now if "second-case" in p]  # page, figure and citation files went
    assert manifest_files(out) == set(now) - {outdir.MANIFEST}
    assert not (out / "cite").exists() or all("second" not in p.name for p in (out / "cite").iterdir())

    (out / "cite" / "mine.bib").write_text("@misc{mine}\n", encoding="utf-8")
    before = snapshot(out)
    code, stdout, err = run_cli(capsys, "render", "--out", "public")
    refused(code, stdout, err, "cite/mine.bib")
    assert snapshot(out) == before


def test_render_refuses_when_an_own_file_was_edited_and_keeps_the_edit(site, capsys):
    assert run_cli(capsys, "render", "--out", "public")[0] == 0
    page = site / "public" / "first-case.md"
    page.write_text(page.read_text(encoding="utf-8") + "\nMy note.\n", encoding="utf-8")
    (site / "cases" / "first-case.yaml").unlink()  # its page is now stale: still not deleted
    before = snapshot(site / "public")
    code, stdout, err = run_cli(capsys, "render", "--out", "public")
    refused(code, stdout, err, "public/first-case.md: changed since `grandrounds render` wrote it",
            "move the edited file away")
    assert snapshot(site / "public") == before
    page.rename(site / "my-notes.md")
    code, _, err = run_cli(capsys, "render", "--out", "public")
    assert code == 0, err
    assert (site / "my-notes.md").read_text(encoding="utf-8").endswith("My note.\n")


def test_render_adopts_a_folder_an_earlier_version_made(site, capsys):
    assert run_cli(capsys, "render", "--out", "fresh")[0] == 0
    old = site / "old"
    shutil.copytree(site / "fresh", old)
    (old / outdir.MANIFEST).unlink()  # earlier versions wrote no manifest ...
    os.chmod(old, 0o700)  # ... and left the folder as mkdtemp made it
    code, _, err = run_cli(capsys, "render", "--out", "old")
    assert code == 0, err
    assert stat.S_IMODE(old.stat().st_mode) == 0o777 & ~_umask()
    assert manifest_files(old) == set(snapshot(old)) - {outdir.MANIFEST}


def test_render_does_not_adopt_a_manifestless_folder_with_other_files(site, capsys):
    assert run_cli(capsys, "render", "--out", "fresh")[0] == 0
    old = site / "old"
    shutil.copytree(site / "fresh", old)
    (old / outdir.MANIFEST).unlink()
    (site / "cases" / "second-case.yaml").unlink()  # the old output has a page render no longer writes
    before = snapshot(old)
    code, stdout, err = run_cli(capsys, "render", "--out", "old")
    refused(code, stdout, err, "second-case.md")
    assert snapshot(old) == before


def _umask() -> int:
    from grandrounds.fsio import umask

    return umask()


def test_render_output_has_ordinary_modes(site, capsys):
    previous = os.umask(0o022)
    try:
        assert run_cli(capsys, "render", "--out", "deep/public")[0] == 0
    finally:
        os.umask(previous)
    out = site / "deep" / "public"
    for path in [site / "deep", *out.rglob("*"), out]:
        want = 0o755 if path.is_dir() else 0o644
        assert stat.S_IMODE(path.stat().st_mode) == want, path


def test_render_never_follows_a_link_inside_its_folder(site, capsys, tmp_path):
    assert run_cli(capsys, "render", "--out", "public")[0] == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "index.md").write_text("not yours\n", encoding="utf-8")
    shutil.rmtree(site / "public" / "figures")
    (site / "public" / "figures").symlink_to(elsewhere)
    code, stdout, err = run_cli(capsys, "render", "--out", "public")
    refused(code, stdout, err, "figures")
    assert listing(elsewhere) == ["index.md"]


def test_a_forged_manifest_cannot_make_render_delete_outside_its_folder(site, capsys, tmp_path):
    import hashlib

    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n", encoding="utf-8")
    digest = hashlib.sha256(victim.read_bytes()).hexdigest()
    out = site / "public"
    out.mkdir()
    for name in ("../../victim.txt", str(victim)):
        (out / outdir.MANIFEST).write_text(json.dumps({
            "generator": "grandrounds", "version": "0", "command": "render", "complete": True,
            "files": {name: [digest]}}), encoding="utf-8")
        code, stdout, err = run_cli(capsys, "render", "--out", "public")
        refused(code, stdout, err, "is not a manifest grandrounds can read")
        assert victim.read_text(encoding="utf-8") == "keep me\n"
    assert listing(out) == [outdir.MANIFEST]


def test_an_interrupted_run_leaves_a_manifest_that_knows_every_file(site, capsys, monkeypatch):
    assert run_cli(capsys, "render", "--out", "public")[0] == 0
    add_case(site, "third-case")
    real = outdir.atomic_write
    calls = []

    def crash_after_two(path, data):
        calls.append(path)
        if len(calls) == 3:  # the manifest, then one page, then stop
            raise KeyboardInterrupt
        real(path, data)

    monkeypatch.setattr(outdir, "atomic_write", crash_after_two)
    with pytest.raises(KeyboardInterrupt):
        outdir.write_output(site / "public", {"third-case.md": "new", "index.md": "changed"}, "render",
                            site / "cases")
    monkeypatch.setattr(outdir, "atomic_write", real)
    assert json.loads((site / "public" / outdir.MANIFEST).read_text())["complete"] is False
    code, _, err = run_cli(capsys, "render", "--out", "public")  # the next run carries on
    assert code == 0, err
    assert (site / "public" / "third-case.md").read_text(encoding="utf-8") != "new"


# --------------------------------------------------------------------------- handout --out


@pytest.fixture
def fake_pdfs(monkeypatch):
    """Handouts without WeasyPrint: a PDF's bytes are the case titles (the output-folder
    rules, not the layout, are under test)."""
    from grandrounds import handout

    def render_pdf(html, cases_dir, options):
        return b"%PDF-1.4 " + html.encode("utf-8")[:64], 1, 1

    monkeypatch.setattr(handout, "render_pdf", render_pdf)
    return handout


@pytest.mark.parametrize("out, words", [
    ("cases", ("is the cases folder",)),
    (".", ("is the project folder",)),
    ("..", ("holds the cases folder",)),
    ("mkdocs.yml", ("exists and is not a folder",)),
])
def test_handout_refuses_the_same_places_before_building(site, capsys, fake_pdfs, out, words):
    everything = snapshot(site.parent)
    for extra in ((), ("--booklet",)):
        code, stdout, err = run_cli(capsys, "handout", "--jobs", "1", "--out", out, *extra)
        refused(code, stdout, err, *words)
    assert snapshot(site.parent) == everything
    assert not (site / ".cache").exists()  # refused before building anything


def test_handout_refuses_a_cache_folder_in_the_project_place(site, capsys, fake_pdfs):
    code, stdout, err = run_cli(capsys, "handout", "--jobs", "1", "--cache-dir", ".")
    refused(code, stdout, err, "is the project folder")
    assert not (site / "handouts").exists()


def test_handout_writes_its_own_folder_and_keeps_to_it(site, capsys, fake_pdfs):
    code, _, err = run_cli(capsys, "handout", "--jobs", "1", "--out", "pdfs")
    assert code == 0, err
    out = site / "pdfs"
    assert manifest_files(out) == {"first-case.pdf", "second-case.pdf"}
    code, _, err = run_cli(capsys, "handout", "--jobs", "1", "--out", "pdfs")
    assert code == 0 and "0 files written" in err, err
    code, _, err = run_cli(capsys, "handout", "--jobs", "1", "--booklet", "--out", "pdfs")
    assert code == 0, err  # the booklet joins the per-case handouts; they stay
    assert manifest_files(out) == {"first-case.pdf", "second-case.pdf", "booklet.pdf"}
    assert sorted(p.name for p in out.iterdir()) == [outdir.MANIFEST, "booklet.pdf", "first-case.pdf",
                                                     "second-case.pdf"]
    assert stat.S_IMODE((out / "booklet.pdf").stat().st_mode) == 0o666 & ~_umask()

    (out / "first-case.pdf").write_bytes(b"%PDF annotated by hand")
    (site / "cases" / "first-case.yaml").write_text(
        (site / "cases" / "first-case.yaml").read_text(encoding="utf-8").replace("First case", "Renamed"),
        encoding="utf-8")
    code, stdout, err = run_cli(capsys, "handout", "--jobs", "1", "--out", "pdfs")
    refused(code, stdout, err, "pdfs/first-case.pdf: changed since `grandrounds handout` wrote it")
    assert (out / "first-case.pdf").read_bytes() == b"%PDF annotated by hand"


def test_handout_refuses_a_folder_with_other_files_or_another_commands_output(site, capsys, fake_pdfs):
    mine = site / "mine"
    mine.mkdir()
    (mine / "paper.pdf").write_bytes(b"%PDF mine")
    for extra in ((), ("--booklet",)):
        code, stdout, err = run_cli(capsys, "handout", "--jobs", "1", "--out", "mine", *extra)
        refused(code, stdout, err, "paper.pdf", "did not write")
    assert listing(mine) == ["paper.pdf"]
    assert run_cli(capsys, "render", "--out", "rendered")[0] == 0
    before = snapshot(site / "rendered")
    code, stdout, err = run_cli(capsys, "handout", "--jobs", "1", "--out", "rendered")
    refused(code, stdout, err, "holds the output of `grandrounds render`")
    assert snapshot(site / "rendered") == before


def test_handout_adopts_an_older_handout_folder(site, capsys, fake_pdfs):
    old = site / "handouts"
    old.mkdir()
    (old / "second-case.pdf").write_bytes(b"%PDF old")
    (old / "booklet-neurology.pdf").write_bytes(b"%PDF old booklet")
    code, _, err = run_cli(capsys, "handout", "--jobs", "1", "first-case")
    assert code == 0, err
    # both old files are ones handout writes, so the folder is adopted; neither is touched
    assert manifest_files(old) == {"first-case.pdf", "second-case.pdf", "booklet-neurology.pdf"}
    assert (old / "second-case.pdf").read_bytes() == b"%PDF old"


# --------------------------------------------------------------------------- new and add


def test_new_refuses_home_a_file_and_a_folder_holding_records(site, capsys):
    home = Path(os.environ["HOME"])
    code, stdout, err = run_cli(capsys, "new", str(home))
    refused(code, stdout, err, "is your home folder")
    assert list(home.iterdir()) == []
    code, stdout, err = run_cli(capsys, "new", "mkdocs.yml", "--force")
    refused(code, stdout, err, "exists and is not a folder")
    before = snapshot(site)
    for target in (".", "cases"):
        code, stdout, err = run_cli(capsys, "new", target, "--force")
        refused(code, stdout, err, "holds case records")
    assert snapshot(site) == before


def test_new_force_replaces_only_its_own_files(tmp_path, capsys):
    root = tmp_path / "club"
    root.mkdir()
    (root / "mkdocs.yml").write_text("site_name: Old\n", encoding="utf-8")
    (root / "README.md").write_text("mine\n", encoding="utf-8")
    (root / ".pre-commit-config.yaml").write_text("repos: []\n", encoding="utf-8")
    assert run_cli(capsys, "new", str(root), "--force")[0] == 0
    assert (root / "README.md").read_text(encoding="utf-8") == "mine\n"
    assert (root / ".pre-commit-config.yaml").read_text(encoding="utf-8") == "repos: []\n"
    assert (root / "mkdocs.yml").read_text(encoding="utf-8") != "site_name: Old\n"
    assert run_cli(capsys, "new", str(root), "--force")[0] == 0  # its own example is not "records"


def test_new_makes_an_ordinary_folder(tmp_path, capsys):
    previous = os.umask(0o022)
    try:
        assert run_cli(capsys, "new", str(tmp_path / "site"))[0] == 0
    finally:
        os.umask(previous)
    for path in [tmp_path / "site", *(tmp_path / "site").rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644), path


@pytest.mark.parametrize("existing", ["Taken.yaml", "TAKEN.YML", "taken.yml", "taken.Yaml"])
def test_add_refuses_a_record_that_differs_only_in_case_or_suffix_even_with_force(site, capsys, existing):
    (site / "cases" / existing).write_text("title: Mine\nabstract: Keep.\n", encoding="utf-8")
    before = snapshot(site / "cases")
    for extra in ((), ("--force",)):
        code, stdout, err = run_cli(capsys, "add", "Taken", *extra)
        assert code == 1, err
        assert existing in err and "Traceback" not in err
    assert snapshot(site / "cases") == before


def test_write_new_record_is_the_one_rule_for_new_records(tmp_path):
    from grandrounds.scaffold import ScaffoldError, write_new_record

    cases = tmp_path / "cases"
    path = write_new_record(cases, "imported.yaml", "title: A\nabstract: B\n")
    assert path == cases / "imported.yaml"
    assert stat.S_IMODE(cases.stat().st_mode) == 0o777 & ~_umask()
    with pytest.raises(ScaffoldError, match="already exists"):
        write_new_record(cases, "imported.yaml", "other")
    write_new_record(cases, "imported.yaml", "title: C\nabstract: D\n", force=True)
    assert path.read_text(encoding="utf-8") == "title: C\nabstract: D\n"
    with pytest.raises(ScaffoldError, match="letter case"):
        write_new_record(cases, "Imported.yml", "x", force=True)
    for bad in ("../escape.yaml", "sub/x.yaml", "notes.txt", ""):
        with pytest.raises(ScaffoldError):
            write_new_record(cases, bad, "x", force=True)
    (cases / "dir.yaml").mkdir()
    with pytest.raises(ScaffoldError, match="not a plain file"):
        write_new_record(cases, "dir.yaml", "x", force=True)
    assert sorted(p.name for p in cases.iterdir()) == ["dir.yaml", "imported.yaml"]


def test_handout_refuses_one_folder_for_output_and_cache(site, capsys, fake_pdfs):
    code, stdout, err = run_cli(capsys, "handout", "--jobs", "1", "--out", "pdfs", "--cache-dir", "pdfs")
    refused(code, stdout, err, "pdfs: is also the cache folder")
    assert not (site / "pdfs").exists()


def test_new_and_add_messages_name_the_path_first(site, capsys, tmp_path):
    (site / "afile").write_text("x", encoding="utf-8")
    code, stdout, err = run_cli(capsys, "add", "Anything", "--cases", "afile")
    refused(code, stdout, err, "grandrounds: afile: is not a folder; pass --cases")
    crowded = tmp_path / "crowded"
    (crowded / "cases").mkdir(parents=True)
    for i in range(8):
        (crowded / "cases" / f"case-{i}.yaml").write_text("title: T\nabstract: A\n", encoding="utf-8")
    code, stdout, err = run_cli(capsys, "new", str(crowded), "--force")
    refused(code, stdout, err, "holds case records (cases/case-0.yaml", "and more")
    assert sorted(p.name for p in crowded.iterdir()) == ["cases"]


def test_keep_leaves_another_tools_folders_alone(tmp_path):
    """`render --engine` writes a project whose engine then writes site/ (and .cache/) in it."""
    out = tmp_path / "out"
    outdir.write_output(out, {"docs/a.md": "a"}, "render", keep=("site",))
    (out / "site").mkdir()
    (out / "site" / "index.html").write_text("x")
    report = outdir.write_output(out, {"docs/b.md": "b"}, "render", keep=("site",))
    assert (out / "site" / "index.html").read_text() == "x" and report.removed == 1
    with pytest.raises(outdir.OutputRefused):
        outdir.write_output(out, {"site/x.md": "x"}, "render", keep=("site",))


def test_a_hash_cache_still_sees_a_hand_edit(tmp_path):
    out, cache = tmp_path / "out", outdir.HashCache()
    outdir.write_output(out, {"a.md": "a"}, "render", cache=cache)
    outdir.write_output(out, {"a.md": "a"}, "render", cache=cache)
    (out / "a.md").write_text("mine")
    with pytest.raises(outdir.OutputRefused):
        outdir.write_output(out, {"a.md": "b"}, "render", cache=cache)
