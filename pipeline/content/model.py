"""Stage 1, content: the validated, immutable publication (content schema 1), built from loaded nodes.

Every field of a content file is declared here, once. `load_publication` reads a file and returns
a `Publication`, or raises ContentError with one `path:line:column: field: problem` line per
mistake. `content_json_schema()` publishes the same declarations for editors.
"""

from __future__ import annotations

import dataclasses
import datetime
import math
import re
import typing
import unicodedata
from collections.abc import Iterable
from collections.abc import Mapping as TypingMapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from ..artifacts import ID_PATTERN, MAX_ID_LENGTH
from ..errors import ContentError, Problem, Where
from . import ContentDigests
from .load import Source, read_with_defaults
from .nodes import Mapping, Node, Scalar, Sequence
from .records import Record, Time, convert_record, field_spec, json_schema, schema_for, spec

BODY_CELLS = 28  # characters on a line of body text (GB/T 9704)
_NUMBER_PATTERN = r"\S+〔[12][0-9]{3}〕[1-9][0-9]*号"

ChannelType = Literal["phone", "mailbox", "email", "web", "visit", "box"]

CHANNEL_LABELS: TypingMapping[str, str] = MappingProxyType(
    {
        "phone": "值班电话",
        "mailbox": "邮政信箱",
        "email": "电子邮箱",
        "web": "网上举报",
        "visit": "来访接待地点",
        "box": "意见箱",
    }
)


@dataclass(frozen=True)
class Options(Record):
    """Rendering switches for one publication."""

    normalize_punctuation: bool = spec(
        "Turn half-width , : ; ( ) ! ? and straight quotes in Chinese text into their full-width "
        "forms; runs such as 010-68334749 or 8:00 stay as typed.",
        default=True,
    )


@dataclass(frozen=True)
class Generated(Record):
    """A paragraph gongwen writes from the notice, placed among typed ones: `- contacts: true`."""

    contacts: bool = spec(
        "The contacts paragraph: the team, the period, every channel and the hours of `notice`, in the tour's words."
    )

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if not self.contacts:
            yield "contacts", "write `contacts: true`, or leave the item out", "false"


Paragraph = str | Generated
"""A paragraph of the briefing: text as typed, or one gongwen writes (`- contacts: true`)."""

_PARAGRAPHS_DOC = "text, or `contacts: true` for the contacts paragraph written from `notice`"


@dataclass(frozen=True)
class Subsection(Record):
    """A level-2 part of a briefing section, numbered （一）, （二） …"""

    heading: str = spec("Heading of the part, without its number.")
    paragraphs: tuple[Paragraph, ...] = spec(f"Paragraphs of the part: {_PARAGRAPHS_DOC}.", min_items=1)


@dataclass(frozen=True)
class Section(Record):
    """A part of the briefing under an optional level-1 heading, numbered 一、 二、 …"""

    heading: str | None = spec("Heading of the section, without its number.", default=None)
    paragraphs: tuple[Paragraph, ...] = spec(f"Paragraphs of the section, in order: {_PARAGRAPHS_DOC}.", default=())
    sections: tuple[Subsection, ...] = spec("Level-2 parts after the paragraphs.", default=())

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if not self.paragraphs and not self.sections:
            yield "paragraphs", "a section needs at least one paragraph or part", 0


@dataclass(frozen=True)
class Briefing(Record):
    """The multi-page briefing PDF."""

    sections: tuple[Section, ...] = spec("Sections of the briefing, in order.", min_items=1)


@dataclass(frozen=True)
class Summary(Record):
    """The Word summary that colleagues edit."""

    points: tuple[str, ...] = spec("Key points, one or two sentences each.", min_items=1)
    lead: str | None = spec("One or two sentences that open the summary.", default=None)


@dataclass(frozen=True)
class Period(Record):
    """The dates the inspection team is stationed at the unit."""

    start: datetime.date = spec("First day (YYYY-MM-DD).")
    end: datetime.date = spec("Last day (YYYY-MM-DD), not before `start`.")

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if self.end < self.start:
            yield "end", f"the period ends before it starts ({self.start.isoformat()})", self.end.isoformat()


