"""Cutting a face down to what a document draws (`pipeline.typeset.subset`), read back with fontTools: the glyphs kept,
the character map written by hand and pointed at the Chinese forms, the table directory and every checksum.
Milliseconds: no document is made."""

from __future__ import annotations

import io
import struct

import pytest
from fontTools.ttLib import TTFont, newTable
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.typeset.fonts import resolve_fonts
from pipeline.typeset.prepared import (
    PREPARED_FACES_FOLDER,
    preparable,
    prepare_face,
    prepared_characters,
    prepared_face,
    prepared_face_path,
)
from pipeline.typeset.shaping import Shaper, harfbuzz_font
from pipeline.typeset.subset import _cmap_table, _with_cmap, subset_face

SIZE = 16.0
TEXT = "中央第十巡视组进驻，8:00—20:00“专项巡视”……GB/T 9704"


@pytest.fixture(scope="module")
def faces():
    return resolve_fonts()


def subset_of(face, text: str, extra: str = "") -> bytes:
    shaper = Shaper(face)
    shaper.advances(text, SIZE)
    return subset_face(shaper, extra)


def read(data: bytes) -> TTFont:
    return TTFont(io.BytesIO(data), checkChecksums=2)  # fontTools raises on a table whose checksum is wrong


def checksum(data: bytes) -> int:
    """The OpenType table checksum: the sum of the big-endian 32-bit words, zero-padded, modulo 2**32."""
    data += b"\0" * (-len(data) % 4)
    return sum(int.from_bytes(data[index : index + 4], "big") for index in range(0, len(data), 4)) % 2**32


def table_directory(data: bytes) -> list[tuple[bytes, int, int, int]]:
    count = struct.unpack(">H", data[4:6])[0]
    return [struct.unpack(">4sIII", data[12 + 16 * index : 28 + 16 * index]) for index in range(count)]


def check_sfnt_structure(data: bytes) -> None:
    """What a font reader checks first: the directory's search fields, tables in tag order, 4-byte aligned and
    inside the file, each table's checksum, and head.checkSumAdjustment making the whole file sum to 0xB1B0AFBA."""
    version, count, search_range, entry_selector, range_shift = struct.unpack(">IHHHH", data[:12])
    assert version in (0x00010000, 0x4F54544F)  # TrueType or CFF outlines
    assert search_range == 16 * 2 ** (count.bit_length() - 1)
    assert entry_selector == count.bit_length() - 1 and range_shift == 16 * count - search_range
    directory = table_directory(data)
    assert [tag for tag, *_ in directory] == sorted(tag for tag, *_ in directory)
    for tag, recorded, offset, length in directory:
        assert offset % 4 == 0 and offset + length <= len(data), tag
        table = data[offset : offset + length]
        if tag == b"head":
            table = table[:8] + b"\0\0\0\0" + table[12:]  # its checksum is taken with the adjustment zeroed
        assert checksum(table) == recorded, tag
    assert checksum(data) == 0xB1B0AFBA


# ---- the cut-down face ----


def test_the_subset_draws_what_the_document_drew_with_the_same_widths(faces):
    body = faces["body"]
    data = subset_of(body, TEXT)
    font = read(data)
    cmap = font.getBestCmap()
    original = harfbuzz_font(body.path, body.index)
    shaper = Shaper(body)
    widths = dict(zip(TEXT, shaper.advances(TEXT, SIZE), strict=True))
    upem = font["head"].unitsPerEm
    for char in set(TEXT) | {" ", "\u00a0", "\u3000"}:  # and the spaces every face keeps
        assert ord(char) in cmap, char
        if char in widths:
            assert font["hmtx"][cmap[ord(char)]][0] * SIZE / upem == widths[char], char
    assert len(font.getGlyphOrder()) < 40 < original.face.glyph_count
    assert {"vhea", "vmtx", "VORG", "BASE", "DSIG"}.isdisjoint(font.keys())
    check_sfnt_structure(data)


