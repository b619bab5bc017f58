"""Stage 2, typeset: titles broken into centred lines of balanced length, at word boundaries."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..lazy import lazy_import
from .compose import EPSILON, OPENING, Composer, pieces, real_characters

if TYPE_CHECKING:
    import rjieba
else:
    rjieba = lazy_import("rjieba")  # it loads its dictionary (0.1 s); only titles longer than a line need it


def balanced_lines(text: str, composer: Composer, max_lines: int = 4) -> list[str]:
    """Break a title into lines of balanced length: none of one or two characters, no word split.

    Lines are measured on the composer's cells (grid spacing included); break points fall between
    words (found with a Chinese word segmenter), never inside a number or before closing punctuation.
    """
    advances = [width + composer.grid_spacing for width in composer.shaper.advances(text, composer.size)]
    natural = sum(advances) - composer.grid_spacing
    if natural <= composer.width + EPSILON:
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
        return [text[line.start : line.end] for line in composer.lines(text)]
    return best[1]


_LIGHT_WORDS = ("的", "和", "与", "及", "对", "在", "等", "关于", "为", "以")


def _title_break_quality(text: str) -> dict[int, float]:
    """Cost of a break before each position; positions inside a word are absent (not allowed)."""
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


def _balance(
    text: str, advances: list[float], count: int, width: float, quality: dict[int, float]
) -> tuple[float, list[str]] | None:
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
                if line_width > width + EPSILON:
                    break
                if real_characters(text[start:end]) < 3:
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
    return cost, [text[start:end] for start, end in zip(starts, cuts, strict=False)]
