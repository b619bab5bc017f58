"""Stage 1, content: typed, immutable records declared once, converted from nodes and published as JSON Schema.

A record is a frozen dataclass whose fields carry a `spec(...)`: its documentation and limits.
`convert_record` turns a node tree into records and reports every problem with its position and
field path (`notice.hours.ranges[0].start`); `json_schema` and `field_reference` describe the same
records for editors and for the README. Content and configuration are both declared this way.

A field's type is one of a few shapes — optional, a list, a choice of literals, a record, a
scalar (text, whole number, number, true/false, date, time), or a scalar-or-record (a list item
that is either a text or a mapping) — and what each scalar means is said once, in
`SCALARS`: how it is read, how a message names it, its JSON Schema and its name in the README.
"""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, TypeVar

from ..errors import ContentError, GongwenError, Problem, Where
from .nodes import Mapping, Node, Scalar, Sequence, kind_of
from .text import FORBIDDEN_CHARACTERS, FORMAT_CHARACTERS, PLACEHOLDER, clean_text

_TIME = re.compile(r"^([01]?[0-9]|2[0-3]):([0-5][0-9])$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_INTEGER = re.compile(r"^[+-]?[0-9]+$")
_NUMBER = re.compile(r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$")


@dataclass(frozen=True, order=True, slots=True)
class Time:
    """A time of day written HH:MM or H:MM."""

    hour: int
    minute: int

    def __str__(self) -> str:
        return f"{self.hour}:{self.minute:02d}"


@dataclass(frozen=True)
class FieldSpec:
    """What a record field says about itself: its documentation and limits."""

    doc: str = ""
    pattern: str | None = None  # text must match it whole
    hint: str | None = None  # the message when it does not
    min_items: int = 0  # a list needs at least this many
    max_length: int | None = None  # text may hold at most this many characters


_NO_SPEC = FieldSpec()


def spec(
    doc: str,
    *,
    default: Any = dataclasses.MISSING,
    pattern: str | None = None,
    min_items: int = 0,
    hint: str | None = None,
    max_length: int | None = None,
) -> Any:
    """Declare a record field: its documentation and limits. No default means required."""
    metadata = {"spec": FieldSpec(doc, pattern, hint, min_items, max_length)}
    if isinstance(default, (list, dict, set)):
        raise TypeError("mutable defaults are not allowed in records")
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=default, metadata=metadata)


def field_spec(field: dataclasses.Field[Any]) -> FieldSpec:
    found = field.metadata.get("spec")
    return found if isinstance(found, FieldSpec) else _NO_SPEC


def declared_fields(cls: type[Record]) -> list[dataclasses.Field[Any]]:
    """The fields a file may write: those declared with `spec` (a loaded record may carry others)."""
    return [field for field in dataclasses.fields(cls) if "spec" in field.metadata]


def _required(field: dataclasses.Field[Any]) -> bool:
    return field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING


@dataclass(frozen=True)
class Record:
    """Base of records: subclasses may rewrite a shorthand node and check across fields."""

    shorthand_doc: ClassVar[str | None] = None

    @classmethod
    def shorthand(cls, node: Mapping) -> Node:
        """Rewrite a shorthand spelling of this record into its full form; default: none."""
        return node

    @classmethod
    def shorthand_schema(cls) -> dict[str, Any] | None:
        return None

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        """Cross-field problems as (relative field path, message, value seen or None)."""
        return ()


R = TypeVar("R", bound=Record)


# ---- the shapes a field's type may take ----


@dataclass(frozen=True)
class _Optional:
    inner: Any


@dataclass(frozen=True)
class _List:
    item: Any


@dataclass(frozen=True)
class _Choice:
    options: tuple[Any, ...]


@dataclass(frozen=True)
class _RecordShape:
    cls: type[Record]


@dataclass(frozen=True)
class _ScalarShape:
    kind: ScalarKind


@dataclass(frozen=True)
class _Either:
    """A scalar or a record: a mapping is read as the record, anything else as the scalar."""

    scalar: ScalarKind
    cls: type[Record]


_Shape = _Optional | _List | _Choice | _RecordShape | _ScalarShape | _Either


def _shape(hint: Any) -> _Shape:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        present = tuple(arg for arg in typing.get_args(hint) if arg is not type(None))
        if len(present) == 1:
            return _Optional(present[0])
        if len(present) == 2:
            scalar, record = sorted(present, key=lambda arg: isinstance(arg, type) and issubclass(arg, Record))
            if scalar in SCALARS and isinstance(record, type) and issubclass(record, Record):
                either = _Either(SCALARS[scalar], record)
                return _Optional(either) if len(present) < len(typing.get_args(hint)) else either
        raise TypeError(f"records cannot hold {hint!r}")
    if isinstance(hint, _Either):
        return hint
    if origin is tuple:
        return _List(typing.get_args(hint)[0])
    if origin is Literal:
        return _Choice(typing.get_args(hint))
    if isinstance(hint, type) and issubclass(hint, Record):
        return _RecordShape(hint)
    if hint in SCALARS:
        return _ScalarShape(SCALARS[hint])
    raise TypeError(f"records cannot hold {hint!r}")


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

    def convert(self, node: Node, hint: Any, path: str, field: FieldSpec = _NO_SPEC) -> Any:
        """Convert one node; returns None after recording a problem."""
        self.positions[path] = node
        if isinstance(node, Scalar) and PLACEHOLDER in node.text:  # whatever the field's type: never a value
            self.fail(node.where, path, f"still {PLACEHOLDER}, left by `gongwen new`: write the real value")
            return None
        shape = _shape(hint)
        if isinstance(shape, _Optional):
            if isinstance(node, Scalar) and node.is_null:
                return None
            return self.convert(node, shape.inner, path, field)
        if isinstance(shape, _List):
            return self._sequence(node, shape.item, path, field)
        if isinstance(shape, _Choice):
            return self._choice(node, shape.options, path)
        if isinstance(shape, _RecordShape):
            return self._record(node, shape.cls, path)
        if isinstance(shape, _Either):
            if isinstance(node, Mapping):
                return self._record(node, shape.cls, path)
            kind = shape.scalar
            if not isinstance(node, Scalar) or node.is_null:
                self.fail(node.where, path, f"expected {kind.described} or a mapping, not {kind_of(node)}")
                return None
            return kind.parse(self, node, path, field)
        if not isinstance(node, Scalar) or node.is_null:
            self.fail(node.where, path, f"expected {shape.kind.described}, not {kind_of(node)}")
            return None
        return shape.kind.parse(self, node, path, field)

    def _sequence(self, node: Node, item_hint: Any, path: str, field: FieldSpec) -> tuple[Any, ...] | None:
        item = _shape(item_hint)
        if isinstance(node, Scalar) and not node.is_null and isinstance(item, _ScalarShape):
            node = Sequence((node,), node.where)  # one value where a list is expected is a list of one
        if not isinstance(node, Sequence):
            if isinstance(item, _ScalarShape):
                described = item.kind.described
            elif isinstance(item, _Either):
                described = f"{item.scalar.described} or mappings"
            else:
                described = "mappings"
            self.fail(node.where, path, f"expected a list of {described}, not {kind_of(node)}")
            return None
        if len(node.items) < field.min_items:
            least = field.min_items
            self.fail(node.where, path, f"needs at least {least} item{'s' if least > 1 else ''}", len(node.items))
            return None
        return tuple(
            self.convert(child, item_hint, _field_path(path, index), field) for index, child in enumerate(node.items)
        )

    def _choice(self, node: Node, choices: tuple[Any, ...], path: str) -> Any:
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
        fields = {field.name: field for field in declared_fields(cls)}
        hints = _type_hints(cls)
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
            values[key.text] = self.convert(value_node, hints[key.text], _field_path(path, key.text), field_spec(field))
        for name, field in fields.items():
            if _required(field) and name not in values and name not in suggested:  # a misspelling is one mistake
                self.fail(node.where, _field_path(path, name), "missing required field")
        if len(self.problems) > before:
            return None
        record = cls(**{name: value for name, value in values.items() if value is not None})
        for relative, message, got in record.problems():
            field_path = _field_path(path, relative) if relative else path
            where = self.positions.get(field_path, node).where
            self.fail(where, field_path, message, dataclasses.MISSING if got is None else got)
        return record


_TYPE_HINTS: dict[type, dict[str, Any]] = {}


def _type_hints(cls: type) -> dict[str, Any]:
    """A record class's field types, resolved once per process (resolving the annotations' names cost more than
    converting the rest of a publication)."""
    hints = _TYPE_HINTS.get(cls)
    if hints is None:
        hints = _TYPE_HINTS[cls] = typing.get_type_hints(cls)
    return hints


def convert_record(root: Node, cls: type[R], error: type[GongwenError] = ContentError) -> tuple[R, dict[str, Node]]:
    """Convert a whole tree into `cls`; raise `error` listing every problem."""
    converter = Converter()
    record = converter.convert(root, cls, "")
    if converter.problems or record is None:
        raise error(converter.problems)
    return record, converter.positions


# ---- scalars: how each is read, named in messages, described for editors and in the README ----


def _parse_text(converter: Converter, node: Scalar, path: str, field: FieldSpec) -> str | None:
    bad = FORBIDDEN_CHARACTERS.search(node.text)
    if bad:
        message = f"contains the control character U+{ord(bad.group()):04X}, which documents cannot hold"
        converter.fail(node.where, path, message, node.text)
        return None
    invisible = FORMAT_CHARACTERS.search(node.text)
    if invisible:
        message = f"contains the invisible format character U+{ord(invisible.group()):04X}, which documents do not show"
        converter.fail(node.where, path, message, node.text)
        return None
    text = clean_text(node.text)
    if not text:
        converter.fail(node.where, path, "must not be empty")
        return None
    if field.max_length is not None and len(text) > field.max_length:
        converter.fail(node.where, path, f"must be at most {field.max_length} characters", len(text))
        return None
    if field.pattern and not re.fullmatch(field.pattern, text):
        converter.fail(node.where, path, field.hint or f"must match {field.pattern}", text)
        return None
    return text


def _parse_int(converter: Converter, node: Scalar, path: str, field: FieldSpec) -> int | None:
    if node.quoted or not _INTEGER.match(node.text):
        converter.fail(node.where, path, "expected a whole number", node.text)
        return None
    return int(node.text)


def _parse_number(converter: Converter, node: Scalar, path: str, field: FieldSpec) -> float | None:
    if node.quoted or not _NUMBER.match(node.text):
        converter.fail(node.where, path, "expected a number", node.text)
        return None
    return float(node.text)


def _parse_bool(converter: Converter, node: Scalar, path: str, field: FieldSpec) -> bool | None:
    lowered = node.text.lower()
    if not node.quoted and lowered in ("true", "false"):
        return lowered == "true"
    converter.fail(node.where, path, "expected true or false", node.text)
    return None


def _parse_date(converter: Converter, node: Scalar, path: str, field: FieldSpec) -> datetime.date | None:
    text = node.text.strip()
    if not _DATE.match(text):
        converter.fail(node.where, path, "expected a date written YYYY-MM-DD", node.text)
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as error:
        converter.fail(node.where, path, f"not a real date ({error})", node.text)
        return None


def _parse_time(converter: Converter, node: Scalar, path: str, field: FieldSpec) -> Time | None:
    match = _TIME.match(node.text.strip())
    if not match:
        converter.fail(node.where, path, "expected a time written HH:MM between 0:00 and 23:59", node.text)
        return None
    return Time(int(match.group(1)), int(match.group(2)))


def _text_schema(field: FieldSpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1, "not": {"pattern": PLACEHOLDER}}
    if field.max_length is not None:
        schema["maxLength"] = field.max_length
    if field.pattern:
        schema["pattern"] = "^(?:" + field.pattern + ")$"
    return schema


@dataclass(frozen=True)
class ScalarKind:
    """One kind of scalar value."""

    parse: Callable[[Converter, Scalar, str, FieldSpec], Any]
    described: str  # in messages: "expected a whole number, not a list"
    name: str  # in the README's field tables
    schema: Callable[[FieldSpec], dict[str, Any]]  # JSON Schema, given the field's limits


SCALARS: dict[Any, ScalarKind] = {
    str: ScalarKind(_parse_text, "text", "text", _text_schema),
    int: ScalarKind(_parse_int, "a whole number", "integer", lambda field: {"type": "integer"}),
    float: ScalarKind(_parse_number, "a number", "number", lambda field: {"type": "number"}),
    bool: ScalarKind(_parse_bool, "true or false", "true/false", lambda field: {"type": "boolean"}),
    datetime.date: ScalarKind(
        _parse_date, "a date (YYYY-MM-DD)", "date", lambda field: {"type": "string", "format": "date"}
    ),
    Time: ScalarKind(
        _parse_time, "a time (HH:MM)", "time HH:MM", lambda field: {"type": "string", "pattern": _TIME.pattern}
    ),
}


# ---- description: JSON Schema and the README's field reference, from the same declarations ----


def json_schema(cls: type[Record], title: str, schema_id: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) for `cls`, for editors that validate YAML while typing."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
    }
    schema.update(schema_for(cls))
    return schema


