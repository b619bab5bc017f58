"""Stage 2, typeset: composed lines as HTML — a span per line whose letter-spacing makes it flush, the stylesheet
classes behind them."""

from __future__ import annotations

import math

from markupsafe import Markup, escape

from .compose import Line

# The PDF engine writes the space between glyphs in whole thousandths of an em, dropping the
# fraction (weasyprint/draw/text.py: `int(kerning)`). Spacing is therefore chosen in whole
# thousandths, a fraction of one added to each so the drop lands on the intended value, and the
# line's remainder spread as one extra thousandth over its first gaps. The line then ends where
# the layout says, within a thousandth of an em. The values are classes of the stylesheet
# (`.s-13` is −13 thousandths of letter-spacing, `.r-13` as a right margin): an inline style on
# every span costs the engine a fifth of its layout time.
_NUDGE = 0.1
_HALF_EM = 500  # thousandths


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
    for index in line.compressed:  # a mark compressed to half its cell: its blank half taken from the gap
        gaps[index - line.start] -= _HALF_EM
    return gaps


def lines_html(text: str, lines: list[Line], size: float, used: set[int]) -> Markup:
    """Each line as a span whose spacing makes it flush, joined by <br>; words keep their own
    spacing. The spacing values are added to `used`, for `spacing_rules`."""
    out = []
    for line in lines:
        gaps = _gap_thousandths(line, size)
        line_value = max(set(gaps), key=gaps.count)
        used.add(line_value)
        words = dict(line.words)
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
        out.append(
            Markup(f'<span class="ln {spacing_class(line_value)}">') + Markup("").join(chunks) + Markup("</span>")
        )
    return Markup("<br>").join(out)
