"""Stage 4, write (PDF engine adapter): the lines gongwen composed, laid out by WeasyPrint as they were composed.

A composed paragraph reaches the engine as one element holding its text, `<span class="gw-lines"
data-gw-lines="…">` or, when the span was all a paragraph held, the paragraph itself (`<p class="body"
data-gw-lines="…">`), whose attribute gives each line's extent and the spacing after each of its characters
(`pipeline.typeset.markup` writes it). Left to itself, WeasyPrint would look for line breaks again: a Pango
layout per text box, several per line, and again when it draws. Here the engine's text-box splitter is
replaced for these elements only: each line becomes one text box whose Pango layout is shaped once, and whose
glyphs' advances are then set to the composed spacing. Every other text box goes through WeasyPrint's own
splitter. The boxes stay ordinary text boxes holding Pango glyph runs, so whatever reads the laid-out pages
(drawing, tagging, the OFD writer) reads them as before.

The PDF writer (`weasyprint/draw/text.py`) writes a glyph's position as its width in the font, less a
"kerning" it truncates to whole thousandths of an em, plus its x offset; and it measures the glyph's width and
the font size its own way (`_PdfMetrics`). The advances and offsets are chosen so that, written that way, every
glyph lands where the composer put it (within a thousandth of a point); Pango's own positions, which readers of
the boxes see, agree within a thousandth and a half of an em (the writer's truncation leaves no closer choice).
All of that is WeasyPrint's private behaviour: `tests/test_pdf_lines.py` fails if an upgrade changes it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from weasyprint.layout import inline
from weasyprint.text.ffi import FROM_UNITS, TO_UNITS, ffi, pango
from weasyprint.text.fonts import get_pango_font_key
from weasyprint.text.line_break import Layout, strut

from ..typeset.markup import LINES_ATTRIBUTE, LINES_CLASS, ComposedLine, ComposedTextChangedError, read_lines

STYLESHEET = f"[{LINES_ATTRIBUTE}] {{ white-space: pre !important; text-transform: none !important; }}"
"""The engine's own rule for these elements: the text box must hold the text exactly as composed (no spaces
collapsed), whatever a template's stylesheet says."""

_original_split_text_box = inline.split_text_box


def install() -> None:
    """Lay out composed lines as composed (idempotent)."""
    if inline.split_text_box is not _split_text_box:
        inline.split_text_box = _split_text_box


@dataclass(frozen=True)
class _Paragraph:
    """The composed lines of one element, by the UTF-8 offset where each starts in the element's text."""

    lines: dict[int, tuple[ComposedLine, int | None]]  # start byte: (line, the next line's start byte)


def _paragraph(context: Any, box: Any, record: str) -> _Paragraph | None:
    """The composed lines of `box`'s element, by where each starts in the box's text; None when `record` does not
    fit that text (a pseudo-element's box, or text a style changed)."""
    element = box.element
    if "::" in box.element_tag:
        return None
    cache: dict[Any, _Paragraph | None] = context.__dict__.setdefault("_gongwen_lines", {})
    key = (element, box.text)
    if key in cache:
        return cache[key]
    lines = read_lines(record)
    found: _Paragraph | None = None
    if lines and lines[-1].end <= len(box.text):
        starts = [len(box.text[: line.start].encode()) for line in lines]
        found = _Paragraph(
            {
                start: (line, following)
                for start, line, following in zip(starts, lines, [*starts[1:], None], strict=True)
            }
        )
    cache[key] = found
    return found


def _split_text_box(context: Any, box: Any, available_width: float, skip: int, is_line_start: bool = True) -> Any:
    """WeasyPrint's `split_text_box`, for a composed paragraph's text: the line that starts at `skip`, whole."""
    record = box.element.get(LINES_ATTRIBUTE) if box.element is not None else None
    if record is not None and "::" in box.element_tag and LINES_CLASS not in box.element.get("class", "").split():
        record = None  # ::before or ::after of a paragraph carrying its own record: beside its text, as beside a span
    if record is None or box.style["font_size"] == 0:
        return _original_split_text_box(context, box, available_width, skip, is_line_start)
    paragraph = _paragraph(context, box, record)
    found = paragraph.lines.get(skip or 0) if paragraph is not None else None
    if found is None:
        raise ComposedTextChangedError(box.text[:30])
    line, following = found
    text = box.text[line.start : line.end]
    layout = ComposedLineLayout(box.style, text, line.gaps, _metrics(context))
    new_box = box.copy_with_text(text)
    new_box.width = layout.width
    new_box.pango_layout = layout
    new_box.height = layout.height
    line_height, _ = strut(box.style)
    half_leading = (line_height - layout.height) / 2
    new_box.margin_top = half_leading
    new_box.margin_bottom = half_leading
    new_box.baseline = layout.baseline + half_leading
    return new_box, following, False


