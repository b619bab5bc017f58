"""Stage 4, write (OFD): which text objects hold the document's parts — 发文机关标志, 发文字号, 标题, 正文, 署名 …

The parts are found on the laid-out pages by their printed text, taken from the publication, not
from the HTML the templates emit: a new masthead or end block moves glyphs, not words. Runs are
read in page order (top to bottom, then left to right) with white space and page numbers left out;
each part is the shortest sequence of runs that holds its text. Header parts are looked for from
the top, the signature and its date from the bottom (the issuer's name may also occur in the body),
the end block after the date. 正文 is every run between the title and the signature. A part that
is not found is left out rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..content.model import Publication
from ..pdf.pages import GlyphRun, LaidOutDocument
from ..render.wording import Wording
from ..typeset.numerals import chinese_date, chinese_number

PAGE_NUMBER = re.compile(r"—\s*\d+\s*—")
"""How the stylesheet prints page numbers (GB/T 9704 7.5: — 1 —)."""

BASELINE_TOLERANCE = 0.5
"""Runs whose baselines differ by less than this (pt) are on one line: spans of one line share a baseline."""


@dataclass(frozen=True)
class Fields:
    """The printed text of each part a document may have, as the publication gives it."""

    mark: str | None  # 发文机关标志 (issuer + 文件), with a document number only
    number: str | None  # 发文字号
    title: str
    subtitle: str | None
    signature: str  # 发文机关署名
    date: str  # 成文日期, as printed
    note: str | None  # 附注
    copy_to: tuple[str, ...]  # 抄送机关
    printed_by: str | None  # 印发机关
    printed_on: str | None  # 印发日期, as printed
    headings: tuple[str, ...]  # level-1 headings, numbered 一、 二、 … in print


def briefing_fields(publication: Publication) -> Fields:
    return Fields(
        mark=publication.issuer + "文件" if publication.number else None,
        number=publication.number,
        title=publication.title,
        subtitle=publication.subtitle,
        signature=publication.issuer,
        date=chinese_date(publication.date),
        note=publication.note,
        copy_to=publication.copy_to,
        printed_by=publication.printed_by,
        printed_on=chinese_date(publication.printed_on) if publication.printed_on else None,
        headings=tuple(section.heading for section in publication.briefing.sections if section.heading),
    )


def notice_fields(words: Wording) -> Fields:
    return Fields(
        mark=None,
        number=None,
        title=words.title,
        subtitle=None,
        signature=words.signer,
        date=chinese_date(words.date),
        note=None,
        copy_to=(),
        printed_by=None,
        printed_on=None,
        headings=(),
    )


@dataclass(frozen=True)
class RunRef:
    page: int  # index of the page
    run: int  # index of the run among the page's marks


@dataclass(frozen=True)
class Part:
    """A part of the document: its tag name (GB/T 9704's term) and the runs that print it."""

    tag: str
    runs: tuple[RunRef, ...]
    text: str


TAGS = {
    "mark": "发文机关标志",
    "number": "发文字号",
    "title": "标题",
    "subtitle": "副标题",
    "body": "正文",
    "signature": "发文机关署名",
    "date": "成文日期",
    "note": "附注",
    "copy_to": "抄送机关",
    "printed_by": "印发机关",
    "printed_on": "印发日期",
    "page_number": "页码",
    "heading": "一级标题",
}
"""Element names of the custom tags: the terms of GB/T 9704-2012 (and GB/T 33476.2's 公文域) for each part."""


class _Stream:
    """The document's runs in reading order, their text joined without white space, with a map back to runs."""

    def __init__(self, document: LaidOutDocument) -> None:
        self.refs: list[RunRef] = []
        self.page_numbers: list[RunRef] = []
        self.starts: list[int] = []  # offset of each run's text in `text`
        self.lines: list[int] = []  # line number of each run, counted over the document
        pieces: list[str] = []
        offset = 0
        line = -1
        for page_index, page in enumerate(document.pages):
            runs = [(index, mark) for index, mark in enumerate(page.marks) if isinstance(mark, GlyphRun)]
            runs.sort(key=lambda item: (round(item[1].baseline / BASELINE_TOLERANCE), item[1].x))
            previous: float | None = None
            for index, run in runs:
                text = re.sub(r"\s+", "", run.text)
                if not text:
                    continue
                ref = RunRef(page_index, index)
                if PAGE_NUMBER.fullmatch(run.text.strip()):
                    self.page_numbers.append(ref)
                    continue
                if previous is None or abs(run.baseline - previous) >= BASELINE_TOLERANCE:
                    line += 1
                previous = run.baseline
                self.refs.append(ref)
                self.starts.append(offset)
                self.lines.append(line)
                pieces.append(text)
                offset += len(text)
        self.text = "".join(pieces)

    def runs_at(self, start: int, end: int) -> tuple[int, int]:
        """Indexes [first, last + 1) of the runs that hold text[start:end]."""
        first = last = 0
        for index, run_start in enumerate(self.starts):
            if run_start <= start:
                first = index
            if run_start < end:
                last = index
        return first, last + 1

    def find(self, target: str, start: int = 0, *, from_end: bool = False, limit: int | None = None) -> int | None:
        needle = re.sub(r"\s+", "", target)
        if not needle:
            return None
        end = len(self.text) if limit is None else limit
        found = self.text.rfind(needle, start, end) if from_end else self.text.find(needle, start, end)
        return None if found < 0 else found


def document_parts(document: LaidOutDocument, fields: Fields) -> list[Part]:
    """The parts found on the pages, in document order, with the page numbers last."""
    stream = _Stream(document)
    parts: list[Part] = []
    taken: dict[str, tuple[int, int]] = {}  # field → [first run, last run + 1)

    def take(name: str, text: str | None, start: int = 0, limit: int | None = None) -> int | None:
        if not text:
            return None
        found = stream.find(text, start, limit=limit)
        if found is None:
            return None
        length = len(re.sub(r"\s+", "", text))
        taken[name] = stream.runs_at(found, found + length)
        return found + length

    cursor = 0
    for name in ("mark", "number", "title", "subtitle"):
        after = take(name, getattr(fields, name), cursor)
        cursor = after if after is not None else cursor
    head_end = cursor
    # The signature and the date stand together near the end; the issuer's name may occur in the body.
    together = stream.find(fields.signature + fields.date, head_end, from_end=True)
    if together is not None:
        take("signature", fields.signature, together, limit=together + len(fields.signature))
        cursor = take("date", fields.date, together + len(fields.signature)) or cursor
    if fields.note:
        cursor = take("note", f"（{fields.note}）", cursor) or take("note", fields.note, cursor) or cursor
    for name, text in (
        ("copy_to", "，".join(fields.copy_to)),
        ("printed_by", fields.printed_by),
        ("printed_on", fields.printed_on),
    ):
        cursor = take(name, text, cursor) or cursor
    head_runs = max(
        (end for name, (_, end) in taken.items() if name in ("mark", "number", "title", "subtitle")), default=0
    )
    body_end = taken["signature"][0] if "signature" in taken else len(stream.refs)
    if body_end > head_runs:
        taken["body"] = (head_runs, body_end)
    order = (
        "mark",
        "number",
        "title",
        "subtitle",
        "body",
        "signature",
        "date",
        "note",
        "copy_to",
        "printed_by",
        "printed_on",
    )
    for name in order:
        if name in taken:
            first, last = taken[name]
            text = "".join(
                stream.text[stream.starts[index] : stream.starts[index + 1] if index + 1 < len(stream.starts) else None]
                for index in range(first, last)
            )
            parts.append(Part(TAGS[name], tuple(stream.refs[first:last]), text))
    parts.extend(_headings(stream, fields, taken.get("body")))
    if stream.page_numbers:
        parts.append(Part(TAGS["page_number"], tuple(stream.page_numbers), ""))
    return parts


def _headings(stream: _Stream, fields: Fields, body: tuple[int, int] | None) -> list[Part]:
    """Level-1 headings inside the body: 一、 and the heading's text at the start of a line."""
    if body is None:
        return []
    found: list[Part] = []
    cursor = stream.starts[body[0]]
    limit = stream.starts[body[1]] if body[1] < len(stream.starts) else len(stream.text)
    for number, heading in enumerate(fields.headings, start=1):
        printed = chinese_number(number) + "、" + heading
        position = stream.find(printed, cursor, limit=limit)
        if position is None:
            continue
        first, last = stream.runs_at(position, position + len(re.sub(r"\s+", "", printed)))
        line_start = min(index for index in range(len(stream.refs)) if stream.lines[index] == stream.lines[first])
        if stream.starts[first] != position or first != line_start:
            continue  # not at the start of a line: the words occur in running text
        found.append(Part(TAGS["heading"], tuple(stream.refs[first:last]), heading))
        cursor = position + len(printed)
    return found
