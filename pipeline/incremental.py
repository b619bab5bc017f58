"""The incremental build: a fingerprint of everything each artifact is made from, so an unchanged one is not made again.

A PDF is made from its content file (and the folder's `_defaults.yaml`), the templates, the
resolved font files, the settings that change pages and the tool's version; an OFD from all that
is a PDF's, less the PDF variant, plus the OFD writer's own source and the `formats` setting; the
Word summary from the content, the summary template, the reference document and the Word settings.
Only the artifacts of the configured formats are planned. The output
folder's manifest remembers each artifact's fingerprint. None of this imports the engines: a build
that finds everything up to date starts neither WeasyPrint nor python-docx.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .artifacts import WORD_TEMPLATES, ArtifactType, artifacts_for
from .cache import file_digests
from .config import Configuration, source_date_epoch
from .content import DEFAULTS_FILE
from .typeset.fonts import ResolvedFace


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


OFD_WRITER_SOURCES = ("ofd", "pdf/boxes.py", "pdf/pages.py")
"""The OFD writer's modules, relative to the package: a change to them makes the OFDs again, and only them."""


def _ofd_writer_digest() -> str:
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for name in OFD_WRITER_SOURCES:
        path = package / name
        for source in sorted(path.rglob("*.py")) if path.is_dir() else [path]:
            digest.update(source.relative_to(package).as_posix().encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Fingerprints:
    """The inputs every publication of a build shares, digested once per build, and the artifacts it makes."""

    pdf: str
    word: str
    ofd: str = ""
    artifacts: tuple[ArtifactType, ...] = ()

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
        epoch = source_date_epoch()
        fonts = sorted({(face.path, face.index, digests(face.path)) for face in faces.values()})
        roles = sorted((role, face.path, face.index) for role, face in faces.items())
        pdf = _digest(__version__, pdf_templates, fonts, roles, settings.one_sided, settings.pdf_variant, epoch)
        formats = sorted(set(settings.formats))
        ofd = _digest(
            __version__, pdf_templates, fonts, roles, settings.one_sided, epoch, formats, _ofd_writer_digest()
        )
        word = _digest(
            __version__,
            word_templates,
            digests(str(reference_doc)),
            settings.word_fonts.as_dict(),
            settings.one_sided,
            epoch,
        )
        digests.save()
        return cls(pdf, word, ofd, artifacts_for(tuple(formats)))

    def inputs(self, content: str) -> dict[str, str]:
        """The fingerprint of each artifact the build makes, given the content's."""
        shared = {"pdf": self.pdf, "word": self.word, "ofd": self.ofd}
        return {artifact.name: _digest(shared[artifact.inputs], content) for artifact in self.artifacts}


def content_digest(path: Path) -> str:
    """The content file with the defaults it inherits."""
    digest = hashlib.sha256(path.read_bytes())
    defaults = path.parent / DEFAULTS_FILE
    if defaults.is_file():
        digest.update(b"\0" + defaults.read_bytes())
    return digest.hexdigest()
