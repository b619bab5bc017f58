"""Preview stage, the summary: its paragraphs and tables as HTML, styled like the Word document that was made.

The styles are read from the summary.docx itself (its `styles.xml`, `numbering.xml` and page setup),
so what the page shows follows the reference document and the configured Word fonts: sizes,
faces, bold and italic, alignment, indents in characters, spacing in lines, line pitch, list
markers, table borders and column widths (the Word writer's), and the page's width and margins.
As in Word, Latin text takes the Latin face and Chinese text the East Asian one; each East Asian
face is followed by the PDF's stand-in for the same role, so a machine without 仿宋_GB2312 shows
what the PDFs show. Text is escaped; the HTML uses classes only, so the page's content security
policy can forbid inline styles.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.etree import ElementTree

from ..word.structure import Block, Paragraph, Run, Table
from ..word.writer import column_widths

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
TWIPS_PER_POINT = 20
EMU_PER_POINT = 12700
HALF_POINTS_PER_POINT = 2
DEFAULT_HALF_POINTS = "20"  # Word's size where a document names none: 10 pt
DEFAULT_LINE_PITCH = 15.6  # Word's default grid pitch in points, where the section has no docGrid
CHARACTER_HUNDREDTHS = 100  # Word writes indents in characters as hundredths (firstLineChars="200": 2 characters)
AUTO_LINE = 240  # line="240" with lineRule="auto" is single spacing
SINGLE_LINE_HEIGHT = 1.3  # what a browser's "single" line looks like for CJK text; Word's is about the same
_ALIGNMENTS = {"both": "justify", "distribute": "justify", "center": "center", "right": "right", "end": "right"}


@dataclass
class _Style:
    """One style of styles.xml, as written (nothing inherited yet)."""

    name: str
    kind: str
    based_on: str | None
    paragraph: dict[str, str] = field(default_factory=dict)
    run: dict[str, str] = field(default_factory=dict)
    numbering: str | None = None
    bordered: bool = False


@dataclass(frozen=True)
class SummaryStyles:
    """The summary document's styles as CSS, and what HTML needs to follow them."""

    css: str
    classes: dict[str, str]  # style name (lower case) → CSS class
    markers: dict[str, tuple[str, str]]  # paragraph style (lower case) → (list format, text after the marker)


@dataclass(frozen=True)
class SummaryView:
    """The summary as the page shows it."""

    html: str
    css: str


def summary_view(docx: bytes, blocks: list[Block], stand_ins: dict[str, str]) -> SummaryView:
    """The summary's `blocks`, styled as the `docx` made from them; `stand_ins` maps Word face names to
    the PostScript names of the PDF's faces for the same role."""
    styles = read_styles(docx, stand_ins)
    tables = [block for block in blocks if isinstance(block, Table)]
    return SummaryView(summary_html(blocks, styles), styles.css + _column_rules(tables))


