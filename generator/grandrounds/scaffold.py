"""Authoring commands' files: a new site (`grandrounds new DIR`) and a new record
(`grandrounds add "Title"`).

Owns what those commands write and the rule that they never overwrite: every target is
checked before anything is written (`--force` allows replacing the files they write, and
nothing else), each file is written atomically (`fsio.atomic_write`), and a new site
folder is built beside its destination and renamed into place whole. `new` refuses `/`,
the home folder, a path that is not a folder and a folder holding case records (the
location rules come from `outdir`); a new record (`write_new_record`, for `add` and a
future `import`) never takes the name of an existing one, even by letter case or suffix
alone. The files themselves live in
`templates/scaffold/` (shipped as package data), so the site and its GitHub Pages workflow
are plain files anyone can read.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from jinja2 import Environment, StrictUndefined

from . import outdir
from .fsio import atomic_write, umask
from .site.publish import is_record_name
from .record.model import case_id_problem, case_json_schema

SCAFFOLD = Path(__file__).resolve().parent / "templates" / "scaffold"
"""The files `new` and `add` write from (templates/scaffold/ in the repository)."""

WORKFLOW = ".github/workflows/publish.yml"


class ScaffoldError(Exception):
    """A refusal: the message says what exists and how to proceed."""


def _render(name: str, **values: object) -> str:
    env = Environment(undefined=StrictUndefined, keep_trailing_newline=True, autoescape=False)
    return env.from_string((SCAFFOLD / name).read_text(encoding="utf-8")).render(**values)


def site_files(site_name: str, with_templates: bool = False) -> dict[str, str | bytes]:
    """The files of a new site, by path relative to its folder."""
    files: dict[str, str | bytes] = {
        "mkdocs.yml": _render("mkdocs.yml.j2", site_name=json.dumps(site_name)),
        "cases/septic-arthritis-hip.yaml": (SCAFFOLD / "example-case.yaml").read_text(encoding="utf-8"),
        "schema/case.schema.json": json.dumps(case_json_schema(), indent=2, ensure_ascii=False) + "\n",
        ".gitignore": (SCAFFOLD / "gitignore").read_text(encoding="utf-8"),
        "requirements.txt": (SCAFFOLD / "requirements.txt").read_text(encoding="utf-8"),
        WORKFLOW: (SCAFFOLD / "publish.yml").read_text(encoding="utf-8"),
    }
    if with_templates:
        templates = SCAFFOLD.parent
        for path in sorted(templates.rglob("*")):
            if path.is_file() and SCAFFOLD not in path.parents:
                files[f"templates/{path.relative_to(templates).as_posix()}"] = path.read_bytes()
    return files


def new_site(target: Path, site_name: str, *, with_templates: bool = False, force: bool = False) -> list[str]:
    """Create a ready site in `target`; returns the files written. Raises `ScaffoldError`
    before writing anything when `target` is `/`, the home folder (or holds it), not a
    folder, or a folder holding case records other than the example, or when a file it
    would write exists and `force` is not set (`force` replaces those files, nothing else)."""
    files = site_files(site_name, with_templates)
    problem = outdir.location_problem(target, protect_project=False)
    if problem:
        raise ScaffoldError(f"{target}: {problem[0]}; {problem[1]}")
    records = _records_in(target, set(files))
    if records:
        shown = ", ".join(records[:outdir.SHOWN]) + (" and more" if len(records) > outdir.SHOWN else "")
        raise ScaffoldError(f"{target}: holds case records ({shown}); `new` makes a new site: "
                            "choose a new or empty folder (add cases to this one with `grandrounds add`)")
    taken = [name for name in files if os.path.lexists(target / name)]
    in_the_way = [name for name in taken if (target / name).is_symlink() or not (target / name).is_file()]
    if in_the_way:
        raise ScaffoldError(f"{target / in_the_way[0]}: exists and is not a file; move it away or choose another folder")
    if taken and not force:
        raise ScaffoldError(f"{target / taken[0]} already exists"
                            + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else "")
                            + "; choose an empty folder, or pass --force to replace them")
    if not target.exists():  # build beside it, then rename the whole folder into place
        _write_new_folder(target, files)
    else:
        for name, data in files.items():
            atomic_write(target / name, data)
    return list(files)


def _records_in(target: Path, ours: set[str]) -> list[str]:
    """Record files (`.yaml`/`.yml`, any letter case) in `target` or under its `cases/`
    folder that `new` would not write itself, the first few. Dotfiles and `mkdocs.yaml`
    at the top are configuration, not records."""
    if not target.is_dir():
        return []
    names = [p.name for p in sorted(target.iterdir())
             if is_record_name(p.name) and not p.name.startswith(".") and p.name != "mkdocs.yaml"]
    for dirpath, dirnames, filenames in os.walk(target / "cases"):  # links are not followed
        dirnames.sort()
        base = Path(dirpath).relative_to(target).as_posix()
        names += [f"{base}/{name}" for name in sorted(filenames) if is_record_name(name)]
    return [n for n in names if n not in ours][:outdir.SHOWN + 1]


def _write_new_folder(target: Path, files: dict[str, str | bytes]) -> None:
    """Write `files` into a folder beside `target`, then rename it into place whole, with
    the ordinary folder mode (0777 less the umask, not mkdtemp's 0700)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        for name, data in files.items():
            atomic_write(staging / name, data)
        os.chmod(staging, 0o777 & ~umask())
        os.replace(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def slugify(title: str) -> str:
    """A case id from a title: ASCII lower-case words joined by '-' (at most 60 characters)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    words = re.findall(r"[a-z0-9]+", text)
    slug = ""
    for word in words:
        if len(slug) + len(word) + 1 > 60 and slug:
            break
        slug = f"{slug}-{word}" if slug else word
    return slug


def id_problem(slug: str) -> str | None:
    """Why `slug` cannot name a new record (the model's one id rule), or None."""
    problem = case_id_problem(slug) if slug else "an empty id is not valid"
    return f"case id {problem}; pass --id with another id (for example lower-case words joined by '-')" if problem else None


def new_record(cases_dir: Path, title: str, *, slug: str | None = None, force: bool = False) -> Path:
    """Create `cases/<slug>.yaml` from the commented skeleton; returns its path."""
    slug = slug or slugify(title)
    problem = id_problem(slug)
    if problem:
        raise ScaffoldError(problem)
    target = cases_dir / f"{slug}.yaml"
    text = _render("add-case.yaml.j2", title=json.dumps(title, ensure_ascii=False),
                   year=datetime.date.today().year, path=target.as_posix())
    return write_new_record(cases_dir, target.name, text, force)


def write_new_record(cases_dir: Path, name: str, text: str | bytes, force: bool = False) -> Path:
    """Write a new record `name` (a plain file name) into the cases folder (`add`, and
    `import` when it comes). Never replaces a file without `force`; never, even with it, a
    record whose name differs only in letter case or suffix (`Foo.yaml`, `foo.yml` for
    `foo.yaml`: they collide on macOS and Windows, or give two records one id), nor
    anything that is not a plain file. Raises `ScaffoldError` before writing anything."""
    if not name or "/" in name or "\\" in name or name in (".", "..") or not is_record_name(name):
        raise ScaffoldError(f"'{name}' cannot name a record; give a file name ending in .yaml")
    if os.path.lexists(cases_dir) and not cases_dir.is_dir():
        raise ScaffoldError(f"{cases_dir}: is not a folder; pass --cases with the folder of case records")
    target = cases_dir / name
    same = _same_record_names(cases_dir, name)
    others = [entry for entry in same if entry != name]
    if others:
        raise ScaffoldError(f"{cases_dir / others[0]}: has the same name but for letter case or suffix (they would "
                            f"collide on macOS and Windows); choose another title or --id, or rename {others[0]} first")
    if os.path.lexists(target) and (target.is_symlink() or not target.is_file()):
        raise ScaffoldError(f"{target}: exists and is not a plain file; choose another title or --id")
    if same and not force:
        raise ScaffoldError(f"{target} already exists; choose another title or --id, or pass --force to replace it")
    atomic_write(target, text)
    return target


def _same_record_names(cases_dir: Path, name: str) -> list[str]:
    """The entries of `cases_dir` that name the same record as `name`: a record suffix and
    the same stem ignoring letter case (`name` itself included when it exists)."""
    if not cases_dir.is_dir():
        return []
    stem = name.rsplit(".", 1)[0].casefold()
    return sorted(entry for entry in os.listdir(cases_dir)
                  if is_record_name(entry) and entry.rsplit(".", 1)[0].casefold() == stem)
