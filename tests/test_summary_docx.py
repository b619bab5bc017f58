"""The Word summary reopened with python-docx: named styles, fonts, page geometry, footers, numbering and properties."""

from __future__ import annotations

import datetime
import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from helpers import ROOT, SEED_CONTENT, SEED_ID, invoke, run_cli

from pipeline.artifacts import SUMMARY, SUMMARY_TEMPLATE
from pipeline.content.model import load_publication
from pipeline.render.documents import created_timestamp, prepare_text, render_summary_html
from pipeline.render.templates import template_environment
from pipeline.typeset import gbt9704
from pipeline.word.fonts import WORD_FONT_NAMES, fontconfig_aliases
from pipeline.word.reference import build_reference
from pipeline.word.structure import Table, read_structure
from pipeline.word.writer import (
    CHINESE_NAMES,
    column_widths,
    find_style,
    signature_indents,
    style_aliases,
    write_summary,
)

REFERENCE = ROOT / "templates" / "reference.docx"
TWIP = 635  # EMU


def summary(seed_dist: Path) -> Path:
    return seed_dist / SEED_ID / SUMMARY.name


def effective(document, style, getter):
    """A property of a style, following basedOn, then the document defaults."""
    while style is not None:
        value = getter(style.element)
        if value is not None:
            return value
        style = style.base_style
    return getter(document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")))


def _attribute(path: str, attribute: str):
    def get(element):
        found = element.find(path)
        return None if found is None else found.get(qn(attribute))

    return get


EAST_ASIA = _attribute(f"{qn('w:rPr')}/{qn('w:rFonts')}", "w:eastAsia")
LATIN = _attribute(f"{qn('w:rPr')}/{qn('w:rFonts')}", "w:ascii")
SIZE = _attribute(f"{qn('w:rPr')}/{qn('w:sz')}", "w:val")
ALIGN = _attribute(f"{qn('w:pPr')}/{qn('w:jc')}", "w:val")
FIRST_LINE = _attribute(f"{qn('w:pPr')}/{qn('w:ind')}", "w:firstLineChars")
LINE = _attribute(f"{qn('w:pPr')}/{qn('w:spacing')}", "w:line")
OUTLINE = _attribute(f"{qn('w:pPr')}/{qn('w:outlineLvl')}", "w:val")

# style: (East Asian face, size in half-points, alignment, first-line indent in hundredths of a character,
# outline level)
EXPECTED_STYLES = {
    "Normal": ("仿宋_GB2312", "32", "both", "200", None),
    "Title": ("方正小标宋简体", "44", "center", "0", None),
    "Heading 1": ("黑体", "32", "both", "200", "0"),
    "Heading 2": ("楷体_GB2312", "32", "both", "200", "1"),
    "Heading 3": ("仿宋_GB2312", "32", "both", "200", "2"),
    "List Number": ("仿宋_GB2312", "32", "both", "200", None),
    "List Bullet": ("仿宋_GB2312", "32", "both", "200", None),
    "Signature": ("仿宋_GB2312", "32", "right", "0", None),
    "Date": ("仿宋_GB2312", "32", "right", "0", None),
    "Note": ("仿宋_GB2312", "32", "both", "200", None),
    "Table Heading": ("黑体", "32", "center", "0", None),
    "Table Text": ("仿宋_GB2312", "32", "left", "0", None),
    "Footer": ("宋体", "28", "right", "0", None),
    "Footer Even": ("宋体", "28", "left", "0", None),
}


def test_styles_name_the_standard_faces_sizes_and_alignment(seed_dist):
    document = docx.Document(str(summary(seed_dist)))
    found = {}
    for name in EXPECTED_STYLES:
        style = find_style(document, name)
        found[name] = tuple(
            effective(document, style, getter) for getter in (EAST_ASIA, SIZE, ALIGN, FIRST_LINE, OUTLINE)
        )
    assert found == EXPECTED_STYLES
    for name in ("Emphasis", "Strong"):
        assert find_style(document, name).type == docx.enum.style.WD_STYLE_TYPE.CHARACTER
    assert EAST_ASIA(find_style(document, "Emphasis").element) == "楷体_GB2312"
    assert EAST_ASIA(find_style(document, "Strong").element) == "黑体"
    assert find_style(document, "Facts Table").type == docx.enum.style.WD_STYLE_TYPE.TABLE


def test_body_lines_sit_on_the_22_line_grid_and_28_characters(seed_dist):
    document = docx.Document(str(summary(seed_dist)))
    normal = document.styles["Normal"].element
    spacing = normal.find(f"{qn('w:pPr')}/{qn('w:spacing')}")
    assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("579", "exact")  # 28.95 pt
    assert 22 * 579 / 20 <= gbt9704.TYPE_HEIGHT < 23 * 579 / 20
    condensed = int(normal.find(f"{qn('w:rPr')}/{qn('w:spacing')}").get(qn("w:val"))) / 20
    assert 28 * (gbt9704.BODY_SIZE + condensed) <= gbt9704.TYPE_WIDTH < 29 * (gbt9704.BODY_SIZE + condensed)
    grid = document.sections[0]._sectPr.find(qn("w:docGrid"))
    assert (grid.get(qn("w:type")), grid.get(qn("w:linePitch"))) == ("lines", "579")
    for name in EXPECTED_STYLES:
        if not name.startswith("Footer"):
            assert effective(document, find_style(document, name), LINE) == "579", name


def test_no_theme_fonts_and_chinese_as_the_east_asian_language(seed_dist):
    with zipfile.ZipFile(summary(seed_dist)) as archive:
        names = set(archive.namelist())
        styles = archive.read("word/styles.xml").decode()
        every_part = "".join(archive.read(name).decode("utf-8", "replace") for name in names if name.endswith(".xml"))
        # The theme lists each script's fallback face (Japanese: ＭＳ ゴシック); no style refers to it.
        parts_but_theme = every_part.replace(archive.read("word/theme/theme1.xml").decode(), "")
    assert not {"word/stylesWithEffects.xml", "docProps/thumbnail.jpeg", "customXml/item1.xml"} & names
    assert "Theme=" not in every_part.replace("themeFontLang", "")  # asciiTheme, eastAsiaTheme, …
    assert "ＭＳ" not in parts_but_theme and "Calibri" not in styles and "Cambria" not in styles
    document = docx.Document(str(summary(seed_dist)))
    language = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    assert language.get(qn("w:eastAsia")) == "zh-CN"
    for style in document.styles:
        fonts = style.element.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if fonts is not None:
            assert style.element.find(f"{qn('w:rPr')}/{qn('w:lang')}").get(qn("w:eastAsia")) == "zh-CN", style.name
            assert fonts.get(qn("w:ascii")) == fonts.get(qn("w:hAnsi")) == "Times New Roman"


def test_font_table_lists_exactly_the_faces_the_styles_name(seed_dist):
    with zipfile.ZipFile(summary(seed_dist)) as archive:
        table = docx.oxml.parse_xml(archive.read("word/fontTable.xml"))
    charsets = {font.get(qn("w:name")): font.find(qn("w:charset")).get(qn("w:val")) for font in table}
    assert charsets == {
        "Times New Roman": "00",
        "仿宋_GB2312": "86",
        "方正小标宋简体": "86",
        "黑体": "86",
        "楷体_GB2312": "86",
        "宋体": "86",
    }


def test_a4_with_the_standard_margins_mirrored_on_every_section(seed_dist):
    document = docx.Document(str(summary(seed_dist)))
    for section in document.sections:
        measured = (
            section.page_width,
            section.page_height,
            section.top_margin,
            section.bottom_margin,
            section.left_margin,
            section.right_margin,
        )
        expected = [Mm(value) for value in (210, 297, 37, 35, 28, 26)]
        assert all(abs(got - want) <= TWIP for got, want in zip(measured, expected, strict=False)), measured
    assert document.settings.element.find(qn("w:mirrorMargins")) is not None
    assert document.settings.odd_and_even_pages_header_footer


def test_footers_hold_a_page_field_between_dashes_in_the_footer_styles(seed_dist):
    document = docx.Document(str(summary(seed_dist)))
    section = document.sections[0]
    for footer, style in ((section.footer, "Footer"), (section.even_page_footer, "Footer Even")):
        assert not footer.is_linked_to_previous
        [paragraph] = footer.paragraphs
        assert paragraph.style.name == find_style(document, style).name
        assert [child.tag for child in paragraph._p.pPr] == [qn("w:pStyle")]  # placed by the style alone
        pieces = []
        for run in paragraph._p.findall(qn("w:r")):
            [child] = list(run)
            pieces.append(child.get(qn("w:fldCharType")) or child.text)
        assert pieces == ["— ", "begin", " PAGE ", "separate", "1", "end", " —"]
    odd, even = (
        find_style(document, name).element.find(f"{qn('w:pPr')}/{qn('w:ind')}") for name in ("Footer", "Footer Even")
    )
    one_character = str(gbt9704.PAGE_NUMBER_SIZE * 20)
    assert (odd.get(qn("w:right")), even.get(qn("w:left"))) == (one_character, one_character)


def test_every_paragraph_uses_a_named_style_and_runs_carry_no_formatting(seed_dist):
    document = docx.Document(str(summary(seed_dist)))
    style_ids = {style.style_id for style in document.styles}
    paragraphs = list(document.element.body.iter(qn("w:p")))
    assert len(paragraphs) > 20
    direct = []
    for paragraph in paragraphs:
        properties = paragraph.pPr
        style = (
            properties.find(qn("w:pStyle")).get(qn("w:val"))
            if properties is not None and properties.find(qn("w:pStyle")) is not None
            else "Normal"
        )
        assert style in style_ids
        for child in properties if properties is not None else []:
            if child.tag != qn("w:pStyle"):
                direct.append((style, child.tag.split("}")[1], dict(child.attrib)))
        for run in paragraph.iter(qn("w:r")):
            assert run.rPr is None or [child.tag for child in run.rPr] == [qn("w:rStyle")]
    # The one per-document offset: the signature moved left so the longer date line ends two characters in.
    assert direct == [("Signature", "ind", {qn("w:rightChars"): "300", qn("w:right"): "960"})]


@pytest.mark.parametrize(
    ("issuer", "date", "expected"),
    [
        ("中央第十巡视组", "2015年3月2日", (3, 2)),  # date longer: date 2 in, signature moved left
        (
            "中共中央巡视工作领导小组办公室",
            "2015年3月2日",
            (2, 9),
        ),  # signature longer: signature 2 in, date 2 right of its start
        ("巡视组", "2015年12月31日", (8, 2)),
    ],
)
def test_signature_and_date_follow_the_standard(issuer, date, expected):
    signature_right, date_right = signature_indents(issuer, date)
    assert (signature_right, date_right) == expected
    signature_start = signature_right + len(issuer)  # in characters from the right edge
    date_start = date_right + sum(1 if char > "\u2e80" else 0.5 for char in date)
    assert signature_start - date_start == 2
    assert min(signature_right, date_right) == 2


def test_lists_number_like_body_text(seed_dist):
    document = docx.Document(str(summary(seed_dist)))
    numbering = document.part.numbering_part.element
    normal_indent = document.styles["Normal"].element.find(f"{qn('w:pPr')}/{qn('w:ind')}")
    for name, number_format, text, suffix in (
        ("List Number", "decimal", "%1.", "nothing"),
        ("List Bullet", "bullet", "\u2022", "space"),
    ):
        number_id = (
            find_style(document, name).element.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}").get(qn("w:val"))
        )
        abstract_id = numbering.num_having_numId(int(number_id)).abstractNumId.val
        abstract = next(
            item
            for item in numbering.findall(qn("w:abstractNum"))
            if item.get(qn("w:abstractNumId")) == str(abstract_id)
        )
        [level] = abstract.findall(qn("w:lvl"))
        values = {
            child.tag.split("}")[1]: child.get(qn("w:val")) for child in level if child.get(qn("w:val")) is not None
        }
        assert values == {
            "start": "1",
            "numFmt": number_format,
            "pStyle": name.replace(" ", ""),
            "suff": suffix,
            "lvlText": text,
            "lvlJc": "left",
        }
        indent = level.find(f"{qn('w:pPr')}/{qn('w:ind')}")
        # The level's indent wins over the style's in Word: it must be the body's first-line indent.
        assert indent.get(qn("w:firstLineChars")) == normal_indent.get(qn("w:firstLineChars")) == "200"
        assert indent.get(qn("w:firstLine")) == normal_indent.get(qn("w:firstLine")) == "640"
        assert indent.get(qn("w:left")) == "0"


