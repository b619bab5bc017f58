"""Edits never block a build: an artifact edited by hand is kept as it is, the rest of its publication is rebuilt,
and gongwen's new version goes beside the edit under a fresh name; the records say which file is which, and every
way a person may go on from there — keep editing, delete the edit, copy the fresh file over it, edit the fresh file,
`--force`, `--strict`, a build killed at any call — settles to what is in the folder.

Builds go through the library with artifacts made once (`outputlab`): the bytes of an edit do not matter here, so an
edit is a few bytes written over the file.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from outputlab import (
    KILLED,
    artifacts_made_once,
    build_here,
    in_child,
    lines,
    memory_folder,
    sha256sum_checks,
    state,
    temporaries,
    write_content,
)

EDIT = b"PK\x03\x04 a colleague's edit of the summary"
SECOND_EDIT = b"PK\x03\x04 the same summary, edited again"


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    yield from artifacts_made_once(tmp_path_factory)


@pytest.fixture(scope="module")
def clean(tmp_path_factory, made_once) -> dict[str, object]:
    """What a clean build of a2 and b1 makes: where every transition below must end."""
    project = tmp_path_factory.mktemp("clean")
    write_content(project, {"a": "a2", "b": "b1"})
    assert lines(build_here(project)) == []
    return state(project / "out")


def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def edit_then_change(project) -> None:
    """a and b built; a's summary edited; a's content changed (the summary prints its title, so it changes too)."""
    write_content(project, {"a": "a1", "b": "b1"})
    assert lines(build_here(project)) == []
    (project / "out" / "a" / "summary.docx").write_bytes(EDIT)
    write_content(project, {"a": "a2", "b": "b1"})


@pytest.fixture
def kept(tmp_path, made_once):
    """A project whose build kept a's edited summary and wrote the rebuilt one beside it."""
    edit_then_change(tmp_path)
    report = build_here(tmp_path)
    assert (lines(report), report.built, report.up_to_date) == ([], ["a"], ["b"])
    return tmp_path


def test_the_edit_is_kept_and_the_records_say_which_file_is_which(kept, clean):
    out = kept / "out"
    assert (out / "a" / "summary.docx").read_bytes() == EDIT
    assert (out / "a" / "summary.fresh.docx").read_bytes() == clean["a/summary.docx"]
    assert state(out)["a/briefing.pdf"] == clean["a/briefing.pdf"]  # the rest of the publication is rebuilt
    artifacts = manifest(out)["artifacts"]
    assert artifacts["a/summary.docx"] == {
        "path": "a/summary.docx",
        "size": len(EDIT),
        "sha256": hashlib.sha256(EDIT).hexdigest(),
        "pages": None,
        "edited": True,
        "fresh": "a/summary.fresh.docx",
    }
    assert artifacts["a/summary.fresh.docx"] == {
        **clean["manifest.json"]["artifacts"]["a/summary.docx"],
        "path": "a/summary.fresh.docx",
    }
    assert manifest(out)["publications"]["a"] == clean["manifest.json"]["publications"]["a"]  # made from a2: current
    assert sha256sum_checks(out)


def test_a_kept_edit_is_up_to_date_and_not_made_again(kept):
    out = kept / "out"
    before = state(out)
    stamps = {path: path.stat().st_mtime_ns for path in out.rglob("*")}
    report = build_here(kept)
    assert (lines(report), report.built, report.up_to_date) == ([], [], ["a", "b"])
    assert [(edit.path.name, edit.fresh.name if edit.fresh else None) for edit in report.edited] == [
        ("summary.docx", "summary.fresh.docx")
    ]
    assert state(out) == before
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*")} == stamps  # nothing written


def test_deleting_the_edit_takes_the_fresh_file_without_making_anything(kept, clean):
    out = kept / "out"
    (out / "a" / "summary.docx").unlink()
    report = build_here(kept)
    assert (lines(report), report.built, report.up_to_date) == ([], [], ["a", "b"])
    assert state(out) == clean and sha256sum_checks(out)


def test_copying_the_fresh_file_over_the_edit_takes_it(kept, clean):
    out = kept / "out"
    shutil.copy(out / "a" / "summary.fresh.docx", out / "a" / "summary.docx")
    report = build_here(kept)
    assert (lines(report), report.built, report.up_to_date) == ([], [], ["a", "b"])
    assert state(out) == clean and sha256sum_checks(out)  # the duplicate fresh file is gone


def test_renaming_the_fresh_file_over_the_edit_takes_it(kept, clean):
    out = kept / "out"
    (out / "a" / "summary.fresh.docx").replace(out / "a" / "summary.docx")
    report = build_here(kept)
    assert (lines(report), report.built) == ([], [])
    assert state(out) == clean and sha256sum_checks(out)


def test_editing_the_edit_again_is_recorded_and_the_fresh_file_stays(kept):
    out = kept / "out"
    fresh = (out / "a" / "summary.fresh.docx").read_bytes()
    (out / "a" / "summary.docx").write_bytes(SECOND_EDIT)
    report = build_here(kept)
    assert (lines(report), report.built) == ([], [])
    record = manifest(out)["artifacts"]["a/summary.docx"]
    assert record["sha256"] == hashlib.sha256(SECOND_EDIT).hexdigest() and record["fresh"] == "a/summary.fresh.docx"
    assert (out / "a" / "summary.fresh.docx").read_bytes() == fresh
    assert sha256sum_checks(out)


