"""PubMed's MEDLINE format (`.nbib`, what "Send to: Citation manager" writes) to CSL-JSON.

Owns reading MEDLINE tagged records, for two uses:

- `references: refs.nbib` beside a record (`read_nbib`, dispatched by `refio.read_reference_file`);
- `grandrounds import citation.nbib` (`draft_from_file`): a `status: draft` record whose
  `source` is the article, with the notes on what the author must still do.

The format (NLM, "MEDLINE/PubMed Data Element (Field) Descriptions"): a line is a tag of up
to four capitals or digits padded to four columns, `- `, and the value (`PMID- 20851213`,
`TI  - A title`); a value goes on over lines indented six spaces; records are separated by
blank lines. Authors come as FAU ("Family, Given") followed by AU ("Family GI"), AD
(affiliations) and AUID (`ORCID: ...`) of the same author; CN is a group author in its place.

Every item is named `pmid<PMID>` (`[@pmid20851213]`): a PMID is in every PubMed record and is
the same in every export, whereas a first-author-and-year id (what RIS items get) depends on
the order of the records in the file and changes its `a`/`b` suffix when an export is redone.

Every problem is a `CaseErrors` located in the file (`path:line:col: what; how to fix`):
malformed tag lines, text outside a record, a record without PMID or title, a PMID twice,
and every converted value through `values.value_problems` at the line of its field. The
file size limit is `limits.MAX_REFERENCE_FILE_BYTES` (checked by `refio` before reading).
It does not own where the file may be (`library`) nor writing the draft (the import command).
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import CaseErrors, Problem
from ..values import normalise_newlines, value_problems
from . import refio
from .model import ABSTRACT_KEYS

_TAG_LINE = re.compile(r"([A-Z][A-Z0-9]{1,3})( *)-(?: (.*)|\s*)$")
_LOOKS_LIKE_TAG = re.compile(r"([A-Za-z][A-Za-z0-9]{0,5})\s*-")
VALUE_COLUMN = 7
"""Where a value starts on a tag line (`TI  - ` is six characters)."""

LANGUAGES = {
    "eng": "en", "fre": "fr", "ger": "de", "spa": "es", "ita": "it", "por": "pt", "dut": "nl",
    "jpn": "ja", "chi": "zh", "rus": "ru", "pol": "pl", "kor": "ko", "tur": "tr", "swe": "sv",
    "nor": "no", "dan": "da", "fin": "fi", "cze": "cs", "hun": "hu", "gre": "el", "heb": "he",
    "ara": "ar", "per": "fa", "rum": "ro", "slo": "sk", "scr": "hr", "ukr": "uk", "bul": "bg",
    "ice": "is", "lit": "lt", "lav": "lv", "est": "et", "slv": "sl", "srp": "sr", "tha": "th",
    "vie": "vi", "ind": "id", "may": "ms", "hin": "hi", "cat": "ca", "afr": "af", "wel": "cy",
}
"""MEDLINE's LA codes (ISO 639-2/B) -> the BCP 47 tags CSL expects; others are kept as given."""

SEASONS = ("spring", "summer", "autumn", "fall", "winter")


@dataclass
class Field:
    """One tagged value (continuation lines joined) and the line its tag is on."""

    tag: str
    value: str
    line: int


@dataclass
class Record:
    """The fields of one MEDLINE record in file order, and the line it starts on."""

    line: int
    fields: list[Field] = field(default_factory=list)

    def first(self, *tags: str) -> Field | None:
        return next((f for f in self.fields if f.tag in tags and f.value), None)

    def values(self, tag: str) -> list[str]:
        return [f.value for f in self.fields if f.tag == tag and f.value]


def _problem(path: Path, line: int, col: int, message: str, hint: str) -> Problem:
    return refio._problem(path, line, col, message, hint)


# --------------------------------------------------------------------------- lines to records


