"""The Atom feed (RFC 4287) of the newest cases, `feed.xml` at the site root.

Owns the feed's content and XML; the MkDocs plugin adds the result to the site as a
generated file. Entries are the `limit` newest published cases by `date` (cases without
a date last; ties by title). Summaries follow DESIGN.md's teaching rule (hidden abstract
parts are left out, see `render.description`). Without a `site_url`, links are relative to
the feed (which sits at the site root) and ids are `urn:grandrounds:` names, so the feed
still validates; with one, both are absolute URLs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from types import SimpleNamespace
from typing import Iterable

from ..record.model import Case
from .render import all_tags, description, display_name, page_url
from .view import public_view

ATOM = "http://www.w3.org/2005/Atom"
FEED_PATH = "feed.xml"
LIMIT = 20


def timestamp(date: str | None) -> str:
    """An RFC 3339 timestamp from a record's date (YYYY, YYYY-MM or YYYY-MM-DD): the first
    day it can mean, at midnight UTC."""
    parts = (date or "1970").split("-")
    parts += ["01"] * (3 - len(parts))
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


def newest(cases: Iterable[Case], limit: int = LIMIT) -> list[Case]:
    """The `limit` newest cases by `date` (undated last), ties by title then id."""
    ordered = sorted(cases, key=lambda c: (c.title.lower(), c.slug))
    ordered.sort(key=lambda c: c.date or "", reverse=True)
    return ordered[:limit]


def atom_feed(cases: Iterable[Case], *, site_name: str, site_url: str | None = None,
              directory_urls: bool = True, teaching_hide: tuple[str, ...] = (),
              limit: int = LIMIT) -> str:
    """The feed's XML text (UTF-8, with an XML declaration)."""
    entries = newest([c for c in cases if c.status == "published"], limit)
    options = SimpleNamespace(teaching_hide=teaching_hide)  # what `public_view` reads
    base = site_url.rstrip("/") + "/" if site_url else ""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    _text(feed, "title", site_name)
    _text(feed, "id", base + FEED_PATH if base else "urn:grandrounds:feed")
    _text(feed, "updated", max((timestamp(c.date) for c in entries), default=timestamp(None)))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", href=base + FEED_PATH if base else FEED_PATH)
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=base or "./")
    _text(feed, "generator", "grandrounds")
    for case in entries:
        url = page_url(f"{case.slug}.md", directory_urls)
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        view = public_view(case, options)
        _text(entry, "title", view.title)
        _text(entry, "id", base + url if base else f"urn:grandrounds:case:{case.slug}")
        _text(entry, "updated", timestamp(case.date))
        _text(entry, "published", timestamp(case.date))
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=base + url)
        for author in case.authors or []:
            _text(ET.SubElement(entry, f"{{{ATOM}}}author"), "name", author.name)
        if not case.authors:  # Atom needs an author on every entry, or on the feed
            _text(ET.SubElement(entry, f"{{{ATOM}}}author"), "name", site_name)
        for tag in all_tags(case):
            ET.SubElement(entry, f"{{{ATOM}}}category", term=tag, label=display_name(tag))
        summary = description(case, limit=500, hidden=view.hidden)
        _text(entry, "summary", summary).set("type", "text")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"


def _text(parent: ET.Element, name: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{name}")
    element.text = text
    return element
