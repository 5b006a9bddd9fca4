"""The MkDocs (and ProperDocs) host: the site engine's outputs as MkDocs files. Hooks only.

What the site holds, and what changed, is the site engine's (`site.engine`). This adapter
turns its outputs into `File`s (inclusion levels, edit links, `is_modified`), deletes the
files of outputs that are gone, fills each page's slot in the finished HTML, gives the
theme the head metadata and tag chips, adds the PDF handouts, runs Pagefind after a build,
and reports problems: `build` fails on any (`file:line:col: what; how to fix`), `serve`
logs them and keeps the site up. Options: `plugin_config`; theme and search: `material`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from markupsafe import escape
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin, CombinedEvent, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page

from ..checks import check
from ..errors import display_path
from ..parallel import release_memory
from ..record.library import find_case_files
from ..site import publish, search
from ..site.engine import Output, SiteBuild, SiteEngine, scripts, stylesheets
from ..site.listing_data import DATA_DIR
from ..site.render import display_name, page_url, tag_page_uri
from .converted import ConvertedPages
from .livereload import FolderWatch, use_native_observer
from .material import SearchIndex, ThemeEnv, add_theme_files, disable_material_search
from .plugin_config import PluginConfig, site_options

log = get_plugin_logger(__name__)

REQUIRED_EXTENSIONS = ("attr_list", "md_in_html", "tables", "toc")
_INCLUSION = {"draft": InclusionLevel.DRAFT, "case": InclusionLevel.NOT_IN_NAV, "error": InclusionLevel.NOT_IN_NAV,
              "listing": InclusionLevel.NOT_IN_NAV}  # unless `Output.nav`


class _GeneratedFile(File):
    """A generated file that knows whether its content changed since the last build."""

    changed: bool = True

    def is_modified(self) -> bool:
        return self.changed


class GrandroundsPlugin(BasePlugin[PluginConfig]):
    def __init__(self) -> None:
        self.engine: SiteEngine | None = None
        self.site: SiteBuild | None = None
        self._checker: check.Checker | None = None
        self._last_nav: tuple[str, ...] | None = None
        self._publish_notes: list[publish.Finding] = []  # left-out files reported last build
        self._search = SearchIndex()
        self._made: list[File] = []
        self._frozen = False  # serve: what the first build left is out of the collector's way
        self._pages: list[File] = []  # the documentation pages of the current build
        self._theme = ThemeEnv()
        self._converted = ConvertedPages()  # serve: a page's Markdown converted once per content
        self._command: str | None = None  # `on_startup`'s; None where a host runs MkDocs' build itself
        self._index_pending: Path | None = None  # the built site `on_shutdown` indexes

    @property
    def is_serve(self) -> bool:
        return self._command == "serve"

    def on_startup(self, *, command: str, dirty: bool) -> None:
        self._command = command

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig:
        config.markdown_extensions += [n for n in REQUIRED_EXTENSIONS  # what our pages need
                                       if not any(str(e).split(".")[-1] == n for e in config.markdown_extensions)]
        templates = Path(self.config.templates_dir)
        add_theme_files(config, stylesheets(templates), scripts(templates))
        if not self.is_serve and self.config.search == "pagefind":
            disable_material_search(config)  # published pages load Pagefind's index, never Material's
        cases_dir = Path(self.config.cases_dir or config.docs_dir)
        options = site_options(self.config, config, serve=self.is_serve)
        sessions = Path(self.config.sessions_dir)
        if self.engine is None or (self.engine.library.cases_dir, self.engine.sessions_dir) != (cases_dir, sessions):
            self.engine = SiteEngine(cases_dir, templates, options, sessions_dir=sessions)
        else:
            self.engine.configure(templates, options)
        return config

    # Files -------------------------------------------------------------------

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        assert self.engine is not None
        self.site = site = self.engine.build()
        self._made = []  # the files made here (their text is let go of before Pagefind runs)
        self._report(site)
        self._drop_sources(files, config, site)
        nav = tuple(sorted(o.path for o in site.outputs.values() if o.nav))
        everything_changed, self._last_nav = nav != self._last_nav, nav
        docs = Path(config.docs_dir).resolve()
        for out in site.outputs.values():
            if out.path in files:  # a hand-written page of the same name wins
                if out.kind in ("case", "draft", "error"):
                    raise PluginError(f"{display_path(out.record or '')}:1:1: case id '{out.path[:-3]}' collides "
                                      f"with the page {out.path} in the docs folder; rename one of them")
                continue
            self._made.append(self._file(out, config, docs, everything_changed))
            files.append(self._made[-1])
        if self.engine.options.handouts:
            self._add_handouts(files, config, site)
        return files

    def _file(self, out: Output, config: MkDocsConfig, docs: Path, everything_changed: bool) -> File:
        inclusion = InclusionLevel.INCLUDED if out.nav else _INCLUSION.get(out.kind, InclusionLevel.UNDEFINED)
        file = _GeneratedFile.generated(config, out.path, content=out.text, inclusion=inclusion,
                                        abs_src_path=None if out.source is None else str(out.source))
        file.changed = out.changed or (everything_changed and out.is_page)
        if out.record is not None and out.is_page and out.record.resolve().is_relative_to(docs):
            file.edit_uri = out.record.resolve().relative_to(docs).as_posix()  # "Edit this page"
        return file

    def _report(self, site: SiteBuild) -> None:
        """Record problems and `check` findings: fatal in build, logged in serve."""
        if site.problems and not self.is_serve:
            raise PluginError("grandrounds: the case records have errors:\n" + "\n".join(map(str, site.problems)))
        for problem in site.problems:  # in serve: every rebuild, until fixed
            log.error(str(problem))
        if not self.config.check:
            return
        if self._checker is None or self._checker.privacy != self.config.privacy:
            self._checker = check.Checker(privacy=self.config.privacy)
        findings = self._checker.run(site.library, include_drafts=self.is_serve, include_problems=False)
        levels = {"error": log.error, "info": log.debug,
                  "warning": log.warning if self.config.check_warnings == "warning" else log.info}
        for finding in (self._checker.fresh if self.is_serve else findings):  # serve: changed records only
            if finding.severity != "error" or self.is_serve:
                levels[finding.severity](str(finding))
        errors = [f for f in findings if f.severity == "error"]
        if errors and not self.is_serve:
            raise PluginError("grandrounds check: the case records have errors:\n" + "\n".join(map(str, errors)))

    def _drop_sources(self, files: Files, config: MkDocsConfig, site: SiteBuild) -> None:
        """Leave out of the site the docs folder's files that `publish.plan` keeps from
        readers (record sources, backups, hidden files, figures only unshown drafts use).
        What it refuses (a link out of the folder) fails `build`; in `serve` it is logged
        on every rebuild and never copied. Information is logged when it changes."""
        docs = Path(config.docs_dir)
        written = {f.src_uri: f for f in files if not f.generated_by and f.abs_src_path
                   and Path(f.abs_src_path).is_relative_to(docs)}
        plan = publish.plan(docs, written, cases=site.library.cases, shown=site.cases,
                            records=find_case_files(site.library.cases_dir),
                            keep=publish.site_uses(config.extra_css, config.extra_javascript, config.nav),
                            cases_dir=site.library.cases_dir)
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

    def _add_handouts(self, files: Files, config: MkDocsConfig, site: SiteBuild) -> None:
        """Each case's PDF (built or from the cache) as `handouts/<id>.pdf`."""
        from .. import handout

        assert self.engine is not None
        root = Path(config.config_file_path or ".").resolve().parent
        options = handout.site_options(self.engine.options, self.config.handout_paper, Path(self.config.templates_dir))
        try:
            pdfs, problems, notes = handout.site_handouts(site.cases, site.library.cases_dir, options,
                                                          root / handout.CACHE_DIR, self.engine.sessions)
        except handout.SetupError as exc:
            raise PluginError(f"grandrounds: handouts: {exc}") from None
        if problems:
            raise PluginError("grandrounds: handouts could not be made:\n" + "\n".join(problems))
        for note in notes:  # a long handout is not a broken site: info, so --strict passes
            log.info(note)
        for uri, path in pdfs.items():
            files.append(File.generated(config, uri, abs_src_path=str(path)))

    # Pages -------------------------------------------------------------------

    def _output(self, page: Page) -> Output | None:
        return self.site.outputs.get(page.file.src_uri) if self.site and page.file.generated_by else None

    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        """Titles up front: under `--dirty` pages not rebuilt are never read, and the
        sidebar would show file names. Escaped: themes print `page.title` as HTML. Serve:
        the files are final here, and conversions are reused against them."""
        if self.is_serve:  # the home page's data scripts are loaded by its script, never linked
            self._converted.start_build(config, files, (f.src_uri for f in files
                                                        if not f.src_uri.startswith(DATA_DIR + "/")))
        for page in nav.pages:
            out = self._output(page)
            if out is not None and out.title:
                page.title = str(escape(out.title))
        return nav

    def on_pre_page(self, page: Page, *, config: MkDocsConfig, files: Files) -> Page:
        """Serve: a generated page whose Markdown is unchanged (only its slot changed) keeps
        its last conversion (`converted.ConvertedPages`)."""
        if self.is_serve and self._output(page) is not None:
            self._converted.attach(page)
        return page

    @event_priority(-100)  # after the search plugin has indexed the page
    def on_page_context(self, context: dict[str, Any], *, page: Page, config: MkDocsConfig,
                        nav: Navigation) -> dict[str, Any]:
        out = self._output(page)
        if out is not None and out.head:  # schema.org, Highwire and Open Graph, for overrides/main.html
            context["grandrounds_head"] = out.head
        if out is not None and out.meta.get("tags"):  # Material's partials/tags.html prints names unescaped
            context["tags"] = [SimpleNamespace(name=escape(display_name(t)), hidden=False,
                                               url=page_url(tag_page_uri(t), config.use_directory_urls))
                               for t in out.meta["tags"]]
        self._search.page_done(config, page.file.src_uri)
        return context

    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        """The listing tables and related lists, kept out of the Markdown until now so that
        they cost neither a Python-Markdown nor a search-indexer parse."""
        out = self._output(page)
        return out.fill(output) if out is not None else output

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self._search.start_build()
        docs = Path(config.docs_dir)
        if publish.linked_folder_problems(docs):  # MkDocs would walk into them next: stop first
            raise PluginError("grandrounds: files in the docs folder that cannot be published:\n"
                              + "\n".join(str(p) for p in publish.refused(docs)))

    @event_priority(100)  # before the search plugin writes its index
    def _complete_search_index(self, *, config: MkDocsConfig) -> None:
        self._search.complete(config, [f.src_uri for f in self._pages], serve=self.is_serve)

    @event_priority(-100)  # after the search plugin has written its index
    def _after_build(self, *, config: MkDocsConfig) -> None:
        site_dir = Path(config.site_dir)
        for path in self.site.removed if self.site else ():  # outputs of deleted records (dirty rebuilds)
            url = page_url(path, config.use_directory_urls) if path.endswith(".md") else path
            target = site_dir / url / "index.html" if url.endswith("/") else site_dir / url
            if target.is_file():
                target.unlink()
        if self.is_serve and not self._frozen:  # after the first build: see _freeze_startup
            _freeze_startup()
            self._frozen = True
        if not self.is_serve and self.config.search == "pagefind":  # Pagefind runs in a process of its own
            self._let_go()  # ... while this one holds as little as it can
            if self._command in ("build", "gh-deploy"):  # ... less still once MkDocs' build has returned
                self._index_pending = site_dir
            else:  # a host that runs MkDocs' build itself: no `on_shutdown` follows
                _index(site_dir)

    def on_build_error(self, *, error: Exception) -> None:
        self._index_pending = None  # a failed build (strict mode's warnings too) is not indexed

    def on_shutdown(self) -> None:
        """`mkdocs build` (and `gh-deploy`, before it pushes): index the site just built, now
        that MkDocs' build has returned and dropped its files, navigation and pages. At 1,000
        cases this process holds 144 MB while Pagefind runs, against 162 MB from
        `on_post_build`. Not on the way out of an interrupt or an error (one is in flight)."""
        site_dir, self._index_pending = self._index_pending, None
        if site_dir is not None and sys.exc_info()[0] is None:
            log.info("indexing the site for search with Pagefind")  # after MkDocs' "Documentation built"
            _index(site_dir)

    on_post_build = CombinedEvent(_complete_search_index, _after_build)

    def _let_go(self) -> None:
        """After the last page is written (build only): drop the engine, the pages' text and
        HTML, so that this process and Pagefind's together hold little more than Pagefind
        alone (`_index` hands the freed heap back)."""
        for file in self._pages:
            if file.page is not None:
                file.page.markdown = file.page.content = None  # type: ignore[assignment]
        for file in self._made:
            file.content_string = ""
        self._pages, self._made, self.site, self.engine, self._checker = [], [], None, None, None

    @event_priority(100)  # first, so other plugins' on_env see the environment returned
    def on_env(self, env: Any, *, config: MkDocsConfig, files: Files) -> Any:
        self._pages = list(files.documentation_pages(
            inclusion=InclusionLevel.is_in_serve if self.is_serve else InclusionLevel.is_included))
        return self._theme.reuse(config, env) if self.is_serve else env  # serve: skip recompiling the theme

    def on_serve(self, server: Any, *, config: MkDocsConfig, builder: Any) -> Any:
        """Hear saves as they happen (`livereload.use_native_observer`), and watch the
        templates, the sessions (and a cases folder outside docs_dir), again after being
        deleted and restored, or made later (`livereload.FolderWatch`)."""
        assert self.engine is not None
        use_native_observer(server)
        FolderWatch(server, Path(self.config.templates_dir)).start()
        FolderWatch(server, Path(self.config.sessions_dir)).start()
        cases_dir = self.engine.library.cases_dir.resolve()
        if not cases_dir.is_relative_to(Path(config.docs_dir).resolve()):
            FolderWatch(server, cases_dir).start()
        return server


def _index(site_dir: Path) -> None:
    """Hand this process's freed heap back, then index the built site with Pagefind
    (`search.index_site`) while this process waits; its problems fail the build."""
    release_memory()
    problems = search.index_site(site_dir)
    if problems:
        raise PluginError("grandrounds: the search index could not be made:\n" + "\n".join(map(str, problems)))


def _freeze_startup() -> None:
    """Serve: collect, then exempt everything alive after the first build (the library, the
    engine's memo, the theme) from the cyclic collector's full scans (`gc.freeze`). Each
    full scan walked them all: 1.2 s of a rebuild at 1,000 cases, now 0.1 s. Only
    reference cycles among those objects that die later are never collected: the first
    build's MkDocs files and pages, once."""
    import gc

    gc.collect()
    gc.freeze()
