"""The example site in a real browser: headless Debian chromium driven by Playwright.

Issue 6, points 5 and 6: Material's search, the teaching reveal, the home table's filters and
sorting, print emulation, console errors, alt text, one h1, no request leaving the site,
a phone-sized viewport and dark mode. The site is built once for the module (a copy of the
project in which one case hides its diagnosis and management) and served by a threaded
`http.server` on 127.0.0.1; one chromium serves the whole session (`chromium` in conftest).
Screenshots are kept in tests/artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import (BROWSER_TIMEOUT, NAVIGATION_TIMEOUT, ROOT, SEARCH_READY, TESTS, build_project,
                      search, serve_directory, wait_for_transitions)
from grandrounds.record.library import load_library
from grandrounds.site.markup import markdown_to_text
from grandrounds.record.model import Case
from grandrounds.site.render import slugify

ARTIFACTS = TESTS / "artifacts"
TEACHING_CASE = "anti-nmda-encephalitis"
"""In the test copy this case gets `teaching: {hide: [diagnosis, management]}` (replacing its own)."""
TEACHING_HIDE = ["diagnosis", "management"]
SEARCH_CASE = "elderly-hyponatraemia-siadh"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def _published_cases() -> list[Case]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return [c for c in load_library(Path("cases")).cases if c.status == "published"]


CASES = _published_cases()
BY_ID = {c.slug: c for c in CASES}


def _hide_teaching_sections(project: Path) -> None:
    record = project / "cases" / f"{TEACHING_CASE}.yaml"
    text = re.sub(r"^teaching:.*\n(?:[ \t]+.*\n|\s*\n)*", "", record.read_text(encoding="utf-8"),
                  flags=re.M)  # whatever the example says, this copy hides TEACHING_HIDE
    record.write_text(text.rstrip("\n") + f"\nteaching:\n  hide: [{', '.join(TEACHING_HIDE)}]\n",
                      encoding="utf-8")


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_project(tmp_path_factory.mktemp("browser") / "project", _hide_teaching_sections)


@pytest.fixture(scope="module")
def base_url(site: Path):
    with serve_directory(site) as url:
        yield url


def _new_context(chromium, base_url: str, **options):
    """A browser context (light colour scheme) whose requests to other hosts are refused,
    so a test never reaches the network; `request` events still report them."""
    context = chromium.new_context(base_url=base_url, color_scheme="light",
                                   viewport=options.pop("viewport", DESKTOP), **options)
    context.set_default_timeout(BROWSER_TIMEOUT)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT)

    def refuse_other_hosts(route):
        if route.request.url.startswith(base_url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", refuse_other_hosts)
    return context


@pytest.fixture(scope="module")
def context(chromium, base_url):
    context = _new_context(chromium, base_url)
    yield context
    context.close()


@pytest.fixture
def page(context):
    """A fresh tab; fails the test on any console error or uncaught page error."""
    tab = context.new_page()
    errors: list[str] = []
    tab.on("console", lambda msg: errors.append(f"console: {msg.text}") if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    yield tab
    tab.close()
    assert not errors, "\n".join(errors)


def site_pages(site: Path) -> list[str]:
    """Every HTML page of the built site as a site-relative URL ('', 'tags/', '404.html')."""
    urls = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        urls.append(rel[: -len("index.html")] if rel.endswith("index.html") else rel)
    return urls


def h1_text(page) -> str:
    return page.locator("article h1").first.inner_text().replace("¶", "").strip()


def screenshot(page, name: str, full_page: bool = False) -> Path:
    """Keep a picture of the page in tests/artifacts/: the viewport as PNG, or the whole
    page as JPEG (a long case page as PNG takes seconds to encode)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (f"{name}.jpg" if full_page else f"{name}.png")
    page.screenshot(path=str(path), full_page=full_page, timeout=NAVIGATION_TIMEOUT,
                    **({"type": "jpeg", "quality": 80} if full_page else {}))
    return path


# --------------------------------------------------------------------------- every page


