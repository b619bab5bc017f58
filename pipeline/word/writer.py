"""Stage 4, write (Word): the summary's blocks into a .docx built on a reference document's named styles.

Every paragraph, run and table takes a named style of the reference document, so editors restyle
the whole summary from Word's style pane. Direct formatting is left only where no style can
express a per-document value: the indent that puts the date two characters right of the
signature (which depends on both texts), the numbering restart of a second list, and the widths
of table columns. The writer also enforces what the standard fixes whatever the reference document
says: A4, the GB/T 9704 margins, mirrored for two-sided printing, a 22-line grid, and page numbers
`— N —` as real PAGE fields, right on odd pages and left on even pages. The archive is written
with fixed timestamps, so the same input gives the same bytes.
"""

from __future__ import annotations

import copy
import datetime
import io
import math
import unicodedata
import zipfile
from collections.abc import Mapping as TypingMapping
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from xml.sax.saxutils import quoteattr

import docx
from docx.enum.style import WD_STYLE_TYPE
from docx.opc.constants import CONTENT_TYPE, RELATIONSHIP_TYPE
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.opc.phys_pkg import _ZipPkgWriter
from docx.opc.pkgwriter import PackageWriter
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from ..errors import ConfigurationError, Problem, Where, shown, shown_path
from ..typeset import gbt9704
from .fonts import LATIN_ROLE
from .structure import CLASS_STYLES, Block, Paragraph, Table, mapped_styles, styles_used

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument
    from docx.section import _Footer
    from docx.styles.style import BaseStyle, ParagraphStyle
    from docx.text.paragraph import Paragraph as DocxParagraph

_STYLE_TYPES = {
    "paragraph": WD_STYLE_TYPE.PARAGRAPH,
    "character": WD_STYLE_TYPE.CHARACTER,
    "table": WD_STYLE_TYPE.TABLE,
}
_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)

# Word measures lengths in twentieths of a point (twips).
TWIPS_PER_POINT = 20
# The 22-line grid: 579 twips is the 28.95 pt pitch of common Word templates.
LINE_PITCH_TWIPS = round(gbt9704.LINE_PITCH * TWIPS_PER_POINT)
# Word's "character" unit for indents is one body-size em.
CHARACTER_TWIPS = round(gbt9704.BODY_SIZE * TWIPS_PER_POINT)
# 署名 two characters in from the right (GB/T 9704 7.3.5.2); page numbers one character in.
SIGNATURE_RIGHT_CHARS = 2
PAGE_NUMBER_INDENT_TWIPS = round(gbt9704.PAGE_NUMBER_SIZE * TWIPS_PER_POINT)

FOOTER_STYLE = "Footer"  # odd pages: the number on the right
EVEN_FOOTER_STYLE = "Footer Even"  # even pages: the number on the left

# Word stores its built-in styles under English names and shows them translated; a custom style shows
# the name it is stored under. So the custom styles are stored under Chinese names, with the English
# names as aliases (w:aliases), and the writer finds a style by either: reference documents made
# before the Chinese names, or edited since, keep working.
CHINESE_NAMES: TypingMapping[str, str] = MappingProxyType(
    {
        "Note": "附注",
        "Table Heading": "表头",
        "Table Text": "表格文字",
        "Footer Even": "偶数页页脚",
        "Facts Table": "基本情况表",
    }
)
_ENGLISH_NAMES = {chinese: english for english, chinese in CHINESE_NAMES.items()}
SIGNATURE_STYLE = CLASS_STYLES["signature"]
DATE_STYLE = CLASS_STYLES["date"]

# Styles that name their own faces, by font role; every other style inherits its faces from Normal.
STYLE_ROLES = {
    "Normal": "body",
    "Title": "title",
    "Heading 1": "heading1",
    "Heading 2": "heading2",
    "Table Heading": "heading1",
    "Strong": "heading1",
    "Emphasis": "heading2",
    FOOTER_STYLE: "page_number",
}


def set_run_fonts(rpr: Any, east_asia: str | None = None, latin: str | None = None) -> None:
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


