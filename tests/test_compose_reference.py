"""The line breaker's search, written out over plain lists for speed (`_LineBreaker.lines`), against the same
dynamic programme written plainly from `_full_line`, `_last_line` and `candidate_ends`: the same lines, the
same spacing to the last bit and the same cost, for every text of the seed, the stress content and the corpus,
in every attempt the composer makes."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
import yaml
from stress import stress_content

from pipeline.typeset import compose, gbt9704
from pipeline.typeset.compose import Line, Piece, pieces
from pipeline.typeset.fonts import resolve_fonts
from pipeline.typeset.shaping import Shaper

ROOT = Path(__file__).resolve().parents[1]
ATTEMPTS = {
    "within the limit": compose._WITHIN_LIMIT,
    "relaxed": compose._RELAXED,
    "last resort": compose._LAST_RESORT,
}


def reference_lines(
    breaker: compose._LineBreaker, parts: list[Piece], attempt: compose._Pass
) -> tuple[float, list[Line]] | None:
    """The search as it was written before it was inlined: each candidate line judged by `_full_line` or
    `_last_line`, the cheapest way to each break kept."""
    count = len(parts)
    measure = compose._Measure(parts, breaker.advances, breaker.text)
    most_stretch = breaker.grid + attempt.most_stretch_em * breaker.size
    best: list[tuple[float, int, float, bool, int] | None] = [None] * (count + 1)
    best[0] = (0.0, 0, 0.0, False, 0)
    for start_index in range(count):
        reached = best[start_index]
        if reached is None:
            continue
        available = breaker.first_width if start_index == 0 else breaker.width
        for end_index in measure.candidate_ends(start_index, available, most_stretch):
            span = measure.span(start_index, end_index)
            if span.end == span.start:
                continue
            if end_index == count:
                fit = breaker._last_line(span, available, lonely=attempt.lonely_rule and start_index > 0)
            else:
                fit = breaker._full_line(span, available, most_stretch, attempt, measure)
            if fit is compose._Unfit.TOO_LONG:
                break
            if fit is compose._Unfit.TOO_SHORT:
                continue
            known = best[end_index]
            if known is None or reached[0] + fit.cost < known[0]:
                best[end_index] = (reached[0] + fit.cost, start_index, fit.spacing, fit.hanging, fit.compressed)
    found = best[count]
    if found is None:
        return None
    lines = []
    index = count
    while index > 0:
        point = best[index]
        assert point is not None
        _, first, spacing, hanging, compressed = point
        span = measure.span(first, index)
        squeezed = measure.compressed(span, compressed) if compressed else ()
        lines.append(Line(span.start, span.end, spacing, measure.words(first, index), hanging, squeezed))
        index = first
    lines.reverse()
    return found[0], lines


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node] if len(node) > 1 else []
    if isinstance(node, dict):
        return [text for value in node.values() for text in _strings(value)]
    if isinstance(node, list):
        return [text for value in node for text in _strings(value)]
    return []


@functools.cache
def texts(stress: bool) -> list[str]:
    sources = [(ROOT / "content" / "genertec-2015.yaml").read_text(encoding="utf-8")]
    sources += [path.read_text(encoding="utf-8") for path in sorted((ROOT / "tests" / "corpus").glob("*.yaml"))]
    if stress:
        sources += [stress_content(seed=seed) for seed in range(1, 7)]
    found = [text for source in sources for text in _strings(yaml.safe_load(source))]
    return list(dict.fromkeys(found))


@pytest.mark.parametrize(
    ("size", "indents", "stress"),
    [
        (gbt9704.BODY_SIZE, (2,), False),  # the seed and the corpus as body paragraphs
        pytest.param(gbt9704.BODY_SIZE, (0, 2), True, marks=pytest.mark.slow),
        pytest.param(gbt9704.TITLE_SIZE, (0, 2), True, marks=pytest.mark.slow),
    ],
)
def test_the_inlined_search_chooses_what_the_plain_one_does(size, indents, stress):
    grid = gbt9704.STANDARD_GRID
    shaper = Shaper(resolve_fonts()["body"])
    composer = compose.Composer(shaper, size, gbt9704.TYPE_WIDTH, grid.cell)
    compared = 0
    for text in texts(stress):
        advances = shaper.advances(text, size)
        for indent in indents:
            first_width = composer.width - indent * composer.cell
            parts = pieces(text)
            attempts = [(parts, attempt) for attempt in ATTEMPTS.values()]
            attempts.append(([Piece(index, index + 1) for index in range(len(text))], compose._BETWEEN_CHARACTERS))
            for split, attempt in attempts:
                breaker = compose._LineBreaker(text, advances, first_width, composer.width, size, composer.grid_spacing)
                fast = breaker.lines(split, attempt)
                plain = reference_lines(breaker, split, attempt)
                assert (None if fast is None else (fast.cost, fast.lines)) == plain, (text[:40], attempt)
                compared += 1
    assert compared > 500
