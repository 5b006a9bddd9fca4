"""A live `mkdocs serve --dirty`: edits to records and templates show up, and stay correct.

One server runs for the whole module (on a copy of mkdocs.yml, cases/ and templates/ in a
temporary folder); the tests below run in file order and each changes the copy, then polls
the server until the change shows (or a deadline passes). Together they walk what a user
does during a preview: edit a title, break a record, fix it, add one, delete one, look at a
draft, edit a template, turn a record into a draft and back, delete and restore a draft,
rename records, delete and restore the templates folder. After each step the search index
must equal, entry for entry, the index that a fresh `mkdocs serve --dirty` makes of the
same files (its first build, run as serve runs it, in a separate process: `cold_index`).

Waits are for states, never fixed sleeps: each step polls until the change shows (or a
deadline passes), and the index comparison polls until the live index equals the cold one.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
# Deadlines are generous because the machine may be loaded; a passing step costs only
# the time its change takes to show.
START_TIMEOUT = 180.0  # first build and server start
STEP_TIMEOUT = 90.0  # one rebuild showing up
COLD_TIMEOUT = 180.0  # a cold build for the comparison
GET_TIMEOUT = 60.0  # one request (the server holds requests while it rebuilds)
PORT_ATTEMPTS = 5  # the port is chosen before serve binds it; another process may take it
POLL = 0.2

# The records the steps use (their slugs are the URLs).
EDITED = "pediatric-kawasaki-incomplete"  # (1) title edited; filed under two specialties
BROKEN = "dah-sle-msc"  # (2) broken, (3) fixed
TEMPLATE_FROM = "elderly-hyponatraemia-siadh"  # (4) copied to a new record; (10) renamed (no id:)
DELETED = "anti-nmda-encephalitis"  # (5) deleted; the only case of neurology and psychiatry
DRAFT = "draft-example"  # (6) status: draft; (9) deleted and restored
TEMPLATE_MARKER = "Serve test template marker seven"  # (7) added to case.md.j2


# Helpers ---------------------------------------------------------------------


@dataclass
class Server:
    root: Path
    base: str
    log: Path
    proc: subprocess.Popen[bytes]
    initial_locations: set[str]
    saved: dict[str, str] = field(default_factory=dict)  # file texts a later step restores

    @property
    def cases(self) -> Path:
        return self.root / "cases"

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def get(self, path: str) -> tuple[int | None, str]:
        """(status, body) of a GET; (None, "") when the server does not answer."""
        url = f"{self.base}/{path.lstrip('/')}"
        try:
            with urllib.request.urlopen(url, timeout=GET_TIMEOUT) as response:
                return response.status, response.read().decode("utf-8", errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", errors="replace")
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return None, ""

    def search_docs(self) -> list[dict[str, Any]] | None:
        """The entries of search/search_index.json, or None if it can't be read right now."""
        status, body = self.get("search/search_index.json")
        if status != 200:
            return None
        try:
            return json.loads(body)["docs"]
        except (ValueError, KeyError):
            return None  # caught mid-write

    def wait_for(self, check: Callable[[], Any], what: str, timeout: float = STEP_TIMEOUT) -> Any:
        """Poll `check` until it returns something truthy; fail with the log's tail if not."""
        deadline = time.monotonic() + timeout
        last: Any = None
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"mkdocs serve exited ({self.proc.returncode}) while waiting for "
                            f"{what}\n--- log ---\n{self.log_text()[-4000:]}")
            try:
                last = check()
            except AssertionError as exc:  # a check may assert to explain itself
                last = exc
            else:
                if last and not isinstance(last, AssertionError):
                    return last
            if time.monotonic() > deadline:
                pytest.fail(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})"
                            f"\n--- log tail ---\n{self.log_text()[-3000:]}")
            time.sleep(POLL)


def page_locations(docs: list[dict[str, Any]]) -> set[str]:
    """The pages that have entries in a search index ('dah-sle-msc/', 'specialties/x/', ...)."""
    return {d["location"].split("#", 1)[0] for d in docs}


