"""Output folders: the one rule for every command that writes a folder of generated files
(`render --out`, `handout --out` and `--booklet`; `new DIR` uses its location checks).

Owns *where* a command may write and *what* it may replace or delete there:

- a manifest, `.grandrounds-manifest.json`, in the folder lists every file the command
  wrote (relative path -> sha256 of the content, the command, the tool version);
- the folder must be missing, empty, or hold only files of its own manifest whose content
  is unchanged; a folder without a manifest is adopted when every file in it is one the
  command would write now (the output of an earlier version). Anything else is refused,
  naming the first few unexpected files, and nothing is written;
- only the command's own unchanged files are replaced or deleted; a file of its own that
  the user edited stops the run;
- refused outright, before anything is read or written: `/`, the home folder (and any folder
  holding it), the cases folder (and any folder inside it or holding it), the project root
  and the current folder (and any folder holding them), a path that exists and is not a
  folder. Symlinks are resolved before comparing; a link inside the folder is never followed.

A run writes the manifest first with the union of the old and the new entries (each with
every hash the file may have while the run is under way), then the files (each through
`fsio.atomic_write`, so modes follow the umask), then removes its stale files, then writes
the final manifest: an interrupted run still knows every file it may have written.
Refusals are `OutputRefused`, whose lines read `grandrounds: <path>: what; how to fix`.
"""

from __future__ import annotations

import hashlib
import json
import os
import posixpath
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Mapping, Union

from . import __version__
from .errors import display_path
from .fsio import atomic_write, umask
from .site.publish import is_record_name

MANIFEST = ".grandrounds-manifest.json"
"""The manifest's name inside an output folder (a dotfile: MkDocs, Jekyll and Hugo skip it)."""

PROJECT_MARKERS = ("mkdocs.yml", "mkdocs.yaml", ".git", "pyproject.toml")
"""Files or folders that make a folder a project root."""

SHOWN = 5
"""How many unexpected files a refusal names (the scan stops after one more)."""

Content = Union[str, bytes, Path]
"""A file to write: text (UTF-8), bytes, or the path of a file to copy."""


class OutputRefused(Exception):
    """The command may not write there; `lines` are `grandrounds: <path>: what; how to fix`."""

    def __init__(self, lines: list[str]):
        super().__init__("\n".join(lines))
        self.lines = lines


@dataclass(frozen=True)
class Report:
    """What a write did: files written, left as they were (same content), removed."""

    folder: Path
    written: int
    unchanged: int
    removed: int


def _refusal(path: Path | str, what: str, how: str) -> OutputRefused:
    return OutputRefused([f"grandrounds: {display_path(path)}: {what}; {how}"])


# --------------------------------------------------------------------------- where


def project_root(start: Path) -> Path | None:
    """The nearest folder at or above `start` holding mkdocs.yml, .git or pyproject.toml."""
    for folder in (start, *start.parents):
        if any(os.path.lexists(folder / marker) for marker in PROJECT_MARKERS):
            return folder
    return None


def _home() -> Path | None:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError, OSError):
        return None


def protected_folders(cases_dir: Path | None, cwd: Path | None = None) -> list[tuple[Path, str]]:
    """(resolved folder, what it is) that an output folder may neither be nor hold."""
    cwd = (cwd or Path.cwd()).resolve()
    found: list[tuple[Path, str]] = []
    if cases_dir is not None:
        found.append((cases_dir.resolve(), "the cases folder"))
    for start in (cwd, cases_dir.resolve() if cases_dir is not None else None):
        root = project_root(start) if start is not None else None
        if root is not None:
            found.append((root, "the project folder"))
    found.append((cwd, "the current folder"))
    return found