@pytest.fixture(scope="module")
def crawl(site, base_url, chromium) -> dict[str, dict]:
    """Visit every page of the site once, until it has settled (its `load` event and
    Material's search ready: the index fetched and loaded by the worker, the last thing a
    page does by itself), and record what each needs checking: console errors, page
    errors, requests, failed responses, images without alt text and the number of h1s."""
    context = _new_context(chromium, base_url)
    tab = context.new_page()
    seen: dict[str, dict] = {}
    current: dict = {}
    tab.on("console", lambda msg: current["errors"].append(msg.text) if msg.type == "error" else None)
    tab.on("pageerror", lambda exc: current["errors"].append(str(exc)))
    tab.on("request", lambda request: current["requests"].append(request.url))
    tab.on("response", lambda r: current["failed"].append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for url in site_pages(site):
        current = {"errors": [], "requests": [], "failed": []}
        response = tab.goto(url, wait_until="load")
        tab.wait_for_function(SEARCH_READY)  # (networkidle instead: +0.5 s a page)
        current["status"] = response.status if response else None
        current["images_without_alt"] = tab.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !(i.getAttribute('alt') || '').trim()).map(i => i.src)")
        current["images"] = tab.locator("img").count()
        current["h1"] = tab.locator("h1").count()
        seen[url] = current
    context.close()
    return seen


def test_the_crawl_visits_every_case_and_listing(crawl):
    assert {f"{c.slug}/" for c in CASES} <= set(crawl)
    assert {"", "tags/"} <= set(crawl)
    assert all(page["status"] == 200 for page in crawl.values())


def test_no_console_or_page_errors_on_any_page(crawl):
    errors = {url or "/": page["errors"] for url, page in crawl.items() if page["errors"]}
    assert not errors


def test_no_failed_requests_on_any_page(crawl):
    failed = {url or "/": page["failed"] for url, page in crawl.items() if page["failed"]}
    assert not failed


def test_every_image_has_alt_text(crawl):
    assert sum(page["images"] for page in crawl.values()) > 0, "no page has an image to check"
    missing = {url or "/": page["images_without_alt"] for url, page in crawl.items()
               if page["images_without_alt"]}
    assert not missing


def test_every_page_has_exactly_one_h1(crawl):
    counts = {url or "/": page["h1"] for url, page in crawl.items() if page["h1"] != 1}
    assert not counts


def test_no_request_leaves_the_site_at_page_load(crawl, base_url):
    outside = sorted({request for page in crawl.values() for request in page["requests"]
                      if not request.startswith(base_url) and not request.startswith(("data:", "blob:"))})
    assert not outside
    assert any(r.endswith("search_index.json") for page in crawl.values() for r in page["requests"])


# --------------------------------------------------------------------------- search


def _word_only_in(site: Path, case_id: str) -> str:
    """A word of the case's abstract, as indexed, that no other page of the index has."""
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    mine = " ".join(d["text"] for d in docs if d["location"].startswith(f"{case_id}/#abstract"))
    others = " ".join(d["title"] + " " + d["text"] for d in docs
                      if not d["location"].startswith(f"{case_id}/")).lower()
    for word in re.findall(r"[a-z]{7,}", re.sub(r"<[^>]+>", " ", mine).lower()):
        if word not in others:
            return word
    raise AssertionError(f"no word of {case_id}'s abstract is unique to it in the index")


def test_search_for_a_word_of_the_abstract_opens_the_case(site, page):
    word = _word_only_in(site, SEARCH_CASE)
    page.goto("")
    count, hrefs = search(page, word)  # read once this query's results are rendered
    paths = [urlparse(href).path for href in hrefs]
    assert count >= 1 and paths[0].startswith(f"/{SEARCH_CASE}/"), paths  # the best match
    page.locator(".md-search-result__list a.md-search-result__link").first.click()
    page.wait_for_url(re.compile(rf"/{SEARCH_CASE}/"))
    assert urlparse(page.url).path == f"/{SEARCH_CASE}/"
    assert h1_text(page) == BY_ID[SEARCH_CASE].title


# --------------------------------------------------------------------------- teaching reveal


def _reveal(page, section: str):
    return page.locator(f"details.gr-reveal[data-section='{section}']")


def test_hidden_diagnosis_is_revealed_by_clicking_its_prompt(page):
    final = markdown_to_text(BY_ID[TEACHING_CASE].diagnosis.final)
    page.goto(f"{TEACHING_CASE}/")
    details = _reveal(page, "diagnosis")
    assert details.count() == 1
    assert details.get_attribute("open") is None
    summary = details.locator("summary")
    assert summary.inner_text().strip() == "What is the diagnosis?"
    assert final[:40] not in page.locator("article").inner_text()
    summary.click()
    assert details.get_attribute("open") is not None
    assert final[:40] in details.inner_text()
    assert details.get_by_text(final[:40]).first.is_visible()


