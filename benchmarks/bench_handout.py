"""How fast are the PDF handouts? Cold and warm builds of N handouts, on every core and on one.

    python benchmarks/bench_handout.py                 # N = 200: cold (all cores), warm, cold (1 core)
    python benchmarks/bench_handout.py --cases 40      # quicker
    python benchmarks/bench_handout.py --no-serial     # skip the one-core cold build
    python benchmarks/bench_handout.py --one dah-sle-msc   # one handout, warm process: ms a render

It writes N records into a temporary cases folder by varying the repository's published
example cases (each copy gets its own id and title, so every PDF differs), then times
`handout.build_handouts` as `grandrounds handout` calls it, each in a fresh process (Python
start-up and imports included, as a user waits for them):

(1) cold, every core: empty cache, one worker process per core;
(2) warm: the same again, nothing changed (every handout comes from the cache: a hash of
    its inputs each);
(3) cold, one core (`--jobs 1`), for the speed-up of (1).

With `--one CASE` it instead lays out one repository case again and again in this process
(fonts and stylesheets already loaded, as in a build's worker) and prints the CPU and wall
milliseconds of each render after the first: the cost of one handout, without start-up.

Targets (issue 4, on a 2-core machine): cold 200 <= 45 s, warm <= 2 s. The machine may be
shared: the numbers printed are wall time, which other work only ever adds to.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
TARGET_COLD_S = 45.0
TARGET_WARM_S = 2.0


def make_cases(cases_dir: Path, count: int) -> None:
    """`count` records made from the published example cases (id and title varied),
    with the figures folder copied beside them."""
    sources = []
    for path in sorted((ROOT / "cases").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if data.get("status", "published") == "published" and not isinstance(data.get("references"), str):
            sources.append(data)
    cases_dir.mkdir(parents=True)
    if (ROOT / "cases" / "figures").is_dir():
        shutil.copytree(ROOT / "cases" / "figures", cases_dir / "figures")
    for i in range(count):
        data = dict(sources[i % len(sources)])
        data["id"] = f"case-{i:04d}"
        data["title"] = f"{data['title']} (variant {i + 1})"
        (cases_dir / f"case-{i:04d}.yaml").write_text(
            yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def timed_run(cases_dir: Path, out: Path, cache: Path, jobs: int | None) -> tuple[float, float, str]:
    """Wall time and CPU time (user + system, all its processes) of `grandrounds handout`
    in a fresh process, and its summary line."""
    command = [sys.executable, "-m", "grandrounds.cli", "handout", "--cases", str(cases_dir),
               "--out", str(out), "--cache-dir", str(cache)]
    if jobs:
        command += ["--jobs", str(jobs)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, cwd=cases_dir.parent)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = [line for line in result.stderr.splitlines() if "warning:" not in line]
    if result.returncode not in (0, 1):
        sys.exit(f"grandrounds handout failed:\n{result.stderr}")
    return elapsed, cpu, lines[-1] if lines else ""


def time_one_handout(name: str, runs: int) -> None:
    """CPU and wall ms of rendering the repository case `name` (HTML + layout + PDF) in a
    warm process: the first render (fonts loaded, caches filled) is shown apart."""
    from grandrounds import handout
    from grandrounds.record.library import Library

    cases_dir = ROOT / "cases"
    library = Library(cases_dir)
    library.refresh([cases_dir / f"{name}.yaml"])
    if not library.cases:
        sys.exit(f"no case {name} in {cases_dir}")
    case, options = library.cases[0], handout.HandoutOptions()
    warm_cpu, warm_wall = [], []
    for run in range(1, runs + 1):
        cpu, wall = time.process_time(), time.perf_counter()
        _, pages, _ = handout.render_pdf(handout.handout_html([case], options), cases_dir, options)
        cpu, wall = (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000
        print(f"render {run}: {cpu:6.0f} ms CPU  {wall:6.0f} ms wall  ({pages} pages)"
              + ("  <- first: loads the fonts" if run == 1 else ""))
        if run > 1:
            warm_cpu.append(cpu)
            warm_wall.append(wall)
    if warm_cpu:
        print(f"warm, renders 2..{runs}: mean {sum(warm_cpu) / len(warm_cpu):.0f} ms CPU, "
              f"{sum(warm_wall) / len(warm_wall):.0f} ms wall; best {min(warm_cpu):.0f} ms CPU "
              f"(load average {os.getloadavg()[0]:.1f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=200, help="how many handouts (default 200)")
    parser.add_argument("--no-serial", action="store_true", help="skip the one-core cold build")
    parser.add_argument("--workdir", help="keep the generated cases and PDFs here")
    parser.add_argument("--one", metavar="CASE", help="time one repository case in a warm process instead")
    parser.add_argument("--runs", type=int, default=6, help="with --one: renders, the first included (default 6)")
    args = parser.parse_args()
    if args.one:
        time_one_handout(args.one, args.runs)
        return

    work = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-handout-"))
    try:
        cases_dir = work / "cases"
        if cases_dir.exists():
            shutil.rmtree(cases_dir)
        make_cases(cases_dir, args.cases)
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        n = args.cases
        print(f"{n} handouts, {cores} cores, load average {os.getloadavg()[0]:.1f} before the runs "
              "(a shared machine adds wall time)")

        shutil.rmtree(work / "cache", ignore_errors=True)
        cold, cold_cpu, summary = timed_run(cases_dir, work / "out", work / "cache", None)
        print(f"(1) cold, {cores} workers: {cold:6.1f} s wall  {cold / n * 1000:6.0f} ms a handout  "
              f"({cold_cpu:.1f} s CPU, {cold_cpu / n * 1000:.0f} ms a handout)  "
              f"target <= {TARGET_COLD_S:.0f} s for 200   [{summary}]")
        warm, warm_cpu, summary = timed_run(cases_dir, work / "out", work / "cache", None)
        print(f"(2) warm:            {warm:6.1f} s wall  {warm / n * 1000:6.1f} ms a handout  "
              f"({warm_cpu:.1f} s CPU)  target <= {TARGET_WARM_S:.0f} s   [{summary}]")
        if not args.no_serial:
            shutil.rmtree(work / "cache", ignore_errors=True)
            serial, serial_cpu, summary = timed_run(cases_dir, work / "out-1", work / "cache", 1)
            print(f"(3) cold, 1 worker:  {serial:6.1f} s wall  {serial / n * 1000:6.0f} ms a handout  "
                  f"({serial_cpu:.1f} s CPU)   [{summary}]")
            print(f"speed-up of {cores} workers over 1 (wall): {serial / cold:.2f}x")
        print(f"on an idle {cores}-core machine the cold build would take about CPU / {cores} = "
              f"{cold_cpu / cores:.1f} s (CPU time grows less than wall time under load, but still grows)")
        print(f"load average after: {os.getloadavg()[0]:.1f}")
    finally:
        if not args.workdir:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
