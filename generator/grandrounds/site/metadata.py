"""Machine-readable metadata of a case page: schema.org JSON-LD, Highwire Press
`citation_*` tags (Google Scholar) and Open Graph, as the HTML that goes in the page head.

Owns what the metadata says and how it is escaped; the MkDocs plugin only passes the
result to the theme override (`templates/overrides/main.html`, block `extrahead`).

- JSON-LD: a schema.org `MedicalScholarlyArticle` with `publicationType` "Case Reports",
  `about` the condition (`MedicalCondition` with `MedicalCode`s), `citation` for each
  reference and `isBasedOn` the published original's DOI. Only schema.org terms are used
  (tests/test_metadata.py keeps the list checked against schema.org). `<`, `>` and `&`
  are written as `\\u` escapes, so no value can close the `<script>` element.
- Highwire: the summary itself (title, each author, date, the site as publisher, the page
  URL); `citation_doi` is never written because a summary has no DOI of its own (the DOI
  in `source` is the original's); `citation_pdf_url` only when a handout URL is given.
- Open Graph: og:title, og:description, og:type article, og:url (with `site_url`),
  og:site_name.

Teaching mode (DESIGN.md): a hidden diagnosis is not named in `about` (its codes name
it too, so `about` is left out) and every description skips hidden abstract parts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Mapping

from markupsafe import Markup

from .. import cite
from ..cite.richtext import plain
from .markup import markdown_to_text
from ..record.model import Case
from .render import LICENSES, description
from .view import public_view

CODING_SYSTEMS = {"ICD-10": "ICD-10", "ICD-10-CM": "ICD-10-CM", "ICD-11": "ICD-11",
                  "MeSH": "MeSH", "SNOMED-CT": "SNOMED-CT"}
JOURNAL_TYPES = {"article-journal", "article", "paper-conference", "review", "article-magazine"}


@dataclass(frozen=True)
class PageInfo:
    """Where the page is and what site it belongs to."""

    site_name: str
    page_url: str | None = None  # absolute URL of the case page, when site_url is set
    pdf_url: str | None = None  # absolute URL of the case's PDF handout, when built
    language: str = "en"
    teaching_hide: tuple[str, ...] = ()


def _person(name: Mapping[str, Any] | str) -> dict[str, Any] | None:
    """A schema.org Person from a CSL name or a "Family, G." string."""
    if isinstance(name, str):
        return {"@type": "Person", "name": name} if name else None
    if name.get("literal"):
        if str(name["literal"]).lower() == "others":
            return None
        return {"@type": "Person", "name": str(name["literal"])}
    family, given = str(name.get("family") or ""), str(name.get("given") or "")
    if not family and not given:
        return None
    person: dict[str, Any] = {"@type": "Person", "name": " ".join(x for x in (given, family) if x)}
    if family:
        person["familyName"] = family
    if given:
        person["givenName"] = given
    return person


def _date(item: Mapping[str, Any]) -> str:
    """An ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD) from a CSL item's `issued`."""
    issued = item.get("issued")
    if isinstance(issued, Mapping):
        parts = issued.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list):
            try:
                nums = [int(p) for p in parts[0][:3]]
            except (TypeError, ValueError):
                nums = []
            if nums:
                return "-".join([f"{nums[0]:04d}", *(f"{n:02d}" for n in nums[1:])])
    return cite.year_of(issued) if issued else ""


def creative_work(item: Mapping[str, Any]) -> dict[str, Any]:
    """A reference (CSL-JSON item) as a schema.org ScholarlyArticle or CreativeWork."""
    work: dict[str, Any] = {"@type": "ScholarlyArticle" if item.get("type", "article-journal") in JOURNAL_TYPES
                            else "CreativeWork"}
    if item.get("title"):
        # CSL text as given, rich-text tags (<i>) taken out (HTML-escaped when written)
        work["name"] = plain(str(item["title"]))
    authors = [p for p in map(_person, item.get("author") or []) if p]
    if authors:
        work["author"] = authors
    date = _date(item)
    if date:
        work["datePublished"] = date
    if item.get("container-title"):
        work["isPartOf"] = {"@type": "Periodical", "name": plain(str(item["container-title"]))}
    doi = cite.doi_url(item.get("DOI"))
    if doi:
        work["sameAs"] = doi
        work["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI",
                              "value": doi.removeprefix("https://doi.org/")}
    elif cite.safe_url(item.get("URL")):
        work["url"] = cite.safe_url(item.get("URL"))
    return work


