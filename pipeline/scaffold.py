"""Starting a publication (`gongwen new`): a content file written from the declarations of the content schema, with
an obvious placeholder (【待填写】) wherever a person must supply a value.

In a folder with a `_defaults.yaml` (a round of an inspection), the file holds only the required
fields the defaults do not give; elsewhere it is a complete skeleton: every required field with a
placeholder, every optional one commented out with its default, each under a comment saying what
it means. Both are made from the same records as the checks, the JSON Schema and the README's
tables, so a field added to the schema appears here too. `check` and `build` refuse a placeholder
wherever it is left, one located line each, so none is ever printed.
"""

from __future__ import annotations

import os
import re
from dataclasses import MISSING
from pathlib import Path
from typing import Any

from .artifacts import ID_PATTERN
from .content import DEFAULTS_FILE
from .content.load import read_source
from .content.model import ContentFile
from .content.nodes import Mapping, Node
from .content.records import FieldDescription, Record, describe_fields
from .content.text import PLACEHOLDER
from .errors import ContentError, Problem, Where, shown_path
from .files import atomic_write

INDENT = "  "
"""Two spaces a level, as the seed and the README's examples are written."""
SCHEMA_FILE = Path(__file__).parent / "content-schema.json"


def new_content_file(publication_id: str, folder: Path) -> Path:
    """Write `folder/<publication_id>.yaml` for a new publication; its path. A ContentError for an id that cannot
    name an output folder, a file that is already there, or a mistake in the folder's `_defaults.yaml`."""
    if not re.fullmatch(ID_PATTERN, publication_id):
        message = "not a valid id: lower-case letters, digits and single hyphens, e.g. genertec-2015"
        raise ContentError(Problem(Where(publication_id), "", message))
    target = folder / f"{publication_id}.yaml"
    if target.exists():
        raise ContentError(Problem(Where(shown_path(target)), "", "already exists; choose another id or edit it"))
    defaults_path = folder / DEFAULTS_FILE
    defaults = read_source(defaults_path, shown_path(defaults_path)).root if defaults_path.is_file() else None
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(target, skeleton(publication_id, folder, defaults).encode("utf-8"))
    return target


def skeleton(publication_id: str, folder: Path, defaults: Node | None = None) -> str:
    """The text of a new content file in `folder`: complete, or — under `defaults` — only what they do not give."""
    schema = os.path.relpath(SCHEMA_FILE.resolve(), folder.resolve())
    header = [
        f"# yaml-language-server: $schema={Path(schema).as_posix()}",
        f"# {publication_id}: made by `gongwen new`. Replace every {PLACEHOLDER} with the real value;",
        "# `gongwen check` lists those left, and no build prints one.",
    ]
    if defaults is not None:
        header.append(
            f"# The round's shared values are in {DEFAULTS_FILE}; a value written here replaces the shared one."
        )
        body = _fields(ContentFile, defaults, 0, full=False)
    else:
        header.append("# Optional fields are commented out (`# name: …`): remove the `# ` to use one.")
        body = _fields(ContentFile, None, 0, full=True)
    return "\n".join([*header, *body]) + "\n"


def count_placeholders(text: str) -> int:
    """The placeholders a person must replace: those outside comments (a commented-out optional field has one)."""
    return sum(line.split("#", 1)[0].count(PLACEHOLDER) for line in text.splitlines())


def _fields(cls: type[Record], given: Node | None, depth: int, *, full: bool, in_list: bool = False) -> list[str]:
    """The lines of a record's fields at `depth`: written when a person must supply them (required and not `given`;
    in a list item without required fields, its scalars too, so that the item is a whole example), commented
    out when optional (`full` only)."""
    lines: list[str] = []
    if isinstance(given, Mapping):
        given = cls.shorthand(given)  # `hours: {start: 8:00, end: 20:00}` gives `hours.ranges`
    fields = describe_fields(cls)
    needs_example = in_list and not any(field.required for field in fields)
    for field in fields:
        inherited = given.get(field.name) if isinstance(given, Mapping) else None
        written = (field.required or (needs_example and field.record is None)) and (
            inherited is None or (field.record is not None and not field.many)
        )
        if written:
            block = _field(field, inherited, depth, full=full)
        elif full and not field.required:
            block = [_commented(line) for line in _field(field, None, depth, full=False, example=True)]
        else:
            continue
        if block:
            lines += [f"{INDENT * depth}# {field.doc}", *block] if field.doc else block
    return lines


def _field(field: FieldDescription, given: Node | None, depth: int, *, full: bool, example: bool = False) -> list[str]:
    """One field's lines: `name: value`, a nested mapping, or a list with one item."""
    pad = INDENT * depth
    if field.record is not None and not field.many:
        # A commented-out example shows every field of the record, its own optional ones commented once more.
        inner = _fields(field.record, given, depth + 1, full=full or example)
        return [f"{pad}{field.name}:", *inner] if inner else []
    if field.record is not None:
        return [f"{pad}{field.name}:", *_item(field.record, depth, full=full or example)]
    value = _value(field, example)
    if field.many:
        lines = [f"{pad}{field.name}:", f"{pad}{INDENT}- {value}"]
        if field.alternative is not None:  # an item may be a mapping instead: shown commented out
            lines += [_commented(line) for line in _item(field.alternative, depth, full=True)]
        return lines
    hint = f"  # {' | '.join(map(str, field.choices))}" if len(field.choices) > 1 else ""
    return [f"{pad}{field.name}: {value}{hint}"]


def _item(record: type[Record], depth: int, *, full: bool) -> list[str]:
    """A list's one item of `record`, its comments above the dash."""
    item = _fields(record, None, depth + 2, full=full, in_list=True)
    first = next(index for index, line in enumerate(item) if not line.lstrip().startswith("#"))
    pad = INDENT * depth
    item = [f"{pad}{INDENT}{line.lstrip()}" for line in item[:first]] + item[first:]  # comments above the dash
    item[first] = f"{pad}{INDENT}- {item[first].lstrip()}"
    return item


def _value(field: FieldDescription, example: bool) -> str:
    """What a scalar field is written with: its only choice, its default in a commented example, or the placeholder."""
    if len(field.choices) == 1:
        return str(field.choices[0])
    if field.type_name == "true/false" and field.required:  # a switch one writes to turn on: `contacts: true`
        return "true"
    if example and field.default not in (MISSING, None, ()):
        return _yaml(field.default)
    return PLACEHOLDER


def _yaml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _commented(line: str) -> str:
    """A line commented out where its text starts, so that removing `# ` gives the line back."""
    stripped = line.lstrip(" ")
    pad = line[: len(line) - len(stripped)]
    return line if stripped.startswith("#") else f"{pad}# {stripped}"
