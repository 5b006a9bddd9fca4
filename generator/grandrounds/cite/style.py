"""What a citation style is: `Style`, the record each style module defines and the registry lists.

Owns the shape of a style (its name, its layout function, its `NameRules`, the layout's
own rules, and for author-year styles the function that labels a list), not any style
itself: those are `nature.py`, `nlm.py` and `apa.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

from .names import NameRules
from .output import Out

__all__ = ["Style", "Layout", "Labels"]

Layout = Callable[[Mapping[str, Any], "Style", Out], None]
"""`layout(item, style, out)`: add one item's segments to `out`."""

Labels = Callable[[Sequence[Mapping[str, Any]]], list[tuple[str, str, tuple, str]]]
"""`labels(items)`: for each item of one list, (in-text label, year with any letter, sort
key, the year-suffix letter the layout prints), e.g. ("Nauta & Fibbe", "2010a", key, "a")."""


@dataclass(frozen=True)
class Style:
    """A citation style: how it prints names, and a layout that places one item's pieces.

    `layout(item, style, out)` adds the item's segments to `out`, one branch per kind of
    item (`fields.kind`); `rules` is whatever settings the layout reads from its style (the
    NLM family's `nlm.NlmRules`), so one layout can serve several styles. A style with
    `labels` cites as (Author, Year) with an alphabetical list, rather than by number.
    """

    name: str
    layout: Layout
    names: NameRules = field(default_factory=NameRules)
    rules: Any = None
    """The layout's own rules (None when the layout serves one style only)."""
    labels: Optional[Labels] = None
    """Author-year styles: labels, years with letters and sort keys for one list."""

    @property
    def author_year(self) -> bool:
        """Cited as (Author, Year) and listed alphabetically, rather than by number."""
        return self.labels is not None
