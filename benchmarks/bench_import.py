"""How fast is `grandrounds import`, and do real articles import to records that build?

    python benchmarks/bench_import.py                  # speed, plus the corpus if it is there
    python benchmarks/bench_import.py --corpus DIR     # JATS files to try (default ../shared/corpus/jats)

(a) Speed, against the issue's target "well under a second": a JATS article with 607
    references (the test fixture's references repeated) parsed, converted and written as YAML;
    a MEDLINE file of 1,000 records read as references. Best of 5, wall clock.
(b) The corpus check of the import issue, by hand, never in the tests (the tests do not read
    ../shared): each article is imported into a fresh site, set to `status: published`, and
    built with `mkdocs build --strict` (`check_warnings: info`, as a library that has not
    finished its summaries would); the built page must list every `<ref>` of the article.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
BIN = Path(sys.executable).parent


def best_of(func, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times)


def bench_speed(work: Path) -> None:
    from grandrounds.record import jats, refio

    article = (FIXTURES / "jats" / "cc-by-structured.xml").read_text(encoding="utf-8")
    one = article.split('<ref id="r1">')[1].split("</ref>")[0]
    big = work / "big.xml"
    big.write_text(article.replace("</ref-list>", "".join(f'<ref id="x{i}">{one}</ref>' for i in range(600))
                                   + "</ref-list>"), encoding="utf-8")
    seconds = best_of(lambda: jats.record_text(jats.draft_from_file(big, slug="big", today="2026-01-01")))
    print(f"(a) JATS, 607 references: {seconds:.3f} s   target well under 1 s")
    nbib = work / "many.nbib"
    nbib.write_text("\n".join(f"PMID- {n}\nTI  - Title {n}.\nFAU - Family{n}, Given\nAU  - Family{n} G\n"
                              f"DP  - 2001 Jan\nJT  - Journal\n" for n in range(1, 1001)), encoding="utf-8")
    seconds = best_of(lambda: refio.read_reference_file(nbib))
    print(f"    MEDLINE, 1,000 records: {seconds:.3f} s   target well under 1 s")


def check_article(article: Path, work: Path) -> str:
    site = work / article.stem
    cases = site / "cases"
    cases.mkdir(parents=True)
    (site / "mkdocs.yml").write_text(
        "site_name: Corpus\ndocs_dir: cases\ntheme:\n  name: material\n  font: false\n"
        "plugins:\n  - search\n  - grandrounds:\n      check_warnings: info\n", encoding="utf-8")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    run = subprocess.run([str(BIN / "grandrounds"), "import", str(article), "--cases", str(cases), "--id", "case"],
                         cwd=site, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        return f"import failed: {run.stderr.strip().splitlines()[-1]}"
    record = cases / "case.yaml"
    record.write_text(record.read_text(encoding="utf-8").replace("status: draft", "status: published"),
                      encoding="utf-8")
    run = subprocess.run([str(BIN / "mkdocs"), "build", "--strict", "-q"], cwd=site, capture_output=True,
                         text=True, env=env)
    if run.returncode != 0:
        return "build failed: " + " | ".join(run.stderr.strip().splitlines()[-3:])
    page = (site / "site" / "case" / "index.html").read_text(encoding="utf-8")
    listed = len(re.findall(r'<li id="ref-', page))
    expected = article.read_text(encoding="utf-8").count("<ref ")
    verdict = "ok" if listed == expected else "MISSING REFERENCES"
    return f"{verdict}: built with --strict, {listed}/{expected} references listed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "jats")
    args = parser.parse_args()
    print("load average:", os.getloadavg())
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench_speed(work)
        articles = sorted(args.corpus.glob("*.xml")) if args.corpus.is_dir() else []
        print(f"(b) corpus: {len(articles)} articles in {args.corpus}")
        failed = 0
        for article in articles:
            verdict = check_article(article, work)
            failed += not verdict.startswith("ok")
            print(f"    {article.name:18} {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
