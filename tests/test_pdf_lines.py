"""Composed lines handed to WeasyPrint as laid out (`pipeline/pdf/lines.py`): what that relies on in WeasyPrint's
private behaviour, so that an upgrade that changes it fails here, loudly, rather than moving glyphs.

Each test lays out a small document with the PDF engine and reads it back: the glyphs drawn in the PDF, and the
laid-out boxes (one text box per composed line, its Pango glyph run, as the OFD writer reads them).
"""

from __future__ import annotations

import inspect
import io
import shutil
from pathlib import Path

import pdfplumber
import pytest
from helpers import SEED_CONTENT, run_cli
from layout import FLUSH_PT, check
from weasyprint.formatting_structure import boxes
from weasyprint.layout import inline
from weasyprint.text.ffi import FROM_UNITS, ffi, pango

from pipeline.config import builtin_templates
from pipeline.pdf import lines
from pipeline.pdf.engine import PdfEngine
from pipeline.render.documents import RenderedPdf
from pipeline.typeset import markup
from pipeline.typeset.fonts import resolve_fonts
from pipeline.typeset.markup import ComposedLine, ComposedTextChangedError, composed_html, read_lines
from pipeline.typeset.shaping import Shaper
from pipeline.typeset.subset import subset_face

SIZE = 16.0  # points
PX = 0.75  # points per CSS pixel
TEXT = "中央第十巡视组，进驻“GB/T 9704”。8:00—20:00受理"
# Two lines: the grid's spacing with a few gaps a thousandth wider, a compressed mark, a word kept tight (GB/T),
# a space dropped at the break; then a fraction of a thousandth (a title's grid spacing), on a line of digits.
LINES = (
    ComposedLine(0, 15, (-13, -12, -12, -13, -13, -13, -13, -513, -13, -13, -13, 0, 0, 0, 25)),
    ComposedLine(16, 33, (-13.3125,) * 17),
)


