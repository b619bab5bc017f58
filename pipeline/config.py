"""Configuration, one typed record: defaults, then `gongwen.toml` or `[tool.gongwen]` in `pyproject.toml`,
then the command line.

The project folder is the nearest folder, from the first content path (or the working folder)
upwards, that holds a `gongwen.toml` or a `pyproject.toml` with a `[tool.gongwen]` table; paths
written in it are relative to that folder. Where a folder holds both, `gongwen.toml` is used and
the table is not: the configuration says so (`notices`), and every command prints it. Every
effective value remembers where it came from, which `gongwen config` prints.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import re
import sys
import tomllib
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .content.nodes import Mapping, Node, Scalar, Sequence
from .content.records import Record, convert_record, field_reference, spec
from .content.vocabulary import BUILTIN, Vocabulary, VocabularySetting, effective_vocabularies
from .errors import ConfigurationError, Problem, Where, shown_path
from .typeset import gbt9704

LATEST_SOURCE_DATE_EPOCH = 253_402_300_799
"""9999-12-31 23:59:59 UTC: the documents write their dates with four-digit years."""


def source_date_epoch() -> int | None:
    """SOURCE_DATE_EPOCH when set: it replaces the content's date as the documents' creation time."""
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    if not re.fullmatch(r"[0-9]{1,20}", value):  # ASCII digits: "²".isdigit() is true, and int() refuses it
        raise ConfigurationError(Problem(Where("SOURCE_DATE_EPOCH"), "", "must be a whole number of seconds", value))
    if int(value) > LATEST_SOURCE_DATE_EPOCH:
        message = f"must be at most {LATEST_SOURCE_DATE_EPOCH} (9999-12-31 23:59:59 UTC)"
        raise ConfigurationError(Problem(Where("SOURCE_DATE_EPOCH"), "", message, value))
    return int(value)


def builtin_templates() -> Path:
    """The templates shipped with the package (inside it when installed, beside it in a checkout)."""
    inside = Path(__file__).parent / "templates"
    return inside if inside.is_dir() else Path(__file__).resolve().parent.parent / "templates"


CONFIG_FILE = "gongwen.toml"
PYPROJECT = "pyproject.toml"

# The PDF engine's archival (PDF/A) and accessible (PDF/UA) variants; `make test` builds each one.
PdfVariant = Literal[
    "pdf/a-1b",
    "pdf/a-2b",
    "pdf/a-3b",
    "pdf/a-2u",
    "pdf/a-3u",
    "pdf/a-4u",
    "pdf/a-1a",
    "pdf/a-2a",
    "pdf/a-3a",
    "pdf/a-4e",
    "pdf/a-4f",
    "pdf/ua-1",
    "pdf/ua-2",
]
PDF_VARIANTS: tuple[str, ...] = typing.get_args(PdfVariant)

# The fixed-layout formats of the briefing and the notice (pipeline/artifacts.py, FIXED_LAYOUT_FORMATS).
FixedLayoutFormat = Literal["pdf", "ofd"]

MAX_JOBS = 256
"""Each worker holds 150–250 MiB; more workers than cores gain nothing, and a typo must not fork thousands."""
MAX_TIME_LIMIT = 86_400
"""A day: a longer limit is no limit."""
MAX_MEMORY_LIMIT = 1 << 20
"""A tebibyte, in MiB: a larger limit is no limit."""


@dataclass(frozen=True)
class FontChoices(Record):
    """PDF fonts by role: family names (`Noto Serif CJK SC:Bold`) or font files (`fonts/x.ttc#2`), first found wins."""

    title: tuple[str, ...] | None = spec("小标宋 role: titles and the red mark.", default=None)
    body: tuple[str, ...] | None = spec("仿宋 role: body text.", default=None)
    heading1: tuple[str, ...] | None = spec("黑体 role: level-1 headings.", default=None)
    heading2: tuple[str, ...] | None = spec("楷体 role: level-2 headings.", default=None)
    page_number: tuple[str, ...] | None = spec("宋体 role: page numbers.", default=None)

    def as_dict(self) -> dict[str, tuple[str, ...]]:
        return {field.name: value for field in dataclasses.fields(self) if (value := getattr(self, field.name))}


@dataclass(frozen=True)
class WordFontNames(Record):
    """Font names written into the Word summary's styles (Word shows them where they are installed)."""

    title: str | None = spec(
        "Title style; unset: the reference document's own name (built-in: 方正小标宋简体).", default=None
    )
    body: str | None = spec(
        "Normal, and with it every style that names no face of its own (仿宋_GB2312).", default=None
    )
    heading1: str | None = spec("Heading 1, Table Heading and Strong (黑体).", default=None)
    heading2: str | None = spec("Heading 2 and Emphasis (楷体_GB2312).", default=None)
    page_number: str | None = spec("Footer and Footer Even: the page numbers (宋体).", default=None)
    latin: str | None = spec("Latin letters and digits in every style (Times New Roman).", default=None)

    def as_dict(self) -> dict[str, str]:
        return {field.name: value for field in dataclasses.fields(self) if (value := getattr(self, field.name))}


