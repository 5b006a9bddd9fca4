"""Personal names as the styles print them: initials, particles, suffixes and the et-al rule.

Owns `NameRules` (how one style prints names and name lists), turning one CSL name into
its printed form (`initials`, `format_name`: particles, suffixes, group authors, CJK names)
and a name list into one string (`join_names`, the et-al rule; `names_of` for an item's
`author` or `editor` list, `lead_names` for the authors, else a book's editors). A list
that ends in {"literal": "others"} is truncated: it counts as one more name.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .fields import text_of

__all__ = ["NameRules", "OTHERS", "initials", "format_name", "join_names", "names_of",
           "lead_names"]


@dataclass(frozen=True)
class NameRules:
    """How a style prints personal names and name lists.

    Nature: ``Family, G. I.`` joined by ", " with " & " before the last; six or more
    names print as the first one + " et al.". Vancouver would be
    ``NameRules(period="", space="", sort_separator=" ", and_=", ", et_al=", et al.",
    et_al_min=7, et_al_use_first=6)``.
    """

    period: str = "."
    """After each initial."""
    space: str = " "
    """Between the initials of separate given names."""
    hyphen: bool = True
    """Keep the hyphen of a hyphenated given name (Jean-Pierre -> J.-P.)."""
    sort_separator: str = ", "
    """Between the family name and the initials."""
    suffix_separator: str = ", "
    """Between the initials and a suffix (Jr, III)."""
    delimiter: str = ", "
    """Between names."""
    and_: str = " & "
    """Between the last two names of a complete list."""
    et_al: str = " et al."
    """After a truncated list."""
    et_al_min: int = 6
    """Lists this long or longer are truncated ..."""
    et_al_use_first: int = 1
    """... to this many names."""
    et_al_last: bool = False
    """APA: a long list gives the first `et_al_use_first` names, an ellipsis, then the
    last name (instead of " et al.")."""
    particles_first: bool = False
    """Put a dropping particle before the family name ("van Beethoven L"), as NLM and
    AMA index names, instead of after the initials ("Beethoven, L. van")."""
    suffix_form: str = "as-given"
    """How a suffix prints: "as-given", "no-period" (Jr), "period" (Jr., Sr.; roman
    numerals unchanged) or "ordinal" (NLM: Jr, III -> 3rd)."""
    sort_order: bool = True
    """Family name first ("Vogelstein, B."); False gives "B. Vogelstein" (APA editors)."""


OTHERS = frozenset({"others", "et al", "et al.", "et. al."})
_CJK = re.compile("[\u1100-\u11ff\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
                  "\uac00-\ud7af\uf900-\ufaff]")
_ALL_CAPS_INITIALS = re.compile(r"[^\W\d_]{1,3}")
_DOTTED_INITIALS = re.compile(r"(?:[^\W\d_]\. ?)*[^\W\d_]\.")


def _initial(part: str) -> str:
    """The first letter of `part` (with any combining accents), or '' if it has none."""
    for i, ch in enumerate(part):
        if ch.isalpha():
            j = i + 1
            while j < len(part) and unicodedata.combining(part[j]):
                j += 1
            return part[i:j]
    return ""


def initials(given: str, rules: NameRules = NameRules()) -> str:
    """Given names reduced to initials: "Alberto Santiago" and "A.S." -> "A. S.",
    "Jean-Pierre" -> "J.-P.", "AS" (PubMed style) -> "A. S.".

    A short abbreviation that is written with a full stop ("Th.", "Ch.") is kept as
    written. Lower-case words (particles such as "van", "de") are left out; see
    `format_name` for where they go.
    """
    if _DOTTED_INITIALS.fullmatch(given):  # the common case, "A. S." / "A.S." / "A."
        return rules.space.join(ch + rules.period for ch in given if ch.isalpha())
    words = given.split()
    if all(w.isalpha() and w[0].isupper() and (len(w) == 1 or len(w) > 3 or not w.isupper())
           for w in words):  # the other common case, "William Gordon"
        return rules.space.join(w[0] + rules.period for w in words)
    out: list[str] = []
    # particles are skipped, unless the whole name is written in lower case
    skip_lower = any(not w[0].islower() for w in words)
    for word in words:
        if skip_lower and word[0].islower():
            continue
        if "." not in word and word.isupper() and _ALL_CAPS_INITIALS.fullmatch(word):
            out.extend(ch + rules.period for ch in word)  # "AS" -> A. S.
            continue
        pieces: list[str] = []
        for part in word.split("-"):
            if not part:
                continue
            letters = [p for p in part.split(".") if p]
            if part.endswith(".") and len(letters) == 1 and 1 < len(letters[0]) <= 3 \
                    and letters[0].isalpha():
                pieces.append(letters[0] + rules.period)  # "Th." stays "Th."
                continue
            abbrev = [_initial(p) for p in letters]
            abbrev = [a + rules.period for a in abbrev if a]
            if abbrev:
                # "A.S." inside one word is two initials; a hyphen joins its parts.
                pieces.append(rules.space.join(abbrev))
        if pieces:
            out.append(("-" if rules.hyphen else "").join(pieces))
    return rules.space.join(out)


def format_name(name: Mapping[str, Any] | str, rules: NameRules = NameRules()) -> str:
    """One CSL name in sort order: {"family": "Santos-Ocampo", "given": "Alberto S."}
    -> "Santos-Ocampo, A. S.".

    A `literal` (group author) prints as given. Particles are kept as given: a
    `non-dropping-particle` (or one written inside `family`, "van der Berg") stays before
    the family name, a `dropping-particle` (or trailing lower-case words of `given`,
    "Ludwig van") goes after the initials. A `suffix` follows after a comma
    ("King, M. L., Jr"). Names in CJK script print as family + given, not initialised.
    """
    if isinstance(name, str):
        return text_of(name)
    if not isinstance(name, (dict, Mapping)):
        return ""
    get = name.get
    parts = (get("literal"), get("family"), get("given"), get("non-dropping-particle"),
             get("dropping-particle"), get("suffix"))
    if _STR_OR_NONE.issuperset(map(type, parts)):  # hashable, and equal only if alike
        return _name_from_parts(parts, rules)
    return _name_from_parts.__wrapped__(parts, rules)


_NAME_CACHE_SIZE = 4096
"""Distinct (name, style rules) pairs `format_name` remembers: a site cites the same
authors again and again, and formatting a name costs more than looking it up."""
_STR_OR_NONE = frozenset({str, type(None)})
"""Raw name parts the cache takes as they are (True == 1 would share a key with 1)."""


@lru_cache(maxsize=_NAME_CACHE_SIZE)
def _name_from_parts(parts: tuple[Any, ...], rules: NameRules) -> str:
    """`format_name` of a name given as (literal, family, given, non-dropping-particle,
    dropping-particle, suffix) raw values; a pure function of its arguments."""
    literal, family, given, ndp, dropping_particle, suffix = parts
    if literal:
        literal = text_of(literal)
        if literal:
            return literal
    family = text_of(family)
    given = text_of(given)
    if not family:
        # a mononym or a name with no family part: print what there is, unabbreviated
        return " ".join(filter(None, [given, text_of(suffix)]))
    if not (family.isascii() and given.isascii()) and (_CJK.search(family) or _CJK.search(given)):
        return family + given
    if ndp:
        ndp = text_of(ndp)
        family = ndp + ("" if ndp.endswith(("'", "\u2019")) else " ") + family
    words = given.split()
    if words and words[-1][0].islower():
        trailing = []
        while len(words) > 1 and words[-1][0].islower() and "." not in words[-1]:
            trailing.insert(0, words.pop())
        given = " ".join(words)
        dropping = " ".join(
            filter(None, [" ".join(trailing), text_of(dropping_particle)]))
    else:
        dropping = text_of(dropping_particle)
    short = initials(given, rules) if given else ""
    if dropping and rules.particles_first:
        family = f"{dropping} {family}"
    elif dropping:
        short = f"{short} {dropping}" if short else dropping
    suffix = _suffix(text_of(suffix), rules.suffix_form)
    if not rules.sort_order:
        out = f"{short} {family}" if short else family
        return out + rules.suffix_separator + suffix if suffix else out
    out = family + rules.sort_separator + short if short else family
    return out + rules.suffix_separator + suffix if suffix else out


_ROMAN_ORDINALS = {"II": "2nd", "III": "3rd", "IV": "4th", "V": "5th", "VI": "6th"}


def _suffix(suffix: str, form: str) -> str:
    """A name suffix in a style's form: "Jr." -> "Jr" (no-period), "Jr" -> "Jr." (period),
    "III" -> "3rd" (ordinal, as NLM writes it)."""
    if not suffix or form == "as-given":
        return suffix
    bare = suffix.rstrip(".")
    if form == "ordinal":
        return _ROMAN_ORDINALS.get(bare, bare)
    if form == "period" and bare in ("Jr", "Sr"):
        return bare + "."
    return bare


def join_names(names: Sequence[str], rules: NameRules = NameRules(),
               truncated: bool = False) -> str:
    """Formatted names as one list: "A", "A & B", "A, B & C"; at `rules.et_al_min` names
    or more, the first `rules.et_al_use_first` + " et al.". `truncated` (the source list
    ended in {"literal": "others"}) counts as one more name; a list still short of the
    et-al rule prints the names given + " et al.", with no "&" because the list goes on.
    APA (`rules.et_al_last`) gives the first 19, ". . . " and the last of 21 or more.
    """
    names = [n for n in names if n]
    if not names:
        return ""
    if truncated and rules.et_al_last:
        return rules.delimiter.join(names) + rules.et_al
    # a truncated list had at least one more name than it gives
    if len(names) + truncated >= rules.et_al_min:
        first = rules.delimiter.join(names[: rules.et_al_use_first])
        if rules.et_al_last:
            return first + rules.delimiter + ". . . " + names[-1]
        return first + rules.et_al
    if truncated:
        return rules.delimiter.join(names) + rules.et_al
    if len(names) == 1:
        return names[0]
    return rules.delimiter.join(names[:-1]) + rules.and_ + names[-1]


def names_of(item: Mapping[str, Any], key: str, rules: NameRules) -> tuple[str, int]:
    """The `key` name list of `item` formatted, and how many names it had (for labels)."""
    raw = item.get(key)
    if not raw:
        return "", 0
    if isinstance(raw, (str, dict, Mapping)):
        raw = [raw]
    if not isinstance(raw, (list, tuple, Sequence)):
        return "", 0
    entries = []
    truncated = False
    for entry in raw:
        if isinstance(entry, (dict, Mapping)):
            literal = entry.get("literal")
            if isinstance(literal, str) and literal.strip().lower() in OTHERS \
                    and not entry.get("family"):
                truncated = True
                continue
        entries.append(entry)
    if len(entries) + truncated >= rules.et_al_min and not (truncated and rules.et_al_last):
        # a long list prints only its first (and, in APA, last) names: format just those
        shown = entries[: rules.et_al_use_first] + entries[-1:] * rules.et_al_last
        names = [format_name(entry, rules) for entry in shown]
        if all(names):
            if rules.et_al_last:
                return (rules.delimiter.join(names[:-1]) + rules.delimiter + ". . . "
                        + names[-1]), len(entries) + truncated
            return rules.delimiter.join(names) + rules.et_al, len(entries) + truncated
    names = [text for text in (format_name(entry, rules) for entry in entries) if text]
    return join_names(names, rules, truncated), len(names) + truncated


def lead_names(item: Mapping[str, Any], rules: NameRules, editor_words: tuple[str, str],
               editors_fallback: bool = True) -> str:
    """The authors, or (for a book without authors) the editors with `editor_words`
    (one, several) after them."""
    authors, _ = names_of(item, "author", rules)
    if authors or not editors_fallback:
        return authors
    editors, count = names_of(item, "editor", rules)
    return f"{editors}{editor_words[count > 1]}" if editors else ""

