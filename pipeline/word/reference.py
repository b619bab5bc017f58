"""Stage 4, write (Word): builds the reference document — every style the summary uses, set to GB/T 9704, and the
page setup.

Run `gongwen reference-doc templates/reference.docx` (or `make reference-doc`) to rebuild the
built-in one; the test suite checks that the committed file is what this module builds. Editors
may also start from the result and restyle it in Word, then point `reference_doc` at their copy.

Every style is written from nothing but its name, in the order Word's schema wants, so nothing of
python-docx's default template survives to fight it: no theme fonts (which show Japanese faces),
no colours, no borders, none of its sixty table styles. Faces are named per role (`word_fonts`);
a style that names no face inherits Normal's, so changing the body face or size in Normal changes
every body paragraph and nothing else.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

from ..typeset import gbt9704
from .fonts import WORD_FONT_NAMES
from .structure import LIST_STYLES, TABLE_STYLE
from .writer import (
    CHARACTER_TWIPS,
    CHINESE_NAMES,
    EVEN_FOOTER_STYLE,
    FOOTER_STYLE,
    LINE_PITCH_TWIPS,
    PAGE_NUMBER_INDENT_TWIPS,
    SIGNATURE_RIGHT_CHARS,
    TABLE_CELL_MARGIN_TWIPS,
    TWIPS_PER_POINT,
    apply_font_names,
    apply_page_numbers,
    apply_page_setup,
    package_bytes,
)

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

# Body characters drawn on the 28-cell grid: the cell is a little narrower than 16 pt, so every
# character is condensed by this much (rounded down to whole twips, so that 28 still fit).
CHARACTER_SPACING_TWIPS = math.floor((gbt9704.STANDARD_GRID.cell - gbt9704.BODY_SIZE) * TWIPS_PER_POINT)
_AUTO_LINE = 240  # single line spacing, in 240ths of a line


@dataclass(frozen=True)
class StyleSpec:
    """One style. None means "inherit from the base style"; sizes are in points, indents in characters."""

    name: str
    kind: str = "paragraph"  # paragraph | character
    based_on: str | None = "Normal"
    next_style: str | None = None
    builtin: bool = True  # one of Word's own styles (shown under its translated name)
    size: float | None = None
    align: str | None = None  # both = justified
    first_line_chars: float | None = None
    left_twips: int | None = None
    right_chars: float | None = None
    right_twips: int | None = None
    before_lines: int | None = None  # blank lines above and below, as multiples of the grid's pitch
    after_lines: int | None = None
    exact_pitch: bool | None = None  # True: the grid's exact pitch; False: single spacing off the grid
    outline: int | None = None
    keep_next: bool = False
    numbering: int | None = None  # numId of the list style's numbering
    character_spacing: int | None = None
    body_typography: bool = False  # Normal's: full pages, hanging punctuation, no gaps between scripts
    off_grid: bool = False  # lines at the exact pitch, not snapped to the grid (LibreOffice gives a 22 pt line two)


NUMBERED_LIST_ID = 1
BULLETED_LIST_ID = 2

STYLES = (
    StyleSpec(
        "Normal",
        based_on=None,
        size=gbt9704.BODY_SIZE,
        align="both",
        first_line_chars=2,
        exact_pitch=True,
        before_lines=0,
        after_lines=0,
        character_spacing=CHARACTER_SPACING_TWIPS,
        body_typography=True,
    ),
    StyleSpec(
        "Title",
        size=gbt9704.TITLE_SIZE,
        align="center",
        first_line_chars=0,
        after_lines=1,
        next_style="Normal",
        off_grid=True,  # a title of two lines keeps the PDF's pitch between them
    ),
    StyleSpec("Heading 1", size=gbt9704.BODY_SIZE, outline=0, keep_next=True, next_style="Normal"),
    StyleSpec("Heading 2", size=gbt9704.BODY_SIZE, outline=1, keep_next=True, next_style="Normal"),
    StyleSpec("Heading 3", size=gbt9704.BODY_SIZE, outline=2, keep_next=True, next_style="Normal"),
    StyleSpec(LIST_STYLES["ol"], numbering=NUMBERED_LIST_ID),
    StyleSpec(LIST_STYLES["ul"], numbering=BULLETED_LIST_ID),
    StyleSpec(
        "Signature",
        align="right",
        first_line_chars=0,
        right_chars=SIGNATURE_RIGHT_CHARS,
        before_lines=1,
        keep_next=True,
        next_style="Date",
    ),
    StyleSpec("Date", align="right", first_line_chars=0, right_chars=SIGNATURE_RIGHT_CHARS),
    # 主送机关: flush left, wrapped lines too (GB/T 9704 7.3.2); Word shows it as 称呼.
    StyleSpec("Salutation", align="left", first_line_chars=0, next_style="Normal"),
    StyleSpec("Note", builtin=False),
    StyleSpec("Table Heading", builtin=False, align="center", first_line_chars=0),
    StyleSpec("Table Text", builtin=False, align="left", first_line_chars=0),
    # Page numbers: 4号, off the grid, one character in from the outer edge.
    StyleSpec(
        FOOTER_STYLE,
        size=gbt9704.PAGE_NUMBER_SIZE,
        align="right",
        first_line_chars=0,
        left_twips=0,
        right_twips=PAGE_NUMBER_INDENT_TWIPS,
        exact_pitch=False,
        character_spacing=0,
    ),
    StyleSpec(
        EVEN_FOOTER_STYLE,
        based_on=FOOTER_STYLE,
        builtin=False,
        align="left",
        left_twips=PAGE_NUMBER_INDENT_TWIPS,
        right_twips=0,
    ),
    StyleSpec("Emphasis", kind="character", based_on=None),
    StyleSpec("Strong", kind="character", based_on=None),
)
# Styles a document needs besides ours, kept as python-docx's template defines them (they carry no fonts).
_KEPT_STYLES = ("Default Paragraph Font", "Normal Table", "No List")


def _element(tag: str, **attributes: str) -> Any:
    element = OxmlElement(tag)
    for name, value in attributes.items():
        element.set(qn(f"w:{name}"), value)
    return element


def _stored_name(name: str) -> str:
    """The name a style is stored under: Word's own styles in English (Word shows them translated), ours in
    Chinese (Word shows a custom style's stored name)."""
    return CHINESE_NAMES.get(name, name)


def _add_aliases(element: Any, name: str) -> None:
    """The English name as an alias of a style stored under its Chinese one, right after w:name."""
    if name in CHINESE_NAMES:
        element.find(qn("w:name")).addnext(_element("w:aliases", val=name))


def _style_element(document: DocxDocument, spec: StyleSpec) -> Any:
    kind = WD_STYLE_TYPE.CHARACTER if spec.kind == "character" else WD_STYLE_TYPE.PARAGRAPH
    if spec.name == "Normal":
        element = document.styles["Normal"].element
        for child in list(element):
            if child.tag != qn("w:name"):
                element.remove(child)
    else:
        element = document.styles.add_style(_stored_name(spec.name), kind, builtin=spec.builtin).element
        element.set(qn("w:styleId"), spec.name.replace(" ", ""))  # python-docx would write "footer"
    # CT_Style is a sequence: name, aliases, basedOn, next, qFormat, pPr, rPr.
    _add_aliases(element, spec.name)
    if spec.based_on:
        element.append(_element("w:basedOn", val=document.styles[spec.based_on].style_id))
    if spec.next_style:
        element.append(_element("w:next", val=spec.next_style.replace(" ", "")))
    element.append(OxmlElement("w:qFormat"))
    properties = [_paragraph_properties(spec)] if spec.kind == "paragraph" else []
    properties.append(_run_properties(spec))
    element.extend(child for child in properties if len(child))
    return element


def _paragraph_properties(spec: StyleSpec) -> Any:
    # CT_PPr is a sequence: keepNext, widowControl, numPr, overflowPunct, autoSpaceDE, autoSpaceDN, snapToGrid,
    # spacing, ind, jc, outlineLvl.
    properties = OxmlElement("w:pPr")
    properties.extend(_flow_properties(spec))
    spacing = _spacing(spec)
    if spacing is not None:
        properties.append(spacing)
    indent = _indent(spec.left_twips, spec.right_chars, spec.right_twips, spec.first_line_chars)
    if indent is not None:
        properties.append(indent)
    if spec.align:
        properties.append(_element("w:jc", val=spec.align))
    if spec.outline is not None:
        properties.append(_element("w:outlineLvl", val=str(spec.outline)))
    return properties


def _flow_properties(spec: StyleSpec) -> list[Any]:
    """The paragraph properties up to the spacing, in the schema's order: keepNext to snapToGrid."""
    elements = []
    if spec.keep_next:
        elements.append(OxmlElement("w:keepNext"))
    if spec.body_typography:
        # No widow or orphan control, as in the PDFs: every full page holds the grid's 22 lines.
        elements.append(_element("w:widowControl", val="0"))
    if spec.numbering is not None:
        number = OxmlElement("w:numPr")
        number.append(_element("w:numId", val=str(spec.numbering)))
        elements.append(number)
    if spec.body_typography:
        # Punctuation may hang past the line's end, Word's default, said explicitly: without it
        # LibreOffice hangs a line-end comma and then leaves it out of the printout; with it,
        # LibreOffice (which reads the setting the other way round) does not hang at all.
        elements.append(_element("w:overflowPunct", val="1"))
        # No extra gap where Chinese meets digits or Latin (2015年3月2日), as in the PDFs.
        elements.append(_element("w:autoSpaceDE", val="0"))
        elements.append(_element("w:autoSpaceDN", val="0"))
    if spec.exact_pitch is False or spec.off_grid:
        elements.append(_element("w:snapToGrid", val="0"))
    return elements


def _spacing(spec: StyleSpec) -> Any:
    """w:spacing: blank lines above and below, and the line pitch; None when the style sets none of them."""
    spacing: dict[str, str] = {}
    if spec.before_lines is not None:
        spacing.update(before=str(spec.before_lines * LINE_PITCH_TWIPS))
    if spec.after_lines is not None:
        spacing.update(after=str(spec.after_lines * LINE_PITCH_TWIPS))
    if spec.exact_pitch is True:
        spacing.update(line=str(LINE_PITCH_TWIPS), lineRule="exact")
    elif spec.exact_pitch is False:
        spacing.update(line=str(_AUTO_LINE), lineRule="auto")
    return _element("w:spacing", **spacing) if spacing else None


def _indent(
    left_twips: int | None, right_chars: float | None, right_twips: int | None, first_line_chars: float | None
) -> Any:
    """w:ind in both Word's character units (which Word prefers) and twips (which LibreOffice reads)."""
    attributes: dict[str, str] = {}
    if left_twips is not None:
        attributes.update(leftChars="0", left=str(left_twips))
    if right_chars is not None:
        attributes.update(rightChars=str(round(right_chars * 100)), right=str(round(right_chars * CHARACTER_TWIPS)))
    elif right_twips is not None:
        attributes.update(rightChars="0", right=str(right_twips))
    if first_line_chars is not None:
        attributes.update(
            firstLineChars=str(round(first_line_chars * 100)), firstLine=str(round(first_line_chars * CHARACTER_TWIPS))
        )
    return _element("w:ind", **attributes) if attributes else None


def _run_properties(spec: StyleSpec) -> Any:
    # CT_RPr is a sequence: rFonts, spacing, sz, szCs, lang. Fonts come later, by role (apply_font_names).
    properties = OxmlElement("w:rPr")
    if spec.character_spacing is not None:
        properties.append(_element("w:spacing", val=str(spec.character_spacing)))
    if spec.size:
        for tag in ("w:sz", "w:szCs"):
            properties.append(_element(tag, val=str(round(spec.size * 2))))
    return properties


def _table_style(document: DocxDocument) -> None:
    element = document.styles.add_style(_stored_name(TABLE_STYLE), WD_STYLE_TYPE.TABLE).element
    element.set(qn("w:styleId"), TABLE_STYLE.replace(" ", ""))
    _add_aliases(element, TABLE_STYLE)
    element.append(_element("w:basedOn", val=document.styles["Normal Table"].style_id))
    element.append(OxmlElement("w:qFormat"))
    properties = OxmlElement("w:tblPr")
    borders = OxmlElement("w:tblBorders")
    for side in ("top", "left", "bottom", "right", "insideH", "insideV"):
        borders.append(_element(f"w:{side}", val="single", sz="4", space="0", color="000000"))
    properties.append(borders)
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        margins.append(_element(f"w:{side}", w=str(TABLE_CELL_MARGIN_TWIPS), type="dxa"))
    properties.append(margins)
    element.append(properties)
    cell = OxmlElement("w:tcPr")
    cell.append(_element("w:vAlign", val="center"))
    element.append(cell)


def _numbering(document: DocxDocument) -> None:
    """Numbering for the list styles. Word lets a numbering level's indent win over its style's, so
    the level carries the body's indent too: key points read like body paragraphs, the number where
    the first line's indent ends and the text right after it, no tab."""
    numbering = document.part.numbering_part.element
    for child in list(numbering):
        numbering.remove(child)
    levels = (
        (NUMBERED_LIST_ID, LIST_STYLES["ol"], "decimal", "%1.", "nothing"),
        (BULLETED_LIST_ID, LIST_STYLES["ul"], "bullet", "\u2022", "space"),
    )
    for number_id, style, number_format, text, suffix in levels:
        abstract = _element("w:abstractNum", abstractNumId=str(number_id))
        abstract.append(_element("w:nsid", val=f"6E6F{number_id:04X}"))  # fixed, so builds are reproducible
        abstract.append(_element("w:multiLevelType", val="singleLevel"))
        level = _element("w:lvl", ilvl="0")
        level.append(_element("w:start", val="1"))
        level.append(_element("w:numFmt", val=number_format))
        level.append(_element("w:pStyle", val=style.replace(" ", "")))
        level.append(_element("w:suff", val=suffix))
        level.append(_element("w:lvlText", val=text))
        level.append(_element("w:lvlJc", val="left"))
        properties = OxmlElement("w:pPr")
        properties.append(_indent(0, None, None, 2))
        level.append(properties)
        abstract.append(level)
        numbering.append(abstract)
    for number_id, *_ in levels:
        instance = _element("w:num", numId=str(number_id))
        instance.append(_element("w:abstractNumId", val=str(number_id)))
        numbering.append(instance)


def _document_defaults(document: DocxDocument) -> None:
    """Defaults under every style: the body size, Chinese as the East Asian language, no spacing."""
    defaults = document.styles.element.find(qn("w:docDefaults"))
    for child in list(defaults):
        defaults.remove(child)
    run = OxmlElement("w:rPr")
    for tag in ("w:sz", "w:szCs"):
        run.append(_element(tag, val=str(round(gbt9704.BODY_SIZE * 2))))
    run.append(_element("w:lang", val="en-US", eastAsia="zh-CN", bidi="ar-SA"))
    run_default = OxmlElement("w:rPrDefault")
    run_default.append(run)
    paragraph = OxmlElement("w:pPr")
    paragraph.append(_element("w:spacing", after="0", line=str(_AUTO_LINE), lineRule="auto"))
    paragraph_default = OxmlElement("w:pPrDefault")
    paragraph_default.append(paragraph)
    defaults.append(run_default)
    defaults.append(paragraph_default)
    theme_language = document.settings.element.find(qn("w:themeFontLang"))
    if theme_language is not None:
        theme_language.set(qn("w:eastAsia"), "zh-CN")


def _remove_template_styles(document: DocxDocument) -> None:
    for style in list(document.styles.element.findall(qn("w:style"))):
        name = style.find(qn("w:name")).get(qn("w:val"))
        if name not in (*_KEPT_STYLES, "Normal"):
            document.styles.element.remove(style)


# Parts of python-docx's template that a reference document should not pass on: Word 2010's copy
# of every style with theme fonts, a custom XML item and the template's thumbnail.
_DROPPED_RELATIONSHIPS = (
    "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects",
    RELATIONSHIP_TYPE.CUSTOM_XML,
    RELATIONSHIP_TYPE.THUMBNAIL,
)
_APPLICATION_PROPERTIES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>gongwen</Application></Properties>"
)


def _drop_template_parts(document: DocxDocument) -> None:
    for owner in (document.part, document.part.package):
        for relationship_id, relationship in list(owner.rels.items()):
            if relationship.reltype in _DROPPED_RELATIONSHIPS:
                owner.rels.pop(relationship_id)
    application = next(part for part in document.part.package.iter_parts() if part.partname == "/docProps/app.xml")
    application._blob = _APPLICATION_PROPERTIES.encode("utf-8")


def build_reference(names: dict[str, str] | None = None, one_sided: bool = False) -> bytes:
    """The reference document's bytes; the same names always give the same bytes."""
    names = {**WORD_FONT_NAMES, **(names or {})}
    document = docx.Document()
    _drop_template_parts(document)
    _remove_template_styles(document)
    _document_defaults(document)
    for spec in STYLES:
        _style_element(document, spec)
    _table_style(document)
    apply_font_names(document, names)
    _numbering(document)
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
    properties.created = properties.modified = datetime.datetime(2015, 1, 1, tzinfo=datetime.UTC)
    properties.revision = 1
    return package_bytes(document)
