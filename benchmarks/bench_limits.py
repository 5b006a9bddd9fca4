"""Worst-case single records at the input limits: do `check`, `mkdocs build` and `handout` stay
within 5 s and 1 GB each?

    python benchmarks/bench_limits.py                 # every shape
    python benchmarks/bench_limits.py --only emphasis bib-title   # some of them
    python benchmarks/bench_limits.py --list
    python benchmarks/bench_limits.py --rules         # each privacy rule's time against length

Each shape is one record (a copy of the repository's `dah-sle-msc` case with one part made as
large and as adversarial as `grandrounds.limits` allows) in a one-record site in a temporary
folder. For each shape and command it runs, in a fresh process each,

- `grandrounds check <record>`,
- `mkdocs build` of that one-record site (the example site's `mkdocs.yml`),
- `grandrounds handout <id>` (with its own empty cache),

and prints the wall time, the CPU time (user + system) and the peak resident memory of the
command (`ru_utime`, `ru_stime`, `ru_maxrss` of the waited-for children, read by a small
wrapper process so that each command is measured alone), next to the budget. On a shared
machine wall time grows with the load; a command is within the budget when its wall time,
or its CPU time (the wall time it would take alone: every command is single-threaded), is. A command may refuse the record (exit 1 with `file:line:col` lines):
that is a pass if it is quick, and the first line of what it printed is shown. A traceback
is a failure whatever the time.

The load average is printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Callable

import yaml

from grandrounds.limits import (MAX_DEPTH, MAX_LIST_ITEMS, MAX_MARKDOWN_CHARS, MAX_REFERENCE_FILE_BYTES,
                                MAX_TEXT_CHARS)

ROOT = Path(__file__).resolve().parent.parent
BASE = ROOT / "cases" / "dah-sle-msc.yaml"
BUDGET_SECONDS = 5.0
BUDGET_BYTES = 1024 ** 3


def _base_markdown_chars() -> int:
    """Characters in the base record's Markdown fields other than the discussion."""
    from grandrounds.record.library import read_case

    case = read_case(BASE, BASE.parent)
    return sum(len(text) for path, text in case.markdown_fields() if path != ("discussion",))


# one field as long as the text limit and the record's Markdown budget allow
TEXT = min(MAX_TEXT_CHARS, MAX_MARKDOWN_CHARS - _base_markdown_chars()) - 10

_MEASURE = r"""
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], cwd=sys.argv[1], capture_output=True, text=True, timeout=600)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss": usage.ru_maxrss * 1024,
                  "rc": done.returncode,
                  "out": (done.stdout + done.stderr)[-4000:]}))
"""


def _repeat(unit: str, n: int = TEXT) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _field(text: str) -> Callable[[dict], None]:
    """A shape that puts `text` in the discussion (a Markdown field, checked by privacy)."""
    def apply(record: dict) -> None:
        record["discussion"] = text[:TEXT]
    return apply


def _every_field(text: str) -> Callable[[dict], None]:
    """The text spread over the record's long Markdown fields, just under the record's
    `MAX_MARKDOWN_CHARS` in all (the base record's other fields hold the rest)."""
    def apply(record: dict) -> None:
        names = ("introduction", "presentation", "outcome", "discussion", "patient_perspective")
        each = (MAX_MARKDOWN_CHARS - 20_000) // (len(names) + len(record["abstract"]))
        for name in names:
            record[name] = text[:each]
        record["abstract"] = {key: text[:each] for key in record["abstract"]}
    return apply


def _references(n: int, title: int = 200) -> Callable[[dict], None]:
    def apply(record: dict) -> None:
        record["references"] = [
            {"id": f"r{i}", "type": "article-journal", "title": _repeat("Lorem ipsum dolor ", title),
             "author": [{"family": f"Author{i}", "given": "A. B."}] * 6,
             "container-title": "Journal of Examples", "issued": {"date-parts": [[2001]]},
             "volume": "12", "page": "1-10", "DOI": f"10.1000/x{i}"} for i in range(n)]
    return apply


def _table_rows(n: int) -> Callable[[dict], None]:
    def apply(record: dict) -> None:
        record["investigations"] = [{"name": f"test {i}", "result": _repeat("value ", 80)} for i in range(n)]
    return apply


def _deep(depth: int) -> Callable[[dict], None]:
    def apply(record: dict) -> None:
        value: object = "x"
        for _ in range(depth):
            value = [value]
        record["references"][0]["note"] = value  # nesting an author could never need
    return apply


def _bib(title_chars: int, entries: int = 1, unit: str = 'T{\\"e}st ') -> Callable[[dict, Path], None]:
    def apply(record: dict, folder: Path) -> None:
        body = []
        title = _repeat(unit, title_chars)
        for i in range(entries):
            body.append(f"@article{{k{i},\n  author = {{Smith, J. and Doe, A.}},\n"
                        f"  title = {{{title}}},\n"
                        f"  journal = {{J}},\n  year = {{2001}}\n}}\n")
        (folder / "refs.bib").write_text("\n".join(body), encoding="utf-8")
        record["references"] = "refs.bib"
    return apply


def _json_refs(text: str) -> Callable[[dict, Path], None]:
    def apply(record: dict, folder: Path) -> None:
        (folder / "refs.json").write_text(text, encoding="utf-8")
        record["references"] = "refs.json"
    return apply


