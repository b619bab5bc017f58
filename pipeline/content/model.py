"""Stage 1, content: the validated, immutable publication (content schema 1), built from loaded nodes.

Every field of a content file is declared here, once. `load_publication` reads a file and returns
a `Publication`, or raises ContentError with one `path:line:column: field: problem` line per
mistake. `content_json_schema()` publishes the same declarations for editors.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable
from collections.abc import Mapping as TypingMapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from ..artifacts import ID_PATTERN, MAX_ID_LENGTH
from ..errors import ContentError, Problem, Where
from .load import Source, read_with_defaults
from .nodes import Mapping, Node, Scalar, Sequence
from .records import FieldSpec, Record, Time, convert_record, json_schema, schema_for, spec

_NUMBER_PATTERN = r"\S+〔[12][0-9]{3}〕[1-9][0-9]*号"

ChannelType = Literal["phone", "mailbox", "email", "web", "visit"]

CHANNEL_LABELS: TypingMapping[str, str] = MappingProxyType(
    {
        "phone": "值班电话",
        "mailbox": "邮政信箱",
        "email": "电子邮箱",
        "web": "网上举报",
        "visit": "来访接待地点",
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
class Subsection(Record):
    """A level-2 part of a briefing section, numbered （一）, （二） …"""

    heading: str = spec("Heading of the part, without its number.")
    paragraphs: tuple[str, ...] = spec("Paragraphs of the part.", min_items=1)


@dataclass(frozen=True)
class Section(Record):
    """A part of the briefing under an optional level-1 heading, numbered 一、 二、 …"""

    heading: str | None = spec("Heading of the section, without its number.", default=None)
    paragraphs: tuple[str, ...] = spec("Paragraphs of the section, in order.", default=())
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


@dataclass(frozen=True)
class TimeRange(Record):
    """Part of a day, from `start` to `end`."""

    start: Time = spec("Opening time, HH:MM or H:MM (quoted or not).")
    end: Time = spec("Closing time, after `start`.")

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

    shorthand_doc = "A single range may be written without `ranges`: `{start: 8:00, end: 20:00}`."

    @classmethod
    def shorthand(cls, node: Mapping) -> Node:
        if node.get("ranges") is not None or node.get("start") is None and node.get("end") is None:
            return node
        range_items = tuple(item for item in node.items if item[0].text in ("start", "end"))
        others = tuple(item for item in node.items if item[0].text not in ("start", "end"))
        ranges = Mapping(range_items, node.where)
        key = Scalar("ranges", node.where)
        return Mapping(others + ((key, Sequence((ranges,), node.where)),), node.where)

    @classmethod
    def shorthand_schema(cls) -> dict:
        single = schema_for(TimeRange)
        single["properties"]["days"] = schema_for(str, FieldSpec("Which days, e.g. 每天 or 工作日."))
        single["description"] = cls.shorthand_doc
        return single

    def problems(self) -> Iterable[tuple[str, str, Any]]:
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

    type: ChannelType = spec("phone, mailbox, email, web or visit.")
    value: str = spec("The number, address or place, as it should be printed.")
    label: str | None = spec(
        "How the notice names the channel; default by type: 值班电话, 邮政信箱, 电子邮箱, 网上举报, 来访接待地点.",
        default=None,
    )
    hours: Hours | None = spec("This channel's hours, where they differ from the notice's.", default=None)

    @property
    def name(self) -> str:
        return self.label or CHANNEL_LABELS[self.type]


@dataclass(frozen=True)
class Notice(Record):
    """The one-page public notice."""

    team: str = spec("The inspection team, e.g. 中央第十巡视组.")
    unit: str = spec("The inspected unit, e.g. 中国通用技术集团公司.")
    period: Period = spec("When the team is stationed at the unit.")
    hours: Hours = spec("When calls and visits are received.")
    channels: tuple[Channel, ...] = spec("Hotline, mailbox and other channels, in the order printed.", min_items=1)
    scope: str = spec("What the team accepts: whose conduct, which matters.")
    title: str | None = spec("Title of the notice; default: team + kind + unit + 公告.", default=None)
    kind: str | None = spec("Kind of inspection, e.g. 专项巡视; default 巡视.", default=None)
    exclusions: str | None = spec("What the team does not accept and where it goes instead.", default=None)
    closing: bool = spec("End the notice with 特此公告。", default=True)

    @property
    def heading(self) -> str:
        return self.title or f"{self.team}{self.kind or '巡视'}{self.unit}公告"


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
    copy_to: tuple[str, ...] = spec("Organs sent a copy (抄送机关), printed in the end block (版记).", default=())
    printed_by: str | None = spec(
        "Organ that prints and issues the document (印发机关), in the end block.", default=None
    )
    printed_on: datetime.date | None = spec(
        "Date of printing (印发日期), in the end block; goes with `printed_by`.", default=None
    )
    options: Options = spec("Rendering switches.", default=Options())

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if (self.printed_by is None) != (self.printed_on is None):
            given, missing = ("printed_by", "printed_on") if self.printed_on is None else ("printed_on", "printed_by")
            yield missing, f"the end block prints 印发机关 and 印发日期 together: give {missing} with {given}", None

    @property
    def has_end_block(self) -> bool:
        return bool(self.copy_to or self.printed_by)


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


def load_publication(path: Path, shown_as: str | None = None) -> Publication:
    """Load, validate and return one publication; its id defaults to the file's stem."""
    source = read_with_defaults(path, shown_as)
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
