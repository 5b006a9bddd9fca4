"""grandrounds: structured clinical case summaries (YAML) to a searchable MkDocs-Material site.

The pipeline, one module a stage, each usable without MkDocs:
load -> model -> cite -> render (-> check, handout); `library` runs it over a cases folder,
`plugin` adapts it to MkDocs, `cli` to the command line.
"""

__version__ = "0.1.0"