def apply_page_setup(document: DocxDocument, one_sided: bool = False) -> None:
    """A4 with the standard's margins and line grid on every section, mirrored for two-sided printing."""
    for section in document.sections:
        section.page_width = Mm(gbt9704.PAGE_WIDTH_MM)
        section.page_height = Mm(gbt9704.PAGE_HEIGHT_MM)
        section.top_margin = Mm(gbt9704.TOP_MM)
        section.bottom_margin = Mm(gbt9704.BOTTOM_MM)
        section.left_margin = Mm(gbt9704.BINDING_MM)
        section.right_margin = Mm(gbt9704.OUTER_MM)
        # The footer's bottom edge: 7 mm below the type area plus one 14 pt line.
        section.footer_distance = Mm(gbt9704.BOTTOM_MM - gbt9704.PAGE_NUMBER_GAP_MM) - Pt(
            gbt9704.PAGE_NUMBER_SIZE * 1.3
        )
        section.header_distance = Mm(15)
        section.gutter = 0
        _set_line_grid(section._sectPr)
    settings = document.settings.element
    mirror = settings.find(qn("w:mirrorMargins"))
    if one_sided and mirror is not None:
        settings.remove(mirror)
    elif not one_sided and mirror is None:
        _insert_setting(settings, OxmlElement("w:mirrorMargins"))


# CT_SectPr is a sequence: docGrid comes after everything but these.
_AFTER_DOC_GRID = (qn("w:printerSettings"), qn("w:sectPrChange"))


def _set_line_grid(section_properties: Any) -> None:
    """A 22-line document grid, so Word's page setup shows the standard's grid. No character grid:
    LibreOffice draws a negative character pitch with every character in two cells."""
    grid = section_properties.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        following = next((child for child in section_properties if child.tag in _AFTER_DOC_GRID), None)
        if following is not None:
            following.addprevious(grid)
        else:
            section_properties.append(grid)
    for attribute in list(grid.attrib):
        del grid.attrib[attribute]
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))


def _insert_setting(settings: Any, element: Any) -> None:
    # CT_Settings is a sequence; zoom comes early, these go right after it when present.
    zoom = settings.find(qn("w:zoom"))
    if zoom is not None:
        zoom.addnext(element)
    else:
        settings.insert(0, element)


def _page_field_paragraph(paragraph: DocxParagraph, style: BaseStyle | None, styles: StyleIndex) -> None:
    """— PAGE — as a real field; the footer style places it."""
    for child in list(paragraph._p):
        paragraph._p.remove(child)
    if style is not None:
        paragraph._p.style = styles.style_id(style, "paragraph")

    def run(text: str | None = None, field: str | None = None, instruction: str | None = None) -> None:
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


def apply_page_numbers(document: DocxDocument, styles: StyleIndex | None = None) -> None:
    """Odd and even footers with the page number on the outer side."""
    styles = styles or StyleIndex(document)
    document.settings.odd_and_even_pages_header_footer = True
    for section in document.sections:
        section.footer.is_linked_to_previous = False
        section.even_page_footer.is_linked_to_previous = False
        _page_field_paragraph(_only_paragraph(section.footer), styles.find(FOOTER_STYLE, "paragraph"), styles)
        _page_field_paragraph(
            _only_paragraph(section.even_page_footer), styles.find(EVEN_FOOTER_STYLE, "paragraph"), styles
        )


def _only_paragraph(footer: _Footer) -> DocxParagraph:
    paragraphs = footer.paragraphs
    for extra in paragraphs[1:]:
        extra._p.getparent().remove(extra._p)
    return paragraphs[0] if paragraphs else footer.add_paragraph()


def apply_font_names(document: DocxDocument, names: dict[str, str], styles: StyleIndex | None = None) -> None:
    """Font names by role (`word_fonts`) over the reference document's: the styles that name faces,
    the document defaults, and the font table that tells Word each name's character set."""
    styles = styles or StyleIndex(document)
    latin = names.get(LATIN_ROLE)
    for style_name, role in STYLE_ROLES.items():
        east_asia = names.get(role)
        if not east_asia and not latin:
            continue
        style = styles.find(style_name)
        if style is not None:
            set_run_fonts(style.element.get_or_add_rPr(), east_asia, latin)
    defaults = document.styles.element.find(qn("w:docDefaults"))
    if defaults is not None and (names.get("body") or latin):
        rpr = defaults.find(qn("w:rPrDefault") + "/" + qn("w:rPr"))
        if rpr is not None:
            set_run_fonts(rpr, names.get("body"), latin)
    write_font_table(document)


