"""Input problems as values: every stage reports `file:line:col: what; how to fix`.

A `CaseError` is what a user mistake becomes anywhere in the pipeline; the CLI and the
MkDocs plugin print it as one line and exit non-zero (or, in `serve`, keep the last good
page). A `CaseErrors` carries several at once, so one run reports every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .values import printable


@dataclass(frozen=True)
class Location:
    """A 1-based line and column in a source file."""

    line: int
    col: int


@dataclass(frozen=True)
class Problem:
    """One input problem, located in a file."""

    path: str
    line: int
    col: int
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        return printable(f"{text}; {self.hint}" if self.hint else text, one_line=True)  # no raw control character reaches a terminal


class CaseErrors(Exception):
    """One or more input problems; `str()` gives one line per problem."""

    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def display_path(path: Path | str) -> str:
    """The path as the user would type it: relative to the working directory when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(p)


def fail(path: Path | str, where: Location | None, message: str, hint: str = "") -> CaseErrors:
    """Build a single-problem `CaseErrors` (raise the result)."""
    line, col = (where.line, where.col) if where else (1, 1)
    return CaseErrors([Problem(display_path(path), line, col, message, hint)])
