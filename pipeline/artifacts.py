"""What a publication is made into: the one list of artifacts, with the template each is rendered
from and the kind of inputs (PDF, OFD or Word) that decide when it is stale. The briefing and the
notice are laid out once and written in each fixed-layout format the configuration asks for."""

from __future__ import annotations

import re
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
"""The templates the Word summary is rendered from; with those they include, extend or import, its template inputs."""
PDF_TEMPLATES = (BRIEFING_TEMPLATE, NOTICE_TEMPLATE, STYLESHEET_TEMPLATE)
"""The templates the PDFs are rendered from; with those they include, extend or import, their template inputs."""
MAX_TEMPLATE_BYTES = 1024 * 1024
"""The built-in templates are under 20 KB each; a template of more than a megabyte is a mistake, not a layout."""


@dataclass(frozen=True)
class ArtifactType:
    """One file of `dist/<id>/`: its name, the template it is rendered from, and which shared inputs it is made from."""

    name: str
    template: str
    inputs: Literal["pdf", "ofd", "word"]


BRIEFING = ArtifactType("briefing.pdf", BRIEFING_TEMPLATE, "pdf")
SUMMARY = ArtifactType("summary.docx", SUMMARY_TEMPLATE, "word")
NOTICE = ArtifactType("notice.pdf", NOTICE_TEMPLATE, "pdf")
BRIEFING_OFD = ArtifactType("briefing.ofd", BRIEFING_TEMPLATE, "ofd")
NOTICE_OFD = ArtifactType("notice.ofd", NOTICE_TEMPLATE, "ofd")
ARTIFACTS = (BRIEFING, SUMMARY, NOTICE, BRIEFING_OFD, NOTICE_OFD)
"""In the order they are reported and recorded."""
ARTIFACT_NAMES = tuple(artifact.name for artifact in ARTIFACTS)

FIXED_LAYOUT_FORMATS = ("pdf", "ofd")
"""The formats the briefing and the notice can be written in (`formats` in the configuration)."""


def artifact_named(name: str) -> ArtifactType:
    return next(artifact for artifact in ARTIFACTS if artifact.name == name)


def artifacts_for(formats: tuple[str, ...]) -> tuple[ArtifactType, ...]:
    """The artifacts a build makes: the summary, and the briefing and the notice in each of `formats`."""
    return tuple(artifact for artifact in ARTIFACTS if artifact.inputs == "word" or artifact.inputs in formats)


FRESH = "fresh"
"""The mark of the rebuilt artifact written beside one edited by hand: summary.docx → summary.fresh.docx. It keeps
the extension (Word opens it with a double click), sorts beside the edited file, and says what it holds: gongwen's
own version, made from the current inputs (`.edited` is taken: `--force` keeps edits under it)."""


def fresh_name(name: str, number: int = 1) -> str:
    """summary.docx → summary.fresh.docx (then summary.fresh-2.docx … when that name holds someone's file)."""
    stem, _, suffix = name.rpartition(".")
    mark = FRESH if number == 1 else f"{FRESH}-{number}"
    return f"{stem}.{mark}.{suffix}"


def _fresh_pattern(name: str) -> re.Pattern[str]:
    stem, _, suffix = name.rpartition(".")
    return re.compile(re.escape(stem) + rf"\.{FRESH}(?:-[1-9][0-9]*)?\." + re.escape(suffix))


_FRESH_NAMES = {name: _fresh_pattern(name) for name in ARTIFACT_NAMES}
FILE_NAME_PATTERN = "|".join(
    [re.escape(name) for name in ARTIFACT_NAMES] + [pattern.pattern for pattern in _FRESH_NAMES.values()]
)
"""The names gongwen writes in a publication's folder: each artifact, and its rebuilt version beside an edited one."""


def artifact_of(name: str) -> str | None:
    """The artifact a file name belongs to: itself, or the one a fresh name is the rebuilt version of."""
    if name in ARTIFACT_NAMES:
        return name
    return next((artifact for artifact, pattern in _FRESH_NAMES.items() if pattern.fullmatch(name)), None)
