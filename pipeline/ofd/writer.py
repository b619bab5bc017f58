"""Stage 4, write (OFD): laid-out pages into the bytes of an OFD package (GB/T 33190-2016), in memory.

Package layout (the standard leaves names and folders to the producer):

    OFD.xml                          entry: DocInfo (title, author, dates, DocID) and DocRoot
    Doc_0/Document.xml               A4 page area, pages, outline, custom tags
    Doc_0/PublicRes.xml              the RGB colour space and the fonts
    Doc_0/Res/font_<ID>.otf|.ttf     each font program the pages draw with, as the PDF engine embedded it
    Doc_0/Pages/Page_<n>/Content.xml one body layer per page
    Doc_0/Tags/CustomTags.xml        the custom tag list, and Doc_0/Tags/Parts.xml the tags themselves

Identifiers are numbered in one sequence (colour space, fonts, pages, layers, objects), so the same
pages give the same package. Zip entries go in the order above with a fixed time; the document ID
is derived from everything else in the package, so identical documents share it and any change of
page, font or metadata changes it. No clock is read: dates come from the caller.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import uharfbuzz as hb

from .. import __version__
from ..pdf.pages import GlyphRun, LaidOutDocument
from . import fonts as font_programs
from . import parts as xml
from .semantics import TAGS, Fields, Part, RunRef, document_parts

FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
"""Zip entries carry a time; the earliest a zip can hold keeps the bytes independent of the clock."""

COMPRESS_LEVEL = 6
"""zlib's default: level 9 made the seed's briefing package 0.15 % smaller and its writing slower (median
44 ms, not 31)."""

DOC_ROOT = "Doc_0/Document.xml"
PUBLIC_RES = "PublicRes.xml"
RESOURCE_FOLDER = "Res"
TAG_LIST = "Tags/CustomTags.xml"
TAG_FILE = "Parts.xml"  # relative to the tag list's folder
TAG_ROOT = "公文"


@dataclass(frozen=True)
class Metadata:
    """What the package says about the document, beside its pages."""

    title: str
    author: str
    created: str  # ISO 8601 timestamp; its date goes into DocInfo
    number: str | None = None  # 发文字号, also kept as CustomData


def write_ofd(document: LaidOutDocument, metadata: Metadata, fields: Fields) -> bytes:
    """The OFD package of a laid-out document."""
    ids = _Ids()
    color_space = ids.next()
    fonts = {key: ids.next() for key in document.fonts}
    page_ids = [ids.next() for _ in document.pages]
    layer_ids: list[int] = []
    object_ids: list[list[int]] = []
    for page in document.pages:
        layer_ids.append(ids.next())
        object_ids.append([ids.next() for _ in page.marks])

    entries: dict[str, bytes] = {}
    nominal = {key: _nominal_glyphs(program.data) for key, program in document.fonts.items()}
    weights = {key: program.weight for key, program in document.fonts.items()}
    resources = []
    font_files: dict[str, bytes] = {}
    used = font_programs.drawn(document)
    for key, program in document.fonts.items():
        name = f"font_{fonts[key]}.{'otf' if program.data[:4] == b'OTTO' else 'ttf'}"
        font_files[f"Doc_0/{RESOURCE_FOLDER}/{name}"] = font_programs.cut(program.data, *used[key])
        resources.append(
            xml.FontResource(
                fonts[key], program.postscript, program.family, program.weight >= 600, program.italic, name
            )
        )
    pages = []
    for index, page in enumerate(document.pages):
        location = f"Pages/Page_{index}/Content.xml"
        pages.append((page_ids[index], location))
        entries[f"Doc_0/{location}"] = xml.content_xml(
            page, layer_ids[index], object_ids[index], fonts, nominal, weights
        ).encode()

    found = document_parts(document, fields)
    tag_list = None
    if found:
        tag_list = TAG_LIST
        entries[f"Doc_0/{TAG_LIST}"] = xml.custom_tags_xml(TAG_FILE).encode()
        entries[f"Doc_0/Tags/{TAG_FILE}"] = xml.tags_xml(
            TAG_ROOT, found, lambda page, run: object_ids[page][run], lambda page: page_ids[page]
        ).encode()
    outlines = _outlines(document, found, page_ids)

    entries[f"Doc_0/{PUBLIC_RES}"] = xml.public_res_xml(RESOURCE_FOLDER, color_space, resources).encode()
    entries[DOC_ROOT] = xml.document_xml(
        max_unit_id=ids.last,
        page_box=(document.pages[0].width, document.pages[0].height),
        public_res=PUBLIC_RES,
        default_color_space=color_space,
        pages=pages,
        outlines=outlines,
        custom_tags=tag_list,
    ).encode()
    entries.update(font_files)

    digest = hashlib.sha256()
    for name in sorted(entries):
        digest.update(name.encode() + b"\0" + hashlib.sha256(entries[name]).digest())
    info = xml.DocumentInfo(
        doc_id=_doc_id(digest.digest(), metadata),
        title=metadata.title,
        author=metadata.author,
        created=metadata.created[:10],
        creator="gongwen",
        creator_version=__version__,
        custom=(("发文字号", metadata.number),) if metadata.number else (),
    )
    entries = {"OFD.xml": xml.ofd_xml(info, DOC_ROOT).encode(), **_ordered(entries)}
    return _zip(entries)


def _doc_id(pages_digest: bytes, metadata: Metadata) -> str:
    """32 hexadecimal digits, as the standard's UUID-style identifier; from the package's content and metadata."""
    digest = hashlib.sha256(pages_digest)
    for value in (metadata.title, metadata.author, metadata.created, metadata.number or ""):
        digest.update(b"\0" + value.encode())
    return digest.hexdigest()[:32]


def _ordered(entries: dict[str, bytes]) -> dict[str, bytes]:
    """Document, resources, pages in page order, tags, fonts: readers meet the parts in the order they need them."""

    def rank(name: str) -> tuple[int, int, str]:
        if name == DOC_ROOT:
            return (0, 0, name)
        if name.endswith(PUBLIC_RES):
            return (1, 0, name)
        if "/Pages/Page_" in name:
            return (2, int(name.split("/Pages/Page_")[1].split("/")[0]), name)
        if "/Tags/" in name:
            return (3, 0, name)
        return (4, 0, name)

    return {name: entries[name] for name in sorted(entries, key=rank)}


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data, compresslevel=COMPRESS_LEVEL)
    return out.getvalue()


def _nominal_glyphs(data: bytes) -> Callable[[str], int | None]:
    """The glyph a font's character map gives each character: where the drawn glyph differs, OFD must name it."""
    font = hb.Font(hb.Face(data))
    cache: dict[str, int | None] = {}

    def nominal(character: str) -> int | None:
        if character not in cache:
            cache[character] = font.get_nominal_glyph(ord(character))
        return cache[character]

    return nominal


def _outlines(document: LaidOutDocument, found: list[Part], page_ids: list[int]) -> list[xml.Outline]:
    """The title, with the level-1 headings under it: a document system's table of contents."""
    title = next((part for part in found if part.tag == TAGS["title"]), None)
    if title is None:
        return []
    headings = [
        xml.Outline(part.text, page_ids[part.runs[0].page], _top(document, part.runs[0]))
        for part in found
        if part.tag == TAGS["heading"]
    ]
    return [xml.Outline(title.text, page_ids[title.runs[0].page], _top(document, title.runs[0]), tuple(headings))]


def _top(document: LaidOutDocument, ref: RunRef) -> float:
    run = document.pages[ref.page].marks[ref.run]
    assert isinstance(run, GlyphRun), "parts are made of text runs"
    return max(0.0, run.baseline - run.size * xml.ASCENT)


class _Ids:
    """One sequence of identifiers for the whole package (ST_ID: unsigned, unique in the document)."""

    def __init__(self) -> None:
        self.last = 0

    def next(self) -> int:
        self.last += 1
        return self.last
