"""Stage 6, handout: a case record to a printable PDF (Jinja -> HTML -> WeasyPrint).

Owns everything about the PDF handouts and booklets:

- content: `handout.html.j2` (the document: metadata, running header and footer, the
  booklet's contents page) around `handout-case.html.j2` (one case), styled by
  `handout.css` and the bundled fonts of `assets/fonts.css` (the files the website uses);
  Markdown fields go through `markup` with the page's citation numbering
  (`render.case_references`);
- the teaching variant: the sections teaching mode hides (`render.hidden_sections`: the
  record's `teaching.hide`, else the site's default; with `quiz`, all of `QUIZ_HIDES` when
  nothing else is hidden), with the abstract's parts of their subjects
  (`render.hidden_abstract`), are left out of the first pages and printed on an answer page;
- questions: each after the printed section nearest before the one it follows on the page
  (`render.question_places`), its options lettered; its answer and explanations on the
  answer page in the teaching variant, else right after it;
- input checks: a missing or unreadable figure is a `file:line:col` problem of the record;
  a handout longer than `MAX_PAGES` (before its answer page) is a warning;
- output: tagged PDF/UA-1 with title, authors and language, A4 or US Letter, written to a
  temporary file and renamed, so no reader ever sees half a PDF;
- speed: a cache keyed by a hash of every input (record, reference file, figures,
  templates, fonts, options, code), so an unchanged case costs a hash; stale handouts are
  built in forked worker processes (WeasyPrint is CPU-bound), with a progress bar.

The MkDocs plugin calls `build_handouts` and adds the cached files to the site; the CLI
(`grandrounds handout`) calls `build_handouts` + `publish`, or `build_booklet`.
"""

from __future__ import annotations

import dataclasses

import hashlib
import json
import os
import re
import sys
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, TextIO
from urllib.parse import quote, unquote, urlsplit

import jinja2
from markupsafe import Markup

from . import __version__, cite
from .site import render
from .errors import CaseErrors, Problem, display_path
from .fsio import atomic_write
from .checks.images import figure_problem
from .record.library import confined_path
from .limits import MAX_HANDOUT_PAGES
from .record.load import load_record
from .site.markup import markdown_to_text
from .record.model import SECTIONS, Case
from .parallel import imap_forked, worker_count
from .site.view import public_view
from .site.render import (ABSTRACT_TITLES, INVESTIGATION_COLUMNS, LICENSES, MANAGEMENT_COLUMNS, TYPE_NAMES,
                     Renderer, RenderOptions, _filled_columns, case_references, cited_first, display_name,
                     patient_line, slugify)

PAPERS = {"a4": "A4", "letter": "letter"}
MAX_PAGES = 2
"""A handout (before its answer page) should fit on this many pages; more is a warning."""
QUIZ_HIDES = ("diagnosis", "management", "outcome")
"""What `--quiz` holds back for the answer page when the record's `teaching.hide` is empty."""
CACHE_DIR = Path(".cache") / "grandrounds" / "handouts"
"""Where built handouts are kept, relative to the project (beside mkdocs.yml)."""
HANDOUT_TEMPLATES = ("handout.html.j2", "handout-case.html.j2", "handout.css", "assets/fonts.css")
RASTER_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp", ".tif", ".tiff")
_CODE_FILES = ("handout.py",)
"""Source hashed into every cache key (besides the package version), so editing the
handout code during development never serves an old PDF. The other stages' code is left
out on purpose: it changes often while a release's version stays the same, and each edit
would throw the whole cache away; after changing them, delete .cache/grandrounds/."""


class SetupError(Exception):
    """The machine cannot make PDFs (WeasyPrint's system libraries are missing)."""


@dataclass(frozen=True)
class HandoutOptions:
    """Choices that change a handout (every field is part of the cache key)."""

    paper: str = "a4"
    quiz: bool = False
    style: str = "nature"
    library_name: str = "Case library"
    site_url: str | None = None
    directory_urls: bool = True
    templates: str | None = None  # the site's own templates folder (searched first)
    teaching_hide: tuple[str, ...] = ()  # the site's default for records without `teaching.hide`
    pubmed_ids: bool = False  # the site's default for records without `pubmed_ids:`


