"""Stage 5, site: everything made from all cases, for any host.

Owns which cases are shown (published ones; drafts in preview; in preview, the last good
version of a record that is broken now, with its errors on the page), and every output
made from them: case pages, error pages, listing pages (home, specialties, tags), the
bibliography, related-case lists, citation downloads, the Atom feed, the assets (stylesheets,
script, fonts) and the figures the shown cases use. Each output is a value (`Output`: its
site path, its content or the file to copy, the record it came from, whether it changed since
the last build); problems are values too (`SiteBuild.problems`).

Incremental by one mechanism, `Memo`: every output and every intermediate (a record's page,
listing row, related-case features, citation files, head metadata; the listings, the
bibliography, the related lists, the feed) is remembered with the *content version* of what
it depends on (a record's `Case.version`, a digest of its validated content; the site's
`generation`, a digest of the options and every template file) and recomputed only when that
version differs. What a build did not ask for is forgotten at its end (`Memo.sweep`), so a
deleted record, a renamed id or a removed specialty leaves nothing behind.

It does not know any host: no MkDocs, no logger, no writing. The MkDocs plugin
(`hosts/plugin.py`) turns outputs into MkDocs files; `grandrounds render --out`
(`hosts/export.py`) writes them as a project for MkDocs, ProperDocs or Zensical.
"""

from __future__ import annotations

import gc
import hashlib
import json
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable, Hashable, Iterator, Mapping, TypeVar

from markupsafe import Markup

from ..errors import CaseErrors, Problem, display_path
from ..record.library import Library, find_case_files
from ..record.load import load_record
from ..record.model import Case, error_page_slug
from ..record.session import Session, cross_check, find_session_files, read_session
from . import bibliography, feed, listing_data, metadata, publish, related
from .render import (BIBLIOGRAPHY_PAGE, BIBLIOGRAPHY_PAGE_ENTRIES, LISTING_SLOT, PACKAGE_TEMPLATES, RELATED_SLOT,
                     SESSIONS_PAGE, ListingPage, Page, Renderer, RenderOptions, Row, SessionStep, all_tags, case_features,
                     in_navigation, listing_row, page_url, paginate, relative_url, session_page_uri)
from .view import PublicView, public_view

T = TypeVar("T")

STYLESHEET = "assets/grandrounds.css"  # made from templates/grandrounds.css
ASSETS = "assets"  # templates/assets/: fonts, fonts.css, print.css, scripts; the site's own win


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Output:
    """One file of the site."""

    path: str  # site path, POSIX ("x.md", "cite/x.summary.ris", "assets/grandrounds.css")
    kind: str  # case | draft | error | listing | download | feed | asset | figure | redirect
    text: str | None = None  # the content (pages: Markdown with front matter for MkDocs)
    source: Path | None = None  # a file copied as it is, when `text` is None
    record: Path | None = None  # the record it came from; None for what all cases make
    title: str | None = None  # pages: the title, plain text
    meta: Mapping[str, Any] = field(default_factory=dict)  # pages: front-matter values, raw
    slot: str | None = None  # pages: the HTML that replaces the page's slot marker
    head: str | None = None  # case pages: <head> metadata HTML (safe: built by `metadata`)
    nav: bool = False  # listed in the site's navigation (home, tags index, specialties' first pages ...)
    changed: bool = True  # differs from what the last build of the engine gave

    @property
    def is_page(self) -> bool:
        return self.path.endswith(".md")

    def fill(self, text: str) -> str:
        """`text` (this page, as Markdown or as the host's finished HTML) with the slot
        marker replaced by the slot's HTML."""
        if self.slot is None:
            return text
        return text.replace(LISTING_SLOT if self.kind == "listing" else RELATED_SLOT, self.slot, 1)

    def filled(self) -> str | None:
        """The page as a reader gets it (what `render --out` writes)."""
        return None if self.text is None else self.fill(self.text)

    def fingerprint(self, digest: bytes | None = None) -> Hashable:
        """What decides `changed`: the content, the slot, the kind (a draft made published)
        and the record (a renamed file moves the edit link). `digest`: the text's, if known."""
        if self.text is None:
            try:
                stat = self.source.stat() if self.source else None
            except OSError:
                stat = None
            content: Hashable = (str(self.source), stat and (stat.st_mtime_ns, stat.st_size))
        else:
            content = digest or text_digest(self.text)
        return (self.kind, content, self.slot, self.head, str(self.record))


