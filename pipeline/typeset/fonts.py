"""Stage 2, typeset: fonts by role — which face of which file draws titles, body, headings and page numbers,
and why.

Each role lists the standard's own faces first, under their common names, then freely licensed
stand-ins from Debian packages. A configured candidate may be a family name (`Noto Serif CJK
SC:Bold`) or a font file (`/path/font.ttc#2`); in a collection without an index, the
Simplified-Chinese face is chosen, never silently the first (Japanese) one.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..cache import file_digests
from ..errors import ConfigurationError, GongwenError, Problem, SetupError, Where

ROLES = ("title", "body", "heading1", "heading2", "page_number")

ROLE_DESCRIPTIONS = {
    "title": "小标宋: titles and the issuing organ's red mark",
    "body": "仿宋: body text, signature, date, notes",
    "heading1": "黑体: level-1 headings 一、",
    "heading2": "楷体: level-2 headings （一）",
    "page_number": "宋体: page numbers — 1 —",
}

# The standard's faces under the names they are installed with on government machines.
STANDARD_FACES: dict[str, tuple[str, ...]] = {
    "title": ("方正小标宋简体", "方正小标宋_GBK", "FZXiaoBiaoSong-B05S", "FZXiaoBiaoSong-B05", "方正小标宋"),
    "body": ("仿宋_GB2312", "FangSong_GB2312", "仿宋", "FangSong", "华文仿宋", "STFangsong"),
    "heading1": ("黑体", "SimHei", "方正黑体_GBK", "方正黑体简体"),
    "heading2": ("楷体_GB2312", "KaiTi_GB2312", "楷体", "KaiTi", "华文楷体", "STKaiti"),
    "page_number": ("宋体", "SimSun", "NSimSun"),
}

# Freely licensed stand-ins: (family:style, Debian package).
STAND_INS: dict[str, tuple[tuple[str, str], ...]] = {
    "title": (("Noto Serif CJK SC:Bold", "fonts-noto-cjk"),),
    "body": (("Noto Serif CJK SC:Regular", "fonts-noto-cjk"),),
    "heading1": (("Noto Sans CJK SC:Regular", "fonts-noto-cjk"),),
    "heading2": (("AR PL KaitiM GB:Regular", "fonts-arphic-gkai00mp"),),
    "page_number": (("Noto Serif CJK SC:Regular", "fonts-noto-cjk"),),
}

_FONT_FILE = re.compile(r"\.(ttf|otf|ttc|otc)(#\d+)?$", re.IGNORECASE)
_SC_MARKERS = re.compile(r"(\bSC\b|sc-|GB|简|Simplified|Hans)", re.IGNORECASE)
# Where font problems are reported when the caller names no configuration file.
_CONFIGURATION = Where("configuration")


@dataclass(frozen=True, slots=True)
class InstalledFace:
    path: str
    index: int
    families: tuple[str, ...]
    style: str
    postscript: str
    langs: frozenset[str]


@dataclass(frozen=True, slots=True)
class ResolvedFace:
    """The face a role will be drawn with."""

    role: str
    family: str
    style: str
    path: str
    index: int
    postscript: str
    reason: str
    standard: bool

    @property
    def file_label(self) -> str:
        return f"{self.path}#{self.index}" if self.path.lower().endswith((".ttc", ".otc")) else self.path


def _fontconfig(command: str, *args: str) -> list[InstalledFace]:
    tool = shutil.which(command)
    if tool is None:
        raise SetupError(
            Problem(
                Where("fonts"), "", f"{command} was not found; install fontconfig (Debian: apt-get install fontconfig)"
            )
        )
    fmt = "%{file}\t%{index}\t%{family}\t%{style}\t%{postscriptname}\t%{lang}\n"
    result = subprocess.run(
        [tool, "--format", fmt, *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    faces: list[InstalledFace] = []
    for line in result.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) != 6:
            continue
        path, index, families, style, postscript, langs = parts
        faces.append(
            InstalledFace(
                path,
                int(index or 0),
                tuple(name.strip() for name in families.split(",")),
                style.split(",")[0],
                postscript,
                frozenset(langs.split("|")),
            )
        )
    return faces


@functools.cache
def installed_faces() -> tuple[InstalledFace, ...]:
    return tuple(_fontconfig("fc-list"))


def _find_family(name: str) -> InstalledFace | None:
    family, _, style = name.partition(":")
    wanted = family.strip().casefold()
    matches = [face for face in installed_faces() if wanted in (f.casefold() for f in face.families)]
    if not matches:
        return None
    if style:
        styled = [face for face in matches if face.style.casefold() == style.strip().casefold()]
        if not styled:
            return None
        matches = styled
    else:
        regular = [face for face in matches if face.style.casefold() in ("regular", "book", "normal", "medium")]
        matches = regular or matches
    return sorted(matches, key=lambda face: (face.path, face.index))[0]


_FACE_INDEX = re.compile(r"(?P<path>.*)#(?P<index>[^/]*)")
"""`file.ttc#2`: the face of a collection, after the last # that no folder follows."""


