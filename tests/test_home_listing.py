"""The home page at any size: its filter data files and the pages a reader without JavaScript uses.

Issue 12, item 4. The data files (`site/listing_data.py`, `index/cases/*.js`) are parsed
back and checked against the rows they were made from: every case in exactly one display
chunk, the facets and sort ranks agree with the rows, the word index finds each case by its
words, nothing a teaching rule hides in any file, no markup in any file. The no-JavaScript
pages (`index.md`, `index/2.md` ...) list every case once, at most 200 a page, with pager
links that resolve. A library of `MANY` small generated records has more than one page and
more than one display chunk. The browser side is in tests/test_browser.py (the example) and
tests/test_home_browser.py (this module's generated library in chromium).
"""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

import pytest

from conftest import ROOT, json_strings, parse_html
from grandrounds.site import listing_data
from grandrounds.site.engine import SiteEngine
from grandrounds.site.markup import markdown_to_text
from grandrounds.site.render import (LISTING_PAGE_ROWS, Named, RenderOptions, Row, listing_row, page_url,
                                     relative_url, sort_rows)
from grandrounds.site.view import public_view

MANY = 260  # > LISTING_PAGE_ROWS (two no-JS pages) and > 5 display chunks
SPECIALTIES = ("Cardiology", "Neurology", "Respiratory medicine", "Paediatrics")
SECRET = "zebrafishsecret"  # the diagnosis and a keyword of every case that hides its diagnosis


def many_record(i: int) -> str:
    """Record i of the generated library: dates repeat (ties broken by title), every
    fifth case hides its diagnosis (whose words are then secret), every seventh is a series
    of two patients (two sexes and age bands), some titles carry markup and accents."""
    specialties = [SPECIALTIES[i % 4]] + ([SPECIALTIES[(i + 1) % 4]] if i % 3 == 0 else [])
    hidden = i % 5 == 0
    diagnosis = f"{SECRET} disease {i}" if hidden else f"Condition {i % 37} of the {['heart', 'brain'][i % 2]}"
    title = f"Case {i:03d}: {['Fever', 'Cough', 'Café-au-lait spots', 'Chest <pain> & dyspnoea'][i % 4]}"
    patients = (f"patients:\n  - {{age: {i % 90}, sex: female}}\n  - {{age: {(i * 7) % 90}, sex: male}}\n"
                if i % 7 == 0 else f"patient: {{age: {i % 95}, sex: {['female', 'male'][i % 2]}}}\n")
    teaching = "teaching: {hide: [diagnosis]}\n" if hidden else ""
    return (f"title: {json.dumps(title)}\nabstract: Abstract of case {i}.\n"
            f"date: 20{10 + i % 15}-{1 + i % 12:02d}-{1 + i % 3:02d}\n"
            f"type: {['case-report', 'case-study'][i % 2]}\n"
            f"specialties: {json.dumps(specialties)}\ntags: [tag{i % 11}, common]\n"
            f"keywords: [{SECRET if hidden else 'open'}]\n{patients}"
            f"diagnosis: {{final: {json.dumps(diagnosis)}}}\n{teaching}")


def write_many(cases: Path, n: int = MANY) -> Path:
    cases.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (cases / f"case-{i:03d}.yaml").write_text(many_record(i), encoding="utf-8")
    return cases


@pytest.fixture(scope="module")
def many(tmp_path_factory):
    """The generated library's build (directory URLs)."""
    cases = write_many(tmp_path_factory.mktemp("many") / "cases")
    build = SiteEngine(cases, ROOT / "templates", RenderOptions()).build()
    assert not build.problems, build.problems
    return build


def parse_script(name: str, text: str):
    """The data of one `grandroundsData(name, data);` file."""
    match = re.fullmatch(r'grandroundsData\("([^"]+)",(.*)\);\n', text, re.S)
    assert match, text[:200]
    assert match.group(1) == name
    return json.loads(match.group(2))


def data_of(build) -> dict[str, object]:
    """Every data file of a build by name ('facets', 'rows-0', ...), parsed."""
    found = {}
    for path, out in build.outputs.items():
        if path.startswith(listing_data.DATA_DIR + "/"):
            assert out.kind == "download" and path.endswith(".js")
            name = path[len(listing_data.DATA_DIR) + 1:-3]
            found[name] = parse_script(name, out.text)
    return found


def home_rows(build, options: RenderOptions = RenderOptions()) -> list[Row]:
    """The rows the home page lists, in its order (newest first)."""
    return sort_rows(listing_row(c, public_view(c, options)) for c in build.cases)


