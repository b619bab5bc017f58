"""The Word summary through a real office suite: LibreOffice headless converts .docx to PDF, and these helpers read
back what it drew.

`python tests/office.py FOLDER` makes the summaries the office tests print, in a process of its own.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pdfplumber
import pypdf
from fontTools.ttLib import TTFont
from helpers import REPOSITORY_CONFIG, ROOT, SEED_ARTICLE, SEED_CONTENT

from pipeline.typeset.fonts import installed_faces
from pipeline.word.fonts import WORD_FONT_NAMES, fontconfig_aliases

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


def convert(
    documents: dict[str, Path], folder: Path, fontconfig: Path | None = None, env: dict[str, str] | None = None
) -> Conversion:
    """Convert .docx files to PDF in one LibreOffice run, with a private profile (parallel runs do
    not collide), in `env` (default: this process's environment) and, when given, a fontconfig
    configuration of its own."""
    if SOFFICE is None:
        raise AssertionError("LibreOffice (soffice) is not installed; `make test` installs libreoffice-writer-nogui")
    folder.mkdir(parents=True, exist_ok=True)
    inputs = []
    for name, document in documents.items():
        target = folder / f"{name}.docx"
        shutil.copyfile(document, target)
        inputs.append(str(target))
    environment = {
        **(os.environ if env is None else env),
        **({"FONTCONFIG_FILE": str(fontconfig)} if fontconfig else {}),
    }
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


# ---- the summaries the office tests print ----

REFERENCE = ROOT / "templates" / "reference.docx"
POINT_LENGTH = 81  # Chinese characters per key point of the long summary: three full lines
POINTS = 12
STRUCTURE = """<h1>结构示例</h1>
<h2>一、一级标题</h2>
<h3>（一）二级标题</h3>
<h4>1.三级标题</h4>
<p>正文中有<em>楷体强调</em>和<strong>黑体强调</strong>两处。</p>
<ol><li>第一张清单第一项</li><li>第一张清单第二项</li></ol>
<p>两张清单之间的正文。</p>
<ol><li>第二张清单第一项</li><li>第二张清单第二项</li></ol>
"""
SUMMARIES = ("seed", "long", "body14", "structure", "japanese")


def chinese_only(text: str) -> str:
    return "".join(char for char in text if unicodedata.category(char) == "Lo")


def long_content(folder: Path) -> Path:
    """The seed with twelve long key points, enough for three pages; each point is 81 Chinese
    characters of the seed article, without punctuation, so that every line is a full one."""
    article = chinese_only(SEED_ARTICLE.read_text(encoding="utf-8"))
    points = [article[index * POINT_LENGTH : (index + 1) * POINT_LENGTH] for index in range(POINTS)]
    seed = SEED_CONTENT.read_text(encoding="utf-8")
    before, rest = seed.split("\nsummary:\n", 1)
    after = rest.split("\nnotice:\n", 1)[1]
    summary = "summary:\n  lead: " + seed.split("  lead: ", 1)[1].split("\n", 1)[0] + "\n  points:\n"
    summary += "".join(f"    - {point}\n" for point in points)
    target = folder / "content" / "long.yaml"
    target.parent.mkdir(parents=True)
    target.write_text(before + "\n" + summary + "\nnotice:\n" + after, encoding="utf-8")
    return target


def summary_of(content: Path, **overrides: str) -> bytes:
    """The Word summary a build of `content` writes (made alone: the office tests print nothing else)."""
    from pipeline.artifacts import SUMMARY
    from pipeline.config import load_configuration
    from pipeline.content.model import load_publication
    from pipeline.publisher import Publisher

    configuration = load_configuration(content, overrides, REPOSITORY_CONFIG)  # named: never a gongwen.toml found here
    [summary] = Publisher(configuration).artifacts(load_publication(content), (SUMMARY,))
    return summary.data


def make_summaries(folder: Path) -> dict[str, Path]:
    """The .docx files the office suite prints: the seed's summary; a long one (three pages); the seed's made with a
    reference document whose Normal style is 14 pt (changed in Word's way); the headings, emphasis and lists of a
    structure sample; and the seed's marked Japanese as its East Asian language, which the glyph check must see."""
    import docx
    from docx.shared import Pt

    from pipeline.word.structure import read_structure
    from pipeline.word.writer import write_summary

    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.docx" for name in SUMMARIES}
    paths["seed"].write_bytes(summary_of(SEED_CONTENT))
    paths["long"].write_bytes(summary_of(long_content(folder / "long")))
    reference = docx.Document(str(REFERENCE))
    reference.styles["Normal"].font.size = Pt(14)
    smaller = folder / "reference-14pt.docx"
    reference.save(str(smaller))
    paths["body14"].write_bytes(summary_of(SEED_CONTENT, reference_doc=str(smaller)))
    paths["structure"].write_bytes(
        write_summary(
            read_structure(STRUCTURE, "structure"),
            REFERENCE,
            title="结构示例",
            author="组",
            created=datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC),
        )
    )
    japanese = docx.Document(str(paths["seed"]))
    for language in japanese.styles.element.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}lang"):
        language.set("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia", "ja-JP")
    japanese.save(str(paths["japanese"]))
    return paths


def print_summaries(folder: Path, env: dict[str, str]) -> tuple[dict[str, Path], dict[str, Conversion]]:
    """The summaries, made in a process of its own, and both LibreOffice runs over them, side by side: with the
    stand-ins' fontconfig file ("stand-ins": seed, long, body14, structure) and with the system's configuration
    alone ("plain": seed, japanese)."""
    made = subprocess.run(
        [sys.executable, __file__, str(folder / "summaries")], env=env, capture_output=True, text=True, timeout=300
    )
    assert made.returncode == 0, made.stderr
    summaries = {name: folder / "summaries" / f"{name}.docx" for name in SUMMARIES}
    configuration = fontconfig_file(folder / "fontconfig", fontconfig_aliases(WORD_FONT_NAMES))
    with ThreadPoolExecutor(2) as pool:
        stand_ins = {name: summaries[name] for name in ("seed", "long", "body14", "structure")}
        with_stand_ins = pool.submit(convert, stand_ins, folder / "pdf", configuration, env)
        plain = pool.submit(
            convert, {name: summaries[name] for name in ("seed", "japanese")}, folder / "plain", None, env
        )
        return summaries, {"stand-ins": with_stand_ins.result(), "plain": plain.result()}


if __name__ == "__main__":
    make_summaries(Path(sys.argv[1]))