def test_every_hidden_section_starts_closed(page):
    page.goto(f"{TEACHING_CASE}/")
    for section in TEACHING_HIDE:
        assert _reveal(page, section).count() == 1, section
    sections = page.locator("details.gr-reveal")
    allowed = {*TEACHING_HIDE, *(f"abstract-{key}" for key in BY_ID[TEACHING_CASE].abstract)}
    assert {sections.nth(i).get_attribute("data-section") for i in range(sections.count())} <= allowed
    assert all(sections.nth(i).get_attribute("open") is None for i in range(sections.count()))


# --------------------------------------------------------------------------- print


PRINT_HIDDEN = {"header": ".md-header", "navigation": ".md-sidebar--primary",
                "table of contents": ".md-sidebar--secondary", "search": ".md-search",
                "footer": ".md-footer"}


def test_print_hides_navigation_and_opens_hidden_sections(page):
    page.goto(f"{TEACHING_CASE}/")
    for what, selector in PRINT_HIDDEN.items():
        assert page.locator(selector).count() > 0, f"no {what} ({selector}) on the page"
    assert page.locator(".md-header").is_visible()
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    visible = [what for what, selector in PRINT_HIDDEN.items()
               if any(page.locator(selector).nth(i).is_visible()
                      for i in range(page.locator(selector).count()))]
    assert not visible, f"shown in print: {visible}"
    assert page.locator("article h1").is_visible()
    sections = page.locator("details.gr-reveal")
    assert sections.count() >= len(TEACHING_HIDE)
    for i in range(sections.count()):
        assert sections.nth(i).get_attribute("open") is not None
    final = markdown_to_text(BY_ID[TEACHING_CASE].diagnosis.final)
    assert _reveal(page, "diagnosis").get_by_text(final[:40]).first.is_visible()
    screenshot(page, "case-print")


# --------------------------------------------------------------------------- home filters


def age_band(case: Case) -> set[str]:
    """DESIGN.md's bands: child under 18, adult 18-64, older adult 65 and over."""
    bands = set()
    for patient in ([case.patient] if case.patient else []) + list(case.patients):
        if patient.age is None:
            continue
        years = 90 if patient.age == "90+" else patient.age
        if patient.age_unit != "years":
            years = 0
        bands.add("child" if years < 18 else "adult" if years < 65 else "older-adult")
    return bands


HOME_SETTLED = "table#gr-cases[data-gr-shown]:not([aria-busy])"
"""The home table once assets/filters.js has shown the rows of the latest change (it sets
aria-busy in the change's own event, so a test's wait starts after the change)."""


def settled(page):
    page.wait_for_selector(HOME_SETTLED, state="attached")
    return page


def visible_rows(page) -> list[str]:
    """The case ids of the home table's rows a reader sees, in order."""
    rows = page.locator("table#gr-cases tbody tr.gr-case")
    ids = []
    for i in range(rows.count()):
        row = rows.nth(i)
        if row.is_visible():
            assert row.get_attribute("hidden") is None
            href = row.locator("a").first.get_attribute("href")
            ids.append(href.strip("./").split("/")[0])
        else:
            assert row.get_attribute("hidden") is not None
    return ids


def url_query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def count_text(page) -> str:
    return re.sub(r"\s+", " ", page.locator("#gr-count").inner_text()).strip()


def _commonest_partial_specialty() -> tuple[str, set[str]]:
    by_slug: dict[str, set[str]] = {}
    for case in CASES:
        for specialty in case.specialties:
            by_slug.setdefault(slugify(specialty), set()).add(case.slug)
    slug = max(sorted(by_slug), key=lambda s: len(by_slug[s]))
    assert len(by_slug[slug]) < len(CASES)
    return slug, by_slug[slug]


def test_home_table_shows_every_case_before_filtering(page):
    page.goto("")
    settled(page)
    assert sorted(visible_rows(page)) == sorted(BY_ID)
    assert count_text(page) == f"{len(CASES)} of {len(CASES)} cases"


def test_filter_by_specialty_is_in_the_url_and_survives_a_reload(page):
    slug, expected = _commonest_partial_specialty()
    page.goto("")
    settled(page)
    page.select_option("#gr-filter-specialty", slug)
    settled(page)
    assert sorted(visible_rows(page)) == sorted(expected)
    assert count_text(page) == f"{len(expected)} of {len(CASES)} cases"
    assert url_query(page).get("specialty") == [slug]
    page.reload()
    settled(page)
    assert page.locator("#gr-filter-specialty").input_value() == slug
    assert sorted(visible_rows(page)) == sorted(expected)
    page.select_option("#gr-filter-specialty", "")
    settled(page)
    assert sorted(visible_rows(page)) == sorted(BY_ID)
    assert "specialty" not in url_query(page)