def h1(body: str) -> str | None:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    if not match:
        return None
    text = re.sub(r"<a class=\"headerlink\".*?</a>", "", match.group(1), flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def set_title(path: Path, title: str) -> None:
    """Replace the record's title value in place (plain or folded scalar), as an editor would."""
    text = path.read_text(encoding="utf-8")
    root = yaml.compose(text)
    node = next(v for k, v in root.value if k.value == "title")
    start, end = node.start_mark.index, node.end_mark.index
    old = text[start:end]
    new = json.dumps(title) + ("\n" if old.endswith("\n") else "")
    write(path, text[:start] + new + text[end:])


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server's process group: SIGINT first, which serve handles (it deletes its
    temporary site folder), then SIGTERM and SIGKILL if it lingers."""
    for sig, grace in ((signal.SIGINT, 20), (signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if proc.poll() is not None:
            return
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue


# The server --------------------------------------------------------------------


def start_server(root: Path) -> Server:
    """`mkdocs serve --dirty` in `root`, once it has bound its port and answers. The port
    is picked free but only bound after the first build, so another process can take it
    first: then serve exits with "Address already in use" and another port is tried. The
    server is ours once its log says it serves on that port (a stranger on the port
    would answer HTTP too)."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1", PYTHONUNBUFFERED="1")
    log = root / "serve.log"
    for attempt in range(PORT_ATTEMPTS):
        port = free_port()
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "mkdocs", "serve", "--dirty", "-a", f"127.0.0.1:{port}"],
                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # its own process group, so teardown stops it all
            )
        srv = Server(root, f"http://127.0.0.1:{port}", log, proc, set())
        serving = f"Serving on http://127.0.0.1:{port}/"
        deadline = time.monotonic() + START_TIMEOUT
        while proc.poll() is None and serving not in srv.log_text() and time.monotonic() < deadline:
            time.sleep(POLL)
        if serving in srv.log_text():
            return srv
        stop(proc)
        if "Address already in use" not in srv.log_text():
            pytest.fail(f"mkdocs serve did not start within {START_TIMEOUT:.0f} s (exit "
                        f"{proc.returncode})\n--- log ---\n{srv.log_text()[-4000:]}")
    pytest.fail(f"no free port for mkdocs serve after {PORT_ATTEMPTS} attempts")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    root = tmp_path_factory.mktemp("serve")
    shutil.copy(ROOT / "mkdocs.yml", root / "mkdocs.yml")
    shutil.copytree(ROOT / "cases", root / "cases")
    shutil.copytree(ROOT / "templates", root / "templates")
    srv = start_server(root)
    try:
        srv.wait_for(lambda: srv.get("")[0] == 200, "the server to answer", START_TIMEOUT)
        docs = srv.wait_for(srv.search_docs, "the search index")
        srv.initial_locations = page_locations(docs)
        yield srv
    finally:
        stop(srv.proc)


# The cold build to compare with --------------------------------------------------

COLD_BUILD = """
import sys
from mkdocs.commands.build import build
from mkdocs.config import load_config

# what `mkdocs serve --dirty` does before its first build (mkdocs/commands/serve.py)
config = load_config(config_file=sys.argv[1], site_dir=sys.argv[2])
config.plugins.on_startup(command="serve", dirty=True)
config.site_url = sys.argv[3]
build(config, serve_url=sys.argv[3], dirty=True)
"""


def cold_index(server: Server) -> list[dict[str, Any]]:
    """The search index of a fresh `mkdocs serve --dirty` of the served copy's files as
    they are now: its first build, as serve runs it, in a new process on a copy."""
    with tempfile.TemporaryDirectory(prefix="cold-") as tmp:
        copy = Path(tmp)
        shutil.copy(server.root / "mkdocs.yml", copy / "mkdocs.yml")
        shutil.copytree(server.cases, copy / "cases")
        if (server.root / "templates").is_dir():
            shutil.copytree(server.root / "templates", copy / "templates")
        env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
        result = subprocess.run(
            [sys.executable, "-c", COLD_BUILD, str(copy / "mkdocs.yml"), str(copy / "site"),
             server.base + "/"],
            cwd=copy, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=COLD_TIMEOUT)
        assert result.returncode == 0, f"the cold build failed:\n{result.stdout[-4000:]}"
        return json.loads((copy / "site" / "search" / "search_index.json")
                          .read_text(encoding="utf-8"))["docs"]


def index_difference(live: list[dict[str, Any]], cold: list[dict[str, Any]]) -> str:
    """What differs between two search indexes, briefly ("" when they are equal)."""
    if live == cold:
        return ""
    keys = lambda docs: [(d["location"], d["title"]) for d in docs]  # noqa: E731
    missing = sorted(set(keys(cold)) - set(keys(live)))
    extra = sorted(set(keys(live)) - set(keys(cold)))
    first = next((i for i, (a, b) in enumerate(zip(live, cold)) if a != b), min(len(live), len(cold)))
    return (f"live has {len(live)} entries, cold {len(cold)}; missing from live: {missing[:8]}; "
            f"only in live: {extra[:8]}; first difference at entry {first}: "
            f"live {live[first] if first < len(live) else None!r:.300} "
            f"cold {cold[first] if first < len(cold) else None!r:.300}")


