"""PDF handouts (`grandrounds handout`, the `handouts: true` plugin option, print CSS).

The PDFs are read back the way a reader would: text with poppler's `pdftotext`, page 1
rendered with `pdftoppm`, fonts, metadata and structure with pypdf. Each PDF is built
once per module (the builds are the slow part); the tests then look at the files.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
from pypdf import PdfReader

from conftest import ROOT, build_project, copy_project, read_html, serve_directory, write_case

SEED = "dah-sle-msc"
SEED_DIAGNOSIS = "Diffuse alveolar hemorrhage associated with systemic lupus erythematosus"
HEADINGS = ("Summary", "Investigations", "Diagnosis", "Management", "Learning points", "References")

GREEK_CASE = """\
    schema_version: 1
    title: "Fever in a traveller with γδ T-cell expansion"
    date: "2024"
    authors:
      - name: "Crispín, J. C."
    specialties: [infectious diseases]
    patient: {age: 41, sex: male}
    abstract:
      background: A traveller returned with fever; flow cytometry showed γδ T cells at 30% of lymphocytes.
      diagnosis: Imported malaria (Plasmodium vivax).
    investigations:
      - name: Blood film
        result: Ring forms
        figure: film
    diagnosis:
      final: Plasmodium vivax malaria
    figures:
      - id: film
        label: Figure 1
        file: figures/film.png
        caption: A thin blood film (drawn for this test).
        alt: A red square standing in for a blood film
    consent: {obtained: true, by: patient}
"""


def pdf_text(path: Path, first: int | None = None, last: int | None = None) -> str:
    """`pdftotext` of the pages first..last (1-based), reading order kept."""
    args = ["pdftotext", "-enc", "UTF-8"]
    if first:
        args += ["-f", str(first)]
    if last:
        args += ["-l", str(last)]
    return subprocess.run([*args, str(path), "-"], check=True, capture_output=True, text=True).stdout


def loose(text: str) -> str:
    """Text without white space and hyphens: line breaks in a PDF move both."""
    return re.sub(r"[\s\-\u00ad]+", "", text).lower()


def cli(*argv: str) -> tuple[int, str]:
    """Run `grandrounds ARGV` in-process; (exit code, stderr)."""
    from grandrounds.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    return code, err.getvalue()


def write_png(path: Path, size: tuple[int, int] = (240, 120)) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (200, 30, 30)).save(path)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with one extra case (Greek letters, a PNG figure), and
    the handouts built by the CLI: default, --quiz, --paper letter and a booklet."""
    root = copy_project(tmp_path_factory.mktemp("handouts"))
    write_case(root, "greek-fever", textwrap.dedent(GREEK_CASE))
    write_png(root / "cases" / "figures" / "film.png")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        runs = {
            "a4": cli("handout", SEED, "greek-fever", "anti-nmda-encephalitis", "--out", "out/a4",
                      "--site-url", "https://example.org/library/"),
            "quiz": cli("handout", SEED, "--quiz", "--out", "out/quiz"),
            "letter": cli("handout", SEED, "--paper", "letter", "--out", "out/letter"),
            "booklet": cli("handout", "--booklet", "--out", "out/booklet"),
        }
    finally:
        os.chdir(cwd)
    (root / "runs.json").write_text(json.dumps(runs))
    return root


@pytest.fixture(scope="module")
def runs(project: Path) -> dict[str, list]:
    return json.loads((project / "runs.json").read_text())


def test_the_commands_succeed(runs: dict[str, list]) -> None:
    for name, (code, err) in runs.items():
        assert code == 0, f"{name}: {err}"
    assert "3 handouts in out/a4: 3 built" in runs["a4"][1]


