"""The README's reference of template variables: every name each template receives, its type and its meaning,
generated from the code (`make schema`, `gongwen schema --format templates`).

What the render stage passes to each template is declared here (`RECEIVES`); the content objects
are described from their record declarations (every field with its `spec` documentation, every
property with its docstring), the helpers from the docstrings of the functions behind them. The
test suite holds the declaration to the code: the names each template really receives, the
filters and functions the template environment really has, and every variable and attribute the
built-in templates use.
"""

from __future__ import annotations

import datetime
import inspect
import types
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

from .artifacts import BRIEFING_TEMPLATE, NOTICE_TEMPLATE, STYLESHEET_TEMPLATE, SUMMARY_TEMPLATE
from .config import BulletinLayout
from .content.model import Publication
from .content.records import Record, Time, describe_fields
from .render.documents import EndBlockPlacement
from .render.templates import _contacts
from .render.wording import Wording
from .typeset import gbt9704
from .typeset.fonts import ROLE_DESCRIPTIONS, ROLES
from .typeset.numerals import chinese_date, chinese_number, chinese_period, hours_text
from .typeset.subset import FontFile
from .typeset.typesetter import Typesetter

BASE_TEMPLATE = "base.html.j2"
"""The page the briefing and the notice extend: it receives what they receive."""


def _first_line(function: Callable[..., Any]) -> str:
    """A function's docstring up to its first blank line, on one line: what it does."""
    return " ".join((inspect.getdoc(function) or "").split("\n\n")[0].split())


def _standard_numbers() -> str:
    """The constants of gbt9704 a stylesheet may read as `g.NAME`, with their values."""
    shown = []
    for name, value in vars(gbt9704).items():
        if name.isupper() and isinstance(value, (int, float, str)):
            shown.append(f"`{name}` {round(value, 3) if isinstance(value, float) else value}")
    return ", ".join(shown)


@dataclass(frozen=True)
class Variable:
    """A name a template receives: what it is, and — for an object — the attributes a template may read of it."""

    name: str
    kind: str
    meaning: str
    described: type | None = None  # a record or dataclass whose fields and properties are listed under the name
    attributes: tuple[tuple[str, str, str], ...] = ()  # (name, type, meaning) where no declaration says them


@dataclass(frozen=True)
class Helper:
    """A filter or function of the template environment: how a template writes it, and the code that says what it
    does (its docstring's first paragraph), or the meaning itself."""

    name: str
    usage: str
    documented_by: Callable[..., Any] | str
    pdf_only: bool = False

    @property
    def meaning(self) -> str:
        if isinstance(self.documented_by, str):
            return self.documented_by
        return _first_line(self.documented_by)


