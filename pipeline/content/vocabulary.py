"""Stage 1, content: the words of each kind of tour — 巡视, 巡察, 生态环境保护督察 — and which one a publication uses.

Offices of each kind write their notices in their own words: a 巡察 notice says 巡察期间 and
被巡察单位, a 督察 notice 督察进驻期间 and 被督察地方, and their sentences differ in form as well
(`research`: 37 published notices, summarised beside each built-in sentence below). A
`Vocabulary` holds those words and sentence patterns; three are built in, and the configuration
may change them or add others (`[[tool.gongwen.vocabularies]]`). A publication uses the one named
by `notice.vocabulary`, else the one whose word its `notice.kind` holds (专项巡察 → 巡察), else its
team's (…督察组 → 督察).

Patterns are data with two kinds of marks, filled in one pass so that nothing a content file typed
is ever read as a mark: `{name}` is replaced by a value (see `PLACEHOLDERS`), and `[ … ]` is left
out whole when a placeholder inside it is empty (`[根据{authority}统一部署，]`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ConfigurationError, ContentError, Problem, Where
from .records import Record, spec

if TYPE_CHECKING:
    from .model import Publication

PLACEHOLDERS: Mapping[str, str] = {
    "team": "the team (notice.team)",
    "unit": "the inspected unit or units (notice.unit)",
    "kind": "the kind of tour (notice.kind, else the vocabulary's kind)",
    "authority": "who sent or approved the team (notice.authority; empty when not given)",
    "period": "the period: 2015年3月1日至4月30日",
    "start": "the first day: 2015年3月1日",
    "end": "the last day: 2015年4月30日",
    "channels": "every channel, 专门值班电话：010-68334749，专门邮政信箱：… (；between them when long)",
    "channel_names": "the kinds of channel, 值班电话、邮政信箱、电子邮箱",
    "hours": "the reception hours with their days: 工作日上午9:00—12:00，下午2:00—6:00",
    "days": "the days of the hours: 每天, 工作日 (empty when not given)",
    "ranges": "the hours without their days: 8:00—20:00",
    "tour": "the vocabulary's word: 巡视",
    "group": "the vocabulary's word for a team: 巡视组",
    "inspected": "the vocabulary's word for the inspected: 被巡视单位",
    "during": "the vocabulary's word for the period: 巡视期间",
}
_PLACEHOLDER = re.compile(r"\{([^{}\[\]]*)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*)\]")


def fill(pattern: str, values: Mapping[str, str]) -> str:
    """The pattern with its optional parts kept or dropped and its placeholders replaced, in one pass over the
    pattern: a value is inserted as it is, never searched for marks."""

    def optional(match: re.Match[str]) -> str:
        inner = match.group(1)
        return inner if all(values.get(name) for name in _PLACEHOLDER.findall(inner)) else ""

    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), ""), _OPTIONAL.sub(optional, pattern))


def pattern_problems(pattern: str) -> list[str]:
    """What is wrong with a pattern: unknown placeholders, brackets or braces that do not pair."""
    problems = [
        f"unknown placeholder {{{name}}}; known: {', '.join('{' + known + '}' for known in PLACEHOLDERS)}"
        for name in _PLACEHOLDER.findall(pattern)
        if name not in PLACEHOLDERS
    ]
    rest = _PLACEHOLDER.sub("", _OPTIONAL.sub(lambda match: _PLACEHOLDER.sub("", match.group(1)), pattern))
    if any(mark in rest for mark in "{}[]"):
        problems.append("a { or [ without its partner (optional parts [ … ] do not nest)")
    return problems


@dataclass(frozen=True)
class Vocabulary:
    """The words and sentences of one kind of tour (see `VocabularySetting` for what each field means)."""

    name: str
    tour: str
    kind: str
    group: str
    inspected: str
    during: str
    period_label: str
    title: str
    opening: str
    channels: str
    listing: str
    listed: bool
    contacts: str
    hours: str
    scope: str
    exclusions: str
    closing: bool
    scope_first: bool

    def words(self) -> dict[str, str]:
        """The vocabulary's own placeholders."""
        return {"tour": self.tour, "group": self.group, "inspected": self.inspected, "during": self.during}