@dataclass(frozen=True)
class BulletinLayout(Record):
    """The 报头 of a 简报 (`masthead: bulletin`). No standard fixes it; the defaults follow common practice:
    the 报头 takes about the top third of page one."""

    rule_mm: float = spec(
        "The rule under the 报头, its top this far below the top edge of page one (a third of A4: 99).", default=99.0
    )
    name_size: float = spec(
        "The bulletin's name in points (小初: 36), red 小标宋, centred; smaller when it is too long for a line.",
        default=36.0,
    )
    name_top_mm: float = spec("The name's characters start this far below the top of the type area.", default=20.0)
    issue_gap_mm: float = spec("Between the name's characters and those of 第N期 below it.", default=5.0)
    rule_width_mm: float = spec("Thickness of the rule under the 报头.", default=1.0)
    rule_color: Literal["red", "black"] = spec("Colour of the rule under the 报头.", default="red")

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        area = gbt9704.TOP_MM + gbt9704.TYPE_HEIGHT_MM / 2
        if not gbt9704.TOP_MM + 30 <= self.rule_mm <= area:
            yield "rule_mm", f"must be between {gbt9704.TOP_MM + 30} and {area:g} mm", self.rule_mm
        if not 16 <= self.name_size <= 72:
            yield "name_size", "must be between 16 and 72 points", self.name_size
        if self.name_top_mm < 0:
            yield "name_top_mm", "must not be negative", self.name_top_mm
        if self.issue_gap_mm < 0:
            yield "issue_gap_mm", "must not be negative", self.issue_gap_mm
        if not 0.1 <= self.rule_width_mm <= 3:
            yield "rule_width_mm", "must be between 0.1 and 3 mm", self.rule_width_mm


@dataclass(frozen=True)
class Settings(Record):
    """gongwen configuration."""

    content: tuple[str, ...] = spec("Content files or folders built when no path is given.", default=("content",))
    output: str = spec("Folder that receives dist/<id>/ and the manifest.", default="dist")
    templates: str | None = spec("Folder of template overrides, looked up before the built-in templates.", default=None)
    reference_doc: str | None = spec(
        "Word reference document whose named styles the summary uses; default the built-in one.", default=None
    )
    one_sided: bool = spec("Print one-sided: the binding margin stays on the left of every page.", default=False)
    jobs: int | None = spec(
        "Worker processes that make publications in parallel; default the number of CPUs.", default=None
    )
    time_limit: int = spec(
        "Seconds a worker may spend on one publication before it is stopped (a 1 MiB content file takes about 80).",
        default=600,
    )
    memory_limit: int = spec(
        "MiB a worker may hold in memory before it is stopped (a 1 MiB content file needs about 1300).",
        default=3072,
    )
    pdf_variant: PdfVariant | None = spec(
        "Write the PDFs as this archival or accessible variant, e.g. pdf/a-3b or pdf/ua-1; default a plain PDF 1.7.",
        default=None,
    )
    formats: tuple[FixedLayoutFormat, ...] = spec(
        "Formats of the briefing and the notice: pdf, ofd (GB/T 33190, from the same layout) or both.",
        default=("pdf",),
    )
    fonts: FontChoices = spec("PDF fonts by role.", default=FontChoices())
    word_fonts: WordFontNames = spec("Font names in the Word summary's styles.", default=WordFontNames())
    vocabularies: tuple[VocabularySetting, ...] = spec(
        "Words of each kind of tour (`[[tool.gongwen.vocabularies]]`): change a built-in one (巡视, 巡察, 督察) "
        "or add one based on another; see Vocabularies.",
        default=(),
    )
    names: tuple[str, ...] = spec(
        "Names and words a title never breaks inside, beyond those a content file names (team, unit, issuer, "
        "`to`, `copy_to`), e.g. 住房和城乡建设厅.",
        default=(),
    )
    bulletin: BulletinLayout = spec("The 简报's 报头: positions and sizes.", default=BulletinLayout())

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        if self.jobs is not None and not 1 <= self.jobs <= MAX_JOBS:
            yield "jobs", f"must be from 1 to {MAX_JOBS}", self.jobs
        if not 1 <= self.time_limit <= MAX_TIME_LIMIT:
            yield "time_limit", f"must be from 1 to {MAX_TIME_LIMIT} seconds", self.time_limit
        if not 1 <= self.memory_limit <= MAX_MEMORY_LIMIT:
            yield "memory_limit", f"must be from 1 to {MAX_MEMORY_LIMIT} MiB", self.memory_limit
        known = set(BUILTIN)
        for index, vocabulary in enumerate(self.vocabularies):
            if vocabulary.based_on is not None and vocabulary.based_on not in known:
                listed = ", ".join(sorted(known))
                message = f"no vocabulary of that name before it; known: {listed}"
                yield f"vocabularies[{index}].based_on", message, vocabulary.based_on
            elif vocabulary.based_on is None and vocabulary.name not in known:
                yield (
                    f"vocabularies[{index}].based_on",
                    "a new vocabulary needs based_on (巡视, 巡察, 督察 or one above it) for the words it does not give",
                    None,
                )
            known.add(vocabulary.name)
        if not self.formats:
            yield "formats", "must name at least one format (pdf, ofd)", list(self.formats)


