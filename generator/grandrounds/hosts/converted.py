"""Serve: a page whose Markdown is the same as when MkDocs last converted it is not converted
again (`ConvertedPages`).

Why: a case's page is marked changed when its slot changed (its related-case list or its
session links, filled into the finished HTML by `Output.fill`) and a bibliography page when
a citing case was retitled; their Markdown is the same. Under `serve --dirty` MkDocs
converted them all again: a title edit at 1,000 cases re-converted 12 case pages and 16
bibliography pages, 0.1-0.2 s of a 1.2 s rebuild. This keeps, per page, what
`Page.render` set last (HTML, table of contents, title, anchors) with what it depended on:
a digest of the Markdown, the site's files and the Markdown configuration. Anything else
and the page is converted as MkDocs does. The HTML is kept compressed: 6.9 KB a case page
instead of 17.9 KB, 6.8 MB for the 1,490 pages of 1,000 cases (about 70 MB at 10,000).

It knows MkDocs' `Page.render` (1.6, and ProperDocs') and nothing of cases. It is not the
site engine's memo: that one forgets what a build did not ask for, and under `--dirty`
MkDocs asks only for the pages that changed.
"""

from __future__ import annotations

import hashlib
import zlib
from typing import Any, Iterable

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

_RENDERED = ("toc", "_title_from_render", "present_anchor_ids", "links_to_anchors")


class ConvertedPages:
    """Each page's last conversion, reused while its inputs are the same."""

    def __init__(self) -> None:
        self._pages: dict[str, tuple[tuple[Any, ...], dict[str, Any], bytes]] = {}  # uri -> key, state, HTML
        self._context: tuple[Any, ...] = ()
        self.reused = 0  # how many conversions the current build skipped (tests read it)

    def start_build(self, config: MkDocsConfig, files: Files, linkable: Iterable[str]) -> None:
        """What every page's conversion depends on beside its Markdown: the files its links
        may resolve against (`linkable`, their `src_uri`s), and the Markdown extensions
        with their settings."""
        names = hashlib.blake2b("\n".join(sorted(linkable)).encode(), digest_size=16).digest()
        self._context = (names, repr(config.markdown_extensions), repr(config.mdx_configs),
                         config.use_directory_urls, repr(config.validation))
        self.reused = 0
        uris = {f.src_uri for f in files}
        for gone in set(self._pages) - uris:
            del self._pages[gone]

    def attach(self, page: Page) -> None:
        """Route this page's `render` through the memo (an attribute of this page only)."""
        page.render = lambda config, files, page=page: self._render(page, config, files)  # type: ignore[method-assign]

    def _render(self, page: Page, config: MkDocsConfig, files: Files) -> None:
        uri = page.file.src_uri
        key = (hashlib.blake2b((page.markdown or "").encode(), digest_size=16).digest(), self._context)
        last = self._pages.get(uri)
        if last is not None and last[0] == key:
            for name, value in last[1].items():
                setattr(page, name, value)
            page.content = zlib.decompress(last[2]).decode()
            if page.links_to_anchors:  # keyed by File: this build's, not the last one's
                page.links_to_anchors = {files.get_file_from_path(f.src_uri) or f: links
                                         for f, links in page.links_to_anchors.items()}
            self.reused += 1
            return
        type(page).render(page, config, files)  # the host's own (MkDocs' or ProperDocs')
        kept = {name: getattr(page, name, None) for name in _RENDERED}
        self._pages[uri] = (key, kept, zlib.compress((page.content or "").encode(), 1))
