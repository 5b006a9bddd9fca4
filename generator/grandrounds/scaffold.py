"""Authoring commands' files: a new site (`grandrounds new DIR`) and a new record
(`grandrounds add "Title"`).

Owns what those commands write and the rule that they never overwrite: every target is
checked before anything is written (`--force` allows replacing), each file is written
atomically (temporary file in the same folder, then rename), and a new site folder is
built beside its destination and renamed into place whole. The files themselves live in
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

from .fsio import atomic_write
from .model import RESERVED_IDS, case_json_schema

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
    (before writing anything) if a file exists and `force` is not set."""
    files = site_files(site_name, with_templates)
    if target.exists() and not target.is_dir():
        raise ScaffoldError(f"{target} exists and is not a folder; choose another name")
    taken = [name for name in files if (target / name).exists()]
    if taken and not force:
        raise ScaffoldError(f"{target / taken[0]} already exists"
                            + (f" (and {len(taken) - 1} more)" if len(taken) > 1 else "")
                            + "; choose an empty folder, or pass --force to replace them")
    if not target.exists():  # build beside it, then rename the whole folder into place
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
        try:
            for name, data in files.items():
                atomic_write(staging / name, data)
            os.chmod(staging, 0o755)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    else:
        for name, data in files.items():
            atomic_write(target / name, data)
    return list(files)


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
    """Why `slug` cannot name a new record, or None."""
    if not slug or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", slug) or slug in RESERVED_IDS:
        return (f"'{slug}' cannot be a case id"
                + (" (reserved for a generated page)" if slug in RESERVED_IDS else "")
                + "; pass --id with lower-case words joined by '-'")
    return None


def new_record(cases_dir: Path, title: str, *, slug: str | None = None, force: bool = False) -> Path:
    """Create `cases/<slug>.yaml` from the commented skeleton; returns its path."""
    slug = slug or slugify(title)
    problem = id_problem(slug)
    if problem:
        raise ScaffoldError(problem)
    target = cases_dir / f"{slug}.yaml"
    others = [p for p in (cases_dir / f"{slug}.yml",) if p.exists()]
    if (target.exists() or others) and not force:
        shown = target if target.exists() else others[0]
        raise ScaffoldError(f"{shown} already exists; choose another title or --id, or pass --force to replace it")
    text = _render("add-case.yaml.j2", title=json.dumps(title, ensure_ascii=False),
                   year=datetime.date.today().year, path=target.as_posix())
    atomic_write(target, text)
    return target
