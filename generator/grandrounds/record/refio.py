"""Reference files in and out: BibTeX and RIS to CSL-JSON items, and CSL items back out.

Owns the conversions between CSL-JSON items (the form `model.CSLItem`, `cite` and the
templates use) and the exchange formats of reference managers:

- reading a `references:` file beside a record: `.json` (CSL-JSON, checked by `library`),
  `.bib` (BibTeX/BibLaTeX as Zotero and Better BibTeX export it; parsed by bibtexparser 2
  and its middlewares, LaTeX decoded by pylatexenc) and `.ris` (parsed by rispy after our
  own line-by-line structure check, because rispy silently drops what it cannot place);
- writing items as RIS, BibTeX and CSL-JSON (`to_ris`, `to_bibtex`, `to_csl_json`), for
  the downloads on case pages and `grandrounds cite`;
- the CSL item that cites a summary itself (`summary_item`).

Every problem in a file is a `CaseErrors` located in that file (`path:line:col: what;
how to fix`); nothing here raises anything else for bad input. It does not own where the
file may be (`library`) nor formatting (`cite`).
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from ..errors import CaseErrors, Problem, display_path
from ..limits import (MAX_DEPTH, MAX_LATEX_CHARS, MAX_LIST_ITEMS, MAX_REFERENCE_FILE_BYTES,
                     MAX_TEXT_CHARS)
from .load import read_text
from ..values import text_problem, value_problems
from ..cite.richtext import latex as rich_latex, plain as rich_plain

REFERENCE_SUFFIXES = (".json", ".bib", ".ris", ".nbib")
EN_DASH = "\u2013"
OTHERS = {"literal": "others"}

# --------------------------------------------------------------------------- shared


def _problem(path: Path, line: int, col: int, message: str, hint: str) -> Problem:
    return Problem(display_path(path), line, col, message, hint)


def _date_parts(year: str, month: Any = None, day: Any = None) -> dict[str, Any] | None:
    """{"date-parts": [[y, m, d]]} from loose parts; a year that is not a number is kept
    as a literal date ("in press")."""
    year = (year or "").strip()
    if not year:
        return None
    if not year.isdigit():
        return {"literal": year}
    parts: list[int] = [int(year)]
    m = _month_number(month)
    if m:
        parts.append(m)
        if day and str(day).strip().isdigit() and 1 <= int(str(day).strip()) <= 31:
            parts.append(int(str(day).strip()))
    return {"date-parts": [parts]}


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def _month_number(month: Any) -> int | None:
    text = str(month or "").strip().lower()
    if text.isdigit() and 1 <= int(text) <= 12:
        return int(text)
    return _MONTHS.index(text[:3]) + 1 if text[:3] in _MONTHS else None


def _iso_date(text: str) -> dict[str, Any] | None:
    """'2008-12-01', '2008/12/01/', '2008///', '2008-12' -> a CSL date."""
    parts = [p for p in re.split(r"[-/]", text.strip()) if p.strip()]
    if not parts:
        return None
    return _date_parts(parts[0], *(parts[1:3]))


def _date_fields(date: Any) -> tuple[str, int | None, int | None]:
    """(year, month, day) of a CSL date ('' when there is no year)."""
    if not isinstance(date, Mapping):
        return "", None, None
    parts = date.get("date-parts") or []
    if parts and parts[0]:
        first = list(parts[0]) + [None, None]
        try:
            return str(int(first[0])), _int(first[1]), _int(first[2])
        except (TypeError, ValueError):
            pass
    literal = date.get("literal") or date.get("raw") or ""
    match = re.search(r"\d{4}", str(literal))
    return (match.group(0) if match else ""), None, None


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value not in (None, "") else ""


def _bare_doi(doi: str) -> str:
    return re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi.strip(), flags=re.I)


def _name_from_text(text: str) -> dict[str, str]:
    """'Family, Given' -> family/given; 'others'/'et al.' -> the truncation marker; a name
    without a comma (a group) -> literal."""
    text = _text(text)
    if text.lower().rstrip(".") in ("others", "et al"):
        return dict(OTHERS)
    parts = [p.strip() for p in text.split(",")]
    if len(parts) == 1:
        return {"literal": text}
    name = {"family": parts[0], "given": parts[1], "suffix": ", ".join(parts[2:])}
    return {k: v for k, v in name.items() if v}


def _name_to_text(name: Mapping[str, Any]) -> str:
    """A CSL name as RIS writes it, 'Family, Given[, Suffix]' (particles kept in front
    of the family name), or its literal."""
    if name.get("literal"):
        return _text(name["literal"])
    family = " ".join(filter(None, [_text(name.get("non-dropping-particle")), _text(name.get("family"))]))
    given = " ".join(filter(None, [_text(name.get("given")), _text(name.get("dropping-particle"))]))
    suffix = _text(name.get("suffix"))
    return ", ".join([family, given, suffix] if suffix else [family, given] if given else [family])


def _unique_ids(items: list[dict[str, Any]]) -> None:
    """Give items without an `id` one made of the first author's name and the year,
    with a, b, ... for repeats (`[@dalmau2008]`)."""
    taken = {str(i["id"]) for i in items if i.get("id")}
    for item in items:
        if item.get("id"):
            continue
        names = item.get("author") or [{}]
        first = names[0].get("family") or names[0].get("literal") or "ref"
        year, _, _ = _date_fields(item.get("issued"))
        base = re.sub(r"[^a-z0-9]+", "", unicodedata.normalize("NFKD", first).encode("ascii", "ignore")
                      .decode().lower()) or "ref"
        base += year
        candidate, n = base, 0
        while candidate in taken:
            candidate = base + "abcdefghijklmnopqrstuvwxyz"[n % 26] * (n // 26 + 1)
            n += 1
        taken.add(candidate)
        item["id"] = candidate


# --------------------------------------------------------------------------- reading


def read_reference_text(path: Path) -> str:
    """A reference file's text: UTF-8, at most `limits.MAX_REFERENCE_FILE_BYTES`."""
    return read_text(path, MAX_REFERENCE_FILE_BYTES, "reference file",
                     "keep only the references this case cites, or split the case")


