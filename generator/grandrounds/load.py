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
  that dates mean what they say and round-trip unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from . import limits
from .errors import Location, fail

try:  # the C parser; pure Python only where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml ships in PyYAML's wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = limits.MAX_RECORD_BYTES
"""Largest case file accepted (a case with 24 references is about 15 KB)."""

MAX_NODES = limits.MAX_YAML_NODES
"""Most YAML nodes one record may expand to; more means an alias bomb."""

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


def read_text(path: Path) -> str:
    """Read a case file as UTF-8, refusing oversized and non-UTF-8 files with a location."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise fail(path, None, f"file is {size:,} bytes, over the {MAX_BYTES:,}-byte limit",
                       "split the record or move references to a file beside it")
        raw = path.read_bytes()
    except OSError as exc:
        raise fail(path, None, f"cannot read file ({exc.strerror})",
                   "check that it exists and is readable") from None
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

    def build(self, node: yaml.Node) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise fail(self.path, _loc(node.start_mark),
                       f"document expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
                       "remove the anchors (&) and aliases (*); write the values out")
        kind = type(node)
        if kind is yaml.ScalarNode:
            return node.value if node.tag == _STR else self._scalar(node)
        if kind is yaml.MappingNode:
            return self._mapping(node)
        if node.tag != _SEQ:
            raise self._bad_tag(node)
        return [self.build(item) for item in node.value]

    def _mapping(self, node: yaml.MappingNode) -> dict[Any, Any]:
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
            key = key_node.value if key_node.tag == _STR else self._scalar(key_node)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = key_node.value
            if key in result:
                first = _loc(firsts[key].start_mark)
                raise fail(self.path, _loc(key_node.start_mark),
                           f"duplicate key '{key}' (first at line {first.line})",
                           "keep one of them; YAML would silently drop the first")
            firsts[key] = key_node
            result[key] = self.build(value_node)
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
        return RawRecord(path=path, data=_Builder(path, loader).build(node), root=node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or "invalid YAML").strip()
        opened = exc.context_mark
        if exc.context and opened and mark and opened.line != mark.line:
            what += f" ({exc.context.strip()} that starts at line {opened.line + 1}, column {opened.column + 1})"
        raise fail(path, _loc(mark) if mark else None, f"YAML syntax error: {what}",
                   "check the indentation, quotes and brackets around here") from None
    except yaml.YAMLError as exc:
        raise fail(path, None, f"YAML error: {exc}", "check the file's syntax") from None
    finally:
        loader.dispose()

