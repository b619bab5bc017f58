"""Measuring text (`pipeline.typeset.shaping`) directly: script runs, advances as the PDF engine shapes them, glyphs
used and characters missing. Milliseconds: no document is made."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.typeset.fonts import resolve_fonts
from pipeline.typeset.shaping import Shaper, _script_of, harfbuzz_font, script_runs

SIZE = 16.0


@pytest.fixture(scope="module")
def faces():
    return resolve_fonts()


@pytest.fixture(scope="module")
def body(faces):
    return faces["body"]


def nominal_advance(face, char: str, size: float = SIZE) -> float:
    """The advance of the character's own glyph in the character map, as HarfBuzz reads it from the font."""
    font = harfbuzz_font(face.path, face.index)
    return font.get_glyph_h_advance(font.get_nominal_glyph(ord(char))) * size / font.face.upem


# ---- script runs ----


@pytest.mark.parametrize(
    "text, runs",
    [
        ("", []),
        ("中文", [(0, 2, "hani")]),
        ("2015", [(0, 4, "hani")]),  # no strong script at all: shaped as Chinese
        ("“中文”", [(0, 4, "hani")]),  # common characters at the start join the first run
        ("GB/T 9704标准", [(0, 9, "latn"), (9, 11, "hani")]),  # common ones after a run stay with it
        ("标准GB/T 9704", [(0, 2, "hani"), (2, 11, "latn")]),
        ("中文，Word，中文", [(0, 3, "hani"), (3, 8, "latn"), (8, 10, "hani")]),
        ("ひらがな和カタカナ", [(0, 9, "hani")]),  # kana shape with the Chinese run
        ("αβ中", [(0, 3, "hani")]),  # Greek is not Latin: no run of its own
    ],
)
def test_script_runs(text, runs):
    assert script_runs(text) == runs


@pytest.mark.parametrize(
    "char, script",
    [("中", "hani"), ("\u3400", "hani"), ("\U00020000", "hani"), ("あ", "hani"), ("カ", "hani"), ("ㄅ", "hani")]
    + [("⺀", "hani"), ("豈", "hani")]
    + [("a", "latn"), ("Z", "latn"), ("é", "latn"), ("α", None), ("1", None), ("，", None), (" ", None)],
)
def test_script_of_a_character(char, script):
    assert _script_of(char) == script


@given(st.text(st.sampled_from("中文标准ひらがなabcXYZé0123 ，。,.:—“”（）α"), max_size=30))
def test_script_runs_cover_the_text_in_order_and_follow_each_strong_character(text):
    runs = script_runs(text)
    if not text:
        assert runs == []
        return
    assert runs[0][0] == 0 and runs[-1][1] == len(text)
    for (_, end, script), (start, _, following) in zip(runs, runs[1:], strict=False):
        assert end == start and script != following  # contiguous, and a new run only where the script changes
    for start, end, script in runs:
        assert start < end
        assert all(_script_of(char) in (None, script) for char in text[start:end])


def runs_character_by_character(text: str) -> list[tuple[int, int, str]]:
    """Script runs worked out one character at a time with `_script_of`: what `script_runs` must give."""
    starts: list[tuple[int, str]] = []
    for index, char in enumerate(text):
        script = _script_of(char)
        if script is not None and (not starts or script != starts[-1][1]):
            starts.append((index if starts else 0, script))
    if not starts:
        return [(0, len(text), "hani")] if text else []
    ends = [start for start, _ in starts[1:]] + [len(text)]
    return [(start, end, script) for (start, script), end in zip(starts, ends, strict=True)]


@settings(max_examples=500)
@given(
    st.text(
        st.one_of(
            st.sampled_from("中文㐀𠀀豈⺀ㄅあカabzAZéÿĀſƀɏḀỿαΩж0 ，。,.:—“”（）\u00aa\u00ba\u02b0\u1e9e\u2c60"),
            st.characters(max_codepoint=0x2100),
            st.characters(),
        ),
        max_size=40,
    )
)
def test_script_runs_are_those_found_character_by_character(text):
    assert script_runs(text) == runs_character_by_character(text)


