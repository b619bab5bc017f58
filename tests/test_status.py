"""`gongwen status`: where each artifact stands — up to date, to be rebuilt and which input changed, edited by hand,
missing — without building, locking or writing anything. Builds go through the library with artifacts made once."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import invoke
from outputlab import artifacts_made_once, build_here, lines, write_content

from pipeline.config import FontChoices, builtin_templates, load_configuration
from pipeline.status import status


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    yield from artifacts_made_once(tmp_path_factory)


@pytest.fixture
def built(tmp_path, made_once) -> Path:
    write_content(tmp_path, {"a": "a1", "b": "b1"})
    assert lines(build_here(tmp_path)) == []
    return tmp_path


def states(project: Path, **overrides) -> dict[str, str]:
    """Each artifact's state as `gongwen status` describes it, by <id>/<artifact>."""
    with contextlib.chdir(project):
        configuration = load_configuration(project, {"output": "out", **overrides})
        found = status([project / "content"], configuration)
        return {
            f"{publication.publication_id}/{artifact.name}": artifact.describe()
            for publication in found
            for artifact in publication.artifacts
        }


def of(found: dict[str, str], publication: str) -> set[str]:
    return {state for path, state in found.items() if path.startswith(publication + "/")}


def test_never_built_is_missing_and_built_is_up_to_date(tmp_path, made_once):
    write_content(tmp_path, {"a": "a1"})
    assert set(states(tmp_path).values()) == {"missing"}
    assert lines(build_here(tmp_path)) == []
    assert set(states(tmp_path).values()) == {"up to date"}


def test_a_changed_content_file_is_named_and_only_its_publication_is_stale(built):
    write_content(built, {"a": "a2", "b": "b1"})
    found = states(built)
    assert of(found, "a") == {"to be rebuilt: content changed"} and of(found, "b") == {"up to date"}


def test_changed_defaults_are_named(built):
    (built / "content" / "_defaults.yaml").write_text("note: 此件公开发布\n", encoding="utf-8")
    assert set(states(built).values()) == {"to be rebuilt: defaults (_defaults.yaml) changed"}


def test_a_changed_template_is_named_for_what_it_feeds(built):
    override = built / "templates"
    override.mkdir()
    shutil.copy(builtin_templates() / "notice.html.j2", override / "notice.html.j2")
    (override / "notice.html.j2").write_text(
        (override / "notice.html.j2").read_text(encoding="utf-8") + "{# 改过 #}\n", encoding="utf-8"
    )
    found = states(built, templates=str(override))
    assert found["a/notice.pdf"] == found["a/briefing.pdf"] == "to be rebuilt: template changed"
    assert found["a/summary.docx"] == "up to date"


def test_settings_fonts_the_reference_document_and_the_epoch_are_named(built, monkeypatch):
    assert set(states(built, one_sided=True).values()) == {"to be rebuilt: setting changed"}
    heading = FontChoices(heading1=("Noto Serif CJK SC:Bold",))
    found = states(built, fonts=heading)
    assert found["a/briefing.pdf"] == "to be rebuilt: font changed" and found["a/summary.docx"] == "up to date"
    reference = built / "reference.docx"
    reference.write_bytes((builtin_templates() / "reference.docx").read_bytes() + b"\0")
    found = states(built, reference_doc=str(reference))
    assert found["a/summary.docx"] == "to be rebuilt: reference document changed"
    assert found["a/notice.pdf"] == "up to date"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    write_content(built, {"a": "a2", "b": "b1"})
    assert states(built)["a/notice.pdf"] == "to be rebuilt: content, SOURCE_DATE_EPOCH changed"


def test_edits_fresh_files_and_what_the_next_build_moves_are_shown(built):
    out = built / "out"
    (out / "a" / "summary.docx").write_bytes(b"PK\x03\x04 an edit")
    assert states(built)["a/summary.docx"] == "edited by hand"
    write_content(built, {"a": "a2", "b": "b1"})
    assert states(built)["a/summary.docx"] == "edited by hand; to be rebuilt beside it: content changed"
    assert lines(build_here(built)) == []
    assert states(built)["a/summary.docx"] == "edited by hand; gongwen's version is out/a/summary.fresh.docx"
    (out / "a" / "summary.docx").unlink()
    assert states(built)["a/summary.docx"] == "missing: the next build moves out/a/summary.fresh.docx into its place"
    assert (out / "a" / "summary.fresh.docx").is_file()  # status moved nothing


def test_status_writes_nothing_and_waits_for_no_build(built):
    out = built / "out"
    (out / "a" / "notice.pdf").unlink()
    (out / "a" / ".gongwen-0123abcd.tmp").write_bytes(b"half a file")
    before = {path: path.stat().st_mtime_ns for path in out.rglob("*")}
    handle = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)  # as a running build holds it
        assert states(built)["a/notice.pdf"] == "missing"
    finally:
        os.close(handle)
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*")} == before


def test_a_content_file_with_problems_is_listed_with_them(tmp_path, made_once):
    write_content(tmp_path, {"a": "a1"})
    (tmp_path / "content" / "broken.yaml").write_text("schema: 1\ntitle: 只有标题\n", encoding="utf-8")
    result = invoke("status", "-o", "out", "content", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "a  content/a.yaml",
        "  briefing.pdf  missing",
        "  summary.docx  missing",
        "  notice.pdf    missing",
        "broken  content/broken.yaml",
        "  5 problems in the content; `gongwen check` lists them",
        "3 missing, 1 content file with problems",
    ]


def test_status_starts_no_engine(built):
    probe = (
        "import sys; from pipeline.cli import main; sys.argv = ['gongwen', 'status', '-o', 'out', 'content']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print([name for name in ('weasyprint', 'docx', 'jinja2', 'uharfbuzz') if name in sys.modules])"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=built, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "[]"
    assert result.stdout.splitlines()[-2] == "6 up to date"
