"""The case library: every record of a cases folder, loaded, validated and cross-checked.

Owns what needs more than one record or the file system around it: discovering
`cases/*.yaml`, resolving a `references:` file beside a record (read by `refio`), confining figure paths to
the cases folder and checking that they exist, duplicate and reserved ids, and the cache
that lets `serve` re-read only the records whose files changed (keyed by mtime and size).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import TypeAdapter, ValidationError

from ..errors import CaseErrors, Location, Problem, display_path, fail
from ..checks.images import figure_problem
from ..limits import MAX_MARKDOWN_CHARS
from .load import RawRecord, load_record
from ..site.markup import cited_keys
from ..parallel import map_forked
from ..site.publish import is_record_name
from .refio import REFERENCE_SUFFIXES, read_reference_file
from .model import CSLItem, Case, validate_record

CASE_SUFFIXES = (".yaml", ".yml")
_REFERENCE_LIST = TypeAdapter(list[CSLItem])


def find_case_files(cases_dir: Path) -> list[Path]:
    """The case records in `cases_dir` (top level only; subfolders hold figures and data):
    `publish.is_record_name` (`.yaml`/`.yml` in any letter case, not hidden, not a backup),
    regular files inside the folder (a link that leaves it is refused by `publish`, not read)."""
    if not cases_dir.is_dir():
        return []
    found = []
    with os.scandir(cases_dir) as entries:  # a file's type comes with its name: no stat each
        for entry in entries:
            if not is_record_name(entry.name):
                continue
            if entry.is_symlink():  # only a link can lead out of the folder
                if entry.is_file() and confined_path(cases_dir, entry.name) is not None:
                    found.append(cases_dir / entry.name)
            elif entry.is_file(follow_symlinks=False):
                found.append(cases_dir / entry.name)
    return sorted(found)


def read_case(path: Path, cases_dir: Path) -> Case:
    """Load, validate and cross-check one record. Raises `CaseErrors`."""
    raw = load_record(path)
    case = validate_record(raw)
    problems: list[Problem] = []  # the case id rule is the model's (`model.case_id_problem`)
    if isinstance(case.references, str):
        try:
            target = _reference_path(raw, case.references, cases_dir)
            case.references = _read_references(target)
            case._references_file = str(target)
        except CaseErrors as exc:
            problems += exc.problems
    problems += _figure_problems(raw, case, cases_dir)
    over_budget = _markdown_budget_problems(raw, case)
    problems += over_budget or _citation_problems(raw, case)  # which parses every field
    if problems:
        raise CaseErrors(problems)
    case.version  # digested here, in the worker that read it on a cold build
    return case


def _problem(raw: RawRecord, path: tuple, message: str, hint: str) -> Problem:
    where = raw.where(path)
    return Problem(display_path(raw.path), where.line, where.col, message, hint)


def confined_path(cases_dir: Path, relative: str, base: Path | None = None) -> Path | None:
    """`relative` (to `base`, default `cases_dir`) resolved inside `cases_dir`, or None if it
    would leave it (absolute paths, `..`, symlinks pointing out)."""
    if not relative or os.path.isabs(relative) or relative.startswith(("~", "\\")):
        return None
    root = cases_dir.resolve()
    target = ((base or root) / relative).resolve()
    return target if target == root or root in target.parents else None


def _figure_problems(raw: RawRecord, case: Case, cases_dir: Path) -> list[Problem]:
    problems: list[Problem] = []
    ids = set()
    for i, figure in enumerate(case.figures):
        ids.add(figure.id)
        target = confined_path(cases_dir, figure.file)
        if target is None:
            problems.append(_problem(raw, ("figures", i, "file"),
                                     f"figure path '{figure.file}' leaves the cases folder",
                                     "put the image under cases/ (e.g. cases/figures/) and give its path relative to cases/"))
        elif not target.is_file():
            problems.append(_problem(raw, ("figures", i, "file"),
                                     f"figure file '{figure.file}' not found",
                                     f"add it at {display_path(target)} or correct the path (relative to cases/)"))
        elif (refused := figure_problem(target, figure.file)) is not None:
            problems.append(_problem(raw, ("figures", i, "file"), *refused))
    for i, item in enumerate(case.investigations):
        if item.figure and item.figure not in ids:
            problems.append(_problem(raw, ("investigations", i, "figure"),
                                     f"no figure with id '{item.figure}'",
                                     "use the id of an entry under `figures:`"))
    return problems


def _markdown_budget_problems(raw: RawRecord, case: Case) -> list[Problem]:
    """The field where the record's Markdown passes `limits.MAX_MARKDOWN_CHARS` in all."""
    total = 0
    for path, text in case.markdown_fields():
        total += len(text)
        if total > MAX_MARKDOWN_CHARS:
            return [_problem(raw, path, f"the record's Markdown fields reach {MAX_MARKDOWN_CHARS:,} characters "
                             "in all here", "shorten the text, or split the case into more than one record")]
    return []


