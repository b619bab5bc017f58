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
    """The shaper's face cut to the glyphs it shaped plus the characters of `extra_text`.

    The cut is made by glyph (the glyphs shaped and each character's own) and its character map written for
    exactly the document's characters: a map made by the subsetter would also keep every other code on those
    glyphs (the Kangxi radicals on their ideographs …), 5 % of a cut for nothing."""
    shaper.advances(extra_text + _ALWAYS_KEPT, 16, report_missing=False)
    font = harfbuzz_font(shaper.face.path, shaper.face.index)
    nominal = {
        ord(char): glyph for char in shaper.used_chars if (glyph := font.get_nominal_glyph(ord(char))) is not None
    }
    subset_input = hb.SubsetInput()
    for glyph in shaper.used_glyphs | set(nominal.values()):
        subset_input.glyph_set.add(glyph)
    features = subset_input.layout_feature_tag_set
    features.clear()
    features.add(_tag("locl"))
    for table in _DROPPED_TABLES:
        subset_input.drop_table_tag_set.add(_tag(table))
    subset_input.flags = (
        hb.SubsetFlags.CFF_IDENTITY_CHARSET
        | hb.SubsetFlags.NO_LAYOUT_CLOSURE
        | hb.SubsetFlags.DESUBROUTINIZE
        | hb.SubsetFlags.NO_HINTING  # the PDF engine drops hints when it embeds a face
    )
    plan = hb.SubsetPlan(font.face, subset_input)
    result = plan.execute()
    if result is None:
        raise RuntimeError(f"HarfBuzz could not subset {shaper.face.file_label}")
    renumbered = plan.old_to_new_glyph_mapping
    cut = _with_cmap(result.blob.data, {code: renumbered[glyph] for code, glyph in nominal.items()})
    return _map_to_chinese_forms(cut, shaper.used_chars)


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
