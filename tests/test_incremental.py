"""The incremental build's fingerprints (`pipeline.incremental`) directly: each input changes exactly the artifacts
made from it, and nothing else changes any. Milliseconds: nothing is built, fonts are small stand-in files.

briefing.pdf and notice.pdf are made from the content, the PDF templates, the fonts, one_sided, pdf_variant,
SOURCE_DATE_EPOCH and the tool's version; summary.docx from the content, the summary template, the reference
document, word_fonts, one_sided, the title and body faces, SOURCE_DATE_EPOCH and the tool's version.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from helpers import small_content
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pipeline
from pipeline import incremental
from pipeline.cache import FileDigests
from pipeline.config import FontChoices, WordFontNames, builtin_templates, load_configuration
from pipeline.incremental import Fingerprints, content_digests
from pipeline.typeset.fonts import ROLES, ResolvedFace

ALL = frozenset({"briefing.pdf", "summary.docx", "notice.pdf"})
PDFS = frozenset({"briefing.pdf", "notice.pdf"})
SUMMARY = frozenset({"summary.docx"})


class Inputs:
    """Everything the fingerprints of one publication are made of, in a folder of its own; each can be changed."""

    def __init__(self, folder: Path, monkeypatch: pytest.MonkeyPatch):
        self.folder = folder
        self.monkeypatch = monkeypatch
        self.content = folder / "content" / "unit.yaml"
        self.content.parent.mkdir(parents=True)
        self.content.write_text(small_content(), encoding="utf-8")
        self.templates = folder / "templates"  # the override folder, empty: the built-in templates are used
        self.templates.mkdir()
        self.reference = folder / "reference.docx"
        shutil.copy(builtin_templates() / "reference.docx", self.reference)
        fonts = folder / "fonts"
        fonts.mkdir()
        for name in ("serif.otf", "sans.otf", "kai.ttf"):
            (fonts / name).write_bytes(name.encode() * 100)
        # Stand-ins for resolved faces: only their files, indexes and roles make the fingerprint.
        files = {"title": "serif.otf", "body": "serif.otf", "heading1": "sans.otf", "heading2": "kai.ttf"}
        files["page_number"] = "serif.otf"
        self.faces = {role: self.face(role, fonts / files[role], 0) for role in ROLES}
        self.overrides: dict = {"one_sided": False, "pdf_variant": None, "word_fonts": WordFontNames()}
        self.epoch: str | None = None
        self.version = pipeline.__version__
        monkeypatch.setenv("GONGWEN_CACHE_DIR", str(folder / "cache"))
        self.digests = FileDigests()  # remembered in this folder's cache, not the user's

    @staticmethod
    def face(role: str, path: Path, index: int) -> ResolvedFace:
        return ResolvedFace(role, path.stem, "Regular", str(path), index, path.stem, "a stand-in for the test", False)

    def fingerprints(self) -> dict[str, str]:
        """Each artifact's fingerprint, as a build works them out."""
        if self.epoch is None:
            self.monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
        else:
            self.monkeypatch.setenv("SOURCE_DATE_EPOCH", self.epoch)
        self.monkeypatch.setattr(incremental, "__version__", self.version)
        self.monkeypatch.setattr(incremental, "file_digests", lambda: self.digests)
        configuration = load_configuration(
            self.folder, {"templates": str(self.templates), "reference_doc": str(self.reference), **self.overrides}
        )
        shared = Fingerprints.of(
            configuration, self.faces, configuration.template_folders(), configuration.reference_document()
        )
        return shared.inputs(content_digests(self.content))


def override(inputs: Inputs, name: str, change=lambda text: text + "\n{# 改过 #}\n") -> None:
    """A template of the override folder: the built-in one, changed."""
    builtin = (builtin_templates() / name).read_text(encoding="utf-8")
    (inputs.templates / name).write_text(change(builtin), encoding="utf-8")


def grow(path: Path) -> None:
    """Change a file's bytes (and size: the digest memo goes by size and modification time)."""
    path.write_bytes(path.read_bytes() + b"\0changed")


