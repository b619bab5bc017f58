"""Stage 4, write (Word): the summary's blocks into a .docx built on a reference document's named styles.

Every paragraph, run and table takes a named style of the reference document; no direct
formatting, so editors restyle the whole summary from Word's style pane. The writer also enforces
what the standard fixes whatever the reference document says: A4, the GB/T 9704 margins, mirrored
for two-sided printing, and page numbers `— N —` as real PAGE fields, right on odd pages and left on
even pages. The archive is written with fixed timestamps, so the same input gives the same bytes.
"""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from . import gbt9704
from .errors import ContentError, Problem, Where
from .structure import Block, Paragraph, Table, styles_used

_STYLE_TYPES = {"paragraph": WD_STYLE_TYPE.PARAGRAPH, "character": WD_STYLE_TYPE.CHARACTER, "table": WD_STYLE_TYPE.TABLE}
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FOOTER_STYLE = "Footer"
# Which font role each style's East Asian face plays, for configured font names.
STYLE_ROLES = {"Title": "title", "Heading 1": "heading1", "Heading 2": "heading2", "Normal": "body"}


def set_run_fonts(rpr, east_asia: str | None = None, latin: str | None = None) -> None:
    """Name the fonts of a style's or run's properties; theme fonts are removed, since Word prefers them."""
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attribute), None)
    if latin:
        fonts.set(qn("w:ascii"), latin)
        fonts.set(qn("w:hAnsi"), latin)
        fonts.set(qn("w:cs"), latin)
    if east_asia:
        fonts.set(qn("w:eastAsia"), east_asia)
    language = rpr.find(qn("w:lang"))
    if language is None:
        language = OxmlElement("w:lang")
        rpr.append(language)
    language.set(qn("w:eastAsia"), "zh-CN")


def apply_page_setup(document, one_sided: bool = False) -> None:
    """A4 with the standard's margins on every section, mirrored for two-sided printing."""
    for section in document.sections:
        section.page_width = Mm(gbt9704.PAGE_WIDTH_MM)
        section.page_height = Mm(gbt9704.PAGE_HEIGHT_MM)
        section.top_margin = Mm(gbt9704.TOP_MM)
        section.bottom_margin = Mm(gbt9704.BOTTOM_MM)
        section.left_margin = Mm(gbt9704.BINDING_MM)
        section.right_margin = Mm(gbt9704.OUTER_MM)
        # The footer's bottom edge: 7 mm below the type area plus one 14 pt line.
        section.footer_distance = Mm(gbt9704.BOTTOM_MM - gbt9704.PAGE_NUMBER_GAP_MM) - Pt(gbt9704.PAGE_NUMBER_SIZE * 1.3)
        section.header_distance = Mm(15)
        section.gutter = 0
    settings = document.settings.element
    mirror = settings.find(qn("w:mirrorMargins"))
    if one_sided and mirror is not None:
        settings.remove(mirror)
    elif not one_sided and mirror is None:
        _insert_setting(settings, OxmlElement("w:mirrorMargins"))


def _insert_setting(settings, element) -> None:
    # CT_Settings is a sequence; zoom comes early, these go right after it when present.
    zoom = settings.find(qn("w:zoom"))
    if zoom is not None:
        zoom.addnext(element)
    else:
        settings.insert(0, element)


def _page_field_paragraph(paragraph, align_right: bool) -> None:
    """— PAGE — as a real field, one 14 pt character in from the outer edge."""
    for child in list(paragraph._p):
        if child.tag != qn("w:pPr"):
            paragraph._p.remove(child)
    paragraph.style = FOOTER_STYLE
    properties = paragraph._p.get_or_add_pPr()
    for tag in ("w:jc", "w:ind"):
        existing = properties.find(qn(tag))
        if existing is not None:
            properties.remove(existing)
    justification = OxmlElement("w:jc")
    justification.set(qn("w:val"), "right" if align_right else "left")
    indent = OxmlElement("w:ind")
    indent.set(qn("w:right" if align_right else "w:left"), str(int(gbt9704.PAGE_NUMBER_SIZE * 20)))
    properties.append(indent)
    properties.append(justification)

    def run(text: str | None = None, field: str | None = None, instruction: str | None = None):
        element = OxmlElement("w:r")
        if field:
            child = OxmlElement("w:fldChar")
            child.set(qn("w:fldCharType"), field)
        elif instruction:
            child = OxmlElement("w:instrText")
            child.set(qn("xml:space"), "preserve")
            child.text = instruction
        else:
            child = OxmlElement("w:t")
            child.set(qn("xml:space"), "preserve")
            child.text = text
        element.append(child)
        paragraph._p.append(element)

    run("— ")
    run(field="begin")
    run(instruction=" PAGE ")
    run(field="separate")
    run("1")
    run(field="end")
    run(" —")


