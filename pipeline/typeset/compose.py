"""Stage 2, typeset: line composition — break paragraphs on the character grid and justify every full line flush.

The PDF engine justifies only at spaces, so Chinese lines would stay ragged. Here a paragraph is
cut into unbreakable pieces (a Chinese character with the punctuation that must stay with it, a
number, a date, a Latin word, a phone number), breaks are chosen over the whole paragraph to keep
each line as close to the 28-cell grid as the line-breaking rules allow, and each line gets the
letter-spacing that makes it end exactly at the right edge. Latin words and numbers keep their own
spacing; the slack goes between the other characters. Paragraphs stay whole `<p>` elements.

No full line is stretched by more than `STRETCH_LIMIT_EM` between characters when some choice of
breaks avoids it. Where none does (a long unbreakable run such as an e-mail address after a short
stretch of text), marks are compressed to half their cell as the Chinese layout requirements
(W3C CLREQ) allow — adjacent marks first, then brackets and colons — and only where that fails
too is a line left looser than the limit; the caller reports such lines.
"""

from __future__ import annotations

import enum
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from .shaping import Shaper

# No line may start with these (GB/T 15834 and common practice) ...
CLOSING = frozenset("，。、；：！？）》」』”’…%‰℃〕】〉·,.;:!?)]}")
# ... and none may end with these.
OPENING = frozenset("（《「『“‘〔【〈([{")
# Marks that may hang into the right margin at the end of a full line (Word's default for Chinese).
HANGING = frozenset("，。、；：！？")

_WORD = r"[A-Za-z0-9](?:[A-Za-z0-9]|[-.:/@_%+&·'](?=[A-Za-z0-9]))*"
"""A Latin word or a number written with digits: 010-68334749, GB/T, 8:00, www.ccdi.gov.cn, 12.5."""
_ATOMS = re.compile(
    r"(?P<date>\d{1,4}年(?:\d{1,2}月(?:\d{1,2}日)?)?|\d{1,2}月(?:\d{1,2}日)?|\d{1,2}日)"
    rf"|(?P<word>{_WORD}%?)"
    r"|(?P<space> +)"
    r"|(?P<double>——|……|⸺)"
    r"|(?P<char>.)",
    re.DOTALL,
)
_WORDS = re.compile(_WORD)
_DIGITS = re.compile(r"\d{2,}")
_RANGE_DASHES = frozenset("—-～~")
# Where a Latin run wider than a line may break: after these (an e-mail address, a web address, a path).
_RUN_BREAK_AFTER = re.compile(r"[-./@_&?=#]+")
# A mark whose glyph fills the left half of its cell (the right half may be compressed away) ...
_GLYPH_LEFT = frozenset("，。、；：！？）》」』”’〕】〉")
# ... and one whose glyph fills the right half (the left half may go).
_GLYPH_RIGHT = frozenset("（《「『“‘〔【〈")
# Brackets and the colon, compressible on their blank side when no adjacent mark offers a half cell.
_BRACKETS_AND_COLONS = frozenset("：（）《》「」『』“”‘’〔〕【】〈〉")
_MARKS = _GLYPH_LEFT | _GLYPH_RIGHT

