"""Making one publication: its briefing, notice and summary rendered and written in memory, not yet on disk.

A `Publisher` is set up once per process (fonts resolved, templates loaded, the PDF engine started
on first use) and then makes publication after publication; `pipeline.build` decides which ones
and hands what they make to the output folder.
"""

from __future__ import annotations

import datetime
import gc
import shutil
import tempfile
from pathlib import Path

from . import gbt9704
from .cache import scratch_folder
from .config import BRIEFING_TEMPLATE, NOTICE_TEMPLATE, SUMMARY_TEMPLATE, Configuration, builtin_templates, source_date_epoch
from .errors import ContentError, Problem, Where, shown
from .fonts import ResolvedFace, resolve_fonts
from .model import Publication
from .output import ARTIFACT_NAMES, BRIEFING, NOTICE, SUMMARY, Artifact
from .render import (created_timestamp, find_in_templates, prepare_text, render_pdf_html, render_summary_html,
                     template_environment, template_origin)
from .structure import read_structure
from .typesetter import Typesetter


class Publisher:
    """Everything needed to make artifacts, set up once per process: fonts, templates, the PDF engine."""

    def __init__(self, configuration: Configuration):
        self.configuration = configuration
        settings = configuration.settings
        self.faces: dict[str, ResolvedFace] = resolve_fonts(settings.fonts.as_dict(), configuration.where())
        folders = configuration.template_folders()
        self.template_override = folders[0] if len(folders) > 1 else None
        self.environment = template_environment(self.template_override)
        self.reference_doc = configuration.reference_document()
        self.one_sided = settings.one_sided
        self.pdf_variant = settings.pdf_variant
        self._engine = None
        self._frozen = False

    @property
    def engine(self):
        if self._engine is None:
            from .pdf import PdfEngine
            roots = [builtin_templates(), scratch_folder()]
            if self.template_override is not None:
                roots.append(self.template_override)
            self._engine = PdfEngine(tuple(roots))
        return self._engine

    @property
    def base_url(self) -> Path:
        return self.template_override or builtin_templates()

    def artifacts(self, publication: Publication, names: tuple[str, ...] = ARTIFACT_NAMES) -> list[Artifact]:
        """The named artifacts of one publication (all three by default), made in memory."""
        created = created_timestamp(publication, source_date_epoch())
        printed = prepare_text(publication)
        folder = publication.id
        made = []
        try:
            if BRIEFING in names:
                made.append(Artifact(f"{folder}/{BRIEFING}", *self._pdf(BRIEFING_TEMPLATE, printed, gbt9704.STANDARD_GRID, created)))
            if SUMMARY in names:
                made.append(Artifact(f"{folder}/{SUMMARY}", self._summary(printed, created)))
            if NOTICE in names:
                made.append(Artifact(f"{folder}/{NOTICE}", *self._notice(printed, created)))
        finally:
            # A laid-out document holds its fonts in reference cycles: a batch worker grows without a
            # collection. After the first publication, what the engines set up once is frozen out of
            # the collector's sight, so each collection looks at one publication's objects only.
            gc.collect()
            if not self._frozen:
                gc.freeze()
                self._frozen = True
        return made

    def lay_out(self, template: str, publication: Publication, grid: gbt9704.TextGrid, created: str):
        """One PDF document rendered and laid out, not yet written."""
        typesetter = Typesetter(self.faces, grid)
        fonts = Path(tempfile.mkdtemp(dir=scratch_folder()))  # the engine copies what it needs while laying out
        try:
            rendered = render_pdf_html(self.environment, template, publication, typesetter, fonts,
                                       one_sided=self.one_sided, created=created)
            return self.engine.layout(rendered, self.base_url)
        finally:
            shutil.rmtree(fonts, ignore_errors=True)

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
        return self._write(self.lay_out(template, publication, grid, created), publication, template)

    def _notice(self, publication: Publication, created: str) -> tuple[bytes, int]:
        """The notice on one page: spacing tightens, then size, down to 14 pt; then a clear error."""
        laid_out = None
        for grid in gbt9704.NOTICE_FIT_STEPS:
            laid_out = self.lay_out(NOTICE_TEMPLATE, publication, grid, created)
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
        from .word import write_summary  # python-docx loads only where a summary is made
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