def swap_faces(inputs: Inputs, one: str, other: str) -> None:
    """The same font files, each drawing another role."""
    first, second = inputs.faces[one], inputs.faces[other]
    inputs.faces[one] = inputs.face(one, Path(second.path), second.index)
    inputs.faces[other] = inputs.face(other, Path(first.path), first.index)


# What each input is, how it changes, and which artifacts are made from it.
CHANGES = {
    "content": (
        lambda inputs: inputs.content.write_text(small_content(paragraph="内容改过了。"), encoding="utf-8"),
        ALL,
    ),
    "_defaults.yaml beside the content": (
        lambda inputs: (inputs.content.parent / "_defaults.yaml").write_text("note: 此件公开发布\n", encoding="utf-8"),
        ALL,
    ),
    "the briefing template": (lambda inputs: override(inputs, "briefing.html.j2"), PDFS),
    "the notice template": (lambda inputs: override(inputs, "notice.html.j2"), PDFS),
    "the base template": (lambda inputs: override(inputs, "base.html.j2"), PDFS),
    "the stylesheet": (lambda inputs: override(inputs, "gongwen.css.j2"), PDFS),
    "an image beside the templates": (
        lambda inputs: (inputs.templates / "logo.svg").write_text("<svg/>", encoding="utf-8"),
        PDFS,
    ),
    "the summary template": (lambda inputs: override(inputs, "summary.html.j2"), SUMMARY),
    "the reference document": (lambda inputs: grow(inputs.reference), SUMMARY),
    "one_sided": (lambda inputs: inputs.overrides.update(one_sided=True), ALL),
    "pdf_variant": (lambda inputs: inputs.overrides.update(pdf_variant="pdf/a-3b"), PDFS),
    "word_fonts": (lambda inputs: inputs.overrides.update(word_fonts=WordFontNames(body="FangSong")), SUMMARY),
    "SOURCE_DATE_EPOCH": (lambda inputs: setattr(inputs, "epoch", "1700000000"), ALL),
    "the tool's version": (lambda inputs: setattr(inputs, "version", inputs.version + ".post1"), ALL),
    "a font file's bytes": (lambda inputs: grow(Path(inputs.faces["heading2"].path)), PDFS),
    "the faces of two roles, swapped": (lambda inputs: swap_faces(inputs, "heading1", "heading2"), PDFS),
    "the face's index in its collection": (
        lambda inputs: inputs.faces.update(heading1=inputs.face("heading1", Path(inputs.faces["heading1"].path), 1)),
        PDFS,
    ),
    # The summary's 主送机关 breaks where the PDF's does, measured with the PDF's body face.
    "the body face, swapped with another": (lambda inputs: swap_faces(inputs, "body", "heading1"), ALL),
    "the body face's index in its collection": (
        lambda inputs: inputs.faces.update(body=inputs.face("body", Path(inputs.faces["body"].path), 1)),
        ALL,
    ),
    # The summary's title breaks where the PDF's does, measured with the PDF's title face.
    "the title face's index in its collection": (
        lambda inputs: inputs.faces.update(title=inputs.face("title", Path(inputs.faces["title"].path), 1)),
        ALL,
    ),
}


def changed(before: dict[str, str], after: dict[str, str]) -> set[str]:
    assert set(before) == set(after) == ALL
    return {name for name in ALL if before[name] != after[name]}


@pytest.mark.parametrize("name", list(CHANGES))
def test_each_input_changes_the_fingerprints_of_what_is_made_from_it_and_only_those(tmp_path, monkeypatch, name):
    inputs = Inputs(tmp_path, monkeypatch)
    before = inputs.fingerprints()
    change, effect = CHANGES[name]
    change(inputs)
    assert changed(before, inputs.fingerprints()) == effect


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.sets(st.sampled_from(list(CHANGES)), min_size=1))
def test_several_changes_together_change_what_each_would(tmp_path_factory, monkeypatch, names):
    with monkeypatch.context() as patch:
        inputs = Inputs(tmp_path_factory.mktemp("inputs"), patch)
        before = inputs.fingerprints()
        for name in sorted(names):
            CHANGES[name][0](inputs)
        assert changed(before, inputs.fingerprints()) == set().union(*(CHANGES[name][1] for name in names))