@dataclass(frozen=True)
class Configuration:
    """Effective settings, the project folder, where each setting came from, and what a user should know about how
    they were found (a configuration file that hides another)."""

    settings: Settings
    root: Path
    origins: dict[str, str]
    file: Path | None = None
    notices: tuple[Problem, ...] = ()

    def path(self, name: str) -> Path | None:
        """A path setting, resolved against the folder it was written relative to."""
        value = getattr(self.settings, name)
        if value is None:
            return None
        path = Path(value).expanduser()
        if path.is_absolute():
            return path
        base = Path.cwd() if self.origins.get(name, "").startswith("command line") else self.root
        return base / path

    def output_folder(self) -> Path:
        """The output folder (`output` always has a value: `dist` by default)."""
        folder = self.path("output")
        assert folder is not None, "output has a default"
        return folder

    def template_folders(self) -> list[Path]:
        """Where templates are looked up: the override folder first, then the built-in one."""
        override = self.path("templates")
        if override is not None and not override.is_dir():
            raise ConfigurationError(
                Problem(self.where(), "templates", "template folder not found", shown_path(override))
            )
        return ([override] if override is not None else []) + [builtin_templates()]

    def reference_document(self) -> Path:
        """The Word reference document: configured, or the built-in one."""
        reference = self.path("reference_doc") or builtin_templates() / "reference.docx"
        if not reference.is_file():
            raise ConfigurationError(Problem(Where(shown_path(reference)), "", "reference document not found"))
        return reference

    def vocabularies(self) -> dict[str, Vocabulary]:
        """The built-in vocabularies with the configuration's changes and additions."""
        return effective_vocabularies(self.settings.vocabularies, self.where())

    def content_paths(self) -> list[Path]:
        base = Path.cwd() if self.origins.get("content", "").startswith("command line") else self.root
        return [
            path if (path := Path(item).expanduser()).is_absolute() else base / path for item in self.settings.content
        ]

    def where(self) -> Where:
        return Where(shown_path(self.file) if self.file else "configuration")


@dataclass(frozen=True)
class Project:
    """Where the configuration was found: the project folder, its file and that file's gongwen table, and a
    `[tool.gongwen]` table the file hides (a `pyproject.toml` beside a `gongwen.toml`)."""

    root: Path
    file: Path | None
    table: dict[str, Any]
    shadowed: Path | None = None


def find_project(start: Path) -> Project:
    """The nearest folder from `start` upwards with a gongwen.toml, or a pyproject.toml with a [tool.gongwen] table."""
    start = start.resolve()
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        own, pyproject = candidate / CONFIG_FILE, candidate / PYPROJECT
        table = _read_toml(pyproject).get("tool", {}).get("gongwen") if pyproject.is_file() else None
        if own.is_file():
            return Project(candidate, own, _read_toml(own), pyproject if table is not None else None)
        if table is not None:
            return Project(candidate, pyproject, table)
    return Project(Path.cwd(), None, {})


def _shadowing_notice(project: Project) -> tuple[Problem, ...]:
    if project.file is None or project.shadowed is None:
        return ()
    message = f"used instead of the [tool.gongwen] table of {shown_path(project.shadowed)}, which is ignored"
    return (Problem(Where(shown_path(project.file)), "", message),)


