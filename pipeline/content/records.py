"""Stage 1, content: typed, immutable records declared once, converted from nodes and published as JSON Schema.

A record is a frozen dataclass whose fields carry a `spec(...)`: its documentation and limits.
`convert` turns a node tree into records and reports every problem with its position and field
path (`notice.hours.ranges[0].start`); `json_schema` and `field_reference` describe the same
records for editors and for the README. Content and configuration are both declared this way.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
import types
import typing
from dataclasses import dataclass
from typing import Any, Callable, ClassVar, Iterable, Literal, TypeVar

from ..errors import ContentError, GongwenError, Problem, Where
from .nodes import Mapping, Node, Scalar, Sequence, kind_of
from .text import FORBIDDEN_CHARACTERS, clean_text

_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")


@dataclass(frozen=True, order=True, slots=True)
class Time:
    """A time of day written HH:MM or H:MM."""

    hour: int
    minute: int

    def __str__(self) -> str:
        return f"{self.hour}:{self.minute:02d}"


def spec(doc: str, *, default: Any = dataclasses.MISSING, pattern: str | None = None,
         min_items: int = 0, example: Any = None, internal: bool = False, hint: str | None = None) -> Any:
    """Declare a record field: its documentation and limits. No default means required."""
    metadata = {"doc": doc, "pattern": pattern, "min_items": min_items, "example": example,
                "internal": internal, "hint": hint}
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable defaults are not allowed in records")
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


class Record:
    """Base of records: subclasses may rewrite a shorthand node and check across fields."""

    shorthand_doc: ClassVar[str | None] = None

    @classmethod
    def shorthand(cls, node: Mapping) -> Node:
        """Rewrite a shorthand spelling of this record into its full form; default: none."""
        return node

    @classmethod
    def shorthand_schema(cls) -> dict | None:
        return None

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        """Cross-field problems as (relative field path, message, value seen or None)."""
        return ()


R = TypeVar("R", bound=Record)


def _field_path(parent: str, name: str | int) -> str:
    if isinstance(name, int):
        return f"{parent}[{name}]"
    return f"{parent}.{name}" if parent else name


class Converter:
    """Converts a node tree into records, collecting every problem and every field's position."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.positions: dict[str, Node] = {}

    def fail(self, where: Where, path: str, message: str, got: Any = dataclasses.MISSING) -> None:
        if got is dataclasses.MISSING:
            self.problems.append(Problem(where, path, message))
        else:
            self.problems.append(Problem(where, path, message, got))

    def convert(self, node: Node, hint: Any, path: str, meta: dict | None = None) -> Any:
        """Convert one node; returns None after recording a problem."""
        meta = meta or {}
        self.positions[path] = node
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
            if isinstance(node, Scalar) and node.is_null:
                return None
            return self.convert(node, options[0], path, meta)
        if origin is tuple:
            return self._sequence(node, typing.get_args(hint)[0], path, meta)
        if origin is Literal:
            return self._choice(node, typing.get_args(hint), path)
        if isinstance(hint, type) and issubclass(hint, Record):
            return self._record(node, hint, path)
        if origin is dict:
            return self._table(node, typing.get_args(hint)[1], path, meta)
        if not isinstance(node, Scalar) or node.is_null:
            self.fail(node.where, path, f"expected {_describe(hint, meta)}, not {kind_of(node)}")
            return None
        parse = _SCALAR_PARSERS[hint]
        return parse(self, node, path, meta)

    def _sequence(self, node: Node, item_hint: Any, path: str, meta: dict) -> tuple | None:
        if isinstance(node, Scalar) and not node.is_null and isinstance(item_hint, type) and not issubclass(item_hint, Record):
            node = Sequence((node,), node.where)  # one value where a list is expected is a list of one
        if not isinstance(node, Sequence):
            self.fail(node.where, path, f"expected a list of {_describe(item_hint, {})}, not {kind_of(node)}")
            return None
        if len(node.items) < meta.get("min_items", 0):
            least = meta["min_items"]
            self.fail(node.where, path, f"needs at least {least} item{'s' if least > 1 else ''}", len(node.items))
            return None
        return tuple(self.convert(item, item_hint, _field_path(path, index), meta)
                     for index, item in enumerate(node.items))

    def _table(self, node: Node, value_hint: Any, path: str, meta: dict) -> dict | None:
        if not isinstance(node, Mapping):
            self.fail(node.where, path, f"expected a table, not {kind_of(node)}")
            return None
        return {key.text: self.convert(value, value_hint, _field_path(path, key.text), meta)
                for key, value in node.items}

    def _choice(self, node: Node, choices: tuple, path: str) -> Any:
        text = node.text if isinstance(node, Scalar) else None
        for choice in choices:
            if text == str(choice):
                return choice
        listed = ", ".join(str(choice) for choice in choices)
        if text is None:
            self.fail(node.where, path, f"expected one of {listed}, not {kind_of(node)}")
        else:
            self.fail(node.where, path, f"expected one of {listed}", text)
        return None

    def _record(self, node: Node, cls: type[Record], path: str) -> Record | None:
        if isinstance(node, Mapping):
            node = cls.shorthand(node)
            self.positions[path] = node
        if not isinstance(node, Mapping):
            self.fail(node.where, path or "(top level)", f"expected a mapping of fields, not {kind_of(node)}")
            return None
        fields = {field.name: field for field in dataclasses.fields(cls) if not field.metadata.get("internal")}
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        suggested: set[str] = set()
        before = len(self.problems)
        for key, value_node in node.items:
            field = fields.get(key.text)
            if field is None:
                near = difflib.get_close_matches(key.text, list(fields), n=1)
                suggested.update(near)
                advice = f"; did you mean {near[0]!r}?" if near else f"; known fields: {', '.join(fields)}"
                self.fail(key.where, _field_path(path, key.text), "unknown field" + advice)
                continue
            values[key.text] = self.convert(value_node, hints[key.text], _field_path(path, key.text), dict(field.metadata))
        for name, field in fields.items():
            required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
            if required and name not in values and name not in suggested:  # a misspelling is one mistake, not two
                self.fail(node.where, _field_path(path, name), "missing required field")
        if len(self.problems) > before:
            return None
        record = cls(**{name: value for name, value in values.items() if value is not None})
        for relative, message, got in record.problems():
            field_path = _field_path(path, relative) if relative else path
            where = self.positions.get(field_path, node).where
            self.fail(where, field_path, message, dataclasses.MISSING if got is None else got)
        return record


