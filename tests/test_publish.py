"""The GitHub Pages workflow (.github/workflows/publish.yml), read as data.

It cannot run here (it needs GitHub), so this checks its shape: valid YAML, the Pages
artifact recipe (configure-pages, upload-pages-artifact, deploy-pages) with the permissions
deploy-pages needs, the system libraries and the handout cache the handouts need, and that
every `steps.<id>` expression names a step of its job. Its build step itself is run for
real by tests/test_subpath.py, which serves the result under a sub-path.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from grandrounds import handout

WORKFLOW = ROOT / ".github" / "workflows" / "publish.yml"


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def steps(workflow: dict, job: str) -> list[dict]:
    return workflow["jobs"][job]["steps"]


def step_using(workflow: dict, job: str, action: str) -> dict:
    found = [s for s in steps(workflow, job) if str(s.get("uses", "")).split("@")[0] == action]
    assert len(found) == 1, f"job {job!r} should use {action} once"
    assert re.fullmatch(r"v\d+", found[0]["uses"].split("@")[1]), found[0]["uses"]
    return found[0]


def index_of(workflow: dict, job: str, step: dict) -> int:
    return steps(workflow, job).index(step)


def runs(workflow: dict, job: str) -> str:
    return "\n".join(s.get("run", "") for s in steps(workflow, job))


def test_runs_on_push_to_main_and_by_hand(workflow):
    triggers = workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert triggers["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in triggers


def test_has_the_permissions_deploy_pages_needs(workflow):
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}


def test_build_job_follows_the_pages_artifact_recipe(workflow):
    checkout = step_using(workflow, "build", "actions/checkout")
    python = step_using(workflow, "build", "actions/setup-python")
    pages = step_using(workflow, "build", "actions/configure-pages")
    upload = step_using(workflow, "build", "actions/upload-pages-artifact")
    assert index_of(workflow, "build", checkout) == 0
    assert index_of(workflow, "build", python) < index_of(workflow, "build", upload)
    assert pages.get("id") == "pages"
    assert upload["with"]["path"] == "site"
    commands = runs(workflow, "build")
    assert re.search(r"pip install \.(\s|$)", commands)
    assert re.search(r"mkdocs build --strict\b", commands)


def test_deploy_job_publishes_the_artifact(workflow):
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["environment"]["name"] == "github-pages"
    step = step_using(workflow, "deploy", "actions/deploy-pages")
    assert deploy["environment"]["url"] == f"${{{{ steps.{step['id']}.outputs.page_url }}}}"


def test_installs_the_libraries_handouts_need(workflow):
    commands = runs(workflow, "build")
    install = re.search(r"apt-get install[^\n]*", commands)
    assert install, "no apt-get install in the build job"
    for package in ("libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0"):
        assert package in install.group(0)
    wanted = (ROOT / "tools" / "install-system-deps.sh").read_text(encoding="utf-8")
    assert all(package in wanted for package in ("libpango-1.0-0", "libharfbuzz-subset0"))


def test_keeps_the_handout_cache_between_runs(workflow):
    cache = step_using(workflow, "build", "actions/cache")
    cached = Path(cache["with"]["path"])
    assert cached == Path(".cache/grandrounds")
    assert cached in handout.CACHE_DIR.parents or cached == handout.CACHE_DIR
    key = cache["with"]["key"]
    assert "hashFiles('cases/**', 'templates/**')" in key
    assert key.startswith(cache["with"]["restore-keys"].strip()), "older caches should restore"
    build = next(s for s in steps(workflow, "build") if "mkdocs build" in s.get("run", ""))
    assert index_of(workflow, "build", cache) < index_of(workflow, "build", build)


def test_every_step_expression_names_a_step_of_its_job(workflow):
    for name, job in workflow["jobs"].items():
        ids = {s["id"] for s in job["steps"] if "id" in s}
        text = yaml.safe_dump(job)
        used = set(re.findall(r"steps\.([A-Za-z0-9_-]+)\.", text))
        assert used <= ids, f"job {name!r} refers to unknown steps {used - ids}"