def _face_of_file(candidate: str, role: str, where: Where) -> InstalledFace:
    indexed = _FACE_INDEX.fullmatch(candidate)
    path_text, index_text = (indexed["path"], indexed["index"]) if indexed else (candidate, "")
    if indexed and not re.fullmatch(r"[0-9]{1,4}", index_text):
        message = "after # comes the number of a face in the collection, such as #2"
        raise ConfigurationError(Problem(where, f"fonts.{role}", message, candidate))
    path = Path(path_text).expanduser()
    if not path.is_file():
        raise ConfigurationError(Problem(where, f"fonts.{role}", "font file not found", candidate))
    faces = _fontconfig("fc-query", str(path))
    if not faces:
        raise ConfigurationError(Problem(where, f"fonts.{role}", "not a font file that fontconfig can read", candidate))
    if index_text:
        chosen = [face for face in faces if face.index == int(index_text)]
        if not chosen:
            raise ConfigurationError(
                Problem(where, f"fonts.{role}", f"the file has no face {index_text} (it has {len(faces)})", candidate)
            )
        return chosen[0]
    if len(faces) == 1:
        return faces[0]
    simplified = [
        face
        for face in faces
        if "zh-cn" in face.langs and any(_SC_MARKERS.search(f) for f in face.families + (face.postscript,))
    ]
    if not simplified:
        names = ", ".join(f"#{face.index} {face.families[0]}" for face in faces)
        raise ConfigurationError(
            Problem(
                where,
                f"fonts.{role}",
                f"a collection without a Simplified-Chinese face that can be told apart; add #index ({names})",
                candidate,
            )
        )
    return simplified[0]


def resolve_fonts(
    configured: dict[str, tuple[str, ...]] | None = None, where: Where = _CONFIGURATION
) -> dict[str, ResolvedFace]:
    """Resolve every role; configured candidates replace the role's built-in list."""
    configured = configured or {}
    resolved: dict[str, ResolvedFace] = {}
    problems: list[Problem] = []
    for role in ROLES:
        try:
            resolved[role] = _resolve_role(role, configured.get(role), where)
        except GongwenError as error:
            problems.extend(error.problems)
    if problems:
        raise ConfigurationError(problems)
    return resolved


def _resolve_role(role: str, configured: tuple[str, ...] | None, where: Where) -> ResolvedFace:
    if configured:
        for candidate in configured:
            if _FONT_FILE.search(candidate) or "/" in candidate:
                in_file = _face_of_file(candidate, role, where)
                return _resolved(role, in_file, f"configured file {candidate}", standard=False)
            face = _find_family(candidate)
            if face is not None:
                return _resolved(
                    role, face, f"configured family {candidate}", standard=candidate in STANDARD_FACES[role]
                )
        raise ConfigurationError(
            Problem(where, f"fonts.{role}", "none of the configured fonts is installed", ", ".join(configured))
        )
    for name in STANDARD_FACES[role]:
        face = _find_family(name)
        if face is not None:
            return _resolved(role, face, f"standard face {name}", standard=True)
    for name, package in STAND_INS[role]:
        face = _find_family(name)
        if face is not None:
            missing = STANDARD_FACES[role][0]
            return _resolved(role, face, f"stand-in from {package}; {missing} is not installed", standard=False)
    packages = " ".join(sorted({package for _, package in STAND_INS[role]}))
    raise SetupError(
        Problem(
            where,
            f"fonts.{role}",
            f"no font found for this role; install {packages} or point fonts.{role} at a font file",
        )
    )


def _resolved(role: str, face: InstalledFace, reason: str, standard: bool) -> ResolvedFace:
    return ResolvedFace(role, face.families[0], face.style, face.path, face.index, face.postscript, reason, standard)


def font_inventory(faces: dict[str, ResolvedFace]) -> dict[str, dict[str, str | int]]:
    """Per role, the face and the file it came from with the file's SHA-256 (remembered in the cache),
    for the manifest."""
    digest = file_digests()
    return {
        role: {
            "family": face.family,
            "style": face.style,
            "file": face.path,
            "index": face.index,
            "sha256": digest(face.path),
        }
        for role, face in faces.items()
    }