def read_reference_file(path: Path) -> list[dict[str, Any]]:
    """The items of a `.json`, `.bib`, `.ris` or `.nbib` (PubMed's MEDLINE, read by `medline`)
    file as CSL-JSON dicts, each passed through
    `values.value_problems` (control characters, lone surrogates, text, list and depth
    limits). Raises `CaseErrors` located in the file; nothing else for bad input."""
    suffix = path.suffix.lower()
    if suffix not in REFERENCE_SUFFIXES:
        raise CaseErrors([_problem(path, 1, 1, f"unknown reference file type '{suffix}'",
                                   "use .json (CSL-JSON), .bib (BibTeX), .ris (RIS) or .nbib (PubMed)")])
    text = read_reference_text(path)
    if suffix == ".json":
        return csl_json_items(text, path)
    if suffix == ".bib":
        return bibtex_to_csl(text, path)
    if suffix == ".nbib":
        from .medline import nbib_to_csl  # medline builds on this module's helpers

        return nbib_to_csl(text, path)
    return ris_to_csl(text, path)


def _item_problems(items: Sequence[Any], path: Path, lines: Sequence[int]) -> list[Problem]:
    """`values.value_problems` of converted items, each at the line where its entry starts
    (`lines[i]`), naming the field."""
    problems = []
    for at, what, hint in value_problems(list(items)):
        line = lines[at[0]] if at and isinstance(at[0], int) and at[0] < len(lines) else 1
        field = ".".join(str(part) for part in at[1:])
        problems.append(_problem(path, line, 1, f"{'field ' + field + ': ' if field else ''}{what}", hint))
    return problems


# CSL-JSON --------------------------------------------------------------------