NOON = Time(12, 0)
LAST_NOON_MINUTE = Time(12, 59)


def twelve_hour(time: Time) -> str:
    """A time on a 12-hour clock: 14:00 → 2:00; noon and the morning as they are."""
    return str(Time(time.hour - 12, time.minute)) if time > LAST_NOON_MINUTE else str(time)


@dataclass(frozen=True)
class TimeRange(Record):
    """Part of a day, from `start` to `end`."""

    start: Time = spec("Opening time, HH:MM or H:MM (quoted or not).")
    end: Time = spec("Closing time, after `start`.")
    label: str | None = spec("Printed before the range, e.g. 上午, 下午 or 晚上.", default=None)

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if not self.start < self.end:
            yield "end", f"must be later than the start ({self.start})", str(self.end)


@dataclass(frozen=True)
class Hours(Record):
    """When calls and visits are received."""

    ranges: tuple[TimeRange, ...] = spec(
        "One or more ranges in order, not overlapping, e.g. 9:00—12:00 and 14:00—18:00.", min_items=1
    )
    days: str | None = spec("Which days, e.g. 每天 or 工作日.", default=None)
    clock: Literal[24, 12] = spec(
        "24: 14:00—18:00 as typed; 12: times after 12:59 printed on a 12-hour clock (下午2:00—6:00), "
        "which needs a label on those ranges.",
        default=24,
    )

    shorthand_doc = "A single range may be written without `ranges`: `{start: 8:00, end: 20:00}`."
    _RANGE_KEYS = ("start", "end", "label")

    @classmethod
    def shorthand(cls, node: Mapping) -> Node:
        if node.get("ranges") is not None or node.get("start") is None and node.get("end") is None:
            return node
        range_items = tuple(item for item in node.items if item[0].text in cls._RANGE_KEYS)
        others = tuple(item for item in node.items if item[0].text not in cls._RANGE_KEYS)
        ranges = Mapping(range_items, node.where)
        key = Scalar("ranges", node.where)
        return Mapping(others + ((key, Sequence((ranges,), node.where)),), node.where)

    @classmethod
    def shorthand_schema(cls) -> dict:
        single = schema_for(TimeRange)
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            if field.name != "ranges":
                single["properties"][field.name] = schema_for(hints[field.name], field_spec(field))
        single["description"] = cls.shorthand_doc
        return single

    def _twelve_hour_problems(self) -> Iterable[tuple[str, str, Any]]:
        """On a 12-hour clock a range must not run across noon, and one in the afternoon needs its label."""
        for index, span in enumerate(self.ranges):
            if span.start < NOON and span.end > LAST_NOON_MINUTE:
                yield (
                    f"ranges[{index}].end",
                    f"on a 12-hour clock {span.start}—{span.end} would print as {twelve_hour(span.start)}—"
                    f"{twelve_hour(span.end)}; split it at noon (上午 … 12:00, 下午 …) or use clock: 24",
                    str(span.end),
                )
            elif span.end > LAST_NOON_MINUTE and not span.label:
                yield (
                    f"ranges[{index}]",
                    f"on a 12-hour clock {twelve_hour(span.start)}—{twelve_hour(span.end)} needs a label, "
                    "such as 下午 or 晚上",
                    None,
                )

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if self.clock == 12:
            yield from self._twelve_hour_problems()
        for index in range(1, len(self.ranges)):
            before, this = self.ranges[index - 1], self.ranges[index]
            if this.start < before.end:
                yield (
                    f"ranges[{index}].start",
                    f"overlaps or comes before the previous range, which ends at {before.end}",
                    str(this.start),
                )