LISTS = (
    "<h1>题</h1><ol><li>甲</li><li>乙</li></ol><p>中间</p><ol><li>丙</li></ol><ul><li>丁</li></ul><ul><li>戊</li></ul>\n"
    '<ol data-style="List Number"><li>己</li></ol>'
)


def test_each_numbered_list_starts_again_at_one(tmp_path):
    data = write_summary(
        read_structure(LISTS, "lists"),
        REFERENCE,
        title="题",
        author="组",
        created=datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC),
    )
    document = docx.Document(io.BytesIO(data))
    numbering = document.part.numbering_part.element
    items = {}
    for paragraph in document.paragraphs:
        number = paragraph._p.find(f"{qn('w:pPr')}/{qn('w:numPr')}/{qn('w:numId')}")
        items[paragraph.text] = None if number is None else int(number.get(qn("w:val")))
    assert items["甲"] is None and items["乙"] is None  # the first list: the style's numbering
    assert items["丁"] is None and items["戊"] is None  # bullets need no restart
    assert items["丙"] is not None and items["己"] is not None and items["丙"] != items["己"]
    style_abstract = numbering.num_having_numId(1).abstractNumId.val
    for paragraph in ("丙", "己"):
        instance = numbering.num_having_numId(items[paragraph])
        assert instance.abstractNumId.val == style_abstract
        assert instance.find(f"{qn('w:lvlOverride')}/{qn('w:startOverride')}").get(qn("w:val")) == "1"


