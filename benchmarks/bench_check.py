"""What `grandrounds check`'s lints cost per case, at 1,000 cases.

    python benchmarks/bench_check.py [--cases 1000]

Copies the example records of cases/ (and their figures and reference files) N/4 times each
into a temporary folder, reads them once with `Library`, then times:

- cold: `Checker.run` over every case (rules on every patient field, plus re-parsing each
  record that has findings to locate them; most example records have some: uncited
  references, missing CARE items);
- warm: the same `Checker` again with nothing changed (what a `serve` rebuild pays);
- one edit: one record rewritten, `Library.refresh` + `Checker.run` (the incremental cost);
- rules only: `privacy_hits` over every patient field, no YAML work (a clean record's cost).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from grandrounds import check
from grandrounds.library import Library, find_case_files

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

        checker = check.Checker()
        t0 = time.perf_counter()
        findings = checker.run(library)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        checker.run(library)
        warm = time.perf_counter() - t0

        edited = sorted(cases.glob("c0000-*.yaml"))[0]
        edited.write_text(edited.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
        library.refresh()
        t0 = time.perf_counter()
        checker.run(library)
        one = time.perf_counter() - t0

        t0 = time.perf_counter()
        hits = sum(len(check.privacy_hits(path, text)) for case in library.cases
                   for path, text in check.patient_fields(case))
        rules = time.perf_counter() - t0

    print(f"cases: {count}, findings: {len(findings)}, privacy hits: {hits}")
    print(f"cold check (rules + locating findings): {cold:.2f} s = {cold / count * 1000:.2f} ms a case")
    print(f"rules only (no YAML):                   {rules:.2f} s = {rules / count * 1000:.2f} ms a case")
    print(f"warm check, nothing changed:            {warm * 1000:.1f} ms")
    print(f"one record edited (re-check of one):    {one * 1000:.1f} ms")


if __name__ == "__main__":
    main()
