"""Builds the Word reference document: every style the summary uses, set to GB/T 9704, and the page setup.

Run `gongwen reference-doc templates/reference.docx` (or `make reference-doc`) to rebuild the
built-in one; the test suite checks that the committed file is what this module builds. Editors
may also start from the result and restyle it in Word, then point `reference_doc` at their copy.

Every style is rebuilt from nothing but its name, so nothing from python-docx's default template
survives to fight it: no theme fonts (which would show Japanese faces), no colours, no borders.
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from . import gbt9704
from .word import apply_page_numbers, apply_page_setup, fixed_zip, set_run_fonts

# Names of the standard faces, as installed on government Windows machines.
WORD_FONT_NAMES = {
    "title": "方正小标宋简体",
    "body": "仿宋_GB2312",
    "heading1": "黑体",
    "heading2": "楷体_GB2312",
    "page_number": "宋体",
    "latin": "Times New Roman",
}
_PITCH_TWIPS = round(28.95 * 20)   # exact line spacing of the 22-line grid, as Word templates set it
_CHAR_TWIPS = 16 * 20


@dataclass(frozen=True)
class StyleSpec:
    name: str
    kind: str = "paragraph"          # paragraph | character
    role: str | None = "body"
    size: float | None = gbt9704.BODY_SIZE
    align: str | None = "both"       # both = justified
    first_line_chars: int = 0
    right_chars: int = 0
    before_lines: int = 0
    after_lines: int = 0
    outline: int | None = None
    keep_next: bool = False
    based_on: str | None = "Normal"
    next_style: str | None = None
    keep_numbering: bool = False
    exact_pitch: bool = True


STYLES = (
    StyleSpec("Normal", first_line_chars=2, based_on=None),
    StyleSpec("Title", role="title", size=gbt9704.TITLE_SIZE, align="center", after_lines=1, next_style="Normal"),
    StyleSpec("Heading 1", role="heading1", first_line_chars=2, outline=0, keep_next=True, next_style="Normal"),
    StyleSpec("Heading 2", role="heading2", first_line_chars=2, outline=1, keep_next=True, next_style="Normal"),
    StyleSpec("List Number", first_line_chars=2, keep_numbering=True),
    StyleSpec("List Bullet", first_line_chars=2, keep_numbering=True),
    StyleSpec("Signature", align="right", right_chars=4, before_lines=1, keep_next=True),
    StyleSpec("Date", align="right", right_chars=2),
    StyleSpec("Note", first_line_chars=2),
    StyleSpec("Table Heading", role="heading1", align="center", exact_pitch=False),
    StyleSpec("Table Text", align="left", exact_pitch=False),
    StyleSpec("Footer", role="page_number", size=gbt9704.PAGE_NUMBER_SIZE, align=None, exact_pitch=False),
    StyleSpec("Emphasis", kind="character", role="heading2", size=None, align=None, based_on=None),
    StyleSpec("Strong", kind="character", role="heading1", size=None, align=None, based_on=None),
)
TABLE_STYLE = "Facts Table"


def _child(parent, tag: str):
    element = parent.find(qn(tag))
    if element is None:
        element = OxmlElement(tag)
        parent.append(element)
    return element


def _reset(style_element, keep_numbering: bool):
    """Drop everything but the style's identity (and its list numbering when asked)."""
    numbering = None
    for child in list(style_element):
        tag = child.tag
        if tag == qn("w:pPr") and keep_numbering:
            numbering = child.find(qn("w:numPr"))
        if tag not in (qn("w:name"), qn("w:qFormat"), qn("w:uiPriority"), qn("w:unhideWhenUsed")):
            style_element.remove(child)
    return numbering


def _apply(document, spec: StyleSpec, names: dict[str, str]) -> None:
    kind = WD_STYLE_TYPE.CHARACTER if spec.kind == "character" else WD_STYLE_TYPE.PARAGRAPH
    try:
        style = document.styles[spec.name]
    except KeyError:
        style = document.styles.add_style(spec.name, kind)
    element = style.element
    numbering = _reset(element, spec.keep_numbering)
    if spec.based_on:
        based = OxmlElement("w:basedOn")
        based.set(qn("w:val"), document.styles[spec.based_on].style_id)
        element.insert(1, based)
    if spec.next_style:
        following = OxmlElement("w:next")
        following.set(qn("w:val"), document.styles[spec.next_style].style_id)
        element.append(following)
    if spec.kind == "paragraph":
        element.append(_paragraph_properties(spec, numbering))
    rpr = OxmlElement("w:rPr")
    element.append(rpr)
    if spec.role:
        set_run_fonts(rpr, names[spec.role], names["latin"])
    for tag in ("w:b", "w:bCs", "w:i", "w:iCs"):
        off = OxmlElement(tag)
        off.set(qn("w:val"), "0")
        rpr.append(off)
    color = OxmlElement("w:color")
    color.set(qn("w:val"), "000000")
    rpr.append(color)
    if spec.size:
        for tag in ("w:sz", "w:szCs"):
            size = OxmlElement(tag)
            size.set(qn("w:val"), str(round(spec.size * 2)))
            rpr.append(size)
    _order_run_properties(rpr)