_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\[\s\S][^"\\]*)*"?|[\[\]{}]')
"""A JSON string (to the end of the text when it is not closed, so the scan stays linear) or
a bracket."""
_JSON_ESCAPE = re.compile(r"\\u([dD][89a-fA-F]|00|[fF][dDfF])([0-9a-fA-F]{2})")
"""`\\u` escapes that may stand for what no text may hold (surrogates, controls, U+FDxx and
U+FFFx); `_json_escape_problems` decides."""


def csl_json_items(text: str, path: Path) -> list[Any]:
    """Parse a CSL-JSON file: nesting deeper than `MAX_DEPTH` and escapes of forbidden
    characters are refused with their line and column before `json.loads` runs (it recurses,
    and would raise RecursionError on `[` nested 100,000 deep), then every item passes
    `values.value_problems`."""
    problems = _json_depth_problems(text, path) + _json_escape_problems(text, path)
    if problems:
        raise CaseErrors(problems)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseErrors([_problem(path, exc.lineno, exc.colno, f"invalid JSON: {exc.msg}",
                                   "export the file again, or fix the JSON syntax here")]) from None
    except RecursionError:  # cannot happen after the depth scan; never a traceback if it does
        raise CaseErrors([_problem(path, 1, 1, "JSON nested too deeply",
                                   f"no CSL-JSON needs more than {MAX_DEPTH} levels")]) from None
    if not isinstance(data, list):
        return data  # the library's validation says what a CSL-JSON file must be
    problems = _item_problems(data, path, _json_item_lines(text, len(data)))
    if problems:
        raise CaseErrors(problems)
    return data


def _position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _json_depth_problems(text: str, path: Path) -> list[Problem]:
    depth = 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line, col = _position(text, token.start())
                return [_problem(path, line, col, f"JSON nested more than {MAX_DEPTH} levels deep",
                                 "export the file again; CSL-JSON items nest about 5 levels")]
        elif char in "]}":
            depth -= 1
    return []


def _json_escape_problems(text: str, path: Path) -> list[Problem]:
    """Escapes of a lone surrogate, a control character or a non-character, located in the
    raw text (after `json.loads` they have no line); a surrogate pair is one character."""
    problems = []
    for found in _JSON_ESCAPE.finditer(text) if "\\u" in text else ():
        if _escaped(text, found.start()):
            continue  # `\\\\u0000` is a backslash and the text u0000
        code = int(found.group(1) + found.group(2), 16)
        if 0xD800 <= code <= 0xDBFF:
            after = _JSON_ESCAPE.match(text, found.end())
            bad = not (after and 0xDC00 <= int(after.group(1) + after.group(2), 16) <= 0xDFFF)
        elif 0xDC00 <= code <= 0xDFFF:
            before = _JSON_ESCAPE.match(text, max(0, found.start() - 6))
            bad = not (found.start() >= 6 and before and before.end() == found.start()
                       and 0xD800 <= int(before.group(1) + before.group(2), 16) <= 0xDBFF)
        else:
            bad = text_problem(chr(code)) is not None
        if bad:
            line, col = _position(text, found.start())
            name = "a lone surrogate" if 0xD800 <= code <= 0xDFFF else "a control character or non-character"
            problems.append(_problem(path, line, col, f"'{found.group()}' is {name}, not text",
                                     "delete it, or export the file again as UTF-8"))
            if len(problems) >= 20:
                break
    return problems


def _escaped(text: str, at: int) -> bool:
    """Whether the backslash at `at` is itself escaped (an odd run of backslashes before it)."""
    run = 0
    while at - run - 1 >= 0 and text[at - run - 1] == "\\":
        run += 1
    return run % 2 == 1


def _json_item_lines(text: str, count: int) -> list[int]:
    """The line of each top-level item of a JSON list, found by the same scan as the depth."""
    lines: list[int] = []
    depth, line, last = 0, 1, 0
    for token in _JSON_TOKEN.finditer(text):
        char = token.group()
        if char in "[{":
            depth += 1
            if depth == 2:
                line += text.count("\n", last, token.start())
                last = token.start()
                lines.append(line)
        elif char in "]}":
            depth -= 1
    return lines + [1] * (count - len(lines))


# BibTeX ----------------------------------------------------------------------

BIBTEX_TYPES = {
    "article": "article-journal", "book": "book", "incollection": "chapter",
    "inbook": "chapter", "inproceedings": "paper-conference", "conference": "paper-conference",
    "proceedings": "book", "techreport": "report", "report": "report",
    "phdthesis": "thesis", "mastersthesis": "thesis", "thesis": "thesis",
    "online": "webpage", "electronic": "webpage", "www": "webpage", "software": "software",
    "dataset": "dataset", "unpublished": "manuscript", "manual": "report", "booklet": "book",
}
"""BibTeX/BibLaTeX entry types -> CSL types; `misc` is decided by its fields."""

_CSL_TO_BIBTEX = {
    "article-journal": "article", "article-magazine": "article", "article-newspaper": "article",
    "review": "article", "book": "book", "chapter": "incollection",
    "paper-conference": "inproceedings", "report": "techreport", "thesis": "phdthesis",
    "webpage": "online", "post": "online", "post-weblog": "online", "software": "software",
    "dataset": "dataset", "manuscript": "unpublished", "article": "misc",
}

# BibTeX field -> CSL variable, copied as text once decoded
_BIBTEX_FIELDS = {
    "title": "title", "volume": "volume", "pages": "page", "publisher": "publisher",
    "edition": "edition", "isbn": "ISBN", "issn": "ISSN", "note": "note", "version": "version",
    "abstract": "abstract", "language": "language", "address": "publisher-place",
    "location": "publisher-place", "pmid": "PMID", "pmcid": "PMCID", "series": "collection-title",
}


def _latex_decoder() -> Any:
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    context = get_default_latex_context_db()
    context.add_context_category("grandrounds", prepend=True, macros=[
        MacroTextSpec("url", simplify_repl="%s"),
        MacroTextSpec("textasciicircum", simplify_repl="^"),
        MacroTextSpec("textasciitilde", simplify_repl="~"),
    ])
    return LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


_DECODER: Any = None
_LATEX_FREE = re.compile(r"[^\\{}$%~^_&#`'-]*(?:-(?!-)[^\\{}$%~^_&#`'-]*|'(?!')[^\\{}$%~^_&#`'-]*)*\Z")
"""Text that pylatexenc would only re-space: no command, group, math, comment, special
character, `--` dash or ``` `` ```/`''` quote (a single hyphen or apostrophe is fine)."""


class LatexBudget:
    """How many characters of one reference file still go through pylatexenc.

    pylatexenc costs about 35 µs a character (a 1.9 MB title took 92 s), so text without
    LaTeX skips it (`_LATEX_FREE`) and what is left is capped at `limits.MAX_LATEX_CHARS` a
    file; past that the file is refused."""

    def __init__(self, chars: int = MAX_LATEX_CHARS):
        self.left = chars

    def spend(self, text: str) -> None:
        self.left -= len(text) + 20  # a call's own overhead, so many tiny fields count too
        if self.left < 0:
            raise _LatexBudgetSpent()


class _LatexBudgetSpent(Exception):
    pass


def decode_latex(text: str, budget: LatexBudget | None = None) -> str:
    """LaTeX to Unicode text: accents decoded, braces removed, `--` an en dash."""
    global _DECODER
    if _LATEX_FREE.match(text):
        return " ".join(text.split())
    if budget is not None:
        budget.spend(text)
    if _DECODER is None:
        _DECODER = _latex_decoder()
    return " ".join(_DECODER.latex_to_text(text).split())


def bibtex_to_csl(text: str, path: Path) -> list[dict[str, Any]]:
    """Parse BibTeX (`path` is for messages) into CSL items. Raises `CaseErrors` listing
    every malformed entry with its line, fields over `MAX_TEXT_CHARS` (before pylatexenc
    sees them), more LaTeX than `MAX_LATEX_CHARS`, and what `values.value_problems` refuses
    in the converted items."""
    import bibtexparser
    from bibtexparser import middlewares as mw
    from bibtexparser.model import DuplicateBlockKeyBlock, ParsingFailedBlock

    quiet = logging.getLogger("bibtexparser")
    level, quiet.level = quiet.level, logging.CRITICAL  # we report failed blocks ourselves
    try:
        library = bibtexparser.parse_string(text, append_middleware=[
            mw.SeparateCoAuthors(), mw.SplitNameParts()])
    finally:
        quiet.level = level
    problems: list[Problem] = []
    for block in library.failed_blocks[:_MAX_PROBLEMS]:
        line = (block.start_line or 0) + 1
        if isinstance(block, DuplicateBlockKeyBlock):
            problems.append(_problem(path, line, 1, f"duplicate BibTeX key '{block.key}'",
                                     "give each entry its own key"))
        elif isinstance(block, ParsingFailedBlock):
            reason = getattr(block.error, "abort_reason", None) or str(block.error) or "syntax error"
            problems.append(_problem(path, line, 1, f"BibTeX entry cannot be read: {reason.strip()}",
                                     "check its braces, quotes and the commas between fields"))
    items: list[dict[str, Any]] = []
    lines: list[int] = []
    budget = LatexBudget()
    for entry in library.entries:
        if len(problems) >= _MAX_PROBLEMS:
            break
        line = (entry.start_line or 0) + 1
        if not entry.key.strip():
            problems.append(_problem(path, line, 1, f"@{entry.entry_type} entry has no citation key",
                                     f"add a key after '@{entry.entry_type}{{', e.g. @{entry.entry_type}{{smith2020,"))
            continue
        long = next((f.key for f in entry.fields if isinstance(f.value, str) and len(f.value) > MAX_TEXT_CHARS), None)
        if long:
            problems.append(_problem(path, line, 1, f"entry '{entry.key}': field '{long}' is over the "
                                     f"{MAX_TEXT_CHARS:,}-character limit", "shorten it"))
            continue
        try:
            items.append(_bibtex_entry_to_csl(entry, budget))
            lines.append(line)
        except _LatexBudgetSpent:
            problems.append(_problem(path, line, 1, f"the file holds more than {MAX_LATEX_CHARS:,} characters "
                                     "of LaTeX markup (from this entry on)",
                                     "export it with UTF-8 characters instead of LaTeX commands "
                                     "(Zotero and Better BibTeX do by default), or keep only the cited references"))
            break
        except Exception as exc:  # pylatexenc or a name we cannot split: say where
            problems.append(_problem(path, line, 1, f"entry '{entry.key}' cannot be converted: {exc}",
                                     "check its LaTeX commands and braces"))
    problems += _item_problems(items, path, lines)
    if problems:
        raise CaseErrors(sorted(problems, key=lambda p: p.line))
    return items


_MAX_PROBLEMS = 50
"""Problems reported for one file: past that the rest are the same mistake again."""


def _bibtex_entry_to_csl(entry: Any, budget: LatexBudget | None = None) -> dict[str, Any]:
    fields = {f.key.lower(): f.value for f in entry.fields}
    text = {k: decode_latex(v, budget) for k, v in fields.items() if isinstance(v, str)}
    kind = entry.entry_type.lower()
    item: dict[str, Any] = {"id": entry.key, "type": BIBTEX_TYPES.get(kind, "")}
    if kind == "misc":
        item["type"] = "webpage" if ("url" in text and not text.keys() & {"journal", "publisher"}) else "document"
    item["type"] = item["type"] or "document"
    for source, target in _BIBTEX_FIELDS.items():
        if text.get(source) and target not in item:
            item[target] = text[source]
    container = text.get("journal") or text.get("journaltitle") or text.get("booktitle")
    if container:
        item["container-title"] = container
    short = text.get("shortjournal") or text.get("journalabbr")
    if short:
        item["container-title-short"] = short
    if text.get("number"):
        item["number" if item["type"] in ("report", "book") else "issue"] = text["number"]
    if text.get("issue"):
        item["issue"] = text["issue"]
    if not item.get("publisher"):
        for owner in ("institution", "school", "organization", "howpublished"):
            if text.get(owner) and not text[owner].startswith(("http://", "https://")):
                item["publisher"] = text[owner]
                break
    doi = fields.get("doi")  # verbatim, like url: `%` and `_` are not LaTeX there
    if isinstance(doi, str) and doi.strip("{} \n"):
        item["DOI"] = _bare_doi(doi.strip("{} \n"))
    url = fields.get("url") or ""
    if isinstance(url, str) and url.strip():
        item["URL"] = url.strip()
    date = _iso_date(text["date"]) if text.get("date") else _date_parts(text.get("year", ""), text.get("month"))
    if date:
        item["issued"] = date
    if text.get("urldate"):
        accessed = _iso_date(text["urldate"])
        if accessed:
            item["accessed"] = accessed
    for role in ("author", "editor"):
        names = fields.get(role)
        if isinstance(names, list) and names:
            item[role] = [_bibtex_name(n, budget) for n in names[:MAX_LIST_ITEMS + 1]]
    return item


def _bibtex_name(parts: Any, budget: LatexBudget | None = None) -> dict[str, str]:
    """bibtexparser's NameParts (still LaTeX) -> a CSL name; `others` is the truncation
    marker and a braced name with no first part (`{R Core Team}`) a literal."""
    first, von, last, jr = (" ".join(getattr(parts, k)) for k in ("first", "von", "last", "jr"))
    if not first and not von and not jr:
        if last.strip() == "others":
            return dict(OTHERS)
        if last.startswith("{") and last.endswith("}"):
            return {"literal": decode_latex(last, budget)}
    name = {"family": decode_latex(last, budget), "given": decode_latex(first, budget),
            "non-dropping-particle": decode_latex(von, budget), "suffix": decode_latex(jr, budget)}
    return {k: v for k, v in name.items() if v}


# RIS -------------------------------------------------------------------------

RIS_TYPES = {
    "JOUR": "article-journal", "JFULL": "article-journal", "EJOUR": "article-journal",
    "ABST": "article-journal", "INPR": "article-journal", "MGZN": "article-magazine",
    "NEWS": "article-newspaper", "BOOK": "book", "EBOOK": "book", "EDBOOK": "book",
    "CHAP": "chapter", "ECHAP": "chapter", "RPRT": "report", "GOVDOC": "report",
    "ELEC": "webpage", "WEB": "webpage", "BLOG": "post-weblog", "COMP": "software",
    "SOFT": "software", "THES": "thesis", "CONF": "paper-conference", "CPAPER": "paper-conference",
    "DATA": "dataset", "UNPB": "manuscript", "MANSCPT": "manuscript", "GEN": "document",
    "STAND": "standard", "PAT": "patent",
}
"""RIS reference types -> CSL types (anything else becomes `document`)."""

_CSL_TO_RIS = {
    "article-journal": "JOUR", "article-magazine": "MGZN", "article-newspaper": "NEWS",
    "review": "JOUR", "book": "BOOK", "chapter": "CHAP", "report": "RPRT", "webpage": "ELEC",
    "post": "ELEC", "post-weblog": "BLOG", "software": "COMP", "thesis": "THES",
    "paper-conference": "CPAPER", "dataset": "DATA", "manuscript": "UNPB", "standard": "STAND",
    "patent": "PAT", "article": "JOUR",
}

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")  # what rispy reads: value from column 7
_RIS_TAG_LIKE = re.compile(r"^\s*([A-Z][A-Z0-9]|[a-z][a-z0-9](?=\s*-\s))\s*-")


def _ris_structure(text: str, path: Path) -> list[int]:
    """Check the line structure rispy assumes; returns each record's TY line number.

    A record is `TY  - TYPE` ... `ER  - `; every line in it is `XX  - value` or the
    continuation of the line above; only blank lines lie between records."""
    problems: list[Problem] = []
    starts: list[int] = []
    open_at: int | None = None
    for number, raw in enumerate(text.split("\n"), 1):
        line = raw.rstrip("\r")
        if number == 1:
            line = line.lstrip("\ufeff")
        bad = text_problem(line)  # rispy would split a line at a form feed or a lone CR
        if bad:
            problems.append(_problem(path, number, bad[2] + 1, bad[0], bad[1]))
            continue
        match = _RIS_TAG.match(line)
        if not match:
            looks = _RIS_TAG_LIKE.match(line)
            if looks:
                problems.append(_problem(path, number, 1, f"malformed RIS tag line '{line.strip()[:40]}'",
                                         f"write it as '{looks.group(1).upper()}  - value' (tag, two spaces, hyphen, space)"))
            elif line.strip() and open_at is None:
                problems.append(_problem(path, number, 1, "text outside a RIS record",
                                         "start each record with 'TY  - JOUR' (or another type) and end it with 'ER  - '"))
            continue
        tag, value = match.group(1), match.group(2) or ""
        if tag == "TY":
            if open_at is not None:
                problems.append(_problem(path, open_at, 1, "RIS record is not closed before the next 'TY'",
                                         "end each record with a line 'ER  - '"))
            if not value.strip():
                problems.append(_problem(path, number, 7, "RIS record has no type after 'TY  - '",
                                         "give a type such as JOUR, BOOK, CHAP, RPRT, ELEC or COMP"))
            open_at = number
            starts.append(number)
        elif tag == "ER":
            if open_at is None:
                problems.append(_problem(path, number, 1, "'ER' without a record to end",
                                         "remove it, or start the record with 'TY  - JOUR' (or another type)"))
            open_at = None
        elif open_at is None:
            problems.append(_problem(path, number, 1, f"tag '{tag}' outside a RIS record",
                                     "start each record with 'TY  - ...' before its other tags"))
    if open_at is not None:
        problems.append(_problem(path, open_at, 1, "RIS record is not closed (no 'ER  - ' line)",
                                 "end each record with a line 'ER  - '"))
    if problems:
        raise CaseErrors(sorted(problems, key=lambda p: p.line))
    return starts


def ris_to_csl(text: str, path: Path) -> list[dict[str, Any]]:
    """Parse RIS (`path` is for messages) into CSL items; items without `ID` get
    `<firstauthor><year>` ids. Raises `CaseErrors` with the line of each problem."""
    import rispy

    starts = _ris_structure(text, path)
    clean = "\n".join(line.rstrip("\r") for line in text.lstrip("\ufeff").split("\n"))
    records = rispy.loads(clean, skip_unknown_tags=True)
    if len(records) != len(starts):  # our check and rispy disagree: report, never guess
        raise CaseErrors([_problem(path, 1, 1, f"found {len(starts)} RIS records but could read {len(records)}",
                                   "export the file again from the reference manager")])
    items = [_ris_record_to_csl(record) for record in records]
    problems = _item_problems(items, path, starts)
    if problems:
        raise CaseErrors(problems)
    _unique_ids(items)
    return items


def _first(record: Mapping[str, Any], *keys: str) -> str:
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):
            value = value[0] if value else ""
        if _text(value):
            return _text(value)
    return ""


