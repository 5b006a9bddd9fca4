"""The MkDocs adapter: case records in, generated pages out; a thin layer over the library.

It owns only what MkDocs needs:

- `on_files`: drops the record sources (`.yaml`, `.bib`, `.ris`, reference `.json`, a
  draft's figures in `build`) from the site, re-reads the records that changed
  (`library.Library`), renders them (`render.Renderer`) and adds the pages in memory
  (`File.generated`); drafts get MkDocs' DRAFT inclusion, so they show in `serve` only.
  The bibliography page (`render.Renderer.bibliography_page`) and each case's citation
  downloads (`cite/<id>.summary.ris` ..., `render.Renderer.citation_files`) are added
  the same way, the downloads as files owned by their record.
- incremental preview: the plugin lives for the whole `serve` (`on_startup`), marks as
  modified only the pages whose Markdown changed (a case, and the listings that show it),
  and keeps Material's search index whole across `--dirty` rebuilds, where Material would
  keep only the first rebuilt page's entries.
- errors: in `build` every problem of every record fails the build with
  `file:line:col: what; how to fix`; in `serve` a broken record keeps its last good page
  (with the error shown on it) or gets an error page, and the rest of the site stays up.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from markupsafe import escape
from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, event_priority
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from ..checks import check
from .. import cite
from ..site import feed, metadata, publish, related
from ..errors import CaseErrors, display_path
from ..fsio import atomic_write
from ..record.library import Library, find_case_files
from ..record.model import Case, error_page_slug
from ..site import bibliography
from ..site.render import (BIBLIOGRAPHY_PAGE, LISTING_SLOT, PACKAGE_TEMPLATES, RELATED_SLOT, TAGS_PAGE, Renderer, RenderOptions, Row,
                     all_tags, case_features, display_name, listing_row, page_url, tag_anchor)

log = logging.getLogger("mkdocs.plugins.grandrounds")

STYLESHEET = "assets/grandrounds.css"
FONTS_STYLESHEET = "assets/fonts.css"
PRINT_STYLESHEET = "assets/print.css"  # the printed case page (handouts issue)
SCRIPT = "assets/grandrounds.js"
ASSETS = "assets"  # templates/assets/: fonts, fonts.css, grandrounds.js, copied into the site
OVERRIDES = PACKAGE_TEMPLATES / "overrides"  # Material theme overrides: main.html (head metadata)
REQUIRED_EXTENSIONS = ("attr_list", "md_in_html", "tables", "toc")


class _PluginConfig(base.Config):
    # Where records and templates are (relative to mkdocs.yml)
    cases_dir = c.Optional(c.Type(str))
    templates_dir = c.Type(str, default="templates")

    # What pages say
    style = c.Choice(cite.STYLES, default="nature")
    pubmed_ids = c.Type(bool, default=False)  # vancouver: PMID and PMCID after each reference
    intro = c.Type(str, default="Structured summaries of clinical cases for teaching.")
    disclaimer = c.Optional(c.Type(str))

    # Teaching mode: sections hidden behind a prompt in records without `teaching.hide`
    teaching_hide = c.ListOfItems(c.Choice(("diagnosis", "management", "outcome")), default=[])

    # `grandrounds check` in the build (privacy, CARE, references, teaching)
    check = c.Type(bool, default=True)
    check_warnings = c.Choice(("warning", "info"), default="warning")  # warning: --strict fails on them
    privacy = c.Choice(("warning", "error"), default="warning")  # error: privacy findings fail the build
    care_table = c.Type(bool, default=False)  # the CARE checklist table on case-report pages

    # PDF handouts (`mkdocs build` only; serve leaves them out to stay fast)
    handouts = c.Type(bool, default=False)  # handouts/<id>.pdf and a "Download PDF handout" link
    handout_paper = c.Choice(("a4", "letter"), default="a4")


class _GeneratedPage(File):
    """A generated page that knows whether its content changed since the last build."""

    changed: bool = True

    def is_modified(self) -> bool:
        return self.changed


class GrandroundsPlugin(BasePlugin[_PluginConfig]):
    def __init__(self) -> None:
        self.is_serve = False
        self._checker: check.Checker | None = None
        self.library: Library | None = None
        self.renderer: Renderer | None = None
        self._template_stamp: tuple[Any, ...] | None = None
        self._case_pages: dict[Path, tuple[str, str]] = {}  # path -> (src_uri, last good Markdown)
        self._last_content: dict[str, str] = {}  # generated page -> its content last build
        self._urls: dict[str, str] = {}  # generated page -> its URL
        self._last_nav: tuple[Any, ...] | None = None
        self._tags_by_uri: dict[str, list[str]] = {}
        self._search_entries: dict[str, list[dict[str, Any]]] = {}  # page src_uri -> its entries, last build of it
        self._search_mark = 0
        self._removed_urls: set[str] = set()
        self._last_good: dict[Path, Case] = {}  # record -> its last valid version
        self._rows: dict[Path, tuple[Case, Row]] = {}  # record -> (version, its listing row)
        self._last_rows: tuple[Row, ...] | None = None
        self._index_pages: dict[str, str] = {}
        self._listings: dict[str, str] = {}  # listing page -> the HTML put in on_post_page
        self._bib_items: dict[str, tuple[Case, list[dict[str, Any]], list[bibliography.Prepared]]] = {}
        self._bib_key: tuple[Any, ...] | None = None
        self._bib_titles: dict[str, str] = {}
        self._bib_entries: list[bibliography.Entry] = []
        self._bib_page = ""
        self._bib_slot: dict[str, str] = {}
        self._downloads: dict[str, tuple[Case, Any, dict[str, str]]] = {}  # id -> citation files
        self._theme_env: tuple[Any, Any] | None = None
        self._pages: list[File] = []  # the documentation pages of the current build
        self._features: tuple[Any, ...] | None = None  # related-cases input, last build
        self._related_ids: dict[str, list[str]] = {}
        self._feature_cache: dict[str, tuple[Case, related.Features]] = {}  # by record path
        self._related: dict[str, tuple[tuple[Row, ...], str]] = {}  # case page -> (rows, HTML)
        self._case_by_uri: dict[str, Case] = {}  # case page -> its case (head metadata)
        self._feed: str | None = None
        self._feed_key: tuple[Any, ...] | None = None
        self._feed_changed = True
        self._pdf_uris: set[str] = set()  # PDF handouts in the site (citation_pdf_url)
        self._publish_notes: list[publish.Finding] = []  # left-out files reported last build

    # Lifecycle ---------------------------------------------------------------

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self.is_serve = command == "serve"

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        for name in REQUIRED_EXTENSIONS:
            if not any(str(e).split(".")[-1] == name for e in config.markdown_extensions):
                config.markdown_extensions.append(name)
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        assets = _asset_files(Path(config.config_file_path or ".").resolve().parent / self.config.templates_dir)
        if FONTS_STYLESHEET in assets and FONTS_STYLESHEET not in config.extra_css:
            config.extra_css.insert(0, FONTS_STYLESHEET)
        if PRINT_STYLESHEET in assets and PRINT_STYLESHEET not in config.extra_css:
            config.extra_css.append(PRINT_STYLESHEET)
        if SCRIPT in assets and SCRIPT not in [str(s) for s in config.extra_javascript]:
            config.extra_javascript.append(SCRIPT)
        if OVERRIDES.is_dir() and str(OVERRIDES) not in config.theme.dirs:
            # after the site's custom_dir (whose own main.html wins), before Material's
            config.theme.dirs.insert(1 if config.theme.custom_dir else 0, str(OVERRIDES))
        root = Path(config.config_file_path or ".").resolve().parent
        cases_dir = Path(config.docs_dir) if not self.config.cases_dir else root / self.config.cases_dir
        if self.library is None or self.library.cases_dir != cases_dir:
            self.library = Library(cases_dir)
            self._case_pages.clear()
        templates = root / self.config.templates_dir
        options = RenderOptions(style=self.config.style, site_title=config.site_name,
                                intro=self.config.intro, disclaimer=self.config.disclaimer,
                                include_drafts=self.is_serve,
                                directory_urls=config.use_directory_urls,
                                site_url=config.site_url or None,
                                teaching_hide=tuple(self.config.teaching_hide),
                                care_table=self.config.care_table, pubmed_ids=self.config.pubmed_ids,
                                handouts=self.config.handouts and not self.is_serve)
        renderer = Renderer(templates, options)
        stamp = (options, tuple((str(p), p.stat().st_mtime_ns) for p in renderer.template_paths))
        if stamp != self._template_stamp:
            self.renderer, self._template_stamp = renderer, stamp
            self._case_pages.clear()  # templates or options changed: re-render every case
            self._last_rows = None
            self._rows.clear()  # rows depend on options too (teaching_hide)
            self._related = {}  # related.html.j2 or the URL style may have changed
        return config

    # Pages -------------------------------------------------------------------

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.library is not None and self.renderer is not None
        case_files = find_case_files(self.library.cases_dir)
        changed = self.library.refresh(case_files, derive=self._render)
        problems = self.library.problems
        if problems and not self.is_serve:
            raise PluginError("grandrounds: the case records have errors:\n"
                              + "\n".join(str(p) for p in problems))
        for problem in problems:  # in serve: every rebuild, until fixed
            log.error(str(problem))
        if self.config.check:
            if self._checker is None or self._checker.privacy != self.config.privacy:
                self._checker = check.Checker(privacy=self.config.privacy)
            errors = check.check_build(self._checker, self.library, log, serve=self.is_serve,
                                       warnings_as=self.config.check_warnings)
            if errors and not self.is_serve:
                raise PluginError("grandrounds check: the case records have errors:\n"
                                  + "\n".join(str(f) for f in errors))

        self._drop_sources(files, config, case_files)
        pages = self._case_markdown(case_files, changed)
        shown = [c for c in self._listed_cases(case_files)
                 if c.status == "published" or self.renderer.options.include_drafts]
        rows = tuple(self._row(c) for c in shown)
        if rows != self._last_rows:
            self._listings = {}
            self._index_pages = self.renderer.index_pages(list(rows), slots=self._listings)
            self._last_rows = rows
        pages.update({uri: (text, None) for uri, text in self._index_pages.items()})
        pages[BIBLIOGRAPHY_PAGE] = (self._bibliography_page(shown), None)
        pages.update(self._citation_downloads(shown))
        self._update_related(shown, rows)
        self._add_pages(files, config, pages)
        if STYLESHEET not in files:
            files.append(File.generated(config, STYLESHEET, content=self.renderer.stylesheet()))
        root = Path(config.config_file_path or ".").resolve().parent
        for uri, path in _asset_files(root / self.config.templates_dir).items():
            if uri not in files:
                files.append(File.generated(config, uri, abs_src_path=str(path)))
        self._add_feed(files, config, shown)
        if self.renderer.options.handouts:
            self._add_handouts(files, config, shown)
        self._tags_by_uri = {f"{c.slug}.md": all_tags(c) for c in shown}
        self._case_by_uri = {f"{c.slug}.md": c for c in shown}
        self._pdf_uris = {f.src_uri for f in files if f.src_uri.endswith(".pdf")}
        return files

    def _add_handouts(self, files: Files, config: MkDocsConfig, shown: list[Case]) -> None:
        """Each case's PDF (built or from the cache, by `handout.site_handouts`) as
        `handouts/<id>.pdf`, so the case page's link is in the files collection."""
        from .. import handout

        assert self.library is not None and self.renderer is not None
        root = Path(config.config_file_path or ".").resolve().parent
        options = handout.site_options(self.renderer.options, self.config.handout_paper,
                                       root / self.config.templates_dir)
        try:
            pdfs, problems, notes = handout.site_handouts(shown, self.library.cases_dir, options,
                                                          root / handout.CACHE_DIR)
        except handout.SetupError as exc:
            raise PluginError(f"grandrounds: handouts: {exc}") from None
        if problems:
            raise PluginError("grandrounds: handouts could not be made:\n" + "\n".join(problems))
        for note in notes:  # a long handout is not a broken site: info, so --strict passes
            log.info(note)
        for uri, path in pdfs.items():
            files.append(File.generated(config, uri, abs_src_path=str(path)))

    def _bibliography_page(self, shown: list[Case]) -> str:
        """The bibliography's Markdown (its list goes in `_listings`). Each case's items
        are prepared once per validated version, and kept as the same object while they
        are equal, so the list is merged again only when some case's references (or the
        set of cases) changed; a changed case title only renames its "cited by" links."""
        assert self.renderer is not None
        items = []
        for case in shown:
            cached = self._bib_items.get(case.slug)
            if cached is None or cached[0] is not case:
                raw = case.reference_items()
                prepared = cached[2] if cached and cached[1] == raw else bibliography.prepare(raw)
                cached = self._bib_items[case.slug] = (case, raw, prepared)
            items.append((case.slug, case.title, cached[2]))
        for gone in set(self._bib_items) - {c.slug for c in shown}:
            del self._bib_items[gone]
        key = (id(self.renderer), tuple((slug, id(refs)) for slug, _, refs in items))
        titles = {slug: title for slug, title, _ in items}
        if key != self._bib_key:
            self._bib_entries = bibliography.merge_prepared(items)
        elif titles != self._bib_titles:
            bibliography.retitle(self._bib_entries, {slug: title for slug, title in titles.items()
                                                     if self._bib_titles.get(slug) != title})
        else:
            self._listings.update(self._bib_slot)
            return self._bib_page
        self._bib_key, self._bib_titles, self._bib_slot = key, titles, {}
        self._bib_page = self.renderer.bibliography_page(self._bib_entries, slots=self._bib_slot)
        self._listings.update(self._bib_slot)
        return self._bib_page

    def _citation_downloads(self, shown: list[Case]) -> dict[str, tuple[str, Path | None]]:
        """Each case's citation files (`cite/<id>.summary.ris` ...), made once per version
        of the record; they belong to the record, so they go when it goes."""
        assert self.renderer is not None
        out: dict[str, tuple[str, Path | None]] = {}
        for case in shown:
            cached = self._downloads.get(case.slug)
            if cached is None or cached[0] is not case or cached[1] is not self.renderer:
                cached = self._downloads[case.slug] = (case, self.renderer, self.renderer.citation_files(case))
            src = Path(case.source_path or "")
            out.update({uri: (text, src) for uri, text in cached[2].items()})
        for gone in set(self._downloads) - {c.slug for c in shown}:
            del self._downloads[gone]
        return out

    def _update_related(self, shown: list[Case], shown_rows: tuple[Row, ...]) -> None:
        """Each case page's related-cases HTML. The scores are recomputed only when what
        they compare (codes, diagnosis, tags, specialties, dates) changed somewhere; a
        page's HTML only when its list or a listed case's row changed."""
        assert self.renderer is not None
        features = tuple(self._case_features(c) for c in shown)
        if features != self._features:
            self._related_ids = related.related_cases(features)
            self._features = features
        rows = {r.id: r for r in shown_rows}
        kept: dict[str, tuple[tuple[Row, ...], str]] = {}
        for slug, ids in self._related_ids.items():
            listed = tuple(rows[i] for i in ids if i in rows)
            uri = f"{slug}.md"
            last = self._related.get(uri)
            kept[uri] = last if last and last[0] == listed else (listed, self.renderer.related_html(slug, list(listed)))
        self._related = kept

    def _case_features(self, case: Case) -> related.Features:
        """The case's related-cases features, computed once per validated version."""
        key = case.source_path or case.slug
        cached = self._feature_cache.get(key)
        if cached is None or cached[0] is not case:
            cached = self._feature_cache[key] = (case, case_features(case))
        return cached[1]

    def _add_feed(self, files: Files, config: MkDocsConfig, shown: list[Case]) -> None:
        """The Atom feed, `feed.xml`: rewritten in a dirty rebuild only when it changed."""
        assert self.renderer is not None
        entries = feed.newest([c for c in shown if c.status == "published"])
        key = (tuple(map(id, entries)), config.site_name, config.site_url, config.use_directory_urls,
               self.renderer.options.teaching_hide)
        if key != self._feed_key:  # one of the newest cases, or an option, changed
            self._feed_key = key
            text = feed.atom_feed(entries, site_name=config.site_name, site_url=config.site_url,
                                  directory_urls=config.use_directory_urls,
                                  teaching_hide=self.renderer.options.teaching_hide)
            self._feed_changed, self._feed = text != self._feed, text
        else:
            self._feed_changed = False
        if feed.FEED_PATH in files or self._feed is None:
            return
        file = _GeneratedPage.generated(config, feed.FEED_PATH, content=self._feed)
        file.changed = self._feed_changed
        files.append(file)

    def _listed_cases(self, case_files: list[Path]) -> list[Case]:
        """The cases the listings show: the valid ones, and in `serve` the last good
        version of a record that is broken now (so a typo does not reshuffle the site)."""
        assert self.library is not None
        valid = self.library.cases
        for case in valid:
            self._last_good[Path(case.source_path or "")] = case
        if not self.is_serve:
            return valid
        slugs = {c.slug for c in valid}
        kept = [self._last_good[p] for p in case_files
                if self.library.errors_for(p) and p in self._last_good and self._last_good[p].slug not in slugs]
        for gone in set(self._last_good) - set(case_files):
            del self._last_good[gone]
            self._rows.pop(gone, None)
            self._feature_cache.pop(str(gone), None)
        return valid + kept

    def _row(self, case: Case) -> Row:
        """The case's listing row, computed once per validated version of the record."""
        path = Path(case.source_path or "")
        cached = self._rows.get(path)
        if cached is None or cached[0] is not case:
            assert self.renderer is not None
            cached = self._rows[path] = (case, listing_row(case, self.renderer.options.teaching_hide))
        return cached[1]

    def _drop_sources(self, files: Files, config: MkDocsConfig, case_files: list[Path]) -> None:
        """Leave out of the site the docs folder's files that `publish.plan` keeps from
        readers (record sources, backups, hidden files, figures only unshown drafts use).
        What it refuses (a link out of the folder) fails `build`; in `serve` it is logged
        on every rebuild and never copied. Information is logged when it changes."""
        assert self.library is not None and self.renderer is not None
        docs = Path(config.docs_dir)
        written = {f.src_uri: f for f in files if not f.generated_by and f.abs_src_path
                   and Path(f.abs_src_path).is_relative_to(docs)}
        shown = [c for c in self.library.cases if c.status == "published" or self.renderer.options.include_drafts]
        plan = publish.plan(docs, written, cases=self.library.cases, shown=shown, records=case_files,
                            keep=publish.site_uses(config.extra_css, config.extra_javascript, config.nav),
                            cases_dir=self.library.cases_dir)
        for uri in plan.dropped:
            files.remove(written[uri])
        if plan.errors and not self.is_serve:
            raise PluginError("grandrounds: files in the docs folder that cannot be published:\n"
                              + "\n".join(str(p) for p in plan.errors))
        notes = [f for f in plan.findings if f.severity != "error"]
        warn = log.warning if self.config.check_warnings == "warning" else log.info
        for finding in plan.findings:
            if finding.severity == "error":
                log.error(str(finding.problem))
            elif notes != self._publish_notes:
                (warn if finding.severity == "warning" else log.info)(str(finding.problem))
        self._publish_notes = notes

    def _case_markdown(self, case_files: list[Path], changed: set[Path]) -> dict[str, tuple[str, Path | None]]:
        """Markdown of every case page: re-rendered where the record changed."""
        assert self.library is not None and self.renderer is not None
        live = set(case_files)
        for gone in set(self._case_pages) - live:
            del self._case_pages[gone]
        valid = {id(c) for c in self.library.cases}
        pages: dict[str, tuple[str, Path | None]] = {}
        for path in case_files:
            case = self.library.case_for(path)
            errors = self.library.errors_for(path)
            if case is not None and id(case) not in valid:  # a duplicate id
                errors = CaseErrors([p for p in self.library.problems
                                     if Path(p.path).resolve() == path.resolve()])
                case = None
            if case is not None:
                if case.status == "draft" and not self.renderer.options.include_drafts:
                    continue
                if path in changed or path not in self._case_pages:
                    # rendered beside the read (in a worker on a cold build), unless only
                    # the templates changed since
                    outcome = (self.library.derived_for(path) if path in changed else None) \
                        or self._render(case)
                    kind, text = outcome
                    if kind == "error":
                        if not self.is_serve:
                            raise PluginError(f"{display_path(path)}: {text}")
                        log.error(f"{display_path(path)}: {text}")
                        text = self.renderer.error_page(path.name, text)
                    self._case_pages[path] = (f"{case.slug}.md", text)
                uri, text = self._case_pages[path]
                pages[uri] = (text, path)
            elif errors is not None:
                uri, last = self._case_pages.get(path, (f"{error_page_slug(path)}.md", None))
                message = "\n".join(str(p) for p in errors.problems)
                if last:
                    pages[uri] = (self.renderer.with_error_banner(last, message), path)
                else:
                    pages[uri] = (self.renderer.error_page(path.name, message), path)
        return pages

    def _render(self, case: Case) -> tuple[str, str] | None:
        """("page", Markdown) or ("error", message) for a template that fails; None for a
        draft that this build leaves out."""
        assert self.renderer is not None
        if case.status == "draft" and not self.renderer.options.include_drafts:
            return None
        try:
            return "page", self.renderer.case_page(case)
        except Exception as exc:  # a bug in a site's template must not be a traceback
            return "error", f"template error while rendering this case: {type(exc).__name__}: {exc}"

    def _add_pages(self, files: Files, config: MkDocsConfig, pages: dict[str, tuple[str, Path | None]]) -> None:
        nav = tuple(sorted(uri for uri, (_, src) in pages.items() if src is None))
        everything_changed = nav != self._last_nav
        self._last_nav = nav
        docs = Path(config.docs_dir)
        for uri, (text, src) in pages.items():
            if uri in files:  # a hand-written page of the same name wins
                if src is not None:
                    raise PluginError(f"{display_path(src)}:1:1: case id '{uri[:-3]}' collides with "
                                      f"the page {uri} in the docs folder; rename one of them")
                continue
            is_case = src is not None
            draft = is_case and self._is_draft(src)
            inclusion = (InclusionLevel.DRAFT if draft else
                         InclusionLevel.NOT_IN_NAV if is_case else InclusionLevel.INCLUDED)
            file = _GeneratedPage.generated(config, uri, content=text, inclusion=inclusion)
            if is_case and src is not None and src.is_relative_to(docs):  # "Edit this page"
                file.edit_uri = src.relative_to(docs).as_posix()
            # the listing and related cases are added in on_post_page; the page also shows
            # MkDocs' DRAFT mark and the edit link, so a draft made published or a renamed
            # record rebuilds the page too
            content = (f"{inclusion.name} {file.edit_uri}\n" + text + self._listings.get(uri, "")
                       + self._related.get(uri, ((), ""))[1])
            file.changed = everything_changed or self._last_content.get(uri) != content
            files.append(file)
            self._last_content[uri] = content
            self._urls[uri] = file.url
            self._removed_urls.discard(file.url)
        for uri in set(self._last_content) - set(pages):  # a removed case or listing
            del self._last_content[uri]
            self._removed_urls.add(self._urls.pop(uri))

    def _is_draft(self, path: Path) -> bool:
        assert self.library is not None
        case = self.library.case_for(path)
        return bool(case and case.status == "draft")

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        """Give generated pages their titles up front: under `--dirty`, pages that are not
        rebuilt are never read, and the sidebar would show their file names."""
        for page in nav.pages:
            if page.file.generated_by:
                title = _front_matter_title(page.file.content_string)
                if title:
                    page.title = title
        return nav

    # Page context: tag chips and search entries --------------------------------

    @event_priority(-100)  # after the search plugin has indexed the page
    def on_page_context(self, context: dict[str, Any], *, page: Page, config: MkDocsConfig,
                        nav: Navigation) -> dict[str, Any]:
        case = self._case_by_uri.get(page.file.src_uri)
        if case is not None:  # schema.org, Highwire and Open Graph, for overrides/main.html
            assert self.renderer is not None
            pdf = f"handouts/{case.slug}.pdf"  # handouts issue: where _add_handouts puts it
            info = metadata.PageInfo(site_name=config.site_name,
                                     page_url=metadata.absolute_url(config.site_url, page.url),
                                     pdf_url=metadata.absolute_url(config.site_url, pdf) if pdf in self._pdf_uris else None,
                                     language=str(config.theme.locale or "en"),
                                     teaching_hide=self.renderer.options.teaching_hide)
            context["grandrounds_head"] = metadata.head_html(case, info)
        tags = self._tags_by_uri.get(page.file.src_uri)
        if tags:
            # Material's partials/tags.html prints the name unescaped
            index = page_url(TAGS_PAGE, config.use_directory_urls)
            context["tags"] = [SimpleNamespace(name=escape(display_name(t)), url=f"{index}#{tag_anchor(t)}",
                                               hidden=False)
                               for t in tags]
        index = _search_index(config)
        if index is not None:  # this page's entries, replacing those of its last build
            self._search_entries[page.file.src_uri] = index.entries[self._search_mark:]
            self._search_mark = len(index.entries)
        return context

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """Put the listing tables into the finished listing pages. Kept out of the Markdown
        until now, they cost neither a Python-Markdown nor a search-indexer parse."""
        listing = self._listings.get(page.file.src_uri)
        if listing is not None:
            output = output.replace(LISTING_SLOT, listing, 1)
        related_html = self._related.get(page.file.src_uri)
        if related_html is not None:
            output = output.replace(RELATED_SLOT, related_html[1], 1)
        return output

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self._search_mark = 0
        docs = Path(config.docs_dir)
        if publish.linked_folder_problems(docs):  # MkDocs would walk into them next: stop first
            raise PluginError("grandrounds: files in the docs folder that cannot be published:\n"
                              + "\n".join(str(p) for p in publish.refused(docs)))

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        site = Path(config.site_dir)
        for url in sorted(self._removed_urls):  # pages of deleted records (dirty rebuilds)
            target = site / url / "index.html" if url.endswith("/") or not url else site / url
            if target.is_file():
                target.unlink()
        self._removed_urls.clear()
        self._write_search_index(config)

    def _write_search_index(self, config: MkDocsConfig) -> None:
        """Write the whole index: the entries of every page of this build (drafts too in
        `serve`, which shows them), in build order, as a cold build writes them. A page
        that was not rebuilt keeps the entries of its last build; a page that is gone
        (deleted, renamed, no longer built) is forgotten."""
        plugin = config.plugins.get("material/search") or config.plugins.get("search")
        path = Path(config.site_dir) / "search" / "search_index.json"
        if _search_index(config) is None or not path.is_file():
            return
        pages = [f.src_uri for f in self._pages]
        for uri in set(self._search_entries) - set(pages):
            del self._search_entries[uri]
        data = json.loads(path.read_text(encoding="utf-8"))
        data["docs"] = [e for uri in pages for e in self._search_entries.get(uri, ())]
        atomic_write(path, json.dumps(data, separators=(",", ":"), default=str))
        if plugin is not None and hasattr(plugin, "search_index_prev"):
            plugin.search_index_prev = None  # ours is the whole index; stop Material's merge

    @event_priority(100)  # first, so other plugins' on_env see the environment returned
    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        # the pages this build writes: in serve drafts too (MkDocs previews them)
        self._pages = list(files.documentation_pages(
            inclusion=InclusionLevel.is_in_serve if self.is_serve else InclusionLevel.is_included))
        if not self.is_serve:
            return env
        # Each serve rebuild reloads the config and makes a new theme environment, which
        # recompiles every theme template (about 0.4 s here). Reuse the last one while the
        # theme's folders, language and override files are unchanged.
        key = _theme_key(config)
        if self._theme_env is not None and self._theme_env[0] == key:
            return self._theme_env[1]
        self._theme_env = (key, env)
        return env

    # Serve -------------------------------------------------------------------

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """Watch the templates (and a `cases_dir` outside docs_dir) so that they are
        watched again after being deleted and restored (`_FolderWatch`)."""
        assert self.library is not None
        root = Path(config.config_file_path or ".").resolve().parent
        _FolderWatch(server, root / self.config.templates_dir).start()
        if not self.library.cases_dir.resolve().is_relative_to(Path(config.docs_dir).resolve()):
            _FolderWatch(server, self.library.cases_dir.resolve()).start()
        return server


