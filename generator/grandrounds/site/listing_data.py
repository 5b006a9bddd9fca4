"""The home page's filter data: listing rows -> small JSONP scripts under `index/cases/`.

Owns the encoding of what `assets/filters.js` needs to filter, sort and show every case
without the home page holding every row: which files there are, what each holds, and the
one escaping of their text (`_script`). It does not decide what a row says (that is
`render.listing_row`, the public view: teaching rules applied, hidden diagnosis empty), nor
the page around it (`templates/home.md.j2`), nor when files are rewritten (the engine keeps
every output's fingerprint; a file whose text is unchanged is not marked changed).

Why this shape (measured with `benchmarks/bench_home.py`; numbers in its docstring):

- Scripts, not JSON fetched: a `<script src>` loads from a folder opened via `file://`,
  where `fetch` is refused. Each file calls `grandroundsData(name, data)`.
- Every array is indexed by a case's *position*: its place in the home order (newest first,
  then by title) counted from the oldest. Counting from the oldest means a new case (the
  usual edit: the newest) takes the next position and leaves every other position, hence
  every display chunk and every word chunk it does not touch, byte for byte the same.
- `facets.js` (loaded with the page): per position, the code of each filter value
  (specialty, type, sex, age band, year; a list where a case has several), the values' names
  and links, the manifest of word chunks. A few bytes a case: 28 KB gzip at 10,000.
- `sort-<column>.js` (loaded on the first sort by that column): per position, the rank of
  the column's text in a fixed collation (accents and case folded, then the text itself), so
  the browser sorts every matching case by numbers and never needs the text of rows off
  screen. Equal texts share a rank (the home order breaks ties, as the table did).
- `rows-<k>.js`: the display rows of positions 50k .. 50k+49 (link, title, specialties,
  patient, diagnosis or null while hidden, year, draft), loaded for the rows on screen
  only. A sorted page of 50 rows touches at most 50 chunks; 50 rows a chunk keeps that
  under the byte budget and a new case rewrites one chunk.
- `words-<hex>.js`: an inverted index of the free-text filter (`Row.text`: title, public
  diagnosis, specialties, tags, keywords unless the diagnosis is hidden), split by the first
  two characters of each word (`<hex>`: their UTF-8 bytes), loaded for the words typed. A
  typed word matches the cases with a word that starts with it (not any substring, as the
  table's filter did: "cardio" finds "cardiology", "ology" finds nothing).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any, Callable, Iterable

DATA_DIR = "index/cases"  # beside the home page's later pages (index/2.md ...); "index" is a reserved case id
FACETS_FILE = f"{DATA_DIR}/facets.js"
CHUNK_ROWS = 50  # display rows a `rows-<k>.js` holds
PREFIX = 2  # characters of a word that name its word chunk
CALLBACK = "grandroundsData"
SORT_COLUMNS = ("title", "specialty", "patient", "diagnosis", "date")  # the table's columns, in order
FACETS = ("specialty", "type", "sex", "age", "year")
HIDDEN_DIAGNOSIS_TEXT = "on the case page"  # what the table shows (and sorts by) for a hidden diagnosis

_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Text as the free-text filter compares it: accents removed (NFKD without combining
    marks), lower case. `assets/filters.js` folds typed words the same way."""
    if text.isascii():  # most text: nothing to decompose
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").lower()


def words(text: str) -> list[str]:
    """The distinct words of `text`, folded: runs of letters and digits."""
    return list(dict.fromkeys(_WORD.findall(fold(text))))


def chunk_key(word: str) -> str:
    """The file-name part of a word's chunk: the hex UTF-8 bytes of its first `PREFIX`
    characters ('pn' -> '706e')."""
    return word[:PREFIX].encode("utf-8").hex()


def position_order(rows: list[Any]) -> list[Any]:
    """The rows by position: the home order (render.sort_rows) reversed, oldest first."""
    from .render import sort_rows

    return list(reversed(sort_rows(rows)))


