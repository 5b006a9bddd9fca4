"""The `grandrounds` command: the pipeline from a terminal, without MkDocs.

Owns argument parsing, exit codes and output. Subcommands:

    grandrounds check  [PATH ...]          validate and lint records (privacy, CARE, references)
    grandrounds render [--out DIR] [...]   the site's pages as Markdown, or (--engine E) a project
                                           MkDocs, ProperDocs or Zensical builds; --watch keeps it live
    grandrounds index SITE                 index a built site for search (Pagefind)
    grandrounds schema [--out FILE]        print (or write) the case record's JSON Schema
    grandrounds cite CASE [--format F]     print a case's citation (text, ris, bibtex, csl-json)
    grandrounds new DIR                    create a ready site (mkdocs.yml, example, workflow)
    grandrounds add "Title"                start a record (a draft) from a commented skeleton
    grandrounds import ARTICLE [...]       a draft record from a JATS article (.xml) or MEDLINE (.nbib)
    grandrounds handout [CASE ...] [...]   write PDF handouts (--quiz, --paper, --booklet)

Exit codes: 0 fine, 1 input problems, 2 misuse. A user mistake is never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

from . import __version__, cite, outdir
from .record import refio
from .errors import CaseErrors, display_path
from .fsio import atomic_write
from .record.library import Library, find_case_files
from .record.model import case_json_schema
from .site import search
from .site.engine import build_site
from .site.render import Renderer, RenderOptions

if TYPE_CHECKING:
    from .handout import HandoutOptions
    from .record.model import Case

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2


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
    from .checks import check

    cases_dir, _ = _site_paths(args)
    library, missing = _read_library(args.paths, cases_dir)
    for name in missing:
        print(f"grandrounds: no such file or folder: {name}", file=sys.stderr)
    if missing:
        return EXIT_USAGE
    not_stripped: set[Path] = set()  # a figure whose metadata cannot be removed losslessly fails the run
    if args.strip_exif:
        for case in library.cases:
            for figure in case.figures:
                target = cases_dir / figure.file
                try:
                    if check.image_metadata(target) and check.strip_metadata(target):
                        print(f"stripped metadata from {display_path(target)}", file=sys.stderr)
                except (OSError, ValueError) as exc:
                    if target not in not_stripped:
                        print(f"{display_path(target)}:1:1: its metadata cannot be removed without changing the "
                              f"image ({exc}); re-export the image without metadata (the file is unchanged)",
                              file=sys.stderr)
                    not_stripped.add(target)
    checker = check.Checker(privacy="error" if args.privacy_errors else "warning", handouts=True)
    findings = checker.run(library)
    shown = [f for f in findings if f.severity != "info" or args.info]
    if shown or args.format == "json":  # json: always a list, [] when clean
        print(check.format_findings(shown, args.format))
    if args.care:
        for case in library.cases:
            if case.type in check.CARE_TYPES:  # stdout stays machine-readable in json/github
                print(check.format_care_table(case), file=sys.stdout if args.format == "text" else sys.stderr)
    counts = {s: sum(f.severity == s for f in findings) for s in check.SEVERITIES}
    count = library.record_count
    if counts["warning"] or counts["info"]:
        print(f"{_plural(counts['warning'], 'warning')}"
              f"{' (they fail the check with --strict)' if counts['warning'] and not args.strict else ''}, "
              f"{counts['info']} information{'' if args.info or not counts['info'] else ' (shown with --info)'}",
              file=sys.stderr)
    print(f"{_plural(count, 'record')} checked, {_plural(counts['error'], 'problem')}", file=sys.stderr)
    failed = counts["error"] or (args.strict and counts["warning"]) or not_stripped
    return EXIT_PROBLEMS if failed else EXIT_OK


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def cmd_render(args: argparse.Namespace) -> int:
    from .hosts import export

    cases_dir, templates = _site_paths(args)
    if args.style is not None and args.style not in cite.STYLES:
        print(f"grandrounds: unknown style '{args.style}'; choose from {', '.join(cite.STYLES)}",
              file=sys.stderr)
        return EXIT_USAGE
    config = Path(args.config) if args.config else (Path("mkdocs.yml") if args.engine and Path("mkdocs.yml").is_file() else None)
    try:
        source = export.read_source(config)
    except export.ConfigProblem as exc:
        print(exc, file=sys.stderr)
        return EXIT_PROBLEMS
    flags = {"style": args.style, "site_title": args.title, "disclaimer": args.disclaimer,
             "site_url": args.site_url, "directory_urls": False if args.no_directory_urls else None}
    options = export.render_options(source, flags, include_drafts=args.drafts, preview=args.watch)
    if options.style not in cite.STYLES:
        print(f"grandrounds: {display_path(config or '.')}:1:1: unknown style '{options.style}' in the "
              f"grandrounds plugin's options; choose from {', '.join(cite.STYLES)}", file=sys.stderr)
        return EXIT_PROBLEMS
    out = Path(args.out)
    if args.watch:
        from .hosts import watch

        return watch.run(watch.Target(out, args.engine, config, flags, args.drafts, cases_dir, templates))
    site = build_site(cases_dir, templates, options, sessions_dir=source.sessions_dir)
    if site.problems:
        for problem in site.problems:
            print(problem, file=sys.stderr)
        print("nothing written: fix the problems above first", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        report = export.write(out, site, args.engine, source, options, cases_dir, templates)
    except outdir.OutputRefused as exc:
        return _refused(exc)
    except OSError as exc:
        return _write_failed(out, exc)
    pages = sum(o.is_page for o in site.outputs.values())
    downloads = sum(o.kind == "download" for o in site.outputs.values())
    what = f"a {args.engine} project" if args.engine else "the pages"
    print(f"wrote {what} ({pages} pages, {downloads} citation files) to {display_path(out)}"
          f" ({_plural(report.written, 'file')} written, {report.unchanged} unchanged, "
          f"{report.removed} stale removed)", file=sys.stderr)
    if args.engine:
        print(f"build it: cd {display_path(out)} && {export.BUILD_COMMAND[args.engine]}", file=sys.stderr)
    return EXIT_OK


def _refused(exc: "outdir.OutputRefused") -> int:
    for line in exc.lines:
        print(line, file=sys.stderr)
    return EXIT_PROBLEMS


def _write_failed(path: Path, exc: OSError) -> int:
    """A write the system refused (disk full, permissions): one line, no traceback; the
    output folder's manifest still lists every file the run may have written."""
    where = exc.filename or path
    print(f"grandrounds: {display_path(where)}: cannot write ({exc.strerror or exc}); "
          "fix the cause and run the command again", file=sys.stderr)
    return EXIT_PROBLEMS


