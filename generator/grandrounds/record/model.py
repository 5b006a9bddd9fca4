"""Stage 2, model: a raw record to a typed, validated `Case` (schema version 1).

Owns the case-record format: the pydantic models below are the single definition of the
schema. `case_json_schema()` exports them for editors (`schema/case.schema.json`), and
`validate_record()` turns pydantic's errors into `file:line:col: what; how to fix`
problems using the marks kept by `load` (unknown keys get a "did you mean").

pydantic is used rather than hand-written checks because it gives typed objects, precise
error paths and a JSON Schema from one definition.

Case ids are the one name an author gives that becomes URLs, folder and file names:
`case_id_problem` is the rule for them, applied to `id:` and, when a record has none, to
its file name stem (so every slug passes it): ASCII letters, digits, `-`, `_`, `.`; at most
`limits.MAX_ID_CHARS`; not ending in `.`; not a generated top-level name (`RESERVED_IDS`), a
web file name (`WEB_SUFFIXES`) or a Windows device name, in any letter case. Ids inside a
record (figures, tables, references) may hold anything; `markup.anchor` makes their anchors.
"""

from __future__ import annotations

import datetime
import difflib
import re
import typing
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Iterator, Literal, Optional, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
)

from pydantic_core import PydanticCustomError

from .. import cite
from ..errors import CaseErrors, Problem, display_path
from ..limits import MAX_ID_CHARS
from .load import RawRecord, printable

SCHEMA_VERSION = 1

Markdown = Annotated[str, Field(json_schema_extra={"format": "markdown"})]
"""A field rendered as Markdown (CommonMark + tables, footnotes, ^sup^, ~sub~)."""

ABSTRACT_KEYS = (
    "background", "introduction", "case_presentation", "investigations", "diagnosis",
    "differential_diagnosis", "treatment", "management", "outcome", "conclusions",
)
AbstractKey = Literal[
    "background", "introduction", "case_presentation", "investigations", "diagnosis",
    "differential_diagnosis", "treatment", "management", "outcome", "conclusions",
]
SECTIONS = (
    "introduction", "presentation", "patients", "timeline", "investigations", "diagnosis",
    "management", "outcome", "discussion", "learning_points", "patient_perspective", "figures", "tables",
)
"""The case page's sections (record field names), in the page's usual order: what
`teaching.hide` and `teaching.prompts` name, and (with "abstract") what a question may
follow (`questions[].after`)."""
Section = Literal[
    "introduction", "presentation", "patients", "timeline", "investigations", "diagnosis",
    "management", "outcome", "discussion", "learning_points", "patient_perspective", "figures", "tables",
]
QuestionPlace = Literal[
    "abstract", "introduction", "presentation", "patients", "timeline", "investigations", "diagnosis",
    "management", "outcome", "discussion", "learning_points", "patient_perspective", "figures", "tables",
]
HIDEABLE = SECTIONS
ABSTRACT_SECTION = {
    "introduction": "introduction", "case_presentation": "presentation",
    "investigations": "investigations", "diagnosis": "diagnosis", "differential_diagnosis": "diagnosis",
    "treatment": "management", "management": "management", "outcome": "outcome",
    "conclusions": "discussion",
}
"""The section whose subject each structured-abstract part summarises: hiding the section
hides that part of the abstract too (`background` summarises no one section and stays)."""

RESERVED_IDS = frozenset({"index", "tags", "specialties", "search", "assets", "stylesheets",
                          "javascripts", "figures", "404", "sitemap", "schema", "bibliography", "cite",
                          "handouts", "cname", "sessions", "pagefind"})
"""Top-level names of the built site (generated pages and folders, the theme's folders,
GitHub Pages' CNAME): a case id may not be one of them, in any letter case."""