def style_aliases(style: BaseStyle) -> list[str]:
    """The other names a style answers to (w:aliases, comma-separated)."""
    aliases = style.element.find(qn("w:aliases"))
    if aliases is None:
        return []
    return [name.strip() for name in (aliases.get(qn("w:val")) or "").split(",") if name.strip()]


class _StyleEntry(NamedTuple):
    """A style as an index holds it: what python-docx would otherwise read from the XML at every lookup."""

    style: BaseStyle
    type: WD_STYLE_TYPE
    name: str | None
    aliases: list[str]


class StyleIndex:
    """A document's styles, read once and looked up by name or alias: python-docx reads every style from the XML
    again for each lookup and for each style it assigns (a third of a summary's time, before this index)."""

    def __init__(self, document: DocxDocument) -> None:
        self._styles = document.styles
        self._entries = [_StyleEntry(style, style.type, style.name, style_aliases(style)) for style in self._styles]
        self._found: dict[tuple[str, str | None], BaseStyle | None] = {}
        self._defaults: dict[WD_STYLE_TYPE, BaseStyle | None] = {}

    def find(self, name: str, kind: str | None = None) -> BaseStyle | None:
        """A style of `kind` (paragraph, character, table; any when None) by its name or an alias, in English or
        in Chinese (Table Heading finds 表头 and the other way round); a style's name wins over another's alias."""
        key = (name, kind)
        if key not in self._found:
            self._found[key] = self._search(name, kind)
        return self._found[key]

    def _search(self, name: str, kind: str | None) -> BaseStyle | None:
        wanted_type = _STYLE_TYPES[kind] if kind else None
        entries = [entry for entry in self._entries if wanted_type is None or entry.type == wanted_type]
        for candidate in dict.fromkeys((name, CHINESE_NAMES.get(name, name), _ENGLISH_NAMES.get(name, name))):
            for entry in entries:
                if entry.name == candidate:
                    return entry.style
            for entry in entries:
                if candidate in entry.aliases:
                    return entry.style
        return None

    def style_id(self, style: BaseStyle | None, kind: str) -> str | None:
        """The id a paragraph, run or table of `kind` names `style` by, as python-docx gives it: none for no style
        or for the default style of that type."""
        if style is None:
            return None
        style_type = _STYLE_TYPES[kind]
        if style_type not in self._defaults:
            self._defaults[style_type] = self._styles.default(style_type)
        default = self._defaults[style_type]
        return None if default is not None and default.element is style.element else style.style_id


def find_style(document: DocxDocument, name: str, kind: str | None = None) -> BaseStyle | None:
    """A style of `kind` (paragraph, character, table; any when None) by its name or an alias, in English or in
    Chinese (Table Heading finds 表头 and the other way round); a style's name wins over another's alias."""
    return StyleIndex(document).find(name, kind)


def _named(name: str) -> str:
    """A style's name as messages give it: Table Heading (表头)."""
    other = CHINESE_NAMES.get(name) or _ENGLISH_NAMES.get(name)
    return f"{name!r} (or {other!r})" if other else repr(name)


_FONT_ATTRIBUTES = tuple(qn(f"w:{slot}") for slot in ("ascii", "hAnsi", "eastAsia", "cs"))
_FONT_TABLE_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<w:fonts xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
)


def font_names_in_styles(document: DocxDocument) -> list[str]:
    """Every font name the styles and document defaults use, sorted."""
    names: set[str] = set()
    for fonts in document.styles.element.iter(qn("w:rFonts")):
        names.update(value for attribute in _FONT_ATTRIBUTES if (value := fonts.get(attribute)))
    return sorted(names)


