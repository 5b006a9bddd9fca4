"""Stage 4, render: `Case` objects to Markdown pages through the Jinja templates.

Owns presentation decisions that are data, not layout: the patient line, the listing rows
of the home, specialty and tags pages, slugs and licence links. Layout lives in the
templates (`templates/*.md.j2`); a site's own `templates/` folder overrides the packaged
defaults file by file. Pages are Markdown whose prose parts are HTML rendered by
`markup` (CommonMark), so any Markdown site generator can build them
(`grandrounds render --out DIR`); headings stay Markdown so MkDocs builds the TOC.
"""

from __future__ import annotations

import json
import posixpath
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path
from typing import Any, Callable, Hashable, Iterable, Mapping

import jinja2
from markupsafe import Markup, escape

from . import bibliography, listing_data, related
from .. import cite
from ..record import refio
from .search import search_exclude
from .markup import (Citations, anchor, escape_markdown, markdown_to_html, markdown_to_inline_html,
                     markdown_to_text)
from ..record.model import ABSTRACT_SECTION, SECTIONS, Case, Patient, Question

PACKAGE_TEMPLATES = Path(__file__).parent.parent / "templates"

ABSTRACT_TITLES = {
    "background": "Background", "introduction": "Introduction",
    "case_presentation": "Case presentation", "investigations": "Investigations",
    "diagnosis": "Diagnosis", "differential_diagnosis": "Differential diagnosis",
    "treatment": "Treatment", "management": "Management", "outcome": "Outcome",
    "conclusions": "Conclusions",
}
MANAGEMENT_COLUMNS = (("intervention", "Intervention"), ("route", "Route"), ("dose", "Dose"),
                      ("frequency", "Frequency"), ("duration", "Duration"),
                      ("courses", "Courses"), ("response", "Response"))
INVESTIGATION_COLUMNS = (("name", "Investigation"), ("when", "When"), ("result", "Result"),
                         ("unit", "Unit"), ("reference_range", "Reference range"))
TYPE_NAMES = {"case-report": "Case report", "case-study": "Case study",
              "case-series": "Case series", "image-challenge": "Image challenge"}