@pytest.fixture(scope="module")
def body_face():
    return resolve_fonts()["body"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lines")


@pytest.fixture(scope="module")
def engine(folder):
    return PdfEngine((folder,))


@pytest.fixture(scope="module")
def font(body_face, folder) -> Path:
    """The body face cut to the text, as documents hand it to the engine (Chinese forms in its character map)."""
    shaper = Shaper(body_face)
    shaper.advances(TEXT, SIZE)
    path = folder / "body.otf"
    path.write_bytes(subset_face(shaper))
    return path


def lay_out(engine: PdfEngine, body: str, font: Path):
    html = (
        f'<!DOCTYPE html><html lang="zh-CN"><body style="margin:0"><p style="margin:0;font-size:{SIZE}pt;'
        f'font-family:body;font-kerning:none;font-variant-ligatures:none">{body}</p></body></html>'
    )
    stylesheet = f'@page {{ size: A4; margin: 10mm }} @font-face {{ font-family: body; src: url("{font.as_uri()}") }}'
    return engine.layout(RenderedPdf(html, stylesheet), font.parent)


def text_boxes(laid_out) -> list:
    found, stack = [], [laid_out.document.pages[0]._page_box]
    while stack:
        box = stack.pop()
        if isinstance(box, boxes.TextBox):
            found.append(box)
        stack.extend(reversed(getattr(box, "children", ())))
    return found


def expected_positions(face, text: str, line: ComposedLine) -> list[float]:
    """Where each character of the line should start, in points from the line's start."""
    advances = Shaper(face).advances(text[line.start : line.end], SIZE)
    positions, pen = [], 0.0
    for advance, gap in zip(advances, line.gaps, strict=True):
        positions.append(pen)
        pen += advance + gap * SIZE / 1000
    return positions


def test_the_splitter_replaced_is_the_one_weasyprint_calls(engine):
    assert inline.split_text_box is lines._split_text_box
    parameters = list(inspect.signature(lines._original_split_text_box).parameters)
    assert parameters == ["context", "box", "available_width", "skip", "is_line_start"]


def test_the_attribute_round_trips():
    markup = composed_html(TEXT, LINES)
    record = markup.split('data-gw-lines="')[1].split('"')[0]
    assert read_lines(record) == list(LINES)
    assert read_lines("0:3:1 2") == []  # two gaps for three characters: not a composed line


def test_every_glyph_lands_where_the_line_was_composed(engine, body_face, font):
    laid_out = lay_out(engine, composed_html(TEXT, LINES), font)
    assert laid_out.messages == []
    data = engine.write(laid_out)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        drawn = sorted(pdf.pages[0].chars, key=lambda char: (round(char["top"]), char["x0"]))
    rows: dict[int, list[dict]] = {}
    for char in drawn:
        rows.setdefault(round(char["top"]), []).append(char)
    assert len(rows) == 2
    for line, row in zip(LINES, rows.values(), strict=True):
        shown = TEXT[line.start : line.end]
        row = [char for char in row if char["text"] != " "] if " " not in shown else row
        assert "".join(char["text"] for char in row) == shown
        start = row[0]["x0"]
        for char, position in zip(row, expected_positions(body_face, TEXT, line), strict=True):
            assert char["x0"] - start == pytest.approx(position, abs=0.002), (char["text"], shown)


def test_each_line_is_one_text_box_with_its_glyph_run(engine, body_face, font):
    laid_out = lay_out(engine, composed_html(TEXT, LINES), font)
    found = [box for box in text_boxes(laid_out) if box.text.strip()]
    assert [box.text for box in found] == [TEXT[line.start : line.end] for line in LINES]
    for box, line in zip(found, LINES, strict=True):
        layout = box.pango_layout
        assert isinstance(layout, lines.ComposedLineLayout)
        layout.reactivate(box.style)  # as a reader of the boxes does: the layout kept, not shaped again
        pango_line = pango.pango_layout_get_line_readonly(layout.layout, 0)
        pen, starts = 0, []
        run = pango_line.runs
        while run != ffi.NULL:
            glyphs = run.data.glyphs
            for index in range(glyphs.num_glyphs):
                starts.append((pen + glyphs.glyphs[index].geometry.x_offset) * FROM_UNITS * PX)
                pen += glyphs.glyphs[index].geometry.width
            run = run.next
        layout.deactivate()
        assert pen * FROM_UNITS == pytest.approx(box.width, abs=1e-9)
        # Pango's own positions (what a reader of the boxes sees) agree with the PDF's within a thousandth of an em
        # and a half: the writer truncates its spacing to whole thousandths, and an offset moves a glyph in both.
        for start, position in zip(starts, expected_positions(body_face, TEXT, line), strict=True):
            assert start == pytest.approx(position, abs=0.0015 * SIZE)


def test_a_record_that_does_not_fit_the_text_stops_the_layout(engine, font):
    """Lines that no longer start where they were composed would run off the page unbroken: refused instead."""
    broken = composed_html("中央第十巡视组", [ComposedLine(0, 9, (0,) * 9)])  # more characters than the text
    with pytest.raises(ComposedTextChangedError):
        lay_out(engine, broken, font)


def test_a_style_that_changes_a_composed_paragraph_is_one_line_and_text_transform_is_ignored(tmp_path):
    """`::first-letter` splits a paragraph's text: one located line and exit status 1. A
    `text-transform` would change the characters the lines were composed from: the engine's own rule sets it aside."""
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(SEED_CONTENT, content / "seed.yaml")
    template = (builtin_templates() / "briefing.html.j2").read_text(encoding="utf-8")
    rules = {"first": "p.note::first-letter{font-size:30pt}", "upper": "p.body{text-transform:full-width}"}
    for name, rule in rules.items():
        folder = tmp_path / name
        folder.mkdir()
        changed = template.replace('<p class="note">', f'<style>{rule}</style><p class="note">', 1)
        assert changed != template
        (folder / "briefing.html.j2").write_text(changed, encoding="utf-8")
    first = run_cli("build", "-q", "-o", "out1", "--templates", "first", "content", cwd=tmp_path)
    assert first.returncode == 1
    assert first.stderr.splitlines()[0].startswith(
        "first/briefing.html.j2: briefing.html.j2: a style changes the text of a composed paragraph"
    ), first.stderr
    upper = run_cli("build", "-q", "-o", "out2", "--templates", "upper", "content", cwd=tmp_path)
    assert upper.returncode == 0, upper.stderr
    assert check(tmp_path / "out2" / "seed" / "briefing.pdf").worst_right_gap <= FLUSH_PT


# ---- a paragraph that holds only its composed span carries the record itself ----


def test_a_paragraph_holding_only_its_span_carries_the_record_itself():
    record = 'data-gw-lines="0:2:-13x2"'
    span = f'<span class="gw-lines" {record}>巡视</span>'
    assert markup.hoisted(f'<p class="body" style="x">{span}</p>') == f'<p class="body" style="x" {record}>巡视</p>'
    assert markup.hoisted(f"<h2>{span}</h2>\n<p>{span}</p>") == f"<h2 {record}>巡视</h2>\n<p {record}>巡视</p>"
    kept = (
        f"<p>前{span}</p>",  # more than the span
        f'<p class="copy-to">{span}<span class="right">x</span></p>',
        f"<p {record}>{span}</p>",  # an attribute of that name already
        f"<p>{span}</div>",  # not the element's end
    )
    for html in kept:
        assert markup.hoisted(html) == html, html


def test_generated_content_beside_a_paragraph_that_carries_its_record_is_drawn_as_beside_its_span(tmp_path):
    """`p.note::after { content: … }` drew after the note's span; the note now carries its record itself, and the
    generated text is still drawn after it, not refused as a change to the composed text."""
    content = tmp_path / "content"
    content.mkdir()
    shutil.copy(SEED_CONTENT, content / "seed.yaml")
    folder = tmp_path / "templates"
    folder.mkdir()
    template = (builtin_templates() / "briefing.html.j2").read_text(encoding="utf-8")
    changed = template.replace('<p class="note">', '<style>p.note::after{content:"（完）"}</style><p class="note">', 1)
    assert changed != template
    (folder / "briefing.html.j2").write_text(changed, encoding="utf-8")
    result = run_cli("build", "-q", "-o", "out", "--templates", "templates", "content", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    with pdfplumber.open(tmp_path / "out" / "seed" / "briefing.pdf") as pdf:
        assert "动员会召开）（完）" in pdf.pages[-1].extract_text().replace("\n", "")
