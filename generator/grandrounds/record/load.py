"""Stage 1, load: a case file's bytes to plain Python data plus line/column marks.

Owns the untrusted-input boundary for YAML. It parses with PyYAML's C parser
(`CSafeLoader`, about 6x faster than the pure-Python one) into a node tree and builds the
data itself, so that it can

- keep the line and column of every key and value (`RawRecord.where(path)`), which the
  model stage uses to point each error at `file:line:col`;
- refuse what a case record never needs: other tags than the plain JSON-like ones
  (`!!python/object` and friends), merge keys, duplicate keys, several documents,
  non-UTF-8 bytes, files over `MAX_BYTES`, and alias bombs (expansion capped at
  `MAX_NODES`);
- keep YAML timestamps as the text the author wrote (`date: 2010-08-01` stays a string), so
  that dates mean what they say and round-trip unchanged;
- refuse nesting deeper than `limits.MAX_DEPTH` while building (so nothing recurses deeper),
  normalise CR/CR LF in text to LF, and pass the built data through `values.value_problems`
  (control characters, non-characters, over-long text and lists), each problem located at the
  offending value, or at the character itself where the scalar sits on one line.

Messages that quote the author's text show control characters escaped (`printable`), so
nothing in a record reaches a terminal raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .. import limits
from ..errors import CaseErrors, Location, Problem, display_path, fail
from ..fsio import read_limited
from ..values import normalise_newlines, printable, text_problem, value_problems

try:  # the C parser; pure Python only where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml ships in PyYAML's wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = limits.MAX_RECORD_BYTES
"""Largest case file accepted (a case with 24 references is about 15 KB)."""

MAX_NODES = limits.MAX_YAML_NODES
"""Most YAML nodes one record may expand to; more means an alias bomb."""

MAX_DEPTH = limits.MAX_DEPTH
"""Deepest nesting of mappings and lists a record may have."""

_TAG = "tag:yaml.org,2002:"
class _RecordLoader(_Loader):  # type: ignore[misc, valid-type]
    """The C loader without YAML path resolvers (unused here; they cost a call per node)."""

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if not implicit[0]:
                return _TAG + "str"
            for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                if regexp.match(value):
                    return tag
            return _TAG + "str"
        return _TAG + ("seq" if kind is yaml.SequenceNode else "map")


_PLAIN_SCALARS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}
_STR, _SEQ, _MAP = _TAG + "str", _TAG + "seq", _TAG + "map"
_MERGE, _TIMESTAMP = _TAG + "merge", _TAG + "timestamp"

Path_ = tuple[Any, ...]
"""A path into the data: mapping keys and list indexes, e.g. ("references", 3, "title")."""


@dataclass
class RawRecord:
    """A loaded YAML record: its data, and its node tree for locating keys and values.

    Locations are looked up only when a problem is reported, so loading does no work for
    them beyond keeping the tree.
    """

    path: Path
    data: Any
    root: yaml.Node | None = None

    def where(self, path: Path_, *, key: bool = False) -> Location:
        """The location of the value (or, with `key`, the key) at `path`.

        Falls back to the nearest enclosing node, so any path gets a location.
        """
        node = self.root
        if node is None:
            return Location(1, 1)
        found = node.start_mark
        last = len(path) - 1
        for i, part in enumerate(path):
            if isinstance(node, yaml.MappingNode):
                match = next(((k, v) for k, v in node.value if _key_text(k) == str(part)), None)
                if match is None:
                    break
                key_node, node = match
                found = key_node.start_mark if key and i == last else node.start_mark
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
                found = node.start_mark
            else:
                break
        return _loc(found)


def _key_text(node: yaml.Node) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _loc(mark: yaml.Mark) -> Location:
    return Location(mark.line + 1, mark.column + 1)


def read_text(path: Path, limit: int = MAX_BYTES, what: str = "file",
              hint: str = "split the record or move references to a file beside it") -> str:
    """Read a case file (or another text input, with its own `limit`) as UTF-8, refusing
    oversized and non-UTF-8 files with a location."""
    raw = read_limited(path, limit, what, hint)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise fail(path, Location(line, col),
                   f"not valid UTF-8 (byte 0x{raw[exc.start]:02x})",
                   "save the file as UTF-8 in your editor") from None


class _Builder:
    """Builds Python data from a composed node tree, enforcing the limits above."""

    def __init__(self, path: Path, loader: Any):
        self.path = path
        self.loader = loader
        self.count = 0
        self.long_list = False  # a sequence over `limits.MAX_LIST_ITEMS` items was built

    def build(self, node: yaml.Node, depth: int = 0) -> Any:
        """The data of `node`, which sits `depth` collections deep. Recursion is bounded by
        `MAX_DEPTH` (a deeper collection is refused here, before anything recurses further)."""
        self.count += 1
        if self.count > MAX_NODES:
            raise fail(self.path, _loc(node.start_mark),
                       f"document expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
                       "remove the anchors (&) and aliases (*); write the values out")
        kind = type(node)
        if kind is yaml.ScalarNode:
            return normalise_newlines(node.value) if node.tag == _STR else self._scalar(node)
        if depth >= MAX_DEPTH:
            raise fail(self.path, _loc(node.start_mark), f"nested more than {MAX_DEPTH} levels deep",
                       "flatten the structure; no field of a case record nests this deep")
        if kind is yaml.MappingNode:
            return self._mapping(node, depth)
        if node.tag != _SEQ:
            raise self._bad_tag(node)
        self.long_list = self.long_list or len(node.value) > limits.MAX_LIST_ITEMS
        return [self.build(item, depth + 1) for item in node.value]

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[Any, Any]:
        if node.tag != _MAP:
            raise self._bad_tag(node)
        result: dict[Any, Any] = {}
        firsts: dict[Any, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                raise fail(self.path, _loc(key_node.start_mark), "merge keys (<<) are not supported",
                           "write the keys out in this mapping")
            if type(key_node) is not yaml.ScalarNode:
                raise fail(self.path, _loc(key_node.start_mark), "a mapping key must be plain text",
                           "use a simple word as the key")
            key = normalise_newlines(key_node.value) if key_node.tag == _STR else self._scalar(key_node)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = key_node.value
            if key in result:
                first = _loc(firsts[key].start_mark)
                raise fail(self.path, _loc(key_node.start_mark),
                           f"duplicate key '{printable(key)}' (first at line {first.line})",
                           "keep one of them; YAML would silently drop the first")
            firsts[key] = key_node
            result[key] = self.build(value_node, depth + 1)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _TIMESTAMP:
            return node.value
        if node.tag not in _PLAIN_SCALARS:
            raise self._bad_tag(node)
        try:
            return self.loader.construct_object(node)
        except yaml.YAMLError as exc:  # e.g. an int too odd to construct
            raise fail(self.path, _loc(node.start_mark), f"cannot read value: {exc}",
                       "quote the value to keep it as text") from None

    def _bad_tag(self, node: yaml.Node) -> Exception:
        tag = node.tag.replace(_TAG, "!!")
        return fail(self.path, _loc(node.start_mark), f"YAML tag '{tag}' is not allowed in a case record",
                    "remove the tag; case records hold plain text, numbers, lists and mappings")


def load_record(path: Path | str) -> RawRecord:
    """Load one YAML case file. Raises `CaseErrors` on any problem."""
    path = Path(path)
    text = read_text(path)
    loader = _RecordLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise fail(path, Location(1, 1), "the file is empty",
                       "start from `grandrounds new` or an example in cases/")
        builder = _Builder(path, loader)
        raw = RawRecord(path=path, data=builder.build(node), root=node)
    except yaml.reader.ReaderError as exc:
        raise _reader_problem(path, text, exc) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or "invalid YAML").strip()
        if what == "exceeded maximum nesting depth":  # libyaml's own cap (1,000 levels)
            raise fail(path, _loc(mark) if mark else None, f"nested more than {MAX_DEPTH} levels deep",
                       "flatten the structure; no field of a case record nests this deep") from None
        opened = exc.context_mark
        if exc.context and opened and mark and opened.line != mark.line:
            what += f" ({exc.context.strip()} that starts at line {opened.line + 1}, column {opened.column + 1})"
        raise fail(path, _loc(mark) if mark else None, f"YAML syntax error: {printable(what)}",
                   "check the indentation, quotes and brackets around here") from None
    except yaml.YAMLError as exc:
        raise fail(path, None, f"YAML error: {printable(exc)}", "check the file's syntax") from None
    finally:
        loader.dispose()
    if _may_break_value_rules(text, builder):
        problems = value_problems_located(raw, text)
        if problems:
            raise CaseErrors(problems)
    return raw


def _may_break_value_rules(text: str, builder: _Builder) -> bool:
    """Whether any value could break a rule of `values.value_problems`, decided from the
    file (one pass of `_MAYBE_FORBIDDEN`) instead of a walk over every value: a forbidden character can
    only come from a `\\` escape in a double-quoted scalar or stand in the file itself
    (the YAML reader refuses most raw ones, not U+FDD0 or NEL); no value is longer than
    the file; a long list was seen while building; depth was refused while building."""
    return ("\\" in text or builder.long_list or len(text) > limits.MAX_TEXT_CHARS
            or _MAYBE_FORBIDDEN.search(text) is not None)


_MAYBE_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff"
                              "\U00010000-\U0010ffff]")
"""A superset of the characters `values` refuses (every character beyond the BMP instead of
its non-characters only): a pre-filter, 10x faster than the exact class; the rule itself
stays `values.text_problem`."""


def _reader_problem(path: Path, text: str, exc: yaml.reader.ReaderError) -> CaseErrors:
    """A character YAML does not allow in a file (a raw control character, U+FFFE ...),
    located at its first occurrence (the reader stops at the first one)."""
    char = chr(exc.character) if isinstance(exc.character, int) else str(exc.character or "")
    index = text.find(char) if char else -1
    where = None
    if index >= 0:
        line = text.count("\n", 0, index) + 1
        where = Location(line, index - (text.rfind("\n", 0, index) + 1) + 1)
    bad = text_problem(char) if char else None
    what = bad[0].replace(" in text", " in a record") if bad else f"character not allowed ({exc.reason})"
    return fail(path, where, what, "delete it (it is invisible in most editors; retype the text around it)")


def value_problems_located(raw: RawRecord, text: str = "") -> list[Problem]:
    """`values.value_problems` of a record's data as located problems (`file:line:col`),
    pointing at the offending character when the value is a one-line scalar in `text`."""
    shown = printable(display_path(raw.path))
    problems = []
    for path, what, hint in value_problems(raw.data):
        where = raw.where(path)
        column = _column_of_bad_character(raw, path, text)
        if column is not None:
            where = Location(where.line, column)
        problems.append(Problem(shown, where.line, where.col, f"{_field_name(path)}: {what}", hint))
    return problems


def _field_name(path: Path_) -> str:
    name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return printable(name) or "record"


def _node_at(root: yaml.Node | None, path: Path_) -> yaml.Node | None:
    node = root
    for part in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if _key_text(k) == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
        else:
            return None
    return node


def _column_of_bad_character(raw: RawRecord, path: Path_, text: str) -> int | None:
    """The 1-based column of the character `text_problem` finds in the string at `path`,
    when that string is a plain, single- or double-quoted scalar on one line; else None."""
    node = _node_at(raw.root, path)
    if not text or not isinstance(node, yaml.ScalarNode) or node.start_mark.line != node.end_mark.line:
        return None
    value = node.value
    bad = text_problem(normalise_newlines(value))
    lines = text.split("\n")
    if bad is None or node.start_mark.line >= len(lines) or "\r" in value:
        return None
    source = lines[node.start_mark.line][node.start_mark.column:node.end_mark.column]
    offset = _source_offset(source, node.style, bad[2])
    return None if offset is None else node.start_mark.column + offset + 1


_ESCAPE_LENGTHS = {"x": 4, "u": 6, "U": 10}


def _source_offset(source: str, style: str | None, index: int) -> int | None:
    """Where the `index`-th character of a one-line scalar's value starts in its `source`."""
    if not style:  # plain (the C composer gives "" for plain, the Python one None)
        return index if index <= len(source) else None
    if style not in ("'", '"'):
        return None
    pos = 1  # after the opening quote
    for _ in range(index):
        if pos >= len(source) - 1:
            return None
        if style == "'":
            pos += 2 if source.startswith("''", pos) else 1
        elif source[pos] == "\\":
            pos += _ESCAPE_LENGTHS.get(source[pos + 1: pos + 2], 2)
        else:
            pos += 1
    return pos if pos < len(source) else None
