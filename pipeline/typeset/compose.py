"""Stage 2, typeset: line composition — break paragraphs on the character grid and justify every full line flush.

The PDF engine justifies only at spaces, so Chinese lines would stay ragged. Here a paragraph is
cut into unbreakable pieces (a Chinese character with the punctuation that must stay with it, a
number, a date, a Latin word, a phone number), breaks are chosen over the whole paragraph to keep
each line as close to the 28-cell grid as the line-breaking rules allow, and each line gets the
letter-spacing that makes it end exactly at the right edge. Latin words and numbers keep their own
spacing; the slack goes between the other characters. Paragraphs stay whole `<p>` elements.
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass

from .shaping import Shaper

# No line may start with these (GB/T 15834 and common practice) ...
CLOSING = frozenset("，。、；：！？）》」』”’…%‰℃〕】〉·,.;:!?)]}")
# ... and none may end with these.
OPENING = frozenset("（《「『“‘〔【〈([{")
_ATOMS = re.compile(
    r"(?P<date>\d{1,4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月(?:\d{1,2}日)?|\d{1,2}日)"
    r"|(?P<word>[A-Za-z0-9](?:[A-Za-z0-9]|[-.:/@_%+&·'](?=[A-Za-z0-9]))*%?)"
    r"|(?P<space> +)"
    r"|(?P<double>——|……|⸺)"
    r"|(?P<char>.)",
    re.DOTALL,
)
_RANGE_DASHES = frozenset("—-～~")
# Marks that may hang into the right margin at the end of a full line (Word's default for Chinese).
HANGING = frozenset("，。、；：！？")
_HANG_PENALTY = 0.05  # a hair more than a line that fits without hanging
EPSILON = 0.01


@dataclass(frozen=True, slots=True)
class Piece:
    """An unbreakable run of text: `start`/`end` index the paragraph; `words` are runs spaced as typed."""

    start: int
    end: int
    words: tuple[tuple[int, int], ...] = ()
    space: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    start: int
    end: int
    spacing: float  # letter-spacing in points
    words: tuple[tuple[int, int], ...]
    hanging: bool = False  # the last mark hangs into the margin; the character before it ends at the edge


def _atoms(text: str) -> list[tuple[int, int, str]]:
    atoms = [(match.start(), match.end(), match.lastgroup) for match in _ATOMS.finditer(text)]
    # A range written X—Y between numbers or dates (8:00—20:00, 3月1日—4月30日) stays together.
    merged: list[tuple[int, int, str]] = []
    index = 0
    while index < len(atoms):
        start, end, kind = atoms[index]
        while (
            kind in ("date", "word")
            and index + 2 < len(atoms)
            and atoms[index + 1][2] == "char"
            and text[atoms[index + 1][0]] in _RANGE_DASHES
            and atoms[index + 2][2] in ("date", "word")
            and any(char.isdigit() for char in text[atoms[index + 2][0] : atoms[index + 2][1]])
        ):
            end = atoms[index + 2][1]
            kind = "range"
            index += 2
        merged.append((start, end, kind))
        index += 1
    return merged


def pieces(text: str) -> list[Piece]:
    """Cut a paragraph into pieces between which a line may break."""
    result: list[list] = []  # [start, end, words, space]
    for start, end, kind in _atoms(text):
        words = ((start, end),) if kind in ("word",) and end - start > 1 else ()
        if kind == "range":
            words = tuple(
                (match.start() + start, match.end() + start)
                for match in re.finditer(r"[A-Za-z0-9](?:[A-Za-z0-9]|[-.:/@_%+&·'](?=[A-Za-z0-9]))*", text[start:end])
                if match.end() - match.start() > 1
            )
        if kind == "space":
            result.append([start, end, (), True])
            continue
        attach_to_previous = (
            result and not result[-1][3] and (text[start] in CLOSING or text[result[-1][1] - 1] in OPENING)
        )
        if attach_to_previous:
            result[-1][1] = end
            result[-1][2] = result[-1][2] + words
        else:
            result.append([start, end, words, False])
    return [Piece(start, end, tuple(words), space) for start, end, words, space in result]


@dataclass
class Composer:
    """Composes paragraphs of one face and size into justified lines of a given width."""

    shaper: Shaper
    size: float
    width: float
    cell: float

    @property
    def grid_spacing(self) -> float:
        """Letter-spacing that puts one character per cell: slightly negative at 16 pt on 15.79 pt cells."""
        return self.cell - self.size

    def lines(self, text: str, indent_cells: float = 0) -> list[Line]:
        if not text:
            return []
        advances = self.shaper.advances(text, self.size)
        parts = pieces(text)
        first_width = self.width - indent_cells * self.cell
        result = _break(parts, advances, text, first_width, self.width, self.size, self.grid_spacing)
        if result is None:  # a piece wider than a line: let it break between characters
            parts = [Piece(index, index + 1) for index in range(len(text))]
            result = _break(parts, advances, text, first_width, self.width, self.size, self.grid_spacing, strict=False)
        assert result is not None
        return result

    def natural_width(self, text: str) -> float:
        return self.shaper.width(text, self.size)


class _Measure:
    """Widths and gap counts of any run of pieces in constant time (prefix sums), spaces at the ends dropped."""

    def __init__(self, parts: list[Piece], advances: list[float]):
        self.parts = parts
        self.width_before = [0.0]
        for advance in advances:
            self.width_before.append(self.width_before[-1] + advance)
        self.fixed_before = [0]  # gaps inside words (not stretched), before each piece
        for part in parts:
            self.fixed_before.append(self.fixed_before[-1] + sum(end - start - 1 for start, end in part.words))
        count = len(parts)
        self.first_solid = [count] * (count + 1)  # first piece at or after i that is not a space
        for index in range(count - 1, -1, -1):
            self.first_solid[index] = index if not parts[index].space else self.first_solid[index + 1]
        self.last_solid = [-1] * (count + 1)  # last piece before j that is not a space
        for index in range(1, count + 1):
            self.last_solid[index] = index - 1 if not parts[index - 1].space else self.last_solid[index - 1]

    def line(self, first: int, stop: int) -> tuple[int, int, float, int]:
        """(start, end, natural width, stretchable gaps) of pieces first..stop-1."""
        solid_first, solid_last = self.first_solid[first], self.last_solid[stop]
        if solid_first > solid_last:
            return 0, 0, 0.0, 0
        start, end = self.parts[solid_first].start, self.parts[solid_last].end
        fixed = self.fixed_before[solid_last + 1] - self.fixed_before[solid_first]
        return start, end, self.width_before[end] - self.width_before[start], (end - start - 1) - fixed

    def words(self, first: int, stop: int) -> tuple[tuple[int, int], ...]:
        return tuple(word for part in self.parts[first:stop] for word in part.words)


def _candidate_ends(measure: _Measure, first: int, available: float, most_stretch: float):
    """Line ends worth trying from piece `first`: none so short that even the loosest spacing
    leaves it short of the measure (found by bisection), then on until the loop stops; the
    paragraph's end is always a candidate."""
    count = len(measure.parts)
    start_char = measure.parts[first].start
    before = measure.width_before

    def long_enough(end_index: int) -> bool:
        end_char = measure.parts[end_index - 1].end
        return before[end_char] - before[start_char] + (end_char - start_char) * most_stretch >= available

    lowest = bisect.bisect_left(range(first + 1, count + 1), True, key=long_enough) + first + 1
    if lowest > count:
        return (count,)
    return range(lowest, count + 1)