def test_glyph_ids_are_their_cids(faces):
    """Viewers that look glyphs up by CID and those that use glyph ids draw the same glyphs."""
    font = read(subset_of(faces["body"], TEXT))
    assert font.getGlyphOrder() == [".notdef"] + [f"cid{index:05d}" for index in range(1, len(font.getGlyphOrder()))]


def test_the_map_points_at_the_chinese_em_dash(faces):
    """A box of common characters gets no script in the engine, so the map itself must give the full-width dash."""
    body = faces["body"]
    font = read(subset_of(body, "中—"))
    dash = font.getBestCmap()[ord("—")]
    assert font["hmtx"][dash][0] == font["head"].unitsPerEm
    assert font["hmtx"][font.getBestCmap()[ord("中")]][0] == font["head"].unitsPerEm


def test_a_subset_without_chinese_forms_keeps_harfbuzz_s_map(faces):
    """Nothing to point elsewhere: the bytes HarfBuzz wrote, unchanged (and still a sound font)."""
    data = subset_of(faces["body"], "中文")
    assert read(data).getBestCmap()[ord("中")]
    check_sfnt_structure(data)


_HINTS = {"hstem", "vstem", "hstemhm", "vstemhm", "hintmask", "cntrmask"}


def test_the_cut_carries_no_hints(faces):
    """The PDF engine drops hints when it embeds a face (WeasyPrint's `hinting` is off), so the cut leaves them
    out: cutting is a third faster and the file a seventh smaller, and the embedded font is the same."""
    font = read(subset_of(faces["body"], TEXT))
    top = font["CFF "].cff.topDictIndex[0]
    operators = set()
    for name in font.getGlyphOrder():
        charstring = top.CharStrings[name]
        charstring.decompile()
        operators.update(token for token in charstring.program if isinstance(token, str))
    assert operators and not operators & _HINTS
    for private in [fd.Private for fd in top.FDArray] if hasattr(top, "FDArray") else [top.Private]:
        assert not getattr(private, "BlueValues", None)


@pytest.mark.parametrize("role", ["title", "heading1", "heading2"])
def test_every_role_s_face_cuts_down_soundly(faces, role):
    data = subset_of(faces[role], TEXT, extra="附件")
    font = read(data)
    assert {ord(char) for char in TEXT + "附件"} <= set(font.getBestCmap())
    check_sfnt_structure(data)


# ---- the character map written by hand ----

BMP = st.integers(0x20, 0xFFFE)
ANY_PLANE = st.one_of(BMP, st.integers(0x10000, 0x10FFFF))


@st.composite
def mappings(draw, codes=ANY_PLANE, glyphs: int = 0xFFFF):
    """Code → glyph maps made of runs, as fonts have them: consecutive codes on consecutive glyphs, on one glyph,
    on glyphs two apart or going down, and single codes."""
    mapping: dict[int, int] = {}
    for _ in range(draw(st.integers(1, 40))):
        start, glyph, step = draw(codes), draw(st.integers(1, glyphs)), draw(st.sampled_from([0, 1, 2, -1]))
        for offset in range(draw(st.integers(1, 12))):
            code, target = start + offset, glyph + step * offset
            if code > 0x10FFFF or 0xFFFF <= code < 0x10000 or not 1 <= target <= glyphs:
                break
            mapping[code] = target
    return mapping


_NAMES = TTFont()
_NAMES.setGlyphOrder([".notdef"])  # other glyph ids get fontTools' names for them: glyph00012 …


def name(glyph: int) -> str:
    return _NAMES.getGlyphName(glyph)


def decompiled(table: bytes) -> dict[tuple[int, int], tuple[int, dict[int, str]]]:
    """Each subtable of a cmap, as fontTools reads it: (platform, encoding) → (format, code → glyph name)."""
    cmap = newTable("cmap")
    cmap.decompile(table, _NAMES)
    return {(sub.platformID, sub.platEncID): (sub.format, dict(sub.cmap)) for sub in cmap.tables}


