"""Stage `check`: lints over validated cases, beyond what the schema can say.

Owns every finding that is not a schema error:

- **privacy** (de-identification, after HIPAA Safe Harbor and the ICMJE patient-privacy
  rules): the rules over the text are in `privacy.py`, image metadata in `images.py`;
  this module adds ages over 89 in `patient.age`, the consent rule of DESIGN.md, and
  severity (warnings by default, errors with `privacy="error"`).
- **CARE completeness** (13 items) for `case-report` and `case-series` records.
- **references**: duplicate ids and DOIs, malformed DOIs, no year, no title (warnings);
  uncited (information, DESIGN.md). Cited-but-undefined is a schema error from `library`.
- **teaching**: a title that gives away a hidden final diagnosis; questions with no correct
  option, duplicate options, an option without an explanation, a stem that gives away a
  hidden section that comes after it.

The rules run on the validated values (so a clean record costs no YAML work); only when a
record has findings that need a place in it is its file parsed again, to put each finding
at the line and column of the matched text, inside block scalars too. The inline
`# grandrounds: allow CODE` markers, which YAML parsers drop, are read from the raw text. `Checker` caches
findings per validated `Case` object, so `serve` re-checks only records that changed.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterable, Optional

import yaml

from ..errors import CaseErrors, Problem, display_path
from ..limits import MAX_FINDINGS_PER_FIELD
from .images import IMAGE_SUFFIXES, image_metadata, strip_metadata
from ..record.load import load_record, read_text
from ..site.markup import cited_keys, markdown_to_text, remote_images
from ..site.render import question_places, section_order
from ..record.model import ABSTRACT_SECTION, Case
from ..parallel import map_forked
from ..values import printable
from .privacy import FAMILY_OF, PATIENT_FIELDS, RULE_FAMILIES, Hit, patient_fields, privacy_hits

__all__ = ["Finding", "Checker", "check_case", "care_table", "format_care_table",
           "format_findings", "problem_finding", "allow_markers", "FAMILY_OF", "PATIENT_FIELDS",
           "RULE_FAMILIES", "Hit", "patient_fields", "privacy_hits", "IMAGE_SUFFIXES",
           "image_metadata", "strip_metadata", "SEVERITIES", "CARE_ITEMS", "CARE_TYPES"]

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Finding:
    """One problem found in a record, located in its file."""

    path: str
    line: int
    col: int
    severity: str  # error | warning | info
    code: str      # e.g. privacy/date, care/timeline, ref/duplicate-doi, schema
    message: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.code}: {self.message}"
        return printable(f"{text}; {self.hint}" if self.hint else text, one_line=True)  # author text quoted, controls escaped


# --------------------------------------------------------------------------- privacy rules
# (in privacy.py; the EXIF part of the privacy family is in images.py)


# --------------------------------------------------------------------------- CARE

CARE_ITEMS: tuple[tuple[str, str, str], ...] = (
    # (code suffix, CARE item, field(s) that hold it)
    ("title", "Title", "title"),
    ("keywords", "Keywords", "keywords"),
    ("abstract", "Abstract", "abstract"),
    ("introduction", "Introduction", "introduction"),
    ("patient-information", "Patient information", "patient / patients"),
    ("clinical-findings", "Clinical findings", "presentation"),
    ("timeline", "Timeline", "timeline"),
    ("diagnostic-assessment", "Diagnostic assessment", "investigations / diagnosis"),
    ("therapeutic-intervention", "Therapeutic intervention", "management"),
    ("follow-up", "Follow-up and outcomes", "outcome"),
    ("discussion", "Discussion", "discussion"),
    ("patient-perspective", "Patient perspective", "patient_perspective"),
    ("informed-consent", "Informed consent", "consent"),
)
CARE_TYPES = ("case-report", "case-series")


@dataclass(frozen=True)
class CareItem:
    code: str
    item: str
    field: str
    present: bool


def _consent_given(case: Case) -> bool:
    consent = case.consent
    return bool(consent and (consent.obtained or (consent.by == "waived" and consent.statement)))


def care_table(case: Case) -> list[CareItem]:
    """The 13 CARE checklist items of a case, each present or missing."""
    dx = case.diagnosis
    present = {
        "title": bool(case.title.strip()),
        "keywords": bool(case.keywords),
        "abstract": bool(case.abstract),
        "introduction": bool(case.introduction),
        "patient-information": bool(case.everyone),
        "clinical-findings": bool(case.presentation),
        "timeline": bool(case.timeline),
        "diagnostic-assessment": bool(case.investigations or (dx and (dx.final or dx.reasoning))),
        "therapeutic-intervention": bool(case.management),
        "follow-up": bool(case.outcome),
        "discussion": bool(case.discussion),
        "patient-perspective": bool(case.patient_perspective),
        "informed-consent": _consent_given(case),
    }
    return [CareItem(f"care/{code}", item, fields, present[code]) for code, item, fields in CARE_ITEMS]


def format_care_table(case: Case) -> str:
    """The CARE table as plain text, one item a line."""
    rows = care_table(case)
    width = max(len(r.item) for r in rows)
    lines = [f"CARE checklist: {case.slug} ({sum(r.present for r in rows)}/{len(rows)} present)"]
    lines += [f"  {'present' if r.present else 'MISSING'}  {r.item:<{width}}  {r.field}" for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------- lints


@dataclass(frozen=True)
class _Pending:
    """A finding before location: the record path it points at, and matched text in it."""

    where: tuple[Any, ...]
    severity: str
    code: str
    message: str
    hint: str
    start: int = -1
    text: str = ""
    key: bool = False


def _care_findings(case: Case) -> list[_Pending]:
    if case.type not in CARE_TYPES:
        return []
    return [_Pending((), "warning", item.code, f"CARE item missing: {item.item}",
                     f"add `{item.field}` (or allow it: check: {{allow: [{item.code}]}})")
            for item in care_table(case) if not item.present and item.code != "care/informed-consent"]


def _consent_findings(case: Case, privacy: str) -> list[_Pending]:
    if case.source is not None or case.status == "draft" or _consent_given(case):
        return []
    where = ("consent",) if case.consent else ()
    if case.consent and case.consent.by == "waived":
        return [_Pending(where, privacy, "consent/missing", "consent waived without a statement",
                         "add consent.statement saying who waived it and why (e.g. the ethics committee)")]
    return [_Pending(where, privacy, "consent/missing",
                     "an original case (no `source`) needs the patient's consent",
                     "set consent: {obtained: true, by: patient} once it is given, or by: waived with a statement")]


_DOI_SHAPE = re.compile(r"^10\.\d{4,9}/[^\s]+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.I)


def _reference_findings(case: Case) -> list[_Pending]:
    items = case.reference_items()
    in_file = isinstance(case.references, list) and case.references_file is not None
    place = (lambda i, key: ("references",)) if in_file else (lambda i, key: ("references", i, key))
    found: list[_Pending] = []
    ids: dict[str, int] = {}
    dois: dict[str, int] = {}
    cited = {k for _, text in case.markdown_fields() for k in cited_keys(text)}
    for i, item in enumerate(items):
        label = f"reference {i + 1}" + (f" ('{item['id']}')" if item.get("id") is not None else "")
        rid = str(item["id"]) if item.get("id") is not None else None
        if rid is not None:
            if rid in ids:
                found.append(_Pending(place(i, "id"), "error", "ref/duplicate-id",
                                      f"duplicate reference id '{rid}' (also reference {ids[rid] + 1})",
                                      "give each reference its own `id`"))
            else:
                ids[rid] = i
            if rid not in cited and rid in ids and ids[rid] == i:
                found.append(_Pending(place(i, "id"), "info", "ref/uncited", f"{label} is not cited",
                                      "normal in a summary; cite it with [@" + rid + "] if the text relies on it",
                                      text=rid))
        doi = item.get("DOI")
        if doi is not None:
            bare = _DOI_PREFIX.sub("", str(doi).strip())
            if not _DOI_SHAPE.match(bare):
                found.append(_Pending(place(i, "DOI"), "warning", "ref/malformed-doi",
                                      f"{label}: '{doi}' is not a DOI", "a DOI looks like 10.1234/abc.5678"))
            elif bare.lower() in dois:
                found.append(_Pending(place(i, "DOI"), "warning", "ref/duplicate-doi",
                                      f"{label}: DOI {bare} is also reference {dois[bare.lower()] + 1}",
                                      "remove the duplicate entry"))
            else:
                dois[bare.lower()] = i
        if not (item.get("title") or "").strip():
            found.append(_Pending(place(i, "title") if "title" in item else place(i, "id"), "warning",
                                  "ref/no-title", f"{label} has no title", "add `title:`"))
        if not _has_year(item.get("issued")):
            found.append(_Pending(place(i, "issued") if "issued" in item else place(i, "id"), "warning",
                                  "ref/no-year", f"{label} has no year",
                                  "add issued: {date-parts: [[YEAR]]}"))
    return found


def _has_year(issued: Any) -> bool:
    if not isinstance(issued, dict):
        return False
    parts = issued.get("date-parts") or []
    if parts and parts[0] and str(parts[0][0]).strip():
        return True
    return bool(re.search(r"\b\d{4}\b", str(issued.get("literal") or issued.get("raw") or "")))


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


_STOP = {"a", "an", "the", "of", "in", "with", "and", "or", "to", "for", "due", "by", "on", "at", "from",
         "case", "disease", "syndrome", "acute", "chronic", "type", "associated", "secondary", "primary"}


def _teaching_findings(case: Case) -> list[_Pending]:
    hidden = "diagnosis" in case.teaching.hide
    final = case.final_diagnosis
    if not hidden or not final:
        return []
    final_text = re.sub(r"\[@[^\]]*\]|\([^)]*\)", " ", final)
    final_words, title_words = _words(final_text), _words(case.title)
    joined = " ".join(final_words)
    content = [w for w in final_words if w not in _STOP and len(w) > 2]
    found = []
    neutral = case.teaching.title  # an unknown case: its title is shown only with the diagnosis
    if neutral:
        title_words = _words(neutral)
    if (joined and f" {joined} " in f" {' '.join(title_words)} ") or (content and set(content) <= set(title_words)):
        found.append(_Pending(("teaching", "title") if neutral else ("title",), "warning", "teaching/title-reveals",
                              "the title gives away the final diagnosis that teaching.hide holds back",
                              "retitle by the presentation (\"A young woman with fever and confusion\")" if neutral else
                              "add `teaching: {title: ...}`, a neutral title shown until the reveal "
                              "(\"Haemoptysis in a 19-year-old woman with lupus\"), or retitle the case"))
    distinctive = {w for w in content if len(w) > 3}
    return found + _labels_revealing(case, set(content)) + _id_revealing(case, distinctive) \
        + _text_revealing(case, distinctive)


def _shared(text: str, distinctive: set[str]) -> list[str]:
    """The distinctive words of a hidden diagnosis that `text` also holds."""
    return sorted(set(_words(text)) & distinctive)


def _id_revealing(case: Case, distinctive: set[str]) -> list[_Pending]:
    """The id is in the page's URL, the handout's and citation files' names and the edit
    link, all seen before the reveal (`teaching/id-reveals`)."""
    shared = _shared(case.slug.replace("_", " ").replace("-", " "), distinctive)
    if not shared:
        return []
    return [_Pending(("id",), "warning", "teaching/id-reveals",
                     f"the case id '{case.slug}' (its URL, file names and edit link) names the hidden "
                     f"diagnosis ({', '.join(shared)})",
                     "give the record a neutral `id:` (or file name), and list the old one under `aliases:`")]


def _text_revealing(case: Case, distinctive: set[str]) -> list[_Pending]:
    """Text shown before the reveal that names the hidden diagnosis (`teaching/text-reveals`):
    the abstract's background and conclusions (unless their sections are hidden too) and
    the figures' captions and alt text."""
    fields: list[tuple[tuple[Any, ...], str]] = []
    if isinstance(case.abstract, dict):
        hidden = set(case.teaching.hide)
        for key in ("background", "conclusions"):
            text = case.abstract.get(key)
            if text and not (key == "conclusions" and "discussion" in hidden):
                fields.append((("abstract", key), markdown_to_text(text)))
    if "figures" not in case.teaching.hide:
        for i, figure in enumerate(case.figures):
            fields += [(("figures", i, "caption"), markdown_to_text(figure.caption or "")), (("figures", i, "alt"), figure.alt)]
    found = []
    for path, text in fields:
        shared = _shared(text, distinctive)
        if shared:
            found.append(_Pending(path, "warning", "teaching/text-reveals",
                                  f"this text is shown before the reveal and names the hidden diagnosis "
                                  f"({', '.join(shared)})",
                                  "describe what is seen, not what it is, or hide this section too"))
    return found


