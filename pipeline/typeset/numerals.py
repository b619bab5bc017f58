"""Stage 2, typeset: numbers, dates, periods and hours as Chinese official documents write them
(十二, 2015年3月1日, 2015年3月1日至4月30日, 每天8:00—20:00, 工作日上午9:00—12:00，下午2:00—6:00)."""

from __future__ import annotations

import datetime

from ..content.model import Hours, Period, TimeRange, twelve_hour


def chinese_date(date: datetime.date) -> str:
    """2015年3月1日: Arabic numerals, no zero padding."""
    return f"{date.year}年{date.month}月{date.day}日"


_DIGITS = "零一二三四五六七八九"


def chinese_number(number: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九."""
    if not 0 < number < 100:
        raise ValueError(f"heading numbers run from 1 to 99, got {number}")
    tens, units = divmod(number, 10)
    text = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return text + (_DIGITS[units] if units else "")


def chinese_period(period: Period) -> str:
    """2015年3月1日至4月30日 (the year written once when both dates share it)."""
    end = chinese_date(period.end)
    if period.end.year == period.start.year:
        end = end.split("年", 1)[1]
    return f"{chinese_date(period.start)}至{end}"


def range_text(span: TimeRange, clock: int = 24) -> str:
    """下午2:00—6:00 (label, then the times on the given clock)."""
    show = twelve_hour if clock == 12 else str
    return f"{span.label or ''}{show(span.start)}—{show(span.end)}"


def hours_ranges(hours: Hours) -> str:
    """The ranges without their days: 9:00—12:00、14:00—18:00; labelled ranges are parted by a comma, as
    published notices part them: 上午9:00—12:00，下午2:00—6:00."""
    separator = "，" if any(span.label for span in hours.ranges) else "、"
    return separator.join(range_text(span, hours.clock) for span in hours.ranges)


def hours_text(hours: Hours) -> str:
    """每天8:00—20:00, 工作日9:00—12:00、14:00—18:00, or 工作日上午9:00—12:00，下午2:00—6:00."""
    return f"{hours.days or ''}{hours_ranges(hours)}"
