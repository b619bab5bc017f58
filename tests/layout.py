"""A layout checker for the produced PDFs: reads glyph positions back and measures them against GB/T 9704.

It knows nothing of how the PDF was made. Lines are rebuilt from the glyphs pdfplumber reports
(their advance boxes); a line belongs to the body when it is drawn at the body size inside the type
area; a paragraph starts with a line indented two cells, so every body line followed by a line of
the same paragraph is a full line and must end at the right edge. The 主送机关 (flush-left lines under
the title, the last ending in ：) breaks between organs and is not justified (GB/T 9704 7.3.2).

Each full line's spacing is read from the gaps between its Chinese characters: the widest gap beyond
the grid's is the line's added spacing (the worst line of a document is reported), and a gap half an
em narrower than the line's beside a mark is a mark compressed to half its cell.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from pdfread import chars, rules

MM = 72 / 25.4
PAGE_WIDTH = 210 * MM
PAGE_HEIGHT = 297 * MM
TOP = 37 * MM
TYPE_HEIGHT = 225 * MM
TYPE_WIDTH = 156 * MM
BINDING = 28 * MM
OUTER = 26 * MM
PAGE_NUMBER_GAP = 7 * MM
EM_BOX_ASCENT = 0.88  # ideographic em box of CJK faces: 0.88 em above the baseline
CLOSING = set("，。、；：！？）》」』”’…")
HANGING = set("，。、；：！？")  # may hang into the right margin; the character before it is then the edge
OPENING = set("（《「『“‘")
MARKS = CLOSING | OPENING
_CJK = re.compile(r"^[\u3400-\u9fff\u3000-\u303f\uff00-\uffef“”‘’—…]+$")
_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
FLUSH_PT = 0.02  # how far a full line may end from the right edge: the engine draws glyphs where the composer puts them
COMPRESSED_GAP = 0.4  # ems a gap beside a mark falls short of the line's when the mark is compressed (0.5 em)


@dataclass
class Line:
    page: int  # 1-based
    top: float
    baseline: float
    x0: float
    x1: float
    size: float
    text: str
    fonts: set[str]
    before_last_x1: float  # where the character before the last ends (for a mark hanging in the margin)
    glyphs: list[tuple[str, float, float]] = field(default_factory=list)  # (text, x0, x1) of each character

    def gaps(self) -> list[tuple[str, str, float]]:
        """(character, next character, space between them) along the line."""
        return [(a[0], b[0], b[1] - a[2]) for a, b in zip(self.glyphs, self.glyphs[1:], strict=False)]


@dataclass
class Report:
    pages: int = 0
    lines_per_full_page: dict[int, int] = field(default_factory=dict)
    full_line_cells: list[int] = field(default_factory=list)  # pure-Chinese full lines, indent counted
    right_gaps: list[tuple[int, str, float]] = field(default_factory=list)  # (page, text, gap) of every full line
    bad_starts: list[tuple[int, str]] = field(default_factory=list)
    bad_ends: list[tuple[int, str]] = field(default_factory=list)
    lonely_last_lines: list[tuple[int, str]] = field(default_factory=list)
    margin_errors: list[str] = field(default_factory=list)
    page_number_errors: list[str] = field(default_factory=list)
    body_lines: list[Line] = field(default_factory=list)
    hanging_lines: int = 0
    addressee_lines: list[Line] = field(default_factory=list)  # 主送机关, under the title
    stretches: list[tuple[int, str, float]] = field(default_factory=list)  # (page, text, ems added) of full lines
    compressed_marks: int = 0
    end_block_page: int | None = None  # the page whose last rule sits on the type area's bottom edge (版记)
    unnumbered_pages: list[int] = field(default_factory=list)  # a blank page before the 版记's and that page

    @property
    def worst_line(self) -> tuple[int, str, float]:
        """The full line with the most spacing added between two Chinese characters, in ems."""
        return max(self.stretches, key=lambda item: item[2], default=(0, "", 0.0))

    @property
    def worst_right_gap(self) -> float:
        return max((abs(gap) for _, _, gap in self.right_gaps), default=0.0)

    def share_of_cells(self, cells: int) -> float:
        return self.full_line_cells.count(cells) / len(self.full_line_cells) if self.full_line_cells else 1.0


def left_edge(page: int, one_sided: bool = False) -> float:
    """Type area's left edge: binding margin on odd pages, outer margin on even ones (two-sided)."""
    return BINDING if one_sided or page % 2 == 1 else OUTER


