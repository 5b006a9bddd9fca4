"""Save-to-reload under `mkdocs serve --dirty` on one generated site, for whichever grandrounds
is importable: run it twice, once with an older checkout's package first on PYTHONPATH, to
compare two versions on the same data and machine.

    python benchmarks/compare_reload.py --site /tmp/reload1000            # this checkout
    git worktree add /tmp/old <commit>
    cp -r /tmp/old/templates /tmp/reload1000/templates   # the old code with its own templates
    PYTHONPATH=/tmp/old/generator python benchmarks/compare_reload.py --site /tmp/reload1000

The site is generated once (bench_build's generator, N records) and reused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_build as bb  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--site", type=Path, required=True, help="where the generated site is (made if missing)")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if not (args.site / "cases").is_dir():
        bb.generate_site(args.site, args.size)
    import grandrounds

    print(f"grandrounds from {Path(grandrounds.__file__).parent}", flush=True)
    result = bb.bench_reload(args.site, args.size, dirty=True, repeats=args.repeats, timeout=300)
    times = sorted(result["times"])
    print(f"save-to-load, s: {', '.join(f'{t:.2f}' for t in result['times'])}; median {times[len(times) // 2]:.2f}")
    print(f"MkDocs 'built in', s: {result['builds']}; search index complete: {not result['index_missing']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
