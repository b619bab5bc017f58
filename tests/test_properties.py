"""Property-based: any text in any field builds with the text in the outputs, or fails with a clean content error.

The library is called in this process (one `Publisher`, as a batch build uses it), because the PDF
engine's start-up would otherwise dominate. Examples are bounded so the suite stays quick; with
`CI` set, Hypothesis draws the same examples on every run.
"""

from __future__ import annotations

import functools
import io
import json
import os
import unicodedata
from pathlib import Path

import docx
import pytest
from helpers import repository_configuration
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from pdfread import comparable, type_area_text

from pipeline.config import load_configuration
from pipeline.content.load import Source, parse
from pipeline.content.model import publication_from_source
from pipeline.content.text import clean_text
from pipeline.errors import GongwenError
from pipeline.publisher import Publisher
from pipeline.render.documents import prepare_text
from pipeline.typeset.shaping import harfbuzz_font

settings.register_profile("bounded", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", parent=settings.get_profile("bounded"), derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "bounded")

# Every text field of a content file, with the outputs that print it.
FIELDS = {
    "title": ("briefing", "summary"),
    "subtitle": ("briefing",),
    "issuer": ("briefing", "summary"),
    "note": ("briefing",),
    "heading": ("briefing",),
    "paragraph": ("briefing",),
    "part_heading": ("briefing",),
    "part_paragraph": ("briefing",),
    "lead": ("summary",),
    "point": ("summary",),
    "team": ("notice", "summary"),
    "unit": ("notice", "summary"),
    "kind": ("notice", "summary"),
    "notice_title": ("notice",),
    "scope": ("notice", "summary"),
    "exclusions": ("notice",),
    "days": ("notice", "summary"),
    "channel_label": ("notice", "summary"),
    "channel_value": ("notice", "summary"),
}

CONTENT = """\
schema: 1
title: {title}
subtitle: {subtitle}
issuer: {issuer}
date: 2015-03-02
note: {note}
briefing:
  sections:
    - heading: {heading}
      paragraphs: [{paragraph}]
      sections:
        - heading: {part_heading}
          paragraphs: [{part_paragraph}]
summary:
  lead: {lead}
  points: [{point}]
notice:
  vocabulary: 巡视  # arbitrary text in kind and team names no kind of tour
  team: {team}
  unit: {unit}
  kind: {kind}
  title: {notice_title}
  period: {{start: 2015-03-01, end: 2015-04-30}}
  hours: {{days: {days}, start: 8:00, end: 20:00}}
  channels:
    - {{type: phone, label: {channel_label}, value: {channel_value}}}
  scope: {scope}
  exclusions: {exclusions}
"""


def printed(publication) -> dict[str, str]:
    """Each field's text as the outputs print it (white space tidied, punctuation normalised)."""
    section = publication.briefing.sections[0]
    notice = publication.notice
    return {
        "title": publication.title,
        "subtitle": publication.subtitle,
        "issuer": publication.issuer,
        "note": publication.note,
        "heading": section.heading,
        "paragraph": section.paragraphs[0],
        "part_heading": section.sections[0].heading,
        "part_paragraph": section.sections[0].paragraphs[0],
        "lead": publication.summary.lead,
        "point": publication.summary.points[0],
        "team": notice.team,
        "unit": notice.unit,
        "kind": notice.kind,
        "notice_title": notice.title,
        "scope": notice.scope,
        "exclusions": notice.exclusions,
        "days": notice.hours.days,
        "channel_label": notice.channels[0].label,
        "channel_value": notice.channels[0].value,
    }


@pytest.fixture(scope="module")
def publisher(tmp_path_factory) -> Publisher:
    return Publisher(load_configuration(tmp_path_factory.mktemp("project"), {}))


def outputs_text(artifacts, folder: Path) -> dict[str, str]:
    texts = {}
    for artifact in artifacts:
        name = Path(artifact.path).stem
        if artifact.path.endswith(".pdf"):
            path = folder / Path(artifact.path).name
            path.write_bytes(artifact.data)
            texts[name] = comparable(type_area_text(path))
        else:
            document = docx.Document(io.BytesIO(artifact.data))
            texts[name] = "\n".join(
                [paragraph.text for paragraph in document.paragraphs]
                + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
            )
    return texts


def build_or_refuse(publisher: Publisher, values: dict[str, str], folder: Path) -> bool:
    """Build a publication holding `values`: True if built (and every value is in its outputs), False if cleanly
    refused."""
    # JSON strings with \\u escapes are YAML double-quoted scalars: any code point, surrogates included, can be written.
    text = CONTENT.format(**{name: json.dumps(value) for name, value in values.items()})
    try:
        publication = publication_from_source(
            Source("arbitrary.yaml", text, parse(text, "arbitrary.yaml")), "arbitrary"
        )
        artifacts = publisher.artifacts(publication)
    except GongwenError as error:
        assert error.problems
        for problem in error.problems:
            assert "\n" not in str(problem) and str(problem).startswith("arbitrary.yaml"), str(problem)
        return False
    texts = outputs_text(artifacts, folder)
    for name, shown in printed(prepare_text(publication)).items():
        for output in FIELDS[name]:
            expected = shown if output == "summary" else comparable(shown)
            assert expected in texts[output], (name, output, shown)
    return True


@given(
    values=st.fixed_dictionaries(
        {name: st.text(st.characters(exclude_categories=()), min_size=1, max_size=12) for name in FIELDS}
    )
)
def test_arbitrary_unicode_builds_with_the_text_or_fails_cleanly(publisher, tmp_path_factory, values):
    event("built" if build_or_refuse(publisher, values, tmp_path_factory.mktemp("example")) else "refused")


@functools.cache
def drawable_characters() -> list[str]:
    """Characters every resolved face draws, without controls, separators or unassigned code points.

    Worked out when a test first draws from it, not while the tests are collected: it resolves the fonts."""
    faces = Publisher(repository_configuration()).faces.values()
    common = set.intersection(*(set(harfbuzz_font(face.path, face.index).face.unicodes) for face in faces))
    return sorted(chr(code) for code in common if not unicodedata.category(chr(code)).startswith(("C", "Z")))


DRAWABLE = st.deferred(lambda: st.sampled_from(drawable_characters()))


@pytest.mark.slow  # every example is a whole publication, built and read back
@given(
    values=st.fixed_dictionaries(
        {name: st.text(DRAWABLE, min_size=1, max_size=12).filter(clean_text) for name in FIELDS}
    )
)
def test_text_the_fonts_can_draw_always_builds(publisher, tmp_path_factory, values):
    assert build_or_refuse(publisher, values, tmp_path_factory.mktemp("example"))


def test_the_drawable_alphabet_is_broad():
    """The success property draws from thousands of characters: Chinese, Latin, digits and punctuation."""
    drawable = drawable_characters()
    assert len(drawable) > 7000
    assert {"中", "A", "z", "0", "，", "（", "<", "&"} <= set(drawable)