def read_styles(docx: bytes, stand_ins: dict[str, str]) -> SummaryStyles:
    """The styles of a .docx as CSS rules under `.summary`, one class per style."""
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        styles_xml = ElementTree.fromstring(archive.read("word/styles.xml"))
        numbering_xml = _optional(archive, "word/numbering.xml")
        document_xml = ElementTree.fromstring(archive.read("word/document.xml"))
    defaults_paragraph = _properties(styles_xml.find(f"{_W}docDefaults/{_W}pPrDefault/{_W}pPr"))
    defaults_run = _properties(styles_xml.find(f"{_W}docDefaults/{_W}rPrDefault/{_W}rPr"))
    styles = dict(_styles(styles_xml))
    markers = _list_markers(numbering_xml) if numbering_xml is not None else {}
    pitch = _line_pitch(document_xml)
    rules = [_sheet_rule(document_xml), *_stand_in_faces(stand_ins)]
    classes: dict[str, str] = {}
    list_markers: dict[str, tuple[str, str]] = {}
    for number, (identifier, style) in enumerate(styles.items()):
        css_class = f"w{number}"
        classes[style.name.lower()] = css_class
        paragraph, run = dict(defaults_paragraph), dict(defaults_run)
        for ancestor in reversed(list(_lineage(styles, identifier))):
            paragraph.update(ancestor.paragraph)
            run.update(ancestor.run)
        numbering = next((s.numbering for s in _lineage(styles, identifier) if s.numbering), None)
        if numbering in markers:
            list_markers[style.name.lower()] = markers[numbering]
        if style.kind == "table":
            rules.append(_table_rule(css_class, style))
        elif style.kind == "character" and style.run:
            rules.append(f".summary .{css_class} {{ {_run_css(style.run, stand_ins)} }}")
        else:
            size = int(run.get("sz", DEFAULT_HALF_POINTS)) / HALF_POINTS_PER_POINT
            declarations = _paragraph_css(paragraph, size, pitch) + " " + _run_css(run, stand_ins)
            rules.append(f".summary .{css_class} {{ {declarations} }}")
    return SummaryStyles("\n".join(rules) + "\n", classes, list_markers)