def apply_page_numbers(document) -> None:
    """Odd and even footers with the page number on the outer side."""
    document.settings.odd_and_even_pages_header_footer = True
    for section in document.sections:
        section.footer.is_linked_to_previous = False
        section.even_page_footer.is_linked_to_previous = False
        _page_field_paragraph(_only_paragraph(section.footer), align_right=True)
        _page_field_paragraph(_only_paragraph(section.even_page_footer), align_right=False)


def _only_paragraph(footer):
    paragraphs = footer.paragraphs
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    return paragraphs[0] if paragraphs else footer.add_paragraph()


def apply_font_names(document, names: dict[str, str]) -> None:
    """Configured font names over the reference document's, by role."""
    latin = names.get("latin")
    for style_name, role in STYLE_ROLES.items():
        east_asia = names.get(role)
        if not east_asia and not latin:
            continue
        try:
            style = document.styles[style_name]
        except KeyError:
            continue
        set_run_fonts(style.element.get_or_add_rPr(), east_asia, latin)


def _check_styles(document, blocks: list[Block], reference: str) -> None:
    problems = []
    names = {(style.name, style.type) for style in document.styles}
    for name, kind in [(FOOTER_STYLE, "paragraph"), *styles_used(blocks)]:
        if (name, _STYLE_TYPES[kind]) not in names:
            problems.append(Problem(Where(reference), "", f"the reference document has no {kind} style named {name!r}; "
                                    "add it in Word (Styles pane) or use a reference document made by `gongwen reference-doc`"))
    if problems:
        raise ContentError(problems)


def open_reference(reference: Path):
    try:
        return docx.Document(str(reference))
    except FileNotFoundError:
        raise ContentError(Problem(Where(str(reference)), "", "reference document not found")) from None
    except Exception as error:  # python-docx raises several kinds for files that are not .docx
        raise ContentError(Problem(Where(str(reference)), "", f"not a Word document python-docx can open ({type(error).__name__})")) from None


def write_summary(blocks: list[Block], reference: Path, *, title: str, author: str, created: datetime.datetime,
                  font_names: dict[str, str] | None = None, one_sided: bool = False) -> bytes:
    """The summary as .docx bytes."""
    document = open_reference(reference)
    _check_styles(document, blocks, str(reference))
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    for block in blocks:
        if isinstance(block, Paragraph):
            _add_paragraph(document, block)
        else:
            _add_table(document, block)
    apply_font_names(document, font_names or {})
    apply_page_setup(document, one_sided)
    apply_page_numbers(document)
    _set_properties(document, title, author, created)
    buffer = io.BytesIO()
    document.save(buffer)
    return fixed_zip(buffer.getvalue())


def _add_paragraph(container, block: Paragraph):
    paragraph = container.add_paragraph(style=block.style)
    _fill(paragraph, block)
    return paragraph


def _fill(paragraph, block: Paragraph) -> None:
    for run in block.runs:
        if run.line_break:
            paragraph.add_run().add_break()
        else:
            paragraph.add_run(run.text, style=run.style)


def _add_table(document, block: Table) -> None:
    columns = max((len(row) for row in block.rows), default=0)
    table = document.add_table(rows=len(block.rows), cols=columns)
    table.style = block.style
    for row_cells, row in zip(block.rows, table.rows):
        for cell, target in zip(row_cells, row.cells):
            paragraph = target.paragraphs[0]
            paragraph.style = cell.paragraph.style
            _fill(paragraph, cell.paragraph)


def _set_properties(document, title: str, author: str, created: datetime.datetime) -> None:
    properties = document.core_properties
    properties.title = title
    properties.author = author
    properties.last_modified_by = author
    properties.language = "zh-CN"
    properties.created = created
    properties.modified = created
    properties.revision = 1
    properties.comments = ""
    properties.keywords = ""
    properties.subject = ""
    properties.category = ""


def fixed_zip(data: bytes) -> bytes:
    """The same archive with fixed entry times, so equal documents are equal bytes."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=_FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()

