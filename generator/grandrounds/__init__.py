"""grandrounds: structured clinical case summaries (YAML) to a searchable MkDocs-Material site.

The pipeline, one folder a stage, each usable without MkDocs:
record (load -> model; library over a cases folder) -> cite -> site (render ...) ->
checks, handout; `hosts.plugin` adapts it to MkDocs, `cli` to the command line. The shared
rules (errors, values, limits, fsio, outdir, parallel) sit at the top.
"""

__version__ = "0.1.0"