def schema_for(hint: Any, field: FieldSpec = _NO_SPEC) -> dict[str, Any]:
    shape = _shape(hint)
    doc: dict[str, Any] = {"description": field.doc} if field.doc else {}
    if isinstance(shape, _Optional):
        return schema_for(shape.inner, field)
    if isinstance(shape, _List):
        result = {**doc, "type": "array", "items": schema_for(shape.item)}
        if field.min_items:
            result["minItems"] = field.min_items
        return result
    if isinstance(shape, _Choice):
        return {**doc, "enum": list(shape.options)}
    if isinstance(shape, _RecordShape):
        return _record_schema(shape.cls, doc)
    if isinstance(shape, _Either):
        return {**doc, "anyOf": [shape.scalar.schema(field), _record_schema(shape.cls, {})]}
    return {**doc, **shape.kind.schema(field)}


def _record_schema(cls: type[Record], doc: dict[str, Any]) -> dict[str, Any]:
    """A record's schema; the field's own documentation, when it has some, describes it rather than the record's."""
    hints = _type_hints(cls)
    fields = declared_fields(cls)
    result: dict[str, Any] = {
        **doc,
        "type": "object",
        "properties": {field.name: schema_for(hints[field.name], field_spec(field)) for field in fields},
        "additionalProperties": False,
    }
    if cls.__doc__:
        result.setdefault("description", cls.__doc__.strip().splitlines()[0])
    required = [field.name for field in fields if _required(field)]
    if required:
        result["required"] = required
    alternative = cls.shorthand_schema()
    if alternative:
        return {"description": result.get("description", ""), "anyOf": [result, alternative]}
    return result