def test_facts_table_fits_its_headings_and_spans_the_type_area(seed_dist):
    publication = prepare_text(load_publication(SEED_CONTENT, "seed.yaml"))
    blocks = read_structure(render_summary_html(template_environment(), publication), SUMMARY_TEMPLATE)
    [table] = [block for block in blocks if isinstance(block, Table)]
    widths = column_widths(table)
    assert abs(sum(widths) - Mm(gbt9704.TYPE_WIDTH_MM)) <= TWIP
    longest = max(len(row[0].paragraph.text) for row in table.rows)  # 被巡视单位
    assert widths[0] == Pt(((longest + 1) * 16 * 20 + 2 * 108) / 20)
    document = docx.Document(str(summary(seed_dist)))
    [written] = document.tables
    assert [column.width for column in written.columns] == [int(width) // TWIP * TWIP for width in widths]


def test_document_properties_come_from_the_content(seed_dist):
    properties = docx.Document(str(summary(seed_dist))).core_properties
    moment = datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC)
    assert (properties.title, properties.author, properties.language) == (
        "中央巡视组召开中国通用技术集团公司动员会",
        "中央第十巡视组",
        "zh-CN",
    )
    assert properties.created == properties.modified == moment


def test_committed_reference_document_is_what_the_builder_makes(tmp_path):
    assert REFERENCE.read_bytes() == build_reference(), "run `make reference-doc` and commit templates/reference.docx"
    result = run_cli(
        "reference-doc", str(tmp_path / "reference.docx"), cwd=tmp_path
    )  # another process, another hash seed
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "reference.docx").read_bytes() == REFERENCE.read_bytes()


