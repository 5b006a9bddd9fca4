"""PubMed's MEDLINE format (`.nbib`, what "Send to: Citation manager" writes) to CSL-JSON.

Owns reading MEDLINE tagged records (interface committed first; body follows).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def read_nbib(path: Path) -> list[dict[str, Any]]:
    """The records of a MEDLINE file as CSL-JSON `article-journal` items; raises `CaseErrors`."""
    raise NotImplementedError


def draft_from_file(path: Path) -> tuple[dict[str, Any], list[str]]:
    """A `status: draft` record (a dict, ready for YAML) from the first record of a MEDLINE
    file, and the notes on what the author must still do. Raises `CaseErrors` located in the
    file for bad input (nothing else)."""
    raise NotImplementedError
