"""The site stages: validated cases to the pages and files of a site.

`render` (case pages, listings, citation downloads through templates/), `markup` (Markdown
fields to safe HTML: the one escaping point for author Markdown), `metadata` (page head),
`feed`, `related`, `bibliography`, and `publish` (which files under the cases folder are
published). They know nothing of MkDocs; `hosts` adapts them.
"""
