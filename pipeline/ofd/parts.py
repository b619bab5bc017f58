"""Stage 4, write (OFD): the XML parts of a GB/T 33190-2016 package, written as text from laid-out pages.

One function per part: `OFD.xml` (entry, document information), `Document.xml` (page area, pages,
outline, custom tags), `PublicRes.xml` (colour space, fonts), one `Content.xml` per page (text and
path objects), and the custom tags that name the parts of the official document. Lengths in OFD are
millimetres from the top-left corner of the page, y downwards — as the laid-out pages, in points.
Each text run becomes one text object with one `TextCode`: its characters and, in `DeltaX`, the
distance from each character to the next, exactly as laid out (letter-spacing, the grid, hanging
punctuation); a character drawn with another glyph than the font's character map gives gets a
`CGTransform` naming the glyph.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from ..pdf.pages import Color, GlyphRun, LaidOutPage, Rectangle
from .semantics import Part

NAMESPACE = "http://www.ofdspec.org/2016"
"""The namespace of GB/T 33190-2016's schemas."""

OFD_VERSION = "1.0"
"""`OFD/@Version`: the standard fixes it at 1.0."""

TAGS_NAMESPACE = "urn:gongwen:gbt9704:parts:1"
"""Namespace of gongwen's custom tags (GB/T 33190 clause 16 leaves the tag vocabulary to the producer)."""

MM_PER_PT = 25.4 / 72

DECIMALS = 3
"""Millimetres to the micrometre: 0.003 pt, far below a pixel at any viewing size."""

ASCENT = 1.1
DESCENT = 0.35
"""Bounding box of a text object, in ems above and below the baseline: room for the ink of CJK and Latin faces
(readers may clip to `Boundary`)."""

NORMAL_WEIGHT = 400
"""`TextObject/@Weight`'s default; other weights are written: readers drawing with installed faces pick the bold."""

_HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'


def mm(points: float) -> str:
    """A length in points as OFD's millimetres, shortest form (no trailing zeros, no negative zero)."""
    text = f"{points * MM_PER_PT:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _color(color: Color) -> str:
    red, green, blue, alpha = (round(value * 255) for value in color)
    alpha_attribute = f' Alpha="{alpha}"' if alpha < 255 else ""
    return f'Value="{red} {green} {blue}"{alpha_attribute}'


def _element(name: str, text: str) -> str:
    return f"<ofd:{name}>{escape(text)}</ofd:{name}>"


@dataclass(frozen=True)
class DocumentInfo:
    """What `DocInfo` says of the document."""

    doc_id: str
    title: str
    author: str
    created: str  # xs:date, YYYY-MM-DD
    creator: str
    creator_version: str
    custom: tuple[tuple[str, str], ...]  # (name, value) of each CustomData


def ofd_xml(info: DocumentInfo, doc_root: str) -> str:
    custom = "".join(
        f"<ofd:CustomData Name={quoteattr(name)}>{escape(value)}</ofd:CustomData>" for name, value in info.custom
    )
    return (
        f'{_HEADER}<ofd:OFD xmlns:ofd="{NAMESPACE}" Version="{OFD_VERSION}" DocType="OFD"><ofd:DocBody><ofd:DocInfo>'
        + _element("DocID", info.doc_id)
        + _element("Title", info.title)
        + _element("Author", info.author)
        + _element("CreationDate", info.created)
        + _element("ModDate", info.created)
        + _element("DocUsage", "Normal")
        + _element("Creator", info.creator)
        + _element("CreatorVersion", info.creator_version)
        + (f"<ofd:CustomDatas>{custom}</ofd:CustomDatas>" if custom else "")
        + f"</ofd:DocInfo>{_element('DocRoot', doc_root)}</ofd:DocBody></ofd:OFD>"
    )


@dataclass(frozen=True)
class Outline:
    title: str
    page_id: int
    top: float  # points
    children: tuple[Outline, ...] = ()


def _outline(entry: Outline) -> str:
    children = "".join(_outline(child) for child in entry.children)
    return (
        f'<ofd:OutlineElem Title={quoteattr(entry.title)}><ofd:Actions><ofd:Action Event="CLICK"><ofd:Goto>'
        f'<ofd:Dest Type="XYZ" PageID="{entry.page_id}" Left="0" Top="{mm(entry.top)}"/>'
        f"</ofd:Goto></ofd:Action></ofd:Actions>{children}</ofd:OutlineElem>"
    )