@dataclass(frozen=True)
class Channel(Record):
    """One way to reach the inspection team."""

    type: ChannelType = spec("phone, mailbox (邮政信箱), email, web, visit (a place to call in) or box (意见箱).")
    value: str = spec("The number, address or place, as it should be printed.")
    label: str | None = spec(
        "How the notice names the channel; default by type: 值班电话, 邮政信箱, 电子邮箱, 网上举报, "
        "来访接待地点, 意见箱.",
        default=None,
    )
    hours: Hours | None = spec("This channel's hours, where they differ from the notice's.", default=None)

    @property
    def name(self) -> str:
        """How the notice names the channel: `label`, else the name of its type (值班电话, 邮政信箱 …)."""
        return self.label or CHANNEL_LABELS[self.type]


@dataclass(frozen=True)
class Notice(Record):
    """The one-page public notice; its sentences are in the words of the tour's kind (巡视, 巡察, 督察)."""

    team: str = spec("The inspection team, e.g. 中央第十巡视组, 市委第六巡察组, 山东省第一生态环境保护督察组.")
    unit: str = spec(
        "The inspected unit or units, as the notice names them, e.g. 中国通用技术集团公司 or "
        "市发改委、市教育局等12个单位."
    )
    period: Period = spec("When the team is stationed at the unit.")
    channels: tuple[Channel, ...] = spec("Hotline, mailbox and other channels, in the order printed.", min_items=1)
    hours: Hours | None = spec(
        "When calls and visits are received; left out, the notice says nothing of hours.", default=None
    )
    kind: str | None = spec(
        "Kind of tour as the notice names it, e.g. 专项巡视, 常规巡察, 省级生态环境保护督察; "
        "default the vocabulary's (巡视, 巡察, 生态环境保护督察).",
        default=None,
    )
    vocabulary: str | None = spec(
        "Whose words the documents use: 巡视, 巡察, 督察 or a vocabulary of the configuration; "
        "default the one whose word `kind` holds (专项巡察 → 巡察), else `team` (…督察组 → 督察).",
        default=None,
    )
    authority: str | None = spec(
        "Who sent or approved the team, as the opening names it: 中央, 市委, 区委巡察工作领导小组; "
        "for 督察 党中央、国务院 or 省委、省政府. Left out, the opening starts with the team.",
        default=None,
    )
    title: str | None = spec(
        "Title of the notice; default the vocabulary's: 巡视公告, 巡察公告, 关于对…开展…督察的公告.", default=None
    )
    opening: str | None = spec(
        "The first paragraph as published, instead of the vocabulary's sentence from authority, team, period, "
        "unit and kind.",
        default=None,
    )
    scope: str | None = spec(
        "What the team accepts: whose conduct, which matters; default the vocabulary's sentence.", default=None
    )
    exclusions: str | None = spec(
        "What the team does not accept and where it goes instead; default the vocabulary's sentence.", default=None
    )
    closing: bool | None = spec(
        "End the notice with 特此公告。; default the vocabulary's choice (巡察 yes, 巡视 and 督察 no).", default=None
    )
    signer: str | None = spec("Who signs the notice, e.g. 中共西安市委第六巡察组; default `team`.", default=None)
    date: datetime.date | None = spec(
        "Date under the signature, YYYY-MM-DD, often the first day of the period; default the content's `date`.",
        default=None,
    )


@dataclass(frozen=True)
class Bulletin(Record):
    """The 简报 form: its 报头 (name, issue, compiling organ) and the 报/送/发 lists of its 报尾."""

    name: str = spec("The bulletin's name, printed large in red at the top of page one, e.g. 巡察工作简报.")
    issue: int = spec("The issue's number, printed 第N期 under the name.")
    compiled_by: str | None = spec(
        "The compiling organ (编印单位), printed …编 at the left above the rule; default the issuer.", default=None
    )
    report_to: tuple[str, ...] = spec("报: the superior organs it is reported to, in the 报尾.", default=())
    send_to: tuple[str, ...] = spec("送: organs of the same level it is sent to, in the 报尾.", default=())
    distribute_to: tuple[str, ...] = spec("发: the subordinate organs it is issued to, in the 报尾.", default=())
    copies: int | None = spec("Copies printed, at the right of the 报尾's last line: 共印N份.", default=None)

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if self.issue < 1:
            yield "issue", "must be 1 or more", self.issue
        if self.copies is not None and self.copies < 1:
            yield "copies", "must be 1 or more", self.copies

    @property
    def rows(self) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """The 报尾's rows, (label, organs), those with organs only."""
        return tuple(
            (label, organs)
            for label, organs in (("报", self.report_to), ("送", self.send_to), ("发", self.distribute_to))
            if organs
        )


