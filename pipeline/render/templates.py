"""Stage 3, render: the template environment — layered loaders, the sandbox, the filters — and rendering with
located errors.

Templates are looked up in layers: the user's override folder first, then the built-in folder,
which is also reachable as `builtin/<name>` so an override can extend the template it replaces.
All templates run sandboxed with StrictUndefined; HTML templates autoescape, the stylesheet
template does not. Content is data: it is passed as values, never compiled as template source.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from .. import __version__
from ..artifacts import MAX_TEMPLATE_BYTES
from ..config import builtin_templates
from ..content.load import decode
from ..content.text import FORBIDDEN_CHARACTERS
from ..errors import GongwenError, Problem, TemplateError, Where, shown_path
from ..files import TooLargeError, read_bounded
from ..typeset.numerals import chinese_date, chinese_number, chinese_period, hours_text
from ..typeset.typesetter import Typesetter
from .locate import template_origin, template_position
from .wording import Wording


class TemplateSandbox(ImmutableSandboxedEnvironment):
    """Jinja2's sandbox, plus bounds on `*` and `**`, so that a template cannot stall a build or exhaust its memory."""

    intercepted_binops = frozenset({"*", "**"})
    MAX_REPEAT = 1_000_000  # characters or items made by repeating text or a list
    MAX_POWER_BITS = 10_000  # size of a whole number made by **

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and max(left.bit_length(), 1) * right > self.MAX_POWER_BITS
        ):
            raise SecurityError(f"{left} ** {right} is too large for a template")
        if operator == "*":
            sized, count = (left, right) if isinstance(right, int) else (right, left)
            if (
                isinstance(sized, (str, list, tuple))
                and isinstance(count, int)
                and len(sized) * count > self.MAX_REPEAT
            ):
                raise SecurityError(f"repeating {len(sized)} items {count} times is too large for a template")
        return super().call_binop(context, operator, left, right)


class ConfinedLoader(jinja2.FileSystemLoader):
    """Templates of one folder, read only from inside the template folders once links are resolved (as the PDF
    engine's fetcher reads files): a link to a file elsewhere, or a linked folder that leads out, is refused
    with the template line that asked for it. A template is read as far as `MAX_TEMPLATE_BYTES`, and must be
    UTF-8; either mistake is one line at the template's path."""

    def __init__(self, folder: Path, folders: tuple[Path, ...]):
        super().__init__(str(folder))
        self.folder = folder
        self.roots = tuple(root.resolve() for root in folders)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        path = self.folder.joinpath(*split_template_path(template))
        if not path.is_file():
            raise jinja2.TemplateNotFound(template)
        real = path.resolve()
        if not any(real == root or root in real.parents for root in self.roots):
            raise SecurityError(
                f"{template} leads outside the template folders (to {shown_path(real)}); "
                "templates are loaded from inside the template folders only"
            )
        shown = shown_path(path)
        try:
            data = read_bounded(real, MAX_TEMPLATE_BYTES)
        except TooLargeError as error:
            message = f"the template is larger than the limit of {MAX_TEMPLATE_BYTES // 1024} KiB"
            raise TemplateError(Problem(Where(shown), "", message, f"{error.size // 1024} KiB")) from None
        except OSError as error:
            raise TemplateError(
                Problem(Where(shown), "", f"cannot read the template: {error.strerror or error}")
            ) from None
        try:
            text = decode(data, shown)
        except GongwenError as error:
            raise TemplateError(error.problems) from None
        modified = real.stat().st_mtime_ns
        return text, str(path), lambda: _modified(real) == modified


