"""What a publication is made into: the one list of artifacts, with the template each is rendered
from and the kind of inputs (PDF or Word) that decide when it is stale."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ID_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
"""A publication's id: it names its folder of the output, so lower-case letters, digits and inner hyphens only."""
MAX_ID_LENGTH = 100
"""Folder names may hold 255 bytes, and a path on a Windows share 260 characters: room for the output folder's own
path and `summary.edited-2.docx`."""

# Templates, looked up in the override folder first, then among the built-in ones.
BRIEFING_TEMPLATE = "briefing.html.j2"
NOTICE_TEMPLATE = "notice.html.j2"
SUMMARY_TEMPLATE = "summary.html.j2"
STYLESHEET_TEMPLATE = "gongwen.css.j2"
WORD_TEMPLATES = (SUMMARY_TEMPLATE,)
"""Templates that feed the Word summary only; every other template feeds the PDFs."""


@dataclass(frozen=True)
class ArtifactType:
    """One file of `dist/<id>/`: its name, the template it is rendered from, and which shared inputs it is made from."""

    name: str
    template: str
    inputs: Literal["pdf", "word"]


BRIEFING = ArtifactType("briefing.pdf", BRIEFING_TEMPLATE, "pdf")
SUMMARY = ArtifactType("summary.docx", SUMMARY_TEMPLATE, "word")
NOTICE = ArtifactType("notice.pdf", NOTICE_TEMPLATE, "pdf")
ARTIFACTS = (BRIEFING, SUMMARY, NOTICE)
"""In the order they are reported and recorded."""
ARTIFACT_NAMES = tuple(artifact.name for artifact in ARTIFACTS)


def artifact_named(name: str) -> ArtifactType:
    return next(artifact for artifact in ARTIFACTS if artifact.name == name)