def test_filter_by_free_text_ignores_case_and_is_in_the_url(page):
    query = "Kawasaki"
    expected = {c.slug for c in CASES
                if query.lower() in " ".join([c.title, *c.tags, *c.keywords]).lower()}
    assert 0 < len(expected) < len(CASES)
    page.goto("")
    settled(page)
    page.fill("#gr-filter-q", query)
    settled(page)
    assert sorted(visible_rows(page)) == sorted(expected)
    assert url_query(page).get("q") == [query]
    page.reload()
    settled(page)
    assert page.locator("#gr-filter-q").input_value() == query
    assert sorted(visible_rows(page)) == sorted(expected)


def _sexes(case: Case) -> set[str]:
    return {p.sex for p in ([case.patient] if case.patient else []) + list(case.patients) if p.sex}


SHARED_LINKS = {
    "age=child": lambda c: "child" in age_band(c),
    "age=older-adult": lambda c: "older-adult" in age_band(c),
    "type=case-study": lambda c: c.type == "case-study",
    "sex=male": lambda c: "male" in _sexes(c),
    "year=2024": lambda c: str(c.date or "").startswith("2024"),
}


@pytest.mark.parametrize("query", SHARED_LINKS)
def test_a_shared_link_with_a_filter_opens_filtered(page, query):
    name, value = query.split("=")
    expected = {c.slug for c in CASES if SHARED_LINKS[query](c)}
    assert 0 < len(expected) < len(CASES), "the example cases do not exercise this filter"
    page.goto(f"?{query}")
    settled(page)
    assert page.locator(f"#gr-filter-{name}").input_value() == value
    assert sorted(visible_rows(page)) == sorted(expected)


def test_without_javascript_the_newest_cases_show(chromium, base_url):  # the example: all of them
    context = _new_context(chromium, base_url, java_script_enabled=False)
    tab = context.new_page()
    tab.goto("?specialty=cardiology")
    assert sorted(visible_rows(tab)) == sorted(BY_ID)
    assert not tab.locator("#gr-filters").is_visible(), "filters that cannot work are shown"
    context.close()


def test_filters_combine_and_can_match_nothing(page):
    slug, expected = _commonest_partial_specialty()
    other = next(c for c in CASES if c.slug not in expected)
    query = " ".join(other.title.split()[:2])
    assert not any(query.lower() in " ".join([BY_ID[s].title, *BY_ID[s].tags, *BY_ID[s].keywords,
                                              BY_ID[s].diagnosis.final or ""]).lower()
                   for s in expected)
    page.goto("")
    settled(page)
    page.select_option("#gr-filter-specialty", slug)
    settled(page)
    page.fill("#gr-filter-q", query)
    settled(page)
    assert visible_rows(page) == []
    assert count_text(page) == f"0 of {len(CASES)} cases"


def test_sorting_by_the_case_column_both_ways(page):
    page.goto("")
    settled(page)
    header = page.locator("table#gr-cases thead th").filter(has_text="Case").first
    by_title = sorted(CASES, key=lambda c: c.title.casefold())
    header.locator("button.gr-sort").click()
    settled(page)
    assert header.get_attribute("aria-sort") == "ascending"
    assert visible_rows(page) == [c.slug for c in by_title]
    header.locator("button.gr-sort").click()
    settled(page)
    assert header.get_attribute("aria-sort") == "descending"
    assert visible_rows(page) == [c.slug for c in reversed(by_title)]


# --------------------------------------------------------------------------- looks


def test_screenshots_of_home_and_a_case(page):
    page.goto("")
    home = screenshot(page, "home", full_page=True)
    page.goto(f"{TEACHING_CASE}/")
    case = screenshot(page, "case", full_page=True)
    assert home.stat().st_size > 10_000 and case.stat().st_size > 10_000


@pytest.fixture(scope="module")
def phone(chromium, base_url):
    context = _new_context(chromium, base_url, viewport=PHONE, is_mobile=True, has_touch=True)
    yield context
    context.close()


