"""The forms offices use (issue 13): lines within the stretch limit, 主送机关, the 版记 on the last even page,
the 简报 form, and titles that keep names whole — built through the library and read back from the PDFs."""

from __future__ import annotations

import functools
import itertools
import re
import shutil
from pathlib import Path

import pytest
import yaml
from helpers import ROOT, run_cli
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from layout import BINDING, FLUSH_PT, OUTER, TOP, TYPE_HEIGHT, TYPE_WIDTH, check, read_lines
from pdfread import chars, page_count, rules
from stress import stress_content

from pipeline.build import build
from pipeline.config import load_configuration
from pipeline.typeset import gbt9704
from pipeline.typeset.compose import STRETCH_LIMIT_EM
from pipeline.typeset.titles import balanced_lines

LOOSE = """\
schema: 1
title: 关于设立电子邮箱的通知
issuer: 中共青溪县委第二巡察组
date: 2026-04-07
briefing:
  sections:
    - paragraphs:
        - 巡察组工作正常开展。
        - 为便于干部群众反映问题，巡察组设立电子邮箱：xcz-qingxi-county-dier-xunchazu@qingxixian.gov.cn。
summary:
  points: [要点。]
notice:
  team: 中共青溪县委第二巡察组
  unit: 县住房和城乡建设局党组
  period: {start: 2026-04-07, end: 2026-05-31}
  hours: {start: 8:00, end: 20:00}
  channels: [{type: phone, value: 0851-86891234}]
  scope: 主要受理反映领导班子成员问题的来信来电来访。
"""