@given(mappings())
@settings(max_examples=100)
def test_the_cmap_maps_every_code_to_its_glyph(mapping):
    subtables = decompiled(_cmap_table(mapping))
    expected = {code: name(glyph) for code, glyph in mapping.items()}
    bmp = {code: name for code, name in expected.items() if code <= 0xFFFF}
    assert subtables[(0, 3)] == subtables[(3, 1)] == (4, bmp)
    if max(mapping) > 0xFFFF:
        assert subtables[(0, 4)] == subtables[(3, 10)] == (12, expected)
        assert set(subtables) == {(0, 3), (3, 1), (0, 4), (3, 10)}
    else:
        assert set(subtables) == {(0, 3), (3, 1)}


@given(mappings(codes=BMP))
@settings(max_examples=50)
def test_the_format_4_header_follows_the_specification(mapping):
    table = _cmap_table(mapping)
    offset = struct.unpack(">I", table[8:12])[0]  # the first record: (0, 3), format 4
    fmt, length, _, seg_count_x2, search_range, entry_selector, range_shift = struct.unpack(
        ">7H", table[offset : offset + 14]
    )
    segments = seg_count_x2 // 2
    assert fmt == 4 and length == 16 + 8 * segments
    assert search_range == 2 * 2 ** (segments.bit_length() - 1)
    assert entry_selector == segments.bit_length() - 1 and range_shift == seg_count_x2 - search_range
    arrays = table[offset + 14 :]
    ends = struct.unpack(f">{segments}H", arrays[:seg_count_x2])
    starts = struct.unpack(f">{segments}H", arrays[seg_count_x2 + 2 : 2 * seg_count_x2 + 2])
    deltas = struct.unpack(f">{segments}H", arrays[2 * seg_count_x2 + 2 : 3 * seg_count_x2 + 2])
    assert list(ends) == sorted(ends) and all(start <= end for start, end in zip(starts, ends, strict=True))
    # The required last segment maps 0xFFFF, alone, to glyph 0 (.notdef).
    assert (starts[-1], ends[-1], (0xFFFF + deltas[-1]) % 0x10000) == (0xFFFF, 0xFFFF, 0)


def test_runs_of_codes_share_a_segment():
    """Consecutive codes on consecutive glyphs are one segment: 中文 and abc here, not five."""
    mapping = {ord("a"): 10, ord("b"): 11, ord("c"): 12, 0x4E2D: 40, 0x4E2E: 41, 0x10000: 7, 0x10001: 8}
    table = _cmap_table(mapping)
    offset = struct.unpack(">I", table[8:12])[0]
    assert struct.unpack(">H", table[offset + 6 : offset + 8])[0] // 2 == 3  # a–c, 中–丮, and the 0xFFFF end
    offset = struct.unpack(">I", table[24:28])[0]  # the third record: (0, 4), format 12
    assert struct.unpack(">HHIII", table[offset : offset + 16])[4] == 3  # groups: a–c, 中–丮, U+10000–U+10001
    assert decompiled(table)[(3, 10)][1] == {code: name(glyph) for code, glyph in mapping.items()}


@given(mappings(codes=st.integers(0x20, 0x2FFF), glyphs=20))
@settings(max_examples=20)
def test_replacing_the_cmap_of_a_real_font_keeps_every_other_table_and_every_checksum(faces, mapping):
    original = subset_of(faces["body"], TEXT)
    data = _with_cmap(original, mapping)
    check_sfnt_structure(data)
    font = read(data)
    assert font.getBestCmap() == {code: font.getGlyphName(glyph) for code, glyph in mapping.items()}
    before = {tag: original[offset : offset + length] for tag, _, offset, length in table_directory(original)}
    after = {tag: data[offset : offset + length] for tag, _, offset, length in table_directory(data)}
    assert set(before) == set(after)
    for tag in set(before) - {b"cmap", b"head"}:
        assert after[tag] == before[tag], tag
    assert after[b"head"][:8] == before[b"head"][:8] and after[b"head"][12:] == before[b"head"][12:]


