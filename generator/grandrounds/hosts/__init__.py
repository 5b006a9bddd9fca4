"""The hosts: what turns the site stages' pages into a published site.

`plugin` is the MkDocs (and ProperDocs) adapter; `grandrounds render --out` (in `cli`) writes
the same pages for any other Markdown site generator.
"""