def _ris_record_to_csl(record: Mapping[str, Any]) -> dict[str, Any]:
    kind = _text(record.get("type_of_reference")).upper()
    item: dict[str, Any] = {"type": RIS_TYPES.get(kind, "document")}
    if _first(record, "id"):
        item["id"] = _first(record, "id")
    title = _first(record, "title", "primary_title")
    if title:
        item["title"] = title
    container = _first(record, "secondary_title", "alternate_title3", "journal_name")
    if container and item["type"] not in ("book", "report", "thesis", "software"):
        item["container-title"] = container
    elif container:
        item["collection-title"] = container
    short = _first(record, "alternate_title1", "alternate_title2")
    if short:
        item["container-title-short"] = short
    authors = [a for a in record.get("authors", []) + record.get("first_authors", []) if _text(a)]
    if authors:
        item["author"] = [_name_from_text(a) for a in authors]
    editors = [a for a in record.get("secondary_authors", []) if _text(a)]
    if editors and item["type"] in ("chapter", "book", "paper-conference"):
        item["editor"] = [_name_from_text(a) for a in editors]
    simple = {"volume": "volume", "number": "issue", "publisher": "publisher",
              "place_published": "publisher-place", "edition": "edition", "language": "language"}
    for source, target in simple.items():
        if _first(record, source):
            item[target] = _first(record, source)
    if item["type"] in ("report", "book") and "issue" in item:
        item["number"] = item.pop("issue")
    start, end = _first(record, "start_page"), _first(record, "end_page")
    if start:
        item["page"] = f"{start}{EN_DASH}{end}" if end and end != start else start
    issn = _first(record, "issn")
    if issn:
        item["ISBN" if item["type"] in ("book", "chapter") else "ISSN"] = issn
    date = _first(record, "date")
    year = _first(record, "year", "publication_year")
    issued = _iso_date(date) if date and re.match(r"\d{4}", date) else None
    if year and (not issued or "date-parts" not in issued):
        issued = _iso_date(year) or issued
    if issued:
        item["issued"] = issued
    accessed = _first(record, "access_date")
    if accessed and _iso_date(accessed):
        item["accessed"] = _iso_date(accessed)
    doi = _first(record, "doi")
    if doi:
        item["DOI"] = _bare_doi(doi)
    urls = [u for u in record.get("urls", []) if _text(u)]
    if urls:
        item["URL"] = _text(urls[0])
    return item


