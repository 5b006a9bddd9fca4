"""Teaching sessions: `sessions/*.yaml` (beside mkdocs.yml) -> `Session` values.

A session is a grand round or a teaching afternoon: a title, a date, an optional presenter,
the case ids in the order they are presented, and `unknown: true` to show the cases under
their teaching titles (or "Case 1", "Case 2" ...) on the session's page, booklet and
presentation. Session files are untrusted input like records: read through `load` (its
size, alias and tag limits), every value through the same checks, every problem a
`Problem` at its line and column. Cross-checks against the library (an unknown case id; a
draft case in a published session) are made here too, given the library's cases.

It does not render anything: the site engine makes the pages (`site/engine.py`).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

from ..errors import CaseErrors, Problem, display_path
from ..site.publish import is_record_name
from ..values import printable
from .load import RawRecord, load_record
from .model import case_id_problem

SESSION_KEYS = ("title", "date", "presenter", "cases", "unknown", "status", "id")
MAX_SESSION_CASES = 200
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Session:
    id: str
    title: str
    date: str  # YYYY-MM-DD
    cases: tuple[str, ...]  # case ids, in the order they are presented
    presenter: str | None = None
    unknown: bool = False
    status: str = "published"
    source_path: str = ""


def find_session_files(sessions_dir: Path | None) -> list[Path]:
    """`sessions_dir`'s session files (top level; `.yaml`/`.yml`, not hidden, not backups)."""
    if sessions_dir is None or not sessions_dir.is_dir():
        return []
    root = sessions_dir.resolve()
    return sorted(p for p in sessions_dir.iterdir() if is_record_name(p.name) and p.is_file()
                  and p.resolve().parent == root)


def read_session(path: Path) -> Session:
    """Load and validate one session file. Raises `CaseErrors` with every problem."""
    raw = load_record(path)
    shown = printable(display_path(path))
    data = raw.data
    if not isinstance(data, dict):
        where = raw.where(())
        raise CaseErrors([Problem(shown, where.line, where.col, "a session must be a mapping",
                                  "write `title:`, `date:` and `cases:` lines (see the README's Sessions)")])
    problems = _key_problems(raw, shown)
    title = _text(raw, shown, "title", problems, required=True)
    date = _text(raw, shown, "date", problems, required=True)
    if date and not _DATE.fullmatch(date):
        problems.append(_at(raw, shown, ("date",), f"date '{printable(date, one_line=True)}' is not YYYY-MM-DD",
                            'write the day of the session, quoted: date: "2026-12-10"'))
    presenter = _text(raw, shown, "presenter", problems)
    session_id = _text(raw, shown, "id", problems) or path.stem
    why = case_id_problem(session_id)
    if why:
        problems.append(_at(raw, shown, ("id",) if "id" in data else (), f"session id {why}",
                            "rename the file or set another `id:`"))
    status = data.get("status", "published")
    if status not in ("published", "draft"):
        problems.append(_at(raw, shown, ("status",), f"status {_quote(status)} is not allowed",
                            "use published or draft"))
    unknown = data.get("unknown", False)
    if not isinstance(unknown, bool):
        problems.append(_at(raw, shown, ("unknown",), f"unknown must be true or false, not {_quote(unknown)}",
                            "write unknown: true"))
    cases = _case_ids(raw, shown, problems)
    if problems:
        raise CaseErrors(sorted(problems, key=lambda p: (p.line, p.col)))
    return Session(id=session_id, title=title or "", date=date or "", cases=tuple(cases), presenter=presenter,
                   unknown=bool(unknown), status=str(status), source_path=str(path))


def _at(raw: RawRecord, shown: str, path: tuple[Any, ...], message: str, hint: str, key: bool = False) -> Problem:
    where = raw.where(path, key=key)
    return Problem(shown, where.line, where.col, message, hint)


def _quote(value: Any) -> str:
    return printable(repr(value) if not isinstance(value, str) else f"'{value}'", one_line=True)[:60]


def _key_problems(raw: RawRecord, shown: str) -> list[Problem]:
    problems = []
    for key in raw.data:
        if key not in SESSION_KEYS:
            guess = difflib.get_close_matches(str(key), SESSION_KEYS, n=1, cutoff=0.6)
            problems.append(_at(raw, shown, (key,), f"unknown key '{printable(str(key), one_line=True)}'",
                                f"did you mean '{guess[0]}'?" if guess else "allowed keys: " + ", ".join(SESSION_KEYS),
                                key=True))
    return problems


def _text(raw: RawRecord, shown: str, key: str, problems: list[Problem], required: bool = False) -> str | None:
    value = raw.data.get(key)
    if value is None:
        if required:
            problems.append(_at(raw, shown, (), f"missing required field '{key}'", f"add `{key}:`"))
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(_at(raw, shown, (key,), f"{key} must be text, not {_quote(value)}", "quote it"))
        return None
    if "\n" in value.strip():
        problems.append(_at(raw, shown, (key,), f"{key} must be one line", "write it on one line"))
        return None
    return value.strip()


def _case_ids(raw: RawRecord, shown: str, problems: list[Problem]) -> list[str]:
    value = raw.data.get("cases")
    if not isinstance(value, list) or not value:
        problems.append(_at(raw, shown, ("cases",) if "cases" in raw.data else (),
                            "a session needs `cases:`, a list of case ids", "list them as '- case-id' lines"))
        return []
    if len(value) > MAX_SESSION_CASES:
        problems.append(_at(raw, shown, ("cases",), f"cases has {len(value)} items; at most {MAX_SESSION_CASES}",
                            "split the session"))
        return []
    ids: list[str] = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            problems.append(_at(raw, shown, ("cases", i), f"cases[{i}] must be a case id, not {_quote(item)}",
                                "write the case's id (its file name without .yaml)"))
        elif item in ids:
            problems.append(_at(raw, shown, ("cases", i), f"case '{printable(item, one_line=True)}' is listed twice",
                                "remove one of them"))
        else:
            ids.append(item)
    return ids


def cross_check(session: Session, cases: Iterable[Any]) -> list[Problem]:
    """An unknown case id, or a draft case in a published session, at its line."""
    by_id = {c.slug: c for c in cases}
    problems: list[Problem] = []
    raw: RawRecord | None = None
    for i, case_id in enumerate(session.cases):
        case = by_id.get(case_id)
        if case is not None and not (case.status == "draft" and session.status == "published"):
            continue
        raw = raw or load_record(Path(session.source_path))
        where = raw.where(("cases", i))
        shown = printable(display_path(session.source_path))
        if case is None:
            guess = difflib.get_close_matches(case_id, list(by_id), n=1, cutoff=0.6)
            problems.append(Problem(shown, where.line, where.col, f"no case with id '{printable(case_id, one_line=True)}'",
                                    f"did you mean '{guess[0]}'?" if guess else "use the id of a record in the cases folder"))
        else:
            problems.append(Problem(shown, where.line, where.col, f"case '{case_id}' is a draft in a published session",
                                    "publish the case (status: published) or make the session a draft"))
    return problems
