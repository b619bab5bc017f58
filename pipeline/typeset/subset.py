"""Stage 2, typeset: font preparation — each face cut down to what one document draws, as a standalone font.

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

import contextlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import uharfbuzz as hb

from ..lazy import lazy_import
from .fonts import ResolvedFace
from .shaping import Shaper, harfbuzz_font

if TYPE_CHECKING:
    from . import prepared
else:
    prepared = lazy_import("pipeline.typeset.prepared")  # which imports this module's way of cutting


def _tag(name: str) -> int:
    return int.from_bytes(name.encode("ascii").ljust(4), "big")


# The engine measures every line's strut by laying out a space: without a space of our own it
# takes one from a fallback font, whose other ascent and descent make each line a little taller
# (29.03 pt instead of 28.97 pt: 21 lines on a page instead of 22).
_ALWAYS_KEPT = " \u00a0\u3000"
# What a cut leaves out: vertical metrics and baselines (horizontal text only); the layout tables (the character
# map points at the Chinese forms, so shaping a cut substitutes nothing, and kerning is off; the PDF engine drops
# them when it embeds a face); and the character map, written here for the document's characters (a face
# prepared for cutting keeps it).
CUT_DROPPED_TABLES = ("vhea", "vmtx", "VORG", "BASE", "DSIG", "JSTF", "GSUB", "GPOS", "cmap")
_CUT_FLAGS = (
    hb.SubsetFlags.CFF_IDENTITY_CHARSET  # glyphs renumbered, each CID equal to its glyph id
    | hb.SubsetFlags.NO_LAYOUT_CLOSURE
    | hb.SubsetFlags.DESUBROUTINIZE
    | hb.SubsetFlags.NO_HINTING  # the PDF engine drops hints when it embeds a face
)


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
        """The file holding the cut-down face, as a file: URL for `src` in @font-face."""
        return self.path.as_uri()


def subset_face(shaper: Shaper, extra_text: str = "") -> bytes:
    """The shaper's face cut to the glyphs it shaped plus the characters of `extra_text`.

    The cut is made by glyph (the glyphs shaped and each character's own) and its character map written for
    exactly the document's characters, pointed at their Chinese forms: a map made by the subsetter would also keep
    every other code on those glyphs (the Kangxi radicals on their ideographs …), 5 % of a cut for nothing. A CFF
    face is cut from its prepared form (`prepared.prepared_face`) when there is one holding every glyph wanted: the same
    bytes, in a third of the time."""
    shaper.include(extra_text + _ALWAYS_KEPT)
    font = harfbuzz_font(shaper.face.path, shaper.face.index)
    nominal = {
        ord(char): glyph for char in shaper.used_chars if (glyph := font.get_nominal_glyph(ord(char))) is not None
    }
    glyphs = shaper.used_glyphs | set(nominal.values())
    ready = prepared.prepared_face(shaper.face.path, shaper.face.index)
    cut: tuple[bytes, dict[int, int]] | None = None
    if ready is not None and glyphs <= ready.glyphs:
        with contextlib.suppress(RuntimeError, hb.HarfBuzzError):  # a prepared face HarfBuzz cannot cut: the file
            cut = _cut(ready.face, glyphs, "its prepared face")
    data, renumbered = cut or _cut(font.face, glyphs, shaper.face.file_label)
    forms = _chinese_forms(shaper, nominal, glyphs)
    return _with_cmap(data, {code: renumbered[glyph] for code, glyph in forms.items()})


def _cut(face: hb.Face, glyphs: set[int], label: str) -> tuple[bytes, dict[int, int]]:
    """`face` (`label` in messages) cut to `glyphs`, renumbered: the font's bytes and each old glyph id's new one."""
    subset_input = hb.SubsetInput()
    for glyph in glyphs:
        subset_input.glyph_set.add(glyph)
    set_cut(subset_input, CUT_DROPPED_TABLES)
    subset_input.flags = _CUT_FLAGS
    plan = hb.SubsetPlan(face, subset_input)
    result = plan.execute()
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset {label}")
    return result.blob.data, dict(plan.old_to_new_glyph_mapping)


def set_cut(subset_input: hb.SubsetInput, dropped: tuple[str, ...]) -> None:
    """How a face is cut, and prepared for cutting: no layout feature kept, the `dropped` tables left out."""
    subset_input.layout_feature_tag_set.clear()  # no layout feature is kept (GSUB and GPOS are dropped anyway)
    for table in dropped:
        subset_input.drop_table_tag_set.add(_tag(table))


def _chinese_forms(shaper: Shaper, nominal: dict[int, int], kept: set[int]) -> dict[int, int]:
    """Each code's glyph: the one Chinese shaping gives the character alone (the em dash, quotes, ellipsis …) when
    the cut keeps it, else the character's own. The engine shapes each text box on its own, and a box of only
    common characters gets no script: with the map pointing at the Chinese forms, no substitution is needed."""
    forms = dict(nominal)
    for code, glyph in nominal.items():
        form = shaper.glyph_alone(chr(code), "hani")
        if form is not None and form != glyph and form in kept:
            forms[code] = form
    return forms


# ---- a character map written directly into the font's bytes ----
# Rewriting one table through a font library costs ~10 ms a face (it re-reads and re-checks the
# whole font); the map and the table directory are simple enough to write here in ~0.3 ms.


def _cmap_table(mapping: dict[int, int]) -> bytes:
    """A cmap with a format 4 subtable (the BMP) and, when needed, a format 12 one (all planes)."""
    codes = sorted(mapping)
    # Format 4: segments of consecutive codes mapped to consecutive glyphs, each by one delta (modulo 65536).
    starts: list[int] = []
    ends: list[int] = []
    deltas: list[int] = []
    for code in codes:
        if code >= 0xFFFF:
            break
        delta = (mapping[code] - code) & 0xFFFF
        if ends and ends[-1] == code - 1 and deltas[-1] == delta:
            ends[-1] = code
        else:
            starts.append(code)
            ends.append(code)
            deltas.append(delta)
    starts.append(0xFFFF)
    ends.append(0xFFFF)
    deltas.append(1)
    count = len(starts)
    search = 2 ** (count.bit_length() - 1)
    format4 = b"".join(
        (
            struct.pack(
                ">HHHHHHH",
                4,
                16 + 8 * count,
                0,
                2 * count,
                2 * search,
                search.bit_length() - 1,
                2 * (count - search),
            ),
            struct.pack(f">{count}H", *ends),
            b"\0\0",
            struct.pack(f">{count}H", *starts),
            struct.pack(f">{count}H", *deltas),
            bytes(2 * count),  # idRangeOffset: deltas only
        )
    )
    subtables = [((0, 3), format4), ((3, 1), format4)]
    if codes and codes[-1] > 0xFFFF:
        # Format 12: groups of consecutive codes mapped to consecutive glyphs from the group's first glyph.
        groups: list[list[int]] = []  # [start, end, start glyph]
        for code in codes:
            glyph = mapping[code]
            last = groups[-1] if groups else None
            if last is not None and last[1] == code - 1 and glyph == last[2] + code - last[0]:
                last[1] = code
            else:
                groups.append([code, code, glyph])
        format12 = struct.pack(">HHIII", 12, 0, 16 + 12 * len(groups), 0, len(groups))
        format12 += b"".join(struct.pack(">III", *group) for group in groups)
        subtables += [((0, 4), format12), ((3, 10), format12)]
    header = struct.pack(">HH", 0, len(subtables))
    offset = 4 + 8 * len(subtables)
    records, bodies, placed = b"", b"", {}
    for (platform, encoding), body in subtables:
        if id(body) not in placed:
            placed[id(body)] = offset + len(bodies)
            bodies += body
        records += struct.pack(">HHI", platform, encoding, placed[id(body)])
    return header + records + bodies


def _checksum(data: bytes | bytearray) -> int:
    """The OpenType checksum: the sum of the big-endian 32-bit words, zero-padded, modulo 2**32."""
    padded = bytes(data) + b"\0" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}I", padded)
    return sum(words) & 0xFFFFFFFF


class _TableRecord(NamedTuple):
    """An entry of a font's table directory."""

    tag: bytes
    checksum: int
    offset: int
    length: int


def _table_records(font: bytes | bytearray) -> list[_TableRecord]:
    count: int = struct.unpack(">H", font[4:6])[0]
    return [
        _TableRecord._make(struct.unpack(">4sIII", font[12 + 16 * index : 28 + 16 * index])) for index in range(count)
    ]


def _with_cmap(font: bytes, mapping: dict[int, int]) -> bytes:
    """The font with its cmap table replaced; the table directory and checksums rewritten.

    Tables other than cmap and head keep their bytes and so the checksums the subsetter recorded for them. The
    whole font's checksum, for head's checkSumAdjustment, is the sum of the directory's and the tables' (each
    table starts on a 4-byte boundary and is zero-padded), so the font is not read again to sum it."""
    version: int = struct.unpack(">I", font[:4])[0]
    tables: dict[bytes, tuple[bytes, int]] = {
        record.tag: (font[record.offset : record.offset + record.length], record.checksum)
        for record in _table_records(font)
    }
    cmap = _cmap_table(mapping)
    tables[b"cmap"] = (cmap, _checksum(cmap))
    head = bytearray(tables[b"head"][0])
    head[8:12] = b"\0\0\0\0"  # checkSumAdjustment, set below
    tables[b"head"] = (bytes(head), _checksum(head))
    tags = sorted(tables)
    search = 2 ** (len(tags).bit_length() - 1)
    directory = [
        struct.pack(">IHHHH", version, len(tags), 16 * search, search.bit_length() - 1, 16 * (len(tags) - search))
    ]
    body: list[bytes] = []
    offset = 12 + 16 * len(tags)
    total = 0
    head_offset = 0
    for tag in tags:
        data, checksum = tables[tag]
        if tag == b"head":
            head_offset = offset
        directory.append(struct.pack(">4sIII", tag, checksum, offset, len(data)))
        padding = -len(data) % 4
        body += (data, bytes(padding))
        offset += len(data) + padding
        total += checksum
    directory_bytes = b"".join(directory)
    result = bytearray(directory_bytes + b"".join(body))
    adjustment = (0xB1B0AFBA - _checksum(directory_bytes) - total) & 0xFFFFFFFF
    struct.pack_into(">I", result, head_offset + 8, adjustment)
    return bytes(result)