# --------------------------------------------------------------------------- writing


def to_csl_json(items: Sequence[Mapping[str, Any]]) -> str:
    """CSL-JSON: a list of items, UTF-8, two-space indented."""
    return json.dumps(list(items), indent=2, ensure_ascii=False) + "\n"


def _pages(page: str) -> tuple[str, str]:
    parts = re.split(r"\s*[-\u2010-\u2015]+\s*", page, maxsplit=1)
    return parts[0], parts[1] if len(parts) > 1 else ""


def _ris_value(value: Any) -> str:
    """One line of RIS: no line breaks (a record is line-based)."""
    return _text(value)


def to_ris(items: Sequence[Mapping[str, Any]]) -> str:
    """RIS records (`TY  - JOUR` ... `ER  - `), CRLF-free, one blank line between them.
    RIS has no "list truncated" mark, so `{"literal": "others"}` is left out."""
    records = []
    for item in items:
        kind = str(item.get("type") or "article-journal")
        lines = [("TY", _CSL_TO_RIS.get(kind, "GEN"))]
        if item.get("id") not in (None, ""):
            lines.append(("ID", item["id"]))
        for name in item.get("author") or []:
            if isinstance(name, Mapping) and name != OTHERS and _name_to_text(name):
                lines.append(("AU", _name_to_text(name)))
        for name in item.get("editor") or []:
            if isinstance(name, Mapping) and name != OTHERS and _name_to_text(name):
                lines.append(("A2", _name_to_text(name)))
        # RIS has no markup: CSL rich text (<i>E. coli</i>) as its plain text
        lines.append(("TI", rich_plain(_text(item.get("title")))))
        container_tag = "T2" if kind not in ("book", "report", "thesis", "software") else "T3"
        lines.append((container_tag, rich_plain(_text(item.get("container-title")
                                                      or item.get("collection-title")))))
        lines.append(("J2", rich_plain(_text(item.get("container-title-short")))))
        lines.append(("VL", item.get("volume")))
        lines.append(("IS", item.get("issue") or item.get("number")))
        if item.get("page"):
            first, last = _pages(str(item["page"]))
            lines += [("SP", first), ("EP", last)]
        year, month, day = _date_fields(item.get("issued"))
        if year:
            lines.append(("PY", year))
            if month:
                lines.append(("DA", f"{year}/{month:02d}/{f'{day:02d}' if day else ''}/"))
        lines += [("PB", item.get("publisher")), ("CY", item.get("publisher-place")),
                  ("ET", item.get("edition")), ("SN", item.get("ISSN") or item.get("ISBN")),
                  ("DO", item.get("DOI")), ("UR", item.get("URL")), ("LA", item.get("language"))]
        a_year, a_month, a_day = _date_fields(item.get("accessed"))
        if a_year:
            lines.append(("Y2", "/".join([a_year, f"{a_month:02d}" if a_month else "",
                                          f"{a_day:02d}" if a_day else ""]) + "/"))
        body = [f"{tag}  - {_ris_value(value)}" for tag, value in lines if _ris_value(value)]
        records.append("\n".join(body + ["ER  - "]) + "\n")
    return "\n".join(records)


