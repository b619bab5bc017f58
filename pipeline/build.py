"""The library API: find content files, check them, and build each publication's three artifacts.

`check(paths)` loads and validates; `build(paths, configuration)` renders every publication and
hands the artifacts to the output folder. A publication is made completely in memory before any of
its files is written, so one that fails leaves its earlier artifacts as they were, and the others
still build. The command line is a thin layer over these functions; the tests call them directly.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__, gbt9704
from .cache import cache_folder
from .config import Configuration
from .errors import ContentError, GongwenError, Problem, Where, shown, shown_path
from .fonts import ResolvedFace, font_inventory, resolve_fonts
from .model import Publication, load_publication
from .output import Artifact, OutputFolder, Written
from .render import (BRIEFING_TEMPLATE, NOTICE_TEMPLATE, SUMMARY_TEMPLATE, builtin_templates, created_timestamp,
                     find_in_templates, prepare_text, render_pdf_html, render_summary_html, template_environment,
                     template_origin)
from .structure import read_structure
from .typesetter import Typesetter
from .word import write_summary

CONTENT_SUFFIXES = (".yaml", ".yml")
BRIEFING = "briefing.pdf"
NOTICE = "notice.pdf"
SUMMARY = "summary.docx"


def discover(paths: list[Path]) -> list[Path]:
    """Content files named by `paths`: files as given, folders searched for *.yaml (not _*.yaml)."""
    found: list[Path] = []
    problems = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(item for item in path.rglob("*") if item.suffix in CONTENT_SUFFIXES
                                and item.is_file() and not item.name.startswith(("_", "."))))
        elif path.is_file():
            found.append(path)
        else:
            problems.append(Problem(Where(shown_path(path)), "", "no such file or folder"))
    if problems:
        raise ContentError(problems)
    unique = list(dict.fromkeys(found))
    return unique


def load_all(files: list[Path]) -> tuple[list[Publication], list[Problem]]:
    publications, problems = [], []
    for path in files:
        try:
            publications.append(load_publication(path, shown_path(path)))
        except ContentError as error:
            problems.extend(error.problems)
    first_seen: dict[str, Publication] = {}
    shared: set[str] = set()
    for publication in publications:
        earlier = first_seen.setdefault(publication.id, publication)
        if earlier is not publication:
            shared.add(publication.id)
            problems.append(Problem(publication.where("id") if "id" in publication.positions else Where(publication.source.path),
                                    "id", f"two publications would share dist/{publication.id}/ (the other is {earlier.source.path})",
                                    publication.id))
    # Which of them dist/<id>/ should hold is for the user to say: neither is built.
    return [publication for publication in publications if publication.id not in shared], problems


def check(paths: list[Path]) -> list[Publication]:
    """Validate content files; raise ContentError listing every problem."""
    publications, problems = load_all(discover(paths))
    if problems:
        raise ContentError(problems)
    return publications


def _source_date_epoch() -> int | None:
    value = os.environ.get("SOURCE_DATE_EPOCH")
    if not value:
        return None
    if not value.isdigit():
        raise ContentError(Problem(Where("SOURCE_DATE_EPOCH"), "", "must be a whole number of seconds", value))
    return int(value)


class Publisher:
    """Everything needed to make artifacts, set up once per process: fonts, templates, the PDF engine."""

    def __init__(self, configuration: Configuration):
        self.configuration = configuration
        settings = configuration.settings
        self.faces: dict[str, ResolvedFace] = resolve_fonts(settings.fonts.as_dict(), configuration.where())
        self.template_override = configuration.path("templates")
        if self.template_override is not None and not self.template_override.is_dir():
            raise ContentError(Problem(configuration.where(), "templates", "template folder not found",
                                       shown_path(self.template_override)))
        self.environment = template_environment(self.template_override)
        self.reference_doc = configuration.path("reference_doc") or builtin_templates() / "reference.docx"
        self.one_sided = settings.one_sided
        self.pdf_variant = settings.pdf_variant
        self._engine = None

    @property
    def engine(self):
        if self._engine is None:
            from .pdf import PdfEngine
            roots = [builtin_templates(), cache_folder() / "fonts"]
            if self.template_override is not None:
                roots.append(self.template_override)
            self._engine = PdfEngine(tuple(roots))
        return self._engine

    @property
    def base_url(self) -> Path:
        return self.template_override or builtin_templates()

    def artifacts(self, publication: Publication) -> list[Artifact]:
        """The three artifacts of one publication, made in memory."""
        epoch = _source_date_epoch()
        created = created_timestamp(publication, epoch)
        printed = prepare_text(publication)
        folder = publication.id
        briefing = self._pdf(BRIEFING_TEMPLATE, printed, gbt9704.STANDARD_GRID, created)
        notice = self._notice(printed, created)
        summary = self._summary(printed, created)
        return [
            Artifact(f"{folder}/{BRIEFING}", *briefing),
            Artifact(f"{folder}/{SUMMARY}", summary),
            Artifact(f"{folder}/{NOTICE}", *notice),
        ]

    def _laid_out(self, template: str, publication: Publication, grid: gbt9704.TextGrid, created: str):
        typesetter = Typesetter(self.faces, grid)
        rendered = render_pdf_html(self.environment, template, publication, typesetter,
                                   one_sided=self.one_sided, created=created)
        laid_out = self.engine.layout(rendered, self.base_url)
        return laid_out

    def _write(self, laid_out, publication: Publication, template: str) -> tuple[bytes, int]:
        data = self.engine.write(laid_out, self.pdf_variant)
        # A refused URL fails the build: the PDF would lack what the template meant to put in it.
        problems = [Problem(find_in_templates(self.environment, url) or Where(template_origin(self.environment, template)), "",
                            f"not fetched: {shown(url, limit=200)}; templates may use data: URLs and files inside the template "
                            "folders only") for url in laid_out.refused]
        where = Where(publication.source.path if publication.source else template)
        problems += [Problem(where, "", f"{template}: the PDF engine reported: {message}") for message in laid_out.messages]
        if problems:
            raise ContentError(problems)
        return data, laid_out.pages

    def _pdf(self, template: str, publication: Publication, grid: gbt9704.TextGrid, created: str) -> tuple[bytes, int]:
        return self._write(self._laid_out(template, publication, grid, created), publication, template)

    def _notice(self, publication: Publication, created: str) -> tuple[bytes, int]:
        """The notice on one page: spacing tightens, then size, down to 14 pt; then a clear error."""
        laid_out = None
        for grid in gbt9704.NOTICE_FIT_STEPS:
            laid_out = self._laid_out(NOTICE_TEMPLATE, publication, grid, created)
            if laid_out.pages == 1:
                return self._write(laid_out, publication, NOTICE_TEMPLATE)
        overflow = _overflow_characters(laid_out.document)
        longest = max(("notice.scope", "notice.exclusions", "notice.title"),
                      key=lambda name: len(_field_text(publication, name)))
        raise ContentError(Problem(publication.where(longest), longest,
                                   f"the notice does not fit on one page even at 14 pt: about {overflow} characters "
                                   f"run onto page {laid_out.pages}; shorten this field (the longest of the notice) by at least that much",
                                   len(_field_text(publication, longest))))

    def _summary(self, publication: Publication, created: str) -> bytes:
        markup = render_summary_html(self.environment, publication, created)
        blocks = read_structure(markup, SUMMARY_TEMPLATE)
        moment = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
        return write_summary(blocks, self.reference_doc, title=publication.title, author=publication.issuer,
                             created=moment, font_names=self.configuration.settings.word_fonts.as_dict(),
                             one_sided=self.one_sided)


def _field_text(publication: Publication, dotted: str) -> str:
    value = publication
    for part in dotted.split("."):
        value = getattr(value, part, None)
        if value is None:
            return ""
    return value if isinstance(value, str) else ""


def _overflow_characters(document) -> int:
    """How many characters were laid out beyond the first page."""
    count = 0
    for page in document.pages[1:]:
        stack = [page._page_box]
        while stack:
            box = stack.pop()
            text = getattr(box, "text", None)
            if isinstance(text, str):
                count += len(text.strip())
            stack.extend(getattr(box, "children", ()))
    return count


@dataclass
class BuildReport:
    written: list[Path] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    built: list[str] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # edited artifacts kept under .edited names by --force


def build(paths: list[Path], configuration: Configuration,
          on_built: Callable[[Publication, Written], None] | None = None, *, force: bool = False) -> BuildReport:
    """Build every publication under `paths`; problems are collected, not raised, so the others still build.

    An artifact edited since it was built stops its publication unless `force`, which keeps the
    edited file beside the new one.
    """
    report = BuildReport()
    publications, problems = load_all(discover(paths))
    report.problems.extend(problems)
    if not publications:
        return report
    publisher = Publisher(configuration)
    about = {"tool": "gongwen", "version": __version__, "pdf_variant": publisher.pdf_variant,
             "fonts": font_inventory(publisher.faces)}
    try:
        output = OutputFolder(configuration.path("output"), about, force=force)
    except GongwenError as error:
        report.problems.extend(error.problems)
        return report
    try:
        for publication in publications:
            try:
                written = output.write(publisher.artifacts(publication))
            except GongwenError as error:
                report.problems.extend(error.problems)
                continue
            report.written.extend(written.paths)
            report.kept.extend(written.kept)
            report.built.append(publication.id)
            if on_built is not None:
                on_built(publication, written)
    finally:
        output.close()
    return report
