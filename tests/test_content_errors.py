"""Bad content gets one clear line per problem: `path:line:column: field: what is wrong (got …)`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import REPOSITORY_CONFIG, SEED, SEED_CONTENT, SEED_MISTAKES, invoke

from pipeline.build import check
from pipeline.errors import ContentError, shown_path


def seed_line(fragment: str) -> int:
    """1-based line of the seed holding `fragment`."""
    return next(number for number, line in enumerate(SEED.splitlines(), 1) if fragment in line)


def problems_of(path: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        check([path])
    return [str(problem) for problem in caught.value.problems]


def write(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("case", sorted(SEED_MISTAKES))
def test_content_mistake_is_one_located_line(tmp_path, case):
    old, new, field, message, got = SEED_MISTAKES[case]
    assert old in SEED
    path = write(tmp_path, SEED.replace(old, new, 1))
    problems = problems_of(path)
    assert len(problems) == 1, problems
    line = problems[0]
    assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: {re.escape(field)}: ", line), line
    assert message in line
    if got:
        assert line.endswith(f"(got {got})"), line


def test_position_points_at_the_value(tmp_path):
    path = write(tmp_path, SEED.replace("    start: 8:00", "    start: 8点"))
    expected_line = seed_line("    start: 8:00")
    assert problems_of(path) == [
        f"{path}:{expected_line}:12: notice.hours.ranges[0].start: "
        'expected a time written HH:MM between 0:00 and 23:59 (got "8点")'
    ]


def test_unquoted_and_quoted_times_mean_the_same(tmp_path):
    # YAML 1.1 reads an unquoted 8:00 as 480; the model reads the text as typed.
    quoted = write(tmp_path, SEED.replace("start: 8:00", 'start: "08:00"'), "quoted.yaml")
    plain = check([SEED_CONTENT])[0]
    other = check([quoted])[0]
    assert str(plain.notice.hours.ranges[0].start) == str(other.notice.hours.ranges[0].start) == "8:00"


def test_several_problems_are_all_reported(tmp_path):
    text = SEED.replace("date: 2015-03-02", "date: 2015-13-01").replace("    start: 8:00", "    start: 8点")
    problems = problems_of(write(tmp_path, text))
    assert len(problems) == 2
    assert any(": date: " in problem for problem in problems)
    assert any(": notice.hours.ranges[0].start: " in problem for problem in problems)


def test_missing_required_field_names_it(tmp_path):
    text = re.sub(r"(?m)^  unit: .*\n", "", SEED)
    problems = problems_of(write(tmp_path, text))
    assert len(problems) == 1 and ": notice.unit: missing required field" in problems[0]


def test_duplicate_key_names_both_lines(tmp_path):
    text = SEED.replace("issuer: 中央第十巡视组\n", "issuer: 中央第十巡视组\nissuer: 别的机关\n")
    problems = problems_of(write(tmp_path, text))
    first = seed_line("issuer:")
    assert problems == [
        f"{tmp_path / 'bad.yaml'}:{first + 1}:1: issuer: duplicate field; it was already given at line {first}"
    ]


def test_aliases_are_refused(tmp_path):
    text = SEED.replace("  team: 中央第十巡视组", "  team: &team 中央第十巡视组").replace(
        "issuer: 中央第十巡视组", "issuer: *team"
    )
    problems = problems_of(write(tmp_path, text))
    assert any("aliases" in problem for problem in problems)
    assert any("anchors" in problem for problem in problems)


def test_gbk_file_is_named_as_such(tmp_path):
    path = tmp_path / "gbk.yaml"
    path.write_bytes(SEED.encode("gb18030"))
    problems = problems_of(path)
    assert len(problems) == 1
    assert "not UTF-8 (it looks like GBK/GB18030" in problems[0]
    assert re.match(rf"^{re.escape(str(path))}:\d+:\d+: ", problems[0])


def test_utf8_with_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + SEED.encode("utf-8"))
    assert check([path])[0].title == "中央巡视组召开中国通用技术集团公司动员会"


def test_single_range_shorthand_and_split_day(tmp_path):
    text = SEED.replace(
        "    start: 8:00\n    end: 20:00\n",
        "    ranges:\n      - {start: 9:00, end: 12:00}\n      - {start: '14:00', end: 18:00}\n",
    )
    publication = check([write(tmp_path, text, "split.yaml")])[0]
    assert [(str(r.start), str(r.end)) for r in publication.notice.hours.ranges] == [
        ("9:00", "12:00"),
        ("14:00", "18:00"),
    ]


def test_overlapping_ranges_are_refused(tmp_path):
    text = SEED.replace(
        "    start: 8:00\n    end: 20:00\n",
        "    ranges:\n      - {start: 9:00, end: 12:00}\n      - {start: 11:00, end: 18:00}\n",
    )
    problems = problems_of(write(tmp_path, text))
    assert len(problems) == 1 and ": notice.hours.ranges[1].start: overlaps" in problems[0]


def test_command_line_check_prints_one_line_and_exits_1(tmp_path):
    path = write(tmp_path, SEED.replace("    start: 8:00", "    start: 8点"))
    result = invoke("check", str(path))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"{path}:{seed_line('    start: 8:00')}:12: notice.hours.ranges[0].start: ")
    assert "Traceback" not in result.stderr


def test_command_line_check_accepts_the_seed():
    result = invoke("check", str(SEED_CONTENT), "--config", str(REPOSITORY_CONFIG))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"1 publication OK in {shown_path(SEED_CONTENT)}"


def test_usage_error_exits_2():
    result = invoke("build", "--no-such-option")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


# ---- shared defaults for a round ----

ROUND_DEFAULTS = """\
schema: 1
issuer: 中央第十巡视组
date: 2015-03-02
notice:
  team: 中央第十巡视组
  period: {start: 2015-03-01, end: 2015-04-30}
  hours: {days: 每天, start: 8:00, end: 20:00}
  channels:
    - {type: phone, label: 专门值班电话, value: 010-68334749}
  scope: 主要受理反映领导班子成员问题的来信来电来访。
