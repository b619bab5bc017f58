"""Chinese text, defined once for every stage: which characters are Chinese, which a document cannot
hold, and white space as a reader expects it."""

from __future__ import annotations

import re

CHINESE_RANGES = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
"""Characters of Chinese text: radicals, CJK symbols and punctuation (U+3000–U+303F), kana, the
unified ideographs with Extension A, compatibility ideographs and full-width forms."""

IDEOGRAPH_RANGES = "\u4e00-\u9fff"
"""The CJK unified ideographs: what a run of Chinese words is made of."""

# XML 1.0 forbids these; python-docx and PDF text would fail on them later.
FORBIDDEN_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff\ud800-\udfff]")

# Invisible format characters (Unicode category Cf, as of Unicode 14): soft hyphens, zero-width
# spaces and joiners, bidirectional controls (U+202A–U+202E, U+2066–U+2069, which reverse what is
# printed), the byte-order mark inside text, tags. A document cannot show them, and a reader cannot
# see that they are there; they are refused where they were typed.
FORMAT_CHARACTERS = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e"
    "\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U00013438"
    "\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)

PLACEHOLDER = "【待填写】"
"""What `gongwen new` writes where a person must supply a value. Obvious in any editor and in print, never a real
value: `check` and `build` refuse it wherever it is left, so that a placeholder phone number is never published."""


def placeholder_positions(text: str) -> list[tuple[int, int]]:
    """(line, column) of each placeholder in a file's text, counting from 1: what a preview highlights."""
    positions = []
    for number, line in enumerate(text.splitlines(), start=1):
        start = line.find(PLACEHOLDER)
        while start >= 0:
            positions.append((number, start + 1))
            start = line.find(PLACEHOLDER, start + 1)
    return positions


_LINE_JOIN = re.compile(rf"(?<=[{CHINESE_RANGES}])\s*\n\s*(?=[{CHINESE_RANGES}])")
_SPACES = re.compile(r"\s+")


def has_ideographs(text: str) -> bool:
    return re.search(f"[{IDEOGRAPH_RANGES}]", text) is not None


def clean_text(text: str) -> str:
    """Whitespace as a reader expects it: trimmed, line breaks between Chinese characters removed."""
    text = _LINE_JOIN.sub("", text.strip())
    return _SPACES.sub(" ", text)