# The built-in vocabularies. Each sentence follows published notices of its kind (the research notes
# of /work/research/notices.md; ids such as xs02 name its transcriptions); punctuation is full-width,
# as the originals print it.
BUILTIN: Mapping[str, Vocabulary] = {
    vocabulary.name: vocabulary
    for vocabulary in (
        Vocabulary(
            name="巡视",
            tour="巡视",
            kind="巡视",
            group="巡视组",
            inspected="被巡视单位",
            during="巡视期间",
            period_label="巡视时间",
            # 「巡视公告」 (xs01), the only 巡视 title seen.
            title="{tour}公告",
            # 「根据中央统一部署，…」 (xs02), 「根据江苏省委统一部署要求，」 (xs04); the dates after 于, as 巡察 does.
            opening="[根据{authority}统一部署，]{team}于{period}对{unit}开展{kind}。",
            # 「巡视期间（2月28日—4月28日）分别设专门值班电话：…，专门邮政信箱：…」 (xs02, central).
            channels="{during}（{period}）设{channels}。",
            listing="{during}，{group}设{channel_names}。",
            listed=False,
            contacts="{during}（{period}），{team}设{channels}。",
            # 「巡视组每天受理电话的时间为：8:00—18:00」 (xs05), 「…早8:00—晚20:00」 (xs02).
            hours="{group}{days}受理电话的时间为{ranges}。",
            # The current central sentence (xs07, 2023; xs02 says 重要岗位领导干部).
            scope=(
                "根据{tour}工作条例规定，{group}主要受理反映{inspected}领导班子及其成员、下一级党组织主要负责人和"
                "重点岗位人员问题的来信来电来访，重点是关于违反政治纪律、组织纪律、廉洁纪律、群众纪律、工作纪律和"
                "生活纪律等方面的举报和反映。"
            ),
            # xs02, xs03, xs07.
            exclusions="其他不属于{tour}受理范围的信访问题，将按规定由{inspected}和有关部门认真处理。",
            # No 巡视 notice seen ends with 特此公告 (xs01).
            closing=False,
            # Channels, then scope (xs02; xs01 has them the other way round).
            scope_first=False,
        ),
        Vocabulary(
            name="巡察",
            tour="巡察",
            kind="巡察",
            group="巡察组",
            inspected="被巡察单位",
            during="巡察期间",
            period_label="巡察时间",
            # 「巡察公告」 (xc09, xc11), 「巡 察 公 告」 (xc01, xc05).
            title="{tour}公告",
            # 「按照区委巡察工作统一安排，…从6月9日至8月23日，对…开展常规巡察」 (xc02), 「根据市委统一部署，
            # …巡察组于2023年7月6日至8月15日，对…开展…专项巡察」 (xc03); 按照 in 6 of 12 openings, 于 in 4.
            opening="[按照{authority}统一部署，]{team}于{period}对{unit}开展{kind}。",
            channels="{during}，{group}设{channels}。",
            # 「巡察期间，巡察组设立信访接待地点，设置意见信箱、电子邮箱，开通专门值班电话，接受群众来信来电来访。」
            # and one line per channel (xc03, xc04; xc01 likewise).
            listing="{during}，{group}设{channel_names}，接受来信来电来访。",
            listed=True,
            contacts="{during}（{period}），{team}设{channels}。",
            # 「巡察组受理电话的时间为工作日上午8:30至12:00，下午2:30至5:30」 (xc08), 「巡察组受理电话时间为工作日
            # 8:30-12:00、14:30-18:00」 (xc02).
            hours="{group}受理电话的时间为{days}{ranges}。",
            # The common form (7 of 15), as xc13 begins it.
            scope=(
                "根据{tour}工作职责，{group}主要受理反映{inspected}领导班子及其成员、下一级党组织主要负责人和"
                "重要岗位领导干部问题的来信来电来访，重点是关于违反政治纪律、组织纪律、廉洁纪律、群众纪律、"
                "工作纪律和生活纪律等方面的举报和反映。"
            ),
            # xc07, xc13.
            exclusions="其他不属于{tour}受理范围的信访问题，将按规定由{inspected}和有关部门认真处理。",
            # 「特此公告。」 in xc01 and xc09, 2 of the 3 whose ending survives.
            closing=True,
            # Scope, then channels (xc01, xc02).
            scope_first=True,
        ),
        Vocabulary(
            name="督察",
            tour="督察",
            kind="生态环境保护督察",
            group="督察组",
            inspected="被督察地方",
            during="督察进驻期间",
            period_label="进驻时间",
            # 「关于对邵阳市开展省级生态环境保护督察的公告」 (dc04), 「关于对咸宁市开展环境保护督察的公告」 (dc09).
            title="关于对{unit}开展{kind}的公告",
            # 「经省委、省政府批准，省第一生态环境保护督察组于2024年7月22日进驻淄博市开展生态环境保护督察工作」
            # (dc03); 「经党中央、国务院批准，中央第三生态环境保护督察组近日进驻山东省开展…」 (dc01).
            opening="[经{authority}批准，]{team}于{start}进驻{unit}开展{kind}。",
            # 「督察进驻期间（2024年7月22日至8月11日）设立专门举报电话：…，专门邮政信箱：…。」 (dc03), 「进驻期间
            # （2018年11月1日-12月1日）设立专门值班电话：…」 (dc01).
            channels="{during}（{period}）设立{channels}。",
            listing="{during}，{group}设立{channel_names}。",
            listed=False,
            contacts="{during}（{period}），{team}设立{channels}。",
            # 「督察组受理举报电话时间为每天8:00~20:00」 (dc01, dc03, dc13; 9 of 15).
            hours="{group}受理举报电话时间为{days}{ranges}。",
            # 「根据省委、省政府要求和督察组职责，…督察组主要受理邵阳市生态环境保护方面的来信来电举报。」 (dc04, dc01).
            scope="根据[{authority}要求和]{group}职责，{team}主要受理{unit}生态环境保护方面的来信来电举报。",
            # 「其他不属于受理范围的信访举报问题，将按规定交由被督察地方处理。」 (dc03; dc06 likewise).
            exclusions="其他不属于受理范围的信访举报问题，将按规定交由{inspected}处理。",
            # None of 15 ends with 特此公告.
            closing=False,
            # Channels and hours, then scope (dc01, dc03).
            scope_first=False,
        ),
    )
}
PATTERN_FIELDS = ("title", "opening", "channels", "listing", "contacts", "hours", "scope", "exclusions")