# --------------------------------------------------------------------------- data files


def test_every_case_is_in_exactly_one_display_chunk_in_home_order(many):
    data = data_of(many)
    facets = data["facets"]
    assert facets["count"] == MANY and facets["chunk"] == listing_data.CHUNK_ROWS
    chunks = sorted((int(n[5:]), rows) for n, rows in data.items() if n.startswith("rows-"))
    assert [k for k, _ in chunks] == list(range(-(-MANY // listing_data.CHUNK_ROWS)))
    assert all(len(rows) == listing_data.CHUNK_ROWS for _, rows in chunks[:-1])
    by_position = [row for _, rows in chunks for row in rows]
    links = [row[0] for row in by_position]
    assert len(links) == len(set(links)) == MANY
    expected = [page_url(r.src) for r in reversed(home_rows(many))]  # positions count from the oldest
    assert links == expected


def test_facets_agree_with_the_rows(many):
    data = data_of(many)
    facets = data["facets"]["facets"]
    by_position = list(reversed(home_rows(many)))

    def values(name, p):
        code = facets[name]["rows"][p]
        codes = [] if code is None else code if isinstance(code, list) else [code]
        return [facets[name]["values"][c] for c in codes]

    for p, row in enumerate(by_position):
        assert values("specialty", p) == [s.slug for s in row.specialties]
        assert values("type", p) == [row.type]
        assert values("sex", p) == list(row.sexes)
        assert values("age", p) == list(row.age_bands)
        assert values("year", p) == [row.year]
    assert {"male", "female"} == set(facets["sex"]["values"])
    assert any(isinstance(c, list) for c in facets["sex"]["rows"])  # the series
    names = [name for name, _ in data["facets"]["specialties"]]
    assert names == [{s.slug: s.name for r in by_position for s in r.specialties}[slug]
                     for slug in facets["specialty"]["values"]]


@pytest.mark.parametrize("column", listing_data.SORT_COLUMNS)
def test_sort_ranks_order_every_case_by_its_column(many, column):
    data = data_of(many)
    ranks = data[f"sort-{column}"]
    by_position = list(reversed(home_rows(many)))
    assert len(ranks) == MANY
    shown = {"title": lambda r: r.title, "specialty": lambda r: ", ".join(s.name for s in r.specialties),
             "patient": lambda r: r.patient, "date": lambda r: r.date,
             "diagnosis": lambda r: "on the case page" if r.diagnosis_hidden else r.diagnosis}[column]
    for a in range(MANY):
        for b in range(a + 1, MANY, 17):
            ka, kb = listing_data.collation(shown(by_position[a])), listing_data.collation(shown(by_position[b]))
            assert (ranks[a] < ranks[b]) == (ka < kb) and (ranks[a] == ranks[b]) == (ka == kb)


def test_the_word_index_finds_each_case_by_the_start_of_its_words(many):
    data = data_of(many)
    index: dict[str, list[int]] = {}
    for name, entries in data.items():
        if name.startswith("words-"):
            for word, positions in entries.items():
                assert name == "words-" + listing_data.chunk_key(word)
                assert positions == sorted(set(positions))
                index[word] = positions
    assert sorted("words-" + k for k in data["facets"]["words"]) == sorted(n for n in data if n.startswith("words-"))
    for p, row in enumerate(reversed(home_rows(many))):
        for word in listing_data.words(row.text):
            assert p in index[word]
    assert "cafe" in index and "café" not in index  # folded as the browser folds what is typed


def test_no_hidden_text_in_any_data_file(many):
    text = "".join(out.text for path, out in many.outputs.items() if path.startswith(listing_data.DATA_DIR))
    assert SECRET not in text.lower()
    data = data_of(many)
    hidden = [row for _, rows in sorted(data.items()) if _.startswith("rows-") for row in rows if row[4] is None]
    assert len(hidden) == MANY // 5  # every fifth case: its diagnosis shows as "on the case page"


def test_an_unknown_case_is_listed_under_its_teaching_title_only():
    build = SiteEngine(ROOT / "cases", ROOT / "templates", RenderOptions()).build()
    unknown = [c for c in build.cases if public_view(c, RenderOptions()).unknown]
    assert unknown, "the example has no unknown case"
    texts = [s for data in data_of(build).values() for s in json_strings(data)]
    for case in unknown:
        assert case.teaching.title in texts
        assert not any(case.title.lower() in t.lower() for t in texts)
        diagnosis = markdown_to_text(case.final_diagnosis).lower()
        assert diagnosis and not any(diagnosis in t.lower() for t in texts)


def test_data_files_hold_no_markup_and_read_back_exactly():
    rows = [Row(id="x", src="x.md", title='</script><b>"A" & B</b>', specialties=(Named("Café <x>", "cafe-x"),),
                patient="<i>", diagnosis="a & b", year="2024", date="2024-01-01", tags=(), draft=False,
                text='</script><b>"a" & b</b>')]
    files = listing_data.data_files(rows, page_url)
    for path, text in files.items():
        assert not set("<>&") & set(text), path
        assert text.isascii()
    (chunk,) = parse_script("rows-0", files[f"{listing_data.DATA_DIR}/rows-0.js"])
    assert chunk[1] == '</script><b>"A" & B</b>' and chunk[3] == "<i>" and chunk[4] == "a & b"
    assert parse_script("facets", files[listing_data.FACETS_FILE])["specialties"] == [["Café <x>", "specialties/cafe-x/"]]


def test_a_new_newest_case_rewrites_only_its_own_files(tmp_path):
    """Positions count from the oldest: a case added at the top leaves every other display
    chunk and every word chunk it does not touch unchanged (the engine marks them so)."""
    cases = write_many(tmp_path / "cases", 120)
    engine = SiteEngine(cases, ROOT / "templates", RenderOptions())
    engine.build()
    (cases / "newest.yaml").write_text(
        "title: Brand new quokkaword case\nabstract: New.\ndate: 2030-01-01\nspecialties: [Cardiology]\n",
        encoding="utf-8")
    changed = {o.path for o in engine.build().changed() if o.path.startswith(listing_data.DATA_DIR)}
    words = {f"{listing_data.DATA_DIR}/words-{listing_data.chunk_key(w)}.js"
             for w in listing_data.words("Brand new quokkaword case cardiology")}
    sorts = {f"{listing_data.DATA_DIR}/sort-{c}.js" for c in listing_data.SORT_COLUMNS}
    assert changed <= {listing_data.FACETS_FILE, f"{listing_data.DATA_DIR}/rows-2.js", *sorts, *words}
    assert f"{listing_data.DATA_DIR}/rows-2.js" in changed and f"{listing_data.DATA_DIR}/rows-0.js" not in changed


# --------------------------------------------------------------------------- pages without JavaScript


def resolve(here: str, href: str) -> str:
    """A link on the page at site URL `here`, as a site-root-relative path."""
    folder = here if here.endswith("/") else posixpath.dirname(here)
    return posixpath.normpath(posixpath.join(folder, href))


def _listed(build, uri: str, directory_urls: bool) -> list[str]:
    table = parse_html(build.outputs[uri].slot).find("table")
    return [resolve(page_url(uri, directory_urls), tr.find("a").get("href"))
            for tr in table.find("tbody").find_all("tr")]


@pytest.mark.parametrize("directory_urls", [True, False])
def test_every_case_is_reachable_without_javascript_in_pages_of_200(tmp_path, directory_urls):
    cases = write_many(tmp_path / "cases")
    build = SiteEngine(cases, ROOT / "templates", RenderOptions(directory_urls=directory_urls)).build()
    uris = ["index.md", "index/2.md"]
    assert sorted(p for p in build.outputs if p.endswith(".md") and (p == "index.md" or p.startswith("index/"))) == uris
    listed = [link for uri in uris for link in _listed(build, uri, directory_urls)]
    assert [len(_listed(build, uri, directory_urls)) for uri in uris] == [LISTING_PAGE_ROWS, MANY - LISTING_PAGE_ROWS]
    expected = [posixpath.normpath(page_url(r.src, directory_urls)) for r in home_rows(build)]
    assert listed == expected  # every case once, newest first
    urls = {posixpath.normpath(page_url(uri, directory_urls)) for uri in uris}
    for uri in uris:
        here = page_url(uri, directory_urls)
        pager = parse_html(build.outputs[uri].fill(build.outputs[uri].text)).find_all("nav", cls="gr-pager")
        assert pager, uri
        links = {resolve(here, a.get("href")) for nav in pager for a in nav.find_all("a")}
        assert links and links <= urls | {"."}, (uri, links)
    assert not build.outputs["index/2.md"].nav and build.outputs["index.md"].nav
    home = build.outputs["index.md"].filled()
    assert 'id="gr-filters"' in home and f'data-total="{MANY}"' in home
    assert relative_url(listing_data.DATA_DIR + "/", "./") in home