PUBLICATION = Variable(
    "publication",
    "Publication",
    "The publication being made: its content file's fields with the defaults filled in (the `_defaults.yaml` of "
    "its folder, then each field's own), text as printed (punctuation normalised unless switched off).",
    Publication,
    (("id", "text", "The publication's id: `id` from the file, else the file name without .yaml; names dist/<id>/."),),
)
NOTICE = Variable("notice", "Notice", "The same record as `publication.notice`, whose fields are listed there.")
CREATED = Variable(
    "created",
    "text",
    "The documents' creation time, ISO 8601 in UTC (2015-03-02T00:00:00Z): the content's `date`, or "
    "SOURCE_DATE_EPOCH when set.",
)
GRID = Variable(
    "grid",
    "TextGrid",
    "The text grid of this document (the notice may tighten it to fit one page).",
    gbt9704.TextGrid,
    (
        ("size", "number", "Body size in points: 16 (三号), down to 14 in a tightened notice."),
        ("pitch", "number", "Line pitch in points: 28.97 on the 22-line page."),
    ),
)
TYPESETTER = Variable(
    "typesetter",
    "internal",
    "The document's typesetter, through which `paragraph`, `balanced`, `signature`, `mark_size` and `mark_style` "
    "work; not for templates to use.",
)
FONTS = Variable(
    "fonts",
    "list of FontFile",
    "Empty: gongwen declares the document's cut faces itself (kept so that older copies of the stylesheet, "
    "which loop over it for @font-face, still render).",
    FontFile,
    (
        ("family", "text", "The CSS family name of the cut face (one per document)."),
        ("face", "internal", "The resolved face the cut was made from."),
        ("path", "internal", "The cut face's file (`url` names it for CSS)."),
    ),
)
FAMILY = Variable(
    "family",
    "mapping of text",
    "The CSS family of each role, for `font-family` only: a name that stands for the document's own cut of the "
    "role's face, put in its place when the document is laid out (so the stylesheet is parsed once for all "
    "documents); a role whose face the document does not use gets the body's.",
    None,
    tuple((role, "text", ROLE_DESCRIPTIONS[role]) for role in ROLES),
)
SPACING_RULES = Variable(
    "spacing_rules",
    "text",
    "Empty: composed lines carry their own spacing; kept so that an older stylesheet printing it still renders.",
)
STANDARD = Variable(
    "g", "module", f"GB/T 9704 in numbers (pipeline/typeset/gbt9704.py), read as `g.NAME`: {_standard_numbers()}."
)
ONE_SIDED = Variable("one_sided", "true/false", "Print one-sided: the binding margin stays on the left of every page.")
PAGE_NUMBER_OFFSET = Variable("page_number_offset", "number", _first_line(Typesetter.page_number_offset))
EM_BOX_INSET = Variable("em_box_inset", "function (role, size) → number", _first_line(Typesetter.em_box_inset))
WORDS = Variable(
    "words",
    "Wording",
    "The notice's sentences and the summary's labels in the words of the publication's kind of tour (巡视, 巡察, "
    "督察 or a configured vocabulary), made from `notice` and its vocabulary.",
    Wording,
    (
        ("vocabulary", "Vocabulary", "The vocabulary the words come from (its fields: see Vocabularies)."),
        ("kind", "text", "The kind of tour printed: `notice.kind`, else the vocabulary's (巡视, 生态环境保护督察)."),
        ("title", "text", "The notice's title: `notice.title`, else the vocabulary's (巡视公告, 巡察公告 …)."),
        ("opening", "text", "The notice's first sentence: `notice.opening`, else the vocabulary's pattern filled in."),
        ("channels", "text", "The channel sentence, or the sentence before channels listed one per line."),
        ("channel_texts", "list of text", "Each channel as printed: 专门值班电话：010-68334749 (with its own hours)."),
        ("listed", "true/false", "The notice lists the channels one per line, after `channels`."),
        ("hours", "text", "The hours sentence; empty when the notice gives no hours."),
        ("hours_text", "text", "The hours alone (工作日上午9:00—12:00，下午2:00—6:00); empty without hours."),
        ("scope", "text", "What the team accepts: `notice.scope`, else the vocabulary's."),
        ("exclusions", "text", "What it does not accept: `notice.exclusions`, else the vocabulary's."),
        ("closing", "true/false", "End the notice with 特此公告。"),
        ("scope_first", "true/false", "Print scope and exclusions before the channels."),
        ("contacts", "text", "The briefing's contacts paragraph: team, period, every channel, hours."),
        ("signer", "text", "Who signs the notice: `notice.signer`, else the team."),
        ("date", "date", "The notice's date, under the signature: `notice.date`, else the content's `date`."),
        ("period", "text", "The period as printed: 2015年3月1日至4月30日."),
    ),
)
END_BLOCK = Variable(
    "end_block",
    "EndBlockPlacement",
    "Where the 版记 goes: at the foot of the page where the body ends, or (`verso`) on the next even page, after a "
    "blank one when `unnumbered` (GB/T 9704 7.4.1, 7.5).",
    EndBlockPlacement,
    (
        ("verso", "true/false", "The 版记 starts the next even page: the document's last face."),
        ("unnumbered", "true/false", "A blank page comes first; neither it nor the 版记's page carries a number."),
    ),
)
BULLETIN = Variable(
    "bulletin",
    "BulletinLayout",
    "The 简报's 报头 as the configuration's `bulletin` table lays it out (see the configuration fields).",
    BulletinLayout,
)
BULLETIN_NAME_SIZE = Variable(
    "bulletin_name_size",
    "number",
    "The 简报's name in points: `bulletin.name_size`, smaller when the name is too long for a line.",
)
TITLE_LINES = Variable("title_lines", "list of text", "The title broken where the briefing breaks it, names whole.")
TO_LINES = Variable("to_lines", "list of text", "The 主送机关 broken where the briefing breaks it, ending in ：.")

