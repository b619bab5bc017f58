"""Generated stress content: long mixed Chinese–Latin–digit paragraphs, a 60-character title, many channels."""

from __future__ import annotations

import random

import yaml

SEED_WORDS = (
    "巡视工作",
    "全面从严治党",
    "党风廉政建设",
    "反腐败斗争",
    "领导班子",
    "监督检查",
    "问题线索",
    "整改落实",
    "主体责任",
    "政治纪律",
    "选拔任用",
    "资金管理",
    "资产处置",
    "工程项目",
    "体制机制",
    "权力清单",
)
MIXED = (
    "GB/T 9704-2012",
    "010-68334749",
    "2015年3月1日",
    "8:00—20:00",
    "www.ccdi.gov.cn",
    "PDF",
    "Word",
    "12.5%",
    "3月1日—4月30日",
    "ISO 8601",
    "No. 1006",
    "2个月",
    "31个省区市",
    "HarfBuzz",
)
PUNCTUATION = ("，", "，", "、", "；", "：", "。")


def paragraph(rng: random.Random, length: int, mixed: bool) -> str:
    parts: list[str] = []
    size = 0
    while size < length:
        piece = rng.choice(MIXED) if mixed and rng.random() < 0.3 else rng.choice(SEED_WORDS)
        if rng.random() < 0.12:
            piece = f"“{piece}”"
        if rng.random() < 0.08:
            piece = f"（{piece}）"
        parts.append(piece)
        parts.append(rng.choice(PUNCTUATION[:-1]) if rng.random() < 0.35 else "")
        size += len(piece) + 1
    return "".join(parts).rstrip("，、；：") + "。"


def stress_content(
    seed: int = 7,
    sections: int = 4,
    paragraphs: int = 4,
    mixed: bool = True,
    channels: int = 8,
    scope_factor: int = 1,
    title: str | None = None,
) -> str:
    rng = random.Random(seed)
    content = {
        "schema": 1,
        "title": title
        or (
            "关于进一步加强和改进新形势下中央巡视工作推动全面从严治党向纵深发展"
            "深化政治巡视坚持发现问题形成震慑推动改革促进发展的若干意见"
        ),
        "issuer": "中央巡视工作领导小组办公室",
        "date": "2015-03-02",
        "briefing": {
            "sections": [
                {
                    "heading": rng.choice(SEED_WORDS) + "情况",
                    "paragraphs": [paragraph(rng, rng.randint(60, 260), mixed) for _ in range(paragraphs)],
                    "sections": [{"heading": rng.choice(SEED_WORDS), "paragraphs": [paragraph(rng, 120, mixed)]}],
                }
                for _ in range(sections)
            ]
        },
        "summary": {"points": [paragraph(rng, 40, mixed) for _ in range(5)]},
        "notice": {
            "team": "中央第十巡视组",
            "unit": "中国通用技术集团公司",
            "kind": "专项巡视",
            "period": {"start": "2015-03-01", "end": "2015-04-30"},
            "hours": {"days": "每天", "start": "8:00", "end": "20:00"},
            "channels": [
                {"type": "phone", "label": f"值班电话{index + 1}", "value": f"010-6833{4749 + index}"}
                for index in range(channels)
            ],
            "scope": "中央巡视组主要受理反映中国通用技术集团公司领导班子成员、下一级领导班子成员"
            "和重要岗位领导干部问题的来信来电来访，"
            "重点是关于党风廉政建设、作风建设、执行政治纪律和选拔任用干部方面的举报和反映。" * scope_factor,
            "exclusions": "其他不属于巡视受理范围的信访问题，将按规定由被巡视单位和有关部门认真处理。",
        },
    }
    return yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
