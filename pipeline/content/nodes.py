"""Stage 1, content: the shape of loaded input, nodes that remember where they were written.

Content files (YAML) and the configuration (TOML) are both read into these nodes, and the records
of `pipeline.content.records` are converted from them.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import Where

_NULLS = frozenset(("", "~", "null", "Null", "NULL"))


@dataclass(frozen=True, slots=True)
class Scalar:
    text: str
    where: Where
    quoted: bool = False  # quoted or block style: never null, never a number
    end: Where | None = None

    @property
    def is_null(self) -> bool:
        return not self.quoted and self.text in _NULLS


@dataclass(frozen=True, slots=True)
class Sequence:
    items: tuple[Node, ...]
    where: Where


@dataclass(frozen=True, slots=True)
class Mapping:
    items: tuple[tuple[Scalar, Node], ...]
    where: Where

    def get(self, key: str) -> Node | None:
        for name, value in self.items:
            if name.text == key:
                return value
        return None

    def keys(self) -> list[str]:
        return [name.text for name, _ in self.items]


Node = Scalar | Sequence | Mapping


def kind_of(node: Node) -> str:
    if isinstance(node, Mapping):
        return "a mapping"
    if isinstance(node, Sequence):
        return "a list"
    return "null" if node.is_null else "text"