@dataclass
class SiteBuild:
    """What one `SiteEngine.build()` made."""

    outputs: dict[str, Output]
    removed: list[str]  # paths of the last build that this one no longer makes
    problems: list[Problem]  # the records' problems (and template errors), file:line:col
    cases: list[Case]  # the cases shown
    library: Library

    def changed(self) -> list[Output]:
        return [o for o in self.outputs.values() if o.changed]

    def pages(self) -> list[Output]:
        return [o for o in self.outputs.values() if o.is_page]


# --------------------------------------------------------------------------- the memo


class Memo:
    """One memo for everything the engine derives: a value per (what, key), kept with the
    version of its inputs and recomputed when that version differs. `sweep()` forgets
    what was not asked for since the last sweep (what is gone)."""

    def __init__(self) -> None:
        self._values: dict[tuple[str, Hashable], tuple[Hashable, Any]] = {}
        self._used: set[tuple[str, Hashable]] = set()
        self.computed = 0  # how many values the last builds computed (tests read it)

    def get(self, what: str, key: Hashable, version: Hashable, compute: Callable[[], T]) -> T:
        slot = (what, key)
        self._used.add(slot)
        hit = self._values.get(slot)
        if hit is not None and hit[0] == version:
            return hit[1]
        value = compute()
        self._values[slot] = (version, value)
        self.computed += 1
        return value

    def put(self, what: str, key: Hashable, version: Hashable, value: Any) -> None:
        """Remember a value computed elsewhere (a page rendered in a worker process)."""
        self._values[(what, key)] = (version, value)

    def sweep(self) -> None:
        for slot in set(self._values) - self._used:
            del self._values[slot]
        self._used = set()

    def __len__(self) -> int:
        return len(self._values)


# --------------------------------------------------------------------------- assets


def asset_files(templates_dir: Path | None) -> dict[str, Path]:
    """The files of `templates/assets/` by site path (`assets/...`): the package's, each
    replaced by the site's own file of the same name."""
    found: dict[str, Path] = {}
    for root in (PACKAGE_TEMPLATES, templates_dir):
        folder = root / ASSETS if root else None
        if folder is not None and folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found[f"{ASSETS}/{path.relative_to(folder).as_posix()}"] = path
    return found


def stylesheets(templates_dir: Path | None) -> list[str]:
    """The site's stylesheets in the order they apply: fonts first, ours, the others by
    name, the print rules last."""
    names = [p for p in asset_files(templates_dir) if p.endswith(".css") and p.count("/") == 1]
    first, last = [p for p in names if p.endswith("/fonts.css")], [p for p in names if p.endswith("/print.css")]
    middle = [p for p in names if p not in first and p not in last]
    return [*first, STYLESHEET, *middle, *last]


def scripts(templates_dir: Path | None) -> list[str]:
    """The site's scripts (`assets/*.js`), by name."""
    return [p for p in asset_files(templates_dir) if p.endswith(".js") and p.count("/") == 1]


# --------------------------------------------------------------------------- the engine


def _generation(options: RenderOptions, templates_dir: Path | None) -> str:
    """A digest of what every output depends on besides the records: the options and the
    content of every template and asset file in use (the site's and the package's)."""
    digest = hashlib.sha1(repr(options).encode())
    folders = [f for f in (templates_dir, PACKAGE_TEMPLATES) if f is not None and f.is_dir()]
    files = [p for folder in folders for p in sorted(folder.iterdir()) if p.is_file()]
    for path in [*files, *asset_files(templates_dir).values()]:
        digest.update(str(path).encode())
        try:
            digest.update(path.read_bytes())
        except OSError:
            digest.update(b"?")
    return digest.hexdigest()


