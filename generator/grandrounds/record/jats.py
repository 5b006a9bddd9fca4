"""Import stage: a JATS 1.x article (PMC, Europe PMC, publishers' feeds) to draft record data.

Owns reading an article and turning it into the data of a `status: draft` case record and
the notes the author must act on (`draft_from_file`); `cli import` writes the result with
`scaffold.write_new_record`. Everything here is a pure function over a parsed tree, except
`parse_article` (reads the file) and `find_image` (looks beside it).

Parsing is safe by construction: expat with no DTD loading, no external entities and no
network; a document that declares entities (`<!ENTITY ...>`, the "billion laughs" and
external-entity attacks) is refused, as are files over `limits.MAX_ARTICLE_BYTES` and
elements nested deeper than `limits.MAX_XML_DEPTH`. Malformed XML gives `file:line:col`.
The record data then passes `values.value_problems` like any decoded input.

The licence rule: the article's prose, captions, tables and images are copied only when
its licence URL is on an allow-list that grants reuse *and* derivatives (CC BY, CC BY-SA,
CC0, the public-domain mark: `licence_of`); otherwise each such field is left as a prompt
naming the article's section and its length. Metadata, identifiers and references are
always filled (`source`, `references`, `keywords`, `funding`).
"""

from __future__ import annotations

import io
import re
import xml.parsers.expat as expat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Optional
from xml.etree.ElementTree import Element, TreeBuilder

from ..errors import CaseErrors, Location, fail
from ..fsio import read_limited
from ..limits import MAX_ARTICLE_BYTES, MAX_XML_DEPTH
from ..values import printable, value_problems

__all__ = ["Draft", "parse_article", "draft_from_tree", "draft_from_file", "licence_of",
           "reference_item", "IMAGE_SUFFIXES"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".svg")
"""Suffixes tried, in order, for a `<graphic xlink:href>` named without one."""


# --------------------------------------------------------------------------- parsing

class _Refused(Exception):
    """Raised inside an expat handler; carries what to tell the user."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


def parse_article(path: Path) -> Element:
    """The article's element tree. Raises `CaseErrors` (file:line:col) for a file that is
    too large, not XML, declares entities or nests too deeply."""
    data = read_limited(path, MAX_ARTICLE_BYTES, "the article",
                        "import a JATS article without embedded data (split supplements off)")
    return parse_bytes(data, path)


def parse_bytes(data: bytes, path: Path | str = "<article>") -> Element:
    """Parse `data` as XML under the rules of `parse_article`."""
    builder = TreeBuilder()
    parser = expat.ParserCreate()
    depth = [0]

    def start(tag: str, attrs: dict[str, str]) -> None:
        depth[0] += 1
        if depth[0] > MAX_XML_DEPTH:
            raise _Refused(f"elements nested more than {MAX_XML_DEPTH} levels deep",
                           "this is not a JATS article as publishers write them")
        builder.start(tag, attrs)

    def end(tag: str) -> None:
        depth[0] -= 1
        builder.end(tag)

    def entity_declared(name: str, *_: Any) -> None:
        raise _Refused(f"the document declares an entity ('{printable(name)}')",
                       "entity declarations are refused (they can expand without bound or read other "
                       "files); export the article again without an internal DTD subset")

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    parser.EntityDeclHandler = entity_declared
    parser.UnparsedEntityDeclHandler = entity_declared
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise fail(path, Location(exc.lineno, exc.offset + 1), f"malformed XML: {expat.ErrorString(exc.code)}",
                   "the file must be a well-formed JATS article (download it again)") from None
    except _Refused as exc:
        where = Location(parser.CurrentLineNumber, parser.CurrentColumnNumber + 1)
        raise fail(path, where, exc.message, exc.hint) from None
    root = builder.close()
    if _local(root.tag) != "article":
        raise fail(path, Location(1, 1), f"the root element is <{printable(root.tag)}>, not <article>",
                   "give a JATS article (PMC's 'full text XML')")
    return root


# --------------------------------------------------------------------------- tree helpers

def _local(name: str) -> str:
    """An element or attribute name without its prefix (`xlink:href` -> `href`)."""
    return name.rsplit(":", 1)[-1]


def _attr(el: Element, name: str) -> str:
    for key, value in el.attrib.items():
        if _local(key) == name:
            return value.strip()
    return ""


def _kids(el: Optional[Element], *names: str) -> list[Element]:
    return [c for c in el if _local(c.tag) in names] if el is not None else []


def _kid(el: Optional[Element], *names: str) -> Optional[Element]:
    found = _kids(el, *names)
    return found[0] if found else None


def _walk(el: Element, *names: str) -> Iterator[Element]:
    """Descendants named `names` in document order (iterative)."""
    for node in el.iter():
        if _local(node.tag) in names:
            yield node


def _first(el: Optional[Element], *names: str) -> Optional[Element]:
    return next(_walk(el, *names), None) if el is not None else None


def _plain(el: Optional[Element]) -> str:
    """The element's text, whitespace collapsed."""
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _words(el: Optional[Element]) -> int:
    return len("".join(el.itertext()).split()) if el is not None else 0


# --------------------------------------------------------------------------- inline text

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>^~|#])")
_INLINE_MD = {"italic": "*", "bold": "**", "sup": "^", "sub": "~"}
_INLINE_CSL = {"italic": "i", "bold": "b", "sup": "sup", "sub": "sub"}
_SKIP = frozenset({"label", "alt-text", "graphic", "inline-graphic", "fn", "table-wrap", "fig",
                   "title", "disp-formula", "object-id", "supplementary-material"})


def _md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def inline_markdown(el: Element, cite: bool = True) -> str:
    """An element's inline content as Markdown: italic/bold/sup/sub as `*`/`**`/`^`/`~`,
    `<xref ref-type="bibr">` as `[@id]` citations, everything else as its text."""
    return " ".join(_inline(el, cite, top=True).split())


