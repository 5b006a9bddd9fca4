"""The hosts: what turns the site engine's outputs into a published site.

`plugin` is the MkDocs (and ProperDocs) adapter (`plugin_config` its options, `material` and
`livereload` its theme and serve workarounds); `export` writes the same outputs for other
generators (`grandrounds render --out`, and `--engine` for a MkDocs, ProperDocs or Zensical
project); `watch` is `render --watch`.
"""