def _labels_revealing(case: Case, diagnosis_words: set[str]) -> list[_Pending]:
    """Tags and keywords print above the reveal (and in listings): one that shares a
    distinctive word (over three letters, not a stop word) with a hidden final diagnosis
    gives it away."""
    found = []
    for field_name in ("tags", "keywords"):
        for i, label in enumerate(getattr(case, field_name) or []):
            shared = sorted(w for w in set(_words(label)) - _STOP if len(w) > 3 and w in diagnosis_words)
            if shared:
                found.append(_Pending((field_name, i), "warning", "teaching/label-reveals",
                                      f"the {field_name[:-1]} {label!r} names the final diagnosis that "
                                      "teaching.hide holds back",
                                      f"describe the presentation instead, or move it out of `{field_name}`"))
    return found


def _question_findings(case: Case) -> list[_Pending]:
    """A question must be answerable and teach: at least one correct option
    (`teaching/no-correct-option`, an error: the page could not score it), no two options
    alike (`teaching/duplicate-option`), an explanation for every option
    (`teaching/no-explanation`), and a stem that does not give away a hidden section the
    reader meets after it (`teaching/stem-reveals`)."""
    found = []
    for i, question in enumerate(case.questions):
        if not any(o.correct for o in question.options):
            found.append(_Pending(("questions", i, "options"), "error", "teaching/no-correct-option",
                                  f"question '{question.id}' has no correct option",
                                  "mark the right option(s) with `correct: true`"))
        seen: dict[str, int] = {}
        for j, option in enumerate(question.options):
            words = " ".join(_words(markdown_to_text(option.text)))
            if words in seen:
                found.append(_Pending(("questions", i, "options", j, "text"), "warning",
                                      "teaching/duplicate-option",
                                      f"question '{question.id}': option {j + 1} is the same as option {seen[words] + 1}",
                                      "make every option a different answer"))
            seen.setdefault(words, j)
            if not (option.explanation or "").strip():
                found.append(_Pending(("questions", i, "options", j), "warning", "teaching/no-explanation",
                                      f"question '{question.id}': option {j + 1} has no explanation",
                                      "add `explanation:` saying why it is (or is not) the answer"))
    return found + _stems_revealing(case)