def test_seed_handout_has_title_headings_references_on_two_pages(project: Path) -> None:
    from grandrounds.record.library import load_library

    pdf = project / "out" / "a4" / f"{SEED}.pdf"
    reader = PdfReader(pdf)
    assert len(reader.pages) == 2  # the issue: the seed case fits on at most two A4 pages
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)  # A4 in points
    text = pdf_text(pdf)
    case = next(c for c in load_library(project / "cases").cases if c.slug == SEED)
    assert loose(case.title) in loose(text)
    for heading in HEADINGS:
        assert re.search(rf"^{heading}$", text, re.M), f"no heading {heading!r}"
    assert "19-year-old woman" in text
    titles = [item["title"] for item in case.reference_items()]
    assert len(titles) == 24
    for title in titles:
        assert loose(title) in loose(text), f"reference missing: {title}"
    # running header and footer on every page
    for number in (1, 2):
        page = pdf_text(pdf, number, number)
        assert f"Page {number} of 2" in page
        assert "Case library" in page
        assert loose("https://example.org/library/dah-sle-msc/") in loose(page)


def test_pdf_is_tagged_with_title_author_and_language(project: Path) -> None:
    reader = PdfReader(project / "out" / "a4" / f"{SEED}.pdf")
    meta = reader.metadata
    assert meta.title.startswith("Mesenchymal stem cell transplantation")
    assert meta.author.startswith("Liang, J.")
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert "/StructTreeRoot" in root
    assert b"pdfuaid" in root["/Metadata"].get_object().get_data()  # PDF/UA-1 identification


def test_bundled_fonts_are_embedded_and_text_extracts(project: Path) -> None:
    pdf = project / "out" / "a4" / "greek-fever.pdf"
    fonts = set()
    for page in PdfReader(pdf).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]).split("+", 1)[-1])
    assert {"Noto-Serif", "Noto-Sans-Bold"} <= fonts, fonts
    text = pdf_text(pdf)
    assert "γδ T cells" in text
    assert "Crispín, J. C." in text
    assert "Crispín" in pdf_text(project / "out" / "a4" / f"{SEED}.pdf")  # a reference's author


def test_raster_figure_is_printed_with_its_caption(project: Path) -> None:
    pdf = project / "out" / "a4" / "greek-fever.pdf"
    images = [image for page in PdfReader(pdf).pages for image in page.images]
    assert len(images) == 1 and images[0].image.size == (240, 120)
    assert "Figure 1 A thin blood film" in pdf_text(pdf)


def test_page_one_is_not_blank(project: Path, tmp_path: Path) -> None:
    from PIL import Image

    subprocess.run(["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", "-singlefile",
                    str(project / "out" / "a4" / f"{SEED}.pdf"), str(tmp_path / "page")], check=True)
    image = Image.open(tmp_path / "page.png").convert("L")
    dark = sum(1 for value in image.tobytes() if value < 200)
    assert dark > 0.03 * image.width * image.height, f"only {dark} dark pixels"


def test_quiz_keeps_the_diagnosis_for_the_answer_page(project: Path) -> None:
    pdf = project / "out" / "quiz" / f"{SEED}.pdf"
    pages = len(PdfReader(pdf).pages)
    answer = next(n for n in range(1, pages + 1) if re.search(r"^Answers$", pdf_text(pdf, n, n), re.M))
    assert answer > 1
    before = pdf_text(pdf, 1, answer - 1)
    assert loose(SEED_DIAGNOSIS) not in loose(before)
    assert "Final diagnosis" not in before and "Learning points" not in before
    assert "Investigations" in before  # the vignette is there
    after = pdf_text(pdf, answer)
    assert loose(SEED_DIAGNOSIS) in loose(after)
    assert "Management" in after and "Learning points" in after


def test_teaching_hide_in_the_record_makes_an_answer_page(project: Path) -> None:
    pdf = project / "out" / "a4" / "anti-nmda-encephalitis.pdf"
    texts = [pdf_text(pdf, n, n) for n in range(1, len(PdfReader(pdf).pages) + 1)]
    answer = next(i for i, t in enumerate(texts) if re.search(r"^Answers$", t, re.M))
    assert answer > 0
    assert all("Final diagnosis" not in t for t in texts[:answer])
    assert "Final diagnosis" in texts[answer]


