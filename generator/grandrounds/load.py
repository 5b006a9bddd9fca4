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

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import Location, fail

try:  # the C parser; pure Python only where libyaml is missing
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml ships in PyYAML's wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 2 * 1024 * 1024
"""Largest case file accepted (a case with 24 references is about 15 KB)."""

MAX_NODES = 200_000
"""Most YAML nodes one record may expand to; more means an alias bomb."""

_TAG = "tag:yaml.org,2002:"
_PLAIN_SCALARS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}

Path_ = tuple[Any, ...]
"""A path into the data: mapping keys and list indexes, e.g. ("references", 3, "title")."""


@dataclass
class RawRecord:
    """A loaded YAML record: its data and where every key and value came from."""

    path: Path
    data: Any
    value_marks: dict[Path_, Location] = field(default_factory=dict)
    key_marks: dict[Path_, Location] = field(default_factory=dict)

    def where(self, path: Path_, *, key: bool = False) -> Location:
        """The location of the value (or, with `key`, the key) at `path`.

        Falls back to the nearest enclosing node that has a mark, so any path gets a location.
        """
        marks = self.key_marks if key else self.value_marks
        probe = tuple(path)
        while probe:
            if probe in marks:
                return marks[probe]
            if not key and probe in self.key_marks:
                return self.key_marks[probe]
            probe = probe[:-1]
        return self.value_marks.get((), Location(1, 1))


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
    """Builds Python data from a composed node tree, recording marks and enforcing limits."""

    def __init__(self, path: Path, loader: Any):
        self.path = path
        self.loader = loader
        self.record = RawRecord(path=path, data=None)
        self.count = 0

    def build(self, node: yaml.Node, where: Path_ = ()) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise fail(self.path, _loc(node.start_mark),
                       f"document expands to more than {MAX_NODES:,} nodes (an alias bomb?)",
                       "remove the anchors (&) and aliases (*); write the values out")
        self.record.value_marks[where] = _loc(node.start_mark)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, where)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _TAG + "seq":
                raise self._bad_tag(node)
            return [self.build(item, (*where, i)) for i, item in enumerate(node.value)]
        return self._scalar(node)

    def _mapping(self, node: yaml.MappingNode, where: Path_) -> dict[Any, Any]:
        if node.tag != _TAG + "map":
            raise self._bad_tag(node)
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _TAG + "merge":
                raise fail(self.path, _loc(key_node.start_mark), "merge keys (<<) are not supported",
                           "write the keys out in this mapping")
            if not isinstance(key_node, yaml.ScalarNode):
                raise fail(self.path, _loc(key_node.start_mark), "a mapping key must be plain text",
                           "use a simple word as the key")
            key = self._scalar(key_node)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = key_node.value
            if key in result:
                first = self.record.key_marks[(*where, key)]
                raise fail(self.path, _loc(key_node.start_mark),
                           f"duplicate key '{key}' (first at line {first.line})",
                           "keep one of them; YAML would silently drop the first")
            self.record.key_marks[(*where, key)] = _loc(key_node.start_mark)
            result[key] = self.build(value_node, (*where, key))
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _TAG + "timestamp":
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
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise fail(path, Location(1, 1), "the file is empty",
                       "start from `grandrounds new` or an example in cases/")
        builder = _Builder(path, loader)
        builder.record.data = builder.build(node)
        return builder.record
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = (exc.problem or "invalid YAML").strip()
        if exc.context and "several documents" not in what:
            what = f"{exc.context} {what}" if "expected" not in what else what
        raise fail(path, _loc(mark) if mark else None, f"YAML syntax error: {what}",
                   "check the indentation and quoting around this place") from None
    except yaml.YAMLError as exc:
        raise fail(path, None, f"YAML error: {exc}", "check the file's syntax") from None
    finally:
        loader.dispose()


def load_data_file(path: Path | str) -> RawRecord:
    """Load a JSON or YAML data file (for example CSL-JSON references) with the same rules."""
    return load_record(path)  # JSON is YAML; the same limits and marks apply
