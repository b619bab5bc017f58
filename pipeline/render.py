"""Stage 3, render: a publication through Jinja2 templates into HTML for the PDFs and for the Word summary.

Templates are looked up in layers: the user's override folder first, then the built-in folder,
which is also reachable as `builtin/<name>` so an override can extend the template it replaces.
All templates run sandboxed with StrictUndefined; HTML templates autoescape, the stylesheet
template does not. Content is data: it is passed as values, never compiled as template source.
"""

from __future__ import annotations

import dataclasses
import datetime
import html
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from . import __version__, gbt9704
from .config import STYLESHEET_TEMPLATE, SUMMARY_TEMPLATE, builtin_templates
from .errors import ContentError, GongwenError, Problem, Where, shown_path
from .model import Hours, Period, Publication
from .punctuation import normalize_punctuation
from .schema import Record
from .typesetter import Typesetter, chinese_date


_DIGITS = "零一二三四五六七八九"


def chinese_number(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九."""
    if not 0 < number < 100:
        raise ValueError(f"heading numbers run from 1 to 99, got {number}")
    tens, units = divmod(number, 10)
    text = ("" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十"))
    return text + (_DIGITS[units] if units else "")


def chinese_period(period: Period) -> str:
    """2015年3月1日至4月30日 (the year written once when both dates share it)."""
    end = chinese_date(period.end)
    if period.end.year == period.start.year:
        end = end.split("年", 1)[1]
    return f"{chinese_date(period.start)}至{end}"


def hours_text(hours: Hours) -> str:
    """每天8:00—20:00, or 工作日9:00—12:00、14:00—18:00."""
    ranges = "、".join(f"{span.start}—{span.end}" for span in hours.ranges)
    return f"{hours.days or ''}{ranges}"


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox, plus bounds on `*` and `**`, so that a template cannot stall a build or exhaust its memory."""

    intercepted_binops = frozenset({"*", "**"})
    MAX_REPEAT = 1_000_000   # characters or items made by repeating text or a list
    MAX_POWER_BITS = 10_000  # size of a whole number made by **

    def call_binop(self, context, operator, left, right):
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 \
                and max(left.bit_length(), 1) * right > self.MAX_POWER_BITS:
            raise SecurityError(f"{left} ** {right} is too large for a template")
        if operator == "*":
            sized, count = (left, right) if isinstance(right, int) else (right, left)
            if isinstance(sized, (str, list, tuple)) and isinstance(count, int) and len(sized) * count > self.MAX_REPEAT:
                raise SecurityError(f"repeating {len(sized)} items {count} times is too large for a template")
        return super().call_binop(context, operator, left, right)


def template_environment(override: Path | None = None) -> jinja2.Environment:
    builtin = jinja2.FileSystemLoader(str(builtin_templates()))
    layers: list[jinja2.BaseLoader] = []
    if override is not None:
        layers.append(jinja2.FileSystemLoader(str(override)))
    layers.append(builtin)
    layers.append(jinja2.PrefixLoader({"builtin": builtin}))
    environment = TemplateSandbox(
        loader=jinja2.ChoiceLoader(layers),
        undefined=jinja2.StrictUndefined,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2", "xml"), default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update(cn_date=chinese_date, cn_number=chinese_number, cn_period=chinese_period, hours=hours_text,
                               paragraph=_paragraph, balanced=_balanced)
    environment.globals.update(cn_number=chinese_number, version=__version__, signature=_signature, mark_size=_mark_size,
                               mark_style=_mark_style)
    return environment


# Typesetting filters reach the document's typesetter through the render context.
def _typesetter(context: jinja2.runtime.Context) -> Typesetter:
    typesetter = context.get("typesetter")
    if not isinstance(typesetter, Typesetter):
        raise jinja2.UndefinedError("the paragraph, balanced and signature helpers work in PDF templates only")
    return typesetter


@jinja2.pass_context
def _paragraph(context, text: str, role: str = "body", indent: float = 2):
    return _typesetter(context).paragraph(text, role, indent)


@jinja2.pass_context
def _balanced(context, text: str, role: str = "title", size: float | None = None):
    return _typesetter(context).balanced(text, role, size)


@jinja2.pass_context
def _mark_size(context, text: str):
    return _typesetter(context).mark_size(text)


@jinja2.pass_context
def _mark_style(context, text: str):
    return _typesetter(context).mark_style(text)


@jinja2.pass_context
def _signature(context, issuer: str, date: datetime.date):
    return _typesetter(context).signature(issuer, date)


def prepare_text(publication: Publication) -> Publication:
    """The publication as it will be printed: punctuation normalised when the option is on."""
    if not publication.options.normalize_punctuation:
        return publication
    return _map_text(publication, normalize_punctuation)


def _map_text(value: Any, change) -> Any:
    if isinstance(value, str):
        return change(value)
    if isinstance(value, tuple):
        return tuple(_map_text(item, change) for item in value)
    if isinstance(value, Record):
        updates = {field.name: _map_text(getattr(value, field.name), change)
                   for field in dataclasses.fields(value) if not field.metadata.get("internal")}
        return dataclasses.replace(value, **updates)
    return value


@dataclass(frozen=True)
class RenderedPdf:
    """HTML and its stylesheet, ready for the PDF engine."""

    html: str
    stylesheet: str


def _render(environment: jinja2.Environment, name: str, context: dict, publication: Publication) -> str:
    try:
        template = environment.get_template(name)
        return template.render(context)
    except GongwenError:
        raise
    except jinja2.TemplateSyntaxError as error:
        where = Where(shown_path(error.filename) if error.filename else error.name or name, error.lineno)
        raise ContentError(Problem(where, "", f"template syntax error: {error.message}")) from None
    except jinja2.TemplateNotFound as error:
        where = _template_position(environment, error) or Where(str(publication.source.path if publication.source else name))
        raise ContentError(Problem(where, "", f"template not found: {error.name}")) from None
    except jinja2.UndefinedError as error:
        where = _template_position(environment, error) or Where(template_origin(environment, name))
        raise ContentError(Problem(where, "", f"template error: {error.message}")) from None
    except jinja2.exceptions.SecurityError as error:
        where = _template_position(environment, error) or Where(template_origin(environment, name))
        raise ContentError(Problem(where, "", f"template not allowed: {error}")) from None
    except Exception as error:  # templates may come from users: whatever their code raises is their mistake to fix
        where = _template_position(environment, error) or Where(template_origin(environment, name))
        raise ContentError(Problem(where, "", f"template error: {type(error).__name__}: {error}")) from None


def _template_folders(environment: jinja2.Environment) -> tuple[Path, ...]:
    loaders = getattr(environment.loader, "loaders", [environment.loader])
    return tuple(Path(folder).resolve() for loader in loaders for folder in getattr(loader, "searchpath", ()))


def _template_position(environment: jinja2.Environment, error: BaseException) -> Where | None:
    """The template line that was running when `error` was raised (Jinja2 puts template lines into tracebacks)."""
    folders = _template_folders(environment)
    found = None
    trace = error.__traceback__
    while trace is not None:
        filename = Path(trace.tb_frame.f_code.co_filename)
        if any(folder in filename.parents for folder in folders):
            found = Where(shown_path(filename), trace.tb_lineno)
        trace = trace.tb_next
    return found


def template_origin(environment: jinja2.Environment, name: str) -> str:
    """The file a template name is loaded from, as the user should read it."""
    try:
        source = environment.loader.get_source(environment, name)
        return shown_path(source[1]) if source[1] else name
    except jinja2.TemplateNotFound:
        return name


def find_in_templates(environment: jinja2.Environment, text: str) -> Where | None:
    """Where `text` is first written in the templates, override folder first."""
    for folder in _template_folders(environment):
        for path in sorted(folder.rglob("*")):
            if not path.is_file():
                continue
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            found = source.find(text)
            if found >= 0:
                line = source.count("\n", 0, found) + 1
                return Where(shown_path(path), line, found - (source.rfind("\n", 0, found) + 1) + 1)
    return None


def created_timestamp(publication: Publication, source_date_epoch: int | None = None) -> str:
    """The documents' creation time: the content's date, or SOURCE_DATE_EPOCH when given."""
    if source_date_epoch is not None:
        moment = datetime.datetime.fromtimestamp(source_date_epoch, datetime.timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{publication.date.isoformat()}T00:00:00Z"


def render_pdf_html(environment: jinja2.Environment, template: str, publication: Publication,
                    typesetter: Typesetter, font_folder: Path, *, one_sided: bool = False, created: str = "") -> RenderedPdf:
    """Render a PDF document's HTML, then its stylesheet with the fonts that HTML uses (written into `font_folder`)."""
    context = {
        "publication": publication,
        "notice": publication.notice,
        "created": created,
        "grid": typesetter.grid,
        "typesetter": typesetter,
    }
    body = _render(environment, template, context, publication)
    missing = typesetter.missing()
    if missing:
        raise ContentError([_missing_problem(publication, role, char, typesetter)
                            for role, chars in missing.items() for char in chars])
    fonts, families = typesetter.font_files(_visible_text(body), font_folder)
    stylesheet = _render(environment, STYLESHEET_TEMPLATE, {
        "fonts": fonts,
        "family": families,
        "spacing_rules": typesetter.spacing_rules(),
        "g": gbt9704,
        "grid": typesetter.grid,
        "one_sided": one_sided,
        "page_number_offset": typesetter.page_number_offset(),
        "em_box_inset": typesetter.em_box_inset,
    }, publication)
    return RenderedPdf(body, stylesheet)


def _visible_text(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", markup))


def _missing_problem(publication: Publication, role: str, char: str, typesetter: Typesetter) -> Problem:
    face = typesetter.faces[role]
    field = _field_holding(publication, char)
    where = publication.locate(field, char) if field else Where(publication.source.path if publication.source else "")
    return Problem(where, field or "", f"the {role} font ({face.family} {face.style}) has no glyph for U+{ord(char):04X}; "
                   f"use another character or set fonts.{role} to a font that has it", char)


def _field_holding(publication: Publication, char: str) -> str | None:
    for path, node in publication.positions.items():
        text = getattr(node, "text", None)
        if isinstance(text, str) and char in text:
            return path
    return None


def render_summary_html(environment: jinja2.Environment, publication: Publication, created: str = "") -> str:
    return _render(environment, SUMMARY_TEMPLATE, {
        "publication": publication,
        "notice": publication.notice,
        "created": created,
    }, publication)
