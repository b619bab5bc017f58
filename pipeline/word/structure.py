"""Stage 3, render (Word): the document structure — the summary template's small HTML subset, read into paragraphs
and tables with named styles.

The mapping is the whole contract between the summary template and the Word writer:

    h1 → Title        h2 → Heading 1     h3 → Heading 2     h4 → Heading 3
    p  → Normal       p.signature → Signature                p.date → Date
    ol > li → List Number                ul > li → List Bullet
    table → Facts Table, th → Table Heading, td → Table Text
    em → Emphasis     strong → Strong    br → line break
    data-style="Name" on a block or inline element names any style of the reference document.

Anything else is an error naming the tag, so a template never loses text silently.
"""

from __future__ import annotations

import html.parser
from dataclasses import dataclass, field
from typing import NoReturn

from ..content.text import clean_text
from ..errors import Problem, TemplateError, Where

BLOCK_STYLES = {"h1": "Title", "h2": "Heading 1", "h3": "Heading 2", "h4": "Heading 3", "p": "Normal"}
CLASS_STYLES = {"signature": "Signature", "date": "Date", "note": "Note"}
LIST_STYLES = {"ol": "List Number", "ul": "List Bullet"}
INLINE_STYLES = {"em": "Emphasis", "strong": "Strong", "span": None}
TABLE_STYLE = "Facts Table"
CELL_STYLES = {"th": "Table Heading", "td": "Table Text"}
_IGNORED = {"html", "head", "body", "meta", "title", "tbody", "thead"}
_TABLE_TAGS = {"table", "tr", *CELL_STYLES}


@dataclass(frozen=True)
class Run:
    text: str
    style: str | None = None  # character style
    line_break: bool = False


@dataclass(frozen=True)
class Paragraph:
    style: str
    runs: tuple[Run, ...]
    list_id: int | None = None  # which <ol>/<ul> of the document an item belongs to, counted from 0

    @property
    def text(self) -> str:
        return "".join("\n" if run.line_break else run.text for run in self.runs)


@dataclass(frozen=True)
class Cell:
    paragraph: Paragraph
    header: bool


@dataclass(frozen=True)
class Table:
    style: str
    rows: tuple[tuple[Cell, ...], ...]


Block = Paragraph | Table


@dataclass(frozen=True)
class _List:
    """An open <ol> or <ul>: the style of its items, which list of the document it is, where it started."""

    tag: str
    style: str
    list_id: int
    at: tuple[int, int]


@dataclass
class _Open:
    tag: str
    style: str | None
    list_id: int | None = None
    runs: list[Run] = field(default_factory=list)
    at: tuple[int, int] = (1, 0)  # where its start tag was: line, and column from 0


