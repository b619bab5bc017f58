"""The incremental build: a fingerprint of everything each artifact is made from, so an unchanged one is not made again.

A PDF is made from its content file (and the folder's `_defaults.yaml`), the templates it renders
and the files of the template folders, the resolved font files, the settings that change pages
(`one_sided`, `pdf_variant`, `names`, the 简报's `bulletin` layout), the vocabularies,
SOURCE_DATE_EPOCH and the tool's version; an OFD from all that but the PDF variant, plus `formats`
and the OFD writer's own source; the Word summary from the content, the templates it renders (a
template named by an expression, or by a name that is not one of the files found, makes every file
count), the reference document, the Word settings, `names`, the title's and the body's font files
(its title and 主送机关 break where the PDF's do), the vocabularies, SOURCE_DATE_EPOCH and the
version. The vocabularies are the effective ones: built in, with the configuration's changes and
additions. Only the artifacts of the configured formats are planned.

Each of these inputs has a fingerprint of its own (a *component*); an artifact's fingerprint is
made of its components. The output folder's manifest remembers both: the fingerprint decides
whether to make the artifact again, the components say which input changed (`gongwen status`).
None of this imports the engines: a build that finds everything up to date starts neither
WeasyPrint nor python-docx.
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
from .artifacts import MAX_TEMPLATE_BYTES, PDF_TEMPLATES, WORD_TEMPLATES, ArtifactType, artifacts_for
from .cache import file_digests
from .config import Configuration, source_date_epoch
from .content import DEFAULTS_FILE, read_bytes
from .content.vocabulary import Vocabulary
from .errors import ConfigurationError, Problem, Where, shown_path
from .files import TooLargeError, file_sha256, read_bounded
from .typeset.fonts import ResolvedFace

CONTENT, DEFAULTS = "content", "defaults"
TEMPLATES, FONTS, REFERENCE_DOC, SETTINGS, VOCABULARIES, WRITER, EPOCH, VERSION = (
    "templates",
    "fonts",
    "reference_doc",
    "settings",
    "vocabularies",
    "writer",
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
    VOCABULARIES: "vocabulary",
    WRITER: "OFD writer",
    EPOCH: "SOURCE_DATE_EPOCH",
    VERSION: "gongwen's version",
}
"""Each input of an artifact, as `gongwen status` names it when it changed."""
WORD_ROLES = ("title", "body")
"""The faces the summary is measured with: its title lines (title) and its 主送机关 lines (body)."""
COMPONENT_DIGITS = 16
"""Hexadecimal digits kept of each component's fingerprint: enough to tell which input changed (the full
fingerprint of the whole decides whether to make the artifact again), and a quarter of the manifest's size."""


def _digest(*parts: object) -> str:
    return hashlib.sha256(
        json.dumps(parts, ensure_ascii=False, sort_keys=True, default=str).encode("utf-8")
    ).hexdigest()


def _effective_templates(folders: list[Path]) -> dict[str, Path]:
    """The file of each template name the loader would use: the first folder that has it; the last folder, the
    built-in one, is also reachable as `builtin/<name>`. A link that leads outside the template folders is left
    out, as the loader refuses it."""
    chosen: dict[str, Path] = {}
    roots = [folder.resolve() for folder in folders]
    for number, folder in enumerate(folders):
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*")):
            name = path.relative_to(folder).as_posix()
            if not path.is_file() or "__pycache__" in path.parts or name.endswith(".docx"):
                continue
            real = path.resolve()
            if not any(real == root or root in real.parents for root in roots):
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
    template by an expression rather than a literal name, or by a name that is not one of the template files
    found, since then any template may be used."""
    used: set[str] = set()
    waiting = [name for name in roots if name in effective]
    while waiting:
        name = waiting.pop()
        if name in used:
            continue
        used.add(name)
        try:
            source = read_bounded(effective[name], MAX_TEMPLATE_BYTES).decode()
        except (OSError, UnicodeDecodeError, TooLargeError):
            return None  # the renderer will say what is wrong with it; meanwhile nothing is taken as unchanged
        for argument in _REFERENCE.findall(source):
            while _CLAUSE.search(argument):
                argument = _CLAUSE.sub("", argument)
            if not _LITERALS.fullmatch(argument.strip()):
                return None
            for _, found in _NAME.findall(argument):
                target = _loader_name(found)
                if target is None or target not in effective:
                    # A name the loader resolves some other way (through a linked folder, say), or none at all:
                    # which file it is cannot be told here, so nothing is taken as unchanged.
                    return None
                waiting.append(target)
    return used


def _loader_name(name: str) -> str | None:
    """A template name as the loader looks it up (`./a.html`, `a//b.html` and `a/./b.html` are `a.html` and
    `a/b.html`); None for a name with `..`, which the loader refuses. Jinja2's `split_template_path` does the
    same, but importing it would cost a build with nothing to do 50 ms; a test keeps the two in step."""
    pieces = [piece for piece in name.split("/") if piece and piece != "."]
    return None if ".." in pieces else "/".join(pieces)


def _template_inputs(effective: dict[str, Path]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(name, SHA-256) of the files each kind of artifact is made from. The summary: the templates it renders.
    The PDFs: every file of the template folders (the engine fetches images and style sheets from them), less
    the templates only the summary renders. When a template is named by an expression, all count for both."""
    word = _templates_used(WORD_TEMPLATES, effective)
    pdf = _templates_used(PDF_TEMPLATES, effective)
    word_names = set(effective) if word is None else word
    pdf_names = set(effective) if word is None or pdf is None else set(effective) - (word - pdf)

    def digests(names: set[str]) -> list[tuple[str, str]]:
        return [(name, _template_digest(effective[name])) for name in sorted(names)]

    return digests(pdf_names), digests(word_names)


