"""Search in the published site: Pagefind's index of a built site, and the one mark that keeps
a section out of every search index.

Owns:
- `index_site(site_dir)`: a built site folder -> its `pagefind/` bundle (index chunks,
  fragments, the WebAssembly and `pagefind.js`), through the `pagefind` package's Python API
  and the binary of `pagefind[bin]` (both from PyPI; nothing is downloaded at build time and
  the bundle makes no request outside the site). Only pages marked `data-pagefind-body` (the
  case pages) are indexed; heading permalinks (`.headerlink`) and everything marked by
  `search_exclude` are left out.
- `cmd_index(args)`: `grandrounds index SITE`, for sites built by another engine.
- `search_exclude`: the Jinja helper every template uses for an excluded section: Material's
  and Zensical's `data-search-exclude` plus Pagefind's `data-pagefind-ignore="all"` (plain
  `data-pagefind-ignore` would still index filters inside, and Pagefind indexes `<details>`).

Does not own: which pages are case pages (the page template writes `data-pagefind-body`), the
search box (templates/assets/search.js), or when a host runs the indexer (the MkDocs plugin
after `mkdocs build`; `mkdocs serve` keeps Material's incremental search).

Result URLs are stored relative to the site root ("/case-id/"); the search box prefixes the
root's path, found from its own script's URL at run time. Where the site is published that is
the path of `site_url` (GitHub project sites: "/repo/"), and the same build stays right when
served anywhere else (a preview, an intranet copy, a test server).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from markupsafe import Markup

from ..errors import Problem, display_path

BUNDLE = "pagefind"
"""The bundle's folder in the site (Pagefind's default, which its own scripts expect)."""
EXCLUDE_ATTRIBUTES = 'data-search-exclude data-pagefind-ignore="all"'
IGNORED_SELECTORS = (".headerlink", "[data-search-exclude]", "details.gr-reveal", "details.gr-answer")
"""Never indexed, whatever the template: heading permalinks, anything marked for Material's
search (a heading marked alone keeps its own text out), and the teaching rule's hidden
content (a section behind its reveal, a question's answer), so a site's own case template
that forgets `search_exclude` still cannot put hidden text in the index."""
INSTALL_HINT = "install it with pip install 'pagefind[bin]' (the grandrounds package depends on it)"


# --------------------------------------------------------------------------- the template helper


def search_exclude(caller: Any = None) -> Markup:
    """Keep something out of every search index (a Jinja global).

    `{{ search_exclude() }}` gives the attributes, for an HTML element
    (`<section {{ search_exclude() }}>`) or a Markdown heading's attribute list
    (`## References { #references {{ search_exclude() }} }`).
    `{% call search_exclude() %}...{% endcall %}` wraps a Markdown section (its heading,
    itself marked as above, and its content) in a `<div markdown="1">` carrying them, because
    Pagefind ignores an element and what it holds, not the siblings after a heading. The
    blank lines keep the content Markdown for Python-Markdown (md_in_html) and CommonMark."""
    if caller is None:
        return Markup(EXCLUDE_ATTRIBUTES)
    body = str(caller()).strip("\n")
    return Markup(f'<div class="gr-search-exclude" {EXCLUDE_ATTRIBUTES} markdown="1">\n\n{body}\n\n</div>')


# --------------------------------------------------------------------------- indexing


def index_site(site_dir: Path, site_url: str | None = None) -> list[Problem]:
    """Index the built site in `site_dir` with Pagefind into `site_dir/pagefind/`, replacing
    the bundle of a previous run whole (written to a hidden staging folder in the site, then
    renamed into place; a failed run leaves the old bundle as it was).
    `site_url` is accepted for the hosts' sake and not needed (see the module docstring).
    Returns the problems (a missing folder or binary, a failed run) as values."""
    del site_url  # result URLs are root-relative; the search box adds the root's path
    site_dir = Path(site_dir)
    problem = _site_problem(site_dir)
    if problem:
        return [problem]
    from pagefind.service import get_executable

    if get_executable() is None:
        return [Problem(display_path(site_dir), 1, 1, "the Pagefind binary is not installed", INSTALL_HINT)]
    if not _has_body_mark(site_dir):  # Pagefind would index every page: listings, tags, the bibliography
        return [Problem(display_path(site_dir), 1, 1, "no page to index: no HTML page holds data-pagefind-body",
                        "build the site with the grandrounds templates (case pages carry the mark)")]
    staging = Path(tempfile.mkdtemp(prefix=".pagefind-", dir=site_dir))
    try:
        _run(_index(site_dir, staging))
        _swap_in(staging, site_dir / BUNDLE)
    except Exception as exc:  # noqa: BLE001 - the Pagefind service reports failures as any exception
        return [Problem(display_path(site_dir), 1, 1, f"Pagefind failed: {exc}",
                        "check that the folder holds a built site; run again with a fresh build")]
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return []


def _site_problem(site_dir: Path) -> Problem | None:
    where = display_path(site_dir)
    if not site_dir.is_dir():
        return Problem(where, 1, 1, "no such folder", "give the folder of a built site (e.g. site/ after mkdocs build)")
    if not (site_dir / "index.html").is_file() and next(site_dir.rglob("*.html"), None) is None:
        return Problem(where, 1, 1, "no HTML page in the folder", "build the site first (mkdocs build)")
    return None


def _has_body_mark(site_dir: Path) -> bool:
    """Whether some page is marked for indexing (read until the first one that is)."""
    for path in site_dir.rglob("*.html"):
        if BUNDLE not in path.relative_to(site_dir).parts[:1]:
            try:
                if b"data-pagefind-body" in path.read_bytes():
                    return True
            except OSError:
                continue
    return False


def _run(coroutine: Any) -> Any:
    """Run the indexing coroutine to its end, also when the caller is inside an event loop
    (a host that is itself async): then in a thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _index(site_dir: Path, out: Path) -> None:
    """Index `site_dir` into `out`."""
    from pagefind.index import IndexConfig, PagefindIndex

    config = IndexConfig(exclude_selectors=list(IGNORED_SELECTORS), output_path=str(out))
    async with PagefindIndex(config=config) as index:
        await index.add_directory(str(site_dir), glob="**/*.html")


def _swap_in(staging: Path, bundle: Path) -> None:
    old = None
    if bundle.exists():
        old = bundle.with_name(f".{BUNDLE}-old")
        shutil.rmtree(old, ignore_errors=True)
        bundle.rename(old)
    staging.rename(bundle)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def indexed_pages(site_dir: Path) -> int:
    """How many pages the site's Pagefind bundle holds (0 without a bundle)."""
    try:
        entry = json.loads((Path(site_dir) / BUNDLE / "pagefind-entry.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    return sum(int(lang.get("page_count", 0)) for lang in entry.get("languages", {}).values())


# --------------------------------------------------------------------------- the command


def add_index_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `grandrounds index` (the CLI registers the sub-command)."""
    parser.add_argument("site", type=Path, metavar="SITE", help="the folder of the built site (e.g. site)")


def cmd_index(args: argparse.Namespace) -> int:
    """`grandrounds index SITE`: write SITE/pagefind/; problems as file:line:col lines, exit 1."""
    problems = index_site(args.site)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        return 1
    print(f"{indexed_pages(args.site)} pages indexed into {display_path(Path(args.site) / BUNDLE)}", file=sys.stderr)
    return 0
