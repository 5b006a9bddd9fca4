"""The site served from a sub-path, as a GitHub project site is (https://user.github.io/repo/).

Issue 6, point 4. The example site is built by the publishing workflow's own build
step (.github/workflows/publish.yml, run here with bash) for the Pages address
`http://127.0.0.1:<port>/repo`, and served under `/repo/` by a server that answers 404 to everything outside that prefix.
Every page's links and assets are then followed over plain HTTP (href, src, srcset,
stylesheets, scripts, Open Graph and feed URLs, `url()`s and `@import`s in the CSS, the
search index and worker named in Material's `__config`, the sitemap and the Atom feed):
none may be a 404. The list of checked URLs is kept in tests/artifacts/subpath-urls.txt.
Finally one page is opened in chromium under the sub-path and a search is run there.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections import deque
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest
import yaml

from conftest import (BROWSER_TIMEOUT, NAVIGATION_TIMEOUT, ROOT, TESTS, copy_project, parse_html,
                      search, serve_directory)

PREFIX = "/repo/"
ARTIFACTS = TESTS / "artifacts"
SEARCH_CASE = "elderly-hyponatraemia-siadh"
SEARCH_WORD = "hyponatraemia"

URL_ATTRIBUTES = {"href", "src", "poster", "data", "action"}
META_URL_PROPERTIES = {"og:url", "og:image", "twitter:image", "citation_pdf_url",
                       "citation_abstract_html_url", "citation_fulltext_html_url"}


WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"
BUILD_TIMEOUT = 600  # s: the workflow's build step, on a loaded machine
FETCH_TIMEOUT = 60  # s: one request to the test server
BUILD_STEP = "Build the site"


def workflow_build_script() -> tuple[str, dict[str, str]]:
    """The `run` script and the plain (non-`${{ }}`) env of the workflow's build step."""
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    for job in jobs.values():
        for step in job.get("steps", []):
            if step.get("name") == BUILD_STEP:
                env = {k: str(v) for k, v in step.get("env", {}).items() if "${{" not in str(v)}
                return step["run"], env
    raise AssertionError(f"no step named {BUILD_STEP!r} in {WORKFLOW}")


def build_like_the_workflow(project: Path, pages_base_url: str) -> None:
    """Run the workflow's build step in `project` as GitHub would, with the base URL that
    actions/configure-pages reports (no trailing slash)."""
    script, env = workflow_build_script()
    env = dict(os.environ, **env, PAGES_BASE_URL=pages_base_url)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    result = subprocess.run(["bash", "-e", "-c", script], cwd=project, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=BUILD_TIMEOUT)
    assert result.returncode == 0, f"the workflow's build step failed:\n{result.stdout}"


@pytest.fixture(scope="module")
def subpath_site(tmp_path_factory):
    """(base URL ending in /repo/, site folder): the server starts first, so the build
    knows its port."""
    project = copy_project(tmp_path_factory.mktemp("subpath") / "project")
    site = project / "site"
    site.mkdir()
    with serve_directory(site, prefix=PREFIX) as base:
        build_like_the_workflow(project, base.rstrip("/"))
        yield base, site


# --------------------------------------------------------------------------- the crawler


def fetch(url: str) -> tuple[int, str, bytes]:
    """(status, content type, body) of a GET; HTTP errors are statuses, not exceptions."""
    try:
        with urllib.request.urlopen(url, timeout=FETCH_TIMEOUT) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, "", b""


def _srcset_urls(value: str) -> list[str]:
    return [part.strip().split()[0] for part in value.split(",") if part.strip()]


def html_links(body: str) -> list[str]:
    """Every URL an HTML page refers to: element attributes, srcset, meta URLs, inline
    `style` url()s and the search index and worker of Material's `__config`."""
    doc = parse_html(body)
    links: list[str] = []
    for node in doc.iter():
        for name, value in node.attrs.items():
            if value is None:
                continue
            if name in URL_ATTRIBUTES:
                links.append(value)
            elif name in ("srcset", "imagesrcset"):
                links.extend(_srcset_urls(value))
            elif name == "style":
                links.extend(css_links(value))
        if node.tag == "meta" and (node.get("property") or node.get("name")) in META_URL_PROPERTIES:
            links.append(node.get("content") or "")
        if node.tag == "script" and node.get("id") == "__config":
            config = json.loads(node.text())
            links.append(config["search"])
            links.append(config["base"].rstrip("/") + "/search/search_index.json")
        if node.tag == "style":
            links.extend(css_links(node.text()))
    return [link for link in links if link]


def css_links(text: str) -> list[str]:
    """The url()s and @import targets of a stylesheet."""
    found = re.findall(r"""url\(\s*(['"]?)([^'")]+)\1\s*\)""", text)
    imports = re.findall(r"""@import\s+(['"])([^'"]+)\1""", text)
    return [url for _, url in found + imports]


def xml_links(text: str) -> list[str]:
    """Locations in a sitemap and links of an Atom feed."""
    return (re.findall(r"<loc>([^<]+)</loc>", text)
            + re.findall(r"""<link\b[^>]*\bhref=["']([^"']+)["']""", text)
            + re.findall(r"<id>(https?://[^<]+)</id>", text))