class _FolderWatch:
    """Livereload's watch on a folder that survives the folder being deleted and made again.

    MkDocs' livereload polls each watched folder with a watchdog emitter, and that emitter
    stops for good when its folder disappears; so after `templates/` was deleted and
    restored, no template edit reloaded the preview. This adds a handler to the folder's
    own watch and a non-recursive watch on its parent (which sees the folder come and go).
    When the folder is seen deleted or moved away, or is present while its watch is not
    (or its emitter stopped), livereload's watch is dropped and added again and a rebuild
    is requested (the templates in use changed: the package's while the folder is gone).
    """

    def __init__(self, server: Any, folder: Path) -> None:
        from watchdog.events import FileSystemEventHandler

        self.server = server
        self.folder = os.path.abspath(folder)
        self.watched = False  # our livereload watch on the folder is registered
        self.handler = FileSystemEventHandler()
        self.handler.on_any_event = self._on_event  # type: ignore[method-assign]

    def start(self) -> None:
        parent = os.path.dirname(self.folder)
        if os.path.isdir(parent):
            self.server.observer.schedule(self.handler, parent, recursive=False)
        self._arm()

    def _on_event(self, event: Any) -> None:
        gone = (event.is_directory and event.event_type in ("deleted", "moved")
                and os.path.abspath(event.src_path) == self.folder)
        self.check(renew=gone)

    def check(self, renew: bool = False) -> None:
        """Bring the folder's watch in line with the folder (runs in watchdog's one
        dispatch thread). `renew`: the folder was seen going, so its emitter is stopping."""
        present = os.path.isdir(self.folder)
        if self.watched and present and not renew and not self._emitter_stopped():
            return  # the usual case: an event in a watched, living folder
        changed = False
        if self.watched:
            self.server.unwatch(self.folder)
            self.watched = False
            changed = True
        if present:
            self._arm()
            changed = True
        if changed:
            _request_rebuild(self.server)

    def _arm(self) -> None:
        if self.watched or not os.path.isdir(self.folder):
            return
        self.server.watch(self.folder)
        self.watched = True
        # our handler on the same watch (the same key, so the same emitter): its last
        # event, when the folder goes, is a DirDeletedEvent for the folder itself
        self.server.observer.schedule(self.handler, self.folder, recursive=True)

    def _emitter_stopped(self) -> bool:
        return any(e.watch.path == self.folder and not e.should_keep_running()
                   for e in list(self.server.observer.emitters))


