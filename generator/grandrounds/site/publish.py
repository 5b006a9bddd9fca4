"""Which files under the cases folder are published: one rule for the build, `check` and `render --out`.

The example site's `docs_dir` is the cases folder, so MkDocs copies every file in it into
the site unless this rule leaves it out. It owns that decision, as pure functions over
relative paths, the file system under the folder and the cases a build shows:

- **refused** (an error at the file, and never copied): a symbolic link, or a file under a
  linked folder, that resolves outside the folder (its target's content would be
  published); a linked folder that contains itself (the site would copy itself without
  end); anything that is not a regular file (a pipe would stall the build); a link whose
  target is missing.
- **left out and reported** (information): hidden files and folders (a name starting with
  `.`); editor backups, swap, lock and temporary files (`x~`, `#x#`, `.bak`, `.orig`,
  `.rej`, `.swp`, `.tmp` ... and OS files such as `Thumbs.db`); record sources by any
  spelling (`.YAML`, `x.yaml.txt`) that are not read as records; `.bib`/`.ris`/`.nbib` files that
  no record names and no page links to. Suffixes count case-insensitively, and every
  suffix of a name counts (`x.yaml.bak` is a backup of a record).
- **left out quietly**: the records that are read, the reference files they name, and the
  figures of cases this build does not show (drafts), unless a shown case or a page uses
  the same file.
- **published, with a warning**: `.html`, `.svg` and other script-capable files that no
  record, page or `mkdocs.yml` setting uses (they are copied as they are and run
  same-origin when opened).

A symbolic link that stays inside the folder is judged by both its own name and its
target's, so a `figure.png` that links to a record source is left out like the record.

`find_case_files` (library), the MkDocs plugin, `check` and `grandrounds render --out` all
ask this module; none of them decides by itself.
"""

from __future__ import annotations

import os
import posixpath
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import unquote

from ..errors import Problem, display_path

RECORD_SUFFIXES = frozenset({"yaml", "yml"})
"""A record's suffix, in any letter case."""
REFERENCE_SUFFIXES = frozenset({"bib", "ris", "nbib"})
"""Reference files that are never readers' content unless a page links to them (a `.json`
is a reference file only when a record names it)."""
BACKUP_SUFFIXES = frozenset({"bak", "bck", "backup", "orig", "rej", "tmp", "temp", "old", "save",
                             "sav", "swp", "swo", "swn", "swm", "swx", "kate-swp", "part", "crdownload",
                             "autosave"})
"""Suffixes of editor backups, patch and merge leftovers, swap, lock and partial files."""
SYSTEM_NAMES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", "icon\r"})
"""Operating-system files (thumbnail caches keep pictures of deleted images)."""
ACTIVE_SUFFIXES = frozenset({"html", "htm", "xhtml", "xht", "shtml", "svg", "svgz", "xml", "xsl", "xslt"})
"""Files a browser runs script in when opened from the site."""
PAGE_SUFFIXES = frozenset({"md", "markdown", "html", "htm"})
"""Hand-written pages whose links count as uses of a file."""

_VIM_SWAP = re.compile(r"\.sw[a-p]\Z")
_LINK = re.compile(r"""(?:\]\(\s*<?|^\s*\[[^\]\n]+\]:\s*<?|\b(?:href|src)\s*=\s*["']?)([^\s)"'<>]+)""", re.M | re.I)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")

# Why a file is left out; the messages say it to the author.
HIDDEN, BACKUP, RECORD, REFERENCE, UNREAD_RECORD, UNNAMED_REFERENCE, DRAFT = (
    "hidden", "backup", "record", "reference", "unread-record", "unnamed-reference", "draft")
_NOTES = {
    HIDDEN: ("left out of the site: a hidden file or folder",
             "names starting with '.' are never published"),
    BACKUP: ("left out of the site: an editor backup, swap, lock or temporary file",
             "delete it, or move it out of the cases folder"),
    UNREAD_RECORD: ("left out of the site: a record source that is not read as a record",
                    "records are read from the top level of the cases folder as NAME.yaml; "
                    "move or rename it, or delete it"),
    UNNAMED_REFERENCE: ("left out of the site: a reference file that no record names",
                        "name it in a record's `references:`, link to it from a page to publish it, or delete it"),
}


@dataclass(frozen=True)
class Finding:
    """One thing to tell the author about a file: `severity` is error, warning or info."""

    severity: str
    code: str
    problem: Problem


