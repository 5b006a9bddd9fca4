"""The check stage: lints on validated cases and their files.

`check` (findings, locations, allow markers, output formats), `privacy` (de-identification
rules), `images` (figure files: the one figure check, EXIF/XMP) and `svg` (the SVG allow-list).
"""
