"""`grandrounds render --out DIR [--engine mkdocs|properdocs|zensical]`: the site engine's
outputs as files, for a site generator that runs no grandrounds code.

Owns what such a folder holds and the engine's config in it:

- without an engine: the pages (slots filled: listing tables and related lists inline),
  the citation downloads and the figures, for any Markdown site generator;
- with an engine: a project that engine builds as it is, `docs/` (pages, downloads, the
  Atom feed, the assets: stylesheets, script, fonts; the figures), `overrides/main.html`
  (the page head's Highwire, Open Graph and JSON-LD metadata, read from `page.meta`,
  plus the site's own `custom_dir` files) and the engine's config (`mkdocs.yml`,
  `properdocs.yml` or `zensical.toml`): the site's own settings carried over from the
  source `mkdocs.yml` (never its `grandrounds` plugin), every page but those the engine
  marks `Output.nav` out of the navigation (`not_in_nav`), the stylesheets and scripts listed.

Everything is written through `outdir.write_output` (the manifest, atomic writes, the
refusals; a file whose content is unchanged is not touched, so a watching engine rebuilds
only what changed). The engine's own output inside the project (`site/`, Zensical's
`.cache/`) is the engine's: never looked at or removed (`ENGINE_OUTPUT`).

It does not decide what the site holds (`site.engine`), does not build HTML and does not
run an engine; the command line and its messages are `cli`'s.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml
from markupsafe import Markup

from .. import outdir
from ..errors import display_path
from ..site.engine import Output, SiteBuild, scripts, stylesheets
from ..site.render import PACKAGE_TEMPLATES, RenderOptions, meta_value

ENGINES = ("mkdocs", "properdocs", "zensical")
CONFIG_FILE = {"mkdocs": "mkdocs.yml", "properdocs": "properdocs.yml", "zensical": "zensical.toml"}
DOCS_DIR = "docs"
OVERRIDES_DIR = "overrides"
BUILD_COMMAND = {"mkdocs": "mkdocs build", "properdocs": "properdocs build", "zensical": "zensical build"}
SERVE_COMMAND = {"mkdocs": "mkdocs serve --dirty", "properdocs": "properdocs serve --dirty", "zensical": "zensical serve"}
ENGINE_OUTPUT = ("site", ".cache")  # written into the project by the engine, not by us
REQUIRED_EXTENSIONS = ("attr_list", "md_in_html", "tables", "toc")  # what the pages use
HEAD_KEY = "grandrounds_head"  # page.meta key of a case page's <head> metadata
OVERRIDE_TEMPLATE = "engines/overrides/main.html"
# Material's search partial with a named dialog (WCAG 4.1.2), the one the plugin's builds use;
# MkDocs and ProperDocs run Material's theme, Zensical has its own partial (named already).
SEARCH_PARTIAL = "overrides/partials/search.html"

# The settings of the source mkdocs.yml that describe the site (not MkDocs' build), carried
# over as they are. docs_dir, site_dir, nav, plugins, hooks, extra_css/js, custom_dir,
# not_in_nav and use_directory_urls are the export's own.
CARRIED = ("site_name", "site_description", "site_author", "site_url", "copyright", "repo_url",
           "repo_name", "extra", "validation")
PAGE_KINDS = ("case", "draft", "error", "listing")


class ConfigProblem(Exception):
    """The source mkdocs.yml cannot be read: `file:line:col: what; how to fix`."""


@dataclass(frozen=True)
class Tag:
    """A YAML tag of the source config (`!!python/name:...`, `!ENV`) kept as written."""

    tag: str
    value: Any


@dataclass
class Source:
    """The source site's settings: its mkdocs.yml as data, tags kept (`Tag`)."""

    path: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def sessions_dir(self) -> Path:
        """The teaching sessions' folder: the plugin's `sessions_dir` (default `sessions`),
        beside the config (or in the working folder without one)."""
        folder = self.plugin.get("sessions_dir")
        return (self.path.parent if self.path else Path(".")) / (folder if isinstance(folder, str) else "sessions")

    @property
    def plugin(self) -> dict[str, Any]:
        """The options of its `grandrounds` plugin entry ({} when it has none)."""
        for entry in self.settings.get("plugins") or []:
            if isinstance(entry, dict) and "grandrounds" in entry:
                return dict(entry["grandrounds"] or {})
        return {}


# --------------------------------------------------------------------------- the source config