REVEALING_RUN = 4
"""Words in a row that a stem may not share with a hidden section it comes before (when
at least two of them are distinctive: over three letters, not a stop word)."""


def _stems_revealing(case: Case) -> list[_Pending]:
    hidden = set(case.teaching.hide)
    if not hidden or not case.questions:
        return []
    places = question_places(case, hidden)
    order = ["abstract", *section_order(case)]
    texts = _hidden_texts(case, hidden)
    found = []
    for after, numbered in places.items():
        later = [name for name in order[order.index(after) + 1:] if name in hidden and name in texts]
        for _, question in numbered:
            stem = _words(markdown_to_text(question.stem))
            for name in later:
                shared = _shared_run(stem, texts[name]) or (
                    _names_diagnosis(stem, case) if name == "diagnosis" else None)
                if shared:
                    i = case.questions.index(question)
                    found.append(_Pending(("questions", i, "stem"), "warning", "teaching/stem-reveals",
                                          f"the stem of question '{question.id}' gives away the hidden "
                                          f"{name.replace('_', ' ')} that follows it ('{shared}')",
                                          "ask without naming it, or move the question after that section (`after:`)"))
                    break
    return found


def _hidden_texts(case: Case, hidden: set[str]) -> dict[str, list[str]]:
    """The words of each hidden section (its Markdown fields, table cells and the abstract
    parts of its subject)."""
    texts: dict[str, list[str]] = {}
    for path, text in case.markdown_fields():
        name = ABSTRACT_SECTION.get(path[1], "") if path[0] == "abstract" and len(path) > 1 else path[0]
        if name in hidden:
            texts.setdefault(name, []).extend(_words(markdown_to_text(text)) + ["|"])
    for name, rows in (("investigations", case.investigations), ("management", case.management)):
        if name in hidden:
            for row in rows:
                cells = [str(v) for v in row.model_dump().values() if isinstance(v, (str, int)) and v != ""]
                texts.setdefault(name, []).extend(_words(" ".join(cells)) + ["|"])
    return texts


