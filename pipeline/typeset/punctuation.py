"""Stage 2, typeset: text clean-up — half-width punctuation in Chinese text becomes full-width; ASCII runs stay
as typed.

`, : ; ( ) ! ?` and straight quotes next to a Chinese character become ， ： ； （ ） ！ ？ and
curly quotes; `010-68334749`, `8:00`, `1,000` and `(a)` between Latin letters stay as they are.
A space around a converted mark is dropped, since full-width marks carry their own space.
"""

from __future__ import annotations

import re

from ..content.text import CHINESE_RANGES

_FULL_WIDTH = {",": "，", ":": "：", ";": "；", "!": "！", "?": "？", "(": "（", ")": "）"}
# Chinese text and the marks that belong to it outside the Chinese ranges (quotes, ellipsis, dash).
_CHINESE_SIDE = re.compile(f"[{CHINESE_RANGES}“”‘’…—]")


def _is_chinese(char: str) -> bool:
    return bool(_CHINESE_SIDE.match(char))


def _neighbour(text: str, index: int, step: int) -> str:
    """The nearest character that is not a space, looking left (-1) or right (+1)."""
    index += step
    while 0 <= index < len(text) and text[index] == " ":
        index += step
    return text[index] if 0 <= index < len(text) else ""


def _bracket_pairs(text: str) -> dict[int, int]:
    """Each `(` and `)` that close each other, both ways, by index."""
    pairs: dict[int, int] = {}
    opened: list[int] = []
    for index, char in enumerate(text):
        if char == "(":
            opened.append(index)
        elif char == ")" and opened:
            opening = opened.pop()
            pairs[opening], pairs[index] = index, opening
    return pairs


def _chinese_bracket(text: str, index: int, partner: int | None) -> bool:
    """Whether a bracket belongs to Chinese text: Chinese beside it or inside. A pair is decided as one, so that
    根据部署(Cafe test)，becomes 根据部署（Cafe test），never （Cafe test)."""
    if partner is not None:
        opening, closing = sorted((index, partner))
        inside = text[opening + 1 : closing]
    elif text[index] == "(":
        opening = closing = index
        end = text.find(")", index)
        inside = text[index + 1 : end] if end > 0 else ""
    else:
        opening = closing = index
        start = text.rfind("(", 0, index)
        inside = text[start + 1 : index] if start >= 0 else ""
    beside = [_neighbour(text, end, step) for end in (opening, closing) for step in (-1, 1)]
    return any(_is_chinese(char) for char in [*beside, *inside])


def normalize_punctuation(text: str) -> str:
    chars = list(text)
    pairs = _bracket_pairs(text)
    for index, char in enumerate(text):
        if char not in _FULL_WIDTH:
            continue
        before, after = _neighbour(text, index, -1), _neighbour(text, index, 1)
        if char in ",:" and before.isdigit() and after.isdigit():
            continue  # 1,000 and 8:00
        if char in "()":
            if _chinese_bracket(text, index, pairs.get(index)):
                chars[index] = _FULL_WIDTH[char]
            continue
        if (
            (
                _is_chinese(before)
                or (before == "" and _is_chinese(after))
                or (_is_chinese(after) and not before.isascii())
            )
            or _is_chinese(after)
            and before
            and not before.isalnum()
        ):
            chars[index] = _FULL_WIDTH[char]
    text = "".join(chars)
    text = _curl_quotes(text, '"', "“", "”")
    text = _curl_quotes(text, "'", "‘", "’")
    # Full-width marks carry their own space.
    return re.sub(r" *([，：；！？（）“”‘’、。]) *", lambda match: match.group(1), text) if text != "" else text


def _curl_quotes(text: str, straight: str, opening: str, closing: str) -> str:
    """Pair straight quotes that touch Chinese text; quotes inside Latin text stay."""
    if straight not in text:
        return text
    out = []
    is_open = False
    for index, char in enumerate(text):
        if char != straight:
            out.append(char)
            continue
        before = text[index - 1] if index else ""
        after = text[index + 1] if index + 1 < len(text) else ""
        if not is_open and (_is_chinese(after) or _is_chinese(before) or before == ""):
            out.append(opening)
            is_open = True
        elif is_open:
            out.append(closing)
            is_open = False
        else:
            out.append(char)
    return "".join(out)