_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "%": r"\%",
    "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    EN_DASH: "--", "\u2014": "---",
}
_BIBTEX_SPECIAL = re.compile("|".join(re.escape(k) for k in _BIBTEX_SPECIALS))


def bibtex_escape(text: Any) -> str:
    """Text for a BibTeX field: LaTeX specials escaped, en/em dashes as --/---, other
    non-ASCII kept as UTF-8 (BibLaTeX/biber and Zotero read it)."""
    return _BIBTEX_SPECIAL.sub(lambda m: _BIBTEX_SPECIALS[m.group(0)], _text(text))


def _bibtex_verbatim(text: Any) -> str:
    """A URL or DOI: written as is (the url package reads it), except braces, which
    would unbalance the field."""
    return _text(text).replace("{", "%7B").replace("}", "%7D").replace("\\", "%5C")


def _bibtex_key(value: Any, taken: set[str]) -> str:
    key = re.sub(r"[^A-Za-z0-9_:.\-+/]", "_", str(value or "")) or "ref"
    candidate, n = key, 1
    while candidate in taken:
        n += 1
        candidate = f"{key}_{n}"
    taken.add(candidate)
    return candidate


def _bibtex_names(names: Iterable[Any]) -> str:
    out = []
    for name in names:
        if not isinstance(name, Mapping):
            continue
        if name == OTHERS:
            out.append("others")
        elif name.get("literal"):
            out.append("{" + bibtex_escape(name["literal"]) + "}")
        else:
            family = bibtex_escape(name.get("family"))
            if " " in family.strip() and not name.get("non-dropping-particle"):
                family = "{" + family + "}"  # "Santos Ocampo" is one family name
            parts = [" ".join(filter(None, [bibtex_escape(name.get("non-dropping-particle")), family]))]
            if name.get("suffix"):
                parts.append(bibtex_escape(name["suffix"]))
            given = " ".join(filter(None, [bibtex_escape(name.get("given")),
                                           bibtex_escape(name.get("dropping-particle"))]))
            if given:
                parts.append(given)
            out.append(", ".join(parts))
    return " and ".join(n for n in out if n)


