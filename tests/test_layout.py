"""GB/T 9704 typesetting, measured on the produced PDFs by the layout checker (tests/layout.py)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from helpers import SEED_ID, build_text, make_notice
from layout import BINDING, FLUSH_PT, MM, OUTER, TOP, TYPE_HEIGHT, TYPE_WIDTH, check, read_lines
from pdfread import chars, page_count, type_area_text
from stress import stress_content

from pipeline.errors import GongwenError

FEATURES = """\
schema: 1
title: 关于进一步加强和改进新形势下中央巡视工作的意见
issuer: 中央巡视工作领导小组办公室
number: 中巡办发〔2015〕3号
date: 2015-03-02
copy_to: [中央纪委, 中央组织部, 中央办公厅]
printed_by: 中央巡视工作领导小组办公室
printed_on: 2015-03-03
note: 此件公开发布
briefing:
  sections:
    - heading: 总体要求
      paragraphs:
        - 巡视工作要坚持问题导向，聚焦党风廉政建设和反腐败工作这个中心，发现问题、形成震慑，推动改革、促进发展。
      sections:
        - heading: 坚持问题导向
          paragraphs: [聚焦党风廉政建设和反腐败工作这个中心，围绕“四个着力”开展监督检查。]
        - heading: 坚持依规依纪
          paragraphs: [严格履行巡视监督责任，依规依纪开展巡视。]
    - heading: 主要任务
      paragraphs: [监督的重点是领导班子及其成员特别是主要负责人。]
summary:
  points: [要点。]
notice:
  team: 中央第十巡视组
  unit: 中国通用技术集团公司
  period: {start: 2015-03-01, end: 2015-04-30}
  hours: {start: 8:00, end: 20:00}
  channels: [{type: phone, value: 010-68334749}]
  scope: 主要受理反映领导班子成员问题的来信来电来访。
