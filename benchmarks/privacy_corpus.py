"""Precision and recall of the privacy rules over tests/fixtures/privacy/, per rule family.

Each record there marks its planted identifiers with a YAML comment on the line,
`# expect: privacy/date` (or `privacy/date@+2` for the line two below, for text inside a
block scalar). A finding counts as a true positive when a marker of its family names its
line; every other privacy finding is a false positive; every marker not found is a false
negative. The `clean-*` records hold look-alikes only, so any finding there is a false
positive.

    python3 benchmarks/privacy_corpus.py [FOLDER]
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from grandrounds.checks.check import FAMILY_OF, check_case
from grandrounds.record.library import read_case

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "privacy"
_EXPECT = re.compile(r"#\s*expect:\s*((?:privacy/[\w-]+(?:@[+-]?\d+)?\s*)+)$")


def expectations(text: str) -> set[tuple[int, str]]:
    """(line, family) of every planted identifier marked in a record's text."""
    found = set()
    for number, line in enumerate(text.splitlines(), 1):
        m = _EXPECT.search(line)
        if not m:
            continue
        for item in m.group(1).split():
            code, _, offset = item.partition("@")
            found.add((number + int(offset or 0), FAMILY_OF[code]))
    return found


def score(folder: Path = CORPUS) -> tuple[dict[str, Counter], list[str]]:
    """Per family: Counter(tp, fp, fn); and a line per mistake, for debugging."""
    stats: dict[str, Counter] = {}
    mistakes: list[str] = []
    for path in sorted(folder.glob("*.yaml")):
        expected = expectations(path.read_text(encoding="utf-8"))
        case = read_case(path, folder)
        got = {}
        for f in check_case(case, cases_dir=folder):
            if f.code in FAMILY_OF:
                got.setdefault((f.line, FAMILY_OF[f.code]), f)
        for key in set(got) | expected:
            family = key[1]
            c = stats.setdefault(family, Counter())
            if key in got and key in expected:
                c["tp"] += 1
            elif key in got:
                c["fp"] += 1
                mistakes.append(f"false positive: {got[key]}")
            else:
                c["fn"] += 1
                mistakes.append(f"missed: {path.name}:{key[0]}: {family}")
    return stats, mistakes


def rates(c: Counter) -> tuple[float, float]:
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return precision, recall


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    stats, mistakes = score(folder)
    print(f"{'family':<15}{'planted':>8}{'found':>7}{'false+':>8}{'precision':>11}{'recall':>8}")
    for family in sorted(stats):
        c = stats[family]
        precision, recall = rates(c)
        print(f"{family:<15}{c['tp'] + c['fn']:>8}{c['tp']:>7}{c['fp']:>8}{precision:>11.1%}{recall:>8.1%}")
    for line in mistakes:
        print(line)


if __name__ == "__main__":
    main()