def test_nothing_changed_gives_the_same_fingerprints_in_another_folder_and_process(tmp_path, monkeypatch):
    """Fingerprints name no folder of the project and depend on nothing of the process (the digest memo's state)."""
    first = Inputs(tmp_path / "one", monkeypatch)
    fingerprints = first.fingerprints()
    assert first.fingerprints() == fingerprints  # the digests now remembered
    first.digests = FileDigests()  # a new process: the memo read back from the cache file
    assert (first.folder / "cache" / "file-digests.json").is_file()
    assert first.fingerprints() == fingerprints
    elsewhere = Inputs(tmp_path / "two", monkeypatch)
    elsewhere.faces = first.faces  # the fonts are installed once for every project
    assert elsewhere.fingerprints() == fingerprints


def test_a_template_the_summary_template_includes_is_one_of_the_summary_s_inputs(tmp_path, monkeypatch):
    inputs = Inputs(tmp_path, monkeypatch)
    override(inputs, "summary.html.j2", lambda text: text + '\n{% include "signature.j2" %}\n')
    (inputs.templates / "signature.j2").write_text("<p>联系人：张三</p>", encoding="utf-8")
    before = inputs.fingerprints()
    (inputs.templates / "signature.j2").write_text("<p>联系人：李四</p>", encoding="utf-8")
    assert changed(before, inputs.fingerprints()) == {"summary.docx"}


@pytest.mark.parametrize("name", ["./signature.j2", "parts//signature.j2", "parts/./signature.j2"])
def test_a_template_named_as_the_loader_reads_it_is_one_of_the_summary_s_inputs(tmp_path, monkeypatch, name):
    """The loader reads `./a` as `a`, and `a//b` and `a/./b` as `a/b`: the fingerprint follows the same names."""
    inputs = Inputs(tmp_path, monkeypatch)
    override(inputs, "summary.html.j2", lambda text: text + f'\n{{% include "{name}" %}}\n')
    target = inputs.templates / name.replace("//", "/").replace("/./", "/").removeprefix("./")
    target.parent.mkdir(exist_ok=True)
    target.write_text("<p>联系人：张三</p>", encoding="utf-8")
    before = inputs.fingerprints()
    target.write_text("<p>联系人：李四</p>", encoding="utf-8")
    assert "summary.docx" in changed(before, inputs.fingerprints())


def test_a_template_reached_through_a_linked_folder_is_one_of_the_summary_s_inputs(tmp_path, monkeypatch):
    inputs = Inputs(tmp_path, monkeypatch)
    (inputs.templates / "real").mkdir()
    (inputs.templates / "parts").symlink_to(inputs.templates / "real")
    override(inputs, "summary.html.j2", lambda text: text + '\n{% include "parts/signature.j2" %}\n')
    (inputs.templates / "real" / "signature.j2").write_text("<p>联系人：张三</p>", encoding="utf-8")
    before = inputs.fingerprints()
    (inputs.templates / "real" / "signature.j2").write_text("<p>联系人：李四</p>", encoding="utf-8")
    assert "summary.docx" in changed(before, inputs.fingerprints())


def test_a_template_named_by_an_expression_makes_every_template_an_input(tmp_path, monkeypatch):
    inputs = Inputs(tmp_path, monkeypatch)
    override(inputs, "summary.html.j2", lambda text: text + '\n{% include "sig" ~ "nature.j2" %}\n')
    (inputs.templates / "signature.j2").write_text("<p>联系人：张三</p>", encoding="utf-8")
    before = inputs.fingerprints()
    (inputs.templates / "signature.j2").write_text("<p>联系人：李四</p>", encoding="utf-8")
    assert "summary.docx" in changed(before, inputs.fingerprints())