def parse_records(text: str, path: Path) -> list[Record]:
    """Split MEDLINE text into records of tagged fields; raises `CaseErrors` with the line of
    every malformed line (all of them, not only the first)."""
    records: list[Record] = []
    problems: list[Problem] = []
    current: Record | None = None
    for number, line in enumerate(normalise_newlines(text.lstrip("\ufeff")).split("\n"), 1):
        if not line.strip():
            current = None
            continue
        if line[0] in " \t":
            if current is None or not current.fields:
                problems.append(_problem(path, number, 1, "indented line outside a MEDLINE field",
                                         "an indented line continues the field above it; join it to that "
                                         "line, or export the file again from PubMed"))
            else:
                last = current.fields[-1]
                last.value = f"{last.value} {line.strip()}".strip()
            continue
        match = _TAG_LINE.match(line)
        if not match or len(match.group(1) + match.group(2)) != 4:
            problems.append(_malformed(path, number, line))
            continue
        tag, value = match.group(1), (match.group(3) or "").strip()
        if current is None or (tag == "PMID" and current.first("PMID")):
            current = Record(number)
            records.append(current)
        current.fields.append(Field(tag, value, number))
    if problems:
        raise CaseErrors(problems[:50])
    return records


def _malformed(path: Path, number: int, line: str) -> Problem:
    looks = _LOOKS_LIKE_TAG.match(line)
    shown = line.strip()[:40]
    if looks and len(looks.group(1)) <= 4:
        tag = looks.group(1).upper()
        return _problem(path, number, 1, f"malformed MEDLINE tag line '{shown}'",
                        f"write it as '{tag.ljust(4)}- value' (the tag padded to four columns, "
                        "a hyphen, a space)")
    return _problem(path, number, 1, f"malformed MEDLINE line '{shown}' (no tag)",
                    "start the line with a tag such as 'TI  - ', or indent it six spaces to continue "
                    "the field above; export the file again from PubMed ('Send to: Citation manager')")


# --------------------------------------------------------------------------- records to CSL


def nbib_to_csl(text: str, path: Path) -> list[dict[str, Any]]:
    """Parse MEDLINE text (`path` is for messages) into CSL items with `pmid<PMID>` ids,
    every value checked by `values.value_problems` at the line of its field."""
    records = parse_records(text, path)
    problems = _record_problems(records, path)
    if problems:
        raise CaseErrors(problems)
    converted = [record_to_csl(record) for record in records]
    items = [item for item, _ in converted]
    problems = _value_problems(items, [lines for _, lines in converted], records, path)
    if problems:
        raise CaseErrors(problems)
    return items


def read_nbib(path: Path) -> list[dict[str, Any]]:
    """The records of a `.nbib` file as CSL-JSON items: the size limit
    (`limits.MAX_REFERENCE_FILE_BYTES`), UTF-8, then `nbib_to_csl`. Raises `CaseErrors`."""
    return nbib_to_csl(refio.read_reference_text(path), path)


def _record_problems(records: Sequence[Record], path: Path) -> list[Problem]:
    problems: list[Problem] = []
    if not records:
        problems.append(_problem(path, 1, 1, "no MEDLINE records in the file",
                                 "export the citations from PubMed with 'Send to: Citation manager'"))
    seen: dict[str, int] = {}
    for record in records:
        pmid = record.first("PMID")
        if pmid is None:
            problems.append(_problem(path, record.line, 1, "MEDLINE record without a PMID",
                                     "start each record with 'PMID- ' and its PubMed id, as PubMed exports it"))
        elif not pmid.value.isdigit() or not pmid.value.isascii():
            problems.append(_problem(path, pmid.line, VALUE_COLUMN, f"PMID '{pmid.value[:20]}' is not a number",
                                     "a PubMed id is digits only, e.g. 'PMID- 20851213'"))
        elif pmid.value in seen:
            problems.append(_problem(path, pmid.line, VALUE_COLUMN,
                                     f"PMID {pmid.value} is also the record at line {seen[pmid.value]}",
                                     "remove one of the two records"))
        else:
            seen[pmid.value] = record.line
        title = record.first("TI", "BTI")
        if title is None or not clean_title(title.value):
            problems.append(_problem(path, record.line, 1, "MEDLINE record without a title (no 'TI' line)",
                                     "add 'TI  - ' and the article's title, or export the record again"))
    return sorted(problems, key=lambda p: p.line)


def _value_problems(items: list[dict[str, Any]], lines: list[dict[str, int]], records: Sequence[Record],
                    path: Path) -> list[Problem]:
    problems = []
    for at, what, hint in value_problems(items):
        index = at[0] if at and isinstance(at[0], int) else None
        variable = str(at[1]) if len(at) > 1 else ""
        line = records[index].line if index is not None else 1
        line = lines[index].get(variable, line) if index is not None else line
        col = VALUE_COLUMN if variable in (lines[index] if index is not None else {}) else 1
        where = ".".join(str(part) for part in at[1:])
        problems.append(_problem(path, line, col, f"{'field ' + where + ': ' if where else ''}{what}", hint))
    return problems