def text_cells(text: str) -> float:
    """Width in body characters: a Chinese character or full-width mark fills a cell, a digit or letter half."""
    return sum(1 if unicodedata.east_asian_width(char) in "WF" else 0.5 for char in text)


@dataclass(frozen=True, kw_only=True)
class ContentFile(Record):
    """One publication: the content of a briefing, a summary and a notice."""

    schema: Literal[1] = spec("Version of the content schema; always 1.")
    title: str = spec("Title of the briefing and the summary.")
    issuer: str = spec("The signing organ (发文机关署名).")
    date: datetime.date = spec("Date of writing (成文日期), YYYY-MM-DD.")
    briefing: Briefing = spec("The multi-page briefing PDF.")
    summary: Summary = spec("The Word summary.")
    notice: Notice = spec("The one-page public notice.")
    id: str | None = spec(
        f"Names the output folder dist/<id>/ (at most {MAX_ID_LENGTH} characters); default the file name "
        "without .yaml.",
        default=None,
        pattern=ID_PATTERN,
        hint="must be lower-case letters, digits and single hyphens",
        max_length=MAX_ID_LENGTH,
    )
    lang: str = spec(
        "Language of the text.",
        default="zh-CN",
        pattern=r"zh(?:-[A-Za-z0-9]+)*",
        hint="must be a Chinese language tag such as zh-CN",
    )
    subtitle: str | None = spec("A line under the title, e.g. the news headline.", default=None)
    number: str | None = spec(
        "Document number (发文字号), e.g. 中巡发〔2015〕3号.",
        default=None,
        pattern=_NUMBER_PATTERN,
        hint="must read like 中巡发〔2015〕3号: organ code, year in 〔〕, number without 第 or leading zeros",
    )
    note: str | None = spec("Note (附注), e.g. the original headline; printed in （）.", default=None)
    to: tuple[str, ...] = spec(
        "Main recipients (主送机关), printed below the title, flush left, separated by ，and followed by ：.",
        default=(),
    )
    copy_to: tuple[str, ...] = spec("Organs sent a copy (抄送机关), printed in the end block (版记).", default=())
    printed_by: str | None = spec(
        "Organ that prints and issues the document (印发机关), in the end block.", default=None
    )
    printed_on: datetime.date | None = spec(
        "Date of printing (印发日期), in the end block; goes with `printed_by`.", default=None
    )
    masthead: Literal["document", "bulletin"] = spec(
        "How the briefing opens: document, the issuing organ's mark (issuer + 文件) when `number` is given; "
        "bulletin, a 简报's 报头 (see `bulletin`).",
        default="document",
    )
    bulletin: Bulletin | None = spec("The 简报: required with `masthead: bulletin`.", default=None)
    options: Options = spec("Rendering switches.", default=Options())

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if (self.printed_by is None) != (self.printed_on is None):
            given, missing = ("printed_by", "printed_on") if self.printed_on is None else ("printed_on", "printed_by")
            yield missing, f"the end block prints 印发机关 and 印发日期 together: give {missing} with {given}", None
        if self.masthead == "bulletin" and self.bulletin is None:
            yield (
                "bulletin",
                "a 简报 (masthead: bulletin) needs its name and issue: bulletin: {name: …, issue: …}",
                None,
            )
        if self.masthead != "bulletin" and self.bulletin is not None:
            yield "bulletin", "printed only with masthead: bulletin; set it or remove bulletin", None
        if self.masthead == "bulletin" and self.number is not None:
            yield "number", "a 简报 has no 发文字号; its 报头 shows 第N期 (bulletin.issue) instead", self.number
        if self.bulletin is not None:
            yield from self._bulletin_line_problems(self.bulletin)

    def _bulletin_line_problems(self, bulletin: Bulletin) -> Iterable[tuple[str, str, Any]]:
        """The compiling organ and the date share one line of the 报头."""
        organ = (bulletin.compiled_by or self.issuer) + "编"
        date = f"{self.date.year}年{self.date.month}月{self.date.day}日"
        over = text_cells(organ) + 1 + text_cells(date) - BODY_CELLS
        if over > 0:
            field = "bulletin.compiled_by" if bulletin.compiled_by else "issuer"
            yield (
                field,
                f"the compiling organ and the date must share one line of the 报头: shorten it by {math.ceil(over)} "
                "characters (or set bulletin.compiled_by to a shorter name)",
                organ[:-1],
            )

    @property
    def has_end_block(self) -> bool:
        """Whether the briefing ends with the end block (版记, or a 简报's 报尾): copies, a printer, or the
        bulletin's rows or print run."""
        return bool(self.copy_to or self.printed_by or (self.bulletin and (self.bulletin.rows or self.bulletin.copies)))

    @property
    def names(self) -> tuple[str, ...]:
        """Names a title never breaks inside: the team, the unit, the issuer, the main recipients, the copies."""
        bulletin: tuple[str | None, ...] = ()
        if self.bulletin is not None:
            rows = self.bulletin.report_to + self.bulletin.send_to + self.bulletin.distribute_to
            bulletin = (self.bulletin.compiled_by, *rows)
        named = (self.notice.team, self.notice.unit, self.issuer, *bulletin, *self.to, *self.copy_to)
        return tuple(dict.fromkeys(name for name in named if name))


