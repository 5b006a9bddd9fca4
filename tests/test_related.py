"""Related cases: the score (related.py), its ties, and the age bands of the home filters."""

from __future__ import annotations

import pytest

from grandrounds.record.model import Patient
from grandrounds.site.related import (LIMIT, WEIGHTS, Features, diagnosis_words, make_features, related_cases,
                                 score)
from grandrounds.site.render import age_band


def feat(id: str, date: str = "2020", codes=(), diagnosis=None, tags=(), specialties=()) -> Features:
    return make_features(id, date, codes, diagnosis, tags, specialties)


def test_shared_code_outweighs_diagnosis_words_tags_and_specialty():
    me = feat("me", codes=[("ICD-10", "M32.1")], diagnosis="lupus nephritis", tags=["kidney"],
              specialties=["rheumatology"])
    by_code = feat("by-code", codes=[("icd-10", " m32.1 ")])  # system and code compared as written upper-cased
    by_word = feat("by-word", diagnosis="Nephritis of lupus")
    by_tag = feat("by-tag", tags=["Kidney"])
    by_specialty = feat("by-specialty", specialties=["Rheumatology"])
    nothing = feat("nothing", diagnosis="fracture", tags=["bone"], specialties=["orthopaedics"])
    result = related_cases([me, by_specialty, by_tag, by_word, by_code, nothing])
    assert result["me"] == ["by-code", "by-word", "by-tag", "by-specialty"]
    assert score(me, by_code) == WEIGHTS["codes"]
    assert score(me, by_word) == 2 * WEIGHTS["words"]  # 'lupus' and 'nephritis'
    assert score(me, nothing) == 0 and "nothing" not in result["me"]
    assert result["nothing"] == []


def test_a_specialty_is_not_counted_again_as_a_tag():
    a = feat("a", tags=["Neurology", "seizure"], specialties=["neurology"])
    b = feat("b", tags=["neurology"], specialties=["neurology"])
    assert a.tags == frozenset({"seizure"})
    assert score(a, b) == WEIGHTS["specialties"]


def test_ties_go_to_the_newer_date_then_the_id():
    me = feat("me", specialties=["cardiology"])
    others = [feat("b-old", "2019-05", specialties=["cardiology"]),
              feat("z-new", "2024-02-03", specialties=["cardiology"]),
              feat("a-new", "2024-02-03", specialties=["cardiology"]),
              feat("m-mid", "2024-01", specialties=["cardiology"])]
    assert related_cases([me, *others])["me"] == ["a-new", "z-new", "m-mid", "b-old"]
    # the input order does not matter
    assert related_cases([*reversed(others), me])["me"] == ["a-new", "z-new", "m-mid", "b-old"]


def test_at_most_five_related_cases_and_never_itself():
    cases = [feat(f"c{i:02d}", f"2020-{i % 12 + 1:02d}", tags=["fever"]) for i in range(12)]
    result = related_cases(cases)
    assert LIMIT == 5
    for case in cases:
        assert len(result[case.id]) == 5
        assert case.id not in result[case.id]


def test_diagnosis_words_drop_filler_and_short_words_and_fold_accents():
    assert diagnosis_words("Acute Guillain–Barré syndrome with IgA deficiency") == \
        frozenset({"guillain", "barre", "deficiency"})
    assert diagnosis_words(None) == frozenset()


def test_scores_are_symmetric():
    a = feat("a", codes=[("MeSH", "D008180")], diagnosis="lupus", tags=["x", "y"], specialties=["r"])
    b = feat("b", codes=[("MeSH", "D008180")], diagnosis="lupus erythematosus", tags=["y"], specialties=["r", "s"])
    assert score(a, b) == score(b, a) == WEIGHTS["codes"] + WEIGHTS["words"] + WEIGHTS["tags"] + WEIGHTS["specialties"]


