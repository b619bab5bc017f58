"""The Word summary printed by a real office suite: LibreOffice converts it to PDF, and the PDF is read back.

LibreOffice runs twice per session, side by side, each run converting several documents: once with
the fontconfig file of `gongwen fontconfig` (the stand-ins of each role, as the PDFs use them) and
once with the system's configuration alone, which is what a Linux reader without it sees.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path

import docx
import pypdf
import pytest
from office import MM, drawn, face, lines, not_simplified, print_summaries

from pipeline.typeset import gbt9704
from pipeline.typeset.fonts import installed_faces
from pipeline.word.writer import CHARACTER_TWIPS, CHINESE_NAMES, LINE_PITCH_TWIPS, signature_indents

# Both LibreOffice runs start with the session and run beside the other tests; every test here reads them.
pytestmark = [pytest.mark.office, pytest.mark.early(start=print_summaries, once=True)]

CHARACTER = CHARACTER_TWIPS / 20  # Word's indent unit, one body-size character (16 pt)
PITCH = LINE_PITCH_TWIPS / 20  # 28.95 pt
TYPE_TOP = gbt9704.TOP_MM * MM
TYPE_BOTTOM = (gbt9704.TOP_MM + gbt9704.TYPE_HEIGHT_MM) * MM


@pytest.fixture(scope="session")
def kai() -> str:
    """The 楷体 stand-in's PostScript name, under which the PDF embeds it."""
    return next(face.postscript for face in installed_faces() if "AR PL KaitiM GB" in face.families)


def type_area(page: int) -> tuple[float, float]:
    """Left and right edges of the type area: the binding margin is on the left of odd pages, on the right of even
    ones."""
    left = gbt9704.BINDING_MM if page % 2 else gbt9704.OUTER_MM
    return left * MM, (left + gbt9704.TYPE_WIDTH_MM) * MM


@pytest.fixture
def summaries(early) -> dict[str, Path]:
    """The .docx files the office suite prints (see `office.make_summaries`)."""
    return early[0]


@pytest.fixture
def printed(early) -> dict[str, Path]:
    """PDFs of the summaries as LibreOffice prints them with the stand-ins' fontconfig file."""
    conversion = early[1]["stand-ins"]
    assert [line for line in conversion.stderr.splitlines() if "javaldx" not in line] == []  # no warnings
    return conversion.pdfs


@pytest.fixture
def printed_plainly(early) -> dict[str, Path]:
    """PDFs as LibreOffice prints them with the system's fontconfig configuration alone."""
    return early[1]["plain"].pdfs


def docx_texts(path: Path) -> list[tuple[str, str]]:
    """(style name, text) of every paragraph of a .docx, table cells included."""
    document = docx.Document(str(path))
    texts = [(paragraph.style.name, paragraph.text) for paragraph in document.paragraphs]
    texts += [
        (paragraph.style.name, paragraph.text)
        for table in document.tables
        for row in table.rows
        for cell in row.cells
        for paragraph in cell.paragraphs
    ]
    return [(style, text) for style, text in texts if text]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def page_texts(pdf: Path) -> list[str]:
    """The text in reading order, and the text of each column (a table cell's lines, one under another)."""
    found = [line for line in lines(pdf) if line.top < TYPE_BOTTOM]  # page numbers would interrupt the text
    columns: dict[tuple[int, int], list] = {}
    for line in found:
        columns.setdefault((line.page, round(line.x0)), []).append(line)
    return [squeeze("".join(line.text for line in found))] + [
        squeeze("".join(line.text for line in column)) for column in columns.values()
    ]


@pytest.mark.parametrize("name", ["seed", "long", "structure"])
def test_every_paragraph_is_printed(summaries, printed, name):
    texts = page_texts(printed[name])
    missing = [
        text
        for _, text in docx_texts(summaries[name])
        if not any(squeeze(text) in printed_text for printed_text in texts)
    ]
    assert missing == []


@pytest.mark.parametrize("name", ["seed", "long", "body14", "structure"])
def test_pages_are_a4(printed, name):
    for page in pypdf.PdfReader(str(printed[name])).pages:
        assert (round(float(page.mediabox.width) / MM), round(float(page.mediabox.height) / MM)) == (210, 297)


@pytest.mark.parametrize("name", ["seed", "long", "structure"])
def test_chinese_is_drawn_in_simplified_chinese_faces_without_missing_glyphs(printed, kai, name):
    characters = drawn(printed[name])
    chinese = [char for char in characters if unicodedata.east_asian_width(char.text) in "WF"]
    assert len(chinese) > 100 or name == "structure"
    assert not_simplified(printed[name]) == []
    assert [char for char in characters if char.glyph == ".notdef" and char.text.strip()] == []
    # Chinese faces only: no Latin face's fallback, no symbol font.
    assert {char.font for char in chinese if not char.font.startswith(("NotoSerifCJK", "NotoSansCJK", kai))} == set()