def _read_toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(error))
        where = Where(str(path), int(match.group(1)), int(match.group(2))) if match else Where(str(path))
        raise ConfigurationError(Problem(where, "", f"not valid TOML: {str(error).split(' (at line')[0]}")) from None
    except ValueError:  # tomllib reads numbers with int(), which refuses more than 4300 digits
        message = f"not valid TOML: a number longer than Python reads ({sys.get_int_max_str_digits()} digits)"
        raise ConfigurationError(Problem(Where(str(path)), "", message)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigurationError(Problem(Where(str(path)), "", f"cannot read the file: {error}")) from None


def _key_lines(path: Path) -> dict[str, int]:
    """Line of each dotted key in a TOML file, relative to the gongwen table, for error positions."""
    lines: dict[str, int] = {}
    prefix: str | None = ""  # None: inside a table that is not gongwen's
    in_pyproject = path.name == PYPROJECT
    tables_seen: dict[str, int] = {}  # how many [[name]] tables so far, to number them name[0], name[1] …
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        header = re.match(r"\s*(\[\[?)\s*([^\]]+?)\s*\]", line)
        if header:
            name = header.group(2).replace('"', "")
            if in_pyproject:
                prefix = name[len("tool.gongwen") :].lstrip(".") if name.startswith("tool.gongwen") else None
            else:
                prefix = name
            if prefix and header.group(1) == "[[":
                index = tables_seen[prefix] = tables_seen.get(prefix, -1) + 1
                lines.setdefault(prefix, number)
                prefix = f"{prefix}[{index}]"
            if prefix:
                lines.setdefault(prefix, number)
            continue
        key = re.match(r"\s*([A-Za-z0-9_\-\"]+)\s*=", line)
        if key and prefix is not None:
            dotted = (prefix + "." if prefix else "") + key.group(1).strip('"')
            lines.setdefault(dotted, number)
    return lines


def nodes_from_toml(value: Any, path: str, lines: dict[str, int], key: str = "") -> Node:
    """A node tree from parsed TOML, positioned by key lines where they can be found."""
    where = Where(path, lines.get(key), 1 if key in lines else None)
    if isinstance(value, dict):
        return Mapping(
            tuple(
                (
                    Scalar(
                        name,
                        Where(
                            path,
                            lines.get(f"{key}.{name}".lstrip(".")),
                            1 if f"{key}.{name}".lstrip(".") in lines else None,
                        ),
                    ),
                    nodes_from_toml(item, path, lines, f"{key}.{name}".lstrip(".")),
                )
                for name, item in value.items()
            ),
            where,
        )
    if isinstance(value, list):
        # Items of an array of tables ([[name]]) have lines of their own, name[0], name[1] …
        return Sequence(
            tuple(
                nodes_from_toml(item, path, lines, f"{key}[{index}]" if f"{key}[{index}]" in lines else key)
                for index, item in enumerate(value)
            ),
            where,
        )
    if isinstance(value, bool):
        return Scalar("true" if value else "false", where)
    if isinstance(value, (int, float)):
        return Scalar(str(value), where)
    if isinstance(value, (datetime.date, datetime.time)):
        return Scalar(value.isoformat(), where)
    return Scalar(str(value), where, quoted=True)


def load_configuration(
    start: Path | None = None, overrides: dict[str, Any] | None = None, config_file: Path | None = None
) -> Configuration:
    """Defaults, then the project's configuration file, then `overrides` from the command line."""
    notices: tuple[Problem, ...] = ()
    if config_file is not None:
        config_file = config_file.resolve()
        table = _read_toml(config_file)
        if config_file.name == PYPROJECT:
            table = table.get("tool", {}).get("gongwen", {})
        root = config_file.parent
    else:
        project = find_project(start or Path.cwd())
        root, config_file, table, notices = project.root, project.file, project.table, _shadowing_notice(project)
    origins = {field.name: "default" for field in dataclasses.fields(Settings)}
    if config_file is not None:
        shown = shown_path(config_file)
        lines = _key_lines(config_file)
        label = f"{shown} [tool.gongwen]" if config_file.name == PYPROJECT else shown
        for name in table:
            origins[name] = f"{label}:{lines[name]}" if name in lines else label
        node = nodes_from_toml(table, shown, lines)
    else:
        node = Mapping((), Where("defaults"))
    settings, _ = convert_record(node, Settings, ConfigurationError)
    for name, value in (overrides or {}).items():
        if value is None or value == ():
            continue
        settings = dataclasses.replace(settings, **{name: value})
        origins[name] = f"command line (--{name.replace('_', '-')})"
    return Configuration(settings, root, origins, config_file, notices)


def describe(configuration: Configuration) -> list[tuple[str, str, str]]:
    """(setting, effective value, origin) rows for `gongwen config`."""
    rows = []
    for path, _, _, _ in field_reference(Settings):
        if "[]" in path:
            continue  # the fields of a list's items: the list itself is shown
        top = path.split(".")[0]
        value: Any = configuration.settings
        for part in path.split("."):
            value = getattr(value, part)
        if dataclasses.is_dataclass(value):
            continue
        origin = configuration.origins.get(top, "default")
        if origin != "default" and "." in path and value is None:
            origin = "default"
        rows.append((path, _format_value(value), origin))
    return rows


def _format_value(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(item.name if isinstance(item, VocabularySetting) else str(item) for item in value)
    return str(value)
