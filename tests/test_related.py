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
