"""How fast and how big is grandrounds at N cases, against the plain build? One run prints it all.

    python benchmarks/bench_build.py                          # N = 100 and 1000, everything
    python benchmarks/bench_build.py --sizes 30 --no-serve    # does it still run? (< 2 minutes)
    python benchmarks/bench_build.py --sizes 1000,10000 --no-serve   # issue 12's table

For each N it generates N synthetic cases (see "Synthetic cases": a 24,000-word vocabulary,
30 specialties and 400 tags spread as a real library's, figures, 24 distinct references a
case) into a temporary site, then:

(a) times the library per case in process: load, validate, cite, render (ms a case);
(b) measures `mkdocs build` of the YAML records with the grandrounds plugin (its default
    `search: pagefind`: Pagefind indexes the site at the end of the build), and again with
    the plugin's `check: false`, for the cost of `grandrounds check` inside the build;
(c) measures issue 12's plain build: the same pages written once by `grandrounds render
    --out P --engine mkdocs` (a project MkDocs builds as it is; timed for information, not
    part of the plain build), then `mkdocs build` of P and `grandrounds index` of its site
    (`search.index_site`, the function the plugin calls), each measured;
(e) builds the PDF handouts of 20 cases spread over the library (`grandrounds handout`) and
    extrapolates bytes and CPU a case to N (the handouts of 10,000 cases take too long to
    build in a benchmark);
(d) at the largest N, under `mkdocs serve --dirty` and plain `mkdocs serve`, the time from
    writing one YAML file (a new title) to the browser's `load` event of the reloaded page
    (Playwright + Debian's /usr/bin/chromium), 5 times each; after the dirty reloads it
    checks that search_index.json still has entries of all N cases (`--no-serve` skips it).

Every build is a fresh process measured from outside (`measured`): wall time, CPU time of
the process tree (RUSAGE_CHILDREN deltas), and peak memory from /proc polled every 50 ms
(`TreeSampler`): the largest single process and the largest sum of processes alive at
once. For the plugin build the first poll that sees the Pagefind binary splits it into its
MkDocs and Pagefind parts. Each built site is weighed (`site_stats`: largest page, home
page raw and gzip, site size, Pagefind bundle) and removed before the next build.

The earlier plain build (pages from the site engine in a hand-made mkdocs.yml, Material's
search, no Pagefind) is gone: the `render --engine mkdocs` project is the same pages as a
user gets them, and the MkDocs part of (c) beside the plugin's MkDocs part says what the
old comparison said.

Targets (issue 12) are printed next to the numbers; they are judged on a quiet machine, and
the load average is printed beside each measurement. See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import gzip
import io
import json
import math
import os
import pstats
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent

TARGET_LIBRARY_MS = 2.0  # load + validate + render, per case
TARGET_BUILD_RATIO = 1.3  # plugin build / plain build at N=1000
TARGET_RELOAD_S = 1.5  # save-to-reload at N=1000

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# Synthetic cases -----------------------------------------------------------------
#
# Records that look like a real library's to every stage that cares how text is spread:
# prose drawn from a vocabulary of 24,000 words with Zipf frequencies (a few words everywhere,
# most rare: what a search index and its chunks see), about 30 specialties and 400 tags
# spread the same way, diagnoses from ~3,600 names, 0-3 figures a case (small PNG files), and
# 24 distinct references a case: about a third from a pool of 2,000 well-known papers cited
# across the library (a landmark review by ~1 case in 8), the rest nearly unique, so the
# bibliography grows with the library as a real one does. Everything follows from the case
# number: case i is the same record at any N.

VOCABULARY_SIZE = 24_000
CLASSIC_REFERENCES = 2_000
CLASSIC_SHARE = 0.3  # of a case's 24 references
REFERENCES_PER_CASE = 24

_ONSETS = ["b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "ch",
           "cl", "cr", "dr", "fl", "gr", "ph", "pl", "pr", "qu", "sc", "sh", "sp", "st", "th", "tr"]
_NUCLEI = ["a", "e", "i", "o", "u", "ae", "ai", "ea", "ia", "io", "ou", "y"]
_CODAS = ["", "", "", "l", "m", "n", "r", "s", "t", "x", "nd", "nt", "rm", "st", "ct", "ph", "sis", "tic"]


def _make_vocabulary(size: int) -> list[str]:
    """`size` distinct pronounceable words (2-4 syllables), the same list on every run."""
    rng = random.Random("vocabulary")
    words: dict[str, None] = {}
    while len(words) < size:
        word = "".join(rng.choice(_ONSETS) + rng.choice(_NUCLEI) for _ in range(rng.randint(1, 3)))
        words[word + rng.choice(_CODAS)] = None
    return list(words)


def _zipf_cumulative(size: int, offset: float = 1.0, exponent: float = 1.0) -> list[float]:
    """Cumulative weights of ranks 0..size-1 under Zipf-Mandelbrot: 1 / (rank + offset)^s."""
    total, cumulative = 0.0, []
    for rank in range(size):
        total += 1.0 / (rank + offset) ** exponent
        cumulative.append(total)
    return cumulative


VOCABULARY = _make_vocabulary(VOCABULARY_SIZE)
_VOCABULARY_CUM = _zipf_cumulative(VOCABULARY_SIZE, offset=2.7)
SPECIALTIES = ["internal medicine", "cardiology", "infectious diseases", "neurology", "paediatrics",
               "respiratory medicine", "gastroenterology", "rheumatology", "nephrology", "haematology",
               "endocrinology", "dermatology", "geriatric medicine", "oncology", "emergency medicine",
               "intensive care", "psychiatry", "obstetrics", "general surgery", "orthopaedics",
               "ophthalmology", "otolaryngology", "urology", "radiology", "pathology", "immunology",
               "clinical genetics", "toxicology", "palliative care", "tropical medicine"]
_SPECIALTY_CUM = _zipf_cumulative(len(SPECIALTIES), offset=2.0)
_TAG_WORDS = ["fever", "rash", "anaemia", "hyponatraemia", "vasculitis", "autoimmunity", "sepsis",
              "drug reaction", "rare disease", "imaging", "biopsy", "chest pain", "dyspnoea",
              "weight loss", "fatigue", "seizure", "confusion", "acute kidney injury", "heart failure",
              "pregnancy", "older adults", "children", "adolescents", "immunosuppression",
              "genetics", "emergency", "primary care", "fictional teaching case"]
TAGS = _TAG_WORDS + [f"{a} {b}" for a, b in zip(VOCABULARY[500:872], VOCABULARY[2000:2372])]
_TAG_CUM = _zipf_cumulative(len(TAGS), offset=3.0)
_QUALIFIERS = ["acute", "chronic", "necrotising", "granulomatous", "autoimmune", "idiopathic",
               "familial", "drug-induced", "postinfectious", "paraneoplastic", "congenital", "recurrent"]
_ORGANS = ["renal", "hepatic", "pulmonary", "cardiac", "cerebral", "cutaneous", "pancreatic", "splenic",
           "thyroid", "adrenal", "retinal", "spinal", "biliary", "colonic", "gastric", "ovarian",
           "prostatic", "vascular", "lymphatic", "marrow"]
_PROCESSES = ["vasculitis", "abscess", "infarction", "fibrosis", "haemorrhage", "lymphoma", "sarcoidosis",
              "amyloidosis", "thrombosis", "tuberculosis", "carcinoma", "cyst", "stenosis", "aneurysm",
              "dysplasia"]
CONDITIONS = [f"{q} {o} {p}" for q in _QUALIFIERS for o in _ORGANS for p in _PROCESSES]
_CONDITION_CUM = _zipf_cumulative(len(CONDITIONS), offset=10.0)
_CLASSIC_CUM = _zipf_cumulative(CLASSIC_REFERENCES, offset=10.0)
SURNAMES = [w.capitalize() for w in VOCABULARY[5000:6500]]
JOURNALS = [f"{a.capitalize()} {b.capitalize()} Journal" for a, b in zip(VOCABULARY[7000:7120], VOCABULARY[8000:8120])]
PRESENTATIONS = ["an unusual presentation of", "a missed diagnosis of", "recurrent",
                 "a diagnostic challenge:", "late-onset", "atypical",
                 "a rapidly progressive course of", "an overlooked cause:"]
SENTENCES = [
    "The patient presented with {d} days of fever, malaise and progressive breathlessness.",
    "Examination showed tachycardia, bibasal crackles and a faint maculopapular rash.",
    "Inflammatory markers were raised (CRP {c} mg/L) and the haemoglobin was {h} g/L.",
    "Imaging showed bilateral ground-glass opacities without pleural effusion.",
    "A broad differential diagnosis including infection, malignancy and autoimmunity was considered.",
    "Serology and a tissue biopsy confirmed the diagnosis after {d} days.",
    "Treatment with intravenous methylprednisolone led to rapid clinical improvement.",
    "At follow-up after {m} months the patient remained well without relapse.",
    "This case shows the value of **early tissue diagnosis** when the picture is *atypical*.",
    "Renal function deteriorated (creatinine {k} umol/L) before stabilising on treatment.",
    "The family history was unremarkable and there was no recent travel.",
]
INVESTIGATIONS = [("Haemoglobin", "g/L", "120-160"), ("White cell count", "x 10^9^/L", "4.0-11.0"),
                  ("Platelets", "x 10^9^/L", "150-400"), ("C-reactive protein", "mg/L", "< 5"),
                  ("Creatinine", "umol/L", "45-90"), ("Sodium", "mmol/L", "135-145"),
                  ("Albumin", "g/L", "35-50"), ("Ferritin", "ug/L", "15-200")]
TREATMENTS = [("Methylprednisolone", "intravenous", "1 g", "once daily", "3 days"),
              ("Prednisolone", "oral", "40 mg", "once daily", "6 weeks, tapered"),
              ("Intravenous immunoglobulin", "intravenous", "2 g/kg", "once", "1 day"),
              ("Ceftriaxone", "intravenous", "2 g", "once daily", "14 days"),
              ("Rituximab", "intravenous", "1 g", "two doses 2 weeks apart", "2 weeks")]


def _words(rng: random.Random, k: int) -> list[str]:
    return rng.choices(VOCABULARY, cum_weights=_VOCABULARY_CUM, k=k)


def _sentence(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(SENTENCES).format(d=rng.randint(2, 30), c=rng.randint(20, 300),
                                            h=rng.randint(70, 150), m=rng.randint(1, 24), k=rng.randint(60, 600))
    words = _words(rng, rng.randint(8, 22))
    return " ".join(words).capitalize() + "."


def _prose(rng: random.Random, n: int) -> str:
    return " ".join(_sentence(rng) for _ in range(n))


def synthetic_reference(k: int) -> dict[str, Any]:
    """Reference number k of the synthetic literature (CSL-JSON), the same at every call."""
    rng = random.Random(f"reference-{k}")
    return {
        "id": f"r{k}",
        "type": "article-journal",
        "author": [{"family": rng.choice(SURNAMES), "given": f"{chr(65 + rng.randrange(26))}. {chr(65 + rng.randrange(26))}."}
                   for _ in range(rng.randint(1, 6))],
        "title": " ".join(_words(rng, rng.randint(6, 14))).capitalize(),
        "container-title": rng.choice(JOURNALS),
        "volume": str(rng.randint(1, 180)),
        "issue": str(rng.randint(1, 12)),
        "page": f"{(p := rng.randint(1, 2000))}–{p + rng.randint(2, 15)}",
        "issued": {"date-parts": [[rng.randint(1975, 2025)]]},
        "DOI": f"10.5555/synthetic.{k}",
    }


def _reference_numbers(rng: random.Random) -> list[int]:
    """24 distinct reference numbers: classics (0..1,999, Zipf) and the long tail (above)."""
    chosen: dict[int, None] = {}
    while len(chosen) < REFERENCES_PER_CASE:
        if rng.random() < CLASSIC_SHARE:
            chosen[rng.choices(range(CLASSIC_REFERENCES), cum_weights=_CLASSIC_CUM)[0]] = None
        else:
            chosen[rng.randrange(CLASSIC_REFERENCES, 10**8)] = None
    return list(chosen)


def _figure_png(seed: str) -> bytes:
    """A PNG of about 20 KB (a band of noise, as a photograph's grain, and shapes on a grey
    field), different for every seed."""
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("L", (240, 180), rng.randint(20, 80))
    image.paste(Image.frombytes("L", (240, 80), rng.randbytes(240 * 80)), (0, 100))
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(3, 8)):
        x, y = rng.randint(0, 200), rng.randint(0, 140)
        draw.ellipse((x, y, x + rng.randint(10, 60), y + rng.randint(10, 60)), fill=rng.randint(90, 250))
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)
    return out.getvalue()


def synthetic_case(i: int, references: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Case number i as record data. `references` replaces the 24 drawn from the synthetic
    literature (the old generator cited the seed references in every case). Figures are
    named `figures/case-<i>-<n>.png`; `generate_site` writes them."""
    rng = random.Random(i)
    age, sex = rng.randint(1, 95), rng.choice(["female", "male"])
    condition = rng.choices(CONDITIONS, cum_weights=_CONDITION_CUM)[0]
    specialties = list(dict.fromkeys(rng.choices(SPECIALTIES, cum_weights=_SPECIALTY_CUM, k=rng.choice([1, 1, 2, 2, 3]))))
    tags = list(dict.fromkeys(rng.choices(TAGS, cum_weights=_TAG_CUM, k=rng.randint(3, 6))))
    figures = [{"id": f"fig{n}", "label": f"Figure {n}", "file": f"figures/case-{i:04d}-{n}.png",
                "caption": _prose(rng, 1), "alt": " ".join(_words(rng, 8)).capitalize() + "."}
               for n in range(1, rng.choice([0, 1, 1, 1, 2, 2, 3]) + 1)]
    record = {
        "schema_version": 1,
        "title": f"Case {i}: {rng.choice(PRESENTATIONS)} {condition} in a {age}-year-old {'woman' if sex == 'female' else 'man'}",
        "type": rng.choice(["case-report", "case-study"]),
        "status": "published",
        "date": f"{rng.randint(2005, 2025)}-{rng.randint(1, 12):02d}",
        "authors": [{"name": f"{rng.choice(SURNAMES)}, {chr(65 + (i + j) % 26)}.",
                     "affiliation": "Department of Medicine, Example Teaching Hospital",
                     "corresponding": j == 0} for j in range(rng.randint(1, 5))],
        "specialties": specialties,
        "tags": tags,
        "keywords": [condition, "case report", *_words(rng, 2)],
        "patient": {"age": age, "sex": sex},
        "abstract": {"background": _prose(rng, 2), "investigations": _prose(rng, 2),
                     "diagnosis": _prose(rng, 1), "management": _prose(rng, 2)},
        "presentation": _prose(rng, 5),
        "timeline": [{"when": f"day {d}", "event": _prose(rng, 1)} for d in (0, 2, 5, 14)],
        "investigations": [{"name": name, "result": str(rng.randint(1, 400)), "unit": unit,
                            "reference_range": ref, "when": f"day {rng.randint(0, 10)}"}
                           for name, unit, ref in rng.sample(INVESTIGATIONS, 6)],
        "diagnosis": {"final": f"{condition[:1].upper()}{condition[1:]}.", "certainty": "certain",
                      "differential": rng.choices(CONDITIONS, cum_weights=_CONDITION_CUM, k=3),
                      "reasoning": _prose(rng, 3)},
        "management": [{"intervention": a, "route": b, "dose": c, "frequency": d, "duration": e,
                        "response": _prose(rng, 1)} for a, b, c, d, e in rng.sample(TREATMENTS, 3)],
        "outcome": _prose(rng, 2),
        "discussion": "\n\n".join(_prose(rng, 4) for _ in range(3)),
        "learning_points": [_prose(rng, 1) for _ in range(3)],
        "figures": figures,
        "references": copy.deepcopy(references) if references is not None
        else [synthetic_reference(k) for k in _reference_numbers(rng)],
        "consent": {"obtained": True, "by": "patient",
                    "statement": "Written consent for publication was obtained from the patient."},
        "license": "CC-BY-4.0",
    }
    if not figures:
        del record["figures"]
    return record


