"""Related cases: which other cases a case page suggests, by a deterministic score.

Owns the scoring and nothing else (pure functions over small value objects; no pages, no
MkDocs). Two cases score, for what they share:

    codes (system + code)     WEIGHTS["codes"]        each
    diagnosis words           WEIGHTS["words"]        each (final diagnosis, 4+ letters,
                                                       common medical filler words left out)
    tags                      WEIGHTS["tags"]         each (specialties not counted twice)
    specialties               WEIGHTS["specialties"]  each

A case lists at most `LIMIT` others with a score above zero, highest score first; ties go
to the newer `date` (a year-only date counts as older than any month of that year), then to the
id in alphabetical order, so the same records always give the same lists.

The lists are exact (every case is scored against every other), yet the work does not go
through every pair: each feature's cases are one bit set over the cases in tie order, a case's
scores against all others are summed bit-parallel in a few big-integer operations per feature
it has (a bit-sliced counter), and the best `LIMIT` are picked by walking the counter's bits
from the top. Features shared by very many cases (a specialty, a common tag) cost the same as
rare ones: a few operations on an n-bit integer, not one step per case that shares them.
About 0.03 s for 1,000 cases and 0.65 s for 10,000 (CPU time, benchmarks/bench_search.py
--related on the synthetic library; the Counter over posting lists it replaced took 0.14 s
and 17 s); still quadratic in bits (n/64 machine words a feature a case): ~65 s at 100,000.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Sequence

LIMIT = 5
WEIGHTS = {"codes": 8, "words": 4, "tags": 2, "specialties": 1}
FILLER_WORDS = frozenset("""
    with without from into after before during their this that which and the for
    disease disorder syndrome acute chronic associated secondary primary type due
    induced related case unspecified other presenting presentation severe mild moderate
    moderately definite probable possible right left bilateral anterior posterior mature
    transient modified""".split())


@dataclass(frozen=True)
class Features:
    """What the score compares, for one case."""

    id: str
    date: str = ""
    codes: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    specialties: frozenset[str] = frozenset()


def diagnosis_words(text: str | None) -> frozenset[str]:
    """The words of a diagnosis that say something: lowercased, accents folded, four or more
    letters, filler words ('disease', 'acute', 'with' ...) left out."""
    if not text:
        return frozenset()
    folded = "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch)).lower()
    return frozenset(w for w in re.findall(r"\w+", folded) if len(w) >= 4 and w not in FILLER_WORDS)


def make_features(id: str, date: str | None, codes: Iterable[tuple[str, str]], diagnosis: str | None,
                  tags: Iterable[str], specialties: Iterable[str]) -> Features:
    """Features from a case's fields (codes as (system, code) pairs; names compared
    case-insensitively)."""
    specialty_set = frozenset(s.strip().lower() for s in specialties)
    return Features(
        id=id, date=date or "",
        codes=frozenset(f"{system.strip().upper()}:{code.strip().upper()}" for system, code in codes),
        words=diagnosis_words(diagnosis),
        tags=frozenset(t.strip().lower() for t in tags) - specialty_set,
        specialties=specialty_set,
    )


def score(a: Features, b: Features) -> int:
    """How related two cases are (0: nothing shared)."""
    return (WEIGHTS["codes"] * len(a.codes & b.codes) + WEIGHTS["words"] * len(a.words & b.words)
            + WEIGHTS["tags"] * len(a.tags & b.tags) + WEIGHTS["specialties"] * len(a.specialties & b.specialties))


def tie_order(cases: Sequence[Features]) -> list[int]:
    """Each case's place when ties are broken: newest date first, then id."""
    by_id = sorted(range(len(cases)), key=lambda i: cases[i].id)
    by_date = sorted(by_id, key=lambda i: cases[i].date, reverse=True)
    order = [0] * len(cases)
    for place, index in enumerate(by_date):
        order[index] = place
    return order


def related_cases(cases: Sequence[Features], limit: int = LIMIT) -> dict[str, list[str]]:
    """For every case, the ids of its related cases, best first (at most `limit`)."""
    n = len(cases)
    order = tie_order(cases)  # bit `order[i]` stands for case i: lower bits win ties
    by_place = [0] * n
    for index, place in enumerate(order):
        by_place[place] = index
    postings: dict[tuple[str, str], int] = defaultdict(int)
    for index, case in enumerate(cases):
        bit = 1 << order[index]
        for name in WEIGHTS:
            for value in getattr(case, name):
                postings[(name, value)] |= bit
    result: dict[str, list[str]] = {}
    for index, case in enumerate(cases):
        alone = 1 << order[index]  # a feature no other case has adds nothing
        shared = [(WEIGHTS[name], cases_with) for name in WEIGHTS for value in getattr(case, name)
                  if (cases_with := postings[(name, value)]) != alone]
        places = _best(shared, limit, order[index])
        ranked = sorted(places, key=lambda p: (-score(case, cases[by_place[p]]), p))
        result[case.id] = [cases[by_place[p]].id for p in ranked]
    return result


def _best(shared: list[tuple[int, int]], limit: int, me: int) -> list[int]:
    """The places (bit numbers) of the `limit` best-scoring cases other than place `me`,
    unordered; `shared` holds (weight, bit set of the cases that have one feature of the
    case at `me`). Ties at the cut go to lower bits."""
    candidates = 0
    for _, others in shared:
        candidates |= others
    candidates &= ~(1 << me)  # the case itself is in every set it shares; the walk skips it
    if candidates.bit_count() <= limit:
        return _bits(candidates, limit)
    slices = _sum_bits(shared)
    above, found = 0, 0  # surely among the best (a higher score than the cut), and how many
    for digit in reversed(slices):  # most significant first (O'Neil's bit-sliced top-k)
        higher = candidates & digit
        count = found + higher.bit_count()
        if count > limit:
            candidates = higher
        else:
            above, found = above | higher, count
            candidates ^= higher
            if count == limit:
                return _bits(above, limit)
    return _bits(above, limit) + _bits(candidates, limit - found)


def _sum_bits(shared: list[tuple[int, int]]) -> list[int]:
    """Every other case's score as a bit-sliced counter: bit i of slices[j] is bit j of the
    score of the case at place i. Adding a weighted bit set ripples its carries up."""
    slices: list[int] = []
    for weight, others in shared:
        digit = 0
        while weight:
            if weight & 1:
                carry, place = others, digit
                while carry:
                    while len(slices) <= place:
                        slices.append(0)
                    slices[place], carry = slices[place] ^ carry, slices[place] & carry
                    place += 1
            weight >>= 1
            digit += 1
    return slices


def _bits(bits: int, limit: int) -> list[int]:
    """The numbers of the lowest `limit` set bits of `bits`."""
    found = []
    while bits and len(found) < limit:
        low = bits & -bits
        found.append(low.bit_length() - 1)
        bits ^= low
    return found
