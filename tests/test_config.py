"""Configuration: defaults < configuration file < command line, unknown keys refused, origins shown."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import invoke

from pipeline.config import describe, load_configuration
from pipeline.errors import ConfigurationError


def make_project(tmp_path: Path, toml: str, name: str = "gongwen.toml") -> Path:
    (tmp_path / "content").mkdir()
    (tmp_path / name).write_text(toml, encoding="utf-8")
    return tmp_path


def test_defaults_without_a_configuration_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    configuration = load_configuration(tmp_path)
    assert configuration.file is None
    assert configuration.settings.output == "dist"
    assert configuration.path("output") == tmp_path / "dist"


def test_file_overrides_defaults_and_command_line_overrides_file(tmp_path, monkeypatch):
    project = make_project(tmp_path, 'output = "out"\none_sided = true\n')
    monkeypatch.chdir(project)
    configuration = load_configuration(project / "content")
    assert configuration.settings.output == "out"
    assert configuration.settings.one_sided is True
    assert configuration.origins["output"] == "gongwen.toml:1"
    overridden = load_configuration(project / "content", {"output": "elsewhere"})
    assert overridden.settings.output == "elsewhere"
    assert overridden.origins["output"] == "command line (--output)"
    assert overridden.settings.one_sided is True


def test_pyproject_table_is_found_from_the_content_upwards(tmp_path, monkeypatch):
    project = make_project(tmp_path, '[project]\nname = "x"\n\n[tool.gongwen]\noutput = "public"\n', "pyproject.toml")
    monkeypatch.chdir(tmp_path.parent)
    configuration = load_configuration(project / "content")
    assert configuration.root == project
    assert configuration.path("output") == project / "public"  # relative to the file, not the working folder
    assert configuration.origins["output"].endswith("pyproject.toml [tool.gongwen]:5")


def test_unknown_key_is_an_error_with_its_line(tmp_path):
    project = make_project(tmp_path, 'output = "dist"\noutptu = "x"\n')
    with pytest.raises(ConfigurationError) as caught:
        load_configuration(project / "content")
    assert [str(problem) for problem in caught.value.problems] == [
        f"{project / 'gongwen.toml'}:2:1: outptu: unknown field; did you mean 'output'?"
    ]


def test_unknown_font_role_is_an_error(tmp_path):
    project = make_project(tmp_path, '[fonts]\nbold = ["x.ttf"]\n')
    with pytest.raises(ConfigurationError) as caught:
        load_configuration(project / "content")
    assert "fonts.bold: unknown field" in str(caught.value.problems[0])


def test_invalid_toml_is_located(tmp_path):
    project = make_project(tmp_path, "output = \n")
    with pytest.raises(ConfigurationError) as caught:
        load_configuration(project / "content")
    assert str(caught.value.problems[0]).startswith(f"{project / 'gongwen.toml'}:1:")


def test_describe_lists_every_setting_with_origin(tmp_path):
    project = make_project(tmp_path, 'output = "out"\n[fonts]\nbody = ["Noto Serif CJK SC"]\n')
    rows = {name: (value, origin) for name, value, origin in describe(load_configuration(project / "content"))}
    assert rows["output"][0] == "out" and rows["output"][1].endswith("gongwen.toml:1")
    assert rows["fonts.body"][0] == "Noto Serif CJK SC"
    assert rows["templates"] == ("(unset)", "default")


def test_config_command_prints_values_and_origins(tmp_path):
    project = make_project(tmp_path, 'output = "out"\n')
    result = invoke("config", str(project / "content"))
    assert result.returncode == 0, result.stderr
    output_line = next(line for line in result.stdout.splitlines() if line.startswith("output "))
    assert output_line.split()[1] == "out" and output_line.endswith("gongwen.toml:1]")


def test_pdf_variant_comes_from_the_file_and_the_command_line(tmp_path):
    project = make_project(tmp_path, 'pdf_variant = "pdf/a-3b"\n')
    assert load_configuration(project / "content").settings.pdf_variant == "pdf/a-3b"
    assert load_configuration(project / "content", {"pdf_variant": "pdf/ua-1"}).settings.pdf_variant == "pdf/ua-1"
