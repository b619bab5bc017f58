"""Stage 4, write (PDF engine adapter): a laid-out WeasyPrint document read back as `pages` records.

Generic on purpose: the reader knows WeasyPrint's box kinds (text boxes and their Pango glyph
runs, backgrounds, borders, page and margin boxes), not the HTML gongwen's templates emit, so a
new masthead, another end block or lines handed over differently are read the same way. Each text
box is one line; its Pango runs give every glyph's id, its advance (letter-spacing included) and
the characters of its cluster, exactly as the PDF engine draws them. The font programs are read
from the faces Pango shaped with, so glyph ids refer to them.

What the reader does not draw fails loudly (`UnsupportedLayoutError`) rather than leaving a page
silently incomplete: images, transforms, opacity and clipping are not in gongwen's documents.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import uharfbuzz as hb
from weasyprint.formatting_structure import boxes
from weasyprint.layout.absolute import AbsolutePlaceholder
from weasyprint.text.ffi import FROM_UNITS, ffi, pango
from weasyprint.text.fonts import get_hb_object_data, get_pango_font_hb_face, get_pango_font_key

from .pages import Cluster, Color, FontProgram, GlyphRun, LaidOutDocument, LaidOutPage, Mark, Rectangle

PT_PER_PX = 0.75
"""WeasyPrint lays out in CSS pixels (1/96 in); the records are in points (1/72 in)."""

_BORDER_SIDES = ("top", "right", "bottom", "left")
_DRAWN_BORDER_STYLES = ("solid",)
"""Border styles drawn as filled rectangles; others (dashed, double …) are refused, not approximated."""


class UnsupportedLayoutError(Exception):
    """The page holds something the reader cannot record faithfully."""


def read_document(document: Any) -> LaidOutDocument:
    """Every page of a laid-out `weasyprint.Document`, and the font programs its glyphs refer to."""
    fonts = _Fonts()
    pages = tuple(
        LaidOutPage(page.width * PT_PER_PX, page.height * PT_PER_PX, tuple(_marks(page._page_box, fonts)))
        for page in document.pages
    )
    return LaidOutDocument(pages, fonts.programs)


def _marks(box: Any, fonts: _Fonts) -> Iterator[Mark]:
    """What a box and its descendants paint, in the engine's painting order.

    As the engine does (CSS 2, appendix E): each child of a page (the root element's box, the footnote area,
    each margin box) is painted whole, in turn; inside one, a positioned descendant (`position` other than
    `static`) is painted after the normal flow, in document order, its own positioned descendants right after
    it; the rest in document order: a box's background, its borders, then its content.
    """
    positioned: list[Any] = []
    yield from _in_flow_marks(box, fonts, positioned)
    for later in positioned:
        yield from _marks(later, fonts)


def _in_flow_marks(box: Any, fonts: _Fonts, positioned: list[Any]) -> Iterator[Mark]:
    if box.style["visibility"] != "visible" and isinstance(box, boxes.TextBox):
        return
    _refuse_unsupported(box)
    background = getattr(box, "background", None)
    if background is not None and background.layers:
        if any(layer.image is not None for layer in background.layers):
            raise UnsupportedLayoutError("a background image")
        color = _color(background.color)
        if color[3] > 0:
            x, y, width, height = background.layers[-1].painting_area
            yield _rectangle(x, y, width, height, color)
    yield from _borders(box)
    if isinstance(box, boxes.TextBox):
        run = _glyph_run(box, fonts)
        if run is not None:
            yield run
        return
    for child in getattr(box, "children", ()):
        if isinstance(box, boxes.PageBox):  # the root element's box and each margin box paint on their own
            yield from _marks(child, fonts)
            continue
        if isinstance(child, AbsolutePlaceholder):
            child = child._box  # what the engine left in the flow for an absolutely positioned box
        if child.style["position"] != "static":
            positioned.append(child)
        else:
            yield from _in_flow_marks(child, fonts, positioned)


def _refuse_unsupported(box: Any) -> None:
    if isinstance(box, boxes.ReplacedBox):
        raise UnsupportedLayoutError(f"an image ({box.element_tag})")
    style = box.style
    if style["opacity"] < 1:
        raise UnsupportedLayoutError(f"opacity on {box.element_tag}")
    if style["transform"]:
        raise UnsupportedLayoutError(f"a transform on {box.element_tag}")
    # What the engine draws and these records cannot say: refused, so that an OFD never silently differs.
    if style["z_index"] != "auto":
        raise UnsupportedLayoutError(f"z-index on {box.element_tag}")
    if style["overflow"] != "visible" and not isinstance(box, (boxes.PageBox, boxes.MarginBox)):
        raise UnsupportedLayoutError(f"overflow: {style['overflow']} on {box.element_tag}")
    if style["text_decoration_line"] != "none":
        raise UnsupportedLayoutError(f"text-decoration on {box.element_tag}")
    if style["outline_style"] != "none" and style["outline_width"] > 0:
        raise UnsupportedLayoutError(f"an outline on {box.element_tag}")
    if style["box_shadow"]:
        raise UnsupportedLayoutError(f"box-shadow on {box.element_tag}")
    if any(value[0].value or value[1].value for value in _radii(style)):
        raise UnsupportedLayoutError(f"border-radius on {box.element_tag}")


def _radii(style: Any) -> tuple[Any, ...]:
    corners = ("top_left", "top_right", "bottom_right", "bottom_left")
    return tuple(style[f"border_{corner}_radius"] for corner in corners)


def _borders(box: Any) -> Iterator[Rectangle]:
    if not hasattr(box, "border_top_width"):
        return
    widths = {side: getattr(box, f"border_{side}_width") for side in _BORDER_SIDES}
    if not any(widths.values()):
        return
    x, y = box.border_box_x(), box.border_box_y()
    width, height = box.border_width(), box.border_height()
    edges = {
        "top": (x, y, width, widths["top"]),
        "bottom": (x, y + height - widths["bottom"], width, widths["bottom"]),
        "left": (x, y, widths["left"], height),
        "right": (x + width - widths["right"], y, widths["right"], height),
    }
    for side in _BORDER_SIDES:
        if not widths[side]:
            continue
        style = box.style[f"border_{side}_style"]
        if style not in _DRAWN_BORDER_STYLES:
            raise UnsupportedLayoutError(f"a {style} border on {box.element_tag}")
        value = box.style[f"border_{side}_color"]
        color = _color(box.style["color"] if value == "currentcolor" else value)
        if color[3] > 0:
            yield _rectangle(*edges[side], color)


def _rectangle(x: float, y: float, width: float, height: float, color: Color) -> Rectangle:
    return Rectangle(x * PT_PER_PX, y * PT_PER_PX, width * PT_PER_PX, height * PT_PER_PX, color)


def _color(value: Any) -> Color:
    red, green, blue, alpha = value.to("srgb")
    return (float(red), float(green), float(blue), float(alpha))


def _glyph_run(box: Any, fonts: _Fonts) -> GlyphRun | None:
    """The text box's line as one glyph run (one font per text box in gongwen's documents; more are refused)."""
    if not box.text.strip():
        return None
    layout = box.pango_layout
    layout.reactivate(box.style)
    try:
        line = pango.pango_layout_get_line_readonly(layout.layout, 0)
        utf8 = layout.text.encode()
        font_key, size = "", 0.0
        placed: list[tuple[float, float, str, tuple[int, ...]]] = []  # (drawn x, pen after, text, glyphs)
        pen = 0.0
        run = line.runs
        while run != ffi.NULL:
            item = run.data
            run = run.next
            key, item_size = fonts.key(item.item.analysis.font)
            if font_key and (key, item_size) != (font_key, size):
                raise UnsupportedLayoutError(f"two fonts in one line of text: {box.text[:40]!r}")
            font_key, size = key, item_size
            if item.item.analysis.level % 2:
                raise UnsupportedLayoutError(f"right-to-left text: {box.text[:40]!r}")
            for offset, width, text, glyphs in _clusters(item, utf8):
                placed.append((pen + offset, pen + width, text, glyphs))
                pen += width
    finally:
        layout.deactivate()
    if not placed:
        return None
    # Each cluster's advance reaches the next one's drawn origin, so the glyphs land where the engine drew them.
    starts = [drawn for drawn, _, _, _ in placed]
    ends = starts[1:] + [placed[-1][1]]
    clusters = tuple(
        Cluster(text, glyphs, (end - start) * PT_PER_PX)
        for (start, _, text, glyphs), end in zip(placed, ends, strict=True)
    )
    color = _color(box.style["color"])
    x = (box.position_x + starts[0]) * PT_PER_PX
    baseline = (box.position_y + box.baseline) * PT_PER_PX
    return GlyphRun(font_key, size * PT_PER_PX, x, baseline, color, clusters)


def _clusters(item: Any, utf8: bytes) -> Iterator[tuple[float, float, str, tuple[int, ...]]]:
    """The clusters of one Pango glyph item, as (offset of the first glyph from the pen, advance, characters,
    glyph ids) in CSS pixels: glyphs that share a log cluster form one. Letter-spacing shows in both: Pango
    widens a cluster's first glyph and shifts it by half the spacing."""
    glyphs = item.glyphs
    count = glyphs.num_glyphs
    offset, length = item.item.offset, item.item.length
    index = 0
    while index < count:
        start = glyphs.log_clusters[index]
        first = glyphs.glyphs[index].geometry.x_offset
        end_index = index
        ids: list[int] = []
        advance = 0
        while end_index < count and glyphs.log_clusters[end_index] == start:
            info = glyphs.glyphs[end_index]
            if info.geometry.y_offset or (end_index > index and info.geometry.x_offset):
                raise UnsupportedLayoutError("glyphs moved off their pen position (mark positioning)")
            if info.glyph != pango.PANGO_GLYPH_EMPTY:
                if info.glyph & pango.PANGO_GLYPH_UNKNOWN_FLAG:
                    raise UnsupportedLayoutError(f"a character no font can draw (U+{info.glyph & 0xFFFFFFF:04X})")
                ids.append(info.glyph)
            advance += info.geometry.width
            end_index += 1
        stop = glyphs.log_clusters[end_index] if end_index < count else length
        text = utf8[offset + start : offset + stop].decode()
        yield first * FROM_UNITS, advance * FROM_UNITS, text, tuple(ids)
        index = end_index


