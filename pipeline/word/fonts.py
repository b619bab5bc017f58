"""Stage 4, write (Word): the font names the summary's styles carry, by role, and for the reader's machine a fontconfig
file that shows those names in the PDFs' stand-ins.

A .docx names its fonts (仿宋_GB2312, 黑体, …); on Linux, LibreOffice asks fontconfig for each name,
and without the standard faces installed every role falls back to the same default Chinese face
(Noto Sans CJK SC on Debian): body, headings and title all look alike. This file tells fontconfig
to try, after each standard name, the freely licensed stand-in of its role, so the summary prints
with a serif body, a sans level-1 heading, a kai level-2 heading and a bold title, like the PDFs.
Install it where the standard faces are missing: an installed one still comes first, but the title
role asks for bold, which fontconfig would then fake on a face that has no bold.
"""

from __future__ import annotations

from html import escape

from ..typeset.fonts import ROLES, STAND_INS, STANDARD_FACES

LATIN_ROLE = "latin"
WORD_FONT_NAMES: dict[str, str] = {**{role: STANDARD_FACES[role][0] for role in ROLES}, LATIN_ROLE: "Times New Roman"}
"""The names a reference document gives each role: the standard's faces as government Windows machines install them."""

_HEAD = """<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">
<!-- Written by `gongwen fontconfig`: the Word summary's font names, followed by free stand-ins.
     Install as ~/.config/fontconfig/conf.d/60-gongwen.conf (or /etc/fonts/conf.d/). -->
<fontconfig>
"""
# fontconfig's names for the styles the stand-ins use.
_WEIGHTS = {"Bold": "bold"}


def fontconfig_aliases(word_names: dict[str, str]) -> str:
    """fontconfig XML: for each role, its Word font name and the standard's other names for the same
    face, each followed by the role's first stand-in."""
    parts = [_HEAD]
    for role in ROLES:
        family, _, style = STAND_INS[role][0][0].partition(":")
        names = list(dict.fromkeys(name for name in (word_names.get(role), *STANDARD_FACES[role]) if name))
        for name in names:
            parts.append(
                f'  <match target="pattern">\n'
                f'    <test name="family"><string>{escape(name, quote=False)}</string></test>\n'
                f'    <edit name="family" mode="append" binding="strong">'
                f"<string>{escape(family, quote=False)}</string></edit>\n"
            )
            if style in _WEIGHTS:
                parts.append(
                    f'    <edit name="weight" mode="assign" binding="strong"><const>{_WEIGHTS[style]}</const></edit>\n'
                )
            parts.append("  </match>\n")
    parts.append("</fontconfig>\n")
    return "".join(parts)
