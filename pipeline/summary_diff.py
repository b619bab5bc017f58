"""Reading back (after stage 4, for `gongwen diff`): a Word summary as a list of paragraphs and table rows, and how
an edited summary differs from the one gongwen makes from the current content, so that edits can be carried over by
hand.

Both documents are read with python-docx in body order: each paragraph is an item numbered ¶1, ¶2 …
(tables do not count), each table row an item `table N row M` whose cells are joined by ` | `. The
two lists are aligned with difflib on (style, text); what is only in gongwen's summary is removed
(−), what is only in the edited one is added (+), each with its number in its own document.
"""

from __future__ import annotations

import difflib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docx
from docx.oxml.ns import qn
from docx.table import Table
from docx.text.paragraph import Paragraph

from .artifacts import SUMMARY
from .config import Configuration
from .errors import ContentError, OutputError, Problem, Where, shown_path
from .output.folder import OutputFolder
from .output.manifest import MANIFEST

if TYPE_CHECKING:
    from docx.document import Document as DocxDocument

CONTEXT = 1
"""Unchanged items shown around each change: enough to find the place in Word, few enough to read."""
DEFAULT_STYLE = "Normal"
"""The style most paragraphs have: not shown, so that what is shown stands out."""


@dataclass(frozen=True)
class Item:
    """One paragraph or table row of a summary: where it is, its style and its text."""

    label: str  # ¶3, or table 1 row 2
    style: str
    text: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.style, self.text)

    def shown(self) -> str:
        style = "" if self.style in (DEFAULT_STYLE, "") else f"[{self.style}] "
        return f"{self.label} {style}{self.text or '(empty)'}"


@dataclass(frozen=True)
class Change:
    """One line of the comparison: `-` only in gongwen's summary, `+` only in the edited one, ` ` both."""

    sign: str
    item: Item
    fresh: str | None  # the item's label in gongwen's summary, when it is there
    edited: str | None  # and in the edited one

    def as_json(self) -> dict[str, str | None]:
        operation = {"-": "removed", "+": "added", " ": "same"}[self.sign]
        return {
            "change": operation,
            "fresh": self.fresh,
            "edited": self.edited,
            "style": self.item.style,
            "text": self.item.text,
        }


def summary_items(data: bytes) -> list[Item]:
    """The paragraphs and table rows of a .docx, in the order Word shows them."""
    document: DocxDocument = docx.Document(io.BytesIO(data))
    items: list[Item] = []
    paragraphs = tables = 0
    for element in document.element.body.iterchildren():
        if element.tag == qn("w:p"):
            paragraphs += 1
            paragraph = Paragraph(element, document)
            style = paragraph.style.name if paragraph.style is not None else ""
            items.append(Item(f"¶{paragraphs}", style or "", paragraph.text))
        elif element.tag == qn("w:tbl"):
            tables += 1
            table = Table(element, document)
            for number, row in enumerate(table.rows, start=1):
                items.append(Item(f"table {tables} row {number}", "", " | ".join(_row_cells(row.cells))))
    return items


def _row_cells(cells: list) -> list[str]:
    """Cell texts of a row; a merged cell appears once, not once per grid column it spans."""
    texts: list[str] = []
    previous = None
    for cell in cells:
        if previous is None or cell._tc is not previous:
            texts.append(cell.text)
        previous = cell._tc
    return texts


def compare(fresh: list[Item], edited: list[Item], context: int = CONTEXT) -> list[list[Change]]:
    """Groups of changes from gongwen's summary to the edited one, each with `context` unchanged items around it."""
    matcher = difflib.SequenceMatcher(None, [item.key for item in fresh], [item.key for item in edited], autojunk=False)
    groups = []
    for group in matcher.get_grouped_opcodes(context):
        changes: list[Change] = []
        for operation, fresh_start, fresh_end, edited_start, edited_end in group:
            if operation == "equal":
                for before, after in zip(fresh[fresh_start:fresh_end], edited[edited_start:edited_end], strict=True):
                    changes.append(Change(" ", after, before.label, after.label))
                continue
            changes.extend(Change("-", item, item.label, None) for item in fresh[fresh_start:fresh_end])
            changes.extend(Change("+", item, None, item.label) for item in edited[edited_start:edited_end])
        groups.append(changes)
    return groups


