"""Presenting a teaching session (issue 13, items 4 and 5) in a real browser: the session's
page starts it, and present mode goes on from each case's last step to the next case.

A copy of the example site is built once for the module with the example's session
(`sessions/`, three cases, `unknown: true`) and one more session that presents two of
the same cases under their own titles, so that a case page serves two sessions. Each case
page carries, hidden, its place in each session (templates/session-nav.html.j2); present.js
follows the links of the session in the URL (`?present=N&session=<id>`). The same is built
with `use_directory_urls: false` and served under a sub-path: the links are the engine's,
relative to each page, so they hold there too.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conftest import ROOT, build_project, parse_html, serve_directory
from test_browser import _new_context, context, page  # noqa: F401

UNKNOWN = "2026-12-rheumatology-round"  # the example's session: unknown: true
UNKNOWN_CASES = ["dah-sle-msc", "anti-nmda-encephalitis", "pediatric-kawasaki-incomplete"]
OPEN = "open-round"  # this module's: the same cases' last two, under their own titles
COUNTER = ".gr-present-counter"
VIEW = "article.md-content__inner"
SUB_PATH = "/teaching/rounds/"


def _with_sessions(project: Path) -> None:
    shutil.copytree(ROOT / "sessions", project / "sessions")
    (project / "sessions" / f"{OPEN}.yaml").write_text(
        f'title: An open round\ndate: "2026-11-01"\ncases: [{UNKNOWN_CASES[1]}, {UNKNOWN_CASES[2]}]\n',
        encoding="utf-8")


def _flat_urls(project: Path) -> None:
    _with_sessions(project)
    config = project / "mkdocs.yml"
    config.write_text("use_directory_urls: false\n" + config.read_text(encoding="utf-8"), encoding="utf-8")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    built = build_project(tmp_path_factory.mktemp("session") / "project", _with_sessions)
    assert (built / "sessions" / UNKNOWN / "index.html").is_file()
    return built


@pytest.fixture(scope="module")
def base_url(site: Path):
    with serve_directory(site) as url:
        yield url


def counter(page) -> str:
    return re.sub(r"\s+", " ", page.locator(COUNTER).inner_text()).strip()


def wait_counter(page, pattern: str) -> str:
    """Wait until the counter matches `pattern` (a regular expression), and return it."""
    page.wait_for_function("([sel, p]) => new RegExp(p).test((document.querySelector(sel) || {}).textContent || '')",
                           arg=[COUNTER, pattern])
    return counter(page)


def view_text(page) -> str:
    return re.sub(r"\s+", " ", page.locator(VIEW).inner_text())


def real_title(site: Path, case: str, flat: bool = False) -> str:
    path = site / (f"{case}.html" if flat else f"{case}/index.html")
    heading = parse_html(path.read_text(encoding="utf-8")).find("h1")
    return re.sub(r"\s+", " ", heading.text()).replace("¶", "").strip()


def start_session(page, url: str) -> None:
    page.goto(url)
    page.get_by_role("button", name="Present the session", exact=True).click()
    wait_counter(page, r"^Session · Step 1 of \d+$")


# --------------------------------------------------------------------------- the built pages


def test_each_case_page_knows_its_place_in_every_session_and_says_nothing_of_it(site):
    """The navigation is hidden, out of every search index, and names no real title."""
    for n, case in enumerate(UNKNOWN_CASES, 1):
        doc = parse_html((site / case / "index.html").read_text(encoding="utf-8"))
        navs = {nav.attrs["data-session"]: nav for nav in doc.find_all("nav", cls="gr-session-nav")}
        assert set(navs) == ({UNKNOWN, OPEN} if n > 1 else {UNKNOWN}), case
        nav = navs[UNKNOWN]
        assert "hidden" in nav.attrs and "data-search-exclude" in nav.attrs and nav.attrs["data-pagefind-ignore"] == "all"
        assert (nav.attrs["data-number"], nav.attrs["data-count"]) == (str(n), "3")
        assert "data-unknown" in nav.attrs and real_title(site, case) not in str(nav)
        links = {a.attrs["data-rel"]: a.attrs["href"] for a in nav.find_all("a")}
        assert links["session"] == f"../sessions/{UNKNOWN}/"
        assert links.get("previous") == (f"../{UNKNOWN_CASES[n - 2]}/" if n > 1 else None)
        assert links.get("next") == (f"../{UNKNOWN_CASES[n]}/" if n < 3 else None)
    # the open session: numbered in its own order, the case's own (public) title, not unknown
    nav = [n for n in parse_html((site / UNKNOWN_CASES[2] / "index.html").read_text(encoding="utf-8"))
           .find_all("nav", cls="gr-session-nav") if n.attrs["data-session"] == OPEN][0]
    assert (nav.attrs["data-number"], nav.attrs["data-count"]) == ("2", "2") and "data-unknown" not in nav.attrs
    assert nav.attrs["data-title"] == real_title(site, UNKNOWN_CASES[2])
    # a case in no session has none
    assert not parse_html((site / "palpitations-runner" / "index.html").read_text(encoding="utf-8")) \
        .find_all("nav", cls="gr-session-nav")


# --------------------------------------------------------------------------- in the browser


def test_a_session_is_presented_case_after_case_with_the_keys(site, page):
    start_session(page, f"sessions/{UNKNOWN}/")
    assert "Unknown cases: bleeding" in view_text(page)  # the session's title step, then its list
    page.keyboard.press("End")
    wait_counter(page, r"^Session · Step 2 of 2$")
    assert "Case 1" in view_text(page) and real_title(site, UNKNOWN_CASES[0]) not in view_text(page)
    page.keyboard.press("PageDown")  # past the session's last step: its first case
    wait_counter(page, r"^Case 1 of 3 · Step 1 of \d+$")
    assert page.url.endswith(f"/{UNKNOWN_CASES[0]}/?present=1&session={UNKNOWN}")
    page.keyboard.press("End")
    last = wait_counter(page, r"^Case 1 of 3 · Step (\d+) of \1$")
    page.keyboard.press("ArrowRight")
    wait_counter(page, r"^Case 2 of 3 · Step 1 of \d+$")
    assert f"/{UNKNOWN_CASES[1]}/?present=1&session={UNKNOWN}" in page.url
    page.keyboard.press("PageUp")  # before a case's first step: the previous case's last
    assert wait_counter(page, r"^Case 1 of 3 ") == last
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Home")
    wait_counter(page, r"^Case 1 of 3 · Step 1 of ")
    page.keyboard.press("PageUp")  # before the first case: the session page, at its end
    wait_counter(page, r"^Session · Step 2 of 2$")
    page.keyboard.press("Home")
    wait_counter(page, r"^Session · Step 1 of 2$")
    assert page.get_by_role("button", name="Previous", exact=True).is_disabled()  # the start


def test_the_last_case_ends_the_session_and_escape_returns_to_its_page(site, page):
    page.goto(f"{UNKNOWN_CASES[2]}/?present=last&session={UNKNOWN}")
    wait_counter(page, r"^Case 3 of 3 · Step (\d+) of \1$")
    assert page.get_by_role("button", name="Next", exact=True).is_disabled()
    page.keyboard.press("PageDown")
    page.wait_for_timeout(300)
    assert re.match(r"^Case 3 of 3 · Step (\d+) of \1$", counter(page)) and UNKNOWN_CASES[2] in page.url
    page.keyboard.press("Escape")
    page.wait_for_function("!document.documentElement.classList.contains('gr-presenting')")
    assert "present=" not in page.url and page.locator(".gr-present-title").count() == 0


def test_an_unknown_session_shows_its_title_for_the_case_and_the_real_one_last(site, page):
    title = real_title(site, UNKNOWN_CASES[2])  # no teaching title: the session says "Case 3"
    page.goto(f"{UNKNOWN_CASES[2]}/?present=1&session={UNKNOWN}")
    wait_counter(page, r"^Case 3 of 3 · Step 1 of ")
    shown = view_text(page)
    assert "Case 3" in shown and title not in shown
    assert page.get_by_role("heading", name="Case 3", exact=True).is_visible()
    page.keyboard.press("End")  # the last step: the case's own title
    wait_counter(page, r"^Case 3 of 3 · Step (\d+) of \1$")
    assert title in view_text(page) and "Case 3" not in view_text(page)


def test_an_open_session_presents_the_case_under_its_own_title(site, page):
    title = real_title(site, UNKNOWN_CASES[2])
    page.goto(f"{UNKNOWN_CASES[2]}/?present=1&session={OPEN}")
    wait_counter(page, r"^Case 2 of 2 · Step 1 of ")
    assert title in view_text(page) and page.locator(".gr-present-title").count() == 0


def test_without_a_session_a_case_is_presented_alone(site, page):
    page.goto(f"{UNKNOWN_CASES[1]}/?present=1")
    wait_counter(page, r"^Step 1 of \d+$")
    assert page.get_by_role("button", name="Previous", exact=True).is_disabled()
    page.goto(f"{UNKNOWN_CASES[1]}/?present=1&session=no-such-session")
    wait_counter(page, r"^Step 1 of \d+$")


def test_a_session_goes_from_case_to_case_with_flat_urls_under_a_sub_path(tmp_path_factory, chromium):
    flat = build_project(tmp_path_factory.mktemp("flat") / "project", _flat_urls)
    with serve_directory(flat, prefix=SUB_PATH) as base:
        context = _new_context(chromium, base)
        tab = context.new_page()
        errors: list[str] = []
        requests: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("request", lambda r: requests.append(r.url))
        try:
            start_session(tab, f"sessions/{UNKNOWN}.html")
            tab.keyboard.press("End")
            tab.keyboard.press("PageDown")
            wait_counter(tab, r"^Case 1 of 3 · Step 1 of ")
            assert tab.url == f"{base}{UNKNOWN_CASES[0]}.html?present=1&session={UNKNOWN}"
            tab.keyboard.press("End")
            tab.keyboard.press("PageDown")
            wait_counter(tab, r"^Case 2 of 3 · Step 1 of ")
            assert tab.url == f"{base}{UNKNOWN_CASES[1]}.html?present=1&session={UNKNOWN}"
            tab.reload()  # a reload resumes, in the session
            wait_counter(tab, r"^Case 2 of 3 · Step 1 of ")
        finally:
            context.close()
    assert not errors
    assert all(r.startswith(base) or r.startswith(("data:", "blob:")) for r in requests)
