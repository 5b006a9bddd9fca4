"""The de-identification rules of `check`: which fields can describe the patient, and the
patterns that find identifiers in them (HIPAA Safe Harbor's list and the ICMJE
patient-privacy rules).

Owns `patient_fields(case)` and `privacy_hits(path, text)`: pure functions over values,
no files and no YAML. Each rule is a precompiled regular expression with an `accept` test
(a date must be a real day and month, a place must not be a country) and a *gate*, a cheap
test a field must pass before the pattern runs, because Python's `re` pays for every
position of every pattern. No NLP model: offline PHI detectors need model downloads this
tool cannot assume, and a rule you can read explains its own finding.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterator, Optional

from ..record.model import Case



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
    if "plate" in m.group(0).lower():  # vehicle plates are short: "KP19 XLM"
        return digits >= 1 and len(ident.replace(" ", "")) >= 5
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
        r"|[Aa]ged?:?\s+(?:9\d|1[0-4]\d)(?![\d+])(?:\s+years)?"
        r"|(?<!over )(?<!above )(?<!than )(?<![>≥] )(?<![>≥])(?:9\d|1[0-4]\d)\s+years?\b(?!\s+(?:ago|later|earlier|before|after|since|of\s+(?:follow|smoking|treatment)))"
        r"|[Aa]ged\s+(?:ninety|one\s+hundred)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?\b"
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
    _Rule("privacy/email", "contact", re.compile(
        r"\b[\w.+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,63}\b"),
          "e-mail address", "remove it", gate=_has("@")),
    _Rule("privacy/url", "contact", re.compile(
        r"\bhttps?://[^\s)>\]]+|\bwww\.[^\s)>\]]+"
        r"|\b[a-z0-9][a-z0-9-]{0,62}(?:\.[a-z0-9-]{1,63}){0,8}\.(?:com|org|net|info|io|me|blog|co\.uk|org\.uk)/[^\s)>\]]+"),
          "URL in a field that describes the patient", "remove it, or cite the page under `references:`",
          lambda m: not _URL_HOSTS_OK.match(m.group(0)),
          gate=_has_lower("http", "www.", ".com/", ".org/", ".net/", ".info/", ".io/", ".me/", ".blog/", ".uk/")),
    _Rule("privacy/ip", "contact", re.compile(
        r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w]|\.\d)"),
        "IP address", "remove it", gate=_matches(r"\d\.\d{1,3}\.\d{1,3}\.\d")),
    _Rule("privacy/record-number", "record-number", re.compile(
        r"(?<![\w-])(?:MRN|UR|NHS|SSN|CHI|NPI|DEA|Medicare|Medicaid|[Mm]edical[- ]record|[Hh]ospital|[Pp]atient|[Cc]hart|[Aa]ccount|[Aa]cct|[Cc]ase|"
        r"[Hh]ealth[- ]plan|[Ii]nsurance|[Pp]olicy|[Mm]ember(?:ship)?|[Bb]eneficiary|[Ll]icen[cs]e|[Pp]assport|[Ss]ocial [Ss]ecurity|"
        r"[Ss]erial|S/N|[Dd]evice|[Pp]acemaker|[Ii]mplant|[Ll]ot|[Rr]egistration|VIN|[Rr]ecord|[Ss]ample|[Ss]pecimen|[Aa]ccession)"
        r"(?:\s+(?:ID|[Nn]umber|[Nn]o\.?|[Cc]ode|[Pp]late|#))?\s*[:#]?\s*(?P<id>[A-Z0-9][A-Z0-9/-]*(?: [A-Z0-9][A-Z0-9/-]*){0,2})\b"),
        "record-like number (medical record, account, plan, licence, device serial)", "remove it",
        _record_number_ok, gate=lambda f: (f.digits >= 4 or (f.digits and "plate" in f.lower))
        and _RECORD_WORDS.search(f.lower) is not None),
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
        r"\b(?P<name>(?:(?:St\.?|[A-Z][\w'’-]{0,39})\s+){1,5})(?:Hospital|Medical Cent(?:er|re)|Health Cent(?:er|re)|Clinic|Infirmary|Hospice|Nursing Home|Care Home|Sanatorium|Polyclinic)s?\b"
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
    r"returned|returning|travell?ed|travelling|farm(?:ed|ing|s|er|ers)?|works?|worked|working|employed|village|town|city|"
    r"originally|comes|came|emigrated|immigrated|holiday|holidays|vacation|trip|visit|visited|visiting|stayed|staying|"
    r"hiking|camping|swimming|"
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
    """Every privacy rule's matches in one field value, overlaps of one family merged.

    Linear in the length of `text` (with the rules' bounded repetitions): the overlap
    tests are binary searches over each family's hits, which never overlap one another."""
    hits: list[Hit] = []
    spans: dict[str, _Spans] = {}
    field = _field(text)
    for rule in _RULES:
        if rule.gate is not None and not rule.gate(field):
            continue
        taken = spans.setdefault(rule.family, _Spans())
        for m in rule.pattern.finditer(text):
            if rule.accept and not rule.accept(m):
                continue
            group = next((g for g in rule.report if m.group(g)), None)
            start, end = m.span(group) if group else m.span()
            if taken.overlaps(start, end):
                continue
            taken.add(start, end)
            matched = text[start:end].strip()
            hits.append(Hit(field_path, start, end, matched, rule.code, rule.family,
                            f"{rule.message}: '{matched}'", rule.hint))
    for strong, weaker in _OUTRANKS.items():
        outranking = _Spans()
        for h in hits:
            if h.code == strong:
                outranking.add(h.start, h.end)
        if outranking.starts:
            hits = [o for o in hits if not (o.code in weaker and outranking.overlaps(o.start, o.end))]
    return sorted(hits, key=lambda h: h.start)


class _Spans:
    """Disjoint [start, end) spans kept sorted, with an O(log n) overlap test."""

    def __init__(self) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []

    def overlaps(self, start: int, end: int) -> bool:
        i = bisect.bisect_left(self.starts, end) - 1  # the last span starting before `end`
        return i >= 0 and self.ends[i] > start

    def add(self, start: int, end: int) -> None:
        i = bisect.bisect_left(self.starts, start)
        self.starts.insert(i, start)
        self.ends.insert(i, end)


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