class SiteEngine:
    """The site made from a cases folder, rebuilt incrementally by `build()`."""

    def __init__(self, cases_dir: Path, templates_dir: Path | None = None,
                 options: RenderOptions = RenderOptions(), sessions_dir: Path | None = None) -> None:
        self.library = Library(Path(cases_dir))
        self.sessions_dir = sessions_dir
        self.sessions: list[Session] = []  # the sessions shown by the last build
        self.memo = Memo()
        self._last: dict[str, Hashable] = {}  # path -> fingerprint, last build
        self._texts: dict[str, tuple[str, bytes]] = {}  # path -> (text, its digest), last build
        self._last_good: dict[Path, Case] = {}  # preview: a record's last valid version
        self.templates_dir: Path | None = None
        self.configure(templates_dir, options)

    def configure(self, templates_dir: Path | None, options: RenderOptions) -> None:
        """Use these templates and options from the next build on (unchanged ones cost
        nothing: outputs are keyed by the content of what they depend on)."""
        generation = _generation(options, templates_dir)
        if generation != getattr(self, "generation", None) or templates_dir != self.templates_dir:
            self.templates_dir = templates_dir
            self.renderer = Renderer(templates_dir, options)  # compiles templates afresh
            self.generation = generation

    @property
    def options(self) -> RenderOptions:
        return self.renderer.options

    # build --------------------------------------------------------------------

    def build(self) -> SiteBuild:
        """The site as the folder holds it now; see the module docstring."""
        with _no_cyclic_gc():
            return self._build()

    def _build(self) -> SiteBuild:
        self.configure(self.templates_dir, self.options)  # a template edited since the last build
        files = find_case_files(self.library.cases_dir)
        changed = self.library.refresh(files, derive=self._derive)
        for path in changed:  # pages rendered beside the read, in a worker on a cold build
            derived, case = self.library.derived_for(path), self.library.case_for(path)
            if derived is not None and case is not None:
                self.memo.put("page", path, (case.version, self.generation), derived)
        problems = list(self.library.problems)
        outputs: dict[str, Output] = {}
        shown = self._shown(files)
        self._case_pages(files, outputs, problems)
        rows = [self._row(c) for c in shown]
        self._listings(rows, outputs)
        self._bibliography(shown, outputs)
        self.sessions = self._sessions(shown, outputs, problems)
        self._related(shown, {r.id: r for r in rows}, session_steps(self.sessions, self._session_title, shown), outputs)
        self._downloads(shown, outputs)
        self._redirects(shown, outputs, problems)
        self._feed(shown, outputs)
        self._assets(outputs)
        self._figures(shown, outputs)
        removed = sorted(set(self._last) - set(outputs))
        outputs = self._mark_changed(outputs)  # and remembers each output's fingerprint
        self.memo.sweep()
        return SiteBuild(outputs, removed, problems, shown, self.library)

    def _shown(self, files: list[Path]) -> list[Case]:
        """The cases listed: valid ones (drafts in preview), and in preview the last good
        version of a record broken now, so that a typo does not reshuffle the site."""
        preview = self.options.preview
        valid = self.library.cases
        for case in valid:
            self._last_good[Path(case.source_path or "")] = case
        for gone in set(self._last_good) - set(files):
            del self._last_good[gone]
        cases = list(valid)
        if preview:
            slugs = {c.slug for c in valid}
            cases += [self._last_good[p] for p in files if self.library.errors_for(p)
                      and p in self._last_good and self._last_good[p].slug not in slugs]
        return [c for c in cases if c.status == "published" or self.options.include_drafts]

    def _derive(self, case: Case) -> tuple[str, str] | None:
        """A case's page, rendered beside its read (in a worker process on a cold build)."""
        if case.status == "draft" and not self.options.include_drafts:
            return None
        return self._render_page(case)

    def _render_page(self, case: Case) -> tuple[str, str]:
        """("page", Markdown), or ("error", message) for a template that fails."""
        try:
            return "page", self.renderer.case_page(case)
        except Exception as exc:  # a bug in a site's template must not be a traceback
            return "error", f"template error while rendering this case: {type(exc).__name__}: {exc}"

    def _page(self, path: Path, case: Case) -> tuple[str, str]:
        return self.memo.get("page", path, (case.version, self.generation), lambda: self._render_page(case))

    # case pages ---------------------------------------------------------------

    def _case_pages(self, files: list[Path], outputs: dict[str, Output], problems: list[Problem]) -> None:
        """Each record's page: its case page; in preview, a broken record's last good page
        with its errors on top, or an error page."""
        valid = {id(c) for c in self.library.cases}
        preview = self.options.preview
        for path in files:
            case, errors = self.library.case_for(path), self.library.errors_for(path)
            if case is not None and id(case) not in valid:  # a duplicate id: the library reports it
                errors = CaseErrors([p for p in self.library.problems if Path(p.path).resolve() == path.resolve()])
                case = None
            if case is not None:
                if case.status == "draft" and not self.options.include_drafts:
                    continue
                kind, text = self._page(path, case)
                if kind == "error":
                    problems.append(Problem(display_path(path), 1, 1, text.split(": ", 1)[-1],
                                            "fix the site's template (templates/case.md.j2)"))
                    outputs[f"{case.slug}.md"] = self._error_page(path, text)
                    continue
                outputs[f"{case.slug}.md"] = self._case_output(path, case, text)
            elif errors is not None and preview:
                message = "\n".join(str(p) for p in errors.problems)
                last = self._last_good.get(path)
                if last is not None:
                    kind, text = self._page(path, last)
                    if kind == "page":
                        page = self._case_output(path, last, self.renderer.with_error_banner(text, message))
                        outputs[page.path] = page
                        continue
                out = self._error_page(path, message)
                outputs[out.path] = out

    def _case_output(self, path: Path, case: Case, text: str) -> Output:
        view = self._view(case)
        return Output(f"{case.slug}.md", "draft" if case.status == "draft" else "case", text, record=path,
                      title=view.title, meta=MappingProxyType({"title": view.title, "tags": all_tags(case)}),
                      slot="", head=self._head(path, case))

    def _error_page(self, path: Path, message: str) -> Output:
        uri = f"{error_page_slug(path)}.md"
        return Output(uri, "error", self.renderer.error_page(path.name, message), record=path,
                      title=f"Error in {path.name}")

    def _head(self, path: Path, case: Case) -> str:
        """The case page's <head> metadata (schema.org JSON-LD, Highwire, Open Graph)."""
        def make() -> str:
            options = self.options
            pdf = f"handouts/{case.slug}.pdf"
            info = metadata.PageInfo(
                site_name=options.site_title,
                page_url=metadata.absolute_url(options.site_url, page_url(f"{case.slug}.md", options.directory_urls)),
                pdf_url=metadata.absolute_url(options.site_url, pdf) if options.handouts else None,
                language=options.language, teaching_hide=options.teaching_hide)
            return str(metadata.head_html(case, info))
        return self.memo.get("head", path, (case.version, self.generation), make)

    # listings -----------------------------------------------------------------

    def _view(self, case: Case) -> PublicView:
        """`public_view(case)`, once per version of the record (and of the options)."""
        return self.memo.get("view", case.source_path, (case.version, self.generation),
                             lambda: public_view(case, self.options))

    def _row(self, case: Case) -> Row:
        return self.memo.get("row", case.source_path, (case.version, self.generation),
                             lambda: listing_row(case, self._view(case)))

    def _listings(self, rows: list[Row], outputs: dict[str, Output]) -> None:
        """The listing pages and the home filters' data scripts (`listing_data`, kind
        `download`). The scripts are made again when any row changed (a script whose text
        is the same is not marked changed, `_mark_changed`); each page is rendered again
        only when what it shows changed (its rows, names, counts), so an edit renders the
        few pages that list the case, not every tag and specialty page."""
        def make_data() -> tuple[dict[str, str], str]:
            data = self.renderer.home_data(rows)
            return data, listing_data.version(data)
        data, version = self.memo.get("home-data", "", (tuple(rows), self.generation), make_data)
        for page in self.renderer.listing(rows, version):
            def make(page: ListingPage = page) -> tuple[str, str]:
                slots: dict[str, str] = {}
                text = page.make(slots)
                return text, slots.get(page.uri, "")
            text, slot = self.memo.get("listing", page.uri, (page.shows, self.generation), make)
            outputs[page.uri] = Output(page.uri, "listing", text, slot=slot, title=_front_title(text),
                                       nav=in_navigation(page.uri))
        for path, text in data.items():
            outputs[path] = Output(path, "download", text)

    def _bibliography(self, shown: list[Case], outputs: dict[str, Output]) -> None:
        """The bibliography: each case's references prepared once per version of the
        record; merged once per set of (case, references); each page rendered once per
        content of its entries and titles of the cases citing them, so that a retitled
        case renders again only the pages that cite it."""
        prepared = {c.slug: self.memo.get("bib-items", c.source_path, c.version, lambda c=c: _prepared_references(c))
                    for c in shown}
        digests = {slug: digest for slug, (digest, _) in prepared.items()}
        entries = self.memo.get("bib-merge", "", tuple(digests.items()), lambda: bibliography.merge_prepared(
            (slug, "", items) for slug, (_, items) in prepared.items()))
        titles = {c.slug: self._view(c).title for c in shown}
        for page in paginate(BIBLIOGRAPHY_PAGE, entries, BIBLIOGRAPHY_PAGE_ENTRIES):
            content = tuple((e.key, tuple((c.case_id, c.ref_id, titles[c.case_id], digests[c.case_id])
                                          for c in e.cited_by)) for e in page.items)

            def make(page: Page = page) -> tuple[str, str]:
                slots: dict[str, str] = {}
                text = self.renderer.bibliography_page(page, titles, len(entries), slots)
                return text, slots.get(page.uri, "")
            text, slot = self.memo.get("bibliography", page.uri, (content, page.uris, len(entries), self.generation), make)
            outputs[page.uri] = Output(page.uri, "listing", text, slot=slot, title=_front_title(text),
                                       nav=in_navigation(page.uri))

    def _related(self, shown: list[Case], rows: dict[str, Row], steps: dict[str, tuple[SessionStep, ...]],
                 outputs: dict[str, Output]) -> None:
        """Each case page's slot: its related-case list and its place in the sessions that
        present it (`steps`). The scores are recomputed when some case's features changed,
        a page's HTML when its list, a listed row or its sessions did."""
        features = tuple(self.memo.get("features", c.source_path, c.version, lambda c=c: case_features(c))
                         for c in shown)
        ids = self.memo.get("related", "", features, lambda: related.related_cases(features))
        for case in shown:
            uri = f"{case.slug}.md"
            page = outputs.get(uri)
            if page is None or page.kind == "error":
                continue
            listed = tuple(rows[i] for i in ids.get(case.slug, []) if i in rows)
            unknown = self._view(case).unknown
            placed = steps.get(case.slug, ())
            html = self.memo.get("related-html", case.slug, (listed, unknown, placed, self.generation),
                                 lambda: self.renderer.related_html(case.slug, list(listed), hidden=unknown)
                                 + self.renderer.session_nav_html(case.slug, placed))
            outputs[uri] = replace(page, slot=html)

    # sessions -------------------------------------------------------------------

    def _sessions(self, shown: list[Case], outputs: dict[str, Output], problems: list[Problem]) -> list[Session]:
        """A page per teaching session (`sessions/<id>.md`) and the Sessions page, newest
        first. A session file's problems, and its cross-checks against the library (an
        unknown case id, a draft case in a published session), are problems at their line."""
        sessions: list[Session] = []
        for path in find_session_files(self.sessions_dir):
            try:
                stat = path.stat()
            except OSError:
                continue
            read = self.memo.get("session", path, (stat.st_mtime_ns, stat.st_size), lambda p=path: _read_session(p))
            if isinstance(read, list):
                problems += read
                continue
            found = cross_check(read, self.library.cases)
            problems += found
            if not found and (read.status == "published" or self.options.include_drafts):
                sessions.append(read)
        if not sessions:
            return []
        sessions.sort(key=lambda s: (s.date, s.title.lower()), reverse=True)
        by_id = {c.slug: c for c in shown}
        for session in sessions:
            cases = [by_id[i] for i in session.cases if i in by_id]
            listed = tuple((c.slug, c.version) for c in cases)
            uri = session_page_uri(session.id)
            text = self.memo.get("session-page", session.id, (session, listed, self.generation),
                                 lambda s=session, c=cases: self.renderer.session_page(
                                     s, [(self._session_title(s, case, n), self._row(case))
                                         for n, case in enumerate(c, 1)]))
            outputs[uri] = Output(uri, "listing", text, title=session.title, record=Path(session.source_path))
        text = self.memo.get("sessions", "", (tuple(sessions), self.generation),
                             lambda: self.renderer.sessions_page(sessions))
        outputs[SESSIONS_PAGE] = Output(SESSIONS_PAGE, "listing", text, title="Sessions", nav=True)
        return sessions

    def _session_title(self, session: Session, case: Case, number: int) -> str:  # see session_steps
        """The case's title on a session's page: in an unknown session its teaching title,
        else "Case N"; otherwise what a reader sees first (`public_view`)."""
        if session.unknown:
            return getattr(case.teaching, "title", None) or f"Case {number}"
        return self._view(case).title

    # downloads, feed, assets, figures --------------------------------------------

    def _downloads(self, shown: list[Case], outputs: dict[str, Output]) -> None:
        for case in shown:
            files = self.memo.get("downloads", case.source_path, (case.version, self.generation),
                                  lambda c=case: self.renderer.citation_files(c))
            record = Path(case.source_path or "")
            for path, text in files.items():
                outputs[path] = Output(path, "download", text, record=record)

    def _redirects(self, shown: list[Case], outputs: dict[str, Output], problems: list[Problem]) -> None:
        """A redirect page at the URL of each former id (`aliases:`), so old links and
        bookmarks keep working after an id is renamed. An alias that another case or page
        already uses is an error at its line."""
        options = self.options
        for case in shown:
            for i, alias in enumerate(case.aliases):
                url = page_url(f"{alias}.md", options.directory_urls)
                path = url + "index.html" if url.endswith("/") else url
                if f"{alias}.md" in outputs or path in outputs:
                    record = Path(case.source_path or "")
                    where = load_record(record).where(("aliases", i))
                    problems.append(Problem(display_path(record), where.line, where.col,
                                            f"alias '{alias}' is the URL of another case or page",
                                            "remove the alias, or rename the other case"))
                    continue
                target = relative_url(page_url(f"{case.slug}.md", options.directory_urls), url)
                title = self._view(case).title
                html = self.memo.get("redirect", (case.slug, alias), (target, title),
                                     lambda t=target, title=title: redirect_page(t, title))
                outputs[path] = Output(path, "redirect", html, record=Path(case.source_path or ""))

    def _feed(self, shown: list[Case], outputs: dict[str, Output]) -> None:
        entries = feed.newest([c for c in shown if c.status == "published"])
        options = self.options

        def make() -> str:
            return feed.atom_feed(entries, site_name=options.site_title, site_url=options.site_url,
                                  directory_urls=options.directory_urls, teaching_hide=options.teaching_hide)
        text = self.memo.get("feed", "", (tuple((c.slug, c.version) for c in entries), self.generation), make)
        outputs[feed.FEED_PATH] = Output(feed.FEED_PATH, "feed", text)

    def _assets(self, outputs: dict[str, Output]) -> None:
        outputs[STYLESHEET] = Output(STYLESHEET, "asset", self.renderer.stylesheet())
        for path, source in asset_files(self.templates_dir).items():
            outputs.setdefault(path, Output(path, "asset", source=source))

    def _figures(self, shown: list[Case], outputs: dict[str, Output]) -> None:
        """The figures of the shown cases that may leave the cases folder (`publish`)."""
        cases_dir = self.library.cases_dir
        for case in shown:  # each record's once per version: an edit checks its own figures
            files = self.memo.get("figures", case.source_path, case.version,
                                  lambda case=case: publish.figure_files([case], cases_dir))
            for relative in files:
                if relative not in outputs:
                    outputs[relative] = Output(relative, "figure", source=cases_dir / relative)

    def _mark_changed(self, outputs: dict[str, Output]) -> dict[str, Output]:
        """Each output with `changed` against the last build; each fingerprint kept for the
        next build. A text is digested once: an output whose text is the very string of
        the last build (a memo's value, kept) reuses its digest."""
        texts: dict[str, tuple[str, bytes]] = {}
        prints = {}
        for path, out in outputs.items():
            digest = None
            if out.text is not None:
                last = self._texts.get(path)
                digest = last[1] if last is not None and last[0] is out.text else text_digest(out.text)
                texts[path] = (out.text, digest)
            prints[path] = out.fingerprint(digest)
        marked = {path: replace(out, changed=self._last.get(path) != prints[path]) for path, out in outputs.items()}
        self._last, self._texts = prints, texts
        return marked


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector during a build. A build makes hundreds of
    thousands of short-lived objects (citers, rows, fingerprints) that reference counting
    frees; with a thousand cases' models alive, each collection they trigger walks them all
    (measured: 0.5 s of a 0.8 s bibliography merge at 1,000 cases). Collected after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def session_steps(sessions: list[Session], title: Callable[[Session, Case, int], str],
                  shown: list[Case]) -> dict[str, tuple[SessionStep, ...]]:
    """Each shown case's place in every session that presents it (by case id), for present
    mode to go from case to case: the session's cases as its page lists them (the shown
    ones, in its order), each under `title(session, case, number)`."""
    by_id = {c.slug: c for c in shown}
    steps: dict[str, list[SessionStep]] = {}
    for session in sessions:
        cases = [by_id[i] for i in session.cases if i in by_id]
        for n, case in enumerate(cases, 1):
            steps.setdefault(case.slug, []).append(SessionStep(
                session.id, session.title, n, len(cases), title(session, case, n), session.unknown,
                f"{cases[n - 2].slug}.md" if n > 1 else None, f"{cases[n].slug}.md" if n < len(cases) else None))
    return {slug: tuple(found) for slug, found in steps.items()}