@dataclass
class Plan:
    """What a build publishes of the files it was given."""

    dropped: set[str] = field(default_factory=set)
    """Relative paths left out of the site (refused ones included)."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [f.problem for f in self.findings if f.severity == "error"]


# --------------------------------------------------------------------------- names


def _name_parts(name: str) -> list[str]:
    """The lower-case suffixes of a file name, each stripped of the marks editors add
    (`~`, `#`, spaces): `x.YAML.bak~` -> ['yaml', 'bak']."""
    return [part.strip().strip("~#").strip() for part in name.lower().split(".")[1:]]


def is_backup_name(name: str) -> bool:
    """An editor backup, autosave, swap or lock file, a temporary or partial download, or an
    operating-system file."""
    lower = name.lower().strip()
    if lower.endswith("~") or lower.startswith(("~$", ".#")) or lower in SYSTEM_NAMES:
        return True
    if len(lower) > 1 and lower.startswith("#") and lower.endswith("#"):
        return True
    suffixes = _name_parts(lower)
    return bool(suffixes) and (suffixes[-1] in BACKUP_SUFFIXES or bool(_VIM_SWAP.search(lower)))


def is_record_name(name: str) -> bool:
    """A record file name: `NAME.yaml` or `NAME.yml` in any letter case, not hidden, not a
    backup. (`x.YAML` is a record: on macOS and Windows it is the same kind of file, and
    leaving it out would silently lose a case.)"""
    if name.startswith(".") or is_backup_name(name):
        return False
    stem, dot, suffix = name.rpartition(".")
    return bool(stem and dot) and suffix.lower() in RECORD_SUFFIXES


def name_kind(relative: str) -> str:
    """Why a file at `relative` (posix, under the cases folder) is left out by its name
    alone: HIDDEN, BACKUP, RECORD (any record spelling), REFERENCE (.bib/.ris/.nbib), or ""."""
    parts = relative.split("/")
    if any(p.startswith(".") for p in parts):
        return HIDDEN
    name = parts[-1]
    if is_backup_name(name):
        return BACKUP
    suffixes = set(_name_parts(name))
    if suffixes & RECORD_SUFFIXES:
        return RECORD
    if suffixes & REFERENCE_SUFFIXES:
        return REFERENCE
    return ""


def is_active(relative: str) -> bool:
    """A file a browser may run script in (HTML, SVG, XML)."""
    return relative.rsplit(".", 1)[-1].lower() in ACTIVE_SUFFIXES if "." in relative else False


# --------------------------------------------------------------------------- the file system


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class _Tree:
    """Resolves relative paths under one folder, remembering each folder's verdict."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.real_root = os.path.realpath(self.root)
        self._folders: dict[str, tuple[str, str] | None] = {}
        self._linked: dict[str, bool] = {}  # folder prefix -> it or a folder above it is a link
        self._reals: dict[str, str] = {}

    def real(self, relative: str) -> str:
        """The resolved path of `relative`. Without a link on the way (the usual case) it
        is the root's real path joined with it: one `lstat`, not a `realpath` per file."""
        if relative in self._reals:
            return self._reals[relative]
        path = os.path.join(self.root, relative)
        parts = posixpath.normpath(relative).split("/")
        real = None
        if parts[0] != ".." and not self._folder_linked(parts[:-1]):
            try:
                if not stat.S_ISLNK(os.lstat(path).st_mode):
                    real = os.path.join(self.real_root, *parts)
            except OSError:
                pass
        self._reals[relative] = real = real or os.path.realpath(path)
        return real

    def real_of(self, path: Path) -> str:
        """`real` of a path given from the working folder (a record, a reference file)."""
        text, head = str(path), str(self.root).rstrip(os.sep) + os.sep
        if text.startswith(head) and head != os.sep:
            return self.real(text[len(head):].replace(os.sep, "/"))
        return os.path.realpath(path)

    def _folder_linked(self, parts: list[str]) -> bool:
        key = "/".join(parts)
        if key not in self._linked:
            self._linked[key] = bool(parts) and (self._folder_linked(parts[:-1])
                                                 or os.path.islink(os.path.join(self.root, key)))
        return self._linked[key]

    def relative(self, real: str) -> str:
        head = self.real_root.rstrip(os.sep) + os.sep
        inside = real[len(head):] if real.startswith(head) else os.path.relpath(real, self.real_root)
        return inside.replace(os.sep, "/")

    def folder_problem(self, relative: str) -> tuple[str, str] | None:
        """(outermost offending folder, kind) when a folder on the way to `relative` is a
        link that leaves the root or contains itself; kind is "outside" or "loop"."""
        parts = relative.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            prefix = "/".join(parts[:i])
            if prefix not in self._folders:
                self._folders[prefix] = self.link_problem(prefix)
            if self._folders[prefix]:
                return self._folders[prefix]
        return None

    def link_problem(self, prefix: str) -> tuple[str, str] | None:
        path = os.path.join(self.root, prefix)
        if not os.path.islink(path):
            return None
        target = os.path.realpath(path)
        if not _inside(target, self.real_root):
            return prefix, "outside"
        if _inside(os.path.realpath(os.path.dirname(path)), target):
            return prefix, "loop"
        return None

    def file_problem(self, relative: str) -> str | None:
        """"outside", "missing" or "special" for a file that must not be copied; a listed
        folder (`walk` lists a linked folder it does not enter) gets its link's verdict."""
        path = os.path.join(self.root, relative)
        if not _inside(self.real(relative), self.real_root):
            return "outside"
        try:
            mode = os.stat(path).st_mode
        except OSError:
            return "missing"
        if stat.S_ISDIR(mode):
            problem = self.link_problem(relative)
            return problem[1] if problem else "special"
        return None if stat.S_ISREG(mode) else "special"