def generate_site(root: Path, n: int) -> list[Path]:
    """A site like the repository's (its mkdocs.yml and templates) with N synthetic records
    and their figures."""
    if root.exists():
        shutil.rmtree(root)
    (root / "cases" / "figures").mkdir(parents=True)
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "templates", root / "templates")
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    paths = []
    for i in range(n):
        record = synthetic_case(i)
        for figure in record.get("figures", []):
            (root / "cases" / figure["file"]).write_bytes(_figure_png(figure["file"]))
        path = root / "cases" / f"case-{i:04d}.yaml"
        path.write_text(yaml.dump(record, Dumper=dumper, sort_keys=False, allow_unicode=True, width=100),
                        encoding="utf-8")
        paths.append(path)
    return paths


def set_title(path: Path, title: str) -> None:
    """Replace a record's title in place, keeping the rest of the file as it is."""
    text = path.read_text(encoding="utf-8")
    node = next(v for k, v in yaml.compose(text).value if k.value == "title")
    start, end = node.start_mark.index, node.end_mark.index
    tail = "\n" if text[start:end].endswith("\n") else ""
    path.write_text(text[:start] + json.dumps(title) + tail + text[end:], encoding="utf-8")


def plugin_options(config_file: Path) -> dict[str, Any]:
    config = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    for entry in config.get("plugins", []):
        if isinstance(entry, dict) and "grandrounds" in entry:
            return dict(entry["grandrounds"] or {})
    return {}