def _parse_text(converter: Converter, node: Scalar, path: str, meta: dict) -> str | None:
    bad = FORBIDDEN_CHARACTERS.search(node.text)
    if bad:
        converter.fail(node.where, path, f"contains the control character U+{ord(bad.group()):04X}, which documents cannot hold", node.text)
        return None
    text = clean_text(node.text)
    if not text:
        converter.fail(node.where, path, "must not be empty")
        return None
    pattern = meta.get("pattern")
    if pattern and not re.fullmatch(pattern, text):
        converter.fail(node.where, path, meta.get("hint") or f"must match {pattern}", text)
        return None
    return text


def _parse_int(converter: Converter, node: Scalar, path: str, meta: dict) -> int | None:
    if node.quoted or not _INTEGER.match(node.text):
        converter.fail(node.where, path, "expected a whole number", node.text)
        return None
    return int(node.text)


def _parse_bool(converter: Converter, node: Scalar, path: str, meta: dict) -> bool | None:
    lowered = node.text.lower()
    if not node.quoted and lowered in ("true", "false"):
        return lowered == "true"
    converter.fail(node.where, path, "expected true or false", node.text)
    return None


def _parse_date(converter: Converter, node: Scalar, path: str, meta: dict) -> datetime.date | None:
    text = node.text.strip()
    if not _DATE.match(text):
        converter.fail(node.where, path, "expected a date written YYYY-MM-DD", node.text)
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        converter.fail(node.where, path, f"not a real date ({error})", node.text)
        return None


def _parse_time(converter: Converter, node: Scalar, path: str, meta: dict) -> Time | None:
    match = _TIME.match(node.text.strip())
    if not match:
        converter.fail(node.where, path, "expected a time written HH:MM between 0:00 and 23:59", node.text)
        return None
    return Time(int(match.group(1)), int(match.group(2)))


_SCALAR_PARSERS: dict[Any, Callable[[Converter, Scalar, str, dict], Any]] = {
    str: _parse_text,
    int: _parse_int,
    bool: _parse_bool,
    datetime.date: _parse_date,
    Time: _parse_time,
}


def _describe(hint: Any, meta: dict) -> str:
    if hint is str:
        return "text"
    if hint is int:
        return "a whole number"
    if hint is bool:
        return "true or false"
    if hint is datetime.date:
        return "a date (YYYY-MM-DD)"
    if hint is Time:
        return "a time (HH:MM)"
    if isinstance(hint, type) and issubclass(hint, Record):
        return "mappings"
    return str(hint)