def record_to_csl(record: Record) -> tuple[dict[str, Any], dict[str, int]]:
    """One record as a CSL item, and the line each CSL variable came from."""
    item: dict[str, Any] = {}
    lines: dict[str, int] = {}

    def put(variable: str, value: Any, source: Field | None) -> None:
        if value not in (None, "", []):
            item[variable] = value
            if source is not None:
                lines[variable] = source.line

    pmid = record.first("PMID")
    title = record.first("TI")
    book = record.first("BTI") if title is None else None
    put("id", f"pmid{pmid.value}" if pmid else None, pmid)
    put("type", "book" if book else "article-journal", None)
    put("title", clean_title((title or book).value) if (title or book) else None, title or book)
    names, first_name = authors(record.fields)
    put("author", names, first_name)
    journal, short = record.first("JT"), record.first("TA")
    put("container-title", journal.value if journal else None, journal)
    put("container-title-short", short.value if short else None, short)
    book_fields = (("publisher", "PB"), ("publisher-place", "PL")) if book else ()  # PL of an article is the journal's country
    for variable, tag in (("volume", "VI"), ("issue", "IP")) + book_fields:
        source = record.first(tag)
        put(variable, source.value if source else None, source)
    pages = record.first("PG")
    elocator = _identifier(record, ("LID",), "pii")
    put("page", page_range(pages.value) if pages else (elocator[0] if elocator else None),
        pages or (elocator[1] if elocator else None))
    date = record.first("DP")
    put("issued", publication_date(date.value) if date else None, date)
    doi = _identifier(record, ("AID", "LID"), "doi")
    put("DOI", refio._bare_doi(doi[0]) if doi else None, doi[1] if doi else None)
    put("PMID", pmid.value if pmid else None, pmid)
    pmc = record.first("PMC")
    put("PMCID", pmc.value if pmc else None, pmc)
    issn = record.first("IS")
    put("ISSN", issn.value.split()[0] if issn else None, issn)
    language = record.first("LA")
    put("language", LANGUAGES.get(language.value.lower(), language.value) if language else None, language)
    abstract = record.first("AB")
    put("abstract", abstract.value if abstract else None, abstract)
    return item, lines


def clean_title(title: str) -> str:
    """A MEDLINE title without the period NLM ends every title with (styles add their own);
    a title ending in '?', '!' or '...' is kept."""
    title = title.strip()
    return title[:-1].rstrip() if title.endswith(".") and not title.endswith("..") else title


def page_range(pages: str) -> str:
    """MEDLINE's 'PG' ('1091-8', 'e123') with an en dash between first and last page, the
    numbers as given (Vancouver abbreviates the last page; other styles expand it)."""
    return re.sub(r"\s*-\s*", refio.EN_DASH, pages.strip(), count=1)


def publication_date(text: str) -> dict[str, Any]:
    """'DP' as a CSL date: '2010 Aug 1', '2010 Aug', '2010 Aug-Sep', '2009 Dec 15-2010 Jan 1'
    (its start), '2010 Spring' (a season), '2010'; anything without a leading year is kept
    as a literal date."""
    tokens = text.split()
    if not tokens or not re.fullmatch(r"\d{4}", tokens[0][:4]) or (len(tokens[0]) > 4 and tokens[0][4] != "-"):
        return {"literal": text.strip()}
    year = tokens[0][:4]
    month = tokens[1].split("-")[0] if len(tokens) > 1 else None
    day = tokens[2].split("-")[0] if len(tokens) > 2 and refio._month_number(month) else None
    date = refio._date_parts(year, month, day) or {"literal": text.strip()}
    if month and month.lower() in SEASONS:
        date["season"] = month.capitalize()
    return date


def _identifier(record: Record, tags: tuple[str, ...], kind: str) -> tuple[str, Field] | None:
    """The first 'AID'/'LID' value marked '[kind]' ('10.1/x [doi]', 'e123 [pii]')."""
    suffix = f"[{kind}]"
    for source in record.fields:
        if source.tag in tags and source.value.lower().endswith(suffix):
            value = source.value[: -len(suffix)].strip()
            if value:
                return value, source
    return None