def location_problem(out: Path, cases_dir: Path | None = None, *, cwd: Path | None = None,
                     home: Path | None = None, protect_project: bool = True) -> tuple[str, str] | None:
    """Why `out` cannot be an output folder, as (what, how to fix), or None. Looks only at
    where `out` is (and whether it is a folder), never at its files; writes nothing.
    `protect_project=False` (for `new DIR`) keeps only `/`, home and not-a-folder."""
    if os.path.lexists(out) and not out.is_dir():
        what = "is a broken link" if out.is_symlink() else "exists and is not a folder"
        return what, "give the name of a folder (it is left as it is)"
    resolved = out.resolve()
    blocker = next((p for p in (resolved, *resolved.parents) if p.exists()), None)
    if blocker is not None and not blocker.is_dir():
        return f"{display_path(blocker)} is not a folder", "choose a path whose parents are folders"
    if resolved.parent == resolved:
        return "is the root folder", "choose a new folder for the output"
    home = home.resolve() if home is not None else _home()
    if home is not None and (resolved == home or resolved in home.parents):
        return ("is your home folder" if resolved == home else "holds your home folder"), \
            "choose a new folder for the output, e.g. a subfolder"
    if not protect_project:
        return None
    protected = protected_folders(cases_dir, cwd)
    for folder, label in protected:
        if resolved == folder:
            return f"is {label}", "choose a new folder for the output"
    for folder, label in protected:
        if resolved in folder.parents:
            return f"holds {label} ({display_path(folder)})", "choose a new folder for the output"
    if cases_dir is not None and cases_dir.resolve() in resolved.parents:
        return ("is inside the cases folder (its files would be published with the site)",
                "choose a folder outside the cases folder")
    return None


def check_location(out: Path, cases_dir: Path | None = None, **kwargs: object) -> None:
    """Raise `OutputRefused` when `location_problem` finds one."""
    problem = location_problem(out, cases_dir, **kwargs)  # type: ignore[arg-type]
    if problem:
        raise _refusal(out, *problem)


# --------------------------------------------------------------------------- manifest


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _content_bytes(content: Content) -> bytes:
    if isinstance(content, Path):
        return content.read_bytes()
    return content.encode("utf-8") if isinstance(content, str) else content


def _content_hash(content: Content, cache: "HashCache | None" = None) -> str:
    if isinstance(content, Path):
        return cache.sha256(content) if cache is not None else _sha256(content)
    return hashlib.sha256(_content_bytes(content)).hexdigest()


class HashCache:
    """The sha256 of files already read, by path, kept while their (mtime_ns, size, inode)
    stays the same: for a process that writes the same folder again and again (`render
    --watch`), so that a round reads only the files that changed. Per process, never
    stored: the manifest still holds only content hashes."""

    def __init__(self) -> None:
        self._known: dict[str, tuple[tuple[int, int, int], str]] = {}

    def sha256(self, path: Path, info: os.stat_result | None = None) -> str:
        info = info if info is not None else path.stat()
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        hit = self._known.get(str(path))
        if hit is not None and hit[0] == stamp:
            return hit[1]
        digest = _sha256(path)
        self._known[str(path)] = (stamp, digest)
        return digest


def normalise(relative: str) -> str | None:
    """`relative` as a clean POSIX path inside the folder, or None (absolute, `..`, empty)."""
    if not relative or "\0" in relative or relative.startswith(("/", "\\", "~")):
        return None
    clean = posixpath.normpath(relative.replace("\\", "/") if os.sep == "\\" else relative)
    if clean in (".", "") or clean == ".." or clean.startswith("../") or clean == MANIFEST:
        return None
    return clean