def _request_rebuild(server: Any) -> None:
    """Ask livereload for a rebuild, as a changed file in a watched folder does. MkDocs
    1.6 has no public call for it; its watch callback sets `_want_rebuild` under
    `_rebuild_cond`, and so does this (nothing happens if a later MkDocs renamed them)."""
    condition = getattr(server, "_rebuild_cond", None)
    if condition is None or not hasattr(server, "_want_rebuild"):
        return
    with condition:
        server._want_rebuild = True
        condition.notify_all()


def _asset_files(site_templates: Path) -> dict[str, Path]:
    """The files of `templates/assets/` by site path (`assets/...`): the package's, each
    replaced by the site's own file of the same name."""
    found: dict[str, Path] = {}
    for root in (PACKAGE_TEMPLATES, site_templates):
        folder = root / ASSETS
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file():
                    found[f"{ASSETS}/{path.relative_to(folder).as_posix()}"] = path
    return found


def _theme_key(config: MkDocsConfig) -> tuple[Any, ...]:
    """What the theme's Jinja environment depends on: its folders, its language, and the
    files of folders that are not an installed package (custom_dir overrides)."""
    import material
    import mkdocs

    packaged = (Path(material.__file__).parent, Path(mkdocs.__file__).parent)
    stamps = []
    for folder in map(Path, config.theme.dirs):
        if not any(folder == p or p in folder.parents for p in packaged):
            stamps += [(str(f), f.stat().st_mtime_ns) for f in folder.rglob("*") if f.is_file()]
    return (tuple(config.theme.dirs), str(config.theme.locale), tuple(sorted(stamps)))


def _search_index(config: MkDocsConfig) -> Any:
    """Material's search index object, if Material's search plugin is in use."""
    plugin = config.plugins.get("material/search") or config.plugins.get("search")
    index = getattr(plugin, "search_index", None)
    return index if index is not None and hasattr(index, "entries") else None


def _front_matter_title(markdown: str) -> str | None:
    """The `title:` of a generated page's front matter (written as JSON by `render`)."""
    for line in markdown.splitlines()[1:]:
        if line == "---":
            break
        if line.startswith("title: "):
            try:
                return json.loads(line[len("title: "):])
            except json.JSONDecodeError:
                return None
    return None