def test_two_builds_give_the_same_bytes(seed_dist):
    publication = prepare_text(load_publication(SEED_CONTENT, "seed.yaml"))
    created = datetime.datetime.fromisoformat(created_timestamp(publication).replace("Z", "+00:00"))
    blocks = read_structure(render_summary_html(template_environment(), publication), SUMMARY_TEMPLATE)
    builds = [
        write_summary(blocks, REFERENCE, title=publication.title, author=publication.issuer, created=created)
        for _ in range(2)
    ]
    assert builds[0] == builds[1] == summary(seed_dist).read_bytes()


def _summary_of(text: str, reference: Path) -> docx.document.Document:
    data = write_summary(
        read_structure(f"<p>{text}</p>", "one"),
        reference,
        title=text,
        author="组",
        created=datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC),
    )
    return docx.Document(io.BytesIO(data))


def test_summaries_made_one_after_another_from_the_kept_reference_are_each_as_made_alone():
    # What a summary adds to the reference's parts (list numbering instances, properties) stays in its own copy.
    made = [_summary_of_lists() for _ in range(3)]
    assert made[0] == made[1] == made[2]


def _summary_of_lists() -> bytes:
    created = datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC)
    return write_summary(read_structure(LISTS, "lists"), REFERENCE, title="题", author="组", created=created)


