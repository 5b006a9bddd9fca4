"""The MkDocs plugin's options (`plugins: - grandrounds: ...` in mkdocs.yml), typed.

Paths are MkDocs `Dir` options, resolved against the folder of mkdocs.yml. What each option
does is in the README's "Plugin options" table; `site_options` turns them, with MkDocs'
own settings, into the site engine's `RenderOptions`.
"""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c
from mkdocs.config.defaults import MkDocsConfig

from .. import cite
from ..record.model import SECTIONS
from ..site.render import RenderOptions


class PluginConfig(base.Config):
    # Where records, templates and sessions are (relative to mkdocs.yml); cases default to docs_dir
    cases_dir = c.Optional(c.Dir(exists=False))
    templates_dir = c.Dir(exists=False, default="templates")
    sessions_dir = c.Dir(exists=False, default="sessions")  # teaching sessions, sessions/*.yaml

    # What pages say
    style = c.Choice(cite.STYLES, default="nature")
    pubmed_ids = c.Type(bool, default=False)  # vancouver: PMID and PMCID after each reference
    intro = c.Type(str, default="Structured summaries of clinical cases for teaching.")
    disclaimer = c.Optional(c.Type(str))

    # Teaching mode: sections hidden behind a prompt in records without `teaching.hide`
    teaching_hide = c.ListOfItems(c.Choice(SECTIONS), default=[])

    # `grandrounds check` in the build (privacy, CARE, references, teaching)
    check = c.Type(bool, default=True)
    check_warnings = c.Choice(("warning", "info"), default="warning")  # warning: --strict fails on them
    privacy = c.Choice(("warning", "error"), default="warning")  # error: privacy findings fail the build
    care_table = c.Type(bool, default=False)  # the CARE checklist table on case-report pages

    search = c.Choice(("pagefind", "material"), default="pagefind")  # in `build`; serve uses Material's

    # PDF handouts (`mkdocs build` only; serve leaves them out to stay fast)
    handouts = c.Type(bool, default=False)  # handouts/<id>.pdf and a "Download PDF handout" link
    handout_paper = c.Choice(("a4", "letter"), default="a4")


def site_options(plugin: PluginConfig, config: MkDocsConfig, *, serve: bool) -> RenderOptions:
    """The engine's options: a preview (drafts shown, broken records kept) in `serve`."""
    return RenderOptions(style=plugin.style, site_title=config.site_name, intro=plugin.intro,
                         disclaimer=plugin.disclaimer, include_drafts=serve, preview=serve,
                         directory_urls=config.use_directory_urls, site_url=config.site_url or None,
                         teaching_hide=tuple(plugin.teaching_hide), care_table=plugin.care_table,
                         pubmed_ids=plugin.pubmed_ids, handouts=plugin.handouts and not serve,
                         language=str(config.theme.locale or "en"))
