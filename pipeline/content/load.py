"""Stage 1, content: read a YAML file into a tree of nodes that remember where they were written.

Only the parts of YAML that content needs are accepted. Every scalar keeps the text as typed, so
the model decides what `8:00`, `no` or `010` mean (YAML 1.1 would read 480, false and 8). Anchors,
aliases, duplicate keys, custom tags, several documents, encodings other than UTF-8 and files over
`pipeline.content.MAX_FILE_BYTES` are errors with their position.
"""

from __future__ import annotations

import codecs
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ContentError, Problem, Where
from ..lazy import lazy_import
from . import CHANGED_DURING_BUILD, DEFAULTS_FILE, ContentDigests, read_bytes
from .nodes import Mapping, Node, Scalar, Sequence, kind_of
from .text import has_ideographs

if TYPE_CHECKING:
    import yaml
else:
    yaml = lazy_import(
        "yaml"
    )  # the parser (15 ms) loads when a content file is read; a build with nothing to do reads none


_STANDARD_TAG = "tag:yaml.org,2002:"
# `!!str 8:00` is a legitimate way to force text; tags that build objects (!!python/…, !!binary) are not.
_ACCEPTED_TAGS = frozenset(_STANDARD_TAG + name for name in ("str", "int", "float", "bool", "null", "seq", "map"))
MAX_DEPTH = 32
"""Content nests a few levels deep; deeper nesting is refused before it can exhaust the stack."""
_REFERENCES_SHOWN = 5  # an alias bomb holds hundreds of aliases: name the first few, count the rest


@dataclass(frozen=True)
class Source:
    """A loaded file: its path as shown to the user, its text and its root node."""

    path: str
    text: str
    root: Mapping

    def locate(self, node: Node, char: str) -> Where:
        """Where a character inside a scalar was typed; the scalar's start if it came from an escape."""
        line, column = node.where.line, node.where.column
        if not isinstance(node, Scalar) or line is None or column is None or node.where.path != self.path:
            return node.where
        lines = self.text.split("\n")
        start = sum(len(text) + 1 for text in lines[: line - 1]) + column - 1
        stop = len(self.text)
        if node.end is not None and node.end.line is not None and node.end.column is not None:
            stop = sum(len(text) + 1 for text in lines[: node.end.line - 1]) + node.end.column - 1
        found = self.text.find(char, start, max(stop, start + 1))
        if found < 0:
            return node.where
        return Where(self.path, self.text.count("\n", 0, found) + 1, found - (self.text.rfind("\n", 0, found) + 1) + 1)


def merged(defaults: Mapping, own: Mapping) -> Mapping:
    """`own` over `defaults`: mappings merge key by key, anything else is replaced whole."""
    inherited = {key.text: (key, value) for key, value in defaults.items}
    items: list[tuple[Scalar, Node]] = []
    for key, value in own.items:
        base = inherited.pop(key.text, None)
        if base is not None and isinstance(base[1], Mapping) and isinstance(value, Mapping):
            value = merged(base[1], value)
        items.append((key, value))
    items.extend(inherited.values())
    return Mapping(tuple(items), own.where)


def read_with_defaults(path: Path, shown_as: str | None = None, digests: ContentDigests | None = None) -> Source:
    """A content file with its folder's `_defaults.yaml` merged under it; each node keeps the file it came from.
    With `digests`, the bytes read must be those a build fingerprinted (see `read_source`)."""
    source = read_source(path, shown_as, digests.content if digests else None)
    defaults_path = path.parent / DEFAULTS_FILE
    shown = str(Path(shown_as).parent / DEFAULTS_FILE) if shown_as else str(defaults_path)
    if not defaults_path.is_file():
        if digests and digests.defaults:
            raise ContentError(Problem(Where(shown), "", CHANGED_DURING_BUILD))
        return source
    defaults = read_source(defaults_path, shown, digests.defaults if digests else None)
    return Source(source.path, source.text, merged(defaults.root, source.root))