def read_lines(path: Path) -> list[Line]:
    lines = []
    for number, page in enumerate(chars(path), start=1):
        rows: dict[tuple[float, float], list[dict]] = defaultdict(list)
        for char in page:
            baseline = char["matrix"][5]
            rows[(round(baseline, 1), round(char["size"], 1))].append(char)
        for (baseline, size), row in rows.items():
            row.sort(key=lambda char: char["x0"])
            text = "".join(char["text"] for char in row)
            if not text.strip():
                continue
            top = min(char["top"] for char in row)
            lines.append(
                Line(
                    number,
                    top,
                    baseline,
                    row[0]["x0"],
                    row[-1]["x1"],
                    size,
                    text,
                    {char["fontname"].split("+")[-1] for char in row},
                    row[-2]["x1"] if len(row) > 1 else row[-1]["x0"],
                    [(char["text"], char["x0"], char["x1"]) for char in row],
                )
            )
    lines.sort(key=lambda line: (line.page, line.top, line.x0))
    return lines


def check(
    path: Path, body_size: float = 16.0, one_sided: bool = False, tolerance: float = 0.5, page_numbers: bool = True
) -> Report:
    lines = read_lines(path)
    report = Report(pages=max((line.page for line in lines), default=0))
    cells = round(TYPE_WIDTH / body_size)
    cell = body_size + (TYPE_WIDTH - cells * body_size) / (cells - 1)
    page_numbers = [line for line in lines if line.top > TOP + TYPE_HEIGHT]
    text_lines = [line for line in lines if line.top <= TOP + TYPE_HEIGHT]

    # Body lines: body size, starting at the left edge or two cells in.
    body = []
    for line in text_lines:
        left = left_edge(line.page, one_sided)
        indent = round((line.x0 - left) / cell, 2)
        if abs(line.size - body_size) < 0.2 and (abs(indent) < 0.05 or abs(indent - 2) < 0.05):
            body.append((line, indent > 1))
    report.body_lines = [line for line, _ in body]

    # 主送机关: flush-left lines right under the title, the last ending in ：; not justified.
    addressee = _addressee(body, text_lines)
    report.addressee_lines = [line for line, _ in body if id(line) in addressee]
    body = [(line, indented) for line, indented in body if id(line) not in addressee]
    grid_gap = cell - body_size

    # Full lines: followed, in reading order, by an unindented body line of the same flow.
    for index, (line, indented) in enumerate(body):
        following = body[index + 1] if index + 1 < len(body) else None
        in_same_paragraph = following is not None and not following[1] and _next_in_flow(line, following[0], text_lines)
        left = left_edge(line.page, one_sided)
        right = left + TYPE_WIDTH
        hanging = line.text[-1] in HANGING and line.x1 > right + tolerance
        edge = line.before_last_x1 if hanging else line.x1
        if line.text[0] in CLOSING:
            report.bad_starts.append((line.page, line.text))
        if line.text[-1] in OPENING:
            report.bad_ends.append((line.page, line.text))
        if line.x0 < left - tolerance or edge > right + tolerance or line.x1 > right + line.size + tolerance:
            report.margin_errors.append(f"page {line.page}: line outside the type area: {line.text[:12]}…")
        if in_same_paragraph:
            report.right_gaps.append((line.page, line.text, round(right - edge, 3)))
            gaps = line.gaps()
            between = [gap for first, second, gap in gaps if _IDEOGRAPH.match(first) and _IDEOGRAPH.match(second)]
            usual = sorted(between)[len(between) // 2] if between else grid_gap
            compressed = sum(
                1
                for first, second, gap in gaps
                if (first in MARKS or second in MARKS) and gap < usual - COMPRESSED_GAP * line.size
            )
            report.compressed_marks += compressed
            if between:
                report.stretches.append((line.page, line.text, round((max(between) - grid_gap) / line.size, 4)))
            if _CJK.match(line.text):  # a compressed mark takes half a cell
                report.full_line_cells.append(round(len(line.text) - hanging - compressed / 2 + (2 if indented else 0)))
            report.hanging_lines += hanging
        else:
            real = [char for char in line.text if char not in CLOSING and not char.isspace()]
            if len(real) < 2 and not indented:
                report.lonely_last_lines.append((line.page, line.text))

    # Lines per page: pages other than the last whose text is all body lines on the grid.
    by_page: dict[int, list[Line]] = defaultdict(list)
    for line in text_lines:
        by_page[line.page].append(line)
    body_set = {id(line) for line, _ in body}
    for page, page_lines in by_page.items():
        if page == report.pages:
            continue
        if all(id(line) in body_set for line in page_lines):
            report.lines_per_full_page[page] = len(page_lines)
        top_line = min(page_lines, key=lambda line: line.top)
        if top_line.top < TOP - tolerance:
            report.margin_errors.append(f"page {page}: text above the type area")

    # 版记: the page whose last rule sits on the bottom edge of the type area; GB/T 9704 7.5: a blank page
    # before it, and its own page then, carry no page number.
    for number, page_rules in enumerate(rules(path), start=1):
        if page_rules and abs(page_rules[-1]["bottom"] - (TOP + TYPE_HEIGHT)) < tolerance:
            report.end_block_page = number
    written = {line.page for line in text_lines}
    if report.end_block_page and report.end_block_page - 1 not in written and report.end_block_page > 1:
        report.unnumbered_pages = [report.end_block_page - 1, report.end_block_page]
    if report.end_block_page is not None and report.end_block_page != report.pages:
        report.margin_errors.append(f"page {report.end_block_page}: the 版记 is not on the last page")

    # Page numbers: — N — in the standard corner, 7 mm below the type area.
    for page in range(1, report.pages + 1 if page_numbers else 1):
        found = [line for line in page_numbers if line.page == page]
        if page in report.unnumbered_pages:
            if found:
                report.page_number_errors.append(f"page {page}: numbered, but a blank page precedes the 版记")
            continue
        if not found:
            report.page_number_errors.append(f"page {page}: no page number")
            continue
        number = found[0]
        if re.sub(r"\s+", " ", number.text.strip()) != f"— {page} —":
            report.page_number_errors.append(f"page {page}: page number reads {number.text!r}")
        left = left_edge(page, one_sided)
        one_char = number.size
        if page % 2 == 1 and abs((left + TYPE_WIDTH - one_char) - number.x1) > tolerance:
            report.page_number_errors.append(
                f"page {page}: odd page number ends at {number.x1:.2f}, expected {left + TYPE_WIDTH - one_char:.2f}"
            )
        if page % 2 == 0 and abs((left + one_char) - number.x0) > tolerance:
            report.page_number_errors.append(
                f"page {page}: even page number starts at {number.x0:.2f}, expected {left + one_char:.2f}"
            )
        em_top = (PAGE_HEIGHT - number.baseline) - EM_BOX_ASCENT * number.size
        expected = TOP + TYPE_HEIGHT + PAGE_NUMBER_GAP
        if abs(em_top - expected) > 0.5 * MM:
            report.page_number_errors.append(
                f"page {page}: page number's top is {(em_top - TOP - TYPE_HEIGHT) / MM:.2f} mm "
                "below the type area, expected 7 mm"
            )
        if abs(number.size - 14) > 0.1:
            report.page_number_errors.append(f"page {page}: page number at {number.size} pt, expected 14 pt")
    return report


def _addressee(body: list[tuple[Line, bool]], all_lines: list[Line]) -> set[int]:
    """Ids of the 主送机关's lines: unindented body lines right after the title, up to one ending in ：."""
    titles = [line for line in all_lines if line.page == 1 and line.size > 20]
    if not titles:
        return set()
    last_title = max(titles, key=lambda line: line.top)
    after = [(line, indented) for line, indented in body if (line.page, line.top) > (1, last_title.top)]
    found: list[Line] = []
    for line, indented in after:
        if indented:
            return set()
        found.append(line)
        if line.text.endswith("："):
            return {id(line) for line in found}
    return set()


def _next_in_flow(line: Line, following: Line, all_lines: list[Line]) -> bool:
    """True when nothing but the page break stands between two body lines."""
    between = [
        other
        for other in all_lines
        if (line.page, line.top) < (other.page, other.top) < (following.page, following.top)
    ]
    return not between


def summary(report: Report) -> str:
    """The report as a reader wants it: the figures the issue asks for."""
    from collections import Counter

    cells = Counter(report.full_line_cells)
    total = sum(cells.values()) or 1
    page, text, worst = report.worst_line
    return "\n".join(
        [
            f"pages: {report.pages}",
            f"worst line: {worst:.3f} em added between Chinese characters (page {page}: {text[:20]}…); "
            f"full lines beyond 0.15 em: {sum(1 for _, _, added in report.stretches if added > 0.15 + 0.002)}",
            f"marks compressed to half a cell: {report.compressed_marks}",
            f"主送机关 lines: {len(report.addressee_lines)}; 版记 on page {report.end_block_page}; "
            f"pages without a number (blank page and 版记): {report.unnumbered_pages}",
            f"lines per full page: {sorted(report.lines_per_full_page.items())}",
            f"pure-Chinese full lines: {total}, cells: {dict(sorted(cells.items()))} ({cells[28] / total:.1%} at 28)",
            f"full lines: {len(report.right_gaps)} ({report.hanging_lines} with a mark hanging in the margin), "
            f"worst right-edge gap: {report.worst_right_gap:.3f} pt",
            f"lines starting with closing punctuation: {len(report.bad_starts)}; "
            f"ending with opening: {len(report.bad_ends)}",
            f"single-character last lines: {len(report.lonely_last_lines)}",
            f"margin problems: {report.margin_errors or 0}",
            f"page-number problems: {report.page_number_errors or 0}",
        ]
    )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Measure a produced PDF against GB/T 9704.")
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--body-size", type=float, default=16.0)
    parser.add_argument("--one-sided", action="store_true")
    parser.add_argument("--no-page-numbers", action="store_true")
    arguments = parser.parse_args()
    print(
        summary(
            check(arguments.pdf, arguments.body_size, arguments.one_sided, page_numbers=not arguments.no_page_numbers)
        )
    )
