"""Bounded cost for any input within the limits (issue 10, item 4): the privacy rules are
linear in the field length, Markdown that made markdown-it or Material's search indexer
quadratic renders in bounded time with the same HTML, `check` locates a bounded number of
findings a field, and a handout estimated past `MAX_HANDOUT_PAGES` is refused before layout.

Times are CPU seconds of this process (`time.process_time`), the best of a few runs, so other
work on a shared machine does not fail them; the bounds are several times what they measure.
`benchmarks/bench_limits.py` measures whole commands on worst-case records."""

from __future__ import annotations

import re
import time

import pytest

from conftest import run_cli, write_case
from grandrounds import handout
from grandrounds.site import markup
from grandrounds.checks import privacy
from grandrounds.limits import MAX_FINDINGS_PER_FIELD, MAX_HANDOUT_PAGES, MAX_MARKDOWN_NESTING, MAX_TEXT_CHARS

LENGTH = MAX_TEXT_CHARS

# Repetitions of what each rule almost matches: runs of the characters its repeated parts take
# (e-mail local parts and domains, URL hosts, capitalised words, digit groups, dates, IPs).
NEAR_MISSES = [
    "a.", "a-", "1-", "1.", ".a", "-1", "a.b", "1.1.", "A-", "Aa-", "'A", "A'", "Aa ", "A ", "Aa, ",
    "1 ", "1/", "#1", "12-", "(1)", "Aa on ", "St ", "Mr ", "9 ", "a@", "@a.", "www.", "http", ".com",
    "1.2.3.", "Aa Aa-", "19", "a1.", "0 ",
]