SHAPES: dict[str, Callable] = {
    "email-near-miss": _field("@ " + _repeat("a.")),
    "url-near-miss": _field("http .com/ " + _repeat("a-")),
    "hospital-near-miss": _field("Hospital " + _repeat("A-")),
    "privacy-dense-hits": _field(_repeat("Mr Smith lives in Leeds, call 0113 496 0000, a@b.co. ")),
    "emphasis": _field("*" * (TEXT // 2) + "x" + "*" * (TEXT // 2 - 1)),
    "emphasis-alternating": _field(_repeat("*_")),
    "brackets-open": _field("[" * TEXT),
    "brackets-nested": _field("[" * (TEXT // 2) + "]" * (TEXT // 2)),
    "citation-brackets": _field(_repeat("[@")),
    "image-open": _field(_repeat("![")),
    "backtick-runs": _field("".join("`" * i + "a" for i in range(1, 440))[:TEXT]),
    "angle-brackets": _field("<" * TEXT),
    "link-destination": _field("[a](" + _repeat("a") + ")"),
    "blockquote-nesting": _field(_repeat("> ")),
    "list-nesting": _field(_repeat("- ")),
    "table-wide": _field("\n".join(_repeat(unit, TEXT // 3 - 1) for unit in ("|a", "|-", "|a"))),
    "footnotes": _field(_repeat("[^a]")),
    "all-fields-emphasis": _every_field(_repeat("*_")),
    "all-fields-brackets": _every_field(_repeat("[@")),
    "max-references": _references(MAX_LIST_ITEMS),
    "max-investigations": _table_rows(MAX_LIST_ITEMS),
    "deep-nesting": _deep(MAX_DEPTH - 4),
    "bib-long-title": _bib(MAX_TEXT_CHARS - 100),
    "bib-big-file": _bib(1_500, entries=MAX_REFERENCE_FILE_BYTES // 1_700),
    "bib-max-plain": _bib(1_900, entries=MAX_LIST_ITEMS, unit="Plain title words "),
    "json-deep": _json_refs("[" * 100_000 + "]" * 100_000),
    "json-surrogate": _json_refs('[{"id": "a", "type": "book", "title": "x\\ud800y"}]'),
}


def _site(folder: Path, shape: Callable) -> str:
    cases = folder / "cases"
    cases.mkdir(parents=True)
    record = yaml.safe_load(BASE.read_text(encoding="utf-8"))
    record["id"] = "worst"
    if shape.__code__.co_argcount == 2:
        shape(record, cases)
    else:
        shape(record)
    text = yaml.safe_dump(record, allow_unicode=True, sort_keys=False, width=1_000_000)
    (cases / "worst.yaml").write_text(text, encoding="utf-8")
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    return f"{len(text.encode()):,} B record"


def _run(folder: Path, *command: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(folder), *command],
                          capture_output=True, text=True)
    return json.loads(done.stdout)


def _verdict(result: dict) -> str:
    ok = min(result["wall"], result["cpu"]) < BUDGET_SECONDS and result["rss"] < BUDGET_BYTES and "Traceback" not in result["out"]
    return "ok  " if ok else "OVER"


RULE_NEAR_MISSES = ("a.", "a-", "1-", "A-", "Aa-", "Aa ", "1 ", "1.1.", "'A")


def rule_times() -> None:
    """CPU seconds of each privacy rule over 25,000, 50,000 and 100,000 characters of each
    near-miss (the worst unit per rule), and the ratio of the last two: about 2 is linear."""
    import time

    from grandrounds.checks import privacy

    def seconds(rule: object, text: str) -> float:
        best = float("inf")
        for _ in range(3):
            start = time.process_time()
            for _match in rule.pattern.finditer(text):  # type: ignore[attr-defined]
                pass
            best = min(best, time.process_time() - start)
        return best

    prefix = "@ http www. .com/ Mr Street Hospital County, lives in "  # opens every gate
    print(f"{'rule':24} {'worst unit':10} {'25k':>8} {'50k':>8} {'100k':>8}  100k/50k")
    for i, rule in enumerate(privacy._RULES):
        rows = []
        for unit in RULE_NEAR_MISSES:
            rows.append((tuple(seconds(rule, prefix + _repeat(unit, n)) for n in (25_000, 50_000, 100_000)), unit))
        (quarter, half, full), unit = max(rows)
        print(f"{rule.code + ' #' + str(i):24} {unit!r:10} {quarter:8.4f} {half:8.4f} {full:8.4f}  "
              f"{full / max(half, 1e-6):5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", help="shape names")
    parser.add_argument("--list", action="store_true")
    parser.add_argument("--rules", action="store_true", help="time each privacy rule against length instead")
    args = parser.parse_args()
    if args.list:
        print("\n".join(SHAPES))
        return
    if args.rules:
        rule_times()
        return
    bin_dir = Path(sys.executable).parent
    commands = {
        "check": [str(bin_dir / "grandrounds"), "check", "cases/worst.yaml"],
        "build": [str(bin_dir / "mkdocs"), "build", "--quiet"],
        "handout": [str(bin_dir / "grandrounds"), "handout", "--jobs", "1", "worst"],
    }
    print("load average:", os.getloadavg())
    print(f"budget: {BUDGET_SECONDS:.0f} s and {BUDGET_BYTES / 2**20:,.0f} MB per command")
    over = 0
    for name in args.only or SHAPES:
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            size = _site(folder, SHAPES[name])
            print(f"\n{name} ({size})")
            for label, command in commands.items():
                result = _run(folder, *command)
                verdict = _verdict(result)
                over += verdict == "OVER"
                first = next((line for line in result["out"].splitlines() if line.strip()), "")
                tail = "Traceback!" if "Traceback" in result["out"] else first[:110]
                print(f"  {verdict} {label:8} {result['wall']:6.2f} s wall {result['cpu']:6.2f} s cpu "
                      f"{result['rss'] / 2**20:6.0f} MB "
                      f"exit {result['rc']}  {tail}")
    print(f"\n{over} over budget")
    sys.exit(1 if over else 0)


if __name__ == "__main__":
    main()
