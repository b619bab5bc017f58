"""The forms offices use (issue 13): lines within the stretch limit, 主送机关, the 版记 on the last even page,
the 简报 form, and titles that keep names whole — built through the library and read back from the PDFs."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

from pipeline.build import build
from pipeline.config import load_configuration

LOOSE = """\
schema: 1
title: 关于设立电子邮箱的通知
issuer: 中共青溪县委第二巡察组
date: 2026-04-07
briefing:
  sections:
    - paragraphs:
        - 巡察组工作正常开展。
        - 为便于干部群众反映问题，巡察组设立电子邮箱：xcz-qingxi-county-dier-xunchazu@qingxixian.gov.cn。
summary:
  points: [要点。]
notice:
  team: 中共青溪县委第二巡察组
  unit: 县住房和城乡建设局党组
  period: {start: 2026-04-07, end: 2026-05-31}
  hours: {start: 8:00, end: 20:00}
  channels: [{type: phone, value: 0851-86891234}]
  scope: 主要受理反映领导班子成员问题的来信来电来访。
"""


def write_content(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_line_beyond_the_stretch_limit_is_a_warning_at_the_text_that_caused_it(tmp_path):
    source = write_content(tmp_path, "loose", LOOSE)
    report = build([source], load_configuration(tmp_path, {"output": str(tmp_path / "dist")}))
    assert report.problems == [] and report.built == ["loose"]
    [warning] = report.warnings
    assert warning.field == "briefing.sections[0].paragraphs[1]"
    assert (warning.where.line, warning.where.column) == (9, 11)
    assert "a line is spaced 0.19 em between characters, more than the 0.15 em limit" in warning.message
    assert warning.got == "为便于干部群众反映问题，巡察组设立电子邮箱："


def test_the_command_line_prints_warnings_and_succeeds(tmp_path):
    write_content(tmp_path, "loose", LOOSE)
    result = run_cli("build", "loose.yaml", "-o", "out", "-j", "1", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("warning: loose.yaml:9:11: briefing.sections[0].paragraphs[1]: briefing: a line")


# ---- every new setting is an input of the artifacts it changes ----


def fingerprints(folder: Path, toml: str, faces: dict | None = None):
    from pipeline.incremental import Fingerprints
    from pipeline.typeset.fonts import resolve_fonts

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "gongwen.toml").write_text(toml, encoding="utf-8")
    configuration = load_configuration(folder)
    return Fingerprints.of(
        configuration, faces or resolve_fonts(), configuration.template_folders(), configuration.reference_document()
    )


def test_names_change_the_pdfs_and_the_summary_the_bulletin_layout_the_pdfs_only(tmp_path):
    import dataclasses

    from pipeline.typeset.fonts import resolve_fonts

    plain = fingerprints(tmp_path / "plain", "")
    named = fingerprints(tmp_path / "named", 'names = ["住房和城乡建设厅"]\n')
    laid_out = fingerprints(tmp_path / "laid", "[bulletin]\nrule_mm = 105\n")
    coloured = fingerprints(tmp_path / "black", '[bulletin]\nrule_color = "black"\n')
    assert named.pdf != plain.pdf and named.word != plain.word
    assert laid_out.pdf != plain.pdf and laid_out.word == plain.word
    assert coloured.pdf != plain.pdf and coloured.word == plain.word
    faces = resolve_fonts()
    other_title = dataclasses.replace(faces["title"], path=faces["heading1"].path, index=faces["heading1"].index)
    retitled = fingerprints(tmp_path / "title", "", {**faces, "title": other_title})
    assert retitled.word != plain.word  # the Word title breaks where the title face's widths say


def test_a_changed_name_list_rebuilds_what_it_changes(tmp_path):
    write_content(tmp_path / "content", "loose", LOOSE)
    assert run_cli("build", "-o", "out", "-j", "1", "content", cwd=tmp_path).returncode == 0
    (tmp_path / "gongwen.toml").write_text('names = ["城乡建设局"]\n', encoding="utf-8")
    result = run_cli("build", "-o", "out", "-j", "1", "content", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "built loose: out/loose/ (briefing.pdf, summary.docx, notice.pdf)"
    (tmp_path / "gongwen.toml").write_text('names = ["城乡建设局"]\n[bulletin]\nname_size = 42\n', encoding="utf-8")
    result = run_cli("build", "-o", "out", "-j", "1", "content", cwd=tmp_path)
    assert result.stdout.splitlines()[0] == "built loose: out/loose/ (briefing.pdf, notice.pdf)"