def test_the_map_holds_the_document_s_characters_and_no_others(faces):
    """一 and the Kangxi radical ⼀ share a glyph in the face: a document that writes 一 gets a map of 一 alone (a
    map made by the subsetter keeps every code on the glyphs it keeps, 5 % of a cut for nothing)."""
    body = faces["body"]
    font = harfbuzz_font(body.path, body.index)
    assert font.get_nominal_glyph(ord("一")) == font.get_nominal_glyph(ord("⼀"))
    data = subset_of(body, "一二三" + TEXT)
    assert set(read(data).getBestCmap()) == {ord(char) for char in "一二三" + TEXT + " \u00a0\u3000"}


# ---- faces prepared for cutting ----

RARE = "㐀䶮"  # CJK Extension A: not in GB 2312, so not in a prepared face


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder of the test's own; no prepared face is remembered from before."""
    monkeypatch.setenv("GONGWEN_CACHE_DIR", str(tmp_path / "cache"))
    prepared_face.cache_clear()
    yield tmp_path / "cache"
    prepared_face.cache_clear()


CUT_TEXTS = (
    TEXT,
    "附件",
    "中国通用技术集团公司巡视组⼀“引号”……——ABC abc 0123 é",
    TEXT * 3 + "巡察督察生态环境保护",
    TEXT + RARE,
)


def test_a_face_is_cut_to_the_same_bytes_prepared_or_not(faces, cache):
    """Cut from the face prepared for cutting, each role's face is the same bytes as cut from the face itself (a
    document beyond the prepared characters is cut from the face): the preparation only saves time, and artifacts
    never depend on the cache. (`tests/benchmarks/same_output.py` compared every cut of its 62 documents so.)"""
    unique = {(face.path, face.index): face for face in faces.values()}.values()
    before = {(face.path, face.index, text): subset_of(face, text) for face in unique for text in CUT_TEXTS}
    prepared = [face for face in unique if preparable(face)]
    assert len(prepared) == 3  # the CFF faces: Noto Serif CJK Bold and Regular, Noto Sans CJK; not the TrueType 楷体
    assert all(prepare_face(face) for face in prepared)
    assert not any(preparable(face) for face in unique)
    prepared_face.cache_clear()
    for face in unique:
        ready = prepared_face(face.path, face.index)
        assert (ready is not None) == (face in prepared), face.role
        if ready is not None:
            font = harfbuzz_font(face.path, face.index)
            assert len(ready.glyphs) < font.face.glyph_count / 4
            assert all(font.get_nominal_glyph(ord(char)) not in ready.glyphs for char in RARE)
        for text in CUT_TEXTS:
            data = subset_of(face, text)
            assert data == before[face.path, face.index, text], (face.role, text)
            check_sfnt_structure(data)


def test_a_prepared_face_holds_gb_2312(faces, cache):
    text = prepared_characters()
    assert len(text) > 7445 and {"中", "巡", "—", "〇", "①"} <= set(text) and "㐀" not in text
    body = faces["body"]
    assert prepare_face(body)
    ready = prepared_face(body.path, body.index)
    font = harfbuzz_font(body.path, body.index)
    assert ready is not None
    assert {font.get_nominal_glyph(ord(char)) for char in "巡视组进驻“”—…"} <= ready.glyphs


