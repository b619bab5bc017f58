"""Stage 3, render: a publication through its templates into HTML — with its stylesheet and fonts for the
PDFs, in the summary's HTML subset for Word."""

from __future__ import annotations

import dataclasses
import datetime
import difflib
import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar, cast

import jinja2

from ..artifacts import STYLESHEET_TEMPLATE, SUMMARY_TEMPLATE
from ..config import BulletinLayout
from ..content.model import Publication
from ..content.records import Record, declared_fields
from ..content.vocabulary import BUILTIN, vocabulary_for
from ..errors import ContentError, Problem, Where
from ..typeset import gbt9704
from ..typeset.markup import hoisted
from ..typeset.punctuation import normalize_punctuation
from ..typeset.subset import FontFile
from ..typeset.typesetter import Typesetter
from .templates import render_template
from .wording import Wording, wording

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


T = TypeVar("T")


def prepare_text(publication: Publication) -> Publication:
    """The publication as it will be printed: punctuation normalised when the option is on."""
    if not publication.options.normalize_punctuation:
        return publication
    return _map_text(publication, normalize_punctuation)


def _map_text(value: T, change: Callable[[str], str]) -> T:
    """`value` with `change` applied to every text a content file wrote into it."""
    if isinstance(value, str):
        return cast(T, change(value))
    if isinstance(value, tuple):
        return cast(T, tuple(_map_text(item, change) for item in value))
    if isinstance(value, Record):
        updates = {field.name: _map_text(getattr(value, field.name), change) for field in declared_fields(type(value))}
        record = cast("DataclassInstance", value)  # every Record subclass is a dataclass; the base is not
        return cast(T, dataclasses.replace(record, **updates))
    return value


def family_placeholder(role: str) -> str:
    """What the stylesheet template is given as `family.<role>`: a name that stands for the document's own cut of
    the role's face. The template's stylesheet is then the same for every document of a configuration, so the
    engine parses it once (`pipeline.pdf.engine`); each document's families are put in its place. No placeholder
    is the beginning of another."""
    return f"gongwen-{role.replace('_', '-')}-family"


@dataclass(frozen=True)
class RenderedPdf:
    """HTML and its stylesheet, ready for the PDF engine: the stylesheet names each role's family by its
    placeholder (`family_placeholder`); `families` gives the document's family for each placeholder, and `fonts`
    the cut faces those families are."""

    html: str
    stylesheet: str
    fonts: tuple[FontFile, ...] = ()
    families: Mapping[str, str] = dataclasses.field(default_factory=dict)  # placeholder → the document's family

    @property
    def font_faces(self) -> str:
        """An @font-face rule for each of the document's cut faces."""
        return "".join(
            f'@font-face {{ font-family: "{font.family}"; src: url("{font.url}"); }}\n' for font in self.fonts
        )

    def resolved_stylesheet(self) -> str:
        """The whole stylesheet as one text: the document's @font-face rules, then the template's stylesheet with
        each placeholder replaced by the document's family."""
        text = self.stylesheet
        for placeholder, family in self.families.items():
            text = text.replace(placeholder, family)
        return self.font_faces + text


@dataclass(frozen=True)
class EndBlockPlacement:
    """Where the 版记 goes. By default at the foot of the page where the body ends; `verso`: at the foot of
    the next left-hand (even) page, GB/T 9704's last face in two-sided printing (7.4.1); `unnumbered`: the
    body ended on an even page, so a blank page comes first, and neither carries a page number (7.5)."""

    verso: bool = False
    unnumbered: bool = False