WEB_SUFFIXES = frozenset("""
    html htm xhtml shtml php asp aspx jsp cgi xml rss atom rdf xsl json jsonld webmanifest
    js mjs css map wasm txt md markdown yaml yml bib ris csv tsv pdf ps eps doc docx xls xlsx
    ppt pptx odt rtf gz br zst zip tar tgz bz2 xz 7z svg svgz png jpg jpeg gif webp avif ico
    bmp tif tiff heic mp3 mp4 m4a webm ogg ogv wav mov avi woff woff2 ttf otf eot
""".split())
"""File suffixes a case id may not end in: the page of id `x` is the folder `x/` (or the
file `x.html`), so an id `feed.xml`, `404.html` or `robots.txt` would collide with or pose as
a file of the site or its host, and a web server would serve it with that file type."""

WINDOWS_DEVICES = frozenset({"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)),
                             *(f"lpt{i}" for i in range(10))})
"""Names Windows cannot use for a file or folder (with any suffix)."""

_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_ID_HINT = "use letters, digits, '-', '_' or '.' only, starting with a letter or digit"


def case_id_problem(value: str) -> str | None:
    """Why `value` cannot be a case id (see the module docstring), or None when it can."""
    if not _ID.fullmatch(value):
        return (f"'{printable(value)}' is not valid (ASCII letters, digits, '-', '_' and '.' only, "
                "starting with a letter or digit)")
    if len(value) > MAX_ID_CHARS:
        return f"'{value[:20]}...' is {len(value)} characters, over the {MAX_ID_CHARS}-character limit"
    lower = value.lower()
    if lower in RESERVED_IDS:
        return f"'{value}' is reserved for a generated page"
    if value.endswith("."):
        return f"'{value}' ends in '.', which Windows drops from file names"
    if lower.rsplit(".", 1)[-1] in WEB_SUFFIXES and "." in lower:
        return f"'{value}' ends in '.{value.rsplit('.', 1)[-1]}', the suffix of a web file"
    if lower.split(".", 1)[0] in WINDOWS_DEVICES:
        return f"'{value}' is a device name on Windows"
    return None


def error_page_slug(path: Path) -> str:
    """The slug of the page `serve` shows for a record that has never built: its file name
    stem when that is a valid case id, else `error-` and a safe name made from it (a file
    named `feed.xml.yaml` must not make a page that collides with the feed)."""
    from ..site.markup import anchor

    return path.stem if case_id_problem(path.stem) is None else anchor("error", path.stem)


class _Strict(BaseModel):
    """Base of every record part: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


def _date_text(value: Any) -> Any:
    """Accept `2010` (YAML reads it as a number) as the text "2010"."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def _age_value(value: Any) -> Any:
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _real_date(value: str) -> str:
    """Refuse dates that match the pattern but do not exist (2010-02-30)."""
    if len(value) == 10:
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            raise PydanticCustomError("impossible_date", "{value} is not a date in the calendar",
                                      {"value": value}) from None
    return value


PartialDate = Annotated[str, BeforeValidator(_date_text),
                        Field(pattern=_DATE.pattern, description="YYYY, YYYY-MM or YYYY-MM-DD",
                              examples=["2010-08"]),
                        AfterValidator(_real_date)]