def test_script_runs_are_those_found_character_by_character_for_every_letter_below_u2000():
    text = "".join(chr(code) for code in range(0x2000) if not 0xD800 <= code <= 0xDFFF)
    assert script_runs(text) == runs_character_by_character(text)
    for code in (code for code in range(0x2000) if not 0xD800 <= code <= 0xDFFF):  # each between two ideographs
        probe = f"中{chr(code)}中"
        assert script_runs(probe) == runs_character_by_character(probe), hex(code)


# ---- advances ----


def test_chinese_characters_are_one_em_and_widths_add_up(body):
    shaper = Shaper(body)
    assert shaper.advances("中文标准", SIZE) == [SIZE] * 4
    assert shaper.width("中文标准", 12) == 48
    assert shaper.upem == 1000 and shaper.ascender > 0.88 and shaper.descender > 0.12  # taller than the em box


def test_the_em_dash_takes_its_chinese_full_width_form_wherever_it_stands(body):
    """zh-cn selects the font's Chinese `locl` form of the em dash: a full em, where the character's own glyph is
    0.89 em; alone, with no script of its own, and between digits too."""
    font = harfbuzz_font(body.path, body.index)
    assert nominal_advance(body, "—") == pytest.approx(0.89 * SIZE)
    for text in ("中—中", "—", "8:00—20:00", "a—b"):
        shaper = Shaper(body)
        assert shaper.advances(text, SIZE)[text.index("—")] == SIZE, text
        assert font.get_nominal_glyph(ord("—")) not in shaper.used_glyphs, text


def test_chinese_punctuation_is_full_width(body):
    assert Shaper(body).advances("，。、；：？！“”‘’（）《》…", SIZE) == [SIZE] * 16


@given(st.text(st.sampled_from("中文标准巡视组abcdefghijklmnopqrstuvwxyzABCXYZ0123456789"), min_size=1, max_size=20))
@settings(max_examples=50)
def test_each_character_gets_its_glyph_advance_without_kerning_or_ligatures(text):
    """`fi`, `AV`, `Te` …: with kerning and ligatures off, every character is its own glyph's width."""
    body = resolve_fonts()["body"]
    advances = Shaper(body).advances(text, SIZE)
    assert advances == pytest.approx([nominal_advance(body, char) for char in text])


def test_a_character_and_the_mark_it_carries_are_one_cluster(body):
    """q has no precomposed form with an acute: two glyphs, one cluster, whose width is the sum of both."""
    shaper = Shaper(body)
    advances = shaper.advances("q\u0301中", SIZE)
    assert advances == [nominal_advance(body, "q") + nominal_advance(body, "\u0301"), 0, SIZE]
    assert advances[0] > 0 and sum(advances) == shaper.width("q\u0301中", SIZE)


def test_used_glyphs_and_characters_are_remembered(body):
    shaper = Shaper(body)
    shaper.advances("中文", SIZE)
    shaper.advances("文字", SIZE)
    font = harfbuzz_font(body.path, body.index)
    assert shaper.used_chars == {"中", "文", "字"}
    assert shaper.used_glyphs == {font.get_nominal_glyph(ord(char)) for char in "中文字"}
    assert shaper.missing == {}


def test_characters_the_face_lacks_are_reported_once_in_order_but_not_white_space(body):
    shaper = Shaper(body)
    shaper.advances("中\ue001文\ue000 \u2028\u205f\ue001", SIZE)  # the face has no glyph for U+2028 or U+205F either
    assert list(shaper.missing) == ["\ue001", "\ue000"]
    quiet = Shaper(body)
    quiet.advances("\ue000", SIZE, report_missing=False)
    assert quiet.missing == {} and 0 in quiet.used_glyphs  # drawn as .notdef all the same