def _shared_run(stem: list[str], words: list[str]) -> str | None:
    """A run of `REVEALING_RUN` words of `stem`, two of them distinctive, also in `words`."""
    runs = {tuple(words[k:k + REVEALING_RUN]) for k in range(len(words) - REVEALING_RUN + 1)}
    for k in range(len(stem) - REVEALING_RUN + 1):
        run = tuple(stem[k:k + REVEALING_RUN])
        if run in runs and sum(w not in _STOP and len(w) > 3 for w in run) >= 2:
            return " ".join(run)
    return None


def _names_diagnosis(stem: list[str], case: Case) -> str | None:
    """The hidden final diagnosis named in a stem: all its distinctive words."""
    final = _words(re.sub(r"\[@[^\]]*\]|\([^)]*\)", " ", markdown_to_text(case.final_diagnosis)))
    content = [w for w in final if w not in _STOP and len(w) > 2]
    return " ".join(content) if content and set(content) <= set(stem) else None


def _age_findings(case: Case, privacy: str) -> list[_Pending]:
    found = []
    people = [(("patient",), case.patient)] if case.patient else []
    people += [(("patients", i), p) for i, p in enumerate(case.patients)]
    for path, person in people:
        if isinstance(person.age, int) and person.age_unit == "years" and person.age > 89:
            found.append(_Pending(path + ("age",), privacy, "privacy/age", f"age {person.age} is over 89",
                                  "write age: \"90+\""))
    return found


