"""Stage 2, typeset: composed lines as HTML — one element per paragraph holding its text, and an attribute giving
each line's extent and the space after each of its characters, which the PDF engine lays out as given
(`pipeline/pdf/lines.py`).

    <span class="gw-lines" data-gw-lines="0:27:-13x9 -14x18;27:40:-13x13">…the paragraph's text…</span>

Each line is `start:end:gaps`: the characters `start` to `end` of the element's text (characters between two
lines, a space at a break, are not drawn), then the space after each of them in thousandths of an em, beyond
the glyph's own advance, run-length coded (`-13x9` is nine times −13). The last value is the space after
the line's last character: it counts in the line's width, as CSS letter-spacing does, and moves no glyph.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from .compose import Line

LINES_CLASS = "gw-lines"
LINES_ATTRIBUTE = "data-gw-lines"


class ComposedTextChangedError(Exception):
    """A stylesheet changed the text of a composed paragraph (`::first-letter`, generated content on its span):
    its lines no longer start where they were composed, and the engine, told not to break them, would run the
    rest off the page. The message is the start of the paragraph's text."""


_HALF_EM = 500  # thousandths


@dataclass(frozen=True, slots=True)
class ComposedLine:
    """One line of a composed element: its characters in the element's text, and the space after each."""

    start: int
    end: int
    gaps: tuple[float, ...]  # thousandths of an em after each character, the last one included


def _gap_thousandths(line: Line, size: float) -> list[int]:
    """Spacing after each character of the line, in whole thousandths of an em (0 inside words): the line's
    spacing floored to a thousandth, and its remainder spread as one extra thousandth over the first gaps, so
    that the line ends at the edge within a thousandth of an em."""
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
    gaps[count - 1] = base  # after the last character: in the line's width only
    for index in line.compressed:  # a mark compressed to half its cell: its blank half taken from the gap
        gaps[index - line.start] -= _HALF_EM
    return gaps


def lines_html(text: str, lines: Sequence[Line], size: float) -> Markup:
    """A composed paragraph: its text in one element whose attribute places every line and character."""
    records = [ComposedLine(line.start, line.end, tuple(_gap_thousandths(line, size))) for line in lines]
    return composed_html(text, records)


def uniform_lines_html(lines: Sequence[str], gap: float) -> Markup:
    """Lines set with the same space after every character (titles, signatures, lists of organs), in
    thousandths of an em, as one element."""
    records = []
    start = 0
    for line in lines:
        records.append(ComposedLine(start, start + len(line), (gap,) * len(line)))
        start += len(line)
    return composed_html("".join(lines), records)


def composed_html(text: str, lines: Sequence[ComposedLine]) -> Markup:
    record = ";".join(f"{line.start}:{line.end}:{_run_lengths(line.gaps)}" for line in lines if line.end > line.start)
    return Markup(f'<span class="{LINES_CLASS}" {LINES_ATTRIBUTE}="{record}">') + escape(text) + Markup("</span>")


_SOLE_SPAN = re.compile(
    rf'<(?P<tag>[a-z][a-z0-9]*)(?P<attributes>[^<>]*)><span class="{LINES_CLASS}" '
    rf'(?P<record>{LINES_ATTRIBUTE}="[^"<>]*")>(?P<text>[^<]*)</span></(?P=tag)>'
)


def hoisted(html: str) -> str:
    """`html` with each element whose whole content is one composed span holding the span's text and record
    itself: `<p class="body"><span class="gw-lines" data-gw-lines="…">…</span></p>` becomes `<p class="body"
    data-gw-lines="…">…</p>`. One element less per paragraph for the engine to style, and one box less per line
    to lay out and draw; the PDF is the same. An element with an attribute of that name already, or with more
    than the span in it, is left as it is."""

    def hoist(match: re.Match[str]) -> str:
        attributes = match["attributes"]
        if LINES_ATTRIBUTE in attributes:
            return match[0]
        return f"<{match['tag']}{attributes} {match['record']}>{match['text']}</{match['tag']}>"

    return _SOLE_SPAN.sub(hoist, html)


def _run_lengths(values: Sequence[float]) -> str:
    runs: list[list[float]] = []
    for value in values:
        if runs and runs[-1][0] == value:
            runs[-1][1] += 1
        else:
            runs.append([value, 1])
    return " ".join(_number(value) if count == 1 else f"{_number(value)}x{int(count)}" for value, count in runs)


def _number(value: float) -> str:
    if value == int(value):
        return str(int(value))
    return f"{value:.4f}".rstrip("0")


def read_lines(record: str) -> list[ComposedLine]:
    """The lines an attribute written by `composed_html` describes; [] when it is not one."""
    lines: list[ComposedLine] = []
    try:
        for part in record.split(";"):
            start, end, runs = part.split(":")
            gaps: list[float] = []
            for run in runs.split():
                value, _, count = run.partition("x")
                gaps.extend([float(value)] * (int(count) if count else 1))
            line = ComposedLine(int(start), int(end), tuple(gaps))
            if len(gaps) != line.end - line.start or line.start < (lines[-1].end if lines else 0):
                return []
            lines.append(line)
    except ValueError:
        return []
    return lines