def real_characters(text: str) -> int:
    return sum(1 for char in text if char not in CLOSING and not char.isspace())


def _break(
    parts: list[Piece],
    advances: list[float],
    text: str,
    first_width: float,
    width: float,
    size: float,
    grid: float,
    strict: bool = True,
) -> list[Line] | None:
    """Choose breaks over the whole paragraph (dynamic programming over break points).

    A full line costs the square of how far its spacing strays from the grid's; a line may let
    its last mark (，。、；：！？) hang into the margin, as Word does, when that fits the grid
    better; the last line keeps the grid's spacing and must hold two characters or more.
    """
    count = len(parts)
    measure = _Measure(parts, advances)
    most_shrink = grid - 0.12 * size  # tightest: about 29.5 characters in 28 cells
    most_stretch = grid + (0.5 if strict else 4.0) * size
    best: list[float] = [math.inf] * (count + 1)
    chosen: list[tuple[int, float, bool] | None] = [None] * (count + 1)  # (line start piece, spacing, hanging)
    best[0] = 0.0
    for start_index in range(count):
        if best[start_index] == math.inf:
            continue
        available = first_width if start_index == 0 else width
        for end_index in _candidate_ends(measure, start_index, available, most_stretch):
            start, end, natural, gaps = measure.line(start_index, end_index)
            if end == start:
                continue
            if end_index == count:  # the paragraph's last line
                if natural + max(gaps, 0) * grid <= available + EPSILON:
                    spacing, cost = grid, 0.0
                else:
                    spacing = (available - natural) / gaps if gaps > 0 else -math.inf
                    if spacing < most_shrink:
                        break
                    cost = 50 * ((spacing - grid) / size) ** 2
                if strict and start_index > 0 and real_characters(text[start:end]) < 2:
                    cost += 1e6
                options = [(cost, spacing, False)]
            else:
                options = []
                if gaps > 0:
                    spacing = (available - natural) / gaps
                    if most_shrink <= spacing <= most_stretch:
                        options.append((100 * ((spacing - grid) / size) ** 2, spacing, False))
                if text[end - 1] in HANGING and gaps > 1:
                    spacing = (available - (natural - advances[end - 1])) / (gaps - 1)
                    if most_shrink <= spacing <= most_stretch:
                        options.append((100 * ((spacing - grid) / size) ** 2 + _HANG_PENALTY, spacing, True))
                if not options:
                    hanging_natural = natural - advances[end - 1] if text[end - 1] in HANGING else natural
                    if hanging_natural > available - max(gaps - 1, 0) * most_shrink + EPSILON:
                        break  # longer lines only get tighter
                    continue
            cost, spacing, hanging = min(options)
            if best[start_index] + cost < best[end_index]:
                best[end_index] = best[start_index] + cost
                chosen[end_index] = (start_index, spacing, hanging)
    if best[count] == math.inf:
        return None
    lines = []
    index = count
    while index > 0:
        start_index, spacing, hanging = chosen[index]
        start, end, _, _ = measure.line(start_index, index)
        lines.append(Line(start, end, spacing, measure.words(start_index, index), hanging))
        index = start_index
    lines.reverse()
    return lines