def document_xml(
    *,
    max_unit_id: int,
    page_box: tuple[float, float],
    public_res: str,
    default_color_space: int,
    pages: Iterable[tuple[int, str]],
    outlines: Iterable[Outline],
    custom_tags: str | None,
) -> str:
    width, height = page_box
    page_list = "".join(f'<ofd:Page ID="{page_id}" BaseLoc="{location}"/>' for page_id, location in pages)
    outline = "".join(_outline(entry) for entry in outlines)
    return (
        f'{_HEADER}<ofd:Document xmlns:ofd="{NAMESPACE}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>{max_unit_id}</ofd:MaxUnitID>"
        f"<ofd:PageArea><ofd:PhysicalBox>0 0 {mm(width)} {mm(height)}</ofd:PhysicalBox></ofd:PageArea>"
        f"{_element('PublicRes', public_res)}<ofd:DefaultCS>{default_color_space}</ofd:DefaultCS></ofd:CommonData>"
        f"<ofd:Pages>{page_list}</ofd:Pages>"
        + (f"<ofd:Outlines>{outline}</ofd:Outlines>" if outline else "")
        + (_element("CustomTags", custom_tags) if custom_tags else "")
        + "</ofd:Document>"
    )


@dataclass(frozen=True)
class FontResource:
    id: int
    font_name: str  # PostScript name
    family: str
    bold: bool
    italic: bool
    file: str  # relative to the resource folder


def public_res_xml(base: str, color_space: int, fonts: Iterable[FontResource]) -> str:
    font_list = "".join(
        f'<ofd:Font ID="{font.id}" FontName={quoteattr(font.font_name)} FamilyName={quoteattr(font.family)}'
        + (' Bold="true"' if font.bold else "")
        + (' Italic="true"' if font.italic else "")
        + f">{_element('FontFile', font.file)}</ofd:Font>"
        for font in fonts
    )
    return (
        f'{_HEADER}<ofd:Res xmlns:ofd="{NAMESPACE}" BaseLoc={quoteattr(base)}>'
        f'<ofd:ColorSpaces><ofd:ColorSpace ID="{color_space}" Type="RGB" BitsPerComponent="8"/></ofd:ColorSpaces>'
        f"<ofd:Fonts>{font_list}</ofd:Fonts></ofd:Res>"
    )


def delta_x(advances: list[float]) -> str:
    """`DeltaX` with runs of equal values written `g N value` (GB/T 33190 table 46), which grid lines are full of."""
    values = [mm(advance) for advance in advances]
    pieces: list[str] = []
    index = 0
    while index < len(values):
        end = index
        while end < len(values) and values[end] == values[index]:
            end += 1
        count = end - index
        pieces.append(f"g {count} {values[index]}" if count > 2 else " ".join(values[index:end]))
        index = end
    return " ".join(pieces)


@dataclass(frozen=True)
class TextCodes:
    """A run as OFD text: its characters, the glyph substitutions, the position of its first character."""

    text: str
    transforms: tuple[tuple[int, int, tuple[int, ...]], ...]  # (first character, characters, glyphs)
    deltas: list[float]  # points, one fewer than the characters
    lead: float  # points from the run's origin to the first drawn character


def text_codes(run: GlyphRun, nominal_glyph: Callable[[str], int | None]) -> TextCodes | None:
    """The run's clusters as characters and deltas; white space at either end is left out (its advance kept)."""
    clusters = list(run.clusters)
    lead = 0.0
    while clusters and not clusters[0].text.strip():
        lead += clusters.pop(0).advance
    while clusters and not clusters[-1].text.strip():
        clusters.pop()
    if not clusters:
        return None
    text: list[str] = []
    transforms: list[tuple[int, int, tuple[int, ...]]] = []
    deltas: list[float] = []
    for cluster in clusters:
        characters = list(cluster.text)
        if len(characters) != 1 or len(cluster.glyphs) != 1 or nominal_glyph(characters[0]) != cluster.glyphs[0]:
            transforms.append((len(text), len(characters), cluster.glyphs))
        text.extend(characters)
        deltas.extend([0.0] * (len(characters) - 1) + [cluster.advance])
    return TextCodes("".join(text), tuple(transforms), deltas[:-1], lead)