def _repeat(unit: str, n: int = LENGTH) -> str:
    return (unit * (n // len(unit) + 1))[:n]


def _cpu(fn, *args, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn(*args)
        best = min(best, time.process_time() - start)
    return best


def _all_matches(rule, text):
    return [m.span() for m in rule.pattern.finditer(text)]


# --------------------------------------------------------------------------- privacy rules


@pytest.mark.parametrize("unit", NEAR_MISSES)
def test_every_rule_is_fast_on_100000_characters_of_near_misses(unit):
    # the gate-opening words first, so that every rule really runs over the whole field
    text = "@ http www. .com/ Mr Street Hospital County, lives in " + _repeat(unit)
    for rule in privacy._RULES:
        spent = _cpu(_all_matches, rule, text, repeat=1)
        assert spent < 0.5, (rule.code, rule.pattern.pattern[:60], unit, spent)


@pytest.mark.parametrize("text, code", [
    ("@ " + _repeat("a."), "privacy/email"),
    ("see " + _repeat("a-") + ".com", "privacy/url"),
    (_repeat("1-") + "a.com", "privacy/url"),
    ("Hospital " + _repeat("A-"), "privacy/place"),
    ("Hospital " + _repeat("Aa-"), "privacy/place"),
])
def test_the_measured_quadratic_near_misses_find_nothing_quickly(text, code):
    assert _cpu(privacy.privacy_hits, ("discussion",), text, repeat=1) < 1.0
    assert [h for h in privacy.privacy_hits(("discussion",), text) if h.code == code] == []


@pytest.mark.parametrize("unit, code", [
    ("a@b.co ", "privacy/email"), ("Mr Smith said. ", "privacy/name"), ("http://x.io/a ", "privacy/url"),
    ("Leeds General Hospital. ", "privacy/place"), ("MRN 1234567; ", "privacy/record-number"),
])
def test_dense_hits_are_all_found_once_in_linear_time(unit, code):
    text = _repeat(unit, 50_000 - 50_000 % len(unit))
    hits = [h for h in privacy.privacy_hits(("discussion",), text) if h.code == code]
    assert len(hits) == text.count(unit)
    assert _cpu(privacy.privacy_hits, ("discussion",), text, repeat=1) < 2.0


def test_bounded_rules_still_find_real_identifiers():
    text = ("Write to jane.doe+clinic@mail.example.co.uk or see https://blog.example.com/jane and "
            "example.org/path; she was seen at St Mary's Hospital.")
    codes = sorted(h.code for h in privacy.privacy_hits(("discussion",), text))
    assert codes == ["privacy/email", "privacy/place", "privacy/url", "privacy/url"]


def _rule_seconds(rule, unit: str, n: int) -> float:
    text = "@ http www. .com/ Mr Street Hospital County, lives in " + _repeat(unit, n)
    return _cpu(_all_matches, rule, text, repeat=5)


@pytest.mark.parametrize("unit", ["a.", "1-", "A-", "Aa ", "1 "])
def test_doubling_the_length_about_doubles_each_rules_time(unit):
    for rule in privacy._RULES:
        half, full = _rule_seconds(rule, unit, LENGTH // 2), _rule_seconds(rule, unit, LENGTH)
        if full < 0.005:  # too quick to time: linear or not, it is within any budget
            continue
        assert full / max(half, 1e-4) < 3.5, (rule.code, unit, half, full)


# --------------------------------------------------------------------------- Markdown


def test_emphasis_nested_past_the_limit_prints_its_markers_as_text():
    html = markup.markdown_to_html("*" * 50 + "x" + "*" * 50)
    assert html.count("<strong>") == html.count("</strong>") == MAX_MARKDOWN_NESTING
    assert "<em>" not in html and "**x**" in html
    assert markup.markdown_to_html("***a*** and **b *c* d**") == (
        "<p><em><strong>a</strong></em> and <strong>b <em>c</em> d</strong></p>")


def _html_depth(html: str) -> int:
    import re

    depth = deepest = 0
    for tag in re.finditer(r"<(/?)([a-z0-9]+)[^>]*>", html):
        if tag.group(2) in ("br", "hr", "img", "input"):
            continue
        depth += -1 if tag.group(1) else 1
        deepest = max(deepest, depth)
    return deepest


@pytest.mark.parametrize("text", [
    "*" * 50_000 + "x" + "*" * 50_000, "_" * 50_000 + "x" + "_" * 50_000,
    "~~" * 25_000 + "x" + "~~" * 25_000, "*_" * 50_000, "> " * 50_000 + "x", "- " * 50_000 + "x",
])
def test_markdown_output_nesting_is_bounded(text):
    assert _html_depth(markup.markdown_to_html(text)) <= 2 * MAX_MARKDOWN_NESTING + 2


@pytest.mark.parametrize("text", [
    "[" * LENGTH, "![" * (LENGTH // 2), "[@" * (LENGTH // 2), "[^" * (LENGTH // 2),
    "[" * (LENGTH // 2) + "]" * (LENGTH // 2), "[a" * (LENGTH // 2), "[a](" * (LENGTH // 4),
    "`" * LENGTH, "<" * LENGTH, "[a](" + "b" * LENGTH + ")", "*" * (LENGTH // 2) + "x" + "*" * (LENGTH // 2),
])
def test_pathological_markdown_renders_in_bounded_time(text):
    assert _cpu(markup.markdown_to_html, text, repeat=1) < 3.0
    assert _cpu(markup.cited_keys, text, repeat=1) < 3.0
    assert _cpu(markup.remote_images, text, repeat=1) < 3.0


def test_escaping_unlinkable_brackets_keeps_the_html():
    plain = markup._parser.__wrapped__()
    plain.core.ruler.disable("escape_unlinkable_brackets")
    samples = ["[a](b) [c", "`[` [x](y)", "``a`` [", "[[[[[[[[[[x]]]]]]]]]] ok", "\\[a", "![x](y.png) ![",
               "[@a] and [@b; @c] [", "`[`a", "a [b [c] d", "[a]\n\n[a]: http://x.org", "x [^1] y\n\n[^1]: n",
               "| a | [b |\n|---|---|\n| [c](d) | e |"]
    for text in samples:
        assert markup._parser().render(text, {}) == plain.render(text, {}), text


def test_brackets_that_can_start_a_link_are_left_alone():
    assert markup._bounded_brackets("[a [b] c](d) `[x` [@k]") == "[a [b] c](d) `[x` [@k]"
    assert markup._bounded_brackets("[a [b") == "\\[a \\[b"
    deep = "[" * 10 + "x" + "]" * 10
    assert markup._bounded_brackets(deep) == "[" * 8 + "\\[\\[x" + "]" * 10


# --------------------------------------------------------------------------- check


def test_check_reports_a_bounded_number_of_findings_a_field(tmp_path, capsys):
    text = "Mr Smith saw Mr Jones; call 0113 496 0000. " * 2_000
    write_case(tmp_path, "x.yaml", f"title: Busy\nabstract: Short.\ndiscussion: \"{text}\"\n")
    start = time.process_time()
    code, out, _ = run_cli(capsys, "check", "--cases", str(tmp_path / "cases"))
    assert time.process_time() - start < 5
    discussion = [line for line in out.splitlines() if "privacy/" in line]
    assert len(discussion) == MAX_FINDINGS_PER_FIELD + 1
    assert f"and {3 * 2_000 - MAX_FINDINGS_PER_FIELD:,} more privacy findings in this field" in out


# --------------------------------------------------------------------------- handouts


def _html_of(blocks: int, chars_each: int) -> str:
    return "<html><body>" + "".join(f"<li>{'x' * chars_each}</li>" for _ in range(blocks)) + "</body></html>"


def test_handout_page_estimate_counts_text_and_blocks():
    assert handout.estimated_pages(_html_of(55, 1)) == pytest.approx(1.0)
    assert handout.estimated_pages(_html_of(1, 18_000)) == pytest.approx(2.0)
    assert handout.page_budget_problem(_html_of(10, 100), "cases/x.yaml") is None


def test_handout_past_the_page_budget_is_refused_before_layout(tmp_path, capsys, monkeypatch):
    refs = "\n".join(f"  - {{id: r{i}, type: book, title: '{'Long title words ' * 12}', issued: {{date-parts: [[2001]]}}}}"
                     for i in range(600))
    write_case(tmp_path, "long.yaml", f"title: Long\nabstract: Short.\nreferences:\n{refs}\n")

    def no_layout(*args, **kwargs):
        raise AssertionError("WeasyPrint was asked to lay out a refused handout")

    monkeypatch.setattr(handout, "render_pdf", no_layout)
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(capsys, "handout", "--jobs", "1", "--cases", "cases", "long")
    assert code == 1
    assert f"over the {MAX_HANDOUT_PAGES}-page limit for one case" in out + err
    assert "Traceback" not in out + err
    # check finds what handout refuses: a warning (a site without handouts can still publish it)
    code, out, err = run_cli(capsys, "check", "--cases", "cases", "--strict")
    assert code == 1
    assert re.search(r"^cases/long\.yaml:1:1: warning: handout/too-long: the handout would run to about \d+ pages",
                     out, re.M), out


def test_a_records_markdown_over_the_budget_is_refused_at_the_field_that_passes_it(tmp_path, capsys):
    from grandrounds.limits import MAX_MARKDOWN_CHARS

    each = MAX_MARKDOWN_CHARS // 3
    write_case(tmp_path, "x.yaml", f"title: Long\nabstract: Short.\nintroduction: {'a' * each}\n"
                                   f"presentation: {'b' * each}\ndiscussion: {'d' * each}\n"
                                   f"outcome: {'c' * each}\n")
    start = time.process_time()
    code, out, _ = run_cli(capsys, "check", "--cases", str(tmp_path / "cases"))
    assert time.process_time() - start < 3
    assert code == 1
    assert f"x.yaml:6:10: error: schema: the record's Markdown fields reach {MAX_MARKDOWN_CHARS:,} characters" in out


def test_handout_estimate_counts_inline_elements_as_layout_work():
    html = "<html><body><p>" + "<em>a</em> " * (handout.ELEMENTS_PER_PAGE * 3) + "</p></body></html>"
    assert handout.estimated_pages(html) == pytest.approx(3.0, rel=0.01)  # the <p> counts too


def test_long_unbroken_text_gets_break_opportunities_and_real_text_does_not():
    real = "<html><body><p>See https://doi.org/10.1056/NEJMoa2034577 and <em>naïve</em> &amp; co.</p></body></html>"
    assert handout._breakable(real) == real
    long = "<html><body><p>" + "*<em>_</em>" * 300 + " end</p></body></html>"
    out = handout._breakable(long)
    assert out.replace("\u200b", "") == long
    assert out.count("\u200b") == (600 - 1) // handout.LONGEST_UNBROKEN  # none after the last piece


def test_emphasis_dense_handout_is_refused_or_quick(tmp_path, capsys, monkeypatch):
    write_case(tmp_path, "dense.yaml", "title: Dense\nabstract: '" + "*a* " * 4_000 + "'\n")
    monkeypatch.chdir(tmp_path)
    start = time.perf_counter()
    code, out, err = run_cli(capsys, "handout", "--jobs", "1", "--cases", "cases", "dense")
    assert code == 1 and f"over the {MAX_HANDOUT_PAGES}-page limit" in out + err
    assert time.perf_counter() - start < 10
