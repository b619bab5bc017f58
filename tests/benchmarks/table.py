"""Rows of the benchmark table: a measured figure, the issue's target beside it, and how both are printed and saved."""

from __future__ import annotations

from dataclasses import dataclass, field

from measure import median

NOT_AVAILABLE = "n/a (not available)"


@dataclass(frozen=True)
class Target:
    limit: float
    at_most: bool = True  # the figure must be ≤ limit; False: ≥ limit

    def met(self, value: float) -> bool:
        return value <= self.limit if self.at_most else value >= self.limit


def at_most(limit: float) -> Target:
    return Target(limit)


def at_least(limit: float) -> Target:
    return Target(limit, at_most=False)


def shown(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.2f} s"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 10 else f"{value:.0f} ms"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "KB":
        return f"{value:.1f} KB"
    if unit == "%":
        return f"{value:+.1f} %"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    return f"{value:g} {unit}".strip()


@dataclass
class Row:
    section: str
    key: str
    label: str
    unit: str
    samples: list[float] = field(default_factory=list)
    target: Target | None = None
    note: str = ""
    fixed: float | None = None  # a figure derived from other rows (a ratio), not a median of samples

    @property
    def value(self) -> float | None:
        if self.fixed is not None:
            return self.fixed
        return median(self.samples) if self.samples else None

    @property
    def ok(self) -> bool | None:
        value = self.value
        return None if value is None or self.target is None else self.target.met(value)

    def cells(self) -> tuple[str, str, str]:
        """Measured figure, target, and the mark: ok, MISSED, or why there is no figure."""
        value = self.value
        target = ""
        if self.target is not None:
            target = f"(target {'≤' if self.target.at_most else '≥'} {shown(self.target.limit, self.unit)})"
        if value is None:
            return NOT_AVAILABLE, target, self.note
        mark = {True: "ok", False: "MISSED", None: ""}[self.ok]
        return shown(value, self.unit), target, f"{mark}  {self.note}".strip()

    def as_json(self) -> dict:
        return {
            "section": self.section,
            "key": self.key,
            "label": self.label,
            "unit": self.unit,
            "value": self.value,
            "samples": self.samples,
            "target": None if self.target is None else {"limit": self.target.limit, "at_most": self.target.at_most},
            "ok": self.ok,
            "note": self.note,
        }


def render(rows: list[Row]) -> str:
    label_width = max(len(row.label) for row in rows) + 2
    measured_width = max(len(row.cells()[0]) for row in rows)
    lines, section = [], None
    for row in rows:
        if row.section != section:
            section = row.section
            lines.append(("" if not lines else "\n") + section)
        measured, target, mark = row.cells()
        lines.append(f"  {row.label:<{label_width}}{measured:>{measured_width}}  {target:<20}  {mark}".rstrip())
    return "\n".join(lines)
