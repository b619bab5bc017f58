"""Stage 2, typeset: faces prepared for cutting, kept in the cache folder once per machine.

HarfBuzz reads a face's whole character map (some 45 000 codes in a Chinese face) and sanitizes its glyph tables
every time it cuts it: most of the 5–15 ms a cut of a Chinese CFF face takes, and some 10 MB of the font file
read into each process. A face prepared for cutting is the face cut once to the characters documents mostly use
(GB 2312's, below), glyph ids kept, in the cache folder; cut from it, a document's face is the same bytes in a
third of the time, and a process reads 1–3 MB of it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import shutil
import stat
import struct
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import uharfbuzz as hb

from ..cache import cache_folder
from ..errors import GongwenError
from ..files import atomic_write, is_temporary
from .fonts import ResolvedFace
from .shaping import harfbuzz_font, shaped
from .subset import CUT_DROPPED_TABLES, set_cut

# A prepared face keeps glyph ids, so that the glyphs a document shaped in the face are its own.
_PREPARATION_FLAGS = (
    hb.SubsetFlags.RETAIN_GIDS
    | hb.SubsetFlags.NO_LAYOUT_CLOSURE
    | hb.SubsetFlags.DESUBROUTINIZE
    | hb.SubsetFlags.NO_HINTING
)

PREPARED_FACES_FOLDER = "faces"
"""Where prepared faces are kept, in the cache folder: 2–3 MB a face."""
PREPARED_BLOCKS = (
    (0x0020, 0x007E),
    (0x00A0, 0x017F),
    (0x2000, 0x206F),
    (0x2150, 0x218F),
    (0x2460, 0x24FF),
    (0x3000, 0x303F),
    (0xFF00, 0xFFEF),
)
"""Beside GB 2312's characters, a prepared face holds these blocks: Basic Latin, Latin-1 and Latin Extended-A,
General Punctuation, Number Forms, Enclosed Alphanumerics, CJK Symbols and Punctuation, full-width forms."""
_PREPARATION = "3"  # bumped when how a face is prepared changes
_ROOM_TO_PREPARE = 64 * 1024 * 1024  # free bytes a preparation wants: a face (~3 MB) and room to spare
_STALE_TEMPORARY_SECONDS = 3600  # a temporary file this old in the folder was left by a killed preparation
# A prepared face's file: the face, then the glyph ids it holds (2 bytes each), then this trailer: how many glyph
# ids, the SHA-256 of the font file's key (its path, face, size and time: which face it was made from), the SHA-256
# of everything before the trailer, and a tag. A file whose digests do not match is not used.
_TRAILER = struct.Struct(">I32s32s4s")
_TAG = b"GWPF"


@dataclass(frozen=True)
class PreparedFace:
    """A face cut to the prepared characters' glyphs, glyph ids unchanged, and the glyphs it holds."""

    face: hb.Face
    glyphs: frozenset[int]