def decode(data: bytes, path: str) -> str:
    """UTF-8 text of a file (a UTF-8 byte-order mark is dropped); other encodings are named."""
    where = Where(path)
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise ContentError(
            Problem(where, "", "the file is UTF-32 (it starts with a byte-order mark); save it as UTF-8")
        )
    if data.startswith(codecs.BOM_UTF16_LE):
        raise ContentError(
            Problem(where, "", "the file is UTF-16 little-endian (it starts with a byte-order mark); save it as UTF-8")
        )
    if data.startswith(codecs.BOM_UTF16_BE):
        raise ContentError(
            Problem(where, "", "the file is UTF-16 big-endian (it starts with a byte-order mark); save it as UTF-8")
        )
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
        looks = _guess_encoding(data)
        message = f"the file is not UTF-8{looks}; save it as UTF-8"
        raise ContentError(
            Problem(Where(path, line, column), "", message, data[error.start : error.start + 4].hex(" "))
        ) from None


def _guess_encoding(data: bytes) -> str:
    if data.count(b"\x00") * 4 > len(data):
        return " (it looks like UTF-16 without a byte-order mark)"
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        return ""
    if has_ideographs(text):
        return " (it looks like GBK/GB18030, the usual Chinese Windows encoding)"
    return ""


def read_source(path: Path, shown_as: str | None = None, digest: str | None = None) -> Source:
    """Read and parse one YAML content file; with `digest`, only if its bytes have that SHA-256 (empty: the file
    was not there), so that what is made is what the build fingerprinted."""
    name = shown_as or str(path)
    data = read_bytes(path, name)
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise ContentError(Problem(Where(name), "", CHANGED_DURING_BUILD))
    text = decode(data, name)
    root = parse(text, name)
    return Source(name, text, root)


def _yaml_loader() -> Any:
    """libyaml's loader where PyYAML was built with it (about ten times faster), else the pure-Python one."""
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse(text: str, path: str) -> Mapping:
    """Parse YAML text into nodes; the document must be a mapping."""
    if not text.strip():
        raise ContentError(Problem(Where(path), "", "the file is empty"))
    try:
        events = list(yaml.parse(text, Loader=_yaml_loader()))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = Where(path, mark.line + 1, mark.column + 1) if mark else Where(path)
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise ContentError(Problem(where, "", f"not valid YAML: {message}")) from None
    except yaml.reader.ReaderError as error:  # a character YAML forbids; it carries an offset, not a mark
        offset = error.position
        if _yaml_loader() is not yaml.SafeLoader:  # libyaml counts bytes of the UTF-8 text, not characters
            offset = len(text.encode("utf-8")[:offset].decode("utf-8", "replace"))
        line = text.count("\n", 0, offset) + 1
        column = offset - (text.rfind("\n", 0, offset) + 1) + 1
        raise ContentError(
            Problem(
                Where(path, line, column),
                "",
                f"not valid YAML: the character U+{error.character:04X} is not allowed ({error.reason})",
            )
        ) from None
    except yaml.YAMLError as error:
        raise ContentError(Problem(Where(path), "", f"not valid YAML: {error}")) from None
    builder = _TreeBuilder(path)
    documents = builder.documents(iter(events))
    if builder.problems:
        raise ContentError(builder.problems)
    if len(documents) == 0:
        raise ContentError(Problem(Where(path), "", "the file is empty"))
    if len(documents) > 1:
        raise ContentError(
            Problem(documents[1].where, "", "the file holds more than one YAML document; keep one publication per file")
        )
    root = documents[0]
    if isinstance(root, Scalar) and root.is_null:  # only markers such as --- and ...
        raise ContentError(Problem(Where(path), "", "the file is empty"))
    if not isinstance(root, Mapping):
        raise ContentError(Problem(root.where, "", f"the file must hold a mapping of fields, not {kind_of(root)}"))
    return root