"""

UNIT = """\
title: 中央第十巡视组进驻{unit}
briefing:
  sections: [{{paragraphs: [巡视组进驻{unit}。]}}]
summary:
  points: [进驻{unit}。]
notice:
  unit: {unit}
"""


def round_folder(tmp_path: Path, defaults: str = ROUND_DEFAULTS) -> Path:
    folder = tmp_path / "round"
    folder.mkdir()
    (folder / "_defaults.yaml").write_text(defaults, encoding="utf-8")
    for name, unit in (("unit-a", "甲公司"), ("unit-b", "乙公司")):
        (folder / f"{name}.yaml").write_text(UNIT.format(unit=unit), encoding="utf-8")
    return folder


def test_publications_inherit_the_folder_defaults(tmp_path):
    folder = round_folder(tmp_path)
    (folder / "unit-b.yaml").write_text(UNIT.format(unit="乙公司") + "  team: 中央第九巡视组\n", encoding="utf-8")
    publications = {publication.id: publication for publication in check([folder])}
    assert set(publications) == {"unit-a", "unit-b"}  # _defaults.yaml is not a publication
    assert publications["unit-a"].notice.team == "中央第十巡视组"
    assert publications["unit-a"].notice.unit == "甲公司"
    assert publications["unit-b"].notice.team == "中央第九巡视组"  # the publication's own value wins
    assert str(publications["unit-b"].notice.hours.ranges[0].end) == "20:00"


def test_a_mistake_in_the_defaults_points_at_the_defaults_file(tmp_path):
    folder = round_folder(tmp_path, ROUND_DEFAULTS.replace("start: 8:00", "start: 8点"))
    problems = problems_of(folder)
    assert len(problems) == 1  # both publications inherit it; it is one mistake
    assert problems[0].startswith(f"{folder / '_defaults.yaml'}:7:")
    assert ": notice.hours.ranges[0].start: expected a time" in problems[0]


def test_every_invisible_format_character_is_refused():
    """Category Cf (soft hyphen, zero-width space, bidi controls …): the pattern covers the running Python's Unicode."""
    import sys
    import unicodedata

    from pipeline.content.text import FORMAT_CHARACTERS

    format_characters = [chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"]
    assert format_characters and all(FORMAT_CHARACTERS.fullmatch(char) for char in format_characters)
    assert not FORMAT_CHARACTERS.search("巡视组，值班电话：010-68334749。ABC abc \u3000")