# CT_RPr is a sequence: children must appear in schema order for Word to accept the file.
_RPR_ORDER = ["w:rStyle", "w:rFonts", "w:b", "w:bCs", "w:i", "w:iCs", "w:color", "w:sz", "w:szCs", "w:lang"]
_PPR_ORDER = ["w:pStyle", "w:keepNext", "w:keepLines", "w:numPr", "w:spacing", "w:ind", "w:jc", "w:outlineLvl"]


def _order_run_properties(rpr) -> None:
    children = sorted(rpr, key=lambda child: _RPR_ORDER.index(child.tag.replace(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}", "w:")))
    for child in children:
        rpr.append(child)


def _paragraph_properties(spec: StyleSpec, numbering):
    ppr = OxmlElement("w:pPr")
    if spec.keep_next:
        ppr.append(OxmlElement("w:keepNext"))
    if numbering is not None:
        ppr.append(numbering)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:before"), str(spec.before_lines * _PITCH_TWIPS))
    spacing.set(qn("w:after"), str(spec.after_lines * _PITCH_TWIPS))
    if spec.exact_pitch:
        spacing.set(qn("w:line"), str(_PITCH_TWIPS))
        spacing.set(qn("w:lineRule"), "exact")
    else:
        spacing.set(qn("w:line"), "240")
        spacing.set(qn("w:lineRule"), "auto")
    ppr.append(spacing)
    indent = OxmlElement("w:ind")
    indent.set(qn("w:firstLineChars"), str(spec.first_line_chars * 100))
    indent.set(qn("w:firstLine"), str(spec.first_line_chars * _CHAR_TWIPS))
    if spec.right_chars:
        indent.set(qn("w:rightChars"), str(spec.right_chars * 100))
        indent.set(qn("w:right"), str(spec.right_chars * _CHAR_TWIPS))
    ppr.append(indent)
    if spec.align:
        justification = OxmlElement("w:jc")
        justification.set(qn("w:val"), spec.align)
        ppr.append(justification)
    if spec.outline is not None:
        outline = OxmlElement("w:outlineLvl")
        outline.set(qn("w:val"), str(spec.outline))
        ppr.append(outline)
    return ppr


def _table_style(document, names: dict[str, str]) -> None:
    try:
        style = document.styles[TABLE_STYLE]
    except KeyError:
        style = document.styles.add_style(TABLE_STYLE, WD_STYLE_TYPE.TABLE)
    element = style.element
    _reset(element, False)
    based = OxmlElement("w:basedOn")
    based.set(qn("w:val"), document.styles["Normal Table"].style_id)
    element.insert(1, based)
    properties = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        border = OxmlElement(f"w:{side}")
        border.set(qn("w:val"), "single")
        border.set(qn("w:sz"), "4")
        border.set(qn("w:space"), "0")
        border.set(qn("w:color"), "000000")
        borders.append(border)
    properties.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side, width in (("left", 108), ("right", 108)):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(width))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    properties.append(margins)
    element.append(properties)


def _defaults(document, names: dict[str, str]) -> None:
    """Document defaults: Chinese text in the body face, never the theme's (Japanese) one."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    rpr = _child(_child(defaults, "w:rPrDefault"), "w:rPr")
    set_run_fonts(rpr, names["body"], names["latin"])
    for tag in ("w:sz", "w:szCs"):
        _child(rpr, tag).set(qn("w:val"), str(round(gbt9704.BODY_SIZE * 2)))
    _child(rpr, "w:lang").set(qn("w:val"), "en-US")
    for child in list(rpr):
        if child.tag in (qn("w:sz"), qn("w:szCs")):
            rpr.remove(child)
            rpr.append(child)
    _order_run_properties(rpr)
    settings = document.settings.element
    theme_language = settings.find(qn("w:themeFontLang"))
    if theme_language is not None:
        theme_language.set(qn("w:eastAsia"), "zh-CN")


def _unlink_character_twins(document) -> None:
    """python-docx's template links headings to 'Heading 1 Char' and the like, which carry theme
    fonts; Word applies them to partly formatted text. The link goes, and the twins with it."""
    for style in list(document.styles):
        link = style.element.find(qn("w:link"))
        if link is not None:
            style.element.remove(link)
    for style in list(document.styles):
        if style.type == WD_STYLE_TYPE.CHARACTER and style.name.endswith(" Char"):
            style.element.getparent().remove(style.element)


def build_reference(names: dict[str, str] | None = None, one_sided: bool = False) -> bytes:
    """The reference document's bytes; the same names always give the same bytes."""
    names = {**WORD_FONT_NAMES, **(names or {})}
    document = docx.Document()
    _unlink_character_twins(document)
    _defaults(document, names)
    for spec in STYLES:
        _apply(document, spec, names)
    _table_style(document, names)
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    apply_page_setup(document, one_sided)
    apply_page_numbers(document)
    properties = document.core_properties
    properties.title = "gongwen reference document"
    properties.author = "gongwen"
    properties.last_modified_by = "gongwen"
    properties.language = "zh-CN"
    properties.created = properties.modified = datetime.datetime(2015, 1, 1, tzinfo=datetime.timezone.utc)
    properties.revision = 1
    buffer = io.BytesIO()
    document.save(buffer)
    return fixed_zip(buffer.getvalue())


def write_reference(path: Path, names: dict[str, str] | None = None) -> None:
    path.write_bytes(build_reference(names))
