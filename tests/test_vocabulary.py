"""Every kind of tour in its own words: the vocabularies (built in, changed or added in the configuration), how a
publication's is chosen, the sentences and hours they write, the briefing's contacts paragraph, and that each new
field or setting rebuilds what it changes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from helpers import small_content
from pdfread import comparable, type_area_text

from pipeline.build import Shard, build
from pipeline.config import builtin_templates, describe, load_configuration
from pipeline.content.model import Publication, load_publication
from pipeline.content.records import declared_fields
from pipeline.content.vocabulary import BUILTIN, PATTERN_FIELDS, VocabularySetting, fill, vocabulary_for
from pipeline.errors import ConfigurationError, ContentError, OutputError
from pipeline.output.merge import merge_shard_manifests
from pipeline.render.documents import prepare_text
from pipeline.render.wording import Wording, wording
from pipeline.typeset.numerals import hours_text

TOURS = [vocabulary.tour for vocabulary in BUILTIN.values()]

NOTICE = """\
notice:
  team: {team}
  unit: {unit}
  period: {{start: 2024-03-14, end: 2024-04-02}}
  hours: {{days: 每天, start: 8:00, end: 20:00}}
  channels:
    - {{type: phone, label: 专门值班电话, value: 0739-2599509}}
    - {{type: mailbox, label: 专门邮政信箱, value: 湖南省邵阳A109邮政专用信箱}}