class _TreeBuilder:
    """Builds nodes from parser events, collecting every structural problem."""

    def __init__(self, path: str):
        self.path = path
        self.problems: list[Problem] = []
        self.references: list[Where] = []

    def reference(self, problem: Problem) -> None:
        """An anchor or alias: the first few are named, the rest counted in one line."""
        self.references.append(problem.where)
        if len(self.references) <= _REFERENCES_SHOWN:
            self.problems.append(problem)

    def where(self, mark: Any) -> Where:
        return Where(self.path, mark.line + 1, mark.column + 1)

    def documents(self, events: Iterator[Any]) -> list[Node]:
        documents = []
        for event in events:
            if isinstance(event, yaml.DocumentStartEvent):
                first = next(events)
                if isinstance(first, yaml.DocumentEndEvent):
                    continue
                documents.append(self.node(first, events))
                next(events)  # DocumentEndEvent
        hidden = self.references[_REFERENCES_SHOWN:]
        if hidden:
            count = f"{len(hidden)} more YAML anchors and aliases, from here on"
            message = f"{count}; write each value out where it is used"
            self.problems.append(Problem(hidden[0], "", message))
        return documents

    def node(self, event: Any, events: Iterator[Any], depth: int = 1) -> Node:
        """The node an event starts, with the events of its content; problems are collected as they are found."""
        where = self.where(event.start_mark)
        if isinstance(event, yaml.AliasEvent):
            alias = "YAML aliases (*name) are not accepted; write the value out"
            self.reference(Problem(where, "", alias, "*" + str(event.anchor)))
            return Scalar("", where)
        if event.anchor is not None:
            anchor = "YAML anchors (&name) are not accepted; write each value where it is used"
            self.reference(Problem(where, "", anchor, "&" + str(event.anchor)))
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _ACCEPTED_TAGS and tag not in ("!", "?"):
            self.problems.append(Problem(where, "", "YAML tags are not accepted, except core ones such as !!str", tag))
        if depth > MAX_DEPTH and isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            self.problems.append(Problem(where, "", f"nested more than {MAX_DEPTH} levels deep"))
            _skip_collection(events)
            return Scalar("", where)
        if isinstance(event, yaml.ScalarEvent):
            forced_text = event.style not in (None, "") or tag == _STANDARD_TAG + "str"
            return Scalar(event.value, where, forced_text, self.where(event.end_mark))
        if isinstance(event, yaml.SequenceStartEvent):
            return self._sequence(where, events, depth)
        if isinstance(event, yaml.MappingStartEvent):
            return self._mapping(where, events, depth)
        raise AssertionError(f"unexpected YAML event {event!r}")  # the parser emits no other kinds

    def _sequence(self, where: Where, events: Iterator[Any], depth: int) -> Sequence:
        items = []
        for item in events:
            if isinstance(item, yaml.SequenceEndEvent):
                break
            items.append(self.node(item, events, depth + 1))
        return Sequence(tuple(items), where)

    def _mapping(self, where: Where, events: Iterator[Any], depth: int) -> Mapping:
        items: list[tuple[Scalar, Node]] = []
        seen: dict[str, Where] = {}
        for key_event in events:
            if isinstance(key_event, yaml.MappingEndEvent):
                break
            key = self.node(key_event, events, depth + 1)
            value = self.node(next(events), events, depth + 1)
            if not isinstance(key, Scalar) or key.is_null:
                self.problems.append(Problem(key.where, "", "a field name must be plain text"))
                continue
            if key.text in seen:
                message = f"duplicate field; it was already given at line {seen[key.text].line}"
                self.problems.append(Problem(key.where, key.text, message))
                continue
            seen[key.text] = key.where
            items.append((key, value))
        return Mapping(tuple(items), where)


def _skip_collection(events: Iterator[Any]) -> None:
    """Consume the events of a collection whose start was just read, without recursion."""
    open_collections = 1
    for event in events:
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            open_collections += 1
        elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            open_collections -= 1
            if open_collections == 0:
                return
