"""Every build checks the folder's records against its files, cheaply: a missing, replaced or stale
artifact is noticed, leftovers are removed, and `manifest.json` and `SHA256SUMS` are repaired, also
by a build that has nothing else to do."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

import pytest
from outputlab import (
    artifacts_made_once,
    build_here,
    lines,
    sha256sum_checks,
    state,
    temporaries,
    write_content,
)


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    yield from artifacts_made_once(tmp_path_factory)


@pytest.fixture
def built(tmp_path, made_once):
    """A project with publications a and b built into out/."""
    write_content(tmp_path, {"a": "a1", "b": "b1"})
    assert lines(build_here(tmp_path)) == []
    return tmp_path


def manifest(out) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_the_manifest_records_what_each_file_looks_like_on_disk(built):
    out = built / "out"
    seen = manifest(out)["seen"]
    for name in ("briefing.pdf", "summary.docx", "notice.pdf"):
        status = (out / "a" / name).stat()
        assert seen[f"a/{name}"] == {
            "size": status.st_size,
            "mtime_ns": status.st_mtime_ns,
            "ctime_ns": status.st_ctime_ns,
            "inode": status.st_ino,
        }


def test_a_deleted_artifact_is_made_again(built):
    out = built / "out"
    before = state(out)
    (out / "a" / "notice.pdf").unlink()
    report = build_here(built)
    assert (lines(report), report.built, report.up_to_date) == ([], ["a"], ["b"])
    assert state(out) == before


def test_a_deleted_publication_folder_is_made_again(built):
    out = built / "out"
    before = state(out)
    shutil.rmtree(out / "b")
    report = build_here(built)
    assert (lines(report), report.built, report.up_to_date) == ([], ["b"], ["a"])
    assert state(out) == before and sha256sum_checks(out)


def test_a_file_replaced_by_the_same_bytes_is_read_once_then_known_by_its_status_again(built):
    out = built / "out"
    target = out / "a" / "briefing.pdf"
    copy = out / "a" / "copy"
    shutil.copy2(target, copy)
    os.replace(copy, target)  # same bytes, another inode: read once
    report = build_here(built)
    assert (lines(report), report.up_to_date) == ([], ["a", "b"])
    assert manifest(out)["seen"]["a/briefing.pdf"]["inode"] == target.stat().st_ino
    assert sha256sum_checks(out)


def test_a_file_replaced_by_other_bytes_is_an_edit_recorded_as_it_is(built):
    out = built / "out"
    target = out / "a" / "briefing.pdf"
    other = out / "a" / "other"
    other.write_bytes(b"%PDF-1.7 someone else's briefing\n%%EOF\n")
    os.replace(other, target)
    report = build_here(built)
    assert (lines(report), report.up_to_date) == ([], ["a", "b"])  # inputs unchanged: an edit is left alone
    assert target.read_bytes().startswith(b"%PDF-1.7 someone")
    record = manifest(out)["artifacts"]["a/briefing.pdf"]
    assert record["edited"] is True and record["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert sha256sum_checks(out)  # SHA256SUMS lists what is there; the manifest says which file is an edit
    write_content(built, {"a": "a2", "b": "b1"})
    report = build_here(built)
    assert (lines(report), report.built) == ([], ["a"])
    assert [(edit.path.name, edit.fresh and edit.fresh.name) for edit in report.kept_edits] == [
        ("briefing.pdf", "briefing.fresh.pdf")
    ]
    assert sha256sum_checks(out)


@pytest.mark.parametrize("damage", ["deleted", "stale", "not a file"])
def test_a_build_with_nothing_to_do_repairs_sha256sums(built, damage):
    out = built / "out"
    before = (out / "SHA256SUMS").read_bytes()
    (out / "SHA256SUMS").unlink()
    if damage == "stale":
        (out / "SHA256SUMS").write_text("0" * 64 + "  a/briefing.pdf\n")
    elif damage == "not a file":
        (out / "SHA256SUMS").symlink_to("/etc/hostname")
    report = build_here(built)
    assert (lines(report), report.built) == ([], [])
    assert (out / "SHA256SUMS").read_bytes() == before and not (out / "SHA256SUMS").is_symlink()


def test_a_deleted_manifest_is_made_again_without_taking_the_files_for_edits(built):
    out = built / "out"
    before = state(out)
    (out / "manifest.json").unlink()
    report = build_here(built)  # the same bytes as the files in place: nothing is lost by writing them
    assert lines(report) == [] and sorted(report.built) == ["a", "b"]
    assert state(out) == before and sha256sum_checks(out)


def test_a_build_with_nothing_to_do_removes_leftover_temporary_files(built):
    out = built / "out"
    (out / ".gongwen-0123abcd.tmp").write_bytes(b"half a manifest")
    (out / "a" / ".gongwen-4567ef01.tmp").write_bytes(b"%PDF-1.7 half a briefing")
    report = build_here(built)
    assert (lines(report), report.built) == ([], [])
    assert temporaries(out) == []


def test_a_build_with_nothing_to_do_and_nothing_wrong_writes_nothing(built):
    out = built / "out"
    stamps = {path: path.stat().st_mtime_ns for path in out.rglob("*")}
    report = build_here(built)
    assert (lines(report), report.built) == ([], [])
    assert {path: path.stat().st_mtime_ns for path in out.rglob("*")} == stamps