class _SubsetReader(html.parser.HTMLParser):
    def __init__(self, template: str):
        super().__init__(convert_charrefs=True)
        self.template = template
        self.blocks: list[Block] = []
        self.block: _Open | None = None
        self.inline: list[str | None] = []
        self.lists: list[_List] = []
        self.lists_opened = 0
        self.rows: list[list[Cell]] | None = None
        self.table_style = TABLE_STYLE
        self.in_title = False
        self.table_at = (1, 0)  # where the open table started

    def fail(self, message: str, at: tuple[int, int] | None = None) -> NoReturn:
        line, column = at or self.getpos()
        raise TemplateError(Problem(Where(self.template, line, column + 1), "", message))

    def check_closed(self) -> None:
        """At the end: an element left open would lose its text (a paragraph, a cell, a table) or say nothing
        of where it was meant to end (a list); either is one line at its start tag."""
        if self.block is not None:
            self.fail(f"<{self.block.tag}> is never closed: its text would be lost", self.block.at)
        if self.rows is not None:
            self.fail("<table> is never closed: it would be lost", self.table_at)
        if self.lists:
            self.fail(f"<{self.lists[-1].tag}> is never closed", self.lists[-1].at)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        named = attributes.get("data-style")
        if tag in _IGNORED:
            self.in_title = tag == "title"
        elif tag == "br" or tag in INLINE_STYLES:
            self._start_inline(tag, named)
        elif self.block is not None:
            self.fail(f"<{tag}> inside <{self.block.tag}>: blocks cannot be nested")
        elif tag in _TABLE_TAGS:
            self._start_table_part(tag, named)
        else:
            self._start_block(tag, named, attributes.get("class"))

    def _start_inline(self, tag: str, named: str | None) -> None:
        """<br> or an inline style: inside a paragraph only."""
        if self.block is None:
            self.fail(f"<{tag}> outside a paragraph")
        if tag == "br":
            self.block.runs.append(Run("", None, line_break=True))
        else:
            self.inline.append(named or INLINE_STYLES[tag])

    def _start_block(self, tag: str, named: str | None, class_name: str | None) -> None:
        """A paragraph, a list or a list item; any other tag is outside the subset."""
        if tag in BLOCK_STYLES:
            style = named or CLASS_STYLES.get(class_name or "", BLOCK_STYLES[tag])
            self.block = _Open(tag, style, at=self.getpos())
        elif tag in LIST_STYLES:
            self.lists.append(_List(tag, named or LIST_STYLES[tag], self.lists_opened, self.getpos()))
            self.lists_opened += 1
        elif tag == "li":
            if not self.lists:
                self.fail("<li> outside <ol> or <ul>")
            self.block = _Open(tag, named or self.lists[-1].style, self.lists[-1].list_id, at=self.getpos())
        else:
            self.fail(
                f"<{tag}> is not part of the summary's HTML subset "
                "(h1–h4, p, ol, ul, li, table, tr, th, td, em, strong, span, br)"
            )

    def _start_table_part(self, tag: str, named: str | None) -> None:
        """<table>, <tr>, or a cell (<th>, <td>) inside a row."""
        if tag == "table":
            self.rows = []
            self.table_style = named or TABLE_STYLE
            self.table_at = self.getpos()
        elif tag == "tr":
            if self.rows is None:
                self.fail("<tr> outside <table>")
            self.rows.append([])
        else:
            if not self.rows:
                self.fail(f"<{tag}> outside <tr>")
            self.block = _Open(tag, named or CELL_STYLES[tag], at=self.getpos())

    def handle_endtag(self, tag: str) -> None:
        if tag in _IGNORED:
            self.in_title = False
            return
        if tag in INLINE_STYLES:
            if self.inline:
                self.inline.pop()
            return
        if tag in LIST_STYLES:
            if self.lists:
                self.lists.pop()
            return
        if tag == "table":
            if self.rows is not None:
                self.blocks.append(Table(self.table_style, tuple(tuple(row) for row in self.rows)))
            self.rows = None
            return
        if self.block is not None and tag == self.block.tag:
            paragraph = Paragraph(self.block.style or "Normal", tuple(_tidy(self.block.runs)), self.block.list_id)
            if tag in CELL_STYLES and self.rows:
                self.rows[-1].append(Cell(paragraph, tag == "th"))
            else:
                self.blocks.append(paragraph)
            self.block = None

    def handle_data(self, data: str) -> None:
        if self.in_title:
            return
        if self.block is None:
            if data.strip():
                self.fail(f"text outside a paragraph: {data.strip()[:30]!r}")
            return
        style = next((style for style in reversed(self.inline) if style), None)
        self.block.runs.append(Run(data, style))


def _tidy(runs: list[Run]) -> list[Run]:
    """Template white space is not content: join lines and trim the paragraph's ends."""
    cleaned = [Run(clean_text(run.text) if not run.line_break else "", run.style, run.line_break) for run in runs]
    # clean_text trims each run; keep single spaces that separated inline runs.
    for index, (original, run) in enumerate(zip(runs, cleaned, strict=False)):
        if run.text and original.text[:1].isspace() and index > 0 and original.text.strip() != "":
            cleaned[index] = Run(" " + run.text, run.style)
    return [run for run in cleaned if run.text or run.line_break]


def read_structure(markup: str, template: str) -> list[Block]:
    """Blocks of the summary, in order."""
    reader = _SubsetReader(template)
    reader.feed(markup)
    reader.close()
    reader.check_closed()
    return reader.blocks


def mapped_styles() -> list[tuple[str, str]]:
    """(style name, kind) of every style the mapping above may name, whatever a template uses."""
    paragraph_styles = [*BLOCK_STYLES.values(), *CLASS_STYLES.values(), *LIST_STYLES.values(), *CELL_STYLES.values()]
    return (
        [(name, "paragraph") for name in paragraph_styles]
        + [(name, "character") for name in INLINE_STYLES.values() if name]
        + [(TABLE_STYLE, "table")]
    )


def styles_used(blocks: list[Block]) -> list[tuple[str, str]]:
    """(style name, 'paragraph' | 'character' | 'table') for every style the blocks use."""
    used: dict[tuple[str, str], None] = {}
    for block in blocks:
        paragraphs = [block] if isinstance(block, Paragraph) else [cell.paragraph for row in block.rows for cell in row]
        if isinstance(block, Table):
            used[(block.style, "table")] = None
        for paragraph in paragraphs:
            used[(paragraph.style, "paragraph")] = None
            for run in paragraph.runs:
                if run.style:
                    used[(run.style, "character")] = None
    return list(used)