def test_an_edited_fresh_file_is_someone_s_work_too(kept):
    """Edits carried over into the fresh file make it someone's: it is never replaced, and the next rebuild of
    the summary goes beside both under the next fresh name."""
    out = kept / "out"
    carried = b"PK\x03\x04 the fresh summary with the edits carried over"
    (out / "a" / "summary.fresh.docx").write_bytes(carried)
    report = build_here(kept)
    assert (lines(report), report.built) == ([], [])
    artifacts = manifest(out)["artifacts"]
    assert "a/summary.fresh.docx" not in artifacts and "fresh" not in artifacts["a/summary.docx"]
    write_content(kept, {"a": "a1", "b": "b1"})
    report = build_here(kept)
    assert (lines(report), report.built) == ([], ["a"])
    assert (out / "a" / "summary.fresh.docx").read_bytes() == carried
    assert (out / "a" / "summary.docx").read_bytes() == EDIT
    assert manifest(out)["artifacts"]["a/summary.docx"]["fresh"] == "a/summary.fresh-2.docx"
    assert sha256sum_checks(out)


def test_force_keeps_the_edit_aside_replaces_it_and_removes_the_fresh_file(kept, clean):
    out = kept / "out"
    report = build_here(kept, force=True)
    assert (lines(report), sorted(report.built)) == ([], ["a", "b"])
    assert [path.name for path in report.kept] == ["summary.edited.docx"]
    assert (out / "a" / "summary.edited.docx").read_bytes() == EDIT
    found = state(out)
    assert found.pop("a/summary.edited.docx") == EDIT
    assert found == clean and sha256sum_checks(out)


def test_strict_reports_every_edited_artifact_and_changes_nothing_else(kept):
    out = kept / "out"
    (out / "b" / "notice.pdf").write_bytes(b"%PDF-1.7 someone's notice")
    before = state(out)
    report = build_here(kept, strict=True)
    assert report.built == []
    assert lines(report) == [
        "out/a/summary.docx: edited by hand, and --strict allows no edited artifact: copy out/a/summary.fresh.docx "
        "over it to take the rebuilt one, or delete it",
        "out/b/notice.pdf: edited by hand, and --strict allows no edited artifact: delete it to have it made again",
    ]
    after = state(out)
    assert after.pop("manifest.json")["artifacts"]["b/notice.pdf"]["edited"] is True  # the new edit recorded
    before.pop("manifest.json")
    assert {name: data for name, data in after.items() if name != "SHA256SUMS"} == {
        name: data for name, data in before.items() if name != "SHA256SUMS"
    }


def test_strict_reports_files_no_record_lists_which_would_ship_with_the_publication(kept):
    out = kept / "out"
    report = build_here(kept, force=True)  # the edit kept aside as summary.edited.docx
    assert lines(report) == [] and [path.name for path in report.strays] == ["summary.edited.docx"]
    (out / "b" / "notes.txt").write_text("草稿", encoding="utf-8")
    assert lines(build_here(kept, strict=True)) == [
        "out/a/summary.edited.docx: not made by gongwen (manifest.json does not list it), and --strict allows "
        "nothing else in a publication's folder: move it out of the output folder",
        "out/b/notes.txt: not made by gongwen (manifest.json does not list it), and --strict allows "
        "nothing else in a publication's folder: move it out of the output folder",
    ]
    (out / "a" / "summary.edited.docx").unlink()
    (out / "b" / "notes.txt").unlink()
    assert lines(build_here(kept, strict=True)) == []


def test_deleting_both_makes_the_artifact_again(kept, clean):
    out = kept / "out"
    (out / "a" / "summary.docx").unlink()
    (out / "a" / "summary.fresh.docx").unlink()
    report = build_here(kept)
    assert (lines(report), report.built) == ([], ["a"])
    assert state(out) == clean


def test_a_lost_manifest_takes_an_edited_file_for_someone_s_and_keeps_it(kept):
    out = kept / "out"
    (out / "manifest.json").unlink()
    report = build_here(kept)
    assert (lines(report), sorted(report.built)) == ([], ["a", "b"])
    assert (out / "a" / "summary.docx").read_bytes() == EDIT
    assert manifest(out)["artifacts"]["a/summary.docx"]["fresh"] == "a/summary.fresh.docx"
    assert sha256sum_checks(out)


# ---- killed at any call ----


@pytest.fixture
def quick_path(tmp_path):
    yield from memory_folder(tmp_path)


def change_again(project) -> None:
    """A kept edit with its fresh file, then the content changed back: the fresh file is replaced by the next build."""
    edit_then_change(project)
    assert lines(build_here(project)) == []
    write_content(project, {"a": "a1", "b": "b1"})


@pytest.mark.slow  # a build per file-system call
@pytest.mark.parametrize("scenario", [edit_then_change, change_again], ids=["first kept edit", "fresh file replaced"])
def test_a_build_that_keeps_an_edit_killed_at_any_call_is_completed_by_the_next_build(quick_path, made_once, scenario):
    reference = quick_path / "reference"
    scenario(reference)
    ending = in_child(lambda: build_here(reference))
    assert ending.code == 0 and ending.problems == [] and ending.calls is not None, ending
    kept_state = state(reference / "out")
    for point in range(1, ending.calls + 1):
        project = quick_path / f"killed-{point}"
        scenario(project)
        killed = in_child(lambda project=project: build_here(project), stop_at=point)
        # a point past the end of this build (counts have been seen to differ by one between runs): it completes
        assert killed.code == KILLED or (killed.code == 0 and killed.calls is not None and killed.calls < point), point
        out = project / "out"
        assert (out / "a" / "summary.docx").read_bytes() == EDIT, point  # the edit is never touched
        assert lines(build_here(project)) == [], point
        assert temporaries(out) == [], point
        assert state(out) == kept_state, point
        assert sha256sum_checks(out), point