def created_timestamp(publication: Publication, source_date_epoch: int | None = None) -> str:
    """The documents' creation time: the content's date, or SOURCE_DATE_EPOCH when given."""
    if source_date_epoch is not None:
        moment = datetime.datetime.fromtimestamp(source_date_epoch, datetime.UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{publication.date.isoformat()}T00:00:00Z"


def render_pdf_html(
    environment: jinja2.Environment,
    template: str,
    publication: Publication,
    typesetter: Typesetter,
    font_folder: Path,
    words: Wording,
    *,
    one_sided: bool = False,
    created: str = "",
    end_block: EndBlockPlacement | None = None,
    bulletin: BulletinLayout | None = None,
) -> RenderedPdf:
    """Render a PDF document's HTML, then its stylesheet with the fonts that HTML uses (written into `font_folder`).
    `end_block` says where the 版记 goes (by default where the body ends), `bulletin` how a 简报's 报头 is laid
    out (by default as the configuration's defaults say). An element whose whole content is one composed span
    takes the span's place (`hoisted`)."""
    end_block = end_block or EndBlockPlacement()
    bulletin = bulletin or BulletinLayout()
    context = {
        "publication": publication,
        "notice": publication.notice,
        "words": words,
        "created": created,
        "grid": typesetter.grid,
        "typesetter": typesetter,
        "end_block": end_block,
        "g": gbt9704,
    }
    body = render_template(environment, template, context, _content_file(publication))
    body = hoisted(body)
    missing = typesetter.missing()
    if missing:
        raise ContentError(
            [_missing_problem(publication, role, char, typesetter) for role, chars in missing.items() for char in chars]
        )
    fonts, families = typesetter.font_files(_visible_text(body), font_folder)
    placeholders = {role: family_placeholder(role) for role in families}
    stylesheet = render_template(
        environment,
        STYLESHEET_TEMPLATE,
        {
            "fonts": [],  # the engine declares the document's faces (RenderedPdf.font_faces); kept for older copies
            "family": placeholders,
            "spacing_rules": "",  # lines carry their spacing (pipeline/typeset/markup.py); kept for old overrides
            "g": gbt9704,
            "grid": typesetter.grid,
            "one_sided": one_sided,
            "page_number_offset": typesetter.page_number_offset(),
            "em_box_inset": typesetter.em_box_inset,
            "end_block": end_block,
            "bulletin": bulletin,
            "bulletin_name_size": typesetter.mark_size(publication.bulletin.name, bulletin.name_size)
            if publication.bulletin
            else bulletin.name_size,
        },
        _content_file(publication),
    )
    return RenderedPdf(
        body, stylesheet, tuple(fonts), {placeholders[role]: family for role, family in families.items()}
    )


def _visible_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _missing_problem(publication: Publication, role: str, char: str, typesetter: Typesetter) -> Problem:
    face = typesetter.faces[role]
    field = _field_holding(publication, char)
    where = publication.locate(field, char) if field else Where(publication.source.path if publication.source else "")
    return Problem(
        where,
        field or "",
        f"the {role} font ({face.family} {face.style}) has no glyph for U+{ord(char):04X}; "
        f"use another character or set fonts.{role} to a font that has it",
        char,
    )


def where_written(publication: Publication, printed: str, within: str = "") -> tuple[str, Where]:
    """The field whose text shares the longest run of characters with `printed` (text as printed, its
    punctuation normalised), and where that run was typed; the content file when no field shares two.
    Fields under `within` (notice.) are looked at first: a template prints them around its own words."""
    normalise = publication.options.normalize_punctuation
    texts = {
        path: normalize_punctuation(text) if normalise else text
        for path, node in publication.positions.items()
        if isinstance(text := getattr(node, "text", None), str)
    }
    path, run = _longest_shared(printed, {key: text for key, text in texts.items() if key.startswith(within)})
    if not path and within:
        path, run = _longest_shared(printed, texts)
    if not path:
        return "", Where(publication.source.path)
    where = publication.locate(path, run)
    if where == publication.where(path):  # the run reads otherwise as typed (punctuation): its first character
        where = publication.locate(path, run[0])
    return path, where


def _longest_shared(printed: str, texts: dict[str, str]) -> tuple[str, str]:
    """(field, run) of the field sharing the longest run of two or more characters with `printed`."""
    best = ("", "")
    for path, text in texts.items():
        match = difflib.SequenceMatcher(None, text, printed, autojunk=False).find_longest_match()
        if match.size > max(len(best[1]), 1):
            best = (path, text[match.a : match.a + match.size])
    return best


def _field_holding(publication: Publication, char: str) -> str | None:
    for path, node in publication.positions.items():
        text = getattr(node, "text", None)
        if isinstance(text, str) and char in text:
            return path
    return None


def render_summary_html(
    environment: jinja2.Environment,
    publication: Publication,
    words: Wording | None = None,
    created: str = "",
    title_lines: list[str] | None = None,
    to_lines: list[str] | None = None,
) -> str:
    """The summary's HTML subset; `words` default to the built-in vocabularies', `title_lines` and
    `to_lines` are the title and the 主送机关 broken as the briefing breaks them (one line each by default)."""
    if words is None:
        words = wording(publication, vocabulary_for(publication, BUILTIN))
    return render_template(
        environment,
        SUMMARY_TEMPLATE,
        {
            "publication": publication,
            "notice": publication.notice,
            "words": words,
            "created": created,
            "title_lines": title_lines or [publication.title],
            "to_lines": to_lines or ["，".join(publication.to) + "："],
        },
        _content_file(publication),
    )


def _content_file(publication: Publication) -> Where:
    return Where(publication.source.path if publication.source else "<content>")