def content_xml(
    page: LaidOutPage,
    layer_id: int,
    object_ids: Iterable[int],
    font_ids: dict[str, int],
    nominal_glyphs: dict[str, Callable[[str], int | None]],
    weights: dict[str, int],
) -> str:
    """One page: a body layer holding a path object per rectangle and a text object per run, in painting order."""
    ids = iter(object_ids)
    objects: list[str] = []
    for mark in page.marks:
        if isinstance(mark, Rectangle):
            objects.append(_path_object(next(ids), mark))
        else:
            codes = text_codes(mark, nominal_glyphs[mark.font])
            text = _text_object(next(ids), mark, font_ids[mark.font], weights[mark.font], codes) if codes else ""
            objects.append(text)
    return (
        f'{_HEADER}<ofd:Page xmlns:ofd="{NAMESPACE}"><ofd:Content><ofd:Layer ID="{layer_id}" Type="Body">'
        + "".join(objects)
        + "</ofd:Layer></ofd:Content></ofd:Page>"
    )


def _path_object(object_id: int, rectangle: Rectangle) -> str:
    width, height = mm(rectangle.width), mm(rectangle.height)
    return (
        f'<ofd:PathObject ID="{object_id}" Boundary="{mm(rectangle.x)} {mm(rectangle.y)} {width} {height}" '
        f'Stroke="false" Fill="true"><ofd:FillColor {_color(rectangle.color)}/>'
        f"<ofd:AbbreviatedData>M 0 0 L {width} 0 L {width} {height} L 0 {height} C</ofd:AbbreviatedData>"
        "</ofd:PathObject>"
    )


def _text_object(object_id: int, run: GlyphRun, font_id: int, weight: int, codes: TextCodes) -> str:
    """The run's boundary starts at its origin; the text's baseline lies `ASCENT` ems below the boundary's top."""
    top = run.baseline - ASCENT * run.size
    width = run.width + run.size  # room for a hanging mark's ink past the last advance
    height = (ASCENT + DESCENT) * run.size
    transforms = "".join(
        f'<ofd:CGTransform CodePosition="{position}" CodeCount="{count}" GlyphCount="{len(glyphs)}">'
        + (f"<ofd:Glyphs>{' '.join(map(str, glyphs))}</ofd:Glyphs>" if glyphs else "")
        + "</ofd:CGTransform>"
        for position, count, glyphs in codes.transforms
    )
    deltas = f' DeltaX="{delta_x(codes.deltas)}"' if codes.deltas else ""
    return (
        f'<ofd:TextObject ID="{object_id}" Boundary="{mm(run.x)} {mm(top)} {mm(width)} {mm(height)}" '
        f'Font="{font_id}" Size="{mm(run.size)}"'
        + (f' Weight="{weight}"' if weight != NORMAL_WEIGHT else "")
        + f"><ofd:FillColor {_color(run.color)}/>{transforms}"
        f'<ofd:TextCode X="{mm(codes.lead)}" Y="{mm(ASCENT * run.size)}"{deltas}>{escape(codes.text)}</ofd:TextCode>'
        "</ofd:TextObject>"
    )


def custom_tags_xml(tag_file: str) -> str:
    return (
        f'{_HEADER}<ofd:CustomTags xmlns:ofd="{NAMESPACE}"><ofd:CustomTag NameSpace="{TAGS_NAMESPACE}">'
        f"{_element('FileLoc', tag_file)}</ofd:CustomTag></ofd:CustomTags>"
    )


def tags_xml(
    root: str, parts: Iterable[Part], object_id: Callable[[int, int], int], page_id: Callable[[int], int]
) -> str:
    """The custom tag file: one element per part, holding an `ObjectRef` to each text object that prints it."""
    elements = []
    for part in parts:
        refs = "".join(
            f'<ofd:ObjectRef PageRef="{page_id(ref.page)}">{object_id(ref.page, ref.run)}</ofd:ObjectRef>'
            for ref in part.runs
        )
        elements.append(f"<gw:{part.tag}>{refs}</gw:{part.tag}>")
    return f'{_HEADER}<gw:{root} xmlns:gw="{TAGS_NAMESPACE}" xmlns:ofd="{NAMESPACE}">{"".join(elements)}</gw:{root}>'
