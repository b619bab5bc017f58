"""`gongwen new`: a new content file with 【待填写】 wherever a person must supply a value — a complete skeleton, or
in a round's folder only what `_defaults.yaml` does not give — and a placeholder is refused by `check` and `build`
wherever it is left, one located line each, so that none is ever printed."""

from __future__ import annotations

import re
from pathlib import Path

import jsonschema
import pytest
from helpers import invoke, small_content

from pipeline.content.model import ContentFile, content_json_schema
from pipeline.content.records import field_reference
from pipeline.content.text import PLACEHOLDER, placeholder_positions
from pipeline.scaffold import count_placeholders

STILL = f"still {PLACEHOLDER}, left by `gongwen new`: write the real value"
TYPES = {re.sub(r"\[\]", "", path): kind for path, kind, _, _ in field_reference(ContentFile)}

ROUND_DEFAULTS = """\
schema: 1
issuer: 中央第十巡视组
notice:
  team: 中央第十巡视组
  period: {start: 2015-03-01, end: 2015-04-30}
  hours: {days: 每天, start: 8:00, end: 20:00}
  scope: 中央巡视组主要受理反映问题的来信来电来访。
"""


def problems(result) -> list[tuple[int, str]]:
    """(line, field) of each problem `check` printed."""
    found = []
    for line in result.stderr.splitlines():
        match = re.fullmatch(r"[^:]+:(\d+):\d+: ([^:]+): (.*)", line)
        assert match, line
        found.append((int(match.group(1)), match.group(2), match.group(3)))
    assert {message for _, _, message in found} == {STILL}, result.stderr
    return [(number, field) for number, field, _ in found]


def value_for(field: str) -> str:
    """A real value for the field a placeholder stands in, by its type."""
    kind = TYPES[re.sub(r"\[\d+\]", "", field)]
    if kind == "date":
        return "2015-03-01"
    if kind.startswith("time"):
        return "8:00" if field.endswith("start") else "20:00"
    if kind.startswith("`"):
        return kind.split("`")[1]  # the first choice
    return "巡视组进驻开展专项巡视。"


def fill(path: Path, found: list[tuple[int, str]]) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, field in found:
        lines[number - 1] = lines[number - 1].replace(PLACEHOLDER, value_for(field), 1)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_a_complete_skeleton_is_refused_only_for_its_placeholders_and_checks_once_they_are_filled(tmp_path):
    (tmp_path / "content").mkdir()
    result = invoke("new", "unit-a", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    target = tmp_path / "content" / "unit-a.yaml"
    left = count_placeholders(target.read_text(encoding="utf-8"))
    assert result.stdout == (
        f"wrote content/unit-a.yaml: replace its {left} {PLACEHOLDER}; `gongwen check content/unit-a.yaml` lists "
        "those left\n"
    )
    checked = invoke("check", "content/unit-a.yaml", cwd=tmp_path)
    assert checked.returncode == 1
    found = problems(checked)
    assert len(found) == left >= 10  # one line per placeholder (every required text), nothing else wrong
    assert [number for number, _ in found] == [
        line
        for line, _ in placeholder_positions(target.read_text(encoding="utf-8"))
        if not target.read_text(encoding="utf-8").splitlines()[line - 1].lstrip().startswith("#")
    ]
    fill(target, found)
    checked = invoke("check", "content/unit-a.yaml", cwd=tmp_path)
    assert (checked.returncode, checked.stdout) == (0, "1 publication OK in content/unit-a.yaml\n"), checked.stderr


def test_every_field_of_the_schema_is_in_the_skeleton(tmp_path):
    """Made from the declarations: a field added to the schema is in the next skeleton, required or commented out."""
    assert invoke("new", "unit-a", "--in", str(tmp_path)).returncode == 0
    text = (tmp_path / "unit-a.yaml").read_text(encoding="utf-8")
    written = {match.group(1) for match in re.finditer(r"^[ #-]*([a-z_]+):", text, re.M)}
    assert {path.split(".")[-1].removesuffix("[]") for path, _, _, _ in field_reference(ContentFile)} <= written


def test_in_a_round_s_folder_only_what_the_defaults_do_not_give_is_written(tmp_path):
    round_folder = tmp_path / "content" / "round-2015"
    round_folder.mkdir(parents=True)
    (round_folder / "_defaults.yaml").write_text(ROUND_DEFAULTS, encoding="utf-8")
    assert invoke("new", "unit-b", "--in", "content/round-2015", cwd=tmp_path).returncode == 0
    target = round_folder / "unit-b.yaml"
    text = target.read_text(encoding="utf-8")
    assert "issuer:" not in text and "team:" not in text and "period:" not in text and "hours:" not in text
    assert "scope:" not in text and not re.search(r"^\s*# [a-z_]+:", text, re.M)  # no commented optional fields
    checked = invoke("check", str(target), cwd=tmp_path)
    found = problems(checked)
    assert {field for _, field in found} == {
        "title",
        "date",
        "briefing.sections[0].heading",
        "briefing.sections[0].paragraphs[0]",
        "summary.points[0]",
        "notice.unit",
        "notice.channels[0].type",
        "notice.channels[0].value",
    }
    fill(target, found)
    assert invoke("check", str(target), cwd=tmp_path).returncode == 0


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("new", "Bad_Id"), "Bad_Id: not a valid id: lower-case letters, digits and single hyphens"),
        (("new", "small"), "content/small.yaml: already exists; choose another id or edit it"),
    ],
)
def test_a_bad_id_or_an_existing_file_is_one_line(small_project, arguments, message):
    before = (small_project / "content" / "small.yaml").read_bytes()
    result = invoke(*arguments, cwd=small_project)
    assert result.returncode == 1 and result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert (small_project / "content" / "small.yaml").read_bytes() == before


def test_a_placeholder_phone_number_is_never_built(small_project):
    content = small_project / "content" / "small.yaml"
    content.write_text(small_content().replace("value: 010-68334749", f"value: 010-{PLACEHOLDER}"), encoding="utf-8")
    (small_project / "content" / "_defaults.yaml").write_text(f"note: {PLACEHOLDER}\n", encoding="utf-8")
    result = invoke("build", "-o", "out", "content", cwd=small_project)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"content/small.yaml:19:28: notice.channels[0].value: {STILL}",
        f"content/_defaults.yaml:1:7: note: {STILL}",
    ]
    assert not (small_project / "out").exists()  # nothing printed, nothing written


def test_editors_that_read_the_json_schema_flag_a_placeholder():
    validator = jsonschema.Draft202012Validator(content_json_schema()["properties"]["title"])
    assert list(validator.iter_errors("中央巡视组召开动员会")) == []
    assert list(validator.iter_errors(f"{PLACEHOLDER}动员会"))


def test_placeholder_positions_are_where_check_reports_them():
    text = f"title: {PLACEHOLDER}\nnotice:\n  channels:\n    - {{type: phone, value: 010-{PLACEHOLDER}}}\n"
    fourth = text.splitlines()[3]
    assert placeholder_positions(text) == [(1, 8), (4, fourth.index(PLACEHOLDER) + 1)]
