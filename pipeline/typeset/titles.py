"""Stage 2, typeset: titles broken into centred lines of balanced length, at word boundaries, never inside a name.

GB/T 9704 7.3.1: a title on several lines is broken so that words and names stay whole (词意完整),
its lines of balanced length. Break points are the word boundaries a Chinese word segmenter finds,
the edges of the names the publication knows (the team, the unit, the issuer, the recipients, and
the words the configuration lists), never a position inside one of those names, and preferably not
beside a word of one character (「省」 at a line's end, 「组」 at the start of the next).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..lazy import lazy_import
from .compose import EPSILON, OPENING, Composer, pieces, real_characters

if TYPE_CHECKING:
    import rjieba
else:
    rjieba = lazy_import("rjieba")  # it loads its dictionary (0.1 s); only titles longer than a line need it

_LIGHT_WORDS = ("的", "和", "与", "及", "对", "在", "等", "关于", "为", "以")

# ---- the title breaker's policy: the cost of a break, added to the squared stray of each line's length ----
AFTER_PAUSE = 0.0
"""After ，、；：, where a reader pauses anyway."""
BESIDE_LIGHT_WORD = 0.5
"""After a light word (的 和 与 及 对 关于 …) or before 关于."""
NAME_EDGE = 1.0
"""Between a known name and what follows or precedes it."""
WORD_BOUNDARY = 2.0
"""At any other boundary the segmenter finds."""
BEFORE_LIGHT_WORD = 6.0
"""Before a light word, or after an opening mark: the light word belongs to what follows it."""
LONE_CHARACTER = 6.0
"""Added beside a word of one character that is not a light word: 「…巡视省」 「组常规…」 read as broken names."""
INSIDE_NAME = 100.0
"""Added inside a known name, at a boundary the segmenter finds: only when a name is longer than a line."""
EXTRA_LINE = 8.0
"""For each line beyond the fewest the title needs: more lines only for a clearly better break."""


def balanced_lines(text: str, composer: Composer, max_lines: int = 4, names: Iterable[str] = ()) -> list[str]:
    """Break a title into lines of balanced length: none of one or two characters, no word or name split.

    Lines are measured on the composer's cells (grid spacing included); break points fall between
    words (found with a Chinese word segmenter) and at the edges of `names`, never inside a name, a
    number or before closing punctuation. A name longer than a line is broken at a word boundary inside it.
    """
    advances = [width + composer.grid_spacing for width in composer.shaper.advances(text, composer.size)]
    natural = sum(advances) - composer.grid_spacing
    if natural <= composer.width + EPSILON:
        return [text]
    least = math.ceil(natural / composer.width)
    costs = break_costs(text, names)
    for allowed in (
        {position: cost for position, cost in costs.items() if cost < INSIDE_NAME},
        costs,
    ):
        best: tuple[float, list[str]] | None = None
        for count in range(least, min(least + 2, max_lines + 1)):
            result = _balance(text, advances, count, composer.width + composer.grid_spacing, allowed)
            if result is None:
                continue
            cost = result[0] + EXTRA_LINE * (count - least)
            if best is None or cost < best[0]:
                best = (cost, result[1])
        if best is not None:
            return best[1]
    return [text[line.start : line.end] for line in composer.lines(text)]


def break_costs(text: str, names: Iterable[str] = ()) -> dict[int, float]:
    """Cost of a break before each position where a title may break; positions absent may not break.

    Word boundaries come from the segmenter; the edges of each name are boundaries too, and its inside
    costs `INSIDE_NAME` more; never inside a number, a Latin word or before closing punctuation."""
    words: list[tuple[int, int]] = []  # (start, end) of each word the segmenter found
    position = 0
    for word in rjieba.cut(text):
        words.append((position, position + len(word)))
        position += len(word)
    inside, edges = _name_positions(text, names)
    cost: dict[int, float] = {}
    for (start, end), (_, following_end) in zip(words, words[1:], strict=False):
        word, following = text[start:end], text[end:following_end]
        if word[-1] in "，、；：":
            cost[end] = AFTER_PAUSE
        elif word in _LIGHT_WORDS or following in ("关于",):
            cost[end] = BESIDE_LIGHT_WORD
        elif following in _LIGHT_WORDS or word[-1] in OPENING:
            cost[end] = BEFORE_LIGHT_WORD
        else:
            cost[end] = WORD_BOUNDARY
        if _lone(word, fine_at_an_end=_BELONGS_BEFORE) or _lone(following, fine_at_an_end=_BELONGS_AFTER):
            cost[end] += LONE_CHARACTER
    for edge in edges:
        if 0 < edge < len(text):
            cost[edge] = min(cost.get(edge, math.inf), NAME_EDGE)
    for position in inside:
        if position in cost:
            cost[position] += INSIDE_NAME
    piece_starts = {part.start for part in pieces(text)}
    return {position: value for position, value in cost.items() if position in piece_starts}


# One-character words that name a level and belong to the name after them (省住房和城乡建设厅), and suffixes
# that end the name before them (第二巡察组): a break is wrong only on their other side.
_BELONGS_AFTER = frozenset("省市县区乡镇村州盟旗")
_BELONGS_BEFORE = frozenset("组厅局部委办处室会院所站队团司")


def _lone(word: str, fine_at_an_end: frozenset[str]) -> bool:
    """A word of one character cut off from the word it belongs to; a suffix may end a line, a level start one."""
    if len(word) != 1 or word in _LIGHT_WORDS or re.match(r"[\W\d]", word):
        return False
    return word not in fine_at_an_end


def _name_positions(text: str, names: Iterable[str]) -> tuple[set[int], set[int]]:
    """Positions strictly inside an occurrence of a name, and the edges of the occurrences (not inside another)."""
    inside: set[int] = set()
    edges: set[int] = set()
    for name in set(names):
        if len(name) < 2:
            continue
        start = text.find(name)
        while start >= 0:
            inside.update(range(start + 1, start + len(name)))
            edges.update((start, start + len(name)))
            start = text.find(name, start + 1)
    return inside, edges - inside


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