def authors(fields: Iterable[Field]) -> tuple[list[dict[str, Any]], Field | None]:
    """The CSL names of FAU/AU/CN in file order (an AU right after its FAU is the same
    person); AD adds to the last name's `affiliation`, AUID 'ORCID: ...' sets its `ORCID`."""
    names: list[dict[str, Any]] = []
    first: Field | None = None
    previous = ""
    for source in fields:
        if source.tag in ("FAU", "CN") or (source.tag == "AU" and previous != "FAU"):
            names.append(_name(source))
            first = first or source
        elif source.tag == "AD" and names:
            known = names[-1].get("affiliation")
            names[-1]["affiliation"] = f"{known.rstrip('.')}; {source.value}" if known else source.value
        elif source.tag == "AUID" and names and source.value.upper().startswith("ORCID:"):
            found = re.search(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", source.value)  # the JATS import's rule
            if found:
                names[-1]["ORCID"] = f"https://orcid.org/{found.group()}"
        if source.tag in ("FAU", "AU", "CN"):
            previous = source.tag
    return names, first


def _name(source: Field) -> dict[str, Any]:
    if source.tag == "CN":
        return {"literal": clean_title(source.value)}
    if source.tag == "FAU" or "," in source.value:
        return refio._name_from_text(source.value)
    family, _, initials = source.value.rpartition(" ")  # AU: 'Dalmau J', 'van Gogh VW'
    return {"family": family, "given": initials} if family else {"literal": source.value}


# --------------------------------------------------------------------------- the draft record

_ABSTRACT_LABEL = re.compile(r"(?:^|(?<=[.?!)\]] ))([A-Z][A-Z0-9 ,&/()'-]{1,60}[A-Z)]): ")
"""A section label of a structured abstract as MEDLINE writes it: capitals and a colon, at
the start or after a sentence ('BACKGROUND: ... CASE PRESENTATION: ...')."""

ABSTRACT_LABELS = {
    "background": "background", "context": "background", "rationale": "background",
    "introduction": "introduction",
    "case presentation": "case_presentation", "case report": "case_presentation",
    "case summary": "case_presentation", "case description": "case_presentation",
    "case": "case_presentation", "case details": "case_presentation", "case history": "case_presentation",
    "patient concerns": "case_presentation", "presentation": "case_presentation",
    "clinical presentation": "case_presentation", "case reports": "case_presentation",
    "investigations": "investigations", "investigation": "investigations",
    "diagnosis": "diagnosis", "diagnoses": "diagnosis",
    "differential diagnosis": "differential_diagnosis", "differential diagnoses": "differential_diagnosis",
    "treatment": "treatment", "treatments": "treatment", "interventions": "treatment", "therapy": "treatment",
    "management": "management", "management and outcome": "management",
    "outcome": "outcome", "outcomes": "outcome", "follow-up": "outcome", "outcome and follow-up": "outcome",
    "conclusion": "conclusions", "conclusions": "conclusions", "lessons": "conclusions",
    "discussion and conclusions": "conclusions", "conclusions and relevance": "conclusions",
    "conclusion and relevance": "conclusions", "lessons learned": "conclusions",
}
"""Labels of structured abstracts in PubMed (lower case, '&' as 'and') -> the schema's
abstract keys."""
assert set(ABSTRACT_LABELS.values()) <= set(ABSTRACT_KEYS)


def abstract_sections(text: str) -> list[tuple[str, str]]:
    """A MEDLINE abstract as (label, text) sections; one section with label '' when it is
    not structured (or has text before its first label)."""
    labels = list(_ABSTRACT_LABEL.finditer(text))
    if not labels or text[: labels[0].start()].strip():
        return [("", text.strip())]
    return [(found.group(1), text[found.end(): labels[i + 1].start() if i + 1 < len(labels) else len(text)].strip())
            for i, found in enumerate(labels)]


def abstract_key(label: str) -> str | None:
    """The schema's abstract key for a section label, or None."""
    return ABSTRACT_LABELS.get(" ".join(label.lower().replace("&", "and").split()))


def abstract_prompts(text: str) -> str | dict[str, str]:
    """What the draft's `abstract` holds in place of the article's prose: a prompt per schema
    key when every section label maps to a key of its own, else one prompt; each says how
    long the article's section is, for the author writing the summary's own."""
    sections = abstract_sections(text)
    keys = [abstract_key(label) for label, _ in sections]
    if len(sections) > 1 and all(keys) and len(set(keys)) == len(keys):
        return {key: _prompt(f"the article's {label} section", body)  # type: ignore[misc]
                for key, (label, body) in zip(keys, sections)}
    named = ", ".join(label for label, _ in sections if label)
    return _prompt(f"the article's abstract{f' ({named})' if named else ''}", text)


def _prompt(what: str, body: str) -> str:
    return (f"TODO: write this in your own words; {what} has {len(body.split()):,} words "
            f"({len(body):,} characters) and is not copied: a PubMed record grants no reuse.")


def keywords(record: Record) -> list[str]:
    """The author's keywords (OT); without them, the major MeSH headings (MH marked '*'),
    else every MeSH heading, without subheadings and stars; each once, in order."""
    chosen = record.values("OT")
    if not chosen:
        headings = record.values("MH")
        major = [h for h in headings if "*" in h]
        chosen = [h.split("/")[0].lstrip("*").strip() for h in (major or headings)]
    seen: dict[str, str] = {}
    for word in chosen:
        seen.setdefault(word.lower(), word)
    return list(seen.values())


def case_id(item: dict[str, Any], path: Path) -> str:
    """The draft's id, by the JATS import's rule: the first author's family name, the year and
    the first words of the title (`muller-2019-anti-n-methyl-d`), else the file's stem."""
    from ..scaffold import slugify

    first = (item.get("author") or [{}])[0]
    year = str((item.get("issued") or {}).get("date-parts", [[""]])[0][0])
    words = slugify(item.get("title", "")).split("-")[:5]
    slug = slugify(" ".join([first.get("family") or first.get("literal") or "", year, *words]))[:60].strip("-")
    return slug or slugify(path.stem) or "imported-article"


def draft_from_file(path: Path, *, today: datetime.date | None = None) -> tuple[dict[str, Any], list[str]]:
    """A `status: draft` record (a dict, ready for YAML) from the first record of a MEDLINE
    file, and the notes on what the author must still do. Raises `CaseErrors` located in the
    file for bad input (nothing else).

    Like a JATS import it fills `title`, `keywords`, `source` (the article's CSL item) and
    `date` (`today`, the day of the import); it leaves `license` and `authors` (the summary's)
    and `references` (MEDLINE has none) for the author. The abstract is the article's prose
    and a MEDLINE record carries no licence, so `abstract` holds prompts (`abstract_prompts`)
    mapped to the schema's structured keys where the labels match."""
    text = refio.read_reference_text(path)
    items = nbib_to_csl(text, path)
    records = parse_records(text, path)
    record, item = records[0], dict(items[0])
    words = keywords(record)
    problems = _value_problems([{"keywords": words}], [{"keywords": record.line}], [record], path)
    if problems:
        raise CaseErrors(problems)
    article_abstract = item.pop("abstract", "")
    draft: dict[str, Any] = {
        "schema_version": 1,
        "id": case_id(item, path),
        "title": item.get("title", ""),
        "status": "draft",
        "date": (today or datetime.date.today()).isoformat(),
    }
    if words:
        draft["keywords"] = words
    draft["abstract"] = (abstract_prompts(article_abstract) if article_abstract
                         else "TODO: write the summary's abstract (the PubMed record has none).")
    draft["source"] = item
    return draft, _notes(item, records, article_abstract, path)


def _notes(item: dict[str, Any], records: Sequence[Record], article_abstract: str, path: Path) -> list[str]:
    notes = []
    if len(records) > 1:
        notes.append(f"{path.name} holds {len(records)} records; the draft is made from the first "
                     f"(PMID {item.get('PMID')}). To cite the others, name the file in `references:`.")
    if article_abstract:
        notes.append("write the abstract in your own words: the article's is not copied, because a PubMed "
                     "record says nothing about reuse (each TODO says how long the article's section is)")
    else:
        notes.append("write the abstract: the PubMed record has none")
    notes.append("add the summary's `authors` and `license` (the article's authors are in `source`)")
    notes.append("write the case sections (presentation, investigations, diagnosis, management, outcome, "
                 "discussion, learning points): a PubMed record holds metadata only")
    notes.append("add `references`: a PubMed record does not list the article's references")
    if item.get("PMCID"):
        notes.append(f"the article is in PubMed Central ({item['PMCID']}): importing its JATS XML fills the "
                     "references, and figures and text when its licence allows reuse")
    notes.append("then run `grandrounds check` and set `status: published` when the summary is ready")
    return notes
