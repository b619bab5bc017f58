"""Errors shared by every stage: a problem is a place, a field, what is wrong and the value seen.

The library raises these and knows nothing of the command line; `pipeline.cli` turns them into
one line per problem and exit status 1.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

_MAX_SHOWN = 40


@dataclass(frozen=True, slots=True)
class Where:
    """A place in an input file; line and column count from 1 and may be unknown."""

    path: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.path
        if self.column is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.column}"


def shown(value: object, limit: int = _MAX_SHOWN) -> str:
    """Quote a value for a one-line message: escape what cannot be printed, cut what is long."""
    if not isinstance(value, str):
        return str(value)
    text = value if len(value) <= limit else value[: limit - 1] + "…"
    out = []
    for char in text:
        code = ord(char)
        if char == '"' or char == "\\":
            out.append("\\" + char)
        elif 0xD800 <= code <= 0xDFFF or unicodedata.category(char) in ("Cc", "Cs", "Cn", "Co", "Zl", "Zp"):
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def shown_path(path: Path | str) -> str:
    """A path as the user should read it: relative to the working folder when inside it. Its folders are
    resolved, its own name is not: a link is shown where it is, not where it points."""
    path = Path(path)
    absolute = path.absolute()
    located = absolute.parent.resolve() / absolute.name if absolute.name not in ("", ".", "..") else path.resolve()
    try:
        return str(located.relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


class _Nothing:
    """No value was seen. One instance, kept one across processes: problems come back from workers pickled."""

    def __reduce__(self) -> str:
        return "_NOTHING"

    def __repr__(self) -> str:
        return "<no value>"


_NOTHING = _Nothing()


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, printed as `path:line:column: field: message (got …)`."""

    where: Where
    field: str
    message: str
    got: object = _NOTHING

    def __str__(self) -> str:
        head = f"{self.where}: {self.field}: " if self.field else f"{self.where}: "
        tail = "" if self.got is _NOTHING else f" (got {shown(self.got)})"
        return head + self.message + tail


class GongwenError(Exception):
    """A problem the user can fix, as one or more located lines."""

    def __init__(self, problems: Iterable[Problem] | Problem):
        if isinstance(problems, Problem):
            problems = [problems]
        # A mistake in a shared file (_defaults.yaml) reaches every publication that inherits it: say it once.
        self.problems: list[Problem] = list(dict.fromkeys(problems))
        super().__init__("\n".join(str(problem) for problem in self.problems))

    @property
    def lines(self) -> list[str]:
        return [str(problem) for problem in self.problems]


class ContentError(GongwenError):
    """A content file is wrong."""


class TemplateError(GongwenError):
    """A template, or what it produced, is wrong."""


class ConfigurationError(GongwenError):
    """The configuration or an environment variable that acts as one (SOURCE_DATE_EPOCH) is wrong."""


class SetupError(GongwenError):
    """Something the machine must provide is missing: a font, fontconfig, a library of the PDF engine."""


class OutputError(GongwenError):
    """An output cannot be written, or writing it would lose someone's work."""
