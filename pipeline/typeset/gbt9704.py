"""Stage 2, typeset: the layout standard GB/T 9704-2012 in numbers, shared by the PDF stylesheet, the line composer
and the Word page setup."""

from __future__ import annotations

from dataclasses import dataclass

MM = 72 / 25.4  # points per millimetre

# Chinese point sizes (字号), in points.
SIZE = {
    "初号": 42,
    "小初": 36,
    "一号": 26,
    "小一": 24,
    "二号": 22,
    "小二": 18,
    "三号": 16,
    "小三": 15,
    "四号": 14,
    "小四": 12,
    "五号": 10.5,
    "小五": 9,
    "六号": 7.5,
}

PAGE_WIDTH_MM = 210
PAGE_HEIGHT_MM = 297
TOP_MM = 37  # 天头
BINDING_MM = 28  # 订口: left on odd pages, right on even pages
TYPE_WIDTH_MM = 156  # 版心
TYPE_HEIGHT_MM = 225
OUTER_MM = PAGE_WIDTH_MM - BINDING_MM - TYPE_WIDTH_MM  # 26
BOTTOM_MM = PAGE_HEIGHT_MM - TOP_MM - TYPE_HEIGHT_MM  # 35
LINES_PER_PAGE = 22
CELLS_PER_LINE = 28
PAGE_NUMBER_GAP_MM = 7  # page number this far below the type area

TYPE_WIDTH = TYPE_WIDTH_MM * MM  # 442.2 pt
TYPE_HEIGHT = TYPE_HEIGHT_MM * MM  # 637.8 pt
# 22 lines exactly fill 637.8 pt at 28.99 pt; a hair less keeps rounding from losing the 22nd line.
LINE_PITCH = round(TYPE_HEIGHT / LINES_PER_PAGE - 0.02, 2)  # 28.97 pt

BODY_SIZE = SIZE["三号"]
TITLE_SIZE = SIZE["二号"]
PAGE_NUMBER_SIZE = SIZE["四号"]
END_BLOCK_SIZE = SIZE["四号"]
RED = "#e60012"


@dataclass(frozen=True)
class TextGrid:
    """A block of text on the grid: body size and line pitch; the notice may tighten both to fit one page."""

    size: float = BODY_SIZE
    pitch: float = LINE_PITCH

    @property
    def cells(self) -> int:
        """Characters to a line: 28 at 16 pt."""
        return round(TYPE_WIDTH / self.size)

    @property
    def cell(self) -> float:
        """Character pitch that puts `cells` characters flush in the line: 27 pitches and one
        advance make 156 mm, so at 16 pt the pitch is 15.785 pt (letter-spacing −0.215 pt)."""
        return self.size + (TYPE_WIDTH - self.cells * self.size) / (self.cells - 1)


STANDARD_GRID = TextGrid()

# The notice tightens step by step, spacing first, then size, never below 14 pt (四号).
NOTICE_FIT_STEPS = (
    TextGrid(BODY_SIZE, LINE_PITCH),
    TextGrid(BODY_SIZE, 26.5),
    TextGrid(BODY_SIZE, 24.5),
    TextGrid(SIZE["小三"], 24.0),
    TextGrid(SIZE["小三"], 22.5),
    TextGrid(SIZE["四号"], 22.0),
    TextGrid(SIZE["四号"], 20.0),
)