"""


def content(notice: str = "", *, team: str = "中央第十巡视组", unit: str = "中国通用技术集团公司") -> str:
    """A valid content file whose notice is NOTICE plus `notice` (indented lines of the notice mapping)."""
    head = small_content().split("notice:\n", 1)[0]
    return head + NOTICE.format(team=team, unit=unit) + notice


def load(tmp_path: Path, text: str, name: str = "pub") -> Publication:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return load_publication(path)


def words(tmp_path: Path, notice: str = "", **names: str) -> Wording:
    publication = prepare_text(load(tmp_path, content(notice, **names)))
    return wording(publication, vocabulary_for(publication, BUILTIN))


# ---- which words ----


def test_no_built_in_template_hard_codes_a_kind_of_tour():
    for template in sorted(builtin_templates().glob("*.j2")):
        text = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S)  # comments print nothing
        assert [word for word in TOURS if word in text] == [], template.name


def test_each_built_in_vocabulary_speaks_only_its_own_word():
    for vocabulary in BUILTIN.values():
        texts = [getattr(vocabulary, name) for name in PATTERN_FIELDS] + list(vocabulary.words().values())
        texts += [vocabulary.kind, vocabulary.period_label]
        others = {word for word in TOURS if word != vocabulary.tour for text in texts if word in text}
        assert others == set(), vocabulary.name


def test_vocabulary_settings_name_every_word_of_a_vocabulary():
    settable = {field.name for field in declared_fields(VocabularySetting)} - {"based_on"}
    assert settable == set(next(iter(BUILTIN.values())).__dataclass_fields__)


@pytest.mark.parametrize(
    ("team", "notice", "expected"),
    [
        ("市委第六巡察组", "", "巡察"),
        ("福州大学党委巡察一组", "", "巡察"),
        ("中央第三生态环境保护督察组", "", "督察"),
        ("中央第十巡视组", "  kind: 专项巡察\n", "巡察"),  # the kind wins over the team
        ("自治区党委第一巡视组", "  kind: 巡视“回头看”\n", "巡视"),
        ("湖南省第三工作组", "  kind: 省级生态环境保护督察\n", "督察"),
        ("中央第十巡视组", "  vocabulary: 督察\n", "督察"),  # named, it wins over both
    ],
)
def test_the_vocabulary_is_named_or_found_in_the_kind_or_the_team(tmp_path, team, notice, expected):
    publication = load(tmp_path, content(notice, team=team))
    assert vocabulary_for(publication, BUILTIN).name == expected


def test_a_notice_that_names_no_kind_of_tour_is_an_error_at_its_team(tmp_path):
    publication = load(tmp_path, content(team="第一工作组"))
    with pytest.raises(ContentError) as caught:
        vocabulary_for(publication, BUILTIN)
    [problem] = caught.value.problems
    line = next(number for number, text in enumerate(content(team="第一工作组").splitlines(), 1) if "team:" in text)
    assert str(problem).startswith(f"{tmp_path / 'pub.yaml'}:{line}:9: notice.team: neither notice.kind nor")
    assert "set notice.vocabulary or notice.kind" in str(problem)
    publication = load(tmp_path, content("  vocabulary: 巡查\n"))
    with pytest.raises(ContentError, match=r"notice\.vocabulary: no such vocabulary; known: 巡视, 巡察, 督察"):
        vocabulary_for(publication, BUILTIN)


# ---- the sentences ----


def test_巡视_sentences_follow_published_巡视_notices(tmp_path):
    said = words(tmp_path, "  kind: 专项巡视\n  authority: 中央\n")
    assert said.title == "巡视公告"
    assert said.opening == "根据中央统一部署，中央第十巡视组于2024年3月14日至4月2日对中国通用技术集团公司开展专项巡视。"
    assert said.channels == (
        "巡视期间（2024年3月14日至4月2日）设专门值班电话：0739-2599509，专门邮政信箱：湖南省邵阳A109邮政专用信箱。"
    )
    assert said.hours == "巡视组每天受理电话的时间为8:00—20:00。"
    assert said.scope.startswith("根据巡视工作条例规定，巡视组主要受理反映被巡视单位领导班子及其成员")
    assert said.exclusions == "其他不属于巡视受理范围的信访问题，将按规定由被巡视单位和有关部门认真处理。"
    assert (said.closing, said.listed, said.scope_first) == (False, False, False)


def test_巡察_sentences_follow_published_巡察_notices(tmp_path):
    said = words(tmp_path, "  kind: 专项巡察\n  authority: 市委\n", team="市委第六巡察组", unit="市教育局等12个单位")
    assert said.title == "巡察公告"
    assert said.opening == "按照市委统一部署，市委第六巡察组于2024年3月14日至4月2日对市教育局等12个单位开展专项巡察。"
    assert said.listed and said.channels == "巡察期间，巡察组设值班电话、邮政信箱，接受来信来电来访。"
    assert said.channel_texts == ("专门值班电话：0739-2599509", "专门邮政信箱：湖南省邵阳A109邮政专用信箱")
    assert said.hours == "巡察组受理电话的时间为每天8:00—20:00。"
    assert said.scope.startswith("根据巡察工作职责，巡察组主要受理反映被巡察单位领导班子及其成员")
    assert said.exclusions == "其他不属于巡察受理范围的信访问题，将按规定由被巡察单位和有关部门认真处理。"
    assert (said.closing, said.scope_first) == (True, True)


def test_督察_sentences_follow_published_督察_notices(tmp_path):
    notice = "  kind: 省级生态环境保护督察\n  authority: 省委、省政府\n"
    said = words(tmp_path, notice, team="湖南省第三生态环境保护督察组", unit="邵阳市")
    assert said.title == "关于对邵阳市开展省级生态环境保护督察的公告"  # dc04's title, word for word
    assert (
        said.opening
        == "经省委、省政府批准，湖南省第三生态环境保护督察组于2024年3月14日进驻邵阳市开展省级生态环境保护督察。"
    )
    assert said.channels == (
        "督察进驻期间（2024年3月14日至4月2日）设立专门值班电话：0739-2599509，专门邮政信箱：湖南省邵阳A109邮政专用信箱。"
    )
    assert said.hours == "督察组受理举报电话时间为每天8:00—20:00。"
    assert said.scope == (
        "根据省委、省政府要求和督察组职责，湖南省第三生态环境保护督察组主要受理邵阳市生态环境保护方面的来信来电举报。"
    )
    assert said.exclusions == "其他不属于受理范围的信访举报问题，将按规定交由被督察地方处理。"
    assert (said.closing, said.listed, said.scope_first) == (False, False, False)
    assert (said.group_label, said.inspected_label, said.kind_label, said.period_label) == (
        "督察组",
        "被督察地方",
        "督察类型",
        "进驻时间",
    )


def test_without_an_authority_the_opening_starts_with_the_team(tmp_path):
    said = words(tmp_path, team="湖南省第三生态环境保护督察组", unit="邵阳市")
    assert said.opening.startswith("湖南省第三生态环境保护督察组于2024年3月14日进驻邵阳市")
    assert said.scope.startswith("根据督察组职责，湖南省第三生态环境保护督察组主要受理")


def test_typed_sentences_the_signer_and_the_date_replace_the_defaults(tmp_path):
    notice = (
        "  title: 公告\n  opening: 经党中央、国务院批准，督察组近日进驻。\n  scope: 主要受理来信来电举报。\n"
        "  exclusions: 其他问题交由有关部门处理。\n  closing: true\n"
        "  signer: 中共某市委第一巡察组\n  date: 2024-03-14\n"
    )
    said = words(tmp_path, notice)
    assert (said.title, said.opening, said.scope, said.exclusions) == (
        "公告",
        "经党中央、国务院批准，督察组近日进驻。",
        "主要受理来信来电举报。",
        "其他问题交由有关部门处理。",
    )
    assert (said.closing, said.signer, said.date.isoformat()) == (True, "中共某市委第一巡察组", "2024-03-14")
    default = words(tmp_path)
    assert (default.signer, default.date.isoformat()) == (
        "中央第十巡视组",
        "2015-03-02",
    )  # the team; the content's date


def test_fill_inserts_each_value_once_and_drops_an_optional_part_without_its_value():
    values = {"team": "{unit}[组]", "unit": "单位", "authority": ""}
    assert fill("[根据{authority}统一部署，]{team}对{unit}", values) == "{unit}[组]对单位"
    assert fill("[经{authority}批准，]{team}", {**values, "authority": "省委"}) == "经省委批准，{unit}[组]"


def test_contacts_paragraph_holds_team_period_every_channel_and_the_hours(tmp_path):
    said = words(tmp_path, "  kind: 专项巡察\n", team="市委第六巡察组")
    assert said.contacts == (
        "巡察期间（2024年3月14日至4月2日），市委第六巡察组设专门值班电话：0739-2599509，"
        "专门邮政信箱：湖南省邵阳A109邮政专用信箱。巡察组受理电话的时间为每天8:00—20:00。"
    )


# ---- hours ----

HOURS = """\
  hours:
    days: 工作日
{clock}    ranges:
      - {{{morning}start: 9:00, end: 12:00}}
      - {{{label}start: 14:00, end: 18:00}}