def diff_lines(groups: list[list[Change]], fresh_name: str, edited_name: str) -> list[str]:
    """The comparison as text: a header naming both files, then each group under `@@ fresh ¶a, edited ¶b @@`."""
    if not groups:
        return []
    lines = [f"--- {fresh_name}", f"+++ {edited_name}"]
    for changes in groups:
        first_fresh = next((change.fresh for change in changes if change.fresh), "end")
        first_edited = next((change.edited for change in changes if change.edited), "end")
        lines.append(f"@@ fresh {first_fresh}, edited {first_edited} @@")
        for change in changes:
            lines.append(f"{change.sign} {change.item.shown()}")
    return lines


@dataclass(frozen=True)
class SummaryDifference:
    """How the summary of a publication in the output folder differs from gongwen's version of it."""

    edited: Path  # the summary in place
    fresh: str  # where gongwen's version is, as a message names it
    groups: list[list[Change]]
    note: str | None = None  # why there is nothing to compare

    def lines(self) -> list[str]:
        return diff_lines(self.groups, f"{self.fresh}", f"{shown_path(self.edited)} (edited by hand)")

    def as_json(self) -> dict[str, Any]:
        return {
            "edited": shown_path(self.edited),
            "fresh": self.fresh,
            "note": self.note,
            "changes": [change.as_json() for changes in self.groups for change in changes if change.sign != " "],
        }


def summary_difference(publication_id: str, configuration: Configuration) -> SummaryDifference:
    """Compare the summary of `publication_id` in the output folder with gongwen's version of it: the fresh file
    beside it, or — where there is none (the edit was made from the current inputs) — the summary made now, in
    memory, from the publication's content file. An OutputError when the output folder has no such publication."""
    output_folder = configuration.output_folder()
    with OutputFolder(output_folder, {}, read_only=True).open() as output:
        path = f"{publication_id}/{SUMMARY.name}"
        record = output.records.artifacts.get(path)
        publication = output.records.publications.get(publication_id)
    edited = output_folder / path
    if publication is None and record is None:
        message = (
            f"no publication {publication_id} in {shown_path(output_folder / MANIFEST)}; `gongwen status` lists them"
        )
        raise OutputError(Problem(Where(publication_id), "", message))
    if record is None:
        return SummaryDifference(edited, "", [], "not there: the next build makes it")
    if not record.edited:
        return SummaryDifference(edited, "", [], "holds what gongwen built: no edit to compare")
    if record.fresh is not None:
        fresh_data = (output_folder / record.fresh).read_bytes()
        label = f"{shown_path(output_folder / record.fresh)} (gongwen's, rebuilt beside the edit)"
    else:
        assert publication is not None, "an artifact's record comes with its publication's"
        fresh_data, label = _made_now(configuration, configuration.root / publication.source)
    groups = compare(summary_items(fresh_data), summary_items(edited.read_bytes()))
    note = None if groups else "differs only in formatting, not in the text or styles of its paragraphs and rows"
    return SummaryDifference(edited, label, groups, note)


def _made_now(configuration: Configuration, source: Path) -> tuple[bytes, str]:
    """The summary a build would make now from `source`, and how the comparison names it."""
    from .content.model import load_publication  # the engines load only when a summary must be made
    from .publisher import Publisher

    if not source.is_file():
        message = "the content file of this publication is gone: no version of gongwen's to compare with"
        raise ContentError(Problem(Where(shown_path(source)), "", message))
    publication = load_publication(source, shown_path(source))
    [summary] = Publisher(configuration).artifacts(publication, (SUMMARY,))
    return summary.data, f"{shown_path(source)} (gongwen's summary, made now)"
