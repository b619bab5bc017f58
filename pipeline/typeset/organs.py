"""Stage 2, typeset: lists of organs — 主送机关, 抄送, and a 简报's 报/送/发 — broken between organs, never inside one.

GB/T 9704 sets these flush left (主送机关, 7.3.2) or one character in, wrapped lines aligned under the
first organ after the colon (抄送, 7.4.2). A line holds as many whole organs, each with the mark that
follows it (，between organs, ：or 。 after the last), as fit at the grid's spacing; it is not
stretched to the right edge, as a typist's manual break would leave it. Only an organ longer than a
whole line is broken inside, where the line composer would break it.
"""

from __future__ import annotations

from collections.abc import Sequence

from .compose import EPSILON, Composer


def organ_entries(organs: Sequence[str], separator: str = "，", end: str = "。") -> list[str]:
    """Each organ with the mark that follows it."""
    return [organ + (separator if index < len(organs) - 1 else end) for index, organ in enumerate(organs)]


def organ_lines(
    organs: Sequence[str],
    composer: Composer,
    *,
    first_width: float,
    width: float,
    separator: str = "，",
    end: str = "。",
    last_reserve: float = 0.0,
) -> list[str]:
    """The lines of an organ list: the first `first_width` wide, the others `width`. The last line leaves
    `last_reserve` free at its right (for 共印N份) where the last organ allows it."""
    entries = organ_entries(organs, separator, end)
    lines: list[str] = []
    current = ""
    for index, entry in enumerate(entries):
        reserve = last_reserve if index == len(entries) - 1 else 0.0
        if _fits(current + entry, composer, (width if lines else first_width) - reserve):
            current += entry
            continue
        if current:
            lines.append(current)
            current = ""
        available = width if lines else first_width
        if _fits(entry, composer, available):  # with the reserve if it fits, else the caller gives it a line
            current = entry
            continue
        # An organ longer than a line: broken where the composer breaks a paragraph of that width.
        composed = Composer(composer.shaper, composer.size, available, composer.cell).lines(entry)
        broken = [entry[line.start : line.end] for line in composed]
        lines.extend(broken[:-1])
        current = broken[-1]
    lines.append(current)
    return lines


def _fits(text: str, composer: Composer, available: float) -> bool:
    return line_width(text, composer) <= available + EPSILON


def line_width(text: str, composer: Composer) -> float:
    """Width of a line set at the grid's spacing."""
    return composer.natural_width(text) + max(len(text) - 1, 0) * composer.grid_spacing
