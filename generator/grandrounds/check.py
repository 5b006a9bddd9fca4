"""Stage `check`: lints over validated cases, beyond what the schema can say.

Owns every finding that is not a schema error:

- **privacy** (de-identification, after HIPAA Safe Harbor and the ICMJE patient-privacy
  rules) over the fields that can describe the patient (`PATIENT_FIELDS`; never authors,
  acknowledgements, funding, references or source): dates finer than a year, ages over 89,
  names after titles, phone numbers, e-mail, URLs and IP addresses, record-like numbers,
  postal codes and street addresses, named hospitals and towns, image files with EXIF;
  and the consent rule of DESIGN.md. Warnings by default, errors with `privacy="error"`.
- **CARE completeness** (13 items) for `case-report` and `case-series` records.
- **references**: duplicate ids and DOIs, malformed DOIs, no year, no title (warnings);
  uncited (information, DESIGN.md). Cited-but-undefined is a schema error from `library`.
- **teaching**: a title that gives away a hidden final diagnosis.

Rules are precompiled regular expressions run on the validated values (so a clean record
costs no YAML work); only when a record has findings is its file parsed again, to put each
finding at the line and column of the matched text, inside block scalars too, and to read
the inline `# grandrounds: allow CODE` markers that YAML parsers drop. `Checker` caches
findings per validated `Case` object, so `serve` re-checks only records that changed.

No NLP model: the offline PHI detectors (Presidio with spaCy, Philter, NeuroNER ...) need
model downloads this tool cannot assume; these rules are deterministic and explainable.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import struct
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Optional

import yaml

from .errors import CaseErrors, Problem, display_path
from .load import load_record, read_text
from .markup import cited_keys
from .model import Case

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
        return f"{text}; {self.hint}" if self.hint else text


# --------------------------------------------------------------------------- privacy rules

_MONTHS = (r"(?:Jan(?:uary|\.)?|Feb(?:ruary|\.)?|Mar(?:ch|\.)?|Apr(?:il|\.)?|May|June?|July?|"
           r"Aug(?:ust|\.)?|Sep(?:t(?:ember|\.)?|\.)?|Oct(?:ober|\.)?|Nov(?:ember|\.)?|Dec(?:ember|\.)?)")
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_NOT_NUM_BEFORE = r"(?<![\w.,/^~+-])"
_NOT_NUM_AFTER = r"(?![\w/^~]|[.,]\d)"

_US_STATES = ("AL AK AZ AR CA CO CT DE FL GA HI IA IL IN KS KY LA MA MD ME MI MN MO MS MT NC ND NE "
              "NH NJ NM NV NY OH OK OR PA RI SC SD TN TX UT VA VT WA WI WV WY DC").split()

_PLACE_OK = {w.lower() for w in """
Afghanistan Albania Algeria Angola Argentina Armenia Australia Austria Azerbaijan Bahamas Bahrain
Bangladesh Belarus Belgium Belize Benin Bhutan Bolivia Bosnia Botswana Brazil Brunei Bulgaria Burundi
Cambodia Cameroon Canada Chad Chile China Colombia Congo Croatia Cuba Cyprus Czechia Denmark Djibouti
Ecuador Egypt Eritrea Estonia Eswatini Ethiopia Fiji Finland France Gabon Gambia Georgia Germany Ghana
Greece Guatemala Guinea Guyana Haiti Honduras Hungary Iceland India Indonesia Iran Iraq Ireland Israel
Italy Jamaica Japan Jordan Kazakhstan Kenya Korea Kosovo Kuwait Laos Latvia Lebanon Lesotho Liberia
Libya Lithuania Luxembourg Madagascar Malawi Malaysia Maldives Mali Malta Mauritania Mauritius Mexico
Moldova Mongolia Montenegro Morocco Mozambique Myanmar Namibia Nepal Netherlands Nicaragua Niger Nigeria
Norway Oman Pakistan Panama Paraguay Peru Philippines Poland Portugal Qatar Romania Russia Rwanda Samoa
Senegal Serbia Singapore Slovakia Slovenia Somalia Spain Sudan Suriname Sweden Switzerland Syria Taiwan
Tajikistan Tanzania Thailand Togo Tonga Tunisia Turkey Turkmenistan Uganda Ukraine Uruguay Uzbekistan
Venezuela Vietnam Yemen Zambia Zimbabwe England Scotland Wales Britain
Alabama Alaska Arizona Arkansas California Colorado Connecticut Delaware Florida Hawaii Idaho Illinois
Indiana Iowa Kansas Kentucky Louisiana Maine Maryland Massachusetts Michigan Minnesota Mississippi
Missouri Montana Nebraska Nevada Ohio Oklahoma Oregon Pennsylvania Tennessee Texas Utah Vermont Virginia
Washington Wisconsin Wyoming Ontario Quebec Alberta Manitoba Saskatchewan Queensland Victoria Tasmania
Africa Asia Europe America Americas Oceania Antarctica Arctic Caribbean Scandinavia Siberia Sahara
Amazon Himalayas Andes Balkans Mediterranean Middle East Midwest
""".split()} | {"new", "north", "south", "east", "west", "united", "the", "sub", "saharan",
                  "central", "western", "eastern", "northern", "southern", "latin", "rural", "urban",
                  "hampshire", "jersey", "mexico", "york", "carolina", "dakota", "zealand", "guinea",
                  "states", "kingdom", "arab", "emirates", "africa", "sri", "lanka", "costa", "rica",
                  "el", "salvador", "saudi", "arabia", "papua", "sierra", "leone", "ivory", "coast",
                  "czech", "republic", "dominican", "island", "islands", "wales", "columbia", "island",
                  "asia", "america", "ireland", "korea", "britain", "territory", "province", "region",
                  "state", "country", "countryside", "coast", "area", "uk", "us", "usa", "eu", "mainland"}

_INSTITUTION_GENERIC = {w.lower() for w in """
The A An Our This That Their His Her Its Local District General Regional University Community
Teaching Tertiary Secondary Primary Private Public Rural Urban Psychiatric Children's Childrens
Women's Veterans Military Field Referral Referring Outpatient Inpatient Day Emergency Specialist
Specialty Fever Memory Pain Sleep Travel Eye Heart Cancer Mental Health Care Medical Maternity
Rheumatology Cardiology Neurology Oncology Haematology Hematology Nephrology Hepatology Dermatology
Endocrinology Gastroenterology Respiratory Paediatric Pediatric Diabetes Antenatal Prenatal Postnatal
Fracture Vascular Renal Dialysis Transplant Infectious Diseases Sexual HIV TB Tuberculosis Chest
Allergy Immunology Genetics Genetic Lipid Stroke Falls Surgical Orthopaedic Orthopedic Trauma
Rehabilitation Geriatric Anticoagulation Rapid Access Walk-in Urgent Family Free Mobile Nurse-led
Hospital Clinic Infirmary Anxiety Depression Scale Acquired Associated Discharge Admission Based
Rheumatologic Multidisciplinary Tertiary-care State Federal National Government Provincial County
""".split()}

_DOI = re.compile(r"10\.\d{4,9}/\S+")
_URL_HOSTS_OK = re.compile(
    r"^(?:https?://)?(?:www\.)?(?:(?:dx\.)?doi\.org|(?:pubmed\.)?ncbi\.nlm\.nih\.gov|europepmc\.org|clinicaltrials\.gov|"
    r"who\.int|nice\.org\.uk|cdc\.gov|nih\.gov|orcid\.org|cochranelibrary\.com|[\w.-]+\.gov(?:\.[a-z]{2})?)(?:[/:]|$)", re.I)
"""Literature and guideline sites: a link there cites a source, it does not identify anyone."""


@dataclass(frozen=True)
class _Rule:
    code: str
    family: str
    pattern: re.Pattern[str]
    message: str
    hint: str
    accept: Optional[Callable[[re.Match[str]], bool]] = None
    report: tuple[str, ...] = ()  # named groups to report instead of the whole match
    gate: Optional[Callable[["_Field"], bool]] = None  # a cheap test a field must pass first


@dataclass
class _Field:
    """One field's text with what the rule gates ask of it, computed once."""

    text: str
    digits: int
    lower: str


