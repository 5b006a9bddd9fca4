"""What a reader sees of a case before any reveal: one rule for every output.

Owns `public_view(case, options)`: the title shown first (a record's `teaching.title`, a
neutral title, while its diagnosis is hidden; else its title), the sections teaching mode
holds back, and so what listings, search, the feed, head metadata, related lists, the
bibliography's "cited by" links and handouts may show. Every output asks this one
function, so teaching and search extend one place (DESIGN.md's teaching rule).

It does not render anything and knows no host.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..record.model import Case
from .render import hidden_sections


UNKNOWN_HIDES = frozenset({"learning_points"})
"""Sections an unknown case also holds back, whatever its `teaching.hide`: they name the
diagnosis (its reference list, citations and related cases wait too: see case.md.j2 and
`render.related_html`)."""


@dataclass(frozen=True)
class PublicView:
    title: str  # the title a reader sees first
    real_title: str  # the record's title, shown with the diagnosis when revealed
    hidden: frozenset[str]  # the sections held back behind a reveal

    @property
    def unknown(self) -> bool:
        """Shown under a neutral title until the reveal (an "unknown case")."""
        return self.title != self.real_title


def public_view(case: Case, options: Any) -> PublicView:
    """The case as a reader first sees it on a site with these render `options`."""
    hidden = hidden_sections(case, getattr(options, "teaching_hide", ()))
    neutral = case.teaching.title
    if neutral and "diagnosis" in hidden:  # an unknown case: what names the diagnosis waits for the reveal
        return PublicView(title=neutral, real_title=case.title, hidden=hidden | UNKNOWN_HIDES)
    return PublicView(title=case.title, real_title=case.title, hidden=hidden)
