"""Making one publication: its briefing, notice and summary rendered and written in memory, not yet on disk.

A `Publisher` is set up once per process (fonts resolved, templates loaded, the PDF engine started
on first use) and then makes publication after publication; `pipeline.build` decides which ones
and hands what they make to the output folder. This module brings in the engines (WeasyPrint,
python-docx, Jinja2, HarfBuzz): it is loaded only when a publication is to be made.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .artifacts import ARTIFACTS, NOTICE, SUMMARY, ArtifactType
from .cache import scratch_folder
from .config import Configuration, builtin_templates, source_date_epoch
from .content.model import Publication
from .errors import ContentError, Problem, TemplateError, Where, shown
from .lazy import lazy_import
from .output.folder import Artifact
from .render.documents import RenderedPdf, created_timestamp, prepare_text, render_pdf_html, render_summary_html
from .render.locate import find_in_templates, template_origin
from .render.templates import template_environment
from .typeset import gbt9704
from .typeset.fonts import ResolvedFace, resolve_fonts
from .typeset.typesetter import Typesetter
from .word.structure import Block, read_structure

if TYPE_CHECKING:
    from .pdf import engine as pdf_engine
    from .word import writer as word_writer
else:
    pdf_engine = lazy_import("pipeline.pdf.engine")  # WeasyPrint (0.4 s): only where a PDF is made
    word_writer = lazy_import("pipeline.word.writer")  # python-docx (0.1 s): only where a summary is made


@dataclass(frozen=True)
class _Kept:
    """A PDF made before, with the digest of the rendered document it was laid out from."""

    document: str
    data: bytes
    pages: int


class Publisher:
    """Everything needed to make artifacts, set up once per process: fonts, templates, the PDF engine.

    With `keep_last`, a resident publisher (the live preview) keeps each publication's last PDF of
    each template with a digest of the rendered document (HTML, stylesheet and the faces cut for
    it) it was laid out from; when the same document comes back, the kept PDF is given again
    without laying it out. A change to files the templates fetch (images in the template folder)
    is not in that digest: make a new publisher when the templates change.
    """

    def __init__(self, configuration: Configuration, *, keep_last: bool = False):
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
        self._kept: dict[tuple[str, str], _Kept] | None = {} if keep_last else None

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
        with self._rendered(template, publication, grid, created) as (rendered, _):
            return self.engine.layout(rendered, self.base_url)

    @contextlib.contextmanager
    def _rendered(
        self, template: str, publication: Publication, grid: gbt9704.TextGrid, created: str
    ) -> Iterator[tuple[RenderedPdf, str]]:
        """One PDF document's HTML and stylesheet, with the faces cut for it kept while the block runs, and its
        digest when PDFs are kept (else "")."""
        typesetter = Typesetter(self.faces, grid)
        fonts = Path(tempfile.mkdtemp(dir=scratch_folder()))  # the engine copies what it needs while laying out
        try:
            rendered = render_pdf_html(
                self.environment, template, publication, typesetter, fonts, one_sided=self.one_sided, created=created
            )
            yield rendered, self._document_digest(rendered, fonts) if self._kept is not None else ""
        finally:
            shutil.rmtree(fonts, ignore_errors=True)

    @staticmethod
    def _document_digest(rendered: RenderedPdf, fonts: Path) -> str:
        """What the engine is given: the HTML, the stylesheet less the name of its font folder, and the faces."""
        digest = hashlib.sha256(rendered.html.encode("utf-8"))
        digest.update(b"\0" + rendered.stylesheet.replace(str(fonts), "").encode("utf-8"))
        for face in sorted(fonts.iterdir()):
            digest.update(b"\0" + face.name.encode("utf-8") + b"\0" + face.read_bytes())
        return digest.hexdigest()

    def _kept_pdf(self, publication: Publication, template: str, document: str) -> tuple[bytes, int] | None:
        kept = self._kept.get((publication.id, template)) if self._kept is not None else None
        return (kept.data, kept.pages) if kept is not None and kept.document == document else None

    def _keep(self, publication: Publication, template: str, document: str, made: tuple[bytes, int]) -> None:
        if self._kept is not None:
            self._kept[publication.id, template] = _Kept(document, *made)

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
        with self._rendered(template, publication, grid, created) as (rendered, document):
            kept = self._kept_pdf(publication, template, document)
            if kept is not None:
                return kept
            laid_out = self.engine.layout(rendered, self.base_url)
        made = self._write(laid_out, publication, template)
        self._keep(publication, template, document, made)
        return made

    def _notice(self, publication: Publication, created: str) -> tuple[bytes, int]:
        """The notice on one page: spacing tightens, then size, down to 14 pt; then a clear error."""
        first = ""  # the digest of the document at the first step names the notice, whichever step fits
        for grid in gbt9704.NOTICE_FIT_STEPS:
            with self._rendered(NOTICE.template, publication, grid, created) as (rendered, document):
                first = first or document
                kept = self._kept_pdf(publication, NOTICE.template, first)
                if kept is not None:
                    return kept
                laid_out = self.engine.layout(rendered, self.base_url)
            if laid_out.pages == 1:
                made = self._write(laid_out, publication, NOTICE.template)
                self._keep(publication, NOTICE.template, first, made)
                return made
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

    def summary_blocks(self, publication: Publication) -> list[Block]:
        """The summary's paragraphs and tables with their named styles, as the Word writer receives them."""
        return self._summary_blocks(prepare_text(publication), created_timestamp(publication, source_date_epoch()))

    def _summary_blocks(self, publication: Publication, created: str) -> list[Block]:
        return read_structure(render_summary_html(self.environment, publication, created), SUMMARY.template)

    def _summary(self, publication: Publication, created: str) -> bytes:
        blocks = self._summary_blocks(publication, created)
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
