"""Stage 2, typeset: the typesetting of one PDF — the template filters that compose lines, and the fonts they used.

A `Typesetter` belongs to one document. Templates call it through filters (`paragraph`,
`balanced`, `signature`); it measures with the resolved faces, composes lines on the grid, and
remembers every glyph, so that afterwards `font_files()` can hand the PDF engine each face cut
down to the document, and `missing()` can name any character a face cannot draw.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from markupsafe import Markup, escape

from . import gbt9704
from .compose import STRETCH_LIMIT_EM, Composer
from .fonts import ROLES, ResolvedFace
from .markup import lines_html, uniform_lines_html
from .numerals import chinese_date
from .organs import line_width, organ_lines
from .shaping import EM_BOX_ASCENT, Shaper
from .subset import FontFile, subset_face
from .titles import balanced_lines

# What the PDF engine draws itself, beyond the document's text: page numbers.
_PAGE_NUMBER_TEXT = "— 0123456789 —"


@dataclass(frozen=True)
class LooseLine:
    """A full line spaced more than the stretch limit between its characters: no breaks and no compressed
    marks avoided it (a long unbreakable run after a short stretch of text). The build reports it."""

    text: str
    stretch: float  # ems added between characters beyond the grid's
    following: str  # the next line, which begins with the run that could not join this one


@dataclass
class Typesetter:
    faces: dict[str, ResolvedFace]
    grid: gbt9704.TextGrid = gbt9704.STANDARD_GRID
    shapers: dict[str, Shaper] = field(default_factory=dict)
    loose_lines: list[LooseLine] = field(default_factory=list)
    names: tuple[str, ...] = ()  # names and words titles never break inside

    def __post_init__(self) -> None:
        # Roles drawn with the same face (body and page numbers, with the stand-ins) share one
        # shaper, and so one cut-down font in the PDF.
        by_face: dict[tuple[str, int], Shaper] = {}
        for role in ROLES:
            face = self.faces[role]
            self.shapers[role] = by_face.setdefault((face.path, face.index), Shaper(face))

    def composer(self, role: str, size: float | None = None) -> Composer:
        size = size or self.grid.size
        cell = self.grid.cell if size == self.grid.size else size
        return Composer(self.shapers[role], size, gbt9704.TYPE_WIDTH, cell)

    # ---- filters for templates ----

    def paragraph(self, text: str, role: str = "body", indent: float = 2) -> Markup:
        """A justified paragraph: every line but the last flush at both edges, the first indented."""
        composer = self.composer(role)
        lines = composer.lines(text, indent)
        for line, following in zip(lines, lines[1:], strict=False):
            stretch = line.stretch(composer.grid_spacing, composer.size)
            if stretch > STRETCH_LIMIT_EM + 0.0005:
                self.loose_lines.append(
                    LooseLine(text[line.start : line.end], stretch, text[following.start : following.end])
                )
        return lines_html(text, lines, composer.size)

    def balanced(self, text: str, role: str = "title", size: float | None = None) -> Markup:
        """Centred lines of balanced length, for titles and subtitles."""
        size = size or (gbt9704.TITLE_SIZE if role == "title" else self.grid.size)
        composer = self.composer(role, size)
        return uniform_lines_html(self.title_lines(text, role, size), _grid_gap(composer))

    def title_lines(self, text: str, role: str = "title", size: float | None = None) -> list[str]:
        """A title's lines, as `balanced` sets them (the Word summary breaks its title there too)."""
        size = size or (gbt9704.TITLE_SIZE if role == "title" else self.grid.size)
        return balanced_lines(text, self.composer(role, size), names=self.names)

    def organ_lines(self, organs: Sequence[str], end: str = "。") -> list[str]:
        """Organs on full-width body lines, as a paragraph flush left holds them (主送机关)."""
        composer = self.composer("body")
        return organ_lines(organs, composer, first_width=gbt9704.TYPE_WIDTH, width=gbt9704.TYPE_WIDTH, end=end)

    def organ_list(
        self,
        organs: Sequence[str],
        label: str = "",
        end: str = "。",
        size: float | None = None,
        inset: float = 0,
        class_name: str = "organs",
        right: str = "",
    ) -> Markup:
        """A paragraph listing organs (主送机关, 抄送, 报/送/发): `label` (抄送：) then the organs, each line
        holding whole organs; wrapped lines start under the first organ, `inset` characters in from both
        edges; `right` (共印60份) at the right of the last line, or on a line of its own when it does not fit."""
        composer = self.composer("body", size)
        cell = composer.cell
        label_width = line_width(label, composer) + (composer.grid_spacing if label else 0)
        width = gbt9704.TYPE_WIDTH - 2 * inset * cell - label_width
        right_width = line_width(right, composer) + cell if right else 0.0
        lines = organ_lines(organs, composer, first_width=width, width=width, end=end, last_reserve=right_width)
        lines[0] = label + lines[0]
        gap = _grid_gap(composer)
        body = uniform_lines_html(lines, gap)
        if right:
            fits = line_width(lines[-1], composer) + right_width <= (width + label_width if len(lines) == 1 else width)
            body += (
                (Markup("") if fits else Markup("<br>"))
                # Positioned by its right edge, so sized by the engine's own measure: letter-spacing it knows.
                + Markup(f'<span class="right" style="letter-spacing:{composer.grid_spacing:.3f}pt">')
                + escape(right)
                + Markup("</span>")
            )
        style = (
            f"padding-left:{inset * cell + label_width:.3f}pt;padding-right:{inset * cell:.3f}pt;"
            f"text-indent:{-label_width:.3f}pt"
        )
        return Markup(f'<p class="{escape(class_name)}" style="{style}">') + body + Markup("</p>")

    def signature(self, issuer: str, date: datetime.date) -> Markup:
        """署名 two cells in from the right; the date below it, starting two cells further right;
        when the date is the longer line, it keeps the two cells instead and the signature moves left."""
        composer = self.composer("body")
        cell = composer.cell
        spacing = composer.grid_spacing
        date_text = chinese_date(date)
        issuer_width = composer.natural_width(issuer) + spacing * (len(issuer) - 1)
        date_width = composer.natural_width(date_text) + spacing * (len(date_text) - 1)
        right = gbt9704.TYPE_WIDTH - 2 * cell
        issuer_left = right - issuer_width
        date_left = issuer_left + 2 * cell
        if date_width > issuer_width:  # the longer date keeps two cells to the right edge instead
            date_left = right - date_width
            issuer_left = date_left - 2 * cell
        gap = _grid_gap(composer)
        return (
            Markup(f'<p class="signature" style="padding-left:{issuer_left:.3f}pt">')
            + uniform_lines_html([issuer], gap)
            + Markup(f'</p><p class="date" style="padding-left:{date_left:.3f}pt">')
            + uniform_lines_html([date_text], gap)
            + Markup("</p>")
        )

    def mark_size(self, text: str, largest: float = gbt9704.SIZE["小初"]) -> float:
        """Size of the issuing organ's mark (or a 简报's name): `largest` (小初, 36 pt) when it fits on a line,
        smaller when it is long."""
        natural = self.shapers["title"].width(text, 1.0)
        return min(largest, gbt9704.TYPE_WIDTH / natural * 0.98)

    def mark_style(self, text: str) -> str:
        """Inline style of the mark: its size, and its em box pulled up to sit 35 mm below the type area's top."""
        size = self.mark_size(text)
        return f"font-size:{size:.2f}pt;margin-top:{-self.em_box_inset('title', size):.3f}pt"

    # ---- after the document is rendered ----

    def missing(self) -> dict[str, list[str]]:
        """Characters a face could not draw, by the first role drawn with that face."""
        return {role: list(shaper.missing) for role, shaper in self._first_roles().items() if shaper.missing}

    def _first_roles(self) -> dict[str, Shaper]:
        first: dict[int, tuple[str, Shaper]] = {}
        for role, shaper in self.shapers.items():
            first.setdefault(id(shaper), (role, shaper))
        return dict(first.values())

    def font_files(self, document_text: str, folder: Path) -> tuple[list[FontFile], dict[str, str]]:
        """Each face the document uses, cut down to it and written into `folder`, and the CSS family of each role.

        A face is used when the document's filters drew text with it; the body's face and the page
        numbers' (which the stylesheet draws) always are. A role whose face is not used is given
        the body's family. Every face covers all of the document's text, so text a template prints
        without a filter is still drawn in a face of ours. Family names carry the cut's hash: one
        engine set-up serves many documents, and each document's cut must stay its own."""
        files: list[FontFile] = []
        families: dict[str, str] = {}
        always = {id(self.shapers["body"]), id(self.shapers["page_number"])}
        for role, shaper in self._first_roles().items():
            if not shaper.used_chars and id(shaper) not in always:
                continue
            data = subset_face(shaper, document_text + _PAGE_NUMBER_TEXT)
            digest = hashlib.sha256(data).hexdigest()
            path = folder / f"{digest}{'.otf' if data[:4] == b'OTTO' else '.ttf'}"
            path.write_bytes(data)
            font = FontFile(f"gongwen-{role.replace('_', '-')}-{digest[:12]}", shaper.face, path)
            files.append(font)
            for other, other_shaper in self.shapers.items():
                if other_shaper is shaper:
                    families[other] = font.family
        for role in self.shapers:
            families.setdefault(role, families["body"])
        return files, families

    def em_box_inset(self, role: str, size: float) -> float:
        """How far the ideographic em box lies inside a line box whose height equals the font size
        (the same at top and bottom): the engine centres the font's ascent and descent in the box."""
        shaper = self.shapers[role]
        half_leading = (1 - shaper.ascender - shaper.descender) / 2
        return (half_leading + shaper.ascender - EM_BOX_ASCENT) * size

    def page_number_offset(self) -> float:
        """Padding above the page number's line so that its em box starts 7 mm below the type area."""
        return gbt9704.PAGE_NUMBER_GAP_MM * gbt9704.MM - self.em_box_inset("page_number", gbt9704.PAGE_NUMBER_SIZE)


def _grid_gap(composer: Composer) -> float:
    """The grid's spacing between characters, in thousandths of an em."""
    return composer.grid_spacing / composer.size * 1000
