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

from .artifacts import ARTIFACTS, BRIEFING, NOTICE, SUMMARY, ArtifactType
from .cache import scratch_folder
from .config import Configuration, builtin_templates, source_date_epoch
from .content.model import Publication
from .content.vocabulary import vocabulary_for
from .errors import ContentError, Problem, TemplateError, Where, shown
from .lazy import lazy_import
from .output.folder import Artifact
from .render.documents import (
    EndBlockPlacement,
    created_timestamp,
    prepare_text,
    render_pdf_html,
    render_summary_html,
    where_written,
)
from .render.locate import find_in_templates, template_origin
from .render.templates import template_environment
from .render.wording import Wording, wording
from .typeset import gbt9704
from .typeset.compose import STRETCH_LIMIT_EM
from .typeset.fonts import ResolvedFace, resolve_fonts
from .typeset.typesetter import LooseLine, Typesetter
from .word.structure import read_structure

if TYPE_CHECKING:
    from .pdf import engine as pdf_engine
    from .word import writer as word_writer
else:
    pdf_engine = lazy_import("pipeline.pdf.engine")  # WeasyPrint (0.4 s): only where a PDF is made
    word_writer = lazy_import("pipeline.word.writer")  # python-docx (0.1 s): only where a summary is made


# Ids the briefing template gives the end of the body and the 版记, to find the pages they fell on.
BODY_END_ID = "gw-body-end"
END_BLOCK_ID = "gw-end-block"


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
        self.vocabularies = configuration.vocabularies()
        self._engine: pdf_engine.PdfEngine | None = None
        self._frozen = False
        self.warnings: list[Problem] = []  # of the last publication made: what it printed but should not have

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
        self.warnings = []
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
                elif artifact is BRIEFING:
                    made.append(Artifact(path, *self._briefing(printed, created)))
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

    def words(self, publication: Publication) -> Wording:
        """The publication's sentences in its tour's words (`publication` as it will be printed)."""
        return wording(publication, vocabulary_for(publication, self.vocabularies))

    def lay_out(
        self, template: str, publication: Publication, grid: gbt9704.TextGrid, created: str
    ) -> pdf_engine.LaidOut:
        """One PDF document rendered and laid out, not yet written."""
        return self._lay_out(template, publication, grid, created)[0]

    def _lay_out(
        self,
        template: str,
        publication: Publication,
        grid: gbt9704.TextGrid,
        created: str,
        end_block: EndBlockPlacement | None = None,
    ) -> tuple[pdf_engine.LaidOut, list[LooseLine]]:
        """A PDF document laid out, and the lines its typesetting left looser than the stretch limit."""
        typesetter = Typesetter(self.faces, grid, names=self.names(publication))
        fonts = Path(tempfile.mkdtemp(dir=scratch_folder()))  # the engine copies what it needs while laying out
        try:
            rendered = render_pdf_html(
                self.environment,
                template,
                publication,
                typesetter,
                fonts,
                self.words(publication),
                one_sided=self.one_sided,
                created=created,
                end_block=end_block,
                bulletin=self.configuration.settings.bulletin,
            )
            return self.engine.layout(rendered, self.base_url), typesetter.loose_lines
        finally:
            shutil.rmtree(fonts, ignore_errors=True)

    def _briefing(self, publication: Publication, created: str) -> tuple[bytes, int]:
        """The briefing; in two-sided printing a 文件's 版记 on an even page, the last face (GB/T 9704 7.4.1):
        when the first layout puts it on an odd page, it is laid out again starting the next even page."""
        template = BRIEFING.template
        laid_out, loose_lines = self._lay_out(template, publication, gbt9704.STANDARD_GRID, created)
        end_page = laid_out.anchors.get(END_BLOCK_ID)
        if end_page is not None and end_page % 2 == 1 and not self.one_sided and publication.masthead == "document":
            body_end = laid_out.anchors.get(BODY_END_ID, end_page)
            placement = EndBlockPlacement(verso=True, unnumbered=body_end % 2 == 0)
            laid_out, loose_lines = self._lay_out(template, publication, gbt9704.STANDARD_GRID, created, placement)
        self._warn_loose(loose_lines, publication, template)
        return self._write(laid_out, publication, template)

    def _warn_loose(self, loose_lines: list[LooseLine], publication: Publication, template: str) -> None:
        """A line spaced beyond the limit is not a failure: the build names it where its text was written."""
        within = "notice." if template == NOTICE.template else ""
        for line in loose_lines:
            field, where = where_written(publication, line.text + line.following, within)
            self.warnings.append(
                Problem(
                    where,
                    field,
                    f"{template.split('.')[0]}: a line is spaced {line.stretch:.2f} em between characters, more than "
                    f"the {STRETCH_LIMIT_EM} em limit, and no other breaks avoid it: shorten or reword the text "
                    "around a long number or address",
                    line.text,
                )
            )

    def names(self, publication: Publication) -> tuple[str, ...]:
        """What titles never break inside: the names the publication gives and those the configuration lists."""
        return publication.names + tuple(self.configuration.settings.names)

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
        laid_out, loose_lines = self._lay_out(template, publication, grid, created)
        self._warn_loose(loose_lines, publication, template)
        return self._write(laid_out, publication, template)

    def _notice(self, publication: Publication, created: str) -> tuple[bytes, int]:
        """The notice on one page: spacing tightens, then size, down to 14 pt; then a clear error."""
        for grid in gbt9704.NOTICE_FIT_STEPS:
            laid_out, loose_lines = self._lay_out(NOTICE.template, publication, grid, created)
            if laid_out.pages == 1:
                self._warn_loose(loose_lines, publication, NOTICE.template)
                return self._write(laid_out, publication, NOTICE.template)
        overflow = laid_out.overflow_characters()
        longest = max(
            ("notice.scope", "notice.exclusions", "notice.opening", "notice.unit", "notice.title"),
            key=lambda name: len(_field_text(publication, name)),
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
        typesetter = Typesetter(self.faces, names=self.names(publication))
        title_lines = typesetter.title_lines(publication.title)
        to_lines = typesetter.organ_lines(publication.to, end="：") if publication.to else None
        markup = render_summary_html(
            self.environment, publication, self.words(publication), created, title_lines, to_lines
        )
        blocks = read_structure(markup, SUMMARY.template)
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