# ---- the line breaker's policy ----
# A line's cost is a weight times the square of how far its letter-spacing strays from the grid's,
# in ems; the breaker chooses the breaks of least total cost over the whole paragraph.
MOST_SHRINK_EM = 0.12
"""Tightest letter-spacing below the grid's: about 29.5 characters in 28 cells; tighter looks crowded."""
STRETCH_LIMIT_EM = 0.15
"""Most spacing a full line adds between two characters beyond the grid's. Measured: real notices
and the seed never need more than 0.135 em, generated stress content 0.19 em at its 99th percentile;
0.15 em (2.4 pt at 16 pt, four cells of slack over a line) is where a line starts to look spaced out."""
MOST_STRETCH_EM = 0.5
"""Loosest letter-spacing above the grid's when no breaks keep every line within the limit (each such line
is reported)."""
FALLBACK_STRETCH_EM = 4.0
"""Loosest letter-spacing when even runs cut where an address may break leave no line within `MOST_STRETCH_EM`."""
FULL_LINE_WEIGHT = 100.0
"""Cost of a full line per squared em of stray from the grid's spacing."""
LAST_LINE_WEIGHT = 50.0
"""Cost of squeezing a last line (it is never stretched): half a full line's, as it saves a line."""
HANG_PENALTY = 0.05
"""Added when a line's last mark hangs in the margin: a hair more than a line that fits without hanging."""
LONELY_LAST_LINE_PENALTY = 1e6
"""A last line of fewer than `LONELY_LAST_LINE_CHARACTERS`: taken only when no other break fits."""
LONELY_LAST_LINE_CHARACTERS = 2
OVER_LIMIT_PENALTY = 1e4
"""Added for a line looser than `STRETCH_LIMIT_EM`, times 1 + (excess / limit)²: two slightly loose lines
cost less than one very loose line, and any compression of marks costs less than either."""
COMPRESS_ADJACENT_PENALTY = 1e3
"""Per mark compressed to half its cell where two marks meet (）。 ，“): the mildest compression CLREQ allows,
and still more than the cost of every line of a paragraph set within the limit."""
COMPRESS_BRACKET_PENALTY = 2e3
"""Per bracket or colon compressed to half its cell next to a character: only when adjacent marks do not suffice."""
EPSILON = 0.01
"""Points within which two widths count as equal."""


class Piece(NamedTuple):
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
    compressed: tuple[int, ...] = ()  # characters after which the gap loses half an em: a mark compressed

    def stretch(self, grid: float, size: float) -> float:
        """Spacing added between characters beyond the grid's, in ems (negative when the line is squeezed)."""
        return (self.spacing - grid) / size


class _Atom(NamedTuple):
    start: int
    end: int
    kind: str  # date, word, space, double, char; or range: a number or date, a dash, a number or date


def _atoms(text: str) -> list[_Atom]:
    atoms = [_Atom(match.start(), match.end(), match.lastgroup or "char") for match in _ATOMS.finditer(text)]
    # A range written X—Y between numbers or dates (8:00—20:00, 3月1日—4月30日) stays together.
    merged: list[_Atom] = []
    index = 0
    while index < len(atoms):
        atom = atoms[index]
        if atom.kind in ("date", "word") and _is_range_end(text, atoms[index + 1 : index + 3]):
            atom = _Atom(atom.start, atoms[index + 2].end, "range")
            index += 2
        merged.append(atom)
        index += 1
    return merged


def _is_range_end(text: str, following: list[_Atom]) -> bool:
    """Whether the two atoms after a number or date are a dash and a number or date."""
    if len(following) < 2:
        return False
    dash, other = following
    return (
        dash.kind == "char"
        and text[dash.start] in _RANGE_DASHES
        and other.kind in ("date", "word")
        and any(char.isdigit() for char in text[other.start : other.end])
    )


def _words_of(text: str, atom: _Atom) -> tuple[tuple[int, int], ...]:
    """The runs of `atom` that keep their own spacing: words and numbers of two characters or more, in dates too."""
    if atom.kind == "word":
        return ((atom.start, atom.end),) if atom.end - atom.start > 1 else ()
    if atom.kind == "date":  # 2026年4月17日: 2026 and 17 keep their spacing, the characters take the line's
        return tuple(
            (match.start() + atom.start, match.end() + atom.start)
            for match in _DIGITS.finditer(text[atom.start : atom.end])
        )
    if atom.kind == "range":
        return tuple(
            (match.start() + atom.start, match.end() + atom.start)
            for match in _WORDS.finditer(text[atom.start : atom.end])
            if match.end() - match.start() > 1
        )
    return ()


def pieces(text: str) -> list[Piece]:
    """Cut a paragraph into pieces between which a line may break."""
    return _pieces(text, _atoms(text))