def _script(name: str, data: Any) -> str:
    """The one escaping point of the data files: JSON, ASCII only, with `<`, `>` and `&`
    as \\u escapes (so no text can close the script or read as markup), inside one call."""
    text = json.dumps(data, ensure_ascii=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f"{CALLBACK}({json.dumps(name)},{text});\n"


def _codes(values: list[tuple[str, ...]]) -> tuple[list[str], list[Any]]:
    """Each row's values as codes into one sorted vocabulary: an int for one value, a list
    for several, null for none."""
    vocabulary = sorted({v for row in values for v in row})
    index = {v: i for i, v in enumerate(vocabulary)}
    coded = [None if not row else index[row[0]] if len(row) == 1 else [index[v] for v in row] for row in values]
    return vocabulary, coded


def collation(text: str) -> tuple[str, str]:
    """The sort key of a column's text: accents and case folded, then the text as written."""
    return fold(text).strip(), text


def ranks(texts: list[str]) -> list[int]:
    """The dense rank of each text under `collation` (equal texts, equal ranks)."""
    keys = [collation(t) for t in texts]
    rank = {key: i for i, key in enumerate(sorted(set(keys)))}
    return [rank[k] for k in keys]


def _column_texts(row: Any) -> dict[str, str]:
    """What each sortable column shows for a row (the sort key's source)."""
    return {"title": row.title, "specialty": ", ".join(s.name for s in row.specialties),
            "patient": row.patient, "diagnosis": HIDDEN_DIAGNOSIS_TEXT if row.diagnosis_hidden else row.diagnosis,
            "date": row.date}


def _facet_values(row: Any) -> dict[str, tuple[str, ...]]:
    return {"specialty": tuple(s.slug for s in row.specialties), "type": (row.type,), "sex": tuple(row.sexes),
            "age": tuple(row.age_bands), "year": (row.year,) if row.year else ()}


def _display_row(row: Any, url: Callable[[str], str], specialty_codes: dict[str, int]) -> list[Any]:
    return [url(row.src), row.title, [specialty_codes[s.slug] for s in row.specialties], row.patient,
            None if row.diagnosis_hidden else row.diagnosis, row.year or "", 1 if row.draft else 0]


def data_files(rows: Iterable[Any], url: Callable[[str], str]) -> dict[str, str]:
    """Every data file by site path (see the module docstring). `url(uri)`: a page's URL
    relative to the site root (render.page_url with the site's setting)."""
    ordered = position_order(list(rows))
    facet_values = [_facet_values(r) for r in ordered]
    facets: dict[str, Any] = {}
    for name in FACETS:
        vocabulary, coded = _codes([values[name] for values in facet_values])
        facets[name] = {"values": vocabulary, "rows": coded}
    names = {s.slug: s.name for r in ordered for s in r.specialties}
    specialty_codes = {slug: i for i, slug in enumerate(facets["specialty"]["values"])}
    postings: dict[str, dict[str, list[int]]] = {}
    for position, row in enumerate(ordered):
        for word in words(row.text):
            postings.setdefault(chunk_key(word), {}).setdefault(word, []).append(position)
    files = {FACETS_FILE: _script("facets", {
        "count": len(ordered), "chunk": CHUNK_ROWS, "prefix": PREFIX, "columns": list(SORT_COLUMNS),
        "facets": facets, "words": sorted(postings),
        "specialties": [[names[slug], url(f"specialties/{slug}.md")] for slug in facets["specialty"]["values"]],
    })}
    texts = [_column_texts(r) for r in ordered]
    for column in SORT_COLUMNS:
        files[f"{DATA_DIR}/sort-{column}.js"] = _script(f"sort-{column}", ranks([t[column] for t in texts]))
    for k in range(0, len(ordered), CHUNK_ROWS):
        chunk = [_display_row(r, url, specialty_codes) for r in ordered[k:k + CHUNK_ROWS]]
        files[f"{DATA_DIR}/rows-{k // CHUNK_ROWS}.js"] = _script(f"rows-{k // CHUNK_ROWS}", chunk)
    for key, entries in postings.items():
        files[f"{DATA_DIR}/words-{key}.js"] = _script(f"words-{key}", entries)
    return files


def version(files: dict[str, str]) -> str:
    """A short digest of every data file: the home page asks for `?v=<version>`, so a
    browser never mixes files of two builds from its cache."""
    digest = hashlib.sha1()
    for path in sorted(files):
        digest.update(path.encode())
        digest.update(files[path].encode())
    return digest.hexdigest()[:12]
