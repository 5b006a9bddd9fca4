"""axe-core in a Playwright page, for every test that measures accessibility.

Owns: loading axe-core (PyPI `axe-playwright-python`, which bundles axe.min.js; a missing
package fails the test with the install command, as a missing chromium does), running it on
the whole page or a part of it, and the one failure format: rule id, impact, target
selectors and the page, for each serious or critical violation. Does not own which pages
are checked or how a page is brought to the state to check (the test modules do).
"""

from __future__ import annotations

from typing import Any

import pytest

SERIOUS = ("serious", "critical")
"""The impacts that fail a test: WCAG 2.1 AA failures a reader meets, not advice."""


def axe() -> Any:
    """An `Axe` runner (axe-core 4.x, injected into the page on each run)."""
    try:
        from axe_playwright_python.sync_playwright import Axe
    except ImportError:
        pytest.fail("the accessibility tests need the Python package axe-playwright-python "
                    "(axe-core for Playwright): pip install -e '.[test]'", pytrace=False)
    return Axe()


def violations(page, context: str | dict | None = None) -> list[dict]:
    """Every axe-core violation in `page` (or in the part `context` selects), as axe reports
    them: {id, impact, help, nodes: [{target, html, failureSummary}]}."""
    return axe().run(page, context=context).response["violations"]


def describe(violation: dict, where: str) -> str:
    """'<rule> (<impact>) on <where>: <targets>', e.g. 'color-contrast (serious) on
    dark tags/: [['.md-copyright']]'."""
    targets = [node["target"] for node in violation["nodes"]]
    return f"{violation['id']} ({violation['impact']}) on {where}: {targets}"


def serious_axe_violations(page, context: str | dict | None = None, where: str | None = None) -> list[str]:
    """The serious and critical violations of `page` (or of `context` in it), one line each
    (`describe`); `where` names the page in the line (default: its URL, and the context)."""
    where = where or page.url + (f" {context}" if context else "")
    return [describe(v, where) for v in violations(page, context) if v["impact"] in SERIOUS]
