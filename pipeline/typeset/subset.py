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

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import uharfbuzz as hb

from .fonts import ResolvedFace
from .shaping import FEATURES, LANGUAGE, Shaper, harfbuzz_font


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
        """The file holding the cut-down face, as a file: URL for `src` in @font-face."""
        return self.path.as_uri()


def subset_face(shaper: Shaper, extra_text: str = "") -> bytes:
    """The shaper's face cut to the glyphs it shaped plus the characters of `extra_text`."""
    shaper.advances(extra_text + _ALWAYS_KEPT, 16, report_missing=False)
    face = harfbuzz_font(shaper.face.path, shaper.face.index).face
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
    subset_input.flags = (
        hb.SubsetFlags.CFF_IDENTITY_CHARSET | hb.SubsetFlags.NO_LAYOUT_CLOSURE | hb.SubsetFlags.DESUBROUTINIZE
    )
    result = hb.subset(face, subset_input)
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset {shaper.face.file_label}")
    return _map_to_chinese_forms(result.blob.data, shaper.used_chars)


def _map_to_chinese_forms(data: bytes, chars: set[str]) -> bytes:
    """Point the character map at the glyphs Chinese shaping chooses (em dash, quotes, ellipsis …)."""
    face = hb.Face(data)
    font = hb.Font(face)
    mapping = {code: glyph for code in face.unicodes if (glyph := font.get_nominal_glyph(code)) is not None}
    # One shaping of all the document's characters, each its own cluster: with kerning, ligatures
    # and contextual forms off, a character's glyph does not depend on its neighbours here.
    codes = sorted(code for code in map(ord, chars) if code in mapping)
    buffer = hb.Buffer()
    buffer.add_codepoints(codes)
    buffer.direction = "ltr"
    buffer.script = "hani"
    buffer.language = LANGUAGE
    hb.shape(font, buffer, FEATURES)
    changed = False
    if len(buffer.glyph_infos) == len(codes):
        for info in buffer.glyph_infos:
            code = codes[info.cluster]
            if info.codepoint != mapping[code]:
                mapping[code] = info.codepoint
                changed = True
    return _with_cmap(data, mapping) if changed else data


# ---- a character map written directly into the font's bytes ----
# Rewriting one table through a font library costs ~10 ms a face (it re-reads and re-checks the
# whole font); the map and the table directory are simple enough to write here in ~1 ms.


class _Segment(NamedTuple):
    """A format 4 segment: consecutive codes mapped to consecutive glyphs by one delta (modulo 65536)."""

    start: int
    end: int
    delta: int

    def continued_by(self, code: int, delta: int) -> bool:
        return self.end == code - 1 and self.delta == delta


class _Group(NamedTuple):
    """A format 12 group: consecutive codes mapped to consecutive glyphs from `start_glyph`."""

    start: int
    end: int
    start_glyph: int

    def continued_by(self, code: int, glyph: int) -> bool:
        return self.end == code - 1 and glyph == self.start_glyph + code - self.start


def _cmap_table(mapping: dict[int, int]) -> bytes:
    """A cmap with a format 4 subtable (the BMP) and, when needed, a format 12 one (all planes)."""
    codes = sorted(mapping)
    bmp = [code for code in codes if code <= 0xFFFF and code != 0xFFFF]
    # Format 4: segments of consecutive codes mapped to consecutive glyphs, each by one delta.
    segments: list[_Segment] = []
    for code in bmp:
        delta = (mapping[code] - code) % 0x10000
        if segments and segments[-1].continued_by(code, delta):
            segments[-1] = segments[-1]._replace(end=code)
        else:
            segments.append(_Segment(code, code, delta))
    segments.append(_Segment(0xFFFF, 0xFFFF, 1))
    count = len(segments)
    search = 2 ** (count.bit_length() - 1)
    format4 = struct.pack(
        ">HHHHHHH", 4, 16 + 8 * count, 0, 2 * count, 2 * search, search.bit_length() - 1, 2 * (count - search)
    )
    format4 += struct.pack(f">{count}H", *(segment.end for segment in segments)) + b"\0\0"
    format4 += struct.pack(f">{count}H", *(segment.start for segment in segments))
    format4 += struct.pack(f">{count}H", *(segment.delta for segment in segments))
    format4 += b"\0\0" * count  # idRangeOffset: deltas only
    subtables = [((0, 3), format4), ((3, 1), format4)]
    if codes and codes[-1] > 0xFFFF:
        groups: list[_Group] = []
        for code in codes:
            if groups and groups[-1].continued_by(code, mapping[code]):
                groups[-1] = groups[-1]._replace(end=code)
            else:
                groups.append(_Group(code, code, mapping[code]))
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


def _checksum(data: bytes) -> int:
    padded = data + b"\0" * (-len(data) % 4)
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
    """The font with its cmap table replaced; the table directory and checksums rewritten."""
    version: int = struct.unpack(">I", font[:4])[0]
    tables = {record.tag: font[record.offset : record.offset + record.length] for record in _table_records(font)}
    tables[b"cmap"] = _cmap_table(mapping)
    head = bytearray(tables[b"head"])
    head[8:12] = b"\0\0\0\0"  # checkSumAdjustment, set below
    tables[b"head"] = bytes(head)
    tags = sorted(tables)
    search = 2 ** (len(tags).bit_length() - 1)
    directory = struct.pack(
        ">IHHHH", version, len(tags), 16 * search, search.bit_length() - 1, 16 * (len(tags) - search)
    )
    offset = 12 + 16 * len(tags)
    body = b""
    for tag in tags:
        data = tables[tag]
        directory += struct.pack(">4sIII", tag, _checksum(data), offset + len(body), len(data))
        body += data + b"\0" * (-len(data) % 4)
    result = bytearray(directory + body)
    head_offset = _table_offset(result, b"head")
    struct.pack_into(">I", result, head_offset + 8, (0xB1B0AFBA - _checksum(bytes(result))) & 0xFFFFFFFF)
    return bytes(result)


def _table_offset(font: bytearray, wanted: bytes) -> int:
    for record in _table_records(font):
        if record.tag == wanted:
            return record.offset
    raise ValueError(f"no {wanted!r} table")