@dataclass
class Manifest:
    """The manifest of one folder: the command that owns it and its files' hashes."""

    command: str
    files: dict[str, set[str]] = field(default_factory=dict)

    def text(self, complete: bool = True) -> str:
        return json.dumps({"generator": "grandrounds", "version": __version__, "command": self.command,
                           "complete": complete,
                           "files": {k: sorted(v) for k, v in sorted(self.files.items())}},
                          indent=1, ensure_ascii=False) + "\n"


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, None when it has none; `OutputRefused` when it is unreadable."""
    path = folder / MANIFEST
    if not os.path.lexists(path):
        return None
    how = ("move the folder away or choose another folder for the output (it was not written "
           "by this version of grandrounds)")
    if path.is_symlink() or not path.is_file():
        raise _refusal(path, "is not a manifest file", how)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        assert isinstance(data, dict) and data.get("generator") == "grandrounds"
        command, files = data["command"], data["files"]
        assert isinstance(command, str) and isinstance(files, dict)
        manifest = Manifest(command)
        for name, hashes in files.items():
            clean = normalise(name) if isinstance(name, str) else None
            assert clean is not None and isinstance(hashes, list)
            assert all(isinstance(h, str) and len(h) == 64 for h in hashes)
            manifest.files[clean] = set(hashes)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, AssertionError) as exc:
        reason = f" ({exc})" if str(exc) else ""
        raise _refusal(path, f"is not a manifest grandrounds can read{reason}", how) from None
    return manifest


# --------------------------------------------------------------------------- what is there


@dataclass
class _Scan:
    """What a folder holds, compared with the manifest and the files to write."""

    own: dict[str, str] = field(default_factory=dict)  # path -> its current hash (ours, unchanged)
    edited: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    more: bool = False  # the scan stopped early: more unexpected files than listed


def _walk(folder: Path, keep: frozenset[str] = frozenset()) -> Iterable[tuple[str, os.stat_result]]:
    """(relative POSIX path, lstat) of every entry under `folder` that is not a real
    folder (files, links, devices), without following links; the manifest and the
    top-level entries named in `keep` left out."""
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        base = Path(dirpath)
        if base == folder:
            dirnames[:] = [d for d in dirnames if d not in keep]
            filenames = [f for f in filenames if f not in keep]
        for name in sorted(dirnames):
            if (base / name).is_symlink():
                dirnames.remove(name)
                filenames.append(name)
        dirnames.sort()
        for name in sorted(filenames):
            path = base / name
            rel = path.relative_to(folder).as_posix()
            if rel != MANIFEST:
                yield rel, path.lstat()


def _scan(folder: Path, manifest: Manifest | None, new_hashes: Mapping[str, str],
          adopt: Callable[[str], bool], keep: frozenset[str] = frozenset(),
          cache: HashCache | None = None) -> _Scan:
    scan = _Scan()
    if not folder.is_dir():
        return scan
    for rel, info in _walk(folder, keep):
        mine = manifest.files.get(rel) if manifest is not None else None
        regular = stat.S_ISREG(info.st_mode)
        if regular and mine is not None:
            current = cache.sha256(folder / rel, info) if cache is not None else _sha256(folder / rel)
            if current in mine or current == new_hashes.get(rel):
                scan.own[rel] = current
            else:
                scan.edited.append(rel)
        elif regular and manifest is None and adopt(rel):
            scan.own[rel] = _sha256(folder / rel)
        else:
            if len(scan.unexpected) >= SHOWN:
                scan.more = True
                break
            scan.unexpected.append(rel)
    return scan


def _named(paths: list[str], more: bool) -> str:
    return ", ".join(paths) + (" and more" if more else "")


def _scan_refusal(folder: Path, scan: _Scan, command: str) -> OutputRefused | None:
    who = f"`grandrounds {command}`"
    if scan.unexpected:
        records = [p for p in scan.unexpected if is_record_name(p.rsplit("/", 1)[-1])]
        what = (f"holds case records ({_named(records, False)})" if records
                else f"holds files that {who} did not write ({_named(scan.unexpected, scan.more)})")
        return _refusal(folder, f"{what}; nothing was written",
                        "choose a new or empty folder for the output, or move those files away")
    if scan.edited:
        return OutputRefused([
            f"grandrounds: {display_path(folder / rel)}: changed since {who} wrote it; nothing was written; "
            "move the edited file away (or choose another folder for the output) and run again"
            for rel in scan.edited[:SHOWN]])
    return None


def _in_the_way(folder: Path, new: Iterable[str], own: Mapping[str, str]) -> tuple[list[str], OutputRefused | None]:
    """Own files that must go before the new ones can be written (a file where a folder
    is needed), or a refusal when something else is in the way (a folder where a file goes)."""
    first: list[str] = []
    seen: set[str] = set()  # folders already looked at (most files share them)
    for rel in new:
        parts = rel.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in seen:
                continue
            seen.add(prefix)
            path = folder / prefix
            if os.path.lexists(path) and not path.is_dir():
                if prefix in own:
                    first.append(prefix)
                else:
                    return first, _refusal(path, "is in the way of a folder the output needs",
                                           "move it away or choose another folder for the output")
        target = folder / rel
        if os.path.lexists(target) and (target.is_symlink() or not target.is_file()):
            return first, _refusal(target, "is in the way of a file the output needs (it is not a file)",
                                   "move it away or choose another folder for the output")
    return first, None


# --------------------------------------------------------------------------- the two entry points


def check_output(out: Path, command: str, cases_dir: Path | None = None, *,
                 adopt: Callable[[str], bool] = lambda rel: False) -> None:
    """Refuse (`OutputRefused`) now what `write_output` would refuse, before slow work
    (handouts): the location, a foreign manifest, unexpected or edited files."""
    check_location(out, cases_dir)
    folder = out.resolve()
    manifest = read_manifest(folder) if folder.is_dir() else None
    _check_owner(folder, manifest, command)
    refusal = _scan_refusal(folder, _scan(folder, manifest, {}, adopt), command)
    if refusal:
        raise refusal


def _check_owner(folder: Path, manifest: Manifest | None, command: str) -> None:
    if manifest is not None and manifest.command != command:
        raise _refusal(folder, f"holds the output of `grandrounds {manifest.command}`",
                       f"choose another folder for the output of `grandrounds {command}`")


def write_output(out: Path, files: Mapping[str, Content], command: str, cases_dir: Path | None = None, *,
                 prune: bool = True, adopt: Callable[[str], bool] | None = None,
                 keep: Iterable[str] = (), cache: HashCache | None = None) -> Report:
    """Write `files` (relative path -> content) into the output folder `out` under the rules
    of this module; returns what was done or raises `OutputRefused` having written nothing.
    `prune`: the files are the whole output, so own files not among them are removed
    (`render`); without it they are kept (`handout`, whose runs add PDFs). `adopt` says
    which files of a folder without a manifest count as earlier output (default: the paths
    of `files`). A file with the same content is left untouched (its mtime too). `keep`:
    top-level names in the folder that another tool writes (a site generator's build
    folder and cache inside the project `render --engine` writes): never looked at,
    replaced or removed, and no file of `files` may be under one. `cache`: a `HashCache`
    kept across calls on the same folder (`render --watch`)."""
    check_location(out, cases_dir)
    folder = out.resolve()
    keep = frozenset(keep)
    new: dict[str, Content] = {}
    for name, content in files.items():
        clean = normalise(name)
        if clean is not None and clean.split("/", 1)[0] in keep:
            clean = None
        if clean is None:
            raise _refusal(folder, f"cannot hold a file named '{name}' (not a plain relative path, "
                           f"or the manifest's name)", "rename that file in the cases folder")
        new[clean] = content
    new_hashes = {rel: _content_hash(content, cache) for rel, content in new.items()}
    manifest = read_manifest(folder) if folder.is_dir() else None
    _check_owner(folder, manifest, command)
    scan = _scan(folder, manifest, new_hashes, adopt or (lambda rel: rel in new), keep, cache)
    refusal = _scan_refusal(folder, scan, command)
    first, in_the_way = _in_the_way(folder, new, scan.own)
    if refusal or in_the_way:
        raise refusal or in_the_way  # type: ignore[misc]
    return _commit(folder, command, new, new_hashes, scan.own, first, prune, adopted=manifest is None)


def _commit(folder: Path, command: str, new: Mapping[str, Content], new_hashes: Mapping[str, str],
            own: Mapping[str, str], first: list[str], prune: bool, adopted: bool) -> Report:
    stale = [rel for rel in own if rel not in new and (prune or rel in first)]
    changed = [rel for rel in new if own.get(rel) != new_hashes[rel]]
    kept = {rel: {h} for rel, h in own.items() if rel not in stale}
    final = Manifest(command, {**kept, **{rel: {h} for rel, h in new_hashes.items()}})
    if adopted and own and stat.S_IMODE(folder.stat().st_mode) == 0o700:
        os.chmod(folder, 0o777 & ~umask())  # an earlier version made it with mkdtemp
    if not changed and not stale and _current_text(folder / MANIFEST) == final.text():
        return Report(folder, 0, len(new), 0)
    folder.mkdir(parents=True, exist_ok=True)
    pending = Manifest(command, {rel: {h} for rel, h in own.items()})
    for rel, digest in new_hashes.items():
        pending.files.setdefault(rel, set()).add(digest)
    atomic_write(folder / MANIFEST, pending.text(complete=False))
    left = _remove(folder, first, own)
    for rel in changed:
        atomic_write(folder / rel, _content_bytes(new[rel]))
    left += _remove(folder, [rel for rel in stale if rel not in first], own)
    final.files.update({rel: {own[rel]} for rel in left})
    atomic_write(folder / MANIFEST, final.text())
    return Report(folder, len(changed), len(new) - len(changed), len(stale) - len(left))


def _current_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _remove(folder: Path, paths: list[str], own: Mapping[str, str]) -> list[str]:
    """Delete own files, hashing each again just before (one edited since the scan is kept
    and returned, so the manifest keeps it and the next run reports the edit), then the
    folders that became empty, up to `folder`."""
    left: list[str] = []
    for rel in paths:
        path = folder / rel
        if not os.path.lexists(path):
            continue
        if path.is_symlink() or not path.is_file() or _sha256(path) != own[rel]:
            left.append(rel)
            continue
        path.unlink()
        parent = path.parent
        while parent != folder and folder in parent.parents:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent
    return left