def crawl(start: list[str], base: str) -> tuple[dict[str, int], list[tuple[str, str, int]]]:
    """Follow every link below `base` from the `start` URLs. Returns ({url: status},
    [(page, link, status) of each link that is not 200]). Links leaving the host are not
    followed; links to the same host outside `base` are checked (they must not exist)."""
    origin = "{0.scheme}://{0.netloc}/".format(urlparse(base))
    status: dict[str, int] = {}
    broken: list[tuple[str, str, int]] = []
    queue = deque((url, "(start)") for url in start)
    while queue:
        url, referrer = queue.popleft()
        url = urldefrag(url)[0]
        if url in status:
            if status[url] != 200:
                broken.append((referrer, url, status[url]))
            continue
        code, kind, body = fetch(url)
        status[url] = code
        if code != 200:
            broken.append((referrer, url, code))
            continue
        if not url.startswith(base):
            continue  # an existing page outside the sub-path is reported by the caller
        text = body.decode("utf-8", "replace")
        if kind == "text/html":
            links = html_links(text)
        elif kind == "text/css":
            links = css_links(text)
        elif kind in ("application/xml", "text/xml", "application/atom+xml") or url.endswith(".xml"):
            links = xml_links(text)
        else:
            links = []
        for link in links:
            if link.startswith(("data:", "mailto:", "javascript:", "#", "tel:")):
                continue
            absolute = urljoin(url, link)
            if absolute.startswith(origin):
                queue.append((absolute, url))
    return status, broken


def start_urls(base: str, site: Path) -> list[str]:
    """The home page, every HTML page on disk (so no page escapes by being unlinked),
    the sitemap and, when there is one, the feed."""
    urls = [base]
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        urls.append(base + (rel[: -len("index.html")] if rel.endswith("index.html") else rel))
    for name in ("sitemap.xml", "feed.xml"):
        if (site / name).exists():
            urls.append(base + name)
    return urls


# --------------------------------------------------------------------------- tests


def test_the_server_serves_only_the_sub_path(subpath_site):
    base, _ = subpath_site
    origin = base[: -len(PREFIX) + 1]
    assert fetch(base)[0] == 200
    assert fetch(origin)[0] == 404
    assert fetch(origin + "index.html")[0] == 404
    assert fetch(origin + "assets/grandrounds.css")[0] == 404


def test_the_checker_reports_a_link_that_escapes_the_sub_path(tmp_path):
    (tmp_path / "index.html").write_text(
        '<link rel="stylesheet" href="/assets/site.css"><a href="ok/">ok</a>'
        '<img srcset="missing.png 2x, ok/ 1x" alt="x">', encoding="utf-8")
    (tmp_path / "ok").mkdir()
    (tmp_path / "ok" / "index.html").write_text("<p>ok</p>", encoding="utf-8")
    with serve_directory(tmp_path, prefix=PREFIX) as base:
        status, broken = crawl([base], base)
    origin = base[: -len(PREFIX) + 1]
    assert sorted(link for _, link, _ in broken) == [origin + "assets/site.css", base + "missing.png"]
    assert status[base + "ok/"] == 200


def test_every_link_and_asset_resolves_under_the_sub_path(subpath_site):
    base, site = subpath_site
    status, broken = crawl(start_urls(base, site), base)
    outside = sorted(url for url in status if not url.startswith(base))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "subpath-urls.txt").write_text(
        f"{len(status)} URLs checked under {base}\n"
        + "".join(f"{code} {url}\n" for url, code in sorted(status.items())), encoding="utf-8")
    print(f"\nsub-path crawl: {len(status)} URLs checked, {len(broken)} broken")
    assert not broken, "\n".join(f"{page} -> {link}: {code}" for page, link, code in broken[:30])
    assert not outside, f"links leaving {PREFIX}: {outside}"
    checked = set(status)
    assert base + "search/search_index.json" in checked
    assert any("/workers/search." in url for url in checked), "the search worker was not followed"
    assert any(url.endswith(".css") for url in checked)
    assert any(url.endswith(".js") for url in checked)
    html_pages = len(list(site.rglob("*.html")))
    assert len(status) > html_pages + 10


def test_the_404_page_works_at_any_depth(subpath_site):
    """GitHub Pages answers a missing URL (e.g. /repo/no/such/page/) with 404.html, so its
    links and assets must not be relative to where it sits."""
    base, site = subpath_site
    missing = base + "no/such/page/"
    links = [urljoin(missing, link) for link in html_links((site / "404.html").read_text(encoding="utf-8"))
             if not link.startswith(("data:", "#", "mailto:"))]
    internal = [link for link in links if link.startswith(base[: -len(PREFIX) + 1])]
    assert len(internal) > 5
    broken = [(link, code) for link in internal if (code := fetch(urldefrag(link)[0])[0]) != 200]
    assert not broken


def test_absolute_urls_use_the_site_url(subpath_site):
    """Canonical links and the sitemap carry the sub-path (they are absolute URLs)."""
    base, site = subpath_site
    canonical = parse_html((site / SEARCH_CASE / "index.html").read_text(encoding="utf-8")) \
        .find("link", rel="canonical")
    assert canonical is not None and canonical.get("href") == f"{base}{SEARCH_CASE}/"
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{base}{SEARCH_CASE}/</loc>" in sitemap


def test_search_works_in_chromium_under_the_sub_path(subpath_site, chromium):
    base, _ = subpath_site
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(BROWSER_TIMEOUT)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: problems.append(str(exc)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(base + "tags/")
    count, hrefs = search(page, SEARCH_WORD)  # read once this query's results are rendered
    assert count > 0 and hrefs and all(href.startswith(base) for href in hrefs), hrefs
    target = next((i for i, href in enumerate(hrefs) if href.startswith(base + SEARCH_CASE + "/")), None)
    assert target is not None, hrefs
    # one query only, so the list is not replaced any more (later results are appended)
    page.locator(".md-search-result__list a.md-search-result__link").nth(target).click()
    page.wait_for_url(re.compile(re.escape(base + SEARCH_CASE + "/")))
    assert page.locator("article h1").first.inner_text().replace("¶", "").strip()
    assert not problems, problems
    context.close()