DOCUMENT = (PUBLICATION, NOTICE, WORDS, CREATED)
PDF_DOCUMENT = (*DOCUMENT, GRID, TYPESETTER, END_BLOCK, STANDARD)
STYLESHEET = (
    FONTS,
    FAMILY,
    SPACING_RULES,
    STANDARD,
    GRID,
    ONE_SIDED,
    PAGE_NUMBER_OFFSET,
    EM_BOX_INSET,
    END_BLOCK,
    BULLETIN,
    BULLETIN_NAME_SIZE,
)
RECEIVES: dict[str, tuple[Variable, ...]] = {
    BRIEFING_TEMPLATE: PDF_DOCUMENT,
    NOTICE_TEMPLATE: PDF_DOCUMENT,
    BASE_TEMPLATE: PDF_DOCUMENT,
    SUMMARY_TEMPLATE: (*DOCUMENT, TITLE_LINES, TO_LINES),
    STYLESHEET_TEMPLATE: STYLESHEET,
}
"""What the render stage (`render/documents.py`) passes to each template; a template it extends receives the same."""

HELPERS = (
    Helper("paragraph", '{{ text | paragraph(role="body", indent=2) }}', Typesetter.paragraph, pdf_only=True),
    Helper("balanced", '{{ text | balanced(role="title", size=none) }}', Typesetter.balanced, pdf_only=True),
    Helper("signature", "{{ signature(issuer, date) }}", Typesetter.signature, pdf_only=True),
    Helper("mark_size", "{{ mark_size(text) }}", Typesetter.mark_size, pdf_only=True),
    Helper("mark_style", "{{ mark_style(text) }}", Typesetter.mark_style, pdf_only=True),
    Helper(
        "organ_list",
        '{{ organ_list(organs, label="抄送：", end="。") }}',
        Typesetter.organ_list,
        pdf_only=True,
    ),
    Helper("contacts", "{{ contacts() }}", _contacts, pdf_only=True),
    Helper("cn_date", "{{ date | cn_date }}", chinese_date),
    Helper("cn_period", "{{ period | cn_period }}", chinese_period),
    Helper("hours", "{{ hours | hours }}", hours_text),
    Helper("cn_number", "{{ number | cn_number }}, {{ cn_number(number) }}", chinese_number),
    Helper("version", "{{ version }}", "gongwen's version, e.g. 0.1.0 (the PDFs' generator)."),
)
"""The template environment's own filters and functions (`render/templates.py`), beside Jinja2's."""


# ---- the rows of the reference ----


def _type_words(hint: Any) -> str:
    """A type as the reference names it: text, date, list of Channel …"""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [argument for argument in typing.get_args(hint) if argument is not type(None)]
        return _type_words(inner[0]) + " or none"
    if origin is tuple:
        return "list of " + _type_words(typing.get_args(hint)[0])
    if origin is typing.Literal:
        return " \\| ".join(f"`{choice}`" for choice in typing.get_args(hint))
    words = {str: "text", bool: "true/false", int: "integer", float: "number", datetime.date: "date", Time: "time"}
    return words.get(hint, getattr(hint, "__name__", str(hint)))