def _optional(archive: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    try:
        return ElementTree.fromstring(archive.read(name))
    except KeyError:
        return None


def _styles(root: ElementTree.Element) -> Iterator[tuple[str, _Style]]:
    for element in root.iter(f"{_W}style"):
        name = element.find(f"{_W}name")
        based_on = element.find(f"{_W}basedOn")
        style = _Style(
            name=_value(name) or element.get(f"{_W}styleId") or "",
            kind=element.get(f"{_W}type", "paragraph"),
            based_on=_value(based_on),
            paragraph=_properties(element.find(f"{_W}pPr")),
            run=_properties(element.find(f"{_W}rPr")),
            numbering=_value(element.find(f"{_W}pPr/{_W}numPr/{_W}numId")),
            bordered=element.find(f"{_W}tblPr/{_W}tblBorders") is not None,
        )
        yield element.get(f"{_W}styleId", style.name), style


def _lineage(styles: dict[str, _Style], identifier: str) -> Iterator[_Style]:
    """The style, then the style it is based on, and so on (a loop in a foreign file ends the walk)."""
    seen: set[str] = set()
    current: str | None = identifier
    while current is not None and current in styles and current not in seen:
        seen.add(current)
        yield styles[current]
        current = styles[current].based_on


def _value(element: ElementTree.Element | None) -> str | None:
    return None if element is None else element.get(f"{_W}val")


def _properties(element: ElementTree.Element | None) -> dict[str, str]:
    """The properties this preview shows, flattened: `ind.firstLineChars`, `sz`, `b`, `rFonts.eastAsia` …"""
    found: dict[str, str] = {}
    if element is None:
        return found
    for child in element:
        tag = child.tag.removeprefix(_W)
        if tag in ("ind", "spacing", "rFonts"):
            for attribute, value in child.attrib.items():
                found[f"{tag}.{attribute.removeprefix(_W)}"] = value
        elif tag in ("jc", "sz", "color"):
            found[tag] = child.get(f"{_W}val", "")
        elif tag in ("b", "i"):
            found[tag] = child.get(f"{_W}val", "1")
    return found


def _length(properties: dict[str, str], name: str, size_pt: float) -> str | None:
    """An indent as CSS: in characters when Word has them (`…Chars`), else twips as points."""
    characters = properties.get(f"ind.{name}Chars")
    if characters is not None and int(characters) != 0:
        return f"{int(characters) / CHARACTER_HUNDREDTHS * size_pt:g}pt"
    twips = properties.get(f"ind.{name}")
    if twips is not None:
        return f"{int(twips) / TWIPS_PER_POINT:g}pt"
    return None


def _paragraph_css(paragraph: dict[str, str], size: float, pitch: float) -> str:
    """Alignment, indents (characters are `size` points), spacing (lines are `pitch` points) and line height."""
    declarations = ["margin: 0;"]
    if "jc" in paragraph:
        declarations.append(f"text-align: {_ALIGNMENTS.get(paragraph['jc'], 'left')};")
    for css, name in (("text-indent", "firstLine"), ("margin-left", "left"), ("margin-right", "right")):
        length = _length(paragraph, name, size)
        if length is not None:
            declarations.append(f"{css}: {length};")
    hanging = _length(paragraph, "hanging", size)
    if hanging is not None:
        declarations.append(f"text-indent: -{hanging};")
    for css, name in (("margin-top", "before"), ("margin-bottom", "after")):
        lines = paragraph.get(f"spacing.{name}Lines")
        twips = paragraph.get(f"spacing.{name}")
        if lines is not None:
            declarations.append(f"{css}: {int(lines) / CHARACTER_HUNDREDTHS * pitch:g}pt;")
        elif twips is not None:
            declarations.append(f"{css}: {int(twips) / TWIPS_PER_POINT:g}pt;")
    line, rule = paragraph.get("spacing.line"), paragraph.get("spacing.lineRule", "auto")
    if line is not None and rule in ("exact", "atLeast"):
        declarations.append(f"line-height: {int(line) / TWIPS_PER_POINT:g}pt;")
    elif line is not None:
        declarations.append(f"line-height: {int(line) / AUTO_LINE * SINGLE_LINE_HEIGHT:g};")
    return " ".join(declarations)


def _run_css(run: dict[str, str], stand_ins: dict[str, str]) -> str:
    declarations = []
    faces = [run[key] for key in ("rFonts.ascii", "rFonts.eastAsia") if key in run]
    if faces:
        families = [*faces, *(_stand_in_family(face) for face in faces if face in stand_ins)]
        declarations.append("font-family: " + ", ".join(map(_css_string, dict.fromkeys(families))) + ", serif;")
    if "sz" in run:
        declarations.append(f"font-size: {int(run['sz']) / HALF_POINTS_PER_POINT:g}pt;")
    if "spacing.val" in run:
        declarations.append(f"letter-spacing: {int(run['spacing.val']) / TWIPS_PER_POINT:g}pt;")
    for name, css in (("b", "font-weight: bold;"), ("i", "font-style: italic;")):
        if name in run:
            declarations.append(css if run[name] not in ("0", "false") else css.split(":")[0] + ": normal;")
    colour = run.get("color", "")
    if re.fullmatch(r"[0-9A-Fa-f]{6}", colour):
        declarations.append(f"color: #{colour};")
    return " ".join(declarations)


def _stand_in_family(face: str) -> str:
    return f"{face} (stand-in)"


def _stand_in_faces(stand_ins: dict[str, str]) -> list[str]:
    """A family per Word face, drawn with the PDF's face for its role (`local()` finds it by PostScript name)."""
    return [
        f"@font-face {{ font-family: {_css_string(_stand_in_family(face))}; src: local({_css_string(postscript)}); }}"
        for face, postscript in stand_ins.items()
    ]


def _css_string(text: str) -> str:
    return '"' + re.sub(r'["\\\n<>]', "", text) + '"'


def _table_rule(css_class: str, style: _Style) -> str:
    border = "1px solid #000" if style.bordered else "none"
    return (
        f".summary table.{css_class} {{ border-collapse: collapse; table-layout: fixed; }}\n"
        f".summary table.{css_class} > tbody > tr > * "
        f"{{ border: {border}; padding: 0 5.4pt; vertical-align: middle; font-weight: normal; }}"
    )


def _column_rules(tables: list[Table]) -> str:
    """Each table's column widths, as the Word writer sets them."""
    return "".join(
        f".summary table.table-{number} > colgroup > col:nth-child({column + 1}) "
        f"{{ width: {width / EMU_PER_POINT:g}pt; }}\n"
        for number, table in enumerate(tables)
        for column, width in enumerate(column_widths(table))
    )


def _line_pitch(document: ElementTree.Element) -> float:
    grid = document.find(f".//{_W}sectPr/{_W}docGrid")
    pitch = grid.get(f"{_W}linePitch") if grid is not None else None
    return int(pitch) / TWIPS_PER_POINT if pitch else DEFAULT_LINE_PITCH


def _sheet_rule(document: ElementTree.Element) -> str:
    """The page's width and margins, from the last section."""
    size = document.find(f".//{_W}sectPr/{_W}pgSz")
    margins = document.find(f".//{_W}sectPr/{_W}pgMar")

    def points(element: ElementTree.Element | None, name: str, default: int) -> str:
        value = element.get(f"{_W}{name}") if element is not None else None
        return f"{int(value or default) / TWIPS_PER_POINT:g}pt"

    return (
        f".summary {{ width: {points(size, 'w', 11906)}; box-sizing: border-box; "
        f"padding: {points(margins, 'top', 1440)} {points(margins, 'right', 1440)} "
        f"{points(margins, 'bottom', 1440)} {points(margins, 'left', 1440)}; }}"
    )


def _list_markers(numbering: ElementTree.Element) -> dict[str, tuple[str, str]]:
    """numId → (the first level's text, e.g. "%1." or "•", and what follows it)."""
    abstract = {}
    for element in numbering.iter(f"{_W}abstractNum"):
        level = element.find(f"{_W}lvl")
        if level is not None:
            text = _value(level.find(f"{_W}lvlText")) or ""
            suffix = {"nothing": "", "space": " "}.get(_value(level.find(f"{_W}suff")) or "tab", "\u2003")
            abstract[element.get(f"{_W}abstractNumId")] = (text, suffix)
    return {
        element.get(f"{_W}numId", ""): abstract[_value(element.find(f"{_W}abstractNumId"))]
        for element in numbering.iter(f"{_W}num")
        if _value(element.find(f"{_W}abstractNumId")) in abstract
    }


def summary_html(blocks: list[Block], styles: SummaryStyles) -> str:
    """The blocks as HTML: one element per paragraph or table, each with its style's class."""
    out: list[str] = []
    counters: dict[int, int] = {}
    tables = 0
    for block in blocks:
        if isinstance(block, Table):
            columns = max((len(row) for row in block.rows), default=0)
            out.append(f'<table class="{styles.classes.get(block.style.lower(), "")} table-{tables}">')
            out.append("<colgroup>" + "<col>" * columns + "</colgroup>")
            tables += 1
            out.extend(
                "<tr>"
                + "".join(
                    ("<th>" if cell.header else "<td>")
                    + _paragraph(cell.paragraph, styles, "")
                    + ("</th>" if cell.header else "</td>")
                    for cell in row
                )
                + "</tr>"
                for row in block.rows
            )
            out.append("</table>")
            continue
        marker = ""
        if block.list_id is not None and block.style.lower() in styles.markers:
            counters[block.list_id] = counters.get(block.list_id, 0) + 1
            text, suffix = styles.markers[block.style.lower()]
            marker = text.replace("%1", str(counters[block.list_id])) + suffix
        out.append(_paragraph(block, styles, marker))
    return "\n".join(out)


def _paragraph(paragraph: Paragraph, styles: SummaryStyles, marker: str) -> str:
    css_class = styles.classes.get(paragraph.style.lower(), "")
    style = html.escape(paragraph.style)
    body = html.escape(marker) + "".join(_run(run, styles) for run in paragraph.runs)
    return f'<p class="{css_class}" data-style="{style}">{body}</p>'


def _run(run: Run, styles: SummaryStyles) -> str:
    if run.line_break:
        return "<br>"
    text = html.escape(run.text)
    if not run.style:
        return text
    css_class = styles.classes.get(run.style.lower(), "")
    return f'<span class="{css_class}" data-style="{html.escape(run.style)}">{text}</span>'