@dataclass(frozen=True, kw_only=True)
class Publication(ContentFile):
    """A loaded content file: its id settled, the file it came from, and where each field was written."""

    id: str
    source: Source = dataclasses.field(compare=False, repr=False)
    positions: TypingMapping[str, Node] = dataclasses.field(compare=False, repr=False)

    def where(self, field_path: str) -> Where:
        """Where a field was written, or the file when it was not written."""
        node = self.positions.get(field_path)
        if node is not None:
            return node.where
        return Where(self.source.path)

    def locate(self, field_path: str, char: str) -> Where:
        """Where a character of a text field was written."""
        node = self.positions.get(field_path)
        if node is None:
            return self.where(field_path)
        return self.source.locate(node, char)


def load_publication(path: Path, shown_as: str | None = None, digests: ContentDigests | None = None) -> Publication:
    """Load, validate and return one publication; its id defaults to the file's stem. With `digests`, only from
    the bytes a build fingerprinted (`ContentError` if the files changed since)."""
    source = read_with_defaults(path, shown_as, digests)
    return publication_from_source(source, path.stem)


def publication_from_source(source: Source, stem: str) -> Publication:
    record, positions = convert_record(source.root, ContentFile)
    publication_id = record.id or stem
    if not re.fullmatch(ID_PATTERN, publication_id) or len(publication_id) > MAX_ID_LENGTH:
        raise ContentError(
            Problem(
                Where(source.path),
                "id",
                f"the file name is not a valid id (lower-case letters, digits, hyphens, at most {MAX_ID_LENGTH} "
                "characters); rename the file or set id",
                stem,
            )
        )
    fields = {field.name: getattr(record, field.name) for field in dataclasses.fields(record)}
    return Publication(**{**fields, "id": publication_id}, source=source, positions=MappingProxyType(positions))


def content_json_schema() -> dict[str, Any]:
    return json_schema(ContentFile, "gongwen content file (schema 1)", "https://gongwen.invalid/schema/content-1.json")
