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

from .artifacts import ARTIFACTS, BRIEFING, NOTICE, SUMMARY, ArtifactType, artifacts_for
from .cache import scratch_folder
from .config import Configuration, builtin_templates, source_date_epoch
from .content.model import Publication
from .content.vocabulary import vocabulary_for
from .errors import ContentError, Problem, TemplateError, Where, shown
from .lazy import lazy_import
from .output.folder import Artifact
from .render.documents import (
    EndBlockPlacement,
    RenderedPdf,
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
from .typeset.markup import ComposedTextChangedError
from .typeset.typesetter import LooseLine, Typesetter
from .word.structure import Block, read_structure

if TYPE_CHECKING:
    from .ofd import publication as ofd_publication
    from .pdf import engine as pdf_engine
    from .word import writer as word_writer
else:
    pdf_engine = lazy_import("pipeline.pdf.engine")  # WeasyPrint (0.4 s): only where a PDF is made
    word_writer = lazy_import("pipeline.word.writer")  # python-docx (0.1 s): only where a summary is made
    ofd_publication = lazy_import("pipeline.ofd.publication")  # only where an OFD is made

Made = dict[ArtifactType, tuple[bytes, int]]
"""One laid-out document in each wanted format: bytes and page count by artifact."""


# Ids the briefing template gives the end of the body and the 版记, to find the pages they fell on.
BODY_END_ID = "gw-body-end"
END_BLOCK_ID = "gw-end-block"


@dataclass(frozen=True)
class _Kept:
    """A document made before in some formats, with the digest of the rendered document it was laid out
    from, and its warnings."""

    document: str
    made: Made
    warnings: tuple[Problem, ...]


@dataclass(frozen=True)
class _Rendered:
    """One PDF document ready for the engine, the lines its typesetting left loose, and its digest (or "")."""

    pdf: RenderedPdf
    loose_lines: list[LooseLine]
    digest: str


class Publisher:
    """Everything needed to make artifacts, set up once per process: fonts, templates, the PDF engine.

    With `keep_last`, a resident publisher (the live preview) keeps each publication's last PDF of
    each template with a digest of the rendered document (HTML, stylesheet and the faces cut for
    it) it was first laid out from; when the same document comes back, the kept PDF is given again
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
        self.vocabularies = configuration.vocabularies()
        self._engine: pdf_engine.PdfEngine | None = None
        self._frozen = False
        self.warnings: list[Problem] = []  # of the last publication made: what it printed but should not have
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

    def artifacts(self, publication: Publication, wanted: tuple[ArtifactType, ...] | None = None) -> list[Artifact]:
        """The wanted artifacts of one publication (by default those of the configured formats), made in
        memory. The briefing and the notice are laid out once each, and every format wanted is written
        from that layout."""
        if wanted is None:
            wanted = artifacts_for(self.configuration.settings.formats)
        created = created_timestamp(publication, source_date_epoch())
        printed = prepare_text(publication)
        self.warnings = []
        made: dict[ArtifactType, Artifact] = {}
        try:
            for artifact in ARTIFACTS:
                if artifact not in wanted or artifact in made:
                    continue
                if artifact is SUMMARY:
                    made[artifact] = Artifact(f"{publication.id}/{artifact.name}", self._summary(printed, created))
                    continue
                # Each laid-out document is written in every wanted format of its template at once.
                formats = tuple(other for other in ARTIFACTS if other in wanted and other.template == artifact.template)
                for kind, (data, pages) in self._document(artifact.template, printed, created, formats).items():
                    made[kind] = Artifact(f"{publication.id}/{kind.name}", data, pages)
        finally:
            # A laid-out document holds its fonts in reference cycles: a batch worker grows without a
            # collection. After the first publication, what the engines set up once is frozen out of
            # the collector's sight, so each collection looks at one publication's objects only.
            gc.collect()
            if not self._frozen:
                gc.freeze()
                self._frozen = True
        return [made[artifact] for artifact in ARTIFACTS if artifact in made]

    def _document(
        self, template: str, publication: Publication, created: str, formats: tuple[ArtifactType, ...]
    ) -> Made:
        if template == NOTICE.template:
            return self._notice(publication, created, formats)
        if template == BRIEFING.template:
            return self._briefing(publication, created, formats)
        return self._pdf(template, publication, gbt9704.STANDARD_GRID, created, formats)

    def words(self, publication: Publication) -> Wording:
        """The publication's sentences in its tour's words (`publication` as it will be printed)."""
        return wording(publication, vocabulary_for(publication, self.vocabularies))

    def lay_out(
        self, template: str, publication: Publication, grid: gbt9704.TextGrid, created: str
    ) -> pdf_engine.LaidOut:
        """One PDF document rendered and laid out, not yet written."""
        return self._lay_out(template, publication, grid, created)[0]

    @contextlib.contextmanager
    def _rendered(
        self,
        template: str,
        publication: Publication,
        grid: gbt9704.TextGrid,
        created: str,
        end_block: EndBlockPlacement | None = None,
    ) -> Iterator[_Rendered]:
        """One PDF document's HTML and stylesheet, with the faces cut for it kept while the block runs."""
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
            digest = self._document_digest(rendered, fonts) if self._kept is not None else ""
            yield _Rendered(rendered, typesetter.loose_lines, digest)
        except ComposedTextChangedError as error:  # raised while the block lays the document out
            message = (
                f"{template}: a style changes the text of a composed paragraph (::first-letter or content on its "
                "lines), so its lines cannot be drawn as they were composed: remove that rule"
            )
            where = Where(template_origin(self.environment, template))
            raise TemplateError(Problem(where, "", message, str(error))) from None
        finally:
            shutil.rmtree(fonts, ignore_errors=True)

    def _lay_out(
        self,
        template: str,
        publication: Publication,
        grid: gbt9704.TextGrid,
        created: str,
        end_block: EndBlockPlacement | None = None,
    ) -> tuple[pdf_engine.LaidOut, list[LooseLine]]:
        """A PDF document laid out, and the lines its typesetting left looser than the stretch limit."""
        with self._rendered(template, publication, grid, created, end_block) as document:
            return self.engine.layout(document.pdf, self.base_url), document.loose_lines

    @staticmethod
    def _document_digest(rendered: RenderedPdf, fonts: Path) -> str:
        """What the engine is given: the HTML, the stylesheet less the name of its font folder, and the faces."""
        digest = hashlib.sha256(rendered.html.encode("utf-8"))
        digest.update(b"\0" + rendered.resolved_stylesheet().replace(str(fonts), "").encode("utf-8"))
        for face in sorted(fonts.iterdir()):
            digest.update(b"\0" + face.name.encode("utf-8") + b"\0" + face.read_bytes())
        return digest.hexdigest()

    def _kept_document(
        self, publication: Publication, template: str, document: str, formats: tuple[ArtifactType, ...]
    ) -> Made | None:
        """The formats kept for `document`, when the same document was made in them last time."""
        kept = self._kept.get((publication.id, template)) if self._kept is not None else None
        if kept is None or kept.document != document or not set(formats) <= set(kept.made):
            return None
        self.warnings.extend(kept.warnings)
        return {kind: kept.made[kind] for kind in formats}

    def _finish(
        self,
        laid_out: pdf_engine.LaidOut,
        loose_lines: list[LooseLine],
        publication: Publication,
        template: str,
        document: str,
        formats: tuple[ArtifactType, ...],
        created: str,
    ) -> Made:
        """The document in each wanted format, with the warnings of its loose lines; kept when the publisher
        keeps documents."""
        before = len(self.warnings)
        self._warn_loose(loose_lines, publication, template)
        made = self._written(laid_out, publication, template, formats, created)
        if self._kept is not None:
            self._kept[publication.id, template] = _Kept(document, made, tuple(self.warnings[before:]))
        return made

    def _written(
        self,
        laid_out: pdf_engine.LaidOut,
        publication: Publication,
        template: str,
        formats: tuple[ArtifactType, ...],
        created: str,
    ) -> Made:
        """One laid-out document in each wanted format: the OFD is read from the pages before the PDF
        engine writes (and lets go of) them."""
        written: Made = {}
        ofd = next((kind for kind in formats if kind.inputs == "ofd"), None)
        pdf = next((kind for kind in formats if kind.inputs == "pdf"), None)
        if ofd is not None:
            assert laid_out.document is not None, "read before the PDF is written"
            data = ofd_publication.write(
                laid_out.document,
                publication,
                self.words(publication),
                template,
                created,
                Where(publication.source.path),
            )
            written[ofd] = (data, laid_out.pages)
        if pdf is not None:
            written[pdf] = self._write(laid_out, publication, template)
        else:
            self.engine.settle(laid_out)
            self._check(laid_out, publication, template)
        return written

    def _briefing(self, publication: Publication, created: str, formats: tuple[ArtifactType, ...]) -> Made:
        """The briefing; in two-sided printing a 文件's 版记 on an even page, the last face (GB/T 9704 7.4.1):
        when the first layout puts it on an odd page, it is laid out again starting the next even page."""
        template = BRIEFING.template
        with self._rendered(template, publication, gbt9704.STANDARD_GRID, created) as first:
            kept = self._kept_document(publication, template, first.digest, formats)
            if kept is not None:
                return kept
            laid_out, loose_lines = self.engine.layout(first.pdf, self.base_url), first.loose_lines
        end_page = laid_out.anchors.get(END_BLOCK_ID)
        if end_page is not None and end_page % 2 == 1 and not self.one_sided and publication.masthead == "document":
            body_end = laid_out.anchors.get(BODY_END_ID, end_page)
            placement = EndBlockPlacement(verso=True, unnumbered=body_end % 2 == 0)
            laid_out, loose_lines = self._lay_out(template, publication, gbt9704.STANDARD_GRID, created, placement)
        return self._finish(laid_out, loose_lines, publication, template, first.digest, formats, created)

    def _warn_loose(self, loose_lines: list[LooseLine], publication: Publication, template: str) -> None:
        """A line spaced beyond the limit is not a failure: the build names it where its text was written."""
        within = "notice." if template == NOTICE.template else ""
        for line in loose_lines:
            field, where = where_written(publication, line.text + line.following, within)
            # Two decimals, or three where two would print the limit itself (0.1503 em: "0.150", not "0.15").
            spacing = f"{line.stretch:.2f}" if round(line.stretch, 2) > STRETCH_LIMIT_EM else f"{line.stretch:.3f}"
            self.warnings.append(
                Problem(
                    where,
                    field,
                    f"{template.split('.')[0]}: a line is spaced {spacing} em between characters, more than "
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
        self._check(laid_out, publication, template)
        return data, laid_out.pages

    def _check(self, laid_out: pdf_engine.LaidOut, publication: Publication, template: str) -> None:
        # A refused URL fails the build: the document would lack what the template meant to put in it.
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

    def _pdf(
        self,
        template: str,
        publication: Publication,
        grid: gbt9704.TextGrid,
        created: str,
        formats: tuple[ArtifactType, ...],
    ) -> Made:
        with self._rendered(template, publication, grid, created) as document:
            kept = self._kept_document(publication, template, document.digest, formats)
            if kept is not None:
                return kept
            laid_out = self.engine.layout(document.pdf, self.base_url)
        return self._finish(laid_out, document.loose_lines, publication, template, document.digest, formats, created)

    def _notice(self, publication: Publication, created: str, formats: tuple[ArtifactType, ...]) -> Made:
        """The notice on one page: spacing tightens, then size, down to 14 pt; then a clear error."""
        first = ""  # the digest of the document at the first step names the notice, whichever step fits
        for grid in gbt9704.NOTICE_FIT_STEPS:
            with self._rendered(NOTICE.template, publication, grid, created) as document:
                first = first or document.digest
                kept = self._kept_document(publication, NOTICE.template, first, formats)
                if kept is not None:
                    return kept
                laid_out = self.engine.layout(document.pdf, self.base_url)
            if laid_out.pages == 1:
                return self._finish(
                    laid_out, document.loose_lines, publication, NOTICE.template, first, formats, created
                )
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

    def summary_blocks(self, publication: Publication) -> list[Block]:
        """The summary's paragraphs and tables with their named styles, as the Word writer receives them."""
        return self._summary_blocks(prepare_text(publication), created_timestamp(publication, source_date_epoch()))

    def _summary_blocks(self, publication: Publication, created: str) -> list[Block]:
        typesetter = Typesetter(self.faces, names=self.names(publication))
        title_lines = typesetter.title_lines(publication.title)
        to_lines = typesetter.organ_lines(publication.to, end="：") if publication.to else None
        markup = render_summary_html(
            self.environment, publication, self.words(publication), created, title_lines, to_lines
        )
        return read_structure(markup, template_origin(self.environment, SUMMARY.template))

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