def render_options(root: Path) -> Any:
    from grandrounds.site.render import RenderOptions

    config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
    options = plugin_options(root / "mkdocs.yml")
    keep = {k: options[k] for k in ("style", "intro", "disclaimer") if k in options}
    return RenderOptions(site_title=config.get("site_name", "Case library"), **keep)


# (a) The library, per case ----------------------------------------------------------


def bench_library(root: Path, paths: list[Path], passes: int = 3) -> dict[str, float]:
    """Milliseconds per case for each stage: a warm-up over a few cases, then `passes` timed
    passes over all records; each stage keeps its best pass (the machine is shared)."""
    from grandrounds.cite import format_references
    from grandrounds.record.load import load_record
    from grandrounds.record.model import validate_record
    from grandrounds.site.render import Renderer

    renderer = Renderer(root / "templates", render_options(root))
    style = renderer.options.style
    for path in paths[:20]:  # warm-up: template compilation, parser set-up, imports
        case = validate_record(load_record(path))
        format_references(case.reference_items(), style)
        renderer.case_page(case)
    best: dict[str, float] = {}
    for _ in range(passes):
        for key, value in _library_pass(paths, renderer, style).items():
            best[key] = min(value, best.get(key, value))
    per_case = {k: v * 1000 / len(paths) for k, v in best.items()}
    per_case["load+validate+render"] = per_case["load"] + per_case["validate"] + per_case["render"]
    per_case["total_s"] = sum(best.values())
    return per_case


def _library_pass(paths: list[Path], renderer: Any, style: str) -> dict[str, float]:
    from grandrounds.cite import format_references
    from grandrounds.record.load import load_record
    from grandrounds.record.model import validate_record

    totals = dict.fromkeys(("load", "validate", "cite", "render"), 0.0)
    clock = time.perf_counter
    for path in paths:
        t0 = clock()
        raw = load_record(path)
        t1 = clock()
        case = validate_record(raw)
        t2 = clock()
        format_references(case.reference_items(), style)
        t3 = clock()
        renderer.case_page(case)
        t4 = clock()
        totals["load"] += t1 - t0
        totals["validate"] += t2 - t1
        totals["cite"] += t3 - t2
        totals["render"] += t4 - t3
    return totals


# (b), (c) Builds, measured ----------------------------------------------------------------
#
# Every build is a fresh process (what a user waits for: start-up and imports included),
# measured from outside: wall time, CPU time of the whole tree (RUSAGE_CHILDREN deltas: the
# command and every descendant it waited for, forked workers and the Pagefind binary
# included) and its memory, polled from /proc by `TreeSampler`.

_BUILT_IN = re.compile(r"Documentation built in ([\d.]+) seconds")
SAMPLE_INTERVAL = 0.05  # s between /proc polls
PSS_INTERVAL = 1.0  # s between PSS reads: smaps_rollup walks the page tables (~50 ms for 2 GB)
PAGEFIND_PROCESS = "pagefind"  # the binary's name (pagefind_bin/pagefind, or pagefind_extended)
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
GITHUB_PAGES_LIMIT = 10**9  # bytes: "published GitHub Pages sites may be no larger than 1 GB"
HANDOUT_SAMPLE = 20  # handouts built per N; the rest is extrapolated per case


