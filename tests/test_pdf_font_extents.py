"""Fonts' ascent and descent as the PDF writer reads them (`pipeline/pdf/font_extents.py`): the figures Pango's
metrics would have given, taken from the font's extents without Pango's sample-text layout."""

from __future__ import annotations

import io

import pypdf
import pytest
from fontTools.ttLib import TTFont
from helpers import SEED_CONTENT
from weasyprint.pdf import fonts as pdf_fonts
from weasyprint.text.ffi import ffi, pango

from pipeline.config import load_configuration
from pipeline.content.model import load_publication
from pipeline.pdf import font_extents
from pipeline.typeset.fonts import resolve_fonts

USE_TYPO_METRICS = 1 << 7  # OS/2 fsSelection: the face's typographic ascender and descender are its extents


@pytest.fixture(scope="module")
def seed_pdfs(tmp_path_factory) -> dict[str, bytes]:
    from pipeline.publisher import Publisher

    folder = tmp_path_factory.mktemp("extents")
    publisher = Publisher(load_configuration(folder, {}))
    return {
        artifact.path.rsplit("/", 1)[-1]: artifact.data
        for artifact in publisher.artifacts(load_publication(SEED_CONTENT))
        if artifact.path.endswith(".pdf")
    }


def test_the_writer_is_given_the_extents_pango_s_metrics_give(tmp_path, monkeypatch):
    from pipeline.publisher import Publisher

    compared: list[tuple[int, int]] = []

    def checked(pango_font):
        read = font_extents_of(pango_font)
        metrics = pango.pango_font_get_metrics(pango_font, ffi.NULL)  # as the writer asks: the default language
        assert (read.ascent, read.descent) == (
            pango.pango_font_metrics_get_ascent(metrics),
            pango.pango_font_metrics_get_descent(metrics),
        )
        pango.pango_font_metrics_unref(metrics)
        compared.append((read.ascent, read.descent))
        return read

    font_extents_of = font_extents.font_extents
    monkeypatch.setattr(font_extents, "font_extents", checked)
    publisher = Publisher(load_configuration(tmp_path, {}))
    publisher.artifacts(load_publication(SEED_CONTENT))
    assert isinstance(pdf_fonts.pango, font_extents._PangoForTheWriter)
    # The briefing's body, heading and title faces and the notice's faces, each at least once; every one positive.
    assert len(compared) >= 5
    assert all(ascent > 0 and descent > 0 for ascent, descent in compared)


def test_each_embedded_font_s_descriptor_gives_its_face_s_ascent_and_descent(seed_pdfs):
    faces = resolve_fonts()
    checked = 0
    for name, data in seed_pdfs.items():
        reader = pypdf.PdfReader(io.BytesIO(data))
        for page in reader.pages:
            for font in page["/Resources"]["/Font"].values():
                font = font.get_object()
                descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"]
                base = str(font["/BaseFont"]).split("+", 1)[-1]  # gongwen-<role>-<digest of the cut>-<style>
                face = faces[base.split("-")[1]]
                source = TTFont(face.path, fontNumber=face.index, lazy=True)
                units = source["head"].unitsPerEm
                os2 = source["OS/2"]
                if os2.fsSelection & USE_TYPO_METRICS:
                    ascender, descender = os2.sTypoAscender, os2.sTypoDescender
                else:
                    ascender, descender = source["hhea"].ascent, source["hhea"].descent
                assert descriptor["/Ascent"] == round(ascender / units * 1000), (name, base)
                assert descriptor["/Descent"] == round(descender / units * 1000), (name, base)
                checked += 1
    assert checked >= 4
