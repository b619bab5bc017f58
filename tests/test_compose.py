"""The line composer, called directly: where a paragraph may break, and the lines it chooses.

These run in milliseconds on the resolved body face; the PDFs' layout checker (test_layout.py)
then shows that the engine draws the lines where the composer put them.
"""

from __future__ import annotations

import functools

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.typeset import compose, gbt9704
from pipeline.typeset.compose import CLOSING, HANGING, OPENING, Composer, Line, pieces
from pipeline.typeset.fonts import resolve_fonts
from pipeline.typeset.shaping import Shaper


@functools.cache
def composer(size: float = gbt9704.BODY_SIZE) -> Composer:
    grid = gbt9704.TextGrid(size)
    return Composer(Shaper(resolve_fonts()["body"]), size, gbt9704.TYPE_WIDTH, grid.cell)


def texts_of(text: str, lines: list[Line]) -> list[str]:
    return [text[line.start : line.end] for line in lines]


# ---- pieces: where a line may break ----


@pytest.mark.parametrize(
    "text, unbroken",
    [
        ("值班电话：010-68334749。", "010-68334749。"),
        ("时间为2015年3月1日至4月30日。", "2015年3月1日"),
        ("每天8:00—20:00受理。", "8:00—20:00"),
        ("自3月1日—4月30日止。", "3月1日—4月30日"),
        ("依据GB/T 9704-2012排版。", "GB/T"),
        ("网址www.ccdi.gov.cn。", "www.ccdi.gov.cn。"),
        ("增长12.5%，", "12.5%，"),
    ],
)
def test_numbers_dates_ranges_and_words_are_one_piece(text, unbroken):
    assert unbroken in [text[piece.start : piece.end] for piece in pieces(text)]


def test_closing_marks_join_the_piece_before_and_opening_marks_the_piece_after():
    text = "甲，乙（丙）。“丁”"
    found = [text[piece.start : piece.end] for piece in pieces(text)]
    assert found == ["甲，", "乙", "（丙）。", "“丁”"]


def test_words_keep_their_spacing_and_single_letters_do_not():
    text = "用PDF和Word及A版"
    words = {text[start:end] for piece in pieces(text) for start, end in piece.words}
    assert words == {"PDF", "Word"}


def test_spaces_are_pieces_of_their_own():
    assert [piece.space for piece in pieces("ISO 8601")] == [False, True, False]


# ---- lines ----


def check_lines(text: str, lines: list[Line], indent: float, composer: Composer) -> None:
    """What every composition must hold: all the text in order, the kinsoku rules, flush full lines."""
    assert "".join(texts_of(text, lines)).replace(" ", "") == text.replace(" ", "")
    shaper_widths = composer.shaper.advances(text, composer.size)
    for number, line in enumerate(lines):
        shown = text[line.start : line.end]
        available = composer.width - (indent * composer.cell if number == 0 else 0)
        assert shown[0] not in CLOSING or number == 0, shown
        assert shown[-1] not in OPENING or number == len(lines) - 1, shown
        natural = sum(shaper_widths[line.start : line.end])
        inside_words = sum(end - start - 1 for start, end in line.words)
        gaps = (line.end - line.start - 1) - inside_words - (1 if line.hanging else 0)
        compressed = len(line.compressed) * composer.size / 2
        drawn = natural - (shaper_widths[line.end - 1] if line.hanging else 0) + gaps * line.spacing - compressed
        assert not (line.compressed and line.hanging)
        for gap in line.compressed:  # a compressed mark gives up its blank half: beside a mark, bracket or colon
            assert text[gap] in compose._GLYPH_LEFT or text[gap + 1] in compose._GLYPH_RIGHT, shown
        if number < len(lines) - 1:
            assert drawn == pytest.approx(available, abs=compose.EPSILON), shown  # flush at both edges
            assert line.spacing <= composer.grid_spacing + compose.FALLBACK_STRETCH_EM * composer.size + 1e-9
        else:
            assert drawn <= available + compose.EPSILON, shown
            assert line.spacing <= composer.grid_spacing + 1e-9  # a last line is never stretched
        assert line.spacing >= composer.grid_spacing - compose.MOST_SHRINK_EM * composer.size - 1e-9
        assert not line.hanging or shown[-1] in HANGING


def test_a_chinese_paragraph_fills_28_cells_a_line_at_the_grid_spacing():
    text = "巡视工作要坚持问题导向" * 12
    lines = composer().lines(text, indent_cells=2)
    check_lines(text, lines, 2, composer())
    assert [len(line) for line in texts_of(text, lines)][:3] == [26, 28, 28]
    assert all(line.spacing == pytest.approx(composer().grid_spacing, abs=1e-6) for line in lines)