def _citation_problems(raw: RawRecord, case: Case) -> list[Problem]:
    """A `[@key]` must name the `id` of one of the case's references."""
    ids = [str(item.get("id")) for item in case.reference_items() if item.get("id") is not None]
    problems = []
    for path, text in case.markdown_fields():
        for key in cited_keys(text):
            if key not in ids:
                guess = difflib.get_close_matches(key, ids, n=1, cutoff=0.6)
                hint = (f"did you mean '@{guess[0]}'?" if guess else
                        "cite the `id` of an entry under `references:`" if ids else
                        "add the reference under `references:` with this `id`")
                problems.append(_problem(raw, path, f"citation '@{key}' names no reference of this case", hint))
    return problems


def _reference_path(raw: RawRecord, relative: str, cases_dir: Path) -> Path:
    where = ("references",)
    target = confined_path(cases_dir, relative, base=raw.path.resolve().parent)
    if target is None:
        raise CaseErrors([_problem(raw, where, f"reference file '{relative}' leaves the cases folder",
                                   "keep it beside the record")])
    if target.suffix.lower() not in REFERENCE_SUFFIXES:
        raise CaseErrors([_problem(raw, where, f"reference file '{relative}' is not CSL-JSON, BibTeX, RIS or MEDLINE",
                                   "name a .json (CSL-JSON), .bib (BibTeX), .ris (RIS) or .nbib (PubMed MEDLINE) "
                                   "file exported from Zotero, PubMed or another reference manager")])
    if not target.is_file():
        raise CaseErrors([_problem(raw, where, f"reference file '{relative}' not found",
                                   "put it beside the record or correct the name")])
    return target


