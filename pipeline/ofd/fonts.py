"""Stage 4, write (OFD): each font program cut to the glyphs its text objects draw, to embed in the package.

The programs the PDF engine shaped with cover the whole document's text in every face (so that
text a template prints without a filter is still drawn in a face of ours); the PDF engine cuts
them again to what each face draws, and so must the OFD, or it would weigh three times the PDF.
Glyph ids are kept (HarfBuzz's retain-gids), so the ids recorded for each cluster, and a CFF
font's CIDs, which equal them, stay valid; the character map keeps the characters drawn.
"""

from __future__ import annotations

from collections.abc import Iterable

import uharfbuzz as hb

from ..pdf.pages import GlyphRun, LaidOutDocument

_KEPT_TABLES_DROPPED = ("GSUB", "GPOS", "GDEF", "BASE", "JSTF", "DSIG", "vhea", "vmtx", "VORG")
"""Layout tables: an OFD reader places each glyph where DeltaX says and never shapes, so they are dead weight."""


def drawn(document: LaidOutDocument) -> dict[str, tuple[set[int], set[str]]]:
    """For each font program, the glyph ids and the characters its runs draw."""
    used: dict[str, tuple[set[int], set[str]]] = {key: (set(), set()) for key in document.fonts}
    for page in document.pages:
        for mark in page.marks:
            if isinstance(mark, GlyphRun):
                glyphs, chars = used[mark.font]
                for cluster in mark.clusters:
                    glyphs.update(cluster.glyphs)
                    chars.update(cluster.text)
    return used


def cut(data: bytes, glyphs: Iterable[int], chars: Iterable[str]) -> bytes:
    """The program with only `glyphs` (and .notdef) drawn, glyph ids unchanged, mapped from `chars`."""
    subset_input = hb.SubsetInput()
    for glyph in glyphs:
        subset_input.glyph_set.add(glyph)
    for char in chars:
        subset_input.unicode_set.add(ord(char))
    for table in _KEPT_TABLES_DROPPED:
        subset_input.drop_table_tag_set.add(int.from_bytes(table.encode("ascii").ljust(4), "big"))
    subset_input.layout_feature_tag_set.clear()
    subset_input.flags = hb.SubsetFlags.RETAIN_GIDS | hb.SubsetFlags.NO_LAYOUT_CLOSURE | hb.SubsetFlags.NOTDEF_OUTLINE
    result = hb.subset(hb.Face(data), subset_input)
    if result is None:
        raise RuntimeError("HarfBuzz could not cut a font program for the OFD")
    cut_data: bytes = result.blob.data
    return cut_data