_NO_DIGITS = str.maketrans("", "", "0123456789")


def _field(text: str) -> _Field:
    return _Field(text, len(text) - len(text.translate(_NO_DIGITS)), text.lower())


def _has(*parts: str) -> Callable[[_Field], bool]:
    """A gate: the text contains one of `parts` (one C-speed regex scan)."""
    pattern = re.compile("|".join(map(re.escape, parts)))
    return lambda f: pattern.search(f.text) is not None


def _has_lower(*parts: str) -> Callable[[_Field], bool]:
    pattern = re.compile("|".join(map(re.escape, parts)))
    return lambda f: pattern.search(f.lower) is not None


def _matches(regex: str) -> Callable[[_Field], bool]:
    pattern = re.compile(regex)
    return lambda f: pattern.search(f.text) is not None


_NANP = re.compile(r"(?:1[\s.-])?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}")


def _phone_ok(m: re.Match[str]) -> bool:
    """International (+...), trunk-prefixed (0..., (0...)) or North American (3-3-4)
    numbers; lists of small numbers ("7 10 14 21 28") are not phone numbers."""
    text = m.group(0)
    digits = sum(ch.isdigit() for ch in text)
    if text.startswith("+"):
        return 8 <= digits <= 15
    if text.lstrip("(").startswith("0"):
        return 10 <= digits <= 12
    return bool(_NANP.fullmatch(text))


