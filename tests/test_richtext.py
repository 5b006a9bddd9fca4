"""CSL rich text (cite.richtext): the allowed tags are parsed into runs and printed as markup
in HTML (through cite.output.Out), as LaTeX in BibTeX, as plain text in RIS, JSON-LD and the
bibliography's keys; every other tag is literal text, escaped in HTML."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from grandrounds.cite import format_reference, format_references
from grandrounds.cite.richtext import (BOLD, ITALIC, NOCASE, SMALLCAPS, SUB, SUP, Rich, latex,
                                       parse, plain, recase)
from grandrounds.record.refio import bibtex_escape, to_bibtex, to_ris
from grandrounds.site.bibliography import merge, normalise_title, sort_key
from grandrounds.site.metadata import creative_work


def article(title: str, **more) -> dict:
    item = {"id": "x", "type": "article-journal", "title": title,
            "author": [{"family": "Roe", "given": "Ann"}], "container-title": "Journal",
            "volume": "3", "page": "10-19", "issued": {"date-parts": [[2021]]}}
    item.update(more)
    return item


# --------------------------------------------------------------------------- parsing

@pytest.mark.parametrize(("text", "runs"), [
    ("plain", [("plain", 0)]),
    ("<i>Escherichia coli</i> sepsis", [("Escherichia coli", ITALIC), (" sepsis", 0)]),
    ("CO<sub>2</sub> and Ca<sup>2+</sup>", [("CO", 0), ("2", SUB), (" and Ca", 0), ("2+", SUP)]),
    ("<b>a <i>b</i></b>", [("a ", BOLD), ("b", BOLD | ITALIC)]),
    ('<span style="font-variant:small-caps;">Lancet</span>', [("Lancet", SMALLCAPS)]),
    ('<span class="nocase">iPhone</span> use', [("iPhone", NOCASE), (" use", 0)]),
    ("<I>Upper</I>", [("Upper", ITALIC)]),
])
def test_allowed_tags_become_runs(text, runs):
    assert list(parse(text)) == runs


@pytest.mark.parametrize("text", [
    "<script>alert(1)</script>",
    '<i onclick="alert(1)">x</i>',
    "<img src=x onerror=alert(1)>",
    "<i>never closed",
    "stray </b> close",
    "<b><i>crossed</b></i>",
    '<span style="color:red">x</span>',
    '<span class="nocase" onclick="x">y</span>',
    "p < 0.05 and q > 1",
    "<<i>>",
])
def test_anything_else_stays_literal_text(text):
    rich = parse(text)
    literal = rich.plain
    for fragment in ("<script>", "onclick", "<img", "<i>never", "</b>", "color:red", "p < 0.05"):
        if fragment in text:
            assert fragment in literal, (text, list(rich))


def test_crossed_tags_keep_only_the_pair_that_nests():
    # </b> does not close <i>: it stays text; </i> then closes <i>; the <b> is never closed
    assert list(parse("<b><i>x</b></i>")) == [("<b>", 0), ("x</b>", ITALIC)]


def test_plain_takes_tags_out_and_keeps_literal_text():
    assert plain("<i>E. coli</i> in H<sub>2</sub>O") == "E. coli in H2O"
    assert plain("<script>x</script>") == "<script>x</script>"
    assert plain("no tags") == "no tags"
    assert not Rich(parse("<i></i>")) and str(parse("<b>x</b>")) == "x"


def test_parsing_is_linear_on_many_tags():
    text = "<i>" * 20_000 + "x" + "</i>" * 20_000 + "<b>" * 20_000
    start = time.process_time()
    assert plain(text) == "x" + "<b>" * 20_000
    assert time.process_time() - start < 1.0


# --------------------------------------------------------------------------- HTML through Out

def test_html_has_markup_and_text_is_plain():
    ref = format_reference(article("<i>Escherichia coli</i> and CO<sub>2</sub>: <b>a</b> "
                                   '<span style="font-variant:small-caps;">sc</span>'))
    assert ref.text.startswith("Roe, A. Escherichia coli and CO2: a sc. Journal")
    assert "<em>Escherichia coli</em> and CO<sub>2</sub>: <strong>a</strong> " \
           '<span style="font-variant:small-caps">sc</span>' in ref.html


def test_hostile_tags_are_escaped_beside_real_markup():
    ref = format_reference(article('<i>E. coli</i> <img src=x onerror=alert(1)>'
                                   '<i onclick="alert(2)">y</i>'))
    assert "<em>E. coli</em> &lt;img src=x onerror=alert(1)&gt;&lt;i onclick=&quot;alert(2)" \
           "&quot;&gt;y&lt;/i&gt;" in ref.html
    assert "<img" not in ref.html and "onclick=\"" not in ref.html


def test_italic_inside_an_italic_field_prints_upright():
    ref = format_reference({"type": "book", "title": "Life of <i>Escherichia coli</i> cells",
                            "publisher": "P", "issued": {"date-parts": [[2001]]}}, "apa")
    assert "<em>Life of </em>Escherichia coli<em> cells</em>" in ref.html


@pytest.mark.parametrize("style", ["nature", "ama"])
def test_book_title_case_keeps_tags_and_nocase_spans(style):
    """Nature and AMA print book titles in title case: tags stay tags (never "<I>"), a
    `nocase` span keeps its letters."""
    title = 'the life of <i>escherichia <span class="nocase">coli</span></i>: a guide'
    ref = format_reference({"type": "book", "title": title, "publisher": "P",
                            "issued": {"date-parts": [[2001]]}}, style)
    assert "<em>The Life of </em>Escherichia coli<em>: A Guide</em>" in ref.html
    assert ref.text.startswith("The Life of Escherichia coli: A Guide")


def test_rich_title_linked_to_its_doi_keeps_its_markup():
    ref = format_reference(article("<i>Candida auris</i> outbreak", DOI="10.1000/xyz"))
    assert '<a href="https://doi.org/10.1000/xyz"><em>Candida auris</em> outbreak</a>' in ref.html


def test_full_stop_is_judged_on_the_plain_text():
    # the title ends in "?" inside an <i>: no full stop is added after it
    ref = format_reference(article("Is it <i>Listeria?</i>"), "vancouver")
    assert "Is it Listeria? Journal" in ref.text


@pytest.mark.parametrize("style", ["nature", "vancouver", "ama", "apa"])
def test_every_style_prints_rich_titles(style):
    ref = format_references([article("Gut <i>Escherichia coli</i>")], style)[0]
    assert "Gut Escherichia coli" in ref.text and "<i>" not in ref.text
    assert "<em>Escherichia coli</em>" in ref.html or "Escherichia coli" in ref.html


# --------------------------------------------------------------------------- APA casing and nocase

def test_recase_leaves_nocase_spans_alone():
    upper = str.upper
    assert recase('a <span class="nocase">iPhone</span> b', upper).plain == "A iPhone B"
    assert recase("no tags", upper) == "NO TAGS"
    assert recase("ß", upper) == "ß" or recase("ß", upper) == "SS"  # plain str: as `change` says
    assert recase('<i>ß</i>', upper).plain == "ß"  # a change of length leaves rich text alone


def test_apa_capital_after_colon_respects_nocase_and_reaches_into_italics():
    ref = format_references([article('Outcomes: <span class="nocase">eGFR</span> decline')],
                            "apa")[0]
    assert "Outcomes: eGFR decline." in ref.text
    ref = format_references([article("Review: <i>escherichia</i> in the gut")], "apa")[0]
    assert "Review: Escherichia in the gut." in ref.text
    assert "<em>Escherichia</em>" in ref.html


def test_apa_label_and_sort_key_are_plain_for_an_untitled_author():
    items = [{"id": "a", "type": "webpage", "title": "<i>Zebra</i> notes",
              "issued": {"date-parts": [[2020]]}},
             {"id": "b", "type": "webpage", "title": "Apple", "issued": {"date-parts": [[2020]]}}]
    refs = format_references(items, "apa")
    assert refs[0].label == "\u201cZebra notes\u201d"
    assert sorted(refs, key=lambda r: r.sort_key)[0].id == "b"


# --------------------------------------------------------------------------- other outputs

def test_bibtex_export_uses_latex_commands_and_escapes_run_text():
    bib = to_bibtex([article('<i>E. coli</i> H<sub>2</sub>O <b>5%</b> 10<sup>3</sup> '
                             '<span style="font-variant:small-caps">sc</span> '
                             '<span class="nocase">mRNA</span> & <script>',
                             **{"container-title": "J <i>Bact</i>"})])
    assert ("title = {{\\textit{E. coli} H\\textsubscript{2}O \\textbf{5\\%} "
            "10\\textsuperscript{3} \\textsc{sc} {mRNA} \\& <script>}}") in bib
    assert "journal = {J \\textit{Bact}}" in bib


def test_latex_helper_nests_commands():
    assert latex("<b><i>x</i></b>", bibtex_escape) == "\\textit{\\textbf{x}}"
    assert latex("a_b", bibtex_escape) == "a\\_b"


def test_ris_and_json_ld_get_plain_text():
    item = article("<i>E. coli</i> in H<sub>2</sub>O", **{"container-title": "J <i>Bact</i>",
                                                          "container-title-short": "<i>J</i>"})
    ris = to_ris([item])
    assert "TI  - E. coli in H2O" in ris and "T2  - J Bact" in ris and "J2  - J\n" in ris
    work = creative_work(item)
    assert work["name"] == "E. coli in H2O" and work["isPartOf"]["name"] == "J Bact"


def test_bibliography_merges_and_sorts_on_plain_titles():
    assert normalise_title("<i>Escherichia coli</i> sepsis") == normalise_title(
        "Escherichia coli sepsis")
    a = article("<i>Escherichia coli</i> sepsis", id="a")
    b = article("Escherichia coli sepsis", id="b")
    entries = merge([("c1", "Case 1", [a]), ("c2", "Case 2", [b])])
    assert len(entries) == 1 and {c.case_id for c in entries[0].cited_by} == {"c1", "c2"}
    assert sort_key(article("<i>A</i>", author=[])) < sort_key(article("B", author=[]))
