"""The size limits on untrusted input, in one place.

Owns the numbers only: every stage that enforces a limit imports it from here, the README
states each one, and `benchmarks/bench_limits.py` measures that a record at these limits
still checks, builds and makes its handout within the time and memory budget (under 5 s
and 1 GB). It does not enforce anything itself.

A limit is refused with `file:line:col: what; how to fix`, never cut silently.
"""

from __future__ import annotations

# A record file and a reference file (`.json`, `.bib`, `.ris`) beside it.
MAX_RECORD_BYTES = 2 * 1024 * 1024
MAX_REFERENCE_FILE_BYTES = 2 * 1024 * 1024

# Characters of LaTeX markup in one BibTeX file that go through pylatexenc (refio.py). It costs
# about 35 µs a character (a 1.9 MB title took 92 s); text without LaTeX skips it. 40,000 is
# ~1.4 s at worst, and a Zotero/Better BibTeX export writes accents as UTF-8, so a real file
# of a few hundred references stays far below.
MAX_LATEX_CHARS = 40_000

# YAML nodes after alias expansion (an alias bomb is refused, not expanded).
MAX_YAML_NODES = 200_000

# How deeply mappings and lists may nest, in a record or a CSL-JSON reference file. A valid
# record needs about 6 (references > author > name parts); deeper input is refused before
# anything recurses over it.
MAX_DEPTH = 20

# Inline Markdown (emphasis, strikethrough, super/subscript) nested deeper than this prints its
# markers as text (markup.py). markdown-it already stops block nesting (quotes, lists) at 20;
# unbounded emphasis nesting made Material's search indexer quadratic (96 s for 100,000 `*`).
MAX_MARKDOWN_NESTING = 20

# Characters in one text value (a whole Markdown field included). The longest field of the
# ten real case reports in the shared corpus is about 12,000 characters.
MAX_TEXT_CHARS = 100_000

# Characters of Markdown in one record, all its Markdown fields together (library.py). markdown-
# it-py spends up to ~25 µs a character on adversarial Markdown and a build renders each field
# more than once (page, handout, search index): one 100,000-character field builds in ~2-3 s,
# nine of them took 35 s. The ten real case reports of the shared corpus hold under 20,000.
MAX_MARKDOWN_CHARS = 100_000

# Items in one list of a record (references, figures, timeline rows, authors ...). The seed
# article cites 24 references; long reviews cite a few hundred.
MAX_LIST_ITEMS = 1_000

# Privacy findings `check` reports (each located in the record) for one field; past these it
# says how many more there are. Locating a finding re-reads its field, so 7,500 findings in a
# 100,000-character field took 32 s; a real field holds a handful.
MAX_FINDINGS_PER_FIELD = 25

# A figure: file size and decoded pixels (width x height of every frame). 40 megapixels is a
# large clinical photograph or a whole-slide thumbnail; a decompression bomb is far beyond.
MAX_FIGURE_BYTES = 25 * 1024 * 1024
MAX_FIGURE_PIXELS = 40_000_000
# Frames of an animated figure or pages of a TIFF: every frame is decoded when a figure is
# checked, so a file of thousands of tiny frames must not pass the pixel limit alone.
MAX_FIGURE_FRAMES = 1_000

# A handout estimated past this many pages (handout.estimated_pages, before any layout) is
# refused. WeasyPrint lays out about 0.4 s a page here (7 pages of references 2-4 s, 12 pages
# 6-12 s on a loaded 2-core machine), so 8 keeps one handout under the 5 s budget; a handout
# should fit on 2 pages (more is a warning).
MAX_HANDOUT_PAGES = 8

# Characters in a case id (the record's `id:` or its file name stem): it becomes a folder and
# file names such as `cite/<id>.summary.json`, which must stay under the 255-byte name limit
# of common file systems. The example ids are under 30 characters.
MAX_ID_CHARS = 100

# A JATS article given to `grandrounds import` (record/jats.py): its file size and how deeply its
# elements nest. PMC's largest case reports are a few hundred KB; MathML-heavy research articles
# reach a few MB. JATS nests about 10-30 levels (MathML included); the converter walks the tree
# recursively, so deeper input is refused while parsing.
MAX_ARTICLE_BYTES = 8 * 1024 * 1024
MAX_XML_DEPTH = 200