def _remote_image_findings(case: Case, values: dict[tuple[Any, ...], str]) -> list[_Pending]:
    """An image in a Markdown field must be a file of the site: one at another address
    (`http:`, `//host`, `data:` ...) would make readers' browsers contact other hosts.
    An error at the address; `markup` leaves such images out of the page in any case."""
    found = []
    for path, text in case.markdown_fields():
        start = 0
        for src in remote_images(text):
            at = text.find(src, start)
            start = at + 1 if at >= 0 else start
            values.setdefault(path, text)
            shown = src if len(src) <= 80 else src[:77] + "..."
            found.append(_Pending(path, "error", "publish/remote-image",
                                  f"image '{shown}' is not a file of the site (readers' browsers would fetch it)",
                                  "put the image under cases/ and add it under `figures:`, or make it a link: "
                                  "[text](URL)", at, src if at >= 0 else ""))
    return found


# --------------------------------------------------------------------------- EXIF


def _exif_findings(case: Case, cases_dir: Path, privacy: str) -> list[_Pending]:
    found = []
    for i, figure in enumerate(case.figures):
        kinds = image_metadata(cases_dir / figure.file)
        if kinds:
            found.append(_Pending(("figures", i, "file"), privacy, "privacy/exif",
                                  f"image '{figure.file}' carries metadata ({', '.join(kinds)})",
                                  "run `grandrounds check --strip-exif` to remove it"))
    return found


