"""Shared helpers for the grandrounds tests: paths, writing records, building sites, HTML."""

from __future__ import annotations

import contextlib
import http.server
import os
import re
import shutil
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (where mkdocs.yml, cases/ and templates/ are)."""
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"

SEED_ITEMS_FILE = FIXTURES / "seed-references.csl.json"
SEED_NATURE_LINES = (FIXTURES / "seed-references.nature.txt").read_text(encoding="utf-8").splitlines()

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63606060f80f00010401005f5a8bb9"
    "0000000049454e44ae426082"
)
"""A valid 1x1 PNG, for figure files."""


# --------------------------------------------------------------------------- records


def write_case(tmp_path: Path, name: str, text: str) -> Path:
    """Write a record (dedented) to `tmp_path/cases/<name>` (`.yaml` added when no suffix)."""
    if not Path(name).suffix:
        name += ".yaml"
    path = tmp_path / "cases" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `grandrounds ARGV` in-process; return (exit code, stdout, stderr)."""
    from grandrounds.cli import main

    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- sites


def project_config(search: str = "material") -> str:
    """The repository's mkdocs.yml with the plugin options every test build uses (see
    `copy_project`)."""
    config = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "  - grandrounds:\n" in config
    options = "      check_warnings: info\n" + ("" if search == "pagefind" else f"      search: {search}\n")
    return config.replace("  - grandrounds:\n", "  - grandrounds:\n" + options, 1)


def copy_project(dest: Path, search: str = "material") -> Path:
    """Copy mkdocs.yml, cases/ and templates/ of the repository into `dest`. `search`: the
    plugin's `search` option for `mkdocs build`. Most tests read or use Material's search
    (what `serve` always runs); the example's default, Pagefind, is tested with
    `search="pagefind"` (tests/test_pagefind.py, tests/test_unknown_case.py). `check`'s
    warnings are logged as information (`check_warnings: info`), so that `run_mkdocs`'s
    strict mode fails on what MkDocs warns of."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "mkdocs.yml").write_text(project_config(search), encoding="utf-8")
    shutil.copytree(ROOT / "cases", dest / "cases")
    shutil.copytree(ROOT / "templates", dest / "templates")
    return dest


def run_mkdocs(project: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` in `project`; output (stdout+stderr) in `.stdout`. Not `-q`:
    MkDocs drops warnings before strict mode counts them, and the build would pass whatever
    MkDocs warned of (`copy_project` logs `check`'s warnings as information instead: the
    test records are not CARE-complete)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=timeout,
    )


def build_project(dest: Path, prepare: Callable[[Path], None] | None = None, search: str = "material") -> Path:
    """Copy the project to `dest`, let `prepare(dest)` change it, build it; fail on errors."""
    copy_project(dest, search)
    if prepare:
        prepare(dest)
    result = run_mkdocs(dest)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}"
    return dest / "site"


# --------------------------------------------------------------------------- HTML

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr"}


class Node:
    """An HTML element: tag, attributes, children (Nodes and text strings)."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None" = None):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def __repr__(self) -> str:
        return f"<Node {self.tag} {self.attrs}>"

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list["Node"]:
        """Descendants (self included) with the tag, a class and attribute values
        (`id_="x"` for `id`)."""
        found = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if cls and cls not in node.classes:
                continue
            if any(node.attrs.get(k.rstrip("_")) != v for k, v in attrs.items()):
                continue
            found.append(node)
        return found

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> "Node | None":
        hits = self.find_all(tag, cls, **attrs)
        return hits[0] if hits else None

    def text(self, skip_classes: tuple[str, ...] = ("headerlink",)) -> str:
        """The text content, entities decoded, without elements of `skip_classes`
        (by default the `¶` permalinks of headings)."""
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif not set(child.classes) & set(skip_classes):
                parts.append(child.text(skip_classes))
        return "".join(parts)

    def squashed(self) -> str:
        """`text()` with runs of white space made one space, stripped."""
        return re.sub(r"\s+", " ", self.text()).strip()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs), self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def json_strings(value) -> list[str]:
    """Every string inside parsed JSON (keys included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in [k, *json_strings(v)]]
    if isinstance(value, list):
        return [s for v in value for s in json_strings(v)]
    return []


def parse_html(text: str) -> Node:
    """Parse HTML into a `Node` tree (standard library only)."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def read_html(path: Path) -> Node:
    return parse_html(path.read_text(encoding="utf-8"))


def article(doc: Node) -> Node:
    """The page content of a Material page (`article.md-content__inner`)."""
    node = doc.find("article", cls="md-content__inner")
    assert node is not None, "no <article class='md-content__inner'> in the page"
    return node


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# --------------------------------------------------------------------------- serving and browsers

