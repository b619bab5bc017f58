"""The template's stylesheet parsed once per process (`pipeline/pdf/engine.py`): each document still gets its own
cut faces, the same bytes as a document made alone, and a stylesheet that cannot be kept parsed is parsed for each
document as before."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import ROOT, SEED_CONTENT, repository_configuration
from pdfread import embedded_faces

from pipeline.artifacts import BRIEFING, NOTICE, STYLESHEET_TEMPLATE
from pipeline.config import builtin_templates
from pipeline.content.model import load_publication
from pipeline.publisher import Publisher

OTHER_CONTENT = ROOT / "tests" / "corpus" / "xc01-xian-6th-2020.yaml"


def made(publisher: Publisher, content: Path, folder: Path) -> dict[str, Path]:
    """The briefing and notice of `content`, written into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for artifact in publisher.artifacts(load_publication(content), (BRIEFING, NOTICE)):
        path = folder / artifact.path.replace("/", "-")
        path.write_bytes(artifact.data)
        paths[artifact.path.rsplit("/", 1)[1]] = path
    return paths


def kept(publisher: Publisher) -> list[bool]:
    """For each stylesheet the engine has met: whether it keeps it parsed (False: parsed for each document)."""
    return [parsed is not None for parsed in publisher.engine._parsed.values()]


def test_a_document_made_after_others_is_the_document_made_alone(tmp_path):
    """The second publication reuses the parsed stylesheet with its own families: its PDFs are byte for byte those
    of a process that made it first, and every face they embed is a cut of gongwen's, none a stand-in."""
    busy = Publisher(repository_configuration())
    made(busy, OTHER_CONTENT, tmp_path / "first")
    parsed = kept(busy)
    after = made(busy, SEED_CONTENT, tmp_path / "after")
    assert parsed and all(parsed) and kept(busy) == parsed  # the seed's documents parsed no stylesheet again
    alone = made(Publisher(repository_configuration()), SEED_CONTENT, tmp_path / "alone")
    for name in ("briefing.pdf", "notice.pdf"):
        assert after[name].read_bytes() == alone[name].read_bytes(), name
        faces = embedded_faces(after[name])
        assert faces and all("gongwen-" in face.resource for face in faces), [face.resource for face in faces]
    first_faces = {face.resource for face in embedded_faces(tmp_path / "first" / "xc01-xian-6th-2020-briefing.pdf")}
    assert first_faces.isdisjoint(face.resource for face in embedded_faces(after["briefing.pdf"]))


@pytest.mark.parametrize(
    ("addition", "parsed_once"),
    [
        ("p.body { color: #000001; }", True),
        ("@media print { p.body { color: #000001; } }", False),  # an at-rule whose result depends on the medium
        ("p.body { color: #000001; } /* {{ family.body }} */", False),  # a placeholder outside font-family
    ],
)
def test_a_stylesheet_parsed_for_each_document_makes_the_same_pdf(tmp_path, addition, parsed_once):
    """An override that cannot be kept parsed (an at-rule such as @media, or a family placeholder outside a
    font-family declaration) is parsed for each document with the families written in, and draws the same."""
    templates = tmp_path / "templates"
    templates.mkdir()
    stylesheet = (builtin_templates() / STYLESHEET_TEMPLATE).read_text(encoding="utf-8")
    (templates / STYLESHEET_TEMPLATE).write_text(stylesheet + "\n" + addition + "\n", encoding="utf-8")
    content = tmp_path / "content"
    shutil.copytree(SEED_CONTENT.parent, content)
    publisher = Publisher(repository_configuration({"templates": str(templates)}))
    first = made(publisher, content / SEED_CONTENT.name, tmp_path / "first")
    second = made(publisher, content / SEED_CONTENT.name, tmp_path / "second")
    assert kept(publisher) == [parsed_once]
    reference = made(
        Publisher(repository_configuration({"templates": str(_plain(tmp_path))})),
        content / SEED_CONTENT.name,
        tmp_path / "reference",
    )
    for name in ("briefing.pdf", "notice.pdf"):
        assert first[name].read_bytes() == second[name].read_bytes() == reference[name].read_bytes(), name


def _plain(tmp_path: Path) -> Path:
    """A template folder whose stylesheet adds the same colour as a plain rule (kept parsed)."""
    folder = tmp_path / "plain"
    folder.mkdir(exist_ok=True)
    stylesheet = (builtin_templates() / STYLESHEET_TEMPLATE).read_text(encoding="utf-8")
    (folder / STYLESHEET_TEMPLATE).write_text(stylesheet + "\np.body { color: #000001; }\n", encoding="utf-8")
    return folder


@pytest.mark.parametrize("stylesheet", ["p { colr: red }", "@media print { p { colr: red } }"])
def test_what_the_engine_says_of_a_stylesheet_each_document_reports_once(tmp_path, stylesheet):
    """A stylesheet kept parsed and one parsed for each document alike: every document made with it reports the
    engine's warning about it, once."""
    from pipeline.pdf.engine import PdfEngine
    from pipeline.render.documents import RenderedPdf

    engine = PdfEngine((tmp_path,))
    html = '<!DOCTYPE html><html lang="zh-CN"><body><p>巡视</p></body></html>'
    for _ in range(3):
        laid_out = engine.layout(RenderedPdf(html, stylesheet), tmp_path)
        assert sum("colr" in message for message in laid_out.messages) == 1, laid_out.messages