_REFUSED = {
    "outside": ("is a symbolic link to a {what} outside the cases folder", "copy the {fix} in instead"),
    "loop": ("is a symbolic link to a folder that contains it",
             "remove the link: the site would copy itself over and over"),
    "missing": ("is a symbolic link to a file that does not exist", "remove the link or restore its target"),
    "special": ("is not a regular file (a pipe, socket or device)", "remove it from the cases folder"),
}


def walk(root: Path) -> list[str]:
    """Every file under `root` as MkDocs lists it (relative posix paths, following linked
    folders), except that a linked folder that leaves `root` or contains itself is listed as
    itself and not entered, so `check` never reads outside the folder or loops."""
    tree = _Tree(root)
    found: list[str] = []
    if not tree.root.is_dir():
        return found
    for folder, dirnames, filenames in os.walk(tree.root, followlinks=True):
        base = Path(os.path.relpath(folder, tree.root)).as_posix()
        base = "" if base == "." else base + "/"
        for name in list(dirnames):
            if tree.link_problem(base + name):
                dirnames.remove(name)
                found.append(base + name)
        found += [base + name for name in filenames]
    return sorted(found)


def linked_folder_problems(root: Path) -> list[Problem]:
    """The linked folders under `root` that leave it or contain themselves, found without
    following any link. MkDocs walks the docs folder following links before a plugin sees
    a file, so a link to `/` would stall the build: the plugin asks this first."""
    tree = _Tree(Path(root))
    problems = []
    if not tree.root.is_dir():
        return problems
    shown_root = Path(display_path(root))
    for folder, dirnames, _ in os.walk(tree.root):
        base = Path(os.path.relpath(folder, tree.root)).as_posix()
        for name in sorted(dirnames):
            relative = name if base == "." else f"{base}/{name}"
            problem = tree.link_problem(relative) if os.path.islink(os.path.join(folder, name)) else None
            if problem:
                message, hint = _REFUSED[problem[1]]
                problems.append(Problem((shown_root / relative).as_posix(), 1, 1,
                                        message.format(what="folder"), hint.format(fix="files")))
    return problems


def refused(root: Path) -> list[Problem]:
    """Every file and folder under `root` that `plan` refuses, found by `walk` (which never
    enters a link that leaves `root`): the whole list for a build that stops early."""
    return plan(Path(root), walk(Path(root)), cases=[], shown=[], complete=False).errors


# --------------------------------------------------------------------------- uses


def page_links(root: Path, relatives: Iterable[str]) -> set[str]:
    """The files under `root` that the hand-written pages among `relatives` link to or
    embed (Markdown links and images, reference definitions, `href`/`src` attributes),
    as relative posix paths."""
    used: set[str] = set()
    for relative in relatives:
        if relative.rsplit(".", 1)[-1].lower() not in PAGE_SUFFIXES or name_kind(relative):
            continue
        try:
            text = (Path(root) / relative).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        folder = posixpath.dirname(relative)
        for match in _LINK.finditer(text):
            target = unquote(match.group(1).split("#", 1)[0].split("?", 1)[0])
            if not target or _SCHEME.match(target) or target.startswith(("/", "\\")):
                continue
            joined = posixpath.normpath(posixpath.join(folder, target))
            if not joined.startswith("../") and joined not in ("..", "."):
                used.add(joined)
    return used


def site_uses(*entries: Any) -> set[str]:
    """The paths `mkdocs.yml` uses (`extra_css`, `extra_javascript`, `nav`: any nesting of
    lists and mappings): every string value that is not an address, as a posix path."""
    used: set[str] = set()
    stack = list(entries)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, (list, tuple)):
            stack += item
        elif item is not None:
            text = str(item).split("#", 1)[0].split("?", 1)[0]
            if text and not _SCHEME.match(text) and not text.startswith("/"):
                used.add(posixpath.normpath(text))
    return used


def _figure_reals(cases: Iterable[Any], tree: _Tree) -> set[str]:
    return {tree.real(str(f.file)) for case in cases for f in case.figures}