def write_content(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_line_beyond_the_stretch_limit_is_a_warning_at_the_text_that_caused_it(tmp_path):
    source = write_content(tmp_path, "loose", LOOSE)
    report = build([source], load_configuration(tmp_path, {"output": str(tmp_path / "dist")}))
    assert report.problems == [] and report.built == ["loose"]
    [warning] = report.warnings
    assert warning.field == "briefing.sections[0].paragraphs[1]"
    assert (warning.where.line, warning.where.column) == (9, 11)
    assert "a line is spaced 0.19 em between characters, more than the 0.15 em limit" in warning.message
    assert warning.got == "为便于干部群众反映问题，巡察组设立电子邮箱："


def test_a_warning_never_prints_a_spacing_at_or_under_the_limit(tmp_path):
    """Generated content whose loosest line is spaced 0.1549 em: two decimals would print the limit itself
    ("0.15 em …, more than the 0.15 em limit"), so the figure gets a third."""
    source = write_content(tmp_path, "loose", stress_content(seed=30))
    report = build([source], load_configuration(tmp_path, {"output": str(tmp_path / "dist")}))
    printed = [float(re.search(r"spaced ([0-9.]+) em", warning.message).group(1)) for warning in report.warnings]
    assert printed and all(spacing > STRETCH_LIMIT_EM for spacing in printed), printed
    assert any(len(str(spacing)) == 5 for spacing in printed), printed  # the case this test is for: 0.155


def test_the_command_line_prints_warnings_and_succeeds(tmp_path):
    write_content(tmp_path, "loose", LOOSE)
    result = run_cli("build", "loose.yaml", "-o", "out", "-j", "1", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("warning: loose.yaml:9:11: briefing.sections[0].paragraphs[1]: briefing: a line")


# ---- every new setting is an input of the artifacts it changes ----


def fingerprints(folder: Path, toml: str, faces: dict | None = None):
    from pipeline.incremental import Fingerprints
    from pipeline.typeset.fonts import resolve_fonts

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gongwen.toml").write_text(toml, encoding="utf-8")
    configuration = load_configuration(folder)
    return Fingerprints.of(
        configuration, faces or resolve_fonts(), configuration.template_folders(), configuration.reference_document()
    )


def test_names_change_the_pdfs_and_the_summary_the_bulletin_layout_the_pdfs_only(tmp_path):
    import dataclasses

    from pipeline.typeset.fonts import resolve_fonts

    plain = fingerprints(tmp_path / "plain", "")
    named = fingerprints(tmp_path / "named", 'names = ["住房和城乡建设厅"]\n')
    laid_out = fingerprints(tmp_path / "laid", "[bulletin]\nrule_mm = 105\n")
    coloured = fingerprints(tmp_path / "black", '[bulletin]\nrule_color = "black"\n')
    assert named.pdf != plain.pdf and named.word != plain.word
    assert laid_out.pdf != plain.pdf and laid_out.word == plain.word
    assert coloured.pdf != plain.pdf and coloured.word == plain.word
    faces = resolve_fonts()
    other_title = dataclasses.replace(faces["title"], path=faces["heading1"].path, index=faces["heading1"].index)
    retitled = fingerprints(tmp_path / "title", "", {**faces, "title": other_title})
    assert retitled.word != plain.word  # the Word title breaks where the title face's widths say


def test_a_changed_name_list_rebuilds_what_it_changes(tmp_path):
    write_content(tmp_path / "content", "loose", LOOSE)
    assert run_cli("build", "-o", "out", "-j", "1", "content", cwd=tmp_path).returncode == 0
    (tmp_path / "gongwen.toml").write_text('names = ["城乡建设局"]\n', encoding="utf-8")
    result = run_cli("build", "-o", "out", "-j", "1", "content", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "built loose: out/loose/ (briefing.pdf, summary.docx, notice.pdf)"
    (tmp_path / "gongwen.toml").write_text('names = ["城乡建设局"]\n[bulletin]\nname_size = 42\n', encoding="utf-8")
    result = run_cli("build", "-o", "out", "-j", "1", "content", cwd=tmp_path)
    assert result.stdout.splitlines()[0] == "built loose: out/loose/ (briefing.pdf, notice.pdf)"


# ---- titles keep names whole (GB/T 9704 7.3.1) ----


@functools.cache
def title_composer():
    from pipeline.typeset.fonts import resolve_fonts
    from pipeline.typeset.typesetter import Typesetter

    return Typesetter(resolve_fonts()).composer("title", gbt9704.TITLE_SIZE)


@pytest.mark.parametrize(
    "title, names, lines",
    [  # the issue's examples, with the names the content gives and without any
        (
            "省委第一巡视组常规巡视省住房和城乡建设厅党组公告",
            ["省委第一巡视组", "省住房和城乡建设厅党组"],
            ["省委第一巡视组常规巡视", "省住房和城乡建设厅党组公告"],
        ),
        (
            "省委第一巡视组常规巡视省住房和城乡建设厅党组公告",
            [],
            ["省委第一巡视组常规巡视", "省住房和城乡建设厅党组公告"],
        ),
        (
            "中共江东省委第三巡视组常规巡视江州市人民政府党组公告",
            ["中共江东省委第三巡视组", "江州市人民政府党组"],
            ["中共江东省委第三巡视组常规", "巡视江州市人民政府党组公告"],
        ),
        (
            "中共青溪县委第二巡察组常规巡察县住房和城乡建设局党组公告",
            ["中共青溪县委第二巡察组", "县住房和城乡建设局党组"],
            ["中共青溪县委第二巡察组常规巡察", "县住房和城乡建设局党组公告"],
        ),
        (
            "中共青溪县委第二巡察组常规巡察县住房和城乡建设局党组公告",
            [],
            ["中共青溪县委第二巡察组常规", "巡察县住房和城乡建设局党组公告"],
        ),
    ],
)
def test_titles_break_between_names_never_inside_one(title, names, lines):
    assert balanced_lines(title, title_composer(), names=names) == lines


def test_a_configured_word_is_kept_whole_like_a_name():
    title = "关于进一步加强和改进新形势下生态环境保护督察工作的意见"
    lines = balanced_lines(title, title_composer(), names=["生态环境保护督察工作"])
    assert any("生态环境保护督察工作" in line for line in lines), lines


def test_a_name_longer_than_a_line_breaks_at_a_word_boundary_inside_it():
    name = "中国共产党江东省江州市青溪县住房和城乡建设局机关委员会"  # 26 characters, 20 fit
    lines = balanced_lines(name + "公告", title_composer(), names=[name])
    assert "".join(lines) == name + "公告" and len(lines) == 2
    assert all(len(line) >= 3 for line in lines)


NAME_POOL = [
    "中共青溪县委第二巡察组",
    "县住房和城乡建设局党组",
    "江州市人民政府党组",
    "省发展和改革委员会",
    "中国通用技术集团公司",
]
FILLER = ["关于", "常规巡察", "开展", "进驻", "的", "情况通报", "专项巡视", "动员会"]


def whole_parts_fit(parts: list[str], extra_lines: int = 1) -> bool:
    """Whether the parts, packed whole into lines of 20 characters (22 pt on 156 mm), need at most one line
    more than the title's length does, and four at most: the balancer tries that many."""
    lines, current = 1, 0
    for part in [*parts, "公告"]:
        if current + len(part) > 20:
            lines, current = lines + 1, 0
        current += len(part)
    return lines <= min(4, -(-sum(map(len, parts)) // 20) + extra_lines)


@settings(max_examples=80, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(NAME_POOL), st.sampled_from(FILLER)), min_size=3, max_size=9))
def test_no_title_line_ends_inside_a_name_where_whole_names_fit(parts):
    assume(whole_parts_fit(parts))
    title = "".join(parts) + "公告"
    names = [part for part in parts if part in NAME_POOL]
    lines = balanced_lines(title, title_composer(), names=names)
    assert "".join(lines) == title
    cuts = set(itertools.accumulate(len(line) for line in lines[:-1]))
    for name in names:
        start = title.find(name)
        while start >= 0:
            assert not any(start < cut < start + len(name) for cut in cuts), (lines, name)
            start = title.find(name, start + 1)


# ---- the corpus: each form, read back by the layout checker ----

CORPUS = ROOT / "tests" / "corpus"


def corpus_files() -> list[Path]:
    return sorted(CORPUS.glob("*.yaml"))


@pytest.mark.parametrize("source", corpus_files(), ids=lambda path: path.stem)
def test_every_corpus_briefing_passes_the_layout_checker(corpus_dist, source):
    report = check(corpus_dist / source.stem / "briefing.pdf")
    assert report.margin_errors == [] and report.page_number_errors == []
    assert report.bad_starts == [] and report.bad_ends == [] and report.lonely_last_lines == []
    assert report.worst_right_gap <= FLUSH_PT
    page, text, added = report.worst_line
    assert added <= STRETCH_LIMIT_EM + 0.002, (page, text)
    if report.end_block_page is not None:
        assert report.end_block_page == report.pages


def test_the_document_form_puts_the_addressees_under_the_title_and_the_end_block_on_an_even_page(corpus_dist):
    pdf = corpus_dist / "forms-document" / "briefing.pdf"
    report = check(pdf)
    addressees = report.addressee_lines
    assert [line.text for line in addressees] == [
        "各市、县（区）党委，省直各单位党组（党委），",
        "中央驻江东省各单位党组（党委），各人民团体党组：",
    ]
    assert all(abs(line.x0 - BINDING) < 0.3 for line in addressees)  # flush left, wrapped lines too
    title = [line for line in read_lines(pdf) if line.page == 1 and line.size > 20]
    gap = addressees[0].top - max(line.top for line in title)
    assert 1.5 * 28.97 < gap < 2.5 * 28.97  # one blank line under the title
    assert report.end_block_page % 2 == 0 and report.end_block_page == report.pages


def test_copy_to_lines_hold_whole_organs_and_wrap_under_the_first_one(corpus_dist):
    pdf = corpus_dist / "forms-document" / "briefing.pdf"
    last = read_lines(pdf)
    rows = [
        line
        for line in last
        if line.page == page_count(pdf) and abs(line.size - 14) < 0.1 and line.top < TOP + TYPE_HEIGHT
    ]
    organs = [line for line in rows if "印发" not in line.text]
    assert organs[0].text.startswith("抄送：")
    first_organ_x = organs[0].glyphs[3][1]
    organ_names = set(yaml.safe_load((CORPUS / "forms-document.yaml").read_text(encoding="utf-8"))["copy_to"])
    for line in organs:
        body = line.text.removeprefix("抄送：")
        assert {name for name in re.split("[，。]", body) if name} <= organ_names, line.text  # no organ split
    for line in organs[1:]:
        assert line.x0 == pytest.approx(first_organ_x, abs=0.3)  # under the first organ after 抄送：
    left = BINDING if page_count(pdf) % 2 else OUTER
    assert organs[0].x0 == pytest.approx(left + 14, abs=0.3)  # one character in


# ---- the 简报 form ----

MM = 72 / 25.4


def em_top(char: dict) -> float:
    """Distance from the page's top edge to the top of a character's ideographic em box."""
    return (297 * MM - char["matrix"][5]) - 0.88 * char["size"]


def test_the_bulletin_head_takes_the_top_third_of_page_one(corpus_dist):
    pdf = corpus_dist / "forms-bulletin" / "briefing.pdf"
    page = chars(pdf)[0]
    name = [char for char in page if char["size"] > 30]
    assert "".join(char["text"] for char in name) == "巡察工作简报"
    assert name[0]["size"] == pytest.approx(36, abs=0.05)  # 小初
    assert all(char["non_stroking_color"][0] > 0.8 and char["non_stroking_color"][1] < 0.1 for char in name)
    assert (em_top(name[0]) - TOP) / MM == pytest.approx(20, abs=0.3)
    centre = (name[0]["x0"] + name[-1]["x1"]) / 2
    assert centre == pytest.approx(BINDING + TYPE_WIDTH / 2, abs=0.5)
    [rule] = [rect for rect in rules(pdf)[0] if rect["top"] < 150 * MM]
    assert rule["top"] / MM == pytest.approx(99, abs=0.2)  # a third of the page
    assert rule["height"] / MM == pytest.approx(1.0, abs=0.05)
    assert rule["width"] == pytest.approx(TYPE_WIDTH, abs=0.5) and rule["x0"] == pytest.approx(BINDING, abs=0.5)
    assert rule["non_stroking_color"][0] > 0.8 and rule["non_stroking_color"][1] < 0.1
    lines = {line.text: line for line in read_lines(pdf) if line.page == 1 and line.top < rule["top"]}
    issue = lines["第3期"]
    assert (issue.x0 + issue.x1) / 2 == pytest.approx(centre, abs=0.5) and issue.top > name[0]["bottom"]
    [organ_and_date] = [line for text, line in lines.items() if text.startswith("中共青溪县委巡察办编")]
    assert organ_and_date.text.endswith("2026年4月8日")
    assert organ_and_date.x0 == pytest.approx(BINDING, abs=0.3)
    assert organ_and_date.x1 == pytest.approx(BINDING + TYPE_WIDTH, abs=0.3)
    em_bottom = 297 * MM - organ_and_date.baseline + 0.12 * 16
    assert (rule["top"] - em_bottom) / MM == pytest.approx(4, abs=0.3)
    title = [line for line in read_lines(pdf) if line.page == 1 and abs(line.size - 22) < 0.1]
    assert title[0].top > rule["bottom"] + 2 * 28.97 - 10


def test_the_bulletin_end_lists_report_send_and_issue_rows_with_the_print_run(corpus_dist):
    pdf = corpus_dist / "forms-bulletin" / "briefing.pdf"
    report = check(pdf)
    assert report.end_block_page == report.pages
    rows = [
        line
        for line in read_lines(pdf)
        if line.page == report.pages and abs(line.size - 14) < 0.1 and line.top < TOP + TYPE_HEIGHT
    ]
    labels = [line.text.split("：")[0] for line in rows if "：" in line.text[:3]]
    assert labels == ["报", "送", "发", "抄送"]
    assert rows[-1].text.endswith("共印60份")
    left = BINDING if report.pages % 2 else OUTER
    assert rows[-1].x1 == pytest.approx(left + TYPE_WIDTH - 14, abs=0.5)  # one character in from the right
    page_rules = rules(pdf)[report.pages - 1]
    assert [round(rule["height"] / MM, 2) for rule in page_rules] == [0.35, 0.25, 0.25, 0.25, 0.35]


def test_the_bulletin_head_follows_the_configuration(tmp_path):
    source = CORPUS / "forms-bulletin.yaml"
    (tmp_path / "gongwen.toml").write_text(
        '[bulletin]\nrule_mm = 110\nrule_color = "black"\nname_size = 42\nrule_width_mm = 0.5\n', encoding="utf-8"
    )
    shutil.copy(source, tmp_path / source.name)
    report = build([tmp_path / source.name], load_configuration(tmp_path, {"output": str(tmp_path / "dist")}))
    assert report.problems == []
    pdf = tmp_path / "dist" / "forms-bulletin" / "briefing.pdf"
    [rule] = [rect for rect in rules(pdf)[0] if rect["top"] < 150 * MM]
    assert rule["top"] / MM == pytest.approx(110, abs=0.2) and rule["height"] / MM == pytest.approx(0.5, abs=0.05)
    assert max(rule["non_stroking_color"]) < 0.1
    name = [char for char in chars(pdf)[0] if char["size"] > 30]
    assert name[0]["size"] == pytest.approx(42, abs=0.05)


# ---- the 版记 on the last even page, and the page numbers of 7.5, as the body grows ----

EXTRA = "巡视组坚持以习近平新时代中国特色社会主义思想为指导，深入贯彻党的二十大精神，紧扣被巡视党组织职能责任。"


def variant(source: Path, extra_paragraphs: int, cut_after: str | None = None) -> str:
    """The corpus file with a section of `extra_paragraphs` added after its sections, or its sections cut
    before the line holding `cut_after`."""
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    start = lines.index("briefing:\n")
    end = next(index for index in range(start + 1, len(lines)) if not lines[index].startswith(" "))
    cut = next((index for index, line in enumerate(lines) if cut_after and cut_after in line), end)
    added = ["    - paragraphs:\n"] + [f"        - {EXTRA}\n"] * extra_paragraphs if extra_paragraphs else []
    return "".join(lines[:cut] + added + lines[end:])


@pytest.fixture(scope="session")
def grown(tmp_path_factory) -> dict[str, Path]:
    """文件 and 简报 of two to six pages: the body ends on odd and even pages, with and without room for the 版记."""
    folder = tmp_path_factory.mktemp("grown")
    cases = {
        "document-2": (CORPUS / "forms-document.yaml", 0, "- heading: 发现的主要问题"),
        "document-4": (CORPUS / "forms-document.yaml", 0, None),
        "document-6-after-a-blank-page": (CORPUS / "forms-document.yaml", 18, None),
        "bulletin-3": (CORPUS / "forms-bulletin.yaml", 8, None),
    }
    for name, (source, extra, keep) in cases.items():
        (folder / f"{name}.yaml").write_text(variant(source, extra, keep), encoding="utf-8")
    report = build(sorted(folder.glob("*.yaml")), load_configuration(folder, {"output": str(folder / "dist")}), jobs=2)
    assert report.problems == [], [str(problem) for problem in report.problems]
    return {name: folder / "dist" / name / "briefing.pdf" for name in cases}


@pytest.mark.parametrize(
    "name, pages, unnumbered",
    [
        ("document-2", 2, []),  # the body ends on page 2 with room at its foot
        ("document-4", 4, []),  # the body ends on page 3: the 版记 alone on page 4, numbered
        ("document-6-after-a-blank-page", 6, [5, 6]),  # the body fills page 4: page 5 blank, the 版记 on 6
        ("bulletin-3", 3, []),  # a 简报's 报尾 is at the foot of its last page, odd or even
    ],
)
def test_the_end_block_is_on_the_last_even_page_numbered_as_7_5_says(grown, name, pages, unnumbered):
    report = check(grown[name])
    assert (report.pages, report.end_block_page, report.unnumbered_pages) == (pages, pages, unnumbered)
    assert report.page_number_errors == [] and report.margin_errors == []
    page, text, added = report.worst_line
    assert added <= STRETCH_LIMIT_EM + 0.002, (page, text)


# ---- the Word summary: the title broken where the PDF breaks it, the 主送机关 flush left ----


def word_paragraphs(path: Path) -> list[tuple[str, list[str]]]:
    """(style, lines split at manual line breaks) of each body paragraph."""
    import docx
    from docx.oxml.ns import qn

    document = docx.Document(str(path))
    result = []
    for paragraph in document.paragraphs:
        text = "".join(
            "\n" if child.tag == qn("w:br") else (child.text or "")
            for run in paragraph._p.iter(qn("w:r"))
            for child in run
            if child.tag in (qn("w:t"), qn("w:br"))
        )
        result.append((paragraph.style.name, text.split("\n")))
    return result


def test_the_summary_breaks_its_title_where_the_briefing_does_and_lists_the_addressees(corpus_dist):
    paragraphs = word_paragraphs(corpus_dist / "forms-document" / "summary.docx")
    title_lines = [line.text for line in read_lines(corpus_dist / "forms-document" / "briefing.pdf") if line.size > 20]
    assert paragraphs[0] == ("Title", title_lines[1:])  # the first PDF line at 22 pt+ is the red mark
    assert paragraphs[1] == (
        "Salutation",
        ["各市、县（区）党委，省直各单位党组（党委），", "中央驻江东省各单位党组（党委），各人民团体党组："],
    )


@pytest.mark.office
def test_libreoffice_draws_the_summary_title_on_the_briefing_lines(corpus_dist, tmp_path):
    from office import convert, lines

    printed = convert({"summary": corpus_dist / "forms-document" / "summary.docx"}, tmp_path).pdfs["summary"]
    drawn = [line.text for line in lines(printed) if line.page == 1 and line.chars[0].size > 20]
    assert drawn == ["中共江东省委第三巡视组关于常规", "巡视江州市人民政府党组情况的通报"]
    pitch = [line.top for line in lines(printed) if line.page == 1 and line.chars[0].size > 20]
    assert pitch[1] - pitch[0] == pytest.approx(28.95, abs=0.5)  # the PDF's pitch, not two lines of the grid
    addressees = [line for line in lines(printed) if line.page == 1 and line.text.endswith(("），", "党组："))]
    assert [line.text for line in addressees][:2] == [
        "各市、县（区）党委，省直各单位党组（党委），",
        "中央驻江东省各单位党组（党委），各人民团体党组：",
    ]
    assert addressees[0].x0 == pytest.approx(addressees[1].x0, abs=0.5)  # flush left, both lines


# ---- content mistakes in the new fields ----


@pytest.mark.parametrize(
    "change, expected",
    [
        ("masthead: bulletin\n", "bulletin: a 简报 (masthead: bulletin) needs its name and issue"),
        ("bulletin: {name: 巡察工作简报, issue: 3}\n", "bulletin: printed only with masthead: bulletin"),
        (
            "masthead: bulletin\nbulletin: {name: 巡察工作简报, issue: 0}\n",
            "bulletin.issue: must be 1 or more (got 0)",
        ),
        (
            "masthead: bulletin\nnumber: 江巡办发〔2026〕12号\nbulletin: {name: 巡察工作简报, issue: 3}\n",
            "number: a 简报 has no 发文字号",
        ),
        (
            "masthead: bulletin\nbulletin: {name: 巡察工作简报, issue: 3, compiled_by: "
            "中共江东省江州市青溪县委员会巡察工作领导小组办公室秘书科}\n",
            "bulletin.compiled_by: the compiling organ and the date must share one line of the 报头: shorten it by",
        ),
        ("masthead: leaflet\n", 'masthead: expected one of document, bulletin (got "leaflet")'),
    ],
)
def test_mistakes_in_the_forms_fields_are_located(tmp_path, change, expected):
    from pipeline.build import check as check_content
    from pipeline.errors import ContentError

    source = write_content(tmp_path, "form", LOOSE + change)
    with pytest.raises(ContentError) as caught:
        check_content([source])
    assert any(expected in str(problem) for problem in caught.value.problems), caught.value.lines


def test_the_layout_checker_counts_marks_compressed_to_half_a_cell(tmp_path):
    phone = (
        "巡视期间（3月11日—5月10日）设专门值班电话：0851-86891234，专门邮政信箱：贵阳市A001号邮政信箱，邮编：550001。"
    )
    source = write_content(tmp_path, "phone", LOOSE.replace("巡察组工作正常开展。", phone))
    report = build([source], load_configuration(tmp_path, {"output": str(tmp_path / "dist")}))
    assert report.problems == []
    checked = check(tmp_path / "dist" / "phone" / "briefing.pdf")
    assert checked.compressed_marks == 3  # （ ） ： of the first line, which holds the phone number
    first = next(line for line in checked.body_lines if line.text.startswith("巡视期间"))
    assert first.text.endswith("0851-86891234，")
    [(_, _, added)] = [entry for entry in checked.stretches if entry[1] == first.text]
    assert added <= 0  # squeezed a little, not stretched (the e-mail paragraph's line is the reported one)