@dataclass
class HandoutResult:
    """One built (or cached) handout, or the problems that stopped it."""

    slug: str
    source: str
    path: Path | None = None  # the PDF in the cache
    pages: int = 0
    main_pages: int = 0  # pages before the answer page
    built: bool = False  # False when it came from the cache
    problems: list[Problem] = field(default_factory=list)

    @property
    def warning(self) -> str | None:
        if self.main_pages <= MAX_PAGES:
            return None
        return (f"{self.source}:1:1: warning: the handout of '{self.slug}' runs to {self.main_pages} "
                f"pages; it should fit on {MAX_PAGES}: shorten the abstract, tables or references")


# --------------------------------------------------------------------------- content


def hidden_sections(case: Case, options: HandoutOptions) -> tuple[str, ...]:
    """The sections held back for the answer page, in page order: the teaching rule of the
    site (`render.hidden_sections`: the record's `teaching.hide`, else the site's default);
    with `quiz` and nothing hidden by that rule, all of `QUIZ_HIDES`."""
    hidden = render.hidden_sections(case, options.teaching_hide)
    if not hidden and options.quiz:
        return QUIZ_HIDES
    return tuple(name for name in SECTIONS if name in hidden)


@lru_cache(maxsize=8)
def _renderer(options: HandoutOptions) -> Renderer:
    """The page renderer with the site's options: the handout's Jinja environment (the
    site's templates first, with the `md`/`mdi` filters) and the summary's citation."""
    return Renderer(Path(options.templates) if options.templates else None,
                    RenderOptions(style=options.style, site_title=options.library_name, site_url=options.site_url,
                                  directory_urls=options.directory_urls, teaching_hide=options.teaching_hide))


def summary_citation(case: Case, options: HandoutOptions, title: str | None = None) -> Any:
    """How to cite this summary (the case page's "Cite this summary"), formatted; for an
    unknown case under the title it is shown by (the footer is on every page), or `title`."""
    item = _renderer(options).summary_item(case)
    shown = title or public_view(case, options).title
    return cite.format_reference({**item, "title": shown}, cite.style_for(case, options))


