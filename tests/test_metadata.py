"""Head metadata (metadata.py: schema.org JSON-LD, Highwire, Open Graph) and the Atom feed
(feed.py), from the example cases and small records written here."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import ROOT, parse_html, write_case
from grandrounds.site.feed import ATOM, atom_feed, timestamp
from grandrounds.record.library import load_library, read_case
from grandrounds.site.markup import markdown_to_text
from grandrounds.site.metadata import PageInfo, absolute_url, head_html, highwire_tags, open_graph
from grandrounds.record.model import Case

# Every schema.org type and property the JSON-LD may use, each checked by hand against
# https://schema.org/<term> (schema.org version 29). A term outside these lists fails.
SCHEMA_TYPES = {"MedicalScholarlyArticle", "ScholarlyArticle", "CreativeWork", "Person", "Organization",
                "MedicalCondition", "MedicalCode", "Periodical", "PropertyValue"}
SCHEMA_PROPERTIES = {
    "headline", "name", "publicationType", "description", "inLanguage", "publisher", "url",
    "mainEntityOfPage", "datePublished", "author", "affiliation", "sameAs", "keywords", "about",
    "code", "codeValue", "codingSystem", "license", "citation", "isBasedOn", "familyName",
    "givenName", "isPartOf", "identifier", "propertyID", "value",
}
SITE = "Teaching library"


def _repository_cases() -> dict[str, Case]:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        return {c.slug: c for c in load_library(Path("cases")).cases}


CASES = _repository_cases()
HIDDEN = "anti-nmda-encephalitis"  # the example with `teaching: {hide: [diagnosis]}`


def terms(value, found=None):
    """(types, properties) used anywhere in a JSON-LD value."""
    found = found or (set(), set())
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "@type":
                found[0].add(item)
            elif key != "@context":
                found[1].add(key)
            terms(item, found)
    elif isinstance(value, list):
        for item in value:
            terms(item, found)
    return found


def head(case: Case, **info) -> tuple[dict, dict[str, list[str]]]:
    """The JSON-LD object (parsed from the <script> text) and the meta tags by name/property."""
    doc = parse_html(f"<html><head>{head_html(case, PageInfo(site_name=SITE, **info))}</head></html>")
    scripts = doc.find_all("script")
    assert len(scripts) == 1 and scripts[0].get("type") == "application/ld+json"
    assert scripts[0].get("id") == "gr-jsonld"
    data = json.loads(scripts[0].text())
    meta: dict[str, list[str]] = {}
    for tag in doc.find_all("meta"):
        meta.setdefault(tag.get("name") or tag.get("property"), []).append(tag.get("content"))
    return data, meta


@pytest.mark.parametrize("case_id", sorted(CASES))
def test_json_ld_uses_only_checked_schema_org_terms(case_id):
    data, _ = head(CASES[case_id], page_url=f"https://example.org/{case_id}/")
    assert data["@context"] == "https://schema.org"
    assert data["@type"] == "MedicalScholarlyArticle"
    assert data["publicationType"] == "Case Reports"
    types, properties = terms(data)
    assert types <= SCHEMA_TYPES, types - SCHEMA_TYPES
    assert properties <= SCHEMA_PROPERTIES, properties - SCHEMA_PROPERTIES


def test_json_ld_of_the_seed_case():
    case = CASES["dah-sle-msc"]
    data, _ = head(case, page_url="https://example.org/dah-sle-msc/")
    assert data["headline"] == case.title and data["datePublished"] == "2010-08"
    assert data["url"] == "https://example.org/dah-sle-msc/"
    assert [a["name"] for a in data["author"]] == [a.name for a in case.authors]
    about = data["about"]
    assert about["@type"] == "MedicalCondition"
    assert about["name"] == markdown_to_text(case.final_diagnosis)
    assert {(c["codingSystem"], c["codeValue"]) for c in about["code"]} == \
        {("ICD-10", "M32.1"), ("ICD-10", "R04.8")}
    assert all(c["@type"] == "MedicalCode" for c in about["code"])
    assert len(data["citation"]) == len(case.reference_items()) == 24
    first = data["citation"][0]
    assert first["@type"] == "ScholarlyArticle"
    assert first["name"] == "Alveolar hemorrhage in systemic lupus erythematosus: presentation and management"
    assert first["datePublished"] == "2000" and first["author"][0]["familyName"] == "Santos-Ocampo"
    assert data["isBasedOn"] == "https://doi.org/" + case.source.DOI


def test_json_ld_citations_carry_their_dois():
    case = CASES["elderly-hyponatraemia-siadh"]
    data, _ = head(case)
    dois = [r["DOI"] for r in case.reference_items() if r.get("DOI")]
    with_doi = [c for c in data["citation"] if "identifier" in c]
    assert len(with_doi) == len(dois) == 5
    assert [c["identifier"] for c in with_doi] == [
        {"@type": "PropertyValue", "propertyID": "DOI", "value": d} for d in dois]
    assert all(c["sameAs"] == "https://doi.org/" + c["identifier"]["value"] for c in with_doi)


def test_hidden_diagnosis_is_not_in_json_ld_or_descriptions():
    case = CASES[HIDDEN]
    assert case.teaching.hide == ["diagnosis"]
    data, meta = head(case, page_url="https://example.org/x/")
    assert "about" not in data
    text = json.dumps(data) + json.dumps(meta)
    assert markdown_to_text(case.abstract["diagnosis"])[:40] not in text
    assert markdown_to_text(case.final_diagnosis)[:40] not in text
    assert meta["og:description"] == [data["description"]]
    assert data["description"].startswith(markdown_to_text(case.abstract["case_presentation"])[:40])


def test_site_wide_teaching_default_hides_the_diagnosis_of_every_case():
    data, _ = head(CASES["dah-sle-msc"], teaching_hide=("diagnosis",))
    assert "about" not in data


def test_script_text_cannot_close_the_script_element(tmp_path):
    title = 'A </script><script>alert("x")</script> & <!-- case'
    case = read_case(write_case(tmp_path, "x", f"""
        title: '{title}'
        abstract: "Text with </script> inside"
    """), tmp_path / "cases")
    html = str(head_html(case, PageInfo(site_name=SITE)))
    script = html[html.index("<script"):html.index("</script>") + len("</script>")]
    assert script.count("<") == 2 and "<!--" not in script  # only the element's own tags
    data = json.loads(script[script.index(">") + 1:-len("</script>")])
    assert data["headline"] == title and "</script>" in data["description"]
    _, meta = head(case)
    assert meta["og:title"] == [title] and meta["citation_title"] == [title]


def test_highwire_tags_describe_the_summary():
    case = CASES["elderly-hyponatraemia-siadh"]
    url = "https://example.org/lib/elderly-hyponatraemia-siadh/"
    tags = highwire_tags(case, PageInfo(site_name=SITE, page_url=url))
    names = [n for n, _ in tags]
    assert dict(tags)["citation_title"] == case.title
    assert [v for n, v in tags if n == "citation_author"] == [a.name for a in case.authors]
    assert dict(tags)["citation_publication_date"] == "2024"
    assert dict(tags)["citation_publisher"] == SITE
    assert dict(tags)["citation_abstract_html_url"] == url
    assert "citation_doi" not in names and "citation_pdf_url" not in names
    with_pdf = dict(highwire_tags(case, PageInfo(site_name=SITE, page_url=url, pdf_url=url + "x.pdf")))
    assert with_pdf["citation_pdf_url"] == url + "x.pdf"
    assert dict(highwire_tags(CASES["pediatric-kawasaki-incomplete"], PageInfo(SITE)))[
        "citation_publication_date"] == "2025/02"


def test_open_graph_url_only_with_a_site_url():
    case = CASES["dah-sle-msc"]
    without = dict(open_graph(case, PageInfo(site_name=SITE)))
    assert without["og:type"] == "article" and without["og:site_name"] == SITE
    assert without["og:title"] == case.title and "og:url" not in without
    url = absolute_url("https://example.org/lib", "dah-sle-msc/")
    assert url == "https://example.org/lib/dah-sle-msc/"
    assert dict(open_graph(case, PageInfo(site_name=SITE, page_url=url)))["og:url"] == url
    assert absolute_url(None, "x/") is None and absolute_url("https://e.org/", "") == "https://e.org/"


# --------------------------------------------------------------------------- feed


def entries(feed_text: str) -> tuple[ET.Element, list[ET.Element]]:
    root = ET.fromstring(feed_text.encode("utf-8"))
    assert root.tag == f"{{{ATOM}}}feed"
    return root, root.findall(f"{{{ATOM}}}entry")


def a(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def test_feed_is_valid_atom_newest_first():
    text = atom_feed(CASES.values(), site_name=SITE, site_url="https://example.org/lib/")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>')
    root, items = entries(text)
    for required in ("id", "title", "updated"):
        assert root.find(a(required)) is not None and root.find(a(required)).text
    assert root.find(a("link[@rel='self']")).get("href") == "https://example.org/lib/feed.xml"
    published = [c for c in CASES.values() if c.status == "published"]
    assert len(items) == len(published)  # drafts left out
    dates = [e.find(a("updated")).text for e in items]
    assert dates == sorted(dates, reverse=True)
    newest = max(published, key=lambda c: c.date or "")
    assert newest.slug == "palpitations-runner"  # the example library's newest: an unknown case
    assert root.find(a("updated")).text == dates[0] == "2026-11-01T00:00:00Z"
    for entry in items:
        for required in ("id", "title", "updated", "summary", "author"):
            assert entry.find(a(required)) is not None, required
        link = entry.find(a("link")).get("href")
        assert link.startswith("https://example.org/lib/") and link.endswith("/")
        assert entry.find(a("id")).text == link
    titles = [e.find(a("title")).text for e in items]
    assert titles[0] == newest.teaching.title != newest.title  # its neutral title, never the real one
    assert newest.title not in text


def test_feed_without_site_url_uses_relative_links_and_urn_ids():
    _, items = entries(atom_feed(CASES.values(), site_name=SITE, directory_urls=False))
    for entry in items:
        assert entry.find(a("id")).text.startswith("urn:grandrounds:case:")
        assert entry.find(a("link")).get("href").endswith(".html")


def test_feed_summary_leaves_out_hidden_sections():
    text = atom_feed(CASES.values(), site_name=SITE)
    case = CASES[HIDDEN]
    assert markdown_to_text(case.abstract["diagnosis"])[:40] not in text
    _, items = entries(text)
    summary = next(e.find(a("summary")).text for e in items if e.find(a("title")).text == case.title)
    assert summary.startswith(markdown_to_text(case.abstract["case_presentation"])[:40])


def test_feed_keeps_the_newest_twenty_and_escapes_text(tmp_path):
    for i in range(25):
        write_case(tmp_path, f"c{i:02d}", f"""
            title: "Case {i} <b>&amp; \\"quotes\\""
            date: "2001-{i % 12 + 1:02d}-{i + 1:02d}"
            abstract: A & B < C
        """)
    cases = load_library(tmp_path / "cases").cases
    assert len(cases) == 25
    _, items = entries(atom_feed(cases, site_name="A & B"))
    assert len(items) == 20
    assert items[0].find(a("title")).text == 'Case 23 <b>&amp; "quotes"'
    assert items[0].find(a("summary")).text == "A & B < C"
    assert items[0].find(a("author/" + a("name"))).text == "A & B"  # no authors: the site


@pytest.mark.parametrize("date,stamp", [("2024", "2024-01-01T00:00:00Z"), ("2024-11", "2024-11-01T00:00:00Z"),
                                         ("2024-11-05", "2024-11-05T00:00:00Z")])
def test_feed_timestamps(date, stamp):
    assert timestamp(date) == stamp