def to_bibtex(items: Sequence[Mapping[str, Any]]) -> str:
    """BibTeX entries (BibLaTeX-compatible field names where BibTeX has none). Titles are
    double-braced so styles keep their capitals; `{"literal": "others"}` is `and others`."""
    taken: set[str] = set()
    entries = []
    for item in items:
        kind = str(item.get("type") or "article-journal")
        entry_type = _CSL_TO_BIBTEX.get(kind, "misc")
        fields: list[tuple[str, str]] = []
        for role in ("author", "editor"):
            names = _bibtex_names(item.get(role) or [])
            if names:
                fields.append((role, "{" + names + "}"))
        if item.get("title"):  # CSL rich text as \textit{} and the like, nocase as braces
            fields.append(("title", "{{" + rich_latex(_text(item["title"]), bibtex_escape) + "}}"))
        container = item.get("container-title")
        if container:
            key = {"article": "journal", "incollection": "booktitle", "inproceedings": "booktitle"}.get(
                entry_type, "howpublished" if entry_type in ("online", "misc") else "booktitle")
            fields.append((key, "{" + rich_latex(_text(container), bibtex_escape) + "}"))
        plain = [("shortjournal", "container-title-short"), ("volume", "volume"), ("number", "issue"),
                 ("number", "number"), ("pages", "page"), ("publisher", "publisher"),
                 ("address", "publisher-place"), ("edition", "edition"), ("series", "collection-title"),
                 ("version", "version"), ("isbn", "ISBN"), ("issn", "ISSN"), ("pmid", "PMID"),
                 ("pmcid", "PMCID"), ("note", "note")]
        seen = set()
        if item.get("publisher") == container and entry_type in ("online", "misc"):
            seen.add("publisher")  # a web page's site, already its howpublished
        for field, variable in plain:
            if item.get(variable) not in (None, "") and field not in seen:
                seen.add(field)
                fields.append((field, "{" + bibtex_escape(item[variable]) + "}"))
        year, month, day = _date_fields(item.get("issued"))
        if year:
            fields.append(("year", "{" + year + "}"))
            if month:
                fields.append(("month", _MONTHS[month - 1]))
        if item.get("DOI"):
            fields.append(("doi", "{" + _bibtex_verbatim(_bare_doi(str(item["DOI"]))) + "}"))
        if item.get("URL"):
            fields.append(("url", "{" + _bibtex_verbatim(item["URL"]) + "}"))
        a_year, a_month, a_day = _date_fields(item.get("accessed"))
        if a_year:
            stamp = "-".join([a_year] + ([f"{a_month:02d}"] if a_month else [])
                             + ([f"{a_day:02d}"] if a_month and a_day else []))
            fields.append(("urldate", "{" + stamp + "}"))
        body = ",\n".join(f"  {name} = {value}" for name, value in fields)
        entries.append(f"@{entry_type}{{{_bibtex_key(item.get('id'), taken)},\n{body}\n}}\n")
    return "\n".join(entries)


EXPORTS = {"ris": (".ris", to_ris), "bibtex": (".bib", to_bibtex), "csl-json": (".json", to_csl_json)}
"""Export format name -> (file suffix, writer)."""


# --------------------------------------------------------------------------- the summary


def summary_item(case: Any, site_name: str, url: str | None = None) -> dict[str, Any]:
    """The CSL item that cites a case summary itself: a web page of the site, titled as
    the case, dated by its `date`, at `url` when the site's address is known.

    Its authors are the record's `authors` only when the record is an original case
    (no `source`): a summary of a published article lists that article's authors, who
    did not write the summary, so the item has no author (the site is its publisher)."""
    item: dict[str, Any] = {"id": f"{case.slug}-summary", "type": "webpage", "title": case.title}
    if case.authors and not case.source:
        item["author"] = [_name_from_text(a.name) for a in case.authors]
    item["container-title"] = site_name
    item["publisher"] = site_name
    if case.date:
        item["issued"] = _iso_date(case.date)
    if url:
        item["URL"] = url
    return item
