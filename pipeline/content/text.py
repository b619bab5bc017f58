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

_LINE_JOIN = re.compile(rf"(?<=[{CHINESE_RANGES}])\s*\n\s*(?=[{CHINESE_RANGES}])")
_SPACES = re.compile(r"\s+")


def has_ideographs(text: str) -> bool:
    return re.search(f"[{IDEOGRAPH_RANGES}]", text) is not None


def clean_text(text: str) -> str:
    """Whitespace as a reader expects it: trimmed, line breaks between Chinese characters removed."""
    text = _LINE_JOIN.sub("", text.strip())
    return _SPACES.sub(" ", text)
