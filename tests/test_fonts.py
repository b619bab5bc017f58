"""Fonts by role: the Simplified-Chinese face of a collection, chosen explicitly, with a reason."""

from __future__ import annotations

import pytest
from helpers import REPOSITORY_CONFIG, invoke

from pipeline.errors import ConfigurationError
from pipeline.typeset.fonts import ROLES, resolve_fonts

NOTO_SERIF = "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"


def test_every_role_resolves_to_a_simplified_chinese_face():
    faces = resolve_fonts()
    assert set(faces) == set(ROLES)
    for face in faces.values():
        assert "JP" not in face.family and "KR" not in face.family
        assert face.reason
    assert faces["title"].style == "Bold"
    assert faces["heading2"].family == "AR PL KaitiM GB"


def test_collection_file_without_index_picks_the_sc_face():
    face = resolve_fonts({"body": (NOTO_SERIF,)})["body"]
    assert (face.family, face.index) == ("Noto Serif CJK SC", 2)
    assert face.reason == f"configured file {NOTO_SERIF}"


def test_explicit_index_is_honoured():
    face = resolve_fonts({"body": (NOTO_SERIF + "#3",)})["body"]
    assert face.index == 3 and face.family == "Noto Serif CJK TC"


def test_missing_configured_fonts_are_an_error():
    with pytest.raises(ConfigurationError) as caught:
        resolve_fonts({"body": ("No Such Family", "/nowhere/x.ttf")})
    assert "fonts.body" in str(caught.value)


def test_fonts_command_explains_each_role():
    result = invoke("fonts", "--config", str(REPOSITORY_CONFIG))
    assert result.returncode == 0, result.stderr
    for role in ROLES:
        assert any(line.startswith(role) for line in result.stdout.splitlines())
    assert "stand-in from fonts-noto-cjk" in result.stdout