def _number_as_text(value: Any) -> Any:
    """Accept `result: 5.2` (YAML reads a number) as the text "5.2"."""
    return str(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else value


Text = Annotated[str, BeforeValidator(_number_as_text)]
"""Plain text where authors often write a bare number (a lab result, a dose)."""

Age = Annotated[Union[Annotated[int, Field(ge=0, le=200)], Literal["90+"]], BeforeValidator(_age_value)]


class Author(_Strict):
    name: str = Field(description='"Family, G." as printed')
    affiliation: Optional[str] = None
    orcid: Optional[Annotated[str, Field(pattern=r"^(https://orcid\.org/)?\d{4}-\d{4}-\d{4}-\d{3}[\dX]$")]] = None
    corresponding: bool = False


class Code(_Strict):
    system: Literal["ICD-10", "ICD-10-CM", "ICD-11", "MeSH", "SNOMED-CT"]
    code: str
    label: Optional[str] = None


class Patient(_Strict):
    label: Optional[str] = None
    age: Optional[Age] = None
    age_unit: Literal["years", "months", "weeks", "days"] = "years"
    sex: Optional[Literal["female", "male", "other", "unknown"]] = None
    species: str = "human"


class TimelineEntry(_Strict):
    when: str = Field(description='relative: "day 0", "2 months later"')
    event: Markdown


class Investigation(_Strict):
    name: str
    result: Optional[Text] = None
    unit: Optional[Text] = None
    reference_range: Optional[Text] = None
    when: Optional[Text] = None
    figure: Optional[str] = Field(default=None, description="id of a figure of this case")


class Diagnosis(_Strict):
    final: Optional[Markdown] = None
    certainty: Optional[Literal["possible", "probable", "almost-certain", "certain"]] = None
    differential: list[Markdown] = []
    reasoning: Optional[Markdown] = None


class Treatment(_Strict):
    intervention: str
    route: Optional[str] = None
    dose: Optional[Text] = None
    frequency: Optional[Text] = None
    duration: Optional[Text] = None
    courses: Optional[Annotated[int, Field(ge=0)]] = None
    response: Optional[Markdown] = None


class Figure(_Strict):
    id: str
    label: Optional[str] = None
    file: str = Field(description="path under cases/")
    caption: Optional[Markdown] = None
    alt: str = Field(description="text alternative for readers who cannot see the image")


class Table(_Strict):
    id: str
    label: Optional[str] = None
    caption: Optional[Markdown] = None
    content: Markdown = Field(description="a pipe table")


class Funding(_Strict):
    funder: str
    award: list[str] = []

    @field_validator("award", mode="before")
    @classmethod
    def _one_award(cls, value: Any) -> Any:
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return [str(value)]
        return value


CitationStyle = Literal[cite.STYLES]  # type: ignore[valid-type]
"""A style name of `cite.STYLES` (a typo gets "did you mean")."""


class Consent(_Strict):
    obtained: bool = False
    by: Literal["patient", "family", "guardian", "owner", "waived", "not-stated"] = "not-stated"
    statement: Optional[Markdown] = None


class Teaching(_Strict):
    hide: list[Section] = Field(default=[], description=(
        "sections collapsed behind a prompt on the page (each opens on its own) and held back "
        "for the handout's answer page; hiding a section hides the abstract's part of the same subject"))
    prompts: dict[Section, str] = Field(default={}, description=(
        'the prompt of a hidden section\'s reveal: {investigations: "Which tests would you order?"}'))
    title: Optional[str] = Field(default=None, description=(
        "a neutral title shown instead of `title` until the diagnosis is revealed (an unknown case)"))


_QUESTION_ID = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"


class QuestionOption(_Strict):
    text: Markdown
    correct: bool = False
    explanation: Optional[Markdown] = Field(default=None, description=(
        "why this option is (or is not) the answer; shown once the reader has answered"))


class Question(_Strict):
    """A teaching question: one correct option is a single-best-answer question, several
    make it "select all that apply"."""

    id: Annotated[str, Field(pattern=_QUESTION_ID, max_length=64,
                             description="unique in the record: letters, digits, '-' and '_'")]
    after: Optional[QuestionPlace] = Field(default=None, description=(
        "the section the question follows (default: before the first hidden section, else "
        "after the last section)"))
    stem: Markdown = Field(description='the lead-in: "What is the most likely diagnosis?"')
    options: Annotated[list[QuestionOption], Field(min_length=2, max_length=8)]

    @property
    def multiple(self) -> bool:
        """"Select all that apply": more than one correct option."""
        return sum(o.correct for o in self.options) > 1


class CheckOptions(_Strict):
    """Reviewed findings of `grandrounds check` to silence for this record."""

    allow: list[str] = Field(default=[], description=(
        'codes ("privacy/place"), families ("care") or a code with the exact text '
        '("privacy/place: Mayo Clinic") that `grandrounds check` should not report'))


class CSLName(BaseModel):
    """A CSL name: `{family, given}` or `{literal}`; `{literal: others}` marks a truncated list."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    family: Optional[str] = None
    given: Optional[str] = None
    literal: Optional[str] = None


class CSLDate(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)
    date_parts: Optional[list[list[Union[int, str]]]] = Field(default=None, alias="date-parts")
    literal: Optional[str] = None
    raw: Optional[str] = None


class CSLItem(BaseModel):
    """A CSL-JSON item as Zotero and pandoc export it; any CSL variable is allowed."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)
    id: Optional[Union[str, int]] = None
    type: str = "article-journal"
    title: Optional[str] = None
    author: Optional[list[CSLName]] = None
    editor: Optional[list[CSLName]] = None
    container_title: Optional[str] = Field(default=None, alias="container-title")
    container_title_short: Optional[str] = Field(default=None, alias="container-title-short")
    volume: Optional[Union[str, int]] = None
    issue: Optional[Union[str, int]] = None
    page: Optional[Union[str, int]] = None
    issued: Optional[CSLDate] = None
    DOI: Optional[str] = None
    PMID: Optional[Union[str, int]] = None
    PMCID: Optional[str] = None
    URL: Optional[str] = None
    publisher: Optional[str] = None
    license: Optional[str] = Field(default=None, description=(
        "the item's licence as an SPDX id (CC-BY-4.0, CC-BY-NC-ND-4.0 ...): not a CSL variable "
        "(CSL has none), a grandrounds addition that citation styles ignore"))

    def as_csl(self) -> dict[str, Any]:
        """The item as a CSL-JSON dict (hyphenated keys, no empty fields)."""
        return self.model_dump(by_alias=True, exclude_none=True)


class Case(_Strict):
    """One case summary (schema version 1)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True,
                              json_schema_extra={"title": "grandrounds case record"})

    schema_version: Literal[1] = 1
    id: Optional[Annotated[str, Field(pattern=_ID.pattern)]] = Field(
        default=None, description="URL slug; default: the file name stem")
    title: str
    type: Literal["case-report", "case-study", "case-series", "image-challenge"] = "case-report"
    status: Literal["published", "draft"] = "published"
    date: Optional[PartialDate] = None
    authors: list[Author] = []
    specialties: list[str] = []
    tags: list[str] = []
    keywords: list[str] = []
    codes: list[Code] = []
    patient: Optional[Patient] = None
    patients: list[Patient] = []
    abstract: Union[Markdown, dict[AbstractKey, Markdown]]
    introduction: Optional[Markdown] = None
    presentation: Optional[Markdown] = None
    timeline: list[TimelineEntry] = []
    investigations: list[Investigation] = []
    diagnosis: Optional[Diagnosis] = None
    management: list[Treatment] = []
    outcome: Optional[Markdown] = None
    discussion: Optional[Markdown] = None
    learning_points: list[Markdown] = []
    patient_perspective: Optional[Markdown] = None
    figures: list[Figure] = []
    tables: list[Table] = []
    references: Union[list[CSLItem], str] = Field(
        default=[], description="CSL-JSON items, or the path of a .json (CSL-JSON), .bib (BibTeX), .ris (RIS) or .nbib (PubMed MEDLINE) file beside the record")
    abbreviations: dict[str, str] = {}
    acknowledgements: Optional[Markdown] = None
    funding: list[Funding] = []
    competing_interests: Optional[Markdown] = None
    author_contributions: Optional[Markdown] = None
    data_availability: Optional[Markdown] = None
    ethics_approval: Optional[Markdown] = None
    consent: Optional[Consent] = None
    license: Optional[str] = Field(default=None, description="SPDX id, e.g. CC-BY-4.0")
    source: Optional[CSLItem] = Field(default=None, description="the published original")
    style: Optional[CitationStyle] = Field(
        default=None, description="citation style: " + ", ".join(cite.STYLES) + " (default: the site's)")
    pubmed_ids: Optional[bool] = Field(
        default=None, description="vancouver: print each reference's PMID and PMCID as PubMed does "
                                  "(default: the site's pubmed_ids option, off)")
    questions: list[Question] = Field(default=[], description=(
        "teaching questions with options and explanations, each placed after a section"))
    aliases: list[Annotated[str, Field(pattern=_ID.pattern)]] = Field(default=[], description=(
        "former ids of this case: their URLs keep working (redirect pages)"))
    teaching: Teaching = Teaching()
    check: CheckOptions = CheckOptions()

    # Set by the library after validation; not part of the record format.
    _source_path: Optional[str] = PrivateAttr(default=None)
    _references_file: Optional[str] = PrivateAttr(default=None)

    @property
    def source_path(self) -> Optional[str]:
        """The record's file."""
        return self._source_path

    @property
    def references_file(self) -> Optional[str]:
        """The reference file named by `references:`, resolved, if the record used one."""
        return self._references_file

    # `cached_property`: kept in the instance's __dict__, so each later read is a plain
    # attribute (a private attribute goes through pydantic's __getattr__: 8 µs, and the
    # site engine reads these ~40,000 times a rebuild at 1,000 cases). Read them only after
    # the library has set the source path.

    @cached_property
    def version(self) -> str:
        """A digest of the validated record (references read from their file included) and
        its file's path: what the site engine keys everything derived from the case by, so
        that a re-read record with the same content changes nothing (`site.engine.Memo`)."""
        import hashlib

        data = self.model_dump_json(by_alias=True, round_trip=True) + "\0" + str(self.source_path)
        return hashlib.sha1(data.encode("utf-8", "surrogatepass")).hexdigest()

    @cached_property
    def slug(self) -> str:
        """The URL slug: `id`, or the record's file name stem."""
        return self.id or Path(self.source_path or "case").stem

    @property
    def everyone(self) -> list[Patient]:
        """The patient(s) described: `patients`, or the single `patient`."""
        return self.patients or ([self.patient] if self.patient else [])

    @property
    def year(self) -> Optional[str]:
        return self.date[:4] if self.date else None

    @property
    def final_diagnosis(self) -> Optional[str]:
        return self.diagnosis.final if self.diagnosis else None

    def markdown_fields(self) -> Iterator[tuple[tuple[Any, ...], str]]:
        """Every Markdown field that holds text, with its path in the record."""
        abstract = {(): self.abstract} if isinstance(self.abstract, str) else self.abstract
        for key, text in abstract.items():
            yield ("abstract", *((key,) if key else ())), text
        singles = ("introduction", "presentation", "outcome", "discussion", "patient_perspective",
                   "acknowledgements", "competing_interests", "author_contributions",
                   "data_availability", "ethics_approval")
        for name in singles:
            if getattr(self, name):
                yield (name,), getattr(self, name)
        for i, entry in enumerate(self.timeline):
            yield ("timeline", i, "event"), entry.event
        if self.diagnosis:
            for name in ("final", "reasoning"):
                if getattr(self.diagnosis, name):
                    yield ("diagnosis", name), getattr(self.diagnosis, name)
            for i, text in enumerate(self.diagnosis.differential):
                yield ("diagnosis", "differential", i), text
        for i, item in enumerate(self.management):
            if item.response:
                yield ("management", i, "response"), item.response
        for i, text in enumerate(self.learning_points):
            yield ("learning_points", i), text
        for i, figure in enumerate(self.figures):
            if figure.caption:
                yield ("figures", i, "caption"), figure.caption
        for i, table in enumerate(self.tables):
            if table.caption:
                yield ("tables", i, "caption"), table.caption
            yield ("tables", i, "content"), table.content
        if self.consent and self.consent.statement:
            yield ("consent", "statement"), self.consent.statement
        for i, question in enumerate(self.questions):
            yield ("questions", i, "stem"), question.stem
            for j, option in enumerate(question.options):
                yield ("questions", i, "options", j, "text"), option.text
                if option.explanation:
                    yield ("questions", i, "options", j, "explanation"), option.explanation

    def has_section(self, name: str) -> bool:
        """Whether the page has the section `name` (of `SECTIONS`, or "abstract")."""
        if name == "abstract":
            return True
        if name == "diagnosis":
            dx = self.diagnosis
            return bool(dx and (dx.final or dx.differential or dx.reasoning))
        return bool(getattr(self, name))

    def reference_items(self) -> list[dict[str, Any]]:
        refs = self.references if isinstance(self.references, list) else []
        return [r.as_csl() for r in refs]


_TYPE_WORDS = {
    "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
    "bool_type": "true or false", "bool_parsing": "true or false", "list_type": "a list",
    "dict_type": "a mapping (key: value lines)", "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)", "float_type": "a number",
}


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model whose fields are valid at the mapping reached by `loc`."""
    model: Any = Case
    for part in loc:
        if isinstance(part, int) or part == "[key]":
            continue
        fields = getattr(model, "model_fields", None)
        if fields is None:
            candidates = _models_in(model)
            match = [m for m in candidates if m.__name__ == part]
            if match:
                model = match[0]
                continue
            return None
        field = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if field is None:
            return None
        inner = _models_in(field.annotation)
        model = inner[0] if len(inner) == 1 else (inner or [None])[0]
        if model is None:
            return None
    return model if hasattr(model, "model_fields") else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found: list[type[BaseModel]] = []
    for arg in typing.get_args(annotation):
        found += _models_in(arg)
    return found


def _data_path(data: Any, loc: tuple[Any, ...]) -> tuple[tuple[Any, ...], list[Any]]:
    """Split a pydantic `loc` into the part that exists in the data and the rest.

    Parts that name a union member (`'list[CSLItem]'`, `'Patient'`) or a key check
    (`'[key]'`) are skipped; what is left over is a missing field's name.
    """
    path: list[Any] = []
    node = data
    rest = list(loc)
    while rest:
        part = rest.pop(0)
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        elif isinstance(node, dict) and not rest and part != "[key]":
            return tuple(path), [part]  # a missing field
        else:
            continue  # union member tag or key marker
        path.append(part)
    return tuple(path), []


def _quote(value: Any) -> str:
    """A value quoted in a message: one line (newlines as `\\n`), at most 40 characters,
    control characters escaped."""
    text = repr(value) if not isinstance(value, str) else "'" + value.replace("\n", "\\n").replace("\t", "\\t") + "'"
    return printable(text if len(text) <= 40 else text[:37] + "...'")


def _field_name(path: tuple[Any, ...]) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in path]
    return "".join(parts).lstrip(".") or "record"


def _problem_for(raw: RawRecord, error: dict[str, Any], shown: str) -> Problem:
    loc = tuple(error["loc"])
    kind = error["type"]
    path, rest = _data_path(raw.data, loc)
    name = _field_name(path)
    if kind == "missing":
        field = rest[0] if rest else loc[-1]
        where = raw.where(path)
        return Problem(shown, where.line, where.col, f"missing required field '{field}'"
                       + (f" in {name}" if path else ""), f"add `{field}:` here")
    if kind == "extra_forbidden":
        key = path[-1]
        where = raw.where(path, key=True)
        model = _model_at(loc[:-1])
        options = sorted(f.alias or n for n, f in model.model_fields.items()
                         if not f.exclude) if model else []
        guess = difflib.get_close_matches(str(key), options, n=1, cutoff=0.6)
        hint = f"did you mean '{guess[0]}'?" if guess else (
            "allowed keys here: " + ", ".join(options) if options else "remove it")
        return Problem(shown, where.line, where.col, f"unknown key '{key}'"
                       + (f" in {_field_name(path[:-1])}" if len(path) > 1 else ""), hint)
    where = raw.where(path, key="[key]" in loc)
    value = error.get("input")
    alternatives = error.get("alternatives")
    if alternatives:
        wanted = " or ".join(dict.fromkeys(_expected(e) for e in alternatives))
        return Problem(shown, where.line, where.col, f"{name} must be {wanted}, not {_quote(value)}",
                       f"write {wanted}")
    if kind == "literal_error":
        what = "key" if "[key]" in loc else "value"
        options = re.findall(r"'([^']*)'", error.get("ctx", {}).get("expected", ""))
        guess = difflib.get_close_matches(str(value), options, n=1, cutoff=0.6)
        hint = f"did you mean '{guess[0]}'?" if guess else "use one of " + ", ".join(options)
        return Problem(shown, where.line, where.col,
                       f"{name}: {_quote(value)} is not an allowed {what}", hint)
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        hint = ("write the date as YYYY, YYYY-MM or YYYY-MM-DD (quoted)" if pattern == _DATE.pattern
                else _ID_HINT if pattern == _ID.pattern else f"it must match {pattern}")
        return Problem(shown, where.line, where.col, f"{name}: {_quote(value)} is not valid", hint)
    if kind in ("too_short", "too_long"):
        ctx = error.get("ctx", {})
        count, bound = ctx.get("actual_length"), ctx.get("min_length" if kind == "too_short" else "max_length")
        need = "at least" if kind == "too_short" else "at most"
        return Problem(shown, where.line, where.col, f"{name} has {count} item{'s' if count != 1 else ''}; "
                       f"it needs {need} {bound}", "add items" if kind == "too_short" else "remove items")
    if kind == "impossible_date":
        return Problem(shown, where.line, where.col, f"{name}: {_quote(value)} is not a date in the calendar",
                       "check the month and day")
    if kind in ("greater_than_equal", "less_than_equal"):
        return Problem(shown, where.line, where.col, f"{name} must be {_expected(error)}, not {_quote(value)}",
                       f"write {_expected(error)}")
    if kind in _TYPE_WORDS:
        return Problem(shown, where.line, where.col,
                       f"{name} must be {_expected(error)}, not {_quote(value)}",
                       "quote text values; write lists as '- item' lines"
                       if _TYPE_WORDS[kind] in ("text", "a list") else f"write {_expected(error)}")
    return Problem(shown, where.line, where.col, f"{name}: {error['msg']}",
                   "see the case format in the README")


def _expected(error: dict[str, Any]) -> str:
    """What an error says the value should have been, in words."""
    if error["type"] == "literal_error":
        return error.get("ctx", {}).get("expected", "one of the allowed values").replace("'", '"')
    ctx = error.get("ctx", {})
    if error["type"] == "greater_than_equal":
        return f"a number of at least {ctx.get('ge')}"
    if error["type"] == "less_than_equal":
        return f"a number of at most {ctx.get('le')}"
    return _TYPE_WORDS.get(error["type"]) or error["msg"].replace("Input should be ", "")


def _pick(errors: list[dict[str, Any]], raw: RawRecord) -> list[dict[str, Any]]:
    """One error per place. A union reports one error per member: where one member got
    further into the data (a mapping with a bad key), its errors are kept and the others'
    "wrong type" noise dropped; where all members failed on the value itself, their
    expectations are merged ("a whole number or '90+'")."""
    placed = [(_data_path(raw.data, tuple(e["loc"]))[0], e) for e in errors]
    deeper = lambda path: any(len(p) > len(path) and p[:len(path)] == path for p, _ in placed)
    kept: dict[Any, dict[str, Any]] = {}
    for path, error in placed:
        if error["type"] in ("extra_forbidden", "missing"):
            kept[(path, error["type"], error["loc"][-1])] = error
            continue
        if deeper(path):
            continue
        if path in kept and kept[path] is not error:
            merged = dict(kept[path])
            merged["alternatives"] = kept[path].get("alternatives", [kept[path]]) + [error]
            kept[path] = merged
        else:
            kept[path] = error
    return list(kept.values())


def validate_record(raw: RawRecord) -> Case:
    """Validate a loaded record into a `Case`; raises `CaseErrors` listing every problem."""
    shown = printable(display_path(raw.path))
    if not isinstance(raw.data, dict):
        where = raw.where(())
        raise CaseErrors([Problem(shown, where.line, where.col, "a case record must be a mapping",
                                  "start with `title: ...` lines, as in the examples in cases/")])
    version = raw.data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        where = raw.where(("schema_version",))
        raise CaseErrors([Problem(shown, where.line, where.col,
                                  f"schema_version {version!r} is not supported",
                                  f"this grandrounds reads schema_version {SCHEMA_VERSION}")])
    problems = _slug_problems(raw, shown)
    try:
        case = Case.model_validate(raw.data)
    except ValidationError as exc:
        errors = _pick(exc.errors(include_url=False), raw)
        problems += [_problem_for(raw, e, shown) for e in errors]
    else:
        problems += _question_problems(raw, case, shown) + _alias_problems(raw, case, shown)
    if problems:
        raise CaseErrors(sorted(problems, key=lambda p: (p.line, p.col)))
    case._source_path = str(raw.path)
    return case


def _question_problems(raw: RawRecord, case: Case, shown: str) -> list[Problem]:
    """Question ids unique in the record; `after` naming a section the page has."""
    problems = []
    seen: dict[str, int] = {}
    for i, question in enumerate(case.questions):
        if question.id in seen:
            where = raw.where(("questions", i, "id"))
            problems.append(Problem(shown, where.line, where.col,
                                    f"question id '{question.id}' is already used by question {seen[question.id] + 1}",
                                    "give each question its own `id`"))
        seen.setdefault(question.id, i)
        if question.after and not case.has_section(question.after):
            where = raw.where(("questions", i, "after"))
            present = [name for name in ("abstract", *SECTIONS) if case.has_section(name)]
            problems.append(Problem(shown, where.line, where.col,
                                    f"questions[{i}].after: this record has no '{question.after}' section",
                                    "name one it has: " + ", ".join(present)))
    return problems


def _alias_problems(raw: RawRecord, case: Case, shown: str) -> list[Problem]:
    """Each alias passes the case id rule (`case_id_problem`) and is not the case's own id."""
    problems = []
    slug = case.id or raw.path.stem
    for i, alias in enumerate(case.aliases):
        why = case_id_problem(alias)
        if why is None and alias == slug:
            why = f"'{alias}' is this case's own id"
        if why:
            where = raw.where(("aliases", i))
            problems.append(Problem(shown, where.line, where.col, f"alias {why}",
                                    "list only former ids of this case"))
    return problems


def _slug_problems(raw: RawRecord, shown: str) -> list[Problem]:
    """The case id rule (`case_id_problem`) for the record's `id:`, or for its file name stem
    when it has none. An `id:` that does not match the pattern is pydantic's to report."""
    given = raw.data.get("id")
    if isinstance(given, str):
        why = case_id_problem(given) if _ID.fullmatch(given) else None
        where = raw.where(("id",))
        hint = "rename the file or set another `id:`" if "reserved" in (why or "") else "choose another `id:`"
        return [Problem(shown, where.line, where.col, f"case id {why}", hint)] if why else []
    if given is not None:
        return []  # not text: pydantic reports it
    why = case_id_problem(raw.path.stem)
    if why is None:
        return []
    if "reserved" in why:
        return [Problem(shown, 1, 1, f"case id {why}", "rename the file or set another `id:`")]
    return [Problem(shown, 1, 1, f"the case id taken from the file name, {why}",
                    "rename the file (letters, digits, '-', '_' or '.'), or set `id:` in the record")]


def case_json_schema() -> dict[str, Any]:
    """The JSON Schema of a case record (draft 2020-12), for editor autocompletion."""
    schema = Case.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://grandrounds.invalid/schema/case.schema.json"
    schema["description"] = ("A grandrounds case summary, schema version 1. "
                             "Markdown fields are CommonMark with tables, footnotes, ^sup^ and ~sub~.")
    return schema
