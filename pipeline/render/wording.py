"""Stage 3, render: a publication's sentences in its tour's words — the notice's title, opening, channels, hours,
scope, exclusions and closing; the briefing's contacts paragraph; the summary's labels.

The templates print these and hold no word of any one kind of tour themselves: what a 巡察 notice
says differently from a 督察 notice comes from the publication's vocabulary
(`content.vocabulary`), filled with the content's facts.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from ..content.model import Channel, Publication
from ..content.vocabulary import Vocabulary, fill
from ..typeset.numerals import chinese_date, chinese_period, hours_ranges, hours_text
from ..typeset.punctuation import normalize_punctuation

# The kinds of channel as a sentence that lists them names them: 「巡察组设立信访接待地点，设置意见信箱、
# 电子邮箱，开通专门值班电话」 (xc03), 「设专门值班电话、邮政信箱、电子信箱」 (xc01).
_CHANNEL_KINDS = {
    "phone": "值班电话",
    "mailbox": "邮政信箱",
    "email": "电子邮箱",
    "web": "网上举报平台",
    "visit": "信访接待地点",
    "box": "意见箱",
}


@dataclass(frozen=True)
class Wording:
    """What the templates print of a publication's notice, in its vocabulary's words."""

    vocabulary: Vocabulary
    kind: str  # 专项巡察, or the vocabulary's kind
    title: str  # the notice's title
    opening: str
    channels: str  # the channel sentence, or the sentence before the listed channels
    channel_texts: tuple[str, ...]  # 专门值班电话：010-68334749, one per channel
    listed: bool  # the notice lists the channels one per line, after `channels`
    hours: str  # the hours sentence; empty when the notice gives no hours
    hours_text: str  # the hours alone (工作日上午9:00—12:00，下午2:00—6:00); empty without hours
    scope: str
    exclusions: str
    closing: bool  # end with 特此公告。
    scope_first: bool
    contacts: str  # the briefing's contacts paragraph: team, period, every channel, hours
    signer: str
    date: datetime.date  # under the signature
    period: str  # 2015年3月1日至4月30日

    # Labels of the summary's table of facts.
    @property
    def group_label(self) -> str:
        """A team, in general, as the summary's table labels it (巡视组, 巡察组, 督察组)."""
        return self.vocabulary.group

    @property
    def inspected_label(self) -> str:
        """Who is inspected, as the summary's table labels it (被巡视单位, 被督察地方)."""
        return self.vocabulary.inspected

    @property
    def kind_label(self) -> str:
        """The summary's label of the kind of tour (巡视类型)."""
        return f"{self.vocabulary.tour}类型"

    @property
    def period_label(self) -> str:
        """The summary's label of the period (巡视时间, 进驻时间)."""
        return self.vocabulary.period_label


def channel_text(channel: Channel) -> str:
    """专门值班电话：010-68334749, with the channel's own hours in brackets."""
    own_hours = f"（受理时间：{hours_text(channel.hours)}）" if channel.hours else ""
    return f"{channel.name}：{channel.value}{own_hours}"


def _channel_list(channels: tuple[Channel, ...]) -> str:
    """Channels in one sentence, parted by commas (专门值班电话：…，专门邮政信箱：…) as most notices do, or by
    semicolons where there are many, or where a value or an hours bracket has commas of its own."""
    texts = [channel_text(channel) for channel in channels]
    long = len(texts) > 3 or any(channel.hours for channel in channels) or any("，" in text for text in texts)
    return ("；" if long else "，").join(texts)


def wording(publication: Publication, vocabulary: Vocabulary) -> Wording:
    """The publication's sentences in `vocabulary`'s words; `publication` as it will be printed."""
    notice = publication.notice
    kind = notice.kind or vocabulary.kind
    values = {
        **vocabulary.words(),
        "team": notice.team,
        "unit": notice.unit,
        "kind": kind,
        "authority": notice.authority or "",
        "period": chinese_period(notice.period),
        "start": chinese_date(notice.period.start),
        "end": chinese_date(notice.period.end),
        "channels": _channel_list(notice.channels),
        "channel_names": "、".join(dict.fromkeys(_CHANNEL_KINDS[channel.type] for channel in notice.channels)),
        "hours": hours_text(notice.hours) if notice.hours else "",
        "days": (notice.hours.days or "") if notice.hours else "",
        "ranges": hours_ranges(notice.hours) if notice.hours else "",
    }
    tidy = normalize_punctuation if publication.options.normalize_punctuation else _as_is

    def say(pattern: str) -> str:
        # The pattern's own marks are tidied; the values, tidied field by field already, go in as they are:
        # a mark typed in a value (an apostrophe in an address) is the content's, not the sentence's.
        return fill(tidy(pattern), values)

    hours = say(vocabulary.hours) if notice.hours else ""
    listed = vocabulary.listed
    return Wording(
        vocabulary=vocabulary,
        kind=kind,
        title=notice.title or say(vocabulary.title),
        opening=notice.opening or say(vocabulary.opening),
        channels=say(vocabulary.listing if listed else vocabulary.channels),
        channel_texts=tuple(channel_text(channel) for channel in notice.channels),
        listed=listed,
        hours=hours,
        hours_text=values["hours"],
        scope=notice.scope or say(vocabulary.scope),
        exclusions=notice.exclusions or say(vocabulary.exclusions),
        closing=vocabulary.closing if notice.closing is None else notice.closing,
        scope_first=vocabulary.scope_first,
        contacts=say(vocabulary.contacts) + hours,
        signer=notice.signer or notice.team,
        date=notice.date or publication.date,
        period=values["period"],
    )


def _as_is(text: str) -> str:
    return text