def write_font_table(document: DocxDocument) -> None:
    """The font table lists exactly the names the styles use. Names of Chinese faces carry the
    GB2312 character set (86), which Word uses to pick a Chinese substitute where a face is missing."""
    entries = []
    for name in font_names_in_styles(document):
        chinese = any(unicodedata.east_asian_width(char) in "WF" for char in name) or name.endswith("GB2312")
        entries.append(
            f'<w:font w:name={quoteattr(name)}><w:charset w:val="{"86" if chinese else "00"}"/>'
            f'<w:family w:val="auto"/><w:pitch w:val="variable"/></w:font>'
        )
    try:
        part = document.part.part_related_by(RELATIONSHIP_TYPE.FONT_TABLE)
    except KeyError:  # a reference document saved without one: the summary gets its own
        package = document.part.package
        part = Part(PackURI(package.next_partname("/word/fontTable%d.xml")), CONTENT_TYPE.WML_FONT_TABLE, b"", package)
        document.part.relate_to(part, RELATIONSHIP_TYPE.FONT_TABLE)
    part._blob = (_FONT_TABLE_HEAD + "".join(entries) + "</w:fonts>").encode("utf-8")


def required_styles(blocks: list[Block]) -> list[tuple[str, str]]:
    """(name, kind) of every style the summary may need: the whole HTML-subset mapping (so a reference
    document serves any template), the footers, and whatever a template names with data-style."""
    required = [(FOOTER_STYLE, "paragraph"), (EVEN_FOOTER_STYLE, "paragraph"), *mapped_styles(), *styles_used(blocks)]
    return list(dict.fromkeys(required))


def _check_styles(styles: StyleIndex, blocks: list[Block], reference: str) -> None:
    problems: list[Problem] = []
    for name, kind in required_styles(blocks):
        if styles.find(name, kind) is None:
            problems.append(
                Problem(
                    Where(reference),
                    "",
                    f"the reference document has no {kind} style named {_named(name)}; "
                    "add it in Word (Styles pane) or start from a reference document made by `gongwen reference-doc`",
                )
            )
    if problems:
        raise ConfigurationError(problems)


MAX_REFERENCE_BYTES = 64 * 1024 * 1024
"""A reference document, packed or unpacked: styles are tens of kilobytes; the most a legitimate one holds is a
few embedded fonts. Its parts are copied into every summary."""
MAX_REFERENCE_PART_BYTES = 32 * 1024 * 1024
"""One part of a reference document unpacked: an embedded Chinese font, the largest legitimate part, is 10–25 MB."""
MAX_REFERENCE_PARTS = 1000
"""Word writes a dozen or two parts; a thousand is a package built to be expensive."""


def _check_package(reference: Path) -> None:
    """Refuse a reference document that would cost more than styles can: too large a file, too many parts, or
    parts that unpack beyond the limits (a zip bomb). Read from the archive's directory, before anything is
    unpacked: the sizes it declares are the most python-docx will unpack (Python's zipfile stops there)."""
    where = Where(shown_path(reference))
    size = reference.stat().st_size
    if size > MAX_REFERENCE_BYTES:
        message = f"the reference document is larger than the limit of {MAX_REFERENCE_BYTES >> 20} MiB"
        raise ConfigurationError(Problem(where, "", message, f"{size >> 20} MiB"))
    with zipfile.ZipFile(reference) as archive:
        entries = archive.infolist()
    if len(entries) > MAX_REFERENCE_PARTS:
        message = f"the reference document has more than {MAX_REFERENCE_PARTS} parts"
        raise ConfigurationError(Problem(where, "", message, len(entries)))
    problems = [
        Problem(
            where,
            "",
            f"the part {shown(entry.filename, limit=80)} of the reference document unpacks to "
            f"{entry.file_size >> 20} MiB, over the limit of {MAX_REFERENCE_PART_BYTES >> 20} MiB a part",
        )
        for entry in entries
        if entry.file_size > MAX_REFERENCE_PART_BYTES
    ]
    total = sum(entry.file_size for entry in entries)
    if not problems and total > MAX_REFERENCE_BYTES:
        message = f"the reference document unpacks to more than the limit of {MAX_REFERENCE_BYTES >> 20} MiB"
        problems.append(Problem(where, "", message, f"{total >> 20} MiB"))
    if problems:
        raise ConfigurationError(problems)