_EPONYM_AFTER = re.compile(r"\s+(?:criteria|classification|algorithm|score|scale|protocol|staging|approach|"
                           r"guidelines?|formula|method|model|procedure|technique|experience|series|cohort)s?\b", re.I)


def _institution_ok(m: re.Match[str]) -> bool:
    if _EPONYM_AFTER.match(m.string, m.end()):  # "Mayo Clinic criteria" names a method, not a place
        return False
    words = re.findall(r"[A-Za-z][\w'’.-]*", m.group("name"))
    return any(w.lower().rstrip(".") not in _INSTITUTION_GENERIC for w in words)


def _record_number_ok(m: re.Match[str]) -> bool:
    """An identifier after a record keyword: 5+ digits, or 4+ mixed with letters or
    hyphens (not a year such as "case 2019")."""
    ident = m.group("id")
    if ident is None:
        return True
    digits = sum(ch.isdigit() for ch in ident)
    return digits >= 5 or (digits >= 4 and not re.fullmatch(r"\d{4}", ident.strip()))


def _date_numeric_ok(m: re.Match[str]) -> bool:
    a, b = int(m.group("a")), int(m.group("b") or m.group("b2"))
    return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)


_RECORD_WORDS = re.compile(
    r"mrn|ur |nhs|ssn|chi |npi|dea |medicare|medicaid|record|hospital|patient|chart|account|acct|case|health|insurance|"
    r"policy|member|beneficiary|licen|passport|security|serial|s/n|device|pacemaker|implant|lot |registration|vin|"
    r"sample|specimen|accession")
_POSTAL_GATE = re.compile(r"[A-Z]\d|\d{5}|[Cc]ode")


