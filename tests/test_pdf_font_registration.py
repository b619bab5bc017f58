"""A document's faces registered together (`pipeline/pdf/font_registration.py`): Pango's font map told once that
fontconfig changed, after the last face, and every face found when the document is laid out."""

from __future__ import annotations

from pathlib import Path

import pdfplumber
import pytest
from weasyprint.text import fonts as text_fonts

from pipeline.pdf import font_registration
from pipeline.pdf.engine import PdfEngine
from pipeline.render.documents import RenderedPdf
from pipeline.typeset.fonts import resolve_fonts
from pipeline.typeset.shaping import Shaper
from pipeline.typeset.subset import subset_face

SIZE = 16.0
ROLES = ("title", "body", "heading1")
TEXT = {"title": "关于巡视情况的通报", "body": "巡视组进驻期间受理来信来电", "heading1": "一、总体情况"}


@pytest.fixture(scope="module")
def engine(fonts) -> PdfEngine:
    return PdfEngine((next(iter(fonts.values())).parent,))


@pytest.fixture(scope="module")
def fonts(tmp_path_factory) -> dict[str, Path]:
    """Three roles' faces, each cut to its text, as a document hands them to the engine."""
    folder = tmp_path_factory.mktemp("registration")
    faces = resolve_fonts()
    cut: dict[str, Path] = {}
    for role in ROLES:
        shaper = Shaper(faces[role])
        shaper.advances(TEXT[role], SIZE)
        cut[role] = folder / f"{role}.otf"
        cut[role].write_bytes(subset_face(shaper))
    return cut


def document(fonts: dict[str, Path]) -> RenderedPdf:
    paragraphs = "".join(f'<p style="font-family:gw-{role};font-size:{SIZE}pt">{TEXT[role]}</p>' for role in ROLES)
    faces = " ".join(f'@font-face {{ font-family: gw-{role}; src: url("{fonts[role].as_uri()}") }}' for role in ROLES)
    return RenderedPdf(
        f'<!DOCTYPE html><html lang="zh-CN"><body>{paragraphs}</body></html>', f"@page {{ size: A5 }} {faces}"
    )


class CountingPangoFt2:
    """The real pangoft2, counting how often a font map is told that fontconfig changed."""

    def __init__(self, pangoft2) -> None:
        self.pangoft2, self.told = pangoft2, 0

    def __getattr__(self, name):
        return getattr(self.pangoft2, name)

    def pango_fc_font_map_config_changed(self, font_map):
        self.told += 1
        self.pangoft2.pango_fc_font_map_config_changed(font_map)


def test_a_document_s_three_faces_tell_pango_once_and_each_is_drawn(engine, fonts, tmp_path, monkeypatch):
    adapter = text_fonts.pangoft2
    assert isinstance(adapter, font_registration._PangoFt2ForTheFontConfiguration)
    counting = CountingPangoFt2(adapter._pangoft2)
    monkeypatch.setattr(adapter, "_pangoft2", counting)
    laid_out = engine.layout(document(fonts), tmp_path)
    assert counting.told == 1  # three faces registered, one change told
    path = tmp_path / "document.pdf"
    path.write_bytes(engine.write(laid_out))
    with pdfplumber.open(path) as pdf:
        words = pdf.pages[0].extract_words(extra_attrs=["fontname"])
    drawn = {word["text"]: word["fontname"].split("+", 1)[-1] for word in words}
    for role in ROLES:  # each paragraph in its own registered face (a fallback would carry the installed name)
        assert drawn[TEXT[role]].startswith(f"gw-{role}"), drawn


def test_faces_registered_when_the_registration_stops_are_told_all_the_same(engine, fonts, tmp_path, monkeypatch):
    adapter = text_fonts.pangoft2
    counting = CountingPangoFt2(adapter._pangoft2)
    monkeypatch.setattr(adapter, "_pangoft2", counting)
    font_config = text_fonts.FontConfiguration()
    rendered = document(fonts)
    with pytest.raises(RuntimeError), font_registration.registered_together():
        engine._css(rendered.stylesheet, tmp_path.as_uri() + "/", font_config)
        assert counting.told == 0  # inside: waiting
        raise RuntimeError("stopped")
    assert counting.told == 1
    assert adapter.waiting is None  # the next registration tells at once again