def _mkdocs_settings(path: Path = Path("mkdocs.yml")) -> dict:
    """`site_name` and `site_url` of the mkdocs.yml in the working folder, if any (its
    `!!python/...` tags are ignored; an unreadable file gives no defaults)."""
    import yaml

    class _Lenient(yaml.SafeLoader):
        pass

    _Lenient.add_multi_constructor("", lambda loader, suffix, node: None)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Lenient)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def cmd_cite(args: argparse.Namespace) -> int:
    cases_dir, templates = _site_paths(args)
    given = Path(args.case)
    if given.suffix in (".yaml", ".yml") or given.is_file():
        if not given.is_file():
            print(f"grandrounds: no such file: {args.case}", file=sys.stderr)
            return EXIT_USAGE
        inside = given.resolve().parent == cases_dir.resolve()
        library, _ = _read_library([str(given)], cases_dir if inside else given.parent)
    else:
        library, _ = _read_library([], cases_dir)
    by_id = {c.slug: c for c in library.cases}
    case = library.cases[0] if given.is_file() and library.cases else by_id.get(args.case)
    if case is None:
        problems = [p for p in library.problems
                    if given.is_file() or Path(p.path).stem == args.case]
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return EXIT_PROBLEMS
        known = ", ".join(sorted(by_id)[:8]) or "none"
        print(f"grandrounds: no case '{args.case}' in {display_path(cases_dir)} (cases: {known}); "
              "give a case id or the path of its record", file=sys.stderr)
        return EXIT_USAGE
    style = args.style or case.style or "nature"
    if style not in cite.STYLES:
        print(f"grandrounds: unknown style '{style}'; choose from {', '.join(cite.STYLES)}", file=sys.stderr)
        return EXIT_USAGE
    settings = _mkdocs_settings()
    site_name = args.site_name or str(settings.get("site_name") or "Case library")
    site_url = args.site_url or (str(settings["site_url"]) if settings.get("site_url") else None)
    renderer = Renderer(templates, RenderOptions(style=style, site_title=site_name, site_url=site_url))
    if args.original:
        if case.source is None:
            print(f"grandrounds: case '{case.slug}' has no `source:` (it is an original case report); "
                  "cite the summary itself (leave out --original)", file=sys.stderr)
            return EXIT_PROBLEMS
        item = case.source.as_csl()
    else:
        item = renderer.summary_item(case)
    if args.format == "text":
        sys.stdout.write(cite.format_reference(item, style).text + "\n")
    else:
        sys.stdout.write(refio.EXPORTS[args.format][1]([item]))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    text = json.dumps(case_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if args.out:
        atomic_write(Path(args.out), text)
        print(f"wrote {display_path(args.out)}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def cmd_new(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, new_site

    target = Path(args.dir)
    name = args.name or target.resolve().name.replace("-", " ").replace("_", " ").capitalize()
    try:
        written = new_site(target, name, with_templates=args.templates_copy, force=args.force)
    except ScaffoldError as exc:
        print(f"grandrounds: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"created a site in {display_path(target)} ({len(written)} files); "
          f"cd {display_path(target)} && mkdocs serve --dirty", file=sys.stderr)
    return EXIT_OK


def cmd_add(args: argparse.Namespace) -> int:
    from .scaffold import ScaffoldError, id_problem, new_record, slugify

    cases_dir, _ = _site_paths(args)
    slug = args.id or slugify(args.title)
    problem = id_problem(slug)
    if problem:
        print(f"grandrounds: {problem}", file=sys.stderr)
        return EXIT_USAGE
    if not args.force:
        library, _ = _read_library([], cases_dir)
        owner = next((c for c in library.cases if c.slug == slug), None)
        if owner is not None and Path(owner.source_path or "").stem != slug:
            print(f"grandrounds: a case with id '{slug}' already exists "
                  f"({display_path(owner.source_path or '')}); pass --id with another id", file=sys.stderr)
            return EXIT_PROBLEMS
    try:
        target = new_record(cases_dir, args.title, slug=slug, force=args.force)
    except ScaffoldError as exc:
        print(f"grandrounds: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"created {display_path(target)} (status: draft); fill it in, run `grandrounds check`, "
          "then set status: published", file=sys.stderr)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    """`grandrounds import ARTICLE`: a draft record from a JATS (.xml) or MEDLINE (.nbib,
    .txt) file, written with `scaffold.write_new_record` (never over a record without --force)."""
    from .scaffold import ScaffoldError, id_problem, write_new_record

    cases_dir, _ = _site_paths(args)
    article = Path(args.article)
    suffix = article.suffix.lower()
    if args.id and id_problem(args.id):
        print(f"grandrounds: {id_problem(args.id)}", file=sys.stderr)
        return EXIT_USAGE
    if suffix == ".xml":
        from .record import jats

        draft = jats.draft_from_file(article, slug=args.id)
        slug, text, files, notes = draft.data["id"], jats.record_text(draft), draft.files, draft.notes
    elif suffix in (".nbib", ".txt"):
        try:
            from .record import medline  # type: ignore[attr-defined]
        except ImportError:
            print(f"grandrounds: importing MEDLINE ({suffix}) is not yet available; import the article's "
                  "JATS XML (.xml) instead", file=sys.stderr)
            return EXIT_USAGE
        record, notes = medline.draft_from_file(article)
        from .scaffold import slugify

        slug = args.id or record.get("id") or slugify(str(record.get("title") or "")) or slugify(article.stem)
        record["id"] = slug
        import yaml

        text = yaml.safe_dump(record, sort_keys=False, allow_unicode=True, width=100)
        files = {}
    else:
        print(f"grandrounds: {display_path(article)}: import reads a JATS article (.xml) or a MEDLINE "
              "record (.nbib, .txt)", file=sys.stderr)
        return EXIT_USAGE
    problem = id_problem(slug)
    if problem:
        print(f"grandrounds: {problem}", file=sys.stderr)
        return EXIT_USAGE
    taken = [name for name in files if (cases_dir / name).exists()]
    if taken and not args.force:
        print(f"grandrounds: {display_path(cases_dir / taken[0])} already exists; pass --force to replace "
              "the record and its figure files, or --id with another id", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        target = write_new_record(cases_dir, f"{slug}.yaml", text, args.force)
    except ScaffoldError as exc:
        print(f"grandrounds: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    for name, data in files.items():
        atomic_write(cases_dir / name, data)
    print(f"created {display_path(target)} (status: draft)"
          + (f" and {len(files)} figure file{'s' if len(files) != 1 else ''}" if files else ""), file=sys.stderr)
    for note in notes:
        print(f"  - {note}", file=sys.stderr)
    print("next: read the comments at the top of the record, write the summary in your own words, "
          "fill authors and license, run `grandrounds check`, then set status: published", file=sys.stderr)
    return EXIT_OK


def cmd_handout(args: argparse.Namespace) -> int:
    """`grandrounds handout`: PDFs through `handout` (cached; stale ones in parallel)."""
    from . import handout

    cases_dir, templates = _site_paths(args)
    if args.style not in cite.STYLES:
        print(f"grandrounds: unknown style '{args.style}'; choose from {', '.join(cite.STYLES)}", file=sys.stderr)
        return EXIT_USAGE
    if args.specialty and not args.booklet:
        print("grandrounds: --specialty goes with --booklet", file=sys.stderr)
        return EXIT_USAGE
    if args.jobs is not None and args.jobs < 1:
        print("grandrounds: --jobs must be 1 or more", file=sys.stderr)
        return EXIT_USAGE
    named = [str(cases_dir / f"{name}.yaml") if not Path(name).exists() and (cases_dir / f"{name}.yaml").is_file()
             else name for name in args.case]
    library, missing = _read_library(named, cases_dir)
    for name in missing:
        print(f"grandrounds: no such case or file: {name}", file=sys.stderr)
    if missing:
        return EXIT_USAGE
    for problem in library.problems:
        print(problem, file=sys.stderr)
    cases = [c for c in library.cases if args.case or c.status == "published"]
    options = handout.HandoutOptions(paper=args.paper, quiz=args.quiz, style=args.style, library_name=args.title,
                                     site_url=args.site_url, templates=str(templates) if templates.is_dir() else None)
    out = Path(args.out)
    cache = Path(args.cache_dir) if args.cache_dir else cases_dir.resolve().parent / handout.CACHE_DIR
    adopt = _handout_names(library).__contains__
    try:
        outdir.check_output(out, "handout", cases_dir, adopt=adopt)  # before the slow part
        if args.booklet:
            return _write_booklet(args, out, cases, library, options, adopt)
        outdir.check_location(cache, cases_dir)  # the cache deletes its own older PDFs
        if cache.resolve() == out.resolve():
            raise outdir.OutputRefused([f"grandrounds: {display_path(out)}: is also the cache folder; "
                                        "give --out and --cache-dir different folders"])
        return _write_handouts(args, out, cache, cases, library, options, adopt)
    except outdir.OutputRefused as exc:
        return _refused(exc)
    except OSError as exc:
        return _write_failed(out, exc)


def _handout_names(library: Library) -> set[str]:
    """The files `handout` could write for this library (an older version's output folder
    holding only these is adopted)."""
    from .handout import slugify

    stems = {path.stem for path in find_case_files(library.cases_dir)}  # records not named on the command line
    names = {"booklet.pdf"} | {f"{slug}.pdf" for slug in stems | {case.slug for case in library.cases}}
    return names | {f"booklet-{slugify(s)}.pdf" for case in library.cases for s in case.specialties}


def _write_booklet(args: argparse.Namespace, out: Path, cases: list[Case], library: Library,
                   options: HandoutOptions, adopt: Callable[[str], bool]) -> int:
    """`handout --booklet`: one PDF into the output folder."""
    from . import handout

    cases_dir = Path(args.cases)
    if library.problems:  # a booklet without a broken case would pass for the whole library
        print("grandrounds: no booklet written: fix the problems above first", file=sys.stderr)
        return EXIT_PROBLEMS
    chosen = handout.booklet_cases(cases, options, args.specialty)
    if not chosen:
        print(f"grandrounds: no published cases{' in ' + args.specialty if args.specialty else ''}",
              file=sys.stderr)
        return EXIT_PROBLEMS if library.problems else EXIT_USAGE
    name = f"booklet-{handout.slugify(args.specialty)}.pdf" if args.specialty else "booklet.pdf"

    def write(target: Path, data: bytes) -> None:
        outdir.write_output(out, {target.name: data}, "handout", cases_dir, prune=False, adopt=adopt)

    result = handout.build_booklet(chosen, cases_dir, options, out / name,
                                   title=f"{args.title}: {args.specialty}" if args.specialty else args.title,
                                   write=write)
    for problem in result.problems:
        print(problem, file=sys.stderr)
    if result.path:
        print(f"wrote {display_path(result.path)} ({len(chosen)} case{'s' if len(chosen) != 1 else ''}, "
              f"{result.pages} pages)", file=sys.stderr)
    return EXIT_PROBLEMS if result.problems or library.problems else EXIT_OK


def _write_handouts(args: argparse.Namespace, out: Path, cache: Path, cases: list[Case], library: Library,
                    options: HandoutOptions, adopt: Callable[[str], bool]) -> int:
    """`handout`: each case's PDF (cached; stale ones in parallel), copied into the output folder."""
    from . import handout

    cases_dir = Path(args.cases)
    try:
        results = handout.build_handouts(cases, cases_dir, options, cache, jobs=args.jobs, progress=handout.Progress())
    except handout.SetupError as exc:
        print(f"grandrounds: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    built = 0
    files: dict[str, outdir.Content] = {}
    problems = bool(library.problems)
    for result in results:
        for problem in result.problems:
            print(problem, file=sys.stderr)
            problems = True
        if result.path is None:
            continue
        if result.warning:
            print(result.warning, file=sys.stderr)
        files[f"{result.slug}.pdf"] = result.path
        built += result.built
    written = outdir.write_output(out, files, "handout", cases_dir, prune=False, adopt=adopt).written if files else 0
    done = len(files)
    print(f"{done} handout{'s' if done != 1 else ''} in {display_path(out)}: {built} built, "
          f"{done - built} from the cache, {written} file{'s' if written != 1 else ''} written", file=sys.stderr)
    return EXIT_PROBLEMS if problems else EXIT_OK


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
    check.add_argument("--format", choices=("text", "json", "github"), default="text",
                       help="text (file:line:col: severity: code: message), json, or github (Actions annotations)")
    check.add_argument("--strict", action="store_true", help="warnings fail too (exit 1)")
    check.add_argument("--privacy-errors", action="store_true",
                       help="privacy and consent findings are errors (for libraries of original cases)")
    check.add_argument("--care", action="store_true", help="print the CARE checklist table of each case report")
    check.add_argument("--info", action="store_true", help="also show information (e.g. uncited references)")
    check.add_argument("--strip-exif", action="store_true",
                       help="remove EXIF/XMP metadata from the figures (pixels kept), then check")
    check.set_defaults(func=cmd_check)

    render = sub.add_parser("render", parents=[site],
                            help="write the pages as Markdown, or a project for MkDocs, ProperDocs or Zensical")
    render.add_argument("--out", default="rendered", metavar="DIR", help="output folder (default: rendered)")
    render.add_argument("--engine", choices=("mkdocs", "properdocs", "zensical"), default=None,
                        help="write a project this site generator builds as it is (docs/, assets, its config); "
                             "default: the pages, citation files and figures only")
    render.add_argument("--config", default=None, metavar="FILE",
                        help="the site's mkdocs.yml, for its settings and grandrounds options "
                             "(default with --engine: ./mkdocs.yml if there is one)")
    render.add_argument("--watch", action="store_true",
                        help="keep running: re-render when a record, reference file, figure, template or the "
                             "config changes, rewriting only files whose content changed (Ctrl-C stops)")
    render.add_argument("--style", default=None,
                        help=f"citation style ({', '.join(cite.STYLES)}; default: the config's, else nature)")
    render.add_argument("--title", default=None, help="the home page's title (default: the config's site_name, "
                                                      "else 'Case library')")
    render.add_argument("--disclaimer", default=None, help="text shown at the foot of each case")
    render.add_argument("--drafts", action="store_true", help="include records with status: draft")
    render.add_argument("--no-directory-urls", action="store_true",
                        help="links in listings as page.html instead of page/ (match the target generator)")
    render.add_argument("--site-url", default=None, metavar="URL",
                        help="the site's published address, for the URL in 'Cite this summary'")
    render.set_defaults(func=cmd_render)

    cite_cmd = sub.add_parser("cite", parents=[site], help="print a case's citation for a reference manager")
    cite_cmd.add_argument("case", metavar="CASE", help="a case id, or the path of its record")
    cite_cmd.add_argument("--format", default="text", choices=("text", *refio.EXPORTS),
                          help="text (formatted), ris, bibtex or csl-json (default: text)")
    cite_cmd.add_argument("--style", default=None,
                          help=f"citation style for text ({', '.join(cite.STYLES)}; default: the case's, else nature)")
    cite_cmd.add_argument("--original", action="store_true",
                          help="cite the published original (`source:`) instead of the summary")
    cite_cmd.add_argument("--site-name", default=None,
                          help="the site named in the summary's citation (default: mkdocs.yml's site_name)")
    cite_cmd.add_argument("--site-url", default=None, metavar="URL",
                          help="the site's address, for the summary's URL (default: mkdocs.yml's site_url)")
    cite_cmd.set_defaults(func=cmd_cite)

    schema = sub.add_parser("schema", parents=[site], help="print the case record's JSON Schema")
    schema.add_argument("--out", metavar="FILE", help="write it to FILE instead of printing")
    schema.set_defaults(func=cmd_schema)

    new = sub.add_parser("new", help="create a ready site: mkdocs.yml, an example case, the Pages workflow")
    new.add_argument("dir", metavar="DIR", help="the folder to create (or an empty one)")
    new.add_argument("--name", help="the site's name (default: from DIR)")
    new.add_argument("--templates", dest="templates_copy", action="store_true",
                     help="also copy the default templates into DIR/templates to customise")
    new.add_argument("--force", action="store_true", help="replace files that already exist")
    new.set_defaults(func=cmd_new)

    add = sub.add_parser("add", parents=[site], help="start a new case record (a draft) from a commented skeleton")
    add.add_argument("title", help="the case title; the file name is made from it")
    add.add_argument("--id", help="the case id (file name and URL slug) instead of one made from the title")
    add.add_argument("--force", action="store_true", help="replace the record if it exists")
    add.set_defaults(func=cmd_add)

    imp = sub.add_parser("import", parents=[site],
                         help="a draft record from a published article: JATS (.xml) or MEDLINE (.nbib)")
    imp.add_argument("article", metavar="ARTICLE", help="the article's JATS XML, or a MEDLINE .nbib file")
    imp.add_argument("--id", help="the case id (file name and URL slug) instead of one made from the article")
    imp.add_argument("--force", action="store_true", help="replace the record (and its figure files) if it exists")
    imp.set_defaults(func=cmd_import)

    index = sub.add_parser("index", help="index a built site for search with Pagefind (SITE/pagefind/)")
    search.add_index_arguments(index)
    index.set_defaults(func=search.cmd_index)

    handout = sub.add_parser("handout", parents=[site], help="write PDF handouts (one per case, or a booklet)")
    handout.add_argument("case", nargs="*", metavar="CASE",
                         help="case ids or record files (default: every published case)")
    handout.add_argument("--out", default="handouts", metavar="DIR", help="output folder (default: handouts)")
    handout.add_argument("--paper", choices=("a4", "letter"), default="a4", help="paper size (default: a4)")
    handout.add_argument("--quiz", action="store_true",
                         help="hold diagnosis, management and outcome back for a final answer page "
                              "(records with teaching.hide always get their answer page)")
    handout.add_argument("--booklet", action="store_true", help="one PDF of all cases with a contents page")
    handout.add_argument("--specialty", metavar="NAME", help="with --booklet: only this specialty's cases")
    handout.add_argument("--title", default="Case library", help="the library's name in the running header")
    handout.add_argument("--site-url", metavar="URL", help="the site's URL, for each case's link in the footer")
    handout.add_argument("--style", default="nature", help=f"citation style ({', '.join(cite.STYLES)})")
    handout.add_argument("--jobs", type=int, metavar="N", help="worker processes (default: one per core)")
    handout.add_argument("--cache-dir", metavar="DIR",
                         help="where built handouts are kept (default: .cache/grandrounds/handouts beside cases/)")
    handout.set_defaults(func=cmd_handout)
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