def condition(case: Case) -> dict[str, Any] | None:
    """The case's condition as a schema.org MedicalCondition with its codes."""
    name = markdown_to_text(case.final_diagnosis) if case.final_diagnosis else ""
    codes = [{"@type": "MedicalCode", "codeValue": c.code, "codingSystem": CODING_SYSTEMS[c.system],
              **({"name": c.label} if c.label else {})} for c in case.codes]
    if not name and not codes:
        return None
    found: dict[str, Any] = {"@type": "MedicalCondition"}
    if name:
        found["name"] = name
    if codes:
        found["code"] = codes
    return found


def json_ld(case: Case, info: PageInfo) -> dict[str, Any]:
    """The case page's schema.org JSON-LD object."""
    view = public_view(case, info)
    hidden = view.hidden
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "MedicalScholarlyArticle",
        "headline": view.title,
        "name": view.title,
        "publicationType": "Case Reports",
        "description": description(case, hidden=hidden),
        "inLanguage": info.language,
        "publisher": {"@type": "Organization", "name": info.site_name},
    }
    if info.page_url:
        data["url"] = info.page_url
        data["mainEntityOfPage"] = info.page_url
    if case.date:
        data["datePublished"] = case.date
    authors = []
    for a in case.authors:
        person: dict[str, Any] = {"@type": "Person", "name": a.name}
        if a.affiliation:
            person["affiliation"] = {"@type": "Organization", "name": a.affiliation}
        if a.orcid:
            person["sameAs"] = "https://orcid.org/" + a.orcid.removeprefix("https://orcid.org/")
        authors.append(person)
    if authors:
        data["author"] = authors
    if case.keywords:
        data["keywords"] = list(case.keywords)
    if "diagnosis" not in hidden:
        about = condition(case)
        if about:
            data["about"] = about
    if case.license:
        url = LICENSES.get(case.license, (None, None))[1]
        data["license"] = url or case.license
    references = [creative_work(item) for item in case.reference_items()]
    if references:
        data["citation"] = references
    if case.source:
        original = case.source.as_csl()
        doi = cite.doi_url(original.get("DOI"))
        data["isBasedOn"] = doi or creative_work(original)
    return data


def json_ld_script(data: Mapping[str, Any]) -> Markup:
    """`<script type="application/ld+json">` holding `data`; `<`, `>` and `&` are written
    as JSON `\\u` escapes, so `</script>` in a value cannot end the element."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(f'<script type="application/ld+json" id="gr-jsonld">{text}</script>')


def highwire_tags(case: Case, info: PageInfo) -> list[tuple[str, str]]:
    """Highwire Press (name, content) pairs for the summary itself."""
    tags = [("citation_title", public_view(case, info).title)]
    tags += [("citation_author", a.name) for a in case.authors]
    if case.date:
        tags.append(("citation_publication_date", case.date.replace("-", "/")))
    tags.append(("citation_publisher", info.site_name))
    tags.append(("citation_language", info.language))
    tags += [("citation_keywords", k) for k in case.keywords]
    if info.page_url:
        tags.append(("citation_abstract_html_url", info.page_url))
    if info.pdf_url:
        tags.append(("citation_pdf_url", info.pdf_url))
    return tags


def open_graph(case: Case, info: PageInfo) -> list[tuple[str, str]]:
    """Open Graph (property, content) pairs."""
    view = public_view(case, info)
    tags = [("og:title", view.title),
            ("og:description", description(case, hidden=view.hidden)),
            ("og:type", "article"), ("og:site_name", info.site_name)]
    if info.page_url:
        tags.append(("og:url", info.page_url))
    if case.date:
        tags.append(("article:published_time", case.date))
    return tags


def head_html(case: Case, info: PageInfo) -> Markup:
    """Everything the case page adds to its `<head>`."""
    lines = [json_ld_script(json_ld(case, info))]
    lines += [Markup('<meta name="{}" content="{}">').format(name, value)
              for name, value in highwire_tags(case, info)]
    lines += [Markup('<meta property="{}" content="{}">').format(prop, value)
              for prop, value in open_graph(case, info)]
    return Markup("\n").join(lines)


def absolute_url(site_url: str | None, url: str) -> str | None:
    """The absolute URL of a site-root-relative `url`, or None without a `site_url`."""
    if not site_url:
        return None
    return site_url.rstrip("/") + "/" + ("" if url in ("", "./") else url.lstrip("/"))

