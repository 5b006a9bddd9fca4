"""Shared helpers for the grandrounds tests: paths, writing records, building sites, HTML."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable, Iterator

import pytest

ROOT = Path(__file__).resolve().parent.parent
"""The repository root (where mkdocs.yml, cases/ and templates/ are)."""
TESTS = ROOT / "tests"
FIXTURES = TESTS / "fixtures"
GOLDEN = TESTS / "golden"

SEED_ITEMS_FILE = FIXTURES / "seed-references.csl.json"
SEED_NATURE_LINES = (FIXTURES / "seed-references.nature.txt").read_text(encoding="utf-8").splitlines()

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63606060f80f00010401005f5a8bb9"
    "0000000049454e44ae426082"
)
"""A valid 1x1 PNG, for figure files."""


# --------------------------------------------------------------------------- records


def write_case(tmp_path: Path, name: str, text: str) -> Path:
    """Write a record (dedented) to `tmp_path/cases/<name>` (`.yaml` added when no suffix)."""
    if not Path(name).suffix:
        name += ".yaml"
    path = tmp_path / "cases" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `grandrounds ARGV` in-process; return (exit code, stdout, stderr)."""
    from grandrounds.cli import main

    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


# --------------------------------------------------------------------------- sites


def copy_project(dest: Path) -> Path:
    """Copy mkdocs.yml, cases/ and templates/ of the repository into `dest`."""
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "mkdocs.yml", dest / "mkdocs.yml")
    shutil.copytree(ROOT / "cases", dest / "cases")
    shutil.copytree(ROOT / "templates", dest / "templates")
    return dest


def run_mkdocs(project: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict -q` in `project`; output (stdout+stderr) in `.stdout`."""
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q"],
        cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, timeout=timeout,
    )


def build_project(dest: Path, prepare: Callable[[Path], None] | None = None) -> Path:
    """Copy the project to `dest`, let `prepare(dest)` change it, build it; fail on errors."""
    copy_project(dest)
    if prepare:
        prepare(dest)
    result = run_mkdocs(dest)
    assert result.returncode == 0, f"mkdocs build failed:\n{result.stdout}"
    return dest / "site"


# --------------------------------------------------------------------------- HTML

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
        "param", "source", "track", "wbr"}


class Node:
    """An HTML element: tag, attributes, children (Nodes and text strings)."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: "Node | None" = None):
        self.tag = tag
        self.attrs = attrs
        self.parent = parent
        self.children: list[Node | str] = []

    def __repr__(self) -> str:
        return f"<Node {self.tag} {self.attrs}>"

    @property
    def classes(self) -> list[str]:
        return (self.attrs.get("class") or "").split()

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attrs.get(name, default)

    def iter(self) -> Iterator["Node"]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list["Node"]:
        """Descendants (self included) with the tag, a class and attribute values
        (`id_="x"` for `id`)."""
        found = []
        for node in self.iter():
            if tag and node.tag != tag:
                continue
            if cls and cls not in node.classes:
                continue
            if any(node.attrs.get(k.rstrip("_")) != v for k, v in attrs.items()):
                continue
            found.append(node)
        return found

    def find(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> "Node | None":
        hits = self.find_all(tag, cls, **attrs)
        return hits[0] if hits else None

    def text(self, skip_classes: tuple[str, ...] = ("headerlink",)) -> str:
        """The text content, entities decoded, without elements of `skip_classes`
        (by default the `¶` permalinks of headings)."""
        parts: list[str] = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif not set(child.classes) & set(skip_classes):
                parts.append(child.text(skip_classes))
        return "".join(parts)

    def squashed(self) -> str:
        """`text()` with runs of white space made one space, stripped."""
        return re.sub(r"\s+", " ", self.text()).strip()


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs), self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs), self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse_html(text: str) -> Node:
    """Parse HTML into a `Node` tree (standard library only)."""
    builder = _TreeBuilder()
    builder.feed(text)
    builder.close()
    return builder.root


def read_html(path: Path) -> Node:
    return parse_html(path.read_text(encoding="utf-8"))


def article(doc: Node) -> Node:
    """The page content of a Material page (`article.md-content__inner`)."""
    node = doc.find("article", cls="md-content__inner")
    assert node is not None, "no <article class='md-content__inner'> in the page"
    return node


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()
