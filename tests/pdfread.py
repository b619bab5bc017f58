"""Reading produced PDFs back: text, glyph positions, embedded faces and the glyphs actually drawn."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import pdfplumber
import pypdf
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont
from pypdf.generic import ContentStream

MM = 72 / 25.4
PAGE_HEIGHT = 297 * MM
TYPE_TOP = 37 * MM
TYPE_BOTTOM = (37 + 225) * MM


@lru_cache(maxsize=64)
def _pages(path: str, stamp: float) -> list[list[dict]]:
    with pdfplumber.open(path) as pdf:
        return [[dict(char) for char in page.chars] for page in pdf.pages]


@lru_cache(maxsize=64)
def _rules(path: str, stamp: float) -> list[list[dict]]:
    with pdfplumber.open(path) as pdf:
        return [[dict(rect) for rect in page.rects if rect["width"] > 400] for page in pdf.pages]


def rules(path: Path) -> list[list[dict]]:
    """Rectangles nearly as wide as the type area (the rules of 版头, 报头 and 版记) on every page, top to bottom."""
    return [sorted(page, key=lambda rect: rect["top"]) for page in _rules(str(path), path.stat().st_mtime)]


def chars(path: Path) -> list[list[dict]]:
    """Characters of every page, as pdfplumber reports them (x0, x1, top, bottom, size, fontname, text)."""
    return _pages(str(path), path.stat().st_mtime)


def type_area_text(path: Path) -> str:
    """All text drawn inside the type area (page numbers excluded), in reading order, without white space."""
    pieces = []
    for page in chars(path):
        inside = [char for char in page if char["top"] >= TYPE_TOP - 5 and char["bottom"] <= TYPE_BOTTOM + 5]
        inside.sort(key=lambda char: (round(char["top"], 0), char["x0"]))
        pieces.append("".join(char["text"] for char in inside))
    return re.sub(r"\s+", "", "".join(pieces))


def comparable(text: str) -> str:
    """Text with punctuation width and white space ignored (NFKC folds full-width forms)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def page_count(path: Path) -> int:
    return len(pypdf.PdfReader(str(path)).pages)


@dataclass(frozen=True)
class EmbeddedFace:
    resource: str  # the PDF's font name, e.g. ABCDEF+gongwen-body
    family: str  # name ID 1 of the embedded font program
    postscript: str  # name ID 6
    program: bytes


def embedded_faces(path: Path) -> list[EmbeddedFace]:
    faces = {}
    reader = pypdf.PdfReader(str(path))
    for page in reader.pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            font = font.get_object()
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            stream = descriptor.get("/FontFile3") or descriptor.get("/FontFile2")
            program = stream.get_object().get_data()
            ttfont = TTFont(io.BytesIO(program))
            name = ttfont["name"]
            faces[str(font["/BaseFont"])] = EmbeddedFace(
                str(font["/BaseFont"]).lstrip("/"), name.getDebugName(1) or "", name.getDebugName(6) or "", program
            )
    return list(faces.values())


def _to_unicode(font) -> dict[int, str]:
    mapping: dict[int, str] = {}
    stream = font.get("/ToUnicode")
    if stream is None:
        return mapping
    data = stream.get_object().get_data().decode("latin-1")
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.S):
        for source, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(source, 16)] = bytes.fromhex(target).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.S):
        for first, last, target in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            start = int(target, 16)
            for offset, code in enumerate(range(int(first, 16), int(last, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def drawn_glyphs(path: Path) -> list[tuple[str, int, str]]:
    """(font name, glyph id, text) of every glyph drawn, read from the page content streams."""
    reader = pypdf.PdfReader(str(path))
    result = []
    for page in reader.pages:
        resources = page["/Resources"].get("/Font") or {}
        unicode_maps = {name: _to_unicode(font.get_object()) for name, font in resources.items()}
        base_names = {name: str(font.get_object()["/BaseFont"]).lstrip("/") for name, font in resources.items()}
        current = None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"Tf":
                current = operands[0]
            elif operator in (b"Tj", b"TJ"):
                strings = operands[0] if operator == b"TJ" else [operands[0]]
                for item in strings:
                    if isinstance(item, (bytes, pypdf.generic.ByteStringObject, pypdf.generic.TextStringObject)):
                        raw = item.original_bytes if hasattr(item, "original_bytes") else bytes(item)
                        for index in range(0, len(raw) - 1, 2):
                            glyph = int.from_bytes(raw[index : index + 2], "big")
                            result.append((base_names[current], glyph, unicode_maps[current].get(glyph, "")))
    return result


def missing_glyphs(path: Path) -> list[tuple[str, int, str]]:
    """Glyphs drawn as .notdef or without an outline although their text is not white space."""
    programs = {face.resource: TTFont(io.BytesIO(face.program)) for face in embedded_faces(path)}
    missing = []
    for font_name, glyph, text in drawn_glyphs(path):
        if text.isspace():
            continue
        font = programs[font_name]
        order = font.getGlyphOrder()
        if glyph == 0 or glyph >= len(order):
            missing.append((font_name, glyph, text))
            continue
        pen = BoundsPen(font.getGlyphSet())
        font.getGlyphSet()[order[glyph]].draw(pen)
        if pen.bounds is None:
            missing.append((font_name, glyph, text))
    return missing


def decompressed_streams(path: Path) -> list[bytes]:
    """Every stream of the file, decompressed: page contents, fonts, images, attachments, metadata."""
    reader = pypdf.PdfReader(str(path))
    streams = []
    for number in range(1, int(reader.trailer["/Size"])):
        try:
            item = reader.get_object(number)
        except Exception:  # noqa: BLE001 — free entries of the cross-reference table, in whatever way pypdf fails
            continue
        if isinstance(item, pypdf.generic.StreamObject):
            streams.append(item.get_data())
    return streams


def attachments(path: Path) -> dict[str, list[bytes]]:
    return dict(pypdf.PdfReader(str(path)).attachments)
