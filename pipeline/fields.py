"""The README's tables of content and configuration fields, generated from the declarations
(`gongwen schema --format markdown`)."""

from __future__ import annotations

from .config import Settings
from .content.model import ContentFile
from .content.records import field_reference


def _table(rows: list[tuple[str, str, str, str]]) -> str:
    lines = ["| field | type | required / default | meaning |", "| --- | --- | --- | --- |"]
    lines += [f"| `{path}` | {kind} | {need} | {doc} |" for path, kind, need, doc in rows]
    return "\n".join(lines) + "\n"


def field_reference_markdown() -> str:
    """Both tables, as the README holds them between its `fields:` markers."""
    return (
        "#### Content file (schema 1)\n\n"
        + _table(field_reference(ContentFile))
        + "\n#### Configuration (`gongwen.toml`, or `[tool.gongwen]` in `pyproject.toml`)\n\n"
        + _table(field_reference(Settings))
    )
