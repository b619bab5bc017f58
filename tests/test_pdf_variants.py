"""Archival and accessible PDFs: every offered variant builds with our fonts and carries what its standard asks for.

No PDF/A validator (veraPDF) installs from the package registries this project uses, so these tests
check the parts a validator checks first: the identification in the XMP metadata, the output intent
with its ICC profile, the document ID, metadata that agrees with the info dictionary, embedded
fonts (with a CIDSet for PDF/A-1), a Unicode mapping for every glyph drawn, and tagging for the
accessible (a, ua) levels.
"""

from __future__ import annotations

import re
from pathlib import Path

import pypdf
import pytest
from helpers import small_content
from pdfread import drawn_glyphs

from pipeline.config import PDF_VARIANTS, load_configuration
from pipeline.content.model import load_publication
from pipeline.publisher import Publisher


@pytest.fixture(scope="module")
def content(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("variants") / "variant.yaml"
    path.write_text(small_content(), encoding="utf-8")
    return path


def build_notice(content: Path, folder: Path, variant: str | None) -> Path:
    publisher = Publisher(load_configuration(folder, {"pdf_variant": variant}))
    artifact = next(item for item in publisher.artifacts(load_publication(content)) if item.path.endswith("notice.pdf"))
    path = folder / "notice.pdf"
    path.write_bytes(artifact.data)
    return path


def xmp(reader: pypdf.PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")


def test_the_default_is_a_plain_pdf(content, tmp_path):
    reader = pypdf.PdfReader(build_notice(content, tmp_path, None))
    assert reader.pdf_header == "%PDF-1.7"
    assert "/Metadata" not in reader.trailer["/Root"] and "/OutputIntents" not in reader.trailer["/Root"]


@pytest.mark.slow  # thirteen notices
@pytest.mark.parametrize("variant", PDF_VARIANTS)
def test_every_variant_builds_and_identifies_itself(content, tmp_path, variant):
    path = build_notice(content, tmp_path, variant)  # any message of the PDF engine would have failed the build
    reader = pypdf.PdfReader(path)
    root = reader.trailer["/Root"]
    metadata = xmp(reader)
    family, part, level = re.fullmatch(r"pdf/(a|ua)-(\d)([a-z]?)", variant).groups()
    assert root["/Lang"] == "zh-CN"
    assert '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">巡视公告</rdf:li>' in metadata
    assert "<xmp:CreateDate>2015-03-02T00:00:00Z</xmp:CreateDate>" in metadata
    info = reader.metadata
    if part == "4":  # PDF 2.0 keeps metadata in XMP only
        assert info is None
    else:  # the info dictionary must agree with the XMP metadata
        assert (info["/Title"], info["/CreationDate"]) == (
            "巡视公告",
            "D:20150302000000Z",
        )
    if family == "a":
        assert f'pdfaid:part="{part}"' in metadata
        if level:
            assert f'pdfaid:conformance="{level.upper()}"' in metadata
        intent = root["/OutputIntents"][0].get_object()
        assert intent["/S"] == "/GTS_PDFA1"
        assert intent["/DestOutputProfile"].get_object()["/N"] == 3  # an RGB ICC profile
        assert reader.trailer["/ID"][0] == reader.trailer["/ID"][1]
    else:
        assert f'pdfuaid:part="{part}"' in metadata
    expected_version = {"pdf/a-1": "1.4", "pdf/a-4": "2.0", "pdf/ua-2": "2.0"}.get(f"pdf/{family}-{part}", "1.7")
    assert reader.pdf_header == f"%PDF-{expected_version}"
    for font in reader.pages[0]["/Resources"]["/Font"].values():
        descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        assert "/FontFile3" in descriptor or "/FontFile2" in descriptor
        if variant.startswith("pdf/a-1"):
            assert "/CIDSet" in descriptor
    if family == "ua" or level in ("a", "u") or part == "4":
        assert all(text for _, _, text in drawn_glyphs(path)), "a glyph without Unicode mapping"
    if family == "ua" or level == "a":
        assert bool(root["/MarkInfo"]["/Marked"]) and "/StructTreeRoot" in root
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])


def test_every_offered_variant_is_one_the_engine_knows():
    from weasyprint.pdf import VARIANTS

    assert set(PDF_VARIANTS) <= set(VARIANTS)
