"""What the MkDocs plugin does for the theme and its search, apart from our own pages.

Owns the theme wiring (`add_theme_files`: our stylesheets, scripts and the `overrides/`
folder whose main.html puts the head metadata in; `disable_material_search`: published
builds search with Pagefind, `site.search`), and two workarounds for `mkdocs serve
--dirty`, both host-side and knowing nothing of cases:
- `SearchIndex`: Material's search plugin indexes only the pages a dirty rebuild renders, so
  its index would keep only those; this remembers each page's entries from its last build
  and hands it the whole index before it writes it, as a cold build writes it, serializing
  only the pages rebuilt.
- `ThemeEnv`: each serve rebuild makes a new theme environment, recompiling every theme
  template (~0.4 s); this reuses the last one while the theme's folders, language and
  override files are unchanged (`theme_key`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig

from ..site.render import PACKAGE_TEMPLATES

OVERRIDES = PACKAGE_TEMPLATES / "overrides"  # Material theme overrides: main.html (head metadata)


def add_theme_files(config: MkDocsConfig, stylesheets: list[str], scripts: list[str]) -> None:
    """Our stylesheets before the site's own (which may override them), our scripts, and
    `overrides/` after the site's custom_dir (whose own main.html wins), before Material's."""
    config.extra_css[:0] = [s for s in stylesheets if s not in config.extra_css]
    config.extra_javascript.extend(s for s in scripts if s not in map(str, config.extra_javascript))
    if OVERRIDES.is_dir() and str(OVERRIDES) not in config.theme.dirs:
        config.theme.dirs.insert(1 if config.theme.custom_dir else 0, str(OVERRIDES))


def disable_material_search(config: MkDocsConfig) -> None:
    """Turn Material's search plugin off for this build: it then writes no index, indexes no
    page and its header box is not rendered (Material checks `enabled`); `assets/search.js`
    puts the Pagefind box in its place."""
    plugin = _search_plugin(config)
    if plugin is not None and hasattr(getattr(plugin, "config", None), "enabled"):
        plugin.config.enabled = False


def _search_plugin(config: MkDocsConfig) -> Any:
    return config.plugins.get("material/search") or config.plugins.get("search")


class SearchIndex:
    """Material's search index kept whole across dirty rebuilds, and written from each page's
    JSON as its last build made it."""

    def __init__(self) -> None:
        self._entries: dict[str, list[dict[str, Any]]] = {}  # page src_uri -> its entries, last build of it
        self._json: dict[str, tuple[list[dict[str, Any]], str]] = {}  # src_uri -> (those entries, as JSON)
        self._mark = 0

    def start_build(self) -> None:
        self._mark = 0

    def page_done(self, config: MkDocsConfig, src_uri: str) -> None:
        """After the search plugin indexed a page: remember the entries it added."""
        index = getattr(_search_plugin(config), "search_index", None)
        if index is not None and hasattr(index, "entries"):
            self._entries[src_uri] = index.entries[self._mark:]
            self._mark = len(index.entries)

    def complete(self, config: MkDocsConfig, pages: list[str], *, serve: bool) -> None:
        """Before the search plugin writes its index: give it the whole index, every page of
        this build (`pages`, src_uris in build order); a page not rebuilt keeps the entries
        of its last build, a page gone is forgotten. The plugin then writes it once (reading
        its file back and writing it again cost 0.1-0.2 s a rebuild at 1,000 cases), from
        each page's JSON, made again only for the pages rebuilt (`_whole_index`; `serve`
        only: a build is written once)."""
        plugin = _search_plugin(config)
        index = getattr(plugin, "search_index", None)
        if not hasattr(index, "entries"):
            return
        for uri in set(self._entries) - set(pages):
            del self._entries[uri]
            self._json.pop(uri, None)
        index.entries = [e for uri in pages for e in self._entries.get(uri, ())]
        if hasattr(plugin, "search_index_prev"):
            plugin.search_index_prev = None  # ours is the whole index; stop Material's merge
        if serve and callable(getattr(index, "generate_search_index", None)):
            generate = index.generate_search_index
            index.generate_search_index = lambda prev: self._whole_index(generate, index, pages)

    def _whole_index(self, generate: Any, index: Any, pages: list[str]) -> str:
        """What Material's `generate_search_index` returns (its own JSON of its settings,
        then the entries), with each page's entries serialized once per build of the page:
        `json.dumps` of the whole index took ~0.1 s a rebuild at 1,000 cases (9 MB)."""
        entries, index.entries = index.entries, []
        try:
            empty = generate(None)
        finally:
            index.entries = entries
        if not empty.endswith('"docs":[]}'):  # not the layout this knows: Material's own, whole
            return generate(None)
        parts = []
        for uri in pages:
            page_entries = self._entries.get(uri)
            if not page_entries:
                continue
            cached = self._json.get(uri)
            if cached is None or cached[0] is not page_entries:
                cached = self._json[uri] = (page_entries, ",".join(
                    json.dumps(e, separators=(",", ":"), default=str) for e in page_entries))
            parts.append(cached[1])
        return f"{empty[:-2]}{','.join(parts)}]}}"


def theme_key(config: MkDocsConfig) -> tuple[Any, ...]:
    """What the theme's Jinja environment depends on: its folders, its language, and the
    files of folders that are not an installed package (custom_dir overrides)."""
    import material
    import mkdocs

    packaged = (Path(material.__file__).parent, Path(mkdocs.__file__).parent)
    stamps = []
    for folder in map(Path, config.theme.dirs):
        if not any(folder == p or p in folder.parents for p in packaged):
            stamps += [(str(f), f.stat().st_mtime_ns) for f in folder.rglob("*") if f.is_file()]
    return (tuple(config.theme.dirs), str(config.theme.locale), tuple(sorted(stamps)))


class ThemeEnv:
    """The theme's Jinja environment, reused across serve rebuilds while `theme_key` holds."""

    def __init__(self) -> None:
        self._last: tuple[Any, Any] | None = None

    def reuse(self, config: MkDocsConfig, env: Any) -> Any:
        key = theme_key(config)
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        self._last = (key, env)
        return env
