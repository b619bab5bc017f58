"""Making one publication: its briefing, notice and summary rendered and written in memory, not yet on disk.

A `Publisher` is set up once per process (fonts resolved, templates loaded, the PDF engine started
on first use) and then makes publication after publication; `pipeline.build` decides which ones
and hands what they make to the output folder. This module brings in the engines (WeasyPrint,
python-docx, Jinja2, HarfBuzz): it is loaded only when a publication is to be made.
"""

from __future__ import annotations

import datetime
import gc
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from .artifacts import ARTIFACTS, NOTICE, SUMMARY, ArtifactType
from .cache import scratch_folder
from .config import Configuration, builtin_templates, source_date_epoch
from .content.model import Publication
from .errors import ContentError, Problem, TemplateError, Where, shown
from .lazy import lazy_import
from .output.folder import Artifact
from .render.documents import created_timestamp, prepare_text, render_pdf_html, render_summary_html
from .render.locate import find_in_templates, template_origin
from .render.templates import template_environment
from .typeset import gbt9704
from .typeset.fonts import ResolvedFace, resolve_fonts
from .typeset.typesetter import Typesetter
from .word.structure import read_structure

if TYPE_CHECKING:
    from .pdf import engine as pdf_engine
    from .word import writer as word_writer
else:
    pdf_engine = lazy_import("pipeline.pdf.engine")  # WeasyPrint (0.4 s): only where a PDF is made
    word_writer = lazy_import("pipeline.word.writer")  # python-docx (0.1 s): only where a summary is made


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
        self._engine: pdf_engine.PdfEngine | None = None
        self._frozen = False

    @property
    def engine(self) -> pdf_engine.PdfEngine:
        if self._engine is None:
            roots = [builtin_templates(), scratch_folder()]
            if self.template_override is not None:
                roots.append(self.template_override)
            self._engine = pdf_engine.PdfEngine(tuple(roots))
        return self._engine

    @property
    def base_url(self) -> Path:
        return self.template_override or builtin_templates()

    def artifacts(self, publication: Publication, wanted: tuple[ArtifactType, ...] = ARTIFACTS) -> list[Artifact]:
        """The wanted artifacts of one publication (all three by default), made in memory."""
        created = created_timestamp(publication, source_date_epoch())
        printed = prepare_text(publication)
        made = []
        try:
            for artifact in ARTIFACTS:
                if artifact not in wanted:
                    continue
                path = f"{publication.id}/{artifact.name}"
                if artifact is SUMMARY:
                    made.append(Artifact(path, self._summary(printed, created)))
                elif artifact is NOTICE:
                    made.append(Artifact(path, *self._notice(printed, created)))
                else:
                    made.append(Artifact(path, *self._pdf(artifact.template, printed, gbt9704.STANDARD_GRID, created)))
        finally:
            # A laid-out document holds its fonts in reference cycles: a batch worker grows without a
            # collection. After the first publication, what the engines set up once is frozen out of
            # the collector's sight, so each collection looks at one publication's objects only.
            gc.collect()
            if not self._frozen:
                gc.freeze()
                self._frozen = True
        return made

    def lay_out(
        self, template: str, publication: Publication, grid: gbt9704.TextGrid, created: str
    ) -> pdf_engine.LaidOut:
        """One PDF document rendered and laid out, not yet written."""
        typesetter = Typesetter(self.faces, grid)
        fonts = Path(tempfile.mkdtemp(dir=scratch_folder()))  # the engine copies what it needs while laying out
        try:
            rendered = render_pdf_html(
                self.environment, template, publication, typesetter, fonts, one_sided=self.one_sided, created=created
            )
            return self.engine.layout(rendered, self.base_url)
        finally:
            shutil.rmtree(fonts, ignore_errors=True)

    def _write(self, laid_out: pdf_engine.LaidOut, publication: Publication, template: str) -> tuple[bytes, int]:
        data = self.engine.write(laid_out, self.pdf_variant)
        # A refused URL fails the build: the PDF would lack what the template meant to put in it.
        problems = [
            Problem(
                find_in_templates(self.environment, url) or Where(template_origin(self.environment, template)),
                "",
                f"not fetched: {shown(url, limit=200)}; templates may use data: URLs and files inside the template "
                "folders only",
            )
            for url in laid_out.refused
        ]
        where = Where(publication.source.path)
        problems += [
            Problem(where, "", f"{template}: the PDF engine reported: {message}") for message in laid_out.messages
        ]
        if problems:
            raise TemplateError(problems)
        return data, laid_out.pages

    def _pdf(self, template: str, publication: Publication, grid: gbt9704.TextGrid, created: str) -> tuple[bytes, int]:
        return self._write(self.lay_out(template, publication, grid, created), publication, template)

    def _notice(self, publication: Publication, created: str) -> tuple[bytes, int]:
        """The notice on one page: spacing tightens, then size, down to 14 pt; then a clear error."""
        for grid in gbt9704.NOTICE_FIT_STEPS:
            laid_out = self.lay_out(NOTICE.template, publication, grid, created)
            if laid_out.pages == 1:
                return self._write(laid_out, publication, NOTICE.template)
        overflow = laid_out.overflow_characters()
        longest = max(
            ("notice.scope", "notice.exclusions", "notice.title"), key=lambda name: len(_field_text(publication, name))
        )
        raise ContentError(
            Problem(
                publication.where(longest),
                longest,
                f"the notice does not fit on one page even at 14 pt: about {overflow} characters "
                f"run onto page {laid_out.pages}; shorten this field (the longest of the notice) "
                "by at least that much",
                len(_field_text(publication, longest)),
            )
        )

    def _summary(self, publication: Publication, created: str) -> bytes:
        markup = render_summary_html(self.environment, publication, created)
        blocks = read_structure(markup, template_origin(self.environment, SUMMARY.template))
        moment = datetime.datetime.fromisoformat(created.replace("Z", "+00:00"))
        return word_writer.write_summary(
            blocks,
            self.reference_doc,
            title=publication.title,
            author=publication.issuer,
            created=moment,
            font_names=self.configuration.settings.word_fonts.as_dict(),
            one_sided=self.one_sided,
        )


def _field_text(publication: Publication, dotted: str) -> str:
    value: object = publication
    for part in dotted.split("."):
        value = getattr(value, part, None)
        if value is None:
            return ""
    return value if isinstance(value, str) else ""