@functools.lru_cache(maxsize=1)
def prepared_characters() -> str:
    """GB 2312's 7 445 characters (its 6 763 Chinese characters and its symbols) and `PREPARED_BLOCKS`."""
    chars = {chr(code) for start, end in PREPARED_BLOCKS for code in range(start, end + 1)}
    for row in range(0xA1, 0xF8):
        for cell in range(0xA1, 0xFF):
            try:
                chars.add(bytes((row, cell)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return "".join(sorted(chars))


def _face_key(path: str, index: int) -> bytes:
    """What names a face's prepared form: the preparation, HarfBuzz's version, and the font file as it is now."""
    status = os.stat(path)
    key = "\0".join((_PREPARATION, hb.__version__, path, str(index), str(status.st_size), str(status.st_mtime_ns)))
    return hashlib.sha256(key.encode()).digest()


def prepared_face_path(path: str, index: int) -> Path:
    """The prepared face of `path`'s face `index`, named for the font file as it is now and for HarfBuzz's version."""
    return _path_of(_face_key(path, index))


def _path_of(key: bytes) -> Path:
    return _folder() / f"{key.hex()[:32]}.face"


def _folder() -> Path:
    return cache_folder() / PREPARED_FACES_FOLDER


def preparable(face: ResolvedFace) -> bool:
    """Whether preparing `face` would make cutting it faster and can be kept: a CFF face (TrueType faces cut fast)
    without a sound prepared form, and a cache folder that can take one."""
    try:
        if "CFF " not in harfbuzz_font(face.path, face.index).face.table_tags:
            return False
        return _load_prepared(face.path, face.index) is None and _room_for(_folder())
    except OSError:
        return False


def _room_for(folder: Path) -> bool:
    """Whether `folder` can take a prepared face: it is (or can be made) a writable folder with room to spare."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        return os.access(folder, os.W_OK) and shutil.disk_usage(folder).free >= _ROOM_TO_PREPARE
    except OSError:
        return False


def prepare_face(face: ResolvedFace) -> bool:
    """Prepare `face` for cutting, in the cache folder; False when it could not be (the cache only saves time).

    The face is read through a mapping of its own, dropped on return: a build that prepares faces before it starts
    its workers hands them none of the font file it read."""
    try:
        key = _face_key(face.path, face.index)
        target = _path_of(key)
        if not _room_for(target.parent):
            return False
        _remove_stale_temporaries(target.parent)
        font = hb.Font(hb.Face(hb.Blob.from_file_path(face.path), face.index))
        if "CFF " not in font.face.table_tags:
            return False
        text = prepared_characters()
        glyphs = {glyph for char in text if (glyph := font.get_nominal_glyph(ord(char))) is not None}
        for script in ("hani", "latn"):  # and the forms shaping gives them (one shaping each: a superset will do)
            glyphs.update(info.codepoint for info in shaped(font, text, script).glyph_infos)
        subset_input = hb.SubsetInput()
        for glyph in glyphs:
            subset_input.glyph_set.add(glyph)
        # The character map stays: a cut from the prepared face reads its codes.
        set_cut(subset_input, tuple(table for table in CUT_DROPPED_TABLES if table != "cmap"))
        subset_input.flags = _PREPARATION_FLAGS
        result = hb.subset(font.face, subset_input)
        if result is None:
            return False
        ordered = sorted(glyphs)
        body = result.blob.data + struct.pack(f">{len(ordered)}H", *ordered)
        atomic_write(target, body + _TRAILER.pack(len(ordered), key, hashlib.sha256(body).digest(), _TAG))
    # A full disk, a cache that cannot be written or a face HarfBuzz cannot cut whole only costs time: the face is
    # cut from its file, as it would be without a cache.
    except (OSError, GongwenError, RuntimeError, hb.HarfBuzzError):
        return False
    return True


def _remove_stale_temporaries(folder: Path) -> None:
    now = time.time()
    for leftover in folder.iterdir():
        with contextlib.suppress(OSError):
            if is_temporary(leftover.name) and now - leftover.stat().st_mtime > _STALE_TEMPORARY_SECONDS:
                leftover.unlink()


@functools.lru_cache(maxsize=16)
def prepared_face(path: str, index: int) -> PreparedFace | None:
    """The prepared face, mapped from the cache, when there is a sound one (checked once per process)."""
    return _load_prepared(path, index)


def _load_prepared(path: str, index: int) -> PreparedFace | None:
    """The prepared face of `path`'s face `index` when its file is whole and was made from that face as it is now:
    a regular file whose trailer's digests match its contents and the face's key."""
    try:
        key = _face_key(path, index)
        file = _path_of(key)
        descriptor = os.open(file, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO in its place is not waited on
        with os.fdopen(descriptor, "rb") as stream:
            if not stat.S_ISREG(os.fstat(descriptor).st_mode):
                return None
            size = stream.seek(0, os.SEEK_END)
            if size <= _TRAILER.size:
                return None
            stream.seek(size - _TRAILER.size)
            count, made_from, digest, tag = _TRAILER.unpack(stream.read(_TRAILER.size))
            glyphs_at = size - _TRAILER.size - 2 * count
            if tag != _TAG or made_from != key or glyphs_at <= 0:
                return None
            stream.seek(0)
            if _digest(stream, size - _TRAILER.size) != digest:
                return None
            stream.seek(glyphs_at)
            glyphs = frozenset(struct.unpack(f">{count}H", stream.read(2 * count)))
        face = hb.Face(hb.Blob.from_file_path(str(file)))
    except (OSError, hb.HarfBuzzError):  # gone since (the cache may be deleted at any time), or unreadable
        return None
    if face.upem != harfbuzz_font(path, index).face.upem or "CFF " not in face.table_tags:
        return None
    return PreparedFace(face, glyphs)


def _digest(stream: BinaryIO, size: int) -> bytes | None:
    """The SHA-256 of the stream's next `size` bytes, read a megabyte at a time; None when it ends before."""
    hasher = hashlib.sha256()
    while size > 0:
        chunk = stream.read(min(size, 1 << 20))
        if not chunk:
            return None
        hasher.update(chunk)
        size -= len(chunk)
    return hasher.digest()
