"""The incremental build: a fingerprint of everything each artifact is made from, so an unchanged one is not made again.

A PDF is made from its content file (and the folder's `_defaults.yaml`), the templates, the
resolved font files, the settings that change pages and the tool's version; the Word summary from
the content, the summary template, the reference document and the Word settings. The output
folder's manifest remembers each artifact's fingerprint. None of this imports the engines: a build
that finds everything up to date starts neither WeasyPrint nor python-docx.
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
from .content import DEFAULTS_FILE, read_bytes
from .errors import ConfigurationError, Problem, Where, shown_path
from .files import file_sha256
from .typeset.fonts import ResolvedFace


def _digest(*parts: object) -> str:
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def _effective_templates(folders: list[Path]) -> dict[str, str]:
    """SHA-256 of each template the loader would use: for every name, the file of the first folder that has it.
    A link that leads outside the template folders is left out, as the loader refuses it; files are hashed
    as they are read, so a large one costs time, not memory."""
    chosen: dict[str, str] = {}
    roots = [folder.resolve() for folder in folders]
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if name in chosen or "__pycache__" in path.parts or not path.is_file():
                continue
            real = path.resolve()
            if not any(real == root or root in real.parents for root in roots):
                continue
            try:
                chosen[name] = file_sha256(real)
            except OSError as error:
                message = f"cannot read the template: {error.strerror or error}"
                raise ConfigurationError(Problem(Where(shown_path(path)), "", message)) from None
    return chosen


@dataclass(frozen=True)
class Fingerprints:
    """The inputs every publication of a build shares, digested once per build."""

    pdf: str
    word: str

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
        try:  # font files and the reference document: one that cannot be read is one line, as a template is
            fonts = sorted({(face.path, face.index, digests(face.path)) for face in faces.values()})
            reference = digests(str(reference_doc))
        except OSError as error:
            where = Where(shown_path(error.filename) if error.filename else str(reference_doc))
            raise ConfigurationError(Problem(where, "", f"cannot read the file: {error.strerror or error}")) from None
        roles = sorted((role, face.path, face.index) for role, face in faces.items())
        pdf = _digest(__version__, pdf_templates, fonts, roles, settings.one_sided, settings.pdf_variant, epoch)
        word = _digest(__version__, word_templates, reference, settings.word_fonts.as_dict(), settings.one_sided, epoch)
        digests.save()
        return cls(pdf, word)

    def inputs(self, content: str) -> dict[str, str]:
        """Each artifact's fingerprint, given the content's."""
        shared = {"pdf": self.pdf, "word": self.word}
        return {artifact.name: _digest(shared[artifact.inputs], content) for artifact in ARTIFACTS}


def content_digest(path: Path) -> str:
    """The content file with the defaults it inherits; either over the size limit of content is refused
    (ContentError) before it is read whole."""
    digest = hashlib.sha256(read_bytes(path, shown_path(path)))
    defaults = path.parent / DEFAULTS_FILE
    if defaults.is_file():
        digest.update(b"\0" + read_bytes(defaults, shown_path(defaults)))
    return digest.hexdigest()