def text_digest(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def _prepared_references(case: Case) -> tuple[str, list[bibliography.Prepared]]:
    """(a digest of the case's references, them `prepare`d for the bibliography's merge):
    the digest changes when the references do, not when the rest of the record does."""
    items = case.reference_items()
    digest = hashlib.sha1(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()
    return digest, bibliography.prepare(items)


def redirect_page(target: str, title: str) -> str:
    """A static page that sends the reader on to `target` (a relative URL), with a link
    for browsers that do not follow the refresh, and asks search engines not to index it."""
    return str(Markup(
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>{title}</title>\n'
        '<meta name="robots" content="noindex">\n<link rel="canonical" href="{target}">\n'
        '<meta http-equiv="refresh" content="0; url={target}">\n</head>\n'
        '<body>\n<p>This case has moved: <a href="{target}">{title}</a>.</p>\n</body>\n</html>\n'
    ).format(target=target, title=title))


def _read_session(path: Path) -> Session | list[Problem]:
    try:
        return read_session(path)
    except CaseErrors as exc:
        return exc.problems


def _front_title(markdown: str) -> str | None:
    """The `title:` of a generated page's front matter: JSON as `render.meta_value` writes
    it, or any YAML scalar (a site's template may write `title: Tags`), as MkDocs reads it."""
    import json

    import yaml

    for line in markdown.splitlines()[1:]:
        if line == "---":
            break
        if line.startswith("title: "):
            value = line[len("title: "):]
            try:
                title = json.loads(value)
            except json.JSONDecodeError:
                try:
                    title = yaml.safe_load(value)
                except yaml.YAMLError:
                    return None
            return title if isinstance(title, str) else None
    return None


def build_site(cases_dir: Path, templates_dir: Path | None, options: RenderOptions,
               sessions_dir: Path | None = None) -> SiteBuild:
    """The whole site, once (`grandrounds render --out`)."""
    return SiteEngine(cases_dir, templates_dir, options, sessions_dir=sessions_dir).build()
