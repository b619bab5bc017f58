"""Punctuation normalisation: half-width marks in Chinese text become full-width; ASCII runs stay."""

from __future__ import annotations

import pytest
from helpers import make_notice
from pdfread import type_area_text
from stress import stress_content

from pipeline.typeset.punctuation import normalize_punctuation

CASES = [
    ("根据中央统一部署,中央第十巡视组进驻", "根据中央统一部署，中央第十巡视组进驻"),
    ("专门值班电话:010-68334749", "专门值班电话：010-68334749"),
    ("时间为:早8:00—晚20:00", "时间为：早8:00—晚20:00"),
    ("党组(党委)要认真落实", "党组（党委）要认真落实"),
    (
        "(原标题:中央第十巡视组专项巡视通用技术集团动员会召开)",
        "（原标题：中央第十巡视组专项巡视通用技术集团动员会召开）",
    ),
    ('坚持"老虎""苍蝇"一起打', "坚持“老虎”“苍蝇”一起打"),
    ("真的吗?是的!", "真的吗？是的！"),
    ("第一;第二", "第一；第二"),
    ("共1,000人", "共1,000人"),
    ("see (a) and (b), then stop.", "see (a) and (b), then stop."),
    ("www.ccdi.gov.cn", "www.ccdi.gov.cn"),
    ("GB/T 9704-2012 标准, 已发布", "GB/T 9704-2012 标准，已发布"),
    ('He said "yes".', 'He said "yes".'),
    # A pair of brackets is decided as one: Chinese outside one end converts both, never （…).
    ("根据中央统一部署(Cafe test),会议召开", "根据中央统一部署（Cafe test），会议召开"),
    ("(PDF/A-3b)版本", "（PDF/A-3b）版本"),
    ("f(x) = (a+b)", "f(x) = (a+b)"),
]


@pytest.mark.parametrize("typed, printed", CASES)
def test_normalisation(typed, printed):
    assert normalize_punctuation(typed) == printed


def test_normalisation_is_idempotent():
    for typed, _ in CASES:
        once = normalize_punctuation(typed)
        assert normalize_punctuation(once) == once


def test_switch_off_keeps_punctuation_as_typed(tmp_path):
    content = stress_content(sections=1, paragraphs=1).replace(
        "schema: 1\n", "schema: 1\noptions:\n  normalize_punctuation: false\n"
    )
    content = content.replace("scope: 中央巡视组主要受理", "scope: 中央巡视组(专项)主要受理,")
    notice = make_notice(tmp_path, "typed", content)
    assert "中央巡视组(专项)主要受理," in type_area_text(notice)


def test_switch_on_by_default(tmp_path):
    content = stress_content(sections=1, paragraphs=1).replace(
        "scope: 中央巡视组主要受理", "scope: 中央巡视组(专项)主要受理,"
    )
    notice = make_notice(tmp_path, "normal", content)
    assert "中央巡视组（专项）主要受理，" in type_area_text(notice)
