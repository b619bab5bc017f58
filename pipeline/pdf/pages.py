"""Stage 4, write: laid-out pages as plain records — what the PDF engine placed where, for writers other than its own.

The PDF engine lays a document out once; `pipeline.pdf.boxes` reads its pages back into these
records (glyph runs with every glyph's advance, filled rectangles, the font programs the glyph ids
refer to), and the OFD writer draws from them. Nothing here imports the engine. Lengths are in
points (1/72 in), measured from the top-left corner of the page, y downwards, as CSS lays out.
"""

from __future__ import annotations

from dataclasses import dataclass

Color = tuple[float, float, float, float]
"""sRGB red, green, blue and alpha, each from 0 to 1."""


@dataclass(frozen=True)
class FontProgram:
    """One font the pages draw with: the bytes the engine shaped with (glyph ids refer to them) and its names."""

    key: str  # SHA-256 of the bytes: one program, one key, across the document
    data: bytes
    family: str  # name ID 16 (or 1) of the program
    postscript: str  # name ID 6
    weight: int  # 100–900, as the engine asked for it
    italic: bool


@dataclass(frozen=True)
class Cluster:
    """Characters drawn as a unit: usually one character and one glyph."""

    text: str
    glyphs: tuple[int, ...]
    advance: float  # from this cluster's origin to the next one's, letter-spacing included


@dataclass(frozen=True)
class GlyphRun:
    """Glyphs of one font, size and colour on one baseline, each cluster after the one before."""

    font: str  # FontProgram.key
    size: float
    x: float  # origin of the first cluster
    baseline: float
    color: Color
    clusters: tuple[Cluster, ...]

    @property
    def text(self) -> str:
        return "".join(cluster.text for cluster in self.clusters)

    @property
    def width(self) -> float:
        return sum(cluster.advance for cluster in self.clusters)


@dataclass(frozen=True)
class Rectangle:
    """A filled rectangle: a background or a solid border (the rules of 版头 and 版记)."""

    x: float
    y: float
    width: float
    height: float
    color: Color


Mark = GlyphRun | Rectangle


@dataclass(frozen=True)
class LaidOutPage:
    width: float
    height: float
    marks: tuple[Mark, ...]  # in painting order

    @property
    def runs(self) -> tuple[GlyphRun, ...]:
        return tuple(mark for mark in self.marks if isinstance(mark, GlyphRun))


@dataclass(frozen=True)
class LaidOutDocument:
    pages: tuple[LaidOutPage, ...]
    fonts: dict[str, FontProgram]  # by key, in order of first use
