"""The incremental build: a fingerprint of everything each artifact is made from, so an unchanged one is not made again.

A PDF is made from its content file (and the folder's `_defaults.yaml`), the templates, the
resolved font files, the settings that change pages, SOURCE_DATE_EPOCH and the tool's version; the
Word summary from the content, the summary template, the reference document, the Word settings,
SOURCE_DATE_EPOCH and the version. Each of these inputs has a fingerprint of its own (a
*component*); an artifact's fingerprint is made of its components. The output folder's manifest
remembers both: the fingerprint decides whether to make the artifact again, the components say
which input changed (`gongwen status`). None of this imports the engines: a build that finds
everything up to date starts neither WeasyPrint nor python-docx.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .artifacts import ARTIFACTS, WORD_TEMPLATES
from .cache import file_digests
from .config import Configuration, source_date_epoch
from .content import DEFAULTS_FILE
from .typeset.fonts import ResolvedFace

CONTENT, DEFAULTS = "content", "defaults"
TEMPLATES, FONTS, REFERENCE_DOC, SETTINGS, EPOCH, VERSION = (
    "templates",
    "fonts",
    "reference_doc",
    "settings",
    "source_date_epoch",
    "version",
)
COMPONENT_NAMES = {
    CONTENT: "content",
    DEFAULTS: "defaults (_defaults.yaml)",
    TEMPLATES: "template",
    FONTS: "font",
    REFERENCE_DOC: "reference document",
    SETTINGS: "setting",
    EPOCH: "SOURCE_DATE_EPOCH",
    VERSION: "gongwen's version",
}
"""Each input of an artifact, as `gongwen status` names it when it changed."""
COMPONENT_DIGITS = 16
"""Hexadecimal digits kept of each component's fingerprint: enough to tell which input changed (the full
fingerprint of the whole decides whether to make the artifact again), and a quarter of the manifest's size."""


def _digest(*parts: object) -> str:
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def _effective_templates(folders: list[Path]) -> dict[str, str]:
    """SHA-256 of each template the loader would use: for every name, the file of the first folder that has it."""
    chosen: dict[str, str] = {}
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if path.is_file() and "__pycache__" not in path.parts and name not in chosen:
                chosen[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return chosen


@dataclass(frozen=True)
class Fingerprints:
    """The inputs every publication of a build shares, digested once per build: for the PDFs and for the Word
    summary, each input's fingerprint (`shared`) and their combination (`pdf`, `word`: what the manifest's
    `shared_inputs` records, and slices of one build must agree on)."""

    shared: dict[str, dict[str, str]]  # "pdf" or "word" → component → fingerprint

    @property
    def pdf(self) -> str:
        return _digest(self.shared["pdf"])

    @property
    def word(self) -> str:
        return _digest(self.shared["word"])

    @classmethod
    def of(
        cls, configuration: Configuration, faces: dict[str, ResolvedFace], templates: list[Path], reference_doc: Path
    ) -> Fingerprints:
        settings = configuration.settings
        digests = file_digests()
        effective = _effective_templates(templates)
        pdf_templates = sorted(
            (name, digest)
            for name, digest in effective.items()
            if name not in WORD_TEMPLATES and not name.endswith(".docx")
        )
        word_templates = sorted((name, digest) for name, digest in effective.items() if name in WORD_TEMPLATES)
        epoch = _digest(source_date_epoch())
        version = _digest(__version__)
        fonts = sorted({(face.path, face.index, digests(face.path)) for face in faces.values()})
        roles = sorted((role, face.path, face.index) for role, face in faces.items())
        pdf = {
            TEMPLATES: _digest(pdf_templates),
            FONTS: _digest(fonts, roles),
            SETTINGS: _digest(settings.one_sided, settings.pdf_variant),
            EPOCH: epoch,
            VERSION: version,
        }
        word = {
            TEMPLATES: _digest(word_templates),
            REFERENCE_DOC: _digest(digests(str(reference_doc))),
            SETTINGS: _digest(settings.word_fonts.as_dict(), settings.one_sided),
            EPOCH: epoch,
            VERSION: version,
        }
        digests.save()
        return cls({"pdf": pdf, "word": word})

    def components(self, content: dict[str, str]) -> dict[str, dict[str, str]]:
        """Each artifact's components, given the content's (`content_digests`)."""
        return {artifact.name: {**self.shared[artifact.inputs], **content} for artifact in ARTIFACTS}

    def inputs(self, content: dict[str, str]) -> dict[str, str]:
        """Each artifact's fingerprint, given the content's (`content_digests`): its components, combined."""
        return {name: _digest(components) for name, components in self.components(content).items()}


def recorded_components(components: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Components as the manifest keeps them: shortened to what tells them apart."""
    return {
        name: {component: digest[:COMPONENT_DIGITS] for component, digest in parts.items()}
        for name, parts in components.items()
    }


def changed_components(recorded: dict[str, str], current: dict[str, str]) -> list[str]:
    """The inputs whose fingerprints differ, as `gongwen status` names them, in the order of COMPONENT_NAMES."""
    return [
        COMPONENT_NAMES[name]
        for name in COMPONENT_NAMES
        if (name in recorded or name in current) and recorded.get(name) != current.get(name, "")[:COMPONENT_DIGITS]
    ]


def content_digests(path: Path) -> dict[str, str]:
    """The fingerprints of the content file and of the defaults it inherits (empty when its folder has none)."""
    defaults = path.parent / DEFAULTS_FILE
    return {
        CONTENT: hashlib.sha256(path.read_bytes()).hexdigest(),
        DEFAULTS: hashlib.sha256(defaults.read_bytes()).hexdigest() if defaults.is_file() else "",
    }