def _pieces(text: str, atoms: list[_Atom]) -> list[Piece]:
    """Atoms joined into pieces: a closing mark joins the piece before it, an opening mark the piece after it."""
    result: list[Piece] = []
    for atom in atoms:
        if atom.kind == "space":
            result.append(Piece(atom.start, atom.end, space=True))
            continue
        words = _words_of(text, atom)
        solid = len(result) - 1  # the last piece that is not a space: a space between changes no rule
        while solid >= 0 and result[solid].space:
            solid -= 1
        previous = result[solid] if solid >= 0 else None
        if previous is not None and (text[atom.start] in CLOSING or text[previous.end - 1] in OPENING):
            result[solid:] = [Piece(previous.start, atom.end, previous.words + words)]
        else:
            result.append(Piece(atom.start, atom.end, words))
    return result


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
        """The paragraph's lines: within the stretch limit with every mark on its cell when some breaks
        allow it; else with marks compressed, or lines looser than the limit; a piece wider than a line
        is broken at its own break points (after . / @ - _ in an address), then between characters."""
        if not text:
            return []
        advances = self.shaper.advances(text, self.size)
        first_width = self.width - indent_cells * self.cell
        breaker = _LineBreaker(text, advances, first_width, self.width, self.size, self.grid_spacing)
        parts = pieces(text)
        result = breaker.lines(parts, _WITHIN_LIMIT)
        if result is None or result.cost >= LONELY_LAST_LINE_PENALTY:  # the relaxed attempt includes this one
            result = breaker.lines(parts, _RELAXED)
        if result is None:  # a piece wider than a line, or a run that fits no line beside its neighbours:
            wide = _split_runs(text, parts, advances, self.width, self.width)  # cut where an address may break
            every = _split_runs(text, parts, advances, 0.0, self.width)
            apart = _split_runs(text, parts, advances, 0.0, 0.0)  # runs between their characters
            attempts = ((wide, _RELAXED), (every, _RELAXED), (apart, _RELAXED), (every, _LAST_RESORT))
            result = next(filter(None, (breaker.lines(split, attempt) for split, attempt in attempts)), None)
        if result is None:
            result = breaker.lines([Piece(index, index + 1) for index in range(len(text))], _BETWEEN_CHARACTERS)
        assert result is not None, "broken between characters, any paragraph fits"
        return result.lines

    def natural_width(self, text: str) -> float:
        return self.shaper.width(text, self.size)


def real_characters(text: str) -> int:
    return sum(1 for char in text if char not in CLOSING and not char.isspace())


def _split_runs(text: str, parts: list[Piece], advances: list[float], wider_than: float, width: float) -> list[Piece]:
    """`parts` with each run of Latin letters and digits wider than `wider_than` cut where an address may
    break (after - . / @ _), each cut keeping its own spacing; a cut wider than `width` is cut between its
    characters. Marks stay with the character they follow or precede."""
    result: list[Piece] = []
    for part in parts:
        if part.space or not part.words or sum(advances[part.start : part.end]) <= wider_than:
            result.append(part)
            continue
        cuts = [part.start]
        cuts += [part.start + match.end() for match in _RUN_BREAK_AFTER.finditer(text[part.start : part.end])]
        cuts = sorted({cut for cut in cuts if cut < part.end}) + [part.end]
        for start, end in zip(cuts, cuts[1:], strict=False):
            if sum(advances[start:end]) > width:
                result.extend(Piece(index, index + 1) for index in range(start, end))
                continue
            words = ((start, end),) if end - start > 1 and not any(char in _MARKS for char in text[start:end]) else ()
            result.append(Piece(start, end, words))
    return _rejoined(text, result)


def _rejoined(text: str, parts: list[Piece]) -> list[Piece]:
    """Pieces joined again where a cut would let a line start with a closing mark or end with an opening one."""
    result: list[Piece] = []
    for part in parts:
        previous = result[-1] if result else None
        if (
            previous is not None
            and not previous.space
            and not part.space
            and (text[part.start] in CLOSING or text[previous.end - 1] in OPENING)
        ):
            result[-1] = Piece(previous.start, part.end, previous.words + part.words)
        else:
            result.append(part)
    return result