class _Loader(yaml.SafeLoader):
    """Safe YAML that keeps any tag it does not know as a `Tag` (MkDocs' `!!python/name:`
    and `!ENV`), so the config can be written back without running anything."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Tag:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return Tag(node.tag, value)


_Loader.add_multi_constructor("!", _tagged)
_Loader.add_multi_constructor("tag:yaml.org,2002:python/", _tagged)


def read_source(path: Path | None) -> Source:
    """The site's mkdocs.yml (None: no source, every setting from the flags)."""
    if path is None:
        return Source()
    try:
        text = path.read_text(encoding="utf-8")
        data = yaml.load(text, Loader=_Loader)
    except OSError as exc:
        raise ConfigProblem(f"{display_path(path)}:1:1: cannot read the site's config "
                            f"({exc.strerror or exc}); give an existing mkdocs.yml with --config") from None
    except UnicodeDecodeError:
        raise ConfigProblem(f"{display_path(path)}:1:1: is not UTF-8 text; save it as UTF-8") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{mark.line + 1}:{mark.column + 1}" if mark else "1:1"
        what = getattr(exc, "problem", None) or "is not valid YAML"
        raise ConfigProblem(f"{display_path(path)}:{where}: {what}; fix the YAML "
                            "(`mkdocs build` reports the same place)") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigProblem(f"{display_path(path)}:1:1: is not a mapping of settings; "
                            "write it as `site_name: ...` lines")
    return Source(path, data)


def render_options(source: Source, flags: Mapping[str, Any], **fixed: Any) -> RenderOptions:
    """The engine's options: each flag given on the command line (not None), else the
    source's setting (its `grandrounds` plugin options, site_name, site_url,
    use_directory_urls, theme.language), else `RenderOptions`' default."""
    plugin, settings = source.plugin, source.settings
    theme = settings.get("theme") if isinstance(settings.get("theme"), dict) else {}
    found: dict[str, Any] = {
        "style": plugin.get("style"), "intro": plugin.get("intro"), "disclaimer": plugin.get("disclaimer"),
        "teaching_hide": tuple(plugin["teaching_hide"]) if isinstance(plugin.get("teaching_hide"), list) else None,
        "care_table": plugin.get("care_table"), "pubmed_ids": plugin.get("pubmed_ids"),
        "site_title": settings.get("site_name"), "site_url": settings.get("site_url") or None,
        "directory_urls": settings.get("use_directory_urls"), "language": theme.get("language"),
    }
    found.update({k: v for k, v in flags.items() if v is not None})
    found.update(fixed)
    return RenderOptions(**{k: v for k, v in found.items() if v is not None and not isinstance(v, Tag)})


# --------------------------------------------------------------------------- what is written


def site_files(build: SiteBuild) -> dict[str, outdir.Content]:
    """Without an engine: the pages as a reader gets them, the citation downloads and
    the figures (what any Markdown site generator needs)."""
    files: dict[str, outdir.Content] = {}
    for out in build.outputs.values():
        if out.kind in PAGE_KINDS:
            files[out.path] = out.filled() or ""
        elif out.kind in ("download", "figure"):
            files[out.path] = _content(out)
    return files


def project_files(build: SiteBuild, engine: str, source: Source, options: RenderOptions,
                  templates_dir: Path | None) -> dict[str, outdir.Content]:
    """With an engine: every output under `docs/`, the head override and the config."""
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}")
    files: dict[str, outdir.Content] = {}
    for out in build.outputs.values():
        files[f"{DOCS_DIR}/{out.path}"] = page_text(out) if out.kind in PAGE_KINDS else _content(out)
    files.update(override_files(source, templates_dir, engine))
    config = engine_config(engine, source, build, options, templates_dir)
    files[CONFIG_FILE[engine]] = toml_text(config) if engine == "zensical" else yaml_text(config)
    return files


def _content(out: Output) -> outdir.Content:
    return out.text if out.text is not None else out.source  # type: ignore[return-value]


def page_text(out: Output) -> str:
    """The page as its engine reads it: slots filled, and a case page's head metadata in
    its front matter (`grandrounds_head`, read by `overrides/main.html`). The value is
    HTML that `site.metadata` made safe; `meta_value` writes it as JSON with `<`, `>` and
    `&` as \\u escapes and, being `Markup`, does not escape it again."""
    text = out.filled() or ""
    if out.head and text.startswith("---\n"):
        end = text.find("\n---\n", 3)
        if end >= 0:
            text = f"{text[:end]}\n{_head_line(out.head)}{text[end:]}"
    return text


@lru_cache(maxsize=4096)
def _head_line(head: str) -> str:
    """The front-matter line of a head (remembered: `--watch` writes every page a round,
    and a head changes only with its record)."""
    return f"{HEAD_KEY}: {meta_value(Markup(head))}"