def _inline(el: Element, cite: bool, top: bool = False) -> str:
    name = _local(el.tag)
    parts: list[str] = []
    if not top and name in _SKIP:
        return _md_escape(el.tail or "")
    if name == "xref" and _attr(el, "ref-type") == "bibr" and cite and _attr(el, "rid"):
        ids = _attr(el, "rid").split()
        inner = "[" + "; ".join(f"@{i}" for i in ids) + "]"
    else:
        inner = _md_escape(el.text or "") + "".join(_inline(c, cite) for c in el)
        mark = _INLINE_MD.get(name)
        if mark and inner.strip():
            inner = f"{mark}{inner.strip()}{mark}"
    parts.append(inner)
    if not top:
        parts.append(_md_escape(el.tail or ""))
    return "".join(parts)


def rich_text(el: Optional[Element]) -> str:
    """An element's content as CSL rich text (`<i>`, `<b>`, `<sup>`, `<sub>`), the rest plain."""
    if el is None:
        return ""
    return " ".join(_rich(el, top=True).split()).strip(" .")


def _rich(el: Element, top: bool = False) -> str:
    name = _local(el.tag)
    inner = (el.text or "") + "".join(_rich(c) for c in el)
    tag = _INLINE_CSL.get(name)
    if tag and not top and inner.strip():
        inner = f"<{tag}>{inner}</{tag}>"
    return inner if top else inner + (el.tail or "")


def _paragraphs(el: Element, cite: bool) -> str:
    """A section's paragraphs and lists as Markdown blocks (nested sections get a bold
    lead-in with their title; figures and tables are imported apart)."""
    blocks: list[str] = []
    for child in el:
        name = _local(child.tag)
        if name == "p":
            text = inline_markdown(child, cite)
            if text:
                blocks.append(text)
        elif name == "list":
            items = [_paragraphs(item, cite) for item in _kids(child, "list-item")]
            ordered = _attr(child, "list-type") in ("order", "arabic", "alpha-lower", "roman-lower")
            blocks.append("\n".join(f"{f'{i}.' if ordered else '-'} {' '.join(t.split())}"
                                    for i, t in enumerate(items, 1) if t))
        elif name == "sec":
            title = inline_markdown(_kid(child, "title"), cite) if _kid(child, "title") is not None else ""
            inner = _paragraphs(child, cite)
            if title and inner:
                blocks.append(f"**{title.rstrip('.')}.** {inner}" if "\n" not in inner
                              else f"**{title.rstrip('.')}.**\n\n{inner}")
            elif inner:
                blocks.append(inner)
        elif name in ("disp-quote", "boxed-text"):
            inner = _paragraphs(child, cite)
            if inner:
                blocks.append("\n".join("> " + line if line else ">" for line in inner.split("\n")))
    return "\n\n".join(b for b in blocks if b.strip())


# --------------------------------------------------------------------------- licence

_CC = re.compile(r"creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d(?:\.\d)?)(?:/([a-z]{2,3})(?=/|$|[?#\s]))?", re.I)
_REUSE = frozenset({"by", "by-sa", "zero", "mark"})


@dataclass(frozen=True)
class Licence:
    """An article's licence: its SPDX id (None when not recognised), the URLs found, and
    whether it allows reuse with derivatives."""

    spdx: Optional[str]
    urls: tuple[str, ...]
    reusable: bool


def licence_of(article: Element) -> Licence:
    """The licence from `<permissions>`: URLs in `license/@xlink:href`, `ali:license_ref`
    and links in the licence text. Reusable only when every recognised URL is on the
    allow-list and at least one is (an NC/ND licence beside a CC BY link is not)."""
    meta = _first(article, "article-meta")
    permissions = _kid(meta, "permissions")
    urls: list[str] = []
    for lic in _kids(permissions, "license"):
        urls += [_attr(lic, "href")]
        urls += ["".join(r.itertext()).strip() for r in _walk(lic, "license_ref")]
        urls += [_attr(link, "href") or _plain(link) for link in _walk(lic, "ext-link", "uri")]
    urls = [u for u in dict.fromkeys(urls) if u]
    spdx: Optional[str] = None
    kinds: list[str] = []
    for url in urls:
        match = _CC.search(url)
        if not match:
            continue
        family, kind, version, port = (g.lower() if g else g for g in match.groups())
        kinds.append(kind)
        spdx = spdx or _spdx(family, kind, version, port)
    reusable = bool(kinds) and all(k in _REUSE for k in kinds)
    return Licence(spdx, tuple(urls), reusable)


def _spdx(family: str, kind: str, version: str, port: Optional[str]) -> Optional[str]:
    if family == "publicdomain":
        return "CC0-1.0" if kind == "zero" else "LicenseRef-Public-Domain-Mark-1.0" if kind == "mark" else None
    if "." not in version:
        version += ".0"
    spdx = f"CC-{kind.upper()}-{version}"
    return f"{spdx}-{port.upper()}" if port else spdx


# --------------------------------------------------------------------------- references

_TYPES = {"journal": "article-journal", "book": "book", "web": "webpage", "webpage": "webpage",
          "website": "webpage", "report": "report", "confproc": "paper-conference",
          "conf-proc": "paper-conference", "conference": "paper-conference", "thesis": "thesis",
          "patent": "patent", "preprint": "article", "data": "dataset", "dataset": "dataset",
          "software": "software", "standard": "standard", "newspaper": "article-newspaper",
          "magazine": "article-magazine", "gov": "report", "legal-doc": "legislation"}
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug",
                                       "sep", "oct", "nov", "dec"), 1)}
_CITATIONS = ("element-citation", "mixed-citation", "nlm-citation", "citation")


def _name(el: Element) -> Optional[dict[str, str]]:
    """A CSL name from `<name>`, `<string-name>`, `<collab>` or `<etal>`."""
    kind = _local(el.tag)
    if kind == "etal":
        return {"literal": "others"}
    if kind == "collab":
        text = _plain(el)
        return {"literal": text} if text else None
    family = _plain(_kid(el, "surname"))
    given = _plain(_kid(el, "given-names"))
    suffix = _plain(_kid(el, "suffix"))
    if not family and not given:
        text = _plain(el)
        return {"literal": text} if text else None
    name = {"family": family} if family else {}
    if given:
        name["given"] = given
    if suffix:
        name["suffix"] = suffix
    return name or None


