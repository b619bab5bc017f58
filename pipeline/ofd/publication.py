"""Stage 4, write (OFD): one publication's laid-out briefing or notice as an OFD package.

The bridge between the publisher and the OFD writer: the PDF engine's pages are read back
(`pipeline.pdf.boxes`), the parts of the document are named from the publication, the metadata is
the PDF's (title, author, creation date), and what the reader cannot record becomes a build error.
"""

from __future__ import annotations

from typing import Any

from ..artifacts import NOTICE_TEMPLATE
from ..content.model import Publication
from ..errors import Problem, TemplateError, Where
from ..pdf.boxes import UnsupportedLayoutError, read_document
from ..render.wording import Wording
from .semantics import briefing_fields, notice_fields
from .writer import Metadata, write_ofd


def write(document: Any, publication: Publication, words: Wording, template: str, created: str, where: Where) -> bytes:
    """The OFD of a laid-out `weasyprint.Document` made from `template` for `publication` (the notice's
    title, signer and date as `words` print them)."""
    try:
        pages = read_document(document)
    except UnsupportedLayoutError as error:
        raise TemplateError(
            Problem(where, "", f'{template}: the OFD writer cannot draw {error} yet; build with formats = ["pdf"]')
        ) from None
    if template == NOTICE_TEMPLATE:
        fields = notice_fields(words)
        metadata = Metadata(words.title, words.signer, created)
    else:
        fields = briefing_fields(publication)
        metadata = Metadata(publication.title, publication.issuer, created, publication.number)
    return write_ofd(pages, metadata, fields)