# --------------------------------------------------------------------------- locating


_MARKER = re.compile(r"(?:^|\s)#\s*grandrounds:\s*allow\b([^\n#]*)")


def allow_markers(text: str) -> dict[int, set[str]]:
    """Inline `# grandrounds: allow [CODE ...]` markers by line (1-based); an empty set
    allows every code."""
    found: dict[int, set[str]] = {}
    if "grandrounds:" not in text:
        return found
    for number, line in enumerate(text.splitlines(), 1):
        m = _MARKER.search(line)
        if m:
            found[number] = set(re.split(r"[\s,]+", m.group(1).strip())) - {""}
    return found


def _allowed(code: str, allowed: Iterable[str], text: str = "") -> bool:
    """Whether an allow entry covers a finding: a code (`privacy/phone`), a family
    (`privacy`, `care`), or a code with the exact text allowed (`privacy/place: Mayo Clinic`)."""
    for entry in allowed:
        name, sep, quoted = entry.partition(": ")
        name = name.strip().rstrip("/")
        if name and (name == code or code.startswith(name + "/")):
            if not sep or quoted.strip().strip("'\"").lower() == text.lower():
                return True
    return False


class _Locator:
    """Puts pending findings at file:line:col, reading the file only when needed."""

    def __init__(self, path: Path):
        self.path = path
        self.shown = display_path(path)
        self.text = read_text(path)
        self._raw: Any = None
        self._starts: list[int] | None = None
        self._ids: dict[str, list[int]] | None = None

    @property
    def raw(self) -> Any:
        """The record's YAML node tree, parsed on first use (only findings with a place
        in the record need it)."""
        if self._raw is None:
            self._raw = load_record(self.path)
        return self._raw

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            self._starts = [0] + [m.end() for m in re.finditer("\n", self.text)]
        return self._starts

    def node(self, where: tuple[Any, ...]) -> tuple[yaml.Node | None, yaml.Node | None]:
        node, key_node = self.raw.root, None
        for part in where:
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value
                              if isinstance(k, yaml.ScalarNode) and k.value == str(part)), None)
                if match is None:
                    return node, key_node
                key_node, node = match
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                key_node, node = node, node.value[part]
            else:
                break
        return node, key_node

    def index(self, mark: yaml.Mark) -> int:
        return self.starts[min(mark.line, len(self.starts) - 1)] + mark.column

    def position(self, index: int) -> tuple[int, int]:
        line = bisect.bisect_right(self.starts, index) - 1
        return line + 1, index - self.starts[line] + 1

    _ID_LINE = re.compile(r"(?:^[ \t-]*|[{,][ \t]*)id:[ \t]*(['\"]?)([^'\"\s,{}#]+)\1[ \t]*(?=$|[,}#])", re.M)

    def _id_line(self, rid: str) -> tuple[int, int, int] | None:
        """Where `id: RID` is written, found in the text (one scan for all ids) when it is
        written once, in block (`- id: x`) or flow (`{id: x, ...}`) style."""
        if self._ids is None:
            self._ids = {}
            for m in self._ID_LINE.finditer(self.text):
                self._ids.setdefault(m.group(2), []).append(m.start(2) - len(m.group(1)))
        hits = self._ids.get(rid, [])
        if len(hits) != 1:
            return None
        line, col = self.position(hits[0])
        return line, col, line

    def locate(self, item: _Pending, value: str) -> tuple[int, int, int]:
        """(line, col, line of the field's key) of a pending finding."""
        if not item.where:
            return 1, 1, 1
        if item.where[0] == "references" and item.where[-1] == "id" and item.text:
            found = self._id_line(item.text)  # uncited references are common: spare the parse
            if found:
                return found
        node, key_node = self.node(item.where)
        anchor = key_node or node
        key_line = anchor.start_mark.line + 1 if anchor is not None else 1
        if node is None:
            return 1, 1, key_line
        start = self.index(node.start_mark)
        if item.start < 0 or not isinstance(node, yaml.ScalarNode):
            return node.start_mark.line + 1, node.start_mark.column + 1, key_line
        segment = self.text[start:self.index(node.end_mark)]
        nth = value.count(item.text, 0, item.start) if item.text else 0
        pattern = r"\s+(?:#\s*)?".join(re.escape(part) for part in item.text.split()) if item.text else ""
        found = list(re.finditer(pattern, segment)) if pattern else []
        if not found:
            return node.start_mark.line + 1, node.start_mark.column + 1, key_line
        line, col = self.position(start + found[min(nth, len(found) - 1)].start())
        return line, col, key_line