def test_without_the_fontconfig_file_chinese_is_still_simplified_chinese(printed_plainly):
    """What a Linux reader sees without the standard faces and without `gongwen fontconfig`: every
    role in fontconfig's default Chinese face, but Simplified-Chinese glyphs, because every style
    marks its East Asian text zh-CN. The same document marked ja-JP gets Japanese shapes, so the
    check can tell them apart."""
    seed = drawn(printed_plainly["seed"])
    assert not_simplified(printed_plainly["seed"]) == []
    assert [char for char in seed if char.glyph == ".notdef" and char.text.strip()] == []
    assert len(not_simplified(printed_plainly["japanese"])) > 50


def faces_of(pdf: Path, text: str) -> set[str]:
    """Fonts that drew the Chinese characters of the line that reads `text` (after its list label)."""
    faces = set()
    for line in lines(pdf):
        if squeeze(line.text).lstrip("•") == squeeze(text):
            faces |= {face(char.font) for char in line.chars if unicodedata.east_asian_width(char.text) in "WF"}
    return faces


def test_each_role_is_drawn_in_its_stand_in(printed, kai):
    seed, structure = printed["seed"], printed["structure"]
    assert faces_of(seed, "中央巡视组召开中国通用技术集团公司动员会") == {"NotoSerifCJK-Bold"}  # Title: 小标宋 role
    assert faces_of(seed, "一、基本情况") == {"NotoSansCJK-Regular"}  # Heading 1: 黑体 role
    assert faces_of(seed, "专门邮政信箱：北京市100044信箱1006分箱") == {"NotoSerifCJK-Regular"}  # body: 仿宋 role
    assert faces_of(structure, "（一）二级标题") == {kai}  # Heading 2: 楷体 role
    assert faces_of(structure, "1.三级标题") == {"NotoSerifCJK-Regular"}  # Heading 3: 仿宋 role
    [mixed] = [line for line in lines(structure) if line.text == "正文中有楷体强调和黑体强调两处。"]
    assert [
        {face(char.font) for char in mixed.chars[start:end]}
        for start, end in ((0, 4), (4, 8), (8, 9), (9, 13), (13, 16))
    ] == [
        {"NotoSerifCJK-Regular"},
        {kai},
        {"NotoSerifCJK-Regular"},  # em: Emphasis, 楷体 role
        {"NotoSansCJK-Regular"},
        {"NotoSerifCJK-Regular"},
    ]  # strong: Strong, 黑体 role
    digits = {char.font for char in drawn(seed) if char.text.isdigit()}
    assert digits == {"LiberationSerif"}  # Times New Roman's metric twin


def test_headings_reach_the_navigator(printed):
    """Headings carry outline levels, so LibreOffice lists them in its navigator and in the PDF's outline."""

    def titles(outline):
        for item in outline:
            if isinstance(item, list):
                yield from titles(item)
            else:
                yield item.title

    assert list(titles(pypdf.PdfReader(str(printed["seed"])).outline)) == [
        "一、基本情况",
        "二、主要内容",
        "三、联系方式",
    ]
    assert list(titles(pypdf.PdfReader(str(printed["structure"])).outline)) == [
        "一、一级标题",
        "（一）二级标题",
        "1.三级标题",
    ]


def page_number_lines(pdf: Path) -> dict[int, object]:
    return {line.page: line for line in lines(pdf) if line.top > TYPE_BOTTOM}


def test_page_numbers_sit_right_on_odd_pages_and_left_on_even_pages(printed):
    numbers = page_number_lines(printed["long"])
    pages = len(pypdf.PdfReader(str(printed["long"])).pages)
    assert pages >= 3 and sorted(numbers) == list(range(1, pages + 1))
    for page, line in numbers.items():
        assert squeeze(line.text) == f"—{page}—"
        assert {char.size for char in line.chars} == {gbt9704.PAGE_NUMBER_SIZE}
        left, right = type_area(page)
        one_character = gbt9704.PAGE_NUMBER_SIZE
        if page % 2:
            assert line.x1 == pytest.approx(right - one_character, abs=1.0), page
        else:
            assert line.x0 == pytest.approx(left + one_character, abs=1.0), page
        # The top of the digits 7 mm below the type area (their ascent stands for the em box's top).
        assert line.top == pytest.approx(TYPE_BOTTOM + gbt9704.PAGE_NUMBER_GAP_MM * MM, abs=1 * MM)


