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
import re
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


# Characters of the Han script, and the kana, radicals and bopomofo shaped with them: 'hani'.
_HAN_RANGES = (
    (0x3400, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
    (0x3040, 0x30FF),
    (0x2E80, 0x2FDF),
    (0x3100, 0x31BF),
)
# Latin letters come before this code point: beyond it, a letter's script is left to the run it stands in.
_LATIN_BELOW = 0x2000


def _script_of(char: str) -> str | None:
    """'hani' or 'latn' for characters with a strong script, None for common ones (digits, punctuation)."""
    code = ord(char)
    if any(first <= code <= last for first, last in _HAN_RANGES):
        return "hani"
    if char.isalpha() and code < _LATIN_BELOW:
        return "latn" if unicodedata.name(char, "").startswith("LATIN") else None
    return None


@functools.cache
def _strong_runs() -> re.Pattern[str]:
    """Stretches of characters of one strong script, named by it (`_script_of`, as a pattern: a document's text is
    split into runs in C rather than character by character)."""
    han = "".join(f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in _HAN_RANGES)
    latin = "".join(re.escape(chr(code)) for code in range(_LATIN_BELOW) if _script_of(chr(code)) == "latn")
    return re.compile(f"(?P<hani>[{han}]+)|(?P<latn>[{latin}]+)")


class ScriptRun(NamedTuple):
    """A stretch of text shaped with one script; common characters belong to the run they stand in."""

    start: int
    end: int
    script: str


def script_runs(text: str) -> list[ScriptRun]:
    """(start, end, script) runs; common characters join the run before them, or the one after at the start."""
    starts: list[tuple[int, str]] = []  # where each run starts, and its script
    for stretch in _strong_runs().finditer(text):
        script = stretch.lastgroup
        assert script is not None  # one of the two groups matched
        if not starts or script != starts[-1][1]:
            starts.append((stretch.start() if starts else 0, script))
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
        """Advance width of each character of `text` at `size` points (0 for marks and joined characters).

        A run of characters that shape the same wherever they stand (`_context_free`) is measured from each
        character's glyph, shaped once per process; any other run is shaped whole."""
        widths = [0.0] * len(text)
        glyphs = _glyphs_alone(self.face.path, self.face.index)
        for run in script_runs(text):
            known = self._alone(text[run.start : run.end], run.script, glyphs)
            if known is not None:
                for index, (glyph, advance) in enumerate(known, start=run.start):
                    if glyph == 0 and report_missing and not text[index].isspace():
                        self.missing.setdefault(text[index])
                    self.used_glyphs.add(glyph)
                    widths[index] = advance * size / self.upem  # as shaping the run gives it, to the bit
                continue
            buffer = shaped(self._font, text[run.start : run.end], run.script)
            for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=False):
                index = run.start + info.cluster
                if info.codepoint == 0 and report_missing and not text[index].isspace():
                    self.missing.setdefault(text[index])
                self.used_glyphs.add(info.codepoint)
                widths[index] += position.x_advance * size / self.upem
        self.used_chars.update(text)
        return widths

    def include(self, text: str) -> None:
        """Remember the glyphs and characters of `text` as `advances` would, without measuring it or reporting what
        the face lacks (the rest of a document's text, for the cut): each context-free character once per run."""
        glyphs = _glyphs_alone(self.face.path, self.face.index)
        for run in script_runs(text):
            chunk = text[run.start : run.end]
            known = self._alone("".join(dict.fromkeys(chunk)), run.script, glyphs)
            if known is not None:
                self.used_glyphs.update(glyph.glyph for glyph in known)
                continue
            buffer = shaped(self._font, chunk, run.script)
            self.used_glyphs.update(info.codepoint for info in buffer.glyph_infos)
        self.used_chars.update(text)

    def width(self, text: str, size: float) -> float:
        return sum(self.advances(text, size))

    def _alone(self, text: str, script: str, glyphs: dict[tuple[str, str], _Glyph]) -> list[_Glyph] | None:
        """Each character's glyph and advance shaped alone with `script`, kept in `glyphs`; None when a character is
        not context-free or does not shape to one glyph alone."""
        found: list[_Glyph] = []
        for char in text:
            glyph = glyphs.get((char, script)) or _shape_alone(self._font, char, script, glyphs)
            if glyph is None:
                return None
            found.append(glyph)
        return found

    def glyph_alone(self, char: str, script: str) -> int | None:
        """The glyph of `char` shaped alone with `script` (as `advances` measures it in a run of that script); None
        when it is not context-free or shapes to more than one glyph."""
        found = self._alone(char, script, _glyphs_alone(self.face.path, self.face.index))
        return None if found is None else found[0].glyph


def shaped(font: hb.Font, text: str, script: str) -> hb.Buffer:
    """`text` shaped with `script` as the PDF engine shapes it: left to right, in the document's language, with
    kerning and ligatures off."""
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.direction = "ltr"
    buffer.script = script
    buffer.language = LANGUAGE
    hb.shape(font, buffer, FEATURES)
    return buffer


def _shape_alone(font: hb.Font, char: str, script: str, glyphs: dict[tuple[str, str], _Glyph]) -> _Glyph | None:
    """`char` shaped alone with `script` and kept in `glyphs`; None when it is not context-free or does not shape to
    one glyph alone."""
    if not _context_free(char):
        return None
    buffer = shaped(font, char, script)
    if len(buffer.glyph_infos) != 1:
        return None
    glyph = glyphs[char, script] = _Glyph(buffer.glyph_infos[0].codepoint, buffer.glyph_positions[0].x_advance)
    return glyph


class _Glyph(NamedTuple):
    """A character's glyph shaped alone, and its advance in font units."""

    glyph: int
    advance: int


def _context_free(char: str) -> bool:
    """Whether `char` shapes to the same glyph and advance wherever it stands, with kerning and ligatures off as
    the stylesheet sets them: Chinese characters and punctuation, full-width forms, Latin letters, digits,
    punctuation, symbols and spaces. Marks, joiners, selectors and the scripts that join or reorder their letters
    are shaped in their runs."""
    code = ord(char)
    if unicodedata.category(char)[0] not in "LNPSZ" or unicodedata.category(char) in ("Zl", "Zp"):
        return False
    return (
        code < 0x0250
        or 0x2000 <= code < 0x2E80
        or 0x3000 <= code <= 0x303F
        or 0xFF00 <= code <= 0xFFEF
        or _script_of(char) == "hani"
    )


@functools.lru_cache(maxsize=16)
def _glyphs_alone(path: str, index: int) -> dict[tuple[str, str], _Glyph]:
    """Each context-free character's glyph and advance in one face, by character and script, as it was shaped alone
    (`Shaper._alone`): kept for the process, so that each character is shaped once, not in every paragraph."""
    return {}


@functools.lru_cache(maxsize=16)
def harfbuzz_font(path: str, index: int) -> hb.Font:
    blob = hb.Blob.from_file_path(path)
    return hb.Font(hb.Face(blob, index))