# --------------------------------------------------------------------------- running


def _case_allow_list(case: Case) -> list[str]:
    return list(case.check.allow) if getattr(case, "check", None) else []


def check_case(case: Case, *, privacy: str = "warning", cases_dir: Optional[Path] = None) -> list[Finding]:
    """Every lint finding of one validated case, located and with allowed ones dropped."""
    if privacy not in ("warning", "error"):
        raise ValueError("privacy must be 'warning' or 'error'")
    values: dict[tuple[Any, ...], str] = {}
    pending: list[_Pending] = []
    for path, text in patient_fields(case):
        values[path] = text
        hits = privacy_hits(path, text)
        for hit in hits[:MAX_FINDINGS_PER_FIELD]:
            pending.append(_Pending(path, privacy, hit.code, hit.message, hit.hint, hit.start, hit.text))
        if len(hits) > MAX_FINDINGS_PER_FIELD:  # each located finding re-reads its field
            rest = hits[MAX_FINDINGS_PER_FIELD:]
            pending.append(_Pending(path, privacy, rest[0].code, f"and {len(rest):,} more privacy findings "
                                    f"in this field after the first {MAX_FINDINGS_PER_FIELD}",
                                    "fix the ones shown and run check again"))
    pending += _age_findings(case, privacy)
    pending += _consent_findings(case, privacy)
    pending += _care_findings(case)
    pending += _reference_findings(case)
    pending += _teaching_findings(case)
    pending += _question_findings(case)
    pending += _remote_image_findings(case, values)
    source = Path(case.source_path or "")
    pending += _exif_findings(case, cases_dir or source.parent, privacy)
    allow = _case_allow_list(case)
    pending = [p for p in pending if not _allowed(p.code, allow, p.text)]
    if not pending:
        return []
    try:
        locator: Optional[_Locator] = _Locator(source)
    except (CaseErrors, OSError):
        locator = None
    markers = allow_markers(locator.text) if locator else {}
    shown = locator.shown if locator else display_path(source)
    findings = []
    for item in pending:
        line, col, key_line = locator.locate(item, values.get(item.where, "")) if locator else (1, 1, 1)
        silenced = [markers[n] for n in {line, key_line} if n in markers]
        if any(not codes or _allowed(item.code, codes) for codes in silenced):
            continue
        findings.append(Finding(shown, line, col, item.severity, item.code, item.message, item.hint))
    return sorted(findings, key=lambda f: (f.line, f.col, f.code))


def publish_findings(library: Any) -> list[Finding]:
    """What `publish` says about the files of the library's cases folder: links that leave
    it and other files it refuses (errors), files it leaves out (information), and HTML/SVG
    that nothing uses (warnings; only when every record of the folder was read)."""
    from ..site import publish
    from ..record.library import find_case_files

    root = Path(library.cases_dir)
    records = find_case_files(root)
    complete = all(library.case_for(p) is not None or library.errors_for(p) is not None for p in records)
    plan = publish.plan(root, publish.walk(root), cases=library.cases, shown=library.cases,
                        records=records, complete=complete)
    return [Finding(f.problem.path, f.problem.line, f.problem.col, f.severity, f.code, f.problem.message,
                    f.problem.hint) for f in plan.findings]