class TreeSampler(threading.Thread):
    """Polls the process tree under one pid every SAMPLE_INTERVAL s (children found through
    /proc/PID/task/TID/children, RSS from /proc/PID/statm) and keeps only running maxima, so
    a ten-minute run costs the same memory as a ten-second one:

    - `peak_one`: the largest RSS of a single process (bytes), and `peak_one_name`, its name;
    - `peak_sum`: the largest sum of the RSS of the processes alive at one poll;
    - `peak_pss_sum`: the same with PSS (/proc/PID/smaps_rollup: a page shared by k
      processes counts 1/k in each), the memory really in use by forked workers; read
      every PSS_INTERVAL s only (reading it costs the kernel a page-table walk), so a
      peak shorter than that can be missed;
    - the same two while a Pagefind process runs (`pagefind_one`, `pagefind_sum`), when it
      first and last was seen (`pagefind_first`, `pagefind_last`, perf_counter seconds) and
      the root process's CPU time (own plus reaped children) at that first sight
      (`cpu_before_pagefind`), which splits a plugin build into its MkDocs and Pagefind parts.

    RSS counts pages shared after a fork once in every process, so an RSS sum over forked
    workers is an upper bound of the memory in use; the PSS sum is not. A process that lives less than one
    interval can be missed."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.stop_event = threading.Event()
        self.samples = 0
        self.peak_one = self.peak_sum = self.peak_pss_sum = self.pagefind_one = self.pagefind_sum = 0
        self.peak_one_name = ""
        self.pagefind_first: float | None = None
        self.pss_due = 0.0
        self.pagefind_last: float | None = None
        self.cpu_before_pagefind: float | None = None

    def run(self) -> None:
        while not self.stop_event.is_set():
            self.poll()
            self.stop_event.wait(SAMPLE_INTERVAL)

    def stop(self) -> None:
        self.stop_event.set()
        self.join()

    def poll(self) -> None:
        processes = [(pid, _rss(pid), _name(pid)) for pid in _tree(self.pid)]
        processes = [(pid, rss, name) for pid, rss, name in processes if rss]
        if not processes:
            return
        self.samples += 1
        total = sum(rss for _, rss, _ in processes)
        _, biggest, name = max(processes, key=lambda p: p[1])
        if biggest > self.peak_one:
            self.peak_one, self.peak_one_name = biggest, name
        self.peak_sum = max(self.peak_sum, total)
        if time.perf_counter() >= self.pss_due:
            self.pss_due = time.perf_counter() + PSS_INTERVAL
            self.peak_pss_sum = max(self.peak_pss_sum, sum(_pss(pid) for pid, _, _ in processes))
        if any(name.startswith(PAGEFIND_PROCESS) for _, _, name in processes):
            now = time.perf_counter()
            if self.pagefind_first is None:
                self.pagefind_first, self.cpu_before_pagefind = now, _cpu_of(self.pid)
            self.pagefind_last = now
            self.pagefind_one = max(self.pagefind_one, biggest)
            self.pagefind_sum = max(self.pagefind_sum, total)


def _read(path: str) -> str:
    try:
        with open(path, encoding="ascii", errors="replace") as f:
            return f.read()
    except OSError:  # the process has just ended
        return ""


def _tree(root: int) -> list[int]:
    """`root` and its descendants, alive now."""
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tasks:
            queue.extend(int(child) for child in _read(f"/proc/{pid}/task/{tid}/children").split())
    return found


def _rss(pid: int) -> int:
    fields = _read(f"/proc/{pid}/statm").split()
    return int(fields[1]) * PAGE_SIZE if len(fields) > 1 else 0


def _pss(pid: int) -> int:
    for text in _read(f"/proc/{pid}/smaps_rollup").splitlines():
        if text.startswith("Pss:"):
            return int(text.split()[1]) * 1024
    return 0


def _name(pid: int) -> str:
    return _read(f"/proc/{pid}/comm").strip()


def _cpu_of(pid: int) -> float | None:
    """User + system CPU seconds of a process and of the children it has reaped."""
    stat = _read(f"/proc/{pid}/stat")
    fields = stat[stat.rfind(")") + 2:].split()  # after "pid (comm) "
    if len(fields) < 15:
        return None
    return sum(int(f) for f in fields[11:15]) / CLOCK_TICKS  # utime stime cutime cstime


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measured(command: list[str], cwd: Path, *, what: str) -> dict[str, Any]:
    """Run `command` in `cwd`, wait, and return its wall and CPU seconds, peak memory (see
    TreeSampler), output, load average before and after, and the Pagefind split."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    load_before = os.getloadavg()[0]
    cpu0 = _children_cpu()
    t0 = time.perf_counter()
    proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    try:
        output = proc.communicate()[0].decode(errors="replace")
        wall = time.perf_counter() - t0  # before stopping the sampler (up to one interval)
    finally:
        sampler.stop()
    cpu = _children_cpu() - cpu0
    if proc.returncode != 0:
        raise SystemExit(f"{what} failed (exit {proc.returncode}) in {cwd}: {' '.join(command)}\n{output[-3000:]}")
    run: dict[str, Any] = {"wall": wall, "cpu": cpu, "peak_one": sampler.peak_one,
                           "peak_one_name": sampler.peak_one_name, "peak_sum": sampler.peak_sum,
                           "peak_pss_sum": sampler.peak_pss_sum,
                           "samples": sampler.samples, "output": output,
                           "load": (load_before, os.getloadavg()[0]),
                           "warnings": output.count("WARNING")}
    if sampler.pagefind_first is not None:
        run["pagefind_wall"] = t0 + wall - sampler.pagefind_first
        before = sampler.cpu_before_pagefind
        run["pagefind_cpu"] = cpu - before if before is not None else float("nan")
        run["pagefind_one"], run["pagefind_sum"] = sampler.pagefind_one, sampler.pagefind_sum
    built = _BUILT_IN.search(output)
    run["built_in"] = float(built.group(1)) if built else float("nan")
    return run


def best_of(repeat: int, attempt: Any) -> dict[str, Any]:
    """The run with the least wall time of `repeat` calls of `attempt()` (other work on a
    shared machine only ever adds time)."""
    runs = [attempt() for _ in range(max(1, repeat))]
    return min(runs, key=lambda r: r["wall"])


def grandrounds_command(*args: str) -> list[str]:
    """The `grandrounds` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("grandrounds")
    return [str(script) if script.exists() else "grandrounds", *args]


def mkdocs_build(site_root: Path, out: Path, repeat: int, config: str = "mkdocs.yml") -> dict[str, Any]:
    """`mkdocs build` of `site_root` into `out` (best wall time of `repeat`), measured, with
    MkDocs' own "built in" figure. `out` is left in place for `site_stats`."""
    def attempt() -> dict[str, Any]:
        if out.exists():
            shutil.rmtree(out)
        return measured([sys.executable, "-m", "mkdocs", "build", "-f", config, "--site-dir", str(out)],
                        site_root, what="mkdocs build")
    return best_of(repeat, attempt)


def without_check(root: Path) -> str:
    """A copy of the site's mkdocs.yml with the plugin's `check: false`, beside it (so its
    relative paths mean the same); returns its file name."""
    config = yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))
    for i, entry in enumerate(config.get("plugins", [])):
        if entry == "grandrounds":
            config["plugins"][i] = {"grandrounds": {"check": False}}
        elif isinstance(entry, dict) and "grandrounds" in entry:
            entry["grandrounds"] = {**(entry["grandrounds"] or {}), "check": False}
    name = "mkdocs-nocheck.yml"
    (root / name).write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return name


