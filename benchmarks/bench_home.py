"""The home page at 1,000 and 10,000 cases: bytes at load, bytes and time of the first filter and sort.

    python benchmarks/bench_home.py                    # N = 1000
    python benchmarks/bench_home.py --sizes 1000,10000 # a 10,000-case build takes ~10 min
    python benchmarks/bench_home.py --site DIR/site    # measure a site built already

Issue 12, item 4. For each N it generates N synthetic cases (bench_build.generate_site: the
same records as bench_build.py), builds them with `mkdocs build` and the repository's
mkdocs.yml (Pagefind search, as published), serves the built site over HTTP with gzip (as
GitHub Pages does: every response compressed, level 6) and measures in Debian's chromium
(Playwright), each in a fresh browser context (a cold cache):

  load        the home page until assets/filters.js has shown its first rows: bytes over
              the wire (gzip) for the page and what it loads itself (HTML, grandrounds'
              scripts, stylesheets and fonts, the data files), the theme's own CSS/JS apart;
  filter      the first filter change (the commonest specialty; a typed word; its first
              letter alone, which loads every word chunk of that letter): the
              bytes it fetched and the time from the change to its rows in the table
              (performance.now() in the page, to the next animation frame after the rows
              are in the DOM);
  sort        the first sort by each column: bytes and time the same way.

Targets (issue 12): load <= 300 KB gzip (theme apart), the first filter or sort <= 300 KB
more, a filter change shows its rows within 0.3 s. Printed side by side; `uptime` too
(a loaded machine is slower; judge times on a quiet one).
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_build import CHROMIUM, CHROMIUM_ARGS, ensure_browser, generate_site, log  # noqa: E402

TARGET_LOAD_KB = 300
TARGET_FIRST_KB = 300
TARGET_FILTER_S = 0.3
SETTLED = "table#gr-cases[data-gr-shown]:not([aria-busy])"
THEME = ("assets/javascripts/", "assets/stylesheets/", "assets/images/")
COLUMNS = ("title", "specialty", "patient", "diagnosis", "date")

# In the page: make a change, wait until filters.js has shown its rows, then one frame.
CHANGE = """async ([kind, target, value]) => {
    const table = document.getElementById("gr-cases");
    const before = table.getAttribute("data-gr-shown");
    const done = new Promise(resolve => {
        const observer = new MutationObserver(() => {
            if (!table.hasAttribute("aria-busy") && table.getAttribute("data-gr-shown") !== before) {
                observer.disconnect();
                requestAnimationFrame(() => resolve(performance.now()));
            }
        });
        observer.observe(table, {attributes: true});
    });
    const t0 = performance.now();
    if (kind === "sort") {
        document.querySelector(`th[data-column='${target}'] button.gr-sort`).click();
    } else {
        const field = document.getElementById(target);
        field.value = value;
        field.dispatchEvent(new Event("input", {bubbles: true}));
        if (field.tagName === "SELECT") { field.dispatchEvent(new Event("change", {bubbles: true})); }
    }
    return (await done) - t0;
}"""


# --------------------------------------------------------------------------- a gzip server


class _Log:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: list[tuple[str, int, int]] = []  # (site path, bytes, gzip bytes)

    def take(self) -> list[tuple[str, int, int]]:
        with self.lock:
            entries, self.entries = self.entries, []
        return entries


def _handler(root: Path, log_: _Log) -> type[http.server.BaseHTTPRequestHandler]:
    class Gzip(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            path = self.translate_path(self.path)
            if os.path.isdir(path):
                if not self.path.split("?")[0].endswith("/"):
                    self.send_response(301)
                    self.send_header("Location", self.path.split("?")[0] + "/")
                    self.end_headers()
                    return
                path = os.path.join(path, "index.html")
            try:
                body = Path(path).read_bytes()
            except OSError:
                self.send_error(404)
                return
            packed = gzip.compress(body, compresslevel=6)
            site_path = os.path.relpath(path, root).replace(os.sep, "/")
            with log_.lock:
                log_.entries.append((site_path, len(body), len(packed)))
            self.send_response(200)
            self.send_header("Content-Type", self.guess_type(path))
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(packed)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(packed)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Gzip


@contextmanager
def gzip_server(root: Path) -> Iterator[tuple[str, _Log]]:
    log_ = _Log()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(root, log_))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", log_
    finally:
        server.shutdown()
        server.server_close()


# --------------------------------------------------------------------------- measuring


def kind_of(path: str) -> str:
    if path.startswith(THEME):
        return "theme"
    if path.startswith("index/cases/"):
        return "data"
    if path.startswith("assets/"):
        return "grandrounds assets"
    return "html"


def summed(entries: list[tuple[str, int, int]]) -> dict[str, Any]:
    by_kind: dict[str, list[int]] = {}
    for path, raw, packed in entries:
        totals = by_kind.setdefault(kind_of(path), [0, 0, 0])
        totals[0] += 1
        totals[1] += raw
        totals[2] += packed
    own = [e for e in entries if kind_of(e[0]) != "theme"]
    return {"kinds": by_kind, "files": len(own), "gzip": sum(e[2] for e in own), "raw": sum(e[1] for e in own)}


def commonest_specialty(site: Path) -> str:
    text = (site / "index" / "cases" / "facets.js").read_text(encoding="utf-8")
    facets = json.loads(text[text.index(",") + 1:text.rindex(")")])
    codes = facets["facets"]["specialty"]
    counts: dict[int, int] = {}
    for c in codes["rows"]:
        for code in (c if isinstance(c, list) else [] if c is None else [c]):
            counts[code] = counts.get(code, 0) + 1
    return codes["values"][max(counts, key=counts.__getitem__)]


def common_word(site: Path) -> str:
    """A word prefix of 4 letters that many titles share (from the word index)."""
    best, size = "", 0
    for path in (site / "index" / "cases").glob("words-*.js"):
        text = path.read_text(encoding="utf-8")
        for word, positions in json.loads(text[text.index(",") + 1:text.rindex(")")]).items():
            if len(word) >= 5 and word.isalpha() and len(positions) > size:
                best, size = word, len(positions)
    return best[:4]


def measure(site: Path, repeats: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    result: dict[str, Any] = {"home_html": (site / "index.html").stat().st_size,
                              "home_html_gzip": len(gzip.compress((site / "index.html").read_bytes(), 6))}
    data = list((site / "index" / "cases").glob("*.js"))
    result["data_files"] = len(data)
    result["data_kb"] = sum(p.stat().st_size for p in data) / 1024
    result["largest_data_kb"] = max(p.stat().st_size for p in data) / 1024
    specialty, word = commonest_specialty(site), common_word(site)
    result["specialty"], result["word"] = specialty, word
    with gzip_server(site) as (url, log_), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def fresh() -> Any:
            context = browser.new_context(base_url=url)
            tab = context.new_page()
            log_.take()
            tab.goto("")
            tab.wait_for_selector(SETTLED, state="attached", timeout=120_000)
            return context, tab

        def change(kind: str, target: str, value: str = "") -> tuple[float, dict[str, Any]]:
            context, tab = fresh()
            loaded = summed(log_.take())
            seconds = tab.evaluate(CHANGE, [kind, target, value]) / 1000
            fetched = summed(log_.take())
            context.close()
            return seconds, {"load": loaded, "first": fetched}

        context, tab = fresh()
        result["load"] = summed(log_.take())
        context.close()
        runs = {"filter: specialty": ("filter", "gr-filter-specialty", specialty),
                f"filter: words '{word}'": ("filter", "gr-filter-q", word),
                f"filter: words '{word[0]}'": ("filter", "gr-filter-q", word[0]),  # every chunk of a letter
                **{f"sort: {c}": ("sort", c, "") for c in COLUMNS}}
        result["runs"] = {}
        for name, (kind, target, value) in runs.items():
            times, first = [], None
            for _ in range(repeats):
                seconds, bytes_ = change(kind, target, value)
                times.append(seconds)
                first = bytes_["first"]
            result["runs"][name] = {"times": times, "first": first}
        browser.close()
    return result


# --------------------------------------------------------------------------- main


def build(n: int, work: Path) -> tuple[Path, float]:
    root = work / f"site-{n}"
    log(f"N={n}: generating cases")
    generate_site(root, n)
    log(f"N={n}: mkdocs build (with Pagefind)")
    t0 = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "-q"], cwd=root, capture_output=True, text=True,
                            env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    if result.returncode != 0:
        raise SystemExit(f"mkdocs build failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return root / "site", time.perf_counter() - t0


def _ok(good: bool) -> str:
    return "ok" if good else "OVER"


def report(n: int | str, result: dict[str, Any]) -> None:
    load = result["load"]
    print(f"\n== home page, N = {n} ==   (uptime: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} load)")
    print(f"home HTML                 {result['home_html'] / 1024:8.1f} KB   gzip {result['home_html_gzip'] / 1024:7.1f} KB")
    print(f"data files                {result['data_files']:8d} files, {result['data_kb']:.0f} KB in all, "
          f"largest {result['largest_data_kb']:.1f} KB")
    print(f"at load (gzip, over the wire; theme apart):")
    for kind, (files, raw, packed) in sorted(load["kinds"].items()):
        print(f"    {kind:<22}{files:4d} files {raw / 1024:9.1f} KB  gzip {packed / 1024:8.1f} KB")
    print(f"    {'page + its own files':<22}{load['files']:4d} files {load['raw'] / 1024:9.1f} KB  gzip "
          f"{load['gzip'] / 1024:8.1f} KB   target <= {TARGET_LOAD_KB} KB [{_ok(load['gzip'] / 1024 <= TARGET_LOAD_KB)}]")
    print(f"first change (fresh tab each; time: change -> rows shown, median of runs; bytes it fetched, gzip):")
    for name, run in result["runs"].items():
        median = statistics.median(run["times"])
        kb = run["first"]["gzip"] / 1024
        print(f"    {name:<24} {median * 1000:7.0f} ms (runs: {', '.join(f'{t * 1000:.0f}' for t in run['times'])})"
              f"  {run['first']['files']:3d} files {kb:7.1f} KB   targets <= {TARGET_FILTER_S * 1000:.0f} ms "
              f"[{_ok(median <= TARGET_FILTER_S)}], <= {TARGET_FIRST_KB} KB [{_ok(kb <= TARGET_FIRST_KB)}]")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated case counts")
    parser.add_argument("--site", type=Path, help="measure this built site instead (its home page)")
    parser.add_argument("--repeats", type=int, default=3, help="fresh tabs per change measured")
    parser.add_argument("--workdir", type=Path, help="where to generate the sites (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites")
    args = parser.parse_args(argv)
    ensure_browser()
    if args.site:
        report(str(args.site), measure(args.site, args.repeats))
        return 0
    work = args.workdir or Path(tempfile.mkdtemp(prefix="grandrounds-home-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        for n in [int(s) for s in args.sizes.split(",") if s.strip()]:
            site, seconds = build(n, work)
            log(f"N={n}: built in {seconds:.0f} s; measuring")
            report(n, measure(site, args.repeats))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