def test_a_mark_that_would_start_a_line_hangs_in_the_margin_instead():
    text = "巡" * 26 + "，" + "视" * 40  # 27 characters for the first line's 26 cells
    lines = composer().lines(text, indent_cells=2)
    check_lines(text, lines, 2, composer())
    assert texts_of(text, lines)[0].endswith("，") and lines[0].hanging


def test_the_last_line_holds_at_least_two_characters():
    text = "巡" * 54 + "。"  # 26 + 28 would leave 。 alone
    lines = composer().lines(text, indent_cells=2)
    check_lines(text, lines, 2, composer())
    assert compose.real_characters(texts_of(text, lines)[-1]) >= 2


def test_a_phone_number_is_never_split_and_the_line_before_it_is_set_flush():
    text = (
        "巡视组设专门值班电话和邮政信箱受理来信来电来访，值班电话：010-68334749，邮政信箱：北京市100044信箱1006分箱。"
    )
    lines = composer().lines(text, indent_cells=2)
    check_lines(text, lines, 2, composer())
    assert any("010-68334749" in shown for shown in texts_of(text, lines))


def test_a_word_wider_than_a_line_is_broken_between_characters():
    text = "见" + "x" * 80 + "。"
    lines = composer().lines(text)
    assert len(lines) >= 2
    assert "".join(texts_of(text, lines)) == text


def test_when_nothing_fits_the_limits_marks_still_stay_with_their_neighbours():
    # Nine characters cannot be stretched across a line, and the number after them does not fit
    # beside them: the paragraph is broken between characters, but never before the comma.
    text = "巡巡巡巡巡巡巡巡巡010-68334749010-68334749010-68334749，"
    lines = composer().lines(text)
    check_lines(text, lines, 0, composer())


def test_a_run_of_marks_wider_than_a_line_still_breaks():
    text = "（" * 40 + "巡"
    assert "".join(texts_of(text, composer().lines(text))) == text


def test_the_policy_is_named_and_sane():
    assert 0 < compose.MOST_SHRINK_EM < compose.MOST_STRETCH_EM < compose.FALLBACK_STRETCH_EM
    assert compose.LAST_LINE_WEIGHT < compose.FULL_LINE_WEIGHT
    assert compose.HANG_PENALTY < compose.FULL_LINE_WEIGHT * (1 / 28) ** 2  # less than one cell of stray per line
    assert compose.LONELY_LAST_LINE_PENALTY > compose.FULL_LINE_WEIGHT * compose.FALLBACK_STRETCH_EM**2 * 100


PARAGRAPH = st.lists(
    st.one_of(
        st.sampled_from("巡视工作全面从严治党领导班子监督检查问题线索整改落实"),
        st.sampled_from("，。、；：！？"),
        st.sampled_from(["（", "）", "“", "”", "《", "》"]),
        st.sampled_from(["010-68334749", "2015年3月1日", "8:00—20:00", "PDF", "GB/T 9704", " ", "12.5%"]),
    ),
    min_size=1,
    max_size=160,
).map("".join)


@settings(max_examples=150, deadline=None)
@given(PARAGRAPH, st.sampled_from([0, 2]), st.sampled_from([gbt9704.BODY_SIZE, 15.0, 14.0]))
def test_any_paragraph_is_composed_by_the_rules(text, indent, size):
    text = text.strip() or "巡"
    lines = composer(size).lines(text, indent_cells=indent)
    assert lines
    check_lines(text, lines, indent, composer(size))


# ---- the stretch limit, compressed marks, runs wider than a line ----


def stretch_of(line: Line, size: float = gbt9704.BODY_SIZE) -> float:
    return line.stretch(composer(size).grid_spacing, size)


def test_a_line_before_a_phone_number_compresses_brackets_and_colon_rather_than_stretch():
    text = (
        "巡视期间（3月11日—5月10日）设专门值班电话：0851-86891234，专门邮政信箱：贵阳市A001号邮政信箱，邮编：550001。"
    )
    lines = composer().lines(text, indent_cells=2)
    check_lines(text, lines, 2, composer())
    first = texts_of(text, lines)[0]
    assert "0851-86891234" in first  # before: 「巡 视 期 间 （…） 设 专 门 值 班 电 话：」 spaced 0.18 em
    assert all(stretch_of(line) <= compose.STRETCH_LIMIT_EM for line in lines[:-1])
    marks = [text[gap] + text[gap + 1] for gap in lines[0].compressed]
    assert marks and all(pair[0] in "）：" or pair[1] == "（" for pair in marks), marks