def test_letter_paper(project: Path) -> None:
    box = PdfReader(project / "out" / "letter" / f"{SEED}.pdf").pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (612, 792)


def test_booklet_has_a_contents_page_with_page_numbers(project: Path) -> None:
    from grandrounds.record.library import load_library
    from grandrounds.site.render import RenderOptions
    from grandrounds.site.view import public_view

    pdf = project / "out" / "booklet" / "booklet.pdf"
    # by the title a reader sees first: an unknown case's place does not follow its real title
    published = sorted((c for c in load_library(project / "cases").cases if c.status == "published"),
                       key=lambda c: public_view(c, RenderOptions()).title.lower())
    contents = pdf_text(pdf, 1, 1)
    assert "Contents" in contents
    entries = re.findall(r"(\d+)\. (.+?) \.{3,} ?(\d+)", re.sub(r"\s+", " ", contents))
    assert [int(n) for n, _, _ in entries] == list(range(1, len(published) + 1))
    numbers = [int(page) for _, _, page in entries]
    assert numbers[0] == 2 and numbers == sorted(numbers) and numbers[-1] < len(PdfReader(pdf).pages)
    for case, (_, title, number) in zip(published, entries):  # each entry's page starts that case
        shown = public_view(case, RenderOptions()).title  # an unknown case: its teaching title
        assert loose(title) == loose(shown)
        assert loose(shown) in loose(pdf_text(pdf, int(number), int(number)))
    assert "draft" not in loose(contents)  # drafts are not in the booklet


def test_a_booklet_orders_an_unknown_case_by_its_teaching_title(tmp_path: Path) -> None:
    """Its place in the contents must not hint at its real title."""
    from grandrounds.handout import booklet_cases
    from grandrounds.record.library import load_library
    from grandrounds.site.render import RenderOptions

    import shutil

    shutil.copytree(ROOT / "cases", tmp_path / "cases")  # the records with their figures
    record = tmp_path / "cases" / "palpitations-runner.yaml"  # teaching.title "Palpitations in a ..."
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("title: Wolff-Parkinson-White", "title: Aaa, Wolff-Parkinson-White", 1),
                      encoding="utf-8")
    chosen = ("palpitations-runner", "dah-sle-msc", "pediatric-kawasaki-incomplete")
    cases = [c for c in load_library(tmp_path / "cases").cases if c.slug in chosen]
    assert len(cases) == 3 and sorted(c.title for c in cases)[0].startswith("Aaa, ")
    order = [c.slug for c in booklet_cases(cases, RenderOptions())]
    assert order == ["pediatric-kawasaki-incomplete", "dah-sle-msc", "palpitations-runner"]  # I.., M.., P..


def test_second_run_writes_nothing_and_an_edit_rewrites_one_pdf(project: Path) -> None:
    out = project / "out" / "a4"
    cache = project / ".cache" / "grandrounds" / "handouts"

    def stamps() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for d in (out, cache) for p in d.iterdir()}

    before = stamps()
    cwd = os.getcwd()
    os.chdir(project)
    try:
        args = ("handout", SEED, "greek-fever", "anti-nmda-encephalitis", "--out", "out/a4",
                "--site-url", "https://example.org/library/")
        code, err = cli(*args)
        assert code == 0 and "0 built, 3 from the cache, 0 files written" in err, err
        assert stamps() == before
        record = project / "cases" / "greek-fever.yaml"
        record.write_text(record.read_text().replace("Fever in a traveller", "Fever after travel"))
        code, err = cli(*args)
        assert code == 0 and "1 built, 2 from the cache, 1 file written" in err, err
    finally:
        os.chdir(cwd)
    after = stamps()
    changed = {name for name in set(before) | set(after) if before.get(name) != after.get(name)}
    changed -= {".grandrounds-manifest.json"}  # the output folder's manifest records the new hash
    assert "greek-fever.pdf" in changed
    assert {name.split(".")[0] for name in changed} == {"greek-fever"}
    assert "Fever after travel" in pdf_text(out / "greek-fever.pdf")