@dataclass(frozen=True)
class VocabularySetting(Record):
    """One vocabulary of the configuration: a built-in one changed, or a new one based on another."""

    name: str = spec("The vocabulary's name: 巡视, 巡察 or 督察 to change a built-in one, another name for a new one.")
    based_on: str | None = spec(
        "The vocabulary whose words a new one starts from (巡视, 巡察, 督察 or one above it); "
        "default its own name, for a built-in one.",
        default=None,
    )
    tour: str | None = spec(
        "The word of the tour (巡视); a notice whose kind or team holds it uses the vocabulary.", default=None
    )
    kind: str | None = spec("The kind printed when notice.kind is not given (生态环境保护督察).", default=None)
    group: str | None = spec("A team, in general (巡视组).", default=None)
    inspected: str | None = spec("Who is inspected, in general (被巡视单位, 被督察地方).", default=None)
    during: str | None = spec("The time the team is there (巡视期间, 督察进驻期间).", default=None)
    period_label: str | None = spec("The summary's label of the period (巡视时间, 进驻时间).", default=None)
    title: str | None = spec("Pattern of the notice's default title ({tour}公告).", default=None)
    opening: str | None = spec(
        "Pattern of the notice's opening ([根据{authority}统一部署，]{team}于{period}对{unit}开展{kind}。).",
        default=None,
    )
    channels: str | None = spec(
        "Pattern of the notice's channel sentence ({during}（{period}）设{channels}。).", default=None
    )
    listing: str | None = spec(
        "Pattern of the sentence before channels listed one per line ({during}，{group}设{channel_names}。).",
        default=None,
    )
    listed: bool | None = spec(
        "List the notice's channels one per line, after `listing`, as 巡察 notices do.", default=None
    )
    contacts: str | None = spec(
        "Pattern of the briefing's contacts paragraph, before the hours ({during}（{period}），{team}设{channels}。).",
        default=None,
    )
    hours: str | None = spec("Pattern of the hours sentence ({group}{days}受理电话的时间为{ranges}。).", default=None)
    scope: str | None = spec("Pattern of the default scope (what the team accepts).", default=None)
    exclusions: str | None = spec("Pattern of the default exclusions (what it does not accept).", default=None)
    closing: bool | None = spec("End notices with 特此公告。 unless notice.closing says otherwise.", default=None)
    scope_first: bool | None = spec("Print scope and exclusions before the channels rather than after.", default=None)

    def problems(self) -> Iterable[tuple[str, str, Any]]:
        for name in PATTERN_FIELDS:
            pattern = getattr(self, name)
            for problem in pattern_problems(pattern) if pattern else ():
                yield name, problem, pattern