def test_a_reference_document_changed_between_summaries_is_read_again(tmp_path):
    reference = tmp_path / "reference.docx"
    shutil.copyfile(REFERENCE, reference)
    before = find_style(_summary_of("甲文", reference), "Normal").font.size
    edited = docx.Document(str(reference))
    find_style(edited, "Normal").font.size = Pt(12)
    edited.save(str(reference))  # a new file in its place, as Word saves: another inode and time
    os.utime(reference, ns=(reference.stat().st_atime_ns, reference.stat().st_mtime_ns + 1_000_000_000))
    after = find_style(_summary_of("乙文", reference), "Normal").font.size
    assert before != Pt(12) and after == Pt(12)


def _same_size(data: bytes, size: int) -> bytes:
    """The archive `data` grown to `size` bytes by its zip comment."""
    archive = io.BytesIO(data)
    with zipfile.ZipFile(archive, "a") as grown:
        grown.comment = b"x" * (size - len(data))
    return archive.getvalue()


def test_a_reference_document_rewritten_in_place_with_its_size_and_time_put_back_is_read_again(tmp_path):
    # As `cp -p` or `rsync --inplace -t` leave it: the same inode, size and modification time, new contents.
    edited = docx.Document(str(REFERENCE))
    find_style(edited, "Normal").font.size = Pt(12)
    buffer = io.BytesIO()
    edited.save(buffer)
    first, second = REFERENCE.read_bytes(), buffer.getvalue()
    size = max(len(first), len(second)) + 16
    reference = tmp_path / "reference.docx"
    reference.write_bytes(_same_size(first, size))
    before = reference.stat()
    assert find_style(_summary_of("甲文", reference), "Normal").font.size != Pt(12)
    with reference.open("r+b") as stream:
        stream.write(_same_size(second, size))
    os.utime(reference, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = reference.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    assert find_style(_summary_of("乙文", reference), "Normal").font.size == Pt(12)


def _without_style(tmp_path: Path, name: str) -> Path:
    document = docx.Document(str(REFERENCE))
    find_style(document, name).delete()
    path = tmp_path / f"without-{name.replace(' ', '-')}.docx"
    document.save(str(path))
    return path


def test_reference_without_heading_2_is_a_one_line_error(built_seed_project, tmp_path):
    reference = _without_style(tmp_path, "Heading 2")
    project = built_seed_project  # only the summary is made again: the reference document is one of its inputs
    seed = project / "content" / "seed.yaml"
    result = invoke("build", str(seed), "-o", str(project / "out"), "--reference-doc", str(reference), cwd=project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{reference}: the reference document has no paragraph style named 'Heading 2'; add it in Word (Styles pane) "
        "or start from a reference document made by `gongwen reference-doc`"
    ]


def test_word_fonts_configuration_renames_every_role(built_seed_project):
    project = built_seed_project  # only the summary is made again: word_fonts is one of its inputs
    names = {
        "title": "FZXiaoBiaoSong-B05S",
        "body": "FangSong",
        "heading1": "SimHei",
        "heading2": "KaiTi",
        "page_number": "SimSun",
        "latin": "Arial",
    }
    (project / "gongwen.toml").write_text(
        "[word_fonts]\n" + "".join(f'{role} = "{name}"\n' for role, name in names.items()), encoding="utf-8"
    )
    result = invoke("build", "-o", "out", cwd=project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["built seed: out/seed/ (summary.docx)", "1 built"]
    path = project / "out" / "seed" / SUMMARY.name
    document = docx.Document(str(path))
    faces = {name: effective(document, find_style(document, name), EAST_ASIA) for name in EXPECTED_STYLES}
    roles = {
        "仿宋_GB2312": "body",
        "方正小标宋简体": "title",
        "黑体": "heading1",
        "楷体_GB2312": "heading2",
        "宋体": "page_number",
    }
    assert faces == {name: names[roles[expected[0]]] for name, expected in EXPECTED_STYLES.items()}
    assert {effective(document, find_style(document, name), LATIN) for name in EXPECTED_STYLES} == {"Arial"}
    with zipfile.ZipFile(path) as archive:
        styles = archive.read("word/styles.xml").decode()
        fonts = archive.read("word/fontTable.xml").decode()
    assert not any(standard in styles + fonts for standard in WORD_FONT_NAMES.values())
    assert all(f'w:name="{name}"' in fonts for name in names.values())


def test_fontconfig_file_shows_each_role_in_its_stand_in(tmp_path):
    result = invoke("fontconfig", "-o", str(tmp_path / "aliases.conf"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "aliases.conf").read_text(encoding="utf-8") == fontconfig_aliases(WORD_FONT_NAMES)
    configuration = tmp_path / "fonts.conf"
    configuration.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">\n<fontconfig>'
        f'<include ignore_missing="yes">/etc/fonts/fonts.conf</include><include>{tmp_path / "aliases.conf"}</include>'
        "</fontconfig>\n",
        encoding="utf-8",
    )
    expected = {
        "方正小标宋简体": "Noto Serif CJK SC:Bold",
        "仿宋_GB2312": "Noto Serif CJK SC:Regular",
        "黑体": "Noto Sans CJK SC:Regular",
        "楷体_GB2312": "AR PL KaitiM GB:Regular",
        "宋体": "Noto Serif CJK SC:Regular",
        "SimHei": "Noto Sans CJK SC:Regular",
    }
    for name, face in expected.items():
        matched = subprocess.run(
            ["fc-match", "--format", "%{family[0]}:%{style[0]}", f"{name}:lang=zh-cn"],
            capture_output=True,
            text=True,
            env={**os.environ, "FONTCONFIG_FILE": str(configuration)},
            check=True,
        ).stdout
        assert matched == face, name


def test_one_sided_printing_keeps_the_binding_margin_on_the_left():
    data = write_summary(
        read_structure("<h1>题</h1><p>文</p>", "one-sided"),
        REFERENCE,
        title="题",
        author="组",
        created=datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC),
        one_sided=True,
    )
    document = docx.Document(io.BytesIO(data))
    assert document.settings.element.find(qn("w:mirrorMargins")) is None
    assert abs(document.sections[0].left_margin - Mm(gbt9704.BINDING_MM)) <= TWIP
    assert document.settings.odd_and_even_pages_header_footer  # page numbers still alternate sides


# ---- Chinese style names, English aliases; labels and contacts in the tour's words ----


def test_custom_styles_are_stored_under_chinese_names_with_the_english_ones_as_aliases():
    document = docx.Document(str(REFERENCE))
    for english, chinese in CHINESE_NAMES.items():
        style = find_style(document, english)
        assert style is not None and style.name == chinese, english
        assert style_aliases(style) == [english]
        assert style.style_id == english.replace(" ", "")  # ids stay ASCII: documents refer to styles by id
        assert find_style(document, chinese).element is style.element
    assert {style.name for style in document.styles} >= {"Normal", "Title", "Heading 1", "Footer", "List Number"}


def _with_english_names(tmp_path: Path) -> Path:
    """The reference document as gongwen made it before the Chinese names: English names, no aliases."""
    document = docx.Document(str(REFERENCE))
    for english, chinese in CHINESE_NAMES.items():
        style = find_style(document, chinese)
        style.element.remove(style.element.find(qn("w:aliases")))
        style.name = english
    path = tmp_path / "english-reference.docx"
    document.save(str(path))
    return path


@pytest.mark.parametrize("named", ["english", "chinese"])
def test_styles_are_found_by_either_name_in_either_kind_of_reference(tmp_path, named):
    reference = REFERENCE if named == "chinese" else _with_english_names(tmp_path)
    markup = (
        '<h1>题</h1><table><tr><th>巡察组</th><td>市委第六巡察组</td></tr></table><p class="note">附注</p>'
        '<p data-style="表格文字">甲</p><p data-style="Table Heading">乙</p>'
    )
    created = datetime.datetime(2015, 3, 2, tzinfo=datetime.UTC)
    data = write_summary(read_structure(markup, "styles"), reference, title="题", author="组", created=created)
    document = docx.Document(io.BytesIO(data))
    styles = {paragraph.text: paragraph.style.name for paragraph in document.paragraphs}
    names = CHINESE_NAMES if named == "chinese" else {name: name for name in CHINESE_NAMES}
    assert styles["附注"] == names["Note"]
    assert (styles["甲"], styles["乙"]) == (names["Table Text"], names["Table Heading"])
    [table] = document.tables
    assert table.style.name == names["Facts Table"]
    assert [cell.paragraphs[0].style.name for cell in table.rows[0].cells] == [
        names["Table Heading"],
        names["Table Text"],
    ]
    assert document.sections[0].even_page_footer.paragraphs[0].style.name == names["Footer Even"]


def test_summaries_label_the_facts_in_the_tours_words_and_list_contacts_without_bullets(corpus_dist):
    labels = {
        "xs01-neimenggu-huhehaote-2023": ["巡视组", "被巡视单位", "巡视类型", "巡视时间", "受理时间", "受理范围"],
        "xc01-xian-6th-2020": ["巡察组", "被巡察单位", "巡察类型", "巡察时间", "受理时间", "受理范围"],
        "dc04-hunan-shaoyang-2024": ["督察组", "被督察地方", "督察类型", "进驻时间", "受理时间", "受理范围"],
    }
    for publication_id, expected in labels.items():
        document = docx.Document(str(corpus_dist / publication_id / SUMMARY.name))
        [table] = document.tables
        assert [row.cells[0].text for row in table.rows] == expected
        used = {paragraph.style.name for paragraph in document.paragraphs}
        assert "List Bullet" not in used
        heading = next(index for index, paragraph in enumerate(document.paragraphs) if paragraph.text == "三、联系方式")
        contacts = document.paragraphs[heading + 1 : heading + 3]
        assert [paragraph.style.name for paragraph in contacts] == ["Normal", "Normal"]
        assert all("：" in paragraph.text for paragraph in contacts)