_RULES: tuple[_Rule, ...] = (
    _Rule("privacy/date", "date", re.compile(
        _NOT_NUM_BEFORE + r"(?:19|20)\d\d(?:([-/.])(?:0?[1-9]|1[0-2])\1(?:0?[1-9]|[12]\d|3[01])|-0[1-9])" + _NOT_NUM_AFTER),
        "calendar date finer than a year", "write a relative time instead (\"day 3\", \"two weeks later\") or the year alone",
        gate=lambda f: f.digits >= 6 and ("19" in f.text or "20" in f.text)),
    _Rule("privacy/date", "date", re.compile(
        _NOT_NUM_BEFORE + r"(?P<a>\d{1,2})(?:([/.-])(?P<b>\d{1,2})\2\d{4}|([/.])(?P<b2>\d{1,2})\4\d{2})" + _NOT_NUM_AFTER),
        "calendar date finer than a year", "write a relative time instead (\"day 3\", \"two weeks later\") or the year alone",
        _date_numeric_ok, gate=_matches(r"\d[/.-]\d{1,2}[/.-]\d")),
    _Rule("privacy/date", "date", re.compile(
        r"\b" + _DAY + r"(?:\s+of)?[\s-]+" + _MONTHS + r"(?![a-z])(?:[\s,-]+\d{2,4})?"
        r"|\b" + _MONTHS + r"\s+" + _DAY + r"\b(?:,?\s+\d{4})?"
        r"|\b" + _MONTHS + r",?\s+(?:19|20)\d\d\b"
        r"|\b(?:(?:[Ii]n|[Oo]n|[Ss]ince|[Dd]uring|[Uu]ntil|[Bb]y|[Ee]arly|[Ll]ate|[Ll]ast|[Tt]his|[Nn]ext|[Bb]efore|[Aa]fter)\s+|[Mm]id-?\s*)(?:January|February|March|April|June|July|August|September|October|November|December)\b"),
        "calendar date finer than a year", "write a relative time instead (\"day 3\", \"two weeks later\") or the year alone",
        gate=_has("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")),
    _Rule("privacy/age", "age", re.compile(
        r"\b(?:(?:9\d|1[0-4]\d)(?:[- ](?:years?|yrs?)[- ]old|[- ]?(?:y/?o|yo|y\.o\.)\b|[- ]years?[- ]of[- ]age|[- ]year-old)"
        r"|[Aa]ged?\s+(?:9\d|1[0-4]\d)(?![\d+])(?:\s+years)?"
        r"|(?:in\s+)?(?:his|her|their)\s+(?:late\s+|early\s+|mid-)?(?:90s|nineties|hundreds)"
        r"|nonagenarian|centenarian|ninety[- ](?:one|two|three|four|five|six|seven|eight|nine)?[- ]?years?[- ]old"
        r"|(?:one\s+)?hundred(?:[- ]and)?[- ]\w+[- ]years?[- ]old)"),
        "age over 89", "write the age as \"90+\" (patient.age: \"90+\", and \"over 90\" in text)",
        gate=lambda f: ("9" in f.text or "1" in f.text or "ninet" in f.lower or "hundred" in f.lower
                        or "nonagen" in f.lower or "centenar" in f.lower)
        and any(w in f.lower for w in ("year", "yr", "yo", "y/o", "y.o", "age", "90s", "ninet", "nonagen",
                                       "centenar", "hundred"))),
    _Rule("privacy/name", "name", re.compile(
        r"\b(?:Mrs|Mr|Ms|Miss|Mx|Dr|Prof|Sr)\.?\s+(?:[A-Z][a-z'’-]+(?:[- ][A-Z][a-z'’-]+)?|[A-Z]\.?(?:\s?[A-Z]\.?)?)(?![\w])"
        r"|\b(?:patient|woman|man|boy|girl|child|son|daughter|husband|wife|mother|father|brother|sister|partner|"
        r"baby|infant|friend|neighbou?r|carer|grandson|granddaughter),?\s+(?:who\s+(?:is|was)\s+)?(?:named|called)\s+[A-Z][a-z'’-]+"
        r"|\b(?:[Nn]ame\s+(?:is|was))\s+[A-Z][a-z'’-]+(?:\s+[A-Z][a-z'’-]+)?"
        r"|\b(?:[Pp]atient|[Ii]nitials)\s+[A-Z]\.\s?[A-Z]\.(?:\s?[A-Z]\.)?"),
        "a name (or initials) after a title", "refer to the person by role (\"the patient\", \"her husband\", \"the treating physician\")",
        gate=_has("Mr", "Ms", "Miss", "Mx", "Dr", "Prof", "Sr", "named", "called", "ame is", "ame was", "nitials",
                  "atient ")),
    _Rule("privacy/phone", "contact", re.compile(
        r"(?<![\w.,/^~+-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,5}\)[\s.-]?)?\d{2,5}(?:[\s.-]\d{2,5}){1,4}(?![\w/^~]|[.,]\d|-\d)"),
        "phone or fax number", "remove it", _phone_ok, gate=lambda f: f.digits >= 8),
    _Rule("privacy/phone", "contact", re.compile(
        r"\b(?:[Tt]el(?:ephone)?|[Pp]hone|[Ff]ax|[Mm]obile|[Cc]ell|[Pp]ager|[Bb]leep|call(?:ed)?)(?:\s+(?:number|no\.?))?[:.]?\s*\+?[\d(][\d\s().-]{5,}\d"),
        "phone or fax number", "remove it",
        gate=_has_lower("tel", "phone", "fax", "mobile", "cell", "pager", "bleep", "call")),
    _Rule("privacy/email", "contact", re.compile(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
          "e-mail address", "remove it", gate=_has("@")),
    _Rule("privacy/url", "contact", re.compile(r"\bhttps?://[^\s)>\]]+|\bwww\.[^\s)>\]]+"),
          "URL in a field that describes the patient", "remove it, or cite the page under `references:`",
          lambda m: not _URL_HOSTS_OK.match(m.group(0)), gate=_has_lower("http", "www.")),
    _Rule("privacy/ip", "contact", re.compile(
        r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"),
        "IP address", "remove it", gate=_matches(r"\d\.\d{1,3}\.\d{1,3}\.\d")),
    _Rule("privacy/record-number", "record-number", re.compile(
        r"(?<![\w-])(?:MRN|UR|NHS|SSN|CHI|NPI|DEA|Medicare|Medicaid|[Mm]edical[- ]record|[Hh]ospital|[Pp]atient|[Cc]hart|[Aa]ccount|[Aa]cct|[Cc]ase|"
        r"[Hh]ealth[- ]plan|[Ii]nsurance|[Pp]olicy|[Mm]ember(?:ship)?|[Bb]eneficiary|[Ll]icen[cs]e|[Pp]assport|[Ss]ocial [Ss]ecurity|"
        r"[Ss]erial|S/N|[Dd]evice|[Pp]acemaker|[Ii]mplant|[Ll]ot|[Rr]egistration|VIN|[Rr]ecord|[Ss]ample|[Ss]pecimen|[Aa]ccession)"
        r"(?:\s+(?:ID|[Nn]umber|[Nn]o\.?|[Cc]ode|#))?\s*[:#]?\s*(?P<id>[A-Z0-9][A-Z0-9/-]*(?: [A-Z0-9][A-Z0-9/-]*){0,2})\b"),
        "record-like number (medical record, account, plan, licence, device serial)", "remove it",
        _record_number_ok, gate=lambda f: f.digits >= 4 and _RECORD_WORDS.search(f.lower) is not None),
    _Rule("privacy/record-number", "record-number", re.compile(
        r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])|(?<![\w&])#\s?\d{5,}\b"),
        "record-like number (medical record, account, plan, licence, device serial)", "remove it",
        gate=lambda f: f.digits >= 5 and ("#" in f.text or "-" in f.text)),
    _Rule("privacy/postal", "location", re.compile(
        r"\b(?:" + "|".join(_US_STATES) + r")\s+\d{5}(?:-\d{4})?\b(?!\s*(?:[a-zµ%/]|U\b|IU\b))"
        r"|\b[A-Z]{1,2}\d[A-Z\d]?\s\d[ABD-HJLNP-UW-Z]{2}\b"
        r"|\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s\d[ABCEGHJ-NPRSTV-Z]\d\b"
        r"|\b(?:[Zz]ip|[Pp]ost(?:al)?)\s?[Cc]ode\s*:?\s*[A-Z0-9]{3,}(?:[\s-][A-Z0-9]{3,4})?"),
        "postal code", "remove it; at most name the state or country",
        gate=lambda f: f.digits >= 1 and _POSTAL_GATE.search(f.text) is not None),
    _Rule("privacy/address", "location", re.compile(
        r"\b\d{1,5}[A-Za-z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Boulevard|Blvd|Court|Ct|Place|Pl|Way|Terrace|Close|Crescent|Highway|Hwy|Square|Parkway)\b\.?"
        r"|\b(?:[A-Z][a-z]+\s+){1,2}(?:Street|Road|Avenue|Lane|Boulevard|Terrace|Crescent)\b"
        r"|\bP\.?\s?O\.?\s+Box\s+\d+|\b(?:[Aa]partment|Apt\.?)\s+#?\d+[A-Z]?\b"),
        "street address", "remove it; at most name the state or country",
        gate=_has("Street", "St", "Road", "Rd", "Avenue", "Ave", "Lane", "Ln", "Drive", "Boulevard", "Blvd", "Court",
                  "Ct", "Place", "Pl", "Way", "Terrace", "Close", "Crescent", "Highway", "Hwy", "Square", "Parkway",
                  "Box", "partment", "Apt")),
    _Rule("privacy/place", "location", re.compile(
        r"\b(?P<name>(?:(?:St\.?|[A-Z][\w'’-]*)\s+){1,5})(?:Hospital|Medical Cent(?:er|re)|Health Cent(?:er|re)|Clinic|Infirmary|Hospice|Nursing Home|Care Home|Sanatorium|Polyclinic)s?\b"
        r"|\b(?:Hospital|Clinic|Infirmary|University Hospital)s?\s+(?:of|de|del|di|in)\s+(?P<name2>[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)*)"),
        "named hospital or clinic", "describe it (\"a tertiary hospital\", \"a rural clinic\") instead of naming it",
        lambda m: _institution_ok(m) if m.group("name") else _place_ok_name(m.group("name2")),
        gate=_has("Hospital", "Cent", "Clinic", "Infirmary", "Hospice", "Home", "Sanatorium")),
    _Rule("privacy/place", "location", re.compile(
        r"[A-Z][a-z]+(?:(?:[\s-](?:upon|on|sur|de|la|le|in|under))*[\s-][A-Z][a-z]+)*(?:,\s+(?:[A-Z]{2}\b|[A-Z][a-z]+))?"),
        "named town or place smaller than a state", "name at most the state, region or country",
        lambda m: _place_in_context(m) and _place_ok_name(m.group(0)),
        gate=lambda f: _PLACE_TRIGGER.search(f.lower) is not None),
    _Rule("privacy/place", "location", re.compile(
        r"(?P<place>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?),\s(?:" + "|".join(s for s in _US_STATES if s not in ("IN", "OR", "ME")) + r")\b"),
        "named town or place smaller than a state", "name at most the state, region or country",
        lambda m: _place_ok_name(m.group("place")), ("place",), gate=_has(", ")),
    _Rule("privacy/place", "location", re.compile(
        r"(?P<place>[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)\s(?:County|Township|Parish|Borough)\b"),
        "named town or place smaller than a state", "name at most the state, region or country",
        lambda m: _place_ok_name(m.group("place")), ("place",), gate=_has("County", "Township", "Parish", "Borough")),
)

_PLACE_TRIGGER = re.compile(
    r"\b(?:lives|lived|living|resides|resided|residing|resident|native|born|raised|grew up|moved|relocated|moving|"
    r"returned|returning|travell?ed|travelling|farm(?:ed|ing|s)?|works?|worked|working|employed|village|town|city|"
    r"suburb|hamlet|neighbou?rhood|commune|municipality|parish|county|district|home|restaurant|school|factory|mill|"
    r"sawmill|mine|quarry|market|shop|pub|bar|hotel|festival|camp|prison|church|mosque|temple|nursery|kindergarten|"
    r"plant|warehouse|abattoir|zoo)\b")
_PLACE_CONTEXT = re.compile(
    _PLACE_TRIGGER.pattern + r"(?:\s+(?:back|here|there|abroad|alone|recently|nearby|outside|locally|\w+ly))?"
    r"(?:\s+[\w'’-]+){0,3}?\s+(?:in|near|at|to|from|of|outside)\s+$")
_PREPOSITIONS = frozenset({"in", "near", "at", "to", "from", "of", "outside"})


def _place_in_context(m: re.Match[str]) -> bool:
    """A capitalised name right after "lives in", "moved to", "a farm near" ...: a place."""
    start = m.start()
    if start and (m.string[start - 1].isalnum() or m.string[start - 1] in "-'’"):
        return False
    before = m.string[max(0, start - 80):start]
    words = before.split()
    if not words or words[-1] not in _PREPOSITIONS or not before[-1:].isspace():
        return False
    return _PLACE_CONTEXT.search(before.lower()) is not None


_NOT_PLACES = _INSTITUTION_GENERIC | {w.lower() for w in """
January February March April May June July August September October November December
Monday Tuesday Wednesday Thursday Friday Saturday Sunday Christmas Easter Ramadan Diwali
Intensive Theatre Theatres Ward Wards Department Unit Units Accident Resuscitation Recovery
High Dependency Coronary Neonatal Critical Surgery Medicine Paediatrics Pediatrics Obstetrics
Gynaecology Radiology Pathology Psychiatry Neurosurgery Urology Orthopaedics Cardiothoracic
Day Case Acute Assessment Admissions Stroke Burns Labour Delivery ICU HDU Hospice Home Care
God Islam Christianity Buddhism English French Spanish Arabic Mandarin Hindi Portuguese
""".split()}


def _place_ok_name(name: Optional[str]) -> bool:
    if not name:
        return False
    name = re.split(r",\s+", name)[0] if re.search(r",\s+[A-Z][a-z]+$", name) else name
    words = [w.lower() for w in re.findall(r"[A-Za-z]+", name)]
    return bool(words) and not all(w in _PLACE_OK or w in _NOT_PLACES for w in words)


RULE_FAMILIES = tuple(dict.fromkeys(r.family for r in _RULES)) + ("exif",)
"""Rule families, for precision/recall over a corpus: date, age, name, contact,
record-number, location, exif."""

FAMILY_OF = {**{r.code: r.family for r in _RULES}, "privacy/exif": "exif"}
"""The family of each privacy code."""


@dataclass(frozen=True)
class Hit:
    """A rule's match in one field's value (before it is located in the file)."""

    field: tuple[Any, ...]
    start: int
    end: int
    text: str
    code: str
    family: str
    message: str
    hint: str


_OUTRANKS = {"privacy/record-number": ("privacy/phone", "privacy/date", "privacy/postal")}
"""A record number's digits also look like a phone number or a date: report it once."""


def privacy_hits(field_path: tuple[Any, ...], text: str) -> list[Hit]:
    """Every privacy rule's matches in one field value, overlaps of one family merged."""
    hits: list[Hit] = []
    field = _field(text)
    for rule in _RULES:
        if rule.gate is not None and not rule.gate(field):
            continue
        for m in rule.pattern.finditer(text):
            if rule.accept and not rule.accept(m):
                continue
            group = next((g for g in rule.report if m.group(g)), None)
            start, end = m.span(group) if group else m.span()
            if any(h.family == rule.family and h.start < end and start < h.end for h in hits):
                continue
            matched = text[start:end].strip()
            hits.append(Hit(field_path, start, end, matched, rule.code, rule.family,
                            f"{rule.message}: '{matched}'", rule.hint))
    for strong, weaker in _OUTRANKS.items():
        for h in [h for h in hits if h.code == strong]:
            hits = [o for o in hits if not (o.code in weaker and o.start < h.end and h.start < o.end)]
    return sorted(hits, key=lambda h: h.start)


def patient_fields(case: Case) -> Iterator[tuple[tuple[Any, ...], str]]:
    """The fields that can describe the patient, with their paths in the record."""
    yield ("title",), case.title
    if isinstance(case.abstract, str):
        yield ("abstract",), case.abstract
    else:
        for key, text in case.abstract.items():
            yield ("abstract", key), text
    for name in ("introduction", "presentation"):
        if getattr(case, name):
            yield (name,), getattr(case, name)
    for i, entry in enumerate(case.timeline):
        yield ("timeline", i, "when"), entry.when
        yield ("timeline", i, "event"), entry.event
    for i, item in enumerate(case.investigations):
        for name in ("name", "result", "when"):
            if getattr(item, name):
                yield ("investigations", i, name), getattr(item, name)
    for i, table in enumerate(case.tables):
        if table.caption:
            yield ("tables", i, "caption"), table.caption
        yield ("tables", i, "content"), table.content
    if case.diagnosis:
        for name in ("final", "reasoning"):
            if getattr(case.diagnosis, name):
                yield ("diagnosis", name), getattr(case.diagnosis, name)
        for i, text in enumerate(case.diagnosis.differential):
            yield ("diagnosis", "differential", i), text
    for i, item in enumerate(case.management):
        for name in ("intervention", "duration", "response"):
            if getattr(item, name):
                yield ("management", i, name), getattr(item, name)
    for name in ("outcome", "discussion"):
        if getattr(case, name):
            yield (name,), getattr(case, name)
    for i, text in enumerate(case.learning_points):
        yield ("learning_points", i), text
    if case.patient_perspective:
        yield ("patient_perspective",), case.patient_perspective
    for i, figure in enumerate(case.figures):
        if figure.caption:
            yield ("figures", i, "caption"), figure.caption
        yield ("figures", i, "alt"), figure.alt


PATIENT_FIELDS = ("title", "abstract", "introduction", "presentation", "timeline", "investigations",
                  "tables", "diagnosis", "management", "outcome", "discussion", "learning_points",
                  "patient_perspective", "figures (caption, alt)")


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
    if (joined and f" {joined} " in f" {' '.join(title_words)} ") or (content and set(content) <= set(title_words)):
        return [_Pending(("title",), "warning", "teaching/title-reveals",
                         "the title gives away the final diagnosis that teaching.hide holds back",
                         "retitle by the presentation (\"A young woman with fever and confusion\")")]
    return []


def _age_findings(case: Case, privacy: str) -> list[_Pending]:
    found = []
    people = [(("patient",), case.patient)] if case.patient else []
    people += [(("patients", i), p) for i, p in enumerate(case.patients)]
    for path, person in people:
        if isinstance(person.age, int) and person.age_unit == "years" and person.age > 89:
            found.append(_Pending(path + ("age",), privacy, "privacy/age", f"age {person.age} is over 89",
                                  "write age: \"90+\""))
    return found


# --------------------------------------------------------------------------- EXIF

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff")
_EXIF_TAGS = {0x0132: "date", 0x9003: "date", 0x9004: "date", 0x8825: "GPS position",
              0x010F: "device make", 0x0110: "device model", 0x0131: "software",
              0xA434: "lens", 0x013B: "artist", 0x8298: "copyright", 0xA420: "image id",
              0x9286: "user comment", 0x010E: "description"}


def image_metadata(path: Path) -> list[str]:
    """What identifying metadata an image carries ("date", "GPS position", "XMP" ...);
    empty for clean images and non-images."""
    if path.suffix.lower() not in IMAGE_SUFFIXES or not path.is_file():
        return []
    from PIL import Image

    try:
        with Image.open(path) as image:
            exif = image.getexif()
            kinds = [_EXIF_TAGS[t] for t in exif if t in _EXIF_TAGS]
            try:
                sub = exif.get_ifd(0x8769)
                kinds += [_EXIF_TAGS[t] for t in sub if t in _EXIF_TAGS]
            except Exception:  # malformed sub-IFD: the base tags still count
                pass
            if exif and not kinds and image.format != "TIFF":  # a TIFF's own tags live there too
                kinds.append("EXIF block")
            info = image.info
            if "xmp" in info or "XML:com.adobe.xmp" in info:
                kinds.append("XMP")
            if path.suffix.lower() == ".png" and any(k for k in info if k not in ("dpi", "gamma", "transparency", "icc_profile", "srgb", "aspect", "exif", "chromaticity")):
                kinds.append("text chunks")
    except Exception:  # not an image Pillow reads: not ours to judge
        return []
    return list(dict.fromkeys(kinds))


def _exif_findings(case: Case, cases_dir: Path, privacy: str) -> list[_Pending]:
    found = []
    for i, figure in enumerate(case.figures):
        kinds = image_metadata(cases_dir / figure.file)
        if kinds:
            found.append(_Pending(("figures", i, "file"), privacy, "privacy/exif",
                                  f"image '{figure.file}' carries metadata ({', '.join(kinds)})",
                                  "run `grandrounds check --strip-exif` to remove it"))
    return found


def strip_metadata(path: Path) -> bool:
    """Remove EXIF/XMP/text metadata from an image, keeping its pixels exactly; written
    atomically (temporary file, then rename). Returns whether the file changed.

    JPEG, PNG and WebP are edited at the container level (segments/chunks dropped, image
    data untouched: re-encoding a JPEG would change its pixels); TIFF is re-saved by Pillow
    with the same lossless compression."""
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix in (".jpg", ".jpeg"):
        new = _strip_jpeg(data)
    elif suffix == ".png":
        new = _strip_png(data)
    elif suffix == ".webp":
        new = _strip_webp(data)
    elif suffix in (".tif", ".tiff"):
        new = _strip_tiff(path)
    else:
        return False
    if new == data:
        return False
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new)
        os.chmod(tmp, path.stat().st_mode & 0o777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return True


def _strip_jpeg(data: bytes) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG file")
    out, i = [data[:2]], 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker == 0xDA:  # start of scan: the rest is image data
            break
        length = struct.unpack(">H", data[i + 2:i + 4])[0]
        segment = data[i:i + 2 + length]
        body = segment[4:]
        drop = (marker == 0xE1 and (body.startswith(b"Exif\0") or body.startswith(b"http://ns.adobe.com/")))\
            or marker == 0xED or marker == 0xFE  # APP1 Exif/XMP, APP13 IPTC, comments
        if not drop:
            out.append(segment)
        i += 2 + length
    out.append(data[i:])
    return b"".join(out)


_PNG_META = {b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    out, i = [data[:8]], 8
    while i + 8 <= len(data):
        length = struct.unpack(">I", data[i:i + 4])[0]
        kind = data[i + 4:i + 8]
        chunk = data[i:i + 12 + length]
        if kind not in _PNG_META:
            out.append(chunk)
        i += 12 + length
    return b"".join(out)


def _strip_webp(data: bytes) -> bytes:
    if data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    out, i = [], 12
    while i + 8 <= len(data):
        kind = data[i:i + 4]
        size = struct.unpack("<I", data[i + 4:i + 8])[0]
        chunk = bytearray(data[i:i + 8 + size + (size & 1)])
        if kind == b"VP8X":
            chunk[8] &= ~(0x08 | 0x04) & 0xFF  # clear the EXIF and XMP flags
        if kind not in (b"EXIF", b"XMP "):
            out.append(bytes(chunk))
        i += 8 + size + (size & 1)
    body = b"WEBP" + b"".join(out)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _strip_tiff(path: Path) -> bytes:
    import io

    from PIL import Image

    with Image.open(path) as image:
        image.load()
        buffer = io.BytesIO()
        compression = image.info.get("compression", "raw")
        clean = image.copy()
        clean.info = {}
        clean.save(buffer, format="TIFF", compression=compression)
    return buffer.getvalue()


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

    def _id_line(self, rid: str) -> tuple[int, int, int] | None:
        """Where `id: RID` is written, found in the text when it is written once, in block
        (`- id: x` / `  id: x`) or flow (`{id: x, ...}`) style."""
        quoted = re.escape(rid)
        pattern = re.compile(r"(?:^[ \t-]*|[{,]\s*)id:[ \t]*(['\"]?)(" + quoted + r")\1[ \t]*(?=$|[,}#])", re.M)
        hits = list(pattern.finditer(self.text))
        if len(hits) != 1:
            return None
        line, col = self.position(hits[0].start(2) - len(hits[0].group(1)))
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
        for hit in privacy_hits(path, text):
            pending.append(_Pending(path, privacy, hit.code, hit.message, hit.hint, hit.start, hit.text))
    pending += _age_findings(case, privacy)
    pending += _consent_findings(case, privacy)
    pending += _care_findings(case)
    pending += _reference_findings(case)
    pending += _teaching_findings(case)
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


def problem_finding(problem: Problem) -> Finding:
    """A schema/library problem (always an error) as a finding."""
    code = "ref/undefined" if problem.message.startswith("citation '@") else "schema"
    return Finding(problem.path, problem.line, problem.col, "error", code, problem.message, problem.hint)


@dataclass
class Checker:
    """Findings of a library's cases, re-computed only for cases that changed
    (a `Library.refresh()` gives a changed record a new `Case` object)."""

    privacy: str = "warning"
    _cache: dict[str, tuple[Case, list[Finding]]] = field(default_factory=dict)

    fresh: list[Finding] = field(default_factory=list)
    """The findings of the records checked anew by the last `run` (the rest were cached)."""

    def run(self, library: Any, include_drafts: bool = True, include_problems: bool = True) -> list[Finding]:
        """Findings of every case (and, with `include_problems`, the library's schema
        errors); only cases whose `Case` object changed are checked again."""
        findings = [problem_finding(p) for p in library.problems] if include_problems else []
        self.fresh = []
        live = set()
        for case in library.cases:
            if case.status == "draft" and not include_drafts:
                continue
            key = case.source_path or case.slug
            live.add(key)
            cached = self._cache.get(key)
            if cached is None or cached[0] is not case:
                cached = self._cache[key] = (case, check_case(case, privacy=self.privacy,
                                                              cases_dir=library.cases_dir))
                self.fresh += cached[1]
            findings += cached[1]
        for gone in set(self._cache) - live:
            del self._cache[gone]
        return findings


def check_build(checker: Checker, library: Any, logger: Any, *, serve: bool,
                warnings_as: str = "warning") -> list[Finding]:
    """The MkDocs side of `check` (the plugin calls only this): check the library's cases
    (re-checking changed ones only), log findings (errors at error level, warnings as
    warnings, or at info with `warnings_as="info"`, information at info; in `serve` only
    those of records that changed) and return the errors, which fail a build."""
    findings = checker.run(library, include_drafts=serve, include_problems=False)
    levels = {"error": logger.error, "warning": logger.warning if warnings_as == "warning" else logger.info,
              "info": logger.info}
    for finding in (checker.fresh if serve else findings):
        if finding.severity != "error" or serve:
            levels[finding.severity](str(finding))
    return [f for f in findings if f.severity == "error"]


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