def _properties(cls: type) -> list[tuple[str, str, str]]:
    """(name, type, meaning) of each public property of `cls` and its bases, from its return type and docstring."""
    found = []
    for klass in reversed(cls.__mro__):
        for name, member in vars(klass).items():
            if isinstance(member, property) and not name.startswith("_") and member.fget is not None:
                found.append(
                    (name, _type_words(typing.get_type_hints(member.fget)["return"]), _first_line(member.fget))
                )
    return found


def _record_rows(cls: type[Record], prefix: str) -> list[tuple[str, str, str]]:
    """Every declared field of a record and of the records inside it, depth first, then its properties."""
    rows = []
    hints = typing.get_type_hints(cls)
    for field in describe_fields(cls):
        rows.append((f"{prefix}.{field.name}", _type_words(hints[field.name]), field.doc))
        if field.record is not None:
            rows += _record_rows(field.record, f"{prefix}.{field.name}" + ("[]" if field.many else ""))
        if field.alternative is not None:  # an item that may be a record instead of text (`contacts: true`)
            rows += _record_rows(field.alternative, f"{prefix}.{field.name}" + ("[]" if field.many else ""))
    return rows + [(f"{prefix}.{name}", kind, meaning) for name, kind, meaning in _properties(cls)]


def variable_rows(variable: Variable) -> list[tuple[str, str, str]]:
    """The variable's row, then a row for each attribute a template may read of it."""
    prefix = variable.name + ("[]" if variable.kind.startswith("list of") else "")
    rows = [(variable.name, variable.kind, variable.meaning)]
    rows += [(f"{prefix}.{name}", kind, meaning) for name, kind, meaning in variable.attributes]
    if variable.described is not None and issubclass(variable.described, Record):
        rows += _record_rows(variable.described, prefix)
    elif variable.described is not None:
        rows += [(f"{prefix}.{name}", kind, meaning) for name, kind, meaning in _properties(variable.described)]
    return rows


def documented_names() -> set[str]:
    """Every name and attribute path the reference documents (lists written `name[]`)."""
    variables = dict.fromkeys(variable for receives in RECEIVES.values() for variable in receives)
    return {row[0] for variable in variables for row in variable_rows(variable)} | {helper.name for helper in HELPERS}


def undocumented_fields(cls: type) -> list[str]:
    """Fields of a dataclass that a Variable describes but documents nowhere (a record documents its own)."""
    variable = next(variable for receives in RECEIVES.values() for variable in receives if variable.described is cls)
    if issubclass(cls, Record) or not is_dataclass(cls):
        return []
    documented = {name for name, _, _ in variable.attributes} | {name for name, _, _ in _properties(cls)}
    return [field.name for field in fields(cls) if field.name not in documented]


def _cell(text: str) -> str:
    """A table cell's text: a `|` of a filter written in it is escaped, or it would end the cell."""
    return text.replace("|", "\\|")


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def template_reference_markdown() -> str:
    """The README's section between its `templates:` markers."""
    by_variables: dict[tuple[Variable, ...], list[str]] = {}
    for template, receives in RECEIVES.items():
        by_variables.setdefault(receives, []).append(f"`{template}`")
    receives_rows = [
        (", ".join(templates), ", ".join(f"`{variable.name}`" for variable in receives))
        for receives, templates in by_variables.items()
    ]
    variables = dict.fromkeys(variable for receives in RECEIVES.values() for variable in receives)
    rows = [(f"`{name}`", kind, meaning) for variable in variables for name, kind, meaning in variable_rows(variable)]
    helpers = [
        (f"`{helper.name}`", _cell(f"`{helper.usage}`"), "PDF templates" if helper.pdf_only else "all", helper.meaning)
        for helper in HELPERS
    ]
    return (
        "#### What each template receives\n\n"
        + _table(("template", "variables"), receives_rows)
        + "\n#### Variables\n\n"
        + _table(("name", "type", "meaning"), rows)
        + "\n#### Filters and functions\n\n"
        + _table(("name", "written", "in", "meaning"), helpers)
    )