def compressible_gaps(text: str) -> tuple[list[int], list[int]]:
    """For each gap between two characters (the gap after character i), how much of an em compression may
    take from it, by CLREQ's order: `adjacent` where two marks meet (the blank half of one of them), else
    `bracket` beside a bracket or a colon; 0 or 1 half-em each."""
    adjacent = [0] * len(text)
    bracket = [0] * len(text)
    for index in range(len(text) - 1):
        before, after = text[index], text[index + 1]
        blank_between = before in _GLYPH_LEFT or after in _GLYPH_RIGHT
        if not blank_between:
            continue
        if before in _MARKS and after in _MARKS:
            adjacent[index] = 1
        elif before in _BRACKETS_AND_COLONS and before in _GLYPH_LEFT or after in _BRACKETS_AND_COLONS:
            bracket[index] = 1
    return adjacent, bracket


class _Span(NamedTuple):
    """A run of pieces as a line: its characters, natural width and the gaps that take letter-spacing."""

    start: int
    end: int
    natural: float
    gaps: int


class _Measure:
    """Widths and gap counts of any run of pieces in constant time (prefix sums), spaces at the ends dropped."""

    def __init__(self, parts: Sequence[Piece], advances: list[float], text: str):
        self.parts = parts
        self.text = text
        self.width_before = list(itertools.accumulate(advances, initial=0.0))
        self.starts = [part.start for part in parts]
        self.ends = [part.end for part in parts]
        # gaps inside words (not stretched), before each piece
        fixed = (sum(end - start - 1 for start, end in part.words) if part.words else 0 for part in parts)
        self.fixed_before = list(itertools.accumulate(fixed, initial=0))
        count = len(parts)
        self.first_solid = [count] * (count + 1)  # first piece at or after i that is not a space
        for index in range(count - 1, -1, -1):
            self.first_solid[index] = index if not parts[index].space else self.first_solid[index + 1]
        self.last_solid = [-1] * (count + 1)  # last piece before j that is not a space
        for index in range(1, count + 1):
            self.last_solid[index] = index - 1 if not parts[index - 1].space else self.last_solid[index - 1]
        self._compression: tuple[list[int], list[int], list[int], list[int]] | None = None
        self._real_before: list[int] | None = None

    def real_characters(self, start: int, end: int) -> int:
        """`real_characters` of the text's characters start..end-1."""
        if self._real_before is None:
            real = (char not in CLOSING and not char.isspace() for char in self.text)
            self._real_before = list(itertools.accumulate(real, initial=0))
        return self._real_before[end] - self._real_before[start]

    def span(self, first: int, stop: int) -> _Span:
        """Pieces first..stop-1 as a line."""
        solid_first, solid_last = self.first_solid[first], self.last_solid[stop]
        if solid_first > solid_last:
            return _Span(0, 0, 0.0, 0)
        start, end = self.starts[solid_first], self.ends[solid_last]
        fixed = self.fixed_before[solid_last + 1] - self.fixed_before[solid_first]
        return _Span(start, end, self.width_before[end] - self.width_before[start], (end - start - 1) - fixed)

    def words(self, first: int, stop: int) -> tuple[tuple[int, int], ...]:
        return tuple(word for part in self.parts[first:stop] for word in part.words)

    def _compressible_gaps(self) -> tuple[list[int], list[int], list[int], list[int]]:
        """(adjacent, bracket, and their prefix sums), made when a line first needs them."""
        if self._compression is None:
            adjacent, bracket = compressible_gaps(self.text)
            self._compression = (adjacent, bracket, _prefix_sums(adjacent), _prefix_sums(bracket))
        return self._compression

    def compressible(self, span: _Span) -> tuple[int, int]:
        """Half-ems a line may give up: (where marks meet, beside brackets and colons), gaps inside the line only."""
        _, _, adjacent_before, bracket_before = self._compressible_gaps()
        last_gap = span.end - 1
        return (
            adjacent_before[last_gap] - adjacent_before[span.start],
            bracket_before[last_gap] - bracket_before[span.start],
        )

    def compressed(self, span: _Span, count: int) -> tuple[int, ...]:
        """The first `count` gaps to compress in a line: those where marks meet, then those beside brackets."""
        adjacent, bracket, _, _ = self._compressible_gaps()
        gaps = range(span.start, span.end - 1)
        chosen = [gap for gap in gaps if adjacent[gap]][:count]
        chosen += [gap for gap in gaps if bracket[gap]][: count - len(chosen)]
        return tuple(sorted(chosen))

    def lowest_end(self, first: int, available: float, most_stretch: float, from_end: int) -> int:
        """The first line end from piece `first`, at or after `from_end`, that the loosest spacing brings to the
        measure; len(parts) + 1 when there is none. Widths grow with the end and shrink with the start (advances
        and the loosest spacing are not negative), so a caller moving forward may pass the last answer on."""
        count = len(self.parts)
        before, ends = self.width_before, self.ends
        start_char = self.starts[first]
        base = before[start_char]
        end_index = max(from_end, first + 1)
        while end_index <= count:
            end_char = ends[end_index - 1]
            if before[end_char] - base + (end_char - start_char) * most_stretch >= available:
                break
            end_index += 1
        return end_index

    def candidate_ends(self, first: int, available: float, most_stretch: float) -> Sequence[int]:
        """Line ends worth trying from piece `first`: none so short that even the loosest spacing
        leaves it short of the measure, then on until the caller stops; the paragraph's end is always a candidate."""
        count = len(self.parts)
        lowest = self.lowest_end(first, available, most_stretch, first + 1)
        if lowest > count:
            return (count,)
        return range(lowest, count + 1)


