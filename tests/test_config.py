"""Configuration: defaults < configuration file < command line, unknown keys refused, origins shown."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from helpers import ROOT, invoke, repository_configuration

from pipeline import config
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


# ---- a gongwen.toml beside a [tool.gongwen] table ----

SHADOWED = '[project]\nname = "x"\n\n[tool.gongwen]\noutput = "public"\n'


def test_a_gongwen_toml_beside_a_pyproject_table_is_used_and_says_so(tmp_path, monkeypatch):
    project = make_project(tmp_path, 'output = "out"\n')
    (project / "pyproject.toml").write_text(SHADOWED, encoding="utf-8")
    monkeypatch.chdir(project)
    configuration = load_configuration(project / "content")
    assert configuration.settings.output == "out" and configuration.file == project / "gongwen.toml"
    assert [str(notice) for notice in configuration.notices] == [
        "gongwen.toml: used instead of the [tool.gongwen] table of pyproject.toml, which is ignored"
    ]
    named = load_configuration(project / "content", config_file=project / "pyproject.toml")
    assert (named.settings.output, named.notices) == ("public", ())  # a file named on the command line is chosen


def test_a_pyproject_without_a_gongwen_table_is_not_shadowed(tmp_path):
    project = make_project(tmp_path, 'output = "out"\n')
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert load_configuration(project / "content").notices == ()


@pytest.mark.parametrize("command", ["build", "check", "config", "fonts", "status"])
def test_every_command_says_once_that_a_gongwen_toml_shadows_the_table(tmp_path, command):
    project = make_project(tmp_path, 'output = "out"\n')
    (project / "pyproject.toml").write_text(SHADOWED, encoding="utf-8")
    result = invoke(command, cwd=project)
    assert result.returncode == 0, result.stderr
    notice = "gongwen.toml: used instead of the [tool.gongwen] table of pyproject.toml, which is ignored"
    assert result.stderr.splitlines().count(notice) == 1 and result.stderr.startswith(notice)


# ---- the test suite is immune to the configuration files a user keeps in the repository ----


def test_a_gongwen_toml_in_the_repository_changes_none_of_the_suite_s_builds(tmp_path):
    """The repository copied (its configuration and content) with a gongwen.toml at its root that would change every
    build: the library would use it — and says so — but the suite names the repository's pyproject.toml."""
    copy = tmp_path / "repository"
    shutil.copytree(ROOT / "content", copy / "content")
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    (copy / "gongwen.toml").write_text(
        'output = "elsewhere"\none_sided = true\npdf_variant = "pdf/ua-1"\n[fonts]\nbody = ["/nowhere/x.ttf"]\n',
        encoding="utf-8",
    )
    searched = config.find_project(copy / "content")
    assert (searched.file, searched.shadowed) == (copy / "gongwen.toml", copy / "pyproject.toml")
    used = repository_configuration({"output": "out"}, root=copy)
    assert used.file == copy / "pyproject.toml" and used.notices == ()
    assert used.settings == repository_configuration({"output": "out"}).settings


def test_a_test_that_searches_the_repository_for_its_configuration_fails_with_a_reason():
    with pytest.raises(AssertionError, match="found .*pyproject.toml: name the repository's configuration"):
        load_configuration(ROOT / "content")
