"""Stage 2, typeset: measuring — advance widths from HarfBuzz on the resolved font files, shaped as the PDF engine
shapes them.

The PDF engine (Pango + HarfBuzz) splits text into script runs, shapes each with the document
language (zh-CN selects the font's Chinese `locl` forms: the em dash and curly quotes become full
width) and, with our stylesheet, no kerning or ligatures. `Shaper` does the same, so the widths it
returns are the widths that will be drawn. It also records every glyph used, so that a face can be
cut down to what a document draws, and reports characters the face cannot draw.
"""

from __future__ import annotations

import functools
import unicodedata
from dataclasses import dataclass, field
from typing import NamedTuple

import uharfbuzz as hb

from .fonts import ResolvedFace

LANGUAGE = "zh-cn"
# Matches `font-kerning: none; font-variant-ligatures: none` in the stylesheet.
FEATURES = {"kern": False, "liga": False, "clig": False, "dlig": False, "hlig": False, "calt": False}
# The ideographic em box of CJK fonts sits 880/1000 above and 120/1000 below the baseline.
EM_BOX_ASCENT = 0.88


def _script_of(char: str) -> str | None:
    """'hani' or 'latn' for characters with a strong script, None for common ones (digits, punctuation)."""
    code = ord(char)
    if (
        0x3400 <= code <= 0x9FFF
        or 0xF900 <= code <= 0xFAFF
        or 0x20000 <= code <= 0x3FFFF
        or 0x3040 <= code <= 0x30FF
        or 0x2E80 <= code <= 0x2FDF
        or 0x3100 <= code <= 0x31BF
    ):
        return "hani"
    if char.isalpha() and code < 0x2000:
        return "latn" if unicodedata.name(char, "").startswith("LATIN") else None
    return None


class ScriptRun(NamedTuple):
    """A stretch of text shaped with one script; common characters belong to the run they stand in."""

    start: int
    end: int
    script: str


def script_runs(text: str) -> list[ScriptRun]:
    """(start, end, script) runs; common characters join the run before them, or the one after at the start."""
    starts: list[tuple[int, str]] = []  # where each run starts, and its script
    for index, char in enumerate(text):
        script = _script_of(char)
        if script is not None and (not starts or script != starts[-1][1]):
            starts.append((index if starts else 0, script))
    if not starts:
        return [ScriptRun(0, len(text), "hani")] if text else []
    ends = [start for start, _ in starts[1:]] + [len(text)]
    return [ScriptRun(start, end, script) for (start, script), end in zip(starts, ends, strict=True)]


@dataclass
class Shaper:
    """Measures text in one face and remembers which glyphs and characters were used."""

    face: ResolvedFace
    used_glyphs: set[int] = field(default_factory=set)
    used_chars: set[str] = field(default_factory=set)
    missing: dict[str, None] = field(default_factory=dict)  # ordered set of characters the face lacks

    def __post_init__(self) -> None:
        self._font = harfbuzz_font(self.face.path, self.face.index)
        self.upem: int = self._font.face.upem
        extents = self._font.get_font_extents("ltr")
        self.ascender: float = extents.ascender / self.upem
        self.descender: float = -extents.descender / self.upem

    def advances(self, text: str, size: float, report_missing: bool = True) -> list[float]:
        """Advance width of each character of `text` at `size` points (0 for marks and joined characters)."""
        widths = [0.0] * len(text)
        for run in script_runs(text):
            buffer = hb.Buffer()
            buffer.add_str(text[run.start : run.end])
            buffer.direction = "ltr"
            buffer.script = run.script
            buffer.language = LANGUAGE
            hb.shape(self._font, buffer, FEATURES)
            for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=False):
                index = run.start + info.cluster
                if info.codepoint == 0 and report_missing and not text[index].isspace():
                    self.missing.setdefault(text[index])
                self.used_glyphs.add(info.codepoint)
                widths[index] += position.x_advance * size / self.upem
        self.used_chars.update(text)
        return widths

    def width(self, text: str, size: float) -> float:
        return sum(self.advances(text, size))


@functools.lru_cache(maxsize=16)
def harfbuzz_font(path: str, index: int) -> hb.Font:
    blob = hb.Blob.from_file_path(path)
    return hb.Font(hb.Face(blob, index))