def _metrics(context: Any) -> _PdfMetrics:
    metrics: _PdfMetrics | None = context.__dict__.get("_gongwen_metrics")
    if metrics is None:
        metrics = context._gongwen_metrics = _PdfMetrics()
    return metrics


class _PdfMetrics:
    """A glyph's width and a font's size as the PDF writer will take them (`Stream.add_font`, `draw_first_line`):
    the size from the font's description, the width from its glyph extents, rounded to thousandths of an em."""

    def __init__(self) -> None:
        self._sizes: dict[int, float] = {}
        self._widths: dict[int, dict[int, int]] = {}  # font's address → glyph → width
        self._logical = ffi.new("PangoRectangle *")

    def size(self, font: Any) -> float:
        address = int(ffi.cast("uintptr_t", font))
        size = self._sizes.get(address)
        if size is None:
            _, _, size = get_pango_font_key(font)
            self._sizes[address] = size
        return size

    def widths(self, font: Any) -> dict[int, int]:
        """The widths of `font`'s glyphs measured so far, by glyph (`measure` adds the others)."""
        return self._widths.setdefault(int(ffi.cast("uintptr_t", font)), {})

    def measure(self, font: Any, glyph: int, size: float, known: dict[int, int]) -> int:
        """The width of a glyph not yet in `known` (`widths(font)`), measured and kept there."""
        pango.pango_font_get_glyph_extents(font, glyph, ffi.NULL, self._logical)
        width: int = round(self._logical.width * 1000 * FROM_UNITS / size)
        known[glyph] = width
        return width


class ComposedLineLayout(Layout):
    """A Pango layout of one composed line: shaped once, its glyphs placed as composed, never broken again.

    `gaps[i]` is the space after character i in thousandths of an em (of the text's font size), beyond the
    glyph's own advance; the last one counts in the line's width (as CSS letter-spacing does) but moves no
    glyph. WeasyPrint drops and rebuilds a layout around drawing it (`deactivate`, `reactivate`); this one is
    kept whole until its box is dropped, so it is shaped once.
    """

    def __init__(self, style: Any, text: str, gaps: tuple[float, ...], metrics: _PdfMetrics) -> None:
        self.justification_spacing = 0
        self.max_width = None
        self.gaps = gaps
        self.metrics = metrics
        self._shape(style, text)

    def _shape(self, style: Any, text: str) -> None:
        self.setup(style)
        self.text = text
        pango.pango_layout_set_single_paragraph_mode(self.layout, True)  # as the PDF writer sets it: no relayout
        text_pointer = ffi.new("char[]", text.encode())
        pango.pango_layout_set_text(self.layout, text_pointer, -1)
        line = pango.pango_layout_get_line_readonly(self.layout, 0)
        width_units = _place_glyphs(line, text, self.gaps, style["font_size"], self.metrics)
        self.width = width_units * FROM_UNITS
        logical = ffi.new("PangoRectangle *")
        pango.pango_layout_line_get_extents(line, ffi.NULL, logical)
        self.height = logical.height * FROM_UNITS
        self.baseline = pango.pango_layout_get_baseline(self.layout) * FROM_UNITS

    def set_text(self, text: str, justify: bool = False) -> None:
        raise NotImplementedError("a composed line is not set again")

    def reactivate(self, style: Any) -> None:
        if not hasattr(self, "layout"):
            self._shape(style, self.text)

    def deactivate(self) -> None:
        """Kept: drawing it again would shape it again."""