def assert_index_is_cold(server: Server, after: str) -> None:
    """Poll until the live index equals a cold build's index of the same files: the same
    entries (location, title, text, tags), in the same order."""
    cold = cold_index(server)
    assert cold, "the cold build indexed nothing"

    def same() -> bool:
        live = server.search_docs()
        if live is None:
            return False
        difference = index_difference(live, cold)
        assert not difference, difference
        return True

    server.wait_for(same, f"the live search index to equal a cold build's after {after}")


def case_slugs(server: Server) -> set[str]:
    """The published cases now in the served copy, by slug (id, else file stem)."""
    slugs = set()
    for path in server.cases.glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("status", "published") == "published":
            slugs.add(data.get("id") or path.stem)
    return slugs


# The steps, in order -------------------------------------------------------------


def test_0_first_build_indexes_every_case(server: Server) -> None:
    for slug in case_slugs(server):
        assert f"{slug}/" in server.initial_locations, slug
    assert "" in server.initial_locations, "the home page is missing from the search index"


def test_1_title_edit_shows_everywhere_and_index_stays_whole(server: Server) -> None:
    path = server.cases / f"{EDITED}.yaml"
    old_title = yaml.safe_load(path.read_text(encoding="utf-8"))["title"]
    new_title = "Serve test edited title one"
    set_title(path, new_title)

    server.wait_for(lambda: h1(server.get(f"{EDITED}/")[1]) == new_title, "the case page's new <h1>")
    server.wait_for(lambda: new_title in server.get("")[1], "the home page to list the new title")
    for specialty in ("paediatrics", "cardiology"):
        server.wait_for(lambda: new_title in server.get(f"specialties/{specialty}/")[1],
                        f"the {specialty} page to list the new title")

    def index_updated() -> list[dict[str, Any]] | None:
        docs = server.search_docs()
        if docs and any(d["location"] == f"{EDITED}/" and d["title"] == new_title for d in docs):
            return docs
        return None

    docs = server.wait_for(index_updated, "the search index to have the new title")
    assert not any(d["title"] == old_title for d in docs), "the old title is still indexed"
    assert page_locations(docs) == server.initial_locations, "the search index lost or gained pages"
    for slug in case_slugs(server):
        assert f"{slug}/" in page_locations(docs), f"{slug} is missing from the search index"


def test_2_broken_record_is_reported_and_the_rest_stays_up(server: Server) -> None:
    path = server.cases / f"{BROKEN}.yaml"
    text = path.read_text(encoding="utf-8")
    server.saved[BROKEN] = text
    write(path, re.sub(r"(?m)^title: .*$", "title: [unclosed", text, count=1))

    pattern = re.compile(rf"cases/{re.escape(BROKEN)}\.yaml:\d+:\d+: YAML syntax error")
    line = server.wait_for(lambda: pattern.search(server.log_text()), "the error line in the log")
    assert "ERROR" in server.log_text()[max(0, line.start() - 40):line.start()]

    def error_shown() -> bool:
        status, body = server.get(f"{BROKEN}/")
        return status == 200 and bool(pattern.search(html.unescape(body)))

    server.wait_for(error_shown, "the broken case's page to show the error")
    status, body = server.get(f"{BROKEN}/")
    # Its last good version with the error banner (or an error page).
    assert "has errors" in body or "Error in" in body

    assert server.get("")[0] == 200
    for slug in (EDITED, TEMPLATE_FROM, DELETED):
        status, body = server.get(f"{slug}/")
        assert status == 200 and h1(body), slug
    docs = server.wait_for(server.search_docs, "the search index")
    for slug in (EDITED, TEMPLATE_FROM, DELETED):
        assert f"{slug}/" in page_locations(docs), f"{slug} left the index when {BROKEN} broke"