def _read_references(target: Path) -> list[CSLItem]:
    """The items of a reference file (CSL-JSON, BibTeX or RIS, read and limited by `refio`),
    validated as CSL items."""
    data: Any = read_reference_file(target)
    try:
        return _REFERENCE_LIST.validate_python(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
        what = f"item {where}: {first['msg']}" if where else "the file is not a list of CSL items"
        raise fail(target, None, f"not CSL-JSON: {what}",
                   "export CSL-JSON (a JSON list of items) from Zotero or pandoc") from None


@dataclass
class _Entry:
    stamp: tuple[int, int]
    case: Case | None
    errors: CaseErrors | None
    derived: Any = None  # what `refresh(derive=...)` computed from the case


def _read_outcome(job: tuple[Path, Path, Callable[[Case], Any] | None]) -> tuple[Any, ...]:
    """`read_case` (and `derive`) with problems returned as values, for `map_forked`."""
    path, cases_dir, derive = job
    try:
        case = read_case(path, cases_dir)
    except CaseErrors as exc:
        return None, exc.problems, None
    return case, None, derive(case) if derive else None


@dataclass
class Library:
    """The cases of one folder, re-read incrementally.

    `refresh()` re-reads the records whose files changed since the last call and returns
    the ids that changed (added, edited or removed). Problems are kept per file, so one
    broken record never hides the others.
    """

    cases_dir: Path
    _entries: dict[Path, _Entry] = field(default_factory=dict)
    _unique_cache: dict[str, Case] | None = None

    def refresh(self, files: Iterable[Path] | None = None,
                derive: Callable[[Case], Any] | None = None) -> set[Path]:
        """Re-read changed records; returns the paths whose entry changed.

        `derive(case)` (for example rendering its page) runs beside the read, in the same
        worker process on a cold start, and is kept as `derived_for(path)`."""
        files = list(files) if files is not None else find_case_files(self.cases_dir)
        changed: set[Path] = set()
        for gone in set(self._entries) - set(files):
            del self._entries[gone]
            changed.add(gone)
        stale: list[tuple[Path, tuple[int, int]]] = []
        for path in files:
            try:
                stat = path.stat()
            except OSError:
                continue
            stamp = (stat.st_mtime_ns, stat.st_size)
            entry = self._entries.get(path)
            if not entry or entry.stamp != stamp:
                stale.append((path, stamp))
        outcomes = map_forked(_read_outcome, [(path, self.cases_dir, derive) for path, _ in stale])
        for (path, stamp), (case, problems, derived) in zip(stale, outcomes):
            errors = CaseErrors(problems) if problems else None
            self._entries[path] = _Entry(stamp, case, errors, derived)
            changed.add(path)
        if changed:
            self._unique_cache = None
        return changed

    def derived_for(self, path: Path) -> Any:
        entry = self._entries.get(path)
        return entry.derived if entry else None

    @property
    def cases(self) -> list[Case]:
        """Valid cases with a unique id, in file order."""
        return [c for c in self._unique().values()]

    def case_for(self, path: Path) -> Case | None:
        entry = self._entries.get(path)
        return entry.case if entry else None

    def errors_for(self, path: Path) -> CaseErrors | None:
        entry = self._entries.get(path)
        return entry.errors if entry else None

    @property
    def record_count(self) -> int:
        """How many record files were read (valid or not)."""
        return len(self._entries)

    @property
    def problems(self) -> list[Problem]:
        """Every problem in the folder: per-file errors, then duplicate ids."""
        problems = [p for e in self._entries.values() if e.errors for p in e.errors.problems]
        return problems + self._duplicate_problems()

    def _unique(self) -> dict[str, Case]:
        """Valid cases by id in lower case (ids that differ only in case collide on macOS and
        Windows); of several with one id, the first in file order."""
        if self._unique_cache is None:
            first: dict[str, Case] = {}
            for path in sorted(self._entries):
                case = self._entries[path].case
                if case and case.slug.lower() not in first:
                    first[case.slug.lower()] = case
            self._unique_cache = first
        return self._unique_cache

    def _duplicate_problems(self) -> list[Problem]:
        first = self._unique()
        problems = []
        for path, entry in self._entries.items():
            case = entry.case
            if case and first[case.slug.lower()] is not case:
                kept = first[case.slug.lower()]
                other = display_path(kept.source_path or "")
                raw_where = self._id_location(path)
                what = (f"duplicate case id '{case.slug}' (also used by {other})" if kept.slug == case.slug else
                        f"case id '{case.slug}' differs from '{kept.slug}' of {other} only in letter case "
                        "(they collide on macOS and Windows)")
                problems.append(Problem(display_path(path), raw_where.line, raw_where.col, what,
                                        "give one of them another `id:` or file name"))
        reported = {p.path for p in problems}
        return problems + [p for p in self._file_name_case_problems() if p.path not in reported]

    def _file_name_case_problems(self) -> list[Problem]:
        """Record files whose names differ only in letter case: one would overwrite the
        other on macOS and Windows (a clone or a copy loses a record)."""
        seen: dict[str, Path] = {}
        problems = []
        for path in sorted(self._entries):
            other = seen.setdefault(path.name.lower(), path)
            if other != path:
                problems.append(Problem(display_path(path), 1, 1,
                                        f"file name differs from {display_path(other)} only in letter case "
                                        "(one replaces the other on macOS and Windows)",
                                        "rename one of them"))
        return problems

    @staticmethod
    def _id_location(path: Path) -> Location:
        try:
            return load_record(path).where(("id",), key=True)
        except CaseErrors:
            return Location(1, 1)


def load_library(cases_dir: Path | str) -> Library:
    """Read a whole cases folder once."""
    library = Library(Path(cases_dir))
    library.refresh()
    return library