def _place_glyphs(line: Any, text: str, gaps: tuple[float, ...], font_size: float, metrics: _PdfMetrics) -> int:
    """Set each glyph's advance and offset so that the PDF writer puts it where the composed spacing does;
    the line's width in Pango units. A gap belongs to the last glyph of its character's cluster."""
    char_at = _char_indices(text)
    em = font_size / 1000  # a thousandth of the text's em, in CSS pixels
    target = 0.0  # where the next glyph's pen should be, in CSS pixels from the line's start
    pango_pen = 0  # Pango's pen, in Pango units
    pdf_pen = 0.0  # the PDF writer's pen, in thousandths of its em, from the line's start
    empty, unknown = pango.PANGO_GLYPH_EMPTY, pango.PANGO_GLYPH_UNKNOWN_FLAG
    run = line.runs
    while run != ffi.NULL:
        item = run.data
        run = run.next
        if item.item.analysis.level % 2:
            raise ValueError(f"a composed line of right-to-left text: {text[:30]!r}")
        font = item.item.analysis.font
        size = metrics.size(font)
        unit = size / 1000  # the PDF writer's thousandth of an em, in CSS pixels
        # The face is drawn at the size Pango was given, the CSS size truncated to a Pango unit (21.333008 px for
        # 16 pt): its advances are scaled back to the CSS size, where the composer measured them.
        grown = font_size / size * FROM_UNITS
        glyphs = item.glyphs
        count = glyphs.num_glyphs
        infos = glyphs.glyphs
        clusters = glyphs.log_clusters
        offset, length = item.item.offset, item.item.length
        known = metrics.widths(font)
        cluster = clusters[0] if count else 0
        for index in range(count):
            info = infos[index]
            geometry = info.geometry
            glyph = info.glyph
            cluster_end = clusters[index + 1] if index + 1 < count else length
            next_target = target + geometry.width * grown
            if index + 1 == count or cluster_end != cluster:  # the last glyph of its cluster
                next_target += gaps[char_at[offset + cluster_end - 1]] * em
            cluster = cluster_end
            wanted = round(next_target * TO_UNITS) - pango_pen
            if glyph == empty or glyph & unknown:
                # The writer moves its pen by width / size and nothing else: the advance alone places it.
                width = wanted
                pdf_pen += width / size
            else:
                drawn = target + geometry.x_offset * FROM_UNITS  # the glyph's own offset (mark positioning) kept
                x_offset = round((drawn / unit - pdf_pen) * size)  # the writer's offset is x_offset / size
                shift = x_offset / size
                pdf_width = known.get(glyph)
                if pdf_width is None:
                    pdf_width = metrics.measure(font, glyph, size, known)
                # The writer advances by pdf_width + shift - int(kerning), kerning = pdf_width + shift - width·scale
                kerned = round(pdf_pen + shift + pdf_width - next_target / unit)
                width = _width_for(kerned, pdf_width + shift, size, wanted)
                geometry.x_offset = x_offset
                pdf_pen += shift + pdf_width - kerned
            geometry.width = width
            pango_pen += width
            target = next_target
    return pango_pen


def _width_for(kerned: int, base: float, size: float, wanted: int) -> int:
    """The advance in Pango units nearest `wanted` for which the writer's kerning, `base - width·scale`, truncates
    to `kerned`: in [k, k + 1) for k > 0, in (k - 1, k] for k < 0, in (-1, 1) for 0 (int() truncates toward 0)."""
    scale = 1000 * FROM_UNITS / size
    low, high = (kerned, kerned + 1) if kerned > 0 else (kerned - 1, kerned) if kerned < 0 else (-1, 1)
    # base - width·scale between low and high: width between (base - high) / scale and (base - low) / scale.
    width = min(max(wanted, math.ceil((base - high) / scale)), math.floor((base - low) / scale))
    candidate: int
    for candidate in (width, width + 1, width - 1, width + 2, width - 2):
        if int(base - candidate * 1000 * FROM_UNITS / size) == kerned:  # the writer's arithmetic decides the edges
            return candidate
    raise AssertionError(f"no advance gives a kerning of {kerned}")  # the window is ~20 Pango units wide


def _char_indices(text: str) -> list[int]:
    """The character index of each UTF-8 byte offset of `text`."""
    if text.isascii():
        return list(range(len(text) + 1))
    indices = []
    for index, char in enumerate(text):
        indices.extend([index] * len(char.encode()))
    indices.append(len(text))
    return indices