CHROMIUM = Path(os.environ.get("GRANDROUNDS_CHROMIUM", "/usr/bin/chromium"))
"""Debian's chromium, driven by Playwright (never a downloaded browser)."""
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder under a URL prefix (`/` or e.g. `/repo/`); anything else is a 404."""

    prefix = "/"

    def _url_path(self) -> str:
        return self.path.split("?", 1)[0].split("#", 1)[0]

    def translate_path(self, path: str) -> str:
        return super().translate_path("/" + path[len(self.prefix):])

    def send_head(self):  # noqa: ANN201 - http.server's signature
        if not self._url_path().startswith(self.prefix):
            self.send_error(404, "outside the served prefix")
            return None
        return super().send_head()

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - http.server's signature
        pass


@contextlib.contextmanager
def serve_directory(root: Path, prefix: str = "/", port: int = 0) -> Iterator[str]:
    """Serve `root` over HTTP on 127.0.0.1 under the URL `prefix` (a threaded
    `http.server` in a background thread); yield the base URL, e.g.
    'http://127.0.0.1:41234/repo/'. Paths outside the prefix are 404s."""
    import functools
    import threading

    assert prefix.startswith("/") and prefix.endswith("/"), prefix
    handler = type("Handler", (_QuietHandler,), {"prefix": prefix})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", port), functools.partial(handler, directory=str(root)))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="test-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{prefix}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def chromium():
    """A headless Debian chromium (Playwright) for one test module. Not for the session:
    while Playwright runs it keeps a thread alive, and `parallel.can_fork()` refuses to
    fork with other threads alive, so later modules would lose their forked path. Fails,
    rather than skips, when chromium or Playwright is missing, saying how to install them."""
    how = ("install it with `bash tools/install-system-deps.sh` (Debian/Ubuntu: "
           "`apt-get install chromium`) or run `make test`, which does; set "
           "GRANDROUNDS_CHROMIUM to use a chromium elsewhere")
    if not CHROMIUM.exists():
        pytest.fail(f"the browser tests need Debian's chromium at {CHROMIUM}: {how}", pytrace=False)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need the Python package playwright: "
                    "pip install -e '.[test]' (or `make test`)", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


# --------------------------------------------------------------------------- settled browser states
#
# A browser test reads the page only once it has settled: never after a fixed sleep, and
# never a count that the page may still be changing (Material adds search results in
# chunks and replaces them on every query; colours change through CSS transitions).

BROWSER_TIMEOUT = 30_000
"""ms for one browser action or wait: generous, because the machine may be loaded."""
NAVIGATION_TIMEOUT = 60_000

_MATERIAL_TEXTS = "JSON.parse(document.getElementById('__config').textContent).translations"

SEARCH_READY = f"""() => {{
    const meta = document.querySelector('.md-search-result__meta');
    return !!meta && meta.textContent.trim() === {_MATERIAL_TEXTS}['search.result.placeholder'];
}}"""
"""True once Material's search worker has loaded the index and is ready for queries."""

SEARCH_RESULTS = rf"""() => {{
    const t = {_MATERIAL_TEXTS};
    const meta = document.querySelector('.md-search-result__meta');
    const list = document.querySelector('.md-search-result__list');
    if (!meta || !list) return null;
    const text = meta.textContent.trim();
    const [before, after] = t['search.result.other'].split('#');  // "# matching documents"
    const number = text.slice(before.length, text.length - after.length);
    const count = text === t['search.result.none'] ? 0 : text === t['search.result.one'] ? 1
        : text.startsWith(before) && text.endsWith(after) && /^\d+$/.test(number) ? Number(number)
        : null;
    // Material renders the first ten results at once, the rest later in chunks
    if (count === null || list.children.length < Math.min(10, count)) return null;
    return {{count, hrefs: Array.from(list.querySelectorAll('a.md-search-result__link'), a => a.href)}};
}}"""
"""The result count and the links of the current query's rendered results, or null while
there are none yet (the meta line still says "Initializing" or "Type to start searching")."""


def search(page, query: str) -> tuple[int, list[str]]:
    """Run one Material search for `query` in `page`; return (the number of matching
    documents, the absolute URLs of the first results' links).

    The whole query is put in the box at once and then a key is released: Material reads
    the query on keyup (and on focus), so it sees exactly one query, this one; typing it
    letter by letter sent a query per letter, and results of a shorter query could still be
    replacing the list when the test read it (the `links.count()` / `nth(21)` failure).
    The results are read in one step once the meta line reports this query's count."""
    box = page.locator("input.md-search__input")
    if not box.is_visible():  # narrow screens: open the search first
        page.locator("label.md-header__button[for='__search']").click()
    box.click()
    box.fill(query)
    box.press("End")
    found = page.wait_for_function(SEARCH_RESULTS, timeout=BROWSER_TIMEOUT).json_value()
    return found["count"], found["hrefs"]


def wait_for_transitions(page) -> None:
    """Wait until every finite CSS transition and animation of the page has finished, so
    computed colours are the final ones, not a value halfway through a theme change."""
    page.evaluate("""() => Promise.all(document.getAnimations()
        .filter(a => a.effect && a.effect.getComputedTiming().endTime !== Infinity)
        .map(a => a.finished.catch(() => null)))""")
