"""What `grandrounds check`'s lints cost per case, at 1,000 cases.

    python benchmarks/bench_check.py [--cases 1000]

Copies the example records of cases/ (and their figures and reference files) N/4 times each
into a temporary folder, reads them once with `Library`, then times:

- cold: `Checker.run` over every case in one process (rules on every patient field, plus
  re-parsing each record whose findings need a place in it), and again as a build runs it,
  forked on every core (wall clock only: the workers' CPU time is not this process's);
- warm: the same `Checker` again with nothing changed (what a `serve` rebuild pays);
- one edit: one record rewritten, `Library.refresh` + `Checker.run` (the incremental cost);
- rules only: `privacy_hits` over every patient field, no YAML work (a clean record's cost).

Times are CPU seconds of this process (`time.process_time`), so that other work on a shared
machine does not inflate them; wall-clock seconds are printed beside them.
"""

from __future__ import annotations

import argparse
import sys
import shutil
import tempfile
import time
from pathlib import Path

from grandrounds.checks import check
from grandrounds.record.library import Library, find_case_files

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1000)
    n = parser.parse_args().cases
    with tempfile.TemporaryDirectory() as tmp:
        cases = Path(tmp) / "cases"
        shutil.copytree(ROOT / "cases", cases)
        sources = [p for p in find_case_files(cases) if "draft" not in p.name]
        for p in sources:
            p.unlink()
        for i in range(n):
            src = ROOT / "cases" / sources[i % len(sources)].name
            text = src.read_text(encoding="utf-8").replace("\nid: ", "\n# id: ")
            (cases / f"c{i:04d}-{src.name}").write_text(text, encoding="utf-8")
        library = Library(cases)
        library.refresh()
        count = len(library.cases)
        print(f"read {count} records", file=sys.stderr)

        forked = check.map_forked
        check.map_forked = lambda func, items: [func(x) for x in items]  # one process: CPU time is all ours
        checker = check.Checker()
        clock = _Clock()
        findings = checker.run(library)
        cold = clock.lap()
        check.map_forked = forked
        check.Checker().run(library)
        cold_forked = clock.lap()
        checker.run(library)
        warm = clock.lap()

        edited = sorted(cases.glob("c0000-*.yaml"))[0]
        edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        library.refresh()
        clock.lap()
        checker.run(library)
        one = clock.lap()

        hits = sum(len(check.privacy_hits(path, text)) for case in library.cases
                   for path, text in check.patient_fields(case))
        rules = clock.lap()

    print(f"cases: {count}, findings: {len(findings)}, privacy hits: {hits}")
    print(f"{'':40}{'CPU':>20}{'wall':>12}")
    for name, (cpu, wall) in (("cold check (rules + locating findings)", cold),
                              ("rules only (no YAML)", rules)):
        print(f"{name:40}{cpu:8.2f} s ={cpu / count * 1000:6.2f} ms/case{wall:8.2f} s")
    print(f"{'cold check on every core (wall clock)':40}{'':20}{cold_forked[1]:8.2f} s")
    for name, (cpu, wall) in (("warm check, nothing changed", warm), ("one record edited", one)):
        print(f"{name:40}{cpu * 1000:14.1f} ms{wall * 1000:10.1f} ms")


class _Clock:
    """CPU and wall time since the last lap."""

    def __init__(self) -> None:
        self.cpu, self.wall = time.process_time(), time.perf_counter()

    def lap(self) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        result = (cpu - self.cpu, wall - self.wall)
        self.cpu, self.wall = cpu, wall
        return result


if __name__ == "__main__":
    main()
