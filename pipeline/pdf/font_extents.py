"""Stage 4, write (PDF engine adapter): an embedded font's ascent and descent read from its face, not from a Pango
layout of sample text.

The PDF writer (`weasyprint/pdf/fonts.py`, `Font`) asks Pango for a font's metrics to fill the font descriptor's
/Ascent and /Descent. Pango works those two out from HarfBuzz's extents of the font, and then, before it answers,
lays out a sample sentence of the default language in that font to find an average character width that
WeasyPrint never reads. A face cut to one document's characters lacks the sentence's glyphs, so Pango searches
the installed fonts for each of them: 1.5–2 ms a font, six fonts a publication, about 5 % of a batch. Here the
writer is given HarfBuzz's extents of the same font directly, the very figures Pango would have returned
(`tests/test_pdf_font_extents.py` compares the two on every font of the seed's documents).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cffi
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.text import ffi as text_ffi

_FFI = cffi.FFI()
_FFI.cdef(
    """
    typedef struct hb_font_t hb_font_t;
    typedef struct { int32_t ascender; int32_t descender; int32_t line_gap; int32_t reserved[9]; } hb_font_extents_t;
    int hb_font_get_h_extents (hb_font_t *font, hb_font_extents_t *extents);
    """
)
# The HarfBuzz Pango uses: the library WeasyPrint loaded, by the names WeasyPrint tries (Linux's file name first:
# it opens without a search).
_HARFBUZZ = text_ffi._dlopen(  # noqa: SLF001 the engine's own way of finding the library
    _FFI,
    "libharfbuzz.so.0",
    "libharfbuzz-0",
    "harfbuzz",
    "harfbuzz-0.0",
    "libharfbuzz.0.dylib",
    "libharfbuzz-0.dll",
)


@dataclass(frozen=True)
class FontExtents:
    """A Pango font's ascent and descent, in Pango units, both positive above and below the baseline (as
    `pango_font_metrics_get_ascent` and `…_get_descent` give them)."""

    ascent: int
    descent: int


def font_extents(pango_font: Any) -> FontExtents:  # a cffi PangoFont *: cffi ships no types
    """What Pango's metrics of `pango_font` say of its ascent and descent, without the sample-text layout."""
    hb_font = text_ffi.pango.pango_font_get_hb_font(pango_font)
    extents = _FFI.new("hb_font_extents_t *")
    _HARFBUZZ.hb_font_get_h_extents(_FFI.cast("hb_font_t *", int(text_ffi.ffi.cast("uintptr_t", hb_font))), extents)
    return FontExtents(extents.ascender, -extents.descender)


class _PangoForTheWriter:
    """Pango as the PDF writer's font module sees it: every function Pango's own, but for the font metrics,
    which are the font's extents (the only metrics the writer reads)."""

    def __init__(self, pango: Any) -> None:  # the cffi library: cffi ships no types
        self._pango = pango

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pango, name)

    @staticmethod
    def pango_font_get_metrics(pango_font: Any, language: Any) -> FontExtents:  # noqa: ARG004 Pango's signature
        return font_extents(pango_font)

    @staticmethod
    def pango_font_metrics_get_ascent(metrics: FontExtents) -> int:
        return metrics.ascent

    @staticmethod
    def pango_font_metrics_get_descent(metrics: FontExtents) -> int:
        return metrics.descent


def install() -> None:
    """The PDF writer reads fonts' ascent and descent from their extents (idempotent)."""
    if not isinstance(pdf_fonts.pango, _PangoForTheWriter):
        pdf_fonts.pango = _PangoForTheWriter(pdf_fonts.pango)