TABLE_WRAPPERS = """tables => tables.map(table => {
    let box = table.parentElement;
    while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
    return {id: table.id || table.className || table.querySelector('th')?.textContent || '?',
            tableWidth: table.scrollWidth,
            scrolls: !!box && box !== document.documentElement && box !== document.body,
            boxRight: box ? box.getBoundingClientRect().right : null,
            boxClient: box ? box.clientWidth : null, boxScroll: box ? box.scrollWidth : null};
})"""


@pytest.mark.parametrize("url", ["", f"{TEACHING_CASE}/"], ids=["home", "case"])
def test_phone_viewport_has_no_horizontal_overflow_and_tables_scroll(phone, url):
    tab = phone.new_page()
    tab.goto(url)
    tab.wait_for_load_state("networkidle")
    width = tab.evaluate("window.innerWidth")
    assert width == PHONE["width"]
    assert tab.evaluate("document.scrollingElement.scrollWidth") <= width + 1
    tables = tab.eval_on_selector_all("article table", TABLE_WRAPPERS)
    wide = [t for t in tables if t["tableWidth"] > width]
    assert wide, "no table wider than a phone here; the test checks nothing"
    for table in wide:
        assert table["scrolls"], f"table {table['id']!r} has no scrolling wrapper"
        assert table["boxRight"] <= width + 1, table
        assert table["boxScroll"] > table["boxClient"], table
    screenshot(tab, "phone-" + (url.strip("/") or "home"))
    tab.close()


def _rgba(css: str) -> tuple[float, float, float, float]:
    numbers = [float(x) for x in re.findall(r"\d+(?:\.\d+)?", css)]
    return (*numbers[:3], numbers[3] if len(numbers) > 3 else 1.0)


def _over(top: tuple[float, ...], bottom: tuple[float, ...]) -> tuple[float, ...]:
    """Colour `top` (r, g, b, alpha) painted over the opaque colour `bottom`."""
    return tuple(top[3] * a + (1 - top[3]) * b for a, b in zip(top[:3], bottom[:3])) + (1.0,)


def _contrast(text: str, backgrounds: list[str]) -> float:
    """WCAG contrast ratio of a text colour over its stack of backgrounds (innermost first,
    ending at the first opaque one), alpha-composited as the browser paints them."""
    layers = [_rgba(css) for css in backgrounds] or [(255.0, 255.0, 255.0, 1.0)]
    behind = (255.0, 255.0, 255.0, 1.0) if layers[-1][3] < 1 else layers[-1]
    for layer in reversed(layers):
        behind = _over(layer, behind)
    colour = _over(_rgba(text), behind)

    def luminance(rgb) -> float:
        linear = [c / 255 / 12.92 if c / 255 <= 0.03928 else ((c / 255 + 0.055) / 1.055) ** 2.4
                  for c in rgb[:3]]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted([luminance(colour), luminance(behind)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


TEXT_COLOURS = """els => els.filter(e => e.offsetParent !== null && e.textContent.trim()).map(e => {
    const backgrounds = [];
    for (let box = e; box; box = box.parentElement) {
        const bg = getComputedStyle(box).backgroundColor;
        if (bg === 'transparent' || /rgba\\(.*, 0\\)$/.test(bg)) continue;
        backgrounds.push(bg);
        if (!bg.startsWith('rgba')) break;
    }
    return {what: e.tagName + '.' + e.className, color: getComputedStyle(e).color, backgrounds};
})"""


@pytest.mark.parametrize("url", ["", f"{TEACHING_CASE}/"], ids=["home", "case"])
def test_dark_mode_toggle_switches_to_slate_with_readable_text(chromium, base_url, url):
    context = _new_context(chromium, base_url)
    tab = context.new_page()
    tab.goto(url)
    body = tab.locator("body")
    assert body.get_attribute("data-md-color-scheme") == "default"
    tab.locator("form[data-md-component='palette'] label.md-header__button:visible").first.click()
    tab.wait_for_function("document.body.getAttribute('data-md-color-scheme') === 'slate'")
    wait_for_transitions(tab)  # Material fades colours; sample the final ones
    samples = tab.eval_on_selector_all(
        "article h1, article p, article td, article th, article summary, article li, "
        ".md-header__title, .md-nav__link", TEXT_COLOURS)
    assert len(samples) > 5
    poor = [(s["what"], round(_contrast(s["color"], s["backgrounds"]), 2)) for s in samples
            if _contrast(s["color"], s["backgrounds"]) < 4.5]
    assert not poor, f"text below 4.5:1 contrast in dark mode: {sorted(set(poor))[:10]}"
    screenshot(tab, "dark-" + (url.strip("/") or "home"))
    context.close()