def test_3_fixed_record_recovers(server: Server) -> None:
    path = server.cases / f"{BROKEN}.yaml"
    write(path, server.saved[BROKEN])
    fixed_title = "Serve test fixed title three"
    set_title(path, fixed_title)

    def recovered() -> bool:
        status, body = server.get(f"{BROKEN}/")
        return status == 200 and h1(body) == fixed_title and "has errors" not in body

    server.wait_for(recovered, "the fixed case page")
    server.wait_for(lambda: fixed_title in server.get("")[1], "the home page to list the fixed case")
    server.wait_for(lambda: any(d["location"] == f"{BROKEN}/" and d["title"] == fixed_title
                                for d in server.search_docs() or []), "the fixed case in the index")
    assert_index_is_cold(server, "a record was broken and fixed")


NEW_ID = "serve-added-case"
NEW_TITLE = "Serve test added case four"


def test_4_new_record_appears(server: Server) -> None:
    text = (server.cases / f"{TEMPLATE_FROM}.yaml").read_text(encoding="utf-8")
    assert re.search(r"(?m)^id:", text) is None
    text = text.replace("schema_version: 1\n", f"schema_version: 1\nid: {NEW_ID}\n", 1)
    path = server.cases / "added-record.yaml"
    write(path, text)
    set_title(path, NEW_TITLE)

    server.wait_for(lambda: h1(server.get(f"{NEW_ID}/")[1]) == NEW_TITLE, "the new case's page")
    server.wait_for(lambda: NEW_TITLE in server.get("")[1], "the home page to list the new case")
    server.wait_for(lambda: any(d["location"] == f"{NEW_ID}/" and d["title"] == NEW_TITLE
                                for d in server.search_docs() or []), "the new case in the index")
    docs = server.search_docs() or []
    assert page_locations(docs) == server.initial_locations | {f"{NEW_ID}/"}
    assert_index_is_cold(server, "a record was added")


def test_5_deleted_record_leaves_home_and_index(server: Server) -> None:
    path = server.cases / f"{DELETED}.yaml"
    title = h1(server.get(f"{DELETED}/")[1])
    assert title
    path.unlink()

    server.wait_for(lambda: title not in server.get("")[1], "the home page to drop the deleted case")
    docs = server.wait_for(lambda: (d := server.search_docs()) is not None
                           and not any(x["location"].startswith(f"{DELETED}/") for x in d) and d,
                           "the search index to drop the deleted case")
    for slug in case_slugs(server):
        assert f"{slug}/" in page_locations(docs), f"{slug} left the index"


def test_5b_deleted_record_page_and_emptied_listings_are_gone(server: Server) -> None:
    # The deleted case was the only one in neurology and psychiatry: their pages go too.
    for path in (f"{DELETED}/", "specialties/neurology/", "specialties/psychiatry/"):
        server.wait_for(lambda: server.get(path)[0] == 404, f"{path} to answer 404")
    assert "specialties/neurology/" not in page_locations(server.search_docs() or [])
    assert_index_is_cold(server, "a record was deleted")


def test_6_draft_is_served(server: Server) -> None:
    status, body = server.get(f"{DRAFT}/")
    assert status == 200
    assert 'class="mkdocs-draft-marker"' in body
    title = yaml.safe_load((server.cases / f"{DRAFT}.yaml").read_text(encoding="utf-8"))["title"]
    assert h1(body) == title


def test_7_template_edit_changes_case_pages(server: Server) -> None:
    path = server.root / "templates" / "case.md.j2"
    marker = TEMPLATE_MARKER
    write(path, path.read_text(encoding="utf-8") + f"\n\n<p>{marker}</p>\n")

    for slug in (EDITED, BROKEN, NEW_ID, DRAFT):
        server.wait_for(lambda: marker in server.get(f"{slug}/")[1], f"{slug} to show the template edit")
    # the edit re-rendered every case; the index must still be whole
    docs = server.wait_for(server.search_docs, "the search index")
    for slug in case_slugs(server):
        assert f"{slug}/" in page_locations(docs), f"{slug} left the index after a template edit"
    assert_index_is_cold(server, "a template edit")