class _Fonts:
    """Font programs by the Pango fonts that use them, read once each per document."""

    def __init__(self) -> None:
        self.programs: dict[str, FontProgram] = {}
        self._by_font: dict[Any, tuple[str, float]] = {}

    def key(self, pango_font: Any) -> tuple[str, float]:
        """The program's key and the size in CSS pixels the font is drawn at."""
        address = int(ffi.cast("uintptr_t", pango_font))
        known = self._by_font.get(address)
        if known is not None:
            return known
        _, description, size = get_pango_font_key(pango_font)
        data = get_hb_object_data(get_pango_font_hb_face(pango_font))
        key = hashlib.sha256(data).hexdigest()
        if key not in self.programs:
            face = hb.Face(data)
            family = face.get_name(hb.OTNameIdPredefined.TYPOGRAPHIC_FAMILY) or face.get_name(
                hb.OTNameIdPredefined.FONT_FAMILY
            )
            self.programs[key] = FontProgram(
                key,
                data,
                family or "",
                face.get_name(hb.OTNameIdPredefined.POSTSCRIPT_NAME) or "",
                int(pango.pango_font_description_get_weight(description)),
                pango.pango_font_description_get_style(description) != pango.PANGO_STYLE_NORMAL,
            )
        self._by_font[address] = (key, size)
        return key, size