def _template_digest(path: Path) -> str:
    """SHA-256 of a template file, hashed as it is read (a large one costs time, not memory); one that cannot be
    read is one line."""
    try:
        return file_sha256(path)
    except OSError as error:
        message = f"cannot read the template: {error.strerror or error}"
        raise ConfigurationError(Problem(Where(shown_path(path)), "", message)) from None


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
    """The inputs every publication of a build shares, digested once per build: for the PDFs, the OFDs and the
    Word summary, each input's fingerprint (`shared`) and their combination (`pdf`, `ofd`, `word`: what the
    manifest's `shared_inputs` records, and slices of one build must agree on); and the artifacts it makes."""

    shared: dict[str, dict[str, str]]  # "pdf", "ofd" or "word" → component → fingerprint
    artifacts: tuple[ArtifactType, ...]

    @property
    def pdf(self) -> str:
        return _digest(self.shared["pdf"])

    @property
    def ofd(self) -> str:
        return _digest(self.shared["ofd"])

    @property
    def word(self) -> str:
        return _digest(self.shared["word"])

    @classmethod
    def of(
        cls, configuration: Configuration, faces: dict[str, ResolvedFace], templates: list[Path], reference_doc: Path
    ) -> Fingerprints:
        settings = configuration.settings
        digests = file_digests()
        pdf_templates, word_templates = _template_inputs(_effective_templates(templates))
        epoch = _digest(source_date_epoch())
        version = _digest(__version__)
        vocabularies = _digest(vocabulary_digests(configuration.vocabularies()))
        try:  # font files and the reference document: one that cannot be read is one line, as a template is
            fonts = sorted({(face.path, face.index, digests(face.path)) for face in faces.values()})
            reference = digests(str(reference_doc))
        except OSError as error:
            where = Where(shown_path(error.filename) if error.filename else str(reference_doc))
            raise ConfigurationError(Problem(where, "", f"cannot read the file: {error.strerror or error}")) from None
        roles = sorted((role, face.path, face.index) for role, face in faces.items())
        names = sorted(settings.names)  # words titles keep whole: where the PDF's and the Word title's lines break
        bulletin = dataclasses.asdict(settings.bulletin)
        formats = sorted(set(settings.formats))
        pages = {
            TEMPLATES: _digest(pdf_templates),
            FONTS: _digest(fonts, roles),
            VOCABULARIES: vocabularies,
            EPOCH: epoch,
            VERSION: version,
        }
        pdf = {**pages, SETTINGS: _digest(settings.one_sided, settings.pdf_variant, names, bulletin)}
        ofd = {**pages, SETTINGS: _digest(settings.one_sided, names, bulletin, formats), WRITER: _ofd_writer_digest()}
        # The Word title and 主送机关 break where the PDF's do, measured with the PDF's title and body faces.
        measured = sorted((role, faces[role].path, faces[role].index, digests(faces[role].path)) for role in WORD_ROLES)
        word = {
            TEMPLATES: _digest(word_templates),
            REFERENCE_DOC: _digest(reference),
            FONTS: _digest(measured),
            SETTINGS: _digest(settings.word_fonts.as_dict(), settings.one_sided, names),
            VOCABULARIES: vocabularies,
            EPOCH: epoch,
            VERSION: version,
        }
        digests.save()
        return cls({"pdf": pdf, "ofd": ofd, "word": word}, artifacts_for(tuple(formats)))

    def components(self, content: dict[str, str]) -> dict[str, dict[str, str]]:
        """Each artifact's components, given the content's (`content_digests`)."""
        return {artifact.name: {**self.shared[artifact.inputs], **content} for artifact in self.artifacts}

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
    """The fingerprints of the content file and of the defaults it inherits (empty when its folder has none);
    either over the size limit of content is refused (ContentError) before it is read whole."""
    defaults = path.parent / DEFAULTS_FILE
    return {
        CONTENT: hashlib.sha256(read_bytes(path, shown_path(path))).hexdigest(),
        DEFAULTS: hashlib.sha256(read_bytes(defaults, shown_path(defaults))).hexdigest() if defaults.is_file() else "",
    }