def _refuse_external_relationships(document: DocxDocument, reference: Path) -> None:
    """A relationship to something outside the package (an attached template on a server, a linked image) would
    be copied into every summary, and Word would fetch it: refused, one line each, as the PDF engine refuses URLs."""
    package = document.part.package
    found = [("the package", relationship) for relationship in package.rels.values()]
    for part in package.iter_parts():
        found += [(str(part.partname), relationship) for relationship in part.rels.values()]
    problems = [
        Problem(
            Where(shown_path(reference)),
            "",
            f"{source} of the reference document has an external relationship "
            f"({relationship.reltype.rsplit('/', 1)[-1]} to {shown(relationship.target_ref, limit=80)}); "
            "a reference document must not point outside itself: remove it (in Word: Developer, Document Template, "
            "or the link's own dialog)",
        )
        for source, relationship in found
        if relationship.is_external
    ]
    if problems:
        raise ConfigurationError(problems)


def open_reference(reference: Path) -> DocxDocument:
    """The reference document, checked and parsed: a copy of the one kept for its path while the file stays as it
    was (same size, modification and change times, and inode: a file rewritten in place with its size and
    modification time put back still has a new change time), so a batch parses it once; a changed file is read
    again."""
    try:
        status = reference.stat()
    except FileNotFoundError:
        raise ConfigurationError(Problem(Where(str(reference)), "", "reference document not found")) from None
    key = (str(reference), status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)
    parsed = _parsed_references.get(key)
    if parsed is None:
        parsed = _parse_reference(reference)
        _parsed_references.clear()  # one reference document a configuration: the last one is kept
        _parsed_references[key] = parsed
    return copy.deepcopy(parsed)


_parsed_references: dict[tuple[str, int, int, int, int], DocxDocument] = {}


def _parse_reference(reference: Path) -> DocxDocument:
    try:
        _check_package(reference)
        document = docx.Document(str(reference))
    except FileNotFoundError:
        raise ConfigurationError(Problem(Where(str(reference)), "", "reference document not found")) from None
    except ConfigurationError:
        raise
    except Exception as error:  # noqa: BLE001 python-docx raises several kinds for files that are not .docx
        raise ConfigurationError(
            Problem(Where(str(reference)), "", f"not a Word document python-docx can open ({type(error).__name__})")
        ) from None
    _refuse_external_relationships(document, reference)
    return document


def write_summary(
    blocks: list[Block],
    reference: Path,
    *,
    title: str,
    author: str,
    created: datetime.datetime,
    font_names: dict[str, str] | None = None,
    one_sided: bool = False,
) -> bytes:
    """The summary as .docx bytes."""
    document = open_reference(reference)
    styles = StyleIndex(document)
    _check_styles(styles, blocks, str(reference))
    body = document.element.body
    for child in list(body):
        if child.tag != qn("w:sectPr"):
            body.remove(child)
    body.get_or_add_sectPr()  # a reference document saved without section properties gets the standard's
    _drop_dangling_references(document)
    written: list[tuple[Paragraph, DocxParagraph]] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            written.append((block, _add_paragraph(document, block, styles)))
        else:
            _add_table(document, block, styles)
    _restart_lists(document, written, styles)
    _place_signature_and_date(written)
    if font_names:
        apply_font_names(document, font_names, styles)
    apply_page_setup(document, one_sided)
    apply_page_numbers(document, styles)
    _set_properties(document, title, author, created)
    return package_bytes(document)


_PART_REFERENCES = {
    qn("w:headerReference"): RELATIONSHIP_TYPE.HEADER,
    qn("w:footerReference"): RELATIONSHIP_TYPE.FOOTER,
}


def _drop_dangling_references(document: DocxDocument) -> None:
    """Header and footer references to parts the reference document does not have (or not of that kind):
    python-docx would fail on them and Word would call the summary damaged. Without them, footers are made anew."""
    relationships = document.part.rels
    for section_properties in document.element.body.iter(qn("w:sectPr")):
        for reference in [child for child in section_properties if child.tag in _PART_REFERENCES]:
            relationship = relationships.get(reference.get(qn("r:id")))
            if relationship is None or relationship.reltype != _PART_REFERENCES[reference.tag]:
                section_properties.remove(reference)


def _add_paragraph(document: DocxDocument, block: Paragraph, styles: StyleIndex) -> DocxParagraph:
    paragraph = document.add_paragraph()
    style = styles.find(block.style, "paragraph")
    if style is not None:  # as python-docx's add_paragraph(style=…) sets it
        paragraph._p.style = styles.style_id(style, "paragraph")
    _fill(paragraph, block, styles)
    return paragraph