"""
ONE_RANGE = "{days: 每天, start: 8:00, end: 20:00}"


def with_hours(
    tmp_path: Path, clock: str = "", label: str = "label: 下午, ", morning: str = "label: 上午, "
) -> Publication:
    text = content(team="市委第六巡察组", unit="市教育局")
    hours = HOURS.format(clock=clock, label=label, morning=morning)
    return load(tmp_path, text.replace(f"  hours: {ONE_RANGE}\n", hours))


def test_hours_print_labels_and_a_12_hour_clock_as_published(tmp_path):
    assert hours_text(with_hours(tmp_path, "    clock: 12\n").notice.hours) == "工作日上午9:00—12:00，下午2:00—6:00"
    assert hours_text(with_hours(tmp_path).notice.hours) == "工作日上午9:00—12:00，下午14:00—18:00"
    assert hours_text(with_hours(tmp_path, label="", morning="").notice.hours) == "工作日9:00—12:00、14:00—18:00"


def test_a_12_hour_clock_refuses_what_it_would_print_ambiguously(tmp_path):
    with pytest.raises(ContentError) as caught:
        with_hours(tmp_path, "    clock: 12\n", label="")
    assert "notice.hours.ranges[1]: on a 12-hour clock 2:00—6:00 needs a label, such as 下午 or 晚上" in str(
        caught.value
    )
    text = content().replace(ONE_RANGE, "{days: 每天, start: 8:00, end: 20:00, clock: 12}")
    with pytest.raises(ContentError, match=r"would print as 8:00—8:00; split it at noon"):
        load(tmp_path, text)


def test_a_single_range_may_carry_its_label_without_ranges(tmp_path):
    text = content().replace(ONE_RANGE, "{days: 每天, label: 全天, start: 8:00, end: 20:00}")
    assert hours_text(load(tmp_path, text).notice.hours) == "每天全天8:00—20:00"


# ---- the configuration ----

EXTENSION = """\
[[vocabularies]]
name = "巡查"
based_on = "巡察"
tour = "巡查"
group = "巡查组"
inspected = "被巡查单位"
during = "巡查期间"
period_label = "巡查时间"