def figure_files(cases: Iterable[Any], cases_dir: Path) -> list[str]:
    """The figure files of `cases` that may be copied (relative to `cases_dir`, each
    once): those inside the folder, regular files, and not private by name or target."""
    tree = _Tree(Path(cases_dir))
    out: list[str] = []
    seen: set[str] = set()  # each once (a set: thousands of figures)
    for case in cases:
        for figure in case.figures:
            relative = posixpath.normpath(Path(figure.file).as_posix())
            if relative in seen:
                continue
            seen.add(relative)
            if relative.startswith("../") or tree.folder_problem(relative) or tree.file_problem(relative):
                continue
            if name_kind(relative) or name_kind(tree.relative(tree.real(relative))):
                continue
            out.append(relative)
    return out


# --------------------------------------------------------------------------- the plan


def plan(root: Path, files: Iterable[str], *, cases: Iterable[Any], shown: Iterable[Any],
         records: Iterable[Path] = (), keep: Iterable[str] = (), cases_dir: Path | None = None,
         complete: bool = True) -> Plan:
    """Which of `files` (relative posix paths under `root`, the folder MkDocs publishes)
    stay out of the site, and what to tell the author.

    `cases` are every valid case (their reference files and figures), `shown` the cases
    this build publishes (their figures stay), `records` the record files read, `keep`
    the paths `mkdocs.yml` uses (`extra_css`, `extra_javascript`); `cases_dir` is where
    figure paths start (default `root`). With `complete=False` (only some records were
    read) the findings that need every record (unused HTML/SVG) are left out."""
    tree = _Tree(Path(root))
    files = list(files)
    cases, shown = list(cases), list(shown)
    figures = tree if cases_dir is None or Path(cases_dir) == Path(root) else _Tree(Path(cases_dir))
    read = {figures.real_of(Path(p)) for p in records}
    references = {figures.real_of(Path(c.references_file)) for c in cases if getattr(c, "references_file", None)}
    shown_figures = _figure_reals(shown, figures)
    any_figures = _figure_reals(cases, figures)
    used = set(keep) | page_links(root, files)
    result = Plan()
    reported: set[str] = set()
    shown_root = Path(display_path(root))  # not resolved: a link is named as itself

    def report(severity: str, code: str, where: str, message: str, hint: str) -> None:
        if where not in reported:
            reported.add(where)
            result.findings.append(Finding(severity, code, Problem((shown_root / where).as_posix(), 1, 1, message, hint)))

    for relative in files:
        refused = tree.folder_problem(relative)
        where, kind = refused if refused else (relative, tree.file_problem(relative))
        if kind:
            result.dropped.add(relative)
            what = "folder" if where != relative or os.path.isdir(os.path.join(root, where)) else "file"
            message, hint = _REFUSED[kind]
            report("error", f"publish/{kind}", where, message.format(what=what),
                   hint.format(fix="files" if what == "folder" else "file"))
            continue
        real = tree.real(relative)
        target = tree.relative(real)
        why = _left_out(relative, target, real, read=read, references=references, used=used,
                        shown_figures=shown_figures, any_figures=any_figures)
        if why:
            result.dropped.add(relative)
            if why in _NOTES:
                message, hint = _NOTES[why]
                if target != relative:
                    message += f" (it links to {target})"
                hidden_top = _hidden_top(relative) if why == HIDDEN else relative
                report("info", "publish/left-out", hidden_top, message, hint)
        elif complete and is_active(relative) and relative not in used and real not in any_figures:
            report("warning", "publish/unused-active", relative,
                   "an HTML, SVG or XML file that no record or page uses is published as it is "
                   "and can run script on the site",
                   "delete it or move it out of the cases folder, or use it (a figure, a link from a page)")
    result.findings.sort(key=lambda f: f.problem.path)
    return result


def _hidden_top(relative: str) -> str:
    """The outermost hidden component of a path (a dot-folder is reported once)."""
    parts = relative.split("/")
    first = next(i for i, p in enumerate(parts) if p.startswith("."))
    return "/".join(parts[:first + 1])


def _left_out(relative: str, target: str, real: str, *, read: set[str], references: set[str],
              used: set[str], shown_figures: set[str], any_figures: set[str]) -> str:
    """Why the file is left out ("" when it is published)."""
    kinds = [name_kind(relative), name_kind(target) if target != relative else ""]
    for kind in (HIDDEN, BACKUP):
        if kind in kinds:
            return kind
    if real in read:
        return RECORD
    if RECORD in kinds:
        return UNREAD_RECORD
    if real in references:
        return REFERENCE
    if real in any_figures and real not in shown_figures and relative not in used:
        return DRAFT
    if REFERENCE in kinds and relative not in used:
        return UNNAMED_REFERENCE
    return ""
