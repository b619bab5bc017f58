"""Render-stage font preparation: each face cut down to what one document draws, as a standalone font.

Handing the PDF engine a whole collection costs time (it copies ~26 MB per face per document),
size (its subsets keep the original glyph numbering) and correctness (it takes a collection's
first face, the Japanese one). Cutting the chosen face of the file with HarfBuzz to the glyphs the
document draws — shaped with the document's language, so Chinese `locl` forms are kept — gives a
small standalone font. Glyphs are renumbered and each CID set equal to its glyph id, so viewers
that look glyphs up by CID draw the same glyphs as those that use glyph ids.

The character map is then pointed at the Chinese forms directly. The engine shapes each text box
on its own, and a box of only common characters (`— 1 —`, `8:00—20:00` between spans) gets no
script, so the font's Chinese `locl` forms would not apply there: the em dash would be drawn 0.89
em wide in one place and a full em in another. With the map pointing at the Chinese forms, every
character has one width wherever it stands, and the line composer's widths hold.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import uharfbuzz as hb
from fontTools.ttLib import TTFont

from .fonts import ResolvedFace
from .shaping import FEATURES, LANGUAGE, Shaper, _hb_font


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii").ljust(4), "big")


# The engine measures every line's strut by laying out a space: without a space of our own it
# takes one from a fallback font, whose other ascent and descent make each line a little taller
# (29.03 pt instead of 28.97 pt: 21 lines on a page instead of 22).
_ALWAYS_KEPT = " \u00a0\u3000"
# Vertical metrics and baselines are not used in horizontal text; dropping them saves space.
_DROPPED_TABLES = ("vhea", "vmtx", "VORG", "BASE", "DSIG", "JSTF")


@dataclass(frozen=True)
class FontFile:
    """A font ready for @font-face: the CSS family name and the file holding the cut-down face.

    A file, not a data: URL: the CSS parser reads a long quoted string one character at a time
    (0.18 s for a briefing's fonts)."""

    family: str
    face: ResolvedFace
    path: Path

    @property
    def url(self) -> str:
        return self.path.as_uri()


def subset_face(shaper: Shaper, extra_text: str = "") -> bytes:
    """The shaper's face cut to the glyphs it shaped plus the characters of `extra_text`."""
    shaper.advances(extra_text + _ALWAYS_KEPT, 16, report_missing=False)
    face = _hb_font(shaper.face.path, shaper.face.index).face
    subset_input = hb.SubsetInput()
    for char in shaper.used_chars:
        subset_input.unicode_set.add(ord(char))
    for glyph in shaper.used_glyphs:
        subset_input.glyph_set.add(glyph)
    features = subset_input.layout_feature_tag_set
    features.clear()
    features.add(_tag("locl"))
    for table in _DROPPED_TABLES:
        subset_input.drop_table_tag_set.add(_tag(table))
    subset_input.flags = (hb.SubsetFlags.CFF_IDENTITY_CHARSET | hb.SubsetFlags.NO_LAYOUT_CLOSURE
                          | hb.SubsetFlags.DESUBROUTINIZE)
    result = hb.subset(face, subset_input)
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset {shaper.face.file_label}")
    return _map_to_chinese_forms(result.blob.data, shaper.used_chars)


def _map_to_chinese_forms(data: bytes, chars: set[str]) -> bytes:
    """Point the character map at the glyphs Chinese shaping chooses (em dash, quotes, ellipsis …)."""
    font = hb.Font(hb.Face(data))
    changes = {}
    for char in chars:
        code = ord(char)
        nominal = font.get_nominal_glyph(code)
        if nominal is None:
            continue
        buffer = hb.Buffer()
        buffer.add_str(char)
        buffer.direction = "ltr"
        buffer.script = "hani"
        buffer.language = LANGUAGE
        hb.shape(font, buffer, FEATURES)
        if len(buffer.glyph_infos) == 1 and buffer.glyph_infos[0].codepoint != nominal:
            changes[code] = buffer.glyph_infos[0].codepoint
    if not changes:
        return data
    # Only the cmap table is decompiled; naming the glyphs by number keeps the others as raw bytes.
    # recalcTimestamp=False: fontTools would stamp the clock into `head`, and every PDF would differ.
    ttfont = TTFont(io.BytesIO(data), lazy=True, recalcTimestamp=False, recalcBBoxes=False)
    names = [".notdef"] + [f"glyph{index:05d}" for index in range(1, ttfont["maxp"].numGlyphs)]
    ttfont.setGlyphOrder(names)
    for table in ttfont["cmap"].tables:
        if table.isUnicode():
            for code, glyph in changes.items():
                if code in table.cmap:
                    table.cmap[code] = names[glyph]
    out = io.BytesIO()
    ttfont.save(out)
    return out.getvalue()