def effective_vocabularies(
    settings: tuple[VocabularySetting, ...], where: Where | None = None
) -> dict[str, Vocabulary]:
    """The built-in vocabularies with the configuration's changes and additions, in order."""
    vocabularies = dict(BUILTIN)
    problems = []
    for index, setting in enumerate(settings):
        base_name = setting.based_on or setting.name
        base = vocabularies.get(base_name)
        if base is None:
            field = "based_on" if setting.based_on else "name"
            message = (
                f"no vocabulary {base_name!r} to start from; known: {', '.join(vocabularies)}"
                if setting.based_on
                else "a new vocabulary needs based_on (巡视, 巡察 or 督察) for the words it does not give"
            )
            problems.append(Problem(where or Where("configuration"), f"vocabularies[{index}].{field}", message))
            continue
        changes = {
            field.name: value
            for field in dataclasses.fields(VocabularySetting)
            if field.name not in ("name", "based_on") and (value := getattr(setting, field.name)) is not None
        }
        vocabularies[setting.name] = dataclasses.replace(base, name=setting.name, **changes)
    if problems:
        raise ConfigurationError(problems)
    return vocabularies


def vocabulary_for(publication: Publication, vocabularies: Mapping[str, Vocabulary]) -> Vocabulary:
    """The vocabulary a publication uses: named, else found in its kind, else in its team's name."""
    notice = publication.notice
    if notice.vocabulary is not None:
        named = vocabularies.get(notice.vocabulary)
        if named is None:
            raise ContentError(
                Problem(
                    publication.where("notice.vocabulary"),
                    "notice.vocabulary",
                    f"no such vocabulary; known: {', '.join(vocabularies)} (more in the configuration's vocabularies)",
                    notice.vocabulary,
                )
            )
        return named
    for text in (notice.kind, notice.team):
        found = _found_in(text, vocabularies) if text else None
        if found is not None:
            return found
    raise ContentError(
        Problem(
            publication.where("notice.team"),
            "notice.team",
            f"neither notice.kind nor notice.team names a kind of tour ({_words(vocabularies)}); "
            "set notice.vocabulary or notice.kind",
            notice.team,
        )
    )


def _words(vocabularies: Mapping[str, Vocabulary]) -> str:
    return ", ".join(dict.fromkeys(vocabulary.tour for vocabulary in vocabularies.values()))


def _found_in(text: str, vocabularies: Mapping[str, Vocabulary]) -> Vocabulary | None:
    """The vocabulary whose word comes last in `text` (专项巡察组 → 巡察; 巡视整改督察 → 督察), the longest word
    first where two end at the same place."""
    best: tuple[int, int] | None = None
    chosen = None
    for vocabulary in vocabularies.values():
        at = text.rfind(vocabulary.tour)
        if at < 0:
            continue
        rank = (at + len(vocabulary.tour), len(vocabulary.tour))
        if best is None or rank > best:
            best, chosen = rank, vocabulary
    return chosen
