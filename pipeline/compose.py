"""Render-stage line composition: break paragraphs on the character grid and justify every full line flush.

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

from markupsafe import Markup, escape

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
_EPSILON = 0.01


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
    spacing: float          # letter-spacing in points
    words: tuple[tuple[int, int], ...]
    hanging: bool = False   # the last mark hangs into the margin; the character before it ends at the edge


def _atoms(text: str) -> list[tuple[int, int, str]]:
    atoms = [(match.start(), match.end(), match.lastgroup) for match in _ATOMS.finditer(text)]
    # A range written X—Y between numbers or dates (8:00—20:00, 3月1日—4月30日) stays together.
    merged: list[tuple[int, int, str]] = []
    index = 0
    while index < len(atoms):
        start, end, kind = atoms[index]
        while (kind in ("date", "word") and index + 2 < len(atoms) and atoms[index + 1][2] == "char"
               and text[atoms[index + 1][0]] in _RANGE_DASHES and atoms[index + 2][2] in ("date", "word")
               and any(char.isdigit() for char in text[atoms[index + 2][0]:atoms[index + 2][1]])):
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
            words = tuple((match.start() + start, match.end() + start)
                          for match in re.finditer(r"[A-Za-z0-9](?:[A-Za-z0-9]|[-.:/@_%+&·'](?=[A-Za-z0-9]))*", text[start:end])
                          if match.end() - match.start() > 1)
        if kind == "space":
            result.append([start, end, (), True])
            continue
        attach_to_previous = result and not result[-1][3] and (
            text[start] in CLOSING or text[result[-1][1] - 1] in OPENING)
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
        self.first_solid = [count] * (count + 1)   # first piece at or after i that is not a space
        for index in range(count - 1, -1, -1):
            self.first_solid[index] = index if not parts[index].space else self.first_solid[index + 1]
        self.last_solid = [-1] * (count + 1)       # last piece before j that is not a space
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


def _real_chars(text: str) -> int:
    return sum(1 for char in text if char not in CLOSING and not char.isspace())


def _break(parts: list[Piece], advances: list[float], text: str, first_width: float, width: float,
           size: float, grid: float, strict: bool = True) -> list[Line] | None:
    """Choose breaks over the whole paragraph (dynamic programming over break points).

    A full line costs the square of how far its spacing strays from the grid's; a line may let
    its last mark (，。、；：！？) hang into the margin, as Word does, when that fits the grid
    better; the last line keeps the grid's spacing and must hold two characters or more.
    """
    count = len(parts)
    measure = _Measure(parts, advances)
    most_shrink = grid - 0.12 * size    # tightest: about 29.5 characters in 28 cells
    most_stretch = grid + (0.5 if strict else 4.0) * size
    best: list[float] = [math.inf] * (count + 1)
    chosen: list[tuple[int, float, bool] | None] = [None] * (count + 1)   # (line start piece, spacing, hanging)
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
                if natural + max(gaps, 0) * grid <= available + _EPSILON:
                    spacing, cost = grid, 0.0
                else:
                    spacing = (available - natural) / gaps if gaps > 0 else -math.inf
                    if spacing < most_shrink:
                        break
                    cost = 50 * ((spacing - grid) / size) ** 2
                if strict and start_index > 0 and _real_chars(text[start:end]) < 2:
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
                    if hanging_natural > available - max(gaps - 1, 0) * most_shrink + _EPSILON:
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


# The PDF engine writes the space between glyphs in whole thousandths of an em, dropping the
# fraction (weasyprint/draw/text.py: `int(kerning)`). Spacing is therefore chosen in whole
# thousandths, a fraction of one added to each so the drop lands on the intended value, and the
# line's remainder spread as one extra thousandth over its first gaps. The line then ends where
# the layout says, within a thousandth of an em. The values are classes of the stylesheet
# (`.s-13` is −13 thousandths of letter-spacing, `.r-13` as a right margin): an inline style on
# every span costs the engine a fifth of its layout time.
_NUDGE = 0.1


def spacing_class(thousandths: int) -> str:
    return f"s{thousandths}" if thousandths >= 0 else f"sm{-thousandths}"


def margin_class(thousandths: int) -> str:
    return f"r{thousandths}" if thousandths >= 0 else f"rm{-thousandths}"


def spacing_rules(used: set[int]) -> str:
    """The stylesheet rules for the spacing classes a document used."""
    rules = []
    for value in sorted(used):
        nudged = value + (_NUDGE if value > 0 else -_NUDGE if value < 0 else 0)
        rules.append(f".{spacing_class(value)} {{ letter-spacing: {nudged / 1000:.5f}em; }}")
        rules.append(f".{margin_class(value)} {{ margin-right: {value / 1000:.5f}em; }}")
    return "\n".join(rules)


def _gap_thousandths(line: Line, size: float) -> list[int]:
    """Spacing after each character of the line, in whole thousandths of an em (0 inside words)."""
    count = line.end - line.start
    inside = [False] * count
    for word_start, word_end in line.words:
        for index in range(word_start, word_end - 1):
            inside[index - line.start] = True
    stretchable = [index for index in range(count - 1) if not inside[index]]
    if line.hanging:
        stretchable = stretchable[:-1]  # the gap before the hanging mark is outside the measure
    total = line.spacing * len(stretchable) * 1000 / size
    base = math.floor(total / len(stretchable)) if stretchable else round(line.spacing * 1000 / size)
    extra = round(total - base * len(stretchable)) if stretchable else 0
    gaps = [0] * count
    for order, index in enumerate(stretchable):
        gaps[index] = base + (1 if order < extra else 0)
    gaps[count - 1] = base  # after the last character: invisible, kept for a uniform span
    return gaps


def lines_html(text: str, lines: list[Line], size: float, used: set[int]) -> Markup:
    """Each line as a span whose spacing makes it flush, joined by <br>; words keep their own
    spacing. The spacing values are added to `used`, for `spacing_rules`."""
    out = []
    for line in lines:
        gaps = _gap_thousandths(line, size)
        line_value = max(set(gaps), key=gaps.count)
        used.add(line_value)
        words = {start: end for start, end in line.words}
        chunks = []
        index = line.start
        while index < line.end:
            if index in words:
                end = words[index]
                after = gaps[end - 1 - line.start]
                used.add(after)
                classes = f"w {margin_class(after)}" if end < line.end else "w"
                chunks.append(Markup(f'<span class="{classes}">') + escape(text[index:end]) + Markup("</span>"))
                index = end
                continue
            value = gaps[index - line.start]
            end = index + 1
            while end < line.end and end not in words and gaps[end - line.start] == value:
                end += 1
            piece = escape(text[index:end])
            if value != line_value:
                used.add(value)
                piece = Markup(f'<span class="{spacing_class(value)}">') + piece + Markup("</span>")
            chunks.append(piece)
            index = end
        out.append(Markup(f'<span class="ln {spacing_class(line_value)}">') + Markup("").join(chunks) + Markup("</span>"))
    return Markup("<br>").join(out)


def balanced_lines(text: str, composer: Composer, max_lines: int = 4) -> list[str]:
    """Break a title into lines of balanced length: none of one or two characters, no word split.

    Lines are measured on the composer's cells (grid spacing included); break points fall between
    words (found with a Chinese word segmenter), never inside a number or before closing punctuation.
    """
    advances = [width + composer.grid_spacing for width in composer.shaper.advances(text, composer.size)]
    natural = sum(advances) - composer.grid_spacing
    if natural <= composer.width + _EPSILON:
        return [text]
    piece_starts = {part.start for part in pieces(text)}
    quality = {index: cost for index, cost in _title_break_quality(text).items() if index in piece_starts}
    least = math.ceil(natural / composer.width)
    best: tuple[float, list[str]] | None = None
    for count in range(least, min(least + 2, max_lines + 1)):
        result = _balance(text, advances, count, composer.width + composer.grid_spacing, quality)
        if result is not None and (best is None or result[0] < best[0]):
            best = result
    if best is None:
        return [text[line.start:line.end] for line in composer.lines(text)]
    return best[1]


_LIGHT_WORDS = ("的", "和", "与", "及", "对", "在", "等", "关于", "为", "以")


def _title_break_quality(text: str) -> dict[int, float]:
    """Cost of a break before each position; positions inside a word are absent (not allowed)."""
    import rjieba  # the segmenter loads its dictionary; only titles longer than a line need it

    boundaries = []
    position = 0
    for word in rjieba.cut(text):
        position += len(word)
        boundaries.append((position, word))
    cost = {}
    for index, (position, word) in enumerate(boundaries[:-1]):
        following = boundaries[index + 1][1]
        if word[-1] in "，、；：":
            cost[position] = 0.0
        elif word in _LIGHT_WORDS or following in ("关于",):
            cost[position] = 0.5
        elif following in _LIGHT_WORDS or word[-1] in OPENING:
            cost[position] = 6.0
        else:
            cost[position] = 2.0
    return cost


def _balance(text: str, advances: list[float], count: int, width: float,
             quality: dict[int, float]) -> tuple[float, list[str]] | None:
    """Best `count` lines: lengths close to equal, breaks at cheap word boundaries."""
    target = sum(advances) / count
    positions = sorted(quality)
    # Dynamic programming over lines: for each reachable line start, the cheapest cuts so far.
    frontier: dict[int, tuple[float, list[int]]] = {0: (0.0, [])}
    for line_number in range(count):
        final = line_number == count - 1
        following: dict[int, tuple[float, list[int]]] = {}
        for start, (cost, cuts) in frontier.items():
            ends = [len(text)] if final else [position for position in positions if position > start]
            for end in ends:
                line_width = sum(advances[start:end])
                if line_width > width + _EPSILON:
                    break
                if _real_chars(text[start:end]) < 3:
                    continue
                line_cost = ((line_width - target) / advances[0]) ** 2 + (0.0 if final else quality[end])
                total = cost + line_cost
                if end not in following or total < following[end][0]:
                    following[end] = (total, cuts + [end])
        frontier = following
    if len(text) not in frontier:
        return None
    cost, cuts = frontier[len(text)]
    starts = [0] + cuts[:-1]
    return cost, [text[start:end] for start, end in zip(starts, cuts)]
