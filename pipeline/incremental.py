"""The incremental build: a fingerprint of everything each artifact is made from, so an unchanged one is not made again.

A PDF is made from its content file (and the folder's `_defaults.yaml`), the templates, the
resolved font files, the settings that change pages (`one_sided`, `pdf_variant`, `names`, the 简报's
`bulletin` layout), the vocabularies and the tool's version; an OFD from all that is a PDF's, less
the PDF variant, plus the OFD writer's own source and the `formats` setting; the Word summary from
the content, the summary template, the reference document, the Word settings, the vocabularies,
`names` and the title's font file (the Word title breaks its lines where the PDF's title does). The
vocabularies are the effective ones: built in, with the configuration's changes and additions. Only
the artifacts of the configured formats are planned. The output
folder's manifest remembers each artifact's fingerprint. None of this imports the engines: a build
that finds everything up to date starts neither WeasyPrint nor python-docx.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .artifacts import PDF_TEMPLATES, WORD_TEMPLATES, ArtifactType, artifacts_for
from .cache import file_digests
from .config import Configuration, source_date_epoch
from .content import DEFAULTS_FILE
from .content.vocabulary import Vocabulary
from .typeset.fonts import ResolvedFace


def _digest(*parts: object) -> str:
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def _effective_templates(folders: list[Path]) -> dict[str, Path]:
    """The file of each template name the loader would use: the first folder that has it; the last folder, the
    built-in one, is also reachable as `builtin/<name>`."""
    chosen: dict[str, Path] = {}
    for number, folder in enumerate(folders):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if not path.is_file() or "__pycache__" in path.parts or name.endswith(".docx"):
                continue
            chosen.setdefault(name, path)
            if number == len(folders) - 1:
                chosen.setdefault(f"{BUILTIN_PREFIX}{name}", path)
    return chosen


BUILTIN_PREFIX = "builtin/"
_REFERENCE = re.compile(r"{%[-+]?\s*(?:include|extends|import|from)\s+(.*?)\s*[-+]?%}", re.S)
_CLAUSE = re.compile(r"\s+(?:ignore\s+missing|with\s+context|without\s+context|import\s+.*|as\s+\w+)\s*$", re.S)
_LITERALS = re.compile(r"""\[?\s*(?:(["'])[^"']*\1\s*,?\s*)+\]?""")
_NAME = re.compile(r"""(["'])([^"']*)\1""")


def _templates_used(roots: tuple[str, ...], effective: dict[str, Path]) -> set[str] | None:
    """The names `roots` render, following include, extends, import and from; None when one of them names a
    template by an expression rather than a literal name, since then any template may be used."""
    used: set[str] = set()
    waiting = [name for name in roots if name in effective]
    while waiting:
        name = waiting.pop()
        if name in used:
            continue
        used.add(name)
        try:
            source = effective[name].read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None  # the renderer will say what is wrong with it; meanwhile nothing is taken as unchanged
        for argument in _REFERENCE.findall(source):
            while _CLAUSE.search(argument):
                argument = _CLAUSE.sub("", argument)
            if not _LITERALS.fullmatch(argument.strip()):
                return None
            waiting.extend(found for _, found in _NAME.findall(argument) if found in effective)
    return used


def _template_inputs(effective: dict[str, Path]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, SHA-256) of the files each kind of artifact is made from. The summary: the templates it renders.
    The PDFs: every file of the template folders (the engine fetches images and style sheets from them), less
    the templates only the summary renders. When a template is named by an expression, all count for both."""
    word = _templates_used(WORD_TEMPLATES, effective)
    pdf = _templates_used(PDF_TEMPLATES, effective)
    word_names = set(effective) if word is None else word
    pdf_names = set(effective) if word is None or pdf is None else set(effective) - (word - pdf)

    def digests(names: set[str]) -> list[tuple[str, str]]:
        return [(name, hashlib.sha256(effective[name].read_bytes()).hexdigest()) for name in sorted(names)]

    return digests(pdf_names), digests(word_names)


def vocabulary_digests(vocabularies: Mapping[str, Vocabulary]) -> dict[str, str]:
    """A short SHA-256 of each vocabulary's words and sentences, by name: the manifest records them, and a
    merge of slices refuses slices made with other words."""
    return {name: _digest(dataclasses.asdict(vocabulary))[:16] for name, vocabulary in vocabularies.items()}


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
        vocabularies = vocabulary_digests(configuration.vocabularies())
        digests = file_digests()
        effective = _effective_templates(templates)
        pdf_templates, word_templates = _template_inputs(effective)
        epoch = source_date_epoch()
        fonts = sorted({(face.path, face.index, digests(face.path)) for face in faces.values()})
        roles = sorted((role, face.path, face.index) for role, face in faces.items())
        names = sorted(settings.names)  # words titles keep whole: where the PDF's and the Word title's lines break
        bulletin = dataclasses.asdict(settings.bulletin)
        pages = (pdf_templates, fonts, roles, settings.one_sided, vocabularies, epoch, names, bulletin)
        pdf = _digest(__version__, *pages, settings.pdf_variant)
        formats = sorted(set(settings.formats))
        ofd = _digest(__version__, *pages, formats, _ofd_writer_digest())
        # The Word title breaks where the PDF's does, measured with the PDF's title face.
        title = faces["title"]
        word = _digest(
            __version__,
            word_templates,
            digests(str(reference_doc)),
            settings.word_fonts.as_dict(),
            settings.one_sided,
            vocabularies,
            epoch,
            names,
            (title.path, title.index, digests(title.path)),
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