[[vocabularies]]
name = "巡视"
hours = "{group}受理来电时间为{hours}。"
"""


def project(tmp_path: Path, configuration: str = "", text: str | None = None) -> Path:
    folder = tmp_path / "project"
    (folder / "content").mkdir(parents=True, exist_ok=True)
    (folder / "gongwen.toml").write_text(configuration, encoding="utf-8")
    (folder / "content" / "pub.yaml").write_text(text or content(), encoding="utf-8")
    return folder


def test_the_configuration_changes_and_adds_vocabularies(tmp_path):
    folder = project(tmp_path, EXTENSION, content("  kind: 专项巡查\n", team="市委第一巡查组"))
    configuration = load_configuration(folder / "content")
    vocabularies = configuration.vocabularies()
    assert list(vocabularies) == ["巡视", "巡察", "督察", "巡查"]
    assert vocabularies["巡视"].hours == "{group}受理来电时间为{hours}。"
    assert vocabularies["巡视"].scope == BUILTIN["巡视"].scope
    publication = prepare_text(load_publication(folder / "content" / "pub.yaml"))
    said = wording(publication, vocabulary_for(publication, vocabularies))
    assert said.vocabulary.name == "巡查" and said.title == "巡查公告"
    assert said.channels == "巡查期间，巡查组设值班电话、邮政信箱，接受来信来电来访。"
    [row] = [row for row in describe(configuration) if row[0] == "vocabularies"]
    assert row[1] == "巡查, 巡视" and row[2].endswith("gongwen.toml:1")


@pytest.mark.parametrize(
    ("configuration", "expected"),
    [
        (
            '[[vocabularies]]\nname = "巡视"\ntitle = "{tour}{notice}公告"\n',
            "vocabularies[0].title: unknown placeholder {notice}",
        ),
        ('[[vocabularies]]\nname = "巡视"\nopening = "[根据{authority}统一部署，{team}"\n', "without its partner"),
        (
            '[[vocabularies]]\nname = "巡查"\ntour = "巡查"\n',
            "vocabularies[0].based_on: a new vocabulary needs based_on",
        ),
        (
            '[[vocabularies]]\nname = "巡查"\nbased_on = "审计"\n',
            "vocabularies[0].based_on: no vocabulary of that name",
        ),
    ],
)
def test_a_wrong_vocabulary_is_a_configuration_error(tmp_path, configuration, expected):
    folder = project(tmp_path, configuration)
    with pytest.raises(ConfigurationError) as caught:
        load_configuration(folder / "content")
    assert expected in str(caught.value)


# ---- builds: the contacts paragraph, and what each new input rebuilds ----

DEFAULTS = """\
schema: 1
notice:
  team: 市委第六巡察组
  kind: 专项巡察
  period: {start: 2020-10-28, end: 2020-11-30}
  hours: {days: 工作日, start: 9:00, end: 12:00}
  channels:
    - {type: phone, label: 联系电话, value: "19991215169"}
"""

ROUND_CONTENT = """\
schema: 1
title: 市委第六巡察组进驻市教育局
issuer: 市委第六巡察组
date: 2020-10-28
briefing:
  sections:
    - heading: 联系方式
      paragraphs:
        - 巡察组欢迎大家举报反映。
        - contacts: true
summary:
  points:
    - 市委第六巡察组进驻市教育局开展专项巡察。
notice:
  unit: 市教育局
