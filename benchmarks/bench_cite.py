"""How fast does grandrounds format references? 10,000 references in each citation style.

    python benchmarks/bench_cite.py                    # 10,000 references, best of 5 passes
    python benchmarks/bench_cite.py --count 50000 --repeat 3

The references are the repository's golden and seed fixtures (journal articles, books,
chapters, reports, web pages, preprints, software; long and truncated author lists, DOIs,
non-ASCII names), repeated with fresh ids up to --count. Each style formats them in lists of
24 (a case's reference list, as `render` calls `cite.format_references`; for APA that
includes the author-year labels and 2010a/2010b disambiguation of each list). Each pass
times the whole count; the best pass is kept, since other work on a shared machine only
ever adds time. Prints references per second and ms per reference (wall clock), the CPU
time of the process per reference beside it (on a busy machine the wall time includes
waiting for a core), and the load average when the machine is busy; target: at most
0.05 ms a reference in every style. Exits 1 when a style is over the target.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generator"))

from grandrounds.cite import STYLES, format_references  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
TARGET_MS = 0.05
LIST_SIZE = 24


def sample_items() -> list[dict]:
    """Every fixture reference once: the seed list and each style's golden list."""
    items = json.loads((FIXTURES / "seed-references.csl.json").read_text(encoding="utf-8"))
    for path in sorted((FIXTURES / "styles").glob("*.csl.json")):
        items += json.loads(path.read_text(encoding="utf-8"))
    return items


def workload(count: int) -> list[list[dict]]:
    """`count` references with unique ids, cut into lists of LIST_SIZE."""
    base = sample_items()
    items = [{**base[n % len(base)], "id": f"r{n}"} for n in range(count)]
    return [items[i:i + LIST_SIZE] for i in range(0, count, LIST_SIZE)]


def best_seconds(style: str, lists: list[list[dict]], repeat: int) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process) of the best pass."""
    best = (float("inf"), float("inf"))
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        for items in lists:
            format_references(items, style)
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="references per style")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes (best kept)")
    args = parser.parse_args(argv)
    lists = workload(args.count)
    for items in lists[:3]:  # warm-up: regex compilation, first calls
        for style in STYLES:
            format_references(items, style)
    print(f"cite: {args.count:,} references a style, lists of {LIST_SIZE}, "
          f"best of {args.repeat} passes; target <= {TARGET_MS} ms a reference")
    print(f"{'style':<10} {'refs/s':>10} {'ms/ref':>8} {'cpu ms/ref':>11}  target (wall)")
    worst = 0.0
    for style in STYLES:
        wall, cpu = best_seconds(style, lists, args.repeat)
        ms = wall * 1000 / args.count
        worst = max(worst, ms)
        verdict = "ok" if ms <= TARGET_MS else "OVER"
        print(f"{style:<10} {args.count / wall:>10,.0f} {ms:>8.4f} "
              f"{cpu * 1000 / args.count:>11.4f}  {verdict}")
    if os.getloadavg()[0] > (os.cpu_count() or 1):
        print(f"note: load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; "
              "wall times include waiting for a core")
    return 0 if worst <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