@dataclass(frozen=True)
class FieldDescription:
    """One declared field of a record, for what describes records (the skeleton of `gongwen new`, the template
    reference): its name and documentation, whether it is required, its default, and its shape."""

    name: str
    doc: str
    type_name: str  # as the README's tables name it
    required: bool
    default: Any  # dataclasses.MISSING when required
    record: type[Record] | None  # the record it holds (a list of them when `many`)
    many: bool  # a list
    choices: tuple[Any, ...]  # a choice of literals (empty otherwise)
    optional: bool  # may be none: optional without another default
    alternative: type[Record] | None = None  # the record a scalar (or a list's item) may be written as instead


def describe_fields(cls: type[Record]) -> list[FieldDescription]:
    """Every declared field of `cls`, in order."""
    described = []
    hints = _type_hints(cls)
    for field in declared_fields(cls):
        shape = _shape(hints[field.name])
        optional = isinstance(shape, _Optional)
        if isinstance(shape, _Optional):
            shape = _shape(shape.inner)
        many = isinstance(shape, _List)
        inner = _shape(shape.item) if isinstance(shape, _List) else shape
        described.append(
            FieldDescription(
                field.name,
                field_spec(field).doc,
                _type_name(hints[field.name]),
                _required(field),
                field.default,
                inner.cls if isinstance(inner, _RecordShape) else None,
                many,
                inner.options if isinstance(inner, _Choice) else (),
                optional and field.default is None,
                inner.cls if isinstance(inner, _Either) else None,
            )
        )
    return described