def test_a_template_only_the_summary_includes_is_not_an_input_of_the_pdfs(tmp_path, monkeypatch):
    inputs = Inputs(tmp_path, monkeypatch)
    override(inputs, "summary.html.j2", lambda text: text + '\n{% from "macros.j2" import sign with context %}\n')
    (inputs.templates / "macros.j2").write_text("{% macro sign() %}张三{% endmacro %}", encoding="utf-8")
    before = inputs.fingerprints()
    (inputs.templates / "macros.j2").write_text("{% macro sign() %}李四{% endmacro %}", encoding="utf-8")
    assert changed(before, inputs.fingerprints()) == {"summary.docx"}


def test_the_pdfs_share_a_fingerprint_and_the_summary_has_its_own(tmp_path, monkeypatch):
    fingerprints = Inputs(tmp_path, monkeypatch).fingerprints()
    assert fingerprints["briefing.pdf"] == fingerprints["notice.pdf"] != fingerprints["summary.docx"]


NOT_INPUTS = {
    "an override that is the built-in template itself": lambda inputs: override(inputs, "notice.html.j2", str),
    "a reference document in the override folder": (
        lambda inputs: (inputs.templates / "reference.docx").write_bytes(b"not used")
    ),
    "compiled Python beside the templates": lambda inputs: _pycache(inputs.templates),
    "_defaults.yaml of another folder": (
        lambda inputs: (inputs.folder / "_defaults.yaml").write_text("note: 别处的\n", encoding="utf-8")
    ),
    "the content file's modification time": lambda inputs: inputs.content.touch(),
    "configured fonts that resolve to the same faces": (
        lambda inputs: inputs.overrides.update(fonts=FontChoices(body=("Noto Serif CJK SC",)))
    ),
}


@pytest.mark.parametrize("what", list(NOT_INPUTS))
def test_what_is_not_an_input_changes_nothing(tmp_path, monkeypatch, what):
    inputs = Inputs(tmp_path, monkeypatch)
    before = inputs.fingerprints()
    NOT_INPUTS[what](inputs)
    assert inputs.fingerprints() == before


def _pycache(folder: Path) -> None:
    (folder / "__pycache__").mkdir()
    (folder / "__pycache__" / "filters.cpython-311.pyc").write_bytes(b"\0")


# ---- the content's digest ----

TEXT = st.binary(max_size=200).filter(lambda data: b"\0" not in data)  # content files are text: no NUL in them


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=TEXT, defaults=st.none() | TEXT, other_content=TEXT, other_defaults=st.none() | TEXT)
def test_the_content_digest_is_the_content_with_its_defaults_wherever_the_file_is(
    tmp_path_factory, content, defaults, other_content, other_defaults
):
    def digest(data: bytes, inherited: bytes | None, name: str) -> str:
        folder = tmp_path_factory.mktemp("content")
        (folder / name).write_bytes(data)
        if inherited is not None:
            (folder / "_defaults.yaml").write_bytes(inherited)
        return content_digests(folder / name)

    assert digest(content, defaults, "a.yaml") == digest(content, defaults, "elsewhere-b.yaml")
    same = (content, defaults) == (other_content, other_defaults)
    assert (digest(content, defaults, "a.yaml") == digest(other_content, other_defaults, "a.yaml")) == same


def test_the_content_digest_of_a_file_without_defaults_is_its_sha256(tmp_path):
    path = tmp_path / "unit.yaml"
    path.write_text(small_content(), encoding="utf-8")
    assert content_digests(path) == {"content": hashlib.sha256(path.read_bytes()).hexdigest(), "defaults": ""}


@pytest.mark.parametrize("name", ["a.html", "./a.html", "a//b.html", "a/./b.html", "/a.html", "a/../b.html", "..", ""])
def test_template_names_are_read_as_the_loader_reads_them(name):
    """The fingerprint's reading of a template name agrees with the loader's (Jinja2's split_template_path)."""
    from jinja2.exceptions import TemplateNotFound
    from jinja2.loaders import split_template_path

    try:
        expected: str | None = "/".join(split_template_path(name))
    except TemplateNotFound:
        expected = None
    assert incremental._loader_name(name) == expected