def test_each_face_measures_with_its_own_font(faces):
    """The 楷体 stand-in and the body face give Latin letters different widths."""
    assert Shaper(faces["heading2"]).advances("W", SIZE) != Shaper(faces["body"]).advances("W", SIZE)


def test_fonts_are_opened_once_per_file_and_face(body):
    assert harfbuzz_font(body.path, body.index) is harfbuzz_font(body.path, body.index)
    other = harfbuzz_font(body.path, body.index + 1)  # the collection's next face (Traditional Chinese)
    assert other is not harfbuzz_font(body.path, body.index)
    assert other.face.unicodes == harfbuzz_font(body.path, body.index).face.unicodes  # one glyph set, shared


# ---- characters shaped once, measured everywhere ----

# Chinese, kana and Hangul, Latin with and without precomposed accents, digits, punctuation of both kinds,
# full-width forms, spaces, a combining mark, joiners and a variation selector, Arabic, Devanagari and Thai.
_MIXED = (
    "中文标准巡视组ひらカ한글abcfiAVTeéñ0123 ，。、；：“”‘’（）《》—…·,.:;!?()[]-/%　\u00a0"
    "Ａ１\u0301\u200d\u200c\ufe0fسلامनमस्तेสวัสดี"
)


def shaped_by_run(shaper: Shaper, text: str) -> tuple[list[float], set[int]]:
    """Widths and glyphs as HarfBuzz gives them shaping each script run whole: what measuring must equal."""
    import uharfbuzz as hb

    from pipeline.typeset.shaping import FEATURES, LANGUAGE

    font = harfbuzz_font(shaper.face.path, shaper.face.index)
    widths, glyphs = [0.0] * len(text), set()
    for run in script_runs(text):
        buffer = hb.Buffer()
        buffer.add_str(text[run.start : run.end])
        buffer.direction, buffer.script, buffer.language = "ltr", run.script, LANGUAGE
        hb.shape(font, buffer, FEATURES)
        for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=False):
            glyphs.add(info.codepoint)
            widths[run.start + info.cluster] += position.x_advance * SIZE / font.face.upem
    return widths, glyphs


@given(st.text(st.sampled_from(_MIXED), max_size=40), st.sampled_from(["body", "title", "heading1", "heading2"]))
@settings(max_examples=300)
def test_characters_measured_once_give_the_widths_and_glyphs_of_shaping_the_run(text, role):
    """Each context-free character is shaped alone once per process and its glyph reused in every paragraph: the
    widths, to the bit, and the glyphs are those of shaping each run whole, whatever surrounds the character."""
    shaper = Shaper(resolve_fonts()[role])
    widths = shaper.advances(text, SIZE, report_missing=False)
    assert (widths, shaper.used_glyphs) == shaped_by_run(shaper, text)


def test_a_character_is_shaped_once_per_process(body, monkeypatch):
    """Once a paragraph has measured 巡视, another measures them without shaping."""
    import uharfbuzz as hb

    Shaper(body).advances("巡视组", SIZE)
    shaped = []
    monkeypatch.setattr(hb, "shape", lambda *args: shaped.append(args))
    assert Shaper(body).advances("视组巡", SIZE) == [SIZE] * 3
    assert shaped == []


@given(st.text(st.sampled_from(_MIXED), max_size=60), st.sampled_from(["body", "title", "heading1", "heading2"]))
@settings(max_examples=300)
def test_including_text_remembers_the_glyphs_of_shaping_each_run(text, role):
    """`include` (a document's text beyond its paragraphs, for the cut) remembers the glyphs and characters that
    measuring would, each character looked up once per run: the glyphs of shaping each run whole."""
    shaper = Shaper(resolve_fonts()[role])
    shaper.include(text)
    assert shaper.used_glyphs == shaped_by_run(shaper, text)[1]
    assert shaper.used_chars == set(text)