def convert_record(root: Node, cls: type[R], error: type[GongwenError] = ContentError) -> tuple[R, dict[str, Node]]:
    """Convert a whole tree into `cls`; raise `error` listing every problem."""
    converter = Converter()
    record = converter.convert(root, cls, "")
    if converter.problems or record is None:
        raise error(converter.problems)
    return record, converter.positions


# ---- description: JSON Schema and the README's field reference, from the same declarations ----

def json_schema(cls: type[Record], title: str, schema_id: str) -> dict:
    """A JSON Schema (draft 2020-12) for `cls`, for editors that validate YAML while typing."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_id, "title": title}
    schema.update(schema_for(cls, {}))
    return schema


def schema_for(hint: Any, meta: dict) -> dict:
    origin = typing.get_origin(hint)
    doc = {"description": meta["doc"]} if meta.get("doc") else {}
    if origin in (typing.Union, types.UnionType):
        inner = [arg for arg in typing.get_args(hint) if arg is not type(None)][0]
        return schema_for(inner, meta)
    if origin is tuple:
        item = schema_for(typing.get_args(hint)[0], {})
        result = {**doc, "type": "array", "items": item}
        if meta.get("min_items"):
            result["minItems"] = meta["min_items"]
        return result
    if origin is dict:
        return {**doc, "type": "object", "additionalProperties": schema_for(typing.get_args(hint)[1], {})}
    if origin is Literal:
        return {**doc, "enum": list(typing.get_args(hint))}
    if isinstance(hint, type) and issubclass(hint, Record):
        hints = typing.get_type_hints(hint)
        properties, required = {}, []
        for field in dataclasses.fields(hint):
            if field.metadata.get("internal"):
                continue
            properties[field.name] = schema_for(hints[field.name], dict(field.metadata))
            if field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
                required.append(field.name)
        result = {**doc, "type": "object", "properties": properties, "additionalProperties": False}
        if hint.__doc__:
            result.setdefault("description", hint.__doc__.strip().splitlines()[0])
        if required:
            result["required"] = required
        alternative = hint.shorthand_schema()
        if alternative:
            return {"description": result.get("description", ""), "anyOf": [result, alternative]}
        return result
    if hint is str:
        result = {**doc, "type": "string", "minLength": 1}
        if meta.get("pattern"):
            result["pattern"] = "^(?:" + meta["pattern"] + ")$"
        return result
    if hint is int:
        return {**doc, "type": "integer"}
    if hint is bool:
        return {**doc, "type": "boolean"}
    if hint is datetime.date:
        return {**doc, "type": "string", "format": "date"}
    if hint is Time:
        return {**doc, "type": "string", "pattern": _TIME.pattern}
    raise TypeError(f"no JSON Schema for {hint!r}")


def field_reference(cls: type[Record], prefix: str = "") -> list[tuple[str, str, str, str]]:
    """Rows (field path, type, required or default, documentation) for every field, depth first."""
    rows = []
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.metadata.get("internal"):
            continue
        hint = hints[field.name]
        path = _field_path(prefix, field.name)
        required = field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING
        if required:
            need = "required"
        elif field.default is None:
            need = "optional"
        else:
            need = f"default `{_show_default(field.default)}`"
        rows.append((path, _type_name(hint), need, field.metadata.get("doc", "")))
        inner = _record_inside(hint)
        if inner is not None:
            rows.extend(field_reference(inner, path + ("[]" if typing.get_origin(_strip_optional(hint)) is tuple else "")))
    return rows


def _show_default(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if dataclasses.is_dataclass(value):
        return "{}"
    return str(value)


def _strip_optional(hint: Any) -> Any:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return [arg for arg in typing.get_args(hint) if arg is not type(None)][0]
    return hint


def _record_inside(hint: Any) -> type[Record] | None:
    hint = _strip_optional(hint)
    if typing.get_origin(hint) is tuple:
        hint = typing.get_args(hint)[0]
    if isinstance(hint, type) and issubclass(hint, Record):
        return hint
    return None


def _type_name(hint: Any) -> str:
    hint = _strip_optional(hint)
    origin = typing.get_origin(hint)
    if origin is tuple:
        return "list of " + _type_name(typing.get_args(hint)[0])
    if origin is dict:
        return "table of " + _type_name(typing.get_args(hint)[1])
    if origin is Literal:
        return " \\| ".join(f"`{choice}`" for choice in typing.get_args(hint))
    if isinstance(hint, type) and issubclass(hint, Record):
        return "mapping"
    return {str: "text", int: "integer", bool: "true/false", datetime.date: "date", Time: "time HH:MM"}[hint]