def override_files(source: Source, templates_dir: Path | None, engine: str = "mkdocs") -> dict[str, outdir.Content]:
    """`overrides/`: the site's own `theme.custom_dir` files, and ours unless the site has
    its own of the same name: `main.html` (the head metadata; a site's own must print
    `page.meta.grandrounds_head` in its `extrahead` block) and, for Material's theme
    (MkDocs, ProperDocs), the search partial with a named dialog."""
    files: dict[str, outdir.Content] = {}
    custom = _custom_dir(source)
    if custom is not None:
        for path in sorted(custom.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files[f"{OVERRIDES_DIR}/{path.relative_to(custom).as_posix()}"] = path
    wanted = [(OVERRIDE_TEMPLATE, "main.html")]
    if engine != "zensical":
        wanted.append((SEARCH_PARTIAL, "partials/search.html"))
    for template, name in wanted:  # the site's templates folder first, then the package's
        ours = next((root / template for root in (templates_dir, PACKAGE_TEMPLATES)
                     if root is not None and (root / template).is_file()), None)
        if ours is not None:
            files.setdefault(f"{OVERRIDES_DIR}/{name}", ours)
    return files


def _custom_dir(source: Source) -> Path | None:
    theme = source.settings.get("theme")
    custom = theme.get("custom_dir") if isinstance(theme, dict) else None
    if not isinstance(custom, str) or source.path is None:
        return None
    folder = (source.path.parent / custom)
    return folder if folder.is_dir() else None


# --------------------------------------------------------------------------- the config


def engine_config(engine: str, source: Source, build: SiteBuild, options: RenderOptions,
                  templates_dir: Path | None) -> dict[str, Any]:
    """The engine's settings as data: the site's own carried over, the rest ours."""
    settings = source.settings
    config: dict[str, Any] = {key: settings[key] for key in CARRIED if settings.get(key) is not None}
    config["site_name"] = options.site_title  # --title, else the source's site_name
    if options.site_url:
        config["site_url"] = options.site_url
    config["docs_dir"] = DOCS_DIR
    config["use_directory_urls"] = options.directory_urls
    if config.get("repo_url"):
        config["edit_uri"] = ""  # its pages are generated: "edit" would open a missing .md, not the record
    config["theme"] = _theme(settings.get("theme"))
    config["extra_css"] = _merged(stylesheets(templates_dir), settings.get("extra_css"))
    config["extra_javascript"] = _merged(scripts(templates_dir), settings.get("extra_javascript"))
    config["markdown_extensions"] = _extensions(settings.get("markdown_extensions"), engine)
    plugins = _plugins(settings.get("plugins"), engine)
    if plugins is not None:
        config["plugins"] = plugins
    hidden = sorted(o.path for o in build.outputs.values() if o.is_page and not o.nav)  # as the plugin does
    if hidden:
        config["not_in_nav"] = "".join(f"/{path}\n" for path in hidden)
    return config


def _theme(theme: Any) -> dict[str, Any]:
    """The source's theme settings (Material by default), with our overrides folder as
    its `custom_dir` (the site's own custom_dir files are copied into it)."""
    theme = dict(theme) if isinstance(theme, dict) else {"name": theme or "material"}
    theme.setdefault("name", "material")
    theme["custom_dir"] = OVERRIDES_DIR
    return theme


def _merged(ours: list[str], theirs: Any) -> list[Any]:
    """Our assets first, then the site's own entries that are not ours."""
    theirs = theirs if isinstance(theirs, list) else []
    return [*ours, *(entry for entry in theirs if entry not in ours)]


def _extensions(value: Any, engine: str) -> Any:
    """The site's Markdown extensions plus those the pages need. MkDocs' list form
    (names, or one-key mappings of name -> options) for MkDocs and ProperDocs; Zensical
    reads a mapping of name -> options."""
    entries = value if isinstance(value, list) else []
    names = [next(iter(e)) if isinstance(e, dict) else e for e in entries]
    missing = [name for name in REQUIRED_EXTENSIONS if name not in names]
    if engine != "zensical":
        return [*entries, *missing]
    mapping: dict[str, Any] = {}
    for entry in entries:
        name, options = (next(iter(entry.items())) if isinstance(entry, dict) else (entry, None))
        mapping[str(name)] = options if isinstance(options, dict) else {}
    mapping.update({name: {} for name in missing})
    return mapping


def _plugins(value: Any, engine: str) -> list[Any] | None:
    """MkDocs and ProperDocs: the site's plugins but ours (the pages are made already).
    Zensical runs no MkDocs plugins (its search is built in): none."""
    if engine == "zensical":
        return None
    entries = value if isinstance(value, list) else ["search"]
    return [e for e in entries if (next(iter(e)) if isinstance(e, dict) else e) != "grandrounds"]


# --------------------------------------------------------------------------- writing configs


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(str, lambda dumper, text: dumper.represent_scalar(
    "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None))  # not_in_nav one path a line
_Dumper.add_representer(Tag, lambda dumper, tag: (
    dumper.represent_scalar(tag.tag, tag.value) if not isinstance(tag.value, (list, dict))
    else dumper.represent_sequence(tag.tag, tag.value) if isinstance(tag.value, list)
    else dumper.represent_mapping(tag.tag, tag.value)))


def yaml_text(config: Mapping[str, Any]) -> str:
    """mkdocs.yml / properdocs.yml: the settings in YAML (tags of the source kept)."""
    head = "# Written by `grandrounds render --engine`; edit the source mkdocs.yml instead.\n"
    return head + yaml.dump(dict(config), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                            default_flow_style=False, width=1000)


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_text(config: Mapping[str, Any]) -> str:
    """zensical.toml: the settings under `[project]`. Scalars and lists of scalars as
    `key = value`; mappings as tables; lists of mappings as arrays of tables; anything
    deeper inline. Strings are JSON strings (valid TOML basic strings); None is left out;
    a source tag (`!!python/name:x`) becomes its name, as Zensical resolves names."""
    lines = ["# Written by `grandrounds render --engine zensical`; edit the source mkdocs.yml instead."]
    _toml_table(lines, ["project"], config)
    return "\n".join(lines) + "\n"


def _toml_table(lines: list[str], path: list[str], table: Mapping[str, Any], array: bool = False) -> None:
    header = ".".join(_toml_key(p) for p in path)
    lines.append(f"\n[[{header}]]" if array else f"\n[{header}]")
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        value = _toml_plain(value)
        if value is None:
            continue
        if (isinstance(value, dict) and not _toml_inline(value)) or \
                (isinstance(value, list) and value and all(isinstance(v, dict) for v in value)):
            nested.append((key, value))
        else:
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in nested:
        if isinstance(value, dict):
            _toml_table(lines, [*path, str(key)], value)
        else:
            for item in value:
                _toml_table(lines, [*path, str(key)], item, array=True)


def _toml_plain(value: Any) -> Any:
    if isinstance(value, Tag):
        if isinstance(value.value, str) and value.tag.startswith("tag:yaml.org,2002:python/"):
            return value.tag.rsplit(":", 1)[-1] or value.value
        return None  # !ENV and other tags: Zensical has no equivalent in TOML
    return value


def _toml_inline(table: Mapping[str, Any]) -> bool:
    """Whether a mapping reads better inline (`toc = { permalink = true }`, `tables = {}`):
    nothing nested in it, and short."""
    flat = all(not isinstance(_toml_plain(v), (dict, list)) for v in table.values())
    return flat and len(_toml_value(dict(table))) <= 80


def _toml_key(key: Any) -> str:
    key = str(key)
    return key if _BARE_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _toml_value(value: Any) -> str:
    value = _toml_plain(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        if "\n" in value and not re.search(r'[\x00-\x09\x0b-\x1f\x7f\\]|"""|"$', value):
            return f'"""\n{value}"""'  # a multi-line basic string: not_in_nav, one path a line
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value if _toml_plain(v) is not None) + "]"
    if isinstance(value, dict):
        items = [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items() if _toml_plain(v) is not None]
        return "{ " + ", ".join(items) + " }" if items else "{}"
    return json.dumps(str(value), ensure_ascii=False)


# --------------------------------------------------------------------------- writing


def write(out: Path, build: SiteBuild, engine: str | None, source: Source, options: RenderOptions,
          cases_dir: Path, templates_dir: Path | None, cache: "outdir.HashCache | None" = None) -> outdir.Report:
    """Write the folder (`OutputRefused` before any write, `OSError` from the system).
    `cache`: the file hashes of earlier rounds (`--watch`), so unchanged files are not read."""
    files = site_files(build) if engine is None else project_files(build, engine, source, options, templates_dir)
    extra: dict[str, Any] = {"keep": ENGINE_OUTPUT} if engine is not None else {}  # the engine's site/, .cache/
    if cache is not None:
        extra["cache"] = cache
    return outdir.write_output(out, files, "render", cases_dir, prune=True, **extra)


def write_project(out: Path, build: SiteBuild, engine: str, source_config: Path | None,
                  options: RenderOptions, cases_dir: Path, templates_dir: Path | None) -> outdir.Report:
    """A project `engine` builds as it is (the interface of the lead's brief)."""
    return write(out, build, engine, read_source(source_config), options, cases_dir, templates_dir)