def _sections(case: Case, hidden: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """(sections of the first pages, sections of the answer page), in print order."""
    if isinstance(case.abstract, str):
        # an unstructured abstract usually names the diagnosis: in the teaching variant it
        # moves to the answers, and the presentation (if any) opens the handout instead
        opening = ["presentation"] if hidden else ["abstract"]
        answers = ["abstract"] if hidden else []
    else:  # the teaching variant adds the presentation: the vignette the learner works from
        opening, answers = (["abstract", "presentation"], ["abstract-hidden"]) if hidden else (["abstract"], [])
    order = ["investigations", "figures", "diagnosis", "management", "outcome", "learning_points"]
    for name in order:
        # learning points usually name the diagnosis: they go with the answers
        held = name in hidden or (name == "learning_points" and bool(hidden))
        (answers if held else opening).append(name)
    return opening, answers


def _with_questions(case: Case, hidden: tuple[str, ...], opening: list[str],
                    answers: list[str]) -> tuple[list[str], list[str]]:
    """`opening` and `answers` with the questions ("question:N") and their answers
    ("answer:N") put in: each question after the printed section nearest before (or at)
    the one it follows on the page; its answer on the answer page when there is one,
    else right after it."""
    page = ["abstract", *render.section_order(case)]
    rank = {name: page.index(name) for name in page}
    rank["presentation"] = rank.get("presentation", 0)
    printed = [name for name in opening if name in rank]
    slots: dict[str, list[int]] = {}
    for after, numbered in render.question_places(case, hidden).items():
        before = [name for name in printed if rank[name] <= rank[after]]
        anchor = max(before, key=lambda name: rank[name]) if before else (printed or [""])[0]
        slots.setdefault(anchor, []).extend(number for number, _ in numbered)
    quiz = bool(answers)
    placed: list[str] = []
    for name in opening:
        placed.append(name)
        for number in slots.pop(name, []):
            placed += [f"question:{number}"] + ([] if quiz else [f"answer:{number}"])
    for number in sorted(n for numbers in slots.values() for n in numbers):  # nothing printed to follow
        placed += [f"question:{number}"] + ([] if quiz else [f"answer:{number}"])
    if quiz:
        answers = [f"answer:{n + 1}" for n in range(len(case.questions))] + answers
    return placed, answers


def _context(case: Case, options: HandoutOptions) -> dict[str, Any]:
    references, citations, source = case_references(case, options)
    hidden = hidden_sections(case, options)
    opening, answers = _with_questions(case, hidden, *_sections(case, hidden))
    abstract = {} if isinstance(case.abstract, str) else case.abstract
    held = render.hidden_abstract(case, hidden)
    numbered = {number: q for places in render.question_places(case, hidden).values() for number, q in places}
    license_name, license_url = LICENSES.get(case.license or "", (case.license, None))
    view = public_view(case, options)
    return dict(
        case=case,
        title=view.title,  # an unknown case's real title is printed with its answers
        real_title=view.real_title if view.unknown else None,
        byline=" · ".join(x for x in (patient_line(case), TYPE_NAMES[case.type],
                                      ", ".join(display_name(s) for s in case.specialties),
                                      case.year) if x),
        authors_text=", ".join(a.name for a in case.authors),
        abstract_shown={k: v for k, v in abstract.items() if k not in held},
        abstract_hidden={k: v for k, v in abstract.items() if k in held},
        questions=numbered, option_letter=render.option_letter,
        abstract_titles=ABSTRACT_TITLES,
        opening=opening, answers=answers,
        investigation_columns=_filled_columns(INVESTIGATION_COLUMNS, case.investigations),
        management_columns=_filled_columns(MANAGEMENT_COLUMNS, case.management),
        figure_labels={f.id: f.label or f.id for f in case.figures},
        references=references, citations=citations, cited_first=cited_first, source=source,
        license={"name": license_name, "url": license_url} if case.license else None,
        cite_as=summary_citation(case, options),
        library_name=options.library_name,
        figure_src=lambda f: quote(f.file),
    )


def _prefixed(html: str, prefix: str) -> str:
    """Make a case's ids unique inside a booklet: `id="x"` -> `id="<prefix>x"` and
    `href="#x"` -> `href="#<prefix>x"` (our own HTML: attribute quotes in text are escaped)."""
    return html.replace(' id="', f' id="{prefix}').replace(' href="#', f' href="#{prefix}')


def _environment(templates: str | None) -> jinja2.Environment:
    """The Jinja environment of the site's templates (then the packaged ones)."""
    return _renderer(HandoutOptions(templates=templates)).env


def case_article(case: Case, options: HandoutOptions, prefix: str = "", shown_title: str | None = None) -> str:
    """One case as an HTML <article> (the body of a handout, or one chapter of a booklet).
    `shown_title`: the title to show instead (an unknown session's "Case 2"); the real one
    is then printed with the answers."""
    env = _renderer(options).env
    context = _context(case, options)
    if shown_title is not None and shown_title != context["title"]:
        context.update(title=shown_title, real_title=case.title,
                       cite_as=summary_citation(case, options, title=shown_title))
    html = env.get_template("handout-case.html.j2").render(**context)
    return _prefixed(html, prefix) if prefix else html


def handout_html(cases: Sequence[Case], options: HandoutOptions, booklet_title: str | None = None,
                 titles: Mapping[str, str] | None = None) -> str:
    """The whole HTML document: one case, or with `booklet_title` a booklet with a contents
    page. `titles`: each case's title by id where it is not its public title (a session's)."""
    env = _renderer(options).env
    booklet = booklet_title is not None
    titles = {c.slug: (titles or {}).get(c.slug) or public_view(c, options).title for c in cases}
    articles = [(c, Markup(case_article(c, options, prefix=f"{c.slug}--" if booklet else "",
                                        shown_title=titles[c.slug]))) for c in cases]
    authors = [] if booklet else [a.name for a in cases[0].authors]
    title = booklet_title if booklet else public_view(cases[0], options).title
    return env.get_template("handout.html.j2").render(
        title=title, authors=authors, booklet=booklet, articles=articles,
        titles=titles,
        library_name=options.library_name, paper=PAPERS[options.paper],
        description="" if booklet else _plain_abstract(cases[0], options),
        keywords=[] if booklet or hidden_sections(cases[0], options) else cases[0].keywords,
        generator=f"grandrounds {__version__}")


def _plain_abstract(case: Case, options: HandoutOptions) -> str:
    """The PDF's subject: the abstract as text, without the sections held back."""
    hidden = hidden_sections(case, options)
    if isinstance(case.abstract, str):
        return "" if hidden else markdown_to_text(case.abstract)[:500]
    held = render.hidden_abstract(case, hidden)
    return markdown_to_text(" ".join(v for k, v in case.abstract.items() if k not in held))[:500]


# --------------------------------------------------------------------------- figures


def figure_problems(case: Case, cases_dir: Path) -> list[Problem]:
    """Missing or unreadable figure files, located at the record's `file:` value."""
    problems: list[Problem] = []
    raw = None
    for i, figure in enumerate(case.figures):
        target = confined_path(cases_dir, figure.file)
        what = None
        if target is None:
            what = (f"figure path '{figure.file}' leaves the cases folder",
                    "put the image under cases/ and give its path relative to cases/")
        elif not target.is_file():
            what = (f"figure file '{figure.file}' not found",
                    f"add it at {display_path(target)} or correct the path (relative to cases/)")
        else:
            what = figure_problem(target, figure.file)  # the same check as check and build
        if what:
            if raw is None and case.source_path:
                raw = load_record(Path(case.source_path))
            where = raw.where(("figures", i, "file")) if raw else None
            problems.append(Problem(display_path(case.source_path or case.slug), where.line if where else 1,
                                    where.col if where else 1, *what))
    return problems


# --------------------------------------------------------------------------- PDF


@lru_cache(maxsize=8)
def _stylesheets(templates: str | None) -> tuple[Any, list[Any]]:
    """(FontConfiguration, [fonts.css, handout.css]) parsed once per process: the fonts are
    loaded once and shared by every handout this process lays out."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    env = _environment(templates)
    fonts = FontConfiguration()
    sheets = []
    for name in ("assets/fonts.css", "handout.css"):
        source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        if name == "assets/fonts.css":
            source = subset_families(source)
        sheets.append(CSS(string=source, base_url=filename, font_config=fonts,
                          url_fetcher=_fetcher_for([str(Path(filename).parent)])))
    return fonts, sheets


_FONT_FACE = re.compile(r"@font-face\s*\{[^}]*\}")
_SUBSET_FILE = re.compile(r"url\([\"']?[^)\"']*?-([a-z]+(?:-ext)?)-\d{3}-(?:normal|italic)\.woff2?[\"']?\)")
_FAMILY = re.compile(r"(font-family:\s*)([\"'])([^\"']+)\2")


def subset_families(css: str) -> str:
    """fonts.css for WeasyPrint: each non-latin subset file (`...-greek-400-normal.woff`)
    becomes a family of its own ('Noto Serif greek'); handout.css lists them after the main
    family, so Pango falls back to them per character. WeasyPrint 70 names an embedded
    font by its Pango description (family, style, weight), so the latin and greek files
    of one family would share one PDF font and Greek would extract as wrong letters."""
    def rename(match: re.Match[str]) -> str:
        rule = match.group(0)
        subset = _SUBSET_FILE.search(rule)
        if not subset or subset.group(1) == "latin" or "unicode-range" not in rule:
            return rule
        return _FAMILY.sub(lambda f: f"{f.group(1)}{f.group(2)}{f.group(3)} {subset.group(1)}{f.group(2)}", rule, 1)

    return _FONT_FACE.sub(rename, css)


def _fetcher_for(roots: Iterable[str]) -> Any:
    """A WeasyPrint URL fetcher that reads local files under `roots` (and `data:` URLs)
    only: a record's figure, or an SVG inside it, can never make the build read other
    files or the network."""
    from weasyprint.urls import URLFetcher

    allowed = [Path(r).resolve() for r in roots]

    class ConfinedFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "file":
                target = Path(unquote(parts.path)).resolve()
                if not any(target == r or r in target.parents for r in allowed):
                    raise ValueError(f"{target} is outside the cases and templates folders")
            return super().fetch(url, headers)

    return ConfinedFetcher(allowed_protocols=("file", "data"))


_HTML_PIECES = re.compile(r"(<[^>]*>|&#?\w+;|\s+)|([^<&\s]+|[<&])")
LONGEST_UNBROKEN = 200
"""Characters of text without a break opportunity before `_breakable` adds one (U+200B)."""


def _breakable(html: str) -> str:
    """`html` with a zero-width space after every `LONGEST_UNBROKEN` characters of text that
    has no space, across tags.

    WeasyPrint's line breaking is quadratic in the inline boxes of a run it cannot break:
    8,000 characters of `*_` (a few hundred `<em>`s in one "word") took 20 s, 80,000 took
    150 s. No real word or URL is this long, so real text is unchanged."""
    out: list[str] = []
    run = 0
    body = html.find("<body")
    for markup, text in _HTML_PIECES.findall(html, max(body, 0)):
        if markup:
            if markup[0] != "<" or markup[:3] in ("<br", "<p>", "<p ", "<li", "<td", "<th", "<tr", "<di"):
                run = 0 if markup[0] != "&" else run + 1
            out.append(markup)
            continue
        while run + len(text) > LONGEST_UNBROKEN:
            cut = max(LONGEST_UNBROKEN - run, 0)
            out += [text[:cut], "\u200b"]
            text, run = text[cut:], 0
        run += len(text)
        out.append(text)
    return html[:max(body, 0)] + "".join(out)


def render_pdf(html: str, cases_dir: Path, options: HandoutOptions) -> tuple[bytes, int, int]:
    """(PDF bytes, page count, pages before the answer page)."""
    from weasyprint import HTML

    html = _breakable(html)

    fonts, sheets = _stylesheets(options.templates)
    template_dirs = [str(Path(p)) for p in _environment(options.templates).loader.searchpath]  # type: ignore[union-attr]
    document = HTML(string=html, base_url=str(cases_dir.resolve()) + os.sep,
                    url_fetcher=_fetcher_for([str(cases_dir), *template_dirs])).render(
        stylesheets=sheets, font_config=fonts, pdf_variant="pdf/ua-1")
    main = next((i for i, page in enumerate(document.pages)
                 if any(a == "answers" or a.endswith("--answers") for a in page.anchors)),
                len(document.pages))
    pdf = document.write_pdf(pdf_variant="pdf/ua-1")
    return pdf, len(document.pages), main


_BLOCK = re.compile(r"<(?:p|li|tr|h[1-6]|figure|figcaption|dt|dd|blockquote|pre|div)\b")
_ELEMENT = re.compile(r"<[a-zA-Z]")
_TAG = re.compile(r"<[^>]*>")
CHARS_PER_PAGE = 9_000
BLOCKS_PER_PAGE = 55
ELEMENTS_PER_PAGE = 250
"""The most text, blocks (paragraphs, list items, table rows ...) and elements a handout page
held when measured: a page of references held ~9,100 characters, a page of one-line list items
~54 items, the example cases ~4,100 characters, ~40 blocks and ~110 elements a page. Elements
cost layout time whatever the pages: WeasyPrint spends ~0.7 ms on each inline element (8,000
`<em>`/`<code>` on 4 pages took 7 s), so 250 of them count as a page."""


def estimated_pages(html: str) -> float:
    """How many pages' worth of layout WeasyPrint will do for `html`, from its text, block
    and element counts (a linear scan, no layout). It errs low on pages: measured 12.2 for 12
    pages of references, 19.5 for 20 of list items, 8.5 for 10 of table rows."""
    body = html[html.find("<body"):]
    chars = len(" ".join(_TAG.sub("", body).split()))
    return max(chars / CHARS_PER_PAGE, len(_BLOCK.findall(body)) / BLOCKS_PER_PAGE,
               len(_ELEMENT.findall(body)) / ELEMENTS_PER_PAGE)


def page_budget_problem(html: str, source: str) -> Problem | None:
    """A handout estimated past `limits.MAX_HANDOUT_PAGES` is refused before WeasyPrint
    spends ~0.4 s a page on it (50,000 references took 160 s and 2.8 GB)."""
    pages = estimated_pages(html)
    if pages <= MAX_HANDOUT_PAGES:
        return None
    return Problem(source, 1, 1, f"the handout would run to about {pages:.0f} pages (or as much layout "
                   f"work), over the {MAX_HANDOUT_PAGES}-page limit for one case",
                   "shorten the references, tables, lists or abstract (a handout should fit on "
                   f"{MAX_PAGES} pages), or leave this case out of the handouts")


# --------------------------------------------------------------------------- cache


@lru_cache(maxsize=8)
def _static_digest(templates: str | None) -> str:
    """Hash of what every handout shares: templates, stylesheets, font files, code."""
    from importlib.metadata import version  # not `import weasyprint`: a warm build never lays out

    env = _environment(templates)
    digest = hashlib.sha256(f"grandrounds {__version__} weasyprint {version('weasyprint')}".encode())
    for name in HANDOUT_TEMPLATES:
        source, filename, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
        if name == "assets/fonts.css":
            for font in sorted((Path(filename).parent / "fonts").glob("*")):
                digest.update(font.name.encode() + font.read_bytes())
    here = Path(__file__).parent
    for name in _CODE_FILES:
        digest.update((here / name).read_bytes())
    return digest.hexdigest()


def input_key(case: Case, cases_dir: Path, options: HandoutOptions) -> str:
    """A hash of everything that goes into the case's handout."""
    digest = hashlib.sha256(_static_digest(options.templates).encode())
    digest.update(json.dumps([options.paper, options.quiz, cite.style_for(case, options), options.library_name,
                              options.site_url, options.directory_urls, options.teaching_hide,
                              cite.options_for(case, options).pubmed_ids]).encode())
    files = [case.source_path, case.references_file]
    files += [str(p) for f in case.figures if (p := confined_path(cases_dir, f.file)) is not None]
    for name in files:
        if name:
            try:
                digest.update(Path(name).read_bytes())
            except OSError:
                digest.update(b"missing:" + name.encode())
    return digest.hexdigest()[:24]


def _cache_paths(cache_dir: Path, stem: str, key: str) -> tuple[Path, Path]:
    return cache_dir / f"{stem}.{key}.pdf", cache_dir / f"{stem}.{key}.json"


def _variant(options: HandoutOptions) -> str:
    return options.paper + ("-quiz" if options.quiz else "")


def _from_cache(pdf: Path, meta: Path, result: HandoutResult) -> bool:
    if not pdf.is_file():
        return False
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
        result.pages, result.main_pages = int(info["pages"]), int(info["main_pages"])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    result.path = pdf
    return True


def _store(cache_dir: Path, stem: str, key: str, data: bytes, pages: int, main: int) -> Path:
    """Put a built PDF in the cache (metadata first: a PDF present means complete) and drop
    older versions of the same handout."""
    pdf, meta = _cache_paths(cache_dir, stem, key)
    atomic_write(meta, json.dumps({"pages": pages, "main_pages": main}).encode())
    atomic_write(pdf, data)
    for old in cache_dir.glob(f"{stem}.*"):
        old_stem, _, old_key = old.stem.rpartition(".")
        if old.suffix in (".pdf", ".json") and old_stem == stem and old_key != key:
            old.unlink(missing_ok=True)
    return pdf


def build_handout(case: Case, cases_dir: Path, options: HandoutOptions, cache_dir: Path,
                  key: str | None = None) -> HandoutResult:
    """The case's handout in the cache (built unless it is there). Never raises for bad
    input: problems come back in the result."""
    source = display_path(case.source_path or case.slug)
    result = HandoutResult(case.slug, source)
    key = key or input_key(case, cases_dir, options)
    stem = f"{case.slug}.{_variant(options)}"
    pdf, meta = _cache_paths(cache_dir, stem, key)
    if _from_cache(pdf, meta, result):
        return result
    try:
        result.problems = figure_problems(case, cases_dir)
        if result.problems:
            return result
        html = handout_html([case], options)
        too_long = page_budget_problem(html, source)
        if too_long:
            result.problems = [too_long]
            return result
        data, pages, main = render_pdf(html, cases_dir, options)
    except CaseErrors as exc:  # the record changed under us and no longer reads
        result.problems = exc.problems
        return result
    except Exception as exc:  # a broken site template or an unprintable input: not a traceback
        result.problems = [Problem(source, 1, 1, f"the handout could not be made ({type(exc).__name__}: {exc})",
                                   "check the handout templates in templates/ and the record's figures")]
        return result
    result.path = _store(cache_dir, stem, key, data, pages, main)
    result.pages, result.main_pages, result.built = pages, main, True
    return result


def build_handouts(cases: Sequence[Case], cases_dir: Path, options: HandoutOptions, cache_dir: Path,
                   jobs: int | None = None, progress: "Progress | None" = None) -> list[HandoutResult]:
    """Every case's handout, from the cache where its inputs are unchanged; the stale ones
    in parallel. Results in the order of `cases`."""
    results: list[HandoutResult | None] = [None] * len(cases)
    stale = []
    for i, case in enumerate(cases):
        key = input_key(case, cases_dir, options)
        result = HandoutResult(case.slug, display_path(case.source_path or case.slug))
        pdf, meta = _cache_paths(cache_dir, f"{case.slug}.{_variant(options)}", key)
        if _from_cache(pdf, meta, result):
            results[i] = result
        else:
            stale.append((i, case, key))
    if progress:
        progress.start(len(stale))
    if stale:
        try:
            _stylesheets(options.templates)  # fonts loaded once, before forking: workers inherit them
        except OSError as exc:  # WeasyPrint's system libraries (Pango, HarfBuzz) are missing
            raise SetupError(f"WeasyPrint cannot start ({exc}); install Pango: Debian/Ubuntu `apt install "
                             "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0`, macOS `brew install pango` "
                             "(see README, Handouts)") from None

    def work(job: tuple[int, Case, str]) -> HandoutResult:
        return build_handout(job[1], cases_dir, options, cache_dir, key=job[2])

    for index, result in imap_forked(work, stale, jobs or worker_count()):
        results[stale[index][0]] = result
        if progress:
            progress.advance()
    if progress:
        progress.finish()
    return [r for r in results if r is not None]


# --------------------------------------------------------------------------- booklet


def booklet_cases(cases: Iterable[Case], options: Any, specialty: str | None = None) -> list[Case]:
    """Published cases (of one specialty, matched by name or slug), by the title a reader
    sees first (`public_view`): an unknown case's place in the contents follows its
    teaching title, so the order does not hint at the real one."""
    chosen = [c for c in cases if c.status == "published"]
    if specialty:
        wanted = slugify(specialty)
        chosen = [c for c in chosen if any(slugify(s) == wanted for s in c.specialties)]
    return sorted(chosen, key=lambda c: (public_view(c, options).title.lower(), c.slug))


def build_booklet(cases: Sequence[Case], cases_dir: Path, options: HandoutOptions, target: Path,
                  title: str | None = None,
                  write: Any = atomic_write, titles: Mapping[str, str] | None = None) -> HandoutResult:
    """One PDF of `cases` with a contents page, written to `target` by `write` (default: a
    plain atomic write; the CLI passes one that keeps its output folder's rules)."""
    title = title or options.library_name
    result = HandoutResult("booklet", display_path(target))
    result.problems = [p for c in cases for p in figure_problems(c, cases_dir)]
    if result.problems:
        return result
    try:
        data, pages, _ = render_pdf(handout_html(list(cases), options, booklet_title=title, titles=titles),
                                    cases_dir, options)
    except Exception as exc:
        result.problems = [Problem(display_path(target), 1, 1, f"the booklet could not be made ({type(exc).__name__}: {exc})",
                                   "check the handout templates in templates/ and the records' figures")]
        return result
    write(target, data)
    result.path, result.pages, result.main_pages, result.built = target, pages, pages, True
    return result


def session_booklet(session: Any, cases: Mapping[str, Case], cases_dir: Path, options: HandoutOptions,
                    cache_dir: Path) -> HandoutResult:
    """A teaching session's booklet: its cases in the session's order; an `unknown` session's
    in the quiz variant (answers at the back of each case) under "Case 1", "Case 2" ... (or
    a case's teaching title), as the session's page shows them."""
    chosen = [cases[i] for i in session.cases if i in cases]
    titles = ({c.slug: c.teaching.title or f"Case {n}" for n, c in enumerate(chosen, 1)}
              if session.unknown else None)
    variant = dataclasses.replace(options, quiz=options.quiz or session.unknown)
    target = cache_dir / render.SESSIONS_DIR / f"{session.id}.pdf"
    target.parent.mkdir(parents=True, exist_ok=True)
    result = build_booklet(chosen, cases_dir, variant, target, title=session.title, titles=titles)
    result.slug = f"{render.SESSIONS_DIR}/{session.id}"
    return result


# --------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress bar on stderr, drawn only on a terminal and for more than
    `min_items` handouts (a log file gets the summary line only)."""

    def __init__(self, stream: TextIO | None = None, min_items: int = 3, width: int = 30):
        self.stream, self.min_items, self.width = stream or sys.stderr, min_items, width
        self.total = self.done = 0
        self.started = 0.0
        self.shown = False

    def start(self, total: int) -> None:
        self.total, self.done, self.started = total, 0, time.monotonic()
        self.shown = total > self.min_items and getattr(self.stream, "isatty", lambda: False)()
        self._draw()

    def advance(self) -> None:
        self.done += 1
        self._draw()

    def finish(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        filled = self.width * self.done // max(self.total, 1)
        elapsed = time.monotonic() - self.started
        return (f"handouts [{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total}"
                f" {elapsed:.0f}s")

    def _draw(self) -> None:
        if self.shown:
            self.stream.write("\r" + self.line())
            self.stream.flush()


# --------------------------------------------------------------------------- site


def site_options(render_options: RenderOptions, paper: str, templates: Path) -> HandoutOptions:
    """The handout options of a site, from its page options (the same style, name, URL and
    teaching default, so the handout cites the page it belongs to)."""
    return HandoutOptions(paper=paper, style=render_options.style, library_name=render_options.site_title,
                          site_url=render_options.site_url, directory_urls=render_options.directory_urls,
                          templates=str(templates) if templates.is_dir() else None,
                          teaching_hide=tuple(render_options.teaching_hide), pubmed_ids=render_options.pubmed_ids)


def site_handouts(cases: Sequence[Case], cases_dir: Path, options: HandoutOptions,
                  cache_dir: Path, sessions: Sequence[Any] = ()) -> tuple[dict[str, Path], list[str], list[str]]:
    """For the MkDocs plugin: ({site path `handouts/<id>.pdf`: cached PDF}, problems,
    notes on handouts longer than `MAX_PAGES`). Published cases only; and a booklet per
    teaching session, `handouts/sessions/<id>.pdf` (`session_booklet`)."""
    published = [c for c in cases if c.status == "published"]
    results = build_handouts(published, cases_dir, options, cache_dir, progress=Progress())
    by_id = {c.slug: c for c in published}
    results += [session_booklet(s, by_id, cases_dir, options, cache_dir) for s in sessions]
    pdfs = {f"{render.HANDOUTS_DIR}/{r.slug}.pdf": r.path for r in results if r.path is not None}
    problems = [str(p) for r in results for p in r.problems]
    notes = [r.warning for r in results if r.warning]
    return pdfs, problems, notes