"""


@pytest.fixture(scope="session")
def stress_dist(tmp_path_factory) -> Path:
    return build_text(tmp_path_factory.mktemp("stress"), "stress", stress_content())


@pytest.fixture(scope="session")
def features_dist(tmp_path_factory) -> Path:
    return build_text(tmp_path_factory.mktemp("features"), "features", FEATURES)


@pytest.fixture(scope="session")
def seed_report(seed_dist):
    return check(seed_dist / SEED_ID / "briefing.pdf")


@pytest.fixture(scope="session")
def stress_report(stress_dist):
    return check(stress_dist / "briefing.pdf")


# ---- the seed: the acceptance figures ----


def test_seed_full_pages_hold_22_lines(seed_report):
    assert len(seed_report.lines_per_full_page) >= 2
    assert set(seed_report.lines_per_full_page.values()) == {22}


def test_seed_pure_chinese_lines_hold_28_cells(seed_report):
    cells = Counter(seed_report.full_line_cells)
    assert sum(cells.values()) > 60
    assert cells[28] / sum(cells.values()) >= 0.9, cells
    assert set(cells) <= {27, 28, 29}, cells
    assert seed_report.hanging_lines > 0  # marks hang where that keeps a line on the grid


@pytest.mark.parametrize("report_name", ["seed_report", "stress_report"])
def test_every_full_line_is_flush_right(report_name, request):
    report = request.getfixturevalue(report_name)
    assert len(report.right_gaps) > 50
    assert report.worst_right_gap <= FLUSH_PT, sorted(report.right_gaps, key=lambda gap: -abs(gap[2]))[:3]


@pytest.mark.parametrize("report_name", ["seed_report", "stress_report"])
def test_line_breaking_rules_hold(report_name, request):
    report = request.getfixturevalue(report_name)
    assert report.bad_starts == []
    assert report.bad_ends == []
    assert report.lonely_last_lines == []


@pytest.mark.parametrize("report_name", ["seed_report", "stress_report"])
def test_margins_and_page_numbers(report_name, request):
    report = request.getfixturevalue(report_name)
    assert report.pages >= 3
    assert report.margin_errors == []
    assert report.page_number_errors == []


def test_stress_full_pages_hold_22_lines(stress_report):
    assert set(stress_report.lines_per_full_page.values()) == {22}


def test_body_lines_start_at_the_binding_edge_on_odd_pages_and_the_outer_edge_on_even_pages(seed_report):
    for line in seed_report.body_lines:
        left = BINDING if line.page % 2 else OUTER
        assert min(abs(line.x0 - left), abs(line.x0 - left - 31.57)) < 0.3, (line.page, line.text)


def test_one_sided_printing_keeps_the_binding_margin_left(tmp_path):
    dist = build_text(tmp_path, "one", stress_content(seed=3), one_sided=True)
    report = check(dist / "briefing.pdf", one_sided=True)
    assert report.pages >= 2
    assert report.margin_errors == [] and report.page_number_errors == []
    even = [line for line in report.body_lines if line.page == 2]
    assert even and min(line.x0 for line in even) == pytest.approx(BINDING, abs=0.3)


# ---- the notice ----


@pytest.mark.parametrize("factor", [1, 3])
def test_notice_fits_one_page(tmp_path, factor):
    notice = make_notice(tmp_path, "notice", stress_content(scope_factor=factor, channels=2))
    assert page_count(notice) == 1
    text = type_area_text(notice)
    assert text.count("领导班子成员") >= factor


def test_notice_with_many_channels_fits_one_page(stress_dist):
    notice = stress_dist / "notice.pdf"
    assert page_count(notice) == 1
    text = type_area_text(notice)
    assert all(f"值班电话{index}" in text for index in range(1, 9))


@pytest.mark.parametrize("factor", [1, 5])
def test_notice_lines_are_flush_at_every_size(tmp_path, factor):
    notice = make_notice(tmp_path, "notice", stress_content(scope_factor=factor, channels=2))
    body_size = Counter(round(char["size"], 1) for char in chars(notice)[0]).most_common(1)[0][0]
    assert body_size >= 14
    if factor > 1:
        assert body_size < 16  # the long notice was tightened
    report = check(notice, body_size=body_size, page_numbers=False)
    assert report.pages == 1
    assert len(report.right_gaps) >= 4
    assert report.worst_right_gap <= FLUSH_PT
    assert report.bad_starts == [] and report.bad_ends == [] and report.lonely_last_lines == []


def test_notice_that_cannot_fit_says_by_how_much_and_what_to_shorten(tmp_path):
    with pytest.raises(GongwenError) as caught:
        make_notice(tmp_path, "huge", stress_content(scope_factor=14, channels=2))
    [problem] = caught.value.problems
    line = str(problem)
    assert ": notice.scope: the notice does not fit on one page even at 14 pt: about " in line
    assert "characters run onto page 2" in line


# ---- titles, headings, signature ----


def test_long_title_is_balanced_and_keeps_words_whole(stress_dist):
    lines = [line for line in read_lines(stress_dist / "briefing.pdf") if line.page == 1 and abs(line.size - 22) < 0.1]
    assert len(lines) >= 3
    lengths = [len(line.text) for line in lines]
    assert min(lengths) >= 3
    assert max(lengths) - min(lengths) <= 2, lengths
    words = (
        "加强",
        "改进",
        "形势",
        "巡视",
        "工作",
        "推动",
        "全面",
        "从严",
        "治党",
        "纵深",
        "发展",
        "深化",
        "政治",
        "坚持",
        "发现",
        "问题",
        "形成",
        "震慑",
        "改革",
        "促进",
        "若干",
        "意见",
    )
    for first, second in zip(lines, lines[1:], strict=False):
        joint = first.text[-1] + second.text[0]
        assert joint not in words, (first.text, second.text)
    for line in lines:  # centred
        left = BINDING if line.page % 2 else OUTER
        assert abs((line.x0 - left) - (left + TYPE_WIDTH - line.x1)) < 1.0


def test_headings_are_numbered_from_the_structure_in_their_faces(features_dist):
    lines = read_lines(features_dist / "briefing.pdf")
    by_text = {line.text: line for line in lines}
    assert {"一、总体要求", "二、主要任务", "（一）坚持问题导向", "（二）坚持依规依纪"} <= set(by_text)
    assert [font.rsplit("-", 1)[0] for font in by_text["一、总体要求"].fonts] == ["gongwen-heading1"]
    assert [font.rsplit("-", 1)[0] for font in by_text["（一）坚持问题导向"].fonts] == ["gongwen-heading2"]
    title = [line for line in lines if abs(line.size - 22) < 0.1]
    assert "".join(line.text for line in title) == "关于进一步加强和改进新形势下中央巡视工作的意见"
    assert all(font.startswith("gongwen-title") for line in title for font in line.fonts)


def test_signature_and_date_are_placed_as_the_standard_says(seed_dist):
    lines = read_lines(seed_dist / SEED_ID / "briefing.pdf")
    signature = next(line for line in lines if line.text == "中央第十巡视组")
    date = next(line for line in lines if line.text == "2015年3月2日")
    cell = 16 + (TYPE_WIDTH - 28 * 16) / 27
    left = BINDING if signature.page % 2 else OUTER
    right = left + TYPE_WIDTH
    # The date is the shorter line here: the signature ends two cells in, the date starts two cells right of it.
    assert signature.x1 == pytest.approx(right - 2 * cell, abs=0.5)
    assert date.x0 == pytest.approx(signature.x0 + 2 * cell, abs=0.5)
    assert date.top - signature.top == pytest.approx(28.97, abs=0.1)


# ---- 版头 and 版记 ----


def test_masthead_mark_number_and_red_rule(features_dist):
    pdf = features_dist / "briefing.pdf"
    page = chars(pdf)[0]
    mark = [char for char in page if char["text"] in "中央巡视工作领导小组办公室文件" and char["size"] > 23]
    assert "".join(char["text"] for char in mark) == "中央巡视工作领导小组办公室文件"
    red = mark[0]["non_stroking_color"]
    assert red[0] > 0.8 and red[1] < 0.1 and red[2] < 0.2, red
    em_top = (297 * MM - mark[0]["matrix"][5]) - 0.88 * mark[0]["size"]
    assert (em_top - TOP) / MM == pytest.approx(35, abs=0.3)
    import pdfplumber

    with pdfplumber.open(pdf) as document:
        rules = [rect for rect in document.pages[0].rects if rect["width"] > 400]
    assert len(rules) == 1
    rule = rules[0]
    assert rule["width"] == pytest.approx(TYPE_WIDTH, abs=0.5)
    number = [char for char in page if abs(char["size"] - 16) < 0.1 and char["top"] < rule["top"]]
    assert "".join(char["text"] for char in number) == "中巡办发〔2015〕3号"
    number_bottom = (297 * MM - number[0]["matrix"][5]) + 0.12 * 16
    assert (rule["top"] - number_bottom) / MM == pytest.approx(4, abs=0.35)


def test_end_block_rules_sit_on_the_last_page_bottom(features_dist):
    import pdfplumber

    with pdfplumber.open(features_dist / "briefing.pdf") as document:
        last = document.pages[-1]
        rules = sorted((rect for rect in last.rects if rect["width"] > 400), key=lambda rect: rect["top"])
        text = last.extract_text()
    assert len(rules) == 3
    assert rules[-1]["bottom"] == pytest.approx(TOP + TYPE_HEIGHT, abs=0.5)
    assert [round(rule["height"] / MM, 2) for rule in rules] == [0.35, 0.25, 0.35]
    assert "抄送：中央纪委，中央组织部，中央办公厅。" in text.replace(" ", "")
    assert "2015年3月3日印发" in text.replace(" ", "")
