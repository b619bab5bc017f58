"""Who owns a publication folder, where gongwen writes, and what `manifest merge` accepts: a folder
belongs to the content file that made it, nothing below the output root is written through a
link, and a merge takes only well-formed slices of one build, made alike, and only entries inside
the folder."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import run_cli
from outputlab import (
    VERSIONS,
    artifacts_made_once,
    build_here,
    lines,
    sha256sum_checks,
    state,
    write_content,
)

from pipeline.build import Shard, build
from pipeline.config import load_configuration
from pipeline.errors import OutputError
from pipeline.output.merge import merge_shard_manifests


@pytest.fixture(scope="module")
def made_once(tmp_path_factory):
    yield from artifacts_made_once(tmp_path_factory)


# ---- identity ----


def test_another_file_claiming_an_id_in_the_folder_is_refused_naming_both(tmp_path, made_once, monkeypatch):
    write_content(tmp_path, {"a": "a1"})
    assert lines(build_here(tmp_path)) == []
    before = state(tmp_path / "out")
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "a.yaml").write_text(VERSIONS["b1"], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    report = build([tmp_path / "more"], load_configuration(tmp_path, {"output": "out"}))
    assert lines(report) == [
        "more/a.yaml: id: out/a/ holds the publication of content/a.yaml, which still exists; give one of them "
        'another id, or remove the other file (got "a")'
    ]
    assert state(tmp_path / "out") == before


def test_a_renamed_content_file_takes_its_folder_over(tmp_path, made_once):
    write_content(tmp_path, {"a": "a1"})
    assert lines(build_here(tmp_path)) == []
    (tmp_path / "content" / "a.yaml").rename(tmp_path / "content" / "renamed.yaml")
    (tmp_path / "content" / "renamed.yaml").write_text("id: a\n" + VERSIONS["a1"], encoding="utf-8")
    report = build_here(tmp_path)
    assert (lines(report), report.built) == ([], ["a"])
    assert json.loads((tmp_path / "out" / "manifest.json").read_bytes())["publications"]["a"]["source"] == (
        "content/renamed.yaml"
    )


def test_two_links_to_one_content_file_are_two_publications(tmp_path, made_once):
    write_content(tmp_path, {"real": "a1"})
    shutil.move(tmp_path / "content" / "real.yaml", tmp_path / "real.yaml")
    for name in ("l1", "l2"):
        (tmp_path / "content" / f"{name}.yaml").symlink_to(tmp_path / "real.yaml")
    report = build_here(tmp_path)
    assert (lines(report), sorted(report.built)) == ([], ["l1", "l2"])
    shutil.rmtree(tmp_path / "out" / "l2")
    report = build_here(tmp_path)
    assert (lines(report), report.built, report.up_to_date) == ([], ["l2"], ["l1"])
    assert sha256sum_checks(tmp_path / "out")


# ---- links below the output root ----


def test_the_output_root_may_be_a_link(tmp_path, made_once):
    write_content(tmp_path, {"a": "a1"})
    (tmp_path / "share").mkdir()
    (tmp_path / "out").symlink_to(tmp_path / "share")
    assert lines(build_here(tmp_path)) == []
    assert (tmp_path / "share" / "a" / "briefing.pdf").is_file() and sha256sum_checks(tmp_path / "share")


def test_a_publication_folder_that_is_a_link_is_not_written_through(tmp_path, made_once):
    write_content(tmp_path, {"a": "a1"})
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a").symlink_to(outside)
    report = build_here(tmp_path)
    assert lines(report) == ["out/a: a symbolic link is in the way; nothing is written through links below the output"]
    assert list(outside.iterdir()) == []


def test_an_artifact_that_is_a_link_is_not_written_through(tmp_path, made_once):
    write_content(tmp_path, {"a": "a1"})
    assert lines(build_here(tmp_path)) == []
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"not gongwen's")
    (tmp_path / "out" / "a" / "notice.pdf").unlink()
    (tmp_path / "out" / "a" / "notice.pdf").symlink_to(outside)
    report = build_here(tmp_path)
    assert lines(report) == [
        "out/a/notice.pdf: a symbolic link is in the way; nothing is written through links below the output"
    ]
    assert outside.read_bytes() == b"not gongwen's"


def test_a_manifest_that_is_a_link_is_neither_read_nor_written_through(tmp_path, made_once):
    write_content(tmp_path, {"a": "a1"})
    assert lines(build_here(tmp_path)) == []
    elsewhere = tmp_path / "elsewhere.json"
    shutil.copy(tmp_path / "out" / "manifest.json", elsewhere)
    (tmp_path / "out" / "manifest.json").unlink()
    (tmp_path / "out" / "manifest.json").symlink_to(elsewhere)
    before = elsewhere.read_bytes()
    report = build_here(tmp_path)  # no records: the files in place are the bytes it makes, so it makes them again
    assert (lines(report), report.built) == ([], ["a"])
    assert elsewhere.read_bytes() == before and not (tmp_path / "out" / "manifest.json").is_symlink()


# ---- merging slices ----


def build_slice(project: Path, number: int, count: int, output: Path, **settings) -> None:
    configuration = load_configuration(project, {"output": str(output), **settings})
    report = build([project / "content"], configuration, shard=Shard(number, count))
    assert lines(report) == []


@pytest.fixture
def sliced(tmp_path, made_once, monkeypatch) -> Path:
    """content a, b, c built in two slices into one folder (messages name it out/)."""
    monkeypatch.chdir(tmp_path)
    write_content(tmp_path, {"a": "a1", "b": "b1", "c": "c1"})
    for number in (1, 2):
        build_slice(tmp_path, number, 2, tmp_path / "out")
    return tmp_path / "out"


def merge_lines(folder: Path) -> list[str]:
    with pytest.raises(OutputError) as raised:
        merge_shard_manifests(folder)
    return raised.value.lines


def test_slices_merge_into_records_that_sha256sum_accepts(sliced):
    assert merge_shard_manifests(sliced) == 9
    assert sha256sum_checks(sliced)


@pytest.mark.parametrize("setting", [{"one_sided": True}, {"templates": "templates"}])
def test_slices_made_with_other_settings_or_templates_are_not_merged(sliced, setting):
    project = sliced.parent
    if "templates" in setting:
        (project / "templates").mkdir()
        (project / "templates" / "notice.html.j2").write_text('{% extends "builtin/notice.html.j2" %}\n')
    shutil.rmtree(sliced)
    build_slice(project, 1, 2, sliced)
    build_slice(project, 2, 2, sliced, **setting)
    assert merge_lines(sliced) == [
        "out: shared_inputs: slice 2 was made with other templates, reference document, settings "
        "(one_sided, word_fonts …) or SOURCE_DATE_EPOCH than slice 1; build every slice with the same tool, "
        "settings and fonts"
    ]


def edit_slice(folder: Path, number: int, change) -> Path:
    path = folder / f"manifest-{number}-of-2.json"
    manifest = json.loads(path.read_bytes())
    path.write_text(json.dumps(change(manifest)))
    return path


@pytest.mark.parametrize("outside", ["/etc/passwd", "../outside.pdf", "a/../../x.pdf", "a/summary.edited.docx"])
def test_a_slice_listing_a_path_outside_the_folder_or_not_an_artifact_is_refused(sliced, outside):
    def add(manifest):
        entry = next(iter(manifest["artifacts"].values()))
        manifest["artifacts"][outside] = {**entry, "path": outside}
        return manifest

    path = edit_slice(sliced, 1, add)
    assert merge_lines(sliced) == [
        f"out/{path.name}: not a slice that can be merged: artifacts: {json.dumps(outside)} is not <id>/<artifact name>"
    ]
    assert not (sliced / "SHA256SUMS").exists()


@pytest.mark.parametrize(
    "damage, why",
    [
        (lambda manifest: "{not json", "not JSON"),
        (lambda manifest: [manifest], "not a manifest written by gongwen"),
        (lambda manifest: {**manifest, "artifacts": list(manifest["artifacts"])}, "artifacts and publications must"),
        (
            lambda manifest: {
                **manifest,
                "artifacts": {
                    path: {k: v for k, v in entry.items() if k != "sha256"}
                    for path, entry in manifest["artifacts"].items()
                },
            },
            "sha256: expected 64 hexadecimal digits",
        ),
    ],
    ids=["corrupt", "a list", "artifacts as a list", "no sha256"],
)
def test_a_malformed_slice_is_one_line(sliced, damage, why):
    path = sliced / "manifest-2-of-2.json"
    changed = damage(json.loads(path.read_bytes()))
    path.write_text(changed if isinstance(changed, str) else json.dumps(changed))
    (found,) = merge_lines(sliced)
    assert found.startswith(f"out/{path.name}: not a slice that can be merged: ") and why in found, found


def test_a_huge_slice_count_is_refused_in_one_line(sliced, tmp_path):
    shutil.copy(sliced / "manifest-1-of-2.json", sliced / "manifest-1-of-1000000000000.json")
    assert merge_lines(sliced) == [
        "out/manifest-1-of-1000000000000.json: a build in more than 256 slices is not supported"
    ]
    result = run_cli("build", "--shard", "1/1000000000000", "content", cwd=sliced.parent)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "at most 256 slices" in result.stderr or "expected K/N" in result.stderr


def test_a_fifo_in_place_of_the_manifest_does_not_hang_the_build(tmp_path, made_once):
    write_content(tmp_path, {"a": "a1"})
    assert lines(build_here(tmp_path)) == []
    (tmp_path / "out" / "manifest.json").unlink()
    os.mkfifo(tmp_path / "out" / "manifest.json")
    report = build_here(tmp_path)  # read as a damaged manifest: no records, the same bytes made again
    assert (lines(report), report.built) == ([], ["a"])
    assert (tmp_path / "out" / "manifest.json").is_file() and sha256sum_checks(tmp_path / "out")


def test_a_slice_artifact_that_is_a_link_is_not_merged(sliced, tmp_path):
    target = sliced / "a" / "notice.pdf"
    shutil.copy(target, tmp_path / "elsewhere.pdf")  # the very bytes recorded, but outside the folder
    target.unlink()
    target.symlink_to(tmp_path / "elsewhere.pdf")
    assert merge_lines(sliced) == [
        "out/a/notice.pdf: a symbolic link is in the way; nothing is written through links below the output"
    ]