def set_status(path: Path, status: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert re.search(r"(?m)^status: \w+$", text), path
    write(path, re.sub(r"(?m)^status: \w+$", f"status: {status}", text, count=1))


def listed_as_draft(server: Server, slug: str) -> bool | None:
    """Whether the home table marks the case "(draft)"; None if it does not list it."""
    match = re.search(rf'href="[^"]*\b{re.escape(slug)}/"[^>]*>[^<]*</a>( <em>\(draft\)</em>)?',
                      server.get("")[1])
    return None if match is None else bool(match.group(1))


DRAFT_MARK = 'class="mkdocs-draft-marker"'


def test_8_published_record_made_draft_and_back_keeps_its_search_entries(server: Server) -> None:
    # The draft is still previewed (and so searchable in the preview); back to published,
    # its page is not rebuilt (its Markdown did not change), so its entries must survive.
    path = server.cases / f"{EDITED}.yaml"
    set_status(path, "draft")
    server.wait_for(lambda: listed_as_draft(server, EDITED), "the home page to mark the case a draft")
    server.wait_for(lambda: DRAFT_MARK in server.get(f"{EDITED}/")[1],
                    "the case page, still previewed, to carry MkDocs' DRAFT mark")
    assert_index_is_cold(server, "a published record became a draft")

    set_status(path, "published")
    server.wait_for(lambda: listed_as_draft(server, EDITED) is False,
                    "the home page to list the case as published")
    server.wait_for(lambda: (body := server.get(f"{EDITED}/")[1]) and DRAFT_MARK not in body,
                    "the published page to lose the DRAFT mark")
    assert_index_is_cold(server, "the draft was published again")
    docs = server.search_docs() or []
    assert f"{EDITED}/" in page_locations(docs)


def test_9_draft_deleted_and_restored(server: Server) -> None:
    path = server.cases / f"{DRAFT}.yaml"
    text = path.read_text(encoding="utf-8")
    title = yaml.safe_load(text)["title"]
    path.unlink()
    server.wait_for(lambda: server.get(f"{DRAFT}/")[0] == 404, "the deleted draft's page to go")
    assert_index_is_cold(server, "a draft was deleted")

    write(path, text)
    server.wait_for(lambda: h1(server.get(f"{DRAFT}/")[1]) == title, "the restored draft's page")
    assert_index_is_cold(server, "the draft was restored")


def test_10_renamed_records(server: Server) -> None:
    # Without `id:` the file name is the slug, so the page moves; with one it stays.
    moved = server.cases / f"{TEMPLATE_FROM}.yaml"
    title = yaml.safe_load(moved.read_text(encoding="utf-8"))["title"]
    new_slug = "serve-renamed-record"
    moved.rename(server.cases / f"{new_slug}.yaml")
    (server.cases / f"{BROKEN}.yaml").rename(server.cases / "serve-renamed-with-id.yaml")

    server.wait_for(lambda: h1(server.get(f"{new_slug}/")[1]) == title, "the renamed record's page")
    server.wait_for(lambda: server.get(f"{TEMPLATE_FROM}/")[0] == 404, "the old page to go")
    assert server.get(f"{BROKEN}/")[0] == 200, "a record with an id: keeps its page when renamed"
    assert_index_is_cold(server, "two records were renamed")


def edit_template(server: Server, marker: str) -> None:
    path = server.root / "templates" / "case.md.j2"
    write(path, path.read_text(encoding="utf-8") + f"\n\n<p>{marker}</p>\n")
    server.wait_for(lambda: marker in server.get(f"{EDITED}/")[1], f"the template edit {marker!r} to show")


def test_11_templates_deleted_and_restored_still_reload(server: Server, tmp_path: Path) -> None:
    templates = server.root / "templates"
    backup = tmp_path / "templates"
    shutil.copytree(templates, backup)

    # Deleted: the pages use the package's templates, which lack test 7's marker.
    shutil.rmtree(templates)
    server.wait_for(lambda: (body := server.get(f"{EDITED}/")[1]) and TEMPLATE_MARKER not in body,
                    "the pages to use the package's templates once templates/ is gone")
    assert_index_is_cold(server, "templates/ was deleted")

    # Restored: its templates are used again, and an edit to them reloads.
    shutil.copytree(backup, templates)
    server.wait_for(lambda: TEMPLATE_MARKER in server.get(f"{EDITED}/")[1],
                    "the restored templates to be used again")
    edit_template(server, "Serve test marker after a restore")

    # Deleted and restored at once (no rebuild between), then edited.
    shutil.rmtree(templates)
    shutil.copytree(backup, templates)
    server.wait_for(lambda: "Serve test marker after a restore" not in server.get(f"{EDITED}/")[1],
                    "the restored copy (without the last edit) to be used")
    edit_template(server, "Serve test marker after a quick restore")
    assert_index_is_cold(server, "templates/ was restored and edited")


def test_12_the_log_has_no_traceback(server: Server) -> None:
    log = server.log_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 200:][:3000]
    assert server.proc.poll() is None, "the server stopped"