def _fill(paragraph: DocxParagraph, block: Paragraph, styles: StyleIndex) -> None:
    for run in block.runs:
        if run.line_break:
            paragraph.add_run().add_break()
        else:
            added = paragraph.add_run(run.text)
            style = styles.find(run.style, "character") if run.style else None
            if style is not None:  # as python-docx's add_run(text, style) sets it
                added._r.style = styles.style_id(style, "character")


def _restart_lists(document: DocxDocument, written: list[tuple[Paragraph, DocxParagraph]], styles: StyleIndex) -> None:
    """Each numbered list after the first of its style starts again at 1. The first takes its
    numbering from the style; the others need their own numbering instance, which only the
    paragraph can name."""
    first_list: dict[str, int] = {}
    restarted: dict[int, str] = {}
    for block, paragraph in written:
        if block.list_id is None:
            continue
        first = first_list.setdefault(block.style, block.list_id)
        if block.list_id == first:
            continue
        if block.list_id not in restarted:
            numbering = _style_numbering(document, styles.find(block.style, "paragraph"))
            if numbering is None:
                continue
            abstract_id, numbered = numbering
            if not numbered:
                continue
            instance = document.part.numbering_part.element.add_num(abstract_id)
            instance.add_lvlOverride(ilvl=0).add_startOverride(1)
            restarted[block.list_id] = str(instance.numId)
        properties = paragraph._p.get_or_add_pPr().get_or_add_numPr()
        properties.get_or_add_ilvl().val = 0
        properties.get_or_add_numId().val = int(restarted[block.list_id])


def _style_numbering(document: DocxDocument, style: BaseStyle | None) -> tuple[int, bool] | None:
    """(abstract numbering id, numbered rather than bulleted) of a list style, following basedOn."""
    while style is not None:
        number_id = style.element.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}")
        if number_id is not None:
            try:
                numbering = document.part.numbering_part.element
                instance = numbering.num_having_numId(int(number_id.get(qn("w:val"))))
            except (NotImplementedError, KeyError, ValueError, TypeError):
                return None  # no numbering part, or none by that number: the list is not numbered, nothing restarts
            abstract_id = int(instance.abstractNumId.val)
            abstract = next(
                (
                    item
                    for item in numbering.findall(qn("w:abstractNum"))
                    if item.get(qn("w:abstractNumId")) == str(abstract_id)
                ),
                None,
            )
            number_format = abstract.find(f"{qn('w:lvl')}/{qn('w:numFmt')}") if abstract is not None else None
            return abstract_id, number_format is None or number_format.get(qn("w:val")) != "bullet"
        # A list style is a paragraph style (_check_styles made sure), and so is each style it is based on.
        style = cast("ParagraphStyle", style).base_style
    return None


def text_cells(text: str) -> float:
    """Width of a line in body characters: Chinese characters fill a cell, digits and Latin letters half."""
    return sum(1 if unicodedata.east_asian_width(char) in "WF" else 0.5 for char in text)


def signature_indents(signature: str, date: str) -> tuple[float, float]:
    """Right indents, in characters, of 署名 and 成文日期 (GB/T 9704 7.3.5.2): the signature two
    characters in from the right, the date below it starting two characters further right; when the
    date is the longer line, the date two characters in and the signature moved left to match."""
    signature_width, date_width = text_cells(signature), text_cells(date)
    date_right = max(SIGNATURE_RIGHT_CHARS, SIGNATURE_RIGHT_CHARS + signature_width - 2 - date_width)
    signature_right = date_right + date_width + 2 - signature_width
    return signature_right, date_right


def _place_signature_and_date(written: list[tuple[Paragraph, DocxParagraph]]) -> None:
    """The one per-document offset no style can hold: a right indent on whichever of the two lines
    needs more than the styles' two characters."""
    for (first, first_paragraph), (second, second_paragraph) in zip(written, written[1:], strict=False):
        if first.style != SIGNATURE_STYLE or second.style != DATE_STYLE:
            continue
        indents = signature_indents(first.text, second.text)
        for paragraph, right in zip((first_paragraph, second_paragraph), indents, strict=False):
            if right != SIGNATURE_RIGHT_CHARS:
                indent = paragraph._p.get_or_add_pPr().get_or_add_ind()
                indent.set(qn("w:rightChars"), str(round(right * 100)))
                indent.set(qn("w:right"), str(round(right * CHARACTER_TWIPS)))