def test_a_broken_prepared_face_is_passed_over(faces, cache):
    """A prepared face cut short, with a byte changed or not a font at all is not used: the face is cut from the
    file itself, to the same bytes."""
    body = faces["body"]
    expected = subset_of(body, TEXT)
    assert prepare_face(body)
    path = prepared_face_path(body.path, body.index)
    whole = path.read_bytes()
    changed = bytearray(whole)
    changed[len(whole) // 2] ^= 0x55
    for broken in (whole[: 1 << 20], bytes(changed), b"not a font", b""):
        path.write_bytes(broken)
        prepared_face.cache_clear()
        assert prepared_face(body.path, body.index) is None
        assert subset_of(body, TEXT) == expected
        assert preparable(body)  # prepared again by the next large build
    path.write_bytes(whole)
    prepared_face.cache_clear()
    assert prepared_face(body.path, body.index) is not None


def test_nothing_is_prepared_where_it_could_not_be_kept(faces, cache):
    """A cache folder that cannot be written: no work is spent on a preparation that would be lost."""
    cache.mkdir()
    (cache / PREPARED_FACES_FOLDER).write_text("a file in the folder's place", encoding="utf-8")
    assert not preparable(faces["body"])  # no "preparing" line for a preparation that cannot be kept
    assert not prepare_face(faces["body"])


def test_a_cut_carries_no_layout_tables_and_the_map_gives_the_chinese_forms(faces):
    """Substitution is done in the map (the em dash of Chinese text, a full em, wherever it stands), so a cut needs
    no GSUB; the PDF engine drops GSUB and GPOS when it embeds a face anyway."""
    font = read(subset_of(faces["body"], "8:00—20:00 中"))
    assert {"GSUB", "GPOS"}.isdisjoint(font.keys())
    assert font["hmtx"][font.getBestCmap()[ord("—")]][0] == font["head"].unitsPerEm


def test_a_preparation_removes_what_a_killed_one_left_an_hour_ago(faces, cache):
    """A build killed while it wrote a prepared face leaves a temporary file; the next preparation removes those
    older than an hour (a younger one may be another build's, still writing)."""
    import os
    import time

    from pipeline.files import TEMPORARY_PREFIX, TEMPORARY_SUFFIX

    folder = cache / PREPARED_FACES_FOLDER
    folder.mkdir(parents=True)
    old, young = (
        folder / f"{TEMPORARY_PREFIX}old{TEMPORARY_SUFFIX}",
        folder / f"{TEMPORARY_PREFIX}young{TEMPORARY_SUFFIX}",
    )
    old.write_bytes(b"cut short")
    young.write_bytes(b"being written")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    assert prepare_face(faces["body"])
    assert not old.exists() and young.exists()


def test_a_prepared_face_made_from_another_face_is_not_used(faces, cache):
    """The file records which face it was made from: the Bold face's prepared form in the Regular's place (a copy,
    a link) is passed over, and the Regular face is cut from its file."""
    body, title = faces["body"], faces["title"]
    assert (body.path, body.index) != (title.path, title.index)
    expected = subset_of(body, TEXT)
    assert prepare_face(title)
    target = prepared_face_path(body.path, body.index)
    target.symlink_to(prepared_face_path(title.path, title.index))
    prepared_face.cache_clear()
    assert prepared_face(title.path, title.index) is not None
    assert prepared_face(body.path, body.index) is None
    assert subset_of(body, TEXT) == expected


def test_a_face_harfbuzz_cannot_prepare_or_cut_costs_only_time(faces, cache, monkeypatch):
    """uharfbuzz raises where HarfBuzz fails: a preparation that fails is not kept, and a prepared face that cannot
    be cut is passed over for the face's file, to the same bytes."""
    import uharfbuzz as hb

    from pipeline.typeset import prepared, subset

    body = faces["body"]
    expected = subset_of(body, TEXT)

    def failing(*args):
        raise RuntimeError("Subsetting failed")

    monkeypatch.setattr(prepared.hb, "subset", failing)
    assert not prepare_face(body)
    monkeypatch.undo()
    assert prepare_face(body)
    prepared_face.cache_clear()
    ready = prepared_face(body.path, body.index)
    assert ready is not None
    original_plan = hb.SubsetPlan

    def plan(face, subset_input):
        if face is ready.face:
            raise hb.HarfBuzzError("a face it cannot cut")
        return original_plan(face, subset_input)

    monkeypatch.setattr(subset.hb, "SubsetPlan", plan)
    assert subset_of(body, TEXT) == expected


def test_something_else_in_a_prepared_face_s_place_is_not_waited_on(faces, cache):
    """A FIFO where a prepared face should be: passed over at once, not read (which would wait for a writer)."""
    import os
    import threading

    body = faces["body"]
    path = prepared_face_path(body.path, body.index)
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    found: list[object] = []
    looking = threading.Thread(target=lambda: found.append(prepared_face(body.path, body.index)), daemon=True)
    looking.start()
    looking.join(timeout=10)
    assert found == [None]