def _names(group: Iterable[Element]) -> list[dict[str, str]]:
    return [n for n in (_name(el) for el in group) if n]


def _people(citation: Element) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Authors and editors of a citation (names outside a person-group are authors)."""
    authors: list[dict[str, str]] = []
    editors: list[dict[str, str]] = []
    person = ("name", "string-name", "collab", "etal")
    for group in _kids(citation, "person-group"):
        role = _attr(group, "person-group-type") or "author"
        target = editors if role in ("editor", "guest-editor", "compiler") else authors if role == "author" else None
        if target is not None:
            target += _names(_kids(group, *person))
    authors += _names(_kids(citation, *person))
    return authors, editors


def _date_parts(year: str, month: str = "", day: str = "") -> Optional[list[int]]:
    """[year, month, day] as far as known; `year` may be free text ("2021 Jan 5", "2021-01-05")."""
    found = re.search(r"\d{4}", year)
    if not found:
        return None
    if not month:
        rest = year[found.end():]
        named = re.search(r"([A-Za-z]{3})[a-z]*\.?\s*(\d{1,2})?", rest)
        numeric = re.match(r"-(\d{1,2})(?:-(\d{1,2}))?", rest)
        if numeric:
            month, day = numeric.group(1), numeric.group(2) or ""
        elif named:
            month, day = named.group(1), named.group(2) or ""
    parts = [int(found.group())]
    month = month.strip().lower()
    number = int(month) if month.isdigit() else _MONTHS.get(month[:3], 0)
    if 1 <= number <= 12:
        parts.append(number)
        if day.strip().isdigit() and 1 <= int(day) <= 31:
            parts.append(int(day))
    return parts


def _pages(el: Element) -> str:
    first, last = _plain(_kid(el, "fpage")), _plain(_kid(el, "lpage"))
    if first and last and last != first:
        return f"{first}-{last}"
    return first or _plain(_kid(el, "page-range")) or _plain(_kid(el, "elocation-id"))


def _ids(el: Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for pub in _kids(el, "pub-id", "object-id", "article-id"):
        kind = _attr(pub, "pub-id-type").lower()
        value = _plain(pub)
        if kind == "doi" and value:
            found.setdefault("DOI", re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", value, flags=re.I))
        elif kind == "pmid" and value.isdigit():
            found.setdefault("PMID", value)
        elif kind in ("pmcid", "pmc") and value:
            found.setdefault("PMCID", value if value.upper().startswith("PMC") else f"PMC{value}")
    return found


def _url(el: Element) -> str:
    for link in _kids(el, "ext-link", "uri"):
        href = _attr(link, "href") or _plain(link)
        if re.match(r"https?://", href, re.I) and "doi.org/" not in href.lower():
            return href
    return ""


def _citation(ref: Element) -> Optional[Element]:
    """The citation element of a `<ref>` (element-citation preferred over mixed)."""
    for holder in (ref, _kid(ref, "citation-alternatives")):
        for name in _CITATIONS:
            found = _kid(holder, name)
            if found is not None:
                return found
    return None


def reference_item(ref: Element, number: int) -> dict[str, Any]:
    """One `<ref>` as a CSL-JSON item (id: the ref's id, else `ref<number>`)."""
    ref_id = _attr(ref, "id") or f"ref{number}"
    cit = _citation(ref)
    if cit is None:
        text = _plain(ref) or ref_id
        return {"id": ref_id, "type": "article", "title": text}
    given_type = (_attr(cit, "publication-type") or _attr(cit, "citation-type")).lower()
    authors, editors = _people(cit)
    article_title = rich_text(_kid(cit, "article-title"))
    chapter_title = rich_text(_kid(cit, "chapter-title", "part-title"))
    source = rich_text(_kid(cit, "source"))
    csl_type = _TYPES.get(given_type)
    if csl_type == "book" and (chapter_title or (article_title and source)):
        csl_type = "chapter"
    if csl_type is None:
        csl_type = ("article-journal" if article_title and source and _kid(cit, "volume") is not None
                    else "webpage" if _url(cit) and not source else "book" if source and not article_title
                    else "article-journal" if source else "article")
    item: dict[str, Any] = {"id": ref_id, "type": csl_type}
    if authors:
        item["author"] = authors
    if editors:
        item["editor"] = editors
    title = chapter_title or article_title
    if csl_type in ("book", "report", "thesis") and not title:
        title, source = source, ""
    if csl_type == "webpage" and not title:
        title, source = source, ""
    if title:
        item["title"] = title
    if source:
        item["container-title"] = source
    if not title and not source:
        text = _plain(cit)
        if text:
            item["title"] = text  # an unstructured mixed-citation: its whole text
    for tag, key in (("volume", "volume"), ("edition", "edition"), ("conf-name", "event-title"),
                     ("publisher-name", "publisher"), ("publisher-loc", "publisher-place"),
                     ("collab-name", "authority")):
        value = _plain(_kid(cit, tag))
        if value:
            item[key] = value.rstrip(".") if key != "volume" else value
    issue = " ".join(v for v in (_plain(_kid(cit, "issue")), _plain(_kid(cit, "supplement"))) if v)
    if issue:
        item["issue"] = issue
    pages = _pages(cit)
    if pages:
        item["page"] = pages
    date = _date_parts(_plain(_kid(cit, "year")) or _plain(_first(cit, "year")),
                       _plain(_kid(cit, "month")), _plain(_kid(cit, "day")))
    if date:
        item["issued"] = {"date-parts": [date]}
    accessed = next((d for d in _kids(cit, "date-in-citation") if _attr(d, "content-type") in ("access-date", "")), None)
    accessed_parts = _date_parts(_plain(accessed)) if accessed is not None else None
    if accessed_parts and csl_type == "webpage":
        item["accessed"] = {"date-parts": [accessed_parts]}
    item.update(_ids(cit))
    url = _url(cit)
    if url:
        item["URL"] = url
    title_el = _kid(cit, "article-title")
    language = _attr(cit, "lang") or (_attr(title_el, "lang") if title_el is not None else "")
    if language:
        item["language"] = language
    return item


def references(article: Element) -> list[dict[str, Any]]:
    """Every `<ref>` of the article's reference lists, in order, ids made unique."""
    back = _kid(article, "back")
    refs = list(_walk(back, "ref")) if back is not None else []
    items: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, ref in enumerate(refs, 1):
        item = reference_item(ref, number)
        while item["id"] in seen:
            item["id"] = f"{item['id']}-{number}"
        seen.add(item["id"])
        items.append(item)
    return items


# --------------------------------------------------------------------------- the article itself

def source_item(article: Element, licence: Licence) -> dict[str, Any]:
    """The article as a CSL-JSON item, with its licence as an SPDX id (`license`)."""
    front = _kid(article, "front")
    journal = _first(front, "journal-meta")
    meta = _first(front, "article-meta")
    item: dict[str, Any] = {"id": "source", "type": "article-journal",
                            "title": rich_text(_first(meta, "article-title"))}
    authors = _article_authors(meta)
    if authors:
        item["author"] = authors
    journal_title = _plain(_first(journal, "journal-title"))
    if journal_title:
        item["container-title"] = journal_title
    short = next((_plain(j) for j in _kids(journal, "journal-id")
                  if _attr(j, "journal-id-type") in ("iso-abbrev", "nlm-ta")), "")
    if short and short != journal_title:
        item["container-title-short"] = short
    issn = next((_plain(i) for i in _kids(journal, "issn")), "")
    if issn:
        item["ISSN"] = issn
    publisher = _plain(_first(journal, "publisher-name"))
    if publisher:
        item["publisher"] = publisher
    for tag in ("volume", "issue"):
        value = _plain(_kid(meta, tag))
        if value:
            item[tag] = value
    pages = _pages(meta) if meta is not None else ""
    if pages:
        item["page"] = pages
    date = _publication_date(meta)
    if date:
        item["issued"] = {"date-parts": [date]}
    if meta is not None:
        item.update(_ids(meta))
        if "PMID" not in item:
            pmid = next((_plain(a) for a in _kids(meta, "article-id") if _attr(a, "pub-id-type") == "pmid"), "")
            if pmid.isdigit():
                item["PMID"] = pmid
    if item.get("DOI"):
        item["URL"] = f"https://doi.org/{item['DOI']}"
    language = _attr(article, "lang")
    if language:
        item["language"] = language
    if licence.spdx:
        item["license"] = licence.spdx
    return item


def _article_authors(meta: Optional[Element]) -> list[dict[str, Any]]:
    """Authors with affiliations (by `<xref ref-type="aff">` or nested `<aff>`) and ORCID."""
    if meta is None:
        return []
    affs = {_attr(a, "id"): _affiliation(a) for a in _walk(meta, "aff") if _attr(a, "id")}
    all_affs = [_affiliation(a) for a in _walk(meta, "aff")]
    authors: list[dict[str, Any]] = []
    for group in _kids(meta, "contrib-group"):
        group_affs = [_affiliation(a) for a in _kids(group, "aff")]
        for contrib in _kids(group, "contrib"):
            if (_attr(contrib, "contrib-type") or "author") != "author":
                continue
            person = _kid(contrib, "name", "string-name", "collab", "name-alternatives")
            if person is not None and _local(person.tag) == "name-alternatives":
                person = _kid(person, "name", "string-name")
            name = _name(person) if person is not None else None
            if not name:
                continue
            places = [affs[r] for x in _kids(contrib, "xref") if _attr(x, "ref-type") == "aff"
                      for r in _attr(x, "rid").split() if r in affs]
            places += [_affiliation(a) for a in _kids(contrib, "aff")]
            if not places and len(all_affs) == 1:
                places = all_affs
            elif not places and len(group_affs) == 1:
                places = group_affs
            author: dict[str, Any] = dict(name)
            if places:
                author["affiliation"] = "; ".join(p for p in dict.fromkeys(places) if p)
            orcid = next((_plain(c) for c in _kids(contrib, "contrib-id")
                          if _attr(c, "contrib-id-type").lower() == "orcid"), "")
            found = re.search(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", orcid)
            if found:
                author["ORCID"] = f"https://orcid.org/{found.group()}"
            authors.append(author)
    return authors


def _affiliation(aff: Element) -> str:
    """An affiliation's text without its label."""
    parts = [(aff.text or "")] + ["".join(c.itertext()) + (c.tail or "") if _local(c.tag) != "label" else (c.tail or "")
                                  for c in aff]
    return " ".join("".join(parts).split()).strip(" ,;")


def _publication_date(meta: Optional[Element]) -> Optional[list[int]]:
    """The publication date: epub, ppub, pub or collection, in that order of preference
    (PMC's release date is not the publication date)."""
    dates = _kids(meta, "pub-date")
    order = ("epub", "pub", "ppub", "epub-ppub", "collection")
    def rank(d: Element) -> int:
        kind = _attr(d, "pub-type") or _attr(d, "date-type")
        return order.index(kind) if kind in order else len(order) + (kind == "pmc-release")
    for d in sorted(dates, key=rank):
        parts = _date_parts(_plain(_kid(d, "year")), _plain(_kid(d, "month")), _plain(_kid(d, "day")))
        if parts:
            return parts
    return None


# --------------------------------------------------------------------------- sections

# Body section titles (lower-case, punctuation dropped) to record fields, by the first word
# sequence they start with. `sec-type` values are tried after the title.
_SECTION_FIELDS = (
    (("case presentation", "case report", "case description", "case history", "case summary",
      "case series", "case details", "case", "cases", "presentation", "clinical presentation",
      "patient information", "clinical findings", "history"), "presentation"),
    (("introduction", "background", "intro"), "introduction"),
    (("investigation", "investigations", "diagnostic assessment", "diagnosis", "differential diagnosis",
      "laboratory", "imaging"), "investigations"),
    (("treatment", "management", "therapeutic intervention", "intervention", "interventions"), "treatment"),
    (("outcome", "outcomes", "follow up", "follow-up", "clinical course", "course"), "outcome"),
    (("discussion",), "discussion"),
    (("conclusion", "conclusions", "summary"), "conclusion"),
    (("learning points", "learning point", "key points", "key messages", "teaching points"), "learning_points"),
    (("patient perspective", "patient's perspective", "patients perspective"), "patient_perspective"),
    (("acknowledgement", "acknowledgements", "acknowledgment", "acknowledgments"), "acknowledgements"),
    (("funding", "funding source", "funding sources", "financial support", "sources of funding"), "funding"),
    (("competing interest", "competing interests", "conflict of interest", "conflicts of interest",
      "conflict of interests", "declaration of competing interest", "declaration of interests",
      "disclosure", "disclosures", "coi statement", "coi-statement", "declarations of interest"),
     "competing_interests"),
    (("consent", "patient consent", "informed consent", "patient consent for publication",
      "consent for publication"), "consent"),
    (("ethics", "ethical approval", "ethics approval", "ethic statement", "ethics statement",
      "ethical statement", "ethical considerations", "ethics approval and consent to participate"),
     "ethics_approval"),
    (("data availability", "data availability statement", "availability of data and materials",
      "data sharing statement", "data-availability"), "data_availability"),
    (("author contributions", "contributors", "authors contributions", "author-contributions"),
     "author_contributions"),
)
_BY_TITLE = {title: target for titles, target in _SECTION_FIELDS for title in titles}
_PRESENTATION_PARTS = ("presentation", "investigations", "treatment")
"""Sections that have no prose field of their own: they join `presentation` in order,
each with its title as a bold lead-in (the structured lists are the author's to fill)."""


def _normal_title(text: str) -> str:
    text = re.sub(r"^[\dIVX.]+\s+", "", text.strip())  # "2. Case report", "II. Discussion"
    return " ".join(re.sub(r"[^\w\s'-]", " ", text.lower().replace("\u2019", "'")).split())


def section_field(title: str, sec_type: str = "") -> Optional[str]:
    """The record field a section goes to, from its title (or `sec-type`), else None."""
    for text in (title, sec_type):
        norm = _normal_title(text)
        if not norm:
            continue
        if norm in _BY_TITLE:
            return _BY_TITLE[norm]
        for key in sorted(_BY_TITLE, key=len, reverse=True):
            if norm.startswith(key + " ") and len(key) > 4:
                return _BY_TITLE[key]
        if "case" in norm.split() and ("report" in norm or "presentation" in norm):
            return "presentation"
        if "consent" in norm:
            return "consent"
        if "conflict" in norm or "competing" in norm:
            return "competing_interests"
    return None


@dataclass
class Section:
    """One article section: its heading, the field it maps to, and its content."""

    title: str
    target: Optional[str]
    element: Element

    @property
    def words(self) -> int:
        return _words(self.element) - _words(_kid(self.element, "title"))


def sections(article: Element) -> list[Section]:
    """The body's top-level sections and the back matter's sections, notes and
    acknowledgements (a body with paragraphs before any section is one 'Body' section)."""
    found: list[Section] = []
    body = _kid(article, "body")
    if body is not None:
        loose = [c for c in body if _local(c.tag) in ("p", "list")]
        if loose:
            holder = Element("sec")
            holder.extend(loose)
            found.append(Section("(text before the first section)", None, holder))
        for sec in _kids(body, "sec"):
            title = _plain(_kid(sec, "title"))
            found.append(Section(title or "(untitled section)", section_field(title, _attr(sec, "sec-type")), sec))
    back = _kid(article, "back")
    if back is not None:
        for ack in _kids(back, "ack"):
            found.append(Section(_plain(_kid(ack, "title")) or "Acknowledgements", "acknowledgements", ack))
        notes = list(_kids(back, "sec", "notes")) + list(_walk(back, "fn"))
        for sec in notes:
            title = _plain(_kid(sec, "title"))
            kind = _attr(sec, "sec-type") or _attr(sec, "fn-type") or _attr(sec, "notes-type")
            target = section_field(title, kind)
            if _local(sec.tag) == "fn" and target is None:
                continue  # a footnote of no known kind (abbreviations, equal contribution)
            if _local(sec.tag) == "notes" and target is None and _kids(sec, "sec"):
                for sub in _kids(sec, "sec"):
                    sub_title = _plain(_kid(sub, "title"))
                    found.append(Section(sub_title or "(untitled note)", section_field(sub_title, _attr(sub, "sec-type")), sub))
                continue
            if kind == "supplementary-material" or (target is None and not _paragraphs(sec, False)):
                continue
            found.append(Section(title or kind or "(untitled note)", target, sec))
    return found


# --------------------------------------------------------------------------- abstract

_ABSTRACT_KEYS = (
    (("background", "context", "objective", "objectives", "aim", "purpose"), "background"),
    (("introduction",), "introduction"),
    (("case presentation", "case report", "case description", "case", "case summary", "case details",
      "presentation", "case series", "cases", "patient", "patients", "clinical presentation",
      "case history", "methods"), "case_presentation"),
    (("investigations", "investigation", "findings", "results"), "investigations"),
    (("diagnosis", "diagnoses"), "diagnosis"),
    (("differential diagnosis", "differential diagnoses"), "differential_diagnosis"),
    (("treatment", "treatments", "intervention", "interventions"), "treatment"),
    (("management",), "management"),
    (("outcome", "outcomes", "outcome and follow-up", "outcome and follow up", "follow-up", "follow up"), "outcome"),
    (("conclusion", "conclusions", "discussion", "learning points", "conclusion and importance",
      "conclusions and relevance", "lessons", "lesson"), "conclusions"),
)
_ABSTRACT_BY_TITLE = {t: key for titles, key in _ABSTRACT_KEYS for t in titles}
_SKIPPED_ABSTRACTS = ("graphical", "teaser", "author-highlights", "highlights", "precis", "toc",
                      "web-summary", "short", "editor")


def main_abstract(article: Element) -> Optional[Element]:
    """The article's own abstract (not a graphical abstract, highlights or translation)."""
    meta = _first(article, "article-meta")
    for abstract in _kids(meta, "abstract"):
        if (_attr(abstract, "abstract-type") or "").lower() not in _SKIPPED_ABSTRACTS:
            return abstract
    return None


def abstract_value(abstract: Element, cite: bool) -> str | dict[str, str]:
    """Structured sections under the schema's keys when every title maps to a distinct
    key, else one Markdown text (section titles as bold lead-ins)."""
    secs = _kids(abstract, "sec")
    if secs:
        mapped: dict[str, str] = {}
        for sec in secs:
            key = _ABSTRACT_BY_TITLE.get(_normal_title(_plain(_kid(sec, "title"))))
            text = _paragraphs(sec, cite)
            if key is None or key in mapped or not text:
                break
            mapped[key] = text
        else:
            if mapped:
                return mapped
    return _paragraphs(abstract, cite)


# --------------------------------------------------------------------------- figures and tables

@dataclass
class FigureInfo:
    """A figure of the article: what the record gets and where its image may be."""

    id: str
    label: str
    caption: str
    alt: str
    alt_from_caption: bool
    href: str


def figures(article: Element) -> list[FigureInfo]:
    found: list[FigureInfo] = []
    for number, fig in enumerate(_walk(article, "fig"), 1):
        fig_id = _attr(fig, "id") or f"fig{number}"
        label = _plain(_kid(fig, "label"))
        caption_el = _kid(fig, "caption")
        caption_parts = []
        if caption_el is not None:
            title = _kid(caption_el, "title")
            if title is not None:
                caption_parts.append(inline_markdown(title))
            caption_parts.append(_paragraphs(caption_el, cite=True))
        caption = "\n\n".join(p for p in caption_parts if p)
        alt = _plain(_first(fig, "alt-text"))
        from_caption = not alt or _normal_title(alt) == _normal_title(label) or len(alt) < 12
        if from_caption:
            alt = _short_alt(_plain(caption_el) if caption_el is not None else "", label)
        graphic = _first(fig, "graphic")
        found.append(FigureInfo(fig_id, label, caption, alt, from_caption,
                                _attr(graphic, "href") if graphic is not None else ""))
    return found


def _short_alt(caption: str, label: str) -> str:
    """A short alt text from a caption: its first sentence, at most about 120 characters."""
    sentence = re.split(r"(?<=[a-z0-9)\]])[.;]\s", caption, maxsplit=1)[0].strip().rstrip(".")
    if len(sentence) > 120:
        sentence = sentence[:117].rsplit(" ", 1)[0] + "..."
    return sentence or label or "Figure"


@dataclass
class TableInfo:
    id: str
    label: str
    caption: str
    content: Optional[str]  # None: not a simple table


def tables(article: Element) -> list[TableInfo]:
    found: list[TableInfo] = []
    for number, wrap in enumerate(_walk(article, "table-wrap"), 1):
        caption_el = _kid(wrap, "caption")
        caption = ""
        if caption_el is not None:
            title = _kid(caption_el, "title")
            caption = "\n\n".join(p for p in ((inline_markdown(title) if title is not None else ""),
                                              _paragraphs(caption_el, cite=True)) if p)
        table = _first(wrap, "table")
        found.append(TableInfo(_attr(wrap, "id") or f"table{number}", _plain(_kid(wrap, "label")), caption,
                               pipe_table(table) if table is not None else None))
    return found


def pipe_table(table: Element) -> Optional[str]:
    """A simple table (no cell spanning rows or columns, no nested blocks, rows of one
    width) as a Markdown pipe table; None otherwise."""
    rows: list[list[str]] = []
    header_rows = 0
    for row in _walk(table, "tr"):
        cells = _kids(row, "td", "th")
        if any(_attr(c, "rowspan") not in ("", "1") or _attr(c, "colspan") not in ("", "1") for c in cells):
            return None
        if any(_first(c, "p", "list", "table", "fig") is not None for c in cells
               if len(_kids(c, "p")) > 1 or _first(c, "list", "table", "fig") is not None):
            return None
        rows.append([inline_markdown(c).replace("|", "\\|") or " " for c in cells])
    head = _first(table, "thead")
    header_rows = len(list(_walk(head, "tr"))) if head is not None else 0
    if not rows or len({len(r) for r in rows}) != 1 or header_rows > 1:
        return None
    header, body = rows[0], rows[1:]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


# --------------------------------------------------------------------------- images

def find_image(folder: Path, href: str) -> Optional[Path]:
    """The image file `href` names beside the article: the name as given, else with one of
    `IMAGE_SUFFIXES` (either letter case). Only a plain file name is looked up (a path with
    folders or `..` is not followed)."""
    if not href or "/" in href or "\\" in href or href.startswith(".") or ":" in href:
        return None
    candidates = [href] if Path(href).suffix.lower() in IMAGE_SUFFIXES else []
    candidates += [href + s for s in IMAGE_SUFFIXES] + [href + s.upper() for s in IMAGE_SUFFIXES]
    for name in candidates:
        path = folder / name
        if path.is_file() and not path.is_symlink():
            return path
    return None


def image_bytes(path: Path) -> tuple[str, bytes]:
    """The file name and bytes to copy for an image: a one-page TIFF becomes a PNG
    (lossless; CMYK and other modes a browser cannot show are converted to RGB), anything
    else is copied as it is. The file must first pass the one figure check
    (`images.figure_problem`: size, pixels, decoding, the SVG allow-list). Raises
    `CaseErrors` for a refused figure and for a multi-page TIFF (a PNG holds one page)."""
    from ..checks.images import figure_problem, open_raster

    problem = figure_problem(path, path.name)
    if problem:
        raise fail(path, None, problem[0], problem[1] + "; then add it to the record by hand")
    data = path.read_bytes()
    if path.suffix.lower() not in (".tif", ".tiff"):
        return path.name, data
    try:
        with open_raster(data) as image:
            pages = getattr(image, "n_frames", 1)
            if pages > 1:
                raise fail(path, None, f"the TIFF image has {pages} pages, and a PNG holds one",
                           "export the pages you need as PNG files and add them to the record by hand")
            image.load()
            if image.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
                image = image.convert("RGBA" if "A" in image.mode else "RGB")
            out = io.BytesIO()
            image.save(out, format="PNG", optimize=False)
    except CaseErrors:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken file
        raise fail(path, None, f"the TIFF image could not be converted ({printable(exc)})",
                   "convert it to PNG yourself and add it by hand") from None
    return path.stem + ".png", out.getvalue()


# --------------------------------------------------------------------------- the draft

@dataclass
class Draft:
    """What an import makes: the record's data, comments for its top, prompts for the
    fields left to the author, the image files to write (relative to cases/) and notes
    for the terminal."""

    data: dict[str, Any]
    header: list[str] = field(default_factory=list)
    prompts: dict[str, list[str]] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    reusable: bool = False


def case_id(article: Element, path: Path) -> str:
    """A case id for the article: its first author's family name, the year and the first
    words of its title (`smith-2020-fusobacterium-liver-abscess`), else the file's stem."""
    from ..scaffold import slugify

    meta = _first(article, "article-meta")
    source = source_item(article, Licence(None, (), False))
    first = (source.get("author") or [{}])[0]
    who = first.get("family") or first.get("literal") or ""
    year = str((source.get("issued") or {}).get("date-parts", [[""]])[0][0])
    title_words = slugify(_plain(_first(meta, "article-title"))).split("-")[:5]
    slug = slugify(" ".join([who, year, *title_words]))[:60].strip("-")
    return slug or slugify(path.stem) or "imported-article"


def draft_from_tree(article: Element, path: Path, slug: str, today: str) -> Draft:
    """The draft record for a parsed article (pure: finds image files, reads nothing else)."""
    licence = licence_of(article)
    meta = _first(article, "article-meta")
    draft = Draft(data={}, reusable=licence.reusable)
    data = draft.data
    title = _plain(_first(meta, "article-title")) if meta is not None else ""
    data["schema_version"] = 1
    data["id"] = slug
    data["title"] = title or slug
    data["type"] = _record_type(article)
    data["status"] = "draft"
    data["date"] = today
    keywords = [_plain(k) for k in _walk(meta, "kwd")] if meta is not None else []
    data["keywords"] = list(dict.fromkeys(k for k in keywords if k))
    abstract = main_abstract(article)
    if licence.reusable and abstract is not None:
        data["abstract"] = abstract_value(abstract, cite=True)
    else:
        data["abstract"] = ""
        draft.prompts["abstract"] = _prompt("the article's abstract", abstract)
    _fill_sections(article, draft, licence.reusable)
    _fill_figures(article, draft, path.parent, slug, licence.reusable)
    _fill_tables(article, draft, licence.reusable)
    data["references"] = references(article)
    funding = _funding(meta)
    if funding:
        data["funding"] = funding
    data["source"] = source_item(article, licence)
    draft.header = _header(draft, licence, path)
    return draft


def _record_type(article: Element) -> str:
    """`case-series` for a series (article type or title), else `case-study`, the type of
    a summary of a published article."""
    title = _plain(_first(_first(article, "article-meta"), "article-title")).lower()
    kind = _attr(article, "article-type").lower()
    return "case-series" if "case series" in title or kind == "case-series" else "case-study"


def _prompt(what: str, el: Optional[Element], heading: str = "") -> list[str]:
    """A prompt naming the article's section and its length (its own text: figures,
    tables and the heading are not counted)."""
    if el is None:
        return [f"{what}: none in the article; write it in your own words"]
    blocks = [b for b in _paragraphs(el, cite=False).split("\n\n") if b.strip()]
    words = sum(len(b.split()) for b in blocks)
    heading = f' "{heading}"' if heading else ""
    return [f"{what}{heading}: {words} word{'s' if words != 1 else ''} in {len(blocks)} "
            f"paragraph{'s' if len(blocks) != 1 else ''}; "
            "its licence does not allow copying it: write it in your own words"]


def _fill_sections(article: Element, draft: Draft, reusable: bool) -> None:
    data = draft.data
    gathered: dict[str, list[str]] = {}
    unmapped: list[str] = []
    for sec in sections(article):
        target = sec.target
        if target is None:
            unmapped.append(sec.title)
            continue
        if target in _PRESENTATION_PARTS:
            target = "presentation"
        elif target == "conclusion":
            target = "discussion"
        if not reusable:
            draft.prompts.setdefault(target, []).extend(_prompt("the article's section", sec.element, sec.title))
            continue
        text = _paragraphs(sec.element, cite=True)
        if not text:
            continue
        if sec.target in ("investigations", "treatment", "conclusion") or target in gathered:
            text = f"**{sec.title.rstrip('.')}.**\n\n{text}"
        gathered.setdefault(target, []).append(text)
    for target, texts in gathered.items():
        text = "\n\n".join(texts)
        if target == "learning_points":
            items = [line[2:] for line in text.split("\n") if line.startswith(("- ", "1. "))]
            data["learning_points"] = items or [text]
        elif target == "consent":
            data["consent"] = {"obtained": False, "by": "not-stated", "statement": text}
        elif target == "funding":
            draft.prompts.setdefault("funding", []).append(
                "the article's funding statement: " + " ".join(text.split())[:300])
        else:
            data[target] = text
    if unmapped:
        draft.notes.append("sections not imported (no field of the record matches their title): "
                           + "; ".join(unmapped))
    draft.unmapped = unmapped  # type: ignore[attr-defined]


def _fill_figures(article: Element, draft: Draft, folder: Path, slug: str, reusable: bool) -> None:
    figs = figures(article)
    if not figs:
        return
    if not reusable:
        draft.prompts["figures"] = [f"{f.label or f.id} (image '{f.href}'): its licence does not allow copying "
                                    "the caption or image; add your own figure if you have one" for f in figs]
        return
    entries = []
    missing = []
    for fig in figs:
        image = find_image(folder, fig.href)
        name = f"{fig.href or fig.id}.png"
        if image is not None:
            name, data = image_bytes(image)
            draft.files[f"figures/{slug}/{name}"] = data
        else:
            name = (fig.href if Path(fig.href).suffix.lower() in IMAGE_SUFFIXES else f"{fig.href or fig.id}.jpg")
            missing.append(f"{fig.label or fig.id}: cases/figures/{slug}/{name} (the article's '{fig.href}')")
        entry: dict[str, Any] = {"id": fig.id}
        if fig.label:
            entry["label"] = fig.label
        entry["file"] = f"figures/{slug}/{name}"
        if fig.caption:
            entry["caption"] = fig.caption
        entry["alt"] = fig.alt
        if image is not None:
            entries.append(entry)
        else:
            draft.prompts.setdefault("figures", []).extend(_commented_entry(entry))
        if fig.alt_from_caption:
            draft.notes.append(f"{fig.label or fig.id}: alt text made from the caption; review it")
    if entries:
        draft.data["figures"] = entries
    if missing:
        draft.notes.append("figure files to add (not found beside the article; their entries are comments "
                           "under figures: to uncomment once the file is there): " + "; ".join(missing))


def _commented_entry(entry: dict[str, Any]) -> list[str]:
    """A figure entry as YAML lines, for a comment the author uncomments once the file is added."""
    import yaml

    text = yaml.safe_dump([entry], sort_keys=False, allow_unicode=True, width=100)
    return text.rstrip("\n").split("\n")


def _fill_tables(article: Element, draft: Draft, reusable: bool) -> None:
    found = tables(article)
    if not found:
        return
    if not reusable:
        draft.prompts["tables"] = [f"{t.label or t.id}: its licence does not allow copying it" for t in found]
        return
    entries = []
    for table in found:
        if table.content is None:
            draft.notes.append(f"{table.label or table.id}: not converted (cells spanning rows or columns, "
                               "or blocks in cells); add it by hand as a pipe table")
            continue
        entry: dict[str, Any] = {"id": table.id}
        if table.label:
            entry["label"] = table.label
        if table.caption:
            entry["caption"] = table.caption
        entry["content"] = table.content
        entries.append(entry)
    if entries:
        draft.data["tables"] = entries


def _funding(meta: Optional[Element]) -> list[dict[str, Any]]:
    """`<funding-group>` awards as funding entries (funder and award ids: metadata)."""
    entries: list[dict[str, Any]] = []
    for award in _walk(meta, "award-group") if meta is not None else []:
        funder = "; ".join(_plain(s) for s in _walk(award, "funding-source") if _plain(s))
        ids = [_plain(a) for a in _walk(award, "award-id") if _plain(a)]
        if funder:
            entries.append({"funder": funder, "award": ids} if ids else {"funder": funder})
    return entries


def _header(draft: Draft, licence: Licence, path: Path) -> list[str]:
    source = draft.data["source"]
    lines = [f"Imported by `grandrounds import` from {path.name} on {draft.data['date']} (status: draft).",
             f"The published article: {source.get('title', '')}"
             + (f", doi:{source['DOI']}" if source.get("DOI") else "") + "; it is `source:` below.",
             ]
    if licence.reusable:
        lines.append(f"Its licence ({licence.spdx}) allows reuse with attribution: the article's text, captions")
        lines.append("and tables were copied. A summary is still yours to write: shorten and rewrite them.")
    else:
        shown = licence.spdx or (licence.urls[0][:80] if licence.urls else "none stated")
        lines.append(f"Its licence ({shown}) does not allow copying its text: the prose fields are")
        lines.append("prompts (below each field) for you to write in your own words; references and metadata are filled.")
    lines += ["To do: `authors:` (the summary's authors), `license:` (the summary's licence), `patient:`,",
              "specialties and tags, then `grandrounds check`, then `status: published`."]
    unmapped = getattr(draft, "unmapped", [])
    if unmapped:
        lines.append("Sections of the article not imported: " + "; ".join(unmapped))
    return lines


# --------------------------------------------------------------------------- entry point

def draft_from_file(path: Path, slug: Optional[str] = None, today: Optional[str] = None) -> Draft:
    """Parse the article at `path` and make its draft; raises `CaseErrors`."""
    import datetime

    article = parse_article(path)
    slug = slug or case_id(article, path)
    draft = draft_from_tree(article, path, slug, today or datetime.date.today().isoformat())
    check_values(draft, path)
    return draft


def check_values(draft: Draft, path: Path) -> None:
    """The decoded-value rules (`values.value_problems`) on the draft's data."""
    problems = list(value_problems(draft.data))
    if problems:
        where, what, hint = problems[0]
        name = ".".join(str(p) for p in where) or "article"
        raise fail(path, None, f"{name}: {what}", hint)


# --------------------------------------------------------------------------- record text

def record_text(draft: Draft) -> str:
    """The draft as YAML: the header comments, then each field, with the prompts for a
    field as comments just below it."""
    import yaml

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value and not value.endswith((" ", "\n")) and value == value.strip() else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    out = ["# yaml-language-server: $schema=../schema/case.schema.json"]
    out += [f"# {line}" for line in draft.header]
    prompts = dict(draft.prompts)
    for key, value in draft.data.items():
        out.append(yaml.dump({key: value}, Dumper=Dumper, sort_keys=False, allow_unicode=True,
                             width=100, default_flow_style=False).rstrip("\n"))
        out += [f"#   {line}" for line in prompts.pop(key, [])]
        if key == "abstract":
            for name in ("introduction", "presentation", "outcome", "discussion", "learning_points",
                         "patient_perspective"):
                if name in prompts and name not in draft.data:
                    out.append(f"# {name}: |")
                    out += [f"#   {line}" for line in prompts.pop(name)]
    for name, lines in prompts.items():
        out.append(f"# {name}:")
        out += [f"#   {line}" for line in lines]
    out += ["# authors:                  # the summary's authors (the article's are in source:)",
            "#   - name: \"Family, G.\"",
            "# license: CC-BY-4.0        # the summary's licence (SPDX id)"]
    return "\n".join(out) + "\n"
