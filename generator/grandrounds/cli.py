"""The `grandrounds` command: the pipeline from a terminal, without MkDocs.

Owns argument parsing, exit codes and output. Subcommands:

    grandrounds check  [PATH ...]          validate records; every problem, one line each
    grandrounds render [--out DIR] [...]   write the site's pages as Markdown files
    grandrounds schema [--out FILE]        print (or write) the case record's JSON Schema
    grandrounds new ID [--title T]         start a record from the template

Exit codes: 0 fine, 1 input problems, 2 misuse. A user mistake is never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Sequence

from . import __version__, cite
from .errors import CaseErrors, display_path
from .library import Library, find_case_files
from .model import _ID, RESERVED_IDS, case_json_schema
from .render import Renderer, RenderOptions, render_site

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

NEW_CASE = """\
# yaml-language-server: $schema=../schema/case.schema.json
schema_version: 1
title: {title}
type: case-report
status: draft
date: "{year}"
specialties: []
tags: []
patient: {{age: , sex: unknown}}
abstract:
  background: >-
    Why this case matters.
  investigations: >-
    What was done to find out.
  diagnosis: >-
    What it was.
  management: >-
    What was done, and how it went.
presentation: >-
  How the patient presented.
diagnosis:
  final: ""
learning_points:
  - ""
consent:
  obtained: false
  by: not-stated
references: []
"""


def _site_paths(args: argparse.Namespace) -> tuple[Path, Path]:
    return Path(args.cases), Path(args.templates)


def _read_library(paths: Sequence[str], cases_dir: Path) -> tuple[Library, list[str]]:
    """Load the records named (files or folders; default: the cases folder)."""
    files: list[Path] = []
    missing: list[str] = []
    for name in paths or [str(cases_dir)]:
        p = Path(name)
        if p.is_dir():
            files += find_case_files(p)
        elif p.is_file():
            files.append(p)
        else:
            missing.append(name)
    library = Library(cases_dir)
    library.refresh(files)
    return library, missing


def cmd_check(args: argparse.Namespace) -> int:
    cases_dir, _ = _site_paths(args)
    library, missing = _read_library(args.paths, cases_dir)
    for name in missing:
        print(f"grandrounds: no such file or folder: {name}", file=sys.stderr)
    if missing:
        return EXIT_USAGE
    problems = library.problems
    for problem in problems:
        print(problem)
    count = library.record_count
    print(f"{count} record{'s' if count != 1 else ''} checked, {len(problems)} problem"
          f"{'s' if len(problems) != 1 else ''}", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


def cmd_render(args: argparse.Namespace) -> int:
    cases_dir, templates = _site_paths(args)
    library, _ = _read_library([], cases_dir)
    if library.problems:
        for problem in library.problems:
            print(problem, file=sys.stderr)
        print("nothing written: fix the problems above first", file=sys.stderr)
        return EXIT_PROBLEMS
    if args.style not in cite.STYLES:
        print(f"grandrounds: unknown style '{args.style}'; choose from {', '.join(cite.STYLES)}",
              file=sys.stderr)
        return EXIT_USAGE
    options = RenderOptions(style=args.style, site_title=args.title,
                            disclaimer=args.disclaimer, include_drafts=args.drafts,
                            directory_urls=not args.no_directory_urls)
    pages = render_site(library.cases, Renderer(templates, options))
    out = Path(args.out)
    _write_tree(out, pages, library, cases_dir)
    print(f"wrote {len(pages)} pages to {display_path(out)}", file=sys.stderr)
    return EXIT_OK


def _write_tree(out: Path, pages: dict[str, str], library: Library, cases_dir: Path) -> None:
    """Write pages and the figures they use into a fresh folder, then swap it in whole,
    so an interrupted run never leaves a half-written site."""
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))
    try:
        for uri, text in pages.items():
            target = staging / uri
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        for case in library.cases:
            if f"{case.slug}.md" not in pages:
                continue
            for figure in case.figures:
                target = staging / figure.file
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(cases_dir / figure.file, target)
        if out.exists():
            old = out.with_name(f".{out.name}-old")
            shutil.rmtree(old, ignore_errors=True)
            os.replace(out, old)
            os.replace(staging, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, out)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(case_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        _atomic_write(Path(args.out), text)
        print(f"wrote {display_path(args.out)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    cases_dir, _ = _site_paths(args)
    if not _ID.match(args.id) or args.id.lower() in RESERVED_IDS:
        print(f"grandrounds: '{args.id}' cannot be a case id; use lower-case words joined by '-'",
              file=sys.stderr)
        return EXIT_USAGE
    target = cases_dir / f"{args.id}.yaml"
    library, _ = _read_library([], cases_dir)
    taken = {c.slug for c in library.cases} | {p.stem for p in find_case_files(cases_dir)}
    if target.exists() or args.id in taken:
        what = (f"{display_path(target)} already exists" if target.exists()
                else f"a case with id '{args.id}' already exists in {display_path(cases_dir)}")
        print(f"grandrounds: {what}; choose another id", file=sys.stderr)
        return EXIT_USAGE
    import datetime

    title = json.dumps(args.title or args.id.replace("-", " ").capitalize())
    _atomic_write(target, NEW_CASE.format(title=title, year=datetime.date.today().year))
    print(f"created {display_path(target)} (status: draft); edit it, then set status: published",
          file=sys.stderr)
    return EXIT_OK


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grandrounds", description=(
        "Structured clinical case summaries (YAML) to a searchable site."))
    parser.add_argument("--version", action="version", version=f"grandrounds {__version__}")
    site = argparse.ArgumentParser(add_help=False)
    site.add_argument("--cases", default="cases", metavar="DIR",
                      help="the folder of case records (default: cases)")
    site.add_argument("--templates", default="templates", metavar="DIR",
                      help="the site's template overrides (default: templates)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    check = sub.add_parser("check", parents=[site], help="validate case records and report every problem")
    check.add_argument("paths", nargs="*", metavar="PATH", help="records or folders (default: the cases folder)")
    check.set_defaults(func=cmd_check)

    render = sub.add_parser("render", parents=[site], help="write the pages as Markdown for any site generator")
    render.add_argument("--out", default="rendered", metavar="DIR", help="output folder (default: rendered)")
    render.add_argument("--style", default="nature", help=f"citation style ({', '.join(cite.STYLES)})")
    render.add_argument("--title", default="Case library", help="the home page's title")
    render.add_argument("--disclaimer", default=None, help="text shown at the foot of each case")
    render.add_argument("--drafts", action="store_true", help="include records with status: draft")
    render.add_argument("--no-directory-urls", action="store_true",
                        help="links in listings as page.html instead of page/ (match the target generator)")
    render.set_defaults(func=cmd_render)

    schema = sub.add_parser("schema", parents=[site], help="print the case record's JSON Schema")
    schema.add_argument("--out", metavar="FILE", help="write it to FILE instead of printing")
    schema.set_defaults(func=cmd_schema)

    new = sub.add_parser("new", parents=[site], help="start a new case record (a draft) from the template")
    new.add_argument("id", help="the case id, also the file name and URL slug")
    new.add_argument("--title", help="the case title")
    new.set_defaults(func=cmd_new)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CaseErrors as exc:
        print(exc, file=sys.stderr)
        return EXIT_PROBLEMS
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