def _prefix_sums(values: list[int]) -> list[int]:
    sums = [0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


@dataclass(frozen=True, slots=True)
class _Pass:
    """How hard one attempt at a paragraph may try: the loosest spacing (lines beyond the stretch limit
    cost `OVER_LIMIT_PENALTY`), whether marks may be compressed, and whether a lonely last line counts."""

    most_stretch_em: float
    compress: bool
    lonely_rule: bool = True


_WITHIN_LIMIT = _Pass(STRETCH_LIMIT_EM, compress=False)  # the breaks of old wherever they met the limit
_RELAXED = _Pass(MOST_STRETCH_EM, compress=True)
_LAST_RESORT = _Pass(FALLBACK_STRETCH_EM, compress=True)
_BETWEEN_CHARACTERS = _Pass(FALLBACK_STRETCH_EM, compress=False, lonely_rule=False)


class _Fit(NamedTuple):
    """How a line is set, and what it costs; compared as a tuple, so ties go to the tighter spacing."""

    cost: float
    spacing: float
    hanging: bool
    compressed: int = 0  # marks compressed to half their cell


class _Composed(NamedTuple):
    cost: float
    lines: list[Line]


class _Unfit(enum.Enum):
    TOO_SHORT = "even the loosest spacing leaves the line short of the measure"
    TOO_LONG = "the line, and every longer one from the same start, overflows the measure"


@dataclass
class _LineBreaker:
    """Chooses breaks over a whole paragraph (dynamic programming over break points).

    A full line costs the square of how far its spacing strays from the grid's; a line may let its
    last mark (，。、；：！？) hang into the margin, as Word does, when that fits the grid better;
    the last line keeps the grid's spacing when it fits and must hold two characters or more.
    """

    text: str
    advances: list[float]
    first_width: float
    width: float
    size: float
    grid: float

    def lines(self, parts: Sequence[Piece], attempt: _Pass) -> _Composed | None:  # noqa: C901, PLR0912, PLR0915
        """The paragraph's lines and their cost, or None when no breaks between `parts` fit this attempt's limits.

        The loop below is `_full_line` and `_last_line` written out over plain lists (the same arithmetic in the
        same order, so the same choices to the last bit): it runs for every candidate line of every paragraph."""
        count = len(parts)
        measure = self._measure(parts)
        grid, size, text, advances = self.grid, self.size, self.text, self.advances
        most_stretch = grid + attempt.most_stretch_em * size
        most_shrink = self.most_shrink
        over_limit = self.limit + 1e-9
        width_before, fixed_before = measure.width_before, measure.fixed_before
        first_solid, last_solid, starts, ends = measure.first_solid, measure.last_solid, measure.starts, measure.ends
        lonely_rule, compress = attempt.lonely_rule, attempt.compress
        monotone = most_stretch >= 0 and (not advances or min(advances) >= 0)
        # The cheapest way found to break before each piece: total cost, where its line starts, how it is set.
        costs: list[float | None] = [None] * (count + 1)
        costs[0] = 0.0
        line_starts = [0] * (count + 1)
        spacings = [0.0] * (count + 1)
        hangings = [False] * (count + 1)
        compressions = [0] * (count + 1)
        pointer = 1
        for start_index in range(count):
            reached = costs[start_index]
            if reached is None:
                continue
            if start_index == 0:
                available = self.first_width
                lowest = measure.lowest_end(0, available, most_stretch, 1)
            else:
                available = self.width
                pointer = measure.lowest_end(start_index, available, most_stretch, pointer if monotone else 1)
                lowest = pointer
            solid_first = first_solid[start_index]
            for end_index in range(lowest, count + 1) if lowest <= count else (count,):
                solid_last = last_solid[end_index]
                if solid_first > solid_last:
                    continue
                start, end = starts[solid_first], ends[solid_last]
                if end == start:
                    continue
                natural = width_before[end] - width_before[start]
                gaps = (end - start - 1) - (fixed_before[solid_last + 1] - fixed_before[solid_first])
                hanging = False
                compressed = 0
                if end_index == count:  # the last line: at the grid's spacing when it fits, else squeezed
                    if natural + max(gaps, 0) * grid <= available + EPSILON:
                        spacing, cost = grid, 0.0
                    else:
                        spacing = (available - natural) / gaps if gaps > 0 else -math.inf
                        if spacing < most_shrink:
                            break
                        cost = LAST_LINE_WEIGHT * ((spacing - grid) / size) ** 2
                    if (
                        lonely_rule
                        and start_index > 0
                        and measure.real_characters(start, end) < LONELY_LAST_LINE_CHARACTERS
                    ):
                        cost += LONELY_LAST_LINE_PENALTY
                else:  # a full line, flush at both edges, perhaps with its last mark hanging
                    found = False
                    if gaps > 0:
                        spacing = (available - natural) / gaps
                        if most_shrink <= spacing <= most_stretch:
                            cost = FULL_LINE_WEIGHT * ((spacing - grid) / size) ** 2
                            if spacing > over_limit:
                                excess = (spacing - self.limit) / size
                                cost += OVER_LIMIT_PENALTY * (1 + (excess / STRETCH_LIMIT_EM) ** 2)
                            found = True
                    last = end - 1
                    hangs = text[last] in HANGING
                    if hangs and gaps > 1:
                        hung = (available - (natural - advances[last])) / (gaps - 1)
                        if most_shrink <= hung <= most_stretch:
                            hung_cost = FULL_LINE_WEIGHT * ((hung - grid) / size) ** 2
                            if hung > over_limit:
                                excess = (hung - self.limit) / size
                                hung_cost += OVER_LIMIT_PENALTY * (1 + (excess / STRETCH_LIMIT_EM) ** 2)
                            hung_cost += HANG_PENALTY
                            # min() of the two fits as tuples: the hanging one wins a tie only by tighter spacing
                            if not found or hung_cost < cost or (hung_cost == cost and hung < spacing):
                                spacing, cost, hanging = hung, hung_cost, True
                            found = True
                    if not found:
                        inside = natural - advances[last] if hangs else natural
                        if inside <= available - max(gaps - 1, 0) * most_shrink + EPSILON:
                            continue  # too short
                        if not (compress and gaps > 0):
                            break  # too long: longer lines only get tighter
                        fit = self._compressed_line(_Span(start, end, natural, gaps), available, measure)
                        if fit is _Unfit.TOO_LONG:
                            break
                        assert fit is not _Unfit.TOO_SHORT
                        cost, spacing, compressed = fit.cost, fit.spacing, fit.compressed
                total = reached + cost
                known = costs[end_index]
                if known is None or total < known:
                    costs[end_index] = total
                    line_starts[end_index] = start_index
                    spacings[end_index] = spacing
                    hangings[end_index] = hanging
                    compressions[end_index] = compressed
        found_cost = costs[count]
        if found_cost is None:
            return None
        lines = []
        index = count
        while index > 0:  # back along the chosen breaks
            first = line_starts[index]
            span = measure.span(first, index)
            squeezed = measure.compressed(span, compressions[index]) if compressions[index] else ()
            words = measure.words(first, index)
            lines.append(Line(span.start, span.end, spacings[index], words, hangings[index], squeezed))
            index = first
        lines.reverse()
        return _Composed(found_cost, lines)

    def _measure(self, parts: Sequence[Piece]) -> _Measure:
        """The prefix sums of `parts`, made once for the attempts that break the same pieces."""
        cached: tuple[Sequence[Piece], _Measure] | None = self.__dict__.get("_measured")
        if cached is not None and cached[0] is parts:
            return cached[1]
        measure = _Measure(parts, self.advances, self.text)
        self.__dict__["_measured"] = (parts, measure)
        return measure

    @property
    def most_shrink(self) -> float:
        return self.grid - MOST_SHRINK_EM * self.size

    @property
    def limit(self) -> float:
        return self.grid + STRETCH_LIMIT_EM * self.size

    def _stray(self, spacing: float) -> float:
        return ((spacing - self.grid) / self.size) ** 2

    def _cost(self, spacing: float) -> float:
        """A full line's cost: its stray from the grid, and the penalty of a line looser than the limit."""
        cost = FULL_LINE_WEIGHT * self._stray(spacing)
        if spacing > self.limit + 1e-9:
            excess = (spacing - self.limit) / self.size
            cost += OVER_LIMIT_PENALTY * (1 + (excess / STRETCH_LIMIT_EM) ** 2)
        return cost

    def _last_line(self, span: _Span, available: float, lonely: bool) -> _Fit | _Unfit:
        """The paragraph's last line: at the grid's spacing when it fits, else squeezed, never stretched."""
        if span.natural + max(span.gaps, 0) * self.grid <= available + EPSILON:
            spacing, cost = self.grid, 0.0
        else:
            spacing = (available - span.natural) / span.gaps if span.gaps > 0 else -math.inf
            if spacing < self.most_shrink:
                return _Unfit.TOO_LONG
            cost = LAST_LINE_WEIGHT * self._stray(spacing)
        if lonely and real_characters(self.text[span.start : span.end]) < LONELY_LAST_LINE_CHARACTERS:
            cost += LONELY_LAST_LINE_PENALTY
        return _Fit(cost, spacing, False)

    def _full_line(
        self, span: _Span, available: float, most_stretch: float, attempt: _Pass, measure: _Measure
    ) -> _Fit | _Unfit:
        """A line flush at both edges, with or without its last mark hanging, or with marks compressed."""
        options = []
        if span.gaps > 0:
            spacing = (available - span.natural) / span.gaps
            if self.most_shrink <= spacing <= most_stretch:
                options.append(_Fit(self._cost(spacing), spacing, False))
        last = span.end - 1
        hangs = self.text[last] in HANGING
        if hangs and span.gaps > 1:
            spacing = (available - (span.natural - self.advances[last])) / (span.gaps - 1)
            if self.most_shrink <= spacing <= most_stretch:
                options.append(_Fit(self._cost(spacing) + HANG_PENALTY, spacing, True))
        if options:
            return min(options)
        inside = span.natural - self.advances[last] if hangs else span.natural
        if inside <= available - max(span.gaps - 1, 0) * self.most_shrink + EPSILON:
            return _Unfit.TOO_SHORT
        if attempt.compress and span.gaps > 0:  # too long: would half-cell marks make it fit?
            return self._compressed_line(span, available, measure)
        return _Unfit.TOO_LONG  # longer lines only get tighter

    def _compressed_line(self, span: _Span, available: float, measure: _Measure) -> _Fit | _Unfit:
        """The line with the fewest marks compressed to half their cell that fits it, adjacent marks first."""
        half = self.size / 2
        adjacent, bracket = measure.compressible(span)
        overflow = span.natural + span.gaps * self.most_shrink - available
        needed = max(1, math.ceil((overflow - EPSILON) / half))
        if needed > adjacent + bracket:
            return _Unfit.TOO_LONG  # a longer line adds more width than it can compress
        spacing = (available - span.natural + needed * half) / span.gaps
        from_adjacent = min(needed, adjacent)
        penalty = from_adjacent * COMPRESS_ADJACENT_PENALTY + (needed - from_adjacent) * COMPRESS_BRACKET_PENALTY
        return _Fit(self._cost(spacing) + penalty, spacing, False, needed)