CONSENT_TEXT = {
    "patient": "Consent for publication was obtained from the patient.",
    "family": "Consent for publication was obtained from the patient's family.",
    "guardian": "Consent for publication was obtained from the patient's legal guardian.",
    "owner": "Consent for publication was obtained from the animal's owner.",
    "waived": "The requirement for consent was waived.",
    "not-stated": "Consent was not stated.",
}
LICENSES = {
    "CC-BY-4.0": ("CC BY 4.0", "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": ("CC BY-SA 4.0", "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC-BY-NC-4.0": ("CC BY-NC 4.0", "https://creativecommons.org/licenses/by-nc/4.0/"),
    "CC-BY-NC-SA-4.0": ("CC BY-NC-SA 4.0", "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    "CC-BY-NC-ND-4.0": ("CC BY-NC-ND 4.0", "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    "CC-BY-ND-4.0": ("CC BY-ND 4.0", "https://creativecommons.org/licenses/by-nd/4.0/"),
    "CC0-1.0": ("CC0 1.0", "https://creativecommons.org/publicdomain/zero/1.0/"),
}
LISTING_SLOT = "<!-- grandrounds:listing -->"
RELATED_SLOT = "<!-- grandrounds:related -->"
REVEAL_PROMPTS = {
    "introduction": "Show the introduction", "presentation": "How did the patient present?",
    "patients": "Who were the patients?", "timeline": "How did the illness unfold?",
    "investigations": "Which tests would you order?", "diagnosis": "What is the diagnosis?",
    "management": "How would you manage this?", "outcome": "What happened next?",
    "discussion": "Show the discussion", "learning_points": "What are the learning points?",
    "patient_perspective": "How did the patient see it?", "figures": "Show the figures",
    "tables": "Show the tables",
}
"""The default prompt of each section's reveal; a record's `teaching.prompts` wins."""
HOME_PAGE = "index.md"
TAGS_PAGE = "tags.md"
TAGS_DIR = "tags"
LISTING_PAGE_ROWS = 200  # rows a specialty or tag page shows (the next ones on its page 2, 3 ...)
BIBLIOGRAPHY_PAGE_ENTRIES = 500  # references a bibliography page shows
BIBLIOGRAPHY_PAGE = "bibliography.md"
SESSIONS_PAGE = "sessions.md"
SESSIONS_DIR = "sessions"
CITE_DIR = "cite"
EXPORT_FORMATS = (("ris", "RIS"), ("bibtex", "BibTeX"), ("csl-json", "CSL-JSON"))
"""Download formats of "Cite this summary" / "Cite the original": (refio name, label)."""
SPECIALTY_DIR = "specialties"
HANDOUTS_DIR = "handouts"  # <id>.pdf in the site (plugin option `handouts`)


@dataclass(frozen=True)
class RenderOptions:
    """Site-wide choices that change the rendered pages."""

    style: str = "nature"
    site_title: str = "Case library"
    intro: str = "Structured summaries of clinical cases for teaching."
    disclaimer: str | None = None
    include_drafts: bool = False
    directory_urls: bool = True
    site_url: str | None = None  # the published address, for the summary's citation URL
    teaching_hide: tuple[str, ...] = ()  # hidden sections of records without `teaching.hide`
    care_table: bool = False  # show the CARE checklist table on case-report pages (check.care_table)
    handouts: bool = False  # link each case page to its PDF handout (HANDOUTS_DIR/<id>.pdf)
    pubmed_ids: bool = False  # vancouver: PMID and PMCID after each reference (records may override)
    preview: bool = False  # a live preview: a broken record keeps its last good page, with its errors
    language: str = "en"  # the site's language (head metadata)


def page_url(uri: str, directory_urls: bool = True) -> str:
    """The URL (relative to the site root) of the page built from `uri`, as MkDocs makes it:
    'x.md' -> 'x/' (or 'x.html'), 'index.md' -> './' (or 'index.html'); any other file is
    its own path."""
    if not uri.endswith(".md"):
        return uri  # a file (a PDF, a download): its path is its URL
    stem = uri[:-3]
    if not directory_urls:
        return stem + ".html"
    if stem == "index" or stem.endswith("/index"):
        return stem[:-5] or "./"
    return stem + "/"


def relative_url(target: str, start: str) -> str:
    """`target` (a site-root-relative URL, as `page_url` gives) as seen from the page at URL
    `start`: 'x/' from 'specialties/a/' is '../../x/'."""
    folder = start if start.endswith("/") else posixpath.dirname(start)
    depth = len([part for part in folder.split("/") if part not in ("", ".")])
    return "../" * depth + ("" if target == "./" else target) or "./"


def in_navigation(uri: str) -> bool:
    """Whether a listing page belongs in the site's navigation: the home, tags, bibliography
    and sessions pages and each specialty's first page; not a tag's page, a session's page
    or the later pages of a long list (hundreds of them would weigh down every page)."""
    if uri in (HOME_PAGE, TAGS_PAGE, BIBLIOGRAPHY_PAGE, SESSIONS_PAGE):
        return True
    folder, _, name = uri.rpartition("/")
    return folder == SPECIALTY_DIR and name.endswith(".md")


def session_page_uri(session_id: str) -> str:
    return f"{SESSIONS_DIR}/{session_id}.md"


@dataclass(frozen=True)
class ListingPage:
    """A listing page to render: its source path, what it shows (rows, names, counts: the
    site engine renders it again only when that differs) and how (`make(slots)`, see
    `Renderer._listing_page`)."""

    uri: str
    shows: Hashable
    make: Callable[[dict[str, str] | None], str] = field(compare=False, repr=False)


@dataclass(frozen=True)
class SessionStep:
    """One case's place in a teaching session, as present mode follows it: the session, the
    case's number in it and the title it is presented under (neutral in an unknown session),
    and the cases before and after it (source paths, None at either end)."""

    session: str  # the session's id
    session_title: str
    number: int  # from 1
    count: int
    title: str
    unknown: bool
    previous: str | None
    next: str | None


def slugify(text: str) -> str:
    """A URL-safe slug: 'Respiratory medicine' -> 'respiratory-medicine'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def display_name(name: str) -> str:
    """Specialty and tag names as shown: first letter capitalised, the rest as written."""
    return name[:1].upper() + name[1:]


def age_text(p: Patient) -> str:
    """'19 years', '14 months', '90+ years'."""
    if p.age is None:
        return ""
    unit = p.age_unit if p.age != 1 else p.age_unit.rstrip("s")
    return f"{p.age} {unit}"


def _person(p: Patient) -> str:
    years = p.age if isinstance(p.age, int) and p.age_unit == "years" else None
    child = (years is not None and years < 18) or (p.age is not None and p.age_unit != "years")
    if p.species.lower() != "human":
        noun = " ".join(x for x in (p.sex if p.sex in ("female", "male") else "", p.species) if x)
    else:
        noun = {"female": "girl" if child else "woman", "male": "boy" if child else "man"}.get(
            p.sex or "", "child" if child else "patient")
    if p.age is None:
        return noun[:1].upper() + noun[1:]
    if p.age == "90+":
        return f"{noun[:1].upper() + noun[1:]} aged 90 or over"
    return f"{p.age}-{p.age_unit.rstrip('s')}-old {noun}"


def patient_line(case: Case) -> str:
    """'19-year-old woman', or '3 patients' for a series."""
    people = case.everyone
    if len(people) == 1:
        return _person(people[0])
    if people:
        return f"{len(people)} patients"
    return ""


def hidden_sections(case: Case, site_default: Iterable[str] = ()) -> frozenset[str]:
    """The sections teaching mode holds back (DESIGN.md's teaching rule): the record's
    `teaching.hide` when the record sets it (an empty list shows everything), else the
    site-wide default (`teaching_hide` plugin option)."""
    if "hide" in case.teaching.model_fields_set:
        return frozenset(case.teaching.hide)
    return frozenset(site_default)


def hidden_abstract(case: Case, hidden: Iterable[str]) -> frozenset[str]:
    """The parts of a structured abstract held back with the hidden sections: each part
    goes with the section of its subject (`model.ABSTRACT_SECTION`: investigations with
    investigations, case_presentation with presentation, treatment with management ...).
    An unstructured abstract has no parts (empty)."""
    if isinstance(case.abstract, str):
        return frozenset()
    hidden = set(hidden)
    return frozenset(key for key in case.abstract if ABSTRACT_SECTION.get(key) in hidden)


def reveal_prompt(case: Case, section: str) -> str:
    """The prompt of a hidden section's reveal: the record's `teaching.prompts`, else
    `REVEAL_PROMPTS`."""
    return case.teaching.prompts.get(section) or REVEAL_PROMPTS[section]  # type: ignore[call-overload]


def section_order(case: Case) -> list[str]:
    """The case page's sections that the record has, in page order (`model.SECTIONS`; an
    image challenge shows its figures right after the presentation: the image is the
    challenge)."""
    order = [name for name in SECTIONS if case.has_section(name)]
    if case.type == "image-challenge" and "figures" in order:
        order.remove("figures")
        before = [n for n in ("presentation", "introduction") if n in order]
        order.insert(order.index(before[0]) + 1 if before else 0, "figures")
    return order


def question_places(case: Case, hidden: Iterable[str]) -> dict[str, list[tuple[int, Question]]]:
    """Where each question goes: {section it follows ("abstract" or a section of
    `section_order`): [(its number on the page, the question)]}. A question follows its
    `after`; without one, it goes before the first hidden section (after the section
    before it), else after the last section."""
    order = ["abstract", *section_order(case)]
    hidden = set(hidden)
    first_hidden = next((i for i, name in enumerate(order) if name in hidden), None)
    default = order[first_hidden - 1] if first_hidden else order[-1]
    places: dict[str, list[Question]] = {}
    for question in case.questions:
        places.setdefault(question.after or default, []).append(question)
    numbered: dict[str, list[tuple[int, Question]]] = {}
    number = 0
    for name in order:  # numbered in page order
        for question in places.get(name, []):
            number += 1
            numbered.setdefault(name, []).append((number, question))
    return numbered


def option_letter(index: int) -> str:
    """The letter of a question's option: 0 -> 'A'."""
    return "ABCDEFGH"[index]


def age_band(p: Patient) -> str | None:
    """DESIGN.md's age bands: 'child' under 18, 'adult' 18 to 64, 'older-adult' 65 and
    over; an age in months, weeks or days is a child's; no age, no band."""
    if p.age is None:
        return None
    if p.age == "90+":
        return "older-adult"
    if p.age_unit != "years":
        return "child"
    assert isinstance(p.age, int)
    return "child" if p.age < 18 else "adult" if p.age < 65 else "older-adult"


@dataclass(frozen=True)
class Row:
    """One case as listed on the home, specialty and tags pages."""

    id: str
    src: str
    title: str
    specialties: tuple[Any, ...]
    patient: str
    diagnosis: str  # empty when teaching mode hides the diagnosis
    year: str | None
    date: str
    tags: tuple[str, ...]
    draft: bool
    type: str = "case-report"
    sexes: tuple[str, ...] = ()
    age_bands: tuple[str, ...] = ()
    text: str = ""  # lowercased text the home page's free-text filter searches
    diagnosis_hidden: bool = False


@dataclass(frozen=True)
class Named:
    name: str
    slug: str
    count: int = 0


def listing_row(case: Case, view: Any) -> Row:
    """The case as listed, from what a reader sees first (`view.public_view`): its
    public title, and no diagnosis or keywords while the diagnosis is hidden."""
    specialties = tuple(Named(display_name(s), slugify(s)) for s in case.specialties)
    hidden = "diagnosis" in view.hidden
    diagnosis = "" if hidden else markdown_to_text(case.final_diagnosis)
    people = case.everyone
    tags = tuple(all_tags(case))
    # keywords often name the diagnosis: not searchable from the table while it is hidden
    text = " ".join([view.title, diagnosis, *tags, *([] if hidden else case.keywords)])
    return Row(id=case.slug, src=f"{case.slug}.md", title=view.title, specialties=specialties,
               patient=patient_line(case), diagnosis=diagnosis,
               year=case.year, date=case.date or "", tags=tags,
               draft=case.status == "draft", type=case.type,
               sexes=tuple(dict.fromkeys(p.sex for p in people if p.sex)),
               age_bands=tuple(dict.fromkeys(b for b in map(age_band, people) if b)),
               text=" ".join(text.lower().split()), diagnosis_hidden=hidden)


def all_tags(case: Case) -> list[str]:
    """Specialties first, then tags, without repeats (case-insensitive)."""
    seen: dict[str, str] = {}
    for name in [*case.specialties, *case.tags]:
        seen.setdefault(name.lower(), name)
    return list(seen.values())


def sort_rows(rows: Iterable[Row]) -> list[Row]:
    """Newest first, then by title."""
    by_title = sorted(rows, key=lambda r: r.title.lower())
    return sorted(by_title, key=lambda r: r.date, reverse=True)


def description(case: Case, limit: int = 200, hidden: Iterable[str] = ()) -> str:
    """A one-sentence page description from the abstract (for search results and meta),
    without the abstract parts teaching mode hides."""
    held = hidden_abstract(case, hidden)
    abstract = case.abstract if isinstance(case.abstract, str) else " ".join(
        text for key, text in case.abstract.items() if key not in held)
    text = markdown_to_text(abstract)
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def front_matter(meta: dict[str, Any]) -> Markup:
    """YAML front matter lines, each value written by `meta_value`."""
    return Markup("\n".join(f"{key}: {meta_value(value)}" for key, value in meta.items()))


def meta_value(value: Any) -> Markup:
    """A front-matter value: text HTML-escaped (MkDocs themes print `page.meta.title` and
    `description` without escaping), then written as JSON, which YAML reads as written,
    with `<`, `>` and `&` as \\u escapes so the Markdown source holds no markup either (and
    U+2028/U+2029, which some readers take for line breaks)."""
    if isinstance(value, str):
        value = str(escape(value))
    elif isinstance(value, list):
        value = [str(escape(v)) if isinstance(v, str) else v for v in value]
    text = json.dumps(value, ensure_ascii=False)
    for char in "<>&\u2028\u2029":  # line and paragraph separators: line breaks to some readers
        text = text.replace(char, f"\\u{ord(char):04x}")
    return Markup(text)


def no_blank_lines(html: str) -> Markup:
    """HTML without empty lines, so that it stays one HTML block in Markdown (CommonMark
    ends a `<details>` block at a blank line). Rendered fields hold none (`markup` writes
    their blank lines as `&#10;`); this removes the ones the template's layout adds."""
    return Markup(re.sub(r"\n[ \t]*(?=\n)", "", str(html)))


@jinja2.pass_context
def _md_filter(context: Any, text: str | None, doc_id: str = "") -> Markup:
    """`md`: a Markdown field as HTML; citations numbered by the page's `citations`."""
    return markdown_to_html(text, doc_id, citations=context.get("citations"))


@jinja2.pass_context
def _mdi_filter(context: Any, text: str | None) -> Markup:
    """`mdi`: a short Markdown field as inline HTML (no <p>)."""
    return markdown_to_inline_html(text, citations=context.get("citations"))


def cited_first(references: list[Any], citations: Citations) -> list[Any]:
    """Cited references in order of first citation, then the uncited ones as given;
    in an author-year style (APA) simply alphabetical (by author, year, title)."""
    if citations.author_year:
        return sorted(references, key=lambda r: r.sort_key)
    order = citations.numbers
    cited = sorted((r for r in references if r.id in order), key=lambda r: order[r.id])
    return cited + [r for r in references if r.id not in order]


def case_references(case: Case, options: Any) -> tuple[list[Any], Citations, Any]:
    """A case's formatted references (in `cite.style_for`, with `cite.options_for` of the
    page's or handout's `options`), the `Citations` that number them as its fields render,
    and its formatted source (or None): shared by the page and the handout."""
    style, cite_options = cite.style_for(case, options), cite.options_for(case, options)
    references = cite.format_references(case.reference_items(), style, cite_options)
    source = cite.format_reference(case.source.as_csl(), style) if case.source else None
    citations = Citations({r.id for r in references}, references, cite.is_author_year(style))
    return references, citations, source


class Renderer:
    """Renders pages from templates: the site's `templates/` first, then the defaults."""

    def __init__(self, site_templates: Path | None = None, options: RenderOptions = RenderOptions()):
        self.options = options
        search = [str(p) for p in (site_templates, PACKAGE_TEMPLATES) if p and Path(p).is_dir()]
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(search),
            autoescape=True, trim_blocks=False, lstrip_blocks=False,
            keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
        )
        self._formatted: dict[int, tuple[Any, cite.FormattedReference]] = {}  # bibliography
        self._citer_links: dict[tuple[str, str, str, str], str] = {}  # bibliography: "cited by" links
        self.env.filters.update(md=_md_filter, mdi=_mdi_filter, mdtext=escape_markdown, meta=meta_value,
                                no_blank_lines=no_blank_lines)
        self.env.globals["anchor"] = anchor  # a record's ids as HTML ids (markup.anchor)
        self.env.globals["search_exclude"] = search_exclude  # out of every search index (site.search)

    @cached_property
    def template_paths(self) -> list[Path]:
        """Every template file in use (what `serve` watches and what invalidates caches)."""
        loader = self.env.loader
        assert isinstance(loader, jinja2.FileSystemLoader)
        return [p for d in loader.searchpath for p in sorted(Path(d).iterdir()) if p.is_file()]

    def hidden(self, case: Case) -> frozenset[str]:
        """The sections of `case` that teaching mode holds back on this site."""
        return hidden_sections(case, self.options.teaching_hide)

    def case_page(self, case: Case, related: str | None = None) -> str:
        """The case's Markdown page. `related` is the related-cases HTML; None leaves
        `RELATED_SLOT` in its place for the MkDocs plugin to fill in on_post_page (the
        list depends on every case, the rest of the page on this one only)."""
        from .view import public_view  # view builds on this module

        view = public_view(case, self.options)
        hidden = view.hidden
        style = cite.style_for(case, self.options)
        references, citations, source = case_references(case, self.options)
        license_name, license_url = LICENSES.get(case.license or "", (case.license, None))
        meta = {"title": view.title, "description": description(case, hidden=hidden), "tags": all_tags(case)}
        columns = _filled_columns(MANAGEMENT_COLUMNS, case.management)
        return self.env.get_template("case.md.j2").render(
            case=case,
            title=view.title,
            real_title=case.title if view.unknown else None,
            front_matter=front_matter(meta),
            byline=" · ".join(x for x in (patient_line(case), TYPE_NAMES[case.type],
                                          ", ".join(display_name(s) for s in case.specialties),
                                          case.year) if x),
            abstract_titles=ABSTRACT_TITLES,
            age_text=age_text,
            show_species=any(p.species.lower() != "human" for p in case.patients),
            investigation_columns=_filled_columns(INVESTIGATION_COLUMNS, case.investigations),
            figure_labels={f.id: f.label or f.id for f in case.figures},
            management_columns=columns,
            references=references,
            citations=citations,
            cited_first=cited_first,
            source=source,
            summary_citation=cite.format_reference(self.summary_item(case), style),
            downloads={which: [(label, citation_file(case.slug, which, fmt)) for fmt, label in EXPORT_FORMATS]
                       for which in self.citation_items(case)},
            license={"name": license_name, "url": license_url} if case.license else None,
            authors_text=", ".join(a.name for a in case.authors).rstrip("."),
            consent_text=CONSENT_TEXT[case.consent.by] if case.consent else "",
            disclaimer=self.options.disclaimer,
            hidden=hidden,
            hidden_abstract=hidden_abstract(case, hidden),
            abstract_section=ABSTRACT_SECTION,
            reveal_prompt=lambda section: reveal_prompt(case, section),
            sections=section_order(case),
            questions=question_places(case, hidden),
            option_letter=option_letter,
            related=Markup(RELATED_SLOT if related is None else related),
            care=_care_rows(case) if self.options.care_table else None,
            handout=f"{HANDOUTS_DIR}/{case.slug}.pdf" if self.options.handouts else None,
        )

    def summary_item(self, case: Case) -> dict[str, Any]:
        """The CSL item citing the summary page itself (see `refio.summary_item`)."""
        url = None
        if self.options.site_url:
            url = self.options.site_url.rstrip("/") + "/" + relative_url(
                page_url(f"{case.slug}.md", self.options.directory_urls), "")
        return refio.summary_item(case, self.options.site_title, url)

    def citation_items(self, case: Case) -> dict[str, dict[str, Any]]:
        """{"summary": item, "original": item (with `source` only)}."""
        items = {"summary": self.summary_item(case)}
        if case.source:
            items["original"] = case.source.as_csl()
        return items

    def citation_files(self, case: Case) -> dict[str, str]:
        """The case's citation downloads by site path: `cite/<id>.summary.ris`, `.bib`,
        `.json`, and the same for `original` when the record has `source`."""
        files = {}
        for which, item in self.citation_items(case).items():
            for fmt, _ in EXPORT_FORMATS:
                files[citation_file(case.slug, which, fmt)] = refio.EXPORTS[fmt][1]([item])
        return files

    def bibliography_pages(self, entries: list[bibliography.Entry],
                           slots: dict[str, str] | None = None) -> dict[str, str]:
        """The site-wide bibliography (listing pages, see `_listing_page`) in pages of
        `BIBLIOGRAPHY_PAGE_ENTRIES`: each merged entry formatted in the site's style, with
        links to the cases that cite it (under the titles the merge gave them)."""
        titles = {c.case_id: c.case_title for e in entries for c in e.cited_by}
        return {page.uri: self.bibliography_page(page, titles, len(entries), slots)
                for page in paginate(BIBLIOGRAPHY_PAGE, entries, BIBLIOGRAPHY_PAGE_ENTRIES)}

    def bibliography_page(self, page: "Page", titles: Mapping[str, str], total: int,
                          slots: dict[str, str] | None = None) -> str:
        """One page of the bibliography (`page.items`: merged entries; `total`: entries in
        all pages), each citing case linked under its title in `titles` (case id -> title),
        so that a retitled case needs no new merge (the site engine renders again only the
        pages that cite it)."""
        here = page_url(page.uri, self.options.directory_urls)
        items = [(entry, self._formatted_reference(entry.item), self._cited_by(entry, here, titles))
                 for entry in page.items]
        return self._listing_page("bibliography.md.j2", page.uri, slots, entries=items, page=page, total=total)

    def _formatted_reference(self, item: Mapping[str, Any]) -> cite.FormattedReference:
        """`item` in the site's style, formatted once per item (the engine keeps the merged
        entries, and so their items, while the records' references do not change)."""
        cached = self._formatted.get(id(item))
        if cached is None or cached[0] is not item:
            if len(self._formatted) > 200_000:  # items of edits long gone
                self._formatted.clear()
            cached = self._formatted[id(item)] = (item, cite.format_reference(item, self.options.style))
        return cached[1]

    def _cited_by(self, entry: bibliography.Entry, here: str, titles: Mapping[str, str]) -> Markup:
        """The entry's "cited by" links as seen from the page at URL `here`, each made once
        (a page is rendered again when one of its thousands of citers is retitled)."""
        links = self._citer_links
        if len(links) > 500_000:  # links of edits long gone
            links.clear()
        found = []
        for citer in entry.cited_by:
            key = (citer.case_id, citer.ref_id, here, titles.get(citer.case_id, citer.case_title))
            link = links.get(key)
            if link is None:
                href = relative_url(page_url(f"{citer.case_id}.md", self.options.directory_urls), here)
                link = links[key] = str(Markup('<a href="{}#{}">{}</a>').format(href, anchor("ref", citer.ref_id), key[3]))
            found.append(link)
        return Markup("; ".join(found))

    def _listing_page(self, template: str, uri: str, slots: dict[str, str] | None, **context: Any) -> str:
        """Render a listing page. Links are made by `href(target_uri)` (the listing is an
        HTML block, which MkDocs does not rewrite). The template passes its listing HTML
        through `listing(html)`: with `slots`, the HTML is kept there and the page holds
        `LISTING_SLOT` instead, for the MkDocs plugin to put back into the finished page
        (so neither Python-Markdown nor the search indexer parses thousands of rows)."""
        here = page_url(uri, self.options.directory_urls)
        directory_urls = self.options.directory_urls

        def listing(html: str) -> Markup:
            if slots is None:
                return Markup(html)
            slots[uri] = str(html)
            return Markup(LISTING_SLOT)

        return self.env.get_template(template).render(
            href=lambda target: relative_url(page_url(target, directory_urls), here),
            listing=listing, **context)

    def home_listing(self, rows: list[Row], data_version: str = "") -> list[ListingPage]:
        """The home page (the filters, and the newest `LISTING_PAGE_ROWS` cases for a reader
        without JavaScript) and every later page of all cases (`index/2.md` ...,
        `cases.md.j2`), newest first: every case reachable without JavaScript. The filters
        read the data files of `listing_data` (`data_version`: their digest, for caches)."""
        ordered = sort_rows(rows)
        found = []
        for page in paginate(HOME_PAGE, ordered, LISTING_PAGE_ROWS):
            shows: tuple[Any, ...] = (tuple(page.items), page.uris, len(ordered))
            if page.number == 1:
                specialties, filters = specialty_index(rows), filter_options(rows)
                shows += (tuple(specialties), tuple((k, tuple(v)) for k, v in filters.items()), data_version)
                make = partial(self._listing_page, "home.md.j2", HOME_PAGE, site_title=self.options.site_title,
                               intro=self.options.intro, rows=page.items, page=page, total=len(ordered),
                               specialties=specialties, filters=filters, data_dir=listing_data.DATA_DIR,
                               data_version=data_version)
            else:
                make = partial(self._listing_page, "cases.md.j2", page.uri, rows=page.items, page=page,
                               total=len(ordered))
            found.append(ListingPage(page.uri, shows, make))
        return found

    def home_data(self, rows: list[Row]) -> dict[str, str]:
        """The home filters' data files by site path (`listing_data.data_files`)."""
        directory_urls = self.options.directory_urls
        return listing_data.data_files(rows, lambda uri: page_url(uri, directory_urls))

    def specialty_listing(self, specialty: Named, rows: list[Row]) -> list[ListingPage]:
        """A specialty's cases, newest first, in pages of `LISTING_PAGE_ROWS`."""
        ordered = sort_rows(rows)
        return [ListingPage(page.uri, (specialty, tuple(page.items), page.uris, len(rows)),
                            partial(self._listing_page, "specialty.md.j2", page.uri, specialty=specialty,
                                    rows=page.items, page=page, total=len(rows)))
                for page in paginate(f"{SPECIALTY_DIR}/{specialty.slug}.md", ordered, LISTING_PAGE_ROWS)]

    def tags_listing(self, rows: list[Row]) -> list[ListingPage]:
        """The tags index (each tag's anchor, name and count, linking to its page) and one
        page per tag with its cases, in pages of `LISTING_PAGE_ROWS`."""
        tags = tag_index(rows)
        found = [ListingPage(TAGS_PAGE, tuple((t.name, t.anchor, len(t.rows)) for t in tags),
                             partial(self._listing_page, "tags.md.j2", TAGS_PAGE, tags=tags, tag_page=tag_page_uri))]
        for tag in tags:
            for page in paginate(tag_page_uri(tag.name), tag.rows, LISTING_PAGE_ROWS):
                found.append(ListingPage(page.uri, (tag.name, tuple(page.items), page.uris, len(tag.rows)),
                                         partial(self._listing_page, "tag.md.j2", page.uri, tag=tag,
                                                 rows=page.items, page=page, total=len(tag.rows))))
        return found

    def listing(self, rows: list[Row], data_version: str = "") -> list[ListingPage]:
        """Every listing page (home and its later pages, one per specialty, tags), each
        with what it shows, for the site engine to render the ones whose rows changed."""
        members: dict[str, list[Row]] = {}
        for row in rows:
            for s in row.specialties:
                members.setdefault(s.slug, []).append(row)
        found = self.home_listing(rows, data_version) + self.tags_listing(rows)
        for specialty in specialty_index(rows):
            found += self.specialty_listing(specialty, members[specialty.slug])
        return found

    def session_page(self, session: Any, cases: list[tuple[str, Row]]) -> str:
        """A teaching session's page: its cases in order, each as (shown title, row)."""
        booklet = f"{HANDOUTS_DIR}/{SESSIONS_DIR}/{session.id}.pdf" if self.options.handouts else None
        return self._listing_page("session.md.j2", session_page_uri(session.id), None, session=session,
                                  cases=cases, type_names=TYPE_NAMES, booklet=booklet)

    def sessions_page(self, sessions: list[Any]) -> str:
        """The Sessions page: every session, newest first."""
        return self._listing_page("sessions.md.j2", SESSIONS_PAGE, None, sessions=sessions,
                                  page_uri=session_page_uri)

    def session_nav_html(self, slug: str, steps: tuple["SessionStep", ...]) -> str:
        """The hidden session navigation of the page of case `slug`: for each session that
        presents it, the links present mode follows from this case (`assets/present.js`:
        the previous and next case, the session's page), relative to this page, so they
        hold under a sub-path, with either URL style and from a folder. Empty when no
        session presents the case."""
        if not steps:
            return ""
        directory_urls = self.options.directory_urls
        here = page_url(f"{slug}.md", directory_urls)
        return self.env.get_template("session-nav.html.j2").render(
            steps=steps, href=lambda target: relative_url(page_url(target, directory_urls), here))

    def related_html(self, slug: str, rows: list[Row], hidden: bool = False) -> str:
        """The related-cases section of the page of case `slug` (`related.html.j2`), with
        links relative to that page; empty without related cases. `hidden`: behind a
        reveal (an unknown case's related cases name its diagnosis)."""
        if not rows:
            return ""
        here = page_url(f"{slug}.md", self.options.directory_urls)
        directory_urls = self.options.directory_urls
        return self.env.get_template("related.html.j2").render(
            rows=rows, type_names=TYPE_NAMES, hidden=hidden,
            href=lambda target: relative_url(page_url(target, directory_urls), here))

    def stylesheet(self) -> str:
        """The site stylesheet (`grandrounds.css`: the site's own, else the default)."""
        source, _, _ = self.env.loader.get_source(self.env, "grandrounds.css")  # type: ignore[union-attr]
        return source

    def error_page(self, name: str, message: str) -> str:
        return self.env.get_template("error.md.j2").render(name=name, message=message)

    def with_error_banner(self, page: str, message: str) -> str:
        """A case page (its last good version) with the record's current errors on top."""
        banner = self.env.get_template("error-banner.md.j2").render(message=message)
        head, sep, body = page.partition("\n---\n")
        return f"{head}{sep}\n{banner}{body}"


AGE_BANDS = (("child", "Child (under 18)"), ("adult", "Adult (18 to 64)"), ("older-adult", "Older adult (65 and over)"))
SEXES = (("female", "Female"), ("male", "Male"), ("other", "Other"), ("unknown", "Unknown"))


def filter_options(rows: list[Row]) -> dict[str, list[tuple[str, str]]]:
    """The (value, label) choices of the home page's filters: only values some case has."""
    types = {r.type for r in rows}
    sexes = {s for r in rows for s in r.sexes}
    bands = {b for r in rows for b in r.age_bands}
    return {
        "specialty": [(s.slug, f"{s.name} ({s.count})") for s in specialty_index(rows)],
        "type": [(t, name) for t, name in TYPE_NAMES.items() if t in types],
        "sex": [(s, name) for s, name in SEXES if s in sexes],
        "age": [(b, name) for b, name in AGE_BANDS if b in bands],
        "year": [(y, y) for y in sorted({r.year for r in rows if r.year}, reverse=True)],
    }


def _filled_columns(columns: tuple[tuple[str, str], ...], rows: list[Any]) -> list[tuple[str, str]]:
    """The table's columns that hold a value in some row (the first column always)."""
    return [(c, t) for i, (c, t) in enumerate(columns)
            if i == 0 or any(getattr(r, c) not in (None, "") for r in rows)]


def specialty_index(rows: Iterable[Row]) -> list[Named]:
    """Specialties by name with their case counts (first spelling wins)."""
    counts: dict[str, list[Any]] = {}
    for row in rows:
        for s in row.specialties:
            counts.setdefault(s.slug, [s.name, 0])[1] += 1
    return sorted((Named(name, slug, n) for slug, (name, n) in counts.items()), key=lambda s: s.name.lower())


@dataclass
class TagEntry:
    name: str
    anchor: str
    rows: list[Row] = field(default_factory=list)


def tag_anchor(name: str) -> str:
    return "tag-" + slugify(name)


def tag_page_uri(name: str) -> str:
    """The page of one tag: `tags/<slug>.md` (its later pages `tags/<slug>/<n>.md`)."""
    return f"{TAGS_DIR}/{slugify(name)}.md"


@dataclass(frozen=True)
class Page:
    """One page of a paginated listing: its items, its number and every page's source path."""

    uri: str
    items: list[Any]
    number: int  # from 1
    uris: tuple[str, ...]  # every page of the listing, in order

    @property
    def count(self) -> int:
        return len(self.uris)


def paginate(first_uri: str, items: list[Any], size: int) -> list[Page]:
    """`items` in pages of `size`: the first at `first_uri` (`x.md`, the URL links already
    use), the others at `x/2.md`, `x/3.md` ... Always at least one page."""
    stem = first_uri[:-3]
    chunks = [items[i:i + size] for i in range(0, len(items), size)] or [[]]
    uris = tuple(first_uri if n == 1 else f"{stem}/{n}.md" for n in range(1, len(chunks) + 1))
    return [Page(uri, chunk, n, uris) for n, (uri, chunk) in enumerate(zip(uris, chunks), 1)]


def tag_index(rows: Iterable[Row]) -> list[TagEntry]:
    tags: dict[str, TagEntry] = {}
    for row in rows:
        for name in row.tags:
            entry = tags.setdefault(tag_anchor(name), TagEntry(display_name(name), tag_anchor(name)))
            entry.rows.append(row)
    for entry in tags.values():
        entry.rows = sorted(entry.rows, key=lambda r: r.title.lower())
    return sorted(tags.values(), key=lambda t: t.name.lower())


def case_features(case: Case) -> related.Features:
    """What the related-cases score compares for `case` (see `related`)."""
    return related.make_features(case.slug, case.date, ((c.system, c.code) for c in case.codes),
                                 markdown_to_text(case.final_diagnosis), case.tags, case.specialties)


def citation_file(slug: str, which: str, fmt: str) -> str:
    """The site path of a citation download: `cite/<id>.<summary|original><suffix>`."""
    return f"{CITE_DIR}/{slug}.{which}{refio.EXPORTS[fmt][0]}"


def _care_rows(case: Case) -> Any:
    """The CARE checklist rows of a case report or series (`check.care_table`), else None."""
    from ..checks.check import CARE_TYPES, care_table

    return care_table(case) if case.type in CARE_TYPES else None
