"""The README's generated parts: the tables of content and configuration fields, from the declarations
(`gongwen schema --format markdown`), and what templates receive (`template_reference`, `gongwen schema --format
templates`); `python -m pipeline.fields README.md` (`make schema`) writes them between their markers."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from .config import Settings
from .content.model import ContentFile
from .content.records import field_reference
from .template_reference import template_reference_markdown


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


GENERATED: dict[str, Callable[[], str]] = {"fields": field_reference_markdown, "templates": template_reference_markdown}
"""Each generated part of the README, by the name of its markers (`<!-- fields:start -->` … `<!-- fields:end -->`)."""


def generated_parts(text: str) -> str:
    """`text` with every generated part between its markers made anew."""
    for name, make in GENERATED.items():
        start, end = f"<!-- {name}:start -->\n", f"<!-- {name}:end -->"
        head, rest = text.split(start, 1)
        text = head + start + make() + end + rest.split(end, 1)[1]
    return text


if __name__ == "__main__":
    readme = Path(sys.argv[1])
    readme.write_text(generated_parts(readme.read_text(encoding="utf-8")), encoding="utf-8")