@pytest.mark.parametrize("age,unit,band", [
    (0, "years", "child"), (17, "years", "child"), (18, "years", "adult"), (64, "years", "adult"),
    (65, "years", "older-adult"), (101, "years", "older-adult"), ("90+", "years", "older-adult"),
    (14, "months", "child"), (30, "months", "child"), (3, "weeks", "child"), (5, "days", "child"),
    (None, "years", None),
])
def test_age_bands_follow_design(age, unit, band):
    assert age_band(Patient(age=age, age_unit=unit)) == band


# --------------------------------------------------------------------------- at scale

def previous_related_cases(cases, limit=LIMIT):
    """The algorithm related.py used before the bit-sliced one (issue 12): per case, a Counter
    over every shared feature's posting list (one step per case sharing each feature, so
    quadratic when thousands share a specialty). Kept here as the reference the new lists must
    equal."""
    import heapq
    from collections import Counter, defaultdict

    from grandrounds.site.related import tie_order

    n = len(cases)
    order = tie_order(cases)
    by_place = [0] * n
    for index, place in enumerate(order):
        by_place[place] = index
    postings = defaultdict(list)
    for index, case in enumerate(cases):
        for name in WEIGHTS:
            for value in getattr(case, name):
                postings[(name, value)].append(index)
    weighted = {key: ids * WEIGHTS[key[0]] for key, ids in postings.items() if len(ids) > 1}
    result = {}
    for index, case in enumerate(cases):
        counts = Counter()
        for name in WEIGHTS:
            for value in getattr(case, name):
                shared = weighted.get((name, value))
                if shared:
                    counts.update(shared)
        counts.pop(index, None)
        packed = heapq.nlargest(limit, [s * n + n - 1 - order[i] for i, s in counts.items()])
        result[case.id] = [cases[by_place[n - 1 - key % n]].id for key in packed]
    return result


def synthetic_features(n: int, seed: int) -> list[Features]:
    """Features spread as a real library's are: a few specialties and tags carried by very
    many cases and a long tail of rare ones (Zipf-like), shared codes and diagnosis words,
    and dates that repeat (year-only and month dates), so ties are common."""
    import random

    rng = random.Random(seed)
    specialties = [f"specialty-{i}" for i in range(30)]
    tags = [f"tag-{i}" for i in range(400)]
    words = [f"word{i}" for i in range(300)]
    codes = [("ICD-10", f"X{i:02d}") for i in range(200)]
    zipf = lambda k: [1 / (r + 1) for r in range(k)]  # noqa: E731 - a weight list
    cases = []
    for i in range(n):
        date = f"{rng.randint(2015, 2024)}" + (f"-{rng.randint(1, 12):02d}" if rng.random() < 0.7 else "")
        cases.append(feat(
            f"case-{i:05d}", date,
            codes=rng.choices(codes, zipf(len(codes)), k=rng.randint(0, 2)),
            diagnosis=" ".join(rng.choices(words, zipf(len(words)), k=rng.randint(0, 3))),
            tags=rng.choices(tags, zipf(len(tags)), k=rng.randint(0, 6)),
            specialties=rng.choices(specialties, zipf(len(specialties)), k=rng.randint(1, 2))))
    return cases


@pytest.mark.parametrize("n,seed", [(1000, 1), (1000, 2), (300, 3), (40, 4), (7, 5)])
def test_lists_equal_the_previous_algorithm_at_1000_cases(n, seed):
    cases = synthetic_features(n, seed)
    new = related_cases(cases)
    assert new == previous_related_cases(cases)
    assert sum(map(len, new.values())) > n  # the comparison is not between empty lists


def test_lists_equal_the_previous_algorithm_with_every_case_alike():
    # the worst case for the old algorithm: one specialty and one tag on every case
    cases = [feat(f"c{i:04d}", f"20{10 + i % 10}", tags=["fever"], specialties=["medicine"]) for i in range(500)]
    assert related_cases(cases) == previous_related_cases(cases)


def test_limit_other_than_five_and_empty_library():
    cases = synthetic_features(200, 6)
    assert related_cases(cases, limit=12) == previous_related_cases(cases, limit=12)
    assert related_cases(cases, limit=1) == previous_related_cases(cases, limit=1)
    assert related_cases([]) == {}
