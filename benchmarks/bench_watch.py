"""Live preview on every engine: save-to-reload at N cases with `grandrounds render --watch`
beside `zensical serve`, next to `mkdocs serve --dirty` (the plugin). Prints every number.

    python benchmarks/bench_watch.py                  # N = 1000, 5 edits each
    python benchmarks/bench_watch.py --size 200 --repeats 3
    python benchmarks/bench_watch.py --no-mkdocs      # only the watch + Zensical part

For N synthetic cases (bench_build.py's generator: the repository's mkdocs.yml and
templates, 24 references a case) it measures:

(a) in process, what `--watch` does after a one-record edit: one poll of the library's
    files (stat), the site engine's incremental build, the write (outdir: every file's
    hash compared, only changed files written), and how many files were written;
(b) `grandrounds render --out proj --engine zensical --watch` and `zensical serve` in
    proj: the time from writing one YAML file (a new title) to the browser's `load` event
    of the reloaded case page, and that the page shows the new title (Playwright +
    Debian's /usr/bin/chromium), `--repeats` times;
(c) the same edit under `mkdocs serve --dirty` with the plugin (bench_build.bench_reload).

A reload under (b) is: the watch's poll notices the save (up to POLL_SECONDS), rebuilds
and rewrites the changed files; Zensical's watcher notices them, rebuilds and tells the
page over its WebSocket. See benchmarks/README.md for the bench_build side.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_build import (CHROMIUM, CHROMIUM_ARGS, _free_port, _get, _stop, bench_reload,  # noqa: E402
                         ensure_browser, generate_site, log, set_title)

TARGET_RELOAD_S = 1.5  # as bench_build's save-to-reload target


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def bench_in_process(root: Path, n: int, repeats: int) -> dict[str, Any]:
    """(a): a poll, an incremental build and a write after one edit, in this process."""
    from grandrounds.hosts import export, watch

    out = root / "watch-in-process"
    target = watch.Target(out, "zensical", root / "mkdocs.yml", {}, False, root / "cases", root / "templates")
    watcher = watch.Watcher(target, io.StringIO())
    started = time.perf_counter()
    watcher.step()
    cold = time.perf_counter() - started
    polls = []
    for _ in range(20):
        t0 = time.perf_counter()
        watch.stamps(target)
        polls.append(time.perf_counter() - t0)
    path = root / "cases" / f"case-{n // 3:04d}.yaml"
    builds, writes, written, cpu = [], [], [], []
    for k in range(repeats):
        set_title(path, f"In-process watch edit {k}")
        c0, t0 = time.process_time(), time.perf_counter()
        site = watcher.engine.build()
        t1 = time.perf_counter()
        report = export.write(out, site, "zensical", watcher.source, watcher.engine.options,
                              target.cases_dir, target.templates_dir, watcher._hashes)
        t2 = time.perf_counter()
        cpu.append(time.process_time() - c0)
        builds.append(t1 - t0)
        writes.append(t2 - t1)
        written.append(report.written)
    files = sum(1 for p in out.rglob("*") if p.is_file())
    shutil.rmtree(out, ignore_errors=True)
    return {"cold": cold, "poll": _median(polls), "build": _median(builds), "write": _median(writes),
            "cpu": _median(cpu), "written": _median(written), "files": files}


def _wait_for(log_path: Path, text: str, proc: subprocess.Popen[bytes], timeout: float) -> float:
    t0 = time.perf_counter()
    while text not in log_path.read_text(errors="replace"):
        if proc.poll() is not None or time.perf_counter() - t0 > timeout:
            raise SystemExit(f"{log_path.name}: no '{text}' after {timeout:.0f} s:\n"
                             f"{log_path.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return time.perf_counter() - t0


def bench_zensical(root: Path, n: int, repeats: int, timeout: float) -> dict[str, Any]:
    """(b): render --watch beside zensical serve, save-to-load in Chromium."""
    from playwright.sync_api import sync_playwright

    project = root / "zensical-project"
    env = dict(os.environ, PYTHONUNBUFFERED="1", NO_MKDOCS_2_WARNING="1")
    watch_log, serve_log = root / "watch.log", root / "zensical-serve.log"
    result: dict[str, Any] = {"times": [], "ok": []}
    with watch_log.open("wb") as out:
        watcher = subprocess.Popen([sys.executable, "-m", "grandrounds.cli", "render", "--out", project.name,
                                    "--engine", "zensical", "--watch"], cwd=root, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    serve = None
    try:
        result["first_write"] = _wait_for(watch_log, "watching", watcher, 900)
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        with serve_log.open("wb") as out:
            serve = subprocess.Popen([sys.executable, "-m", "zensical", "serve", "-a", f"127.0.0.1:{port}"],
                                     cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        t0 = time.perf_counter()
        slug = f"case-{n // 2:04d}"
        while _get(f"{base}/{slug}/")[0] != 200:
            if serve.poll() is not None or time.perf_counter() - t0 > 900:
                raise SystemExit(f"zensical serve did not start:\n{serve_log.read_text()[-3000:]}")
            time.sleep(0.5)
        result["startup"] = time.perf_counter() - t0
        path = root / "cases" / f"{slug}.yaml"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()

            def connected() -> None:  # Zensical's live-reload script titles the page until its socket opens
                page.wait_for_function("document.title !== 'Waiting for connection'", timeout=30_000)
                page.wait_for_timeout(300)

            page.goto(f"{base}/{slug}/", wait_until="load")
            connected()
            for k in range(repeats):
                page.wait_for_timeout(1000)
                title = f"Zensical watch reload run {k}"
                deadline = time.perf_counter() + timeout
                with page.expect_event("load", timeout=timeout * 1000):
                    start = time.perf_counter()
                    set_title(path, title)
                elapsed = time.perf_counter() - start
                while title not in page.inner_text("h1"):  # a reload for an earlier change
                    with page.expect_event("load", timeout=max(1.0, deadline - time.perf_counter()) * 1000):
                        pass
                    elapsed = time.perf_counter() - start
                result["times"].append(elapsed)
                result["ok"].append(title in page.inner_text("h1"))
                connected()
            browser.close()
    finally:
        if serve is not None:
            _stop(serve)
        _stop(watcher)
    result["watch_log"] = watch_log.read_text(errors="replace").splitlines()[-3:]
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=1000, help="case count (default 1000)")
    parser.add_argument("--repeats", type=int, default=5, help="edits per measurement")
    parser.add_argument("--timeout", type=float, default=120.0, help="s to wait for one reload")
    parser.add_argument("--no-mkdocs", action="store_true", help="skip (c), mkdocs serve --dirty")
    parser.add_argument("--workdir", type=Path, help="where to generate the site (default: a temp dir)")
    args = parser.parse_args(argv)
    work = args.workdir or Path(tempfile.mkdtemp(prefix="grandrounds-bench-watch-"))
    work.mkdir(parents=True, exist_ok=True)
    import grandrounds
    import zensical

    print(f"grandrounds {grandrounds.__version__}, zensical {zensical.version()}, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs; N={args.size}")
    try:
        root = work / f"site-{args.size}"
        log(f"N={args.size}: generating cases")
        generate_site(root, args.size)
        log("(a) in process: poll, incremental build, write")
        a = bench_in_process(root, args.size, args.repeats)
        print(f"\n(a) --watch after one edit, in process (N={args.size}, {a['files']} files in the project):")
        print(f"    first build and write {a['cold']:.2f} s; one poll (stat of every file) {a['poll'] * 1000:.1f} ms;")
        print(f"    incremental build {a['build'] * 1000:.0f} ms; write {a['write'] * 1000:.0f} ms "
              f"({a['written']:.0f} files written); CPU time of build + write {a['cpu'] * 1000:.0f} ms")
        print(f"    (load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall times grow with it)")
        ensure_browser()
        log("(b) render --watch + zensical serve")
        b = bench_zensical(root, args.size, args.repeats, args.timeout)
        print(f"\n(b) render --watch + zensical serve: first write {b['first_write']:.1f} s, "
              f"serve up after {b['startup']:.1f} s")
        print("    save-to-reload, s: " + "  ".join(f"{t:.2f}" for t in b["times"])
              + f"   median {_median(b['times']):.2f} (target {TARGET_RELOAD_S})"
              + ("" if all(b["ok"]) else "   NEW TITLE MISSING"))
        if not args.no_mkdocs:
            log("(c) mkdocs serve --dirty")
            c = bench_reload(root, args.size, dirty=True, repeats=args.repeats, timeout=args.timeout)
            print(f"\n(c) mkdocs serve --dirty (plugin): startup {c['startup']:.1f} s")
            print("    save-to-reload, s: " + "  ".join(f"{t:.2f}" for t in c["times"])
                  + f"   median {_median(c['times']):.2f} (target {TARGET_RELOAD_S})")
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
