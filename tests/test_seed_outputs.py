"""The seed's three artifacts, read back: text, pages, fonts and glyphs of the PDFs, content of the .docx."""

from __future__ import annotations

import re

import docx
import pytest
from helpers import SEED_ARTICLE, SEED_ID
from pdfread import comparable, embedded_faces, missing_glyphs, page_count, type_area_text


def seed_sentences() -> list[str]:
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    text = text.replace("中央巡视工作领导小组\n办公室", "中央巡视工作领导小组办公室")  # a line broken mid-sentence
    sentences = []
    for line in text.splitlines():
        sentences.extend(part for part in re.split(r"(?<=[。！？])", line) if part.strip())
    return sentences


def test_every_seed_sentence_reaches_the_briefing_word_for_word(seed_dist):
    briefing = comparable(type_area_text(seed_dist / SEED_ID / "briefing.pdf"))
    sentences = seed_sentences()
    assert len(sentences) >= 40
    missing = [sentence for sentence in sentences if comparable(sentence) not in briefing]
    assert missing == []


def test_notice_is_one_page_with_team_unit_period_channels_and_hours(seed_dist):
    notice = seed_dist / SEED_ID / "notice.pdf"
    assert page_count(notice) == 1
    text = type_area_text(notice)
    for expected in (
        "中央第十巡视组",
        "中国通用技术集团公司",
        "2015年3月1日至4月30日",
        "010-68334749",
        "北京市100044信箱1006分箱",
        "8:00—20:00",
        "专门值班电话",
        "专门邮政信箱",
    ):
        assert expected in text, expected


@pytest.mark.parametrize("name", ["briefing.pdf", "notice.pdf"])
def test_pdfs_embed_simplified_chinese_faces_only(seed_dist, name):
    faces = embedded_faces(seed_dist / SEED_ID / name)
    assert faces
    for face in faces:
        # The Simplified-Chinese face of the collection, never the Japanese first face.
        assert re.search(r"CJK ?SC|CJKsc|GB", face.family + face.postscript), face
        assert "JP" not in face.family and "jp" not in face.postscript


@pytest.mark.parametrize("name", ["briefing.pdf", "notice.pdf"])
def test_no_character_is_drawn_as_a_missing_glyph(seed_dist, name):
    assert missing_glyphs(seed_dist / SEED_ID / name) == []


def test_pdfs_are_a4(seed_dist):
    import pypdf

    for name in ("briefing.pdf", "notice.pdf"):
        for page in pypdf.PdfReader(str(seed_dist / SEED_ID / name)).pages:
            width, height = float(page.mediabox.width), float(page.mediabox.height)
            assert (round(width / 72 * 25.4), round(height / 72 * 25.4)) == (210, 297)


def test_summary_holds_title_key_points_and_notice_facts(seed_dist):
    document = docx.Document(str(seed_dist / SEED_ID / "summary.docx"))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    text = "\n".join(paragraphs + cells)
    assert paragraphs[0] == "中央巡视组召开中国通用技术集团公司动员会"
    for point in ("在集团公司工作2个月", "重点是领导班子及其成员特别是主要负责人", "资金管理、资产处置"):
        assert point in text
    for fact in (
        "中央第十巡视组",
        "中国通用技术集团公司",
        "专项巡视",
        "2015年3月1日至4月30日",
        "每天8:00—20:00",
        "010-68334749",
        "北京市100044信箱1006分箱",
    ):
        assert fact in text, fact


def test_manifest_and_checksums_list_every_artifact(seed_dist):
    import hashlib
    import json

    manifest = json.loads((seed_dist / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["artifacts"]) == {
        f"{SEED_ID}/{name}" for name in ("briefing.pdf", "notice.pdf", "summary.docx")
    }
    sums = (seed_dist / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    for line in sums:
        digest, path = line.split("  ")
        assert hashlib.sha256((seed_dist / path).read_bytes()).hexdigest() == digest
    assert manifest["artifacts"][f"{SEED_ID}/notice.pdf"]["pages"] == 1