def _modified(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return None


def template_environment(override: Path | None = None) -> jinja2.Environment:
    folders = (builtin_templates(),) if override is None else (override, builtin_templates())
    builtin = ConfinedLoader(builtin_templates(), folders)
    layers: list[jinja2.BaseLoader] = []
    if override is not None:
        layers.append(ConfinedLoader(override, folders))
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
    environment.filters.update(
        cn_date=chinese_date,
        cn_number=chinese_number,
        cn_period=chinese_period,
        hours=hours_text,
        paragraph=_paragraph,
        balanced=_balanced,
    )
    environment.globals.update(
        cn_number=chinese_number,
        version=__version__,
        signature=_signature,
        contacts=_contacts,
        mark_size=_mark_size,
        mark_style=_mark_style,
        organ_list=_organ_list,
    )
    return environment


# Typesetting filters reach the document's typesetter through the render context.
def _typesetter(context: Context) -> Typesetter:
    typesetter = context.get("typesetter")
    if not isinstance(typesetter, Typesetter):
        raise jinja2.UndefinedError("the paragraph, balanced and signature helpers work in PDF templates only")
    return typesetter


@jinja2.pass_context
def _paragraph(context: Context, text: str, role: str = "body", indent: float = 2) -> Markup:
    return _typesetter(context).paragraph(text, role, indent)


@jinja2.pass_context
def _balanced(context: Context, text: str, role: str = "title", size: float | None = None) -> Markup:
    return _typesetter(context).balanced(text, role, size)


@jinja2.pass_context
def _mark_size(context: Context, text: str) -> float:
    return _typesetter(context).mark_size(text)


@jinja2.pass_context
def _mark_style(context: Context, text: str) -> str:
    return _typesetter(context).mark_style(text)


@jinja2.pass_context
def _organ_list(context: Context, organs: Sequence[str], label: str = "", **options: Any) -> Markup:
    return _typesetter(context).organ_list(organs, label, **options)


@jinja2.pass_context
def _signature(context: Context, issuer: str, date: datetime.date) -> Markup:
    return _typesetter(context).signature(issuer, date)


@jinja2.pass_context
def _contacts(context: Context) -> str:
    """The contacts paragraph written from the notice — team, period, every channel, hours — in the tour's words."""
    words = context.get("words")
    if not isinstance(words, Wording):
        raise jinja2.UndefinedError("contacts() needs the publication's words")
    return words.contacts


def render_template(environment: jinja2.Environment, name: str, context: dict[str, Any], fallback: Where) -> str:
    """A template rendered with `context`; any error in it is one line at the template's path and line
    (`fallback` where no template line is known: the content file)."""
    try:
        template = environment.get_template(name)
        output = template.render(context)
    except GongwenError:
        raise
    except jinja2.TemplateSyntaxError as error:
        where = Where(shown_path(error.filename) if error.filename else error.name or name, error.lineno)
        raise TemplateError(Problem(where, "", f"template syntax error: {error.message}")) from None
    except jinja2.TemplateNotFound as error:
        where = template_position(environment, error) or fallback
        raise TemplateError(Problem(where, "", f"template not found: {error.name}")) from None
    except jinja2.UndefinedError as error:
        where = template_position(environment, error) or Where(template_origin(environment, name))
        raise TemplateError(Problem(where, "", f"template error: {error.message}")) from None
    except jinja2.exceptions.SecurityError as error:
        where = template_position(environment, error) or Where(template_origin(environment, name))
        raise TemplateError(Problem(where, "", f"template not allowed: {error}")) from None
    except Exception as error:  # noqa: BLE001 templates may come from users: whatever their code raises is their mistake to fix
        where = template_position(environment, error) or Where(template_origin(environment, name))
        raise TemplateError(Problem(where, "", f"template error: {type(error).__name__}: {error}")) from None
    bad = FORBIDDEN_CHARACTERS.search(output)
    if bad:
        line = output.count("\n", 0, bad.start()) + 1
        column = bad.start() - (output.rfind("\n", 0, bad.start()) + 1) + 1
        raise TemplateError(
            Problem(
                Where(template_origin(environment, name)),
                "",
                f"the template wrote the control character U+{ord(bad.group()):04X} (line {line}, column {column} "
                "of what it wrote), which documents cannot hold",
            )
        )
    return output