def plain_build(root: Path, project: Path, out: Path, repeat: int) -> dict[str, Any]:
    """Issue 12's plain build: the same pages written once by `grandrounds render --out
    PROJECT --engine mkdocs` (timed, but not part of the plain build), then `mkdocs build` of
    that project and `grandrounds index` of its site (the plugin's Pagefind run, through the
    same `search.index_site`), each measured; best total wall time of `repeat`."""
    if project.exists():
        shutil.rmtree(project)
    render = measured(grandrounds_command("render", "--out", str(project), "--engine", "mkdocs"), root,
                      what="grandrounds render")

    def attempt() -> dict[str, Any]:
        build = mkdocs_build(project, out, 1)
        index = measured(grandrounds_command("index", str(out)), project, what="grandrounds index")
        return {"wall": build["wall"] + index["wall"], "mkdocs": build, "index": index}
    result = best_of(repeat, attempt)
    result["render"] = render
    return result


def site_stats(out: Path) -> dict[str, Any]:
    """What a built site weighs: every file's bytes, the largest HTML page, the largest file,
    the home page raw and gzip-compressed (level 6, as a web server sends it), the Pagefind
    bundle and Material's search index."""
    total = files = bundle = 0
    page, biggest = (0, ""), (0, "")
    folders: dict[str, int] = {}
    for dirpath, _, filenames in os.walk(out):
        for filename in filenames:
            path = Path(dirpath, filename)
            size = path.stat().st_size
            rel = path.relative_to(out).as_posix()
            total, files = total + size, files + 1
            top = rel.split("/", 1)[0] if "/" in rel else "(top level)"
            top = "case-*" if top.startswith("case-") else top
            folders[top] = folders.get(top, 0) + size
            if rel.startswith("pagefind/"):
                bundle += size
            if filename.endswith(".html"):
                page = max(page, (size, rel))
            biggest = max(biggest, (size, rel))
    home = (out / "index.html").read_bytes() if (out / "index.html").is_file() else b""
    lunr = out / "search" / "search_index.json"
    return {"bytes": total, "files": files, "pagefind_bytes": bundle,
            "lunr_bytes": lunr.stat().st_size if lunr.is_file() else 0,
            "largest_page": page, "largest_file": biggest,
            "folders": sorted(folders.items(), key=lambda kv: -kv[1]),
            "home": len(home), "home_gzip": len(gzip.compress(home, 6)),
            "pages": sum(1 for _ in out.rglob("index.html"))}


def handout_sample(root: Path, n: int, work: Path) -> dict[str, Any]:
    """`grandrounds handout` of HANDOUT_SAMPLE cases spread over the library (a fresh cache),
    measured; bytes and CPU per case, for an estimate at N."""
    k = min(HANDOUT_SAMPLE, n)
    ids = [f"case-{i * n // k:04d}" for i in range(k)]
    out, cache = work / "handouts", work / "handout-cache"
    for folder in (out, cache):
        shutil.rmtree(folder, ignore_errors=True)
    run = measured(grandrounds_command("handout", "--out", str(out), "--cache-dir", str(cache), *ids), root,
                   what="grandrounds handout")
    sizes = [p.stat().st_size for p in out.glob("*.pdf")]
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(cache, ignore_errors=True)
    if len(sizes) != k:
        raise SystemExit(f"grandrounds handout wrote {len(sizes)} of {k} handouts:\n{run['output'][-3000:]}")
    return {"count": k, "bytes_per_case": sum(sizes) / k, "cpu_per_case": run["cpu"] / k,
            "wall": run["wall"], "load": run["load"]}


# (d) Save-to-reload in a browser ---------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> tuple[int | None, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except OSError:
        return None, b""


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=15)


def ensure_browser() -> None:
    if not Path(CHROMIUM).exists():
        log("installing Debian's chromium (apt-get)")
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True)
    try:
        import playwright  # noqa: F401
    except ImportError:
        log("installing playwright (pip); the browser is Debian's, never `playwright install`")
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "playwright"], check=True)