# --------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """A folder with a corrupt figure, a missing figure and an overflowing case."""
    root = tmp_path_factory.mktemp("bad")
    figure = """\
        schema_version: 1
        title: A case with a {what} figure
        abstract: Short.
        figures:
          - id: f
            file: figures/{file}
            alt: a figure
        consent: {{obtained: true, by: patient}}
    """
    write_case(root, "corrupt-figure", figure.format(what="corrupt", file="broken.png"))
    (root / "cases" / "figures").mkdir(parents=True, exist_ok=True)
    (root / "cases" / "figures" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    write_case(root, "missing-figure", figure.format(what="missing", file="nowhere.svg"))
    rows = "\n".join(f"  - name: Test number {i} with a long name\n    result: {'a finding ' * 12}"
                     for i in range(90))
    write_case(root, "very-long", "schema_version: 1\ntitle: A very long case\nabstract: Short.\n"
                                  f"investigations:\n{rows}\nconsent: {{obtained: true, by: patient}}\n")
    cwd = os.getcwd()
    os.chdir(root)
    try:
        code, err = cli("handout", "--out", "out")
    finally:
        os.chdir(cwd)
    return root, code, err


def test_corrupt_figure_is_located_and_gets_no_pdf(bad: tuple[Path, int, str]) -> None:
    root, code, err = bad
    assert code == 1
    line = next(l for l in err.splitlines() if "broken.png" in l)
    assert re.match(r"cases/corrupt-figure\.yaml:6:11: figure file 'figures/broken.png' cannot be read as an "
                     r"image \(.+\); export it again as PNG, JPEG or SVG$", line), line
    assert "Traceback" not in err
    assert not (root / "out" / "corrupt-figure.pdf").exists()


def test_missing_figure_is_located_and_gets_no_pdf(bad: tuple[Path, int, str]) -> None:
    root, code, err = bad
    assert re.search(r"^cases/missing-figure\.yaml:6:11: figure file 'figures/nowhere.svg' not found; ", err, re.M), err
    assert not (root / "out" / "missing-figure.pdf").exists()


def test_overflow_is_a_warning_and_the_pdf_is_whole(bad: tuple[Path, int, str]) -> None:
    root, _, err = bad
    match = re.search(r"^cases/very-long\.yaml:1:1: warning: the handout of 'very-long' runs to (\d+) pages; "
                      r"it should fit on 2", err, re.M)
    assert match, err
    pdf = root / "out" / "very-long.pdf"
    assert len(PdfReader(pdf).pages) == int(match.group(1)) > 2


def test_no_partial_files_are_left(bad: tuple[Path, int, str]) -> None:
    root, _, _ = bad
    leftovers = [p for p in root.rglob("*") if p.name.startswith(".") and p.suffix == ".tmp"]
    assert leftovers == []
    assert sorted(p.name for p in (root / "out").iterdir()) == [".grandrounds-manifest.json", "very-long.pdf"]
    cached = sorted(p.name.split(".")[0] for p in (root / ".cache" / "grandrounds" / "handouts").glob("*.pdf"))
    assert cached == ["very-long"]


def test_fetcher_reads_nothing_outside_the_allowed_folders(tmp_path: Path) -> None:
    from grandrounds.handout import _fetcher_for

    inside = tmp_path / "cases" / "a.svg"
    inside.parent.mkdir()
    inside.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    fetch = _fetcher_for([str(tmp_path / "cases")])
    assert b"<svg" in fetch(inside.as_uri()).read()
    with pytest.raises(ValueError, match="outside"):
        fetch((tmp_path / "secret.txt").as_uri())
    with pytest.raises(ValueError):
        fetch("https://example.org/x.png")


def test_progress_bar_only_on_a_terminal() -> None:
    from grandrounds.handout import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, count, shown in ((Terminal(), 5, True), (io.StringIO(), 5, False), (Terminal(), 2, False)):
        bar = Progress(stream)
        bar.start(count)
        for _ in range(count):
            bar.advance()
        bar.finish()
        assert (f"] {count}/{count}" in stream.getvalue()) is shown


# --------------------------------------------------------------------------- site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example site built (`mkdocs build --strict`) with `handouts: true`."""
    def enable(root: Path) -> None:
        config = root / "mkdocs.yml"
        text = config.read_text()
        assert "  - grandrounds:\n" in text
        config.write_text(text.replace("  - grandrounds:\n", "  - grandrounds:\n      handouts: true\n", 1))

    return build_project(tmp_path_factory.mktemp("site"), enable)


def test_site_has_each_published_handout_and_the_links_resolve(site: Path) -> None:
    from grandrounds.record.library import load_library

    cases = load_library(ROOT / "cases").cases
    for case in cases:
        pdf = site / "handouts" / f"{case.slug}.pdf"
        if case.status != "published":
            assert not pdf.exists()
            continue
        assert pdf.read_bytes().startswith(b"%PDF-")
        page = read_html(site / case.slug / "index.html")
        links = [a for a in page.find_all("a") if a.squashed() == "Download PDF handout"]
        assert len(links) == 1
        target = (site / case.slug / links[0].get("href")).resolve()
        assert target == pdf.resolve()


def test_print_stylesheet_hides_chrome_and_opens_teaching_sections(site: Path, chromium) -> None:
    with serve_directory(site) as base:
        context = chromium.new_context()  # closed below: no keep-alive connection outlives the server
        page = context.new_page()
        try:
            page.goto(base + "anti-nmda-encephalitis/")
            assert page.locator("details.gr-reveal").count() >= 1
            page.emulate_media(media="print")  # no beforeprint: the CSS fallback must open them
            hidden = page.evaluate("""() => ['.md-header', '.md-sidebar--primary', '.md-footer', '.md-search']
                .map(s => document.querySelector(s)).filter(Boolean)
                .map(e => getComputedStyle(e).display)""")
            assert hidden and set(hidden) == {"none"}
            heights = page.evaluate("""() => [...document.querySelectorAll('details.gr-reveal')]
                .map(d => [...d.children].filter(c => c.tagName !== 'SUMMARY')
                .reduce((h, c) => h + c.getBoundingClientRect().height, 0))""")
            assert heights and all(h > 0 for h in heights), heights
            figure_rule = page.evaluate("""() => { const f = document.createElement('figure');
                document.querySelector('.md-typeset').appendChild(f);
                return getComputedStyle(f).breakInside; }""")
            assert figure_rule == "avoid"
        finally:
            context.close()


def test_serve_builds_no_handouts_and_shows_no_link(tmp_path: Path) -> None:
    from mkdocs.config import load_config

    from grandrounds.record.library import load_library

    root = copy_project(tmp_path / "project")
    config_file = root / "mkdocs.yml"
    config_file.write_text(config_file.read_text().replace("  - grandrounds:\n",
                                                           "  - grandrounds:\n      handouts: true\n", 1))
    case = next(c for c in load_library(root / "cases").cases if c.slug == SEED)
    pages = {}
    for command in ("build", "serve"):
        config = load_config(str(config_file))
        plugin = config.plugins["grandrounds"]
        plugin.on_startup(command=command, dirty=False)
        plugin.on_config(config)
        pages[command] = plugin.engine.renderer.case_page(case)
    assert f"[Download PDF handout](handouts/{SEED}.pdf)" in pages["build"]
    assert "Download PDF handout" not in pages["serve"]
    assert not (root / ".cache").exists()