def test_a_full_page_holds_22_lines_of_28_characters(printed):
    body = [line for line in lines(printed["long"]) if line.page == 2 and line.top < TYPE_BOTTOM]
    assert len(body) == gbt9704.LINES_PER_PAGE
    steps = [later.top - earlier.top for earlier, later in zip(body, body[1:], strict=False)]
    assert max(steps) == pytest.approx(PITCH, abs=0.15) and min(steps) == pytest.approx(PITCH, abs=0.15)
    left, right = type_area(2)
    continued = [
        line
        for line, following in zip(body, body[1:], strict=False)
        if abs(line.x0 - left) < 1 and abs(following.x0 - left) < 1
    ]  # neither first nor last line of a point
    assert len(continued) >= 5
    assert {len(line.text) for line in continued} == {gbt9704.CELLS_PER_LINE}
    assert all(line.x1 == pytest.approx(right, abs=1.5) for line in continued)


def test_key_points_are_numbered_and_indented_like_body_text(printed):
    found = lines(printed["seed"])
    items = [line for line in found if re.match(r"\d\.", line.text)]
    assert [line.text[:2] for line in items] == ["1.", "2.", "3.", "4.", "5."]
    for item in items:
        left, _ = type_area(item.page)
        assert item.x0 == pytest.approx(left + 2 * CHARACTER, abs=1.0)
        following = found[found.index(item) + 1]
        assert following.x0 == pytest.approx(left, abs=1.0)  # wrapped lines start at the margin
    structure = [line.text for line in lines(printed["structure"])]
    assert [text for text in structure if re.match(r"\d\.", text) and "清单" in text] == [
        "1.第一张清单第一项",
        "2.第一张清单第二项",
        "1.第二张清单第一项",
        "2.第二张清单第二项",
    ]


def test_signature_two_characters_in_and_the_date_below_it(printed):
    found = lines(printed["seed"])
    date = next(line for line in found if line.text == "2015年3月2日")
    signature = found[found.index(date) - 1]
    assert signature.text == "中央第十巡视组"
    signature_right, date_right = signature_indents(signature.text, date.text)
    _, right = type_area(signature.page)
    assert signature.x1 == pytest.approx(right - signature_right * CHARACTER, abs=1.0)
    assert date.x1 == pytest.approx(right - date_right * CHARACTER, abs=1.0)
    assert date.top - signature.top == pytest.approx(PITCH, abs=0.2)
    above = found[found.index(signature) - 1]
    assert signature.top - above.top == pytest.approx(2 * PITCH, abs=0.2)  # one blank line below the body


def sizes_by_style(docx_path: Path, pdf: Path) -> dict[str, set[float]]:
    """Sizes of the characters LibreOffice drew, by the style of the paragraph they belong to."""
    paragraphs = docx_texts(docx_path)
    result: dict[str, set[float]] = {}
    for line in lines(pdf):
        text = squeeze(line.text)
        if line.top > TYPE_BOTTOM:
            result.setdefault("Footer", set()).update(char.size for char in line.chars)
            continue
        text = text.lstrip("0123456789.•")  # list labels are not in the paragraph's text
        # A line is its paragraph's when they read the same; otherwise, when the paragraph contains it.
        owners = {style for style, paragraph in paragraphs if text == squeeze(paragraph)} or {
            style for style, paragraph in paragraphs if text and text in squeeze(paragraph)
        }
        for owner in owners:
            result.setdefault(owner, set()).update(char.size for char in line.chars if char.text not in "•")
    return result


def test_changing_normal_size_changes_every_body_paragraph_and_nothing_else(summaries, printed):
    before = sizes_by_style(summaries["seed"], printed["seed"])
    after = sizes_by_style(summaries["body14"], printed["body14"])
    # Contacts are plain paragraphs (no List Bullet); the table's styles are stored under their Chinese names.
    body = {"Normal", "List Number", CHINESE_NAMES["Table Heading"], CHINESE_NAMES["Table Text"], "Signature", "Date"}
    assert set(before) == set(after) == body | {"Title", "Heading 1", "Footer"}
    assert {style: before[style] for style in body} == {style: {16.0} for style in body}
    assert {style: after[style] for style in body} == {style: {14.0} for style in body}
    assert {style: after[style] for style in ("Title", "Heading 1", "Footer")} == {
        style: before[style] for style in ("Title", "Heading 1", "Footer")
    }
    with zipfile.ZipFile(summaries["seed"]) as seed, zipfile.ZipFile(summaries["body14"]) as smaller:
        assert seed.read("word/document.xml") == smaller.read("word/document.xml")