# Cell padding of the facts table, left and right, in twips; the table style holds the same figure.
TABLE_CELL_MARGIN_TWIPS = 108


def _add_table(document: DocxDocument, block: Table, styles: StyleIndex) -> None:
    columns = max((len(row) for row in block.rows), default=0)
    table = document.add_table(rows=len(block.rows), cols=columns)
    table._tbl.tblStyle_val = styles.style_id(styles.find(block.style, "table"), "table")  # as `table.style =` sets it
    table.autofit = False
    for row_cells, row in zip(block.rows, table.rows, strict=False):
        for cell, target in zip(row_cells, row.cells, strict=False):
            paragraph = target.paragraphs[0]
            paragraph._p.style = styles.style_id(styles.find(cell.paragraph.style, "paragraph"), "paragraph")
            _fill(paragraph, cell.paragraph, styles)
    for column, width in zip(table.columns, column_widths(block), strict=False):
        column.width = width
        for cell in column.cells:
            cell.width = width


def column_widths(block: Table) -> list[int]:
    """Column widths in EMU across the type area: a column of row headings is as wide as its longest
    heading plus one character; the other columns share the rest."""
    columns = max((len(row) for row in block.rows), default=0)
    total = Mm(gbt9704.TYPE_WIDTH_MM)
    fitted: dict[int, int] = {}
    for index in range(columns):
        cells = [row[index] for row in block.rows if index < len(row)]
        if cells and all(cell.header for cell in cells):
            characters = math.ceil(max(text_cells(cell.paragraph.text) for cell in cells)) + 1
            fitted[index] = Pt((characters * CHARACTER_TWIPS + 2 * TABLE_CELL_MARGIN_TWIPS) / TWIPS_PER_POINT)
    if len(fitted) == columns:
        fitted.clear()
    shared = (total - sum(fitted.values())) // max(columns - len(fitted), 1)
    return [fitted.get(index, shared) for index in range(columns)]


# python-docx refuses longer text in the title, author and other core properties (Word's own limit).
CORE_PROPERTY_LIMIT = 255


def _property_text(text: str) -> str:
    """Text for a core property: a longer title or issuer is cut (with …) there only; the document holds it whole."""
    return text if len(text) <= CORE_PROPERTY_LIMIT else text[: CORE_PROPERTY_LIMIT - 1] + "…"


def _set_properties(document: DocxDocument, title: str, author: str, created: datetime.datetime) -> None:
    properties = document.core_properties
    properties.title = _property_text(title)
    properties.author = _property_text(author)
    properties.last_modified_by = _property_text(author)
    properties.language = "zh-CN"
    properties.created = created
    properties.modified = created
    properties.revision = 1
    properties.comments = ""
    properties.keywords = ""
    properties.subject = ""
    properties.category = ""


def package_bytes(document: DocxDocument) -> bytes:
    """The document's package as .docx bytes, each part written once with fixed entry times, so equal documents
    are equal bytes. python-docx's own save writes its parts in this order with the time of day; stamping a
    saved archive afterwards unpacked and packed every part a second time (2.5 ms a summary)."""
    package = document.part.package
    parts = package.parts  # walks the package's relationships: once
    for part in parts:
        part.before_marshal()
    out = io.BytesIO()
    writer = _FixedTimeZip(out)
    PackageWriter._write_content_types_stream(writer, parts)  # noqa: SLF001 python-docx's save, in order
    PackageWriter._write_pkg_rels(writer, package.rels)  # noqa: SLF001
    PackageWriter._write_parts(writer, parts)  # noqa: SLF001
    writer.close()
    return out.getvalue()


class _FixedTimeZip(_ZipPkgWriter):
    """python-docx's zip package writer, every entry stamped with `_FIXED_ZIP_TIME`."""

    def __new__(cls, pkg_file: io.BytesIO) -> _FixedTimeZip:  # noqa: ARG004 python-docx's always makes its own kind
        return object.__new__(cls)

    def write(self, pack_uri: PackURI, blob: bytes) -> None:
        info = zipfile.ZipInfo(pack_uri.membername, date_time=_FIXED_ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zipf.writestr(info, blob)