def bench_reload(root: Path, n: int, *, dirty: bool, repeats: int, timeout: float) -> dict[str, Any]:
    """Save-to-load times (s) under `mkdocs serve [--dirty]`, with MkDocs' build times."""
    from playwright.sync_api import sync_playwright

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    serve_log = root / f"serve-{'dirty' if dirty else 'plain'}.log"
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"]
    if dirty:
        command.insert(4, "--dirty")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONUNBUFFERED="1")
    with serve_log.open("wb") as out:
        proc = subprocess.Popen(command, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    result: dict[str, Any] = {"times": [], "builds": []}
    try:
        t0 = time.perf_counter()
        while _get(base + "/")[0] != 200:
            if proc.poll() is not None or time.perf_counter() - t0 > 900:
                raise SystemExit(f"serve did not start:\n{serve_log.read_text()[-3000:]}")
            time.sleep(0.5)
        result["startup"] = time.perf_counter() - t0
        slug = f"case-{n // 2:04d}"
        path = root / "cases" / f"{slug}.yaml"
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page()
            polls = {"n": 0}
            page.on("request", lambda r: polls.__setitem__("n", polls["n"] + 1)
                    if "/livereload/" in r.url else None)

            def connected(deadline: float) -> None:
                while polls["n"] == 0:
                    if time.perf_counter() > deadline:
                        raise SystemExit("livereload never connected")
                    page.wait_for_timeout(20)

            page.goto(f"{base}/{slug}/", wait_until="load")
            connected(time.perf_counter() + 30)
            for k in range(repeats):
                page.wait_for_timeout(1000)  # let the watcher and the previous poll settle
                title = f"Reload benchmark {'dirty' if dirty else 'plain'} run {k}"
                mark = serve_log.stat().st_size
                polls["n"] = 0
                deadline = time.perf_counter() + timeout
                with page.expect_event("load", timeout=timeout * 1000):
                    start = time.perf_counter()
                    set_title(path, title)
                elapsed = time.perf_counter() - start
                while title not in page.inner_text("h1"):  # a reload for some other reason
                    with page.expect_event("load", timeout=max(1.0, deadline - time.perf_counter()) * 1000):
                        pass
                    elapsed = time.perf_counter() - start
                result["times"].append(elapsed)
                built = _BUILT_IN.findall(serve_log.read_bytes()[mark:].decode(errors="replace"))
                result["builds"].append(float(built[-1]) if built else float("nan"))
                connected(time.perf_counter() + 30)
            browser.close()
        if dirty:  # the index must still hold every case after dirty rebuilds
            status, body = _get(base + "/search/search_index.json")
            docs = json.loads(body)["docs"] if status == 200 else []
            pages = {d["location"].split("#", 1)[0] for d in docs}
            missing = [f"case-{i:04d}/" for i in range(n) if f"case-{i:04d}/" not in pages]
            result["index_entries"] = len(docs)
            result["index_missing"] = missing
            title_ok = any(d["location"] == f"{slug}/" and d["title"] == title for d in docs)
            result["index_has_new_title"] = title_ok
    finally:
        _stop(proc)
    return result


def profile_dirty_rebuild(root: Path, top: int = 30) -> tuple[list[float], int, str]:
    """Dirty rebuilds after a one-file edit, in process, as `mkdocs serve --dirty` runs them
    (config loaded again for each build, plugins kept across builds by `on_startup`): three
    timed without the profiler, then one under cProfile. Returns the three times, how many
    case pages the profiled rebuild rendered, and the profile's text."""
    import logging

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from grandrounds.site.render import Renderer

    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    site = Path(tempfile.mkdtemp(prefix="bench-site-"))
    serve_url = "http://127.0.0.1:8000/"
    path = sorted((root / "cases").glob("*.yaml"))[0]
    cwd = os.getcwd()
    os.chdir(root)
    rendered = {"n": 0}
    original = Renderer.case_page

    def counting(self: Any, case: Any) -> str:
        rendered["n"] += 1
        return original(self, case)

    try:
        def config() -> Any:
            c = load_config(config_file=str(root / "mkdocs.yml"), site_dir=str(site))
            c.site_url = serve_url
            return c

        def rebuild(k: int) -> float:
            set_title(path, f"Profiled dirty rebuild {k}")
            t0 = time.perf_counter()
            build(config(), serve_url=serve_url, dirty=True)
            return time.perf_counter() - t0

        first = config()
        first.plugins.on_startup(command="serve", dirty=True)
        build(first, serve_url=serve_url, dirty=True)
        times = [rebuild(k) for k in range(3)]
        Renderer.case_page = counting  # type: ignore[method-assign]
        set_title(path, "Profiled dirty rebuild, under cProfile")
        profiler = cProfile.Profile()
        profiler.enable()
        build(config(), serve_url=serve_url, dirty=True)
        profiler.disable()
        stream = io.StringIO()
        stats = pstats.Stats(profiler, stream=stream)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("cumulative").print_stats("grandrounds", 25)
        stats.sort_stats("tottime").print_stats(15)
        return times, rendered["n"], stream.getvalue()
    finally:
        Renderer.case_page = original  # type: ignore[method-assign]
        os.chdir(cwd)
        shutil.rmtree(site, ignore_errors=True)


# Report --------------------------------------------------------------------------------


def _ok(good: bool) -> str:
    return "ok" if good else "OVER"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000", help="comma-separated case counts")
    parser.add_argument("--lib-repeat", type=int, default=3, help="timed passes of (a) (best kept)")
    parser.add_argument("--build-repeat", type=int, default=1, help="builds per measurement (best kept)")
    parser.add_argument("--serve-repeats", type=int, default=5, help="edits per serve mode")
    parser.add_argument("--serve-timeout", type=float, default=300.0, help="s to wait for one reload")
    parser.add_argument("--no-serve", action="store_true", help="skip (d), the browser measurements")
    parser.add_argument("--no-plain-serve", action="store_true", help="measure only `serve --dirty` in (d)")
    parser.add_argument("--profile", choices=("auto", "always", "never"), default="auto",
                        help="cProfile one dirty rebuild (auto: when save-to-reload is over target)")
    parser.add_argument("--workdir", type=Path, help="where to generate the sites (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the generated sites and builds")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    work = args.workdir or Path(tempfile.mkdtemp(prefix="grandrounds-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    import grandrounds
    import mkdocs
    import material

    print(f"grandrounds {grandrounds.__version__}, mkdocs {mkdocs.__version__}, "
          f"material {material.__version__}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    print(f"work dir: {work}")
    rows: dict[int, dict[str, Any]] = {}
    serve: dict[str, dict[str, Any]] = {}
    serve_n = max(sizes)
    try:
        for n in sizes:
            rows[n] = bench_size(work, n, args, keep_site=args.keep or (n == serve_n and not args.no_serve))
            print_size(n, rows[n])
        if not args.no_serve:
            site = work / f"site-{serve_n}"
            ensure_browser()
            for dirty in [True] if args.no_plain_serve else [True, False]:
                name = "serve --dirty" if dirty else "serve"
                log(f"N={serve_n}: (d) save-to-reload under `mkdocs {name}`")
                serve[name] = bench_reload(site, serve_n, dirty=dirty, repeats=args.serve_repeats,
                                           timeout=args.serve_timeout)
                serve[name]["load"] = os.getloadavg()[0]
                print_serve(serve_n, name, serve[name])
            maybe_profile(work / f"site-{serve_n}", serve_n, serve, args.profile)
        print_growth(rows)
        print_summary(rows, serve, max(sizes))
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def bench_size(work: Path, n: int, args: argparse.Namespace, *, keep_site: bool) -> dict[str, Any]:
    """Every measurement at one N. Each build is removed once measured (a 10,000-case run
    would otherwise hold several copies of a multi-GB site), the records too unless (d)
    needs them or --keep."""
    site = work / f"site-{n}"
    log(f"N={n}: generating cases")
    paths = generate_site(site, n)
    row: dict[str, Any] = {"record_kb": sum(p.stat().st_size for p in paths) / len(paths) / 1024}
    log(f"N={n}: (a) library")
    row["lib"] = bench_library(site, paths, args.lib_repeat)
    drop = (lambda path: None) if args.keep else (lambda path: shutil.rmtree(path, ignore_errors=True))

    log(f"N={n}: (b) mkdocs build with the plugin")
    out = work / f"out-plugin-{n}"
    row["plugin"] = mkdocs_build(site, out, args.build_repeat)
    row["plugin"]["stats"] = site_stats(out)
    drop(out)
    log(f"N={n}: (b') mkdocs build with the plugin, check: false")
    out = work / f"out-nocheck-{n}"
    row["nocheck"] = mkdocs_build(site, out, args.build_repeat, config=without_check(site))
    drop(out)

    log(f"N={n}: (c) plain build: grandrounds render --engine mkdocs, mkdocs build, grandrounds index")
    out = work / f"out-plain-{n}"
    row["plain"] = plain_build(site, work / f"plain-{n}", out, args.build_repeat)
    row["plain"]["stats"] = site_stats(out)
    drop(out)
    drop(work / f"plain-{n}")

    log(f"N={n}: (e) handouts of {min(HANDOUT_SAMPLE, n)} cases")
    row["handouts"] = handout_sample(site, n, work)
    if not keep_site:
        drop(site)
    return row


def maybe_profile(site: Path, n: int, serve: dict[str, dict[str, Any]], mode: str) -> None:
    dirty = serve.get("serve --dirty")
    median = statistics.median(dirty["times"]) if dirty else None
    if not (mode == "always" or (mode == "auto" and median is not None and median > TARGET_RELOAD_S)):
        return
    log(f"N={n}: profiling one dirty rebuild")
    times, rendered, profile_text = profile_dirty_rebuild(site)
    print(f"\n== In-process `--dirty` rebuilds after a one-file edit, N={n} ==")
    print("    without profiler, s: " + "  ".join(f"{t:.2f}" for t in times)
          + "   (MkDocs + plugin only: no watcher, no browser)")
    print(f"    cProfile of one more ({rendered} case page(s) re-rendered; a profiler roughly doubles times):")
    print(profile_text)


def _mb(b: float) -> str:
    return f"{b / 1e6:.1f}"


def _ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) else float("nan")


def _load(run: dict[str, Any]) -> str:
    return f"{run['load'][0]:.1f}->{run['load'][1]:.1f}"


def size_table(n: int, row: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(measure, plugin, plain, plugin/plain, target) rows of one N."""
    plugin, nocheck, plain = row["plugin"], row["nocheck"], row["plain"]
    pm, pi = plain["mkdocs"], plain["index"]
    ps, qs = plugin["stats"], plain["stats"]
    target = f"<= {TARGET_BUILD_RATIO}x"
    has_split = "pagefind_wall" in plugin
    plugin_pf_wall = plugin.get("pagefind_wall", float("nan"))
    plugin_pf_cpu = plugin.get("pagefind_cpu", float("nan"))
    plain_cpu = pm["cpu"] + pi["cpu"]
    plain_one, plain_sum = max(pm["peak_one"], pi["peak_one"]), max(pm["peak_sum"], pi["peak_sum"])

    def verdict(r: float) -> str:
        return f"{target} [{_ok(r <= TARGET_BUILD_RATIO)}]"

    def line(label: str, a: float, b: float, fmt: str = "{:.2f}", tgt: bool = False,
             note: str = "") -> tuple[str, str, str, str, str]:
        r = _ratio(a, b)
        shown = "-" if math.isnan(r) else f"{r:.2f}x"
        return (label, fmt.format(a), fmt.format(b), shown, verdict(r) if tgt else note)

    def one(label: str, value: str, note: str = "") -> tuple[str, str, str, str, str]:
        return (label, value, "", "", note)

    handouts = row["handouts"]
    estimate = handouts["bytes_per_case"] * n
    with_handouts = ps["bytes"] + estimate
    return [
        line("time, wall s (build total)", plugin["wall"], plain["wall"], tgt=True),
        line("  MkDocs part, wall s" + ("" if has_split else " (no Pagefind seen)"),
             plugin["wall"] - plugin_pf_wall, pm["wall"]),
        line("  Pagefind part, wall s", plugin_pf_wall, pi["wall"]),
        line("time, CPU s (build total)", plugin["cpu"], plain_cpu, tgt=True),
        line("  MkDocs part, CPU s", plugin["cpu"] - plugin_pf_cpu, pm["cpu"]),
        line("  Pagefind part, CPU s", plugin_pf_cpu, pi["cpu"]),
        line("peak RSS, largest process, MB", plugin["peak_one"] / 1e6, plain_one / 1e6, "{:.0f}", tgt=True),
        line("peak in use, sum at once (PSS), MB", _in_use(plugin) / 1e6, max(_in_use(pm), _in_use(pi)) / 1e6,
             "{:.0f}", tgt=True),
        line("  RSS instead (fork-shared pages in each), MB", plugin["peak_sum"] / 1e6, plain_sum / 1e6, "{:.0f}"),
        line("  while Pagefind runs: sum, MB", plugin.get("pagefind_sum", float("nan")) / 1e6,
             pi["peak_sum"] / 1e6, "{:.0f}"),
        line("check: false build, wall s", nocheck["wall"], plain["wall"]),
        line("check: false build, CPU s", nocheck["cpu"], plain_cpu),
        line("check: false, peak RSS largest, MB", nocheck["peak_one"] / 1e6, plain_one / 1e6, "{:.0f}"),
        line("check: false, peak RSS sum, MB", nocheck["peak_sum"] / 1e6, plain_sum / 1e6, "{:.0f}"),
        one("check's cost, wall s (default - false)", f"{plugin['wall'] - nocheck['wall']:.2f}"),
        one("check's cost, CPU s (default - false)", f"{plugin['cpu'] - nocheck['cpu']:.2f}"),
        line("largest page (HTML), KB", ps["largest_page"][0] / 1e3, qs["largest_page"][0] / 1e3, "{:.0f}",
             note="<= 1000 at 10,000"),
        line("largest file, KB", ps["largest_file"][0] / 1e3, qs["largest_file"][0] / 1e3, "{:.0f}"),
        line("home page index.html, KB raw", ps["home"] / 1e3, qs["home"] / 1e3, "{:.1f}"),
        line("home page index.html, KB gzip", ps["home_gzip"] / 1e3, qs["home_gzip"] / 1e3, "{:.1f}"),
        line("site size, MB (no handouts)", ps["bytes"] / 1e6, qs["bytes"] / 1e6, "{:.1f}"),
        line("  files", ps["files"], qs["files"], "{:,}"),
        line("  Pagefind bundle, MB", ps["pagefind_bytes"] / 1e6, qs["pagefind_bytes"] / 1e6, "{:.1f}"),
        line("  Material search_index.json, MB", ps["lunr_bytes"] / 1e6, qs["lunr_bytes"] / 1e6, "{:.1f}"),
        line("  pages (index.html)", ps["pages"], qs["pages"], "{:,}"),
        line("WARNING lines (plugin: check's findings)", plugin["warnings"], pm["warnings"], "{:d}"),
        one(f"handouts, sample of {handouts['count']}: KB a case", f"{handouts['bytes_per_case'] / 1e3:.0f}",
            f"CPU {handouts['cpu_per_case']:.2f} s a case"),
        one("handouts at N, estimate: MB", _mb(estimate), f"~{handouts['cpu_per_case'] * n / 60:.1f} CPU min to build"),
        one("site with handouts, estimate: MB", _mb(with_handouts),
            f"<= 1000 (GitHub Pages) [{_ok(with_handouts <= GITHUB_PAGES_LIMIT)}]"),
        ("render --out, wall / CPU s (not in plain)", "",
         f"{plain['render']['wall']:.2f} / {plain['render']['cpu']:.2f}", "", ""),
    ]


def print_size(n: int, row: dict[str, Any]) -> None:
    lib = row["lib"]
    print(f"\n== N = {n} cases (records {row['record_kb']:.1f} KB each) ==")
    print("(a) library, ms per case (cite is also inside render):")
    for key in ("load", "validate", "cite", "render"):
        print(f"      {key:<22}{lib[key]:8.3f} ms")
    lvr = lib["load+validate+render"]
    print(f"      {'load+validate+render':<22}{lvr:8.3f} ms   target <= {TARGET_LIBRARY_MS} ms  "
          f"[{_ok(lvr <= TARGET_LIBRARY_MS)}]")
    print(f"      {'all four, N cases':<22}{lib['total_s']:8.2f} s")
    print("(b) plugin: `mkdocs build` of the records; (c) plain: `grandrounds render --engine mkdocs`'s project,")
    print("    `mkdocs build` + `grandrounds index` (Pagefind). Ratios plugin/plain; targets at N >= 1,000.")
    table = size_table(n, row)
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    widths[0] = max(widths[0], len("measure"))
    head = ("measure", "plugin", "plain", "ratio", "target")
    for r in [head, *table]:
        print(f"    {r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:>{widths[3]}}  {r[4]}")
    plugin, plain = row["plugin"], row["plain"]
    print(f"    load average (1 min) at start->end: plugin {_load(plugin)}, check: false {_load(row['nocheck'])}, "
          f"plain mkdocs {_load(plain['mkdocs'])}, index {_load(plain['index'])}, handouts {_load(row['handouts'])}")
    print(f"    largest page: plugin {plugin['stats']['largest_page'][1]}, plain {plain['stats']['largest_page'][1]}; "
          f"largest file: plugin {plugin['stats']['largest_file'][1]}, plain {plain['stats']['largest_file'][1]}")
    for name, stats in (("plugin", plugin["stats"]), ("plain", plain["stats"])):
        print(f"    {name} site by folder, MB: "
              + ", ".join(f"{folder} {size / 1e6:.1f}" for folder, size in stats["folders"][:8]))
    print(f"    largest process: plugin {plugin['peak_one_name']}, plain "
          f"{max((plain['mkdocs'], plain['index']), key=lambda r: r['peak_one'])['peak_one_name']}; "
          f"/proc polls: plugin {plugin['samples']}, plain {plain['mkdocs']['samples'] + plain['index']['samples']}")


def print_serve(n: int, name: str, result: dict[str, Any]) -> None:
    times = result["times"]
    med, worst = statistics.median(times), max(times)
    print(f"\n(d) N = {n}, `mkdocs {name}`: first build + start {result['startup']:.1f} s, "
          f"load average after {result['load']:.1f}")
    print("    save-to-load, s:  " + "  ".join(f"{t:.2f}" for t in times)
          + f"   median {med:.2f}, max {worst:.2f}   target <= {TARGET_RELOAD_S} s "
            f"[{_ok(med <= TARGET_RELOAD_S)}]")
    print("    MkDocs 'built in', s: " + "  ".join(f"{b:.2f}" for b in result["builds"]))
    if "index_entries" in result:
        missing = result["index_missing"]
        print(f"    search index after the reloads: {result['index_entries']} entries, "
              f"{n - len(missing)}/{n} cases present"
              + (f" (missing e.g. {missing[:3]})" if missing else "")
              + f", new title indexed: {result['index_has_new_title']}")


def _in_use(run: dict[str, Any]) -> float:
    """The memory the processes of a run held at once, at its peak: the PSS sum (read every
    PSS_INTERVAL s), or the RSS sum while Pagefind ran if larger (read every 50 ms: its peak
    is short; no forked worker is alive then, so RSS is near PSS)."""
    return max(run["peak_pss_sum"], run.get("pagefind_sum", 0))


def _growth_values(row: dict[str, Any]) -> dict[str, float]:
    plugin, pm, pi = row["plugin"], row["plain"]["mkdocs"], row["plain"]["index"]
    return {"plugin wall": plugin["wall"], "plugin CPU": plugin["cpu"],
            "plain wall": row["plain"]["wall"], "plain CPU": pm["cpu"] + pi["cpu"],
            "plugin one": plugin["peak_one"] / 1e6, "plugin sum": plugin["peak_sum"] / 1e6,
            "plain one": max(pm["peak_one"], pi["peak_one"]) / 1e6,
            "plain sum": max(pm["peak_sum"], pi["peak_sum"]) / 1e6,
            "plugin PSS": _in_use(plugin) / 1e6, "plain PSS": max(_in_use(pm), _in_use(pi)) / 1e6,
            "site MB": row["plugin"]["stats"]["bytes"] / 1e6}


def print_growth(rows: dict[int, dict[str, Any]]) -> None:
    """Time and memory against N, and the exponent k of t ~ N^k between neighbouring sizes."""
    print("\n== Growth: time (s) and peak memory (MB; sum: RSS, PSS) against N ==")
    keys = list(_growth_values(next(iter(rows.values()))))
    print(f"{'N':>7} | " + " ".join(f"{k:>11}" for k in keys) + " | time ratio  mem ratio (PSS sum)  load")
    previous: tuple[int, dict[str, float]] | None = None
    for n, row in sorted(rows.items()):
        values = _growth_values(row)
        print(f"{n:>7} | " + " ".join(f"{values[k]:11.1f}" for k in keys)
              + f" | {_ratio(values['plugin wall'], values['plain wall']):9.2f}x "
                f"{_ratio(values['plugin PSS'], values['plain PSS']):9.2f}x          {_load(row['plugin'])}")
        if previous:
            m, old = previous
            exps = [math.log(values[k] / old[k]) / math.log(n / m) if values[k] > 0 and old[k] > 0 else float("nan")
                    for k in keys]
            print(f"{'k':>7} | " + " ".join(f"{e:11.2f}" for e in exps) + f" | (x ~ N^k from {m} to {n})")
        previous = (n, values)


def print_summary(rows: dict[int, dict[str, Any]], serve: dict[str, dict[str, Any]], largest: int) -> None:
    print("\n== Summary ==")
    header = f"{'N':>6} | {'load':>7} {'valid.':>7} {'cite':>7} {'render':>7} {'l+v+r':>7} ms/case" \
             f" | {'build+plugin':>12} {'build plain':>11} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for n, row in rows.items():
        lib = row["lib"]
        print(f"{n:>6} | {lib['load']:7.3f} {lib['validate']:7.3f} {lib['cite']:7.3f} "
              f"{lib['render']:7.3f} {lib['load+validate+render']:7.3f}        "
              f"| {row['plugin']['wall']:10.2f} s {row['plain']['wall']:9.2f} s "
              f"{_ratio(row['plugin']['wall'], row['plain']['wall']):5.2f}x")
    print()
    print(f"{'measure':<48}{'value':>12}   {'target':<12}{'':>6}")
    big = rows.get(largest)
    if big:
        lvr = max(r["lib"]["load+validate+render"] for r in rows.values())
        print(f"{'load+validate+render, worst N (ms/case)':<48}{lvr:12.3f}   {'<= 2 ms':<12}[{_ok(lvr <= TARGET_LIBRARY_MS)}]")
        values = _growth_values(big)
        for label, a, b in (("build wall", "plugin wall", "plain wall"), ("build CPU", "plugin CPU", "plain CPU"),
                            ("peak RSS, one process", "plugin one", "plain one"),
                            ("peak in use, sum at once (PSS)", "plugin PSS", "plain PSS")):
            ratio = _ratio(values[a], values[b])
            print(f"{f'{label}, plugin / plain, N={largest}':<48}{ratio:11.2f}x   {'<= 1.3x':<12}"
                  f"[{_ok(ratio <= TARGET_BUILD_RATIO)}]")
    for name, result in serve.items():
        med, worst = statistics.median(result["times"]), max(result["times"])
        target = f"<= {TARGET_RELOAD_S} s" if name == "serve --dirty" else "(reference)"
        verdict = f"[{_ok(med <= TARGET_RELOAD_S)}]" if name == "serve --dirty" else ""
        print(f"{f'save-to-reload, {name}, N={largest}, median':<48}{med:10.2f} s   {target:<12}{verdict}")
        print(f"{f'save-to-reload, {name}, N={largest}, max':<48}{worst:10.2f} s")
        if "index_missing" in result:
            ok = not result["index_missing"] and result["index_has_new_title"]
            print(f"{'search index whole after dirty reloads':<48}{'yes' if ok else 'NO':>12}")
    print("\nThe machine's load average is printed beside every measurement: numbers from a busy machine "
          "are not for judging targets.")


if __name__ == "__main__":
    sys.exit(main())