def problem_finding(problem: Problem) -> Finding:
    """A schema/library problem (always an error) as a finding."""
    code = "ref/undefined" if problem.message.startswith("citation '@") else "schema"
    return Finding(problem.path, problem.line, problem.col, "error", code, problem.message, problem.hint)


@dataclass
class Checker:
    """Findings of a library's cases, re-computed only for cases whose content changed
    (`Case.version`: a record re-read with the same content is not checked again)."""

    privacy: str = "warning"
    handouts: bool = False
    """Also estimate each case's handout (`handout/too-long`): `grandrounds check` does, so
    it finds what `grandrounds handout` and a `handouts: true` build would refuse."""
    _cache: dict[str, tuple[str, list[Finding]]] = field(default_factory=dict)  # key -> (version, findings)

    fresh: list[Finding] = field(default_factory=list)
    """The findings of the records checked anew by the last `run` (the rest were cached)."""

    def run(self, library: Any, include_drafts: bool = True, include_problems: bool = True) -> list[Finding]:
        """Findings of every case (and, with `include_problems`, the library's schema
        errors); only cases whose `Case` object changed are checked again, on every core
        when there are many (a cold build)."""
        findings = [problem_finding(p) for p in library.problems] if include_problems else []
        if include_problems:  # the folder's files (the MkDocs plugin reports these itself)
            findings += publish_findings(library)
        cases = [c for c in library.cases if include_drafts or c.status != "draft"]
        keys = [c.source_path or c.slug for c in cases]
        stale = [(key, case) for key, case in zip(keys, cases)
                 if key not in self._cache or self._cache[key][0] != case.version]
        results = map_forked(_check_one, [(case, self.privacy, library.cases_dir, self.handouts)
                                          for _, case in stale])
        self.fresh = []
        for (key, case), result in zip(stale, results):
            self._cache[key] = (case.version, result)
            self.fresh += result
        for gone in set(self._cache) - set(keys):
            del self._cache[gone]
        for key in keys:
            findings += self._cache[key][1]
        return findings


def _check_one(job: tuple[Case, str, Path, bool]) -> list[Finding]:
    case, privacy, cases_dir, handouts = job
    findings = check_case(case, privacy=privacy, cases_dir=cases_dir)
    return findings + (handout_findings(case) if handouts else [])


def handout_findings(case: Case) -> list[Finding]:
    """`handout/too-long` when the case's handout is estimated past the page budget that
    `handout` refuses (`handout.page_budget_problem`; ~2 ms a case, no layout)."""
    from .. import handout

    source = display_path(case.source_path or case.slug)
    problem = handout.page_budget_problem(handout.handout_html([case], handout.HandoutOptions()), source)
    if problem is None:
        return []
    return [Finding(problem.path, problem.line, problem.col, "warning", "handout/too-long",
                    problem.message, problem.hint)]


# --------------------------------------------------------------------------- output


def format_findings(findings: list[Finding], fmt: str = "text") -> str:
    """Findings as `text` (one line each), `json` (a list) or `github` (Actions annotations)."""
    if fmt == "json":
        return json.dumps([asdict(f) for f in findings], indent=2, ensure_ascii=False)
    if fmt == "github":
        level = {"error": "error", "warning": "warning", "info": "notice"}
        lines = []
        for f in findings:
            message = f"{f.message}; {f.hint}" if f.hint else f.message
            message = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
            title = f.code.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
            path = f.path.replace(",", "%2C").replace(":", "%3A")
            lines.append(f"::{level[f.severity]} file={path},line={f.line},col={f.col},title={title}::{message}")
        return "\n".join(lines)
    return "\n".join(str(f) for f in findings)