"""


def build_all(folder: Path, **overrides: object):
    configuration = load_configuration(folder / "content", {"output": str(folder / "out"), **overrides})
    report = build([folder / "content"], configuration)
    assert report.problems == [], [str(problem) for problem in report.problems]
    return report


def texts(folder: Path, name: str = "pub") -> dict[str, str]:
    return {
        artifact: comparable(type_area_text(folder / "out" / name / artifact))
        for artifact in ("briefing.pdf", "notice.pdf")
    }


def test_the_contacts_paragraph_comes_from_the_rounds_defaults_and_follows_them(tmp_path):
    folder = project(tmp_path, text=ROUND_CONTENT)
    (folder / "content" / "_defaults.yaml").write_text(DEFAULTS, encoding="utf-8")
    build_all(folder)
    briefing = texts(folder)["briefing.pdf"]
    assert comparable("巡察期间（2020年10月28日至11月30日），市委第六巡察组设联系电话：19991215169。") in briefing
    assert comparable("巡察组受理电话的时间为工作日9:00—12:00。") in briefing
    (folder / "content" / "_defaults.yaml").write_text(DEFAULTS.replace("19991215169", "029-86781234"), "utf-8")
    assert build_all(folder).built == ["pub"]
    after = texts(folder)
    assert "029-86781234" in after["briefing.pdf"] and "19991215169" not in after["briefing.pdf"]
    assert "029-86781234" in after["notice.pdf"]


def manifest_inputs(folder: Path) -> dict[str, str]:
    return json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))["publications"]["pub"]["inputs"]


def test_every_new_field_and_setting_rebuilds_what_it_changes(tmp_path):
    folder = project(tmp_path, text=content("  kind: 专项巡视\n"))
    build_all(folder)
    assert build_all(folder).built == []  # nothing changed, nothing made
    source = folder / "content" / "pub.yaml"
    steps = [
        (
            "notice.date",
            lambda: source.write_text(content("  kind: 专项巡视\n  date: 2015-03-01\n"), "utf-8"),
            "2015年3月1日",
        ),
        (
            "notice.vocabulary",
            lambda: source.write_text(content("  kind: 专项巡视\n  vocabulary: 巡察\n"), "utf-8"),
            "巡察公告",
        ),
        (
            "hours: label and clock",
            lambda: source.write_text(
                content().replace(ONE_RANGE, "{days: 每天, label: 晚上, start: 18:00, end: 21:00, clock: 12}"), "utf-8"
            ),
            "晚上6:00—9:00",
        ),
        (
            "vocabularies",
            lambda: (folder / "gongwen.toml").write_text(
                '[[vocabularies]]\nname = "巡视"\ntitle = "{tour}工作公告"\n', "utf-8"
            ),
            "巡视工作公告",
        ),
    ]
    for what, change, printed in steps:
        before = manifest_inputs(folder)
        change()
        report = build_all(folder)
        assert report.built == ["pub"], what
        after = manifest_inputs(folder)
        assert all(after[name] != before[name] for name in before), what  # briefing, notice and summary
        assert comparable(printed) in texts(folder)["notice.pdf"], what
        assert build_all(folder).built == [], what


def test_a_merge_refuses_slices_made_with_other_vocabularies(tmp_path):
    folder = project(tmp_path)
    (folder / "content" / "other.yaml").write_text(content(), encoding="utf-8")
    gathered = tmp_path / "gathered"
    for number, configuration in ((1, ""), (2, '[[vocabularies]]\nname = "巡视"\nkind = "常规巡视"\n')):
        (folder / "gongwen.toml").write_text(configuration, encoding="utf-8")
        output = folder / f"out-{number}"
        build(
            [folder / "content"],
            load_configuration(folder / "content", {"output": str(output)}),
            shard=Shard(number, 2),
        )
        shutil.copytree(output, gathered, dirs_exist_ok=True)
    with pytest.raises(OutputError, match="slice 2 was made with other vocabularies"):
        merge_shard_manifests(gathered)


def test_a_mark_typed_in_a_value_is_printed_as_typed_in_the_sentence(tmp_path):
    # Found by the property test: a value ending in an apostrophe, before the sentence's 。, was curled into ‘.
    text = content(team="中央第十巡视组").replace("value: 0739-2599509", 'value: "0739-2599509 ext\'"')
    sentence = wording(prepare_text(load(tmp_path, text)), BUILTIN["巡视"]).channels
    assert "0739-2599509 ext'" in sentence and "‘" not in sentence