def field_reference(cls: type[Record], prefix: str = "") -> list[tuple[str, str, str, str]]:
    """Rows (field path, type, required or default, documentation) for every field, depth first."""
    rows = []
    hints = _type_hints(cls)
    for field in declared_fields(cls):
        hint = hints[field.name]
        path = _field_path(prefix, field.name)
        if _required(field):
            need = "required"
        elif field.default is None:
            need = "optional"
        else:
            need = f"default `{_show_default(field.default)}`"
        rows.append((path, _type_name(hint), need, field_spec(field).doc))
        shape = _shape(hint)
        if isinstance(shape, _Optional):
            shape = _shape(shape.inner)
        inner = _shape(shape.item) if isinstance(shape, _List) else shape
        if isinstance(inner, (_RecordShape, _Either)):
            rows.extend(field_reference(inner.cls, path + ("[]" if isinstance(shape, _List) else "")))
    return rows


def _show_default(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(str(item) for item in value) + "]"
    if dataclasses.is_dataclass(value):
        return "{}"
    return str(value)


def _type_name(hint: Any) -> str:
    shape = _shape(hint)
    if isinstance(shape, _Optional):
        return _type_name(shape.inner)
    if isinstance(shape, _List):
        return "list of " + _type_name(shape.item)
    if isinstance(shape, _Choice):
        return " \\| ".join(f"`{choice}`" for choice in shape.options)
    if isinstance(shape, _RecordShape):
        return "mapping"
    if isinstance(shape, _Either):
        return f"{shape.scalar.name} or mapping"
    return shape.kind.name