def test_marks_give_up_half_a_cell_where_two_marks_meet_then_beside_brackets_and_colons():
    text = "甲）。乙（丙）丁：戊，“己”"
    adjacent, bracket = compose.compressible_gaps(text)
    assert [text[i : i + 2] for i, flag in enumerate(adjacent) if flag] == ["）。", "，“"]
    assert [text[i : i + 2] for i, flag in enumerate(bracket) if flag] == ["乙（", "）丁", "：戊"]


def test_a_date_keeps_the_spacing_of_its_digits():
    text = "巡察期间（2026年4月17日至5月31日）"
    words = {text[start:end] for piece in pieces(text) for start, end in piece.words}
    assert {"2026", "17", "31"} <= words


def test_an_address_wider_than_a_line_breaks_after_its_dots_and_at_signs_never_inside_the_date_before_it():
    address = "qingxi-county-second-inspection-team-reports@jiwei.qingxixian.example.gov.cn"
    text = f"巡察期间（2026年4月7日至5月31日）设立电子邮箱：{address}，受理信访举报。"
    lines = composer().lines(text, indent_cells=2)
    check_lines(text, lines, 2, composer())
    shown = texts_of(text, lines)
    assert "2026年4月7日至5月31日" in shown[0]  # not spread letter by letter as before
    for line in lines:  # the address's parts keep their own spacing
        for start, end in line.words:
            assert end - start > 1
    cuts = [line.end for line in lines[:-1] if lines[0].start <= text.index(address) < line.end < len(text)]
    assert all(text[cut - 1] in "-.@" or cut <= text.index(address) for cut in cuts), shown


def test_a_line_that_cannot_meet_the_limit_is_still_set_flush():
    text = "为便于干部群众反映问题，巡察组设立电子邮箱：xcz-qingxi-county-dier-xunchazu@qingxixian.gov.cn。"
    lines = composer().lines(text, indent_cells=2)
    check_lines(text, lines, 2, composer())
    assert stretch_of(lines[0]) > compose.STRETCH_LIMIT_EM  # the typesetter reports it


@settings(max_examples=150, deadline=None)
@given(PARAGRAPH, st.sampled_from([0, 2]), st.sampled_from([gbt9704.BODY_SIZE, 14.0]))
@example("010-68334749010-683347498:00—20:008:00—20:008:00—20:00", 0, gbt9704.BODY_SIZE)  # only digits: no flush line
def test_lines_break_between_pieces_unless_a_piece_is_wider_than_a_line(text, indent, size):
    """Or unless no breaks between pieces give lines at all (a run that fits no line beside its neighbours, such
    as a paragraph of digits only, which cannot be spaced out to the edge): then it is cut inside."""
    text = text.strip() or "巡"
    lines = composer(size).lines(text, indent_cells=indent)
    widths = composer(size).shaper.advances(text, size)
    breaker = compose._LineBreaker(
        text,
        widths,
        composer(size).width - indent * composer(size).cell,
        composer(size).width,
        size,
        composer(size).grid_spacing,
    )
    if breaker.lines(pieces(text), compose._RELAXED) is None:
        return
    for line in lines[1:]:
        holder = next(piece for piece in pieces(text) if piece.start <= line.start < piece.end)
        run_break = text[line.start - 1] in "-./@_"  # a run that fits no line is cut where an address may break
        wide = sum(widths[holder.start : holder.end]) > composer(size).width
        assert holder.start == line.start or run_break or wide, texts_of(text, lines)


@settings(max_examples=150, deadline=None)
@given(PARAGRAPH, st.sampled_from([0, 2]), st.sampled_from([gbt9704.BODY_SIZE, 15.0, 14.0]))
def test_marks_are_compressed_and_lines_left_loose_only_where_no_breaks_meet_the_limit(text, indent, size):
    text = text.strip() or "巡"
    chosen = composer(size).lines(text, indent_cells=indent)
    breaker = compose._LineBreaker(
        text,
        composer(size).shaper.advances(text, size),
        composer(size).width - indent * composer(size).cell,
        composer(size).width,
        size,
        composer(size).grid_spacing,
    )
    within = breaker.lines(pieces(text), compose._WITHIN_LIMIT)
    if within is not None and within.cost < compose.LONELY_LAST_LINE_PENALTY:
        assert chosen == within.lines  # the breaks of old, every mark on its cell
    if any(line.compressed for line in chosen) or any(
        stretch_of(line, size) > compose.STRETCH_LIMIT_EM + 1e-9 for line in chosen[:-1]
    ):
        assert within is None or within.cost >= compose.LONELY_LAST_LINE_PENALTY
