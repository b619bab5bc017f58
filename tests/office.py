"""The Word summary through a real office suite: LibreOffice headless converts .docx to PDF, and these helpers read
back what it drew."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pdfplumber
import pypdf
from fontTools.ttLib import TTFont

from pipeline.typeset.fonts import installed_faces

MM = 72 / 25.4
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@dataclass(frozen=True)
class Conversion:
    pdfs: dict[str, Path]  # by the name the document was given
    seconds: float
    stderr: str


def fontconfig_file(folder: Path, aliases: str) -> Path:
    """A fontconfig configuration: the system's, then `aliases`."""
    folder.mkdir(parents=True, exist_ok=True)
    extra = folder / "aliases.conf"
    extra.write_text(aliases, encoding="utf-8")
    configuration = folder / "fonts.conf"
    configuration.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n'
        f'<fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include>'
        f"<include>{extra}</include></fontconfig>\n",
        encoding="utf-8",
    )
    return configuration


def convert(documents: dict[str, Path], folder: Path, fontconfig: Path | None = None) -> Conversion:
    """Convert .docx files to PDF in one LibreOffice run, with a private profile (parallel runs do
    not collide) and, when given, a fontconfig configuration of its own."""
    if SOFFICE is None:
        raise AssertionError("LibreOffice (soffice) is not installed; `make test` installs libreoffice-writer-nogui")
    folder.mkdir(parents=True, exist_ok=True)
    inputs = []
    for name, document in documents.items():
        target = folder / f"{name}.docx"
        shutil.copyfile(document, target)
        inputs.append(str(target))
    environment = {**os.environ, **({"FONTCONFIG_FILE": str(fontconfig)} if fontconfig else {})}
    started = time.perf_counter()
    result = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(folder / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            *inputs,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env=environment,
    )
    seconds = time.perf_counter() - started
    pdfs = {name: folder / f"{name}.pdf" for name in documents}
    missing = [name for name, pdf in pdfs.items() if not pdf.is_file()]
    assert result.returncode == 0 and not missing, f"LibreOffice did not convert {missing}: {result.stderr}"
    return Conversion(pdfs, seconds, result.stderr)


@dataclass(frozen=True)
class Drawn:
    """One character LibreOffice drew: where, how big, in which font and which glyph of it."""

    page: int
    text: str
    font: str  # PostScript name without the subset prefix
    glyph: str  # glyph name in the embedded font; ".notdef" for a missing glyph
    x0: float
    x1: float
    top: float
    size: float


def _to_unicode(font) -> dict[int, str]:
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for source, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(source, 16)] = bytes.fromhex(target).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for first, last, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping[code] = chr(int(target, 16) + offset)
    return mapping


def _glyphs_by_code(font) -> dict[int, str]:
    """Code → glyph name, from the embedded Type 1 program's encoding or the TrueType subset's cmap."""
    descriptor = font["/FontDescriptor"].get_object()
    if "/FontFile" in descriptor:
        program = descriptor["/FontFile"].get_object().get_data().decode("latin-1")
        return {int(code): name for code, name in re.findall(r"dup (\d+) /(\S+) put", program)}
    program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_object().get_data()))
    glyphs: dict[int, str] = {}
    for table in program["cmap"].tables:
        for code, name in table.cmap.items():
            glyphs.setdefault(code & 0xFF, name)
    return glyphs


@cache
def _drawn(path: str, stamp: float) -> tuple[Drawn, ...]:
    reader = pypdf.PdfReader(path)
    glyph_names: dict[str, dict[str, str]] = {}
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            base = str(font["/BaseFont"]).lstrip("/")
            codes = _glyphs_by_code(font)
            glyph_names.setdefault(base, {}).update(
                {text: codes.get(code, ".notdef") for code, text in _to_unicode(font).items()}
            )
    drawn = []
    with pdfplumber.open(path) as pdf:
        for number, page in enumerate(pdf.pages, 1):
            for char in page.chars:
                base = char["fontname"]
                drawn.append(
                    Drawn(
                        number,
                        char["text"],
                        base.split("+", 1)[-1],
                        glyph_names[base].get(char["text"], ".notdef"),
                        char["x0"],
                        char["x1"],
                        char["top"],
                        round(char["size"], 2),
                    )
                )
    return tuple(drawn)


def drawn(path: Path) -> tuple[Drawn, ...]:
    return _drawn(str(path), path.stat().st_mtime)


@dataclass(frozen=True)
class Line:
    page: int
    top: float
    chars: tuple[Drawn, ...]

    @property
    def text(self) -> str:
        return "".join(char.text for char in self.chars)

    @property
    def x0(self) -> float:
        return self.chars[0].x0

    @property
    def x1(self) -> float:
        return self.chars[-1].x1


def lines(path: Path) -> list[Line]:
    """Runs of characters on one baseline, split where a gap wider than a character separates them
    (the two cells of a table row are two lines)."""
    by_row: dict[tuple[int, float], list[Drawn]] = {}
    for char in drawn(path):
        by_row.setdefault((char.page, round(char.top)), []).append(char)
    result = []
    for (page, _top), chars in sorted(by_row.items()):
        chars.sort(key=lambda char: char.x0)
        runs, current = [], [chars[0]]
        for char in chars[1:]:
            if char.x0 - current[-1].x1 > char.size:
                runs.append(current)
                current = []
            current.append(char)
        runs.append(current)
        result.extend(Line(page, min(char.top for char in run), tuple(run)) for run in runs)
    return result


_NOTO_CJK = re.compile(r"Noto(Serif|Sans)CJK[a-z]{2}-(\w+?)(-|$)")


@cache
def _simplified_cmap(font_name: str) -> dict[int, str] | None:
    """The Simplified-Chinese face's cmap for an embedded Noto CJK font. All faces of a Noto CJK
    collection share one glyph set under the Japanese face's name, so the name does not tell which
    face LibreOffice chose; the glyph of each character does."""
    match = _NOTO_CJK.match(font_name)
    if match is None:
        return None
    family, style = f"Noto {match.group(1)} CJK SC", match.group(2)
    face = next(face for face in installed_faces() if family in face.families and face.style == style)
    return TTFont(face.path, fontNumber=face.index, lazy=True).getBestCmap()


def face(font_name: str) -> str:
    """A short, stable name for an embedded font: NotoSerifCJK-Bold for NotoSerifCJKjp-Bold-VKana
    (LibreOffice appends the name of a font dictionary of the CID font), the name itself otherwise."""
    match = _NOTO_CJK.match(font_name)
    return f"Noto{match.group(1)}CJK-{match.group(2)}" if match else font_name


def cid(glyph: str) -> int | None:
    return int(glyph[3:]) if glyph.startswith("cid") else None


def not_simplified(path: Path) -> list[Drawn]:
    """Chinese characters drawn from a Noto CJK font with another region's glyph than the SC face's."""
    wrong = []
    for char in drawn(path):
        cmap = _simplified_cmap(char.font)
        if cmap is not None and char.text.strip() and cid(cmap.get(ord(char.text), "")) != cid(char.glyph):
            wrong.append(char)
    return wrong
