"""The corpus (tests/corpus: notices that 巡视, 巡察 and 督察 offices published) built once and read back: every output
speaks its own tour's words and no other kind's, the notice is one page set on the grid, and every channel is
printed."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import corpus
import docx
import pytest
from layout import FLUSH_PT, check
from pdfread import chars, comparable, page_count, type_area_text

from pipeline.content.model import Publication, load_publication
from pipeline.content.records import Record, declared_fields
from pipeline.content.vocabulary import BUILTIN, vocabulary_for

ENTRIES = corpus.entries()
TOURS = {vocabulary.tour for vocabulary in BUILTIN.values()}


def by_id(entry: corpus.Entry) -> str:
    return entry.id


def typed_texts(value: object) -> list[str]:
    """Every text a content file typed, anywhere in the publication."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, tuple):
        return [text for item in value for text in typed_texts(item)]
    if isinstance(value, Record):
        return [text for field in declared_fields(type(value)) for text in typed_texts(getattr(value, field.name))]
    return []


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    paragraphs = [paragraph.text for paragraph in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return comparable("".join(paragraphs + cells))


def outputs(dist: Path, entry: corpus.Entry) -> dict[str, str]:
    folder = dist / entry.id
    return {
        "notice.pdf": comparable(type_area_text(folder / "notice.pdf")),
        "briefing.pdf": comparable(type_area_text(folder / "briefing.pdf")),
        "summary.docx": docx_text(folder / "summary.docx"),
    }


def generated(text: str, publication: Publication) -> str:
    """`text` without what the content file typed: what gongwen wrote itself (longest typed texts first)."""
    for typed in sorted({comparable(item) for item in typed_texts(publication)}, key=len, reverse=True):
        text = text.replace(typed, "")
    return text


def test_the_corpus_covers_every_kind_and_level_and_names_its_sources():
    assert len(ENTRIES) >= 12
    assert Counter(entry.tour for entry in ENTRIES).keys() == TOURS
    assert all(count >= 3 for count in Counter(entry.tour for entry in ENTRIES).values())
    assert {"central", "provincial", "city", "county"} <= {entry.level for entry in ENTRIES}
    transcribed = [entry for entry in ENTRIES if not entry.source.startswith("constructed")]
    assert sum(entry.url is not None for entry in transcribed) >= len(transcribed) - 1  # xs02's page came without one
    notices = [load_publication(entry.path).notice for entry in ENTRIES]
    assert any(notice.hours and len(notice.hours.ranges) > 1 and notice.hours.clock == 12 for notice in notices)
    assert any(notice.hours and any(span.label for span in notice.hours.ranges) for notice in notices)
    assert any(len(notice.channels) >= 5 for notice in notices)
    assert any(all(channel.type != "email" for channel in notice.channels) for notice in notices)
    assert any(any(channel.type == "visit" for channel in notice.channels) for notice in notices)
    assert any(notice.unit.count("、") >= 10 for notice in notices)


@pytest.mark.parametrize("entry", ENTRIES, ids=by_id)
def test_every_output_says_its_tours_word_and_no_other_kinds(corpus_dist, entry):
    publication = load_publication(entry.path)
    assert vocabulary_for(publication, BUILTIN).tour == entry.tour
    places_contacts = any(
        not isinstance(text, str)
        for section in publication.briefing.sections
        for part in (section, *section.sections)
        for text in part.paragraphs
    )
    for name, text in outputs(corpus_dist, entry).items():
        own = generated(text, publication)
        if name != "briefing.pdf" or places_contacts:  # a briefing says only what its content typed, but contacts
            assert entry.tour in own, f"{name}: gongwen's own words never say {entry.tour}"
        others = sorted(word for word in TOURS - {entry.tour} if word in own)
        assert others == [], f"{name} says {others} where the content did not: {own}"


@pytest.mark.parametrize("entry", ENTRIES, ids=by_id)
def test_the_notice_is_one_page_of_lines_on_the_grid(corpus_dist, entry):
    notice = corpus_dist / entry.id / "notice.pdf"
    assert page_count(notice) == 1
    body_size = Counter(round(char["size"], 1) for char in chars(notice)[0]).most_common(1)[0][0]
    report = check(notice, body_size=body_size, page_numbers=False)
    assert report.worst_right_gap <= FLUSH_PT
    assert report.bad_starts == [] and report.bad_ends == [] and report.lonely_last_lines == []


@pytest.mark.parametrize("entry", ENTRIES, ids=by_id)
def test_every_channel_and_the_signature_are_printed(corpus_dist, entry):
    notice = load_publication(entry.path).notice
    texts = outputs(corpus_dist, entry)
    for channel in notice.channels:
        for name, text in texts.items():  # the briefing through its contacts paragraph
            assert comparable(channel.value) in text, (name, channel.value)
    assert comparable(notice.signer or notice.team) in texts["notice.pdf"]
